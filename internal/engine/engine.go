// Package engine is the box side of the provider: it implements the TrueNAS
// account API (user.*, group.*, api_key.*, privilege.*, auth.login_ex,
// system.version) over a SQLite store under a root folder, runs the
// account rules before every write, and brings the box's account files in
// line after every committed write.
package engine

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nasops/terraform-provider-truenas/internal/account"
	"github.com/nasops/terraform-provider-truenas/internal/box"
	"github.com/nasops/terraform-provider-truenas/internal/engine/filter"
	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// Version is the engine's own version, part of system.version.
var Version = "dev"

// The default release's manifest version and API (release.go has every
// release the engine answers as).
const (
	APIVersion = "v25_10_5"
	// APIFlavour is system.version's form of the default release:
	// "TrueNAS-" followed by the manifest version (utils/__init__.py:113
	// sw_info "fullname").
	APIFlavour = "TrueNAS-25.10.6"
)

// SystemVersion is what system.version answers on the default release:
// TrueNAS's form of the release, with the engine's own version as build
// metadata ("TrueNAS-25.10.6+engine.1.2.3"). A "+" suffix is ignored by
// semver and is a PEP 440 local version, so clients that parse the release
// (with a regexp, semver or Python's packaging) read 25.10.6; a "-" suffix
// would read as a pre-release and "MASTER" as a nightly.
func SystemVersion() string { return Releases[DefaultRelease].FullVersion() }

// versionLabel keeps what a PEP 440 local version label and semver build
// metadata both allow: ASCII letters and digits, separated by dots.
func versionLabel(v string) string {
	var b strings.Builder
	dot := true // no leading dot, no two in a row
	for _, r := range strings.TrimPrefix(v, "v") {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dot = false
		case !dot:
			b.WriteByte('.')
			dot = true
		}
	}
	out := strings.TrimSuffix(b.String(), ".")
	if out == "" {
		return "dev"
	}
	return out
}

// VersionLine is what "truenas-engine version" prints.
func VersionLine() string {
	return fmt.Sprintf("truenas-engine %s (speaks %s, API %s)", Version, APIFlavour, APIVersion)
}

// MethodNotFoundError is returned for a method the engine does not
// implement (JSON-RPC -32601 "Method does not exist").
type MethodNotFoundError struct{ Method string }

func (e *MethodNotFoundError) Error() string { return "[EINVAL] Method does not exist" }

// Code is the JSON-RPC error code.
func (e *MethodNotFoundError) Code() int { return -32601 }

// Engine is the account engine on one root folder. Its methods are safe for
// concurrent use; several engines (processes) may share a root.
type Engine struct {
	root string
	db   *sql.DB
	now  func() time.Time

	// boxSync can be turned off (tests, benchmarks of the store alone).
	boxSync bool
	// The box syncs this engine ran, by kind.
	fullPasses, incrementalPasses atomic.Int64
	// boxFiles caches the box's account files for foreign-line lookups.
	boxFiles fileCache

	// logins delays a socket peer's failed auth.login_ex (login.go).
	logins *loginGuard

	// release is the TrueNAS release the root answers as (release.go).
	release Release

	// group gathers concurrent changes of the box into one apply
	// (groupcommit.go); eachApplies turns that off (benchmarks: one
	// apply per call, as before group commit).
	group       writeGroup
	eachApplies bool
}

type method struct {
	nargs int // the number of positional arguments the method takes
	fn    func(e *Engine, ctx context.Context, args []json.RawMessage) (any, error)
	// filtersArg and optionsArg are the positions of the query-filters
	// and query-options arguments (-1: none), which name fields.
	filtersArg, optionsArg int
}

type methodFn = func(e *Engine, ctx context.Context, args []json.RawMessage) (any, error)

// plain is a method whose arguments name no fields.
func plain(nargs int, fn methodFn) method { return method{nargs, fn, -1, -1} }

// queryMethod is a query: (filters, options).
func queryMethod(fn methodFn) method { return method{2, fn, 0, 1} }

// instanceMethod is a get_instance: (id, options).
func instanceMethod(fn methodFn) method { return method{2, fn, -1, 1} }

var methods map[string]method

