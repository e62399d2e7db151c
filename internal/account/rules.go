package account

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind says whether a rule can be decided from the payload alone.
type Kind int

const (
	// Static rules are decidable from the payload alone (and, for API-key
	// expiry, the current time): the provider runs them at plan time.
	Static Kind = iota
	// BoxDependent rules need the box: its accounts, files, clock, or the
	// stored record an update applies to.
	BoxDependent
)

// String returns "Static" or "BoxDependent".
func (k Kind) String() string {
	if k == Static {
		return "Static"
	}
	return "BoxDependent"
}

// Rule is one entry of the validation catalogue.
//
// Attribute is a template: a leading "S" stands for the payload prefix
// ("user_create", "user_update", "group_create", ...), "<field>" for the
// name of the field concerned and "<idx>" for a list index. An empty
// Attribute marks a CallError (no attribute; midclt prints "[ERRNAME]
// message"). Message is a fmt template whose verbs are filled by the check.
type Rule struct {
	ID        string
	Attribute string
	Message   string
	Errno     Errno
	Kind      Kind
}

// Attr renders the attribute for a payload prefix; field fills "<field>"
// and idx "<idx>" (pass "" and -1 when unused).
func (r Rule) Attr(prefix, field string, idx int) string {
	a := r.Attribute
	if a == "S" || strings.HasPrefix(a, "S.") {
		a = prefix + a[1:]
	}
	a = strings.ReplaceAll(a, "<field>", field)
	if idx >= 0 {
		a = strings.ReplaceAll(a, "<idx>", strconv.Itoa(idx))
	}
	return a
}

// Text renders the message with its arguments.
func (r Rule) Text(args ...any) string {
	if len(args) == 0 {
		return r.Message
	}
	return fmt.Sprintf(r.Message, args...)
}

// Err renders the rule as a validation error.
func (r Rule) Err(prefix, field string, idx int, args ...any) Error {
	return Error{Attribute: r.Attr(prefix, field, idx), Message: r.Text(args...), Errno: r.Errno}
}

// CallErr renders the rule as a CallError.
func (r Rule) CallErr(args ...any) *CallError {
	return &CallError{Errno: r.Errno, Message: r.Text(args...)}
}

