package account

import (
	"encoding/json"
	"path"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// fakeBox is a small in-memory Box for the tests.
type fakeBox struct {
	users  []UserEntry
	groups []GroupEntry
	privs  []Privilege
	paths  map[string]PathKind
	links  map[string]string // symlink path -> target (absolute)
	globs  map[string][2]int
	shells []string
	keys   []APIKeyEntry
	now    time.Time
}

func sp(s string) *string { return &s }

var testNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newBox() *fakeBox {
	hash := sp("$6$salt$hash")
	b := &fakeBox{
		groups: []GroupEntry{
			{ID: 1, GID: 0, Name: "root", Builtin: true},
			{ID: 2, GID: 100, Name: "users", Builtin: true},
			{ID: 5, GID: 5, Name: "tty", Builtin: true},
			{ID: 14, GID: 14, Name: "ftp", Builtin: true},
			{ID: 40, GID: 544, Name: "builtin_administrators", Builtin: true, SMB: true, Users: []int64{1, 11}},
			{ID: 41, GID: 545, Name: "builtin_users", Builtin: true, SMB: true, Users: []int64{10}},
			{ID: 42, GID: 951, Name: "truenas_readonly_administrators", Builtin: true},
			{ID: 50, GID: 3000, Name: "devs", SMB: true, Users: []int64{10}},
			{ID: 51, GID: 3001, Name: "ops", SMB: false},
		},
		users: []UserEntry{
			{ID: 1, UID: 0, Username: "root", Builtin: true, Immutable: true, Local: true, Home: "/root", Shell: "/usr/bin/zsh",
				Group: UserGroupRef{ID: 1, GID: 0, Group: "root"}, Groups: []int64{40}, Unixhash: hash},
			{ID: 10, UID: 3000, Username: "alice", Local: true, SMB: true, Home: "/mnt/tank/alice", Shell: "/usr/bin/zsh",
				Group: UserGroupRef{ID: 50, GID: 3000, Group: "devs"}, Groups: []int64{41}, Unixhash: hash},
			{ID: 11, UID: 950, Username: "truenas_admin", Local: true, Immutable: true, Home: "/home/truenas_admin", Shell: "/usr/bin/zsh",
				Group: UserGroupRef{ID: 51, GID: 3001, Group: "ops"}, Groups: []int64{40}, Unixhash: hash},
			{ID: 12, UID: 3001, Username: "carol", Local: true, SMB: false, Home: "/var/empty", Shell: "/usr/bin/zsh",
				Group: UserGroupRef{ID: 51, GID: 3001, Group: "ops"}, Unixhash: hash},
		},
		privs: []Privilege{
			{ID: 1, BuiltinName: sp("LOCAL_ADMINISTRATOR"), Name: "Local Administrator", LocalGroups: []int64{544}, Roles: []string{"FULL_ADMIN"}},
			{ID: 2, BuiltinName: sp("READONLY_ADMINISTRATOR"), Name: "Read-Only Administrator", LocalGroups: []int64{951}, Roles: []string{"READONLY_ADMIN"}},
		},
		paths: map[string]PathKind{
			"/": PathDir, "/mnt": PathDir, "/mnt/tank": PathDir, "/mnt/tank/alice": PathDir, "/mnt/tank/homes": PathDir,
			"/mnt/tank/file": PathFile, "/mnt/tank/fifo": PathOther, "/usr/bin/ls": PathFile,
		},
		globs: map[string][2]int{
			"/usr/bin/ls": {1, 1}, "/usr/bin/l*": {3, 3}, "/etc/passwd": {1, 0}, "/usr/sbin/*": {40, 39}, "/usr/sbin/": {1, 0},
		},
		shells: []string{"# /etc/shells", "/bin/sh", "/usr/bin/sh", "/usr/bin/bash", "/usr/bin/zsh", "/usr/bin/tmux"},
		keys: []APIKeyEntry{
			{ID: 1, Name: "existing", Username: sp("root")},
			{ID: 2, Name: "old", Username: sp("root"), ExpiresAt: &Date{testNow.Add(-time.Hour)}},
		},
		now: testNow,
	}
	for i := range b.groups {
		b.groups[i].Local = true
	}
	return b
}

func (b *fakeBox) UserByID(id int64) (*UserEntry, bool) {
	for i := range b.users {
		if b.users[i].ID == id {
			return &b.users[i], true
		}
	}
	return nil, false
}

func (b *fakeBox) UserByName(name string) (*UserEntry, bool) {
	for i := range b.users {
		if b.users[i].Username == name {
			return &b.users[i], true
		}
	}
	return nil, false
}

func (b *fakeBox) UserByUID(uid int64) (*UserEntry, bool) {
	for i := range b.users {
		if b.users[i].UID == uid {
			return &b.users[i], true
		}
	}
	return nil, false
}

func (b *fakeBox) SMBUserByNameFold(name string) (*UserEntry, bool) {
	for i := range b.users {
		if b.users[i].SMB && strings.EqualFold(b.users[i].Username, name) {
			return &b.users[i], true
		}
	}
	return nil, false
}

func (b *fakeBox) HomeUsedBy(p string, self int64) (*UserEntry, bool) {
	p = NormalizeHome(p)
	for i := range b.users {
		h := NormalizeHome(b.users[i].Home)
		if b.users[i].ID == self || h == DefaultHome {
			continue
		}
		if h == p || strings.HasPrefix(p, h+"/") || strings.HasPrefix(h, p+"/") {
			return &b.users[i], true
		}
	}
	return nil, false
}

// FirstSymlink looks path's components up in b.links.
func (b *fakeBox) FirstSymlink(p string) string {
	cur := ""
	for _, part := range strings.Split(strings.Trim(path.Clean(p), "/"), "/") {
		cur += "/" + part
		if _, ok := b.links[cur]; ok {
			return cur
		}
	}
	return ""
}

func (b *fakeBox) GroupByID(id int64) (*GroupEntry, bool) {
	for i := range b.groups {
		if b.groups[i].ID == id {
			return &b.groups[i], true
		}
	}
	return nil, false
}

func (b *fakeBox) GroupByName(name string) (*GroupEntry, bool) {
	for i := range b.groups {
		if b.groups[i].Name == name {
			return &b.groups[i], true
		}
	}
	return nil, false
}

func (b *fakeBox) GroupByGID(gid int64) (*GroupEntry, bool) {
	for i := range b.groups {
		if b.groups[i].GID == gid {
			return &b.groups[i], true
		}
	}
	return nil, false
}

func (b *fakeBox) SMBGroupByNameFold(name string) (*GroupEntry, bool) {
	for i := range b.groups {
		if b.groups[i].SMB && strings.EqualFold(b.groups[i].Name, name) {
			return &b.groups[i], true
		}
	}
	return nil, false
}

func (b *fakeBox) PrimaryUsers(groupID int64) []UserEntry {
	var out []UserEntry
	for _, u := range b.users {
		if u.Group.ID == groupID {
			out = append(out, u)
		}
	}
	return out
}

func (b *fakeBox) Privileges() []Privilege { return slices.Clone(b.privs) }

func (b *fakeBox) Stat(p string) PathKind { return b.paths[path.Clean(p)] }

func (b *fakeBox) GlobExecutables(pattern string) (int, int) {
	g := b.globs[pattern]
	return g[0], g[1]
}

func (b *fakeBox) Shells() []string { return b.shells }

func (b *fakeBox) APIKeyByName(name string) (*APIKeyEntry, bool) {
	for i := range b.keys {
		if b.keys[i].Name == name {
			return &b.keys[i], true
		}
	}
	return nil, false
}

func (b *fakeBox) APIKeyCount(username string) int {
	n := 0
	for _, k := range b.keys {
		if k.Username != nil && *k.Username == username {
			n++
		}
	}
	return n
}

func (b *fakeBox) Now() time.Time { return b.now }

// lines renders errors as sorted midclt lines for comparison.
func lines(es Errors) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		out = append(out, e.Line())
	}
	sort.Strings(out)
	return out
}

func sortedCopy(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}

func expectLines(t *testing.T, name string, got Errors, want []string) {
	t.Helper()
	g, w := lines(got), sortedCopy(want)
	if !slices.Equal(g, w) {
		t.Errorf("%s:\n got  %q\n want %q", name, g, w)
	}
}

// merge overlays the JSON object extra on base; a key whose value is the
// string "__drop__" is removed.
func merge(t *testing.T, base, extra string) []byte {
	t.Helper()
	var a, b map[string]any
	if err := json.Unmarshal([]byte(base), &a); err != nil {
		t.Fatal(err)
	}
	if extra != "" {
		if err := json.Unmarshal([]byte(extra), &b); err != nil {
			t.Fatalf("bad test JSON %s: %v", extra, err)
		}
	}
	for k, v := range b {
		if v == "__drop__" {
			delete(a, k)
			continue
		}
		a[k] = v
	}
	out, _ := json.Marshal(a)
	return out
}
