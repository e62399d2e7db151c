package engine

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// The methods a TrueNAS client calls on its connection around the account
// API (truenas_api_client at release/25.10.6: on_open sends
// core.set_options, every call with new-style jobs first subscribes to
// core.get_jobs, midclt logs in with auth.login or auth.login_with_api_key;
// other clients call auth.me and auth.mechanism_choices). Their arguments,
// answers and errors are TrueNAS 25.10.6's: service/core_service.py,
// plugins/auth.py and api/v25_10_5/{core,auth}.py. A login changes who the
// connection is, as SessionManager.login does: later calls are authorised
// by the logged-in user's roles.

// sessionKey carries the Session a call came through (Session.Call).
type sessionKey struct{}

// sessionOf returns the connection of a call, or nil for the command line
// (an internal call, as root).
func sessionOf(ctx context.Context) *Session {
	s, _ := ctx.Value(sessionKey{}).(*Session)
	return s
}

// connState is what a connection's calls set: its options
// (core.set_options), its event subscriptions and how it logged in.
// Guarded by Session.mu.
type connState struct {
	optionsSet   bool // legacy_jobs stays true (RpcWebSocketApp) until set
	legacyJobs   bool
	private      bool
	pyExceptions bool
	subs         map[string]string // subscription id -> event
	apiKey       bool              // logged in with an API key
	loggedOut    bool
	scram        *scramExchange // a SCRAM login_ex between its two messages
}

func connMethods() map[string]method {
	return map[string]method{
		"core.ping":               plain(0, (*Engine).corePing),
		"core.set_options":        plain(1, (*Engine).coreSetOptions),
		"core.subscribe":          plain(1, (*Engine).coreSubscribe),
		"core.unsubscribe":        plain(1, (*Engine).coreUnsubscribe),
		"auth.login":              plain(3, (*Engine).authLogin),
		"auth.login_with_api_key": plain(1, (*Engine).authLoginWithAPIKey),
		"auth.login_ex":           plain(1, (*Engine).authLoginExSession),
		"auth.logout":             plain(0, (*Engine).authLogout),
		"auth.me":                 plain(0, (*Engine).authMe),
		"auth.mechanism_choices":  plain(0, (*Engine).authMechanismChoices),
	}
}

func (e *Engine) corePing(context.Context, []json.RawMessage) (any, error) { return "pong", nil }

// strictBool decodes a pydantic strict bool.
func strictBool(raw json.RawMessage, attr string) (bool, error) {
	switch string(bytes.TrimSpace(raw)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, invalid(attr, "Input should be a valid boolean")
}

// strictString decodes a pydantic strict str; a missing one is "Field
// required".
func strictString(raw json.RawMessage, attr string) (string, error) {
	if raw == nil {
		return "", invalid(attr, "Field required")
	}
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", invalid(attr, "Input should be a valid string")
	}
	return s, nil
}

// coreSetOptions is core.set_options: CoreOptions is strict, every field
// optional (ForUpdateMetaclass), unknown keys ignored (extra="ignore");
// the answer is the connection's options after the change.
func (e *Engine) coreSetOptions(ctx context.Context, args []json.RawMessage) (any, error) {
	raw := arg(args, 0)
	if raw == nil {
		return nil, invalid("options", "Field required")
	}
	var m map[string]json.RawMessage
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &m) != nil {
		return nil, invalid("options", "Input should be a valid dictionary or instance of CoreOptions")
	}
	vals := map[string]*bool{}
	var errs account.Errors
	for _, k := range []string{"legacy_jobs", "private_methods", "py_exceptions"} {
		v, ok := m[k]
		if !ok {
			continue
		}
		b, err := strictBool(v, "options."+k)
		if err != nil {
			errs = append(errs, err.(account.Errors)...)
			continue
		}
		vals[k] = &b
	}
	if len(errs) > 0 {
		return nil, errs
	}
	st := connState{legacyJobs: true}
	s := sessionOf(ctx)
	if s != nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.conn.optionsSet {
			s.conn.optionsSet, s.conn.legacyJobs = true, true
		}
		st = s.conn
	}
	if v := vals["legacy_jobs"]; v != nil {
		st.legacyJobs = *v
	}
	if v := vals["private_methods"]; v != nil {
		st.private = *v
	}
	if v := vals["py_exceptions"]; v != nil {
		st.pyExceptions = *v
	}
	if s != nil {
		s.conn = st
	}
	return map[string]bool{"legacy_jobs": st.legacyJobs, "private_methods": st.private, "py_exceptions": st.pyExceptions}, nil
}

