package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// NewAPIKeysDataSource returns the truenas_api_keys data source.
func NewAPIKeysDataSource() datasource.DataSource { return &apiKeysDataSource{} }

type apiKeysDataSource struct{ dataSourceClient }

func (d *apiKeysDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_api_keys"
}

var apiKeyObjectType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"id": types.StringType, "name": types.StringType, "username": types.StringType, "local": types.BoolType,
	"revoked": types.BoolType, "created_at": types.StringType, "expires_at": types.StringType,
}}

func (d *apiKeysDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The API keys of the box (metadata only: a key's secret is never readable). Releases: every attribute exists on TrueNAS SCALE (25.04 and later) and on TrueNAS CORE 13.3 unless its description names the releases that have it.",
		Attributes: map[string]schema.Attribute{
			"username": schema.StringAttribute{Optional: true, MarkdownDescription: "Only the keys of this user."},
			"api_keys": schema.ListNestedAttribute{Computed: true, MarkdownDescription: "The keys.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"id":         schema.StringAttribute{Computed: true, MarkdownDescription: "Key id, as a string."},
					"name":       schema.StringAttribute{Computed: true, MarkdownDescription: "Key name."},
					"username":   schema.StringAttribute{Computed: true, MarkdownDescription: "Owner, or null when the user is gone."},
					"local":      schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the owner is local."},
					"revoked":    schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the key is revoked."},
					"created_at": schema.StringAttribute{Computed: true, MarkdownDescription: "Creation time (RFC 3339)."},
					"expires_at": schema.StringAttribute{Computed: true, MarkdownDescription: "Expiry (RFC 3339), or null."},
				}}},
		},
	}
}

type apiKeysDataModel struct {
	Username types.String `tfsdk:"username"`
	APIKeys  types.List   `tfsdk:"api_keys"`
}

func (d *apiKeysDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m apiKeysDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	l, ok := entryList(ctx, d.c, &resp.Diagnostics, "API keys", d.c.APIKeys,
		func(k *account.APIKeyEntry) bool {
			return !known(m.Username) || (k.Username != nil && *k.Username == m.Username.ValueString())
		}, apiKeyObjectType, apiKeyObject)
	if !ok {
		return
	}
	m.APIKeys = l
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// apiKeyObject is an API key's metadata as the data source lists it.
func apiKeyObject(k *account.APIKeyEntry) (types.Object, diag.Diagnostics) {
	exp := types.StringNull()
	if k.ExpiresAt != nil {
		exp = types.StringValue(rfc3339(k.ExpiresAt.Time))
	}
	return types.ObjectValue(apiKeyObjectType.AttrTypes, map[string]attr.Value{
		"id": types.StringValue(fmt.Sprint(k.ID)), "name": types.StringValue(k.Name), "username": strPtrValue(k.Username),
		"local": types.BoolValue(k.Local), "revoked": types.BoolValue(k.Revoked),
		"created_at": types.StringValue(rfc3339(k.CreatedAt.Time)), "expires_at": exp,
	})
}