// Rule IDs. Each names one entry of Rules().
const (
	// user.create / user.update
	RuleUserGroupChoose          = "user.group.choose"
	RuleUserGroupNotFound        = "user.group.not_found"
	RuleUserGroupRequired        = "user.group.required"
	RuleUserUsernameBegin        = "user.username.pw_begin"
	RuleUserUsernameDollar       = "user.username.pw_dollar"
	RuleUserUsernameInvalid      = "user.username.pw_invalid"
	RuleUserUsernameExists       = "user.username.exists"
	RuleUserSMBConflict          = "user.smb.conflict"
	RuleUserUIDUsed              = "user.uid.used"
	RuleUserGroupCreateForeign   = "user.group_create.foreign"
	RuleUserPasswordRequired     = "user.password.required"
	RuleUserPasswordDisabledPW   = "user.password_disabled.with_password"
	RuleUserRandomPasswordPW     = "user.random_password.with_password"
	RuleUserPasswordDisabledSMB  = "user.password_disabled.smb"
	RuleUserSMBPasswordReset     = "user.smb.password_reset"
	RuleUserPasswordDisabledLast = "user.password_disabled.last_admin"
	RuleUserHomeAbsolute         = "user.home.absolute"
	RuleUserHomeColon            = "user.home.colon"
	RuleUserHomeMnt              = "user.home.mnt"
	RuleUserHomeMntRoot          = "user.home.mnt_root"
	RuleUserHomeVolume           = "user.home.volume"
	RuleUserHomePoolRoot         = "user.home.pool_root"
	RuleUserHomeFile             = "user.home.file"
	RuleUserHomeCreateMissing    = "user.home.create_missing"
	RuleUserHomeMissing          = "user.home.missing"
	RuleUserHomeParentMissing    = "user.home.parent_missing"
	RuleUserHomeUsed             = "user.home.used"
	RuleUserHomeControl          = "user.home.control"
	RuleUserHomePool             = "user.home.pool"
	RuleUserHomeSymlink          = "user.home.symlink"
	RuleUserHomeNotDir           = "user.home.not_dir"
	RuleUserHomeModeInvalid      = "user.home_mode.invalid"
	RuleUserHomeModeRead         = "user.home_mode.read"
	RuleUserHomeModeExec         = "user.home_mode.exec"
	RuleUserSSHPubKeyFormat      = "user.sshpubkey.format"
	RuleUserSSHPubKeyHomeCreate  = "user.sshpubkey.home_create"
	RuleUserSSHPubKeyHomeUpdate  = "user.sshpubkey.home_update"
	RuleUserGroupsMax            = "user.groups.max"
	RuleUserGroupsMissing        = "user.groups.missing"
	RuleUserGroupsDS             = "user.groups.ds"
	RuleUserGroupsBuiltin        = "user.groups.builtin"
	RuleUserGroupsRootKeep       = "user.groups.root_keep"
	RuleUserGroupsRootOnly       = "user.groups.root_only"
	RuleUserWebshareRoot         = "user.webshare.root"
	RuleUserFullNameColon        = "user.full_name.colon"
	RuleUserFullNameNewline      = "user.full_name.newline"
	RuleUserFullNameControl      = "user.full_name.control"
	RuleUserShellInvalid         = "user.shell.invalid"
	RuleUserShellSSH             = "user.shell.ssh"
	RuleUserSSHPasswordHomeShell = "user.ssh_password_enabled.home_shell"
	RuleUserHomeSSH              = "user.home.ssh"
	RuleUserIdmapPrivileged      = "user.userns_idmap.privileged"
	RuleUserImmutableHomeMode    = "user.immutable.home_mode"
	RuleUserImmutableChanged     = "user.immutable.changed"
	RuleUserLockedLastAdmin      = "user.locked.last_admin"

	// user.delete (CallErrors)
	RuleUserDeleteActive    = "user.delete.active"
	RuleUserDeleteBuiltin   = "user.delete.builtin"
	RuleUserDeleteImmutable = "user.delete.immutable"
	RuleUserDeleteLastAdmin = "user.delete.last_admin"
	RuleUserDSModify        = "user.ds.modify"
	RuleUserDSDelete        = "user.ds.delete"

	// sudo_commands / sudo_commands_nopasswd (users and groups)
	RuleSudoAll        = "sudo.all"
	RuleSudoAbsolute   = "sudo.absolute"
	RuleSudoNormalized = "sudo.normalized"
	RuleSudoParse      = "sudo.parse"
	RuleSudoControl    = "sudo.control"
	RuleSudoNoMatch    = "sudo.no_match"
	RuleSudoNotExec    = "sudo.not_executable"
	RuleSudoExact      = "sudo.exact"

	// group.create / group.update
	RuleGroupNameExists       = "group.name.exists"
	RuleGroupNameBegin        = "group.name.pw_begin"
	RuleGroupNameDollar       = "group.name.pw_dollar"
	RuleGroupNameInvalid      = "group.name.pw_invalid"
	RuleGroupNameSMBBuiltin   = "group.name.smb_builtin"
	RuleGroupNameGroupmap     = "group.name.groupmap"
	RuleGroupGIDUsed          = "group.gid.used"
	RuleGroupGIDPrivilege     = "group.gid.privilege"
	RuleGroupUsersDS          = "group.users.ds"
	RuleGroupUsersMissing     = "group.users.missing"
	RuleGroupUsersPrimary     = "group.users.primary"
	RuleGroupUsersRoot        = "group.users.root"
	RuleGroupUsersRootKeep    = "group.users.root_keep"
	RuleGroupIdmapPrivileged  = "group.userns_idmap.privileged"
	RuleGroupIdmapBuiltin     = "group.userns_idmap.builtin"
	RuleGroupBuiltinParameter = "group.builtin.parameter"
	RuleGroupImmutable        = "group.immutable"

	// group.delete (CallErrors)
	RuleGroupDeleteBuiltin   = "group.delete.builtin"
	RuleGroupDeletePrivilege = "group.delete.privilege"
	RuleGroupDSModify        = "group.ds.modify"
	RuleGroupDSDelete        = "group.ds.delete"

	// api_key.create / api_key.update
	RuleAPIKeyNameUnique = "api_key.name.unique"
	RuleAPIKeyExpired    = "api_key.expired"
	RuleAPIKeyNoUser     = "api_key.user.missing"
	RuleAPIKeyNoRole     = "api_key.user.no_role"
	RuleAPIKeyLimit      = "api_key.limit"
	RuleAPIKeyOtherUser  = "api_key.other_user"

	// privilege.create / privilege.update (plugins/account_/privilege.py)
	RulePrivilegeNameUnique        = "privilege.name.unique"
	RulePrivilegeLocalGroupMissing = "privilege.local_groups.missing"
	RulePrivilegeLocalGroupIdmap   = "privilege.local_groups.userns_idmap"
	RulePrivilegeDSGroupMissing    = "privilege.ds_groups.missing"
	RulePrivilegeRoleInvalid       = "privilege.roles.invalid"
	RulePrivilegeBuiltinReadOnly   = "privilege.builtin.read_only"
	RulePrivilegeAdminGroup        = "privilege.local_administrator.group"
	RulePrivilegeAdminPassword     = "privilege.local_administrator.password"
	RulePrivilegeReadonlyWebShell  = "privilege.readonly_administrator.web_shell"

	// privilege.delete (CallError)
	RulePrivilegeDeleteBuiltin = "privilege.delete.builtin"
)

