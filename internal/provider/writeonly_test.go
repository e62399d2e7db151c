package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/nasops/terraform-provider-truenas/internal/remote"
	"github.com/nasops/terraform-provider-truenas/internal/sandbox"
)

// Terraform 1.8.5 predates write-only attributes, so password_wo is tested
// here twice: the way Terraform 1.11+ drives it, over the plugin protocol
// with the write-only capability announced (every CLI), and through the
// real CLI when it sends write-only values (TestAccUserPasswordWO, with
// OpenTofu 1.12.6), both against the sandbox box.

// protoHarness drives one provider server over the plugin protocol.
type protoHarness struct {
	t       testing.TB
	srv     tfprotov6.ProviderServer
	userTyp tftypes.Object
	rc      *remote.Client
	sb      *sandbox.Sandbox
}

// writeOnlyCaps is what Terraform 1.11+ announces.
var writeOnlyCaps = &tfprotov6.ValidateResourceConfigClientCapabilities{WriteOnlyAttributesAllowed: true}

func newProtoHarness(t testing.TB) *protoHarness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	sb, err := sandbox.Start(ctx, sandbox.Options{Dir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		cancel()
		t.Fatalf("sandbox: %v", err)
	}
	t.Cleanup(func() { sb.Close(); cancel() })

	h := &protoHarness{t: t, sb: sb,
		rc: remote.New(remote.Config{Host: sb.Host, Port: sb.Port, User: "root", PrivateKeyFile: sb.ClientKeyFile,
			KnownHostsFile: sb.KnownHostsFile, EngineCommand: "midclt"}),
	}
	h.srv = NewServer("test")()
	sch := h.configure(h.srv)
	h.userTyp = sch.ResourceSchemas["truenas_user"].ValueType().(tftypes.Object)
	return h
}

// configure configures srv for the harness's sandbox, as Terraform 1.11
// would, and returns its schemas.
func (h *protoHarness) configure(srv tfprotov6.ProviderServer) *tfprotov6.GetProviderSchemaResponse {
	t := h.t
	t.Helper()
	sch, err := srv.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || len(sch.Diagnostics) > 0 {
		t.Fatalf("GetProviderSchema: %v %v", err, sch.Diagnostics)
	}
	provTyp := sch.Provider.ValueType().(tftypes.Object)
	cfg := objectValue(t, provTyp, map[string]tftypes.Value{
		"host":             tftypes.NewValue(tftypes.String, h.sb.Host),
		"port":             tftypes.NewValue(tftypes.Number, h.sb.Port),
		"user":             tftypes.NewValue(tftypes.String, "root"),
		"private_key_file": tftypes.NewValue(tftypes.String, h.sb.ClientKeyFile),
		"known_hosts_file": tftypes.NewValue(tftypes.String, h.sb.KnownHostsFile),
	})
	resp, err := srv.ConfigureProvider(context.Background(), &tfprotov6.ConfigureProviderRequest{
		TerraformVersion: "1.11.0", Config: dynamic(t, provTyp, cfg)})
	if err != nil || hasError(resp.Diagnostics) {
		t.Fatalf("ConfigureProvider: %v %v", err, resp.Diagnostics)
	}
	return sch
}

func hasError(diags []*tfprotov6.Diagnostic) bool {
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			return true
		}
	}
	return false
}

// objectValue builds an object of typ from vals, every other attribute null.
func objectValue(t testing.TB, typ tftypes.Object, vals map[string]tftypes.Value) tftypes.Value {
	t.Helper()
	all := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		if v, ok := vals[name]; ok {
			all[name] = v
		} else {
			all[name] = tftypes.NewValue(at, nil)
		}
	}
	for name := range vals {
		if _, ok := typ.AttributeTypes[name]; !ok {
			t.Fatalf("no attribute %q in the schema", name)
		}
	}
	return tftypes.NewValue(typ, all)
}

// attrs returns a copy of the attributes of an object value (As gives the
// value's own map, which must not be changed).
func attrs(t testing.TB, v tftypes.Value) map[string]tftypes.Value {
	t.Helper()
	var m map[string]tftypes.Value
	if err := v.As(&m); err != nil {
		t.Fatal(err)
	}
	return maps.Clone(m)
}

func dynamic(t testing.TB, typ tftypes.Type, v tftypes.Value) *tfprotov6.DynamicValue {
	t.Helper()
	dv, err := tfprotov6.NewDynamicValue(typ, v)
	if err != nil {
		t.Fatal(err)
	}
	return &dv
}

// userConfig is a truenas_user configuration with a write-only password.
func (h *protoHarness) userConfig(password string, version int64) tftypes.Value {
	return objectValue(h.t, h.userTyp, map[string]tftypes.Value{
		"username":            tftypes.NewValue(tftypes.String, "wo"),
		"full_name":           tftypes.NewValue(tftypes.String, "Write Only"),
		"group_create":        tftypes.NewValue(tftypes.Bool, true),
		"password_wo":         tftypes.NewValue(tftypes.String, password),
		"password_wo_version": tftypes.NewValue(tftypes.Number, version),
	})
}

