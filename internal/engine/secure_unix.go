//go:build unix

package engine

import (
	"fmt"
	"os"
	"syscall"
)

// secureFile makes path a regular file of mode 0600 (created empty when
// missing), never following a symlink at path.
func secureFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("engine: database file %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("engine: database file %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("engine: database file %s is not a regular file", path)
	}
	if fi.Mode().Perm() != 0o600 {
		if err := f.Chmod(0o600); err != nil {
			return fmt.Errorf("engine: database file %s: %w", path, err)
		}
	}
	return nil
}
