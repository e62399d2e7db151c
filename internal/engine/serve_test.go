package engine

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// wantClosed reads from c until the server closes it, and checks the code
// and text it closed with.
func wantClosed(t *testing.T, c *rpcConn, code websocket.StatusCode, text string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, data, err := c.c.Read(ctx)
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != code || ce.Reason != text {
		t.Fatalf("got %s / %v, want the websocket closed with %d %q", data, err, code, text)
	}
}

func padded(n int) string {
	head := `{"jsonrpc":"2.0","id":1,"method":"user.has_local_administrator_set_up","params":[],"pad":"`
	return head + strings.Repeat("x", n-len(head)-2) + `"}`
}

// TrueNAS's message limits: 8 KiB before authentication (closed 1007,
// "Anonymous connection max message length is 8 kB"), 64 KiB after
// (closed 1009, "Max message length is 64 kB"), the whole message counted.
func TestMessageLimitsFollowAuthentication(t *testing.T) {
	e := openTest(t)
	ctx := context.Background()
	anon := asCaller(t, e, Caller{UID: 4242})
	c := dialRPC(t, ctx, anon, nil)
	c.send(padded(8192))
	if r := c.recv(); r.Error != nil || string(r.Result) != "false" {
		t.Fatalf("an 8192-byte message before authentication: %+v", r)
	}
	c.send(padded(8193))
	wantClosed(t, c, websocket.StatusInvalidFramePayloadData, "Anonymous connection max message length is 8 kB")
	c = dialRPC(t, ctx, anon, nil)
	c.send(padded(60 * 1024))
	wantClosed(t, c, websocket.StatusInvalidFramePayloadData, "Anonymous connection max message length is 8 kB")

	root := asCaller(t, e, Caller{UID: 0})
	c = dialRPC(t, ctx, root, nil)
	c.send(padded(65536))
	if r := c.recv(); r.Error != nil || string(r.Result) != "false" {
		t.Fatalf("a 65536-byte message from root: %+v", r)
	}
	c.send(padded(65537))
	wantClosed(t, c, websocket.StatusMessageTooBig, "Max message length is 64 kB")
	c = dialRPC(t, ctx, root, nil)
	c.send(padded(1 << 20))
	wantClosed(t, c, websocket.StatusMessageTooBig, "Max message length is 64 kB")
}

// A connection that is not authenticated is closed after its idle time
// without a message; an authenticated one is not.
func TestAnonymousConnectionIdleTimeout(t *testing.T) {
	e := openTest(t)
	serve := func(who Caller) string {
		srv := httptest.NewUnstartedServer(e.HandlerWith(HandlerOptions{AnonymousIdle: 200 * time.Millisecond}))
		srv.Config.ConnContext = func(ctx context.Context, _ net.Conn) context.Context { return WithCaller(ctx, who) }
		srv.Start()
		t.Cleanup(srv.Close)
		return "ws" + strings.TrimPrefix(srv.URL, "http") + wire.APIPath
	}
	ctx := context.Background()
	anon := dialRPC(t, ctx, serve(Caller{UID: 4242}), nil)
	root := dialRPC(t, ctx, serve(Caller{UID: 0}), nil)
	rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, _, err := anon.c.Read(rctx); err == nil {
		t.Fatal("an idle anonymous connection got a message instead of being closed")
	}
	if _, err := root.call("system.version"); err != nil {
		t.Fatalf("root's connection, idle as long: %v", err)
	}
}

