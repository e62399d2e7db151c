package account

import (
	"reflect"
	"slices"
	"strings"
)

// Method authorisation, as the TrueNAS middleware decides it for a caller
// that is not root (TS-25.10.6: main.py authorize_method_call, role.py,
// and the roles= of each api_method). What a role grants comes from the one
// role table (roles.go), so privileges and method checks cannot disagree.

// RoleGrants reports whether holding the roles held grants role want:
// want is one of them or of the roles they include, transitively
// (ExpandRole; FULL_ADMIN expands to every role).
func RoleGrants(held []string, want string) bool {
	for _, r := range held {
		if r == want || slices.Contains(ExpandRole(r), want) {
			return true
		}
	}
	return false
}

// Access says what a method needs of a caller.
type Access int

const (
	// AccessRoles: one of the method's roles (FULL_ADMIN always does).
	AccessRoles Access = iota
	// AccessAuthenticated: any authenticated caller
	// (authorization_required=False, such as system.version).
	AccessAuthenticated
	// AccessAnyone: no authentication at all (authentication_required=False).
	AccessAnyone
)

// methodRoles is the roles= of each account API method the engine answers
// (TS-25.10.6). CRUD services get PREFIX_READ for query and get_instance
// and PREFIX_WRITE for create, update and delete (role_prefix: plugins/
// account.py lines 241 and 1933, api_key.py line 44, account_/privilege.py
// line 51); the rest are explicit roles=. A method with no roles is for
// FULL_ADMIN only (user.shell_choices, account.py line 1112).
var methodRoles = map[string][]string{
	"user.query":         {"ACCOUNT_READ"},
	"user.get_instance":  {"ACCOUNT_READ"},
	"user.create":        {"ACCOUNT_WRITE"},
	"user.update":        {"ACCOUNT_WRITE"},
	"user.delete":        {"ACCOUNT_WRITE"},
	"user.get_next_uid":  {"ACCOUNT_READ"}, // account.py line 1253
	"user.shell_choices": {},
	"group.query":        {"ACCOUNT_READ"},
	"group.get_instance": {"ACCOUNT_READ"},
	"group.create":       {"ACCOUNT_WRITE"},
	"group.update":       {"ACCOUNT_WRITE"},
	"group.delete":       {"ACCOUNT_WRITE"},
	"group.get_next_gid": {"ACCOUNT_READ"}, // account.py line 2217
	// api_key.py lines 166, 239, 292: a read-only administrator may manage
	// its own keys.
	"api_key.query":          {"API_KEY_READ"},
	"api_key.get_instance":   {"API_KEY_READ"},
	"api_key.create":         {"READONLY_ADMIN", "API_KEY_WRITE"},
	"api_key.update":         {"READONLY_ADMIN", "API_KEY_WRITE"},
	"api_key.delete":         {"READONLY_ADMIN", "API_KEY_WRITE"},
	"privilege.query":        {"PRIVILEGE_READ"},
	"privilege.get_instance": {"PRIVILEGE_READ"},
	"privilege.create":       {"PRIVILEGE_WRITE"},
	"privilege.update":       {"PRIVILEGE_WRITE"},
	"privilege.delete":       {"PRIVILEGE_WRITE"},
	// user.setup_local_administrator is authentication_required=False in
	// TrueNAS (account.py line 1294): at first boot anyone who reaches the
	// middleware may name the first administrator. The engine's socket is
	// reachable by every local user of a shared box, so there the first
	// administrator is set up by root only (FULL_ADMIN, which no one holds
	// before the setup). Safer than TrueNAS on purpose.
	"user.setup_local_administrator": {},
}

// MethodAccess returns what calling method needs, and for AccessRoles the
// roles of which one suffices.
func MethodAccess(method string) (Access, []string) {
	if a, ok := connectionAccess[method]; ok { // authz_session.go
		return a, nil
	}
	switch method {
	case "system.version", "core.ping", "core.set_options", "auth.me", "privilege.roles":
		// product.py line 111 and privilege_roles.py line 15,
		// authorization_required=False.
		return AccessAuthenticated, nil
	case "user.has_local_administrator_set_up", "auth.login_ex":
		// account.py line 1279; auth.py line 680.
		return AccessAnyone, nil
	}
	return AccessRoles, methodRoles[method]
}

// MayCall reports whether a caller holding roles may call method.
func MayCall(roles []string, method string) bool {
	access, need := MethodAccess(method)
	switch access {
	case AccessAnyone, AccessAuthenticated:
		return true
	}
	if RoleGrants(roles, "FULL_ADMIN") {
		return true
	}
	for _, n := range need {
		if RoleGrants(roles, n) {
			return true
		}
	}
	return false
}

// Secrets, as TrueNAS 25.10.6 redacts them (main.py dump_result and
// api/base/handler/result.py serialize_result): a field the API model
// declares Secret[...] is shown as SecretValue to a user session that has
// neither FULL_ADMIN nor the WRITE role of the method's service
// (role_prefix + "_WRITE"); root and internal calls see it.
//
// The one list of a model's secret fields is the model itself: the fields
// tagged `secret:"true"` (the Secret fields of api/v25_10_5 user.py
// UserEntry: unixhash, smbhash, password_history; api_key.py ApiKeyEntry:
// keyhash; GroupEntry, PrivilegeEntry and the auth.py answers have none).

// SecretValue is what a redacted secret reads (api/base/types/string.py
// SECRET_VALUE).
const SecretValue = "********"

// SecretModels are the entries the account API answers with.
var SecretModels = []any{UserCreateResult{}, GroupEntry{}, APIKeyWithKey{}, PrivilegeEntry{}}

// SecretFields returns the JSON names of model's fields tagged secret,
// embedded structs included.
func SecretFields(model any) []string {
	var out []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				walk(f.Type)
				continue
			}
			if f.Tag.Get("secret") == "true" {
				name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
				out = append(out, name)
			}
		}
	}
	walk(reflect.TypeOf(model))
	return out
}

// SecretNames is every model's secret fields, by JSON name.
var SecretNames = func() map[string]bool {
	m := map[string]bool{}
	for _, model := range SecretModels {
		for _, f := range SecretFields(model) {
			m[f] = true
		}
	}
	return m
}()

// serviceRolePrefix is the role_prefix of each service's config
// (plugins/account.py lines 241 and 1933, api_key.py line 44,
// account_/privilege.py line 51); the others have none.
var serviceRolePrefix = map[string]string{
	"user": "ACCOUNT", "group": "ACCOUNT", "api_key": "API_KEY", "privilege": "PRIVILEGE",
}

// ExposeSecrets reports whether a user session holding roles sees the
// secret fields in the answer of method.
func ExposeSecrets(roles []string, method string) bool {
	if RoleGrants(roles, "FULL_ADMIN") {
		return true
	}
	service, _, _ := strings.Cut(method, ".")
	prefix, ok := serviceRolePrefix[service]
	return ok && RoleGrants(roles, prefix+"_WRITE")
}
