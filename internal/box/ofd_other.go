//go:build unix && !linux

package box

import "golang.org/x/sys/unix"

// ofdSetLock is a classic fcntl record lock where there are no open file
// description locks; the engine's own flock (Lock) keeps goroutines apart.
const ofdSetLock = unix.F_SETLK
