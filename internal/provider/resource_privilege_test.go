package provider

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

func TestBuildPrivilegePayloads(t *testing.T) {
	plan := privilegeModel{ID: types.StringUnknown(), Name: types.StringValue("Backup"), BuiltinName: types.StringNull(),
		LocalGroups: int64Set([]int64{3001, 3000}), DSGroups: stringSet([]string{"S-1-5-21-1-2-3-4000", "1000001"}),
		Roles: stringSet([]string{"SHARING_ADMIN", "READONLY_ADMIN"}), WebShell: types.BoolValue(false)}
	p := buildPrivilegeCreate(plan)
	if s := jsonOf(t, p.m); s != `{"ds_groups":[1000001,"S-1-5-21-1-2-3-4000"],"local_groups":[3000,3001],"name":"Backup","roles":["READONLY_ADMIN","SHARING_ADMIN"],"web_shell":false}` {
		t.Errorf("create %s", s)
	}
	if es := checkPrivilegePayload(p, nil); es != nil {
		t.Errorf("create checks: %v", es)
	}
	state := plan
	state.ID = types.StringValue("4")
	if p := buildPrivilegeUpdate(plan, state); len(p.m) != 0 {
		t.Errorf("no change sent %v", p.m)
	}
	plan.Roles = stringSet([]string{"READONLY_ADMIN"})
	plan.WebShell = types.BoolValue(true)
	if s := jsonOf(t, buildPrivilegeUpdate(plan, state).m); s != `{"roles":["READONLY_ADMIN"],"web_shell":true}` {
		t.Errorf("update %s", s)
	}
	// Unknown values are not judged.
	plan.Roles = types.SetUnknown(types.StringType)
	if p := buildPrivilegeUpdate(plan, state); !p.unknown["roles"] || checkPrivilegePayload(p, oldPrivilege(state)) != nil {
		t.Errorf("unknown roles: %v %v", p.m, p.unknown)
	}
}

func TestPrivilegePlanRules(t *testing.T) {
	ro := privilegeModel{ID: types.StringValue("2"), Name: types.StringValue("Read-Only Administrator"),
		BuiltinName: types.StringValue("READONLY_ADMINISTRATOR"), LocalGroups: int64Set([]int64{951}),
		DSGroups: stringSet(nil), Roles: stringSet([]string{"READONLY_ADMIN"}), WebShell: types.BoolValue(false)}
	plan := ro
	plan.Name = types.StringValue("Readers")
	plan.Roles = stringSet([]string{"READONLY_ADMIN", "SHARING_ADMIN"})
	plan.WebShell = types.BoolValue(true)
	var got []string
	for _, e := range checkPrivilegePayload(buildPrivilegeUpdate(plan, ro), oldPrivilege(ro)) {
		got = append(got, e.Line())
	}
	want := []string{
		"[EINVAL] privilege_update.name: This field is read-only for built-in privileges",
		"[EINVAL] privilege_update.roles: This field is read-only for built-in privileges",
		"[EINVAL] privilege_update.web_shell: Web shell access may not be enabled for the built-in group for read-only administrators.",
	}
	if !slices.Equal(got, want) {
		t.Errorf("built-in:\n got  %q\n want %q", got, want)
	}
	// The same changes on a privilege that is not built-in pass.
	custom := ro
	custom.BuiltinName = types.StringNull()
	if es := checkPrivilegePayload(buildPrivilegeUpdate(plan, custom), oldPrivilege(custom)); es != nil {
		t.Errorf("custom: %v", es)
	}
	for _, tc := range []struct{ attr, want string }{
		{"privilege_update.roles", "roles"}, {"privilege_create.local_groups.1", "local_groups"}, {"privilege_update.web_shell", "web_shell"},
	} {
		if p, ok := mapAttribute(tc.attr, privilegePathMapper); !ok || p.String() != tc.want {
			t.Errorf("%s maps to %v", tc.attr, p)
		}
	}
}

