package remote_test

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"crypto/ed25519"
	"crypto/rand"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/nasops/terraform-provider-truenas/internal/account"
	"github.com/nasops/terraform-provider-truenas/internal/remote"
	"github.com/nasops/terraform-provider-truenas/internal/sandbox"
)

// fakeEngine behaves like midclt for a few test methods, so these tests do
// not depend on the real engine (tested separately below).
func fakeEngine(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// args: engine --root ROOT call METHOD ARG...
	method, rest := args[4], args[5:]
	dec := json.NewDecoder(stdin)
	var vals []json.RawMessage
	for _, a := range rest {
		if a == "-" {
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				fmt.Fprintf(stderr, "[EINVAL] cannot read argument from stdin: %v\n", err)
				return 1
			}
			vals = append(vals, v)
			continue
		}
		if json.Valid([]byte(a)) {
			vals = append(vals, json.RawMessage(a))
		} else {
			b, _ := json.Marshal(a)
			vals = append(vals, b)
		}
	}
	switch method {
	case "system.version":
		fmt.Fprintln(stdout, "TrueNAS-25.10.6+engine.test")
	case "test.echo", "user.query", "test.write":
		b, _ := json.Marshal(vals)
		fmt.Fprintln(stdout, string(b))
	case "test.true":
		fmt.Fprintln(stdout, "True")
	case "test.validation":
		fmt.Fprintln(stderr, "[EEXIST] user_create.username: The username \"alice\" already exists.")
		fmt.Fprintln(stderr, "[EINVAL] user_create.home: Path: must be absolute")
		return 1
	case "test.callerror":
		fmt.Fprintln(stderr, "[EINVAL] Cannot delete a built-in user")
		fmt.Fprintln(stderr, "Traceback (most recent call last):\n  File \"x\", line 1\nCallError: [EINVAL] Cannot delete a built-in user")
		return 1
	case "test.login":
		fmt.Fprintln(stdout, "Failed to login:  bad credentials")
		return 0
	case "test.exit3":
		fmt.Fprintln(stderr, "boom")
		return 3
	default:
		fmt.Fprintln(stderr, "[ENOENT] Method does not exist")
		return 1
	}
	return 0
}

type box struct {
	*sandbox.Sandbox
	t *testing.T
}

func startBox(t *testing.T, opts sandbox.Options) *box {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	opts.Listen = "127.0.0.1:0"
	if opts.Engine == nil {
		opts.Engine = fakeEngine
	}
	sb, err := sandbox.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	return &box{sb, t}
}

// config is the client configuration sandbox.env describes.
func (b *box) config() remote.Config {
	return remote.Config{
		Host: b.Host, Port: b.Port, User: "root",
		PrivateKeyFile: b.ClientKeyFile, KnownHostsFile: b.KnownHostsFile,
	}
}

