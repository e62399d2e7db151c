package provider

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	tfpath "github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

const defaultPrivilegeWebShell = false

var (
	_ resource.Resource                = (*privilegeResource)(nil)
	_ resource.ResourceWithConfigure   = (*privilegeResource)(nil)
	_ resource.ResourceWithImportState = (*privilegeResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*privilegeResource)(nil)
)

// NewPrivilegeResource returns the truenas_privilege resource.
func NewPrivilegeResource() resource.Resource { return &privilegeResource{} }

type privilegeResource struct{ providerClient }

type privilegeModel struct {
	ID          types.String `tfsdk:"id"`
	Name        types.String `tfsdk:"name"`
	BuiltinName types.String `tfsdk:"builtin_name"`
	LocalGroups types.Set    `tfsdk:"local_groups"`
	DSGroups    types.Set    `tfsdk:"ds_groups"`
	Roles       types.Set    `tfsdk:"roles"`
	WebShell    types.Bool   `tfsdk:"web_shell"`
}

// privilegeGroupRef is one item of a privilege's local_groups or ds_groups
// in privilege.query: a group entry or an unmapped {gid, sid, group: null}.
type privilegeGroupRef struct {
	GID *int64  `json:"gid"`
	SID *string `json:"sid"`
}

// privilegeWire is a privilege.query entry, reduced to what the provider
// uses.
type privilegeWire struct {
	ID          int64               `json:"id"`
	BuiltinName *string             `json:"builtin_name"`
	Name        string              `json:"name"`
	LocalGroups []privilegeGroupRef `json:"local_groups"`
	DSGroups    []privilegeGroupRef `json:"ds_groups"`
	Roles       []string            `json:"roles"`
	WebShell    bool                `json:"web_shell"`
}

func (c *client) privilegeTable(ctx context.Context) (*table[privilegeWire], error) {
	return cachedTable(ctx, c, &c.privs, "privilege.query", func(p *privilegeWire) int64 { return p.ID })
}

// Privileges returns every privilege, from the cache when possible.
func (c *client) Privileges(ctx context.Context) ([]privilegeWire, error) {
	t, err := c.privilegeTable(ctx)
	if err != nil {
		return nil, err
	}
	return t.entries, nil
}

func (c *client) privilegeByID(ctx context.Context, id int64) (*privilegeWire, error) {
	t, err := c.privilegeTable(ctx)
	return byID(t, err, id)
}

// roleList is the role names as Markdown, for the descriptions: the roles
// made for administrators first, then every other role.
func roleList() (admin, other string) {
	var a, o []string
	for _, r := range account.Roles() {
		if r.Builtin {
			o = append(o, "`"+r.Name+"`")
		} else {
			a = append(a, "`"+r.Name+"`")
		}
	}
	return strings.Join(a, ", "), strings.Join(o, ", ")
}

// roleNamesValidator refuses a role that TrueNAS's role manager does not
// have, with TrueNAS's message, at validate and plan time.
type roleNamesValidator struct{}

func (roleNamesValidator) Description(context.Context) string {
	return "each role must be one of TrueNAS's role names"
}
func (v roleNamesValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (roleNamesValidator) ValidateSet(ctx context.Context, req validator.SetRequest, resp *validator.SetResponse) {
	if !known(req.ConfigValue) {
		return
	}
	var admin []string
	for _, r := range account.Roles() {
		if !r.Builtin {
			admin = append(admin, r.Name)
		}
	}
	for _, e := range req.ConfigValue.Elements() {
		s, ok := e.(types.String)
		if !ok || !known(s) || account.IsRole(s.ValueString()) {
			continue
		}
		hint := ""
		if up := strings.ToUpper(s.ValueString()); account.IsRole(up) {
			hint = fmt.Sprintf(" Role names are upper case: did you mean %q?", up)
		}
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid privilege role",
			fmt.Sprintf("%q: Invalid role.%s The roles made for administrators are %s; the documentation of roles lists every role.",
				s.ValueString(), hint, strings.Join(admin, ", ")))
	}
}

// dsGroupsValidator accepts what TrueNAS stores as it is sent, so that the
// state reads back what the configuration says: a gid in canonical decimal,
// or a valid SID in upper case.
type dsGroupsValidator struct{}

