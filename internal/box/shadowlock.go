//go:build unix

package box

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// pwdLockFile is the lock glibc's lckpwdf(3) takes with fcntl(2) (and
// shadow-utils through it, when not given --prefix), relative to root.
const pwdLockFile = "etc/.pwd.lock"

// accountFiles are the files whose "<file>.lock" shadow-utils takes, in
// the order useradd takes them (passwd, group, gshadow, shadow).
var accountFiles = []string{PasswdFile, GroupFile, GShadowFile, ShadowFile}

// accountLocks are the locks of one root that this process holds.
type accountLocks struct {
	pwdFile *os.File // etc/.pwd.lock, open from the first try to release
	pwd     bool     // pwdFile has its OFD write lock
	etc     int      // etc, opened without following symlinks
	links   []string // the "<file>.lock" names taken, in etc
}

// held records the roots whose account locks Lock holds in this process,
// so that an Apply under Lock does not take them again.
var held struct {
	sync.Mutex
	roots map[string]int
}

func holdsAccountLocks(root string) bool {
	held.Lock()
	defer held.Unlock()
	return held.roots[filepath.Clean(root)] > 0
}

func markHeld(root string, d int) {
	held.Lock()
	defer held.Unlock()
	if held.roots == nil {
		held.roots = map[string]int{}
	}
	held.roots[filepath.Clean(root)] += d
}

// lockAccountFiles takes, under root, the locks shadow-utils takes before
// it reads and rewrites the account files: glibc's lckpwdf lock (an
// fcntl write lock on etc/.pwd.lock) and then a "<file>.lock" hard link
// for passwd, group, gshadow and shadow, with shadow-utils' rules for a
// stale one (a lock whose PID is not a live process is removed). When a
// later lock is busy, the ones taken are released before waiting again,
// so that a tool taking them in another order (usermod: passwd, shadow,
// group; groupmod: group, gshadow, passwd) can finish. After LockTimeout
// it gives up with a *LockError naming the lock.
func lockAccountFiles(root string) (*accountLocks, error) {
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		return nil, fmt.Errorf("box: lock: %w", err)
	}
	rfd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("box: lock: %w", &os.PathError{Op: "open", Path: root, Err: err})
	}
	etc, err := openBeneath(rfd, "etc", false)
	unix.Close(rfd)
	if err != nil {
		return nil, fmt.Errorf("box: lock: %s: %w", filepath.Join(root, "etc"), err)
	}
	l := &accountLocks{etc: etc}
	deadline := time.Now().Add(LockTimeout)
	var last *LockError
	for {
		busy, err := l.try()
		if err != nil {
			l.release()
			return nil, err
		}
		if busy == nil {
			return l, nil
		}
		last = busy
		if time.Now().After(deadline) {
			l.release()
			last.Wait = LockTimeout
			return nil, last
		}
		// Another tool has it: let go of the others too, then wait a
		// little (shadow-utils retries once a second).
		l.unlinkLocks()
		time.Sleep(time.Duration(5+rand.IntN(20)) * time.Millisecond)
	}
}

// try takes every lock not yet held; busy names the first one another
// process holds.
func (l *accountLocks) try() (busy *LockError, err error) {
	if l.pwdFile == nil {
		// Opened once and kept open until release: closing any
		// descriptor of the file would drop a process-owned (lckpwdf)
		// lock this process might hold on it.
		fd, err := unix.Openat(l.etc, ".pwd.lock", unix.O_WRONLY|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return nil, fmt.Errorf("box: lock /%s: %w", pwdLockFile, err)
		}
		l.pwdFile = os.NewFile(uintptr(fd), pwdLockFile)
	}
	if !l.pwd {
		fd := l.pwdFile.Fd()
		lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0}
		if err := unix.FcntlFlock(fd, ofdSetLock, &lk); err != nil {
			if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EACCES) {
				q := unix.Flock_t{Type: unix.F_WRLCK}
				pid := 0
				if unix.FcntlFlock(fd, unix.F_GETLK, &q) == nil && q.Type != unix.F_UNLCK && q.Pid > 0 {
					pid = int(q.Pid)
				}
				return &LockError{Lock: pwdLockFile, PID: pid}, nil
			}
			return nil, fmt.Errorf("box: lock /%s: %w", pwdLockFile, err)
		}
		l.pwd = true
	}
	for _, file := range accountFiles[len(l.links):] {
		name := filepath.Base(file)
		busy, err := l.linkLock(name)
		if err != nil || busy != nil {
			return busy, err
		}
		l.links = append(l.links, name+".lock")
	}
	return nil, nil
}

