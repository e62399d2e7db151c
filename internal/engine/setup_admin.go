package engine

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// The first-boot methods: TrueNAS's installer (or its first web UI visit)
// gives a box its local administrator with user.setup_local_administrator,
// and user.has_local_administrator_set_up says whether one exists. On a
// plain box they are how the engine gets the administrator that TrueNAS's
// last-administrator rules expect.

const (
	truenasAdminName     = account.TruenasAdminName
	truenasAdminHome     = "/home/truenas_admin"
	truenasAdminFullName = "Local Administrator"
)

// hasLocalAdministrator says whether a local user with a usable password
// is in a group of the built-in Local Administrator privilege
// (account.IsLocalAdministrator; privilege.py local_administrators).
func (e *Engine) hasLocalAdministrator(ctx context.Context, t *txn, now time.Time) (bool, error) {
	// One loader for every user (what user.query does): anyone may call
	// user.has_local_administrator_set_up, so it must not cost a read per
	// user and per relation.
	l := newLoader(ctx, t)
	if err := l.preload(); err != nil {
		return false, err
	}
	rows, err := t.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY id`)
	if err != nil {
		return false, err
	}
	var us []*userRow
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			rows.Close()
			return false, err
		}
		us = append(us, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, err
	}
	bv := e.newBoxView(ctx, t, now)
	for _, ur := range us {
		u, err := l.userEntry(ur, now)
		if err != nil {
			return false, err
		}
		if u != nil && account.IsLocalAdministrator(u, bv) {
			return true, bv.err
		}
	}
	return false, bv.err
}

func (e *Engine) userHasLocalAdministratorSetUp(ctx context.Context, _ []json.RawMessage) (any, error) {
	return e.read(ctx, func(t *txn, now time.Time) (any, error) {
		return e.hasLocalAdministrator(ctx, t, now)
	})
}

// userSetupLocalAdministrator is "user.setup_local_administrator USERNAME
// PASSWORD [OPTIONS]": for root it sets root's password; for truenas_admin
// it creates the account the TrueNAS installer makes (uid and gid 950, home
// /home/truenas_admin, sudo ALL, a member of builtin_administrators). It
// refuses when a local administrator exists already.
func (e *Engine) userSetupLocalAdministrator(ctx context.Context, args []json.RawMessage) (any, error) {
	var username, password string
	if err := json.Unmarshal(arg(args, 0), &username); err != nil || (username != "root" && username != truenasAdminName) {
		return nil, invalid("username", "Input should be 'root' or 'truenas_admin'")
	}
	if err := json.Unmarshal(arg(args, 1), &password); err != nil {
		return nil, invalid("password", "Input should be a valid string")
	}
	if password == "" {
		return nil, invalid("password", "String should have at least 1 character")
	}
	if raw := arg(args, 2); !isNull(raw) {
		if err := objectArg(raw, "options", "UserSetupLocalAdministratorOptions"); err != nil {
			return nil, err
		}
	}
	return e.write(ctx, func(t *txn, now time.Time) (any, error) {
		set, err := e.hasLocalAdministrator(ctx, t, now)
		if err != nil {
			return nil, err
		}
		if set {
			return nil, account.NewCallError(account.EEXIST, "Local administrator is already set up")
		}
		unix, err := unixHash(password)
		if err != nil {
			return nil, err
		}
		if username == "root" {
			_, err := t.ExecContext(ctx, `UPDATE users SET unixhash = ?, smbhash = ?, password_disabled = 0, locked = 0,
				last_password_change = ? WHERE username = 'root' AND builtin = 1`, unix, ntHash(password), now.UnixMilli())
			return nil, err
		}

		// truenas_admin: its name and ids must be free, in the store and on
		// the box (an account the box had before the engine counts, as
		// TrueNAS's NSS checks find one: plugins/account.py, TS-25.10.6,
		// lines 1305-1365, in that order and with those messages).
		if err := e.adminIDsFree(ctx, t, now); err != nil {
			return nil, err
		}
		admins, err := builtinGroupID(ctx, t, "builtin_administrators")
		if err != nil {
			return nil, err
		}
		// TrueNAS's zsh where the box has it, else bash, else no login shell.
		shell, shells := account.NologinShell, readShells(e.root)
		for _, sh := range []string{"/usr/bin/bash", account.DefaultShell} {
			if slices.Contains(shells, sh) {
				shell = sh
			}
		}
		res, err := t.ExecContext(ctx, `INSERT INTO groups (gid, name, builtin, smb) VALUES (?, ?, 0, 0)`, account.UIDTruenasAdmin, truenasAdminName)
		if err != nil {
			return nil, err
		}
		groupID, _ := res.LastInsertId()
		userID, err := insertUser(ctx, t, newUser{
			uid: account.UIDTruenasAdmin, username: truenasAdminName, unixhash: unix, smbhash: ntHash(password),
			home: truenasAdminHome, shell: shell, fullName: truenasAdminFullName, groupID: groupID,
			sudo: []string{"ALL"}, lastPasswordChange: now.UnixMilli(), homeMode: "700",
		})
		if err != nil {
			return nil, err
		}
		var aux []int64
		if admins != 0 {
			aux = append(aux, admins)
		}
		return nil, setAuxGroups(ctx, t, userID, aux)
	})
}

// adminIDsFree refuses, with TrueNAS's EEXIST messages, when a user has uid
// 950 or the name truenas_admin, or a group has gid 950 or that name, in
// the store or as a foreign line of the box's etc/passwd or etc/group.
func (e *Engine) adminIDsFree(ctx context.Context, t *txn, now time.Time) error {
	bv := e.newBoxView(ctx, t, now)
	id := strconv.FormatInt(account.UIDTruenasAdmin, 10)
	const tail = ", setting up local administrator is not possible"
	_, storeUID := bv.user("uid = ?", account.UIDTruenasAdmin)
	_, foreignUID := bv.uidHolder(account.UIDTruenasAdmin)
	_, name := bv.UserByName(truenasAdminName)
	_, storeGID := bv.group("gid = ?", account.UIDTruenasAdmin)
	_, foreignGID := bv.gidHolder(account.UIDTruenasAdmin)
	_, group := bv.GroupByName(truenasAdminName)
	if bv.err != nil {
		return bv.err
	}
	var msg string
	switch {
	case storeUID || foreignUID:
		msg = "A local user with uid=" + id + " already exists" + tail
	case name:
		msg = "'" + truenasAdminName + "' local user already exists" + tail
	case storeGID || foreignGID:
		msg = "A local group with gid=" + id + " already exists" + tail
	case group:
		msg = "'" + truenasAdminName + "' local group already exists" + tail
	default:
		return nil
	}
	return account.NewCallError(account.EEXIST, "%s", msg)
}
