// Plan modifiers of the provider's own, shared by the resources' schemas.

package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// notReadBack is the plan modifier of the arguments TrueNAS never returns
// (group_create, home_create, home_mode: fields of UserCreate only, not of
// UserEntry, api/v25_10_5/user.py:37,147-186 at TS-25.10.6). After an import they are null in
// the state: not known. Where the configuration leaves such an argument out
// too, the plan keeps it null instead of planning the schema's default, so
// an imported user whose configuration does not mention them plans no
// change; a configured value is planned, and recorded without being sent
// (buildUserUpdate). On create, and for a state that knows the value, it
// does nothing.
type notReadBack struct{}

func (notReadBack) Description(context.Context) string {
	return "After an import (null in the state), stays null while the configuration leaves it out."
}

func (m notReadBack) MarkdownDescription(ctx context.Context) string { return m.Description(ctx) }

func (notReadBack) PlanModifyBool(_ context.Context, req planmodifier.BoolRequest, resp *planmodifier.BoolResponse) {
	if !req.State.Raw.IsNull() && !req.Plan.Raw.IsNull() && req.StateValue.IsNull() && req.ConfigValue.IsNull() {
		resp.PlanValue = types.BoolNull()
	}
}

func (notReadBack) PlanModifyString(_ context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if !req.State.Raw.IsNull() && !req.Plan.Raw.IsNull() && req.StateValue.IsNull() && req.ConfigValue.IsNull() {
		resp.PlanValue = types.StringNull()
	}
}

// replaceIfKnown makes a change of the attribute (truenas_user.group_create)
// replace the resource, unless the state does not know the value (null since an import): then the
// configured value is only recorded.
func replaceIfKnown(_ context.Context, req planmodifier.BoolRequest, resp *boolplanmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = !req.StateValue.IsNull()
}

const replaceIfKnownText = "Changing it replaces the resource, unless the state does not know it (null after an import)."
