package wire

import (
	"encoding/json"
	"errors"
	"reflect"
	"sort"
	"testing"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

func TestParseDDP(t *testing.T) {
	m, err := ParseDDP([]byte(`{"msg":"connect","version":"1","support":["1"],"features":["PY_EXCEPTIONS"]}`))
	if err != nil || m.Msg != "connect" || !m.HasMsg || m.Version != "1" || !reflect.DeepEqual(m.Features, []string{"PY_EXCEPTIONS"}) || m.ID != nil {
		t.Fatalf("connect: %+v %v", m, err)
	}
	m, err = ParseDDP([]byte(`{"msg":"method","id":"a-b","method":"user.query","params":[[["id","=",1]]]}`))
	if err != nil || m.Msg != "method" || string(m.ID) != `"a-b"` || m.Method != "user.query" || !m.HasMeth || string(m.Params) != `[[["id","=",1]]]` {
		t.Fatalf("method: %+v %v", m, err)
	}
	// An id of null is there; a missing one is not.
	m, _ = ParseDDP([]byte(`{"msg":"method","id":null}`))
	if string(m.ID) != "null" || m.HasMeth {
		t.Fatalf("null id: %+v", m)
	}
	m, _ = ParseDDP([]byte(`{"msg":7,"method":3}`))
	if m.Msg != "" || !m.HasMsg || m.Method != "" || !m.HasMeth {
		t.Fatalf("non-string msg and method: %+v", m)
	}
	m, _ = ParseDDP([]byte(`{"id":1}`))
	if m.HasMsg {
		t.Fatalf("no msg: %+v", m)
	}
	if _, err := ParseDDP([]byte(`[{"msg":"ping"}]`)); !errors.Is(err, ErrBatch) {
		t.Fatalf("list: %v", err)
	}
	for _, in := range []string{`"x"`, `3`, `null`} {
		if _, err := ParseDDP([]byte(in)); !errors.Is(err, ErrFormat) {
			t.Fatalf("%s: %v", in, err)
		}
	}
	for _, in := range []string{`{`, ``, `{"msg":"ping"} {}`} {
		if _, err := ParseDDP([]byte(in)); err == nil {
			t.Fatalf("%q parsed", in)
		}
	}
	m, err = ParseDDP(EncodeDDPError(json.RawMessage(`"x"`), DDPScale25.CallError(1, "no")))
	if err != nil || m.Error == nil || m.Error.Error != 1 || m.Error.Reason != "[EPERM] no" || m.Result != nil {
		t.Fatalf("error result: %+v %v", m, err)
	}
	m, _ = ParseDDP(EncodeDDPResult(json.RawMessage(`"x"`), nil))
	if string(m.Result) != "null" || m.Error != nil || m.Msg != "result" {
		t.Fatalf("null result: %+v", m)
	}
}

// keysOf returns the member names of a JSON object.
func keysOf(t *testing.T, raw []byte) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func TestDDPErrorShapes(t *testing.T) {
	validation := account.Errors{
		{Attribute: "user_create.username", Message: "A user with the username \"bob\" already exists", Errno: account.EEXIST},
		{Attribute: "", Message: "it's wrong", Errno: account.EINVAL},
	}
	cases := []struct {
		name    string
		dialect DDPDialect
		err     *DDPError
		errno   int
		errname string
		typ     string // "" for null
		reason  string
		class   string // "" for no traceback
		repr    string // "" for none
		extra   string
	}{
		{"validation 25.10", DDPScale25, DDPScale25.FromRPC(ErrorOf(validation)), 11, "EAGAIN", "VALIDATION",
			"[EEXIST] user_create.username: A user with the username \"bob\" already exists\n[EINVAL] None: it's wrong\n",
			"ValidationErrors",
			`ValidationErrors([ValidationError('user_create.username', 'A user with the username "bob" already exists', 17), ValidationError(None, "it's wrong", 22)])`,
			`[["user_create.username","A user with the username \"bob\" already exists",17],[null,"it's wrong",22]]`},
		{"validation 13.3", DDPCore133, DDPCore133.FromRPC(ErrorOf(validation)), 11, "", "VALIDATION",
			"[EEXIST] user_create.username: A user with the username \"bob\" already exists\n[EINVAL] None: it's wrong\n",
			"ValidationErrors", "",
			`[["user_create.username","A user with the username \"bob\" already exists",17],[null,"it's wrong",22]]`},
		{"not found 25.10", DDPScale25, DDPScale25.FromRPC(ErrorOf(account.NotFound("User", 99))), 2, "ENOENT", "VALIDATION",
			"[ENOENT] None: User 99 does not exist", "InstanceNotFound", `InstanceNotFound('User 99 does not exist')`,
			`[[null,"User 99 does not exist",2]]`},
		{"not found 13.3", DDPCore133, DDPCore133.FromRPC(ErrorOf(account.NotFound("User", 99))), 2, "", "VALIDATION",
			"[ENOENT] None: User 99 does not exist", "ValidationError", "", `[[null,"User 99 does not exist",2]]`},
		{"call error 26.0", DDPScale26, DDPScale26.FromRPC(ErrorOf(account.NewCallError(account.EPERM, "Cannot delete a built-in user"))),
			1, "EPERM", "", "[EPERM] Cannot delete a built-in user", "CallError", `CallError('Cannot delete a built-in user', 1)`, "null"},
		{"internal error", DDPScale25, DDPScale25.FromRPC(ErrorOf(errors.New("disk full"))),
			14, "EFAULT", "", "[EFAULT] disk full", "CallError", `CallError('disk full', 14)`, "null"},
		{"not authenticated 25.10", DDPScale25, DDPScale25.FromRPC(NotAuthenticated()), 207, "ENOTAUTHENTICATED", "",
			"[ENOTAUTHENTICATED] Not authenticated", "CallError", `CallError('Not authenticated', 207)`, "null"},
		{"not authenticated 13.3", DDPCore133, DDPCore133.FromRPC(NotAuthenticated()), 13, "", "", "Not authenticated", "", "", "null"},
		{"not authorized", DDPScale25, DDPScale25.FromRPC(NotAuthorized()), 13, "EACCES", "", "[EACCES] Not authorized", "CallError",
			`CallError('Not authorized', 13)`, "null"},
		{"too many calls", DDPScale25, DDPScale25.FromRPC(NewError(CodeTooManyConcurrentCall, "Maximum number of concurrent calls (20) has exceeded")),
			109, "ETOOMANYREFS", "", "Maximum number of concurrent calls (20) has exceeded.", "", "", "null"},
		{"no such method", DDPScale25, DDPScale25.MethodNotFound("user.frobnicate", func(s string) bool { return s == "user" }),
			201, "ENOMETHOD", "", "[ENOMETHOD] Method 'frobnicate' not found in 'user'", "MethodNotFoundError",
			`MethodNotFoundError('frobnicate', 'user')`, "null"},
		{"no such service", DDPCore133, DDPCore133.MethodNotFound("nas.frobnicate", func(string) bool { return false }),
			201, "", "", "[ENOMETHOD] Service 'nas' not found", "CallError", "", "null"},
		{"no dot", DDPScale25, DDPScale25.MethodNotFound("ping", func(string) bool { return true }),
			74, "EBADMSG", "", "[EBADMSG] Invalid method name", "CallError", `CallError('Invalid method name', 74)`, "null"},
		{"malformed", DDPCore133, DDPCore133.Malformed(), 22, "", "", "Message is malformed: 'method' is absent.", "", "", "null"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := EncodeDDPError(json.RawMessage(`"id-1"`), c.err)
			if got := keysOf(t, raw); !reflect.DeepEqual(got, []string{"error", "id", "msg"}) {
				t.Fatalf("members %v", got)
			}
			var env struct {
				Msg   string          `json:"msg"`
				ID    string          `json:"id"`
				Error json.RawMessage `json:"error"`
			}
			json.Unmarshal(raw, &env)
			if env.Msg != "result" || env.ID != "id-1" {
				t.Fatalf("envelope %s", raw)
			}
			want := []string{"error", "extra", "reason", "trace", "type"}
			if c.dialect.Errname {
				want = []string{"errname", "error", "extra", "reason", "trace", "type"}
			}
			if got := keysOf(t, env.Error); !reflect.DeepEqual(got, want) {
				t.Fatalf("error members %v, want %v", got, want)
			}
			var e struct {
				Error   int             `json:"error"`
				Errname *string         `json:"errname"`
				Type    *string         `json:"type"`
				Reason  string          `json:"reason"`
				Trace   json.RawMessage `json:"trace"`
				Extra   json.RawMessage `json:"extra"`
			}
			json.Unmarshal(env.Error, &e)
			if e.Error != c.errno || e.Reason != c.reason || string(e.Extra) != c.extra {
				t.Fatalf("got errno %d reason %q extra %s", e.Error, e.Reason, e.Extra)
			}
			if c.errname != "" && (e.Errname == nil || *e.Errname != c.errname) {
				t.Fatalf("errname %v, want %s", e.Errname, c.errname)
			}
			if (c.typ == "") != (e.Type == nil) || (e.Type != nil && *e.Type != c.typ) {
				t.Fatalf("type %v, want %q", e.Type, c.typ)
			}
			if c.class == "" {
				if string(e.Trace) != "null" {
					t.Fatalf("trace %s, want null", e.Trace)
				}
				return
			}
			tkeys := []string{"class", "formatted"}
			if c.dialect.TraceFrames {
				tkeys = append(tkeys, "frames")
			}
			if c.dialect.TraceRepr {
				tkeys = append(tkeys, "repr")
			}
			sort.Strings(tkeys)
			if got := keysOf(t, e.Trace); !reflect.DeepEqual(got, tkeys) {
				t.Fatalf("trace members %v, want %v", got, tkeys)
			}
			var tr struct {
				Class     string `json:"class"`
				Formatted string `json:"formatted"`
				Repr      string `json:"repr"`
			}
			json.Unmarshal(e.Trace, &tr)
			if tr.Class != c.class || tr.Repr != c.repr {
				t.Fatalf("trace %s, want class %s repr %s", e.Trace, c.class, c.repr)
			}
			// What Python's format_exception prints for the exception
			// without frames: "module.Class: str(e)\n".
			if want := "." + c.class + ": " + c.reason + "\n"; len(tr.Formatted) < len(want) || tr.Formatted[len(tr.Formatted)-len(want):] != want {
				t.Fatalf("formatted %q, want ...%q", tr.Formatted, want)
			}
		})
	}
}

