package filter

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
)

// This file holds a small, allocation-light scanner over raw JSON. Entries
// are kept as raw bytes: filters only decode the values their paths reach,
// and results re-use the original bytes, so the key order of every entry
// (and of every nested object) is preserved. Every function is bounds-safe
// and reports malformed input instead of panicking.

var errSyntax = errors.New("malformed JSON")

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// scanString expects b[i] == '"' and returns the index just past the closing
// quote and whether the string contains escapes.
func scanString(b []byte, i int) (end int, escaped bool, err error) {
	if i >= len(b) || b[i] != '"' {
		return 0, false, errSyntax
	}
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j + 1, escaped, nil
		}
	}
	return 0, false, errSyntax
}

// skipValue returns the index just past the value starting at b[i].
func skipValue(b []byte, i int) (int, error) {
	i = skipWS(b, i)
	if i >= len(b) {
		return 0, errSyntax
	}
	switch b[i] {
	case '"':
		end, _, err := scanString(b, i)
		return end, err
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, _, err := scanString(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errSyntax
	default:
		j := i
		for j < len(b) {
			c := b[j]
			if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ':' {
				break
			}
			j++
		}
		if j == i {
			return 0, errSyntax
		}
		return j, nil
	}
}

// trimValue strips surrounding white space from a raw value.
func trimValue(b []byte) []byte { return bytes.TrimSpace(b) }

// keyString decodes a raw JSON string token (quotes included).
func keyString(tok []byte, escaped bool) (string, error) {
	if !escaped {
		return string(tok[1 : len(tok)-1]), nil
	}
	var s string
	if err := json.Unmarshal(tok, &s); err != nil {
		return "", errSyntax
	}
	return s, nil
}

// eachMember calls fn for each member of the object b (which must start with
// '{' after white space), stopping early when fn returns false. The key is
// the raw token without quotes when it has no escapes; keyEsc tells whether
// it must be decoded with keyString.
func eachMember(b []byte, fn func(key []byte, keyEsc bool, val []byte) bool) error {
	return eachMemberAt(b, func(ks, ke int, esc bool, vs, ve int) bool {
		return fn(b[ks:ke], esc, b[vs:ve])
	})
}

// eachMemberAt is eachMember with offsets into b: the key token (quotes
// included) is b[ks:ke], the value b[vs:ve].
func eachMemberAt(b []byte, fn func(ks, ke int, keyEsc bool, vs, ve int) bool) error {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errSyntax
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return nil
	}
	for {
		i = skipWS(b, i)
		end, esc, err := scanString(b, i)
		if err != nil {
			return err
		}
		ks := i
		i = skipWS(b, end)
		if i >= len(b) || b[i] != ':' {
			return errSyntax
		}
		i = skipWS(b, i+1)
		vend, err := skipValue(b, i)
		if err != nil {
			return err
		}
		if !fn(ks, end, esc, i, vend) {
			return nil
		}
		i = skipWS(b, vend)
		if i >= len(b) {
			return errSyntax
		}
		if b[i] == '}' {
			return nil
		}
		if b[i] != ',' {
			return errSyntax
		}
		i++
	}
}

// eachElem calls fn for each element of the array b, stopping early when fn
// returns false.
func eachElem(b []byte, fn func(val []byte) bool) error {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '[' {
		return errSyntax
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return nil
	}
	for {
		i = skipWS(b, i)
		vend, err := skipValue(b, i)
		if err != nil {
			return err
		}
		if !fn(b[i:vend]) {
			return nil
		}
		i = skipWS(b, vend)
		if i >= len(b) {
			return errSyntax
		}
		if b[i] == ']' {
			return nil
		}
		if b[i] != ',' {
			return errSyntax
		}
		i++
	}
}

// keyEquals reports whether the raw key token (quoted) names name.
func keyEquals(tok []byte, esc bool, name string) bool {
	if !esc {
		return len(tok) == len(name)+2 && string(tok[1:len(tok)-1]) == name
	}
	s, err := keyString(tok, true)
	return err == nil && s == name
}

// lookup finds member name in the raw object b.
func lookup(b []byte, name string) (val []byte, found bool) {
	_ = eachMember(b, func(key []byte, esc bool, v []byte) bool {
		if keyEquals(key, esc, name) {
			val, found = v, true
			return false
		}
		return true
	})
	return val, found
}

// kindOf returns the first significant byte of a raw value: '{', '[', '"',
// 't', 'f', 'n' or a number's first byte; 0 when empty.
func kindOf(b []byte) byte {
	i := skipWS(b, 0)
	if i >= len(b) {
		return 0
	}
	return b[i]
}

// decodeRaw turns a raw JSON value into the comparison model (see value.go).
func decodeRaw(b []byte) (any, error) {
	b = trimValue(b)
	if len(b) == 0 {
		return nil, errSyntax
	}
	switch b[0] {
	case '"':
		end, esc, err := scanString(b, 0)
		if err != nil || end != len(b) {
			return nil, errSyntax
		}
		return keyString(b, esc)
	case 't':
		if string(b) == "true" {
			return true, nil
		}
		return nil, errSyntax
	case 'f':
		if string(b) == "false" {
			return false, nil
		}
		return nil, errSyntax
	case 'n':
		if string(b) == "null" {
			return nil, nil
		}
		return nil, errSyntax
	case '{', '[':
		return decodeJSON(b)
	default:
		return parseNumber(string(b))
	}
}

// decodeJSON decodes any JSON text into the comparison model.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errSyntax
	}
	return convert(v)
}

// convert replaces json.Number with num throughout v.
func convert(v any) (any, error) {
	switch t := v.(type) {
	case json.Number:
		return parseNumber(string(t))
	case []any:
		for i := range t {
			c, err := convert(t[i])
			if err != nil {
				return nil, err
			}
			t[i] = c
		}
		return t, nil
	case map[string]any:
		for k, x := range t {
			c, err := convert(x)
			if err != nil {
				return nil, err
			}
			t[k] = c
		}
		return t, nil
	}
	return v, nil
}

func parseNumber(s string) (any, error) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return num{i: i, f: float64(i), isInt: true}, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return num{f: f}, nil
		}
		return nil, errSyntax
	}
	return num{f: f}, nil
}
