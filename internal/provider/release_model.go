package provider

import (
	"context"

	"github.com/nasops/terraform-provider-truenas/internal/account"
	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// modelFor is the account model (API version) of the release r: 26.0 and
// later speak v26_0_0 (users carry webshare), older ones v25_10_5, CORE
// 13.3 its own. An
// answer in no known form (Year 99) is taken as the newest.
func modelFor(r wire.Release) *account.Model {
	if coreRelease(r) {
		return account.ModelV13_3 // CORE's calls are coreCall's
	}
	if !r.Before(26, 0) {
		return account.ModelV26_0_0
	}
	return account.ModelV25_10_5
}

// model is the account model of the box, from system.version, read once
// per run (checkRelease).
func (c *client) model(ctx context.Context) (*account.Model, wire.Release, error) {
	t, err := c.transport()
	if err != nil {
		return nil, wire.Release{}, err
	}
	if err := c.checkRelease(ctx, t); err != nil {
		return nil, wire.Release{}, err
	}
	c.releaseMu.Lock()
	r := *c.release
	c.releaseMu.Unlock()
	return modelFor(r), r, nil
}

// knownModel is the box's model when this run has read system.version
// already (nil otherwise, and for a nil client): plan-time checks use it
// without contacting the box.
func (c *client) knownModel() *account.Model {
	if c == nil {
		return nil
	}
	c.releaseMu.Lock()
	defer c.releaseMu.Unlock()
	if c.release == nil {
		return nil
	}
	return modelFor(*c.release)
}

// autoGroups are the groups TrueNAS adds to a user's groups by itself
// (builtin_users for an SMB user; truenas_webshare for a webshare user on
// 26.0), which the state shows only when the configuration lists them.
type autoGroups struct{ builtinUsers, webshare int64 }

// hides says whether id is one of them.
func (a autoGroups) hides(id int64) bool {
	return id != 0 && (id == a.builtinUsers || id == a.webshare)
}

// autoGroups reads the ids of the box's automatic groups (0 when absent):
// truenas_webshare only on a release whose users have webshare, both read
// once and kept (built-in groups keep their ids).
func (c *client) autoGroups(ctx context.Context) autoGroups {
	a := autoGroups{builtinUsers: c.builtinUsersGroupID(ctx)}
	if m := c.knownModel(); m == nil || !m.Webshare {
		return a
	}
	c.cacheMu.Lock()
	a.webshare = c.webshareID
	c.cacheMu.Unlock()
	if a.webshare != 0 {
		return a
	}
	if gs, err := c.Groups(ctx); err == nil {
		for _, g := range gs {
			if g.Builtin && g.Name == account.WebshareGroup.Name && g.GID == account.WebshareGroup.GID {
				a.webshare = g.ID
			}
		}
	}
	c.cacheMu.Lock()
	c.webshareID = a.webshare
	c.cacheMu.Unlock()
	return a
}
