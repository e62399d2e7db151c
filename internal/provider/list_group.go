package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

type groupListModel struct {
	Name    types.String `tfsdk:"name"`
	Builtin types.Bool   `tfsdk:"builtin"`
}

// NewGroupList returns the truenas_group list resource.
func NewGroupList() list.ListResource {
	return &listResource[groupListModel]{
		typeName: "_group", what: "groups", newResource: NewGroupResource,
		schema: schema.Schema{
			MarkdownDescription: listDescription("local groups"),
			Attributes: map[string]schema.Attribute{
				"name":    nameFilter("group"),
				"builtin": builtinFilter("groups"),
			},
		},
		entries: func(ctx context.Context, c *client, f groupListModel) ([]listEntry, error) {
			gs, err := c.Groups(ctx)
			var entries []listEntry
			for _, g := range gs {
				if g.Local && matchesString(f.Name, g.Name) && matchesBool(f.Builtin, g.Builtin) {
					entries = append(entries, listEntry{g.ID, g.Name})
				}
			}
			return entries, err
		},
	}
}
