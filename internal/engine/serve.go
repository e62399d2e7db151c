package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// Serve answers the JSON-RPC websocket on ln until ctx ends. Each
// connection's caller is its peer's credentials (SO_PEERCRED): a
// connection whose peer cannot be told is refused.
func (e *Engine) Serve(ctx context.Context, ln net.Listener, log io.Writer) error {
	srv := &http.Server{
		Handler:           e.Handler(),
		ReadHeaderTimeout: 30 * time.Second,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			uid, err := peerUID(c)
			if err != nil {
				fmt.Fprintf(log, "engine serve: cannot read the peer's credentials: %v\n", err)
				c.Close()
				return ctx
			}
			return WithCaller(ctx, Caller{UID: uid})
		},
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			srv.Shutdown(sctx)
			srv.Close()
		case <-done:
		}
	}()
	err := srv.Serve(ln)
	close(done)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// ListenSocket listens on the unix socket path with TrueNAS's mode, 0666
// (main.py, TS-25.10.6, lines 1462-1465): who may do what is decided per
// call from the peer's credentials. A stale socket at path is replaced;
// anything else there is left alone and reported.
func ListenSocket(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket", path)
		}
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			return nil, fmt.Errorf("%s: another server is listening there", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o666); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// systemdListener returns the socket systemd passed (socket activation,
// sd_listen_fds: LISTEN_PID is this process and LISTEN_FDS is 1, fd 3), or
// nil when there is none.
func systemdListener() (net.Listener, error) {
	if os.Getenv("LISTEN_PID") != strconv.Itoa(os.Getpid()) {
		return nil, nil
	}
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	if err != nil || n < 1 {
		return nil, nil
	}
	if n != 1 {
		return nil, fmt.Errorf("systemd passed %d sockets; the engine takes one", n)
	}
	os.Unsetenv("LISTEN_PID")
	os.Unsetenv("LISTEN_FDS")
	os.Unsetenv("LISTEN_FDNAMES")
	f := os.NewFile(3, "systemd socket")
	ln, err := net.FileListener(f)
	f.Close()
	return ln, err
}

// DefaultSocket is where `engine serve` listens unless told otherwise:
// where TrueNAS's middleware listens, so that a client finds both the same
// way.
const DefaultSocket = wire.Socket
