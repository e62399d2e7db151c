package account

import (
	"encoding/json"
)

// CORE 13.3-U1.2's defaults (plugins/account.py at TN-13.3-U1.2).
const (
	// CoreDefaultHome is user_create.home's default (:224).
	CoreDefaultHome = "/nonexistent"
	// CoreDefaultHomeMode is user_create.home_mode's default (:225).
	CoreDefaultHomeMode = "755"
	// CoreDefaultShell is user_create.shell's default on FreeBSD (:226).
	CoreDefaultShell = "/bin/csh"
	// CoreFirstID is the first uid and gid get_next_uid / get_next_gid
	// hand out (:729, :1296: last = 999, then last + 1).
	CoreFirstID int64 = 1000
	// CoreMaxAuxGroups is the auxiliary group limit (:912).
	CoreMaxAuxGroups = 64
)

// The schemas of CORE's account methods, as declared (field order is
// declaration order: defaults are filled, and validation errors listed, in
// it).
var (
	// user_create: plugins/account.py:218-241.
	coreUserCreate = coreDict{name: "user_create", attrs: []coreAttr{
		{name: "uid", kind: coreInt},
		{name: "username", kind: coreStr, required: true, maxLen: CoreMaxUsernameLength},
		{name: "group", kind: coreInt},
		{name: "group_create", kind: coreBool, hasDef: true, def: false},
		{name: "home", kind: coreStr, hasDef: true, def: CoreDefaultHome},
		{name: "home_mode", kind: coreStr, hasDef: true, def: CoreDefaultHomeMode},
		{name: "shell", kind: coreStr, hasDef: true, def: CoreDefaultShell},
		{name: "full_name", kind: coreStr, required: true},
		{name: "email", kind: coreStr, email: true, null: true, hasDef: true, def: nil},
		{name: "password", kind: coreStr},
		{name: "password_disabled", kind: coreBool, hasDef: true, def: false},
		{name: "locked", kind: coreBool, hasDef: true, def: false},
		{name: "microsoft_account", kind: coreBool, hasDef: true, def: false},
		{name: "smb", kind: coreBool, hasDef: true, def: true},
		{name: "sudo", kind: coreBool, hasDef: true, def: false},
		{name: "sudo_nopasswd", kind: coreBool, hasDef: true, def: false},
		{name: "sudo_commands", kind: coreList, items: "command", hasDef: true, def: []string{}},
		{name: "sshpubkey", kind: coreStr, null: true, maxLen: coreUnlimited},
		{name: "groups", kind: coreList, hasDef: true, def: []json.RawMessage{}},
		// Dict() has the default {} unless told otherwise (schema.py:569).
		{name: "attributes", kind: coreDictAny, hasDef: true, def: json.RawMessage("{}")},
	}}
	// user_update: Patch of user_create, update=True, group_create
	// removed (:403-411).
	coreUserUpdate = corePatch(coreUserCreate, "user_update", "group_create")

	// group_create: plugins/account.py:1144-1155.
	coreGroupCreate = coreDict{name: "group_create", attrs: []coreAttr{
		{name: "gid", kind: coreInt},
		{name: "name", kind: coreStr, required: true},
		{name: "smb", kind: coreBool, hasDef: true, def: true},
		{name: "sudo", kind: coreBool, hasDef: true, def: false},
		{name: "sudo_nopasswd", kind: coreBool, hasDef: true, def: false},
		{name: "sudo_commands", kind: coreList, items: "command", hasDef: true, def: []string{}},
		{name: "allow_duplicate_gid", kind: coreBool, hasDef: true, def: false},
		{name: "users", kind: coreIntList, items: "id"},
	}}
	// group_update: Patch of group_create, update=True (:1202-1209).
	coreGroupUpdate = corePatch(coreGroupCreate, "group_update")

	// api_key_create: plugins/api_key.py:34-40.
	coreAPIKeyCreate = coreDict{name: "api_key_create", attrs: []coreAttr{
		{name: "name", kind: coreStr, required: true, noEmpty: true},
	}}
	// api_key_update: Patch of api_key_create, Bool('reset') added,
	// update=True (:62-69).
	coreAPIKeyUpdate = func() coreDict {
		d := corePatch(coreAPIKeyCreate, "api_key_update")
		d.attrs = append(d.attrs, coreAttr{name: "reset", kind: coreBool})
		return d
	}()

	// The options of user.delete (:599) and group.delete (:1259).
	coreUserDeleteOptions  = coreDict{name: "options", attrs: []coreAttr{{name: "delete_group", kind: coreBool, hasDef: true, def: true}}}
	coreGroupDeleteOptions = coreDict{name: "options", attrs: []coreAttr{{name: "delete_users", kind: coreBool, hasDef: true, def: false}}}
)

