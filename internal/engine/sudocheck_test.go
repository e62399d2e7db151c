package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

func needVisudo(t *testing.T) {
	t.Helper()
	for _, p := range []string{"/usr/sbin/visudo", "/usr/bin/visudo", "/sbin/visudo"} {
		if _, err := os.Stat(p); err == nil {
			return
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("visudo is missing (scripts/deps.sh installs sudo)")
	}
	t.Skip("visudo is missing")
}

// TestSudoRefusalSavesNothing: an account whose stored rules the box's
// sudo cannot hold (as an older engine stored them: sudoedit with a path,
// which today's rules refuse) fails a call that changes it with a
// validation error naming sudo_commands, before the save: nothing is
// stored, the box is unchanged. Calls about other accounts are not held
// back by it, and a call that gives it good rules repairs it.
func TestSudoRefusalSavesNothing(t *testing.T) {
	needVisudo(t)
	e := openTest(t)
	root := e.Root()
	sam := createUser(t, e, `{"username":"sam","full_name":"S","group_create":true,"password_disabled":true,"smb":false,"sudo_commands":["ALL"]}`)
	if _, err := e.db.Exec(`UPDATE users SET sudo_commands = '["/usr/bin/sudoedit /etc/hosts"]' WHERE id = ?`, sam.ID); err != nil {
		t.Fatal(err)
	}
	// As an older engine left it: no change of the box pending.
	if _, err := e.db.Exec(`DELETE FROM box_dirty WHERE generation > (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'generation')`); err != nil {
		t.Fatal(err)
	}
	expectRefused := func(attr string, method string, args ...string) {
		t.Helper()
		before := boxSnapshot(t, root)
		gen, _ := e.storeGeneration(t.Context(), e.db)
		_, err := call(t, e, method, args...)
		errs, ok := err.(account.Errors)
		if !ok || len(errs) != 1 || errs[0].Attribute != attr || !strings.Contains(errs[0].Message, "nothing was saved") {
			t.Fatalf("%s: want one validation error on %s, got %#v", method, attr, err)
		}
		if strings.Contains(err.Error(), "was saved but") {
			t.Fatalf("%s: %v", method, err)
		}
		if after, _ := e.storeGeneration(t.Context(), e.db); after != gen {
			t.Fatalf("%s: the store moved from generation %s to %s", method, gen, after)
		}
		if boxSnapshot(t, root) != before {
			t.Fatalf("%s: the box changed", method)
		}
	}
	expectRefused("user_update.sudo_commands", "user.update", itoa(sam.ID), `{"full_name":"Sam"}`)
	got := decode[[]account.UserEntry](t, mustCall(t, e, "user.query", `[["username","=","sam"]]`))
	if len(got) != 1 || got[0].FullName != "S" {
		t.Fatalf("sam after the refused update: %+v", got)
	}
	// Another account's change goes through; sam's rules stay out of the
	// drop-in (the apply leaves them out), its old rule still there.
	createUser(t, e, `{"username":"tom","full_name":"T","group_create":true,"password_disabled":true,"smb":false,"sudo_commands":["ALL"]}`)
	drop, err := os.ReadFile(filepath.Join(root, "etc/sudoers.d/truenas-engine"))
	if err != nil || !strings.Contains(string(drop), "# tom\n") || strings.Contains(string(drop), "# sam\n") || strings.Contains(string(drop), "sudoedit") {
		t.Fatalf("drop-in: %q %v", drop, err)
	}
	// Good rules repair sam.
	mustCall(t, e, "user.update", itoa(sam.ID), `{"sudo_commands":["ALL"]}`)
	if drop, _ := os.ReadFile(filepath.Join(root, "etc/sudoers.d/truenas-engine")); !strings.Contains(string(drop), "# sam\n") {
		t.Fatalf("drop-in: %s", drop)
	}
}
