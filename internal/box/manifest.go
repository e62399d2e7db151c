//go:build unix

package box

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"slices"
)

// manifest is what the engine owns on the box, kept in
// <root>/var/db/truenas-engine/owned.json, with the changes since it was
// last written in owned.journal beside it. A name listed here and no
// longer in the State is removed from the files; a name in the State whose
// line exists but is not listed here is foreign.
//
// This is the decoded form, used by tests; Apply works on rawManifest,
// which reads and decodes only the records it needs.
type manifest struct {
	Version int                 `json:"version"`
	Users   map[string]userRec  `json:"users"`
	Groups  map[string]groupRec `json:"groups"`
}

type userRec struct {
	// Homes are the homes where the engine may have written .ssh; the last
	// one is the current home. Usually one entry.
	Homes []string `json:"homes,omitempty"`
	// Perm is the owner and mode last applied to the current home; nil
	// when not applied yet (or unknown), which makes Apply apply them.
	Perm *homePerm `json:"perm,omitempty"`
}

type homePerm struct {
	Home string `json:"home"`
	UID  int64  `json:"uid"`
	GID  int64  `json:"gid"`
	Mode uint32 `json:"mode"`
}

type groupRec struct {
	// MembersOnly marks a foreign group line (one the engine did not write)
	// whose member field the engine manages. The line itself is never
	// removed; when the group leaves the State its record is dropped and
	// the line stays as it is.
	MembersOnly bool `json:"members_only,omitempty"`
}

// manifestVersion 2 is the layout encodeBase writes: still one JSON object
// (older engines read it), with one record per line, names sorted, so that
// a record is found and replaced without decoding the others.
const manifestVersion = 2

// journalFile holds the record changes not yet written into ManifestFile,
// relative to root. It is a JSON object like the manifest's, where a null
// record removes the name, plus "user_count", the number of owned users
// with the changes applied.
const journalFile = stateDir + "/owned.journal"

// journalLimit is the number of changed records above which the journal is
// written into the manifest. Each Apply then writes a small journal, and
// the whole manifest once every journalLimit changes or so.
const journalLimit = 256

func newManifest() *manifest {
	return &manifest{Version: manifestVersion, Users: map[string]userRec{}, Groups: map[string]groupRec{}}
}

func readManifest(root string) (*manifest, error) {
	rm, err := readRawManifest(root)
	if err != nil {
		return nil, err
	}
	return rm.decode()
}

// write replaces the manifest with m (and drops the journal).
func (m *manifest) write(root string) error {
	rm := &rawManifest{}
	users, groups := edit{}, edit{}
	for n, r := range m.Users {
		if err := users.set(n, r); err != nil {
			return err
		}
	}
	for n, r := range m.Groups {
		if err := groups.set(n, r); err != nil {
			return err
		}
	}
	return rm.store(root, users, groups, true, &diskState{})
}

// rec is one manifest record: a name and its JSON object (compact). at is
// where its `"name":{...}` starts in the file it was read from (canonical
// files only).
type rec struct {
	name string
	raw  []byte
	at   int
}

// end is where r's `"name":{...}` starts plus its length in the file.
func (r rec) end() int { return r.at + len(appendName(nil, r.name)) + 1 + len(r.raw) }

// recs is the users or the groups of the manifest file. When the file is
// in the canonical layout, data[from:to] holds their lines and list is
// parsed from it only when every record is needed.
type recs struct {
	data     []byte
	from, to int
	list     []rec
	parsed   bool
}

func (s *recs) lazy() bool { return s.data != nil && !s.parsed }

// get is the record of name: a binary search of the sorted lines, which
// are not parsed.
func (s *recs) get(name string) ([]byte, bool, error) {
	if !s.lazy() {
		if i, ok := find(s.list, name); ok {
			return s.list[i].raw, true, nil
		}
		return nil, false, nil
	}
	// Lines starting in [lo, hi) are left; lo is always a line start.
	lo, hi := s.from, s.to
	for lo < hi {
		mid := lo + (hi-lo)/2
		start := lo + bytes.LastIndexByte(s.data[lo:mid], '\n') + 1
		end := lineEnd(s.data, start)
		r, ok := parseRecLine(bytes.TrimSuffix(s.data[start:end], []byte(",")))
		switch {
		case !ok:
			return nil, false, fmt.Errorf("%s: a line is not a record", ManifestFile)
		case r.name == name:
			return r.raw, true, nil
		case r.name < name:
			lo = end + 1
		default:
			hi = start
		}
	}
	return nil, false, nil
}

