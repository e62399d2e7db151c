package provider

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/defaults"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/nasops/terraform-provider-truenas/internal/tfmsgpack"
)

// NewServer returns the provider's plugin server: terraform-plugin-framework's
// server, with a fast path for the calls a refresh plan makes for every
// resource instance that has not changed.
//
// A refresh plan asks, for each instance in state, ValidateResourceConfig,
// UpgradeResourceState, ReadResource and PlanResourceChange. Through the
// framework these cost about two milliseconds of CPU per truenas_user,
// almost all of it in converting values (the framework looks each
// attribute up by path in the schema again for every value it touches),
// so a plan of 1,000 users spent seconds there. The fast path answers
// those four calls directly, mostly on the protocol's msgpack, in the cases
// where the framework's answer is known in advance; every other case, and
// every other call, goes to the framework unchanged:
//
//   - UpgradeResourceState of a state already at the schema's version: the
//     framework's own passthrough (decode the JSON with the schema type,
//     ignoring attributes the schema no longer has), without the framework
//     and, for the shapes tfmsgpack converts, without tftypes.
//   - ReadResource of a truenas_user found on the box: the same lookup and
//     the same userState as userResource.Read, with the model read from
//     and written to msgpack by modelCodec.
//   - PlanResourceChange of a truenas_user whose proposed new state is its
//     prior state, fully known, where no default would change a value and
//     no write-only value is set: the framework would plan exactly the
//     prior state (see userShortcuts), so that is the answer.
//   - ValidateResourceConfig of a truenas_user: the framework's checks
//     (read-only attributes unset, required ones set, no write-only value)
//     and the same validators and ValidateConfig, run directly; when any
//     of them has something to say, the framework answers, so the
//     diagnostics are exactly the framework's.
//
// Identities (Terraform 1.12+, OpenTofu 1.12+) go through as the framework
// sends them: a read answers the identity of the entry it read, leaving a
// different current identity to the framework (which reports the change);
// a plan answers the prior identity.
//
// Whenever private state is present the framework answers, because it
// keeps its own keys there; so it does while the provider configuration
// has unknown values, because it then defers plans.
//
// TestFastPathMatchesFramework compares each answer with the framework's.
func NewServer(version string) func() tfprotov6.ProviderServer {
	return func() tfprotov6.ProviderServer {
		p := New(version)().(*truenasProvider)
		return newFastServer(p, providerserver.NewProtocol6(p)())
	}
}

// fastServer is the framework's server with the fast path in front.
type fastServer struct {
	tfprotov6.ProviderServer
	// lists is the same framework server: list resources (Terraform 1.14)
	// are outside tfprotov6.ProviderServer for now, and tf6server serves
	// them only from a server that has their methods.
	lists tfprotov6.ListResourceServer

	p       *truenasProvider
	schemas map[string]resourceSchemaInfo
	user    *userShortcuts // nil: the framework answers every truenas_user call

	// How many calls the fast path answered, for tests and benchmarks.
	validations, upgrades, reads, plans atomic.Int64
}

type resourceSchemaInfo struct {
	version int64
	typ     tftypes.Type
	state   *tfmsgpack.Converter // nil: the schema type has a shape it does not convert
}

func newFastServer(p *truenasProvider, fw tfprotov6.ProviderServer) *fastServer {
	ctx := context.Background()
	s := &fastServer{ProviderServer: fw, p: p, schemas: map[string]resourceSchemaInfo{}}
	s.lists, _ = fw.(tfprotov6.ListResourceServer)
	for _, r := range resourcesOf(ctx, p) {
		info := resourceSchemaInfo{version: r.schema.Version, typ: r.schema.Type().TerraformType(ctx)}
		info.state, _ = tfmsgpack.NewConverter(info.typ)
		s.schemas[r.typeName] = info
		if ur, ok := r.res.(*userResource); ok {
			// On an error the shortcuts are off and the framework answers
			// everything; TestUserFastPathEnabled fails.
			s.user, _ = newUserShortcuts(ctx, ur, r.schema)
		}
	}
	return s
}

