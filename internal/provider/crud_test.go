package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

func TestIsDigits(t *testing.T) {
	for s, want := range map[string]bool{"42": true, "0": true, "": false, "4a": false, " 42": false, "-4": false, "+4": false, "４２": false} {
		if got := isDigits(s); got != want {
			t.Errorf("isDigits(%q) = %t, want %t", s, got, want)
		}
	}
}

// TestAccImportRule holds every resource to the one import rule: digits
// only are the database id, anything else the name. An entry whose name is
// digits is therefore imported by its id; its name, taken as an id, names
// no entry.
func TestAccImportRule(t *testing.T) {
	box := startAccBox(t)
	cfg := box.config + `
resource "truenas_group" "g" {
  name = "424242"
  smb  = false
}
resource "truenas_user" "u" {
  username          = "ruleuser"
  full_name         = "Rule User"
  group             = truenas_group.g.id
  password_disabled = true
  smb               = false
}
resource "truenas_privilege" "p" {
  name         = "424243"
  local_groups = [truenas_group.g.gid]
  roles        = ["READONLY_ADMIN"]
}
resource "truenas_api_key" "k" {
  name     = "424244"
  username = "root"
}
`
	notFound := regexp.MustCompile(`(?i)non-existent remote object`)
	steps := []resource.TestStep{{Config: cfg}}
	for _, r := range []struct {
		addr, digitsName, noun string
		ignore                 []string
	}{
		{"truenas_group.g", "424242", "group", []string{"users", "roles"}},
		{"truenas_privilege.p", "424243", "privilege", nil},
		{"truenas_api_key.k", "424244", "API key", []string{"key"}},
		{"truenas_user.u", "", "user", append(notReturned, "roles")},
	} {
		// By id, the rule's first half.
		steps = append(steps, resource.TestStep{ResourceName: r.addr, ImportState: true, ImportStateIdFunc: stateID(r.addr),
			ImportStateVerify: true, ImportStateVerifyIgnore: r.ignore})
		if r.digitsName != "" {
			// A name of digits is an id: this one is no entry's.
			steps = append(steps, resource.TestStep{ResourceName: r.addr, ImportState: true, ImportStateId: r.digitsName,
				ExpectError: notFound})
		}
		// Anything else is a name, which must name an entry.
		steps = append(steps, resource.TestStep{ResourceName: r.addr, ImportState: true, ImportStateId: "no-such-entry",
			ExpectError: regexp.MustCompile(fmt.Sprintf(`No %s named "no-such-entry"`, r.noun))})
	}
	// By name, the rule's second half, for the user whose name is no number.
	steps = append(steps, resource.TestStep{ResourceName: "truenas_user.u", ImportState: true, ImportStateId: "ruleuser",
		ImportStateVerify: true, ImportStateVerifyIgnore: append(notReturned, "roles")})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		CheckDestroy:             box.checkGone(t, "group.query", "name", "424242"),
		Steps:                    steps,
	})
}
