//go:build unix && !linux

package box

// openat2Dir: there is no openat2(2) here; the caller walks the path one
// component at a time with O_NOFOLLOW.
func openat2Dir(dirfd int, rel string) (fd int, ok bool, err error) { return -1, false, nil }