func (b *box) client(cfg remote.Config) *remote.Client {
	c := remote.New(cfg)
	b.t.Cleanup(func() { c.Close() })
	return c
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestCallStdinArgs(t *testing.T) {
	b := startBox(t, sandbox.Options{})
	c := b.client(b.config())
	// Ids and filters on the command line, the payload as the final "-".
	params := []any{
		[]any{[]any{"id", "=", 1}},
		42, nil, true,
		map[string]any{"username": "alice", "password": "it's a $(secret); `id`"},
	}
	got, err := c.Call(ctx(t), "test.echo", params...)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(params)
	if !jsonEqual(t, got, want) {
		t.Fatalf("got %s want %s", got, want)
	}
	v, err := c.Call(ctx(t), "system.version")
	if err != nil || string(v) != `"TrueNAS-25.10.6+engine.test"` {
		t.Fatalf("system.version: %s %v", v, err)
	}
	if v, err := c.Call(ctx(t), "test.true"); err != nil || string(v) != "true" {
		t.Fatalf("test.true: %s %v", v, err)
	}
	// A leading argument that is not an id or a filter list would show on
	// the command line: refused without opt-in.
	if _, err := c.Call(ctx(t), "test.echo", "a string", map[string]any{}); err == nil || !strings.Contains(err.Error(), "engine_args_on_command_line") {
		t.Fatalf("leading string: %v", err)
	}
	// The three calls, and one probe of midclt's stdin (the sandbox's fake
	// engine has no websocket: the client fell back to midclt).
	st := c.Stats()
	if st.Connections != 1 || st.Sessions != 4 || st.Calls != 4 || st.Websockets != 0 {
		t.Fatalf("stats %+v", st)
	}
	if tr := c.Transport(); tr.Kind != remote.TransportMidclt || !tr.Probed || !tr.MidcltStdin {
		t.Fatalf("transport %+v", tr)
	}
}

func TestCallArgsOnCommandLineAndSudo(t *testing.T) {
	var mu sync.Mutex
	var seen [][]string
	b := startBox(t, sandbox.Options{OnCall: func(a []string) {
		mu.Lock()
		seen = append(seen, a)
		mu.Unlock()
	}})
	cfg := b.config()
	cfg.ArgsOnCommandLine = true
	cfg.Sudo = true
	c := b.client(cfg)
	params := []any{map[string]any{"full_name": "O'Brien; id", "x": "$(id) `id` \"q\" \\"}, "two words"}
	got, err := c.Call(ctx(t), "test.echo", params...)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(params)
	if !jsonEqual(t, got, want) {
		t.Fatalf("got %s want %s", got, want)
	}
	// The probe, then the call: on a midclt that reads stdin, the payload
	// still goes there; the leading argument is on the command line.
	if len(seen) != 2 || seen[0][4] != "user.query" || seen[1][4] != "test.echo" || len(seen[1]) != 7 || seen[1][6] != "-" {
		t.Fatalf("engine args %q", seen)
	}
}

func TestCallErrors(t *testing.T) {
	b := startBox(t, sandbox.Options{})
	c := b.client(b.config())
	_, err := c.Call(ctx(t), "test.validation", map[string]any{})
	var es account.Errors
	if !errors.As(err, &es) || len(es) != 2 || es[1].Attribute != "user_create.home" || es[1].Message != "Path: must be absolute" || es[0].Errno != account.EEXIST {
		t.Fatalf("validation: %#v", err)
	}
	_, err = c.Call(ctx(t), "test.callerror", 1)
	var ce *account.CallError
	if !errors.As(err, &ce) || ce.Message != "Cannot delete a built-in user" {
		t.Fatalf("call error: %#v", err)
	}
	_, err = c.Call(ctx(t), "test.login")
	t.Log(err)
	if !remote.IsKind(err, remote.Remote) || !strings.Contains(err.Error(), "Failed to login") {
		t.Fatalf("login: %v", err)
	}
	_, err = c.Call(ctx(t), "test.exit3")
	t.Log(err)
	if !remote.IsKind(err, remote.Remote) || !strings.Contains(err.Error(), "status 3") || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("exit 3: %v", err)
	}
	if _, err := c.Call(ctx(t), "bad method; id"); err == nil {
		t.Fatal("bad method name accepted")
	}
	// A wrong engine_command: the sandbox refuses with 127.
	cfg := b.config()
	cfg.EngineCommand = "/bin/sh -c id"
	_, err = b.client(cfg).Call(ctx(t), "system.version")
	t.Log(err)
	if !remote.IsKind(err, remote.Remote) || !strings.Contains(err.Error(), "status 127") || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("sh: %v", err)
	}
}

