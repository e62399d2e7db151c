// Package systemtest runs the built binary the way a box runs it: the engine
// as midclt on a real root, OpenSSH's sshd in front of it, and processes that
// race and die. Nothing here is a model of the box.
package systemtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// binary is the box-side binary (cmd/truenas-engine) built once for the
// package's tests.
var binary string

func TestMain(m *testing.M) {
	// Inside the real-box namespace the binary was built by the parent.
	if b := os.Getenv("REALBOX_BINARY"); b != "" {
		binary = b
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "systemtest-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "truenas-engine")
	build := exec.Command("go", "build", "-o", binary, "../../cmd/truenas-engine")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the binary:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is one engine command-line run.
type result struct {
	stdout, stderr string
	code           int
}

// engineCall runs "truenas-engine --root ROOT call METHOD ARG... -" as the provider
// sends a call to a midclt that reads stdin (TrueNAS 26.0 and the engine):
// the leading params on the command line, the last one, the payload that
// may hold secrets, as the single final "-" on stdin.
func engineCall(t testing.TB, root, method string, params ...any) result {
	t.Helper()
	args, stdin := callArgs(params)
	return run(t, binary, append([]string{"--root", root, "call", method}, args...), stdin)
}

// callArgs gives the arguments and stdin of a call: the leading params on
// the command line as JSON, the last as the single final "-" on stdin.
func callArgs(params []any) ([]string, []byte) {
	var args []string
	var stdin []byte
	for i, p := range params {
		b, err := json.Marshal(p)
		if err != nil {
			panic(err)
		}
		if i < len(params)-1 {
			args = append(args, string(b))
			continue
		}
		stdin = b
		args = append(args, "-")
	}
	return args, stdin
}

func run(t testing.TB, name string, args []string, stdin []byte) result {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %s: %v", name, err)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// mustCall runs an engine call that must succeed and decodes its result.
func mustCall(t testing.TB, root string, into any, method string, params ...any) {
	t.Helper()
	r := engineCall(t, root, method, params...)
	if r.code != 0 {
		t.Fatalf("%s: exit %d\nstderr: %s", method, r.code, r.stderr)
	}
	if r.stderr != "" {
		t.Fatalf("%s: success wrote to stderr: %q", method, r.stderr)
	}
	if into != nil {
		if err := json.Unmarshal([]byte(r.stdout), into); err != nil {
			t.Fatalf("%s: result %q: %v", method, r.stdout, err)
		}
	}
}

// passwdEntries parses an etc/passwd-style file into name -> fields, failing
// on any line that does not have want fields (a half-written entry).
func parseColonFile(t testing.TB, path string, want int) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	out := map[string][]string{}
	for i, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) != want {
			t.Fatalf("%s line %d has %d fields, want %d: %q", path, i+1, len(f), want, line)
		}
		if _, dup := out[f[0]]; dup {
			t.Fatalf("%s: %q appears twice", path, f[0])
		}
		out[f[0]] = f
	}
	return out
}
