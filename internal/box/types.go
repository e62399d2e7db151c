package box

import (
	"errors"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Paths of the account files, relative to root.
const (
	PasswdFile  = "etc/passwd"
	GroupFile   = "etc/group"
	ShadowFile  = "etc/shadow"
	GShadowFile = "etc/gshadow"
)

// ConflictError is returned when the State names an account whose line
// exists on the box but was not written by the engine (it is not in the
// Ledger). A foreign group with the same
// GID is not a conflict: its member field is managed instead.
type ConflictError struct {
	Users  []string
	Groups []string
}

func (e *ConflictError) Error() string {
	var parts []string
	for _, u := range e.Users {
		parts = append(parts, "user "+strconv.Quote(u))
	}
	for _, g := range e.Groups {
		parts = append(parts, "group "+strconv.Quote(g))
	}
	return "box: accounts already exist on the box and were not written by the engine: " + strings.Join(parts, ", ")
}

// AccountErrors is returned by Apply when some accounts could not be
// brought in line and everything else was: the other accounts' lines,
// homes and keys, the drop-ins and the final records (Result.Owned) are made. Conflict
// lists the accounts left out because their names have foreign lines;
// Users holds, by user name, what went wrong in a user's home (a folder
// in the way, a symlink, a file where .ssh should be), naming the path.
// Applying those accounts again after the obstacle is gone repairs them.
type AccountErrors struct {
	Conflict *ConflictError
	Users    map[string]error
}

func (e *AccountErrors) addUser(name string, err error) {
	if e.Users == nil {
		e.Users = map[string]error{}
	}
	if old, ok := e.Users[name]; ok {
		err = errors.Join(old, err)
	}
	e.Users[name] = err
}

func (e *AccountErrors) any() bool { return e.Conflict != nil || len(e.Users) > 0 }

// Names lists the users and groups concerned, users first, each sorted.
func (e *AccountErrors) Names() (users, groups []string) {
	seen := map[string]bool{}
	if e.Conflict != nil {
		for _, n := range e.Conflict.Users {
			seen[n] = true
			users = append(users, n)
		}
		groups = append(groups, e.Conflict.Groups...)
	}
	for n := range e.Users {
		if !seen[n] {
			users = append(users, n)
		}
	}
	sort.Strings(users)
	sort.Strings(groups)
	return users, groups
}

// ForUser is the error about user name, or nil.
func (e *AccountErrors) ForUser(name string) error {
	var errs []error
	if e.Conflict != nil && slices.Contains(e.Conflict.Users, name) {
		errs = append(errs, &ConflictError{Users: []string{name}})
	}
	if err := e.Users[name]; err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// ForGroup is the error about group name, or nil.
func (e *AccountErrors) ForGroup(name string) error {
	if e.Conflict != nil && slices.Contains(e.Conflict.Groups, name) {
		return &ConflictError{Groups: []string{name}}
	}
	return nil
}

func (e *AccountErrors) Error() string {
	var parts []string
	if e.Conflict != nil {
		parts = append(parts, e.Conflict.Error())
	}
	names := make([]string, 0, len(e.Users))
	for n := range e.Users {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		parts = append(parts, e.Users[n].Error())
	}
	return strings.Join(parts, "; ")
}

// Unwrap lets errors.As find the ConflictError.
func (e *AccountErrors) Unwrap() []error {
	var out []error
	if e.Conflict != nil {
		out = append(out, e.Conflict)
	}
	for _, err := range e.Users {
		out = append(out, err)
	}
	return out
}

// Result says what an Apply changed.
type Result struct {
	// Files lists the files (relative to root) written or removed.
	Files []string
	// SSHDChanged is true when the sshd drop-in was written or removed. A
	// running sshd reads its configuration only at start and on SIGHUP, so
	// when root is "/" the caller should reload it (`systemctl reload ssh`
	// or SIGHUP to the pid in /run/sshd.pid).
	SSHDChanged bool
	// Owned are the Ledger's final records, for the caller to save when
	// it marks the apply done; empty when the apply is not done (an
	// error about the box itself: the intent stays the record).
	Owned Edits
}

// Change is what changed in the State since the box was last brought in
// line with it, for ApplyDelta. The accounts it does not name are taken
// to be as they were.
type Change struct {
	// Users and Groups are the new entries of the changed accounts that
	// are in the State, in State order (new lines are appended in it).
	Users  []User
	Groups []Group
	// RemovedUsers and RemovedGroups name changed accounts that are no
	// longer in the State (a renamed account: its old name). Names the
	// engine does not own are ignored.
	RemovedUsers  []string
	RemovedGroups []string
	// SudoUsers and SudoGroups are every user and group of the State that
	// has sudo rules, changed or not, in State order: the sudoers drop-in
	// is written from them. Only their names, ids (UID, GID) and sudo rules are read, and
	// entries without rules are skipped.
	SudoUsers  []User
	SudoGroups []Group
}

// ErrFullApply is returned by ApplyDelta, which then wrote nothing, when
// the box's own records cannot carry an incremental apply: the caller must
// apply the whole State with ApplyState.
var ErrFullApply = errors.New("box: the box's records do not allow an incremental apply; the whole State must be applied")

// stateDir is where the engine keeps its own files under root.
const stateDir = "var/db/truenas-engine"

// LockFile is relative to root.
const LockFile = stateDir + "/.lock"

// SudoersFile is the engine's sudoers drop-in, relative to root. Its name
// has no dot so that sudo's "@includedir /etc/sudoers.d" reads it. The box's
// etc/sudoers must contain "@includedir /etc/sudoers.d" (or the older
// "#includedir" form), as Debian's and TrueNAS's do; Apply does not edit
// etc/sudoers.
const SudoersFile = "etc/sudoers.d/truenas-engine"

// SSHDFile is the engine's sshd drop-in, relative to root.
//
// Design. Debian's (and TrueNAS's) sshd_config starts with
// "Include /etc/ssh/sshd_config.d/*.conf", so this file is read. It holds
// only Match blocks, no top-level directive:
//
//	Match User alice,bob          # managed users with SSHPasswordEnabled
//		PasswordAuthentication yes
//		KbdInteractiveAuthentication yes
//	Match User carol,dave         # every other managed user
//		PasswordAuthentication no
//		KbdInteractiveAuthentication no
//
// sshd applies the first value found in a matching Match block over any
// top-level value, wherever that is, so the result does not depend on the
// order of the other drop-ins (a cloud-init "PasswordAuthentication yes"
// or a hardened "no" in the main file). Accounts the engine does not own
// (root, the admin the provider connects as) keep the box's own setting:
// a global "PasswordAuthentication no" could lock the operator out, and the
// engine cannot know the wishes of accounts it does not manage. A Locked
// user's shadow hash starts with "!", which refuses passwords anyway.
// Lists are split into blocks of sshdChunk names. The file is removed when
// the State has no user. sshd reads it only at start or on SIGHUP: see
// Result.SSHDChanged.
const SSHDFile = "etc/ssh/sshd_config.d/truenas-engine.conf"

// SkelDir is copied into a home the first time the engine creates it.
const SkelDir = "etc/skel"

// checkName says why n cannot be an account name in the files ("" when it can).
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

// SudoersError is CheckSudoers' refusal: the accounts whose rules the
// drop-in cannot hold, or the drop-in as a whole (visudo).
type SudoersError struct {
	Users, Groups []string // left out of the drop-in: their commands
	Err           error
}

func (e *SudoersError) Error() string { return e.Err.Error() }
func (e *SudoersError) Unwrap() error { return e.Err }
