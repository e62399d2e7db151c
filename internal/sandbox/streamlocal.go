package sandbox

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/nasops/terraform-provider-truenas/internal/engine"
	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// The middleware's socket, reached as OpenSSH clients reach a unix socket on
// the server: a direct-streamlocal@openssh.com channel (OpenSSH PROTOCOL,
// section 2.4) naming its path. The sandbox serves the engine's websockets
// (JSON-RPC and DDP; CORE's DDP alone on 13.3) on such channels, as the SSH
// user, and refuses every other path.

// streamLocalPaths are the paths the sandbox answers: the middleware's
// socket, and the same through /run, which /var/run links to.
var streamLocalPaths = map[string]bool{
	wire.Socket:                        true,
	"/run/middleware/middlewared.sock": true,
}

// streamLocalPathsOf is the paths the sandbox answers on rel: SCALE's
// middleware socket as above, or a release's own socket (CORE's
// /var/run/middlewared.sock) and the same through /run.
func streamLocalPathsOf(rel engine.Release) map[string]bool {
	if rel.JSONRPC() {
		return streamLocalPaths
	}
	return map[string]bool{rel.Socket: true, strings.Replace(rel.Socket, "/var/run/", "/run/", 1): true}
}

type streamLocalMsg struct {
	SocketPath string
	Reserved0  string
	Reserved1  uint32
}

// rpcServer serves the engine's websocket on SSH channels.
type rpcServer struct {
	eng *engine.Engine
	srv *http.Server
	ln  *chanListener
}

func newRPCServer(eng *engine.Engine, onCall func(method string)) *rpcServer {
	r := &rpcServer{eng: eng, ln: &chanListener{conns: make(chan net.Conn), done: make(chan struct{})}}
	r.srv = &http.Server{
		Handler:           eng.HandlerWith(engine.HandlerOptions{OnCall: onCall}),
		ReadHeaderTimeout: 30 * time.Second,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if cc, ok := c.(*channelConn); ok {
				return engine.WithCaller(ctx, engine.Caller{Username: cc.user})
			}
			return ctx
		},
	}
	go r.srv.Serve(r.ln)
	return r
}

func (r *rpcServer) close() {
	r.srv.Close()
	r.eng.Close()
}

// serve hands one accepted channel to the HTTP server.
func (r *rpcServer) serve(ch ssh.Channel, user string) {
	c := &channelConn{Channel: ch, user: user}
	select {
	case r.ln.conns <- c:
	case <-r.ln.done:
		ch.Close()
	}
}

// chanListener is a net.Listener of SSH channels.
type chanListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return streamAddr(wire.Socket) }

type streamAddr string

func (a streamAddr) Network() string { return "unix" }
func (a streamAddr) String() string  { return string(a) }

// channelConn is an SSH channel as a net.Conn. Deadlines are not
// supported: the HTTP server's own timeouts then do nothing, and a channel
// ends with its SSH connection.
type channelConn struct {
	ssh.Channel
	user string
}

func (c *channelConn) LocalAddr() net.Addr  { return streamAddr(wire.Socket) }
func (c *channelConn) RemoteAddr() net.Addr { return streamAddr("ssh:" + c.user) }
func (c *channelConn) SetDeadline(time.Time) error {
	return nil
}
func (c *channelConn) SetReadDeadline(time.Time) error  { return nil }
func (c *channelConn) SetWriteDeadline(time.Time) error { return nil }
