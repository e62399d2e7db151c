package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// userRow is a users table row.
type userRow struct {
	ID, UID                              int64
	Username, Unixhash, Smbhash          string
	Home, Shell, FullName                string
	Builtin, SMB                         bool
	Idmap                                string
	GroupID                              int64
	PasswordDisabled, SSHPasswordEnabled bool
	SSHPubKey                            sql.NullString
	Locked                               bool
	Sudo, SudoNopasswd                   string
	Email                                sql.NullString
	LastPasswordChange                   sql.NullInt64
	HomeMode                             string
	ManageHome                           bool
}

const userCols = `id, uid, username, unixhash, smbhash, home, shell, full_name, builtin, smb, userns_idmap, group_id,
	password_disabled, ssh_password_enabled, sshpubkey, locked, sudo_commands, sudo_commands_nopasswd, email,
	last_password_change, home_mode, manage_home`

func scanUser(sc interface{ Scan(...any) error }) (*userRow, error) {
	var u userRow
	err := sc.Scan(&u.ID, &u.UID, &u.Username, &u.Unixhash, &u.Smbhash, &u.Home, &u.Shell, &u.FullName, &u.Builtin, &u.SMB,
		&u.Idmap, &u.GroupID, &u.PasswordDisabled, &u.SSHPasswordEnabled, &u.SSHPubKey, &u.Locked, &u.Sudo, &u.SudoNopasswd,
		&u.Email, &u.LastPasswordChange, &u.HomeMode, &u.ManageHome)
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// groupRow is a groups table row.
type groupRow struct {
	ID, GID            int64
	Name               string
	Builtin, SMB       bool
	Sudo, SudoNopasswd string
	Idmap              string
	MembersManaged     bool
}

const groupCols = `id, gid, name, builtin, smb, sudo_commands, sudo_commands_nopasswd, userns_idmap, members_managed`

func scanGroup(sc interface{ Scan(...any) error }) (*groupRow, error) {
	var g groupRow
	if err := sc.Scan(&g.ID, &g.GID, &g.Name, &g.Builtin, &g.SMB, &g.Sudo, &g.SudoNopasswd, &g.Idmap, &g.MembersManaged); err != nil {
		return nil, err
	}
	return &g, nil
}

// keyRow is an api_keys table row.
type keyRow struct {
	ID            int64
	Name          string
	UserID        int64
	Keyhash       string
	CreatedAt     int64
	ExpiresAt     sql.NullInt64
	Revoked       bool
	RevokedReason sql.NullString
}

const keyCols = `id, name, user_id, keyhash, created_at, expires_at, revoked, revoked_reason`

func scanKey(sc interface{ Scan(...any) error }) (*keyRow, error) {
	var k keyRow
	if err := sc.Scan(&k.ID, &k.Name, &k.UserID, &k.Keyhash, &k.CreatedAt, &k.ExpiresAt, &k.Revoked, &k.RevokedReason); err != nil {
		return nil, err
	}
	return &k, nil
}

func strList(s string) []string {
	if s == "[]" || s == "" {
		return []string{}
	}
	out := []string{}
	_ = json.Unmarshal([]byte(s), &out)
	if out == nil {
		out = []string{}
	}
	return out
}

func jsonList(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func anyJSON(s string) any {
	var v any
	_ = json.Unmarshal([]byte(s), &v)
	if f, ok := v.(float64); ok {
		return int64(f)
	}
	return v
}

func jsonAny(v any) string {
	if v == nil {
		return "null"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}

func ptr[T any](v T) *T { return &v }

// loader builds entries. With all set it preloads every group, membership,
// privilege and key; otherwise it looks each up by index.
type loader struct {
	ctx context.Context
	q   querier

	all       bool
	groups    map[int64]*groupRow
	auxOf     map[int64][]int64 // user id -> group ids
	membersOf map[int64][]int64 // group id -> user ids (auxiliary)
	primOf    map[int64][]int64 // group id -> user ids (primary)
	keysOf    map[int64][]int64 // user id -> key ids
	privs     []account.Privilege
	privsDone bool
	serverSID *string // the box's domain SID, read once
	// model is the account model of the call's release (modelOf(ctx)).
	model      *account.Model
	webshareID *int64 // the webshare group's id (0: none), read once
}

// modelKey carries the release's account model in a call's context.
type modelKey struct{}

// withModel is ctx carrying m, the model every loader of the call reads.
func withModel(ctx context.Context, m *account.Model) context.Context {
	return context.WithValue(ctx, modelKey{}, m)
}

// modelOf is the account model ctx carries (v25_10_5 when none).
func modelOf(ctx context.Context) *account.Model {
	if m, ok := ctx.Value(modelKey{}).(*account.Model); ok && m != nil {
		return m
	}
	return account.ModelV25_10_5
}

// webshareGroup is the id of the built-in group a webshare user is a
// member of (account.WebshareGroup), 0 when the store has none.
func (l *loader) webshareGroup() (int64, error) {
	if l.webshareID == nil {
		id, err := builtinGroupID(l.ctx, l.q, account.WebshareGroup.Name)
		if err != nil {
			return 0, err
		}
		l.webshareID = &id
	}
	return *l.webshareID, nil
}

// domainSID is the box's local domain SID (the meta row "server_sid";
// TrueNAS keeps it in services.cifs, plugins/smb_/sid.py:18), or "" when
// the store has none yet.
func (l *loader) domainSID() (string, error) {
	if l.serverSID == nil {
		var v string
		err := l.q.QueryRowContext(l.ctx, `SELECT value FROM meta WHERE key = 'server_sid'`).Scan(&v)
		if err != nil && err != sql.ErrNoRows {
			return "", err
		}
		l.serverSID = &v
	}
	return *l.serverSID, nil
}

func newLoader(ctx context.Context, q querier) *loader {
	return &loader{ctx: ctx, q: q, groups: map[int64]*groupRow{}, model: modelOf(ctx)}
}

func (l *loader) preload() error {
	l.all = true
	rows, err := l.q.QueryContext(l.ctx, `SELECT `+groupCols+` FROM groups`)
	if err != nil {
		return err
	}
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			rows.Close()
			return err
		}
		l.groups[g.ID] = g
	}
	rows.Close()
	l.auxOf, l.membersOf = map[int64][]int64{}, map[int64][]int64{}
	rows, err = l.q.QueryContext(l.ctx, `SELECT group_id, user_id FROM memberships ORDER BY group_id, user_id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var g, u int64
		if err := rows.Scan(&g, &u); err != nil {
			rows.Close()
			return err
		}
		l.auxOf[u] = append(l.auxOf[u], g)
		l.membersOf[g] = append(l.membersOf[g], u)
	}
	rows.Close()
	l.primOf = map[int64][]int64{}
	rows, err = l.q.QueryContext(l.ctx, `SELECT group_id, id FROM users ORDER BY id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var g, u int64
		if err := rows.Scan(&g, &u); err != nil {
			rows.Close()
			return err
		}
		l.primOf[g] = append(l.primOf[g], u)
	}
	rows.Close()
	l.keysOf = map[int64][]int64{}
	rows, err = l.q.QueryContext(l.ctx, `SELECT user_id, id FROM api_keys ORDER BY id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var u, k int64
		if err := rows.Scan(&u, &k); err != nil {
			rows.Close()
			return err
		}
		l.keysOf[u] = append(l.keysOf[u], k)
	}
	rows.Close()
	return nil
}

func (l *loader) ids(query string, args ...any) ([]int64, error) {
	rows, err := l.q.QueryContext(l.ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func (l *loader) group(id int64) (*groupRow, error) {
	if g, ok := l.groups[id]; ok {
		return g, nil
	}
	if l.all {
		return nil, nil
	}
	g, err := scanGroup(l.q.QueryRowContext(l.ctx, `SELECT `+groupCols+` FROM groups WHERE id = ?`, id))
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	l.groups[id] = g
	return g, nil
}

// privileges returns the stored privileges in id order (read once per
// loader).
func (l *loader) privileges() ([]account.Privilege, error) {
	if l.privsDone {
		return slices.Clone(l.privs), nil
	}
	rows, err := l.q.QueryContext(l.ctx, `SELECT `+privilegeCols+` FROM privileges ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanPrivilege(rows)
		if err != nil {
			return nil, err
		}
		l.privs = append(l.privs, *p)
	}
	if err := rows.Err(); err != nil {
		l.privs = nil
		return nil, err
	}
	l.privsDone = true
	return slices.Clone(l.privs), nil
}

// rolesForGIDs is the union of the roles of the privileges naming any of
// the gids (account.RolesForGIDs over the store).
func (l *loader) rolesForGIDs(gids []int64) ([]string, error) {
	privs, err := l.privileges()
	if err != nil {
		return nil, err
	}
	return account.RolesForGIDs(privs, gids), nil
}

func (l *loader) auxGroups(userID int64) ([]int64, error) {
	if l.all {
		if v := l.auxOf[userID]; v != nil {
			return slices.Clone(v), nil
		}
		return []int64{}, nil
	}
	return l.ids(`SELECT group_id FROM memberships WHERE user_id = ? ORDER BY group_id`, userID)
}

func (l *loader) userKeys(userID int64) ([]int64, error) {
	if l.all {
		if v := l.keysOf[userID]; v != nil {
			return slices.Clone(v), nil
		}
		return []int64{}, nil
	}
	return l.ids(`SELECT id FROM api_keys WHERE user_id = ? ORDER BY id`, userID)
}

func (l *loader) groupUsers(groupID int64) ([]int64, error) {
	var aux, prim []int64
	if l.all {
		aux, prim = l.membersOf[groupID], l.primOf[groupID]
	} else {
		var err error
		if aux, err = l.ids(`SELECT user_id FROM memberships WHERE group_id = ?`, groupID); err != nil {
			return nil, err
		}
		if prim, err = l.ids(`SELECT id FROM users WHERE group_id = ?`, groupID); err != nil {
			return nil, err
		}
	}
	out := append(slices.Clone(aux), prim...)
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []int64{}
	}
	return out, nil
}