func TestPrivilegeStateNoDrift(t *testing.T) {
	var e privilegeWire
	raw := `{"id":4,"builtin_name":null,"name":"Backup","local_groups":[{"id":70,"gid":3000,"name":"ops","group":"ops"},{"gid":3009,"sid":null,"group":null}],
		"ds_groups":[{"gid":1000001,"sid":"S-1-5-21-1-2-3-1001","group":"EXAMPLE\\ops"},{"gid":null,"sid":"S-1-5-21-1-2-3-4000","group":null}],
		"roles":["SHARING_ADMIN","READONLY_ADMIN"],"web_shell":true}`
	if err := json.Unmarshal([]byte(raw), &e); err != nil {
		t.Fatal(err)
	}
	prior := privilegeModel{DSGroups: stringSet([]string{"1000001"})}
	s := privilegeState(prior, &e)
	gids, _ := setInts(s.LocalGroups)
	ds, _ := setStrings(s.DSGroups)
	roles, _ := setStrings(s.Roles)
	if s.ID.ValueString() != "4" || !s.BuiltinName.IsNull() || !slices.Equal(gids, []int64{3000, 3009}) ||
		!slices.Equal(ds, []string{"1000001", "S-1-5-21-1-2-3-4000"}) || !slices.Equal(roles, []string{"READONLY_ADMIN", "SHARING_ADMIN"}) || !s.WebShell.ValueBool() {
		t.Errorf("state %+v", s)
	}
	// With no prior spelling, a group with a SID is shown by its SID.
	s = privilegeState(privilegeModel{DSGroups: types.SetNull(types.StringType)}, &e)
	if ds, _ := setStrings(s.DSGroups); !slices.Equal(ds, []string{"S-1-5-21-1-2-3-1001", "S-1-5-21-1-2-3-4000"}) {
		t.Errorf("ds_groups %v", ds)
	}
}

