package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	tfpath "github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// Defaults of user.create that the resource makes explicit in the plan.
const (
	defaultHomeMode = "700"
	defaultUserSMB  = true
)

var (
	_ resource.Resource                   = (*userResource)(nil)
	_ resource.ResourceWithConfigure      = (*userResource)(nil)
	_ resource.ResourceWithImportState    = (*userResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*userResource)(nil)
	_ resource.ResourceWithValidateConfig = (*userResource)(nil)
)

// NewUserResource returns the truenas_user resource.
func NewUserResource() resource.Resource { return &userResource{} }

type userResource struct{ providerClient }

type userModel struct {
	ID                   types.String `tfsdk:"id"`
	UID                  types.Int64  `tfsdk:"uid"`
	Username             types.String `tfsdk:"username"`
	FullName             types.String `tfsdk:"full_name"`
	Email                types.String `tfsdk:"email"`
	Group                types.Int64  `tfsdk:"group"`
	GroupCreate          types.Bool   `tfsdk:"group_create"`
	Groups               types.Set    `tfsdk:"groups"`
	Home                 types.String `tfsdk:"home"`
	HomeCreate           types.Bool   `tfsdk:"home_create"`
	HomeMode             types.String `tfsdk:"home_mode"`
	HomeDirectory        types.String `tfsdk:"home_directory"`
	Shell                types.String `tfsdk:"shell"`
	Password             types.String `tfsdk:"password"`
	PasswordWO           types.String `tfsdk:"password_wo"`
	PasswordWOVersion    types.Int64  `tfsdk:"password_wo_version"`
	PasswordDisabled     types.Bool   `tfsdk:"password_disabled"`
	SSHPubKey            types.String `tfsdk:"sshpubkey"`
	Locked               types.Bool   `tfsdk:"locked"`
	SMB                  types.Bool   `tfsdk:"smb"`
	Webshare             types.Bool   `tfsdk:"webshare"`
	MicrosoftAccount     types.Bool   `tfsdk:"microsoft_account"`
	SudoCommands         types.List   `tfsdk:"sudo_commands"`
	SudoCommandsNopasswd types.List   `tfsdk:"sudo_commands_nopasswd"`
	SSHPasswordEnabled   types.Bool   `tfsdk:"ssh_password_enabled"`
	Builtin              types.Bool   `tfsdk:"builtin"`
	Immutable            types.Bool   `tfsdk:"immutable"`
	Local                types.Bool   `tfsdk:"local"`
	Roles                types.List   `tfsdk:"roles"`
}

func (r *userResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_user"
}

