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

// ApplyState brings the box under root in line with st, the whole State
// the engine owns, and says what it changed. The caller must hold
// Lock(root) for the whole call: Apply uses fixed temporary names.
//
// One crash protocol: what the engine owns is read from led, never from
// the box; before any box file changes, the intent (every name owned
// before or after, every home .ssh may be written to) is recorded in led;
// then etc/group, etc/gshadow, etc/passwd, etc/shadow are each written
// whole and atomically (previous version kept as "<name>-"), then the
// homes and keys, the removed users' .ssh, the sudoers and sshd drop-ins.
// The final records come back in Result.Owned: the caller saves them
// with the mark that the apply is done. An apply cut short at any point
// is repaired by applying the whole State again: the intent is a
// superset of what the box may hold, and every temporary name is fixed
// and removed first. Running it twice with the same State writes nothing
// the second time.
//
// Lines of names the engine does not own are kept byte for byte, in
// place; new owned lines are appended in State order. A State user or
// group whose name has a foreign line (for a group: with another GID) is
// left out, with its sudo rules and its name in member lists, and
// reported in an *AccountErrors. A State group whose name has a foreign
// line with the same GID becomes "members managed": only the member field
// (4th; also gshadow's 4th) of that line is set, to exactly Group.Members
// (nil empties it), and when the group leaves the State the line is left
// as it is.
//
// Errors about one home (its path is a file, a symlink, .ssh is a file)
// do not stop the others: that user's record keeps the homes and
// permissions it had, so that applying it again redoes the work, and the
// errors come back in an *AccountErrors with the Result (Owned included)
// after everything else was written. An error about the box itself (the
// account files, the drop-ins, the ledger) is returned as it is, with no
// Owned: the intent stays recorded and the next apply retries.
//
// Chowns that fail with EPERM are ignored: when not running as root (tests,
// a sandbox run by a normal user) files stay owned by the caller.
func ApplyState(root string, st State, led Ledger) (*Result, error) {
	if err := validate(st); err != nil {
		return nil, err
	}
	for i := range st.Groups {
		if st.Groups[i].MembersAdded {
			return nil, fmt.Errorf("box: group %q: MembersAdded is for a Change, not a whole State", st.Groups[i].Name)
		}
	}
	return apply(root, &plan{all: true, users: st.Users, groups: st.Groups, sudo: st}, led)
}