func (dsGroupsValidator) Description(context.Context) string {
	return "each item must be a gid in decimal or a SID in upper case"
}
func (v dsGroupsValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (dsGroupsValidator) ValidateSet(ctx context.Context, req validator.SetRequest, resp *validator.SetResponse) {
	if !known(req.ConfigValue) {
		return
	}
	for _, e := range req.ConfigValue.Elements() {
		s, ok := e.(types.String)
		if !ok || !known(s) {
			continue
		}
		v := s.ValueString()
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && strconv.FormatInt(n, 10) == v {
			continue
		}
		if account.IsValidSID(v) {
			continue
		}
		detail := fmt.Sprintf("%q is neither a gid in decimal nor a SID (S-1-5-21-A-B-C or S-1-5-21-A-B-C-RID).", v)
		if up := strings.ToUpper(strings.TrimSpace(v)); up != v && account.IsValidSID(up) {
			detail = fmt.Sprintf("%q: write the SID as TrueNAS stores it, %q.", v, up)
		}
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid directory-service group", detail)
	}
}

func (r *privilegeResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_privilege"
}

func (r *privilegeResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	admin, other := roleList()
	builtins := []string{}
	for _, b := range account.BuiltinPrivileges() {
		builtins = append(builtins, fmt.Sprintf("%q (`%s`, roles `%s`, group gid %d)", b.Name, b.BuiltinName, strings.Join(b.Roles, "`, `"), b.GID))
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A TrueNAS privilege (`privilege.*`, the *Credentials > Users > Privileges* screen): " + "TrueNAS SCALE 25.04 and later only: refused on TrueNAS CORE 13.3, which has no privileges, with an error naming the release. " +
			"The roles " +
			"that members of some groups get, and whether they may use the web shell. A user's `roles` are the union of " +
			"the roles of the privileges of its primary and auxiliary groups; an API key can only be created for a user " +
			"with at least one role.\n\n" +
			"The built-in privileges come with the box: " + strings.Join(builtins, "; ") + ". They cannot be created " +
			"or deleted, and their `name` and `roles` are read-only (refused at plan time with TrueNAS's message); " +
			"manage their groups and web shell by importing them (`terraform import truenas_privilege.admins " +
			"\"Local Administrator\"`). Destroying a built-in privilege gives it back the group and web shell " +
			"setting it came with and removes it from the state; it stays on the box. The Local " +
			"Administrator privilege must keep `builtin_administrators` (gid 544) and a member with password login; " +
			"the Read-Only Administrator privilege cannot grant the web shell.\n\n" +
			"A group named by a privilege cannot be deleted until the privilege no longer names it: let Terraform " +
			"order that by referring to the group (`local_groups = [truenas_group.ops.gid]`).\n\n" +
			importDoc("truenas_privilege", "name", `"Backup Operators"`),
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{Computed: true,
				MarkdownDescription: "The privilege's TrueNAS database id, as a string.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
			"name": schema.StringAttribute{Required: true,
				MarkdownDescription: "Name of the privilege, unique on the box. Renamed in place (read-only for built-in privileges)."},
			"builtin_name": schema.StringAttribute{Computed: true,
				MarkdownDescription: "For a built-in privilege, its fixed name (`LOCAL_ADMINISTRATOR`, `READONLY_ADMINISTRATOR`, `SHARING_ADMINISTRATOR`); null for the others.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
			"local_groups": schema.SetAttribute{ElementType: types.Int64Type, Optional: true, Computed: true,
				Default: setdefault.StaticValue(types.SetValueMust(types.Int64Type, []attr.Value{})),
				MarkdownDescription: "gids (not database ids) of the local groups whose members get the privilege. Each must be " +
					"an existing local group without a user-namespace idmap. Default: `[]`."},
			"ds_groups": schema.SetAttribute{ElementType: types.StringType, Optional: true, Computed: true,
				Default:    setdefault.StaticValue(types.SetValueMust(types.StringType, []attr.Value{})),
				Validators: []validator.Set{dsGroupsValidator{}},
				MarkdownDescription: "Directory-service groups that get the privilege: a gid in decimal (`\"1000001\"`) or a " +
					"SID (`\"S-1-5-21-...\"`). Only boxes joined to a directory service have such groups. Default: `[]`."},
			"roles": schema.SetAttribute{ElementType: types.StringType, Optional: true, Computed: true,
				Default:    setdefault.StaticValue(types.SetValueMust(types.StringType, []attr.Value{})),
				Validators: []validator.Set{roleNamesValidator{}},
				MarkdownDescription: "Roles the privilege grants (TrueNAS 25.10's role manager). Roles made for administrators: " +
					admin + ". Finer roles: " + other + ". Default: `[]`."},
			"web_shell": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(defaultPrivilegeWebShell),
				MarkdownDescription: fmt.Sprintf("Whether members may use the web shell. Default: `%t`.", defaultPrivilegeWebShell)},
		},
	}
}

func privilegePathMapper(field string) (tfpath.Path, bool, bool) {
	switch field {
	case "name", "local_groups", "ds_groups", "roles", "web_shell":
		// Sets cannot be addressed by index.
		return tfpath.Root(field), false, true
	}
	return tfpath.Empty(), false, false
}

// dsGroupValues turns ds_groups strings into what TrueNAS takes: a gid as
// a number, a SID as a string.
func dsGroupValues(ss []string) []any {
	out := make([]any, 0, len(ss))
	for _, s := range ss {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			out = append(out, n)
		} else {
			out = append(out, s)
		}
	}
	return out
}

