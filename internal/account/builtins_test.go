package account

import (
	"slices"
	"testing"
)

func TestBuiltinUsers(t *testing.T) {
	us := BuiltinUsers()
	if us[0].Username != "root" || us[0].UID != 0 || us[0].GID != 0 || us[0].Home != "/root" || us[0].Shell != "/usr/bin/zsh" {
		t.Errorf("root: %+v", us[0])
	}
	names := map[string]BuiltinUser{}
	uids := map[int64]string{}
	for _, u := range us {
		if _, dup := names[u.Username]; dup {
			t.Errorf("duplicate user %s", u.Username)
		}
		if o, dup := uids[u.UID]; dup {
			t.Errorf("uid %d of %s and %s", u.UID, o, u.Username)
		}
		names[u.Username], uids[u.UID] = u, u.Username
		if u.Home == "" || u.Shell == "" || u.Home == "/nonexistent" {
			t.Errorf("user %+v: home or shell", u)
		}
		if checkLocalUsername(u.Username) != "" && u.Username[0] != '_' {
			t.Errorf("user %s fails the username rule", u.Username)
		}
	}
	for name, want := range map[string]BuiltinUser{
		"apps":         {Username: "apps", UID: 568, GID: 568, Home: "/var/empty", Shell: "/usr/sbin/nologin", FullName: "Unprivileged Apps User", TrueNAS: true},
		"nobody":       {Username: "nobody", UID: 65534, GID: 65534, Home: "/var/empty", Shell: "/usr/sbin/nologin", FullName: "nobody"},
		"sshd":         {Username: "sshd", UID: 111, GID: 65534, Home: "/var/empty", Shell: "/usr/sbin/nologin", FullName: "Secure Shell Daemon"},
		"libvirt-qemu": {Username: "libvirt-qemu", UID: 986, GID: 106, Home: "/var/lib/libvirt", Shell: "/usr/sbin/nologin", FullName: "Libvirt Qemu,,,"},
		"ftp":          {Username: "ftp", UID: 121, GID: 65534, Home: "/var/empty", Shell: "/bin/csh"},
		"sssd":         {Username: "sssd", UID: 117, GID: 122, Home: "/var/lib/sss", Shell: "/usr/sbin/nologin"},
	} {
		if names[name] != want {
			t.Errorf("%s: got %+v want %+v", name, names[name], want)
		}
	}
	if _, ok := names["truenas_admin"]; ok {
		t.Error("truenas_admin is not built-in")
	}
}

func TestBuiltinGroups(t *testing.T) {
	gs := BuiltinGroups()
	byName := map[string]BuiltinGroup{}
	for _, g := range gs {
		if _, dup := byName[g.Name]; dup {
			t.Errorf("duplicate group %s", g.Name)
		}
		byName[g.Name] = g
	}
	for name, want := range map[string]BuiltinGroup{
		"root": {"root", 0, false, false}, "wheel": {"wheel", 0, false, false}, "ftp": {"ftp", 14, false, false}, "users": {"users", 100, false, false},
		"nogroup": {"nogroup", 65534, false, false}, "builtin_administrators": {"builtin_administrators", 544, true, true},
		"builtin_users": {"builtin_users", 545, true, true}, "builtin_guests": {"builtin_guests", 546, true, true},
		"apps": {"apps", 568, false, true}, "truenas_readonly_administrators": {"truenas_readonly_administrators", 951, false, true},
		"truenas_sharing_administrators": {"truenas_sharing_administrators", 952, false, true}, "libvirt-qemu": {"libvirt-qemu", 986, false, false},
		"incus": {"incus", 996, false, false}, "incus-admin": {"incus-admin", 995, false, false},
	} {
		if byName[name] != want {
			t.Errorf("%s: got %+v want %+v", name, byName[name], want)
		}
	}
	smb := 0
	for _, g := range gs {
		if g.SMB {
			smb++
		}
	}
	if smb != 3 {
		t.Errorf("%d SMB built-in groups, want 3", smb)
	}
	if byName["tty"].Immutable() != true || byName["builtin_users"].Immutable() || byName["ftp"].Immutable() || byName["apps"].Immutable() {
		t.Error("Immutable")
	}
	want := []int64{14, 445, 544, 545, 568, 951, 952}
	if !slices.Equal(AllowedBuiltinGIDs, want) {
		t.Errorf("AllowedBuiltinGIDs %v", AllowedBuiltinGIDs)
	}
	for _, gid := range want {
		if gid == 445 {
			continue // truenas_webshare_administrators: allowed, no such group in 25.10
		}
		found := false
		for _, g := range gs {
			found = found || g.GID == gid
		}
		if !found {
			t.Errorf("allowed gid %d is not a built-in group", gid)
		}
	}
}

