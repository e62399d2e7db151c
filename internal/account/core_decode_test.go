package account

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// Citations: the middleware at tag TN-13.3-U1.2, src/middlewared/middlewared/
// (schema.py, plugins/account.py, plugins/api_key.py, validators.py).

// coreErr renders an error of the CORE model for comparison: "S [attr]
// msg" for a schema Error, "V attr: msg (ERRNO); ..." for validation
// errors, "C [ERRNO] msg" for a call error.
func coreErr(err error) string {
	var se *CoreSchemaError
	var ce *CallError
	var es Errors
	switch {
	case err == nil:
		return ""
	case errors.As(err, &se):
		return "S " + se.Error()
	case errors.As(err, &ce):
		return "C " + ce.Error()
	case errors.As(err, &es):
		parts := make([]string, len(es))
		for i, e := range es {
			parts[i] = fmt.Sprintf("%s: %s (%s)", e.Attribute, e.Message, e.Errno.Name())
		}
		return "V " + strings.Join(parts, "; ")
	}
	return "? " + err.Error()
}

const coreUser = `{"username":"bob","full_name":"Bob","group_create":true,"password":"pw"}`

// with adds keys to a JSON object (the keys after the object's own).
func with(obj string, kv ...string) string {
	s := strings.TrimSuffix(strings.TrimSpace(obj), "}")
	for i := 0; i+1 < len(kv); i += 2 {
		if !strings.HasSuffix(s, "{") {
			s += ","
		}
		s += fmt.Sprintf("%q:%s", kv[i], kv[i+1])
	}
	return s + "}"
}

