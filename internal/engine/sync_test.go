package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/nasops/terraform-provider-truenas/internal/box"
)

// testKey is a valid public key, followed by a comment.
const testKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPG+qGIeCtss8Aoj3+peElFtz/Qh9TzgMvG6Fi7CY5Io "

// boxSnapshot lists every file and folder the box sync writes (not the
// engine's own state) with mode, owner, inode, mtime and content: a sync
// that writes nothing leaves it the same.
func boxSnapshot(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if strings.HasPrefix(rel, "var/db") {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		s := fi.Sys().(*syscall.Stat_t)
		mtime := fi.ModTime().UnixNano()
		if rel == "etc" {
			// Taking shadow-utils' locks links and removes etc/*.lock
			// on every pass: etc's own time is no change of the box.
			mtime = 0
		}
		fmt.Fprintf(&b, "%s %v %d:%d %d %d", rel, fi.Mode(), s.Uid, s.Gid, s.Ino, mtime)
		if fi.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, " %q", data)
		}
		b.WriteByte('\n')
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestIncrementalSyncEqualsFull runs every kind of account change; after
// each, the incremental sync must have left the box exactly as a whole
// apply of the store would: a forced full pass then writes nothing. This
// checks that the change tracking names every account a change touches.
func TestIncrementalSyncEqualsFull(t *testing.T) {
	e := openTest(t)
	ctx := context.Background()
	key := func(n string) string { return `"sshpubkey":"` + testKey + n + `"` }
	idOf := func(kind, name string) string {
		field := "username"
		if kind == "group" {
			field = "name"
		}
		return itoa(decode[struct{ ID int64 }](t, mustCall(t, e, kind+".query", `[["`+field+`","=","`+name+`"]]`, `{"get":true}`)).ID)
	}
	steps := []struct {
		name   string
		method string
		args   func() []string
	}{
		{"create smb user", "user.create", func() []string {
			return []string{`{"username":"alice","full_name":"Alice","group_create":true,"password":"Secret123","home":"/mnt/tank","home_create":true,"shell":"/usr/bin/bash","ssh_password_enabled":true,` + key("alice") + `}`}
		}},
		{"create a second smb user (joins builtin_users last)", "user.create", func() []string {
			return []string{`{"username":"erin","full_name":"Erin","group_create":true,"password":"Secret123"}`}
		}},
		{"create sudo user", "user.create", func() []string {
			return []string{`{"username":"bob","full_name":"Bob","group_create":true,"password_disabled":true,"smb":false,"home":"/mnt/tank","home_create":true,"sudo_commands":["ALL"],` + key("bob") + `}`}
		}},
		{"create plain user", "user.create", func() []string {
			return []string{`{"username":"carol","full_name":"Carol","group_create":true,"password_disabled":true,"smb":false}`}
		}},
		{"create group with members", "group.create", func() []string {
			return []string{`{"name":"team","users":[` + idOf("user", "alice") + `,` + idOf("user", "bob") + `],"sudo_commands_nopasswd":["ALL"]}`}
		}},
		{"rename a member", "user.update", func() []string {
			return []string{idOf("user", "bob"), `{"username":"robert"}`}
		}},
		{"update fields", "user.update", func() []string {
			return []string{idOf("user", "alice"), `{"full_name":"Alice B","home_mode":"750","locked":true,"ssh_password_enabled":false,` + key("alice2") + `}`}
		}},
		{"join a built-in group", "user.update", func() []string {
			return []string{idOf("user", "carol"), `{"groups":[` + idOf("group", "builtin_administrators") + `]}`}
		}},
		{"rename a group", "group.update", func() []string {
			return []string{idOf("group", "team"), `{"name":"team2","sudo_commands_nopasswd":[]}`}
		}},
		{"change a primary group", "user.update", func() []string {
			return []string{idOf("user", "carol"), `{"group":` + idOf("group", "team2") + `}`}
		}},
		{"an earlier user joins builtin_users (not last)", "user.update", func() []string {
			return []string{idOf("user", "carol"), `{"groups":[` + idOf("group", "builtin_administrators") + `,` + idOf("group", "builtin_users") + `]}`}
		}},
		{"leave a built-in group", "user.update", func() []string {
			return []string{idOf("user", "carol"), `{"groups":[]}`}
		}},
		{"delete a member", "user.delete", func() []string {
			return []string{idOf("user", "robert"), `{"delete_group":true}`}
		}},
		{"delete a primary group (users move to nogroup)", "group.delete", func() []string {
			return []string{idOf("group", "team2")}
		}},
		{"create a user in an existing group", "user.create", func() []string {
			return []string{`{"username":"dave","full_name":"Dave","group":` + idOf("group", "carol") + `,"password_disabled":true,"smb":false}`}
		}},
		{"delete a group with its users", "group.delete", func() []string {
			return []string{idOf("group", "carol"), `{"delete_users":true}`}
		}},
		{"delete the smb user", "user.delete", func() []string {
			return []string{idOf("user", "alice")}
		}},
	}
	for _, s := range steps {
		args := s.args()
		full, incr := e.fullPasses.Load(), e.incrementalPasses.Load()
		if _, err := call(t, e, s.method, args...); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if e.fullPasses.Load() != full || e.incrementalPasses.Load() != incr+1 {
			t.Fatalf("%s: not synced incrementally (full passes %d, incremental %d)", s.name,
				e.fullPasses.Load()-full, e.incrementalPasses.Load()-incr)
		}
		before := boxSnapshot(t, e.Root())
		if err := e.syncBox(ctx, true); err != nil {
			t.Fatalf("%s: full pass: %v", s.name, err)
		}
		if after := boxSnapshot(t, e.Root()); after != before {
			t.Fatalf("%s: the full pass changed the box after the incremental sync:\n%s\n---\n%s", s.name, before, after)
		}
	}
}