// tf6server serves list calls from a server with these methods (its
// ProviderServerWithListResource, deprecated until they join ProviderServer).
var _ tfprotov6.ListResourceServer = (*fastServer)(nil)

// ValidateListResourceConfig and ListResource go to the framework.
func (s *fastServer) ValidateListResourceConfig(ctx context.Context, req *tfprotov6.ValidateListResourceConfigRequest) (*tfprotov6.ValidateListResourceConfigResponse, error) {
	if s.lists == nil {
		return nil, fmt.Errorf("the framework's server has no list resources")
	}
	return s.lists.ValidateListResourceConfig(ctx, req)
}

func (s *fastServer) ListResource(ctx context.Context, req *tfprotov6.ListResourceRequest) (*tfprotov6.ListResourceServerStream, error) {
	if s.lists == nil {
		return nil, fmt.Errorf("the framework's server has no list resources")
	}
	return s.lists.ListResource(ctx, req)
}

// providerResource is one of the provider's resources, with its type name
// and schema.
type providerResource struct {
	typeName string
	res      resource.Resource
	schema   schema.Schema
}

// resourcesOf lists p's resources; one whose schema reports an error is
// left out (the framework reports it).
func resourcesOf(ctx context.Context, p provider.Provider) []providerResource {
	var pmd provider.MetadataResponse
	p.Metadata(ctx, provider.MetadataRequest{}, &pmd)
	var out []providerResource
	for _, f := range p.Resources(ctx) {
		r := f()
		var md resource.MetadataResponse
		r.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: pmd.TypeName}, &md)
		var sr resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &sr)
		if !sr.Diagnostics.HasError() {
			out = append(out, providerResource{typeName: md.TypeName, res: r, schema: sr.Schema})
		}
	}
	return out
}

// configured returns the provider's client once it is configured with
// known values, else nil.
func (s *fastServer) configured() *client {
	c := s.p.client.Load()
	if c == nil || len(c.unknown) > 0 {
		return nil
	}
	return c
}

// UpgradeResourceState is the framework's passthrough for a state at the
// current schema version: the stored JSON decoded with the schema's type,
// ignoring attributes the schema no longer has, and sent back as msgpack.
// tfmsgpack does that in one step; what it does not convert goes through
// tftypes, and what neither can read goes to the framework, which reports
// it.
func (s *fastServer) UpgradeResourceState(ctx context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	info, ok := s.schemas[req.TypeName]
	if !ok || req.RawState == nil || req.RawState.JSON == nil || req.Version != info.version {
		return s.ProviderServer.UpgradeResourceState(ctx, req)
	}
	if info.state != nil {
		if b, err := info.state.Convert(req.RawState.JSON); err == nil {
			s.upgrades.Add(1)
			return &tfprotov6.UpgradeResourceStateResponse{UpgradedState: &tfprotov6.DynamicValue{MsgPack: b}}, nil
		}
	}
	v, err := req.RawState.UnmarshalWithOpts(info.typ, tfprotov6.UnmarshalOpts{
		ValueFromJSONOpts: tftypes.ValueFromJSONOpts{IgnoreUndefinedAttributes: true}})
	if err != nil {
		return s.ProviderServer.UpgradeResourceState(ctx, req)
	}
	dv, err := tfprotov6.NewDynamicValue(info.typ, v)
	if err != nil {
		return s.ProviderServer.UpgradeResourceState(ctx, req)
	}
	s.upgrades.Add(1)
	return &tfprotov6.UpgradeResourceStateResponse{UpgradedState: &dv}, nil
}

