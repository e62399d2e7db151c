// The create/read/update/delete/import shape every resource of the provider
// follows. A resource says what is its own (how it writes, how it reads its
// entry into its model); the steps around that are written once here.

package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// entryKind is what the shared steps need to know of a resource whose model
// is M: its entry's names and how to read one entry from the box.
type entryKind[M any] struct {
	c    *client
	noun string // "group", "API key": in messages
	api  string // "group", "api_key": the TrueNAS namespace (group.create, ...)
	// id is the model's id attribute.
	id func(M) types.String
	// read reads entry id from the box and returns its state, built on
	// prior where TrueNAS reports an equivalent value; nil and no error
	// when the box has no such entry.
	read func(ctx context.Context, prior M, id int64) (*M, error)
	// names lists the entries by name, for an import by name.
	names func(ctx context.Context) ([]namedEntry, error)
}

// providerClient is the client the provider's Configure hands a resource;
// each resource embeds it, and with it its Configure.
type providerClient struct{ c *client }

func (p *providerClient) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	if c, ok := req.ProviderData.(*client); ok {
		p.c = c
	}
}

// readEntry is an entryKind.read that gets entry E by id and builds the
// model from it.
func readEntry[E, M any](get func(context.Context, int64) (*E, error), state func(prior M, e *E) M) func(context.Context, M, int64) (*M, error) {
	return func(ctx context.Context, prior M, id int64) (*M, error) {
		e, err := get(ctx, id)
		if err != nil || e == nil {
			return nil, err
		}
		s := state(prior, e)
		return &s, nil
	}
}

// namesOf is an entryKind.names: the entries list gives, each named by
// name.
func namesOf[E any](list func(context.Context) ([]E, error), name func(E) (string, int64)) func(context.Context) ([]namedEntry, error) {
	return func(ctx context.Context) ([]namedEntry, error) {
		all, err := list(ctx)
		out := make([]namedEntry, len(all))
		for i, e := range all {
			out[i].name, out[i].id = name(e)
		}
		return out, err
	}
}

// namedEntry is an entry's name and database id.
type namedEntry struct {
	name string
	id   int64
}

// configured reports whether the provider was configured (c is set), and
// says so in diags when it was not.
func configured(c *client, diags *diag.Diagnostics) bool {
	if c == nil {
		diags.AddError("Provider not configured", "The truenas provider was not configured.")
		return false
	}
	return true
}

// getModel decodes a plan, state or configuration into a model.
func getModel[M any](ctx context.Context, src interface {
	Get(context.Context, any) diag.Diagnostics
}, diags *diag.Diagnostics) (M, bool) {
	var m M
	diags.Append(src.Get(ctx, &m)...)
	return m, !diags.HasError()
}

// entryID is the database id a model's id attribute holds.
func (k entryKind[M]) entryID(m M, diags *diag.Diagnostics) (int64, bool) {
	id, err := parseID(k.id(m).ValueString())
	if err != nil {
		diags.AddError("Invalid "+k.noun+" id", err.Error())
		return 0, false
	}
	return id, true
}

// current reads the entry of state from the box: its new state, or nil
// (and no error) when the box has it no more.
func (k entryKind[M]) current(ctx context.Context, state M, diags *diag.Diagnostics) *M {
	id, ok := k.entryID(state, diags)
	if !ok {
		return nil
	}
	ns, err := k.read(ctx, state, id)
	if err != nil {
		addEngineErrors(diags, "Cannot read "+k.noun, err, nil)
		return nil
	}
	return ns
}

// refresh is a Read: the state becomes the entry as the box has it, or is
// removed when the box has it no more.
func (k entryKind[M]) refresh(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	if !configured(k.c, &resp.Diagnostics) {
		return
	}
	state, ok := getModel[M](ctx, req.State, &resp.Diagnostics)
	if !ok {
		return
	}
	ns := k.current(ctx, state, &resp.Diagnostics)
	switch {
	case resp.Diagnostics.HasError():
	case ns == nil:
		resp.State.RemoveResource(ctx)
	default:
		resp.Diagnostics.Append(resp.State.Set(ctx, ns)...)
	}
	readIdentity(ctx, req, resp)
}

// readBack stores in st entry id, which a create or update has just
// written, as the box has it now. Unlike refresh, an entry that is not
// there is an error: the write said it was.
func (k entryKind[M]) readBack(ctx context.Context, prior M, id int64, st *tfsdk.State, diags *diag.Diagnostics, summary string) {
	ns, err := k.read(ctx, prior, id)
	if err != nil {
		addEngineErrors(diags, summary, err, nil)
		return
	}
	if ns == nil {
		diags.AddError(summary, fmt.Sprintf("%s %d does not exist on the box.", strings.ToUpper(k.noun[:1])+k.noun[1:], id))
		return
	}
	diags.Append(st.Set(ctx, ns)...)
}

// store records what a write left: fresh when the write's answer carried
// the whole entry, else the entry read back from the box; then the
// identity.
func (k entryKind[M]) store(ctx context.Context, plan M, id int64, fresh *M, st *tfsdk.State, ident *tfsdk.ResourceIdentity, diags *diag.Diagnostics, summary string) {
	if fresh != nil {
		diags.Append(st.Set(ctx, fresh)...)
	} else {
		k.readBack(ctx, plan, id, st, diags, summary)
	}
	identityFromState(ctx, st, ident, diags)
}

