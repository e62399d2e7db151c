package wire

import (
	"encoding/json"
	"testing"
)

func TestFormatResult(t *testing.T) {
	cases := []struct{ in, want string }{
		{`true`, `True`},
		{`false`, `False`},
		{`null`, `null`},
		{`42`, `42`},
		{`"TrueNAS-25.10.6"`, `TrueNAS-25.10.6`},
		{`{"id":1,"username":"root","groups":[40,41],"group":{"id":1,"bsdgrp_gid":0},"email":null}`,
			`{"id": 1, "username": "root", "groups": [40, 41], "group": {"id": 1, "bsdgrp_gid": 0}, "email": null}`},
		{`[]`, `[]`},
		{`{}`, `{}`},
		{`[{"a":[]},{"b":{}}]`, `[{"a": []}, {"b": {}}]`},
		{`{"n":"Zoë \"q\"\n"}`, `{"n": "Zo\u00eb \"q\"\n"}`},
		{`{"e":"😀"}`, `{"e": "\ud83d\ude00"}`},
	}
	for _, c := range cases {
		got, err := FormatResult(json.RawMessage(c.in))
		if err != nil {
			t.Fatalf("FormatResult(%s): %v", c.in, err)
		}
		if got != c.want {
			t.Errorf("FormatResult(%s)\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}

func TestParseArg(t *testing.T) {
	cases := map[string]string{
		`5`:              `5`,
		`{"a": 1}`:       `{"a": 1}`,
		`foo`:            `"foo"`,
		`[["id","=",1]]`: `[["id","=",1]]`,
		`{bad`:           `"{bad"`,
		``:               `""`,
	}
	for in, want := range cases {
		if got := string(ParseArg(in)); got != want {
			t.Errorf("ParseArg(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestParseOutputRoundTrip(t *testing.T) {
	for _, in := range []string{`true`, `false`, `null`, `42`, `{"a":[1,2]}`, `"plain text"`} {
		out, err := FormatResult(json.RawMessage(in))
		if err != nil {
			t.Fatal(err)
		}
		back := ParseOutput(out + "\n")
		var a, b any
		_ = json.Unmarshal([]byte(in), &a)
		if err := json.Unmarshal(back, &b); err != nil {
			t.Fatalf("ParseOutput(%q) = %s: %v", out, back, err)
		}
		aj, _ := json.Marshal(a)
		bj, _ := json.Marshal(b)
		if string(aj) != string(bj) {
			t.Errorf("round trip %s -> %q -> %s", in, out, back)
		}
	}
}
