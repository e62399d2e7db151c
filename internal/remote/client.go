// Package remote is the client side: it dials the box over SSH, checks its
// host key, authenticates, and makes engine calls.
//
// The transport is chosen once per box (Transport says which, and why):
//
//   - JSON-RPC 2.0 over a websocket on the middleware's unix socket, reached
//     through a direct-streamlocal@openssh.com channel of the SSH connection,
//     as midclt itself does: one websocket per connection, calls multiplexed
//     by id, no process per call, nothing on any command line; the SSH
//     user's own TrueNAS privileges decide (no sudo);
//   - when the server refuses that channel (no such socket: TrueNAS CORE
//     13.3), the legacy DDP websocket on CORE's socket wire.CoreSocket, the
//     same way (one more channel open, only on a box without the SCALE
//     socket);
//   - when the server refuses both (stream-local forwarding off, no
//     socket): `midclt call`, one SSH session per call, ids on the command
//     line and the payload as the single final "-" on stdin where midclt
//     reads stdin (TrueNAS 26.0+, this project's engine; found with a probe
//     that carries no secret). A midclt that reads no stdin (TrueNAS 25.04
//     and 25.10) gets the arguments on its command line only when
//     ArgsOnCommandLine is set; otherwise calls with arguments fail with an
//     error that says how to fix it.
//
// One Client holds one SSH connection, dialled on the first Call and shared by
// all calls (at most MaxSessions at once). A dropped connection is redialled
// once per call; a call is re-run on the new connection only when it cannot
// have started, or when the method only reads.
//
// Secrets: neither errors nor messages of this package hold passwords, key
// material or call arguments.
package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/nasops/terraform-provider-truenas/internal/account"
	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// Config says how to reach the box. Fields mirror the provider block.
type Config struct {
	Host                  string
	Port                  int    // default 22
	User                  string // default "root"
	PrivateKey            string // PEM content
	PrivateKeyFile        string
	PrivateKeyPassphrase  string
	Password              string
	UseAgent              bool   // use SSH_AUTH_SOCK when set
	KnownHostsFile        string // default ~/.ssh/known_hosts
	HostKey               string // authorized_keys-format key or "SHA256:..." fingerprint
	InsecureIgnoreHostKey bool
	Sudo                  bool   // prefix the command with "sudo -n " (needs NOPASSWD)
	EngineCommand         string // default "midclt"; used verbatim (not quoted) on the command line
	// ArgsOnCommandLine puts each argument, as POSIX-single-quoted JSON, on
	// the command line instead of stdin ("midclt call METHOD '{...}'"), as
	// older tooling does. Opt-in only: the arguments, passwords included,
	// then show on the box in process lists and possibly in audit logs.
	ArgsOnCommandLine bool
	MaxSessions       int // default 8
	// Transport forces a transport: TransportJSONRPC or TransportDDP (no
	// fallback), or TransportMidclt; empty chooses per box (JSON-RPC on
	// wire.Socket, else DDP on wire.CoreSocket, else midclt).
	Transport string
	// DDPSocket is the socket TransportDDP dials (default wire.Socket,
	// where TrueNAS 25.10 serves DDP beside JSON-RPC; CORE 13.3's is
	// wire.CoreSocket).
	DDPSocket string

	// DialTimeout bounds the TCP connect and, separately, the SSH handshake
	// (default 15 s).
	DialTimeout time.Duration
	// KeepaliveInterval is how often a keepalive@openssh.com request is sent
	// (default 15 s); a connection that does not answer within two intervals
	// is closed.
	KeepaliveInterval time.Duration
}

// Stats counts what a client did, for tests and benchmarks.
type Stats struct {
	Connections int64 // SSH connections dialled successfully
	Sessions    int64 // sessions opened (midclt)
	Calls       int64 // Call invocations
	Websockets  int64 // websockets opened (JSON-RPC or DDP)
}

// The transports.
const (
	TransportJSONRPC = "jsonrpc"
	TransportDDP     = "ddp"
	TransportMidclt  = "midclt"
)

// TransportInfo says how the client reaches the box's engine.
type TransportInfo struct {
	Kind string // TransportJSONRPC, TransportDDP or TransportMidclt; "" before the first call
	// Why, in a sentence without secrets (the refusal, the probe's finding).
	Reason string
	// MidcltStdin tells, for midclt, whether it reads the payload from stdin;
	// false with ArgsOnCommandLine means arguments go on its command line.
	MidcltStdin bool
	Probed      bool // whether MidcltStdin was found out
}

