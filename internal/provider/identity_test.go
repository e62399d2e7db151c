package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// identityEntries makes one entry of each resource type on the box, as
// the web UI would, and returns their ids by resource type.
func identityEntries(t *testing.T, call func(method string, params ...any) json.RawMessage) map[string]int64 {
	t.Helper()
	id := func(raw json.RawMessage) int64 {
		var r struct {
			ID int64 `json:"id"`
		}
		if err := json.Unmarshal(raw, &r); err == nil && r.ID != 0 {
			return r.ID
		}
		var n int64
		if err := json.Unmarshal(raw, &n); err != nil || n == 0 {
			t.Fatalf("no id in %s", raw)
		}
		return n
	}
	ids := map[string]int64{}
	ids["truenas_user"] = id(call("user.create", map[string]any{"username": "idu", "full_name": "Identity User",
		"group_create": true, "password_disabled": true, "smb": false}))
	ids["truenas_group"] = id(call("group.create", map[string]any{"name": "idg"}))
	ids["truenas_api_key"] = id(call("api_key.create", map[string]any{"name": "idk", "username": "root"}))
	ids["truenas_privilege"] = id(call("privilege.create", map[string]any{"name": "Identity Readers",
		"local_groups": []any{}, "ds_groups": []any{}, "roles": []any{"READONLY_ADMIN"}, "web_shell": false}))
	return ids
}

// The import by identity as Terraform 1.12+ and OpenTofu 1.12+ make it,
// over the protocol for each resource type: ImportResourceState with the
// identity alone gives the entry's id in the state and the identity, and
// the ReadResource after it reads the entry
// and answers the same identity (the framework answers it: an import
// leaves private state; TestFastPathMatchesFramework compares the fast
// path's identities with the framework's). An identity naming no entry reads as
// gone, and a null or non-positive id is refused naming the attribute.
func TestProtocolImportByIdentity(t *testing.T) {
	h := newProtoHarness(t)
	ctx := context.Background()
	ids := identityEntries(t, func(method string, params ...any) json.RawMessage {
		raw, err := h.rc.Call(ctx, method, params...)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		return raw
	})
	sch, err := h.srv.GetResourceIdentitySchemas(ctx, &tfprotov6.GetResourceIdentitySchemasRequest{})
	if err != nil || hasError(sch.Diagnostics) {
		t.Fatalf("GetResourceIdentitySchemas: %v %s", err, diagText(sch.Diagnostics))
	}
	ps, _ := h.srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	for typeName, id := range ids {
		t.Run(typeName, func(t *testing.T) {
			is := sch.IdentitySchemas[typeName]
			if is == nil || len(is.IdentityAttributes) != 1 || is.IdentityAttributes[0].Name != "id" ||
				!is.IdentityAttributes[0].RequiredForImport || !is.IdentityAttributes[0].Type.Is(tftypes.Number) {
				t.Fatalf("identity schema of %s: %+v", typeName, is)
			}
			stateTyp := ps.ResourceSchemas[typeName].ValueType()
			ident, err := identityValue(id)
			if err != nil {
				t.Fatal(err)
			}
			imp, err := h.srv.ImportResourceState(ctx, &tfprotov6.ImportResourceStateRequest{TypeName: typeName, Identity: ident,
				ClientCapabilities: &tfprotov6.ImportResourceStateClientCapabilities{}})
			if err != nil || hasError(imp.Diagnostics) || len(imp.ImportedResources) != 1 {
				t.Fatalf("ImportResourceState: %v %s", err, diagText(imp.Diagnostics))
			}
			ir := imp.ImportedResources[0]
			if got, ok := identityID(ir.Identity); !ok || got != id {
				t.Fatalf("imported identity %v, want id %d", got, id)
			}
			st, err := ir.State.Unmarshal(stateTyp)
			if err != nil {
				t.Fatal(err)
			}
			if got := attrs(t, st)["id"]; !got.Equal(str(fmt.Sprint(id))) {
				t.Fatalf("imported state id %v, want %d", got, id)
			}
			rd, err := h.srv.ReadResource(ctx, &tfprotov6.ReadResourceRequest{TypeName: typeName, CurrentState: ir.State,
				CurrentIdentity: ir.Identity, Private: ir.Private})
			if err != nil || hasError(rd.Diagnostics) {
				t.Fatalf("ReadResource: %v %s", err, diagText(rd.Diagnostics))
			}
			if got, ok := identityID(rd.NewIdentity); !ok || got != id {
				t.Fatalf("identity after the read %v, want id %d", got, id)
			}
			ns, err := rd.NewState.Unmarshal(stateTyp)
			if err != nil || ns.IsNull() {
				t.Fatalf("state after the read: %v %v", ns, err)
			}
			name := map[string]string{"truenas_user": "username"}[typeName]
			if name == "" {
				name = "name"
			}
			want := map[string]string{"truenas_user": "idu", "truenas_group": "idg", "truenas_api_key": "idk",
				"truenas_privilege": "Identity Readers"}[typeName]
			if got := attrs(t, ns)[name]; !got.Equal(str(want)) {
				t.Fatalf("read %s = %v, want %q", name, got, want)
			}

			// An identity naming no entry: imported, then read as gone.
			gone, _ := identityValue(id + 10000)
			imp, err = h.srv.ImportResourceState(ctx, &tfprotov6.ImportResourceStateRequest{TypeName: typeName, Identity: gone})
			if err != nil || hasError(imp.Diagnostics) {
				t.Fatalf("ImportResourceState of a missing id: %v %s", err, diagText(imp.Diagnostics))
			}
			rd, err = h.srv.ReadResource(ctx, &tfprotov6.ReadResourceRequest{TypeName: typeName,
				CurrentState: imp.ImportedResources[0].State, CurrentIdentity: imp.ImportedResources[0].Identity})
			if err != nil || hasError(rd.Diagnostics) {
				t.Fatalf("ReadResource of a missing id: %v %s", err, diagText(rd.Diagnostics))
			}
			if v, err := rd.NewState.Unmarshal(stateTyp); err != nil || !v.IsNull() {
				t.Fatalf("a missing id was read as %v (%v)", v, err)
			}
			// The same read from a CLI before 1.12, which sends no
			// identity: the entry is gone, and that is no error.
			rd, err = h.srv.ReadResource(ctx, &tfprotov6.ReadResourceRequest{TypeName: typeName,
				CurrentState: imp.ImportedResources[0].State})
			if err != nil || hasError(rd.Diagnostics) {
				t.Fatalf("ReadResource of a missing id without an identity: %v %s", err, diagText(rd.Diagnostics))
			}
			if v, err := rd.NewState.Unmarshal(stateTyp); err != nil || !v.IsNull() {
				t.Fatalf("a missing id was read as %v (%v)", v, err)
			}

			// A null or non-positive id.
			for _, bad := range []tftypes.Value{tftypes.NewValue(tftypes.Number, nil), tftypes.NewValue(tftypes.Number, 0)} {
				dv, _ := tfprotov6.NewDynamicValue(identityType, tftypes.NewValue(identityType, map[string]tftypes.Value{"id": bad}))
				imp, err = h.srv.ImportResourceState(ctx, &tfprotov6.ImportResourceStateRequest{TypeName: typeName,
					Identity: &tfprotov6.ResourceIdentityData{IdentityData: &dv}})
				if err != nil || !hasError(imp.Diagnostics) {
					t.Fatalf("an identity with id %v was accepted: %v", bad, err)
				}
			}
		})
	}
}

