package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

func TestBuildAPIKeyPayloads(t *testing.T) {
	plan := apiKeyModel{Name: types.StringValue("ci"), Username: types.StringValue("root"),
		ExpiresAt: types.StringValue("2030-01-01T00:00:00Z"), Keepers: types.MapNull(types.StringType)}
	p, err := buildAPIKeyCreate(plan)
	if err != nil {
		t.Fatal(err)
	}
	if s := jsonOf(t, p.m); s != `{"expires_at":{"$date":1893456000000},"name":"ci","username":"root"}` {
		t.Errorf("create %s", s)
	}
	plan.ExpiresAt = types.StringValue("tomorrow")
	if _, err := buildAPIKeyCreate(plan); err == nil {
		t.Error("bad expires_at accepted")
	}
	state := plan
	state.ExpiresAt = types.StringValue("2030-01-01T00:00:00Z")
	plan = state
	plan.ExpiresAt = types.StringValue("2030-01-01T01:00:00+01:00") // same instant
	if p, _ := buildAPIKeyUpdate(plan, state); len(p.m) != 0 {
		t.Errorf("same instant sent %v", p.m)
	}
	plan.Keepers = types.MapValueMust(types.StringType, map[string]attr.Value{"v": types.StringValue("2")})
	plan.ExpiresAt = types.StringNull()
	if p, _ := buildAPIKeyUpdate(plan, state); jsonOf(t, p.m) != `{"expires_at":null,"reset":true}` {
		t.Errorf("update %s", jsonOf(t, p.m))
	}
}

func TestPlanAPIKeyValidationNoBox(t *testing.T) {
	needTerraform(t)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		Steps: []resource.TestStep{
			{
				Config: noBoxConfig + `resource "truenas_api_key" "k" {
  name = "ci"
  username = "root"
  expires_at = "2001-01-01T00:00:00Z"
}`,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?i)in the past`),
			},
			{
				Config: noBoxConfig + `resource "truenas_api_key" "k" {
  name = "ci"
  username = "root"
  expires_at = "soon"
}`,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`RFC 3339`),
			},
			{
				Config: noBoxConfig + `resource "truenas_api_key" "k" {
  name = ""
  username = "root"
}`,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?i)at least 1 character`),
			},
		},
	})
}

