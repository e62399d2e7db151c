package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// built builds this program as goreleaser does (the version set with -X
// main.version) and returns its path and a midclt symlink to it.
func built(t *testing.T) (bin, midclt string) {
	t.Helper()
	dir := t.TempDir()
	bin = filepath.Join(dir, "truenas-engine")
	if out, err := exec.Command("go", "build", "-ldflags", "-X main.version=9.8.7", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	midclt = filepath.Join(dir, "midclt")
	if err := os.Symlink(bin, midclt); err != nil {
		t.Fatal(err)
	}
	return bin, midclt
}

func runBin(t *testing.T, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "TRUENAS_ENGINE_ROOT=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// TestCommandLines: each of the program's command lines reaches its part
// (the engine, the sandbox, the engine as midclt) and says truenas-engine.
func TestCommandLines(t *testing.T) {
	bin, midclt := built(t)

	out, errs, code := runBin(t, bin, "version")
	if code != 0 || errs != "" || !strings.HasPrefix(out, "truenas-engine 9.8.7 (speaks TrueNAS-25.10.6, API v25_10_5)") {
		t.Fatalf("version: %q %q %d", out, errs, code)
	}
	_, errs, code = runBin(t, bin)
	if code != 2 || !strings.HasPrefix(errs, "usage: truenas-engine [--root DIR]") || !strings.Contains(errs, "truenas-engine sandbox --dir DIR") {
		t.Fatalf("no arguments: %q %d", errs, code)
	}
	_, errs, code = runBin(t, bin, "sandbox")
	if code != 2 || !strings.Contains(errs, "usage: truenas-engine sandbox --dir DIR") {
		t.Fatalf("sandbox without --dir: %q %d", errs, code)
	}

	root := t.TempDir()
	out, errs, code = runBin(t, bin, "--root", root, "call", "system.version")
	if code != 0 || errs != "" || !strings.HasPrefix(out, "TrueNAS-25.10.6+engine.9.8.7") {
		t.Fatalf("call system.version: %q %q %d", out, errs, code)
	}
	out, errs, code = runBin(t, midclt, "--root", root, "call", "user.query", `[["username","=","root"]]`, `{"get":true,"select":["uid"]}`)
	if code != 0 || errs != "" || out != `{"uid": 0}`+"\n" {
		t.Fatalf("midclt call user.query: %q %q %d", out, errs, code)
	}
	_, errs, code = runBin(t, midclt, "--bogus")
	if code != 2 || !strings.Contains(errs, "truenas-engine: unknown option --bogus") {
		t.Fatalf("midclt --bogus: %q %d", errs, code)
	}
}

// TestSandbox: `truenas-engine sandbox --dir DIR` starts a box, says where,
// writes the provider's settings, and stops cleanly on SIGTERM.
func TestSandbox(t *testing.T) {
	bin, _ := built(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "sandbox", "--dir", dir, "--listen", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line
	}()
	select {
	case line := <-ready:
		if !strings.HasPrefix(line, "sandbox ready on 127.0.0.1:") {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("sandbox said %q; stderr %s", line, errb.String())
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("no 'sandbox ready' within 60 s; stderr %s", errb.String())
	}
	if env, err := os.ReadFile(filepath.Join(dir, "sandbox.env")); err != nil || !strings.Contains(string(env), "TRUENAS_HOST") {
		t.Errorf("sandbox.env: %v %q", err, env)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("sandbox after SIGTERM: %v; stderr %s", err, errb.String())
	}
}
