//go:build unix

package box

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// changeOf is the Change that takes the box from st to next: every
// account whose entry differs, as the engine's records would name it.
func changeOf(st, next State) Change {
	var c Change
	oldU := map[string]User{}
	for _, u := range st.Users {
		oldU[u.Name] = u
	}
	newU := map[string]bool{}
	for _, u := range next.Users {
		newU[u.Name] = true
		if o, ok := oldU[u.Name]; !ok || !reflect.DeepEqual(o, u) {
			c.Users = append(c.Users, u)
		}
	}
	for _, u := range st.Users {
		if !newU[u.Name] {
			c.RemovedUsers = append(c.RemovedUsers, u.Name)
		}
	}
	oldG := map[string]Group{}
	for _, g := range st.Groups {
		oldG[g.Name] = g
	}
	newG := map[string]bool{}
	for _, g := range next.Groups {
		newG[g.Name] = true
		if o, ok := oldG[g.Name]; !ok || !reflect.DeepEqual(o, g) {
			c.Groups = append(c.Groups, g)
		}
	}
	for _, g := range st.Groups {
		if !newG[g.Name] {
			c.RemovedGroups = append(c.RemovedGroups, g.Name)
		}
	}
	c.SudoUsers, c.SudoGroups = sudoOf(next)
	return c
}

// boxFiles is everything Apply writes under root except the manifest's
// own layout (compared decoded): files with their content and mode,
// folders with their mode.
func boxFiles(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	must(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if strings.HasPrefix(rel, stateDir) {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		s := fi.Sys().(*syscall.Stat_t)
		v := fmt.Sprintf("%v %d:%d", fi.Mode(), s.Uid, s.Gid)
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			v += " " + string(b)
		}
		out[rel] = v
		return nil
	}))
	m, err := readManifest(root)
	must(t, err)
	b, err := json.Marshal(m)
	must(t, err)
	out["(manifest)"] = string(b)
	return out
}

func sameBox(t *testing.T, step, full, incr string) {
	t.Helper()
	a, b := boxFiles(t, full), boxFiles(t, incr)
	if strings.HasPrefix(step, "(no backups) ") {
		// Different series of applies keep different previous versions.
		for _, m := range []map[string]string{a, b} {
			for k := range m {
				if strings.HasSuffix(k, "-") {
					delete(m, k)
				}
			}
		}
	}
	for k, v := range a {
		if w := b[k]; w != v {
			i := 0
			for i < min(len(v), len(w)) && v[i] == w[i] {
				i++
			}
			from := max(0, i-80)
			t.Errorf("%s: %s differs at byte %d:\nfull:        %q\nincremental: %q", step, k, i, v[from:min(len(v), i+80)], w[from:min(len(w), i+80)])
		}
	}
	for k, v := range b {
		if _, ok := a[k]; !ok {
			t.Errorf("%s: %s only after the incremental apply: %q", step, k, v)
		}
	}
}

