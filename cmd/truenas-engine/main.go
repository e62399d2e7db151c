// Command truenas-engine is the box side of the provider: the account
// engine that answers TrueNAS's account API on a Linux box
// ("truenas-engine [--root DIR] call|serve|version ..."), the same engine
// as midclt when the binary is run under that name (a symlink), and a box
// in a folder reachable over SSH ("truenas-engine sandbox --dir DIR").
package main

import (
	"os"
	"path/filepath"

	"github.com/nasops/terraform-provider-truenas/internal/engine"
	"github.com/nasops/terraform-provider-truenas/internal/sandbox"
)

// version is set by goreleaser.
var version = "dev"

func main() {
	os.Exit(run(os.Args))
}

func run(args []string) int {
	engine.Version = version
	if len(args) > 0 && filepath.Base(args[0]) == "midclt" {
		return engine.Main(append([]string{"midclt"}, args[1:]...), os.Stdin, os.Stdout, os.Stderr)
	}
	if len(args) > 1 && args[1] == "sandbox" {
		return sandbox.Main(args[1:], os.Stdout, os.Stderr)
	}
	return engine.Main(args, os.Stdin, os.Stdout, os.Stderr)
}
