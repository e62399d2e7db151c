package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// debianBase is the box before TrueNAS: the built-in accounts that are not
// TrueNAS's own, as etc/passwd and etc/group lines.
func debianBase() (passwd, group []string) {
	for _, u := range account.BuiltinUsers() {
		if !u.TrueNAS {
			passwd = append(passwd, fmt.Sprintf("%s:x:%d:%d:%s:%s:%s", u.Username, u.UID, u.GID, u.FullName, u.Home, u.Shell))
		}
	}
	for _, g := range account.BuiltinGroups() {
		if !g.TrueNAS {
			group = append(group, fmt.Sprintf("%s:x:%d:", g.Name, g.GID))
		}
	}
	return passwd, group
}

func writeBox(t *testing.T, passwd, group []string) string {
	t.Helper()
	root := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, "etc/passwd"), []byte(strings.Join(passwd, "\n")+"\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "etc/group"), []byte(strings.Join(group, "\n")+"\n"), 0o644))
	return root
}

// rolesOfEveryLine logs in as every uid of the box's etc/passwd and
// returns the roles each got.
func rolesOfEveryLine(t *testing.T, e *Engine) map[string][]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(e.Root(), "etc/passwd"))
	must(t, err)
	out := map[string][]string{}
	for _, l := range nssEntries(data, true) {
		if l.id == 0 || l.compat {
			continue
		}
		s, err := e.Login(context.Background(), Caller{UID: int64(l.id)})
		if err != nil {
			t.Fatal(err)
		}
		if len(s.roles) > 0 {
			out[l.name] = s.roles
		}
	}
	return out
}

// openRefused opens root and wants the adoption refused with every want in
// the message; the refused root must open once the line is fixed, and
// nothing of the refused run may be left.
func openRefused(t *testing.T, root string, wants ...string) {
	t.Helper()
	e, err := Open(root)
	if err == nil {
		e.Close()
		t.Fatalf("the box was adopted; want a refusal naming %q", wants)
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Fatalf("refusal %q does not say %q", err, w)
		}
	}
}

// A box adopted with its own accounts: TrueNAS's groups are added, the
// privileges are bound to them, and no line of the box gets a role.
func TestAdoptBindsPrivilegesToTheEnginesGroups(t *testing.T) {
	passwd, group := debianBase()
	passwd = append(passwd, "alice:x:1000:1000:Alice:/home/alice:/bin/sh", "bob:x:01001:0100::/home/bob:/bin/sh")
	group = append(group, "alice:x:1000:", "sudo2:x:1500:alice,bob")
	root := writeBox(t, passwd, group)
	e, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, p := range account.BuiltinPrivileges() {
		type lg struct {
			Name string `json:"name"`
			GID  int64  `json:"gid"`
		}
		privs := decode[[]struct {
			LocalGroups []lg `json:"local_groups"`
		}](t, mustCall(t, e, "privilege.query", `[["builtin_name","=","`+p.BuiltinName+`"]]`))
		if len(privs) != 1 || len(privs[0].LocalGroups) != 1 || privs[0].LocalGroups[0].Name != p.Group || privs[0].LocalGroups[0].GID != p.GID {
			t.Errorf("privilege %s is bound to %+v; want the engine's %s", p.BuiltinName, privs, p.Group)
		}
	}
	if got := rolesOfEveryLine(t, e); len(got) != 0 {
		t.Errorf("lines of the adopted box got roles: %v", got)
	}
	// bob's "01001" is uid 1001, as the system reads it.
	if u := decode[[]account.UserEntry](t, mustCall(t, e, "user.query", `[["username","=","bob"]]`)); len(u) != 1 || u[0].UID != 1001 {
		t.Errorf("bob adopted as %+v", u)
	}
	admins := groupByName(t, e, "builtin_administrators")
	if len(admins.Users) != 1 {
		t.Errorf("builtin_administrators has %v; want root only", admins.Users)
	}
}