func (r *userResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A local TrueNAS user (`user.*`). Attribute names are TrueNAS's field names. Releases: every attribute exists on TrueNAS SCALE (25.04 and later) and on TrueNAS CORE 13.3 unless its description names the releases that have it. " +
			"The payload that `apply` will send is checked at plan time with the same rules the box enforces " +
			"(names, paths, password and SMB rules, sudo commands...), so most mistakes are reported by `terraform plan`.\n\n" +
			"Group membership can be managed here (`groups`) or from the group (`truenas_group.users`): pick one " +
			"side per group. Use `groups` when memberships belong to the user (the usual case); use the group's " +
			"`users` when a group owns a closed list of members. Leave `groups` unset to not manage the user's " +
			"auxiliary groups at all.\n\n" +
			importDoc("truenas_user", "username", "alice") + " " +
			"TrueNAS never returns `password`, `group_create`, `home_create` or `home_mode`: after an import they are " +
			"null (not known), `home` is the home's full path, and setting them in the configuration as they were used " +
			"plans an in-place update that only records them in the state (nothing is sent to the box, nothing is replaced).",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{Computed: true,
				MarkdownDescription: "The user's TrueNAS database id (not the uid), as a string.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
			"uid": schema.Int64Attribute{Optional: true, Computed: true,
				MarkdownDescription: fmt.Sprintf("POSIX uid, 0 to %d. Default: the next free uid from %d (from %d on TrueNAS CORE 13.3). Changing it replaces the user on TrueNAS SCALE (25.04+ cannot renumber a user); on CORE 13.3 it is changed in place, as CORE allows.", account.MaxLocalID, account.MinAutoID, account.CoreFirstID),
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()}},
			"username": schema.StringAttribute{Required: true,
				MarkdownDescription: fmt.Sprintf("Login name: 1 to 32 characters `[A-Za-z0-9_.-]`, starting with a letter or `_` (`$` allowed only as the last character); at most %d characters on TrueNAS CORE 13.3. Renaming is done in place; the home directory is not renamed.", account.CoreMaxUsernameLength)},
			"full_name": schema.StringAttribute{Required: true,
				MarkdownDescription: "Full name (GECOS). Required by TrueNAS; may not contain `:` or a newline. `provider::truenas::suggest_username(full_name)` suggests a username from it."},
			"email": schema.StringAttribute{Optional: true,
				MarkdownDescription: fmt.Sprintf("E-mail address, checked as the box's release checks it. **TrueNAS 25.10** (pydantic's EmailStr): at most %d characters, at most %d before the `@`, no leading, trailing or doubled `.`, a domain with a period; `\"Ann Lee <Ann@Example.COM>\"` and surrounding spaces are accepted and TrueNAS stores the bare address with the domain in lower case (`Ann@example.com`); the value written here is kept in the state, so it shows no drift. **TrueNAS 26.0** (its EmailString): at most %d characters with an `@` that has text on both sides, stored as written. Default: none (null). `\"\"` is accepted and means none too.", account.EmailMaxLength, account.EmailLocalMaxLen, account.EmailStringMaxLength)},
			"group": schema.Int64Attribute{Optional: true, Computed: true,
				MarkdownDescription: "Database id (not gid) of the primary group, e.g. `truenas_group.x.id`. Exactly one of `group` and `group_create = true` must be given.",
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()}},
			"group_create": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				MarkdownDescription: "Create a primary group named after the user (TrueNAS reuses an existing local group of that name). A group created this way is deleted with the user; a reused one is kept. Default: `false`. Changing it replaces the user, except after an import, where it is not known (null) and the configured value is only recorded.",
				PlanModifiers: []planmodifier.Bool{notReadBack{},
					boolplanmodifier.RequiresReplaceIf(replaceIfKnown, replaceIfKnownText, replaceIfKnownText)}},
			"groups": schema.SetAttribute{ElementType: types.Int64Type, Optional: true, Computed: true,
				MarkdownDescription: fmt.Sprintf("Database ids of the auxiliary groups (at most %d). Unset: memberships are not managed by this resource. TrueNAS adds `%s` to a new SMB user; unless you list it here it is left alone and not shown, so plans stay empty.", account.MaxAuxGroups, builtinUsersGroup),
				PlanModifiers:       []planmodifier.Set{setplanmodifier.UseStateForUnknown()}},
			"home": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString(account.DefaultHome),
				MarkdownDescription: fmt.Sprintf("Home directory: `%s` or an existing path below `/mnt/<pool>/...`. With `home_create = true` it is the parent and the home becomes `<home>/<username>`; the value you wrote is kept in state. Default: `%s`. On TrueNAS CORE 13.3 the default is sent as CORE's \"no home\", `%s` (either is accepted and kept as written); there the box creates a home that does not exist either way, and with `home_create = true` a `home` that already ends with the username is the home itself (CORE's rule), not its parent.", account.DefaultHome, account.DefaultHome, account.CoreDefaultHome)},
			"home_create": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				MarkdownDescription: "Create the home directory `<home>/<username>`. Default: `false`. Not returned by TrueNAS: null after an import. TrueNAS SCALE and CORE 13.3 (CORE has no such field: the provider sends CORE the home path its web UI would, `<home>/<username>` unless `home` ends with the username).",
				PlanModifiers:       []planmodifier.Bool{notReadBack{}}},
			"home_mode": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString(defaultHomeMode),
				MarkdownDescription: fmt.Sprintf("Octal mode of the home directory; must keep it readable and executable by the user. Not read back from the box: null after an import, and the first value configured after an import is recorded, not sent. Default: `%s`.", defaultHomeMode),
				PlanModifiers:       []planmodifier.String{notReadBack{}}},
			"home_directory": schema.StringAttribute{Computed: true,
				MarkdownDescription: "The user's home directory on the box, as TrueNAS reports it: `<home>/<username>` with `home_create = true` " +
					"(where `home` keeps the parent you wrote), else `home`. Read-only; use it in outputs and other resources " +
					"(for example `truenas_user.alice.home_directory` is `/mnt/tank/alice` for `home = \"/mnt/tank\"`). " +
					"A rename keeps it, as TrueNAS does not move the home."},
			"shell": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString(account.DefaultShell),
				MarkdownDescription: fmt.Sprintf("Login shell: a `/usr/bin/*` shell of the box's `/etc/shells` or `%s`. Default: `%s`. On TrueNAS CORE 13.3 (FreeBSD) any shell of its `/etc/shells`, e.g. `%s`: set it there, as SCALE's default is no CORE shell.", account.NologinShell, account.DefaultShell, account.CoreDefaultShell)},
			"password": schema.StringAttribute{Optional: true, Sensitive: true,
				MarkdownDescription: "Password (stored in state; prefer `password_wo` with Terraform or OpenTofu 1.11+). Required unless `password_disabled` is true. Sent only when it changes; removing it from the configuration keeps the current password on the box.",
				Validators:          []validator.String{stringvalidator.ConflictsWith(tfpath.MatchRoot("password_wo"))}},
			// Not marked Sensitive: Terraform never holds a write-only value in
			// a plan or a state, and shows it as "(write-only attribute)"
			// either way (before 1.11 the framework refuses one). Each
			// sensitive attribute costs Terraform work on every instance, and
			// with two of them it writes their paths in a random order, so
			// it takes every refreshed state for drift and compares it again:
			// a tenth of a 1,000-user plan (CONTRIBUTING.md, Performance).
			// TestSecretsAreNeverShown guards the WriteOnly.
			"password_wo": schema.StringAttribute{Optional: true, WriteOnly: true,
				MarkdownDescription: "Write-only password (Terraform or OpenTofu 1.11+): never stored in the plan or the state, shown as `(write-only attribute)`. Sent on create and whenever `password_wo_version` changes."},
			"password_wo_version": schema.Int64Attribute{Optional: true,
				MarkdownDescription: "Change this number to send `password_wo` again."},
			"password_disabled": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				MarkdownDescription: "Disable password login. Requires `smb = false` and no password. Default: `false`."},
			"sshpubkey": schema.StringAttribute{Optional: true,
				MarkdownDescription: "SSH public key(s), written to `<home>/.ssh/authorized_keys`; needs a home in a pool. Surrounding whitespace is ignored."},
			"locked": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				MarkdownDescription: "Lock the account. Default: `false`."},
			"smb": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(defaultUserSMB),
				MarkdownDescription: fmt.Sprintf("SMB user. Default: `%t`. Needs a password; turning it on for an existing user needs a new password in the same apply.", defaultUserSMB)},
			"webshare": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				MarkdownDescription: "WebShare access: TrueNAS makes the user a member of its built-in `truenas_webshare` group (which `groups` then leaves out unless you list it). **TrueNAS 26.0 and later only**: on 25.10 only `false` (the default, never sent) is accepted and `true` is refused at plan time. TrueNAS refuses it for root. Default: `false`."},
			"sudo_commands": schema.ListAttribute{ElementType: types.StringType, Optional: true, Computed: true, Default: listdefault.StaticValue(emptyStringList()),
				MarkdownDescription: "Commands the user may run with sudo (password required): absolute, normalised paths with optional arguments, or `[\"ALL\"]` alone. Default: `[]`. " + coreSudoDoc},
			"sudo_commands_nopasswd": schema.ListAttribute{ElementType: types.StringType, Optional: true, Computed: true, Default: listdefault.StaticValue(emptyStringList()),
				MarkdownDescription: "Commands the user may run with sudo without a password; same rules as `sudo_commands`. Default: `[]`. TrueNAS SCALE and CORE 13.3 (see `sudo_commands`)."},
			"ssh_password_enabled": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				MarkdownDescription: "Allow SSH password login (needs a real home and a login shell). Default: `false`. TrueNAS SCALE only: CORE 13.3 has no such field (its SSH service decides), so there only `false`, never sent, is accepted and `true` is refused at plan time."},
			"microsoft_account": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				MarkdownDescription: "CORE's **Microsoft Account** flag (the user logs in with a Microsoft account's e-mail address; CORE keeps it for SMB). **TrueNAS CORE 13.3 only**: on SCALE only `false` (the default, never sent) is accepted and `true` is refused at plan time. Default: `false`."},
			"builtin": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the user comes with the OS image.",
				PlanModifiers: []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()}},
			"immutable": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether TrueNAS forbids changing the user's identity.",
				PlanModifiers: []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()}},
			"local": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the user is a local (not directory-service) user.",
				PlanModifiers: []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()}},
			"roles": schema.ListAttribute{ElementType: types.StringType, Computed: true,
				MarkdownDescription: "Roles the user gets from the privileges of its groups (e.g. `FULL_ADMIN`)."},
		},
	}
}

