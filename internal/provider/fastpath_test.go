package provider

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

func userSchema(t *testing.T) schema.Schema {
	t.Helper()
	var sr resource.SchemaResponse
	(&userResource{}).Schema(context.Background(), resource.SchemaRequest{}, &sr)
	if sr.Diagnostics.HasError() {
		t.Fatal(sr.Diagnostics)
	}
	return sr.Schema
}

// The fast path turns itself off when the user schema gains something it
// does not know to be harmless (a custom plan modifier, a validator on a
// non-string attribute, a default of an unhandled kind...). This test
// makes that visible: reconsider the shortcuts before changing the schema.
func TestUserFastPathEnabled(t *testing.T) {
	if _, err := newUserShortcuts(context.Background(), &userResource{}, userSchema(t)); err != nil {
		t.Fatalf("the truenas_user fast path is off: %v", err)
	}
	s := NewServer("test")().(*fastServer)
	if s.user == nil {
		t.Fatal("NewServer has no truenas_user fast path")
	}
	for _, name := range []string{"truenas_user", "truenas_group", "truenas_api_key"} {
		if info, ok := s.schemas[name]; !ok {
			t.Errorf("no schema kept for the UpgradeResourceState of %s", name)
		} else if info.state == nil {
			t.Errorf("the state of %s is upgraded through tftypes, not tfmsgpack", name)
		}
	}
}

