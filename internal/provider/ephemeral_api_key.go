package provider

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	tfpath "github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

var (
	_ ephemeral.EphemeralResource                   = (*ephemeralAPIKey)(nil)
	_ ephemeral.EphemeralResourceWithConfigure      = (*ephemeralAPIKey)(nil)
	_ ephemeral.EphemeralResourceWithClose          = (*ephemeralAPIKey)(nil)
	_ ephemeral.EphemeralResourceWithValidateConfig = (*ephemeralAPIKey)(nil)
)

// Defaults and limits of the ephemeral truenas_api_key.
const (
	defaultEphemeralKeyExpiry = time.Hour
	defaultEphemeralKeyName   = "terraform-ephemeral"
	// ephemeralSuffixLen is the length of the random suffix each open adds
	// to the name ("-" and 8 hex digits), so that the keys of the plan's
	// open and the apply's, or of two runs at once, do not collide.
	ephemeralSuffixLen = 9
	// maxAPIKeyName is TrueNAS's limit on a key name.
	maxAPIKeyName = 200
	// privateKeyID is the private-data key that carries the key's id from
	// Open to Close.
	privateKeyID = "api_key_id"
)

// NewEphemeralAPIKey returns the ephemeral truenas_api_key.
func NewEphemeralAPIKey() ephemeral.EphemeralResource { return &ephemeralAPIKey{} }

type ephemeralAPIKey struct{ c *client }

type ephemeralAPIKeyModel struct {
	Username  types.String `tfsdk:"username"`
	Name      types.String `tfsdk:"name"`
	ExpiresIn types.String `tfsdk:"expires_in"`
	ID        types.String `tfsdk:"id"`
	KeyName   types.String `tfsdk:"key_name"`
	Key       types.String `tfsdk:"key"`
	ExpiresAt types.String `tfsdk:"expires_at"`
}

func (e *ephemeralAPIKey) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_api_key"
}

func (e *ephemeralAPIKey) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A TrueNAS API key that lives only for one Terraform run (Terraform 1.10+, OpenTofu 1.11+): " +
			"created on the box (`api_key.create`) when Terraform opens the ephemeral resource and deleted " +
			"(`api_key.delete`) when it closes it. The key is never written to the state or to a saved plan; use it to " +
			"configure another provider (such as the official TrueNAS provider's `api_key`), a provisioner or a script " +
			"for the length of the run.\n\n" +
			"Terraform and OpenTofu open an ephemeral resource at plan and again at apply: each open creates its own " +
			"key, named `name` with a random suffix (`key_name`) so that the two never collide, and each close deletes it. When a " +
			"step fails the CLI skips the close, and the key stays on the box until it expires: `expires_in` (default " +
			"one hour) is what cleans it up then. The user needs a role through a privilege, as for `truenas_api_key`.\n\n" +
			"TrueNAS SCALE 25.04 and later only: refused on TrueNAS CORE 13.3 (naming the release), whose keys belong to no " +
			"user and never expire, so a key left by a failed run would live for ever.",
		Attributes: map[string]schema.Attribute{
			"username": schema.StringAttribute{Required: true,
				MarkdownDescription: "User the key belongs to (needs a role through a privilege, e.g. membership of builtin_administrators). TrueNAS SCALE 25.04 and later.",
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)}},
			"name": schema.StringAttribute{Optional: true,
				MarkdownDescription: fmt.Sprintf("Start of the key's name; each open adds `-` and 8 random hex digits. At most %d "+
					"characters. Default: `%s`.", maxAPIKeyName-ephemeralSuffixLen, defaultEphemeralKeyName),
				Validators: []validator.String{stringvalidator.LengthBetween(1, maxAPIKeyName-ephemeralSuffixLen)}},
			"expires_in": schema.StringAttribute{Optional: true,
				MarkdownDescription: "How long the key is valid from the moment it is created, as a Go duration (`\"30m\"`, " +
					"`\"2h\"`). The key is deleted at the end of the run; the expiry cleans up after a run that failed before " +
					"that. Default: `\"1h\"`."},
			"id": schema.StringAttribute{Computed: true, MarkdownDescription: "The key's numeric id, as a string."},
			"key_name": schema.StringAttribute{Computed: true,
				MarkdownDescription: "The key's name on the box: `name` (or its default), `-` and the open's 8 random hex digits."},
			"key": schema.StringAttribute{Computed: true, Sensitive: true,
				MarkdownDescription: "The plaintext key `<id>-<64 characters>`."},
			"expires_at": schema.StringAttribute{Computed: true, MarkdownDescription: "When the key expires (RFC 3339, UTC)."},
		},
	}
}

func (e *ephemeralAPIKey) Configure(_ context.Context, req ephemeral.ConfigureRequest, _ *ephemeral.ConfigureResponse) {
	if c, ok := req.ProviderData.(*client); ok {
		e.c = c
	}
}

