package provider

import (
	"context"
	"encoding/json"
	"math/big"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// stateJSON renders v the way Terraform keeps it in a state file, for
// UpgradeResourceState.
func stateJSON(tb testing.TB, v tftypes.Value) []byte {
	tb.Helper()
	var conv func(v tftypes.Value) any
	conv = func(v tftypes.Value) any {
		if v.IsNull() {
			return nil
		}
		switch {
		case v.Type().Is(tftypes.String):
			var s string
			_ = v.As(&s)
			return s
		case v.Type().Is(tftypes.Bool):
			var b bool
			_ = v.As(&b)
			return b
		case v.Type().Is(tftypes.Number):
			var n big.Float
			_ = v.As(&n)
			return json.Number(n.Text('f', -1))
		case v.Type().Is(tftypes.Object{}):
			m := map[string]tftypes.Value{}
			_ = v.As(&m)
			out := map[string]any{}
			for k, e := range m {
				out[k] = conv(e)
			}
			return out
		default:
			var l []tftypes.Value
			if err := v.As(&l); err != nil {
				tb.Fatalf("stateJSON: %v", err)
			}
			out := []any{}
			for _, e := range l {
				out = append(out, conv(e))
			}
			return out
		}
	}
	b, err := json.Marshal(conv(v))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BenchmarkUserRefreshPlan is what `terraform plan` asks of the provider for
// each truenas_user already in state and unchanged: validate the
// configuration, upgrade the stored state, read it and plan it. It runs
// against the framework's own server and against NewServer's (the fast
// path), so the two sets of figures come from the same run.
func BenchmarkUserRefreshPlan(b *testing.B) {
	h := newProtoHarness(b)
	fwP := New("test")().(*truenasProvider)
	fw := providerserver.NewProtocol6(fwP)()
	h.configure(fw)
	config := objectValue(b, h.userTyp, map[string]tftypes.Value{
		"username":          tftypes.NewValue(tftypes.String, "bench"),
		"full_name":         tftypes.NewValue(tftypes.String, "Bench User"),
		"group_create":      tftypes.NewValue(tftypes.Bool, true),
		"password_disabled": tftypes.NewValue(tftypes.Bool, true),
		"smb":               tftypes.NewValue(tftypes.Bool, false),
	})
	state := h.applyConfig(config, nil)
	sv, err := state.Unmarshal(h.userTyp)
	if err != nil {
		b.Fatal(err)
	}
	raw := stateJSON(b, sv)
	cfg := dynamic(b, h.userTyp, config)
	ctx := context.Background()

	for _, server := range []struct {
		name string
		srv  tfprotov6.ProviderServer
	}{{"framework", fw}, {"fastpath", h.srv}} {
		srv := server.srv
		validate := func() {
			r, err := srv.ValidateResourceConfig(ctx, &tfprotov6.ValidateResourceConfigRequest{TypeName: "truenas_user", Config: cfg})
			if err != nil || hasError(r.Diagnostics) {
				b.Fatalf("ValidateResourceConfig: %v %s", err, diagText(r.Diagnostics))
			}
		}
		upgrade := func() *tfprotov6.DynamicValue {
			r, err := srv.UpgradeResourceState(ctx, &tfprotov6.UpgradeResourceStateRequest{TypeName: "truenas_user",
				RawState: &tfprotov6.RawState{JSON: raw}})
			if err != nil || hasError(r.Diagnostics) {
				b.Fatalf("UpgradeResourceState: %v %s", err, diagText(r.Diagnostics))
			}
			return r.UpgradedState
		}
		read := func(st *tfprotov6.DynamicValue) *tfprotov6.DynamicValue {
			r, err := srv.ReadResource(ctx, &tfprotov6.ReadResourceRequest{TypeName: "truenas_user", CurrentState: st})
			if err != nil || hasError(r.Diagnostics) || r.NewState == nil {
				b.Fatalf("ReadResource: %v %s", err, diagText(r.Diagnostics))
			}
			return r.NewState
		}
		plan := func(st *tfprotov6.DynamicValue) {
			r, err := srv.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{TypeName: "truenas_user",
				PriorState: st, ProposedNewState: st, Config: cfg})
			if err != nil || hasError(r.Diagnostics) {
				b.Fatalf("PlanResourceChange: %v %s", err, diagText(r.Diagnostics))
			}
			if len(r.RequiresReplace) > 0 {
				b.Fatalf("PlanResourceChange: an unchanged user requires replacement: %v", r.RequiresReplace)
			}
		}
		up := upgrade()
		st := read(up)

		fast, _ := srv.(*fastServer)
		// run benchmarks one kind of call and, on the fast server, checks
		// that the fast path answered it.
		run := func(kind string, answered func(*fastServer) int64, call func()) {
			b.Run(server.name+"/"+kind, func(b *testing.B) {
				var before int64
				if fast != nil {
					before = answered(fast)
				}
				for b.Loop() {
					call()
				}
				if fast != nil && answered(fast) == before {
					b.Fatalf("the fast path did not answer %s", kind)
				}
			})
		}
		run("validate", func(f *fastServer) int64 { return f.validations.Load() }, validate)
		run("upgrade", func(f *fastServer) int64 { return f.upgrades.Load() }, func() { upgrade() })
		run("read", func(f *fastServer) int64 { return f.reads.Load() }, func() { read(up) })
		run("plan", func(f *fastServer) int64 { return f.plans.Load() }, func() { plan(st) })
		run("all", func(f *fastServer) int64 { return f.plans.Load() }, func() {
			validate()
			plan(read(upgrade()))
		})
	}
}
