package systemtest

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/nasops/terraform-provider-truenas/internal/engine"
)

// The real-box test runs the engine with root "/" exactly as on a box, inside
// a private mount namespace where a copy of the host's /etc is mounted over
// /etc and temporary folders over the engine's database folder and /mnt, so
// the host is left as it was. A real OpenSSH sshd on a loopback port then
// decides who may log in.

const (
	engineDBDir = "/var/db/truenas-engine"
	bobPassword = "Correct-Horse-42"
)

// realBoxMissing says why this machine cannot run the real-box test, or "".
func realBoxMissing() string {
	if runtime.GOOS != "linux" {
		return "the real-box test needs Linux mount namespaces"
	}
	if os.Geteuid() != 0 {
		return "the real-box test needs root (it mounts over /etc in a private namespace)"
	}
	for _, tool := range []string{"unshare", "mount", "ssh", "ssh-keygen", "sshpass", "sudo"} {
		if _, err := exec.LookPath(tool); err != nil {
			return tool + " is missing (make deps installs it with apt-get)"
		}
	}
	if _, err := os.Stat("/usr/sbin/sshd"); err != nil {
		return "/usr/sbin/sshd is missing (make deps installs openssh-server with apt-get)"
	}
	return ""
}

func TestRealBox(t *testing.T) {
	if os.Getenv("REALBOX_INNER") != "" {
		t.Skip("this is the inner run")
	}
	if why := realBoxMissing(); why != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("the real-box test must run in CI: %s", why)
		}
		t.Skip(why)
	}
	work := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("unshare", "-m", "--propagation", "private", "--",
		self, "-test.run", "^TestRealBoxInner$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "REALBOX_INNER=1", "REALBOX_WORK="+work, "REALBOX_BINARY="+binary)
	out, err := cmd.CombinedOutput()
	t.Logf("inner run:\n%s", out)
	if err != nil {
		t.Fatalf("the real-box run failed: %v", err)
	}
	if !strings.Contains(string(out), "--- PASS: TestRealBoxInner") {
		t.Fatal("the inner real-box test did not pass")
	}
}

