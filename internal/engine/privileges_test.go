package engine

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

func privilegeByName(t *testing.T, e *Engine, name string) account.PrivilegeEntry {
	t.Helper()
	return decode[account.PrivilegeEntry](t, mustCall(t, e, "privilege.query", `[["name","=","`+name+`"]]`, `{"get":true}`))
}

// localGroup reads one expanded local_groups item.
func localGroup(t *testing.T, v any) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("local group %v", v)
	}
	return m
}

func TestPrivilegeRoles(t *testing.T) {
	e := openTest(t)
	all := decode[[]account.RoleInfo](t, mustCall(t, e, "privilege.roles"))
	if len(all) != len(account.RoleNames()) || all[0].Name != "ACCOUNT_READ" || all[len(all)-1].Name != "READONLY_ADMIN" {
		t.Fatalf("roles: %d, first %s", len(all), all[0].Name)
	}
	ro := decode[map[string]any](t, mustCall(t, e, "privilege.roles", `[["name","=","VM_WRITE"]]`, `{"get":true}`))
	b, _ := json.Marshal(ro)
	if string(b) != `{"builtin":true,"includes":["VM_READ"],"name":"VM_WRITE","stig":null,"title":"VM_WRITE"}` {
		t.Fatalf("VM_WRITE: %s", b)
	}
	names := decode[[]map[string]any](t, mustCall(t, e, "privilege.roles", `[["builtin","=",false]]`, `{"select":["name"],"order_by":["name"]}`))
	var got []string
	for _, n := range names {
		got = append(got, n["name"].(string))
	}
	if !slices.Equal(got, []string{"FULL_ADMIN", "READONLY_ADMIN", "REPLICATION_ADMIN", "SHARING_ADMIN"}) {
		t.Fatalf("administrator roles %v", got)
	}
	if n := decode[int](t, mustCall(t, e, "privilege.roles", `[["name","^","SHARING_ISCSI"]]`, `{"count":true}`)); n != 18 {
		t.Fatalf("iSCSI roles %d", n)
	}
	_, err := call(t, e, "privilege.roles", `{}`)
	wantErr(t, err, "[EINVAL] filters: Input should be a valid list")
}

