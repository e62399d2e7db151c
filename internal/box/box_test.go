//go:build unix

package box

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Fixtures: a Debian 12 box (with sudo and openssh-server installed) plus a
// TrueNAS built-in group.
const debPasswd = `root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
bin:x:2:2:bin:/bin:/usr/sbin/nologin
sys:x:3:3:sys:/dev:/usr/sbin/nologin
sync:x:4:65534:sync:/bin:/bin/sync
games:x:5:60:games:/usr/games:/usr/sbin/nologin
man:x:6:12:man:/var/cache/man:/usr/sbin/nologin
lp:x:7:7:lp:/var/spool/lpd:/usr/sbin/nologin
mail:x:8:8:mail:/var/mail:/usr/sbin/nologin
news:x:9:9:news:/var/spool/news:/usr/sbin/nologin
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
backup:x:34:34:backup:/var/backups:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
_apt:x:42:65534::/nonexistent:/usr/sbin/nologin
systemd-network:x:998:998:systemd Network Management:/:/usr/sbin/nologin
messagebus:x:100:107::/nonexistent:/usr/sbin/nologin
sshd:x:101:65534::/run/sshd:/usr/sbin/nologin
admin:x:1000:1000:Admin,,,:/home/admin:/bin/bash
`

const debGroup = `root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:admin
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
news:x:9:
sudo:x:27:admin
www-data:x:33:
backup:x:34:
shadow:x:42:
users:x:100:
nogroup:x:65534:
systemd-network:x:998:
messagebus:x:107:
admin:x:1000:
builtin_administrators:x:544:
`

const debShadow = `root:*:19700:0:99999:7:::
daemon:*:19700:0:99999:7:::
bin:*:19700:0:99999:7:::
sys:*:19700:0:99999:7:::
sync:*:19700:0:99999:7:::
games:*:19700:0:99999:7:::
man:*:19700:0:99999:7:::
lp:*:19700:0:99999:7:::
mail:*:19700:0:99999:7:::
news:*:19700:0:99999:7:::
www-data:*:19700:0:99999:7:::
backup:*:19700:0:99999:7:::
nobody:*:19700:0:99999:7:::
_apt:*:19700:0:99999:7:::
systemd-network:!*:19700::::::
messagebus:!:19700::::::
sshd:!:19700::::::
admin:$6$salt$abcdefghijklmnop:19701:0:99999:7:::
`

const debGShadow = `root:*::
daemon:*::
adm:*::admin
sudo:*::admin
shadow:*::
users:*::
admin:!::
builtin_administrators:!::
`

func seed(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(root, "etc/skel"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, PasswdFile), []byte(debPasswd), 0o644))
	must(t, os.WriteFile(filepath.Join(root, GroupFile), []byte(debGroup), 0o644))
	must(t, os.WriteFile(filepath.Join(root, ShadowFile), []byte(debShadow), 0o640))
	must(t, os.WriteFile(filepath.Join(root, GShadowFile), []byte(debGShadow), 0o640))
	must(t, chownTolerant(os.Chown(filepath.Join(root, ShadowFile), 0, 42)))
	must(t, os.WriteFile(filepath.Join(root, "etc/skel/.bashrc"), []byte("# bashrc\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "etc/skel/.profile"), []byte("# profile\n"), 0o644))
	return root
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func read(t testing.TB, root, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, name))
	must(t, err)
	return string(b)
}

func strp(s string) *string { return &s }

func alice() User {
	return User{Name: "alice", UID: 3000, GID: 3000, Gecos: "Alice A", Home: "/mnt/tank/alice",
		Shell: "/usr/bin/bash", Hash: "$6$x$alicehash", LastChange: 20000, HomeMode: 0o700,
		ManageHome: true, SSHPubKey: strp("ssh-ed25519 AAAAC3 alice@laptop")}
}

func bob() User {
	return User{Name: "bob", UID: 3001, GID: 3001, Gecos: "Bob", Home: "/var/empty",
		Shell: "/usr/sbin/nologin", Hash: "*", LastChange: 20000}
}

func baseState() State {
	return State{
		Users: []User{alice(), bob()},
		Groups: []Group{
			{Name: "alice", GID: 3000},
			{Name: "bob", GID: 3001},
			{Name: "staff2", GID: 3002, Members: []string{"alice", "bob"}},
		},
	}
}

// checkForeign checks that every foreign line of orig is still there, in the
// same order, byte for byte, and that owned lines come after them.
func checkForeign(t *testing.T, orig, got string, owned ...string) {
	t.Helper()
	isOwned := func(l string) bool {
		for _, o := range owned {
			if strings.HasPrefix(l, o+":") {
				return true
			}
		}
		return false
	}
	var kept []string
	for _, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		if !isOwned(l) {
			kept = append(kept, l)
		}
	}
	if want := strings.TrimSuffix(orig, "\n"); strings.Join(kept, "\n") != want {
		t.Fatalf("foreign lines changed:\n got %q\nwant %q", strings.Join(kept, "\n"), want)
	}
}