// ReadResource reads a truenas_user found on the box; everything else
// (a user gone from the box, an error, private state, other types) goes to
// the framework.
func (s *fastServer) ReadResource(ctx context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	if req.TypeName != userTypeName || s.user == nil || len(req.Private) > 0 || req.CurrentState == nil {
		return s.ProviderServer.ReadResource(ctx, req)
	}
	c := s.configured()
	if c == nil {
		return s.ProviderServer.ReadResource(ctx, req)
	}
	state, err := s.user.codec.decode(req.CurrentState.MsgPack)
	if err != nil {
		return s.ProviderServer.ReadResource(ctx, req)
	}
	var diags diag.Diagnostics
	ns := readUser(ctx, c, state, &diags)
	if ns == nil || diags.HasError() {
		return s.ProviderServer.ReadResource(ctx, req)
	}
	b, err := s.user.codec.encode(ns)
	if err != nil {
		return s.ProviderServer.ReadResource(ctx, req)
	}
	// The identity, as userResource.Read sets it: the id of the new state.
	// A current identity other than that one is the framework's to report.
	id, err := parseID(ns.ID.ValueString())
	if err != nil {
		return s.ProviderServer.ReadResource(ctx, req)
	}
	if !identityIsNull(req.CurrentIdentity) {
		if cur, ok := identityID(req.CurrentIdentity); !ok || cur != id {
			return s.ProviderServer.ReadResource(ctx, req)
		}
	}
	ident, err := identityValue(id)
	if err != nil {
		return s.ProviderServer.ReadResource(ctx, req)
	}
	s.reads.Add(1)
	return &tfprotov6.ReadResourceResponse{NewState: &tfprotov6.DynamicValue{MsgPack: b}, NewIdentity: ident}, nil
}

// ValidateResourceConfig answers for a truenas_user configuration the
// framework has nothing to say about.
func (s *fastServer) ValidateResourceConfig(ctx context.Context, req *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	if req.TypeName != userTypeName || s.user == nil || !s.user.valid(ctx, req) {
		return s.ProviderServer.ValidateResourceConfig(ctx, req)
	}
	s.validations.Add(1)
	return &tfprotov6.ValidateResourceConfigResponse{}, nil
}

// PlanResourceChange plans an unchanged truenas_user as unchanged.
func (s *fastServer) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	if req.TypeName != userTypeName || s.user == nil || len(req.PriorPrivate) > 0 || s.configured() == nil ||
		!s.user.unchanged(req) {
		return s.ProviderServer.PlanResourceChange(ctx, req)
	}
	// The framework plans the prior identity unchanged (a null one when
	// the client sent none).
	ident := req.PriorIdentity
	if ident == nil || ident.IdentityData == nil {
		var err error
		if ident, err = nullIdentity(); err != nil {
			return s.ProviderServer.PlanResourceChange(ctx, req)
		}
	}
	s.plans.Add(1)
	return &tfprotov6.PlanResourceChangeResponse{PlannedState: req.PriorState, PlannedIdentity: ident}, nil
}

// userShortcuts knows when the framework's answer for a truenas_user is
// known in advance: when a configuration is valid (see valid), and when a
// plan is the prior state. Given a prior state equal to the proposed new
// state, fully known, the framework's plan steps leave it unchanged when:
//
//   - defaults: each attribute with a default is either set in the
//     configuration or already equal to its default in the prior state
//     (checked here);
//   - write-only attributes: they are null in the prior state (checked
//     here);
//   - computed-null marking: the framework marks computed values unknown
//     only when the plan differs from the prior state (it does not);
//   - attribute plan modifiers: only UseStateForUnknown, which acts on
//     unknown values, RequiresReplace(If...), which acts on values that
//     differ from the state, and notReadBack, which acts on a null state
//     value of an attribute with a default whose configuration is null,
//     a plan the defaults check leaves to the framework (checked when the
//     shortcut is built; any other modifier turns it off);
//   - userResource.ModifyPlan returns at once when the plan equals the
//     state.
type userShortcuts struct {
	r         *userResource
	schema    schema.Schema
	codec     *modelCodec[userModel]
	defaults  map[string]attr.Value
	writeOnly []string
	checks    []attrCheck
}

// attrCheck is what the framework's validation looks at in one attribute.
type attrCheck struct {
	name                          string
	readOnly, required, writeOnly bool
	validators                    []validator.String
}

const userTypeName = "truenas_user"