func TestRealBoxInner(t *testing.T) {
	work := os.Getenv("REALBOX_WORK")
	if os.Getenv("REALBOX_INNER") == "" || work == "" {
		t.Skip("runs only inside the namespace TestRealBox makes")
	}
	rb := setupRealBox(t, work)

	before := map[string][]string{}
	for _, f := range []string{"/etc/passwd", "/etc/group", "/etc/shadow"} {
		before[f] = fileLines(t, f)
	}

	// Accounts, created through midclt as a client would.
	var gid int64
	mustMidclt(t, &gid, "group.create", map[string]any{"name": "rbstaff", "smb": false})

	alice := rb.createUser(t, map[string]any{
		"username": "alice", "full_name": "Alice Example", "group_create": true,
		"groups": []int64{gid}, "home": "/mnt/tank", "home_create": true,
		"shell": "/usr/bin/bash", "password_disabled": true, "smb": false,
		"sshpubkey":     rb.alicePub,
		"sudo_commands": []string{"/usr/bin/id", "/usr/bin/true"},
	})
	bob := rb.createUser(t, map[string]any{
		"username": "bob", "full_name": "Bob Example", "group_create": true,
		"home": "/mnt/tank", "home_create": true, "shell": "/usr/bin/bash",
		"password": bobPassword, "ssh_password_enabled": true, "smb": false,
	})
	carol := rb.createUser(t, map[string]any{
		"username": "carol", "full_name": "Carol Example", "group_create": true,
		"home": "/mnt/tank", "home_create": true, "shell": "/usr/bin/bash",
		"password": bobPassword, "ssh_password_enabled": false, "smb": false,
	})

	// 1. alice logs in with her key; id shows her uid and groups.
	out, err := rb.sshKey("alice", "id")
	if err != nil {
		t.Fatalf("alice's key login failed: %v\n%s", err, out)
	}
	wantUID := fmt.Sprintf("uid=%d(alice)", alice.UID)
	if !strings.Contains(out, wantUID) || !strings.Contains(out, "(rbstaff)") || !strings.Contains(out, "(alice)") {
		t.Fatalf("id printed %q; want %s, the alice group and rbstaff", out, wantUID)
	}

	// 2. bob logs in with his password; carol (no ssh_password_enabled) cannot.
	if out, err := rb.sshPassword("bob", bobPassword, "id -un"); err != nil || strings.TrimSpace(out) != "bob" {
		t.Fatalf("bob's password login: %v\n%s", err, out)
	}
	out, err = rb.sshPassword("carol", bobPassword, "id -un")
	refused(t, "carol's password login without ssh_password_enabled", out, err)
	out, err = rb.sshPassword("bob", "wrong-password", "id -un")
	refused(t, "bob's login with a wrong password", out, err)
	// 3. auth.login_ex agrees with sshd.
	rb.expectLogin(t, "bob", bobPassword, "SUCCESS")
	rb.expectLogin(t, "bob", "wrong-password", "AUTH_ERR")

	// Locking bob refuses his password login, and login_ex agrees.
	mustMidclt(t, nil, "user.update", bob.ID, map[string]any{"locked": true})
	out, err = rb.sshPassword("bob", bobPassword, "id -un")
	refused(t, "locked bob's password login", out, err)
	rb.expectLogin(t, "bob", bobPassword, "AUTH_ERR")

	// 4. sudo -l lists alice's sudo_commands.
	sudo, err := exec.Command("sudo", "-l", "-U", "alice").CombinedOutput()
	if err != nil || !strings.Contains(string(sudo), "/usr/bin/id") || !strings.Contains(string(sudo), "/usr/bin/true") {
		t.Fatalf("sudo -l -U alice: %v\n%s", err, sudo)
	}

	// 5. JSON-RPC through OpenSSH's stream-local forwarding to engine serve.
	rb.jsonRPCThroughSSH(t, work)

	// A deleted user cannot log in at all: her passwd line is gone.
	mustMidclt(t, nil, "user.delete", alice.ID, map[string]any{"delete_group": true})
	out, err = rb.sshKey("alice", "id")
	refused(t, "deleted alice's key login", out, err)
	if out, err := exec.Command("getent", "passwd", "alice").CombinedOutput(); err == nil {
		t.Fatalf("getent still finds alice: %s", out)
	}
	rb.expectLogin(t, "alice", "anything", "AUTH_ERR")
	mustMidclt(t, nil, "user.delete", carol.ID, map[string]any{"delete_group": true})

	// 5. A shared box: names that are sudoers words, planted symlinks,
	// swapped homes and a non-root owner's obstacles (shared_test.go).
	t.Run("shared box", func(t *testing.T) { sharedBox(t, rb, work) })
	// Every accepted form of sudo command is what the real sudo grants.
	t.Run("sudo forms", sudoFormsOnTheBox)

	// 6. shadow-utils on the real /etc (with lckpwdf's /etc/.pwd.lock)
	// while engine processes create users through midclt.
	t.Run("shadow-utils at the same time", func(t *testing.T) {
		if why := shadowUtilsMissing(); why != "" {
			t.Fatal(why)
		}
		(&shadowUtilsRun{
			root:   "/",
			prefix: "rb",
			engine: func(method string, params ...any) result {
				args, stdin := callArgs(params)
				return run(t, "midclt", append([]string{"call", method}, args...), stdin)
			},
			flags:         func(string) []string { return nil },
			engineWorkers: 4,
			engineEach:    50,
			toolUsers:     100,
			firstToolID:   41000,
		}).run(t)
	})

	// 7. Every line the box had before is still there, byte for byte.
	for f, lines := range before {
		now := map[string]bool{}
		for _, l := range fileLines(t, f) {
			now[l] = true
		}
		for _, l := range lines {
			if !now[l] {
				t.Errorf("%s lost or changed a line the box had before: %q", f, l)
			}
		}
	}
}

