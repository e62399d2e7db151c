package wire

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// decodeError reads an encoded error response back as a client does.
func decodeError(t *testing.T, b []byte) *RPCError {
	t.Helper()
	var r Response
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if r.JSONRPC != "2.0" || r.Error == nil || r.Result != nil {
		t.Fatalf("not an error response: %s", b)
	}
	return r.Error
}

// What the middleware sends, as rpc.py builds it, for a ValidationErrors
// with an attribute-less InstanceNotFound-style entry and for a CallError.
const (
	tnValidation = `{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"error":22,"errname":"EINVAL",` +
		`"reason":"[EEXIST] user_create.username: The username \"alice\" already exists.\n[EINVAL] user_create.password: Password is required\n",` +
		`"trace":{"class":"ValidationErrors","frames":[],"formatted":"Traceback...","repr":"ValidationErrors()"},` +
		`"extra":[["user_create.username","The username \"alice\" already exists.",17],["user_create.password","Password is required",22],[null,"odd",9999]]}},"id":7}`
	tnCall = `{"jsonrpc":"2.0","error":{"code":-32001,"message":"Method call error","data":{"error":22,"errname":"EINVAL",` +
		`"reason":"[EINVAL] Cannot delete a built-in user","trace":null,"extra":null}},"id":"x"}`
	tnNotAuthorized = `{"jsonrpc":"2.0","error":{"code":-32001,"message":"Method call error","data":{"error":13,"errname":"EACCES",` +
		`"reason":"[EACCES] Not authorized","trace":null,"extra":null}},"id":1}`
	tnNoMethod = `{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method does not exist"},"id":2}`
)

func TestRPCErrorFromTrueNAS(t *testing.T) {
	err := decodeError(t, []byte(tnValidation)).AsError()
	var es account.Errors
	if !errors.As(err, &es) {
		t.Fatalf("got %T %v", err, err)
	}
	want := account.Errors{
		{Attribute: "user_create.username", Message: `The username "alice" already exists.`, Errno: account.EEXIST},
		{Attribute: "user_create.password", Message: "Password is required", Errno: account.EINVAL},
		{Attribute: "", Message: "odd", Errno: account.EINVAL},
	}
	if !reflect.DeepEqual(es, want) {
		t.Fatalf("got %#v\nwant %#v", es, want)
	}
	// The midclt path gives the same for the same failure.
	if mid := ParseError("[EEXIST] user_create.username: The username \"alice\" already exists.\n[EINVAL] user_create.password: Password is required\n[EUNKNOWN] ALL: odd\n", 1); !reflect.DeepEqual(mid, err) {
		t.Fatalf("midclt path gives %#v, JSON-RPC %#v", mid, err)
	}

	for _, c := range []struct {
		raw  string
		want account.CallError
	}{
		{tnCall, account.CallError{Errno: account.EINVAL, Message: "Cannot delete a built-in user"}},
		{tnNotAuthorized, account.CallError{Errno: account.EACCES, Message: "Not authorized"}},
		{tnNoMethod, account.CallError{Errno: account.EINVAL, Message: "Method does not exist"}},
	} {
		err := decodeError(t, []byte(c.raw)).AsError()
		var ce *account.CallError
		if !errors.As(err, &ce) || *ce != c.want {
			t.Errorf("%s: got %#v", c.raw, err)
		}
	}
	if err := decodeError(t, []byte(`{"jsonrpc":"2.0","error":{"code":-32000,"message":"Maximum number of concurrent calls (20) has exceeded"},"id":3}`)).AsError(); err.Error() != "Maximum number of concurrent calls (20) has exceeded" {
		t.Errorf("got %v", err)
	}
}