func newUserShortcuts(ctx context.Context, r *userResource, s schema.Schema) (*userShortcuts, error) {
	if _, ok := resource.Resource(r).(resource.ResourceWithConfigValidators); ok {
		return nil, fmt.Errorf("config validators are not run by the fast path")
	}
	if s.DeprecationMessage != "" {
		return nil, fmt.Errorf("a deprecated schema is not handled")
	}
	codec, err := newModelCodec[userModel](ctx, s)
	if err != nil {
		return nil, err
	}
	u := &userShortcuts{r: r, schema: s, codec: codec, defaults: map[string]attr.Value{}}
	for name, a := range s.Attributes {
		if a.IsWriteOnly() {
			u.writeOnly = append(u.writeOnly, name)
		}
		if a.GetDeprecationMessage() != "" {
			return nil, fmt.Errorf("attribute %q: deprecated attributes are not handled", name)
		}
		parts, err := partsOf(ctx, a)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", name, err)
		}
		if parts.validators > len(parts.stringValidators) {
			return nil, fmt.Errorf("attribute %q: the fast path runs validators of string attributes only", name)
		}
		u.checks = append(u.checks, attrCheck{name: name, readOnly: a.IsComputed() && !a.IsOptional(),
			required: a.IsRequired(), writeOnly: a.IsWriteOnly(), validators: parts.stringValidators})
		for _, m := range parts.planModifiers {
			// UseStateForUnknown and RequiresReplace(If...) change nothing
			// in a plan whose values are known and equal to the state's.
			// notReadBack acts only where the state's value and the
			// configuration's are null; such an attribute has a default,
			// so unchanged leaves that case to the framework (the prior
			// value is not the default), and in every case unchanged
			// answers, the modifier does nothing.
			t := reflect.TypeOf(m)
			if t == reflect.TypeOf(notReadBack{}) {
				if parts.def == nil {
					return nil, fmt.Errorf("attribute %q: notReadBack without a default is not handled", name)
				}
				continue
			}
			if !strings.HasPrefix(t.PkgPath(), "github.com/hashicorp/terraform-plugin-framework/resource/schema/") ||
				(t.Name() != "useStateForUnknownModifier" && t.Name() != "requiresReplaceIfModifier") {
				return nil, fmt.Errorf("attribute %q: plan modifier %s is not known to keep an unchanged plan", name, t)
			}
		}
		if parts.def != nil {
			u.defaults[name] = parts.def
		}
	}
	return u, nil
}

// attrParts is what the shortcuts need of one attribute: its plan
// modifiers, its validators, and the value its Default gives when the
// configuration leaves it null (nil: no default).
type attrParts struct {
	planModifiers    []any
	validators       int // of any kind
	stringValidators []validator.String
	def              attr.Value
}

// partsOf reads an attribute of the kinds the user schema has.
func partsOf(ctx context.Context, a schema.Attribute) (attrParts, error) {
	var p attrParts
	var diags diag.Diagnostics
	switch a := a.(type) {
	case schema.StringAttribute:
		p = attrParts{planModifiers: anySlice(a.PlanModifiers), validators: len(a.Validators), stringValidators: a.Validators}
		if a.Default != nil {
			var r defaults.StringResponse
			a.Default.DefaultString(ctx, defaults.StringRequest{}, &r)
			p.def, diags = r.PlanValue, r.Diagnostics
		}
	case schema.BoolAttribute:
		p = attrParts{planModifiers: anySlice(a.PlanModifiers), validators: len(a.Validators)}
		if a.Default != nil {
			var r defaults.BoolResponse
			a.Default.DefaultBool(ctx, defaults.BoolRequest{}, &r)
			p.def, diags = r.PlanValue, r.Diagnostics
		}
	case schema.Int64Attribute:
		p = attrParts{planModifiers: anySlice(a.PlanModifiers), validators: len(a.Validators)}
		if a.Default != nil {
			var r defaults.Int64Response
			a.Default.DefaultInt64(ctx, defaults.Int64Request{}, &r)
			p.def, diags = r.PlanValue, r.Diagnostics
		}
	case schema.ListAttribute:
		p = attrParts{planModifiers: anySlice(a.PlanModifiers), validators: len(a.Validators)}
		if a.Default != nil {
			var r defaults.ListResponse
			a.Default.DefaultList(ctx, defaults.ListRequest{}, &r)
			p.def, diags = r.PlanValue, r.Diagnostics
		}
	case schema.SetAttribute:
		p = attrParts{planModifiers: anySlice(a.PlanModifiers), validators: len(a.Validators)}
		if a.Default != nil {
			var r defaults.SetResponse
			a.Default.DefaultSet(ctx, defaults.SetRequest{}, &r)
			p.def, diags = r.PlanValue, r.Diagnostics
		}
	default:
		return p, fmt.Errorf("%T not handled", a)
	}
	if diags.HasError() {
		return p, fmt.Errorf("default: %v", diags)
	}
	return p, nil
}

