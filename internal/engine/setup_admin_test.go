package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

func loginEx(t *testing.T, e *Engine, user, password string) string {
	t.Helper()
	r := decode[struct {
		ResponseType string `json:"response_type"`
	}](t, mustCall(t, e, "auth.login_ex", `{"mechanism":"PASSWORD_PLAIN","username":"`+user+`","password":"`+password+`"}`))
	return r.ResponseType
}

func TestSetupLocalAdministratorTruenasAdmin(t *testing.T) {
	e := openTest(t)
	if set := decode[bool](t, mustCall(t, e, "user.has_local_administrator_set_up")); set {
		t.Fatal("a fresh box says it has a local administrator")
	}
	_, err := call(t, e, "user.setup_local_administrator", `"bob"`, `"pw"`)
	wantErr(t, err, "username: Input should be 'root' or 'truenas_admin'")
	_, err = call(t, e, "user.setup_local_administrator", `"truenas_admin"`, `""`)
	wantErr(t, err, "password: String should have at least 1 character")

	mustCall(t, e, "user.setup_local_administrator", `"truenas_admin"`, `"Admin-Pw-1"`)
	if set := decode[bool](t, mustCall(t, e, "user.has_local_administrator_set_up")); !set {
		t.Fatal("after setup, has_local_administrator_set_up is false")
	}
	us := decode[[]account.UserEntry](t, mustCall(t, e, "user.query", `[["username","=","truenas_admin"]]`))
	if len(us) != 1 {
		t.Fatalf("truenas_admin: %d entries", len(us))
	}
	u := us[0]
	admins := groupByName(t, e, "builtin_administrators")
	if u.UID != account.UIDTruenasAdmin || u.Group.GID != account.UIDTruenasAdmin || u.Home != truenasAdminHome ||
		!u.Immutable || u.Builtin || len(u.Groups) != 1 || u.Groups[0] != admins.ID ||
		strings.Join(u.SudoCommands, ",") != "ALL" || strings.Join(u.Roles, ",") != "FULL_ADMIN" {
		t.Fatalf("truenas_admin is not what the TrueNAS installer makes: %+v", u)
	}
	if got := loginEx(t, e, "truenas_admin", "Admin-Pw-1"); got != "SUCCESS" {
		t.Fatalf("login_ex with the password given at setup: %s", got)
	}

	// On the box: its passwd line and its home.
	passwd, err := os.ReadFile(filepath.Join(e.Root(), "etc/passwd"))
	if err != nil || !strings.Contains(string(passwd), "truenas_admin:x:950:950:Local Administrator:/home/truenas_admin:") {
		t.Fatalf("etc/passwd has no truenas_admin line: %v\n%s", err, passwd)
	}
	if fi, err := os.Stat(filepath.Join(e.Root(), "home/truenas_admin")); err != nil || !fi.IsDir() {
		t.Fatalf("no home for truenas_admin: %v", err)
	}

	// Only once, and truenas_admin is immutable: it cannot be deleted.
	_, err = call(t, e, "user.setup_local_administrator", `"root"`, `"other"`)
	wantErr(t, err, "Local administrator is already set up")
	_, err = call(t, e, "user.delete", itoa(u.ID))
	wantErr(t, err, "Cannot delete")
}

func TestSetupLocalAdministratorRootAllowsDeletingOtherAdmins(t *testing.T) {
	e := openTest(t)
	admins := groupByName(t, e, "builtin_administrators")
	ops := createUser(t, e, `{"username":"ops","full_name":"Ops","group_create":true,"groups":[`+itoa(admins.ID)+`],"password":"Ops-Pw-1","smb":false}`)
	// ops is the only administrator with a password: it cannot go.
	_, err := call(t, e, "user.delete", itoa(ops.ID))
	wantErr(t, err, "no local user will have built-in privilege 'Local Administrator'")

	// That ops exists means an administrator is set up already.
	_, err = call(t, e, "user.setup_local_administrator", `"root"`, `"Root-Pw-1"`)
	wantErr(t, err, "Local administrator is already set up")

	e2 := openTest(t)
	mustCall(t, e2, "user.setup_local_administrator", `"root"`, `"Root-Pw-1"`)
	if got := loginEx(t, e2, "root", "Root-Pw-1"); got != "SUCCESS" {
		t.Fatalf("root's password from setup: %s", got)
	}
	admins2 := groupByName(t, e2, "builtin_administrators")
	ops2 := createUser(t, e2, `{"username":"ops","full_name":"Ops","group_create":true,"groups":[`+itoa(admins2.ID)+`],"password":"Ops-Pw-1","smb":false}`)
	mustCall(t, e2, "user.delete", itoa(ops2.ID))
}

// On a box without zsh, truenas_admin gets bash rather than a shell that
// is not there.
func TestSetupLocalAdministratorShell(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/shells"), []byte("/bin/sh\n/usr/bin/bash\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	mustCall(t, e, "user.setup_local_administrator", `"truenas_admin"`, `"Admin-Pw-1"`)
	us := decode[[]account.UserEntry](t, mustCall(t, e, "user.query", `[["username","=","truenas_admin"]]`))
	if len(us) != 1 || us[0].Shell != "/usr/bin/bash" {
		t.Fatalf("truenas_admin's shell on a box without zsh: %+v", us)
	}
}

// An account the box had before the engine at uid or gid 950 keeps it:
// truenas_admin is not made over it (else its processes would be
// truenas_admin on the socket), with TrueNAS's messages.
func TestSetupLocalAdministratorRefusesForeignID950(t *testing.T) {
	const tail = ", setting up local administrator is not possible"
	e := openTest(t)
	appendLine(t, e.Root(), "etc/passwd", "svc:x:950:950::/home/svc:/bin/sh")
	_, err := call(t, e, "user.setup_local_administrator", `"truenas_admin"`, `"S3cret-pw"`)
	wantCallError(t, err, account.EEXIST, "A local user with uid=950 already exists"+tail)

	e = openTest(t)
	appendLine(t, e.Root(), "etc/group", "svc:x:950:")
	_, err = call(t, e, "user.setup_local_administrator", `"truenas_admin"`, `"S3cret-pw"`)
	wantCallError(t, err, account.EEXIST, "A local group with gid=950 already exists"+tail)

	e = openTest(t)
	appendLine(t, e.Root(), "etc/passwd", "truenas_admin:x:4000:4000::/home/x:/bin/sh")
	_, err = call(t, e, "user.setup_local_administrator", `"truenas_admin"`, `"S3cret-pw"`)
	wantCallError(t, err, account.EEXIST, "'truenas_admin' local user already exists"+tail)

	// A store user at uid 950 too.
	e = openTest(t)
	createUser(t, e, `{"username":"u950","uid":950,"full_name":"U","group_create":true,"password_disabled":true,"smb":false}`)
	_, err = call(t, e, "user.setup_local_administrator", `"truenas_admin"`, `"S3cret-pw"`)
	wantCallError(t, err, account.EEXIST, "A local user with uid=950 already exists"+tail)
	if set := decode[bool](t, mustCall(t, e, "user.has_local_administrator_set_up")); set {
		t.Fatal("a refused setup left a local administrator")
	}
}
