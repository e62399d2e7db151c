package account

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

const validChars = `'a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t, u, v, w, x, y, z, A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R, S, T, U, V, W, X, Y, Z, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, _, -, .'`

func TestDecodeUserCreate(t *testing.T) {
	long := strings.Repeat("a", 1025)
	cases := []struct {
		name string
		raw  string
		want []string
	}{
		{"minimal", `{"username":"bob","full_name":"Bob"}`, nil},
		{"not an object", `[1,2]`, []string{"[EINVAL] user_create: Input should be a valid dictionary"}},
		{"a string", `"bob"`, []string{"[EINVAL] user_create: Input should be a valid dictionary"}},
		{"null", `null`, []string{"[EINVAL] user_create: Input should be a valid dictionary"}},
		{"not JSON", `{"username":`, []string{"[EINVAL] user_create: Input should be a valid dictionary"}},
		{"required", `{}`, []string{
			"[EINVAL] user_create.username: Field required",
			"[EINVAL] user_create.full_name: Field required",
		}},
		{"extra and excluded", `{"username":"bob","full_name":"Bob","id":1,"builtin":false,"unixhash":"x","smbhash":"x","local":true,"immutable":false,"sid":null,"roles":[],"api_keys":[],"twofactor_auth_configured":false,"id_type_both":false,"password_history":[],"password_age":1,"last_password_change":null,"password_change_required":false,"foo":1}`, []string{
			"[EINVAL] user_create.id: Extra inputs are not permitted",
			"[EINVAL] user_create.builtin: Extra inputs are not permitted",
			"[EINVAL] user_create.unixhash: Extra inputs are not permitted",
			"[EINVAL] user_create.smbhash: Extra inputs are not permitted",
			"[EINVAL] user_create.local: Extra inputs are not permitted",
			"[EINVAL] user_create.immutable: Extra inputs are not permitted",
			"[EINVAL] user_create.sid: Extra inputs are not permitted",
			"[EINVAL] user_create.roles: Extra inputs are not permitted",
			"[EINVAL] user_create.api_keys: Extra inputs are not permitted",
			"[EINVAL] user_create.twofactor_auth_configured: Extra inputs are not permitted",
			"[EINVAL] user_create.id_type_both: Extra inputs are not permitted",
			"[EINVAL] user_create.password_history: Extra inputs are not permitted",
			"[EINVAL] user_create.password_age: Extra inputs are not permitted",
			"[EINVAL] user_create.last_password_change: Extra inputs are not permitted",
			"[EINVAL] user_create.password_change_required: Extra inputs are not permitted",
			"[EINVAL] user_create.foo: Extra inputs are not permitted",
		}},
		{"int types", `{"username":"bob","full_name":"Bob","uid":"5","group":true}`, []string{
			"[EINVAL] user_create.uid: Input should be a valid integer",
			"[EINVAL] user_create.group: Input should be a valid integer",
		}},
		{"float ints", `{"username":"bob","full_name":"Bob","uid":1.5,"group":2.0}`, []string{
			"[EINVAL] user_create.uid: Input should be a valid integer",
			"[EINVAL] user_create.group: Input should be a valid integer",
		}},
		{"uid range", `{"username":"bob","full_name":"Bob","uid":90000001}`, []string{"[EINVAL] user_create.uid: Input should be less than or equal to 90000000"}},
		{"uid huge", `{"username":"bob","full_name":"Bob","uid":123456789012345678901234567890}`, []string{"[EINVAL] user_create.uid: Input should be less than or equal to 90000000"}},
		{"uid negative", `{"username":"bob","full_name":"Bob","uid":-1}`, []string{"[EINVAL] user_create.uid: Input should be greater than or equal to 0"}},
		{"uid bounds ok", `{"username":"bob","full_name":"Bob","uid":90000000,"group":null}`, nil},
		{"bool types", `{"username":"bob","full_name":"Bob","smb":"true","locked":1,"group_create":null,"home_create":"yes","random_password":0,"password_disabled":[],"ssh_password_enabled":{}}`, []string{
			"[EINVAL] user_create.smb: Input should be a valid boolean",
			"[EINVAL] user_create.locked: Input should be a valid boolean",
			"[EINVAL] user_create.group_create: Input should be a valid boolean",
			"[EINVAL] user_create.home_create: Input should be a valid boolean",
			"[EINVAL] user_create.random_password: Input should be a valid boolean",
			"[EINVAL] user_create.password_disabled: Input should be a valid boolean",
			"[EINVAL] user_create.ssh_password_enabled: Input should be a valid boolean",
		}},
		{"string types", `{"username":5,"full_name":null,"home":1,"shell":null,"home_mode":700,"password":7,"sshpubkey":false,"email":3}`, []string{
			"[EINVAL] user_create.username: Input should be a valid string",
			"[EINVAL] user_create.full_name: Input should be a valid string",
			"[EINVAL] user_create.home: Input should be a valid string",
			"[EINVAL] user_create.shell: Input should be a valid string",
			"[EINVAL] user_create.home_mode: Input should be a valid string",
			"[EINVAL] user_create.password: Input should be a valid string",
			"[EINVAL] user_create.sshpubkey: Input should be a valid string",
			"[EINVAL] user_create.email: Input should be a valid string",
		}},
		{"nullable ok", `{"username":"bob","full_name":"Bob","uid":null,"email":null,"group":null,"password":null,"sshpubkey":null,"userns_idmap":null}`, nil},
		{"empty strings", `{"username":"","full_name":"","home":"","shell":"","password":""}`, []string{
			"[EINVAL] user_create.username: Value error, Must be at least 1 character in length",
			"[EINVAL] user_create.full_name: String should have at least 1 character",
			"[EINVAL] user_create.home: String should have at least 1 character",
			"[EINVAL] user_create.shell: String should have at least 1 character",
			"[EINVAL] user_create.password: String should have at least 1 character",
		}},
		{"too long", `{"username":"bob","full_name":"` + long + `","home":"/` + long + `","shell":"` + long + `","home_mode":"` + long + `","password":"` + long + `"}`, []string{
			"[EINVAL] user_create.full_name: String should have at most 1024 characters",
			"[EINVAL] user_create.home: String should have at most 1024 characters",
			"[EINVAL] user_create.shell: String should have at most 1024 characters",
			"[EINVAL] user_create.home_mode: String should have at most 1024 characters",
			"[EINVAL] user_create.password: String should have at most 1024 characters",
		}},
		{"1024 runes ok", `{"username":"bob","full_name":"` + strings.Repeat("é", 1024) + `"}`, nil},
		{"sshpubkey exempt", `{"username":"bob","full_name":"Bob","sshpubkey":"` + long + `"}`, nil},
		{"sshpubkey limit", `{"username":"bob","full_name":"Bob","sshpubkey":"` + strings.Repeat("a", MaxLongStringLength+1) + `"}`, []string{
			"[EINVAL] user_create.sshpubkey: String should have at most 2048000 characters",
		}},
		{"username 33", `{"username":"` + strings.Repeat("a", 33) + `","full_name":"Bob"}`, []string{
			"[EINVAL] user_create.username: Value error, Cannot exceed 32 charaters in length",
		}},
		{"username 1025", `{"username":"` + long + `","full_name":"Bob"}`, []string{
			"[EINVAL] user_create.username: String should have at most 1024 characters",
		}},
		{"username dash", `{"username":"-bob","full_name":"Bob"}`, []string{
			`[EINVAL] user_create.username: Value error, Cannot start with "'-'"`,
		}},
		{"username digit", `{"username":"1bob","full_name":"Bob"}`, []string{
			`[EINVAL] user_create.username: Value error, Cannot start with "'1'"`,
		}},
		{"username quote", `{"username":"'bob","full_name":"Bob"}`, []string{
			`[EINVAL] user_create.username: Value error, Cannot start with ""'""`,
		}},
		{"username chars", `{"username":"bob$","full_name":"Bob"}`, []string{
			"[EINVAL] user_create.username: Value error, Valid characters are: " + validChars,
		}},
		{"username ok", `{"username":"_b.o-b9","full_name":"Bob"}`, nil},
		{"lists", `{"username":"bob","full_name":"Bob","groups":"1","sudo_commands":{},"sudo_commands_nopasswd":null}`, []string{
			"[EINVAL] user_create.groups: Input should be a valid list",
			"[EINVAL] user_create.sudo_commands: Input should be a valid list",
			"[EINVAL] user_create.sudo_commands_nopasswd: Input should be a valid list",
		}},
		{"list items", `{"username":"bob","full_name":"Bob","groups":[1,"2",3.5,null],"sudo_commands":["ALL",""],"sudo_commands_nopasswd":[1]}`, []string{
			"[EINVAL] user_create.groups.1: Input should be a valid integer",
			"[EINVAL] user_create.groups.2: Input should be a valid integer",
			"[EINVAL] user_create.groups.3: Input should be a valid integer",
			"[EINVAL] user_create.sudo_commands.1: String should have at least 1 character",
			"[EINVAL] user_create.sudo_commands_nopasswd.0: Input should be a valid string",
		}},
		{"sudo item too long", `{"username":"bob","full_name":"Bob","sudo_commands":["` + long + `"]}`, []string{
			"[EINVAL] user_create.sudo_commands.0: String should have at most 1024 characters",
		}},
		{"idmap", `{"username":"bob","full_name":"Bob","userns_idmap":"direct"}`, []string{
			"[EINVAL] user_create.userns_idmap.literal['DIRECT',None]: Input should be 'DIRECT' or None",
			"[EINVAL] user_create.userns_idmap.constrained-int: Input should be a valid integer",
		}},
		{"idmap zero", `{"username":"bob","full_name":"Bob","userns_idmap":0}`, []string{
			"[EINVAL] user_create.userns_idmap.literal['DIRECT',None]: Input should be 'DIRECT' or None",
			"[EINVAL] user_create.userns_idmap.constrained-int: Input should be greater than or equal to 1",
		}},
		{"idmap big", `{"username":"bob","full_name":"Bob","userns_idmap":4294967295}`, []string{
			"[EINVAL] user_create.userns_idmap.literal['DIRECT',None]: Input should be 'DIRECT' or None",
			"[EINVAL] user_create.userns_idmap.constrained-int: Input should be less than or equal to 4294967294",
		}},
		{"idmap ok", `{"username":"bob","full_name":"Bob","userns_idmap":"DIRECT"}`, nil},
		{"idmap int ok", `{"username":"bob","full_name":"Bob","userns_idmap":4294967294}`, nil},
		{"email", `{"username":"bob","full_name":"Bob","email":"bob"}`, []string{
			"[EINVAL] user_create.email: value is not a valid email address: An email address must have an @-sign.",
		}},
		{"email two at (email-validator 2.2.0)", `{"username":"bob","full_name":"Bob","email":"a@b@c.d"}`, []string{
			"[EINVAL] user_create.email: value is not a valid email address: The part after the @-sign contains invalid characters: '@'.",
		}},
		{"email no local", `{"username":"bob","full_name":"Bob","email":"@x.org"}`, []string{
			"[EINVAL] user_create.email: value is not a valid email address: There must be something before the @-sign.",
		}},
		{"email no domain", `{"username":"bob","full_name":"Bob","email":"bob@"}`, []string{
			"[EINVAL] user_create.email: value is not a valid email address: There must be something after the @-sign.",
		}},
		{"email no dot", `{"username":"bob","full_name":"Bob","email":"bob@localhost"}`, []string{
			"[EINVAL] user_create.email: value is not a valid email address: The part after the @-sign is not valid. It should have a period.",
		}},
		{"email ok", `{"username":"bob","full_name":"Bob","email":"bob@example.org"}`, nil},
		{"duplicate key last wins", `{"username":5,"username":"bob","full_name":"Bob"}`, nil},
	}
	for _, tc := range cases {
		_, errs := DecodeUserCreate([]byte(tc.raw))
		expectLines(t, tc.name, errs, tc.want)
	}
}

