package filter

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// Ref is a field a query names: Attr is where (the query-filters or
// query-options element, as its errors name it) and Field the first
// segment of its path ("" when the path is the entry itself).
type Ref struct {
	Attr, Field string
}

// Fields lists every field that filters and options name: in conditions
// (inside OR branches too), order_by keys and select paths, parsed exactly
// as Apply parses them. A part that does not parse is left out (Apply
// refuses it).
func Fields(filters, options json.RawMessage) []Ref {
	var out []Ref
	if !isNull(filters) {
		if fv, err := decodeJSON(filters); err == nil {
			if list, ok := fv.([]any); ok {
				for i, f := range list {
					if n, err := compileFilter(f, 0); err == nil {
						n.refs(fmt.Sprintf("query-filters.%d", i), &out)
					}
				}
			}
		}
	}
	if !isNull(options) {
		if ov, err := decodeJSON(options); err == nil {
			o := parseOptions(ov, new(account.Errors))
			for i, k := range o.orderBy {
				k = strings.TrimPrefix(strings.TrimPrefix(k, nullsFirst), nullsLast)
				k = strings.TrimPrefix(k, "-")
				out = append(out, Ref{Attr: fmt.Sprintf("%s.order_by.%d", optAttr, i), Field: first(splitPath(k))})
			}
			for i, s := range o.selects {
				out = append(out, Ref{Attr: fmt.Sprintf("%s.select.%d", optAttr, i), Field: first(s.segs)})
			}
		}
	}
	return out
}

func first(segs []string) string {
	if len(segs) == 0 {
		return ""
	}
	return segs[0]
}

func (n *node) refs(attr string, out *[]Ref) {
	if n.cond != nil {
		*out = append(*out, Ref{Attr: attr, Field: first(n.cond.segs)})
		return
	}
	for _, branch := range n.or {
		for _, c := range branch {
			c.refs(attr, out)
		}
	}
}
