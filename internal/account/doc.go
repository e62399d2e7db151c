// Package account is the domain of TrueNAS local accounts, with no I/O: the
// user, group and API-key entries with TrueNAS's field names, the strict
// decoding of create and update payloads, every validation rule with
// TrueNAS's attribute paths, errno names and message texts, the built-in
// accounts and privileges of TrueNAS 25.10.6 (API v25_10_5), and the web UI's username
// suggestion.
//
// Both ends run this code: the engine on the box at apply time (static and
// box-dependent rules), the provider at plan time (static rules only), so a
// plan that passes does not fail half-way for a reason that could have been
// known before.
//
// Contract used by other packages (keep these signatures):
//
//	DecodeUserCreate(raw []byte) (*UserPayload, Errors)
//	DecodeUserUpdate(raw []byte) (*UserPayload, Errors)
//	DecodeGroupCreate(raw []byte) (*GroupPayload, Errors)
//	DecodeGroupUpdate(raw []byte) (*GroupPayload, Errors)
//	DecodeAPIKeyCreate(raw []byte) (*APIKeyPayload, Errors)
//	DecodeAPIKeyUpdate(raw []byte) (*APIKeyPayload, Errors)
//
//	StaticUserChecks(p *UserPayload) Errors
//	CheckUser(p *UserPayload, old *UserEntry, box Box) Errors     // static + box rules; old is nil on create
//	StaticGroupChecks(p *GroupPayload) Errors
//	CheckGroup(p *GroupPayload, old *GroupEntry, box Box) Errors
//	StaticAPIKeyChecks(p *APIKeyPayload, now time.Time) Errors
//	CheckAPIKey(p *APIKeyPayload, old *APIKeyEntry, box Box) Errors
//
//	Rules() []Rule            // the catalogue: every rule, its attribute, message and Kind (Static or BoxDependent)
//	BuiltinUsers() []BuiltinUser
//	BuiltinGroups() []BuiltinGroup
//	BuiltinPrivileges() []BuiltinPrivilege
//	DecodePrivilegeCreate(raw []byte) (*PrivilegePayload, Errors)
//	DecodePrivilegeUpdate(raw []byte) (*PrivilegePayload, Errors)
//	StaticPrivilegeChecks(p *PrivilegePayload) Errors
//	CheckBuiltinPrivilege(p *PrivilegePayload, old *Privilege, box Box) Errors // box nil: plan time
//	CheckPrivilege(p *PrivilegePayload, old *Privilege, box Box) Errors
//	CheckPrivilegeDelete(p *Privilege) *CallError
//	ExpandPrivilege(p Privilege, box Box) PrivilegeEntry   // privilege.query's entry
//	Roles() []RoleInfo; RoleNames() []string; IsRole(name string) bool
//	UserRoles(u *UserEntry, box Box) []string            // union of the roles of the stored privileges of u's groups
//	SuggestUsername(fullName string) string
//
// Also provided (box.go, rules.go, user.go, group.go, apikey.go,
// builtins.go): the Box interface the engine implements for the
// box-dependent rules; RuleByID, CallErrorFor and the Rule* IDs, so that
// CallErrors (delete refusals, ...) come from the same catalogue;
// CheckUserDelete and CheckGroupDelete; ShellChoices, ParseHomeMode,
// CheckAuthorizedKeys, UserRoles, IsLocalAdministrator; RolesForGIDs,
// PrivilegesForGIDs, ComposePrivilege, ExpandRole, PasswordEnabledUsers,
// AllowedBuiltinGIDs and the well-known ids and defaults (DefaultHome,
// DefaultShell, NologinShell, GIDBuiltinAdministrators, MinAutoID, ...).
package account
