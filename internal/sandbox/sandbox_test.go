package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func TestSplitWords(t *testing.T) {
	ok := []struct {
		in   string
		want []string
	}{
		{`midclt call user.query`, []string{"midclt", "call", "user.query"}},
		{`  midclt   call  user.query  - - `, []string{"midclt", "call", "user.query", "-", "-"}},
		{`midclt call user.create '{"username": "o'\''brien"}'`, []string{"midclt", "call", "user.create", `{"username": "o'brien"}`}},
		{`midclt call x "a \"b\" \\ \$ c" 'x;y' ""`, []string{"midclt", "call", "x", `a "b" \ $ c`, "x;y", ""}},
		{`midclt call x a\ b\;c "\n"`, []string{"midclt", "call", "x", "a b;c", `\n`}},
		{`midclt call x '[["id", "=", 1]]' a#b`, []string{"midclt", "call", "x", `[["id", "=", 1]]`, "a#b"}},
		{`sudo -n midclt call x ';' '$(id)'`, []string{"sudo", "-n", "midclt", "call", "x", ";", "$(id)"}},
	}
	for _, c := range ok {
		got, err := splitWords(c.in)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("splitWords(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{
		`midclt call user.query; id`, `midclt call user.query && id`, `midclt call x | sh`,
		`midclt call x > /etc/passwd`, `midclt call x $(id)`, "midclt call x `id`", `midclt call x "$(id)"`,
		"midclt call x\nid", `midclt call x 'unterminated`, `midclt call x "unterminated`, `midclt call x \`,
		`midclt call x # comment`, `(id)`, `midclt call x & id`, `midclt call x $HOME`,
	} {
		if got, err := splitWords(in); err == nil {
			t.Errorf("splitWords(%q) = %q, want an error", in, got)
		}
	}
}

// sandboxFor starts a sandbox whose engine records its arguments and echoes
// its stdin.
func sandboxFor(t *testing.T, opts Options) (*Sandbox, *[][]string) {
	t.Helper()
	var mu sync.Mutex
	var calls [][]string
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	opts.Listen = "127.0.0.1:0"
	opts.Engine = func(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
		mu.Lock()
		calls = append(calls, args)
		mu.Unlock()
		if len(args) > 5 && args[5] == "-" {
			io.Copy(stdout, stdin)
		}
		fmt.Fprintln(stdout, "ok")
		return 0
	}
	sb, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb, &calls
}

func dialSandbox(t *testing.T, sb *Sandbox) *ssh.Client {
	t.Helper()
	return dialSandboxAs(t, sb, "root")
}

// dialSandboxAs is dialSandbox as the SSH user user.
func dialSandboxAs(t *testing.T, sb *Sandbox, user string) *ssh.Client {
	t.Helper()
	b, err := os.ReadFile(sb.ClientKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(b)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := knownhosts.New(sb.KnownHostsFile)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ssh.Dial("tcp", sb.Addr, &ssh.ClientConfig{
		User: user, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: cb,
		HostKeyAlgorithms: []string{ssh.KeyAlgoED25519},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func runCmd(t *testing.T, c *ssh.Client, cmd, stdin string) (string, string, int) {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out, errb bytes.Buffer
	s.Stdout, s.Stderr = &out, &errb
	if stdin != "" {
		s.Stdin = strings.NewReader(stdin)
	}
	err = s.Run(cmd)
	code := 0
	var ee *ssh.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitStatus()
	} else if err != nil {
		t.Fatalf("%q: %v", cmd, err)
	}
	return out.String(), errb.String(), code
}

func TestExecMidclt(t *testing.T) {
	sb, calls := sandboxFor(t, Options{})
	c := dialSandbox(t, sb)
	for _, cmd := range []string{
		`midclt call user.query -`,
		`sudo midclt call user.query -`,
		`sudo -n midclt call user.query -`,
		`/usr/bin/midclt call user.query -`,
	} {
		out, errs, code := runCmd(t, c, cmd, `[["id", "=", 1]]`+"\n")
		if code != 0 || out != `[["id", "=", 1]]`+"\nok\n" || errs != "" {
			t.Errorf("%q: %q %q %d", cmd, out, errs, code)
		}
	}
	out, _, code := runCmd(t, c, `midclt call user.create '{"username": "x; id"}' ';' 'a b'`, "")
	if code != 0 || out != "ok\n" {
		t.Fatalf("quoted args: %q %d", out, code)
	}
	last := (*calls)[len(*calls)-1]
	want := []string{"truenas-engine", "--root", sb.Root, "call", "user.create", `{"username": "x; id"}`, ";", "a b"}
	if !reflect.DeepEqual(last, want) {
		t.Fatalf("engine args %q, want %q", last, want)
	}
	if st := sb.Stats(); st.Calls != 5 || st.Connections != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestRefusals(t *testing.T) {
	sb, calls := sandboxFor(t, Options{})
	c := dialSandbox(t, sb)
	for _, cmd := range []string{
		`id`, `sh -c id`, `sudo id`, `sudo -n sh`, `midclt call user.query; id`, `midclt call user.query && id`,
		`midclt call user.query $(id)`, "midclt call user.query `id`", `midclt ping`, `midclt call`, ``,
		`midclt call user.query | tee /tmp/x`, `scp -t /tmp`,
	} {
		out, errs, code := runCmd(t, c, cmd, "")
		if code != 127 || out != "" || !strings.Contains(errs, "sandbox: refused: ") || !strings.Contains(errs, "without a shell") {
			t.Errorf("%q: out %q err %q code %d", cmd, out, errs, code)
		}
	}
	if len(*calls) != 0 {
		t.Fatalf("engine ran: %q", *calls)
	}

	// An interactive shell, with a pty request first, is refused too.
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RequestPty("xterm", 40, 80, ssh.TerminalModes{}); err == nil {
		t.Error("pty accepted")
	}
	var errb bytes.Buffer
	s.Stderr = &errb
	if err := s.Shell(); err != nil {
		t.Fatal(err)
	}
	var ee *ssh.ExitError
	if err := s.Wait(); !errors.As(err, &ee) || ee.ExitStatus() != 127 || !strings.Contains(errb.String(), "interactive shell is not available") {
		t.Fatalf("shell: %v %q", err, errb.String())
	}
	// Subsystems (sftp) are refused.
	s2, _ := c.NewSession()
	pipe, _ := s2.StderrPipe()
	if err := s2.RequestSubsystem("sftp"); err != nil {
		t.Fatal(err)
	}
	if msg, _ := io.ReadAll(pipe); !strings.Contains(string(msg), `subsystem "sftp" is not available`) {
		t.Fatalf("sftp: %q", msg)
	}
	// Other channel types (port forwarding) are refused.
	if _, err := c.Dial("tcp", "127.0.0.1:22"); err == nil {
		t.Fatal("direct-tcpip accepted")
	}
	// Global keepalive requests are answered.
	if ok, _, err := c.SendRequest("keepalive@openssh.com", true, nil); err != nil || !ok {
		t.Fatalf("keepalive: %v %v", ok, err)
	}
}

func TestSessionLimitAndAuth(t *testing.T) {
	started := make(chan struct{}, 10)
	release := make(chan struct{})
	opts := Options{Dir: t.TempDir(), Listen: "127.0.0.1:0", MaxSessions: 2, Password: "pw",
		Engine: func(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
			started <- struct{}{}
			<-release
			return 0
		}}
	sb, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	c := dialSandbox(t, sb)
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		s, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); s.Run("midclt call x") }()
		<-started
	}
	if _, err := c.NewSession(); err == nil || !strings.Contains(err.Error(), "too many sessions") {
		t.Fatalf("third session: %v", err)
	}
	close(release)
	wg.Wait()
	if st := sb.Stats(); st.Rejected != 1 || st.Sessions != 2 {
		t.Fatalf("stats %+v", st)
	}

	// Password auth (tests only) and a wrong password.
	cfg := &ssh.ClientConfig{User: "root", Auth: []ssh.AuthMethod{ssh.Password("pw")}, HostKeyCallback: ssh.FixedHostKey(sb.HostKey)}
	pc, err := ssh.Dial("tcp", sb.Addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	pc.Close()
	cfg.Auth = []ssh.AuthMethod{ssh.Password("nope")}
	if _, err := ssh.Dial("tcp", sb.Addr, cfg); err == nil {
		t.Fatal("wrong password accepted")
	}
}

func TestListenLoopbackOnly(t *testing.T) {
	if _, err := Start(context.Background(), Options{Dir: t.TempDir(), Listen: "0.0.0.0:0"}); err == nil {
		t.Fatal("non-loopback listen accepted")
	}
}

func TestMainEnvAndKeyReuse(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "box dir")
	start := func() (map[string]string, func()) {
		ctx, cancel := context.WithCancel(context.Background())
		pr, pw := io.Pipe()
		var errb bytes.Buffer
		done := make(chan int, 1)
		go func() {
			done <- run(ctx, []string{"sandbox", "--dir", dir, "--listen", "127.0.0.1:0"}, pw, &errb)
			pw.Close()
		}()
		line, err := bufio.NewReader(pr).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "sandbox ready on 127.0.0.1:") {
			t.Fatalf("ready line %q %v; stderr %q", line, err, errb.String())
		}
		go io.Copy(io.Discard, pr)
		env := parseEnv(t, filepath.Join(dir, "sandbox.env"))
		if !strings.Contains(line, "127.0.0.1:"+env["TRUENAS_PORT"]+" ") {
			t.Fatalf("ready line %q does not match port %s", line, env["TRUENAS_PORT"])
		}
		return env, func() {
			cancel()
			select {
			case code := <-done:
				if code != 0 {
					t.Fatalf("exit %d: %s", code, errb.String())
				}
			case <-time.After(10 * time.Second):
				t.Fatal("sandbox did not stop")
			}
		}
	}
	env, stop := start()
	for _, k := range []string{"TRUENAS_HOST", "TRUENAS_PORT", "TRUENAS_USER", "TRUENAS_PRIVATE_KEY_FILE", "TRUENAS_KNOWN_HOSTS_FILE"} {
		if env[k] == "" {
			t.Fatalf("sandbox.env lacks %s: %v", k, env)
		}
	}
	if env["TRUENAS_HOST"] != "127.0.0.1" || env["TRUENAS_USER"] != "root" ||
		env["TRUENAS_PRIVATE_KEY_FILE"] != filepath.Join(dir, clientKeyName) || env["TRUENAS_KNOWN_HOSTS_FILE"] != filepath.Join(dir, "known_hosts") {
		t.Fatalf("sandbox.env: %v", env)
	}
	if fi, err := os.Stat(filepath.Join(dir, "root")); err != nil || !fi.IsDir() {
		t.Fatalf("box root: %v", err)
	}
	hostKey1, _ := os.ReadFile(filepath.Join(dir, hostKeyName))
	clientKey1, _ := os.ReadFile(env["TRUENAS_PRIVATE_KEY_FILE"])
	kh1, _ := os.ReadFile(env["TRUENAS_KNOWN_HOSTS_FILE"])
	if !strings.HasPrefix(string(kh1), "[127.0.0.1]:"+env["TRUENAS_PORT"]+" ssh-ed25519 ") {
		t.Fatalf("known_hosts %q", kh1)
	}
	if fi, _ := os.Stat(env["TRUENAS_PRIVATE_KEY_FILE"]); fi.Mode().Perm() != 0o600 {
		t.Fatalf("client key mode %v", fi.Mode())
	}
	stop()

	env2, stop2 := start()
	defer stop2()
	hostKey2, _ := os.ReadFile(filepath.Join(dir, hostKeyName))
	clientKey2, _ := os.ReadFile(env2["TRUENAS_PRIVATE_KEY_FILE"])
	if !bytes.Equal(hostKey1, hostKey2) || !bytes.Equal(clientKey1, clientKey2) || len(hostKey1) == 0 {
		t.Fatal("keys were not reused on restart")
	}
	kh2, _ := os.ReadFile(env2["TRUENAS_KNOWN_HOSTS_FILE"])
	if strings.Fields(string(kh1))[2] != strings.Fields(string(kh2))[2] {
		t.Fatal("host key changed in known_hosts")
	}
	// Usage errors.
	var errb bytes.Buffer
	if code := run(context.Background(), []string{"sandbox"}, io.Discard, &errb); code != 2 || !strings.Contains(errb.String(), "usage") {
		t.Fatalf("no --dir: %d %q", code, errb.String())
	}
}

// parseEnv reads "export NAME=value" lines, undoing single quotes.
func parseEnv(t *testing.T, file string) map[string]string {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		rest, ok := strings.CutPrefix(line, "export ")
		if !ok {
			t.Fatalf("bad line %q", line)
		}
		k, v, _ := strings.Cut(rest, "=")
		words, err := splitWords(v)
		if err != nil || len(words) != 1 {
			t.Fatalf("bad value in %q", line)
		}
		env[k] = words[0]
	}
	return env
}

