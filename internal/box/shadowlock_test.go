//go:build linux

package box

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func shortLockTimeout(t *testing.T) {
	old := LockTimeout
	LockTimeout = 300 * time.Millisecond
	t.Cleanup(func() { LockTimeout = old })
}

// etcSnapshot is the content of every account file under root.
func etcSnapshot(t *testing.T, root string) string {
	var b strings.Builder
	for _, f := range []string{PasswdFile, GroupFile, ShadowFile, GShadowFile} {
		data, _ := os.ReadFile(filepath.Join(root, f))
		b.WriteString(f + "\n" + string(data))
	}
	return b.String()
}

func lockRoot(t *testing.T) (string, State) {
	root := t.TempDir()
	writeFile(t, root, PasswdFile, "root:x:0:0:root:/root:/bin/bash\n")
	writeFile(t, root, GroupFile, "root:x:0:\n")
	writeFile(t, root, ShadowFile, "root:*:19000:0:99999:7:::\n")
	writeFile(t, root, GShadowFile, "root:*::\n")
	st := State{Users: []User{{Name: "alice", UID: 3000, GID: 3000, Home: "/var/empty", Shell: "/bin/sh", Hash: "*"}},
		Groups: []Group{{Name: "alice", GID: 3000}}}
	return root, st
}

func writeFile(t *testing.T, root, name, content string) {
	t.Helper()
	p := filepath.Join(root, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o640); err != nil {
		t.Fatal(err)
	}
}

// A "<file>.lock" of a live process (as useradd leaves it while it
// works) holds Apply off; after LockTimeout it fails naming the lock and
// has changed nothing. Once the lock is gone, Apply goes through.
func TestLockHeldByLiveProcess(t *testing.T) {
	shortLockTimeout(t)
	for _, f := range []string{"passwd", "group", "gshadow", "shadow"} {
		t.Run(f, func(t *testing.T) {
			root, st := lockRoot(t)
			sleeper := exec.Command("sleep", "30")
			if err := sleeper.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { sleeper.Process.Kill(); sleeper.Wait() }()
			pid := strconv.Itoa(sleeper.Process.Pid)
			writeFile(t, root, "etc/"+f+".lock", pid+"\x00")
			before := etcSnapshot(t, root)
			start := time.Now()
			_, err := ApplyResult(root, st)
			var le *LockError
			if !errors.As(err, &le) || le.Lock != "etc/"+f+".lock" || le.PID != sleeper.Process.Pid {
				t.Fatalf("ApplyResult = %v; want a LockError for etc/%s.lock held by %s", err, f, pid)
			}
			if !strings.Contains(err.Error(), "/etc/"+f+".lock") || !strings.Contains(err.Error(), pid) || !strings.Contains(err.Error(), "nothing was changed") {
				t.Fatalf("the error does not name the lock, its holder and that nothing changed: %v", err)
			}
			if d := time.Since(start); d < LockTimeout {
				t.Fatalf("gave up after %v, before LockTimeout %v", d, LockTimeout)
			}
			if etcSnapshot(t, root) != before {
				t.Fatal("the account files changed although the lock was not taken")
			}
			// The other locks taken meanwhile are all released.
			for _, g := range []string{"passwd", "group", "gshadow", "shadow"} {
				if _, err := os.Lstat(filepath.Join(root, "etc", g+".lock")); (err == nil) != (g == f) {
					t.Fatalf("etc/%s.lock: %v", g, err)
				}
			}
			must(t, os.Remove(filepath.Join(root, "etc", f+".lock")))
			if _, err := ApplyResult(root, st); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(etcSnapshot(t, root), "alice:x:3000:3000") {
				t.Fatal("alice was not written once the lock was free")
			}
		})
	}
}

