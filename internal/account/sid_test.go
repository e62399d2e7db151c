package account

import "testing"

func TestSIDs(t *testing.T) {
	dom := DomainSID(1, 4294967295, 42)
	if dom != "S-1-5-21-1-4294967295-42" || !ValidDomainSID(dom) {
		t.Fatal(dom)
	}
	for _, bad := range []string{"", "S-1-5-21-1-2", "S-1-5-21-1-2-3-4", "S-1-5-21-0-2-3", "S-1-5-21-1-2-4294967297", "S-1-5-32-1-2-3", "S-1-5-21-1-2-x", "S-1-5-21-1--3"} {
		if ValidDomainSID(bad) {
			t.Errorf("ValidDomainSID(%q) = true", bad)
		}
	}
	str := func(p *string) string {
		if p == nil {
			return "<nil>"
		}
		return *p
	}
	for _, tc := range []struct {
		got, want string
	}{
		{str(UserSID(dom, 55, true)), dom + "-20055"},
		{str(UserSID(dom, 55, false)), "<nil>"},
		{str(UserSID("", 55, true)), "<nil>"},
		{str(GroupSID(dom, "builtin_administrators", 40, false)), dom + "-512"},
		{str(GroupSID(dom, "builtin_guests", 42, true)), dom + "-514"},
		{str(GroupSID(dom, "builtin_users", 41, true)), dom + "-200041"},
		{str(GroupSID(dom, "staff", 93, true)), dom + "-200093"},
		{str(GroupSID(dom, "staff", 93, false)), "<nil>"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %s, want %s", tc.got, tc.want)
		}
	}
}
