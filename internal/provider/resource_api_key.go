package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	tfpath "github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nasops/terraform-provider-truenas/internal/account"
	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

var (
	_ resource.Resource                = (*apiKeyResource)(nil)
	_ resource.ResourceWithConfigure   = (*apiKeyResource)(nil)
	_ resource.ResourceWithImportState = (*apiKeyResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*apiKeyResource)(nil)
)

// NewAPIKeyResource returns the truenas_api_key resource.
func NewAPIKeyResource() resource.Resource { return &apiKeyResource{} }

type apiKeyResource struct{ providerClient }

type apiKeyModel struct {
	ID        types.String `tfsdk:"id"`
	Name      types.String `tfsdk:"name"`
	Username  types.String `tfsdk:"username"`
	ExpiresAt types.String `tfsdk:"expires_at"`
	Key       types.String `tfsdk:"key"`
	Keepers   types.Map    `tfsdk:"keepers"`
	Revoked   types.Bool   `tfsdk:"revoked"`
	CreatedAt types.String `tfsdk:"created_at"`
	Local     types.Bool   `tfsdk:"local"`
}

func (r *apiKeyResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_api_key"
}

func (r *apiKeyResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A TrueNAS API key (`api_key.*`): bound to a user on TrueNAS SCALE 25.04+, a name only on TrueNAS CORE 13.3 (no `username`, no `expires_at`, never revoked). " + "Releases: every attribute exists on TrueNAS SCALE (25.04 and later) and on TrueNAS CORE 13.3 unless its description names the releases that have it. The plaintext `key` is " +
			"returned by TrueNAS only on create and on reset, and is kept (sensitive) in state. Change `keepers` to " +
			"rotate the key in place (`api_key.update` with `reset`), which also clears a revocation.\n\n" +
			importDoc("truenas_api_key", "name", "ci") + " An imported key's " +
			"`key` is null (TrueNAS never shows it again); change `keepers` to get a new one.\n\n" +
			fmt.Sprintf("TrueNAS 25.10 allows at most %d keys per user (26.0 has no cap); names are unique across all users. ", account.MaxAPIKeysPerUser) +
			"Use keys only over TLS: TrueNAS revokes a key used over an insecure transport.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{Computed: true, MarkdownDescription: "The key's numeric id, as a string.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
			"name": schema.StringAttribute{Required: true,
				MarkdownDescription: "Key name, 1 to 200 characters, unique across all users. Renamed in place."},
			"username": schema.StringAttribute{Optional: true,
				MarkdownDescription: "User the key belongs to (needs a role through a privilege, e.g. membership of builtin_administrators). Changing it replaces the key. **Required on TrueNAS SCALE** (25.04 and later bind every key to a user); **refused on TrueNAS CORE 13.3**, whose keys belong to no user (they act as root): leave it unset there. Both are checked at plan time.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()}},
			"expires_at": schema.StringAttribute{Optional: true,
				MarkdownDescription: "Expiry as an RFC 3339 time (e.g. `2030-01-01T00:00:00Z`); must be in the future. Unset: no expiry. TrueNAS SCALE only: refused at plan time on CORE 13.3, whose keys never expire."},
			"key": schema.StringAttribute{Computed: true, Sensitive: true,
				MarkdownDescription: "The plaintext key `<id>-<64 characters>`, captured at create and at each reset. Null after an import."},
			"keepers": schema.MapAttribute{ElementType: types.StringType, Optional: true,
				MarkdownDescription: "Arbitrary values; any change resets (rotates) the key in place and stores the new one."},
			"revoked": schema.BoolAttribute{Computed: true,
				MarkdownDescription: "Whether TrueNAS revoked the key (expired, used insecurely, or its user is gone)."},
			"created_at": schema.StringAttribute{Computed: true, MarkdownDescription: "Creation time (RFC 3339, UTC).",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
			"local": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the key belongs to a local user.",
				PlanModifiers: []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()}},
		},
	}
}

func apiKeyPathMapper(field string) (tfpath.Path, bool, bool) {
	switch field {
	case "name", "username", "expires_at":
		return tfpath.Root(field), false, true
	}
	return tfpath.Empty(), false, false
}

// expiresAt parses expires_at into TrueNAS's {"$date": ms} form.
func expiresAt(v types.String) (any, error) {
	if v.IsNull() {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, v.ValueString())
	if err != nil {
		return nil, fmt.Errorf("expires_at must be an RFC 3339 time such as 2030-01-01T00:00:00Z: %v", err)
	}
	return account.Date{Time: t}, nil
}

func buildAPIKeyCreate(plan apiKeyModel) (*payload, error) {
	p := newPayload()
	p.str("name", plan.Name)
	p.str("username", plan.Username)
	if plan.ExpiresAt.IsUnknown() {
		p.unknown["expires_at"] = true
	} else if !plan.ExpiresAt.IsNull() {
		d, err := expiresAt(plan.ExpiresAt)
		if err != nil {
			return nil, err
		}
		p.m["expires_at"] = d
	}
	return p, nil
}

