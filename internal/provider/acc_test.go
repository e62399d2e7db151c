package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/nasops/terraform-provider-truenas/internal/remote"
	"github.com/nasops/terraform-provider-truenas/internal/sandbox"
)

// accBox is a sandbox for one acceptance test: its provider block and a
// client to change the box behind Terraform's back.
type accBox struct {
	config string
	rc     *remote.Client
	sb     *sandbox.Sandbox
	onCall atomic.Pointer[func(engineArgs []string)] // set by tests that inject faults; midclt's arguments, or "jsonrpc", METHOD
}

// startAccBox starts an in-process sandbox on a temporary folder (skipping
// unless TF_ACC is set) and returns its provider configuration.
func startAccBox(t *testing.T) *accBox { return startAccBoxWith(t, sandbox.Options{}) }

// startAccBoxWith is startAccBox with sandbox options (a box that refuses
// the socket channel, an older midclt, another engine).
func startAccBoxWith(t *testing.T, opts sandbox.Options) *accBox {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	needTerraform(t)
	ctx, cancel := context.WithCancel(context.Background())
	b := &accBox{}
	opts.Dir, opts.Listen = t.TempDir(), "127.0.0.1:0"
	sb, err := sandbox.Start(ctx, sandboxOptions(opts, b))
	if err != nil {
		cancel()
		t.Fatalf("sandbox: %v", err)
	}
	t.Cleanup(func() { sb.Close(); cancel() })
	cfg := remote.Config{Host: sb.Host, Port: sb.Port, User: "root", PrivateKeyFile: sb.ClientKeyFile,
		KnownHostsFile: sb.KnownHostsFile, EngineCommand: "midclt", ArgsOnCommandLine: opts.MidcltFlavour == "25.10"}
	b.config = fmt.Sprintf(`
provider "truenas" {
  host             = %q
  port             = %d
  user             = "root"
  private_key_file = %q
  known_hosts_file = %q
}
`, sb.Host, sb.Port, sb.ClientKeyFile, sb.KnownHostsFile)
	b.rc, b.sb = remote.New(cfg), sb
	return b
}

// sandboxOptions adds the hooks that pass every call to b.onCall.
func sandboxOptions(opts sandbox.Options, b *accBox) sandbox.Options {
	return sandbox.Options{Dir: opts.Dir, Listen: opts.Listen, NoStreamLocal: opts.NoStreamLocal,
		MidcltFlavour: opts.MidcltFlavour, Engine: opts.Engine, Release: opts.Release,
		OnCall: func(args []string) {
			if f := b.onCall.Load(); f != nil {
				(*f)(args)
			}
		},
		// The provider speaks JSON-RPC on the middleware socket by default;
		// its calls reach the same hook, as "jsonrpc METHOD".
		OnRPC: func(method string) {
			if f := b.onCall.Load(); f != nil {
				(*f)([]string{"jsonrpc", method})
			}
		}}
}

// call runs an engine call on the box, failing the test on error.
func (b *accBox) call(t *testing.T, method string, params ...any) json.RawMessage {
	t.Helper()
	res, err := b.rc.Call(context.Background(), method, params...)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return res
}

// idOf finds the id of the entry of a query whose field equals value (0
// when none).
func (b *accBox) idOf(t *testing.T, method, field, value string) int64 {
	t.Helper()
	var rows []map[string]any
	if err := json.Unmarshal(b.call(t, method), &rows); err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	for _, r := range rows {
		if fmt.Sprint(r[field]) == value {
			return int64(r["id"].(float64))
		}
	}
	return 0
}

// checkGone is a CheckDestroy that asks the box that no entry of method has
// field equal to one of the values.
func (b *accBox) checkGone(t *testing.T, method, field string, values ...string) func(*terraform.State) error {
	return func(*terraform.State) error {
		for _, v := range values {
			if id := b.idOf(t, method, field, v); id != 0 {
				return fmt.Errorf("%s: %s %q (id %d) still exists after destroy", method, field, v, id)
			}
		}
		return nil
	}
}

// stateID returns an ImportStateIdFunc giving the id of a resource.
func stateID(name string) func(*terraform.State) (string, error) {
	return func(s *terraform.State) (string, error) {
		rs, ok := s.RootModule().Resources[name]
		if !ok {
			return "", fmt.Errorf("%s not in state", name)
		}
		return rs.Primary.ID, nil
	}
}
