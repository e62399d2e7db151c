package engine

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/nasops/terraform-provider-truenas/internal/box"
)

// toLegacyLayout lays root out as the engine before the one store did
// (schema 4): the owned records in owned.json, in the layout it wrote
// (version 2, one record per line, names sorted), with the last of them
// in owned.journal over it (one removed), the box generation in
// box.generation, the accounts to retry in box.retry; the store without
// migration 5 (a store of schema 4, as the engine before it left). e is closed.
func toLegacyLayout(t *testing.T, e *Engine, retry string) (users map[string]box.OwnedUser, groups map[string]box.OwnedGroup) {
	t.Helper()
	ctx := context.Background()
	led := e.ledger(ctx)
	users, err := led.Users(nil)
	must(t, err)
	groups, err = led.Groups(nil)
	must(t, err)
	gen, ok := e.boxGeneration(ctx)
	if !ok {
		t.Fatal("no box generation")
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range users {
			if !yield(n) {
				return
			}
		}
	})
	if len(names) < 2 {
		t.Fatalf("want two owned users, have %v", names)
	}
	// The journal holds the last user, and removes a user the manifest
	// still lists.
	last := names[len(names)-1]
	section := func(recs map[string][]byte) string {
		keys := slices.Sorted(func(yield func(string) bool) {
			for n := range recs {
				if !yield(n) {
					return
				}
			}
		})
		var lines []string
		for _, n := range keys {
			lines = append(lines, `"`+n+`":`+string(recs[n]))
		}
		if len(lines) == 0 {
			return ""
		}
		return strings.Join(lines, ",\n") + "\n"
	}
	base := map[string][]byte{}
	for _, n := range names[:len(names)-1] {
		base[n], _ = json.Marshal(users[n])
	}
	base["gone"], _ = json.Marshal(box.OwnedUser{Homes: []string{"/mnt/tank/gone"}})
	gbase := map[string][]byte{}
	for n, g := range groups {
		gbase[n], _ = json.Marshal(g)
	}
	manifest := `{"version":2,"users":{` + "\n" + section(base) + `},"groups":{` + "\n" + section(gbase) + "}}\n"
	lastRec, _ := json.Marshal(users[last])
	journal := `{"version":2,"user_count":` + itoa(int64(len(names))) + `,"users":{"` + last + `":` + string(lastRec) + `,"gone":null},"groups":{}}` + "\n"
	e.Close()
	dir := filepath.Join(e.Root(), "var/db/truenas-engine")
	must(t, os.WriteFile(filepath.Join(dir, "owned.json"), []byte(manifest), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "owned.journal"), []byte(journal), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "box.generation"), []byte(itoa(gen)+"\n"), 0o600))
	if retry != "" {
		must(t, os.WriteFile(filepath.Join(dir, "box.retry"), []byte(retry), 0o600))
	}
	db, err := openDB(e.Root())
	must(t, err)
	for _, q := range []string{`DROP TABLE box_owned_users`, `DROP TABLE box_owned_groups`, `DROP TABLE box_retry`,
		`DELETE FROM meta WHERE key IN ('box_generation', 'box_ledger')`, `PRAGMA user_version = 4`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(q, err)
		}
	}
	must(t, db.Close())
	return users, groups
}

var legacyFiles = []string{"owned.json", "owned.journal", "box.generation", "box.retry"}

func checkLegacyGone(t *testing.T, root string) {
	t.Helper()
	for _, f := range legacyFiles {
		if _, err := os.Lstat(filepath.Join(root, "var/db/truenas-engine", f)); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%s left after the migration (%v)", f, err)
		}
	}
}