// Client is one lazily dialled SSH connection to one box.
type Client struct {
	cfg  Config
	host string
	port int
	sem  chan struct{}

	dialing chan struct{} // a one-slot lock held while dialling
	mu      sync.Mutex    // guards conn, gen and closed
	conn    *conn
	gen     int
	closed  bool

	connections, sessions, calls, websockets atomic.Int64

	tmu       sync.Mutex // guards the fields below
	transport TransportInfo
	rpc       *rpcSession
	rpcOpen   chan struct{} // a one-slot lock held while opening the websocket
	probing   chan struct{} // a one-slot lock held while probing midclt
	// coreTried: the SCALE socket was refused on a client choosing its
	// transport, so the websocket is DDP on wire.CoreSocket (CORE 13.3).
	coreTried bool
}

type conn struct {
	client *ssh.Client
	agent  io.Closer
	gen    int
	done   chan struct{} // closed when the connection is gone
}

// New returns a client; nothing is dialled until the first Call.
func New(cfg Config) *Client {
	if cfg.Port == 0 {
		cfg.Port = 22
	}
	if cfg.User == "" {
		cfg.User = "root"
	}
	if cfg.EngineCommand == "" {
		cfg.EngineCommand = "midclt"
	}
	if cfg.DDPSocket == "" {
		cfg.DDPSocket = wire.Socket
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = 8
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 15 * time.Second
	}
	if cfg.KeepaliveInterval <= 0 {
		cfg.KeepaliveInterval = 15 * time.Second
	}
	host := strings.TrimSuffix(strings.TrimPrefix(cfg.Host, "["), "]")
	c := &Client{cfg: cfg, host: host, port: cfg.Port, sem: make(chan struct{}, cfg.MaxSessions), dialing: make(chan struct{}, 1),
		rpcOpen: make(chan struct{}, 1), probing: make(chan struct{}, 1)}
	if cfg.Transport == TransportMidclt {
		c.transport = TransportInfo{Kind: TransportMidclt, Reason: "chosen in the configuration"}
	}
	return c
}

// Stats returns the client's counters.
func (c *Client) Stats() Stats {
	return Stats{Connections: c.connections.Load(), Sessions: c.sessions.Load(), Calls: c.calls.Load(), Websockets: c.websockets.Load()}
}

// Transport says which transport the client uses, once the first call
// chose it.
func (c *Client) Transport() TransportInfo {
	c.tmu.Lock()
	defer c.tmu.Unlock()
	return c.transport
}

// Close closes the connection; later calls fail with a Closed error.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	c.tmu.Lock()
	if c.rpc != nil {
		c.rpc.close()
		c.rpc = nil
	}
	c.tmu.Unlock()
	if c.conn != nil {
		c.conn.close()
		c.conn = nil
	}
	return nil
}

func (cn *conn) close() {
	cn.client.Close()
	if cn.agent != nil {
		cn.agent.Close()
	}
}

func (c *Client) addr() string { return net.JoinHostPort(c.host, strconv.Itoa(c.port)) }

// Call runs one engine method and returns its result as JSON. Engine errors
// come back as account.Errors (validation) or *account.CallError; other
// failures of the command as plain errors carrying its text; transport
// failures as *remote.Error with a clear message.
func (c *Client) Call(ctx context.Context, method string, params ...any) (json.RawMessage, error) {
	c.calls.Add(1)
	if method == "" || strings.ContainsAny(method, " \t\r\n'\"\\;&|<>$`()") {
		return nil, fmt.Errorf("invalid method name %q", method)
	}
	args := make([]json.RawMessage, len(params))
	for i, p := range params {
		b, err := json.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("%s: cannot encode argument %d: %w", method, i+1, err)
		}
		args[i] = b
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.sem }()

	for attempt := 0; ; attempt++ {
		cn, err := c.connect(ctx)
		if err != nil {
			return nil, err
		}
		out, started, err := c.callOn(ctx, cn, method, args)
		if err == nil || attempt > 0 || !isConnErr(err) || ctx.Err() != nil {
			if k := c.Transport().Kind; err != nil && (k == TransportJSONRPC || k == TransportDDP) {
				err = authHint(err, c.cfg.User, method)
			}
			return out, err
		}
		// The connection broke. Drop it; retry on a fresh one only when the
		// command cannot have run, or when running it twice is harmless.
		c.drop(cn)
		if started && !IsReadOnly(method) {
			return nil, &Error{Kind: Connection, Err: err, Msg: fmt.Sprintf(
				"connection to %s lost during %s; the call may or may not have been applied (not retried): %v", c.addr(), method, err)}
		}
	}
}

