package engine

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/nasops/terraform-provider-truenas/internal/account"
	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// TestConnectionMethods is a table of the methods TrueNAS's clients call
// around the account API, each with the answer or the error TrueNAS
// 25.10.6 gives a caller of that kind (see session_auth.go for sources).
func TestConnectionMethods(t *testing.T) {
	e := openTest(t)
	e.logins.delay = func() time.Duration { return 0 }
	ctx := context.Background()
	ro := groupID(t, e, "truenas_readonly_administrators")
	adm := groupID(t, e, "builtin_administrators")
	mustCall(t, e, "user.create", `{"username":"viewer","full_name":"V","group_create":true,"password":"ViewPass1","smb":false,"groups":[`+ro+`]}`)
	mustCall(t, e, "user.create", `{"username":"boss","full_name":"B","group_create":true,"password":"BossPass1","smb":false,"groups":[`+adm+`]}`)
	mustCall(t, e, "user.create", `{"username":"plain","full_name":"P","group_create":true,"password":"PlainPass1","smb":false}`)
	key := decode[map[string]any](t, mustCall(t, e, "api_key.create", `{"name":"k","username":"viewer"}`))["key"].(string)

	uuidRE := regexp.MustCompile(`^"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"$`)
	type step struct {
		method string
		params []string
		want   string         // the result, exactly, or
		match  *regexp.Regexp // a pattern it matches, or
		errno  account.Errno  // the error's errno with
		errmsg string         // this message (a validation error: "attr: message")
	}
	notAuthenticated := func(m string, p ...string) step {
		return step{method: m, params: p, errno: wire.ENOTAUTHENTICATED, errmsg: "Not authenticated"}
	}
	cases := []struct {
		name   string
		caller Caller
		steps  []step
	}{{
		name: "anonymous", caller: Caller{UID: 4242},
		steps: []step{
			{method: "core.ping", want: `"pong"`},
			{method: "auth.mechanism_choices", want: `["API_KEY_PLAIN","TOKEN_PLAIN","PASSWORD_PLAIN"]`},
			{method: "core.set_options", params: []string{`{"legacy_jobs":false,"private_methods":false,"py_exceptions":false,"newer":1}`},
				want: `{"legacy_jobs":false,"private_methods":false,"py_exceptions":false}`},
			{method: "core.set_options", params: []string{`{"py_exceptions":true}`},
				want: `{"legacy_jobs":false,"private_methods":false,"py_exceptions":true}`},
			{method: "core.set_options", params: []string{`{"legacy_jobs":"no"}`}, errno: account.EINVAL,
				errmsg: "options.legacy_jobs: Input should be a valid boolean"},
			notAuthenticated("core.subscribe", `"core.get_jobs"`),
			notAuthenticated("auth.me"),
			notAuthenticated("system.info"),
			notAuthenticated("system.version_short"),
			notAuthenticated("auth.logout"),
			{method: "auth.login", params: []string{`"viewer"`}, errno: account.EINVAL, errmsg: "password: Field required"},
			{method: "auth.login", params: []string{`"viewer"`, `"wrong"`}, want: `false`},
			{method: "auth.login", params: []string{`"plain"`, `"PlainPass1"`}, want: `false`}, // no privilege
			// login_ex checks the password; without a privilege there is no
			// credential, and the connection stays anonymous.
			{method: "auth.login_ex", params: []string{`{"mechanism":"PASSWORD_PLAIN","username":"plain","password":"PlainPass1","login_options":{"user_info":false}}`},
				match: regexp.MustCompile(`"response_type":"SUCCESS"`)},
			notAuthenticated("auth.me"),
			{method: "auth.login_with_api_key", params: []string{`"999-nokey"`}, want: `false`},
			{method: "auth.login_with_api_key", params: []string{`"` + strings.SplitN(key, "-", 2)[0] + `-wrong"`}, want: `false`},
			notAuthenticated("user.query"),
			{method: "auth.login", params: []string{`"viewer"`, `"ViewPass1"`, `null`}, want: `true`},
			{method: "system.version_short", want: `"25.10.6"`},
			{method: "auth.me", match: regexp.MustCompile(`^\{"account_attributes":\["LOCAL"\].*"grouplist":null.*"pw_name":"viewer"`)},
			{method: "user.query", params: []string{`[["username","=","boss"]]`, `{"count":true}`}, want: `1`},
			{method: "user.delete", params: []string{`1`}, errno: account.EACCES, errmsg: "Not authorized"},
			{method: "core.subscribe", params: []string{`"core.get_jobs"`}, match: uuidRE},
			{method: "core.subscribe", params: []string{`"user.query"`}, errno: account.EACCES, errmsg: "Not authorized"},
			{method: "core.unsubscribe", params: []string{`"not-an-id"`}, want: `null`},
			{method: "auth.logout", want: `true`},
			notAuthenticated("user.query"),
			{method: "auth.login_with_api_key", params: []string{`"` + key + `"`}, want: `true`},
			{method: "auth.me", match: regexp.MustCompile(`^\{"account_attributes":\["LOCAL","API_KEY"\].*"pw_name":"viewer"`)},
			{method: "auth.login", params: []string{`"boss"`, `"BossPass1"`}, want: `true`},
			{method: "auth.me", match: regexp.MustCompile(`"FULL_ADMIN".*"pw_name":"boss"`)},
			{method: "core.subscribe", params: []string{`"user.query"`}, match: uuidRE},
		},
	}, {
		name: "read-only administrator", caller: Caller{Username: "viewer"},
		steps: []step{
			{method: "system.info", match: regexp.MustCompile(`^\{.*"version":"25\.10\.6".*\}$`)},
			{method: "system.version", want: `"` + SystemVersion() + `"`},
			{method: "auth.me", match: regexp.MustCompile(`"two_factor_config":\{"interval":30,"otp_digits":6,"provisioning_uri":null,"secret_configured":false\}`)},
			{method: "core.subscribe", params: []string{`1`}, errno: account.EINVAL, errmsg: "event: Input should be a valid string"},
		},
	}, {
		name: "root", caller: Caller{UID: 0},
		steps: []step{
			{method: "auth.me", match: regexp.MustCompile(`^\{"account_attributes":\["LOCAL","SYS_ADMIN"\].*"privilege":\{"allowlist":\[\{"method":"\*","resource":"\*"\}\],"roles":\{"\$set":\["FULL_ADMIN"\]\}.*"pw_name":"root"`)},
			{method: "core.subscribe", params: []string{`"user.query"`}, match: uuidRE},
			{method: "auth.login", params: []string{`"viewer"`, `"ViewPass1"`}, want: `true`},
			{method: "user.delete", params: []string{`1`}, errno: account.EACCES, errmsg: "Not authorized"},
		},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conn := dialRPC(t, ctx, asCaller(t, e, c.caller), nil)
			for i, s := range c.steps {
				conn.send(`{"jsonrpc":"2.0","id":1,"method":"` + s.method + `","params":[` + strings.Join(s.params, ",") + `]}`)
				resp := conn.recv()
				res, err := resp.Result, error(nil)
				if resp.Error != nil {
					err = resp.Error.AsError()
				}
				where := func() string { return c.name + " step " + itoa(int64(i)) + " " + s.method }
				switch {
				case s.errmsg != "":
					if err == nil {
						t.Fatalf("%s: got %s, want error %s", where(), res, s.errmsg)
					}
					var errno account.Errno
					if resp.Error.Data != nil {
						errno = account.Errno(resp.Error.Data.Error)
					}
					msg := err.Error()
					if ae, ok := err.(account.Errors); ok && len(ae) == 1 {
						msg = ae[0].Attribute + ": " + ae[0].Message
					} else if ce, ok := err.(*account.CallError); ok {
						msg = ce.Message
					}
					if errno != s.errno || msg != s.errmsg {
						t.Fatalf("%s: got %T %v (errno %d %q), want [%s] %s", where(), err, err, errno, msg, s.errno.Name(), s.errmsg)
					}
				case err != nil:
					t.Fatalf("%s: %v", where(), err)
				case s.match != nil:
					if !s.match.Match(compact(t, res)) {
						t.Fatalf("%s: %s does not match %s", where(), compact(t, res), s.match)
					}
				default:
					if string(compact(t, res)) != s.want {
						t.Fatalf("%s: got %s, want %s", where(), compact(t, res), s.want)
					}
				}
			}
		})
	}
}