func TestDecodeUserCreateDefaults(t *testing.T) {
	p, errs := DecodeUserCreate([]byte(`{"username":"bob","full_name":"Bob"}`))
	if errs != nil {
		t.Fatal(errs)
	}
	if !p.Create || p.Prefix() != "user_create" {
		t.Fatal("not a create")
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"uid null", !p.UID.Set && p.UID.Null},
		{"home", !p.Home.Set && p.Home.V == "/var/empty"},
		{"shell", p.Shell.V == "/usr/bin/zsh"},
		{"home_mode", p.HomeMode.V == "700"},
		{"smb", !p.SMB.Set && p.SMB.V},
		{"group null", p.Group.Null},
		{"groups", p.Groups.V != nil && len(p.Groups.V) == 0},
		{"sudo", p.SudoCommands.V != nil && p.SudoCommandsNopasswd.V != nil},
		{"password null", p.Password.Null && !p.Password.Set},
		{"email null", p.Email.Null},
		{"sshpubkey null", p.SSHPubKey.Null},
		{"idmap null", p.UsernsIdmap.Null},
		{"bools false", !p.Locked.V && !p.GroupCreate.V && !p.HomeCreate.V && !p.RandomPassword.V && !p.PasswordDisabled.V && !p.SSHPasswordEnabled.V},
		{"username", p.Username.Set && p.Username.V == "bob"},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("default %s wrong: %+v", c.name, p)
		}
	}
	p, _ = DecodeUserCreate([]byte(`{"username":"bob","full_name":"Bob","password":null,"groups":[3,4],"userns_idmap":7}`))
	if !p.Password.Set || !p.Password.Null || len(p.Groups.V) != 2 || !p.Groups.Set || p.UsernsIdmap.V != int64(7) {
		t.Errorf("sent values wrong: %+v", p)
	}
}