type realBox struct {
	port       int
	key        string // alice's private key file
	alicePub   string
	knownHosts string
}

type createdUser struct {
	ID  int64 `json:"id"`
	UID int64 `json:"uid"`
}

func (rb *realBox) createUser(t *testing.T, payload map[string]any) createdUser {
	t.Helper()
	var u createdUser
	mustMidclt(t, &u, "user.create", payload)
	return u
}

// mustMidclt runs "midclt call METHOD ... -" from PATH, as a client on the box would.
func mustMidclt(t *testing.T, into any, method string, params ...any) {
	t.Helper()
	args, stdin := callArgs(params)
	r := run(t, "midclt", append([]string{"call", method}, args...), stdin)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("midclt call %s: exit %d\n%s", method, r.code, r.stderr)
	}
	if into != nil {
		if err := json.Unmarshal([]byte(r.stdout), into); err != nil {
			t.Fatalf("midclt call %s printed %q: %v", method, r.stdout, err)
		}
	}
}

func (rb *realBox) expectLogin(t *testing.T, user, password, want string) {
	t.Helper()
	var resp struct {
		ResponseType string `json:"response_type"`
	}
	mustMidclt(t, &resp, "auth.login_ex", map[string]any{
		"mechanism": "PASSWORD_PLAIN", "username": user, "password": password,
	})
	if resp.ResponseType != want {
		t.Fatalf("auth.login_ex for %s says %s, sshd decided %s", user, resp.ResponseType, want)
	}
}

func (rb *realBox) sshArgs(user string) []string {
	return []string{
		"-p", fmt.Sprint(rb.port),
		"-o", "UserKnownHostsFile=" + rb.knownHosts, "-o", "StrictHostKeyChecking=yes",
		"-o", "ConnectTimeout=10", "-o", "NumberOfPasswordPrompts=1",
		"-F", "/dev/null",
		user + "@127.0.0.1",
	}
}

func (rb *realBox) sshKey(user, command string) (string, error) {
	args := append([]string{"-i", rb.key, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
		"-o", "PreferredAuthentications=publickey"}, rb.sshArgs(user)...)
	return sshRetry(func() *exec.Cmd { return exec.Command("ssh", append(args, command)...) })
}