// TestLegacyRootMigrates: a root as the engine before the one store laid
// it out opens: its records are read once into the store (the journal
// over the manifest), the files removed, the box taken to be in line at
// the generation it recorded (no full pass), the accounts to retry kept;
// the next write is incremental and the box is what a whole apply makes.
func TestLegacyRootMigrates(t *testing.T) {
	e, err := Open(t.TempDir())
	must(t, err)
	root := e.Root()
	createUser(t, e, `{"username":"alice","full_name":"A","group_create":true,"password_disabled":true,"smb":false,"home":"/mnt/tank","home_create":true}`)
	createUser(t, e, `{"username":"bob","full_name":"B","group_create":true,"password_disabled":true,"smb":false}`)
	users, groups := toLegacyLayout(t, e, "u bob\n")
	snap := boxSnapshot(t, root)

	e2, err := Open(root)
	must(t, err)
	defer e2.Close()
	checkLegacyGone(t, root)
	ctx := context.Background()
	gotU, err := e2.ledger(ctx).Users(nil)
	must(t, err)
	gotG, err := e2.ledger(ctx).Groups(nil)
	must(t, err)
	if !reflect.DeepEqual(gotU, users) || !reflect.DeepEqual(gotG, groups) {
		t.Fatalf("records after the migration:\n%+v\n%+v\nwant\n%+v\n%+v", gotU, gotG, users, groups)
	}
	if e2.fullPasses.Load() != 0 {
		t.Fatal("the box generation was not carried over: a full pass at open")
	}
	// bob was listed for a retry: the open applied it again (nothing to do).
	if r := e2.readRetry(ctx); !r.empty() {
		t.Fatalf("retry list %+v after bob's retry succeeded", r)
	}
	if e2.incrementalPasses.Load() != 1 {
		t.Fatalf("bob's retry was not applied at open (%d incremental passes)", e2.incrementalPasses.Load())
	}
	if boxSnapshot(t, root) != snap {
		t.Fatal("the migration changed the box")
	}
	createUser(t, e2, `{"username":"carol","full_name":"C","group_create":true,"password_disabled":true,"smb":false}`)
	if e2.fullPasses.Load() != 0 || e2.incrementalPasses.Load() != 2 {
		t.Fatalf("full %d, incremental %d", e2.fullPasses.Load(), e2.incrementalPasses.Load())
	}
	before := boxSnapshot(t, root)
	must(t, e2.syncBox(ctx, true))
	if boxSnapshot(t, root) != before {
		t.Fatal("a whole apply after the migration changed the box")
	}
	passwd, _ := os.ReadFile(filepath.Join(root, "etc/passwd"))
	for _, n := range []string{"alice", "bob", "carol"} {
		if !strings.Contains("\n"+string(passwd), "\n"+n+":") {
			t.Fatalf("%s missing: %s", n, passwd)
		}
	}
}

// TestLegacyMigrationCrash: a migration cut short before its commit is
// made again from the files; one cut short after it (files still there)
// only removes them, never reading them again.
func TestLegacyMigrationCrash(t *testing.T) {
	e, err := Open(t.TempDir())
	must(t, err)
	root := e.Root()
	createUser(t, e, `{"username":"alice","full_name":"A","group_create":true,"password_disabled":true,"smb":false}`)
	createUser(t, e, `{"username":"bob","full_name":"B","group_create":true,"password_disabled":true,"smb":false}`)
	users, _ := toLegacyLayout(t, e, "")
	dir := filepath.Join(root, "var/db/truenas-engine")
	saved := map[string][]byte{}
	for _, f := range legacyFiles[:3] {
		saved[f], err = os.ReadFile(filepath.Join(dir, f))
		must(t, err)
	}
	// Before the commit: the schema was migrated, nothing imported.
	db, err := openDB(root)
	must(t, err)
	e1 := &Engine{root: root, db: db}
	_, err = e1.migrate(context.Background())
	must(t, err)
	must(t, db.Close())
	e2, err := Open(root)
	must(t, err)
	checkLegacyGone(t, root)
	got, err := e2.ledger(context.Background()).Users(nil)
	must(t, err)
	if !reflect.DeepEqual(got, users) {
		t.Fatalf("records %+v, want %+v", got, users)
	}
	e2.Close()
	// After the commit, before the removals: the files (here damaged, so
	// that reading them would fail) are removed unread.
	for f := range saved {
		must(t, os.WriteFile(filepath.Join(dir, f), []byte("{not what was imported"), 0o600))
	}
	e3, err := Open(root)
	must(t, err)
	defer e3.Close()
	checkLegacyGone(t, root)
	got, err = e3.ledger(context.Background()).Users(nil)
	must(t, err)
	if !reflect.DeepEqual(got, users) {
		t.Fatalf("records changed by files left after the import: %+v", got)
	}
	if e3.fullPasses.Load() != 0 {
		t.Fatal("the box generation was lost")
	}
}
