package sandbox

import (
	"fmt"
	"io"
)

// Main runs "sandbox --dir DIR [--listen 127.0.0.1:PORT]". (Placeholder.)
func Main(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "sandbox: not built yet")
	return 1
}
