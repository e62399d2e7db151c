package provider

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	tfpath "github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// planUser is a plan with the schema defaults filled in.
func planUser() userModel {
	return userModel{
		ID: types.StringUnknown(), UID: types.Int64Unknown(), Username: types.StringValue("alice"),
		FullName: types.StringValue("Alice A"), Email: types.StringNull(), Group: types.Int64Unknown(),
		GroupCreate: types.BoolValue(true), Groups: types.SetUnknown(types.Int64Type),
		Home: types.StringValue(account.DefaultHome), HomeCreate: types.BoolValue(false),
		HomeMode: types.StringValue(defaultHomeMode), Shell: types.StringValue(account.DefaultShell),
		Password: types.StringValue("s3cret!"), PasswordWO: types.StringNull(), PasswordWOVersion: types.Int64Null(),
		PasswordDisabled: types.BoolValue(false), SSHPubKey: types.StringNull(), Locked: types.BoolValue(false),
		SMB: types.BoolValue(true), SudoCommands: emptyStringList(), SudoCommandsNopasswd: emptyStringList(),
		SSHPasswordEnabled: types.BoolValue(false), Builtin: types.BoolUnknown(), Immutable: types.BoolUnknown(),
		Local: types.BoolUnknown(), Roles: types.ListUnknown(types.StringType),
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBuildUserCreate(t *testing.T) {
	p := planUser()
	p.Email = types.StringValue("")
	p.SSHPubKey = types.StringValue("  ssh-ed25519 AAAA x@y \n")
	got := buildUserCreate(p, types.StringNull())
	want := `{"full_name":"Alice A","group_create":true,"home":"/var/empty","home_create":false,"home_mode":"700",` +
		`"locked":false,"password":"s3cret!","password_disabled":false,"shell":"/usr/bin/zsh","smb":true,` +
		`"ssh_password_enabled":false,"sshpubkey":"ssh-ed25519 AAAA x@y","sudo_commands":[],"sudo_commands_nopasswd":[],"username":"alice"}`
	if s := jsonOf(t, got.m); s != want {
		t.Errorf("payload\n got %s\nwant %s", s, want)
	}
	if !got.unknown["uid"] || !got.unknown["group"] || !got.unknown["groups"] {
		t.Errorf("unknown = %v", got.unknown)
	}

	// password_wo is used when password is null.
	p.Password = types.StringNull()
	got = buildUserCreate(p, types.StringValue("wo-pass"))
	if got.m["password"] != "wo-pass" {
		t.Errorf("password_wo not sent: %v", got.m["password"])
	}
	p.Groups = int64Set([]int64{7, 3})
	p.Group = types.Int64Value(4)
	p.GroupCreate = types.BoolValue(false)
	got = buildUserCreate(p, types.StringNull())
	if s := jsonOf(t, got.m["groups"]); s != "[3,7]" || got.m["group"] != int64(4) || got.m["group_create"] != false {
		t.Errorf("groups/group: %s %v %v", s, got.m["group"], got.m["group_create"])
	}
}

func stateUser() userModel {
	s := planUser()
	s.ID = types.StringValue("12")
	s.UID = types.Int64Value(3000)
	s.Group = types.Int64Value(40)
	s.Groups = int64Set(nil)
	s.Builtin, s.Immutable, s.Local = types.BoolValue(false), types.BoolValue(false), types.BoolValue(true)
	s.Roles = emptyStringList()
	return s
}

func TestBuildUserUpdateSendsOnlyChanges(t *testing.T) {
	state := stateUser()
	plan := state
	if p := buildUserUpdate(plan, state, types.StringNull()); len(p.m) != 0 {
		t.Fatalf("no change gave %v", p.m)
	}
	// Removing the password from the configuration does not clear it on the box.
	plan.Password = types.StringNull()
	if p := buildUserUpdate(plan, state, types.StringNull()); len(p.m) != 0 {
		t.Fatalf("password removal sent %v", p.m)
	}
	plan = state
	plan.Password = types.StringValue("n3w")
	plan.Email = types.StringValue("a@example.com")
	plan.SSHPubKey = types.StringValue("k1\n")
	plan.Shell = types.StringValue("/usr/bin/bash")
	plan.Home = types.StringValue("/mnt/tank/homes")
	plan.HomeCreate = types.BoolValue(true)
	want := `{"email":"a@example.com","home":"/mnt/tank/homes","home_create":true,"password":"n3w","shell":"/usr/bin/bash","sshpubkey":"k1"}`
	if s := jsonOf(t, buildUserUpdate(plan, state, types.StringNull()).m); s != want {
		t.Errorf("update\n got %s\nwant %s", s, want)
	}
	// Clearing email and key sends null; whitespace-only key changes send nothing.
	state2 := state
	state2.Email = types.StringValue("a@example.com")
	state2.SSHPubKey = types.StringValue("k1")
	plan = state2
	plan.SSHPubKey = types.StringValue("k1\n\n")
	if p := buildUserUpdate(plan, state2, types.StringNull()); len(p.m) != 0 {
		t.Errorf("whitespace change sent %v", p.m)
	}
	plan.Email = types.StringNull()
	plan.SSHPubKey = types.StringNull()
	if s := jsonOf(t, buildUserUpdate(plan, state2, types.StringNull()).m); s != `{"email":null,"sshpubkey":null}` {
		t.Errorf("clear: %s", s)
	}
	// password_wo is sent when its version changes.
	plan = state
	plan.Password = types.StringNull()
	state3 := state
	state3.Password = types.StringNull()
	plan.PasswordWOVersion = types.Int64Value(2)
	if p := buildUserUpdate(plan, state3, types.StringValue("wo")); p.m["password"] != "wo" {
		t.Errorf("password_wo not sent on version change: %v", p.m)
	}
	if p := buildUserUpdate(state3, state3, types.StringValue("wo")); len(p.m) != 0 {
		t.Errorf("password_wo sent without version change: %v", p.m)
	}
}

// After an import, group_create, home_create and home_mode are null (not
// known) and home is the full path: configuring them as they were used
// sends nothing; a real change of the home is still sent, with its mode.
func TestBuildUserUpdateAfterImport(t *testing.T) {
	state := stateUser()
	state.Password = types.StringNull()
	state.GroupCreate, state.HomeCreate, state.HomeMode = types.BoolNull(), types.BoolNull(), types.StringNull()
	state.Home = types.StringValue("/mnt/tank/alice")
	state.HomeDirectory = types.StringValue("/mnt/tank/alice")

	documented := state
	documented.GroupCreate = types.BoolValue(true)
	documented.Home = types.StringValue("/mnt/tank")
	documented.HomeCreate = types.BoolValue(true)
	documented.HomeMode = types.StringValue("750")
	if p := buildUserUpdate(documented, state, types.StringNull()); len(p.m) != 0 || len(p.unknown) != 0 {
		t.Errorf("the documented configuration of an imported user sent %v (unknown %v)", p.m, p.unknown)
	}
	asRead := state
	asRead.HomeCreate = types.BoolValue(false)
	if p := buildUserUpdate(asRead, state, types.StringNull()); len(p.m) != 0 {
		t.Errorf("home as read with home_create = false sent %v", p.m)
	}

	moved := documented
	moved.Home = types.StringValue("/mnt/tank/homes")
	want := `{"home":"/mnt/tank/homes","home_create":true,"home_mode":"750"}`
	if s := jsonOf(t, buildUserUpdate(moved, state, types.StringNull()).m); s != want {
		t.Errorf("a new home after an import\n got %s\nwant %s", s, want)
	}

	// Once recorded, a change of home_mode is sent, and group_create is
	// not an update field at all.
	recorded := documented
	recorded.HomeMode = types.StringValue("700")
	recorded.GroupCreate = types.BoolValue(false)
	if s := jsonOf(t, buildUserUpdate(recorded, documented, types.StringNull()).m); s != `{"home_mode":"700"}` {
		t.Errorf("home_mode change after it was recorded: %s", s)
	}
}

func TestUserPathMapping(t *testing.T) {
	cases := []struct {
		attr  string
		useWO bool
		want  string
		ok    bool
	}{
		{"user_create.username", false, "username", true},
		{"user_update.groups.3", false, "groups", true},
		{"user_create.sudo_commands.2", false, "sudo_commands[2]", true},
		{"user_update.sudo_commands_nopasswd.0", false, "sudo_commands_nopasswd[0]", true},
		{"user_create.password", false, "password", true},
		{"user_create.password", true, "password_wo", true},
		{"user_create", false, "", false},
		{"user_create.random_password", false, "", false},
		{"", false, "", false},
	}
	for _, c := range cases {
		p, ok := mapAttribute(c.attr, userPathMapper(c.useWO))
		if ok != c.ok || (ok && p.String() != c.want) {
			t.Errorf("%q -> %q %v, want %q %v", c.attr, p.String(), ok, c.want, c.ok)
		}
	}
	var diags diag.Diagnostics
	addValidationErrors(&diags, "Invalid user", account.Errors{
		{Attribute: "user_create.username", Message: "bad", Errno: account.EINVAL},
		{Attribute: "user_create", Message: "whole", Errno: account.EINVAL},
	}, userPathMapper(false))
	if len(diags) != 2 {
		t.Fatalf("diags = %v", diags)
	}
	if d, ok := diags[0].(diag.DiagnosticWithPath); !ok || !d.Path().Equal(tfpath.Root("username")) {
		t.Errorf("first diagnostic has no username path: %v", diags[0])
	}
	if _, ok := diags[1].(diag.DiagnosticWithPath); ok {
		t.Errorf("second diagnostic has a path")
	}
}

func TestPayloadFilterSkipsUnknown(t *testing.T) {
	p := newPayload()
	p.unknown["username"] = true
	es := p.filter(account.Errors{
		{Attribute: "user_create.username", Message: "Field required"},
		{Attribute: "user_create.full_name", Message: "x"},
		{Attribute: "user_create", Message: "y"},
	})
	if len(es) != 1 || es[0].Attribute != "user_create.full_name" {
		t.Errorf("filter = %v", es)
	}
}

func TestUserStateNoDrift(t *testing.T) {
	prior := planUser()
	prior.Email = types.StringValue("")
	prior.Home = types.StringValue("/mnt/tank/homes")
	prior.HomeCreate = types.BoolValue(true)
	prior.SSHPubKey = types.StringValue("ssh-ed25519 AAAA\n")
	prior.Groups = int64Set([]int64{7})
	key := "ssh-ed25519 AAAA"
	e := &account.UserEntry{ID: 12, UID: 3000, Username: "alice", FullName: "Alice A", Home: "/mnt/tank/homes/alice",
		Shell: account.DefaultShell, SMB: true, Group: account.UserGroupRef{ID: 40}, Groups: []int64{7, 45},
		SSHPubKey: &key, Local: true, Roles: []string{}}
	s := userState(prior, e, autoGroups{builtinUsers: 45})
	if s.Email.ValueString() != "" || s.Email.IsNull() {
		t.Errorf("email = %v", s.Email)
	}
	if s.Home.ValueString() != "/mnt/tank/homes" {
		t.Errorf("home = %v", s.Home)
	}
	if s.SSHPubKey.ValueString() != "ssh-ed25519 AAAA\n" {
		t.Errorf("sshpubkey = %q", s.SSHPubKey.ValueString())
	}
	if ids, _ := setInts(s.Groups); len(ids) != 1 || ids[0] != 7 {
		t.Errorf("groups = %v", ids)
	}
	if s.ID.ValueString() != "12" || s.Group.ValueInt64() != 40 || !s.Password.Equal(prior.Password) {
		t.Errorf("state = %+v", s)
	}
	if s.HomeDirectory.ValueString() != "/mnt/tank/homes/alice" {
		t.Errorf("home_directory = %v", s.HomeDirectory)
	}
	// Listed builtin_users is kept; after an import (null prior) what
	// TrueNAS never returns stays null (not known), and home is the path.
	prior.Groups = int64Set([]int64{7, 45})
	if ids, _ := setInts(userState(prior, e, autoGroups{builtinUsers: 45}).Groups); len(ids) != 2 {
		t.Errorf("listed builtin_users dropped: %v", ids)
	}
	imp := userModel{ID: types.StringValue("12")}
	imp.Roles = types.ListNull(types.StringType)
	imp.Groups = types.SetNull(types.Int64Type)
	imp.SudoCommands, imp.SudoCommandsNopasswd = types.ListNull(types.StringType), types.ListNull(types.StringType)
	s = userState(imp, e, autoGroups{builtinUsers: 45})
	if s.Home.ValueString() != "/mnt/tank/homes/alice" || s.HomeDirectory.ValueString() != "/mnt/tank/homes/alice" ||
		!s.HomeMode.IsNull() || !s.GroupCreate.IsNull() || !s.HomeCreate.IsNull() || !s.Password.IsNull() {
		t.Errorf("import state = %+v", s)
	}
	// Changes on the box show.
	e.Shell = "/usr/bin/bash"
	e.Email = nil
	prior.Email = types.StringValue("a@b.c")
	s = userState(prior, e, autoGroups{builtinUsers: 45})
	if s.Shell.ValueString() != "/usr/bin/bash" || !s.Email.IsNull() {
		t.Errorf("drift hidden: %v %v", s.Shell, s.Email)
	}
	_ = attr.Value(nil)
}

func TestPlanUserValidationNoBox(t *testing.T) {
	needTerraform(t)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		Steps: []resource.TestStep{
			{
				Config: noBoxConfig + `
resource "truenas_user" "u" {
  username     = "bad name!"
  full_name    = "Bad"
  group_create = true
  password     = "x"
}`,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Invalid user.*username`),
			},
			{
				Config: noBoxConfig + `
resource "truenas_user" "u" {
  username  = "alice"
  full_name = "Alice"
  password  = "x"
}`,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?i)group`),
			},
			{
				Config: noBoxConfig + `
resource "truenas_user" "u" {
  username          = "alice"
  full_name         = "Alice"
  group_create      = true
  password_disabled = true
}`,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?i)SMB users`),
			},
			{
				// The shared-box rules (issue 10) are static: at plan time.
				Config: noBoxConfig + `
resource "truenas_user" "u" {
  username     = "alice"
  full_name    = "Alice"
  group_create = true
  password     = "x"
  home         = "/mnt/tank/../../usr/local/bin"
}`,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`must reside within a pool mount point`),
			},
			{
				Config: noBoxConfig + `
resource "truenas_user" "u" {
  username               = "alice"
  full_name              = "Alice\r"
  group_create           = true
  password               = "x"
  sudo_commands_nopasswd = ["/usr/bin/id\nALL ALL=(ALL) NOPASSWD: ALL"]
}`,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Control characters.*Control characters`),
			},
			{
				Config: noBoxConfig + `
resource "truenas_user" "u" {
  username      = "alice"
  full_name     = "Alice"
  group_create  = true
  password      = "x"
  sudo_commands = ["ALL", "/usr/bin/ls"]
}`,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?i)ALL cannot be used with other commands`),
			},
			{
				// What sudo would read otherwise than asked: refused at plan
				// time, each with its index (internal/sudoers).
				Config: noBoxConfig + `
resource "truenas_user" "u" {
  username               = "alice"
  full_name              = "Alice"
  group_create           = true
  password               = "x"
  sudo_commands          = ["ALL /usr/bin/ls", "'ALL'", "/usr/bin/echo 'a b'"]
  sudo_commands_nopasswd = ["/usr/bin/echo ^x$"]
}`,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)ALL\s+grants\s+every.*sudo_commands\.0.*ALL\s+grants\s+every.*sudo_commands\.1.*white\s+space.*sudo_commands\.2.*regular\s+expression.*sudo_commands_nopasswd\.0`),
			},
			{
				Config: noBoxConfig + `
resource "truenas_user" "u" {
  username     = provider::truenas::suggest_username("John Doe")
  full_name    = "John Doe"
  group_create = true
  password     = "x"
}
output "name" { value = truenas_user.u.username }`,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
		},
	})
}

