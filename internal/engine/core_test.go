package engine

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// openCore opens an engine on a new root answering as TrueNAS CORE 13.3.
func openCore(t testing.TB) *Engine {
	t.Helper()
	e, err := OpenRelease(t.TempDir(), "13.3")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// A 13.3 root over DDP, as CORE's own client speaks it: the handshake,
// CORE's answers (ids from create and update), CORE's fields in the
// entries, CORE's version.
func TestCoreOverDDP(t *testing.T) {
	e := openCore(t)
	base := serveAs(t, e, HandlerOptions{}, Caller{UID: 0})
	d := connectDDP(t, base+wire.DDPPath)

	v, derr := d.call("system.version")
	if derr != nil || !strings.HasPrefix(string(v), `"TrueNAS-13.3-U1.2+engine.`) {
		t.Fatalf("system.version: %s %+v", v, derr)
	}
	res, derr := d.call("user.create", `{"username":"alice","full_name":"Alice","group_create":true,"password":"pw-Secret1","sudo":true,"microsoft_account":true,"attributes":{"a":1}}`)
	if derr != nil {
		t.Fatalf("user.create: %+v", derr)
	}
	var id int64
	if err := json.Unmarshal(res, &id); err != nil || id == 0 {
		t.Fatalf("user.create answers the id, got %s", res)
	}
	res, derr = d.call("user.query", `[["id","=",`+string(res)+`]]`, `{"get":true}`)
	if derr != nil {
		t.Fatalf("user.query: %+v", derr)
	}
	var u map[string]any
	if err := json.Unmarshal(res, &u); err != nil {
		t.Fatal(err)
	}
	if u["uid"] != float64(1000) || u["home"] != "/nonexistent" || u["sudo"] != true || u["microsoft_account"] != true ||
		u["shell"] != "/bin/csh" || u["email"] != nil {
		t.Fatalf("entry %s", res)
	}
	if _, ok := u["sudo_commands_nopasswd"]; ok {
		t.Fatalf("a SCALE field in a CORE entry: %s", res)
	}
	// uid changeable; update answers the id.
	res, derr = d.call("user.update", itoa(id), `{"uid":1500}`)
	if derr != nil || string(res) != itoa(id) {
		t.Fatalf("user.update: %s %+v", res, derr)
	}
	// No privileges on CORE: the method lookup's own error.
	_, derr = d.call("privilege.query")
	if derr == nil || derr.Reason != "[ENOMETHOD] Service 'privilege' not found" {
		t.Fatalf("privilege.query: %+v", derr)
	}
	// No JSON-RPC on CORE.
	resp, err := http.Get(strings.Replace(base, "ws", "http", 1) + wire.APIPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("%s on 13.3: %d", wire.APIPath, resp.StatusCode)
	}
}
