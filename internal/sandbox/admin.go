package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/nasops/terraform-provider-truenas/internal/engine"
)

// AdminPasswordFile is the file in the sandbox folder that holds root's
// password (mode 0600).
const AdminPasswordFile = "root.password"

// setUpAdmin gives the box the local administrator every installed TrueNAS
// has: on first boot TrueNAS sets up root or truenas_admin with a password
// (user.setup_local_administrator), and it refuses to delete or lock the
// last administrator with a usable password. The sandbox does the same for
// root on its first start, with a random password that it keeps in
// AdminPasswordFile so that auth.login_ex can be tried with it.
func (s *Sandbox) setUpAdmin() error {
	file := filepath.Join(s.Dir, AdminPasswordFile)
	if _, err := os.Stat(file); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sandbox: %v", err)
	}
	password := engine.RandomString(24)
	if s.core() {
		// CORE has no user.setup_local_administrator: its installer sets
		// root's password, which user.update does here.
		var roots []struct{ ID int64 }
		if err := s.engineCall(&roots, "user.query", [][]any{{"username", "=", "root"}}); err != nil {
			return err
		}
		if len(roots) != 1 {
			return fmt.Errorf("sandbox: the box has %d root users", len(roots))
		}
		if err := s.engineCall(nil, "user.update", roots[0].ID, map[string]any{"password": password}); err != nil {
			return err
		}
		return writeFile(file, []byte(password+"\n"), 0o600)
	}
	if err := s.engineCall(nil, "user.setup_local_administrator", "root", password); err != nil {
		if strings.Contains(err.Error(), "already set up") {
			return nil // a root folder kept from before, with its administrator
		}
		return err
	}
	return writeFile(file, []byte(password+"\n"), 0o600)
}

// engineCall runs one method on the sandbox's engine with the arguments on
// stdin, as a client would.
func (s *Sandbox) engineCall(into any, method string, params ...any) error {
	e, err := engine.Open(s.Root)
	if err != nil {
		return fmt.Errorf("sandbox: %v", err)
	}
	defer e.Close()
	args := make([]json.RawMessage, len(params))
	for i, p := range params {
		if args[i], err = json.Marshal(p); err != nil {
			return err
		}
	}
	res, err := e.Call(context.Background(), method, args)
	if err != nil {
		return fmt.Errorf("sandbox: %s failed: %v", method, err)
	}
	if into == nil {
		return nil
	}
	return json.Unmarshal(res, into)
}

// core says the sandbox's root answers as a CORE release.
func (s *Sandbox) core() bool {
	e, err := engine.Open(s.Root)
	if err != nil {
		return false
	}
	defer e.Close()
	return e.Release().Core()
}