func TestAccAPIKey(t *testing.T) {
	box := startAccBox(t)
	cfg := func(name, keeper, expires string) string {
		exp := ""
		if expires != "" {
			exp = fmt.Sprintf("expires_at = %q", expires)
		}
		return box.config + fmt.Sprintf(`
resource "truenas_api_key" "k" {
  name     = %q
  username = "root"
  keepers  = { rotation = %q }
  %s
}
`, name, keeper, exp)
	}
	var first string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		CheckDestroy:             box.checkGone(t, "api_key.query", "name", "acc-ci", "acc-ci2"),
		Steps: []resource.TestStep{
			{Config: cfg("acc-ci", "1", "2035-01-01T00:00:00Z"), Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestMatchResourceAttr("truenas_api_key.k", "key", regexp.MustCompile(`^\d+-[A-Za-z0-9]{64}$`)),
				resource.TestCheckResourceAttr("truenas_api_key.k", "revoked", "false"),
				resource.TestCheckResourceAttrSet("truenas_api_key.k", "created_at"),
				func(s *terraform.State) error {
					first = s.RootModule().Resources["truenas_api_key.k"].Primary.Attributes["key"]
					return nil
				},
			)},
			{ResourceName: "truenas_api_key.k", ImportState: true, ImportStateId: "acc-ci", ImportStateVerify: true,
				ImportStateVerifyIgnore: []string{"key", "keepers"}},
			{ResourceName: "truenas_api_key.k", ImportState: true, ImportStateIdFunc: stateID("truenas_api_key.k"), ImportStateVerify: true,
				ImportStateVerifyIgnore: []string{"key", "keepers"}},
			// An import block by name plans no change when the configuration
			// has no keepers (adding keepers later resets the key, which is
			// how an imported key, whose plaintext TrueNAS never shows again,
			// gets one in state).
			{Config: strings.Replace(cfg("acc-ci", "1", "2035-01-01T00:00:00Z"), `keepers  = { rotation = "1" }`, "", 1),
				ResourceName: "truenas_api_key.k", ImportState: true, ImportStateKind: resource.ImportBlockWithID, ImportStateId: "acc-ci"},
			{
				Config: cfg("acc-ci2", "1", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("truenas_api_key.k", plancheck.ResourceActionUpdate)}},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("truenas_api_key.k", "name", "acc-ci2"),
					resource.TestCheckNoResourceAttr("truenas_api_key.k", "expires_at"),
					func(s *terraform.State) error {
						if s.RootModule().Resources["truenas_api_key.k"].Primary.Attributes["key"] != first {
							return fmt.Errorf("key changed without a keepers change")
						}
						return nil
					},
				),
			},
			{
				Config: cfg("acc-ci2", "2", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("truenas_api_key.k", plancheck.ResourceActionUpdate)}},
				Check: func(s *terraform.State) error {
					k := s.RootModule().Resources["truenas_api_key.k"].Primary.Attributes["key"]
					if k == first || k == "" {
						return fmt.Errorf("key not reset: %q", k)
					}
					return nil
				},
			},
			{
				PreConfig: func() {
					id := box.idOf(t, "api_key.query", "name", "acc-ci2")
					box.call(t, "api_key.update", id, map[string]any{"name": "renamed"})
				},
				Config: cfg("acc-ci2", "2", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("truenas_api_key.k", plancheck.ResourceActionUpdate)}},
			},
			{
				PreConfig: func() {
					id := box.idOf(t, "api_key.query", "name", "acc-ci2")
					box.call(t, "api_key.delete", id)
				},
				Config: cfg("acc-ci2", "2", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("truenas_api_key.k", plancheck.ResourceActionCreate)}},
			},
			{
				Config: box.config + `
resource "truenas_api_key" "k" {
  name     = "acc-ci2"
  username = "daemon"
  keepers  = { rotation = "2" }
}`,
				// Moving the key to another user replaces it; this user has no role.
				ExpectError: regexp.MustCompile(`(?i)role|privilege|user`),
			},
		},
	})
}

func TestAccAPIKeyReplaceOnUserChange(t *testing.T) {
	box := startAccBox(t)
	cfg := func(owner string) string {
		return box.config + fmt.Sprintf(`
data "truenas_group" "admins" {
  name = "truenas_readonly_administrators" # a role, but not the last Local Administrator
}
resource "truenas_user" "ops" {
  username     = "ops"
  full_name    = "Ops"
  group_create = true
  password     = "Pw-ops-1"
  groups       = [data.truenas_group.admins.id]
}
resource "truenas_api_key" "k" {
  name     = "acc-owner"
  username = %s
}
`, owner)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		CheckDestroy:             box.checkGone(t, "api_key.query", "name", "acc-owner"),
		Steps: []resource.TestStep{
			{Config: cfg(`"root"`), Check: resource.TestCheckResourceAttr("truenas_api_key.k", "username", "root")},
			{
				Config: cfg(`truenas_user.ops.username`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("truenas_api_key.k", plancheck.ResourceActionDestroyBeforeCreate)}},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("truenas_api_key.k", "username", "ops"),
					resource.TestCheckResourceAttrSet("truenas_api_key.k", "key"),
				),
			},
			{
				Config: cfg(`truenas_user.ops.username`) + `
data "truenas_api_keys" "ops" {
  username   = "ops"
  depends_on = [truenas_api_key.k]
}`,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("data.truenas_api_keys.ops", "api_keys.#", "1"),
					resource.TestCheckResourceAttr("data.truenas_api_keys.ops", "api_keys.0.name", "acc-owner"),
					resource.TestCheckNoResourceAttr("data.truenas_api_keys.ops", "api_keys.0.key"),
				),
			},
		},
	})
}
