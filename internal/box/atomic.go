//go:build unix

package box

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// fileSpec says how a file is written when it does not exist yet. When it
// exists, its mode and owner are kept.
type fileSpec struct {
	mode fs.FileMode
	uid  int
	gid  int
	// backup keeps the previous version as "<name>-" (shadow-utils style).
	backup bool
	// force applies mode, uid and gid even to an existing file.
	force bool
	// secret files (shadow, gshadow) hold hashes: their mode is kept
	// within spec.mode, plus owner read-write, whatever the old file had.
	secret bool
}

// tmpName is the fixed temporary name used beside path. It starts with a dot
// and has no ".conf" suffix, so sudo's @includedir (which skips names with a
// dot) and sshd's "*.conf" glob never read a half-written file. Apply holds
// the lock, so a fixed name is safe; a stale one left by a crash is removed
// before use.
func tmpName(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".engine-tmp")
}

// writeFileAtomic replaces path with content unless it already holds exactly
// that content. It writes a temporary file beside it, fsyncs it, optionally
// hard-links the old version to "<path>-", renames the temporary file over
// path and fsyncs the directory. A crash at any point leaves either the old
// or the new file at path. It reports whether it wrote.
func writeFileAtomic(path string, content []byte, spec fileSpec) (bool, error) {
	old, err := os.ReadFile(path)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	return writeFileKnown(path, content, old, exists, spec)
}

// writeFileKnown is writeFileAtomic when the caller knows what path holds
// (old, if exists), having read it under the lock: it is not read again.
func writeFileKnown(path string, content, old []byte, exists bool, spec fileSpec) (bool, error) {
	if spec.secret {
		// The backup holds the previous hashes: it is never looser than
		// the file, whatever the box had (a backup made while shadow was
		// 0644, or loosened by hand), written or not.
		if err := clampSecret(path+"-", spec); err != nil {
			return false, err
		}
	}
	if exists && bytes.Equal(old, content) && (!spec.force || hasPerm(path, spec)) && (!spec.secret || secretSafe(path, spec)) {
		return false, nil
	}
	mode, uid, gid := spec.mode, spec.uid, spec.gid
	if exists && !spec.force {
		// Only a regular file lends its mode and owner: a symlink's mode
		// is always 0777, and whatever it points to is not ours to copy.
		// The new file replaces the link itself (rename does not follow).
		if st, err := os.Lstat(path); err == nil && st.Mode().IsRegular() {
			mode = st.Mode().Perm() | (st.Mode() & (fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky))
			if sys, ok := st.Sys().(*syscall.Stat_t); ok {
				uid, gid = int(sys.Uid), int(sys.Gid)
			}
		}
	}
	if spec.secret {
		// Never more open than spec.mode (owner read-write at most), and
		// no special bits, whatever the file had.
		mode &= spec.mode | 0o600
	}
	tmp := tmpName(path)
	if err := writeTemp(tmp, content, mode, uid, gid); err != nil {
		return false, err
	}
	if exists && spec.backup {
		// The backup is a hard link to the current file: tighten the
		// current file first, so that the link never shows its hashes
		// with a mode looser than spec's.
		if spec.secret {
			if err := clampSecret(path, spec); err != nil {
				_ = os.Remove(tmp)
				return false, err
			}
		}
		if err := backupFile(path, spec); err != nil {
			_ = os.Remove(tmp)
			return false, err
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return false, err
	}
	return true, syncDir(filepath.Dir(path))
}

// writeTemp creates tmp exclusively (never following a symlink planted at
// that name), writes content, sets mode and owner and fsyncs.
func writeTemp(tmp string, content []byte, mode fs.FileMode, uid, gid int) error {
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if _, err := f.Write(content); err != nil {
		return fail(err)
	}
	if err := chownTolerant(f.Chown(uid, gid)); err != nil {
		return fail(err)
	}
	if err := f.Chmod(mode); err != nil {
		return fail(err)
	}
	syncs.Add(1)
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// backupFile makes "<path>-" the current version of path: a hard link to the
// same inode (so mode and owner are the same), put in place by rename.
// Where hard links are not possible, or path is not a regular file (a
// symlink: linking it would keep the link), it falls back to a copy, with
// spec's mode and owner unless path is a regular file (secret files
// clamped as in writeFileKnown).
func backupFile(path string, spec fileSpec) error {
	bak := path + "-"
	tmp := tmpName(bak)
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	st, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() || os.Link(path, tmp) != nil {
		data, rerr := os.ReadFile(path)
		if rerr != nil {
			return rerr
		}
		mode, uid, gid := spec.mode, spec.uid, spec.gid
		if st.Mode().IsRegular() {
			mode = st.Mode().Perm()
			if sys, ok := st.Sys().(*syscall.Stat_t); ok {
				uid, gid = int(sys.Uid), int(sys.Gid)
			}
		}
		if spec.secret {
			mode &= spec.mode | 0o600
		}
		if err := writeTemp(tmp, data, mode, uid, gid); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, bak); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup %s: %w", bak, err)
	}
	// When "<path>-" already was a link to the same inode (a run killed
	// between the backup and the write, then repaired), rename(2) does
	// nothing and leaves tmp in place; remove it.
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// removeFile removes path if it exists and fsyncs the directory. It reports
// whether it removed something.
func removeFile(path string) (bool, error) {
	err := os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	syncs.Add(1)
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}

// chownTolerant turns EPERM from a chown into success. Apply is meant to run
// as root; when it is not (tests, sandboxes run by a normal user), files
// cannot be given to other owners and are left owned by the caller. Any
// other error is returned.
func chownTolerant(err error) error {
	if err == nil || errors.Is(err, syscall.EPERM) {
		return nil
	}
	return err
}

// secretSafe says whether the secret file at path is a regular file no
// more open than spec allows; when not, it is written again even with
// the same content (a symlink, or a loosened mode, is replaced).
func secretSafe(path string, spec fileSpec) bool {
	st, err := os.Lstat(path)
	return err == nil && st.Mode().IsRegular() && uint32(st.Mode().Perm())&^uint32(spec.mode|0o600) == 0 &&
		st.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) == 0
}

func hasPerm(path string, spec fileSpec) bool {
	st, err := os.Lstat(path)
	if err != nil || st.Mode() != spec.mode {
		return false
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	if int(sys.Uid) == spec.uid && int(sys.Gid) == spec.gid {
		return true
	}
	// Not root: chown to spec's owner is impossible; accept the caller's.
	return os.Geteuid() != 0 && int(sys.Uid) == os.Geteuid()
}

// clampSecret takes from the regular file at path (when there is one; a
// symlink or other file is left, it is not followed) every permission
// beyond spec.mode plus owner read-write, and its special bits. It works
// on a descriptor opened without following symlinks, so that what it
// changes is what it checked.
func clampSecret(path string, spec fileSpec) error {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.ENXIO) {
			return nil
		}
		return &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return &os.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return nil
	}
	allowed := uint32(spec.mode|0o600) & 0o777
	if uint32(st.Mode)&0o7777&^allowed == 0 {
		return nil
	}
	if err := syscall.Fchmod(fd, uint32(st.Mode)&allowed); err != nil {
		return &os.PathError{Op: "chmod", Path: path, Err: err}
	}
	return nil
}