func TestDecodeUserUpdate(t *testing.T) {
	cases := []struct {
		name string
		raw  string
		want []string
	}{
		{"empty", `{}`, nil},
		{"uid and group_create", `{"uid":5,"group_create":true,"id":3}`, []string{
			"[EINVAL] user_update.uid: Extra inputs are not permitted",
			"[EINVAL] user_update.group_create: Extra inputs are not permitted",
			"[EINVAL] user_update.id: Extra inputs are not permitted",
		}},
		{"types", `{"smb":1,"full_name":""}`, []string{
			"[EINVAL] user_update.smb: Input should be a valid boolean",
			"[EINVAL] user_update.full_name: String should have at least 1 character",
		}},
		{"not object", `5`, []string{"[EINVAL] user_update: Input should be a valid dictionary"}},
	}
	for _, tc := range cases {
		_, errs := DecodeUserUpdate([]byte(tc.raw))
		expectLines(t, tc.name, errs, tc.want)
	}
	p, _ := DecodeUserUpdate([]byte(`{"full_name":"X"}`))
	if p.Create || p.Prefix() != "user_update" || p.SMB.Set || p.SMB.V || p.Home.Set || p.Home.V != "" || p.Password.Set || p.Password.Null || p.Group.Null || p.UsernsIdmap.Null {
		t.Errorf("update must carry no defaults: %+v", p)
	}
}

