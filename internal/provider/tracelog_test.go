package provider

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestAccTraceLogHoldsNoSecrets runs the real CLI (Terraform or OpenTofu)
// with the built provider binary and TF_LOG=trace through an apply, a plan and a destroy
// of a user with a password and an API key, then searches everything
// Terraform and the provider logged, and every command line the box ran,
// for the password and the key.
func TestAccTraceLogHoldsNoSecrets(t *testing.T) {
	box := startAccBox(t)
	tf := cliUnderTest.path

	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "terraform-provider-truenas"), "github.com/nasops/terraform-provider-truenas")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	work := t.TempDir()
	cliConfig := filepath.Join(work, "terraformrc")
	if err := os.WriteFile(cliConfig, []byte(devOverridesConfig(bin)), 0o600); err != nil {
		t.Fatal(err)
	}
	const password = "Trace-Password-9f3k2"
	config := fmt.Sprintf(`terraform {
  required_providers {
    truenas = { source = "nasops/truenas" }
  }
}
%s
data "truenas_group" "admins" {
  name = "builtin_administrators"
}
resource "truenas_user" "traced" {
  username     = "traced"
  full_name    = "Traced User"
  group_create = true
  groups       = [data.truenas_group.admins.id]
  password     = %q
}
resource "truenas_api_key" "traced" {
  name     = "traced-key"
  username = truenas_user.traced.username
}
output "key" {
  value     = truenas_api_key.traced.key
  sensitive = true
}
`, box.config, password)
	if err := os.WriteFile(filepath.Join(work, "main.tf"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var cmdlines []string
	record := func(args []string) {
		mu.Lock()
		cmdlines = append(cmdlines, strings.Join(args, " "))
		mu.Unlock()
	}
	box.onCall.Store(&record)

	logFile := filepath.Join(work, "trace.log")
	terraform := func(trace bool, args ...string) string {
		t.Helper()
		cmd := exec.Command(tf, args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+cliConfig, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
		if trace {
			cmd.Env = append(cmd.Env, "TF_LOG=trace", "TF_LOG_PATH="+logFile)
		}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s %s: %v\n%s", tf, strings.Join(args, " "), err, out.String())
		}
		return out.String()
	}
	terraform(true, "apply", "-auto-approve", "-no-color")
	key := strings.TrimSpace(terraform(false, "output", "-raw", "key"))
	if id, secret, ok := strings.Cut(key, "-"); !ok || id == "" || len(secret) != 64 {
		t.Fatalf("the api key output %q is not <id>-<64 characters>", key)
	}
	terraform(true, "plan", "-detailed-exitcode", "-no-color")
	terraform(true, "destroy", "-auto-approve", "-no-color")

	logData, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	log := string(logData)
	// The log must hold the provider's own trace lines, or the search
	// below proves nothing.
	if !strings.Contains(log, "provider.terraform-provider-truenas") || !strings.Contains(log, "method=user.create") {
		t.Fatalf("the trace log (%d bytes) holds no provider lines about user.create; cannot check it", len(logData))
	}
	_, secretPart, _ := strings.Cut(key, "-")
	for what, secret := range map[string]string{"the password": password, "the API key": secretPart} {
		if strings.Contains(log, secret) {
			i := strings.Index(log, secret)
			t.Errorf("TF_LOG=trace output holds %s, e.g. %q", what, log[max(0, i-200):i])
		}
		for _, c := range cmdlines {
			if strings.Contains(c, secret) {
				t.Errorf("a command line on the box holds %s", what)
			}
		}
	}
	if len(cmdlines) == 0 {
		t.Fatal("no call was recorded on the box")
	}
	// The debug log says how the box was reached: the sandbox takes the
	// middleware socket channel, so JSON-RPC, and no process ran.
	if !strings.Contains(log, "engine transport") || !strings.Contains(log, "transport=jsonrpc") {
		t.Error("the debug log does not say which transport was used")
	}
	for _, c := range cmdlines {
		if !strings.HasPrefix(c, "jsonrpc ") {
			t.Errorf("a midclt process ran on the box: %q", c)
		}
	}
}