// userFields are the TrueNAS user fields that have a Terraform attribute of
// the same name; list says whether an index addresses a list element.
var userFields = map[string]bool{
	"uid": false, "username": false, "full_name": false, "email": false, "group": false, "group_create": false,
	"groups": false, "home": false, "home_create": false, "home_mode": false, "shell": false, "password": false,
	"password_disabled": false, "sshpubkey": false, "locked": false, "smb": false, "sudo_commands": true,
	"sudo_commands_nopasswd": true, "ssh_password_enabled": false,
}

// userPathMapper maps TrueNAS user fields to attributes; password errors go
// to password_wo when that is the one in use.
func userPathMapper(useWO bool) pathMapper {
	return func(field string) (tfpath.Path, bool, bool) {
		if field == "password" && useWO {
			return tfpath.Root("password_wo"), false, true
		}
		list, ok := userFields[field]
		if !ok {
			return tfpath.Empty(), false, false
		}
		return tfpath.Root(field), list, true
	}
}

// passwordFrom returns the password to send on create: password, else
// password_wo (from the configuration, as write-only values are never in
// the plan).
func passwordFrom(plan userModel, cfgWO types.String) types.String {
	if !plan.Password.IsNull() {
		return plan.Password
	}
	return cfgWO
}

// buildUserCreate builds the user.create payload from the plan.
func buildUserCreate(plan userModel, cfgWO types.String) *payload {
	p := newPayload()
	p.int64("uid", plan.UID)
	p.str("username", plan.Username)
	p.str("full_name", plan.FullName)
	if !(known(plan.Email) && plan.Email.ValueString() == "") {
		p.str("email", plan.Email)
	}
	if !(known(plan.Group) && plan.Group.ValueInt64() == 0) {
		p.int64("group", plan.Group)
	}
	if known(plan.GroupCreate) && plan.GroupCreate.ValueBool() {
		p.m["group_create"] = true
	} else {
		p.boolean("group_create", plan.GroupCreate)
	}
	p.ints("groups", plan.Groups)
	p.str("home", plan.Home)
	p.boolean("home_create", plan.HomeCreate)
	p.str("home_mode", plan.HomeMode)
	p.str("shell", plan.Shell)
	p.str("password", passwordFrom(plan, cfgWO))
	p.boolean("password_disabled", plan.PasswordDisabled)
	if known(plan.SSHPubKey) {
		if k := strings.TrimSpace(plan.SSHPubKey.ValueString()); k != "" {
			p.m["sshpubkey"] = k
		}
	} else {
		p.str("sshpubkey", plan.SSHPubKey)
	}
	p.boolean("locked", plan.Locked)
	p.boolean("smb", plan.SMB)
	p.boolean("webshare", plan.Webshare)
	p.boolean("microsoft_account", plan.MicrosoftAccount)
	p.strings("sudo_commands", plan.SudoCommands)
	p.strings("sudo_commands_nopasswd", plan.SudoCommandsNopasswd)
	p.boolean("ssh_password_enabled", plan.SSHPasswordEnabled)
	return p
}

