package account

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The built-in privileges' builtin_name values (plugins/account_/
// privilege.py: BuiltinPrivileges).
const (
	PrivilegeLocalAdministrator    = "LOCAL_ADMINISTRATOR"
	PrivilegeReadonlyAdministrator = "READONLY_ADMINISTRATOR"
	PrivilegeSharingAdministrator  = "SHARING_ADMINISTRATOR"
)

// PrivilegePayload is the decoded argument of privilege.create (Create
// true) or privilege.update. For a create, unsent lists are empty.
type PrivilegePayload struct {
	Create bool

	Name        Field[string]
	LocalGroups Field[[]int64]
	DSGroups    Field[[]any] // int64 gids or SID strings (upper-cased)
	Roles       Field[[]string]
	WebShell    Field[bool]
}

// Prefix is "privilege_create" or "privilege_update".
func (p *PrivilegePayload) Prefix() string {
	if p.Create {
		return "privilege_create"
	}
	return "privilege_update"
}

// UnmappedGroup is how privilege.query shows a gid or SID that no group
// answers to (api/v25_10_5/privilege.py: UnmappedGroupEntry): group is
// always null.
type UnmappedGroup struct {
	GID   *int64  `json:"gid"`
	SID   *string `json:"sid"`
	Group any     `json:"group"`
}

// PrivilegeEntry is a privilege as privilege.query returns it: local_groups
// and ds_groups expanded into group entries (GroupEntry or UnmappedGroup).
type PrivilegeEntry struct {
	ID          int64    `json:"id"`
	BuiltinName *string  `json:"builtin_name"`
	Name        string   `json:"name"`
	LocalGroups []any    `json:"local_groups"`
	DSGroups    []any    `json:"ds_groups"`
	Roles       []string `json:"roles"`
	WebShell    bool     `json:"web_shell"`
}

// ExpandPrivilege turns a stored privilege into its privilege.query entry,
// as privilege.py's item_extend does (_local_groups, _ds_groups): each
// local gid becomes the local group that has it, or an UnmappedGroup with
// that gid; each directory-service gid or SID becomes an UnmappedGroup (the
// local groups box knows are not directory-service groups, and there is no
// directory service to map a SID).
func ExpandPrivilege(p Privilege, box Box) PrivilegeEntry {
	e := PrivilegeEntry{
		ID: p.ID, BuiltinName: p.BuiltinName, Name: p.Name, WebShell: p.WebShell,
		LocalGroups: []any{}, DSGroups: []any{}, Roles: slices.Clone(p.Roles),
	}
	if e.Roles == nil {
		e.Roles = []string{}
	}
	for _, gid := range p.LocalGroups {
		if g, ok := storedGroupByGID(box, gid); ok {
			if g.Local {
				e.LocalGroups = append(e.LocalGroups, g)
			}
			continue
		}
		e.LocalGroups = append(e.LocalGroups, UnmappedGroup{GID: &gid})
	}
	for _, x := range p.DSGroups {
		switch v := x.(type) {
		case string:
			e.DSGroups = append(e.DSGroups, UnmappedGroup{SID: &v})
		default:
			gid, ok := dsGID(v)
			if !ok {
				continue
			}
			if _, local := storedGroupByGID(box, gid); local {
				continue // privilege.py:_ds_groups skips local groups
			}
			e.DSGroups = append(e.DSGroups, UnmappedGroup{GID: &gid})
		}
	}
	return e
}

// dsGID reads a numeric ds_groups item (int64, float64 or json.Number).
func dsGID(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case float64:
		return int64(n), n == math.Trunc(n)
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

// Messages of privilege.py.
const (
	msgSIDMalformed = "Assertion failed, SID is malformed. See MS-DTYP Section 2.4 for SID type specifications. " +
		"Typically SIDs refer to existing objects on the local or remote server and so an appropriate value " +
		"should be queried prior to submitting to API endpoints."
)

// IsValidSID says whether s is a SID that privilege.create accepts in
// ds_groups (utils/sid.py sid_is_valid, on the upper-cased value).
func IsValidSID(s string) bool { return sidIsValid(s) }

// sidIsValid is utils/sid.py's sid_is_valid: a few well-known SIDs, or a
// domain SID S-1-5-21-a-b-c with an optional RID, each part 1..2**32.
func sidIsValid(s string) bool {
	switch s {
	case "S-1-1-0", "S-1-3-4", "S-1-5-32-544", "S-1-5-32-545", "S-1-5-32-546":
		return true
	}
	rest, ok := strings.CutPrefix(s, "S-1-5-21-")
	if !ok {
		return false
	}
	parts := strings.Split(rest, "-")
	if len(parts) < 3 || len(parts) > 4 {
		return false
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return false
		}
		v, err := strconv.ParseUint(p, 10, 64)
		if err != nil || v < 1 || v > 1<<32 {
			return false
		}
	}
	return true
}

