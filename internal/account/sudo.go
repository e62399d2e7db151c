package account

import (
	"errors"
	"path"
	"slices"
	"strings"
)

// shlexSplit splits like Python's shlex.split (POSIX mode, no comments).
func shlexSplit(s string) ([]string, error) {
	var out []string
	var tok strings.Builder
	inTok := false
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			if inTok {
				out = append(out, tok.String())
				tok.Reset()
				inTok = false
			}
		case r == '\\':
			inTok = true
			if i+1 >= len(rs) {
				//lint:ignore ST1005 shlex's message, as TrueNAS shows it
				return nil, errors.New("No escaped character")
			}
			i++
			tok.WriteRune(rs[i])
		case r == '\'':
			inTok = true
			j := i + 1
			for j < len(rs) && rs[j] != '\'' {
				j++
			}
			if j >= len(rs) {
				//lint:ignore ST1005 shlex's message, as TrueNAS shows it
				return nil, errors.New("No closing quotation")
			}
			tok.WriteString(string(rs[i+1 : j]))
			i = j
		case r == '"':
			inTok = true
			j := i + 1
			for ; j < len(rs) && rs[j] != '"'; j++ {
				if rs[j] == '\\' && j+1 < len(rs) && (rs[j+1] == '"' || rs[j+1] == '\\') {
					j++
				} else if rs[j] == '\\' && j+1 >= len(rs) {
					//lint:ignore ST1005 shlex's message, as TrueNAS shows it
					return nil, errors.New("No closing quotation")
				}
				tok.WriteRune(rs[j])
			}
			if j >= len(rs) {
				//lint:ignore ST1005 shlex's message, as TrueNAS shows it
				return nil, errors.New("No closing quotation")
			}
			i = j
		default:
			inTok = true
			tok.WriteRune(r)
		}
	}
	if inTok {
		out = append(out, tok.String())
	}
	return out, nil
}

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
		if exe == "ALL" {
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
