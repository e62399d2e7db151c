package filter

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

var testEntries = []string{
	`{"id":1,"username":"root","uid":0,"full_name":"root","builtin":true,"email":null,"group":{"id":41,"bsdgrp_gid":0,"bsdgrp_group":"wheel"},"groups":[40,41],"roles":["FULL_ADMIN"],"shell":"/usr/bin/zsh","last_password_change":{"$date":1700000000000},"a.b":"dotted","score":1.5,"tags":[{"n":"x"},{"n":"y"}]}`,
	`{"id":2,"username":"Alice","uid":3000,"full_name":"Alice Liddell","builtin":false,"email":"alice@example.com","group":{"id":50,"bsdgrp_gid":3000,"bsdgrp_group":"alice"},"groups":[50],"roles":[],"shell":"/usr/bin/bash","last_password_change":{"$date":1767225600000},"score":2,"tags":[{"n":"z"}]}`,
	`{"id":3,"username":"bob","uid":3001,"full_name":"Bob","builtin":false,"email":null,"group":{"id":51,"bsdgrp_gid":3001,"bsdgrp_group":"bob"},"groups":[],"roles":["READONLY_ADMIN","SHARING_ADMIN"],"shell":"/usr/sbin/nologin","last_password_change":null,"score":-1,"tags":[]}`,
	`{"id":4,"username":"carol","uid":"3002","full_name":"Carol","builtin":false,"group":{"id":52,"bsdgrp_gid":3002,"bsdgrp_group":"carol"},"groups":[50,52],"roles":null,"shell":"/usr/bin/bash","score":10}`,
}

func raws(ss []string) []json.RawMessage {
	out := make([]json.RawMessage, len(ss))
	for i, s := range ss {
		out[i] = json.RawMessage(s)
	}
	return out
}

// ids runs a query and returns the ids of the resulting list.
func ids(t *testing.T, filters, options string) string {
	t.Helper()
	out, err := Apply(raws(testEntries), json.RawMessage(filters), json.RawMessage(options))
	if err != nil {
		t.Fatalf("Apply(%s, %s): %v", filters, options, err)
	}
	var l []struct {
		ID int `json:"id"`
	}
	if err := json.Unmarshal(out, &l); err != nil {
		t.Fatalf("Apply(%s, %s) = %s: %v", filters, options, out, err)
	}
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = fmt.Sprint(e.ID)
	}
	return strings.Join(s, ",")
}

