package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/nasops/terraform-provider-truenas/internal/account"
	"github.com/nasops/terraform-provider-truenas/internal/remote"
)

// caller is what the client needs from the transport (remote.Client, or a
// fake in tests).
type caller interface {
	Call(ctx context.Context, method string, params ...any) (json.RawMessage, error)
}

// client is the provider's one handle on the box: a lazily created
// remote.Client plus a read cache. The first read of a kind (users, groups,
// API keys) fetches all entries of that kind with one query; later reads
// are served from the cache; any write empties it. A plan over many
// resources is so a constant number of engine calls.
type client struct {
	cfg       remote.Config
	unknown   []string // provider arguments unknown at plan time
	configErr string

	mu sync.Mutex
	rc caller

	cacheMu sync.Mutex
	users   []account.UserEntry
	groups  []account.GroupEntry
	keys    []account.APIKeyEntry
	hasU    bool
	hasG    bool
	hasK    bool

	builtinUsersID int64 // stable: kept across invalidations
}

// errNotReady is returned when the box cannot be contacted yet.
type errNotReady struct{ msg string }

func (e *errNotReady) Error() string { return e.msg }

func (c *client) transport() (caller, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rc != nil {
		return c.rc, nil
	}
	if len(c.unknown) > 0 {
		return nil, &errNotReady{fmt.Sprintf("The provider configuration depends on values not known yet (%s): "+
			"the box cannot be contacted until they are known. Apply the resources they depend on first "+
			"(for example with -target).", strings.Join(c.unknown, ", "))}
	}
	if c.configErr != "" {
		return nil, &errNotReady{c.configErr}
	}
	c.rc = remote.New(c.cfg)
	return c.rc, nil
}

// call runs one engine method. A panic in the transport is turned into an
// error: the provider must never crash Terraform.
func (c *client) call(ctx context.Context, method string, params ...any) (res json.RawMessage, err error) {
	t, err := c.transport()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("%s: internal error in the SSH client: %v", method, r)
		}
		// The method and its outcome only: arguments and results can hold
		// passwords and keys, and error texts are shown to the user anyway.
		tflog.Debug(ctx, "engine call", map[string]any{
			"method": method, "duration_ms": time.Since(start).Milliseconds(), "failed": err != nil})
	}()
	return t.Call(ctx, method, params...)
}

// write runs a method that changes the box and empties the read cache.
func (c *client) write(ctx context.Context, method string, params ...any) (json.RawMessage, error) {
	c.invalidate()
	res, err := c.call(ctx, method, params...)
	c.invalidate()
	return res, err
}

func (c *client) invalidate() {
	c.cacheMu.Lock()
	c.hasU, c.hasG, c.hasK = false, false, false
	c.users, c.groups, c.keys = nil, nil, nil
	c.cacheMu.Unlock()
}

func queryAll[T any](ctx context.Context, c *client, method string) ([]T, error) {
	raw, err := c.call(ctx, method)
	if err != nil {
		return nil, err
	}
	var out []T
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("%s: cannot decode the result: %v", method, err)
	}
	return out, nil
}

// Users returns every user, from the cache when possible.
func (c *client) Users(ctx context.Context) ([]account.UserEntry, error) {
	c.cacheMu.Lock()
	defer c.cacheMu.Unlock()
	if c.hasU {
		return c.users, nil
	}
	out, err := queryAll[account.UserEntry](ctx, c, "user.query")
	if err != nil {
		return nil, err
	}
	c.users, c.hasU = out, true
	return out, nil
}

// Groups returns every group, from the cache when possible.
func (c *client) Groups(ctx context.Context) ([]account.GroupEntry, error) {
	c.cacheMu.Lock()
	defer c.cacheMu.Unlock()
	if c.hasG {
		return c.groups, nil
	}
	out, err := queryAll[account.GroupEntry](ctx, c, "group.query")
	if err != nil {
		return nil, err
	}
	c.groups, c.hasG = out, true
	return out, nil
}

// APIKeys returns every API key, from the cache when possible.
func (c *client) APIKeys(ctx context.Context) ([]account.APIKeyEntry, error) {
	c.cacheMu.Lock()
	defer c.cacheMu.Unlock()
	if c.hasK {
		return c.keys, nil
	}
	out, err := queryAll[account.APIKeyEntry](ctx, c, "api_key.query")
	if err != nil {
		return nil, err
	}
	c.keys, c.hasK = out, true
	return out, nil
}

func (c *client) userByID(ctx context.Context, id int64) (*account.UserEntry, error) {
	us, err := c.Users(ctx)
	if err != nil {
		return nil, err
	}
	for i := range us {
		if us[i].ID == id {
			u := us[i]
			return &u, nil
		}
	}
	return nil, nil
}

func (c *client) groupByID(ctx context.Context, id int64) (*account.GroupEntry, error) {
	gs, err := c.Groups(ctx)
	if err != nil {
		return nil, err
	}
	for i := range gs {
		if gs[i].ID == id {
			g := gs[i]
			return &g, nil
		}
	}
	return nil, nil
}