// The legacy protocol reads an error back as the JSON-RPC path does, so a
// caller cannot tell by the error which protocol carried it.
func TestDDPAsErrorMatchesJSONRPC(t *testing.T) {
	failures := []error{
		account.Errors{{Attribute: "user_create.username", Message: "Invalid", Errno: account.EINVAL},
			{Attribute: "", Message: "multi\nline", Errno: account.EEXIST}},
		account.NotFound("Group", 7),
		account.NewCallError(account.EPERM, "Cannot delete a built-in user"),
		account.NewCallError(account.EINVAL, "a: colon"),
		errors.New("disk full"),
	}
	for _, d := range []DDPDialect{DDPCore133, DDPScale25, DDPScale26} {
		for _, f := range failures {
			re := ErrorOf(f)
			want := re.AsError()
			m, err := ParseDDP(EncodeDDPError(json.RawMessage(`1`), d.FromRPC(re)))
			if err != nil || m.Error == nil {
				t.Fatalf("%v: %v", f, err)
			}
			if got := m.Error.AsError(); !reflect.DeepEqual(got, want) {
				t.Errorf("%+v %v: DDP %#v, JSON-RPC %#v", d, f, got, want)
			}
		}
		// The refusals.
		m, _ := ParseDDP(EncodeDDPError(json.RawMessage(`1`), d.FromRPC(NotAuthorized())))
		if got, want := m.Error.AsError(), NotAuthorized().AsError(); !reflect.DeepEqual(got, want) {
			t.Errorf("not authorized: DDP %#v, JSON-RPC %#v", got, want)
		}
		m, _ = ParseDDP(EncodeDDPError(json.RawMessage(`1`), d.FromRPC(NotAuthenticated())))
		var ce *account.CallError
		if !errors.As(m.Error.AsError(), &ce) || ce.Message != "Not authenticated" {
			t.Errorf("not authenticated: %#v", m.Error.AsError())
		}
	}
	// CORE's bare refusal keeps its errno.
	if ce := DDPCore133.NotAuthenticated().AsError().(*account.CallError); ce.Errno != account.EACCES {
		t.Errorf("CORE not authenticated: %#v", ce)
	}
	if ce := DDPCore133.MethodNotFound("user.x", func(string) bool { return true }).AsError().(*account.CallError); ce.Message != "Method 'x' not found in 'user'" || ce.Errno != account.EINVAL {
		t.Errorf("method not found: %#v", ce)
	}
}