// ApplyDelta is ApplyState for a change to a few accounts of a box that
// was in line with the State before it: it still renders the account
// files whole (foreign lines byte for byte), but looks up only the lines
// and ledger records of the changed names and visits only the homes of
// changed users, so that its cost hardly grows with the number of
// accounts. The result is what ApplyState with the whole new State gives,
// provided the box was in line before and c names every account whose
// entry changed; the caller must know both (the engine records the
// generation it applied, and which accounts each generation touched), and
// use ApplyState to repair a box that may be out of line.
//
// The sshd drop-in is edited, not made from the whole State: when it
// cannot be (missing, not in the form Apply writes, or not naming as many
// users as the ledger owns, say after a failed apply or a hand edit),
// ApplyDelta writes nothing and returns ErrFullApply, and the caller then
// applies the whole State with ApplyState. The caller must hold
// Lock(root).
func ApplyDelta(root string, c Change, led Ledger) (*Result, error) {
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
	return apply(root, p, led)
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

// run is one apply in progress: what it read, what it decided and what
// it wrote. Its phases, in order, are the methods apply calls.
type run struct {
	root string
	p    *plan
	led  Ledger
	res  *Result
	acct *AccountErrors
	errs []error // about the box itself: the apply is not done

	// Read under the locks.
	files                          map[string][]byte
	exists                         map[string]bool
	passwd, shadow, group, gshadow *lineFile
	oldUsers                       map[string]OwnedUser
	oldGroups                      map[string]OwnedGroup

	// Decided.
	nextUsers, failUsers      []OwnedUser // by p.users index; failUsers: when the home fails
	membersOnly               []bool      // by p.groups index
	intent, final             Edits
	removeUsers, removeGroups []string
	removed                   map[string]OwnedUser
	touched                   map[string]bool // the users a Change names
	sshd                      []byte
	sudoers                   sudoDropIn
}

func apply(root string, p *plan, led Ledger) (*Result, error) {
	// The account files are read and written under shadow-utils' locks:
	// Lock's, or this apply's own when called without it.
	if !holdsAccountLocks(root) {
		l, err := lockAccountFiles(root)
		if err != nil {
			return nil, err
		}
		defer l.release()
	}
	r := &run{root: root, p: p, led: led, res: &Result{}, acct: &AccountErrors{}}
	for _, phase := range []func() error{
		r.open,            // read the account files and the ledger
		r.addMembers,      // members appended to a group's line as it is
		r.leaveOutForeign, // accounts whose names have foreign lines
		r.decideOwnership, // intent, final records, removals
		r.renderDropIns,   // sshd and sudoers content, checked before anything is written
		r.recordIntent,    // the intent, durably
		r.writeAccountFiles,
	} {
		if err := phase(); err != nil {
			return nil, err
		}
	}
	r.applyHomes()
	r.writeDropIns()
	return r.close()
}

// open reads the four account files and the ledger records of the names
// the apply concerns (all of them for a whole State).
func (r *run) open() error {
	removeStaleTemps(r.root)
	r.files, r.exists = map[string][]byte{}, map[string]bool{}
	for _, f := range []string{PasswdFile, GroupFile, ShadowFile, GShadowFile} {
		data, err := os.ReadFile(filepath.Join(r.root, f))
		if err == nil {
			r.files[f], r.exists[f] = data, true
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	var interest map[string]bool
	var userNames, groupNames []string
	if !r.p.all {
		p := r.p
		interest = make(map[string]bool, len(p.users)+len(p.groups)+len(p.goneUsers)+len(p.goneGroups))
		userNames, groupNames = []string{}, []string{}
		for i := range p.users {
			interest[p.users[i].Name] = true
			userNames = append(userNames, p.users[i].Name)
		}
		for n := range p.goneUsers {
			interest[n] = true
			userNames = append(userNames, n)
		}
		for i := range p.groups {
			interest[p.groups[i].Name] = true
			groupNames = append(groupNames, p.groups[i].Name)
		}
		for n := range p.goneGroups {
			interest[n] = true
			groupNames = append(groupNames, n)
		}
	}
	r.passwd = readLines(r.files[PasswdFile], interest)
	r.shadow = readLines(r.files[ShadowFile], interest)
	r.group = readLines(r.files[GroupFile], interest)
	r.gshadow = readLines(r.files[GShadowFile], interest)
	var err error
	if r.oldUsers, err = r.led.Users(userNames); err != nil {
		return fmt.Errorf("box: read what the engine owns: %w", err)
	}
	if r.oldGroups, err = r.led.Groups(groupNames); err != nil {
		return fmt.Errorf("box: read what the engine owns: %w", err)
	}
	return nil
}

// addMembers turns a MembersAdded group into its whole member list: the
// members of its line as it is, then the new ones.
func (r *run) addMembers() error {
	for i := range r.p.groups {
		g := &r.p.groups[i]
		if !g.MembersAdded {
			continue
		}
		line, ok := r.group.line(g.Name)
		if !ok {
			return ErrFullApply
		}
		var members []string
		if f := field(line, 3); f != "" {
			members = strings.Split(f, ",")
		}
		for _, n := range g.Members {
			if slices.Contains(members, n) {
				return ErrFullApply // the line is not as the Change takes it
			}
		}
		g.Members, g.MembersAdded = append(members, g.Members...), false
	}
	return nil
}

// leaveOutForeign leaves the accounts whose names have foreign lines out
// of this apply (their lines stay byte for byte), and their memberships;
// the caller learns of them from the AccountErrors.
func (r *run) leaveOutForeign() error {
	c := &ConflictError{}
	for i := range r.p.users {
		n := r.p.users[i].Name
		if _, owned := r.oldUsers[n]; !owned && (r.passwd.has(n) || r.shadow.has(n)) {
			c.Users = append(c.Users, n)
		}
	}
	for i := range r.p.groups {
		g := &r.p.groups[i]
		o, owned := r.oldGroups[g.Name]
		if owned && !o.MembersOnly {
			continue
		}
		if line, ok := r.group.line(g.Name); ok {
			if field(line, 2) != strconv.FormatInt(g.GID, 10) {
				c.Groups = append(c.Groups, g.Name)
			}
		} else if !owned && r.gshadow.has(g.Name) {
			c.Groups = append(c.Groups, g.Name)
		}
	}
	if len(c.Users)+len(c.Groups) > 0 {
		r.acct.Conflict = c
		r.p.drop(c)
	}
	return nil
}

// decideOwnership makes the intent (new names and new homes, owned from
// now on; nothing owned is let go of yet) and the final records, and
// lists the owned names that leave.
func (r *run) decideOwnership() error {
	p := r.p
	r.intent, r.final = newEdits(), newEdits()
	r.nextUsers = make([]OwnedUser, len(p.users))
	r.failUsers = make([]OwnedUser, len(p.users))
	for i := range p.users {
		u := &p.users[i]
		o, owned := r.oldUsers[u.Name]
		next := OwnedUser{Perm: o.Perm} // Perm refreshed once applied
		if h, ok := homePath(u.Home); ok {
			next.Homes = []string{h}
		}
		r.nextUsers[i] = next
		// The intent keeps every home where .ssh may be written.
		r.failUsers[i] = o
		switch {
		case !owned:
			r.failUsers[i] = OwnedUser{Homes: next.Homes}
			r.intent.Users[u.Name] = &r.failUsers[i]
		case len(next.Homes) == 1 && !slices.Contains(o.Homes, next.Homes[0]):
			o.Homes = append(slices.Clone(o.Homes), next.Homes[0])
			r.failUsers[i] = o
			r.intent.Users[u.Name] = &r.failUsers[i]
		}
		r.final.Users[u.Name] = &r.nextUsers[i]
	}
	r.membersOnly = make([]bool, len(p.groups))
	for i := range p.groups {
		g := &p.groups[i]
		o, owned := r.oldGroups[g.Name]
		if !owned || o.MembersOnly {
			// leaveOutForeign left only lines of the same GID.
			_, r.membersOnly[i] = r.group.line(g.Name)
			rec := OwnedGroup{MembersOnly: r.membersOnly[i]}
			// An owned line stays owned until the final records.
			r.intent.Groups[g.Name] = &rec
		}
		r.final.Groups[g.Name] = &OwnedGroup{MembersOnly: r.membersOnly[i]}
	}

	// Owned names that leave: their lines go (members-only groups: their
	// record goes, the line stays).
	if p.all {
		in := make(map[string]bool, len(p.users))
		for i := range p.users {
			in[p.users[i].Name] = true
		}
		for n := range r.oldUsers {
			if !in[n] {
				r.removeUsers = append(r.removeUsers, n)
			}
		}
		clear(in)
		for i := range p.groups {
			in[p.groups[i].Name] = true
		}
		for n := range r.oldGroups {
			if !in[n] {
				p.goneGroupsAdd(n)
			}
		}
	} else {
		for n := range p.goneUsers {
			if _, owned := r.oldUsers[n]; owned {
				r.removeUsers = append(r.removeUsers, n)
			}
		}
	}
	for n := range p.goneGroups {
		if o, owned := r.oldGroups[n]; owned {
			r.final.Groups[n] = nil
			if !o.MembersOnly {
				r.removeGroups = append(r.removeGroups, n)
			}
		}
	}
	r.removed = make(map[string]OwnedUser, len(r.removeUsers))
	for _, n := range r.removeUsers {
		r.removed[n] = r.oldUsers[n]
		r.final.Users[n] = nil
	}
	sort.Strings(r.removeUsers)
	sort.Strings(r.removeGroups)

	r.touched = make(map[string]bool, len(p.users)+len(p.goneUsers))
	for i := range p.users {
		r.touched[p.users[i].Name] = true
	}
	for n := range p.goneUsers {
		r.touched[n] = true
	}
	return nil
}

// renderDropIns makes the sshd and sudoers drop-ins and checks the
// sudoers one (sudo's grammar, visudo) before any file is written. The
// sshd drop-in lists every owned user: a whole State has them all; a
// Change edits the names of the file, which must then be exactly the
// owned users.
func (r *run) renderDropIns() error {
	p := r.p
	if p.all {
		r.sshd = sshdContent(sshdLists(p.users))
	} else {
		data, err := os.ReadFile(filepath.Join(r.root, SSHDFile))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		yes, no, ok := parseSSHD(data)
		if !ok {
			return ErrFullApply
		}
		addYes, addNo := sshdLists(p.users)
		yes, no = withNames(yes, r.touched, addYes), withNames(no, r.touched, addNo)
		// The drop-in must name as many users as the ledger will own:
		// one missing, emptied or cut short by hand is not edited but
		// written again from the whole State.
		owned, err := r.led.UserCount()
		if err != nil {
			return fmt.Errorf("box: read what the engine owns: %w", err)
		}
		for n, rec := range r.final.Users {
			_, before := r.oldUsers[n]
			owned += b2i(rec != nil) - b2i(before)
		}
		if len(yes)+len(no) != owned {
			return ErrFullApply
		}
		r.sshd = sshdContent(yes, no)
	}
	r.sudoers = renderSudoers(r.root, p.sudo)
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// recordIntent saves the intent in the ledger before the box changes.
func (r *run) recordIntent() error {
	if r.intent.empty() {
		return nil
	}
	if err := r.led.Record(r.intent); err != nil {
		return fmt.Errorf("box: record the intent: %w", err)
	}
	return nil
}

// writeAccountFiles renders group, gshadow, passwd and shadow whole from
// the wanted lines and the foreign ones, and writes those that differ.
func (r *run) writeAccountFiles() error {
	p := r.p
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
		if r.membersOnly[i] {
			grMembers[g.Name] = members
			continue
		}
		grOrder = append(grOrder, g.Name)
		grLines[g.Name] = []byte(g.Name + ":x:" + strconv.FormatInt(g.GID, 10) + ":" + string(members))
		gsLines[g.Name] = []byte(g.Name + ":!::" + string(members))
	}
	files := r.files
	newGroup := keepEOL(files[GroupFile], r.group.merge(grLines, grOrder, r.removeGroups, grMembers))
	newPasswd := keepEOL(files[PasswdFile], r.passwd.merge(pwLines, pwOrder, r.removeUsers, nil))
	newShadow := keepEOL(files[ShadowFile], r.shadow.merge(shLines, pwOrder, r.removeUsers, nil))
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
	if r.exists[GShadowFile] {
		newGShadow := keepEOL(files[GShadowFile], r.gshadow.merge(gsLines, grOrder, r.removeGroups, grMembers))
		writes = append(writes, fileWrite{GShadowFile, newGShadow, fileSpec{mode: 0o640, gid: shadowGID, backup: true, secret: true}})
	}
	writes = append(writes,
		fileWrite{PasswdFile, newPasswd, fileSpec{mode: 0o644, backup: true}},
		fileWrite{ShadowFile, newShadow, fileSpec{mode: 0o640, gid: shadowGID, backup: true, secret: true}})
	if err := os.MkdirAll(filepath.Join(r.root, "etc"), 0o755); err != nil {
		return err
	}
	for _, w := range writes {
		changed, err := writeFileKnown(filepath.Join(r.root, w.name), w.data, files[w.name], r.exists[w.name], w.spec)
		if err != nil {
			return fmt.Errorf("box: write %s: %w", w.name, err)
		}
		if changed {
			r.res.Files = append(r.res.Files, w.name)
		}
	}
	return nil
}

// applyHomes brings the homes and keys of the users in the apply in line:
// removed users first, so that a home reused by a current user is handled
// last. A failed home fails only its user, whose final record then keeps
// every home it may have written to and the old permissions, so that the
// next apply of it does it all again.
func (r *run) applyHomes() {
	p := r.p
	inUse := make(map[string]bool, len(p.users))
	for i := range r.nextUsers {
		for _, h := range r.nextUsers[i].Homes {
			inUse[h] = true
		}
	}
	b := &batch{}
	defer b.Close()
	homeOf := map[string]string{} // host path of a home -> its user
	for _, n := range r.removeUsers {
		for _, h := range r.removed[n].Homes {
			if inUse[h] {
				continue
			}
			if !p.all {
				// A Change does not list the others: is h the current
				// home of an owned user it does not touch?
				used, err := r.led.HomeInUse(h, r.touched)
				if err != nil {
					r.errs = append(r.errs, err)
					continue
				}
				if used {
					continue
				}
			}
			if err := removeSSHDir(r.root, h, b); err != nil {
				r.acct.addUser(n, fmt.Errorf("box: user %q: %w", n, err))
			}
		}
	}
	for i := range p.users {
		u := &p.users[i]
		perm, err := applyHome(r.root, u, r.nextUsers[i].Perm, b)
		if err != nil {
			r.acct.addUser(u.Name, fmt.Errorf("box: user %q: %w", u.Name, err))
			r.final.Users[u.Name] = &r.failUsers[i]
			continue
		}
		if h, ok := homePath(u.Home); ok {
			homeOf[filepath.Join(r.root, h)] = u.Name
		}
		r.nextUsers[i].Perm = perm
	}
	homeErrs, err := b.commit()
	if err != nil {
		r.errs = append(r.errs, err)
	}
	for hp, herr := range homeErrs {
		r.acct.addUser(homeOf[hp], herr)
	}
}

// writeDropIns writes the sudoers and sshd drop-ins renderDropIns made.
func (r *run) writeDropIns() {
	changed, err := r.sudoers.write(r.root)
	if err != nil {
		r.errs = append(r.errs, err)
	} else if changed {
		r.res.Files = append(r.res.Files, SudoersFile)
	}
	for _, b := range r.sudoers.bad {
		// An account whose commands sudo would read otherwise than asked
		// (stored by an older engine) is left out of the drop-in: it
		// loses its rules, every other account keeps its own.
		if b.group {
			r.errs = append(r.errs, b.err)
		} else {
			r.acct.addUser(b.name, b.err)
		}
	}
	changed, err = writeSSHD(r.root, r.sshd)
	if err != nil {
		r.errs = append(r.errs, err)
	} else if changed {
		r.res.Files = append(r.res.Files, SSHDFile)
		r.res.SSHDChanged = true
	}
}

// close says how the apply ended: an error about the box leaves the
// intent as the ledger's record (the next apply retries); otherwise the
// final records are in the Result, for the caller to save.
func (r *run) close() (*Result, error) {
	if len(r.errs) > 0 {
		return r.res, errors.Join(r.errs...)
	}
	r.res.Owned = r.final
	if r.acct.any() {
		return r.res, r.acct
	}
	return r.res, nil
}

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
	for _, f := range []string{PasswdFile, GroupFile, ShadowFile, GShadowFile, SudoersFile, SSHDFile} {
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
