package engine

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nasops/terraform-provider-truenas/internal/account"
	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

const usage = `usage: truenas-engine [--root DIR] [--release 25.10|26.0|13.3] [-t SECONDS] [-u URI] [-U USER] [-P PASSWORD] [-K KEY] call [-q] [-j] [-jp progressbar|description] METHOD [ARG ...]
       truenas-engine [--root DIR] [--release 25.10|26.0|13.3] serve [--socket PATH]
       truenas-engine version
       truenas-engine sandbox --dir DIR [--listen 127.0.0.1:PORT] [--release 25.10|26.0|13.3]
       midclt ... (the binary run under that name: as truenas-engine)

call runs one TrueNAS account API method, as TrueNAS's midclt call does.
Each ARG is JSON (a bare string when it is not JSON); an ARG of "-" is
replaced by the one JSON payload read from stdin, as TrueNAS 26.0's midclt
does (several "-" all get that payload); on 13.3 every argument comes from
the command line, as CORE's midclt takes them ("-" is the string "-"). -q prints no error text; -j, -jp
are accepted (the account methods are not jobs); -t bounds the call in
seconds; -u, -U, -P and -K are accepted and ignored: the engine runs the
call itself, with the rights of the user running it.

serve answers the middleware's JSON-RPC 2.0 websocket (ws://localhost/api/current)
on a unix socket, mode 0666, default the release's middleware socket
(/var/run/middleware/middlewared.sock on 25.10, /run/middleware/middlewared.sock
on 26.0), or the socket systemd passes. Each connection acts as its peer: root may
call everything, another local user what its TrueNAS roles allow. On 13.3 it is
CORE's legacy DDP websocket (ws://localhost/websocket) on /var/run/middlewared.sock,
where every peer is root, as on CORE, and so only root may connect.

version prints the TrueNAS release the engine answers as and the engine's
own version.

sandbox runs a box in DIR (its root DIR/root) behind an SSH server on
loopback that runs midclt calls and forwards the middleware socket, as a
TrueNAS box does, until SIGINT or SIGTERM.

--root defaults to $TRUENAS_ENGINE_ROOT, else /.
--release is the TrueNAS release a new root answers as (default 25.10); a
root keeps the release it was created with, and refuses another.
`

// MidcltFlavourEnv, when set to "25.10", makes the engine's midclt read no
// stdin, as the midclt of TrueNAS 25.04 and 25.10 does (every argument from
// the command line; a "-" is the string "-"). Tests use it to stand for such
// a box.
const MidcltFlavourEnv = "TRUENAS_ENGINE_MIDCLT_FLAVOUR"

