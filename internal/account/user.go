package account

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"
)

// BaseSyntheticID is the first DB id TrueNAS gives to directory-service
// accounts (100000000 + uid/gid).
const BaseSyntheticID int64 = 100000000

// smbBuiltinNames are the SMB builtin groups a group name may not map to.
var smbBuiltinNames = []string{"ADMINISTRATORS", "GUESTS", "USERS"}

// pwCheckname is TrueNAS's pw_checkname; ids are the three rule IDs
// (begin, dollar, invalid) of the caller's namespace.
func pwCheckname(c *checker, begin, dollar, invalid, name string) {
	if strings.HasPrefix(name, "-") {
		c.add(begin)
	}
	if i := strings.Index(name, "$"); i != -1 && i != len(name)-1 {
		c.add(dollar)
	}
	const bad = " ,\t:+&#%^()!@~*?<>=|\\/\""
	var invalids []string
	for _, r := range name {
		s := string(r)
		// Python's test, precedence included: a listed character once,
		// a character with bit 7 of its code point set each time (U+0100
		// passes). SCALE's names are ASCII before this runs; CORE's not.
		if strings.ContainsRune(bad, r) && !slices.Contains(invalids, s) || r&0x80 != 0 {
			invalids = append(invalids, s)
		}
	}
	if len(invalids) > 0 {
		c.add(invalid, strings.Join(invalids, ", "))
	}
}

// ParseHomeMode parses home_mode as Python's int(value, 8) does and
// reports whether it is a mode within 0o777.
func ParseHomeMode(s string) (uint32, bool) {
	t := strings.TrimSpace(s)
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	if len(t) > 2 && (t[:2] == "0o" || t[:2] == "0O") {
		t = t[2:]
		t = strings.TrimPrefix(t, "_")
	}
	if t == "" || strings.HasPrefix(t, "_") || strings.HasSuffix(t, "_") || strings.Contains(t, "__") {
		return 0, false
	}
	v, err := strconv.ParseUint(strings.ReplaceAll(t, "_", ""), 8, 32)
	if err != nil || neg && v != 0 || v > 0o777 {
		return 0, false
	}
	return uint32(v), true
}

// CheckAuthorizedKeys checks that each non-empty, non-comment line of an
// authorized_keys text parses as a public key line. It returns the 1-based
// number of the first bad line and the parser's reason, or 0, "".
func CheckAuthorizedKeys(text string) (int, string) {
	for i, line := range strings.Split(text, "\n") {
		l := strings.TrimSpace(line)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if _, _, _, _, err := ssh.ParseAuthorizedKey([]byte(l)); err != nil {
			return i + 1, err.Error()
		}
	}
	return 0, ""
}

// ShellChoices is user.shell_choices: /usr/sbin/nologin always, every
// /usr/bin/* line of /etc/shells, and the TrueNAS CLI shells when one of
// the user's groups maps to a privilege. Keys are paths, values labels.
func ShellChoices(etcShells []string, privileged bool) map[string]string {
	out := map[string]string{NologinShell: "nologin"}
	for _, l := range etcShells {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "/usr/bin/") {
			out[l] = path.Base(l)
		}
	}
	if privileged {
		out["/usr/bin/cli"] = "TrueNAS CLI"
		out["/usr/bin/cli_console"] = "TrueNAS Console"
	}
	return out
}

// userView is the user as it will be after the call: the payload merged
// over the stored record. A value is known when the payload carries it
// (create: always) or old is given.
type userView struct {
	p   *UserPayload
	old *UserEntry
}

func (v userView) known(set bool) bool { return v.p.Create || set || v.old != nil }

func (v userView) smb() (bool, bool) {
	if v.p.Create || v.p.SMB.Set || v.old == nil {
		return v.p.SMB.V, v.known(v.p.SMB.Set)
	}
	return v.old.SMB, true
}

func (v userView) passwordDisabled() (bool, bool) {
	if v.p.Create || v.p.PasswordDisabled.Set || v.old == nil {
		return v.p.PasswordDisabled.V, v.known(v.p.PasswordDisabled.Set)
	}
	return v.old.PasswordDisabled, true
}

