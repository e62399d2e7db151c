// Package filter evaluates TrueNAS query filters and options over JSON
// entries: the operators, OR, dotted paths, get, count, select, order_by,
// limit and offset.
//
// Semantics follow middlewared's filter_list (utils/filter_list.py and
// api/base/validators), with these deliberate choices:
//
//   - Values compare with Python semantics where sensible (see value.go):
//     different JSON types are never equal, booleans are not numbers, and an
//     ordering comparison or a contains test between incompatible types (or
//     with null) does not match instead of raising.
//   - A missing key never matches, not even with != or nin. A path that runs
//     into a scalar or null reaches nothing (does not match); an array index
//     out of range reads as null; a non-numeric, non-* segment on an array
//     does not match.
//   - "<field>.$date" conditions take an ISO-8601 string (naive means UTC)
//     and compare it with the {"$date": ms} value of the field. Values given
//     as {"$date": ms} objects also order among themselves.
//   - ~ is Go RE2 syntax (no look-around or back-references), anchored at the
//     start like re.match. C-operators lower-case strings and the strings in
//     lists.
//   - order_by keys are applied one after the other as stable sorts, as
//     TrueNAS does (so the last key is the primary one). Sorting over null
//     without nulls_first:/nulls_last:, or over values of different types,
//     is a *account.CallError, as TrueNAS raises then.
//   - Unlike TrueNAS, order_by runs before select, so one may order by a field
//     that is not selected.
//   - get with filters and without order_by stops at the first match and
//     ignores count, as TrueNAS does.
package filter

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// entry is one raw entry with an index of its top-level members that is
// built lazily and incrementally: a lookup scans only as far as the member it
// needs, and no byte is scanned twice. The index lives in an arena shared by
// all entries of one Apply call, as offsets into the entry's bytes, so it
// costs no allocation of its own and gives the garbage collector no pointers
// to scan. Should an entry repeat a key (json.Marshal never does), the first
// occurrence wins.
type entry struct {
	raw     []byte
	started bool // the opening brace has been read
	done    bool // every member is indexed (or the entry is malformed)
	bad     bool // the entry is not a well-formed JSON object
	pos     int  // scan position: just past the last indexed member
	lo, hi  int  // the entry's members in ar.members
	ar      *arena
	escKeys map[int]string // decoded keys that contain escapes, by member index
}

type member struct {
	ks, ke, vs, ve int32 // key (without quotes) and value offsets in raw
}

type arena struct{ members []member }

// scanNext indexes one more member; it returns false at the end.
func (e *entry) scanNext() bool {
	if e.done {
		return false
	}
	b := e.raw
	fail := func() bool {
		e.bad, e.done = true, true
		return false
	}
	if len(b) > 1<<31-1 {
		return fail()
	}
	i := e.pos
	if !e.started {
		e.started = true
		i = skipWS(b, 0)
		if i >= len(b) || b[i] != '{' {
			return fail()
		}
		i = skipWS(b, i+1)
		if i < len(b) && b[i] == '}' {
			e.done = true
			return false
		}
	} else {
		i = skipWS(b, i)
		if i >= len(b) {
			return fail()
		}
		if b[i] == '}' {
			e.done = true
			return false
		}
		if b[i] != ',' {
			return fail()
		}
		i = skipWS(b, i+1)
	}
	ks := i
	ke, esc, err := scanString(b, i)
	if err != nil {
		return fail()
	}
	i = skipWS(b, ke)
	if i >= len(b) || b[i] != ':' {
		return fail()
	}
	vs := skipWS(b, i+1)
	ve, err := skipValue(b, vs)
	if err != nil {
		return fail()
	}
	ar := e.ar
	if e.hi != len(ar.members) {
		// Another entry was indexed since: move this one's members to the end
		// so that they stay contiguous.
		lo := len(ar.members)
		ar.members = append(ar.members, ar.members[e.lo:e.hi]...)
		if e.escKeys != nil {
			moved := make(map[int]string, len(e.escKeys))
			for k, v := range e.escKeys {
				moved[k-e.lo+lo] = v
			}
			e.escKeys = moved
		}
		e.lo, e.hi = lo, len(ar.members)
	}
	if esc {
		k, err := keyString(b[ks:ke], true)
		if err != nil {
			return fail()
		}
		if e.escKeys == nil {
			e.escKeys = map[int]string{}
		}
		e.escKeys[len(ar.members)] = k
	}
	ar.members = append(ar.members, member{ks: int32(ks + 1), ke: int32(ke - 1), vs: int32(vs), ve: int32(ve)})
	e.hi = len(ar.members)
	e.pos = ve
	return true
}

