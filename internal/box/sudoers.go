//go:build unix

package box

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/nasops/terraform-provider-truenas/internal/sudoers"
)

// sudoersContent renders the rules of TrueNAS's sudoers.mako, with one
// difference: the account is named by its id, never by its name:
//
//	# alice
//	#3001 ALL=(ALL) ALL
//	# bob
//	#3002 ALL=(ALL) /usr/bin/ls, NOPASSWD: /usr/bin/id -u
//	# group admins
//	%#3000 ALL=(ALL) NOPASSWD: ALL
//
// A name in that place is read by sudo as a word of its grammar when it is
// one: a user named ALL would give its rule to every account, Defaults or
// User_Alias would change what the line is. "#uid" and "%#gid" can only
// mean that one account (sudoers(5), "User_List"), whatever the name. The
// name is kept in the comment line above (names hold no line break or
// backslash: validate).
//
// Each command is rendered from its words (internal/sudoers: split as
// TrueNAS splits it, , : = # escaped, ALL only alone); one that sudo would
// read otherwise than asked leaves its account out (bad says which and
// why; the account rules refuse such commands before they are saved, so
// only a store of an older engine has them). Users come first, then
// groups, each in State order. nil when there is no rule. want is what
// each rule line must read back as.
func sudoersContent(st State) (content []byte, want []sudoers.Rule, bad []badSudo) {
	var b strings.Builder
	add := func(group bool, id int64, comment string, cmds, nopasswd []string) error {
		e, rule, err := sudoEntry(cmds, nopasswd)
		if err != nil || e == "" {
			return err
		}
		rule.Group, rule.ID = group, id
		want = append(want, rule)
		prefix := "#"
		if group {
			prefix = "%#"
		}
		b.WriteString("# " + comment + "\n" + prefix + strconv.FormatInt(id, 10) + " ALL=(ALL) " + e + "\n")
		return nil
	}
	for i := range st.Users {
		u := &st.Users[i]
		if err := add(false, u.UID, u.Name, u.SudoCommands, u.SudoCommandsNopasswd); err != nil {
			bad = append(bad, badSudo{name: u.Name, err: fmt.Errorf("sudoers: user %s left out of the drop-in: %w", u.Name, err)})
		}
	}
	for i := range st.Groups {
		g := &st.Groups[i]
		if err := add(true, g.GID, "group "+g.Name, g.SudoCommands, g.SudoCommandsNopasswd); err != nil {
			bad = append(bad, badSudo{group: true, name: g.Name, err: fmt.Errorf("sudoers: group %s left out of the drop-in: %w", g.Name, err)})
		}
	}
	if b.Len() == 0 {
		return nil, nil, bad
	}
	return []byte("# Written by the truenas engine; do not edit.\n" + b.String()), want, bad
}

// badSudo is an account left out of the drop-in, and why.
type badSudo struct {
	group bool
	name  string
	err   error
}

func sudoEntry(cmds, nopasswd []string) (string, sudoers.Rule, error) {
	var rule sudoers.Rule
	var parts []string
	c, err := sudoCommands(cmds, false, &rule)
	if err != nil {
		return "", rule, err
	}
	if c != "" {
		parts = append(parts, c)
	}
	c, err = sudoCommands(nopasswd, true, &rule)
	if err != nil {
		return "", rule, err
	}
	if c != "" {
		parts = append(parts, "NOPASSWD: "+c)
	}
	return strings.Join(parts, ", "), rule, nil
}

// sudoCommands renders one list (blank commands dropped) and adds to rule
// what each command must read back as.
func sudoCommands(cmds []string, nopasswd bool, rule *sudoers.Rule) (string, error) {
	var out []string
	for _, c := range cmds {
		if c = strings.TrimSpace(c); c == "" {
			continue
		}
		words, err := sudoers.Split(c)
		if err != nil {
			return "", fmt.Errorf("command %q: %w", c, err)
		}
		if len(words) > 0 && words[0] == sudoers.All {
			if p := sudoers.AllProblem(c); p != "" {
				return "", fmt.Errorf("command %q: %s", c, p)
			}
			rule.Cmds = append(rule.Cmds, sudoers.RuleCmd{All: true, NoPasswd: nopasswd})
		} else {
			if p := sudoers.WordProblem(words); p != "" {
				return "", fmt.Errorf("command %q: %s", c, p)
			}
			if !strings.HasPrefix(words[0], "/") {
				return "", fmt.Errorf("command %q: the executable is not an absolute path", c)
			}
			rule.Cmds = append(rule.Cmds, sudoers.RuleCmd{Command: sudoers.Want(words), NoPasswd: nopasswd})
		}
		out = append(out, sudoers.Render(words))
	}
	return strings.Join(out, ", "), nil
}