// expiresIn parses expires_in: null gives the default.
func expiresIn(v types.String) (time.Duration, error) {
	if v.IsNull() {
		return defaultEphemeralKeyExpiry, nil
	}
	d, err := time.ParseDuration(v.ValueString())
	if err != nil {
		return 0, fmt.Errorf("expires_in must be a duration such as \"30m\" or \"2h\": %q is not one", v.ValueString())
	}
	if d < time.Minute {
		return 0, fmt.Errorf("expires_in must be at least one minute, not %s", d)
	}
	return d, nil
}

func (e *ephemeralAPIKey) ValidateConfig(ctx context.Context, req ephemeral.ValidateConfigRequest, resp *ephemeral.ValidateConfigResponse) {
	var m ephemeralAPIKeyModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || m.ExpiresIn.IsUnknown() {
		return
	}
	if _, err := expiresIn(m.ExpiresIn); err != nil {
		resp.Diagnostics.AddAttributeError(tfpath.Root("expires_in"), "Invalid expires_in", err.Error())
	}
}

// ephemeralName is the name of one open's key: the configured start (or
// the default) and a random suffix.
func ephemeralName(v types.String) (string, error) {
	base := defaultEphemeralKeyName
	if !v.IsNull() {
		base = v.ValueString()
	}
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base + "-" + hex.EncodeToString(b[:]), nil
}

func (e *ephemeralAPIKey) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var m ephemeralAPIKeyModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if e.c == nil {
		resp.Diagnostics.AddError("Provider not configured", "The truenas provider was not configured.")
		return
	}
	if len(e.c.unknown) > 0 && req.ClientCapabilities.DeferralAllowed {
		resp.Deferred = &ephemeral.Deferred{Reason: ephemeral.DeferredReasonProviderConfigUnknown}
		return
	}
	d, err := expiresIn(m.ExpiresIn)
	if err != nil {
		resp.Diagnostics.AddAttributeError(tfpath.Root("expires_in"), "Invalid expires_in", err.Error())
		return
	}
	name, err := ephemeralName(m.Name)
	if err != nil {
		resp.Diagnostics.AddError("Cannot create API key", "No random name suffix: "+err.Error())
		return
	}
	// Whole seconds: TrueNAS keeps the expiry to the second.
	expiry := time.Now().Add(d).UTC().Truncate(time.Second)
	p := newPayload()
	p.m["name"] = name
	p.m["username"] = m.Username.ValueString()
	p.m["expires_at"] = account.Date{Time: expiry}
	if es := checkAPIKeyPayload(p, true); len(es) > 0 {
		addValidationErrors(&resp.Diagnostics, "Invalid API key", es, apiKeyPathMapper)
		return
	}
	raw, err := e.c.write(ctx, "api_key.create", p.m)
	if err != nil {
		addEngineErrors(&resp.Diagnostics, "Cannot create API key", err, apiKeyPathMapper)
		return
	}
	var res account.APIKeyWithKey
	if err := json.Unmarshal(raw, &res); err != nil || res.ID == 0 || res.Key == "" {
		resp.Diagnostics.AddError("Cannot create API key", "api_key.create returned an unexpected result.")
		return
	}
	// Close needs the id: it gets nothing else.
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateKeyID, []byte(strconv.FormatInt(res.ID, 10)))...)
	m.ID = types.StringValue(strconv.FormatInt(res.ID, 10))
	m.KeyName = types.StringValue(res.Name)
	m.Key = types.StringValue(res.Key)
	m.ExpiresAt = types.StringValue(rfc3339(expiry))
	if res.ExpiresAt != nil {
		m.ExpiresAt = types.StringValue(rfc3339(res.ExpiresAt.Time))
	}
	resp.Diagnostics.Append(resp.Result.Set(ctx, &m)...)
}

func (e *ephemeralAPIKey) Close(ctx context.Context, req ephemeral.CloseRequest, resp *ephemeral.CloseResponse) {
	raw, diags := req.Private.GetKey(ctx, privateKeyID)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() || raw == nil {
		return
	}
	id, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil || id < 1 {
		resp.Diagnostics.AddError("Cannot delete API key", fmt.Sprintf("The key's id %q is not a number.", raw))
		return
	}
	if e.c == nil {
		resp.Diagnostics.AddError("Cannot delete API key", fmt.Sprintf("The provider was not configured; API key %d stays on the box until it expires.", id))
		return
	}
	if _, err := e.c.write(ctx, "api_key.delete", id); err != nil && !isNotFound(err) {
		addEngineErrors(&resp.Diagnostics, fmt.Sprintf("Cannot delete API key %d (it stays on the box until it expires)", id), err, nil)
	}
}
