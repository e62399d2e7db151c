package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// The legacy DDP websocket of the TrueNAS middleware, at /websocket on its
// unix socket: the only protocol of TrueNAS CORE 13.3, and still served
// beside JSON-RPC 2.0 by TrueNAS SCALE 25.10 and 26.0 for older clients.
//
// The shapes follow the servers at each tag:
//   - TN-13.3-U1.2: src/middlewared/middlewared/main.py, class Application
//     (send_error, call_method, on_message) and ws_handler;
//   - TS-25.10.6 and TS-26.0.0-BETA.3: src/middlewared/middlewared/apps/
//     websocket_app.py (WebSocketApplication) and main.py ws_handler;
//
// and the client that reads them back, src/middlewared/middlewared/client/
// client.py at TN-13.3-U1.2 (Client._recv, Client.call).
//
// A conversation: the client sends {"msg":"connect","version":"1",...}; the
// server answers {"msg":"connected","session":...}, or {"msg":"failed",
// "version":"1"} for another version or for anything sent before connect.
// Then {"msg":"method","id":...,"method":...,"params":[...]} is answered by
// {"msg":"result","id":...,"result":...} or {"msg":"result","id":...,
// "error":{...}}, in the order the calls finish.

// DDPPath is the websocket path of the legacy protocol.
const DDPPath = "/websocket"

// CoreSocket is where TrueNAS CORE's middleware listens
// (middlewared/client/client.py at TN-13.3-U1.2, Client.__init__).
const CoreSocket = "/var/run/middlewared.sock"

// DDPVersion is the one protocol version every server speaks.
const DDPVersion = "1"

// DDPDialect is what differs between the servers of the legacy protocol.
type DDPDialect struct {
	// Errname: errors carry "errname" beside the errno (SCALE's
	// get_error_dict; CORE's send_error has none).
	Errname bool
	// Pong: a {"msg":"ping"} is answered with {"msg":"pong"} (CORE's
	// on_message; SCALE's WebSocketApplication answers nothing).
	Pong bool
	// TraceFrames, TraceRepr: the members of a traceback besides "class" and
	// "formatted" (13.3: frames; 25.10: frames and repr; 26.0: repr).
	TraceFrames, TraceRepr bool
	// PlainAuthError: a call on a connection that did not authenticate is
	// refused with errno EACCES and the bare reason "Not authenticated" and
	// no traceback (CORE's on_message), not with SCALE's raised CallError
	// "[ENOTAUTHENTICATED] Not authenticated".
	PlainAuthError bool
	// NotFoundClass is the class of the error a missing instance raises
	// (CORE: ValidationError; SCALE: InstanceNotFound).
	NotFoundClass string
}

// The dialects of the releases.
var (
	DDPCore133 = DDPDialect{Pong: true, TraceFrames: true, PlainAuthError: true, NotFoundClass: "ValidationError"}
	DDPScale25 = DDPDialect{Errname: true, TraceFrames: true, TraceRepr: true, NotFoundClass: "InstanceNotFound"}
	DDPScale26 = DDPDialect{Errname: true, TraceRepr: true, NotFoundClass: "InstanceNotFound"}
)

// Errnos the servers use outside the account rules (Python's errno module,
// and ErrnoMixin in middlewared/client at TN-13.3-U1.2 and
// truenas_api_client at TS-25.10.6).
const (
	EBUSY        = 16
	EBADMSG      = 74
	ETOOMANYREFS = 109
	ENOMETHOD    = 201
)

var serverErrnoNames = map[int]string{
	EBUSY:             "EBUSY",
	EBADMSG:           "EBADMSG",
	ETOOMANYREFS:      "ETOOMANYREFS",
	ENOMETHOD:         "ENOMETHOD",
	ENOTAUTHENTICATED: "ENOTAUTHENTICATED",
}

// errnoName is the servers' get_errname: the errno's name, "EUNKNOWN" for
// a number neither Python nor the middleware names.
func errnoName(n int) string {
	if name := account.Errno(n).Name(); name != "EUNKNOWN" {
		return name
	}
	if name, ok := serverErrnoNames[n]; ok {
		return name
	}
	return "EUNKNOWN"
}

