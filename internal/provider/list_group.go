package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	_ list.ListResource              = (*groupList)(nil)
	_ list.ListResourceWithConfigure = (*groupList)(nil)
)

// NewGroupList returns the truenas_group list resource.
func NewGroupList() list.ListResource { return &groupList{listBase{newResource: NewGroupResource}} }

type groupList struct{ listBase }

type groupListModel struct {
	Name    types.String `tfsdk:"name"`
	Builtin types.Bool   `tfsdk:"builtin"`
}

func (l *groupList) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_group"
}

func (l *groupList) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the local groups of the box (Terraform 1.14+ `terraform query`), each with its identity " +
			"and, with `include_resource`, as an import of it reads.",
		Attributes: map[string]schema.Attribute{
			"name":    nameFilter("group"),
			"builtin": builtinFilter("groups"),
		},
	}
}

func (l *groupList) List(ctx context.Context, req list.ListRequest, resp *list.ListResultsStream) {
	var f groupListModel
	if diags := req.Config.Get(ctx, &f); diags.HasError() {
		resp.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	if l.c == nil {
		resp.Results = list.ListResultsStreamDiagnostics(notConfigured())
		return
	}
	gs, err := l.c.Groups(ctx)
	var entries []listEntry
	for _, g := range gs {
		if g.Local && matchesString(f.Name, g.Name) && matchesBool(f.Builtin, g.Builtin) {
			entries = append(entries, listEntry{g.ID, g.Name})
		}
	}
	l.stream(ctx, req, resp, entries, err, "groups")
}