// corePatch is Patch(name, newname, ('rm', ...), ('attr', {'update':
// True})) (schema.py:817).
func corePatch(d coreDict, name string, rm ...string) coreDict {
	out := coreDict{name: name, update: true}
	for _, a := range d.attrs {
		keep := true
		for _, r := range rm {
			keep = keep && a.name != r
		}
		if keep {
			out.attrs = append(out.attrs, a)
		}
	}
	return out
}

// CoreUserPayload is the cleaned argument of CORE's user.create (Create)
// or user.update. Set says the key is in the cleaned dict: sent, or (on
// create) filled with its default; Null that it is None (email, sshpubkey).
type CoreUserPayload struct {
	Create bool

	UID              Field[int64]
	Username         Field[string]
	Group            Field[int64]
	GroupCreate      Field[bool] // create only
	Home             Field[string]
	HomeMode         Field[string]
	Shell            Field[string]
	FullName         Field[string]
	Email            Field[string]
	Password         Field[string]
	PasswordDisabled Field[bool]
	Locked           Field[bool]
	MicrosoftAccount Field[bool]
	SMB              Field[bool]
	Sudo             Field[bool]
	SudoNopasswd     Field[bool]
	SudoCommands     Field[[]string]
	SSHPubKey        Field[string]
	// Groups is List('groups') with no item type: CORE takes any JSON
	// values and looks each up as a group id (GroupIDs).
	Groups     Field[[]json.RawMessage]
	Attributes Field[json.RawMessage] // a JSON object

	// unstorable is the Python type of an ejson value ({"$date": ms},
	// ...) inside attributes: CORE takes it as a datetime, time or date
	// and fails to store it (the checks report it last).
	unstorable string
}

// storeError is the error CORE meets storing attributes that hold a
// datetime, time or date (sqlalchemy.py JSON: json.dumps), or nil.
func (p *CoreUserPayload) storeError() *CallError {
	if p.unstorable == "" {
		return nil
	}
	return NewCallError(EINVAL, "Object of type %s is not JSON serializable", p.unstorable)
}

// Prefix is "user_create" or "user_update".
func (p *CoreUserPayload) Prefix() string {
	if p.Create {
		return "user_create"
	}
	return "user_update"
}

// GroupIDs is Groups as group ids. CORE stores each item as a
// bsdgrpmember_group after looking it up (__set_groups,
// plugins/account.py:955-980): an integer is an id; anything else is not
// found, "Group <value> not found" (ENOENT, :974).
func (p *CoreUserPayload) GroupIDs() ([]int64, *CallError) {
	return coreIntItems(p.Groups.V, func(s string) *CallError {
		return NewCallError(ENOENT, "Group %s not found", s)
	})
}

func coreIntItems(items []json.RawMessage, bad func(string) *CallError) ([]int64, *CallError) {
	out := make([]int64, 0, len(items))
	for _, it := range items {
		if !coreIsJSONInt(it) {
			return nil, bad(corePyStr(it))
		}
		n, _, _ := coreIntClean(it)
		out = append(out, n)
	}
	return out, nil
}

// corePyStr renders a JSON value as Python's str() of what json.loads
// makes of it, as far as a message needs: strings bare, null None,
// booleans True/False, anything else as sent.
func corePyStr(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	switch string(raw) {
	case "null":
		return "None"
	case "true":
		return "True"
	case "false":
		return "False"
	}
	return string(raw)
}

func fstr(v coreValues, k string) Field[string] {
	if !v.has(k) {
		return Field[string]{}
	}
	s, ok := v.vals[k].(string)
	if !ok {
		return NullField[string]()
	}
	return Some(s)
}

func fint(v coreValues, k string) Field[int64] {
	if !v.has(k) {
		return Field[int64]{}
	}
	n, _ := v.vals[k].(int64)
	return Some(n)
}

func fbool(v coreValues, k string) Field[bool] {
	if !v.has(k) {
		return Field[bool]{}
	}
	b, _ := v.vals[k].(bool)
	return Some(b)
}

func fstrs(v coreValues, k string) Field[[]string] {
	if !v.has(k) {
		return Field[[]string]{V: []string{}}
	}
	s, _ := v.vals[k].([]string)
	return Some(append([]string{}, s...))
}

func fraws(v coreValues, k string) Field[[]json.RawMessage] {
	if !v.has(k) {
		return Field[[]json.RawMessage]{V: []json.RawMessage{}}
	}
	s, _ := v.vals[k].([]json.RawMessage)
	return Some(append([]json.RawMessage{}, s...))
}

func decodeCoreUser(raw []byte, create bool) (*CoreUserPayload, error) {
	d := coreUserUpdate
	if create {
		d = coreUserCreate
	}
	v, err := coreDecode(d, raw)
	if err != nil {
		return nil, err
	}
	p := &CoreUserPayload{Create: create}
	p.UID = fint(v, "uid")
	p.Username = fstr(v, "username")
	p.Group = fint(v, "group")
	p.GroupCreate = fbool(v, "group_create")
	p.Home = fstr(v, "home")
	p.HomeMode = fstr(v, "home_mode")
	p.Shell = fstr(v, "shell")
	p.FullName = fstr(v, "full_name")
	p.Email = fstr(v, "email")
	p.Password = fstr(v, "password")
	p.PasswordDisabled = fbool(v, "password_disabled")
	p.Locked = fbool(v, "locked")
	p.MicrosoftAccount = fbool(v, "microsoft_account")
	p.SMB = fbool(v, "smb")
	p.Sudo = fbool(v, "sudo")
	p.SudoNopasswd = fbool(v, "sudo_nopasswd")
	p.SudoCommands = fstrs(v, "sudo_commands")
	p.SSHPubKey = fstr(v, "sshpubkey")
	p.Groups = fraws(v, "groups")
	if v.has("attributes") {
		p.Attributes = Some(v.vals["attributes"].(json.RawMessage))
		p.unstorable = coreEjsonInside(p.Attributes.V)
	}
	return p, nil
}

// DecodeCoreUserCreate cleans and validates user.create's argument as CORE
// 13.3-U1.2 does. The error is a *CoreSchemaError (the first clean()
// failure: a call error "[attr] message"), Errors (validation, with
// "user_create." paths) or a *CallError; the payload is nil then.
func DecodeCoreUserCreate(raw []byte) (*CoreUserPayload, error) { return decodeCoreUser(raw, true) }

// DecodeCoreUserUpdate is user.update's second argument (user_update:
// nothing required, no defaults, uid kept, group_create unexpected).
func DecodeCoreUserUpdate(raw []byte) (*CoreUserPayload, error) { return decodeCoreUser(raw, false) }

// CoreGroupPayload is the cleaned argument of CORE's group.create or
// group.update.
type CoreGroupPayload struct {
	Create bool

	GID               Field[int64]
	Name              Field[string]
	SMB               Field[bool]
	Sudo              Field[bool]
	SudoNopasswd      Field[bool]
	SudoCommands      Field[[]string]
	AllowDuplicateGID Field[bool]
	Users             Field[[]int64]
}

// Prefix is "group_create" or "group_update".
func (p *CoreGroupPayload) Prefix() string {
	if p.Create {
		return "group_create"
	}
	return "group_update"
}