// TestApplyChangeEqualsFull applies a series of changes to two copies of a
// box, one with ApplyResult and the whole State, the other with
// ApplyChange: the trees must be the same after each.
func TestApplyChangeEqualsFull(t *testing.T) {
	full, incr := seed(t), seed(t)
	var st State
	for i := range 30 {
		st.Users = append(st.Users, boxBenchUser(i))
		st.Groups = append(st.Groups, Group{Name: st.Users[i].Name, GID: st.Users[i].GID})
	}
	st.Groups = append(st.Groups, Group{Name: "staff2", GID: 4000, Members: []string{"user00001", "user00002"},
		SudoCommandsNopasswd: []string{"ALL"}},
		Group{Name: "sudo", GID: 27, Members: []string{"admin", "user00003"}})
	must(t, Apply(full, st))
	must(t, Apply(incr, st))
	sameBox(t, "start", full, incr)

	clone := func(st State) State {
		var n State
		for _, u := range st.Users {
			u.SudoCommands = slices.Clone(u.SudoCommands)
			n.Users = append(n.Users, u)
		}
		for _, g := range st.Groups {
			g.Members = slices.Clone(g.Members)
			n.Groups = append(n.Groups, g)
		}
		return n
	}
	userIdx := func(st State, name string) int {
		return slices.IndexFunc(st.Users, func(u User) bool { return u.Name == name })
	}
	groupIdx := func(st State, name string) int {
		return slices.IndexFunc(st.Groups, func(g Group) bool { return g.Name == name })
	}
	steps := []struct {
		name   string
		change func(st State) State
	}{
		{"create", func(st State) State {
			u := boxBenchUser(100)
			st.Users = append(st.Users, u)
			st.Groups = append(st.Groups, Group{Name: u.Name, GID: u.GID})
			return st
		}},
		{"update", func(st State) State {
			u := &st.Users[userIdx(st, "user00005")]
			u.Gecos, u.Shell, u.SSHPubKey, u.SSHPasswordEnabled = "Renamed", "/usr/bin/zsh", strp("ssh-ed25519 NEW"), true
			u.HomeMode = 0o750
			return st
		}},
		{"sudo and lock", func(st State) State {
			st.Users[userIdx(st, "user00006")].SudoCommands = []string{"ALL"}
			st.Users[userIdx(st, "user00006")].Locked = true
			st.Users[userIdx(st, "user00000")].SudoCommands = nil
			return st
		}},
		{"key removed", func(st State) State {
			st.Users[userIdx(st, "user00007")].SSHPubKey = nil
			return st
		}},
		{"rename", func(st State) State {
			u := &st.Users[userIdx(st, "user00002")]
			u.Name = "renamed2"
			g := &st.Groups[groupIdx(st, "staff2")]
			g.Members = []string{"user00001", "renamed2"}
			return st
		}},
		{"home moved", func(st State) State {
			st.Users[userIdx(st, "user00008")].Home = "/mnt/tank/elsewhere8"
			return st
		}},
		{"members of a foreign group", func(st State) State {
			st.Groups[groupIdx(st, "sudo")].Members = []string{"admin", "user00003", "user00004"}
			return st
		}},
		{"foreign group left", func(st State) State {
			st.Groups = slices.Delete(st.Groups, groupIdx(st, "sudo"), groupIdx(st, "sudo")+1)
			return st
		}},
		{"delete", func(st State) State {
			i := userIdx(st, "user00009")
			st.Users = slices.Delete(st.Users, i, i+1)
			j := groupIdx(st, "user00009")
			st.Groups = slices.Delete(st.Groups, j, j+1)
			return st
		}},
		{"group deleted", func(st State) State {
			st.Groups = slices.Delete(st.Groups, groupIdx(st, "staff2"), groupIdx(st, "staff2")+1)
			return st
		}},
		{"nothing", func(st State) State { return st }},
	}
	for _, s := range steps {
		next := s.change(clone(st))
		must(t, Apply(full, next))
		if _, err := ApplyChange(incr, changeOf(st, next)); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		sameBox(t, s.name, full, incr)
		st = next
	}
	// Many changes in a row stay in line with a whole apply.
	for i := range 140 {
		next := clone(st)
		u := boxBenchUser(200 + i)
		next.Users = append(next.Users, u)
		next.Groups = append(next.Groups, Group{Name: u.Name, GID: u.GID})
		if _, err := ApplyChange(incr, changeOf(st, next)); err != nil {
			t.Fatal(err)
		}
		st = next
	}
	must(t, Apply(full, st))
	sameBox(t, "(no backups) after many changes", full, incr)
	// Whatever the Ledger holds, a whole Apply of the
	// same State changes nothing.
	res, err := ApplyResult(incr, st)
	must(t, err)
	if len(res.Files) != 0 {
		t.Fatalf("a whole Apply after the incremental ones changed %v", res.Files)
	}
}

// TestApplyChangeVisitsOnlyChanged: the home of a user the Change does not
// name is not visited (a key removed by hand stays removed), until a whole
// Apply repairs it.
func TestApplyChangeVisitsOnlyChanged(t *testing.T) {
	root := seed(t)
	var st State
	for i := range 5 {
		st.Users = append(st.Users, boxBenchUser(i))
		st.Groups = append(st.Groups, Group{Name: st.Users[i].Name, GID: st.Users[i].GID})
	}
	must(t, Apply(root, st))
	home := filepath.Join(root, "mnt/tank/user00001")
	must(t, os.Remove(filepath.Join(home, ".ssh/authorized_keys")))
	must(t, os.Chmod(home, 0o755))
	before, err := os.Stat(home)
	must(t, err)

	next := st
	next.Users = append(slices.Clone(st.Users), boxBenchUser(9))
	next.Groups = append(slices.Clone(st.Groups), Group{Name: "user00009", GID: 3009})
	_, err = ApplyChange(root, changeOf(st, next))
	must(t, err)
	if _, err := os.Stat(filepath.Join(root, "mnt/tank/user00009/.ssh/authorized_keys")); err != nil {
		t.Fatal("the new user's key was not written")
	}
	if _, err := os.Stat(filepath.Join(home, ".ssh/authorized_keys")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("the home of a user not in the Change was visited")
	}
	if after, _ := os.Stat(home); after.Mode() != before.Mode() || !after.ModTime().Equal(before.ModTime()) {
		t.Fatal("the home of a user not in the Change was changed")
	}
	// The repair is a whole Apply.
	must(t, Apply(root, next))
	if read(t, root, "mnt/tank/user00001/.ssh/authorized_keys") != "ssh-ed25519 AAAA user00001\n" {
		t.Fatal("a whole Apply did not repair the key")
	}
}