func init() {
	methods = map[string]method{
		"user.query":         queryMethod((*Engine).userQuery),
		"user.get_instance":  instanceMethod((*Engine).userGetInstance),
		"user.create":        plain(1, (*Engine).userCreate),
		"user.update":        plain(2, (*Engine).userUpdate),
		"user.delete":        plain(2, (*Engine).userDelete),
		"user.get_next_uid":  plain(0, (*Engine).userNextUID),
		"user.shell_choices": plain(1, (*Engine).userShellChoices),

		"user.has_local_administrator_set_up": plain(0, (*Engine).userHasLocalAdministratorSetUp),
		"user.setup_local_administrator":      plain(3, (*Engine).userSetupLocalAdministrator),

		"group.query":            queryMethod((*Engine).groupQuery),
		"group.get_instance":     instanceMethod((*Engine).groupGetInstance),
		"group.create":           plain(1, (*Engine).groupCreate),
		"group.update":           plain(2, (*Engine).groupUpdate),
		"group.delete":           plain(2, (*Engine).groupDelete),
		"group.get_next_gid":     plain(0, (*Engine).groupNextGID),
		"api_key.query":          queryMethod((*Engine).keyQuery),
		"api_key.get_instance":   instanceMethod((*Engine).keyGetInstance),
		"api_key.create":         plain(1, (*Engine).keyCreate),
		"api_key.update":         plain(2, (*Engine).keyUpdate),
		"api_key.delete":         plain(1, (*Engine).keyDelete),
		"privilege.query":        queryMethod((*Engine).privilegeQuery),
		"privilege.get_instance": instanceMethod((*Engine).privilegeGetInstance),
		"privilege.create":       plain(1, (*Engine).privilegeCreate),
		"privilege.update":       plain(2, (*Engine).privilegeUpdate),
		"privilege.delete":       plain(1, (*Engine).privilegeDelete),
		"privilege.roles":        queryMethod((*Engine).privilegeRoles),
		"auth.login_ex":          plain(1, (*Engine).authLoginEx),
		"system.version": plain(0, func(e *Engine, _ context.Context, _ []json.RawMessage) (any, error) {
			return e.Release().FullVersion(), nil
		}),
	}
	for name, m := range connMethods() {
		methods[name] = m
	}
	for name, m := range systemMethods() {
		methods[name] = m
	}
}

// methodTable is the methods of the engine's release: CORE's for a CORE
// release (core.go), SCALE's otherwise. Every call, on every protocol and
// the command line, looks its method up here.
func (e *Engine) methodTable() map[string]method {
	if e.Release().Core() {
		return coreMethods
	}
	return methods
}

// Methods lists the methods the engine answers on the default release.
func Methods() []string {
	out := make([]string, 0, len(methods))
	for m := range methods {
		out = append(out, m)
	}
	return out
}

// openRoot opens (creating and initialising when needed) the engine on
// root, before its release is read (OpenRelease).
func openRoot(root string) (*Engine, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("engine: root %q: %w", root, err)
	}
	if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("engine: root %q is not a directory", root)
	}
	db, err := openDB(abs)
	if err != nil {
		return nil, err
	}
	e := &Engine{root: abs, db: db, now: time.Now, boxSync: true, logins: newLoginGuard()}
	ctx := context.Background()
	if _, err := e.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := e.importLegacy(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if e.boxOutOfLine(ctx) {
		// Repair first, with the whole State: the box may hold a part of
		// an apply that was cut short. A box that cannot be repaired now
		// is no reason to refuse every call, reads and system.version
		// included: the next write tries again and reports what fails.
		_ = e.syncBox(ctx, true)
	} else if e.boxSync && !e.readRetry(ctx).empty() {
		// Accounts a sync left out (an obstacle in a home, a foreign
		// line): try them again, so that the next call after the
		// obstacle is gone repairs them, whichever call it is.
		_ = e.syncBox(ctx, false)
	}
	return e, nil
}

// Root is the engine's root folder.
func (e *Engine) Root() string { return e.root }

// Close releases the database.
func (e *Engine) Close() error { return e.db.Close() }

