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

// TestCheckEmailString: TrueNAS 26.0's EmailString, with its messages
// (api/base/validators/base.py email_validator at TS-26.0.0-BETA.3), and
// v26_0_0's user payloads keep the address as written while v25_10_5's
// normalise it (EmailStr).
func TestCheckEmailString(t *testing.T) {
	for in, want := range map[string]string{
		"":                                      "",
		"a@b":                                   "",
		"Ann Lee <Ann@Example.COM>":             "",
		"a@b@c":                                 "",
		"x" + strings.Repeat("é", 250) + "@b.c": "Value error, Maximum length is 254 characters.",
		strings.Repeat("a", 250) + "@b.c":       "",
		"no-at":                                 "Value error, Missing '@' symbol.",
		"@example.com":                          "Value error, Missing local part of email string (part before the '@').",
		"ann@":                                  "Value error, Missing domain part of email string (part after the '@').",
		"a@b@":                                  "Value error, Missing domain part of email string (part after the '@').",
	} {
		if got := CheckEmailString(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
	raw := []byte(`{"username":"bob","full_name":"Bob","group_create":true,"password":"x","email":"Ann Lee <Ann@Example.COM>"}`)
	p, errs := ModelV26_0_0.DecodeUserCreate(raw)
	if errs != nil || p.Email.V != "Ann Lee <Ann@Example.COM>" {
		t.Errorf("26.0: %q %v", p.Email.V, errs)
	}
	p, errs = ModelV25_10_5.DecodeUserCreate(raw)
	if errs != nil || p.Email.V != "Ann@example.com" {
		t.Errorf("25.10: %q %v", p.Email.V, errs)
	}
	_, errs = ModelV26_0_0.DecodeUserUpdate([]byte(`{"email":"nobody"}`))
	if len(errs) != 1 || errs[0].Attribute != "user_update.email" || errs[0].Message != "Value error, Missing '@' symbol." {
		t.Errorf("26.0 update: %v", errs)
	}
}
