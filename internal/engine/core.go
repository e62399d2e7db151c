package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// TrueNAS CORE 13.3-U1.2's account methods (plugins/account.py, api_key.py
// and auth.py at TN-13.3-U1.2) on the engine's store: the same store, box
// sync and call path as SCALE's methods, with CORE's @accepts schemas,
// rules, defaults and answers from internal/account's Core13_3. What CORE
// keeps that SCALE does not (microsoft_account, attributes, the sudo,
// sudo_nopasswd and sudo_commands triple) is in the core_users and
// core_groups tables; the SCALE sudo columns hold what that triple means
// (coreEffectiveSudo), so that the box's sudoers drop-in is made by the
// same code on every release. CORE has no privilege.* methods: calling one
// is answered as CORE answers any method it lacks.

var coreMethods map[string]method

func init() {
	conn := connMethods()
	sys := systemMethods()
	coreMethods = map[string]method{
		"user.query":        queryMethod((*Engine).coreUserQuery),
		"user.get_instance": instanceMethod((*Engine).coreUserGetInstance),
		"user.create":       plain(1, (*Engine).coreUserCreate),
		"user.update":       plain(2, (*Engine).coreUserUpdate),
		"user.delete":       plain(2, (*Engine).coreUserDelete),
		"user.get_next_uid": plain(0, (*Engine).coreNextUID),

		"group.query":        queryMethod((*Engine).coreGroupQuery),
		"group.get_instance": instanceMethod((*Engine).coreGroupGetInstance),
		"group.create":       plain(1, (*Engine).coreGroupCreate),
		"group.update":       plain(2, (*Engine).coreGroupUpdate),
		"group.delete":       plain(2, (*Engine).coreGroupDelete),
		"group.get_next_gid": plain(0, (*Engine).coreNextGID),

		"api_key.query":        queryMethod((*Engine).coreKeyQuery),
		"api_key.get_instance": instanceMethod((*Engine).coreKeyGetInstance),
		"api_key.create":       plain(1, (*Engine).coreKeyCreate),
		"api_key.update":       plain(2, (*Engine).coreKeyUpdate),
		"api_key.delete":       plain(1, (*Engine).coreKeyDelete),

		"auth.login":              plain(3, (*Engine).coreAuthLogin),
		"auth.login_with_api_key": plain(1, (*Engine).coreAuthLoginWithAPIKey),
		"auth.logout":             conn["auth.logout"],
		"core.ping":               conn["core.ping"],

		"system.info": sys["system.info"],
		"system.version": plain(0, func(e *Engine, _ context.Context, _ []json.RawMessage) (any, error) {
			return e.Release().FullVersion(), nil
		}),
	}
}

// coreQueryOptions are the keys of CORE's query-options
// (plugins/datastore/read.py:32 at TN-13.3-U1.2).
var coreQueryOptions = map[string]bool{"relationships": true, "extend": true, "extend_context": true, "prefix": true,
	"extra": true, "order_by": true, "select": true, "count": true, "get": true, "offset": true, "limit": true,
	"force_sql_filters": true}

// coreQueryArgs checks a query's (filters, options) as CORE's schemas do
// (schema.py List and Dict clean): a filters value that is not a list is
// "[query-filters] Not a list", options that are not an object "[query-
// options] A dict was expected", an unknown option "[key] Field was not
// expected"; null or absent is the default.
func coreQueryArgs(args []json.RawMessage) (filters, options json.RawMessage, err error) {
	filters, options = arg(args, 0), arg(args, 1)
	if isNull(filters) {
		filters = json.RawMessage("[]")
	} else if filters[0] != '[' {
		return nil, nil, &account.CoreSchemaError{Attribute: "query-filters", Message: "Not a list"}
	}
	if isNull(options) {
		options = json.RawMessage("{}")
	} else {
		var m map[string]json.RawMessage
		if options[0] != '{' || json.Unmarshal(options, &m) != nil {
			return nil, nil, &account.CoreSchemaError{Attribute: "query-options", Message: "A dict was expected"}
		}
		for k := range m {
			if !coreQueryOptions[k] {
				return nil, nil, &account.CoreSchemaError{Attribute: k, Message: "Field was not expected"}
			}
		}
	}
	return filters, options, nil
}

// coreErr is a CORE decoding failure as the engine returns it: a schema
// Error (*account.CoreSchemaError, the first failing attribute) stays one,
// so that DDP sends it as CORE does (wire.ErrorOf, FromRPC) and midclt
// prints "[EINVAL] [attr] message"; validation errors stay what they are.
func coreErr(err error) error { return err }

// coreAccount is what CORE keeps of a user or group beyond SCALE's columns.
type coreAccount struct {
	sudo, nopasswd   bool
	commands         []string
	microsoftAccount bool            // users only
	attributes       json.RawMessage // users only
}

// coreDerived is an account that has no core row (a built-in, an adopted
// line, one written before the root answered as CORE): its triple read
// back from the SCALE columns, so that what the box has is what it shows.
func coreDerived(sudo, nopasswd string) coreAccount {
	s, n := strList(sudo), strList(nopasswd)
	c := coreAccount{attributes: json.RawMessage("{}"), commands: []string{}}
	list := s
	if len(n) > 0 {
		c.nopasswd, list = true, n
	}
	if len(list) > 0 {
		c.sudo = true
		if !(len(list) == 1 && list[0] == "ALL") {
			c.commands = list
		}
	}
	return c
}

