package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
)

func TestPlanSuggestUsernameFunction(t *testing.T) {
	needTerraform(t)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		Steps: []resource.TestStep{{
			Config: noBoxConfig + `
output "one"  { value = provider::truenas::suggest_username("John Doe") }
output "two"  { value = provider::truenas::suggest_username("Madonna") }
output "many" { value = provider::truenas::suggest_username("Jean-Luc Picard") }
`,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownOutputValue("one", knownvalue.StringExact("jdoe")),
				plancheck.ExpectKnownOutputValue("two", knownvalue.StringExact("madonna")),
				plancheck.ExpectKnownOutputValue("many", knownvalue.StringExact("jpicard")),
			}},
		}},
	})
}

func TestAccDataSources(t *testing.T) {
	box := startAccBox(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		Steps: []resource.TestStep{{
			Config: box.config + `
data "truenas_user" "root" { username = "root" }
data "truenas_user" "by_uid" { uid = 0 }
data "truenas_user" "by_id" { id = data.truenas_user.root.id }
data "truenas_group" "admins" { name = "builtin_administrators" }
data "truenas_group" "by_gid" { gid = 544 }
data "truenas_users" "builtin" { builtin = true }
data "truenas_users" "all" {}
data "truenas_groups" "all" {}
data "truenas_api_keys" "all" {}
`,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("data.truenas_user.root", "uid", "0"),
				resource.TestCheckResourceAttr("data.truenas_user.root", "builtin", "true"),
				resource.TestCheckResourceAttr("data.truenas_user.by_uid", "username", "root"),
				resource.TestCheckResourceAttr("data.truenas_user.by_id", "username", "root"),
				resource.TestCheckResourceAttr("data.truenas_group.admins", "gid", "544"),
				resource.TestCheckTypeSetElemAttr("data.truenas_group.admins", "roles.*", "FULL_ADMIN"),
				resource.TestCheckResourceAttrPair("data.truenas_group.by_gid", "id", "data.truenas_group.admins", "id"),
				resource.TestCheckTypeSetElemNestedAttrs("data.truenas_users.builtin", "users.*", map[string]string{"username": "root"}),
				resource.TestCheckTypeSetElemNestedAttrs("data.truenas_groups.all", "groups.*", map[string]string{"name": "builtin_administrators"}),
				resource.TestCheckResourceAttrSet("data.truenas_api_keys.all", "api_keys.#"),
			),
		}},
	})
}
