package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/nasops/terraform-provider-truenas/internal/account"
	"github.com/nasops/terraform-provider-truenas/internal/engine/filter"
)

// Secrets by role: every answer passes through Engine.Call, which, for a
// session that may not see secrets (account.ExposeSecrets), refuses a
// query that names a secret field and redacts every secret field of the
// answer. The secret fields are account.SecretNames (the models' tags);
// a method or a field added later is covered without a change here.

// hidesSecrets reports whether method's answer must be redacted for the
// call's user. Root and internal calls (no session user) see everything.
func hidesSecrets(ctx context.Context, method string) bool {
	u, ok := callerOf(ctx)
	return ok && !account.ExposeSecrets(u.roles, method)
}

// refuseSecretRefs refuses filters, order_by and select that name a secret
// field, or the whole entry (an equality on the entry would compare its
// secrets): what such a query matches or how it sorts would tell the
// secret, redacted or not.
func refuseSecretRefs(m method, args []json.RawMessage) error {
	var filters, options json.RawMessage
	if m.filtersArg >= 0 {
		filters = arg(args, m.filtersArg)
	}
	if m.optionsArg >= 0 {
		options = arg(args, m.optionsArg)
	}
	if filters == nil && options == nil {
		return nil
	}
	var errs account.Errors
	for _, r := range filter.Fields(filters, options) {
		switch {
		case r.Field == "":
			errs.Add(r.Attr, "Only the fields of an entry may be named here by a session without the service's WRITE role (the entry holds secret fields)", account.EINVAL)
		case account.SecretNames[r.Field]:
			errs.Add(r.Attr, fmt.Sprintf("%s: a secret field, shown as %q to this session, cannot be used in filters, order_by or select without FULL_ADMIN or the service's WRITE role", r.Field, account.SecretValue), account.EINVAL)
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

var secretPlaceholder = []byte(`"` + account.SecretValue + `"`)

// redactSecrets returns raw (a JSON value) with the value of every object
// member whose name is a secret field, at any depth, replaced by
// SecretValue, as TrueNAS shows a Secret field (null included). raw is
// returned as is when it names no secret field.
func redactSecrets(raw json.RawMessage) json.RawMessage {
	found := false
	for name := range account.SecretNames {
		if bytes.Contains(raw, []byte(name)) {
			found = true
			break
		}
	}
	if !found && !bytes.Contains(raw, []byte(`\u`)) {
		return raw
	}
	r := redactor{in: raw}
	end, ok := r.value(0, 0)
	if !ok || skipWS(raw, end) != len(raw) {
		// Not JSON: never hand it out unredacted.
		return json.RawMessage(`null`)
	}
	if r.out == nil {
		return raw
	}
	return append(r.out, raw[r.last:]...)
}

type redactor struct {
	in   []byte
	out  []byte
	last int // in[last:] is not copied to out yet
}

const maxRedactDepth = 10000

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// str returns the end of the string starting at i (b[i] == '"').
func str(b []byte, i int) (int, bool) {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return 0, false
}

// value scans the JSON value at i and returns its end.
func (r *redactor) value(i, depth int) (int, bool) {
	b := r.in
	i = skipWS(b, i)
	if i >= len(b) || depth > maxRedactDepth {
		return 0, false
	}
	switch b[i] {
	case '"':
		return str(b, i)
	case '[':
		i = skipWS(b, i+1)
		if i < len(b) && b[i] == ']' {
			return i + 1, true
		}
		for {
			end, ok := r.value(i, depth+1)
			if !ok {
				return 0, false
			}
			i = skipWS(b, end)
			if i >= len(b) {
				return 0, false
			}
			if b[i] == ']' {
				return i + 1, true
			}
			if b[i] != ',' {
				return 0, false
			}
			i++
		}
	case '{':
		i = skipWS(b, i+1)
		if i < len(b) && b[i] == '}' {
			return i + 1, true
		}
		for {
			i = skipWS(b, i)
			if i >= len(b) || b[i] != '"' {
				return 0, false
			}
			kend, ok := str(b, i)
			if !ok {
				return 0, false
			}
			var secret bool
			if k := b[i+1 : kend-1]; bytes.IndexByte(k, '\\') < 0 {
				secret = account.SecretNames[string(k)]
			} else {
				var key string
				if err := json.Unmarshal(b[i:kend], &key); err != nil {
					return 0, false
				}
				secret = account.SecretNames[key]
			}
			i = skipWS(b, kend)
			if i >= len(b) || b[i] != ':' {
				return 0, false
			}
			vstart := skipWS(b, i+1)
			end, ok := r.value(vstart, depth+1)
			if !ok {
				return 0, false
			}
			if secret {
				r.out = append(r.out, b[r.last:vstart]...)
				r.out = append(r.out, secretPlaceholder...)
				r.last = end
			}
			i = skipWS(b, end)
			if i >= len(b) {
				return 0, false
			}
			if b[i] == '}' {
				return i + 1, true
			}
			if b[i] != ',' {
				return 0, false
			}
			i++
		}
	}
	// A number, true, false or null.
	j := i
	for j < len(b) && !bytes.ContainsRune([]byte(" \t\r\n,]}:"), rune(b[j])) {
		j++
	}
	if j == i {
		return 0, false
	}
	return j, true
}