// TestAccImportByIdentity: on a CLI with resource identities (Terraform
// 1.12+, OpenTofu 1.12+), import blocks that give only `identity = { id =
// N }` bring one entry of each type, made on the box, under management:
// the plan imports each without a change or a replacement, the state and
// the identity hold the entry's id, and the plan after the apply is empty
// (the harness checks that after every step; the second step says so too).
func TestAccImportByIdentity(t *testing.T) {
	box := startAccBox(t)
	if !cliUnderTest.atLeast(1, 12) {
		t.Skipf("%s v%s has no resource identities (Terraform or OpenTofu 1.12 or later): run with OpenTofu (make testacc TF_CLI=tofu)",
			cliUnderTest.product, cliUnderTest.version)
	}
	ids := identityEntries(t, func(method string, params ...any) json.RawMessage { return box.call(t, method, params...) })
	config := box.config + fmt.Sprintf(`
import {
  to       = truenas_user.u
  identity = { id = %d }
}
import {
  to       = truenas_group.g
  identity = { id = %d }
}
import {
  to       = truenas_api_key.k
  identity = { id = %d }
}
import {
  to       = truenas_privilege.p
  identity = { id = %d }
}
resource "truenas_user" "u" {
  username          = "idu"
  full_name         = "Identity User"
  password_disabled = true
  smb               = false
}
resource "truenas_group" "g" {
  name = "idg"
}
resource "truenas_api_key" "k" {
  name     = "idk"
  username = "root"
}
resource "truenas_privilege" "p" {
  name  = "Identity Readers"
  roles = ["READONLY_ADMIN"]
}
`, ids["truenas_user"], ids["truenas_group"], ids["truenas_api_key"], ids["truenas_privilege"])
	var noop, empty []plancheck.PlanCheck
	var identities []statecheck.StateCheck
	for _, addr := range []string{"truenas_user.u", "truenas_group.g", "truenas_api_key.k", "truenas_privilege.p"} {
		typeName := addr[:len(addr)-2]
		noop = append(noop, plancheck.ExpectResourceAction(addr, plancheck.ResourceActionNoop))
		empty = append(empty, plancheck.ExpectResourceAction(addr, plancheck.ResourceActionNoop))
		identities = append(identities,
			statecheck.ExpectIdentity(addr, map[string]knownvalue.Check{"id": knownvalue.Int64Exact(ids[typeName])}),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringExact(fmt.Sprint(ids[typeName]))))
	}
	// Imported, not replaced: each entry keeps the id it was made with.
	same := func(*terraform.State) error {
		for typeName, q := range identityQueries {
			if got := box.idOf(t, q[0], q[1], q[2]); got != ids[typeName] {
				return fmt.Errorf("%s %q has id %d, not %d: it was replaced", typeName, q[2], got, ids[typeName])
			}
		}
		return nil
	}
	var gone []resource.TestCheckFunc
	for _, q := range identityQueries {
		gone = append(gone, box.checkGone(t, q[0], q[1], q[2]))
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		CheckDestroy:             resource.ComposeAggregateTestCheckFunc(gone...),
		Steps: []resource.TestStep{
			{Config: config, ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: noop}, ConfigStateChecks: identities, Check: same},
			{Config: config, ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: append(empty, plancheck.ExpectEmptyPlan())},
				ConfigStateChecks: identities, Check: same},
		},
	})
}

// identityQueries finds each entry of identityEntries: query, field, value.
var identityQueries = map[string][3]string{
	"truenas_user":      {"user.query", "username", "idu"},
	"truenas_group":     {"group.query", "name", "idg"},
	"truenas_api_key":   {"api_key.query", "name", "idk"},
	"truenas_privilege": {"privilege.query", "name", "Identity Readers"},
}