// TestApplyChangeRefusesOutOfLineDropIn: a drop-in that does not name the
// owned users is not edited: ErrFullApply, nothing written.
func TestApplyChangeRefusesOutOfLineDropIn(t *testing.T) {
	for name, spoil := range map[string]func(p string){
		"removed":   func(p string) { must(t, os.Remove(p)) },
		"emptied":   func(p string) { must(t, os.WriteFile(p, []byte(sshdHead), 0o644)) },
		"cut short": func(p string) { b, _ := os.ReadFile(p); must(t, os.WriteFile(p, b[:len(b)/2], 0o644)) },
		"one name removed": func(p string) {
			b, _ := os.ReadFile(p)
			must(t, os.WriteFile(p, []byte(strings.Replace(string(b), "user00002,", "", 1)), 0o644))
		},
	} {
		t.Run(name, func(t *testing.T) {
			root := seed(t)
			st := State{}
			for i := range 5 {
				st.Users = append(st.Users, boxBenchUser(i))
			}
			must(t, Apply(root, st))
			spoil(filepath.Join(root, SSHDFile))
			snap := snapshot(t, root)
			next := st
			next.Users = append(slices.Clone(st.Users), boxBenchUser(7))
			if _, err := ApplyChange(root, changeOf(st, next)); !errors.Is(err, ErrFullApply) {
				t.Fatalf("want ErrFullApply, got %v", err)
			}
			if after := snapshot(t, root); after != snap {
				t.Fatalf("written before ErrFullApply:\n%s\n---\n%s", snap, after)
			}
			must(t, Apply(root, next))
			_, err := ApplyChange(root, changeOf(next, next))
			must(t, err)
		})
	}
}

// TestApplyChangeConflict: a new name with a foreign line is left out, as
// by ApplyResult; a Change of only such names changes nothing.
func TestApplyChangeConflict(t *testing.T) {
	root := seed(t)
	st := baseState()
	must(t, Apply(root, st))
	snap := snapshot(t, root)
	u := bob()
	u.Name = "www-data"
	_, err := ApplyChange(root, Change{Users: []User{u}, Groups: []Group{{Name: "sudo", GID: 999}}})
	var ce *ConflictError
	if !errors.As(err, &ce) || !slices.Equal(ce.Users, []string{"www-data"}) || !slices.Equal(ce.Groups, []string{"sudo"}) {
		t.Fatalf("want a conflict on www-data and sudo, got %v", err)
	}
	var ae *AccountErrors
	if !errors.As(err, &ae) || ae.ForUser("www-data") == nil || ae.ForGroup("sudo") == nil {
		t.Fatalf("want AccountErrors for www-data and sudo, got %v", err)
	}
	if after := snapshot(t, root); after != snap {
		t.Fatal("the box changed although every account of the change conflicts")
	}
	if _, err := ApplyChange(root, Change{Users: []User{alice()}, RemovedUsers: []string{"alice"}}); err == nil {
		t.Fatal("a user both changed and removed was taken")
	}
}

// TestApplyChangeFailedHomeRetried: a home that cannot be made fails the
// Apply after the account files were written; the journal keeps the
// intent, and the same Change applied again finishes the work.
func TestApplyChangeFailedHomeRetried(t *testing.T) {
	root := seed(t)
	st := baseState()
	must(t, Apply(root, st))
	c := boxBenchUser(3)
	must(t, os.MkdirAll(filepath.Join(root, "mnt/tank"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, "mnt/tank/user00003"), []byte("a file"), 0o644))
	next := st
	next.Users = append(slices.Clone(st.Users), c)
	if _, err := ApplyChange(root, changeOf(st, next)); err == nil || errors.Is(err, ErrFullApply) {
		t.Fatalf("want a home error, got %v", err)
	}
	if !strings.Contains(read(t, root, PasswdFile), "\nuser00003:") {
		t.Fatal("passwd not written before the home error")
	}
	m, err := readManifest(root)
	must(t, err)
	if _, ok := m.Users["user00003"]; !ok {
		t.Fatal("the intent does not own the new user")
	}
	must(t, os.Remove(filepath.Join(root, "mnt/tank/user00003")))
	// The drop-in already names the new user, the final manifest did not
	// come: the counts differ and the whole State is needed, which the
	// engine then applies.
	_, err = ApplyChange(root, changeOf(st, next))
	if errors.Is(err, ErrFullApply) {
		must(t, Apply(root, next))
	} else {
		must(t, err)
	}
	if read(t, root, "mnt/tank/user00003/.ssh/authorized_keys") != "ssh-ed25519 AAAA user00003\n" {
		t.Fatal("the retry did not finish the home")
	}
	res, err := ApplyResult(root, next)
	must(t, err)
	if len(res.Files) != 0 {
		t.Fatalf("changed %v", res.Files)
	}
}