// sampleJSON writes a JSON value of typ with every attribute set (variant
// 0) or every other one null (variant 1), as a state file holds it.
func sampleJSON(typ tftypes.Type, variant int) string {
	switch {
	case typ.Is(tftypes.String):
		return `"2025-01-02T03:04:05Z \u00e9"`
	case typ.Is(tftypes.Number):
		return "1000"
	case typ.Is(tftypes.Bool):
		return "true"
	case typ.Is(tftypes.List{}):
		return "[" + sampleJSON(typ.(tftypes.List).ElementType, variant) + "]"
	case typ.Is(tftypes.Set{}):
		return "[" + sampleJSON(typ.(tftypes.Set).ElementType, variant) + "]"
	case typ.Is(tftypes.Map{}):
		e := sampleJSON(typ.(tftypes.Map).ElementType, variant)
		return `{"b":` + e + `,"a":` + e + `}`
	case typ.Is(tftypes.Object{}):
		attrs := typ.(tftypes.Object).AttributeTypes
		names := slices.Sorted(maps.Keys(attrs))
		parts := []string{`"attribute_of_an_older_schema":[1,{"x":null}]`}
		for i, name := range names {
			v := sampleJSON(attrs[name], variant)
			if variant == 1 && i%2 == 0 {
				v = "null"
			}
			parts = append(parts, strconv.Quote(name)+":"+v)
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	panic(fmt.Sprintf("sampleJSON: %s", typ))
}

// The fast state upgrade of every resource gives the framework's value.
func TestFastUpgradeMatchesFramework(t *testing.T) {
	ctx := context.Background()
	fast := NewServer("test")().(*fastServer)
	fw := providerserver.NewProtocol6(New("test")())()
	for name, info := range fast.schemas {
		for variant := range 2 {
			raw := []byte(sampleJSON(info.typ, variant))
			req := func() *tfprotov6.UpgradeResourceStateRequest {
				return &tfprotov6.UpgradeResourceStateRequest{TypeName: name, Version: info.version,
					RawState: &tfprotov6.RawState{JSON: raw}}
			}
			before := fast.upgrades.Load()
			got, err := fast.UpgradeResourceState(ctx, req())
			if err != nil {
				t.Fatal(err)
			}
			if fast.upgrades.Load() == before {
				t.Fatalf("%s: the fast path did not answer: %v", name, diagSummary(got.Diagnostics))
			}
			want, err := fw.UpgradeResourceState(ctx, req())
			if err != nil || len(want.Diagnostics) > 0 {
				t.Fatalf("%s: framework: %v %v", name, err, diagSummary(want.Diagnostics))
			}
			g, err := got.UpgradedState.Unmarshal(info.typ)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			w, err := want.UpgradedState.Unmarshal(info.typ)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !g.Equal(w) {
				t.Errorf("%s variant %d:\n fast      %v\n framework %v", name, variant, g, w)
			}
		}
	}
	if len(fast.schemas) != 4 {
		t.Errorf("%d resource schemas, want 4", len(fast.schemas))
	}
}

// customModifier is a plan modifier the fast path cannot know about.
type customModifier struct{ planmodifier.String }

func TestFastPathRefusesWhatItDoesNotKnow(t *testing.T) {
	ctx := context.Background()
	for name, change := range map[string]func(s *schema.Schema){
		"custom plan modifier": func(s *schema.Schema) {
			a := s.Attributes["full_name"].(schema.StringAttribute)
			a.PlanModifiers = []planmodifier.String{customModifier{}}
			s.Attributes["full_name"] = a
		},
		"validator on an int64": func(s *schema.Schema) {
			a := s.Attributes["uid"].(schema.Int64Attribute)
			a.Validators = []validator.Int64{int64validator.AtLeast(0)}
			s.Attributes["uid"] = a
		},
		"deprecated attribute": func(s *schema.Schema) {
			a := s.Attributes["email"].(schema.StringAttribute)
			a.DeprecationMessage = "gone soon"
			s.Attributes["email"] = a
		},
		"attribute without a field": func(s *schema.Schema) {
			s.Attributes["extra"] = schema.StringAttribute{Optional: true}
		},
		"field without an attribute": func(s *schema.Schema) {
			delete(s.Attributes, "roles")
		},
		"field of another type": func(s *schema.Schema) {
			s.Attributes["uid"] = schema.StringAttribute{Optional: true}
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := userSchema(t)
			s.Attributes = maps.Clone(s.Attributes)
			change(&s)
			if _, err := newUserShortcuts(ctx, &userResource{}, s); err == nil {
				t.Fatal("the fast path accepted the schema")
			}
		})
	}
}

// sampleUser is a userModel with every attribute known and most set.
func sampleUser() userModel {
	return userModel{
		ID: types.StringValue("12"), UID: types.Int64Value(3000), Username: types.StringValue("alice"),
		FullName: types.StringValue("Alice A"), Email: types.StringValue(""), Group: types.Int64Value(40),
		GroupCreate: types.BoolValue(true), Groups: int64Set([]int64{41, 42}), Home: types.StringValue("/mnt/tank/home"),
		HomeCreate: types.BoolValue(true), HomeMode: types.StringValue("700"), Shell: types.StringValue("/usr/bin/bash"),
		Password: types.StringValue("s3cret"), PasswordWO: types.StringNull(), PasswordWOVersion: types.Int64Value(2),
		PasswordDisabled: types.BoolValue(false), SSHPubKey: types.StringValue(" ssh-ed25519 AAAA k \n"),
		Locked: types.BoolValue(false), SMB: types.BoolValue(true), SudoCommands: stringList([]string{"/usr/bin/ls"}),
		SudoCommandsNopasswd: stringList(nil), SSHPasswordEnabled: types.BoolValue(true), Builtin: types.BoolValue(false),
		Immutable: types.BoolValue(false), Local: types.BoolValue(true), Roles: stringList([]string{"FULL_ADMIN"}),
	}
}

// The codec must give exactly what the framework's State.Set and Get give.
func TestModelCodecMatchesFramework(t *testing.T) {
	ctx := context.Background()
	s := userSchema(t)
	codec, err := newModelCodec[userModel](ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	full := sampleUser()
	nulls := full
	nulls.Email, nulls.Groups, nulls.Roles, nulls.UID = types.StringNull(), types.SetNull(types.Int64Type),
		types.ListNull(types.StringType), types.Int64Null()
	nulls.GroupCreate, nulls.SudoCommands = types.BoolNull(), stringList([]string{})
	for name, m := range map[string]userModel{"full": full, "nulls": nulls} {
		t.Run(name, func(t *testing.T) {
			st, want := frameworkState(t, s, &m)
			got, err := codec.encode(&m)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want.MsgPack) {
				t.Fatalf("encode differs from State.Set:\n got %x\nwant %x", got, want.MsgPack)
			}
			var wantModel userModel
			if diags := st.Get(ctx, &wantModel); diags.HasError() {
				t.Fatal(diags)
			}
			back, err := codec.decode(want.MsgPack)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, wantModel) {
				t.Fatalf("decode differs from State.Get:\n got %+v\nwant %+v", back, wantModel)
			}
		})
	}
	// Unknown values are the framework's to handle, both ways.
	partial := full
	partial.Groups = types.SetUnknown(types.Int64Type)
	if _, err := codec.encode(&partial); err == nil {
		t.Error("encode accepted an unknown value")
	}
	for what, v := range map[string]tftypes.Value{
		"null object":   tftypes.NewValue(codec.typ, nil),
		"unknown value": replaceAttr(t, codec, &full, "uid", tftypes.NewValue(tftypes.Number, tftypes.UnknownValue)),
		"float uid":     replaceAttr(t, codec, &full, "uid", tftypes.NewValue(tftypes.Number, big.NewFloat(1.5))),
	} {
		dv, err := tfprotov6.NewDynamicValue(codec.typ, v)
		if err != nil {
			t.Fatal(err)
		}
		if m, err := codec.decode(dv.MsgPack); err == nil {
			t.Errorf("%s: decode accepted it: %+v", what, m)
		}
	}
}

