package engine

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/sys/unix"

	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// dialAsUID connects to the unix socket path with uid as the connecting
// thread's real and effective uid, so that SO_PEERCRED reports uid (the
// thread gets root back before it returns; only its own credentials are
// changed, by the raw per-thread setresuid).
func dialAsUID(t *testing.T, path string, uid int) net.Conn {
	t.Helper()
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if _, _, errno := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(uid), uintptr(uid), 0); errno != 0 {
			ch <- res{err: errno}
			return
		}
		c, err := net.Dial("unix", path)
		if _, _, errno := unix.RawSyscall(unix.SYS_SETRESUID, 0, 0, 0); errno != 0 && err == nil {
			err = errno
		}
		ch <- res{c, err}
	}()
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.c
}

// On 13.3 every peer of the socket is root, so only root is let in (as
// CORE's root-owned socket lets in no one else): a peer with another uid
// is closed at accept, root's connection speaks DDP, and /api/current is
// not served.
func TestCoreServeLetsInRootOnly(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to connect as another uid")
	}
	e := openCore(t)
	dir := socketBase(t)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "middlewared.sock")
	ln, err := ListenSocket(sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Serve(ctx, ln, os.Stderr) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	dial := func(conn net.Conn, path string) (*websocket.Conn, error) {
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true,
			DialContext: func(context.Context, string, string) (net.Conn, error) { return conn, nil }}}
		dctx, dcancel := context.WithTimeout(ctx, 20*time.Second)
		defer dcancel()
		c, _, err := websocket.Dial(dctx, "ws://localhost"+path, &websocket.DialOptions{HTTPClient: client})
		return c, err
	}
	if c, err := dial(dialAsUID(t, sock, 65534), wire.DDPPath); err == nil {
		c.CloseNow()
		t.Fatal("a peer with uid 65534 was let in on 13.3")
	}
	rootConn, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	c, err := dial(rootConn, wire.DDPPath)
	if err != nil {
		t.Fatalf("root: %v", err)
	}
	d := &ddpConn{t: t, c: c}
	d.send(string(wire.EncodeDDPConnect()))
	if m := d.recv(); m.Msg != "connected" {
		t.Fatalf("handshake %+v", m)
	}
	if users := ddpCall[[]map[string]any](t, d, "user.query", `[["username","=","root"]]`); len(users) != 1 || users[0]["uid"] != float64(0) {
		t.Fatalf("root over the socket: %v", users)
	}
	c.CloseNow()
	rootConn2, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := dial(rootConn2, wire.APIPath); err == nil {
		c.CloseNow()
		t.Fatal("JSON-RPC served on 13.3")
	}
}