// callOn makes one call on cn with the box's transport, choosing it on the
// first call.
func (c *Client) callOn(ctx context.Context, cn *conn, method string, args []json.RawMessage) (json.RawMessage, bool, error) {
	kind := c.Transport().Kind
	if kind != TransportMidclt {
		s, err := c.rpcSession(ctx, cn)
		if err == nil {
			out, started, err := s.call(ctx, method, args)
			if !c.sudoFallback(err) {
				return out, started, err
			}
			// The middleware refused the SSH user before running anything;
			// with sudo = true, midclt behind sudo is what was asked for.
		} else {
			var refused *errChannelRefused
			if !errors.As(err, &refused) || c.cfg.Transport == TransportJSONRPC || c.cfg.Transport == TransportDDP || kind == TransportJSONRPC || kind == TransportDDP {
				if refused != nil {
					err = &Error{Kind: Connection, Err: err, Msg: fmt.Sprintf(
						"%s refused a channel to the middleware socket %s: %v; allow stream-local forwarding in its sshd (AllowStreamLocalForwarding yes)",
						c.addr(), c.wsSocket(), refused.err)}
					return nil, false, err
				}
				return nil, false, err
			}
			c.tmu.Lock()
			tryCore := c.transport.Kind == "" && !c.coreTried
			c.coreTried = true
			c.tmu.Unlock()
			if tryCore {
				// No SCALE socket: a CORE box serves DDP on its own socket.
				// One more channel open, only where the first was refused.
				return c.callOn(ctx, cn, method, args)
			}
			c.tmu.Lock()
			if c.transport.Kind == "" {
				c.transport = TransportInfo{Kind: TransportMidclt, Reason: fmt.Sprintf(
					"the SSH server refused a channel to %s and to %s (%v): stream-local forwarding is off or the socket is absent",
					wire.Socket, wire.CoreSocket, refused.err)}
			}
			c.tmu.Unlock()
		}
	}
	cmd, stdin, err := c.command(ctx, cn, method, args)
	if err != nil {
		return nil, false, err
	}
	return c.run(ctx, cn, method, cmd, stdin)
}

// sudoFallback tells whether err is the middleware refusing to
// authenticate the SSH user (a local user without a TrueNAS privilege) on a
// client configured with sudo = true and no forced transport; if so, the
// box is switched to `sudo -n midclt` for good. The refusal comes before the
// method runs, so the call may be made again.
func (c *Client) sudoFallback(err error) bool {
	var ce *account.CallError
	if !c.cfg.Sudo || c.cfg.Transport == TransportJSONRPC || c.cfg.Transport == TransportDDP || !errors.As(err, &ce) || ce.Message != "Not authenticated" {
		return false
	}
	c.tmu.Lock()
	defer c.tmu.Unlock()
	c.transport = TransportInfo{Kind: TransportMidclt, Reason: fmt.Sprintf(
		"the middleware did not authenticate the SSH user %s on %s (no TrueNAS privilege) and sudo is set: using sudo -n %s",
		c.cfg.User, wire.Socket, c.cfg.EngineCommand)}
	// The websocket stays open until Close: calls made on it meanwhile get
	// the same refusal and come here too.
	return true
}

// wsSocket is the socket the websocket transport dials.
func (c *Client) wsSocket() string {
	if c.cfg.Transport == TransportDDP {
		return c.cfg.DDPSocket
	}
	c.tmu.Lock()
	defer c.tmu.Unlock()
	if c.coreTried && c.cfg.Transport == "" {
		return wire.CoreSocket
	}
	return wire.Socket
}