// frameworkState is m as the framework's State.Set writes it, and its
// msgpack.
func frameworkState(tb testing.TB, s schema.Schema, m *userModel) (tfsdk.State, *tfprotov6.DynamicValue) {
	tb.Helper()
	ctx := context.Background()
	st := tfsdk.State{Schema: s, Raw: tftypes.NewValue(s.Type().TerraformType(ctx), nil)}
	if diags := st.Set(ctx, m); diags.HasError() {
		tb.Fatal(diags)
	}
	dv, err := tfprotov6.NewDynamicValue(st.Raw.Type(), st.Raw)
	if err != nil {
		tb.Fatal(err)
	}
	return st, &dv
}

// replaceAttr returns the value of m with one attribute replaced.
func replaceAttr(t *testing.T, codec *modelCodec[userModel], m *userModel, name string, v tftypes.Value) tftypes.Value {
	t.Helper()
	b, err := codec.encode(m)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := (&tfprotov6.DynamicValue{MsgPack: b}).Unmarshal(codec.typ)
	if err != nil {
		t.Fatal(err)
	}
	vals := map[string]tftypes.Value{}
	if err := obj.As(&vals); err != nil {
		t.Fatal(err)
	}
	vals[name] = v
	return tftypes.NewValue(codec.typ, vals)
}

// FuzzModelCodecDecode checks the codec's decoding against tftypes and
// tfsdk.State.Get: whatever the codec reads, they read the same way.
func FuzzModelCodecDecode(f *testing.F) {
	ctx := context.Background()
	var sr resource.SchemaResponse
	(&userResource{}).Schema(ctx, resource.SchemaRequest{}, &sr)
	s := sr.Schema
	codec, err := newModelCodec[userModel](ctx, s)
	if err != nil {
		f.Fatal(err)
	}
	odd := sampleUser()
	odd.UID, odd.Groups, odd.Roles = types.Int64Value(-5), int64Set([]int64{1 << 40}), types.ListNull(types.StringType)
	odd.SudoCommands, odd.Email = stringList([]string{"/bin/ls", ""}), types.StringNull()
	for _, m := range []userModel{sampleUser(), odd} {
		_, dv := frameworkState(f, s, &m)
		f.Add(dv.MsgPack)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := codec.decode(b)
		if err != nil {
			return
		}
		v, err := (&tfprotov6.DynamicValue{MsgPack: b}).Unmarshal(codec.typ)
		if err != nil {
			t.Fatalf("%x: the codec reads what tftypes does not: %v", b, err)
		}
		var want userModel
		if diags := (tfsdk.State{Schema: s, Raw: v}).Get(ctx, &want); diags.HasError() {
			t.Fatalf("%x: the codec reads what the framework does not: %v", b, diags)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%x:\n got %+v\nwant %+v", b, got, want)
		}
	})
}