func TestAddUpdateRemove(t *testing.T) {
	root := seed(t)
	st := baseState()
	must(t, Apply(root, st))

	pw := read(t, root, PasswdFile)
	if !strings.HasPrefix(pw, debPasswd) {
		t.Fatalf("foreign passwd lines not kept in place:\n%s", pw)
	}
	wantTail := "alice:x:3000:3000:Alice A:/mnt/tank/alice:/usr/bin/bash\nbob:x:3001:3001:Bob:/var/empty:/usr/sbin/nologin\n"
	if pw != debPasswd+wantTail {
		t.Fatalf("passwd:\n%s", pw)
	}
	if sh := read(t, root, ShadowFile); sh != debShadow+"alice:$6$x$alicehash:20000:0:99999:7:::\nbob:*:20000:0:99999:7:::\n" {
		t.Fatalf("shadow:\n%s", sh)
	}
	if gr := read(t, root, GroupFile); gr != debGroup+"alice:x:3000:\nbob:x:3001:\nstaff2:x:3002:alice,bob\n" {
		t.Fatalf("group:\n%s", gr)
	}
	if gs := read(t, root, GShadowFile); gs != debGShadow+"alice:!::\nbob:!::\nstaff2:!::alice,bob\n" {
		t.Fatalf("gshadow:\n%s", gs)
	}
	// Modes and owner kept.
	fi, err := os.Stat(filepath.Join(root, ShadowFile))
	must(t, err)
	if fi.Mode().Perm() != 0o640 || (os.Geteuid() == 0 && fi.Sys().(*syscall.Stat_t).Gid != 42) {
		t.Fatalf("shadow mode %v gid %d", fi.Mode(), fi.Sys().(*syscall.Stat_t).Gid)
	}
	// Backup of the previous version.
	if b := read(t, root, PasswdFile+"-"); b != debPasswd {
		t.Fatalf("passwd- is not the previous version:\n%s", b)
	}
	if b := read(t, root, ShadowFile+"-"); b != debShadow {
		t.Fatalf("shadow- is not the previous version")
	}

	// A foreign line added by someone else after us, in the middle.
	pw = read(t, root, PasswdFile)
	pw = strings.Replace(pw, "alice:", "zed:x:1001:1001::/home/zed:/bin/sh\nalice:", 1)
	must(t, os.WriteFile(filepath.Join(root, PasswdFile), []byte(pw), 0o644))

	// Update alice in place, remove bob and group staff2.
	st.Users = []User{alice()}
	st.Users[0].Gecos = "Alice B"
	st.Users[0].Shell = "/usr/bin/zsh"
	st.Groups = []Group{{Name: "alice", GID: 3000}, {Name: "carol", GID: 3005}}
	must(t, Apply(root, st))
	pw2 := read(t, root, PasswdFile)
	if pw2 != debPasswd+"zed:x:1001:1001::/home/zed:/bin/sh\nalice:x:3000:3000:Alice B:/mnt/tank/alice:/usr/bin/zsh\n" {
		t.Fatalf("passwd after update:\n%s", pw2)
	}
	if sh := read(t, root, ShadowFile); strings.Contains(sh, "bob:") || !strings.HasPrefix(sh, debShadow) {
		t.Fatalf("shadow after update:\n%s", sh)
	}
	if gr := read(t, root, GroupFile); gr != debGroup+"alice:x:3000:\ncarol:x:3005:\n" {
		t.Fatalf("group after update:\n%s", gr)
	}
	if b := read(t, root, PasswdFile+"-"); b != pw {
		t.Fatalf("passwd- is not the previous version")
	}
	m, err := readManifest(root)
	must(t, err)
	if _, ok := m.Users["bob"]; ok || len(m.Users) != 1 || len(m.Groups) != 2 {
		t.Fatalf("manifest: %+v", m)
	}

	// Remove everything: back to the foreign lines.
	must(t, Apply(root, State{}))
	checkForeign(t, debPasswd+"zed:x:1001:1001::/home/zed:/bin/sh\n", read(t, root, PasswdFile))
	if read(t, root, GroupFile) != debGroup || read(t, root, ShadowFile) != debShadow || read(t, root, GShadowFile) != debGShadow {
		t.Fatal("files not restored to their foreign lines")
	}
	for _, f := range []string{SudoersFile, SSHDFile} {
		if _, err := os.Stat(filepath.Join(root, f)); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%s still exists", f)
		}
	}
}

