//go:build !unix

package engine

import (
	"fmt"
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