// rpcSession returns the websocket on cn, opening it when there is none.
func (c *Client) rpcSession(ctx context.Context, cn *conn) (*rpcSession, error) {
	get := func() *rpcSession {
		c.tmu.Lock()
		defer c.tmu.Unlock()
		if c.rpc != nil && c.rpc.cn == cn && c.rpc.alive() {
			return c.rpc
		}
		return nil
	}
	if s := get(); s != nil {
		return s, nil
	}
	select {
	case c.rpcOpen <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.rpcOpen }()
	if s := get(); s != nil {
		return s, nil
	}
	open, kind, how := openRPC, TransportJSONRPC, "JSON-RPC"
	socket := c.wsSocket()
	if c.cfg.Transport == TransportDDP || c.cfg.Transport == "" && socket == wire.CoreSocket {
		open = func(ctx context.Context, cn *conn) (*rpcSession, error) { return openDDP(ctx, cn, socket) }
		kind, how = TransportDDP, "the legacy DDP protocol"
	}
	s, err := open(ctx, cn)
	if err != nil {
		return nil, err
	}
	c.websockets.Add(1)
	c.tmu.Lock()
	defer c.tmu.Unlock()
	if c.rpc != nil {
		c.rpc.close()
	}
	c.rpc = s
	if c.transport.Kind == "" {
		c.transport = TransportInfo{Kind: kind, Reason: fmt.Sprintf(
			"%s over a websocket on %s through the SSH connection", how, socket)}
	}
	return s, nil
}

// stdinProbe is a call that carries no secret and tells a midclt that reads
// its "-" argument from stdin (TrueNAS 26.0+, this project's engine), which
// answers a list, from one that reads no stdin (TrueNAS 25.04 and 25.10),
// which sends the string "-" as the filters and fails.
const (
	stdinProbeMethod = "user.query"
	stdinProbeInput  = `[["id","=",-1]]`
)

// midcltReadsStdin runs the probe once per client.
func (c *Client) midcltReadsStdin(ctx context.Context, cn *conn) (bool, error) {
	probed := func() (bool, bool) {
		c.tmu.Lock()
		defer c.tmu.Unlock()
		return c.transport.MidcltStdin, c.transport.Probed
	}
	if reads, ok := probed(); ok {
		return reads, nil
	}
	select {
	case c.probing <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-c.probing }()
	if reads, ok := probed(); ok {
		return reads, nil
	}
	cmd := c.prefix() + " call " + stdinProbeMethod + " -"
	out, _, err := c.run(ctx, cn, stdinProbeMethod, cmd, []byte(stdinProbeInput))
	reads := false
	switch {
	case err == nil:
		var list []json.RawMessage
		reads = json.Unmarshal(out, &list) == nil
	case isConnErr(err), ctx.Err() != nil:
		return false, err
	default:
		var es account.Errors
		var ce *account.CallError
		if !errors.As(err, &es) && !errors.As(err, &ce) {
			return false, err // midclt did not run (not found, sudo refused...)
		}
	}
	c.tmu.Lock()
	c.transport.Probed, c.transport.MidcltStdin = true, reads
	if reads {
		c.transport.Reason += "; midclt reads the payload from stdin"
	} else {
		c.transport.Reason += "; midclt reads no stdin (TrueNAS 25.04/25.10, CORE 13.3)"
	}
	c.tmu.Unlock()
	return reads, nil
}

func (c *Client) prefix() string {
	if c.cfg.Sudo {
		return "sudo -n " + c.cfg.EngineCommand
	}
	return c.cfg.EngineCommand
}

