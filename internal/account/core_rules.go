package account

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// CORE 13.3-U1.2's validation (plugins/account.py and plugins/api_key.py
// at TN-13.3-U1.2), run on a decoded payload. Rules whose attribute,
// message and errno are the same as SCALE's come from the shared
// catalogue (Rules()); the ones CORE words otherwise are here. A nil box
// runs the rules that need nothing but the payload (plan time).
//
// The checks return nil, Errors (a ValidationErrors) or a *CallError
// where CORE fails with a call error instead: a missing primary group on
// create, an exception CORE does not catch (reported as its text, errno
// EINVAL).

// CORE's own messages.
const (
	coreMsgHomeMnt          = `"Home Directory" must begin with /mnt/ or set to /nonexistent.` // account.py:867
	coreMsgHomePoolRoot     = `The specified path is a ZFS pool mountpoint "(%s)" `            // account.py:887
	coreMsgFullNameColon    = `The ":" character is not allowed in a "Full Name".`             // account.py:921
	coreMsgFullNameNewline  = `The "\n" character is not allowed in a "Full Name".`            // account.py:927
	coreMsgSSHPubKeyCreate  = "The home directory is not writable. Leave this field blank."    // account.py:278
	coreMsgSMBPassword      = "Password must be changed in order to enable SMB authentication" // account.py:455
	coreMsgGIDExists        = `The Group ID "%d" already exists.`                              // account.py:1374
	coreMsgAPIKeyNameExists = "Object with this name already exists"                           // service.py:564
	coreMsgIndexError       = "list index out of range"                                        // Python's IndexError

	// Ours (ourUser, ourGroup): what CORE takes but a line of passwd,
	// group or sudoers cannot hold.
	coreMsgNameEmpty   = "Must be at least 1 character in length"
	coreMsgNameControl = "Control characters (line breaks, NUL...) are not allowed."
	coreMsgIDRange     = "Must be between 0 and %d."
)

// coreChecker collects validation errors and stops at the first
// exception CORE does not catch.
type coreChecker struct {
	checker
	fatal *CallError
}

func (c *coreChecker) lit(field, msg string, errno Errno) {
	c.errs.Add(c.prefix+"."+field, msg, errno)
}

func (c *coreChecker) result() error {
	if c.fatal != nil {
		return c.fatal
	}
	if len(c.errs) == 0 {
		return nil
	}
	return c.errs
}

// coreShellChoices is user.shell_choices(pk) (account.py:645): the lines
// of /etc/shells that begin with "/" (trailing white space dropped) and
// /usr/sbin/nologin; a shell with netcli in its path only for root.
func coreShellChoices(box Box, root bool) []string {
	var out []string
	for _, l := range append(box.Shells(), "/usr/sbin/nologin") {
		if !strings.HasPrefix(l, "/") {
			continue
		}
		l = strings.TrimRightFunc(l, unicode.IsSpace)
		if !strings.Contains(l, "netcli") || root {
			out = append(out, l)
		}
	}
	return out
}

// coreSudo is validate_sudo_commands (account.py:74): shlex's own errors,
// an absolute and normalised executable, a glob that matches an
// executable file. A command with no word makes CORE fail with an
// IndexError (shlex.split(...)[0]); "ALL" is not special here (an empty
// list is what grants every command, in the sudoers template).
func coreSudo(c *coreChecker, cmds []string, box Box) {
	for i, cmd := range cmds {
		words, err := shlexSplit(cmd)
		if err != nil {
			c.at(RuleSudoParse, "sudo_commands", i, err.Error())
			continue
		}
		if len(words) == 0 {
			c.fatal = &CallError{Errno: EINVAL, Message: coreMsgIndexError}
			return
		}
		exe := words[0]
		if !strings.HasPrefix(exe, "/") {
			c.at(RuleSudoAbsolute, "sudo_commands", i)
			continue
		}
		if strings.TrimRight(pyNormpath(exe), "/") != strings.TrimRight(exe, "/") {
			c.at(RuleSudoNormalized, "sudo_commands", i)
			continue
		}
		if box == nil {
			continue
		}
		matches, execs := box.GlobExecutables(exe)
		if matches == 0 {
			c.at(RuleSudoNoMatch, "sudo_commands", i, pyRepr(exe))
			continue
		}
		if execs == 0 && !strings.HasSuffix(exe, "/") {
			c.at(RuleSudoNotExec, "sudo_commands", i, pyRepr(exe))
		}
	}
}

