package account

import (
	"strings"
	"testing"
)

// checkErrs asserts the fuzz invariants on a list of errors.
func checkErrs(t *testing.T, prefix string, errs Errors) {
	for _, e := range errs {
		if e.Message == "" {
			t.Fatalf("empty message: %+v", e)
		}
		if e.Attribute != "" && e.Attribute != prefix && !strings.HasPrefix(e.Attribute, prefix+".") {
			t.Fatalf("attribute %q outside %s", e.Attribute, prefix)
		}
		if e.Errno.Name() == "EUNKNOWN" {
			t.Fatalf("unknown errno: %+v", e)
		}
	}
}

func FuzzDecodeUserCreate(f *testing.F) {
	f.Add([]byte(baseUser))
	f.Add([]byte(`{"username":"-x","full_name":"a:b\n","uid":1.5,"groups":[1,"x"],"sudo_commands":["ALL","ls"],"home":"/mnt","home_mode":"0o7_5"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, errs := DecodeUserCreate(raw)
		checkErrs(t, "user_create", errs)
		if p == nil {
			if len(errs) == 0 {
				t.Fatal("nil payload without errors")
			}
			return
		}
		checkErrs(t, "user_create", StaticUserChecks(p))
		checkErrs(t, "user_create", CheckUser(p, nil, newBox()))
		if up, errs := DecodeUserUpdate(raw); up != nil {
			checkErrs(t, "user_update", errs)
			b := newBox()
			checkErrs(t, "user_update", CheckUser(up, &b.users[0], b))
		}
	})
}

// FuzzDecodeGroupAndAPIKey fuzzes the group and API-key decoders and checks;
// kind picks the decoder.
func FuzzDecodeGroupAndAPIKey(f *testing.F) {
	f.Add(uint8(0), []byte(`{"name":"devs","gid":3000,"users":[1,2],"sudo_commands":["/usr/bin/ls"]}`))
	f.Add(uint8(1), []byte(`{"name":"k","username":"root","expires_at":{"$date":1767225600000}}`))
	f.Fuzz(func(t *testing.T, kind uint8, raw []byte) {
		b := newBox()
		switch kind % 4 {
		case 0:
			p, errs := DecodeGroupCreate(raw)
			checkErrs(t, "group_create", errs)
			if p != nil {
				checkErrs(t, "group_create", StaticGroupChecks(p))
				checkErrs(t, "group_create", CheckGroup(p, nil, b))
			}
		case 1:
			p, errs := DecodeGroupUpdate(raw)
			checkErrs(t, "group_update", errs)
			if p != nil {
				checkErrs(t, "group_update", CheckGroup(p, &b.groups[4], b))
			}
		case 2:
			p, errs := DecodeAPIKeyCreate(raw)
			checkErrs(t, "api_key_create", errs)
			if p != nil {
				checkErrs(t, "api_key_create", StaticAPIKeyChecks(p, testNow))
				checkErrs(t, "api_key_create", CheckAPIKey(p, nil, b))
			}
		case 3:
			p, errs := DecodeAPIKeyUpdate(raw)
			checkErrs(t, "api_key_update", errs)
			if p != nil {
				checkErrs(t, "api_key_update", CheckAPIKey(p, &b.keys[1], b))
			}
		}
	})
}
