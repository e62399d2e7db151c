package engine

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

func openTest(t testing.TB) *Engine {
	t.Helper()
	e, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func call(t testing.TB, e *Engine, method string, args ...string) (json.RawMessage, error) {
	t.Helper()
	raw := make([]json.RawMessage, len(args))
	for i, a := range args {
		raw[i] = json.RawMessage(a)
	}
	return e.Call(context.Background(), method, raw)
}

func mustCall(t testing.TB, e *Engine, method string, args ...string) json.RawMessage {
	t.Helper()
	res, err := call(t, e, method, args...)
	if err != nil {
		t.Fatalf("%s %v: %v", method, args, err)
	}
	return res
}

func decode[T any](t testing.TB, raw json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}

func errLines(err error) string {
	var errs account.Errors
	var ce *account.CallError
	switch {
	case errors.As(err, &errs):
		return errs.Error()
	case errors.As(err, &ce):
		return ce.Error()
	case err != nil:
		return err.Error()
	}
	return ""
}

func wantErr(t testing.TB, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want error %q, got none", want)
	}
	if got := errLines(err); !strings.Contains(got, want) {
		t.Fatalf("want error containing %q, got %q", want, got)
	}
}

func groupByName(t testing.TB, e *Engine, name string) account.GroupEntry {
	t.Helper()
	res := mustCall(t, e, "group.query", `[["name","=","`+name+`"]]`, `{"get":true}`)
	return decode[account.GroupEntry](t, res)
}

func createUser(t testing.TB, e *Engine, payload string) account.UserCreateResult {
	t.Helper()
	return decode[account.UserCreateResult](t, mustCall(t, e, "user.create", payload))
}

func TestInitEmptyRoot(t *testing.T) {
	e := openTest(t)
	if fi, err := os.Stat(filepath.Join(e.Root(), "mnt/tank")); err != nil || !fi.IsDir() {
		t.Fatalf("mnt/tank not created: %v", err)
	}
	root := decode[account.UserEntry](t, mustCall(t, e, "user.query", `[["username","=","root"]]`, `{"get":true}`))
	if !root.Builtin || root.UID != 0 || !root.Immutable || root.SMB {
		t.Fatalf("root: %+v", root)
	}
	ba := groupByName(t, e, "builtin_administrators")
	if ba.GID != 544 || !ba.SMB || len(ba.Roles) != 1 || ba.Roles[0] != "FULL_ADMIN" {
		t.Fatalf("builtin_administrators: %+v", ba)
	}
	found := false
	for _, u := range ba.Users {
		found = found || u == root.ID
	}
	if !found {
		t.Fatalf("root not in builtin_administrators: %v", ba.Users)
	}
	if len(root.Roles) != 1 || root.Roles[0] != "FULL_ADMIN" {
		t.Fatalf("root roles %v", root.Roles)
	}
	privs := decode[[]account.PrivilegeEntry](t, mustCall(t, e, "privilege.query"))
	if len(privs) != 3 {
		t.Fatalf("privileges: %v", privs)
	}
	// Reopening does not initialise again.
	e2, err := Open(e.Root())
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	n := decode[int](t, mustCall(t, e2, "user.query", `[["username","=","root"]]`, `{"count":true}`))
	if n != 1 {
		t.Fatalf("root count %d", n)
	}
}