// coreEffectiveSudo is what CORE's sudo, sudo_nopasswd and sudo_commands
// give the account in sudoers (etc_files/local/sudoers at TN-13.3-U1.2,
// account.CoreSudoersLine), as SCALE's two command lists: none without
// sudo; the commands, blank ones dropped, or ALL when none is left; under
// NOPASSWD with sudo_nopasswd.
func coreEffectiveSudo(sudo, nopasswd bool, commands []string) (withPassword, withoutPassword []string) {
	if !sudo {
		return []string{}, []string{}
	}
	var list []string
	for _, c := range commands {
		if c = strings.TrimFunc(c, unicode.IsSpace); c != "" {
			list = append(list, c)
		}
	}
	if len(list) == 0 {
		list = []string{"ALL"}
	}
	if nopasswd {
		return []string{}, list
	}
	return list, []string{}
}

func (l *loader) coreUser(u *userRow) (coreAccount, error) {
	var sudo, nopasswd, ms bool
	var cmds, attrs string
	err := l.q.QueryRowContext(l.ctx, `SELECT sudo, sudo_nopasswd, sudo_commands, microsoft_account, attributes
		FROM core_users WHERE user_id = ?`, u.ID).Scan(&sudo, &nopasswd, &cmds, &ms, &attrs)
	if err == sql.ErrNoRows {
		return coreDerived(u.Sudo, u.SudoNopasswd), nil
	}
	if err != nil {
		return coreAccount{}, err
	}
	return coreAccount{sudo: sudo, nopasswd: nopasswd, commands: strList(cmds), microsoftAccount: ms,
		attributes: json.RawMessage(attrs)}, nil
}

func (l *loader) coreGroup(g *groupRow) (coreAccount, error) {
	var sudo, nopasswd bool
	var cmds string
	err := l.q.QueryRowContext(l.ctx, `SELECT sudo, sudo_nopasswd, sudo_commands FROM core_groups WHERE group_id = ?`, g.ID).
		Scan(&sudo, &nopasswd, &cmds)
	if err == sql.ErrNoRows {
		return coreDerived(g.Sudo, g.SudoNopasswd), nil
	}
	if err != nil {
		return coreAccount{}, err
	}
	return coreAccount{sudo: sudo, nopasswd: nopasswd, commands: strList(cmds)}, nil
}

// setCoreUser stores CORE's own fields of user id and their sudoers
// meaning in the SCALE columns.
func setCoreUser(ctx context.Context, q querier, id int64, c coreAccount) error {
	with, without := coreEffectiveSudo(c.sudo, c.nopasswd, c.commands)
	if _, err := q.ExecContext(ctx, `INSERT INTO core_users (user_id, sudo, sudo_nopasswd, sudo_commands, microsoft_account, attributes)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(user_id) DO UPDATE SET sudo = excluded.sudo, sudo_nopasswd = excluded.sudo_nopasswd,
		sudo_commands = excluded.sudo_commands, microsoft_account = excluded.microsoft_account, attributes = excluded.attributes`,
		id, c.sudo, c.nopasswd, jsonList(c.commands), c.microsoftAccount, string(c.attributes)); err != nil {
		return err
	}
	_, err := q.ExecContext(ctx, `UPDATE users SET sudo_commands = ?, sudo_commands_nopasswd = ? WHERE id = ?`,
		jsonList(with), jsonList(without), id)
	return err
}

func setCoreGroup(ctx context.Context, q querier, id int64, c coreAccount) error {
	with, without := coreEffectiveSudo(c.sudo, c.nopasswd, c.commands)
	if _, err := q.ExecContext(ctx, `INSERT INTO core_groups (group_id, sudo, sudo_nopasswd, sudo_commands) VALUES (?, ?, ?, ?)
		ON CONFLICT(group_id) DO UPDATE SET sudo = excluded.sudo, sudo_nopasswd = excluded.sudo_nopasswd,
		sudo_commands = excluded.sudo_commands`, id, c.sudo, c.nopasswd, jsonList(c.commands)); err != nil {
		return err
	}
	_, err := q.ExecContext(ctx, `UPDATE groups SET sudo_commands = ?, sudo_commands_nopasswd = ? WHERE id = ?`,
		jsonList(with), jsonList(without), id)
	return err
}

