package account

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/unicode/runenames"
)

// The email field of UserCreate and UserUpdate is pydantic's EmailStr
// (api/v25_10_5/user.py:176): a strict string of at most 1024 characters
// (the models' str_max_length), then pydantic's validate_email
// (pydantic/networks.py of pydantic 2.10), which strips a "Display Name <...>"
// form and surrounding spaces and hands the address to email-validator 2.2
// (validate_email with check_deliverability=False) and keeps its
// normalized form. What follows is that logic, read from those sources:
// the same checks in the same order, and the same messages.
//
// Where it is an approximation: internationalized domain names go through
// golang.org/x/net/idna (UTS #46, IDNA 2008) rather than Python's idna
// package, so the text of an IDNA error differs; Unicode tables are Go's.
// Every ASCII address is handled as email-validator handles it.

// Email-validator's limits (rfc_constants.py).
const (
	EmailMaxLength     = 254
	EmailLocalMaxLen   = 64
	emailDomainMaxLen  = 253
	emailDNSLabelLimit = 63
	// pydantic's MAX_EMAIL_LENGTH, checked before anything else.
	emailPydanticMax = 2048
)

const (
	emailATEXT = `a-zA-Z0-9_!#\$%&'\*\+\-/=\?\^` + "`" + `\{\|\}~`
	// Python's \s in a str pattern (str.isspace).
	pyWS = `[\t\n\v\f\r \x1c-\x1f\x{85}\p{Z}]`
)

var (
	reDotAtom         = regexp.MustCompile(`^[` + emailATEXT + `]+(?:\.[` + emailATEXT + `]+)*$`)
	reDotAtomIntl     = regexp.MustCompile(`^[` + emailATEXT + `\x{80}-\x{10FFFF}]+(?:\.[` + emailATEXT + `\x{80}-\x{10FFFF}]+)*$`)
	reDotAtomHostname = regexp.MustCompile(`^(?:(?:[a-zA-Z0-9][a-zA-Z0-9\-]*)?[a-zA-Z0-9])(?:\.(?:(?:[a-zA-Z0-9][a-zA-Z0-9\-]*)?[a-zA-Z0-9]))*$`)
	// pydantic's pretty_email_regex, used with fullmatch.
	rePrettyEmail = func() *regexp.Regexp {
		name := `[\p{L}\p{N}_!#$%&'*+\-/=?^` + "`" + `{|}~]`
		unquoted := `((?:` + name + `+` + pyWS + `+)*` + name + `+)`
		quoted := `"((?:[^"]|")+)"`
		return regexp.MustCompile(`^` + pyWS + `*(?:` + unquoted + `|` + quoted + `)?` + pyWS + `*<(.+)>` + pyWS + `*\z`)
	}()
	emailSpecialUseDomains = []string{"arpa", "invalid", "local", "localhost", "onion", "test"}
	// RFC 2142 mailbox names that email-validator lower-cases.
	emailCaseInsensitive = []string{"info", "marketing", "sales", "support", "abuse", "noc", "security",
		"postmaster", "hostmaster", "usenet", "news", "webmaster", "www", "uucp", "ftp"}
)

func isATEXT(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_!#$%&'*+-/=?^`{|}~", r)
}
func isATEXTIntl(r rune) bool { return isATEXT(r) || r >= 0x80 }
func isHostnameIntl(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r >= 0x80
}
func isQTEXTIntl(r rune) bool { return r >= 0x20 && r <= 0x7e || r >= 0x80 }

// pyIsSpace is Python's str.isspace for one character.
func pyIsSpace(r rune) bool {
	return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f || unicode.Is(unicode.Zs, r)
}

type emailError string

func (e emailError) Error() string { return string(e) }

func emailErrf(format string, args ...any) emailError {
	return emailError(fmt.Sprintf(format, args...))
}

// NormalizeEmail validates an email address as TrueNAS 25.10.6 does and
// returns what it stores (email-validator's normalized form: no display
// name or surrounding spaces, the domain lower-cased), or the message
// TrueNAS gives ("value is not a valid email address: ...").
func NormalizeEmail(s string) (string, string) {
	if utf8.RuneCountInString(s) > emailPydanticMax {
		return "", msgEmailInvalid + fmt.Sprintf("Length must not exceed %d characters", emailPydanticMax)
	}
	if m := rePrettyEmail.FindStringSubmatch(s); m != nil {
		s = m[3]
	}
	out, err := validateEmail(strings.TrimFunc(s, pyIsSpace))
	if err != nil {
		return "", msgEmailInvalid + err.Error()
	}
	return out, ""
}