func (c *client) apiKeyByID(ctx context.Context, id int64) (*account.APIKeyEntry, error) {
	ks, err := c.APIKeys(ctx)
	if err != nil {
		return nil, err
	}
	for i := range ks {
		if ks[i].ID == id {
			k := ks[i]
			return &k, nil
		}
	}
	return nil, nil
}

// builtinUsersGroupID is the DB id of builtin_users (gid 545), which
// TrueNAS adds to a new SMB user's groups; 0 if unknown.
func (c *client) builtinUsersGroupID(ctx context.Context) int64 {
	c.cacheMu.Lock()
	id := c.builtinUsersID
	c.cacheMu.Unlock()
	if id != 0 {
		return id
	}
	gs, err := c.Groups(ctx)
	if err != nil {
		return 0
	}
	for _, g := range gs {
		if g.Builtin && (g.Name == builtinUsersGroup || g.GID == builtinUsersGID) {
			id = g.ID
			break
		}
	}
	c.cacheMu.Lock()
	c.builtinUsersID = id
	c.cacheMu.Unlock()
	return id
}

const (
	builtinUsersGroup = "builtin_users"
	builtinUsersGID   = 545
)

// isNotFound tells whether err is TrueNAS's InstanceNotFound ("User 5 does
// not exist", ENOENT with no attribute) or a MatchNotFound call error.
func isNotFound(err error) bool {
	var es account.Errors
	if errors.As(err, &es) {
		for _, e := range es {
			if e.Errno == account.ENOENT && (e.Attribute == "" || !strings.Contains(e.Attribute, ".")) &&
				strings.Contains(e.Message, "does not exist") {
				return true
			}
		}
	}
	var ce *account.CallError
	if errors.As(err, &ce) {
		return strings.Contains(ce.Message, "MatchNotFound") || strings.Contains(ce.Message, "does not exist")
	}
	return false
}

// parseID parses a resource id ("12").
func parseID(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a numeric id", s)
	}
	return n, nil
}

// pathMapper maps the first segment of a TrueNAS attribute (after the
// "user_create." prefix) to a Terraform path. list says whether an index
// after it addresses a list element (sets cannot be addressed by index).
type pathMapper func(field string) (p path.Path, list bool, ok bool)

// addEngineErrors turns an error from the engine (or from the plan-time
// rules) into diagnostics: validation errors become attribute diagnostics,
// others one general error. Messages never contain secrets: they are the
// engine's rule texts.
// secrets are replaced by "(sensitive value)" wherever they would appear.
func addEngineErrors(diags *diag.Diagnostics, summary string, err error, m pathMapper, secrets ...string) {
	var es account.Errors
	if errors.As(err, &es) {
		addValidationErrors(diags, summary, redactErrors(es, secrets), m)
		return
	}
	var ce *account.CallError
	if errors.As(err, &ce) {
		diags.AddError(summary, redact(fmt.Sprintf("TrueNAS refused the call: %s [%s]", ce.Message, ce.Errno.Name()), secrets))
		return
	}
	var nr *errNotReady
	if errors.As(err, &nr) {
		diags.AddError(summary, nr.msg)
		return
	}
	diags.AddError(summary, redact(err.Error(), secrets))
}

// redactErrors hides secret values in validation messages.
func redactErrors(es account.Errors, secrets []string) account.Errors {
	out := make(account.Errors, len(es))
	for i, e := range es {
		e.Message = redact(e.Message, secrets)
		out[i] = e
	}
	return out
}

// redact hides secret values in a message.
func redact(msg string, secrets []string) string {
	for _, s := range secrets {
		if len(s) >= 3 {
			msg = strings.ReplaceAll(msg, s, "(sensitive value)")
		}
	}
	return msg
}

// addValidationErrors adds one diagnostic per account.Error.
func addValidationErrors(diags *diag.Diagnostics, summary string, es account.Errors, m pathMapper) {
	for _, e := range es {
		p, ok := mapAttribute(e.Attribute, m)
		var detail string
		if e.Attribute != "" {
			detail = fmt.Sprintf("%s\n\n(TrueNAS attribute %s, %s)", e.Message, e.Attribute, e.Errno.Name())
		} else {
			detail = fmt.Sprintf("%s (%s)", e.Message, e.Errno.Name())
		}
		if ok {
			diags.AddAttributeError(p, summary, detail)
		} else {
			diags.AddError(summary, detail)
		}
	}
}

// mapAttribute maps "user_update.groups.3" to a Terraform path. The prefix
// (everything up to the first dot) is dropped; a bare prefix maps to no
// attribute.
func mapAttribute(attr string, m pathMapper) (path.Path, bool) {
	if attr == "" || m == nil {
		return path.Empty(), false
	}
	parts := strings.Split(attr, ".")
	if len(parts) < 2 {
		return path.Empty(), false
	}
	p, list, ok := m(parts[1])
	if !ok {
		return path.Empty(), false
	}
	if list && len(parts) >= 3 {
		if i, err := strconv.Atoi(parts[2]); err == nil {
			p = p.AtListIndex(i)
		}
	}
	return p, true
}
