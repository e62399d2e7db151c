package provider

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/nasops/terraform-provider-truenas/internal/sandbox"
)

// TestAccEachRelease runs users, groups, API keys and a data source
// against a sandbox of each release the engine answers as, with an empty
// plan after apply (resource.Test checks that for every step).
func TestAccEachRelease(t *testing.T) {
	for _, c := range []struct{ release, version string }{
		{"25.10", "TrueNAS-25.10.6+"},
		{"26.0", "TrueNAS-26.0.0-BETA.3+"},
	} {
		t.Run(c.release, func(t *testing.T) {
			box := startAccBoxWith(t, sandbox.Options{Release: c.release})
			var v string
			if err := json.Unmarshal(box.call(t, "system.version"), &v); err != nil || !strings.HasPrefix(v, c.version) {
				t.Fatalf("system.version %q %v, want %s...", v, err, c.version)
			}
			cfg := box.config + `
resource "truenas_group" "g" {
  name = "relstaff"
}
resource "truenas_user" "u" {
  username      = "rel"
  full_name     = "Release"
  group         = truenas_group.g.id
  groups        = []
  password      = "Secret-123"
  sudo_commands = ["/usr/bin/df", "/usr/bin/du"]
}
resource "truenas_api_key" "k" {
  name     = "relkey"
  username = "root"
}
data "truenas_user" "root" {
  username = "root"
}
`
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testFactories,
				CheckDestroy:             box.checkGone(t, "user.query", "username", "rel"),
				Steps: []resource.TestStep{{
					Config: cfg,
					Check: resource.ComposeAggregateTestCheckFunc(
						resource.TestCheckResourceAttr("truenas_user.u", "username", "rel"),
						resource.TestCheckResourceAttr("truenas_user.u", "sudo_commands.#", "2"),
						resource.TestCheckResourceAttrSet("truenas_api_key.k", "id"),
						resource.TestCheckResourceAttr("data.truenas_user.root", "uid", "0"),
					),
				}, {
					Config:   cfg,
					PlanOnly: true,
				}},
			})
		})
	}
}
