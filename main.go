// Command terraform-provider-truenas is the Terraform provider: the plugin
// server Terraform starts, and nothing else. The box side (the account
// engine, its midclt name and the sandbox) is cmd/truenas-engine, so that
// this binary, which the registry ships for every platform, links no SQLite,
// SSH server or websocket server (provider_deps_test.go checks it).
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/nasops/terraform-provider-truenas/internal/provider"
)

// version is set by goreleaser.
var version = "dev"

// serveGCPercent is the provider server's GOGC unless the environment sets one.
const serveGCPercent = 200

func main() {
	os.Exit(run(os.Args))
}

func run(args []string) int {
	var withDebugger bool
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.BoolVar(&withDebugger, "debug", false, "run the provider with support for debuggers such as delve")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "%s: unexpected argument %q: this is the Terraform provider, started by Terraform (the box-side engine and the sandbox are truenas-engine)\n", args[0], fs.Arg(0))
		return 2
	}
	// A provider process lives for one Terraform command with a heap of a
	// few MiB, so at Go's default GOGC of 100 it collects every few MiB it
	// allocates: hundreds of times in a plan of 1,000 users. At 200 it
	// collects half as often; `make perf` shows the CPU saved and the peak
	// memory it costs (CONTRIBUTING.md, Performance). GOGC in the environment wins.
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
