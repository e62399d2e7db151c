package account

// connectionAccess is what the connection-level and system methods a
// TrueNAS client calls need (TS-25.10.6): core_service.py lines 394, 702,
// 718 and 727; plugins/auth.py lines 514, 630, 680, 1162, 1212 and 1223;
// plugins/system/product.py lines 74 and 107. system.info has roles
// (plugins/system/info.py line 83, READONLY_ADMIN), in methodRoles.
var connectionAccess = map[string]Access{
	"core.ping":               AccessAnyone,
	"core.set_options":        AccessAnyone,
	"core.subscribe":          AccessAuthenticated,
	"core.unsubscribe":        AccessAuthenticated,
	"auth.login":              AccessAnyone,
	"auth.login_with_api_key": AccessAnyone,
	"auth.login_ex":           AccessAnyone,
	"auth.mechanism_choices":  AccessAnyone,
	"auth.logout":             AccessAuthenticated,
	"auth.me":                 AccessAuthenticated,
	"system.version":          AccessAuthenticated,
	"system.version_short":    AccessAuthenticated,
}

func init() {
	methodRoles["system.info"] = []string{"READONLY_ADMIN"}
}