// dsGroupList decodes ds_groups: list[int | SID]. A SID is stripped and
// upper-cased (api/base/types/user.py: validate_sid).
func (o *obj) dsGroupList(key string) Field[[]any] {
	items, sent, ok := o.list(key)
	if !sent || !ok {
		return Field[[]any]{V: []any{}}
	}
	out := make([]any, 0, len(items))
	bad := false
	for i, it := range items {
		a := fmt.Sprintf("%s.%d", o.attr(key), i)
		if n, msg := intValue(it, math.MinInt64, math.MaxInt64); msg == "" {
			out = append(out, n)
			continue
		}
		t := bytes.TrimSpace(it)
		var s string
		if len(t) > 0 && t[0] == '"' && json.Unmarshal(t, &s) == nil {
			if len([]rune(s)) > MaxStringLength {
				o.fail(a+".int", msgInt)
				o.fail(a+".function-after[validate_sid(), str]", tooLong(MaxStringLength))
				bad = true
				continue
			}
			s = strings.ToUpper(strings.TrimSpace(s))
			if sidIsValid(s) {
				out = append(out, s)
				continue
			}
			o.fail(a+".int", msgInt)
			o.fail(a+".function-after[validate_sid(), str]", msgSIDMalformed)
			bad = true
			continue
		}
		o.fail(a+".int", msgInt)
		o.fail(a+".function-after[validate_sid(), str]", msgString)
		bad = true
	}
	if bad {
		return Field[[]any]{V: []any{}}
	}
	return Some(out)
}

func decodePrivilege(raw []byte, create bool) (*PrivilegePayload, Errors) {
	prefix := "privilege_update"
	if create {
		prefix = "privilege_create"
	}
	o, errs := newObj(prefix, create, raw)
	if errs != nil {
		return nil, errs
	}
	p := &PrivilegePayload{Create: create}
	p.Name = o.str("name", strOpts{required: create, min: 1}, Field[string]{})
	p.LocalGroups = o.intList("local_groups")
	p.DSGroups = o.dsGroupList("ds_groups")
	p.Roles = o.strListWith("roles", strOpts{}) // list[str]: no length floor
	p.WebShell = o.bool("web_shell", false)
	if create && !p.WebShell.Set {
		if _, sent := o.vals["web_shell"]; !sent {
			o.fail(o.attr("web_shell"), msgRequired)
		}
	}
	if errs := o.finish(); len(errs) > 0 {
		return p, errs
	}
	return p, nil
}

// DecodePrivilegeCreate decodes the argument of privilege.create
// (api/v25_10_5/privilege.py: PrivilegeCreate; name and web_shell required,
// local_groups, ds_groups and roles default to []).
func DecodePrivilegeCreate(raw []byte) (*PrivilegePayload, Errors) {
	return decodePrivilege(raw, true)
}

// DecodePrivilegeUpdate decodes the argument of privilege.update (every
// field optional).
func DecodePrivilegeUpdate(raw []byte) (*PrivilegePayload, Errors) {
	return decodePrivilege(raw, false)
}

// mergePrivilege is privilege.py's do_update: the stored privilege with
// the sent keys laid over it (new = old.copy(); new.update(data)).
func mergePrivilege(p *PrivilegePayload, old *Privilege) Privilege {
	n := Privilege{Name: p.Name.V, LocalGroups: p.LocalGroups.V, DSGroups: p.DSGroups.V, Roles: p.Roles.V, WebShell: p.WebShell.V}
	if old == nil {
		return n
	}
	n.ID, n.BuiltinName = old.ID, old.BuiltinName
	if !p.Name.Set {
		n.Name = old.Name
	}
	if !p.LocalGroups.Set {
		n.LocalGroups = old.LocalGroups
	}
	if !p.DSGroups.Set {
		n.DSGroups = old.DSGroups
	}
	if !p.Roles.Set {
		n.Roles = old.Roles
	}
	if !p.WebShell.Set {
		n.WebShell = old.WebShell
	}
	return n
}

