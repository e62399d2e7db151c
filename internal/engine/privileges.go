package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// Privileges (plugins/account_/privilege.py, privilege_roles.py at
// TS-25.10.6). The privileges table holds the datastore rows: local_groups
// as gids, ds_groups as gids or SIDs. privilege.query expands the groups.
// A privilege touches no box file (it grants API roles only), so its writes
// are store-only.

const privilegeCols = `id, builtin_name, name, local_groups, ds_groups, roles, web_shell`

func scanPrivilege(sc interface{ Scan(...any) error }) (*account.Privilege, error) {
	var p account.Privilege
	var bn sql.NullString
	var lg, dg, roles string
	if err := sc.Scan(&p.ID, &bn, &p.Name, &lg, &dg, &roles, &p.WebShell); err != nil {
		return nil, err
	}
	if bn.Valid {
		p.BuiltinName = ptr(bn.String)
	}
	p.LocalGroups = []int64{}
	_ = json.Unmarshal([]byte(lg), &p.LocalGroups)
	p.DSGroups = []any{}
	dec := json.NewDecoder(strings.NewReader(dg))
	dec.UseNumber()
	var ds []any
	if dec.Decode(&ds) == nil {
		for _, x := range ds {
			if n, ok := x.(json.Number); ok {
				if i, err := n.Int64(); err == nil {
					p.DSGroups = append(p.DSGroups, i)
				}
				continue
			}
			p.DSGroups = append(p.DSGroups, x)
		}
	}
	p.Roles = strList(roles)
	return &p, nil
}

func getPrivilege(ctx context.Context, q querier, id int64) (*account.Privilege, error) {
	p, err := scanPrivilege(q.QueryRowContext(ctx, `SELECT `+privilegeCols+` FROM privileges WHERE id = ?`, id))
	if err == sql.ErrNoRows {
		return nil, nil
	}
	return p, err
}

func jsonValue(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "[]"
	}
	return string(b)
}

// privilegeEntries expands the privileges as privilege.query returns them.
func (e *Engine) privilegeEntries(ctx context.Context, q querier, now time.Time, privs []account.Privilege) ([]account.PrivilegeEntry, error) {
	bv := e.newBoxView(ctx, q, now)
	out := make([]account.PrivilegeEntry, 0, len(privs))
	for _, p := range privs {
		out = append(out, account.ExpandPrivilege(p, bv))
	}
	return out, bv.err
}

func (e *Engine) privilegeQuery(ctx context.Context, args []json.RawMessage) (any, error) {
	filters, options, err := queryArgs(args)
	if err != nil {
		return nil, err
	}
	v, err := e.read(ctx, func(t *txn, now time.Time) (any, error) {
		privs, err := newLoader(ctx, t).privileges()
		if err != nil {
			return nil, err
		}
		entries, err := e.privilegeEntries(ctx, t, now, privs)
		if err != nil {
			return nil, err
		}
		return marshalAll(entries)
	})
	if err != nil {
		return nil, err
	}
	return runQuery(v.([]json.RawMessage), filters, options)
}

// privilegeEntry loads and expands one privilege; nil when there is none.
func (e *Engine) privilegeEntry(ctx context.Context, q querier, now time.Time, id int64) (*account.PrivilegeEntry, error) {
	p, err := getPrivilege(ctx, q, id)
	if err != nil || p == nil {
		return nil, err
	}
	entries, err := e.privilegeEntries(ctx, q, now, []account.Privilege{*p})
	if err != nil {
		return nil, err
	}
	return &entries[0], nil
}

func (e *Engine) privilegeGetInstance(ctx context.Context, args []json.RawMessage) (any, error) {
	return instanceOf(e, ctx, args, "Privilege", func(t *txn, id int64, now time.Time) (*account.PrivilegeEntry, error) {
		return e.privilegeEntry(ctx, t, now, id)
	})
}

