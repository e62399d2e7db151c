package provider

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// TestAccUserEmail: an address TrueNAS normalises ("Dana Lee
// <Dana@Example.COM>" is stored as "Dana@example.com") shows no drift, an
// address TrueNAS refuses is refused at plan time with TrueNAS's message,
// and a change made on the box is still seen.
func TestAccUserEmail(t *testing.T) {
	box := startAccBox(t)
	cfg := func(email string) string {
		return box.config + fmt.Sprintf(`
resource "truenas_user" "u" {
  username          = "dana"
  full_name         = "Dana Lee"
  group_create      = true
  smb               = false
  password_disabled = true
  email             = %q
}
`, email)
	}
	stored := func(want string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			var rows []map[string]any
			if err := json.Unmarshal(box.call(t, "user.query", [][]any{{"username", "=", "dana"}}), &rows); err != nil {
				return err
			}
			if len(rows) != 1 || rows[0]["email"] != want {
				return fmt.Errorf("the box stores %v, want %q", rows, want)
			}
			return nil
		}
	}
	written := " Dana Lee <Dana@Example.COM> "
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		CheckDestroy:             box.checkGone(t, "user.query", "username", "dana"),
		Steps: []resource.TestStep{
			{
				// the framework also checks that the next plan is empty
				Config: cfg(written),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("truenas_user.u", "email", written),
					stored("Dana@example.com"),
				),
			},
			{Config: cfg(written), PlanOnly: true},
			{
				Config:      cfg("dana..lee@example.com"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`value\s+is\s+not\s+a\s+valid\s+email\s+address:\s+An\s+email\s+address\s+cannot\s+have\s+two\s+periods\s+in\s+a\s+row`),
			},
			{
				Config:      cfg(strings.Repeat("d", 65) + "@example.com"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`The\s+email\s+address\s+is\s+too\s+long\s+before\s+the\s+@-sign\s+\(1\s+character\s+too\s+many\)`),
			},
			{
				Config:      cfg(".dana@example.com"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`An\s+email\s+address\s+cannot\s+start\s+with\s+a\s+period`),
			},
			{
				Config: cfg("dana@example.org"),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("truenas_user.u", "email", "dana@example.org"),
					stored("dana@example.org"),
				),
			},
			{
				// a change on the box is drift
				PreConfig: func() {
					id := box.idOf(t, "user.query", "username", "dana")
					box.call(t, "user.update", id, map[string]any{"email": "someone@example.org"})
				},
				Config:             cfg("dana@example.org"),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
		},
	})
}
