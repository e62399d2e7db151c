package systemtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// shadowUtilsMissing says why the shadow-utils interop cannot run here.
func shadowUtilsMissing() string {
	if os.Geteuid() != 0 {
		return "shadow-utils' useradd & co need root"
	}
	for _, tool := range []string{"useradd", "usermod", "groupadd", "gpasswd", "passwd", "chpasswd"} {
		if _, err := exec.LookPath(tool); err != nil {
			return tool + " is missing (make deps installs the passwd package with apt-get)"
		}
	}
	return ""
}

// shadowUtilsRun runs, at the same time on the account files of root,
// engine calls (engine: user.create, which also creates a group, from
// engineWorkers callers) and Debian's shadow-utils: useradd, usermod,
// chpasswd and passwd on toolUsers users, groupadd and gpasswd on their
// groups. flags gives each tool's arguments to work on root (--prefix
// or --root; none on the real /etc). Then every line of passwd, group,
// shadow and gshadow must parse, every change of both sides be there,
// and no lock be left behind.
type shadowUtilsRun struct {
	root          string
	prefix        string // names of this run's accounts start with it
	engine        func(method string, params ...any) result
	flags         func(tool string) []string
	engineWorkers int
	engineEach    int
	toolUsers     int
	firstToolID   int
}

func (s *shadowUtilsRun) run(t *testing.T) {
	// A tool that could not take a lock ("cannot lock ..., try again
	// later": --prefix tries 15 times a second apart, a tool under
	// lckpwdf once, and the tools also keep each other out) changed
	// nothing: it is run again, as an admin would, and counted.
	var mu sync.Mutex
	lockRetries := 0
	tool := func(stdin string, name string, args ...string) error {
		args = append(s.flags(name), args...)
		for try := 0; ; try++ {
			cmd := exec.Command(name, args...)
			cmd.Stdin = strings.NewReader(stdin)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			if err == nil {
				return nil
			}
			if try < 50 && strings.Contains(out.String(), "cannot lock") {
				mu.Lock()
				lockRetries++
				mu.Unlock()
				time.Sleep(100 * time.Millisecond)
				continue
			}
			return fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
		}
	}
	hash := "$6$shadowutils$" + strings.Repeat("h", 86)
	var wg sync.WaitGroup
	errs := make(chan error, 1024)
	wg.Add(1)
	go func() { // users, one after the other through their changes
		defer wg.Done()
		for i := range s.toolUsers {
			u := fmt.Sprintf("%stu%03d", s.prefix, i)
			id := fmt.Sprint(s.firstToolID + i)
			for _, step := range []func() error{
				func() error {
					return tool("", "useradd", "-l", "-M", "-N", "-g", "100", "-u", id, "-s", "/bin/sh", "-c", "made", u)
				},
				func() error { return tool("", "usermod", "-c", "Tool "+u, u) },
				func() error { return tool(u+":"+hash+"\n", "chpasswd", "-e") },
				func() error { return tool("", "passwd", "-l", u) },
			} {
				if err := step(); err != nil {
					errs <- err
					return
				}
			}
		}
	}()
	wg.Add(1)
	go func() { // groups, and the tool users as their members
		defer wg.Done()
		for i := 0; i < s.toolUsers; i += 2 {
			g := fmt.Sprintf("%stg%03d", s.prefix, i)
			if err := tool("", "groupadd", "-g", fmt.Sprint(s.firstToolID+i), g); err != nil {
				errs <- err
				return
			}
			// gpasswd -a needs the user: the root user is always there.
			if err := tool("", "gpasswd", "-a", "root", g); err != nil {
				errs <- err
				return
			}
		}
	}()
	for w := range s.engineWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range s.engineEach {
				r := s.engine("user.create", newUser(fmt.Sprintf("%se%dx%02d", s.prefix, w, i)))
				if r.code != 0 {
					errs <- fmt.Errorf("engine worker %d user %d: exit %d: %s", w, i, r.code, r.stderr)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	t.Logf("%d engine user.create and %d shadow-utils runs at the same time; %d tool runs found a lock taken and were run again",
		s.engineWorkers*s.engineEach, s.toolUsers*4+s.toolUsers/2*2, lockRetries)

	etc := filepath.Join(s.root, "etc")
	passwd := parseColonFile(t, filepath.Join(etc, "passwd"), 7)
	shadow := parseColonFile(t, filepath.Join(etc, "shadow"), 9)
	group := parseColonFile(t, filepath.Join(etc, "group"), 4)
	gshadow := parseColonFile(t, filepath.Join(etc, "gshadow"), 4)
	for i := range s.toolUsers {
		u := fmt.Sprintf("%stu%03d", s.prefix, i)
		if p, ok := passwd[u]; !ok || p[4] != "Tool "+u || p[2] != fmt.Sprint(s.firstToolID+i) {
			t.Errorf("etc/passwd lost useradd's or usermod's change of %s: %q", u, p)
		}
		if sh, ok := shadow[u]; !ok || sh[1] != "!"+hash {
			t.Errorf("etc/shadow lost chpasswd's or passwd -l's change of %s: %q", u, sh)
		}
	}
	for i := 0; i < s.toolUsers; i += 2 {
		g := fmt.Sprintf("%stg%03d", s.prefix, i)
		if l, ok := group[g]; !ok || l[3] != "root" {
			t.Errorf("etc/group lost groupadd's or gpasswd's change of %s: %q", g, l)
		}
		if l, ok := gshadow[g]; !ok || l[3] != "root" {
			t.Errorf("etc/gshadow lost groupadd's or gpasswd's change of %s: %q", g, l)
		}
	}
	var users []dbUser
	r := s.engine("user.query", []any{[]any{"username", "^", s.prefix + "e"}})
	if r.code != 0 {
		t.Fatalf("user.query: %s", r.stderr)
	}
	must(t, json.Unmarshal([]byte(r.stdout), &users))
	if len(users) != s.engineWorkers*s.engineEach {
		t.Fatalf("the store has %d of the engine's users, want %d", len(users), s.engineWorkers*s.engineEach)
	}
	for _, u := range users {
		p, ok := passwd[u.Username]
		if !ok || p[2] != fmt.Sprint(u.UID) {
			t.Errorf("etc/passwd lost the engine's %s: %q", u.Username, p)
		}
		if _, ok := shadow[u.Username]; !ok {
			t.Errorf("etc/shadow lost the engine's %s", u.Username)
		}
		if _, ok := group[u.Username]; !ok {
			t.Errorf("etc/group lost the engine's group %s", u.Username)
		}
	}
	entries, err := os.ReadDir(etc)
	must(t, err)
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, ".lock") && n != ".pwd.lock" {
			t.Errorf("a lock is left in etc: %s", n)
		}
	}
}

