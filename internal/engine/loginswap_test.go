package engine

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/nasops/terraform-provider-truenas/internal/account"
	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// TestLoginSwapsKeepSecretsOnBothProtocols walks one connection of each
// protocol (JSON-RPC at /api/current, DDP at /websocket) through the
// identity changes a connection can make: a root peer, an unknown peer,
// logins with an API key and a password (as a READONLY_ADMIN and as a
// full administrator), auth.logout, failed logins and logins whose
// fields disagree. After each step it asks for every user and key with
// their secret fields, and fails when a frame the engine sends (result or
// error, whole) holds any secret value while the connection's identity at
// that point may not see it, or lacks them when it may. A state that
// survived a login or a logout (a root flag, roles, the peer's identity)
// shows up here on either protocol.
func TestLoginSwapsKeepSecretsOnBothProtocols(t *testing.T) {
	e := openTest(t)
	e.logins.delay = func() time.Duration { return 0 }
	e.boxSync = false
	ro := groupID(t, e, "truenas_readonly_administrators")
	adm := groupID(t, e, "builtin_administrators")
	mustCall(t, e, "user.create", `{"username":"viewer","full_name":"V","group_create":true,"password":"ViewPass-1","smb":true,"groups":[`+ro+`]}`)
	mustCall(t, e, "user.create", `{"username":"boss","full_name":"B","group_create":true,"password":"BossPass-1","smb":true,"groups":[`+adm+`]}`)
	viewerKey := decode[account.APIKeyWithKey](t, mustCall(t, e, "api_key.create", `{"name":"vk","username":"viewer"}`)).Key
	bossKey := decode[account.APIKeyWithKey](t, mustCall(t, e, "api_key.create", `{"name":"bk","username":"boss"}`)).Key
	secrets := secretValues(t, e, []string{
		strings.SplitN(viewerKey, "-", 2)[1], strings.SplitN(bossKey, "-", 2)[1], "ViewPass-1", "BossPass-1",
	})
	q := func(s string) string { return `"` + s + `"` }

	type step struct {
		method string
		params []string
	}
	// sees: what the connection is after the step: "all" (root or full
	// admin: secrets shown), "redacted" (READONLY_ADMIN), "none" (not
	// authenticated).
	type phase struct {
		do   []step
		sees string
	}
	loginKey := func(k string) step { return step{"auth.login_with_api_key", []string{q(k)}} }
	login := func(u, p string) step { return step{"auth.login", []string{q(u), q(p)}} }
	loginEx := func(body string) step { return step{"auth.login_ex", []string{body}} }
	logout := step{method: "auth.logout"}
	flows := []struct {
		name   string
		caller Caller
		phases []phase
	}{{
		name: "root peer", caller: Caller{UID: 0},
		phases: []phase{
			{sees: "all"},
			{do: []step{loginKey(viewerKey)}, sees: "redacted"},
			{do: []step{login("boss", "BossPass-1")}, sees: "all"},
			{do: []step{login("viewer", "ViewPass-1")}, sees: "redacted"},
			{do: []step{login("boss", "wrong")}, sees: "redacted"},
			{do: []step{logout}, sees: "none"},
			{do: []step{loginKey("1-" + strings.SplitN(bossKey, "-", 2)[1])}, sees: "none"},
			{do: []step{loginEx(`{"mechanism":"API_KEY_PLAIN","username":"boss","api_key":` + q(viewerKey) + `}`)}, sees: "none"},
			{do: []step{loginEx(`{"mechanism":"PASSWORD_PLAIN","username":"viewer","password":"ViewPass-1","Username":"boss"}`)}, sees: "none"},
			{do: []step{loginEx(`{"mechanism":"PASSWORD_PLAIN","username":"boss","username":"viewer","password":"BossPass-1"}`)}, sees: "none"},
			{do: []step{loginKey(bossKey)}, sees: "all"},
			{do: []step{logout, login("viewer", "wrong")}, sees: "none"},
		},
	}, {
		name: "root peer logs out", caller: Caller{UID: 0},
		phases: []phase{
			{do: []step{logout}, sees: "none"},
			{do: []step{login("viewer", "ViewPass-1")}, sees: "redacted"},
			{do: []step{logout}, sees: "none"},
		},
	}, {
		name: "unknown peer", caller: Caller{UID: 4242},
		phases: []phase{
			{sees: "none"},
			{do: []step{loginKey(viewerKey)}, sees: "redacted"},
			{do: []step{logout}, sees: "none"},
			{do: []step{login("boss", "BossPass-1"), login("viewer", "nope")}, sees: "all"},
			{do: []step{loginEx(`{"mechanism":"PASSWORD_PLAIN","username":"viewer","password":"ViewPass-1"}`)}, sees: "redacted"},
			{do: []step{loginEx(`{"mechanism":"TOKEN_PLAIN","token":"x"}`)}, sees: "redacted"},
			{do: []step{logout, loginKey(bossKey + "x")}, sees: "none"},
		},
	}}
	queries := []step{
		{"user.query", nil},
		{"api_key.query", nil},
		{"auth.me", nil},
		{"user.query", []string{`[["username","=","boss"]]`, `{"get":true}`}},
	}
	for _, proto := range []string{"jsonrpc", "ddp"} {
		for _, f := range flows {
			t.Run(proto+"/"+f.name, func(t *testing.T) {
				base := serveAs(t, e, HandlerOptions{}, f.caller)
				path := wire.APIPath
				if proto == "ddp" {
					path = wire.DDPPath
				}
				c, _, err := websocket.Dial(context.Background(), base+path, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer c.CloseNow()
				c.SetReadLimit(64 << 20)
				n := 0
				call := func(s step) string {
					t.Helper()
					n++
					id := strconv.Itoa(n)
					ps := "[" + strings.Join(s.params, ",") + "]"
					msg := `{"jsonrpc":"2.0","id":` + id + `,"method":"` + s.method + `","params":` + ps + `}`
					if proto == "ddp" {
						msg = `{"msg":"method","id":"` + id + `","method":"` + s.method + `","params":` + ps + `}`
					}
					ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
					defer cancel()
					if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
						t.Fatal(err)
					}
					_, data, err := c.Read(ctx)
					if err != nil {
						t.Fatalf("%s: %v", s.method, err)
					}
					return string(data)
				}
				if proto == "ddp" {
					ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
					defer cancel()
					if err := c.Write(ctx, websocket.MessageText, wire.EncodeDDPConnect()); err != nil {
						t.Fatal(err)
					}
					if _, _, err := c.Read(ctx); err != nil {
						t.Fatal(err)
					}
				}
				for pi, ph := range f.phases {
					for _, s := range ph.do {
						if frame := call(s); leaks(frame, secrets) != "" {
							t.Errorf("phase %d: %s answered with a secret: %.300s", pi, s.method, frame)
						}
					}
					for _, s := range queries {
						frame := call(s)
						leaked := leaks(frame, secrets)
						notAuth := strings.Contains(frame, "ENOTAUTHENTICATED")
						switch ph.sees {
						case "none":
							if !notAuth || leaked != "" {
								t.Errorf("phase %d (%s): %s: want Not authenticated, got %.300s", pi, ph.sees, s.method, frame)
							}
						case "redacted":
							if notAuth || leaked != "" {
								t.Errorf("phase %d (%s): %s leaked %q or refused: %.300s", pi, ph.sees, s.method, leaked, frame)
							}
						case "all":
							if notAuth {
								t.Errorf("phase %d (%s): %s refused: %.300s", pi, ph.sees, s.method, frame)
							}
							if s.method == "user.query" && s.params == nil && leaked == "" {
								t.Errorf("phase %d (%s): a full administrator's user.query shows no secret: %.300s", pi, ph.sees, frame)
							}
						}
					}
				}
			})
		}
	}
}

// leaks returns the first of secrets frame holds, or "".
func leaks(frame string, secrets []string) string {
	for _, s := range secrets {
		if s != "" && strings.Contains(frame, s) {
			return s
		}
	}
	return ""
}
