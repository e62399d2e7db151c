package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	_ list.ListResource              = (*privilegeList)(nil)
	_ list.ListResourceWithConfigure = (*privilegeList)(nil)
)

// NewPrivilegeList returns the truenas_privilege list resource.
func NewPrivilegeList() list.ListResource {
	return &privilegeList{listBase{newResource: NewPrivilegeResource}}
}

type privilegeList struct{ listBase }

type privilegeListModel struct {
	Name    types.String `tfsdk:"name"`
	Builtin types.Bool   `tfsdk:"builtin"`
}

func (l *privilegeList) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_privilege"
}

func (l *privilegeList) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the privileges of the box (Terraform 1.14+ `terraform query`), each with its identity " +
			"and, with `include_resource`, as an import of it reads.",
		Attributes: map[string]schema.Attribute{
			"name":    nameFilter("privilege"),
			"builtin": builtinFilter("privileges"),
		},
	}
}

func (l *privilegeList) List(ctx context.Context, req list.ListRequest, resp *list.ListResultsStream) {
	var f privilegeListModel
	if diags := req.Config.Get(ctx, &f); diags.HasError() {
		resp.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	if l.c == nil {
		resp.Results = list.ListResultsStreamDiagnostics(notConfigured())
		return
	}
	ps, err := l.c.Privileges(ctx)
	var entries []listEntry
	for _, p := range ps {
		if matchesString(f.Name, p.Name) && matchesBool(f.Builtin, p.BuiltinName != nil) {
			entries = append(entries, listEntry{p.ID, p.Name})
		}
	}
	l.stream(ctx, req, resp, entries, err, "privileges")
}