// coreUserEntry is user u as CORE's user.query shows it.
func (l *loader) coreUserEntry(u *userRow, now time.Time) (*account.CoreUserEntry, error) {
	ue, err := l.userEntry(u, now)
	if err != nil {
		return nil, err
	}
	c, err := l.coreUser(u)
	if err != nil {
		return nil, err
	}
	out := &account.CoreUserEntry{
		ID: u.ID, UID: u.UID, Username: u.Username, Unixhash: u.Unixhash, Smbhash: u.Smbhash, Home: u.Home,
		Shell: u.Shell, FullName: u.FullName, Builtin: u.Builtin, SMB: u.SMB, PasswordDisabled: u.PasswordDisabled,
		Locked: u.Locked, Sudo: c.sudo, SudoNopasswd: c.nopasswd, SudoCommands: nonNil(c.commands),
		MicrosoftAccount: c.microsoftAccount, Attributes: c.attributes, Email: ue.Email,
		Groups: nonNil(ue.Groups), SSHPubKey: ue.SSHPubKey, Local: true,
	}
	if g, err := l.group(u.GroupID); err != nil {
		return nil, err
	} else if g != nil {
		gc, err := l.coreGroup(g)
		if err != nil {
			return nil, err
		}
		out.Group = account.CoreUserGroupRef{ID: g.ID, GID: g.GID, Group: g.Name, Builtin: g.Builtin, Sudo: gc.sudo,
			SudoNopasswd: gc.nopasswd, SudoCommands: nonNil(gc.commands), SMB: g.SMB}
	}
	if out.Email != nil && *out.Email == "" {
		out.Email = nil
	}
	return out, nil
}

// coreGroupEntry is group g as CORE's group.query shows it.
func (l *loader) coreGroupEntry(g *groupRow) (*account.CoreGroupEntry, error) {
	ge, err := l.groupEntry(g)
	if err != nil {
		return nil, err
	}
	c, err := l.coreGroup(g)
	if err != nil {
		return nil, err
	}
	return &account.CoreGroupEntry{ID: g.ID, GID: g.GID, Group: g.Name, Builtin: g.Builtin, Sudo: c.sudo,
		SudoNopasswd: c.nopasswd, SudoCommands: nonNil(c.commands), SMB: g.SMB, Users: nonNil(ge.Users), Local: true}, nil
}

// coreLoadUser reads one CORE user entry by id (nil when missing).
func coreLoadUser(ctx context.Context, q querier, id int64, now time.Time) (*account.CoreUserEntry, *userRow, error) {
	u, err := getUserRow(ctx, q, "id = ?", id)
	if err != nil || u == nil {
		return nil, nil, err
	}
	ce, err := newLoader(ctx, q).coreUserEntry(u, now)
	return ce, u, err
}

func coreLoadGroup(ctx context.Context, q querier, id int64) (*account.CoreGroupEntry, *groupRow, error) {
	g, err := getGroupRow(ctx, q, "id = ?", id)
	if err != nil || g == nil {
		return nil, nil, err
	}
	ce, err := newLoader(ctx, q).coreGroupEntry(g)
	return ce, g, err
}

