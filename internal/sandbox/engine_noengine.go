//go:build sandbox_noengine

package sandbox

import (
	"fmt"
	"io"
)

// With the sandbox_noengine tag (for testing the sandbox while the engine
// package does not build) the default engine only refuses.
var defaultEngine EngineFunc = func(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "engine: not built into this binary (sandbox_noengine)")
	return 1
}
