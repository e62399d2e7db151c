//go:build linux

package box

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A moved home keeps everything, as TrueNAS's do_home_copy (copytree)
// does: root's files and folders too, each with its owner, mode and
// times; symlinks stay symlinks (never followed); a filesystem mounted in
// the old home is not entered; fifos are skipped.
func TestHomeMoveCopiesEverything(t *testing.T) {
	root := seed(t)
	st := baseState()
	must(t, Apply(root, st))
	old := filepath.Join(root, "mnt/tank/alice")
	asRoot := os.Geteuid() == 0
	file := func(rel, content string, mode os.FileMode, uid, gid int) {
		p := filepath.Join(old, rel)
		must(t, os.WriteFile(p, []byte(content), 0o600))
		must(t, chownTolerant(os.Lchown(p, uid, gid)))
		must(t, os.Chmod(p, mode))
	}
	file("notes.txt", "mine", 0o640, 3000, 3000)
	file("root-file", "root's", 0o644, 0, 0)
	must(t, os.Mkdir(filepath.Join(old, "root-dir"), 0o700))
	file("root-dir/inner", "deep", 0o600, 0, 0)
	must(t, chownTolerant(os.Lchown(filepath.Join(old, "root-dir"), 0, 0)))
	must(t, os.Chmod(filepath.Join(old, "root-dir"), 0o750))
	file("setuid", "#!/bin/sh\n", 0o4755, 3000, 3000)
	must(t, os.Symlink("/etc", filepath.Join(old, "escape")))
	must(t, syscall.Mkfifo(filepath.Join(old, "fifo"), 0o600))
	stamp := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	must(t, os.Chtimes(filepath.Join(old, "notes.txt"), stamp, stamp))
	mounted := false
	if asRoot {
		mnt := filepath.Join(old, "mounted")
		must(t, os.Mkdir(mnt, 0o755))
		if unix.Mount("tmpfs", mnt, "tmpfs", 0, "size=1m") == nil {
			mounted = true
			t.Cleanup(func() { unix.Unmount(mnt, unix.MNT_DETACH) })
			must(t, os.WriteFile(filepath.Join(mnt, "other-fs"), []byte("x"), 0o644))
		}
	}

	st.Users[0].Home = "/mnt/tank/moved"
	must(t, Apply(root, st))
	moved := filepath.Join(root, "mnt/tank/moved")
	for _, c := range []struct {
		rel      string
		content  string
		mode     os.FileMode
		uid, gid uint32
	}{
		{"notes.txt", "mine", 0o640, 3000, 3000},
		{"root-file", "root's", 0o644, 0, 0},
		{"root-dir", "", os.ModeDir | 0o750, 0, 0},
		{"root-dir/inner", "deep", 0o600, 0, 0},
		{"setuid", "#!/bin/sh\n", 0o755, 3000, 3000},
	} {
		mode, uid, gid := statOf(t, filepath.Join(moved, c.rel))
		if mode != c.mode {
			t.Errorf("%s: mode %v, want %v", c.rel, mode, c.mode)
		}
		if asRoot && (uid != c.uid || gid != c.gid) {
			t.Errorf("%s: owner %d:%d, want %d:%d", c.rel, uid, gid, c.uid, c.gid)
		}
		if c.content != "" && read(t, root, "mnt/tank/moved/"+c.rel) != c.content {
			t.Errorf("%s: content differs", c.rel)
		}
	}
	if fi, err := os.Lstat(filepath.Join(moved, "notes.txt")); err != nil || !fi.ModTime().Equal(stamp) {
		t.Errorf("notes.txt lost its time: %v %v", fi.ModTime(), err)
	}
	if target, err := os.Readlink(filepath.Join(moved, "escape")); err != nil || target != "/etc" {
		t.Errorf("the symlink was not copied as a symlink: %q %v", target, err)
	}
	if _, err := os.Lstat(filepath.Join(moved, "fifo")); err == nil {
		t.Error("a fifo was copied")
	}
	if mounted {
		if _, err := os.Lstat(filepath.Join(moved, "mounted")); err == nil {
			t.Error("the filesystem mounted in the old home was entered")
		}
	}
	// The old home stays as it was, as on TrueNAS.
	if read(t, root, "mnt/tank/alice/root-dir/inner") != "deep" {
		t.Fatal("the old home was not left in place")
	}
}

// A file planted in the new home (a hard link to one outside it, or a
// symlink) is replaced by the copy, never written through.
func TestHomeMoveReplacesPlanted(t *testing.T) {
	root := seed(t)
	st := baseState()
	must(t, Apply(root, st))
	old := filepath.Join(root, "mnt/tank/alice")
	must(t, os.WriteFile(filepath.Join(old, "a"), []byte("copy a"), 0o600))
	must(t, os.WriteFile(filepath.Join(old, "b"), []byte("copy b"), 0o600))
	moved := filepath.Join(root, "mnt/tank/moved")
	must(t, os.MkdirAll(moved, 0o700))
	outside := filepath.Join(root, "outside")
	must(t, os.WriteFile(outside, []byte("precious"), 0o600))
	must(t, os.Link(outside, filepath.Join(moved, "a")))
	must(t, os.Symlink(outside, filepath.Join(moved, "b")))
	st.Users[0].Home = "/mnt/tank/moved"
	must(t, Apply(root, st))
	if read(t, root, "outside") != "precious" {
		t.Fatal("the copy wrote through a planted link")
	}
	if read(t, root, "mnt/tank/moved/a") != "copy a" || read(t, root, "mnt/tank/moved/b") != "copy b" {
		t.Fatal("the planted entries were not replaced by the copy")
	}
}

// A sparse file in a moved home stays sparse: a user who plants a large
// file of holes cannot make root fill the pool by having the home moved.
// Its data, at the start, in the middle and at the end, is copied as it is.
func TestHomeMoveKeepsHoles(t *testing.T) {
	root := seed(t)
	st := baseState()
	must(t, Apply(root, st))
	const size = 256 << 20
	p := filepath.Join(root, "mnt/tank/alice/sparse")
	f, err := os.Create(p)
	must(t, err)
	chunks := map[int64]string{0: "head", 100 << 20: "middle", size - 4: "tail"}
	for off, s := range chunks {
		_, err := f.WriteAt([]byte(s), off)
		must(t, err)
	}
	must(t, f.Close())
	var src unix.Stat_t
	must(t, unix.Stat(p, &src))
	if src.Blocks*512 > 16<<20 {
		t.Skipf("the test folder's filesystem keeps no holes (%d blocks for the source)", src.Blocks)
	}

	st.Users[0].Home = "/mnt/tank/moved"
	must(t, Apply(root, st))
	q := filepath.Join(root, "mnt/tank/moved/sparse")
	var dst unix.Stat_t
	must(t, unix.Stat(q, &dst))
	if dst.Size != size {
		t.Fatalf("the copy has %d bytes, want %d", dst.Size, size)
	}
	// The filesystem may round data up to its own extents: allow a few.
	if dst.Blocks > src.Blocks+2048 {
		t.Errorf("the copy has %d blocks, the source %d: its holes were written", dst.Blocks, src.Blocks)
	}
	g, err := os.Open(q)
	must(t, err)
	defer g.Close()
	for off, s := range chunks {
		b := make([]byte, len(s))
		_, err := g.ReadAt(b, off)
		must(t, err)
		if string(b) != s {
			t.Errorf("at %d: %q, want %q", off, b, s)
		}
	}
}