func (s *recs) count() int {
	if s.lazy() {
		return bytes.Count(s.data[s.from:s.to], []byte("\n"))
	}
	return len(s.list)
}

// all parses every record (once).
func (s *recs) all() ([]rec, error) {
	if s.lazy() {
		list, ok := parseSection(s.data, s.from, s.to)
		if !ok {
			return nil, fmt.Errorf("%s: a line is not a record", ManifestFile)
		}
		s.list, s.parsed = list, true
	}
	return s.list, nil
}

// rawManifest is the manifest file with the journal over it, records
// still encoded.
type rawManifest struct {
	users, groups recs
	base          []byte // ManifestFile as read, nil when missing
	canonical     bool   // base is in the layout encodeBase writes
	// The journal: changes over the base, and the number of users with
	// them applied.
	jUsers, jGroups edit
	userCount       int
	journal         []byte // journalFile as read, nil when missing
}

func readRawManifest(root string) (*rawManifest, error) {
	m := &rawManifest{users: recs{parsed: true}, groups: recs{parsed: true}}
	data, err := os.ReadFile(filepath.Join(root, ManifestFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		m.base = data
		if users, groups, ok := splitManifest(data); ok {
			m.users, m.groups, m.canonical = users, groups, true
		} else if err := m.decodeBase(data); err != nil {
			return nil, err
		}
	}
	m.userCount = m.users.count()
	data, err = os.ReadFile(filepath.Join(root, journalFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		var j struct {
			UserCount *int                       `json:"user_count"`
			Users     map[string]json.RawMessage `json:"users"`
			Groups    map[string]json.RawMessage `json:"groups"`
		}
		if err := json.Unmarshal(data, &j); err != nil || j.UserCount == nil {
			return nil, fmt.Errorf("%s: not a journal: %v", journalFile, err)
		}
		m.journal, m.userCount = data, *j.UserCount
		m.jUsers, m.jGroups = edit{}, edit{}
		for n, r := range j.Users {
			m.jUsers[n] = nullable(r)
		}
		for n, r := range j.Groups {
			m.jGroups[n] = nullable(r)
		}
	}
	return m, nil
}

func nullable(r json.RawMessage) []byte {
	if string(r) == "null" {
		return nil
	}
	return r
}

// decodeBase reads a manifest in any other layout (version 1, a file
// edited by hand) with the JSON decoder, each record then in its
// canonical encoding.
func (m *rawManifest) decodeBase(data []byte) error {
	var v struct {
		Users  map[string]userRec  `json:"users"`
		Groups map[string]groupRec `json:"groups"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("%s: %w", ManifestFile, err)
	}
	for n, r := range v.Users {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		m.users.list = append(m.users.list, rec{name: n, raw: b})
	}
	for n, r := range v.Groups {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		m.groups.list = append(m.groups.list, rec{name: n, raw: b})
	}
	slices.SortFunc(m.users.list, byName)
	slices.SortFunc(m.groups.list, byName)
	return nil
}

func byName(a, b rec) int { return cmp.Compare(a.name, b.name) }

const (
	manifestHead   = `{"version":2,"users":{` + "\n"
	manifestMiddle = `},"groups":{` + "\n"
	manifestTail   = `}}` + "\n"
)

// splitManifest finds the users' and the groups' lines of a manifest in
// the layout encodeBase writes; false for any other layout.
func splitManifest(data []byte) (users, groups recs, ok bool) {
	if !bytes.HasPrefix(data, []byte(manifestHead)) || !bytes.HasSuffix(data, []byte(manifestTail)) {
		return users, groups, false
	}
	// Record lines start with a quote: the first line that is the middle
	// ends the users (the head's own newline counts when there is none).
	mid := bytes.Index(data, []byte("\n"+manifestMiddle))
	if mid < 0 {
		return users, groups, false
	}
	users = recs{data: data, from: len(manifestHead), to: mid + 1}
	groups = recs{data: data, from: mid + 1 + len(manifestMiddle), to: len(data) - len(manifestTail)}
	if groups.from > groups.to {
		return users, groups, false
	}
	return users, groups, true
}

// parseSection reads the record lines of data[from:to], each `"name":{...}`
// followed by ",\n", the last by "\n"; names sorted and unique.
func parseSection(data []byte, from, to int) ([]rec, bool) {
	rs := make([]rec, 0, bytes.Count(data[from:to], []byte("\n")))
	for off := from; off < to; {
		end := off + bytes.IndexByte(data[off:to], '\n')
		if end < off {
			return nil, false
		}
		line := data[off:end]
		if end+1 != to {
			if len(line) == 0 || line[len(line)-1] != ',' {
				return nil, false
			}
			line = line[:len(line)-1]
		}
		r, ok := parseRecLine(line)
		if !ok || (len(rs) > 0 && rs[len(rs)-1].name >= r.name) {
			return nil, false
		}
		r.at = off
		rs = append(rs, r)
		off = end + 1
	}
	return rs, true
}

// parseRecLine reads `"name":{...}` (without the comma), the name written
// as appendName writes it.
func parseRecLine(line []byte) (rec, bool) {
	if len(line) < 6 || line[0] != '"' || line[len(line)-1] != '}' {
		return rec{}, false
	}
	i := 1 + bytes.IndexByte(line[1:], '"')
	var name string
	if i > 1 && plainName(line[1:i]) {
		name = string(line[1:i])
	} else {
		// An escaped name: the string token ends at `":{`.
		i = bytes.Index(line, []byte(`":{`))
		if i < 0 || json.Unmarshal(line[:i+1], &name) != nil || !bytes.Equal(appendName(nil, name), line[:i+1]) {
			return rec{}, false
		}
	}
	if name == "" || i+3 >= len(line) || line[i+1] != ':' || line[i+2] != '{' {
		return rec{}, false
	}
	return rec{name: name, raw: line[i+2:]}, true
}

// plainName says whether a name token holds nothing JSON escapes.
func plainName(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == '\\' {
			return false
		}
	}
	return true
}

// appendName appends a record's name as a JSON string: as it is, unless
// JSON needs an escape in it (checkName lets none of those through).
func appendName(out []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' {
			b, _ := json.Marshal(s)
			return append(out, b...)
		}
	}
	out = append(out, '"')
	out = append(out, s...)
	return append(out, '"')
}

