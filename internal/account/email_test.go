package account

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestNormalizeEmailAgainstEmailValidator compares NormalizeEmail with the
// answers of pydantic 2.10's validate_email around email-validator 2.2.0
// (what TrueNAS 25.10.6 runs), recorded in testdata: one JSON line per
// input, [input, "OK normalized" | "ERR message"].
func TestNormalizeEmailAgainstEmailValidator(t *testing.T) {
	f, err := os.Open("testdata/email_validator_2.2.0.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		var row [2]string
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatal(err)
		}
		n++
		in, want := row[0], row[1]
		got, msg := NormalizeEmail(in)
		if msg != "" {
			got = "ERR " + msg
		} else {
			got = "OK " + got
		}
		if got != want {
			t.Errorf("NormalizeEmail(%q)\n got %q\nwant %q", in, got, want)
		}
	}
	if n < 50 {
		t.Fatalf("only %d recorded answers", n)
	}
}

// TestDecodeUserEmail: the payload decoder stores the normalized form and
// reports the refusals at user_create.email / user_update.email.
func TestDecodeUserEmail(t *testing.T) {
	p, errs := DecodeUserCreate([]byte(`{"username":"bob","full_name":"Bob","group_create":true,"email":" Bob Smith <Bob@Example.COM> "}`))
	if errs != nil || p.Email.V != "Bob@example.com" || p.Email.Null {
		t.Fatalf("%+v %v", p.Email, errs)
	}
	_, errs = DecodeUserUpdate([]byte(`{"email":"bob..smith@example.com"}`))
	if errs.Error() != "[EINVAL] user_update.email: value is not a valid email address: An email address cannot have two periods in a row." {
		t.Fatal(errs)
	}
	_, errs = DecodeUserUpdate([]byte(`{"email":"` + strings.Repeat("a", 1025) + `"}`))
	if errs.Error() != "[EINVAL] user_update.email: String should have at most 1024 characters" {
		t.Fatal(errs)
	}
	p, errs = DecodeUserUpdate([]byte(`{"email":null}`))
	if errs != nil || !p.Email.Set || !p.Email.Null {
		t.Fatalf("%+v %v", p.Email, errs)
	}
}