func TestCoreDecodeUserCreateErrors(t *testing.T) {
	long := func(n int) string { return `"` + strings.Repeat("a", n) + `"` }
	cases := []struct {
		name, raw, want string
	}{
		{"valid", coreUser, ""},
		// Dict.clean (schema.py:591): the argument itself.
		{"null argument", `null`, "S [user_create] null not allowed"},                                       // schema.py:79
		{"list argument", `[]`, "S [user_create] A dict was expected"},                                      // schema.py:602
		{"string argument", `"x"`, "S [user_create] A dict was expected"},                                   // schema.py:602
		{"unexpected key", with(coreUser, "home_create", "true"), "S [home_create] Field was not expected"}, // schema.py:607
		{"SCALE key", with(coreUser, "sudo_commands_nopasswd", "[]"), "S [sudo_commands_nopasswd] Field was not expected"},
		{"SCALE key ssh_password_enabled", with(coreUser, "ssh_password_enabled", "true"), "S [ssh_password_enabled] Field was not expected"},
		// the first failure in the order the keys were sent wins
		{"first bad key wins", `{"zzz":1,"username":5.5}`, "S [zzz] Field was not expected"},
		{"first bad value wins", `{"username":5.5,"zzz":1}`, "S [username] Not a string"},
		// required (schema.py:84), filled in declaration order after the sent keys
		{"username required", `{"full_name":"x"}`, "S [username] attribute required"},
		{"full_name required", `{"username":"x"}`, "S [full_name] attribute required"},
		{"empty object", `{}`, "S [username] attribute required"},
		// Str.clean (schema.py:169)
		{"username null", with(`{"full_name":"x"}`, "username", "null"), "S [username] null not allowed"},
		{"username bool", `{"username":true,"full_name":"x"}`, "S [username] Not a string"},
		{"username float", `{"username":1.0,"full_name":"x"}`, "S [username] Not a string"},
		{"username list", `{"username":[],"full_name":"x"}`, "S [username] Not a string"},
		{"home null", with(coreUser, "home", "null"), "S [home] null not allowed"},
		{"password null", with(coreUser, "password", "null"), "S [password] null not allowed"},
		{"shell object", with(coreUser, "shell", "{}"), "S [shell] Not a string"},
		// Int.clean (schema.py:402)
		{"uid null", with(coreUser, "uid", "null"), "S [uid] null not allowed"},
		{"uid float", with(coreUser, "uid", "1.5"), "S [uid] Not an integer"},
		{"uid exponent", with(coreUser, "uid", "1e3"), "S [uid] Not an integer"},
		{"uid bool", with(coreUser, "uid", "true"), "S [uid] Not an integer"},
		{"uid non-digit string", with(coreUser, "uid", `"12a"`), "S [uid] Not an integer"},
		{"uid negative string", with(coreUser, "uid", `"-1"`), "S [uid] Not an integer"},
		{"uid empty string", with(coreUser, "uid", `""`), "S [uid] Not an integer"},
		{"group string", with(coreUser, "group", `"x"`), "S [group] Not an integer"},
		// Bool.clean (schema.py:378)
		{"smb string", with(coreUser, "smb", `"true"`), "S [smb] Not a boolean"},
		{"smb int", with(coreUser, "smb", `1`), "S [smb] Not a boolean"},
		{"sudo null", with(coreUser, "sudo", `null`), "S [sudo] null not allowed"},
		{"microsoft_account string", with(coreUser, "microsoft_account", `"yes"`), "S [microsoft_account] Not a boolean"},
		// List.clean (schema.py:458)
		{"sudo_commands string", with(coreUser, "sudo_commands", `"ls"`), "S [sudo_commands] Not a list"},
		{"sudo_commands null", with(coreUser, "sudo_commands", `null`), "S [sudo_commands] null not allowed"},
		{"sudo_commands empty item", with(coreUser, "sudo_commands", `["/bin/ls",""]`),
			"S [sudo_commands] Item#1 is not valid per list types: [command] Empty value not allowed"}, // account.py:236 empty=False
		{"sudo_commands null item", with(coreUser, "sudo_commands", `[null]`),
			"S [sudo_commands] Item#0 is not valid per list types: [command] null not allowed"},
		{"sudo_commands bool item", with(coreUser, "sudo_commands", `[true]`),
			"S [sudo_commands] Item#0 is not valid per list types: [command] Not a string"},
		{"groups not list", with(coreUser, "groups", `{}`), "S [groups] Not a list"},
		// Dict('attributes', additional_attrs=True) (account.py:239)
		{"attributes list", with(coreUser, "attributes", `[]`), "S [attributes] A dict was expected"},
		{"attributes null", with(coreUser, "attributes", `null`), "S [attributes] null not allowed"},
		{"attributes any keys", with(coreUser, "attributes", `{"a":{"b":[1,null]}}`), ""},
		// Str.validate (schema.py:198): max_length, then validators
		{"username 16", with(`{"full_name":"x","group_create":true,"password":"p"}`, "username", long(16)), ""},
		{"username 17", with(`{"full_name":"x"}`, "username", long(17)), "V user_create.username: Value greater than 16 not allowed (EINVAL)"}, // account.py:221
		{"username 17 runes", with(`{"full_name":"x"}`, "username", `"`+strings.Repeat("é", 17)+`"`), "V user_create.username: Value greater than 16 not allowed (EINVAL)"},
		{"full_name 1025", with(`{"username":"u"}`, "full_name", long(1025)), "V user_create.full_name: Value greater than 1024 not allowed (EINVAL)"}, // schema.py:166
		{"password 1025", with(coreUser, "password", long(1025)), "V user_create.password: Value greater than 1024 not allowed (EINVAL)"},
		{"sshpubkey unlimited", with(coreUser, "sshpubkey", long(5000)), ""}, // account.py:237 max_length=None
		{"sudo command 1025", with(coreUser, "sudo_commands", `["/bin/ls",`+long(1025)+`]`),
			"V user_create.sudo_commands.1.command: Value greater than 1024 not allowed (EINVAL)"}, // schema.py:506
		// validation errors are collected in declaration order, not sent order
		{"collected in declaration order", with(`{"full_name":"x"}`, "password", long(1025), "username", long(17)),
			"V user_create.username: Value greater than 16 not allowed (EINVAL); user_create.password: Value greater than 1024 not allowed (EINVAL)"},
		// validators.Email (validators.py:13)
		{"email null", with(coreUser, "email", `null`), ""},
		{"email ok", with(coreUser, "email", `"a@b"`), ""},
		{"email no at", with(coreUser, "email", `"ab"`), "V user_create.email: Missing '@' symbol. (EINVAL)"},
		{"email empty", with(coreUser, "email", `""`), "V user_create.email: Missing '@' symbol. (EINVAL)"},
		{"email no local", with(coreUser, "email", `"@b"`), "V user_create.email: Missing local part of email string (part before the '@'). (EINVAL)"},
		{"email no domain", with(coreUser, "email", `"a@"`), "V user_create.email: Missing domain part of email string (part after the '@'). (EINVAL)"},
		{"email rightmost at", with(coreUser, "email", `"a@b@"`), "V user_create.email: Missing domain part of email string (part after the '@'). (EINVAL)"},
		// validators.py:26: the placeholder is not filled in
		{"email 255", with(coreUser, "email", `"`+strings.Repeat("a", 250)+`@b.cd"`), "V user_create.email: Maximum length is {self.max_path} characters. (EINVAL)"},
		{"email 1025", with(coreUser, "email", `"`+strings.Repeat("a", 1021)+`@b.cd"`), "V user_create.email: Value greater than 1024 not allowed (EINVAL)"},
		// client/ejson.py object_hook: CORE reads these objects as a datetime, time or date
		{"ejson date argument", `{"$date":5}`, "S [user_create] A dict was expected"},
		{"ejson time argument", `{"$time":"10:00"}`, "S [user_create] A dict was expected"},
		{"ejson date type argument", `{"$type":"date","$value":"2020-01-01"}`, "S [user_create] A dict was expected"},
		{"not ejson", `{"$type":"x","$value":1}`, "S [$type] Field was not expected"},
		{"not ejson two keys", `{"$date":5,"x":1}`, "S [$date] Field was not expected"},
		{"ejson attributes", with(coreUser, "attributes", `{"$date":1}`), "S [attributes] A dict was expected"},
		{"ejson username", with(coreUser, "username", `{"$date":1}`), "S [username] Not a string"},
		// a Python int beyond SQLite's INTEGER fails when CORE stores it
		{"uid beyond int64", with(coreUser, "uid", "9223372036854775808"), "C [EINVAL] Python int too large to convert to SQLite INTEGER"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := DecodeCoreUserCreate([]byte(c.raw))
			if got := coreErr(err); got != c.want {
				t.Fatalf("got  %s\nwant %s", got, c.want)
			}
			if (p == nil) != (err != nil) {
				t.Fatalf("payload %v with error %v", p, err)
			}
		})
	}
}

