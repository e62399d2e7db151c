// Command perf measures the provider against an in-process sandbox box:
// for N users (default 10, 100 and 1000) it applies a configuration of N
// truenas_user resources, then plans it again (a refresh plan that must show
// no changes), next to the same N of Terraform's built-in terraform_data
// resources and to the same users on a second sandbox that refuses the
// middleware socket channel (so the provider falls back to `midclt call`,
// the old transport), and prints a table of wall times, the SSH connections and
// sessions and the engine calls the sandbox saw, and the provider's peak
// memory.
//
//	go run ./scripts/perf [-n 10,100,1000] [-repeat 3] [-destroy]
//
// or `make perf` (which builds bin/terraform-provider-truenas and bin/terraform
// first; extra flags in PERF_ARGS). Everything lives in one temporary folder
// (a fresh sandbox per N, the Terraform CLI configuration with dev_overrides
// to the provider's folder, the working folders and their logs), removed at
// the end, on failure and on Ctrl-C too (-keep keeps it for a look). The
// user's ~/.terraformrc is never read and no `terraform init` is needed.
//
// Peak memory is VmHWM ("peak resident set size") from /proc/PID/status,
// polled every -poll for the terraform process and for each provider
// process it starts (its children running terraform-provider-truenas);
// the value shown is the largest over those processes. Growth in the last
// poll interval before a process exits can be missed. CPU time (user +
// system) is shown too: the provider's from /proc/PID/stat as last polled,
// and terraform's together with the children it waited for (its rusage).
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/nasops/terraform-provider-truenas/internal/sandbox"
)

const providerName = "terraform-provider-truenas"

type options struct {
	ns        []int
	repeat    int
	destroy   bool
	keep      bool
	poll      time.Duration
	terraform string
	provider  string

	loadBefore string
}

func main() {
	os.Exit(run())
}

func run() int {
	var o options
	var nList string
	flag.StringVar(&nList, "n", "10,100,1000", "comma-separated numbers of resources")
	flag.IntVar(&o.repeat, "repeat", 3, "plans per N and kind (interleaved); the table shows the median")
	flag.BoolVar(&o.destroy, "destroy", false, "also measure terraform destroy")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary folder (logs, states, sandboxes)")
	flag.DurationVar(&o.poll, "poll", 10*time.Millisecond, "how often /proc is polled for peak memory")
	flag.StringVar(&o.terraform, "terraform", "", "terraform binary (default: bin/terraform of the module)")
	flag.StringVar(&o.provider, "provider", "", "provider binary (default: bin/"+providerName+" of the module, built if missing)")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "perf: unexpected arguments:", flag.Args())
		return 2
	}
	for s := range strings.SplitSeq(nList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "perf: -n: %q is not a positive number\n", s)
			return 2
		}
		o.ns = append(o.ns, n)
	}
	if o.repeat < 1 {
		o.repeat = 1
	}

	o.loadBefore = loadAverage()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	tmp, err := os.MkdirTemp("", "truenas-perf-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "perf:", err)
		return 1
	}
	results, err := perf(ctx, o, tmp)
	if len(results) > 0 {
		fmt.Println()
		printTable(os.Stdout, results, o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "\nperf: FAILED:", err)
	}
	if o.keep {
		fmt.Fprintln(os.Stderr, "perf: kept", tmp)
	} else if rerr := os.RemoveAll(tmp); rerr != nil {
		fmt.Fprintln(os.Stderr, "perf: cannot remove", tmp+":", rerr)
	}
	if err != nil {
		return 1
	}
	return 0
}