// sshRetry runs an ssh command again while sshd is re-executing itself
// after the engine reloaded it (a reload closes the listening socket for a
// moment), so that a refused connection is never mistaken for a refused
// login.
func sshRetry(cmd func() *exec.Cmd) (string, error) {
	for i := 0; ; i++ {
		out, err := cmd().CombinedOutput()
		s := string(out)
		transient := strings.Contains(s, "Connection refused") || strings.Contains(s, "Connection reset") ||
			strings.Contains(s, "Connection closed") || strings.Contains(s, "kex_exchange_identification")
		if err == nil || !transient || i == 50 {
			return s, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// refused fails unless an ssh login was refused by sshd's authentication,
// not by anything else.
func refused(t *testing.T, what, out string, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: the login succeeded:\n%s", what, out)
	}
	if !strings.Contains(out, "Permission denied") {
		t.Fatalf("%s: the login failed, but not with Permission denied: %v\n%s", what, err, out)
	}
}

func (rb *realBox) sshPassword(user, password, command string) (string, error) {
	args := append([]string{"-e", "ssh", "-o", "PubkeyAuthentication=no",
		"-o", "PreferredAuthentications=password,keyboard-interactive"}, rb.sshArgs(user)...)
	return sshRetry(func() *exec.Cmd {
		cmd := exec.Command("sshpass", append(args, command)...)
		cmd.Env = append(os.Environ(), "SSHPASS="+password)
		return cmd
	})
}

// setupRealBox mounts the copies, puts the engine on PATH as midclt, and
// starts sshd. Everything it mounts disappears with the namespace.
func setupRealBox(t *testing.T, work string) *realBox {
	t.Helper()
	sh := func(name string, args ...string) {
		t.Helper()
		if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	etc := filepath.Join(work, "etc")
	must(t, os.MkdirAll(etc, 0o755))
	sh("cp", "-a", "/etc/.", etc)
	sh("mount", "--bind", etc, "/etc")
	db := filepath.Join(work, "db")
	must(t, os.MkdirAll(db, 0o700))
	must(t, os.MkdirAll(engineDBDir, 0o700))
	sh("mount", "--bind", db, engineDBDir)
	mnt := filepath.Join(work, "mnt")
	must(t, os.MkdirAll(filepath.Join(mnt, "tank"), 0o755))
	must(t, os.Chmod(work, 0o755))
	must(t, os.Chmod(mnt, 0o755))
	sh("mount", "--bind", mnt, "/mnt")

	bin := filepath.Join(work, "bin")
	must(t, os.MkdirAll(bin, 0o755))
	must(t, os.Symlink(binary, filepath.Join(bin, "midclt")))
	must(t, os.Setenv("PATH", bin+":"+os.Getenv("PATH")))
	must(t, os.Unsetenv("TRUENAS_ENGINE_ROOT"))

	// alice's key pair, generated here.
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	must(t, err)
	sshPub, err := ssh.NewPublicKey(pub)
	must(t, err)
	block, err := ssh.MarshalPrivateKey(priv, "")
	must(t, err)
	keyFile := filepath.Join(work, "alice_key")
	must(t, os.WriteFile(keyFile, pemEncode(block), 0o600))

	// sshd with its own host key and config; the engine's drop-ins under
	// /etc/ssh/sshd_config.d are included first, as Debian's config does.
	sshdDir := filepath.Join(work, "sshd")
	must(t, os.MkdirAll(sshdDir, 0o755))
	hostKey := filepath.Join(sshdDir, "host_ed25519")
	sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey)
	must(t, os.MkdirAll("/run/sshd", 0o755))
	port := freePort(t)
	// The engine reloads this sshd (SIGHUP) when its drop-in changes, as
	// the middleware reloads the ssh service on a TrueNAS box.
	must(t, os.Setenv(engine.SSHDPidFileEnv, filepath.Join(sshdDir, "sshd.pid")))
	cfg := filepath.Join(sshdDir, "sshd_config")
	must(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`Include /etc/ssh/sshd_config.d/*.conf
Port %d
ListenAddress 127.0.0.1
HostKey %s
PidFile %s/sshd.pid
UsePAM no
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
StrictModes yes
PermitRootLogin no
LogLevel VERBOSE
`, port, hostKey, sshdDir)), 0o644))
	// The first change makes the engine write its drop-ins; do one read so
	// the engine initialises before sshd starts.
	r := run(t, "midclt", []string{"call", "system.version"}, nil)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "TrueNAS-25.10.6") {
		t.Fatalf("midclt call system.version: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	sshd := exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", cfg)
	logf, err := os.Create(filepath.Join(sshdDir, "sshd.log"))
	must(t, err)
	sshd.Stdout, sshd.Stderr = logf, logf
	must(t, sshd.Start())
	t.Cleanup(func() {
		_ = sshd.Process.Kill()
		_ = sshd.Wait()
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("sshd log:\n%s", b)
		}
	})
	waitPort(t, port)
	hostPub, err := os.ReadFile(hostKey + ".pub")
	must(t, err)
	knownHosts := filepath.Join(work, "known_hosts")
	must(t, os.WriteFile(knownHosts, []byte(fmt.Sprintf("[127.0.0.1]:%d %s", port, hostPub)), 0o644))

	return &realBox{
		port:       port,
		key:        keyFile,
		alicePub:   strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub))),
		knownHosts: knownHosts,
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func fileLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	must(t, err)
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	must(t, sc.Err())
	return lines
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitPort(t *testing.T, port int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("sshd did not listen on port %d", port)
}

func pemEncode(b *pem.Block) []byte { return pem.EncodeToMemory(b) }
