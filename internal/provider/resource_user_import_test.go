package provider

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// importedUser is a user made on the box outside Terraform (as in the web
// UI), with every argument TrueNAS never returns: a group created for it,
// a home created under /mnt/tank with mode 750, and a password.
type importedUser struct {
	name, password string
	id             int64
}

func createOnBox(t *testing.T, box *accBox, name string) *importedUser {
	t.Helper()
	u := &importedUser{name: name, password: "Imported-Pw-" + name + "-7"}
	box.call(t, "user.create", map[string]any{"username": name, "full_name": "Imported " + name,
		"group_create": true, "home": "/mnt/tank", "home_create": true, "home_mode": "750",
		"password": u.password, "smb": true})
	u.id = box.idOf(t, "user.query", "username", name)
	if u.id == 0 {
		t.Fatalf("user %s was not created on the box", name)
	}
	return u
}

// unchanged checks that the imported user is the one made on the box (not
// replaced: same row id, its group still there), that its password still
// logs in, and that its home is where it was, with the mode it was made
// with: nothing the import's configuration said was sent.
func (u *importedUser) unchanged(t *testing.T, box *accBox) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if id := box.idOf(t, "user.query", "username", u.name); id != u.id {
			return fmt.Errorf("user %s has id %d, not %d: it was replaced", u.name, id, u.id)
		}
		if box.idOf(t, "group.query", "name", u.name) == 0 {
			return fmt.Errorf("the group made for %s is gone", u.name)
		}
		var login struct {
			ResponseType string `json:"response_type"`
		}
		raw := box.call(t, "auth.login_ex", map[string]any{"mechanism": "PASSWORD_PLAIN", "username": u.name, "password": u.password})
		if err := json.Unmarshal(raw, &login); err != nil || login.ResponseType != "SUCCESS" {
			return fmt.Errorf("the password of %s no longer logs in: %s", u.name, raw)
		}
		st, err := os.Stat(filepath.Join(box.sb.Root, "mnt", "tank", u.name))
		if err != nil {
			return fmt.Errorf("the home of %s: %v", u.name, err)
		}
		if m := st.Mode().Perm(); m != 0o750 {
			return fmt.Errorf("the home of %s has mode %o, not 750", u.name, m)
		}
		return nil
	}
}

// importedConfig is the configuration of the imported user with the
// arguments given (HCL lines), and an import block when block is set.
func importedConfig(box *accBox, name string, block bool, lines ...string) string {
	cfg := box.config + fmt.Sprintf(`
resource "truenas_user" "imp" {
  username  = %q
  full_name = "Imported %s"
  %s
}
output "home" {
  value = truenas_user.imp.home_directory
}
`, name, name, strings.Join(lines, "\n  "))
	if block {
		cfg += fmt.Sprintf("import {\n  to = truenas_user.imp\n  id = %q\n}\n", name)
	}
	return cfg
}

// inPlace expects an update of truenas_user.imp, never a replacement.
var inPlace = inPlaceOf("truenas_user.imp")

// inPlaceOf expects an update of the resource, never a replacement.
func inPlaceOf(addr string) resource.ConfigPlanChecks {
	return resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
		plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)}}
}

