package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"path"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/nasops/terraform-provider-truenas/internal/account"
	"github.com/nasops/terraform-provider-truenas/internal/box"
)

// builtinUsersGroupID is the DB id of builtin_users (0 when absent).
func builtinGroupID(ctx context.Context, q querier, name string) (int64, error) {
	g, err := getGroupRow(ctx, q, "name = ? AND builtin = 1", name)
	if err != nil || g == nil {
		return 0, err
	}
	return g.ID, nil
}

// webshareGroups is groups with the webshare group added (webshare, and
// not root: TrueNAS leaves root out) or removed (plugins/account.py at
// TS-26.0.0-BETA.3, handle_webshare). A release without webshare, or a
// store without the group, leaves groups as they are.
func webshareGroups(ctx context.Context, q querier, username string, webshare bool, groups []int64) ([]int64, error) {
	if !modelOf(ctx).Webshare {
		return groups, nil
	}
	ws, err := builtinGroupID(ctx, q, account.WebshareGroup.Name)
	if err != nil {
		return nil, err
	}
	if ws == 0 {
		if webshare {
			// TrueNAS's lookup of the group (get) fails the same way.
			return nil, account.NewCallError(account.ENOENT, "%s: built-in group not found; this box cannot give webshare access", account.WebshareGroup.Name)
		}
		return groups, nil
	}
	has := slices.Contains(groups, ws)
	switch {
	case webshare && username != "root" && !has:
		return append(slices.Clone(groups), ws), nil
	case !(webshare && username != "root") && has:
		return slices.DeleteFunc(slices.Clone(groups), func(id int64) bool { return id == ws }), nil
	}
	return groups, nil
}

func (e *Engine) userQuery(ctx context.Context, args []json.RawMessage) (any, error) {
	filters, options, err := queryArgs(args)
	if err != nil {
		return nil, err
	}
	v, err := e.read(ctx, func(t *txn, now time.Time) (any, error) {
		l := newLoader(ctx, t)
		us, err := selectRows(ctx, t, l, filters, userPush, `SELECT `+userCols+` FROM users`, scanUser)
		if err != nil {
			return nil, err
		}
		entries, err := marshalEntries(us, 1, func(u *userRow) (*account.UserEntry, error) { return l.userEntry(u, now) })
		if err != nil {
			return nil, err
		}
		b, _ := json.Marshal(syntheticUser())
		entries = append(entries, b)
		return entries, nil
	})
	if err != nil {
		return nil, err
	}
	return runQuery(v.([]json.RawMessage), filters, options)
}

// loadUser reads one user entry by id (nil when missing).
func loadUser(ctx context.Context, q querier, id int64, now time.Time) (*account.UserEntry, *userRow, error) {
	u, err := getUserRow(ctx, q, "id = ?", id)
	if err != nil || u == nil {
		return nil, nil, err
	}
	e, err := newLoader(ctx, q).userEntry(u, now)
	return e, u, err
}

func (e *Engine) userGetInstance(ctx context.Context, args []json.RawMessage) (any, error) {
	return instanceOf(e, ctx, args, "User", func(t *txn, id int64, now time.Time) (*account.UserEntry, error) {
		if id == syntheticUser().ID {
			s := syntheticUser()
			return &s, nil
		}
		ue, _, err := loadUser(ctx, t, id, now)
		return ue, err
	})
}

