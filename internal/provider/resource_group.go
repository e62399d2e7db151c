package provider

import (
	"context"
	"fmt"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	tfpath "github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

const defaultGroupSMB = true

var (
	_ resource.Resource                = (*groupResource)(nil)
	_ resource.ResourceWithConfigure   = (*groupResource)(nil)
	_ resource.ResourceWithImportState = (*groupResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*groupResource)(nil)
)

// NewGroupResource returns the truenas_group resource.
func NewGroupResource() resource.Resource { return &groupResource{} }

type groupResource struct{ providerClient }

type groupModel struct {
	ID                   types.String `tfsdk:"id"`
	GID                  types.Int64  `tfsdk:"gid"`
	Name                 types.String `tfsdk:"name"`
	SMB                  types.Bool   `tfsdk:"smb"`
	SudoCommands         types.List   `tfsdk:"sudo_commands"`
	SudoCommandsNopasswd types.List   `tfsdk:"sudo_commands_nopasswd"`
	Users                types.Set    `tfsdk:"users"`
	Builtin              types.Bool   `tfsdk:"builtin"`
	Local                types.Bool   `tfsdk:"local"`
	Roles                types.List   `tfsdk:"roles"`
}

func (r *groupResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_group"
}

func (r *groupResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A local TrueNAS group (`group.*`). Releases: every attribute exists on TrueNAS SCALE (25.04 and later) and on TrueNAS CORE 13.3 unless its description names the releases that have it.\n\n" +
			"Membership can be managed from either side, but manage each group from one side only:\n" +
			"* from the user (`truenas_user.groups`), the usual choice: each user lists its groups; leave this " +
			"group's `users` unset;\n" +
			"* from the group (`users` here), when the group owns a closed member list; then leave the members' " +
			"`groups` unset.\n\n" +
			"Users whose *primary* group this is are always members in TrueNAS: they are added to what is sent " +
			"automatically and not shown in `users` unless you list them.\n\n" +
			importDoc("truenas_group", "name", "staff"),
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{Computed: true,
				MarkdownDescription: "The group's TrueNAS database id (not the gid), as a string. Users refer to groups by this id.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
			"gid": schema.Int64Attribute{Optional: true, Computed: true,
				MarkdownDescription: fmt.Sprintf("POSIX gid, 0 to %d. Default: the next free gid from %d (from %d on TrueNAS CORE 13.3). Changing it replaces the group on TrueNAS SCALE; on CORE 13.3 it is changed in place, as CORE allows.", account.MaxLocalID, account.MinAutoID, account.CoreFirstID),
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()}},
			"name": schema.StringAttribute{Required: true,
				MarkdownDescription: "Group name: characters `[A-Za-z0-9_.-]`, not starting with `-`. Renamed in place."},
			"smb": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(defaultGroupSMB),
				MarkdownDescription: fmt.Sprintf("Map the group to an SMB group. Default: `%t`. Names `administrators`, `guests` and `users` (any case) cannot be SMB groups.", defaultGroupSMB)},
			"sudo_commands": schema.ListAttribute{ElementType: types.StringType, Optional: true, Computed: true, Default: listdefault.StaticValue(emptyStringList()),
				MarkdownDescription: "Commands members may run with sudo (password required): absolute paths with optional arguments, or `[\"ALL\"]` alone. Default: `[]`. " + coreSudoDoc},
			"sudo_commands_nopasswd": schema.ListAttribute{ElementType: types.StringType, Optional: true, Computed: true, Default: listdefault.StaticValue(emptyStringList()),
				MarkdownDescription: "Commands members may run with sudo without a password. Default: `[]`. TrueNAS SCALE and CORE 13.3 (see `sudo_commands`)."},
			"users": schema.SetAttribute{ElementType: types.Int64Type, Optional: true, Computed: true,
				MarkdownDescription: "Database ids (not uids) of the members. Unset: membership is not managed here and shows what the box has. Set: exactly these users are auxiliary members (plus, automatically, the users whose primary group this is)."},
			"builtin": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the group comes with the OS image.",
				PlanModifiers: []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()}},
			"local": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the group is local.",
				PlanModifiers: []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()}},
			"roles": schema.ListAttribute{ElementType: types.StringType, Computed: true,
				MarkdownDescription: "Roles of the privileges this group is mapped to; always empty on TrueNAS CORE 13.3, which has no privileges."},
		},
	}
}