func TestHostKeyPinned(t *testing.T) {
	b := startBox(t, sandbox.Options{ECDSAHostKey: true})
	pub := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(b.HostKey)))

	cfg := b.config()
	cfg.KnownHostsFile = "/nonexistent"
	cfg.HostKey = pub + " comment"
	if _, err := b.client(cfg).Call(ctx(t), "system.version"); err != nil {
		t.Fatalf("pinned key: %v", err)
	}
	cfg.HostKey = ssh.FingerprintSHA256(b.HostKey)
	if _, err := b.client(cfg).Call(ctx(t), "system.version"); err != nil {
		t.Fatalf("pinned fingerprint (server prefers ecdsa): %v", err)
	}

	other := newKey(t)
	cfg.HostKey = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(other.PublicKey())))
	_, err := b.client(cfg).Call(ctx(t), "system.version")
	t.Log(err)
	if !remote.IsKind(err, remote.HostKey) || !strings.Contains(err.Error(), "MAN-IN-THE-MIDDLE") ||
		!strings.Contains(err.Error(), ssh.FingerprintSHA256(other.PublicKey())) || !strings.Contains(err.Error(), ssh.FingerprintSHA256(b.HostKey)) {
		t.Fatalf("wrong pinned key: %v", err)
	}
	cfg.HostKey = ssh.FingerprintSHA256(other.PublicKey())
	_, err = b.client(cfg).Call(ctx(t), "system.version")
	t.Log(err)
	if !remote.IsKind(err, remote.HostKey) || !strings.Contains(err.Error(), "MAN-IN-THE-MIDDLE") {
		t.Fatalf("wrong fingerprint: %v", err)
	}
	cfg.HostKey = "not a key"
	_, err = b.client(cfg).Call(ctx(t), "system.version")
	t.Log(err)
	if !remote.IsKind(err, remote.BadConfig) {
		t.Fatalf("garbage host_key: %v", err)
	}
	cfg.HostKey = ""
	cfg.InsecureIgnoreHostKey = true
	if _, err := b.client(cfg).Call(ctx(t), "system.version"); err != nil {
		t.Fatalf("insecure: %v", err)
	}
}

func TestKnownHosts(t *testing.T) {
	b := startBox(t, sandbox.Options{})
	dir := t.TempDir()

	// Unknown host.
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("# nothing\n"), 0o644)
	cfg := b.config()
	cfg.KnownHostsFile = empty
	_, err := b.client(cfg).Call(ctx(t), "system.version")
	t.Log(err)
	if !remote.IsKind(err, remote.HostKey) || !strings.Contains(err.Error(), "is not in known_hosts file "+empty) ||
		!strings.Contains(err.Error(), "ssh-keyscan -p ") || !strings.Contains(err.Error(), ssh.FingerprintSHA256(b.HostKey)) {
		t.Fatalf("unknown: %v", err)
	}
	// Missing file.
	cfg.KnownHostsFile = filepath.Join(dir, "missing")
	_, err = b.client(cfg).Call(ctx(t), "system.version")
	t.Log(err)
	if !remote.IsKind(err, remote.HostKey) || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing: %v", err)
	}
	// Mismatch.
	other := newKey(t)
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte(knownhosts.Line([]string{knownhosts.Normalize(b.Addr)}, other.PublicKey())+"\n"), 0o644)
	cfg.KnownHostsFile = bad
	_, err = b.client(cfg).Call(ctx(t), "system.version")
	t.Log(err)
	if !remote.IsKind(err, remote.HostKey) || !strings.Contains(err.Error(), "MAN-IN-THE-MIDDLE") ||
		!strings.Contains(err.Error(), ssh.FingerprintSHA256(other.PublicKey())) || !strings.Contains(err.Error(), bad+":1") {
		t.Fatalf("mismatch: %v", err)
	}
	// The sandbox's own known_hosts names [127.0.0.1]:PORT.
	kh, _ := os.ReadFile(b.KnownHostsFile)
	if !strings.HasPrefix(string(kh), fmt.Sprintf("[127.0.0.1]:%d ssh-ed25519 ", b.Port)) {
		t.Fatalf("known_hosts: %q", kh)
	}
}

// The server offers ECDSA and ED25519 host keys; known_hosts holds only the
// ED25519 one. Without HostKeyAlgorithms x/crypto negotiates ECDSA and the
// check fails as if the key had changed.
func TestKnownHostsAlgorithmTrap(t *testing.T) {
	b := startBox(t, sandbox.Options{ECDSAHostKey: true})
	// The trap is real: a naive client fails.
	cb, err := knownhosts.New(b.KnownHostsFile)
	if err != nil {
		t.Fatal(err)
	}
	signer := loadKey(t, b.ClientKeyFile)
	_, err = ssh.Dial("tcp", b.Addr, &ssh.ClientConfig{User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: cb})
	if err == nil || !strings.Contains(err.Error(), "key mismatch") {
		t.Fatalf("expected the naive client to hit the trap, got %v", err)
	}
	// Ours does not.
	if _, err := b.client(b.config()).Call(ctx(t), "system.version"); err != nil {
		t.Fatal(err)
	}
}

