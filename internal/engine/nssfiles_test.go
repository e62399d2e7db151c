package engine

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// nssCase is one line of etc/passwd (or etc/group) and what glibc makes of
// it: want "" when glibc returns no entry, else the entry as getent prints
// it (name:uid:gid for passwd, name:gid for group).
type nssCase struct {
	line string
	want string
}

// passwdSpellings are the spellings of an id glibc's nss_files accepts
// and rejects (files-parse.c INT_FIELD on strtoul, nss_readline.c).
var passwdSpellings = []nssCase{
	{"mallory:x:3000:3000:M:/home/m:/bin/sh", "mallory:3000:3000"},
	{"mallory:x:03000:3000:M:/home/m:/bin/sh", "mallory:3000:3000"},
	{"mallory:x:0003000:03000:M:/home/m:/bin/sh", "mallory:3000:3000"},
	{"mallory:x:+3000:+3000:M:/home/m:/bin/sh", "mallory:3000:3000"},
	{"mallory:x: 3000:\t3000:M:/home/m:/bin/sh", "mallory:3000:3000"},
	{"mallory:x:\v\f\r 3000:3000:M:/h:/bin/sh", "mallory:3000:3000"},
	{"mallory:x: +03000:3000:M:/h:/bin/sh", "mallory:3000:3000"},
	{"   mallory:x:3000:3000:M:/h:/bin/sh", "mallory:3000:3000"},
	{"\tmallory:x:3000:3000:M:/h:/bin/sh", "mallory:3000:3000"},
	{"mallory:x:3000:3000", "mallory:3000:3000"},
	{"mallory::3000:3000::", "mallory:3000:3000"},
	{"mallory:x:-18446744073709548616:3000::/:", "mallory:3000:3000"},
	{"mallory:x:-1:3000::/:", ""},
	{"mallory:x:-0:3000::/:", "mallory:0:3000"},
	{"mallory:x:4294967295:3000::/:", "mallory:4294967295:3000"},
	{"mallory:x:4294967296:3000::/:", ""},
	{"mallory:x:-4294967295:3000::/:", ""},
	{"mallory:x:99999999999999999999999:3000::/:", ""},
	{"mallory:x:-99999999999999999999999:3000::/:", ""},
	{"mallory:x:-18446744073709551615:3000::/:", "mallory:1:3000"},
	{"mallory:x:3000:3000:M:/h:/bin/sh\x00trailing", "mallory:3000:3000"},
	{"mallory:x:3000:3000:M:/h:/bin/sh\r", "mallory:3000:3000"},
	{"mallory:x:3000\x00:3000::/:", ""},
	{"mallory:x:3000 :3000::/:", ""},
	{"mallory:x:3000x:3000::/:", ""},
	{"mallory:x:0x10:3000::/:", ""},
	{"mallory:x::3000::/:", ""},
	{"mallory:x:+:3000::/:", ""},
	{"mallory:x:++3000:3000::/:", ""},
	{"mallory:x:+-3000:3000::/:", ""},
	{"mallory:x:3000", ""},
	{"mallory:x:3000:", ""},
	{"mallory:x", ""},
	{"mallory", ""},
	{"# mallory:x:3000:3000::/:", ""},
	{"  # mallory:x:3000:3000::/:", ""},
	{"", ""},
	{"   ", ""},
	{"mallory:x:3,000:3000::/:", ""},
	{"mallory:x:３０００:3000::/:", ""},
	{"mallory:x:3000.0:3000::/:", ""},
	{"mallory:x:3e3:3000::/:", ""},
	{"mallory:x:" + strings.Repeat("0", 5000) + "3000:3000::/:", "mallory:3000:3000"},
	{":x:3000:3000::/:", ":3000:3000"},
	{"mal lory:x:3000:3000::/:", "mal lory:3000:3000"},
	{"mallory :x:3000:3000::/:", "mallory :3000:3000"},
}

// compatSpellings are the NIS-compat lines: nss_files parses them (getent
// lists them, without ids) but getpwuid/getpwnam skip them; the engine
// keeps their ids as held all the same. Only the name is compared with
// glibc.
var compatSpellings = []nssCase{
	{"+mallory:x:3000:3000::/:", "+mallory:3000:3000"},
	{"+mallory:x:03000:3000::/:", "+mallory:3000:3000"},
	{"-mallory:x:::::", "-mallory:0:0"},
	{"+", "+:0:0"},
	{"+:", "+:0:0"},
	{"+mallory", "+mallory:0:0"},
	{"+mallory:x:x:3000::/:", ""},
}

