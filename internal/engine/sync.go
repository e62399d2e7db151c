package engine

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/nasops/terraform-provider-truenas/internal/box"
)

// boxGenFile records the store generation the box files were last brought
// in line with (relative to root).
const boxGenFile = "var/db/truenas-engine/box.generation"

func (e *Engine) storeGeneration(ctx context.Context, q querier) (string, error) {
	var gen string
	err := q.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'generation'`).Scan(&gen)
	if err == sql.ErrNoRows {
		return "0", nil
	}
	return gen, err
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
	data, err := os.ReadFile(filepath.Join(e.root, boxGenFile))
	return err != nil || strings.TrimSpace(string(data)) != gen
}

// syncBox brings the box's account files in line with the store: it takes
// the box lock, reads the latest committed state and hands it to
// box.Apply. Holding the lock while reading makes concurrent engines apply
// states in commit order.
func (e *Engine) syncBox(ctx context.Context) error {
	if !e.boxSync {
		return nil
	}
	unlock, err := box.Lock(e.root)
	if err != nil {
		return err
	}
	defer unlock()
	t, err := e.begin(ctx, false)
	if err != nil {
		return err
	}
	st, err := e.boxState(ctx, t)
	var gen string
	if err == nil {
		gen, err = e.storeGeneration(ctx, t)
	}
	t.rollback()
	if err != nil {
		return err
	}
	res, err := box.ApplyResult(e.root, st)
	if err != nil {
		return err
	}
	if res.SSHDChanged {
		e.reloadSSHD(ctx)
	}
	p := filepath.Join(e.root, boxGenFile)
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, []byte(gen+"\n"), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// boxState is what the engine owns: every non-builtin user and group, and
// the builtin groups whose member lists the engine changed.
func (e *Engine) boxState(ctx context.Context, q querier) (box.State, error) {
	var st box.State
	gidOf := map[int64]int64{}
	rows, err := q.QueryContext(ctx, `SELECT id, gid FROM groups`)
	if err != nil {
		return st, err
	}
	for rows.Next() {
		var id, gid int64
		if err := rows.Scan(&id, &gid); err != nil {
			rows.Close()
			return st, err
		}
		gidOf[id] = gid
	}
	rows.Close()

	rows, err = q.QueryContext(ctx, `SELECT username, uid, group_id, full_name, home, shell, unixhash, locked, manage_home,
		sudo_commands, sudo_commands_nopasswd, ssh_password_enabled, password_disabled, last_password_change, home_mode, sshpubkey
		FROM users WHERE builtin = 0 ORDER BY id`)
	if err != nil {
		return st, err
	}
	for rows.Next() {
		var u userRow
		if err := rows.Scan(&u.Username, &u.UID, &u.GroupID, &u.FullName, &u.Home, &u.Shell, &u.Unixhash, &u.Locked, &u.ManageHome,
			&u.Sudo, &u.SudoNopasswd, &u.SSHPasswordEnabled, &u.PasswordDisabled, &u.LastPasswordChange, &u.HomeMode, &u.SSHPubKey); err != nil {
			rows.Close()
			return st, err
		}
		bu := box.User{
			Name: u.Username, UID: u.UID, GID: gidOf[u.GroupID], Gecos: u.FullName, Home: u.Home, Shell: u.Shell,
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
		if m, err := strconv.ParseUint(u.HomeMode, 8, 32); err == nil {
			bu.HomeMode = uint32(m)
		} else {
			bu.HomeMode = 0o700
		}
		if u.SSHPubKey.Valid {
			bu.SSHPubKey = ptr(u.SSHPubKey.String)
		}
		st.Users = append(st.Users, bu)
	}
	rows.Close()

	members := map[int64][]string{}
	rows, err = q.QueryContext(ctx, `SELECT m.group_id, u.username FROM memberships m JOIN users u ON u.id = m.user_id
		ORDER BY m.group_id, m.user_id`)
	if err != nil {
		return st, err
	}
	for rows.Next() {
		var g int64
		var n string
		if err := rows.Scan(&g, &n); err != nil {
			rows.Close()
			return st, err
		}
		members[g] = append(members[g], n)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT `+groupCols+` FROM groups WHERE builtin = 0 OR members_managed = 1 ORDER BY id`)
	if err != nil {
		return st, err
	}
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			rows.Close()
			return st, err
		}
		bg := box.Group{Name: g.Name, GID: g.GID, Members: members[g.ID]}
		if bg.Members == nil {
			bg.Members = []string{}
		}
		if !g.Builtin {
			bg.SudoCommands, bg.SudoCommandsNopasswd = strList(g.Sudo), strList(g.SudoNopasswd)
		}
		st.Groups = append(st.Groups, bg)
	}
	rows.Close()
	return st, nil
}