// proposed is what Terraform core proposes from a configuration: write-only
// attributes are always null outside the configuration.
func (h *protoHarness) proposed(config tftypes.Value, prior *tfprotov6.DynamicValue) *tfprotov6.DynamicValue {
	h.t.Helper()
	vals := attrs(h.t, config)
	vals["password_wo"] = tftypes.NewValue(tftypes.String, nil)
	if prior != nil {
		// Computed attributes keep their prior values where not configured.
		pv, err := prior.Unmarshal(h.userTyp)
		if err != nil {
			h.t.Fatal(err)
		}
		pvals := attrs(h.t, pv)
		for name, v := range vals {
			if v.IsNull() && name != "password_wo" {
				vals[name] = pvals[name]
			}
		}
	}
	return dynamic(h.t, h.userTyp, tftypes.NewValue(h.userTyp, vals))
}

// apply validates, plans and applies config over prior (nil to create) and
// returns the new state, checking that no password is in it.
func (h *protoHarness) apply(config tftypes.Value, prior *tfprotov6.DynamicValue) *tfprotov6.DynamicValue {
	h.t.Helper()
	newState := h.applyConfig(config, prior)
	st, err := newState.Unmarshal(h.userTyp)
	if err != nil {
		h.t.Fatal(err)
	}
	vals := map[string]tftypes.Value{}
	if err := st.As(&vals); err != nil {
		h.t.Fatal(err)
	}
	if !vals["password_wo"].IsNull() {
		h.t.Fatalf("password_wo is in the new state: %v", vals["password_wo"])
	}
	if !vals["password"].IsNull() {
		h.t.Fatalf("password is in the new state although only password_wo was set")
	}
	return newState
}

// applyConfig validates, plans and applies config over prior (nil to
// create) and returns the new state.
func (h *protoHarness) applyConfig(config tftypes.Value, prior *tfprotov6.DynamicValue) *tfprotov6.DynamicValue {
	h.t.Helper()
	ctx := context.Background()
	cfg := dynamic(h.t, h.userTyp, config)
	v, err := h.srv.ValidateResourceConfig(ctx, &tfprotov6.ValidateResourceConfigRequest{
		TypeName: "truenas_user", Config: cfg, ClientCapabilities: writeOnlyCaps})
	if err != nil || hasError(v.Diagnostics) {
		h.t.Fatalf("ValidateResourceConfig: %v %v", err, diagText(v.Diagnostics))
	}
	priorState := prior
	if priorState == nil {
		priorState = dynamic(h.t, h.userTyp, tftypes.NewValue(h.userTyp, nil))
	}
	p, err := h.srv.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{
		TypeName: "truenas_user", PriorState: priorState, ProposedNewState: h.proposed(config, prior),
		Config: cfg})
	if err != nil || hasError(p.Diagnostics) {
		h.t.Fatalf("PlanResourceChange: %v %v", err, diagText(p.Diagnostics))
	}
	a, err := h.srv.ApplyResourceChange(ctx, &tfprotov6.ApplyResourceChangeRequest{
		TypeName: "truenas_user", PriorState: priorState, PlannedState: p.PlannedState,
		Config: cfg, PlannedPrivate: p.PlannedPrivate})
	if err != nil || hasError(a.Diagnostics) {
		h.t.Fatalf("ApplyResourceChange: %v %v", err, diagText(a.Diagnostics))
	}
	return a.NewState
}

func diagText(diags []*tfprotov6.Diagnostic) string {
	b, _ := json.Marshal(diags)
	return string(b)
}

