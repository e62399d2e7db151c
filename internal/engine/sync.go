package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/nasops/terraform-provider-truenas/internal/account"
	"github.com/nasops/terraform-provider-truenas/internal/box"
)

func (e *Engine) storeGeneration(ctx context.Context, q querier) (string, error) {
	var gen string
	err := q.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'generation'`).Scan(&gen)
	if err == sql.ErrNoRows {
		return "0", nil
	}
	return gen, err
}

// boxGeneration is the generation the box files were last brought in line
// with; false when unknown (never applied, or the store cannot be read).
func (e *Engine) boxGeneration(ctx context.Context) (int64, bool) {
	n, ok, err := boxGenerationIn(ctx, e.db)
	return n, ok && err == nil
}

// boxOutOfLine says whether the last committed write has not reached the
// box files (a crash between commit and apply, or a fresh store).
func (e *Engine) boxOutOfLine(ctx context.Context) bool {
	if !e.boxSync {
		return false
	}
	gen, err := e.storeGeneration(ctx, e.db)
	if err != nil {
		return true
	}
	applied, ok := e.boxGeneration(ctx)
	return !ok || strconv.FormatInt(applied, 10) != gen
}

// incrementalLimit is the number of touched accounts above which one
// whole apply is cheaper than an incremental one.
const incrementalLimit = 1000

// syncBox brings the box's account files in line with the store: it takes
// the box lock, reads the latest committed state and applies it. Holding
// the lock while reading makes concurrent engines apply states in commit
// order.
//
// When the box is known to be in line with an earlier generation, and the
// store knows which accounts every later generation touched (box_dirty),
// only those accounts are read and applied (box.ApplyChange): the cost of
// a call then hardly grows with the number of accounts. Otherwise, and
// always when full is set (a box found out of line at start: repair after
// a crash, the first run), the whole State is read and applied.
//
// Problems in single accounts (box.AccountErrors: a foreign line with the
// name, an obstacle in a home) do not hold the box back: the generation is
// recorded as applied, the accounts concerned are listed in box_retry
// and applied again by every later sync until they succeed, and the
// *box.AccountErrors is returned for the caller to tell whether it
// concerns its own change.
func (e *Engine) syncBox(ctx context.Context, full bool) error {
	if !e.boxSync {
		return nil
	}
	unlock, err := box.Lock(e.root)
	if err != nil {
		return err
	}
	defer unlock()
	return e.syncBoxLocked(ctx, full, unlock)
}

// syncBoxLocked is syncBox when the caller holds box.Lock; unlock
// releases it (syncBox lets go of it before its housekeeping).
func (e *Engine) syncBoxLocked(ctx context.Context, full bool, unlock func()) error {
	var err error
	retry := e.readRetry(ctx)
	applied, known := e.boxGeneration(ctx)
	led := e.ledger(ctx)
	var res *box.Result
	var gen string
	var acct *box.AccountErrors
	if known && !full {
		var change *box.Change
		change, gen, err = e.readChange(ctx, applied, retry)
		if err != nil {
			return err
		}
		if change == nil && gen == strconv.FormatInt(applied, 10) {
			return nil // another engine brought the box to this generation
		}
		if change != nil {
			res, err = box.ApplyDelta(e.root, *change, led)
			if errors.Is(err, box.ErrFullApply) {
				res, err = nil, nil
			}
			if errors.As(err, &acct) {
				err = nil
			}
			if err != nil {
				return err
			}
		}
	}
	fullPass := res == nil
	if fullPass {
		t, err := e.begin(ctx, false)
		if err != nil {
			return err
		}
		st, err := e.boxState(ctx, t)
		if err == nil {
			gen, err = e.storeGeneration(ctx, t)
		}
		t.rollback()
		if err != nil {
			return err
		}
		res, err = box.ApplyState(e.root, st, led)
		if errors.As(err, &acct) {
			err = nil
		}
		if err != nil {
			return err
		}
	}
	if fullPass {
		e.fullPasses.Add(1)
	} else {
		e.incrementalPasses.Add(1)
	}
	if res.SSHDChanged {
		e.reloadSSHD(ctx)
	}
	// Mark the apply done: its final records, the accounts left out and
	// the generation, in one transaction. A crash before it repeats this
	// apply, over the intent it recorded.
	if err := e.markApplied(ctx, res.Owned, acct, gen); err != nil {
		return err
	}
	if fullPass {
		// Everything recorded up to gen is on the box: forget it at once
		// (a bulk change may have left many rows), after the box is free.
		// Only housekeeping: rows left here are pruned by later writes.
		unlock()
		_ = e.forgetApplied(ctx, gen)
	}
	if acct != nil {
		return acct
	}
	return nil
}

// boxRetry names the accounts to apply again.
type boxRetry struct{ users, groups []string }

func (r boxRetry) empty() bool { return len(r.users)+len(r.groups) == 0 }

// readRetry reads box_retry (an unreadable store: none).
func (e *Engine) readRetry(ctx context.Context) boxRetry {
	var r boxRetry
	rows, err := e.db.QueryContext(ctx, `SELECT kind, name FROM box_retry ORDER BY kind, name`)
	if err != nil {
		return r
	}
	defer rows.Close()
	for rows.Next() {
		var kind, name string
		if rows.Scan(&kind, &name) != nil {
			return r
		}
		if kind == "u" {
			r.users = append(r.users, name)
		} else {
			r.groups = append(r.groups, name)
		}
	}
	return r
}

// forgetApplied drops the box_dirty rows of generations up to gen.
func (e *Engine) forgetApplied(ctx context.Context, gen string) error {
	t, err := e.begin(ctx, true)
	if err != nil {
		return err
	}
	defer t.rollback()
	if _, err := t.ExecContext(ctx, `DELETE FROM box_dirty WHERE generation <= CAST(? AS INTEGER)`, gen); err != nil {
		return err
	}
	return t.commit(ctx)
}

// readChange reads, in one read transaction, the store generation and the
// accounts touched since generation applied, as a box.Change; nil when
// the change cannot be told (the store generation is behind applied, the
// touched accounts were not all recorded, or there are too many of them).
func (e *Engine) readChange(ctx context.Context, applied int64, retry boxRetry) (*box.Change, string, error) {
	t, err := e.begin(ctx, false)
	if err != nil {
		return nil, "", err
	}
	defer t.rollback()
	gen, err := e.storeGeneration(ctx, t)
	if err != nil {
		return nil, "", err
	}
	current, err := strconv.ParseInt(gen, 10, 64)
	if err != nil || current < applied || current == applied && retry.empty() {
		return nil, gen, nil
	}
	var since int64
	if err := t.QueryRowContext(ctx, `SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'box_dirty_since'`).Scan(&since); err != nil {
		if err == sql.ErrNoRows {
			return nil, gen, nil
		}
		return nil, "", err
	}
	if applied < since {
		return nil, gen, nil
	}
	rows, err := t.QueryContext(ctx, `SELECT DISTINCT kind, name, member FROM box_dirty WHERE generation > ?`, applied)
	if err != nil {
		return nil, "", err
	}
	var userNames []any
	groups := map[string]bool{} // touched groups, read whole
	added := map[string][]any{} // groups whose only change is members added: their user ids
	// The accounts the last sync could not bring in line, again.
	seenUsers := map[string]bool{}
	for _, n := range retry.users {
		if !seenUsers[n] {
			seenUsers[n] = true
			userNames = append(userNames, n)
		}
	}
	for _, n := range retry.groups {
		groups[n] = true
	}
	for rows.Next() {
		var kind, name string
		var member sql.NullInt64
		if err := rows.Scan(&kind, &name, &member); err != nil {
			rows.Close()
			return nil, "", err
		}
		switch {
		case kind == "u":
			if !seenUsers[name] {
				seenUsers[name] = true
				userNames = append(userNames, name)
			}
		case kind == "m" && member.Valid:
			added[name] = append(added[name], member.Int64)
		default:
			groups[name] = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	for n := range groups {
		delete(added, n)
	}
	if len(userNames)+len(groups)+len(added) > incrementalLimit {
		return nil, gen, nil
	}
	c := &box.Change{}
	present := map[string]bool{}
	if len(userNames) > 0 {
		// "+u.builtin": look the names up by users_username, not every
		// non-builtin user by users_builtin.
		us, err := e.boxUsers(ctx, t, `+u.builtin = 0 AND u.username IN (`+placeholders(len(userNames))+`)`, userNames...)
		if err != nil {
			return nil, "", err
		}
		c.Users = us
		for i := range us {
			present[us[i].Name] = true
		}
		for _, n := range userNames {
			if !present[n.(string)] {
				c.RemovedUsers = append(c.RemovedUsers, n.(string))
			}
		}
	}
	// A group that only gained members who joined after all the others
	// (a new user's usual case) keeps the list on the box: only the new
	// names are read and appended to it.
	var appended []box.Group
	for name, ids := range added {
		g, ok, err := membersAppended(ctx, t, name, ids)
		if err != nil {
			return nil, "", err
		}
		if ok {
			appended = append(appended, g)
		} else {
			groups[name] = true
		}
	}
	if len(groups) > 0 {
		names := make([]any, 0, len(groups))
		for n := range groups {
			names = append(names, n)
		}
		gs, err := e.boxGroups(ctx, t, `(builtin = 0 OR members_managed = 1) AND name IN (`+placeholders(len(names))+`)`, names...)
		if err != nil {
			return nil, "", err
		}
		c.Groups = gs
		clear(present)
		for i := range gs {
			present[gs[i].Name] = true
		}
		for _, n := range names {
			if !present[n.(string)] {
				c.RemovedGroups = append(c.RemovedGroups, n.(string))
			}
		}
	}
	// Neither kind of group is new to the box (a new group is read whole),
	// so their order among the others does not matter.
	c.Groups = append(c.Groups, appended...)
	// The sudoers drop-in is made from every account with sudo rules: a
	// partial index finds them without reading the others.
	if c.SudoUsers, c.SudoGroups, err = sudoAccounts(ctx, t); err != nil {
		return nil, "", err
	}
	return c, gen, nil
}

// membersAppended reads group name when its only change since the last
// sync is that the users ids joined it, all after its other members (its
// members are listed by user id): the Group then lists just their names,
// with MembersAdded. false when that is not so, or the group is not in
// the State.
func membersAppended(ctx context.Context, q querier, name string, ids []any) (box.Group, bool, error) {
	var g box.Group
	rows, err := q.QueryContext(ctx, `SELECT `+groupCols+` FROM groups WHERE name = ? AND (builtin = 0 OR members_managed = 1)`, name)
	if err != nil {
		return g, false, err
	}
	var found []*groupRow
	for rows.Next() {
		r, err := scanGroup(rows)
		if err != nil {
			rows.Close()
			return g, false, err
		}
		found = append(found, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(found) != 1 {
		return g, false, err
	}
	row := found[0]
	in := placeholders(len(ids))
	args := append([]any{row.ID}, ids...)
	var last sql.NullInt64 // the last member before them
	if err := q.QueryRowContext(ctx, `SELECT MAX(user_id) FROM memberships WHERE group_id = ? AND user_id NOT IN (`+in+`)`,
		args...).Scan(&last); err != nil {
		return g, false, err
	}
	rows, err = q.QueryContext(ctx, `SELECT m.user_id, u.username FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.group_id = ? AND m.user_id IN (`+in+`) ORDER BY m.user_id`, args...)
	if err != nil {
		return g, false, err
	}
	defer rows.Close()
	g = box.Group{Name: row.Name, GID: row.GID, MembersAdded: true}
	for rows.Next() {
		var id int64
		var n string
		if err := rows.Scan(&id, &n); err != nil {
			return g, false, err
		}
		if last.Valid && id <= last.Int64 {
			return g, false, nil
		}
		g.Members = append(g.Members, n)
	}
	if err := rows.Err(); err != nil {
		return g, false, err
	}
	// Every one of them must still be a member (ids holds no repeats: the
	// rows are distinct, and a member who left and came back left a 'g').
	if len(g.Members) != len(ids) {
		return g, false, nil
	}
	if !row.Builtin {
		g.SudoCommands, g.SudoCommandsNopasswd = strList(row.Sudo), strList(row.SudoNopasswd)
	}
	return g, true, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// boxState is what the engine owns: every non-builtin user and group, and
// the builtin groups whose member lists the engine changed.
func (e *Engine) boxState(ctx context.Context, q querier) (box.State, error) {
	var st box.State
	var err error
	if st.Users, err = e.boxUsers(ctx, q, `u.builtin = 0`); err != nil {
		return st, err
	}
	st.Groups, err = e.boxGroups(ctx, q, `builtin = 0 OR members_managed = 1`)
	return st, err
}

// boxUsers reads the users matching where (on users u) as the box has them,
// in State order.
func (e *Engine) boxUsers(ctx context.Context, q querier, where string, args ...any) ([]box.User, error) {
	rows, err := q.QueryContext(ctx, `SELECT u.username, u.uid, COALESCE(g.gid, 0), u.full_name, u.home, u.shell, u.unixhash, u.locked,
		u.manage_home, u.sudo_commands, u.sudo_commands_nopasswd, u.ssh_password_enabled, u.password_disabled, u.last_password_change,
		u.home_mode, u.sshpubkey
		FROM users u LEFT JOIN groups g ON g.id = u.group_id WHERE `+where+` ORDER BY u.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []box.User
	for rows.Next() {
		var u userRow
		var gid int64
		if err := rows.Scan(&u.Username, &u.UID, &gid, &u.FullName, &u.Home, &u.Shell, &u.Unixhash, &u.Locked, &u.ManageHome,
			&u.Sudo, &u.SudoNopasswd, &u.SSHPasswordEnabled, &u.PasswordDisabled, &u.LastPasswordChange, &u.HomeMode, &u.SSHPubKey); err != nil {
			return nil, err
		}
		bu := box.User{
			Name: u.Username, UID: u.UID, GID: gid, Gecos: u.FullName, Home: u.Home, Shell: u.Shell,
			Hash: u.Unixhash, Locked: u.Locked, ManageHome: u.ManageHome,
			SudoCommands: strList(u.Sudo), SudoCommandsNopasswd: strList(u.SudoNopasswd),
			SSHPasswordEnabled: u.SSHPasswordEnabled,
		}
		if u.PasswordDisabled || bu.Hash == "" {
			bu.Hash = "*"
		}
		if u.LastPasswordChange.Valid {
			bu.LastChange = u.LastPasswordChange.Int64 / 86400000
		}
		// The store holds home_mode as it was sent ("755", "0o755",
		// "7_55"...), checked by account.ParseHomeMode before it was saved.
		if m, ok := account.ParseHomeMode(u.HomeMode); ok {
			bu.HomeMode = m
		} else {
			return nil, fmt.Errorf("user %q: stored home_mode %q is not a mode", u.Username, u.HomeMode)
		}
		if u.SSHPubKey.Valid {
			bu.SSHPubKey = ptr(u.SSHPubKey.String)
		}
		out = append(out, bu)
	}
	return out, rows.Err()
}