// DDPMessage is one message of either side, as read by ParseDDP: the
// members a message may carry, with whether id was present at all (a
// message without id is told apart from one whose id is null).
type DDPMessage struct {
	Msg      string // "" when msg is absent or not a string
	HasMsg   bool
	ID       json.RawMessage // nil when absent
	Method   string
	HasMeth  bool
	Params   json.RawMessage // nil when absent
	Version  string
	Features []string
	Name     string // sub
	Session  string // connected
	Result   json.RawMessage
	Error    *DDPError
	Subs     []json.RawMessage // ready
}

// CloseReason is an error whose text is the reason a TrueNAS server closes
// the websocket with, word for word (so it keeps TrueNAS's capitals).
type CloseReason string

func (r CloseReason) Error() string { return string(r) }

// ErrBatch and ErrFormat are why a server closes a connection whose message
// is JSON but not an object, ErrExtraData one with more than one JSON value
// (utils/limits.py parse_message at TS-25.10.6).
const (
	ErrBatch     CloseReason = "Batch messages are not supported at this time"
	ErrFormat    CloseReason = "Invalid Message Format"
	ErrExtraData CloseReason = "Extra data"
)

// ParseDDP reads one message. It fails when data is not JSON, or is JSON
// but not an object (ErrBatch for a list, ErrFormat otherwise); a server
// closes the websocket then, with the error's text.
func ParseDDP(data []byte) (DDPMessage, error) {
	var v any
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return DDPMessage{}, err
	}
	if d.More() {
		return DDPMessage{}, ErrExtraData
	}
	switch v.(type) {
	case map[string]any:
	case []any:
		return DDPMessage{}, ErrBatch
	default:
		return DDPMessage{}, ErrFormat
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return DDPMessage{}, err
	}
	var out DDPMessage
	str := func(k string) (string, bool) {
		var s string
		raw, ok := m[k]
		if ok && json.Unmarshal(raw, &s) == nil {
			return s, true
		}
		return "", ok
	}
	out.Msg, out.HasMsg = str("msg")
	out.Method, out.HasMeth = str("method")
	out.Version, _ = str("version")
	out.Name, _ = str("name")
	out.Session, _ = str("session")
	if id, ok := m["id"]; ok {
		out.ID = bytes.TrimSpace(id)
	}
	if p, ok := m["params"]; ok {
		out.Params = bytes.TrimSpace(p)
	}
	if f, ok := m["features"]; ok {
		_ = json.Unmarshal(f, &out.Features) // not a list of strings: no features
	}
	if r, ok := m["result"]; ok {
		out.Result = bytes.TrimSpace(r)
	}
	if e, ok := m["error"]; ok && !bytes.Equal(bytes.TrimSpace(e), []byte("null")) {
		var de DDPError
		if json.Unmarshal(e, &de) == nil {
			out.Error = &de
		} else {
			out.Error = &DDPError{Reason: string(e)}
		}
	}
	if s, ok := m["subs"]; ok {
		_ = json.Unmarshal(s, &out.Subs)
	}
	return out, nil
}

// DDPError is the error member of a result (CORE's send_error, SCALE's
// get_error_dict): the errno, its name (SCALE only), "VALIDATION" for
// validation errors (else null), the reason (str() of the exception), the
// traceback (null for a refusal raised by no exception) and extra (for
// validation errors a list of [attribute, message, errno]).
type DDPError struct {
	Error   int             `json:"error"`
	Errname string          `json:"errname,omitempty"`
	Type    *string         `json:"type"`
	Reason  string          `json:"reason"`
	Trace   *DDPTrace       `json:"trace"`
	Extra   json.RawMessage `json:"extra"`
}

// DDPTrace is a traceback as the servers send it (_tb_error). The engine is
// not Python and has no frames: "frames" is empty where the dialect has it,
// and "formatted" is what Python's format_exception prints for the
// exception without a traceback.
type DDPTrace struct {
	Class     string          `json:"class"`
	Frames    json.RawMessage `json:"frames,omitempty"`
	Formatted string          `json:"formatted"`
	Repr      *string         `json:"repr,omitempty"`
}

func (e *DDPError) String() string { return strings.TrimSpace(e.Reason) }