func setStrings(s types.Set) ([]string, bool) {
	if !known(s) {
		return nil, false
	}
	out := make([]string, 0, len(s.Elements()))
	for _, e := range s.Elements() {
		v, ok := e.(types.String)
		if !ok || !known(v) {
			return nil, false
		}
		out = append(out, v.ValueString())
	}
	slices.Sort(out)
	return out, true
}

func stringSet(ss []string) types.Set {
	vals := make([]attr.Value, 0, len(ss))
	for _, s := range ss {
		vals = append(vals, types.StringValue(s))
	}
	return types.SetValueMust(types.StringType, vals)
}

func asStrings(ss []string) any  { return ss }
func asDSGroups(ss []string) any { return dsGroupValues(ss) }

func buildPrivilegeCreate(plan privilegeModel) *payload {
	p := newPayload()
	p.str("name", plan.Name)
	p.ints("local_groups", plan.LocalGroups)
	p.stringSet("ds_groups", plan.DSGroups, asDSGroups)
	p.stringSet("roles", plan.Roles, asStrings)
	p.boolean("web_shell", plan.WebShell)
	return p
}

// buildPrivilegeUpdate sends only what changed, so that a built-in
// privilege's read-only fields are never sent unless they change.
func buildPrivilegeUpdate(plan, state privilegeModel) *payload {
	p := newPayload()
	if !plan.Name.Equal(state.Name) {
		p.str("name", plan.Name)
	}
	if !plan.LocalGroups.Equal(state.LocalGroups) {
		p.ints("local_groups", plan.LocalGroups)
	}
	if !plan.DSGroups.Equal(state.DSGroups) {
		p.stringSet("ds_groups", plan.DSGroups, asDSGroups)
	}
	if !plan.Roles.Equal(state.Roles) {
		p.stringSet("roles", plan.Roles, asStrings)
	}
	if !plan.WebShell.Equal(state.WebShell) {
		p.boolean("web_shell", plan.WebShell)
	}
	return p
}

// oldPrivilege is the privilege as the state knows it.
func oldPrivilege(s privilegeModel) *account.Privilege {
	id, _ := parseID(s.ID.ValueString())
	p := &account.Privilege{ID: id, Name: s.Name.ValueString(), WebShell: s.WebShell.ValueBool()}
	if known(s.BuiltinName) {
		p.BuiltinName = new(s.BuiltinName.ValueString())
	}
	p.LocalGroups, _ = setInts(s.LocalGroups)
	ds, _ := setStrings(s.DSGroups)
	p.DSGroups = dsGroupValues(ds)
	p.Roles, _ = setStrings(s.Roles)
	return p
}

// checkPrivilegePayload runs the plan-time rules: unknown roles, and on an
// update of a built-in privilege (old from state) the built-in rules that
// need no box.
func checkPrivilegePayload(p *payload, old *account.Privilege) account.Errors {
	return checkPayload(p, old == nil, account.DecodePrivilegeCreate, account.DecodePrivilegeUpdate, func(pp *account.PrivilegePayload) account.Errors {
		if es := account.CheckBuiltinPrivilege(pp, old, nil); len(es) > 0 {
			return es
		}
		return account.StaticPrivilegeChecks(pp)
	})
}

func (r *privilegeResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	if rel, ok := r.c.releaseAtPlan(ctx); ok && coreRelease(rel) {
		resp.Diagnostics.AddError("Privileges need TrueNAS SCALE", coreRefusedMsg(rel,
			"`truenas_privilege` manages TrueNAS SCALE's privileges (privilege.*, 25.04 and later)"))
		return
	}
	var plan privilegeModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if req.State.Raw.IsNull() {
		// A privilege created here is never a built-in one.
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, tfpath.Root("builtin_name"), types.StringNull())...)
		addValidationErrors(&resp.Diagnostics, "Invalid privilege", checkPrivilegePayload(buildPrivilegeCreate(plan), nil), privilegePathMapper)
		return
	}
	var state privilegeModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if p := buildPrivilegeUpdate(plan, state); len(p.m) > 0 || len(p.unknown) > 0 {
		addValidationErrors(&resp.Diagnostics, "Invalid privilege", checkPrivilegePayload(p, oldPrivilege(state)), privilegePathMapper)
	}
}

