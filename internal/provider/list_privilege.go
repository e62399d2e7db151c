package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

type privilegeListModel struct {
	Name    types.String `tfsdk:"name"`
	Builtin types.Bool   `tfsdk:"builtin"`
}

// NewPrivilegeList returns the truenas_privilege list resource.
func NewPrivilegeList() list.ListResource {
	return &listResource[privilegeListModel]{
		typeName: "_privilege", what: "privileges", newResource: NewPrivilegeResource,
		schema: schema.Schema{
			MarkdownDescription: listDescription("privileges"),
			Attributes: map[string]schema.Attribute{
				"name":    nameFilter("privilege"),
				"builtin": builtinFilter("privileges"),
			},
		},
		entries: func(ctx context.Context, c *client, f privilegeListModel) ([]listEntry, error) {
			ps, err := c.Privileges(ctx)
			var entries []listEntry
			for _, p := range ps {
				if matchesString(f.Name, p.Name) && matchesBool(f.Builtin, p.BuiltinName != nil) {
					entries = append(entries, listEntry{p.ID, p.Name})
				}
			}
			return entries, err
		},
	}
}