// coreHomeInPool says whether home lies in a pool: CORE compares the text
// with each pool's path (account.py:871); a pool here is any /mnt/<name>,
// as in the engine's other releases (InPool).
func coreHomeInPool(home string) bool {
	rest, ok := strings.CutPrefix(home, "/mnt/")
	if !ok {
		return false
	}
	pool, _, _ := strings.Cut(rest, "/")
	return pool != ""
}

// coreCommonUser is UserService.__common_validation (account.py:812).
// pk is the user's DB id on update, 0 on create; old the stored user on
// update.
func coreCommonUser(c *coreChecker, p *CoreUserPayload, pk int64, old *CoreUserEntry, box Box) {
	if p.Username.Set {
		name := p.Username.V
		pwCheckname(&c.checker, RuleUserUsernameBegin, RuleUserUsernameDollar, RuleUserUsernameInvalid, name)
		if box != nil {
			if u, ok := box.UserByName(name); ok && u.ID != ForeignID && u.ID != pk {
				c.add(RuleUserUsernameExists, name)
			}
			if p.SMB.Set && p.SMB.V {
				if u, ok := box.SMBUserByNameFold(name); ok && u.ID != ForeignID && u.ID != pk {
					c.add(RuleUserSMBConflict, name)
				}
			}
		}
	}

	password := p.Password.Set && !p.Password.Null && p.Password.V != ""
	disabled := p.PasswordDisabled.Set && p.PasswordDisabled.V
	if pk == 0 && !password && !disabled {
		c.add(RuleUserPasswordRequired)
	} else if disabled && password {
		c.add(RuleUserPasswordDisabledPW)
	}

	if p.Home.Set {
		h := p.Home.V
		if !strings.HasPrefix(h, "/") {
			c.add(RuleUserHomeAbsolute)
			return
		}
		if box != nil && box.Stat(path.Clean(h)) == PathFile {
			c.add(RuleUserHomeFile)
			return
		}
		if strings.Contains(h, ":") {
			c.add(RuleUserHomeColon)
		}
		if h != CoreDefaultHome {
			switch {
			case !strings.HasPrefix(h, "/mnt/"):
				c.lit("home", coreMsgHomeMnt, EINVAL)
			case !coreHomeInPool(h):
				c.add(RuleUserHomeVolume, h)
			case len(strings.Split(strings.TrimPrefix(path.Clean(h), "/"), "/")) == 2:
				// len(Path(home).resolve().parents) == 2: /mnt/<pool>.
				c.lit("home", fmt.Sprintf(coreMsgHomePoolRoot, h), EINVAL)
			}
		}
	}

	if p.HomeMode.Set {
		if m, ok := ParseHomeMode(p.HomeMode.V); !ok {
			c.add(RuleUserHomeModeInvalid)
		} else {
			if m&0o400 == 0 {
				c.add(RuleUserHomeModeRead)
			}
			if m&0o100 == 0 {
				c.add(RuleUserHomeModeExec)
			}
		}
	}

	if p.Groups.Set && len(p.Groups.V) > CoreMaxAuxGroups {
		c.add(RuleUserGroupsMax)
	}

	if p.FullName.Set && strings.Contains(p.FullName.V, ":") {
		c.lit("full_name", coreMsgFullNameColon, EINVAL)
	}
	if p.FullName.Set && strings.Contains(p.FullName.V, "\n") {
		c.lit("full_name", coreMsgFullNameNewline, EINVAL)
	}

	if p.Shell.Set && box != nil {
		root := old != nil && old.Username == "root"
		if !slices.Contains(coreShellChoices(box, root), p.Shell.V) {
			c.add(RuleUserShellInvalid)
		}
	}

	if p.SudoCommands.Set {
		coreSudo(c, p.SudoCommands.V, box)
	}
}

// ourUser adds the engine's own refusals, after CORE's: CORE stores these
// in its database and renders passwd from it; the engine writes the
// box's text files, where an empty name, a control character (a line
// break in a username, full name, home or sudo command would add a line
// to passwd or sudoers) or an id no kernel takes would break them.
func ourUser(c *coreChecker, p *CoreUserPayload) {
	if p.UID.Set && (p.UID.V < 0 || p.UID.V > MaxContainerXID) {
		c.lit("uid", fmt.Sprintf(coreMsgIDRange, MaxContainerXID), EINVAL)
	}
	if p.Username.Set {
		ourName(c, "username", p.Username.V)
	}
	if p.FullName.Set && strings.ContainsFunc(p.FullName.V, func(r rune) bool { return r != '\n' && IsControl(r) }) {
		c.add(RuleUserFullNameControl) // a line break has CORE's own message
	}
	if p.Home.Set && strings.ContainsFunc(p.Home.V, IsControl) {
		c.add(RuleUserHomeControl)
	}
	ourSudo(c, p.SudoCommands)
}

