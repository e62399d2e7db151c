package filter

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// maxDepth is TrueNAS's MAX_FILTERS_DEPTH: OR branches may nest three deep.
const maxDepth = 3

const timestampDesignator = ".$date"

// ops are the operators without the C (case-insensitive) prefix.
var ops = map[string]bool{
	"=": true, "!=": true, ">": true, ">=": true, "<": true, "<=": true,
	"~": true, "in": true, "nin": true, "rin": true, "rnin": true,
	"^": true, "!^": true, "$": true, "!$": true,
}

var comparisonOps = map[string]bool{"=": true, "!=": true, ">": true, ">=": true, "<": true, "<=": true}

// node is a compiled filter: a condition, or an OR of branches, each branch
// an AND of nodes.
type node struct {
	cond *cond
	or   [][]*node
}

type cond struct {
	segs []string // path segments ("" path: the entry itself)
	op   string   // without the C prefix
	ci   bool     // C prefix
	val  any      // already folded when ci
	re   *regexp.Regexp
}

// splitPath splits a dotted path into segments; `\.` is a literal dot.
func splitPath(p string) []string {
	if p == "" {
		return nil
	}
	var segs []string
	var cur strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '\\' && i+1 < len(p) && p[i+1] == '.' {
			cur.WriteByte('.')
			i++
			continue
		}
		if c == '.' {
			segs = append(segs, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	return append(segs, cur.String())
}

// compileError is one validation failure inside query-filters.
type compileError struct{ msg string }

func (e *compileError) Error() string { return e.msg }

func errf(format string, args ...any) error {
	return &compileError{msg: fmt.Sprintf(format, args...)}
}

// show renders a decoded filter fragment for messages.
func show(v any) string {
	b, err := json.Marshal(unconvert(v))
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// unconvert turns the comparison model back into json-encodable values.
func unconvert(v any) any {
	switch x := v.(type) {
	case num:
		if x.isInt {
			return x.i
		}
		return x.f
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = unconvert(x[i])
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = unconvert(e)
		}
		return out
	}
	return v
}

// compileFilter compiles one element of a filter list at the given depth
// (TrueNAS validate_filters semantics).
func compileFilter(f any, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, errf("query-filters max recursion depth exceeded")
	}
	l, ok := f.([]any)
	if !ok {
		return nil, errf("Invalid filter %s", show(f))
	}
	switch len(l) {
	case 2:
		op, ok := l[0].(string)
		if !ok || op != "OR" {
			if ok {
				return nil, errf("Invalid operation: %s", op)
			}
			return nil, errf("Invalid operation: %s", show(l[0]))
		}
		branches, ok := l[1].([]any)
		if !ok {
			return nil, errf("Invalid filter %s", show(f))
		}
		if len(branches) == 0 {
			return nil, errf("OR filter requires at least one branch.")
		}
		n := &node{}
		for _, b := range branches {
			bl, ok := b.([]any)
			if !ok || len(bl) == 0 {
				return nil, errf("Invalid filter %s", show(b))
			}
			var conj []*node
			if _, isList := bl[0].([]any); isList {
				// A conjunction of conditions.
				if depth+1 > maxDepth {
					return nil, errf("query-filters max recursion depth exceeded")
				}
				for _, c := range bl {
					cn, err := compileFilter(c, depth+1)
					if err != nil {
						return nil, err
					}
					conj = append(conj, cn)
				}
			} else {
				cn, err := compileFilter(bl, depth+1)
				if err != nil {
					return nil, err
				}
				conj = []*node{cn}
			}
			n.or = append(n.or, conj)
		}
		return n, nil
	case 3:
		return compileCond(l)
	}
	return nil, errf("Invalid filter %s", show(f))
}

func compileCond(l []any) (*node, error) {
	field, ok := l[0].(string)
	if !ok {
		return nil, errf("Invalid filter field: %s (must be a string)", show(l[0]))
	}
	fullOp, ok := l[1].(string)
	if !ok {
		return nil, errf("Invalid operation: %s", show(l[1]))
	}
	c := &cond{segs: splitPath(field), op: fullOp, val: l[2]}
	if strings.HasPrefix(fullOp, "C") {
		c.op, c.ci = fullOp[1:], true
		if c.op == "~" {
			return nil, errf("Invalid case-insensitive operation: %s", fullOp)
		}
	}
	if !ops[c.op] {
		return nil, errf("Invalid operation: %s", fullOp)
	}
	if strings.HasSuffix(field, timestampDesignator) {
		if !comparisonOps[c.op] {
			return nil, errf("%s: invalid timestamp operation.", c.op)
		}
		s, ok := c.val.(string)
		if !ok {
			return nil, errf("%s: must be an ISO-8601 formatted timestamp string", show(c.val))
		}
		t, ok := parseISO(s)
		if !ok {
			return nil, errf("%s: must be an ISO-8601 formatted timestamp string", s)
		}
		us := t.UnixMicro()
		if us%1000 == 0 {
			c.val = num{i: us / 1000, f: float64(us / 1000), isInt: true}
		} else {
			c.val = num{f: float64(us) / 1000}
		}
	}
	switch c.op {
	case "~":
		pat, ok := c.val.(string)
		if !ok {
			return nil, errf("~: the pattern must be a string, not %s", show(c.val))
		}
		if _, err := regexp.Compile(pat); err != nil {
			return nil, errf("~: invalid regular expression %q: %v", pat, err)
		}
		// re.match anchors at the start only.
		re, err := regexp.Compile(`\A(?:` + pat + `)`)
		if err != nil {
			return nil, errf("~: invalid regular expression %q: %v", pat, err)
		}
		c.re = re
	case "^", "!^", "$", "!$":
		if _, ok := c.val.(string); !ok {
			return nil, errf("%s: the value must be a string, not %s", fullOp, show(c.val))
		}
	case "in", "nin":
		switch c.val.(type) {
		case []any, string, map[string]any:
		default:
			return nil, errf("%s: the value must be a list or a string, not %s", fullOp, show(c.val))
		}
	}
	if c.ci {
		c.val = fold(c.val)
	}
	return &node{cond: c}, nil
}

var isoLayouts = []string{
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02T15",
	"2006-01-02",
}

// parseISO parses the ISO-8601 forms Python's datetime.fromisoformat takes;
// a time without offset is UTC.
func parseISO(s string) (time.Time, bool) {
	for _, l := range isoLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// match evaluates a compiled node against one entry.
func (n *node) match(e *entry) bool {
	if n.cond != nil {
		return n.cond.matchEntry(e)
	}
	for _, branch := range n.or {
		hit := true
		for _, c := range branch {
			if !c.match(e) {
				hit = false
				break
			}
		}
		if hit {
			return true
		}
	}
	return false
}

func (c *cond) matchEntry(e *entry) bool {
	if len(c.segs) == 0 {
		return c.matchRaw(e.raw, 0)
	}
	v, ok := e.field(c.segs[0])
	if !ok {
		return false // a missing key never matches, not even !=
	}
	return c.matchRaw(v, 1)
}

// matchRaw walks segs[i:] from raw and tests what it reaches.
func (c *cond) matchRaw(raw []byte, i int) bool {
	if i == len(c.segs) {
		if s, ok := c.val.(string); ok && !c.ci && (c.op == "=" || c.op == "!=") {
			// Fast path: compare an unescaped string without decoding it.
			raw = trimValue(raw)
			if len(raw) >= 2 && raw[0] == '"' {
				if end, esc, err := scanString(raw, 0); err == nil && !esc && end == len(raw) {
					return (string(raw[1:len(raw)-1]) == s) == (c.op == "=")
				}
			}
		}
		v, err := decodeRaw(raw)
		if err != nil {
			return false
		}
		return c.test(v)
	}
	seg := c.segs[i]
	switch kindOf(raw) {
	case '{':
		v, ok := lookup(raw, seg)
		if !ok {
			return false
		}
		return c.matchRaw(v, i+1)
	case '[':
		if seg == "*" {
			hit := false
			_ = eachElem(raw, func(el []byte) bool {
				hit = c.matchRaw(el, i+1)
				return !hit
			})
			return hit
		}
		idx, ok := arrayIndex(seg)
		if !ok {
			return false // TrueNAS: "must be array index or wildcard character"
		}
		var found []byte
		k := 0
		_ = eachElem(raw, func(el []byte) bool {
			if k == idx {
				found = el
				return false
			}
			k++
			return true
		})
		if found == nil {
			// Out of range reads as null, as in TrueNAS.
			return c.test(nil)
		}
		return c.matchRaw(found, i+1)
	}
	// A path through a scalar or null reaches nothing.
	return false
}

func arrayIndex(seg string) (int, bool) {
	if seg == "" {
		return 0, false
	}
	for i := 0; i < len(seg); i++ {
		if seg[i] < '0' || seg[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(seg)
	if err != nil {
		return -1, true // too large: out of range
	}
	return n, true
}

// test applies the operator to the value the path reached.
func (c *cond) test(src any) bool {
	if c.ci {
		src = fold(src)
	}
	v := c.val
	switch c.op {
	case "=":
		return equal(src, v)
	case "!=":
		return !equal(src, v)
	case ">", ">=", "<", "<=":
		r, ok := compare(src, v)
		if !ok {
			return false
		}
		switch c.op {
		case ">":
			return r > 0
		case ">=":
			return r >= 0
		case "<":
			return r < 0
		}
		return r <= 0
	case "~":
		if src == nil {
			src = ""
		}
		s, ok := src.(string)
		return ok && c.re.MatchString(s)
	case "in":
		found, ok := contains(v, src)
		return ok && found
	case "nin":
		if src == nil {
			return false
		}
		found, ok := contains(v, src)
		return ok && !found
	case "rin":
		if src == nil {
			return false
		}
		found, ok := contains(src, v)
		return ok && found
	case "rnin":
		if src == nil {
			return false
		}
		found, ok := contains(src, v)
		return ok && !found
	case "^", "!^", "$", "!$":
		s, ok := src.(string)
		if !ok {
			return false
		}
		p := v.(string)
		switch c.op {
		case "^":
			return strings.HasPrefix(s, p)
		case "!^":
			return !strings.HasPrefix(s, p)
		case "$":
			return strings.HasSuffix(s, p)
		}
		return !strings.HasSuffix(s, p)
	}
	return false
}
