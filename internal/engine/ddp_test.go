package engine

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/nasops/terraform-provider-truenas/internal/account"
	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// ddpConn is a legacy DDP websocket for tests.
type ddpConn struct {
	t *testing.T
	c *websocket.Conn
}

func dialDDP(t *testing.T, url string) *ddpConn {
	t.Helper()
	c, _, err := websocket.Dial(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	c.SetReadLimit(64 << 20) // a query of every account is large
	return &ddpConn{t: t, c: c}
}

// connectDDP dials and completes the handshake.
func connectDDP(t *testing.T, url string) *ddpConn {
	t.Helper()
	d := dialDDP(t, url)
	d.send(string(wire.EncodeDDPConnect()))
	if m := d.recv(); m.Msg != "connected" || m.Session == "" {
		t.Fatalf("handshake: %+v", m)
	}
	return d
}

func (d *ddpConn) send(raw string) {
	d.t.Helper()
	if err := d.c.Write(context.Background(), websocket.MessageText, []byte(raw)); err != nil {
		d.t.Fatal(err)
	}
}

func (d *ddpConn) recv() wire.DDPMessage {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, data, err := d.c.Read(ctx)
	if err != nil {
		d.t.Fatal(err)
	}
	m, err := wire.ParseDDP(data)
	if err != nil {
		d.t.Fatalf("%s: %v", data, err)
	}
	return m
}

// call sends one method and returns its answer's result or error.
func (d *ddpConn) call(method string, params ...string) (json.RawMessage, *wire.DDPError) {
	d.t.Helper()
	d.send(`{"msg":"method","id":"c1","method":"` + method + `","params":[` + strings.Join(params, ",") + `]}`)
	m := d.recv()
	if m.Msg != "result" || string(m.ID) != `"c1"` {
		d.t.Fatalf("answer %+v", m)
	}
	return m.Result, m.Error
}

func (d *ddpConn) wantClosed(code websocket.StatusCode, text string) {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, data, err := d.c.Read(ctx)
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != code || ce.Reason != text {
		d.t.Fatalf("got %s / %v, want the websocket closed with %d %q", data, err, code, text)
	}
}

// serveAs serves e's handler with opts on a loopback test server whose
// every connection is who, and returns its base URL (ws://host:port).
func serveAs(t *testing.T, e *Engine, opts HandlerOptions, who Caller) string {
	srv := httptest.NewUnstartedServer(e.HandlerWith(opts))
	srv.Config.ConnContext = func(ctx context.Context, _ net.Conn) context.Context { return WithCaller(ctx, who) }
	srv.Start()
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

var uuid4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestDDPHandshakeAndMessages(t *testing.T) {
	e := openTest(t)
	base := serveAs(t, e, HandlerOptions{}, Caller{UID: 0})
	d := dialDDP(t, base+wire.DDPPath)
	// Anything before connect, and a connect of another version, fail.
	d.send(`{"msg":"method","id":"x","method":"system.version","params":[]}`)
	if m := d.recv(); m.Msg != "failed" || m.Version != "1" {
		t.Fatalf("before connect: %+v", m)
	}
	d.send(`{"msg":"connect","version":"2","support":["2"]}`)
	if m := d.recv(); m.Msg != "failed" || m.Version != "1" {
		t.Fatalf("version 2: %+v", m)
	}
	d.send(string(wire.EncodeDDPConnect()))
	m := d.recv()
	if m.Msg != "connected" || !uuid4.MatchString(m.Session) {
		t.Fatalf("connect: %+v", m)
	}
	if res, err := d.call("system.version"); err != nil || string(res) != `"`+SystemVersion()+`"` {
		t.Fatalf("system.version: %s %+v", res, err)
	}
	// SCALE answers no ping: the next answer is the next call's.
	d.send(`{"msg":"ping","id":"p"}`)
	if res, err := d.call("core.ping"); err != nil || string(res) != `"pong"` {
		t.Fatalf("core.ping: %s %+v", res, err)
	}
	// Params: absent or false is no argument; a list is the arguments;
	// anything else is refused.
	for _, p := range []string{``, `,"params":null`, `,"params":{}`, `,"params":[]`} {
		d.send(`{"msg":"method","id":"n","method":"user.query"` + p + `}`)
		if m := d.recv(); m.Error != nil || !strings.HasPrefix(string(m.Result), "[") {
			t.Fatalf("params %q: %+v", p, m)
		}
	}
	d.send(`{"msg":"method","id":"n","method":"user.query","params":{"a":1}}`)
	if m := d.recv(); m.Error == nil || m.Error.Reason != "`params` must be a list." || m.Error.Error != 22 || m.Error.Trace != nil {
		t.Fatalf("params object: %+v", m.Error)
	}
	d.send(`{"msg":"method","id":"n"}`)
	if m := d.recv(); m.Error == nil || m.Error.Reason != "Message is malformed: 'method' is absent." || string(m.ID) != `"n"` {
		t.Fatalf("no method: %+v", m.Error)
	}
	// A subscription is ready for root; unsub and unknown messages get no
	// answer.
	d.send(`{"msg":"unsub","id":"s"}`)
	d.send(`{"msg":"nonsense"}`)
	d.send(`{"msg":"sub","id":"s","name":"core.get_jobs"}`)
	if m := d.recv(); m.Msg != "ready" || len(m.Subs) != 1 || string(m.Subs[0]) != `"s"` {
		t.Fatalf("sub: %+v", m)
	}
	// A call without id runs and is not answered.
	d.send(`{"msg":"method","method":"group.create","params":[{"name":"quiet"}]}`)
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := d.call("group.query", `[["name","=","quiet"]]`, `{"count":true}`)
		if err != nil {
			t.Fatal(err)
		}
		if string(res) == "1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the call without id did not run")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Several calls at once, answered by id.
	for _, id := range []string{`"a"`, `7`, `"c"`} {
		d.send(`{"msg":"method","id":` + id + `,"method":"user.query","params":[[["username","=","root"]],{"get":true,"select":["uid"]}]}`)
	}
	seen := map[string]bool{}
	for range 3 {
		m := d.recv()
		if m.Error != nil || string(m.Result) != `{"uid":0}` {
			t.Fatalf("got %+v", m)
		}
		seen[string(m.ID)] = true
	}
	if !seen[`"a"`] || !seen["7"] || !seen[`"c"`] {
		t.Fatalf("answers for %v", seen)
	}

	// Messages that break the protocol close the websocket, as TrueNAS
	// does.
	for raw, want := range map[string]struct {
		code websocket.StatusCode
		text string
	}{
		`{"id":1}`:         {websocket.StatusInternalError, "'msg'"},
		`[{"msg":"ping"}]`: {websocket.StatusInvalidFramePayloadData, "Batch messages are not supported at this time"},
		`"connect"`:        {websocket.StatusInvalidFramePayloadData, "Invalid Message Format"},
	} {
		c := connectDDP(t, base+wire.DDPPath)
		c.send(raw)
		c.wantClosed(want.code, want.text)
	}
	c := connectDDP(t, base+wire.DDPPath)
	c.send(`{"msg":"method"}`) // no method and no id: TrueNAS's KeyError
	c.wantClosed(websocket.StatusInternalError, "'id'")
	c = connectDDP(t, base+wire.DDPPath)
	if err := c.c.Write(context.Background(), websocket.MessageBinary, []byte(`{"msg":"ping"}`)); err != nil {
		t.Fatal(err)
	}
	c.wantClosed(websocket.StatusUnsupportedData, "Invalid websocket message type: BINARY")

	// A root peer that logs out is anonymous from its next message on: no
	// subscription, and the anonymous message limit.
	c = connectDDP(t, base+wire.DDPPath)
	if _, err := c.call("auth.logout"); err != nil {
		t.Fatalf("auth.logout: %+v", err)
	}
	c.send(`{"msg":"sub","id":"s","name":"core.get_jobs"}`)
	if m := c.recv(); m.Msg == "ready" || m.Error == nil {
		t.Fatalf("sub after logout: %+v", m)
	}
	c.send(`{"msg":"method","id":"big","method":"core.ping","params":["` + strings.Repeat("x", maxAnonymousMessage) + `"]}`)
	c.wantClosed(websocket.StatusInvalidFramePayloadData, anonymousTooBig)
}

// CORE 13.3 answers ping with pong and sends no errname.
func TestDDPCoreDialect(t *testing.T) {
	e := openTest(t)
	d := connectDDP(t, serveAs(t, e, HandlerOptions{DDP: &wire.DDPCore133}, Caller{UID: 0})+wire.DDPPath)
	d.send(`{"msg":"ping","id":"p1"}`)
	if m := d.recv(); m.Msg != "pong" || string(m.ID) != `"p1"` {
		t.Fatalf("ping: %+v", m)
	}
	d.send(`{"msg":"ping"}`)
	if m := d.recv(); m.Msg != "pong" || m.ID != nil {
		t.Fatalf("ping without id: %+v", m)
	}
	_, derr := d.call("user.get_instance", "99")
	if derr == nil || derr.Errname != "" || derr.Error != 2 || derr.Reason != "[ENOENT] None: User 99 does not exist" ||
		derr.Trace == nil || derr.Trace.Class != "ValidationError" || derr.Trace.Repr != nil || string(derr.Trace.Frames) != "[]" {
		t.Fatalf("not found: %+v %+v", derr, derr.Trace)
	}
}

// The same failing calls through JSON-RPC and through DDP, for callers of
// each kind: the errors read back the same (the one error path), and the
// results of the same successful calls are the same bytes.
func TestDDPAndJSONRPCShareTheCallPath(t *testing.T) {
	e := openTest(t)
	ro := groupID(t, e, "truenas_readonly_administrators")
	mustCall(t, e, "user.create", `{"username":"viewer","full_name":"V","group_create":true,"password_disabled":true,"smb":false,"groups":[`+ro+`]}`)
	mustCall(t, e, "user.create", `{"username":"plain","full_name":"P","group_create":true,"password_disabled":true,"smb":false}`)
	rootID := string(decode[map[string]json.RawMessage](t, mustCall(t, e, "user.query", `[["username","=","root"]]`, `{"get":true}`))["id"])

	type call struct {
		method string
		params []string
	}
	failing := []call{
		{"user.get_instance", []string{"99"}},
		{"user.create", []string{`{"username":"Bad Name","full_name":"","group_create":true}`}},
		{"user.create", []string{`{"username":"viewer","full_name":"V","group_create":true,"password_disabled":true,"smb":false}`}},
		{"user.delete", []string{rootID}},
		{"group.create", []string{`{"name":"wheel"}`}},
		{"user.update", []string{"99", `{"full_name":"X"}`}},
		{"user.query", []string{`"not filters"`}},
	}
	succeeding := []call{
		{"user.query", []string{`[["username","=","root"]]`}},
		{"group.query", []string{`[["name","=","wheel"]]`, `{"select":["gid","name"]}`}},
		{"system.version", nil},
		{"user.has_local_administrator_set_up", nil},
	}
	for _, who := range []Caller{{UID: 0}, {Username: "viewer"}, {Username: "plain"}, {UID: 4242}} {
		base := serveAs(t, e, HandlerOptions{}, who)
		r := dialRPC(t, context.Background(), base+wire.APIPath, nil)
		d := connectDDP(t, base+wire.DDPPath)
		failures := 0
		for _, c := range failing {
			_, rerr := r.call(c.method, c.params...)
			_, derr := d.call(c.method, c.params...)
			if (rerr == nil) != (derr == nil) {
				t.Fatalf("%s %s: JSON-RPC %v, DDP %+v", who, c.method, rerr, derr)
			}
			if rerr == nil {
				continue
			}
			failures++
			if got := derr.AsError(); !reflect.DeepEqual(got, rerr) {
				t.Errorf("%s %s: DDP %#v, JSON-RPC %#v", who, c.method, got, rerr)
			}
		}
		if failures != len(failing) {
			t.Fatalf("%s: only %d of the failing calls failed", who, failures)
		}
		for _, c := range succeeding {
			rres, rerr := r.call(c.method, c.params...)
			dres, derr := d.call(c.method, c.params...)
			if (rerr == nil) != (derr == nil) || string(rres) != string(dres) {
				t.Errorf("%s %s: JSON-RPC %s %v, DDP %s %+v", who, c.method, rres, rerr, dres, derr)
			}
		}
	}

	// The refusals, in the legacy protocol's words.
	base := serveAs(t, e, HandlerOptions{}, Caller{Username: "viewer"})
	d := connectDDP(t, base+wire.DDPPath)
	_, derr := d.call("user.create", `{"username":"nope","full_name":"N","group_create":true,"password_disabled":true}`)
	if derr == nil || derr.Error != 13 || derr.Errname != "EACCES" || derr.Reason != "[EACCES] Not authorized" || derr.Type != nil {
		t.Fatalf("not authorized: %+v", derr)
	}
	d.send(`{"msg":"sub","id":"s","name":"core.get_jobs"}`)
	if m := d.recv(); m.Error == nil || m.Error.Reason != "Not authorized" {
		t.Fatalf("sub as viewer: %+v", m)
	}
	d = connectDDP(t, serveAs(t, e, HandlerOptions{}, Caller{Username: "plain"})+wire.DDPPath)
	_, derr = d.call("user.query")
	if derr == nil || derr.Error != wire.ENOTAUTHENTICATED || derr.Reason != "[ENOTAUTHENTICATED] Not authenticated" {
		t.Fatalf("not authenticated: %+v", derr)
	}
	d = connectDDP(t, serveAs(t, e, HandlerOptions{}, Caller{UID: 0})+wire.DDPPath)
	_, derr = d.call("user.get_instance", "99")
	if derr == nil || derr.Error != 2 || derr.Errname != "ENOENT" || derr.Type == nil || *derr.Type != "VALIDATION" ||
		derr.Trace == nil || derr.Trace.Class != "InstanceNotFound" || string(derr.Extra) != `[[null,"User 99 does not exist",2]]` {
		t.Fatalf("not found: %+v", derr)
	}
	_, derr = d.call("user.create", `{"username":"Bad Name","full_name":"","group_create":true}`)
	if derr == nil || derr.Error != int(account.EAGAIN) || derr.Type == nil || *derr.Type != "VALIDATION" || derr.Trace == nil ||
		derr.Trace.Class != "ValidationErrors" || !strings.Contains(derr.Reason, "user_create.username: ") {
		t.Fatalf("validation: %+v", derr)
	}
	for method, want := range map[string]string{
		"user.frobnicate": "[ENOMETHOD] Method 'frobnicate' not found in 'user'",
		"nas.frobnicate":  "[ENOMETHOD] Service 'nas' not found",
		"frobnicate":      "[EBADMSG] Invalid method name",
	} {
		if _, derr := d.call(method); derr == nil || derr.Reason != want {
			t.Errorf("%s: %+v", method, derr)
		}
	}
}

// The message limits and the idle timeout of JSON-RPC apply to DDP.
func TestDDPLimits(t *testing.T) {
	e := openTest(t)
	pad := func(n int) string {
		head := `{"msg":"method","id":1,"method":"user.has_local_administrator_set_up","params":[],"pad":"`
		return head + strings.Repeat("x", n-len(head)-2) + `"}`
	}
	anon := serveAs(t, e, HandlerOptions{}, Caller{UID: 4242}) + wire.DDPPath
	d := connectDDP(t, anon)
	d.send(pad(8192))
	if m := d.recv(); m.Error != nil || string(m.Result) != "false" {
		t.Fatalf("8192 bytes before authentication: %+v", m)
	}
	d.send(pad(8193))
	d.wantClosed(websocket.StatusInvalidFramePayloadData, "Anonymous connection max message length is 8 kB")
	d = connectDDP(t, serveAs(t, e, HandlerOptions{AnonymousIdle: 300 * time.Millisecond}, Caller{UID: 4242})+wire.DDPPath)
	// Idle past its time, an anonymous connection is closed.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, _, err := d.c.Read(ctx); err == nil || ctx.Err() != nil {
		t.Fatalf("idle anonymous connection: %v", err)
	}

	d = connectDDP(t, serveAs(t, e, HandlerOptions{}, Caller{UID: 0})+wire.DDPPath)
	d.send(pad(65536))
	if m := d.recv(); m.Error != nil || string(m.Result) != "false" {
		t.Fatalf("65536 bytes from root: %+v", m)
	}
	d.send(pad(65537))
	d.wantClosed(websocket.StatusMessageTooBig, "Max message length is 64 kB")
}

func TestDDPParams(t *testing.T) {
	for raw, want := range map[string]int{
		``: 0, `null`: 0, `false`: 0, `0`: 0, `0.0`: 0, `""`: 0, `{}`: 0, `[]`: 0, `[1,"a"]`: 2,
		`{"a":1}`: -1, `1`: -1, `"x"`: -1, `true`: -1,
	} {
		var in json.RawMessage
		if raw != "" {
			in = json.RawMessage(raw)
		}
		ps, ok := ddpParams(in)
		if got := len(ps); (want < 0) == ok || (ok && got != want) {
			t.Errorf("%q: %d %v", raw, got, ok)
		}
	}
}