func (v userView) sshPassword() (bool, bool) {
	if v.p.Create || v.p.SSHPasswordEnabled.Set || v.old == nil {
		return v.p.SSHPasswordEnabled.V, v.known(v.p.SSHPasswordEnabled.Set)
	}
	return v.old.SSHPasswordEnabled, true
}

func (v userView) home() (string, bool) {
	if v.p.Create || v.p.Home.Set || v.old == nil {
		h := v.p.Home.V
		if v.p.HomeCreate.V && v.p.Home.Set && v.p.Username.V != "" && h != DefaultHome {
			h = path.Join(h, v.p.Username.V)
		}
		return h, v.known(v.p.Home.Set)
	}
	return v.old.Home, true
}

func (v userView) shell() (string, bool) {
	if v.p.Create || v.p.Shell.Set || v.old == nil {
		return v.p.Shell.V, v.known(v.p.Shell.Set)
	}
	return v.old.Shell, true
}

// StaticUserChecks runs the rules of Rules() with Kind Static on a decoded
// user payload. On an update only the keys that were sent are known, so
// rules that combine several keys run only when all of them were sent.
func StaticUserChecks(p *UserPayload) Errors {
	c := &checker{prefix: p.Prefix()}
	staticUser(c, p, nil)
	return c.result()
}

// CheckUser runs every user rule, static and box-dependent, as the engine
// does before user.create (old nil) or user.update (old the stored user).
func CheckUser(p *UserPayload, old *UserEntry, box Box) Errors {
	c := &checker{prefix: p.Prefix()}
	staticUser(c, p, old)
	if box != nil {
		boxUser(c, p, old, box)
	}
	return c.result()
}

func staticUser(c *checker, p *UserPayload, old *UserEntry) {
	v := userView{p: p, old: old}

	// Primary group.
	if p.Create {
		given := !p.Group.Null && p.Group.V != 0
		if given == p.GroupCreate.V {
			c.add(RuleUserGroupChoose)
		}
	} else if p.Group.Set && p.Group.Null {
		c.add(RuleUserGroupRequired)
	}

	// Username (pw_checkname; the decoder's pydantic rules come first).
	if p.Username.Set {
		pwCheckname(c, RuleUserUsernameBegin, RuleUserUsernameDollar, RuleUserUsernameInvalid, p.Username.V)
	}

	// Full name.
	if p.FullName.Set {
		if strings.Contains(p.FullName.V, ":") {
			c.add(RuleUserFullNameColon)
		}
		if strings.Contains(p.FullName.V, "\n") {
			c.add(RuleUserFullNameNewline)
		}
		if strings.ContainsFunc(p.FullName.V, func(r rune) bool { return r != '\n' && IsControl(r) }) {
			c.add(RuleUserFullNameControl)
		}
	}

	// Password.
	hasPassword := p.Password.Set && !p.Password.Null && p.Password.V != ""
	if p.RandomPassword.V && hasPassword {
		c.add(RuleUserRandomPasswordPW)
	}
	if p.Create && !hasPassword && !p.RandomPassword.V && !p.PasswordDisabled.V {
		c.add(RuleUserPasswordRequired)
	} else if p.PasswordDisabled.V && hasPassword {
		c.add(RuleUserPasswordDisabledPW)
	}
	smb, smbKnown := v.smb()
	pd, pdKnown := v.passwordDisabled()
	if smbKnown && pdKnown && smb && pd && (p.SMB.Set || p.PasswordDisabled.Set || p.Create) {
		c.add(RuleUserPasswordDisabledSMB)
	}

	// Home directory.
	if homeChecked(p, old) {
		staticHome(c, p)
	}
	if p.HomeMode.Set || (p.Create && p.HomeMode.V != "") {
		if mode, ok := ParseHomeMode(p.HomeMode.V); !ok {
			c.add(RuleUserHomeModeInvalid)
		} else {
			if mode&0o400 == 0 {
				c.add(RuleUserHomeModeRead)
			}
			if mode&0o100 == 0 {
				c.add(RuleUserHomeModeExec)
			}
		}
	}

	// SSH public keys (ours: TrueNAS does not look at the text).
	if p.SSHPubKey.Set && !p.SSHPubKey.Null && strings.TrimSpace(p.SSHPubKey.V) != "" {
		if line, why := CheckAuthorizedKeys(p.SSHPubKey.V); line != 0 {
			c.add(RuleUserSSHPubKeyFormat, line, why)
		}
		if p.Create && !strings.HasPrefix(p.Home.V, "/mnt") {
			c.add(RuleUserSSHPubKeyHomeCreate, p.Home.V)
		}
	}

	// Root may not have webshare (plugins/account.py at TS-26.0.0-BETA.3,
	// common_validation, before root's group rules; needs only old).
	if old != nil && old.UID == 0 && p.Webshare.Set && p.Webshare.V {
		c.add(RuleUserWebshareRoot)
	}

	// Auxiliary groups.
	if p.Groups.Set {
		if len(p.Groups.V) > MaxAuxGroups {
			c.add(RuleUserGroupsMax)
		}
		for i, id := range p.Groups.V {
			if id >= BaseSyntheticID {
				c.idx(RuleUserGroupsDS, i)
			}
		}
	}

	// SSH password login (25.10).
	ssh, sshKnown := v.sshPassword()
	if sshKnown && ssh && (p.Create || p.SSHPasswordEnabled.Set || p.Home.Set || p.Shell.Set) {
		home, homeKnown := v.home()
		shell, shellKnown := v.shell()
		badHome := homeKnown && home == DefaultHome
		badShell := shellKnown && shell == NologinShell
		if badHome || badShell {
			c.add(RuleUserSSHPasswordHomeShell)
		}
		if badHome {
			c.add(RuleUserHomeSSH)
		}
		if badShell {
			c.add(RuleUserShellSSH)
		}
	}

	// sudo.
	if p.SudoCommands.Set {
		checkSudo(c, "sudo_commands", p.SudoCommands.V, nil)
	}
	if p.SudoCommandsNopasswd.Set {
		checkSudo(c, "sudo_commands_nopasswd", p.SudoCommandsNopasswd.V, nil)
	}
}

