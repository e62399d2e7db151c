package engine

import (
	"context"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// boxView is account.Box over the engine's store (inside the current
// transaction) and its root folder. Every lookup uses an index. A store
// error is kept in err and reported after the rules ran.
type boxView struct {
	ctx  context.Context
	root string
	l    *loader
	now  time.Time
	err  error
	// indexes and cache hold the box's account files, as glibc reads
	// them, for foreign-line lookups.
	indexes map[string]*nssIndex
	cache   *fileCache
	// model is the account model of the root's release.
	model *account.Model
}

var _ account.Box = (*boxView)(nil)

func (e *Engine) newBoxView(ctx context.Context, q querier, now time.Time) *boxView {
	return &boxView{ctx: ctx, root: e.root, l: newLoader(ctx, q), now: now, cache: &e.boxFiles, model: e.Release().Model}
}

func (b *boxView) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

func (b *boxView) user(where string, args ...any) (*account.UserEntry, bool) {
	u, err := getUserRow(b.ctx, b.l.q, where, args...)
	if err != nil {
		b.fail(err)
		return nil, false
	}
	if u == nil {
		return nil, false
	}
	e, err := b.l.userEntry(u, b.now)
	if err != nil {
		b.fail(err)
		return nil, false
	}
	return e, true
}

func (b *boxView) group(where string, args ...any) (*account.GroupEntry, bool) {
	g, err := getGroupRow(b.ctx, b.l.q, where, args...)
	if err != nil {
		b.fail(err)
		return nil, false
	}
	if g == nil {
		return nil, false
	}
	e, err := b.l.groupEntry(g)
	if err != nil {
		b.fail(err)
		return nil, false
	}
	return e, true
}

func (b *boxView) UserByID(id int64) (*account.UserEntry, bool) { return b.user("id = ?", id) }

// UserByName and GroupByName also find the foreign lines of the box's
// files (foreign.go); an id of one is checked by foreignIDErrors.
func (b *boxView) UserByName(name string) (*account.UserEntry, bool) {
	if u, ok := b.user("username = ?", name); ok {
		return u, true
	}
	return b.foreignUserNamed(name)
}
func (b *boxView) UserByUID(uid int64) (*account.UserEntry, bool) {
	if uid == 2147000001 {
		s := syntheticUser()
		return &s, true
	}
	return b.user("uid = ? ORDER BY id", uid)
}
func (b *boxView) SMBUserByNameFold(name string) (*account.UserEntry, bool) {
	return b.user("lower(username) = lower(?) AND smb = 1", name)
}

// HomeUsedBy looks, through the users_home index, for a home equal to
// p (stored normalised, or with a trailing "/" by an older engine), one
// of p's parents, or one below p.
func (b *boxView) HomeUsedBy(p string, self int64) (*account.UserEntry, bool) {
	p = account.NormalizeHome(p)
	if !strings.HasPrefix(p, "/") || p == account.DefaultHome {
		return nil, false
	}
	for a := p; a != "/"; a = path.Dir(a) {
		if u, ok := b.user("home IN (?, ?) AND id != ? ORDER BY id", a, a+"/", self); ok {
			return u, true
		}
	}
	// '0' is the byte after '/': the range is every path below p.
	return b.user("home > ? AND home < ? AND id != ? ORDER BY home", p+"/", p+"0", self)
}

// FirstSymlink walks p's components under the root with Lstat.
func (b *boxView) FirstSymlink(p string) string {
	cur := ""
	for _, part := range strings.Split(strings.Trim(path.Clean("/"+p), "/"), "/") {
		if part == "" {
			break
		}
		cur += "/" + part
		fi, err := os.Lstat(b.hostPath(cur))
		if err != nil {
			return ""
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			return cur
		}
	}
	return ""
}
func (b *boxView) GroupByID(id int64) (*account.GroupEntry, bool) { return b.group("id = ?", id) }
func (b *boxView) GroupByName(name string) (*account.GroupEntry, bool) {
	if g, ok := b.group("name = ?", name); ok {
		return g, true
	}
	return b.foreignGroupNamed(name)
}
func (b *boxView) GroupByGID(gid int64) (*account.GroupEntry, bool) {
	return b.group("gid = ? ORDER BY id", gid)
}
func (b *boxView) SMBGroupByNameFold(name string) (*account.GroupEntry, bool) {
	return b.group("lower(name) = lower(?) AND smb = 1", name)
}

func (b *boxView) PrimaryUsers(groupID int64) []account.UserEntry {
	rows, err := b.l.q.QueryContext(b.ctx, `SELECT `+userCols+` FROM users WHERE group_id = ? ORDER BY id`, groupID)
	if err != nil {
		b.fail(err)
		return nil
	}
	var us []*userRow
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			b.fail(err)
			break
		}
		us = append(us, u)
	}
	rows.Close()
	var out []account.UserEntry
	for _, u := range us {
		e, err := b.l.userEntry(u, b.now)
		if err != nil {
			b.fail(err)
			return nil
		}
		out = append(out, *e)
	}
	return out
}

