package engine

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// boxLine finds in the colon-separated account file data the first line
// whose field idx (0: name, 2: id) is val, and returns its name and id.
// It looks for val with bytes.Index and checks each hit's place, so a
// file of 10,000 lines costs about one pass of memchr, not a parse.
func boxLine(data []byte, idx int, val string) (name string, id int64, ok bool) {
	if val == "" || strings.ContainsAny(val, ":\n") {
		return "", 0, false
	}
	pat := []byte(val)
	for from := 0; from < len(data); {
		i := bytes.Index(data[from:], pat)
		if i < 0 {
			return "", 0, false
		}
		i += from
		from = i + 1
		end := i + len(pat)
		if end >= len(data) || data[end] != ':' || i > 0 && data[i-1] != ':' && data[i-1] != '\n' {
			continue
		}
		start := bytes.LastIndexByte(data[:i], '\n') + 1
		if bytes.Count(data[start:i], []byte{':'}) != idx {
			continue
		}
		line := data[start:]
		if j := bytes.IndexByte(line, '\n'); j >= 0 {
			line = line[:j]
		}
		if len(line) == 0 || line[0] == '#' || line[0] == '+' || line[0] == '-' {
			continue
		}
		f := bytes.SplitN(line, []byte{':'}, 4)
		if len(f) < 3 {
			continue
		}
		id, err := strconv.ParseInt(string(f[2]), 10, 64)
		if err != nil {
			id = -1
		}
		return string(f[0]), id, true
	}
	return "", 0, false
}

// fileCache keeps the account files the foreign-line lookups read, as
// long as their inode, size and modification time stay the same: one call
// reads each file once, not once per lookup.
type fileCache struct {
	mu sync.Mutex
	m  map[string]cachedFile
}

type cachedFile struct {
	fi   os.FileInfo
	data []byte
}

// read returns the file name under root (nil when it cannot be read).
func (c *fileCache) read(root, name string) []byte {
	p := filepath.Join(root, name)
	fi, err := os.Stat(p)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.m[p]; ok && os.SameFile(f.fi, fi) && f.fi.Size() == fi.Size() && f.fi.ModTime().Equal(fi.ModTime()) {
		return f.data
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil
	}
	if c.m == nil {
		c.m = map[string]cachedFile{}
	}
	c.m[p] = cachedFile{fi: fi, data: data}
	return data
}

func (b *boxView) file(name string) []byte {
	if b.files == nil {
		b.files = map[string][]byte{}
	}
	data, ok := b.files[name]
	if !ok {
		data = b.cache.read(b.root, name)
		b.files[name] = data
	}
	return data
}

func (b *boxView) foreignUser(idx int, val string) (*account.UserEntry, bool) {
	name, uid, ok := boxLine(b.file(box.PasswdFile), idx, val)
	if !ok {
		return nil, false
	}
	return &account.UserEntry{ID: account.ForeignID, UID: uid, Username: name, Local: true}, true
}

func (b *boxView) foreignGroup(idx int, val string) (*account.GroupEntry, bool) {
	name, gid, ok := boxLine(b.file(box.GroupFile), idx, val)
	if !ok {
		return nil, false
	}
	return &account.GroupEntry{ID: account.ForeignID, GID: gid, Name: name, Local: true}, true
}

// boxIDUsed says whether a line of the box's etc/passwd (kind "uid") or
// etc/group ("gid") has id.
func boxIDUsed(data []byte, id int64) bool {
	_, _, ok := boxLine(data, 2, strconv.FormatInt(id, 10))
	return ok
}

// foreignIDErrors adds to errs the "already used" errors of an explicit
// uid (user) or gid (group) that a foreign line has. (Not through
// Box.UserByUID/GroupByGID: a foreign group is no local group of a
// privilege.)
func (b *boxView) foreignIDErrors(errs account.Errors, prefix string, user bool, id int64) account.Errors {
	if user {
		if u, ok := b.foreignUser(2, strconv.FormatInt(id, 10)); ok {
			errs = append(errs, account.RuleByID(account.RuleUserUIDUsed).Err(prefix, "", -1, id, u.Username))
		}
	} else if g, ok := b.foreignGroup(2, strconv.FormatInt(id, 10)); ok {
		errs = append(errs, account.RuleByID(account.RuleGroupGIDUsed).Err(prefix, "", -1, id, g.Name))
	}
	return errs
}
