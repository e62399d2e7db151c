package sandbox

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ImageCommands are the executables of a TrueNAS 25.10 image, in /usr/bin
// and /usr/sbin and, as the image is usrmerge'd, in /bin and /sbin
// (image_commands.go, from scripts/image-commands.sh). The account rules
// check that a sudo command's path exists and is executable on the box
// (plugins/account.py:137 validate_sudo_commands, a glob), so the sandbox
// root carries their names; without them a realistic rule (df, du, find,
// midclt...) fails with "No paths matching ... exist" in the sandbox and
// works on TrueNAS.
func ImageCommands() []string {
	out := make([]string, 0, 2*len(imageExecutables))
	for _, c := range imageExecutables {
		out = append(out, c, strings.TrimPrefix(c, "/usr"))
	}
	return out
}

// standIn is the content of each stand-in: the sandbox never runs a
// command (its SSH server runs only midclt, in process), and a stand-in
// run by hand says what it is and fails.
const standIn = "#!/bin/sh\necho \"$0: a stand-in of the TrueNAS sandbox; nothing was run\" >&2\nexit 1\n"

// layOutImage gives an empty box root the command paths of
// ImageCommands, each a hard link of one stand-in per folder. What the
// root already has is kept; it never writes through a symbolic link (every
// folder on the way is checked to be a real folder under root).
func layOutImage(root string) error {
	firsts := map[string]string{} // folder -> its first stand-in
	for _, cmd := range ImageCommands() {
		dir := filepath.Dir(cmd)
		first, err := placeStandIn(root, cmd, firsts[dir])
		if err != nil {
			return fmt.Errorf("sandbox: lay out %s: %w", cmd, err)
		}
		if firsts[dir] == "" {
			firsts[dir] = first
		}
	}
	return nil
}

// placeStandIn places cmd under root, as a hard link of link when it is
// set, and returns the path it placed ("" when it placed none).
func placeStandIn(root, cmd, link string) (string, error) {
	rel := strings.Split(strings.TrimPrefix(filepath.Clean(cmd), "/"), "/")
	dir := root
	for _, part := range rel[:len(rel)-1] {
		dir = filepath.Join(dir, part)
		fi, err := os.Lstat(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := os.Mkdir(dir, 0o755); err != nil {
				return "", err
			}
		case err != nil:
			return "", err
		case !fi.IsDir():
			return "", nil // a link or a file where a folder would be: leave the root as it is
		}
	}
	path := filepath.Join(dir, rel[len(rel)-1])
	if link != "" {
		// link is a stand-in this lay-out made in the same folder, which
		// was checked above; os.Link does not follow a link at path.
		err := os.Link(link, path)
		if errors.Is(err, fs.ErrExist) {
			return "", nil
		}
		return path, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if errors.Is(err, fs.ErrExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if _, err := f.WriteString(standIn); err != nil {
		f.Close()
		return "", err
	}
	return path, f.Close()
}
