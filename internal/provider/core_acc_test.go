package provider

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/nasops/terraform-provider-truenas/internal/remote"
	"github.com/nasops/terraform-provider-truenas/internal/sandbox"
)

// coreUser is a user as CORE 13.3's user.query answers it, read on the
// box behind the provider's back.
type coreUser struct {
	ID               int64    `json:"id"`
	UID              int64    `json:"uid"`
	Home             string   `json:"home"`
	Sudo             bool     `json:"sudo"`
	SudoNopasswd     bool     `json:"sudo_nopasswd"`
	SudoCommands     []string `json:"sudo_commands"`
	MicrosoftAccount bool     `json:"microsoft_account"`
}

func (b *accBox) coreUser(t *testing.T, username string) coreUser {
	t.Helper()
	var us []coreUser
	if err := json.Unmarshal(b.call(t, "user.query", []any{[]any{"username", "=", username}}), &us); err != nil || len(us) != 1 {
		t.Fatalf("user %s: %v %d", username, err, len(us))
	}
	return us[0]
}

// checkCoreUser checks CORE's own fields of a user on the box.
func (b *accBox) checkCoreUser(t *testing.T, username string, want func(coreUser) error) resource.TestCheckFunc {
	return func(*terraform.State) error { return want(b.coreUser(t, username)) }
}

