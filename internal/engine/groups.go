package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

func (e *Engine) groupQuery(ctx context.Context, args []json.RawMessage) (any, error) {
	filters, options, err := queryArgs(args)
	if err != nil {
		return nil, err
	}
	v, err := e.read(ctx, func(t *txn, now time.Time) (any, error) {
		l := newLoader(ctx, t)
		var groups []*groupRow
		if where, wargs := pushdown(filters, groupPush); where != "" {
			rows, err := t.QueryContext(ctx, `SELECT `+groupCols+` FROM groups WHERE `+where+` ORDER BY id`, wargs...)
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				g, err := scanGroup(rows)
				if err != nil {
					rows.Close()
					return nil, err
				}
				groups = append(groups, g)
			}
			rows.Close()
		} else {
			if err := l.preload(); err != nil {
				return nil, err
			}
			for _, g := range l.groups {
				groups = append(groups, g)
			}
			slices.SortFunc(groups, func(a, b *groupRow) int { return int(a.ID - b.ID) })
		}
		return marshalEntries(groups, 0, l.groupEntry)
	})
	if err != nil {
		return nil, err
	}
	return runQuery(v.([]json.RawMessage), filters, options)
}

func loadGroup(ctx context.Context, q querier, id int64) (*account.GroupEntry, *groupRow, error) {
	g, err := getGroupRow(ctx, q, "id = ?", id)
	if err != nil || g == nil {
		return nil, nil, err
	}
	ge, err := newLoader(ctx, q).groupEntry(g)
	return ge, g, err
}

func (e *Engine) groupGetInstance(ctx context.Context, args []json.RawMessage) (any, error) {
	return instanceOf(e, ctx, args, "Group", func(t *txn, id int64, _ time.Time) (*account.GroupEntry, error) {
		ge, _, err := loadGroup(ctx, t, id)
		return ge, err
	})
}

