// Package sandbox is an embedded box: an SSH server on loopback, built on
// x/crypto/ssh, that runs this project's engine in-process on a folder for
// "midclt call ..." commands, and refuses everything else. It never hands a
// command to a shell.
package sandbox

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/subtle"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/nasops/terraform-provider-truenas/internal/engine"
)

// EngineFunc is the engine's command-line entry, engine.Main.
type EngineFunc func(args []string, stdin io.Reader, stdout, stderr io.Writer) int

// Options configure a sandbox. Only Dir is required.
type Options struct {
	Dir    string // keys, known_hosts, sandbox.env and the box root (Dir/root)
	Listen string // loopback address, default 127.0.0.1:2222; port 0 picks a free one

	// For tests.
	Password     string     // also accept this password (any user); empty: keys only
	MaxSessions  int        // concurrent sessions per connection (default 10, as OpenSSH); more are refused
	ECDSAHostKey bool       // also offer an ECDSA host key (kept in Dir), as real servers do
	Engine       EngineFunc // default engine.Main
	// OnSession is called for each session channel accepted; OnCall before
	// each engine run, with the engine's arguments. They run on the
	// session's goroutine (a sleep in OnCall makes calls slow).
	OnSession func()
	OnCall    func(engineArgs []string)
	// OnRPC is called with the method of each JSON-RPC call made over the
	// middleware socket channel.
	OnRPC func(method string)
	Log   io.Writer // refusals and connection errors; nil discards

	// NoStreamLocal refuses direct-streamlocal channels, as an sshd with
	// AllowStreamLocalForwarding no does: clients must fall back to midclt.
	NoStreamLocal bool
	// MidcltFlavour "25.10" makes `midclt call` read no stdin, as the
	// midclt of TrueNAS 25.04 and 25.10 does (a "-" is the string "-").
	MidcltFlavour string
	// Release is the TrueNAS release a new box root answers as ("":
	// engine.DefaultRelease); a root keeps the release it was created
	// with, and Start refuses another.
	Release string
}

// Stats counts what the server saw.
type Stats struct {
	Connections int64 // authenticated connections
	Sessions    int64 // session channels accepted
	Rejected    int64 // session channels refused (limit)
	Calls       int64 // engine runs (midclt calls and JSON-RPC calls)
	Refused     int64 // commands/requests refused
	StreamLocal int64 // middleware socket channels accepted
	RPCCalls    int64 // JSON-RPC calls over those channels (also in Calls)
}

// Sandbox is a running embedded box.
type Sandbox struct {
	Host           string // "127.0.0.1"
	Port           int
	Addr           string // host:port
	Dir            string
	Root           string // the box root, Dir/root
	ClientKeyFile  string // private key (OpenSSH format, no passphrase) accepted by the server
	HostKeyFile    string // the ed25519 host private key
	HostKey        ssh.PublicKey
	KnownHostsFile string // one line for [host]:port with the ed25519 host key
	EnvFile        string // sandbox.env

	opts      Options
	rpc       *rpcServer // nil when the engine is not the real one, or NoStreamLocal
	clientKey ssh.PublicKey
	config    *ssh.ServerConfig
	ln        net.Listener
	wg        sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool

	connections, sessions, rejected, calls, refused, streamLocal, rpcCalls atomic.Int64
}

const (
	hostKeyName      = "ssh_host_ed25519_key"
	hostECDSAKeyName = "ssh_host_ecdsa_key"
	clientKeyName    = "client_ed25519_key"
)