// fastAndFramework is a harness whose server has the fast path, plus the
// framework's own server configured for the same box, to compare answers.
type fastAndFramework struct {
	*protoHarness
	fast *fastServer
	fw   tfprotov6.ProviderServer
	fwP  *truenasProvider
	// identity is the current (read) or prior (plan) identity the
	// requests carry, as Terraform 1.12+ sends it; nil, as older CLIs.
	identity *tfprotov6.ResourceIdentityData
}

func newFastAndFramework(t *testing.T) *fastAndFramework {
	h := newProtoHarness(t)
	p := New("test")().(*truenasProvider)
	fw := providerserver.NewProtocol6(p)()
	h.configure(fw)
	return &fastAndFramework{protoHarness: h, fast: h.srv.(*fastServer), fw: fw, fwP: p}
}

// diagSummary renders diagnostics for comparison, in a stable order.
func diagSummary(diags []*tfprotov6.Diagnostic) []string {
	var out []string
	for _, d := range diags {
		p := ""
		if d.Attribute != nil {
			p = d.Attribute.String()
		}
		out = append(out, strings.Join([]string{d.Severity.String(), p, d.Summary, d.Detail}, " | "))
	}
	slices.Sort(out)
	return out
}

func (f *fastAndFramework) value(dv *tfprotov6.DynamicValue) tftypes.Value {
	f.t.Helper()
	if dv == nil {
		return tftypes.Value{}
	}
	v, err := dv.Unmarshal(f.userTyp)
	if err != nil {
		f.t.Fatal(err)
	}
	return v
}

func (f *fastAndFramework) sameValue(what string, got, want *tfprotov6.DynamicValue) {
	f.t.Helper()
	g, w := f.value(got), f.value(want)
	if !g.Equal(w) {
		diff, _ := g.Diff(w)
		f.t.Fatalf("%s: the fast path's value differs from the framework's: %v\n fast %v\n framework %v", what, diff, g, w)
	}
}

// sameIdentity compares two identities on the protocol by value.
func (f *fastAndFramework) sameIdentity(what string, got, want *tfprotov6.ResourceIdentityData) {
	f.t.Helper()
	val := func(d *tfprotov6.ResourceIdentityData) tftypes.Value {
		if d == nil || d.IdentityData == nil {
			return tftypes.Value{}
		}
		v, err := d.IdentityData.Unmarshal(identityType)
		if err != nil {
			f.t.Fatal(err)
		}
		return v
	}
	if g, w := val(got), val(want); !g.Equal(w) {
		f.t.Fatalf("%s: the fast path's identity %v differs from the framework's %v", what, g, w)
	}
}

func (f *fastAndFramework) sameDiags(what string, got, want []*tfprotov6.Diagnostic) {
	f.t.Helper()
	if g, w := diagSummary(got), diagSummary(want); !slices.Equal(g, w) {
		f.t.Fatalf("%s: diagnostics differ:\n fast %q\n framework %q", what, g, w)
	}
}

// validate runs config through both servers, compares, and says whether
// the fast path answered.
func (f *fastAndFramework) validate(what string, config tftypes.Value, caps *tfprotov6.ValidateResourceConfigClientCapabilities) bool {
	f.t.Helper()
	ctx := context.Background()
	req := func() *tfprotov6.ValidateResourceConfigRequest {
		return &tfprotov6.ValidateResourceConfigRequest{TypeName: userTypeName, Config: dynamic(f.t, f.userTyp, config),
			ClientCapabilities: caps}
	}
	before := f.fast.validations.Load()
	got, err := f.fast.ValidateResourceConfig(ctx, req())
	if err != nil {
		f.t.Fatal(err)
	}
	want, err := f.fw.ValidateResourceConfig(ctx, req())
	if err != nil {
		f.t.Fatal(err)
	}
	f.sameDiags(what, got.Diagnostics, want.Diagnostics)
	return f.fast.validations.Load() > before
}