// Privileges lists the stored privileges (account.Box).
func (b *boxView) Privileges() []account.Privilege {
	privs, err := b.l.privileges()
	if err != nil {
		b.fail(err)
		return nil
	}
	return privs
}

// PrivilegeByGID returns the first privilege, in id order, that names gid.
func (b *boxView) PrivilegeByGID(gid int64) (*account.Privilege, bool) {
	return account.PrivilegeByGID(b, gid)
}

func (b *boxView) hostPath(p string) string {
	return filepath.Join(b.root, filepath.FromSlash(filepath.Clean("/"+p)))
}

func (b *boxView) Stat(path string) account.PathKind {
	fi, err := os.Stat(b.hostPath(path))
	switch {
	case err != nil:
		return account.PathMissing
	case fi.IsDir():
		return account.PathDir
	case fi.Mode().IsRegular():
		return account.PathFile
	default:
		return account.PathOther
	}
}

func (b *boxView) GlobExecutables(pattern string) (matches, executables int) {
	if !strings.HasPrefix(pattern, "/") {
		return 0, 0
	}
	paths, err := filepath.Glob(b.hostPath(pattern))
	if err != nil {
		return 0, 0
	}
	for _, p := range paths {
		matches++
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			executables++
		}
	}
	return matches, executables
}

// DefaultShells is used when the root has no etc/shells.
var DefaultShells = []string{"/bin/sh", "/usr/bin/sh", "/bin/bash", "/usr/bin/bash", "/bin/rbash", "/usr/bin/rbash",
	"/bin/dash", "/usr/bin/dash", "/bin/zsh", "/usr/bin/zsh", "/usr/bin/tmux"}

// CoreDefaultShells is used when a CORE 13.3 root has no etc/shells:
// the shells of a CORE box (FreeBSD's /bin/sh, /bin/csh, /bin/tcsh and the
// ports' bash, rbash and zsh), among them user.create's default /bin/csh.
var CoreDefaultShells = []string{"/bin/sh", "/bin/csh", "/bin/tcsh", "/usr/local/bin/bash", "/usr/local/bin/rbash",
	"/usr/local/bin/zsh"}

func readShells(root string) []string { return readShellsOr(root, DefaultShells) }

func readShellsOr(root string, defaults []string) []string {
	data, err := os.ReadFile(filepath.Join(root, "etc/shells"))
	if err != nil {
		return append([]string(nil), defaults...)
	}
	var out []string
	for line := range strings.SplitSeq(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	return out
}

func (b *boxView) Shells() []string {
	if b.model != nil && b.model.Core != nil {
		return readShellsOr(b.root, CoreDefaultShells)
	}
	return readShells(b.root)
}

func (b *boxView) APIKeyByName(name string) (*account.APIKeyEntry, bool) {
	k, err := getKeyRow(b.ctx, b.l.q, "name = ?", name)
	if err != nil {
		b.fail(err)
		return nil, false
	}
	if k == nil {
		return nil, false
	}
	e, err := b.l.keyEntry(k)
	if err != nil {
		b.fail(err)
		return nil, false
	}
	return e, true
}

func (b *boxView) APIKeyCount(username string) int {
	var n int
	err := b.l.q.QueryRowContext(b.ctx, `SELECT COUNT(*) FROM api_keys WHERE user_id IN (SELECT id FROM users WHERE username = ?)`, username).Scan(&n)
	if err != nil {
		b.fail(err)
	}
	return n
}

func (b *boxView) Now() time.Time { return b.now }