// Start creates (or reuses) the sandbox's keys in opts.Dir, writes
// known_hosts and sandbox.env, and starts serving. Close stops it.
func Start(ctx context.Context, opts Options) (*Sandbox, error) {
	if opts.Dir == "" {
		return nil, errors.New("sandbox: no directory (--dir)")
	}
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:2222"
	}
	if opts.MaxSessions <= 0 {
		opts.MaxSessions = 10
	}
	realEngine := opts.Engine == nil
	if realEngine {
		opts.Engine = defaultEngine
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	h, _, err := net.SplitHostPort(opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("sandbox: --listen %q: %v", opts.Listen, err)
	}
	if ip := net.ParseIP(h); h != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("sandbox: --listen %q: only loopback addresses are allowed", opts.Listen)
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	s := &Sandbox{Dir: dir, Root: filepath.Join(dir, "root"), opts: opts, conns: map[net.Conn]struct{}{}}
	if err := os.MkdirAll(s.Root, 0o755); err != nil {
		return nil, fmt.Errorf("sandbox: %v", err)
	}
	if err := layOutImage(s.Root); err != nil {
		return nil, err
	}
	if realEngine {
		// The root's release first: recorded on a new root, checked on
		// one that has it, before anything else opens the engine.
		pin, err := engine.OpenRelease(s.Root, opts.Release)
		if err != nil {
			return nil, fmt.Errorf("sandbox: %v", err)
		}
		pin.Close()
		if err := s.setUpAdmin(); err != nil {
			return nil, err
		}
		if !opts.NoStreamLocal {
			eng, err := engine.Open(s.Root)
			if err != nil {
				return nil, fmt.Errorf("sandbox: %v", err)
			}
			s.rpc = newRPCServer(eng, func(method string) {
				s.calls.Add(1)
				s.rpcCalls.Add(1)
				if s.opts.OnRPC != nil {
					s.opts.OnRPC(method)
				}
			})
		}
	}
	ok := false
	defer func() {
		if !ok && s.rpc != nil {
			s.rpc.close()
		}
	}()
	s.config = &ssh.ServerConfig{
		ServerVersion: "SSH-2.0-TrueNAS_sandbox",
		PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if subtle.ConstantTimeCompare(key.Marshal(), s.clientKey.Marshal()) == 1 {
				return &ssh.Permissions{}, nil
			}
			return nil, errors.New("unknown public key")
		},
	}
	if opts.Password != "" {
		pw := []byte(opts.Password)
		s.config.PasswordCallback = func(_ ssh.ConnMetadata, p []byte) (*ssh.Permissions, error) {
			if subtle.ConstantTimeCompare(p, pw) == 1 {
				return &ssh.Permissions{}, nil
			}
			return nil, errors.New("wrong password")
		}
	}

	s.HostKeyFile = filepath.Join(dir, hostKeyName)
	hostSigner, err := loadOrCreateKey(s.HostKeyFile, "ed25519", "sandbox host key")
	if err != nil {
		return nil, err
	}
	s.HostKey = hostSigner.PublicKey()
	s.config.AddHostKey(hostSigner)
	if opts.ECDSAHostKey {
		ec, err := loadOrCreateKey(filepath.Join(dir, hostECDSAKeyName), "ecdsa", "sandbox host key")
		if err != nil {
			return nil, err
		}
		s.config.AddHostKey(ec)
	}
	s.ClientKeyFile = filepath.Join(dir, clientKeyName)
	clientSigner, err := loadOrCreateKey(s.ClientKeyFile, "ed25519", "sandbox client key")
	if err != nil {
		return nil, err
	}
	s.clientKey = clientSigner.PublicKey()

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %v", err)
	}
	s.ln = ln
	ta := ln.Addr().(*net.TCPAddr)
	s.Host, s.Port = ta.IP.String(), ta.Port
	s.Addr = net.JoinHostPort(s.Host, strconv.Itoa(s.Port))

	s.KnownHostsFile = filepath.Join(dir, "known_hosts")
	line := knownhosts.Line([]string{knownhosts.Normalize(s.Addr)}, s.HostKey) + "\n"
	if err := writeFile(s.KnownHostsFile, []byte(line), 0o644); err != nil {
		ln.Close()
		return nil, err
	}
	s.EnvFile = filepath.Join(dir, "sandbox.env")
	env := fmt.Sprintf("export TRUENAS_HOST=%s\nexport TRUENAS_PORT=%d\nexport TRUENAS_USER=root\nexport TRUENAS_PRIVATE_KEY_FILE=%s\nexport TRUENAS_KNOWN_HOSTS_FILE=%s\n",
		shellQuote(s.Host), s.Port, shellQuote(s.ClientKeyFile), shellQuote(s.KnownHostsFile))
	if err := writeFile(s.EnvFile, []byte(env), 0o644); err != nil {
		ln.Close()
		return nil, err
	}

	s.wg.Add(1)
	go s.accept()
	ok = true
	return s, nil
}

// Close stops accepting, drops all connections and waits for sessions to end.
func (s *Sandbox) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	err := s.ln.Close()
	s.DropConnections()
	s.wg.Wait()
	if s.rpc != nil {
		s.rpc.close()
	}
	return err
}

// DropConnections closes every open connection (the listener stays open),
// as a network failure or a server restart would.
func (s *Sandbox) DropConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
	}
}

// Stats returns the server's counters.
func (s *Sandbox) Stats() Stats {
	return Stats{
		Connections: s.connections.Load(), Sessions: s.sessions.Load(), Rejected: s.rejected.Load(),
		Calls: s.calls.Load(), Refused: s.refused.Load(),
		StreamLocal: s.streamLocal.Load(), RPCCalls: s.rpcCalls.Load(),
	}
}

func (s *Sandbox) logf(format string, args ...any) {
	fmt.Fprintf(s.opts.Log, "sandbox: "+format+"\n", args...)
}

func (s *Sandbox) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.conns[nc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			s.serveConn(nc)
			s.mu.Lock()
			delete(s.conns, nc)
			s.mu.Unlock()
			nc.Close()
		}()
	}
}

