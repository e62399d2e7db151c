package engine

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

func (e *Engine) keyQuery(ctx context.Context, args []json.RawMessage) (any, error) {
	filters, options, err := queryArgs(args)
	if err != nil {
		return nil, err
	}
	v, err := e.read(ctx, func(t *txn, now time.Time) (any, error) {
		rows, err := t.QueryContext(ctx, `SELECT `+keyCols+` FROM api_keys ORDER BY id`)
		if err != nil {
			return nil, err
		}
		var ks []*keyRow
		for rows.Next() {
			k, err := scanKey(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			ks = append(ks, k)
		}
		rows.Close()
		return marshalEntries(ks, 0, newLoader(ctx, t).keyEntry)
	})
	if err != nil {
		return nil, err
	}
	return runQuery(v.([]json.RawMessage), filters, options)
}

func loadKey(ctx context.Context, q querier, id int64) (*account.APIKeyEntry, *keyRow, error) {
	k, err := getKeyRow(ctx, q, "id = ?", id)
	if err != nil || k == nil {
		return nil, nil, err
	}
	ke, err := newLoader(ctx, q).keyEntry(k)
	return ke, k, err
}

func (e *Engine) keyGetInstance(ctx context.Context, args []json.RawMessage) (any, error) {
	return instanceOf(e, ctx, args, "ApiKey", func(t *txn, id int64, _ time.Time) (*account.APIKeyEntry, error) {
		ke, _, err := loadKey(ctx, t, id)
		return ke, err
	})
}

// newSecret makes a key secret and what the store keeps of it: its hash
// (25.10), or its SCRAM verifier and the ClientKey the create result shows
// (a model with SCRAM keys, 26.0).
func newSecret(m *account.Model) (secret, hash string, clientKey *string, err error) {
	secret = RandomString(64)
	if !m.SCRAMKeys {
		hash, err = keyHash(secret)
		return secret, hash, nil, err
	}
	k, err := newSCRAM(secret)
	if err != nil {
		return "", "", nil, err
	}
	ck := b64.EncodeToString(k.ClientKey)
	return secret, k.verifier(), &ck, nil
}

// keyCreateResult is the create/reset result: the entry with
// user_identifier as a string (as TrueNAS returns it) plus the key.
func keyWithKey(ke *account.APIKeyEntry, id int64, secret string, clientKey *string, stringIdentifier bool) account.APIKeyWithKey {
	out := account.APIKeyWithKey{APIKeyEntry: *ke, Key: strconv.FormatInt(id, 10) + "-" + secret, ClientKey: clientKey}
	if stringIdentifier {
		if n, ok := ke.UserIdentifier.(int64); ok {
			out.UserIdentifier = strconv.FormatInt(n, 10)
		}
	}
	return out
}

func (e *Engine) keyCreate(ctx context.Context, args []json.RawMessage) (any, error) {
	raw := arg(args, 0)
	if err := objectArg(raw, "api_key_create", "ApiKeyCreate"); err != nil {
		return nil, err
	}
	p, errs := modelOf(ctx).DecodeAPIKeyCreate(raw)
	if len(errs) > 0 {
		return nil, errs
	}
	// Before anything else, so that a refusal tells nothing of the user.
	if err := keyPrivilegeCheck(ctx, &p.Username.V); err != nil {
		return nil, err
	}
	return e.writeStoreOnly(ctx, func(t *txn, now time.Time) (any, error) {
		bv := e.newBoxView(ctx, t, now)
		errs := account.CheckAPIKey(p, nil, bv)
		if bv.err != nil {
			return nil, bv.err
		}
		if len(errs) > 0 {
			return nil, errs
		}
		u, err := getUserRow(ctx, t, "username = ?", p.Username.V)
		if err != nil {
			return nil, err
		}
		if u == nil {
			return nil, account.Errors{{Attribute: "api_key_create", Message: "User does not exist.", Errno: account.EINVAL}}
		}
		secret, hash, clientKey, err := newSecret(modelOf(ctx))
		if err != nil {
			return nil, err
		}
		var exp any
		if p.ExpiresAt.Set && !p.ExpiresAt.Null {
			exp = p.ExpiresAt.V.UnixMilli()
		}
		res, err := t.ExecContext(ctx, `INSERT INTO api_keys (name, user_id, keyhash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
			p.Name.V, u.ID, hash, now.UnixMilli(), exp)
		if err != nil {
			return nil, err
		}
		id, _ := res.LastInsertId()
		ke, _, err := loadKey(ctx, t, id)
		if err != nil {
			return nil, err
		}
		return keyWithKey(ke, id, secret, clientKey, true), nil
	})
}

func (e *Engine) keyUpdate(ctx context.Context, args []json.RawMessage) (any, error) {
	id, raw, err := updateArgs(args, "api_key_update", "ApiKeyUpdate")
	if err != nil {
		return nil, err
	}
	p, errs := modelOf(ctx).DecodeAPIKeyUpdate(raw)
	if len(errs) > 0 {
		return nil, errs
	}
	return e.writeStoreOnly(ctx, func(t *txn, now time.Time) (any, error) {
		old, _, err := loadKey(ctx, t, id)
		if err != nil {
			return nil, err
		}
		if old == nil {
			return nil, account.NewCallError(account.EINVAL, "MatchNotFound()")
		}
		// ApiKeyUpdate has no username: the key's stays.
		if err := keyPrivilegeCheck(ctx, old.Username); err != nil {
			return nil, err
		}
		bv := e.newBoxView(ctx, t, now)
		errs := account.CheckAPIKey(p, old, bv)
		if bv.err != nil {
			return nil, bv.err
		}
		if len(errs) > 0 {
			return nil, errs
		}
		var sets []string
		var vals []any
		set := func(col string, v any) { sets = append(sets, col+" = ?"); vals = append(vals, v) }
		if p.Name.Set && !p.Name.Null {
			set("name", p.Name.V)
		}
		if p.ExpiresAt.Set {
			if p.ExpiresAt.Null {
				set("expires_at", nil)
			} else {
				set("expires_at", p.ExpiresAt.V.UnixMilli())
			}
		}
		var secret string
		var clientKey *string
		if p.Reset.V {
			s, hash, ck, err := newSecret(modelOf(ctx))
			if err != nil {
				return nil, err
			}
			secret, clientKey = s, ck
			set("keyhash", hash)
			set("revoked", false)
			set("revoked_reason", nil)
		}
		if len(sets) > 0 {
			vals = append(vals, id)
			if _, err := t.ExecContext(ctx, "UPDATE api_keys SET "+strings.Join(sets, ", ")+" WHERE id = ?", vals...); err != nil {
				return nil, err
			}
		}
		ke, _, err := loadKey(ctx, t, id)
		if err != nil {
			return nil, err
		}
		if p.Reset.V {
			return keyWithKey(ke, id, secret, clientKey, false), nil
		}
		return ke, nil
	})
}

func (e *Engine) keyDelete(ctx context.Context, args []json.RawMessage) (any, error) {
	id, err := intArg(arg(args, 0), "id")
	if err != nil {
		return nil, err
	}
	return e.writeStoreOnly(ctx, func(t *txn, now time.Time) (any, error) {
		ke, _, err := loadKey(ctx, t, id)
		if err != nil {
			return nil, err
		}
		if ke == nil {
			return nil, account.NotFound("ApiKey", id)
		}
		if err := keyPrivilegeCheck(ctx, ke.Username); err != nil {
			return nil, err
		}
		if _, err := t.ExecContext(ctx, `DELETE FROM api_keys WHERE id = ?`, id); err != nil {
			return nil, err
		}
		return true, nil
	})
}

// authLoginEx checks a password or an API key. It never changes the store.
func (e *Engine) authLoginEx(ctx context.Context, args []json.RawMessage) (any, error) {
	raw := arg(args, 0)
	if err := objectArg(raw, "login_data", ""); err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, invalid("login_data", "Input should be a valid dictionary")
	}
	str := func(key string) (string, error) {
		v, ok := m[key]
		if !ok {
			return "", invalid("login_data."+key, "Field required")
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", invalid("login_data."+key, "Input should be a valid string")
		}
		return s, nil
	}
	mech, err := str("mechanism")
	if err != nil {
		return nil, err
	}
	var allowed []string
	switch mech {
	case "PASSWORD_PLAIN":
		allowed = []string{"mechanism", "username", "password", "login_options"}
	case "API_KEY_PLAIN":
		allowed = []string{"mechanism", "username", "api_key", "login_options"}
	case "TOKEN_PLAIN":
		allowed = []string{"mechanism", "token", "login_options"}
	case "OTP_TOKEN":
		allowed = []string{"mechanism", "otp_token", "login_options"}
	case "SCRAM":
		if modelOf(ctx).SCRAMKeys {
			allowed = []string{"mechanism", "scram_type", "rfc_str"} // api/v26_0_0/auth.py AuthSCRAM
			break
		}
		fallthrough
	default:
		// The tags are AuthMech members (utils/auth.py:14, a StrEnum), and
		// pydantic names them by their repr, in the union's order
		// (api/v25_10_5/auth.py AuthLoginExArgs; v26_0_0 adds AuthSCRAM).
		tags := "<AuthMech.API_KEY_PLAIN: 'API_KEY_PLAIN'>, <AuthMech.PASSWORD_PLAIN: 'PASSWORD_PLAIN'>, " +
			"<AuthMech.TOKEN_PLAIN: 'TOKEN_PLAIN'>, <AuthMech.OTP_TOKEN: 'OTP_TOKEN'>"
		if modelOf(ctx).SCRAMKeys {
			tags += ", <AuthMech.SCRAM: 'SCRAM'>"
		}
		return nil, invalid("login_data", "Input tag '"+mech+"' found using 'mechanism' does not match any of the expected tags: "+tags)
	}
	var errs account.Errors
	for k := range m {
		ok := false
		for _, a := range allowed {
			ok = ok || a == k
		}
		if !ok {
			errs.Add("login_data."+mech+"."+k, "Extra inputs are not permitted", account.EINVAL)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	userInfo := true
	if lo, ok := m["login_options"]; ok && !isNull(lo) {
		var opts struct {
			UserInfo *bool `json:"user_info"`
		}
		if err := json.Unmarshal(lo, &opts); err != nil {
			return nil, invalid("login_data."+mech+".login_options", "Input should be a valid dictionary")
		}
		if opts.UserInfo != nil {
			userInfo = *opts.UserInfo
		}
	}
	authErr := map[string]any{"response_type": "AUTH_ERR"}
	switch mech {
	case "SCRAM":
		typ, err := str("scram_type")
		if err != nil {
			return nil, err
		}
		if typ != "CLIENT_FIRST_MESSAGE" && typ != "CLIENT_FINAL_MESSAGE" {
			return nil, invalid("login_data.SCRAM.scram_type", "Input should be 'CLIENT_FIRST_MESSAGE' or 'CLIENT_FINAL_MESSAGE'")
		}
		rfc, err := str("rfc_str")
		if err != nil {
			return nil, err
		}
		return e.loginSCRAM(ctx, typ, rfc)
	case "TOKEN_PLAIN":
		// The engine issues no tokens (auth.generate_token), so none is
		// valid: plugins/auth.py:1044 answers AUTH_ERR.
		if _, err := str("token"); err != nil {
			return nil, err
		}
		return authErr, nil
	case "OTP_TOKEN":
		// Only as the answer to OTP_REQUIRED, which the engine never asks
		// (plugins/auth.py:619).
		if _, err := str("otp_token"); err != nil {
			return nil, err
		}
		return nil, account.NewCallError(account.EINVAL, "OTP_TOKEN: no authentication in progress")
	}
	username, err := str("username")
	if err != nil {
		return nil, err
	}
	var secret string
	switch mech {
	case "PASSWORD_PLAIN":
		secret, err = str("password")
	case "API_KEY_PLAIN":
		secret, err = str("api_key")
	}
	if err != nil {
		return nil, err
	}
	// A socket peer that is not root pays for a failure as pam_unix makes
	// TrueNAS's callers pay (about 2 s), one attempt at a time per peer:
	// login_ex is open to every local user, and must be no fast password
	// or key oracle.
	who, peer := callerOf(ctx)
	if peer {
		unlock, err := e.logins.lock(ctx, who.peer)
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	resp, err := e.checkLogin(ctx, mech, username, secret, userInfo)
	if err == nil && peer && resp["response_type"] == "AUTH_ERR" {
		e.logins.failed(ctx)
	}
	return resp, err
}

// checkLogin checks a password or an API key in three steps, so that the
// slow hash (sha512-crypt, pbkdf2-sha512) holds no transaction and so no
// other caller waits on the store for it: read what to check, check it,
// then read again and answer only if what was checked is still the user's.
func (e *Engine) checkLogin(ctx context.Context, mech, username, secret string, userInfo bool) (map[string]any, error) {
	authErr := map[string]any{"response_type": "AUTH_ERR"}
	var hash string
	var kid int64
	apiKey := mech == "API_KEY_PLAIN"
	keySecret := ""
	if apiKey {
		idPart, sec, ok := strings.Cut(secret, "-")
		id, perr := strconv.ParseInt(idPart, 10, 64)
		if !ok || perr != nil {
			return authErr, nil
		}
		kid, keySecret = id, sec
	}
	// what reads the stored hash, or "" when the login fails whatever the
	// secret is.
	what := func(ctx context.Context, t *txn) (*userRow, *keyRow, string, error) {
		u, err := getUserRow(ctx, t, "username = ?", username)
		if err != nil || u == nil || u.Locked {
			return nil, nil, "", err
		}
		if !apiKey {
			if u.PasswordDisabled {
				return nil, nil, "", nil
			}
			return u, nil, u.Unixhash, nil
		}
		k, err := getKeyRow(ctx, t, "id = ?", kid)
		if err != nil || k == nil || k.UserID != u.ID || k.Revoked {
			return nil, nil, "", err
		}
		return u, k, k.Keyhash, nil
	}
	if _, err := e.read(ctx, func(t *txn, _ time.Time) (any, error) {
		_, _, h, err := what(ctx, t)
		hash = h
		return nil, err
	}); err != nil {
		return nil, err
	}
	if hash == "" {
		return authErr, nil
	}
	var ok bool
	if err := e.hashing(ctx, func() {
		if apiKey {
			ok = checkKeyHash(hash, keySecret)
		} else {
			ok = checkUnixHash(hash, secret)
		}
	}); err != nil {
		return nil, err
	}
	if !ok {
		return authErr, nil
	}
	v, err := e.read(ctx, func(t *txn, now time.Time) (any, error) {
		u, k, h, err := what(ctx, t)
		if err != nil {
			return nil, err
		}
		if h != hash {
			return authErr, nil // changed (or locked, revoked) meanwhile
		}
		if k != nil && k.ExpiresAt.Valid && now.UnixMilli() >= k.ExpiresAt.Int64 {
			return map[string]any{"response_type": "EXPIRED"}, nil
		}
		resp := map[string]any{"response_type": "SUCCESS", "authenticator": "LEVEL_1", "user_info": nil}
		if userInfo {
			ue, err := newLoader(ctx, t).userEntry(u, now)
			if err != nil {
				return nil, err
			}
			info, err := e.userInfo(ctx, t, ue, apiKey)
			if err != nil {
				return nil, err
			}
			resp["user_info"] = info
		}
		return resp, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(map[string]any), nil
}

// userInfo is the auth.me-style description of a logged-in user.
func (e *Engine) userInfo(ctx context.Context, q querier, ue *account.UserEntry, apiKey bool) (map[string]any, error) {
	gids := []int64{ue.Group.GID}
	l := newLoader(ctx, q)
	for _, id := range ue.Groups {
		if g, err := l.group(id); err == nil && g != nil {
			gids = append(gids, g.GID)
		}
	}
	privs, err := l.privileges()
	if err != nil {
		return nil, err
	}
	// privilege.py compose_privilege over the stored privileges: roles
	// expanded with what they include, web_shell if any privilege grants it.
	cp := account.ComposePrivilege(privs, gids)
	attrs := []string{"LOCAL"}
	if apiKey {
		attrs = append(attrs, "API_KEY")
	}
	// auth.me adds PASSWORD_CHANGE_REQUIRED for a local account past its
	// soft limit (plugins/auth.py line 1285).
	if ue.PasswordChangeRequired {
		attrs = append(attrs, "PASSWORD_CHANGE_REQUIRED")
	}
	// user.get_user_obj without get_groups has grouplist null; the engine
	// has no two-factor secrets, so user.twofactor_config is that of an
	// account without one (plugins/account_/2fa.py line 89, auth_/2fa.py
	// line 118): AuthUserInfo wants a dict there.
	return map[string]any{
		"pw_name": ue.Username, "pw_gecos": ue.FullName, "pw_dir": ue.Home, "pw_shell": ue.Shell,
		"pw_uid": ue.UID, "pw_gid": ue.Group.GID, "grouplist": nil, "sid": nil, "source": "LOCAL", "local": true,
		"attributes":         map[string]any{},
		"two_factor_config":  map[string]any{"provisioning_uri": nil, "secret_configured": false, "interval": 30, "otp_digits": 6},
		"privilege":          map[string]any{"roles": map[string]any{"$set": cp.Roles}, "web_shell": cp.WebShell, "webui_access": cp.WebUIAccess},
		"account_attributes": attrs,
	}, nil
}

// keyPrivilegeCheck runs api_key_privilege_check for the call's user; an
// internal call (root) passes.
func keyPrivilegeCheck(ctx context.Context, username *string) error {
	u, ok := callerOf(ctx)
	if !ok {
		return nil
	}
	return account.APIKeyPrivilegeCheck(u.username, u.roles, username)
}
