//go:build linux

package box

import (
	"errors"

	"golang.org/x/sys/unix"
)

// openat2Dir opens the directory rel below dirfd with openat2(2), refusing
// any symlink on the way and any way out of dirfd (RESOLVE_NO_SYMLINKS,
// RESOLVE_BENEATH). ok is false when the kernel has no openat2 (before
// 5.6, or a seccomp filter that refuses it): the caller then walks the
// path one component at a time.
func openat2Dir(dirfd int, rel string) (fd int, ok bool, err error) {
	fd, err = unix.Openat2(dirfd, rel, &unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS,
	})
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.E2BIG) {
		return -1, false, nil
	}
	return fd, true, err
}
