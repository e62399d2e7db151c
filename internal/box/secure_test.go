//go:build unix

package box

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
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

// A moved home gets the old one's contents (symlinks copied as symlinks,
// never followed), and the old home stays, as TrueNAS's do_home_copy.
func TestHomeMoveCopiesContents(t *testing.T) {
	root := seed(t)
	st := baseState()
	must(t, Apply(root, st))
	old := filepath.Join(root, "mnt/tank/alice")
	must(t, os.MkdirAll(filepath.Join(old, "docs/deep"), 0o750))
	must(t, os.WriteFile(filepath.Join(old, "docs/deep/note.txt"), []byte("hello"), 0o640))
	must(t, os.Symlink("/etc/shadow", filepath.Join(old, "shadow-link")))
	// The files are alice's (only what she owns is copied).
	for _, p := range []string{"docs", "docs/deep", "docs/deep/note.txt", "shadow-link"} {
		must(t, chownTolerant(os.Lchown(filepath.Join(old, p), 3000, 3000)))
	}
	st.Users[0].Home = "/mnt/tank/alice2"
	must(t, Apply(root, st))
	nw := filepath.Join(root, "mnt/tank/alice2")
	if b := read(t, root, "mnt/tank/alice2/docs/deep/note.txt"); b != "hello" {
		t.Fatalf("note.txt %q", b)
	}
	if fi, err := os.Stat(filepath.Join(nw, "docs/deep/note.txt")); err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("note.txt mode: %v %v", fi, err)
	}
	if target, err := os.Readlink(filepath.Join(nw, "shadow-link")); err != nil || target != "/etc/shadow" {
		t.Fatalf("the symlink was not copied as a symlink: %q %v", target, err)
	}
	if b := read(t, root, "mnt/tank/alice/docs/deep/note.txt"); b != "hello" {
		t.Fatal("the old home was changed")
	}
	if b := read(t, root, "mnt/tank/alice2/.ssh/authorized_keys"); b != "ssh-ed25519 AAAAC3 alice@laptop\n" {
		t.Fatalf("keys in the new home: %q", b)
	}
	// Applying again copies nothing more (a file removed from the new
	// home stays removed).
	must(t, os.Remove(filepath.Join(nw, "docs/deep/note.txt")))
	must(t, Apply(root, st))
	if _, err := os.Stat(filepath.Join(nw, "docs/deep/note.txt")); err == nil {
		t.Fatal("copied again")
	}
}

// An owner who swaps a folder for a symlink never makes the engine write
// outside the home: not the home itself, not a parent, not .ssh, not the
// temporary key file. The user concerned gets an error naming the path;
// the other users are applied.
func TestSwappedHomesAreNotFollowed(t *testing.T) {
	root := seed(t)
	victim := filepath.Join(root, "root")
	must(t, os.MkdirAll(filepath.Join(victim, ".ssh"), 0o700))
	must(t, os.WriteFile(filepath.Join(victim, ".ssh/authorized_keys"), []byte("root key\n"), 0o600))
	st := baseState()
	carol := alice()
	carol.Name, carol.UID, carol.GID, carol.Home = "carol", 3005, 3000, "/mnt/tank/share/carol"
	st.Users = append(st.Users, carol)
	must(t, Apply(root, st))
	share := filepath.Join(root, "mnt/tank/share")
	check := func(what string) {
		t.Helper()
		if b := read(t, root, "root/.ssh/authorized_keys"); b != "root key\n" {
			t.Fatalf("%s: root's keys became %q", what, b)
		}
		if fi, err := os.Stat(filepath.Join(victim, ".ssh")); err != nil || fi.Mode().Perm() != 0o700 {
			t.Fatalf("%s: root's .ssh mode changed", what)
		}
		if fi, err := os.Stat(victim); err != nil || fi.Mode().Perm() != 0o755 && fi.Mode().Perm() != 0o700 {
			t.Fatalf("%s: root's home mode %v", what, fi.Mode())
		}
	}
	must(t, os.Chmod(victim, 0o700))
	for _, swap := range []struct {
		name  string
		plant func()
	}{
		{"the home", func() {
			must(t, os.RemoveAll(filepath.Join(share, "carol")))
			must(t, os.Symlink(victim, filepath.Join(share, "carol")))
		}},
		{"a parent", func() {
			must(t, os.RemoveAll(share))
			must(t, os.Symlink(root, share))
			must(t, os.Symlink(victim, filepath.Join(root, "carol")))
		}},
	} {
		swap.plant()
		carol.SSHPubKey = strp("ssh-ed25519 EVIL " + swap.name)
		carol.HomeMode = 0o777
		st.Users[2] = carol
		st.Users[0].SSHPubKey = strp("ssh-ed25519 OK " + swap.name)
		_, err := ApplyResult(root, st)
		var ae *AccountErrors
		if !errors.As(err, &ae) || ae.ForUser("carol") == nil || ae.ForUser("alice") != nil {
			t.Fatalf("%s: want an error for carol only, got %v", swap.name, err)
		}
		if !strings.Contains(ae.ForUser("carol").Error(), "mnt/tank/share") {
			t.Fatalf("%s: the error does not name the path: %v", swap.name, ae.ForUser("carol"))
		}
		check(swap.name)
		if b := read(t, root, "mnt/tank/alice/.ssh/authorized_keys"); b != "ssh-ed25519 OK "+swap.name+"\n" {
			t.Fatalf("%s: alice was not applied: %q", swap.name, b)
		}
		_ = os.Remove(filepath.Join(root, "carol"))
		if fi, err := os.Lstat(share); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			must(t, os.Remove(share))
		} else {
			must(t, os.RemoveAll(share))
		}
		must(t, os.MkdirAll(share, 0o755))
	}
	// The obstacle gone, the next apply repairs carol.
	carol.HomeMode = 0o700
	st.Users[2] = carol
	must(t, Apply(root, st))
	if b := read(t, root, "mnt/tank/share/carol/.ssh/authorized_keys"); !strings.HasPrefix(b, "ssh-ed25519 EVIL") {
		t.Fatalf("carol not repaired: %q", b)
	}
}

