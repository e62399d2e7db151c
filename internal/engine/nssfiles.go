package engine

import (
	"bytes"
	"math"
)

// The box's etc/passwd and etc/group as the system reads them: glibc's
// nss_files (nss/nss_readline.c, nss/nss_files/files-parse.c,
// pwd/fgetpwent_r.c, grp/fgetgrent_r.c, files-pwd.c, files-grp.c), which
// getpwuid, getpwnam, getgrgid, getgrnam, sudo, sshd and the kernel's
// callers all go through. An id is compared as the number glibc makes of
// its text ("03000", "+3000", " 3000" are all uid 3000), never as text, so
// that no spelling of an id hides a line from the engine.

// nssEntry is one line glibc returns from an account file.
type nssEntry struct {
	name string
	id   uint32 // uid (passwd) or gid (group)
	gid  uint32 // passwd: the primary gid
	// compat is a line whose name starts with '+' or '-' (nss_compat's
	// NIS lines): nss_files parses it but getpwuid/getpwnam/getgrgid/
	// getgrnam never return it.
	compat bool
	// members is the group line's member list (group only).
	members []string
	// gecos, home and shell are the passwd line's other fields.
	gecos, home, shell string
	// line is the line's number in the file (1-based), for messages.
	line int
}

// cSpace is isspace in the C locale.
func cSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// nssStrtou32 is files-parse.c's strtou32 as the box's glibc (Debian 12,
// 2.36, 64-bit) runs it: strtoul(s, &end, 10) (leading C-locale white
// space, one optional sign, decimal digits; a value that does not fit is
// ULONG_MAX; a '-' negates modulo 2^64), and a line whose value is above
// 0xffffffff is no entry (range false; TestNSSSpellingsGlibc shows it:
// "-1" and "4294967296" are skipped, "-18446744073709548616" is 3000).
// digits is false when no digit was read (end == s).
func nssStrtou32(s []byte) (v uint32, rest []byte, digits, inRange bool) {
	i := 0
	for i < len(s) && cSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var acc uint64
	overflow := false
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		d := uint64(s[i] - '0')
		if acc > (math.MaxUint64-d)/10 {
			overflow = true
		}
		acc = acc*10 + d
	}
	if i == start {
		return 0, s, false, true
	}
	switch {
	case overflow:
		acc = math.MaxUint64
	case neg:
		acc = -acc
	}
	if acc > math.MaxUint32 {
		return 0, s[i:], true, false
	}
	return uint32(acc), s[i:], true, true
}

// nssIntField is INT_FIELD (maybeNull false) or INT_FIELD_MAYBE_NULL with
// default 0 (maybeNull true) with ':' as the terminator, no swallowing.
func nssIntField(line []byte, maybeNull bool) (uint32, []byte, bool) {
	if maybeNull && len(line) == 0 {
		return 0, nil, false
	}
	v, rest, ok, inRange := nssStrtou32(line)
	if !inRange {
		return 0, nil, false
	}
	if !ok {
		if !maybeNull {
			return 0, nil, false
		}
		v, rest = 0, line
	}
	switch {
	case len(rest) > 0 && rest[0] == ':':
		rest = rest[1:]
	case len(rest) != 0:
		return 0, nil, false
	}
	return v, rest, true
}

// nssStringField is STRING_FIELD with ':' as the terminator.
func nssStringField(line []byte) (field, rest []byte) {
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		return line[:i], line[i+1:]
	}
	return line, nil
}

// nssLine prepares one line (without its '\n') as __nss_readline and
// LINE_PARSER do: the C string ends at the first NUL, leading white space
// goes, and an empty line or a comment is no entry (ok false).
func nssLine(raw []byte) ([]byte, bool) {
	if i := bytes.IndexByte(raw, 0); i >= 0 {
		raw = raw[:i]
	}
	i := 0
	for i < len(raw) && cSpace(raw[i]) {
		i++
	}
	raw = raw[i:]
	if len(raw) == 0 || raw[0] == '#' {
		return nil, false
	}
	return raw, true
}

// parsePasswdLine is _nss_files_parse_pwent on one prepared line; full
// keeps the gecos, home and shell too.
func parsePasswdLine(line []byte, full bool) (nssEntry, bool) {
	name, line := nssStringField(line)
	e := nssEntry{name: string(name), compat: len(name) > 0 && (name[0] == '+' || name[0] == '-')}
	if len(line) == 0 && e.compat {
		return e, true // "+" alone: nss_compat's include-all line
	}
	_, line = nssStringField(line) // the password
	var ok bool
	if e.id, line, ok = nssIntField(line, e.compat); !ok {
		return nssEntry{}, false
	}
	if e.gid, line, ok = nssIntField(line, e.compat); !ok {
		return nssEntry{}, false
	}
	if full {
		gecos, line := nssStringField(line)
		home, line := nssStringField(line)
		e.gecos, e.home, e.shell = string(gecos), string(home), string(line)
	}
	return e, true
}

