package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nasops/terraform-provider-truenas/internal/box"
)

// 40 concurrent user.create on one engine, one of them invalid: every
// valid one is saved and on the box, the invalid one alone fails with its
// own error, and the changes shared applies (fewer box passes than calls).
func TestGroupCommit(t *testing.T) {
	e := openTest(t)
	passes := func() int64 { return e.fullPasses.Load() + e.incrementalPasses.Load() }
	before := passes()
	const n = 40
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("g%02d", i)
			if i == 17 {
				name = "bad:name"
			}
			_, errs[i] = call(t, e, "user.create", `{"username":"`+name+`","full_name":"G","group_create":true,"password_disabled":true,"smb":false}`)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if (err != nil) != (i == 17) {
			t.Errorf("call %d: %v", i, err)
		}
	}
	if errs[17] == nil || !strings.Contains(errs[17].Error(), "username") {
		t.Fatalf("the invalid call's error: %v", errs[17])
	}
	if c := decode[int](t, mustCall(t, e, "user.query", `[["builtin","=",false]]`, `{"count":true}`)); c != n-1 {
		t.Fatalf("the store has %d users, want %d", c, n-1)
	}
	passwd, _ := os.ReadFile(filepath.Join(e.Root(), "etc/passwd"))
	shadow, _ := os.ReadFile(filepath.Join(e.Root(), "etc/shadow"))
	for i := range n {
		if i == 17 {
			continue
		}
		name := fmt.Sprintf("g%02d:", i)
		if !strings.Contains("\n"+string(passwd), "\n"+name) || !strings.Contains("\n"+string(shadow), "\n"+name) {
			t.Fatalf("%s is not on the box:\n%s", name, passwd)
		}
	}
	if p := passes() - before; p >= n-1 {
		t.Fatalf("%d box passes for %d calls: the changes were not grouped", p, n-1)
	} else {
		t.Logf("%d calls, %d box passes", n, p)
	}
}

// A held lock fails every change of the group, and saves none.
func TestGroupCommitLockHeld(t *testing.T) {
	old := box.LockTimeout
	box.LockTimeout = 200 * time.Millisecond
	t.Cleanup(func() { box.LockTimeout = old })
	e := openTest(t)
	lock := filepath.Join(e.Root(), "etc/passwd.lock")
	must(t, os.WriteFile(lock, []byte("1\x00"), 0o600)) // init: always alive
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = call(t, e, "group.create", fmt.Sprintf(`{"name":"lg%d","smb":false}`, i))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "/etc/passwd.lock") {
			t.Errorf("call %d: %v", i, err)
		}
	}
	if c := decode[int](t, mustCall(t, e, "group.query", `[["name","^","lg"]]`, `{"count":true}`)); c != 0 {
		t.Fatalf("%d groups saved while the lock was held", c)
	}
}
