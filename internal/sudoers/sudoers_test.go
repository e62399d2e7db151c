package sudoers

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

type form struct {
	ok  bool
	cmd string
}

// Forms reads testdata/forms.txt.
func forms(t *testing.T) []form {
	f, err := os.Open("testdata/forms.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []form
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		verdict, cmd, ok := strings.Cut(l, "\t")
		if !ok || verdict != "ok" && verdict != "refuse" {
			t.Fatalf("bad forms line %q", l)
		}
		out = append(out, form{verdict == "ok", cmd})
	}
	return out
}

// check is the decision the account rules make on one command.
func check(cmd string) (words []string, problem string) {
	words, err := Split(cmd)
	if err != nil {
		return nil, err.Error()
	}
	if len(words) > 0 && words[0] == All {
		return words, AllProblem(strings.TrimSpace(cmd))
	}
	if len(words) > 0 && !strings.HasPrefix(words[0], "/") {
		return words, "not absolute (the account rules refuse it)"
	}
	return words, WordProblem(words)
}

// rendered is a drop-in of one rule per accepted form (uid 5000+i), and
// the rules it must read as.
func rendered(t *testing.T, fs []form) (string, []Rule) {
	var b strings.Builder
	var want []Rule
	for i, f := range fs {
		words, p := check(f.cmd)
		if p != "" {
			t.Fatalf("%q refused: %s", f.cmd, p)
		}
		c := RuleCmd{All: len(words) == 1 && words[0] == All}
		if !c.All {
			c.Command = Want(words)
		}
		id := int64(5000 + i)
		want = append(want, Rule{ID: id, Cmds: []RuleCmd{c, {All: true, NoPasswd: true}}})
		fmt.Fprintf(&b, "# form %d\n#%d ALL=(ALL) %s, NOPASSWD: ALL\n", i, id, Render(words))
	}
	return b.String(), want
}

func TestForms(t *testing.T) {
	var accepted []form
	for _, f := range forms(t) {
		_, p := check(f.cmd)
		if (p == "") != f.ok {
			t.Errorf("%q: problem %q, want accepted=%v", f.cmd, p, f.ok)
		}
		if f.ok {
			accepted = append(accepted, f)
		}
	}
	content, want := rendered(t, accepted)
	got, err := ReadDropIn(content)
	if err != nil {
		t.Fatalf("%v\n%s", err, content)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("the drop-in reads as\n%+v\nwant\n%+v", got, want)
	}
}

// ReadDropIn refuses what sudo would read as syntax where text was meant.
func TestReadDropInRefuses(t *testing.T) {
	for _, line := range []string{
		"#1 ALL=(ALL) /usr/bin/echo #x", "#1 ALL=(ALL) /usr/bin/echo a:b", "#1 ALL=(ALL) /usr/bin/echo a=b",
		`#1 ALL=(ALL) /usr/bin/echo a\b`, `#1 ALL=(ALL) /usr/bin/echo a\`, `#1 ALL=(ALL) /usr/bin/echo "a"`,
		"#1 ALL=(ALL) ALL /usr/bin/ls", "#1 ALL=(ALL) 'ALL'", "#1 ALL=(ALL) /usr/bin/echo ^x$", "#1 ALL=(ALL) /usr/bin/echo x \"\"",
		"alice ALL=(ALL) ALL", "#01 ALL=(ALL) ALL", "#1 ALL=(root) ALL", "#1 ALL=(ALL) ,ALL", "#1 ALL=(ALL) ALL ,ALL",
		"#1 ALL=(ALL) ls", "# c\\", "#1 ALL=(ALL) /usr/bin/echo\ta", "Defaults !authenticate",
	} {
		if r, err := ReadDropIn(line + "\n"); err == nil {
			t.Errorf("%q read as %+v", line, r)
		}
	}
}