func TestCoreDecodeUserCreateDefaults(t *testing.T) {
	p, err := DecodeCoreUserCreate([]byte(`{"username":"bob","full_name":"Bob"}`))
	if err != nil {
		t.Fatal(err)
	}
	// account.py:218-241: the defaults, and the attributes with none
	// (uid, group, password, sshpubkey) absent.
	if !p.Create || p.Prefix() != "user_create" {
		t.Fatalf("create %v prefix %s", p.Create, p.Prefix())
	}
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"uid", p.UID, Field[int64]{}},
		{"group", p.Group, Field[int64]{}},
		{"password", p.Password, Field[string]{}},
		{"sshpubkey", p.SSHPubKey, Field[string]{}},
		{"group_create", p.GroupCreate, Some(false)},
		{"home", p.Home, Some("/nonexistent")},  // :224
		{"home_mode", p.HomeMode, Some("755")},  // :225
		{"shell", p.Shell, Some("/bin/csh")},    // :226 IS_FREEBSD
		{"email", p.Email, NullField[string]()}, // :228 default None
		{"password_disabled", p.PasswordDisabled, Some(false)},
		{"locked", p.Locked, Some(false)},
		{"microsoft_account", p.MicrosoftAccount, Some(false)},    // :232
		{"smb", p.SMB, Some(true)},                                // :233
		{"sudo", p.Sudo, Some(false)},                             // :234
		{"sudo_nopasswd", p.SudoNopasswd, Some(false)},            // :235
		{"sudo_commands", p.SudoCommands, Some([]string{})},       // :236
		{"groups", p.Groups, Some([]json.RawMessage{})},           // :238
		{"attributes", p.Attributes, Some(json.RawMessage("{}"))}, // :239, schema.py:569
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestCoreDecodeUserValues(t *testing.T) {
	p, err := DecodeCoreUserCreate([]byte(`{"username":123,"full_name":-0,"uid":"١٢","group":"0042",` +
		`"sudo_commands":[7,"/bin/ls -l"],"groups":[1,"x",null],"attributes":{"b":1,"a":2,"b":3},"sshpubkey":null,"password":"p"}`))
	if err != nil {
		t.Fatal(err)
	}
	// Str.clean turns an int into its text (schema.py:173); Int.clean
	// reads a string of decimal digits, in any script (schema.py:407).
	if p.Username.V != "123" || p.FullName.V != "0" {
		t.Errorf("username %q full_name %q", p.Username.V, p.FullName.V)
	}
	if p.UID != Some[int64](12) || p.Group != Some[int64](42) {
		t.Errorf("uid %v group %v", p.UID, p.Group)
	}
	if !reflect.DeepEqual(p.SudoCommands.V, []string{"7", "/bin/ls -l"}) {
		t.Errorf("sudo_commands %q", p.SudoCommands.V)
	}
	// groups has no item type (account.py:238): anything is kept
	if len(p.Groups.V) != 3 {
		t.Errorf("groups %s", p.Groups.V)
	}
	// a repeated key keeps its first place and its last value
	if string(p.Attributes.V) != `{"b":3,"a":2}` {
		t.Errorf("attributes %s", p.Attributes.V)
	}
	if p.SSHPubKey != NullField[string]() {
		t.Errorf("sshpubkey %v", p.SSHPubKey)
	}
	if _, ce := p.GroupIDs(); coreErr(ce) != "C [ENOENT] Group x not found" { // account.py:974
		t.Errorf("GroupIDs: %v", coreErr(ce))
	}
	q, _ := DecodeCoreUserCreate([]byte(`{"username":"a","full_name":"b","groups":[3,1]}`))
	if ids, ce := q.GroupIDs(); ce != nil || !reflect.DeepEqual(ids, []int64{3, 1}) {
		t.Errorf("GroupIDs %v %v", ids, ce)
	}
	// superscript digits pass str.isdigit but not int(): the ValueError is
	// not caught (schema.py:407-408, main.py:174)
	for raw, want := range map[string]string{
		`{"username":"a","full_name":"b","uid":"1²"}`:  `C [EINVAL] invalid literal for int() with base 10: '1²'`,
		`{"username":"a","full_name":"b","group":"①"}`: `C [EINVAL] invalid literal for int() with base 10: '①'`,
		`{"username":"a","full_name":"b","uid":"𝟗"}`:   ``,                       // a decimal digit (Nd) of another script
		`{"username":"a","full_name":"b","uid":"𑽑"}`:   `S [uid] Not an integer`, // Kawi digit one: Unicode 15, not in CORE's Python
		`{"username":"a","full_name":"b","uid":" 1"}`:  `S [uid] Not an integer`,
		`{"username":"a","full_name":"b","uid":"1_0"}`: `S [uid] Not an integer`,
	} {
		if _, err := DecodeCoreUserCreate([]byte(raw)); coreErr(err) != want {
			t.Errorf("%s: %s, want %s", raw, coreErr(err), want)
		}
	}
	if _, err := DecodeCoreGroupCreate([]byte(`{"name":"g","users":[1,"²"]}`)); coreErr(err) != `C [EINVAL] invalid literal for int() with base 10: '²'` {
		t.Errorf("users item: %s", coreErr(err))
	}
}

