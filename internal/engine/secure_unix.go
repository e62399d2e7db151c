//go:build unix

package engine

import (
	"fmt"
	"net"
	"os"
	"sync"
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

// listenSocket binds the unix socket path with mode 0666 without a chmod by
// path (which would follow a symlink swapped in after the bind): the bind
// itself creates it so, under umask 0111. The umask is the process's: the
// caller binds before it starts anything else that creates files.
func listenSocket(path string) (net.Listener, error) {
	socketUmask.Lock()
	defer socketUmask.Unlock()
	old := syscall.Umask(0o111)
	defer syscall.Umask(old)
	return net.Listen("unix", path)
}

var socketUmask sync.Mutex
