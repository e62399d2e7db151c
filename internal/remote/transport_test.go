package remote_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/nasops/terraform-provider-truenas/internal/account"
	"github.com/nasops/terraform-provider-truenas/internal/remote"
	"github.com/nasops/terraform-provider-truenas/internal/sandbox"
)

// realBox starts a sandbox with the real engine; every midclt command line
// it runs is recorded.
func realBox(t *testing.T, opts sandbox.Options) (*box, func() [][]string) {
	t.Helper()
	var mu sync.Mutex
	var seen [][]string
	opts.Dir, opts.Listen = t.TempDir(), "127.0.0.1:0"
	opts.OnCall = func(a []string) {
		mu.Lock()
		seen = append(seen, append([]string(nil), a...))
		mu.Unlock()
	}
	sb, err := sandbox.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	return &box{sb, t}, func() [][]string {
		mu.Lock()
		defer mu.Unlock()
		return append([][]string(nil), seen...)
	}
}

const secret = "Sup3r-s3cret-pw"

func newUserPayload(name string) map[string]any {
	return map[string]any{"username": name, "full_name": "T", "group_create": true, "password": secret, "smb": false}
}

func TestJSONRPCTransport(t *testing.T) {
	b, seen := realBox(t, sandbox.Options{})
	c := b.client(b.config())
	if v, err := c.Call(ctx(t), "system.version"); err != nil || !strings.HasPrefix(string(v), `"TrueNAS`) {
		t.Fatalf("system.version: %s %v", v, err)
	}
	res, err := c.Call(ctx(t), "user.create", newUserPayload("wsalice"))
	if err != nil {
		t.Fatal(err)
	}
	var u struct{ ID int64 }
	if err := json.Unmarshal(res, &u); err != nil || u.ID == 0 {
		t.Fatalf("user.create: %s %v", res, err)
	}
	if _, err := c.Call(ctx(t), "user.update", u.ID, map[string]any{"full_name": "Alice"}); err != nil {
		t.Fatal(err)
	}
	// Errors read back as the midclt path reads the same failure.
	_, wsErr := c.Call(ctx(t), "user.get_instance", 9999)
	mc := remote.New(withTransport(b.config(), remote.TransportMidclt))
	defer mc.Close()
	_, midErr := mc.Call(ctx(t), "user.get_instance", 9999)
	var es account.Errors
	if !errors.As(wsErr, &es) || !reflect.DeepEqual(wsErr, midErr) {
		t.Fatalf("websocket %#v, midclt %#v", wsErr, midErr)
	}
	_, wsErr = c.Call(ctx(t), "user.create", newUserPayload("wsalice"))
	_, midErr = mc.Call(ctx(t), "user.create", newUserPayload("wsalice"))
	if !errors.As(wsErr, &es) || es[0].Errno != account.EEXIST || !reflect.DeepEqual(wsErr, midErr) {
		t.Fatalf("websocket %#v, midclt %#v", wsErr, midErr)
	}
	// Calls are made many at once on one websocket.
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Call(ctx(t), "user.query", []any{[]any{"username", "=", "wsalice"}}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	st := c.Stats()
	if st.Connections != 1 || st.Websockets != 1 || st.Sessions != 0 {
		t.Fatalf("client stats %+v", st)
	}
	if tr := c.Transport(); tr.Kind != remote.TransportJSONRPC {
		t.Fatalf("transport %+v", tr)
	}
	// No process was started for the websocket client: the midclt runs are
	// the forced-midclt client's own.
	for _, a := range seen() {
		if strings.Contains(strings.Join(a, " "), secret) {
			t.Fatalf("a password on a command line: %q", a)
		}
	}
	if sb := b.Stats(); sb.StreamLocal != 1 || sb.RPCCalls != 25 {
		t.Fatalf("server stats %+v", sb)
	}

	// A dropped connection: a read is retried on a new connection and a
	// new websocket.
	b.DropConnections()
	if _, err := c.Call(ctx(t), "user.query", []any{[]any{"username", "=", "wsalice"}}); err != nil {
		t.Fatalf("after a drop: %v", err)
	}
	if st := c.Stats(); st.Connections != 2 || st.Websockets != 2 {
		t.Fatalf("after a drop: %+v", st)
	}
}

// The websocket outlives the context of the call that opened it.
func TestJSONRPCSessionOutlivesContext(t *testing.T) {
	b, _ := realBox(t, sandbox.Options{})
	c := b.client(b.config())
	for range 3 {
		cctx, cancel := context.WithCancel(context.Background())
		if _, err := c.Call(cctx, "system.version"); err != nil {
			t.Fatal(err)
		}
		cancel()
	}
	if st := c.Stats(); st.Websockets != 1 || st.Connections != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func withTransport(cfg remote.Config, tr string) remote.Config {
	cfg.Transport = tr
	return cfg
}

// A box whose sshd refuses stream-local channels, with a midclt that reads
// stdin (TrueNAS 26.0, the engine): ids on the command line, the payload on
// stdin.
func TestMidcltFallbackStdin(t *testing.T) {
	b, seen := realBox(t, sandbox.Options{NoStreamLocal: true})
	c := b.client(b.config())
	res, err := c.Call(ctx(t), "user.create", newUserPayload("fbalice"))
	if err != nil {
		t.Fatal(err)
	}
	var u struct{ ID int64 }
	json.Unmarshal(res, &u)
	if _, err := c.Call(ctx(t), "user.update", u.ID, map[string]any{"password": secret + "2"}); err != nil {
		t.Fatal(err)
	}
	tr := c.Transport()
	if tr.Kind != remote.TransportMidclt || !tr.Probed || !tr.MidcltStdin || !strings.Contains(tr.Reason, "refused a channel") {
		t.Fatalf("transport %+v", tr)
	}
	calls := seen()
	if len(calls) != 3 {
		t.Fatalf("midclt runs %q", calls)
	}
	for _, a := range calls {
		if strings.Contains(strings.Join(a, " "), secret) {
			t.Fatalf("a password on a command line: %q", a)
		}
	}
	if got := calls[2][len(calls[2])-2:]; got[0] != strconv.FormatInt(u.ID, 10) || got[1] != "-" {
		t.Fatalf("user.update's id on the command line, payload on stdin: %q", calls[2])
	}
	// Forcing the websocket gives an error that says how to fix it.
	_, err = remote.New(withTransport(b.config(), remote.TransportJSONRPC)).Call(ctx(t), "system.version")
	if err == nil || !strings.Contains(err.Error(), "AllowStreamLocalForwarding") {
		t.Fatalf("forced websocket: %v", err)
	}
}

// A box as TrueNAS 25.04/25.10: stream-local refused and a midclt that
// reads no stdin. It is detected; without opt-in no argument reaches its
// command line; with opt-in the call works.
func TestMidcltFallback2510(t *testing.T) {
	b, seen := realBox(t, sandbox.Options{NoStreamLocal: true, MidcltFlavour: "25.10"})
	c := b.client(b.config())
	if _, err := c.Call(ctx(t), "system.version"); err != nil {
		t.Fatalf("a call without arguments works: %v", err)
	}
	_, err := c.Call(ctx(t), "user.create", newUserPayload("oldalice"))
	if !remote.IsKind(err, remote.BadConfig) || !strings.Contains(err.Error(), "AllowStreamLocalForwarding") ||
		!strings.Contains(err.Error(), "engine_args_on_command_line") || strings.Contains(err.Error(), secret) {
		t.Fatalf("without opt-in: %v", err)
	}
	if tr := c.Transport(); !tr.Probed || tr.MidcltStdin {
		t.Fatalf("transport %+v", tr)
	}
	for _, a := range seen() {
		if strings.Contains(strings.Join(a, " "), secret) {
			t.Fatalf("a password on a command line without opt-in: %q", a)
		}
	}
	// system.version, the probe; nothing else ran.
	if n := len(seen()); n != 2 {
		t.Fatalf("midclt runs: %q", seen())
	}

	cfg := b.config()
	cfg.ArgsOnCommandLine = true
	oc := b.client(cfg)
	if _, err := oc.Call(ctx(t), "user.create", newUserPayload("oldalice")); err != nil {
		t.Fatalf("with opt-in: %v", err)
	}
	last := seen()[len(seen())-1]
	if !strings.Contains(strings.Join(last, " "), secret) {
		t.Fatalf("with opt-in, the payload is on the command line: %q", last)
	}
}

// On the socket the SSH user's TrueNAS privileges decide; the refusals say
// what to do.
func TestJSONRPCRefusalsNameTheFix(t *testing.T) {
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

	cfg := b.config()
	cfg.User = "stranger"
	_, err = b.client(cfg).Call(ctx(t), "user.query")
	if !remote.IsKind(err, remote.Auth) || !strings.Contains(err.Error(), "did not authenticate the SSH user stranger") || !strings.Contains(err.Error(), "privilege") {
		t.Fatalf("unknown user: %v", err)
	}
	cfg.User = "reader"
	rc := b.client(cfg)
	if _, err := rc.Call(ctx(t), "user.query"); err != nil {
		t.Fatalf("a read-only administrator may query: %v", err)
	}
	_, err = rc.Call(ctx(t), "user.create", newUserPayload("nope"))
	if !remote.IsKind(err, remote.Auth) || !strings.Contains(err.Error(), "refused user.create to the SSH user reader: Not authorized") ||
		!strings.Contains(err.Error(), "ACCOUNT_WRITE") {
		t.Fatalf("read-only create: %v", err)
	}
}

// A configuration made for `sudo midclt` (sudo = true, an SSH user without
// a TrueNAS privilege) keeps working: the socket refuses the user before
// anything runs, and the client falls back to sudo -n midclt.
func TestJSONRPCNotAuthenticatedWithSudo(t *testing.T) {
	b, seen := realBox(t, sandbox.Options{})
	cfg := b.config()
	cfg.User, cfg.Sudo = "stranger", true
	c := b.client(cfg)
	if _, err := c.Call(ctx(t), "user.create", newUserPayload("viasudo")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Call(ctx(t), "user.query"); err != nil {
		t.Fatal(err)
	}
	tr := c.Transport()
	if tr.Kind != remote.TransportMidclt || !strings.Contains(tr.Reason, "did not authenticate the SSH user stranger") || !tr.MidcltStdin {
		t.Fatalf("transport %+v", tr)
	}
	if st := c.Stats(); st.Websockets != 1 || st.Sessions != 3 {
		t.Fatalf("stats %+v (one websocket tried; the probe and two calls through midclt)", st)
	}
	for _, a := range seen() {
		if strings.Contains(strings.Join(a, " "), secret) {
			t.Fatalf("a password on a command line: %q", a)
		}
	}
}
