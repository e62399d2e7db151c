package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// CORE 13.3's user.* methods (plugins/account.py at TN-13.3-U1.2); core.go
// has what they share with group.* and api_key.*.

func (e *Engine) coreUserQuery(ctx context.Context, args []json.RawMessage) (any, error) {
	filters, options, err := coreQueryArgs(args)
	if err != nil {
		return nil, err
	}
	v, err := e.read(ctx, func(t *txn, now time.Time) (any, error) {
		l := newLoader(ctx, t)
		us, err := selectRows(ctx, t, l, filters, userPush, `SELECT `+userCols+` FROM users`, scanUser)
		if err != nil {
			return nil, err
		}
		return marshalEntries(us, 0, func(u *userRow) (*account.CoreUserEntry, error) { return l.coreUserEntry(u, now) })
	})
	if err != nil {
		return nil, err
	}
	return runQuery(v.([]json.RawMessage), filters, options)
}

func (e *Engine) coreUserGetInstance(ctx context.Context, args []json.RawMessage) (any, error) {
	return instanceOf(e, ctx, args, "User", func(t *txn, id int64, now time.Time) (*account.CoreUserEntry, error) {
		ce, _, err := coreLoadUser(ctx, t, id, now)
		return ce, err
	})
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
		return nil, err
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
		return nil, err
	}
	p, err := api.DecodeUserUpdate(arg(args, 1))
	if err != nil {
		return nil, err
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
		return nil, err
	}
	deleteGroup, err := account.DecodeCoreUserDeleteOptions(arg(args, 1))
	if err != nil {
		return nil, err
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

// coreUserShellChoices is CORE's user.shell_choices(user_id=None)
// (account.py:645 at TN-13.3-U1.2): an ordered object shell -> its base
// name; a user_id that is not a user fails as get_instance does.
func (e *Engine) coreUserShellChoices(ctx context.Context, args []json.RawMessage) (any, error) {
	api := modelOf(ctx).Core
	raw := arg(args, 0)
	var id int64
	if !isNull(raw) {
		var err error
		if id, err = account.DecodeCoreID("user_id", raw); err != nil {
			return nil, err
		}
	}
	return e.read(ctx, func(t *txn, now time.Time) (any, error) {
		root := false
		if id != 0 {
			u, err := getUserRow(ctx, t, "id = ?", id)
			if err != nil {
				return nil, err
			}
			if u == nil {
				return nil, account.NotFound("User", id)
			}
			root = u.Username == "root"
		}
		bv := e.newBoxView(ctx, t, now)
		var out []byte
		seen := map[string]bool{}
		out = append(out, '{')
		for _, sh := range api.ShellChoices(bv, root) {
			if seen[sh] {
				continue
			}
			seen[sh] = true
			if len(out) > 1 {
				out = append(out, ',')
			}
			k, _ := json.Marshal(sh)
			v, _ := json.Marshal(path.Base(sh))
			out = append(append(append(out, k...), ':'), v...)
		}
		return json.RawMessage(append(out, '}')), bv.err
	})
}
