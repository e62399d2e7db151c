package provider

import (
	"context"
	"fmt"
	"math/big"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	tfpath "github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// Every resource has the same identity (Terraform 1.12+, OpenTofu 1.12+):
// `id`, TrueNAS's numeric database id of the entry, the number the
// resource's string `id` attribute holds. An import block may give it
// (`identity = { id = 42 }`) instead of an import id.

var (
	_ resource.ResourceWithIdentity = (*userResource)(nil)
	_ resource.ResourceWithIdentity = (*groupResource)(nil)
	_ resource.ResourceWithIdentity = (*apiKeyResource)(nil)
	_ resource.ResourceWithIdentity = (*privilegeResource)(nil)
)

// identityModel is the identity of every resource.
type identityModel struct {
	ID types.Int64 `tfsdk:"id"`
}

// identityType is the identity's type on the protocol.
var identityType = tftypes.Object{AttributeTypes: map[string]tftypes.Type{"id": tftypes.Number}}

func idIdentitySchema(what string, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"id": identityschema.Int64Attribute{RequiredForImport: true,
				Description: fmt.Sprintf("The %s's numeric id in the TrueNAS database (the number in the resource's `id`).", what)},
		},
	}
}

func (r *userResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	idIdentitySchema("user", resp)
}

func (r *groupResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	idIdentitySchema("group", resp)
}

func (r *apiKeyResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	idIdentitySchema("API key", resp)
}

func (r *privilegeResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	idIdentitySchema("privilege", resp)
}

// identityImport is the id an import block's identity gives (byIdentity
// true), or byIdentity false for an import by id or name (req.ID).
func identityImport(ctx context.Context, req resource.ImportStateRequest, diags *diag.Diagnostics) (id int64, byIdentity bool) {
	if req.ID != "" || req.Identity == nil || req.Identity.Raw.IsNull() {
		return 0, false
	}
	var m identityModel
	diags.Append(req.Identity.Get(ctx, &m)...)
	if diags.HasError() {
		return 0, true
	}
	if m.ID.IsNull() || m.ID.IsUnknown() || m.ID.ValueInt64() < 1 {
		diags.AddAttributeError(tfpath.Root("id"), "Invalid import identity",
			"identity.id must be a known positive number: the entry's id in the TrueNAS database.")
		return 0, true
	}
	return m.ID.ValueInt64(), true
}

// setImported stores an imported entry's id in the state and the identity.
func setImported(ctx context.Context, resp *resource.ImportStateResponse, id int64) {
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, tfpath.Root("id"), fmt.Sprint(id))...)
	if resp.Identity != nil {
		resp.Diagnostics.Append(resp.Identity.Set(ctx, identityModel{ID: types.Int64Value(id)})...)
	}
}

// identityFromState sets ident from the id attribute of st, once a Create
// or Update has stored st without error.
func identityFromState(ctx context.Context, st *tfsdk.State, ident *tfsdk.ResourceIdentity, diags *diag.Diagnostics) {
	if ident == nil || diags.HasError() || st.Raw.IsNull() {
		return
	}
	var s types.String
	diags.Append(st.GetAttribute(ctx, tfpath.Root("id"), &s)...)
	if diags.HasError() {
		return
	}
	id, err := parseID(s.ValueString())
	if err != nil {
		diags.AddError("Invalid id", err.Error())
		return
	}
	diags.Append(ident.Set(ctx, identityModel{ID: types.Int64Value(id)})...)
}

// readIdentity sets the identity a Read answers: the id of the new state
// or, when the entry is gone from the box (the state removed), of the
// prior one. The framework wants an identity after every read without
// error, a removal included, and a CLI before 1.12 sends none to keep.
func readIdentity(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	if resp.State.Raw.IsNull() {
		identityFromState(ctx, &req.State, resp.Identity, &resp.Diagnostics)
		return
	}
	identityFromState(ctx, &resp.State, resp.Identity, &resp.Diagnostics)
}

// identityValue is the identity of the entry id on the protocol, as the
// framework encodes it.
func identityValue(id int64) (*tfprotov6.ResourceIdentityData, error) {
	v := tftypes.NewValue(identityType, map[string]tftypes.Value{
		"id": tftypes.NewValue(tftypes.Number, new(big.Float).SetInt64(id)),
	})
	dv, err := tfprotov6.NewDynamicValue(identityType, v)
	if err != nil {
		return nil, err
	}
	return &tfprotov6.ResourceIdentityData{IdentityData: &dv}, nil
}

// nullIdentity is the identity the framework plans for an instance whose
// client sent none (a CLI without identities).
func nullIdentity() (*tfprotov6.ResourceIdentityData, error) {
	dv, err := tfprotov6.NewDynamicValue(identityType, tftypes.NewValue(identityType, nil))
	if err != nil {
		return nil, err
	}
	return &tfprotov6.ResourceIdentityData{IdentityData: &dv}, nil
}

// identityID reads the id of an identity on the protocol: ok false when
// it is absent, null or not one.
func identityID(d *tfprotov6.ResourceIdentityData) (id int64, ok bool) {
	if d == nil || d.IdentityData == nil {
		return 0, false
	}
	v, err := d.IdentityData.Unmarshal(identityType)
	if err != nil || v.IsNull() || !v.IsFullyKnown() {
		return 0, false
	}
	var m map[string]tftypes.Value
	if v.As(&m) != nil || m["id"].IsNull() {
		return 0, false
	}
	var f big.Float
	if m["id"].As(&f) != nil || !f.IsInt() {
		return 0, false
	}
	n, acc := f.Int64()
	return n, acc == big.Exact
}

// identityIsNull says whether an identity on the protocol is absent or
// null (every attribute null, as the framework says IsFullyNull).
func identityIsNull(d *tfprotov6.ResourceIdentityData) bool {
	if d == nil || d.IdentityData == nil {
		return true
	}
	v, err := d.IdentityData.Unmarshal(identityType)
	if err != nil {
		return false
	}
	return v.IsFullyNull()
}
