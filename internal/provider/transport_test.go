package provider

import (
	"bytes"
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/nasops/terraform-provider-truenas/internal/engine"
	"github.com/nasops/terraform-provider-truenas/internal/sandbox"
)

const transportPassword = "Tr4nsport-s3cret"

func transportUser(name string) string {
	return `
resource "truenas_user" "u" {
  username     = "` + name + `"
  full_name    = "Transport"
  group_create = true
  password     = "` + transportPassword + `"
  smb          = false
}
`
}

// recordCalls makes the box record every midclt command line and
// JSON-RPC method it runs.
func recordCalls(b *accBox) func() []string {
	var mu sync.Mutex
	var seen []string
	f := func(args []string) {
		mu.Lock()
		seen = append(seen, strings.Join(args, " "))
		mu.Unlock()
	}
	b.onCall.Store(&f)
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// TestAccMidcltFallbackStdin: a box whose SSH server refuses the
// middleware socket channel, with a midclt that reads stdin (TrueNAS 26.0,
// the engine): the provider falls back to midclt, and no password reaches a
// command line.
func TestAccMidcltFallbackStdin(t *testing.T) {
	box := startAccBoxWith(t, sandbox.Options{NoStreamLocal: true})
	seen := recordCalls(box)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		Steps: []resource.TestStep{{
			Config: box.config + transportUser("fbuser"),
			Check:  resource.TestCheckResourceAttrSet("truenas_user.u", "uid"),
		}},
		CheckDestroy: box.checkGone(t, "user.query", "username", "fbuser"),
	})
	calls := seen()
	creates := 0
	for _, c := range calls {
		if strings.HasPrefix(c, "jsonrpc ") {
			t.Errorf("a JSON-RPC call on a box that refuses the channel: %q", c)
		}
		if strings.Contains(c, transportPassword) {
			t.Errorf("a password on midclt's command line: %q", c)
		}
		if strings.Contains(c, " call user.create -") {
			creates++
		}
	}
	if creates != 1 {
		t.Fatalf("user.create with its payload on stdin ran %d times: %q", creates, calls)
	}
}

// TestAccMidclt2510: a box as TrueNAS 25.04/25.10 without stream-local
// forwarding: its midclt reads no stdin. Without opt-in the apply stops
// with an error that says how to fix it and no password reaches the box;
// with engine_args_on_command_line it works.
func TestAccMidclt2510(t *testing.T) {
	box := startAccBoxWith(t, sandbox.Options{NoStreamLocal: true, MidcltFlavour: "25.10"})
	seen := recordCalls(box)
	optIn := strings.Replace(box.config, `user             = "root"`, "user             = \"root\"\n  engine_args_on_command_line = true", 1)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		Steps: []resource.TestStep{
			{
				Config:      box.config + transportUser("olduser"),
				ExpectError: regexp.MustCompile(`(?s)AllowStreamLocalForwarding.*engine_args_on_command_line`),
			},
			{
				PreConfig: func() {
					for _, c := range seen() {
						if strings.Contains(c, transportPassword) {
							t.Fatalf("a password reached midclt's command line without opt-in: %q", c)
						}
					}
				},
				Config: optIn + transportUser("olduser"),
				Check:  resource.TestCheckResourceAttrSet("truenas_user.u", "uid"),
			},
		},
		CheckDestroy: box.checkGone(t, "user.query", "username", "olduser"),
	})
	opted := false
	for _, c := range seen() {
		opted = opted || strings.Contains(c, transportPassword)
	}
	if !opted {
		t.Fatal("with opt-in, the create's payload should have gone on the command line (the only way to this box)")
	}
}

// versionEngine is the engine answering system.version with version, and
// adding fields to user.query entries as a newer TrueNAS does.
func versionEngine(version string, extra map[string]any) sandbox.EngineFunc {
	return func(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
		i := 0
		for i < len(args) && args[i] != "call" {
			i++
		}
		if i+1 < len(args) && args[i+1] == "system.version" {
			io.WriteString(stdout, version+"\n")
			return 0
		}
		var out bytes.Buffer
		code := engine.Main(args, stdin, &out, stderr)
		if code == 0 && i+1 < len(args) && args[i+1] == "user.query" && len(extra) > 0 {
			var rows []map[string]any
			if json.Unmarshal(out.Bytes(), &rows) == nil {
				for _, r := range rows {
					for k, v := range extra {
						r[k] = v
					}
				}
				b, _ := json.Marshal(rows)
				out.Reset()
				out.Write(append(b, '\n'))
			}
		}
		stdout.Write(out.Bytes())
		return code
	}
}

// TestAccReleaseTooOld: a box before 25.04 is refused with its release named.
func TestAccReleaseTooOld(t *testing.T) {
	box := startAccBoxWith(t, sandbox.Options{NoStreamLocal: true, Engine: versionEngine("TrueNAS-SCALE-24.04.2", nil)})
	seen := recordCalls(box)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		Steps: []resource.TestStep{{
			Config:      box.config + readUsers,
			ExpectError: regexp.MustCompile(`(?s)runs\s+24\.04\.2.*TrueNAS-SCALE-24\.04\.2.*25\.04`),
		}},
	})
	for _, c := range seen() {
		if !strings.Contains(c, "system.version") {
			t.Errorf("a call other than system.version on a box too old: %q", c)
		}
	}
}

// TestAccReleaseNewer: a 26.0 box whose users carry a field the provider
// does not know keeps working.
func TestAccReleaseNewer(t *testing.T) {
	box := startAccBoxWith(t, sandbox.Options{NoStreamLocal: true,
		Engine: versionEngine("TrueNAS-26.0.0-BETA.1", map[string]any{"webshare": false, "future_field": map[string]any{"x": 1}})})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		Steps: []resource.TestStep{{
			Config: box.config + readUsers + `
data "truenas_user" "root" {
  username = "root"
}
`,
			Check: resource.TestCheckResourceAttr("data.truenas_user.root", "uid", "0"),
		}},
	})
}