func TestBuiltinPrivileges(t *testing.T) {
	ps := BuiltinPrivileges()
	want := []BuiltinPrivilege{
		{"LOCAL_ADMINISTRATOR", "Local Administrator", 544, "builtin_administrators", []string{"FULL_ADMIN"}, true},
		{"READONLY_ADMINISTRATOR", "Read-Only Administrator", 951, "truenas_readonly_administrators", []string{"READONLY_ADMIN"}, false},
		{"SHARING_ADMINISTRATOR", "Sharing Administrator", 952, "truenas_sharing_administrators", []string{"SHARING_ADMIN"}, false},
	}
	if len(ps) != len(want) {
		t.Fatalf("%d privileges", len(ps))
	}
	for i := range want {
		if ps[i].BuiltinName != want[i].BuiltinName || ps[i].Name != want[i].Name || ps[i].GID != want[i].GID || ps[i].Group != want[i].Group || !slices.Equal(ps[i].Roles, want[i].Roles) || ps[i].WebShell != want[i].WebShell {
			t.Errorf("privilege %d: %+v", i, ps[i])
		}
	}
	for _, tc := range []struct {
		gids []int64
		want []string
	}{
		{nil, []string{}},
		{[]int64{0, 100}, []string{}},
		{[]int64{544}, []string{"FULL_ADMIN"}},
		{[]int64{952, 951, 952}, []string{"READONLY_ADMIN", "SHARING_ADMIN"}},
	} {
		var privs []Privilege
		for _, p := range ps {
			privs = append(privs, Privilege{Name: p.Name, LocalGroups: []int64{p.GID}, Roles: p.Roles})
		}
		if got := RolesForGIDs(privs, tc.gids); !slices.Equal(got, tc.want) || got == nil {
			t.Errorf("RolesForGIDs(%v) = %v", tc.gids, got)
		}
	}
}

func TestSuggestUsername(t *testing.T) {
	for in, want := range map[string]string{
		"John Doe":                           "jdoe",
		"Madonna":                            "madonna",
		"Jean-Luc Picard":                    "jpicard",
		"  Doe,  John  ":                     "djohn",
		"Alexander Wolfeschlegelsteinhausen": "awolfesc",
		"Bartholomew":                        "bartholo",
		"Mary Ann\tSmith":                    "msmith",
		"":                                   "",
		"   ,, ":                             "",
		"Émile Zola":                         "ézola",
		"1st Person":                         "1person",
	} {
		if got := SuggestUsername(in); got != want {
			t.Errorf("SuggestUsername(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every built-in privilege is bound to a TrueNAS group of its gid, so its
// gid is reserved with the privilege's roles; every reserved id is unique
// per kind.
func TestReservedIdentitiesCoverThePrivileges(t *testing.T) {
	res := ReservedIdentities()
	for _, p := range BuiltinPrivileges() {
		found := false
		for _, r := range res {
			if !r.User && r.Name == p.Group && r.ID == p.GID && slices.Equal(r.Roles, p.Roles) {
				found = true
			}
		}
		if !found {
			t.Errorf("privilege %s (group %s, gid %d) has no reserved group with its roles", p.BuiltinName, p.Group, p.GID)
		}
	}
	seen := map[[2]int64]string{}
	for _, r := range res {
		kind := int64(0)
		if r.User {
			kind = 1
		}
		if prev, dup := seen[[2]int64{kind, r.ID}]; dup {
			t.Errorf("reserved id %d twice: %s and %s", r.ID, prev, r.Name)
		}
		seen[[2]int64{kind, r.ID}] = r.Name
	}
	for _, want := range []int64{544, 545, 546, 951, 952, 950} {
		if _, ok := seen[[2]int64{0, want}]; !ok {
			t.Errorf("gid %d is not reserved", want)
		}
	}
	if _, ok := seen[[2]int64{1, UIDTruenasAdmin}]; !ok {
		t.Error("uid 950 is not reserved")
	}
}

// A group that holds an allowed built-in gid under another name is not
// TrueNAS's: it stays immutable.
func TestAllowedBuiltinGroupByNameAndGID(t *testing.T) {
	for _, gid := range AllowedBuiltinGIDs {
		name, builtin := allowedBuiltinNames[gid]
		if !builtin {
			// An allowed gid with no built-in group in this image
			// (445 on 25.10): no group name makes it TrueNAS's.
			if AllowedBuiltinGroup("", gid) {
				t.Errorf("gid %d allowed without a built-in group", gid)
			}
		} else if name == "" || !AllowedBuiltinGroup(name, gid) {
			t.Errorf("gid %d (%q) not allowed", gid, name)
		}
		if AllowedBuiltinGroup("intruder", gid) {
			t.Errorf("intruder at gid %d allowed", gid)
		}
	}
	if AllowedBuiltinGroup("tty", 5) {
		t.Error("tty allowed")
	}
}