func (e *Engine) privilegeCreate(ctx context.Context, args []json.RawMessage) (any, error) {
	raw := arg(args, 0)
	if err := objectArg(raw, "privilege_create", "PrivilegeCreate"); err != nil {
		return nil, err
	}
	p, errs := account.DecodePrivilegeCreate(raw)
	if len(errs) > 0 {
		return nil, errs
	}
	return e.writeStoreOnly(ctx, func(t *txn, now time.Time) (any, error) {
		bv := e.newBoxView(ctx, t, now)
		errs := account.CheckPrivilege(p, nil, bv)
		if bv.err != nil {
			return nil, bv.err
		}
		if len(errs) > 0 {
			return nil, errs
		}
		n := account.MergePrivilege(p, nil)
		res, err := t.ExecContext(ctx, `INSERT INTO privileges (builtin_name, name, local_groups, ds_groups, roles, web_shell)
			VALUES (NULL, ?, ?, ?, ?, ?)`, n.Name, jsonValue(nonNil(n.LocalGroups)), jsonValue(nonNil(n.DSGroups)),
			jsonList(n.Roles), n.WebShell)
		if err != nil {
			return nil, err
		}
		id, _ := res.LastInsertId()
		return e.privilegeEntry(ctx, t, now, id)
	})
}

func (e *Engine) privilegeUpdate(ctx context.Context, args []json.RawMessage) (any, error) {
	// api/v25_10_5/privilege.py:60 PrivilegeUpdateArgs: the payload has no
	// default, so "privilege.update 5" is "privilege_update: Field required".
	id, raw, err := updateArgs(args, "privilege_update", "PrivilegeUpdate")
	if err != nil {
		return nil, err
	}
	p, errs := account.DecodePrivilegeUpdate(raw)
	if len(errs) > 0 {
		return nil, errs
	}
	return e.writeStoreOnly(ctx, func(t *txn, now time.Time) (any, error) {
		old, err := getPrivilege(ctx, t, id)
		if err != nil {
			return nil, err
		}
		if old == nil {
			return nil, account.NotFound("Privilege", id)
		}
		bv := e.newBoxView(ctx, t, now)
		errs := account.CheckPrivilege(p, old, bv)
		if bv.err != nil {
			return nil, bv.err
		}
		if len(errs) > 0 {
			return nil, errs
		}
		n := account.MergePrivilege(p, old)
		if _, err := t.ExecContext(ctx, `UPDATE privileges SET name = ?, local_groups = ?, ds_groups = ?, roles = ?, web_shell = ?
			WHERE id = ?`, n.Name, jsonValue(nonNil(n.LocalGroups)), jsonValue(nonNil(n.DSGroups)), jsonList(n.Roles), n.WebShell, id); err != nil {
			return nil, err
		}
		return e.privilegeEntry(ctx, t, now, id)
	})
}

func (e *Engine) privilegeDelete(ctx context.Context, args []json.RawMessage) (any, error) {
	id, err := intArg(arg(args, 0), "id")
	if err != nil {
		return nil, err
	}
	return e.writeStoreOnly(ctx, func(t *txn, now time.Time) (any, error) {
		old, err := getPrivilege(ctx, t, id)
		if err != nil {
			return nil, err
		}
		if old == nil {
			return nil, account.NotFound("Privilege", id)
		}
		if ce := account.CheckPrivilegeDelete(old); ce != nil {
			return nil, ce
		}
		if _, err := t.ExecContext(ctx, `DELETE FROM privileges WHERE id = ?`, id); err != nil {
			return nil, err
		}
		return true, nil
	})
}

// privilegeRoles is privilege.roles: every role of the role manager,
// through the query filters and options (privilege_roles.py).
func (e *Engine) privilegeRoles(ctx context.Context, args []json.RawMessage) (any, error) {
	filters, options, err := queryArgs(args)
	if err != nil {
		return nil, err
	}
	entries, err := marshalAll(account.Roles())
	if err != nil {
		return nil, err
	}
	return runQuery(entries, filters, options)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
