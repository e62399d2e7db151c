package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

func pathRoot(name string) path.Path { return path.Root(name) }

// NewUsersDataSource returns the truenas_users data source.
func NewUsersDataSource() datasource.DataSource { return &usersDataSource{} }

type usersDataSource struct{ dataSourceClient }

func (d *usersDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_users"
}

func (d *usersDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "All TrueNAS users (built-in ones included), optionally filtered. Releases: every attribute exists on TrueNAS SCALE (25.04 and later) and on TrueNAS CORE 13.3 unless its description names the releases that have it.",
		Attributes: map[string]schema.Attribute{
			"builtin": schema.BoolAttribute{Optional: true, MarkdownDescription: "Only users whose `builtin` equals this."},
			"local":   schema.BoolAttribute{Optional: true, MarkdownDescription: "Only users whose `local` equals this."},
			"users": schema.ListNestedAttribute{Computed: true, MarkdownDescription: "The users, in the box's order.",
				NestedObject: schema.NestedAttributeObject{Attributes: userDataAttrs()}},
		},
	}
}

type usersDataModel struct {
	Builtin types.Bool `tfsdk:"builtin"`
	Local   types.Bool `tfsdk:"local"`
	Users   types.List `tfsdk:"users"`
}

func (d *usersDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m usersDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	l, ok := entryList(ctx, d.c, &resp.Diagnostics, "users", d.c.Users,
		func(u *account.UserEntry) bool {
			return (!known(m.Builtin) || m.Builtin.ValueBool() == u.Builtin) && (!known(m.Local) || m.Local.ValueBool() == u.Local)
		}, userObjectType, userObject)
	if !ok {
		return
	}
	m.Users = l
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