func groupRef(g *groupRow) account.UserGroupRef {
	if g == nil {
		return account.UserGroupRef{SudoCommands: []string{}, SudoCommandsNopasswd: []string{}}
	}
	return account.UserGroupRef{
		ID: g.ID, GID: g.GID, Group: g.Name, Builtin: g.Builtin, SMB: g.SMB,
		SudoCommands: strList(g.Sudo), SudoCommandsNopasswd: strList(g.SudoNopasswd), UsernsIdmap: anyJSON(g.Idmap),
	}
}

// userEntry turns a row into a UserEntry.
func (l *loader) userEntry(u *userRow, now time.Time) (*account.UserEntry, error) {
	g, err := l.group(u.GroupID)
	if err != nil {
		return nil, err
	}
	aux, err := l.auxGroups(u.ID)
	if err != nil {
		return nil, err
	}
	gids := []int64{}
	if g != nil {
		gids = append(gids, g.GID)
	}
	for _, id := range aux {
		ag, err := l.group(id)
		if err != nil {
			return nil, err
		}
		if ag != nil {
			gids = append(gids, ag.GID)
		}
	}
	roles, err := l.rolesForGIDs(gids)
	if err != nil {
		return nil, err
	}
	keys, err := l.userKeys(u.ID)
	if err != nil {
		return nil, err
	}
	e := &account.UserEntry{
		ID: u.ID, UID: u.UID, Username: u.Username,
		Unixhash: ptr(u.Unixhash), Smbhash: ptr(u.Smbhash),
		Home: u.Home, Shell: u.Shell, FullName: u.FullName,
		Builtin: u.Builtin, SMB: u.SMB, UsernsIdmap: anyJSON(u.Idmap),
		Group: groupRef(g), Groups: aux,
		PasswordDisabled: u.PasswordDisabled, SSHPasswordEnabled: u.SSHPasswordEnabled,
		Locked:       u.Locked,
		SudoCommands: strList(u.Sudo), SudoCommandsNopasswd: strList(u.SudoNopasswd),
		Local: true, Immutable: u.Builtin || u.UID == account.UIDTruenasAdmin,
		// [] for a local user (plugins/account.py:309-312)
		PasswordHistory: []string{},
		Roles:           roles, APIKeys: keys,
	}
	if l.model.Webshare {
		// plugins/account.py at TS-26.0.0-BETA.3 (user_extend): a member
		// of truenas_webshare.
		ws, err := l.webshareGroup()
		if err != nil {
			return nil, err
		}
		e.Webshare = ptr(ws != 0 && slices.Contains(aux, ws))
	}
	dom, err := l.domainSID()
	if err != nil {
		return nil, err
	}
	e.SID = account.UserSID(dom, u.ID, u.SMB)
	if u.SSHPubKey.Valid {
		e.SSHPubKey = ptr(strings.TrimSpace(u.SSHPubKey.String))
	}
	if u.Email.Valid && u.Email.String != "" {
		e.Email = ptr(u.Email.String)
	}
	if u.LastPasswordChange.Valid {
		t := time.UnixMilli(u.LastPasswordChange.Int64).UTC()
		e.LastPasswordChange = &account.Date{Time: t}
		e.PasswordAge = ptr(int64(now.Sub(t) / (24 * time.Hour)))
	}
	return e, nil
}