// startCoreBox starts a CORE 13.3 sandbox with an executable
// /usr/local/bin/smartctl in its root (CORE checks that a sudo command's
// executable exists).
func startCoreBox(t *testing.T) *accBox {
	box := startAccBoxWith(t, sandbox.Options{Release: "13.3"})
	exe := filepath.Join(box.sb.Root, "usr/local/bin/smartctl")
	if err := os.MkdirAll(filepath.Dir(exe), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return box
}

// TestAccCore13_3 runs users, groups, API keys, data sources and import
// against a TrueNAS CORE 13.3 sandbox, which speaks only DDP on
// /var/run/middlewared.sock: the provider finds it without being told,
// CORE's fields are what the box stores (microsoft_account, sudo,
// sudo_nopasswd, sudo_commands, CORE's home rule), a uid changes in
// place, every second plan is empty, and what CORE cannot say is refused
// at plan time naming the release.
func TestAccCore13_3(t *testing.T) {
	box := startCoreBox(t)
	var v string
	if err := json.Unmarshal(box.call(t, "system.version"), &v); err != nil || !strings.HasPrefix(v, "TrueNAS-13.3-U1.2") {
		t.Fatalf("system.version %q %v", v, err)
	}
	if tr := box.rc.Transport(); tr.Kind != remote.TransportDDP || !strings.Contains(tr.Reason, "/var/run/middlewared.sock") {
		t.Fatalf("the test client's transport: %+v", tr)
	}
	cfgWith := box.config + `
resource "truenas_group" "g" {
  name                   = "corestaff"
  sudo_commands_nopasswd = ["ALL"]
  gid                    = %d
}
resource "truenas_user" "u" {
  username          = "coreu"
  full_name         = "Core User"
  group             = truenas_group.g.id
  groups            = []
  password          = "Secret-123"
  shell             = "/bin/csh"
  home              = "/mnt/tank"
  home_create       = true
  microsoft_account = true
  %s
}
resource "truenas_api_key" "k" {
  name = "corekey"
}
data "truenas_user" "u" {
  username   = truenas_user.u.username
  depends_on = [truenas_user.u]
}
data "truenas_users" "all" {
  depends_on = [truenas_user.u]
}
data "truenas_group" "g" {
  name       = truenas_group.g.name
  depends_on = [truenas_group.g]
}
`
	cfgOf := func(gid int, user string) string { return fmt.Sprintf(cfgWith, gid, user) }
	cfg := cfgOf(3100, `sudo_commands = ["/usr/local/bin/smartctl -a"]`)
	cfgMoved := cfgOf(4100, `sudo_commands_nopasswd = ["ALL"]
  uid = 4321`)
	var firstID, firstGroupID string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		CheckDestroy:             box.checkGone(t, "user.query", "username", "coreu"),
		Steps: []resource.TestStep{{
			Config: cfg,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("truenas_user.u", "home_directory", "/mnt/tank/coreu"),
				resource.TestCheckResourceAttr("truenas_user.u", "home", "/mnt/tank"),
				resource.TestCheckResourceAttr("truenas_user.u", "microsoft_account", "true"),
				resource.TestCheckResourceAttr("truenas_user.u", "sudo_commands.0", "/usr/local/bin/smartctl -a"),
				resource.TestCheckResourceAttr("truenas_user.u", "sudo_commands_nopasswd.#", "0"),
				resource.TestCheckResourceAttr("truenas_user.u", "roles.#", "0"),
				resource.TestCheckResourceAttr("truenas_group.g", "sudo_commands_nopasswd.0", "ALL"),
				resource.TestCheckResourceAttrSet("truenas_api_key.k", "key"),
				resource.TestCheckNoResourceAttr("truenas_api_key.k", "username"),
				resource.TestCheckResourceAttr("data.truenas_user.u", "microsoft_account", "true"),
				resource.TestCheckResourceAttr("data.truenas_user.u", "group_name", "corestaff"),
				resource.TestCheckResourceAttr("data.truenas_group.g", "sudo_commands_nopasswd.0", "ALL"),
				resource.TestCheckResourceAttrPair("data.truenas_user.u", "uid", "truenas_user.u", "uid"),
				func(s *terraform.State) error {
					firstID = s.RootModule().Resources["truenas_user.u"].Primary.ID
					firstGroupID = s.RootModule().Resources["truenas_group.g"].Primary.ID
					return nil
				},
				box.checkCoreUser(t, "coreu", func(u coreUser) error {
					if !u.Sudo || u.SudoNopasswd || len(u.SudoCommands) != 1 || !u.MicrosoftAccount || u.Home != "/mnt/tank/coreu" || u.UID < 1000 {
						return fmt.Errorf("CORE's fields: %+v", u)
					}
					return nil
				}),
			),
		}, {
			Config:   cfg,
			PlanOnly: true,
		}, {
			// sudo without a password for every command, a new uid and a
			// new gid: in place on CORE.
			Config: cfgMoved,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("truenas_user.u", "uid", "4321"),
				resource.TestCheckResourceAttr("truenas_user.u", "sudo_commands.#", "0"),
				resource.TestCheckResourceAttr("truenas_user.u", "sudo_commands_nopasswd.0", "ALL"),
				resource.TestCheckResourceAttr("truenas_group.g", "gid", "4100"),
				resource.TestCheckResourceAttr("data.truenas_user.u", "group_gid", "4100"),
				func(s *terraform.State) error {
					if id := s.RootModule().Resources["truenas_group.g"].Primary.ID; id != firstGroupID {
						return fmt.Errorf("the group was replaced (id %s, was %s), not renumbered", id, firstGroupID)
					}
					if id := s.RootModule().Resources["truenas_user.u"].Primary.ID; id != firstID {
						return fmt.Errorf("the user was replaced (id %s, was %s), not renumbered", id, firstID)
					}
					return nil
				},
				box.checkCoreUser(t, "coreu", func(u coreUser) error {
					if !u.Sudo || !u.SudoNopasswd || len(u.SudoCommands) != 0 || u.UID != 4321 {
						return fmt.Errorf("CORE's fields: %+v", u)
					}
					return nil
				}),
			),
		}, {
			Config:   cfgMoved,
			PlanOnly: true,
		}, {
			// A new parent for the home, the name not sent: CORE's home
			// path still ends with the username.
			Config: strings.Replace(cfgMoved, `home              = "/mnt/tank"`, `home              = "/mnt/tank/homes"`, 1),
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("truenas_user.u", "home_directory", "/mnt/tank/homes/coreu"),
				box.checkCoreUser(t, "coreu", func(u coreUser) error {
					if u.Home != "/mnt/tank/homes/coreu" {
						return fmt.Errorf("CORE's home: %+v", u)
					}
					return nil
				}),
			),
		}, {
			Config:   strings.Replace(cfgMoved, `home              = "/mnt/tank"`, `home              = "/mnt/tank/homes"`, 1),
			PlanOnly: true,
		}, {
			Config: cfgMoved,
			Check:  resource.TestCheckResourceAttr("truenas_user.u", "home_directory", "/mnt/tank/coreu"),
		}, {
			Config:                  cfgMoved,
			ResourceName:            "truenas_user.u",
			ImportState:             true,
			ImportStateVerify:       true,
			ImportStateIdFunc:       func(*terraform.State) (string, error) { return "coreu", nil },
			ImportStateVerifyIgnore: []string{"password", "group_create", "home_create", "home_mode", "home"},
		}, {
			Config:            cfgMoved,
			ResourceName:      "truenas_group.g",
			ImportState:       true,
			ImportStateVerify: true,
			ImportStateIdFunc: func(*terraform.State) (string, error) { return "corestaff", nil },
		}, {
			Config:                  cfgMoved,
			ResourceName:            "truenas_api_key.k",
			ImportState:             true,
			ImportStateVerify:       true,
			ImportStateIdFunc:       stateID("truenas_api_key.k"),
			ImportStateVerifyIgnore: []string{"key"},
		}, {
			Config:      cfgOf(4100, `sudo_commands = ["/usr/local/bin/smartctl"]`+"\n"+`sudo_commands_nopasswd = ["ALL"]`),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)TrueNAS CORE 13\.3.*sudo_commands.*cannot both be non-empty`),
		}, {
			Config:      strings.Replace(cfgMoved, `username          = "coreu"`, `username          = "corewithalongname"`, 1),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Value greater than 16 not allowed.*user_update.username`),
		}, {
			Config:      cfgOf(4100, `ssh_password_enabled = true`),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)TrueNAS CORE 13\.3.*ssh_password_enabled`),
		}, {
			Config:      strings.Replace(cfgMoved, `name = "corekey"`, `name = "corekey"`+"\n"+`username = "root"`, 1),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)TrueNAS CORE 13\.3.*username.*bound to no user`),
		}, {
			Config:      strings.Replace(cfgMoved, `name = "corekey"`, `name = "corekey"`+"\n"+`expires_at = "2099-01-01T00:00:00Z"`, 1),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)TrueNAS CORE 13\.3.*expires_at`),
		}, {
			Config: cfgMoved + `
