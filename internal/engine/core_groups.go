package engine

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// CORE 13.3's group.* methods (plugins/account.py at TN-13.3-U1.2).

func (e *Engine) coreGroupQuery(ctx context.Context, args []json.RawMessage) (any, error) {
	filters, options, err := coreQueryArgs(args)
	if err != nil {
		return nil, err
	}
	v, err := e.read(ctx, func(t *txn, _ time.Time) (any, error) {
		l := newLoader(ctx, t)
		gs, err := selectRows(ctx, t, l, filters, groupPush, `SELECT `+groupCols+` FROM groups`, scanGroup)
		if err != nil {
			return nil, err
		}
		return marshalEntries(gs, 0, l.coreGroupEntry)
	})
	if err != nil {
		return nil, err
	}
	return runQuery(v.([]json.RawMessage), filters, options)
}

func (e *Engine) coreGroupGetInstance(ctx context.Context, args []json.RawMessage) (any, error) {
	return instanceOf(e, ctx, args, "Group", func(t *txn, id int64, _ time.Time) (*account.CoreGroupEntry, error) {
		ce, _, err := coreLoadGroup(ctx, t, id)
		return ce, err
	})
}

func (e *Engine) coreGroupCreate(ctx context.Context, args []json.RawMessage) (any, error) {
	api := modelOf(ctx).Core
	p, err := api.DecodeGroupCreate(arg(args, 0))
	if err != nil {
		return nil, err
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
		return nil, err
	}
	p, err := api.DecodeGroupUpdate(arg(args, 1))
	if err != nil {
		return nil, err
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
		return nil, err
	}
	deleteUsers, err := account.DecodeCoreGroupDeleteOptions(arg(args, 1))
	if err != nil {
		return nil, err
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