// Main runs the engine command line. It returns the process exit code: 0
// on success, 1 on a failed call, 2 on a usage error.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "[EFAULT] internal error: %v\n", r)
			code = 1
		}
	}()
	root := os.Getenv("TRUENAS_ENGINE_ROOT")
	if root == "" {
		root = "/"
	}
	rest := args
	if len(rest) > 0 {
		rest = rest[1:] // program name ("truenas-engine" or "midclt")
	}
	var timeout time.Duration
	release := ""
	flavour := os.Getenv(MidcltFlavourEnv)
	// The global options, before the subcommand (midclt's get_parser).
	for len(rest) > 0 && strings.HasPrefix(rest[0], "-") {
		name, value, inline := strings.Cut(rest[0], "=")
		takes := func() (string, bool) {
			if inline {
				rest = rest[1:]
				return value, true
			}
			if len(rest) < 2 {
				return "", false
			}
			v := rest[1]
			rest = rest[2:]
			return v, true
		}
		switch name {
		case "--root", "-root":
			v, ok := takes()
			if !ok || v == "" {
				fmt.Fprint(stderr, "truenas-engine: --root needs a folder\n"+usage)
				return 2
			}
			root = v
		case "--release", "-release":
			v, ok := takes()
			if _, err := LookupRelease(v); !ok || err != nil {
				fmt.Fprintf(stderr, "truenas-engine: --release: %v\n%s", err, usage)
				return 2
			}
			release = v
		case "-t", "--timeout":
			v, ok := takes()
			n, err := strconv.Atoi(v)
			if !ok || err != nil {
				fmt.Fprintf(stderr, "truenas-engine: %s needs a number of seconds\n%s", name, usage)
				return 2
			}
			if n > 0 {
				timeout = time.Duration(n) * time.Second
			}
		case "-u", "--uri", "-U", "--username", "-P", "--password", "-K", "--api-key":
			// The engine runs the call itself: there is no server to reach
			// and no login to make. Never echo the value.
			if _, ok := takes(); !ok {
				fmt.Fprintf(stderr, "truenas-engine: %s needs a value\n%s", name, usage)
				return 2
			}
		case "--insecure":
			rest = rest[1:]
		case "--midclt-flavour":
			// For tests: "25.10" reads no stdin (see MidcltFlavourEnv).
			v, ok := takes()
			if !ok || (v != "25.10" && v != "26.0") {
				fmt.Fprintf(stderr, "truenas-engine: --midclt-flavour is 25.10 or 26.0\n%s", usage)
				return 2
			}
			flavour = v
		case "-h", "--help":
			fmt.Fprint(stdout, usage)
			return 0
		default:
			fmt.Fprintf(stderr, "truenas-engine: unknown option %s\n%s", name, usage)
			return 2
		}
	}
	if len(rest) == 1 && rest[0] == "version" {
		fmt.Fprintln(stdout, VersionLine())
		return 0
	}
	if len(rest) > 0 && rest[0] == "serve" {
		return serveMain(root, release, rest[1:], stderr)
	}
	if len(rest) < 1 || rest[0] != "call" {
		fmt.Fprint(stderr, usage)
		return 2
	}
	// The call options, which argparse takes anywhere among the arguments.
	quiet := false
	var positional []string
	for i := 1; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "-q" || a == "--quiet":
			quiet = true
		case a == "-j" || a == "--job":
		case a == "-jp" || a == "--job-print" || strings.HasPrefix(a, "--job-print="):
			v, inline := strings.CutPrefix(a, "--job-print=")
			if !inline {
				if i+1 >= len(rest) {
					fmt.Fprintf(stderr, "truenas-engine: %s needs progressbar or description\n%s", a, usage)
					return 2
				}
				i++
				v = rest[i]
			}
			if v != "progressbar" && v != "description" {
				fmt.Fprintf(stderr, "truenas-engine: %s: invalid choice: %q (choose from 'progressbar', 'description')\n", a, v)
				return 2
			}
		default:
			positional = append(positional, a)
		}
	}
	if len(positional) < 1 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	errw := stderr
	if quiet {
		errw = io.Discard
	}
	method := positional[0]
	e, err := OpenRelease(root, release)
	if err != nil {
		fmt.Fprintf(errw, "[EFAULT] %v\n", oneLine(err.Error()))
		return 1
	}
	defer e.Close()
	var callArgs []json.RawMessage
	if flavour == "25.10" || e.Release().MidcltArgvOnly {
		// CORE's midclt (and 25.10's when asked to stand for it) reads
		// no stdin: "-" is the string "-", which the method refuses as
		// any other wrong argument.
		callArgs = commandLineArgs(positional[1:])
	} else {
		callArgs, err = readArgs(positional[1:], stdin)
	}
	if err != nil {
		fmt.Fprintf(errw, "[EINVAL] %v\n", err)
		return 1
	}
	ctx := context.Background()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	res, err := e.Call(ctx, method, callArgs)
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(errw, "Call timeout")
			return 1
		}
		writeError(errw, err)
		return 1
	}
	out, err := wire.FormatResult(res)
	if err != nil {
		fmt.Fprintf(errw, "[EFAULT] cannot format the result: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, out)
	return 0
}

// commandLineArgs is what the midclt of TrueNAS 25.04 and 25.10 does with
// the arguments: each is JSON or a string; "-" is the string "-".
func commandLineArgs(raw []string) []json.RawMessage {
	out := make([]json.RawMessage, len(raw))
	for i, a := range raw {
		out[i] = wire.ParseArg(a)
	}
	return out
}

// readArgs parses the command-line arguments as TrueNAS 26.0's midclt does
// (truenas/api_client, release/26.0.0-BETA.2, main() from_json): every "-"
// is replaced by the one payload read from stdin (read once, at most
// wire.MaxMessage bytes): its JSON value, or the text itself when it is not
// JSON.
func readArgs(raw []string, stdin io.Reader) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, 0, len(raw))
	var payload json.RawMessage
	for _, a := range raw {
		if a != "-" {
			out = append(out, wire.ParseArg(a))
			continue
		}
		if payload == nil {
			var data []byte
			if stdin != nil {
				var err error
				data, err = io.ReadAll(io.LimitReader(bufio.NewReader(stdin), wire.MaxMessage+1))
				if err != nil {
					return nil, fmt.Errorf("cannot read the payload from stdin: %v", err)
				}
			}
			if len(data) > wire.MaxMessage {
				//lint:ignore ST1005 the middleware's message
				return nil, errors.New("Max message length is 64 kB")
			}
			payload = wire.ParseArg(string(data))
		}
		out = append(out, payload)
	}
	return out, nil
}

