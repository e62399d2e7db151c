package account

import "time"

// PathKind says what, if anything, a path on the box is.
type PathKind int

// The kinds of path a Box reports.
const (
	// PathMissing: nothing exists at the path.
	PathMissing PathKind = iota
	// PathDir: the path is a directory.
	PathDir
	// PathFile: the path is a regular file.
	PathFile
	// PathOther: the path exists and is neither a directory nor a regular file.
	PathOther
)

// Box is what the box-dependent rules need to know about the box: the
// accounts in its store, its file system (paths are absolute box paths, as
// a client sends them; the implementation maps them under its root) and its
// clock. The engine implements it over its store and the box root; lookups
// return false when nothing matches. UserByName and GroupByName also find
// accounts that only a line of the box's files has (not written by the
// engine): those entries have an ID below 0.
type Box interface {
	// UserByID looks a local user up by its DB id.
	UserByID(id int64) (*UserEntry, bool)
	// UserByName looks a local user up by exact username (builtins included).
	UserByName(name string) (*UserEntry, bool)
	// UserByUID looks any user (local, builtin, or known to NSS) up by uid.
	UserByUID(uid int64) (*UserEntry, bool)
	// SMBUserByNameFold finds an smb=true user whose username equals name
	// case-insensitively.
	SMBUserByNameFold(name string) (*UserEntry, bool)
	// HomeUsedBy returns a user other than the one with DB id self whose
	// home (normalised: NormalizeHome) is path (normalised), holds it
	// or lies inside it: giving the one home to a second user, or a home
	// in or around another's, would hand one user's files to the other.
	HomeUsedBy(path string, self int64) (*UserEntry, bool)

	// GroupByID looks a local group up by its DB id.
	GroupByID(id int64) (*GroupEntry, bool)
	// GroupByName looks a local group up by exact name (builtins included).
	GroupByName(name string) (*GroupEntry, bool)
	// GroupByGID looks any group up by gid.
	GroupByGID(gid int64) (*GroupEntry, bool)
	// SMBGroupByNameFold finds an smb=true group whose name equals name
	// case-insensitively (TrueNAS's SMB groupmap).
	SMBGroupByNameFold(name string) (*GroupEntry, bool)
	// PrimaryUsers lists the users whose primary group is the group with
	// DB id groupID.
	PrimaryUsers(groupID int64) []UserEntry

	// Privileges lists the stored privileges in id order, local_groups as
	// gids (the account.privilege datastore rows).
	Privileges() []Privilege

	// Stat says what is at path.
	Stat(path string) PathKind
	// FirstSymlink returns the first of path's components (from "/",
	// path normalised) that is a symbolic link on the box, or "".
	FirstSymlink(path string) string
	// GlobExecutables expands the glob pattern (Python glob.glob syntax:
	// *, ?, [...]) and says how many paths match and how many of those are
	// regular files with an execute bit (os.path.isfile and os.access X_OK).
	GlobExecutables(pattern string) (matches, executables int)
	// Shells lists the lines of the box's /etc/shells.
	Shells() []string

	// APIKeyByName looks an API key up by name.
	APIKeyByName(name string) (*APIKeyEntry, bool)
	// APIKeyCount counts the API keys of the user with this username.
	APIKeyCount(username string) int

	// Now is the box's clock.
	Now() time.Time
}

// ForeignID is the id a Box gives an account that only a line of the box's
// files has (added by useradd, a package, an administrator), not the store.
// TrueNAS finds such accounts through NSS (getpwnam, getgrgid) but not
// through user.query or group.query.
const ForeignID = -2

// storedGroupByGID is GroupByGID limited to the groups of the store: the
// local groups TrueNAS's group.query returns (privilege.py looks local
// groups up with group.query, lines 214-215, 414, 442).
func storedGroupByGID(box Box, gid int64) (*GroupEntry, bool) {
	g, ok := box.GroupByGID(gid)
	if !ok || g.ID == ForeignID {
		return nil, false
	}
	return g, true
}