func (s *Sandbox) serveConn(nc net.Conn) {
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	sc, chans, reqs, err := ssh.NewServerConn(nc, s.config)
	if err != nil {
		s.logf("%s: handshake: %v", nc.RemoteAddr(), err)
		return
	}
	nc.SetDeadline(time.Time{})
	defer sc.Close()
	s.connections.Add(1)
	go func() {
		// Global requests: answer keepalives so clients see liveness.
		for r := range reqs {
			if r.WantReply {
				r.Reply(strings.HasPrefix(r.Type, "keepalive@"), nil)
			}
		}
	}()
	var active atomic.Int64
	var wg sync.WaitGroup
	for nch := range chans {
		if nch.ChannelType() == "direct-streamlocal@openssh.com" {
			s.streamLocalChannel(nch, sc.User())
			continue
		}
		if nch.ChannelType() != "session" {
			nch.Reject(ssh.UnknownChannelType, "only session channels are supported")
			continue
		}
		if active.Add(1) > int64(s.opts.MaxSessions) {
			active.Add(-1)
			s.rejected.Add(1)
			nch.Reject(ssh.Prohibited, fmt.Sprintf("too many sessions (at most %d per connection)", s.opts.MaxSessions))
			continue
		}
		ch, creqs, err := nch.Accept()
		if err != nil {
			active.Add(-1)
			continue
		}
		s.sessions.Add(1)
		if s.opts.OnSession != nil {
			s.opts.OnSession()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// The session stops counting against the limit just before the
			// client can learn that its command ended (exit-status), so a
			// client that waits for that before opening its next session
			// never meets a stale count.
			var once sync.Once
			release := func() { once.Do(func() { active.Add(-1) }) }
			defer release()
			s.session(&session{Channel: ch, release: release}, creqs)
		}()
	}
	wg.Wait()
}

// session serves one session channel: the first exec (or shell/subsystem)
// request decides what runs; everything runs at most once.
func (s *Sandbox) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	done := make(chan struct{})
	started := false
	for {
		select {
		case req, ok := <-reqs:
			if !ok {
				if started {
					<-done
				}
				return
			}
			switch {
			case started:
				// Signals, window changes, ... after the command started.
				if req.WantReply {
					req.Reply(false, nil)
				}
			case req.Type == "exec":
				var p struct{ Command string }
				if err := ssh.Unmarshal(req.Payload, &p); err != nil {
					req.Reply(false, nil)
					continue
				}
				req.Reply(true, nil)
				started = true
				go func() {
					defer close(done)
					s.exec(ch, p.Command)
				}()
			case req.Type == "shell" || req.Type == "subsystem":
				req.Reply(true, nil)
				started = true
				go func() {
					defer close(done)
					what := "an interactive shell"
					if req.Type == "subsystem" {
						var p struct{ Name string }
						ssh.Unmarshal(req.Payload, &p)
						what = "the subsystem " + strconv.Quote(p.Name)
					}
					s.refuse(ch, what+" is not available")
				}()
			default:
				// pty-req, env, x11-req, auth-agent-req@openssh.com, ...
				if req.WantReply {
					req.Reply(false, nil)
				}
			}
		case <-done:
			// The command finished: the channel is closed; drain requests.
			go ssh.DiscardRequests(reqs)
			return
		}
	}
}

// session is a session channel that knows how to give back its slot.
type session struct {
	ssh.Channel
	release func()
}

// exec runs one command line if it is a midclt call.
func (s *Sandbox) exec(ch ssh.Channel, cmdline string) {
	argv, err := splitWords(cmdline)
	if err != nil {
		s.refuse(ch, err.Error())
		return
	}
	if len(argv) > 0 && argv[0] == "sudo" {
		argv = argv[1:]
		for len(argv) > 0 && (argv[0] == "-n" || argv[0] == "--") {
			argv = argv[1:]
		}
	}
	if len(argv) == 0 {
		s.refuse(ch, "empty command")
		return
	}
	if path.Base(argv[0]) != "midclt" {
		s.refuse(ch, fmt.Sprintf("%q is not available", argv[0]))
		return
	}
	globals, rest, err := midcltGlobals(argv[1:])
	if err != nil {
		s.refuse(ch, err.Error())
		return
	}
	if len(rest) < 2 || rest[0] != "call" {
		s.refuse(ch, "only `midclt call METHOD [ARG ...]` is supported")
		return
	}
	args := []string{"truenas-engine", "--root", s.Root}
	if s.opts.MidcltFlavour != "" {
		args = append(args, "--midclt-flavour", s.opts.MidcltFlavour)
	}
	args = append(append(append(args, globals...), "call"), rest[1:]...)
	s.calls.Add(1)
	if s.opts.OnCall != nil {
		s.opts.OnCall(args)
	}
	code := s.opts.Engine(args, ch, ch, ch.Stderr())
	s.exit(ch, code)
}