func sameInstant(a, b types.String) bool {
	if a.IsNull() || b.IsNull() || a.IsUnknown() || b.IsUnknown() {
		return a.Equal(b)
	}
	ta, e1 := time.Parse(time.RFC3339, a.ValueString())
	tb, e2 := time.Parse(time.RFC3339, b.ValueString())
	if e1 != nil || e2 != nil {
		return a.Equal(b)
	}
	return ta.Equal(tb)
}

func buildAPIKeyUpdate(plan, state apiKeyModel) (*payload, error) {
	p := newPayload()
	if !plan.Name.Equal(state.Name) {
		p.str("name", plan.Name)
	}
	if plan.ExpiresAt.IsUnknown() {
		p.unknown["expires_at"] = true
	} else if !sameInstant(plan.ExpiresAt, state.ExpiresAt) {
		d, err := expiresAt(plan.ExpiresAt)
		if err != nil {
			return nil, err
		}
		p.m["expires_at"] = d
	}
	if !plan.Keepers.Equal(state.Keepers) {
		p.m["reset"] = true
	}
	return p, nil
}

// checkAPIKeyPayloadFor judges p by CORE 13.3's api_key schemas when core
// (a name; username and expires_at are refused before, by
// apiKeyFitsRelease), else by SCALE's.
func checkAPIKeyPayloadFor(core bool, p *payload, create bool) account.Errors {
	if !core {
		return checkAPIKeyPayload(p, create)
	}
	prefix, decode := "api_key_create", account.DecodeCoreAPIKeyCreate
	if !create {
		prefix, decode = "api_key_update", account.DecodeCoreAPIKeyUpdate
	}
	raw, err := json.Marshal(p.m)
	if err != nil {
		return account.Errors{{Message: err.Error(), Errno: account.EINVAL}}
	}
	_, err = decode(raw)
	return p.filter(coreDecodeErrors(prefix, err))
}

func checkAPIKeyPayload(p *payload, create bool) account.Errors {
	return checkPayload(p, create, account.DecodeAPIKeyCreate, account.DecodeAPIKeyUpdate, func(kp *account.APIKeyPayload) account.Errors {
		return account.StaticAPIKeyChecks(kp, time.Now())
	})
}

func (r *apiKeyResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var plan apiKeyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// A box not reachable yet: a key without a user is SCALE's error at
	// apply, CORE's refusals are coreCall's.
	rel, relKnown := r.c.releaseAtPlan(ctx)
	if relKnown && !apiKeyFitsRelease(plan, rel, &resp.Diagnostics) {
		return
	}
	core := relKnown && coreRelease(rel)
	if req.State.Raw.IsNull() {
		p, err := buildAPIKeyCreate(plan)
		if err != nil {
			resp.Diagnostics.AddAttributeError(tfpath.Root("expires_at"), "Invalid API key", err.Error())
			return
		}
		addValidationErrors(&resp.Diagnostics, "Invalid API key", checkAPIKeyPayloadFor(core, p, true), apiKeyPathMapper)
		return
	}
	var state apiKeyModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	p, err := buildAPIKeyUpdate(plan, state)
	if err != nil {
		resp.Diagnostics.AddAttributeError(tfpath.Root("expires_at"), "Invalid API key", err.Error())
		return
	}
	if sameInstant(plan.ExpiresAt, state.ExpiresAt) && !plan.ExpiresAt.Equal(state.ExpiresAt) {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, tfpath.Root("expires_at"), state.ExpiresAt)...)
	}
	if len(p.m) > 0 {
		addValidationErrors(&resp.Diagnostics, "Invalid API key", checkAPIKeyPayloadFor(core, p, false), apiKeyPathMapper)
	}
	_, reset := p.m["reset"]
	if !reset && known(state.Revoked) && state.Revoked.ValueBool() {
		resp.Diagnostics.AddAttributeWarning(tfpath.Root("keepers"), "API key is revoked",
			fmt.Sprintf("TrueNAS reports API key %q as revoked (expired, used over an insecure transport, or its user is gone). "+
				"Change `keepers` to reset it and get a new key (with a future `expires_at` if it expired).", state.Name.ValueString()))
	}
	if reset {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, tfpath.Root("key"), types.StringUnknown())...)
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, tfpath.Root("revoked"), types.BoolUnknown())...)
	} else {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, tfpath.Root("key"), state.Key)...)
		if _, ok := p.m["expires_at"]; !ok {
			resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, tfpath.Root("revoked"), state.Revoked)...)
		}
	}
}

