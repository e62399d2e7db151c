package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// Rights follow the store at every call: on one open connection, a
// change of the caller's groups, of its privilege's roles, the deletion of
// that privilege or of the user take effect on the very next call.
func TestRevocationMidSession(t *testing.T) {
	e := openTest(t)
	ctx := context.Background()
	gid := decode[account.GroupEntry](t, mustCall(t, e, "group.get_instance", string(mustCall(t, e, "group.create", `{"name":"ops","smb":false}`))))
	pid := string(mustCall(t, e, "privilege.create", fmt.Sprintf(`{"name":"Ops","local_groups":[%d],"ds_groups":[],"roles":["ACCOUNT_WRITE"],"web_shell":false}`, gid.GID)))
	pid = strings.TrimSpace(pid)
	if strings.HasPrefix(pid, "{") {
		pid = fmt.Sprint(decode[account.PrivilegeEntry](t, []byte(pid)).ID)
	}
	ro := groupID(t, e, "truenas_readonly_administrators")
	u := createUser(t, e, fmt.Sprintf(`{"username":"alice","uid":3100,"full_name":"A","group_create":true,"password_disabled":true,"smb":false,"groups":[%d,%s]}`, gid.ID, ro))
	c := dialRPC(t, ctx, asCaller(t, e, Caller{UID: u.UID}), nil)
	mk := func(name string) error {
		_, err := c.call("group.create", `{"name":"`+name+`","smb":false}`)
		return err
	}
	if err := mk("g1"); err != nil {
		t.Fatalf("ACCOUNT_WRITE through ops: %v", err)
	}
	// Demoted: the privilege now grants only ACCOUNT_READ.
	mustCall(t, e, "privilege.update", pid, `{"roles":["ACCOUNT_READ"]}`)
	wantCallError(t, mk("g2"), account.EACCES, "Not authorized")
	mustCall(t, e, "privilege.update", pid, `{"roles":["ACCOUNT_WRITE"]}`)
	if err := mk("g3"); err != nil {
		t.Fatalf("promoted again: %v", err)
	}
	// The privilege deleted.
	mustCall(t, e, "privilege.delete", pid)
	wantCallError(t, mk("g4"), account.EACCES, "Not authorized")
	if _, err := c.call("user.query", `[]`, `{"count":true}`); err != nil {
		t.Fatalf("still a read-only administrator: %v", err)
	}
	// Out of its last privileged group: not authenticated any more, and
	// held to an anonymous connection's limits.
	mustCall(t, e, "user.update", fmt.Sprint(u.ID), `{"groups":[]}`)
	_, err := c.call("user.query", `[]`, `{"count":true}`)
	wantErr(t, err, "Not authenticated")
	c.send(padded(8193))
	wantClosed(t, c, websocket.StatusInvalidFramePayloadData, "Anonymous connection max message length is 8 kB")

	// Deleted while its connection is open.
	c = dialRPC(t, ctx, asCaller(t, e, Caller{UID: u.UID}), nil)
	_, err = c.call("user.query", `[]`, `{"count":true}`)
	wantErr(t, err, "Not authenticated")
	mustCall(t, e, "user.update", fmt.Sprint(u.ID), `{"groups":[`+ro+`]}`)
	if _, err := c.call("user.query", `[]`, `{"count":true}`); err != nil {
		t.Fatalf("back in the read-only group, on the same connection: %v", err)
	}
	mustCall(t, e, "user.delete", fmt.Sprint(u.ID))
	_, err = c.call("user.query", `[]`, `{"count":true}`)
	wantErr(t, err, "Not authenticated")
}

// A connection logged in with an API key (auth.login_with_api_key) holds
// while the key does: revoked (expired) or deleted, the next call of the
// open connection is not authenticated; a password login ends with its
// user.
func TestRevocationOfALoggedInSession(t *testing.T) {
	e := openTest(t)
	ctx := context.Background()
	ro := groupID(t, e, "truenas_readonly_administrators")
	mustCall(t, e, "user.create", `{"username":"kim","full_name":"K","group_create":true,"password":"Kim-pw-1","smb":false,"groups":[`+ro+`]}`)
	key := decode[account.APIKeyWithKey](t, mustCall(t, e, "api_key.create", `{"name":"k","username":"kim"}`))
	// A peer without any privilege of its own logs in with kim's key.
	c := dialRPC(t, ctx, asCaller(t, e, Caller{UID: 4242}), nil)
	if res, err := c.call("auth.login_with_api_key", `"`+key.Key+`"`); err != nil || string(res) != "true" {
		t.Fatalf("login: %s %v", res, err)
	}
	if _, err := c.call("user.query", `[]`, `{"count":true}`); err != nil {
		t.Fatalf("logged in with the key: %v", err)
	}
	mustCall(t, e, "api_key.delete", fmt.Sprint(key.ID))
	_, err := c.call("user.query", `[]`, `{"count":true}`)
	wantErr(t, err, "Not authenticated")

	// A password login, then the user is deleted.
	c = dialRPC(t, ctx, asCaller(t, e, Caller{UID: 4242}), nil)
	if res, err := c.call("auth.login", `"kim"`, `"Kim-pw-1"`); err != nil || string(res) != "true" {
		t.Fatalf("login: %s %v", res, err)
	}
	if _, err := c.call("user.query", `[]`, `{"count":true}`); err != nil {
		t.Fatalf("logged in with the password: %v", err)
	}
	kim := decode[[]account.UserEntry](t, mustCall(t, e, "user.query", `[["username","=","kim"]]`))[0]
	mustCall(t, e, "user.delete", fmt.Sprint(kim.ID))
	_, err = c.call("user.query", `[]`, `{"count":true}`)
	wantErr(t, err, "Not authenticated")
}
