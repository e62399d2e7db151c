//go:build unix && !linux

package box

import "syscall"

// syncFilesystems makes everything written durable. Without syncfs(2) this
// is one sync(2).
func syncFilesystems(fds map[uint64]int) error {
	if len(fds) > 0 {
		syncs.Add(1)
		syscall.Sync()
	}
	return nil
}
