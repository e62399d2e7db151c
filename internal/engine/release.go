package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nasops/terraform-provider-truenas/internal/account"
	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// Release is one TrueNAS release the engine answers as: everything that
// differs between releases outside the account model is a value here, so
// that a release with another protocol (CORE 13.3's DDP) is one more entry,
// not a second engine.
type Release struct {
	// Name is what --release takes: "25.10", "26.0".
	Name string
	// Version is the manifest version (system.version_short, system.info):
	// "25.10.6"; system.version is "TrueNAS-" + Version + "+engine.<v>".
	Version string
	// APIVersion is the middleware API of the release (api/vXX_YY_Z), the
	// account model the release's methods speak.
	APIVersion string
	// Model is the account API of APIVersion (internal/account).
	Model *account.Model
	// Protocol is the wire protocol of the middleware socket: "jsonrpc"
	// (JSON-RPC 2.0 at /api/current); CORE speaks "ddp".
	Protocol string
	// Socket is the middleware socket's path on the box.
	Socket string
	// APIPaths are the websocket paths the socket serves the release's API on.
	APIPaths []string
	// MidcltStdin: midclt call takes a final "-" as one JSON argument read
	// from stdin (TrueNAS 26.0; 25.10's midclt reads argv only, and the
	// engine keeps accepting it there as the provider's private channel).
	MidcltStdin bool
	// MidcltArgvOnly: midclt call takes every argument from the command
	// line, a "-" being the string "-", and the engine keeps no stdin
	// channel (CORE 13.3's midclt, client/client.py main() from_json: the
	// method's own validation then refuses the "-").
	MidcltArgvOnly bool
	// DDP is the dialect of the legacy websocket at /websocket.
	DDP wire.DDPDialect
	// RootPeers: every peer of the middleware socket is root (CORE's
	// check_permission logs any AF_UNIX connection in as root, plugins/
	// auth.py at TN-13.3-U1.2), and so the socket is root's alone: a peer
	// with another uid is refused at connect, as the root-owned socket's
	// mode refuses it on CORE.
	RootPeers bool
}

// JSONRPC says the release serves JSON-RPC 2.0 (on APIPaths) beside DDP.
func (r Release) JSONRPC() bool { return r.Protocol == "jsonrpc" }

// Core says the release speaks CORE's account API (account.Model.Core).
func (r Release) Core() bool { return r.Model != nil && r.Model.Core != nil }

// Releases are the releases the engine answers as, by name.
var Releases = map[string]Release{
	"25.10": {
		Name: "25.10", Version: "25.10.6", APIVersion: "v25_10_5", Model: account.ModelV25_10_5, Protocol: "jsonrpc",
		Socket:   "/var/run/middleware/middlewared.sock",
		APIPaths: []string{"/api/current", "/api/v25.10.5"},
		DDP:      wire.DDPScale25,
	},
	"26.0": {
		Name: "26.0", Version: "26.0.0-BETA.3", APIVersion: "v26_0_0", Model: account.ModelV26_0_0, Protocol: "jsonrpc",
		Socket:      "/run/middleware/middlewared.sock",
		APIPaths:    []string{"/api/current", "/api/v26.0.0"},
		MidcltStdin: true,
		DDP:         wire.DDPScale26,
	},
	// TrueNAS CORE 13.3-U1.2, the last CORE (FreeBSD): the legacy DDP
	// websocket only, at /websocket on /var/run/middlewared.sock (main.py
	// at TN-13.3-U1.2: no /api/current), CORE's account API.
	"13.3": {
		Name: "13.3", Version: "13.3-U1.2", APIVersion: "v13_3", Model: account.ModelV13_3, Protocol: "ddp",
		Socket:         wire.CoreSocket,
		DDP:            wire.DDPCore133,
		MidcltArgvOnly: true,
		RootPeers:      true,
	},
}

// DefaultRelease is the release of a new root without --release.
const DefaultRelease = "25.10"

