package systemtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// jsonRPCThroughSSH is what the provider does on a box, with OpenSSH on
// both ends: `engine serve` listens on the middleware socket; the real ssh
// client forwards a local unix socket to it (`ssh -N -L LOCAL.sock:
// /var/run/middleware/middlewared.sock`) as the user dave, whose only
// privilege is TrueNAS's read-only administrator; a JSON-RPC call through
// it answers with dave's rights, which the engine reads from the peer
// credentials of sshd's forwarding process.
func (rb *realBox) jsonRPCThroughSSH(t *testing.T, work string) {
	// A private /run/middleware for the socket (the namespace's mounts go
	// with it).
	must(t, os.MkdirAll("/run/middleware", 0o755))
	mw := filepath.Join(work, "middleware")
	must(t, os.MkdirAll(mw, 0o755))
	if out, err := exec.Command("mount", "--bind", mw, "/run/middleware").CombinedOutput(); err != nil {
		t.Fatalf("mount /run/middleware: %v\n%s", err, out)
	}
	serve := exec.Command(binary, "serve")
	logf, err := os.Create(filepath.Join(work, "serve.log"))
	must(t, err)
	serve.Stdout, serve.Stderr = logf, logf
	must(t, serve.Start())
	defer func() {
		_ = serve.Process.Kill()
		_ = serve.Wait()
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("engine serve log:\n%s", b)
		}
	}()
	waitSocket(t, wire.Socket)
	if fi, err := os.Stat(wire.Socket); err != nil || fi.Mode().Perm() != 0o666 {
		t.Fatalf("the socket's mode: %v %v", fi, err)
	}

	var ro []struct{ ID int64 }
	mustMidclt(t, &ro, "group.query", []any{[]any{"name", "=", "truenas_readonly_administrators"}})
	if len(ro) != 1 {
		t.Fatalf("truenas_readonly_administrators: %v", ro)
	}
	rb.createUser(t, map[string]any{
		"username": "dave", "full_name": "Dave Reader", "group_create": true,
		"groups": []int64{ro[0].ID}, "home": "/mnt/tank", "home_create": true,
		"shell": "/usr/bin/bash", "password_disabled": true, "smb": false,
		"sshpubkey": rb.alicePub,
	})

	local := filepath.Join(work, "fwd.sock")
	args := append([]string{"-N", "-i", rb.key, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
		"-o", "ExitOnForwardFailure=yes", "-o", "StreamLocalBindUnlink=yes",
		"-L", local + ":" + wire.Socket}, rb.sshArgs("dave")...)
	// sshd may be re-executing itself after the engine reloaded it for
	// dave: start ssh again while the connection is refused (as sshRetry).
	var fwd *exec.Cmd
	logName := filepath.Join(work, "ssh-fwd.log")
	defer func() {
		if fwd != nil {
			_ = fwd.Process.Kill() // its Wait runs in the goroutine above
		}
		if t.Failed() {
			b, _ := os.ReadFile(logName)
			t.Logf("ssh -L log:\n%s", b)
		}
	}()
	for attempt := 0; ; attempt++ {
		fwdLog, err := os.Create(logName)
		must(t, err)
		fwd = exec.Command("ssh", args...)
		fwd.Stdout, fwd.Stderr = fwdLog, fwdLog
		must(t, fwd.Start())
		exited := make(chan struct{})
		go func() { _ = fwd.Wait(); close(exited) }()
		if waitSocketOrExit(local, exited) {
			fwdLog.Close()
			break
		}
		fwdLog.Close()
		_ = fwd.Process.Kill()
		<-exited
		b, _ := os.ReadFile(logName)
		if attempt == 50 || !(strings.Contains(string(b), "Connection refused") || strings.Contains(string(b), "kex_exchange_identification") ||
			strings.Contains(string(b), "Connection closed") || strings.Contains(string(b), "Connection reset")) {
			fwd = nil
			t.Fatalf("ssh -L did not forward %s:\n%s", local, b)
		}
		fwd = nil
		time.Sleep(100 * time.Millisecond)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", local)
	}}}
	ws, _, err := websocket.Dial(ctx, "ws://localhost"+wire.APIPath, &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		t.Fatalf("websocket through ssh -L: %v", err)
	}
	defer ws.CloseNow()
	call := func(id int, method, params string) wire.Response {
		t.Helper()
		msg := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":%q,"params":%s}`, id, method, params)
		must(t, ws.Write(ctx, websocket.MessageText, []byte(msg)))
		_, data, err := ws.Read(ctx)
		must(t, err)
		var r wire.Response
		must(t, json.Unmarshal(data, &r))
		if string(r.ID) != fmt.Sprint(id) {
			t.Fatalf("answer %s to request %d", data, id)
		}
		return r
	}
	if r := call(1, "system.version", "[]"); r.Error != nil || !strings.HasPrefix(string(r.Result), `"TrueNAS-`) {
		t.Fatalf("system.version: %+v", r)
	}
	r := call(2, "user.query", `[[["username","=","dave"]],{"get":true,"select":["username","roles"]}]`)
	if r.Error != nil || !strings.Contains(string(r.Result), `"dave"`) {
		t.Fatalf("dave's user.query: %+v %s", r.Error, r.Result)
	}
	// dave is read-only: TrueNAS's refusal, so the peer was dave, not root.
	r = call(3, "user.create", `[{"username":"eve","full_name":"E","group_create":true,"password_disabled":true,"smb":false}]`)
	if r.Error == nil || r.Error.Data == nil || r.Error.Data.Reason != "[EACCES] Not authorized" {
		t.Fatalf("dave's user.create: %+v", r)
	}

	// The legacy DDP websocket on the same forward, as older clients and
	// TrueNAS CORE's speak it: the same peer, the same answers.
	dws, _, err := websocket.Dial(ctx, "ws://localhost"+wire.DDPPath, &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		t.Fatalf("DDP websocket through ssh -L: %v", err)
	}
	defer dws.CloseNow()
	dws.SetReadLimit(1 << 24)
	ddp := func(raw string) wire.DDPMessage {
		t.Helper()
		must(t, dws.Write(ctx, websocket.MessageText, []byte(raw)))
		_, data, err := dws.Read(ctx)
		must(t, err)
		m, err := wire.ParseDDP(data)
		must(t, err)
		return m
	}
	if m := ddp(string(wire.EncodeDDPConnect())); m.Msg != "connected" || m.Session == "" {
		t.Fatalf("DDP connect: %+v", m)
	}
	if m := ddp(`{"msg":"method","id":"v","method":"system.version","params":[]}`); m.Error != nil || string(m.Result) != string(rpcVersion(t, call)) {
		t.Fatalf("DDP system.version: %+v %s", m.Error, m.Result)
	}
	m := ddp(`{"msg":"method","id":"c","method":"user.create","params":[{"username":"eve","full_name":"E","group_create":true,"password_disabled":true,"smb":false}]}`)
	if m.Error == nil || m.Error.Reason != "[EACCES] Not authorized" || m.Error.Errname != "EACCES" || string(m.ID) != `"c"` {
		t.Fatalf("dave's user.create over DDP: %+v", m.Error)
	}
	m = ddp(`{"msg":"method","id":"q","method":"user.query","params":[[["username","=","dave"]],{"get":true,"select":["username"]}]}`)
	if m.Error != nil || string(m.Result) != `{"username":"dave"}` {
		t.Fatalf("dave's user.query over DDP: %+v %s", m.Error, m.Result)
	}
}

// rpcVersion is system.version through the JSON-RPC websocket.
func rpcVersion(t *testing.T, call func(int, string, string) wire.Response) json.RawMessage {
	t.Helper()
	r := call(4, "system.version", "[]")
	if r.Error != nil {
		t.Fatalf("system.version: %+v", r.Error)
	}
	return r.Result
}

// waitSocketOrExit waits for a server on path, or for the process to exit.
func waitSocketOrExit(path string, exited <-chan struct{}) bool {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			return true
		}
		select {
		case <-exited:
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
	return false
}

func waitSocket(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s", path)
}