// boxGroups reads the groups matching where (on groups) as the box has
// them, with their members, in State order.
func (e *Engine) boxGroups(ctx context.Context, q querier, where string, args ...any) ([]box.Group, error) {
	members := map[int64][]string{}
	rows, err := q.QueryContext(ctx, `SELECT m.group_id, u.username FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.group_id IN (SELECT id FROM groups WHERE `+where+`) ORDER BY m.group_id, m.user_id`, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var g int64
		var n string
		if err := rows.Scan(&g, &n); err != nil {
			rows.Close()
			return nil, err
		}
		members[g] = append(members[g], n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT `+groupCols+` FROM groups WHERE `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []box.Group
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, err
		}
		bg := box.Group{Name: g.Name, GID: g.GID, Members: members[g.ID]}
		if bg.Members == nil {
			bg.Members = []string{}
		}
		if !g.Builtin {
			bg.SudoCommands, bg.SudoCommandsNopasswd = strList(g.Sudo), strList(g.SudoNopasswd)
		}
		out = append(out, bg)
	}
	return out, rows.Err()
}

// sudoAccounts reads every user and group the sudoers drop-in is made
// from (names, ids and rules only), in State order, through the partial
// indexes users_sudo and groups_sudo.
func sudoAccounts(ctx context.Context, q querier) ([]box.User, []box.Group, error) {
	var users []box.User
	var groups []box.Group
	for _, table := range []string{"users", "groups"} {
		name, id := "username", "uid"
		if table == "groups" {
			name, id = "name", "gid"
		}
		rows, err := q.QueryContext(ctx, `SELECT `+name+`, `+id+`, sudo_commands, sudo_commands_nopasswd FROM `+table+
			` INDEXED BY `+table+`_sudo WHERE `+sudoWhere+` ORDER BY id`)
		if err != nil {
			return nil, nil, err
		}
		for rows.Next() {
			var n, sudo, nopasswd string
			var xid int64
			if err := rows.Scan(&n, &xid, &sudo, &nopasswd); err != nil {
				rows.Close()
				return nil, nil, err
			}
			if table == "users" {
				users = append(users, box.User{Name: n, UID: xid, SudoCommands: strList(sudo), SudoCommandsNopasswd: strList(nopasswd)})
			} else {
				groups = append(groups, box.Group{Name: n, GID: xid, SudoCommands: strList(sudo), SudoCommandsNopasswd: strList(nopasswd)})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, err
		}
	}
	return users, groups, nil
}
