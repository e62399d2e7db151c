package engine

import (
	"fmt"
	"io"
)

// Main runs the engine command line: "engine [--root DIR] call METHOD [ARG ...]".
// It returns the process exit code. (Placeholder: the engine helper replaces it.)
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "engine: not built yet")
	return 1
}