func TestDecodeGroup(t *testing.T) {
	cases := []struct {
		name   string
		create bool
		raw    string
		want   []string
	}{
		{"minimal", true, `{"name":"devs"}`, nil},
		{"required", true, `{}`, []string{"[EINVAL] group_create.name: Field required"}},
		{"not object", true, `[]`, []string{"[EINVAL] group_create: Input should be a valid dictionary"}},
		{"excluded", true, `{"name":"x","id":1,"builtin":true,"group":"x","local":true,"sid":"s","roles":[],"immutable":false,"id_type_both":true,"allow_duplicate_gid":true}`, []string{
			"[EINVAL] group_create.id: Extra inputs are not permitted",
			"[EINVAL] group_create.builtin: Extra inputs are not permitted",
			"[EINVAL] group_create.group: Extra inputs are not permitted",
			"[EINVAL] group_create.local: Extra inputs are not permitted",
			"[EINVAL] group_create.sid: Extra inputs are not permitted",
			"[EINVAL] group_create.roles: Extra inputs are not permitted",
			"[EINVAL] group_create.immutable: Extra inputs are not permitted",
			"[EINVAL] group_create.id_type_both: Extra inputs are not permitted",
			"[EINVAL] group_create.allow_duplicate_gid: Extra inputs are not permitted",
		}},
		{"types", true, `{"name":1,"gid":"1","smb":null,"users":[true],"sudo_commands":"ALL"}`, []string{
			"[EINVAL] group_create.name: Input should be a valid string",
			"[EINVAL] group_create.gid: Input should be a valid integer",
			"[EINVAL] group_create.smb: Input should be a valid boolean",
			"[EINVAL] group_create.users.0: Input should be a valid integer",
			"[EINVAL] group_create.sudo_commands: Input should be a valid list",
		}},
		{"gid range", true, `{"name":"x","gid":-5}`, []string{"[EINVAL] group_create.gid: Input should be greater than or equal to 0"}},
		{"gid range high", true, `{"name":"x","gid":90000001}`, []string{"[EINVAL] group_create.gid: Input should be less than or equal to 90000000"}},
		{"name start digit ok", true, `{"name":"9lives"}`, nil},
		{"name start dot ok", true, `{"name":".hidden"}`, nil},
		{"name dash", true, `{"name":"-x"}`, []string{`[EINVAL] group_create.name: Value error, Cannot start with "'-'"`}},
		{"name chars", true, `{"name":"a b"}`, []string{"[EINVAL] group_create.name: Value error, Valid characters are: " + validChars}},
		{"name empty", true, `{"name":""}`, []string{"[EINVAL] group_create.name: Value error, Must be at least 1 character in length"}},
		{"name long ok", true, `{"name":"` + strings.Repeat("g", 200) + `"}`, nil},
		{"name too long", true, `{"name":"` + strings.Repeat("g", 1025) + `"}`, []string{"[EINVAL] group_create.name: String should have at most 1024 characters"}},
		{"update gid", false, `{"gid":5}`, []string{"[EINVAL] group_update.gid: Extra inputs are not permitted"}},
		{"update empty", false, `{}`, nil},
		{"update idmap", false, `{"userns_idmap":"x"}`, []string{
			"[EINVAL] group_update.userns_idmap.literal['DIRECT']: Input should be 'DIRECT'",
			"[EINVAL] group_update.userns_idmap.constrained-int: Input should be a valid integer",
		}},
	}
	for _, tc := range cases {
		dec := DecodeGroupUpdate
		if tc.create {
			dec = DecodeGroupCreate
		}
		_, errs := dec([]byte(tc.raw))
		expectLines(t, tc.name, errs, tc.want)
	}
	p, _ := DecodeGroupCreate([]byte(`{"name":"x"}`))
	if !p.SMB.V || p.SMB.Set || !p.GID.Null || p.Users.V == nil || p.Prefix() != "group_create" {
		t.Errorf("group defaults: %+v", p)
	}
	p, _ = DecodeGroupUpdate([]byte(`{"users":[1]}`))
	if p.SMB.V || p.Name.Set || !p.Users.Set || p.Prefix() != "group_update" {
		t.Errorf("group update: %+v", p)
	}
}

