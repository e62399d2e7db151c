package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/nasops/terraform-provider-truenas/internal/account"
)

// The JSON-RPC 2.0 protocol spoken by the TrueNAS middleware on its
// websocket (ws://localhost/api/current on /var/run/middleware/middlewared.sock),
// and by this project's engine (`engine serve`, the sandbox).
//
// The shapes follow TrueNAS 25.10.6:
//   - src/middlewared/middlewared/api/base/server/ws_handler/rpc.py
//     (send_error, format_truenas_error, process_method_call);
//   - truenas_api_client/jsonrpc.py (the error codes) and
//     truenas_api_client/__init__.py (_parse_error_and_unpickle_exception,
//     how a client reads them back).

// Socket is where the middleware listens (main.py, TS-25.10.6, lines
// 1462-1465: created with mode 0666).
const Socket = "/var/run/middleware/middlewared.sock"

// APIPath is the websocket path of the current API version.
const APIPath = "/api/current"

// JSON-RPC error codes (truenas_api_client/jsonrpc.py, JSONRPCError).
const (
	CodeInvalidJSON           = -32700
	CodeInvalidRequest        = -32600
	CodeMethodNotFound        = -32601
	CodeInvalidParams         = -32602
	CodeInternalError         = -32603
	CodeTooManyConcurrentCall = -32000
	CodeCallError             = -32001
)

// Request is one JSON-RPC 2.0 call. ID is a number or a string; a request
// without ID is a notification and gets no answer.
type Request struct {
	JSONRPC string            `json:"jsonrpc"`
	ID      json.RawMessage   `json:"id,omitempty"`
	Method  string            `json:"method"`
	Params  []json.RawMessage `json:"params"`
}

// Response is one answer: Result on success, Error on failure. Result is
// kept raw (its JSON null included) so that a result of null is told apart
// from a missing one.
type Response struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *RPCError       `json:"error,omitempty"`
	// Method and Params are set on a server notification (no ID), such as
	// collection_update; clients ignore them.
	Method string `json:"method,omitempty"`
}

// RPCError is the error member of a response.
type RPCError struct {
	Code    int        `json:"code"`
	Message string     `json:"message"`
	Data    *ErrorData `json:"data,omitempty"`
}

// ErrorData is TrueNAS's error.data (rpc.py format_truenas_error): the errno
// and its name, the reason (str() of the exception: for a CallError
// "[ERRNAME] message", for ValidationErrors one "[ERRNAME] attr: message"
// line per error), a traceback (null here), and extra, which for
// validation errors is a list of [attribute, message, errno].
type ErrorData struct {
	Error   int             `json:"error"`
	Errname string          `json:"errname"`
	Reason  string          `json:"reason"`
	Trace   json.RawMessage `json:"trace"`
	Extra   json.RawMessage `json:"extra"`
}

func (e *RPCError) Error() string {
	if e.Data != nil && e.Data.Reason != "" {
		return strings.TrimSpace(e.Data.Reason)
	}
	return e.Message
}

// EncodeResult builds the bytes of a successful response.
func EncodeResult(id, result json.RawMessage) []byte {
	if len(bytes.TrimSpace(result)) == 0 {
		result = json.RawMessage("null")
	}
	var b bytes.Buffer
	b.WriteString(`{"jsonrpc":"2.0","result":`)
	b.Write(result)
	b.WriteString(`,"id":`)
	writeID(&b, id)
	b.WriteByte('}')
	return b.Bytes()
}

// EncodeError builds the bytes of an error response.
func EncodeError(id json.RawMessage, e *RPCError) []byte {
	eb, err := json.Marshal(e)
	if err != nil {
		eb = []byte(`{"code":-32603,"message":"Failed to JSON serialize server message"}`)
	}
	var b bytes.Buffer
	b.WriteString(`{"jsonrpc":"2.0","error":`)
	b.Write(eb)
	b.WriteString(`,"id":`)
	writeID(&b, id)
	b.WriteByte('}')
	return b.Bytes()
}

func writeID(b *bytes.Buffer, id json.RawMessage) {
	if len(bytes.TrimSpace(id)) == 0 {
		b.WriteString("null")
		return
	}
	b.Write(id)
}

// NewError builds a plain JSON-RPC error (no TrueNAS data), such as
// "Method does not exist".
func NewError(code int, message string) *RPCError {
	return &RPCError{Code: code, Message: message}
}