var groupSpellings = []nssCase{
	{"evil:x:544:mallory", "evil:544"},
	{"evil:x:0544:mallory", "evil:544"},
	{"evil:x:+544:", "evil:544"},
	{"evil:x: 544:", "evil:544"},
	{"evil:x:544", "evil:544"},
	{"  evil:x:544:", "evil:544"},
	{"evil:x:-18446744073709551072:", "evil:544"},
	{"evil::544:", "evil:544"},
	{"evil:x:544 :", ""},
	{"evil:x:544\r", ""},
	{"evil:x:544x:", ""},
	{"evil:x::", ""},
	{"evil:x", ""},
	{"#evil:x:544:", ""},
	{"+evil:x:0544:", "+evil:544"},
	{"-evil", "-evil:0"},
}

func entryText(e nssEntry, passwd bool) string {
	if passwd {
		return fmt.Sprintf("%s:%d:%d", e.name, e.id, e.gid)
	}
	return fmt.Sprintf("%s:%d", e.name, e.id)
}

func parseOne(line string, passwd bool) string {
	es := nssEntries([]byte(line+"\n"), passwd)
	if len(es) == 0 {
		return ""
	}
	return entryText(es[0], passwd)
}

func TestNSSSpellings(t *testing.T) {
	for _, set := range []struct {
		passwd bool
		cases  []nssCase
	}{{true, passwdSpellings}, {true, compatSpellings}, {false, groupSpellings}} {
		for _, c := range set.cases {
			if got := parseOne(c.line, set.passwd); got != c.want {
				t.Errorf("passwd=%v %q: parsed as %q, glibc reads %q", set.passwd, c.line, got, c.want)
			}
		}
	}
	// Group members as parse_list splits them.
	es := nssEntries([]byte("g:x:1: alice,,bob , carol\n"), false)
	if got := strings.Join(es[0].members, "|"); got != "alice|bob |carol" {
		t.Errorf("members %q", got)
	}
}

// TestNSSIndexLookups: getpwuid/getpwnam skip compat lines and return the
// first line; every line holds its id.
func TestNSSIndexLookups(t *testing.T) {
	ix := newNSSIndex([]byte("+nis:x:07:7::/:\nroot:x:0:0::/:\n mallory:x:03000:3000::/:\nalice:x:3000:3000::/:\nalice:x:3001:3001::/:\nbad:x:3002 :1::/:\n"), true)
	if l, ok := ix.lookupID(3000); !ok || l.name != "mallory" {
		t.Errorf("getpwuid(3000) = %+v %v, want mallory", l, ok)
	}
	if l, ok := ix.lookupName("alice"); !ok || l.id != 3000 {
		t.Errorf("getpwnam(alice) = %+v %v, want the first alice line", l, ok)
	}
	if _, ok := ix.lookupID(7); ok {
		t.Error("getpwuid(7) found the compat line")
	}
	if l, ok := ix.holder(7); !ok || l.name != "+nis" {
		t.Errorf("uid 7 is held by +nis: %+v %v", l, ok)
	}
	if _, ok := ix.holder(3002); ok {
		t.Error("a line glibc rejects holds no id")
	}
	if _, ok := ix.lookupID(-1); ok {
		t.Error("-1 found")
	}
	if _, ok := ix.lookupID(1 << 32); ok {
		t.Error("2^32 found")
	}
	if l, ok := ix.primaryHolder(3001); !ok || l.name != "alice" {
		t.Errorf("primary gid 3001: %+v %v", l, ok)
	}
}