func compact(t *testing.T, raw json.RawMessage) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	return b
}

// TestSystemInfoShape checks system.info against SystemInfoResult
// (api/v25_10_5/system.py): every field, of its type.
func TestSystemInfoShape(t *testing.T) {
	e := openTest(t)
	info := decode[map[string]any](t, mustCall(t, e, "system.info"))
	want := map[string]string{
		"version": "str", "buildtime": "date", "hostname": "str", "physmem": "int", "model": "str", "cores": "int",
		"physical_cores": "int", "loadavg": "list", "uptime": "str", "uptime_seconds": "float",
		"system_serial": "str?", "system_product": "str?", "system_product_version": "str?", "license": "dict?",
		"boottime": "date", "datetime": "date", "timezone": "str", "system_manufacturer": "str?", "ecc_memory": "bool",
	}
	if len(info) != len(want) {
		t.Fatalf("fields %v, want %v", info, want)
	}
	for k, typ := range want {
		v, ok := info[k]
		if !ok {
			t.Fatalf("no %s", k)
		}
		if strings.HasSuffix(typ, "?") {
			if v == nil {
				continue
			}
			typ = strings.TrimSuffix(typ, "?")
		}
		ok = false
		switch x := v.(type) {
		case string:
			ok = typ == "str"
		case float64:
			ok = typ == "float" || typ == "int" && x == float64(int64(x))
		case bool:
			ok = typ == "bool"
		case []any:
			ok = typ == "list"
		case map[string]any:
			_, isDate := x["$date"]
			ok = typ == "dict" || typ == "date" && isDate && len(x) == 1
		}
		if !ok {
			t.Fatalf("%s = %#v, want %s", k, v, typ)
		}
	}
	if info["version"] != "25.10.6" {
		t.Fatalf("version %v", info["version"])
	}
	if b, d := info["boottime"].(map[string]any)["$date"].(float64), info["datetime"].(map[string]any)["$date"].(float64); b > d {
		t.Fatalf("boottime %v after datetime %v", b, d)
	}
}

