package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

func TestBuildGroupPayloads(t *testing.T) {
	plan := groupModel{ID: types.StringUnknown(), GID: types.Int64Unknown(), Name: types.StringValue("staff"),
		SMB: types.BoolValue(true), SudoCommands: emptyStringList(), SudoCommandsNopasswd: stringList([]string{"ALL"}),
		Users: types.SetUnknown(types.Int64Type)}
	p := buildGroupCreate(plan)
	if s := jsonOf(t, p.m); s != `{"name":"staff","smb":true,"sudo_commands":[],"sudo_commands_nopasswd":["ALL"]}` {
		t.Errorf("create %s", s)
	}
	if !p.unknown["gid"] || !p.unknown["users"] {
		t.Errorf("unknown %v", p.unknown)
	}
	state := plan
	state.ID, state.GID, state.Users = types.StringValue("5"), types.Int64Value(3000), int64Set([]int64{2})
	plan = state
	plan.Users = types.SetNull(types.Int64Type)
	if p := buildGroupUpdate(plan, state); len(p.m) != 0 {
		t.Errorf("unmanaged users sent %v", p.m)
	}
	plan.Users = int64Set([]int64{2, 3})
	plan.Name = types.StringValue("staff2")
	if s := jsonOf(t, buildGroupUpdate(plan, state).m); s != `{"name":"staff2","users":[2,3]}` {
		t.Errorf("update %s", s)
	}
}

func TestGroupStateHidesUnlistedPrimaryMembers(t *testing.T) {
	e := &account.GroupEntry{ID: 5, GID: 3000, Name: "staff", SMB: true, Users: []int64{2, 3, 4}, Local: true}
	prior := groupModel{Users: int64Set([]int64{3})}
	s := groupState(prior, e, []int64{2, 4})
	if ids, _ := setInts(s.Users); len(ids) != 1 || ids[0] != 3 {
		t.Errorf("users = %v", ids)
	}
	// Unmanaged: shows everything.
	s = groupState(groupModel{Users: types.SetUnknown(types.Int64Type)}, e, []int64{2, 4})
	if ids, _ := setInts(s.Users); len(ids) != 3 {
		t.Errorf("users = %v", ids)
	}
	if p, ok := mapAttribute("group_update.sudo_commands.1", groupPathMapper); !ok || p.String() != "sudo_commands[1]" {
		t.Errorf("mapping = %v", p)
	}
	if p, ok := mapAttribute("group_create.name", groupPathMapper); !ok || p.String() != "name" {
		t.Errorf("mapping = %v", p)
	}
}