// setGroupMembers replaces a group's auxiliary members (primary users are
// filtered out, as TrueNAS does).
func setGroupMembers(ctx context.Context, q querier, groupID int64, users []int64) error {
	prim, err := newLoader(ctx, q).ids(`SELECT id FROM users WHERE group_id = ?`, groupID)
	if err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM memberships WHERE group_id = ?`, groupID); err != nil {
		return err
	}
	for _, u := range sortedIDs(users) {
		if slices.Contains(prim, u) {
			continue
		}
		if _, err := q.ExecContext(ctx, `INSERT OR IGNORE INTO memberships (group_id, user_id) VALUES (?, ?)`, groupID, u); err != nil {
			return err
		}
	}
	return markManaged(ctx, q, []int64{groupID})
}

func (e *Engine) groupCreate(ctx context.Context, args []json.RawMessage) (any, error) {
	raw := arg(args, 0)
	if err := objectArg(raw, "group_create", "GroupCreate"); err != nil {
		return nil, err
	}
	p, errs := account.DecodeGroupCreate(raw)
	if len(errs) > 0 {
		return nil, errs
	}
	return e.write(ctx, func(t *txn, now time.Time) (any, error) {
		bv := e.newBoxView(ctx, t, now)
		errs := account.CheckGroup(p, nil, bv)
		if p.GID.Set && !p.GID.Null {
			if _, ok := bv.GroupByGID(p.GID.V); !ok {
				errs = bv.foreignIDErrors(errs, "group_create", false, p.GID.V)
			}
		}
		if bv.err != nil {
			return nil, bv.err
		}
		if len(errs) > 0 {
			return nil, errs
		}
		gid := p.GID.V
		if !p.GID.Set || p.GID.Null {
			var err error
			if gid, err = e.nextID(ctx, t, "gid", true, now); err != nil {
				return nil, err
			}
		}
		res, err := t.ExecContext(ctx, `INSERT INTO groups (gid, name, builtin, smb, sudo_commands, sudo_commands_nopasswd, userns_idmap)
			VALUES (?, ?, 0, ?, ?, ?, ?)`, gid, p.Name.V, p.SMB.V, jsonList(p.SudoCommands.V), jsonList(p.SudoCommandsNopasswd.V),
			jsonAny(p.UsernsIdmap.V))
		if err != nil {
			return nil, err
		}
		id, _ := res.LastInsertId()
		if len(p.Users.V) > 0 {
			if err := setGroupMembers(ctx, t, id, p.Users.V); err != nil {
				return nil, err
			}
		}
		if err := releaseID(ctx, t, "gid", gid); err != nil {
			return nil, err
		}
		return id, nil
	})
}

func (e *Engine) groupUpdate(ctx context.Context, args []json.RawMessage) (any, error) {
	id, raw, err := updateArgs(args, "group_update", "GroupUpdate")
	if err != nil {
		return nil, err
	}
	p, errs := account.DecodeGroupUpdate(raw)
	if len(errs) > 0 {
		return nil, errs
	}
	return e.write(ctx, func(t *txn, now time.Time) (any, error) {
		old, _, err := loadGroup(ctx, t, id)
		if err != nil {
			return nil, err
		}
		if old == nil {
			return nil, account.NotFound("Group", id)
		}
		bv := e.newBoxView(ctx, t, now)
		errs := account.CheckGroup(p, old, bv)
		if bv.err != nil {
			return nil, bv.err
		}
		if len(errs) > 0 {
			return nil, errs
		}
		var sets []string
		var vals []any
		set := func(col string, v any) { sets = append(sets, col+" = ?"); vals = append(vals, v) }
		if p.Name.Set && !p.Name.Null {
			set("name", p.Name.V)
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
			vals = append(vals, id)
			if _, err := t.ExecContext(ctx, "UPDATE groups SET "+strings.Join(sets, ", ")+" WHERE id = ?", vals...); err != nil {
				return nil, err
			}
		}
		if p.Users.Set {
			if err := setGroupMembers(ctx, t, id, p.Users.V); err != nil {
				return nil, err
			}
		}
		return id, nil
	})
}

func (e *Engine) groupDelete(ctx context.Context, args []json.RawMessage) (any, error) {
	id, err := intArg(arg(args, 0), "id")
	if err != nil {
		return nil, err
	}
	opts, err := optionsArg(arg(args, 1), "options", "GroupDeleteOptions", map[string]bool{"delete_users": false})
	if err != nil {
		return nil, err
	}
	return e.write(ctx, func(t *txn, now time.Time) (any, error) {
		g, err := getGroupRow(ctx, t, "id = ?", id)
		if err != nil {
			return nil, err
		}
		if g == nil {
			return nil, account.NotFound("Group", id)
		}
		bv := e.newBoxView(ctx, t, now)
		ge, err := bv.l.groupEntry(g)
		if err != nil {
			return nil, err
		}
		if ce := account.CheckGroupDelete(ge, bv); ce != nil {
			return nil, ce
		}
		if bv.err != nil {
			return nil, bv.err
		}
		if err := deleteGroupRows(ctx, t, g, opts["delete_users"]); err != nil {
			return nil, err
		}
		return id, nil
	})
}

// deleteGroupRows removes group g from the store; the users whose primary
// group it is are deleted with deleteUsers, else moved to nogroup, as both
// releases' group.delete do.
func deleteGroupRows(ctx context.Context, t *txn, g *groupRow, deleteUsers bool) error {
	id := g.ID
	prim, err := newLoader(ctx, t).ids(`SELECT id FROM users WHERE group_id = ?`, id)
	if err != nil {
		return err
	}
	if len(prim) > 0 {
		if deleteUsers {
			for _, u := range prim {
				aux, err := newLoader(ctx, t).ids(`SELECT group_id FROM memberships WHERE user_id = ?`, u)
				if err != nil {
					return err
				}
				if err := markManaged(ctx, t, aux); err != nil {
					return err
				}
				if _, err := t.ExecContext(ctx, `DELETE FROM memberships WHERE user_id = ?`, u); err != nil {
					return err
				}
			}
			for _, u := range prim {
				var uid int64
				if err := t.QueryRowContext(ctx, `SELECT uid FROM users WHERE id = ?`, u).Scan(&uid); err != nil {
					return err
				}
				if err := lowerFloor(ctx, t, "uid", uid); err != nil {
					return err
				}
			}
			if _, err := t.ExecContext(ctx, `DELETE FROM users WHERE group_id = ?`, id); err != nil {
				return err
			}
		} else {
			ng, err := getGroupRow(ctx, t, "name = 'nogroup'")
			if err != nil {
				return err
			}
			if ng == nil {
				ng, err = getGroupRow(ctx, t, "gid = ? ORDER BY id", account.GIDNogroup)
				if err != nil {
					return err
				}
			}
			if ng == nil {
				return account.NewCallError(account.ENOENT, "group nogroup (gid %d) does not exist", account.GIDNogroup)
			}
			if _, err := t.ExecContext(ctx, `UPDATE users SET group_id = ? WHERE group_id = ?`, ng.ID, id); err != nil {
				return err
			}
		}
	}
	if _, err := t.ExecContext(ctx, `DELETE FROM memberships WHERE group_id = ?`, id); err != nil {
		return err
	}
	if _, err := t.ExecContext(ctx, `DELETE FROM groups WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete group: %w", err)
	}
	if err := lowerFloor(ctx, t, "gid", g.GID); err != nil {
		return err
	}
	return nil
}