func (f *fastAndFramework) upgrade(what string, state *tfprotov6.DynamicValue) *tfprotov6.DynamicValue {
	f.t.Helper()
	ctx := context.Background()
	raw := stateJSON(f.t, f.value(state))
	// A stored state may hold attributes an older schema had.
	raw = append([]byte(`{"removed_attribute":"x",`), raw[1:]...)
	req := func() *tfprotov6.UpgradeResourceStateRequest {
		return &tfprotov6.UpgradeResourceStateRequest{TypeName: userTypeName, RawState: &tfprotov6.RawState{JSON: raw}}
	}
	before := f.fast.upgrades.Load()
	got, err := f.fast.UpgradeResourceState(ctx, req())
	if err != nil {
		f.t.Fatal(err)
	}
	want, err := f.fw.UpgradeResourceState(ctx, req())
	if err != nil {
		f.t.Fatal(err)
	}
	f.sameDiags(what, got.Diagnostics, want.Diagnostics)
	f.sameValue(what, got.UpgradedState, want.UpgradedState)
	if f.fast.upgrades.Load() == before {
		f.t.Fatalf("%s: the fast path did not answer UpgradeResourceState", what)
	}
	return got.UpgradedState
}

func (f *fastAndFramework) read(what string, state *tfprotov6.DynamicValue) (*tfprotov6.DynamicValue, bool) {
	f.t.Helper()
	ctx := context.Background()
	req := func() *tfprotov6.ReadResourceRequest {
		return &tfprotov6.ReadResourceRequest{TypeName: userTypeName, CurrentState: state, CurrentIdentity: f.identity}
	}
	before := f.fast.reads.Load()
	got, err := f.fast.ReadResource(ctx, req())
	if err != nil {
		f.t.Fatal(err)
	}
	want, err := f.fw.ReadResource(ctx, req())
	if err != nil {
		f.t.Fatal(err)
	}
	f.sameDiags(what, got.Diagnostics, want.Diagnostics)
	f.sameValue(what, got.NewState, want.NewState)
	f.sameIdentity(what, got.NewIdentity, want.NewIdentity)
	if string(got.Private) != string(want.Private) {
		f.t.Fatalf("%s: private state differs: %q and %q", what, got.Private, want.Private)
	}
	return got.NewState, f.fast.reads.Load() > before
}

func (f *fastAndFramework) plan(what string, prior, proposed *tfprotov6.DynamicValue, config tftypes.Value) (*tfprotov6.DynamicValue, bool) {
	f.t.Helper()
	ctx := context.Background()
	req := func() *tfprotov6.PlanResourceChangeRequest {
		return &tfprotov6.PlanResourceChangeRequest{TypeName: userTypeName, PriorState: prior,
			ProposedNewState: proposed, Config: dynamic(f.t, f.userTyp, config), PriorIdentity: f.identity}
	}
	before := f.fast.plans.Load()
	got, err := f.fast.PlanResourceChange(ctx, req())
	if err != nil {
		f.t.Fatal(err)
	}
	want, err := f.fw.PlanResourceChange(ctx, req())
	if err != nil {
		f.t.Fatal(err)
	}
	f.sameDiags(what, got.Diagnostics, want.Diagnostics)
	f.sameValue(what, got.PlannedState, want.PlannedState)
	f.sameIdentity(what, got.PlannedIdentity, want.PlannedIdentity)
	if string(got.PlannedPrivate) != string(want.PlannedPrivate) {
		f.t.Fatalf("%s: planned private state differs: %q and %q", what, got.PlannedPrivate, want.PlannedPrivate)
	}
	if g, w := got.RequiresReplace, want.RequiresReplace; len(g) != len(w) {
		f.t.Fatalf("%s: RequiresReplace differs: %v and %v", what, g, w)
	}
	return got.PlannedState, f.fast.plans.Load() > before
}