// exception builds the error of a raised middleware exception: class and
// module name it in the traceback, args are its constructor's arguments
// (for repr), typ is "VALIDATION" or "".
func (d DDPDialect) exception(errno int, reason, module, class string, args []any, typ string, extra json.RawMessage) *DDPError {
	e := d.refusal(errno, reason)
	if typ != "" {
		e.Type = &typ
	}
	if len(extra) > 0 {
		e.Extra = extra
	}
	t := &DDPTrace{Class: class, Formatted: module + "." + class + ": " + reason + "\n"}
	if d.TraceFrames {
		t.Frames = json.RawMessage("[]")
	}
	if d.TraceRepr {
		r := pyRepr(pyCall{class, args})
		t.Repr = &r
	}
	e.Trace = t
	return e
}

// refusal builds an error no exception raised (send_error without
// exc_info): no traceback, no type, extra null.
func (d DDPDialect) refusal(errno int, reason string) *DDPError {
	e := &DDPError{Error: errno, Reason: reason, Extra: json.RawMessage("null")}
	if d.Errname {
		e.Errname = errnoName(errno)
	}
	return e
}

const serviceException = "middlewared.service_exception"

// CallError is a raised CallError (reason "[ERRNAME] message").
func (d DDPDialect) CallError(errno int, message string) *DDPError {
	return d.exception(errno, fmt.Sprintf("[%s] %s", errnoName(errno), message), serviceException, "CallError",
		[]any{message, errno}, "", nil)
}

// Malformed is the refusal of a method message without "method".
func (d DDPDialect) Malformed() *DDPError {
	return d.refusal(int(account.EINVAL), "Message is malformed: 'method' is absent.")
}

// ParamsNotList is SCALE's refusal of params that are not a list.
func (d DDPDialect) ParamsNotList() *DDPError {
	return d.refusal(int(account.EINVAL), "`params` must be a list.")
}

// TooManyCalls is the refusal past the connection's concurrent calls.
func (d DDPDialect) TooManyCalls(limit int) *DDPError {
	return d.refusal(ETOOMANYREFS, fmt.Sprintf("Maximum number of concurrent calls (%d) has exceeded.", limit))
}

// NotAuthenticated is the refusal of a call on a connection that did not
// authenticate.
func (d DDPDialect) NotAuthenticated() *DDPError {
	if d.PlainAuthError {
		return d.refusal(int(account.EACCES), "Not authenticated")
	}
	return d.CallError(ENOTAUTHENTICATED, "Not authenticated")
}

// NotAuthorized is SCALE's refusal of a subscription the caller may not
// make (on_message "sub": send_error without an exception).
func (d DDPDialect) NotAuthorized() *DDPError {
	return d.refusal(int(account.EACCES), "Not authorized")
}

// MethodNotFound is the lookup failure of method (utils/service/call.py,
// get_method / _method_lookup): no "." in the name, a service the server
// does not have (hasService false), or a method the service does not have.
func (d DDPDialect) MethodNotFound(method string, hasService func(string) bool) *DDPError {
	i := strings.LastIndexByte(method, '.')
	if i < 0 {
		return d.CallError(EBADMSG, "Invalid method name")
	}
	service, name := method[:i], method[i+1:]
	if !hasService(service) {
		return d.CallError(ENOMETHOD, fmt.Sprintf("Service %s not found", pyRepr(service)))
	}
	e := d.CallError(ENOMETHOD, fmt.Sprintf("Method %s not found in %s", pyRepr(name), pyRepr(service)))
	e.Trace.Class = "MethodNotFoundError"
	e.Trace.Formatted = "middlewared.utils.service.call.MethodNotFoundError: " + e.Reason + "\n"
	if e.Trace.Repr != nil {
		r := pyRepr(pyCall{"MethodNotFoundError", []any{name, service}})
		e.Trace.Repr = &r
	}
	return e
}

