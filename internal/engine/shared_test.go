package engine

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// countUsers counts the non-builtin users in the store.
func countUsers(t *testing.T, e *Engine) int {
	t.Helper()
	var n int
	if err := e.db.QueryRow(`SELECT COUNT(*) FROM users WHERE builtin = 0`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Homes stay in the pool, whatever the path says and whatever is on
// disk; each refusal comes before the store changes.
func TestHomeStaysInThePool(t *testing.T) {
	e := openTest(t)
	root := e.Root()
	base := `"group_create":true,"password":"pw","smb":false,"full_name":"X"`
	must(t, os.MkdirAll(filepath.Join(root, "usr/local/bin"), 0o755))
	must(t, os.MkdirAll(filepath.Join(root, "root/.ssh"), 0o700))
	must(t, os.MkdirAll(filepath.Join(root, "mnt/tank/share"), 0o777))
	must(t, os.Symlink("/root", filepath.Join(root, "mnt/tank/share/evil")))
	must(t, os.WriteFile(filepath.Join(root, "mnt/tank/share/afile"), []byte("x"), 0o644))
	cases := []struct{ payload, want string }{
		{`{"username":"u1","home":"/mnt/tank/../../usr/local/bin",` + base + `}`,
			"[EINVAL] user_create.home: The path must reside within a pool mount point"},
		{`{"username":"u2","home":"/mnt/tank/share/evil",` + base + `}`,
			"[EINVAL] user_create.home: /mnt/tank/share/evil: is a symbolic link; give the path it points to."},
		{`{"username":"evil","home":"/mnt/tank/share","home_create":true,` + base + `}`,
			"[EINVAL] user_create.home: /mnt/tank/share/evil: is a symbolic link; give the path it points to."},
		{`{"username":"afile","home":"/mnt/tank/share","home_create":true,` + base + `}`,
			"[EEXIST] user_create.home: Path for home directory already exists and is not a directory"},
		{`{"username":"u3","home":"/mnt/tank/x\n","home_create":true,` + base + `}`,
			`[EINVAL] user_create.home: "Home Directory" cannot contain control characters (line breaks, tabs, NUL).`},
		{`{"username":"u4","full_name":"a\rb","group_create":true,"password":"pw","smb":false}`,
			"[EINVAL] user_create.full_name: Control characters"},
	}
	for _, c := range cases {
		_, err := call(t, e, "user.create", c.payload)
		wantErr(t, err, c.want)
	}
	if n := countUsers(t, e); n != 0 {
		t.Fatalf("%d users saved by refused calls", n)
	}
	if fi, err := os.Stat(filepath.Join(root, "mnt/tank/share/afile")); err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("the file in the way was touched: %v", err)
	}

	// Normalised on the way in; the same home in another spelling, a home
	// inside it and a home around it are all "already used".
	t1 := createUser(t, e, `{"username":"t1","home":"/mnt/tank//share/./","home_create":true,`+base+`}`)
	if t1.Home != "/mnt/tank/share/t1" {
		t.Fatalf("home stored as %q, want /mnt/tank/share/t1", t1.Home)
	}
	_, err := call(t, e, "user.create", `{"username":"t2","home":"/mnt/tank/share/t1/",`+base+`}`)
	wantErr(t, err, "[EEXIST] user_create.home: /mnt/tank/share/t1/: homedir already used by t1.")
	_, err = call(t, e, "user.create", `{"username":"hd2","home":"/mnt/tank/share/t1","home_create":true,`+base+`}`)
	wantErr(t, err, "[EEXIST] user_create.home: /mnt/tank/share/t1: homedir already used by t1.")
	_, err = call(t, e, "user.create", `{"username":"t3","home":"/mnt/tank/share",`+base+`}`)
	wantErr(t, err, "[EEXIST] user_create.home: /mnt/tank/share: homedir already used by t1.")
	// t1 may set its own home again.
	mustCall(t, e, "user.update", strconv.FormatInt(t1.ID, 10), `{"home":"/mnt/tank/share/t1/"}`)
}

// appendLine adds a foreign line, as useradd would, behind the engine.
func appendLine(t *testing.T, root, file, line string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(root, file), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(line + "\n"); err != nil {
		t.Fatal(err)
	}
}

// Foreign lines (useradd behind the engine) keep their names and ids: the
// engine refuses them before saving and its automatic ids skip them.
func TestForeignLinesRefusedBeforeSave(t *testing.T) {
	e := openTest(t)
	root := e.Root()
	next := decode[int64](t, mustCall(t, e, "user.get_next_uid"))
	appendLine(t, root, "etc/passwd", "intruder:x:"+strconv.FormatInt(next, 10)+":"+strconv.FormatInt(next, 10)+"::/home/intruder:/bin/sh")
	appendLine(t, root, "etc/group", "intruder:x:"+strconv.FormatInt(next, 10)+":someone")
	appendLine(t, root, "etc/group", "ops:x:4321:alice,bob")
	groupBefore, err := os.ReadFile(filepath.Join(root, "etc/group"))
	if err != nil {
		t.Fatal(err)
	}
	base := `"full_name":"X","password":"pw","smb":false`
	_, err = call(t, e, "user.create", `{"username":"intruder","group_create":true,`+base+`}`)
	wantErr(t, err, `[EEXIST] user_create.username: The username "intruder" already exists.`)
	_, err = call(t, e, "user.create", `{"username":"u1","uid":`+strconv.FormatInt(next, 10)+`,"group_create":true,`+base+`}`)
	wantErr(t, err, "[EEXIST] user_create.uid: Uid "+strconv.FormatInt(next, 10)+" is already used (user intruder has it)")
	_, err = call(t, e, "group.create", `{"name":"ops"}`)
	wantErr(t, err, "group_create.name")
	_, err = call(t, e, "group.create", `{"name":"g1","gid":4321}`)
	wantErr(t, err, "group_create.gid")
	if n := countUsers(t, e); n != 0 {
		t.Fatalf("%d users saved by refused calls", n)
	}
	_, err = call(t, e, "user.create", `{"username":"ops","group_create":true,`+base+`}`)
	wantErr(t, err, `[EEXIST] user_create.group_create: The box already has a group "ops" that it does not manage`)
	// An automatic uid and gid skip the foreign ones.
	u := createUser(t, e, `{"username":"u2","group_create":true,`+base+`}`)
	if u.UID == next || u.Group.GID == next {
		t.Fatalf("automatic ids %d/%d reuse the foreign line's %d", u.UID, u.Group.GID, next)
	}
	// The foreign group lines are there byte for byte, members included.
	after, err := os.ReadFile(filepath.Join(root, "etc/group"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(after, groupBefore) {
		t.Fatalf("foreign group lines changed:\n%s", after)
	}
}

// One account's obstacle (its owner replaced ~/.ssh by a file, a fifo,
// put a folder where authorized_keys goes, swapped the home for a
// symlink) fails only the calls touching that account, with the path in
// the message; every other call works, a new engine opens, and the next
// call after the obstacle is gone repairs it.
func TestObstacleFailsOnlyItsAccount(t *testing.T) {
	key := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPG+qGIeCtss8Aoj3+peElFtz/Qh9TzgMvG6Fi7CY5Io k"
	obstacles := map[string]func(t *testing.T, home string){
		"ssh is a file": func(t *testing.T, home string) {
			must(t, os.RemoveAll(filepath.Join(home, ".ssh")))
			must(t, os.WriteFile(filepath.Join(home, ".ssh"), []byte("x"), 0o644))
		},
		"ssh is a fifo": func(t *testing.T, home string) {
			must(t, os.RemoveAll(filepath.Join(home, ".ssh")))
			must(t, syscall.Mkfifo(filepath.Join(home, ".ssh"), 0o644))
		},
		"authorized_keys is a folder": func(t *testing.T, home string) {
			must(t, os.RemoveAll(filepath.Join(home, ".ssh")))
			must(t, os.MkdirAll(filepath.Join(home, ".ssh/authorized_keys/x"), 0o755))
		},
		"home is a symlink to root's folder": func(t *testing.T, home string) {
			must(t, os.RemoveAll(home))
			must(t, os.Symlink(filepath.Join(filepath.Dir(filepath.Dir(filepath.Dir(home))), "root"), home))
		},
	}
	for name, plant := range obstacles {
		t.Run(name, func(t *testing.T) {
			e := openTest(t)
			root := e.Root()
			must(t, os.MkdirAll(filepath.Join(root, "root/.ssh"), 0o700))
			must(t, os.WriteFile(filepath.Join(root, "root/.ssh/authorized_keys"), []byte("root's key\n"), 0o600))
			base := `"full_name":"X","password":"pw","smb":false,"group_create":true,"home":"/mnt/tank","home_create":true`
			a := createUser(t, e, `{"username":"a",`+base+`,"sshpubkey":"`+key+`"}`)
			b := createUser(t, e, `{"username":"b",`+base+`}`)
			home := filepath.Join(root, "mnt/tank/a")
			plant(t, home)
			snapRoot := func() string {
				d, _ := os.ReadFile(filepath.Join(root, "root/.ssh/authorized_keys"))
				return string(d)
			}
			// Touching a: fails, naming the path.
			_, err := call(t, e, "user.update", strconv.FormatInt(a.ID, 10), `{"sshpubkey":"`+key+` two"}`)
			wantErr(t, err, filepath.Join(root, "mnt/tank/a"))
			// Everything else works.
			mustCall(t, e, "user.update", strconv.FormatInt(b.ID, 10), `{"full_name":"B"}`)
			createUser(t, e, `{"username":"c",`+base+`}`)
			mustCall(t, e, "system.version")
			mustCall(t, e, "user.query")
			e2, err := Open(root)
			if err != nil {
				t.Fatalf("Open with an obstacle in one home: %v", err)
			}
			mustCall(t, e2, "system.version")
			e2.Close()
			if got := snapRoot(); got != "root's key\n" {
				t.Fatalf("root's authorized_keys changed: %q", got)
			}
			if fi, err := os.Stat(filepath.Join(root, "root/.ssh")); err != nil || fi.Mode().Perm() != 0o700 {
				t.Fatalf("root's .ssh changed: %v %v", fi.Mode(), err)
			}
			// Obstacle gone: the next call, any call, repairs it.
			must(t, os.RemoveAll(home))
			must(t, os.Mkdir(home, 0o700))
			e3, err := Open(root)
			if err != nil {
				t.Fatal(err)
			}
			defer e3.Close()
			mustCall(t, e3, "system.version")
			got, err := os.ReadFile(filepath.Join(home, ".ssh/authorized_keys"))
			if err != nil || string(got) != key+" two\n" {
				t.Fatalf("not repaired: %q %v", got, err)
			}
			if r := e3.readRetry(context.Background()); !r.empty() {
				t.Fatalf("the retry list still names %+v", r)
			}
		})
	}
}

// forgetBoxGeneration makes the store forget which generation the box
// shows, as after a crash between a commit and the end of its apply.
func forgetBoxGeneration(t *testing.T, e *Engine) {
	t.Helper()
	if _, err := e.db.Exec(`DELETE FROM meta WHERE key = 'box_generation'`); err != nil {
		t.Fatal(err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// home_mode in any form TrueNAS takes ("0o750", "+7_50") reaches the box
// as that mode, never a silent 700; what TrueNAS refuses is refused.
func TestHomeModeForms(t *testing.T) {
	e := openTest(t)
	base := `"full_name":"X","password":"pw","smb":false,"group_create":true,"home":"/mnt/tank","home_create":true`
	for i, c := range []struct {
		mode string
		want os.FileMode
	}{{"0o750", 0o750}, {"+7_50", 0o750}, {" 711 ", 0o711}, {"755", 0o755}} {
		name := "m" + strconv.Itoa(i)
		createUser(t, e, `{"username":"`+name+`","home_mode":"`+c.mode+`",`+base+`}`)
		fi, err := os.Stat(filepath.Join(e.Root(), "mnt/tank", name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != c.want {
			t.Errorf("home_mode %q gave %v, want %v", c.mode, fi.Mode().Perm(), c.want)
		}
	}
	for _, bad := range []string{"1777", "4755", "0x1ed", "rwx"} {
		_, err := call(t, e, "user.create", `{"username":"bad","home_mode":"`+bad+`",`+base+`}`)
		wantErr(t, err, "[EINVAL] user_create.home_mode: Please provide a valid value for home_mode attribute")
	}
}

// Changing a user's home with home_create copies the old home's contents
// into the new one and leaves the old one in place, as TrueNAS does.
func TestHomeChangeCopies(t *testing.T) {
	e := openTest(t)
	root := e.Root()
	must(t, os.MkdirAll(filepath.Join(root, "mnt/tank/new"), 0o755))
	u := createUser(t, e, `{"username":"mover","full_name":"M","password":"pw","smb":false,"group_create":true,"home":"/mnt/tank","home_create":true}`)
	old := filepath.Join(root, "mnt/tank/mover")
	must(t, os.WriteFile(filepath.Join(old, "notes.txt"), []byte("mine"), 0o600))
	must(t, os.Lchown(filepath.Join(old, "notes.txt"), int(u.UID), int(u.Group.GID)))
	res := decode[account.UserEntry](t, mustCall(t, e, "user.update", strconv.FormatInt(u.ID, 10), `{"home":"/mnt/tank/new","home_create":true}`))
	if res.Home != "/mnt/tank/new/mover" {
		t.Fatalf("home %q", res.Home)
	}
	if b, err := os.ReadFile(filepath.Join(root, "mnt/tank/new/mover/notes.txt")); err != nil || string(b) != "mine" {
		t.Fatalf("not copied: %q %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(old, "notes.txt")); err != nil || string(b) != "mine" {
		t.Fatalf("the old home was not left in place: %q %v", b, err)
	}
}
