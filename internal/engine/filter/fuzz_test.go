package filter

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// FuzzApply checks that Apply never panics and only returns the documented
// error types, whatever the filters and options.
func FuzzApply(f *testing.F) {
	f.Add(`[["username","=","root"]]`, `{"get":true}`)
	f.Add(`[["OR",[[["uid",">",0],["shell","$","bash"]],["groups.*","rin",50]]]]`, `{"order_by":["nulls_last:email"],"select":["id",["group.bsdgrp_gid","gid"]]}`)
	f.Add(`[["last_password_change.$date",">","2024-01-01"]]`, `{"count":true}`)
	f.Add(`[["a\\.b","C^","DOT"]]`, `{"limit":1,"offset":1}`)
	f.Add(`null`, `null`)
	entries := raws(append(append([]string{}, testEntries...),
		` { "k\u0065y" : "v1" , "n" : [1,{"a.b":null}] } `, `{}`))
	f.Fuzz(func(t *testing.T, filters, options string) {
		out, err := Apply(entries, json.RawMessage(filters), json.RawMessage(options))
		if err != nil {
			var es account.Errors
			var ce *account.CallError
			if !errors.As(err, &es) && !errors.As(err, &ce) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			if out != nil {
				t.Fatalf("output %s with error %v", out, err)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON output %q", out)
		}
	})
}
