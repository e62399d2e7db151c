package sudoers

import (
	"fmt"
	"strconv"
	"strings"
)

// Rule is one line of the engine's drop-in as sudo reads it: the account
// ("#uid", or "%#gid" when Group), run as (ALL) on ALL hosts, and its
// commands, each NoPasswd from the first "NOPASSWD:" on (sudoers' tags
// carry to the commands after them).
type Rule struct {
	Group bool
	ID    int64
	Cmds  []RuleCmd
}

// RuleCmd is one command of a Rule.
type RuleCmd struct {
	Command
	All      bool
	NoPasswd bool
}

// ReadDropIn reads a drop-in in the one form the engine writes, as sudo's
// lexer (toke.l) reads that form: comment lines, and rule lines
// `#UID ALL=(ALL) CMNDS` or `%#GID ALL=(ALL) CMNDS`. Anything else, and
// any character sudo would read as syntax where the engine meant text
// (an unescaped , : = #, a backslash before anything else), is an error.
func ReadDropIn(content string) ([]Rule, error) {
	var out []Rule
	for n, line := range strings.Split(content, "\n") {
		if line == "" || strings.HasPrefix(line, "# ") || line == "#" {
			if strings.ContainsRune(line, '\\') {
				// A comment ending in a backslash would continue onto the
				// next line.
				return nil, fmt.Errorf("line %d: a comment holds a backslash", n+1)
			}
			continue
		}
		r, err := readRule(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n+1, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func readRule(line string) (Rule, error) {
	var r Rule
	rest, ok := strings.CutPrefix(line, "%#")
	if ok {
		r.Group = true
	} else if rest, ok = strings.CutPrefix(line, "#"); !ok {
		return r, fmt.Errorf("not a rule of the engine: %q", line)
	}
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	id, err := strconv.ParseInt(rest[:i], 10, 64)
	if err != nil || i == 0 || (i > 1 && rest[0] == '0') {
		return r, fmt.Errorf("not an id: %q", rest[:i])
	}
	r.ID = id
	rest, ok = strings.CutPrefix(rest[i:], " ALL=(ALL) ")
	if !ok {
		return r, fmt.Errorf("not \"ALL=(ALL) \" after the account")
	}
	nopasswd := false
	for {
		if t, ok := strings.CutPrefix(rest, "NOPASSWD: "); ok {
			nopasswd, rest = true, t
		}
		c, t, err := readCmnd(rest)
		if err != nil {
			return r, err
		}
		c.NoPasswd = nopasswd
		r.Cmds = append(r.Cmds, c)
		if t == "" {
			return r, nil
		}
		if rest, ok = strings.CutPrefix(t, ", "); !ok {
			return r, fmt.Errorf("%q after a command", t)
		}
	}
}

// readCmnd reads one Cmnd up to an unescaped ',' (or the end): sudo's
// GOTCMND state for the characters the engine writes.
func readCmnd(s string) (RuleCmd, string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	i := 0
	end := func() {
		if inWord {
			words = append(words, w.String())
			w.Reset()
			inWord = false
		}
	}
loop:
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ',':
			break loop
		case c == ' ':
			end()
		case c == '\\':
			if i+1 >= len(s) {
				return RuleCmd{}, "", fmt.Errorf("a backslash ends the line (sudo joins the next line)")
			}
			if !strings.ContainsRune(special, rune(s[i+1])) {
				return RuleCmd{}, "", fmt.Errorf("a backslash before %q", s[i+1])
			}
			i++
			w.WriteByte(s[i])
			inWord = true
		case c == '"':
			// Only `""` as a word of its own.
			if inWord || !strings.HasPrefix(s[i:], `""`) || i+2 < len(s) && s[i+2] != ' ' && s[i+2] != ',' {
				return RuleCmd{}, "", fmt.Errorf("a double quote inside a word")
			}
			words = append(words, `""`)
			i++
		case strings.ContainsRune(special, rune(c)) || c < 0x20 || c == 0x7f:
			return RuleCmd{}, "", fmt.Errorf("%q is sudoers syntax inside a command", c)
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	end()
	rest := s[i:]
	// The separator is ", ": the space before the next Cmnd is sudo's
	// white space, not part of a word.
	if strings.HasSuffix(s[:i], " ") {
		return RuleCmd{}, "", fmt.Errorf("a blank before ','")
	}
	switch {
	case len(words) == 1 && words[0] == All:
		return RuleCmd{All: true}, rest, nil
	case len(words) == 0:
		return RuleCmd{}, "", fmt.Errorf("an empty command")
	case words[0] == `""` || words[0] == All:
		return RuleCmd{}, "", fmt.Errorf("%s as an executable", words[0])
	case !strings.HasPrefix(words[0], "/"):
		return RuleCmd{}, "", fmt.Errorf("the executable %q is not a path", words[0])
	case len(words) == 2 && words[1] == `""`:
		return RuleCmd{Command: Command{Path: words[0], NoArgs: true}}, rest, nil
	}
	for _, a := range words[1:] {
		if a == `""` {
			return RuleCmd{}, "", fmt.Errorf(`"" among other arguments`)
		}
	}
	if strings.HasSuffix(words[0], "/") && len(words) > 1 {
		return RuleCmd{}, "", fmt.Errorf("a folder with arguments")
	}
	if strings.HasSuffix(words[0], "/sudoedit") {
		return RuleCmd{}, "", fmt.Errorf("sudoedit with a path")
	}
	if len(words) > 1 && strings.HasPrefix(words[1], "^") {
		return RuleCmd{}, "", fmt.Errorf("arguments that sudo reads as a regular expression")
	}
	return RuleCmd{Command: Command{Path: words[0], Args: strings.Join(words[1:], " ")}}, rest, nil
}
