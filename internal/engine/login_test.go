package engine

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// loginAs sends one PASSWORD_PLAIN auth.login_ex on c and returns the
// channel its response_type arrives on.
func loginAs(t *testing.T, c *rpcConn, user, password string) <-chan string {
	t.Helper()
	out := make(chan string, 1)
	c.send(`{"jsonrpc":"2.0","id":1,"method":"auth.login_ex","params":[{"mechanism":"PASSWORD_PLAIN","username":"` + user + `","password":"` + password + `"}]}`)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, data, err := c.c.Read(ctx)
		if err != nil {
			out <- "error: " + err.Error()
			return
		}
		var r struct {
			Result struct {
				ResponseType string `json:"response_type"`
			} `json:"result"`
		}
		json.Unmarshal(data, &r)
		out <- r.Result.ResponseType
	}()
	return out
}

// auth.login_ex is open to every local user; it must be no fast password
// oracle. A socket peer's failure holds that peer's turn for the failure
// delay (pam_unix's ~2 s), so none of its other attempts, on any
// connection, even with the right password, is answered meanwhile; another
// peer and root are not held by it.
func TestLoginExFailureHoldsThePeerForTheDelay(t *testing.T) {
	e := openTest(t)
	e.logins.delay = func() time.Duration { return time.Hour }
	mustCall(t, e, "user.setup_local_administrator", `"truenas_admin"`, `"hunter2"`)
	ctx := context.Background()
	url := asCaller(t, e, Caller{UID: 4242})
	a, b := dialRPC(t, ctx, url, nil), dialRPC(t, ctx, url, nil)

	first := loginAs(t, a, "truenas_admin", "wrong")
	time.Sleep(100 * time.Millisecond) // let it take the peer's turn
	second := loginAs(t, b, "truenas_admin", "hunter2")
	select {
	case got := <-first:
		t.Fatalf("a failed guess of uid 4242 was answered (%s) before its delay", got)
	case got := <-second:
		t.Fatalf("uid 4242's next guess was answered (%s) while its failure's delay runs", got)
	case <-time.After(300 * time.Millisecond):
	}

	other := dialRPC(t, ctx, asCaller(t, e, Caller{UID: 4243}), nil)
	if got := <-loginAs(t, other, "truenas_admin", "hunter2"); got != "SUCCESS" {
		t.Fatalf("another peer's right password: %s", got)
	}
	root := dialRPC(t, ctx, asCaller(t, e, Caller{UID: 0}), nil)
	if got := <-loginAs(t, root, "truenas_admin", "wrong"); got != "AUTH_ERR" {
		t.Fatalf("root's failed login: %s", got)
	}
	// The command line (internal) is not delayed either.
	if got := loginEx(t, e, "truenas_admin", "wrong"); got != "AUTH_ERR" {
		t.Fatalf("internal failed login: %s", got)
	}
}

// The slow hash check holds no store transaction: while every hash slot
// is taken (a check cannot even start), root's calls are still answered.
func TestLoginExHashCheckHoldsNoTransaction(t *testing.T) {
	e := openTest(t)
	mustCall(t, e, "user.setup_local_administrator", `"truenas_admin"`, `"hunter2"`)
	for range cap(hashSlots) {
		hashSlots <- struct{}{}
	}
	released := false
	release := func() {
		if !released {
			released = true
			for range cap(hashSlots) {
				<-hashSlots
			}
		}
	}
	defer release()
	ctx := context.Background()
	peer := dialRPC(t, ctx, asCaller(t, e, Caller{UID: 4242}), nil)
	pending := loginAs(t, peer, "truenas_admin", "hunter2")
	time.Sleep(100 * time.Millisecond)

	root := dialRPC(t, ctx, asCaller(t, e, Caller{UID: 0}), nil)
	res, err := root.call("user.query", `[["username","=","root"]]`, `{"count":true}`)
	if err != nil || strings.TrimSpace(string(res)) != "1" {
		t.Fatalf("root's user.query while a login waits for its hash: %s %v", res, err)
	}
	mustCall(t, e, "group.create", `{"name":"during_login"}`)
	select {
	case got := <-pending:
		t.Fatalf("the login was answered (%s) without its hash check", got)
	default:
	}
	release()
	if got := <-pending; got != "SUCCESS" {
		t.Fatalf("the login after its hash check: %s", got)
	}
}
