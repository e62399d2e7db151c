package engine

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// binDir holds the real binary (truenas-engine, from cmd/truenas-engine) and
// a midclt symlink to it, built once by TestMain.
var binDir string

func TestMain(m *testing.M) {
	// When the real binary cannot be built (another package of the tree is
	// mid-change), the test binary stands in for it.
	if os.Getenv("ENGINE_TEST_AS_BINARY") == "1" {
		args := os.Args
		os.Exit(Main(args, os.Stdin, os.Stdout, os.Stderr)) // truenas-engine ... or midclt ...
	}
	if os.Getenv("ENGINE_ATTACK_SOCKET") != "" {
		os.Exit(m.Run()) // BenchmarkServeMemoryUnderAttack's attacker
	}
	dir, err := os.MkdirTemp("", "engine-cli-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	bin := filepath.Join(dir, "truenas-engine")
	build := exec.Command("go", "build", "-o", bin, "github.com/nasops/terraform-provider-truenas/cmd/truenas-engine")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "engine tests: cannot build the real binary, the test binary stands in for it: %v\n%s", err, out)
		self, _ := os.Executable()
		os.Remove(bin)
		if err := os.Symlink(self, bin); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Setenv("ENGINE_TEST_AS_BINARY", "1")
	}
	if err := os.Symlink(bin, filepath.Join(dir, "midclt")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type cliResult struct {
	stdout, stderr string
	code           int
}

func runCLI(t *testing.T, stdin string, name string, args ...string) cliResult {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, name), args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(os.Environ(), "TRUENAS_ENGINE_ROOT=")
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return cliResult{out.String(), errb.String(), code}
}

func (r cliResult) want(t *testing.T, stdout, stderr string, code int) {
	t.Helper()
	if r.stdout != stdout || r.stderr != stderr || r.code != code {
		t.Fatalf("got stdout %q stderr %q exit %d\nwant stdout %q stderr %q exit %d", r.stdout, r.stderr, r.code, stdout, stderr, code)
	}
}

func TestCLI(t *testing.T) {
	root := t.TempDir()
	eng := func(stdin string, args ...string) cliResult {
		return runCLI(t, stdin, "truenas-engine", append([]string{"--root", root, "call"}, args...)...)
	}
	r := eng("", "system.version")
	r.want(t, SystemVersion()+"\n", "", 0)
	if !strings.HasPrefix(r.stdout, "TrueNAS-25.10.6+engine.") {
		t.Fatalf("system.version %q", r.stdout)
	}
	// the engine's own version, without a root
	r = runCLI(t, "", "truenas-engine", "version")
	if r.code != 0 || r.stderr != "" || !strings.HasPrefix(r.stdout, "truenas-engine ") ||
		!strings.Contains(r.stdout, "TrueNAS-25.10.6, API v25_10_5") {
		t.Fatalf("engine version: %+v", r)
	}

	// stdin argument, int result printed raw
	r = eng(`{"name":"staff2","smb":false}`, "group.create", "-")
	if r.code != 0 || r.stderr != "" || strings.TrimSpace(r.stdout) == "" {
		t.Fatalf("%+v", r)
	}
	gid := strings.TrimSpace(r.stdout)
	// object result in Python form
	r = eng("", "group.query", `[["id","=",`+gid+`]]`, `{"select":["name","gid"],"get":true}`)
	r.want(t, `{"name": "staff2", "gid": 3000}`+"\n", "", 0)
	// booleans as True/False
	r = eng("", "group.query", `[["name","=","nope"]]`, `{"count":true}`)
	r.want(t, "0\n", "", 0)
	// every "-" gets the one payload, as TrueNAS 26.0's midclt gives it
	r = eng(`{"name":"staff3","smb":false}`, "group.create", "-")
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	r = eng(`[["name","=","staff3"]]`, "group.query", "-", `{"count": true}`)
	r.want(t, "1\n", "", 0)
	r = eng(`[["name","=","staff3"]] {"count": true}`, "group.query", "-")
	if r.code != 1 || !strings.Contains(r.stderr, "filters") {
		t.Fatalf("two values on stdin are one payload that is not JSON, so a string: %+v", r)
	}
	// validation errors
	r = eng("", "user.get_instance", "99")
	r.want(t, "", "[ENOENT] ALL: User 99 does not exist\n", 1)
	r = eng(`{"name":"staff2","smb":false}`, "group.create", "-")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "[EEXIST] group_create.name: ") || r.stdout != "" {
		t.Fatalf("%+v", r)
	}
	// call error
	r = eng("", "group.query", `[["name","=","builtin_users"]]`, `{"get":true,"select":["id"]}`)
	id := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(r.stdout), `{"id": `), "}")
	r = eng("", "group.delete", id)
	r.want(t, "", "[EACCES] A built-in group cannot be deleted.\n", 1)
	// unknown method, too many arguments
	eng("", "nope.nope").want(t, "", "Method does not exist\n", 1)
	eng("", "system.version", "1").want(t, "", "[EINVAL] ALL: Too many arguments (expected 0, found 1)\n", 1)
	// a payload that is not JSON is the text itself, as 26.0's midclt
	// passes it; an empty stdin is the empty string
	r = eng(`{"name":`, "group.create", "-")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "[EINVAL] group_create: Input should be a valid dictionary") || r.stdout != "" {
		t.Fatalf("%+v", r)
	}
	r = eng(``, "group.create", "-")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "[EINVAL] group_create: Input should be a valid dictionary") {
		t.Fatalf("%+v", r)
	}
	big := `{"name":"x","sudo_commands":["` + strings.Repeat("a", 70000) + `"]}`
	eng(big, "group.create", "-").want(t, "", "[EINVAL] Max message length is 64 kB\n", 1)
	// bare string argument
	r = eng("", "user.get_instance", "root")
	r.want(t, "", "[EINVAL] id: Input should be a valid integer\n", 1)
	// usage errors
	r = runCLI(t, "", "truenas-engine", "--root", root)
	if r.code != 2 || !strings.Contains(r.stderr, "usage: truenas-engine") {
		t.Fatalf("%+v", r)
	}
	r = runCLI(t, "", "truenas-engine", "--bogus", "call", "x")
	if r.code != 2 || !strings.Contains(r.stderr, "unknown option --bogus") {
		t.Fatalf("%+v", r)
	}
	// midclt symlink, root from the environment
	cmd := exec.Command(filepath.Join(binDir, "midclt"), "call", "user.query", `[["username","=","root"]]`, `{"get":true,"select":["uid","builtin"]}`)
	cmd.Env = append(os.Environ(), "TRUENAS_ENGINE_ROOT="+root)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("midclt: %v %s", err, errb.String())
	}
	if out.String() != `{"uid": 0, "builtin": true}`+"\n" || errb.String() != "" {
		t.Fatalf("midclt: %q %q", out.String(), errb.String())
	}
	// a user create through the CLI writes the box
	r = eng(`{"username":"zed","full_name":"Zed","group_create":true,"password":"pw","smb":false}`, "user.create", "-")
	if r.code != 0 || r.stderr != "" || !strings.Contains(r.stdout, `"username": "zed"`) || !strings.Contains(r.stdout, `"password": "pw"`) {
		t.Fatalf("%+v", r)
	}
	passwd, _ := os.ReadFile(filepath.Join(root, "etc/passwd"))
	if !strings.Contains(string(passwd), "zed:x:3000:3002:Zed:/var/empty:/usr/bin/zsh") {
		t.Fatalf("passwd %s", passwd)
	}
	eng("", "api_key.delete", "5").want(t, "", "[ENOENT] ALL: ApiKey 5 does not exist\n", 1)
}

