package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/nasops/terraform-provider-truenas/internal/account"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// DBPath is where the engine keeps its database, relative to the root.
const DBPath = "var/db/truenas-engine/accounts.db"

// BusyTimeout is how long a call waits for another engine process holding
// the write lock (milliseconds).
const BusyTimeout = 30000

// migrations is the schema history: migrations[i] brings the database from
// user_version i to i+1. Append only.
var migrations = []string{
	// 1: the initial schema.
	`
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE groups (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	gid INTEGER NOT NULL,
	name TEXT NOT NULL,
	builtin INTEGER NOT NULL DEFAULT 0,
	smb INTEGER NOT NULL DEFAULT 0,
	sudo_commands TEXT NOT NULL DEFAULT '[]',
	sudo_commands_nopasswd TEXT NOT NULL DEFAULT '[]',
	userns_idmap TEXT NOT NULL DEFAULT 'null',
	members_managed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX groups_name ON groups(name);
CREATE INDEX groups_name_fold ON groups(lower(name));
CREATE INDEX groups_gid ON groups(gid);
CREATE TABLE users (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	uid INTEGER NOT NULL,
	username TEXT NOT NULL,
	unixhash TEXT NOT NULL DEFAULT '*',
	smbhash TEXT NOT NULL DEFAULT '*',
	home TEXT NOT NULL DEFAULT '/var/empty',
	shell TEXT NOT NULL DEFAULT '/usr/bin/zsh',
	full_name TEXT NOT NULL DEFAULT '',
	builtin INTEGER NOT NULL DEFAULT 0,
	smb INTEGER NOT NULL DEFAULT 0,
	userns_idmap TEXT NOT NULL DEFAULT 'null',
	group_id INTEGER NOT NULL,
	password_disabled INTEGER NOT NULL DEFAULT 0,
	ssh_password_enabled INTEGER NOT NULL DEFAULT 0,
	sshpubkey TEXT,
	locked INTEGER NOT NULL DEFAULT 0,
	sudo_commands TEXT NOT NULL DEFAULT '[]',
	sudo_commands_nopasswd TEXT NOT NULL DEFAULT '[]',
	email TEXT,
	last_password_change INTEGER,
	home_mode TEXT NOT NULL DEFAULT '700',
	manage_home INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX users_username ON users(username);
CREATE INDEX users_username_fold ON users(lower(username));
CREATE INDEX users_uid ON users(uid);
CREATE INDEX users_group ON users(group_id);
CREATE INDEX users_home ON users(home);
CREATE INDEX users_builtin ON users(builtin);
CREATE TABLE memberships (
	group_id INTEGER NOT NULL,
	user_id INTEGER NOT NULL,
	PRIMARY KEY (group_id, user_id)
);
CREATE INDEX memberships_user ON memberships(user_id);
CREATE TABLE api_keys (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	name TEXT NOT NULL,
	user_id INTEGER NOT NULL,
	keyhash TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER,
	revoked INTEGER NOT NULL DEFAULT 0,
	revoked_reason TEXT
);
CREATE INDEX api_keys_name ON api_keys(name);
CREATE INDEX api_keys_user ON api_keys(user_id);
CREATE TABLE privileges (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	builtin_name TEXT,
	name TEXT NOT NULL,
	local_groups TEXT NOT NULL DEFAULT '[]',
	ds_groups TEXT NOT NULL DEFAULT '[]',
	roles TEXT NOT NULL DEFAULT '[]',
	web_shell INTEGER NOT NULL DEFAULT 0
);
`,
	// 2: which accounts each generation touched (box_dirty, kept by
	// triggers on every table the box files are made from), so that the
	// box sync rewrites only those; indexes for the sudoers drop-in.
	`
CREATE TABLE box_dirty (generation INTEGER NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL);
CREATE INDEX box_dirty_generation ON box_dirty(generation);
CREATE INDEX users_sudo ON users(id) WHERE ` + sudoWhere + `;
CREATE INDEX groups_sudo ON groups(id) WHERE ` + sudoWhere + `;
CREATE TRIGGER box_dirty_user_insert AFTER INSERT ON users BEGIN
	INSERT INTO box_dirty VALUES (` + dirtyGen + `, 'u', NEW.username);
END;
CREATE TRIGGER box_dirty_user_delete AFTER DELETE ON users BEGIN
	INSERT INTO box_dirty VALUES (` + dirtyGen + `, 'u', OLD.username);
	INSERT INTO box_dirty SELECT ` + dirtyGen + `, 'g', g.name FROM memberships m JOIN groups g ON g.id = m.group_id
		WHERE m.user_id = OLD.id;
END;
CREATE TRIGGER box_dirty_user_update AFTER UPDATE ON users BEGIN
	INSERT INTO box_dirty VALUES (` + dirtyGen + `, 'u', OLD.username);
	INSERT INTO box_dirty SELECT ` + dirtyGen + `, 'u', NEW.username WHERE NEW.username IS NOT OLD.username;
	INSERT INTO box_dirty SELECT ` + dirtyGen + `, 'g', g.name FROM memberships m JOIN groups g ON g.id = m.group_id
		WHERE m.user_id IN (OLD.id, NEW.id) AND (NEW.username IS NOT OLD.username OR NEW.id IS NOT OLD.id);
END;
CREATE TRIGGER box_dirty_group_insert AFTER INSERT ON groups BEGIN
	INSERT INTO box_dirty VALUES (` + dirtyGen + `, 'g', NEW.name);
	INSERT INTO box_dirty SELECT ` + dirtyGen + `, 'u', username FROM users WHERE group_id = NEW.id;
END;
CREATE TRIGGER box_dirty_group_delete AFTER DELETE ON groups BEGIN
	INSERT INTO box_dirty VALUES (` + dirtyGen + `, 'g', OLD.name);
	INSERT INTO box_dirty SELECT ` + dirtyGen + `, 'u', username FROM users WHERE group_id = OLD.id;
END;
CREATE TRIGGER box_dirty_group_update AFTER UPDATE ON groups BEGIN
	INSERT INTO box_dirty VALUES (` + dirtyGen + `, 'g', OLD.name);
	INSERT INTO box_dirty SELECT ` + dirtyGen + `, 'g', NEW.name WHERE NEW.name IS NOT OLD.name;
	INSERT INTO box_dirty SELECT ` + dirtyGen + `, 'u', username FROM users
		WHERE group_id IN (OLD.id, NEW.id) AND (NEW.gid IS NOT OLD.gid OR NEW.id IS NOT OLD.id);
END;
CREATE TRIGGER box_dirty_membership_insert AFTER INSERT ON memberships BEGIN
	INSERT INTO box_dirty SELECT ` + dirtyGen + `, 'g', name FROM groups WHERE id = NEW.group_id;
END;
CREATE TRIGGER box_dirty_membership_delete AFTER DELETE ON memberships BEGIN
	INSERT INTO box_dirty SELECT ` + dirtyGen + `, 'g', name FROM groups WHERE id = OLD.group_id;
END;
CREATE TRIGGER box_dirty_membership_update AFTER UPDATE ON memberships BEGIN
	INSERT INTO box_dirty SELECT ` + dirtyGen + `, 'g', name FROM groups WHERE id IN (OLD.group_id, NEW.group_id);
END;
INSERT INTO meta (key, value) VALUES ('box_dirty_since', COALESCE((SELECT value FROM meta WHERE key = 'generation'), '0'))
	ON CONFLICT(key) DO UPDATE SET value = excluded.value;
`,
	// 3: a membership added is recorded as such (kind 'm', with the
	// user's id), so that the sync can append the new member to the line
	// on the box instead of reading a long member list again; a group
	// update counts only when a column the box files show changed. The
	// triggers name their columns now that box_dirty has four.
	`
ALTER TABLE box_dirty ADD COLUMN member INTEGER;
DROP TRIGGER box_dirty_user_insert;
DROP TRIGGER box_dirty_user_delete;
DROP TRIGGER box_dirty_user_update;
DROP TRIGGER box_dirty_group_insert;
DROP TRIGGER box_dirty_group_delete;
DROP TRIGGER box_dirty_group_update;
DROP TRIGGER box_dirty_membership_insert;
DROP TRIGGER box_dirty_membership_delete;
DROP TRIGGER box_dirty_membership_update;
CREATE TRIGGER box_dirty_user_insert AFTER INSERT ON users BEGIN
	INSERT INTO box_dirty (generation, kind, name) VALUES (` + dirtyGen + `, 'u', NEW.username);
END;
CREATE TRIGGER box_dirty_user_delete AFTER DELETE ON users BEGIN
	INSERT INTO box_dirty (generation, kind, name) VALUES (` + dirtyGen + `, 'u', OLD.username);
	INSERT INTO box_dirty (generation, kind, name) SELECT ` + dirtyGen + `, 'g', g.name
		FROM memberships m JOIN groups g ON g.id = m.group_id WHERE m.user_id = OLD.id;
END;
CREATE TRIGGER box_dirty_user_update AFTER UPDATE ON users BEGIN
	INSERT INTO box_dirty (generation, kind, name) VALUES (` + dirtyGen + `, 'u', OLD.username);
	INSERT INTO box_dirty (generation, kind, name) SELECT ` + dirtyGen + `, 'u', NEW.username
		WHERE NEW.username IS NOT OLD.username;
	INSERT INTO box_dirty (generation, kind, name) SELECT ` + dirtyGen + `, 'g', g.name
		FROM memberships m JOIN groups g ON g.id = m.group_id
		WHERE m.user_id IN (OLD.id, NEW.id) AND (NEW.username IS NOT OLD.username OR NEW.id IS NOT OLD.id);
END;
CREATE TRIGGER box_dirty_group_insert AFTER INSERT ON groups BEGIN
	INSERT INTO box_dirty (generation, kind, name) VALUES (` + dirtyGen + `, 'g', NEW.name);
	INSERT INTO box_dirty (generation, kind, name) SELECT ` + dirtyGen + `, 'u', username FROM users WHERE group_id = NEW.id;
END;
CREATE TRIGGER box_dirty_group_delete AFTER DELETE ON groups BEGIN
	INSERT INTO box_dirty (generation, kind, name) VALUES (` + dirtyGen + `, 'g', OLD.name);
	INSERT INTO box_dirty (generation, kind, name) SELECT ` + dirtyGen + `, 'u', username FROM users WHERE group_id = OLD.id;
END;
CREATE TRIGGER box_dirty_group_update AFTER UPDATE ON groups
	WHEN NEW.id IS NOT OLD.id OR NEW.name IS NOT OLD.name OR NEW.gid IS NOT OLD.gid OR NEW.builtin IS NOT OLD.builtin
		OR NEW.members_managed IS NOT OLD.members_managed OR NEW.sudo_commands IS NOT OLD.sudo_commands
		OR NEW.sudo_commands_nopasswd IS NOT OLD.sudo_commands_nopasswd
BEGIN
	INSERT INTO box_dirty (generation, kind, name) VALUES (` + dirtyGen + `, 'g', OLD.name);
	INSERT INTO box_dirty (generation, kind, name) SELECT ` + dirtyGen + `, 'g', NEW.name WHERE NEW.name IS NOT OLD.name;
	INSERT INTO box_dirty (generation, kind, name) SELECT ` + dirtyGen + `, 'u', username FROM users
		WHERE group_id IN (OLD.id, NEW.id) AND (NEW.gid IS NOT OLD.gid OR NEW.id IS NOT OLD.id);
END;
CREATE TRIGGER box_dirty_membership_insert AFTER INSERT ON memberships BEGIN
	INSERT INTO box_dirty (generation, kind, name, member) SELECT ` + dirtyGen + `, 'm', name, NEW.user_id
		FROM groups WHERE id = NEW.group_id;
END;
CREATE TRIGGER box_dirty_membership_delete AFTER DELETE ON memberships BEGIN
	INSERT INTO box_dirty (generation, kind, name) SELECT ` + dirtyGen + `, 'g', name FROM groups WHERE id = OLD.group_id;
END;
CREATE TRIGGER box_dirty_membership_update AFTER UPDATE ON memberships BEGIN
	INSERT INTO box_dirty (generation, kind, name) SELECT ` + dirtyGen + `, 'g', name
		FROM groups WHERE id IN (OLD.group_id, NEW.group_id);
END;
`,
	// 4: what TrueNAS CORE 13.3 keeps of an account beyond the SCALE
	// columns (core.go): microsoft_account, attributes and the sudo,
	// sudo_nopasswd, sudo_commands triple, whose sudoers meaning is kept
	// in the SCALE sudo columns. A row is written by CORE's methods only.
	`
CREATE TABLE IF NOT EXISTS core_users (
	user_id INTEGER PRIMARY KEY,
	sudo INTEGER NOT NULL DEFAULT 0,
	sudo_nopasswd INTEGER NOT NULL DEFAULT 0,
	sudo_commands TEXT NOT NULL DEFAULT '[]',
	microsoft_account INTEGER NOT NULL DEFAULT 0,
	attributes TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS core_groups (
	group_id INTEGER PRIMARY KEY,
	sudo INTEGER NOT NULL DEFAULT 0,
	sudo_nopasswd INTEGER NOT NULL DEFAULT 0,
	sudo_commands TEXT NOT NULL DEFAULT '[]'
);
`,
	// 5: the store is the one record of what the engine keeps on the box
	// (ledger.go): what it owns there, the accounts to apply again, and
	// (meta 'box_generation') the generation the box files show. They
	// were files beside the store; importLegacy moves them in. Like 4, it
	// tolerates a store that has them (a test reopens at an older version).
	`
CREATE TABLE IF NOT EXISTS box_owned_users (
	name TEXT PRIMARY KEY,
	homes TEXT NOT NULL DEFAULT '[]',
	home TEXT NOT NULL DEFAULT '',
	perm TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS box_owned_users_home ON box_owned_users(home);
CREATE TABLE IF NOT EXISTS box_owned_groups (
	name TEXT PRIMARY KEY,
	members_only INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS box_retry (kind TEXT NOT NULL, name TEXT NOT NULL, PRIMARY KEY (kind, name)) WITHOUT ROWID;
`,
}

