// Package sudoers turns a TrueNAS sudo command (sudo_commands,
// sudo_commands_nopasswd) into the sudoers(5) Cmnd that grants exactly
// that command, or says why none can. The account rules (before anything
// is saved, and the provider at plan time) and the box's drop-in writer
// share it, so what the rules accept is what the drop-in says.
//
// A command is split into words as TrueNAS splits it (Python's
// shlex.split, POSIX mode). sudo compares a command line as the path and
// the arguments joined by single spaces; it reads ALL as every command,
// `""` as "no arguments", "^...$" arguments as a regular expression, and
// a backslash as an escape. So a word that holds white space, a backslash
// or a double quote, an empty word other than the lone `""`, arguments
// that start with "^", and ALL anywhere but alone cannot be granted as
// asked and are refused. The glob characters * ? [ ] keep sudo's meaning
// (TrueNAS allows glob patterns in commands).
package sudoers

import (
	"errors"
	"strings"
)

// All is sudoers' every-command word, accepted only as the whole command.
const All = "ALL"

// Split splits like Python's shlex.split (POSIX mode, no comments).
func Split(s string) ([]string, error) {
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

// AllProblem says why cmd, whose first word is ALL, is not the lone ALL
// ("" when it is exactly "ALL").
func AllProblem(cmd string) string {
	if cmd == All {
		return ""
	}
	return "ALL grants every command: give it alone, as the whole command and unquoted (\"ALL\"), or name the commands"
}

// WordProblem says why sudo would read the words of a command (not ALL)
// otherwise than they say, or "" when Render grants exactly them.
func WordProblem(words []string) string {
	if len(words) == 0 {
		return "the command is empty"
	}
	for i, w := range words {
		if i == 1 && w == "" && len(words) == 2 {
			break // exe "": sudoers' "no arguments"
		}
		what := "argument " + itoa(i)
		if i == 0 {
			what = "the executable"
		}
		switch {
		case w == "":
			return what + " is empty: sudo cannot require an empty argument (a lone \"\" after the executable means no arguments)"
		case w == All && i == 0:
			return AllProblem("")
		case strings.ContainsAny(w, " \t"):
			return what + " holds white space: sudo compares arguments joined by spaces, so it cannot keep one argument whole"
		case strings.ContainsRune(w, '\\'):
			return what + " holds a backslash, which sudoers reads as an escape"
		case strings.ContainsRune(w, '"'):
			return what + ` holds a double quote, which sudoers reads as its "" (no arguments)`
		case strings.ContainsFunc(w, func(r rune) bool { return r < 0x20 || r == 0x7f }):
			return what + " holds a control character"
		}
	}
	if strings.Trim(words[0], "/") == "" {
		return "the executable is the root folder, which sudoers cannot name (its paths need a name after the /): name the commands, or give ALL"
	}
	if strings.HasSuffix(words[0], "/") && len(words) > 1 {
		return "a folder (a path ending in /) grants every command in it and takes no arguments in sudoers"
	}
	if words[0] == "sudoedit" || strings.HasSuffix(words[0], "/sudoedit") {
		return "sudoedit is sudo's own command, which sudoers names without a path"
	}
	if len(words) > 1 && strings.HasPrefix(words[1], "^") {
		return "the arguments start with ^, which sudo reads as a regular expression"
	}
	return ""
}

// special are the characters sudoers reads as syntax inside a Cmnd; each
// is written with a backslash before it.
const special = `,:=#`

// Render writes a command's checked words (WordProblem "") as a sudoers
// Cmnd: the lone ALL as it is, else each word with , : = # escaped,
// joined by single spaces; `exe ""` stays sudoers' "no arguments".
func Render(words []string) string {
	if len(words) == 1 && words[0] == All {
		return All
	}
	if len(words) == 2 && words[1] == "" {
		return escape(words[0]) + ` ""`
	}
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = escape(w)
	}
	return strings.Join(out, " ")
}

func escape(w string) string {
	var b strings.Builder
	for _, r := range w {
		if strings.ContainsRune(special, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Command is one Cmnd as sudo stores it: the path, and the arguments as
// one string (sudo's comparison), NoArgs for `""`.
type Command struct {
	Path   string
	Args   string
	NoArgs bool
}

// Want is the Command the words ask for.
func Want(words []string) Command {
	if len(words) == 2 && words[1] == "" {
		return Command{Path: words[0], NoArgs: true}
	}
	return Command{Path: words[0], Args: strings.Join(words[1:], " ")}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