// Serve holds at most perUID connections of one peer uid and total of all
// peers but root; a closed connection gives its place back.
func TestServeCapsConnectionsPerPeer(t *testing.T) {
	e := openTest(t)
	sock := filepath.Join(t.TempDir(), "s.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	// The uid of each accepted connection comes, in order, from uids (the
	// real SO_PEERCRED would give this test's own uid to all).
	var mu sync.Mutex
	uids := []int64{4242, 4242, 4242, 4242, 5000, 6000, 0, 6000}
	uidOf := func(net.Conn) (int64, error) {
		mu.Lock()
		defer mu.Unlock()
		u := uids[0]
		uids = uids[1:]
		return u, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- e.serve(ctx, &capListener{Listener: ln, uidOf: uidOf, perUID: 2, total: 3, log: os.Stderr})
	}()
	dial := func() (*websocket.Conn, error) {
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}}}
		dctx, dcancel := context.WithTimeout(ctx, 20*time.Second)
		defer dcancel()
		c, _, err := websocket.Dial(dctx, "ws://localhost"+wire.APIPath, &websocket.DialOptions{HTTPClient: client})
		return c, err
	}
	a1, err := dial() // 4242
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dial(); err != nil { // 4242, its second
		t.Fatal(err)
	}
	if c, err := dial(); err == nil { // 4242, a third: refused
		c.CloseNow()
		t.Fatal("a peer's third connection was accepted (cap 2)")
	}
	a1.CloseNow()
	// a1's place comes back once the server sees it closed.
	var again *websocket.Conn
	for range 50 {
		if again, err = dial(); err == nil { // 4242
			break
		}
		mu.Lock()
		uids = append([]int64{4242}, uids...)
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	if again == nil {
		t.Fatal("a closed connection did not give its place back")
	}
	if _, err := dial(); err != nil { // 5000: the third in all
		t.Fatal(err)
	}
	if c, err := dial(); err == nil { // 6000: a fourth in all, refused
		c.CloseNow()
		t.Fatal("a fourth connection was accepted (total cap 3)")
	}
	if _, err := dial(); err != nil { // root is not counted
		t.Fatalf("root's connection past the caps: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// socketBase is a fresh directory only root (or this user) can change,
// for sockets: t.TempDir() is under sticky /tmp, which ListenSocket
// refuses.
func socketBase(t *testing.T) string {
	t.Helper()
	parent := "/run"
	if os.Geteuid() != 0 {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Skip("no directory only this user can change:", err)
		}
		parent = home
	}
	d, err := os.MkdirTemp(parent, "engine-test-")
	if err != nil {
		t.Skip("no directory only this user can change:", err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// The socket is 0666 from the bind itself whatever the umask was (which
// is given back), and a directory another user could add a name to is
// refused: group/other-writable, sticky (as /tmp) or not, owned by another
// user, in any component, or reached through a symlink.
func TestListenSocketRefusesDirectoriesOthersCanChange(t *testing.T) {
	base := socketBase(t)
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	ok := filepath.Join(base, "run", "middlewared.sock")
	ln, err := ListenSocket(ok)
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if got := syscall.Umask(0o077); got != 0o077 {
		t.Fatalf("the umask was left at %o", got)
	}
	ln, err = ListenSocket(ok)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(ok); err != nil || fi.Mode().Perm() != 0o666 {
		t.Fatalf("socket mode under umask 077: %v %v", fi, err)
	}
	ln.Close()

	mk := func(name string, mode os.FileMode) string {
		d := filepath.Join(base, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, mode); err != nil {
			t.Fatal(err)
		}
		return d
	}
	open := mk("open", 0o777)
	for _, p := range []string{
		filepath.Join(open, "s.sock"),
		filepath.Join(open, "sub", "s.sock"), // a component is open
	} {
		if ln, err := ListenSocket(p); err == nil {
			ln.Close()
			t.Errorf("%s: a socket in a directory others can write was made", p)
		} else if !strings.Contains(err.Error(), "writable by group or others") {
			t.Errorf("%s: %v", p, err)
		}
	}
	link := filepath.Join(base, "link")
	if err := os.Symlink(open, link); err != nil {
		t.Fatal(err)
	}
	if ln, err := ListenSocket(filepath.Join(link, "s.sock")); err == nil {
		ln.Close()
		t.Error("a socket through a symlink to an open directory was made")
	}
	// Sticky, as /tmp: any user may bind the name before the engine.
	sticky := mk("sticky", 0o777|os.ModeSticky)
	for _, p := range []string{filepath.Join(sticky, "s.sock"), filepath.Join(sticky, "sub", "s.sock"), "/tmp/engine-test.sock", filepath.Join(t.TempDir(), "s.sock")} {
		if ln, err := ListenSocket(p); err == nil {
			ln.Close()
			t.Errorf("%s: a socket under a sticky directory was made", p)
		} else if !strings.Contains(err.Error(), "writable by group or others") {
			t.Errorf("%s: %v", p, err)
		}
	}
	if _, err := os.Lstat(filepath.Join(sticky, "sub")); err == nil {
		t.Error("a directory was made under the sticky directory")
	}
	// A symlink in a checked directory to a checked one is followed, on
	// descriptors; the socket is unlinked on close.
	good := mk("good", 0o755)
	if err := os.Symlink("good", filepath.Join(base, "rel")); err != nil {
		t.Fatal(err)
	}
	if ln, err := ListenSocket(filepath.Join(base, "rel", "s.sock")); err != nil {
		t.Errorf("through a symlink to a checked directory: %v", err)
	} else {
		if fi, err := os.Lstat(filepath.Join(good, "s.sock")); err != nil || fi.Mode()&os.ModeSocket == 0 {
			t.Errorf("the socket is not in the link's target: %v", err)
		}
		if ln.Addr().String() != filepath.Join(base, "rel", "s.sock") {
			t.Errorf("Addr %s", ln.Addr())
		}
		ln.Close()
		if _, err := os.Lstat(filepath.Join(good, "s.sock")); err == nil {
			t.Error("the socket was left after close")
		}
	}
	if os.Geteuid() == 0 {
		other := mk("other", 0o755)
		if err := os.Chown(other, 4242, 4242); err != nil {
			t.Fatal(err)
		}
		if ln, err := ListenSocket(filepath.Join(other, "s.sock")); err == nil {
			ln.Close()
			t.Error("a socket in a directory of uid 4242 was made")
		} else if !strings.Contains(err.Error(), "owned by uid 4242") {
			t.Error(err)
		}
	}
}
