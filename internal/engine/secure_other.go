//go:build !unix

package engine

import (
	"fmt"
	"net"
	"os"
)

// secureFile makes path a file of mode 0600 (created empty when missing).
func secureFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("engine: database file %s: %w", path, err)
	}
	return f.Close()
}

// listenSocket binds the unix socket path (no modes on this system).
func listenSocket(path string) (net.Listener, error) { return net.Listen("unix", path) }

// checkSocketDir has no owners to check on this system.
func checkSocketDir(string, bool) error { return nil }