// command builds the midclt command line and its stdin: the leading
// arguments (ids, filters) on the command line, the last one, the payload
// that may hold secrets, as the single final "-" on stdin, where midclt
// reads stdin. Where it does not, every argument goes on the command line,
// and only with ArgsOnCommandLine.
func (c *Client) command(ctx context.Context, cn *conn, method string, args []json.RawMessage) (string, []byte, error) {
	var b strings.Builder
	b.WriteString(c.prefix())
	b.WriteString(" call ")
	b.WriteString(ShellQuote(method))
	if len(args) == 0 {
		return b.String(), nil, nil
	}
	stdin, err := c.midcltReadsStdin(ctx, cn)
	if err != nil {
		return "", nil, err
	}
	if !stdin && !c.cfg.ArgsOnCommandLine {
		return "", nil, &Error{Kind: BadConfig, Msg: fmt.Sprintf(
			"cannot send the arguments of %s to %s: the SSH server refused a channel to the middleware socket %s (and to CORE's %s), and the box's "+
				"midclt (TrueNAS 25.04/25.10, CORE 13.3) reads no arguments from stdin, so they would have to go on its command line, where "+
				"every local user can read them (passwords included). Either allow SSH stream-local forwarding on the box "+
				"(sshd_config AllowStreamLocalForwarding yes, the TrueNAS default; on TrueNAS check the SSH service's auxiliary "+
				"parameters), or set engine_args_on_command_line = true in the provider block to accept that risk",
			method, c.addr(), wire.Socket, wire.CoreSocket)}
	}
	for i, a := range args {
		b.WriteByte(' ')
		if stdin && i == len(args)-1 {
			b.WriteByte('-')
			return b.String(), a, nil
		}
		if !stdin || c.cfg.ArgsOnCommandLine || commandLineSafe(a) {
			b.WriteString(ShellQuote(string(a)))
			continue
		}
		return "", nil, fmt.Errorf("%s: argument %d of %d is not an id or a filter list and would go on midclt's command line; "+
			"only the last argument is sent on stdin (set engine_args_on_command_line = true to allow it)", method, i+1, len(args))
	}
	return b.String(), nil, nil
}

// commandLineSafe tells the leading arguments that may go on a command line
// without opt-in: numbers, booleans, null and query filter lists (ids and
// names, never secrets).
func commandLineSafe(a json.RawMessage) bool {
	t := bytes.TrimSpace(a)
	if len(t) == 0 {
		return false
	}
	switch t[0] {
	case '[', 't', 'f', 'n', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return true
	}
	return false
}

// connErr marks failures of the connection (as opposed to the command).
type connErr struct{ err error }

func (e *connErr) Error() string { return e.err.Error() }
func (e *connErr) Unwrap() error { return e.err }

func isConnErr(err error) bool {
	var ce *connErr
	return errors.As(err, &ce)
}

// run executes cmd in one session. started tells whether the exec request may
// have reached the server.
func (c *Client) run(ctx context.Context, cn *conn, method, cmd string, stdin []byte) (json.RawMessage, bool, error) {
	sess, err := cn.client.NewSession()
	if err != nil {
		var oce *ssh.OpenChannelError
		if errors.As(err, &oce) {
			return nil, false, &Error{Kind: Connection, Err: err, Msg: fmt.Sprintf(
				"%s refused a new SSH session (%v); lower max_sessions or raise MaxSessions in the server's sshd_config", c.addr(), err)}
		}
		return nil, false, &connErr{err}
	}
	c.sessions.Add(1)
	defer sess.Close()

	var stdout, stderr bytes.Buffer
	if len(stdin) > 0 {
		sess.Stdin = bytes.NewReader(stdin)
	}
	sess.Stdout = &stdout
	sess.Stderr = &stderr
	if err := sess.Start(cmd); err != nil {
		if errors.Is(err, io.EOF) || isClosed(cn) {
			return nil, true, &connErr{err}
		}
		return nil, false, &Error{Kind: Remote, Err: err, Msg: fmt.Sprintf("%s: the server refused to run %s: %v", c.addr(), c.cfg.EngineCommand, err)}
	}
	waitErr := make(chan error, 1)
	go func() { waitErr <- sess.Wait() }()
	select {
	case err = <-waitErr:
	case <-ctx.Done():
		sess.Close()
		return nil, true, fmt.Errorf("%s: %w (the call may or may not have been applied)", method, ctx.Err())
	}

	exit := 0
	if err != nil {
		var ee *ssh.ExitError
		var missing *ssh.ExitMissingError
		switch {
		case errors.As(err, &ee):
			exit = ee.ExitStatus()
		case errors.As(err, &missing), errors.Is(err, io.EOF):
			return nil, true, &connErr{fmt.Errorf("the session ended without an exit status: %w", err)}
		default:
			return nil, true, &connErr{err}
		}
	}
	switch exit {
	case 0:
		out := stdout.String()
		if strings.HasPrefix(out, "Failed to login:") {
			return nil, true, &Error{Kind: Remote, Msg: fmt.Sprintf("%s on %s: %s", c.cfg.EngineCommand, c.addr(), strings.TrimSpace(out))}
		}
		return wire.ParseOutput(out), true, nil
	case 1:
		return nil, true, wire.ParseError(stderr.String(), exit)
	}
	msg := strings.TrimSpace(stderr.String())
	if msg == "" {
		msg = strings.TrimSpace(stdout.String())
	}
	if len(msg) > 2000 {
		msg = msg[:2000] + "..."
	}
	hint := ""
	if exit == 127 {
		hint = fmt.Sprintf(" (is engine_command %q right?)", c.cfg.EngineCommand)
	}
	return nil, true, &Error{Kind: Remote, Msg: fmt.Sprintf("%s call %s on %s exited with status %d%s: %s", c.cfg.EngineCommand, method, c.addr(), exit, hint, msg)}
}