// The sandbox is an installed box: root is its local administrator, with a
// random password kept in a file only its owner reads, so that deleting
// the administrators a configuration creates is allowed, as on TrueNAS.
func TestAdminSetUp(t *testing.T) {
	dir := t.TempDir()
	sb, err := Start(context.Background(), Options{Dir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	file := filepath.Join(dir, AdminPasswordFile)
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s has mode %v, want 0600", file, fi.Mode().Perm())
	}
	data, _ := os.ReadFile(file)
	password := strings.TrimSpace(string(data))
	if len(password) != 24 {
		t.Fatalf("root's password has %d characters, want 24", len(password))
	}
	login := func(pw string) string {
		var r struct {
			ResponseType string `json:"response_type"`
		}
		if err := sb.engineCall(&r, "auth.login_ex", map[string]any{"mechanism": "PASSWORD_PLAIN", "username": "root", "password": pw}); err != nil {
			t.Fatal(err)
		}
		return r.ResponseType
	}
	if got := login(password); got != "SUCCESS" {
		t.Fatalf("root's password from %s: login_ex says %s", AdminPasswordFile, got)
	}
	sb.Close()

	// A restart keeps the password.
	sb2, err := Start(context.Background(), Options{Dir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer sb2.Close()
	sb = sb2
	if got := login(password); got != "SUCCESS" {
		t.Fatalf("after a restart, root's password no longer works: %s", got)
	}
}

// TestRealisticSudoCommands: the sudo rules people write for TrueNAS
// validate against the sandbox's root, over SSH, as on a TrueNAS box.
func TestRealisticSudoCommands(t *testing.T) {
	dir := t.TempDir()
	sb, err := Start(context.Background(), Options{Dir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	c := dialSandbox(t, sb)
	out, errs, code := runCmd(t, c, `sudo -n midclt call user.create '{"username": "ops", "full_name": "Ops", "group_create": true, "password_disabled": true, "smb": false, "sudo_commands_nopasswd": ["/usr/bin/midclt", "/usr/bin/id -u", "/usr/sbin/zfs list", "/usr/sbin/zpool status"]}'`, "")
	if code != 0 || errs != "" || !strings.Contains(out, `"sudo_commands_nopasswd": ["/usr/bin/midclt", "/usr/bin/id -u", "/usr/sbin/zfs list", "/usr/sbin/zpool status"]`) {
		t.Fatalf("user.create with sudo commands: exit %d %q %q", code, out, errs)
	}
	// a path the image does not have is still refused, as on TrueNAS
	_, errs, code = runCmd(t, c, `midclt call group.create '{"name": "x", "sudo_commands": ["/usr/bin/nothere"]}'`, "")
	if code != 1 || errs != "[EINVAL] group_create.sudo_commands.0: No paths matching '/usr/bin/nothere' exist\n" {
		t.Fatalf("missing path: exit %d %q", code, errs)
	}
	// the stand-ins are plain executable files under the root, and what the
	// root already has is kept on a restart
	fi, err := os.Lstat(filepath.Join(sb.Root, "usr/bin/midclt"))
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o755 {
		t.Fatalf("usr/bin/midclt: %v %v", fi, err)
	}
	mine := filepath.Join(sb.Root, "usr/sbin/zfs")
	if err := os.WriteFile(mine, []byte("#!/bin/sh\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	sb.Close()
	sb2, err := Start(context.Background(), Options{Dir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer sb2.Close()
	if b, _ := os.ReadFile(mine); string(b) != "#!/bin/sh\n" {
		t.Fatalf("restart rewrote usr/sbin/zfs: %q", b)
	}
}

// TestImageNeverFollowsLinks: a folder of the root that is a symbolic link
// is left alone, nothing is written through it.
func TestImageNeverFollowsLinks(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	if err := os.Symlink(outside, filepath.Join(root, "usr")); err != nil {
		t.Fatal(err)
	}
	if err := layOutImage(root); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Fatalf("wrote through the link: %v", ents)
	}
}