func TestRPCErrorRoundTrip(t *testing.T) {
	for _, in := range []error{
		account.Errors{{Attribute: "group_create.name", Message: "bad: name", Errno: account.EINVAL}, {Message: "Group 5 does not exist", Errno: account.ENOENT}},
		&account.CallError{Errno: account.EPERM, Message: "Cannot delete: it is the last administrator"},
	} {
		b := EncodeError(json.RawMessage(`12`), ErrorOf(in))
		out := decodeError(t, b).AsError()
		if !reflect.DeepEqual(out, in) {
			t.Errorf("%v: round trip gives %#v (%s)", in, out, b)
		}
	}
	// A validation error's reason is the str() of what TrueNAS raised
	// (service_exception.py, TS-25.10.6): InstanceNotFound is one bare
	// ValidationError, its line alone; a ValidationErrors ends every line
	// with "\n", even when it holds one error.
	for _, c := range []struct {
		in            account.Errors
		reason, extra string
	}{
		{account.NotFound("User", 9), "[ENOENT] None: User 9 does not exist", `[[null,"User 9 does not exist",2]]`},
		{account.Errors{{Attribute: "user_update.uid", Message: "Field required", Errno: account.EINVAL}},
			"[EINVAL] user_update.uid: Field required\n", `[["user_update.uid","Field required",22]]`},
		{account.Errors{{Message: "Group 5 not found", Errno: account.EINVAL}},
			"[EINVAL] None: Group 5 not found\n", `[[null,"Group 5 not found",22]]`},
		{account.Errors{{Attribute: "a", Message: "x", Errno: account.EEXIST}, {Message: "Group 5 does not exist", Errno: account.ENOENT}},
			"[EEXIST] a: x\n[ENOENT] None: Group 5 does not exist\n", `[["a","x",17],[null,"Group 5 does not exist",2]]`},
	} {
		e := ErrorOf(c.in)
		if e.Code != CodeInvalidParams || e.Message != "Invalid params" || e.Data.Error != 22 || e.Data.Errname != "EINVAL" ||
			e.Data.Reason != c.reason || string(e.Data.Extra) != c.extra {
			t.Errorf("%v: got %+v %q %s", c.in, e, e.Data.Reason, e.Data.Extra)
		}
	}
	// Other errors become EFAULT call errors.
	if e := ErrorOf(errors.New("disk full")); e.Code != CodeCallError || e.Data.Reason != "[EFAULT] disk full" {
		t.Errorf("got %+v", e.Data)
	}
}

func TestEncodeResult(t *testing.T) {
	for _, c := range []struct{ id, res, want string }{
		{`1`, `null`, `{"jsonrpc":"2.0","result":null,"id":1}`},
		{`"a"`, ``, `{"jsonrpc":"2.0","result":null,"id":"a"}`},
		{``, `[1]`, `{"jsonrpc":"2.0","result":[1],"id":null}`},
	} {
		if got := string(EncodeResult(json.RawMessage(c.id), json.RawMessage(c.res))); got != c.want {
			t.Errorf("got %s want %s", got, c.want)
		}
	}
	var r Response
	if err := json.Unmarshal(EncodeResult(json.RawMessage(`1`), json.RawMessage(`null`)), &r); err != nil || string(r.Result) != "null" {
		t.Errorf("a null result must stay told apart from none: %q %v", r.Result, err)
	}
	if !strings.Contains(NotAuthorized().Data.Reason, "Not authorized") {
		t.Error("NotAuthorized")
	}
}

// FuzzResponse: whatever a server sends, reading it never panics, and an
// error always reads back as an error.
func FuzzResponse(f *testing.F) {
	for _, s := range []string{tnValidation, tnCall, tnNotAuthorized, tnNoMethod,
		`{"jsonrpc":"2.0","error":{"code":-32602,"message":"x","data":{"extra":[[1,2,3]]}},"id":1}`,
		`{"jsonrpc":"2.0","error":{"code":-32001,"data":{"extra":[["a"]],"reason":""}},"id":1}`,
		`{"jsonrpc":"2.0","result":null,"id":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Response
		if json.Unmarshal(data, &r) != nil || r.Error == nil {
			return
		}
		if err := r.Error.AsError(); err == nil {
			t.Fatalf("%s: no error", data)
		}
	})
}