func TestPlanGroupValidationNoBox(t *testing.T) {
	needTerraform(t)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		Steps: []resource.TestStep{
			{
				Config:      noBoxConfig + `resource "truenas_group" "g" { name = "bad name" }`,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Invalid group.*name`),
			},
			{
				Config:      noBoxConfig + `resource "truenas_group" "g" { name = "Users" }`,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`SMB`),
			},
			{
				Config:             noBoxConfig + `resource "truenas_group" "g" { name = "staff" }`,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
		},
	})
}

func TestAccGroup(t *testing.T) {
	box := startAccBox(t)
	cfg := func(name string, gid int, smb bool, members string) string {
		return box.config + fmt.Sprintf(`
resource "truenas_user" "m" {
  username     = "member1"
  full_name    = "Member One"
  group_create = true
  password     = "Pw-member-1"
}
resource "truenas_user" "p" {
  username  = "primary1"
  full_name = "Primary One"
  group     = truenas_group.g.id
  password  = "Pw-primary-1"
}
resource "truenas_group" "g" {
  name          = %q
  gid           = %d
  smb           = %t
  sudo_commands = ["ALL"]
  %s
}
`, name, gid, smb, members)
	}
	members := `users = [truenas_user.m.id]`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		CheckDestroy:             box.checkGone(t, "group.query", "name", "accg", "accg2"),
		Steps: []resource.TestStep{
			{Config: cfg("accg", 5000, true, "")},
			{Config: cfg("accg", 5000, true, members), Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("truenas_group.g", "users.#", "1"),
				resource.TestCheckResourceAttrPair("truenas_group.g", "users.0", "truenas_user.m", "id"),
			)},
			{ResourceName: "truenas_group.g", ImportState: true, ImportStateId: "accg", ImportStateVerify: true,
				ImportStateVerifyIgnore: []string{"users"}},
			{ResourceName: "truenas_group.g", ImportState: true, ImportStateIdFunc: stateID("truenas_group.g"), ImportStateVerify: true,
				ImportStateVerifyIgnore: []string{"users"}},
			// An import block by name: the plan imports and changes nothing.
			{Config: cfg("accg", 5000, true, members), ResourceName: "truenas_group.g", ImportState: true,
				ImportStateKind: resource.ImportBlockWithID, ImportStateId: "accg"},
			{
				Config: cfg("accg2", 5000, false, members),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("truenas_group.g", plancheck.ResourceActionUpdate)}},
				Check: resource.TestCheckResourceAttr("truenas_group.g", "name", "accg2"),
			},
			{
				Config: cfg("accg2", 5000, false, `users = []`),
				Check:  resource.TestCheckResourceAttr("truenas_group.g", "users.#", "0"),
			},
			{
				PreConfig: func() {
					id := box.idOf(t, "group.query", "name", "accg2")
					box.call(t, "group.update", id, map[string]any{"smb": true, "sudo_commands": []string{}})
				},
				Config: cfg("accg2", 5000, false, `users = []`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("truenas_group.g", plancheck.ResourceActionUpdate)}},
				Check: resource.TestCheckResourceAttr("truenas_group.g", "smb", "false"),
			},
			{
				Config: cfg("accg2", 5001, false, `users = []`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("truenas_group.g", plancheck.ResourceActionDestroyBeforeCreate)}},
				Check: resource.TestCheckResourceAttr("truenas_group.g", "gid", "5001"),
			},
			{
				PreConfig: func() {
					// Out-of-band delete of a group with no primary members.
					id := box.idOf(t, "user.query", "username", "primary1")
					box.call(t, "user.delete", id, map[string]any{"delete_group": false})
					gid := box.idOf(t, "group.query", "name", "accg2")
					box.call(t, "group.delete", gid, map[string]any{"delete_users": false})
				},
				Config: cfg("accg2", 5001, false, `users = []`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("truenas_group.g", plancheck.ResourceActionCreate)}},
			},
		},
	})
}

func TestAccMembershipFromUserSide(t *testing.T) {
	box := startAccBox(t)
	cfg := func(groups string) string {
		return box.config + fmt.Sprintf(`
resource "truenas_group" "a" {
  name = "team_a"
}
resource "truenas_group" "b" {
  name = "team_b"
}
resource "truenas_user" "u" {
  username     = "frank"
  full_name    = "Frank"
  group_create = true
  password     = "Pw-frank-1"
  groups       = %s
}
`, groups)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		CheckDestroy:             box.checkGone(t, "group.query", "name", "team_a", "team_b", "frank"),
		Steps: []resource.TestStep{
			{Config: cfg(`[truenas_group.a.id]`), Check: resource.TestCheckResourceAttr("truenas_user.u", "groups.#", "1")},
			{RefreshState: true, Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("truenas_group.a", "users.#", "1"),
				resource.TestCheckResourceAttrPair("truenas_group.a", "users.0", "truenas_user.u", "id"),
				resource.TestCheckResourceAttr("truenas_group.b", "users.#", "0"),
			)},
			{Config: cfg(`[truenas_group.a.id, truenas_group.b.id]`), Check: resource.TestCheckResourceAttr("truenas_user.u", "groups.#", "2")},
			{
				// Membership changed on the box shows in the plan and is restored.
				PreConfig: func() {
					id := box.idOf(t, "user.query", "username", "frank")
					box.call(t, "user.update", id, map[string]any{"groups": []int64{}})
				},
				Config: cfg(`[truenas_group.a.id, truenas_group.b.id]`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("truenas_user.u", plancheck.ResourceActionUpdate)}},
				Check: resource.TestCheckResourceAttr("truenas_user.u", "groups.#", "2"),
			},
		},
	})
}
