//go:build unix

package box

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// applyHome brings u's home in line:
//
//   - With ManageHome and an absolute home other than /var/empty, the home
//     is created if missing (parents root-owned 0755, the home itself with
//     HomeMode, the contents of <root>/etc/skel copied in, owned by the
//     user). Owner UID:GID and HomeMode are applied when the home is created
//     and whenever the home, uid, gid or mode differ from what was applied
//     last (prev, from the manifest): a user's own later chmod of the home
//     is otherwise respected, as on TrueNAS.
//   - Whenever the home exists (managed or not), <home>/.ssh/authorized_keys
//     holds SSHPubKey plus "\n" (0600, .ssh 0700, owned by the user); a nil
//     or empty SSHPubKey removes authorized_keys. Everything inside the home
//     is done through an os.Root on the home, so symlinks planted by the
//     user cannot make the engine write outside it.
//
// Chown failures with EPERM are ignored (not running as root).
func applyHome(root string, u *User, prev *homePerm, b *batch) (*homePerm, error) {
	home, ok := homePath(u.Home)
	if !ok {
		return nil, nil
	}
	hp := filepath.Join(root, home)
	mode := u.HomeMode
	if mode == 0 {
		mode = 0o700 // TrueNAS's default home_mode
	}
	want := &homePerm{Home: home, UID: u.UID, GID: u.GID, Mode: mode}
	perm := prev
	if u.ManageHome {
		created := false
		fi, err := os.Stat(hp)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := os.MkdirAll(filepath.Dir(hp), 0o755); err != nil {
				return prev, err
			}
			if err := os.Mkdir(hp, 0o700); err != nil {
				return prev, err
			}
			created = true
			if err := copySkel(root, hp, int(u.UID), int(u.GID)); err != nil {
				return prev, fmt.Errorf("copy %s: %w", SkelDir, err)
			}
		case err != nil:
			return prev, err
		case !fi.IsDir():
			return prev, fmt.Errorf("home %s exists and is not a folder", home)
		}
		if created || prev == nil || *prev != *want {
			if err := chownTolerant(os.Lchown(hp, int(u.UID), int(u.GID))); err != nil {
				return prev, err
			}
			if err := os.Chmod(hp, fs.FileMode(mode&0o777)|modeBits(mode)); err != nil {
				return prev, err
			}
			b.touch(hp)
			perm = want
		}
	}
	fi, err := os.Stat(hp)
	if err != nil || !fi.IsDir() {
		// No home: nothing to put keys in (TrueNAS writes keys only when
		// the home exists).
		return perm, nil
	}
	r, err := os.OpenRoot(hp)
	if err != nil {
		return perm, err
	}
	defer r.Close()
	key := ""
	if u.SSHPubKey != nil {
		key = *u.SSHPubKey
	}
	if strings.TrimSpace(key) == "" {
		err := r.Remove(".ssh/authorized_keys")
		if err == nil {
			b.touch(hp)
		} else if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return perm, err
		}
		return perm, nil
	}
	if !strings.HasSuffix(key, "\n") {
		key += "\n"
	}
	return perm, writeKeys(r, hp, []byte(key), int(u.UID), int(u.GID), b)
}

func modeBits(m uint32) fs.FileMode {
	var f fs.FileMode
	if m&0o4000 != 0 {
		f |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		f |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		f |= fs.ModeSticky
	}
	return f
}

// writeKeys makes .ssh (0700) and .ssh/authorized_keys (0600) inside the
// home r (at hp), owned by uid:gid. When the content differs it writes a
// temporary file beside authorized_keys and leaves the rename to b.commit,
// which first makes all such files durable with one sync per filesystem.
func writeKeys(r *os.Root, hp string, content []byte, uid, gid int, b *batch) error {
	fi, err := r.Lstat(".ssh")
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case fi.Mode()&fs.ModeSymlink != 0:
		if err := r.Remove(".ssh"); err != nil {
			return err
		}
		fi = nil
	case !fi.IsDir():
		return fmt.Errorf("%s/.ssh exists and is not a folder", r.Name())
	}
	if fi == nil {
		if err := r.Mkdir(".ssh", 0o700); err != nil {
			return err
		}
		b.touch(hp)
	}
	if err := fixPerm(r, ".ssh", 0o700, uid, gid); err != nil {
		return err
	}
	const name = ".ssh/authorized_keys"
	if fi, err := r.Lstat(name); err == nil && fi.Mode().IsRegular() {
		if old, err := r.ReadFile(name); err == nil && bytes.Equal(old, content) {
			_ = r.Remove(keysTmp) // left by a crash before the rename
			return fixPerm(r, name, 0o600, uid, gid)
		}
	}
	const tmp = keysTmp
	if err := r.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	f, err := r.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(content)
	if err == nil {
		err = chownTolerant(f.Chown(uid, gid))
	}
	if err == nil {
		err = f.Chmod(0o600)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = r.Remove(tmp)
		return err
	}
	b.pending = append(b.pending, hp)
	b.touch(hp)
	return nil
}

