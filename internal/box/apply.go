//go:build unix

package box

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// ApplyResult brings the box under root in line with st and says what it
// changed. The caller must hold Lock(root) for the whole call: Apply uses
// fixed temporary names and reads then rewrites the manifest.
//
// Order, chosen so that a crash at any point is repaired by the next Apply:
// validate and read everything; leave out the accounts that conflict;
// write an intent manifest (every name owned before or after); write
// etc/group, etc/gshadow, etc/passwd, etc/shadow (each atomically, previous
// version kept as "<name>-"); homes and authorized_keys; remove .ssh of
// removed users; the sudoers and sshd drop-ins; then the final manifest.
// Running it twice with the same State writes nothing the second time.
//
// Ownership is decided by the manifest, never guessed from UIDs: lines of
// names the engine did not write are kept byte for byte, in place; new
// owned lines are appended in State order. A State user or group whose
// name has a foreign line (for a group: with another GID) is left out,
// with its sudo rules and its name in member lists, and reported in an
// *AccountErrors. A State group whose name has a foreign line with the
// same GID becomes "members managed": only the member field (4th; also
// gshadow's 4th) of that line is set, to exactly Group.Members (nil
// empties it), and when the group leaves the State the line is left as
// it is.
//
// Errors about one home (its path is a file, a symlink, .ssh is a file)
// do not stop the others: that user's record keeps the homes and
// permissions it had, so that applying it again redoes the work, and the
// errors come back in an *AccountErrors after everything else, the final
// manifest included, was written. An error about the box itself (the
// account files, the drop-ins, the manifest) is returned as it is.
//
// Chowns that fail with EPERM are ignored: when not running as root (tests,
// a sandbox run by a normal user) files stay owned by the caller.
func ApplyResult(root string, st State) (*Result, error) {
	if err := validate(st); err != nil {
		return nil, err
	}
	for i := range st.Groups {
		if st.Groups[i].MembersAdded {
			return nil, fmt.Errorf("box: group %q: MembersAdded is for a Change, not a whole State", st.Groups[i].Name)
		}
	}
	return apply(root, &plan{all: true, users: st.Users, groups: st.Groups, sudo: st})
}

