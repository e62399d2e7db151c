package systemtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// midcltErr runs "midclt call METHOD -..." that must fail, and returns its
// stderr.
func midcltErr(t *testing.T, method string, params ...any) string {
	t.Helper()
	r := engineCallPath(t, "midclt", method, params...)
	if r.code == 0 {
		t.Fatalf("midclt call %s succeeded: %s", method, r.stdout)
	}
	return r.stderr
}

func engineCallPath(t *testing.T, name, method string, params ...any) result {
	t.Helper()
	args, stdin := callArgs(params)
	return run(t, name, append([]string{"call", method}, args...), stdin)
}

// asUser runs a shell script as uid:gid (no supplementary groups), the
// way an account's owner acts on the box.
func asUser(t *testing.T, uid int64, script string) (string, error) {
	t.Helper()
	cmd := exec.Command("setpriv", "--reuid", fmt.Sprint(uid), "--regid", fmt.Sprint(uid), "--clear-groups",
		"/bin/sh", "-c", script)
	cmd.Env = []string{"PATH=/usr/bin:/bin:/usr/sbin:/sbin", "HOME=/"}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func sharedBox(t *testing.T, rb *realBox, work string) {
	base := func(name string) map[string]any {
		return map[string]any{
			"username": name, "full_name": name, "group_create": true, "home": "/mnt/tank", "home_create": true,
			"shell": "/usr/bin/bash", "password_disabled": true, "smb": false,
		}
	}
	with := func(m map[string]any, kv ...any) map[string]any {
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}

	// 1. Names that are sudoers words mean only their own account.
	all := rb.createUser(t, with(base("ALL"), "sudo_commands_nopasswd", []string{"/usr/bin/id"}))
	rb.createUser(t, with(base("Defaults"), "sudo_commands_nopasswd", []string{"/usr/bin/id"}))
	var uaGID int64
	mustMidclt(t, &uaGID, "group.create", map[string]any{"name": "User_Alias", "smb": false,
		"sudo_commands_nopasswd": []string{"/usr/bin/id"}})
	plain := rb.createUser(t, with(base("plain"), "sshpubkey", rb.alicePub))
	if out, err := exec.Command("visudo", "-c").CombinedOutput(); err != nil {
		t.Fatalf("visudo -c: %v\n%s", err, out)
	}
	out, err := asUser(t, plain.UID, "sudo -n /usr/bin/id -u")
	if err == nil || strings.TrimSpace(out) == "0" {
		t.Fatalf("plain ran id as root through a rule of ALL/Defaults/User_Alias:\n%s", out)
	}
	if out, _ := exec.Command("sudo", "-l", "-U", "plain").CombinedOutput(); !strings.Contains(string(out), "not allowed") {
		t.Fatalf("sudo -l -U plain lists rules:\n%s", out)
	}
	out, err = asUser(t, all.UID, "sudo -n /usr/bin/id -u")
	if err != nil || strings.TrimSpace(out) != "0" {
		t.Fatalf("the user named ALL did not get its own rule: %v\n%s", err, out)
	}

	// 2. A share's owner plants symlinks; root never follows them.
	victimRoot := filepath.Join(work, "victimroot") // stands for /root, outside the pool
	must(t, os.MkdirAll(filepath.Join(victimRoot, ".ssh"), 0o700))
	must(t, os.WriteFile(filepath.Join(victimRoot, ".ssh/authorized_keys"), []byte("root's key\n"), 0o600))
	owner := rb.createUser(t, base("owner"))
	share := "/mnt/tank/share"
	must(t, os.MkdirAll(share+"/sub", 0o755))
	must(t, os.Chown(share, int(owner.UID), int(owner.UID)))
	must(t, os.Chown(share+"/sub", int(owner.UID), int(owner.UID)))
	victim := rb.createUser(t, with(base("victim"), "home", share))
	victim2 := rb.createUser(t, with(base("victim2"), "home", share+"/sub"))
	if out, err := asUser(t, owner.UID, fmt.Sprintf(
		"cd %s && mv victim victim.old && ln -s %s victim && mv sub sub.old && ln -s %s sub",
		share, victimRoot, work)); err != nil {
		t.Fatalf("the owner could not swap the folders: %v\n%s", err, out)
	}
	must(t, os.Symlink(victimRoot, filepath.Join(work, "victim2")))
	for _, c := range []struct {
		id   int64
		path string
	}{{victim.ID, share + "/victim"}, {victim2.ID, share + "/sub"}} {
		stderr := midcltErr(t, "user.update", c.id, map[string]any{"sshpubkey": rb.alicePub, "home_mode": "777"})
		if !strings.Contains(stderr, c.path) {
			t.Fatalf("the error does not name %s: %s", c.path, stderr)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(victimRoot, ".ssh/authorized_keys")); string(b) != "root's key\n" {
		t.Fatalf("root's authorized_keys became %q", b)
	}
	for _, p := range []string{victimRoot, filepath.Join(victimRoot, ".ssh")} {
		var st syscall.Stat_t
		must(t, syscall.Stat(p, &st))
		if st.Uid != 0 || st.Mode&0o777 == 0o777 {
			t.Fatalf("%s was chowned or chmodded through a symlink: uid %d mode %o", p, st.Uid, st.Mode&0o7777)
		}
	}
	// Everything else keeps working.
	mustMidclt(t, nil, "user.update", plain.ID, map[string]any{"full_name": "Plain"})
	mustMidclt(t, nil, "system.version")

	// 3. A non-root owner's obstacles in their own home fail only their
	// calls; once removed, the next call repairs the home.
	for _, obstacle := range []string{"mkfifo ~/.ssh", "echo x > ~/.ssh", "mkdir -p ~/.ssh/authorized_keys/x"} {
		script := "cd /mnt/tank/plain && rm -rf .ssh && " + strings.ReplaceAll(obstacle, "~", "/mnt/tank/plain")
		if out, err := asUser(t, plain.UID, script); err != nil {
			t.Fatalf("%s: %v\n%s", obstacle, err, out)
		}
		stderr := midcltErr(t, "user.update", plain.ID, map[string]any{"sshpubkey": rb.alicePub + " " + fmt.Sprint(len(obstacle))})
		if !strings.Contains(stderr, "/mnt/tank/plain/.ssh") {
			t.Fatalf("%s: the error does not name the path: %s", obstacle, stderr)
		}
		mustMidclt(t, nil, "user.update", all.ID, map[string]any{"full_name": "All " + fmt.Sprint(len(obstacle))})
		mustMidclt(t, nil, "system.version")
		if out, err := asUser(t, plain.UID, "rm -rf /mnt/tank/plain/.ssh"); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		mustMidclt(t, nil, "user.query", [][]any{{"username", "=", "plain"}})
		out, err := rb.sshKey("plain", "id -un")
		if err != nil || strings.TrimSpace(out) != "plain" {
			t.Fatalf("%s: plain's key login after the repair: %v\n%s", obstacle, err, out)
		}
	}
	_ = uaGID

	// 4. A symlinked /etc/shadow pointing at a 0777 file: the next write
	// puts a regular file of a safe mode in its place, never a world-
	// readable file with hashes.
	loose := filepath.Join(work, "loose-shadow")
	data, err := os.ReadFile("/etc/shadow")
	must(t, err)
	must(t, os.WriteFile(loose, data, 0o777))
	must(t, os.Chmod(loose, 0o777))
	must(t, os.Remove("/etc/shadow"))
	must(t, os.Symlink(loose, "/etc/shadow"))
	mustMidclt(t, nil, "user.update", all.ID, map[string]any{"full_name": "All again"})
	for _, p := range []string{"/etc/shadow", "/etc/shadow-"} {
		fi, err := os.Lstat(p)
		must(t, err)
		if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o007 != 0 || fi.Mode().Perm()&0o020 != 0 {
			t.Fatalf("%s is %v after a write", p, fi.Mode())
		}
	}
	if out, err := asUser(t, plain.UID, "cat /etc/shadow"); err == nil {
		t.Fatalf("a user can read /etc/shadow:\n%s", out)
	}
}
