// The payload a resource sends to TrueNAS (user.create, group.update, ...),
// built from a plan, and the plan-time check every resource runs on it.

package provider

import (
	"encoding/json"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// payload is a JSON object under construction, with the fields whose value
// is not known yet (at plan time) kept apart.
type payload struct {
	m       map[string]any
	unknown map[string]bool
}

func newPayload() *payload { return &payload{m: map[string]any{}, unknown: map[string]bool{}} }

func (p *payload) str(k string, v types.String) {
	switch {
	case v.IsUnknown():
		p.unknown[k] = true
	case !v.IsNull():
		p.m[k] = v.ValueString()
	}
}

func (p *payload) boolean(k string, v types.Bool) {
	switch {
	case v.IsUnknown():
		p.unknown[k] = true
	case !v.IsNull():
		p.m[k] = v.ValueBool()
	}
}

func (p *payload) int64(k string, v types.Int64) {
	switch {
	case v.IsUnknown():
		p.unknown[k] = true
	case !v.IsNull():
		p.m[k] = v.ValueInt64()
	}
}

func (p *payload) strings(k string, v types.List) {
	if v.IsNull() {
		return
	}
	ss, ok := listStrings(v)
	if !ok {
		p.unknown[k] = true
		return
	}
	p.m[k] = ss
}

func (p *payload) ints(k string, v types.Set) {
	if v.IsNull() {
		return
	}
	ids, ok := setInts(v)
	if !ok {
		p.unknown[k] = true
		return
	}
	p.m[k] = ids
}

// filter drops errors about fields that are not known yet, and errors with
// no field when anything is unknown.
func (p *payload) filter(es account.Errors) account.Errors {
	var out account.Errors
	for _, e := range es {
		parts := strings.Split(e.Attribute, ".")
		if len(parts) < 2 {
			if len(p.unknown) > 0 {
				continue
			}
		} else if p.unknown[parts[1]] {
			continue
		}
		out = append(out, e)
	}
	return out
}

// checkPayload decodes p.m as TrueNAS decodes a create or update payload
// and, when it decodes, runs rules on it: the plan-time checks of every
// resource. Errors about values not known yet are dropped.
func checkPayload[P any](p *payload, create bool, decodeCreate, decodeUpdate func([]byte) (*P, account.Errors), rules func(*P) account.Errors) account.Errors {
	raw, err := json.Marshal(p.m)
	if err != nil {
		return account.Errors{{Message: err.Error(), Errno: account.EINVAL}}
	}
	decode := decodeUpdate
	if create {
		decode = decodeCreate
	}
	v, es := decode(raw)
	if len(es) == 0 && v != nil {
		es = rules(v)
	}
	return p.filter(es)
}

func (p *payload) stringSet(k string, v types.Set, conv func([]string) any) {
	if v.IsNull() {
		return
	}
	ss, ok := setStrings(v)
	if !ok {
		p.unknown[k] = true
		return
	}
	p.m[k] = conv(ss)
}
