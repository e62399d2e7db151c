package engine

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/nasops/terraform-provider-truenas/internal/account"
	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

const usage = `usage: engine [--root DIR] call METHOD [ARG ...]
       engine version

Runs one TrueNAS account API method, as midclt call does. Each ARG is JSON
(a bare string when it is not JSON); an ARG of "-" is replaced by the next
JSON value read from stdin. --root defaults to $TRUENAS_ENGINE_ROOT, else /.
`

// Main runs the engine command line: "engine [--root DIR] call METHOD [ARG ...]".
// It returns the process exit code: 0 on success, 1 on a failed call, 2 on
// a usage error.
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
		rest = rest[1:] // program name ("engine" or "midclt")
	}
	for len(rest) > 0 && strings.HasPrefix(rest[0], "-") {
		a := rest[0]
		switch {
		case a == "--root" || a == "-root":
			if len(rest) < 2 || rest[1] == "" {
				fmt.Fprint(stderr, "engine: --root needs a folder\n"+usage)
				return 2
			}
			root, rest = rest[1], rest[2:]
		case strings.HasPrefix(a, "--root="):
			root, rest = strings.TrimPrefix(a, "--root="), rest[1:]
		case a == "-h" || a == "--help":
			fmt.Fprint(stdout, usage)
			return 0
		default:
			fmt.Fprintf(stderr, "engine: unknown option %s\n%s", a, usage)
			return 2
		}
	}
	if len(rest) == 1 && rest[0] == "version" {
		fmt.Fprintln(stdout, VersionLine())
		return 0
	}
	if len(rest) < 2 || rest[0] != "call" {
		fmt.Fprint(stderr, usage)
		return 2
	}
	if rest[1] == "-j" { // midclt's "wait for job" flag: our methods are not jobs
		rest = append(rest[:1:1], rest[2:]...)
		if len(rest) < 2 {
			fmt.Fprint(stderr, usage)
			return 2
		}
	}
	method := rest[1]
	callArgs, err := readArgs(rest[2:], stdin)
	if err != nil {
		fmt.Fprintf(stderr, "[EINVAL] %v\n", err)
		return 1
	}
	e, err := Open(root)
	if err != nil {
		fmt.Fprintf(stderr, "[EFAULT] %v\n", oneLine(err.Error()))
		return 1
	}
	defer e.Close()
	res, err := e.Call(context.Background(), method, callArgs)
	if err != nil {
		writeError(stderr, err)
		return 1
	}
	out, err := wire.FormatResult(res)
	if err != nil {
		fmt.Fprintf(stderr, "[EFAULT] cannot format the result: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, out)
	return 0
}

// readArgs parses the command-line arguments; each "-" takes the next JSON
// value from stdin, which may hold at most wire.MaxMessage bytes.
func readArgs(raw []string, stdin io.Reader) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, 0, len(raw))
	var dec *json.Decoder
	for _, a := range raw {
		if a != "-" {
			out = append(out, wire.ParseArg(a))
			continue
		}
		if dec == nil {
			if stdin == nil {
				stdin = bytes.NewReader(nil)
			}
			data, err := io.ReadAll(io.LimitReader(bufio.NewReader(stdin), wire.MaxMessage+1))
			if err != nil {
				return nil, fmt.Errorf("cannot read arguments from stdin: %v", err)
			}
			if len(data) > wire.MaxMessage {
				//lint:ignore ST1005 the middleware's message
				return nil, errors.New("Max message length is 64 kB")
			}
			dec = json.NewDecoder(bytes.NewReader(data))
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("stdin has no JSON value for argument %d", len(out)+1)
			}
			return nil, fmt.Errorf("stdin argument %d is not valid JSON: %v", len(out)+1, err)
		}
		out = append(out, v)
	}
	if dec != nil {
		var extra json.RawMessage
		if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
			if err != nil {
				return nil, fmt.Errorf("stdin holds malformed JSON after the arguments: %v", err)
			}
			return nil, fmt.Errorf("stdin holds more JSON values than there are \"-\" arguments")
		}
	}
	return out, nil
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

// writeError prints err as midclt does.
func writeError(w io.Writer, err error) {
	var errs account.Errors
	var ce *account.CallError
	var mnf *MethodNotFoundError
	switch {
	case errors.As(err, &errs):
		for _, e := range errs {
			fmt.Fprintln(w, oneLine(e.Line()))
		}
	case errors.As(err, &ce):
		fmt.Fprintf(w, "[%s] %s\n", ce.Errno.Name(), oneLine(ce.Message))
	case errors.As(err, &mnf):
		fmt.Fprintln(w, mnf.Error())
	default:
		fmt.Fprintf(w, "[EFAULT] %s\n", oneLine(err.Error()))
	}
}