// staticHome runs the home rules that need no box. It stops at the first
// failure, as TrueNAS's validate_homedir_path does.
func staticHome(c *checker, p *UserPayload) bool {
	h := p.Home.V
	switch {
	case !strings.HasPrefix(h, "/"):
		c.add(RuleUserHomeAbsolute)
	case strings.Contains(h, ":"):
		c.add(RuleUserHomeColon)
	case strings.ContainsFunc(h, IsControl):
		c.add(RuleUserHomeControl)
	case h == DefaultHome:
		return true
	case !strings.HasPrefix(h, "/mnt"):
		c.add(RuleUserHomeMnt)
	case h == "/mnt" || h == "/mnt/":
		c.add(RuleUserHomeMntRoot)
	case !strings.HasPrefix(h, "/mnt/") || len(strings.Split(strings.Trim(path.Clean(h), "/"), "/")) < 2:
		c.add(RuleUserHomeVolume, h)
	case len(strings.Split(strings.Trim(path.Clean(h), "/"), "/")) == 2 && !p.HomeCreate.V:
		c.add(RuleUserHomePoolRoot, path.Clean(h))
	case !InPool(h):
		// "/mnt/tank/../../usr/local/bin" passes the checks above, which
		// TrueNAS makes on the text; its check_path_resides_within_volume
		// (validators.py:190) then looks at the real path.
		c.add(RuleUserHomePool)
	default:
		return true
	}
	return false
}

// IsControl says whether r is a control character (C0, DEL or C1): none
// may be in a field the box files hold as text.
func IsControl(r rune) bool { return r < 0x20 || r >= 0x7f && r < 0xa0 }

// NormalizeHome is the home path as the engine stores and compares it:
// "." and ".." resolved, "//" and a trailing "/" dropped (path.Clean).
// Non-absolute values are returned as they are.
func NormalizeHome(h string) string {
	if !strings.HasPrefix(h, "/") {
		return h
	}
	return path.Clean(h)
}

// InPool says whether the normalised path h lies strictly inside a pool
// mount point, /mnt/<pool>/..., or is one (TrueNAS's "resides within a
// pool mount point", validators.py:190: commonpath with /mnt/<pool>).
func InPool(h string) bool {
	c := NormalizeHome(h)
	parts := strings.Split(strings.TrimPrefix(c, "/"), "/")
	return strings.HasPrefix(c, "/mnt/") && len(parts) >= 2 && parts[1] != ""
}