// A lock whose process is gone is stale: it is removed (with the PID file
// it was linked from) and taken, as shadow-utils does.
func TestStaleLockTaken(t *testing.T) {
	shortLockTimeout(t)
	root, st := lockRoot(t)
	dead := exec.Command("true")
	must(t, dead.Run())
	pid := strconv.Itoa(dead.Process.Pid)
	writeFile(t, root, "etc/shadow.lock", pid+"\x00")
	writeFile(t, root, "etc/shadow."+pid, pid+"\x00")
	if _, err := ApplyResult(root, st); err != nil {
		t.Fatalf("a stale lock held Apply off: %v", err)
	}
	for _, n := range []string{"shadow.lock", "shadow." + pid, "passwd.lock", "passwd." + strconv.Itoa(os.Getpid())} {
		if _, err := os.Lstat(filepath.Join(root, "etc", n)); err == nil {
			t.Fatalf("etc/%s is left", n)
		}
	}
	if !strings.Contains(etcSnapshot(t, root), "alice:!::\n") {
		t.Fatal("alice's gshadow line was not written")
	}
}

// A lock without a PID, or with one that is not a number, is not stale
// for shadow-utils (it stops there too): Apply fails saying so.
func TestLockWithoutPID(t *testing.T) {
	shortLockTimeout(t)
	for content, why := range map[string]string{"": "holds no PID", "abc\x00": `invalid PID "abc"`} {
		root, st := lockRoot(t)
		writeFile(t, root, "etc/group.lock", content)
		before := etcSnapshot(t, root)
		_, err := ApplyResult(root, st)
		var le *LockError
		if !errors.As(err, &le) || le.Lock != "etc/group.lock" || !strings.Contains(err.Error(), why) {
			t.Fatalf("lock %q: ApplyResult = %v; want a LockError saying it %s", content, err, why)
		}
		if etcSnapshot(t, root) != before {
			t.Fatal("the account files changed")
		}
	}
}

// lckpwdf's fcntl lock on etc/.pwd.lock, taken by another process as
// glibc does (F_SETLKW), holds Lock and Apply off until it is released.
func TestPwdLockHeld(t *testing.T) {
	shortLockTimeout(t)
	root, st := lockRoot(t)
	holder := exec.Command(os.Args[0], "-test.run=^TestPwdLockHolder$")
	holder.Env = append(os.Environ(), "PWDLOCK_FILE="+filepath.Join(root, "etc/.pwd.lock"))
	stdin, err := holder.StdinPipe()
	must(t, err)
	stdout, err := holder.StdoutPipe()
	must(t, err)
	must(t, holder.Start())
	buf := make([]byte, 6)
	if _, err := io.ReadFull(stdout, buf); err != nil || string(buf) != "locked" {
		t.Fatalf("the lock holder said %q: %v", buf, err)
	}
	before := etcSnapshot(t, root)
	var le *LockError
	if _, err := Lock(root); !errors.As(err, &le) || le.Lock != "etc/.pwd.lock" || le.PID != holder.Process.Pid {
		t.Fatalf("Lock = %v; want a LockError for etc/.pwd.lock held by %d", err, holder.Process.Pid)
	}
	if _, err := ApplyResult(root, st); !errors.As(err, &le) || le.Lock != "etc/.pwd.lock" {
		t.Fatalf("ApplyResult = %v; want a LockError for etc/.pwd.lock", err)
	}
	if etcSnapshot(t, root) != before {
		t.Fatal("the account files changed")
	}
	stdin.Close() // the holder exits, and its lock goes with it
	holder.Wait()
	unlock, err := Lock(root)
	must(t, err)
	// Under Lock, Apply does not take the locks again: it goes through.
	if _, err := ApplyResult(root, st); err != nil {
		t.Fatal(err)
	}
	unlock()
	if _, err := os.Lstat(filepath.Join(root, "etc/passwd.lock")); err == nil {
		t.Fatal("unlock left etc/passwd.lock")
	}
}

// TestPwdLockHolder is TestPwdLockHeld's other process: it takes the
// lock as lckpwdf does, says so and holds it until stdin closes.
func TestPwdLockHolder(t *testing.T) {
	p := os.Getenv("PWDLOCK_FILE")
	if p == "" {
		t.Skip("run by TestPwdLockHeld")
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE, 0o600)
	must(t, err)
	lk := unix.Flock_t{Type: unix.F_WRLCK}
	must(t, unix.FcntlFlock(f.Fd(), unix.F_SETLKW, &lk))
	os.Stdout.WriteString("locked")
	io.Copy(io.Discard, os.Stdin)
}
