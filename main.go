// Command terraform-provider-truenas is one binary with several modes: the
// Terraform provider server (what Terraform starts), "engine" (the account
// engine on the box), "sandbox" (a box in a folder, reachable over SSH), and
// midclt (the engine, when the binary is run under that name).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/nasops/terraform-provider-truenas/internal/engine"
	"github.com/nasops/terraform-provider-truenas/internal/provider"
	"github.com/nasops/terraform-provider-truenas/internal/sandbox"
)

// version is set by goreleaser.
var version = "dev"

// serveGCPercent is the provider server's GOGC unless the environment sets one.
const serveGCPercent = 200

func main() {
	os.Exit(run(os.Args))
}

func run(args []string) int {
	engine.Version = version
	if filepath.Base(args[0]) == "midclt" {
		return engine.Main(append([]string{"engine"}, args[1:]...), os.Stdin, os.Stdout, os.Stderr)
	}
	if len(args) > 1 {
		switch args[1] {
		case "engine":
			return engine.Main(args[1:], os.Stdin, os.Stdout, os.Stderr)
		case "sandbox":
			return sandbox.Main(args[1:], os.Stdout, os.Stderr)
		case "version", "--version":
			fmt.Println("terraform-provider-truenas", version)
			return 0
		}
	}
	var withDebugger bool
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.BoolVar(&withDebugger, "debug", false, "run the provider with support for debuggers such as delve")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	// A provider process lives for one Terraform command with a heap of a
	// few MiB, so at Go's default GOGC of 100 it collects every few MiB it
	// allocates: hundreds of times in a plan of 1,000 users. At 200 it
	// collects half as often; `make perf` shows the CPU saved and the peak
	// memory it costs (README, Performance). GOGC in the environment wins.
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(serveGCPercent)
	}
	var opts []tf6server.ServeOpt
	if withDebugger {
		opts = append(opts, tf6server.WithManagedDebug())
	}
	err := tf6server.Serve("registry.terraform.io/nasops/truenas", provider.NewServer(version), opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
