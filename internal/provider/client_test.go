package provider

import (
	"errors"
	"testing"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

func TestTableByID(t *testing.T) {
	users := []account.UserEntry{{ID: 3, Username: "c"}, {ID: 1, Username: "a"}, {ID: 3, Username: "dup"}}
	tab := newTable(users, func(u *account.UserEntry) int64 { return u.ID })
	for id, want := range map[int64]string{1: "a", 3: "c", 2: ""} {
		got, err := byID(tab, nil, id)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case want == "" && got != nil:
			t.Errorf("id %d: got %q, want none", id, got.Username)
		case want != "" && (got == nil || got.Username != want):
			t.Errorf("id %d: got %v, want %q", id, got, want)
		}
	}
	// A copy: changing it leaves the cache alone.
	got, _ := byID(tab, nil, 1)
	got.Username = "changed"
	if users[1].Username != "a" {
		t.Error("byID returned the cached entry itself")
	}
	boom := errors.New("boom")
	if _, err := byID[account.UserEntry](nil, boom, 1); err != boom {
		t.Errorf("got %v, want the query's error", err)
	}
}
