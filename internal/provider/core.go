package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/nasops/terraform-provider-truenas/internal/account"
	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// TrueNAS CORE 13.3 (middleware TN-13.3-U1.2) speaks another account API
// than SCALE: CORE's @accepts schemas, its own query entries, no
// privileges, API keys bound to no user. The resources are written once,
// in SCALE's terms; every call to a CORE box passes through coreCall,
// which says the same thing in CORE's terms or refuses it naming the
// release. No resource can so send a SCALE payload to CORE, or read a CORE
// entry as a SCALE one.

// coreRelease says whether r is TrueNAS CORE 13.3, the CORE release the
// provider speaks.
func coreRelease(r wire.Release) bool { return r.Year == 13 && r.Month == 3 }

// coreName is how messages name the release.
const coreName = "TrueNAS CORE 13.3"

// coreOnly names a CORE-only feature in an error on SCALE.
func coreOnlyMsg(rel wire.Release, what string) string {
	return fmt.Sprintf("The box runs TrueNAS %s (system.version %q): %s is a field of %s only, which SCALE does not have.",
		rel.String(), rel.Raw, what, coreName)
}

// coreRefusedMsg is the error of a SCALE-only feature on CORE.
func coreRefusedMsg(rel wire.Release, what string) string {
	return fmt.Sprintf("The box runs %s (system.version %q): %s, which this release does not have.", coreName, rel.Raw, what)
}

// isCore says whether the run has read the box's release and it is CORE.
func (c *client) isCore() bool {
	if c == nil {
		return false
	}
	c.releaseMu.Lock()
	defer c.releaseMu.Unlock()
	return c.release != nil && coreRelease(*c.release)
}

// releaseAtPlan is the box's release for a plan-time check: read once per
// run (system.version), ok false when the box cannot be reached yet (the
// check then runs at apply).
func (c *client) releaseAtPlan(ctx context.Context) (wire.Release, bool) {
	if c == nil {
		return wire.Release{}, false
	}
	if _, r, err := c.model(ctx); err == nil {
		return r, true
	}
	return wire.Release{}, false
}

// errCore is a call the provider will not send to CORE: the resource's
// plan-time check refuses it first; this is the backstop at apply.
type errCore struct {
	attr string // the Terraform attribute it is about, "" for none
	msg  string
}

func (e *errCore) Error() string { return e.msg }

// coreCall runs method on a CORE box, translated.
func (c *client) coreCall(ctx context.Context, t caller, method string, params []any) (json.RawMessage, error) {
	rel := *c.release
	switch method {
	case "user.query":
		raw, err := t.Call(ctx, method, params...)
		if err != nil {
			return nil, err
		}
		return coreEntries(raw, coreUserToScale)
	case "group.query":
		raw, err := t.Call(ctx, method, coreGroupFilters(params)...)
		if err != nil {
			return nil, err
		}
		return coreEntries(raw, coreGroupToScale)
	case "api_key.query":
		raw, err := t.Call(ctx, method, params...)
		if err != nil {
			return nil, err
		}
		return coreEntries(raw, coreAPIKeyToScale)
	case "user.create", "user.update", "group.create", "group.update", "api_key.create", "api_key.update":
		if method == "user.update" {
			params = c.withUsername(ctx, params)
		}
		ps, err := withLast(params, func(m map[string]any) (map[string]any, error) { return corePayload(method, m, rel) })
		if err != nil {
			return nil, err
		}
		return t.Call(ctx, method, ps...)
	}
	if strings.HasPrefix(method, "privilege.") {
		return nil, &errCore{"", coreRefusedMsg(rel, "privileges (`truenas_privilege`, the privilege data sources and list) need TrueNAS SCALE's privilege.* methods")}
	}
	return t.Call(ctx, method, params...)
}

// withUsername adds the user's current name to a user.update payload that
// creates the home without renaming (home_create needs the name for CORE's
// home path); coreUserPayload takes it out again.
func (c *client) withUsername(ctx context.Context, params []any) []any {
	if len(params) != 2 {
		return params
	}
	id, ok1 := params[0].(int64)
	m, ok2 := params[1].(map[string]any)
	if _, named := m["username"]; !ok1 || !ok2 || named || m["home_create"] != true {
		return params
	}
	u, err := c.userByID(ctx, id)
	if err != nil || u == nil {
		return params
	}
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	out["username"], out[coreOnlyForHome] = u.Username, true
	return []any{id, out}
}

// coreOnlyForHome marks a username added for the home path only.
const coreOnlyForHome = "\x00username for the home"

// withLast replaces the last parameter (the payload object) with f's
// answer.
func withLast(params []any, f func(map[string]any) (map[string]any, error)) ([]any, error) {
	if len(params) == 0 {
		return params, nil
	}
	m, ok := params[len(params)-1].(map[string]any)
	if !ok {
		return params, nil
	}
	out, err := f(m)
	if err != nil {
		return nil, err
	}
	ps := slices.Clone(params)
	ps[len(ps)-1] = out
	return ps, nil
}