// encodeBase is the manifest file of the base with the edits applied.
func (m *rawManifest) encodeBase(users, groups edit) ([]byte, error) {
	ul, err := m.users.all()
	if err != nil {
		return nil, err
	}
	gl, err := m.groups.all()
	if err != nil {
		return nil, err
	}
	var data []byte
	if m.canonical {
		data = m.base
	}
	size := len(data) + len(manifestHead) + len(manifestMiddle) + len(manifestTail)
	if data == nil {
		for _, rs := range [][]rec{ul, gl} {
			for _, r := range rs {
				size += len(r.name) + len(r.raw) + 5
			}
		}
	}
	for _, e := range []edit{users, groups} {
		for n, r := range e {
			size += len(n) + len(r) + 5
		}
	}
	out := make([]byte, 0, size)
	out = append(out, manifestHead...)
	out = appendSection(out, ul, users, data)
	out = append(out, manifestMiddle...)
	out = appendSection(out, gl, groups, data)
	return append(out, manifestTail...), nil
}

// appendSection appends the records of rs with the edits applied, joined
// by ",\n", then "\n". With the canonical file data rs was read from, runs
// of records not edited are copied from it as they are.
func appendSection(out []byte, rs []rec, e edit, data []byte) []byte {
	first := true
	sep := func() {
		if !first {
			out = append(out, ',', '\n')
		}
		first = false
	}
	entry := func(name string, raw []byte) {
		sep()
		out = appendName(out, name)
		out = append(out, ':')
		out = append(out, raw...)
	}
	run := func(rs []rec) {
		if len(rs) == 0 {
			return
		}
		if data == nil {
			for _, r := range rs {
				entry(r.name, r.raw)
			}
			return
		}
		sep()
		out = append(out, data[rs[0].at:rs[len(rs)-1].end()]...)
	}
	i := 0
	for _, n := range slices.Sorted(mapKeys(e)) {
		j, found := find(rs[i:], n)
		run(rs[i : i+j])
		i += j
		if found {
			i++
		}
		if raw := e[n]; raw != nil {
			entry(n, raw)
		}
	}
	run(rs[i:])
	if !first {
		out = append(out, '\n')
	}
	return out
}

func mapKeys(e edit) iter.Seq[string] {
	return func(yield func(string) bool) {
		for n := range e {
			if !yield(n) {
				return
			}
		}
	}
}