// streamLocalChannel accepts a channel to the middleware socket and serves
// the engine's JSON-RPC on it as user; any other path, or any channel when
// there is no RPC server, is refused as sshd refuses a socket it cannot
// connect to.
func (s *Sandbox) streamLocalChannel(nch ssh.NewChannel, user string) {
	var m streamLocalMsg
	if err := ssh.Unmarshal(nch.ExtraData(), &m); err != nil {
		s.refused.Add(1)
		nch.Reject(ssh.ConnectionFailed, "malformed direct-streamlocal request")
		return
	}
	if s.rpc == nil || !streamLocalPathsOf(s.rpc.eng.Release())[m.SocketPath] {
		s.refused.Add(1)
		s.logf("refused: a channel to %q", m.SocketPath)
		nch.Reject(ssh.Prohibited, "open failed")
		return
	}
	if rel := s.rpc.eng.Release(); rel.RootPeers && user != "root" {
		// CORE's socket is root's (every peer it has is root): sshd,
		// running the forward as this user, cannot connect to it.
		s.refused.Add(1)
		s.logf("refused: %s's channel to %q (the %s socket is root's)", user, m.SocketPath, rel.Name)
		nch.Reject(ssh.ConnectionFailed, "open failed")
		return
	}
	ch, reqs, err := nch.Accept()
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	s.streamLocal.Add(1)
	s.rpc.serve(ch, user)
}

// midcltGlobals takes the options TrueNAS's midclt accepts before its
// subcommand (truenas/api_client get_parser: -u URI, -U USER, -P PASSWORD,
// -K KEY, -t SECONDS, and 26.0's --insecure), which the engine accepts
// too, and refuses any other option: the engine's own (--root) must not
// reach it from a client.
func midcltGlobals(argv []string) (globals, rest []string, err error) {
	valued := map[string]bool{"-u": true, "--uri": true, "-U": true, "--username": true, "-P": true, "--password": true,
		"-K": true, "--api-key": true, "-t": true, "--timeout": true}
	for len(argv) > 0 && strings.HasPrefix(argv[0], "-") {
		name, _, inline := strings.Cut(argv[0], "=")
		switch {
		case valued[name] && inline:
			globals, argv = append(globals, argv[0]), argv[1:]
		case valued[name] && len(argv) > 1:
			globals, argv = append(globals, argv[0], argv[1]), argv[2:]
		case name == "--insecure" && !inline:
			globals, argv = append(globals, argv[0]), argv[1:]
		default:
			return nil, nil, fmt.Errorf("midclt option %q is not supported", name)
		}
	}
	return globals, argv, nil
}

func (s *Sandbox) refuse(ch ssh.Channel, why string) {
	s.refused.Add(1)
	s.logf("refused: %s", why)
	fmt.Fprintf(ch.Stderr(), "sandbox: refused: %s; this box only runs `midclt call METHOD [ARG ...]` (optionally behind `sudo` or `sudo -n`), without a shell\n", why)
	s.exit(ch, 127)
}

func (s *Sandbox) exit(ch ssh.Channel, code int) {
	if sc, ok := ch.(*session); ok {
		sc.release()
	}
	ch.CloseWrite()
	ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(code)}))
	ch.Close()
}

// loadOrCreateKey reads an OpenSSH private key, or creates one (ed25519 or
// ecdsa P-256) and writes it with its .pub next to it.
func loadOrCreateKey(file, kind, comment string) (ssh.Signer, error) {
	if b, err := os.ReadFile(file); err == nil {
		sg, err := ssh.ParsePrivateKey(b)
		if err != nil {
			return nil, fmt.Errorf("sandbox: cannot parse %s: %v", file, err)
		}
		return sg, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("sandbox: %v", err)
	}
	var priv any
	switch kind {
	case "ecdsa":
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		priv = k
	default:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		priv = k
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return nil, err
	}
	sg, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, err
	}
	if err := writeFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, err
	}
	pub := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sg.PublicKey()))) + " " + comment + "\n"
	if err := writeFile(file+".pub", []byte(pub), 0o644); err != nil {
		return nil, err
	}
	return sg, nil
}

// writeFile writes atomically (temp file + rename).
func writeFile(name string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return fmt.Errorf("sandbox: %v", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("sandbox: %v", err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("sandbox: %v", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("sandbox: %v", err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("sandbox: %v", err)
	}
	return nil
}

// shellQuote quotes a value for sandbox.env when it needs it.
func shellQuote(v string) string {
	if v != "" && strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,:/@%+=") == "" {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}