func isClosed(cn *conn) bool {
	select {
	case <-cn.done:
		return true
	default:
		return false
	}
}

// drop forgets cn if it is still the current connection.
func (c *Client) drop(cn *conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == cn {
		c.conn = nil
	}
	cn.close()
}

// connect returns the current connection, dialling it if needed. One
// caller dials at a time; the others wait for it (or for their context).
func (c *Client) connect(ctx context.Context) (*conn, error) {
	if cn, err := c.current(); cn != nil || err != nil {
		return cn, err
	}
	select {
	case c.dialing <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.dialing }()
	if cn, err := c.current(); cn != nil || err != nil {
		return cn, err
	}
	cn, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		cn.close()
		return nil, &Error{Kind: Closed, Msg: "the client is closed"}
	}
	c.gen++
	cn.gen = c.gen
	c.conn = cn
	c.connections.Add(1)
	return cn, nil
}

// current returns the live connection, if any.
func (c *Client) current() (*conn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, &Error{Kind: Closed, Msg: "the client is closed"}
	}
	if c.conn != nil && !isClosed(c.conn) {
		return c.conn, nil
	}
	if c.conn != nil {
		c.conn.close()
		c.conn = nil
	}
	return nil, nil
}

// dial makes a new authenticated connection.
func (c *Client) dial(ctx context.Context) (*conn, error) {
	if c.host == "" {
		return nil, &Error{Kind: BadConfig, Msg: "no host: set host (or TRUENAS_HOST)"}
	}
	hk, err := newHostKeyCheck(&c.cfg, c.host, c.port)
	if err != nil {
		return nil, err
	}
	auths, agentConn, authKinds, err := authMethods(&c.cfg)
	if err != nil {
		return nil, err
	}
	var cl *ssh.Client
	if hk.fingerprint == "" {
		cl, err = c.handshake(ctx, hk.callback, hk.algos, auths, authKinds)
	} else {
		// A fingerprint does not say which key type it is for: try the
		// server's preferred key, then each other key family in turn.
		seen := map[string]bool{}
		var firstErr error
		var presented string
		var offered []string
		for i := -1; i < len(algorithmFamilies); i++ {
			var algos []string
			if i >= 0 {
				skip := false
				for _, a := range algorithmFamilies[i] {
					skip = skip || seen[a]
				}
				if skip {
					continue
				}
				algos = algorithmFamilies[i]
			}
			presented = ""
			cb := func(h string, r net.Addr, k ssh.PublicKey) error {
				presented = k.Type()
				err := hk.callback(h, r, k)
				if err != nil {
					offered = append(offered, describeKey(k))
				}
				return err
			}
			cl, err = c.handshake(ctx, cb, algos, auths, authKinds)
			if err == nil {
				break
			}
			if IsKind(err, HostKey) {
				if firstErr == nil {
					firstErr = err
				}
				for _, a := range algorithmsFor(presented) {
					seen[a] = true
				}
				continue
			}
			if i >= 0 && presented == "" {
				continue // the server has no key of this family
			}
			break
		}
		if cl == nil && firstErr != nil && (IsKind(err, HostKey) || presented == "") {
			err = &Error{Kind: HostKey, Err: firstErr, Msg: fmt.Sprintf(
				"POSSIBLE MAN-IN-THE-MIDDLE ATTACK: none of the host keys of %s (%s) has the fingerprint %s that host_key pins; if the key changed legitimately, update host_key",
				c.addr(), strings.Join(offered, ", "), hk.fingerprint)}
		}
	}
	if err != nil {
		if agentConn != nil {
			agentConn.Close()
		}
		return nil, err
	}
	cn := &conn{client: cl, agent: agentConn, done: make(chan struct{})}
	go func() {
		cl.Wait()
		close(cn.done)
	}()
	go c.keepalive(cn)
	return cn, nil
}