func TestConflict(t *testing.T) {
	root := seed(t)
	st := baseState()
	u := bob()
	u.Name = "www-data"
	st.Users = append(st.Users, u)
	st.Groups = append(st.Groups, Group{Name: "sudo", GID: 999})
	err := Apply(root, st)
	var ce *ConflictError
	if !errors.As(err, &ce) || len(ce.Users) != 1 || ce.Users[0] != "www-data" || len(ce.Groups) != 1 || ce.Groups[0] != "sudo" {
		t.Fatalf("want a conflict on www-data and sudo, got %v", err)
	}
	if !strings.Contains(err.Error(), `user "www-data"`) {
		t.Fatalf("message: %v", err)
	}
	// Only those two are left out: the foreign lines stay byte for byte,
	// the other accounts are written, and nobody gets the foreign
	// account's name in a member list.
	var ae *AccountErrors
	if !errors.As(err, &ae) || ae.ForUser("www-data") == nil || ae.ForGroup("sudo") == nil || ae.ForUser("alice") != nil {
		t.Fatalf("want AccountErrors for www-data and sudo only, got %v", err)
	}
	passwd, group := read(t, root, PasswdFile), read(t, root, GroupFile)
	checkForeign(t, debPasswd, passwd, "alice", "bob")
	checkForeign(t, debGroup, group, "alice", "bob", "staff2")
	if strings.Count(passwd, "\nwww-data:") != 1 || strings.Count(group, "\nsudo:") != 1 {
		t.Fatal("a conflicting name was written")
	}
	if !strings.Contains(passwd, "\nalice:x:3000:") {
		t.Fatal("the other accounts were not written")
	}
	m, err := readManifest(root)
	must(t, err)
	if _, ok := m.Users["www-data"]; ok {
		t.Fatal("the foreign user is owned")
	}
	if _, ok := m.Groups["sudo"]; ok {
		t.Fatal("the foreign group is owned")
	}
}

func TestValidation(t *testing.T) {
	root := seed(t)
	for _, st := range []State{
		{Users: []User{{Name: "a:b"}}},
		{Users: []User{{Name: "x", Gecos: "a:b"}}},
		{Users: []User{{Name: "x"}, {Name: "x"}}},
		{Groups: []Group{{Name: "g", Members: []string{"a,b"}}}},
		{Users: []User{{Name: "x", SudoCommands: []string{"/bin/ls\nroot ALL=(ALL) ALL"}}}},
		{Users: []User{{Name: "+x"}}},
	} {
		if err := Apply(root, st); err == nil {
			t.Errorf("no error for %+v", st)
		}
	}
	if read(t, root, PasswdFile) != debPasswd {
		t.Fatal("files changed on invalid state")
	}
}

func TestMembersManagedGroup(t *testing.T) {
	root := seed(t)
	st := baseState()
	st.Groups = append(st.Groups, Group{Name: "builtin_administrators", GID: 544, Members: []string{"alice"}},
		Group{Name: "sudo", GID: 27, Members: []string{"admin", "alice"}})
	must(t, Apply(root, st))
	gr := read(t, root, GroupFile)
	want := strings.Replace(debGroup, "builtin_administrators:x:544:\n", "builtin_administrators:x:544:alice\n", 1)
	want = strings.Replace(want, "sudo:x:27:admin\n", "sudo:x:27:admin,alice\n", 1)
	if !strings.HasPrefix(gr, want) {
		t.Fatalf("group:\n%s", gr)
	}
	gs := read(t, root, GShadowFile)
	if !strings.Contains(gs, "\nsudo:*::admin,alice\n") || !strings.Contains(gs, "\nbuiltin_administrators:!::alice\n") {
		t.Fatalf("gshadow:\n%s", gs)
	}
	m, _ := readManifest(root)
	if !m.Groups["sudo"].MembersOnly || m.Groups["alice"].MembersOnly {
		t.Fatalf("manifest: %+v", m.Groups)
	}
	// Members change.
	st.Groups[len(st.Groups)-1].Members = []string{"admin"}
	must(t, Apply(root, st))
	if gr := read(t, root, GroupFile); !strings.Contains(gr, "\nsudo:x:27:admin\n") {
		t.Fatalf("group:\n%s", gr)
	}
	// Dropped from the State: the line stays as it is.
	st.Groups = st.Groups[:3]
	must(t, Apply(root, st))
	if gr := read(t, root, GroupFile); !strings.Contains(gr, "\nbuiltin_administrators:x:544:alice\n") || !strings.Contains(gr, "\nsudo:x:27:admin\n") {
		t.Fatalf("group:\n%s", gr)
	}
	m, _ = readManifest(root)
	if _, ok := m.Groups["sudo"]; ok {
		t.Fatal("sudo still in manifest")
	}
}

func TestShadowHashes(t *testing.T) {
	for _, c := range []struct {
		hash   string
		locked bool
		lc     int64
		want   string
	}{
		{"$6$s$h", false, 20000, "u:$6$s$h:20000:0:99999:7:::"},
		{"$6$s$h", true, 20000, "u:!$6$s$h:20000:0:99999:7:::"},
		{"*", false, 20000, "u:*:20000:0:99999:7:::"},
		{"*", true, 20000, "u:!*:20000:0:99999:7:::"},
		{"", false, 0, "u:*::0:99999:7:::"},
	} {
		u := User{Name: "u", Hash: c.hash, Locked: c.locked, LastChange: c.lc}
		if got := string(shadowLine(&u)); got != c.want {
			t.Errorf("got %q want %q", got, c.want)
		}
	}
}

