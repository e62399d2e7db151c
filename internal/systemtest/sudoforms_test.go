package systemtest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/nasops/terraform-provider-truenas/internal/sudoers"
)

type sudoForm struct {
	ok  bool
	cmd string
}

func sudoForms(t *testing.T) []sudoForm {
	f, err := os.Open("../sudoers/testdata/forms.txt")
	must(t, err)
	defer f.Close()
	var out []sudoForm
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		v, cmd, _ := strings.Cut(l, "\t")
		out = append(out, sudoForm{v == "ok", cmd})
	}
	return out
}

// sudoFormsOnTheBox: every accepted form of sudo command, given to a user
// through midclt, is what the real sudo grants that user: sudo -l -U lists
// exactly the command, sudo -l -U USER CMD allows the command as asked and
// refuses it with another argument; every refused form fails the call and
// saves nothing; the drop-in passes the real visudo -c throughout.
func sudoFormsOnTheBox(t *testing.T) {
	visudo := func() {
		t.Helper()
		if out, err := exec.Command("visudo", "-c").CombinedOutput(); err != nil {
			t.Fatalf("visudo -c: %v\n%s", err, out)
		}
	}
	var ids []int64
	for i, f := range sudoForms(t) {
		name := fmt.Sprintf("sf%d", i)
		payload := map[string]any{
			"username": name, "full_name": name, "group_create": true, "home": "/var/empty", "shell": "/usr/bin/bash",
			"password_disabled": true, "smb": false, "sudo_commands": []string{f.cmd},
		}
		if !f.ok {
			stderr := midcltErr(t, "user.create", payload)
			if !strings.Contains(stderr, "user_create.sudo_commands.0") {
				t.Errorf("%q refused without naming the command: %s", f.cmd, stderr)
			}
			if out, err := exec.Command("getent", "passwd", name).CombinedOutput(); err == nil {
				t.Errorf("%q: the refused call saved %s", f.cmd, out)
			}
			continue
		}
		u := rb0(t, payload)
		ids = append(ids, u.ID)
		words, err := sudoers.Split(f.cmd)
		must(t, err)
		out, err := exec.Command("sudo", "-l", "-U", name).CombinedOutput()
		if err != nil {
			t.Fatalf("sudo -l -U %s: %v\n%s", name, err, out)
		}
		_, list, ok := strings.Cut(string(out), "may run the following commands")
		_, list, _ = strings.Cut(list, "\n")
		if got, want := strings.Join(strings.Fields(list), " "), "(ALL) "+sudoers.Render(words); !ok || got != want {
			t.Errorf("%q: sudo -l lists %q, want %q", f.cmd, got, want)
		}
		if strings.ContainsAny(f.cmd, "*?[") || strings.HasSuffix(words[0], "/") {
			continue // a pattern: sudo matches it by fnmatch
		}
		allowed := func(argv ...string) bool {
			return exec.Command("sudo", append([]string{"-l", "-U", name, "--"}, argv...)...).Run() == nil
		}
		switch {
		case words[0] == sudoers.All:
			if !allowed("/usr/bin/id") || !allowed("/usr/bin/echo", "x") {
				t.Errorf("%q: ALL does not allow every command", f.cmd)
			}
		case len(words) == 2 && words[1] == "":
			if !allowed(words[0]) || allowed(words[0], "x") {
				t.Errorf("%q: not exactly the command without arguments", f.cmd)
			}
		default:
			if !allowed(words...) {
				t.Errorf("%q: sudo does not allow %q", f.cmd, words)
			}
			if len(words) > 1 && allowed(append(words, "EXTRA")...) {
				t.Errorf("%q: sudo allows %q with another argument", f.cmd, words)
			}
			if len(words) > 1 && allowed(words[0]) {
				t.Errorf("%q: sudo allows %s without the arguments", f.cmd, words[0])
			}
		}
		visudo()
	}
	for _, id := range ids {
		mustMidclt(t, nil, "user.delete", id, map[string]any{"delete_group": true})
	}
	visudo()
}

func rb0(t *testing.T, payload map[string]any) createdUser {
	t.Helper()
	var u createdUser
	mustMidclt(t, &u, "user.create", payload)
	return u
}
