package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// NewGroupsDataSource returns the truenas_groups data source.
func NewGroupsDataSource() datasource.DataSource { return &groupsDataSource{} }

type groupsDataSource struct{ dataSourceClient }

func (d *groupsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_groups"
}

func (d *groupsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "All TrueNAS groups (built-in ones included), optionally filtered. Releases: every attribute exists on TrueNAS SCALE (25.04 and later) and on TrueNAS CORE 13.3 unless its description names the releases that have it.",
		Attributes: map[string]schema.Attribute{
			"builtin": schema.BoolAttribute{Optional: true, MarkdownDescription: "Only groups whose `builtin` equals this."},
			"local":   schema.BoolAttribute{Optional: true, MarkdownDescription: "Only groups whose `local` equals this."},
			"groups": schema.ListNestedAttribute{Computed: true, MarkdownDescription: "The groups, in the box's order.",
				NestedObject: schema.NestedAttributeObject{Attributes: groupDataAttrs()}},
		},
	}
}

type groupsDataModel struct {
	Builtin types.Bool `tfsdk:"builtin"`
	Local   types.Bool `tfsdk:"local"`
	Groups  types.List `tfsdk:"groups"`
}

func (d *groupsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m groupsDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	l, ok := entryList(ctx, d.c, &resp.Diagnostics, "groups", d.c.Groups,
		func(g *account.GroupEntry) bool {
			return (!known(m.Builtin) || m.Builtin.ValueBool() == g.Builtin) && (!known(m.Local) || m.Local.ValueBool() == g.Local)
		}, groupObjectType, groupObject)
	if !ok {
		return
	}
	m.Groups = l
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
