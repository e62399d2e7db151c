//go:build linux

package engine

import (
	"time"

	"golang.org/x/sys/unix"
)

// monotonicRaw is what TrueNAS reports as uptime:
// clock_gettime(CLOCK_MONOTONIC_RAW).
func monotonicRaw() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC_RAW, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}