// immutableUser says whether TrueNAS refuses changes to the user's
// identity: built-in users and truenas_admin (uid 950).
func immutableUser(u *UserEntry) bool { return u.Immutable || u.Builtin || u.UID == UIDTruenasAdmin }

func boxUser(c *checker, p *UserPayload, old *UserEntry, box Box) {
	v := userView{p: p, old: old}
	var selfID int64 = -1
	if old != nil {
		selfID = old.ID
	}

	// Primary group.
	if !p.Group.Null && p.Group.V != 0 && (p.Create || p.Group.Set) {
		if _, ok := box.GroupByID(p.Group.V); !ok {
			c.add(RuleUserGroupNotFound, p.Group.V)
		}
	}

	// Username and SMB name.
	if p.Username.Set {
		if u, ok := box.UserByName(p.Username.V); ok && u.ID != selfID {
			c.add(RuleUserUsernameExists, p.Username.V)
		}
		if smb, _ := v.smb(); smb {
			if u, ok := box.SMBUserByNameFold(p.Username.V); ok && u.ID != selfID {
				c.add(RuleUserSMBConflict, p.Username.V)
			}
		}
	}

	// group_create reuses a stored group of that name; a group only the
	// box's files have (ID < 0, see Box) cannot be reused.
	if p.Create && p.GroupCreate.V && p.Username.V != "" {
		if g, ok := box.GroupByName(p.Username.V); ok && g.ID < 0 {
			c.add(RuleUserGroupCreateForeign, p.Username.V)
		}
	}

	// uid.
	if p.Create && p.UID.Set && !p.UID.Null {
		if u, ok := box.UserByUID(p.UID.V); ok {
			c.add(RuleUserUIDUsed, p.UID.V, u.Username)
		}
	}

	if old != nil {
		// SMB switched on without a new password.
		hasPassword := p.Password.Set && !p.Password.Null && p.Password.V != ""
		if p.SMB.Set && p.SMB.V && !old.SMB && !hasPassword && !p.RandomPassword.V {
			c.add(RuleUserSMBPasswordReset)
		}
		if p.PasswordDisabled.Set && p.PasswordDisabled.V && !old.PasswordDisabled && lastLocalAdmin(old, box) {
			c.add(RuleUserPasswordDisabledLast)
		}
		if p.Locked.Set && p.Locked.V && !old.Locked && lastFullAdmin(old, box) {
			c.add(RuleUserLockedLastAdmin)
		}
		if immutableUser(old) {
			if p.HomeMode.Set {
				c.add(RuleUserImmutableHomeMode)
			}
			if p.Group.Set {
				c.field(RuleUserImmutableChanged, "group")
			}
			if p.Home.Set && p.Home.V != old.Home {
				c.field(RuleUserImmutableChanged, "home")
			}
			if p.Username.Set && p.Username.V != old.Username {
				c.field(RuleUserImmutableChanged, "username")
			}
			if p.SMB.Set && p.SMB.V != old.SMB {
				c.field(RuleUserImmutableChanged, "smb")
			}
			if p.UsernsIdmap.Set && !sameIdmap(p.UsernsIdmap, old.UsernsIdmap) {
				c.field(RuleUserImmutableChanged, "userns_idmap")
			}
		}
	}

	// Home directory on the box.
	if homeChecked(p, old) && p.Home.V != DefaultHome && staticHomeOK(p) {
		boxHome(c, p, old, box)
	}

	// sshpubkey on update.
	if !p.Create && p.SSHPubKey.Set && !p.SSHPubKey.Null && p.SSHPubKey.V != "" {
		home, _ := v.home()
		uid := int64(-1)
		if old != nil {
			uid = old.UID
		}
		if uid != 0 && uid != UIDTruenasAdmin && !strings.HasPrefix(home, "/mnt/") {
			c.add(RuleUserSSHPubKeyHomeUpdate)
		}
	}

	// Auxiliary groups.
	if p.Groups.Set {
		for i, id := range p.Groups.V {
			if id >= BaseSyntheticID {
				continue
			}
			g, ok := box.GroupByID(id)
			if !ok {
				c.idx(RuleUserGroupsMissing, i)
				continue
			}
			if !g.Builtin || AllowedBuiltinGroup(g.Name, g.GID) {
				continue
			}
			if old != nil && slices.Contains(old.Groups, id) {
				continue
			}
			c.idx(RuleUserGroupsBuiltin, i, g.Name)
		}
	}
	if p.Groups.Set {
		if old != nil && old.UID == 0 {
			if admins, ok := box.GroupByGID(GIDBuiltinAdministrators); ok {
				if !slices.Contains(p.Groups.V, admins.ID) {
					c.add(RuleUserGroupsRootKeep)
				}
				for _, id := range p.Groups.V {
					if id != admins.ID {
						c.add(RuleUserGroupsRootOnly)
						break
					}
				}
			}
		}
	}

	// Shell choices depend on the groups.
	gids := userGIDs(p, old, box)
	privileged := len(PrivilegesForGIDs(box.Privileges(), gids)) > 0
	if p.Create || p.Shell.Set {
		if _, ok := ShellChoices(box.Shells(), privileged)[p.Shell.V]; !ok {
			c.add(RuleUserShellInvalid)
		}
	}

	// userns_idmap on privileged accounts.
	if p.UsernsIdmap.Set && !p.UsernsIdmap.Null && privilegedRoles(gids, box) {
		c.add(RuleUserIdmapPrivileged)
	}

	// sudo paths.
	if p.SudoCommands.Set {
		boxSudo(c, "sudo_commands", p.SudoCommands.V, box)
	}
	if p.SudoCommandsNopasswd.Set {
		boxSudo(c, "sudo_commands_nopasswd", p.SudoCommandsNopasswd.V, box)
	}
}