// nextID returns the smallest free uid (table users) or gid (groups) >=
// MinAutoID that is not reserved (see reserveID) nor, for gids, used by a
// privilege. A per-kind floor kept in meta ("all ids from MinAutoID up to
// floor are taken") keeps this independent of the number of accounts; it
// is advanced by writes (persist) and lowered by deletes.
func (e *Engine) nextID(ctx context.Context, q querier, kind string, persist bool, now time.Time) (int64, error) {
	table, col := "users", "uid"
	if kind == "gid" {
		table, col = "groups", "gid"
	}
	floor := account.MinAutoID
	var v string
	if err := q.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, kind+"_floor").Scan(&v); err == nil {
		if f, err := strconv.ParseInt(v, 10, 64); err == nil && f > floor {
			floor = f
		}
	} else if err != sql.ErrNoRows {
		return 0, err
	}
	// firstFree is the smallest id >= from that the table does not use.
	firstFree := func(from int64) (int64, error) {
		var id int64
		err := q.QueryRowContext(ctx, `SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM `+table+` WHERE `+col+` = ?1) THEN ?1 ELSE
			(SELECT u.`+col+` + 1 FROM `+table+` u WHERE u.`+col+` >= ?1
			 AND NOT EXISTS (SELECT 1 FROM `+table+` x WHERE x.`+col+` = u.`+col+` + 1) ORDER BY u.`+col+` LIMIT 1) END`, from).Scan(&id)
		return id, err
	}
	cand, err := firstFree(floor)
	if err != nil {
		return 0, err
	}
	if persist && cand != floor {
		if _, err := q.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
			kind+"_floor", strconv.FormatInt(cand, 10)); err != nil {
			return 0, err
		}
	}
	// Ids a foreign line of the box's files has (as glibc reads it) are
	// not free either.
	passwd, group := e.boxFiles.index(e.root, box.PasswdFile), e.boxFiles.index(e.root, box.GroupFile)
	for {
		var taken int
		if boxIDUsed(passwd, group, kind == "uid", cand) {
			taken = 1
		}
		if taken == 0 {
			if err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM meta WHERE key = ?1 AND CAST(value AS INTEGER) > ?2)`,
				reservedKey(kind, cand), now.Unix()).Scan(&taken); err != nil {
				return 0, err
			}
		}
		if taken == 0 && kind == "gid" {
			if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM privileges, json_each(privileges.local_groups) WHERE json_each.value = ?`, cand).Scan(&taken); err != nil {
				return 0, err
			}
		}
		if taken == 0 {
			return cand, nil
		}
		if cand, err = firstFree(cand + 1); err != nil {
			return 0, err
		}
	}
}

// lowerFloor records that id became free.
func lowerFloor(ctx context.Context, q querier, kind string, id int64) error {
	if id < account.MinAutoID {
		return nil
	}
	_, err := q.ExecContext(ctx, `UPDATE meta SET value = CAST(?1 AS TEXT) WHERE key = ?2 AND CAST(value AS INTEGER) > ?1`, id, kind+"_floor")
	return err
}

// ReservedIDTTL is how long an id that user.get_next_uid or
// group.get_next_gid returned stays reserved: TrueNAS's LOCKED_XID_TTL
// (utils/reserved_ids.py:5), so two calls never return the same id
// (plugins/account.py:1275, :2237).
const ReservedIDTTL = time.Hour

func reservedKey(kind string, id int64) string {
	return "reserved_" + kind + ":" + strconv.FormatInt(id, 10)
}

