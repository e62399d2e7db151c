// Package remote is the client side: it dials the box over SSH, checks its
// host key, authenticates, and runs engine calls as "midclt call METHOD -"
// with the arguments as JSON on stdin.
//
// One Client holds one SSH connection, dialled on the first Call and shared by
// all calls (at most MaxSessions sessions at once). A dropped connection is
// redialled once per call; a call is re-run on the new connection only when
// its command cannot have started, or when the method only reads.
//
// Secrets: call arguments travel on the session's stdin, never on the command
// line, unless ArgsOnCommandLine is set. Neither errors nor messages of this
// package hold passwords, key material or call arguments.
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
	Sessions    int64 // sessions opened
	Calls       int64 // Call invocations
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

	connections, sessions, calls atomic.Int64
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
	return &Client{cfg: cfg, host: host, port: cfg.Port, sem: make(chan struct{}, cfg.MaxSessions), dialing: make(chan struct{}, 1)}
}

// Stats returns the client's counters.
func (c *Client) Stats() Stats {
	return Stats{Connections: c.connections.Load(), Sessions: c.sessions.Load(), Calls: c.calls.Load()}
}

// Close closes the connection; later calls fail with a Closed error.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
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
	cmd, stdin := c.command(method, args)

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
		out, started, err := c.run(ctx, cn, method, cmd, stdin)
		if err == nil || attempt > 0 || !isConnErr(err) || ctx.Err() != nil {
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

// command builds the command line and the stdin payload.
func (c *Client) command(method string, args []json.RawMessage) (string, []byte) {
	var b strings.Builder
	if c.cfg.Sudo {
		b.WriteString("sudo -n ")
	}
	b.WriteString(c.cfg.EngineCommand)
	b.WriteString(" call ")
	b.WriteString(ShellQuote(method))
	var stdin bytes.Buffer
	for _, a := range args {
		b.WriteByte(' ')
		if c.cfg.ArgsOnCommandLine {
			b.WriteString(ShellQuote(string(a)))
		} else {
			b.WriteByte('-')
			stdin.Write(a)
			stdin.WriteByte('\n')
		}
	}
	return b.String(), stdin.Bytes()
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
