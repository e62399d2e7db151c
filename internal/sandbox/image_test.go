package sandbox

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/nasops/terraform-provider-truenas/internal/engine"
)

// TestImageHasTheCommandsOfTrueNAS: the sandbox root has the executables a
// TrueNAS image has, in /usr/bin, /usr/sbin, /bin and /sbin, so that sudo
// rules naming them pass the engine's check as they pass on TrueNAS.
func TestImageHasTheCommandsOfTrueNAS(t *testing.T) {
	root := t.TempDir()
	if err := layOutImage(root); err != nil {
		t.Fatal(err)
	}
	if len(imageExecutables) < 300 {
		t.Fatalf("only %d executables", len(imageExecutables))
	}
	for _, c := range []string{"/usr/bin/df", "/usr/bin/du", "/usr/bin/find", "/bin/ls", "/usr/bin/midclt", "/usr/sbin/zfs", "/sbin/zpool", "/usr/sbin/visudo"} {
		fi, err := os.Stat(filepath.Join(root, c))
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			t.Fatalf("%s: %v %v", c, fi, err)
		}
	}
	// Laying out again keeps what is there.
	if err := layOutImage(root); err != nil {
		t.Fatal(err)
	}
	e, err := engine.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	arg := json.RawMessage(`{"username":"ops","full_name":"O","group_create":true,"password_disabled":true,"smb":false,` +
		`"sudo_commands":["/usr/bin/df","/bin/du -sh /mnt/tank/*","/usr/bin/find"],"sudo_commands_nopasswd":["/usr/sbin/zpool status"]}`)
	if _, err := e.Call(context.Background(), "user.create", []json.RawMessage{arg}); err != nil {
		t.Fatalf("sudo rule of the image's commands: %v", err)
	}
	arg = json.RawMessage(`{"username":"ops2","full_name":"O","group_create":true,"password_disabled":true,"smb":false,"sudo_commands":["/usr/bin/not-on-truenas"]}`)
	if _, err := e.Call(context.Background(), "user.create", []json.RawMessage{arg}); err == nil {
		t.Fatal("a command the image lacks passed")
	}
}