// Call runs one method with positional JSON arguments. Errors are
// account.Errors (validation), *account.CallError or *MethodNotFoundError.
func (e *Engine) Call(ctx context.Context, name string, args []json.RawMessage) (result json.RawMessage, err error) {
	defer func() {
		if r := recover(); r != nil {
			result = nil
			err = account.NewCallError(account.EFAULT, "internal error in %s: %v", name, r)
			if os.Getenv("TRUENAS_ENGINE_DEBUG") != "" {
				fmt.Fprintf(os.Stderr, "%s\n", debug.Stack())
			}
		}
	}()
	m, ok := e.methodTable()[name]
	if !ok {
		return nil, &MethodNotFoundError{Method: name}
	}
	if len(args) > m.nargs {
		return nil, account.Errors{{Message: fmt.Sprintf("Too many arguments (expected %d, found %d)", m.nargs, len(args)), Errno: account.EINVAL}}
	}
	size := 0
	for _, a := range args {
		size += len(a)
	}
	if size > wire.MaxMessage {
		return nil, account.NewCallError(account.EINVAL, "Max message length is 64 kB")
	}
	for _, a := range args {
		if !json.Valid(a) {
			return nil, account.Errors{{Message: "Arguments must be JSON values", Errno: account.EINVAL}}
		}
	}
	// Every answer passes here: the one place secrets are kept from a
	// session that may not see them (secrets.go).
	hide := hidesSecrets(ctx, name)
	if hide {
		if err := refuseSecretRefs(m, args); err != nil {
			return nil, err
		}
	}
	v, err := m.fn(e, withMethod(withModel(ctx, e.Release().Model), name), args)
	if err != nil {
		return nil, err
	}
	raw, ok := v.(json.RawMessage)
	if !ok {
		if raw, err = json.Marshal(v); err != nil {
			return nil, account.NewCallError(account.EFAULT, "encode result: %v", err)
		}
	}
	if hide {
		raw = redactSecrets(raw)
	}
	return raw, nil
}

// arg returns the i-th argument, or nil when it was not sent.
func arg(args []json.RawMessage, i int) json.RawMessage {
	if i < len(args) {
		return bytes.TrimSpace(args[i])
	}
	return nil
}

func isNull(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }

func invalid(attr, msg string) account.Errors {
	return account.Errors{{Attribute: attr, Message: msg, Errno: account.EINVAL}}
}

// intArg decodes a strict integer argument (pydantic strict int).
func intArg(raw json.RawMessage, attr string) (int64, error) {
	if raw == nil {
		return 0, invalid(attr, "Field required")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return 0, invalid(attr, "Input should be a valid integer")
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, invalid(attr, "Input should be a valid integer")
	}
	i, err := n.Int64()
	if err != nil {
		return 0, invalid(attr, "Input should be a valid integer")
	}
	return i, nil
}

