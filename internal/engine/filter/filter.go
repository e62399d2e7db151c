// Package filter evaluates TrueNAS query filters and options over JSON
// entries: the operators, OR, dotted paths, get, count, select, order_by,
// limit and offset.
package filter

import "encoding/json"

// Apply runs filters (a JSON list, may be empty or null) and options (a JSON
// object, may be empty or null) over entries, each a JSON object, and returns
// the query result: a list, a single object (get), or an int (count).
// Errors are account.Errors (bad filter shapes, attribute "query-filters" /
// "query-options") or *account.CallError (MatchNotFound with get).
func Apply(entries []json.RawMessage, filters, options json.RawMessage) (json.RawMessage, error) {
	panic("filter.Apply: not implemented yet")
}
