package engine

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nasops/terraform-provider-truenas/internal/box"
)

// A shadow-utils lock held for longer than box.LockTimeout fails the call
// with an error naming the lock, and nothing is saved: neither the store
// nor the box has the user. Once the lock is gone the same call works.
func TestCallFailsOnHeldLock(t *testing.T) {
	old := box.LockTimeout
	box.LockTimeout = 300 * time.Millisecond
	t.Cleanup(func() { box.LockTimeout = old })
	e := openTest(t)
	mustCall(t, e, "user.create", `{"username":"alice","full_name":"A","group_create":true,"password_disabled":true,"smb":false}`)
	users := countUsers(t, e)
	passwd, _ := os.ReadFile(filepath.Join(e.Root(), "etc/passwd"))

	sleeper := exec.Command("sleep", "30")
	must(t, sleeper.Start())
	defer func() { sleeper.Process.Kill(); sleeper.Wait() }()
	lock := filepath.Join(e.Root(), "etc/shadow.lock")
	must(t, os.WriteFile(lock, []byte(strconv.Itoa(sleeper.Process.Pid)+"\x00"), 0o600))

	_, err := call(t, e, "user.create", `{"username":"bob","full_name":"B","group_create":true,"password_disabled":true,"smb":false}`)
	if err == nil || !strings.Contains(err.Error(), "/etc/shadow.lock") || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("user.create with etc/shadow.lock held = %v; want an error naming the lock", err)
	}
	if n := countUsers(t, e); n != users {
		t.Fatalf("the store has %d users after the failed call, want %d", n, users)
	}
	if now, _ := os.ReadFile(filepath.Join(e.Root(), "etc/passwd")); string(now) != string(passwd) {
		t.Fatalf("etc/passwd changed:\n%s", now)
	}
	must(t, os.Remove(lock))
	mustCall(t, e, "user.create", `{"username":"bob","full_name":"B","group_create":true,"password_disabled":true,"smb":false}`)
	if now, _ := os.ReadFile(filepath.Join(e.Root(), "etc/passwd")); !strings.Contains(string(now), "\nbob:x:") {
		t.Fatalf("bob is not in etc/passwd:\n%s", now)
	}
}
