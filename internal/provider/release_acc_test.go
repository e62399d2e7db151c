package provider

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/nasops/terraform-provider-truenas/internal/sandbox"
)

// TestAccEachRelease runs users, groups, API keys and a data source
// against a sandbox of each release the engine answers as, with an empty
// plan after apply (resource.Test checks that for every step). On 26.0 a
// user gets webshare (the box makes it a member of truenas_webshare,
// groups shows no drift) and loses it; on 25.10 webshare = true is
// refused at plan time, naming 26.0.
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
			cfgWith := box.config + `
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
  %s
}
resource "truenas_api_key" "k" {
  name     = "relkey"
  username = "root"
}
data "truenas_user" "root" {
  username = "root"
}
`
			cfg := fmt.Sprintf(cfgWith, "")
			steps := []resource.TestStep{{
				Config: cfg,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("truenas_user.u", "username", "rel"),
					resource.TestCheckResourceAttr("truenas_user.u", "sudo_commands.#", "2"),
					resource.TestCheckResourceAttr("truenas_user.u", "webshare", "false"),
					resource.TestCheckResourceAttrSet("truenas_api_key.k", "id"),
					resource.TestCheckResourceAttr("data.truenas_user.root", "uid", "0"),
				),
			}, {
				Config:   cfg,
				PlanOnly: true,
			}}
			on := fmt.Sprintf(cfgWith, "webshare = true")
			if c.release == "26.0" {
				steps = append(steps, resource.TestStep{
					Config: on,
					Check: resource.ComposeAggregateTestCheckFunc(
						resource.TestCheckResourceAttr("truenas_user.u", "webshare", "true"),
						resource.TestCheckResourceAttr("truenas_user.u", "groups.#", "0"),
						box.webshareMember(t, "rel", true),
					),
				}, resource.TestStep{
					Config:   on,
					PlanOnly: true,
				}, resource.TestStep{
					Config: cfg,
					Check: resource.ComposeAggregateTestCheckFunc(
						resource.TestCheckResourceAttr("truenas_user.u", "webshare", "false"),
						box.webshareMember(t, "rel", false),
					),
				})
			} else {
				steps = append(steps, resource.TestStep{
					Config:      on,
					PlanOnly:    true,
					ExpectError: regexp.MustCompile(`webshare needs TrueNAS 26\.0[\s\S]*TrueNAS 25\.10\.6`),
				})
			}
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testFactories,
				CheckDestroy:             box.checkGone(t, "user.query", "username", "rel"),
				Steps:                    steps,
			})
		})
	}
}

// webshareMember checks on the box that username is (or is not) a member
// of truenas_webshare, and that the entry's webshare says so.
func (b *accBox) webshareMember(t *testing.T, username string, want bool) resource.TestCheckFunc {
	return func(*terraform.State) error {
		var gs []struct {
			ID    int64   `json:"id"`
			Users []int64 `json:"users"`
		}
		if err := json.Unmarshal(b.call(t, "group.query", []any{[]any{"name", "=", "truenas_webshare"}}), &gs); err != nil || len(gs) != 1 {
			return fmt.Errorf("truenas_webshare: %v %+v", err, gs)
		}
		var us []struct {
			ID       int64   `json:"id"`
			Groups   []int64 `json:"groups"`
			Webshare *bool   `json:"webshare"`
		}
		if err := json.Unmarshal(b.call(t, "user.query", []any{[]any{"username", "=", username}}), &us); err != nil || len(us) != 1 {
			return fmt.Errorf("user %s: %v", username, err)
		}
		u := us[0]
		if slices.Contains(u.Groups, gs[0].ID) != want || slices.Contains(gs[0].Users, u.ID) != want || u.Webshare == nil || *u.Webshare != want {
			return fmt.Errorf("user %s webshare %v: groups %v, webshare users %v, entry %v", username, want, u.Groups, gs[0].Users, u.Webshare)
		}
		return nil
	}
}