func sudoTool(t *testing.T, name string) string {
	for _, dir := range []string{"/usr/sbin", "/usr/bin", "/sbin"} {
		if p := filepath.Join(dir, name); fileExists(p) {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is missing (scripts/deps.sh installs sudo)", name)
	}
	t.Skipf("%s is missing (scripts/deps.sh installs sudo)", name)
	return ""
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// TestFormsSudoGrammar: sudo's own parser (visudo -c, cvtsudoers) reads
// every accepted form as the command asked for.
func TestFormsSudoGrammar(t *testing.T) {
	visudo, cvt := sudoTool(t, "visudo"), sudoTool(t, "cvtsudoers")
	var accepted []form
	for _, f := range forms(t) {
		if f.ok {
			accepted = append(accepted, f)
		}
	}
	// And commands made of random words over every printable ASCII
	// character and some others, kept when the rules accept them.
	rng := rand.New(rand.NewPCG(17, 4))
	alphabet := []rune("abc/-_.*?[]!^$#,:=\\\"' ~@%&;|<>{}()+`é漢")
	for n := 0; n < 400; {
		var b strings.Builder
		b.WriteString("/usr/bin/")
		for k := rng.IntN(12); k >= 0; k-- {
			b.WriteRune(alphabet[rng.IntN(len(alphabet))])
		}
		for a := rng.IntN(4); a > 0; a-- {
			b.WriteByte(' ')
			for k := rng.IntN(8); k >= 0; k-- {
				b.WriteRune(alphabet[rng.IntN(len(alphabet))])
			}
		}
		if _, p := check(b.String()); p == "" {
			accepted = append(accepted, form{true, b.String()})
			n++
		}
	}
	content, want := rendered(t, accepted)
	file := filepath.Join(t.TempDir(), "drop-in")
	if err := os.WriteFile(file, []byte(content), 0o440); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(visudo, "-c", "-f", file).CombinedOutput(); err != nil {
		t.Fatalf("visudo -c: %v\n%s\n%s", err, out, content)
	}
	out, err := exec.Command(cvt, "-f", "json", file).Output()
	if err != nil {
		t.Fatalf("cvtsudoers: %v", err)
	}
	var doc struct {
		UserSpecs []struct {
			UserList []struct {
				UserID int64 `json:"userid"`
			} `json:"User_List"`
			CmndSpecs []struct {
				Options  []map[string]any `json:"Options"`
				Commands []struct {
					Command string `json:"command"`
				} `json:"Commands"`
			} `json:"Cmnd_Specs"`
		} `json:"User_Specs"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("cvtsudoers JSON: %v\n%s", err, out)
	}
	if len(doc.UserSpecs) != len(want) {
		t.Fatalf("sudo reads %d rules, want %d:\n%s", len(doc.UserSpecs), len(want), out)
	}
	for i, us := range doc.UserSpecs {
		w := want[i]
		var cmds []string
		nopasswd := []bool{}
		for _, cs := range us.CmndSpecs {
			np := false
			for _, o := range cs.Options {
				if v, ok := o["authenticate"]; ok && v == false {
					np = true
				}
			}
			for _, c := range cs.Commands {
				cmds = append(cmds, c.Command)
				nopasswd = append(nopasswd, np)
			}
		}
		var wantCmds []string
		var wantNP []bool
		for _, c := range w.Cmds {
			switch {
			case c.All:
				wantCmds = append(wantCmds, "ALL")
			case c.NoArgs:
				wantCmds = append(wantCmds, c.Path+` ""`)
			case c.Args == "":
				wantCmds = append(wantCmds, c.Path)
			default:
				wantCmds = append(wantCmds, c.Path+" "+c.Args)
			}
			wantNP = append(wantNP, c.NoPasswd)
		}
		if len(us.UserList) != 1 || us.UserList[0].UserID != w.ID || fmt.Sprint(cmds) != fmt.Sprint(wantCmds) || fmt.Sprint(nopasswd) != fmt.Sprint(wantNP) {
			t.Errorf("form %q: sudo reads user %+v commands %q nopasswd %v; want #%d %q %v", accepted[i].cmd, us.UserList, cmds, nopasswd, w.ID, wantCmds, wantNP)
		}
	}
}

// FuzzRender: whatever the command, either the rules refuse it or its
// rendering reads back as exactly its words.
func FuzzRender(f *testing.F) {
	f.Add("/usr/bin/echo a,b:c=d#e")
	f.Add(`AL\L`)
	f.Add(`/usr/bin/x "" y`)
	f.Fuzz(func(t *testing.T, cmd string) {
		words, p := check(cmd)
		if p != "" || len(words) == 0 || strings.ContainsFunc(cmd, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return
		}
		if words[0] != All && !strings.HasPrefix(words[0], "/") {
			return
		}
		line := "#1 ALL=(ALL) " + Render(words) + "\n"
		got, err := ReadDropIn(line)
		if err != nil {
			t.Fatalf("%q rendered as %q, which does not read back: %v", cmd, line, err)
		}
		c := RuleCmd{All: words[0] == All}
		if !c.All {
			c.Command = Want(words)
		}
		if len(got) != 1 || len(got[0].Cmds) != 1 || got[0].Cmds[0] != c {
			t.Fatalf("%q reads back as %+v, want %+v", cmd, got, c)
		}
	})
}
