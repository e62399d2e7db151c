package engine

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
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
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "usr/local/bin"), 0o755))
	must(os.MkdirAll(filepath.Join(root, "root/.ssh"), 0o700))
	must(os.MkdirAll(filepath.Join(root, "mnt/tank/share"), 0o777))
	must(os.Symlink("/root", filepath.Join(root, "mnt/tank/share/evil")))
	must(os.WriteFile(filepath.Join(root, "mnt/tank/share/afile"), []byte("x"), 0o644))
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
	wantErr(t, err, "[EEXIST] user_create.home: /mnt/tank/share/t1/hd2: homedir already used by t1.")
	_, err = call(t, e, "user.create", `{"username":"t3","home":"/mnt/tank/share",`+base+`}`)
	wantErr(t, err, "[EEXIST] user_create.home: /mnt/tank/share: homedir already used by t1.")
	// t1 may set its own home again.
	mustCall(t, e, "user.update", strconv.FormatInt(t1.ID, 10), `{"home":"/mnt/tank/share/t1/"}`)
}