// buildUserUpdate builds the user.update payload: only what differs
// between the plan and the state. The password is sent only when it
// changed (or password_wo_version changed).
func buildUserUpdate(plan, state userModel, cfgWO types.String) *payload {
	p := newPayload()
	if !plan.Username.Equal(state.Username) {
		p.str("username", plan.Username)
	}
	if !plan.FullName.Equal(state.FullName) {
		p.str("full_name", plan.FullName)
	}
	if emailValue(plan.Email) != emailValue(state.Email) || plan.Email.IsUnknown() {
		if known(plan.Email) && plan.Email.ValueString() != "" {
			p.m["email"] = plan.Email.ValueString()
		} else if plan.Email.IsUnknown() {
			p.unknown["email"] = true
		} else {
			p.m["email"] = nil
		}
	}
	if !plan.Group.IsNull() && !plan.Group.Equal(state.Group) {
		p.int64("group", plan.Group)
	}
	if !plan.Groups.IsNull() && !plan.Groups.Equal(state.Groups) {
		p.ints("groups", plan.Groups)
	}
	homeSent := false
	if (!plan.Home.Equal(state.Home) || !plan.HomeCreate.Equal(state.HomeCreate)) && !sameHomeAsImported(plan, state) {
		p.str("home", plan.Home)
		p.boolean("home_create", plan.HomeCreate)
		homeSent = true
	}
	// home_mode not known since an import is recorded, not sent, unless
	// the home changes with it.
	if !plan.HomeMode.Equal(state.HomeMode) && (!state.HomeMode.IsNull() || homeSent) {
		p.str("home_mode", plan.HomeMode)
	}
	if !plan.Shell.Equal(state.Shell) {
		p.str("shell", plan.Shell)
	}
	switch {
	case plan.Password.IsUnknown():
		p.unknown["password"] = true
	case known(plan.Password) && !plan.Password.Equal(state.Password):
		p.m["password"] = plan.Password.ValueString()
	case !plan.PasswordWOVersion.Equal(state.PasswordWOVersion) && !cfgWO.IsNull():
		p.str("password", cfgWO)
	}
	if !plan.PasswordDisabled.Equal(state.PasswordDisabled) {
		p.boolean("password_disabled", plan.PasswordDisabled)
	}
	if plan.SSHPubKey.IsUnknown() {
		p.unknown["sshpubkey"] = true
	} else if trimmedKey(plan.SSHPubKey) != trimmedKey(state.SSHPubKey) {
		if k := trimmedKey(plan.SSHPubKey); k != "" {
			p.m["sshpubkey"] = k
		} else {
			p.m["sshpubkey"] = nil
		}
	}
	if !plan.Locked.Equal(state.Locked) {
		p.boolean("locked", plan.Locked)
	}
	if !plan.SMB.Equal(state.SMB) {
		p.boolean("smb", plan.SMB)
	}
	if !plan.Webshare.Equal(state.Webshare) && !(!plan.Webshare.ValueBool() && state.Webshare.IsNull()) {
		p.boolean("webshare", plan.Webshare)
	}
	if !plan.MicrosoftAccount.Equal(state.MicrosoftAccount) && !(!plan.MicrosoftAccount.ValueBool() && state.MicrosoftAccount.IsNull()) {
		p.boolean("microsoft_account", plan.MicrosoftAccount)
	}
	// Both lists when either changes: CORE 13.3 says them in three fields
	// that depend on both (coreSudoFields).
	if !plan.SudoCommands.Equal(state.SudoCommands) || !plan.SudoCommandsNopasswd.Equal(state.SudoCommandsNopasswd) {
		p.strings("sudo_commands", plan.SudoCommands)
		p.strings("sudo_commands_nopasswd", plan.SudoCommandsNopasswd)
	}
	// A uid change reaches update only where the release renumbers in
	// place (CORE 13.3: idReplaces); elsewhere it replaces the user.
	if known(plan.UID) && known(state.UID) && !plan.UID.Equal(state.UID) {
		p.int64("uid", plan.UID)
	}
	if !plan.SSHPasswordEnabled.Equal(state.SSHPasswordEnabled) {
		p.boolean("ssh_password_enabled", plan.SSHPasswordEnabled)
	}
	return p
}