func ourName(c *coreChecker, field, name string) {
	switch {
	case name == "":
		c.lit(field, coreMsgNameEmpty, EINVAL)
	case strings.ContainsFunc(name, func(r rune) bool { return r != '\t' && IsControl(r) }):
		c.lit(field, coreMsgNameControl, EINVAL) // a tab is in pw_checkname's list
	}
}

func ourSudo(c *coreChecker, cmds Field[[]string]) {
	if !cmds.Set {
		return
	}
	for i, cmd := range cmds.V {
		if strings.ContainsFunc(cmd, IsControl) {
			c.at(RuleSudoControl, "sudo_commands", i)
		}
	}
}

// ourGroup is ourUser for groups.
func ourGroup(c *coreChecker, p *CoreGroupPayload) {
	if p.GID.Set && (p.GID.V < 0 || p.GID.V > MaxContainerXID) {
		c.lit("gid", fmt.Sprintf(coreMsgIDRange, MaxContainerXID), EINVAL)
	}
	if p.Name.Set {
		ourName(c, "name", p.Name.V)
	}
	ourSudo(c, p.SudoCommands)
}

// CheckCoreUserCreate runs CORE's user.create checks (account.py:259-304,
// 363) on a decoded payload, in CORE's order: the group choice, the
// common validation, the authorized key's home; then, with a box, the
// primary group (a CallError EFAULT "Group N not found" when group_create
// is false and the group does not exist) and the auxiliary groups (a
// CallError ENOENT). Neither uid nor gid is checked for reuse: CORE
// accepts a uid another user has.
func CheckCoreUserCreate(p *CoreUserPayload, box Box) error {
	c := &coreChecker{checker: checker{prefix: "user_create"}}
	group := p.Group.Set && p.Group.V != 0
	groupCreate := p.GroupCreate.Set && p.GroupCreate.V
	if (!group && !groupCreate) || (p.Group.Set && groupCreate) {
		c.add(RuleUserGroupChoose)
	}
	coreCommonUser(c, p, 0, nil, box)
	if c.fatal != nil {
		return c.fatal
	}
	if p.SSHPubKey.Set && !p.SSHPubKey.Null && p.SSHPubKey.V != "" && !strings.HasPrefix(p.Home.V, "/mnt") {
		c.lit("sshpubkey", coreMsgSSHPubKeyCreate, EINVAL)
	}
	if done, err := ourUserChecks(c, p, box); done {
		return err
	}
	if !groupCreate {
		if g, ok := box.GroupByID(p.Group.V); !ok || g.ID == ForeignID {
			return NewCallError(EFAULT, "Group %d not found", p.Group.V)
		}
	}
	// the row is inserted (attributes stored) before the groups are set
	if ce := p.storeError(); ce != nil {
		return ce
	}
	return coreCheckGroupIDs(p, box)
}

func coreCheckGroupIDs(p *CoreUserPayload, box Box) error {
	ids, ce := p.GroupIDs()
	if ce != nil {
		return ce
	}
	for _, id := range ids {
		if g, ok := box.GroupByID(id); !ok || g.ID == ForeignID {
			return NewCallError(ENOENT, "Group %d not found", id)
		}
	}
	return nil
}

