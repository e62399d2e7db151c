package engine

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/nasops/terraform-provider-truenas/internal/account"
	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// rpcConn is a websocket JSON-RPC connection for tests.
type rpcConn struct {
	t *testing.T
	c *websocket.Conn
}

func dialRPC(t *testing.T, ctx context.Context, url string, client *http.Client) *rpcConn {
	t.Helper()
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: client})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return &rpcConn{t: t, c: c}
}

func (r *rpcConn) send(raw string) {
	r.t.Helper()
	if err := r.c.Write(context.Background(), websocket.MessageText, []byte(raw)); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rpcConn) recv() wire.Response {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, data, err := r.c.Read(ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	var resp wire.Response
	if err := json.Unmarshal(data, &resp); err != nil {
		r.t.Fatalf("%s: %v", data, err)
	}
	return resp
}

// call sends one request and returns its answer's result or error.
func (r *rpcConn) call(method string, params ...string) (json.RawMessage, error) {
	r.t.Helper()
	ps := "[" + strings.Join(params, ",") + "]"
	r.send(`{"jsonrpc":"2.0","id":1,"method":"` + method + `","params":` + ps + `}`)
	resp := r.recv()
	if string(resp.ID) != "1" {
		r.t.Fatalf("answer to id %s", resp.ID)
	}
	if resp.Error != nil {
		return nil, resp.Error.AsError()
	}
	return resp.Result, nil
}

// asCaller serves e's handler on a loopback test server whose every
// connection is the caller.
func asCaller(t *testing.T, e *Engine, who Caller) string {
	srv := httptest.NewUnstartedServer(e.Handler())
	srv.Config.ConnContext = func(ctx context.Context, _ net.Conn) context.Context { return WithCaller(ctx, who) }
	srv.Start()
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + wire.APIPath
}

func groupID(t *testing.T, e *Engine, name string) string {
	t.Helper()
	res := mustCall(t, e, "group.query", `[["name","=","`+name+`"]]`, `{"get":true,"select":["id"]}`)
	return string(decode[map[string]json.RawMessage](t, res)["id"])
}

func wantCallError(t *testing.T, err error, errno account.Errno, msg string) {
	t.Helper()
	var ce *account.CallError
	if !errors.As(err, &ce) || ce.Errno != errno || ce.Message != msg {
		t.Fatalf("got %#v (%v), want [%s] %s", err, err, errno.Name(), msg)
	}
}

func TestRPCAuthorisation(t *testing.T) {
	e := openTest(t)
	ctx := context.Background()
	ro := groupID(t, e, "truenas_readonly_administrators")
	mustCall(t, e, "user.create", `{"username":"viewer","full_name":"V","group_create":true,"password_disabled":true,"smb":false,"groups":[`+ro+`]}`)
	mustCall(t, e, "user.create", `{"username":"plain","full_name":"P","group_create":true,"password_disabled":true,"smb":false}`)

	root := dialRPC(t, ctx, asCaller(t, e, Caller{UID: 0}), nil)
	if res, err := root.call("user.create", `{"username":"made","full_name":"M","group_create":true,"password_disabled":true,"smb":false}`); err != nil || !strings.Contains(string(res), `"username":"made"`) && !strings.Contains(string(res), `"username": "made"`) {
		t.Fatalf("root create: %s %v", res, err)
	}

	viewer := dialRPC(t, ctx, asCaller(t, e, Caller{Username: "viewer"}), nil)
	if res, err := viewer.call("user.query", `[["username","=","made"]]`, `{"count":true}`); err != nil || string(res) != "1" {
		t.Fatalf("read-only query: %s %v", res, err)
	}
	if _, err := viewer.call("privilege.query"); err != nil {
		t.Fatalf("read-only privilege.query: %v", err)
	}
	_, err := viewer.call("user.create", `{"username":"nope","full_name":"N","group_create":true,"password_disabled":true}`)
	wantCallError(t, err, account.EACCES, "Not authorized")
	_, err = viewer.call("group.delete", ro)
	wantCallError(t, err, account.EACCES, "Not authorized")
	if res, err := viewer.call("system.version"); err != nil || !strings.Contains(string(res), "TrueNAS") {
		t.Fatalf("system.version: %s %v", res, err)
	}

	// A user without a privilege is not authenticated; methods that need
	// no authentication still answer.
	plain := dialRPC(t, ctx, asCaller(t, e, Caller{Username: "plain"}), nil)
	plain.send(`{"jsonrpc":"2.0","id":"q","method":"user.query","params":[]}`)
	resp := plain.recv()
	if resp.Error == nil || resp.Error.Code != wire.CodeCallError || resp.Error.Data.Error != wire.ENOTAUTHENTICATED ||
		resp.Error.Data.Reason != "[ENOTAUTHENTICATED] Not authenticated" || string(resp.ID) != `"q"` {
		t.Fatalf("got %+v", resp)
	}
	if res, err := plain.call("user.has_local_administrator_set_up"); err != nil || string(res) != "false" {
		t.Fatalf("has_local_administrator_set_up: %s %v", res, err)
	}
	stranger := dialRPC(t, ctx, asCaller(t, e, Caller{UID: 4242}), nil)
	if _, err := stranger.call("system.version"); err == nil || !strings.Contains(err.Error(), "Not authenticated") {
		t.Fatalf("unknown uid: %v", err)
	}
}

func TestRPCProtocol(t *testing.T) {
	e := openTest(t)
	c := dialRPC(t, context.Background(), asCaller(t, e, Caller{Username: "root"}), nil)

	// Validation errors come as TrueNAS sends them, and read back as the
	// midclt path's account.Errors.
	_, err := c.call("user.get_instance", "99")
	var es account.Errors
	if !errors.As(err, &es) || es.Error() != "[ENOENT] ALL: User 99 does not exist" {
		t.Fatalf("got %#v", err)
	}
	_, err = c.call("nope.nope")
	wantCallError(t, err, account.EINVAL, "Method does not exist")
	// A null result is a result.
	c.send(`{"jsonrpc":"2.0","id":5,"method":"core.unsubscribe","params":["x"]}`)
	if r := c.recv(); r.Error != nil || string(r.Result) != "null" || string(r.ID) != "5" {
		t.Fatalf("got %+v", r)
	}
	// Requests that break the protocol, with TrueNAS's messages.
	for raw, want := range map[string]string{
		`{"id":7,"method":"system.version"}`:                                  "Missing 'jsonrpc' member",
		`{"jsonrpc":"1.0","id":7,"method":"system.version"}`:                  "'jsonrpc' member must be of type string and must be exactly '2.0'",
		`{"jsonrpc":"2.0","id":7,"method":"system.version","params":{"a":1}}`: "'params' member must be of type array",
		`{"jsonrpc":"2.0","id":7}`:                                            "Missing 'method' member",
	} {
		c.send(raw)
		r := c.recv()
		if r.Error == nil || r.Error.Code != wire.CodeInvalidRequest || r.Error.Message != want || string(r.ID) != "7" {
			t.Errorf("%s: got %+v", raw, r.Error)
		}
	}
	c.send(`{nope`)
	if r := c.recv(); r.Error == nil || r.Error.Code != wire.CodeInvalidJSON || string(r.ID) != "null" {
		t.Errorf("invalid JSON: %+v", r)
	}
	// A notification gets no answer: the next answer is the next call's.
	c.send(`{"jsonrpc":"2.0","method":"system.version","params":[]}`)
	// Several calls at once, answered by id.
	for _, id := range []string{"10", `"b"`, "12"} {
		c.send(`{"jsonrpc":"2.0","id":` + id + `,"method":"user.query","params":[[["username","=","root"]],{"get":true,"select":["uid"]}]}`)
	}
	seen := map[string]bool{}
	for range 3 {
		r := c.recv()
		if r.Error != nil || string(r.Result) != `{"uid":0}` {
			t.Fatalf("got %+v %s", r, r.Result)
		}
		seen[string(r.ID)] = true
	}
	if !seen["10"] || !seen[`"b"`] || !seen["12"] {
		t.Fatalf("answers for %v", seen)
	}
}

// A missing instance is TrueNAS's InstanceNotFound, a ValidationError
// raised on its own (crud_service.py get_instance, TS-25.10.6): rpc.py
// sends it as "Invalid params" with errno EINVAL, its str() (no "\n") as
// the reason and its one [None, message, ENOENT] as extra, whichever
// method looked the instance up.
func TestRPCInstanceNotFound(t *testing.T) {
	e := openTest(t)
	c := dialRPC(t, context.Background(), asCaller(t, e, Caller{Username: "root"}), nil)
	for _, tc := range []struct {
		method string
		params []string
		msg    string
	}{
		{"user.get_instance", []string{"99"}, "User 99 does not exist"},
		{"user.update", []string{"99", `{"full_name":"x"}`}, "User 99 does not exist"},
		{"user.delete", []string{"99"}, "User 99 does not exist"},
		{"group.get_instance", []string{"993"}, "Group 993 does not exist"},
		{"group.update", []string{"993", `{"name":"x"}`}, "Group 993 does not exist"},
		{"group.delete", []string{"993", `{"delete_users":false}`}, "Group 993 does not exist"},
		{"api_key.get_instance", []string{"99"}, "ApiKey 99 does not exist"},
		{"api_key.delete", []string{"99"}, "ApiKey 99 does not exist"},
		{"privilege.get_instance", []string{"99"}, "Privilege 99 does not exist"},
		{"privilege.delete", []string{"99"}, "Privilege 99 does not exist"},
	} {
		c.send(`{"jsonrpc":"2.0","id":1,"method":"` + tc.method + `","params":[` + strings.Join(tc.params, ",") + `]}`)
		r := c.recv()
		extra, _ := json.Marshal([][3]any{{nil, tc.msg, 2}})
		if r.Error == nil || r.Error.Code != wire.CodeInvalidParams || r.Error.Message != "Invalid params" || r.Error.Data == nil ||
			r.Error.Data.Error != 22 || r.Error.Data.Errname != "EINVAL" || r.Error.Data.Reason != "[ENOENT] None: "+tc.msg ||
			string(r.Error.Data.Extra) != string(extra) {
			t.Errorf("%s: got %+v", tc.method, r.Error)
			if r.Error != nil && r.Error.Data != nil {
				t.Logf("reason %q extra %s", r.Error.Data.Reason, r.Error.Data.Extra)
			}
		}
	}
	// A ValidationErrors of one error keeps its "\n" (str(ValidationErrors)).
	c.send(`{"jsonrpc":"2.0","id":1,"method":"group.create","params":[{"name":"root"}]}`)
	if r := c.recv(); r.Error == nil || r.Error.Data == nil || !strings.HasSuffix(r.Error.Data.Reason, "\n") ||
		!strings.HasPrefix(r.Error.Data.Reason, "[EEXIST] group_create.name: ") {
		t.Errorf("group.create root: got %+v", r.Error)
	}
}

func TestServeUnixSocketPeerCredentials(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("peer credentials of root: needs root")
	}
	e := openTest(t)
	sock := filepath.Join(socketBase(t), "run", "middlewared.sock")
	ln, err := ListenSocket(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(sock); err != nil || fi.Mode().Perm() != 0o666 {
		t.Fatalf("socket mode: %v %v", fi.Mode(), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Serve(ctx, ln, os.Stderr) }()
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}}
	c := dialRPC(t, ctx, "ws://localhost"+wire.APIPath, client)
	if res, err := c.call("system.version"); err != nil || string(res) != `"`+SystemVersion()+`"` {
		t.Fatalf("system.version as root: %s %v", res, err)
	}
	// A second server on the same socket is refused while the first runs.
	if _, err := ListenSocket(sock); err == nil || !strings.Contains(err.Error(), "another server") {
		t.Fatalf("second listener: %v", err)
	}
	c.c.CloseNow()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// A socket peer is the store user its uid names on the box, as TrueNAS's
// getpwuid -> user.query by name -> same uid: a foreign account sharing a
// store user's uid, or a uid etc/passwd does not have, is not
// authenticated, so it never gets that user's privileges.
func TestSocketPeerIsTheBoxAccountOfItsUID(t *testing.T) {
	e := openTest(t)
	admins := groupID(t, e, "builtin_administrators")
	ops := createUser(t, e, `{"username":"ops","uid":3000,"full_name":"Ops","group_create":true,"groups":[`+admins+`],"password":"Ops-Pw-1","smb":false}`)
	ctx := context.Background()
	if _, err := dialRPC(t, ctx, asCaller(t, e, Caller{UID: ops.UID}), nil).call("user.query", `[]`, `{"count":true}`); err != nil {
		t.Fatalf("ops (uid 3000, its own passwd line) is refused: %v", err)
	}

	passwd := filepath.Join(e.Root(), "etc/passwd")
	data, err := os.ReadFile(passwd)
	if err != nil {
		t.Fatal(err)
	}
	// A foreign line first at uid 3000: getpwuid(3000) is svc, not ops.
	if err := os.WriteFile(passwd, append([]byte("svc:x:3000:3000::/home/svc:/bin/sh\n"), data...), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = dialRPC(t, ctx, asCaller(t, e, Caller{UID: 3000}), nil).call("user.query")
	wantErr(t, err, "Not authenticated")

	// No line at all for the uid.
	var kept []string
	for _, l := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(l, "ops:") {
			kept = append(kept, l)
		}
	}
	if err := os.WriteFile(passwd, []byte(strings.Join(kept, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = dialRPC(t, ctx, asCaller(t, e, Caller{UID: 3000}), nil).call("user.query")
	wantErr(t, err, "Not authenticated")

	// A built-in the engine keeps only in the store (messagebus) is no
	// peer either: its uid on the box is whoever etc/passwd says.
	mb := decode[[]account.UserEntry](t, mustCall(t, e, "user.query", `[["username","=","messagebus"]]`))
	if len(mb) == 1 {
		s, err := e.Login(ctx, Caller{UID: mb[0].UID})
		if err != nil {
			t.Fatal(err)
		}
		if s.authenticated {
			t.Fatalf("uid %d (messagebus, in the store only) is authenticated", mb[0].UID)
		}
	}
}

// A caller without FULL_ADMIN or API_KEY_WRITE creates, resets and deletes
// only its own API keys (api_key_privilege_check): a read-only admin
// cannot mint, rotate or remove root's key. Root may touch any.
func TestSocketAPIKeysOfOtherUsersNeedKeyWrite(t *testing.T) {
	e := openTest(t)
	ro := groupID(t, e, "truenas_readonly_administrators")
	mustCall(t, e, "user.create", `{"username":"viewer","full_name":"V","group_create":true,"password_disabled":true,"smb":false,"groups":[`+ro+`]}`)
	rootKey := decode[map[string]any](t, mustCall(t, e, "api_key.create", `{"name":"roots","username":"root"}`))
	id := strconv.FormatInt(int64(rootKey["id"].(float64)), 10)
	viewer := dialRPC(t, context.Background(), asCaller(t, e, Caller{Username: "viewer"}), nil)
	const denied = "viewer: authenticated user lacks privileges to create or modify API keys of other users."

	_, err := viewer.call("api_key.create", `{"name":"pwn","username":"root"}`)
	wantCallError(t, err, account.EACCES, denied)
	_, err = viewer.call("api_key.update", id, `{"reset":true}`)
	wantCallError(t, err, account.EACCES, denied)
	_, err = viewer.call("api_key.delete", id)
	wantCallError(t, err, account.EACCES, denied)
	if n := decode[int](t, mustCall(t, e, "api_key.query", `[]`, `{"count":true}`)); n != 1 {
		t.Fatalf("%d keys after the refusals, want root's only", n)
	}

	// Its own key it may create, reset and delete.
	own, err := viewer.call("api_key.create", `{"name":"mine","username":"viewer"}`)
	if err != nil {
		t.Fatalf("viewer's own key: %v", err)
	}
	ownID := strconv.FormatInt(int64(decode[map[string]any](t, own)["id"].(float64)), 10)
	if _, err := viewer.call("api_key.update", ownID, `{"reset":true}`); err != nil {
		t.Fatalf("viewer resets its own key: %v", err)
	}
	if _, err := viewer.call("api_key.delete", ownID); err != nil {
		t.Fatalf("viewer deletes its own key: %v", err)
	}

	// Root (the socket's uid 0) may touch anyone's.
	root := dialRPC(t, context.Background(), asCaller(t, e, Caller{UID: 0}), nil)
	if _, err := root.call("api_key.delete", id); err != nil {
		t.Fatalf("root deletes root's key: %v", err)
	}
}

// FuzzParseRequest: any message gives a request or a JSON-RPC error, never
// a panic, and an accepted request has a method.
func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{`{"jsonrpc":"2.0","id":1,"method":"x","params":[]}`, `{"jsonrpc":"2.0","id":1,"method":"x","params":null}`,
		`{"jsonrpc":"2.0","id":[1],"method":"x"}`, `{"jsonrpc":"2.0","method":""}`, `[]`, `null`, `{"params":{}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := parseRequest(data)
		if err == nil && req.Method == "" {
			t.Fatalf("%s: accepted without a method", data)
		}
	})
}

// A session's own user cannot be deleted through that session (TrueNAS:
// "Cannot delete the currently active user"); another administrator may.
func TestSocketCannotDeleteItsOwnUser(t *testing.T) {
	e := openTest(t)
	admins := groupID(t, e, "builtin_administrators")
	mustCall(t, e, "user.setup_local_administrator", `"truenas_admin"`, `"Admin-Pw-1"`)
	ops := createUser(t, e, `{"username":"ops","full_name":"Ops","group_create":true,"groups":[`+admins+`],"password":"Ops-Pw-1","smb":false}`)
	self := dialRPC(t, context.Background(), asCaller(t, e, Caller{Username: "ops"}), nil)
	_, err := self.call("user.delete", strconv.FormatInt(ops.ID, 10))
	wantCallError(t, err, account.EINVAL, "Cannot delete the currently active user")
	root := dialRPC(t, context.Background(), asCaller(t, e, Caller{UID: 0}), nil)
	if _, err := root.call("user.delete", strconv.FormatInt(ops.ID, 10)); err != nil {
		t.Fatalf("root deletes ops: %v", err)
	}
}