// checkSudoers reads content back as sudo's grammar reads the engine's
// form (sudoers.ReadDropIn) and wants exactly the rules asked for; then,
// where the box has visudo, visudo -c -f on a private copy.
func checkSudoers(dir string, content []byte, want []sudoers.Rule) error {
	got, err := sudoers.ReadDropIn(string(content))
	if err != nil {
		return fmt.Errorf("sudoers: the drop-in does not read as written: %w", err)
	}
	if !slices.EqualFunc(got, want, func(a, b sudoers.Rule) bool {
		return a.Group == b.Group && a.ID == b.ID && slices.Equal(a.Cmds, b.Cmds)
	}) {
		return fmt.Errorf("sudoers: the drop-in reads as %+v, not the %+v asked for", got, want)
	}
	return visudoCheck(dir, content)
}

// visudoPaths are where the box's visudo may be; never looked up in PATH.
var visudoPaths = []string{"/usr/sbin/visudo", "/usr/bin/visudo", "/sbin/visudo"}

// visudoCheck runs visudo -c -f, when the box has visudo, on a copy of
// content in a new folder of the drop-in's own folder (root's, so nobody
// can swap the copy; its name starts with a dot, so sudo's @includedir
// skips it), with a fixed environment.
func visudoCheck(dir string, content []byte) error {
	visudo := ""
	for _, p := range visudoPaths {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			visudo = p
			break
		}
	}
	if visudo == "" {
		return nil
	}
	tmpDir, err := os.MkdirTemp(dir, ".truenas-engine-check-")
	if err != nil {
		return fmt.Errorf("sudoers: check: %w", err)
	}
	defer os.RemoveAll(tmpDir)
	tmp := filepath.Join(tmpDir, "drop-in")
	if err := os.WriteFile(tmp, content, 0o440); err != nil {
		return fmt.Errorf("sudoers: check: %w", err)
	}
	cmd := exec.Command(visudo, "-c", "-f", tmp)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("sudoers: visudo refuses the drop-in, so it was not written: %v: %s", err, strings.TrimSpace(strings.ReplaceAll(string(out), tmp, SudoersFile)))
	}
	return nil
}

// sudoDropIn is the sudoers drop-in an apply writes: rendered and
// checked (checkSudoers) before any box file is written, written last.
type sudoDropIn struct {
	content []byte // nil: no rule, the file is removed
	bad     []badSudo
	err     error // the check refused content: the drop-in in place stays
}

// renderSudoers makes the drop-in of st and checks it when it differs
// from the one in place.
func renderSudoers(root string, st State) sudoDropIn {
	content, want, bad := sudoersContent(st)
	d := sudoDropIn{content: content, bad: bad}
	if content != nil {
		d.err = checkChanged(root, content, want)
	}
	return d
}

// checkChanged checks content unless the drop-in in place already holds
// it or this process already checked it.
func checkChanged(root string, content []byte, want []sudoers.Rule) error {
	path := filepath.Join(root, SudoersFile)
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, content) {
		return nil
	}
	sum := sha256.Sum256(content)
	checked.Lock()
	ok := checked.sums[root] == sum
	checked.Unlock()
	if ok {
		return nil
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := checkSudoers(dir, content, want); err != nil {
		return err
	}
	checked.Lock()
	checked.sums[root] = sum
	checked.Unlock()
	return nil
}

// checked is the drop-in content last found good, by root, so that the
// check CheckSudoers made before a save is not run again by the apply.
var checked = struct {
	sync.Mutex
	sums map[string][sha256.Size]byte
}{sums: map[string][sha256.Size]byte{}}

// write writes the drop-in (0440, root-owned) or removes it when there is
// no rule; a refused one leaves the one in place untouched.
func (d sudoDropIn) write(root string) (bool, error) {
	path := filepath.Join(root, SudoersFile)
	if d.err != nil {
		return false, d.err
	}
	if d.content == nil {
		return removeFile(path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, err
	}
	return writeFileAtomic(path, d.content, fileSpec{mode: 0o440, force: true})
}

// CheckSudoers renders the sudoers drop-in of the accounts with sudo
// rules (as Change.SudoUsers and SudoGroups: names, ids, rules) and, when
// it differs from the one in place, checks it as an apply would: sudo's
// grammar, then visudo -c where the box has it. The engine calls it
// before it saves a change, so that a command the box's sudo refuses
// fails the call and nothing is saved; the apply that follows does not
// run visudo again on the same content.
func CheckSudoers(root string, users []User, groups []Group) error {
	if err := validate(State{Users: users, Groups: groups}); err != nil {
		return err
	}
	content, want, bad := sudoersContent(State{Users: users, Groups: groups})
	if len(bad) > 0 {
		e := &SudoersError{}
		var errs []error
		for _, b := range bad {
			if b.group {
				e.Groups = append(e.Groups, b.name)
			} else {
				e.Users = append(e.Users, b.name)
			}
			errs = append(errs, b.err)
		}
		e.Err = errors.Join(errs...)
		return e
	}
	if content == nil {
		return nil
	}
	if err := checkChanged(root, content, want); err != nil {
		return &SudoersError{Err: err}
	}
	return nil
}
