// Package wire holds what both ends of the engine protocol agree on: how
// midclt parses its arguments, prints results and reports errors, and how a
// client reads that text back into typed errors.
package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxMessage is the largest argument payload the engine accepts, as TrueNAS
// limits an authenticated message to 64 KiB.
const MaxMessage = 64 * 1024

// ParseArg turns one midclt command-line argument into a JSON value: the
// argument itself when it is valid JSON, else the argument as a JSON string
// (midclt's ejson.loads-or-raw-string rule).
func ParseArg(s string) json.RawMessage {
	t := strings.TrimSpace(s)
	if t != "" && json.Valid([]byte(t)) {
		return json.RawMessage(t)
	}
	b, _ := json.Marshal(s)
	return b
}

// FormatResult renders a result as midclt prints it on stdout, without the
// trailing newline: integers and strings raw, booleans True/False, null,
// objects and lists as one line of JSON with Python's ", " and ": "
// separators and non-ASCII characters escaped.
func FormatResult(raw json.RawMessage) (string, error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "null", nil
	}
	switch t[0] {
	case 't':
		return "True", nil
	case 'f':
		return "False", nil
	case '"':
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return "", err
		}
		return s, nil
	case 'n':
		return "null", nil
	}
	if t[0] == '-' || (t[0] >= '0' && t[0] <= '9') {
		// Python prints an int as is; a float as its repr.
		return string(t), nil
	}
	var out strings.Builder
	if err := pythonJSON(&out, t); err != nil {
		return "", err
	}
	return out.String(), nil
}

// pythonJSON re-emits JSON in the form Python's json.dumps gives by default,
// keeping the order of object keys.
func pythonJSON(out *strings.Builder, data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	// first[i] tells whether the container at depth i has had no element yet;
	// isObj[i] whether it is an object, and key[i] whether its next token is a key.
	var first, isObj, key []bool
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		d := len(first) - 1
		if delim, ok := tok.(json.Delim); ok && (delim == '}' || delim == ']') {
			out.WriteRune(rune(delim))
			first, isObj, key = first[:d], isObj[:d], key[:d]
			if d > 0 && isObj[d-1] {
				key[d-1] = true
			}
			continue
		}
		if d >= 0 {
			switch {
			case isObj[d] && key[d]:
				if !first[d] {
					out.WriteString(", ")
				}
				first[d] = false
			case isObj[d]:
				out.WriteString(": ")
			default:
				if !first[d] {
					out.WriteString(", ")
				}
				first[d] = false
			}
		}
		switch x := tok.(type) {
		case json.Delim:
			out.WriteRune(rune(x))
			if d >= 0 && isObj[d] {
				key[d] = false // the container is this key's value
			}
			first, isObj, key = append(first, true), append(isObj, x == '{'), append(key, x == '{')
			continue
		case nil:
			out.WriteString("null")
		case bool:
			if x {
				out.WriteString("true")
			} else {
				out.WriteString("false")
			}
		case json.Number:
			out.WriteString(x.String())
		case string:
			writePyString(out, x)
		}
		if d >= 0 && isObj[d] {
			key[d] = !key[d]
		}
	}
}

func writePyString(out *strings.Builder, s string) {
	out.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			out.WriteString(`\"`)
		case r == '\\':
			out.WriteString(`\\`)
		case r == '\n':
			out.WriteString(`\n`)
		case r == '\r':
			out.WriteString(`\r`)
		case r == '\t':
			out.WriteString(`\t`)
		case r == '\b':
			out.WriteString(`\b`)
		case r == '\f':
			out.WriteString(`\f`)
		case r < 0x20 || r == 0x7f || r > 0x7e:
			if r > 0xffff {
				r1, r2 := utf16Surrogates(r)
				fmt.Fprintf(out, `\u%04x\u%04x`, r1, r2)
			} else if r == utf8.RuneError {
				out.WriteString(`\ufffd`)
			} else {
				fmt.Fprintf(out, `\u%04x`, r)
			}
		default:
			out.WriteRune(r)
		}
	}
	out.WriteByte('"')
}

func utf16Surrogates(r rune) (rune, rune) {
	r -= 0x10000
	return 0xd800 + (r>>10)&0x3ff, 0xdc00 + r&0x3ff
}

// ParseOutput is the client side of FormatResult: it turns midclt's stdout
// back into JSON. True/False become booleans, JSON passes through, and any
// other text is a string (midclt prints strings raw).
func ParseOutput(stdout string) json.RawMessage {
	s := strings.TrimRight(stdout, "\r\n")
	switch s {
	case "True":
		return json.RawMessage("true")
	case "False":
		return json.RawMessage("false")
	case "None":
		return json.RawMessage("null")
	}
	t := strings.TrimSpace(s)
	if t != "" && json.Valid([]byte(t)) {
		if _, err := strconv.ParseFloat(t, 64); err == nil || t[0] == '{' || t[0] == '[' || t == "null" {
			return json.RawMessage(t)
		}
		if t[0] == '"' {
			// A string result that itself looks like a JSON string: midclt
			// printed it raw, so keep the quotes as part of the value.
			b, _ := json.Marshal(s)
			return b
		}
		return json.RawMessage(t)
	}
	b, _ := json.Marshal(s)
	return b
}
