package provider

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"golang.org/x/crypto/ssh"
)

// readUsers is a configuration that must reach the box at plan time.
const readUsers = `
data "truenas_users" "all" {}
`

// newKeyPair writes a fresh ed25519 private key and returns its file and
// its public key in authorized_keys format.
func newKeyPair(t *testing.T) (string, string) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return file, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub)))
}

// TestAccConnectionErrors: what a user sees when the box cannot be used.
// Each error names the cause and what to change.
func TestAccConnectionErrors(t *testing.T) {
	box := startAccBox(t)
	otherKey, otherPub := newKeyPair(t)
	emptyKnownHosts := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(emptyKnownHosts, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	provider := func(body string) string {
		return fmt.Sprintf("provider \"truenas\" {\n  host = %q\n  port = %d\n  user = \"root\"\n%s\n}\n", box.sb.Host, box.sb.Port, body) + readUsers
	}
	cases := []struct {
		name, config string
		want         *regexp.Regexp
	}{
		{"wrong pinned host key", provider(fmt.Sprintf("  private_key_file = %q\n  host_key = %q", box.sb.ClientKeyFile, otherPub)),
			regexp.MustCompile(`(?s)MAN-IN-THE-MIDDLE.*update\s+host_key`)},
		{"host not in known_hosts", provider(fmt.Sprintf("  private_key_file = %q\n  known_hosts_file = %q", box.sb.ClientKeyFile, emptyKnownHosts)),
			regexp.MustCompile(`(?s)not\s+in\s+known_hosts\s+file`)},
		{"wrong credentials", provider(fmt.Sprintf("  private_key_file = %q\n  known_hosts_file = %q", otherKey, box.sb.KnownHostsFile)),
			regexp.MustCompile(`(?s)authentication\s+as\s+root\s+failed.*authorized_keys`)},
		{"unreachable host", fmt.Sprintf("provider \"truenas\" {\n  host = \"127.0.0.1\"\n  port = %d\n  private_key_file = %q\n  known_hosts_file = %q\n}\n",
			closedPort, box.sb.ClientKeyFile, box.sb.KnownHostsFile) + readUsers,
			regexp.MustCompile(`(?s)cannot\s+reach\s+127\.0\.0\.1`)},
	}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			before := box.sb.Stats().Calls
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testFactories,
				Steps:                    []resource.TestStep{{Config: tc.config, ExpectError: tc.want}},
			})
			if calls := box.sb.Stats().Calls - before; calls != 0 {
				t.Errorf("%d engine calls ran although the connection should have been refused", calls)
			}
		})
	}
}

// TestAccDroppedConnection: the box drops the connection in the middle of
// a plan; the provider dials again once and the plan succeeds.
func TestAccDroppedConnection(t *testing.T) {
	box := startAccBox(t)
	var dropped atomic.Bool
	drop := func([]string) {
		if dropped.CompareAndSwap(false, true) {
			box.sb.DropConnections()
		}
	}
	box.onCall.Store(&drop)
	before := box.sb.Stats().Connections
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testFactories,
		Steps: []resource.TestStep{{
			Config: box.config + readUsers,
			Check:  resource.TestCheckResourceAttrSet("data.truenas_users.all", "users.0.username"),
		}},
	})
	if !dropped.Load() {
		t.Fatal("the connection was never dropped")
	}
	if got := box.sb.Stats().Connections - before; got < 2 {
		t.Fatalf("%d connections; the provider should have dialled again after the drop", got)
	}
}
