package engine

import (
	"context"
	"database/sql"
	"encoding/json"
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
		"user.query":         queryMethod((*Engine).coreUserQuery),
		"user.get_instance":  instanceMethod((*Engine).coreUserGetInstance),
		"user.create":        plain(1, (*Engine).coreUserCreate),
		"user.update":        plain(2, (*Engine).coreUserUpdate),
		"user.delete":        plain(2, (*Engine).coreUserDelete),
		"user.get_next_uid":  plain(0, (*Engine).coreNextUID),
		"user.shell_choices": plain(1, (*Engine).coreUserShellChoices),

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

// A CORE decoding failure is returned as it is: a schema Error
// (*account.CoreSchemaError, the first failing attribute) stays one, so
// that DDP sends it as CORE does (wire.ErrorOf, FromRPC) and midclt prints
// "[EINVAL] [attr] message".

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