// validateEmail is email-validator's validate_email (2.2.0) with its
// defaults and check_deliverability=False; it returns the normalized form.
func validateEmail(email string) (string, error) {
	display, local, domain, quoted, err := splitEmail(email)
	if err != nil {
		return "", err
	}
	original := local
	if quoted {
		original = `"` + local + `"`
	}
	original += "@" + domain

	lp, err := validateLocalPart(local, quoted)
	if err != nil {
		return "", err
	}
	if n := norm.NFC.String(lp.local); n != lp.local {
		if _, err := validateLocalPart(n, quoted); err != nil {
			return "", emailError("After Unicode normalization: " + err.Error())
		}
		lp.local = n
	}
	if quoted {
		return "", emailError("Quoting the part before the @-sign is not allowed here.")
	}
	if lp.ascii != nil {
		for _, name := range emailCaseInsensitive {
			if strings.ToLower(*lp.ascii) == name {
				lower := strings.ToLower(*lp.ascii)
				lp.ascii, lp.local = &lower, strings.ToLower(lp.local)
				break
			}
		}
	}

	var asciiDomain, uDomain string
	switch {
	case domain == "":
		return "", emailError("There must be something after the @-sign.")
	case strings.HasPrefix(domain, "[") && strings.HasSuffix(domain, "]"):
		// Domain literals are not allowed (allow_domain_literal=False);
		// email-validator parses them first, for its messages.
		if err := checkDomainLiteral(domain[1 : len(domain)-1]); err != nil {
			return "", err
		}
		return "", emailError("A bracketed IP address after the @-sign is not allowed here.")
	default:
		if asciiDomain, uDomain, err = validateDomainName(domain); err != nil {
			return "", err
		}
	}
	normalized := lp.local + "@" + uDomain
	asciiLocal := lp.local
	if lp.ascii != nil {
		asciiLocal = *lp.ascii
	}
	if err := checkEmailLength(original, normalized, asciiLocal+"@"+asciiDomain); err != nil {
		return "", err
	}
	if display != nil {
		return "", emailError("A display name and angle brackets around the email address are not permitted here.")
	}
	return normalized, nil
}

// splitAtUnquotedSpecial splits text at the first character of specials
// outside quotes that does not combine with what follows.
func splitAtUnquotedSpecial(text, specials string) (string, string, error) {
	inQuote, escaped := false, false
	end := len(text)
	for i, c := range text {
		if r, _ := utf8.DecodeRuneInString(norm.NFC.String(text[i:])); r != c {
			continue
		}
		if inQuote {
			switch {
			case c == '\\' && !escaped:
				escaped = true
			case c == '"' && !escaped:
				inQuote, escaped = false, false
			default:
				escaped = false
			}
			continue
		}
		if c == '"' {
			inQuote = true
			continue
		}
		if strings.ContainsRune(specials, c) {
			end = i
			break
		}
	}
	if end == len(text) {
		return "", "", emailError("An email address must have an @-sign.")
	}
	return text[:end], text[end:], nil
}

// unquoteQuotedString removes surrounding quotes and backslash escapes.
func unquoteQuotedString(text string) (string, bool, error) {
	quoted, escaped := false, false
	var b strings.Builder
	first := true
	for i, c := range text {
		switch {
		case quoted:
			switch {
			case escaped:
				b.WriteRune(c)
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				if rest := text[i+1:]; rest != "" {
					var shown []string
					for _, r := range rest {
						shown = append(shown, safeCharDisplay(r))
					}
					return "", false, emailError("Extra character(s) found after close quote: " + strings.Join(shown, ", "))
				}
				return b.String(), true, nil
			default:
				b.WriteRune(c)
			}
		case first && c == '"':
			quoted = true
		default:
			b.WriteRune(c)
		}
		first = false
	}
	return b.String(), quoted, nil
}