// CheckCoreUserUpdate runs CORE's user.update checks (account.py:417-457,
// 974) for the stored user old (the caller answers NotFound("User", id)
// when there is none): the primary group, the common validation, the
// authorized key's home, the built-in user's fixed attributes, SMB needing
// a password; then, with a box, the auxiliary groups.
func CheckCoreUserUpdate(p *CoreUserPayload, old *CoreUserEntry, box Box) error {
	if old == nil {
		return NotFound("User", 0) // the caller looks the user up first
	}
	c := &coreChecker{checker: checker{prefix: "user_update"}}
	if p.Group.Set && box != nil {
		if g, ok := box.GroupByID(p.Group.V); !ok || g.ID == ForeignID {
			// account.py:426-427 adds the error, then indexes the empty
			// result: the IndexError is what the caller gets.
			return &CallError{Errno: EINVAL, Message: coreMsgIndexError}
		}
	}
	coreCommonUser(c, p, old.ID, old, box)
	if c.fatal != nil {
		return c.fatal
	}
	home := old.Home
	if p.Home.Set && p.Home.V != "" {
		home = p.Home.V
	}
	if p.SSHPubKey.Set && !p.SSHPubKey.Null && p.SSHPubKey.V != "" && !strings.HasPrefix(home, "/mnt") && old.UID != 0 {
		c.add(RuleUserSSHPubKeyHomeUpdate)
	}
	if old.Builtin {
		// account.py:447-450. user['group'] is still the group row when
		// group is sent, so any group differs; the stored user has no
		// home_mode, so sending one raises a KeyError.
		changed := map[string]bool{
			"group":    p.Group.Set,
			"home":     p.Home.Set && p.Home.V != old.Home,
			"uid":      p.UID.Set && p.UID.V != old.UID,
			"username": p.Username.Set && p.Username.V != old.Username,
			"smb":      p.SMB.Set && p.SMB.V != old.SMB,
		}
		for _, f := range []string{"group", "home", "home_mode", "uid", "username", "smb"} {
			if f == "home_mode" {
				if p.HomeMode.Set {
					return &CallError{Errno: EINVAL, Message: "'home_mode'"}
				}
				continue
			}
			if changed[f] {
				c.at(RuleUserImmutableChanged, f, -1)
			}
		}
	}
	if !old.SMB && p.SMB.Set && p.SMB.V && !(p.Password.Set && p.Password.V != "") {
		c.lit("smb", coreMsgSMBPassword, EINVAL)
	}
	if done, err := ourUserChecks(c, p, box); done {
		return err
	}
	// the groups are set before the row is updated (account.py:566-571)
	if err := coreCheckGroupIDs(p, box); err != nil {
		return err
	}
	return ceErr(p.storeError())
}

// ourUserChecks ends a user's checks that need no box: the engine's own
// (ourUser) and, with no box to look at (the provider's plan-time check),
// what only the store would refuse (an item of groups that is not an
// integer is never a group id). done: the caller has its answer in err.
func ourUserChecks(c *coreChecker, p *CoreUserPayload, box Box) (done bool, err error) {
	ourUser(c, p)
	if err := c.result(); err != nil {
		return true, err
	}
	if box == nil {
		if _, ce := p.GroupIDs(); ce != nil {
			return true, ce
		}
		return true, ceErr(p.storeError())
	}
	return false, nil
}

// ceErr keeps a nil *CallError a nil error.
func ceErr(ce *CallError) error {
	if ce == nil {
		return nil
	}
	return ce
}

// CheckCoreUserDelete is user.delete's refusal (account.py:610): a
// built-in user, CallError EINVAL.
func CheckCoreUserDelete(u *CoreUserEntry) *CallError {
	if u.Builtin {
		return CallErrorFor(RuleUserDeleteBuiltin)
	}
	return nil
}

