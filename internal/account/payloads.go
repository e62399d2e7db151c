package account

// Field is one key of a payload. Set says whether the key was sent; Null
// whether it was sent as JSON null (which, in TrueNAS's PATCH semantics,
// counts as a value that was sent). V holds the value, or the default when
// the key was not sent in a create payload.
type Field[T any] struct {
	Set  bool
	Null bool
	V    T
}

// Some returns a field that was sent with value v.
func Some[T any](v T) Field[T] { return Field[T]{Set: true, V: v} }

// NullField returns a field that was sent as null.
func NullField[T any]() Field[T] { return Field[T]{Set: true, Null: true} }

// UserPayload is the decoded argument of user.create (Create true) or
// user.update. For a create, fields that were not sent carry TrueNAS's
// defaults in V with Set false.
type UserPayload struct {
	Create bool

	UID                Field[int64]
	Username           Field[string]
	FullName           Field[string]
	Email              Field[string]
	GroupCreate        Field[bool]
	Group              Field[int64]
	Groups             Field[[]int64]
	Home               Field[string]
	HomeCreate         Field[bool]
	HomeMode           Field[string]
	Shell              Field[string]
	Password           Field[string]
	RandomPassword     Field[bool]
	PasswordDisabled   Field[bool]
	SSHPasswordEnabled Field[bool]
	SSHPubKey          Field[string]
	Locked             Field[bool]
	SMB                Field[bool]
	// Webshare is v26_0_0's (Model.Webshare); a v25_10_5 payload refuses it.
	Webshare             Field[bool]
	SudoCommands         Field[[]string]
	SudoCommandsNopasswd Field[[]string]
	UsernsIdmap          Field[any]
}

// Prefix is the attribute prefix of the payload's errors: "user_create" or
// "user_update".
func (p *UserPayload) Prefix() string {
	if p.Create {
		return "user_create"
	}
	return "user_update"
}

// GroupPayload is the decoded argument of group.create or group.update.
type GroupPayload struct {
	Create bool

	GID                  Field[int64]
	Name                 Field[string]
	SMB                  Field[bool]
	SudoCommands         Field[[]string]
	SudoCommandsNopasswd Field[[]string]
	Users                Field[[]int64]
	UsernsIdmap          Field[any]
}

// Prefix is "group_create" or "group_update".
func (p *GroupPayload) Prefix() string {
	if p.Create {
		return "group_create"
	}
	return "group_update"
}

// APIKeyPayload is the decoded argument of api_key.create or api_key.update.
type APIKeyPayload struct {
	Create bool

	Name      Field[string]
	Username  Field[string]
	ExpiresAt Field[Date] // Null: no expiry
	Reset     Field[bool] // update only
}

// Prefix is "api_key_create" or "api_key_update".
func (p *APIKeyPayload) Prefix() string {
	if p.Create {
		return "api_key_create"
	}
	return "api_key_update"
}
