package account

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
)

// coreSchemaMsg is every message CORE's clean() can give here
// (schema.py:79-609), the list form quoting the item's.
var coreSchemaMsg = regexp.MustCompile(`^(null not allowed|attribute required|Not a string|Empty value not allowed|Not a boolean|` +
	`Not an integer|Not a list|A dict was expected|Field was not expected|` +
	`Item#\d+ is not valid per list types: \[(command|id)\] (null not allowed|Not a string|Empty value not allowed|Not an integer))$`)

// checkCoreErr asserts the invariants of a decoder's or checker's error:
// exactly one of the three kinds, non-empty messages, paths under the
// argument's name, a known errno.
func checkCoreErr(t *testing.T, prefix string, err error, keys map[string]bool) {
	t.Helper()
	var se *CoreSchemaError
	var ce *CallError
	var es Errors
	switch {
	case err == nil:
	case errors.As(err, &se):
		if !coreSchemaMsg.MatchString(se.Message) {
			t.Fatalf("schema message %q", se.Message)
		}
		// the attribute is the argument, one of its keys, or an attribute
		if se.Attribute != prefix && !keys[se.Attribute] && se.Message != coreMsgRequired {
			t.Fatalf("schema attribute %q not sent", se.Attribute)
		}
	case errors.As(err, &ce):
		if ce.Message == "" || ce.Errno.Name() == "EUNKNOWN" {
			t.Fatalf("call error %+v", ce)
		}
	case errors.As(err, &es):
		if len(es) == 0 {
			t.Fatal("empty Errors as an error")
		}
		checkErrs(t, prefix, es)
		for _, e := range es {
			if !strings.HasPrefix(e.Attribute, prefix+".") {
				t.Fatalf("attribute %q outside %s", e.Attribute, prefix)
			}
		}
	default:
		t.Fatalf("unexpected error type %T", err)
	}
}

func sentKeys(raw []byte) map[string]bool {
	var m map[string]json.RawMessage
	keys := map[string]bool{}
	if json.Unmarshal(raw, &m) == nil {
		for k := range m {
			keys[k] = true
		}
	}
	return keys
}

func FuzzDecodeCoreUser(f *testing.F) {
	f.Add([]byte(`{"username":"bob","full_name":"Bob","group_create":true,"password":"pw"}`))
	f.Add([]byte(`{"username":123,"full_name":"a:b\n","uid":"١٢","groups":[1,"x",{}],"sudo_commands":[" ","ls","\"x"],` +
		`"home":"/mnt/tank","home_mode":"0o7_5","email":"@","attributes":{"a":1,"a":2},"sshpubkey":null}`))
	f.Add([]byte(`{"username":"root","full_name":"x","group":1,"uid":99999999999999999999,"smb":true,"home":"/mnt/tank/file"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		keys := sentKeys(raw)
		p, err := DecodeCoreUserCreate(raw)
		checkCoreErr(t, "user_create", err, keys)
		if (p == nil) == (err == nil) {
			t.Fatalf("payload %v, error %v", p, err)
		}
		if p != nil {
			// every declared default is in a create payload
			if !p.Home.Set || !p.SMB.Set || !p.Attributes.Set || !json.Valid(p.Attributes.V) || !p.Username.Set || !p.FullName.Set {
				t.Fatalf("defaults missing: %+v", p)
			}
			for _, box := range []Box{nil, coreBox()} {
				checkCoreErr(t, "user_create", CheckCoreUserCreate(p, box), keys)
			}
		}
		q, err := DecodeCoreUserUpdate(raw)
		checkCoreErr(t, "user_update", err, keys)
		if q != nil {
			// an update fills nothing in
			for k, set := range map[string]bool{"home": q.Home.Set, "smb": q.SMB.Set, "attributes": q.Attributes.Set,
				"sudo_commands": q.SudoCommands.Set, "groups": q.Groups.Set, "email": q.Email.Set} {
				if set && !keys[k] {
					t.Fatalf("update has %s unsent", k)
				}
			}
			for _, old := range []*CoreUserEntry{coreAlice(), {ID: 1, Username: "root", Builtin: true, Home: "/root"}} {
				checkCoreErr(t, "user_update", CheckCoreUserUpdate(q, old, coreBox()), keys)
			}
		}
	})
}

func FuzzDecodeCoreGroupAPIKey(f *testing.F) {
	f.Add([]byte(`{"name":"g","gid":"5","users":[1,2],"sudo":true,"sudo_commands":["/bin/ls"]}`))
	f.Add([]byte(`{"name":"","reset":true,"users":[null]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		keys := sentKeys(raw)
		for i, dec := range []func([]byte) (*CoreGroupPayload, error){DecodeCoreGroupCreate, DecodeCoreGroupUpdate} {
			prefix := []string{"group_create", "group_update"}[i]
			p, err := dec(raw)
			checkCoreErr(t, prefix, err, keys)
			if (p == nil) == (err == nil) {
				t.Fatalf("payload %v, error %v", p, err)
			}
			if p != nil {
				old := &CoreGroupEntry{ID: 50, GID: 3000, Group: "devs", SMB: true}
				if p.Create {
					old = nil
				}
				checkCoreErr(t, prefix, CheckCoreGroup(p, old, coreBox()), keys)
			}
		}
		for i, dec := range []func([]byte) (*CoreAPIKeyPayload, error){DecodeCoreAPIKeyCreate, DecodeCoreAPIKeyUpdate} {
			prefix := []string{"api_key_create", "api_key_update"}[i]
			p, err := dec(raw)
			checkCoreErr(t, prefix, err, keys)
			if p != nil {
				checkCoreErr(t, prefix, CheckCoreAPIKey(p, &CoreAPIKeyEntry{ID: 2, Name: "old"}, coreBox()), keys)
			}
		}
		for _, opt := range []string{"options"} {
			_, err := DecodeCoreUserDeleteOptions(raw)
			checkCoreErr(t, opt, err, keys)
			_, err = DecodeCoreGroupDeleteOptions(raw)
			checkCoreErr(t, opt, err, keys)
		}
	})
}