// dirtyGen is, inside a write transaction, the generation it commits
// (writeTx adds one to the stored generation at its end).
const dirtyGen = `COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'generation'), 0) + 1`

// sudoWhere selects the accounts the sudoers drop-in is made from (a
// superset: entries whose commands are all blank are skipped later).
const sudoWhere = `builtin = 0 AND (sudo_commands <> '[]' OR sudo_commands_nopasswd <> '[]')`

// querier is what both a connection and a transaction offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func openDB(root string) (*sql.DB, error) {
	path := filepath.Join(root, DBPath)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("engine: create database folder: %w", err)
	}
	// The store holds password hashes and API key hashes: 0600 whatever
	// the folder's mode or the umask. SQLite gives its -wal and -shm
	// files the database file's mode, so the database is made (or
	// tightened) first; files it already made are tightened too.
	if err := secureFile(path); err != nil {
		return nil, err
	}
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		if err := os.Chmod(path+suffix, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("engine: database file: %w", err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(0)")
	dsn := "file:" + path + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("engine: open database: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	return db, nil
}

// txn is one transaction on the engine's single connection. Writes use
// BEGIN IMMEDIATE so that concurrent engine processes queue on the busy
// timeout instead of failing on lock upgrades.
type txn struct {
	conn *sql.Conn
	done bool
}

func (e *Engine) begin(ctx context.Context, write bool) (*txn, error) {
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	stmt := "BEGIN"
	if write {
		stmt = "BEGIN IMMEDIATE"
	}
	if _, err := conn.ExecContext(ctx, stmt); err != nil {
		conn.Close()
		return nil, fmt.Errorf("engine: begin transaction: %w", err)
	}
	return &txn{conn: conn}, nil
}

func (t *txn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.conn.ExecContext(ctx, q, args...)
}

func (t *txn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.conn.QueryContext(ctx, q, args...)
}

func (t *txn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return t.conn.QueryRowContext(ctx, q, args...)
}

func (t *txn) commit(ctx context.Context) error {
	if t.done {
		return nil
	}
	t.done = true
	_, err := t.conn.ExecContext(ctx, "COMMIT")
	if err != nil {
		t.conn.ExecContext(context.Background(), "ROLLBACK")
	}
	t.conn.Close()
	if err != nil {
		return fmt.Errorf("engine: commit: %w", err)
	}
	return nil
}

func (t *txn) rollback() {
	if t.done {
		return
	}
	t.done = true
	t.conn.ExecContext(context.Background(), "ROLLBACK")
	t.conn.Close()
}

// migrate brings the schema up to date and initialises an empty database,
// all in one write transaction.
func (e *Engine) migrate(ctx context.Context) (initialised bool, err error) {
	var current int
	if err := e.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err == nil && current == len(migrations) {
		var sid string
		if e.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'server_sid'`).Scan(&sid) == nil {
			return false, nil // up to date: no write lock needed
		}
	}
	t, err := e.begin(ctx, true)
	if err != nil {
		return false, err
	}
	defer t.rollback()
	var version int
	if err := t.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return false, fmt.Errorf("engine: read schema version: %w", err)
	}
	if version > len(migrations) {
		return false, fmt.Errorf("engine: database schema version %d is newer than this engine (%d)", version, len(migrations))
	}
	fresh := version == 0
	for i := version; i < len(migrations); i++ {
		if _, err := t.ExecContext(ctx, migrations[i]); err != nil {
			return false, fmt.Errorf("engine: migration %d: %w", i+1, err)
		}
	}
	if version != len(migrations) {
		if _, err := t.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(migrations))); err != nil {
			return false, fmt.Errorf("engine: set schema version: %w", err)
		}
	}
	// The box's domain SID, made once and kept (TrueNAS keeps its own in
	// services.cifs: plugins/smb_/sid.py:18 local_server_sid).
	sid, err := randomDomainSID()
	if err != nil {
		return false, err
	}
	if _, err := t.ExecContext(ctx, `INSERT OR IGNORE INTO meta (key, value) VALUES ('server_sid', ?)`, sid); err != nil {
		return false, fmt.Errorf("engine: keep the domain SID: %w", err)
	}
	if fresh {
		if err := e.initialise(ctx, t); err != nil {
			return false, err
		}
		// The first box sync applies the whole State anyway.
		if _, err := t.ExecContext(ctx, `DELETE FROM box_dirty`); err != nil {
			return false, err
		}
	}
	return fresh, t.commit(ctx)
}

type passwdLine struct {
	name, gecos, home, shell string
	uid, gid                 int64
}

type groupLine struct {
	name    string
	gid     int64
	members []string
}

// readAccountFile reads etc/passwd (passwd true) or etc/group as glibc
// does (nssfiles.go): the lines the system would return, ids as glibc
// reads them.
func readAccountFile(path string, passwd bool) ([]nssEntry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return nssEntries(data, passwd), nil
}

// trueNASGroups are TrueNAS's own built-in groups, added to a box whose
// etc/group lacks them (adoptionErrors refused a box where another line
// holds their name or gid).
var trueNASGroups = []string{"builtin_administrators", "builtin_users", "builtin_guests", "truenas_readonly_administrators", "truenas_sharing_administrators"}

// adoptionErrors refuses a box whose etc/passwd or etc/group gives an
// identity of TrueNAS's own (account.ReservedIdentities) to someone else,
// before anything is saved: a line at a reserved id under another name or
// with a reserved name under another id; a member, other than root, of a
// privilege's group, or a user whose primary group it is (they would hold
// the privilege's roles the moment the engine starts); a root line that is
// not uid 0. The error names the file, each line and what to do.
func adoptionErrors(pw, gr []nssEntry) error {
	var problems []string
	where := func(file string, e nssEntry, kind string) string {
		return fmt.Sprintf("etc/%s line %d %q (%s %d)", file, e.line, e.name, kind, e.id)
	}
	roleNote := func(r account.ReservedIdentity) string {
		if len(r.Roles) == 0 {
			return ""
		}
		return " (the group of a built-in privilege: its members get " + strings.Join(r.Roles, ", ") + ")"
	}
	for _, r := range account.ReservedIdentities() {
		file, kind, entries, tool := "group", "gid", gr, "groupmod -g NEWGID"
		if r.User {
			file, kind, entries, tool = "passwd", "uid", pw, "usermod -u NEWUID"
		}
		for _, e := range entries {
			switch {
			case int64(e.id) == r.ID && e.name != r.Name:
				problems = append(problems, fmt.Sprintf("%s holds %s %d, which TrueNAS's %s has%s: give that account another id (%s %s) or remove the line",
					where(file, e, kind), kind, r.ID, r.Name, roleNote(r), tool, e.name))
			case e.name == r.Name && int64(e.id) != r.ID:
				problems = append(problems, fmt.Sprintf("%s is TrueNAS's %s, which has %s %d%s: give it %s %d or rename or remove the line",
					where(file, e, kind), r.Name, kind, r.ID, roleNote(r), kind, r.ID))
			case e.name == r.Name && len(r.Roles) > 0:
				for _, m := range e.members {
					if m != "root" {
						problems = append(problems, fmt.Sprintf("%s lists %q as a member%s: remove the member from the line (the engine adds root itself; grant the privilege through the API once the engine runs)",
							where(file, e, kind), m, roleNote(r)))
					}
				}
			}
		}
		if !r.User && len(r.Roles) > 0 {
			for _, u := range pw {
				if int64(u.gid) == r.ID {
					problems = append(problems, fmt.Sprintf("%s has gid %d (%s) as its primary group%s: give it another primary group (usermod -g GROUP %s)",
						where("passwd", u, "uid"), r.ID, r.Name, roleNote(r), u.name))
				}
			}
		}
	}
	for _, u := range pw {
		if !u.compat && u.id == 0 && u.name != "root" {
			// getpwuid(0) is this line: the rules that keep root an
			// administrator would apply to it, not to root.
			problems = append(problems, fmt.Sprintf("%s is the first line with uid 0, before root's: move root's line first or remove it", where("passwd", u, "uid")))
		}
		if u.id == 0 && !u.compat {
			break
		}
	}
	for _, u := range pw {
		if u.name == "root" && u.id != 0 {
			problems = append(problems, fmt.Sprintf("%s is root with a uid other than 0: the engine makes root a member of builtin_administrators; fix or remove the line", where("passwd", u, "uid")))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("engine: this box's accounts cannot be adopted, nothing was saved; fix each line and run the engine again:\n  %s", strings.Join(problems, "\n  "))
}

// initialise fills a fresh database with the built-in accounts.
func (e *Engine) initialise(ctx context.Context, t *txn) error {
	passwdPath := filepath.Join(e.root, "etc/passwd")
	groupPath := filepath.Join(e.root, "etc/group")
	var users []passwdLine
	var groups []groupLine
	pw, errP := readAccountFile(passwdPath, true)
	gr, errG := readAccountFile(groupPath, false)
	switch {
	case errP == nil && errG == nil:
		if err := adoptionErrors(pw, gr); err != nil {
			return err
		}
		// NIS-compat lines (+name, -name) are no account of the box.
		for _, e := range pw {
			if !e.compat {
				gecos, _, _ := strings.Cut(e.gecos, ",")
				users = append(users, passwdLine{name: e.name, uid: int64(e.id), gid: int64(e.gid), gecos: gecos, home: e.home, shell: e.shell})
			}
		}
		for _, e := range gr {
			if !e.compat {
				groups = append(groups, groupLine{name: e.name, gid: int64(e.id), members: e.members})
			}
		}
		names := map[string]bool{}
		gids := map[int64]bool{}
		for _, g := range groups {
			names[g.name] = true
			gids[g.gid] = true
		}
		for _, bg := range account.BuiltinGroups() {
			for _, n := range trueNASGroups {
				if bg.Name == n && !names[bg.Name] && !gids[bg.GID] {
					groups = append(groups, groupLine{name: bg.Name, gid: bg.GID})
				}
			}
		}
	case errors.Is(errP, os.ErrNotExist) || errors.Is(errG, os.ErrNotExist):
		for _, bg := range account.BuiltinGroups() {
			groups = append(groups, groupLine{name: bg.Name, gid: bg.GID})
		}
		for _, bu := range account.BuiltinUsers() {
			users = append(users, passwdLine{name: bu.Username, uid: bu.UID, gid: bu.GID, gecos: bu.FullName, home: bu.Home, shell: bu.Shell})
		}
		if err := os.MkdirAll(filepath.Join(e.root, "mnt/tank"), 0o755); err != nil {
			return fmt.Errorf("engine: create data pool folder: %w", err)
		}
	default:
		if errP != nil {
			return fmt.Errorf("engine: read etc/passwd: %w", errP)
		}
		return fmt.Errorf("engine: read etc/group: %w", errG)
	}
	smbBuiltin := map[string]bool{}
	for _, bg := range account.BuiltinGroups() {
		if bg.SMB {
			smbBuiltin[bg.Name] = true
		}
	}
	groupID := map[string]int64{}
	groupByGID := map[int64]int64{}
	for _, g := range groups {
		if _, dup := groupID[g.name]; dup {
			continue
		}
		res, err := t.ExecContext(ctx, `INSERT INTO groups (gid, name, builtin, smb, userns_idmap) VALUES (?, ?, 1, ?, ?)`,
			g.gid, g.name, smbBuiltin[g.name], idmapFor(g.name, g.gid))
		if err != nil {
			return fmt.Errorf("engine: insert built-in group: %w", err)
		}
		id, _ := res.LastInsertId()
		groupID[g.name] = id
		if _, ok := groupByGID[g.gid]; !ok {
			groupByGID[g.gid] = id
		}
	}
	userID := map[string]int64{}
	for _, u := range users {
		if _, dup := userID[u.name]; dup {
			continue
		}
		gidRow, ok := groupByGID[u.gid]
		if !ok {
			// A primary group missing from etc/group: make one so the
			// user keeps a valid group.
			res, err := t.ExecContext(ctx, `INSERT INTO groups (gid, name, builtin, smb) VALUES (?, ?, 1, 0)`, u.gid, u.name)
			if err != nil {
				return fmt.Errorf("engine: insert group: %w", err)
			}
			gidRow, _ = res.LastInsertId()
			groupByGID[u.gid] = gidRow
		}
		home, shell := u.home, u.shell
		if home == "" {
			home = account.DefaultHome
		}
		if shell == "" {
			shell = account.NologinShell
		}
		res, err := t.ExecContext(ctx, `INSERT INTO users (uid, username, home, shell, full_name, builtin, smb, group_id, userns_idmap)
			VALUES (?, ?, ?, ?, ?, 1, 0, ?, ?)`, u.uid, u.name, home, shell, u.gecos, gidRow, idmapFor(u.name, u.uid))
		if err != nil {
			return fmt.Errorf("engine: insert built-in user: %w", err)
		}
		id, _ := res.LastInsertId()
		userID[u.name] = id
	}
	for _, g := range groups {
		for _, m := range g.members {
			if uid, ok := userID[m]; ok {
				if _, err := t.ExecContext(ctx, `INSERT OR IGNORE INTO memberships (group_id, user_id) VALUES (?, ?)`, groupID[g.name], uid); err != nil {
					return err
				}
			}
		}
	}
	if rootID, ok := userID["root"]; ok {
		if gid, ok := groupID["builtin_administrators"]; ok {
			if _, err := t.ExecContext(ctx, `INSERT OR IGNORE INTO memberships (group_id, user_id) VALUES (?, ?)`, gid, rootID); err != nil {
				return err
			}
		}
	}
	// Each built-in privilege is bound to the engine's own group row of
	// its name, never to whatever holds a bare gid: adoptionErrors refused
	// a box where another line has that gid, and the row's gid must be
	// the one row at that gid.
	for _, p := range account.BuiltinPrivileges() {
		row, ok := groupID[p.Group]
		if !ok {
			return fmt.Errorf("engine: the built-in group %s of privilege %q is missing", p.Group, p.Name)
		}
		var gid int64
		var others int
		if err := t.QueryRowContext(ctx, `SELECT gid, (SELECT COUNT(*) FROM groups o WHERE o.gid = g.gid AND o.id != g.id) FROM groups g WHERE id = ?`, row).Scan(&gid, &others); err != nil {
			return fmt.Errorf("engine: read the group of privilege %q: %w", p.Name, err)
		}
		if gid != p.GID || others != 0 {
			return fmt.Errorf("engine: the group %s of privilege %q has gid %d shared with %d other groups; want gid %d alone", p.Group, p.Name, gid, others, p.GID)
		}
		roles, _ := json.Marshal(p.Roles)
		lg, _ := json.Marshal([]int64{gid})
		if _, err := t.ExecContext(ctx, `INSERT INTO privileges (builtin_name, name, local_groups, ds_groups, roles, web_shell) VALUES (?, ?, ?, '[]', ?, ?)`,
			p.BuiltinName, p.Name, string(lg), string(roles), p.WebShell); err != nil {
			return fmt.Errorf("engine: insert privilege: %w", err)
		}
	}
	return nil
}

// idmapFor is the userns_idmap of a built-in account: DIRECT for apps
// (568), by name and id, so that no other account at 568 gets it.
func idmapFor(name string, id int64) string {
	if name == "apps" && id == 568 {
		return `"DIRECT"`
	}
	return "null"
}