// openBeneath refuses a symlink anywhere on the way, with openat2 and
// with the one-component-at-a-time walk (mkdir), and never leaves the
// directory it starts from.
func TestOpenBeneathRefusesSymlinks(t *testing.T) {
	root := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(root, "a/real/b"), 0o755))
	must(t, os.Symlink(filepath.Join(root, "a/real"), filepath.Join(root, "a/link")))
	must(t, os.Symlink("real", filepath.Join(root, "a/rel")))
	must(t, os.WriteFile(filepath.Join(root, "a/file"), nil, 0o644))
	fd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	must(t, err)
	defer unix.Close(fd)
	for _, mkdir := range []bool{false, true} {
		if d, err := openBeneath(fd, "a/real/b", mkdir); err != nil {
			t.Fatalf("mkdir=%v: a plain path: %v", mkdir, err)
		} else {
			unix.Close(d)
		}
		for _, p := range []string{"a/link/b", "a/rel/b", "a/link", "a/file/x", "a/../a/real", "a/./real"} {
			if d, err := openBeneath(fd, p, mkdir); err == nil {
				unix.Close(d)
				t.Errorf("mkdir=%v: %s was opened", mkdir, p)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(root, "a/real/b/x")); err == nil {
		t.Fatal("made a folder through a symlink")
	}
}

// home_mode is applied as sent: never a silent 700.
func TestHomeModeAsSent(t *testing.T) {
	root := seed(t)
	st := baseState()
	st.Users[0].HomeMode = 0o751
	must(t, Apply(root, st))
	if mode, _, _ := statOf(t, filepath.Join(root, "mnt/tank/alice")); mode.Perm() != 0o751 {
		t.Fatalf("home mode %v, want 0751", mode.Perm())
	}
}

// A new home inside the old one gets the old contents, not itself.
func TestHomeMoveInsideItself(t *testing.T) {
	root := seed(t)
	st := baseState()
	must(t, Apply(root, st))
	old := filepath.Join(root, "mnt/tank/alice")
	must(t, os.WriteFile(filepath.Join(old, "f"), []byte("x"), 0o600))
	must(t, chownTolerant(os.Lchown(filepath.Join(old, "f"), 3000, 3000)))
	// The new home exists already, alice's.
	must(t, os.Mkdir(filepath.Join(old, "inner"), 0o700))
	must(t, chownTolerant(os.Lchown(filepath.Join(old, "inner"), 3000, 3000)))
	st.Users[0].Home = "/mnt/tank/alice/inner"
	must(t, Apply(root, st))
	if read(t, root, "mnt/tank/alice/inner/f") != "x" {
		t.Fatal("not copied")
	}
	if _, err := os.Lstat(filepath.Join(old, "inner/inner")); err == nil {
		t.Fatal("the new home was copied into itself")
	}
}

// A secret file made a symlink or loosened behind the engine is put right
// by the next Apply, even when its content is unchanged.
func TestSecretFilesRepairedWithoutChange(t *testing.T) {
	root := seed(t)
	st := baseState()
	must(t, Apply(root, st))
	p := filepath.Join(root, ShadowFile)
	data, err := os.ReadFile(p)
	must(t, err)
	loose := filepath.Join(t.TempDir(), "shadow")
	must(t, os.WriteFile(loose, data, 0o777))
	must(t, os.Remove(p))
	must(t, os.Symlink(loose, p))
	must(t, os.Chmod(filepath.Join(root, GShadowFile), 0o666))
	must(t, Apply(root, st))
	for _, f := range []string{ShadowFile, GShadowFile} {
		fi, err := os.Lstat(filepath.Join(root, f))
		must(t, err)
		if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o640 {
			t.Fatalf("%s is %v", f, fi.Mode())
		}
	}
	if read(t, root, ShadowFile) != string(data) {
		t.Fatal("shadow content changed")
	}
}

// A home that this apply made but could not finish is removed again, so
// that the retry makes it whole, /etc/skel included.
func TestUnfinishedNewHomeRemoved(t *testing.T) {
	root := seed(t)
	deep := filepath.Join(root, SkelDir, strings.Repeat("d/", maxDepth+2))
	must(t, os.MkdirAll(deep, 0o755))
	st := baseState()
	_, err := ApplyResult(root, st)
	var ae *AccountErrors
	if !errors.As(err, &ae) || ae.ForUser("alice") == nil {
		t.Fatalf("want an error for alice, got %v", err)
	}
	if _, err := os.Lstat(filepath.Join(root, "mnt/tank/alice")); err == nil {
		t.Fatal("the unfinished home was left")
	}
	must(t, os.RemoveAll(filepath.Join(root, SkelDir, "d")))
	must(t, Apply(root, st))
	if read(t, root, "mnt/tank/alice/.bashrc") != "# bashrc\n" {
		t.Fatal("the retry did not copy /etc/skel")
	}
}

// A box whose shadow and gshadow were left 0644 (and their backups 0666):
// after an Apply, with a change or without one, every file holding
// hashes, backups included, is at most 0640, and no backup of the loose
// file keeps the loose mode (it is a hard link to the old inode). Loose
// backups alone are tightened without writing anything.
func TestHashFilesNeverLoose(t *testing.T) {
	for _, c := range []struct {
		name              string
		change, looseFile bool
	}{{"loose files and a change", true, true}, {"loose files", false, true}, {"loose backups only", false, false}} {
		root := seed(t)
		st := baseState()
		must(t, Apply(root, st))
		must(t, Apply(root, st)) // the backups exist
		for _, f := range []string{ShadowFile, GShadowFile} {
			if c.looseFile {
				must(t, os.Chmod(filepath.Join(root, f), 0o644))
			}
			must(t, os.Chmod(filepath.Join(root, f+"-"), 0o666))
		}
		if c.change {
			st.Users[0].Hash = "$6$other$" + strings.Repeat("x", 86)
			st.Groups = append(st.Groups, Group{Name: "newgroup", GID: 4321})
		}
		res, err := ApplyResult(root, st)
		must(t, err)
		if !c.looseFile && len(res.Files) != 0 {
			t.Fatalf("%s: wrote %v", c.name, res.Files)
		}
		for _, f := range []string{ShadowFile, GShadowFile, ShadowFile + "-", GShadowFile + "-"} {
			fi, err := os.Lstat(filepath.Join(root, f))
			must(t, err)
			if fi.Mode().Perm()&^0o640 != 0 {
				t.Errorf("%s: %s is %v after Apply", c.name, f, fi.Mode())
			}
		}
		if c.change && !strings.Contains(read(t, root, ShadowFile+"-"), "\nalice:") {
			t.Fatalf("%s: the backup is not the previous shadow", c.name)
		}
	}
}