// optionsArg decodes an options object with only boolean keys; model is
// the pydantic model's name, which its type error names.
func optionsArg(raw json.RawMessage, attr, model string, keys map[string]bool) (map[string]bool, error) {
	out := map[string]bool{}
	for k, v := range keys {
		out[k] = v
	}
	if isNull(raw) {
		if raw == nil {
			return out, nil
		}
		return nil, invalid(attr, modelTypeMsg(model))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, invalid(attr, modelTypeMsg(model))
	}
	var errs account.Errors
	for k, v := range m {
		if _, ok := keys[k]; !ok {
			errs.Add(attr+"."+k, "Extra inputs are not permitted", account.EINVAL)
			continue
		}
		switch string(bytes.TrimSpace(v)) {
		case "true":
			out[k] = true
		case "false":
			out[k] = false
		default:
			errs.Add(attr+"."+k, "Input should be a valid boolean", account.EINVAL)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// modelTypeMsg is pydantic's model_type error for a model argument that is
// not an object (strict mode: "instance of" the model class).
func modelTypeMsg(model string) string {
	if model == "" {
		// a discriminated union of models (auth.login_ex's login_data)
		return "Input should be a valid dictionary or object to extract fields from"
	}
	return "Input should be a valid dictionary or instance of " + model
}

// objectArg requires a JSON object argument: attr is the argument's name
// in the method's Args model, model the class name of its type
// (api/v25_10_5/user.py:226 "user_create: UserCreate").
func objectArg(raw json.RawMessage, attr, model string) error {
	if raw == nil {
		return invalid(attr, "Field required")
	}
	if len(raw) == 0 || raw[0] != '{' {
		return invalid(attr, modelTypeMsg(model))
	}
	return nil
}

// updateArgs checks the (id, payload) arguments of an update method as
// pydantic validates the Args model (api/base/handler/accept.py
// validate_model): every field is checked and every error reported, in
// field order, so "user.update 5" gives "user_update: Field required"
// (api/v25_10_5/user.py:235 UserUpdateArgs has no default for it).
func updateArgs(args []json.RawMessage, attr, model string) (int64, json.RawMessage, error) {
	var errs account.Errors
	id, err := intArg(arg(args, 0), "id")
	if err != nil {
		errs = append(errs, err.(account.Errors)...)
	}
	raw := arg(args, 1)
	if err := objectArg(raw, attr, model); err != nil {
		errs = append(errs, err.(account.Errors)...)
	}
	if len(errs) > 0 {
		return 0, nil, errs
	}
	return id, raw, nil
}

// queryArgs checks the [filters, options] shapes.
func queryArgs(args []json.RawMessage) (filters, options json.RawMessage, err error) {
	filters, options = arg(args, 0), arg(args, 1)
	if isNull(filters) {
		filters = json.RawMessage("[]")
	} else if filters[0] != '[' {
		return nil, nil, invalid("filters", "Input should be a valid list")
	}
	if isNull(options) {
		options = json.RawMessage("{}")
	} else if options[0] != '{' {
		return nil, nil, invalid("options", "Input should be a valid dictionary or instance of QueryOptions")
	}
	return filters, options, nil
}

func marshalAll[T any](items []T) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, len(items))
	for i := range items {
		b, err := json.Marshal(items[i])
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

// runQuery hands the entries to the filter engine.
func runQuery(entries []json.RawMessage, filters, options json.RawMessage) (json.RawMessage, error) {
	return filter.Apply(entries, filters, options)
}

// getInstance applies get_instance options to one entry.
// instanceOf is a get_instance method: the entry load finds for the id in
// args[0] (nil when there is none: kind's "does not exist" error), shaped
// by get_instance's options in args[1].
func instanceOf[E any](e *Engine, ctx context.Context, args []json.RawMessage, kind string,
	load func(t *txn, id int64, now time.Time) (*E, error)) (any, error) {
	id, err := intArg(arg(args, 0), "id")
	if err != nil {
		return nil, err
	}
	v, err := e.read(ctx, func(t *txn, now time.Time) (any, error) {
		entry, err := load(t, id, now)
		if err != nil {
			return nil, err
		}
		if entry == nil {
			return nil, account.NotFound(kind, id)
		}
		return entry, nil
	})
	if err != nil {
		return nil, err
	}
	return getInstance(v, arg(args, 1))
}

func getInstance(entry any, options json.RawMessage) (any, error) {
	if isNull(options) || string(bytes.Join(bytes.Fields(options), nil)) == "{}" {
		return entry, nil
	}
	if options[0] != '{' {
		return nil, invalid("options", "Input should be a valid dictionary or instance of QueryOptions")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(options, &m); err != nil {
		return nil, invalid("options", "Input should be a valid dictionary or instance of QueryOptions")
	}
	m["get"] = json.RawMessage("true")
	opts, _ := json.Marshal(m)
	b, err := json.Marshal(entry)
	if err != nil {
		return nil, err
	}
	return runQuery([]json.RawMessage{b}, json.RawMessage("[]"), opts)
}

// storeErr wraps an unexpected store failure as a call error.
func storeErr(err error) error {
	if err == nil {
		return nil
	}
	switch err.(type) {
	case account.Errors, *account.CallError, *MethodNotFoundError:
		return err
	}
	return account.NewCallError(account.EFAULT, "database error: %v", err)
}

// write runs fn in one write transaction, commits, then brings the box in
// line. fn returns the result.
func (e *Engine) write(ctx context.Context, fn func(t *txn, now time.Time) (any, error)) (any, error) {
	return e.writeTx(ctx, true, fn)
}

// writeStoreOnly is write for changes that do not touch the box files
// (API keys): no generation bump, no box sync.
func (e *Engine) writeStoreOnly(ctx context.Context, fn func(t *txn, now time.Time) (any, error)) (any, error) {
	return e.writeTx(ctx, false, fn)
}

// writeTx runs fn in one write transaction and commits it; for a change
// of the box (boxRelevant) it then brings the box in line. Concurrent
// changes of the box share one apply (group commit, groupcommit.go)
// unless e.eachApplies.
func (e *Engine) writeTx(ctx context.Context, boxRelevant bool, fn func(t *txn, now time.Time) (any, error)) (any, error) {
	if !boxRelevant || !e.boxSync {
		v, _, err := e.commitWrite(ctx, boxRelevant, fn)
		return v, err
	}
	if !e.eachApplies {
		return e.writeGrouped(ctx, fn)
	}
	// One call, one apply. A change for the box takes the box's locks
	// (the engine's, then shadow-utils') before the store: when another
	// program holds the account files too long, nothing is saved.
	// Always in this order (box, then the store's one connection), as
	// syncBox at start.
	unlock, err := box.Lock(e.root)
	if err != nil {
		return nil, boxLockErr(err)
	}
	defer unlock()
	v, touched, err := e.commitWrite(ctx, true, fn)
	if err != nil {
		return nil, err
	}
	if err := boxErrFor(e.syncBoxLocked(ctx, false, unlock), touched); err != nil {
		return nil, err
	}
	return v, nil
}

// boxLockErr is the call's error when box.Lock failed: nothing was saved.
func boxLockErr(err error) error {
	var le *box.LockError
	if errors.As(err, &le) {
		return account.NewCallError(account.EAGAIN, "%v", err)
	}
	return account.NewCallError(account.EFAULT, "the box files could not be locked, nothing was changed: %v", err)
}

// commitWrite runs fn in one write transaction and commits it. For a
// change of the box it also counts a generation and lists the accounts
// the transaction changed (touched).
func (e *Engine) commitWrite(ctx context.Context, boxRelevant bool, fn func(t *txn, now time.Time) (any, error)) (any, []dirtyName, error) {
	t, err := e.begin(ctx, true)
	if err != nil {
		return nil, nil, storeErr(err)
	}
	defer t.rollback()
	now := e.now()
	v, err := fn(t, now)
	if err != nil {
		return nil, nil, storeErr(err)
	}
	var touched []dirtyName
	if boxRelevant {
		// The accounts this call changes, to tell its own box problems
		// from other accounts' (recorded by the box_dirty triggers).
		if touched, err = touchedNames(ctx, t); err != nil {
			return nil, nil, storeErr(err)
		}
		// What the box would refuse is refused before the save.
		if e.boxSync {
			if err := e.checkSudoRules(ctx, t, touched); err != nil {
				return nil, nil, storeErr(err)
			}
		}
		if _, err := t.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('generation', '1')
		ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`); err != nil {
			return nil, nil, storeErr(err)
		}
		// Forget what the box already has (never this transaction's own
		// rows). The box generation only grows, so what an engine applying
		// now reads (above its generation) stays.
		if applied, ok, err := boxGenerationIn(ctx, t); err != nil {
			return nil, nil, storeErr(err)
		} else if ok {
			if _, err := t.ExecContext(ctx, `DELETE FROM box_dirty WHERE rowid IN
				(SELECT rowid FROM box_dirty WHERE generation <= ? AND generation < `+dirtyGen+` LIMIT 256)`, applied); err != nil {
				return nil, nil, storeErr(err)
			}
		}
	}
	if err := t.commit(ctx); err != nil {
		return nil, nil, storeErr(err)
	}
	return v, touched, nil
}

// boxErrFor is what a sync's error means for a saved call that touched
// these accounts: nil when the problems are other accounts' only.
func boxErrFor(err error, touched []dirtyName) error {
	if err == nil {
		return nil
	}
	var acct *box.AccountErrors
	if !errors.As(err, &acct) {
		return account.NewCallError(account.EFAULT, "the change was saved but the box files could not be updated: %v", err)
	}
	// Only the problems of the accounts this call changed are its
	// own; the others' stay listed for a retry and fail only the
	// calls that touch them.
	var mine []error
	for _, d := range touched {
		if d.kind == "u" {
			if err := acct.ForUser(d.name); err != nil {
				mine = append(mine, err)
			}
		} else if err := acct.ForGroup(d.name); err != nil {
			mine = append(mine, err)
		}
	}
	if len(mine) > 0 {
		return account.NewCallError(account.EFAULT, "the change was saved but the box files could not be updated: %v "+
			"(the engine tries again on every call until the obstacle is gone)", errors.Join(mine...))
	}
	return nil
}

// dirtyName is an account a write changes.
type dirtyName struct{ kind, name string }

// touchedNames lists the accounts the current write transaction changed
// (box_dirty rows of the generation it is about to commit).
func touchedNames(ctx context.Context, t *txn) ([]dirtyName, error) {
	rows, err := t.QueryContext(ctx, `SELECT DISTINCT kind, name FROM box_dirty WHERE generation = `+dirtyGen)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []dirtyName
	for rows.Next() {
		var d dirtyName
		if err := rows.Scan(&d.kind, &d.name); err != nil {
			return nil, err
		}
		if d.kind == "m" {
			d.kind = "g"
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// read runs fn in one read transaction.
func (e *Engine) read(ctx context.Context, fn func(t *txn, now time.Time) (any, error)) (any, error) {
	t, err := e.begin(ctx, false)
	if err != nil {
		return nil, storeErr(err)
	}
	defer t.rollback()
	v, err := fn(t, e.now())
	if err != nil {
		return nil, storeErr(err)
	}
	return v, nil
}
