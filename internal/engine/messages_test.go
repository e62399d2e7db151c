package engine

import (
	"strconv"
	"strings"
	"testing"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// TestArgumentMessages compares the engine's refusals of malformed method
// arguments with what TrueNAS 25.10.6 answers: the Args models of
// api/v25_10_5/{user,group,api_key}.py validated by
// api/base/handler/accept.py (every field checked, errors in field order).
func TestArgumentMessages(t *testing.T) {
	e := openTest(t)
	root := groupByName(t, e, "root")                     // built-in, immutable
	admins := groupByName(t, e, "builtin_administrators") // built-in, mutable
	alice := createUser(t, e, `{"username":"alice","full_name":"Alice","group_create":true,"password":"pw","groups":[`+strconv.FormatInt(admins.ID, 10)+`]}`)
	mustCall(t, e, "api_key.create", `{"name":"k","username":"alice"}`)
	staff := decode[int64](t, mustCall(t, e, "group.create", `{"name":"crew","smb":false}`))
	uid := strconv.FormatInt(alice.ID, 10)
	gid := strconv.FormatInt(staff, 10)
	for _, tc := range []struct {
		method string
		args   []string
		want   string
	}{
		// updates without a payload (UserUpdateArgs.user_update has no default)
		{"user.update", []string{uid}, "[EINVAL] user_update: Field required"},
		{"group.update", []string{gid}, "[EINVAL] group_update: Field required"},
		{"api_key.update", []string{"1"}, "[EINVAL] api_key_update: Field required"},
		{"user.update", nil, "[EINVAL] id: Field required\n[EINVAL] user_update: Field required"},
		{"group.update", []string{`"x"`, `{}`}, "[EINVAL] id: Input should be a valid integer"},
		{"api_key.update", []string{`"x"`}, "[EINVAL] id: Input should be a valid integer\n[EINVAL] api_key_update: Field required"},
		// model names in type errors
		{"user.create", []string{`null`}, "[EINVAL] user_create: Input should be a valid dictionary or instance of UserCreate"},
		{"user.create", []string{`"bob"`}, "[EINVAL] user_create: Input should be a valid dictionary or instance of UserCreate"},
		{"user.update", []string{uid, `[]`}, "[EINVAL] user_update: Input should be a valid dictionary or instance of UserUpdate"},
		{"user.update", []string{uid, `null`}, "[EINVAL] user_update: Input should be a valid dictionary or instance of UserUpdate"},
		{"group.create", []string{`5`}, "[EINVAL] group_create: Input should be a valid dictionary or instance of GroupCreate"},
		{"group.update", []string{gid, `true`}, "[EINVAL] group_update: Input should be a valid dictionary or instance of GroupUpdate"},
		{"api_key.create", []string{`[]`}, "[EINVAL] api_key_create: Input should be a valid dictionary or instance of ApiKeyCreate"},
		{"api_key.update", []string{"1", `"k"`}, "[EINVAL] api_key_update: Input should be a valid dictionary or instance of ApiKeyUpdate"},
		{"user.delete", []string{uid, `[]`}, "[EINVAL] options: Input should be a valid dictionary or instance of UserDeleteOptions"},
		{"group.delete", []string{gid, `1`}, "[EINVAL] options: Input should be a valid dictionary or instance of GroupDeleteOptions"},
		{"user.create", nil, "[EINVAL] user_create: Field required"},
		// userns_idmap: a user's union is Literal['DIRECT', None] | ContainerXID
		{"user.update", []string{uid, `{"userns_idmap":"direct"}`},
			"[EINVAL] user_update.userns_idmap.literal['DIRECT',None]: Input should be 'DIRECT' or None\n" +
				"[EINVAL] user_update.userns_idmap.constrained-int: Input should be a valid integer"},
		// a group's is Literal['DIRECT'] | ContainerXID | None
		{"group.update", []string{gid, `{"userns_idmap":0}`},
			"[EINVAL] group_update.userns_idmap.literal['DIRECT']: Input should be 'DIRECT'\n" +
				"[EINVAL] group_update.userns_idmap.constrained-int: Input should be greater than or equal to 1"},
		// built-in groups: the idmap rule comes before the immutable one
		// (plugins/account.py:2109-2111), and counts a null idmap too
		{"group.update", []string{strconv.FormatInt(root.ID, 10), `{"userns_idmap":"DIRECT"}`},
			"[EINVAL] group_update.userns_idmap: User namespace idmaps may not be configured for builtin accounts.\n" +
				"[EINVAL] group_update.id: Immutable groups cannot be changed"},
		{"group.update", []string{strconv.FormatInt(admins.ID, 10), `{"userns_idmap":null,"smb":false}`},
			"[EINVAL] group_update.userns_idmap: User namespace idmaps may not be configured for privileged accounts.\n" +
				"[EINVAL] group_update.userns_idmap: User namespace idmaps may not be configured for builtin accounts.\n" +
				"[EINVAL] group_update.smb: This configuration parameter may not be changed for builtin groups."},
		// errors in the order of the model's fields, excluded fields in
		// their place, unknown keys last
		{"user.create", []string{`{"random_password":"x","email":"bad","username":5,"id":1,"full_name":"","bogus":1}`},
			"[EINVAL] user_create.id: Extra inputs are not permitted\n" +
				"[EINVAL] user_create.username: Input should be a valid string\n" +
				"[EINVAL] user_create.full_name: String should have at least 1 character\n" +
				"[EINVAL] user_create.email: value is not a valid email address: An email address must have an @-sign.\n" +
				"[EINVAL] user_create.random_password: Input should be a valid boolean\n" +
				"[EINVAL] user_create.bogus: Extra inputs are not permitted"},
		{"user.update", []string{uid, `{"group_create":true,"home_mode":7,"uid":5,"sid":null}`},
			"[EINVAL] user_update.uid: Extra inputs are not permitted\n" +
				"[EINVAL] user_update.sid: Extra inputs are not permitted\n" +
				"[EINVAL] user_update.group_create: Extra inputs are not permitted\n" +
				"[EINVAL] user_update.home_mode: Input should be a valid string"},
		{"group.create", []string{`{"users":"x","name":"","gid":-1,"group":"a","smb":1}`},
			"[EINVAL] group_create.gid: Input should be greater than or equal to 0\n" +
				"[EINVAL] group_create.name: Value error, Must be at least 1 character in length\n" +
				"[EINVAL] group_create.smb: Input should be a valid boolean\n" +
				"[EINVAL] group_create.group: Extra inputs are not permitted\n" +
				"[EINVAL] group_create.users: Input should be a valid list"},
		{"api_key.update", []string{"1", `{"reset":1,"username":"x","name":""}`},
			"[EINVAL] api_key_update.name: String should have at least 1 character\n" +
				"[EINVAL] api_key_update.username: Extra inputs are not permitted\n" +
				"[EINVAL] api_key_update.reset: Input should be a valid boolean"},
		{"api_key.create", []string{`{"name":"k2","username":7}`},
			"[EINVAL] api_key_create.username.function-after[validate_local_username(), constrained-str]: Input should be a valid string\n" +
				"[EINVAL] api_key_create.username.constrained-str: Input should be a valid string"},
	} {
		_, err := call(t, e, tc.method, tc.args...)
		if got := errLines(err); got != tc.want {
			t.Errorf("%s %v:\n got %q\nwant %q", tc.method, tc.args, got, tc.want)
		}
	}
}

// TestEmailNormalised: what TrueNAS stores for an email (pydantic's
// EmailStr: the address without display name or spaces, domain
// lower-cased) is what the engine stores and answers.
func TestEmailNormalised(t *testing.T) {
	e := openTest(t)
	u := createUser(t, e, `{"username":"eve","full_name":"Eve","group_create":true,"password":"pw","email":" Eve Smith <Eve@Example.COM> "}`)
	if u.Email == nil || *u.Email != "Eve@example.com" {
		t.Fatalf("email %v", u.Email)
	}
	got := decode[map[string]any](t, mustCall(t, e, "user.get_instance", strconv.FormatInt(u.ID, 10)))
	if got["email"] != "Eve@example.com" {
		t.Fatalf("stored email %v", got["email"])
	}
	_, err := call(t, e, "user.update", strconv.FormatInt(u.ID, 10), `{"email":".eve@example.com"}`)
	if got := errLines(err); got != "[EINVAL] user_update.email: value is not a valid email address: An email address cannot start with a period." {
		t.Fatal(got)
	}
}

// TestSIDs: SMB accounts have TrueNAS's SIDs (the box's domain SID, kept
// in the store, and RID id+20000 for users, id+200000 for groups, 512 and
// 514 for builtin_administrators and builtin_guests); others null; a local
// user's password_history is [].
func TestSIDs(t *testing.T) {
	e := openTest(t)
	var dom string
	if err := e.db.QueryRow(`SELECT value FROM meta WHERE key = 'server_sid'`).Scan(&dom); err != nil || !account.ValidDomainSID(dom) {
		t.Fatalf("domain SID %q %v", dom, err)
	}
	smb := createUser(t, e, `{"username":"sam","full_name":"Sam","group_create":true,"password":"pw","smb":true}`)
	createUser(t, e, `{"username":"pat","full_name":"Pat","group_create":true,"password":"pw","smb":false}`)
	users := decode[[]map[string]any](t, mustCall(t, e, "user.query", `[["username","in",["sam","pat","root"]]]`, `{"select":["username","sid","password_history","id"]}`))
	for _, u := range users {
		id := int64(u["id"].(float64))
		var want any
		if u["username"] == "sam" {
			want = dom + "-" + strconv.FormatInt(smb.ID+20000, 10)
		}
		if u["sid"] != want {
			t.Errorf("%v: sid %v, want %v", u["username"], u["sid"], want)
		}
		if h, ok := u["password_history"].([]any); !ok || len(h) != 0 {
			t.Errorf("%v (id %d): password_history %#v", u["username"], id, u["password_history"])
		}
	}
	gid := decode[int64](t, mustCall(t, e, "group.create", `{"name":"sharers","smb":true}`))
	for name, want := range map[string]string{
		"builtin_administrators": dom + "-512",
		"builtin_guests":         dom + "-514",
		"sharers":                dom + "-" + strconv.FormatInt(gid+200000, 10),
		"pat":                    "",
	} {
		g := groupByName(t, e, name)
		got := ""
		if g.SID != nil {
			got = *g.SID
		}
		if got != want {
			t.Errorf("group %s: sid %q, want %q", name, got, want)
		}
	}
	// the domain SID is kept: another engine on the store answers the same
	e2, err := Open(e.Root())
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	if g := groupByName(t, e2, "builtin_administrators"); g.SID == nil || *g.SID != dom+"-512" {
		t.Fatalf("after reopening: %v", g.SID)
	}
	// a store made before SIDs gets one when it is opened
	if _, err := e.db.Exec(`DELETE FROM meta WHERE key = 'server_sid'`); err != nil {
		t.Fatal(err)
	}
	e3, err := Open(e.Root())
	if err != nil {
		t.Fatal(err)
	}
	defer e3.Close()
	if g := groupByName(t, e3, "builtin_guests"); g.SID == nil || !strings.HasSuffix(*g.SID, "-514") || *g.SID == dom+"-514" {
		t.Fatalf("old store: %v", g.SID)
	}
}

// TestSyntheticUser: the container root user that user.query appends is
// TrueNAS's (plugins/idmap.py synthetic_user, plugins/account.py:448).
func TestSyntheticUser(t *testing.T) {
	e := openTest(t)
	u := decode[map[string]any](t, mustCall(t, e, "user.query", `[["username","=","truenas_container_unpriv_root"]]`, `{"get":true}`))
	for k, want := range map[string]any{
		"id": float64(2247000001), "uid": float64(2147000001), "unixhash": nil, "smbhash": nil, "builtin": true,
		"local": true, "locked": true, "smb": false, "sid": nil, "password_history": nil, "immutable": true,
		"home": "/var/empty", "shell": "/usr/sbin/nologin", "email": nil,
	} {
		if u[k] != want {
			t.Errorf("%s = %#v, want %#v", k, u[k], want)
		}
	}
	if g, ok := u["group"].(map[string]any); !ok || len(g) != 0 {
		t.Errorf("group = %#v, want {}", u["group"])
	}
}

// TestLoginExMechanisms: auth.login_ex knows TrueNAS's four mechanisms and
// names them as pydantic does when the tag matches none.
func TestLoginExMechanisms(t *testing.T) {
	e := openTest(t)
	_, err := call(t, e, "auth.login_ex", `{"mechanism":"NOPE"}`)
	if got := errLines(err); got != "[EINVAL] login_data: Input tag 'NOPE' found using 'mechanism' does not match any of the expected tags: "+
		"<AuthMech.API_KEY_PLAIN: 'API_KEY_PLAIN'>, <AuthMech.PASSWORD_PLAIN: 'PASSWORD_PLAIN'>, <AuthMech.TOKEN_PLAIN: 'TOKEN_PLAIN'>, <AuthMech.OTP_TOKEN: 'OTP_TOKEN'>" {
		t.Fatal(got)
	}
	r := decode[map[string]any](t, mustCall(t, e, "auth.login_ex", `{"mechanism":"TOKEN_PLAIN","token":"abc"}`))
	if r["response_type"] != "AUTH_ERR" {
		t.Fatal(r)
	}
	_, err = call(t, e, "auth.login_ex", `{"mechanism":"TOKEN_PLAIN","token":"abc","username":"root"}`)
	if got := errLines(err); got != "[EINVAL] login_data.TOKEN_PLAIN.username: Extra inputs are not permitted" {
		t.Fatal(got)
	}
	_, err = call(t, e, "auth.login_ex", `{"mechanism":"OTP_TOKEN","otp_token":"123456"}`)
	if got := errLines(err); got != "[EINVAL] OTP_TOKEN: no authentication in progress" {
		t.Fatal(got)
	}
}