func TestPrivilegeLifecycle(t *testing.T) {
	e := openTest(t)
	mustCall(t, e, "group.create", `{"name":"backup_ops","smb":false}`)
	ops := groupByName(t, e, "backup_ops")
	u := createUser(t, e, `{"username":"bob","full_name":"Bob","group_create":true,"password":"pw","smb":false,"groups":[`+itoa(ops.ID)+`]}`)
	if len(u.Roles) != 0 {
		t.Fatalf("roles before %v", u.Roles)
	}
	_, err := call(t, e, "api_key.create", `{"name":"bk","username":"bob"}`)
	wantErr(t, err, "[EINVAL] api_key_create: User lacks privilege role membership.")

	p := decode[account.PrivilegeEntry](t, mustCall(t, e, "privilege.create",
		`{"name":"Backup Operators","local_groups":[`+itoa(ops.GID)+`],"roles":["READONLY_ADMIN"],"web_shell":false}`))
	if p.ID != 4 || p.BuiltinName != nil || p.Name != "Backup Operators" || !slices.Equal(p.Roles, []string{"READONLY_ADMIN"}) || p.WebShell ||
		len(p.LocalGroups) != 1 || len(p.DSGroups) != 0 {
		t.Fatalf("created %+v", p)
	}
	if g := localGroup(t, p.LocalGroups[0]); g["name"] != "backup_ops" || g["gid"] != float64(ops.GID) || g["id"] != float64(ops.ID) {
		t.Fatalf("local group %v", g)
	}
	// The roles of the group and of its members come from the privilege.
	ue := decode[account.UserEntry](t, mustCall(t, e, "user.get_instance", itoa(u.ID)))
	if !slices.Equal(ue.Roles, []string{"READONLY_ADMIN"}) {
		t.Fatalf("user roles %v", ue.Roles)
	}
	if g := groupByName(t, e, "backup_ops"); !slices.Equal(g.Roles, []string{"READONLY_ADMIN"}) {
		t.Fatalf("group roles %v", g.Roles)
	}
	n := decode[int](t, mustCall(t, e, "user.query", `[["roles","rin","READONLY_ADMIN"]]`, `{"count":true}`))
	if n != 1 {
		t.Fatalf("users with READONLY_ADMIN: %d", n)
	}
	key := decode[map[string]any](t, mustCall(t, e, "api_key.create", `{"name":"bk","username":"bob"}`))
	login := decode[map[string]any](t, mustCall(t, e, "auth.login_ex",
		`{"mechanism":"API_KEY_PLAIN","username":"bob","api_key":"`+key["key"].(string)+`","login_options":{"user_info":true}}`))
	priv := login["user_info"].(map[string]any)["privilege"].(map[string]any)
	roles := priv["roles"].(map[string]any)["$set"].([]any)
	if !slices.Contains(roles, any("READONLY_ADMIN")) || !slices.Contains(roles, any("ACCOUNT_READ")) || slices.Contains(roles, any("ACCOUNT_WRITE")) ||
		priv["web_shell"] != false || priv["webui_access"] != true {
		t.Fatalf("login privilege %v", priv)
	}

	// get_instance, filters.
	gi := decode[account.PrivilegeEntry](t, mustCall(t, e, "privilege.get_instance", itoa(p.ID)))
	if gi.Name != p.Name {
		t.Fatalf("get_instance %+v", gi)
	}
	_, err = call(t, e, "privilege.get_instance", "99")
	wantErr(t, err, "Privilege 99 does not exist")
	if c := decode[int](t, mustCall(t, e, "privilege.query", `[["builtin_name","=",null]]`, `{"count":true}`)); c != 1 {
		t.Fatalf("custom privileges %d", c)
	}
	if c := decode[int](t, mustCall(t, e, "privilege.query", `[["local_groups.*.name","rin","backup_ops"]]`, `{"count":true}`)); c != 1 {
		t.Fatalf("by group name %d", c)
	}

	// Update: roles, web shell; a rename to a taken name is refused.
	up := decode[account.PrivilegeEntry](t, mustCall(t, e, "privilege.update", itoa(p.ID), `{"roles":["SHARING_ADMIN","REPLICATION_ADMIN"],"web_shell":true}`))
	if !slices.Equal(up.Roles, []string{"SHARING_ADMIN", "REPLICATION_ADMIN"}) || !up.WebShell || up.Name != "Backup Operators" || len(up.LocalGroups) != 1 {
		t.Fatalf("updated %+v", up)
	}
	ue = decode[account.UserEntry](t, mustCall(t, e, "user.get_instance", itoa(u.ID)))
	if !slices.Equal(ue.Roles, []string{"REPLICATION_ADMIN", "SHARING_ADMIN"}) {
		t.Fatalf("user roles after update %v", ue.Roles)
	}
	_, err = call(t, e, "privilege.update", itoa(p.ID), `{"name":"Sharing Administrator"}`)
	wantErr(t, err, "[EINVAL] privilege_update.name: Object with this name already exists")

	// The group a privilege names cannot be deleted.
	_, err = call(t, e, "group.delete", itoa(ops.ID))
	wantErr(t, err, "[EACCES] This group is used by privilege 'Backup Operators'. Please remove it from that privilege first, then delete the group.")
	// Nor can its gid be taken by a new group.
	_, err = call(t, e, "privilege.update", itoa(p.ID), `{"local_groups":[]}`)
	if err != nil {
		t.Fatal(err)
	}
	if ue := decode[account.UserEntry](t, mustCall(t, e, "user.get_instance", itoa(u.ID))); len(ue.Roles) != 0 {
		t.Fatalf("roles after the group left: %v", ue.Roles)
	}
	mustCall(t, e, "group.delete", itoa(ops.ID))

	// Delete.
	if got := string(mustCall(t, e, "privilege.delete", itoa(p.ID))); got != "true" {
		t.Fatalf("delete: %s", got)
	}
	_, err = call(t, e, "privilege.delete", itoa(p.ID))
	wantErr(t, err, "Privilege 4 does not exist")
}

