package provider

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	tfpath "github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nasops/terraform-provider-truenas/internal/account"
	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// Plan-time checks for a CORE 13.3 box: the payload apply will send,
// translated as coreCall translates it, judged by CORE's own schemas and
// rules (internal/account's CORE model, with no box: what needs nothing
// but the payload).

// coreSudoDoc is the sudo lists' note on CORE.
const coreSudoDoc = "TrueNAS SCALE and CORE 13.3. CORE keeps one list, with a password or without (its `sudo`, " +
	"`sudo_nopasswd`, `sudo_commands`): there the provider sends one non-empty list as those fields (`[\"ALL\"]` as " +
	"sudo with no commands), reads them back the same way, and refuses both lists non-empty at plan time."

// idReplaces says whether a change of a configured uid or gid (plan
// against state) replaces the account: unless the box is CORE 13.3, whose
// user.update and group.update take uid and gid. A box not reachable at
// plan time is taken as SCALE (a replacement, the safe side). It runs in
// ModifyPlan: a schema plan modifier has no configured client.
func idReplaces(plan, state types.Int64, rel wire.Release, relKnown bool) bool {
	if plan.IsNull() || !known(plan) || !known(state) || plan.Equal(state) {
		return false
	}
	return !relKnown || !coreRelease(rel)
}

// addCoreError adds err, an errCore, as a diagnostic on its attribute.
func addCoreError(diags *diag.Diagnostics, summary string, err error) bool {
	var ec *errCore
	if !errors.As(err, &ec) {
		return false
	}
	if ec.attr != "" {
		diags.AddAttributeError(tfpath.Root(ec.attr), summary, ec.msg)
	} else {
		diags.AddError(summary, ec.msg)
	}
	return true
}

// coreUnknown maps the fields not known yet to CORE's.
func coreUnknown(u map[string]bool) map[string]bool {
	out := map[string]bool{}
	for k := range u {
		switch k {
		case "sudo_commands", "sudo_commands_nopasswd":
			out["sudo"], out["sudo_nopasswd"], out["sudo_commands"] = true, true, true
		case "home_create", "username":
			out["home"], out[k] = true, true
		default:
			out[k] = true
		}
	}
	return out
}

// coreDecodeErrors turns a CORE decode or check error into Errors.
func coreDecodeErrors(prefix string, err error) account.Errors {
	if err == nil {
		return nil
	}
	var es account.Errors
	if errors.As(err, &es) {
		return es
	}
	var se *account.CoreSchemaError
	if errors.As(err, &se) {
		attr := se.Attribute
		if attr != prefix && !strings.HasPrefix(attr, prefix+".") {
			attr = prefix + "." + attr
		}
		return account.Errors{{Attribute: attr, Message: se.Message, Errno: account.EINVAL}}
	}
	var ce *account.CallError
	if errors.As(err, &ce) {
		return account.Errors{{Message: ce.Message, Errno: ce.Errno}}
	}
	return account.Errors{{Message: err.Error(), Errno: account.EINVAL}}
}

// coreSudoMapper maps CORE's sudo fields to the list the payload used.
func coreSudoMapper(p *payload, base pathMapper) pathMapper {
	list := "sudo_commands"
	if l, ok := stringsOf(p.m["sudo_commands_nopasswd"]); ok && len(l) > 0 {
		list = "sudo_commands_nopasswd"
	}
	return func(field string) (tfpath.Path, bool, bool) {
		switch field {
		case "sudo", "sudo_nopasswd", "sudo_commands":
			return tfpath.Root(list), field == "sudo_commands", true
		case "microsoft_account", "uid", "gid":
			return tfpath.Root(field), false, true
		}
		return base(field)
	}
}

// checkCoreUser judges the user payload p as CORE 13.3 would: old is the
// user from the state on update (nil on create).
func checkCoreUser(p *payload, old *account.UserEntry, rel wire.Release) (account.Errors, error) {
	m := make(map[string]any, len(p.m))
	for k, v := range p.m {
		m[k] = v
	}
	added := false
	if _, ok := m["username"]; !ok && old != nil && m["home_create"] == true {
		m["username"], added = old.Username, true // for the home only
	}
	cm, err := coreUserPayload(m, rel)
	if err != nil {
		return nil, err
	}
	if added {
		delete(cm, "username")
	}
	cp := &payload{m: cm, unknown: coreUnknown(p.unknown)}
	raw, err := json.Marshal(cm)
	if err != nil {
		return nil, err
	}
	if old == nil {
		up, err := account.DecodeCoreUserCreate(raw)
		if err != nil {
			return cp.filter(coreDecodeErrors("user_create", err)), nil
		}
		return cp.filter(coreDecodeErrors("user_create", account.CheckCoreUserCreate(up, nil))), nil
	}
	up, err := account.DecodeCoreUserUpdate(raw)
	if err != nil {
		return cp.filter(coreDecodeErrors("user_update", err)), nil
	}
	co := &account.CoreUserEntry{ID: old.ID, UID: old.UID, Username: old.Username, Home: old.Home, Shell: old.Shell,
		FullName: old.FullName, Builtin: old.Builtin, SMB: old.SMB, PasswordDisabled: old.PasswordDisabled, Locked: old.Locked}
	return cp.filter(coreDecodeErrors("user_update", account.CheckCoreUserUpdate(up, co, nil))), nil
}

// checkCoreGroup is checkCoreUser for groups.
func checkCoreGroup(p *payload, old *account.GroupEntry, rel wire.Release) (account.Errors, error) {
	cm, err := coreGroupPayload(p.m, rel)
	if err != nil {
		return nil, err
	}
	cp := &payload{m: cm, unknown: coreUnknown(p.unknown)}
	raw, err := json.Marshal(cm)
	if err != nil {
		return nil, err
	}
	prefix, decode := "group_create", account.DecodeCoreGroupCreate
	var co *account.CoreGroupEntry
	if old != nil {
		prefix, decode = "group_update", account.DecodeCoreGroupUpdate
		co = &account.CoreGroupEntry{ID: old.ID, GID: old.GID, Group: old.Name, Builtin: old.Builtin, SMB: old.SMB}
	}
	gp, err := decode(raw)
	if err != nil {
		return cp.filter(coreDecodeErrors(prefix, err)), nil
	}
	return cp.filter(coreDecodeErrors(prefix, account.CheckCoreGroup(gp, co, nil))), nil
}

// scaleFits fits a user payload to a SCALE box: microsoft_account, CORE's
// alone, is never sent there; true is refused.
func scaleFits(p *payload, rel wire.Release, diags *diag.Diagnostics) bool {
	v, ok := p.m["microsoft_account"]
	if !ok {
		return true
	}
	if v == true {
		diags.AddAttributeError(tfpath.Root("microsoft_account"), "microsoft_account needs TrueNAS CORE 13.3",
			coreOnlyMsg(rel, "`microsoft_account`")+" Remove it or set it to false for this box.")
		return false
	}
	delete(p.m, "microsoft_account")
	return true
}