// syntheticUser is the user TrueNAS 25.04+ always appends to user.query:
// plugins/idmap.py:426 synthetic_user of SYNTHETIC_CONTAINER_ROOT
// (plugins/account_/constants.py:39), updated by plugins/account.py:448
// (builtin, local, locked, not SMB): no password hashes, no group.
func syntheticUser() account.UserEntry {
	const uid = 2147000001
	return account.UserEntry{
		ID: 100000000 + uid, UID: uid, Username: "truenas_container_unpriv_root",
		Home: account.DefaultHome, Shell: account.NologinShell,
		FullName: "Unprivileged root user for containers", Builtin: true, SMB: false,
		Groups: []int64{}, Locked: true, SudoCommands: []string{}, SudoCommandsNopasswd: []string{},
		Local: true, Immutable: true, Roles: []string{}, APIKeys: []int64{},
	}
}

func (l *loader) groupEntry(g *groupRow) (*account.GroupEntry, error) {
	users, err := l.groupUsers(g.ID)
	if err != nil {
		return nil, err
	}
	roles, err := l.rolesForGIDs([]int64{g.GID})
	if err != nil {
		return nil, err
	}
	dom, err := l.domainSID()
	if err != nil {
		return nil, err
	}
	sid := account.GroupSID(dom, g.Name, g.ID, g.SMB)
	return &account.GroupEntry{
		ID: g.ID, GID: g.GID, Name: g.Name, Group: g.Name, Builtin: g.Builtin,
		SudoCommands: strList(g.Sudo), SudoCommandsNopasswd: strList(g.SudoNopasswd), SMB: g.SMB,
		UsernsIdmap: anyJSON(g.Idmap), Local: true, Roles: roles, Users: users, SID: sid,
		Immutable: g.Builtin && !account.AllowedBuiltinGroup(g.Name, g.GID),
	}, nil
}