func TestPrivateKeyPassphrase(t *testing.T) {
	b := startBox(t, sandbox.Options{})
	signerKey := rawKey(t, b.ClientKeyFile)
	block, err := ssh.MarshalPrivateKeyWithPassphrase(signerKey, "test", []byte("s3cret phrase"))
	if err != nil {
		t.Fatal(err)
	}
	enc := filepath.Join(t.TempDir(), "enc_key")
	os.WriteFile(enc, pem.EncodeToMemory(block), 0o600)

	cfg := b.config()
	cfg.PrivateKeyFile = enc
	_, err = b.client(cfg).Call(ctx(t), "system.version")
	t.Log(err)
	if !remote.IsKind(err, remote.BadConfig) || !strings.Contains(err.Error(), "encrypted: set private_key_passphrase") {
		t.Fatalf("no passphrase: %v", err)
	}
	cfg.PrivateKeyPassphrase = "wrong"
	_, err = b.client(cfg).Call(ctx(t), "system.version")
	t.Log(err)
	if !remote.IsKind(err, remote.BadConfig) || strings.Contains(err.Error(), "wrong\"") || !strings.Contains(err.Error(), "passphrase is wrong") {
		t.Fatalf("wrong passphrase: %v", err)
	}
	cfg.PrivateKeyPassphrase = "s3cret phrase"
	if _, err := b.client(cfg).Call(ctx(t), "system.version"); err != nil {
		t.Fatalf("with passphrase: %v", err)
	}
	// Key content instead of a file, and a passphrase on an unencrypted key.
	pemText, _ := os.ReadFile(b.ClientKeyFile)
	cfg.PrivateKeyFile = ""
	cfg.PrivateKey = string(pemText)
	if _, err := b.client(cfg).Call(ctx(t), "system.version"); err != nil {
		t.Fatalf("key content: %v", err)
	}
}

func TestWrongCredentials(t *testing.T) {
	b := startBox(t, sandbox.Options{Password: "right-password"})
	_, otherRaw, _ := ed25519.GenerateKey(rand.Reader)
	otherPEM, _ := ssh.MarshalPrivateKey(otherRaw, "")
	cfg := b.config()
	cfg.PrivateKeyFile = ""
	cfg.PrivateKey = string(pem.EncodeToMemory(otherPEM))
	_, err := b.client(cfg).Call(ctx(t), "system.version")
	t.Log(err)
	if !remote.IsKind(err, remote.Auth) || !strings.Contains(err.Error(), "ssh: authentication as root failed") || !strings.Contains(err.Error(), "check private_key/password") {
		t.Fatalf("wrong key: %v", err)
	}
	cfg.PrivateKey = ""
	cfg.Password = "wrong-password"
	_, err = b.client(cfg).Call(ctx(t), "system.version")
	t.Log(err)
	if !remote.IsKind(err, remote.Auth) || strings.Contains(err.Error(), "wrong-password") {
		t.Fatalf("wrong password: %v", err)
	}
	cfg.Password = "right-password"
	if _, err := b.client(cfg).Call(ctx(t), "system.version"); err != nil {
		t.Fatalf("password: %v", err)
	}
	cfg.Password = ""
	_, err = b.client(cfg).Call(ctx(t), "system.version")
	t.Log(err)
	if !remote.IsKind(err, remote.BadConfig) || !strings.Contains(err.Error(), "no SSH credentials") {
		t.Fatalf("no credentials: %v", err)
	}
}

func TestUnreachableAndTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	ln.Close()
	c := remote.New(remote.Config{Host: "127.0.0.1", Port: addr.Port, Password: "x", InsecureIgnoreHostKey: true})
	defer c.Close()
	_, err = c.Call(ctx(t), "system.version")
	t.Log(err)
	if !remote.IsKind(err, remote.Unreachable) || !strings.Contains(err.Error(), fmt.Sprintf("cannot reach 127.0.0.1:%d", addr.Port)) {
		t.Fatalf("unreachable: %v", err)
	}

	// A server that accepts but never speaks SSH.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	c2 := remote.New(remote.Config{Host: "127.0.0.1", Port: silent.Addr().(*net.TCPAddr).Port, Password: "x",
		InsecureIgnoreHostKey: true, DialTimeout: 300 * time.Millisecond})
	defer c2.Close()
	start := time.Now()
	_, err = c2.Call(ctx(t), "system.version")
	t.Log(err)
	if !remote.IsKind(err, remote.Timeout) || time.Since(start) > 5*time.Second {
		t.Fatalf("timeout: %v after %s", err, time.Since(start))
	}
}