// A line of the box at every reserved id (any spelling), with a reserved
// name at another id, a member of a privilege's group, or with such a
// group as its primary group: the engine refuses to adopt the box, naming
// the line, and saves nothing. The cases come from the built-in table, so
// a built-in added there is covered here.
func TestAdoptRefusesReservedIdentities(t *testing.T) {
	reserved := account.ReservedIdentities()
	if len(reserved) < 8 {
		t.Fatalf("only %d reserved identities", len(reserved))
	}
	for _, r := range reserved {
		kind, file := "gid", "group"
		if r.User {
			kind, file = "uid", "passwd"
		}
		id := strconv.FormatInt(r.ID, 10)
		for _, spelling := range []string{id, "0" + id, " +" + id} {
			t.Run(fmt.Sprintf("%s %s %q", kind, r.Name, spelling), func(t *testing.T) {
				passwd, group := debianBase()
				if r.User {
					passwd = append(passwd, "intruder:x:"+spelling+":100::/home/intruder:/bin/sh")
				} else {
					group = append(group, "intruder:x:"+spelling+":alice")
					passwd = append(passwd, "alice:x:1000:100::/home/alice:/bin/sh")
				}
				root := writeBox(t, passwd, group)
				openRefused(t, root, fmt.Sprintf(`etc/%s line %d "intruder" (%s %d)`, file, len(map[bool][]string{true: passwd, false: group}[r.User]), kind, r.ID),
					"TrueNAS's "+r.Name, "another id")
				// Fixed (the line given another id), the box is adopted, and
				// nothing of the refused run was kept.
				fixed := strings.Replace(map[bool][]string{true: passwd, false: group}[r.User][len(map[bool][]string{true: passwd, false: group}[r.User])-1], spelling, "7777", 1)
				if r.User {
					passwd[len(passwd)-1] = fixed
				} else {
					group[len(group)-1] = fixed
				}
				root = writeBox(t, passwd, group)
				e, err := Open(root)
				if err != nil {
					t.Fatalf("the fixed box: %v", err)
				}
				defer e.Close()
				if got := rolesOfEveryLine(t, e); len(got) != 0 {
					t.Errorf("lines of the adopted box got roles: %v", got)
				}
			})
		}
		t.Run(fmt.Sprintf("%s %s elsewhere", kind, r.Name), func(t *testing.T) {
			passwd, group := debianBase()
			line := r.Name + ":x:7777:100::/:/bin/sh"
			if r.User {
				passwd = append(passwd, line)
			} else {
				group = append(group, r.Name+":x:7777:")
			}
			openRefused(t, writeBox(t, passwd, group), fmt.Sprintf(`%q (%s 7777) is TrueNAS's %s, which has %s %d`, r.Name, kind, r.Name, kind, r.ID))
		})
		if len(r.Roles) == 0 {
			continue
		}
		t.Run(fmt.Sprintf("member of %s", r.Name), func(t *testing.T) {
			passwd, group := debianBase()
			passwd = append(passwd, "mallory:x:1000:100::/home/m:/bin/sh")
			group = append(group, fmt.Sprintf("%s:x:%d:root,mallory", r.Name, r.ID))
			openRefused(t, writeBox(t, passwd, group), `lists "mallory" as a member`, strings.Join(r.Roles, ", "))
		})
		t.Run(fmt.Sprintf("primary group %s", r.Name), func(t *testing.T) {
			passwd, group := debianBase()
			passwd = append(passwd, fmt.Sprintf("mallory:x:1000:0%d::/home/m:/bin/sh", r.ID))
			openRefused(t, writeBox(t, passwd, group), fmt.Sprintf(`"mallory" (uid 1000) has gid %d (%s) as its primary group`, r.ID, r.Name))
		})
	}
	t.Run("uid 0 before root", func(t *testing.T) {
		passwd, group := debianBase()
		passwd = append([]string{"toor:x:00:0::/root:/bin/sh"}, passwd...)
		openRefused(t, writeBox(t, passwd, group), `etc/passwd line 1 "toor" (uid 0) is the first line with uid 0`)
	})
	t.Run("root not uid 0", func(t *testing.T) {
		passwd, group := debianBase()
		passwd[0] = "root:x:1234:0:root:/root:/bin/sh"
		openRefused(t, writeBox(t, passwd, group), `"root" (uid 1234) is root with a uid other than 0`)
	})
}

// TrueNAS's own lines, exactly as TrueNAS has them and with no member but
// root, are adopted as they are.
func TestAdoptTrueNASLines(t *testing.T) {
	passwd, group := debianBase()
	for _, u := range account.BuiltinUsers() {
		if u.TrueNAS {
			passwd = append(passwd, fmt.Sprintf("%s:x:%d:%d:%s:%s:%s", u.Username, u.UID, u.GID, u.FullName, u.Home, u.Shell))
		}
	}
	for _, g := range account.BuiltinGroups() {
		if g.TrueNAS {
			members := ""
			if g.Name == "builtin_administrators" {
				members = "root"
			}
			group = append(group, fmt.Sprintf("%s:x:%d:%s", g.Name, g.GID, members))
		}
	}
	e, err := Open(writeBox(t, passwd, group))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if got := rolesOfEveryLine(t, e); len(got) != 0 {
		t.Errorf("lines of the adopted box got roles: %v", got)
	}
	apps := groupByName(t, e, "apps")
	if apps.UsernsIdmap == nil {
		t.Errorf("apps lost its DIRECT idmap: %+v", apps)
	}
}
