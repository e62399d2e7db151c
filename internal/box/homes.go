//go:build unix

package box

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// applyHome brings u's home in line:
//
//   - With ManageHome and an absolute home other than /var/empty, the home
//     is created if missing (missing parents root-owned 0755, the home
//     itself with HomeMode, the contents of <root>/etc/skel copied in,
//     owned by the user). Owner UID:GID and HomeMode are applied when the
//     home is created and whenever the home, uid, gid or mode differ from
//     what was applied last (prev, from the Ledger): a user's own later
//     chmod of the home is otherwise respected, as on TrueNAS. When the
//     home moved (prev names another one), the old home's contents are
//     copied into the new one and the old home is left in place, as
//     TrueNAS's user.do_home_copy does.
//   - Whenever the home exists (managed or not), <home>/.ssh/authorized_keys
//     holds SSHPubKey plus "\n" (0600, .ssh 0700, owned by the user); a nil
//     or empty SSHPubKey removes authorized_keys.
//
// Everything is done on descriptors reached without following symlinks
// (see fsat.go): a home, a parent of it or a .ssh replaced by a symlink
// fails this user's apply with an error naming the path, and nothing
// outside the home is touched. Chown failures with EPERM are ignored (not
// running as root).
func applyHome(root string, u *User, prev *HomePerm, b *batch) (*HomePerm, error) {
	home, ok := homePath(u.Home)
	if !ok {
		return nil, nil
	}
	rootFD, err := b.root(root)
	if err != nil {
		return prev, err
	}
	hp := filepath.Join(root, home)
	mode := u.HomeMode
	if mode == 0 {
		mode = 0o700 // TrueNAS's default home_mode
	}
	want := &HomePerm{Home: home, UID: u.UID, GID: u.GID, Mode: mode}
	perm := prev
	rel := strings.TrimPrefix(home, "/")
	var hfd int
	if u.ManageHome {
		parent, name := filepath.Split(rel)
		pfd, err := openBeneath(rootFD, parent, true)
		if err != nil {
			return prev, pathError(filepath.Dir(hp), err)
		}
		created := false
		hfd, err = openDirAt(pfd, name)
		if errors.Is(err, unix.ENOENT) {
			if err = unix.Mkdirat(pfd, name, 0o700); err == nil {
				created = true
				hfd, err = openDirAt(pfd, name)
			}
		}
		if err != nil {
			unix.Close(pfd)
			if errors.Is(err, unix.ENOTDIR) {
				return prev, fmt.Errorf("home %s exists and is not a folder", home)
			}
			return prev, pathError(hp, err)
		}
		defer unix.Close(hfd)
		// A home made by this call that cannot be finished is removed
		// again (still root's, 0700), as TrueNAS's setup_homedir does,
		// so that the retry makes it whole, /etc/skel included.
		fail := func(err error) (*HomePerm, error) {
			if created {
				_ = removeAllAt(pfd, name, 0)
			}
			unix.Close(pfd)
			return prev, err
		}
		if created {
			if err := copySkel(root, hfd, int(u.UID), int(u.GID)); err != nil {
				return fail(fmt.Errorf("copy %s: %w", SkelDir, err))
			}
		}
		if created || prev == nil || *prev != *want {
			if prev != nil && prev.Home != home {
				if err := copyOldHome(rootFD, prev, hfd); err != nil {
					return fail(err)
				}
			}
			if err := fchownTolerant(hfd, int(u.UID), int(u.GID)); err != nil {
				return fail(pathError(hp, err))
			}
			if err := unix.Fchmod(hfd, mode&0o7777); err != nil {
				return fail(pathError(hp, err))
			}
			b.touch(hfd)
			perm = want
		}
		unix.Close(pfd)
	} else {
		hfd, err = openBeneath(rootFD, rel, false)
		if err != nil {
			// No home: nothing to put keys in (TrueNAS writes keys only
			// when the home exists).
			return perm, nil
		}
		defer unix.Close(hfd)
	}
	key := ""
	if u.SSHPubKey != nil {
		key = *u.SSHPubKey
	}
	if strings.TrimSpace(key) == "" {
		return perm, removeKeys(hfd, hp, b)
	}
	if !strings.HasSuffix(key, "\n") {
		key += "\n"
	}
	return perm, writeKeys(hfd, hp, []byte(key), int(u.UID), int(u.GID), b)
}

// copyOldHome copies the whole previous home (prev.Home) into the open
// home hfd, as TrueNAS's do_home_copy does (copytree): every folder,
// regular file and symlink, root's included, each with its own owner,
// mode and times (copyHomeAt). A previous home that is gone, or is no
// longer a folder reached without symlinks, has nothing to copy.
func copyOldHome(rootFD int, prev *HomePerm, hfd int) error {
	ofd, err := openBeneath(rootFD, strings.TrimPrefix(prev.Home, "/"), false)
	if err != nil {
		return nil
	}
	defer unix.Close(ofd)
	var st unix.Stat_t
	if err := unix.Fstat(ofd, &st); err != nil {
		return fmt.Errorf("copy %s: %w", prev.Home, err)
	}
	if err := copyHomeAt(ofd, hfd, uint64(st.Dev), 0); err != nil {
		return fmt.Errorf("copy %s: %w", prev.Home, err)
	}
	return nil
}