func statOf(t *testing.T, p string) (fs.FileMode, uint32, uint32) {
	t.Helper()
	fi, err := os.Lstat(p)
	must(t, err)
	s := fi.Sys().(*syscall.Stat_t)
	return fi.Mode(), s.Uid, s.Gid
}

func TestHomes(t *testing.T) {
	root := seed(t)
	st := baseState()
	st.Users[0].HomeMode = 0o750
	must(t, Apply(root, st))
	home := filepath.Join(root, "mnt/tank/alice")
	asRoot := os.Geteuid() == 0
	mode, uid, gid := statOf(t, home)
	if mode.Perm() != 0o750 || !mode.IsDir() || (asRoot && (uid != 3000 || gid != 3000)) {
		t.Fatalf("home mode %v owner %d:%d", mode, uid, gid)
	}
	if mode, uid, _ := statOf(t, filepath.Join(root, "mnt/tank")); mode.Perm() != 0o755 || (asRoot && uid != 0) {
		t.Fatalf("parent mode %v owner %d", mode, uid)
	}
	if b := read(t, root, "mnt/tank/alice/.bashrc"); b != "# bashrc\n" {
		t.Fatalf(".bashrc %q", b)
	}
	if _, uid, _ := statOf(t, filepath.Join(home, ".profile")); asRoot && uid != 3000 {
		t.Fatalf(".profile owner %d", uid)
	}
	ak := filepath.Join(home, ".ssh/authorized_keys")
	if b := read(t, root, "mnt/tank/alice/.ssh/authorized_keys"); b != "ssh-ed25519 AAAAC3 alice@laptop\n" {
		t.Fatalf("authorized_keys %q", b)
	}
	if mode, uid, _ := statOf(t, ak); mode.Perm() != 0o600 || (asRoot && uid != 3000) {
		t.Fatalf("authorized_keys mode %v owner %d", mode, uid)
	}
	if mode, uid, _ := statOf(t, filepath.Join(home, ".ssh")); mode.Perm() != 0o700 || (asRoot && uid != 3000) {
		t.Fatalf(".ssh mode %v owner %d", mode, uid)
	}
	// /var/empty is never created.
	if _, err := os.Stat(filepath.Join(root, "var/empty")); err == nil {
		t.Fatal("/var/empty created")
	}

	// skel is copied once; the user's own chmod is respected while the
	// home mode does not change.
	must(t, os.Remove(filepath.Join(home, ".bashrc")))
	must(t, os.Chmod(home, 0o711))
	must(t, Apply(root, st))
	if _, err := os.Stat(filepath.Join(home, ".bashrc")); err == nil {
		t.Fatal("skel copied again")
	}
	if mode, _, _ := statOf(t, home); mode.Perm() != 0o711 {
		t.Fatalf("home mode changed to %v without a home_mode change", mode)
	}
	st.Users[0].HomeMode = 0o700
	must(t, Apply(root, st))
	if mode, _, _ := statOf(t, home); mode.Perm() != 0o700 {
		t.Fatalf("home mode %v after home_mode change", mode)
	}

	// New key; then a symlink attack: .ssh replaced by a link to etc.
	st.Users[0].SSHPubKey = strp("ssh-ed25519 BBBB new\n")
	must(t, Apply(root, st))
	if b := read(t, root, "mnt/tank/alice/.ssh/authorized_keys"); b != "ssh-ed25519 BBBB new\n" {
		t.Fatalf("authorized_keys %q", b)
	}
	must(t, os.RemoveAll(filepath.Join(home, ".ssh")))
	must(t, os.Symlink(filepath.Join(root, "etc"), filepath.Join(home, ".ssh")))
	must(t, Apply(root, st))
	if _, err := os.Stat(filepath.Join(root, "etc/authorized_keys")); err == nil {
		t.Fatal("wrote through a symlink")
	}
	if mode, _, _ := statOf(t, filepath.Join(home, ".ssh")); !mode.IsDir() {
		t.Fatalf(".ssh is %v", mode)
	}
	// A planted temp-file symlink is not followed either.
	must(t, os.Symlink(filepath.Join(root, "etc/passwd"), filepath.Join(home, ".ssh/.authorized_keys.engine-tmp")))
	st.Users[0].SSHPubKey = strp("ssh-ed25519 CCCC third")
	must(t, Apply(root, st))
	if !strings.HasPrefix(read(t, root, PasswdFile), debPasswd) {
		t.Fatal("passwd clobbered through the temp symlink")
	}

	// nil key removes authorized_keys.
	st.Users[0].SSHPubKey = nil
	must(t, Apply(root, st))
	if _, err := os.Stat(ak); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("authorized_keys not removed")
	}
	st.Users[0].SSHPubKey = strp("ssh-ed25519 DDDD")
	must(t, Apply(root, st))

	// Removing the user removes .ssh, not the home.
	st.Users = st.Users[1:]
	must(t, Apply(root, st))
	if _, err := os.Stat(filepath.Join(home, ".ssh")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(".ssh not removed")
	}
	if _, err := os.Stat(filepath.Join(home, ".profile")); err != nil {
		t.Fatal("home removed")
	}
}

