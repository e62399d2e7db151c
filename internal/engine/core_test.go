package engine

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// openCore opens an engine on a new root answering as TrueNAS CORE 13.3.
func openCore(t testing.TB) *Engine {
	t.Helper()
	e, err := OpenRelease(t.TempDir(), "13.3")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func ddpDecode[T any](t *testing.T, raw json.RawMessage, derr *wire.DDPError, what string) T {
	t.Helper()
	if derr != nil {
		t.Fatalf("%s: %+v", what, derr)
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %s: %v", what, raw, err)
	}
	return v
}

// ddpCall makes one call on d and decodes its result into T.
func ddpCall[T any](t *testing.T, d *ddpConn, args ...string) T {
	t.Helper()
	raw, derr := d.call(args[0], args[1:]...)
	return ddpDecode[T](t, raw, derr, args[0])
}

func readRootFile(t *testing.T, e *Engine, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(e.Root(), name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A 13.3 root over DDP, as CORE's own client speaks it: CORE's answers
// (ids from create and update), CORE's fields and defaults in the entries,
// CORE's version, no privileges, no JSON-RPC, and the box written by the
// same box code as on SCALE (passwd, home, sudoers from CORE's sudo
// fields).
func TestCoreOverDDP(t *testing.T) {
	e := openCore(t)
	base := serveAs(t, e, HandlerOptions{}, Caller{UID: 0})
	d := connectDDP(t, base+wire.DDPPath)

	v := ddpCall[string](t, d, "system.version")
	if !strings.HasPrefix(v, "TrueNAS-13.3-U1.2+engine.") {
		t.Fatalf("system.version %q", v)
	}
	if n := ddpCall[int64](t, d, "user.get_next_uid"); n != 1000 {
		t.Fatalf("get_next_uid %d", n)
	}
	if n := ddpCall[int64](t, d, "user.get_next_uid"); n != 1000 {
		t.Fatalf("get_next_uid reserves on CORE: %d", n)
	}
	id := ddpCall[int64](t, d, "user.create", `{"username":"alice","full_name":"Alice","group_create":true,
		"password":"pw-Secret1","sudo":true,"microsoft_account":true,"attributes":{"a":1}}`)
	u := ddpCall[map[string]any](t, d, "user.query", `[["id","=",`+itoa(id)+`]]`, `{"get":true}`)
	if u["uid"] != float64(1000) || u["home"] != "/nonexistent" || u["sudo"] != true || u["sudo_nopasswd"] != false ||
		u["microsoft_account"] != true || u["shell"] != "/bin/csh" || u["email"] != nil ||
		!strings.HasPrefix(u["unixhash"].(string), "$6$") || u["attributes"].(map[string]any)["a"] != float64(1) {
		t.Fatalf("entry %v", u)
	}
	if sh, _ := u["smbhash"].(string); !strings.HasPrefix(sh, "alice:1000:"+strings.Repeat("X", 32)+":"+ntHash("pw-Secret1")+":[U          ]:LCT-") {
		t.Fatalf("smbhash %q is not CORE's smbpasswd line", sh)
	}
	if g := u["group"].(map[string]any); g["bsdgrp_group"] != "alice" || g["bsdgrp_gid"] != float64(1000) {
		t.Fatalf("primary group %v", g)
	}
	for _, scale := range []string{"sudo_commands_nopasswd", "ssh_password_enabled", "roles", "api_keys", "userns_idmap"} {
		if _, ok := u[scale]; ok {
			t.Fatalf("the SCALE field %s in a CORE entry: %v", scale, u)
		}
	}
	// sudo with no commands is ALL, with the password.
	if s := readRootFile(t, e, "etc/sudoers.d/truenas-engine"); !strings.Contains(s, "ALL=(ALL) ALL") || strings.Contains(s, "NOPASSWD") {
		t.Fatalf("sudoers after sudo=true:\n%s", s)
	}
	// uid changeable, home changed (made by the box code), sudo_nopasswd
	// with commands; update answers the id.
	if err := os.MkdirAll(filepath.Join(e.Root(), "usr/bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.Root(), "usr/bin/ls"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	pool := filepath.Join(e.Root(), "mnt/tank")
	if err := os.MkdirAll(pool, 0o755); err != nil {
		t.Fatal(err)
	}
	if res := ddpCall[int64](t, d, "user.update", itoa(id),
		`{"uid":1500,"home":"/mnt/tank/alice","sudo_nopasswd":true,"sudo_commands":["/usr/bin/ls"]}`); res != id {
		t.Fatalf("user.update answered %d", res)
	}
	if p := readRootFile(t, e, "etc/passwd"); !strings.Contains(p, "alice:x:1500:1000:Alice:/mnt/tank/alice:/bin/csh\n") {
		t.Fatalf("passwd:\n%s", p)
	}
	if fi, err := os.Stat(filepath.Join(pool, "alice")); err != nil || !fi.IsDir() {
		t.Fatalf("home not made: %v", err)
	}
	if s := readRootFile(t, e, "etc/sudoers.d/truenas-engine"); !strings.Contains(s, "NOPASSWD: /usr/bin/ls") {
		t.Fatalf("sudoers after sudo_nopasswd with a command:\n%s", s)
	}
	u = ddpCall[map[string]any](t, d, "user.get_instance", itoa(id))
	if u["uid"] != float64(1500) || u["sudo_nopasswd"] != true || u["sudo_commands"].([]any)[0] != "/usr/bin/ls" {
		t.Fatalf("after update %v", u)
	}
	sh := ddpCall[json.RawMessage](t, d, "user.shell_choices")
	if !strings.HasPrefix(string(sh), `{"/bin/sh":"sh","/bin/csh":"csh",`) || !strings.HasSuffix(string(sh), `"/usr/sbin/nologin":"nologin"}`) {
		t.Fatalf("shell_choices %s", sh)
	}
	// No privileges on CORE: the method lookup's own error.
	_, derr := d.call("privilege.query")
	if derr == nil || derr.Error != wire.ENOMETHOD || derr.Reason != "[ENOMETHOD] Service 'privilege' not found" {
		t.Fatalf("privilege.query: %+v", derr)
	}
	_, derr = d.call("user.has_local_administrator_set_up")
	if derr == nil || derr.Reason != "[ENOMETHOD] Method 'has_local_administrator_set_up' not found in 'user'" {
		t.Fatalf("a SCALE-only user method: %+v", derr)
	}
	// user.delete takes its primary group (delete_group's default).
	if res := ddpCall[int64](t, d, "user.delete", itoa(id)); res != id {
		t.Fatalf("user.delete answered %d", res)
	}
	if g := ddpCall[[]any](t, d, "group.query", `[["group","=","alice"]]`); len(g) != 0 {
		t.Fatalf("the primary group stayed: %v", g)
	}
	if b, err := os.ReadFile(filepath.Join(e.Root(), "etc/sudoers.d/truenas-engine")); err == nil && bytes.Contains(b, []byte("alice")) {
		t.Fatalf("sudoers after delete:\n%s", b)
	} else if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	// No JSON-RPC on CORE.
	resp, err := http.Get(strings.Replace(base, "ws", "http", 1) + wire.APIPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("%s on 13.3: %d", wire.APIPath, resp.StatusCode)
	}
}

// CORE's rules and their messages on the wire, in CORE's error shapes: a
// schema Error (class Error, errno EINVAL, the reason "[attr] message"),
// ValidationErrors (EAGAIN, type VALIDATION, extra rows), a missing
// instance, a CallError, the refusal after logout.
func TestCoreErrorsOnTheWire(t *testing.T) {
	e := openCore(t)
	d := connectDDP(t, serveAs(t, e, HandlerOptions{}, Caller{UID: 0})+wire.DDPPath)

	_, derr := d.call("user.create", `"-"`)
	if derr == nil || derr.Error != 22 || derr.Reason != "[user_create] A dict was expected" || derr.Type != nil ||
		derr.Trace == nil || derr.Trace.Class != "Error" || derr.Errname != "" ||
		derr.Trace.Formatted != "middlewared.schema.Error: [user_create] A dict was expected\n" {
		t.Fatalf("schema error: %+v %+v", derr, derr.Trace)
	}
	_, derr = d.call("user.query", `"x"`)
	if derr == nil || derr.Reason != "[query-filters] Not a list" || derr.Trace.Class != "Error" {
		t.Fatalf("query filters: %+v", derr)
	}
	_, derr = d.call("user.create", `{"username":"a23456789012345678","full_name":"X","group_create":true}`)
	if derr == nil || derr.Error != 11 || derr.Type == nil || *derr.Type != "VALIDATION" ||
		!bytes.Contains(derr.Extra, []byte(`["user_create.username","Value greater than 16 not allowed",22]`)) {
		t.Fatalf("username too long: %+v %s", derr, derr.Extra)
	}
	_, derr = d.call("user.create", `{"username":"bob","full_name":"B"}`)
	if derr == nil || derr.Type == nil || !bytes.Contains(derr.Extra, []byte(`"user_create.group"`)) {
		t.Fatalf("no group: %+v %s", derr, derr.Extra)
	}
	_, derr = d.call("user.create", `{"username":"bob","full_name":"B","group":99999,"password":"p"}`)
	if derr == nil || derr.Reason != "[EFAULT] Group 99999 not found" || derr.Trace.Class != "CallError" {
		t.Fatalf("missing group: %+v", derr)
	}
	_, derr = d.call("user.update", "99999", `{"full_name":"x"}`)
	if derr == nil || derr.Error != 2 || derr.Trace.Class != "ValidationError" || !strings.Contains(derr.Reason, "User 99999 does not exist") {
		t.Fatalf("missing user: %+v", derr)
	}
	// CORE takes a uid another user has; a second API key of a name is
	// refused.
	ddpCall[int64](t, d, "user.create", `{"username":"u1","full_name":"U","group_create":true,"uid":3000,"password_disabled":true}`)
	ddpCall[int64](t, d, "user.create", `{"username":"u2","full_name":"U","group_create":true,"uid":3000,"password_disabled":true}`)
	ddpCall[map[string]any](t, d, "api_key.create", `{"name":"k"}`)
	_, derr = d.call("api_key.create", `{"name":"k"}`)
	if derr == nil || derr.Type == nil || !bytes.Contains(derr.Extra, []byte(`"api_key_create.name"`)) {
		t.Fatalf("duplicate key name: %+v %s", derr, derr.Extra)
	}
	_, derr = d.call("api_key.create", `{"name":"k2","username":"root"}`)
	if derr == nil || derr.Reason != "[username] Field was not expected" {
		t.Fatalf("a SCALE key field: %+v", derr)
	}
	if ok := ddpCall[bool](t, d, "auth.logout"); !ok {
		t.Fatal("logout")
	}
	_, derr = d.call("user.query")
	if derr == nil || derr.Error != 13 || derr.Reason != "Not authenticated" || derr.Trace != nil {
		t.Fatalf("after logout: %+v", derr)
	}
}

// CORE's groups and API keys: gid changeable, get_next_gid from 1000,
// members replaced, delete answering the id; keys name-only, "<id>-<64>"
// secrets, a login with one that ends when the key does.
func TestCoreGroupsAndKeys(t *testing.T) {
	e := openCore(t)
	base := serveAs(t, e, HandlerOptions{}, Caller{UID: 0})
	d := connectDDP(t, base+wire.DDPPath)
	if n := ddpCall[int64](t, d, "group.get_next_gid"); n != 1000 {
		t.Fatalf("get_next_gid %d", n)
	}
	gid := ddpCall[int64](t, d, "group.create", `{"name":"staff2","sudo":true,"sudo_nopasswd":true}`)
	uid := ddpCall[int64](t, d, "user.create", `{"username":"carol","full_name":"C","group_create":true,"password_disabled":true}`)
	if res := ddpCall[int64](t, d, "group.update", itoa(gid), `{"gid":4000,"users":[`+itoa(uid)+`]}`); res != gid {
		t.Fatalf("group.update answered %d", res)
	}
	g := ddpCall[map[string]any](t, d, "group.get_instance", itoa(gid))
	if g["gid"] != float64(4000) || g["group"] != "staff2" || g["sudo_nopasswd"] != true || len(g["users"].([]any)) != 1 {
		t.Fatalf("group %v", g)
	}
	if s := readRootFile(t, e, "etc/group"); !strings.Contains(s, "staff2:x:4000:carol\n") {
		t.Fatalf("group file:\n%s", s)
	}
	if s := readRootFile(t, e, "etc/sudoers.d/truenas-engine"); !strings.Contains(s, "NOPASSWD: ALL") {
		t.Fatalf("group sudoers:\n%s", s)
	}
	if res := ddpCall[int64](t, d, "group.delete", itoa(gid)); res != gid {
		t.Fatalf("group.delete answered %d", res)
	}

	k := ddpCall[map[string]any](t, d, "api_key.create", `{"name":"deploy"}`)
	key, _ := k["key"].(string)
	kid := int64(k["id"].(float64))
	if !strings.HasPrefix(key, itoa(kid)+"-") || len(key) != len(itoa(kid))+1+64 || k["name"] != "deploy" {
		t.Fatalf("api_key.create %v", k)
	}
	if _, ok := k["username"]; ok {
		t.Fatalf("a CORE key has no user: %v", k)
	}
	q := ddpCall[[]map[string]any](t, d, "api_key.query")
	if len(q) != 1 || len(q[0]) != 3 || q[0]["name"] != "deploy" {
		t.Fatalf("api_key.query %v", q)
	}
	other := connectDDP(t, base+wire.DDPPath)
	ddpCall[bool](t, other, "auth.logout")
	if ok := ddpCall[bool](t, other, "auth.login_with_api_key", `"`+itoa(kid)+`-wrong"`); ok {
		t.Fatal("a wrong key logged in")
	}
	if ok := ddpCall[bool](t, other, "auth.login_with_api_key", `"`+key+`"`); !ok {
		t.Fatal("the key did not log in")
	}
	ddpCall[[]any](t, other, "user.query")
	r := ddpCall[map[string]any](t, d, "api_key.update", itoa(kid), `{"name":"deploy2","reset":true}`)
	if nk, _ := r["key"].(string); nk == key || !strings.HasPrefix(nk, itoa(kid)+"-") || r["name"] != "deploy2" {
		t.Fatalf("reset %v", r)
	}
	if ok := ddpCall[bool](t, d, "api_key.delete", itoa(kid)); !ok {
		t.Fatal("api_key.delete")
	}
	if _, derr := other.call("user.query"); derr == nil || derr.Reason != "Not authenticated" {
		t.Fatalf("a login with a deleted key still holds: %+v", derr)
	}
}

// CORE's midclt takes every argument from the command line: "-" is the
// string "-", which the method refuses; stdin is never read.
func TestCoreMidcltArgvOnly(t *testing.T) {
	root := t.TempDir()
	var out, errb bytes.Buffer
	stdin := strings.NewReader(`{"username":"viastdin","full_name":"S","group_create":true}`)
	code := Main([]string{"midclt", "--root", root, "--release", "13.3", "call", "user.create", "-"}, stdin, &out, &errb)
	if code != 1 || errb.String() != "[EINVAL] [user_create] A dict was expected\n" || out.Len() != 0 {
		t.Fatalf("user.create -: %d %q %q", code, out.String(), errb.String())
	}
	if stdin.Len() == 0 {
		t.Fatal("stdin was read")
	}
	out.Reset()
	errb.Reset()
	code = Main([]string{"midclt", "--root", root, "call", "user.query", `[["username","=","viastdin"]]`}, nil, &out, &errb)
	if code != 0 || strings.TrimSpace(out.String()) != "[]" {
		t.Fatalf("query: %d %q %q", code, out.String(), errb.String())
	}
	out.Reset()
	code = Main([]string{"midclt", "--root", root, "call", "user.create", `{"username":"viaargv","full_name":"A","group_create":true,"password":"p"}`}, nil, &out, &errb)
	if code != 0 || strings.TrimSpace(out.String()) == "" {
		t.Fatalf("argv create: %d %q %q", code, out.String(), errb.String())
	}
}