// perf runs every measurement, returning those done so far on failure.
func perf(ctx context.Context, o options, tmp string) ([]result, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	if o.terraform == "" {
		o.terraform = filepath.Join(root, "bin", "terraform")
	}
	if _, err := os.Stat(o.terraform); err != nil {
		return nil, fmt.Errorf("terraform: %v (run `make terraform`)", err)
	}
	if o.provider == "" {
		o.provider = filepath.Join(root, "bin", providerName)
		if _, err := os.Stat(o.provider); errors.Is(err, os.ErrNotExist) {
			o.provider = filepath.Join(tmp, "bin", providerName)
			fmt.Fprintln(os.Stderr, "perf: building", o.provider)
			cmd := exec.CommandContext(ctx, "go", "build", "-o", o.provider, ".")
			cmd.Dir, cmd.Stdout, cmd.Stderr = root, os.Stderr, os.Stderr
			if err := cmd.Run(); err != nil {
				return nil, fmt.Errorf("go build: %v", err)
			}
		}
	}
	if o.provider, err = filepath.Abs(o.provider); err != nil {
		return nil, err
	}
	if filepath.Base(o.provider) != providerName {
		return nil, fmt.Errorf("-provider must be named %s (dev_overrides looks it up by name)", providerName)
	}
	if _, err := os.Stat(o.provider); err != nil {
		return nil, fmt.Errorf("provider: %v", err)
	}
	rc := filepath.Join(tmp, "terraformrc")
	rcText := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"registry.terraform.io/nasops/truenas\" = %q\n  }\n  direct {}\n}\n", filepath.Dir(o.provider))
	if err := os.WriteFile(rc, []byte(rcText), 0o644); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "perf: terraform %s, provider %s, temporary folder %s\n", o.terraform, o.provider, tmp)

	var results []result
	for _, n := range o.ns {
		rs, err := perfN(ctx, o, tmp, rc, n)
		results = append(results, rs...)
		if err != nil {
			return results, fmt.Errorf("with %d resources: %w", n, err)
		}
	}
	return results, nil
}

// perfN measures one N on a fresh sandbox.
func perfN(ctx context.Context, o options, tmp, rc string, n int) (results []result, err error) {
	dir := filepath.Join(tmp, fmt.Sprintf("n%d", n))
	logf, err := createLog(filepath.Join(dir, "sandbox.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	sb, err := sandbox.Start(ctx, sandbox.Options{Dir: filepath.Join(dir, "sandbox"), Listen: "127.0.0.1:0", Log: logf})
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := sb.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("sandbox: %v", cerr)
		}
	}()

	// The old transport, on a box of its own: an SSH server that refuses the
	// middleware socket channel, so the provider runs `midclt call` with the
	// payload on stdin, one SSH session per call.
	sbMidclt, err := sandbox.Start(ctx, sandbox.Options{Dir: filepath.Join(dir, "sandbox-midclt"), Listen: "127.0.0.1:0", Log: logf, NoStreamLocal: true})
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := sbMidclt.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("sandbox: %v", cerr)
		}
	}()

	env := terraformEnv(rc)
	boxEnv := func(b *sandbox.Sandbox) []string {
		return append(slices.Clone(env),
			"TRUENAS_HOST="+b.Host, "TRUENAS_PORT="+strconv.Itoa(b.Port), "TRUENAS_USER=root",
			"TRUENAS_PRIVATE_KEY_FILE="+b.ClientKeyFile, "TRUENAS_KNOWN_HOSTS_FILE="+b.KnownHostsFile)
	}
	kinds := []struct {
		name, tf string
		env      []string
		box      *sandbox.Sandbox
	}{
		{"truenas_user", userConfig(n), boxEnv(sb), sb},
		{"truenas_user (midclt)", userConfig(n), boxEnv(sbMidclt), sbMidclt},
		{"terraform_data", dataConfig(n), env, sb},
	}
	boxOf := map[string]*sandbox.Sandbox{}
	for _, k := range kinds {
		boxOf[k.name] = k.box
	}
	work := map[string]string{}
	for _, k := range kinds {
		w := filepath.Join(dir, strings.NewReplacer(" ", "-", "(", "", ")", "").Replace(k.name))
		if err := os.MkdirAll(w, 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(w, "main.tf"), []byte(k.tf), 0o644); err != nil {
			return nil, err
		}
		work[k.name] = w
	}
	measure := func(kind string, env []string, command string, args ...string) (result, error) {
		fmt.Fprintf(os.Stderr, "perf: N=%d %s: terraform %s\n", n, kind, command)
		before := boxOf[kind].Stats()
		r, err := o.terraformRun(ctx, work[kind], env, command, args...)
		after := boxOf[kind].Stats()
		r.n, r.kind, r.command = n, kind, command
		r.connections = after.Connections - before.Connections
		r.sessions = after.Sessions - before.Sessions
		r.channels = after.StreamLocal - before.StreamLocal
		r.calls = after.Calls - before.Calls
		return r, err
	}

	for _, k := range kinds {
		r, err := measure(k.name, k.env, "apply", "apply", "-auto-approve", "-input=false", "-no-color")
		if err != nil {
			return results, err
		}
		results = append(results, r)
	}
	// Plans interleaved, so a slow moment of the machine hits both kinds.
	plans := map[string][]result{}
	for i := 0; i < o.repeat; i++ {
		for _, k := range slices.Backward(kinds) {
			r, err := measure(k.name, k.env, "plan", "plan", "-input=false", "-no-color", "-detailed-exitcode")
			if err != nil {
				return results, err
			}
			plans[k.name] = append(plans[k.name], r)
		}
	}
	for _, k := range kinds {
		results = append(results, median(plans[k.name]))
	}
	if o.destroy {
		for _, k := range kinds {
			r, err := measure(k.name, k.env, "destroy", "destroy", "-auto-approve", "-input=false", "-no-color")
			if err != nil {
				return results, err
			}
			results = append(results, r)
		}
	}
	return results, nil
}

