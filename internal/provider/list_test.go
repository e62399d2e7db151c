package provider

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The list resources are for Terraform 1.14's `terraform query`, which no
// CLI here has: they are tested over the protocol, in-process, as the CLI
// calls them (ValidateListResourceConfig, then ListResource), against the
// sandbox box.

// listed runs one list request and returns the display names, the ids of
// the identities and, with include, the resources.
func listed(t *testing.T, h *protoHarness, sch *tfprotov6.GetProviderSchemaResponse, typeName string,
	filter map[string]tftypes.Value, include bool, limit int64) (names []string, ids []int64, res []tftypes.Value) {
	t.Helper()
	ctx := context.Background()
	ls := sch.ListResourceSchemas[typeName]
	if ls == nil {
		t.Fatalf("no list resource schema for %s", typeName)
	}
	typ := ls.ValueType().(tftypes.Object)
	cfg := dynamic(t, typ, objectValue(t, typ, filter))
	v, err := h.srv.(tfprotov6.ListResourceServer).ValidateListResourceConfig(ctx, &tfprotov6.ValidateListResourceConfigRequest{TypeName: typeName, Config: cfg})
	if err != nil || hasError(v.Diagnostics) {
		t.Fatalf("ValidateListResourceConfig %s: %v %s", typeName, err, diagText(v.Diagnostics))
	}
	stream, err := h.srv.(tfprotov6.ListResourceServer).ListResource(ctx, &tfprotov6.ListResourceRequest{TypeName: typeName, Config: cfg,
		IncludeResource: include, Limit: limit})
	if err != nil {
		t.Fatalf("ListResource %s: %v", typeName, err)
	}
	resTyp := sch.ResourceSchemas[typeName].ValueType()
	for r := range stream.Results {
		if hasError(r.Diagnostics) {
			t.Fatalf("ListResource %s: %s", typeName, diagText(r.Diagnostics))
		}
		id, ok := identityID(r.Identity)
		if !ok {
			t.Fatalf("%s %q listed without an identity", typeName, r.DisplayName)
		}
		names, ids = append(names, r.DisplayName), append(ids, id)
		if include {
			if r.Resource == nil {
				t.Fatalf("%s %q listed without its resource", typeName, r.DisplayName)
			}
			rv, err := r.Resource.Unmarshal(resTyp)
			if err != nil {
				t.Fatal(err)
			}
			res = append(res, rv)
		} else if r.Resource != nil {
			if rv, err := r.Resource.Unmarshal(resTyp); err == nil && !rv.IsNull() {
				t.Fatalf("%s %q listed with its resource, which the request did not include", typeName, r.DisplayName)
			}
		}
	}
	return names, ids, res
}