func TestFilters(t *testing.T) {
	tests := []struct {
		filters string
		want    string
	}{
		// no filters
		{``, "1,2,3,4"},
		{`null`, "1,2,3,4"},
		{`[]`, "1,2,3,4"},
		// =, !=, types must match
		{`[["username","=","bob"]]`, "3"},
		{`[["uid","=",3000]]`, "2"},
		{`[["uid","=","3000"]]`, ""},
		{`[["uid","=","3002"]]`, "4"},
		{`[["uid","=",3000.0]]`, "2"},
		{`[["builtin","=",true]]`, "1"},
		{`[["builtin","=",1]]`, ""},
		{`[["email","=",null]]`, "1,3"}, // missing key (4) never matches
		{`[["email","!=",null]]`, "2"},
		{`[["username","!=","bob"]]`, "1,2,4"},
		{`[["nonexistent","!=","x"]]`, ""},
		{`[["groups","=",[50]]]`, "2"},
		{`[["group","=",{"bsdgrp_group":"bob","id":51,"bsdgrp_gid":3001}]]`, "3"},
		// ordering
		{`[["uid",">",0]]`, "2,3"},
		{`[["uid",">=",0]]`, "1,2,3"},
		{`[["uid","<",3001]]`, "1,2"},
		{`[["uid","<=",3001]]`, "1,2,3"},
		{`[["username",">","b"]]`, "1,3,4"},
		{`[["score",">",1.5]]`, "2,4"},
		{`[["score","<=",1.5]]`, "1,3"},
		{`[["email",">","a"]]`, "2"}, // null is incomparable: no match
		{`[["builtin",">",false]]`, "1"},
		{`[["groups",">",[50]]]`, "4"},
		// ~ anchored at the start
		{`[["username","~","b"]]`, "3"},
		{`[["username","~","o"]]`, ""},
		{`[["username","~",".*o"]]`, "1,3,4"},
		{`[["username","~","(?i)alice$"]]`, "2"},
		{`[["email","~","^$"]]`, "1,3"}, // null reads as ""
		{`[["uid","~","3"]]`, "4"},
		// in, nin, rin, rnin
		{`[["username","in",["bob","carol","x"]]]`, "3,4"},
		{`[["username","in","xbobx"]]`, "3"},
		{`[["uid","in",[0,3001]]]`, "1,3"},
		{`[["username","nin",["bob","carol"]]]`, "1,2"},
		{`[["email","nin",["x"]]]`, "2"}, // null never matches nin
		{`[["groups","rin",50]]`, "2,4"},
		{`[["roles","rin","FULL_ADMIN"]]`, "1"},
		{`[["roles","rnin","FULL_ADMIN"]]`, "2,3"}, // roles null (4) does not match
		{`[["full_name","rin","Lid"]]`, "2"},
		{`[["group","rin","bsdgrp_gid"]]`, "1,2,3,4"},
		// ^ !^ $ !$
		{`[["shell","^","/usr/bin"]]`, "1,2,4"},
		{`[["shell","!^","/usr/bin"]]`, "3"},
		{`[["shell","$","bash"]]`, "2,4"},
		{`[["shell","!$","bash"]]`, "1,3"},
		{`[["email","!$","x"]]`, "2"},
		{`[["uid","^","3"]]`, "4"},
		// C variants
		{`[["username","C=","ALICE"]]`, "2"},
		{`[["username","=","alice"]]`, ""},
		{`[["username","C!=","ALICE"]]`, "1,3,4"},
		{`[["username","C^","AL"]]`, "2"},
		{`[["username","C!^","AL"]]`, "1,3,4"},
		{`[["username","C$","CE"]]`, "2"},
		{`[["username","C!$","CE"]]`, "1,3,4"},
		{`[["username","Cin",["ALICE","BOB"]]]`, "2,3"},
		{`[["username","Cnin",["ALICE","BOB"]]]`, "1,4"},
		{`[["roles","Crin","full_admin"]]`, "1"},
		{`[["roles","Crnin","full_admin"]]`, "2,3"},
		{`[["username","C>","B"]]`, "1,3,4"},
		{`[["uid","C=",3000]]`, "2"},
		// AND of the top-level list
		{`[["builtin","=",false],["shell","$","bash"]]`, "2,4"},
		// OR, with nested AND
		{`[["OR",[["username","=","bob"],["uid","=",0]]]]`, "1,3"},
		{`[["OR",[[["builtin","=",false],["shell","$","bash"]],["username","=","root"]]]]`, "1,2,4"},
		{`[["OR",[["username","=","nobody"]]]]`, ""},
		{`[["OR",[["OR",[["uid","=",0],["uid","=",3000]]],["username","=","bob"]]],["id","!=",2]]`, "1,3"},
		// nesting to the depth limit is fine
		{`[["OR",[["OR",[["OR",[["uid","=",0]]]]]]]]`, "1"},
		// dotted paths, indexes, *, escaped dots
		{`[["group.bsdgrp_gid","=",3000]]`, "2"},
		{`[["group.bsdgrp_group","C=","WHEEL"]]`, "1"},
		{`[["group.missing","=",null]]`, ""},
		{`[["groups.0","=",50]]`, "2,4"},
		{`[["groups.1","=",52]]`, "4"},
		{`[["groups.5","=",null]]`, "1,2,3,4"}, // out of range reads as null
		{`[["groups.x","=",null]]`, ""},
		{`[["groups.*","=",41]]`, "1"},
		{`[["groups.*",">",50]]`, "4"},
		{`[["tags.*.n","=","z"]]`, "2"},
		{`[["tags.1.n","=","y"]]`, "1"},
		{`[["tags.*.n","in",["x","z"]]]`, "1,2"},
		{`[["username.x","=","root"]]`, ""},
		{`[["a\\.b","=","dotted"]]`, "1"},
		{`[["a.b","=","dotted"]]`, ""},
		// $date
		{`[["last_password_change.$date",">","2024-01-01T00:00:00"]]`, "2"},
		{`[["last_password_change.$date","<","2024-01-01"]]`, "1"},
		{`[["last_password_change.$date","=","2026-01-01T00:00:00Z"]]`, "2"},
		{`[["last_password_change.$date","=","2026-01-01T01:00:00+01:00"]]`, "2"},
		{`[["last_password_change.$date","!=","2026-01-01T00:00:00"]]`, "1"},
		{`[["last_password_change.$date",">=","2023-11-14 22:13:20"]]`, "1,2"},
		{`[["last_password_change.$date",">","2023-11-14T22:13:20.000001"]]`, "2"},
		{`[["last_password_change",">",{"$date":1700000000000}]]`, "2"},
		// the entry itself
		{`[["","rin","email"]]`, "1,2,3"},
	}
	for _, tt := range tests {
		t.Run(tt.filters, func(t *testing.T) {
			if got := ids(t, tt.filters, ""); got != tt.want {
				t.Errorf("filters %s: got [%s], want [%s]", tt.filters, got, tt.want)
			}
		})
	}
}

