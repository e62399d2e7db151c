package provider

import (
	"context"
	"encoding/json"
	"maps"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/nasops/terraform-provider-truenas/internal/remote"
	"github.com/nasops/terraform-provider-truenas/internal/sandbox"
)

// The Terraform CLI the acceptance tests run (1.8.5) predates write-only
// attributes, so password_wo is tested here the way Terraform 1.11+ drives
// it: over the plugin protocol, with the write-only capability announced,
// against the sandbox box.

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