// keysTmp is the temporary authorized_keys, relative to the home.
const keysTmp = ".ssh/.authorized_keys.engine-tmp"

// batch defers the syncs of homes and keys: with 10,000 users a sync per
// file would take minutes. Key files are written to temporary names, then
// commit syncs each touched filesystem once, renames them all into place
// and syncs again. A crash before the renames leaves the old keys (and
// stale temporary files that the next Apply replaces).
type batch struct {
	pending []string          // homes with a keysTmp to rename
	fsPaths map[uint64]string // one touched path per filesystem
}

func (b *batch) touch(path string) {
	var st syscall.Stat_t
	if syscall.Stat(path, &st) != nil {
		return
	}
	if b.fsPaths == nil {
		b.fsPaths = map[uint64]string{}
	}
	if _, ok := b.fsPaths[uint64(st.Dev)]; !ok {
		b.fsPaths[uint64(st.Dev)] = path
	}
}

func (b *batch) commit() error {
	if len(b.pending) > 0 {
		if err := syncFilesystems(b.fsPaths); err != nil {
			return err
		}
		var errs []error
		for _, hp := range b.pending {
			r, err := os.OpenRoot(hp)
			if err == nil {
				err = r.Rename(keysTmp, ".ssh/authorized_keys")
				r.Close()
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("box: %s/.ssh/authorized_keys: %w", hp, err))
			}
		}
		if len(errs) > 0 {
			return errors.Join(errs...)
		}
	}
	if len(b.fsPaths) > 0 {
		return syncFilesystems(b.fsPaths)
	}
	return nil
}

// fixPerm sets mode and owner of name (not following a final symlink) when
// they differ.
func fixPerm(r *os.Root, name string, mode fs.FileMode, uid, gid int) error {
	fi, err := r.Lstat(name)
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s/%s is a symlink", r.Name(), name)
	}
	if sys, ok := fi.Sys().(*syscall.Stat_t); !ok || int(sys.Uid) != uid || int(sys.Gid) != gid {
		if err := chownTolerant(r.Lchown(name, uid, gid)); err != nil {
			return err
		}
	}
	if fi.Mode().Perm() != mode || fi.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0 {
		return r.Chmod(name, mode)
	}
	return nil
}

// copySkel copies <root>/etc/skel into the new home dst (folders, regular
// files and symlinks), owned by uid:gid. A missing skel is not an error.
func copySkel(root, dst string, uid, gid int) error {
	src := filepath.Join(root, SkelDir)
	if fi, err := os.Stat(src); err != nil || !fi.IsDir() {
		return nil
	}
	r, err := os.OpenRoot(dst)
	if err != nil {
		return err
	}
	defer r.Close()
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil || rel == "." {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if err := r.Mkdir(rel, fi.Mode().Perm()); err != nil && !errors.Is(err, fs.ErrExist) {
				return err
			}
			if err := r.Chmod(rel, fi.Mode().Perm()); err != nil {
				return err
			}
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if err := r.Symlink(target, rel); err != nil && !errors.Is(err, fs.ErrExist) {
				return err
			}
		case fi.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			f, err := r.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
			if err != nil {
				if errors.Is(err, fs.ErrExist) {
					return nil
				}
				return err
			}
			_, err = f.Write(data)
			if err == nil {
				err = f.Chmod(fi.Mode().Perm())
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		default:
			return nil // devices, sockets, fifos: skipped
		}
		return chownTolerant(r.Lchown(rel, uid, gid))
	})
}

// removeSSHDir removes <home>/.ssh of a removed user, as TrueNAS does on
// user.delete; the home itself stays. A missing home is not an error.
func removeSSHDir(root, home string, b *batch) error {
	hp := filepath.Join(root, home)
	r, err := os.OpenRoot(hp)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil
		}
		return err
	}
	defer r.Close()
	if _, err := r.Lstat(".ssh"); err != nil {
		return nil
	}
	b.touch(hp)
	return r.RemoveAll(".ssh")
}