func TestSudoers(t *testing.T) {
	root := seed(t)
	st := baseState()
	st.Users[0].SudoCommands = []string{"ALL"}
	st.Users[1].SudoCommandsNopasswd = []string{"ALL"}
	c := bob()
	c.Name, c.UID = "carol", 3003
	c.SudoCommands, c.SudoCommandsNopasswd = []string{"ALL"}, []string{"ALL"}
	d := bob()
	d.Name, d.UID = "dave", 3004
	d.SudoCommands = []string{"/usr/bin/ls -la", " ", "/usr/bin/echo a,b:c=d\\e #x"}
	d.SudoCommandsNopasswd = []string{"/usr/bin/id"}
	st.Users = append(st.Users, c, d)
	st.Groups[2].SudoCommandsNopasswd = []string{"ALL"}
	must(t, Apply(root, st))
	want := "# Written by the truenas engine; do not edit.\n" +
		"# alice\n#3000 ALL=(ALL) ALL\n" +
		"# bob\n#3001 ALL=(ALL) NOPASSWD: ALL\n" +
		"# carol\n#3003 ALL=(ALL) ALL, NOPASSWD: ALL\n" +
		"# dave\n#3004 ALL=(ALL) /usr/bin/ls -la, /usr/bin/echo a\\,b\\:c\\=de \\#x, NOPASSWD: /usr/bin/id\n" +
		"# group staff2\n%#3002 ALL=(ALL) NOPASSWD: ALL\n"
	path := filepath.Join(root, SudoersFile)
	if got := read(t, root, SudoersFile); got != want {
		t.Fatalf("sudoers:\n%s\nwant:\n%s", got, want)
	}
	if mode, _, _ := statOf(t, path); mode.Perm() != 0o440 {
		t.Fatalf("sudoers mode %v", mode)
	}
	t.Run("visudo", func(t *testing.T) {
		visudo, err := exec.LookPath("visudo")
		if err != nil {
			t.Skip("visudo not installed (apt-get install sudo): syntax not checked")
		}
		out, err := exec.Command(visudo, "-c", "-f", path).CombinedOutput()
		if err != nil {
			t.Fatalf("visudo -c: %v\n%s", err, out)
		}
	})
	// A command sudo would read otherwise than asked (only an older
	// engine's store has one: the account rules refuse it) leaves its
	// account out of the drop-in, with an error for that user; every other
	// account keeps its rules.
	for _, bad := range []string{"ALL /usr/bin/ls", "'ALL'", `"ALL"`, `AL\L`, "/usr/bin/echo 'a b'", `/usr/bin/echo a\\b`, "/usr/bin/echo ^x$", "ls"} {
		st2 := baseState()
		st2.Users[0].SudoCommands = []string{"/usr/bin/id", bad}
		st2.Users[1].SudoCommandsNopasswd = []string{"ALL"}
		err := Apply(root, st2)
		var ae *AccountErrors
		if !errors.As(err, &ae) || ae.ForUser("alice") == nil || !strings.Contains(ae.ForUser("alice").Error(), "left out of the drop-in") || ae.ForUser("bob") != nil {
			t.Errorf("%q: Apply gave %v; want an error for alice only", bad, err)
		}
		if got := read(t, root, SudoersFile); got != "# Written by the truenas engine; do not edit.\n# bob\n#3001 ALL=(ALL) NOPASSWD: ALL\n" {
			t.Fatalf("%q: the drop-in is\n%s", bad, got)
		}
	}
	st = baseState()
	must(t, Apply(root, st))
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("sudoers drop-in not removed without rules")
	}
}

