package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// NewPrivilegesDataSource returns the truenas_privileges data source.
func NewPrivilegesDataSource() datasource.DataSource { return &privilegesDataSource{} }

type privilegesDataSource struct{ c *client }

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

func (d *privilegesDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, _ *datasource.ConfigureResponse) {
	if c, ok := req.ProviderData.(*client); ok {
		d.c = c
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
	if d.c == nil {
		resp.Diagnostics.AddError("Provider not configured", "The truenas provider was not configured.")
		return
	}
	ps, err := d.c.Privileges(ctx)
	if err != nil {
		addEngineErrors(&resp.Diagnostics, "Cannot read privileges", err, nil)
		return
	}
	vals := []attr.Value{}
	for i := range ps {
		p := &ps[i]
		if known(m.Builtin) && m.Builtin.ValueBool() != (p.BuiltinName != nil && *p.BuiltinName != "") {
			continue
		}
		obj, diags := privilegeObject(p)
		resp.Diagnostics.Append(diags...)
		vals = append(vals, obj)
	}
	l, diags := types.ListValue(privilegeObjectType, vals)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	m.Privileges = l
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