// sameHomeAsImported says whether plan describes the home the box has for a
// user whose home_create is not known (null since an import, when home is
// the full path TrueNAS reports): `home = "/mnt/tank"` with home_create
// for the home /mnt/tank/alice of alice. Then nothing is sent: TrueNAS
// would only be asked for the home the user has.
func sameHomeAsImported(plan, state userModel) bool {
	if !state.HomeCreate.IsNull() || !known(state.Home) || !known(plan.Home) || !known(plan.Username) {
		return false
	}
	want := plan.Home.ValueString()
	if known(plan.HomeCreate) && plan.HomeCreate.ValueBool() {
		want = path.Join(want, plan.Username.ValueString())
	} else if !plan.HomeCreate.IsNull() && !known(plan.HomeCreate) {
		return false
	}
	return path.Clean(want) == path.Clean(state.Home.ValueString())
}

// userSecrets are the values of a payload that must not reach a diagnostic.
func userSecrets(p *payload) []string {
	if pw, ok := p.m["password"].(string); ok {
		return []string{pw}
	}
	return nil
}

// sameEmail says whether the written address v is what TrueNAS stores as
// stored (account.NormalizeEmail, the engine's and TrueNAS's rule).
func sameEmail(v types.String, stored string) bool {
	if !known(v) || v.ValueString() == "" {
		return false
	}
	n, msg := account.NormalizeEmail(v.ValueString())
	return msg == "" && n == stored
}

func emailValue(v types.String) string {
	if !known(v) {
		return ""
	}
	return v.ValueString()
}

func trimmedKey(v types.String) string {
	if !known(v) {
		return ""
	}
	return strings.TrimSpace(v.ValueString())
}

// checkUserPayload runs the plan-time rules on a payload: the static rules,
// seeing the current user (old, from state) on update, never the box.
func checkUserPayload(p *payload, old *account.UserEntry) account.Errors {
	return checkUserPayloadFor(nil, p, old)
}

// checkUserPayloadFor judges p by m, the box's model when the run has read
// it already; with none, a payload with webshare is 26.0's (ModifyPlan
// refuses it for 25.10 and the write leaves it out there).
func checkUserPayloadFor(m *account.Model, p *payload, old *account.UserEntry) account.Errors {
	if m == nil {
		m = account.ModelV25_10_5
		if _, ok := p.m["webshare"]; ok || p.unknown["webshare"] {
			m = account.ModelV26_0_0
		}
	}
	if !m.Webshare {
		delete(p.m, "webshare") // never sent there (webshareFits)
	}
	return checkPayload(p, old == nil, m.DecodeUserCreate, m.DecodeUserUpdate, func(up *account.UserPayload) account.Errors {
		if old == nil {
			return account.StaticUserChecks(up)
		}
		return account.CheckUser(up, old, nil)
	})
}

// oldUser is the user as the state knows it, for the update rules.
func oldUser(s userModel) *account.UserEntry {
	id, _ := parseID(s.ID.ValueString())
	e := &account.UserEntry{ID: id, UID: s.UID.ValueInt64(), Username: s.Username.ValueString(),
		FullName: s.FullName.ValueString(), Home: s.Home.ValueString(), Shell: s.Shell.ValueString(),
		SMB: s.SMB.ValueBool(), PasswordDisabled: s.PasswordDisabled.ValueBool(), Locked: s.Locked.ValueBool(),
		SSHPasswordEnabled: s.SSHPasswordEnabled.ValueBool(), Builtin: s.Builtin.ValueBool(),
		Immutable: s.Immutable.ValueBool(), Local: s.Local.ValueBool(),
		Group: account.UserGroupRef{ID: s.Group.ValueInt64()}}
	e.Groups, _ = setInts(s.Groups)
	e.SudoCommands, _ = listStrings(s.SudoCommands)
	e.SudoCommandsNopasswd, _ = listStrings(s.SudoCommandsNopasswd)
	if known(s.SSHPubKey) {
		k := strings.TrimSpace(s.SSHPubKey.ValueString())
		e.SSHPubKey = &k
	}
	if known(s.Email) && s.Email.ValueString() != "" {
		m := s.Email.ValueString()
		e.Email = &m
	}
	if known(s.HomeCreate) && s.HomeCreate.ValueBool() {
		e.Home = path.Join(e.Home, e.Username)
	}
	return e
}

