package engine

import (
	"os"
	"path/filepath"
	"sync"

	"github.com/nasops/terraform-provider-truenas/internal/account"
	"github.com/nasops/terraform-provider-truenas/internal/box"
)

// Lines of the box's etc/passwd and etc/group that the store does not know
// (added by useradd, a package, an administrator) are foreign: the engine
// never writes them, so it must not hand their names or ids to an account
// of its own. The account rules find them through boxView, as TrueNAS's
// find them through NSS (getpwuid/getgrgid in plugins/account.py), and
// automatic ids skip them; all before anything is saved.

// fileCache keeps the account files the foreign-line lookups read, as
// long as their inode, size and modification time stay the same: one call
// reads each file once, not once per lookup.
type fileCache struct {
	mu sync.Mutex
	m  map[string]cachedFile
}

type cachedFile struct {
	fi os.FileInfo
	ix *nssIndex
}

// index is the file name (box.PasswdFile or box.GroupFile) under root as
// glibc resolves it (empty when the file cannot be read), built once per
// version of the file.
func (c *fileCache) index(root, name string) *nssIndex {
	passwd := name == box.PasswdFile
	p := filepath.Join(root, name)
	fi, err := os.Stat(p)
	if err != nil {
		return newNSSIndex(nil, passwd)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.m[p]; ok && os.SameFile(f.fi, fi) && f.fi.Size() == fi.Size() && f.fi.ModTime().Equal(fi.ModTime()) {
		return f.ix
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return newNSSIndex(nil, passwd)
	}
	if c.m == nil {
		c.m = map[string]cachedFile{}
	}
	ix := newNSSIndex(data, passwd)
	c.m[p] = cachedFile{fi: fi, ix: ix}
	return ix
}

func (b *boxView) index(name string) *nssIndex {
	if b.indexes == nil {
		b.indexes = map[string]*nssIndex{}
	}
	ix, ok := b.indexes[name]
	if !ok {
		ix = b.cache.index(b.root, name)
		b.indexes[name] = ix
	}
	return ix
}

// foreignUserNamed is the line getpwnam(name) returns.
func (b *boxView) foreignUserNamed(name string) (*account.UserEntry, bool) {
	l, ok := b.index(box.PasswdFile).lookupName(name)
	if !ok {
		return nil, false
	}
	return &account.UserEntry{ID: account.ForeignID, UID: int64(l.id), Username: l.name, Local: true}, true
}

// foreignGroupNamed is the line getgrnam(name) returns.
func (b *boxView) foreignGroupNamed(name string) (*account.GroupEntry, bool) {
	l, ok := b.index(box.GroupFile).lookupName(name)
	if !ok {
		return nil, false
	}
	return &account.GroupEntry{ID: account.ForeignID, GID: int64(l.id), Name: l.name, Local: true}, true
}

// uidHolder is the first line of etc/passwd that holds uid (getpwuid's,
// or a NIS-compat line's): a uid no account of the engine may take.
func (b *boxView) uidHolder(uid int64) (string, bool) {
	l, ok := b.index(box.PasswdFile).holder(uid)
	if !ok {
		return "", false
	}
	return l.name, true
}

// gidHolder is the first line of etc/group that holds gid.
func (b *boxView) gidHolder(gid int64) (string, bool) {
	l, ok := b.index(box.GroupFile).holder(gid)
	if !ok {
		return "", false
	}
	return l.name, true
}

// boxIDUsed says whether a line of the box's etc/passwd (uid, user true)
// or etc/group (gid) holds id, as glibc reads the lines. A gid that a
// line of etc/passwd has as its primary group counts as used too: a group
// made at that gid would take that account in as a member (sudo's %#gid,
// file ownership), whatever etc/group says.
func boxIDUsed(passwd, group *nssIndex, user bool, id int64) bool {
	if user {
		_, ok := passwd.holder(id)
		return ok
	}
	if _, ok := group.holder(id); ok {
		return true
	}
	_, ok := passwd.primaryHolder(id)
	return ok
}

// foreignIDErrors adds to errs the "already used" errors of an explicit
// uid (user) or gid (group) that a foreign line has. (Not through
// Box.UserByUID/GroupByGID: a foreign group is no local group of a
// privilege.)
func (b *boxView) foreignIDErrors(errs account.Errors, prefix string, user bool, id int64) account.Errors {
	if user {
		if name, ok := b.uidHolder(id); ok {
			errs = append(errs, account.RuleByID(account.RuleUserUIDUsed).Err(prefix, "", -1, id, name))
		}
	} else if name, ok := b.gidHolder(id); ok {
		errs = append(errs, account.RuleByID(account.RuleGroupGIDUsed).Err(prefix, "", -1, id, name))
	} else if l, ok := b.index(box.PasswdFile).primaryHolder(id); ok {
		// No group line, but an account's primary gid: a group made at it
		// would take that account in (sudo's %#gid, the files it owns).
		errs = append(errs, account.RuleByID(account.RuleGroupGIDUsed).Err(prefix, "", -1, id, "of user "+l.name+"'s primary gid"))
	}
	return errs
}