// serveMain is "truenas-engine serve [--socket PATH]".
func serveMain(root, release string, args []string, stderr io.Writer) int {
	socket := ""
	for len(args) > 0 {
		name, value, inline := strings.Cut(args[0], "=")
		switch name {
		case "--socket", "-socket":
			if !inline {
				if len(args) < 2 {
					fmt.Fprint(stderr, "truenas-engine serve: --socket needs a path\n"+usage)
					return 2
				}
				value, args = args[1], args[1:]
			}
			socket, args = value, args[1:]
		default:
			fmt.Fprintf(stderr, "truenas-engine serve: unknown argument %s\n%s", args[0], usage)
			return 2
		}
	}
	e, err := OpenRelease(root, release)
	if err != nil {
		fmt.Fprintf(stderr, "truenas-engine serve: %v\n", err)
		return 1
	}
	defer e.Close()
	var ln net.Listener
	if socket == "" {
		ln, err = systemdListener()
		if err != nil {
			fmt.Fprintf(stderr, "truenas-engine serve: %v\n", err)
			return 1
		}
		socket = e.Release().Socket
	}
	if ln == nil {
		if ln, err = ListenSocket(socket); err != nil {
			fmt.Fprintf(stderr, "truenas-engine serve: %v\n", err)
			return 1
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(stderr, "truenas-engine serve: listening on %s (root %s)\n", ln.Addr(), e.Root())
	if err := e.Serve(ctx, ln, stderr); err != nil {
		fmt.Fprintf(stderr, "truenas-engine serve: %v\n", err)
		return 1
	}
	return 0
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

// writeError prints err as midclt does.
func writeError(w io.Writer, err error) {
	var errs account.Errors
	var ce *account.CallError
	var se *account.CoreSchemaError
	var mnf *MethodNotFoundError
	switch {
	case errors.As(err, &errs):
		for _, e := range errs {
			fmt.Fprintln(w, oneLine(e.Line()))
		}
	case errors.As(err, &se):
		fmt.Fprintf(w, "[%s] %s\n", account.EINVAL.Name(), oneLine(se.Error()))
	case errors.As(err, &ce):
		fmt.Fprintf(w, "[%s] %s\n", ce.Errno.Name(), oneLine(ce.Message))
	case errors.As(err, &mnf):
		// midclt prints the ClientException's error, the JSON-RPC message
		// (truenas_api_client _parse_error_and_unpickle_exception).
		fmt.Fprintln(w, "Method does not exist")
	default:
		fmt.Fprintf(w, "[EFAULT] %s\n", oneLine(err.Error()))
	}
}