// FromRPC turns the error the JSON-RPC path sends for a call (ErrorOf,
// NotAuthenticated, NotAuthorized) into the error the legacy protocol sends
// for the same failure, so that both protocols take one error path:
//
//   - validation errors: a ValidationErrors (errno EAGAIN, type
//     VALIDATION, extra [[attribute, message, errno], ...]), or, for the
//     one error of a missing instance (no attribute, ENOENT), the single
//     ValidationError TrueNAS raises for it (errno ENOENT);
//   - a call error: a CallError with the same errno and reason;
//   - the refusal of an unauthenticated call: NotAuthenticated;
//   - too many concurrent calls: TooManyCalls;
//   - anything else (a JSON-RPC protocol error): a CallError EINVAL.
func (d DDPDialect) FromRPC(re *RPCError) *DDPError {
	if re.Data != nil {
		if re.Code == CodeInvalidParams {
			if es := extraErrors(re.Data.Extra); len(es) > 0 {
				return d.validation(es)
			}
		}
		if re.Data.Error == ENOTAUTHENTICATED && re.Data.Reason == NotAuthenticated().Data.Reason {
			return d.NotAuthenticated()
		}
		if re.Code == CodeCallError && traceClass(re.Data.Trace) == SchemaErrorClass {
			// CORE's schema Error: its own class and reason.
			return d.exception(re.Data.Error, re.Data.Reason, "middlewared.schema", SchemaErrorClass,
				[]any{re.Data.Reason}, "", nil)
		}
		if re.Code == CodeCallError {
			msg := strings.TrimSpace(re.Data.Reason)
			if m := callLine.FindStringSubmatch(msg); m != nil {
				msg = m[2]
			}
			e := d.CallError(re.Data.Error, msg)
			// The reason stays byte for byte the JSON-RPC one.
			e.Reason = re.Data.Reason
			e.Trace.Formatted = serviceException + ".CallError: " + re.Data.Reason + "\n"
			if ex := bytes.TrimSpace(re.Data.Extra); len(ex) > 0 && !bytes.Equal(ex, []byte("null")) {
				e.Extra = re.Data.Extra
			}
			return e
		}
	}
	if re.Code == CodeTooManyConcurrentCall {
		var n int
		if _, err := fmt.Sscanf(re.Message, "Maximum number of concurrent calls (%d)", &n); err == nil {
			return d.TooManyCalls(n)
		}
	}
	return d.CallError(int(account.EINVAL), re.Message)
}

// validation is a raised ValidationErrors, or the single ValidationError
// of a missing instance.
func (d DDPDialect) validation(es account.Errors) *DDPError {
	rows := make([][3]any, len(es))
	for i, e := range es {
		var a any
		if e.Attribute != "" {
			a = e.Attribute
		}
		rows[i] = [3]any{a, e.Message, int(e.Errno)}
	}
	extra, _ := json.Marshal(rows)
	if es.Bare() {
		e := es[0]
		reason := fmt.Sprintf("[%s] None: %s", e.Errno.Name(), e.Message)
		args := []any{nil, e.Message, int(e.Errno)}
		if d.NotFoundClass == "InstanceNotFound" {
			args = []any{e.Message}
		}
		return d.exception(int(e.Errno), reason, serviceException, d.NotFoundClass, args, "VALIDATION", extra)
	}
	var reason strings.Builder
	items := make([]any, len(es))
	for i, e := range es {
		a := e.Attribute
		var ra any = e.Attribute
		if a == "" {
			a, ra = "None", nil
		}
		fmt.Fprintf(&reason, "[%s] %s: %s\n", e.Errno.Name(), a, e.Message)
		items[i] = pyCall{"ValidationError", []any{ra, e.Message, int(e.Errno)}}
	}
	return d.exception(int(account.EAGAIN), reason.String(), serviceException, "ValidationErrors",
		[]any{items}, "VALIDATION", extra)
}

// AsError turns an error received over the legacy protocol into the typed
// error the JSON-RPC path (RPCError.AsError) and the midclt path
// (ParseError) give for the same failure:
//
//   - type VALIDATION with a list of [attribute, message, errno] in extra:
//     account.Errors (a null attribute read as "");
//   - a reason "[ERRNAME] message": *account.CallError with the message
//     and the errno named by errname, else by the reason's prefix (CORE
//     sends no errname);
//   - any other reason ("Not authenticated" on CORE, "Message is
//     malformed...", "Maximum number of concurrent calls..."):
//     *account.CallError with the reason as the message and the errno's
//     name;
//
// unknown errno names give EINVAL, as ParseError does.
func (e *DDPError) AsError() error {
	if e.Type != nil && *e.Type == "VALIDATION" {
		if es := extraErrors(e.Extra); len(es) > 0 {
			return es
		}
	}
	reason := strings.TrimSpace(e.Reason)
	name := e.Errname
	if m := callLine.FindStringSubmatch(reason); m != nil {
		reason = m[2]
		if name == "" {
			name = m[1]
		}
	}
	if name == "" {
		name = errnoName(e.Error)
	}
	if reason == "" {
		reason = fmt.Sprintf("error %d", e.Error)
	}
	return &account.CallError{Errno: account.ErrnoByName(name), Message: reason}
}

