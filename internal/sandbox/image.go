package sandbox

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ImageCommands are executables of the TrueNAS 25.10 image that sudo rules
// name (the README recommends sudo_commands = ["/usr/bin/midclt"]). The
// account rules check that a sudo command's path exists and is executable
// on the box (plugins/account.py:137 validate_sudo_commands, a glob), so the
// sandbox root carries them; without them a realistic rule fails with
// "No paths matching ... exist" in the sandbox and works on TrueNAS.
var ImageCommands = []string{
	"/usr/bin/midclt", "/usr/bin/cli", "/usr/bin/id", "/usr/bin/ls", "/usr/bin/cat", "/usr/bin/systemctl",
	"/usr/bin/journalctl", "/usr/bin/rsync", "/usr/bin/docker", "/usr/bin/sh", "/usr/bin/bash", "/usr/bin/zsh",
	"/usr/sbin/zfs", "/usr/sbin/zpool", "/usr/sbin/smartctl", "/usr/sbin/nologin",
}

// standIn is the content of each stand-in: the sandbox never runs a
// command (its SSH server runs only midclt, in process), and a stand-in
// run by hand says what it is and fails.
const standIn = "#!/bin/sh\necho \"%s: a stand-in of the TrueNAS sandbox; nothing was run\" >&2\nexit 1\n"

// layOutImage gives an empty box root the command paths of ImageCommands.
// What the root already has is kept; it never writes through a symbolic
// link (every folder on the way is checked to be a real folder under root).
func layOutImage(root string) error {
	for _, cmd := range ImageCommands {
		if err := placeStandIn(root, cmd); err != nil {
			return fmt.Errorf("sandbox: lay out %s: %w", cmd, err)
		}
	}
	return nil
}

func placeStandIn(root, cmd string) error {
	rel := strings.Split(strings.TrimPrefix(filepath.Clean(cmd), "/"), "/")
	dir := root
	for _, part := range rel[:len(rel)-1] {
		dir = filepath.Join(dir, part)
		fi, err := os.Lstat(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := os.Mkdir(dir, 0o755); err != nil {
				return err
			}
		case err != nil:
			return err
		case !fi.IsDir():
			return nil // a link or a file where a folder would be: leave the root as it is
		}
	}
	path := filepath.Join(dir, rel[len(rel)-1])
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(f, standIn, cmd); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