func (r *userResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	// Two attributes, not the whole model: this runs for every user of
	// every plan, and decoding into the struct is most of its cost.
	var wo types.String
	var woVersion types.Int64
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, tfpath.Root("password_wo"), &wo)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, tfpath.Root("password_wo_version"), &woVersion)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !wo.IsNull() && woVersion.IsNull() {
		resp.Diagnostics.AddAttributeWarning(tfpath.Root("password_wo_version"), "password_wo without password_wo_version",
			"password_wo is sent on create only unless password_wo_version is set; change password_wo_version to send a new password.")
	}
}

func (r *userResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	if req.Plan.Raw.Equal(req.State.Raw) {
		// Nothing changes (the usual case in a refresh plan): there is no
		// payload to check and nothing to adjust, so skip decoding plan
		// and state into the model, the costly part of this method.
		return
	}
	var plan userModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	var cfgWO types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, tfpath.Root("password_wo"), &cfgWO)...)
	if resp.Diagnostics.HasError() {
		return
	}
	useWO := plan.Password.IsNull() && !cfgWO.IsNull()
	// The release decides which rules judge the payload: read once per
	// run; a box not reachable yet is checked at apply.
	rel, relKnown := r.c.releaseAtPlan(ctx)
	core := relKnown && coreRelease(rel)
	if !core && r.webshareRefused(ctx, plan.Webshare, &resp.Diagnostics) {
		return
	}
	check := func(p *payload, old *account.UserEntry) {
		if core {
			es, err := checkCoreUser(p, old, rel)
			if err != nil && !addCoreError(&resp.Diagnostics, "Invalid user", err) {
				resp.Diagnostics.AddError("Invalid user", err.Error())
			}
			addValidationErrors(&resp.Diagnostics, "Invalid user", redactErrors(es, userSecrets(p)), coreSudoMapper(p, userPathMapper(useWO)))
			return
		}
		if relKnown && !scaleFits(p, rel, &resp.Diagnostics) {
			return
		}
		delete(p.m, "microsoft_account") // false, never sent to SCALE
		addValidationErrors(&resp.Diagnostics, "Invalid user", redactErrors(checkUserPayloadFor(r.c.knownModel(), p, old), userSecrets(p)), userPathMapper(useWO))
	}
	if req.State.Raw.IsNull() {
		check(buildUserCreate(plan, cfgWO), nil)
		return
	}
	var state userModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// A configured uid change replaces the user, except on CORE 13.3.
	if idReplaces(plan.UID, state.UID, rel, relKnown) {
		resp.RequiresReplace = append(resp.RequiresReplace, tfpath.Root("uid"))
		return
	}
	p := buildUserUpdate(plan, state, cfgWO)
	if len(p.m) > 0 {
		check(p, oldUser(state))
	}
	if known(plan.SMB) && plan.SMB.ValueBool() && known(state.SMB) && !state.SMB.ValueBool() {
		if _, ok := p.m["password"]; !ok && !p.unknown["password"] {
			resp.Diagnostics.AddAttributeError(tfpath.Root("smb"), "SMB needs a new password",
				"Password must be reset in order to enable SMB authentication: TrueNAS computes the SMB (NT) hash only "+
					"from a password sent in the same call. Change `password` (or `password_wo` and `password_wo_version`) "+
					"in the same apply as `smb = true`.")
		}
	}
	// The home stays where it is unless home or home_create is sent (a
	// rename does not move it).
	if _, sent := p.m["home"]; !sent && !p.unknown["home"] && known(state.HomeDirectory) {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, tfpath.Root("home_directory"), state.HomeDirectory)...)
	}
	// Roles depend on the groups; keep them when nothing about groups changes.
	if plan.Group.Equal(state.Group) && plan.Groups.Equal(state.Groups) {
		plan.Roles = state.Roles
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, tfpath.Root("roles"), state.Roles)...)
	}
}

