package provider

import (
	"slices"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func known(v attr.Value) bool { return !v.IsNull() && !v.IsUnknown() }

func int64Set(ids []int64) types.Set {
	vals := make([]attr.Value, 0, len(ids))
	s := slices.Clone(ids)
	slices.Sort(s)
	s = slices.Compact(s)
	for _, id := range s {
		vals = append(vals, types.Int64Value(id))
	}
	return types.SetValueMust(types.Int64Type, vals)
}

func stringList(ss []string) types.List {
	vals := make([]attr.Value, 0, len(ss))
	for _, s := range ss {
		vals = append(vals, types.StringValue(s))
	}
	return types.ListValueMust(types.StringType, vals)
}

func emptyStringList() types.List { return types.ListValueMust(types.StringType, []attr.Value{}) }

// setInts returns the ints of a known set (nil, false when it is null or unknown,
// or when any element is unknown).
func setInts(s types.Set) ([]int64, bool) {
	if !known(s) {
		return nil, false
	}
	out := []int64{}
	for _, e := range s.Elements() {
		v, ok := e.(types.Int64)
		if !ok || !known(v) {
			return nil, false
		}
		out = append(out, v.ValueInt64())
	}
	slices.Sort(out)
	return out, true
}

// listStrings returns the strings of a known list.
func listStrings(l types.List) ([]string, bool) {
	if !known(l) {
		return nil, false
	}
	out := []string{}
	for _, e := range l.Elements() {
		v, ok := e.(types.String)
		if !ok || !known(v) {
			return nil, false
		}
		out = append(out, v.ValueString())
	}
	return out, true
}

func strPtrValue(p *string) types.String {
	if p == nil {
		return types.StringNull()
	}
	return types.StringValue(*p)
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }
