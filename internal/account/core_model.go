package account

// What the CORE methods do once the checks pass, for the engine that
// implements them (plugins/account.py and api_key.py at TN-13.3-U1.2):
//
//   - user.create (:242-401) returns the new DB id. With group_create a
//     group named as the user is reused if one exists, else created (smb
//     false, no sudo); with smb the builtin_users group is added to
//     groups; a home other than /nonexistent is created with home_mode
//     (or chowned if it exists; a non-directory fails "Path for home
//     directory already exists and is not a directory", EEXIST) and gets
//     the skeleton files; the uid is AssignedUID; the password gives a
//     SHA-512 crypt unixhash and an smbhash, no password gives "*".
//   - user.update (:412-578) returns the id; a changed home is created
//     and the old one copied into it; home_mode is applied to the home,
//     not stored; a stored home that vanished is recreated.
//   - user.delete (:600-643) returns the id; with delete_group (default)
//     the primary group goes too when it is not builtin and no other user
//     has it as primary or auxiliary group.
//   - group.create (:1156-1200) returns the id, gid AssignedGID;
//     group.update (:1210-1257) returns the id and replaces the members
//     when users is sent; group.delete (:1260-1290) returns the id and
//     moves the users whose primary group it was to nogroup, or deletes
//     them with delete_users.
//   - api_key.create (api_key.py:41) returns CoreAPIKeyCreated;
//     api_key.update returns CoreAPIKeyEntry, or CoreAPIKeyReset with
//     reset; api_key.delete returns the datastore's answer (true).
//   - a CoreSchemaError is sent as a call error: errno EINVAL, the reason
//     "[attr] message", no extra, class Error of middlewared.schema
//     (main.py:165); Errors as ValidationErrors (errno EAGAIN, type
//     VALIDATION, main.py:163); a missing instance as the ValidationError
//     "User 5 does not exist" (ENOENT; verbose names User, Group, ApiKey:
//     service.py:286, 554).

// CoreAccountAPI is TrueNAS CORE 13.3-U1.2's account API (middleware tag
// TN-13.3-U1.2): its @accepts schemas, validation, defaults and query
// entries, as one value a release's Model can point at. It lives in this
// package, in the core_*.go files, because it reuses the package's
// unexported shared rules (pw_checkname, shlex, normpath, the catalogue)
// and because Model (model.go) must be able to refer to it without an
// import cycle. Its methods are the package functions of those files.
type CoreAccountAPI struct {
	// Release is the CORE release ("13.3-U1.2"); Tag the middleware tag.
	Release, Tag string
	// MaxUsernameLength is user_create.username's max_length.
	MaxUsernameLength int
	// FirstID is the first uid/gid get_next_uid/get_next_gid hand out.
	FirstID int64
	// DefaultHome, DefaultHomeMode and DefaultShell are user.create's
	// defaults.
	DefaultHome, DefaultHomeMode, DefaultShell string
	// IDsChangeable: uid and gid are part of user_update and
	// group_update.
	IDsChangeable bool
	// CreateReturnsID: user.create and group.create return the new DB id,
	// not the entry; so do the updates.
	CreateReturnsID bool
	// Privileges: CORE has no privilege.* methods and no roles; API keys
	// are name-only (no user, no expiry).
	Privileges bool
}

// Core13_3 is CORE 13.3-U1.2's account API.
var Core13_3 = &CoreAccountAPI{
	Release:           "13.3-U1.2",
	Tag:               "TN-13.3-U1.2",
	MaxUsernameLength: CoreMaxUsernameLength,
	FirstID:           CoreFirstID,
	DefaultHome:       CoreDefaultHome,
	DefaultHomeMode:   CoreDefaultHomeMode,
	DefaultShell:      CoreDefaultShell,
	IDsChangeable:     true,
	CreateReturnsID:   true,
	Privileges:        false,
}

// DecodeUserCreate is DecodeCoreUserCreate.
func (*CoreAccountAPI) DecodeUserCreate(raw []byte) (*CoreUserPayload, error) {
	return DecodeCoreUserCreate(raw)
}

// DecodeUserUpdate is DecodeCoreUserUpdate.
func (*CoreAccountAPI) DecodeUserUpdate(raw []byte) (*CoreUserPayload, error) {
	return DecodeCoreUserUpdate(raw)
}

// DecodeGroupCreate is DecodeCoreGroupCreate.
func (*CoreAccountAPI) DecodeGroupCreate(raw []byte) (*CoreGroupPayload, error) {
	return DecodeCoreGroupCreate(raw)
}

// DecodeGroupUpdate is DecodeCoreGroupUpdate.
func (*CoreAccountAPI) DecodeGroupUpdate(raw []byte) (*CoreGroupPayload, error) {
	return DecodeCoreGroupUpdate(raw)
}

// DecodeAPIKeyCreate is DecodeCoreAPIKeyCreate.
func (*CoreAccountAPI) DecodeAPIKeyCreate(raw []byte) (*CoreAPIKeyPayload, error) {
	return DecodeCoreAPIKeyCreate(raw)
}

// DecodeAPIKeyUpdate is DecodeCoreAPIKeyUpdate.
func (*CoreAccountAPI) DecodeAPIKeyUpdate(raw []byte) (*CoreAPIKeyPayload, error) {
	return DecodeCoreAPIKeyUpdate(raw)
}

// CheckUserCreate is CheckCoreUserCreate.
func (*CoreAccountAPI) CheckUserCreate(p *CoreUserPayload, box Box) error {
	return CheckCoreUserCreate(p, box)
}

// CheckUserUpdate is CheckCoreUserUpdate.
func (*CoreAccountAPI) CheckUserUpdate(p *CoreUserPayload, old *CoreUserEntry, box Box) error {
	return CheckCoreUserUpdate(p, old, box)
}

// CheckGroup is CheckCoreGroup.
func (*CoreAccountAPI) CheckGroup(p *CoreGroupPayload, old *CoreGroupEntry, box Box) error {
	return CheckCoreGroup(p, old, box)
}

// CheckAPIKey is CheckCoreAPIKey.
func (*CoreAccountAPI) CheckAPIKey(p *CoreAPIKeyPayload, old *CoreAPIKeyEntry, box Box) error {
	return CheckCoreAPIKey(p, old, box)
}

// NextID is CoreNextID.
func (*CoreAccountAPI) NextID(ids []int64) int64 { return CoreNextID(ids) }

// ShellChoices is user.shell_choices' shells (account.py:645): the lines
// of the box's shells that begin with "/" and /usr/sbin/nologin, netcli
// only for root.
func (*CoreAccountAPI) ShellChoices(box Box, root bool) []string { return coreShellChoices(box, root) }