func anySlice[E any](s []E) []any {
	out := make([]any, len(s))
	for i, e := range s {
		out[i] = e
	}
	return out
}

// valid says whether the framework would accept config without a single
// diagnostic: it runs the checks, validators and ValidateConfig of
// fwserver.ValidateResourceConfig, directly.
func (u *userShortcuts) valid(ctx context.Context, req *tfprotov6.ValidateResourceConfigRequest) bool {
	if req.Config == nil {
		return false
	}
	cv, err := req.Config.Unmarshal(u.codec.typ)
	if err != nil || cv.IsNull() || !cv.IsKnown() {
		return false
	}
	vals := map[string]tftypes.Value{}
	if cv.As(&vals) != nil {
		return false
	}
	woAllowed := req.ClientCapabilities != nil && req.ClientCapabilities.WriteOnlyAttributesAllowed
	config := tfsdk.Config{Raw: cv, Schema: u.schema}
	for _, c := range u.checks {
		v := vals[c.name]
		if (c.readOnly || c.writeOnly) && !v.IsNull() || c.required && v.IsNull() {
			return false
		}
		if len(c.validators) == 0 {
			continue
		}
		sv, err := types.StringType.ValueFromTerraform(ctx, v)
		if err != nil {
			return false
		}
		vreq := validator.StringRequest{Path: path.Root(c.name), PathExpression: path.MatchRoot(c.name),
			ConfigValue: sv.(types.String), Config: config,
			ClientCapabilities: validator.ValidateSchemaClientCapabilities{WriteOnlyAttributesAllowed: woAllowed}}
		for _, vd := range c.validators {
			var vresp validator.StringResponse
			vd.ValidateString(ctx, vreq, &vresp)
			if len(vresp.Diagnostics) > 0 {
				return false
			}
		}
	}
	var resp resource.ValidateConfigResponse
	u.r.ValidateConfig(ctx, resource.ValidateConfigRequest{Config: config,
		ClientCapabilities: resource.ValidateConfigClientCapabilities{WriteOnlyAttributesAllowed: woAllowed}}, &resp)
	return len(resp.Diagnostics) == 0
}

// unchanged says whether the framework's plan for req is its prior state.
func (u *userShortcuts) unchanged(req *tfprotov6.PlanResourceChangeRequest) bool {
	prior, proposed, config := req.PriorState, req.ProposedNewState, req.Config
	if prior == nil || proposed == nil || config == nil || len(prior.MsgPack) == 0 ||
		!bytes.Equal(prior.MsgPack, proposed.MsgPack) {
		return false
	}
	// The codec reads known, non-null objects only.
	pm, err := u.codec.decode(prior.MsgPack)
	if err != nil {
		return false
	}
	cm, err := u.codec.decode(config.MsgPack)
	if err != nil {
		return false
	}
	for _, name := range u.writeOnly {
		if !u.codec.field(&pm, name).IsNull() {
			return false
		}
	}
	for name, def := range u.defaults {
		if u.codec.field(&cm, name).IsNull() && !u.codec.field(&pm, name).Equal(def) {
			return false
		}
	}
	return true
}