// create is a Create. write sends the create call for plan (which it may
// complete, say with a key only the answer has) and returns the new
// entry's id and, when the answer carried the whole entry, its state; with
// an error in diags it has failed.
func (k entryKind[M]) create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse,
	write func(ctx context.Context, plan *M, diags *diag.Diagnostics) (id int64, fresh *M)) {
	if !configured(k.c, &resp.Diagnostics) {
		return
	}
	plan, ok := getModel[M](ctx, req.Plan, &resp.Diagnostics)
	if !ok {
		return
	}
	id, fresh := write(ctx, &plan, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if id == 0 {
		resp.Diagnostics.AddError("Cannot create "+k.noun, k.api+".create returned no id.")
		return
	}
	k.store(ctx, plan, id, fresh, &resp.State, resp.Identity, &resp.Diagnostics, "Cannot read the new "+k.noun)
}

// update is an Update. write sends what changed from state to plan (plan it
// may complete) and returns, when the answer carried the whole entry, its
// state; with an error in diags it has failed.
func (k entryKind[M]) update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse,
	write func(ctx context.Context, plan *M, state M, id int64, diags *diag.Diagnostics) (fresh *M)) {
	if !configured(k.c, &resp.Diagnostics) {
		return
	}
	plan, ok := getModel[M](ctx, req.Plan, &resp.Diagnostics)
	state, ok2 := getModel[M](ctx, req.State, &resp.Diagnostics)
	if !ok || !ok2 {
		return
	}
	id, ok := k.entryID(state, &resp.Diagnostics)
	if !ok {
		return
	}
	fresh := write(ctx, &plan, state, id, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	k.store(ctx, plan, id, fresh, &resp.State, resp.Identity, &resp.Diagnostics, "Cannot read the updated "+k.noun)
}

// remove is a Delete: del deletes the entry of state, whose id is id.
func (k entryKind[M]) remove(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse,
	del func(ctx context.Context, state M, id int64, diags *diag.Diagnostics)) {
	if !configured(k.c, &resp.Diagnostics) {
		return
	}
	state, ok := getModel[M](ctx, req.State, &resp.Diagnostics)
	if !ok {
		return
	}
	if id, ok := k.entryID(state, &resp.Diagnostics); ok {
		del(ctx, state, id, &resp.Diagnostics)
	}
}

// deleteCall calls <api>.delete on entry id; an entry already gone is no
// error.
func (k entryKind[M]) deleteCall(ctx context.Context, id int64, diags *diag.Diagnostics, args ...any) {
	if _, err := k.c.write(ctx, k.api+".delete", append([]any{id}, args...)...); err != nil && !isNotFound(err) {
		addEngineErrors(diags, "Cannot delete "+k.noun, err, nil)
	}
}

// importRule is the rule every resource's import follows, in its words
// for messages: an id of digits only is the database id, anything else
// the name.
const importRule = "digits only are the entry's database id, anything else its name"

// importDoc says the import rule in a resource's documentation: name is
// the attribute an import by name matches, example an import id.
func importDoc(resourceType, name, example string) string {
	return fmt.Sprintf("Import with the numeric database id or the `%s`, by the rule every resource of this provider follows: "+
		"an import id of digits only is the database id, anything else the `%s` (an entry whose `%s` is digits only is "+
		"imported by its id): `terraform import %s.x %s`.", name, name, name, resourceType, example)
}

// isDigits reports whether s is a non-empty run of ASCII digits.
func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// importState is an ImportState, by one rule for every resource: an import
// block's identity gives the id; an import id of digits only is the
// database id; anything else is the name, which must name exactly one
// entry. It reports whether the id was stored.
func (k entryKind[M]) importState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) bool {
	if !configured(k.c, &resp.Diagnostics) {
		return false
	}
	id, byIdentity := identityImport(ctx, req, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return false
	}
	switch {
	case byIdentity:
	case isDigits(req.ID):
		n, err := parseID(req.ID)
		if err != nil || n < 1 {
			resp.Diagnostics.AddError("Cannot import "+k.noun, fmt.Sprintf("%q is no database id: an id is a positive number.", req.ID))
			return false
		}
		id = n
	default:
		all, err := k.names(ctx)
		if err != nil {
			addEngineErrors(&resp.Diagnostics, "Cannot import "+k.noun, err, nil)
			return false
		}
		var ids []int64
		for _, e := range all {
			if e.name == req.ID {
				ids = append(ids, e.id)
			}
		}
		switch len(ids) {
		case 1:
			id = ids[0]
		case 0:
			resp.Diagnostics.AddError("Cannot import "+k.noun, fmt.Sprintf(
				"No %s named %q. Import takes a name or a numeric id (%s).", k.noun, req.ID, importRule))
			return false
		default:
			resp.Diagnostics.AddError("Cannot import "+k.noun, fmt.Sprintf(
				"%d entries are named %q (ids %v): import the one meant by its numeric id.", len(ids), req.ID, ids))
			return false
		}
	}
	setImported(ctx, resp, id)
	return !resp.Diagnostics.HasError()
}