// linkLock is shadow-utils' do_lock_file for etc/<name>: write our PID
// (with its NUL, as shadow-utils does) to "<name>.<pid>", hard-link it
// to "<name>.lock" and check the link count is 2. A lock that exists is
// read: without a PID or with an invalid one it is busy (as shadow-utils
// has it: a human must look); with the PID of a live process it is
// busy; otherwise it is stale, removed, and the link tried once more.
func (l *accountLocks) linkLock(name string) (busy *LockError, err error) {
	pid := os.Getpid()
	tmp := name + "." + strconv.Itoa(pid)
	lock := name + ".lock"
	rel := "etc/" + lock
	fail := func(err error) (*LockError, error) {
		_ = unix.Unlinkat(l.etc, tmp, 0)
		return nil, fmt.Errorf("box: lock /%s: %w", rel, err)
	}
	_ = unix.Unlinkat(l.etc, tmp, 0)
	fd, err := unix.Openat(l.etc, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fail(err)
	}
	buf := append([]byte(strconv.Itoa(pid)), 0)
	_, err = unix.Write(fd, buf)
	if err == nil {
		syncs.Add(1)
		err = unix.Fsync(fd)
	}
	unix.Close(fd)
	if err != nil {
		return fail(err)
	}
	defer unix.Unlinkat(l.etc, tmp, 0)
	for attempt := 0; ; attempt++ {
		err := unix.Linkat(l.etc, tmp, l.etc, lock, 0)
		if err == nil {
			var st unix.Stat_t
			if err := unix.Fstatat(l.etc, tmp, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				return fail(err)
			}
			if st.Nlink != 2 {
				return &LockError{Lock: rel, Reason: "its link count is " + strconv.Itoa(int(st.Nlink))}, nil
			}
			return nil, nil
		}
		if !errors.Is(err, unix.EEXIST) {
			return fail(err)
		}
		if attempt > 0 {
			return &LockError{Lock: rel}, nil // someone else took it again
		}
		holder, why := lockHolder(l.etc, lock)
		if why != "" {
			return &LockError{Lock: rel, Reason: why}, nil
		}
		if holder == 0 {
			continue // released meanwhile: link again
		}
		if unix.Kill(holder, 0) == nil {
			return &LockError{Lock: rel, PID: holder}, nil
		}
		// Stale: its process is gone. So is the PID file it linked from,
		// when it died before removing it.
		if err := unix.Unlinkat(l.etc, lock, 0); err != nil && !errors.Is(err, unix.ENOENT) {
			return fail(err)
		}
		_ = unix.Unlinkat(l.etc, name+"."+strconv.Itoa(holder), 0)
	}
}

// lockHolder reads the PID of the lock name in etc; why says what is
// wrong with a lock that names none (shadow-utils then refuses it).
func lockHolder(etc int, name string) (pid int, why string) {
	fd, err := unix.Openat(etc, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return 0, "" // released meanwhile
		}
		return 0, "it cannot be read: " + err.Error()
	}
	buf := make([]byte, 31)
	n, err := unix.Read(fd, buf)
	unix.Close(fd)
	if err != nil || n <= 0 {
		return 0, "it holds no PID"
	}
	s := string(buf[:n])
	if i := indexNUL(s); i >= 0 {
		s = s[:i]
	}
	v, err := strconv.ParseInt(s, 10, 32)
	if err != nil || s == "" {
		return 0, "it holds an invalid PID " + strconv.Quote(s)
	}
	if v <= 0 {
		// kill(0 or negative) signals a group: shadow-utils would see a
		// live process there too.
		return 0, "it holds the PID " + s
	}
	return int(v), ""
}

func indexNUL(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return i
		}
	}
	return -1
}

// unlinkLocks releases the link locks (in reverse order), keeping
// etc/.pwd.lock.
func (l *accountLocks) unlinkLocks() {
	for i := len(l.links) - 1; i >= 0; i-- {
		_ = unix.Unlinkat(l.etc, l.links[i], 0)
	}
	l.links = nil
}

// release lets go of every lock, the link locks first, as shadow-utils
// does, then the lckpwdf lock.
func (l *accountLocks) release() {
	if l == nil {
		return
	}
	l.unlinkLocks()
	if l.pwdFile != nil {
		l.pwdFile.Close() // closing the description drops its OFD lock
		l.pwdFile, l.pwd = nil, false
	}
	if l.etc >= 0 {
		unix.Close(l.etc)
		l.etc = -1
	}
}
