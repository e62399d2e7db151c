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

// userDataAttrs are the attributes of a user in data sources.
func userDataAttrs() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"id":                     schema.StringAttribute{Computed: true, MarkdownDescription: "Database id, as a string."},
		"uid":                    schema.Int64Attribute{Computed: true, MarkdownDescription: "POSIX uid."},
		"username":               schema.StringAttribute{Computed: true, MarkdownDescription: "Login name."},
		"full_name":              schema.StringAttribute{Computed: true, MarkdownDescription: "Full name."},
		"email":                  schema.StringAttribute{Computed: true, MarkdownDescription: "E-mail address, or null."},
		"group":                  schema.Int64Attribute{Computed: true, MarkdownDescription: "Database id of the primary group."},
		"group_gid":              schema.Int64Attribute{Computed: true, MarkdownDescription: "gid of the primary group."},
		"group_name":             schema.StringAttribute{Computed: true, MarkdownDescription: "Name of the primary group."},
		"groups":                 schema.SetAttribute{ElementType: types.Int64Type, Computed: true, MarkdownDescription: "Database ids of the auxiliary groups."},
		"home":                   schema.StringAttribute{Computed: true, MarkdownDescription: "Home directory."},
		"shell":                  schema.StringAttribute{Computed: true, MarkdownDescription: "Login shell."},
		"password_disabled":      schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether password login is disabled."},
		"sshpubkey":              schema.StringAttribute{Computed: true, MarkdownDescription: "SSH public key(s), or null."},
		"locked":                 schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the account is locked."},
		"smb":                    schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the user is an SMB user."},
		"webshare":               schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the user has WebShare access (a member of `truenas_webshare`). TrueNAS 26.0 and later; null on 25.10, which has no WebShare."},
		"microsoft_account":      schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the user is a Microsoft account (CORE's Microsoft Account). TrueNAS CORE 13.3 only; null on SCALE, which has no such field."},
		"sudo_commands":          schema.ListAttribute{ElementType: types.StringType, Computed: true, MarkdownDescription: "sudo commands (password required). On TrueNAS CORE 13.3 read from CORE's `sudo`, `sudo_nopasswd` and `sudo_commands`: `[\"ALL\"]` for sudo with no commands listed, `[]` without sudo."},
		"sudo_commands_nopasswd": schema.ListAttribute{ElementType: types.StringType, Computed: true, MarkdownDescription: "sudo commands without password; on TrueNAS CORE 13.3 read as `sudo_commands` is, for a user with `sudo_nopasswd`."},
		"ssh_password_enabled":   schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether SSH password login is allowed. TrueNAS SCALE; always false on CORE 13.3, which has no such field (its SSH service decides)."},
		"builtin":                schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the user comes with the OS image."},
		"immutable":              schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether TrueNAS forbids changing the user's identity."},
		"local":                  schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the user is local."},
		"roles":                  schema.ListAttribute{ElementType: types.StringType, Computed: true, MarkdownDescription: "Roles from the privileges of the user's groups; always empty on TrueNAS CORE 13.3, which has no privileges."},
	}
}

var userObjectType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"id": types.StringType, "uid": types.Int64Type, "username": types.StringType, "full_name": types.StringType,
	"email": types.StringType, "group": types.Int64Type, "group_gid": types.Int64Type, "group_name": types.StringType,
	"groups": types.SetType{ElemType: types.Int64Type}, "home": types.StringType, "shell": types.StringType,
	"password_disabled": types.BoolType, "sshpubkey": types.StringType, "locked": types.BoolType, "smb": types.BoolType, "webshare": types.BoolType,
	"microsoft_account": types.BoolType,
	"sudo_commands":     types.ListType{ElemType: types.StringType}, "sudo_commands_nopasswd": types.ListType{ElemType: types.StringType},
	"ssh_password_enabled": types.BoolType, "builtin": types.BoolType, "immutable": types.BoolType, "local": types.BoolType,
	"roles": types.ListType{ElemType: types.StringType},
}}

func userAttrValues(e *account.UserEntry) map[string]attr.Value {
	email := strPtrValue(e.Email)
	if e.Email != nil && *e.Email == "" {
		email = types.StringNull()
	}
	return map[string]attr.Value{
		"id": types.StringValue(fmt.Sprint(e.ID)), "uid": types.Int64Value(e.UID), "username": types.StringValue(e.Username),
		"full_name": types.StringValue(e.FullName), "email": email, "group": types.Int64Value(e.Group.ID),
		"group_gid": types.Int64Value(e.Group.GID), "group_name": types.StringValue(e.Group.Group),
		"groups": int64Set(e.Groups), "home": types.StringValue(e.Home), "shell": types.StringValue(e.Shell),
		"password_disabled": types.BoolValue(e.PasswordDisabled), "sshpubkey": strPtrValue(e.SSHPubKey),
		"locked": types.BoolValue(e.Locked), "smb": types.BoolValue(e.SMB), "webshare": types.BoolPointerValue(e.Webshare),
		"microsoft_account": types.BoolPointerValue(e.MicrosoftAccount), "sudo_commands": stringList(e.SudoCommands),
		"sudo_commands_nopasswd": stringList(e.SudoCommandsNopasswd), "ssh_password_enabled": types.BoolValue(e.SSHPasswordEnabled),
		"builtin": types.BoolValue(e.Builtin), "immutable": types.BoolValue(e.Immutable), "local": types.BoolValue(e.Local),
		"roles": stringList(e.Roles),
	}
}

