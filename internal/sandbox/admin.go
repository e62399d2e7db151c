package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
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
	args := []string{"engine", "--root", s.Root, "call", method}
	var stdin bytes.Buffer
	for _, p := range params {
		b, err := json.Marshal(p)
		if err != nil {
			return err
		}
		stdin.Write(b)
		stdin.WriteByte('\n')
		args = append(args, "-")
	}
	var stdout, stderr bytes.Buffer
	if code := s.opts.Engine(args, &stdin, &stdout, &stderr); code != 0 {
		return fmt.Errorf("sandbox: %s failed (exit %s): %s", method, strconv.Itoa(code), bytes.TrimSpace(stderr.Bytes()))
	}
	if into == nil {
		return nil
	}
	return json.Unmarshal(stdout.Bytes(), into)
}