// reserveID keeps id from being handed out again, by any engine on the
// store, for ReservedIDTTL; expired reservations are dropped on the way.
func reserveID(ctx context.Context, q querier, kind string, id int64, now time.Time) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM meta WHERE key >= 'reserved_' AND key < 'reserved`+"`"+`' AND CAST(value AS INTEGER) <= ?`, now.Unix()); err != nil {
		return err
	}
	_, err := q.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
		reservedKey(kind, id), strconv.FormatInt(now.Add(ReservedIDTTL).Unix(), 10))
	return err
}

// releaseID ends the reservation of an id that an account now uses
// (plugins/account.py:703 ReservedUids.remove_entry).
func releaseID(ctx context.Context, q querier, kind string, id int64) error {
	_, err := q.ExecContext(ctx, `DELETE FROM meta WHERE key = ?`, reservedKey(kind, id))
	return err
}

// nextReserved returns the next free id of kind and reserves it, in one
// store transaction.
func (e *Engine) nextReserved(ctx context.Context, kind string) (any, error) {
	return e.writeStoreOnly(ctx, func(t *txn, now time.Time) (any, error) {
		id, err := e.nextID(ctx, t, kind, false, now)
		if err != nil {
			return nil, err
		}
		if err := reserveID(ctx, t, kind, id, now); err != nil {
			return nil, err
		}
		return id, nil
	})
}

func (e *Engine) userNextUID(ctx context.Context, args []json.RawMessage) (any, error) {
	return e.nextReserved(ctx, "uid")
}

func (e *Engine) groupNextGID(ctx context.Context, args []json.RawMessage) (any, error) {
	return e.nextReserved(ctx, "gid")
}

func (e *Engine) userShellChoices(ctx context.Context, args []json.RawMessage) (any, error) {
	raw := arg(args, 0)
	var ids []int64
	if !isNull(raw) {
		var vals []json.RawMessage
		if err := json.Unmarshal(raw, &vals); err != nil {
			return nil, invalid("group_ids", "Input should be a valid list")
		}
		var errs account.Errors
		for i, v := range vals {
			n, err := intArg(v, "group_ids."+itoa(int64(i)))
			if err != nil {
				errs = append(errs, err.(account.Errors)...)
				continue
			}
			ids = append(ids, n)
		}
		if len(errs) > 0 {
			return nil, errs
		}
	}
	v, err := e.read(ctx, func(t *txn, now time.Time) (any, error) {
		bv := e.newBoxView(ctx, t, now)
		priv := false
		for _, id := range ids {
			if g, ok := bv.GroupByID(id); ok {
				if _, ok := bv.PrivilegeByGID(g.GID); ok {
					priv = true
				}
			}
		}
		if bv.err != nil {
			return nil, bv.err
		}
		return shellChoices(readShells(e.root), priv), nil
	})
	return v, err
}

// shellChoices is the ordered dict path -> label.
func shellChoices(shells []string, privileged bool) json.RawMessage {
	type kv struct{ k, v string }
	var items []kv
	seen := map[string]bool{}
	add := func(k, v string) {
		if !seen[k] {
			seen[k] = true
			items = append(items, kv{k, v})
		}
	}
	if privileged {
		add("/usr/bin/cli", "TrueNAS CLI")
		add("/usr/bin/cli_console", "TrueNAS Console")
	}
	add(account.NologinShell, "nologin")
	for _, s := range shells {
		if len(s) > len("/usr/bin/") && s[:len("/usr/bin/")] == "/usr/bin/" {
			add(s, path.Base(s))
		}
	}
	out := []byte("{")
	for i, it := range items {
		if i > 0 {
			out = append(out, ',')
		}
		k, _ := json.Marshal(it.k)
		v, _ := json.Marshal(it.v)
		out = append(out, k...)
		out = append(out, ':')
		out = append(out, v...)
	}
	return append(out, '}')
}

func itoa(i int64) string { b, _ := json.Marshal(i); return string(b) }

// markManaged flags built-in groups whose membership the engine changed.
func markManaged(ctx context.Context, q querier, groupIDs []int64) error {
	for _, id := range groupIDs {
		if _, err := q.ExecContext(ctx, `UPDATE groups SET members_managed = 1 WHERE id = ? AND builtin = 1`, id); err != nil {
			return err
		}
	}
	return nil
}

// setAuxGroups replaces a user's auxiliary groups.
func setAuxGroups(ctx context.Context, q querier, userID int64, groups []int64) error {
	old, err := newLoader(ctx, q).ids(`SELECT group_id FROM memberships WHERE user_id = ?`, userID)
	if err != nil {
		return err
	}
	var changed []int64
	for _, g := range old {
		if !slices.Contains(groups, g) {
			changed = append(changed, g)
		}
	}
	for _, g := range groups {
		if !slices.Contains(old, g) {
			changed = append(changed, g)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM memberships WHERE user_id = ?`, userID); err != nil {
		return err
	}
	for _, g := range groups {
		if _, err := q.ExecContext(ctx, `INSERT OR IGNORE INTO memberships (group_id, user_id) VALUES (?, ?)`, g, userID); err != nil {
			return err
		}
	}
	return markManaged(ctx, q, changed)
}

type passwordChange struct {
	set       bool
	plain     *string
	unix, smb string
}

// passwordFor works out the password fields of a payload.
func passwordFor(p *account.UserPayload) (passwordChange, error) {
	var pc passwordChange
	switch {
	case p.RandomPassword.V:
		s := RandomString(20)
		pc = passwordChange{set: true, plain: &s}
	case p.Password.Set && !p.Password.Null && p.Password.V != "":
		s := p.Password.V
		pc = passwordChange{set: true, plain: &s}
	case p.Password.Set:
		pc = passwordChange{set: true}
	case p.Create:
		pc = passwordChange{set: true}
	}
	if !pc.set {
		return pc, nil
	}
	if pc.plain == nil {
		pc.unix, pc.smb = "*", "*"
		return pc, nil
	}
	h, err := unixHash(*pc.plain)
	if err != nil {
		return pc, err
	}
	pc.unix, pc.smb = h, ntHash(*pc.plain)
	return pc, nil
}