// notReturned are the truenas_user arguments TrueNAS never returns: null
// (not known) after an import, so an import cannot verify them.
var notReturned = []string{"password", "group_create", "home_create", "home_mode"}

func TestAccUser(t *testing.T) {
	box := startAccBox(t)
	cfg := func(fullName, shell string, uid int) string {
		return box.config + fmt.Sprintf(`
resource "truenas_group" "g" {
  name = "accstaff"
}
resource "truenas_user" "u" {
  username      = "alice"
  full_name     = %q
  uid           = %d
  group         = truenas_group.g.id
  groups        = []
  password      = "Secret-123"
  email         = ""
  shell         = %q
  sudo_commands = ["ALL"]
}
resource "truenas_user" "own" {
  username     = "bob"
  full_name    = "Bob"
  group_create = true
  smb          = false
  password_disabled = true
}
`, fullName, uid, shell)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		CheckDestroy:             box.checkGone(t, "user.query", "username", "alice", "bob"),
		Steps: []resource.TestStep{
			{
				Config: cfg("Alice A", "/usr/bin/zsh", 4000),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("truenas_user.u", "username", "alice"),
					resource.TestCheckResourceAttr("truenas_user.u", "uid", "4000"),
					resource.TestCheckResourceAttr("truenas_user.u", "smb", "true"),
					resource.TestCheckResourceAttr("truenas_user.u", "groups.#", "0"),
					resource.TestCheckResourceAttr("truenas_user.u", "email", ""),
					resource.TestCheckResourceAttrPair("truenas_user.u", "group", "truenas_group.g", "id"),
					resource.TestCheckResourceAttrSet("truenas_user.own", "group"),
				),
			},
			{ResourceName: "truenas_user.u", ImportState: true, ImportStateId: "alice", ImportStateVerify: true,
				ImportStateVerifyIgnore: append(notReturned, "email")},
			{ResourceName: "truenas_user.u", ImportState: true, ImportStateIdFunc: stateID("truenas_user.u"), ImportStateVerify: true,
				ImportStateVerifyIgnore: append(notReturned, "email")},
			// An import block by name plans no change. TrueNAS never shows a
			// password, so the configuration of an imported user leaves it
			// out (removing it keeps the box's password); and it reads an
			// empty email back as null, so `email = ""` would be one
			// invisible in-place update.
			{Config: strings.NewReplacer(`password      = "Secret-123"`, "", `email         = ""`, "").Replace(cfg("Alice A", "/usr/bin/zsh", 4000)),
				ResourceName: "truenas_user.u", ImportState: true, ImportStateKind: resource.ImportBlockWithID, ImportStateId: "alice"},
			{
				Config: cfg("Alice B", "/usr/bin/bash", 4000),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("truenas_user.u", plancheck.ResourceActionUpdate)}},
				Check: resource.TestCheckResourceAttr("truenas_user.u", "full_name", "Alice B"),
			},
			{
				Config: cfg("Alice B", "/usr/bin/bash", 4001),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("truenas_user.u", plancheck.ResourceActionDestroyBeforeCreate)}},
				Check: resource.TestCheckResourceAttr("truenas_user.u", "uid", "4001"),
			},
			{
				PreConfig: func() {
					id := box.idOf(t, "user.query", "username", "alice")
					box.call(t, "user.update", id, map[string]any{"full_name": "Changed", "shell": "/usr/bin/zsh"})
				},
				Config: cfg("Alice B", "/usr/bin/bash", 4001),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("truenas_user.u", plancheck.ResourceActionUpdate)}},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("truenas_user.u", "full_name", "Alice B"),
					resource.TestCheckResourceAttr("truenas_user.u", "shell", "/usr/bin/bash"),
				),
			},
			{
				PreConfig: func() {
					id := box.idOf(t, "user.query", "username", "alice")
					box.call(t, "user.delete", id, map[string]any{"delete_group": false})
				},
				Config: cfg("Alice B", "/usr/bin/bash", 4001),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("truenas_user.u", plancheck.ResourceActionCreate)}},
			},
		},
	})
}

