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

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/nasops/terraform-provider-truenas/internal/account"
	"github.com/nasops/terraform-provider-truenas/internal/remote"
	"github.com/nasops/terraform-provider-truenas/internal/wire"
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

	cacheMu sync.Mutex // guards the tables; held while one is queried
	users   *table[account.UserEntry]
	groups  *table[account.GroupEntry]
	keys    *table[account.APIKeyEntry]
	privs   *table[privilegeWire]

	builtinUsersID int64 // stable: kept across invalidations
	webshareID     int64 // truenas_webshare's id (26.0), likewise

	releaseMu       sync.Mutex    // held while system.version is read
	release         *wire.Release // the box's release, once read
	transportMu     sync.Mutex
	loggedTransport remote.TransportInfo // the last one logged
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
	if method != "system.version" {
		if err := c.checkRelease(ctx, t); err != nil {
			return nil, err
		}
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
		c.logTransport(ctx, t)
	}()
	if method != "system.version" && c.isCore() {
		return c.coreCall(ctx, t, method, params)
	}
	return t.Call(ctx, method, params...)
}

// logTransport says in the debug log how the box is reached, each time
// that changes (chosen, midclt probed, a fallback), and warns when
// arguments go on midclt's command line.
func (c *client) logTransport(ctx context.Context, t caller) {
	tp, ok := t.(interface{ Transport() remote.TransportInfo })
	if !ok {
		return
	}
	info := tp.Transport()
	if info.Kind == "" {
		return
	}
	c.transportMu.Lock()
	if info == c.loggedTransport {
		c.transportMu.Unlock()
		return
	}
	c.loggedTransport = info
	c.transportMu.Unlock()
	tflog.Debug(ctx, "engine transport", map[string]any{"transport": info.Kind, "reason": info.Reason})
	if info.Kind == remote.TransportMidclt && info.Probed && !info.MidcltStdin && c.cfg.ArgsOnCommandLine {
		tflog.Warn(ctx, "engine arguments go on midclt's command line (engine_args_on_command_line): "+
			"any local user of the box can read them, passwords included, in its process list")
	}
}

// minRelease is the oldest TrueNAS release whose account API the provider
// speaks.
var minRelease = fmt.Sprintf("%d.%02d", wire.MinReleaseYear, wire.MinReleaseMonth)

// checkRelease reads system.version once per run and stops every call on a
// release older than 25.04 other than CORE 13.3, naming it. An answer in no known form is let
// through (the box may be a newer or a compatible engine).
func (c *client) checkRelease(ctx context.Context, t caller) error {
	c.releaseMu.Lock()
	defer c.releaseMu.Unlock()
	if c.release == nil {
		raw, err := c.call(ctx, "system.version")
		if err != nil {
			return err
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			s = string(raw)
		}
		r, ok := wire.ParseRelease(s)
		if !ok {
			tflog.Debug(ctx, "system.version in an unknown form; assuming a compatible release", map[string]any{"version": s})
			r = wire.Release{Year: 99, Raw: s}
		} else {
			tflog.Debug(ctx, "box release", map[string]any{"version": s, "release": r.String()})
		}
		c.release = &r
	}
	if r := c.release; r.Before(wire.MinReleaseYear, wire.MinReleaseMonth) && !coreRelease(*r) {
		return &errNotReady{fmt.Sprintf("The box runs %s (system.version %q): this provider speaks the account API of TrueNAS %s "+
			"and later (its target is 25.10.6) and of %s. Upgrade the box to TrueNAS SCALE %s or later, or CORE 13.3.",
			r.String(), r.Raw, minRelease, coreName, minRelease)}
	}
	return nil
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
	c.users, c.groups, c.keys, c.privs = nil, nil, nil, nil
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

// table is the cached result of one query: every entry, and where each
// id is, so that reading N resources is O(N) and not O(N²).
type table[T any] struct {
	entries []T
	byID    map[int64]int
}

// cachedTable returns *slot, filling it from the engine's method when it is
// empty (the cache was never filled, or a write emptied it).
func cachedTable[T any](ctx context.Context, c *client, slot **table[T], method string, id func(*T) int64) (*table[T], error) {
	c.cacheMu.Lock()
	defer c.cacheMu.Unlock()
	if *slot != nil {
		return *slot, nil
	}
	out, err := queryAll[T](ctx, c, method)
	if err != nil {
		return nil, err
	}
	*slot = newTable(out, id)
	return *slot, nil
}

// newTable indexes entries by id; of two entries with one id, the first
// is found.
func newTable[T any](entries []T, id func(*T) int64) *table[T] {
	t := &table[T]{entries: entries, byID: make(map[int64]int, len(entries))}
	for i := range entries {
		if _, dup := t.byID[id(&entries[i])]; !dup {
			t.byID[id(&entries[i])] = i
		}
	}
	return t
}

// byID returns a copy of the entry with the id, nil if there is none.
func byID[T any](t *table[T], err error, id int64) (*T, error) {
	if err != nil {
		return nil, err
	}
	i, ok := t.byID[id]
	if !ok {
		return nil, nil
	}
	e := t.entries[i]
	return &e, nil
}

func (c *client) userTable(ctx context.Context) (*table[account.UserEntry], error) {
	return cachedTable(ctx, c, &c.users, "user.query", func(u *account.UserEntry) int64 { return u.ID })
}

func (c *client) groupTable(ctx context.Context) (*table[account.GroupEntry], error) {
	return cachedTable(ctx, c, &c.groups, "group.query", func(g *account.GroupEntry) int64 { return g.ID })
}

func (c *client) apiKeyTable(ctx context.Context) (*table[account.APIKeyEntry], error) {
	return cachedTable(ctx, c, &c.keys, "api_key.query", func(k *account.APIKeyEntry) int64 { return k.ID })
}

// Users returns every user, from the cache when possible.
func (c *client) Users(ctx context.Context) ([]account.UserEntry, error) {
	t, err := c.userTable(ctx)
	if err != nil {
		return nil, err
	}
	return t.entries, nil
}

// Groups returns every group, from the cache when possible.
func (c *client) Groups(ctx context.Context) ([]account.GroupEntry, error) {
	t, err := c.groupTable(ctx)
	if err != nil {
		return nil, err
	}
	return t.entries, nil
}

// APIKeys returns every API key, from the cache when possible.
func (c *client) APIKeys(ctx context.Context) ([]account.APIKeyEntry, error) {
	t, err := c.apiKeyTable(ctx)
	if err != nil {
		return nil, err
	}
	return t.entries, nil
}

func (c *client) userByID(ctx context.Context, id int64) (*account.UserEntry, error) {
	t, err := c.userTable(ctx)
	return byID(t, err, id)
}

func (c *client) groupByID(ctx context.Context, id int64) (*account.GroupEntry, error) {
	t, err := c.groupTable(ctx)
	return byID(t, err, id)
}

func (c *client) apiKeyByID(ctx context.Context, id int64) (*account.APIKeyEntry, error) {
	t, err := c.apiKeyTable(ctx)
	return byID(t, err, id)
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