func TestReconnect(t *testing.T) {
	var sb atomic.Pointer[sandbox.Sandbox]
	var dropNext atomic.Bool
	b := startBox(t, sandbox.Options{OnCall: func([]string) {
		if dropNext.CompareAndSwap(true, false) {
			sb.Load().DropConnections()
			time.Sleep(20 * time.Millisecond)
		}
	}})
	sb.Store(b.Sandbox)
	c := b.client(b.config())
	if _, err := c.Call(ctx(t), "system.version"); err != nil {
		t.Fatal(err)
	}
	// Dropped between calls: the next call redials.
	b.DropConnections()
	time.Sleep(50 * time.Millisecond)
	if _, err := c.Call(ctx(t), "system.version"); err != nil {
		t.Fatalf("after drop: %v", err)
	}
	if st := c.Stats(); st.Connections != 2 {
		t.Fatalf("stats %+v", st)
	}
	// Dropped during a read: retried once on a new connection.
	dropNext.Store(true)
	got, err := c.Call(ctx(t), "user.query", []any{})
	if err != nil || string(got) != "[[]]" {
		t.Fatalf("read during drop: %s %v", got, err)
	}
	if st := c.Stats(); st.Connections != 3 {
		t.Fatalf("stats %+v", st)
	}
	// Dropped during a write: not re-run, and the error says why.
	dropNext.Store(true)
	calls := b.Stats().Calls
	_, err = c.Call(ctx(t), "test.write", map[string]any{"username": "bob"})
	t.Log(err)
	if !remote.IsKind(err, remote.Connection) || !strings.Contains(err.Error(), "may or may not have been applied") {
		t.Fatalf("write during drop: %v", err)
	}
	if n := b.Stats().Calls - calls; n != 1 {
		t.Fatalf("write ran %d times", n)
	}
	// And the client recovers.
	if _, err := c.Call(ctx(t), "system.version"); err != nil {
		t.Fatalf("after write drop: %v", err)
	}
}

func TestSessionLimit(t *testing.T) {
	var cur, peak atomic.Int64
	b := startBox(t, sandbox.Options{MaxSessions: 8, OnCall: func([]string) {
		n := cur.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(40 * time.Millisecond)
		cur.Add(-1)
	}})
	c := b.client(b.config())
	var wg sync.WaitGroup
	errs := make(chan error, 30)
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Call(ctx(t), "test.echo", i); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if p := peak.Load(); p > 8 || p < 2 {
		t.Fatalf("peak concurrency %d", p)
	}
	st := c.Stats()
	// 30 calls and one probe of midclt's stdin, made once for all.
	if st.Connections != 1 || st.Sessions != 31 || st.Calls != 30 {
		t.Fatalf("client stats %+v", st)
	}
	if st := b.Stats(); st.Rejected != 0 || st.Sessions != 31 {
		t.Fatalf("server stats %+v", st)
	}
}

func TestKeepalive(t *testing.T) {
	b := startBox(t, sandbox.Options{})
	cfg := b.config()
	cfg.KeepaliveInterval = 20 * time.Millisecond
	c := b.client(cfg)
	if _, err := c.Call(ctx(t), "system.version"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond)
	if _, err := c.Call(ctx(t), "system.version"); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Connections != 1 {
		t.Fatalf("keepalives should keep one connection: %+v", st)
	}
	if _, err := c.Call(ctx(t), "system.version"); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := c.Call(ctx(t), "system.version"); !remote.IsKind(err, remote.Closed) {
		t.Fatalf("after close: %v", err)
	}
}