// ErrorOf turns an engine error into the error TrueNAS sends for it
// (rpc.py process_method_call): account.Errors as ValidationErrors
// (-32602 "Invalid params", errno EINVAL, extra [[attr, message, errno]],
// a missing attribute as null), *account.CallError as a CallError (-32001
// "Method call error"), anything else as a CallError with EFAULT.
func ErrorOf(err error) *RPCError {
	var es account.Errors
	var ce *account.CallError
	var se *account.CoreSchemaError
	switch {
	case errors.As(err, &es) && len(es) > 0:
		extra := make([][3]any, len(es))
		var reason strings.Builder
		for i, e := range es {
			var attr any
			if e.Attribute != "" {
				attr = e.Attribute
			}
			extra[i] = [3]any{attr, e.Message, int(e.Errno)}
			// ValidationError.__str__ prints the attribute as is (None
			// for a missing one); ValidationErrors ends each with "\n".
			a := e.Attribute
			if a == "" {
				a = "None"
			}
			fmt.Fprintf(&reason, "[%s] %s: %s\n", e.Errno.Name(), a, e.Message)
		}
		xb, _ := json.Marshal(extra)
		r := reason.String()
		if es.Bare() {
			// One ValidationError raised on its own: its str, no "\n".
			r = strings.TrimSuffix(r, "\n")
		}
		return &RPCError{Code: CodeInvalidParams, Message: "Invalid params", Data: &ErrorData{
			Error: int(account.EINVAL), Errname: account.EINVAL.Name(), Reason: r,
			Trace: json.RawMessage("null"), Extra: xb}}
	case errors.As(err, &se):
		// CORE's schema Error (main.py:165 at TN-13.3-U1.2): errno EINVAL,
		// the reason its str(), "[attribute] message"; the class in the
		// traceback tells DDP's FromRPC to send it as that exception.
		re := rpcCallError(account.EINVAL, se.Error())
		re.Data.Trace = json.RawMessage(`{"class":"` + SchemaErrorClass + `"}`)
		return re
	case errors.As(err, &ce):
		return rpcCallError(ce.Errno, ce.Error())
	}
	return rpcCallError(account.EFAULT, fmt.Sprintf("[%s] %s", account.EFAULT.Name(), err.Error()))
}

// SchemaErrorClass is the class of CORE's schema Error
// (middlewared.schema.Error).
const SchemaErrorClass = "Error"

func rpcCallError(errno account.Errno, reason string) *RPCError {
	return &RPCError{Code: CodeCallError, Message: "Method call error", Data: &ErrorData{
		Error: int(errno), Errname: errno.Name(), Reason: reason,
		Trace: json.RawMessage("null"), Extra: json.RawMessage("null")}}
}

// NotAuthorized is TrueNAS's refusal of a method the caller's roles do not
// allow (main.py authorize_method_call, TS-25.10.6, line 925).
func NotAuthorized() *RPCError {
	return rpcCallError(account.EACCES, "[EACCES] Not authorized")
}

// ENOTAUTHENTICATED is TrueNAS's errno for a call on a connection that did
// not authenticate (truenas_api_client/exc.py ErrnoMixin).
const ENOTAUTHENTICATED = 207

// NotAuthenticated is TrueNAS's refusal of a call on a connection that did
// not authenticate (main.py authorize_method_call, line 911): on the unix
// socket, a local user that TrueNAS does not know or that has no privilege
// (plugins/auth.py check_permission).
func NotAuthenticated() *RPCError {
	return &RPCError{Code: CodeCallError, Message: "Method call error", Data: &ErrorData{
		Error: ENOTAUTHENTICATED, Errname: "ENOTAUTHENTICATED", Reason: "[ENOTAUTHENTICATED] Not authenticated",
		Trace: json.RawMessage("null"), Extra: json.RawMessage("null")}}
}

// AsError turns an error received from the server back into the typed
// error the midclt path gives for the same failure (see ParseError):
//
//   - "Invalid params" with a list of [attribute, message, errno] in extra:
//     account.Errors (a null attribute read as "");
//   - a TrueNAS call error: *account.CallError with the reason's message
//     (without its "[ERRNAME] " prefix) and the errno named by errname
//     (unknown names give EINVAL, as ParseError does);
//   - "Method does not exist": *account.CallError EINVAL, as the engine's
//     midclt prints it;
//   - anything else: a plain error with the server's message.
func (e *RPCError) AsError() error {
	if e.Data != nil {
		if e.Code == CodeInvalidParams || e.Code == CodeCallError {
			if es := extraErrors(e.Data.Extra); len(es) > 0 {
				return es
			}
		}
		if e.Code == CodeCallError || e.Code == CodeInvalidParams {
			reason := strings.TrimSpace(e.Data.Reason)
			name := e.Data.Errname
			if m := callLine.FindStringSubmatch(reason); m != nil {
				reason = m[2]
				if name == "" {
					name = m[1]
				}
			}
			if reason == "" {
				reason = e.Message
			}
			return &account.CallError{Errno: account.ErrnoByName(name), Message: reason}
		}
	}
	if e.Code == CodeMethodNotFound {
		return &account.CallError{Errno: account.EINVAL, Message: e.Message}
	}
	msg := e.Message
	if msg == "" {
		msg = fmt.Sprintf("JSON-RPC error %d", e.Code)
	}
	return errors.New(msg)
}

// extraErrors reads extra as [[attribute, message, errno], ...]; nil when
// it is not that shape.
func extraErrors(raw json.RawMessage) account.Errors {
	var rows [][]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &rows) != nil || len(rows) == 0 {
		return nil
	}
	var es account.Errors
	for _, r := range rows {
		if len(r) != 3 {
			return nil
		}
		var attr *string
		var msg string
		var errno int
		if json.Unmarshal(r[0], &attr) != nil || json.Unmarshal(r[1], &msg) != nil || json.Unmarshal(r[2], &errno) != nil {
			return nil
		}
		a := ""
		if attr != nil {
			a = *attr
		}
		// Through the errno's name, as the midclt path does.
		es.Add(a, msg, account.ErrnoByName(account.Errno(errno).Name()))
	}
	return es
}
