package account

import (
	"errors"
	"testing"
)

func TestAPIKeyPrivilegeCheck(t *testing.T) {
	bob, root := "bob", "root"
	for _, tc := range []struct {
		name  string
		roles []string
		user  *string
		deny  bool
	}{
		{"own key, read-only admin", []string{"READONLY_ADMIN"}, &bob, false},
		{"other's key, read-only admin", []string{"READONLY_ADMIN"}, &root, true},
		{"a key of no user", []string{"READONLY_ADMIN"}, nil, true},
		{"other's key, API_KEY_WRITE", []string{"READONLY_ADMIN", "API_KEY_WRITE"}, &root, false},
		{"other's key, full admin", []string{"FULL_ADMIN"}, &root, false},
	} {
		err := APIKeyPrivilegeCheck("bob", tc.roles, tc.user)
		var ce *CallError
		switch {
		case !tc.deny && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case tc.deny && (!errors.As(err, &ce) || ce.Errno != EACCES ||
			ce.Message != "bob: authenticated user lacks privileges to create or modify API keys of other users."):
			t.Errorf("%s: got %v, want TrueNAS's EACCES", tc.name, err)
		}
	}
}
