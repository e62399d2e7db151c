package remote_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/nasops/terraform-provider-truenas/internal/account"
	"github.com/nasops/terraform-provider-truenas/internal/remote"
	"github.com/nasops/terraform-provider-truenas/internal/sandbox"
	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// The DDP transport against a 13.3 engine (the sandbox's, over SSH to
// CORE's socket): CORE's answers, its validation errors and schema errors
// as the client reads them, and no JSON-RPC to fall back to.
func TestDDPTransportCore133(t *testing.T) {
	b, _ := realBox(t, sandbox.Options{Release: "13.3"})
	cfg := withTransport(b.config(), remote.TransportDDP)
	cfg.DDPSocket = wire.CoreSocket
	c := b.client(cfg)
	if v, err := c.Call(ctx(t), "system.version"); err != nil || !strings.HasPrefix(string(v), `"TrueNAS-13.3-U1.2`) {
		t.Fatalf("system.version: %s %v", v, err)
	}
	if tr := c.Transport(); tr.Kind != remote.TransportDDP || !strings.Contains(tr.Reason, wire.CoreSocket) {
		t.Fatalf("transport %+v", tr)
	}
	p := map[string]any{"username": "coreddp", "full_name": "C", "group_create": true, "password": secret, "sudo": true}
	res, err := c.Call(ctx(t), "user.create", p)
	var id int64
	if err != nil || json.Unmarshal(res, &id) != nil || id == 0 {
		t.Fatalf("user.create answers the id: %s %v", res, err)
	}
	if res, err := c.Call(ctx(t), "user.update", id, map[string]any{"uid": 4321, "full_name": "Core"}); err != nil || string(res) != string(mustMarshal(t, id)) {
		t.Fatalf("user.update: %s %v", res, err)
	}
	res, err = c.Call(ctx(t), "user.query", []any{[]any{"id", "=", id}}, map[string]any{"get": true})
	var u struct {
		UID      int64  `json:"uid"`
		FullName string `json:"full_name"`
		Sudo     bool   `json:"sudo"`
		Home     string `json:"home"`
	}
	if err != nil || json.Unmarshal(res, &u) != nil || u.UID != 4321 || u.FullName != "Core" || !u.Sudo || u.Home != "/nonexistent" {
		t.Fatalf("user.query: %s %v", res, err)
	}
	_, err = c.Call(ctx(t), "user.create", p)
	var es account.Errors
	if !errors.As(err, &es) || len(es) == 0 || es[0].Attribute != "user_create.username" || es[0].Errno != account.EEXIST {
		t.Fatalf("duplicate: %#v", err)
	}
	_, err = c.Call(ctx(t), "user.create", "-")
	var ce *account.CallError
	if !errors.As(err, &ce) || ce.Errno != account.EINVAL || ce.Message != "[user_create] A dict was expected" {
		t.Fatalf("schema error: %#v", err)
	}
	_, err = c.Call(ctx(t), "privilege.query")
	if !errors.As(err, &ce) || !strings.Contains(ce.Message, "Service 'privilege' not found") {
		t.Fatalf("privilege.query: %#v", err)
	}
	// The JSON-RPC transport finds no JSON-RPC on CORE's socket.
	jcfg := withTransport(b.config(), remote.TransportJSONRPC)
	if _, err := b.client(jcfg).Call(ctx(t), "system.version"); err == nil {
		t.Fatal("JSON-RPC answered on a 13.3 box")
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