// TestLegacyOwnedRead: the records an older engine kept (owned.json in
// either of its layouts, the journal over it, a null removing a name) are
// read as the Ledger had them.
func TestLegacyOwnedRead(t *testing.T) {
	for _, layout := range []string{"v1", "v2"} {
		root := seed(t)
		st := baseState()
		must(t, Apply(root, st))
		want, err := readManifest(root)
		must(t, err)
		var base []byte
		if layout == "v1" {
			base, err = json.MarshalIndent(map[string]any{"version": 1, "users": want.Users, "groups": want.Groups}, "", " ")
			must(t, err)
		} else {
			base = []byte(`{"version":2,"users":{` + "\n")
			first := true
			for _, n := range slices.Sorted(maps.Keys(want.Users)) {
				b, _ := json.Marshal(want.Users[n])
				if !first {
					base = append(base, ",\n"...)
				}
				first = false
				base = append(base, `"`+n+`":`+string(b)...)
			}
			base = append(base, "\n"+`},"groups":{`+"\n"...)
			first = true
			for _, n := range slices.Sorted(maps.Keys(want.Groups)) {
				b, _ := json.Marshal(want.Groups[n])
				if !first {
					base = append(base, ",\n"...)
				}
				first = false
				base = append(base, `"`+n+`":`+string(b)...)
			}
			base = append(base, "\n}}\n"...)
		}
		must(t, os.MkdirAll(filepath.Join(root, stateDir), 0o700))
		must(t, os.WriteFile(filepath.Join(root, LegacyManifestFile), base, 0o600))
		journal := `{"version":2,"user_count":2,"users":{"carol":{"homes":["/mnt/tank/carol"]},"bob":null},"groups":{"extra":{"members_only":true}}}` + "\n"
		must(t, os.WriteFile(filepath.Join(root, LegacyJournalFile), []byte(journal), 0o600))
		got, found, err := ReadLegacyOwned(root)
		must(t, err)
		if !found {
			t.Fatal("legacy records not found")
		}
		want.Users["carol"] = OwnedUser{Homes: []string{"/mnt/tank/carol"}}
		delete(want.Users, "bob")
		want.Groups["extra"] = OwnedGroup{MembersOnly: true}
		if !reflect.DeepEqual(got.Owned, want.Users) || !reflect.DeepEqual(got.Gr, want.Groups) {
			t.Fatalf("%s: read\n%+v %+v\nwant\n%+v %+v", layout, got.Owned, got.Gr, want.Users, want.Groups)
		}
		must(t, RemoveLegacyOwned(root))
		if _, found, err := ReadLegacyOwned(root); err != nil || found {
			t.Fatalf("%s: files left after removal (%v)", layout, err)
		}
	}
}

// failingLedger refuses to record, or to be read.
type failingLedger struct {
	*MemLedger
	readErr bool
}

func (f failingLedger) Users(names []string) (map[string]OwnedUser, error) {
	if f.readErr {
		return nil, errors.New("the ledger cannot be read")
	}
	return f.MemLedger.Users(names)
}

func (f failingLedger) Record(Edits) error { return errors.New("the ledger cannot record") }

// TestIntentBeforeFiles: an apply whose intent cannot be recorded, or
// whose ledger cannot be read, writes nothing on the box: the intent is
// durable before any box file changes.
func TestIntentBeforeFiles(t *testing.T) {
	root := seed(t)
	st := baseState()
	must(t, Apply(root, st))
	snap := snapshot(t, root)
	next := st
	next.Users = append(slices.Clone(st.Users), boxBenchUser(5))
	for _, readErr := range []bool{false, true} {
		led := failingLedger{MemLedger: ledgerOf(root), readErr: readErr}
		if _, err := ApplyDelta(root, changeOf(st, next), led); err == nil || errors.Is(err, ErrFullApply) {
			t.Fatalf("want the ledger's error, got %v", err)
		}
		if _, err := ApplyState(root, next, led); err == nil {
			t.Fatal("a whole apply went on without its intent")
		}
		if after := snapshot(t, root); after != snap {
			t.Fatal("box files written before the intent was recorded")
		}
	}
}

