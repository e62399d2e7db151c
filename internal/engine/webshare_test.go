package engine

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestWebshareByRelease: a 26.0 root has TrueNAS 26.0's truenas_webshare
// built-in group (gid 445, membership allowed, in etc/group); webshare true
// makes a user a member and false takes them out (also when groups name
// the group), the entry's webshare is that membership, root is refused on
// update and left out on create. A 25.10 root has no such group and
// refuses the field as pydantic's extra_forbidden.
func TestWebshareByRelease(t *testing.T) {
	root := t.TempDir()
	e, err := OpenRelease(root, "26.0")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	type entry struct {
		ID       int64   `json:"id"`
		GID      int64   `json:"gid"`
		Builtin  bool    `json:"builtin"`
		Immut    bool    `json:"immutable"`
		Groups   []int64 `json:"groups"`
		Webshare *bool   `json:"webshare"`
	}
	gs := decode[[]entry](t, mustCall(t, e, "group.query", `[["name","=","truenas_webshare"]]`))
	if len(gs) != 1 || gs[0].GID != 445 || !gs[0].Builtin || gs[0].Immut {
		t.Fatalf("truenas_webshare on 26.0: %+v", gs)
	}
	ws := gs[0].ID
	if line := etcGroupLine(t, root, "truenas_webshare"); line != "truenas_webshare:x:445:" {
		t.Fatalf("etc/group: %q", line)
	}

	u := decode[entry](t, mustCall(t, e, "user.create", `{"username":"wsa","full_name":"W","group_create":true,"password":"pw-1","webshare":true}`))
	if u.Webshare == nil || !*u.Webshare || !slices.Contains(u.Groups, ws) {
		t.Fatalf("create webshare: %+v", u)
	}
	if line := etcGroupLine(t, root, "truenas_webshare"); !strings.HasSuffix(line, ":wsa") {
		t.Fatalf("etc/group: %q", line)
	}
	// groups without the group, webshare unchanged: handle_webshare adds it back.
	u = decode[entry](t, mustCall(t, e, "user.update", itoa(u.ID), `{"groups":[]}`))
	if !*u.Webshare || !slices.Equal(u.Groups, []int64{ws}) {
		t.Fatalf("update groups: %+v", u)
	}
	u = decode[entry](t, mustCall(t, e, "user.update", itoa(u.ID), `{"webshare":false}`))
	if *u.Webshare || len(u.Groups) != 0 {
		t.Fatalf("update webshare false: %+v", u)
	}
	// Default false takes the group out even when groups name it.
	v := decode[entry](t, mustCall(t, e, "user.create", `{"username":"wsb","full_name":"W","group_create":true,"password":"pw-1","groups":[`+itoa(ws)+`]}`))
	if v.Webshare == nil || *v.Webshare || slices.Contains(v.Groups, ws) {
		t.Fatalf("create default: %+v", v)
	}
	_, err = call(t, e, "user.update", "1", `{"webshare":true}`)
	wantErr(t, err, "[EINVAL] user_update.webshare: The root user is not allowed access via webshare.")
	rootE := decode[[]entry](t, mustCall(t, e, "user.query", `[["username","=","root"]]`))
	if len(rootE) != 1 || rootE[0].Webshare == nil || *rootE[0].Webshare {
		t.Fatalf("root: %+v", rootE)
	}

	// 25.10: no field, no group.
	old, err := OpenRelease(t.TempDir(), "25.10")
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	_, err = call(t, old, "user.create", `{"username":"wsa","full_name":"W","group_create":true,"password":"pw-1","webshare":false}`)
	wantErr(t, err, "[EINVAL] user_create.webshare: Extra inputs are not permitted")
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal(mustCall(t, old, "user.query", `[["username","=","root"]]`), &raw); err != nil || len(raw) != 1 {
		t.Fatal(err)
	}
	if _, ok := raw[0]["webshare"]; ok {
		t.Fatalf("25.10 entry carries webshare: %s", raw[0]["webshare"])
	}
	if n := string(mustCall(t, old, "group.query", `[["name","=","truenas_webshare"]]`, `{"count":true}`)); n != "0" {
		t.Fatalf("25.10 has truenas_webshare: %s", n)
	}

	// Through the CLI, as `engine --release 26.0 call` runs it.
	var out, errb bytes.Buffer
	if code := Main([]string{"truenas-engine", "--root", root, "--release", "26.0", "call", "user.query", `[["username","=","wsa"]]`, `{"get":true,"select":["webshare"]}`}, nil, &out, &errb); code != 0 ||
		strings.TrimSpace(out.String()) != `{"webshare": false}` && strings.TrimSpace(out.String()) != `{"webshare":false}` {
		t.Fatalf("cli: %d %q %q", code, out.String(), errb.String())
	}
}

func etcGroupLine(t *testing.T, root, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "etc/group"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, name+":") {
			return l
		}
	}
	t.Fatalf("no %s in etc/group", name)
	return ""
}