// parseGroupLine is _nss_files_parse_grent on one prepared line, members
// (full only) split as parse_list does (white space before a member
// skipped, ',' between them, empty members dropped).
func parseGroupLine(line []byte, full bool) (nssEntry, bool) {
	name, line := nssStringField(line)
	e := nssEntry{name: string(name), compat: len(name) > 0 && (name[0] == '+' || name[0] == '-')}
	if len(line) == 0 && e.compat {
		return e, true
	}
	_, line = nssStringField(line)
	var ok bool
	if e.id, line, ok = nssIntField(line, e.compat); !ok {
		return nssEntry{}, false
	}
	for full && len(line) > 0 {
		i := 0
		for i < len(line) && cSpace(line[i]) {
			i++
		}
		line = line[i:]
		j := bytes.IndexByte(line, ',')
		if j < 0 {
			j = len(line)
		}
		if j > 0 {
			e.members = append(e.members, string(line[:j]))
		}
		if j == len(line) {
			break
		}
		line = line[j+1:]
	}
	return e, true
}

// nssEntries parses a whole passwd (passwd true) or group file: every line
// glibc returns, in file order, with all their fields.
func nssEntries(data []byte, passwd bool) []nssEntry { return parseNSS(data, passwd, true) }

func parseNSS(data []byte, passwd, full bool) []nssEntry {
	out := make([]nssEntry, 0, bytes.Count(data, []byte{'\n'})+1)
	for n := 1; len(data) > 0; n++ {
		raw := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			raw, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line, ok := nssLine(raw)
		if !ok {
			continue
		}
		var e nssEntry
		if passwd {
			e, ok = parsePasswdLine(line, full)
		} else {
			e, ok = parseGroupLine(line, full)
		}
		if ok {
			e.line = n
			out = append(out, e)
		}
	}
	return out
}

// nssIndex is one account file as the system resolves it: what getpwuid/
// getgrgid (byID) and getpwnam/getgrnam (byName) return, the first line
// in file order, and every id any line holds (held), the NIS-compat lines
// included, so that no id a line has is ever handed to another account.
type nssIndex struct {
	entries []nssEntry
	byID    map[uint32]int
	byName  map[string]int
	held    map[uint32]int
	// primary (passwd only) holds every primary gid of a line, first line.
	primary map[uint32]int
}

func newNSSIndex(data []byte, passwd bool) *nssIndex {
	entries := parseNSS(data, passwd, false)
	n := len(entries)
	ix := &nssIndex{entries: entries, byID: make(map[uint32]int, n), byName: make(map[string]int, n),
		held: make(map[uint32]int, n), primary: map[uint32]int{}}
	if passwd {
		ix.primary = make(map[uint32]int, n)
	}
	for i := range ix.entries {
		e := &ix.entries[i]
		if _, ok := ix.held[e.id]; !ok {
			ix.held[e.id] = i
		}
		if passwd {
			if _, ok := ix.primary[e.gid]; !ok {
				ix.primary[e.gid] = i
			}
		}
		if e.compat {
			continue
		}
		if _, ok := ix.byID[e.id]; !ok {
			ix.byID[e.id] = i
		}
		if _, ok := ix.byName[e.name]; !ok {
			ix.byName[e.name] = i
		}
	}
	return ix
}

// nssID converts an engine id to the uint32 glibc compares; ok is false
// for an id no line can hold.
func nssID(id int64) (uint32, bool) {
	if id < 0 || id > math.MaxUint32 {
		return 0, false
	}
	return uint32(id), true
}

// lookupID is getpwuid/getgrgid.
func (ix *nssIndex) lookupID(id int64) (*nssEntry, bool) {
	v, ok := nssID(id)
	if !ok {
		return nil, false
	}
	i, ok := ix.byID[v]
	if !ok {
		return nil, false
	}
	return &ix.entries[i], true
}

// lookupName is getpwnam/getgrnam.
func (ix *nssIndex) lookupName(name string) (*nssEntry, bool) {
	i, ok := ix.byName[name]
	if !ok {
		return nil, false
	}
	return &ix.entries[i], true
}

// holder is the first line that holds id, NIS-compat lines included.
func (ix *nssIndex) holder(id int64) (*nssEntry, bool) {
	v, ok := nssID(id)
	if !ok {
		return nil, false
	}
	i, ok := ix.held[v]
	if !ok {
		return nil, false
	}
	return &ix.entries[i], true
}

// primaryHolder (passwd) is the first line whose primary gid is gid.
func (ix *nssIndex) primaryHolder(gid int64) (*nssEntry, bool) {
	v, ok := nssID(gid)
	if !ok {
		return nil, false
	}
	i, ok := ix.primary[v]
	if !ok {
		return nil, false
	}
	return &ix.entries[i], true
}
