package wire

import (
	"errors"
	"reflect"
	"testing"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

func TestParseErrorValidation(t *testing.T) {
	stderr := "[EEXIST] user_create.username: The username \"alice\" already exists.\n" +
		"[EINVAL] user_create.password: Password is required\n" +
		"[EINVAL] user_create.sudo_commands.0: Command must be absolute: \"ls\" is not\n" +
		"[EUNKNOWN] user_update.groups.3: odd errno\n"
	err := ParseError(stderr, 1)
	var es account.Errors
	if !errors.As(err, &es) {
		t.Fatalf("got %T %v, want account.Errors", err, err)
	}
	want := account.Errors{
		{Attribute: "user_create.username", Message: `The username "alice" already exists.`, Errno: account.EEXIST},
		{Attribute: "user_create.password", Message: "Password is required", Errno: account.EINVAL},
		{Attribute: "user_create.sudo_commands.0", Message: `Command must be absolute: "ls" is not`, Errno: account.EINVAL},
		{Attribute: "user_update.groups.3", Message: "odd errno", Errno: account.EINVAL},
	}
	if !reflect.DeepEqual(es, want) {
		t.Fatalf("got %#v\nwant %#v", es, want)
	}
}

func TestParseErrorNotFound(t *testing.T) {
	err := ParseError("[ENOENT] ALL: User 99 does not exist\n", 1)
	var es account.Errors
	if !errors.As(err, &es) || len(es) != 1 {
		t.Fatalf("got %T %v", err, err)
	}
	if es[0] != (account.Error{Attribute: "", Message: "User 99 does not exist", Errno: account.ENOENT}) {
		t.Fatalf("got %#v", es[0])
	}
	if es.Error() != "[ENOENT] ALL: User 99 does not exist" {
		t.Fatalf("round trip: %q", es.Error())
	}
}

func TestParseErrorCall(t *testing.T) {
	cases := []struct {
		stderr string
		want   account.CallError
	}{
		{"[EINVAL] Cannot delete a built-in user\n", account.CallError{Errno: account.EINVAL, Message: "Cannot delete a built-in user"}},
		{"[EINVAL] Cannot delete a built-in user\nTraceback (most recent call last):\n  File \"/usr/lib/python3/dist-packages/middlewared/main.py\", line 1, in call\nmiddlewared.service_exception.CallError: [EINVAL] Cannot delete a built-in user\n[['x', 'y', 22]]\n",
			account.CallError{Errno: account.EINVAL, Message: "Cannot delete a built-in user"}},
		// Looks like "attr: message" but is followed by a traceback.
		{"[EFAULT] failed: disk is full\nTraceback (most recent call last):\n  File \"x\"\n",
			account.CallError{Errno: account.EFAULT, Message: "failed: disk is full"}},
		// A capitalised first word is not an attribute path.
		{"[EPERM] Error: not allowed", account.CallError{Errno: account.EPERM, Message: "Error: not allowed"}},
		{"[ENOENT] Method does not exist", account.CallError{Errno: account.ENOENT, Message: "Method does not exist"}},
	}
	for _, c := range cases {
		err := ParseError(c.stderr, 1)
		var ce *account.CallError
		if !errors.As(err, &ce) {
			t.Errorf("%q: got %T %v, want *account.CallError", c.stderr, err, err)
			continue
		}
		if *ce != c.want {
			t.Errorf("%q: got %#v want %#v", c.stderr, *ce, c.want)
		}
	}
}

func TestParseErrorPlain(t *testing.T) {
	for _, s := range []string{
		"Call timeout\n",
		"Failed to run middleware call. Daemon not running?",
		"sudo: a password is required\n",
		"Traceback (most recent call last):\n  File \"/usr/bin/midclt\", line 8\nKeyError: 'x'\n",
	} {
		err := ParseError("  "+s+"\n", 1)
		var es account.Errors
		var ce *account.CallError
		if errors.As(err, &es) || errors.As(err, &ce) {
			t.Errorf("%q: got typed %T", s, err)
		}
		if want := trim(s); err.Error() != want {
			t.Errorf("got %q want %q", err.Error(), want)
		}
	}
	if err := ParseError("", 3); err == nil || err.Error() != "midclt exited with status 3 and printed no error" {
		t.Errorf("empty: %v", err)
	}
}

func TestParseErrorMultilineMessage(t *testing.T) {
	err := ParseError("[EINVAL] user_create.sshpubkey: bad key\nsecond line\n[EINVAL] user_create.home: bad home\n", 1)
	var es account.Errors
	if !errors.As(err, &es) || len(es) != 2 || es[0].Message != "bad key\nsecond line" || es[1].Attribute != "user_create.home" {
		t.Fatalf("got %#v", err)
	}
}

func trim(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == ' ') {
		s = s[:len(s)-1]
	}
	return s
}
