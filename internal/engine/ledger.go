package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/nasops/terraform-provider-truenas/internal/box"
)

// The store is the one record of what the engine keeps on the box:
//
//   - box_owned_users and box_owned_groups: what the engine owns there
//     (box.Ledger), the intent of an apply recorded before the box files
//     change;
//   - meta 'box_generation': the store generation the box files show,
//     recorded with the apply's final records when the apply is done;
//   - box_retry: the accounts that apply had to leave out (a foreign
//     line, an obstacle in a home), applied again by every later sync.
//
// The tables are migration 5; importLegacy moves in the files an older
// engine kept beside the store.

// ledger is box.Ledger over the store. An apply runs under box.Lock,
// outside any store transaction, on the engine's one connection.
type ledger struct {
	e   *Engine
	ctx context.Context
}

func (e *Engine) ledger(ctx context.Context) *ledger { return &ledger{e: e, ctx: ctx} }

// ledgerChunk is the number of names one query asks for.
const ledgerChunk = 500

func (l *ledger) Users(names []string) (map[string]box.OwnedUser, error) {
	out := map[string]box.OwnedUser{}
	scan := func(q string, args ...any) error {
		rows, err := l.e.db.QueryContext(l.ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var name, homes string
			var perm sql.NullString
			if err := rows.Scan(&name, &homes, &perm); err != nil {
				return err
			}
			var u box.OwnedUser
			if err := json.Unmarshal([]byte(homes), &u.Homes); err != nil {
				return fmt.Errorf("box_owned_users %q: homes: %w", name, err)
			}
			if perm.Valid {
				u.Perm = &box.HomePerm{}
				if err := json.Unmarshal([]byte(perm.String), u.Perm); err != nil {
					return fmt.Errorf("box_owned_users %q: perm: %w", name, err)
				}
			}
			out[name] = u
		}
		return rows.Err()
	}
	if err := byNames(`SELECT name, homes, perm FROM box_owned_users`, names, scan); err != nil {
		return nil, err
	}
	return out, nil
}

func (l *ledger) Groups(names []string) (map[string]box.OwnedGroup, error) {
	out := map[string]box.OwnedGroup{}
	scan := func(q string, args ...any) error {
		rows, err := l.e.db.QueryContext(l.ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var name string
			var g box.OwnedGroup
			if err := rows.Scan(&name, &g.MembersOnly); err != nil {
				return err
			}
			out[name] = g
		}
		return rows.Err()
	}
	if err := byNames(`SELECT name, members_only FROM box_owned_groups`, names, scan); err != nil {
		return nil, err
	}
	return out, nil
}

// byNames runs scan on sel for every row (names nil) or for the rows whose
// name is in names, ledgerChunk names a statement (SQLite's bound on a
// statement's variables).
func byNames(sel string, names []string, scan func(q string, args ...any) error) error {
	if names == nil {
		return scan(sel)
	}
	for len(names) > 0 {
		n := min(len(names), ledgerChunk)
		if err := scan(sel+` WHERE name IN (`+placeholders(n)+`)`, anys(names[:n])...); err != nil {
			return err
		}
		names = names[n:]
	}
	return nil
}

func (l *ledger) UserCount() (int, error) {
	var n int
	err := l.e.db.QueryRowContext(l.ctx, `SELECT COUNT(*) FROM box_owned_users`).Scan(&n)
	return n, err
}

func (l *ledger) HomeInUse(home string, skip map[string]bool) (bool, error) {
	rows, err := l.e.db.QueryContext(l.ctx, `SELECT name FROM box_owned_users WHERE home = ?`, home)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return false, err
		}
		if !skip[n] {
			return true, nil
		}
	}
	return false, rows.Err()
}