func nullStr(f account.Field[string]) any {
	if f.Null || f.V == "" {
		return nil
	}
	return f.V
}

func (e *Engine) userCreate(ctx context.Context, args []json.RawMessage) (any, error) {
	raw := arg(args, 0)
	if err := objectArg(raw, "user_create", "UserCreate"); err != nil {
		return nil, err
	}
	p, errs := modelOf(ctx).DecodeUserCreate(raw)
	if len(errs) > 0 {
		return nil, errs
	}
	return e.write(ctx, func(t *txn, now time.Time) (any, error) {
		bv := e.newBoxView(ctx, t, now)
		errs := account.CheckUser(p, nil, bv)
		if p.UID.Set && !p.UID.Null {
			if _, ok := bv.UserByUID(p.UID.V); !ok {
				errs = bv.foreignIDErrors(errs, "user_create", true, p.UID.V)
			}
		}
		if bv.err != nil {
			return nil, bv.err
		}
		if len(errs) > 0 {
			return nil, errs
		}
		uid := p.UID.V
		if !p.UID.Set || p.UID.Null {
			var err error
			if uid, err = e.nextID(ctx, t, "uid", true, now); err != nil {
				return nil, err
			}
		}
		groupID := p.Group.V
		if p.GroupCreate.V {
			g, err := getGroupRow(ctx, t, "name = ?", p.Username.V)
			if err != nil {
				return nil, err
			}
			if g != nil {
				groupID = g.ID
			} else {
				gid, err := e.nextID(ctx, t, "gid", true, now)
				if err != nil {
					return nil, err
				}
				res, err := t.ExecContext(ctx, `INSERT INTO groups (gid, name, builtin, smb) VALUES (?, ?, 0, 0)`, gid, p.Username.V)
				if err != nil {
					return nil, err
				}
				groupID, _ = res.LastInsertId()
			}
		}
		// Stored normalised (no ".", "..", "//" or trailing "/"): the box
		// and the "homedir already used" rule compare it as it is.
		home := account.NormalizeHome(p.Home.V)
		if home == "" {
			home = account.DefaultHome
		}
		if p.HomeCreate.V && home != account.DefaultHome {
			home = path.Join(home, p.Username.V)
		}
		shell := p.Shell.V
		if shell == "" {
			shell = account.DefaultShell
		}
		homeMode := p.HomeMode.V
		if homeMode == "" {
			homeMode = "700"
		}
		pc, err := passwordFor(p)
		if err != nil {
			return nil, err
		}
		var lastChange any
		if pc.plain != nil {
			lastChange = now.UnixMilli()
		}
		var sshpub any
		if p.SSHPubKey.Set && !p.SSHPubKey.Null && p.SSHPubKey.V != "" {
			sshpub = p.SSHPubKey.V
		}
		id, err := insertUser(ctx, t, newUser{
			uid: uid, username: p.Username.V, unixhash: pc.unix, smbhash: pc.smb, home: home, shell: shell,
			fullName: p.FullName.V, smb: p.SMB.V, usernsIdmap: p.UsernsIdmap.V, groupID: groupID,
			passwordDisabled: p.PasswordDisabled.V, sshPasswordEnabled: p.SSHPasswordEnabled.V, sshpubkey: sshpub,
			locked: p.Locked.V, sudo: p.SudoCommands.V, sudoNopasswd: p.SudoCommandsNopasswd.V, email: nullStr(p.Email),
			lastPasswordChange: lastChange, homeMode: homeMode,
		})
		if err != nil {
			return nil, err
		}
		groups := slices.Clone(p.Groups.V)
		if p.SMB.V {
			bu, err := builtinGroupID(ctx, t, "builtin_users")
			if err != nil {
				return nil, err
			}
			if bu != 0 && !slices.Contains(groups, bu) {
				groups = append(groups, bu)
			}
		}
		if groups, err = webshareGroups(ctx, t, p.Username.V, p.Webshare.V, groups); err != nil {
			return nil, err
		}
		if err := setAuxGroups(ctx, t, id, groups); err != nil {
			return nil, err
		}
		if err := releaseID(ctx, t, "uid", uid); err != nil {
			return nil, err
		}
		ue, _, err := loadUser(ctx, t, id, now)
		if err != nil {
			return nil, err
		}
		return account.UserCreateResult{UserEntry: *ue, Password: pc.plain}, nil
	})
}

