package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

type userListModel struct {
	Username types.String `tfsdk:"username"`
	Builtin  types.Bool   `tfsdk:"builtin"`
}

// NewUserList returns the truenas_user list resource.
func NewUserList() list.ListResource {
	return &listResource[userListModel]{
		typeName: "_user", what: "users", newResource: NewUserResource,
		schema: schema.Schema{
			MarkdownDescription: listDescription("local users"),
			Attributes: map[string]schema.Attribute{
				"username": nameFilter("user"),
				"builtin":  builtinFilter("users"),
			},
		},
		entries: func(ctx context.Context, c *client, f userListModel) ([]listEntry, error) {
			us, err := c.Users(ctx)
			var entries []listEntry
			for _, u := range us {
				if u.Local && matchesString(f.Username, u.Username) && matchesBool(f.Builtin, u.Builtin) {
					entries = append(entries, listEntry{u.ID, u.Username})
				}
			}
			return entries, err
		},
	}
}