func TestCoreDecodeUserUpdate(t *testing.T) {
	cases := []struct {
		name, raw, want string
	}{
		// Patch ('attr', {'update': True}) (account.py:405-410): nothing required, no defaults
		{"empty", `{}`, ""},
		{"uid changeable", `{"uid":2000}`, ""},
		{"group_create removed", `{"group_create":true}`, "S [group_create] Field was not expected"}, // :409
		{"null argument", `null`, "S [user_update] null not allowed"},
		{"not a dict", `5`, "S [user_update] A dict was expected"},
		{"username 17", `{"username":"abcdefghijklmnopq"}`, "V user_update.username: Value greater than 16 not allowed (EINVAL)"},
		{"email", `{"email":"x"}`, "V user_update.email: Missing '@' symbol. (EINVAL)"},
		{"password null", `{"password":null}`, "S [password] null not allowed"},
		{"SCALE key", `{"random_password":true}`, "S [random_password] Field was not expected"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeCoreUserUpdate([]byte(c.raw))
			if got := coreErr(err); got != c.want {
				t.Fatalf("got  %s\nwant %s", got, c.want)
			}
		})
	}
	p, err := DecodeCoreUserUpdate([]byte(`{"uid":2000}`))
	if err != nil {
		t.Fatal(err)
	}
	if p.Create || p.Prefix() != "user_update" || p.UID != Some[int64](2000) || p.Home.Set || p.SMB.Set || p.Attributes.Set || p.SudoCommands.Set {
		t.Fatalf("update payload %+v", p)
	}
}