// splitEmail is email-validator's split_email: display name (nil when
// there are no angle brackets), local part (unquoted), domain part, and
// whether the local part was quoted.
func splitEmail(email string) (*string, string, string, bool, error) {
	left, right, err := splitAtUnquotedSpecial(email, "@<")
	if err != nil {
		return nil, "", "", false, err
	}
	var display *string
	local, domain := left, right
	if strings.HasPrefix(right, "<") {
		left = strings.TrimRightFunc(left, pyIsSpace)
		name, nameQuoted, err := unquoteQuotedString(left)
		if err != nil {
			return nil, "", "", false, err
		}
		if !nameQuoted {
			bad := map[string]bool{}
			for _, c := range name {
				if (!isATEXT(c) && c != '.' && c != ' ') || c == '.' {
					bad[safeCharDisplay(c)] = true
				}
			}
			if len(bad) > 0 {
				return nil, "", "", false, emailError("The display name contains invalid characters when not quoted: " + sortedKeys(bad) + ".")
			}
		}
		if err := checkUnsafeChars(name, true); err != nil {
			return nil, "", "", false, err
		}
		if !strings.Contains(right, ">") {
			return nil, "", "", false, emailError("An open angle bracket at the start of the email address has to be followed by a close angle bracket at the end.")
		}
		right = strings.TrimRight(right, " ")
		if !strings.HasSuffix(right, ">") {
			return nil, "", "", false, emailError("There can't be anything after the email address.")
		}
		addr := strings.TrimRight(right[1:], ">")
		if local, domain, err = splitAtUnquotedSpecial(addr, "@"); err != nil {
			return nil, "", "", false, err
		}
		display = &name
	}
	domain = strings.TrimPrefix(domain, "@")
	local, quoted, err := unquoteQuotedString(local)
	if err != nil {
		return nil, "", "", false, err
	}
	return display, local, domain, quoted, nil
}

type localPart struct {
	local string
	ascii *string // nil when the local part needs SMTPUTF8
}

func validateLocalPart(local string, quoted bool) (localPart, error) {
	n := utf8.RuneCountInString(local)
	if n == 0 {
		return localPart{}, emailError("There must be something before the @-sign.")
	}
	if n > EmailLocalMaxLen {
		return localPart{}, emailErrf("The email address is too long before the @-sign %s.", lengthReason(n, EmailLocalMaxLen))
	}
	if reDotAtom.MatchString(local) {
		return localPart{local: local, ascii: &local}, nil
	}
	valid := ""
	smtputf8 := false
	if reDotAtomIntl.MatchString(local) {
		valid, smtputf8 = "dot-atom", true
	} else if quoted {
		bad := map[string]bool{}
		for _, c := range local {
			if !isQTEXTIntl(c) {
				bad[safeCharDisplay(c)] = true
			}
			if c > 126 || c < 32 {
				smtputf8 = true
			}
		}
		if len(bad) > 0 {
			return localPart{}, emailError("The email address contains invalid characters in quotes before the @-sign: " + sortedKeys(bad) + ".")
		}
		valid = "quoted"
	}
	if valid != "" {
		if err := checkUnsafeChars(local, valid == "quoted"); err != nil {
			return localPart{}, err
		}
		if valid == "quoted" {
			local = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(local) + `"`
		}
		lp := localPart{local: local}
		if !smtputf8 {
			lp.ascii = &local
		}
		return lp, nil
	}
	bad := map[string]bool{}
	for _, c := range local {
		if !isATEXTIntl(c) && c != '.' {
			bad[safeCharDisplay(c)] = true
		}
	}
	if len(bad) > 0 {
		return localPart{}, emailError("The email address contains invalid characters before the @-sign: " + sortedKeys(bad) + ".")
	}
	if err := checkDotAtom(local, "An email address cannot start with a %s.", "An email address cannot have a %s immediately before the @-sign.", false); err != nil {
		return localPart{}, err
	}
	return localPart{}, emailError("The email address contains invalid characters before the @-sign.")
}

func checkDotAtom(label, startDescr, endDescr string, hostname bool) error {
	switch {
	case strings.HasSuffix(label, "."):
		return emailErrf(endDescr, "period")
	case strings.HasPrefix(label, "."):
		return emailErrf(startDescr, "period")
	case strings.Contains(label, ".."):
		return emailError("An email address cannot have two periods in a row.")
	}
	if hostname {
		switch {
		case strings.HasSuffix(label, "-"):
			return emailErrf(endDescr, "hyphen")
		case strings.HasPrefix(label, "-"):
			return emailErrf(startDescr, "hyphen")
		case strings.Contains(label, ".-") || strings.Contains(label, "-."):
			return emailError("An email address cannot have a period and a hyphen next to each other.")
		}
	}
	return nil
}

