package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// testFactories serves the provider in-process to the test harness.
var testFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"truenas": func() (tfprotov6.ProviderServer, error) { return NewServer("test")(), nil },
}

// noBoxConfig points the provider at a port where nothing listens: plan-time
// validation must work without contacting it.
const noBoxConfig = `
provider "truenas" {
  host                     = "127.0.0.1"
  port                     = 1
  insecure_ignore_host_key = true
}
`

// needTerraform skips tests that drive the CLI when there is none
// (TF_ACC_TERRAFORM_PATH unset and no bin/terraform; see TestMain).
func needTerraform(t *testing.T) {
	t.Helper()
	if cliUnderTest.path == "" {
		t.Skip("no CLI: set TF_ACC_TERRAFORM_PATH to a Terraform or OpenTofu binary, or run make terraform")
	}
}

func TestProviderSchemaValid(t *testing.T) {
	srv, err := testFactories["truenas"]()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range resp.Diagnostics {
		t.Errorf("schema diagnostic: %s: %s", d.Summary, d.Detail)
	}
	for _, name := range []string{"truenas_user", "truenas_group", "truenas_api_key", "truenas_privilege"} {
		if _, ok := resp.ResourceSchemas[name]; !ok {
			t.Errorf("missing resource %s", name)
		}
	}
	for _, name := range []string{"truenas_user", "truenas_users", "truenas_group", "truenas_groups", "truenas_api_keys",
		"truenas_privilege", "truenas_privileges"} {
		if _, ok := resp.DataSourceSchemas[name]; !ok {
			t.Errorf("missing data source %s", name)
		}
	}
	if _, ok := resp.Functions["suggest_username"]; !ok {
		t.Error("missing function suggest_username")
	}
	for name, s := range resp.ResourceSchemas {
		for _, a := range s.Block.Attributes {
			if a.Description == "" {
				t.Errorf("%s.%s has no description", name, a.Name)
			}
		}
	}
	for name, s := range resp.DataSourceSchemas {
		for _, a := range s.Block.Attributes {
			if a.Description == "" {
				t.Errorf("data source %s.%s has no description", name, a.Name)
			}
		}
	}
}

// fakeCaller records calls and answers from a table.
type fakeCaller struct {
	mu      sync.Mutex
	calls   []string
	answers map[string]string
	panics  bool
}

func (f *fakeCaller) Call(_ context.Context, method string, _ ...any) (json.RawMessage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, method)
	if f.panics {
		panic("boom")
	}
	if a, ok := f.answers[method]; ok {
		return json.RawMessage(a), nil
	}
	return nil, account.Errors{{Message: "User 9 does not exist", Errno: account.ENOENT}}
}