var groupFields = map[string]bool{"gid": false, "name": false, "smb": false, "sudo_commands": true, "sudo_commands_nopasswd": true, "users": false}

func groupPathMapper(field string) (tfpath.Path, bool, bool) {
	list, ok := groupFields[field]
	if !ok {
		return tfpath.Empty(), false, false
	}
	return tfpath.Root(field), list, true
}

func buildGroupCreate(plan groupModel) *payload {
	p := newPayload()
	p.int64("gid", plan.GID)
	p.str("name", plan.Name)
	p.boolean("smb", plan.SMB)
	p.strings("sudo_commands", plan.SudoCommands)
	p.strings("sudo_commands_nopasswd", plan.SudoCommandsNopasswd)
	p.ints("users", plan.Users)
	return p
}

func buildGroupUpdate(plan, state groupModel) *payload {
	p := newPayload()
	if !plan.Name.Equal(state.Name) {
		p.str("name", plan.Name)
	}
	if !plan.SMB.Equal(state.SMB) {
		p.boolean("smb", plan.SMB)
	}
	// Both lists when either changes (CORE says them in three fields).
	if !plan.SudoCommands.Equal(state.SudoCommands) || !plan.SudoCommandsNopasswd.Equal(state.SudoCommandsNopasswd) {
		p.strings("sudo_commands", plan.SudoCommands)
		p.strings("sudo_commands_nopasswd", plan.SudoCommandsNopasswd)
	}
	// Only where the release renumbers in place (CORE 13.3: idReplaces).
	if known(plan.GID) && known(state.GID) && !plan.GID.Equal(state.GID) {
		p.int64("gid", plan.GID)
	}
	if !plan.Users.IsNull() && !plan.Users.Equal(state.Users) {
		p.ints("users", plan.Users)
	}
	return p
}

// checkGroupPayload runs the plan-time rules: static ones, seeing the
// current group (old, from state) on update, never the box.
func checkGroupPayload(p *payload, old *account.GroupEntry) account.Errors {
	return checkPayload(p, old == nil, account.DecodeGroupCreate, account.DecodeGroupUpdate, func(gp *account.GroupPayload) account.Errors {
		if old == nil {
			return account.StaticGroupChecks(gp)
		}
		return account.CheckGroup(gp, old, nil)
	})
}

// oldGroup is the group as the state knows it.
func oldGroup(s groupModel) *account.GroupEntry {
	id, _ := parseID(s.ID.ValueString())
	e := &account.GroupEntry{ID: id, GID: s.GID.ValueInt64(), Name: s.Name.ValueString(), Group: s.Name.ValueString(),
		SMB: s.SMB.ValueBool(), Builtin: s.Builtin.ValueBool(), Local: s.Local.ValueBool()}
	e.SudoCommands, _ = listStrings(s.SudoCommands)
	e.SudoCommandsNopasswd, _ = listStrings(s.SudoCommandsNopasswd)
	e.Users, _ = setInts(s.Users)
	return e
}

func (r *groupResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var plan groupModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	rel, relKnown := r.c.releaseAtPlan(ctx)
	check := func(p *payload, old *account.GroupEntry) {
		if !relKnown || !coreRelease(rel) {
			addValidationErrors(&resp.Diagnostics, "Invalid group", checkGroupPayload(p, old), groupPathMapper)
			return
		}
		es, err := checkCoreGroup(p, old, rel)
		if err != nil && !addCoreError(&resp.Diagnostics, "Invalid group", err) {
			resp.Diagnostics.AddError("Invalid group", err.Error())
		}
		addValidationErrors(&resp.Diagnostics, "Invalid group", es, coreSudoMapper(p, groupPathMapper))
	}
	if req.State.Raw.IsNull() {
		check(buildGroupCreate(plan), nil)
		return
	}
	var state groupModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// A configured gid change replaces the group, except on CORE 13.3.
	if idReplaces(plan.GID, state.GID, rel, relKnown) {
		resp.RequiresReplace = append(resp.RequiresReplace, tfpath.Root("gid"))
		return
	}
	p := buildGroupUpdate(plan, state)
	if len(p.m) > 0 {
		check(p, oldGroup(state))
	}
	var cfgUsers types.Set
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, tfpath.Root("users"), &cfgUsers)...)
	if cfgUsers.IsNull() && plan.Users.IsUnknown() {
		// Membership is not managed here: an update does not change it.
		plan.Users = state.Users
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, tfpath.Root("users"), state.Users)...)
	}
	if plan.Users.Equal(state.Users) {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, tfpath.Root("roles"), state.Roles)...)
	}
}

