package filter

import (
	"strings"
)

// The comparison model. A decoded JSON value is one of:
//
//	nil (null), bool, string, num, []any, map[string]any
//
// The rules follow Python's where that is sensible:
//   - = and != compare deeply; values of different JSON types are never
//     equal (3000 != "3000"). Unlike Python, booleans are not numbers:
//     true != 1. Integers and floats compare by value (1 = 1.0).
//   - Ordering (<, <=, >, >=) is defined between two numbers, two strings
//     (by code point), two booleans (false < true), two lists
//     (lexicographically) and two {"$date": ms} objects. Anything else,
//     including null, is incomparable: the condition does not match (where
//     Python would raise TypeError). Sorting with order_by does report
//     incomparable values as an error, as TrueNAS does.

// num is a JSON number: an int64 when it is an integer in range, else a
// float64.
type num struct {
	i     int64
	f     float64
	isInt bool
}

func numCompare(a, b num) int {
	if a.isInt && b.isInt {
		switch {
		case a.i < b.i:
			return -1
		case a.i > b.i:
			return 1
		}
		return 0
	}
	switch {
	case a.f < b.f:
		return -1
	case a.f > b.f:
		return 1
	}
	return 0
}

func equal(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case num:
		y, ok := b.(num)
		if !ok {
			return false
		}
		if x.isInt && y.isInt {
			return x.i == y.i
		}
		return x.f == y.f
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !equal(v, w) {
				return false
			}
		}
		return true
	}
	return false
}

// dateOf recognises the ejson datetime {"$date": ms}.
func dateOf(v any) (num, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return num{}, false
	}
	n, ok := m["$date"].(num)
	return n, ok
}

// compare orders a and b; ok is false when they are incomparable.
func compare(a, b any) (c int, ok bool) {
	switch x := a.(type) {
	case num:
		y, ok := b.(num)
		if !ok {
			return 0, false
		}
		return numCompare(x, y), true
	case string:
		y, ok := b.(string)
		if !ok {
			return 0, false
		}
		return strings.Compare(x, y), true
	case bool:
		y, ok := b.(bool)
		if !ok {
			return 0, false
		}
		switch {
		case x == y:
			return 0, true
		case !x:
			return -1, true
		}
		return 1, true
	case []any:
		y, ok := b.([]any)
		if !ok {
			return 0, false
		}
		for i := 0; i < len(x) && i < len(y); i++ {
			if equal(x[i], y[i]) {
				continue
			}
			return compare(x[i], y[i])
		}
		switch {
		case len(x) < len(y):
			return -1, true
		case len(x) > len(y):
			return 1, true
		}
		return 0, true
	case map[string]any:
		dx, okx := dateOf(x)
		dy, oky := dateOf(b)
		if okx && oky {
			return numCompare(dx, dy), true
		}
	}
	return 0, false
}

// contains implements Python's `item in container` for the JSON types:
// element equality for a list, substring for two strings, key membership for
// an object. ok is false where Python would raise TypeError.
func contains(container, item any) (found, ok bool) {
	switch c := container.(type) {
	case []any:
		for _, e := range c {
			if equal(e, item) {
				return true, true
			}
		}
		return false, true
	case string:
		s, ok := item.(string)
		if !ok {
			return false, false
		}
		return strings.Contains(c, s), true
	case map[string]any:
		s, ok := item.(string)
		if !ok {
			// Unhashable keys raise in Python; other types simply miss.
			switch item.(type) {
			case []any, map[string]any:
				return false, false
			}
			return false, true
		}
		_, found := c[s]
		return found, true
	}
	return false, false
}

// fold is the case folding of the C operators: strings are lower-cased, the
// string elements of a list too; other values are left alone.
func fold(v any) any {
	switch x := v.(type) {
	case string:
		return strings.ToLower(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			if s, ok := e.(string); ok {
				out[i] = strings.ToLower(s)
			} else {
				out[i] = e
			}
		}
		return out
	}
	return v
}

// typeName is Python's name for the type of v, for error messages.
func typeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case string:
		return "str"
	case num:
		if x.isInt {
			return "int"
		}
		return "float"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	}
	return "object"
}
