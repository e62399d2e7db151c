//go:build linux

package box

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncFilesystems makes everything written on the filesystems holding the
// given paths durable: one syncfs(2) each.
func syncFilesystems(paths map[uint64]string) error {
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		err = unix.Syncfs(int(f.Fd()))
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