// userState builds the state from an entry, keeping what the user wrote
// where TrueNAS reports an equivalent value differently.
func userState(prior userModel, e *account.UserEntry, auto autoGroups) userModel {
	s := prior
	s.ID = types.StringValue(fmt.Sprint(e.ID))
	s.UID = types.Int64Value(e.UID)
	s.Username = types.StringValue(e.Username)
	s.FullName = types.StringValue(e.FullName)
	switch {
	case e.Email == nil || *e.Email == "":
		if known(prior.Email) && prior.Email.ValueString() == "" {
			s.Email = types.StringValue("")
		} else {
			s.Email = types.StringNull()
		}
	case sameEmail(prior.Email, *e.Email):
		// TrueNAS stores the address as pydantic's EmailStr returns it
		// ("Ann <Ann@Example.COM>" becomes "Ann@example.com"): what was
		// written stays in the state, so there is no drift.
	default:
		s.Email = types.StringValue(*e.Email)
	}
	s.Group = types.Int64Value(e.Group.ID)
	// group_create, home_create and home_mode are never returned: they keep
	// what the plan said, or stay null after an import (see notReadBack).
	s.GroupCreate = nullIfUnknownBool(prior.GroupCreate)
	s.HomeCreate = nullIfUnknownBool(prior.HomeCreate)
	s.HomeMode = nullIfUnknownString(prior.HomeMode)
	groups := slices.Clone(e.Groups)
	priorIDs, _ := setInts(prior.Groups)
	groups = slices.DeleteFunc(groups, func(id int64) bool { return auto.hides(id) && !slices.Contains(priorIDs, id) })
	s.Groups = int64Set(groups)
	switch {
	case known(prior.Home) && prior.Home.ValueString() == e.Home:
	case known(prior.Home) && noHome(prior.Home.ValueString()) && noHome(e.Home):
		// No home, in the written release's words (CORE 13.3 says
		// /nonexistent for SCALE's /var/empty).
	case known(prior.Home) && account.NormalizeHome(prior.Home.ValueString()) == e.Home:
		// The engine stores the home normalised ("/mnt/tank/x/" as
		// "/mnt/tank/x"): the value written is kept.
	case known(prior.Home) && s.HomeCreate.ValueBool() &&
		path.Dir(path.Clean(e.Home)) == path.Clean(prior.Home.ValueString()):
		// <home>/<username>; after a rename the home keeps the old name.
	default:
		s.Home = types.StringValue(e.Home)
	}
	s.HomeDirectory = types.StringValue(e.Home)
	s.Shell = types.StringValue(e.Shell)
	if prior.Password.IsUnknown() {
		s.Password = types.StringNull()
	}
	s.PasswordWO = types.StringNull()
	if prior.PasswordWOVersion.IsUnknown() {
		s.PasswordWOVersion = types.Int64Null()
	}
	s.PasswordDisabled = types.BoolValue(e.PasswordDisabled)
	switch {
	case e.SSHPubKey == nil || strings.TrimSpace(*e.SSHPubKey) == "":
		if known(prior.SSHPubKey) && strings.TrimSpace(prior.SSHPubKey.ValueString()) == "" {
			// keep "" (or whitespace) as written
		} else {
			s.SSHPubKey = types.StringNull()
		}
	case known(prior.SSHPubKey) && strings.TrimSpace(prior.SSHPubKey.ValueString()) == strings.TrimSpace(*e.SSHPubKey):
	default:
		s.SSHPubKey = types.StringValue(*e.SSHPubKey)
	}
	s.Locked = types.BoolValue(e.Locked)
	s.SMB = types.BoolValue(e.SMB)
	switch {
	case e.Webshare != nil:
		s.Webshare = types.BoolValue(*e.Webshare)
	case !known(prior.Webshare):
		// A release without webshare (25.10): the default, never sent.
		s.Webshare = types.BoolValue(false)
	}
	switch {
	case e.MicrosoftAccount != nil:
		s.MicrosoftAccount = types.BoolValue(*e.MicrosoftAccount)
	case !known(prior.MicrosoftAccount):
		// SCALE, which has no such field: the default, never sent.
		s.MicrosoftAccount = types.BoolValue(false)
	}
	s.SudoCommands = stringList(e.SudoCommands)
	s.SudoCommandsNopasswd = stringList(e.SudoCommandsNopasswd)
	s.SSHPasswordEnabled = types.BoolValue(e.SSHPasswordEnabled)
	s.Builtin = types.BoolValue(e.Builtin)
	s.Immutable = types.BoolValue(e.Immutable)
	s.Local = types.BoolValue(e.Local)
	s.Roles = stringList(e.Roles)
	return s
}

func nullIfUnknownBool(v types.Bool) types.Bool {
	if v.IsUnknown() {
		return types.BoolNull()
	}
	return v
}

func nullIfUnknownString(v types.String) types.String {
	if v.IsUnknown() {
		return types.StringNull()
	}
	return v
}

// decodeUserResult reads a user.create / user.update result: the entry
// (25.04+) or a bare id (24.x).
func decodeUserResult(raw json.RawMessage) (id int64, e *account.UserEntry) {
	var ent account.UserCreateResult
	if err := json.Unmarshal(raw, &ent); err == nil && ent.ID != 0 {
		return ent.ID, &ent.UserEntry
	}
	_ = json.Unmarshal(raw, &id)
	return id, nil
}

// kind is what the shared CRUD steps (crud.go) know of users.
func (r *userResource) kind() entryKind[userModel] {
	return userKind(r.c)
}

