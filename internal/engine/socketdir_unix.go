//go:build unix && !linux

package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// checkSocketDir refuses a socket directory that another user could
// change: each component of dir, as written and as its symlinks resolve,
// must be owned by root or by this process's user and not writable by
// group or others, sticky or not (not /tmp). Linux checks on descriptors
// instead (socketdir_linux.go). A component that does not exist
// yet is accepted when missingOK (it is made by this process).
func checkSocketDir(dir string, missingOK bool) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	paths := []string{abs}
	if real, err := filepath.EvalSymlinks(abs); err == nil && real != abs {
		paths = append(paths, real)
	} else if err != nil && !(missingOK && errors.Is(err, fs.ErrNotExist)) {
		return fmt.Errorf("socket directory %s: %w", dir, err)
	}
	me := uint32(os.Geteuid())
	for _, p := range paths {
		for cur := p; ; cur = filepath.Dir(cur) {
			fi, err := os.Lstat(cur)
			switch {
			case err != nil && missingOK && errors.Is(err, fs.ErrNotExist):
			case err != nil:
				return fmt.Errorf("socket directory %s: %w", dir, err)
			case fi.Mode()&fs.ModeSymlink != 0:
				// Its target is checked through the resolved path.
			default:
				st, ok := fi.Sys().(*syscall.Stat_t)
				if !ok {
					return fmt.Errorf("socket directory %s: cannot read the owner of %s", dir, cur)
				}
				if st.Uid != 0 && st.Uid != me {
					return fmt.Errorf("socket directory %s: %s is owned by uid %d, not by root: choose a --socket in a directory only root can change", dir, cur, st.Uid)
				}
				if fi.Mode().Perm()&0o022 != 0 {
					// Sticky or not: in sticky /tmp any user may bind
					// the name first.
					return fmt.Errorf("socket directory %s: %s is writable by group or others (mode %v): choose a --socket in a directory only root can change", dir, cur, fi.Mode().Perm())
				}
			}
			if cur == filepath.Dir(cur) {
				break
			}
		}
	}
	return nil
}