// keyEntry turns a key row into an entry; the owner's name comes from the
// users table (null, revoked, when the user is gone).
func (l *loader) keyEntry(k *keyRow) (*account.APIKeyEntry, error) {
	e := &account.APIKeyEntry{
		ID: k.ID, Name: k.Name, UserIdentifier: k.UserID,
		CreatedAt: account.Date{Time: time.UnixMilli(k.CreatedAt).UTC()},
		Local:     true, Revoked: k.Revoked,
	}
	if v, ok := parseVerifier(k.Keyhash); ok {
		// 26.0's SCRAM material (api/v26_0_0/api_key.py ApiKeyEntry).
		e.Iterations = ptr(v.Iterations)
		e.Salt, e.StoredKey, e.ServerKey = ptr(b64.EncodeToString(v.Salt)), ptr(b64.EncodeToString(v.StoredKey)), ptr(b64.EncodeToString(v.ServerKey))
	} else {
		e.Keyhash = k.Keyhash
	}
	if k.ExpiresAt.Valid {
		e.ExpiresAt = &account.Date{Time: time.UnixMilli(k.ExpiresAt.Int64).UTC()}
	}
	if k.RevokedReason.Valid {
		e.RevokedReason = ptr(k.RevokedReason.String)
	}
	var name string
	err := l.q.QueryRowContext(l.ctx, `SELECT username FROM users WHERE id = ?`, k.UserID).Scan(&name)
	switch {
	case err == sql.ErrNoRows:
		e.Revoked = true
		e.RevokedReason = ptr("User does not exist")
	case err != nil:
		return nil, err
	default:
		e.Username = ptr(name)
	}
	return e, nil
}

