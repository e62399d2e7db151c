//go:build !unix

package box

import "errors"

var errUnsupported = errors.New("box: applying accounts is only supported on Unix systems")

// ApplyState is only implemented on Unix systems; the engine runs on the box.
func ApplyState(root string, st State, led Ledger) (*Result, error) { return nil, errUnsupported }

// ApplyDelta is only implemented on Unix systems; the engine runs on the box.
func ApplyDelta(root string, c Change, led Ledger) (*Result, error) { return nil, errUnsupported }

// CheckSudoers is only implemented on Unix systems; the engine runs on the box.
func CheckSudoers(root string, users []User, groups []Group) error { return nil }

// Lock is only implemented on Unix systems; the engine runs on the box.
func Lock(root string) (unlock func(), err error) { return nil, errUnsupported }
