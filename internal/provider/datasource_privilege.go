package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// NewPrivilegeDataSource returns the truenas_privilege data source.
func NewPrivilegeDataSource() datasource.DataSource { return &privilegeDataSource{} }

type privilegeDataSource struct{ dataSourceClient }

// privilegeDataAttrs are the attributes of a privilege in data sources.
func privilegeDataAttrs() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"id":           schema.StringAttribute{Computed: true, MarkdownDescription: "Database id, as a string."},
		"name":         schema.StringAttribute{Computed: true, MarkdownDescription: "Name of the privilege."},
		"builtin_name": schema.StringAttribute{Computed: true, MarkdownDescription: "Fixed name of a built-in privilege (`LOCAL_ADMINISTRATOR`, `READONLY_ADMINISTRATOR`, `SHARING_ADMINISTRATOR`), or null."},
		"local_groups": schema.SetAttribute{ElementType: types.Int64Type, Computed: true, MarkdownDescription: "gids of the local groups that get the privilege (a gid whose group no longer exists included)."},
		"ds_groups":    schema.SetAttribute{ElementType: types.StringType, Computed: true, MarkdownDescription: "Directory-service groups that get the privilege: SIDs, or gids in decimal."},
		"roles":        schema.SetAttribute{ElementType: types.StringType, Computed: true, MarkdownDescription: "Roles the privilege grants."},
		"web_shell":    schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether members may use the web shell."},
	}
}

var privilegeObjectType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"id": types.StringType, "name": types.StringType, "builtin_name": types.StringType,
	"local_groups": types.SetType{ElemType: types.Int64Type}, "ds_groups": types.SetType{ElemType: types.StringType},
	"roles": types.SetType{ElemType: types.StringType}, "web_shell": types.BoolType,
}}

func privilegeAttrValues(e *privilegeWire) map[string]attr.Value {
	s := privilegeState(privilegeModel{DSGroups: types.SetNull(types.StringType)}, e)
	return map[string]attr.Value{
		"id": s.ID, "name": s.Name, "builtin_name": s.BuiltinName, "local_groups": s.LocalGroups,
		"ds_groups": s.DSGroups, "roles": s.Roles, "web_shell": s.WebShell,
	}
}

func privilegeObject(e *privilegeWire) (types.Object, diag.Diagnostics) {
	return types.ObjectValue(privilegeObjectType.AttrTypes, privilegeAttrValues(e))
}

func (d *privilegeDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_privilege"
}

func (d *privilegeDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := privilegeDataAttrs()
	attrs["name"] = schema.StringAttribute{Optional: true, Computed: true, MarkdownDescription: "Look the privilege up by name."}
	var names []string
	for _, b := range account.BuiltinPrivileges() {
		names = append(names, "`"+b.BuiltinName+"`")
	}
	attrs["builtin_name"] = schema.StringAttribute{Optional: true, Computed: true,
		MarkdownDescription: fmt.Sprintf("Look a built-in privilege up by its fixed name: one of %s. Null for the other privileges.", joinOr(names))}
	resp.Schema = schema.Schema{
		MarkdownDescription: "One TrueNAS privilege, built-in ones included, found by exactly one of `name` or `builtin_name`. TrueNAS SCALE 25.04 and later only: refused on TrueNAS CORE 13.3, which has no privileges, with an error naming the release. " +
			"`builtin_name` finds a built-in privilege even if it was renamed in an older release.",
		Attributes: attrs,
	}
}

// joinOr renders ["a","b","c"] as "a, b or c".
func joinOr(ss []string) string {
	switch len(ss) {
	case 0:
		return ""
	case 1:
		return ss[0]
	}
	out := ""
	for i, s := range ss[:len(ss)-1] {
		if i > 0 {
			out += ", "
		}
		out += s
	}
	return out + " or " + ss[len(ss)-1]
}

func (d *privilegeDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var name, builtin types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, pathRoot("name"), &name)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, pathRoot("builtin_name"), &builtin)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if name.IsNull() == builtin.IsNull() {
		resp.Diagnostics.AddError("Invalid truenas_privilege lookup", "Set exactly one of name or builtin_name.")
		return
	}
	obj, ok := oneEntry(ctx, d.c, &resp.Diagnostics, "privileges", d.c.Privileges,
		func(p *privilegeWire) bool {
			return (!name.IsNull() && name.ValueString() == p.Name) ||
				(!builtin.IsNull() && p.BuiltinName != nil && builtin.ValueString() == *p.BuiltinName)
		}, [2]string{"Privilege not found", "No privilege on the box matches the given name or builtin_name."}, privilegeObject)
	if ok {
		resp.Diagnostics.Append(resp.State.Set(ctx, obj)...)
	}
}
