package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// NewUserDataSource returns the truenas_user data source.
func NewUserDataSource() datasource.DataSource { return &userDataSource{} }

type userDataSource struct{ dataSourceClient }

func (d *userDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_user"
}

func (d *userDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := userDataAttrs()
	attrs["id"] = schema.StringAttribute{Optional: true, Computed: true, MarkdownDescription: "Look the user up by database id."}
	attrs["uid"] = schema.Int64Attribute{Optional: true, Computed: true, MarkdownDescription: "Look the user up by uid."}
	attrs["username"] = schema.StringAttribute{Optional: true, Computed: true, MarkdownDescription: "Look the user up by name."}
	resp.Schema = schema.Schema{
		MarkdownDescription: "One TrueNAS user, built-in ones included (e.g. `root`), found by exactly one of `username`, `uid` or `id`. Releases: every attribute exists on TrueNAS SCALE (25.04 and later) and on TrueNAS CORE 13.3 unless its description names the releases that have it.",
		Attributes:          attrs,
	}
}

func (d *userDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var cfg struct {
		ID       types.String `tfsdk:"id"`
		UID      types.Int64  `tfsdk:"uid"`
		Username types.String `tfsdk:"username"`
	}
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, pathRoot("id"), &cfg.ID)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, pathRoot("uid"), &cfg.UID)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, pathRoot("username"), &cfg.Username)...)
	if resp.Diagnostics.HasError() {
		return
	}
	n := 0
	for _, v := range []attr.Value{cfg.ID, cfg.UID, cfg.Username} {
		if !v.IsNull() {
			n++
		}
	}
	if n != 1 {
		resp.Diagnostics.AddError("Invalid truenas_user lookup", "Set exactly one of username, uid or id.")
		return
	}
	obj, ok := oneEntry(ctx, d.c, &resp.Diagnostics, "users", d.c.Users,
		func(u *account.UserEntry) bool {
			return (!cfg.ID.IsNull() && cfg.ID.ValueString() == fmt.Sprint(u.ID)) ||
				(!cfg.UID.IsNull() && cfg.UID.ValueInt64() == u.UID) ||
				(!cfg.Username.IsNull() && cfg.Username.ValueString() == u.Username)
		}, [2]string{"User not found", "No user on the box matches the given username, uid or id."}, userObject)
	if ok {
		resp.Diagnostics.Append(resp.State.Set(ctx, basetypes.ObjectValue(obj))...)
	}
}