func TestClientCacheOneQueryPerKind(t *testing.T) {
	f := &fakeCaller{answers: map[string]string{
		"user.query":     `[{"id":1,"username":"root","group":{"id":1}},{"id":2,"username":"bob","group":{"id":5}}]`,
		"group.query":    `[{"id":1,"name":"wheel"},{"id":5,"name":"bob"}]`,
		"user.update":    `{"id":2}`,
		"system.version": `"TrueNAS-25.10.6"`,
	}}
	c := &client{rc: f}
	ctx := context.Background()
	for i := 0; i < 1000; i++ {
		if u, err := c.userByID(ctx, 2); err != nil || u == nil || u.Username != "bob" {
			t.Fatalf("userByID: %v %v", u, err)
		}
		if g, err := c.groupByID(ctx, 5); err != nil || g == nil {
			t.Fatalf("groupByID: %v %v", g, err)
		}
	}
	if len(f.calls) != 3 || f.calls[0] != "system.version" {
		t.Fatalf("1000 reads made %d calls (system.version once, then one query per kind): %v", len(f.calls), f.calls)
	}
	if _, err := c.write(ctx, "user.update", 2, map[string]any{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.userByID(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(f.calls); got != "[system.version user.query group.query user.update user.query]" {
		t.Fatalf("calls after write: %s", got)
	}
	if u, _ := c.userByID(ctx, 99); u != nil {
		t.Fatalf("user 99 found: %v", u)
	}
}

func TestClientNoPanicNoHost(t *testing.T) {
	c := &client{rc: &fakeCaller{panics: true}}
	if _, err := c.call(context.Background(), "user.query"); err == nil {
		t.Fatal("panic not turned into an error")
	}
	t.Setenv("TRUENAS_HOST", "")
	c = newClientFromModel(providerModel{})
	if _, err := c.call(context.Background(), "user.query"); err == nil || !strings.Contains(err.Error(), "host") {
		t.Fatalf("want a missing-host error, got %v", err)
	}
	c = newClientFromModel(providerModel{Host: types.StringUnknown()})
	if _, err := c.call(context.Background(), "user.query"); err == nil || !strings.Contains(err.Error(), "not known yet") {
		t.Fatalf("want an unknown-config error, got %v", err)
	}
}

func TestProviderEnvFallbacks(t *testing.T) {
	t.Setenv("TRUENAS_HOST", "nas.example")
	t.Setenv("TRUENAS_PORT", "2222")
	t.Setenv("TRUENAS_USER", "")
	t.Setenv("TRUENAS_PRIVATE_KEY_FILE", "/k")
	t.Setenv("TRUENAS_KNOWN_HOSTS_FILE", "/kh")
	c := newClientFromModel(providerModel{})
	if c.cfg.Host != "nas.example" || c.cfg.Port != 2222 || c.cfg.User != "root" || c.cfg.PrivateKeyFile != "/k" ||
		c.cfg.KnownHostsFile != "/kh" || c.cfg.EngineCommand != "midclt" || c.cfg.Sudo || c.cfg.ArgsOnCommandLine {
		t.Fatalf("cfg = %+v", c.cfg)
	}
	c = newClientFromModel(providerModel{Host: types.StringValue("h"), Port: types.Int64Value(23), User: types.StringValue("u"),
		Sudo: types.BoolValue(true), EngineCommand: types.StringValue("/usr/bin/midclt")})
	if c.cfg.Host != "h" || c.cfg.Port != 23 || c.cfg.User != "u" || !c.cfg.Sudo || c.cfg.EngineCommand != "/usr/bin/midclt" {
		t.Fatalf("cfg = %+v", c.cfg)
	}
	t.Setenv("TRUENAS_PORT", "x")
	if c = newClientFromModel(providerModel{}); c.configErr == "" {
		t.Fatal("bad TRUENAS_PORT accepted")
	}
}

func TestIsNotFound(t *testing.T) {
	cases := []struct {
		err  error
		want bool
	}{
		{account.NotFound("User", 5), true},
		{account.Errors{{Attribute: "user_update.groups.0", Message: "This group does not exist.", Errno: account.EINVAL}}, false},
		{&account.CallError{Errno: account.EFAULT, Message: "MatchNotFound()"}, true},
		{&account.CallError{Errno: account.EINVAL, Message: "Cannot delete a built-in user"}, false},
		{fmt.Errorf("ssh: connection refused"), false},
	}
	for _, c := range cases {
		if got := isNotFound(c.err); got != c.want {
			t.Errorf("isNotFound(%v) = %v", c.err, got)
		}
	}
}

func TestRedactSecrets(t *testing.T) {
	var diags diag.Diagnostics
	addEngineErrors(&diags, "x", fmt.Errorf("ssh: command midclt call user.create '{\"password\":\"Hunter-22\"}' failed"), nil, "Hunter-22")
	addEngineErrors(&diags, "x", account.Errors{{Attribute: "user_create.password", Message: "bad Hunter-22"}}, userPathMapper(false), "Hunter-22")
	addEngineErrors(&diags, "x", &account.CallError{Message: "no Hunter-22"}, nil, "Hunter-22")
	for _, d := range diags {
		if strings.Contains(d.Detail(), "Hunter-22") || strings.Contains(d.Summary(), "Hunter-22") {
			t.Errorf("secret in diagnostic: %s", d.Detail())
		}
	}
}

func TestPlanWithoutHost(t *testing.T) {
	needTerraform(t)
	t.Setenv("TRUENAS_HOST", "")
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		Steps: []resource.TestStep{
			{
				// Planning a new resource needs no box.
				Config: `
resource "truenas_group" "g" {
  name = "staff"
}`,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				// Reading does, and says what is missing.
				Config:      `data "truenas_user" "root" { username = "root" }`,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`TRUENAS_HOST`),
			},
			{
				// An unreachable box gives an error, not a crash.
				Config:      noBoxConfig + `data "truenas_groups" "all" {}`,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`Cannot read groups`),
			},
		},
	})
}

// TestClientRelease: system.version is read once per run; a release before
// 25.04 stops every call, naming it; any later or unknown form goes on.
func TestClientRelease(t *testing.T) {
	for version, wantErr := range map[string]string{
		`"TrueNAS-SCALE-24.04.2"`:              `The box runs 24.04.2 (system.version "TrueNAS-SCALE-24.04.2")`,
		`"TrueNAS-SCALE-24.10.2.2"`:            "The box runs 24.10.2.2",
		`"TrueNAS-13.0-U6.1"`:                  "The box runs 13.0.0",
		`"TrueNAS-25.10.6"`:                    "",
		`"TrueNAS-SCALE-25.10.0+engine.dev"`:   "",
		`"TrueNAS-25.10.6-engine.1"`:           "",
		`"TrueNAS-26.0.0-BETA.1"`:              "",
		`"TrueNAS-25.10-MASTER-20250101-0000"`: "",
		`"SomethingElse-1.0"`:                  "",
	} {
		f := &fakeCaller{answers: map[string]string{"system.version": version, "user.query": `[]`}}
		c := &client{rc: f}
		for range 3 {
			_, err := c.Users(context.Background())
			c.invalidate()
			if wantErr == "" && err != nil {
				t.Fatalf("%s: %v", version, err)
			}
			if wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr) || !strings.Contains(err.Error(), "25.04")) {
				t.Fatalf("%s: got %v, want %q", version, err, wantErr)
			}
		}
		n := 0
		for _, m := range f.calls {
			if m == "system.version" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: system.version read %d times: %v", version, n, f.calls)
		}
		if wantErr != "" && len(f.calls) != 1 {
			t.Errorf("%s: calls made on a box too old: %v", version, f.calls)
		}
	}
}