// groupRefStrings renders ds_groups entries as the strings of the
// attribute. An entry that the prior state names by gid or by SID keeps
// that spelling (TrueNAS may answer a gid with a group that also has a
// SID); others are shown by SID when they have one, else by gid.
func groupRefStrings(refs []privilegeGroupRef, prior []string) []string {
	out := []string{}
	for _, g := range refs {
		var gid, sid string
		if g.GID != nil {
			gid = strconv.FormatInt(*g.GID, 10)
		}
		if g.SID != nil {
			sid = *g.SID
		}
		switch {
		case gid != "" && slices.Contains(prior, gid):
			out = append(out, gid)
		case sid != "" && slices.Contains(prior, sid):
			out = append(out, sid)
		case sid != "":
			out = append(out, sid)
		case gid != "":
			out = append(out, gid)
		}
	}
	return out
}

// privilegeState builds the state from an entry.
func privilegeState(prior privilegeModel, e *privilegeWire) privilegeModel {
	s := prior
	s.ID = types.StringValue(fmt.Sprint(e.ID))
	s.Name = types.StringValue(e.Name)
	s.BuiltinName = strPtrValue(e.BuiltinName)
	gids := []int64{}
	for _, g := range e.LocalGroups {
		if g.GID != nil {
			gids = append(gids, *g.GID)
		}
	}
	s.LocalGroups = int64Set(gids)
	priorDS, _ := setStrings(prior.DSGroups)
	s.DSGroups = stringSet(groupRefStrings(e.DSGroups, priorDS))
	s.Roles = stringSet(e.Roles)
	s.WebShell = types.BoolValue(e.WebShell)
	return s
}

// kind is what the shared CRUD steps (crud.go) know of privileges.
func (r *privilegeResource) kind() entryKind[privilegeModel] {
	return entryKind[privilegeModel]{c: r.c, noun: "privilege", api: "privilege",
		id:    func(m privilegeModel) types.String { return m.ID },
		read:  readEntry(r.c.privilegeByID, privilegeState),
		names: namesOf(r.c.Privileges, func(p privilegeWire) (string, int64) { return p.Name, p.ID }),
	}
}

func (r *privilegeResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.kind().create(ctx, req, resp, func(ctx context.Context, plan *privilegeModel, diags *diag.Diagnostics) (int64, *privilegeModel) {
		raw, err := r.c.write(ctx, "privilege.create", buildPrivilegeCreate(*plan).m)
		if err != nil {
			addEngineErrors(diags, "Cannot create privilege", err, privilegePathMapper)
			return 0, nil
		}
		return decodeID(raw), nil
	})
}

func (r *privilegeResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	r.kind().refresh(ctx, req, resp)
}

func (r *privilegeResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	r.kind().update(ctx, req, resp, func(ctx context.Context, plan *privilegeModel, state privilegeModel, id int64, diags *diag.Diagnostics) *privilegeModel {
		if p := buildPrivilegeUpdate(*plan, state); len(p.m) > 0 {
			if _, err := r.c.write(ctx, "privilege.update", id, p.m); err != nil {
				addEngineErrors(diags, "Cannot update privilege", err, privilegePathMapper)
			}
		}
		return nil
	})
}

func (r *privilegeResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	r.kind().remove(ctx, req, resp, func(ctx context.Context, state privilegeModel, id int64, diags *diag.Diagnostics) {
		if b, ok := builtinPrivilege(state.BuiltinName); ok {
			// TrueNAS never deletes a built-in privilege: give it back the
			// groups and web shell it came with, so that the groups this
			// configuration added can be deleted, and leave it on the box.
			_, err := r.c.write(ctx, "privilege.update", id, map[string]any{
				"local_groups": []int64{b.GID}, "ds_groups": []any{}, "web_shell": b.WebShell})
			if err != nil && !isNotFound(err) {
				addEngineErrors(diags, "Cannot reset built-in privilege", err, privilegePathMapper)
				return
			}
			diags.AddWarning("Built-in privilege left on the box",
				fmt.Sprintf("%q is a built-in privilege, which TrueNAS does not delete (%s). It was given back its group "+
					"(gid %d) and web shell setting (%t), removed from the Terraform state, and stays on the box.",
					state.Name.ValueString(), account.CallErrorFor(account.RulePrivilegeDeleteBuiltin).Message, b.GID, b.WebShell))
			return
		}
		r.kind().deleteCall(ctx, id, diags)
	})
}

// builtinPrivilege returns the built-in privilege with this builtin_name.
func builtinPrivilege(name types.String) (account.BuiltinPrivilege, bool) {
	if !known(name) {
		return account.BuiltinPrivilege{}, false
	}
	for _, b := range account.BuiltinPrivileges() {
		if b.BuiltinName == name.ValueString() {
			return b, true
		}
	}
	return account.BuiltinPrivilege{}, false
}

func (r *privilegeResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	r.kind().importState(ctx, req, resp)
}