func TestDecodeAPIKey(t *testing.T) {
	cases := []struct {
		name   string
		create bool
		raw    string
		want   []string
	}{
		{"minimal", true, `{"name":"k","username":"root"}`, nil},
		{"required", true, `{}`, []string{
			"[EINVAL] api_key_create.name: Field required",
			"[EINVAL] api_key_create.username: Field required",
		}},
		{"name limits", true, `{"name":"","username":""}`, []string{
			"[EINVAL] api_key_create.name: String should have at least 1 character",
			// LocalUsername | RemoteUsername (api/v25_10_5/api_key.py:55)
			"[EINVAL] api_key_create.username.function-after[validate_local_username(), constrained-str]: Value error, Must be at least 1 character in length",
			"[EINVAL] api_key_create.username.constrained-str: String should have at least 1 character",
		}},
		{"username remote form", true, `{"name":"k","username":"DOMAIN\\bob"}`, nil},
		{"name 201", true, `{"name":"` + strings.Repeat("k", 201) + `","username":"root"}`, []string{
			"[EINVAL] api_key_create.name: String should have at most 200 characters",
		}},
		{"name 200", true, `{"name":"` + strings.Repeat("k", 200) + `","username":"root"}`, nil},
		{"excluded", true, `{"name":"k","username":"root","id":1,"keyhash":"x","created_at":null,"local":true,"revoked":false,"revoked_reason":null,"user_identifier":1,"reset":true}`, []string{
			"[EINVAL] api_key_create.id: Extra inputs are not permitted",
			"[EINVAL] api_key_create.keyhash: Extra inputs are not permitted",
			"[EINVAL] api_key_create.created_at: Extra inputs are not permitted",
			"[EINVAL] api_key_create.local: Extra inputs are not permitted",
			"[EINVAL] api_key_create.revoked: Extra inputs are not permitted",
			"[EINVAL] api_key_create.revoked_reason: Extra inputs are not permitted",
			"[EINVAL] api_key_create.user_identifier: Extra inputs are not permitted",
			"[EINVAL] api_key_create.reset: Extra inputs are not permitted",
		}},
		{"expires ok", true, `{"name":"k","username":"root","expires_at":{"$date":1767225600000}}`, nil},
		{"expires null", true, `{"name":"k","username":"root","expires_at":null}`, nil},
		{"expires bad", true, `{"name":"k","username":"root","expires_at":"2026-01-01"}`, []string{"[EINVAL] api_key_create.expires_at: Input should be a valid datetime"}},
		{"expires int", true, `{"name":"k","username":"root","expires_at":1767225600000}`, []string{"[EINVAL] api_key_create.expires_at: Input should be a valid datetime"}},
		{"expires obj", true, `{"name":"k","username":"root","expires_at":{"date":1}}`, []string{"[EINVAL] api_key_create.expires_at: Input should be a valid datetime"}},
		{"update username", false, `{"username":"root"}`, []string{"[EINVAL] api_key_update.username: Extra inputs are not permitted"}},
		{"update reset", false, `{"reset":"yes"}`, []string{"[EINVAL] api_key_update.reset: Input should be a valid boolean"}},
		{"update ok", false, `{"name":"n","reset":true,"expires_at":null}`, nil},
		{"update not object", false, `true`, []string{"[EINVAL] api_key_update: Input should be a valid dictionary"}},
	}
	for _, tc := range cases {
		dec := DecodeAPIKeyUpdate
		if tc.create {
			dec = DecodeAPIKeyCreate
		}
		_, errs := dec([]byte(tc.raw))
		expectLines(t, tc.name, errs, tc.want)
	}
	p, _ := DecodeAPIKeyCreate([]byte(`{"name":"k","username":"root","expires_at":{"$date":1767225600000}}`))
	if !p.ExpiresAt.V.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) || p.Prefix() != "api_key_create" {
		t.Errorf("expires_at: %v", p.ExpiresAt)
	}
	p, _ = DecodeAPIKeyCreate([]byte(`{"name":"k","username":"root"}`))
	if !p.ExpiresAt.Null || p.ExpiresAt.Set {
		t.Errorf("expires_at default: %+v", p.ExpiresAt)
	}
	p, _ = DecodeAPIKeyUpdate([]byte(`{"reset":true}`))
	if !p.Reset.V || p.Prefix() != "api_key_update" || p.Name.Set {
		t.Errorf("update: %+v", p)
	}
}