func TestSSHD(t *testing.T) {
	root := seed(t)
	st := baseState()
	st.Users[0].SSHPasswordEnabled = true
	must(t, ApplyOK(t, root, st))
	want := "# Written by the truenas engine; do not edit.\n" +
		"# Password login over SSH for the accounts the engine manages.\n" +
		"Match User alice\n\tPasswordAuthentication yes\n\tKbdInteractiveAuthentication yes\n" +
		"Match User bob\n\tPasswordAuthentication no\n\tKbdInteractiveAuthentication no\n"
	if got := read(t, root, SSHDFile); got != want {
		t.Fatalf("sshd drop-in:\n%s", got)
	}
	t.Run("sshd", func(t *testing.T) {
		sshd, err := exec.LookPath("sshd")
		if err != nil {
			if sshd, err = exec.LookPath("/usr/sbin/sshd"); err != nil {
				t.Skip("sshd not installed (apt-get install openssh-server): config not checked")
			}
		}
		keygen, err := exec.LookPath("ssh-keygen")
		if err != nil {
			t.Skip("ssh-keygen not installed")
		}
		if os.Geteuid() == 0 {
			// sshd -t wants its privilege separation folder, which the ssh
			// service makes at start; harmless to make here.
			_ = os.MkdirAll("/run/sshd", 0o755)
		}
		dir := t.TempDir()
		hostKey := filepath.Join(dir, "host_ed25519")
		if out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-f", hostKey).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
		// A main config shaped like Debian's, hardened the other way too:
		// the drop-in must win for managed users in both cases.
		for _, global := range []string{"yes", "no"} {
			cfg := filepath.Join(dir, "sshd_config")
			must(t, os.WriteFile(cfg, []byte("Include "+filepath.Join(root, "etc/ssh/sshd_config.d/*.conf")+"\n"+
				"HostKey "+hostKey+"\nPasswordAuthentication "+global+"\nKbdInteractiveAuthentication no\nUsePAM yes\n"), 0o600))
			out, err := exec.Command(sshd, "-t", "-f", cfg).CombinedOutput()
			if err != nil {
				if bytes.Contains(out, []byte("rivilege separation")) {
					t.Skipf("sshd -t cannot run here: %s", out)
				}
				t.Fatalf("sshd -t: %v\n%s", err, out)
			}
			for user, wantPA := range map[string]string{"alice": "yes", "bob": "no", "admin": global} {
				out, err := exec.Command(sshd, "-T", "-f", cfg, "-C", "user="+user+",host=h,addr=127.0.0.1").CombinedOutput()
				if err != nil {
					t.Fatalf("sshd -T: %v\n%s", err, out)
				}
				if !bytes.Contains(out, []byte("\npasswordauthentication "+wantPA+"\n")) {
					t.Errorf("global %s: user %s: passwordauthentication is not %s", global, user, wantPA)
				}
			}
		}
	})
	must(t, Apply(root, State{}))
	if _, err := os.Stat(filepath.Join(root, SSHDFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("sshd drop-in not removed without users")
	}
}

// ApplyOK applies and checks that sshd is reported changed.
func ApplyOK(t *testing.T, root string, st State) error {
	res, err := ApplyResult(root, st)
	if err == nil && !res.SSHDChanged {
		t.Error("SSHDChanged not reported")
	}
	return err
}

func TestSSHDChunks(t *testing.T) {
	var st State
	for i := range 250 {
		st.Users = append(st.Users, User{Name: fmt.Sprintf("u%d", i)})
	}
	if n := strings.Count(string(sshdContent(sshdLists(st.Users))), "Match User "); n != 3 {
		t.Fatalf("%d Match blocks", n)
	}
}

func TestIdempotent(t *testing.T) {
	root := seed(t)
	st := baseState()
	st.Users[0].SudoCommands = []string{"ALL"}
	st.Groups = append(st.Groups, Group{Name: "sudo", GID: 27, Members: []string{"admin", "alice"}})
	res, err := ApplyResult(root, st)
	must(t, err)
	if len(res.Files) == 0 {
		t.Fatal("first Apply changed nothing")
	}
	snap := snapshot(t, root)
	time.Sleep(10 * time.Millisecond)
	res, err = ApplyResult(root, st)
	must(t, err)
	if len(res.Files) != 0 || res.SSHDChanged {
		t.Fatalf("second Apply changed %v", res.Files)
	}
	if after := snapshot(t, root); after != snap {
		t.Fatalf("tree changed on the second Apply:\n%s\n---\n%s", snap, after)
	}
}

// snapshot lists every path with its mode, size, mtime and inode.
func snapshot(t *testing.T, root string) string {
	var b strings.Builder
	must(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		s := fi.Sys().(*syscall.Stat_t)
		if d.IsDir() {
			fmt.Fprintf(&b, "%s %v %d:%d\n", p, fi.Mode(), s.Uid, s.Gid)
			return nil
		}
		fmt.Fprintf(&b, "%s %v %d %d %d %d:%d\n", p, fi.Mode(), fi.Size(), fi.ModTime().UnixNano(), s.Ino, s.Uid, s.Gid)
		return nil
	}))
	return b.String()
}

