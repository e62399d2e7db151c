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
	// SCRAMKeys: API keys carry SCRAM-SHA-512 material (iterations, salt,
	// stored_key, server_key; client_key in the create/reset result)
	// instead of keyhash, and auth.login_ex has the SCRAM mechanism
	// (v26_0_0: api/v26_0_0/api_key.py and auth.py; utils/crypto.py
	// generate_api_key_auth_data).
	SCRAMKeys bool
	// EmailString: user.create/update check email with TrueNAS's own
	// EmailString and store it as written (v26_0_0); otherwise pydantic's
	// EmailStr, which normalises it (v25_10_5, email.go).
	EmailString bool
	// Core is CORE 13.3's account API (core_model.go) when the version is
	// CORE's: its methods take CORE's @accepts schemas, answer CORE's
	// entries and have no privileges. nil on SCALE.
	Core *CoreAccountAPI
}

// SCRAMIterations is the PBKDF2-SHA512 round count of an API key's SCRAM
// material (utils/crypto.py at TS-26.0.0-BETA.3, generate_api_key_auth_data).
const SCRAMIterations = 500000

// WebshareGroup is the built-in group a user with webshare is a member
// of (plugins/account.py at TS-26.0.0-BETA.3, handle_webshare; gid 445,
// LocalBuiltinAdminGroups.TRUENAS_WEBSHARE_ADMINISTRATORS in
// utils/privilege_constants.py, in ALLOWED_BUILTIN_GIDS). Only a 26.0
// image has it.
var WebshareGroup = BuiltinGroup{Name: "truenas_webshare", GID: 445, TrueNAS: true}

// The models of the API versions the engine answers.
var (
	ModelV25_10_5 = &Model{APIVersion: "v25_10_5", MaxAPIKeysPerUser: MaxAPIKeysPerUser}
	ModelV26_0_0  = &Model{APIVersion: "v26_0_0", Webshare: true, SCRAMKeys: true, EmailString: true}
	// ModelV13_3 is TrueNAS CORE 13.3-U1.2's (no versioned API: CORE has
	// one, named here by its release).
	ModelV13_3 = &Model{APIVersion: "v13_3", Core: Core13_3}
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
