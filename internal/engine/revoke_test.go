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