func find(rs []rec, name string) (int, bool) {
	return slices.BinarySearchFunc(rs, name, func(r rec, n string) int { return cmp.Compare(r.name, n) })
}

// rawUser and rawGroup are the records of name, journal first.
func (m *rawManifest) rawUser(name string) ([]byte, bool, error) {
	if r, ok := m.jUsers[name]; ok {
		return r, r != nil, nil
	}
	return m.users.get(name)
}

func (m *rawManifest) rawGroup(name string) ([]byte, bool, error) {
	if r, ok := m.jGroups[name]; ok {
		return r, r != nil, nil
	}
	return m.groups.get(name)
}

func (m *rawManifest) user(name string) (userRec, bool, error) {
	var r userRec
	raw, ok, err := m.rawUser(name)
	if !ok || err != nil {
		return r, ok, err
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return r, true, fmt.Errorf("%s: user %q: %w", ManifestFile, name, err)
	}
	return r, true, nil
}

func (m *rawManifest) group(name string) (groupRec, bool, error) {
	var r groupRec
	raw, ok, err := m.rawGroup(name)
	if !ok || err != nil {
		return r, ok, err
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return r, true, fmt.Errorf("%s: group %q: %w", ManifestFile, name, err)
	}
	return r, true, nil
}

// allUsers and allGroups are every record, sorted by name.
func (m *rawManifest) allUsers() (iter.Seq2[string, []byte], error) {
	list, err := m.users.all()
	return merged(list, m.jUsers), err
}

func (m *rawManifest) allGroups() (iter.Seq2[string, []byte], error) {
	list, err := m.groups.all()
	return merged(list, m.jGroups), err
}

// merged yields the records of rs with the edits applied, sorted by name.
func merged(rs []rec, e edit) iter.Seq2[string, []byte] {
	return func(yield func(string, []byte) bool) {
		i := 0
		for _, n := range slices.Sorted(mapKeys(e)) {
			for ; i < len(rs) && rs[i].name < n; i++ {
				if !yield(rs[i].name, rs[i].raw) {
					return
				}
			}
			if i < len(rs) && rs[i].name == n {
				i++
			}
			if raw := e[n]; raw != nil && !yield(n, raw) {
				return
			}
		}
		for ; i < len(rs); i++ {
			if !yield(rs[i].name, rs[i].raw) {
				return
			}
		}
	}
}

// usersWith is the number of owned users once the edits are applied.
func (m *rawManifest) usersWith(e edit) (int, error) {
	n := m.userCount
	for name, raw := range e {
		_, before, err := m.rawUser(name)
		if err != nil {
			return 0, err
		}
		n += b2i(raw != nil) - b2i(before)
	}
	return n, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// currentHomeOfOther says whether home is the current home (the last of
// its homes) of an owned user not in skip. It scans the records for the
// home's JSON string and decodes only those that hold it.
func (m *rawManifest) currentHomeOfOther(home string, skip map[string]bool) (bool, error) {
	quoted, err := json.Marshal(home) // as the records have it
	if err != nil {
		return false, err
	}
	check := func(name string, raw []byte) (bool, error) {
		if skip[name] || !bytes.Contains(raw, quoted) {
			return false, nil
		}
		var u userRec
		if err := json.Unmarshal(raw, &u); err != nil {
			return false, fmt.Errorf("%s: user %q: %w", ManifestFile, name, err)
		}
		return len(u.Homes) > 0 && u.Homes[len(u.Homes)-1] == home, nil
	}
	for name, raw := range m.jUsers {
		if raw != nil {
			if used, err := check(name, raw); used || err != nil {
				return used, err
			}
		}
	}
	if !m.users.lazy() {
		for _, r := range m.users.list {
			if _, ok := m.jUsers[r.name]; !ok {
				if used, err := check(r.name, r.raw); used || err != nil {
					return used, err
				}
			}
		}
		return false, nil
	}
	data := m.users.data[:m.users.to]
	for off := m.users.from; ; {
		i := bytes.Index(data[off:], quoted)
		if i < 0 {
			return false, nil
		}
		start := bytes.LastIndexByte(data[:off+i], '\n') + 1
		end := lineEnd(data, off+i)
		off = end
		r, ok := parseRecLine(bytes.TrimSuffix(data[start:end], []byte(",")))
		if !ok {
			return false, fmt.Errorf("%s: a line is not a record", ManifestFile)
		}
		if _, ok := m.jUsers[r.name]; ok {
			continue
		}
		if used, err := check(r.name, r.raw); used || err != nil {
			return used, err
		}
	}
}

func (m *rawManifest) decode() (*manifest, error) {
	d := newManifest()
	users, err := m.allUsers()
	if err != nil {
		return nil, err
	}
	for n, raw := range users {
		var r userRec
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, fmt.Errorf("%s: user %q: %w", ManifestFile, n, err)
		}
		d.Users[n] = r
	}
	groups, err := m.allGroups()
	if err != nil {
		return nil, err
	}
	for n, raw := range groups {
		var r groupRec
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, fmt.Errorf("%s: group %q: %w", ManifestFile, n, err)
		}
		d.Groups[n] = r
	}
	return d, nil
}

