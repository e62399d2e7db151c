//go:build unix

package box

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A symlinked etc/shadow (or gshadow, passwd, group) pointing at a 0777
// file is never followed to make a world-readable file with hashes: the
// link is replaced by a regular file with a safe mode, and so is the
// "<name>-" backup.
func TestSymlinkedAccountFilesKeepSafeModes(t *testing.T) {
	root := seed(t)
	elsewhere := t.TempDir()
	for _, f := range []string{ShadowFile, GShadowFile, PasswdFile, GroupFile} {
		p := filepath.Join(root, f)
		data, err := os.ReadFile(p)
		must(t, err)
		target := filepath.Join(elsewhere, filepath.Base(f))
		must(t, os.WriteFile(target, data, 0o777))
		must(t, os.Chmod(target, 0o777))
		must(t, os.Remove(p))
		must(t, os.Symlink(target, p))
	}
	must(t, Apply(root, baseState()))
	want := map[string]os.FileMode{ShadowFile: 0o640, GShadowFile: 0o640, PasswdFile: 0o644, GroupFile: 0o644}
	for f, mode := range want {
		for _, name := range []string{f, f + "-"} {
			fi, err := os.Lstat(filepath.Join(root, name))
			must(t, err)
			if !fi.Mode().IsRegular() {
				t.Errorf("%s is %v, want a regular file", name, fi.Mode())
				continue
			}
			if fi.Mode().Perm() != mode {
				t.Errorf("%s has mode %v, want %v", name, fi.Mode().Perm(), mode)
			}
		}
		// The file the link pointed at is left as it was.
		if b, _ := os.ReadFile(filepath.Join(elsewhere, filepath.Base(f))); strings.Contains(string(b), "alice") {
			t.Errorf("the engine wrote through the %s symlink", f)
		}
	}
	if !strings.Contains(read(t, root, ShadowFile), "alice:$6$x$alicehash") {
		t.Fatal("shadow does not hold alice's hash")
	}
}

// An existing shadow file with a loose mode is tightened when rewritten.
func TestLooseShadowIsTightened(t *testing.T) {
	root := seed(t)
	must(t, os.Chmod(filepath.Join(root, ShadowFile), 0o666))
	must(t, Apply(root, baseState()))
	fi, err := os.Stat(filepath.Join(root, ShadowFile))
	must(t, err)
	if fi.Mode().Perm() != 0o640 {
		t.Fatalf("shadow mode %v, want 0640", fi.Mode().Perm())
	}
}