// importedValue is the state an import by id and the read after it give
// (what `terraform plan` with an import block stores).
func importedValue(t *testing.T, h *protoHarness, sch *tfprotov6.GetProviderSchemaResponse, typeName string, id int64) tftypes.Value {
	t.Helper()
	ctx := context.Background()
	ident, _ := identityValue(id)
	imp, err := h.srv.ImportResourceState(ctx, &tfprotov6.ImportResourceStateRequest{TypeName: typeName, Identity: ident})
	if err != nil || hasError(imp.Diagnostics) || len(imp.ImportedResources) != 1 {
		t.Fatalf("ImportResourceState: %v %s", err, diagText(imp.Diagnostics))
	}
	ir := imp.ImportedResources[0]
	rd, err := h.srv.ReadResource(ctx, &tfprotov6.ReadResourceRequest{TypeName: typeName, CurrentState: ir.State,
		CurrentIdentity: ir.Identity, Private: ir.Private})
	if err != nil || hasError(rd.Diagnostics) {
		t.Fatalf("ReadResource: %v %s", err, diagText(rd.Diagnostics))
	}
	v, err := rd.NewState.Unmarshal(sch.ResourceSchemas[typeName].ValueType())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestProtocolListResources(t *testing.T) {
	h := newProtoHarness(t)
	ctx := context.Background()
	call := func(method string, params ...any) json.RawMessage {
		raw, err := h.rc.Call(ctx, method, params...)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		return raw
	}
	call("user.create", map[string]any{"username": "lsa", "full_name": "List A", "group_create": true, "password_disabled": true, "smb": false})
	call("user.create", map[string]any{"username": "lsb", "full_name": "List B", "group_create": true, "password_disabled": true, "smb": false})
	call("group.create", map[string]any{"name": "lsg"})
	call("api_key.create", map[string]any{"name": "lsk1", "username": "root"})
	call("api_key.create", map[string]any{"name": "lsk2", "username": "root"})
	call("privilege.create", map[string]any{"name": "List Readers", "local_groups": []any{}, "ds_groups": []any{},
		"roles": []any{"READONLY_ADMIN"}, "web_shell": false})
	sch, err := h.srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || hasError(sch.Diagnostics) {
		t.Fatal(err, sch.Diagnostics)
	}
	b := func(v bool) tftypes.Value { return tftypes.NewValue(tftypes.Bool, v) }
	type want struct {
		has, hasNot []string
	}
	for _, c := range []struct {
		what, typeName string
		filter         map[string]tftypes.Value
		want           want
	}{
		{"users not built in", "truenas_user", map[string]tftypes.Value{"builtin": b(false)}, want{[]string{"lsa", "lsb"}, []string{"root", "nobody"}}},
		{"built-in users", "truenas_user", map[string]tftypes.Value{"builtin": b(true)}, want{[]string{"root"}, []string{"lsa"}}},
		{"every user", "truenas_user", nil, want{[]string{"root", "lsa", "lsb"}, nil}},
		{"a user by name", "truenas_user", map[string]tftypes.Value{"username": str("lsb")}, want{[]string{"lsb"}, []string{"lsa", "root"}}},
		{"groups not built in", "truenas_group", map[string]tftypes.Value{"builtin": b(false)}, want{[]string{"lsg", "lsa", "lsb"}, []string{"builtin_administrators", "root"}}},
		{"built-in groups", "truenas_group", map[string]tftypes.Value{"builtin": b(true)}, want{[]string{"builtin_administrators"}, []string{"lsg"}}},
		{"a group by name", "truenas_group", map[string]tftypes.Value{"name": str("lsg")}, want{[]string{"lsg"}, []string{"lsa"}}},
		{"the keys of root", "truenas_api_key", map[string]tftypes.Value{"username": str("root")}, want{[]string{"lsk1", "lsk2"}, nil}},
		{"the keys of another user", "truenas_api_key", map[string]tftypes.Value{"username": str("lsa")}, want{nil, []string{"lsk1", "lsk2"}}},
		{"a key by name", "truenas_api_key", map[string]tftypes.Value{"name": str("lsk2")}, want{[]string{"lsk2"}, []string{"lsk1"}}},
		{"built-in privileges", "truenas_privilege", map[string]tftypes.Value{"builtin": b(true)}, want{[]string{"Local Administrator"}, []string{"List Readers"}}},
		{"other privileges", "truenas_privilege", map[string]tftypes.Value{"builtin": b(false)}, want{[]string{"List Readers"}, []string{"Local Administrator"}}},
	} {
		t.Run(c.what, func(t *testing.T) {
			names, ids, _ := listed(t, h, sch, c.typeName, c.filter, false, 0)
			for _, n := range c.want.has {
				if !slices.Contains(names, n) {
					t.Errorf("%q not listed: %q", n, names)
				}
			}
			for _, n := range c.want.hasNot {
				if slices.Contains(names, n) {
					t.Errorf("%q listed: %q", n, names)
				}
			}
			if len(names) != len(ids) || slices.Contains(ids, 0) {
				t.Errorf("ids %v for %q", ids, names)
			}
			// With the resources: each is what an import by its identity reads.
			names2, ids2, res := listed(t, h, sch, c.typeName, c.filter, true, 0)
			if !slices.Equal(names, names2) || !slices.Equal(ids, ids2) {
				t.Fatalf("with include_resource: %q %v, without: %q %v", names2, ids2, names, ids)
			}
			for i, rv := range res {
				if want := importedValue(t, h, sch, c.typeName, ids[i]); !rv.Equal(want) {
					diff, _ := rv.Diff(want)
					t.Fatalf("%s %q: listed resource differs from its import: %v", c.typeName, names[i], diff)
				}
			}
		})
	}
	// Limit: Terraform asks for at most so many.
	if names, _, _ := listed(t, h, sch, "truenas_user", nil, false, 2); len(names) != 2 {
		t.Fatalf("limit 2 listed %q", names)
	}
}

// The list resources' doc pages are written by hand (templates/list-resources:
// the Terraform that generates the docs does not report list resources):
// each must name every argument of its schema, with its description.
func TestListResourceDocsNameEveryArgument(t *testing.T) {
	ctx := context.Background()
	sch, err := NewServer("test")().GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || hasError(sch.Diagnostics) {
		t.Fatal(err, sch.Diagnostics)
	}
	if len(sch.ListResourceSchemas) != 4 {
		t.Fatalf("%d list resources, want one for each of the 4 resources", len(sch.ListResourceSchemas))
	}
	for typeName, ls := range sch.ListResourceSchemas {
		if _, ok := sch.ResourceSchemas[typeName]; !ok {
			t.Errorf("list resource %s lists no resource", typeName)
		}
		page := "../../templates/list-resources/" + strings.TrimPrefix(typeName, "truenas_") + ".md.tmpl"
		b, err := os.ReadFile(page)
		if err != nil {
			t.Fatalf("%s: %v", typeName, err)
		}
		for _, a := range ls.Block.Attributes {
			if !strings.Contains(string(b), "- `"+a.Name+"` ") || !strings.Contains(string(b), a.Description) {
				t.Errorf("%s does not document argument %s as the schema does (%q)", page, a.Name, a.Description)
			}
		}
	}
}