// newUUID is a random (version 4) UUID, as uuid.uuid4 gives.
func newUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:]), nil
}

// subscribableByAll are the events registered with no_authz_required
// among those a client of the account API subscribes to (job.py line 99:
// core.get_jobs). Any other event needs the SUBSCRIBE authorisation, which
// a full administrator has.
var subscribableByAll = map[string]bool{"core.get_jobs": true}

// coreSubscribe is core.subscribe (core_service.py line 718). The engine
// runs no jobs and sends no events, so a subscription never fires; it is
// kept until core.unsubscribe or the end of the connection.
func (e *Engine) coreSubscribe(ctx context.Context, args []json.RawMessage) (any, error) {
	name, err := strictString(arg(args, 0), "event")
	if err != nil {
		return nil, err
	}
	short, _, _ := bytesCut(name, ':')
	s := sessionOf(ctx)
	if s != nil && !subscribableByAll[short] {
		u, peer := callerOf(ctx)
		if peer && !account.RoleGrants(u.roles, "FULL_ADMIN") {
			return nil, account.NewCallError(account.EACCES, "Not authorized")
		}
	}
	id, err := newUUID()
	if err != nil {
		return nil, err
	}
	if s != nil {
		s.mu.Lock()
		if s.conn.subs == nil {
			s.conn.subs = map[string]string{}
		}
		s.conn.subs[id] = name
		s.mu.Unlock()
	}
	return id, nil
}

func bytesCut(s string, sep byte) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// coreUnsubscribe is core.unsubscribe: an unknown id is no error.
func (e *Engine) coreUnsubscribe(ctx context.Context, args []json.RawMessage) (any, error) {
	id, err := strictString(arg(args, 0), "id_")
	if err != nil {
		return nil, err
	}
	if s := sessionOf(ctx); s != nil {
		s.mu.Lock()
		delete(s.conn.subs, id)
		s.mu.Unlock()
	}
	return nil, nil
}

// authLoginExSession is auth.login_ex on a connection: the check is
// authLoginEx's; a SUCCESS logs the connection in as that user. A user
// with a good secret but no privilege has no TrueNAS credential
// (auth_/authenticate.py lines 19-23 and 118-120): the connection stays
// as it was. TrueNAS then answers AUTH_ERR; the engine's login_ex keeps
// answering SUCCESS there (the password check the engine's callers and
// tests rely on), and auth.login/auth.login_with_api_key answer false.
func (e *Engine) authLoginExSession(ctx context.Context, args []json.RawMessage) (any, error) {
	v, err := e.authLoginEx(ctx, args)
	if err != nil {
		return nil, err
	}
	resp, _ := v.(map[string]any)
	if resp == nil || resp["response_type"] != "SUCCESS" {
		return v, nil
	}
	var data struct {
		Mechanism string `json:"mechanism"`
		Username  string `json:"username"`
		APIKey    string `json:"api_key"`
	}
	_ = json.Unmarshal(arg(args, 0), &data) // authLoginEx checked it
	if data.Mechanism != "API_KEY_PLAIN" {
		data.APIKey = ""
	}
	if _, err := e.loginAs(ctx, data.Username, data.APIKey); err != nil {
		return nil, err
	}
	return resp, nil
}