func TestPyRepr(t *testing.T) {
	for in, want := range map[string]string{"-": `'-'`, "'": `"'"`, `"`: `'"'`, "\\": `'\\'`, "\n": `'\n'`, "\x01": `'\x01'`, "é": `'é'`, `'"`: `'\'"'`} {
		if got := pyRepr(in); got != want {
			t.Errorf("pyRepr(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestDecodeUserWebshare: webshare is a field of v26_0_0's UserCreate and
// UserUpdate (a boolean, default false) and not of v25_10_5's, which
// refuses it as any extra key.
func TestDecodeUserWebshare(t *testing.T) {
	create := `{"username":"bob","full_name":"Bob","group_create":true,"password":"x","webshare":%s}`
	for _, tc := range []struct {
		name  string
		m     *Model
		raw   string
		want  []string
		value bool
	}{
		{"26.0 true", ModelV26_0_0, fmt.Sprintf(create, "true"), nil, true},
		{"26.0 false", ModelV26_0_0, fmt.Sprintf(create, "false"), nil, false},
		{"26.0 not a bool", ModelV26_0_0, fmt.Sprintf(create, `"yes"`), []string{"[EINVAL] user_create.webshare: Input should be a valid boolean"}, false},
		{"25.10 refuses", ModelV25_10_5, fmt.Sprintf(create, "false"), []string{"[EINVAL] user_create.webshare: Extra inputs are not permitted"}, false},
	} {
		p, errs := tc.m.DecodeUserCreate([]byte(tc.raw))
		expectLines(t, tc.name, errs, tc.want)
		if tc.want == nil && (!p.Webshare.Set || p.Webshare.V != tc.value) {
			t.Errorf("%s: webshare %+v, want set %v", tc.name, p.Webshare, tc.value)
		}
	}
	p, errs := ModelV26_0_0.DecodeUserCreate([]byte(`{"username":"bob","full_name":"Bob","group_create":true,"password":"x"}`))
	if errs != nil || p.Webshare.Set || p.Webshare.V {
		t.Errorf("26.0 default: %+v %v, want unset false", p.Webshare, errs)
	}
	up, errs := ModelV26_0_0.DecodeUserUpdate([]byte(`{"webshare":true}`))
	if errs != nil || !up.Webshare.Set || !up.Webshare.V {
		t.Errorf("26.0 update: %+v %v", up.Webshare, errs)
	}
	if _, errs := ModelV25_10_5.DecodeUserUpdate([]byte(`{"webshare":true}`)); len(errs) != 1 || errs[0].Attribute != "user_update.webshare" || errs[0].Message != msgExtra {
		t.Errorf("25.10 update: %v", errs)
	}
}