// removeKeys removes .ssh/authorized_keys of the open home hfd (at hp).
func removeKeys(hfd int, hp string, b *batch) error {
	sfd, err := openDirAt(hfd, ".ssh")
	if err != nil {
		return nil // no .ssh folder (or not one we enter): no keys
	}
	defer unix.Close(sfd)
	err = unix.Unlinkat(sfd, "authorized_keys", 0)
	switch {
	case err == nil:
		b.touch(sfd)
	case errors.Is(err, unix.ENOENT):
	case errors.Is(err, unix.EISDIR) || errors.Is(err, unix.EPERM):
		return fmt.Errorf("%s/.ssh/authorized_keys is a folder: remove it", hp)
	default:
		return pathError(hp+"/.ssh/authorized_keys", err)
	}
	return nil
}

// writeKeys makes .ssh (0700) and .ssh/authorized_keys (0600) inside the
// open home hfd (at hp), owned by uid:gid. A .ssh that is a symlink is
// replaced by a folder; one that is a file or anything else is an error
// naming it. When the content differs it writes a temporary file beside
// authorized_keys and leaves the rename to b.commit, which first makes
// all such files durable with one sync per filesystem.
func writeKeys(hfd int, hp string, content []byte, uid, gid int, b *batch) error {
	sshPath := hp + "/.ssh"
	sfd, err := openDirAt(hfd, ".ssh")
	if errors.Is(err, unix.ELOOP) {
		// A symlink: removed (unlinkat does not follow it), then made.
		if err := unix.Unlinkat(hfd, ".ssh", 0); err != nil {
			return pathError(sshPath, err)
		}
		err = unix.ENOENT
	}
	if errors.Is(err, unix.ENOENT) {
		if err := unix.Mkdirat(hfd, ".ssh", 0o700); err != nil && !errors.Is(err, unix.EEXIST) {
			return pathError(sshPath, err)
		}
		b.touch(hfd)
		sfd, err = openDirAt(hfd, ".ssh")
	}
	if errors.Is(err, unix.ENOTDIR) {
		return fmt.Errorf("%s exists and is not a folder: remove it or make it a folder", sshPath)
	}
	if err != nil {
		return pathError(sshPath, err)
	}
	defer unix.Close(sfd)
	if err := fixFD(sfd, 0o700, uid, gid); err != nil {
		return pathError(sshPath, err)
	}
	keysPath := sshPath + "/authorized_keys"
	kfd, err := unix.Openat(sfd, "authorized_keys", unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err == nil {
		f := os.NewFile(uintptr(kfd), keysPath)
		var st unix.Stat_t
		err = unix.Fstat(kfd, &st)
		switch {
		case err != nil:
		case st.Mode&unix.S_IFMT == unix.S_IFDIR:
			err = fmt.Errorf("%s is a folder: remove it", keysPath)
		case st.Mode&unix.S_IFMT == unix.S_IFREG && st.Nlink == 1:
			// A hard link (Nlink > 1) may be another file: never chown
			// it; it is replaced below.
			old, rerr := io.ReadAll(io.LimitReader(f, int64(len(content))+1))
			if rerr == nil && bytes.Equal(old, content) {
				_ = unix.Unlinkat(sfd, keysTmpName, 0) // left by a crash before the rename
				err = fixFD(kfd, 0o600, uid, gid)
				f.Close()
				if err != nil {
					return pathError(keysPath, err)
				}
				return nil
			}
		}
		f.Close()
		if err != nil {
			return err
		}
	} else if !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.ELOOP) && !errors.Is(err, unix.ENXIO) {
		return pathError(keysPath, err)
	}
	// A symlink, fifo, socket or other file at authorized_keys is
	// replaced by the rename: it replaces the entry, never its target.
	if err := unix.Unlinkat(sfd, keysTmpName, 0); err != nil && !errors.Is(err, unix.ENOENT) {
		return pathError(sshPath+"/"+keysTmpName, err)
	}
	tfd, err := unix.Openat(sfd, keysTmpName, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return pathError(sshPath+"/"+keysTmpName, err)
	}
	f := os.NewFile(uintptr(tfd), keysTmpName)
	_, err = f.Write(content)
	if err == nil {
		err = fchownTolerant(tfd, uid, gid)
	}
	if err == nil {
		err = unix.Fchmod(tfd, 0o600)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = unix.Unlinkat(sfd, keysTmpName, 0)
		return pathError(sshPath+"/"+keysTmpName, err)
	}
	b.pending = append(b.pending, pendingKeys{hp: hp, rel: mustRel(b.rootPath, hp)})
	b.touch(sfd)
	return nil
}