// MergePrivilege returns the privilege that privilege.create (old nil) or
// privilege.update (old the stored privilege) would store.
func MergePrivilege(p *PrivilegePayload, old *Privilege) Privilege { return mergePrivilege(p, old) }

// StaticPrivilegeChecks runs the privilege rules that need nothing but the
// payload (unknown roles). The provider runs them at plan time.
func StaticPrivilegeChecks(p *PrivilegePayload) Errors {
	c := &checker{prefix: p.Prefix()}
	if p.Roles.Set {
		for i, r := range p.Roles.V {
			if !IsRole(r) {
				c.idx(RulePrivilegeRoleInvalid, i)
			}
		}
	}
	return c.result()
}

// CheckBuiltinPrivilege runs the rules of privilege.update that protect a
// built-in privilege (privilege.py do_update, lines 103-134): name and
// roles are read-only; Local Administrator keeps builtin_administrators and
// at least one password-enabled grantee; Read-Only Administrator gets no web
// shell. With a nil box the password rule is skipped (the provider at plan
// time). It returns nil when old is not built-in.
func CheckBuiltinPrivilege(p *PrivilegePayload, old *Privilege, box Box) Errors {
	if old == nil || old.BuiltinName == nil || *old.BuiltinName == "" {
		return nil
	}
	c := &checker{prefix: "privilege_update"}
	n := mergePrivilege(p, old)
	if n.Name != old.Name {
		c.field(RulePrivilegeBuiltinReadOnly, "name")
	}
	if !slices.Equal(n.Roles, old.Roles) {
		c.field(RulePrivilegeBuiltinReadOnly, "roles")
	}
	switch *old.BuiltinName {
	case PrivilegeLocalAdministrator:
		if !slices.Contains(n.LocalGroups, GIDBuiltinAdministrators) {
			c.add(RulePrivilegeAdminGroup)
		}
		if box != nil && len(PasswordEnabledUsers(n.LocalGroups, nil, box)) == 0 {
			c.add(RulePrivilegeAdminPassword)
		}
	case PrivilegeReadonlyAdministrator:
		if n.WebShell {
			c.add(RulePrivilegeReadonlyWebShell)
		}
	}
	return c.result()
}

// CheckPrivilege runs every privilege rule, as the engine does before
// privilege.create (old nil) or privilege.update (old the stored row). As
// in privilege.py, the built-in rules are reported alone when they fail;
// otherwise _validate runs on the merged privilege: unique name, local
// groups that exist and have no userns_idmap, directory-service groups that
// exist, known roles.
func CheckPrivilege(p *PrivilegePayload, old *Privilege, box Box) Errors {
	if errs := CheckBuiltinPrivilege(p, old, box); len(errs) > 0 {
		return errs
	}
	c := &checker{prefix: p.Prefix()}
	n := mergePrivilege(p, old)
	for _, o := range box.Privileges() {
		if o.Name == n.Name && (old == nil || o.ID != old.ID) {
			c.add(RulePrivilegeNameUnique)
			break
		}
	}
	for i, gid := range n.LocalGroups {
		g, ok := storedGroupByGID(box, gid)
		if !ok || !g.Local {
			c.idx(RulePrivilegeLocalGroupMissing, i, gid)
			continue
		}
		if g.UsernsIdmap != nil {
			c.idx(RulePrivilegeLocalGroupIdmap, i)
		}
	}
	for i, x := range n.DSGroups {
		c.idx(RulePrivilegeDSGroupMissing, i, fmt.Sprint(x))
	}
	for i, r := range n.Roles {
		if !IsRole(r) {
			c.idx(RulePrivilegeRoleInvalid, i)
		}
	}
	return c.result()
}

// CheckPrivilegeDelete returns the CallError that refuses privilege.delete
// of p, or nil.
func CheckPrivilegeDelete(p *Privilege) *CallError {
	if p.BuiltinName != nil && *p.BuiltinName != "" {
		return CallErrorFor(RulePrivilegeDeleteBuiltin)
	}
	return nil
}

