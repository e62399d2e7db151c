//go:build unix

package box

import "sync/atomic"

// syncs counts the fsync, fdatasync and syncfs calls of this process's
// applies and locks, for the benchmarks.
var syncs atomic.Int64

// Syncs is the number of syncs (fsync of a file or folder, syncfs) the
// box package has made in this process.
func Syncs() int64 { return syncs.Load() }
