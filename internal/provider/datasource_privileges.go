package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// NewPrivilegesDataSource returns the truenas_privileges data source.
func NewPrivilegesDataSource() datasource.DataSource { return &privilegesDataSource{} }

type privilegesDataSource struct{ dataSourceClient }

func (d *privilegesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_privileges"
}

func (d *privilegesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "All TrueNAS privileges (built-in ones included), optionally only the built-in or only the other ones. TrueNAS SCALE 25.04 and later only: refused on TrueNAS CORE 13.3, which has no privileges, with an error naming the release.",
		Attributes: map[string]schema.Attribute{
			"builtin": schema.BoolAttribute{Optional: true,
				MarkdownDescription: "`true`: only the built-in privileges; `false`: only the others. Unset: all."},
			"privileges": schema.ListNestedAttribute{Computed: true, MarkdownDescription: "The privileges, in the box's order (by id).",
				NestedObject: schema.NestedAttributeObject{Attributes: privilegeDataAttrs()}},
		},
	}
}

type privilegesDataModel struct {
	Builtin    types.Bool `tfsdk:"builtin"`
	Privileges types.List `tfsdk:"privileges"`
}

func (d *privilegesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m privilegesDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	l, ok := entryList(ctx, d.c, &resp.Diagnostics, "privileges", d.c.Privileges,
		func(p *privilegeWire) bool {
			return !known(m.Builtin) || m.Builtin.ValueBool() == (p.BuiltinName != nil && *p.BuiltinName != "")
		}, privilegeObjectType, privilegeObject)
	if !ok {
		return
	}
	m.Privileges = l
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
