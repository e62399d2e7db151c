//go:build !linux

package engine

import "time"

// started is when the engine's process started.
var started = time.Now()

// monotonicRaw is the uptime system.info reports. TrueNAS SCALE reads
// CLOCK_MONOTONIC_RAW, which only Linux has; elsewhere the engine reports
// how long its own process has run.
func monotonicRaw() time.Duration { return time.Since(started) }
