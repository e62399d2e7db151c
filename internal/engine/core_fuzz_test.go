package engine

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// FuzzCoreFieldsReachTheBox is FuzzFieldsReachTheBox on a 13.3 root, with
// CORE's fields: whatever CORE's rules let through (sudo_commands under
// sudo and sudo_nopasswd, the home, the name) is written to the box files
// whole, and whatever they refuse leaves the store as it was. A CORE call
// may also fail with a schema Error or a CallError (CORE raises them
// before saving); nothing else.
func FuzzCoreFieldsReachTheBox(f *testing.F) {
	f.Add("Alice Example", "/mnt/tank/alice", "/usr/bin/id", "staff", "alice", true)
	f.Add("a:b\nroot::0:0::/:/bin/sh", "/mnt/tank/../../usr/local/bin", "/usr/bin/id\nALL ALL=(ALL) NOPASSWD: ALL", "Defaults", "Defaults", false)
	f.Add("x\x00y\r", "/mnt/tank//./", "/usr/bin/id #x, ALL", "User_Alias", "Cmnd_Alias", true)
	f.Add("é\u0085", "/mnt/tank/\t", "/usr/bin/id a=b:c\\,d", "%admins", "Runas_Alias", false)
	f.Add("", "/nonexistent", "  ", "g", "u", true)
	e, err := OpenRelease(f.TempDir(), "13.3")
	if err != nil {
		f.Fatal(err)
	}
	root := e.Root()
	if err := os.MkdirAll(filepath.Join(root, "usr/bin"), 0o755); err == nil {
		_ = os.WriteFile(filepath.Join(root, "usr/bin/id"), []byte("#!/bin/sh\n"), 0o755)
	}
	if err := os.MkdirAll(filepath.Join(root, "mnt/tank"), 0o755); err != nil {
		f.Fatal(err)
	}
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, fullName, home, sudo, group, username string, nopasswd bool) {
		i := n.Add(1)
		before := storeCounts(t, e)
		raw, _ := json.Marshal(map[string]any{
			"username": username, "full_name": fullName, "group_create": true, "password": "pw",
			"smb": false, "home": home, "sudo": true, "sudo_nopasswd": nopasswd, "sudo_commands": []string{sudo},
		})
		res, err := call(t, e, "user.create", string(raw))
		var created *account.UserCreateResult
		if err != nil {
			coreRefusal(t, err, "user.create", raw)
			if after := storeCounts(t, e); after != before {
				t.Fatalf("user.create %s was refused (%v) but the store changed: %v -> %v", raw, err, before, after)
			}
		} else {
			id := decode[int64](t, res)
			u := decode[account.CoreUserEntry](t, mustCall(t, e, "user.get_instance", strconv.FormatInt(id, 10)))
			created = &account.UserCreateResult{}
			created.ID, created.Username, created.Home, created.UID = u.ID, u.Username, u.Home, u.UID
		}
		graw, _ := json.Marshal(map[string]any{"name": group + strconv.FormatInt(i, 10), "sudo": true,
			"sudo_nopasswd": !nopasswd, "sudo_commands": []string{sudo}})
		gres, gerr := call(t, e, "group.create", string(graw))
		if gerr != nil {
			coreRefusal(t, gerr, "group.create", graw)
		}
		var sent string
		b, _ := json.Marshal(fullName)
		_ = json.Unmarshal(b, &sent)
		checkBoxFiles(t, root, created, sent)
		mustCall(t, e, "system.version")
		mustCall(t, e, "user.query", `[["builtin","=",false]]`)
		if created != nil {
			mustCall(t, e, "user.delete", strconv.FormatInt(created.ID, 10), `{"delete_group":true}`)
		}
		if gerr == nil {
			mustCall(t, e, "group.delete", string(gres))
		}
	})
}

// coreRefusal fails t unless err is one of the refusals CORE's methods
// make before saving.
func coreRefusal(t *testing.T, err error, method string, raw []byte) {
	t.Helper()
	var es account.Errors
	var ce *account.CallError
	var se *account.CoreSchemaError
	if !errors.As(err, &es) && !errors.As(err, &ce) && !errors.As(err, &se) {
		t.Fatalf("%s %s: not a refusal CORE makes: %T %v", method, raw, err, err)
	}
	if ce != nil && ce.Errno == account.EFAULT && len(ce.Message) > 8 && ce.Message[:8] == "internal" {
		t.Fatalf("%s %s: %v", method, raw, err)
	}
}