// TestSyncVisitsOnlyChanged: a call visits the homes of the users it
// changed only; the repair when the box is found out of line is a full
// pass that visits them all.
func TestSyncVisitsOnlyChanged(t *testing.T) {
	e := openTest(t)
	for _, n := range []string{"alice", "bob"} {
		createUser(t, e, `{"username":"`+n+`","full_name":"X","group_create":true,"password_disabled":true,"smb":false,"home":"/mnt/tank","home_create":true,"sshpubkey":"`+testKey+n+`"}`)
	}
	keys := filepath.Join(e.Root(), "mnt/tank/alice/.ssh/authorized_keys")
	if err := os.Remove(keys); err != nil {
		t.Fatal(err)
	}
	createUser(t, e, `{"username":"carol","full_name":"X","group_create":true,"password_disabled":true,"smb":false,"home":"/mnt/tank","home_create":true,"sshpubkey":"`+testKey+`carol"}`)
	if _, err := os.Stat(filepath.Join(e.Root(), "mnt/tank/carol/.ssh/authorized_keys")); err != nil {
		t.Fatal("carol's key not written")
	}
	if _, err := os.Stat(keys); err == nil {
		t.Fatal("creating carol visited alice's home")
	}
	// Out of line (as after a crash between commit and apply): the next
	// engine repairs everything when it opens.
	forgetBoxGeneration(t, e)
	e2, err := Open(e.Root())
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	if data, err := os.ReadFile(keys); err != nil || string(data) != testKey+"alice\n" {
		t.Fatalf("the repair did not restore alice's key: %q %v", data, err)
	}
	if e2.fullPasses.Load() != 1 {
		t.Fatalf("%d full passes at open", e2.fullPasses.Load())
	}
}

