package account

// Model is the account API of one TrueNAS API version, as TrueNAS keeps
// one model per api/vXX_YY_Z: what differs between versions is a value
// here, and the rules, written once, read it (ModelOf). A version with
// another shape altogether (CORE 13.3's @accepts schemas) is one more
// Model.
type Model struct {
	// APIVersion is the middleware's name of the version ("v25_10_5").
	APIVersion string
	// MaxAPIKeysPerUser is the per-user API key cap (PAM_TDB_MAX_KEYS,
	// plugins/api_key.py at TS-25.10.6 line 200); 0 is none (26.0 keeps
	// SCRAM material in the database and has no cap).
	MaxAPIKeysPerUser int
	// Webshare: users carry webshare (v26_0_0's UserEntry, UserCreate,
	// UserUpdate), true when the user is a member of WebshareGroup.
	Webshare bool
}

// WebshareGroup is the built-in group a user with webshare is a member
// of (plugins/account.py at TS-26.0.0-BETA.3, handle_webshare; gid 445,
// LocalBuiltinAdminGroups.TRUENAS_WEBSHARE_ADMINISTRATORS in
// utils/privilege_constants.py, in ALLOWED_BUILTIN_GIDS). Only a 26.0
// image has it.
var WebshareGroup = BuiltinGroup{Name: "truenas_webshare", GID: 445, TrueNAS: true}

// The models of the API versions the engine answers.
var (
	ModelV25_10_5 = &Model{APIVersion: "v25_10_5", MaxAPIKeysPerUser: MaxAPIKeysPerUser}
	ModelV26_0_0  = &Model{APIVersion: "v26_0_0", Webshare: true}
)

// ModelBox is a Box that knows the API version it answers as.
type ModelBox interface {
	Model() *Model
}

// ModelOf is box's model; a box that does not say is v25_10_5, the
// default release's.
func ModelOf(box Box) *Model {
	if mb, ok := box.(ModelBox); ok {
		if m := mb.Model(); m != nil {
			return m
		}
	}
	return ModelV25_10_5
}
