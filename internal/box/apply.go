//go:build unix

package box

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ApplyResult brings the box under root in line with st and says what it
// changed. The caller must hold Lock(root) for the whole call: Apply uses
// fixed temporary names and reads then rewrites the manifest.
//
// Order, chosen so that a crash at any point is repaired by the next Apply:
// validate and read everything; refuse conflicts before writing anything;
// write an intent manifest (every name owned before or after); write
// etc/group, etc/gshadow, etc/passwd, etc/shadow (each atomically, previous
// version kept as "<name>-"); homes and authorized_keys; remove .ssh of
// removed users; the sudoers and sshd drop-ins; then the final manifest.
// Running it twice with the same State writes nothing the second time.
//
// Ownership is decided by the manifest, never guessed from UIDs: lines of
// names the engine did not write are kept byte for byte, in place; new
// owned lines are appended in State order. A State user whose name has a
// foreign line is a *ConflictError (nothing written). A State group whose
// name has a foreign line with the same GID becomes "members managed": only
// the member field (4th; also gshadow's 4th) of that line is set, to exactly
// Group.Members (nil empties it), and when the group leaves the State the
// line is left as it is.
//
// Errors about one home (say, its path is a file) do not stop the others;
// they are joined and returned after the account files were written, and
// the final manifest is not written, so the next Apply retries.
//
// Chowns that fail with EPERM are ignored: when not running as root (tests,
// a sandbox run by a normal user) files stay owned by the caller.
func ApplyResult(root string, st State) (*Result, error) {
	if err := validate(st); err != nil {
		return nil, err
	}
	res := &Result{}
	removeStaleTemps(root)
	old, err := readManifest(root)
	if err != nil {
		return nil, err
	}

	files := map[string][]byte{}
	exists := map[string]bool{}
	for _, f := range []string{PasswdFile, GroupFile, ShadowFile, GShadowFile} {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err == nil {
			files[f], exists[f] = data, true
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	passwd := parseDB(files[PasswdFile])
	shadow := parseDB(files[ShadowFile])
	group := parseDB(files[GroupFile])
	gshadow := parseDB(files[GShadowFile])

	// Ownership and conflicts.
	next := newManifest()
	conflict := &ConflictError{}
	for i := range st.Users {
		u := &st.Users[i]
		if _, owned := old.Users[u.Name]; !owned && (passwd.has(u.Name) || shadow.has(u.Name)) {
			conflict.Users = append(conflict.Users, u.Name)
		}
		rec := userRec{}
		if h, ok := homePath(u.Home); ok {
			rec.Homes = []string{h}
		}
		next.Users[u.Name] = rec
	}
	for i := range st.Groups {
		g := &st.Groups[i]
		rec := groupRec{}
		if o, owned := old.Groups[g.Name]; !owned || o.MembersOnly {
			if line, ok := group.line(g.Name); ok {
				if field(line, 2) == strconv.FormatInt(g.GID, 10) {
					rec.MembersOnly = true
				} else {
					conflict.Groups = append(conflict.Groups, g.Name)
				}
			} else if !owned && gshadow.has(g.Name) {
				conflict.Groups = append(conflict.Groups, g.Name)
			}
		}
		next.Groups[g.Name] = rec
	}
	if len(conflict.Users)+len(conflict.Groups) > 0 {
		return nil, conflict
	}

	// Intent manifest.
	intent := union(old, next)
	for n, r := range next.Users {
		if o, ok := old.Users[n]; ok {
			r.Perm = o.Perm // refreshed below once applied
			next.Users[n] = r
		}
	}
	if err := intent.write(root); err != nil {
		return nil, err
	}

	// Desired lines.
	userSet := make(map[string]bool, len(st.Users))
	pwLines := make(map[string][]byte, len(st.Users))
	shLines := make(map[string][]byte, len(st.Users))
	pwOrder := make([]string, 0, len(st.Users))
	for i := range st.Users {
		u := &st.Users[i]
		userSet[u.Name] = true
		pwOrder = append(pwOrder, u.Name)
		pwLines[u.Name] = passwdLine(u)
		shLines[u.Name] = shadowLine(u)
	}
	var removeUsers, removeGroups []string
	for n := range old.Users {
		if !userSet[n] {
			removeUsers = append(removeUsers, n)
		}
	}
	grLines := map[string][]byte{}
	gsLines := map[string][]byte{}
	var grOrder []string
	grMembers := map[string][]byte{} // members-only groups
	for i := range st.Groups {
		g := &st.Groups[i]
		members := []byte(strings.Join(g.Members, ","))
		if next.Groups[g.Name].MembersOnly {
			grMembers[g.Name] = members
			continue
		}
		grOrder = append(grOrder, g.Name)
		grLines[g.Name] = []byte(g.Name + ":x:" + strconv.FormatInt(g.GID, 10) + ":" + string(members))
		gsLines[g.Name] = []byte(g.Name + ":!::" + string(members))
	}
	for n, r := range old.Groups {
		if _, keep := next.Groups[n]; !keep && !r.MembersOnly {
			removeGroups = append(removeGroups, n)
		}
	}
	sort.Strings(removeUsers)
	sort.Strings(removeGroups)

	newGroup := keepEOL(files[GroupFile], merge(group, grLines, grOrder, removeGroups, grMembers))
	newPasswd := keepEOL(files[PasswdFile], merge(passwd, pwLines, pwOrder, removeUsers, nil))
	newShadow := keepEOL(files[ShadowFile], merge(shadow, shLines, pwOrder, removeUsers, nil))
	shadowGID := 0
	if l, ok := parseDB(newGroup).line("shadow"); ok {
		if n, err := strconv.Atoi(field(l, 2)); err == nil {
			shadowGID = n
		}
	}
	type fileWrite struct {
		name string
		data []byte
		spec fileSpec
	}
	writes := []fileWrite{{GroupFile, newGroup, fileSpec{mode: 0o644, backup: true}}}
	if exists[GShadowFile] {
		newGShadow := keepEOL(files[GShadowFile], merge(gshadow, gsLines, grOrder, removeGroups, grMembers))
		writes = append(writes, fileWrite{GShadowFile, newGShadow, fileSpec{mode: 0o640, gid: shadowGID, backup: true}})
	}
	writes = append(writes,
		fileWrite{PasswdFile, newPasswd, fileSpec{mode: 0o644, backup: true}},
		fileWrite{ShadowFile, newShadow, fileSpec{mode: 0o640, gid: shadowGID, backup: true}})
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		return nil, err
	}
	for _, w := range writes {
		changed, err := writeFileAtomic(filepath.Join(root, w.name), w.data, w.spec)
		if err != nil {
			return nil, fmt.Errorf("box: write %s: %w", w.name, err)
		}
		if changed {
			res.Files = append(res.Files, w.name)
		}
	}

	// Homes and keys. Removed users first, so that a home reused by a
	// current user is handled last.
	inUse := make(map[string]bool, len(st.Users))
	for n := range next.Users {
		for _, h := range next.Users[n].Homes {
			inUse[h] = true
		}
	}
	var errs []error
	b := &batch{}
	for _, n := range removeUsers {
		for _, h := range old.Users[n].Homes {
			if inUse[h] {
				continue
			}
			if err := removeSSHDir(root, h, b); err != nil {
				errs = append(errs, fmt.Errorf("box: user %q: %w", n, err))
			}
		}
	}
	for i := range st.Users {
		u := &st.Users[i]
		rec := next.Users[u.Name]
		perm, err := applyHome(root, u, rec.Perm, b)
		if err != nil {
			errs = append(errs, fmt.Errorf("box: user %q: %w", u.Name, err))
			continue
		}
		rec.Perm = perm
		next.Users[u.Name] = rec
	}

	if err := b.commit(); err != nil {
		errs = append(errs, err)
	}

	// Drop-ins.
	changed, err := writeSudoers(root, st)
	if err != nil {
		errs = append(errs, err)
	} else if changed {
		res.Files = append(res.Files, SudoersFile)
	}
	changed, err = writeSSHD(root, st)
	if err != nil {
		errs = append(errs, err)
	} else if changed {
		res.Files = append(res.Files, SSHDFile)
		res.SSHDChanged = true
	}

	if len(errs) > 0 {
		// Keep the intent manifest (a superset): the next Apply retries.
		return res, errors.Join(errs...)
	}
	if err := next.write(root); err != nil {
		return res, err
	}
	return res, nil
}

// removeStaleTemps removes the temporary files a crashed Apply may have
// left beside the files it writes.
func removeStaleTemps(root string) {
	for _, f := range []string{PasswdFile, GroupFile, ShadowFile, GShadowFile, SudoersFile, SSHDFile, ManifestFile} {
		p := filepath.Join(root, f)
		_ = os.Remove(tmpName(p))
		_ = os.Remove(tmpName(p + "-"))
	}
}

func passwdLine(u *User) []byte {
	return []byte(u.Name + ":x:" + strconv.FormatInt(u.UID, 10) + ":" + strconv.FormatInt(u.GID, 10) +
		":" + u.Gecos + ":" + u.Home + ":" + u.Shell)
}

// shadowLine is "name:HASH:LASTCHANGE:0:99999:7:::". An empty hash is "*";
// Locked puts "!" in front. A LastChange of 0 or less is written as an empty
// field (aging off), since 0 would force a password change at next login.
func shadowLine(u *User) []byte {
	h := u.Hash
	if h == "" {
		h = "*"
	}
	if u.Locked {
		h = "!" + h
	}
	lc := ""
	if u.LastChange > 0 {
		lc = strconv.FormatInt(u.LastChange, 10)
	}
	return []byte(u.Name + ":" + h + ":" + lc + ":0:99999:7:::")
}

// homePath is the cleaned home where the engine may create folders and
// keys, or false when the home is /var/empty or not absolute.
func homePath(home string) (string, bool) {
	if !strings.HasPrefix(home, "/") {
		return "", false
	}
	h := filepath.Clean(home)
	if h == "/var/empty" || h == "/" {
		return "", false
	}
	return h, true
}

// db is a colon-separated account file: its lines (without "\n") and the
// first line of each name.
type db struct {
	lines [][]byte
	index map[string]int
}

func parseDB(data []byte) *db {
	d := &db{index: map[string]int{}}
	if len(data) == 0 {
		return d
	}
	d.lines = bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	for i, l := range d.lines {
		if k := key(l); k != "" {
			if _, dup := d.index[k]; !dup {
				d.index[k] = i
			}
		}
	}
	return d
}

// key is the name of a line: what comes before the first colon. Lines
// without a colon (comments, blank lines) have none.
func key(l []byte) string {
	i := bytes.IndexByte(l, ':')
	if i <= 0 {
		return ""
	}
	return string(l[:i])
}

func (d *db) has(name string) bool { _, ok := d.index[name]; return ok }

func (d *db) line(name string) ([]byte, bool) {
	i, ok := d.index[name]
	if !ok {
		return nil, false
	}
	return d.lines[i], true
}

// field returns the i-th colon-separated field of l.
func field(l []byte, i int) string {
	f := bytes.SplitN(l, []byte(":"), i+2)
	if i < len(f) {
		return string(f[i])
	}
	return ""
}

// withField returns l with its i-th field replaced (l must have > i fields;
// otherwise l is padded with empty fields).
func withField(l []byte, i int, v []byte) []byte {
	f := bytes.Split(l, []byte(":"))
	for len(f) <= i {
		f = append(f, nil)
	}
	f[i] = v
	return bytes.Join(f, []byte(":"))
}

// merge rewrites d: lines of names in want are replaced in place by the
// wanted line (later duplicates dropped), lines of names in remove are
// dropped, lines of names in members get their 4th field (index 3) set,
// every other line is kept byte for byte; wanted names with no line are
// appended in order.
func merge(d *db, want map[string][]byte, order []string, remove []string, members map[string][]byte) []byte {
	rm := make(map[string]bool, len(remove))
	for _, n := range remove {
		rm[n] = true
	}
	size := 0
	for _, l := range d.lines {
		size += len(l) + 1
	}
	for _, l := range want {
		size += len(l) + 1
	}
	out := make([]byte, 0, size)
	seen := make(map[string]bool, len(want))
	for _, l := range d.lines {
		k := key(l)
		if k != "" {
			if w, ok := want[k]; ok {
				if !seen[k] {
					seen[k] = true
					out = append(out, w...)
					out = append(out, '\n')
				}
				continue
			}
			if rm[k] {
				continue
			}
			if m, ok := members[k]; ok {
				if field(l, 3) != string(m) {
					l = withField(l, 3, m)
				}
			}
		}
		out = append(out, l...)
		out = append(out, '\n')
	}
	for _, n := range order {
		if !seen[n] {
			out = append(out, want[n]...)
			out = append(out, '\n')
		}
	}
	return out
}

// keepEOL returns orig when out only differs from it by the final newline
// that merge adds to a file lacking one, so that an unchanged file is not
// rewritten.
func keepEOL(orig, out []byte) []byte {
	if len(orig) > 0 && orig[len(orig)-1] != '\n' && len(out) == len(orig)+1 && bytes.Equal(out[:len(orig)], orig) {
		return orig
	}
	return out
}

// validate refuses a State that would corrupt the files.
func validate(st State) error {
	var errs []error
	bad := func(what, name, why string) {
		errs = append(errs, fmt.Errorf("box: %s %q: %s", what, name, why))
	}
	users := make(map[string]bool, len(st.Users))
	for i := range st.Users {
		u := &st.Users[i]
		if why := checkName(u.Name); why != "" {
			bad("user", u.Name, why)
		}
		if users[u.Name] {
			bad("user", u.Name, "listed twice")
		}
		users[u.Name] = true
		for f, v := range map[string]string{"full name": u.Gecos, "home": u.Home, "shell": u.Shell, "hash": u.Hash} {
			if strings.ContainsAny(v, ":\n\r\x00") {
				bad("user", u.Name, f+" contains ':' or a line break")
			}
		}
		if u.UID < 0 || u.GID < 0 {
			bad("user", u.Name, "negative uid or gid")
		}
		if u.HomeMode > 0o7777 {
			bad("user", u.Name, "home mode out of range")
		}
		for _, c := range append(append([]string{}, u.SudoCommands...), u.SudoCommandsNopasswd...) {
			if strings.ContainsAny(c, "\n\r\x00") {
				bad("user", u.Name, "sudo command contains a line break")
			}
		}
	}
	groups := make(map[string]bool, len(st.Groups))
	for i := range st.Groups {
		g := &st.Groups[i]
		if why := checkName(g.Name); why != "" {
			bad("group", g.Name, why)
		}
		if groups[g.Name] {
			bad("group", g.Name, "listed twice")
		}
		groups[g.Name] = true
		if g.GID < 0 {
			bad("group", g.Name, "negative gid")
		}
		for _, m := range g.Members {
			if why := checkName(m); why != "" {
				bad("group", g.Name, "member "+strconv.Quote(m)+": "+why)
			}
		}
		for _, c := range append(append([]string{}, g.SudoCommands...), g.SudoCommandsNopasswd...) {
			if strings.ContainsAny(c, "\n\r\x00") {
				bad("group", g.Name, "sudo command contains a line break")
			}
		}
	}
	return errors.Join(errs...)
}

func checkName(n string) string {
	switch {
	case n == "":
		return "empty name"
	case strings.ContainsAny(n, ":,\n\r\t \x00/\\#%@\"'*?"):
		return "name contains a character not allowed in account files"
	case n[0] == '+' || n[0] == '-' || n[0] == '!':
		return "name starts with a character reserved in account files"
	}
	return ""
}