// edit is a set of record changes: a nil raw removes the name.
type edit map[string][]byte

func (e edit) set(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	e[name] = b
	return nil
}

// diskState is what Apply knows the manifest files hold: their content,
// nil when missing.
type diskState struct {
	base, journal []byte
}

// store writes the manifest with the edits applied (over m: edits made by
// an earlier store of the same Apply must be in these too). They go to the
// journal; into the manifest file, the journal then removed, when compact
// is set or the journal would hold more than journalLimit records. Files
// that already hold what is to be written are left alone.
func (m *rawManifest) store(root string, users, groups edit, compact bool, disk *diskState) error {
	ju, jg := with(m.jUsers, users), with(m.jGroups, groups)
	// Changes that give a record back its base value need no entry.
	for n := range users {
		b, ok, err := m.users.get(n)
		if err != nil {
			return err
		}
		if bytes.Equal(b, ju[n]) && ok == (ju[n] != nil) {
			delete(ju, n)
		}
	}
	for n := range groups {
		b, ok, err := m.groups.get(n)
		if err != nil {
			return err
		}
		if bytes.Equal(b, jg[n]) && ok == (jg[n] != nil) {
			delete(jg, n)
		}
	}
	if !compact && bytes.Equal(disk.journal, m.journal) && sameEntries(m.jUsers, ju, users) && sameEntries(m.jGroups, jg, groups) {
		return nil // the journal read is still on disk and stays as it is
	}
	if err := os.MkdirAll(filepath.Join(root, stateDir), 0o700); err != nil {
		return err
	}
	jpath := filepath.Join(root, journalFile)
	if !compact && len(ju)+len(jg) <= journalLimit {
		if len(ju)+len(jg) == 0 {
			if disk.journal != nil {
				if _, err := removeFile(jpath); err != nil {
					return err
				}
				disk.journal = nil
			}
			return nil
		}
		count, err := m.usersWith(users)
		if err != nil {
			return err
		}
		data, err := json.Marshal(struct {
			Version   int  `json:"version"`
			UserCount int  `json:"user_count"`
			Users     edit `json:"users"`
			Groups    edit `json:"groups"`
		}{manifestVersion, count, ju, jg})
		if err != nil {
			return err
		}
		data = append(data, '\n')
		if _, err := writeFileKnown(jpath, data, disk.journal, disk.journal != nil, fileSpec{mode: 0o600}); err != nil {
			return err
		}
		disk.journal = data
		return nil
	}
	data, err := m.encodeBase(ju, jg)
	if err != nil {
		return err
	}
	if _, err := writeFileKnown(filepath.Join(root, ManifestFile), data, disk.base, disk.base != nil, fileSpec{mode: 0o600}); err != nil {
		return err
	}
	disk.base = data
	if _, err := removeFile(jpath); err != nil {
		return err
	}
	disk.journal = nil
	return nil
}

// MarshalJSON writes a removed record as null.
func (e edit) MarshalJSON() ([]byte, error) {
	m := make(map[string]json.RawMessage, len(e))
	for n, r := range e {
		if r == nil {
			r = []byte("null")
		}
		m[n] = r
	}
	return json.Marshal(m)
}

// sameEntries says whether a and b have the same entries for the names
// edited (the only ones where they may differ).
func sameEntries(a, b, edited edit) bool {
	for n := range edited {
		x, inA := a[n]
		y, inB := b[n]
		if inA != inB || !bytes.Equal(x, y) || (x == nil) != (y == nil) {
			return false
		}
	}
	return true
}

// with is a copy of a with the edits b applied over it.
func with(a, b edit) edit {
	out := make(edit, len(a)+len(b))
	for n, r := range a {
		out[n] = r
	}
	for n, r := range b {
		out[n] = r
	}
	return out
}