func TestPrivilegeErrors(t *testing.T) {
	e := openTest(t)
	mustCall(t, e, "group.create", `{"name":"ct","smb":false,"userns_idmap":"DIRECT"}`)
	ct := groupByName(t, e, "ct")
	for _, tc := range []struct {
		method string
		args   []string
		want   string
	}{
		{"privilege.create", []string{`{"name":"Local Administrator","web_shell":false}`}, "[EINVAL] privilege_create.name: Object with this name already exists"},
		{"privilege.create", []string{`{"name":"X","local_groups":[4242],"web_shell":false}`},
			"[EINVAL] privilege_create.local_groups.0: 4242: local group does not exist. This error may be addressed by either re-creating the missing group with the specified group id or removing this entry from the privilege."},
		{"privilege.create", []string{`{"name":"X","local_groups":[` + itoa(ct.GID) + `],"web_shell":false}`},
			"[EINVAL] privilege_update.local_groups.0: Privileges may not be granted to groups that have a user namespace idmap configured."},
		{"privilege.create", []string{`{"name":"X","ds_groups":[` + itoa(ct.GID+1) + `],"web_shell":false}`},
			"[EINVAL] privilege_create.ds_groups.0: " + itoa(ct.GID+1) + ": directory service group does not exist."},
		{"privilege.create", []string{`{"name":"X","roles":["FULL_ADMIN","ROOT"],"web_shell":false}`}, "[EINVAL] privilege_create.roles.1: Invalid role"},
		{"privilege.create", []string{`{"name":"X"}`}, "[EINVAL] privilege_create.web_shell: Field required"},
		{"privilege.create", []string{`{"name":"X","web_shell":false,"builtin_name":"LOCAL_ADMINISTRATOR"}`}, "[EINVAL] privilege_create.builtin_name: Extra inputs are not permitted"},
		{"privilege.create", []string{`[]`}, "[EINVAL] privilege_create: Input should be a valid dictionary or instance of PrivilegeCreate"},
		{"privilege.update", []string{"1", `{"name":"Admins"}`}, "[EINVAL] privilege_update.name: This field is read-only for built-in privileges"},
		{"privilege.update", []string{"2", `{"roles":["READONLY_ADMIN","SHARING_ADMIN"]}`}, "[EINVAL] privilege_update.roles: This field is read-only for built-in privileges"},
		{"privilege.update", []string{"2", `{"web_shell":true}`}, "[EINVAL] privilege_update.web_shell: Web shell access may not be enabled for the built-in group for read-only administrators."},
		{"privilege.update", []string{"1", `{"local_groups":[951]}`}, `[EINVAL] privilege_update.local_groups: The group builtin_administrators must be among grantees of the "Local Administrator" privilege.`},
		// root has no password on an empty root: nobody can log in as a Local Administrator.
		{"privilege.update", []string{"1", `{"web_shell":false}`}, `[EINVAL] privilege_update.local_groups: None of the members of these groups has password login enabled. At least one grantee of the "Local Administrator" privilege must have password login enabled.`},
		{"privilege.update", []string{"9", `{}`}, "Privilege 9 does not exist"},
		{"privilege.update", []string{"2"}, "[EINVAL] privilege_update: Field required"},
		{"privilege.update", []string{"2", `[]`}, "[EINVAL] privilege_update: Input should be a valid dictionary or instance of PrivilegeUpdate"},
		{"privilege.delete", []string{"1"}, "[EPERM] Unable to delete built-in privilege"},
		{"privilege.delete", []string{"3"}, "[EPERM] Unable to delete built-in privilege"},
		{"privilege.delete", []string{`"x"`}, "[EINVAL] id: Input should be a valid integer"},
	} {
		_, err := call(t, e, tc.method, tc.args...)
		wantErr(t, err, tc.want)
	}
	// Nothing was written.
	if n := decode[int](t, mustCall(t, e, "privilege.query", `[]`, `{"count":true}`)); n != 3 {
		t.Fatalf("privileges %d", n)
	}
	if p := privilegeByName(t, e, "Read-Only Administrator"); p.WebShell || !slices.Equal(p.Roles, []string{"READONLY_ADMIN"}) {
		t.Fatalf("read-only administrator %+v", p)
	}
}

