package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	tfpath "github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// webshareNeeds26 is the error of webshare = true on a release whose
// users have no webshare (25.10).
func webshareNeeds26(diags *diag.Diagnostics, rel wire.Release) {
	diags.AddAttributeError(tfpath.Root("webshare"), "webshare needs TrueNAS 26.0",
		fmt.Sprintf("The box runs TrueNAS %s (system.version %q): `webshare` is a field of TrueNAS 26.0 and later "+
			"(API v26_0_0), which this release does not have. Remove `webshare` or set it to false for this box, "+
			"or upgrade the box to TrueNAS 26.0.", rel.String(), rel.Raw))
}

// webshareRefused refuses, at plan time, webshare = true for a box whose
// release has no webshare. A box that cannot be reached yet is checked at
// apply (webshareFits).
func (r *userResource) webshareRefused(ctx context.Context, v types.Bool, diags *diag.Diagnostics) bool {
	if r.c == nil || !known(v) || !v.ValueBool() {
		return false
	}
	m, rel, err := r.c.model(ctx)
	if err != nil || m.Webshare {
		return false
	}
	webshareNeeds26(diags, rel)
	return true
}

// webshareFits fits p to the box's release: a release without webshare
// gets no webshare key (false is its default and its only value) and
// refuses true.
func (r *userResource) webshareFits(ctx context.Context, p *payload, diags *diag.Diagnostics) bool {
	v, ok := p.m["webshare"]
	if !ok {
		return true
	}
	m, rel, err := r.c.model(ctx)
	if err != nil {
		addEngineErrors(diags, "Cannot read the box's release", err, nil)
		return false
	}
	if m.Webshare {
		return true
	}
	if v == true {
		webshareNeeds26(diags, rel)
		return false
	}
	delete(p.m, "webshare")
	return true
}

// releaseFits fits p to a SCALE box (scaleFits: no microsoft_account); a
// CORE box's payload is translated by coreCall.
func (r *userResource) releaseFits(ctx context.Context, p *payload, diags *diag.Diagnostics) bool {
	if _, ok := p.m["microsoft_account"]; !ok {
		return true
	}
	_, rel, err := r.c.model(ctx)
	if err != nil {
		addEngineErrors(diags, "Cannot read the box's release", err, nil)
		return false
	}
	if coreRelease(rel) {
		return true
	}
	return scaleFits(p, rel, diags)
}