// userConfig is N users, each with its own primary group, no password and
// no home: the cheapest users the box can make.
func userConfig(n int) string {
	return fmt.Sprintf(`terraform {
  required_providers {
    truenas = {
      source = "nasops/truenas"
    }
  }
}

provider "truenas" {}

resource "truenas_user" "u" {
  count             = %d
  username          = "perf${count.index}"
  full_name         = "Perf User ${count.index}"
  group_create      = true
  password_disabled = true
  smb               = false
}
`, n)
}

// dataConfig is N terraform_data resources holding a similar object.
func dataConfig(n int) string {
	return fmt.Sprintf(`resource "terraform_data" "u" {
  count = %d
  input = {
    username          = "perf${count.index}"
    full_name         = "Perf User ${count.index}"
    group_create      = true
    password_disabled = true
    smb               = false
  }
}
`, n)
}

// terraformEnv is the environment of every terraform command: this
// process's, without Terraform, TrueNAS and SSH agent settings, plus the
// CLI configuration in the temporary folder.
func terraformEnv(rc string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "TF_") || strings.HasPrefix(name, "TRUENAS_") || name == "SSH_AUTH_SOCK" ||
			name == "CHECKPOINT_DISABLE" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1", "TF_INPUT=0", "CHECKPOINT_DISABLE=1")
}

// result is one terraform command's measurement.
type result struct {
	n                                 int
	kind, command                     string
	wall                              time.Duration
	walls                             []time.Duration // every run, for plans
	connections, sessions, calls      int64
	channels                          int64 // middleware socket channels (websockets)
	providerProcs                     int
	providerPeakKiB, terraformPeakKiB int64
	providerCPU, totalCPU             time.Duration
}