// checkUnsafeChars refuses characters that make an address unsafe or
// nonsensical Unicode (syntax.py check_unsafe_chars).
func checkUnsafeChars(s string, allowSpace bool) error {
	bad := map[rune]bool{}
	i := 0
	for _, c := range s {
		switch {
		case unicode.IsLetter(c) || unicode.IsNumber(c) || unicode.IsPunct(c) || unicode.IsSymbol(c):
		case unicode.IsMark(c):
			if i == 0 {
				bad[c] = true
			}
		case unicode.Is(unicode.Zs, c):
			if !allowSpace {
				bad[c] = true
			}
		default: // Zl, Zp, C and anything unassigned
			bad[c] = true
		}
		i++
	}
	if len(bad) == 0 {
		return nil
	}
	runes := make([]rune, 0, len(bad))
	for r := range bad {
		runes = append(runes, r)
	}
	sort.Slice(runes, func(a, b int) bool { return runes[a] < runes[b] })
	shown := make([]string, len(runes))
	for k, r := range runes {
		shown[k] = safeCharDisplay(r)
	}
	return emailError("The email address contains unsafe characters: " + strings.Join(shown, ", ") + ".")
}

// safeCharDisplay is syntax.py's safe_character_display: the character's
// repr when it is a letter, number, punctuation or symbol, else its
// Unicode name, else U+XXXX.
func safeCharDisplay(c rune) string {
	if c == '\\' {
		return `"\"`
	}
	if unicode.IsLetter(c) || unicode.IsNumber(c) || unicode.IsPunct(c) || unicode.IsSymbol(c) {
		return pyRepr(string(c))
	}
	h := fmt.Sprintf("U+%04X", c)
	if c > 0xFFFF {
		h = fmt.Sprintf("U+%08X", c)
	}
	if name := runenames.Name(c); name != "" && !strings.HasPrefix(name, "<") {
		return name
	}
	return h
}

func sortedKeys(m map[string]bool) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

func lengthReason(n, limit int) string {
	diff := n - limit
	s := ""
	if diff > 1 {
		s = "s"
	}
	return fmt.Sprintf("(%d character%s too many)", diff, s)
}

// emailIDNA is UTS #46 processing as email-validator asks of the idna
// package (std3_rules=False, transitional=False).
var emailIDNA = idna.New(idna.MapForLookup(), idna.Transitional(false), idna.StrictDomainName(false), idna.BidiRule())

// validateDomainName returns the IDNA ASCII and the Unicode form of a
// domain (syntax.py validate_email_domain_name, globally_deliverable).
func validateDomainName(domain string) (string, string, error) {
	hostBad := func(d string) map[string]bool {
		bad := map[string]bool{}
		for _, c := range d {
			if !isHostnameIntl(c) {
				bad[safeCharDisplay(c)] = true
			}
		}
		return bad
	}
	if bad := hostBad(domain); len(bad) > 0 {
		return "", "", emailError("The part after the @-sign contains invalid characters: " + sortedKeys(bad) + ".")
	}
	if err := checkUnsafeChars(domain, false); err != nil {
		return "", "", err
	}
	original := domain
	ascii := true
	for _, c := range domain {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		domain = strings.ToLower(domain) // what UTS #46 mapping does to ASCII
	} else {
		u, err := emailIDNA.ToUnicode(domain)
		if err != nil {
			return "", "", emailErrf("The part after the @-sign contains invalid characters (%v).", err)
		}
		domain = u
		if bad := hostBad(domain); len(bad) > 0 {
			return "", "", emailError("The part after the @-sign contains invalid characters after Unicode normalization: " + sortedKeys(bad) + ".")
		}
	}
	if err := checkDotAtom(domain, "An email address cannot have a %s immediately after the @-sign.", "An email address cannot end with a %s.", true); err != nil {
		return "", "", err
	}
	for label := range strings.SplitSeq(domain, ".") {
		// re.match(r"(?!xn)..--", label, re.I)
		if r := []rune(label); len(r) >= 4 && r[2] == '-' && r[3] == '-' && strings.ToLower(string(r[:2])) != "xn" {
			return "", "", emailError("An email address cannot have two letters followed by two dashes immediately after the @-sign or after a period, except Punycode.")
		}
	}
	asciiDomain := domain
	if !reDotAtomHostname.MatchString(domain) {
		a, err := emailIDNA.ToASCII(domain)
		if err != nil {
			return "", "", emailErrf("The part after the @-sign is invalid (%v).", err)
		}
		if !reDotAtomHostname.MatchString(a) {
			return "", "", emailError("The email address contains invalid characters after the @-sign after IDNA encoding.")
		}
		asciiDomain = a
	}
	if len(asciiDomain) > emailDomainMaxLen {
		if asciiDomain == original {
			return "", "", emailErrf("The email address is too long after the @-sign %s.", lengthReason(len(asciiDomain), emailDomainMaxLen))
		}
		diff := len(asciiDomain) - emailDomainMaxLen
		s := "s"
		if diff == 1 {
			s = ""
		}
		return "", "", emailErrf("The email address is too long after the @-sign (%d byte%s too many after IDNA encoding).", diff, s)
	}
	for label := range strings.SplitSeq(asciiDomain, ".") {
		if len(label) > emailDNSLabelLimit {
			return "", "", emailErrf("After the @-sign, periods cannot be separated by so many characters %s.", lengthReason(len(label), emailDNSLabelLimit))
		}
	}
	if !strings.Contains(asciiDomain, ".") {
		return "", "", emailError("The part after the @-sign is not valid. It should have a period.")
	}
	if last := asciiDomain[len(asciiDomain)-1]; !(last >= 'a' && last <= 'z' || last >= 'A' && last <= 'Z') {
		return "", "", emailError("The part after the @-sign is not valid. It is not within a valid top-level domain.")
	}
	for _, d := range emailSpecialUseDomains {
		if asciiDomain == d || strings.HasSuffix(asciiDomain, "."+d) {
			return "", "", emailError("The part after the @-sign is a special-use or reserved name that cannot be used with email.")
		}
	}
	uDomain := asciiDomain
	if strings.Contains(asciiDomain, "xn--") || strings.Contains(asciiDomain, "XN--") {
		u, err := emailIDNA.ToUnicode(asciiDomain)
		if err != nil {
			return "", "", emailErrf("The part after the @-sign is not valid IDNA (%v).", err)
		}
		uDomain = u
	}
	return asciiDomain, uDomain, nil
}