// newUser is the row of a user being created (not built-in).
type newUser struct {
	uid                                  int64
	username, unixhash, smbhash, home    string
	shell, fullName, homeMode            string
	smb, passwordDisabled                bool
	sshPasswordEnabled, locked           bool
	usernsIdmap                          any
	groupID                              int64
	sshpubkey, email, lastPasswordChange any // nil for NULL
	sudo, sudoNopasswd                   []string
}

// insertUser adds u to the users table and returns its id. The home is
// managed unless it is the default "no home".
func insertUser(ctx context.Context, t *txn, u newUser) (int64, error) {
	res, err := t.ExecContext(ctx, `INSERT INTO users (uid, username, unixhash, smbhash, home, shell, full_name, builtin, smb,
		userns_idmap, group_id, password_disabled, ssh_password_enabled, sshpubkey, locked, sudo_commands, sudo_commands_nopasswd,
		email, last_password_change, home_mode, manage_home) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.uid, u.username, u.unixhash, u.smbhash, u.home, u.shell, u.fullName, u.smb, jsonAny(u.usernsIdmap), u.groupID,
		u.passwordDisabled, u.sshPasswordEnabled, u.sshpubkey, u.locked, jsonList(u.sudo), jsonList(u.sudoNopasswd),
		u.email, u.lastPasswordChange, u.homeMode, u.home != account.DefaultHome)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

func (e *Engine) userUpdate(ctx context.Context, args []json.RawMessage) (any, error) {
	id, raw, err := updateArgs(args, "user_update", "UserUpdate")
	if err != nil {
		return nil, err
	}
	p, errs := modelOf(ctx).DecodeUserUpdate(raw)
	if len(errs) > 0 {
		return nil, errs
	}
	return e.write(ctx, func(t *txn, now time.Time) (any, error) {
		old, row, err := loadUser(ctx, t, id, now)
		if err != nil {
			return nil, err
		}
		if old == nil {
			return nil, account.NotFound("User", id)
		}
		bv := e.newBoxView(ctx, t, now)
		errs := account.CheckUser(p, old, bv)
		if bv.err != nil {
			return nil, bv.err
		}
		if len(errs) > 0 {
			return nil, errs
		}
		sets := []string{}
		vals := []any{}
		set := func(col string, v any) {
			sets = append(sets, col+" = ?")
			vals = append(vals, v)
		}
		username := row.Username
		if p.Username.Set && !p.Username.Null {
			username = p.Username.V
			set("username", username)
		}
		if p.FullName.Set {
			set("full_name", p.FullName.V)
		}
		if p.Email.Set {
			set("email", nullStr(p.Email))
		}
		if p.Group.Set && !p.Group.Null {
			set("group_id", p.Group.V)
		}
		home := row.Home
		if p.Home.Set && !p.Home.Null {
			home = account.NormalizeHome(p.Home.V)
		}
		if p.HomeCreate.V && home != account.DefaultHome && path.Base(home) != username {
			home = path.Join(home, username)
		}
		if home != row.Home {
			set("home", home)
			set("manage_home", home != account.DefaultHome)
		}
		if p.HomeMode.Set && !p.HomeMode.Null {
			set("home_mode", p.HomeMode.V)
		}
		if p.Shell.Set && !p.Shell.Null {
			set("shell", p.Shell.V)
		}
		pc, err := passwordFor(p)
		if err != nil {
			return nil, err
		}
		if pc.set {
			set("unixhash", pc.unix)
			set("smbhash", pc.smb)
			if pc.plain != nil {
				set("last_password_change", now.UnixMilli())
			}
		}
		if p.PasswordDisabled.Set {
			set("password_disabled", p.PasswordDisabled.V)
		}
		if p.SSHPasswordEnabled.Set {
			set("ssh_password_enabled", p.SSHPasswordEnabled.V)
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
		if p.SudoCommands.Set {
			set("sudo_commands", jsonList(p.SudoCommands.V))
		}
		if p.SudoCommandsNopasswd.Set {
			set("sudo_commands_nopasswd", jsonList(p.SudoCommandsNopasswd.V))
		}
		if p.UsernsIdmap.Set {
			set("userns_idmap", jsonAny(p.UsernsIdmap.V))
		}
		if len(sets) > 0 {
			q := "UPDATE users SET "
			for i, s := range sets {
				if i > 0 {
					q += ", "
				}
				q += s
			}
			vals = append(vals, id)
			if _, err := t.ExecContext(ctx, q+" WHERE id = ?", vals...); err != nil {
				return nil, err
			}
		}
		groups, groupsSet := p.Groups.V, p.Groups.Set
		if modelOf(ctx).Webshare {
			// handle_webshare on the merged record: the sent value or
			// the stored one, over the sent or stored groups.
			webshare := old.Webshare != nil && *old.Webshare
			if p.Webshare.Set {
				webshare = p.Webshare.V
			}
			if !groupsSet {
				groups = old.Groups
			}
			ng, err := webshareGroups(ctx, t, username, webshare, groups)
			if err != nil {
				return nil, err
			}
			if groupsSet || !slices.Equal(ng, old.Groups) {
				groups, groupsSet = ng, true
			}
		}
		if groupsSet {
			if err := setAuxGroups(ctx, t, id, groups); err != nil {
				return nil, err
			}
		}
		ue, _, err := loadUser(ctx, t, id, now)
		if err != nil {
			return nil, err
		}
		return account.UserCreateResult{UserEntry: *ue, Password: pc.plain}, nil
	})
}

func (e *Engine) userDelete(ctx context.Context, args []json.RawMessage) (any, error) {
	id, err := intArg(arg(args, 0), "id")
	if err != nil {
		return nil, err
	}
	opts, err := optionsArg(arg(args, 1), "options", "UserDeleteOptions", map[string]bool{"delete_group": true})
	if err != nil {
		return nil, err
	}
	return e.write(ctx, func(t *txn, now time.Time) (any, error) {
		u, err := getUserRow(ctx, t, "id = ?", id)
		if err != nil {
			return nil, err
		}
		if u == nil {
			return nil, account.NotFound("User", id)
		}
		// plugins/account.py, TS-25.10.6, lines 1046-1051.
		if who, ok := callerOf(ctx); ok && who.username != "" && who.username == u.Username {
			return nil, account.NewCallError(account.EINVAL, "Cannot delete the currently active user")
		}
		bv := e.newBoxView(ctx, t, now)
		ue, err := bv.l.userEntry(u, now)
		if err != nil {
			return nil, err
		}
		if ce := account.CheckUserDelete(ue, bv); ce != nil {
			return nil, ce
		}
		if bv.err != nil {
			return nil, bv.err
		}
		if err := deleteUserRows(ctx, t, u, opts["delete_group"]); err != nil {
			return nil, err
		}
		return id, nil
	})
}

// deleteUserRows removes user u from the store (its memberships, its row)
// and, with deleteGroup, its primary group when it is not built-in and no
// other user has it, as both releases' user.delete do.
func deleteUserRows(ctx context.Context, t *txn, u *userRow, deleteGroup bool) error {
	id := u.ID
	aux, err := newLoader(ctx, t).ids(`SELECT group_id FROM memberships WHERE user_id = ?`, id)
	if err != nil {
		return err
	}
	if _, err := t.ExecContext(ctx, `DELETE FROM memberships WHERE user_id = ?`, id); err != nil {
		return err
	}
	if err := markManaged(ctx, t, aux); err != nil {
		return err
	}
	if _, err := t.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id); err != nil {
		return err
	}
	if err := lowerFloor(ctx, t, "uid", u.UID); err != nil {
		return err
	}
	if deleteGroup {
		g, err := getGroupRow(ctx, t, "id = ?", u.GroupID)
		if err != nil {
			return err
		}
		if g != nil && !g.Builtin {
			var others, members int
			if err := t.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE group_id = ?`, g.ID).Scan(&others); err != nil {
				return err
			}
			if err := t.QueryRowContext(ctx, `SELECT COUNT(*) FROM memberships WHERE group_id = ?`, g.ID).Scan(&members); err != nil {
				return err
			}
			if others == 0 && members == 0 {
				if _, err := t.ExecContext(ctx, `DELETE FROM groups WHERE id = ?`, g.ID); err != nil {
					return err
				}
				if err := lowerFloor(ctx, t, "gid", g.GID); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// sortedIDs sorts and de-duplicates.
func sortedIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return slices.Compact(out)
}