// boxSudo runs only the box-dependent sudo rules (the static ones ran
// already) by running the whole check and keeping the box errors.
func boxSudo(c *checker, field string, cmds []string, box Box) {
	tmp := &checker{prefix: c.prefix}
	checkSudo(tmp, field, cmds, box)
	static := &checker{prefix: c.prefix}
	checkSudo(static, field, cmds, nil)
	c.errs = append(c.errs, tmp.errs[len(static.errs):]...)
}

// homeChecked says whether the home rules apply: on create, and on an
// update that sends a home different from the stored one (or home_create).
func homeChecked(p *UserPayload, old *UserEntry) bool {
	if p.Create {
		return true
	}
	return p.Home.Set && (old == nil || p.Home.V != old.Home || p.HomeCreate.V)
}

func staticHomeOK(p *UserPayload) bool {
	return staticHome(&checker{prefix: p.Prefix()}, p)
}

func boxHome(c *checker, p *UserPayload, old *UserEntry, box Box) {
	h := p.Home.V
	// No symlink on the way, which the engine will not follow as root:
	// the real path is then the normalised one, checked in the pool.
	if link := box.FirstSymlink(h); link != "" {
		c.add(RuleUserHomeSymlink, link)
		return
	}
	switch box.Stat(h) {
	case PathFile, PathOther:
		c.add(RuleUserHomeFile)
		return
	case PathMissing:
		if p.HomeCreate.V {
			c.add(RuleUserHomeCreateMissing, h)
		} else {
			c.add(RuleUserHomeMissing, h)
		}
		if parent := path.Dir(path.Clean(h)); box.Stat(parent) != PathDir {
			c.add(RuleUserHomeParentMissing, parent)
		}
		return
	}
	target := h
	if p.HomeCreate.V {
		name := p.Username.V
		if !p.Username.Set && old != nil {
			name = old.Username
		}
		target = path.Join(h, name)
		// Checked here, before anything is saved (TrueNAS finds it in
		// setup_homedir, after its own checks but before the insert).
		switch box.Stat(target) {
		case PathFile, PathOther:
			c.add(RuleUserHomeNotDir)
			return
		}
		if link := box.FirstSymlink(target); link != "" {
			c.add(RuleUserHomeSymlink, link)
			return
		}
	}
	self := int64(-1)
	if old != nil {
		self = old.ID
	}
	// The message names the path as given, the parent with home_create,
	// as TrueNAS's validate_homedir_path does (account.py line 522).
	if u, ok := box.HomeUsedBy(NormalizeHome(target), self); ok {
		c.add(RuleUserHomeUsed, h, u.Username)
	}
}