// ApplyChange is ApplyResult for a change to a few accounts of a box that
// was in line with the State before it: it still reads and writes the
// account files whole (foreign lines byte for byte), but looks up only the
// lines and manifest records of the changed names, visits only the homes
// of changed users and writes the manifest's changes to its journal, so
// that its cost hardly grows with the number of accounts. The result is what ApplyResult with the
// whole new State gives, provided the box was in line before and c names
// every account whose entry changed; the caller must know both (the engine
// records the generation it applied, and which accounts each generation
// touched), and use ApplyResult to repair a box that may be out of line.
//
// The sshd drop-in is edited, not made from the whole State: when it
// cannot be (missing, not in the form Apply writes, or not naming as many
// users as the manifest owns, say after a failed Apply or a hand edit),
// ApplyChange writes nothing and returns ErrFullApply, and the caller then
// applies the whole State with ApplyResult. The caller must hold
// Lock(root).
func ApplyChange(root string, c Change) (*Result, error) {
	if err := validate(State{Users: c.Users, Groups: c.Groups}); err != nil {
		return nil, err
	}
	if err := validate(State{Users: c.SudoUsers, Groups: c.SudoGroups}); err != nil {
		return nil, err
	}
	p := &plan{users: c.Users, groups: slices.Clone(c.Groups), sudo: State{Users: c.SudoUsers, Groups: c.SudoGroups},
		goneUsers: map[string]bool{}, goneGroups: map[string]bool{}}
	var errs []error
	for _, n := range c.RemovedUsers {
		if why := checkName(n); why != "" {
			errs = append(errs, fmt.Errorf("box: removed user %q: %s", n, why))
		}
		p.goneUsers[n] = true
	}
	for _, n := range c.RemovedGroups {
		if why := checkName(n); why != "" {
			errs = append(errs, fmt.Errorf("box: removed group %q: %s", n, why))
		}
		p.goneGroups[n] = true
	}
	for i := range c.Users {
		if p.goneUsers[c.Users[i].Name] {
			errs = append(errs, fmt.Errorf("box: user %q: both changed and removed", c.Users[i].Name))
		}
	}
	for i := range c.Groups {
		if p.goneGroups[c.Groups[i].Name] {
			errs = append(errs, fmt.Errorf("box: group %q: both changed and removed", c.Groups[i].Name))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return apply(root, p)
}

// plan is what one Apply brings in line: the whole State (all), or the
// changed accounts of a Change.
type plan struct {
	all    bool
	users  []User
	groups []Group
	// goneUsers and goneGroups are the changed names no longer in the
	// State (a Change only; for the whole State every owned name not in it).
	goneUsers, goneGroups map[string]bool
	// sudo holds at least every user and group with sudo rules.
	sudo State
}

func apply(root string, p *plan) (*Result, error) {
	// The account files are read and written under shadow-utils' locks:
	// Lock's, or this apply's own when called without it.
	if !holdsAccountLocks(root) {
		l, err := lockAccountFiles(root)
		if err != nil {
			return nil, err
		}
		defer l.release()
	}
	res := &Result{}
	removeStaleTemps(root)
	old, err := readRawManifest(root)
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
	// The names whose lines are looked up: all for a whole State.
	var interest map[string]bool
	if !p.all {
		interest = make(map[string]bool, len(p.users)+len(p.groups)+len(p.goneUsers)+len(p.goneGroups))
		for i := range p.users {
			interest[p.users[i].Name] = true
		}
		for i := range p.groups {
			interest[p.groups[i].Name] = true
		}
		for n := range p.goneUsers {
			interest[n] = true
		}
		for n := range p.goneGroups {
			interest[n] = true
		}
	}
	passwd := readLines(files[PasswdFile], interest)
	shadow := readLines(files[ShadowFile], interest)
	group := readLines(files[GroupFile], interest)
	gshadow := readLines(files[GShadowFile], interest)

	// Members added to the line as it is.
	for i := range p.groups {
		g := &p.groups[i]
		if !g.MembersAdded {
			continue
		}
		line, ok := group.line(g.Name)
		if !ok {
			return nil, ErrFullApply
		}
		var members []string
		if f := field(line, 3); f != "" {
			members = strings.Split(f, ",")
		}
		for _, n := range g.Members {
			if slices.Contains(members, n) {
				return nil, ErrFullApply // the line is not as the Change takes it
			}
		}
		g.Members, g.MembersAdded = append(members, g.Members...), false
	}

	// Accounts whose name has a foreign line are left out of this apply
	// (their lines stay byte for byte), and so are their memberships; the
	// others are applied. The caller learns of them from AccountErrors.
	acct := &AccountErrors{}
	if c, err := findConflicts(p, old, passwd, shadow, group, gshadow); err != nil {
		return nil, err
	} else if c != nil {
		acct.Conflict = c
		p.drop(c)
	}

	// Ownership and conflicts.
	conflict := &ConflictError{}
	nextUsers := make([]userRec, len(p.users))
	failUsers := make([]userRec, len(p.users)) // a user's record when its home fails
	intentUsers, nextUserEdit := edit{}, edit{}
	for i := range p.users {
		u := &p.users[i]
		o, owned, err := old.user(u.Name)
		if err != nil {
			return nil, err
		}
		if !owned && (passwd.has(u.Name) || shadow.has(u.Name)) {
			conflict.Users = append(conflict.Users, u.Name)
		}
		r := userRec{Perm: o.Perm} // Perm refreshed below once applied
		if h, ok := homePath(u.Home); ok {
			r.Homes = []string{h}
		}
		nextUsers[i] = r
		// The intent keeps every home where .ssh may be written.
		failUsers[i] = o
		switch {
		case !owned:
			failUsers[i] = userRec{Homes: r.Homes}
			if err := intentUsers.set(u.Name, failUsers[i]); err != nil {
				return nil, err
			}
		case len(r.Homes) == 1 && !slices.Contains(o.Homes, r.Homes[0]):
			o.Homes = append(slices.Clone(o.Homes), r.Homes[0])
			failUsers[i] = o
			if err := intentUsers.set(u.Name, o); err != nil {
				return nil, err
			}
		}
		if err := nextUserEdit.set(u.Name, r); err != nil {
			return nil, err
		}
	}
	nextGroups := make([]groupRec, len(p.groups))
	intentGroups, nextGroupEdit := edit{}, edit{}
	for i := range p.groups {
		g := &p.groups[i]
		o, owned, err := old.group(g.Name)
		if err != nil {
			return nil, err
		}
		r := groupRec{}
		if !owned || o.MembersOnly {
			if line, ok := group.line(g.Name); ok {
				if field(line, 2) == strconv.FormatInt(g.GID, 10) {
					r.MembersOnly = true
				} else {
					conflict.Groups = append(conflict.Groups, g.Name)
				}
			} else if !owned && gshadow.has(g.Name) {
				conflict.Groups = append(conflict.Groups, g.Name)
			}
			// An owned line stays owned until the final manifest.
			if err := intentGroups.set(g.Name, r); err != nil {
				return nil, err
			}
		}
		nextGroups[i] = r
		if err := nextGroupEdit.set(g.Name, r); err != nil {
			return nil, err
		}
	}
	if len(conflict.Users)+len(conflict.Groups) > 0 {
		return nil, conflict
	}

	// Owned names that leave: their lines go (members-only groups: their
	// record goes, the line stays).
	var removeUsers, removeGroups []string
	if p.all {
		in := make(map[string]bool, len(p.users))
		for i := range p.users {
			in[p.users[i].Name] = true
		}
		users, err := old.allUsers()
		if err != nil {
			return nil, err
		}
		for n := range users {
			if !in[n] {
				removeUsers = append(removeUsers, n)
			}
		}
		clear(in)
		for i := range p.groups {
			in[p.groups[i].Name] = true
		}
		groups, err := old.allGroups()
		if err != nil {
			return nil, err
		}
		for n := range groups {
			if !in[n] {
				p.goneGroupsAdd(n)
			}
		}
	} else {
		for n := range p.goneUsers {
			if _, owned, err := old.rawUser(n); err != nil {
				return nil, err
			} else if owned {
				removeUsers = append(removeUsers, n)
			}
		}
	}
	for n := range p.goneGroups {
		o, owned, err := old.group(n)
		if err != nil {
			return nil, err
		}
		if owned {
			nextGroupEdit[n] = nil
			if !o.MembersOnly {
				removeGroups = append(removeGroups, n)
			}
		}
	}
	removed := make(map[string]userRec, len(removeUsers))
	for _, n := range removeUsers {
		o, _, err := old.user(n)
		if err != nil {
			return nil, err
		}
		removed[n] = o
		nextUserEdit[n] = nil
	}
	sort.Strings(removeUsers)
	sort.Strings(removeGroups)

	// The users a Change touches.
	touched := make(map[string]bool, len(p.users)+len(p.goneUsers))
	for i := range p.users {
		touched[p.users[i].Name] = true
	}
	for n := range p.goneUsers {
		touched[n] = true
	}

	// The sshd drop-in lists every owned user. A whole State has them all;
	// a Change edits the names of the file, which must then be exactly
	// the owned users.
	var sshd []byte
	if p.all {
		sshd = sshdContent(sshdLists(p.users))
	} else {
		data, err := os.ReadFile(filepath.Join(root, SSHDFile))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		yes, no, ok := parseSSHD(data)
		if !ok {
			return nil, ErrFullApply
		}
		addYes, addNo := sshdLists(p.users)
		yes, no = withNames(yes, touched, addYes), withNames(no, touched, addNo)
		// The drop-in must name as many users as the manifest will own:
		// one missing, emptied or cut short by hand is not edited but
		// written again from the whole State.
		owned, err := old.usersWith(nextUserEdit)
		if err != nil {
			return nil, err
		}
		if len(yes)+len(no) != owned {
			return nil, ErrFullApply
		}
		sshd = sshdContent(yes, no)
	}

	// Intent manifest.
	disk := &diskState{base: old.base, journal: old.journal}
	if err := old.store(root, intentUsers, intentGroups, p.all, disk); err != nil {
		return nil, err
	}

	// Desired lines.
	pwLines := make(map[string][]byte, len(p.users))
	shLines := make(map[string][]byte, len(p.users))
	pwOrder := make([]string, 0, len(p.users))
	for i := range p.users {
		u := &p.users[i]
		pwOrder = append(pwOrder, u.Name)
		pwLines[u.Name] = passwdLine(u)
		shLines[u.Name] = shadowLine(u)
	}
	grLines := map[string][]byte{}
	gsLines := map[string][]byte{}
	var grOrder []string
	grMembers := map[string][]byte{} // members-only groups
	for i := range p.groups {
		g := &p.groups[i]
		members := []byte(strings.Join(g.Members, ","))
		if nextGroups[i].MembersOnly {
			grMembers[g.Name] = members
			continue
		}
		grOrder = append(grOrder, g.Name)
		grLines[g.Name] = []byte(g.Name + ":x:" + strconv.FormatInt(g.GID, 10) + ":" + string(members))
		gsLines[g.Name] = []byte(g.Name + ":!::" + string(members))
	}

	newGroup := keepEOL(files[GroupFile], group.merge(grLines, grOrder, removeGroups, grMembers))
	newPasswd := keepEOL(files[PasswdFile], passwd.merge(pwLines, pwOrder, removeUsers, nil))
	newShadow := keepEOL(files[ShadowFile], shadow.merge(shLines, pwOrder, removeUsers, nil))
	shadowGID := 0
	if l, ok := firstLine(newGroup, "shadow"); ok {
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
		newGShadow := keepEOL(files[GShadowFile], gshadow.merge(gsLines, grOrder, removeGroups, grMembers))
		writes = append(writes, fileWrite{GShadowFile, newGShadow, fileSpec{mode: 0o640, gid: shadowGID, backup: true, secret: true}})
	}
	writes = append(writes,
		fileWrite{PasswdFile, newPasswd, fileSpec{mode: 0o644, backup: true}},
		fileWrite{ShadowFile, newShadow, fileSpec{mode: 0o640, gid: shadowGID, backup: true, secret: true}})
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		return nil, err
	}
	for _, w := range writes {
		changed, err := writeFileKnown(filepath.Join(root, w.name), w.data, files[w.name], exists[w.name], w.spec)
		if err != nil {
			return nil, fmt.Errorf("box: write %s: %w", w.name, err)
		}
		if changed {
			res.Files = append(res.Files, w.name)
		}
	}

	// Homes and keys. Removed users first, so that a home reused by a
	// current user is handled last.
	inUse := make(map[string]bool, len(p.users))
	for i := range nextUsers {
		for _, h := range nextUsers[i].Homes {
			inUse[h] = true
		}
	}
	var errs []error
	b := &batch{}
	defer b.Close()
	homeOf := map[string]string{} // host path of a home -> its user
	for _, n := range removeUsers {
		for _, h := range removed[n].Homes {
			if inUse[h] {
				continue
			}
			if !p.all {
				// A Change does not list the others: is h the current
				// home of an owned user it does not touch?
				used, err := old.currentHomeOfOther(h, touched)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				if used {
					continue
				}
			}
			if err := removeSSHDir(root, h, b); err != nil {
				acct.addUser(n, fmt.Errorf("box: user %q: %w", n, err))
			}
		}
	}
	for i := range p.users {
		u := &p.users[i]
		perm, err := applyHome(root, u, nextUsers[i].Perm, b)
		if err != nil {
			// Only this user: its record keeps every home it may have
			// written to and the old permissions, so that the next apply
			// of it does it all again.
			acct.addUser(u.Name, fmt.Errorf("box: user %q: %w", u.Name, err))
			if err := nextUserEdit.set(u.Name, failUsers[i]); err != nil {
				return res, err
			}
			continue
		}
		if h, ok := homePath(u.Home); ok {
			homeOf[filepath.Join(root, h)] = u.Name
		}
		nextUsers[i].Perm = perm
		if err := nextUserEdit.set(u.Name, nextUsers[i]); err != nil {
			errs = append(errs, err)
		}
	}

	homeErrs, err := b.commit()
	if err != nil {
		errs = append(errs, err)
	}
	for hp, herr := range homeErrs {
		acct.addUser(homeOf[hp], herr)
	}

	// Drop-ins.
	changed, badSudo, err := writeSudoers(root, p.sudo)
	if err != nil {
		errs = append(errs, err)
	} else if changed {
		res.Files = append(res.Files, SudoersFile)
	}
	for _, b := range badSudo {
		// An account whose commands sudo would read otherwise than asked
		// (stored by an older engine) is left out of the drop-in: it
		// loses its rules, every other account keeps its own.
		if b.group {
			errs = append(errs, b.err)
		} else {
			acct.addUser(b.name, b.err)
		}
	}
	changed, err = writeSSHD(root, sshd)
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
	if err := old.store(root, nextUserEdit, nextGroupEdit, p.all, disk); err != nil {
		return res, err
	}
	if acct.any() {
		return res, acct
	}
	return res, nil
}

// findConflicts lists the users and groups of p whose names have lines on
// the box that the engine did not write (and, for a group, a different
// GID: a foreign group with the same GID has its members managed).
func findConflicts(p *plan, old *rawManifest, passwd, shadow, group, gshadow *lineFile) (*ConflictError, error) {
	c := &ConflictError{}
	for i := range p.users {
		n := p.users[i].Name
		_, owned, err := old.user(n)
		if err != nil {
			return nil, err
		}
		if !owned && (passwd.has(n) || shadow.has(n)) {
			c.Users = append(c.Users, n)
		}
	}
	for i := range p.groups {
		g := &p.groups[i]
		o, owned, err := old.group(g.Name)
		if err != nil {
			return nil, err
		}
		if owned && !o.MembersOnly {
			continue
		}
		if line, ok := group.line(g.Name); ok {
			if field(line, 2) != strconv.FormatInt(g.GID, 10) {
				c.Groups = append(c.Groups, g.Name)
			}
		} else if !owned && gshadow.has(g.Name) {
			c.Groups = append(c.Groups, g.Name)
		}
	}
	if len(c.Users)+len(c.Groups) == 0 {
		return nil, nil
	}
	return c, nil
}

// drop leaves the accounts of c out of the plan: their entries, their
// sudo rules, and the conflicting users' names from every member list
// (on the box that name is the foreign account).
func (p *plan) drop(c *ConflictError) {
	users := map[string]bool{}
	for _, n := range c.Users {
		users[n] = true
	}
	groups := map[string]bool{}
	for _, n := range c.Groups {
		groups[n] = true
	}
	p.users = slices.DeleteFunc(slices.Clone(p.users), func(u User) bool { return users[u.Name] })
	p.groups = slices.DeleteFunc(p.groups, func(g Group) bool { return groups[g.Name] })
	for i := range p.groups {
		p.groups[i].Members = slices.DeleteFunc(slices.Clone(p.groups[i].Members), func(n string) bool { return users[n] })
	}
	p.sudo.Users = slices.DeleteFunc(slices.Clone(p.sudo.Users), func(u User) bool { return users[u.Name] })
	p.sudo.Groups = slices.DeleteFunc(slices.Clone(p.sudo.Groups), func(g Group) bool { return groups[g.Name] })
}

func (p *plan) goneGroupsAdd(n string) {
	if p.goneGroups == nil {
		p.goneGroups = map[string]bool{}
	}
	p.goneGroups[n] = true
}

// removeStaleTemps removes the temporary files a crashed Apply may have
// left beside the files it writes.
func removeStaleTemps(root string) {
	for _, f := range []string{PasswdFile, GroupFile, ShadowFile, GShadowFile, SudoersFile, SSHDFile, ManifestFile, journalFile} {
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
