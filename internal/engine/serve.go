package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// Serve answers the JSON-RPC websocket on ln until ctx ends. Each
// connection's caller is its peer's credentials (SO_PEERCRED): a
// connection whose peer cannot be told is refused. A peer other than root
// may hold MaxConnsPerUID connections, and all such peers together
// MaxConns; a connection past either is closed at once.
func (e *Engine) Serve(ctx context.Context, ln net.Listener, log io.Writer) error {
	return e.serve(ctx, &capListener{Listener: ln, uidOf: peerUID, perUID: MaxConnsPerUID, total: MaxConns, log: log,
		rootOnly: e.Release().RootPeers})
}

// The connection caps of Serve: a local user cannot take every fd of the
// root server (and so its own files) by opening connections.
const (
	MaxConnsPerUID = 32
	MaxConns       = 512
)

func (e *Engine) serve(ctx context.Context, ln *capListener) error {
	srv := &http.Server{
		Handler:           e.Handler(),
		ReadHeaderTimeout: 30 * time.Second,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			pc, ok := c.(*peerConn)
			if !ok {
				c.Close()
				return ctx
			}
			return WithCaller(ctx, Caller{UID: pc.uid})
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

// DefaultSocket is where `truenas-engine serve` listens unless told otherwise:
// where TrueNAS's middleware listens, so that a client finds both the same
// way.
const DefaultSocket = wire.Socket

// capListener accepts connections whose peer uid it can read, within the
// caps (root is not counted).
type capListener struct {
	net.Listener
	uidOf         func(net.Conn) (int64, error)
	perUID, total int
	log           io.Writer
	// rootOnly refuses every peer but root (Release.RootPeers: CORE's
	// socket is root's, and every peer it has is root).
	rootOnly bool

	mu    sync.Mutex
	n     int
	byUID map[int64]int
}

func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		uid, err := l.uidOf(c)
		if err != nil {
			fmt.Fprintf(l.log, "truenas-engine serve: cannot read the peer's credentials: %v\n", err)
			c.Close()
			continue
		}
		pc := &peerConn{Conn: c, uid: uid}
		if uid != 0 && l.rootOnly {
			// Not logged: any local user could fill the log.
			c.Close()
			continue
		}
		if uid != 0 {
			if !l.take(uid) {
				// Not logged: a peer at its cap would fill the log.
				c.Close()
				continue
			}
			pc.release = func() { l.give(uid) }
		}
		return pc, nil
	}
}

func (l *capListener) take(uid int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byUID == nil {
		l.byUID = map[int64]int{}
	}
	if l.n >= l.total || l.byUID[uid] >= l.perUID {
		return false
	}
	l.n++
	l.byUID[uid]++
	return true
}

func (l *capListener) give(uid int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n--
	if l.byUID[uid]--; l.byUID[uid] == 0 {
		delete(l.byUID, uid)
	}
}

// peerConn is an accepted connection and its peer's uid; closing it gives
// its place back (once).
type peerConn struct {
	net.Conn
	uid     int64
	release func()
	once    sync.Once
}

func (c *peerConn) Close() error {
	if c.release != nil {
		c.once.Do(c.release)
	}
	return c.Conn.Close()
}
