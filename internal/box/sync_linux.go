//go:build linux

package box

import "golang.org/x/sys/unix"

// syncFilesystems makes everything written on the filesystems of the
// given open descriptors durable: one syncfs(2) each. (Descriptors, not
// paths: a path in a home may have become a fifo, which open would wait
// on.)
func syncFilesystems(fds map[uint64]int) error {
	for _, fd := range fds {
		syncs.Add(1)
		if err := unix.Syncfs(fd); err != nil {
			return err
		}
	}
	return nil
}