// terraformRun runs one terraform command in dir, timing it and polling
// the peak memory of terraform and its provider processes.
func (o options) terraformRun(ctx context.Context, dir string, env []string, command string, args ...string) (result, error) {
	var r result
	logName := filepath.Join(dir, command+".log")
	logf, err := createLog(logName)
	if err != nil {
		return r, err
	}
	defer logf.Close()
	cmd := exec.CommandContext(ctx, o.terraform, args...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, logf, logf
	// On Ctrl-C, let terraform stop its providers itself.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return r, err
	}
	p := &poller{tf: cmd.Process.Pid, provider: o.provider, seen: map[int]int64{}, cpu: map[int]time.Duration{}}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(o.poll)
		defer t.Stop()
		for {
			p.poll()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	err = cmd.Wait()
	r.wall = time.Since(start)
	close(done)
	wg.Wait()
	r.walls = []time.Duration{r.wall}
	r.terraformPeakKiB = p.tfPeak
	r.providerProcs = len(p.seen)
	for _, kib := range p.seen {
		r.providerPeakKiB = max(r.providerPeakKiB, kib)
	}
	for _, d := range p.cpu {
		r.providerCPU += d
	}
	if cmd.ProcessState != nil {
		// terraform's own and that of its children it waited for.
		r.totalCPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil {
		var ee *exec.ExitError
		if command == "plan" && errors.As(err, &ee) && ee.ExitCode() == 2 {
			err = errors.New("the plan shows changes: the provider drifts")
		}
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return r, fmt.Errorf("terraform %s in %s: %v\n%s", command, dir, err, tail(logName, 30))
	}
	return r, nil
}

// poller follows the peak RSS (VmHWM) of terraform and of its children
// that run the provider.
type poller struct {
	tf       int
	provider string
	tfPeak   int64
	seen     map[int]int64         // provider pid -> peak KiB
	cpu      map[int]time.Duration // provider pid -> CPU time so far
}

func (p *poller) poll() {
	if kib, ok := vmHWM(p.tf); ok {
		p.tfPeak = max(p.tfPeak, kib)
	}
	for _, pid := range children(p.tf) {
		if _, ok := p.seen[pid]; !ok {
			exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
			if err != nil || !strings.HasPrefix(filepath.Base(exe), providerName) {
				continue
			}
		}
		if kib, ok := vmHWM(pid); ok {
			p.seen[pid] = max(p.seen[pid], kib)
		}
		if d, ok := cpuTime(pid); ok {
			p.cpu[pid] = max(p.cpu[pid], d)
		}
	}
}

// children lists the child processes of pid, from
// /proc/PID/task/*/children, or by scanning /proc when the kernel has no
// such file.
func children(pid int) []int {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return nil
	}
	var out []int
	found := false
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, t.Name()))
		if err != nil {
			continue
		}
		found = true
		for f := range strings.FieldsSeq(string(b)) {
			if c, err := strconv.Atoi(f); err == nil {
				out = append(out, c)
			}
		}
	}
	if found {
		return out
	}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		c, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i >= 0 {
			if f := strings.Fields(s[i+1:]); len(f) > 1 && f[1] == strconv.Itoa(pid) {
				out = append(out, c)
			}
		}
	}
	return out
}

// vmHWM reads the peak resident set size of a process, in KiB.
func vmHWM(pid int) (int64, bool) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// cpuTime reads the user+system CPU time of a process so far, from
// /proc/PID/stat (in clock ticks, USER_HZ = 100 on Linux).
func cpuTime(pid int) (time.Duration, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	// After "(comm)": state ppid pgrp session tty tpgid flags minflt
	// cminflt majflt cmajflt utime stime ...
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(u+st) * 10 * time.Millisecond, true
}

// median picks the run with the median wall time, keeping every wall time
// and the largest counters seen (they should not vary between runs).
func median(rs []result) result {
	s := slices.Clone(rs)
	slices.SortFunc(s, func(a, b result) int { return int(a.wall - b.wall) })
	m := s[len(s)/2]
	m.walls = nil
	for _, r := range rs {
		m.walls = append(m.walls, r.wall)
		m.connections = max(m.connections, r.connections)
		m.sessions = max(m.sessions, r.sessions)
		m.calls = max(m.calls, r.calls)
		m.providerPeakKiB = max(m.providerPeakKiB, r.providerPeakKiB)
		m.terraformPeakKiB = max(m.terraformPeakKiB, r.terraformPeakKiB)
		m.providerProcs = max(m.providerProcs, r.providerProcs)
	}
	return m
}

