package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The list resources (Terraform 1.14 `terraform query`) list the entries
// of the box of one resource type, filtered, each with its identity and,
// with include_resource, the resource as an import of it reads: each list
// result is what `import { identity = { id = N } }` would bring into the
// state, so `terraform query -generate-config-out` writes a configuration
// that imports without a change.

// listEntry is one entry of a list: its id and a name to show.
type listEntry struct {
	id   int64
	name string
}

// listResource is a list resource whose filters are the attributes of F:
// everything but its schema and how it finds its entries is the same for
// every resource type.
type listResource[F any] struct {
	c *client
	// typeName follows the provider's name ("_user"); what names the
	// entries in an error ("users").
	typeName, what string
	schema         schema.Schema
	// newResource is the resource whose import gives a listed entry's state.
	newResource func() resource.Resource
	// entries lists the entries of the box that the filters f admit.
	entries func(ctx context.Context, c *client, f F) ([]listEntry, error)
}

var (
	_ list.ListResource              = (*listResource[struct{}])(nil)
	_ list.ListResourceWithConfigure = (*listResource[struct{}])(nil)
)

func (l *listResource[F]) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	if c, ok := req.ProviderData.(*client); ok {
		l.c = c
	}
}

func (l *listResource[F]) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + l.typeName
}

func (l *listResource[F]) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = l.schema
}

func (l *listResource[F]) List(ctx context.Context, req list.ListRequest, resp *list.ListResultsStream) {
	var f F
	if diags := req.Config.Get(ctx, &f); diags.HasError() {
		resp.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	if l.c == nil {
		resp.Results = list.ListResultsStreamDiagnostics(notConfigured())
		return
	}
	entries, err := l.entries(ctx, l.c, f)
	l.stream(ctx, req, resp, entries, err, l.what)
}

// listDescription is the description of a list resource of what.
func listDescription(what string) string {
	return "Lists the " + what + " of the box (Terraform 1.14+ `terraform query`), each with its identity " +
		"and, with `include_resource`, as an import of it reads."
}

// nameFilter and builtinFilter are the filters most list resources share.
func nameFilter(what string) schema.StringAttribute {
	return schema.StringAttribute{Optional: true,
		MarkdownDescription: fmt.Sprintf("Only the %s of this name (exact match).", what)}
}

func builtinFilter(what string) schema.BoolAttribute {
	return schema.BoolAttribute{Optional: true,
		MarkdownDescription: fmt.Sprintf("`true`: only the built-in %s (those the box comes with); `false`: only the others; unset: both.", what)}
}

// matches says whether a filter value admits v: null and unknown admit all.
func matchesString(f types.String, v string) bool { return !known(f) || f.ValueString() == v }
func matchesBool(f types.Bool, v bool) bool       { return !known(f) || f.ValueBool() == v }

// stream sends entries as list results: the identity always, the
// resource when the request includes it, at most req.Limit of them.
func (l *listResource[F]) stream(ctx context.Context, req list.ListRequest, resp *list.ListResultsStream, entries []listEntry, err error, what string) {
	if err != nil {
		var diags diag.Diagnostics
		addEngineErrors(&diags, "Cannot list "+what, err, nil)
		resp.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	resp.Results = func(push func(list.ListResult) bool) {
		for i, e := range entries {
			if req.Limit > 0 && int64(i) >= req.Limit {
				return
			}
			r := req.NewListResult(ctx)
			r.DisplayName = e.name
			r.Diagnostics.Append(r.Identity.Set(ctx, identityModel{ID: types.Int64Value(e.id)})...)
			if req.IncludeResource && !r.Diagnostics.HasError() {
				l.importedState(ctx, r.Resource, e.id, &r.Diagnostics)
			}
			if !push(r) {
				return
			}
		}
	}
}

// importedState reads entry id as an import by id does: the resource's own
// ImportState, then its Read, into res.
func (l *listResource[F]) importedState(ctx context.Context, res *tfsdk.Resource, id int64, diags *diag.Diagnostics) {
	r := l.newResource()
	if rc, ok := r.(resource.ResourceWithConfigure); ok {
		var cr resource.ConfigureResponse
		rc.Configure(ctx, resource.ConfigureRequest{ProviderData: l.c}, &cr)
		diags.Append(cr.Diagnostics...)
	}
	imp, ok := r.(resource.ResourceWithImportState)
	if !ok || diags.HasError() {
		diags.AddError("Cannot list", "The resource cannot be imported.")
		return
	}
	null := tftypes.NewValue(res.Schema.Type().TerraformType(ctx), nil)
	ir := resource.ImportStateResponse{State: tfsdk.State{Schema: res.Schema, Raw: null}}
	imp.ImportState(ctx, resource.ImportStateRequest{ID: fmt.Sprint(id)}, &ir)
	diags.Append(ir.Diagnostics...)
	if diags.HasError() {
		return
	}
	rr := resource.ReadResponse{State: ir.State}
	r.Read(ctx, resource.ReadRequest{State: ir.State}, &rr)
	diags.Append(rr.Diagnostics...)
	if diags.HasError() {
		return
	}
	if rr.State.Raw.IsNull() {
		diags.AddError("Cannot list", fmt.Sprintf("Entry %d is gone from the box.", id))
		return
	}
	res.Raw = rr.State.Raw
}

func notConfigured() diag.Diagnostics {
	var diags diag.Diagnostics
	diags.AddError("Provider not configured", "The truenas provider was not configured.")
	return diags
}
