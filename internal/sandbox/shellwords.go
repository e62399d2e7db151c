package sandbox

import (
	"fmt"
	"strings"
)

// splitWords splits a command line into words the way a POSIX shell does
// for simple commands: blanks separate words; single quotes keep everything
// literally; double quotes keep everything but \" \\ \$ \` and
// backslash-newline; a backslash outside quotes escapes the next character.
// It is not a shell: operators (; & | < > ( )), substitutions ($, `),
// comments, and newlines outside quotes are refused, never interpreted.
func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			flush()
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated single quote")
			}
			cur.WriteString(s[i+1 : i+1+j])
			inWord = true
			i += j + 1
		case c == '"':
			inWord = true
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				switch s[i] {
				case '\\':
					if i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0 {
						i++
						if s[i] != '\n' {
							cur.WriteByte(s[i])
						}
						continue
					}
				case '$', '`':
					return nil, fmt.Errorf("shell expansion %q is not supported (this is not a shell)", s[i])
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("unterminated double quote")
			}
		case c == '\\':
			if i+1 >= len(s) {
				return nil, fmt.Errorf("trailing backslash")
			}
			i++
			if s[i] == '\n' {
				continue
			}
			cur.WriteByte(s[i])
			inWord = true
		case strings.IndexByte(";&|<>()$`\n\r", c) >= 0, c == '#' && !inWord:
			return nil, fmt.Errorf("shell syntax %q is not supported (this is not a shell)", c)
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	flush()
	return words, nil
}
