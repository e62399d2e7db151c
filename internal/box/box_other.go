//go:build !unix

package box

import "errors"

var errUnsupported = errors.New("box: applying accounts is only supported on Unix systems")

// ApplyResult is only implemented on Unix systems; the engine runs on the box.
func ApplyResult(root string, st State) (*Result, error) { return nil, errUnsupported }

// ApplyChange is only implemented on Unix systems; the engine runs on the box.
func ApplyChange(root string, c Change) (*Result, error) { return nil, errUnsupported }

// Lock is only implemented on Unix systems; the engine runs on the box.
func Lock(root string) (unlock func(), err error) { return nil, errUnsupported }
