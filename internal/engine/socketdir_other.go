//go:build !linux

package engine

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
)

// ListenSocket listens on the unix socket path (mode 0666 where the
// system has modes). The descriptor-checked directory walk is Linux's
// (socketdir_linux.go); here the directory is checked by path.
func ListenSocket(path string) (net.Listener, error) {
	dir := filepath.Dir(path)
	if err := checkSocketDir(dir, true); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := checkSocketDir(dir, false); err != nil {
		return nil, err
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket", path)
		}
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			return nil, fmt.Errorf("%s: another server is listening there", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, err
		}
	}
	return listenSocket(path)
}
