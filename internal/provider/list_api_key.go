package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	_ list.ListResource              = (*apiKeyList)(nil)
	_ list.ListResourceWithConfigure = (*apiKeyList)(nil)
)

// NewAPIKeyList returns the truenas_api_key list resource.
func NewAPIKeyList() list.ListResource { return &apiKeyList{listBase{newResource: NewAPIKeyResource}} }

type apiKeyList struct{ listBase }

type apiKeyListModel struct {
	Name     types.String `tfsdk:"name"`
	Username types.String `tfsdk:"username"`
}

func (l *apiKeyList) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_api_key"
}

func (l *apiKeyList) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the API keys of the box (Terraform 1.14+ `terraform query`), each with its identity " +
			"and, with `include_resource`, as an import of it reads: metadata only, a listed key's `key` is null " +
			"(TrueNAS never shows a key again).",
		Attributes: map[string]schema.Attribute{
			"name": nameFilter("key"),
			"username": schema.StringAttribute{Optional: true,
				MarkdownDescription: "Only the keys of this user."},
		},
	}
}

func (l *apiKeyList) List(ctx context.Context, req list.ListRequest, resp *list.ListResultsStream) {
	var f apiKeyListModel
	if diags := req.Config.Get(ctx, &f); diags.HasError() {
		resp.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	if l.c == nil {
		resp.Results = list.ListResultsStreamDiagnostics(notConfigured())
		return
	}
	ks, err := l.c.APIKeys(ctx)
	var entries []listEntry
	for _, k := range ks {
		owner := ""
		if k.Username != nil {
			owner = *k.Username
		}
		if matchesString(f.Name, k.Name) && matchesString(f.Username, owner) {
			entries = append(entries, listEntry{k.ID, k.Name})
		}
	}
	l.stream(ctx, req, resp, entries, err, "API keys")
}
