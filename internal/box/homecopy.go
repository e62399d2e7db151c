//go:build unix

package box

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// zfsCtlIno is the inode number of a ZFS dataset's .zfs folder (the
// snapshots), which a copy never enters.
const zfsCtlIno = 0x0000FFFFFFFFFFFF

// copyHomeAt copies the entries of the folder src into the folder dst as
// TrueNAS's copytree does for a moved home: folders, regular files and
// symlinks (fifos, sockets and devices are skipped), each with the owner,
// permission bits and times of its source, whoever owns it. It never
// follows a symlink (every entry is opened with O_NOFOLLOW below its
// parent's descriptor), never enters another filesystem than dev (a
// dataset or mount inside the old home, or a .zfs snapshot folder), and
// never copies dst into itself. An entry dst already has is replaced by
// the copy (a folder is merged), never written through: a file is
// unlinked first, so a hard link or symlink planted in dst is not
// followed. Set-user-ID and set-group-ID bits of files are dropped (a
// chown clears them as well).
func copyHomeAt(src, dst int, dev uint64, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("folders nested more than %d deep", maxDepth)
	}
	names, err := readNames(src)
	if err != nil {
		return err
	}
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
			return fmt.Errorf("%s: %w", n, err)
		}
		if uint64(st.Dev) != dev {
			continue // another filesystem mounted in the home
		}
		if st.Dev == self.Dev && st.Ino == self.Ino {
			continue // the new home, inside the old one
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR:
			if n == ".zfs" && uint64(st.Ino) == zfsCtlIno {
				continue
			}
			if err := copyHomeDir(src, dst, n, &st, dev, depth); err != nil {
				return err
			}
		case unix.S_IFREG:
			if err := copyHomeFile(src, dst, n, &st); err != nil {
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
					continue // kept, as copytree keeps it
				}
				return fmt.Errorf("%s: %w", n, err)
			}
			if err := chownTolerant(unix.Fchownat(dst, n, int(st.Uid), int(st.Gid), unix.AT_SYMLINK_NOFOLLOW)); err != nil {
				return fmt.Errorf("%s: %w", n, err)
			}
		}
	}
	return nil
}

// copyHomeDir copies the folder name of src (stat st) into dst: made, or
// entered when dst has a folder of that name, filled, then given st's
// owner, mode and times.
func copyHomeDir(src, dst int, name string, st *unix.Stat_t, dev uint64, depth int) error {
	if err := unix.Mkdirat(dst, name, 0o700); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("%s: %w", name, err)
	}
	sfd, err := openDirAt(src, name)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer unix.Close(sfd)
	dfd, err := openDirAt(dst, name)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer unix.Close(dfd)
	var now unix.Stat_t
	if err := unix.Fstat(sfd, &now); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if now.Dev != st.Dev || now.Ino != st.Ino {
		return nil // swapped since it was listed
	}
	if err := copyHomeAt(sfd, dfd, dev, depth+1); err != nil {
		return fmt.Errorf("%s/%w", name, err)
	}
	if err := copyMeta(dfd, st, uint32(st.Mode)&0o7777); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// copyHomeFile copies the regular file name of src (stat st) into dst,
// replacing what dst has there, with st's owner, mode and times.
func copyHomeFile(src, dst int, name string, st *unix.Stat_t) error {
	in, err := unix.Openat(src, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	fin := os.NewFile(uintptr(in), name)
	defer fin.Close()
	var now unix.Stat_t
	if err := unix.Fstat(in, &now); err != nil {
		return err
	}
	if now.Mode&unix.S_IFMT != unix.S_IFREG || now.Dev != st.Dev || now.Ino != st.Ino {
		return nil // swapped since it was listed
	}
	err = unix.Unlinkat(dst, name, 0)
	if errors.Is(err, unix.EISDIR) || errors.Is(err, unix.EPERM) {
		return fmt.Errorf("the new home has a folder of that name")
	}
	if err != nil && !errors.Is(err, unix.ENOENT) {
		return err
	}
	out, err := unix.Openat(dst, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	fout := os.NewFile(uintptr(out), name)
	err = copyData(fout, fin)
	if err == nil {
		err = copyMeta(out, &now, uint32(now.Mode)&0o1777)
	}
	if cerr := fout.Close(); err == nil {
		err = cerr
	}
	return err
}

// copyMeta gives the open copy fd the owner and times of st, and mode.
// The owner first: a chown would clear the special bits set before it.
func copyMeta(fd int, st *unix.Stat_t, mode uint32) error {
	if err := fchownTolerant(fd, int(st.Uid), int(st.Gid)); err != nil {
		return err
	}
	if err := unix.Fchmod(fd, mode); err != nil {
		return err
	}
	return unix.Futimes(fd, []unix.Timeval{unix.NsecToTimeval(st.Atim.Nano()), unix.NsecToTimeval(st.Mtim.Nano())})
}