resource "truenas_privilege" "p" {
  name  = "coreadmins"
  roles = ["READONLY_ADMIN"]
}
`,
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)TrueNAS CORE 13\.3.*privilege`),
		}, {
			Config:      cfgMoved + "\ndata \"truenas_privileges\" \"all\" {}\n",
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)TrueNAS CORE 13\.3.*privilege`),
		}},
	})
}

// TestAccCoreOnlyFieldsOnScale: microsoft_account = true is refused at
// plan time on SCALE naming CORE 13.3; false (the default) is never sent,
// and a key without username is refused naming the release.
func TestAccCoreOnlyFieldsOnScale(t *testing.T) {
	box := startAccBox(t)
	user := box.config + `
resource "truenas_user" "u" {
  username          = "scaleu"
  full_name         = "Scale User"
  group_create      = true
  password          = "Secret-123"
  microsoft_account = %t
}
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		CheckDestroy:             box.checkGone(t, "user.query", "username", "scaleu"),
		Steps: []resource.TestStep{{
			Config:      fmt.Sprintf(user, true),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)microsoft_account needs TrueNAS CORE 13\.3.*TrueNAS 25\.10\.6`),
		}, {
			Config: fmt.Sprintf(user, false),
			Check:  resource.TestCheckResourceAttr("truenas_user.u", "microsoft_account", "false"),
		}, {
			Config:   fmt.Sprintf(user, false),
			PlanOnly: true,
		}, {
			Config:      box.config + "resource \"truenas_api_key\" \"k\" {\n  name = \"nouser\"\n}\n",
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)TrueNAS 25\.10\.6.*set .username.`),
		}},
	})
}

// TestAccCoreMidclt: a CORE 13.3 box with stream-local forwarding off is
// reached through CORE's midclt, which takes arguments on its command line
// only: refused without engine_args_on_command_line, naming it; with it,
// users and groups work and the second plan is empty.
func TestAccCoreMidclt(t *testing.T) {
	box := startAccBoxWith(t, sandbox.Options{Release: "13.3", NoStreamLocal: true})
	res := `
resource "truenas_group" "g" {
  name = "midstaff"
}
resource "truenas_user" "u" {
  username      = "midu"
  full_name     = "Midclt User"
  group         = truenas_group.g.id
  password      = "Secret-123"
  shell         = "/bin/sh"
  sudo_commands = ["ALL"]
}
`
	optIn := strings.Replace(box.config, `user             = "root"`, `user             = "root"
  engine_args_on_command_line = true`, 1)
	if optIn == box.config {
		t.Fatal("provider block not as expected")
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		CheckDestroy:             box.checkGone(t, "user.query", "username", "midu"),
		Steps: []resource.TestStep{{
			Config:      box.config + res,
			ExpectError: regexp.MustCompile(`(?s)middlewared.sock.*midclt \(TrueNAS.*CORE\s+13\.3\).*engine_args_on_command_line`),
		}, {
			Config: optIn + res,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("truenas_user.u", "sudo_commands.0", "ALL"),
				resource.TestCheckResourceAttr("truenas_user.u", "shell", "/bin/sh"),
			),
		}, {
			Config:   optIn + res,
			PlanOnly: true,
		}},
	})
}
