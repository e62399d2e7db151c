package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/nasops/terraform-provider-truenas"

// boxPackages are the packages of the box side: the engine and its store
// (SQLite), the box files, the sandbox's SSH server. The provider binary
// must link none of them; cmd/truenas-engine carries them.
var boxPackages = []string{
	module + "/internal/engine",
	module + "/internal/sandbox",
	module + "/internal/box",
	"modernc.org/sqlite",
}

// serverSymbols are the server handshakes of an SSH server and a websocket
// server, each as the functions any of which is linked with it (the
// exported entry point may be inlined into its caller). The provider is an
// SSH and websocket client of the same modules (x/crypto/ssh,
// coder/websocket), so the modules are in it; the linker keeps only the
// functions reachable from main, so a server's handshake in the symbol
// table means a server is linked.
var serverSymbols = map[string][]string{
	"SSH server": {
		"golang.org/x/crypto/ssh.NewServerConn",
		"golang.org/x/crypto/ssh.(*connection).serverHandshake",
	},
	"websocket server": {
		"github.com/coder/websocket.Accept",
		"github.com/coder/websocket.accept",
	},
}

// TestProviderLinksNoBoxSide: the provider's package graph (go list -deps)
// holds none of boxPackages, its built binary's modules (go version -m)
// hold no SQLite, and its symbol table (go tool nm) no server entry point.
// The same checks run on cmd/truenas-engine must find all of them, so that
// a renamed package or symbol cannot make this test pass by finding nothing.
func TestProviderLinksNoBoxSide(t *testing.T) {
	if testing.Short() {
		t.Skip("builds both programs")
	}
	dir := t.TempDir()
	provider := build(t, ".", filepath.Join(dir, "terraform-provider-truenas"))
	eng := build(t, "./cmd/truenas-engine", filepath.Join(dir, "truenas-engine"))

	for _, c := range []struct {
		pkg, bin string
		want     bool // whether the box side must be there
	}{{".", provider, false}, {"./cmd/truenas-engine", eng, true}} {
		deps := lines(t, "go", "list", "-deps", "-f", "{{.ImportPath}}", c.pkg)
		for _, p := range boxPackages {
			if got := hasPrefixed(deps, p); got != c.want {
				t.Errorf("%s: go list -deps has %s: %v, want %v", c.pkg, p, got, c.want)
			}
		}
		mods := map[string]bool{}
		for _, l := range lines(t, "go", "version", "-m", c.bin) {
			if f := strings.Fields(l); len(f) >= 2 && (f[0] == "dep" || f[0] == "=>") {
				mods[f[1]] = true
			}
		}
		for _, m := range []string{"modernc.org/sqlite", "modernc.org/libc"} {
			if mods[m] != c.want {
				t.Errorf("%s: go version -m lists module %s: %v, want %v", c.pkg, m, mods[m], c.want)
			}
		}
		syms := map[string]bool{}
		for _, l := range lines(t, "go", "tool", "nm", c.bin) {
			if f := strings.Fields(l); len(f) >= 3 {
				syms[f[len(f)-1]] = true
			}
		}
		for server, names := range serverSymbols {
			var found []string
			for _, n := range names {
				if syms[n] {
					found = append(found, n)
				}
			}
			if got := len(found) > 0; got != c.want {
				t.Errorf("%s: the binary links a %s: %v (symbols %q of %q), want %v", c.pkg, server, got, found, names, c.want)
			}
		}
	}
}

// build builds the main package pkg to out, symbols kept (go tool nm reads
// them), and returns out.
func build(t *testing.T, pkg, out string) string {
	t.Helper()
	if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

func lines(t *testing.T, name string, args ...string) []string {
	t.Helper()
	cmd := exec.Command(name, args...)
	var errb strings.Builder
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, errb.String())
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// hasPrefixed reports whether one of pkgs is p or a package under it.
func hasPrefixed(pkgs []string, p string) bool {
	for _, q := range pkgs {
		if q == p || strings.HasPrefix(q, p+"/") {
			return true
		}
	}
	return false
}
