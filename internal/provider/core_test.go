package provider

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/nasops/terraform-provider-truenas/internal/account"
	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

var core133, _ = wire.ParseRelease("TrueNAS-13.3-U1.2+engine.test")

// Every pair of sudo lists CORE can say reads back as the same pair: no
// drift; both non-empty is refused, naming the release.
func TestCoreSudoRoundTrip(t *testing.T) {
	for _, c := range []struct{ withPW, noPW []string }{
		{[]string{}, []string{}},
		{[]string{"ALL"}, []string{}},
		{[]string{}, []string{"ALL"}},
		{[]string{"/usr/local/bin/smartctl -a", "/sbin/zfs list"}, []string{}},
		{[]string{}, []string{"/usr/local/bin/smartctl"}},
	} {
		sudo, nopw, cmds, ok := coreSudoFields(c.withPW, c.noPW)
		if !ok {
			t.Fatalf("%v/%v refused", c.withPW, c.noPW)
		}
		if slices.Contains(cmds, "ALL") {
			t.Fatalf("%v/%v: CORE refuses ALL as a command (not an absolute path), got %v", c.withPW, c.noPW, cmds)
		}
		w, n := coreSudoLists(sudo, nopw, cmds)
		if !reflect.DeepEqual(w, c.withPW) || !reflect.DeepEqual(n, c.noPW) {
			t.Fatalf("%v/%v -> sudo %v nopasswd %v %v -> %v/%v", c.withPW, c.noPW, sudo, nopw, cmds, w, n)
		}
	}
	if _, _, _, ok := coreSudoFields([]string{"/bin/ls"}, []string{"/bin/ls"}); ok {
		t.Fatal("both lists accepted")
	}
	_, err := coreUserPayload(map[string]any{"sudo_commands": []string{"/bin/ls"}, "sudo_commands_nopasswd": []string{"ALL"}}, core133)
	var ec *errCore
	if !errors.As(err, &ec) || ec.attr != "sudo_commands" || !strings.Contains(ec.msg, "TrueNAS CORE 13.3") {
		t.Fatalf("both lists: %v", err)
	}
	// CORE's sudo with commands but sudo off is no sudo at all.
	if w, n := coreSudoLists(false, true, []string{"/bin/ls"}); len(w)+len(n) != 0 {
		t.Fatalf("sudo off: %v %v", w, n)
	}
}

// The payload CORE gets: its home rule, its sudo fields, and none of
// SCALE's own fields.
func TestCoreUserPayload(t *testing.T) {
	for _, c := range []struct {
		home string
		hc   bool
		want string
	}{
		{"/mnt/tank", true, "/mnt/tank/ann"},
		{"/mnt/tank/", true, "/mnt/tank/ann"},
		{"/mnt/tank/ann", true, "/mnt/tank/ann"},
		{"/mnt/tank/homes", false, "/mnt/tank/homes"},
		{"/var/empty", false, "/nonexistent"},
		{"/var/empty", true, "/nonexistent"},
		{"/nonexistent", false, "/nonexistent"},
	} {
		out, err := coreUserPayload(map[string]any{"username": "ann", "home": c.home, "home_create": c.hc,
			"ssh_password_enabled": false, "webshare": false, "microsoft_account": true,
			"sudo_commands": []string{"ALL"}, "sudo_commands_nopasswd": []string{}}, core133)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"username": "ann", "home": c.want, "microsoft_account": true,
			"sudo": true, "sudo_nopasswd": false, "sudo_commands": []string{}}
		if !reflect.DeepEqual(out, want) {
			t.Fatalf("%s %v: %v", c.home, c.hc, out)
		}
	}
	for _, k := range []string{"ssh_password_enabled", "webshare"} {
		_, err := coreUserPayload(map[string]any{k: true}, core133)
		var ec *errCore
		if !errors.As(err, &ec) || ec.attr != k || !strings.Contains(ec.msg, "13.3-U1.2") {
			t.Fatalf("%s = true: %v", k, err)
		}
	}
}

// CORE's entries read as SCALE's, field for field; a count passes as it
// is.
func TestCoreEntries(t *testing.T) {
	raw := json.RawMessage(`[{"id":3,"uid":1001,"username":"ann","unixhash":"x","smbhash":"y","home":"/mnt/tank/ann",
"shell":"/bin/csh","full_name":"Ann","builtin":false,"smb":true,"password_disabled":false,"locked":false,"sudo":true,
"sudo_nopasswd":true,"sudo_commands":[],"microsoft_account":true,"attributes":{},"email":null,
"group":{"id":7,"bsdgrp_gid":1001,"bsdgrp_group":"ann","bsdgrp_builtin":false,"bsdgrp_sudo":false,
"bsdgrp_sudo_nopasswd":false,"bsdgrp_sudo_commands":[],"bsdgrp_smb":false},"groups":[2],"sshpubkey":null,
"local":true,"id_type_both":false}]`)
	out, err := coreEntries(raw, coreUserToScale)
	if err != nil {
		t.Fatal(err)
	}
	var us []account.UserEntry
	if err := json.Unmarshal(out, &us); err != nil || len(us) != 1 {
		t.Fatalf("%s %v", out, err)
	}
	u := us[0]
	if u.Unixhash != nil || u.Smbhash != nil {
		t.Fatal("a CORE hash reached the SCALE entry")
	}
	if u.ID != 3 || u.UID != 1001 || u.Group.ID != 7 || u.Group.Group != "ann" || !reflect.DeepEqual(u.SudoCommandsNopasswd, []string{"ALL"}) ||
		len(u.SudoCommands) != 0 || u.MicrosoftAccount == nil || !*u.MicrosoftAccount || !reflect.DeepEqual(u.Groups, []int64{2}) || !u.Local {
		t.Fatalf("%+v", u)
	}
	if n, err := coreEntries(json.RawMessage("4"), coreUserToScale); err != nil || string(n) != "4" {
		t.Fatalf("count: %s %v", n, err)
	}
	// group.query's name filter is CORE's group.
	ps := coreGroupFilters([]any{[]any{[]any{"name", "=", "staff"}}, map[string]any{"count": true}})
	if !reflect.DeepEqual(ps[0], []any{[]any{"group", "=", "staff"}}) {
		t.Fatalf("%v", ps)
	}
}

// Plan-time CORE rules: CORE's username limit, its messages and
// attributes; fields not known yet are not judged.
func TestCheckCoreUser(t *testing.T) {
	p := newPayload()
	p.m = map[string]any{"username": "abcdefghijklmnopq", "full_name": "A", "group_create": true, "password": "x",
		"home": "/mnt/tank", "home_create": true, "sudo_commands": []string{}, "sudo_commands_nopasswd": []string{}}
	es, err := checkCoreUser(p, nil, core133)
	if err != nil || len(es) != 1 || es[0].Attribute != "user_create.username" || !strings.Contains(es[0].Message, "16") {
		t.Fatalf("%v %v", es, err)
	}
	p.m["username"] = "abcdefghijklmnop"
	if es, err := checkCoreUser(p, nil, core133); err != nil || len(es) != 0 {
		t.Fatalf("16 characters: %v %v", es, err)
	}
	p.m["home"] = "/home/x"
	p.unknown["home"] = true
	if es, err := checkCoreUser(p, nil, core133); err != nil || len(es) != 0 {
		t.Fatalf("an unknown home judged: %v %v", es, err)
	}
}
