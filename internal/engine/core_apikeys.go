package engine

import (
	"context"
	"encoding/json"
	"time"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// CORE 13.3's api_key.* methods and the logins that take a key or root's
// password (auth.login, auth.login_with_api_key at TN-13.3-U1.2).
//
// CORE's API keys (api_key.py at TN-13.3-U1.2) are names, not bound to a
// user: a key logs a connection in as CORE's full administrator. The
// store's api_keys rows need a user: CORE keys are given root's, so that a
// connection logged in with one holds while the key does, as any key
// login does (Session.refresh).

func coreKeyEntry(k *keyRow) account.CoreAPIKeyEntry {
	return account.CoreAPIKeyEntry{ID: k.ID, Name: k.Name, CreatedAt: account.Date{Time: time.UnixMilli(k.CreatedAt).UTC()}}
}

func (e *Engine) coreKeyQuery(ctx context.Context, args []json.RawMessage) (any, error) {
	filters, options, err := coreQueryArgs(args)
	if err != nil {
		return nil, err
	}
	v, err := e.read(ctx, func(t *txn, _ time.Time) (any, error) {
		rows, err := t.QueryContext(ctx, `SELECT `+keyCols+` FROM api_keys ORDER BY id`)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var entries []json.RawMessage
		for rows.Next() {
			k, err := scanKey(rows)
			if err != nil {
				return nil, err
			}
			b, err := json.Marshal(coreKeyEntry(k))
			if err != nil {
				return nil, err
			}
			entries = append(entries, b)
		}
		return entries, rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return runQuery(v.([]json.RawMessage), filters, options)
}

func (e *Engine) coreKeyGetInstance(ctx context.Context, args []json.RawMessage) (any, error) {
	return instanceOf(e, ctx, args, "ApiKey", func(t *txn, id int64, _ time.Time) (*account.CoreAPIKeyEntry, error) {
		k, err := getKeyRow(ctx, t, "id = ?", id)
		if err != nil || k == nil {
			return nil, err
		}
		ce := coreKeyEntry(k)
		return &ce, nil
	})
}

// coreKeySecret is a new CORE key's secret (api_key.py _generate: 64
// letters and digits) and its stored hash.
func coreKeySecret() (string, string, error) {
	secret := RandomString(64)
	h, err := keyHash(secret)
	return secret, h, err
}

func (e *Engine) coreKeyCreate(ctx context.Context, args []json.RawMessage) (any, error) {
	api := modelOf(ctx).Core
	p, err := api.DecodeAPIKeyCreate(arg(args, 0))
	if err != nil {
		return nil, err
	}
	return e.writeStoreOnly(ctx, func(t *txn, now time.Time) (any, error) {
		bv := e.newBoxView(ctx, t, now)
		err := api.CheckAPIKey(p, nil, bv)
		if bv.err != nil {
			return nil, bv.err
		}
		if err != nil {
			return nil, err
		}
		root, err := getUserRow(ctx, t, "username = 'root'")
		if err != nil {
			return nil, err
		}
		if root == nil {
			return nil, account.NewCallError(account.ENOENT, "user root does not exist")
		}
		secret, hash, err := coreKeySecret()
		if err != nil {
			return nil, err
		}
		// CORE stores created_at as a naive UTC datetime (datetime.utcnow):
		// milliseconds are kept, as the datastore's DateTime does.
		res, err := t.ExecContext(ctx, `INSERT INTO api_keys (name, user_id, keyhash, created_at) VALUES (?, ?, ?, ?)`,
			p.Name.V, root.ID, hash, now.UnixMilli())
		if err != nil {
			return nil, err
		}
		id, _ := res.LastInsertId()
		return account.CoreAPIKeyCreated{Name: p.Name.V, Key: itoa(id) + "-" + secret,
			CreatedAt: account.Date{Time: time.UnixMilli(now.UnixMilli()).UTC()}, ID: id}, nil
	})
}

func (e *Engine) coreKeyUpdate(ctx context.Context, args []json.RawMessage) (any, error) {
	api := modelOf(ctx).Core
	id, err := account.DecodeCoreID("id", arg(args, 0))
	if err != nil {
		return nil, err
	}
	p, err := api.DecodeAPIKeyUpdate(arg(args, 1))
	if err != nil {
		return nil, err
	}
	return e.writeStoreOnly(ctx, func(t *txn, now time.Time) (any, error) {
		k, err := getKeyRow(ctx, t, "id = ?", id)
		if err != nil {
			return nil, err
		}
		if k == nil {
			return nil, account.NotFound("ApiKey", id)
		}
		old := coreKeyEntry(k)
		bv := e.newBoxView(ctx, t, now)
		err = api.CheckAPIKey(p, &old, bv)
		if bv.err != nil {
			return nil, bv.err
		}
		if err != nil {
			return nil, err
		}
		if p.Name.Set {
			if _, err := t.ExecContext(ctx, `UPDATE api_keys SET name = ? WHERE id = ?`, p.Name.V, id); err != nil {
				return nil, err
			}
		}
		var secret string
		if p.Reset.Set && p.Reset.V {
			s, hash, err := coreKeySecret()
			if err != nil {
				return nil, err
			}
			secret = s
			if _, err := t.ExecContext(ctx, `UPDATE api_keys SET keyhash = ? WHERE id = ?`, hash, id); err != nil {
				return nil, err
			}
		}
		k, err = getKeyRow(ctx, t, "id = ?", id)
		if err != nil {
			return nil, err
		}
		if secret == "" {
			return coreKeyEntry(k), nil
		}
		return account.CoreAPIKeyReset{CoreAPIKeyEntry: coreKeyEntry(k), Key: itoa(id) + "-" + secret}, nil
	})
}

func (e *Engine) coreKeyDelete(ctx context.Context, args []json.RawMessage) (any, error) {
	id, err := account.DecodeCoreID("id", arg(args, 0))
	if err != nil {
		return nil, err
	}
	return e.writeStoreOnly(ctx, func(t *txn, _ time.Time) (any, error) {
		k, err := getKeyRow(ctx, t, "id = ?", id)
		if err != nil {
			return nil, err
		}
		if k == nil {
			return nil, account.NotFound("ApiKey", id)
		}
		if _, err := t.ExecContext(ctx, `DELETE FROM api_keys WHERE id = ?`, id); err != nil {
			return nil, err
		}
		return true, nil
	})
}

// coreStr is a CORE Str argument: a string, or the schema Error CORE
// raises for another type ("[name] Not a string").
func coreStr(raw json.RawMessage, name string, null bool) (string, bool, error) {
	if raw == nil || (null && string(raw) == "null") {
		return "", false, nil
	}
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", false, &account.CoreSchemaError{Attribute: name, Message: "Not a string"}
	}
	return s, true, nil
}

// coreAuthLogin is CORE's auth.login(username, password, otp_token)
// (plugins/auth.py:317-339 at TN-13.3-U1.2): only root's password logs a
// connection in (check_user); the answer is whether it did.
func (e *Engine) coreAuthLogin(ctx context.Context, args []json.RawMessage) (any, error) {
	username, _, err := coreStr(arg(args, 0), "username", false)
	if err != nil {
		return nil, err
	}
	password, _, err := coreStr(arg(args, 1), "password", false)
	if err != nil {
		return nil, err
	}
	if _, _, err := coreStr(arg(args, 2), "otp_token", true); err != nil {
		return nil, err
	}
	unlock, err := e.logins.lock(ctx, callerPeer(ctx))
	if err != nil {
		return nil, err
	}
	defer unlock()
	ok := false
	if username == "root" {
		var hash string
		if _, err := e.read(ctx, func(t *txn, _ time.Time) (any, error) {
			u, err := getUserRow(ctx, t, "username = 'root'")
			if u != nil {
				hash = u.Unixhash
			}
			return nil, err
		}); err != nil {
			return nil, err
		}
		if hash != "x" && hash != "*" && hash != "" {
			if err := e.hashing(ctx, func() { ok = checkUnixHash(hash, password) }); err != nil {
				return nil, err
			}
		}
	}
	if !ok {
		e.logins.failed(ctx)
		return false, nil
	}
	return e.loginAs(ctx, "root", "")
}

// coreAuthLoginWithAPIKey is CORE's auth.login_with_api_key(api_key)
// (plugins/auth.py:341-352, api_key.py authenticate): "<id>-<secret>"
// checked against the key's hash; any valid key logs the connection in.
func (e *Engine) coreAuthLoginWithAPIKey(ctx context.Context, args []json.RawMessage) (any, error) {
	key, _, err := coreStr(arg(args, 0), "api_key", false)
	if err != nil {
		return nil, err
	}
	unlock, err := e.logins.lock(ctx, callerPeer(ctx))
	if err != nil {
		return nil, err
	}
	defer unlock()
	idPart, secret, found := bytesCut(key, '-')
	id, perr := parseKeyID(idPart)
	ok := false
	if found && perr == nil {
		var hash string
		if _, err := e.read(ctx, func(t *txn, _ time.Time) (any, error) {
			k, err := getKeyRow(ctx, t, "id = ?", id)
			if k != nil {
				hash = k.Keyhash
			}
			return nil, err
		}); err != nil {
			return nil, err
		}
		if hash != "" {
			if err := e.hashing(ctx, func() { ok = checkKeyHash(hash, secret) }); err != nil {
				return nil, err
			}
		}
	}
	if !ok {
		e.logins.failed(ctx)
		return false, nil
	}
	return e.loginAs(ctx, "root", key)
}

// callerPeer names the peer of a call for the login guard.
func callerPeer(ctx context.Context) string {
	if s := sessionOf(ctx); s != nil {
		return s.caller.String()
	}
	return "cli"
}