func TestCoreDecodeGroup(t *testing.T) {
	cases := []struct {
		name, raw, want string
		create          bool
	}{
		{"valid", `{"name":"g"}`, "", true},
		{"name required", `{}`, "S [name] attribute required", true}, // account.py:1147
		{"gid string digits", `{"name":"g","gid":"5"}`, "", true},
		{"gid float", `{"name":"g","gid":5.0}`, "S [gid] Not an integer", true},
		{"users item", `{"name":"g","users":[1,"x"]}`, "S [users] Item#1 is not valid per list types: [id] Not an integer", true}, // :1153
		{"users null item", `{"name":"g","users":[null]}`, "S [users] Item#0 is not valid per list types: [id] null not allowed", true},
		{"users bool item", `{"name":"g","users":[true]}`, "S [users] Item#0 is not valid per list types: [id] Not an integer", true},
		{"users not list", `{"name":"g","users":1}`, "S [users] Not a list", true},
		{"SCALE key", `{"name":"g","sudo_commands_nopasswd":[]}`, "S [sudo_commands_nopasswd] Field was not expected", true},
		{"SCALE userns_idmap", `{"name":"g","userns_idmap":"DIRECT"}`, "S [userns_idmap] Field was not expected", true},
		{"name 1025", `{"name":"` + strings.Repeat("g", 1025) + `"}`, "V group_create.name: Value greater than 1024 not allowed (EINVAL)", true},
		{"sudo command item", `{"name":"g","sudo_commands":[""]}`, "S [sudo_commands] Item#0 is not valid per list types: [command] Empty value not allowed", true},
		{"update empty", `{}`, "", false},
		{"update gid changeable", `{"gid":1234}`, "", false}, // :1202-1209 keeps gid
		{"update null", `null`, "S [group_update] null not allowed", false},
		{"update unexpected", `{"group":"x"}`, "S [group] Field was not expected", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dec := DecodeCoreGroupUpdate
			if c.create {
				dec = DecodeCoreGroupCreate
			}
			_, err := dec([]byte(c.raw))
			if got := coreErr(err); got != c.want {
				t.Fatalf("got  %s\nwant %s", got, c.want)
			}
		})
	}
	p, err := DecodeCoreGroupCreate([]byte(`{"name":"g","users":[3,"4"]}`))
	if err != nil {
		t.Fatal(err)
	}
	// account.py:1144-1155 defaults
	want := &CoreGroupPayload{Create: true, Name: Some("g"), SMB: Some(true), Sudo: Some(false), SudoNopasswd: Some(false),
		SudoCommands: Some([]string{}), AllowDuplicateGID: Some(false), Users: Some([]int64{3, 4})}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("got %+v\nwant %+v", p, want)
	}
	u, _ := DecodeCoreGroupUpdate([]byte(`{"gid":7}`))
	if u.Prefix() != "group_update" || u.GID != Some[int64](7) || u.SMB.Set || u.Users.Set || u.AllowDuplicateGID.Set {
		t.Fatalf("update %+v", u)
	}
}

