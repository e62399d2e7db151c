package sandbox

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Main runs "truenas-engine sandbox --dir DIR [--listen 127.0.0.1:PORT] [--release R]" until SIGINT or
// SIGTERM. args[0] is the mode name ("sandbox").
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, args, stdout, stderr)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	name := "sandbox"
	if len(args) > 0 {
		name, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("truenas-engine "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "the sandbox folder: keys, known_hosts, sandbox.env and the box root (DIR/root)")
	listen := fs.String("listen", "127.0.0.1:2222", "loopback address to listen on (port 0 picks a free one)")
	release := fs.String("release", "", "the TrueNAS release a new box answers as: 25.10 (default), 26.0 or 13.3; a box keeps its release")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dir == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: truenas-engine sandbox --dir DIR [--listen 127.0.0.1:PORT] [--release 25.10|26.0|13.3]")
		return 2
	}
	sb, err := Start(ctx, Options{Dir: *dir, Listen: *listen, Log: stderr, Release: *release})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "sandbox ready on %s (root %s; source %s for the provider's settings)\n", sb.Addr, sb.Root, sb.EnvFile)
	<-ctx.Done()
	if err := sb.Close(); err != nil {
		fmt.Fprintln(stderr, err)
	}
	return 0
}