// keysTmpName is the temporary authorized_keys, in .ssh.
const keysTmpName = ".authorized_keys.engine-tmp"

func mustRel(root, p string) string {
	r, err := filepath.Rel(root, p)
	if err != nil {
		return p
	}
	return r
}

// pendingKeys is a home whose .ssh holds a keysTmpName to rename.
type pendingKeys struct {
	hp  string // for messages
	rel string // the home, relative to the root
}

// batch defers the syncs of homes and keys: with 10,000 users a sync per
// file would take minutes. Key files are written to temporary names, then
// commit syncs each touched filesystem once, renames them all into place
// and syncs again. A crash before the renames leaves the old keys (and
// stale temporary files that the next Apply replaces). It holds one
// descriptor on the root and one per touched filesystem: Close releases
// them.
type batch struct {
	rootPath string
	rootFD   int
	pending  []pendingKeys
	fsFDs    map[uint64]int // one descriptor per touched filesystem
}

// root opens the root once per batch.
func (b *batch) root(root string) (int, error) {
	if b.rootPath == "" {
		fd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return -1, &os.PathError{Op: "open", Path: root, Err: err}
		}
		b.rootPath, b.rootFD = root, fd
	}
	return b.rootFD, nil
}

// touch notes the filesystem of the open file fd for the syncs.
func (b *batch) touch(fd int) {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return
	}
	if b.fsFDs == nil {
		b.fsFDs = map[uint64]int{}
	}
	if _, ok := b.fsFDs[uint64(st.Dev)]; !ok {
		if d, err := unix.Dup(fd); err == nil {
			b.fsFDs[uint64(st.Dev)] = d
		}
	}
}

// Close releases the batch's descriptors.
func (b *batch) Close() {
	for _, fd := range b.fsFDs {
		unix.Close(fd)
	}
	b.fsFDs = nil
	if b.rootPath != "" {
		unix.Close(b.rootFD)
		b.rootPath = ""
	}
}

// commit renames the pending keys into place. The errors are per home
// (keyed by hp); err is a sync failure, which concerns them all.
func (b *batch) commit() (homeErrs map[string]error, err error) {
	if len(b.pending) > 0 {
		if err := syncFilesystems(b.fsFDs); err != nil {
			return nil, err
		}
		for _, p := range b.pending {
			sfd, err := openBeneath(b.rootFD, p.rel+"/.ssh", false)
			if err == nil {
				err = unix.Renameat(sfd, keysTmpName, sfd, "authorized_keys")
				unix.Close(sfd)
				if errors.Is(err, unix.EISDIR) || errors.Is(err, unix.ENOTEMPTY) || errors.Is(err, unix.EEXIST) {
					err = fmt.Errorf("is a folder: remove it")
				}
			} else {
				err = pathError(p.hp+"/.ssh", err)
			}
			if err != nil {
				if homeErrs == nil {
					homeErrs = map[string]error{}
				}
				homeErrs[p.hp] = fmt.Errorf("box: %s/.ssh/authorized_keys: %w", p.hp, err)
			}
		}
	}
	if len(b.fsFDs) > 0 {
		return homeErrs, syncFilesystems(b.fsFDs)
	}
	return homeErrs, nil
}

// copySkel copies <root>/etc/skel (root's, trusted) into the new home hfd
// (folders, regular files and symlinks), owned by uid:gid. A missing skel
// is not an error.
func copySkel(root string, hfd, uid, gid int) error {
	src := filepath.Join(root, SkelDir)
	if fi, err := os.Stat(src); err != nil || !fi.IsDir() {
		return nil
	}
	sfd, err := unix.Open(src, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(sfd)
	var st unix.Stat_t
	if err := unix.Fstat(sfd, &st); err != nil {
		return err
	}
	return copyTreeAt(sfd, hfd, int(st.Uid), uid, gid, 0)
}

// removeSSHDir removes <home>/.ssh of a removed user, as TrueNAS does on
// user.delete; the home itself stays. A missing home is not an error.
func removeSSHDir(root, home string, b *batch) error {
	rootFD, err := b.root(root)
	if err != nil {
		return err
	}
	hfd, err := openBeneath(rootFD, strings.TrimPrefix(home, "/"), false)
	if err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return pathError(filepath.Join(root, home), err)
	}
	defer unix.Close(hfd)
	var st unix.Stat_t
	if err := unix.Fstatat(hfd, ".ssh", &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return nil
	}
	b.touch(hfd)
	if err := removeAllAt(hfd, ".ssh", 0); err != nil {
		return pathError(filepath.Join(root, home, ".ssh"), err)
	}
	return nil
}