func TestPyStrRepr(t *testing.T) {
	for in, want := range map[string]string{
		"abc":          `'abc'`,
		"it's":         `"it's"`,
		`say "hi"`:     `'say "hi"'`,
		`it's "x"`:     `'it\'s "x"'`,
		"a\\b":         `'a\\b'`,
		"l1\nl2\t\r":   `'l1\nl2\t\r'`,
		"\x01\x7f":     `'\x01\x7f'`,
		"é€":           `'é€'`,
		"\u00a0\u200b": `'\xa0\u200b'`,
		"\U000e0001":   `'\U000e0001'`,
	} {
		if got := pyStrRepr(in); got != want {
			t.Errorf("repr(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestDDPEncoders(t *testing.T) {
	for _, c := range []struct {
		got  []byte
		want string
	}{
		{EncodeDDPConnected("s-1"), `{"msg":"connected","session":"s-1"}`},
		{EncodeDDPFailed(), `{"msg":"failed","version":"1"}`},
		{EncodeDDPPong(nil), `{"msg":"pong"}`},
		{EncodeDDPPong(json.RawMessage(`"p"`)), `{"msg":"pong","id":"p"}`},
		{EncodeDDPReady(json.RawMessage(`"s"`)), `{"msg":"ready","subs":["s"]}`},
		{EncodeDDPResult(json.RawMessage(`"r"`), json.RawMessage(`{"a":1}`)), `{"id":"r","msg":"result","result":{"a":1}}`},
	} {
		if string(c.got) != c.want {
			t.Errorf("%s, want %s", c.got, c.want)
		}
	}
	b, err := EncodeDDPMethod(json.RawMessage(`"m"`), "user.query", nil)
	if err != nil || string(b) != `{"msg":"method","method":"user.query","id":"m","params":[]}` {
		t.Fatalf("%s %v", b, err)
	}
	var connect map[string]any
	if json.Unmarshal(EncodeDDPConnect(), &connect) != nil || connect["msg"] != "connect" || connect["version"] != DDPVersion {
		t.Fatalf("connect %s", EncodeDDPConnect())
	}
}

// FuzzDDPErrorRoundTrip: for any validation or call error, what a DDP
// client reads back from the server's bytes is what a JSON-RPC client
// reads back from its bytes, in every dialect; any message a peer sends
// parses or fails without a panic.
func FuzzDDPErrorRoundTrip(f *testing.F) {
	f.Add("user_create.username", "Invalid", 22, true, []byte(`{"msg":"result","id":1,"error":{"error":2}}`))
	f.Add("", "User 9 does not exist", 2, true, []byte(`{"msg":"result","id":"x","error":"nope"}`))
	f.Add("", "not the refusal", 207, false, []byte(`{}`))
	f.Add("a", "[EPERM] x: y\nz", 1, false, []byte(`{"msg":"result","id":1,"error":{"type":"VALIDATION","extra":[[1,2,3]]}}`))
	f.Fuzz(func(t *testing.T, attr, msg string, errno int, validation bool, peer []byte) {
		if m, err := ParseDDP(peer); err == nil && m.Error != nil {
			if m.Error.AsError() == nil {
				t.Fatalf("%s: no error read back", peer)
			}
		}
		var failure error = &account.CallError{Errno: account.Errno(errno), Message: msg}
		if validation {
			failure = account.Errors{{Attribute: attr, Message: msg, Errno: account.Errno(errno)}}
		}
		re := ErrorOf(failure)
		var resp Response
		if err := json.Unmarshal(EncodeError(json.RawMessage(`1`), re), &resp); err != nil || resp.Error == nil {
			t.Fatalf("JSON-RPC bytes: %v", err)
		}
		want := resp.Error.AsError()
		for _, d := range []DDPDialect{DDPCore133, DDPScale25, DDPScale26} {
			m, err := ParseDDP(EncodeDDPError(json.RawMessage(`1`), d.FromRPC(re)))
			if err != nil || m.Error == nil {
				t.Fatalf("DDP bytes: %v", err)
			}
			if got := m.Error.AsError(); !reflect.DeepEqual(got, want) {
				t.Fatalf("%+v: DDP %#v, JSON-RPC %#v", d, got, want)
			}
		}
	})
}
