package account

import (
	"time"
)

// StaticAPIKeyChecks runs the rules of Rules() with Kind Static on a
// decoded API-key payload: an expiry before now is refused.
func StaticAPIKeyChecks(p *APIKeyPayload, now time.Time) Errors {
	c := &checker{prefix: p.Prefix()}
	if p.ExpiresAt.Set && !p.ExpiresAt.Null && p.ExpiresAt.V.Before(now) {
		c.add(RuleAPIKeyExpired)
	}
	return c.result()
}

// CheckAPIKey runs every API-key rule as the engine does before
// api_key.create (old nil) or api_key.update, on the merged record: an
// update that leaves an already past expiry in place fails too. The clock
// is box.Now(). RuleAPIKeyOtherUser is APIKeyPrivilegeCheck.
func CheckAPIKey(p *APIKeyPayload, old *APIKeyEntry, box Box) Errors {
	c := &checker{prefix: p.Prefix()}
	var selfID int64 = -1
	if old != nil {
		selfID = old.ID
	}
	name := p.Name.V
	if !p.Name.Set && old != nil {
		name = old.Name
	}
	if k, ok := box.APIKeyByName(name); ok && k.ID != selfID {
		c.add(RuleAPIKeyNameUnique)
	}
	exp := p.ExpiresAt
	if !exp.Set && old != nil {
		exp = Field[Date]{Null: old.ExpiresAt == nil}
		if old.ExpiresAt != nil {
			exp.V = *old.ExpiresAt
		}
	}
	if !exp.Null && exp.V.Before(box.Now()) {
		c.add(RuleAPIKeyExpired)
	}
	if old == nil {
		u, ok := box.UserByName(p.Username.V)
		switch {
		case !ok:
			c.add(RuleAPIKeyNoUser)
		case len(UserRoles(u, box)) == 0:
			c.add(RuleAPIKeyNoRole)
		}
		if limit := ModelOf(box).MaxAPIKeysPerUser; ok && limit > 0 && box.APIKeyCount(u.Username) >= limit {
			c.add(RuleAPIKeyLimit)
		}
	}
	return c.result()
}

// UserRoles returns the roles a user holds: the union of the roles of the
// privileges (box.Privileges, the store) that name its primary or an
// auxiliary group, sorted and de-duplicated (account.py user_extend). It
// reads the store, never u.Roles, so a stale entry cannot grant a role.
func UserRoles(u *UserEntry, box Box) []string {
	return RolesForGIDs(box.Privileges(), entryGIDs(u, box))
}

// APIKeyPrivilegeCheck is TrueNAS's api_key_privilege_check
// (plugins/api_key.py, TS-25.10.6, lines 326-343), run by api_key.create,
// api_key.update (on the key's username after the update) and
// api_key.delete before anything else: a user session that holds neither
// FULL_ADMIN nor API_KEY_WRITE may touch only its own keys. authUser is the
// session's user, roles what it holds; username is the key's user (nil: a
// key of no user, which is nobody's own). An internal caller (root's
// command line, TrueNAS's app=None) does not run this check.
func APIKeyPrivilegeCheck(authUser string, roles []string, username *string) error {
	if RoleGrants(roles, "FULL_ADMIN") || RoleGrants(roles, "API_KEY_WRITE") {
		return nil
	}
	if username == nil || *username != authUser {
		return CallErrorFor(RuleAPIKeyOtherUser, authUser)
	}
	return nil
}
