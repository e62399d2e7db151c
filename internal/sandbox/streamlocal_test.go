package sandbox

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/crypto/ssh"

	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// rpcOver dials the middleware socket through the SSH connection and makes
// one JSON-RPC call on a websocket there.
func rpcOver(t *testing.T, c *ssh.Client, path, method string, params string) (wire.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	hc := &http.Client{Transport: &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
		return c.Dial("unix", path)
	}}}
	ws, _, err := websocket.Dial(ctx, "ws://localhost"+wire.APIPath, &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		return wire.Response{}, err
	}
	defer ws.CloseNow()
	if err := ws.Write(ctx, websocket.MessageText, []byte(`{"jsonrpc":"2.0","id":1,"method":"`+method+`","params":`+params+`}`)); err != nil {
		t.Fatal(err)
	}
	_, data, err := ws.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var r wire.Response
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return r, nil
}

func TestStreamLocalJSONRPC(t *testing.T) {
	sb, err := Start(context.Background(), Options{Dir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	c := dialSandbox(t, sb)
	r, err := rpcOver(t, c, wire.Socket, "system.version", "[]")
	if err != nil || r.Error != nil || !strings.HasPrefix(string(r.Result), `"TrueNAS`) {
		t.Fatalf("system.version: %+v %v", r, err)
	}
	r, err = rpcOver(t, c, wire.Socket, "user.create", `[{"username":"wsuser","full_name":"W","group_create":true,"password":"s3cret-Pw","smb":false}]`)
	if err != nil || r.Error != nil || !strings.Contains(string(r.Result), `"username":"wsuser"`) {
		t.Fatalf("user.create: %+v %s %v", r, r.Result, err)
	}
	// The channel goes to the middleware socket only.
	for _, p := range []string{"/run/sshd.sock", "/var/run/middleware/middlewared-internal.sock", "/tmp/x"} {
		if _, err := c.Dial("unix", p); err == nil {
			t.Errorf("a channel to %s was accepted", p)
		}
	}
	// A TCP forward is refused as before.
	if _, err := c.Dial("tcp", "127.0.0.1:22"); err == nil {
		t.Error("a TCP forward was accepted")
	}
	st := sb.Stats()
	if st.StreamLocal != 2 || st.RPCCalls != 2 || st.Calls != 2 || st.Sessions != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestStreamLocalRefused(t *testing.T) {
	sb, err := Start(context.Background(), Options{Dir: t.TempDir(), Listen: "127.0.0.1:0", NoStreamLocal: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	c := dialSandbox(t, sb)
	_, err = c.Dial("unix", wire.Socket)
	var oce *ssh.OpenChannelError
	if err == nil || !asOpenChannelError(err, &oce) {
		t.Fatalf("got %v", err)
	}
}

func asOpenChannelError(err error, oce **ssh.OpenChannelError) bool {
	e, ok := err.(*ssh.OpenChannelError)
	if ok {
		*oce = e
	}
	return ok
}

// The midclt command line as TrueNAS's midclt takes it, through the
// sandbox to the real engine; the engine's own options never pass.
func TestMidcltOptionsThroughSandbox(t *testing.T) {
	sb, err := Start(context.Background(), Options{Dir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	c := dialSandbox(t, sb)
	out, stderr, code := runCmd(t, c, "midclt -t 30 -U someone -P 'not shown' --insecure call -q -j -jp description system.version", "")
	if code != 0 || !strings.HasPrefix(out, "TrueNAS-") || stderr != "" {
		t.Fatalf("global and call options: %q %q %d", out, stderr, code)
	}
	if out, stderr, code := runCmd(t, c, "sudo -n midclt call -q nope.nope", ""); code != 1 || out != "" || stderr != "" {
		t.Fatalf("-q: %q %q %d", out, stderr, code)
	}
	if _, stderr, code := runCmd(t, c, "midclt call nope.nope", ""); code != 1 || stderr != "Method does not exist\n" {
		t.Fatalf("unknown method: %q %d", stderr, code)
	}
	// One payload on stdin, the final "-".
	out, _, code = runCmd(t, c, `midclt call user.query - `, `[["username","=","root"]]`)
	if code != 0 || !strings.Contains(out, `"username": "root"`) {
		t.Fatalf("stdin payload: %q %d", out, code)
	}
	for _, cmd := range []string{"midclt --root / call system.version", "midclt --root=/ call system.version", "midclt --midclt-flavour 25.10 call system.version", "midclt -t"} {
		if _, stderr, code := runCmd(t, c, cmd, ""); code != 127 || !strings.Contains(stderr, "refused") {
			t.Errorf("%q: %q %d", cmd, stderr, code)
		}
	}
}

// MidcltFlavour 25.10 stands for TrueNAS 25.04/25.10: "-" is a string.
func TestMidclt2510ThroughSandbox(t *testing.T) {
	sb, err := Start(context.Background(), Options{Dir: t.TempDir(), Listen: "127.0.0.1:0", MidcltFlavour: "25.10"})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	c := dialSandbox(t, sb)
	if _, stderr, code := runCmd(t, c, "midclt call user.query -", `[["id","=",-1]]`); code != 1 || !strings.Contains(stderr, "filters") {
		t.Fatalf("%q %d", stderr, code)
	}
	if out, _, code := runCmd(t, c, `midclt call user.query '[["id","=",-1]]'`, ""); code != 0 || out != "[]\n" {
		t.Fatalf("%q %d", out, code)
	}
}