func TestOptions(t *testing.T) {
	tests := []struct {
		filters, options string
		want             string
	}{
		{``, `{}`, `ids:1,2,3,4`},
		{``, `null`, `ids:1,2,3,4`},
		{``, `{"limit":2}`, `ids:1,2`},
		{``, `{"limit":0}`, `ids:1,2,3,4`},
		{``, `{"offset":1}`, `ids:2,3,4`},
		{``, `{"offset":1,"limit":2}`, `ids:2,3`},
		{``, `{"offset":10}`, `ids:`},
		{``, `{"order_by":["-id"]}`, `ids:4,3,2,1`},
		{``, `{"order_by":["username"]}`, `ids:2,3,4,1`},
		{``, `{"order_by":["group.bsdgrp_gid"]}`, `ids:1,2,3,4`},
		{``, `{"order_by":["-group.bsdgrp_gid"],"limit":2,"offset":1}`, `ids:3,2`},
		{``, `{"order_by":["nulls_first:email"]}`, `ids:1,3,4,2`},
		{``, `{"order_by":["nulls_last:email"]}`, `ids:2,1,3,4`},
		{``, `{"order_by":["nulls_last:-roles"]}`, `ids:3,1,2,4`},
		{``, `{"order_by":["score"]}`, `ids:3,1,2,4`},
		// keys apply in turn as stable sorts: the last is the primary one
		{``, `{"order_by":["-id","shell"]}`, `ids:4,2,1,3`},
		{``, `{"order_by":["shell","-id"]}`, `ids:4,3,2,1`},
		{`[["builtin","=",false]]`, `{"order_by":["-uid"],"limit":1}`, `error`}, // "3002" vs ints
		{`[["uid","!=","3002"]]`, `{"order_by":["-uid"]}`, `ids:3,2,1`},
		{`[["builtin","=",false]]`, `{"count":true}`, `3`},
		{``, `{"count":true}`, `4`},
		{`[["username","=","nobody"]]`, `{"count":true}`, `0`},
		{``, `{"count":true,"limit":1}`, `4`},
		{`[["username","=","bob"]]`, `{"get":true}`, `{"id":3,`},
		{`[["builtin","=",false]]`, `{"get":true,"order_by":["-id"]}`, `{"id":4,`},
		{`[["builtin","=",false]]`, `{"get":true,"limit":1}`, `{"id":2,`},
		{``, `{"get":true}`, `{"id":1,`},
		{``, `{"get":true,"order_by":["-id"]}`, `{"id":4,`},
		{`[["uid","=",3000]]`, `{"get":true,"select":["username",["group.bsdgrp_gid","gid"]]}`, `={"username":"Alice","gid":3000}`},
		{`[["uid","=",3000]]`, `{"select":["username",["group.bsdgrp_gid","gid"]]}`, `=[{"username":"Alice","gid":3000}]`},
		{`[["uid","=",0]]`, `{"select":["group.bsdgrp_gid","group.id","id"]}`, `=[{"group":{"bsdgrp_gid":0,"id":41},"id":1}]`},
		{`[["uid","=",0]]`, `{"select":["group","group.id"]}`, `=[{"group":{"id":41,"bsdgrp_gid":0,"bsdgrp_group":"wheel"}}]`},
		{`[["uid","=",0]]`, `{"select":["group.id","group"]}`, `=[{"group":{"id":41,"bsdgrp_gid":0,"bsdgrp_group":"wheel"}}]`},
		{`[["uid","=",0]]`, `{"select":["missing","email","a\\.b",["last_password_change.$date","lpc"]]}`, `=[{"email":null,"a.b":"dotted","lpc":1700000000000}]`},
		{``, `{"select":["id"],"order_by":["-uid"]}`, `error`},
		{``, `{"select":["id"],"order_by":["-score"],"offset":1,"limit":2}`, `=[{"id":2},{"id":1}]`},
		{``, `{"select":["tags.n"]}`, `error`},
		{``, `{"extra":{"additional_information":["SMB"]},"relationships":true,"extend":"x","extend_context":"y","prefix":"bsdgrp_","force_sql_filters":true}`, `ids:1,2,3,4`},
	}
	for _, tt := range tests {
		t.Run(tt.filters+" "+tt.options, func(t *testing.T) {
			out, err := Apply(raws(testEntries), json.RawMessage(tt.filters), json.RawMessage(tt.options))
			switch {
			case tt.want == "error":
				var ce *account.CallError
				if !errors.As(err, &ce) {
					t.Fatalf("got %s, %v; want a CallError", out, err)
				}
			case err != nil:
				t.Fatalf("error: %v", err)
			case strings.HasPrefix(tt.want, "ids:"):
				if got := ids(t, tt.filters, tt.options); got != tt.want[4:] {
					t.Errorf("got [%s], want [%s]", got, tt.want[4:])
				}
			case strings.HasPrefix(tt.want, "="):
				if string(out) != tt.want[1:] {
					t.Errorf("got %s, want %s", out, tt.want[1:])
				}
			case strings.HasPrefix(tt.want, "{"):
				if !strings.HasPrefix(string(out), tt.want) {
					t.Errorf("got %s, want prefix %s", out, tt.want)
				}
			default:
				if string(out) != tt.want {
					t.Errorf("got %s, want %s", out, tt.want)
				}
			}
		})
	}
}