// ReleaseNames lists the releases, sorted.
func ReleaseNames() []string {
	out := make([]string, 0, len(Releases))
	for n := range Releases {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// LookupRelease finds a release by name; the error names the known ones.
func LookupRelease(name string) (Release, error) {
	if r, ok := Releases[name]; ok {
		return r, nil
	}
	return Release{}, fmt.Errorf("unknown release %q (known: %s)", name, strings.Join(ReleaseNames(), ", "))
}

// FullVersion is system.version's answer for the release: TrueNAS's form
// (utils/__init__.py sw_info "fullname") with the engine's version as
// build metadata.
func (r Release) FullVersion() string {
	return "TrueNAS-" + r.Version + "+engine." + versionLabel(Version)
}

// Release is the release the engine's root was created with.
func (e *Engine) Release() Release {
	if e.release.Name == "" {
		return Releases[DefaultRelease]
	}
	return e.release
}

// ReleaseMismatchError refuses a --release other than the one a root was
// created with.
type ReleaseMismatchError struct{ Root, Have, Want string }

func (e *ReleaseMismatchError) Error() string {
	return fmt.Sprintf("engine: root %s answers as TrueNAS %s (the release it was created with); --release %s refused: a root keeps its release, use a new root for another",
		e.Root, e.Have, e.Want)
}

// OpenRelease opens the engine on root as Open does and gives it its
// release: the one the root was created with, kept in its store. A root
// without one takes want (DefaultRelease when want is ""); a root with one
// refuses another want.
func OpenRelease(root, want string) (*Engine, error) {
	if want != "" {
		if _, err := LookupRelease(want); err != nil {
			return nil, fmt.Errorf("engine: --release: %v", err)
		}
	}
	e, err := openRoot(root)
	if err != nil {
		return nil, err
	}
	if err := e.pinRelease(want); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// Open opens (creating and initialising when needed) the engine on root,
// with the release the root was created with (DefaultRelease for a new
// one).
func Open(root string) (*Engine, error) { return OpenRelease(root, "") }

// pinRelease reads (or, on a root without one, records) the root's release.
func (e *Engine) pinRelease(want string) error {
	ctx := context.Background()
	var have string
	err := e.db.QueryRowContext(ctx, `SELECT name FROM engine_release WHERE one = 1`).Scan(&have)
	if err != nil {
		// A root without one (new, or made before releases were kept):
		// the first engine on it records want. Several engines may race
		// here; the table keeps one row and every one reads it back.
		name := want
		if name == "" {
			name = DefaultRelease
		}
		if _, err := e.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS engine_release (
			one INTEGER PRIMARY KEY CHECK (one = 1), name TEXT NOT NULL)`); err != nil {
			return fmt.Errorf("engine: release: %w", err)
		}
		if _, err := e.db.ExecContext(ctx, `INSERT OR IGNORE INTO engine_release (one, name) VALUES (1, ?)`, name); err != nil {
			return fmt.Errorf("engine: release: %w", err)
		}
		if err := e.db.QueryRowContext(ctx, `SELECT name FROM engine_release WHERE one = 1`).Scan(&have); err != nil {
			return fmt.Errorf("engine: release: %w", err)
		}
	}
	r, err := LookupRelease(have)
	if err != nil {
		return fmt.Errorf("engine: root %s: %v", e.root, err)
	}
	if want != "" && want != have {
		return &ReleaseMismatchError{Root: e.root, Have: have, Want: want}
	}
	e.release = r
	if r.Model.Webshare {
		return e.ensureWebshareGroup(ctx)
	}
	return nil
}

// ensureWebshareGroup gives a release whose users carry webshare its
// built-in group (account.WebshareGroup), as the 26.0 image has it. A box
// whose own groups hold its name or gid keeps them: the engine does not
// take an identity an adopted box gave to another group.
func (e *Engine) ensureWebshareGroup(ctx context.Context) error {
	g := account.WebshareGroup
	var n int
	if err := e.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM groups WHERE name = ? OR gid = ?`, g.Name, g.GID).Scan(&n); err != nil {
		return fmt.Errorf("engine: release: %w", err)
	}
	if n > 0 {
		return nil
	}
	_, err := e.write(ctx, func(t *txn, _ time.Time) (any, error) {
		// members_managed: the engine writes its line (the box's etc/group,
		// made for 25.10 or adopted, has none).
		_, err := t.ExecContext(ctx, `INSERT INTO groups (gid, name, builtin, smb, userns_idmap, members_managed)
			SELECT ?, ?, 1, 0, ?, 1 WHERE NOT EXISTS (SELECT 1 FROM groups WHERE name = ? OR gid = ?)`,
			g.GID, g.Name, idmapFor(g.Name, g.GID), g.Name, g.GID)
		return nil, err
	})
	if err != nil {
		return fmt.Errorf("engine: release %s: add group %s: %w", e.release.Name, g.Name, err)
	}
	return nil
}

// Model is the account model of the box the view is of (account.ModelBox).
func (b *boxView) Model() *account.Model { return b.model }
