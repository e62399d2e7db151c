package account

import (
	"slices"
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
// is box.Now(). The engine checks RuleAPIKeyOtherUser itself.
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
		if ok && box.APIKeyCount(u.Username) >= MaxAPIKeysPerUser {
			c.add(RuleAPIKeyLimit)
		}
	}
	return c.result()
}

// UserRoles returns the roles a user holds through the privileges mapped
// to its primary and auxiliary groups (u.Roles when the entry carries
// them), sorted and de-duplicated.
func UserRoles(u *UserEntry, box Box) []string {
	roles := append([]string(nil), u.Roles...)
	if len(roles) == 0 {
		gids := []int64{u.Group.GID}
		for _, id := range u.Groups {
			if g, ok := box.GroupByID(id); ok {
				gids = append(gids, g.GID)
			}
		}
		for _, gid := range gids {
			if pr, ok := box.PrivilegeByGID(gid); ok {
				roles = append(roles, pr.Roles...)
			}
		}
	}
	slices.Sort(roles)
	return slices.Compact(roles)
}