var catalogue = []Rule{
	{RuleUserGroupChoose, "user_create.group", "Enter either a group name or create a new group to continue.", EINVAL, Static},
	{RuleUserGroupNotFound, "S.group", "Group %d not found", ENOENT, BoxDependent},
	{RuleUserGroupRequired, "user_update.group", "User must have a primary group", EINVAL, Static},
	{RuleUserUsernameBegin, "S.username", `Name must begin with an alphanumeric character and not a "-".`, EINVAL, Static},
	{RuleUserUsernameDollar, "S.username", "The character $ is only allowed as the final character.", EINVAL, Static},
	{RuleUserUsernameInvalid, "S.username", "name contains invalid characters: %s", EINVAL, Static},
	{RuleUserUsernameExists, "S.username", `The username "%s" already exists.`, EEXIST, BoxDependent},
	{RuleUserSMBConflict, "S.smb", `Username "%s" conflicts with existing SMB user. Note that SMB usernames are case-insensitive.`, EEXIST, BoxDependent},
	{RuleUserUIDUsed, "S.uid", "Uid %d is already used (user %s has it)", EEXIST, BoxDependent},
	// Ours: a group line the box has that the engine did not write (its
	// members are not the engine's to change).
	{RuleUserGroupCreateForeign, "user_create.group_create", `The box already has a group "%s" that it does not manage: choose another username, or group_create false and an existing group.`, EEXIST, BoxDependent},
	{RuleUserPasswordRequired, "S.password", "Password is required", EINVAL, Static},
	{RuleUserPasswordDisabledPW, "S.password_disabled", `Leave "Password" blank when "Disable password login" is checked.`, EINVAL, Static},
	{RuleUserRandomPasswordPW, "S.random_password", "Requesting a randomized password while simultaneously supplying an explicit password is not permitted.", EINVAL, Static},
	{RuleUserPasswordDisabledSMB, "S.password_disabled", "Password authentication may not be disabled for SMB users.", EINVAL, Static},
	{RuleUserSMBPasswordReset, "user_update.smb", "Password must be reset in order to enable SMB authentication", EINVAL, BoxDependent},
	{RuleUserPasswordDisabledLast, "user_update.password_disabled", "After disabling password for this user no password-enabled local user will have built-in privilege 'Local Administrator'.", EINVAL, BoxDependent},
	{RuleUserHomeAbsolute, "S.home", `"Home Directory" must be an absolute path.`, EINVAL, Static},
	{RuleUserHomeColon, "S.home", `"Home Directory" cannot contain colons (:).`, EINVAL, Static},
	{RuleUserHomeMnt, "S.home", `"Home Directory" must begin with /mnt or set to /var/empty.`, EINVAL, Static},
	{RuleUserHomeMntRoot, "S.home", `"Home Directory" cannot be at root of "/mnt"`, EINVAL, Static},
	{RuleUserHomeVolume, "S.home", `The path for the home directory "(%s)" must include a volume or dataset.`, EINVAL, Static},
	{RuleUserHomePoolRoot, "S.home", `The specified path is a ZFS pool mountpoint "(%s)".`, EINVAL, Static},
	{RuleUserHomeFile, "S.home", `"Home Directory" cannot be a file.`, EINVAL, BoxDependent},
	{RuleUserHomeCreateMissing, "S.home", "%s: path specified to use for home directory creation does not exist. TrueNAS uses the provided path as the parent directory of the newly-created home directory.", EINVAL, BoxDependent},
	{RuleUserHomeMissing, "S.home", "%s: path specified to use as home directory does not exist.", EINVAL, BoxDependent},
	{RuleUserHomeParentMissing, "S.home", "%s: parent path of specified home directory does not exist.", EINVAL, BoxDependent},
	{RuleUserHomeUsed, "S.home", "%s: homedir already used by %s.", EEXIST, BoxDependent},
	// Ours: the box files are lines of text.
	{RuleUserHomeControl, "S.home", `"Home Directory" cannot contain control characters (line breaks, tabs, NUL).`, EINVAL, Static},
	// validators.py:193 (check_path_resides_within_volume), on the
	// normalised path; with no symlink on the way (user.home.symlink) it
	// is the real path.
	{RuleUserHomePool, "S.home", "The path must reside within a pool mount point", EINVAL, Static},
	// Ours: the engine never follows a symlink in a home's path as root
	// (TrueNAS follows it, then checks the real path is in a pool).
	{RuleUserHomeSymlink, "S.home", "%s: is a symbolic link; give the path it points to.", EINVAL, BoxDependent},
	// plugins/account.py:582 (setup_homedir), checked before the insert.
	{RuleUserHomeNotDir, "S.home", "Path for home directory already exists and is not a directory", EEXIST, BoxDependent},
	{RuleUserHomeModeInvalid, "S.home_mode", "Please provide a valid value for home_mode attribute", EINVAL, Static},
	{RuleUserHomeModeRead, "S.home_mode", "Home directory must be readable by User.", EINVAL, Static},
	{RuleUserHomeModeExec, "S.home_mode", "Home directory must be executable by User.", EINVAL, Static},
	{RuleUserSSHPubKeyFormat, "S.sshpubkey", "Line %d is not a valid SSH public key in authorized_keys format: %s", EINVAL, Static},
	{RuleUserSSHPubKeyHomeCreate, "user_create.sshpubkey", "%s: the user home directory must be set to a writable path located within a data pool.", EINVAL, Static},
	{RuleUserSSHPubKeyHomeUpdate, "user_update.sshpubkey", `Home directory is not writable, leave this blank"`, EINVAL, BoxDependent},
	{RuleUserGroupsMax, "S.groups", "A user cannot belong to more than 64 auxiliary groups.", EINVAL, Static},
	{RuleUserGroupsMissing, "S.groups.<idx>", "This group does not exist.", EINVAL, BoxDependent},
	{RuleUserGroupsDS, "S.groups.<idx>", "Local users may not be members of directory services groups.", EINVAL, Static},
	{RuleUserGroupsBuiltin, "S.groups.<idx>", "%s: membership of this builtin group may not be altered.", EINVAL, BoxDependent},
	{RuleUserGroupsRootKeep, "user_update.groups", "The root user must remain a member of the builtin_administrators group.", EINVAL, BoxDependent},
	{RuleUserGroupsRootOnly, "user_update.groups", "The root user may only be a member of the builtin_administrators group.", EINVAL, BoxDependent},
	// plugins/account.py at TS-26.0.0-BETA.3 (common_validation): 26.0 only,
	// the field is not in v25_10_5.
	{RuleUserWebshareRoot, "user_update.webshare", "The root user is not allowed access via webshare.", EINVAL, Static},
	{RuleUserFullNameColon, "S.full_name", "The ':' character is not allowed.", EINVAL, Static},
	{RuleUserFullNameNewline, "S.full_name", `The '\n' character is not allowed.`, EINVAL, Static},
	// Ours: the full name is a field of a line of etc/passwd.
	{RuleUserFullNameControl, "S.full_name", "Control characters (carriage return, NUL, tab...) are not allowed.", EINVAL, Static},
	{RuleUserShellInvalid, "S.shell", "Please select a valid shell.", EINVAL, BoxDependent},
	{RuleUserShellSSH, "S.shell", "SSH password login requires a login shell.", EINVAL, Static},
	{RuleUserSSHPasswordHomeShell, "S.ssh_password_enabled", "Cannot be enabled without a valid home path and login shell.", EINVAL, Static},
	{RuleUserHomeSSH, "S.home", "SSH password login requires a valid home path.", EINVAL, Static},
	{RuleUserIdmapPrivileged, "S.userns_idmap", "User namespace idmaps may not be configured for privileged accounts.", EINVAL, BoxDependent},
	{RuleUserImmutableHomeMode, "user_update.home_mode", "This attribute cannot be changed", EINVAL, BoxDependent},
	{RuleUserImmutableChanged, "user_update.<field>", "This attribute cannot be changed", EINVAL, BoxDependent},
	{RuleUserLockedLastAdmin, "user_update.locked", "After locking this user no local users will have FULL_ADMIN role", EINVAL, BoxDependent},

	{RuleUserDeleteActive, "", "Cannot delete the currently active user", EINVAL, BoxDependent},
	{RuleUserDeleteBuiltin, "", "Cannot delete a built-in user", EINVAL, BoxDependent},
	{RuleUserDeleteImmutable, "", "Cannot delete an immutable user", EINVAL, BoxDependent},
	{RuleUserDeleteLastAdmin, "", "After deleting this user no local user will have built-in privilege 'Local Administrator'.", EACCES, BoxDependent},
	{RuleUserDSModify, "", "Users provided by a directory service must be modified through the identity provider (LDAP server or domain controller).", EPERM, BoxDependent},
	{RuleUserDSDelete, "", "Users provided by a directory service must be deleted from the identity provider (LDAP server or domain controller).", EPERM, BoxDependent},

	{RuleSudoAll, "S.<field>.<idx>", "ALL cannot be used with other commands", EINVAL, Static},
	{RuleSudoAbsolute, "S.<field>.<idx>", "Executable must be an absolute path", EINVAL, Static},
	{RuleSudoNormalized, "S.<field>.<idx>", "Executable path must be normalized", EINVAL, Static},
	{RuleSudoParse, "S.<field>.<idx>", "%s", EINVAL, Static},
	// Ours: a rule is one line of the sudoers drop-in.
	{RuleSudoControl, "S.<field>.<idx>", "Control characters (line breaks, tabs, NUL...) are not allowed in a command.", EINVAL, Static},
	{RuleSudoNoMatch, "S.<field>.<idx>", "No paths matching %s exist", EINVAL, BoxDependent},
	{RuleSudoNotExec, "S.<field>.<idx>", "None of the paths matching %s is executable", EINVAL, BoxDependent},
	// Ours: the drop-in grants exactly the command asked for, or the call
	// is refused (internal/sudoers says why sudo would read it otherwise).
	{RuleSudoExact, "S.<field>.<idx>", "sudo cannot grant this command as written: %s.", EINVAL, Static},

	{RuleGroupNameExists, "S.name", `A Group with the name "%s" already exists.`, EEXIST, BoxDependent},
	{RuleGroupNameBegin, "S.name", `Name must begin with an alphanumeric character and not a "-".`, EINVAL, Static},
	{RuleGroupNameDollar, "S.name", "The character $ is only allowed as the final character.", EINVAL, Static},
	{RuleGroupNameInvalid, "S.name", "name contains invalid characters: %s", EINVAL, Static},
	{RuleGroupNameSMBBuiltin, "S.name", `Group name "%s" conflicts with existing SMB Builtin entry. SMB group mapping is not permitted for this group.`, EEXIST, Static},
	{RuleGroupNameGroupmap, "S.name", `Group name "%s" conflicts with existing groupmap entry. SMB group mapping is not permitted for this group. Note that SMB group names are case-insensitive.`, EEXIST, BoxDependent},
	{RuleGroupGIDUsed, "S.gid", "Gid %d is already used (group %s has it)", EEXIST, BoxDependent},
	{RuleGroupGIDPrivilege, "S.gid", "A privilege '%s' already uses this group ID.", EINVAL, BoxDependent},
	{RuleGroupUsersDS, "S.users.<idx>", "Directory services users may not be added as members of local groups.", EINVAL, Static},
	{RuleGroupUsersMissing, "S.users", "Following users do not exist: %s", EINVAL, BoxDependent},
	{RuleGroupUsersPrimary, "S.users", "This group is primary for the following users: %s. You can't remove them.", EINVAL, BoxDependent},
	{RuleGroupUsersRoot, "S.users", "Cannot add the root user to this group", EINVAL, BoxDependent},
	{RuleGroupUsersRootKeep, "group_update.users", "The root user must remain a member of the builtin_administrators group.", EINVAL, BoxDependent},
	{RuleGroupIdmapPrivileged, "group_update.userns_idmap", "User namespace idmaps may not be configured for privileged accounts.", EINVAL, BoxDependent},
	{RuleGroupIdmapBuiltin, "group_update.userns_idmap", "User namespace idmaps may not be configured for builtin accounts.", EINVAL, BoxDependent},
	{RuleGroupBuiltinParameter, "group_update.<field>", "This configuration parameter may not be changed for builtin groups.", EINVAL, BoxDependent},
	{RuleGroupImmutable, "group_update.id", "Immutable groups cannot be changed", EINVAL, BoxDependent},

	{RuleGroupDeleteBuiltin, "", "A built-in group cannot be deleted.", EACCES, BoxDependent},
	{RuleGroupDeletePrivilege, "", "This group is used by privilege '%s'. Please remove it from that privilege first, then delete the group.", EACCES, BoxDependent},
	{RuleGroupDSModify, "", "Groups provided by a directory service must be modified through the identity provider (LDAP server or domain controller).", EPERM, BoxDependent},
	{RuleGroupDSDelete, "", "Groups provided by a directory service must be deleted from the identity provider (LDAP server or domain controller).", EPERM, BoxDependent},

	{RuleAPIKeyNameUnique, "S", "name must be unique", EINVAL, BoxDependent},
	{RuleAPIKeyExpired, "S", "Expiration date is in the past", EINVAL, Static},
	{RuleAPIKeyNoUser, "S", "User does not exist.", EINVAL, BoxDependent},
	{RuleAPIKeyNoRole, "S", "User lacks privilege role membership.", EINVAL, BoxDependent},
	{RuleAPIKeyLimit, "S.username", "User already meets or exceeds maximum per-user API key limit of 10", EINVAL, BoxDependent},
	{RuleAPIKeyOtherUser, "", "%s: authenticated user lacks privileges to create or modify API keys of other users.", EACCES, BoxDependent},

	// privilege.py _validate (lines 164-205). The userns_idmap error is
	// always reported under privilege_update, on create too, as
	// privilege.py:185 does.
	{RulePrivilegeNameUnique, "S.name", "Object with this name already exists", EINVAL, BoxDependent},
	{RulePrivilegeLocalGroupMissing, "S.local_groups.<idx>", "%d: local group does not exist. This error may be addressed by either re-creating the missing group with the specified group id or removing this entry from the privilege.", EINVAL, BoxDependent},
	{RulePrivilegeLocalGroupIdmap, "privilege_update.local_groups.<idx>", "Privileges may not be granted to groups that have a user namespace idmap configured.", EINVAL, BoxDependent},
	{RulePrivilegeDSGroupMissing, "S.ds_groups.<idx>", "%s: directory service group does not exist. If the directory service state is healthy, then this error may be addressed by removing this entry from the privilege.", EINVAL, BoxDependent},
	{RulePrivilegeRoleInvalid, "S.roles.<idx>", "Invalid role", EINVAL, Static},
	// privilege.py do_update (lines 103-134): decided from the stored
	// privilege, which the provider has in its state.
	{RulePrivilegeBuiltinReadOnly, "privilege_update.<field>", "This field is read-only for built-in privileges", EINVAL, BoxDependent},
	{RulePrivilegeAdminGroup, "privilege_update.local_groups", `The group builtin_administrators must be among grantees of the "Local Administrator" privilege.`, EINVAL, BoxDependent},
	{RulePrivilegeAdminPassword, "privilege_update.local_groups", `None of the members of these groups has password login enabled. At least one grantee of the "Local Administrator" privilege must have password login enabled.`, EINVAL, BoxDependent},
	{RulePrivilegeReadonlyWebShell, "privilege_update.web_shell", "Web shell access may not be enabled for the built-in group for read-only administrators.", EINVAL, BoxDependent},
	{RulePrivilegeDeleteBuiltin, "", "Unable to delete built-in privilege", EPERM, BoxDependent},
}