// userGIDs returns the gids of the user's primary and auxiliary groups
// after the call.
func userGIDs(p *UserPayload, old *UserEntry, box Box) []int64 {
	var gids []int64
	if (p.Create || p.Group.Set) && !p.Group.Null {
		if g, ok := box.GroupByID(p.Group.V); ok {
			gids = append(gids, g.GID)
		}
	} else if old != nil {
		gids = append(gids, old.Group.GID)
	}
	ids := p.Groups.V
	if !p.Groups.Set && old != nil {
		ids = old.Groups
	}
	for _, id := range ids {
		if g, ok := box.GroupByID(id); ok {
			gids = append(gids, g.GID)
		}
	}
	return gids
}

func privilegedRoles(gids []int64, box Box) bool {
	return len(RolesForGIDs(box.Privileges(), gids)) > 0
}

func sameIdmap(f Field[any], old any) bool {
	if f.Null {
		return old == nil
	}
	return fmt.Sprint(f.V) == fmt.Sprint(old)
}

// IsLocalAdministrator says whether u counts as a local administrator
// (privilege.py: local_administrators): a password-enabled user (not
// locked, password login not disabled, a usable password hash) in one of
// the groups of the built-in "Local Administrator" privilege.
func IsLocalAdministrator(u *UserEntry, box Box) bool {
	if !passwordEnabled(u) {
		return false
	}
	admin := localAdministratorGIDs(box)
	for _, gid := range entryGIDs(u, box) {
		if slices.Contains(admin, gid) {
			return true
		}
	}
	return false
}

// lastLocalAdmin says whether u is a local administrator and no other
// password-enabled user is a grantee of the Local Administrator privilege
// (privilege.py: before_user_deactivation, which asks
// group.has_password_enabled_user of that privilege's local groups without
// u). A user who is no administrator is never refused.
func lastLocalAdmin(u *UserEntry, box Box) bool {
	if !IsLocalAdministrator(u, box) {
		return false
	}
	return len(PasswordEnabledUsers(localAdministratorGIDs(box), []int64{u.ID}, box)) == 0
}

// lastFullAdmin says whether locking u leaves no unlocked local user with
// the FULL_ADMIN role (account.py do_update, NAS-136301: user.query
// [roles rin FULL_ADMIN, local, not locked, id != u]). Only a user who holds
// FULL_ADMIN is refused.
func lastFullAdmin(u *UserEntry, box Box) bool {
	privs := box.Privileges()
	if !slices.Contains(RolesForGIDs(privs, entryGIDs(u, box)), "FULL_ADMIN") {
		return false
	}
	for _, p := range privs {
		if !slices.Contains(p.Roles, "FULL_ADMIN") {
			continue
		}
		for _, gid := range p.LocalGroups {
			g, ok := storedGroupByGID(box, gid)
			if !ok {
				continue
			}
			members := slices.Clone(g.Users)
			for _, pu := range box.PrimaryUsers(g.ID) {
				members = append(members, pu.ID)
			}
			for _, id := range members {
				if id == u.ID {
					continue
				}
				if o, ok := box.UserByID(id); ok && !o.Locked {
					return false
				}
			}
		}
	}
	return true
}

// CheckUserDelete returns the CallError that refuses user.delete of u, or
// nil. The engine checks "Cannot delete the currently active user"
// (RuleUserDeleteActive) itself, since only it knows the session.
func CheckUserDelete(u *UserEntry, box Box) *CallError {
	switch {
	case u.ID >= BaseSyntheticID:
		return CallErrorFor(RuleUserDSDelete)
	case u.Builtin:
		return CallErrorFor(RuleUserDeleteBuiltin)
	case immutableUser(u):
		return CallErrorFor(RuleUserDeleteImmutable)
	case box != nil && lastLocalAdmin(u, box):
		return CallErrorFor(RuleUserDeleteLastAdmin)
	}
	return nil
}