// TestAccUserImportThenDocumentedConfiguration follows the import section
// of the docs with `terraform import` (or `tofu import`): import a user
// made on the box, then set each argument TrueNAS never returns as it was
// used, one at a time, with no password in the configuration. Each plan is
// an in-place update that sends nothing (the user is not replaced, its
// password, group, home and home mode stay), and the plan after it is
// empty (the harness checks that after every step).
func TestAccUserImportThenDocumentedConfiguration(t *testing.T) {
	box := startAccBox(t)
	u := createOnBox(t, box, "impcmd")
	asRead := `home = "/mnt/tank/impcmd"`
	groupCreate := `group_create = true`
	home := "home = \"/mnt/tank\"\n  home_create = true"
	mode := `home_mode = "750"`
	group := fmt.Sprintf("group = %d", box.idOf(t, "group.query", "name", "impcmd"))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		CheckDestroy:             box.checkGone(t, "user.query", "username", "impcmd"),
		Steps: []resource.TestStep{
			{
				// terraform import, kept in the state for the next steps.
				Config:       importedConfig(box, "impcmd", false, asRead),
				ResourceName: "truenas_user.imp", ImportState: true, ImportStateId: "impcmd", ImportStatePersist: true,
				ImportStateCheck: func(s []*terraform.InstanceState) error {
					a := s[0].Attributes
					for _, name := range notReturned {
						if v, ok := a[name]; ok {
							return fmt.Errorf("%s = %q after the import; TrueNAS never returns it", name, v)
						}
					}
					if a["home"] != "/mnt/tank/impcmd" || a["home_directory"] != "/mnt/tank/impcmd" {
						return fmt.Errorf("after the import home = %q, home_directory = %q", a["home"], a["home_directory"])
					}
					return nil
				},
			},
			// The configuration without them plans nothing.
			{Config: importedConfig(box, "impcmd", false, asRead), PlanOnly: true},
			{Config: importedConfig(box, "impcmd", false, asRead, groupCreate), ConfigPlanChecks: inPlace,
				Check: resource.ComposeAggregateTestCheckFunc(u.unchanged(t, box),
					resource.TestCheckResourceAttr("truenas_user.imp", "group_create", "true"))},
			{Config: importedConfig(box, "impcmd", false, groupCreate, home), ConfigPlanChecks: inPlace,
				Check: resource.ComposeAggregateTestCheckFunc(u.unchanged(t, box),
					resource.TestCheckResourceAttr("truenas_user.imp", "home", "/mnt/tank"),
					resource.TestCheckResourceAttr("truenas_user.imp", "home_create", "true"),
					resource.TestCheckResourceAttr("truenas_user.imp", "home_directory", "/mnt/tank/impcmd"),
					resource.TestCheckOutput("home", "/mnt/tank/impcmd"))},
			{Config: importedConfig(box, "impcmd", false, groupCreate, home, mode), ConfigPlanChecks: inPlace,
				Check: resource.ComposeAggregateTestCheckFunc(u.unchanged(t, box),
					resource.TestCheckResourceAttr("truenas_user.imp", "home_mode", "750"),
					resource.TestCheckNoResourceAttr("truenas_user.imp", "password"))},
			// Now known, group_create replaces the user when it changes
			// (and the new user needs a password).
			{Config: importedConfig(box, "impcmd", false, `group_create = false`, group, home, mode, `password = "Replaced-Pw-1"`),
				PlanOnly: true, ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("truenas_user.imp", plancheck.ResourceActionDestroyBeforeCreate)}}},
		},
	})
}

// TestAccUserImportBlockThenDocumentedConfiguration: the same with an
// import block and the whole documented configuration at once: one plan
// that imports and updates in place, sending nothing.
func TestAccUserImportBlockThenDocumentedConfiguration(t *testing.T) {
	box := startAccBox(t)
	u := createOnBox(t, box, "impblk")
	documented := []string{`group_create = true`, `home = "/mnt/tank"`, `home_create = true`, `home_mode = "750"`}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		CheckDestroy:             box.checkGone(t, "user.query", "username", "impblk"),
		Steps: []resource.TestStep{
			{Config: importedConfig(box, "impblk", true, documented...), ConfigPlanChecks: inPlace,
				Check: resource.ComposeAggregateTestCheckFunc(u.unchanged(t, box),
					resource.TestCheckResourceAttr("truenas_user.imp", "group_create", "true"),
					resource.TestCheckResourceAttr("truenas_user.imp", "home_directory", "/mnt/tank/impblk"))},
		},
	})
}

// TestAccUserImportGenerateConfig: `plan -generate-config-out` with an
// import block writes a configuration for a user made on the box; it
// validates, and the plan with it imports and changes nothing.
func TestAccUserImportGenerateConfig(t *testing.T) {
	box := startAccBox(t)
	createOnBox(t, box, "impgen")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		CheckDestroy:             box.checkGone(t, "user.query", "username", "impgen"),
		Steps: []resource.TestStep{
			{Config: box.config, ResourceName: "truenas_user.impgen", ImportState: true,
				ImportStateKind: resource.ImportBlockWithID, ImportStateId: "impgen", GenerateConfig: true},
		},
	})
}
