package provider

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/nasops/terraform-provider-truenas/internal/sandbox"
)

// TestAccGuideCoreToScale runs the guide's configuration
// (examples/guides/core-to-scale/main.tf, as the guide shows it, with its
// required_providers) with the CLI under test and the built provider against a CORE 13.3 sandbox holding accounts made with
// CORE's own API and an empty SCALE 25.10 sandbox: the SCALE box gets the
// groups and users with their ids, memberships, sudo and homes, the
// second plan is empty, and destroy takes them off SCALE only.
func TestAccGuideCoreToScale(t *testing.T) {
	coreBox := startCoreBox(t)
	scaleBox := startAccBoxWith(t, sandbox.Options{Release: "25.10"})
	// SCALE checks that a sudo command's executable exists, as CORE does:
	// the guide says to have it there (or to change the path).
	exe := filepath.Join(scaleBox.sb.Root, "usr/local/bin/smartctl")
	if err := os.MkdirAll(filepath.Dir(exe), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}

	var eng int64
	if err := json.Unmarshal(coreBox.call(t, "group.create", map[string]any{"name": "eng", "gid": 2001, "smb": false,
		"sudo": true, "sudo_nopasswd": true, "sudo_commands": []string{"/usr/local/bin/smartctl"}}), &eng); err != nil || eng == 0 {
		t.Fatalf("group.create on CORE: %d %v", eng, err)
	}
	coreBox.call(t, "user.create", map[string]any{"username": "ann", "full_name": "Ann Lee", "group_create": true,
		"password": "Old-pass-1", "home": "/mnt/tank/ann", "shell": "/usr/local/bin/bash", "sudo": true,
		"groups": []int64{eng}, "email": "ann@example.com", "microsoft_account": true})
	coreBox.call(t, "user.create", map[string]any{"username": "bob", "full_name": "Bob", "group": eng, "uid": 1500,
		"password_disabled": true, "smb": false})

	// The built provider, run by the CLI as a user runs it: each provider
	// block is its own provider process (the test harness's in-process
	// provider would serve both aliases from one).
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "terraform-provider-truenas"), "github.com/nasops/terraform-provider-truenas")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	work := t.TempDir()
	cliConfig := filepath.Join(work, "terraformrc")
	guide, err := os.ReadFile("../../examples/guides/core-to-scale/main.tf")
	if err != nil {
		t.Fatal(err)
	}
	vars, _ := json.Marshal(map[string]any{
		"core_host": coreBox.sb.Host, "core_port": coreBox.sb.Port,
		"core_private_key_file": coreBox.sb.ClientKeyFile, "core_known_hosts_file": coreBox.sb.KnownHostsFile,
		"scale_host": scaleBox.sb.Host, "scale_port": scaleBox.sb.Port,
		"scale_private_key_file": scaleBox.sb.ClientKeyFile, "scale_known_hosts_file": scaleBox.sb.KnownHostsFile,
		"passwords": map[string]string{"ann": "New-pass-1"},
	})
	for name, text := range map[string]string{
		"terraformrc":           devOverridesConfig(bin),
		"main.tf":               string(guide),
		"versions.tf":           "terraform {\n  required_providers {\n    truenas = { source = \"nasops/truenas\" }\n  }\n}\n",
		"terraform.tfvars.json": string(vars),
	} {
		if err := os.WriteFile(filepath.Join(work, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cli := func(args ...string) (string, int) {
		cmd := exec.Command(cliUnderTest.path, args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+cliConfig, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("%s %v: %v", cliUnderTest.path, args, err)
		}
		return string(out), cmd.ProcessState.ExitCode()
	}

	type scaleUser struct {
		ID               int64    `json:"id"`
		UID              int64    `json:"uid"`
		Home             string   `json:"home"`
		Shell            string   `json:"shell"`
		Groups           []int64  `json:"groups"`
		SudoCommands     []string `json:"sudo_commands"`
		PasswordDisabled bool     `json:"password_disabled"`
		SMB              bool     `json:"smb"`
		Email            *string  `json:"email"`
		Group            struct {
			ID int64 `json:"id"`
		} `json:"group"`
	}
	scaleUserOf := func(name string) (scaleUser, error) {
		var us []scaleUser
		if err := json.Unmarshal(scaleBox.call(t, "user.query", []any{[]any{"username", "=", name}}), &us); err != nil || len(us) != 1 {
			return scaleUser{}, fmt.Errorf("user %s on SCALE: %v (%d found)", name, err, len(us))
		}
		return us[0], nil
	}
	onScale := func() error {
		var gs []struct {
			ID                   int64    `json:"id"`
			GID                  int64    `json:"gid"`
			SudoCommandsNopasswd []string `json:"sudo_commands_nopasswd"`
		}
		if err := json.Unmarshal(scaleBox.call(t, "group.query", []any{[]any{"name", "=", "eng"}}), &gs); err != nil || len(gs) != 1 {
			return fmt.Errorf("group eng on SCALE: %v", err)
		}
		g := gs[0]
		if g.GID != 2001 || !slices.Equal(g.SudoCommandsNopasswd, []string{"/usr/local/bin/smartctl"}) {
			return fmt.Errorf("group eng on SCALE: %+v", g)
		}
		ann, err := scaleUserOf("ann")
		if err != nil {
			return err
		}
		coreAnn := coreBox.coreUser(t, "ann")
		if ann.UID != coreAnn.UID || ann.Home != "/mnt/tank/ann" || ann.Shell != "/usr/bin/bash" || !slices.Contains(ann.Groups, g.ID) ||
			!slices.Equal(ann.SudoCommands, []string{"ALL"}) || ann.PasswordDisabled || !ann.SMB || ann.Email == nil || *ann.Email != "ann@example.com" {
			return fmt.Errorf("ann on SCALE: %+v (CORE uid %d)", ann, coreAnn.UID)
		}
		bob, err := scaleUserOf("bob")
		if err != nil {
			return err
		}
		if bob.UID != 1500 || bob.Group.ID != g.ID || !bob.PasswordDisabled || bob.SMB || bob.Home != "/var/empty" {
			return fmt.Errorf("bob on SCALE: %+v", bob)
		}
		return nil
	}
	if out, rc := cli("apply", "-auto-approve", "-no-color", "-input=false"); rc != 0 {
		t.Fatalf("apply: exit %d\n%s", rc, out)
	}
	if err := onScale(); err != nil {
		t.Fatal(err)
	}
	if out, rc := cli("plan", "-detailed-exitcode", "-no-color", "-input=false"); rc != 0 {
		t.Fatalf("second plan not empty (exit %d):\n%s", rc, out)
	}
	if out, rc := cli("destroy", "-auto-approve", "-no-color", "-input=false"); rc != 0 {
		t.Fatalf("destroy: exit %d\n%s", rc, out)
	}
	if err := scaleBox.checkGone(t, "user.query", "username", "ann", "bob")(nil); err != nil {
		t.Fatal(err)
	}
	// The CORE box was only read.
	if u := coreBox.coreUser(t, "ann"); !u.MicrosoftAccount || u.Home != "/mnt/tank/ann" {
		t.Fatalf("ann on CORE after the move: %+v", u)
	}
}