// loginCredential runs login_ex for auth.login and
// auth.login_with_api_key: true when the connection now holds that user's
// credential (a good secret and a privilege).
func (e *Engine) loginCredential(ctx context.Context, data []byte, username, apiKey string) (bool, error) {
	v, err := e.authLoginEx(ctx, []json.RawMessage{data})
	if err != nil {
		return false, err
	}
	if resp, _ := v.(map[string]any); resp == nil || resp["response_type"] != "SUCCESS" {
		return false, nil
	}
	return e.loginAs(ctx, username, apiKey)
}

// loginAs makes the call's connection username's: its roles from now on
// are that user's. It reports false, changing nothing, when the user holds
// no privilege (no TrueNAS credential). Without a connection (the command
// line) there is nothing to change; the check alone answers.
//
// apiKey is the key it logged in with ("" for a password): the session
// holds while the key does (Session.refresh, at every call).
func (e *Engine) loginAs(ctx context.Context, username, apiKey string) (bool, error) {
	var keyID int64
	if apiKey != "" {
		idPart, _, _ := bytesCut(apiKey, '-')
		id, err := parseKeyID(idPart)
		if err != nil {
			return false, nil
		}
		keyID = id
	}
	ns, err := e.Login(ctx, Caller{Username: username})
	if err != nil {
		return false, err
	}
	if !ns.authenticated {
		return false, nil
	}
	if s := sessionOf(ctx); s != nil {
		s.mu.Lock()
		s.root, s.authenticated, s.username, s.roles = ns.root, true, ns.username, ns.roles
		s.login, s.loginKey = username, keyID
		s.conn.apiKey, s.conn.loggedOut = apiKey != "", false
		s.mu.Unlock()
	}
	return true, nil
}

// authLogin is auth.login (plugins/auth.py line 516, AuthLoginArgs):
// username and password, otp_token for two-factor accounts, which the
// engine has none of; true when the connection is now that user's.
func (e *Engine) authLogin(ctx context.Context, args []json.RawMessage) (any, error) {
	var errs account.Errors
	username, err := strictString(arg(args, 0), "username")
	if err != nil {
		errs = append(errs, err.(account.Errors)...)
	}
	password, err := strictString(arg(args, 1), "password")
	if err != nil {
		errs = append(errs, err.(account.Errors)...)
	}
	if raw := arg(args, 2); !isNull(raw) {
		if _, err := strictString(raw, "otp_token"); err != nil {
			errs = append(errs, err.(account.Errors)...)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	data, _ := json.Marshal(map[string]any{
		"mechanism": "PASSWORD_PLAIN", "username": username, "password": password,
		"login_options": map[string]bool{"user_info": false},
	})
	return e.loginCredential(ctx, data, username, "")
}

// authLoginWithAPIKey is auth.login_with_api_key (plugins/auth.py line
// 1164): the key's id names its user, then API_KEY_PLAIN as login_ex. An
// unknown key costs the caller the same 1-2 s TrueNAS sleeps.
func (e *Engine) authLoginWithAPIKey(ctx context.Context, args []json.RawMessage) (any, error) {
	key, err := strictString(arg(args, 0), "api_key")
	if err != nil {
		return nil, err
	}
	username := ""
	idPart, _, _ := bytesCut(key, '-')
	if id, perr := parseKeyID(idPart); perr == nil {
		if _, err := e.read(ctx, func(t *txn, _ time.Time) (any, error) {
			k, err := getKeyRow(ctx, t, "id = ?", id)
			if err != nil || k == nil {
				return nil, err
			}
			u, err := getUserRow(ctx, t, "id = ?", k.UserID)
			if err == nil && u != nil {
				username = u.Username
			}
			return nil, err
		}); err != nil {
			return nil, err
		}
	}
	if username == "" {
		if _, peer := callerOf(ctx); peer {
			e.logins.failed(ctx)
		}
		return false, nil
	}
	data, _ := json.Marshal(map[string]any{
		"mechanism": "API_KEY_PLAIN", "username": username, "api_key": key,
		"login_options": map[string]bool{"user_info": false},
	})
	return e.loginCredential(ctx, data, username, key)
}

// parseKeyID is Python's int() of the part before the first dash, for the
// digits an API key id has.
func parseKeyID(s string) (int64, error) {
	if s == "" || len(s) > 18 {
		return 0, fmt.Errorf("not a key id")
	}
	var n int64
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("not a key id")
		}
		n = n*10 + int64(r-'0')
	}
	return n, nil
}

