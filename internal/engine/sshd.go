package engine

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// SSHDPidFileEnv names the environment variable that points the engine at
// the pid file of the sshd to reload when the engine's sshd drop-in
// changes on a box without systemd. It defaults to /run/sshd.pid, where
// Debian's sshd writes it.
const SSHDPidFileEnv = "TRUENAS_ENGINE_SSHD_PIDFILE"

// reloadSSHD makes the running sshd read its configuration again, as the
// TrueNAS middleware does after an account change, so that the
// per-user password-login rules of the drop-in take effect. sshd reads its
// configuration only when it starts or is sent SIGHUP. It acts only when
// the engine runs on the real box (root "/"); on any other root there is no
// sshd of that box to reload. Reloading is best effort: an sshd that is
// not running has nothing to reload and reads the drop-in when it starts.
func (e *Engine) reloadSSHD(ctx context.Context) {
	if e.root != "/" {
		return
	}
	pidFile := os.Getenv(SSHDPidFileEnv)
	if pidFile == "" {
		if systemdRunning() && reloadWithSystemd(ctx) {
			return
		}
		pidFile = "/run/sshd.pid"
	}
	signalSSHD(pidFile)
}

func systemdRunning() bool {
	fi, err := os.Stat("/run/systemd/system")
	return err == nil && fi.IsDir()
}

// reloadWithSystemd reloads the ssh unit (ssh.service on Debian and
// TrueNAS, sshd.service elsewhere), when it is running.
func reloadWithSystemd(ctx context.Context) bool {
	systemctl, err := exec.LookPath("systemctl")
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, unit := range []string{"ssh.service", "sshd.service"} {
		if exec.CommandContext(ctx, systemctl, "is-active", "--quiet", unit).Run() != nil {
			continue
		}
		return exec.CommandContext(ctx, systemctl, "reload", unit).Run() == nil
	}
	return false
}

// signalSSHD sends SIGHUP to the sshd whose pid the file holds, after
// checking that the process is an sshd, so that a stale pid file never
// makes the engine signal an unrelated process.
func signalSSHD(pidFile string) {
	data, err := os.ReadFile(pidFile)
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 1 {
		return
	}
	exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	if err != nil || !strings.HasPrefix(filepath.Base(exe), "sshd") {
		return
	}
	if proc, err := os.FindProcess(pid); err == nil {
		_ = proc.Signal(syscall.SIGHUP)
	}
}