// index indexes every member and reports whether the entry is well formed.
func (e *entry) index() bool {
	for e.scanNext() {
	}
	return !e.bad
}

func (e *entry) keyIs(i int, name string) bool {
	if e.escKeys != nil {
		if k, ok := e.escKeys[i]; ok {
			return k == name
		}
	}
	m := e.ar.members[i]
	return string(e.raw[m.ks:m.ke]) == name
}

// field returns the raw value of a top-level member.
func (e *entry) field(name string) ([]byte, bool) {
	for i := e.lo; i < e.hi; i++ {
		if e.keyIs(i, name) {
			m := e.ar.members[i]
			return e.raw[m.vs:m.ve], true
		}
	}
	for e.scanNext() {
		if i := e.hi - 1; e.keyIs(i, name) {
			m := e.ar.members[i]
			return e.raw[m.vs:m.ve], true
		}
	}
	return nil, false
}

func invalidJSON(attr string) account.Errors {
	return account.Errors{{Attribute: attr, Message: "Invalid JSON", Errno: account.EINVAL}}
}

func isNull(b json.RawMessage) bool {
	s := strings.TrimSpace(string(b))
	return s == "" || s == "null"
}

// Apply runs filters (a JSON list, may be empty or null) and options (a JSON
// object, may be empty or null) over entries, each a JSON object, and returns
// the query result: a list, a single object (get), or an int (count).
// Errors are account.Errors (bad filter shapes, attribute "query-filters" /
// "query-options") or *account.CallError (MatchNotFound with get, or a sort
// TrueNAS cannot do).
func Apply(entries []json.RawMessage, filters, options json.RawMessage) (json.RawMessage, error) {
	var errs account.Errors

	var optv any
	if !isNull(options) {
		v, err := decodeJSON(options)
		if err != nil || !json.Valid(options) {
			return nil, invalidJSON(optAttr)
		}
		optv = v
	}
	opts := parseOptions(optv, &errs)

	var nodes []*node
	if !isNull(filters) {
		fv, err := decodeJSON(filters)
		if err != nil || !json.Valid(filters) {
			return nil, invalidJSON("query-filters")
		}
		list, ok := fv.([]any)
		if !ok {
			errs.Add("query-filters", "Input should be a valid list", account.EINVAL)
		}
		for i, f := range list {
			n, err := compileFilter(f, 0)
			if err != nil {
				errs.Add(fmt.Sprintf("query-filters.%d", i), err.Error(), account.EINVAL)
				continue
			}
			nodes = append(nodes, n)
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}

	es := make([]*entry, len(entries))
	store := make([]entry, len(entries))
	ar := &arena{members: make([]member, 0, 4*len(entries))}
	for i := range entries {
		store[i].raw = entries[i]
		store[i].ar = ar
		es[i] = &store[i]
	}

	rv := es
	shortcircuit := opts.get && len(opts.orderBy) == 0
	if len(nodes) > 0 {
		rv = rv[:0:0]
		for _, e := range es {
			if matchAll(nodes, e) {
				rv = append(rv, e)
				if shortcircuit {
					break
				}
			}
		}
		if shortcircuit {
			return getResult(rv, opts)
		}
	}
	for _, e := range rv {
		if (len(opts.orderBy) > 0 || len(opts.selects) > 0) && !e.index() {
			return nil, account.NewCallError(account.EINVAL, "entry is not a JSON object")
		}
	}

	if opts.count {
		return json.RawMessage(strconv.Itoa(len(rv))), nil
	}

	rv, err := order(rv, opts.orderBy)
	if err != nil {
		return nil, err
	}

	if opts.get {
		return getResult(rv, opts)
	}
	if opts.offset > 0 {
		if opts.offset >= len(rv) {
			rv = nil
		} else {
			rv = rv[opts.offset:]
		}
	}
	if opts.limit > 0 && opts.limit < len(rv) {
		rv = rv[:opts.limit]
	}

	var buf []byte
	buf = append(buf, '[')
	for i, e := range rv {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf, err = render(buf, e, opts)
		if err != nil {
			return nil, err
		}
	}
	buf = append(buf, ']')
	return buf, nil
}

func matchAll(nodes []*node, e *entry) bool {
	for _, n := range nodes {
		if !n.match(e) {
			return false
		}
	}
	return true
}

func getResult(rv []*entry, opts options) (json.RawMessage, error) {
	if len(rv) == 0 {
		return nil, &account.CallError{Errno: account.EINVAL, Message: "MatchNotFound()"}
	}
	out, err := render(nil, rv[0], opts)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// render appends the entry, or its selection, to buf.
func render(buf []byte, e *entry, opts options) ([]byte, error) {
	if len(opts.selects) == 0 {
		return append(buf, trimValue(e.raw)...), nil
	}
	root := &outObj{}
	for _, s := range opts.selects {
		val, found, err := selectPath(e, s.segs)
		if err != nil {
			return nil, err
		}
		if !found {
			continue
		}
		if s.renamed {
			root.set(s.newName, val)
			continue
		}
		if len(s.segs) == 0 {
			continue
		}
		obj := root
		for _, k := range s.segs[:len(s.segs)-1] {
			child, ok := obj.get(k).(*outObj)
			if !ok {
				if obj.has(k) {
					// The whole parent is already selected; it holds this value.
					obj = nil
					break
				}
				child = &outObj{}
				obj.set(k, child)
			}
			obj = child
		}
		if obj != nil {
			obj.set(s.segs[len(s.segs)-1], val)
		}
	}
	return root.appendTo(buf), nil
}

// selectPath resolves a select path through objects only, as TrueNAS does.
func selectPath(e *entry, segs []string) (val []byte, found bool, err error) {
	if len(segs) == 0 {
		return nil, false, nil
	}
	cur, ok := e.field(segs[0])
	if !ok {
		return nil, false, nil
	}
	for _, s := range segs[1:] {
		switch kindOf(cur) {
		case '{':
			cur, ok = lookup(cur, s)
			if !ok {
				return nil, false, nil
			}
		case '[':
			return nil, false, account.NewCallError(account.EINVAL, "Selecting by list index is not supported")
		default:
			return nil, false, nil
		}
	}
	return trimValue(cur), true, nil
}

// outObj is an insertion-ordered JSON object under construction; values are
// raw JSON or nested *outObj.
type outObj struct {
	keys []string
	vals []any
}

func (o *outObj) find(k string) int {
	for i, key := range o.keys {
		if key == k {
			return i
		}
	}
	return -1
}

func (o *outObj) has(k string) bool { return o.find(k) >= 0 }

func (o *outObj) get(k string) any {
	if i := o.find(k); i >= 0 {
		return o.vals[i]
	}
	return nil
}

func (o *outObj) set(k string, v any) {
	if i := o.find(k); i >= 0 {
		o.vals[i] = v
		return
	}
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
}

func (o *outObj) appendTo(buf []byte) []byte {
	buf = append(buf, '{')
	for i, k := range o.keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		kb, _ := json.Marshal(k)
		buf = append(buf, kb...)
		buf = append(buf, ':')
		switch v := o.vals[i].(type) {
		case []byte:
			buf = append(buf, v...)
		case *outObj:
			buf = v.appendTo(buf)
		}
	}
	return append(buf, '}')
}

// resolve reads a dotted path for sorting, like TrueNAS's get(): missing
// values are null, and a * returns the array it applies to.
func resolve(e *entry, segs []string) any {
	if len(segs) == 0 {
		v, _ := decodeRaw(e.raw)
		return v
	}
	cur, ok := e.field(segs[0])
	if !ok {
		return nil
	}
	for _, s := range segs[1:] {
		switch kindOf(cur) {
		case '{':
			cur, ok = lookup(cur, s)
			if !ok {
				return nil
			}
		case '[':
			if s == "*" {
				v, _ := decodeRaw(cur)
				return v
			}
			idx, isIdx := arrayIndex(s)
			if !isIdx {
				return nil
			}
			var found []byte
			k := 0
			_ = eachElem(cur, func(el []byte) bool {
				if k == idx {
					found = el
					return false
				}
				k++
				return true
			})
			if found == nil {
				return nil
			}
			cur = found
		default:
			return nil
		}
	}
	v, _ := decodeRaw(cur)
	return v
}

const (
	nullsFirst = "nulls_first:"
	nullsLast  = "nulls_last:"
)

// order applies each order_by key in turn as a stable sort.
func order(rv []*entry, orderBy []string) ([]*entry, error) {
	if len(orderBy) == 0 {
		return rv, nil
	}
	rv = append([]*entry(nil), rv...)
	for _, o := range orderBy {
		var err error
		switch {
		case strings.HasPrefix(o, nullsFirst):
			nulls, rest, e := orderNulls(rv, o[len(nullsFirst):])
			rv, err = append(nulls, rest...), e
		case strings.HasPrefix(o, nullsLast):
			nulls, rest, e := orderNulls(rv, o[len(nullsLast):])
			rv, err = append(rest, nulls...), e
		default:
			err = sortBy(rv, o, true)
		}
		if err != nil {
			return nil, err
		}
	}
	return rv, nil
}

// orderNulls splits off the entries whose top-level field is null or
// missing (TrueNAS checks entry.get(field)) and sorts the rest.
func orderNulls(rv []*entry, field string) (nulls, rest []*entry, err error) {
	name := strings.TrimPrefix(field, "-")
	for _, e := range rv {
		v, ok := e.field(name)
		if !ok || kindOf(v) == 'n' {
			nulls = append(nulls, e)
		} else {
			rest = append(rest, e)
		}
	}
	err = sortBy(rest, field, false)
	return nulls, rest, err
}

func sortBy(rv []*entry, field string, nullHint bool) error {
	name, reverse := field, false
	if strings.HasPrefix(name, "-") {
		name, reverse = name[1:], true
	}
	segs := splitPath(name)
	keys := make([]any, len(rv))
	for i, e := range rv {
		keys[i] = resolve(e, segs)
	}
	if len(rv) < 2 {
		return nil
	}
	var bad [2]any
	failed := false
	idx := make([]int, len(rv))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		x, y := keys[idx[a]], keys[idx[b]]
		if reverse {
			x, y = y, x
		}
		c, ok := compare(x, y)
		if !ok {
			if !failed {
				failed, bad = true, [2]any{x, y}
			}
			return false
		}
		return c < 0
	})
	if failed {
		if nullHint && (bad[0] == nil || bad[1] == nil) {
			return account.NewCallError(account.EINVAL,
				"Cannot sort by '%s' because the field contains null values. Please use \"nulls_first:%s\" or \"nulls_last:%s\" to specify null placement.",
				field, field, field)
		}
		return account.NewCallError(account.EINVAL, "'<' not supported between instances of '%s' and '%s'",
			typeName(bad[0]), typeName(bad[1]))
	}
	sorted := make([]*entry, len(rv))
	for i, j := range idx {
		sorted[i] = rv[j]
	}
	copy(rv, sorted)
	return nil
}
