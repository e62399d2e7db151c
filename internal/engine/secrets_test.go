package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// exposingRoles is, independently of the code under test, who sees the
// secrets of each service's answers (TrueNAS 25.10.6 main.py dump_result):
// FULL_ADMIN and the service's role_prefix + "_WRITE".
var exposingRoles = map[string]string{
	"user": "ACCOUNT_WRITE", "group": "ACCOUNT_WRITE", "api_key": "API_KEY_WRITE", "privilege": "PRIVILEGE_WRITE",
}

func seesSecrets(roles []string, method string) bool {
	if account.RoleGrants(roles, "FULL_ADMIN") {
		return true
	}
	w, ok := exposingRoles[strings.SplitN(method, ".", 2)[0]]
	return ok && account.RoleGrants(roles, w)
}

func TestSecretFieldsAreTrueNASsSecretFields(t *testing.T) {
	// api/v25_10_5 at TS-25.10.6: UserEntry's and ApiKeyEntry's Secret[...]
	// fields; GroupEntry and PrivilegeEntry have none. api/v26_0_0 at
	// TS-26.0.0-BETA.3 replaces keyhash with the Secret SCRAM fields salt,
	// stored_key and server_key (one entry type serves both).
	want := map[string][]string{
		"user": {"unixhash", "smbhash", "password_history"}, "api_key": {"keyhash", "salt", "stored_key", "server_key"}, "group": nil, "privilege": nil,
	}
	got := map[string][]string{
		"user": account.SecretFields(account.UserCreateResult{}), "api_key": account.SecretFields(account.APIKeyWithKey{}),
		"group": account.SecretFields(account.GroupEntry{}), "privilege": account.SecretFields(account.PrivilegeEntry{}),
	}
	for k := range want {
		if !slices.Equal(got[k], want[k]) {
			t.Errorf("%s: secret fields %v, want %v", k, got[k], want[k])
		}
	}
}

// secretValues reads, as root, every secret value the store holds.
func secretValues(t *testing.T, e *Engine, extra []string) []string {
	t.Helper()
	out := slices.Clone(extra)
	for _, u := range decode[[]account.UserEntry](t, mustCall(t, e, "user.query")) {
		for _, p := range []*string{u.Unixhash, u.Smbhash} {
			if p != nil && len(*p) > 3 {
				out = append(out, *p)
			}
		}
		out = append(out, u.PasswordHistory...)
	}
	for _, k := range decode[[]account.APIKeyEntry](t, mustCall(t, e, "api_key.query")) {
		out = append(out, k.Keyhash)
	}
	return out
}