func TestPyTimedelta(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                     "0:00:00",
		61*time.Second + 500*time.Millisecond: "0:01:01.500000",
		25 * time.Hour:                        "1 day, 1:00:00",
		(49*3600 + 7) * time.Second:           "2 days, 1:00:07",
		3*time.Second + 1234*time.Microsecond: "0:00:03.001234",
	} {
		if got := pyTimedelta(d); got != want {
			t.Errorf("pyTimedelta(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestLoginLiftsAnonymousLimits: a connection that logs in may send what an
// authenticated one may (64 KiB, no idle timeout), and after auth.logout
// only what an anonymous one may (8 KiB).
func TestLoginLiftsAnonymousLimits(t *testing.T) {
	e := openTest(t)
	e.logins.delay = func() time.Duration { return 0 }
	ctx := context.Background()
	mustCall(t, e, "user.create", `{"username":"big","full_name":"B","group_create":true,"password":"BigPass-1","smb":false,"groups":[`+groupID(t, e, "builtin_administrators")+`]}`)
	conn := dialRPC(t, ctx, asCaller(t, e, Caller{UID: 4242}), nil)
	if res, err := conn.call("auth.login", `"big"`, `"BigPass-1"`); err != nil || string(res) != "true" {
		t.Fatalf("login: %s %v", res, err)
	}
	filler := `"` + strings.Repeat("x", 20000) + `"`
	if res, err := conn.call("user.query", `[["username","=",`+filler+`]]`, `{"count":true}`); err != nil || string(res) != "0" {
		t.Fatalf("20 kB message after login: %s %v", res, err)
	}
	if _, err := conn.call("auth.logout"); err != nil {
		t.Fatal(err)
	}
	conn.send(`{"jsonrpc":"2.0","id":2,"method":"user.query","params":[[["username","=",` + filler + `]]]}`)
	_, _, err := conn.c.Read(ctx)
	if status := websocket.CloseStatus(err); status != websocket.StatusInvalidFramePayloadData || !strings.Contains(err.Error(), "Anonymous connection max message length is 8 kB") {
		t.Fatalf("20 kB message after logout: %v", err)
	}
}