func decodeCoreGroup(raw []byte, create bool) (*CoreGroupPayload, error) {
	d := coreGroupUpdate
	if create {
		d = coreGroupCreate
	}
	v, err := coreDecode(d, raw)
	if err != nil {
		return nil, err
	}
	p := &CoreGroupPayload{Create: create}
	p.GID = fint(v, "gid")
	p.Name = fstr(v, "name")
	p.SMB = fbool(v, "smb")
	p.Sudo = fbool(v, "sudo")
	p.SudoNopasswd = fbool(v, "sudo_nopasswd")
	p.SudoCommands = fstrs(v, "sudo_commands")
	p.AllowDuplicateGID = fbool(v, "allow_duplicate_gid")
	p.Users = Field[[]int64]{V: []int64{}}
	if v.has("users") {
		p.Users = Some(v.vals["users"].([]int64))
	}
	return p, nil
}

// DecodeCoreGroupCreate cleans and validates group.create's argument
// (errors as DecodeCoreUserCreate's).
func DecodeCoreGroupCreate(raw []byte) (*CoreGroupPayload, error) { return decodeCoreGroup(raw, true) }

// DecodeCoreGroupUpdate is group.update's second argument (gid kept).
func DecodeCoreGroupUpdate(raw []byte) (*CoreGroupPayload, error) { return decodeCoreGroup(raw, false) }

// CoreAPIKeyPayload is the cleaned argument of CORE's api_key.create or
// api_key.update: a name, and reset on update. CORE's keys belong to no
// user and carry no expiry or privilege.
type CoreAPIKeyPayload struct {
	Create bool

	Name  Field[string]
	Reset Field[bool] // update only
}

// Prefix is "api_key_create" or "api_key_update".
func (p *CoreAPIKeyPayload) Prefix() string {
	if p.Create {
		return "api_key_create"
	}
	return "api_key_update"
}

func decodeCoreAPIKey(raw []byte, create bool) (*CoreAPIKeyPayload, error) {
	d := coreAPIKeyUpdate
	if create {
		d = coreAPIKeyCreate
	}
	v, err := coreDecode(d, raw)
	if err != nil {
		return nil, err
	}
	return &CoreAPIKeyPayload{Create: create, Name: fstr(v, "name"), Reset: fbool(v, "reset")}, nil
}

// DecodeCoreAPIKeyCreate cleans and validates api_key.create's argument.
func DecodeCoreAPIKeyCreate(raw []byte) (*CoreAPIKeyPayload, error) {
	return decodeCoreAPIKey(raw, true)
}

// DecodeCoreAPIKeyUpdate is api_key.update's second argument.
func DecodeCoreAPIKeyUpdate(raw []byte) (*CoreAPIKeyPayload, error) {
	return decodeCoreAPIKey(raw, false)
}

// DecodeCoreUserDeleteOptions is user.delete's options (:599); raw nil
// (not given) is the default, delete_group true.
func DecodeCoreUserDeleteOptions(raw []byte) (deleteGroup bool, err error) {
	v, err := coreDecode(coreUserDeleteOptions, raw)
	if err != nil {
		return false, err
	}
	return v.vals["delete_group"].(bool), nil
}

// DecodeCoreGroupDeleteOptions is group.delete's options (:1259); raw nil
// is the default, delete_users false.
func DecodeCoreGroupDeleteOptions(raw []byte) (deleteUsers bool, err error) {
	v, err := coreDecode(coreGroupDeleteOptions, raw)
	if err != nil {
		return false, err
	}
	return v.vals["delete_users"].(bool), nil
}

// AssignedUID is the uid user.create stores: the one sent, or, when none
// or 0 was sent (account.py:352: if not data.get('uid')), CoreNextID of
// the uids of the non-builtin users.
func (p *CoreUserPayload) AssignedUID(nonBuiltinUIDs []int64) int64 {
	if p.UID.Set && p.UID.V != 0 {
		return p.UID.V
	}
	return CoreNextID(nonBuiltinUIDs)
}

// AssignedGID is the gid group.create stores: the one sent, 0 included,
// or, when none was sent (account.py:1177: if data.get('gid') is None),
// CoreNextID of the gids of the non-builtin groups.
func (p *CoreGroupPayload) AssignedGID(nonBuiltinGIDs []int64) int64 {
	if p.GID.Set {
		return p.GID.V
	}
	return CoreNextID(nonBuiltinGIDs)
}