func TestCLIBoolOutput(t *testing.T) {
	root := t.TempDir()
	eng := func(stdin string, args ...string) cliResult {
		return runCLI(t, stdin, "truenas-engine", append([]string{"--root=" + root, "call"}, args...)...)
	}
	r := eng("", "group.query", `[["name","=","builtin_administrators"]]`, `{"get":true,"select":["id"]}`)
	id := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(r.stdout), `{"id": `), "}")
	if r := eng("", "user.create", `{"username":"kim","full_name":"Kim","group_create":true,"password":"pw","groups":[`+id+`]}`); r.code != 0 {
		t.Fatalf("%+v", r)
	}
	r = eng("", "api_key.create", `{"name":"kk","username":"kim"}`)
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	eng("", "api_key.delete", "1").want(t, "True\n", "", 0)
}

// TestCLIMidcltOptions: what TrueNAS's midclt accepts (truenas/api_client
// get_parser): global options before call, call options anywhere.
func TestCLIMidcltOptions(t *testing.T) {
	root := t.TempDir()
	run := func(stdin string, args ...string) cliResult {
		return runCLI(t, stdin, "truenas-engine", append([]string{"--root", root}, args...)...)
	}
	run("", "-t", "30", "-u", "ws://localhost/api/current", "-U", "someone", "-P", "s3cret-pw", "-K", "1-key", "call", "system.version").
		want(t, SystemVersion()+"\n", "", 0)
	run("", "--timeout=30", "--insecure", "call", "-j", "-jp", "description", "system.version").want(t, SystemVersion()+"\n", "", 0)
	run("", "call", "--job", "--job-print=progressbar", "system.version").want(t, SystemVersion()+"\n", "", 0)
	// -q: no error text, the failure status stays
	run("", "call", "-q", "nope.nope").want(t, "", "", 1)
	run("", "call", "user.get_instance", "99", "-q").want(t, "", "", 1)
	if r := run("", "call", "-jp", "fancy", "system.version"); r.code != 2 || !strings.Contains(r.stderr, "invalid choice") {
		t.Fatalf("%+v", r)
	}
	if r := run("", "-P"); r.code != 2 || strings.Contains(r.stderr, "s3cret") {
		t.Fatalf("%+v", r)
	}
}

// TestCLIMidclt2510 stands for the midclt of TrueNAS 25.04/25.10: no stdin,
// "-" is the string "-".
func TestCLIMidclt2510(t *testing.T) {
	root := t.TempDir()
	cmd := exec.Command(filepath.Join(binDir, "midclt"), "call", "user.query", "-")
	cmd.Env = append(os.Environ(), "TRUENAS_ENGINE_ROOT="+root, MidcltFlavourEnv+"=25.10")
	cmd.Stdin = strings.NewReader(`[["id","=",-1]]`)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err == nil || out.String() != "" || errb.String() != "[EINVAL] filters: Input should be a valid list\n" {
		t.Fatalf("got %v %q %q", err, out.String(), errb.String())
	}
	cmd = exec.Command(filepath.Join(binDir, "midclt"), "call", "user.query", `[["id","=",-1]]`)
	cmd.Env = append(os.Environ(), "TRUENAS_ENGINE_ROOT="+root, MidcltFlavourEnv+"=25.10")
	if out, err := cmd.Output(); err != nil || string(out) != "[]\n" {
		t.Fatalf("got %v %q", err, out)
	}
}