func TestAccUserSMBNeedsPassword(t *testing.T) {
	box := startAccBox(t)
	cfg := func(smb bool, pw string) string {
		return box.config + fmt.Sprintf(`
resource "truenas_user" "u" {
  username     = "carol"
  full_name    = "Carol"
  group_create = true
  smb          = %t
  password     = %q
}
`, smb, pw)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		CheckDestroy:             box.checkGone(t, "user.query", "username", "carol"),
		Steps: []resource.TestStep{
			{Config: cfg(false, "Pw-1")},
			{Config: cfg(true, "Pw-1"), PlanOnly: true, ExpectError: regexp.MustCompile(`Password must be reset`)},
			{Config: cfg(true, "Pw-2"), Check: resource.TestCheckResourceAttr("truenas_user.u", "smb", "true")},
			{
				// Update rules see the current user: smb stays true here.
				Config: box.config + `
resource "truenas_user" "u" {
  username          = "carol"
  full_name         = "Carol"
  group_create      = true
  password_disabled = true
}`,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)may not be disabled for SMB users.*user_update\.password_disabled`),
			},
		},
	})
}

func TestAccUserHomeAndKey(t *testing.T) {
	box := startAccBox(t)
	cfgFor := func(name string) string {
		return box.config + `
resource "truenas_user" "d" {
  username     = "` + name + `"
  full_name    = "Dave"
  group_create = true
  password     = "Pw-dave-1"
  home         = "/mnt/tank"
  home_create  = true
  home_mode    = "750"
  sshpubkey    = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl dave@example\n"
}
`
	}
	cfg := cfgFor("dave")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		CheckDestroy:             box.checkGone(t, "user.query", "username", "dave", "dave2"),
		Steps: []resource.TestStep{
			{Config: cfg, Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("truenas_user.d", "home", "/mnt/tank"),
				func(*terraform.State) error {
					var rows []map[string]any
					_ = json.Unmarshal(box.call(t, "user.query"), &rows)
					for _, r := range rows {
						if r["username"] == "dave" && r["home"] != "/mnt/tank/dave" {
							return fmt.Errorf("home on the box = %v", r["home"])
						}
					}
					return nil
				},
			)},
			{
				// Rename in place: the home keeps its old name on the box.
				Config: cfgFor("dave2"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("truenas_user.d", plancheck.ResourceActionUpdate)}},
				Check: resource.TestCheckResourceAttr("truenas_user.d", "home", "/mnt/tank"),
			},
		},
	})
}

func TestAccUserApplyErrorsAreAttributeDiagnostics(t *testing.T) {
	box := startAccBox(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		Steps: []resource.TestStep{{
			// Box-dependent rule: only the engine knows root exists.
			Config: box.config + `
resource "truenas_user" "u" {
  username     = "root"
  full_name    = "Not Root"
  group_create = true
  password     = "Pw-root-1"
}`,
			ExpectError: regexp.MustCompile(`(?s)username "root" already exists.*user_create\.username`),
		}},
	})
}

// TestAccUserPlanIsConstantCalls checks that refreshing many users costs a
// constant number of engine calls (one query per kind), not one per user.
func TestAccUserPlanIsConstantCalls(t *testing.T) {
	box := startAccBox(t)
	cfg := box.config + `
resource "truenas_group" "g" {
  name = "many"
}
resource "truenas_user" "u" {
  count     = 40
  username  = "many${count.index}"
  full_name = "Many ${count.index}"
  group     = truenas_group.g.id
  password  = "Pw-many-1"
}
`
	var before int64
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				PreConfig: func() { before = box.sb.Stats().Calls },
				Config:    cfg,
				PlanOnly:  true,
				Check: func(*terraform.State) error {
					return nil
				},
			},
			{
				PreConfig: func() {
					// One plan (with refresh) of 41 resources.
					if n := box.sb.Stats().Calls - before; n > 12 {
						t.Errorf("a plan of 40 users made %d engine calls", n)
					} else {
						t.Logf("a plan-only step over 40 users made %d engine calls", n)
					}
				},
				Config:   cfg,
				PlanOnly: true,
			},
		},
	})
}

// TestAccUserReusedGroupSurvives: group_create reuses a group of the
// user's name that exists already (here a truenas_group of the same
// configuration); destroying the user must not delete that group.
func TestAccUserReusedGroupSurvives(t *testing.T) {
	box := startAccBox(t)
	group := box.config + `
resource "truenas_group" "shared" {
  name = "shared"
  smb  = false
}
`
	user := `
resource "truenas_user" "shared" {
  username          = "shared"
  full_name         = "Shared"
  group_create      = true
  password_disabled = true
  smb               = false
  depends_on        = [truenas_group.shared]
}
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		CheckDestroy:             box.checkGone(t, "group.query", "name", "shared"),
		Steps: []resource.TestStep{
			{Config: group + user, Check: resource.TestCheckResourceAttrPair("truenas_user.shared", "group", "truenas_group.shared", "id")},
			// The user goes; the group stays, and its resource plans nothing.
			{Config: group, Check: func(*terraform.State) error {
				if box.idOf(t, "group.query", "name", "shared") == 0 {
					return fmt.Errorf("destroying the user deleted the group it reused")
				}
				return nil
			}},
		},
	})
}

// A home written with a trailing "/" or "//" is stored normalised by the
// engine; the state keeps the value written, and the next plan is empty.
func TestAccUserHomeNormalised(t *testing.T) {
	box := startAccBox(t)
	if err := os.MkdirAll(filepath.Join(box.sb.Root, "mnt/tank/shared/erin"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := box.config + `
resource "truenas_user" "e" {
  username     = "erin"
  full_name    = "Erin"
  group_create = true
  password     = "Pw-erin-1"
  home         = "/mnt/tank//shared/erin/"
}
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		CheckDestroy:             box.checkGone(t, "user.query", "username", "erin"),
		Steps: []resource.TestStep{
			{Config: cfg, Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("truenas_user.e", "home", "/mnt/tank//shared/erin/"),
				func(*terraform.State) error {
					var rows []map[string]any
					_ = json.Unmarshal(box.call(t, "user.query"), &rows)
					for _, r := range rows {
						if r["username"] == "erin" && r["home"] != "/mnt/tank/shared/erin" {
							return fmt.Errorf("home on the box = %v", r["home"])
						}
					}
					return nil
				},
			)},
		},
	})
}