// Single-row fetches.

func getUserRow(ctx context.Context, q querier, where string, args ...any) (*userRow, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE `+where+` LIMIT 1`, args...))
	if err == sql.ErrNoRows {
		return nil, nil
	}
	return u, err
}

func getGroupRow(ctx context.Context, q querier, where string, args ...any) (*groupRow, error) {
	g, err := scanGroup(q.QueryRowContext(ctx, `SELECT `+groupCols+` FROM groups WHERE `+where+` LIMIT 1`, args...))
	if err == sql.ErrNoRows {
		return nil, nil
	}
	return g, err
}

func getKeyRow(ctx context.Context, q querier, where string, args ...any) (*keyRow, error) {
	k, err := scanKey(q.QueryRowContext(ctx, `SELECT `+keyCols+` FROM api_keys WHERE `+where+` LIMIT 1`, args...))
	if err == sql.ErrNoRows {
		return nil, nil
	}
	return k, err
}

// pushdown turns the top-level [field, "=", value] conditions of a query on
// indexed columns into an SQL WHERE clause, so that lookups by name or id
// do not build every entry. The full filter still runs on what it returns,
// so this only narrows (the conditions are ANDed). cols maps an entry field
// to its column and whether it holds a string.
func pushdown(filters json.RawMessage, cols map[string]pushCol) (where string, args []any) {
	var conds []json.RawMessage
	if err := json.Unmarshal(filters, &conds); err != nil {
		return "", nil
	}
	var parts []string
	for _, c := range conds {
		var triple []json.RawMessage
		if err := json.Unmarshal(c, &triple); err != nil || len(triple) != 3 {
			continue
		}
		var field, op string
		if json.Unmarshal(triple[0], &field) != nil || json.Unmarshal(triple[1], &op) != nil || op != "=" {
			continue
		}
		pc, ok := cols[field]
		if !ok {
			continue
		}
		v := strings.TrimSpace(string(triple[2]))
		if pc.str {
			var s string
			if len(v) == 0 || v[0] != '"' || json.Unmarshal(triple[2], &s) != nil {
				continue
			}
			parts = append(parts, pc.col+" = ?")
			args = append(args, s)
		} else {
			var n json.Number
			if json.Unmarshal(triple[2], &n) != nil {
				continue
			}
			i, err := n.Int64()
			if err != nil || strings.ContainsAny(v, ".eE") {
				continue
			}
			parts = append(parts, pc.col+" = ?")
			args = append(args, i)
		}
	}
	if len(parts) == 0 {
		return "", nil
	}
	return strings.Join(parts, " AND "), args
}

type pushCol struct {
	col string
	str bool
}

var userPush = map[string]pushCol{"id": {"id", false}, "uid": {"uid", false}, "username": {"username", true}}
var groupPush = map[string]pushCol{"id": {"id", false}, "gid": {"gid", false}, "name": {"name", true}, "group": {"name", true}}

// selectRows reads the rows of a query method's table (sel is "SELECT cols
// FROM table"): those the filters' pushdown selects, or, when nothing pushes
// down, every row, after filling the loader's caches (every entry is then
// built, so one read of each related table beats one per row).
func selectRows[R any](ctx context.Context, t *txn, l *loader, filters json.RawMessage, push map[string]pushCol,
	sel string, scan func(interface{ Scan(...any) error }) (R, error)) ([]R, error) {
	where, wargs := pushdown(filters, push)
	if where == "" {
		if err := l.preload(); err != nil {
			return nil, err
		}
		where = "1"
	}
	rows, err := t.QueryContext(ctx, sel+` WHERE `+where+` ORDER BY id`, wargs...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []R
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// marshalEntries is the JSON entry of each row, in order, with room for
// extra more (a query's synthetic entries).
func marshalEntries[R, E any](rows []R, extra int, entry func(R) (E, error)) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, 0, len(rows)+extra)
	for _, r := range rows {
		e, err := entry(r)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(e)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}