// authLogout is auth.logout: the connection is no longer authenticated,
// whoever it was (a root socket peer too, as SessionManager.logout does).
func (e *Engine) authLogout(ctx context.Context, _ []json.RawMessage) (any, error) {
	if s := sessionOf(ctx); s != nil {
		s.mu.Lock()
		s.root, s.authenticated, s.username, s.roles = false, false, "", nil
		s.login, s.loginKey = "", 0
		s.conn.subs, s.conn.apiKey, s.conn.loggedOut = nil, false, true
		s.mu.Unlock()
	}
	return true, nil
}

// authMechanismChoices is auth.mechanism_choices at the engine's
// authenticator assurance level, LEVEL_1 (utils/auth.py AA_LEVEL1): no
// credential of the engine's is barred from making tokens.
func (e *Engine) authMechanismChoices(ctx context.Context, _ []json.RawMessage) (any, error) {
	if modelOf(ctx).SCRAMKeys {
		// TS-26.0.0-BETA.3 utils/auth.py AA_LEVEL1 adds SCRAM.
		return []string{"API_KEY_PLAIN", "TOKEN_PLAIN", "PASSWORD_PLAIN", "SCRAM"}, nil
	}
	return []string{"API_KEY_PLAIN", "TOKEN_PLAIN", "PASSWORD_PLAIN"}, nil
}

// authMe is auth.me (plugins/auth.py lines 1225 and 1266): the
// connection's user as user.get_user_obj gives it (grouplist null, as
// without get_groups), with its composed privilege, account attributes,
// web UI attributes and two-factor configuration. A root socket peer (and
// the command line) is root with full_privilege and LOCAL, SYS_ADMIN.
func (e *Engine) authMe(ctx context.Context, _ []json.RawMessage) (any, error) {
	username, root, apiKey := "root", true, false
	if s := sessionOf(ctx); s != nil {
		s.mu.Lock()
		if s.username != "" {
			username, root = s.username, false
		}
		apiKey = s.conn.apiKey
		s.mu.Unlock()
	}
	v, err := e.read(ctx, func(t *txn, now time.Time) (any, error) {
		u, err := getUserRow(ctx, t, "username = ?", username)
		if err != nil {
			return nil, err
		}
		if u == nil {
			return nil, account.NewCallError(account.ENOENT, "%s: user with this name does not exist", username)
		}
		ue, err := newLoader(ctx, t).userEntry(u, now)
		if err != nil {
			return nil, err
		}
		return e.userInfo(ctx, t, ue, apiKey)
	})
	if err != nil {
		return nil, err
	}
	info := v.(map[string]any)
	if root && !apiKey {
		info["privilege"] = map[string]any{
			"roles": map[string]any{"$set": []string{"FULL_ADMIN"}}, "allowlist": []map[string]string{{"method": "*", "resource": "*"}},
			"web_shell": true, "webui_access": true,
		}
		attrs := []string{"LOCAL", "SYS_ADMIN"}
		if prev, _ := info["account_attributes"].([]string); slices.Contains(prev, "PASSWORD_CHANGE_REQUIRED") {
			attrs = append(attrs, "PASSWORD_CHANGE_REQUIRED")
		}
		info["account_attributes"] = attrs
	}
	return info, nil
}
