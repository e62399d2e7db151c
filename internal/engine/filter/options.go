package filter

import (
	"fmt"
	"sort"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// options are the validated query-options.
type options struct {
	get, count    bool
	offset, limit int
	selects       []selectItem
	orderBy       []string
}

type selectItem struct {
	segs    []string
	newName string // "" when not renamed
	renamed bool
}

// optionKeys are the keys QueryOptions accepts; the ignored ones are per-method
// or datastore knobs that have no meaning over a plain entry list.
var optionKeys = map[string]bool{
	"get": true, "count": true, "select": true, "order_by": true,
	"limit": true, "offset": true,
	"extra": true, "relationships": true, "extend": true, "extend_context": true,
	"prefix": true, "force_sql_filters": true,
}

const optAttr = "query-options"

func parseOptions(v any, errs *account.Errors) options {
	var o options
	if v == nil {
		return o
	}
	m, ok := v.(map[string]any)
	if !ok {
		errs.Add(optAttr, "Input should be a valid dictionary", account.EINVAL)
		return o
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !optionKeys[k] {
			errs.Add(optAttr+"."+k, "Extra inputs are not permitted", account.EINVAL)
		}
	}
	boolOpt := func(k string) bool {
		x, present := m[k]
		if !present {
			return false
		}
		b, ok := x.(bool)
		if !ok {
			errs.Add(optAttr+"."+k, "Input should be a valid boolean", account.EINVAL)
		}
		return b
	}
	intOpt := func(k string) int {
		x, present := m[k]
		if !present {
			return 0
		}
		n, ok := x.(num)
		if !ok || !n.isInt {
			errs.Add(optAttr+"."+k, "Input should be a valid integer", account.EINVAL)
			return 0
		}
		if n.i < 0 {
			errs.Add(optAttr+"."+k, "Input should be greater than or equal to 0", account.EINVAL)
			return 0
		}
		if n.i > 1<<31 {
			return 1 << 31
		}
		return int(n.i)
	}
	o.get = boolOpt("get")
	o.count = boolOpt("count")
	boolOpt("force_sql_filters")
	o.offset = intOpt("offset")
	o.limit = intOpt("limit")
	if x, present := m["extra"]; present && x != nil {
		if _, ok := x.(map[string]any); !ok {
			errs.Add(optAttr+".extra", "Input should be a valid dictionary", account.EINVAL)
		}
	}
	if x, present := m["order_by"]; present {
		l, ok := x.([]any)
		if !ok {
			errs.Add(optAttr+".order_by", "Input should be a valid list", account.EINVAL)
		}
		for i, e := range l {
			s, ok := e.(string)
			if !ok {
				errs.Add(fmt.Sprintf("%s.order_by.%d", optAttr, i), "Input should be a valid string", account.EINVAL)
				continue
			}
			o.orderBy = append(o.orderBy, s)
		}
	}
	if x, present := m["select"]; present {
		l, ok := x.([]any)
		if !ok {
			errs.Add(optAttr+".select", "Input should be a valid list", account.EINVAL)
		}
		for i, e := range l {
			attr := fmt.Sprintf("%s.select.%d", optAttr, i)
			switch t := e.(type) {
			case string:
				o.selects = append(o.selects, selectItem{segs: splitPath(t)})
			case []any:
				if len(t) != 2 {
					errs.Add(attr, "A select entry must be a field name or a [field, new_name] pair", account.EINVAL)
					continue
				}
				from, ok1 := t[0].(string)
				to, ok2 := t[1].(string)
				if !ok1 || !ok2 {
					errs.Add(attr, "A select pair must hold two strings: [field, new_name]", account.EINVAL)
					continue
				}
				o.selects = append(o.selects, selectItem{segs: splitPath(from), newName: to, renamed: true})
			default:
				errs.Add(attr, "Input should be a valid string or list", account.EINVAL)
			}
		}
	}
	if o.get && (o.limit > 1 || o.offset > 0) {
		errs.Add(optAttr, "Invalid options combination: get returns a single entry and cannot be combined with limit > 1 or offset", account.EINVAL)
	}
	return o
}