// primaryMembers returns the ids of the users whose primary group is gid
// (DB id).
func (c *client) primaryMembers(ctx context.Context, groupID int64) ([]int64, error) {
	us, err := c.Users(ctx)
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, u := range us {
		if u.Group.ID == groupID {
			out = append(out, u.ID)
		}
	}
	return out, nil
}

// groupState builds the state from an entry. When prior lists users, the
// primary members it does not list are hidden.
func groupState(prior groupModel, e *account.GroupEntry, primary []int64) groupModel {
	s := prior
	s.ID = types.StringValue(fmt.Sprint(e.ID))
	s.GID = types.Int64Value(e.GID)
	s.Name = types.StringValue(e.Name)
	s.SMB = types.BoolValue(e.SMB)
	s.SudoCommands = stringList(e.SudoCommands)
	s.SudoCommandsNopasswd = stringList(e.SudoCommandsNopasswd)
	users := slices.Clone(e.Users)
	if known(prior.Users) {
		listed, _ := setInts(prior.Users)
		users = slices.DeleteFunc(users, func(id int64) bool {
			return slices.Contains(primary, id) && !slices.Contains(listed, id)
		})
	}
	s.Users = int64Set(users)
	s.Builtin = types.BoolValue(e.Builtin)
	s.Local = types.BoolValue(e.Local)
	s.Roles = stringList(e.Roles)
	return s
}

// kind is what the shared CRUD steps (crud.go) know of groups.
func (r *groupResource) kind() entryKind[groupModel] {
	return entryKind[groupModel]{c: r.c, noun: "group", api: "group",
		id: func(m groupModel) types.String { return m.ID },
		read: func(ctx context.Context, prior groupModel, id int64) (*groupModel, error) {
			e, err := r.c.groupByID(ctx, id)
			if err != nil || e == nil {
				return nil, err
			}
			primary, err := r.c.primaryMembers(ctx, id)
			if err != nil {
				return nil, err
			}
			s := groupState(prior, e, primary)
			return &s, nil
		},
		names: namesOf(r.c.Groups, func(g account.GroupEntry) (string, int64) { return g.Name, g.ID }),
	}
}

func (r *groupResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.kind().create(ctx, req, resp, func(ctx context.Context, plan *groupModel, diags *diag.Diagnostics) (int64, *groupModel) {
		raw, err := r.c.write(ctx, "group.create", buildGroupCreate(*plan).m)
		if err != nil {
			if !addCoreError(diags, "Cannot create group", err) {
				addEngineErrors(diags, "Cannot create group", err, groupPathMapper)
			}
			return 0, nil
		}
		return decodeID(raw), nil
	})
}

func (r *groupResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	r.kind().refresh(ctx, req, resp)
}

func (r *groupResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	r.kind().update(ctx, req, resp, func(ctx context.Context, plan *groupModel, state groupModel, id int64, diags *diag.Diagnostics) *groupModel {
		p := buildGroupUpdate(*plan, state)
		if users, ok := p.m["users"].([]int64); ok {
			primary, err := r.c.primaryMembers(ctx, id)
			if err != nil {
				addEngineErrors(diags, "Cannot update group", err, nil)
				return nil
			}
			for _, u := range primary {
				if !slices.Contains(users, u) {
					users = append(users, u)
				}
			}
			p.m["users"] = users
		}
		if len(p.m) > 0 {
			if _, err := r.c.write(ctx, "group.update", id, p.m); err != nil && !addCoreError(diags, "Cannot update group", err) {
				addEngineErrors(diags, "Cannot update group", err, groupPathMapper)
			}
		}
		return nil
	})
}

func (r *groupResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	r.kind().remove(ctx, req, resp, func(ctx context.Context, _ groupModel, id int64, diags *diag.Diagnostics) {
		r.kind().deleteCall(ctx, id, diags, map[string]any{"delete_users": false})
	})
}

func (r *groupResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if !r.kind().importState(ctx, req, resp) {
		return
	}
	// An empty known list makes the Read that follows hide the members
	// whose primary group this is, as it does for a group created here, so
	// an imported group plans no change against a configuration that
	// lists only its auxiliary members (or none).
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, tfpath.Root("users"), types.SetValueMust(types.Int64Type, nil))...)
}