func TestLockConcurrent(t *testing.T) {
	root := t.TempDir()
	var inside, max atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				unlock, err := Lock(root)
				if err != nil {
					t.Error(err)
					return
				}
				n := inside.Add(1)
				if n > max.Load() {
					max.Store(n)
				}
				time.Sleep(time.Millisecond)
				inside.Add(-1)
				unlock()
				unlock() // harmless
			}
		}()
	}
	wg.Wait()
	if max.Load() != 1 {
		t.Fatalf("%d holders at once", max.Load())
	}
	if _, err := os.Stat(filepath.Join(root, LockFile)); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentApply(t *testing.T) {
	root := seed(t)
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := baseState()
			if i%2 == 1 {
				st.Users = st.Users[:1]
			}
			unlock, err := Lock(root)
			if err != nil {
				t.Error(err)
				return
			}
			defer unlock()
			if err := Apply(root, st); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	must(t, Apply(root, baseState()))
	checkForeign(t, debPasswd, read(t, root, PasswdFile), "alice", "bob")
}

func TestCrashRepair(t *testing.T) {
	root := seed(t)
	st := baseState()
	must(t, Apply(root, st))

	// Simulate a crash in a later Apply that added "carol": the intent
	// manifest knows carol, passwd has her, shadow does not, stale temp
	// files lie around (one half written), and the State given to the next
	// Apply no longer has her.
	m, _ := readManifest(root)
	m.Users["carol"] = userRec{Homes: []string{"/mnt/tank/carol"}}
	must(t, m.write(root))
	pw := read(t, root, PasswdFile) + "carol:x:3009:3009::/mnt/tank/carol:/bin/sh\n"
	must(t, os.WriteFile(filepath.Join(root, PasswdFile), []byte(pw), 0o644))
	must(t, os.WriteFile(tmpName(filepath.Join(root, ShadowFile)), []byte("root:*:1"), 0o640))
	must(t, os.WriteFile(tmpName(filepath.Join(root, GroupFile)), []byte("garbage"), 0o644))
	must(t, os.MkdirAll(filepath.Join(root, "mnt/tank/carol/.ssh"), 0o700))
	// And alice's new key was written to its temporary name only (crash
	// before the rename): the old key is in place.
	must(t, os.WriteFile(filepath.Join(root, "mnt/tank/alice/.ssh", keysTmpName), []byte("half"), 0o600))
	st.Users[0].SSHPubKey = strp("ssh-ed25519 NEWKEY alice")

	must(t, Apply(root, st))
	checkForeign(t, debPasswd, read(t, root, PasswdFile), "alice", "bob")
	if strings.Contains(read(t, root, PasswdFile), "carol") {
		t.Fatal("carol not removed")
	}
	if _, err := os.Stat(filepath.Join(root, "mnt/tank/carol/.ssh")); err == nil {
		t.Fatal("carol's .ssh not removed")
	}
	if read(t, root, "mnt/tank/alice/.ssh/authorized_keys") != "ssh-ed25519 NEWKEY alice\n" {
		t.Fatal("alice's key not repaired")
	}
	if _, err := os.Lstat(filepath.Join(root, "mnt/tank/alice/.ssh", keysTmpName)); err == nil {
		t.Fatal("stale key temp file left")
	}
	if !strings.HasSuffix(read(t, root, ShadowFile), "bob:*:20000:0:99999:7:::\n") {
		t.Fatal("shadow wrong")
	}
	// The manifest written last names exactly the State.
	m, _ = readManifest(root)
	if len(m.Users) != 2 {
		t.Fatalf("manifest users %v", m.Users)
	}
	for _, f := range []string{ShadowFile, GroupFile} {
		if _, err := os.Lstat(tmpName(filepath.Join(root, f))); err == nil {
			t.Fatalf("stale temp file of %s left", f)
		}
	}
	// A second run changes nothing.
	res, err := ApplyResult(root, st)
	must(t, err)
	if len(res.Files) != 0 {
		t.Fatalf("changed %v", res.Files)
	}
}

// TestNoTrailingNewline: a file lacking its final newline is not rewritten
// when nothing of the engine's changes.
func TestNoTrailingNewline(t *testing.T) {
	root := seed(t)
	must(t, os.WriteFile(filepath.Join(root, PasswdFile), []byte(strings.TrimSuffix(debPasswd, "\n")), 0o644))
	res, err := ApplyResult(root, State{})
	must(t, err)
	if len(res.Files) != 0 {
		t.Fatalf("changed %v", res.Files)
	}
	must(t, Apply(root, State{Users: []User{bob()}}))
	if read(t, root, PasswdFile) != debPasswd+"bob:x:3001:3001:Bob:/var/empty:/usr/sbin/nologin\n" {
		t.Fatal(read(t, root, PasswdFile))
	}
}

func TestEmptyRoot(t *testing.T) {
	root := t.TempDir()
	must(t, Apply(root, baseState()))
	if read(t, root, PasswdFile) != "alice:x:3000:3000:Alice A:/mnt/tank/alice:/usr/bin/bash\nbob:x:3001:3001:Bob:/var/empty:/usr/sbin/nologin\n" {
		t.Fatal(read(t, root, PasswdFile))
	}
	if mode, _, _ := statOf(t, filepath.Join(root, ShadowFile)); mode.Perm() != 0o640 {
		t.Fatalf("shadow mode %v", mode)
	}
	if _, err := os.Stat(filepath.Join(root, GShadowFile)); err == nil {
		t.Fatal("gshadow created")
	}
}

