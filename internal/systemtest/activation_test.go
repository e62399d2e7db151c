package systemtest

import (
	"context"
	"encoding/json"
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

// TestEngineServeSocketActivation runs `engine serve` as systemd's
// truenas-engine.socket starts it: the socket is passed as fd 3 with
// LISTEN_PID and LISTEN_FDS (systemd-socket-activate does what systemd
// does), and the engine answers on it.
func TestEngineServeSocketActivation(t *testing.T) {
	activate, err := exec.LookPath("systemd-socket-activate")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("systemd-socket-activate is missing (package systemd)")
		}
		t.Skip("systemd-socket-activate is missing (package systemd)")
	}
	root := t.TempDir()
	sock := filepath.Join(t.TempDir(), "middlewared.sock")
	cmd := exec.Command(activate, "-l", sock, binary, "--root", root, "serve")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("output:\n%s", out.String())
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		for {
			c, err := d.DialContext(ctx, "unix", sock)
			if err == nil || ctx.Err() != nil {
				return c, err
			}
			time.Sleep(50 * time.Millisecond)
		}
	}}}
	ws, _, err := websocket.Dial(ctx, "ws://localhost"+wire.APIPath, &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	if err := ws.Write(ctx, websocket.MessageText, []byte(`{"jsonrpc":"2.0","id":1,"method":"system.version","params":[]}`)); err != nil {
		t.Fatal(err)
	}
	_, data, err := ws.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var r wire.Response
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("%s: %v", data, err)
	}
	if os.Geteuid() == 0 {
		if r.Error != nil || !strings.HasPrefix(string(r.Result), `"TrueNAS-`) {
			t.Fatalf("system.version as root: %s", data)
		}
	} else if r.Error == nil || r.Error.Data == nil || r.Error.Data.Errname != "ENOTAUTHENTICATED" {
		// A user the fresh root does not know: refused, as TrueNAS does.
		t.Fatalf("system.version as uid %d: %s", os.Geteuid(), data)
	}
	// The engine served the socket systemd passed: it did not make its own
	// at the default path.
	if !strings.Contains(out.String(), "listening on "+sock) {
		t.Fatalf("engine serve did not take the passed socket:\n%s", out.String())
	}
}