func TestPrivilegeLocalAdministrator(t *testing.T) {
	e := openTest(t)
	mustCall(t, e, "group.create", `{"name":"admins","smb":false}`)
	admins := groupByName(t, e, "admins")
	boss := createUser(t, e, `{"username":"boss","full_name":"Boss","group_create":true,"password":"pw","smb":false,"groups":[`+itoa(admins.ID)+`]}`)
	if got := decode[bool](t, mustCall(t, e, "user.has_local_administrator_set_up")); got {
		t.Fatal("administrator before the privilege names the group")
	}
	la := decode[account.PrivilegeEntry](t, mustCall(t, e, "privilege.update", "1", `{"local_groups":[544,`+itoa(admins.GID)+`]}`))
	if len(la.LocalGroups) != 2 || localGroup(t, la.LocalGroups[1])["name"] != "admins" {
		t.Fatalf("Local Administrator %+v", la)
	}
	if got := decode[bool](t, mustCall(t, e, "user.has_local_administrator_set_up")); !got {
		t.Fatal("boss is a Local Administrator")
	}
	ue := decode[account.UserEntry](t, mustCall(t, e, "user.get_instance", itoa(boss.ID)))
	if !slices.Equal(ue.Roles, []string{"FULL_ADMIN"}) {
		t.Fatalf("boss roles %v", ue.Roles)
	}
	// boss is the only password-enabled grantee.
	_, err := call(t, e, "user.delete", itoa(boss.ID))
	wantErr(t, err, "[EACCES] After deleting this user no local user will have built-in privilege 'Local Administrator'.")
	_, err = call(t, e, "user.update", itoa(boss.ID), `{"password_disabled":true}`)
	wantErr(t, err, "user_update.password_disabled: After disabling password for this user no password-enabled local user will have built-in privilege 'Local Administrator'.")
	_, err = call(t, e, "group.delete", itoa(admins.ID))
	wantErr(t, err, "[EACCES] This group is used by privilege 'Local Administrator'.")
	// Taking the group out of the privilege is refused too: nobody would be left.
	_, err = call(t, e, "privilege.update", "1", `{"local_groups":[544]}`)
	wantErr(t, err, "None of the members of these groups has password login enabled.")

	// A FULL_ADMIN custom privilege grants the role, not Local Administrator.
	mustCall(t, e, "group.create", `{"name":"full","smb":false}`)
	full := groupByName(t, e, "full")
	mustCall(t, e, "privilege.create", `{"name":"Full","local_groups":[`+itoa(full.GID)+`],"roles":["FULL_ADMIN"],"web_shell":true}`)
	carl := createUser(t, e, `{"username":"carl","full_name":"Carl","group_create":true,"password":"pw","smb":false,"groups":[`+itoa(full.ID)+`]}`)
	if !slices.Equal(carl.Roles, []string{"FULL_ADMIN"}) {
		t.Fatalf("carl roles %v", carl.Roles)
	}
	_, err = call(t, e, "user.delete", itoa(boss.ID))
	wantErr(t, err, "After deleting this user no local user will have built-in privilege 'Local Administrator'.")
	mustCall(t, e, "api_key.create", `{"name":"ck","username":"carl"}`)
}

