package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	_ list.ListResource              = (*userList)(nil)
	_ list.ListResourceWithConfigure = (*userList)(nil)
)

// NewUserList returns the truenas_user list resource.
func NewUserList() list.ListResource { return &userList{listBase{newResource: NewUserResource}} }

type userList struct{ listBase }

type userListModel struct {
	Username types.String `tfsdk:"username"`
	Builtin  types.Bool   `tfsdk:"builtin"`
}

func (l *userList) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_user"
}

func (l *userList) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the local users of the box (Terraform 1.14+ `terraform query`), each with its identity " +
			"and, with `include_resource`, as an import of it reads.",
		Attributes: map[string]schema.Attribute{
			"username": nameFilter("user"),
			"builtin":  builtinFilter("users"),
		},
	}
}

func (l *userList) List(ctx context.Context, req list.ListRequest, resp *list.ListResultsStream) {
	var f userListModel
	if diags := req.Config.Get(ctx, &f); diags.HasError() {
		resp.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	if l.c == nil {
		resp.Results = list.ListResultsStreamDiagnostics(notConfigured())
		return
	}
	us, err := l.c.Users(ctx)
	var entries []listEntry
	for _, u := range us {
		if u.Local && matchesString(f.Username, u.Username) && matchesBool(f.Builtin, u.Builtin) {
			entries = append(entries, listEntry{u.ID, u.Username})
		}
	}
	l.stream(ctx, req, resp, entries, err, "users")
}