func printTable(w io.Writer, rs []result, o options) {
	wall := map[[3]any]time.Duration{}
	for _, r := range rs {
		wall[[3]any{r.n, r.kind, r.command}] = r.wall
	}
	fmt.Fprintf(w, "Machine: %d CPUs; load average before %s, after %s.\n", runtime.NumCPU(), o.loadBefore, loadAverage())
	fmt.Fprintf(w, "wall: one terraform command (plans: the median of %d runs, the two kinds interleaved; every run under runs);\n", o.repeat)
	fmt.Fprintln(w, "conns/sessions/sockets/calls: SSH connections, SSH sessions (midclt), middleware socket channels (JSON-RPC websockets)")
	fmt.Fprintln(w, "and engine calls the sandbox saw during it; truenas_user speaks JSON-RPC on the socket channel, truenas_user (midclt)")
	fmt.Fprintln(w, "is the same against a box that refuses it, so `midclt call` with the payload on stdin, one session per call;")
	fmt.Fprintln(w, "peak RSS: largest VmHWM from /proc/PID/status polled every", o.poll, "(prov = over the provider processes")
	fmt.Fprintln(w, "terraform started, their number in brackets; tf = the terraform process, which runs terraform_data itself);")
	fmt.Fprintln(w, "CPU: user+system; prov from /proc/PID/stat as last polled, all = terraform and the children it waited for,")
	fmt.Fprintln(w, "tf = all - prov: Terraform's own work, which a provider costing nothing would still leave;")
	fmt.Fprintln(w, "ratio: truenas_user wall time / terraform_data wall time, same N and command, same run.")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "N\tkind\tcommand\twall s\tconns\tsessions\tsockets\tcalls\tprov RSS MiB\ttf RSS MiB\tprov CPU s\ttf CPU s\tall CPU s\tratio\truns s\t")
	for _, r := range rs {
		ratio, prov := "", "-"
		isUser := strings.HasPrefix(r.kind, "truenas_user")
		if isUser {
			if d := wall[[3]any{r.n, "terraform_data", r.command}]; d > 0 {
				ratio = fmt.Sprintf("%.2f", r.wall.Seconds()/d.Seconds())
			}
			prov = fmt.Sprintf("%.1f (%d)", mib(r.providerPeakKiB), r.providerProcs)
		}
		runs := ""
		if len(r.walls) > 1 {
			var ss []string
			for _, d := range r.walls {
				ss = append(ss, fmt.Sprintf("%.2f", d.Seconds()))
			}
			runs = strings.Join(ss, " ")
		}
		provCPU := "-"
		tfCPU := r.totalCPU
		if isUser {
			provCPU = fmt.Sprintf("%.2f", r.providerCPU.Seconds())
			tfCPU -= r.providerCPU
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%.2f\t%d\t%d\t%d\t%d\t%s\t%.1f\t%s\t%.2f\t%.2f\t%s\t%s\t\n", r.n, r.kind, r.command, r.wall.Seconds(),
			r.connections, r.sessions, r.channels, r.calls, prov, mib(r.terraformPeakKiB), provCPU, tfCPU.Seconds(), r.totalCPU.Seconds(), ratio, runs)
	}
	tw.Flush()

	// The goals of the issue, for the truenas plans.
	fmt.Fprintln(w)
	var calls []int64
	for _, r := range rs {
		if r.kind != "truenas_user" || r.command != "plan" {
			continue
		}
		calls = append(calls, r.calls)
		fmt.Fprintf(w, "goal N=%d plan: one SSH connection: %s (%d); ", r.n, verdict(r.connections <= 1), r.connections)
		if d := wall[[3]any{r.n, "terraform_data", "plan"}]; d > 0 {
			ratio := r.wall.Seconds() / d.Seconds()
			fmt.Fprintf(w, "within 2x terraform_data: %s (%.2fx)\n", verdict(ratio <= 2), ratio)
		} else {
			fmt.Fprintln(w)
		}
	}
	if len(calls) > 1 {
		fmt.Fprintf(w, "goal engine calls per plan independent of N: %s (%v)\n",
			verdict(slices.Min(calls) == slices.Max(calls)), calls)
	}
}

// loadAverage is the 1-minute load average, from /proc/loadavg.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "?"
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

func mib(kib int64) float64 { return float64(kib) / 1024 }

func createLog(name string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return nil, err
	}
	return os.Create(name)
}

// tail returns the last n lines of a file.
func tail(name string, n int) string {
	b, err := os.ReadFile(name)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "--- last lines of " + filepath.Base(name) + " ---\n" + strings.Join(lines, "\n")
}

// moduleRoot finds the folder of go.mod from the working folder up.
func moduleRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		p := filepath.Dir(d)
		if p == d {
			return "", errors.New("no go.mod above the working folder: run from the repository")
		}
		d = p
	}
}
