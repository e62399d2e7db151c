package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nasops/terraform-provider-truenas/internal/account"
	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// TestModelFor: system.version picks the account model: 26.0 and later
// (betas, an unknown form) v26_0_0, 25.x v25_10_5.
func TestModelFor(t *testing.T) {
	for v, want := range map[string]*account.Model{
		"TrueNAS-25.10.6":                      account.ModelV25_10_5,
		"TrueNAS-25.04.2.6":                    account.ModelV25_10_5,
		"TrueNAS-26.0.0-BETA.3+engine.dev":     account.ModelV26_0_0,
		"TrueNAS-26.04.0":                      account.ModelV26_0_0,
		"TrueNAS-25.10-MASTER-20250101-000000": account.ModelV25_10_5,
	} {
		r, ok := wire.ParseRelease(v)
		if !ok {
			t.Fatalf("%s: not parsed", v)
		}
		if got := modelFor(r); got != want {
			t.Errorf("%s: %s, want %s", v, got.APIVersion, want.APIVersion)
		}
	}
	if modelFor(wire.Release{Year: 99}) != account.ModelV26_0_0 {
		t.Error("unknown form: not the newest model")
	}
}

// TestUserStateWebshare: the entry's webshare is the state's; the
// truenas_webshare group it brings is left out of groups unless listed; a
// 25.10 entry (no webshare) keeps false.
func TestUserStateWebshare(t *testing.T) {
	prior := planUser()
	prior.Groups = int64Set([]int64{7})
	yes := true
	e := &account.UserEntry{ID: 12, UID: 3000, Username: "alice", FullName: "Alice A", Home: account.DefaultHome,
		Shell: account.DefaultShell, Group: account.UserGroupRef{ID: 40}, Groups: []int64{7, 46}, Webshare: &yes, Roles: []string{}}
	s := userState(prior, e, autoGroups{builtinUsers: 45, webshare: 46})
	if ids, _ := setInts(s.Groups); len(ids) != 1 || ids[0] != 7 || !s.Webshare.ValueBool() {
		t.Errorf("groups %v webshare %v", ids, s.Webshare)
	}
	prior.Groups = int64Set([]int64{7, 46})
	if ids, _ := setInts(userState(prior, e, autoGroups{webshare: 46}).Groups); len(ids) != 2 {
		t.Errorf("listed truenas_webshare dropped: %v", ids)
	}
	e.Webshare = nil
	prior.Webshare = types.BoolUnknown()
	if s := userState(prior, e, autoGroups{}); s.Webshare.IsNull() || s.Webshare.IsUnknown() || s.Webshare.ValueBool() {
		t.Errorf("25.10 webshare %v, want false", s.Webshare)
	}
}

// TestCheckUserPayloadWebshare: a payload with webshare is judged by
// v26_0_0's model (root refused with TrueNAS's message), one without it
// by v25_10_5's.
func TestCheckUserPayloadWebshare(t *testing.T) {
	p := newPayload()
	p.m["webshare"] = true
	errs := checkUserPayload(p, &account.UserEntry{ID: 1, UID: 0, Username: "root", Home: "/root", Shell: account.DefaultShell})
	if len(errs) != 1 || errs[0].Attribute != "user_update.webshare" || errs[0].Message != "The root user is not allowed access via webshare." {
		t.Errorf("root: %v", errs)
	}
	p.m["webshare"] = false
	if errs := checkUserPayload(p, &account.UserEntry{ID: 1, UID: 0, Username: "root", Home: "/root", Shell: account.DefaultShell}); len(errs) != 0 {
		t.Errorf("root false: %v", errs)
	}
}
