package account

import (
	"path"
	"slices"
	"strings"

	"github.com/nasops/terraform-provider-truenas/internal/sudoers"
)

// shlexSplit splits like Python's shlex.split (POSIX mode, no comments).
func shlexSplit(s string) ([]string, error) { return sudoers.Split(s) }

// pyNormpath is Python's os.path.normpath for absolute POSIX paths.
func pyNormpath(p string) string {
	c := path.Clean(p)
	if strings.HasPrefix(p, "//") && !strings.HasPrefix(p, "///") {
		return "/" + c
	}
	return c
}

// checkSudo runs TrueNAS's validate_sudo_commands on one list; field is
// "sudo_commands" or "sudo_commands_nopasswd". With a nil box only the
// static rules run.
func checkSudo(c *checker, field string, cmds []string, box Box) {
	if i := slices.Index(cmds, "ALL"); i >= 0 && len(cmds) != 1 {
		c.at(RuleSudoAll, field, i)
		return
	}
	for i, cmd := range cmds {
		if strings.ContainsFunc(cmd, IsControl) {
			c.at(RuleSudoControl, field, i)
			continue
		}
		words, err := shlexSplit(cmd)
		if err != nil {
			c.at(RuleSudoParse, field, i, err.Error())
			continue
		}
		if len(words) == 0 {
			c.at(RuleSudoParse, field, i, "list index out of range")
			continue
		}
		exe := words[0]
		if exe == sudoers.All {
			// Only the lone, unquoted ALL is sudoers' ALL: "ALL /bin/ls",
			// "'ALL'" or AL\L would be written as something sudo cannot
			// parse or reads otherwise.
			if p := sudoers.AllProblem(strings.TrimSpace(cmd)); p != "" {
				c.at(RuleSudoExact, field, i, p)
			} else if len(cmds) != 1 {
				c.at(RuleSudoAll, field, i)
			}
			continue
		}
		if !strings.HasPrefix(exe, "/") {
			c.at(RuleSudoAbsolute, field, i)
			continue
		}
		if strings.TrimRight(pyNormpath(exe), "/") != strings.TrimRight(exe, "/") {
			c.at(RuleSudoNormalized, field, i)
			continue
		}
		if p := sudoers.WordProblem(words); p != "" {
			c.at(RuleSudoExact, field, i, p)
			continue
		}
		if box == nil {
			continue
		}
		matches, execs := box.GlobExecutables(exe)
		if matches == 0 {
			c.at(RuleSudoNoMatch, field, i, pyRepr(exe))
			continue
		}
		if execs == 0 && !strings.HasSuffix(exe, "/") {
			c.at(RuleSudoNotExec, field, i, pyRepr(exe))
		}
	}
}
