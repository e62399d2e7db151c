package engine

import (
	"context"
	"strconv"
	"time"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// loginSCRAM is auth.login_ex's SCRAM mechanism (TrueNAS 26.0:
// plugins/auth.py and plugins/auth_/login_ex_impl.py login_ex_scram at
// TS-26.0.0-BETA.3): CLIENT_FIRST_MESSAGE names "<user>:<API key id>"
// and a nonce and is answered SERVER_FIRST_RESPONSE (nonce, salt,
// iterations); CLIENT_FINAL_MESSAGE carries the proof and, when the proof
// is the key's, logs the connection in as the key's user and is answered
// SERVER_FINAL_RESPONSE with the server signature and auth.me. A message
// that names no usable key, or a wrong proof, is AUTH_ERR; a final message
// with no exchange in progress is TrueNAS's CallError.
func (e *Engine) loginSCRAM(ctx context.Context, typ, rfc string) (any, error) {
	authErr := map[string]any{"response_type": "AUTH_ERR"}
	sess := sessionOf(ctx)
	who, peer := callerOf(ctx)
	if peer {
		unlock, err := e.logins.lock(ctx, who.peer)
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	fail := func() (any, error) {
		if peer {
			e.logins.failed(ctx)
		}
		return authErr, nil
	}
	if typ == "CLIENT_FIRST_MESSAGE" {
		if sess != nil {
			sess.mu.Lock()
			sess.conn.scram = nil
			sess.mu.Unlock()
		}
		gs2, bare, username, keyID, cnonce, err := parseClientFirst(rfc)
		if err != nil {
			return fail()
		}
		x, expired, err := e.scramKey(ctx, username, keyID)
		if err != nil {
			return nil, err
		}
		if expired {
			return map[string]any{"response_type": "EXPIRED"}, nil
		}
		if x == nil {
			return fail()
		}
		x.gs2Header, x.clientFirstBare = gs2, bare
		x.start(cnonce)
		if sess != nil {
			sess.mu.Lock()
			sess.conn.scram = x
			sess.mu.Unlock()
		}
		return map[string]any{"response_type": "SCRAM_RESPONSE", "scram_type": "SERVER_FIRST_RESPONSE",
			"rfc_str": x.serverFirst, "user_info": nil}, nil
	}
	var x *scramExchange
	if sess != nil {
		sess.mu.Lock()
		x, sess.conn.scram = sess.conn.scram, nil
		sess.mu.Unlock()
	}
	if x == nil {
		return nil, account.NewCallError(account.EFAULT, "SCRAM authentication is not in progress")
	}
	// The key must still be what the exchange ran on (not reset, revoked,
	// deleted, expired or its user locked since the first message).
	now, expired, err := e.scramKey(ctx, x.username, x.keyID)
	if err != nil {
		return nil, err
	}
	if expired {
		return map[string]any{"response_type": "EXPIRED"}, nil
	}
	if now == nil || now.verifier != x.verifier {
		return fail()
	}
	final, ok := x.finish(rfc)
	if !ok {
		return fail()
	}
	// The session holds while the key does (loginAs reads its id).
	in, err := e.loginAs(ctx, x.username, strconv.FormatInt(x.keyID, 10)+"-")
	if err != nil {
		return nil, err
	}
	if !in {
		return authErr, nil // no privilege: no TrueNAS credential
	}
	me, err := e.authMe(ctx, nil)
	if err != nil {
		return nil, err
	}
	return map[string]any{"response_type": "SCRAM_RESPONSE", "scram_type": "SERVER_FINAL_RESPONSE",
		"rfc_str": final, "user_info": me}, nil
}

// scramKey reads the SCRAM material of username's key keyID: nil when the
// user or key does not exist, the user is locked, the key is revoked, is
// another user's or has no SCRAM material; expired when it is past its
// expiry.
func (e *Engine) scramKey(ctx context.Context, username string, keyID int64) (*scramExchange, bool, error) {
	var x *scramExchange
	expired := false
	_, err := e.read(ctx, func(t *txn, now time.Time) (any, error) {
		u, err := getUserRow(ctx, t, "username = ?", username)
		if err != nil || u == nil || u.Locked {
			return nil, err
		}
		k, err := getKeyRow(ctx, t, "id = ?", keyID)
		if err != nil || k == nil || k.UserID != u.ID || k.Revoked {
			return nil, err
		}
		v, ok := parseVerifier(k.Keyhash)
		if !ok {
			return nil, nil
		}
		if k.ExpiresAt.Valid && now.UnixMilli() >= k.ExpiresAt.Int64 {
			expired = true
			return nil, nil
		}
		x = &scramExchange{username: username, keyID: keyID, verifier: k.Keyhash, keys: v}
		return nil, nil
	})
	return x, expired, err
}