// TestNoSecretReachesASessionWithoutTheRole calls every method of the
// engine's method table, with arguments that reach its answer, as a user of
// every role (and root, and a user without any) and fails on any secret
// value in any answer or error of a session that may not see it.
func TestNoSecretReachesASessionWithoutTheRole(t *testing.T) {
	e := openTest(t)
	// The store alone: the box's files play no part in what an answer
	// holds, and a sync per write of some 500 would take minutes.
	e.boxSync = false
	ctx := context.Background()
	res := mustCall(t, e, "user.create", `{"username":"victim","full_name":"V","group_create":true,"password":"Victim-pw-1","smb":true,"groups":[`+groupID(t, e, "truenas_readonly_administrators")+`]}`)
	victim := decode[account.UserEntry](t, res)
	if victim.Smbhash == nil || victim.Unixhash == nil || len(*victim.Smbhash) < 8 {
		t.Fatalf("the victim has no hashes: %s", res)
	}
	vkey := decode[account.APIKeyWithKey](t, mustCall(t, e, "api_key.create", `{"name":"vk","username":"victim"}`))
	plainKeys := []string{strings.SplitN(vkey.Key, "-", 2)[1]}

	type who struct {
		name string
		root bool
	}
	callers := []who{{name: "root", root: true}, {name: "norole"}}
	mustCall(t, e, "user.create", `{"username":"norole","full_name":"N","group_create":true,"password_disabled":true,"smb":false}`)
	// The built-in privileges' groups.
	for _, g := range []string{"truenas_readonly_administrators", "truenas_sharing_administrators", "builtin_administrators"} {
		n := "bi" + strings.ReplaceAll(g, "_", "")[:10]
		mustCall(t, e, "user.create", `{"username":"`+n+`","full_name":"B","group_create":true,"password_disabled":true,"smb":false,"groups":[`+groupID(t, e, g)+`]}`)
		callers = append(callers, who{name: n})
	}
	// Every role of the role manager, each through its own privilege.
	for i, r := range account.RoleNames() {
		g := fmt.Sprintf("role%d", i)
		gr := decode[account.GroupEntry](t, mustCall(t, e, "group.get_instance", string(mustCall(t, e, "group.create", `{"name":"`+g+`","smb":false}`))))
		mustCall(t, e, "privilege.create", fmt.Sprintf(`{"name":"p%d","local_groups":[%d],"ds_groups":[],"roles":["%s"],"web_shell":false}`, i, gr.GID, r))
		mustCall(t, e, "user.create", fmt.Sprintf(`{"username":"r%d","full_name":"R","group_create":true,"password_disabled":true,"smb":false,"groups":[%d]}`, i, gr.ID))
		callers = append(callers, who{name: fmt.Sprintf("r%d", i)})
	}

	// refs name a secret field in every place a query takes a field.
	refs := [][2]string{
		{`[["unixhash","!=",null]]`, `{}`},
		{`[["unix\u0068ash","^","$6$"]]`, `{}`},
		{`[["OR",[[["id",">",0]],[["smbhash","=","x"]]]]]`, `{}`},
		{`[["password_history.0","=","x"]]`, `{}`},
		{`[["keyhash","^","$pbkdf2"]]`, `{}`},
		{`[["","=",{}]]`, `{}`},
		{`[]`, `{"order_by":["unixhash"]}`},
		{`[]`, `{"order_by":["-keyhash"]}`},
		{`[]`, `{"order_by":["nulls_first:-smbhash"]}`},
		{`[]`, `{"select":["unixhash"]}`},
		{`[]`, `{"select":[["keyhash","x"]]}`},
		{`[]`, `{"select":["password_history.0"]}`},
	}
	roID := groupID(t, e, "truenas_readonly_administrators")
	makeTargets := func(tmp string) (account.UserEntry, account.GroupEntry, account.APIKeyWithKey, account.PrivilegeEntry) {
		tu := decode[account.UserEntry](t, mustCall(t, e, "user.create", `{"username":"`+tmp+`","full_name":"T","group_create":true,"password":"Tmp-pw-1","smb":true,"groups":[`+roID+`]}`))
		tg := decode[account.GroupEntry](t, mustCall(t, e, "group.get_instance", string(mustCall(t, e, "group.create", `{"name":"`+tmp+`g","smb":false}`))))
		// Its own user's key (a user may hold 10).
		tk := decode[account.APIKeyWithKey](t, mustCall(t, e, "api_key.create", `{"name":"`+tmp+`","username":"`+tmp+`"}`))
		plainKeys = append(plainKeys, strings.SplitN(tk.Key, "-", 2)[1])
		tp := decode[account.PrivilegeEntry](t, mustCall(t, e, "privilege.create", fmt.Sprintf(`{"name":"%sp","local_groups":[%d],"ds_groups":[],"roles":["READONLY_ADMIN"],"web_shell":false}`, tmp, tg.GID)))
		return tu, tg, tk, tp
	}
	var shared struct {
		u account.UserEntry
		g account.GroupEntry
		k account.APIKeyWithKey
		p account.PrivilegeEntry
	}
	shared.u, shared.g, shared.k, shared.p = makeTargets("shared")
	calls := 0
	spent := map[string]time.Duration{}
	defer func() { t.Logf("time by method: %v", spent) }()
	if testing.Short() {
		callers = callers[:12]
	}
	for ci, c := range callers {
		caller := Caller{Username: c.name}
		if c.root {
			caller = Caller{UID: 0}
		}
		s, err := e.Login(ctx, caller)
		if err != nil {
			t.Fatal(err)
		}
		roles := s.Roles()
		// Targets of the writes: made for this caller when it may write,
		// else the shared ones (a refused call changes nothing).
		tmp := fmt.Sprintf("tmp%d", ci)
		writes := c.root
		for _, m := range Methods() {
			writes = writes || (account.MayCall(roles, m) && (strings.HasSuffix(m, ".delete") || strings.HasSuffix(m, ".update") || strings.HasSuffix(m, ".create")))
		}
		tu, tg, tk, tp := shared.u, shared.g, shared.k, shared.p
		if writes {
			tu, tg, tk, tp = makeTargets(tmp)
		}
		secrets := secretValues(t, e, plainKeys)

		args := map[string][][]string{
			"user.query":                          {{}, {`[]`, `{}`}, {`[["username","=","victim"]]`, `{"get":true}`}, {`[]`, `{"select":["username",["group","g"]]}`}},
			"user.get_instance":                   {{fmt.Sprint(victim.ID)}, {fmt.Sprint(tu.ID), `{"select":["username"]}`}},
			"user.create":                         {{`{"username":"` + tmp + `n","full_name":"N","group_create":true,"password":"New-pw-1","smb":true}`}},
			"user.update":                         {{fmt.Sprint(tu.ID), `{"full_name":"Changed","password":"Tmp-pw-2"}`}},
			"user.delete":                         {{fmt.Sprint(tu.ID)}},
			"user.get_next_uid":                   {{}},
			"user.shell_choices":                  {{`[]`}},
			"user.has_local_administrator_set_up": {{}},
			"user.setup_local_administrator":      {{`"truenas_admin"`, `"Admin-pw-1"`}},
			"group.query":                         {{}, {`[]`, `{"select":["name","users"]}`}},
			"group.get_instance":                  {{fmt.Sprint(tg.ID)}},
			"group.create":                        {{`{"name":"` + tmp + `n","smb":false}`}},
			"group.update":                        {{fmt.Sprint(tg.ID), `{"name":"` + tmp + `h"}`}},
			"group.delete":                        {{fmt.Sprint(tg.ID)}},
			"group.get_next_gid":                  {{}},
			"api_key.query":                       {{}, {`[]`, `{"select":["name","username"]}`}},
			"api_key.get_instance":                {{fmt.Sprint(vkey.ID)}, {fmt.Sprint(tk.ID)}},
			"api_key.create":                      {{`{"name":"` + tmp + `n","username":"` + c.name + `"}`}},
			"api_key.update":                      {{fmt.Sprint(tk.ID), `{"name":"` + tmp + `r","reset":true}`}},
			"api_key.delete":                      {{fmt.Sprint(tk.ID)}},
			"privilege.query":                     {{}},
			"privilege.get_instance":              {{fmt.Sprint(tp.ID)}},
			"privilege.create":                    {{fmt.Sprintf(`{"name":"%sq","local_groups":[],"ds_groups":[],"roles":["READONLY_ADMIN"],"web_shell":false}`, tmp)}},
			"privilege.update":                    {{fmt.Sprint(tp.ID), `{"name":"` + tmp + `pp"}`}},
			"privilege.delete":                    {{fmt.Sprint(tp.ID)}},
			"privilege.roles":                     {{}},
			"auth.login_ex": {{`{"mechanism":"PASSWORD_PLAIN","username":"victim","password":"Victim-pw-1"}`},
				{`{"mechanism":"API_KEY_PLAIN","username":"victim","api_key":"` + vkey.Key + `"}`}},
			"system.version":         {{}},
			"system.version_short":   {{}},
			"system.info":            {{}},
			"core.ping":              {{}},
			"core.set_options":       {{`{}`}},
			"core.subscribe":         {{`"core.get_jobs"`}},
			"core.unsubscribe":       {{`"x"`}},
			"auth.me":                {{}},
			"auth.mechanism_choices": {{}},
			// Last (they change who the session is): a login as the
			// victim, then a logout.
			"auth.login":              {{`"victim"`, `"Victim-pw-1"`}},
			"auth.login_with_api_key": {{`"` + vkey.Key + `"`}},
			"auth.logout":             {{}},
		}
		names := Methods()
		slices.Sort(names)
		// Deletes last, so that the others find their targets; then the
		// logins and the logout, which change who the session is.
		rank := func(m string) int {
			switch {
			case m == "auth.logout":
				return 3
			case strings.HasPrefix(m, "auth.login") && m != "auth.login_ex":
				return 2
			}
			return boolInt(strings.HasSuffix(m, ".delete"))
		}
		slices.SortStableFunc(names, func(a, b string) int { return rank(a) - rank(b) })
		for _, m := range names {
			as, ok := args[m]
			if !ok {
				t.Fatalf("method %s has no arguments in this test: add them, so that its answers are checked", m)
			}
			if m == "auth.login_ex" && ci > 8 && ci%16 != 0 {
				// Its answer depends on no role, and each call costs a
				// slow hash: the first callers and every 16th.
				continue
			}
			if mm := methods[m]; (strings.HasSuffix(m, ".query") && mm.filtersArg != 0) ||
				((strings.HasSuffix(m, ".query") || strings.HasSuffix(m, ".get_instance")) && mm.optionsArg != 1) {
				t.Fatalf("%s does not declare its query arguments in the method table", m)
			}
			hidden := !c.root && !seesSecrets(roles, m)
			check := func(what string, a []string) error {
				raw := make([]json.RawMessage, len(a))
				for i := range a {
					raw[i] = json.RawMessage(a[i])
				}
				t0 := time.Now()
				res, err := s.Call(ctx, m, raw)
				spent[m] += time.Since(t0)
				calls++
				answer := string(res)
				if err != nil {
					answer = err.Error()
				}
				if !hidden {
					return err
				}
				if err == nil && !strings.Contains(m, ".query") && !strings.Contains(m, ".get_instance") && !strings.Contains(m, "version") &&
					!strings.Contains(m, "roles") && !strings.Contains(m, "choices") && !strings.Contains(m, "next_") && !strings.Contains(m, "has_") && !strings.Contains(m, "login") {
					secrets = secretValues(t, e, plainKeys) // what the call made
					if m == "api_key.create" || m == "api_key.update" {
						// The caller's own new key is its answer.
						k := decode[account.APIKeyWithKey](t, res)
						mine := strings.SplitN(k.Key, "-", 2)[1]
						secrets = slices.DeleteFunc(secrets, func(s string) bool { return s == mine })
						plainKeys = slices.DeleteFunc(plainKeys, func(s string) bool { return s == mine })
					}
				}
				for _, sec := range secrets {
					if strings.Contains(answer, sec) {
						t.Errorf("%s (roles %v) %s %v: the answer holds a secret: %s", c.name, roles, m, a, answer)
						return err
					}
				}
				for f := range account.SecretNames {
					if i := strings.Index(answer, `"`+f+`":`); i >= 0 && !strings.HasPrefix(answer[i+len(f)+3:], `"`+account.SecretValue+`"`) {
						t.Errorf("%s (roles %v) %s %v: %s is not redacted: %s", c.name, roles, m, a, f, answer)
					}
				}
				return err
			}
			for _, a := range as {
				check("", a)
			}
			if methods[m].optionsArg < 0 || !account.MayCall(roles, m) || (!hidden && !c.root && ci%8 != 0) {
				continue
			}
			for _, r := range refs {
				a := r[:]
				if methods[m].filtersArg < 0 {
					a = []string{fmt.Sprint(victim.ID), r[1]}
					if r[1] == `{}` {
						continue
					}
				}
				if err := check("ref", a); hidden && err == nil {
					t.Errorf("%s (roles %v) %s %v: a query naming a secret field was answered", c.name, roles, m, a)
				}
			}
		}
	}
	t.Logf("%d callers, %d calls", len(callers), calls)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
