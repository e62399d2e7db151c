package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

func stateFor(t *testing.T, r resource.Resource, model any) tfsdk.State {
	t.Helper()
	ctx := context.Background()
	var sresp resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sresp)
	st := tfsdk.State{Schema: sresp.Schema, Raw: tftypes.NewValue(sresp.Schema.Type().TerraformType(ctx), nil)}
	if diags := st.Set(ctx, model); diags.HasError() {
		t.Fatalf("state: %v", diags)
	}
	return st
}

func TestDeleteOfMissingIsSuccess(t *testing.T) {
	ctx := context.Background()
	nullList := types.ListNull(types.StringType)
	nullSet := types.SetNull(types.Int64Type)
	u := userModel{ID: types.StringValue("9"), Groups: nullSet, SudoCommands: nullList, SudoCommandsNopasswd: nullList, Roles: nullList}
	g := groupModel{ID: types.StringValue("9"), Users: nullSet, SudoCommands: nullList, SudoCommandsNopasswd: nullList, Roles: nullList}
	k := apiKeyModel{ID: types.StringValue("9"), Keepers: types.MapNull(types.StringType)}
	nullStrSet := types.SetNull(types.StringType)
	pr := privilegeModel{ID: types.StringValue("9"), LocalGroups: nullSet, DSGroups: nullStrSet, Roles: nullStrSet}
	for _, tc := range []struct {
		r     resource.Resource
		model any
	}{
		{&userResource{}, &u}, {&groupResource{}, &g}, {&apiKeyResource{}, &k}, {&privilegeResource{}, &pr},
	} {
		f := &fakeCaller{answers: map[string]string{}} // every call: "... does not exist"
		c := &client{rc: f}
		switch r := tc.r.(type) {
		case *userResource:
			r.c = c
		case *groupResource:
			r.c = c
		case *apiKeyResource:
			r.c = c
		case *privilegeResource:
			r.c = c
		}
		var resp resource.DeleteResponse
		tc.r.Delete(ctx, resource.DeleteRequest{State: stateFor(t, tc.r, tc.model)}, &resp)
		if resp.Diagnostics.HasError() {
			t.Errorf("%T: delete of a missing entry failed: %v", tc.r, resp.Diagnostics)
		}
		if len(f.calls) != 1 {
			t.Errorf("%T: calls %v", tc.r, f.calls)
		}
	}
}
