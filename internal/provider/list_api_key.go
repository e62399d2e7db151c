package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

type apiKeyListModel struct {
	Name     types.String `tfsdk:"name"`
	Username types.String `tfsdk:"username"`
}

// NewAPIKeyList returns the truenas_api_key list resource.
func NewAPIKeyList() list.ListResource {
	return &listResource[apiKeyListModel]{
		typeName: "_api_key", what: "API keys", newResource: NewAPIKeyResource,
		schema: schema.Schema{
			MarkdownDescription: listDescription("API keys") + " Metadata only: a listed key's `key` is null " +
				"(TrueNAS never shows a key again).",
			Attributes: map[string]schema.Attribute{
				"name": nameFilter("key"),
				"username": schema.StringAttribute{Optional: true,
					MarkdownDescription: "Only the keys of this user."},
			},
		},
		entries: func(ctx context.Context, c *client, f apiKeyListModel) ([]listEntry, error) {
			ks, err := c.APIKeys(ctx)
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
			return entries, err
		},
	}
}