func TestPreservesOrder(t *testing.T) {
	in := []json.RawMessage{json.RawMessage(`{"z":1,"a":{"y":2,"b":3},"m":[3,1]}`)}
	out, err := Apply(in, json.RawMessage(`[["a.y","=",2]]`), nil)
	if err != nil || string(out) != `[{"z":1,"a":{"y":2,"b":3},"m":[3,1]}]` {
		t.Fatalf("got %s, %v", out, err)
	}
	out, err = Apply(in, nil, json.RawMessage(`{"select":["m","a"]}`))
	if err != nil || string(out) != `[{"m":[3,1],"a":{"y":2,"b":3}}]` {
		t.Fatalf("got %s, %v", out, err)
	}
	out, err = Apply(nil, nil, nil)
	if err != nil || string(out) != `[]` {
		t.Fatalf("got %s, %v", out, err)
	}
}

func TestMatchNotFound(t *testing.T) {
	for _, q := range [][2]string{
		{`[["username","=","nobody"]]`, `{"get":true}`},
		{`[["username","=","nobody"]]`, `{"get":true,"order_by":["id"]}`},
	} {
		_, err := Apply(raws(testEntries), json.RawMessage(q[0]), json.RawMessage(q[1]))
		var ce *account.CallError
		if !errors.As(err, &ce) || ce.Errno != account.EINVAL || ce.Message != "MatchNotFound()" {
			t.Errorf("%v: got %v", q, err)
		}
	}
	_, err := Apply(nil, nil, json.RawMessage(`{"get":true}`))
	if err == nil || err.Error() != "[EINVAL] MatchNotFound()" {
		t.Errorf("empty: got %v", err)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		filters, options string
		want             string // "attr: message" lines
	}{
		{`{}`, ``, `query-filters: Input should be a valid list`},
		{`"x"`, ``, `query-filters: Input should be a valid list`},
		{`[1`, ``, `query-filters: Invalid JSON`},
		{`[1]`, ``, `query-filters.0: Invalid filter 1`},
		{`[["a","="]]`, ``, `query-filters.0: Invalid operation: a`},
		{`[["a","=",1,2]]`, ``, `query-filters.0: Invalid filter ["a","=",1,2]`},
		{`[[]]`, ``, `query-filters.0: Invalid filter []`},
		{`[["uid","=",0],["a","??",1]]`, ``, `query-filters.1: Invalid operation: ??`},
		{`[["a","",1]]`, ``, `query-filters.0: Invalid operation: `},
		{`[["a","C",1]]`, ``, `query-filters.0: Invalid operation: C`},
		{`[["a","CC=",1]]`, ``, `query-filters.0: Invalid operation: CC=`},
		{`[["a",1,1]]`, ``, `query-filters.0: Invalid operation: 1`},
		{`[["a","C~","x"]]`, ``, `query-filters.0: Invalid case-insensitive operation: C~`},
		{`[[1,"=",1]]`, ``, `query-filters.0: Invalid filter field: 1 (must be a string)`},
		{`[["AND",[["a","=",1]]]]`, ``, `query-filters.0: Invalid operation: AND`},
		{`[[1,[["a","=",1]]]]`, ``, `query-filters.0: Invalid operation: 1`},
		{`[["OR",[]]]`, ``, `query-filters.0: OR filter requires at least one branch.`},
		{`[["OR",{}]]`, ``, `query-filters.0: Invalid filter ["OR",{}]`},
		{`[["OR",[1]]]`, ``, `query-filters.0: Invalid filter 1`},
		{`[["OR",[["a","?",1]]]]`, ``, `query-filters.0: Invalid operation: ?`},
		{`[["OR",[["OR",[["OR",[["OR",[["uid","=",0]]]]]]]]]]`, ``, `query-filters.0: query-filters max recursion depth exceeded`},
		{`[["OR",[["OR",[["OR",[[["OR",[["uid","=",0]]]]]]]]]]]`, ``, `query-filters.0: query-filters max recursion depth exceeded`},
		{`[["a","~","("]]`, ``, "query-filters.0: ~: invalid regular expression \"(\": error parsing regexp: missing closing ): `(`"},
		{`[["a","~",1]]`, ``, `query-filters.0: ~: the pattern must be a string, not 1`},
		{`[["a","^",1]]`, ``, `query-filters.0: ^: the value must be a string, not 1`},
		{`[["a","C!$",null]]`, ``, `query-filters.0: C!$: the value must be a string, not null`},
		{`[["a","in",1]]`, ``, `query-filters.0: in: the value must be a list or a string, not 1`},
		{`[["a","Cnin",null]]`, ``, `query-filters.0: Cnin: the value must be a list or a string, not null`},
		{`[["a.$date","in",["x"]]]`, ``, `query-filters.0: in: invalid timestamp operation.`},
		{`[["a.$date","=","yesterday"]]`, ``, `query-filters.0: yesterday: must be an ISO-8601 formatted timestamp string`},
		{`[["a.$date","=",5]]`, ``, `query-filters.0: 5: must be an ISO-8601 formatted timestamp string`},
		{``, `[]`, `query-options: Input should be a valid dictionary`},
		{``, `{"bogus":1}`, `query-options.bogus: Extra inputs are not permitted`},
		{``, `{"get":1}`, `query-options.get: Input should be a valid boolean`},
		{``, `{"count":"yes"}`, `query-options.count: Input should be a valid boolean`},
		{``, `{"force_sql_filters":null}`, `query-options.force_sql_filters: Input should be a valid boolean`},
		{``, `{"limit":"1"}`, `query-options.limit: Input should be a valid integer`},
		{``, `{"limit":1.5}`, `query-options.limit: Input should be a valid integer`},
		{``, `{"offset":-1}`, `query-options.offset: Input should be greater than or equal to 0`},
		{``, `{"order_by":"id"}`, `query-options.order_by: Input should be a valid list`},
		{``, `{"order_by":["id",1]}`, `query-options.order_by.1: Input should be a valid string`},
		{``, `{"select":{}}`, `query-options.select: Input should be a valid list`},
		{``, `{"select":[1]}`, `query-options.select.0: Input should be a valid string or list`},
		{``, `{"select":[["a"]]}`, `query-options.select.0: A select entry must be a field name or a [field, new_name] pair`},
		{``, `{"select":["a",["a",1]]}`, `query-options.select.1: A select pair must hold two strings: [field, new_name]`},
		{``, `{"extra":[]}`, `query-options.extra: Input should be a valid dictionary`},
		{``, `{"get":true,"limit":2}`, `query-options: Invalid options combination: get returns a single entry and cannot be combined with limit > 1 or offset`},
		{``, `{"get":true,"offset":1}`, `query-options: Invalid options combination: get returns a single entry and cannot be combined with limit > 1 or offset`},
		{``, `{"a":1`, `query-options: Invalid JSON`},
		// several errors are reported together
		{`[["a","?",1],["b","=",1],["c"]]`, `{"x":1,"limit":-2}`, "query-options.x: Extra inputs are not permitted\nquery-options.limit: Input should be greater than or equal to 0\nquery-filters.0: Invalid operation: ?\nquery-filters.2: Invalid filter [\"c\"]"},
	}
	for _, tt := range tests {
		t.Run(tt.filters+" "+tt.options, func(t *testing.T) {
			out, err := Apply(raws(testEntries), json.RawMessage(tt.filters), json.RawMessage(tt.options))
			var es account.Errors
			if !errors.As(err, &es) {
				t.Fatalf("got %s, %v; want account.Errors", out, err)
			}
			lines := make([]string, len(es))
			for i, e := range es {
				if e.Errno != account.EINVAL {
					t.Errorf("errno %v", e.Errno)
				}
				lines[i] = e.Attribute + ": " + e.Message
			}
			if got := strings.Join(lines, "\n"); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestGetOptionsAllowed(t *testing.T) {
	// get with limit 1 and offset 0 is fine.
	out, err := Apply(raws(testEntries), nil, json.RawMessage(`{"get":true,"limit":1,"offset":0}`))
	if err != nil || !strings.HasPrefix(string(out), `{"id":1,`) {
		t.Fatalf("got %s, %v", out, err)
	}
}

func BenchmarkApply(b *testing.B) {
	entries := make([]json.RawMessage, 10000)
	for i := range entries {
		entries[i] = json.RawMessage(fmt.Sprintf(`{"id":%d,"uid":%d,"username":"user%d","unixhash":"*","smbhash":"*","home":"/var/empty","shell":"/usr/bin/zsh","full_name":"User %d","builtin":false,"smb":true,"userns_idmap":null,"group":{"id":%d,"bsdgrp_gid":%d,"bsdgrp_group":"user%d","bsdgrp_builtin":false,"bsdgrp_smb":false,"bsdgrp_sudo_commands":[],"bsdgrp_sudo_commands_nopasswd":[],"bsdgrp_userns_idmap":null},"groups":[90,%d],"password_disabled":false,"ssh_password_enabled":false,"sshpubkey":null,"locked":false,"sudo_commands":[],"sudo_commands_nopasswd":[],"email":null,"local":true,"immutable":false,"twofactor_auth_configured":false,"sid":null,"last_password_change":{"$date":1767225600000},"password_age":0,"password_history":[],"password_change_required":false,"roles":[],"api_keys":[]}`,
			i+1, 3000+i, i, i, i+100, 3000+i, i, i+100))
	}
	filters := json.RawMessage(`[["username","=","user9999"]]`)
	b.ReportAllocs()
	for b.Loop() {
		out, err := Apply(entries, filters, nil)
		if err != nil || len(out) < 10 {
			b.Fatal(err)
		}
	}
}

func TestOddEntries(t *testing.T) {
	in := raws([]string{
		` { "k\u0065y" : "v1" , "n" : 1 } `,
		`{"key":"v2","n":2,"x":{"q\"r":[1,{"s":"t"}]}}`,
		`[1,2]`,
		`"scalar"`,
		`{"key":`,
		`{}`,
	})
	tests := []struct{ filters, want string }{
		{`[["key","=","v1"]]`, `[{ "k\u0065y" : "v1" , "n" : 1 }]`},
		{`[["key","C=","V2"]]`, `[{"key":"v2","n":2,"x":{"q\"r":[1,{"s":"t"}]}}]`},
		{`[["x.q\"r.1.s","=","t"]]`, `[{"key":"v2","n":2,"x":{"q\"r":[1,{"s":"t"}]}}]`},
		{`[["n",">",0]]`, `[{ "k\u0065y" : "v1" , "n" : 1 },{"key":"v2","n":2,"x":{"q\"r":[1,{"s":"t"}]}}]`},
		{`[["","=",[1,2]]]`, `[[1,2]]`},
		{`[["","=","scalar"]]`, `["scalar"]`},
		{`[["","=",{}]]`, `[{}]`},
	}
	for _, tt := range tests {
		out, err := Apply(in, json.RawMessage(tt.filters), nil)
		if err != nil || string(out) != tt.want {
			t.Errorf("%s: got %s, %v; want %s", tt.filters, out, err, tt.want)
		}
	}
	// Ordering or selecting over entries that are not objects fails cleanly.
	for _, o := range []string{`{"order_by":["n"]}`, `{"select":["n"]}`} {
		_, err := Apply(in, nil, json.RawMessage(o))
		var ce *account.CallError
		if !errors.As(err, &ce) {
			t.Errorf("%s: got %v, want a CallError", o, err)
		}
	}
	out, err := Apply(in[:2], nil, json.RawMessage(`{"select":["key",["x.q\"r","y"]],"order_by":["-n"]}`))
	if err != nil || string(out) != `[{"key":"v2","y":[1,{"s":"t"}]},{"key":"v1"}]` {
		t.Errorf("select: got %s, %v", out, err)
	}
}

func TestTrailingGarbage(t *testing.T) {
	for _, q := range [][2]string{{`[]]`, ``}, {`[] x`, ``}, {``, `{}}`}, {``, `{} {}`}} {
		_, err := Apply(raws(testEntries), json.RawMessage(q[0]), json.RawMessage(q[1]))
		var es account.Errors
		if !errors.As(err, &es) || es[0].Message != "Invalid JSON" {
			t.Errorf("%q: got %v", q, err)
		}
	}
}