func userObject(e *account.UserEntry) (types.Object, diag.Diagnostics) {
	return types.ObjectValue(userObjectType.AttrTypes, userAttrValues(e))
}

func groupDataAttrs() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"id":                     schema.StringAttribute{Computed: true, MarkdownDescription: "Database id, as a string."},
		"gid":                    schema.Int64Attribute{Computed: true, MarkdownDescription: "POSIX gid."},
		"name":                   schema.StringAttribute{Computed: true, MarkdownDescription: "Group name."},
		"smb":                    schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the group is an SMB group."},
		"sudo_commands":          schema.ListAttribute{ElementType: types.StringType, Computed: true, MarkdownDescription: "sudo commands (password required)."},
		"sudo_commands_nopasswd": schema.ListAttribute{ElementType: types.StringType, Computed: true, MarkdownDescription: "sudo commands without password."},
		"users":                  schema.SetAttribute{ElementType: types.Int64Type, Computed: true, MarkdownDescription: "Database ids of the members (auxiliary and primary)."},
		"builtin":                schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the group comes with the OS image."},
		"immutable":              schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether TrueNAS forbids changing the group."},
		"local":                  schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the group is local."},
		"roles":                  schema.ListAttribute{ElementType: types.StringType, Computed: true, MarkdownDescription: "Roles of the privileges the group is mapped to."},
	}
}

var groupObjectType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"id": types.StringType, "gid": types.Int64Type, "name": types.StringType, "smb": types.BoolType,
	"sudo_commands": types.ListType{ElemType: types.StringType}, "sudo_commands_nopasswd": types.ListType{ElemType: types.StringType},
	"users": types.SetType{ElemType: types.Int64Type}, "builtin": types.BoolType, "immutable": types.BoolType,
	"local": types.BoolType, "roles": types.ListType{ElemType: types.StringType},
}}

func groupAttrValues(e *account.GroupEntry) map[string]attr.Value {
	return map[string]attr.Value{
		"id": types.StringValue(fmt.Sprint(e.ID)), "gid": types.Int64Value(e.GID), "name": types.StringValue(e.Name),
		"smb": types.BoolValue(e.SMB), "sudo_commands": stringList(e.SudoCommands),
		"sudo_commands_nopasswd": stringList(e.SudoCommandsNopasswd), "users": int64Set(e.Users),
		"builtin": types.BoolValue(e.Builtin), "immutable": types.BoolValue(e.Immutable), "local": types.BoolValue(e.Local),
		"roles": stringList(e.Roles),
	}
}

func groupObject(e *account.GroupEntry) (types.Object, diag.Diagnostics) {
	return types.ObjectValue(groupObjectType.AttrTypes, groupAttrValues(e))
}

// dataSourceClient is the client the provider's Configure hands a data
// source; each data source embeds it, and with it its Configure.
type dataSourceClient struct{ c *client }

func (d *dataSourceClient) Configure(_ context.Context, req datasource.ConfigureRequest, _ *datasource.ConfigureResponse) {
	if c, ok := req.ProviderData.(*client); ok {
		d.c = c
	}
}

// entryList is the read of a data source that lists entries: the entries
// list gives that keep keeps, each as object makes it, in the box's order;
// false, with the error in diags, when the list cannot be made. what names
// the entries in messages ("users").
func entryList[E any](ctx context.Context, c *client, diags *diag.Diagnostics, what string,
	list func(context.Context) ([]E, error), keep func(*E) bool, objType types.ObjectType,
	object func(*E) (types.Object, diag.Diagnostics)) (types.List, bool) {
	es, ok := fetch(ctx, c, diags, what, list)
	if !ok {
		return types.List{}, false
	}
	vals := []attr.Value{}
	for i := range es {
		if e := &es[i]; keep(e) {
			obj, d := object(e)
			diags.Append(d...)
			vals = append(vals, obj)
		}
	}
	l, d := types.ListValue(objType, vals)
	diags.Append(d...)
	return l, !diags.HasError()
}

// oneEntry is the read of a data source that finds one entry: the first
// that list gives and match matches, as object makes it; false, with the
// error in diags, when there is none or the list cannot be read. what
// names the entries in messages ("groups"), notFound the error's summary
// and detail.
func oneEntry[E any](ctx context.Context, c *client, diags *diag.Diagnostics, what string,
	list func(context.Context) ([]E, error), match func(*E) bool, notFound [2]string,
	object func(*E) (types.Object, diag.Diagnostics)) (types.Object, bool) {
	es, ok := fetch(ctx, c, diags, what, list)
	if !ok {
		return types.Object{}, false
	}
	for i := range es {
		if e := &es[i]; match(e) {
			obj, d := object(e)
			diags.Append(d...)
			return obj, !diags.HasError()
		}
	}
	diags.AddError(notFound[0], notFound[1])
	return types.Object{}, false
}

// fetch is the entries list gives, read with the provider's client c;
// false, with the error in diags, when there is no client or list fails.
func fetch[E any](ctx context.Context, c *client, diags *diag.Diagnostics, what string, list func(context.Context) ([]E, error)) ([]E, bool) {
	if c == nil {
		diags.AddError("Provider not configured", "The truenas provider was not configured.")
		return nil, false
	}
	es, err := list(ctx)
	if err != nil {
		addEngineErrors(diags, "Cannot read "+what, err, nil)
		return nil, false
	}
	return es, true
}
