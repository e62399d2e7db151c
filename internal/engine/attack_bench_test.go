//go:build unix

package engine

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// BenchmarkServeMemoryUnderAttack prints the peak RSS (VmHWM) of the real
// `truenas-engine serve` (the binary TestMain builds, in a child process) at
// 10,000 users while one READONLY_ADMIN uid holds its 32 connections, each
// sending 20 user.query calls and never reading an answer; next to it, the
// same engine's idle peak and its peak after one user.query read by its
// caller, measured in the same run. The attacker is another child running
// as that uid. Needs root (setuid of the attacker, peer credentials).
//
//	go test ./internal/engine/ -run '^$' -bench ServeMemoryUnderAttack -benchtime 1x
func BenchmarkServeMemoryUnderAttack(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root: the attacker runs as another uid")
	}
	const users = 10000
	e := openTest(b)
	seedUsers(b, e, users)
	ro := groupID(&testing.T{}, e, "truenas_readonly_administrators")
	mustCall(b, e, "user.update", fmt.Sprint(firstSeedID(b, e)), `{"groups":[`+ro+`]}`)
	root := e.Root()
	e.Close()

	dir := socketBase(&testing.T{})
	if err := os.Chmod(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	sock := filepath.Join(dir, "middlewared.sock")
	// The real binary TestMain built (or the test binary standing in).
	srv := exec.Command(filepath.Join(binDir, "truenas-engine"), "--root", root, "serve", "--socket", sock)
	stderr, _ := srv.StderrPipe()
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { srv.Process.Signal(syscall.SIGTERM); srv.Wait() }()
	sc := bufio.NewScanner(stderr)
	var said []string
	for sc.Scan() && !strings.Contains(sc.Text(), "listening on") {
		said = append(said, sc.Text())
	}
	if sc.Err() != nil || len(said) > 0 && !strings.Contains(sc.Text(), "listening on") {
		b.Fatalf("engine serve did not start: %s", strings.Join(said, "\n"))
	}
	go func() {
		for sc.Scan() {
		}
	}()
	pid := srv.Process.Pid
	idle := vmHWM(b, pid)

	// One query read by a root client, as a yardstick.
	rootc := dialSocket(b, sock)
	if _, err := rootc.call("user.query", `[]`, `{"count":true}`); err != nil {
		b.Fatal(err)
	}
	one := time.Now()
	if _, err := rootc.call("user.query"); err != nil {
		b.Fatal(err)
	}
	oneQuery := time.Since(one)
	afterOne := vmHWM(b, pid)

	// The attacker runs as uid 3000: a copy of this binary it may run.
	bin, err := os.ReadFile(os.Args[0])
	if err != nil {
		b.Fatal(err)
	}
	attBin := filepath.Join(dir, "attacker")
	if err := os.WriteFile(attBin, bin, 0o755); err != nil {
		b.Fatal(err)
	}
	att := exec.Command(attBin, "-test.run=^TestHelperAttacker$")
	att.Dir = dir
	att.Env = append(os.Environ(), "ENGINE_ATTACK_SOCKET="+sock)
	att.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 3000, Gid: 3000}}
	out, _ := att.StdoutPipe()
	att.Stderr = os.Stderr
	if err := att.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { att.Process.Kill(); att.Wait() }()
	asc := bufio.NewScanner(out)
	if !asc.Scan() || asc.Text() != "sent" {
		b.Fatalf("attacker: %q %v", asc.Text(), asc.Err())
	}
	// Let it run: the answers are built, budgets fill, writes block.
	var peak int64
	var rootLatency time.Duration
	for i := range 20 {
		time.Sleep(time.Second)
		peak = max(peak, vmHWM(b, pid))
		if i == 10 {
			// Root is not held by the attacker's budget.
			t0 := time.Now()
			if _, err := rootc.call("system.version"); err != nil {
				b.Fatal(err)
			}
			rootLatency = time.Since(t0)
		}
	}
	mib := func(kb int64) float64 { return float64(kb) / 1024 }
	b.ReportMetric(mib(peak), "peak-MiB")
	b.ReportMetric(mib(idle), "idle-MiB")
	fmt.Printf("engine serve, %d users: peak RSS idle %.1f MiB; after one user.query (%v) %.1f MiB; "+
		"under attack (1 READONLY_ADMIN uid, 32 connections x 20 user.query, never read, 20 s) %.1f MiB (%.2fx idle); "+
		"root's system.version during the attack %v\n",
		users, mib(idle), oneQuery.Round(time.Millisecond), mib(afterOne), mib(peak), float64(peak)/float64(idle), rootLatency.Round(time.Millisecond))
	if mib(peak) > 256 {
		b.Errorf("peak RSS under attack %.1f MiB, over 256 MiB", mib(peak))
	}
}

func firstSeedID(b *testing.B, e *Engine) int64 {
	var id int64
	if err := e.db.QueryRow(`SELECT id FROM users WHERE username = 'seed00000'`).Scan(&id); err != nil {
		b.Fatal(err)
	}
	return id
}

// vmHWM is the peak resident set of process pid, in KiB.
func vmHWM(b *testing.B, pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	b.Fatal("no VmHWM")
	return 0
}

func dialSocket(tb testing.TB, sock string) *rpcConn {
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}}
	c, _, err := websocket.Dial(context.Background(), "ws://localhost"+wire.APIPath, &websocket.DialOptions{HTTPClient: client})
	if err != nil {
		tb.Fatal(err)
	}
	c.SetReadLimit(1 << 30)
	tb.Cleanup(func() { c.CloseNow() })
	t, _ := tb.(*testing.T)
	if t == nil {
		t = &testing.T{}
	}
	return &rpcConn{t: t, c: c}
}

// TestHelperAttacker opens 32 connections to ENGINE_ATTACK_SOCKET, sends
// 20 user.query calls on each, prints "sent" and never reads.
func TestHelperAttacker(t *testing.T) {
	sock := os.Getenv("ENGINE_ATTACK_SOCKET")
	if sock == "" {
		t.Skip("a helper process")
	}
	var conns []*websocket.Conn
	for range MaxConnsPerUID {
		client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}}}
		c, _, err := websocket.Dial(context.Background(), "ws://localhost"+wire.APIPath, &websocket.DialOptions{HTTPClient: client})
		if err != nil {
			fmt.Println("dial:", err)
			os.Exit(1)
		}
		conns = append(conns, c)
	}
	for i := range 20 {
		for _, c := range conns {
			msg := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"user.query","params":[]}`, i)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
				// The engine stops reading a connection with an unsent
				// answer: the rest stays in the socket's buffer.
				_ = err
			}
			cancel()
		}
	}
	fmt.Println("sent")
	time.Sleep(time.Hour)
}