var ruleByID = func() map[string]Rule {
	m := make(map[string]Rule, len(catalogue))
	for _, r := range catalogue {
		if _, dup := m[r.ID]; dup {
			panic("account: duplicate rule " + r.ID)
		}
		m[r.ID] = r
	}
	return m
}()

// Rules returns the catalogue: every rule the checks can report, with its
// attribute template, message template, errno and Kind. The checks render
// their errors from this catalogue only.
func Rules() []Rule { return append([]Rule(nil), catalogue...) }

// RuleByID returns the catalogue entry with this ID; it panics on an
// unknown ID (a programming error).
func RuleByID(id string) Rule {
	r, ok := ruleByID[id]
	if !ok {
		panic("account: unknown rule " + id)
	}
	return r
}

// CallErrorFor renders a CallError rule (user.delete.builtin, ...) with its
// arguments.
func CallErrorFor(id string, args ...any) *CallError { return RuleByID(id).CallErr(args...) }

// checker collects the errors of one payload.
type checker struct {
	prefix string
	errs   Errors
}

func (c *checker) add(id string, args ...any)          { c.at(id, "", -1, args...) }
func (c *checker) idx(id string, i int, args ...any)   { c.at(id, "", i, args...) }
func (c *checker) field(id, field string, args ...any) { c.at(id, field, -1, args...) }
func (c *checker) at(id, field string, i int, args ...any) {
	c.errs = append(c.errs, RuleByID(id).Err(c.prefix, field, i, args...))
}

func (c *checker) result() Errors {
	if len(c.errs) == 0 {
		return nil
	}
	return c.errs
}
