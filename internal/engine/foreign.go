package engine

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"

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
func boxLine(data []byte, idx int, val string) (name string, id int64, ok bool) {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(line) == 0 || line[0] == '#' || line[0] == '+' || line[0] == '-' {
			continue
		}
		var f [3][]byte
		rest := line
		n := 0
		for ; n < 3; n++ {
			i := bytes.IndexByte(rest, ':')
			if i < 0 {
				f[n] = rest
				n++
				break
			}
			f[n], rest = rest[:i], rest[i+1:]
		}
		if n < 3 || string(f[idx]) != val {
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

// boxFile reads an account file under the root ("" when it cannot be read).
func boxFile(root, name string) []byte {
	data, _ := os.ReadFile(filepath.Join(root, name))
	return data
}

func (b *boxView) file(name string) []byte {
	if b.files == nil {
		b.files = map[string][]byte{}
	}
	data, ok := b.files[name]
	if !ok {
		data = boxFile(b.root, name)
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