// userKind is what the shared CRUD steps know of users read with c.
func userKind(c *client) entryKind[userModel] {
	return entryKind[userModel]{c: c, noun: "user", api: "user",
		id: func(m userModel) types.String { return m.ID },
		read: func(ctx context.Context, prior userModel, id int64) (*userModel, error) {
			e, err := c.userByID(ctx, id)
			if err != nil || e == nil {
				return nil, err
			}
			s := userState(prior, e, c.autoGroups(ctx))
			return &s, nil
		},
		names: namesOf(c.Users, func(u account.UserEntry) (string, int64) { return u.Username, u.ID }),
	}
}

func (r *userResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var cfgWO types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, tfpath.Root("password_wo"), &cfgWO)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.kind().create(ctx, req, resp, func(ctx context.Context, planp *userModel, diags *diag.Diagnostics) (int64, *userModel) {
		plan := *planp
		useWO := plan.Password.IsNull() && !cfgWO.IsNull()
		p := buildUserCreate(plan, cfgWO)
		if !r.webshareFits(ctx, p, diags) || !r.releaseFits(ctx, p, diags) {
			return 0, nil
		}
		// TrueNAS's group_create reuses a group of the user's name that already
		// exists (say, a truenas_group of this configuration). Such a group is
		// not this user's to delete: remember it.
		// One count query by name, not the cached list of every group: each
		// write empties the cache, so the list would be fetched again for each
		// user an apply creates.
		if plan.GroupCreate.ValueBool() {
			raw, err := r.c.call(ctx, "group.query", []any{[]any{"name", "=", plan.Username.ValueString()}}, map[string]any{"count": true})
			var n int
			if err == nil {
				err = json.Unmarshal(raw, &n)
			}
			if err != nil {
				addEngineErrors(diags, "Cannot create user", err, nil)
				return 0, nil
			}
			if n > 0 {
				diags.Append(resp.Private.SetKey(ctx, privateGroupReused, []byte("true"))...)
			}
		}
		raw, err := r.c.write(ctx, "user.create", p.m)
		if err != nil {
			if !addCoreError(diags, "Cannot create user", err) {
				addEngineErrors(diags, "Cannot create user", err, userPathMapper(useWO), userSecrets(p)...)
			}
			return 0, nil
		}
		id, e := decodeUserResult(raw)
		if e == nil {
			return id, nil
		}
		// 25.04+ returns the full entry: no need to query again.
		s := userState(plan, e, r.c.autoGroups(ctx))
		return id, &s
	})
}

func (r *userResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	r.kind().refresh(ctx, req, resp)
}

// readUser reads the user of state from the box: its new state, or nil
// (and no error) when it is gone. Read and the fast path share it.
func readUser(ctx context.Context, c *client, state userModel, diags *diag.Diagnostics) *userModel {
	return userKind(c).current(ctx, state, diags)
}

func (r *userResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var cfgWO types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, tfpath.Root("password_wo"), &cfgWO)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.kind().update(ctx, req, resp, func(ctx context.Context, planp *userModel, state userModel, id int64, diags *diag.Diagnostics) *userModel {
		plan := *planp
		p := buildUserUpdate(plan, state, cfgWO)
		if groups, ok := p.m["groups"].([]int64); ok {
			// Keep builtin_users when the box has it and the configuration does not list it.
			if bu := r.c.builtinUsersGroupID(ctx); bu != 0 && !slices.Contains(groups, bu) {
				if cur, err := r.c.userByID(ctx, id); err == nil && cur != nil && slices.Contains(cur.Groups, bu) {
					p.m["groups"] = append(groups, bu)
				}
			}
		}
		if !r.webshareFits(ctx, p, diags) || !r.releaseFits(ctx, p, diags) {
			return nil
		}
		if len(p.m) == 0 {
			return nil
		}
		useWO := plan.Password.IsNull() && !cfgWO.IsNull()
		raw, err := r.c.write(ctx, "user.update", id, p.m)
		if err != nil {
			if !addCoreError(diags, "Cannot update user", err) {
				addEngineErrors(diags, "Cannot update user", err, userPathMapper(useWO), userSecrets(p)...)
			}
			return nil
		}
		if _, e := decodeUserResult(raw); e != nil && e.ID == id {
			s := userState(plan, e, r.c.autoGroups(ctx))
			return &s
		}
		return nil
	})
}

// privateGroupReused is the private-state key that records that
// group_create reused an existing group at create.
const privateGroupReused = "group_reused"

func (r *userResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	r.kind().remove(ctx, req, resp, func(ctx context.Context, state userModel, id int64, diags *diag.Diagnostics) {
		// Delete the primary group only when this resource created it, not
		// when group_create reused a group that existed before.
		reused, d := req.Private.GetKey(ctx, privateGroupReused)
		diags.Append(d...)
		deleteGroup := known(state.GroupCreate) && state.GroupCreate.ValueBool() && string(reused) != "true"
		r.kind().deleteCall(ctx, id, diags, map[string]any{"delete_group": deleteGroup})
	})
}

func (r *userResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	r.kind().importState(ctx, req, resp)
}
