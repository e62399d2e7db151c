package engine

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// TestReleaseKeptByTheRoot: a root answers as the release it was created
// with, whoever opens it later, and refuses another --release naming both.
func TestReleaseKeptByTheRoot(t *testing.T) {
	for _, c := range []struct {
		release, version, short, socket string
	}{
		{"25.10", "TrueNAS-25.10.6+engine.", "25.10.6", "/var/run/middleware/middlewared.sock"},
		{"26.0", "TrueNAS-26.0.0-BETA.3+engine.", "26.0.0-BETA.3", "/run/middleware/middlewared.sock"},
		{"13.3", "TrueNAS-13.3-U1.2+engine.", "13.3-U1.2", "/var/run/middlewared.sock"},
	} {
		t.Run(c.release, func(t *testing.T) {
			root := t.TempDir()
			e, err := OpenRelease(root, c.release)
			if err != nil {
				t.Fatal(err)
			}
			if v := decode[string](t, mustCall(t, e, "system.version")); !strings.HasPrefix(v, c.version) {
				t.Fatalf("system.version %q, want %s...", v, c.version)
			}
			if c.release != "13.3" { // CORE has no system.version_short
				if v := decode[string](t, mustCall(t, e, "system.version_short")); v != c.short {
					t.Fatalf("system.version_short %q", v)
				}
			}
			wantInfo := c.short
			if c.release == "13.3" {
				wantInfo = decode[string](t, mustCall(t, e, "system.version")) // CORE's info() has version()
			}
			if info := decode[map[string]any](t, mustCall(t, e, "system.info")); info["version"] != wantInfo {
				t.Fatalf("system.info version %v", info["version"])
			}
			if e.Release().Socket != c.socket {
				t.Fatalf("socket %s", e.Release().Socket)
			}
			e.Close()
			// Opened again without --release: the same release.
			e, err = Open(root)
			if err != nil {
				t.Fatal(err)
			}
			if e.Release().Name != c.release {
				t.Fatalf("reopened as %s", e.Release().Name)
			}
			e.Close()
			other := "26.0"
			if c.release == "26.0" {
				other = "25.10"
			}
			_, err = OpenRelease(root, other)
			if err == nil || !strings.Contains(err.Error(), "TrueNAS "+c.release) || !strings.Contains(err.Error(), "--release "+other+" refused") {
				t.Fatalf("another release: %v", err)
			}
			// The command line says the same.
			var out, errb bytes.Buffer
			if code := Main([]string{"truenas-engine", "--root", root, "--release", other, "call", "system.version"}, nil, &out, &errb); code != 1 ||
				!strings.Contains(errb.String(), "--release "+other+" refused") {
				t.Fatalf("cli: %d %q %q", code, out.String(), errb.String())
			}
			out.Reset()
			errb.Reset()
			if code := Main([]string{"truenas-engine", "--root", root, "call", "system.version"}, nil, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), c.version) {
				t.Fatalf("cli: %d %q %q", code, out.String(), errb.String())
			}
		})
	}
	var out, errb bytes.Buffer
	if code := Main([]string{"truenas-engine", "--root", t.TempDir(), "--release", "24.10", "call", "system.version"}, nil, &out, &errb); code != 2 ||
		!strings.Contains(errb.String(), `unknown release "24.10" (known: 13.3, 25.10, 26.0)`) {
		t.Fatalf("unknown release: %d %q", code, errb.String())
	}
}

// TestReleaseAPIPath: the socket serves the release's versioned API path.
func TestReleaseAPIPath(t *testing.T) {
	e, err := OpenRelease(t.TempDir(), "26.0")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	url := strings.Replace(asCaller(t, e, Caller{UID: 0}), "/api/current", "/api/v26.0.0", 1)
	c := dialRPC(t, context.Background(), url, nil)
	if res, err := c.call("system.version_short"); err != nil || string(res) != `"26.0.0-BETA.3"` {
		t.Fatalf("%s %v", res, err)
	}
}

// TestAPIKeyCapByRelease: 25.10 caps a user at 10 keys
// (PAM_TDB_MAX_KEYS); 26.0 has no cap.
func TestAPIKeyCapByRelease(t *testing.T) {
	for release, wantCap := range map[string]bool{"25.10": true, "26.0": false} {
		t.Run(release, func(t *testing.T) {
			e, err := OpenRelease(t.TempDir(), release)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			for i := 0; i < 10; i++ {
				mustCall(t, e, "api_key.create", `{"name":"k`+itoa(int64(i))+`","username":"root"}`)
			}
			_, err = call(t, e, "api_key.create", `{"name":"k10","username":"root"}`)
			if wantCap {
				wantErr(t, err, "[EINVAL] api_key_create.username: User already meets or exceeds maximum per-user API key limit of 10")
			} else if err != nil {
				t.Fatalf("11th key on %s: %v", release, err)
			}
		})
	}
}

// TestReleaseDDPDialect: /websocket speaks the release's dialect of the
// legacy protocol without being told (HandlerOptions.DDP nil): 25.10's
// traces have frames and repr, 26.0's repr alone, CORE's frames and no
// errname.
func TestReleaseDDPDialect(t *testing.T) {
	for _, c := range []struct {
		release      string
		frames, repr bool
		errname      bool
	}{
		{"25.10", true, true, true},
		{"26.0", false, true, true},
		{"13.3", true, false, false},
	} {
		t.Run(c.release, func(t *testing.T) {
			e, err := OpenRelease(t.TempDir(), c.release)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			d := connectDDP(t, serveAs(t, e, HandlerOptions{}, Caller{UID: 0})+wire.DDPPath)
			_, derr := d.call("user.get_instance", "99999")
			if derr == nil || derr.Trace == nil {
				t.Fatalf("no error: %+v", derr)
			}
			if (len(derr.Trace.Frames) > 0) != c.frames || (derr.Trace.Repr != nil) != c.repr || (derr.Errname != "") != c.errname {
				t.Fatalf("%s dialect: %+v %+v", c.release, derr, derr.Trace)
			}
		})
	}
}