// PrivilegesForGIDs returns the privileges whose local_groups name any of
// the gids, in store order (utils/privilege.py: privileges_group_mapping).
func PrivilegesForGIDs(privs []Privilege, gids []int64) []Privilege {
	var out []Privilege
	for _, p := range privs {
		for _, g := range p.LocalGroups {
			if slices.Contains(gids, g) {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// RolesForGIDs returns the sorted, de-duplicated roles of the privileges
// that name any of the gids: the roles of a group (group.query) or of a
// user through its primary and auxiliary groups (user.query).
func RolesForGIDs(privs []Privilege, gids []int64) []string {
	roles := []string{}
	for _, p := range PrivilegesForGIDs(privs, gids) {
		roles = append(roles, p.Roles...)
	}
	slices.Sort(roles)
	return slices.Compact(roles)
}

// ComposedPrivilege is what a session gets from the privileges of its
// groups (privilege.py: compose_privilege, with no STIG enabled): every
// role expanded with what it includes, and the web shell if any privilege
// grants it.
type ComposedPrivilege struct {
	Roles       []string
	WebShell    bool
	WebUIAccess bool
}

// ComposePrivilege composes the privileges that name any of the gids.
func ComposePrivilege(privs []Privilege, gids []int64) ComposedPrivilege {
	out := ComposedPrivilege{Roles: []string{}}
	for _, p := range PrivilegesForGIDs(privs, gids) {
		for _, r := range p.Roles {
			out.Roles = append(out.Roles, ExpandRole(r)...)
			if i, ok := roleIndex[r]; ok && !roleList[i].Builtin {
				out.WebUIAccess = true
			}
		}
		out.WebShell = out.WebShell || p.WebShell
	}
	slices.Sort(out.Roles)
	out.Roles = slices.Compact(out.Roles)
	return out
}

// entryGIDs is the gids of u's primary and auxiliary groups.
func entryGIDs(u *UserEntry, box Box) []int64 {
	gids := []int64{u.Group.GID}
	for _, id := range u.Groups {
		if g, ok := box.GroupByID(id); ok {
			gids = append(gids, g.GID)
		}
	}
	return gids
}

// passwordEnabled is builtin_administrator.py's test: not locked, password
// login not disabled, and a usable unixhash (unixhash_is_valid: not "x" or
// "*").
func passwordEnabled(u *UserEntry) bool {
	if u.Locked || u.PasswordDisabled || u.Unixhash == nil {
		return false
	}
	h := *u.Unixhash
	return h != "x" && h != "*" && h != ""
}

// PasswordEnabledUsers lists the password-enabled local users that are
// members (auxiliary or primary) of a group with one of the gids, leaving
// out the users with the excluded ids (builtin_administrator.py:
// get_password_enabled_users).
func PasswordEnabledUsers(gids []int64, exclude []int64, box Box) []UserEntry {
	var out []UserEntry
	seen := map[int64]bool{}
	consider := func(u *UserEntry) {
		if seen[u.ID] || slices.Contains(exclude, u.ID) {
			return
		}
		seen[u.ID] = true
		if passwordEnabled(u) {
			out = append(out, *u)
		}
	}
	for _, gid := range gids {
		g, ok := storedGroupByGID(box, gid)
		if !ok {
			continue
		}
		for _, id := range g.Users {
			if u, ok := box.UserByID(id); ok {
				consider(u)
			}
		}
		for _, u := range box.PrimaryUsers(g.ID) {
			consider(&u)
		}
	}
	return out
}

// localAdministratorGIDs is the local_groups of the Local Administrator
// privilege.
func localAdministratorGIDs(box Box) []int64 {
	for _, p := range box.Privileges() {
		if p.BuiltinName != nil && *p.BuiltinName == PrivilegeLocalAdministrator {
			return p.LocalGroups
		}
	}
	return nil
}

// PrivilegeByGID returns the first privilege (in id order) whose
// local_groups name gid: the one privilege.py's used_local_gids and
// before_group_delete report.
func PrivilegeByGID(box Box, gid int64) (*Privilege, bool) {
	for _, p := range box.Privileges() {
		if slices.Contains(p.LocalGroups, gid) {
			return &p, true
		}
	}
	return nil, false
}
