//go:build unix

package box

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Lock takes an exclusive flock on <root>/var/db/truenas-engine/.lock,
// creating the folders and the file as needed, and blocks until it has it.
// Every call opens its own file description, so Lock serialises both
// separate engine processes and goroutines of one process. Then it takes
// the locks shadow-utils takes (lckpwdf's etc/.pwd.lock, and the
// "<file>.lock" links of passwd, group, gshadow and shadow), waiting at
// most LockTimeout for another program to release them; when it cannot,
// it returns a *LockError naming the lock and holds nothing. Apply under
// Lock reads and writes the account files under these locks. The
// returned unlock releases all of it; it is safe to call more than once.
func Lock(root string) (unlock func(), err error) {
	dir := filepath.Join(root, stateDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(root, LockFile), os.O_RDWR|os.O_CREATE|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	acct, err := lockAccountFiles(root)
	if err != nil {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
		return nil, err
	}
	markHeld(root, 1)
	done := false
	return func() {
		if done {
			return
		}
		done = true
		markHeld(root, -1)
		acct.release()
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
