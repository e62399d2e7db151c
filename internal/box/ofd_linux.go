//go:build linux

package box

import "golang.org/x/sys/unix"

// ofdSetLock takes an fcntl record lock owned by the open file
// description (not the process), so that two goroutines of one process
// exclude each other too; it conflicts with lckpwdf's F_SETLKW lock.
const ofdSetLock = unix.F_OFD_SETLK
