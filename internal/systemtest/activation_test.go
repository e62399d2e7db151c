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

// TestEngineServeSocketActivation runs the ExecStart of
// contrib/systemd/truenas-engine.service (the built binary in place of its
// installed path) as systemd's truenas-engine.socket starts it: the socket
// is passed as fd 3 with LISTEN_PID and LISTEN_FDS (systemd-socket-activate
// does what systemd does), and the engine answers on it.
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
	args := append([]string{"-l", sock, binary}, unitExecStart(t, "../../contrib/systemd/truenas-engine.service", "/usr/local/bin/truenas-engine")...)
	cmd := exec.Command(activate, args...)
	// The unit's engine works on /: here on a folder of the test's.
	cmd.Env = append(os.Environ(), "TRUENAS_ENGINE_ROOT="+root)
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

// unitExecStart returns the arguments of a systemd unit's one ExecStart=
// line, whose program must be program (the path the release's units expect
// the binary at).
func unitExecStart(t *testing.T, unit, program string) []string {
	t.Helper()
	b, err := os.ReadFile(unit)
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]string
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "ExecStart="); ok {
			lines = append(lines, strings.Fields(v))
		}
	}
	if len(lines) != 1 || len(lines[0]) == 0 || lines[0][0] != program {
		t.Fatalf("%s: want one ExecStart= line running %s, got %q", unit, program, lines)
	}
	return lines[0][1:]
}
