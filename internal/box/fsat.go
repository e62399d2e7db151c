//go:build unix

package box

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// Everything the engine does inside a home, which its owner controls, is
// done on file descriptors reached without following any symlink: a home
// is opened from the root with openat2(RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH)
// where the kernel has it, else one component at a time with O_NOFOLLOW;
// what is inside is opened with openat(O_NOFOLLOW) and checked with
// fstat; owners and modes are set with fchown/fchmod on those descriptors.
// An owner who swaps a folder for a symlink between two calls, or during
// one, makes the call fail for that account; it never makes root write,
// chown or chmod anything outside the home.

// pathError names the path (as under the root) an operation failed on,
// with a plain reason for the usual obstacles.
func pathError(p string, err error) error {
	switch {
	case errors.Is(err, unix.ELOOP):
		return fmt.Errorf("%s: is a symbolic link or passes through one; the engine does not follow symbolic links in homes", p)
	case errors.Is(err, unix.ENOTDIR):
		return fmt.Errorf("%s: is not a folder, or passes through something that is not a folder", p)
	case errors.Is(err, unix.EXDEV):
		return fmt.Errorf("%s: leads out of the root", p)
	}
	return &os.PathError{Op: "open", Path: p, Err: err}
}

// openBeneath opens the directory rel (slash-separated, relative, no "."
// or ".." components) below dirfd without following any symlink. With
// mkdir, missing folders are made (mode 0755, owned by the caller: root).
func openBeneath(dirfd int, rel string, mkdir bool) (int, error) {
	rel = strings.Trim(rel, "/")
	if rel == "" {
		return unix.Dup(dirfd)
	}
	for _, c := range strings.Split(rel, "/") {
		if c == "" || c == "." || c == ".." {
			return -1, fmt.Errorf("path %q has a %q component", rel, c)
		}
	}
	if !mkdir {
		if fd, ok, err := openat2Dir(dirfd, rel); ok {
			return fd, err
		}
	}
	cur, err := unix.Dup(dirfd)
	if err != nil {
		return -1, err
	}
	for _, c := range strings.Split(rel, "/") {
		next, err := openDirAt(cur, c)
		if errors.Is(err, unix.ENOENT) && mkdir {
			if err = unix.Mkdirat(cur, c, 0o755); err == nil || errors.Is(err, unix.EEXIST) {
				next, err = openDirAt(cur, c)
			}
		}
		unix.Close(cur)
		if err != nil {
			return -1, err
		}
		cur = next
	}
	return cur, nil
}

// openDirAt opens the directory name in dirfd, not following a symlink.
// A symlink at name is ELOOP (Linux says ENOTDIR for O_DIRECTORY with
// O_NOFOLLOW: the entry is looked at to tell), anything else not a folder
// ENOTDIR.
func openDirAt(dirfd int, name string) (int, error) {
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
		var st unix.Stat_t
		if unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
			return -1, unix.ELOOP
		}
		return -1, unix.ENOTDIR
	}
	return fd, err
}

// fchownTolerant is chownTolerant for a descriptor.
func fchownTolerant(fd, uid, gid int) error {
	return chownTolerant(unix.Fchown(fd, uid, gid))
}

// fixFD sets mode and owner of the open file fd when they differ.
func fixFD(fd int, mode uint32, uid, gid int) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if int(st.Uid) != uid || int(st.Gid) != gid {
		if err := fchownTolerant(fd, uid, gid); err != nil {
			return err
		}
	}
	if uint32(st.Mode)&0o7777 != mode {
		return unix.Fchmod(fd, mode)
	}
	return nil
}

// removeAllAt removes name in dirfd and, when it is a folder, everything
// in it, never following a symlink (a symlink is removed, not its target).
func removeAllAt(dirfd int, name string, depth int) error {
	err := unix.Unlinkat(dirfd, name, 0)
	if err == nil || errors.Is(err, unix.ENOENT) {
		return nil
	}
	if !errors.Is(err, unix.EISDIR) && !errors.Is(err, unix.EPERM) {
		return err
	}
	// (Deeper than a copy goes, so that what a copy made can be removed.)
	if depth > 2*maxDepth {
		return fmt.Errorf("%s: folders nested more than %d deep", name, 2*maxDepth)
	}
	fd, err := openDirAt(dirfd, name)
	if err != nil {
		return err
	}
	names, err := readNames(fd)
	if err == nil {
		for _, n := range names {
			if err = removeAllAt(fd, n, depth+1); err != nil {
				break
			}
		}
	}
	unix.Close(fd)
	if err != nil {
		return err
	}
	if err := unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR); err != nil && !errors.Is(err, unix.ENOENT) {
		return err
	}
	return nil
}