// CheckCoreGroup runs GroupService.__common_validation (account.py:1324)
// on a decoded group.create (old nil) or group.update payload.
func CheckCoreGroup(p *CoreGroupPayload, old *CoreGroupEntry, box Box) error {
	c := &coreChecker{checker: checker{prefix: p.Prefix()}}
	var pk int64
	if old != nil {
		pk = old.ID
	}
	if p.Name.Set {
		name := p.Name.V
		if p.SMB.Set && p.SMB.V {
			if slices.Contains(smbBuiltinNames, coreUpper(name)) {
				c.add(RuleGroupNameSMBBuiltin, name)
			}
			if box != nil {
				if g, ok := box.SMBGroupByNameFold(name); ok && g.ID != ForeignID && g.ID != pk {
					c.add(RuleGroupNameGroupmap, name)
				}
			}
		}
		if box != nil {
			if g, ok := box.GroupByName(name); ok && g.ID != ForeignID && g.ID != pk {
				c.add(RuleGroupNameExists, name)
			}
		}
		pwCheckname(&c.checker, RuleGroupNameBegin, RuleGroupNameDollar, RuleGroupNameInvalid, name)
	}
	allowDup := p.AllowDuplicateGID.Set && p.AllowDuplicateGID.V
	if p.GID.Set && p.GID.V != 0 && !allowDup && box != nil {
		if g, ok := storedGroupByGID(box, p.GID.V); ok && g.ID != pk {
			c.lit("gid", fmt.Sprintf(coreMsgGIDExists, p.GID.V), EEXIST)
		}
	}
	if p.Users.Set && box != nil {
		var missing []int64
		for _, id := range p.Users.V {
			if u, ok := box.UserByID(id); (!ok || u.ID == ForeignID) && !slices.Contains(missing, id) {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			// A Python set of small ints iterates in ascending order.
			sort.Slice(missing, func(i, j int) bool { return missing[i] < missing[j] })
			s := make([]string, len(missing))
			for i, id := range missing {
				s[i] = strconv.FormatInt(id, 10)
			}
			c.add(RuleGroupUsersMissing, strings.Join(s, ", "))
		}
	}
	if p.SudoCommands.Set {
		coreSudo(c, p.SudoCommands.V, box)
	}
	if c.fatal == nil {
		ourGroup(c, p)
	}
	return c.result()
}

// coreUpper is Python's str.upper for the comparison with the SMB
// builtin names, rune by rune: Python's multi-letter special casings
// (ligatures such as "ﬅ" to "ST") are not applied; such names fail
// pw_checkname (non-ASCII) anyway.
func coreUpper(s string) string { return strings.ToUpper(s) }

// CheckCoreGroupDelete is group.delete's refusal (account.py:1268): a
// built-in group, CallError EACCES.
func CheckCoreGroupDelete(g *CoreGroupEntry) *CallError {
	if g.Builtin {
		return CallErrorFor(RuleGroupDeleteBuiltin)
	}
	return nil
}

// CheckCoreAPIKey is ApiKeyService._validate (api_key.py:134): the name
// (sent, or the stored one on update) unique among the keys other than
// old.
func CheckCoreAPIKey(p *CoreAPIKeyPayload, old *CoreAPIKeyEntry, box Box) error {
	name := p.Name.V
	var id int64
	if old != nil {
		id = old.ID
		if !p.Name.Set {
			name = old.Name
		}
	}
	if box == nil {
		return nil
	}
	if k, ok := box.APIKeyByName(name); ok && (old == nil || k.ID != id) {
		return Errors{{Attribute: p.Prefix() + ".name", Message: coreMsgAPIKeyNameExists, Errno: EINVAL}}
	}
	return nil
}

// CoreNextID is get_next_uid / get_next_gid (account.py:725, 1292): from
// 1000, the first gap in the ids of the non-builtin accounts, else one past
// the largest. Nothing is reserved: ids below 1000 are skipped, ids that a
// builtin account or an NSS-only account has are not.
func CoreNextID(ids []int64) int64 {
	s := slices.Clone(ids)
	slices.Sort(s)
	last := CoreFirstID - 1
	for _, id := range s {
		if id-last > 1 {
			return last + 1
		}
		if id > last {
			last = id
		}
	}
	return last + 1
}

// CoreSudoersLine is the sudoers line CORE's template writes for an
// account (etc_files/local/sudoers at TN-13.3-U1.2): none without sudo;
// the commands stripped of surrounding white space, empty ones dropped,
// "\", ",", ":" and "=" escaped, joined with ", "; no command left means
// ALL. name is the username, or the group name (written %name).
func CoreSudoersLine(name string, group, sudo, nopasswd bool, commands []string) string {
	if !sudo {
		return ""
	}
	var cmds []string
	for _, c := range commands {
		c = strings.TrimFunc(c, unicode.IsSpace)
		if c == "" {
			continue
		}
		for _, ch := range []string{`\`, ",", ":", "="} {
			c = strings.ReplaceAll(c, ch, `\`+ch)
		}
		cmds = append(cmds, c)
	}
	list := "ALL"
	if len(cmds) > 0 {
		list = strings.Join(cmds, ", ")
	}
	if group {
		name = "%" + name
	}
	tag := ""
	if nopasswd {
		tag = "NOPASSWD: "
	}
	return name + " ALL=(ALL) " + tag + list
}

// CoreUIHome is the home the CORE web UI sends for a home directory
// chosen as parent (the "Managing Users" page: a path that does not end
// with the username gets a subdirectory of that name). The middleware
// does not do this itself: user.create and user.update take home as given.
func CoreUIHome(home, username string) string {
	if home == CoreDefaultHome || path.Base(home) == username {
		return home
	}
	return strings.TrimRight(home, "/") + "/" + username
}