func apiKeyState(prior apiKeyModel, e *account.APIKeyEntry) apiKeyModel {
	s := prior
	s.ID = types.StringValue(fmt.Sprint(e.ID))
	s.Name = types.StringValue(e.Name)
	if e.Username != nil {
		s.Username = types.StringValue(*e.Username)
	} else if !known(prior.Username) {
		s.Username = types.StringNull()
	}
	if e.ExpiresAt == nil {
		s.ExpiresAt = types.StringNull()
	} else if v := types.StringValue(rfc3339(e.ExpiresAt.Time)); !sameInstant(prior.ExpiresAt, v) {
		s.ExpiresAt = v
	}
	if prior.Key.IsUnknown() {
		s.Key = types.StringNull()
	}
	s.Revoked = types.BoolValue(e.Revoked)
	s.CreatedAt = types.StringValue(rfc3339(e.CreatedAt.Time))
	s.Local = types.BoolValue(e.Local)
	return s
}

// kind is what the shared CRUD steps (crud.go) know of API keys.
func (r *apiKeyResource) kind() entryKind[apiKeyModel] {
	return entryKind[apiKeyModel]{c: r.c, noun: "API key", api: "api_key",
		id:    func(m apiKeyModel) types.String { return m.ID },
		read:  readEntry(r.c.apiKeyByID, apiKeyState),
		names: namesOf(r.c.APIKeys, func(k account.APIKeyEntry) (string, int64) { return k.Name, k.ID }),
	}
}

func (r *apiKeyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.kind().create(ctx, req, resp, func(ctx context.Context, plan *apiKeyModel, diags *diag.Diagnostics) (int64, *apiKeyModel) {
		p, err := buildAPIKeyCreate(*plan)
		if err != nil {
			diags.AddAttributeError(tfpath.Root("expires_at"), "Invalid API key", err.Error())
			return 0, nil
		}
		raw, err := r.c.write(ctx, "api_key.create", p.m)
		if err != nil {
			addEngineErrors(diags, "Cannot create API key", err, apiKeyPathMapper)
			return 0, nil
		}
		var res account.APIKeyWithKey
		if err := json.Unmarshal(raw, &res); err != nil || res.ID == 0 {
			diags.AddError("Cannot create API key", "api_key.create returned an unexpected result.")
			return 0, nil
		}
		plan.Key = types.StringValue(res.Key)
		return res.ID, nil
	})
}

func (r *apiKeyResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	r.kind().refresh(ctx, req, resp)
}

func (r *apiKeyResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	r.kind().update(ctx, req, resp, func(ctx context.Context, plan *apiKeyModel, state apiKeyModel, id int64, diags *diag.Diagnostics) *apiKeyModel {
		p, err := buildAPIKeyUpdate(*plan, state)
		if err != nil {
			diags.AddAttributeError(tfpath.Root("expires_at"), "Invalid API key", err.Error())
			return nil
		}
		plan.Key = state.Key
		if len(p.m) == 0 {
			return nil
		}
		raw, err := r.c.write(ctx, "api_key.update", id, p.m)
		if err != nil {
			addEngineErrors(diags, "Cannot update API key", err, apiKeyPathMapper)
			return nil
		}
		if _, reset := p.m["reset"]; reset {
			var res account.APIKeyWithKey
			if err := json.Unmarshal(raw, &res); err != nil || res.Key == "" {
				diags.AddError("Cannot reset API key", "api_key.update with reset returned no key.")
				return nil
			}
			plan.Key = types.StringValue(res.Key)
		}
		return nil
	})
}

func (r *apiKeyResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	r.kind().remove(ctx, req, resp, func(ctx context.Context, _ apiKeyModel, id int64, diags *diag.Diagnostics) {
		r.kind().deleteCall(ctx, id, diags)
	})
}

func (r *apiKeyResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	r.kind().importState(ctx, req, resp)
}

// apiKeyFitsRelease checks username and expires_at against the box's
// release: SCALE binds every key to a user; CORE 13.3's keys have neither
// a user nor an expiry.
func apiKeyFitsRelease(plan apiKeyModel, rel wire.Release, diags *diag.Diagnostics) bool {
	if !coreRelease(rel) {
		if plan.Username.IsNull() {
			diags.AddAttributeError(tfpath.Root("username"), "Invalid API key", fmt.Sprintf(
				"The box runs TrueNAS %s (system.version %q), whose API keys belong to a user: set `username`.", rel.String(), rel.Raw))
			return false
		}
		return true
	}
	ok := true
	for _, a := range []struct {
		name string
		v    types.String
	}{{"username", plan.Username}, {"expires_at", plan.ExpiresAt}} {
		if !a.v.IsNull() {
			diags.AddAttributeError(tfpath.Root(a.name), "Invalid API key", coreRefusedMsg(rel,
				"`"+a.name+"` is set, but API keys there are bound to no user and never expire (SCALE 25.04 and later have both); remove it for this box"))
			ok = false
		}
	}
	return ok
}