// maxDepth bounds the folders copyTreeAt descends (removeAllAt: twice).
const maxDepth = 256

// readNames lists the entries of the open directory fd (not . and ..).
func readNames(fd int) ([]string, error) {
	dup, err := unix.Dup(fd)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(dup), "dir")
	defer f.Close()
	return f.Readdirnames(-1)
}

// copyTreeAt copies the entries of the folder src (/etc/skel) into the
// folder dst, a new home (folders, regular files, symlinks as symlinks;
// fifos, sockets and devices are skipped), each owned by uid:gid with its
// own permission bits, as useradd copies the skeleton. Only entries owned
// by owner (skel's owner) are copied. Entries that already exist in dst
// are kept. (A moved home is copied whole by copyHomeAt.)
func copyTreeAt(src, dst int, owner, uid, gid, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("folders nested more than %d deep", maxDepth)
	}
	names, err := readNames(src)
	if err != nil {
		return err
	}
	// A new home inside the old one is not copied into itself.
	var self unix.Stat_t
	if err := unix.Fstat(dst, &self); err != nil {
		return err
	}
	for _, n := range names {
		var st unix.Stat_t
		if err := unix.Fstatat(src, n, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			if errors.Is(err, unix.ENOENT) {
				continue
			}
			return err
		}
		if st.Dev == self.Dev && st.Ino == self.Ino {
			continue
		}
		// (Not running as root, nothing could be given to the user: what
		// the caller owns is taken as the user's, as by chownTolerant.)
		if int(st.Uid) != owner && (os.Geteuid() == 0 || int(st.Uid) != os.Geteuid()) {
			continue
		}
		perm := uint32(st.Mode) & 0o777
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR:
			if err := unix.Mkdirat(dst, n, 0o700); err != nil && !errors.Is(err, unix.EEXIST) {
				return err
			}
			sfd, err := openDirAt(src, n)
			if err != nil {
				return fmt.Errorf("%s: %w", n, err)
			}
			dfd, err := openDirAt(dst, n)
			if err != nil {
				unix.Close(sfd)
				return fmt.Errorf("%s: %w", n, err)
			}
			err = copyTreeAt(sfd, dfd, owner, uid, gid, depth+1)
			if err == nil {
				err = fixFD(dfd, perm, uid, gid)
			}
			unix.Close(sfd)
			unix.Close(dfd)
			if err != nil {
				return fmt.Errorf("%s/%w", n, err)
			}
		case unix.S_IFREG:
			if err := copyFileAt(src, dst, n, perm, uid, gid); err != nil {
				return fmt.Errorf("%s: %w", n, err)
			}
		case unix.S_IFLNK:
			buf := make([]byte, unix.PathMax)
			k, err := unix.Readlinkat(src, n, buf)
			if err != nil {
				return fmt.Errorf("%s: %w", n, err)
			}
			if err := unix.Symlinkat(string(buf[:k]), dst, n); err != nil {
				if errors.Is(err, unix.EEXIST) {
					continue
				}
				return fmt.Errorf("%s: %w", n, err)
			}
			if err := chownTolerant(unix.Fchownat(dst, n, uid, gid, unix.AT_SYMLINK_NOFOLLOW)); err != nil {
				return fmt.Errorf("%s: %w", n, err)
			}
		}
	}
	return nil
}

// copyFileAt copies the regular file name of src into dst (never over an
// existing entry), owned by uid:gid with mode perm.
func copyFileAt(src, dst int, name string, perm uint32, uid, gid int) error {
	in, err := unix.Openat(src, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	fin := os.NewFile(uintptr(in), name)
	defer fin.Close()
	var st unix.Stat_t
	if err := unix.Fstat(in, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil // swapped since it was listed
	}
	out, err := unix.Openat(dst, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if errors.Is(err, unix.EEXIST) {
		return nil
	}
	if err != nil {
		return err
	}
	fout := os.NewFile(uintptr(out), name)
	err = copyData(fout, fin)
	if err == nil {
		err = fchownTolerant(out, uid, gid)
	}
	if err == nil {
		err = unix.Fchmod(out, perm)
	}
	if cerr := fout.Close(); err == nil {
		err = cerr
	}
	return err
}