// corePayload is the payload m of method in CORE's terms.
func corePayload(method string, m map[string]any, rel wire.Release) (map[string]any, error) {
	switch method {
	case "user.create", "user.update":
		return coreUserPayload(m, rel)
	case "group.create", "group.update":
		return coreGroupPayload(m, rel)
	}
	for _, k := range []string{"username", "expires_at"} {
		if _, ok := m[k]; ok {
			return nil, &errCore{k, coreRefusedMsg(rel, "`"+k+"` is set, but API keys there are bound to no user and never expire (SCALE 25.04 and later have both)")}
		}
	}
	return m, nil
}

// coreEntries converts a query result: a list of CORE entries, one entry
// (get), or a count, which passes as it is.
func coreEntries[C, S any](raw json.RawMessage, conv func(*C) S) (json.RawMessage, error) {
	var list []C
	if err := json.Unmarshal(raw, &list); err == nil {
		out := make([]S, len(list))
		for i := range list {
			out[i] = conv(&list[i])
		}
		return json.Marshal(out)
	}
	var one C
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, fmt.Errorf("cannot decode %s's answer: %v", coreName, err)
		}
		return json.Marshal(conv(&one))
	}
	return raw, nil
}

// coreGroupFilters renames the filter field name, SCALE's group name, to
// CORE's group.
func coreGroupFilters(params []any) []any {
	if len(params) == 0 {
		return params
	}
	fs, ok := params[0].([]any)
	if !ok {
		return params
	}
	out := make([]any, len(fs))
	for i, f := range fs {
		if t, ok := f.([]any); ok && len(t) == 3 && t[0] == "name" {
			f = []any{"group", t[1], t[2]}
		}
		out[i] = f
	}
	ps := slices.Clone(params)
	ps[0] = out
	return ps
}

// sudoAll is SCALE's "every command" list, CORE's sudo with no commands.
var sudoAll = []string{"ALL"}

// coreSudoLists is what CORE's three sudo fields say in SCALE's two lists
// (the sudoers CORE renders: etc_files/local/sudoers at TN-13.3-U1.2): no
// sudo, or one list, with a password or without, where no commands is ALL.
func coreSudoLists(sudo, nopasswd bool, cmds []string) (withPW, noPW []string) {
	switch {
	case !sudo:
		return []string{}, []string{}
	case len(cmds) == 0:
		cmds = sudoAll
	}
	if nopasswd {
		return []string{}, slices.Clone(cmds)
	}
	return slices.Clone(cmds), []string{}
}

// coreSudoFields is the converse: SCALE's two lists as CORE's fields, ok
// false when CORE cannot say it (a list with a password and another
// without).
func coreSudoFields(withPW, noPW []string) (sudo, nopasswd bool, cmds []string, ok bool) {
	switch {
	case len(withPW) > 0 && len(noPW) > 0:
		return false, false, nil, false
	case len(withPW) > 0:
		sudo, cmds = true, withPW
	case len(noPW) > 0:
		sudo, nopasswd, cmds = true, true, noPW
	default:
		return false, false, []string{}, true
	}
	if slices.Equal(cmds, sudoAll) {
		cmds = []string{}
	}
	return sudo, nopasswd, cmds, true
}

// coreSudoBoth is the error of both lists on CORE.
func coreSudoBoth(rel wire.Release) string {
	return fmt.Sprintf("The box runs %s (system.version %q): an account there has one list of sudo commands, "+
		"run either with a password or without one (CORE's sudo, sudo_nopasswd and sudo_commands), so "+
		"`sudo_commands` and `sudo_commands_nopasswd` cannot both be non-empty. Keep one of them "+
		"(`[\"ALL\"]` is every command).", coreName, rel.Raw)
}

