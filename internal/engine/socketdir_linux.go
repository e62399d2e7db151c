//go:build linux

package engine

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// ListenSocket listens on the unix socket path with TrueNAS's mode, 0666
// (main.py, TS-25.10.6, lines 1462-1465): who may do what is decided per
// call from the peer's credentials.
//
// The socket's directory must be one nobody but root (or this process's
// user) can add entries to, checked on descriptors: from "/", every
// component is opened without following it (O_PATH|O_NOFOLLOW) and checked
// on that descriptor (owner root or this user, no group or other write
// bit, sticky or not: in sticky /tmp any user may bind the name first and
// receive what clients send); a symlink is read through its descriptor
// and its target walked the same way. A missing component is made (0755)
// under its checked parent. The socket is then bound, its stale file
// removed, and on close unlinked, all through the checked directory's
// descriptor (/proc/self/fd), never by resolving the path again.
func ListenSocket(path string) (net.Listener, error) {
	name := filepath.Base(path)
	if name == "/" || name == "." || name == ".." || strings.HasSuffix(path, "/") {
		return nil, fmt.Errorf("socket %s: not a file name", path)
	}
	dfd, err := openSocketDir(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	keep := false
	defer func() {
		if !keep {
			unix.Close(dfd)
		}
	}()
	via := fmt.Sprintf("/proc/self/fd/%d/%s", dfd, name)
	var st unix.Stat_t
	if err := unix.Fstatat(dfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil {
		if st.Mode&unix.S_IFMT != unix.S_IFSOCK {
			return nil, fmt.Errorf("%s exists and is not a socket", path)
		}
		if c, err := net.Dial("unix", via); err == nil {
			c.Close()
			return nil, fmt.Errorf("%s: another server is listening there", path)
		}
		if err := unix.Unlinkat(dfd, name, 0); err != nil {
			return nil, fmt.Errorf("%s: remove the stale socket: %w", path, err)
		}
	} else if !errors.Is(err, unix.ENOENT) {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ln, err := listenSocket(via)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	ul, ok := ln.(*net.UnixListener)
	if !ok {
		ln.Close()
		return nil, fmt.Errorf("listen on %s: not a unix listener", path)
	}
	ul.SetUnlinkOnClose(false)
	if err := unix.Fstatat(dfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		ln.Close()
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	keep = true
	return &dirListener{UnixListener: ul, dfd: dfd, name: name, path: path, dev: st.Dev, ino: st.Ino}, nil
}

// dirListener is a socket bound in a checked directory, which it holds
// open to unlink the socket on close (only if it is still its socket).
type dirListener struct {
	*net.UnixListener
	dfd      int
	name     string
	path     string
	dev, ino uint64
}

func (l *dirListener) Addr() net.Addr { return &net.UnixAddr{Name: l.path, Net: "unix"} }

func (l *dirListener) Close() error {
	err := l.UnixListener.Close()
	var st unix.Stat_t
	if unix.Fstatat(l.dfd, l.name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Dev == l.dev && st.Ino == l.ino {
		unix.Unlinkat(l.dfd, l.name, 0)
	}
	unix.Close(l.dfd)
	return err
}

// maxSocketDirLinks bounds the symlinks followed (as the kernel's 40).
const maxSocketDirLinks = 40

// openSocketDir opens dir (O_PATH) after checking every component on its
// descriptor; see ListenSocket.
func openSocketDir(dir string) (int, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return -1, err
	}
	fail := func(format string, args ...any) (int, error) {
		return -1, fmt.Errorf("socket directory %s: "+format+": choose a --socket in a directory only root can change", append([]any{dir}, args...)...)
	}
	const flags = unix.O_PATH | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd, err := unix.Open("/", flags|unix.O_DIRECTORY, 0)
	if err != nil {
		return -1, err
	}
	at := "/"
	if err := checkDirFD(fd, at); err != nil {
		unix.Close(fd)
		return fail("%v", err)
	}
	comps := strings.Split(abs, "/")
	links := 0
	for len(comps) > 0 {
		c := comps[0]
		comps = comps[1:]
		if c == "" || c == "." {
			continue
		}
		nfd, err := unix.Openat(fd, c, flags, 0)
		if errors.Is(err, unix.ENOENT) {
			if err := unix.Mkdirat(fd, c, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
				unix.Close(fd)
				return fail("make %s in %s: %v", c, at, err)
			}
			nfd, err = unix.Openat(fd, c, flags, 0)
		}
		if err != nil {
			unix.Close(fd)
			return fail("%s in %s: %v", c, at, err)
		}
		var st unix.Stat_t
		if err := unix.Fstat(nfd, &st); err != nil {
			unix.Close(nfd)
			unix.Close(fd)
			return fail("%s in %s: %v", c, at, err)
		}
		if st.Mode&unix.S_IFMT == unix.S_IFLNK {
			// Its directory is checked: only root (or this user) put it
			// there. Its target is walked as the rest of the path.
			buf := make([]byte, 4096)
			n, err := unix.Readlinkat(nfd, "", buf)
			unix.Close(nfd)
			if links++; err != nil || links > maxSocketDirLinks || n == len(buf) {
				unix.Close(fd)
				return fail("%s in %s: a symlink that cannot be followed", c, at)
			}
			target := string(buf[:n])
			comps = append(strings.Split(target, "/"), comps...)
			if strings.HasPrefix(target, "/") {
				unix.Close(fd)
				if fd, err = unix.Open("/", flags|unix.O_DIRECTORY, 0); err != nil {
					return -1, err
				}
				at = "/"
			}
			continue
		}
		unix.Close(fd)
		fd = nfd
		at = filepath.Join(at, c)
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			unix.Close(fd)
			return fail("%s is not a directory", at)
		}
		if err := checkDirFD(fd, at); err != nil {
			unix.Close(fd)
			return fail("%v", err)
		}
	}
	return fd, nil
}

// checkDirFD refuses a directory another user than root (or this
// process's user) owns or can add entries to.
func checkDirFD(fd int, at string) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if me := uint32(os.Geteuid()); st.Uid != 0 && st.Uid != me {
		return fmt.Errorf("%s is owned by uid %d, not by root", at, st.Uid)
	}
	if st.Mode&0o022 != 0 {
		sticky := ""
		if st.Mode&unix.S_ISVTX != 0 {
			sticky = " (sticky: any user may still add a name there)"
		}
		return fmt.Errorf("%s is writable by group or others (mode %04o)%s", at, st.Mode&0o7777, sticky)
	}
	return nil
}