// TestShadowUtilsPrefix: shadow-utils working on a root with --prefix
// (useradd, usermod, groupadd) and --root (gpasswd, chpasswd, passwd,
// which then take the root's etc/.pwd.lock through lckpwdf), while
// engine processes create users on the same root.
func TestShadowUtilsPrefix(t *testing.T) {
	if why := shadowUtilsMissing(); why != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("the shadow-utils test must run in CI: %s", why)
		}
		t.Skip(why)
	}
	root := seedRoot(t)
	must(t, os.WriteFile(filepath.Join(root, "etc/gshadow"), []byte("root:*::\ndaemon:*::\nusers:*::\nnogroup:*::\n"), 0o640))
	seed := seedNames(t, root)
	s := &shadowUtilsRun{
		root:   root,
		prefix: "p",
		engine: func(method string, params ...any) result { return engineCall(t, root, method, params...) },
		flags: func(tool string) []string {
			switch tool {
			case "useradd", "usermod", "groupadd":
				return []string{"--prefix", root}
			case "gpasswd":
				return []string{"-Q", root}
			}
			return []string{"--root", root}
		},
		engineWorkers: 4,
		engineEach:    50,
		toolUsers:     100,
		firstToolID:   20000,
	}
	s.run(t)
	if t.Failed() {
		return
	}
	for i := range s.toolUsers {
		seed[fmt.Sprintf("u:ptu%03d", i)] = true
		seed[fmt.Sprintf("g:ptg%03d", i)] = true
	}
	checkBoxAgrees(t, root, seed)
}
