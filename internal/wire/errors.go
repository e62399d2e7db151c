package wire

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// validationLine matches one line of a midclt ValidationErrors report:
// "[ERRNAME] attribute: message". The attribute is "ALL" or a TrueNAS
// attribute path (lower-case words joined by dots, list indexes as numbers),
// which never holds a space: so the first ": " after it ends the attribute and
// the message may itself contain ": ".
var validationLine = regexp.MustCompile(`^\[([A-Z][A-Z0-9_]*)\] (ALL|[a-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*): (.*)$`)

// callLine matches the first line of any other midclt error: "[ERRNAME] message".
var callLine = regexp.MustCompile(`^\[([A-Z][A-Z0-9_]*)\] (.*)$`)

// ParseError turns what midclt printed on stderr when it exited with a
// failure status back into a typed error:
//
//   - lines of "[ERRNAME] attribute: message" (a ValidationErrors report)
//     give account.Errors, with the attribute "ALL" read as "" (no attribute);
//   - a "[ERRNAME] message" line, possibly followed by a server traceback and
//     a pprint of the extra data, gives *account.CallError with that message;
//   - any other text ("Call timeout", "Failed to run middleware call. Daemon
//     not running?", a Python traceback, sudo's complaints) gives a plain
//     error carrying the trimmed text.
//
// Unknown errno names (midclt prints "EUNKNOWN") map to EINVAL.
func ParseError(stderr string, exitCode int) error {
	text := strings.TrimSpace(strings.ReplaceAll(stderr, "\r\n", "\n"))
	if text == "" {
		return fmt.Errorf("midclt exited with status %d and printed no error", exitCode)
	}
	lines := strings.Split(text, "\n")

	if m := validationLine.FindStringSubmatch(lines[0]); m != nil {
		var es account.Errors
		es.Add(attr(m[2]), m[3], account.ErrnoByName(m[1]))
		for _, l := range lines[1:] {
			if m := validationLine.FindStringSubmatch(l); m != nil {
				es.Add(attr(m[2]), m[3], account.ErrnoByName(m[1]))
				continue
			}
			if isTraceback(l) {
				// A validation-looking first line followed by a traceback
				// is a call error whose message happens to hold ": ".
				if len(es) == 1 {
					return callError(lines[0])
				}
				break
			}
			// A message that itself spans lines: keep it with the error
			// it belongs to.
			es[len(es)-1].Message += "\n" + l
		}
		return es
	}
	if callLine.MatchString(lines[0]) {
		return callError(lines[0])
	}
	if lines[0] == "Method does not exist" {
		// midclt prints the JSON-RPC message of -32601 as is; read it as
		// wire.RPCError.AsError does.
		return &account.CallError{Errno: account.EINVAL, Message: lines[0]}
	}
	return errors.New(text)
}

func callError(line string) error {
	m := callLine.FindStringSubmatch(line)
	return &account.CallError{Errno: account.ErrnoByName(m[1]), Message: m[2]}
}

func attr(a string) string {
	if a == "ALL" {
		return ""
	}
	return a
}

func isTraceback(l string) bool {
	return strings.HasPrefix(l, "Traceback (most recent call last):")
}