func benchState(n int) State {
	st := State{}
	for i := range n {
		name := fmt.Sprintf("user%05d", i)
		st.Users = append(st.Users, User{Name: name, UID: int64(3000 + i), GID: int64(3000 + i), Gecos: name,
			Home: "/mnt/tank/" + name, Shell: "/usr/bin/bash", Hash: "$6$salt$" + strings.Repeat("x", 86),
			LastChange: 20000, HomeMode: 0o700, ManageHome: true, SSHPubKey: strp("ssh-ed25519 AAAA " + name),
			SudoCommands: []string{"/usr/bin/ls"}})
		st.Groups = append(st.Groups, Group{Name: name, GID: int64(3000 + i)})
	}
	return st
}

func BenchmarkApply(b *testing.B) {
	for _, n := range []int{100, 10000} {
		b.Run(fmt.Sprintf("users=%d/first", n), func(b *testing.B) {
			st := benchState(n)
			for b.Loop() {
				b.StopTimer()
				root := seed(b)
				b.StartTimer()
				must(b, Apply(root, st))
			}
		})
		b.Run(fmt.Sprintf("users=%d/noop", n), func(b *testing.B) {
			st := benchState(n)
			root := seed(b)
			must(b, Apply(root, st))
			for b.Loop() {
				must(b, Apply(root, st))
			}
		})
		b.Run(fmt.Sprintf("users=%d/one-change", n), func(b *testing.B) {
			st := benchState(n)
			root := seed(b)
			must(b, Apply(root, st))
			i := 0
			for b.Loop() {
				i++
				st.Users[n/2].Gecos = fmt.Sprint("changed ", i)
				must(b, Apply(root, st))
			}
		})
	}
}

// A backup made twice of the same file (a run killed between the backup and
// the write, then repaired) leaves no temporary file: rename(2) of a hard
// link onto a link to the same inode does nothing.
func TestBackupTwiceLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "passwd")
	if err := os.WriteFile(p, []byte("root:x:0:0:root:/root:/bin/bash\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := backupFile(p, fileSpec{mode: 0o644}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Lstat(tmpName(p + "-")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a temporary file is left beside the backup: %v", err)
	}
	if b, err := os.ReadFile(p + "-"); err != nil || string(b) != "root:x:0:0:root:/root:/bin/bash\n" {
		t.Fatalf("backup: %q %v", b, err)
	}
}

// boxBenchUser is user i of a box like the ones the engine manages: a home
// with a key, password login over SSH for one in ten, sudo for one in a
// hundred.
func boxBenchUser(i int) User {
	name := fmt.Sprintf("user%05d", i)
	u := User{Name: name, UID: int64(3000 + i), GID: int64(3000 + i), Gecos: "User " + name,
		Home: "/mnt/tank/" + name, Shell: "/usr/bin/bash", Hash: "$6$salt$" + strings.Repeat("x", 86),
		LastChange: 20000, HomeMode: 0o700, ManageHome: true, SSHPubKey: strp("ssh-ed25519 AAAA " + name),
		SSHPasswordEnabled: i%10 == 0}
	if i%100 == 0 {
		u.SudoCommands = []string{"/usr/bin/systemctl restart nginx"}
	}
	return u
}

func sudoOf(st State) (users []User, groups []Group) {
	for _, u := range st.Users {
		if len(u.SudoCommands)+len(u.SudoCommandsNopasswd) > 0 {
			users = append(users, u)
		}
	}
	for _, g := range st.Groups {
		if len(g.SudoCommands)+len(g.SudoCommandsNopasswd) > 0 {
			groups = append(groups, g)
		}
	}
	return users, groups
}

// BenchmarkApplyChange measures what the engine does after a user.create
// on a box with n users: one user, its group, home and key added by
// ApplyChange. Its cost should hardly grow with n (the account files are
// still rewritten whole).
func BenchmarkApplyChange(b *testing.B) {
	for _, n := range []int{100, 10000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			var st State
			for i := range n {
				st.Users = append(st.Users, boxBenchUser(i))
				st.Groups = append(st.Groups, Group{Name: st.Users[i].Name, GID: st.Users[i].GID})
			}
			root := seed(b)
			must(b, Apply(root, st))
			sudoUsers, sudoGroups := sudoOf(st)
			b.ReportAllocs()
			i := n
			for b.Loop() {
				u := boxBenchUser(i)
				if len(u.SudoCommands) > 0 {
					sudoUsers = append(sudoUsers, u)
				}
				_, err := ApplyChange(root, Change{Users: []User{u}, Groups: []Group{{Name: u.Name, GID: u.GID}},
					SudoUsers: sudoUsers, SudoGroups: sudoGroups})
				must(b, err)
				i++
			}
		})
	}
}