// Record saves an apply's intent, synced to the disk (synchronous FULL)
// before the box files are written: the box must never hold a line the
// store does not know the engine wrote.
func (l *ledger) Record(ed box.Edits) error {
	intentSyncs.Add(1)
	conn, err := l.e.db.Conn(l.ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(l.ctx, `PRAGMA synchronous = FULL`); err != nil {
		return err
	}
	defer conn.ExecContext(context.Background(), `PRAGMA synchronous = NORMAL`)
	if _, err := conn.ExecContext(l.ctx, `BEGIN IMMEDIATE`); err != nil {
		return err
	}
	if err := recordEdits(l.ctx, conn, ed); err != nil {
		conn.ExecContext(context.Background(), `ROLLBACK`)
		return err
	}
	if _, err := conn.ExecContext(l.ctx, `COMMIT`); err != nil {
		conn.ExecContext(context.Background(), `ROLLBACK`)
		return err
	}
	return nil
}

// intentSyncs counts the intents recorded with synchronous FULL: each
// syncs the store's WAL once (benchmarks add them to box.Syncs).
var intentSyncs atomic.Int64

// recordEdits writes ledger edits in the caller's transaction.
func recordEdits(ctx context.Context, q querier, ed box.Edits) error {
	for n, u := range ed.Users {
		if u == nil {
			if _, err := q.ExecContext(ctx, `DELETE FROM box_owned_users WHERE name = ?`, n); err != nil {
				return err
			}
			continue
		}
		homes := u.Homes
		if homes == nil {
			homes = []string{}
		}
		hj, err := json.Marshal(homes)
		if err != nil {
			return err
		}
		var perm any
		if u.Perm != nil {
			b, err := json.Marshal(u.Perm)
			if err != nil {
				return err
			}
			perm = string(b)
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO box_owned_users (name, homes, home, perm) VALUES (?, ?, ?, ?)
			ON CONFLICT(name) DO UPDATE SET homes = excluded.homes, home = excluded.home, perm = excluded.perm`,
			n, string(hj), u.CurrentHome(), perm); err != nil {
			return err
		}
	}
	for n, g := range ed.Groups {
		var err error
		if g == nil {
			_, err = q.ExecContext(ctx, `DELETE FROM box_owned_groups WHERE name = ?`, n)
		} else {
			_, err = q.ExecContext(ctx, `INSERT INTO box_owned_groups (name, members_only) VALUES (?, ?)
				ON CONFLICT(name) DO UPDATE SET members_only = excluded.members_only`, n, g.MembersOnly)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func anys(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// markApplied records, in one transaction, that the box shows generation
// gen: the apply's final records, the accounts it left out (acct; none
// clears the list) and the generation.
func (e *Engine) markApplied(ctx context.Context, owned box.Edits, acct *box.AccountErrors, gen string) error {
	t, err := e.begin(ctx, true)
	if err != nil {
		return err
	}
	defer t.rollback()
	if err := recordEdits(ctx, t, owned); err != nil {
		return err
	}
	if _, err := t.ExecContext(ctx, `DELETE FROM box_retry`); err != nil {
		return err
	}
	if acct != nil {
		users, groups := acct.Names()
		for kind, names := range map[string][]string{"u": users, "g": groups} {
			for _, n := range names {
				if _, err := t.ExecContext(ctx, `INSERT OR IGNORE INTO box_retry (kind, name) VALUES (?, ?)`, kind, n); err != nil {
					return err
				}
			}
		}
	}
	if err := setBoxGeneration(ctx, t, gen); err != nil {
		return err
	}
	return t.commit(ctx)
}

func setBoxGeneration(ctx context.Context, q querier, gen string) error {
	_, err := q.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('box_generation', ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, gen)
	return err
}

// boxGenerationIn is the generation the box files were last brought in
// line with; false when unknown (never applied).
func boxGenerationIn(ctx context.Context, q querier) (int64, bool, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'box_generation'`).Scan(&v)
	if err == sql.ErrNoRows {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil, nil
}

// Files of older engines beside the store (relative to root), read once
// by importLegacy and removed.
const (
	legacyGenFile   = "var/db/truenas-engine/box.generation"
	legacyRetryFile = "var/db/truenas-engine/box.retry"
)

// importLegacy moves the records an older engine kept in files (owned.json
// and owned.journal, box.generation, box.retry) into the store, in one
// transaction that also marks the import done (meta 'box_ledger'); then
// removes the files. A crash before the commit leaves the files and no
// mark: the next open imports them again. A crash after it leaves the mark:
// the files are then only removed, never read again.
func (e *Engine) importLegacy(ctx context.Context) error {
	var done string
	err := e.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'box_ledger'`).Scan(&done)
	if err != nil && err != sql.ErrNoRows {
		return err
	}
	if err == sql.ErrNoRows {
		if err := e.importLegacyRecords(ctx); err != nil {
			return fmt.Errorf("engine: move the box records of an older engine into the store: %w", err)
		}
	}
	return box.RemoveLegacyOwned(e.root, legacyGenFile, legacyRetryFile)
}

func (e *Engine) importLegacyRecords(ctx context.Context) error {
	t, err := e.begin(ctx, true)
	if err != nil {
		return err
	}
	defer t.rollback()
	var done string
	if err := t.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'box_ledger'`).Scan(&done); err == nil {
		return nil // another engine imported them meanwhile
	} else if err != sql.ErrNoRows {
		return err
	}
	old, found, err := box.ReadLegacyOwned(e.root)
	if err != nil {
		return err
	}
	if found {
		ed := box.Edits{Users: map[string]*box.OwnedUser{}, Groups: map[string]*box.OwnedGroup{}}
		for n, u := range old.Owned {
			ed.Users[n] = &u
		}
		for n, g := range old.Gr {
			ed.Groups[n] = &g
		}
		if err := recordEdits(ctx, t, ed); err != nil {
			return err
		}
	}
	// The generation only when it is a number: otherwise the box is
	// taken to be out of line and repaired by a whole apply.
	if data, err := os.ReadFile(filepath.Join(e.root, legacyGenFile)); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64); err == nil {
			if err := setBoxGeneration(ctx, t, strconv.FormatInt(n, 10)); err != nil {
				return err
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if data, err := os.ReadFile(filepath.Join(e.root, legacyRetryFile)); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			kind, name, ok := strings.Cut(l, " ")
			if ok && (kind == "u" || kind == "g") && name != "" {
				if _, err := t.ExecContext(ctx, `INSERT OR IGNORE INTO box_retry (kind, name) VALUES (?, ?)`, kind, name); err != nil {
					return err
				}
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if _, err := t.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('box_ledger', '1')`); err != nil {
		return err
	}
	return t.commit(ctx)
}
