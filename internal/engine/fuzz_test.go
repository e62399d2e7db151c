package engine

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// FuzzFieldsReachTheBox feeds random field values to user.create and
// group.create on a real engine and root. Each call is either refused
// before anything is saved, or leaves account files that parse, with the
// value only in its own field; and the engine answers afterwards.
func FuzzFieldsReachTheBox(f *testing.F) {
	f.Add("Alice Example", "/mnt/tank", "/usr/bin/id", "staff", "ALL")
	f.Add("a:b\nroot::0:0::/:/bin/sh", "/mnt/tank/../../usr/local/bin", "/usr/bin/id\nALL ALL=(ALL) NOPASSWD: ALL", "Defaults", "Defaults")
	f.Add("x\x00y\r", "/mnt/tank//./", "/usr/bin/id #x, ALL", "User_Alias", "Cmnd_Alias")
	f.Add("é\u0085", "/mnt/tank/\t", "ALL", "%admins", "Runas_Alias")
	e, err := Open(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	root := e.Root()
	if err := os.MkdirAll(filepath.Join(root, "usr/bin"), 0o755); err == nil {
		_ = os.WriteFile(filepath.Join(root, "usr/bin/id"), []byte("#!/bin/sh\n"), 0o755)
	}
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, fullName, home, sudo, group, username string) {
		i := n.Add(1)
		before := storeCounts(t, e)
		payload := map[string]any{
			"username": username, "full_name": fullName, "group_create": true, "password": "pw",
			"smb": false, "home": home, "home_create": true, "sudo_commands_nopasswd": []string{sudo},
		}
		raw, _ := json.Marshal(payload)
		res, err := call(t, e, "user.create", string(raw))
		var created *account.UserCreateResult
		if err != nil {
			if _, ok := err.(account.Errors); !ok {
				t.Fatalf("user.create %s: not a validation error: %v", raw, err)
			}
			if after := storeCounts(t, e); after != before {
				t.Fatalf("user.create %s was refused (%v) but the store changed: %v -> %v", raw, err, before, after)
			}
		} else {
			u := decode[account.UserCreateResult](t, res)
			created = &u
		}
		graw, _ := json.Marshal(map[string]any{"name": group + strconv.FormatInt(i, 10), "sudo_commands": []string{sudo}})
		gres, gerr := call(t, e, "group.create", string(graw))
		if gerr != nil {
			if _, ok := gerr.(account.Errors); !ok {
				t.Fatalf("group.create %s: not a validation error: %v", graw, gerr)
			}
		}
		// The value as the engine received it (JSON makes invalid UTF-8
		// U+FFFD).
		var sent string
		b, _ := json.Marshal(fullName)
		_ = json.Unmarshal(b, &sent)
		checkBoxFiles(t, root, created, sent)
		mustCall(t, e, "system.version")
		mustCall(t, e, "user.query", `[["builtin","=",false]]`)
		// Keep the box small for the next input.
		if created != nil {
			mustCall(t, e, "user.delete", strconv.FormatInt(created.ID, 10), `{"delete_group":true}`)
		}
		if gerr == nil {
			var id int64
			_ = json.Unmarshal(gres, &id)
			mustCall(t, e, "group.delete", strconv.FormatInt(id, 10))
		}
	})
}

// storeCounts counts users and groups in the store.
func storeCounts(t *testing.T, e *Engine) [2]int {
	t.Helper()
	var c [2]int
	if err := e.db.QueryRow(`SELECT (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM groups)`).Scan(&c[0], &c[1]); err != nil {
		t.Fatal(err)
	}
	return c
}

var sudoersLine = regexp.MustCompile(`^(# .*|#[0-9]+ ALL=\(ALL\) .*|%#[0-9]+ ALL=\(ALL\) .*)$`)

// checkBoxFiles parses passwd, group and the sudoers drop-in: every line
// has its number of fields, the created user's line holds fullName in the
// GECOS field and its home in the home field, and every sudoers line is a
// comment or a rule that names an account by id.
func checkBoxFiles(t *testing.T, root string, u *account.UserCreateResult, fullName string) {
	t.Helper()
	for file, fields := range map[string]int{"etc/passwd": 7, "etc/group": 4, "etc/shadow": 9} {
		data, err := os.ReadFile(filepath.Join(root, file))
		if err != nil {
			t.Fatal(err)
		}
		found := u == nil || file != "etc/passwd"
		for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
			if l == "" && len(data) == 0 {
				continue
			}
			f := strings.Split(l, ":")
			if len(f) != fields {
				t.Fatalf("%s: line %q has %d fields", file, l, len(f))
			}
			if u != nil && file == "etc/passwd" && f[0] == u.Username {
				if f[4] != fullName || f[5] != u.Home || f[2] != strconv.FormatInt(u.UID, 10) {
					t.Fatalf("passwd line %q does not hold the user's values (full name %q, home %q)", l, fullName, u.Home)
				}
				found = true
			}
		}
		if !found {
			t.Fatalf("%s has no line for %q", file, u.Username)
		}
	}
	data, err := os.ReadFile(filepath.Join(root, "etc/sudoers.d/truenas-engine"))
	if err != nil {
		return // no rule
	}
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if !sudoersLine.MatchString(l) {
			t.Fatalf("sudoers line %q is neither a comment nor a rule by id", l)
		}
	}
}
