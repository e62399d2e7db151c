package systemtest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// seedRoot makes a box root that looks like a small Debian box before the
// engine's first run: these entries become the built-in accounts.
func seedRoot(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/bash\n" +
			"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n" +
			"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n" +
			"sshd:x:100:65534::/run/sshd:/usr/sbin/nologin\n",
		"etc/group": "root:x:0:\n" +
			"daemon:x:1:\n" +
			"users:x:100:\n" +
			"nogroup:x:65534:\n",
		"etc/shadow": "root:*:19000:0:99999:7:::\n" +
			"daemon:*:19000:0:99999:7:::\n" +
			"nobody:*:19000:0:99999:7:::\n" +
			"sshd:!:19000::::::\n",
		"etc/shells": "/bin/sh\n/usr/bin/sh\n/bin/bash\n/usr/bin/bash\n",
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, "shadow") {
			mode = 0o640
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func newUser(name string) map[string]any {
	return map[string]any{
		"username":          name,
		"full_name":         "Worker " + name,
		"group_create":      true,
		"password_disabled": true,
		"smb":               false,
		"shell":             "/usr/bin/bash",
	}
}

type dbUser struct {
	ID       int64  `json:"id"`
	UID      int64  `json:"uid"`
	Username string `json:"username"`
	Group    struct {
		GID int64 `json:"bsdgrp_gid"`
	} `json:"group"`
}

type dbGroup struct {
	ID   int64  `json:"id"`
	GID  int64  `json:"gid"`
	Name string `json:"name"`
}

// checkBoxAgrees asserts that the account files under root hold exactly the
// engine's non-built-in accounts next to the untouched seed entries, that
// every line is whole, and that no temporary file is left behind.
func checkBoxAgrees(t testing.TB, root string, seed map[string]bool) []dbUser {
	t.Helper()
	var users []dbUser
	mustCall(t, root, &users, "user.query", []any{[]any{"builtin", "=", false}})
	var groups []dbGroup
	mustCall(t, root, &groups, "group.query", []any{[]any{"builtin", "=", false}})

	passwd := parseColonFile(t, filepath.Join(root, "etc/passwd"), 7)
	shadow := parseColonFile(t, filepath.Join(root, "etc/shadow"), 9)
	group := parseColonFile(t, filepath.Join(root, "etc/group"), 4)

	inDB := map[string]bool{}
	for _, u := range users {
		inDB[u.Username] = true
		p, ok := passwd[u.Username]
		if !ok {
			t.Fatalf("user %s is in the database but not in etc/passwd", u.Username)
		}
		if p[2] != strconv.FormatInt(u.UID, 10) || p[3] != strconv.FormatInt(u.Group.GID, 10) {
			t.Fatalf("etc/passwd has %s as uid %s gid %s; the database says %d/%d", u.Username, p[2], p[3], u.UID, u.Group.GID)
		}
		if _, ok := shadow[u.Username]; !ok {
			t.Fatalf("user %s has no etc/shadow line", u.Username)
		}
	}
	for name := range passwd {
		if !seed["u:"+name] && !inDB[name] {
			t.Fatalf("etc/passwd has %s, which the database does not", name)
		}
	}
	gInDB := map[string]bool{}
	for _, g := range groups {
		gInDB[g.Name] = true
		line, ok := group[g.Name]
		if !ok {
			t.Fatalf("group %s is in the database but not in etc/group", g.Name)
		}
		if line[2] != strconv.FormatInt(g.GID, 10) {
			t.Fatalf("etc/group has %s as gid %s; the database says %d", g.Name, line[2], g.GID)
		}
	}
	for name := range group {
		if !seed["g:"+name] && !gInDB[name] && !isTrueNASBuiltinGroup(name) {
			t.Fatalf("etc/group has %s, which the database does not", name)
		}
	}
	entries, err := os.ReadDir(filepath.Join(root, "etc"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		n := e.Name()
		if n == ".pwd.lock" {
			continue // lckpwdf's lock file, made by the first lock, as on every box
		}
		if strings.Contains(n, "tmp") || strings.HasPrefix(n, ".") {
			t.Fatalf("a temporary file is left in etc/: %s", n)
		}
		// A killed engine leaves its shadow-utils-style lock (and maybe
		// the PID file it links from), as a killed useradd does: stale,
		// so the next lock removes it. A live process's is a leak.
		for _, f := range []string{"passwd", "group", "shadow", "gshadow"} {
			if n == f+".lock" {
				data, _ := os.ReadFile(filepath.Join(root, "etc", n))
				if pidAlive(strings.TrimRight(string(data), "\x00")) {
					t.Fatalf("a live process's lock is left in etc/: %s (%q)", n, data)
				}
			}
			if rest, ok := strings.CutPrefix(n, f+"."); ok && strings.Trim(rest, "0123456789") == "" && pidAlive(rest) {
				t.Fatalf("a live process's lock PID file is left in etc/: %s", n)
			}
		}
	}
	return users
}

// pidAlive says whether pid (decimal) is a live process.
func pidAlive(pid string) bool {
	n, err := strconv.Atoi(pid)
	if err != nil || n <= 0 {
		return false
	}
	return syscall.Kill(n, 0) == nil
}

// isTrueNASBuiltinGroup tells the groups the engine adds to a box that lacks
// them on its first run (they carry TrueNAS's privileges).
func isTrueNASBuiltinGroup(name string) bool {
	switch name {
	case "builtin_administrators", "builtin_users", "builtin_guests",
		"truenas_readonly_administrators", "truenas_sharing_administrators":
		return true
	}
	return false
}

func seedNames(t testing.TB, root string) map[string]bool {
	seed := map[string]bool{}
	for name := range parseColonFile(t, filepath.Join(root, "etc/passwd"), 7) {
		seed["u:"+name] = true
	}
	for name := range parseColonFile(t, filepath.Join(root, "etc/group"), 4) {
		seed["g:"+name] = true
	}
	return seed
}

// TestConcurrentEngines: 8 engine processes create 50 users each at the same
// time; all 400 exist with unique uids, and the files agree with the database.
func TestConcurrentEngines(t *testing.T) {
	root := seedRoot(t)
	seed := seedNames(t, root)
	const workers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan string, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				r := engineCall(t, root, "user.create", newUser(fmt.Sprintf("w%du%02d", w, i)))
				if r.code != 0 {
					errs <- fmt.Sprintf("worker %d user %d: exit %d: %s", w, i, r.code, r.stderr)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if t.Failed() {
		return
	}
	users := checkBoxAgrees(t, root, seed)
	if len(users) != workers*each {
		t.Fatalf("the database has %d users, want %d", len(users), workers*each)
	}
	uids := map[int64]string{}
	for _, u := range users {
		if other, dup := uids[u.UID]; dup {
			t.Fatalf("uid %d is used by both %s and %s", u.UID, other, u.Username)
		}
		uids[u.UID] = u.Username
	}
}

// TestKilledEngineRepairs kills engine processes at random moments during a
// stream of creates, updates and deletes. After each kill the next run
// repairs the box: no partial file, no committed change lost, no half entry.
func TestKilledEngineRepairs(t *testing.T) {
	root := seedRoot(t)
	seed := seedNames(t, root)
	rng := rand.New(rand.NewPCG(1, 2))

	// How long one uninterrupted write takes, to spread the kills over it:
	// the first, then each call that ran to its end, so that the kills
	// keep landing inside a write however the machine's speed drifts.
	start := time.Now()
	mustCall(t, root, nil, "user.create", newUser("probe"))
	span := time.Since(start)

	committed := map[string]bool{"probe": true} // users known to exist
	deleted := map[string]bool{}
	const wantKills, maxRounds = 50, 200
	kills := 0
	for i := 0; kills < wantKills && i < maxRounds; i++ {
		name := fmt.Sprintf("k%03d", i)
		var method string
		var params []any
		switch {
		case i%3 == 2 && len(committed) > 1:
			var victim string
			for n := range committed {
				if n != "probe" {
					victim = n
					break
				}
			}
			var u []dbUser
			mustCall(t, root, &u, "user.query", []any{[]any{"username", "=", victim}})
			if len(u) != 1 {
				t.Fatalf("round %d: committed user %s is gone", i, victim)
			}
			method, params = "user.delete", []any{u[0].ID, map[string]any{"delete_group": true}}
			name = victim
		case i%3 == 1:
			var u []dbUser
			mustCall(t, root, &u, "user.query", []any{[]any{"username", "=", "probe"}})
			method, params = "user.update", []any{u[0].ID, map[string]any{"full_name": fmt.Sprintf("Probe %d", i)}}
		default:
			method, params = "user.create", []any{newUser(name)}
		}
		cargs, stdin := callArgs(params)
		args := append([]string{"--root", root, "call", method}, cargs...)
		cmd := exec.Command(binary, args...)
		cmd.Stdin = bytes.NewReader(stdin)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		began := time.Now()
		delay := time.Duration(rng.Int64N(int64(span) + 1))
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
		select {
		case err = <-done:
			span = time.Since(began)
		case <-time.After(delay):
			_ = cmd.Process.Kill()
			err = <-done
			kills++
		}
		if err == nil { // the call finished: its change is committed
			switch method {
			case "user.create":
				committed[name] = true
			case "user.delete":
				delete(committed, name)
				deleted[name] = true
			}
		}
		users := checkBoxAgrees(t, root, seed)
		have := map[string]bool{}
		for _, u := range users {
			have[u.Username] = true
		}
		if err != nil && method == "user.delete" && !have[name] {
			// Killed after its commit: the delete happened, and a killed
			// call may or may not have committed.
			delete(committed, name)
			deleted[name] = true
		}
		for n := range committed {
			if !have[n] {
				t.Fatalf("round %d: %s was committed (exit 0) but is gone", i, n)
			}
		}
		for n := range deleted {
			if have[n] && !committed[n] {
				t.Fatalf("round %d: %s was deleted (exit 0) but is back", i, n)
			}
		}
	}
	if kills < wantKills {
		t.Fatalf("only %d of %d runs were killed; the test must kill at least %d", kills, maxRounds, wantKills)
	}
}