// TestChangeTrackingPruned: the records of applied generations are dropped.
func TestChangeTrackingPruned(t *testing.T) {
	e := openTest(t)
	for i := range 5 {
		createUser(t, e, fmt.Sprintf(`{"username":"u%d","full_name":"X","group_create":true,"password_disabled":true,"smb":false}`, i))
	}
	var n int
	if err := e.db.QueryRow(`SELECT COUNT(*) FROM box_dirty`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	// Each create records its user and group; earlier ones are pruned by
	// the next write, so only the last call's rows remain.
	if n == 0 || n > 4 {
		t.Fatalf("%d rows in box_dirty", n)
	}
}

// TestChangeTrackingAfterUpgrade: a store from before the change tracking
// (schema 1) gets it on open, from its current generation on, and the
// next write is synced incrementally.
func TestChangeTrackingAfterUpgrade(t *testing.T) {
	e := openTest(t)
	createUser(t, e, `{"username":"alice","full_name":"A","group_create":true,"password_disabled":true,"smb":false}`)
	// A store of schema 1 has the box records in files (as schema 3's).
	toLegacyLayout2 := func() {
		e2, err := Open(e.Root())
		must(t, err)
		createUser(t, e2, `{"username":"alice2","full_name":"A","group_create":true,"password_disabled":true,"smb":false}`)
		toLegacyLayout(t, e2, "")
	}
	e.Close()
	toLegacyLayout2()
	db, err := openDB(e.Root())
	must(t, err)
	for _, tr := range []string{"user", "group", "membership"} {
		for _, op := range []string{"insert", "update", "delete"} {
			if _, err := db.Exec(`DROP TRIGGER box_dirty_` + tr + `_` + op); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, q := range []string{
		`DROP TABLE box_dirty`, `DROP INDEX users_sudo`, `DROP INDEX groups_sudo`,
		`DELETE FROM meta WHERE key = 'box_dirty_since'`, `PRAGMA user_version = 1`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(q, err)
		}
	}
	db.Close()
	e2, err := Open(e.Root())
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	if e2.fullPasses.Load() != 0 {
		t.Fatal("the box was in line: no full pass wanted at open")
	}
	createUser(t, e2, `{"username":"bob","full_name":"B","group_create":true,"password_disabled":true,"smb":false}`)
	if e2.incrementalPasses.Load() != 1 || e2.fullPasses.Load() != 0 {
		t.Fatalf("full %d, incremental %d", e2.fullPasses.Load(), e2.incrementalPasses.Load())
	}
	passwd, _ := os.ReadFile(filepath.Join(e.Root(), "etc/passwd"))
	if p := "\n" + string(passwd); !strings.Contains(p, "\nalice:") || !strings.Contains(p, "\nbob:") {
		t.Fatalf("passwd: %s", passwd)
	}
}

// TestMembersAppended: a new SMB user joins builtin_users after all its
// members, so the sync reads only the new name; an earlier user joining
// makes it read the whole list.
func TestMembersAppended(t *testing.T) {
	e := openTest(t)
	ctx := context.Background()
	createUser(t, e, `{"username":"alice","full_name":"A","group_create":true,"password":"Secret123"}`)
	createUser(t, e, `{"username":"bob","full_name":"B","group_create":true,"password_disabled":true,"smb":false}`)
	change := func(payload ...string) *box.Change {
		t.Helper()
		applied, ok := e.boxGeneration(ctx)
		if !ok {
			t.Fatal("no box generation")
		}
		e.boxSync = false
		mustCall(t, e, payload[0], payload[1:]...)
		e.boxSync = true
		c, _, err := e.readChange(ctx, applied, boxRetry{})
		if err != nil || c == nil {
			t.Fatalf("readChange: %v %v", c, err)
		}
		if err := e.syncBox(ctx, false); err != nil {
			t.Fatal(err)
		}
		before := boxSnapshot(t, e.Root())
		if err := e.syncBox(ctx, true); err != nil {
			t.Fatal(err)
		}
		if boxSnapshot(t, e.Root()) != before {
			t.Fatal("the full pass changed the box")
		}
		return c
	}
	builtinUsers := func(c *box.Change) *box.Group {
		for i := range c.Groups {
			if c.Groups[i].Name == "builtin_users" {
				return &c.Groups[i]
			}
		}
		t.Fatalf("builtin_users not in the change: %+v", c.Groups)
		return nil
	}
	c := change("user.create", `{"username":"carol","full_name":"C","group_create":true,"password":"Secret123"}`)
	if g := builtinUsers(c); !g.MembersAdded || !slices.Equal(g.Members, []string{"carol"}) {
		t.Fatalf("new member not appended: %+v", *g)
	}
	bu := itoa(groupByName(t, e, "builtin_users").ID)
	bob := itoa(decode[struct{ ID int64 }](t, mustCall(t, e, "user.query", `[["username","=","bob"]]`, `{"get":true}`)).ID)
	c = change("user.update", bob, `{"groups":[`+bu+`]}`)
	if g := builtinUsers(c); g.MembersAdded || !slices.Equal(g.Members, []string{"alice", "bob", "carol"}) {
		t.Fatalf("an earlier user joining was appended: %+v", *g)
	}
	group, _ := os.ReadFile(filepath.Join(e.Root(), "etc/group"))
	if !strings.Contains(string(group), "builtin_users:x:545:alice,bob,carol\n") {
		t.Fatalf("group: %s", group)
	}
}

// The store and its WAL are 0600 whatever the folder's mode and the
// umask: they hold password hashes.
func TestStoreFilesArePrivate(t *testing.T) {
	root := t.TempDir()
	dbDir := filepath.Join(root, filepath.Dir(DBPath))
	if err := os.MkdirAll(dbDir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dbDir, 0o777); err != nil {
		t.Fatal(err)
	}
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	e, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := e.Call(context.Background(), "group.create", []json.RawMessage{json.RawMessage(`{"name":"g1"}`)}); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		fi, err := os.Stat(filepath.Join(root, DBPath+suffix))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s%s has mode %v, want 0600", DBPath, suffix, fi.Mode().Perm())
		}
	}
}