func TestInitFromEtc(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "etc"), 0o755)
	os.WriteFile(filepath.Join(dir, "etc/passwd"), []byte("root:x:0:0:root:/root:/bin/bash\nbob:x:1000:1000:Bob:/home/bob:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "etc/group"), []byte("root:x:0:\nbob:x:1000:\nsudo:x:27:bob\nbuiltin_users:x:545:\n"), 0o644)
	e, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	bob := decode[account.UserEntry](t, mustCall(t, e, "user.query", `[["username","=","bob"]]`, `{"get":true}`))
	if !bob.Builtin || bob.UID != 1000 || bob.Group.Group != "bob" || bob.Home != "/home/bob" || *bob.Unixhash != "*" {
		t.Fatalf("bob: %+v", bob)
	}
	sudo := groupByName(t, e, "sudo")
	if len(sudo.Users) != 1 || sudo.Users[0] != bob.ID {
		t.Fatalf("sudo: %+v", sudo)
	}
	n := decode[int](t, mustCall(t, e, "group.query", `[["name","=","builtin_users"]]`, `{"count":true}`))
	if n != 1 {
		t.Fatalf("builtin_users count %d", n)
	}
	ba := groupByName(t, e, "builtin_administrators")
	if ba.GID != 544 {
		t.Fatal(ba)
	}
	if _, err := os.Stat(filepath.Join(dir, "mnt/tank")); err == nil {
		t.Fatal("mnt/tank created for a non-empty root")
	}
}

func TestUserLifecycle(t *testing.T) {
	e := openTest(t)
	res := createUser(t, e, `{"username":"alice","full_name":"Alice","group_create":true,"password":"Secret123","home":"/mnt/tank","home_create":true,"shell":"/usr/bin/bash","sshpubkey":"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPG+qGIeCtss8Aoj3+peElFtz/Qh9TzgMvG6Fi7CY5Io alice"}`)
	if res.Password == nil || *res.Password != "Secret123" {
		t.Fatalf("password %v", res.Password)
	}
	if res.UID != 3000 || res.Home != "/mnt/tank/alice" || res.Group.Group != "alice" || res.Group.GID != 3000 {
		t.Fatalf("entry %+v", res.UserEntry)
	}
	if !strings.HasPrefix(*res.Unixhash, "$6$") || len(*res.Smbhash) != 32 {
		t.Fatalf("hashes %s %s", *res.Unixhash, *res.Smbhash)
	}
	if *res.Smbhash != ntHash("Secret123") {
		t.Fatal("smbhash")
	}
	bu := groupByName(t, e, "builtin_users")
	if len(res.Groups) != 1 || res.Groups[0] != bu.ID {
		t.Fatalf("smb user not in builtin_users: %v", res.Groups)
	}
	if res.LastPasswordChange == nil {
		t.Fatal("last_password_change")
	}
	// box effects
	passwd, _ := os.ReadFile(filepath.Join(e.Root(), "etc/passwd"))
	if !strings.Contains(string(passwd), "alice:x:3000:3000:Alice:/mnt/tank/alice:/usr/bin/bash") {
		t.Fatalf("passwd: %s", passwd)
	}
	if fi, err := os.Stat(filepath.Join(e.Root(), "mnt/tank/alice")); err != nil || !fi.IsDir() {
		t.Fatalf("home: %v", err)
	}
	keys, err := os.ReadFile(filepath.Join(e.Root(), "mnt/tank/alice/.ssh/authorized_keys"))
	if err != nil || !strings.Contains(string(keys), "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPG+qGIeCtss8Aoj3+peElFtz/Qh9TzgMvG6Fi7CY5Io alice") {
		t.Fatalf("authorized_keys %q %v", keys, err)
	}
	// password check via auth.login_ex
	ok := decode[map[string]any](t, mustCall(t, e, "auth.login_ex", `{"mechanism":"PASSWORD_PLAIN","username":"alice","password":"Secret123"}`))
	if ok["response_type"] != "SUCCESS" {
		t.Fatal(ok)
	}
	bad := decode[map[string]any](t, mustCall(t, e, "auth.login_ex", `{"mechanism":"PASSWORD_PLAIN","username":"alice","password":"nope"}`))
	if bad["response_type"] != "AUTH_ERR" {
		t.Fatal(bad)
	}

	// duplicate
	_, err = call(t, e, "user.create", `{"username":"alice","full_name":"A","group_create":true,"password":"x"}`)
	wantErr(t, err, `[EEXIST] user_create.username: The username "alice" already exists.`)

	// update
	upd := decode[account.UserCreateResult](t, mustCall(t, e, "user.update", itoa(res.ID), `{"full_name":"Alice B","random_password":true,"locked":true}`))
	if upd.FullName != "Alice B" || upd.Password == nil || len(*upd.Password) != 20 || !upd.Locked {
		t.Fatalf("update %+v", upd)
	}
	locked := decode[map[string]any](t, mustCall(t, e, "auth.login_ex", `{"mechanism":"PASSWORD_PLAIN","username":"alice","password":"`+*upd.Password+`"}`))
	if locked["response_type"] != "AUTH_ERR" {
		t.Fatal(locked)
	}
	upd2 := decode[account.UserCreateResult](t, mustCall(t, e, "user.update", itoa(res.ID), `{"password":null, "locked": false}`))
	if upd2.Password != nil || *upd2.Unixhash != "*" {
		t.Fatalf("password null: %+v", upd2)
	}
	// get_instance
	got := decode[account.UserEntry](t, mustCall(t, e, "user.get_instance", itoa(res.ID)))
	if got.Username != "alice" {
		t.Fatal(got)
	}
	_, err = call(t, e, "user.get_instance", "99")
	wantErr(t, err, "[ENOENT] ALL: User 99 does not exist")
	_, err = call(t, e, "user.update", "99", `{"full_name":"x"}`)
	wantErr(t, err, "[ENOENT] ALL: User 99 does not exist")

	// delete removes the primary group (no other users, no members)
	if id := decode[int64](t, mustCall(t, e, "user.delete", itoa(res.ID))); id != res.ID {
		t.Fatal(id)
	}
	n := decode[int](t, mustCall(t, e, "group.query", `[["name","=","alice"]]`, `{"count":true}`))
	if n != 0 {
		t.Fatal("primary group not deleted")
	}
	passwd, _ = os.ReadFile(filepath.Join(e.Root(), "etc/passwd"))
	if strings.Contains(string(passwd), "alice") {
		t.Fatalf("passwd still has alice: %s", passwd)
	}
	_, err = call(t, e, "user.delete", itoa(res.ID))
	wantErr(t, err, "does not exist")
	rootID := decode[account.UserEntry](t, mustCall(t, e, "user.query", `[["username","=","root"]]`, `{"get":true}`)).ID
	_, err = call(t, e, "user.delete", itoa(rootID))
	wantErr(t, err, "[EINVAL] Cannot delete a built-in user")
}

func TestUserGroupReuseAndDeleteGroupOption(t *testing.T) {
	e := openTest(t)
	gid := decode[int64](t, mustCall(t, e, "group.create", `{"name":"carol","smb":false}`))
	u := createUser(t, e, `{"username":"carol","full_name":"Carol","group_create":true,"password_disabled":true,"smb":false}`)
	if u.Group.ID != gid {
		t.Fatalf("group not reused: %+v", u.Group)
	}
	if len(u.Groups) != 0 {
		t.Fatalf("non-smb user got groups %v", u.Groups)
	}
	mustCall(t, e, "user.delete", itoa(u.ID), `{"delete_group":false}`)
	if n := decode[int](t, mustCall(t, e, "group.query", `[["name","=","carol"]]`, `{"count":true}`)); n != 1 {
		t.Fatal("group deleted despite delete_group=false")
	}
	_, err := call(t, e, "user.delete", "1", `{"delete_group":"yes"}`)
	wantErr(t, err, "options.delete_group: Input should be a valid boolean")
}

func TestGroupLifecycle(t *testing.T) {
	e := openTest(t)
	id := decode[int64](t, mustCall(t, e, "group.create", `{"name":"devs","smb":false,"sudo_commands":["ALL"]}`))
	g := decode[account.GroupEntry](t, mustCall(t, e, "group.get_instance", itoa(id)))
	if g.GID != 3000 || g.Name != "devs" || g.Builtin || g.Immutable || len(g.SudoCommands) != 1 {
		t.Fatalf("%+v", g)
	}
	u := createUser(t, e, `{"username":"dan","full_name":"Dan","group":`+itoa(id)+`,"password":"pw","smb":false}`)
	g = decode[account.GroupEntry](t, mustCall(t, e, "group.get_instance", itoa(id)))
	if len(g.Users) != 1 || g.Users[0] != u.ID {
		t.Fatalf("primary user missing from users: %v", g.Users)
	}
	other := decode[int64](t, mustCall(t, e, "group.create", `{"name":"ops","smb":false}`))
	mustCall(t, e, "group.update", itoa(other), `{"users":[`+itoa(u.ID)+`]}`)
	du := decode[account.UserEntry](t, mustCall(t, e, "user.get_instance", itoa(u.ID)))
	if len(du.Groups) != 1 || du.Groups[0] != other {
		t.Fatalf("aux groups %v", du.Groups)
	}
	group, _ := os.ReadFile(filepath.Join(e.Root(), "etc/group"))
	if !strings.Contains(string(group), "ops:x:3001:dan") {
		t.Fatalf("etc/group: %s", group)
	}
	if n := decode[int64](t, mustCall(t, e, "group.get_next_gid")); n != 3002 {
		t.Fatalf("next gid %d", n)
	}
	// delete without delete_users: dan moves to nogroup
	mustCall(t, e, "group.delete", itoa(id))
	du = decode[account.UserEntry](t, mustCall(t, e, "user.get_instance", itoa(u.ID)))
	if du.Group.GID != 65534 {
		t.Fatalf("not moved to nogroup: %+v", du.Group)
	}
	// delete with delete_users
	mustCall(t, e, "user.update", itoa(u.ID), `{"group":`+itoa(other)+`}`)
	mustCall(t, e, "group.delete", itoa(other), `{"delete_users":true}`)
	_, err := call(t, e, "user.get_instance", itoa(u.ID))
	wantErr(t, err, "does not exist")
	_, err = call(t, e, "group.get_instance", "9999")
	wantErr(t, err, "[ENOENT] ALL: Group 9999 does not exist")
	ba := groupByName(t, e, "builtin_administrators")
	_, err = call(t, e, "group.delete", itoa(ba.ID))
	wantErr(t, err, "[EACCES] A built-in group cannot be deleted.")
}

func TestAPIKeys(t *testing.T) {
	e := openTest(t)
	ba := groupByName(t, e, "builtin_administrators")
	u := createUser(t, e, `{"username":"eve","full_name":"Eve","group_create":true,"password":"pw","groups":[`+itoa(ba.ID)+`]}`)
	if len(u.Roles) != 1 || u.Roles[0] != "FULL_ADMIN" {
		t.Fatalf("roles %v", u.Roles)
	}
	res := decode[map[string]any](t, mustCall(t, e, "api_key.create", `{"name":"k1","username":"eve"}`))
	key := res["key"].(string)
	id := int64(res["id"].(float64))
	if !strings.HasPrefix(key, itoa(id)+"-") || len(key) != len(itoa(id))+1+64 {
		t.Fatalf("key %q", key)
	}
	if res["user_identifier"] != itoa(u.ID) {
		t.Fatalf("user_identifier %v", res["user_identifier"])
	}
	if !strings.HasPrefix(res["keyhash"].(string), "$pbkdf2-sha512$") {
		t.Fatalf("keyhash %v", res["keyhash"])
	}
	q := decode[account.APIKeyEntry](t, mustCall(t, e, "api_key.get_instance", itoa(id)))
	if _, isNum := q.UserIdentifier.(float64); !isNum || q.Username == nil || *q.Username != "eve" {
		t.Fatalf("query entry %+v", q)
	}
	if _, has := decode[map[string]any](t, mustCall(t, e, "api_key.get_instance", itoa(id)))["key"]; has {
		t.Fatal("query returned the key")
	}
	ue := decode[account.UserEntry](t, mustCall(t, e, "user.get_instance", itoa(u.ID)))
	if len(ue.APIKeys) != 1 || ue.APIKeys[0] != id {
		t.Fatalf("api_keys %v", ue.APIKeys)
	}
	login := func(k string) string {
		r := decode[map[string]any](t, mustCall(t, e, "auth.login_ex", `{"mechanism":"API_KEY_PLAIN","username":"eve","api_key":"`+k+`"}`))
		return r["response_type"].(string)
	}
	if got := login(key); got != "SUCCESS" {
		t.Fatal(got)
	}
	_, err := call(t, e, "api_key.create", `{"name":"k1","username":"eve"}`)
	wantErr(t, err, "name must be unique")
	// reset
	r2 := decode[map[string]any](t, mustCall(t, e, "api_key.update", itoa(id), `{"reset":true}`))
	if r2["key"] == nil || r2["key"] == key {
		t.Fatal("reset gave no new key")
	}
	if got := login(key); got != "AUTH_ERR" {
		t.Fatalf("old key after reset: %s", got)
	}
	if got := login(r2["key"].(string)); got != "SUCCESS" {
		t.Fatal(got)
	}
	r3 := decode[map[string]any](t, mustCall(t, e, "api_key.update", itoa(id), `{"name":"k2"}`))
	if _, has := r3["key"]; has || r3["name"] != "k2" {
		t.Fatalf("update %v", r3)
	}
	// expired
	mustCall(t, e, "api_key.create", `{"name":"k3","username":"eve","expires_at":{"$date":`+itoa(e.now().Add(3600e9).UnixMilli())+`}}`)
	// the last local administrator cannot be deleted
	_, err = call(t, e, "user.delete", itoa(u.ID))
	wantErr(t, err, "[EACCES] After deleting this user no local user will have built-in privilege 'Local Administrator'.")
	createUser(t, e, `{"username":"eve2","full_name":"Eve","group_create":true,"password":"pw","groups":[`+itoa(ba.ID)+`]}`)
	// deleted user: key shows revoked
	mustCall(t, e, "user.delete", itoa(u.ID))
	q = decode[account.APIKeyEntry](t, mustCall(t, e, "api_key.get_instance", itoa(id)))
	if q.Username != nil || !q.Revoked || q.RevokedReason == nil || *q.RevokedReason != "User does not exist" {
		t.Fatalf("after user delete %+v", q)
	}
	if v := string(mustCall(t, e, "api_key.delete", itoa(id))); v != "true" {
		t.Fatal(v)
	}
	_, err = call(t, e, "api_key.delete", itoa(id))
	wantErr(t, err, "ApiKey "+itoa(id)+" does not exist")
	_, err = call(t, e, "api_key.update", "999", `{"name":"x"}`)
	wantErr(t, err, "MatchNotFound()")
}

func TestAPIKeyLimitAndExpiry(t *testing.T) {
	e := openTest(t)
	ba := groupByName(t, e, "builtin_administrators")
	createUser(t, e, `{"username":"fay","full_name":"Fay","group_create":true,"password":"pw","groups":[`+itoa(ba.ID)+`]}`)
	var last map[string]any
	for i := range 10 {
		last = decode[map[string]any](t, mustCall(t, e, "api_key.create", `{"name":"k`+itoa(int64(i))+`","username":"fay"}`))
	}
	_, err := call(t, e, "api_key.create", `{"name":"k10","username":"fay"}`)
	wantErr(t, err, "maximum per-user API key limit of 10")
	// Make the last key expire by moving the clock.
	id := int64(last["id"].(float64))
	mustCall(t, e, "api_key.update", itoa(id), `{"expires_at":{"$date":`+itoa(e.now().Add(3600e9).UnixMilli())+`}}`)
	real := e.now
	defer func() { e.now = real }()
	e.now = func() time.Time { return real().Add(2 * time.Hour) }
	r := decode[map[string]any](t, mustCall(t, e, "auth.login_ex", `{"mechanism":"API_KEY_PLAIN","username":"fay","api_key":"`+last["key"].(string)+`"}`))
	if r["response_type"] != "EXPIRED" {
		t.Fatal(r)
	}
}

func TestMiscMethods(t *testing.T) {
	e := openTest(t)
	if v := decode[string](t, mustCall(t, e, "system.version")); v != "TrueNAS-25.10.6+engine."+versionLabel(Version) {
		t.Fatal(v)
	}
	a := decode[int64](t, mustCall(t, e, "user.get_next_uid"))
	b := decode[int64](t, mustCall(t, e, "user.get_next_uid"))
	if a != 3000 || b != 3001 {
		t.Fatalf("next uid %d %d", a, b)
	}
	sc := decode[map[string]string](t, mustCall(t, e, "user.shell_choices"))
	if sc["/usr/sbin/nologin"] != "nologin" || sc["/usr/bin/bash"] != "bash" || sc["/usr/bin/cli"] != "" {
		t.Fatal(sc)
	}
	ba := groupByName(t, e, "builtin_administrators")
	sc = decode[map[string]string](t, mustCall(t, e, "user.shell_choices", "["+itoa(ba.ID)+"]"))
	if sc["/usr/bin/cli"] != "TrueNAS CLI" {
		t.Fatal(sc)
	}
	_, err := call(t, e, "no.such")
	if err == nil || err.Error() != "[EINVAL] Method does not exist" {
		t.Fatal(err)
	}
	_, err = call(t, e, "user.get_next_uid", "1")
	wantErr(t, err, "[EINVAL] ALL: Too many arguments (expected 0, found 1)")
	_, err = call(t, e, "user.query", "[]", "{}", "1")
	wantErr(t, err, "Too many arguments (expected 2, found 3)")
	_, err = call(t, e, "user.get_instance", `"1"`)
	wantErr(t, err, "[EINVAL] id: Input should be a valid integer")
	_, err = call(t, e, "user.create", `[]`)
	wantErr(t, err, "user_create")
	_, err = call(t, e, "user.create", `{"username":5}`)
	wantErr(t, err, "user_create.username")
	_, err = call(t, e, "group.create", `{"name":"big","sudo_commands":["`+strings.Repeat("a", 70000)+`"]}`)
	wantErr(t, err, "[EINVAL] Max message length is 64 kB")
	_, err = call(t, e, "auth.login_ex", `{"mechanism":"NOPE"}`)
	wantErr(t, err, "login_data")
}

func TestConcurrentEngines(t *testing.T) {
	dir := t.TempDir()
	e1, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer e1.Close()
	e2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 10 {
		for j, e := range []*Engine{e1, e2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				name := "u" + itoa(int64(i)) + "_" + itoa(int64(j))
				_, err := call(t, e, "user.create", `{"username":"`+name+`","full_name":"X","group_create":true,"password_disabled":true,"smb":false}`)
				if err != nil {
					errs <- err
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	n := decode[int](t, mustCall(t, e2, "user.query", `[["builtin","=",false]]`, `{"count":true}`))
	if n != 20 {
		t.Fatalf("users %d", n)
	}
	uids := decode[[]map[string]any](t, mustCall(t, e1, "user.query", `[["builtin","=",false]]`, `{"select":["uid"]}`))
	seen := map[float64]bool{}
	for _, u := range uids {
		if seen[u["uid"].(float64)] {
			t.Fatalf("duplicate uid %v", u)
		}
		seen[u["uid"].(float64)] = true
	}
	passwd, _ := os.ReadFile(filepath.Join(dir, "etc/passwd"))
	if c := strings.Count(string(passwd), ":X:"); c != 20 {
		t.Fatalf("passwd has %d engine users:\n%s", c, passwd)
	}
}

func TestNextIDGapsAndReservation(t *testing.T) {
	e := openTest(t)
	var ids []int64
	for i := range 3 {
		u := createUser(t, e, `{"username":"g`+itoa(int64(i))+`","full_name":"G","group_create":true,"password_disabled":true,"smb":false}`)
		ids = append(ids, u.ID)
	}
	// 3000, 3001, 3002 used; free 3001 (and its group gid 3001).
	mustCall(t, e, "user.delete", itoa(ids[1]))
	if n := decode[int64](t, mustCall(t, e, "user.get_next_uid")); n != 3001 {
		t.Fatalf("next uid after delete %d", n)
	}
	// reserved: the next call skips it (TrueNAS's test_get_next_uid_is_unique)
	if n := decode[int64](t, mustCall(t, e, "user.get_next_uid")); n != 3003 {
		t.Fatalf("second next uid %d", n)
	}
	// another engine (process) on the same store sees the reservations
	e2, err := Open(e.Root())
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	if n := decode[int64](t, mustCall(t, e2, "user.get_next_uid")); n != 3004 {
		t.Fatalf("next uid in another process %d", n)
	}
	// a create without a uid skips the reserved ones; gids are reserved apart
	u := createUser(t, e2, `{"username":"h","full_name":"H","group_create":true,"password_disabled":true,"smb":false}`)
	if u.UID != 3005 || u.Group.GID != 3001 {
		t.Fatalf("uid %d gid %d", u.UID, u.Group.GID)
	}
	if n := decode[int64](t, mustCall(t, e, "group.get_next_gid")); n != 3003 {
		t.Fatalf("next gid %d", n)
	}
	if n := decode[int64](t, mustCall(t, e2, "group.get_next_gid")); n != 3004 {
		t.Fatalf("second next gid %d", n)
	}
	// using a reserved uid ends its reservation
	mustCall(t, e, "user.create", `{"username":"x","full_name":"X","uid":3001,"group_create":true,"password_disabled":true,"smb":false}`)
	if n := decode[int64](t, mustCall(t, e2, "user.get_next_uid")); n != 3006 {
		t.Fatalf("next uid %d", n)
	}
	// reservations end after an hour (LOCKED_XID_TTL)
	real := e.now
	e.now = func() time.Time { return real().Add(ReservedIDTTL + time.Minute) }
	if n := decode[int64](t, mustCall(t, e, "user.get_next_uid")); n != 3003 {
		t.Fatalf("next uid after the reservations expired %d", n)
	}
	var left int
	if err := e.db.QueryRow(`SELECT COUNT(*) FROM meta WHERE key LIKE 'reserved_%'`).Scan(&left); err != nil || left != 1 {
		t.Fatalf("reservations kept: %d %v", left, err)
	}
}

func TestBoxRepairedAtOpen(t *testing.T) {
	e := openTest(t)
	ba := groupByName(t, e, "builtin_users")
	createUser(t, e, `{"username":"rita","full_name":"Rita","group_create":true,"password":"pw"}`)
	group, _ := os.ReadFile(filepath.Join(e.Root(), "etc/group"))
	if !strings.Contains(string(group), "builtin_users:x:545:rita") {
		t.Fatalf("builtin_users members not written (id %d): %s", ba.ID, group)
	}
	forgetBoxGeneration(t, e)
	os.Remove(filepath.Join(e.Root(), "etc/passwd"))
	e2, err := Open(e.Root())
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	passwd, _ := os.ReadFile(filepath.Join(e.Root(), "etc/passwd"))
	if !strings.Contains(string(passwd), "rita:x:3000:3000:Rita:") {
		t.Fatalf("passwd not repaired: %s", passwd)
	}
}

func TestQueryShapes(t *testing.T) {
	e := openTest(t)
	all := decode[[]account.UserEntry](t, mustCall(t, e, "user.query"))
	if len(all) < 50 || all[len(all)-1].Username != "truenas_container_unpriv_root" {
		t.Fatalf("users %d", len(all))
	}
	s := decode[account.UserEntry](t, mustCall(t, e, "user.query", `[["uid","=",2147000001]]`, `{"get":true}`))
	if s.ID != 2247000001 {
		t.Fatal(s.ID)
	}
	n := decode[int](t, mustCall(t, e, "user.query", `[["username","=","root"],["uid","=",1]]`, `{"count":true}`))
	if n != 0 {
		t.Fatal(n)
	}
	n = decode[int](t, mustCall(t, e, "group.query", `[["group","=","root"]]`, `{"count":true}`))
	if n != 1 {
		t.Fatal(n)
	}
	_, err := call(t, e, "user.query", `{"a":1}`)
	wantErr(t, err, "filters")
	_, err = call(t, e, "user.get_instance", "1", `{"select":["username"]}`)
	if err != nil {
		t.Fatal(err)
	}
}

func TestVersionLabel(t *testing.T) {
	for in, want := range map[string]string{
		"dev": "dev", "v1.2.3": "1.2.3", "1.2.3-rc.1+dirty": "1.2.3.rc.1.dirty", "": "dev", "--": "dev", "1..2_": "1.2",
	} {
		if got := versionLabel(in); got != want {
			t.Errorf("versionLabel(%q) = %q, want %q", in, got, want)
		}
	}
}