// TestNSSSpellingsGlibc runs every case through the box's own glibc:
// getent -s files lists each file bound over etc/passwd or etc/group in a
// private mount namespace, so the table above is what the system reads,
// not what this package believes.
func TestNSSSpellingsGlibc(t *testing.T) {
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("the glibc check must run in CI (needs Linux and root)")
		}
		t.Skip("needs Linux and root for a private mount namespace")
	}
	for _, tool := range []string{"unshare", "mount", "getent"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is missing", tool)
			}
			t.Skip(tool + " is missing")
		}
	}
	dir := t.TempDir()
	type item struct {
		file   string
		passwd bool
		c      nssCase
	}
	var items []item
	var script strings.Builder
	script.WriteString("set -e\n")
	add := func(passwd bool, cases []nssCase) {
		for _, c := range cases {
			f := filepath.Join(dir, strconv.Itoa(len(items)))
			if err := os.WriteFile(f, []byte(c.line+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			target, db := "/etc/group", "group"
			if passwd {
				target, db = "/etc/passwd", "passwd"
			}
			fmt.Fprintf(&script, "mount --bind %s %s\ngetent -s files %s > %s.out || true\numount %s\n", f, target, db, f, target)
			items = append(items, item{f, passwd, c})
		}
	}
	add(true, passwdSpellings)
	add(true, compatSpellings)
	add(false, groupSpellings)
	out, err := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c", script.String()).CombinedOutput()
	if err != nil {
		t.Fatalf("unshare: %v\n%s", err, out)
	}
	for _, it := range items {
		b, err := os.ReadFile(it.file + ".out")
		if err != nil {
			t.Fatal(err)
		}
		glibc := ""
		compat := strings.HasPrefix(it.c.line, "+") || strings.HasPrefix(it.c.line, "-")
		if line := strings.TrimRight(string(b), "\n"); line != "" {
			f := strings.Split(line, ":")
			if it.passwd && len(f) >= 4 {
				glibc = f[0] + ":" + f[2] + ":" + f[3]
			} else if !it.passwd && len(f) >= 3 {
				glibc = f[0] + ":" + f[2]
			} else {
				glibc = "?" + line
			}
		}
		got := parseOne(it.c.line, it.passwd)
		if compat {
			glibc, _, _ = strings.Cut(glibc, ":")
			got, _, _ = strings.Cut(got, ":")
			if want, _, _ := strings.Cut(it.c.want, ":"); glibc != want || got != want {
				t.Errorf("compat line %q: glibc lists %q, the engine %q, the table %q", it.c.line, glibc, got, want)
			}
			continue
		}
		if glibc != it.c.want {
			t.Errorf("glibc reads %q as %q; the table says %q", it.c.line, glibc, it.c.want)
		}
		if got != glibc {
			t.Errorf("the engine reads %q as %q, glibc as %q", it.c.line, got, glibc)
		}
	}
}

// idSpellings are spellings of id that glibc reads as id (each is checked
// against the parser the glibc test checks against glibc itself).
func idSpellings(t *testing.T, id int64) []string {
	n := strconv.FormatInt(id, 10)
	out := []string{n, "0" + n, "000" + n, "+" + n, "+0" + n, " " + n, "\t" + n, " \v+00" + n,
		"-" + strconv.FormatUint(-uint64(id), 10)}
	for _, s := range out {
		if got := parseOne("x:x:"+s+":"+s+"::/:", true); got != "x:"+n+":"+n {
			t.Fatalf("spelling %q of %d is read as %q", s, id, got)
		}
	}
	return out
}

// A foreign line holds its id in every spelling glibc reads: the id is
// "already used" for explicit ids, automatic ids skip it, and the socket
// maps the uid to the foreign line's name (so to no store user).
func TestForeignIDsInEverySpelling(t *testing.T) {
	base := `"full_name":"X","password":"pw","smb":false`
	e := openTest(t)
	root := e.Root()
	for i := range idSpellings(t, 0) {
		// Each spelling on its own: the next free id, taken by a line.
		next := decode[int64](t, mustCall(t, e, "user.get_next_uid"))
		nextG := decode[int64](t, mustCall(t, e, "group.get_next_gid"))
		spU := idSpellings(t, next)[i]
		spG := idSpellings(t, nextG)[i]
		name := "mallory" + strconv.Itoa(i)
		appendLine(t, root, "etc/passwd", name+":x:"+spU+":"+spU+"::/home/m:/bin/sh")
		appendLine(t, root, "etc/group", name+":x:"+spG+":")
		if got := decode[int64](t, mustCall(t, e, "user.get_next_uid")); got == next {
			t.Errorf("spelling %q: the next uid is still %d", spU, next)
		}
		if got := decode[int64](t, mustCall(t, e, "group.get_next_gid")); got == nextG {
			t.Errorf("spelling %q: the next gid is still %d", spG, nextG)
		}
		_, err := call(t, e, "user.create", `{"username":"u`+strconv.Itoa(i)+`","uid":`+strconv.FormatInt(next, 10)+`,"group_create":true,`+base+`}`)
		wantErr(t, err, "[EEXIST] user_create.uid: Uid "+strconv.FormatInt(next, 10)+" is already used (user "+name+" has it)")
		_, err = call(t, e, "group.create", `{"name":"g`+strconv.Itoa(i)+`","gid":`+strconv.FormatInt(nextG, 10)+`}`)
		wantErr(t, err, "[EEXIST] group_create.gid: Gid "+strconv.FormatInt(nextG, 10)+" is already used (group "+name+" has it)")
		// An automatic create does not land on it either.
		u := createUser(t, e, `{"username":"a`+strconv.Itoa(i)+`","group_create":true,`+base+`}`)
		if u.UID == next || u.Group.GID == nextG {
			t.Errorf("spelling %q: automatic ids %d/%d took the foreign line's", spU, u.UID, u.Group.GID)
		}
	}
	if n := countUsers(t, e); n != len(idSpellings(t, 0)) {
		t.Fatalf("%d users saved; only the automatic ones should be", n)
	}

	// A primary gid of a passwd line (no group line) is not handed out.
	nextG := decode[int64](t, mustCall(t, e, "group.get_next_gid"))
	appendLine(t, root, "etc/passwd", "orphan:x:0"+strconv.FormatInt(nextG+5000, 10)+":0"+strconv.FormatInt(nextG, 10)+"::/:/bin/sh")
	if got := decode[int64](t, mustCall(t, e, "group.get_next_gid")); got == nextG {
		t.Errorf("the next gid %d is a foreign account's primary group", got)
	}
	_, err := call(t, e, "group.create", `{"name":"orphans","gid":`+strconv.FormatInt(nextG, 10)+`}`)
	wantErr(t, err, "[EEXIST] group_create.gid: Gid "+strconv.FormatInt(nextG, 10)+" is already used (group of user orphan's primary gid has it)")
}

// The socket maps a uid through getpwuid as glibc reads the lines: a
// foreign line before a store user's, in any spelling of its uid, makes
// the uid that foreign account's.
func TestSocketPeerUIDInEverySpelling(t *testing.T) {
	e := openTest(t)
	admins := groupID(t, e, "builtin_administrators")
	ops := createUser(t, e, `{"username":"ops","uid":3000,"full_name":"Ops","group_create":true,"groups":[`+admins+`],"password":"Ops-Pw-1","smb":false}`)
	passwd := filepath.Join(e.Root(), "etc/passwd")
	data, err := os.ReadFile(passwd)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, sp := range idSpellings(t, ops.UID) {
		if err := os.WriteFile(passwd, append([]byte("mallory:x:"+sp+":3000::/home/m:/bin/sh\n"), data...), 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := e.Login(ctx, Caller{UID: ops.UID})
		if err != nil {
			t.Fatal(err)
		}
		if s.authenticated {
			t.Errorf("uid %d is mallory's (%q) on the box, yet the socket authenticates it as ops", ops.UID, sp)
		}
	}
	if err := os.WriteFile(passwd, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if s, err := e.Login(ctx, Caller{UID: ops.UID}); err != nil || !s.authenticated {
		t.Fatalf("ops with its own line: %v", err)
	}
}

// BenchmarkNSSIndex10k builds the index of a 10,000-line etc/passwd (done
// once per version of the file) next to one bytes.Index search of the same
// data (what one text lookup cost before), as the baseline.
func BenchmarkNSSIndex10k(b *testing.B) {
	var sb strings.Builder
	for i := 0; i < 10000; i++ {
		fmt.Fprintf(&sb, "user%d:x:%d:%d:User %d:/mnt/tank/user%d:/usr/bin/zsh\n", i, 3000+i, 3000+i, i, i)
	}
	data := []byte(sb.String())
	b.Run("index", func(b *testing.B) {
		for range b.N {
			_ = newNSSIndex(data, true)
		}
	})
	b.Run("baseline-one-text-search", func(b *testing.B) {
		pat := []byte(":12999:")
		for range b.N {
			_ = bytes.Index(data, pat)
		}
	})
}
