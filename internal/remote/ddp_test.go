package remote_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/nasops/terraform-provider-truenas/internal/account"
	"github.com/nasops/terraform-provider-truenas/internal/remote"
	"github.com/nasops/terraform-provider-truenas/internal/sandbox"
	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// The DDP transport against the real engine over SSH: calls, results and
// many calls at once on one websocket.
func TestDDPTransport(t *testing.T) {
	b, seen := realBox(t, sandbox.Options{})
	c := b.client(withTransport(b.config(), remote.TransportDDP))
	if v, err := c.Call(ctx(t), "system.version"); err != nil || !strings.HasPrefix(string(v), `"TrueNAS`) {
		t.Fatalf("system.version: %s %v", v, err)
	}
	if tr := c.Transport(); tr.Kind != remote.TransportDDP || !strings.Contains(tr.Reason, "DDP") || !strings.Contains(tr.Reason, wire.Socket) {
		t.Fatalf("transport %+v", tr)
	}
	res, err := c.Call(ctx(t), "user.create", newUserPayload("ddpalice"))
	if err != nil {
		t.Fatal(err)
	}
	var u struct{ ID int64 }
	if err := json.Unmarshal(res, &u); err != nil || u.ID == 0 {
		t.Fatalf("user.create: %s %v", res, err)
	}
	if res, err := c.Call(ctx(t), "user.update", u.ID, map[string]any{"full_name": "Alice"}); err != nil || !strings.Contains(string(res), `"Alice"`) {
		t.Fatalf("user.update: %s %v", res, err)
	}
	// The same query answers the same bytes on both websockets.
	jc := b.client(withTransport(b.config(), remote.TransportJSONRPC))
	q := []any{[]any{"username", "=", "ddpalice"}}
	viaDDP, err1 := c.Call(ctx(t), "user.query", q)
	viaRPC, err2 := jc.Call(ctx(t), "user.query", q)
	if err1 != nil || err2 != nil || string(viaDDP) != string(viaRPC) || !strings.Contains(string(viaDDP), `"Alice"`) {
		t.Fatalf("DDP %s %v, JSON-RPC %s %v", viaDDP, err1, viaRPC, err2)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Call(ctx(t), "user.query", q, map[string]any{"get": true}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Websockets != 1 || st.Connections != 1 || st.Sessions != 0 {
		t.Fatalf("stats %+v", st)
	}
	for _, a := range seen() {
		t.Fatalf("a midclt command ran: %q", a)
	}
}

// The same failing calls give the same errors through DDP, JSON-RPC and
// midclt, for root, a read-only administrator and a user TrueNAS does not
// authenticate.
func TestDDPErrorsMatchJSONRPC(t *testing.T) {
	b, _ := realBox(t, sandbox.Options{})
	root := b.client(b.config())
	var ro []struct{ ID int64 }
	res, err := root.Call(ctx(t), "group.query", []any{[]any{"name", "=", "truenas_readonly_administrators"}})
	if err != nil || json.Unmarshal(res, &ro) != nil || len(ro) != 1 {
		t.Fatalf("%s %v", res, err)
	}
	p := newUserPayload("reader")
	p["groups"] = []int64{ro[0].ID}
	if _, err := root.Call(ctx(t), "user.create", p); err != nil {
		t.Fatal(err)
	}
	var rootUser struct{ ID int64 }
	res, err = root.Call(ctx(t), "user.query", []any{[]any{"username", "=", "root"}}, map[string]any{"get": true})
	if err != nil || json.Unmarshal(res, &rootUser) != nil {
		t.Fatalf("%s %v", res, err)
	}
	type call struct {
		method string
		params []any
	}
	failing := []call{
		{"user.get_instance", []any{9999}},
		{"user.update", []any{9999, map[string]any{"full_name": "X"}}},
		{"user.create", []any{newUserPayload("reader")}},
		{"user.create", []any{map[string]any{"username": "Bad Name", "full_name": "", "group_create": true}}},
		{"user.delete", []any{rootUser.ID}},
		{"group.create", []any{map[string]any{"name": "wheel"}}},
	}
	for _, user := range []string{"root", "reader", "stranger"} {
		cfg := b.config()
		cfg.User = user
		viaRPC := b.client(withTransport(cfg, remote.TransportJSONRPC))
		viaDDP := b.client(withTransport(cfg, remote.TransportDDP))
		for _, c := range failing {
			_, rerr := viaRPC.Call(ctx(t), c.method, c.params...)
			_, derr := viaDDP.Call(ctx(t), c.method, c.params...)
			if rerr == nil || derr == nil {
				t.Fatalf("%s %s: JSON-RPC %v, DDP %v: both should fail", user, c.method, rerr, derr)
			}
			var re *remote.Error
			if errors.As(rerr, &re) {
				// A refusal explained (Not authenticated, Not authorized):
				// the same kind and words.
				if !remote.IsKind(derr, re.Kind) || derr.Error() != rerr.Error() {
					t.Errorf("%s %s: DDP %v, JSON-RPC %v", user, c.method, derr, rerr)
				}
				continue
			}
			if !reflect.DeepEqual(derr, rerr) {
				t.Errorf("%s %s: DDP %#v, JSON-RPC %#v", user, c.method, derr, rerr)
			}
			if user == "root" {
				var es account.Errors
				var ce *account.CallError
				if !errors.As(derr, &es) && !errors.As(derr, &ce) {
					t.Errorf("%s: %#v is not a TrueNAS error", c.method, derr)
				}
			}
		}
		if user == "root" {
			// And as the midclt path reads them.
			mc := b.client(withTransport(cfg, remote.TransportMidclt))
			for _, c := range failing {
				_, merr := mc.Call(ctx(t), c.method, c.params...)
				_, derr := viaDDP.Call(ctx(t), c.method, c.params...)
				if !reflect.DeepEqual(derr, merr) {
					t.Errorf("%s: DDP %#v, midclt %#v", c.method, derr, merr)
				}
			}
		}
	}
}

// A box that refuses the channel, or has no socket at the DDP path, is a
// connection error naming the socket; DDP never falls back to midclt.
func TestDDPRefusedNamesTheSocket(t *testing.T) {
	b, seen := realBox(t, sandbox.Options{NoStreamLocal: true})
	_, err := b.client(withTransport(b.config(), remote.TransportDDP)).Call(ctx(t), "system.version")
	if !remote.IsKind(err, remote.Connection) || !strings.Contains(err.Error(), wire.Socket) || !strings.Contains(err.Error(), "AllowStreamLocalForwarding") {
		t.Fatalf("no stream-local: %v", err)
	}
	b2, _ := realBox(t, sandbox.Options{})
	cfg := withTransport(b2.config(), remote.TransportDDP)
	cfg.DDPSocket = wire.CoreSocket
	_, err = b2.client(cfg).Call(ctx(t), "system.version")
	if !remote.IsKind(err, remote.Connection) || !strings.Contains(err.Error(), wire.CoreSocket) {
		t.Fatalf("CORE's socket on a SCALE sandbox: %v", err)
	}
	if len(seen()) != 0 {
		t.Fatalf("midclt ran: %q", seen())
	}
}

// A client that chooses its transport finds a CORE 13.3 box by itself:
// the SCALE socket's channel is refused, DDP on CORE's socket answers; no
// midclt runs. With stream-local forwarding off it falls back to CORE's
// midclt, which reads no stdin: without opt-in no argument reaches its
// command line.
func TestAutoDetectCore(t *testing.T) {
	b, seen := realBox(t, sandbox.Options{Release: "13.3"})
	c := b.client(b.config())
	v, err := c.Call(ctx(t), "system.version")
	if err != nil || !strings.HasPrefix(string(v), `"TrueNAS-13.3-U1.2`) {
		t.Fatalf("system.version: %s %v", v, err)
	}
	// CORE's user.create answers the new id alone.
	res, err := c.Call(ctx(t), "user.create", newUserPayload("corealice"))
	var id int64
	if err != nil || json.Unmarshal(res, &id) != nil || id == 0 {
		t.Fatalf("user.create: %s %v", res, err)
	}
	tr := c.Transport()
	if tr.Kind != remote.TransportDDP || !strings.Contains(tr.Reason, wire.CoreSocket) {
		t.Fatalf("transport %+v", tr)
	}
	if st := c.Stats(); st.Websockets != 1 || st.Sessions != 0 || len(seen()) != 0 {
		t.Fatalf("stats %+v, midclt runs %q", st, seen())
	}

	nb, nseen := realBox(t, sandbox.Options{Release: "13.3", NoStreamLocal: true})
	nc := nb.client(nb.config())
	if v, err := nc.Call(ctx(t), "system.version"); err != nil || !strings.HasPrefix(string(v), `"TrueNAS-13.3`) {
		t.Fatalf("system.version over midclt: %s %v", v, err)
	}
	_, err = nc.Call(ctx(t), "user.create", newUserPayload("corebob"))
	if err == nil || !strings.Contains(err.Error(), "engine_args_on_command_line") {
		t.Fatalf("user.create without opt-in: %v", err)
	}
	tr = nc.Transport()
	if tr.Kind != remote.TransportMidclt || !tr.Probed || tr.MidcltStdin || !strings.Contains(tr.Reason, wire.CoreSocket) {
		t.Fatalf("transport %+v", tr)
	}
	for _, a := range nseen() {
		if strings.Contains(strings.Join(a, " "), secret) {
			t.Fatalf("a password on a command line: %q", a)
		}
	}
}
