package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

func TestAccPrivilegeDataSources(t *testing.T) {
	box := startAccBox(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		Steps: []resource.TestStep{{
			Config: box.config + `
resource "truenas_group" "ops" {
  name = "ds_ops"
  smb  = false
}
resource "truenas_privilege" "ops" {
  name         = "Ops"
  local_groups = [truenas_group.ops.gid]
  roles        = ["READONLY_ADMIN"]
}
data "truenas_privilege" "admin" {
  builtin_name = "LOCAL_ADMINISTRATOR"
}
data "truenas_privilege" "ro" {
  name = "Read-Only Administrator"
}
data "truenas_privilege" "ops" {
  name = truenas_privilege.ops.name
}
data "truenas_privileges" "all" {
  depends_on = [truenas_privilege.ops]
}
data "truenas_privileges" "builtin" {
  builtin = true
}
data "truenas_privileges" "custom" {
  builtin    = false
  depends_on = [truenas_privilege.ops]
}
`,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("data.truenas_privilege.admin", "name", "Local Administrator"),
				resource.TestCheckResourceAttr("data.truenas_privilege.admin", "web_shell", "true"),
				resource.TestCheckTypeSetElemAttr("data.truenas_privilege.admin", "local_groups.*", "544"),
				resource.TestCheckTypeSetElemAttr("data.truenas_privilege.admin", "roles.*", "FULL_ADMIN"),
				resource.TestCheckResourceAttr("data.truenas_privilege.ro", "builtin_name", "READONLY_ADMINISTRATOR"),
				resource.TestCheckTypeSetElemAttr("data.truenas_privilege.ro", "local_groups.*", "951"),
				resource.TestCheckResourceAttrPair("data.truenas_privilege.ops", "id", "truenas_privilege.ops", "id"),
				resource.TestCheckNoResourceAttr("data.truenas_privilege.ops", "builtin_name"),
				resource.TestCheckResourceAttr("data.truenas_privileges.all", "privileges.#", "4"),
				resource.TestCheckResourceAttr("data.truenas_privileges.builtin", "privileges.#", "3"),
				resource.TestCheckResourceAttr("data.truenas_privileges.builtin", "privileges.2.name", "Sharing Administrator"),
				resource.TestCheckResourceAttr("data.truenas_privileges.custom", "privileges.#", "1"),
				resource.TestCheckResourceAttr("data.truenas_privileges.custom", "privileges.0.name", "Ops"),
			),
		}},
	})
}

func TestPlanPrivilegeDataSourceLookup(t *testing.T) {
	needTerraform(t)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		Steps: []resource.TestStep{{
			Config:      noBoxConfig + "data \"truenas_privilege\" \"p\" {\n name = \"a\"\n builtin_name = \"LOCAL_ADMINISTRATOR\"\n}\n",
			PlanOnly:    true,
			ExpectError: wrapped("Set exactly one of name or builtin_name."),
		}},
	})
}