func stringsOf(v any) ([]string, bool) {
	switch l := v.(type) {
	case []string:
		return l, true
	case []any:
		out := make([]string, 0, len(l))
		for _, x := range l {
			s, ok := x.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	case nil:
		return []string{}, true
	}
	return nil, false
}

// coreSudoPayload moves m's sudo_commands and sudo_commands_nopasswd to
// CORE's fields in out. Both or neither are in m (the resources send both
// when either changes).
func coreSudoPayload(m, out map[string]any, rel wire.Release) error {
	a, okA := m["sudo_commands"]
	b, okB := m["sudo_commands_nopasswd"]
	delete(out, "sudo_commands")
	delete(out, "sudo_commands_nopasswd")
	if !okA && !okB {
		return nil
	}
	withPW, ok1 := stringsOf(a)
	noPW, ok2 := stringsOf(b)
	if !ok1 || !ok2 {
		return fmt.Errorf("sudo_commands: not a list of strings")
	}
	sudo, nopasswd, cmds, ok := coreSudoFields(withPW, noPW)
	if !ok {
		return &errCore{"sudo_commands", coreSudoBoth(rel)}
	}
	out["sudo"], out["sudo_nopasswd"], out["sudo_commands"] = sudo, nopasswd, cmds
	return nil
}

// coreUserPayload is a user.create/update payload in CORE's terms: SCALE's
// default home /var/empty is CORE's /nonexistent, home_create becomes CORE's home rule (the home is <home>/<username>
// unless home already ends with the username: the CORE web UI's
// CoreUIHome), the sudo lists CORE's sudo fields, ssh_password_enabled
// (CORE has none: its SSH service says whether passwords log in) and
// webshare go.
func coreUserPayload(m map[string]any, rel wire.Release) (map[string]any, error) {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	if err := coreSudoPayload(m, out, rel); err != nil {
		return nil, err
	}
	if v, ok := m["ssh_password_enabled"]; ok {
		if v == true {
			return nil, &errCore{"ssh_password_enabled", coreRefusedMsg(rel, "`ssh_password_enabled` is true, a user field of SCALE only (CORE's SSH service decides whether passwords log in)")}
		}
		delete(out, "ssh_password_enabled")
	}
	if v, ok := m["webshare"]; ok && v == true {
		return nil, &errCore{"webshare", coreRefusedMsg(rel, "`webshare` is true, a user field of TrueNAS 26.0 only")}
	}
	delete(out, "webshare")
	// SCALE's "no home" is CORE's /nonexistent (userState keeps the one
	// written: noHome).
	if m["home"] == account.DefaultHome {
		out["home"] = account.CoreDefaultHome
	}
	if hc, ok := m["home_create"]; ok {
		delete(out, "home_create")
		home, _ := out["home"].(string)
		name, _ := m["username"].(string)
		if hc == true && home != "" && name != "" {
			out["home"] = account.CoreUIHome(home, name)
		}
	}
	if m[coreOnlyForHome] == true {
		delete(out, coreOnlyForHome)
		delete(out, "username")
	}
	return out, nil
}

// coreGroupPayload is a group.create/update payload in CORE's terms.
func coreGroupPayload(m map[string]any, rel wire.Release) (map[string]any, error) {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	if err := coreSudoPayload(m, out, rel); err != nil {
		return nil, err
	}
	return out, nil
}

// coreUserToScale is a CORE user entry as the resources read users.
// Fields CORE does not have take SCALE's value for "none": no
// ssh_password_enabled, no roles, not immutable beyond built-in.
func coreUserToScale(u *account.CoreUserEntry) account.UserEntry {
	withPW, noPW := coreSudoLists(u.Sudo, u.SudoNopasswd, u.SudoCommands)
	gWith, gNo := coreSudoLists(u.Group.Sudo, u.Group.SudoNopasswd, u.Group.SudoCommands)
	ms := u.MicrosoftAccount
	e := account.UserEntry{
		ID: u.ID, UID: u.UID, Username: u.Username, Home: u.Home, Shell: u.Shell, FullName: u.FullName,
		Builtin: u.Builtin, SMB: u.SMB, PasswordDisabled: u.PasswordDisabled, Locked: u.Locked,
		SudoCommands: withPW, SudoCommandsNopasswd: noPW, Email: u.Email, SSHPubKey: u.SSHPubKey,
		Groups: slices.Clone(u.Groups), Local: u.Local, Immutable: u.Builtin, Roles: []string{},
		MicrosoftAccount: &ms,
		Group: account.UserGroupRef{ID: u.Group.ID, GID: u.Group.GID, Group: u.Group.Group, Builtin: u.Group.Builtin,
			SMB: u.Group.SMB, SudoCommands: gWith, SudoCommandsNopasswd: gNo},
	}
	if e.Groups == nil {
		e.Groups = []int64{}
	}
	return e
}

// coreGroupToScale is a CORE group entry as the resources read groups.
func coreGroupToScale(g *account.CoreGroupEntry) account.GroupEntry {
	withPW, noPW := coreSudoLists(g.Sudo, g.SudoNopasswd, g.SudoCommands)
	e := account.GroupEntry{ID: g.ID, GID: g.GID, Name: g.Group, Group: g.Group, Builtin: g.Builtin,
		SudoCommands: withPW, SudoCommandsNopasswd: noPW, SMB: g.SMB, Local: g.Local, Roles: []string{},
		Users: slices.Clone(g.Users), Immutable: g.Builtin}
	if e.Users == nil {
		e.Users = []int64{}
	}
	return e
}

// coreAPIKeyToScale is a CORE API key as the resources read keys: no user,
// no expiry, never revoked (CORE revokes nothing), local.
func coreAPIKeyToScale(k *account.CoreAPIKeyEntry) account.APIKeyEntry {
	return account.APIKeyEntry{ID: k.ID, Name: k.Name, CreatedAt: k.CreatedAt, Local: true}
}

// noHome says whether home is a release's "no home": SCALE's /var/empty,
// CORE's /nonexistent.
func noHome(home string) bool { return home == account.DefaultHome || home == account.CoreDefaultHome }