// handshake dials TCP and runs the SSH handshake, both bounded by DialTimeout
// and ctx, and turns failures into clear *Error values.
func (c *Client) handshake(ctx context.Context, cb ssh.HostKeyCallback, algos []string, auths []ssh.AuthMethod, authKinds []string) (*ssh.Client, error) {
	addr := c.addr()
	var hostKeyErr error
	config := &ssh.ClientConfig{
		User: c.cfg.User,
		Auth: auths,
		HostKeyCallback: func(h string, r net.Addr, k ssh.PublicKey) error {
			err := cb(h, r, k)
			hostKeyErr = err
			return err
		},
		HostKeyAlgorithms: algos,
		Timeout:           c.cfg.DialTimeout,
	}
	d := net.Dialer{Timeout: c.cfg.DialTimeout, KeepAlive: 30 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, &Error{Kind: Unreachable, Err: err, Msg: fmt.Sprintf("cannot reach %s: no answer within %s", addr, c.cfg.DialTimeout)}
		}
		return nil, &Error{Kind: Unreachable, Err: err, Msg: fmt.Sprintf("cannot reach %s: %v", addr, err)}
	}
	nc.SetDeadline(time.Now().Add(c.cfg.DialTimeout))
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	sc, chans, reqs, err := ssh.NewClientConn(nc, addr, config)
	stop()
	if err != nil {
		nc.Close()
		var re *Error
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case hostKeyErr != nil && errors.As(hostKeyErr, &re):
			return nil, re
		case hostKeyErr != nil:
			return nil, &Error{Kind: HostKey, Err: hostKeyErr, Msg: fmt.Sprintf("host key check for %s failed: %v", addr, hostKeyErr)}
		case strings.Contains(err.Error(), "unable to authenticate"):
			return nil, &Error{Kind: Auth, Err: err, Msg: fmt.Sprintf(
				"ssh: authentication as %s failed on %s (tried %s): %v; check private_key/password (and that the key is in the user's authorized_keys)",
				c.cfg.User, addr, strings.Join(authKinds, ", "), err)}
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, &Error{Kind: Timeout, Err: err, Msg: fmt.Sprintf("SSH handshake with %s did not complete within %s", addr, c.cfg.DialTimeout)}
		}
		return nil, &Error{Kind: Connection, Err: err, Msg: fmt.Sprintf("SSH handshake with %s failed: %v", addr, err)}
	}
	nc.SetDeadline(time.Time{})
	return ssh.NewClient(sc, chans, reqs), nil
}

// keepalive pings the server until the connection goes away, and closes it
// when a ping gets no answer within two intervals.
func (c *Client) keepalive(cn *conn) {
	t := time.NewTicker(c.cfg.KeepaliveInterval)
	defer t.Stop()
	for {
		select {
		case <-cn.done:
			return
		case <-t.C:
		}
		replied := make(chan error, 1)
		go func() {
			_, _, err := cn.client.SendRequest("keepalive@openssh.com", true, nil)
			replied <- err
		}()
		select {
		case err := <-replied:
			if err != nil {
				cn.client.Close()
				return
			}
		case <-time.After(2 * c.cfg.KeepaliveInterval):
			cn.client.Close()
			return
		case <-cn.done:
			return
		}
	}
}

// IsReadOnly reports whether method only reads, so that running it twice is
// harmless (used to decide whether a call cut off by a dropped connection may
// be re-run).
func IsReadOnly(method string) bool {
	switch method {
	case "system.version", "system.info", "system.ready", "system.state", "core.ping", "auth.me":
		return true
	}
	i := strings.LastIndexByte(method, '.')
	verb := method[i+1:]
	switch verb {
	case "query", "get_instance", "config", "choices":
		return true
	}
	return strings.HasPrefix(verb, "get_") || strings.HasPrefix(verb, "has_") || strings.HasSuffix(verb, "_choices")
}

// ShellQuote quotes s for a POSIX shell: as is when it holds only safe
// characters, else in single quotes, each ' written as '\”.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,:/@%+=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