// TestMembersAdded: names appended to a group's line as it is give the
// same files as the whole list; a line that is missing, or already has
// one of the names, is not taken as the Change says (ErrFullApply).
func TestMembersAdded(t *testing.T) {
	full, incr := seed(t), seed(t)
	st := baseState()
	st.Groups = append(st.Groups, Group{Name: "sudo", GID: 27, Members: []string{"admin"}})
	must(t, Apply(full, st))
	must(t, Apply(incr, st))
	next := st
	next.Groups = slices.Clone(st.Groups)
	next.Groups[2].Members = []string{"alice", "bob", "carol"}
	next.Groups[3].Members = []string{"admin", "alice"}
	must(t, Apply(full, next))
	_, err := ApplyChange(incr, Change{Groups: []Group{
		{Name: "staff2", GID: 3002, Members: []string{"carol"}, MembersAdded: true},
		{Name: "sudo", GID: 27, Members: []string{"alice"}, MembersAdded: true},
	}})
	must(t, err)
	sameBox(t, "members added", full, incr)

	snap := snapshot(t, incr)
	for _, g := range []Group{
		{Name: "staff2", GID: 3002, Members: []string{"alice"}, MembersAdded: true}, // already there
		{Name: "nosuch", GID: 3009, Members: []string{"alice"}, MembersAdded: true}, // no line
	} {
		if _, err := ApplyChange(incr, Change{Groups: []Group{g}}); !errors.Is(err, ErrFullApply) {
			t.Fatalf("%s: want ErrFullApply, got %v", g.Name, err)
		}
	}
	if snapshot(t, incr) != snap {
		t.Fatal("written before ErrFullApply")
	}
	if _, err := ApplyResult(incr, State{Groups: []Group{{Name: "x", GID: 1, MembersAdded: true}}}); err == nil {
		t.Fatal("ApplyResult took MembersAdded")
	}
}

// visudoCheck is the box's visudo itself: content it refuses is reported,
// with the drop-in's name, and no copy is left behind.
func TestVisudoCheckRefuses(t *testing.T) {
	found := false
	for _, p := range visudoPaths {
		if _, err := os.Stat(p); err == nil {
			found = true
		}
	}
	if !found {
		if os.Getenv("CI") != "" {
			t.Fatal("visudo is missing (scripts/deps.sh installs sudo)")
		}
		t.Skip("visudo is missing")
	}
	dir := t.TempDir()
	if err := visudoCheck(dir, []byte("#1 ALL=(ALL) /usr/bin/sudoedit /etc/hosts\n")); err == nil || !strings.Contains(err.Error(), SudoersFile) {
		t.Fatalf("visudo accepted sudoedit with a path: %v", err)
	}
	if err := visudoCheck(dir, []byte("#1 ALL=(ALL) /usr/bin/id\n")); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("left behind: %v", ents)
	}
}

// TestCheckSudoersRefuses: CheckSudoers, which the engine runs before it
// saves a change, refuses what the box's visudo refuses (a command longer
// than sudo reads), and what sudo's grammar cannot hold, naming the
// accounts; content equal to the drop-in in place is not checked again.
func TestCheckSudoersRefuses(t *testing.T) {
	found := false
	for _, p := range visudoPaths {
		if _, err := os.Stat(p); err == nil {
			found = true
		}
	}
	if !found {
		if os.Getenv("CI") != "" {
			t.Fatal("visudo is missing (scripts/deps.sh installs sudo)")
		}
		t.Skip("visudo is missing")
	}
	root := t.TempDir()
	long := User{Name: "sam", UID: 3001, SudoCommands: []string{"/usr/bin/" + strings.Repeat("a", 5000)}}
	var se *SudoersError
	if err := CheckSudoers(root, []User{long}, nil); !errors.As(err, &se) || !strings.Contains(err.Error(), "visudo refuses") {
		t.Fatalf("want visudo's refusal, got %v", err)
	}
	bad := User{Name: "ed", UID: 3002, SudoCommands: []string{"/usr/bin/sudoedit /etc/hosts"}}
	if err := CheckSudoers(root, []User{bad}, nil); !errors.As(err, &se) || !slices.Equal(se.Users, []string{"ed"}) {
		t.Fatalf("want ed refused, got %v", err)
	}
	good := User{Name: "tom", UID: 3003, SudoCommands: []string{"/usr/bin/id"}}
	must(t, CheckSudoers(root, []User{good}, nil))
	if ents, _ := os.ReadDir(filepath.Join(root, "etc/sudoers.d")); len(ents) != 0 {
		t.Fatalf("the check left %v", ents)
	}
}