func (e *Engine) coreUserQuery(ctx context.Context, args []json.RawMessage) (any, error) {
	filters, options, err := coreQueryArgs(args)
	if err != nil {
		return nil, err
	}
	v, err := e.read(ctx, func(t *txn, now time.Time) (any, error) {
		l := newLoader(ctx, t)
		where, wargs := pushdown(filters, userPush)
		if where == "" {
			if err := l.preload(); err != nil {
				return nil, err
			}
			where = "1"
		}
		rows, err := t.QueryContext(ctx, `SELECT `+userCols+` FROM users WHERE `+where+` ORDER BY id`, wargs...)
		if err != nil {
			return nil, err
		}
		var us []*userRow
		for rows.Next() {
			u, err := scanUser(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			us = append(us, u)
		}
		rows.Close()
		entries := make([]json.RawMessage, 0, len(us))
		for _, u := range us {
			ce, err := l.coreUserEntry(u, now)
			if err != nil {
				return nil, err
			}
			b, err := json.Marshal(ce)
			if err != nil {
				return nil, err
			}
			entries = append(entries, b)
		}
		return entries, nil
	})
	if err != nil {
		return nil, err
	}
	return runQuery(v.([]json.RawMessage), filters, options)
}

func (e *Engine) coreUserGetInstance(ctx context.Context, args []json.RawMessage) (any, error) {
	id, err := intArg(arg(args, 0), "id")
	if err != nil {
		return nil, err
	}
	v, err := e.read(ctx, func(t *txn, now time.Time) (any, error) {
		ce, _, err := coreLoadUser(ctx, t, id, now)
		if err != nil {
			return nil, err
		}
		if ce == nil {
			return nil, account.NotFound("User", id)
		}
		return ce, nil
	})
	if err != nil {
		return nil, err
	}
	return getInstance(v, arg(args, 1))
}

// coreNextID is get_next_uid / get_next_gid (account.py:729, :1296): the
// first id from 1000 up that no non-builtin account has, with no
// reservation (two calls may answer the same id).
func (e *Engine) coreNextID(ctx context.Context, table, col string) (any, error) {
	return e.read(ctx, func(t *txn, _ time.Time) (any, error) {
		ids, err := newLoader(ctx, t).ids(`SELECT ` + col + ` FROM ` + table + ` WHERE builtin = 0`)
		if err != nil {
			return nil, err
		}
		return account.CoreNextID(ids), nil
	})
}

func (e *Engine) coreNextUID(ctx context.Context, _ []json.RawMessage) (any, error) {
	return e.coreNextID(ctx, "users", "uid")
}

func (e *Engine) coreNextGID(ctx context.Context, _ []json.RawMessage) (any, error) {
	return e.coreNextID(ctx, "groups", "gid")
}

// corePassword is __set_password (account.py:941 at TN-13.3-U1.2): a
// password gives a SHA-512 crypt unixhash and an smbpasswd line as smbhash
// ("user:uid:X*32:NTHASH:[U          ]:LCT-<hex time>:"); an empty one
// gives "*" for both.
func corePassword(pw, username string, uid int64, now time.Time) (unix, smb string, err error) {
	if pw == "" {
		return "*", "*", nil
	}
	h, err := unixHash(pw)
	if err != nil {
		return "", "", err
	}
	smb = fmt.Sprintf("%s:%d:%s:%s:[U          ]:LCT-%X:", username, uid, strings.Repeat("X", 32), ntHash(pw), now.Unix())
	return h, smb, nil
}

func coreAttributes(f account.Field[json.RawMessage]) json.RawMessage {
	if !f.Set || len(f.V) == 0 {
		return json.RawMessage("{}")
	}
	return f.V
}

func (e *Engine) coreUserCreate(ctx context.Context, args []json.RawMessage) (any, error) {
	api := modelOf(ctx).Core
	p, err := api.DecodeUserCreate(arg(args, 0))
	if err != nil {
		return nil, coreErr(err)
	}
	return e.write(ctx, func(t *txn, now time.Time) (any, error) {
		bv := e.newBoxView(ctx, t, now)
		err := api.CheckUserCreate(p, bv)
		if bv.err != nil {
			return nil, bv.err
		}
		if err != nil {
			return nil, err
		}
		uids, err := newLoader(ctx, t).ids(`SELECT uid FROM users WHERE builtin = 0`)
		if err != nil {
			return nil, err
		}
		uid := p.AssignedUID(uids)
		groupID := p.Group.V
		if p.GroupCreate.V {
			// account.py:318-334: a group of the user's name is reused.
			g, err := getGroupRow(ctx, t, "name = ?", p.Username.V)
			if err != nil {
				return nil, err
			}
			if g != nil {
				groupID = g.ID
			} else {
				gids, err := newLoader(ctx, t).ids(`SELECT gid FROM groups WHERE builtin = 0`)
				if err != nil {
					return nil, err
				}
				res, err := t.ExecContext(ctx, `INSERT INTO groups (gid, name, builtin, smb) VALUES (?, ?, 0, 0)`,
					account.CoreNextID(gids), p.Username.V)
				if err != nil {
					return nil, err
				}
				groupID, _ = res.LastInsertId()
			}
		}
		unixh, smbh, err := corePassword(p.Password.V, p.Username.V, uid, now)
		if err != nil {
			return nil, err
		}
		var lastChange any
		if unixh != "*" {
			lastChange = now.UnixMilli()
		}
		var sshpub any
		if p.SSHPubKey.Set && !p.SSHPubKey.Null && p.SSHPubKey.V != "" {
			sshpub = p.SSHPubKey.V
		}
		home := p.Home.V
		id, err := insertUser(ctx, t, newUser{
			uid: uid, username: p.Username.V, unixhash: unixh, smbhash: smbh, home: home, shell: p.Shell.V,
			fullName: p.FullName.V, smb: p.SMB.V, groupID: groupID, passwordDisabled: p.PasswordDisabled.V,
			sshpubkey: sshpub, locked: p.Locked.V, email: nullStr(p.Email), lastPasswordChange: lastChange,
			homeMode: p.HomeMode.V,
		})
		if err != nil {
			return nil, err
		}
		// CORE's "no home" is /nonexistent (user_create.home's default).
		if _, err := t.ExecContext(ctx, `UPDATE users SET manage_home = ? WHERE id = ?`, home != account.CoreDefaultHome, id); err != nil {
			return nil, err
		}
		if err := setCoreUser(ctx, t, id, coreAccount{sudo: p.Sudo.V, nopasswd: p.SudoNopasswd.V, commands: p.SudoCommands.V,
			microsoftAccount: p.MicrosoftAccount.V, attributes: coreAttributes(p.Attributes)}); err != nil {
			return nil, err
		}
		groups, _ := p.GroupIDs()
		if p.SMB.V {
			bu, err := builtinGroupID(ctx, t, "builtin_users")
			if err != nil {
				return nil, err
			}
			if bu != 0 && !slices.Contains(groups, bu) {
				groups = append(groups, bu)
			}
		}
		if err := setAuxGroups(ctx, t, id, groups); err != nil {
			return nil, err
		}
		return id, nil
	})
}

func (e *Engine) coreUserUpdate(ctx context.Context, args []json.RawMessage) (any, error) {
	api := modelOf(ctx).Core
	id, err := account.DecodeCoreID("id", arg(args, 0))
	if err != nil {
		return nil, coreErr(err)
	}
	p, err := api.DecodeUserUpdate(arg(args, 1))
	if err != nil {
		return nil, coreErr(err)
	}
	return e.write(ctx, func(t *txn, now time.Time) (any, error) {
		old, row, err := coreLoadUser(ctx, t, id, now)
		if err != nil {
			return nil, err
		}
		if old == nil {
			return nil, account.NotFound("User", id)
		}
		bv := e.newBoxView(ctx, t, now)
		err = api.CheckUserUpdate(p, old, bv)
		if bv.err != nil {
			return nil, bv.err
		}
		if err != nil {
			return nil, err
		}
		var sets []string
		var vals []any
		set := func(col string, v any) {
			sets = append(sets, col+" = ?")
			vals = append(vals, v)
		}
		if p.UID.Set {
			set("uid", p.UID.V)
		}
		if p.Username.Set {
			set("username", p.Username.V)
		}
		if p.FullName.Set {
			set("full_name", p.FullName.V)
		}
		if p.Email.Set {
			set("email", nullStr(p.Email))
		}
		if p.Group.Set {
			set("group_id", p.Group.V)
		}
		if p.Home.Set && p.Home.V != row.Home {
			set("home", p.Home.V)
			set("manage_home", p.Home.V != account.CoreDefaultHome)
		}
		if p.HomeMode.Set {
			set("home_mode", p.HomeMode.V)
		}
		if p.Shell.Set {
			set("shell", p.Shell.V)
		}
		if p.Password.Set {
			// With the merged username and uid (account.py:564).
			username, uid := row.Username, row.UID
			if p.Username.Set {
				username = p.Username.V
			}
			if p.UID.Set {
				uid = p.UID.V
			}
			unixh, smbh, err := corePassword(p.Password.V, username, uid, now)
			if err != nil {
				return nil, err
			}
			set("unixhash", unixh)
			set("smbhash", smbh)
			if unixh != "*" {
				set("last_password_change", now.UnixMilli())
			}
		}
		if p.PasswordDisabled.Set {
			set("password_disabled", p.PasswordDisabled.V)
		}
		if p.SSHPubKey.Set {
			set("sshpubkey", nullStr(p.SSHPubKey))
		}
		if p.Locked.Set {
			set("locked", p.Locked.V)
		}
		if p.SMB.Set {
			set("smb", p.SMB.V)
		}
		if len(sets) > 0 {
			vals = append(vals, id)
			if _, err := t.ExecContext(ctx, "UPDATE users SET "+strings.Join(sets, ", ")+" WHERE id = ?", vals...); err != nil {
				return nil, err
			}
		}
		c := coreAccount{sudo: old.Sudo, nopasswd: old.SudoNopasswd, commands: old.SudoCommands,
			microsoftAccount: old.MicrosoftAccount, attributes: old.Attributes}
		if p.Sudo.Set {
			c.sudo = p.Sudo.V
		}
		if p.SudoNopasswd.Set {
			c.nopasswd = p.SudoNopasswd.V
		}
		if p.SudoCommands.Set {
			c.commands = p.SudoCommands.V
		}
		if p.MicrosoftAccount.Set {
			c.microsoftAccount = p.MicrosoftAccount.V
		}
		if p.Attributes.Set {
			c.attributes = coreAttributes(p.Attributes)
		}
		if err := setCoreUser(ctx, t, id, c); err != nil {
			return nil, err
		}
		if p.Groups.Set {
			groups, _ := p.GroupIDs()
			if err := setAuxGroups(ctx, t, id, groups); err != nil {
				return nil, err
			}
		}
		return id, nil
	})
}

func (e *Engine) coreUserDelete(ctx context.Context, args []json.RawMessage) (any, error) {
	id, err := account.DecodeCoreID("id", arg(args, 0))
	if err != nil {
		return nil, coreErr(err)
	}
	deleteGroup, err := account.DecodeCoreUserDeleteOptions(arg(args, 1))
	if err != nil {
		return nil, coreErr(err)
	}
	return e.write(ctx, func(t *txn, now time.Time) (any, error) {
		ce, u, err := coreLoadUser(ctx, t, id, now)
		if err != nil {
			return nil, err
		}
		if ce == nil {
			return nil, account.NotFound("User", id)
		}
		if cerr := account.CheckCoreUserDelete(ce); cerr != nil {
			return nil, cerr
		}
		if _, err := t.ExecContext(ctx, `DELETE FROM core_users WHERE user_id = ?`, id); err != nil {
			return nil, err
		}
		primary := u.GroupID
		if err := deleteUserRows(ctx, t, u, deleteGroup); err != nil {
			return nil, err
		}
		if _, err := t.ExecContext(ctx, `DELETE FROM core_groups WHERE group_id = ? AND NOT EXISTS (SELECT 1 FROM groups WHERE id = ?)`,
			primary, primary); err != nil {
			return nil, err
		}
		return id, nil
	})
}

func (e *Engine) coreGroupQuery(ctx context.Context, args []json.RawMessage) (any, error) {
	filters, options, err := coreQueryArgs(args)
	if err != nil {
		return nil, err
	}
	v, err := e.read(ctx, func(t *txn, _ time.Time) (any, error) {
		l := newLoader(ctx, t)
		where, wargs := pushdown(filters, groupPush)
		if where == "" {
			if err := l.preload(); err != nil {
				return nil, err
			}
			where = "1"
		}
		rows, err := t.QueryContext(ctx, `SELECT `+groupCols+` FROM groups WHERE `+where+` ORDER BY id`, wargs...)
		if err != nil {
			return nil, err
		}
		var gs []*groupRow
		for rows.Next() {
			g, err := scanGroup(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			gs = append(gs, g)
		}
		rows.Close()
		entries := make([]json.RawMessage, 0, len(gs))
		for _, g := range gs {
			ce, err := l.coreGroupEntry(g)
			if err != nil {
				return nil, err
			}
			b, err := json.Marshal(ce)
			if err != nil {
				return nil, err
			}
			entries = append(entries, b)
		}
		return entries, nil
	})
	if err != nil {
		return nil, err
	}
	return runQuery(v.([]json.RawMessage), filters, options)
}

func (e *Engine) coreGroupGetInstance(ctx context.Context, args []json.RawMessage) (any, error) {
	id, err := intArg(arg(args, 0), "id")
	if err != nil {
		return nil, err
	}
	v, err := e.read(ctx, func(t *txn, _ time.Time) (any, error) {
		ce, _, err := coreLoadGroup(ctx, t, id)
		if err != nil {
			return nil, err
		}
		if ce == nil {
			return nil, account.NotFound("Group", id)
		}
		return ce, nil
	})
	if err != nil {
		return nil, err
	}
	return getInstance(v, arg(args, 1))
}

func (e *Engine) coreGroupCreate(ctx context.Context, args []json.RawMessage) (any, error) {
	api := modelOf(ctx).Core
	p, err := api.DecodeGroupCreate(arg(args, 0))
	if err != nil {
		return nil, coreErr(err)
	}
	return e.write(ctx, func(t *txn, now time.Time) (any, error) {
		bv := e.newBoxView(ctx, t, now)
		err := api.CheckGroup(p, nil, bv)
		if bv.err != nil {
			return nil, bv.err
		}
		if err != nil {
			return nil, err
		}
		gids, err := newLoader(ctx, t).ids(`SELECT gid FROM groups WHERE builtin = 0`)
		if err != nil {
			return nil, err
		}
		res, err := t.ExecContext(ctx, `INSERT INTO groups (gid, name, builtin, smb) VALUES (?, ?, 0, ?)`,
			p.AssignedGID(gids), p.Name.V, p.SMB.V)
		if err != nil {
			return nil, err
		}
		id, _ := res.LastInsertId()
		if err := setCoreGroup(ctx, t, id, coreAccount{sudo: p.Sudo.V, nopasswd: p.SudoNopasswd.V, commands: p.SudoCommands.V}); err != nil {
			return nil, err
		}
		if p.Users.Set && len(p.Users.V) > 0 {
			if err := setGroupMembers(ctx, t, id, p.Users.V); err != nil {
				return nil, err
			}
		}
		return id, nil
	})
}

func (e *Engine) coreGroupUpdate(ctx context.Context, args []json.RawMessage) (any, error) {
	api := modelOf(ctx).Core
	id, err := account.DecodeCoreID("id", arg(args, 0))
	if err != nil {
		return nil, coreErr(err)
	}
	p, err := api.DecodeGroupUpdate(arg(args, 1))
	if err != nil {
		return nil, coreErr(err)
	}
	return e.write(ctx, func(t *txn, now time.Time) (any, error) {
		old, _, err := coreLoadGroup(ctx, t, id)
		if err != nil {
			return nil, err
		}
		if old == nil {
			return nil, account.NotFound("Group", id)
		}
		bv := e.newBoxView(ctx, t, now)
		err = api.CheckGroup(p, old, bv)
		if bv.err != nil {
			return nil, bv.err
		}
		if err != nil {
			return nil, err
		}
		var sets []string
		var vals []any
		if p.GID.Set {
			sets, vals = append(sets, "gid = ?"), append(vals, p.GID.V)
		}
		if p.Name.Set {
			sets, vals = append(sets, "name = ?"), append(vals, p.Name.V)
		}
		if p.SMB.Set {
			sets, vals = append(sets, "smb = ?"), append(vals, p.SMB.V)
		}
		if len(sets) > 0 {
			vals = append(vals, id)
			if _, err := t.ExecContext(ctx, "UPDATE groups SET "+strings.Join(sets, ", ")+" WHERE id = ?", vals...); err != nil {
				return nil, err
			}
		}
		c := coreAccount{sudo: old.Sudo, nopasswd: old.SudoNopasswd, commands: old.SudoCommands}
		if p.Sudo.Set {
			c.sudo = p.Sudo.V
		}
		if p.SudoNopasswd.Set {
			c.nopasswd = p.SudoNopasswd.V
		}
		if p.SudoCommands.Set {
			c.commands = p.SudoCommands.V
		}
		if err := setCoreGroup(ctx, t, id, c); err != nil {
			return nil, err
		}
		if p.Users.Set {
			if err := setGroupMembers(ctx, t, id, p.Users.V); err != nil {
				return nil, err
			}
		}
		return id, nil
	})
}

func (e *Engine) coreGroupDelete(ctx context.Context, args []json.RawMessage) (any, error) {
	id, err := account.DecodeCoreID("id", arg(args, 0))
	if err != nil {
		return nil, coreErr(err)
	}
	deleteUsers, err := account.DecodeCoreGroupDeleteOptions(arg(args, 1))
	if err != nil {
		return nil, coreErr(err)
	}
	return e.write(ctx, func(t *txn, _ time.Time) (any, error) {
		ce, g, err := coreLoadGroup(ctx, t, id)
		if err != nil {
			return nil, err
		}
		if ce == nil {
			return nil, account.NotFound("Group", id)
		}
		if cerr := account.CheckCoreGroupDelete(ce); cerr != nil {
			return nil, cerr
		}
		if deleteUsers {
			if _, err := t.ExecContext(ctx, `DELETE FROM core_users WHERE user_id IN (SELECT id FROM users WHERE group_id = ?)`, id); err != nil {
				return nil, err
			}
		}
		if err := deleteGroupRows(ctx, t, g, deleteUsers); err != nil {
			return nil, err
		}
		if _, err := t.ExecContext(ctx, `DELETE FROM core_groups WHERE group_id = ?`, id); err != nil {
			return nil, err
		}
		return id, nil
	})
}

// CORE's API keys (api_key.py at TN-13.3-U1.2) are names, not bound to a
// user: a key logs a connection in as CORE's full administrator. The
// store's api_keys rows need a user: CORE keys are given root's, so that a
// connection logged in with one holds while the key does, as any key
// login does (Session.refresh).

func coreKeyEntry(k *keyRow) account.CoreAPIKeyEntry {
	return account.CoreAPIKeyEntry{ID: k.ID, Name: k.Name, CreatedAt: account.Date{Time: time.UnixMilli(k.CreatedAt).UTC()}}
}

func (e *Engine) coreKeyQuery(ctx context.Context, args []json.RawMessage) (any, error) {
	filters, options, err := coreQueryArgs(args)
	if err != nil {
		return nil, err
	}
	v, err := e.read(ctx, func(t *txn, _ time.Time) (any, error) {
		rows, err := t.QueryContext(ctx, `SELECT `+keyCols+` FROM api_keys ORDER BY id`)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var entries []json.RawMessage
		for rows.Next() {
			k, err := scanKey(rows)
			if err != nil {
				return nil, err
			}
			b, err := json.Marshal(coreKeyEntry(k))
			if err != nil {
				return nil, err
			}
			entries = append(entries, b)
		}
		return entries, rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return runQuery(v.([]json.RawMessage), filters, options)
}

func (e *Engine) coreKeyGetInstance(ctx context.Context, args []json.RawMessage) (any, error) {
	id, err := intArg(arg(args, 0), "id")
	if err != nil {
		return nil, err
	}
	v, err := e.read(ctx, func(t *txn, _ time.Time) (any, error) {
		k, err := getKeyRow(ctx, t, "id = ?", id)
		if err != nil {
			return nil, err
		}
		if k == nil {
			return nil, account.NotFound("ApiKey", id)
		}
		return coreKeyEntry(k), nil
	})
	if err != nil {
		return nil, err
	}
	return getInstance(v, arg(args, 1))
}

// coreKeySecret is a new CORE key's secret (api_key.py _generate: 64
// letters and digits) and its stored hash.
func coreKeySecret() (string, string, error) {
	secret := RandomString(64)
	h, err := keyHash(secret)
	return secret, h, err
}

func (e *Engine) coreKeyCreate(ctx context.Context, args []json.RawMessage) (any, error) {
	api := modelOf(ctx).Core
	p, err := api.DecodeAPIKeyCreate(arg(args, 0))
	if err != nil {
		return nil, coreErr(err)
	}
	return e.writeStoreOnly(ctx, func(t *txn, now time.Time) (any, error) {
		bv := e.newBoxView(ctx, t, now)
		err := api.CheckAPIKey(p, nil, bv)
		if bv.err != nil {
			return nil, bv.err
		}
		if err != nil {
			return nil, err
		}
		root, err := getUserRow(ctx, t, "username = 'root'")
		if err != nil {
			return nil, err
		}
		if root == nil {
			return nil, account.NewCallError(account.ENOENT, "user root does not exist")
		}
		secret, hash, err := coreKeySecret()
		if err != nil {
			return nil, err
		}
		// CORE stores created_at as a naive UTC datetime (datetime.utcnow):
		// milliseconds are kept, as the datastore's DateTime does.
		res, err := t.ExecContext(ctx, `INSERT INTO api_keys (name, user_id, keyhash, created_at) VALUES (?, ?, ?, ?)`,
			p.Name.V, root.ID, hash, now.UnixMilli())
		if err != nil {
			return nil, err
		}
		id, _ := res.LastInsertId()
		return account.CoreAPIKeyCreated{Name: p.Name.V, Key: itoa(id) + "-" + secret,
			CreatedAt: account.Date{Time: time.UnixMilli(now.UnixMilli()).UTC()}, ID: id}, nil
	})
}

func (e *Engine) coreKeyUpdate(ctx context.Context, args []json.RawMessage) (any, error) {
	api := modelOf(ctx).Core
	id, err := account.DecodeCoreID("id", arg(args, 0))
	if err != nil {
		return nil, coreErr(err)
	}
	p, err := api.DecodeAPIKeyUpdate(arg(args, 1))
	if err != nil {
		return nil, coreErr(err)
	}
	return e.writeStoreOnly(ctx, func(t *txn, now time.Time) (any, error) {
		k, err := getKeyRow(ctx, t, "id = ?", id)
		if err != nil {
			return nil, err
		}
		if k == nil {
			return nil, account.NotFound("ApiKey", id)
		}
		old := coreKeyEntry(k)
		bv := e.newBoxView(ctx, t, now)
		err = api.CheckAPIKey(p, &old, bv)
		if bv.err != nil {
			return nil, bv.err
		}
		if err != nil {
			return nil, err
		}
		if p.Name.Set {
			if _, err := t.ExecContext(ctx, `UPDATE api_keys SET name = ? WHERE id = ?`, p.Name.V, id); err != nil {
				return nil, err
			}
		}
		var secret string
		if p.Reset.Set && p.Reset.V {
			s, hash, err := coreKeySecret()
			if err != nil {
				return nil, err
			}
			secret = s
			if _, err := t.ExecContext(ctx, `UPDATE api_keys SET keyhash = ? WHERE id = ?`, hash, id); err != nil {
				return nil, err
			}
		}
		k, err = getKeyRow(ctx, t, "id = ?", id)
		if err != nil {
			return nil, err
		}
		if secret == "" {
			return coreKeyEntry(k), nil
		}
		return account.CoreAPIKeyReset{CoreAPIKeyEntry: coreKeyEntry(k), Key: itoa(id) + "-" + secret}, nil
	})
}

func (e *Engine) coreKeyDelete(ctx context.Context, args []json.RawMessage) (any, error) {
	id, err := account.DecodeCoreID("id", arg(args, 0))
	if err != nil {
		return nil, coreErr(err)
	}
	return e.writeStoreOnly(ctx, func(t *txn, _ time.Time) (any, error) {
		k, err := getKeyRow(ctx, t, "id = ?", id)
		if err != nil {
			return nil, err
		}
		if k == nil {
			return nil, account.NotFound("ApiKey", id)
		}
		if _, err := t.ExecContext(ctx, `DELETE FROM api_keys WHERE id = ?`, id); err != nil {
			return nil, err
		}
		return true, nil
	})
}

// coreStr is a CORE Str argument: a string, or the schema Error CORE
// raises for another type ("[name] Not a string").
func coreStr(raw json.RawMessage, name string, null bool) (string, bool, error) {
	if raw == nil || (null && string(raw) == "null") {
		return "", false, nil
	}
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", false, &account.CoreSchemaError{Attribute: name, Message: "Not a string"}
	}
	return s, true, nil
}

// coreAuthLogin is CORE's auth.login(username, password, otp_token)
// (plugins/auth.py:317-339 at TN-13.3-U1.2): only root's password logs a
// connection in (check_user); the answer is whether it did.
func (e *Engine) coreAuthLogin(ctx context.Context, args []json.RawMessage) (any, error) {
	username, _, err := coreStr(arg(args, 0), "username", false)
	if err != nil {
		return nil, err
	}
	password, _, err := coreStr(arg(args, 1), "password", false)
	if err != nil {
		return nil, err
	}
	if _, _, err := coreStr(arg(args, 2), "otp_token", true); err != nil {
		return nil, err
	}
	unlock, err := e.logins.lock(ctx, callerPeer(ctx))
	if err != nil {
		return nil, err
	}
	defer unlock()
	ok := false
	if username == "root" {
		var hash string
		if _, err := e.read(ctx, func(t *txn, _ time.Time) (any, error) {
			u, err := getUserRow(ctx, t, "username = 'root'")
			if u != nil {
				hash = u.Unixhash
			}
			return nil, err
		}); err != nil {
			return nil, err
		}
		if hash != "x" && hash != "*" && hash != "" {
			if err := e.hashing(ctx, func() { ok = checkUnixHash(hash, password) }); err != nil {
				return nil, err
			}
		}
	}
	if !ok {
		e.logins.failed(ctx)
		return false, nil
	}
	return e.loginAs(ctx, "root", "")
}

// coreAuthLoginWithAPIKey is CORE's auth.login_with_api_key(api_key)
// (plugins/auth.py:341-352, api_key.py authenticate): "<id>-<secret>"
// checked against the key's hash; any valid key logs the connection in.
func (e *Engine) coreAuthLoginWithAPIKey(ctx context.Context, args []json.RawMessage) (any, error) {
	key, _, err := coreStr(arg(args, 0), "api_key", false)
	if err != nil {
		return nil, err
	}
	unlock, err := e.logins.lock(ctx, callerPeer(ctx))
	if err != nil {
		return nil, err
	}
	defer unlock()
	idPart, secret, found := bytesCut(key, '-')
	id, perr := parseKeyID(idPart)
	ok := false
	if found && perr == nil {
		var hash string
		if _, err := e.read(ctx, func(t *txn, _ time.Time) (any, error) {
			k, err := getKeyRow(ctx, t, "id = ?", id)
			if k != nil {
				hash = k.Keyhash
			}
			return nil, err
		}); err != nil {
			return nil, err
		}
		if hash != "" {
			if err := e.hashing(ctx, func() { ok = checkKeyHash(hash, secret) }); err != nil {
				return nil, err
			}
		}
	}
	if !ok {
		e.logins.failed(ctx)
		return false, nil
	}
	return e.loginAs(ctx, "root", key)
}

// callerPeer names the peer of a call for the login guard.
func callerPeer(ctx context.Context) string {
	if s := sessionOf(ctx); s != nil {
		return s.caller.String()
	}
	return "cli"
}