// userID is the numeric id in a user state.
func (f *fastAndFramework) userID(state *tfprotov6.DynamicValue) int {
	f.t.Helper()
	var text string
	if err := attrs(f.t, f.value(state))["id"].As(&text); err != nil {
		f.t.Fatal(err)
	}
	id, err := strconv.Atoi(text)
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

// onBox calls the engine behind Terraform's back, and empties both
// servers' read caches so that they see the change.
func (f *fastAndFramework) onBox(method string, params ...any) {
	f.t.Helper()
	if _, err := f.rc.Call(context.Background(), method, params...); err != nil {
		f.t.Fatalf("%s: %v", method, err)
	}
	f.fast.p.client.Load().invalidate()
	f.fwP.client.Load().invalidate()
}

// with returns config with some attributes changed.
func with(t testing.TB, config tftypes.Value, changes map[string]tftypes.Value) tftypes.Value {
	vals := attrs(t, config)
	maps.Copy(vals, changes)
	return tftypes.NewValue(config.Type(), vals)
}

func str(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }

var nullString = tftypes.NewValue(tftypes.String, nil)

// Every answer of the fast path is compared with the framework's answer
// to the same request, for users of different shapes, in the cases the
// fast path takes and in those it must leave to the framework.
func TestFastPathMatchesFramework(t *testing.T) {
	f := newFastAndFramework(t)
	configs := map[string]tftypes.Value{
		"plain": objectValue(t, f.userTyp, map[string]tftypes.Value{
			"username": str("fp1"), "full_name": str("Fast Path One"),
			"group_create":      tftypes.NewValue(tftypes.Bool, true),
			"password_disabled": tftypes.NewValue(tftypes.Bool, true),
			"smb":               tftypes.NewValue(tftypes.Bool, false),
		}),
		"rich": objectValue(t, f.userTyp, map[string]tftypes.Value{
			"username": str("fp2"), "full_name": str("Fast Path Two"), "email": str(""),
			"group_create":  tftypes.NewValue(tftypes.Bool, true),
			"password":      str("Rich-Secret-12"),
			"shell":         str("/usr/bin/bash"),
			"sudo_commands": tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, []tftypes.Value{str("ALL")}),
			"uid":           tftypes.NewValue(tftypes.Number, big.NewFloat(3999)),
		}),
	}
	for _, name := range []string{"plain", "rich"} {
		config := configs[name]
		t.Run(name, func(t *testing.T) {
			f.t = t
			if !f.validate("valid configuration", config, nil) {
				t.Fatal("the fast path did not answer ValidateResourceConfig for a valid configuration")
			}
			created := f.applyConfig(config, nil)
			// The framework server's client caches what it read before.
			f.fwP.client.Load().invalidate()

			upgraded := f.upgrade("stored state", created)
			state, fast := f.read("read", upgraded)
			if !fast {
				t.Fatal("the fast path did not answer ReadResource for a user on the box")
			}
			planned, fast := f.plan("unchanged", state, state, config)
			if !fast {
				t.Fatal("the fast path did not answer PlanResourceChange for an unchanged user")
			}
			if !f.value(planned).Equal(f.value(state)) {
				t.Fatal("an unchanged user was planned with changes")
			}

			// Terraform 1.12+ and OpenTofu 1.12+ send the identity the
			// last read returned: it is the user's id, and goes through
			// a read and a plan unchanged.
			ident, err := identityValue(int64(f.userID(state)))
			if err != nil {
				t.Fatal(err)
			}
			f.identity = ident
			if _, fast := f.read("read with identity", state); !fast {
				t.Fatal("the fast path did not answer ReadResource with the user's identity")
			}
			if _, fast := f.plan("unchanged, with identity", state, state, config); !fast {
				t.Fatal("the fast path did not answer PlanResourceChange with the user's identity")
			}
			// An identity naming another entry: the framework reports it.
			other, _ := identityValue(int64(f.userID(state)) + 1000)
			f.identity = other
			if _, fast := f.read("read with another identity", state); fast {
				t.Fatal("the fast path answered a read whose identity names another user")
			}
			f.identity = nil

			// A change made on the box behind Terraform's back shows.
			f.onBox("user.update", f.userID(state), map[string]any{"full_name": "Changed On Box"})
			drifted, fast := f.read("changed on the box", state)
			if !fast {
				t.Fatal("the fast path did not answer ReadResource for a user changed on the box")
			}
			if got := attrs(t, f.value(drifted))["full_name"]; !got.Equal(str("Changed On Box")) {
				t.Fatalf("a full_name changed on the box was read as %v", got)
			}

			// Left to the framework: a default that changes a value, and a
			// real change.
			noShell := with(t, config, map[string]tftypes.Value{"shell": nullString})
			planned, fast = f.plan("shell left to its default", state, f.proposed(noShell, state), noShell)
			shell := map[string]tftypes.Value{}
			_ = f.value(planned).As(&shell)
			if name == "rich" {
				if fast {
					t.Fatal("the fast path answered a plan where a default changes the shell")
				}
				if !shell["shell"].Equal(str("/usr/bin/zsh")) {
					t.Fatalf("the default shell was not planned: %v", shell["shell"])
				}
			}
			renamed := with(t, config, map[string]tftypes.Value{"full_name": str("Renamed")})
			if _, fast = f.plan("full_name changed", state, f.proposed(renamed, state), renamed); fast {
				t.Fatal("the fast path answered a plan with a change")
			}

			// Validation the framework has something to say about.
			for what, c := range map[string]tftypes.Value{
				"read-only id set":               with(t, config, map[string]tftypes.Value{"id": str("1")}),
				"required full_name":             with(t, config, map[string]tftypes.Value{"full_name": nullString}),
				"password and write-only":        with(t, config, map[string]tftypes.Value{"password": str("a-B-3-secret"), "password_wo": str("x-Y-9-secret")}),
				"write-only without its version": with(t, config, map[string]tftypes.Value{"password": nullString, "password_wo": str("x-Y-9-secret")}),
			} {
				if f.validate(what, c, writeOnlyCaps) {
					t.Fatalf("%s: the fast path answered", what)
				}
			}
			wo := with(t, config, map[string]tftypes.Value{"password": nullString, "password_wo": str("x-Y-9-secret"),
				"password_wo_version": tftypes.NewValue(tftypes.Number, big.NewFloat(1))})
			if f.validate("write-only on a client without it", wo, nil) {
				t.Fatal("the fast path answered for a write-only value on a client without write-only support")
			}
			if f.validate("write-only with its version", wo, writeOnlyCaps) {
				t.Fatal("the fast path answered for a write-only value")
			}
		})
	}
	f.t = t

	// An imported user: what TrueNAS never returns is null. Left out of
	// the configuration, it stays null and the plan is the prior state (the
	// framework answers: the prior value is not the default); configured
	// as it was used, it is planned in place, not as a replacement.
	imp, err := f.fast.ImportResourceState(context.Background(), &tfprotov6.ImportResourceStateRequest{TypeName: userTypeName, ID: "fp1"})
	if err != nil || hasError(imp.Diagnostics) || len(imp.ImportedResources) != 1 {
		t.Fatalf("ImportResourceState: %v %s", err, diagText(imp.Diagnostics))
	}
	imported, _ := f.read("imported", imp.ImportedResources[0].State)
	for _, name := range []string{"group_create", "home_create", "home_mode", "password"} {
		if v := attrs(t, f.value(imported))[name]; !v.IsNull() {
			t.Fatalf("%s is %v after an import, not null", name, v)
		}
	}
	// (The loop above changed fp1's full_name on the box.)
	asOnBox := with(t, configs["plain"], map[string]tftypes.Value{"full_name": attrs(t, f.value(imported))["full_name"]})
	silent := with(t, asOnBox, map[string]tftypes.Value{"group_create": tftypes.NewValue(tftypes.Bool, nil),
		"group": attrs(t, f.value(imported))["group"]})
	planned, fast := f.plan("imported, configuration without them", imported, f.proposed(silent, imported), silent)
	if fast || !f.value(planned).Equal(f.value(imported)) {
		diff, _ := f.value(planned).Diff(f.value(imported))
		t.Fatalf("an imported user whose configuration leaves group_create out: fast %v, plan differs: %v", fast, diff)
	}
	documented := with(t, asOnBox, map[string]tftypes.Value{"home_mode": str("750"),
		"home_create": tftypes.NewValue(tftypes.Bool, false)})
	resp, err := f.fw.PlanResourceChange(context.Background(), &tfprotov6.PlanResourceChangeRequest{TypeName: userTypeName,
		PriorState: imported, ProposedNewState: f.proposed(documented, imported), Config: dynamic(t, f.userTyp, documented)})
	if err != nil || hasError(resp.Diagnostics) || len(resp.RequiresReplace) != 0 {
		t.Fatalf("an imported user with group_create = true as used: %v %s, replace %v", err, diagText(resp.Diagnostics), resp.RequiresReplace)
	}
	if got := attrs(t, f.value(resp.PlannedState)); !got["group_create"].Equal(tftypes.NewValue(tftypes.Bool, true)) ||
		!got["home_mode"].Equal(str("750")) || !got["home_directory"].Equal(attrs(t, f.value(imported))["home_directory"]) {
		t.Fatalf("planned after import: %v", got)
	}

	// A user deleted behind Terraform's back: the framework answers (no
	// state), and the two agree.
	created := f.applyConfig(with(t, configs["plain"], map[string]tftypes.Value{"username": str("fp3")}), nil)
	f.onBox("user.delete", f.userID(created))
	gone, fast := f.read("deleted on the box", created)
	if fast || !f.value(gone).IsNull() {
		t.Fatalf("a user deleted on the box: fast path answered %v, new state %v", fast, f.value(gone))
	}
}

