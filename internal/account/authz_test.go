package account

import "testing"

func TestMayCall(t *testing.T) {
	cases := []struct {
		roles  []string
		method string
		want   bool
	}{
		{[]string{"FULL_ADMIN"}, "user.create", true},
		{[]string{"FULL_ADMIN"}, "user.shell_choices", true},
		{[]string{"READONLY_ADMIN"}, "user.query", true},
		{[]string{"READONLY_ADMIN"}, "group.get_instance", true},
		{[]string{"READONLY_ADMIN"}, "privilege.query", true},
		{[]string{"READONLY_ADMIN"}, "user.create", false},
		{[]string{"READONLY_ADMIN"}, "group.delete", false},
		{[]string{"READONLY_ADMIN"}, "api_key.create", true}, // api_key.py line 166
		{[]string{"READONLY_ADMIN"}, "user.shell_choices", false},
		{[]string{"SHARING_ADMIN"}, "user.query", true},
		{[]string{"SHARING_ADMIN"}, "user.update", false},
		{[]string{"ACCOUNT_READ"}, "user.query", true},
		{[]string{"ACCOUNT_READ"}, "user.get_next_uid", true},
		{[]string{"ACCOUNT_READ"}, "user.update", false},
		{[]string{"ACCOUNT_WRITE"}, "user.update", true},
		{[]string{"ACCOUNT_WRITE"}, "group.query", true},
		{[]string{"ACCOUNT_WRITE"}, "api_key.query", false},
		{[]string{"ACCOUNT_WRITE"}, "privilege.query", false},
		{[]string{"ACCOUNT_WRITE", "API_KEY_WRITE"}, "api_key.delete", true},
		{[]string{"PRIVILEGE_WRITE"}, "privilege.query", false}, // role.py line 62
		{nil, "system.version", true},
		{nil, "user.has_local_administrator_set_up", true},
		{nil, "privilege.roles", true},
		{[]string{"READONLY_ADMIN"}, "user.setup_local_administrator", false},
		{[]string{"ACCOUNT_WRITE"}, "user.setup_local_administrator", false},
		{[]string{"FULL_ADMIN"}, "user.setup_local_administrator", true},
		{[]string{"PRIVILEGE_WRITE"}, "privilege.update", true},
		{[]string{"READONLY_ADMIN"}, "privilege.update", false},
		{[]string{"READONLY_ADMIN"}, "privilege.get_instance", true},
		{nil, "user.query", false},
		{[]string{"ACCOUNT_WRITE"}, "no.such_method", false},
	}
	for _, c := range cases {
		if got := MayCall(c.roles, c.method); got != c.want {
			t.Errorf("MayCall(%v, %s) = %v, want %v", c.roles, c.method, got, c.want)
		}
	}
}
