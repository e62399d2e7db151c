package sandbox

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/nasops/terraform-provider-truenas/internal/engine"
	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// A 13.3 sandbox: the streamlocal channel goes to CORE's socket and speaks
// DDP at /websocket alone; SCALE's socket path is refused; midclt takes
// its arguments from the command line only; root's password logs in with
// CORE's auth.login; the root keeps its release.
func TestCoreSandbox(t *testing.T) {
	dir := t.TempDir()
	sb, err := Start(context.Background(), Options{Dir: dir, Listen: "127.0.0.1:0", Release: "13.3"})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	c := dialSandbox(t, sb)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hc := func(path string) *http.Client {
		return &http.Client{Transport: &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
			return c.Dial("unix", path)
		}}}
	}
	for _, p := range []string{wire.Socket, "/run/middleware/middlewared.sock"} {
		if _, err := c.Dial("unix", p); err == nil {
			t.Errorf("a channel to SCALE's %s was accepted on 13.3", p)
		}
	}
	if ws, _, err := websocket.Dial(ctx, "ws://localhost"+wire.APIPath, &websocket.DialOptions{HTTPClient: hc(wire.CoreSocket)}); err == nil {
		ws.CloseNow()
		t.Fatal("JSON-RPC served on 13.3")
	}
	ws, _, err := websocket.Dial(ctx, "ws://localhost"+wire.DDPPath, &websocket.DialOptions{HTTPClient: hc(wire.CoreSocket)})
	if err != nil {
		t.Fatalf("DDP on %s: %v", wire.CoreSocket, err)
	}
	defer ws.CloseNow()
	send := func(msg string) wire.DDPMessage {
		t.Helper()
		if err := ws.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		_, data, err := ws.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		m, err := wire.ParseDDP(data)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := send(string(wire.EncodeDDPConnect())); m.Msg != "connected" {
		t.Fatalf("handshake %+v", m)
	}
	m := send(`{"msg":"method","id":"1","method":"user.create","params":[{"username":"sbcore","full_name":"S","group_create":true,"password":"Pw-1secret"}]}`)
	var id int64
	if m.Error != nil || json.Unmarshal(m.Result, &id) != nil || id == 0 {
		t.Fatalf("user.create: %+v %s", m.Error, m.Result)
	}
	m = send(`{"msg":"method","id":"2","method":"user.create","params":[{"username":"sbcore","full_name":"S","group_create":true,"password":"x"}]}`)
	if m.Error == nil || m.Error.Error != 11 || !strings.Contains(string(m.Error.Extra), `The username \"sbcore\" already exists.`) {
		t.Fatalf("duplicate: %+v", m.Error)
	}
	b, err := os.ReadFile(filepath.Join(dir, AdminPasswordFile))
	if err != nil {
		t.Fatal(err)
	}
	pw := strings.TrimSpace(string(b))
	m = send(`{"msg":"method","id":"3","method":"auth.login","params":["root",` + string(mustJSON(t, pw)) + `]}`)
	if m.Error != nil || string(m.Result) != "true" {
		t.Fatalf("auth.login as root: %+v %s", m.Error, m.Result)
	}
	m = send(`{"msg":"method","id":"4","method":"auth.login","params":["root","wrong"]}`)
	if m.Error != nil || string(m.Result) != "false" {
		t.Fatalf("auth.login with a wrong password: %+v %s", m.Error, m.Result)
	}

	// midclt: argv only; "-" is a string the method refuses.
	if _, stderr, code := runCmd(t, c, "midclt call user.query -", `[["id","=",-1]]`); code != 1 || stderr != "[EINVAL] [query-filters] Not a list\n" {
		t.Fatalf("midclt -: %q %d", stderr, code)
	}
	if out, _, code := runCmd(t, c, `midclt call user.query '[["username","=","sbcore"]]' '{"get":true}'`, ""); code != 0 || !strings.Contains(out, `"microsoft_account": false`) {
		t.Fatalf("midclt argv: %q %d", out, code)
	}
	// Another SSH user reaches no CORE socket: every peer of it is root.
	other := dialSandboxAs(t, sb, "alice")
	if _, err := other.Dial("unix", wire.CoreSocket); err == nil {
		t.Fatal("a non-root SSH user's channel to CORE's socket was accepted")
	}
	e, err := engine.OpenRelease(sb.Root, "")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.Release().Name != "13.3" {
		t.Fatalf("the sandbox root answers as %s", e.Release().Name)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