// With provider arguments unknown at plan time (Terraform 1.9+ deferred
// actions), the framework defers plans: the fast path must not answer.
func TestFastPathLeavesDeferredPlansToTheFramework(t *testing.T) {
	ctx := context.Background()
	srv := NewServer("test")()
	sch, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || len(sch.Diagnostics) > 0 {
		t.Fatalf("GetProviderSchema: %v %v", err, sch.Diagnostics)
	}
	provTyp := sch.Provider.ValueType().(tftypes.Object)
	userTyp := sch.ResourceSchemas[userTypeName].ValueType().(tftypes.Object)
	cfg := objectValue(t, provTyp, map[string]tftypes.Value{"host": tftypes.NewValue(tftypes.String, tftypes.UnknownValue)})
	resp, err := srv.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{TerraformVersion: "1.9.0",
		Config: dynamic(t, provTyp, cfg), ClientCapabilities: &tfprotov6.ConfigureProviderClientCapabilities{DeferralAllowed: true}})
	if err != nil || hasError(resp.Diagnostics) {
		t.Fatalf("ConfigureProvider: %v %v", err, resp.Diagnostics)
	}
	config := objectValue(t, userTyp, map[string]tftypes.Value{
		"username": str("d"), "full_name": str("D"), "group_create": tftypes.NewValue(tftypes.Bool, true),
		"password_disabled": tftypes.NewValue(tftypes.Bool, true), "smb": tftypes.NewValue(tftypes.Bool, false),
	})
	state := objectValue(t, userTyp, map[string]tftypes.Value{
		"id": str("7"), "uid": tftypes.NewValue(tftypes.Number, 3000), "username": str("d"), "full_name": str("D"),
		"group": tftypes.NewValue(tftypes.Number, 9), "group_create": tftypes.NewValue(tftypes.Bool, true),
		"groups": tftypes.NewValue(tftypes.Set{ElementType: tftypes.Number}, []tftypes.Value{}),
		"home":   str("/var/empty"), "home_create": tftypes.NewValue(tftypes.Bool, false), "home_mode": str("700"),
		"shell": str("/usr/bin/zsh"), "password_disabled": tftypes.NewValue(tftypes.Bool, true),
		"locked": tftypes.NewValue(tftypes.Bool, false), "smb": tftypes.NewValue(tftypes.Bool, false),
		"sudo_commands":          tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, []tftypes.Value{}),
		"sudo_commands_nopasswd": tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, []tftypes.Value{}),
		"ssh_password_enabled":   tftypes.NewValue(tftypes.Bool, false), "builtin": tftypes.NewValue(tftypes.Bool, false),
		"immutable": tftypes.NewValue(tftypes.Bool, false), "local": tftypes.NewValue(tftypes.Bool, true),
		"roles": tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, []tftypes.Value{}),
	})
	st := dynamic(t, userTyp, state)
	plan, err := srv.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{TypeName: userTypeName,
		PriorState: st, ProposedNewState: st, Config: dynamic(t, userTyp, config),
		ClientCapabilities: &tfprotov6.PlanResourceChangeClientCapabilities{DeferralAllowed: true}})
	if err != nil || hasError(plan.Diagnostics) {
		t.Fatalf("PlanResourceChange: %v %v", err, plan.Diagnostics)
	}
	if plan.Deferred == nil {
		t.Fatal("the plan was not deferred")
	}
	if n := srv.(*fastServer).plans.Load(); n != 0 {
		t.Fatalf("the fast path answered %d plans with an unknown provider configuration", n)
	}
}