// The messages each side sends.

// EncodeDDPConnect is the client's opening message (client.py on_open).
func EncodeDDPConnect() []byte {
	return []byte(`{"msg":"connect","version":"1","support":["1"],"features":[]}`)
}

// EncodeDDPConnected is the server's answer to a connect of version 1.
func EncodeDDPConnected(session string) []byte {
	b, _ := json.Marshal(map[string]string{"msg": "connected", "session": session})
	return b
}

// EncodeDDPFailed is the server's answer to a connect of another version,
// and to anything sent before connect.
func EncodeDDPFailed() []byte { return []byte(`{"msg":"failed","version":"1"}`) }

// EncodeDDPMethod is a client's call.
func EncodeDDPMethod(id json.RawMessage, method string, params []json.RawMessage) ([]byte, error) {
	if params == nil {
		params = []json.RawMessage{}
	}
	return json.Marshal(struct {
		Msg    string            `json:"msg"`
		Method string            `json:"method"`
		ID     json.RawMessage   `json:"id"`
		Params []json.RawMessage `json:"params"`
	}{"method", method, id, params})
}

// EncodeDDPResult is a successful result; a missing result is null.
func EncodeDDPResult(id, result json.RawMessage) []byte {
	if len(bytes.TrimSpace(result)) == 0 {
		result = json.RawMessage("null")
	}
	var b bytes.Buffer
	b.WriteString(`{"id":`)
	writeID(&b, id)
	b.WriteString(`,"msg":"result","result":`)
	b.Write(result)
	b.WriteByte('}')
	return b.Bytes()
}

// EncodeDDPError is a failed result.
func EncodeDDPError(id json.RawMessage, e *DDPError) []byte {
	eb, err := json.Marshal(e)
	if err != nil {
		eb = []byte(`{"error":22,"type":null,"reason":"Failed to JSON serialize server message","trace":null,"extra":null}`)
	}
	var b bytes.Buffer
	b.WriteString(`{"msg":"result","id":`)
	writeID(&b, id)
	b.WriteString(`,"error":`)
	b.Write(eb)
	b.WriteByte('}')
	return b.Bytes()
}

// EncodeDDPPong answers a ping (CORE), with the ping's id when it had one.
func EncodeDDPPong(id json.RawMessage) []byte {
	if id == nil {
		return []byte(`{"msg":"pong"}`)
	}
	var b bytes.Buffer
	b.WriteString(`{"msg":"pong","id":`)
	writeID(&b, id)
	b.WriteByte('}')
	return b.Bytes()
}

// EncodeDDPReady answers a subscription.
func EncodeDDPReady(id json.RawMessage) []byte {
	var b bytes.Buffer
	b.WriteString(`{"msg":"ready","subs":[`)
	writeID(&b, id)
	b.WriteString(`]}`)
	return b.Bytes()
}

// pyCall is an exception's repr: Class(arg, ...).
type pyCall struct {
	class string
	args  []any
}

// pyRepr renders v as Python's repr would: None, ints, str (with Python's
// choice of quotes and escapes), lists, and exception calls.
func pyRepr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case int:
		return strconv.Itoa(x)
	case string:
		return pyStrRepr(x)
	case []any:
		parts := make([]string, len(x))
		for i, y := range x {
			parts[i] = pyRepr(y)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case pyCall:
		parts := make([]string, len(x.args))
		for i, y := range x.args {
			parts[i] = pyRepr(y)
		}
		return x.class + "(" + strings.Join(parts, ", ") + ")"
	}
	return fmt.Sprint(v)
}

// pyStrRepr is Python 3's repr of a str: single quotes unless the text has
// a single quote and no double quote; backslash, the quote, \t \n \r
// escaped; other characters that are not printable as \xNN, \uNNNN or
// \UNNNNNNNN.
func pyStrRepr(s string) string {
	q := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == '\\' || r == rune(q):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x80 || (unicode.IsPrint(r) && r != 0xa0 && r != 0xad):
			b.WriteRune(r)
		case r <= 0xff:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// traceClass is the class a JSON-RPC error's trace names ("" for none).
func traceClass(raw json.RawMessage) string {
	var t struct {
		Class string `json:"class"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &t) != nil {
		return ""
	}
	return t.Class
}