// The real engine, in-process behind the sandbox.
func TestRealEngine(t *testing.T) {
	sb, err := sandbox.Start(context.Background(), sandbox.Options{Dir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	b := &box{sb, t}
	c := b.client(b.config())
	v, err := c.Call(ctx(t), "system.version")
	if err != nil && strings.Contains(err.Error(), "not built yet") {
		t.Skip("engine is still a placeholder")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("system.version = %s", v)
	var version string
	if json.Unmarshal(v, &version) != nil || !strings.HasPrefix(version, "TrueNAS-") {
		t.Fatalf("system.version = %s", v)
	}
	users, err := c.Call(ctx(t), "user.query", []any{[]any{"username", "=", "root"}})
	if err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	if err := json.Unmarshal(users, &list); err != nil || len(list) != 1 || list[0]["username"] != "root" {
		t.Fatalf("user.query: %s %v", users, err)
	}
	// Arguments on the command line reach the engine too.
	cfg := b.config()
	cfg.ArgsOnCommandLine = true
	users2, err := b.client(cfg).Call(ctx(t), "user.query", []any{[]any{"username", "=", "root"}})
	if err != nil || !jsonEqual(t, users, users2) {
		t.Fatalf("args on command line: %s %v", users2, err)
	}
}

// helpers

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	xs, _ := json.Marshal(x)
	ys, _ := json.Marshal(y)
	return string(xs) == string(ys)
}

func newKey(t *testing.T) ssh.Signer {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func loadKey(t *testing.T, file string) ssh.Signer {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.ParsePrivateKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func rawKey(t *testing.T, file string) any {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.ParseRawPrivateKey(b)
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := k.(*ed25519.PrivateKey); ok {
		return *p
	}
	return k
}

func TestAgentAuth(t *testing.T) {
	b := startBox(t, sandbox.Options{})
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: rawKey(t, b.ClientKeyFile)}); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "agent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); agent.ServeAgent(keyring, c) }()
		}
	}()
	t.Setenv("SSH_AUTH_SOCK", sock)
	cfg := b.config()
	cfg.PrivateKeyFile = ""
	cfg.UseAgent = true
	if _, err := b.client(cfg).Call(ctx(t), "system.version"); err != nil {
		t.Fatalf("agent: %v", err)
	}
	cfg.UseAgent = false
	if _, err := b.client(cfg).Call(ctx(t), "system.version"); !remote.IsKind(err, remote.BadConfig) {
		t.Fatalf("agent not enabled: %v", err)
	}
}

func TestContextCancel(t *testing.T) {
	b := startBox(t, sandbox.Options{OnCall: func([]string) { time.Sleep(300 * time.Millisecond) }})
	c := b.client(b.config())
	cx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Call(cx, "test.echo", 1)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	// The connection is still usable.
	if _, err := c.Call(ctx(t), "system.version"); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkCall(b *testing.B) {
	sb, err := sandbox.Start(context.Background(), sandbox.Options{Dir: b.TempDir(), Listen: "127.0.0.1:0", Engine: fakeEngine})
	if err != nil {
		b.Fatal(err)
	}
	defer sb.Close()
	c := remote.New(remote.Config{Host: sb.Host, Port: sb.Port, PrivateKeyFile: sb.ClientKeyFile, KnownHostsFile: sb.KnownHostsFile})
	defer c.Close()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Call(context.Background(), "test.echo", map[string]any{"a": 1}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	st := c.Stats()
	b.ReportMetric(float64(st.Connections), "conns")
}

// Concurrent calls through the sandbox into the real engine on one root.
func TestRealEngineConcurrent(t *testing.T) {
	sb, err := sandbox.Start(context.Background(), sandbox.Options{Dir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	b := &box{sb, t}
	c := b.client(b.config())
	if _, err := c.Call(ctx(t), "system.version"); err != nil {
		t.Skipf("engine: %v", err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := 0; i < 20; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if _, err := c.Call(ctx(t), "user.query", []any{}); err != nil {
				errs <- err
			}
		}()
		go func() {
			defer wg.Done()
			if _, err := c.Call(ctx(t), "group.create", map[string]any{"name": fmt.Sprintf("grp%02d", i)}); err != nil {
				errs <- fmt.Errorf("group.create: %w", err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got, err := c.Call(ctx(t), "group.query", []any{[]any{"name", "^", "grp"}})
	var list []any
	if err != nil || json.Unmarshal(got, &list) != nil || len(list) != 20 {
		t.Fatalf("group.query: %v %d", err, len(list))
	}
}