// checkDomainLiteral is validate_email_domain_literal's refusals (a
// well-formed literal is refused by the caller anyway).
func checkDomainLiteral(lit string) error {
	switch {
	case lit != "" && strings.Trim(lit, "0123456789.") == "", strings.HasPrefix(lit, "IPv6:"):
		return nil // an address (valid or not): the caller refuses literals anyway
	case !strings.Contains(lit, ":"):
		return emailError("The part after the @-sign in brackets is not an IPv4 address and has no address literal tag.")
	}
	return emailError("The part after the @-sign contains an invalid address literal tag in brackets.")
}

// checkEmailLength is syntax.py validate_email_length: the original, the
// normalized and the IDNA ASCII forms are each at most 254 bytes of UTF-8.
func checkEmailLength(original, normalized, asciiForm string) error {
	for k, addr := range []string{original, normalized, asciiForm} {
		chars, bytes := utf8.RuneCountInString(addr), len(addr)
		diff := bytes - EmailMaxLength
		if diff <= 0 {
			continue
		}
		s := ""
		if diff > 1 {
			s = "s"
		}
		var reason string
		switch {
		case k == 0 && chars == bytes:
			reason = lengthReason(chars, EmailMaxLength)
		case k == 0:
			mbpc := 1
			for _, r := range addr {
				mbpc = max(mbpc, utf8.RuneLen(r))
			}
			mchars := max(1, diff/mbpc)
			if mchars == diff {
				reason = fmt.Sprintf("(%d character%s too many)", diff, s)
			} else {
				reason = fmt.Sprintf("(%d-%d character%s too many)", mchars, diff, s)
			}
		case k == 1:
			reason = fmt.Sprintf("after normalization (%d byte%s too many)", diff, s)
		default:
			reason = fmt.Sprintf("when the part after the @-sign is converted to IDNA ASCII (%d byte%s too many)", diff, s)
		}
		return emailErrf("The email address is too long %s.", reason)
	}
	return nil
}

// EmailStringMaxLength is the longest address TrueNAS 26.0's EmailString
// accepts (RFC 5321 4.5.3.1.3's path, less the enclosing "<" and ">").
const EmailStringMaxLength = 254

// CheckEmailString is TrueNAS 26.0's EmailString (api/base/validators/base.py
// email_validator at TS-26.0.0-BETA.3): the bare minimum, the value stored
// as written. "" passes; otherwise at most 254 characters, an "@", text
// before the last "@" and after it. It returns pydantic's message or "".
func CheckEmailString(s string) string {
	if s == "" {
		return ""
	}
	if utf8.RuneCountInString(s) > EmailStringMaxLength {
		return valueError(fmt.Sprintf("Maximum length is %d characters.", EmailStringMaxLength))
	}
	at := strings.LastIndex(s, "@")
	switch {
	case at == -1:
		return valueError("Missing '@' symbol.")
	case at == 0:
		return valueError("Missing local part of email string (part before the '@').")
	case at == len(s)-1:
		return valueError("Missing domain part of email string (part after the '@').")
	}
	return ""
}
