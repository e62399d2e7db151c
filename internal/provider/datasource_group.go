package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// NewGroupDataSource returns the truenas_group data source.
func NewGroupDataSource() datasource.DataSource { return &groupDataSource{} }

type groupDataSource struct{ dataSourceClient }

func (d *groupDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_group"
}

func (d *groupDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := groupDataAttrs()
	attrs["id"] = schema.StringAttribute{Optional: true, Computed: true, MarkdownDescription: "Look the group up by database id."}
	attrs["gid"] = schema.Int64Attribute{Optional: true, Computed: true, MarkdownDescription: "Look the group up by gid."}
	attrs["name"] = schema.StringAttribute{Optional: true, Computed: true, MarkdownDescription: "Look the group up by name."}
	resp.Schema = schema.Schema{
		MarkdownDescription: "One TrueNAS group, built-in ones included (e.g. `builtin_administrators`), found by exactly one of `name`, `gid` or `id`. Its `id` is what `truenas_user.group` and `groups` take. Releases: every attribute exists on TrueNAS SCALE (25.04 and later) and on TrueNAS CORE 13.3 unless its description names the releases that have it.",
		Attributes:          attrs,
	}
}

func (d *groupDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var id, name types.String
	var gid types.Int64
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, pathRoot("id"), &id)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, pathRoot("gid"), &gid)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, pathRoot("name"), &name)...)
	if resp.Diagnostics.HasError() {
		return
	}
	n := 0
	for _, v := range []attr.Value{id, gid, name} {
		if !v.IsNull() {
			n++
		}
	}
	if n != 1 {
		resp.Diagnostics.AddError("Invalid truenas_group lookup", "Set exactly one of name, gid or id.")
		return
	}
	obj, ok := oneEntry(ctx, d.c, &resp.Diagnostics, "groups", d.c.Groups,
		func(g *account.GroupEntry) bool {
			return (!id.IsNull() && id.ValueString() == fmt.Sprint(g.ID)) ||
				(!gid.IsNull() && gid.ValueInt64() == g.GID) ||
				(!name.IsNull() && name.ValueString() == g.Name)
		}, [2]string{"Group not found", "No group on the box matches the given name, gid or id."}, groupObject)
	if ok {
		resp.Diagnostics.Append(resp.State.Set(ctx, obj)...)
	}
}