// login asks the box whether password logs wo in.
func (h *protoHarness) login(password string) string {
	h.t.Helper()
	res, err := h.rc.Call(context.Background(), "auth.login_ex", map[string]any{
		"mechanism": "PASSWORD_PLAIN", "username": "wo", "password": password})
	if err != nil {
		h.t.Fatalf("auth.login_ex: %v", err)
	}
	var r struct {
		ResponseType string `json:"response_type"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		h.t.Fatal(err)
	}
	return r.ResponseType
}

func TestProtocolWriteOnlyPassword(t *testing.T) {
	h := newProtoHarness(t)
	const first, second, third = "first-Secret-1", "second-Secret-2", "third-Secret-3"

	state := h.apply(h.userConfig(first, 1), nil)
	if got := h.login(first); got != "SUCCESS" {
		t.Fatalf("after create with password_wo, login_ex says %s", got)
	}

	// A new password with the same version is not sent: Terraform cannot
	// see write-only values in state, so the version is the trigger.
	state = h.apply(h.userConfig(second, 1), state)
	if got := h.login(first); got != "SUCCESS" {
		t.Fatalf("password_wo changed without a version change and the box password changed: login_ex says %s", got)
	}

	// A version change sends it.
	state = h.apply(h.userConfig(third, 2), state)
	if got := h.login(third); got != "SUCCESS" {
		t.Fatalf("after a version change, the new password does not log in: %s", got)
	}
	if got := h.login(first); got != "AUTH_ERR" {
		t.Fatalf("after a version change, the old password still logs in: %s", got)
	}

	// Without write-only support announced, the configuration is refused.
	v, err := h.srv.ValidateResourceConfig(context.Background(), &tfprotov6.ValidateResourceConfigRequest{
		TypeName: "truenas_user", Config: dynamic(t, h.userTyp, h.userConfig(first, 1)),
		ClientCapabilities: &tfprotov6.ValidateResourceConfigClientCapabilities{WriteOnlyAttributesAllowed: false}})
	if err != nil || !hasError(v.Diagnostics) {
		t.Fatalf("a client without write-only support was not refused: %v %s", err, diagText(v.Diagnostics))
	}
	_ = state
}

// shadowHash is the crypt hash of user in the box's etc/shadow.
func shadowHash(t *testing.T, box *accBox, user string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(box.sb.Root, "etc", "shadow"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Split(line, ":"); len(f) > 1 && f[0] == user {
			return f[1]
		}
	}
	t.Fatalf("no %s in etc/shadow", user)
	return ""
}

// loginResult asks the box whether password logs user in.
func loginResult(t *testing.T, box *accBox, user, password string) string {
	t.Helper()
	var r struct {
		ResponseType string `json:"response_type"`
	}
	raw := box.call(t, "auth.login_ex", map[string]any{"mechanism": "PASSWORD_PLAIN", "username": user, "password": password})
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	return r.ResponseType
}

// TestAccUserPasswordWO drives password_wo through the real CLI, which must
// send write-only values (OpenTofu 1.11+, Terraform 1.11+; it skips on
// Terraform 1.8.5): create, a plan with no change, a new value without a
// new version (not sent), rotation by password_wo_version (a new SHA-512
// crypt hash on the box, the new password logs in and the old one not),
// and an import; no password is ever in the state.
func TestAccUserPasswordWO(t *testing.T) {
	box := startAccBox(t)
	needWriteOnlyCLI(t)
	const first, second = "Wo-First-Secret-1", "Wo-Second-Secret-2"
	cfg := func(password string, version int) string {
		return box.config + fmt.Sprintf(`
resource "truenas_user" "wo" {
  username            = "wocli"
  full_name           = "Write Only"
  group_create        = true
  password_wo         = %q
  password_wo_version = %d
}
`, password, version)
	}
	noSecret := func(s *terraform.State) error {
		for addr, rs := range s.RootModule().Resources {
			for k, v := range rs.Primary.Attributes {
				if strings.Contains(v, first) || strings.Contains(v, second) {
					return fmt.Errorf("%s.%s holds a password", addr, k)
				}
			}
		}
		return nil
	}
	logsIn := func(password string, want string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			if got := loginResult(t, box, "wocli", password); got != want {
				return fmt.Errorf("login with %q: %s, want %s", password[:6], got, want)
			}
			return nil
		}
	}
	var hash string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		CheckDestroy:             box.checkGone(t, "user.query", "username", "wocli"),
		Steps: []resource.TestStep{
			{Config: cfg(first, 1), Check: resource.ComposeAggregateTestCheckFunc(noSecret,
				resource.TestCheckNoResourceAttr("truenas_user.wo", "password_wo"),
				resource.TestCheckNoResourceAttr("truenas_user.wo", "password"),
				resource.TestCheckResourceAttr("truenas_user.wo", "password_wo_version", "1"),
				logsIn(first, "SUCCESS"),
				func(*terraform.State) error {
					if hash = shadowHash(t, box, "wocli"); !strings.HasPrefix(hash, "$6$") {
						return fmt.Errorf("the hash on the box is not SHA-512 crypt: %.3s...", hash)
					}
					return nil
				})},
			// The same configuration plans nothing.
			{Config: cfg(first, 1), PlanOnly: true},
			// A new value without a new version is not seen, and not sent.
			{Config: cfg(second, 1), PlanOnly: true},
			// A new version sends it.
			{Config: cfg(second, 2), ConfigPlanChecks: inPlaceOf("truenas_user.wo"),
				Check: resource.ComposeAggregateTestCheckFunc(noSecret,
					resource.TestCheckNoResourceAttr("truenas_user.wo", "password_wo"),
					resource.TestCheckResourceAttr("truenas_user.wo", "password_wo_version", "2"),
					logsIn(second, "SUCCESS"), logsIn(first, "AUTH_ERR"),
					func(*terraform.State) error {
						if h := shadowHash(t, box, "wocli"); h == hash || !strings.HasPrefix(h, "$6$") {
							return fmt.Errorf("rotation left the hash on the box as it was or not SHA-512 crypt")
						}
						return nil
					})},
			{ResourceName: "truenas_user.wo", ImportState: true, ImportStateId: "wocli", ImportStateVerify: true,
				ImportStateVerifyIgnore: append(notReturned, "password_wo_version"),
				ImportStateCheck: func(s []*terraform.InstanceState) error {
					if v, ok := s[0].Attributes["password_wo"]; ok {
						return fmt.Errorf("password_wo = %q after an import", v)
					}
					return nil
				}},
		},
	})
}