func TestPlanPrivilegeValidationNoBox(t *testing.T) {
	needTerraform(t)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		Steps: []resource.TestStep{
			{
				Config:      noBoxConfig + "resource \"truenas_privilege\" \"p\" {\n name = \"P\"\n roles = [\"READONLY_ADMIN\", \"readonly_admin\"]\n}",
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Invalid privilege role.*"readonly_admin": Invalid role.*did you mean\s+"READONLY_ADMIN"`),
			},
			{
				Config:      noBoxConfig + `resource "truenas_privilege" "p" { name = "" }`,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`String should have at least 1 character`),
			},
			{
				Config:      noBoxConfig + "resource \"truenas_privilege\" \"p\" {\n name = \"P\"\n ds_groups = [\"S-1-2\"]\n}",
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`Invalid directory-service group`),
			},
			{
				Config:      noBoxConfig + "resource \"truenas_privilege\" \"p\" {\n name = \"P\"\n ds_groups = [\"s-1-5-21-1-2-3\"]\n}",
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`write the SID as TrueNAS stores it,\s+"S-1-5-21-1-2-3"`),
			},
			{
				Config:      noBoxConfig + "resource \"truenas_privilege\" \"p\" {\n name = \"P\"\n ds_groups = [\"007\"]\n}",
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`"007" is neither a gid in decimal nor a SID`),
			},
			{
				Config:             noBoxConfig + "resource \"truenas_privilege\" \"p\" {\n name = \"P\"\n roles = [\"READONLY_ADMIN\"]\n}",
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
		},
	})
}

// wrapped matches message in Terraform's output, which wraps long lines.
func wrapped(message string) *regexp.Regexp {
	return regexp.MustCompile(strings.Join(strings.Fields(regexp.QuoteMeta(message)), `\s+`))
}

// rolesOf asks the box for a user's roles.
func (b *accBox) rolesOf(t *testing.T, username string) []string {
	t.Helper()
	var us []account.UserEntry
	if err := json.Unmarshal(b.call(t, "user.query", [][]any{{"username", "=", username}}), &us); err != nil || len(us) != 1 {
		t.Fatalf("user %s: %v", username, err)
	}
	return us[0].Roles
}

func TestAccPrivilege(t *testing.T) {
	box := startAccBox(t)
	cfg := func(name, roles string, webShell bool) string {
		return box.config + fmt.Sprintf(`
resource "truenas_group" "ops" {
  name = "backup_ops"
  smb  = false
}
resource "truenas_user" "op" {
  username          = "backup1"
  full_name         = "Backup One"
  group_create      = true
  groups            = [truenas_group.ops.id]
  password_disabled = true
  smb               = false
}
resource "truenas_privilege" "p" {
  name         = %q
  local_groups = [truenas_group.ops.gid]
  roles        = %s
  web_shell    = %t
}
`, name, roles, webShell)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		CheckDestroy: resource.ComposeAggregateTestCheckFunc(
			box.checkGone(t, "privilege.query", "name", "Backup Operators", "Backup Admins"),
			box.checkGone(t, "group.query", "name", "backup_ops"),
		),
		Steps: []resource.TestStep{
			{
				Config: cfg("Backup Operators", `["READONLY_ADMIN"]`, false),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("truenas_privilege.p", "roles.#", "1"),
					resource.TestCheckTypeSetElemAttr("truenas_privilege.p", "roles.*", "READONLY_ADMIN"),
					resource.TestCheckTypeSetElemAttrPair("truenas_privilege.p", "local_groups.*", "truenas_group.ops", "gid"),
					resource.TestCheckNoResourceAttr("truenas_privilege.p", "builtin_name"),
					resource.TestCheckResourceAttr("truenas_privilege.p", "ds_groups.#", "0"),
					func(*terraform.State) error {
						if r := box.rolesOf(t, "backup1"); !slices.Equal(r, []string{"READONLY_ADMIN"}) {
							return fmt.Errorf("backup1 roles %v", r)
						}
						return nil
					},
				),
			},
			// The user's roles, read again, show the privilege.
			{RefreshState: true, Check: resource.TestCheckTypeSetElemAttr("truenas_user.op", "roles.*", "READONLY_ADMIN")},
			{
				Config: cfg("Backup Admins", `["SHARING_ADMIN", "REPLICATION_ADMIN"]`, true),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("truenas_privilege.p", plancheck.ResourceActionUpdate)}},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("truenas_privilege.p", "name", "Backup Admins"),
					resource.TestCheckResourceAttr("truenas_privilege.p", "roles.#", "2"),
					resource.TestCheckTypeSetElemAttr("truenas_privilege.p", "roles.*", "REPLICATION_ADMIN"),
					resource.TestCheckResourceAttr("truenas_privilege.p", "web_shell", "true"),
					func(*terraform.State) error {
						if r := box.rolesOf(t, "backup1"); !slices.Equal(r, []string{"REPLICATION_ADMIN", "SHARING_ADMIN"}) {
							return fmt.Errorf("backup1 roles %v", r)
						}
						return nil
					},
				),
			},
			{ResourceName: "truenas_privilege.p", ImportState: true, ImportStateId: "Backup Admins", ImportStateVerify: true},
			{ResourceName: "truenas_privilege.p", ImportState: true, ImportStateIdFunc: stateID("truenas_privilege.p"), ImportStateVerify: true},
			// An import block by name: the plan imports and changes nothing.
			{Config: cfg("Backup Admins", `["SHARING_ADMIN", "REPLICATION_ADMIN"]`, true), ResourceName: "truenas_privilege.p", ImportState: true,
				ImportStateKind: resource.ImportBlockWithID, ImportStateId: "Backup Admins"},
			// A role changed on the box shows in the plan and is restored.
			{
				PreConfig: func() {
					id := box.idOf(t, "privilege.query", "name", "Backup Admins")
					box.call(t, "privilege.update", id, map[string]any{"roles": []string{"FULL_ADMIN"}})
				},
				Config: cfg("Backup Admins", `["SHARING_ADMIN", "REPLICATION_ADMIN"]`, true),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("truenas_privilege.p", plancheck.ResourceActionUpdate)}},
				Check: resource.TestCheckResourceAttr("truenas_privilege.p", "roles.#", "2"),
			},
			// Refused at apply by the box, with TrueNAS's message on the attribute.
			{
				Config:      cfg("Local Administrator", `["SHARING_ADMIN", "REPLICATION_ADMIN"]`, true),
				ExpectError: wrapped("Object with this name already exists (TrueNAS attribute privilege_update.name, EINVAL)"),
			},
			// Deleted behind Terraform's back: planned for creation again.
			{
				PreConfig: func() {
					box.call(t, "privilege.delete", box.idOf(t, "privilege.query", "name", "Backup Admins"))
				},
				Config: cfg("Backup Admins", `["SHARING_ADMIN", "REPLICATION_ADMIN"]`, true),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("truenas_privilege.p", plancheck.ResourceActionCreate)}},
			},
		},
	})
}

// TestAccPrivilegeBuiltin manages built-in privileges by importing them:
// their groups and web shell change in place, their read-only fields and
// TrueNAS's other built-in rules are refused at plan time, and destroy gives
// them back their own group.
func TestAccPrivilegeBuiltin(t *testing.T) {
	box := startAccBox(t)
	cfg := func(ro, la string) string {
		return box.config + `
resource "truenas_group" "readers" {
  name = "readers"
  smb  = false
}
resource "truenas_privilege" "ro" {
` + ro + `
}
resource "truenas_privilege" "la" {
` + la + `
}
`
	}
	roOK := `  name         = "Read-Only Administrator"
  local_groups = [951, truenas_group.readers.gid]
  roles        = ["READONLY_ADMIN"]`
	roBase := `  name         = "Read-Only Administrator"
  local_groups = [951]
  roles        = ["READONLY_ADMIN"]`
	laWith := func(groups string) string {
		return `  name         = "Local Administrator"
  local_groups = ` + groups + `
  roles        = ["FULL_ADMIN"]
  web_shell    = true`
	}
	laOK := laWith("[544]")
	planErr := func(ro, la string, message string) resource.TestStep {
		return resource.TestStep{Config: cfg(ro, la), PlanOnly: true, ExpectError: wrapped(message)}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		CheckDestroy: func(*terraform.State) error {
			// Still there, with its own group only; the group added here is gone.
			var ps []privilegeWire
			if err := json.Unmarshal(box.call(t, "privilege.query", [][]any{{"name", "=", "Read-Only Administrator"}}), &ps); err != nil || len(ps) != 1 {
				return fmt.Errorf("read-only administrator: %v %v", ps, err)
			}
			if len(ps[0].LocalGroups) != 1 || *ps[0].LocalGroups[0].GID != 951 || ps[0].WebShell {
				return fmt.Errorf("read-only administrator after destroy: %+v", ps[0])
			}
			return box.checkGone(t, "group.query", "name", "readers")(nil)
		},
		Steps: []resource.TestStep{
			{ResourceName: "truenas_privilege.ro", ImportState: true, ImportStateId: "Read-Only Administrator", ImportStatePersist: true,
				Config: box.config + `resource "truenas_privilege" "ro" {` + "\n" + roBase + "\n}\n"},
			{ResourceName: "truenas_privilege.la", ImportState: true, ImportStateId: "Local Administrator", ImportStatePersist: true,
				Config: box.config + `resource "truenas_privilege" "ro" {` + "\n" + roBase + "\n}\n" +
					`resource "truenas_privilege" "la" {` + "\n" + laOK + "\n}\n"},
			{
				Config: cfg(roOK, laOK),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("truenas_privilege.ro", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("truenas_privilege.la", plancheck.ResourceActionNoop)}},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("truenas_privilege.ro", "builtin_name", "READONLY_ADMINISTRATOR"),
					resource.TestCheckResourceAttr("truenas_privilege.ro", "local_groups.#", "2"),
					resource.TestCheckResourceAttr("truenas_privilege.la", "builtin_name", "LOCAL_ADMINISTRATOR"),
					resource.TestCheckResourceAttr("truenas_privilege.la", "web_shell", "true"),
				),
			},
			planErr(`  name = "Readers"`+"\n"+`  roles = ["READONLY_ADMIN"]`, laOK,
				"This field is read-only for built-in privileges (TrueNAS attribute privilege_update.name, EINVAL)"),
			planErr(`  name = "Read-Only Administrator"`+"\n"+`  roles = ["READONLY_ADMIN", "SHARING_ADMIN"]`, laOK,
				"This field is read-only for built-in privileges (TrueNAS attribute privilege_update.roles, EINVAL)"),
			planErr(roOK+"\n  web_shell = true", laOK,
				`Web shell access may not be enabled for the built-in group for read-only administrators.`),
			planErr(roOK, laWith("[951]"),
				`The group builtin_administrators must be among grantees of the "Local Administrator" privilege.`),
			// The sandbox's root has a password (as a TrueNAS box's first
			// administrator does), so the Local Administrator privilege can
			// take another group. (The engine's tests cover the refusal when
			// no grantee has password login: only the box can tell.)
			{
				Config: cfg(roOK, laWith("[544, truenas_group.readers.gid]")),
				Check:  resource.TestCheckResourceAttr("truenas_privilege.la", "local_groups.#", "2"),
			},
		},
	})
}
