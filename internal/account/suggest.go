package account

import (
	"regexp"
	"strings"
)

var nameSplit = regexp.MustCompile(`[\s,]+`)

// SuggestUsername derives a username from a full name as the TrueNAS web UI
// does: the name is trimmed and split on runs of whitespace and commas; one
// word gives that word, several give the first letter of the first word
// followed by the last word; the result is cut to 8 characters and
// lower-cased. "John Doe" gives "jdoe", "Madonna" "madonna", "Jean-Luc
// Picard" "jpicard". The result may still fail the username rules.
func SuggestUsername(fullName string) string {
	s := strings.TrimSpace(fullName)
	var words []string
	for _, w := range nameSplit.Split(s, -1) {
		if w != "" {
			words = append(words, w)
		}
	}
	var u string
	switch len(words) {
	case 0:
		return ""
	case 1:
		u = words[0]
	default:
		first := []rune(words[0])
		u = string(first[0]) + words[len(words)-1]
	}
	r := []rune(u)
	if len(r) > 8 {
		r = r[:8]
	}
	return strings.ToLower(string(r))
}