func TestPrivilegeMissingGroup(t *testing.T) {
	e := openTest(t)
	mustCall(t, e, "group.create", `{"name":"gone","smb":false}`)
	g := groupByName(t, e, "gone")
	p := decode[account.PrivilegeEntry](t, mustCall(t, e, "privilege.create", `{"name":"P","local_groups":[`+itoa(g.GID)+`],"web_shell":false}`))
	// The group is removed behind the engine's back, from the store and
	// from the box's etc/group (as groupdel would).
	if _, err := e.db.Exec(`DELETE FROM groups WHERE id = ?`, g.ID); err != nil {
		t.Fatal(err)
	}
	groupFile := filepath.Join(e.Root(), "etc", "group")
	data, err := os.ReadFile(groupFile)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if !strings.HasPrefix(line, "gone:") {
			kept = append(kept, line)
		}
	}
	if err := os.WriteFile(groupFile, []byte(strings.Join(kept, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	q := privilegeByName(t, e, "P")
	if len(q.LocalGroups) != 1 {
		t.Fatalf("local groups %v", q.LocalGroups)
	}
	b, _ := json.Marshal(q.LocalGroups[0])
	if string(b) != `{"gid":`+itoa(g.GID)+`,"group":null,"sid":null}` {
		t.Fatalf("unmapped entry %s", b)
	}
	_, err = call(t, e, "privilege.update", itoa(p.ID), `{"web_shell":true}`)
	wantErr(t, err, "[EINVAL] privilege_update.local_groups.0: "+itoa(g.GID)+": local group does not exist.")
	// The gid stays taken while a privilege names it.
	_, err = call(t, e, "group.create", `{"name":"again","gid":`+itoa(g.GID)+`,"smb":false}`)
	wantErr(t, err, "[EINVAL] group_create.gid: A privilege 'P' already uses this group ID.")
	if next := decode[int64](t, mustCall(t, e, "group.get_next_gid")); next == g.GID {
		t.Fatalf("get_next_gid offers %d, which privilege P names", next)
	}
	mustCall(t, e, "privilege.update", itoa(p.ID), `{"local_groups":[]}`)
	mustCall(t, e, "group.create", `{"name":"again","gid":`+itoa(g.GID)+`,"smb":false}`)
}

// The privilege methods through the engine command line, as midclt prints
// their answers.
func TestPrivilegeCLI(t *testing.T) {
	root := t.TempDir()
	eng := func(stdin string, args ...string) cliResult {
		return runCLI(t, stdin, "truenas-engine", append([]string{"--root", root, "call"}, args...)...)
	}
	eng("", "privilege.roles", `[["name","=","FULL_ADMIN"]]`, `{"get":true}`).want(t,
		`{"name": "FULL_ADMIN", "title": "FULL_ADMIN", "includes": [], "builtin": false, "stig": 1}`+"\n", "", 0)
	eng("", "privilege.delete", "1").want(t, "", "[EPERM] Unable to delete built-in privilege\n", 1)
	eng(`{"name":"X","roles":["NOPE"],"web_shell":false}`, "privilege.create", "-").want(t, "", "[EINVAL] privilege_create.roles.0: Invalid role\n", 1)
	eng(`{"name":"X","web_shell":false}`, "privilege.create", "-").want(t,
		`{"id": 4, "builtin_name": null, "name": "X", "local_groups": [], "ds_groups": [], "roles": [], "web_shell": false}`+"\n", "", 0)
	eng("", "privilege.update", "2", `{"web_shell":true}`).want(t, "",
		"[EINVAL] privilege_update.web_shell: Web shell access may not be enabled for the built-in group for read-only administrators.\n", 1)
	eng("", "privilege.delete", "4").want(t, "True\n", "", 0)
}