func TestCoreDecodeAPIKey(t *testing.T) {
	cases := []struct {
		name, raw, want string
		create          bool
	}{
		{"valid", `{"name":"k"}`, "", true},
		{"name required", `{}`, "S [name] attribute required", true},            // api_key.py:37
		{"name empty", `{"name":""}`, "S [name] Empty value not allowed", true}, // empty=False
		{"name int", `{"name":5}`, "", true},
		{"name 1025", `{"name":"` + strings.Repeat("k", 1025) + `"}`, "V api_key_create.name: Value greater than 1024 not allowed (EINVAL)", true},
		{"name 1024", `{"name":"` + strings.Repeat("k", 1024) + `"}`, "", true},
		// name-only keys: no user, no expiry (api_key.py:34-40)
		{"username", `{"name":"k","username":"root"}`, "S [username] Field was not expected", true},
		{"expires_at", `{"name":"k","expires_at":null}`, "S [expires_at] Field was not expected", true},
		{"reset on create", `{"name":"k","reset":true}`, "S [reset] Field was not expected", true},
		{"update reset", `{"reset":true}`, "", false}, // :67
		{"update reset null", `{"reset":null}`, "S [reset] null not allowed", false},
		{"update empty", `{}`, "", false},
		{"update name empty", `{"name":""}`, "S [name] Empty value not allowed", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dec := DecodeCoreAPIKeyUpdate
			if c.create {
				dec = DecodeCoreAPIKeyCreate
			}
			_, err := dec([]byte(c.raw))
			if got := coreErr(err); got != c.want {
				t.Fatalf("got  %s\nwant %s", got, c.want)
			}
		})
	}
	p, _ := DecodeCoreAPIKeyCreate([]byte(`{"name":5}`))
	if p.Name != Some("5") || p.Reset.Set || p.Prefix() != "api_key_create" {
		t.Fatalf("%+v", p)
	}
	u, _ := DecodeCoreAPIKeyUpdate([]byte(`{"reset":true}`))
	if u.Reset != Some(true) || u.Name.Set || u.Prefix() != "api_key_update" {
		t.Fatalf("%+v", u)
	}
}

func TestCoreDecodeDeleteAndID(t *testing.T) {
	// user.delete: Dict('options', Bool('delete_group', default=True)) (account.py:599)
	if v, err := DecodeCoreUserDeleteOptions(nil); err != nil || !v {
		t.Errorf("not given: %v %v", v, err)
	}
	if v, err := DecodeCoreUserDeleteOptions([]byte(`{"delete_group":false}`)); err != nil || v {
		t.Errorf("false: %v %v", v, err)
	}
	if _, err := DecodeCoreUserDeleteOptions([]byte(`null`)); coreErr(err) != "S [options] null not allowed" {
		t.Errorf("null: %s", coreErr(err))
	}
	if _, err := DecodeCoreUserDeleteOptions([]byte(`{"delete_users":true}`)); coreErr(err) != "S [delete_users] Field was not expected" {
		t.Errorf("unexpected: %s", coreErr(err))
	}
	// group.delete: Bool('delete_users', default=False) (account.py:1259)
	if v, err := DecodeCoreGroupDeleteOptions(nil); err != nil || v {
		t.Errorf("not given: %v %v", v, err)
	}
	if _, err := DecodeCoreGroupDeleteOptions([]byte(`{"delete_users":1}`)); coreErr(err) != "S [delete_users] Not a boolean" {
		t.Errorf("int: %s", coreErr(err))
	}
	// Int('id') (schema.py:400)
	for raw, want := range map[string]string{
		`5`: "", `"5"`: "", `null`: "S [id] null not allowed", `true`: "S [id] Not an integer", `"x"`: "S [id] Not an integer",
		`1.0`: "S [id] Not an integer", `99999999999999999999`: "C [EINVAL] Python int too large to convert to SQLite INTEGER",
	} {
		if _, err := DecodeCoreID("id", []byte(raw)); coreErr(err) != want {
			t.Errorf("id %s: %s, want %s", raw, coreErr(err), want)
		}
	}
	if _, err := DecodeCoreID("id", nil); coreErr(err) != "S [id] attribute required" {
		t.Errorf("id not given: %s", coreErr(err))
	}
	// the schema error as a call error (main.py:165: errno EINVAL, reason str(e))
	se := &CoreSchemaError{"username", "attribute required"}
	if ce := se.CallError(); ce.Errno != EINVAL || ce.Message != "[username] attribute required" {
		t.Errorf("%+v", ce)
	}
}
