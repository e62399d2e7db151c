package engine

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// The legacy DDP websocket at /websocket (wire/ddp.go): CORE 13.3's only
// protocol, served beside JSON-RPC by TrueNAS 25.10 and 26.0. It is another
// envelope around the same calls: a connection logs in as the JSON-RPC one
// does (HandlerWith), every call goes through callOnConn, the one path of
// a websocket call (authorisation by the caller's roles, the engine's
// result or its error), and the same message, idle and concurrency limits
// apply.

// callOnConn runs one call that came on a websocket, whatever its protocol:
// the session's authorisation and the engine's method, with the error the
// JSON-RPC protocol sends for a failure. Every protocol answers from what
// this returns, so that a guard on the call or its result applies to all.
func callOnConn(ctx context.Context, sess *Session, method string, params []json.RawMessage) (json.RawMessage, *wire.RPCError) {
	res, err := sessionCall(ctx, sess, method, params)
	if err != nil {
		return nil, rpcError(err)
	}
	return res, nil
}

// hasService tells whether the engine has a method of service (the
// "Service 'x' not found" / "Method 'y' not found in 'x'" distinction).
func hasService(table map[string]method, service string) bool {
	if service == "core" {
		return true // core.set_options, core.ping (sessionCall)
	}
	for m := range table {
		if strings.HasPrefix(m, service+".") && !strings.Contains(m[len(service)+1:], ".") {
			return true
		}
	}
	return false
}

// ddpSessionID is a random UUID (version 4), as the servers' session ids.
func ddpSessionID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// connLoop is what serves one accepted websocket.
type connLoop func(ctx context.Context, c *websocket.Conn, sess *Session, limits *answerLimits, onCall func(string), anonymousIdle time.Duration)

// ddpLoop serves the legacy protocol in dialect d on one connection,
// answering as TrueNAS's WebSocketApplication.on_message does (CORE:
// Application.on_message):
//
//   - connect with version "1": connected and a session id; another
//     version, or any message before connect: failed;
//   - method: its result or error (the same errors as JSON-RPC's, in this
//     protocol's shape); without "method": "Message is malformed"; params
//     that are not a list: "`params` must be a list."; a call without id
//     runs and is not answered;
//   - ping: pong in the dialects that answer it;
//   - sub: ready for a caller that may subscribe (the engine has no event
//     sources, so no event ever follows), else the dialect's refusal;
//   - unsub and anything else: no answer.
//
// A message that is not a JSON object closes the websocket with 1007 and
// the parser's text, one without "msg" with 1011 "'msg'" (the KeyError
// TrueNAS closes with), a binary message with 1003.
func ddpLoop(d wire.DDPDialect) connLoop {
	return func(ctx context.Context, c *websocket.Conn, sess *Session, limits *answerLimits, onCall func(string), anonymousIdle time.Duration) {
		defer c.CloseNow()
		// Whether the connection is anonymous (its limits, its idle time,
		// what "sub" answers) follows the session's last call, as on the
		// JSON-RPC websocket: rights follow the store.
		var authenticated bool
		var limit int
		var status websocket.StatusCode
		var text string
		setMode := func() {
			authenticated = sess.Authenticated()
			limit, status, text = maxMessage, websocket.StatusMessageTooBig, tooBig
			if !authenticated {
				limit, status, text = maxAnonymousMessage, websocket.StatusInvalidFramePayloadData, anonymousTooBig
			}
			c.SetReadLimit(int64(limit) + 2)
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var wg sync.WaitGroup
		gone, goneCancel := context.WithCancel(ctx)
		defer func() { goneCancel(); wg.Wait() }()
		answers := newConnAnswers(gone, limits, sess)
		slots := make(chan struct{}, maxConcurrentCalls)
		send := func(b []byte) {
			wctx, wcancel := context.WithTimeout(ctx, time.Minute)
			defer wcancel()
			if err := c.Write(wctx, websocket.MessageText, b); err != nil {
				cancel()
			}
		}
		read := func() (websocket.MessageType, []byte, error) {
			rctx := ctx
			if !authenticated {
				var rcancel context.CancelFunc
				rctx, rcancel = context.WithTimeout(ctx, anonymousIdle)
				defer rcancel()
			}
			typ, r, err := c.Reader(rctx)
			if err != nil {
				return 0, nil, err
			}
			data, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
			return typ, data, err
		}
		handshake := false
		for {
			answers.waitSent()
			setMode()
			typ, data, err := read()
			if err != nil {
				return
			}
			if len(data) > maxAnonymousMessage && !sess.Authenticated() {
				setMode() // the session lost its roles while this came
			}
			if typ != websocket.MessageText {
				c.Close(websocket.StatusUnsupportedData, "Invalid websocket message type: BINARY")
				return
			}
			if len(data) > limit {
				c.Close(status, text)
				return
			}
			m, err := wire.ParseDDP(data)
			if err != nil {
				c.Close(websocket.StatusInvalidFramePayloadData, closeText(err.Error()))
				return
			}
			if !m.HasMsg {
				c.Close(websocket.StatusInternalError, "'msg'")
				return
			}
			if m.Msg == "connect" {
				if m.Version != wire.DDPVersion {
					send(wire.EncodeDDPFailed())
					continue
				}
				handshake = true
				send(wire.EncodeDDPConnected(ddpSessionID()))
				continue
			}
			if !handshake {
				send(wire.EncodeDDPFailed())
				continue
			}
			switch m.Msg {
			case "method":
				if !m.HasMeth {
					if m.ID == nil {
						c.Close(websocket.StatusInternalError, "'id'")
						return
					}
					send(wire.EncodeDDPError(m.ID, d.Malformed()))
					continue
				}
				params, ok := ddpParams(m.Params)
				if !ok {
					if m.ID != nil {
						send(wire.EncodeDDPError(m.ID, d.ParamsNotList()))
					}
					continue
				}
				select {
				case slots <- struct{}{}:
				default:
					if m.ID != nil {
						send(wire.EncodeDDPError(m.ID, d.TooManyCalls(maxConcurrentCalls)))
					}
					continue
				}
				if onCall != nil {
					onCall(m.Method)
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() { <-slots }()
					// The DDP envelope is a copy of the result.
					answers.answer(ctx, sess, m.Method, params, m.ID != nil, 2, func(res json.RawMessage, rerr *wire.RPCError) {
						if rerr != nil {
							send(wire.EncodeDDPError(m.ID, ddpError(d, sess.e.methodTable(), m.Method, rerr)))
							return
						}
						send(wire.EncodeDDPResult(m.ID, res))
					})
				}()
			case "ping":
				if d.Pong {
					send(wire.EncodeDDPPong(m.ID))
				}
			case "sub":
				if m.ID == nil {
					c.Close(websocket.StatusInternalError, "'id'")
					return
				}
				switch {
				case sess.Root() || (d.PlainAuthError && authenticated):
					// CORE lets any authenticated connection subscribe;
					// SCALE checks the SUBSCRIBE role, which here only root
					// is taken to hold. Who the connection was at connect
					// decides (the engine has no events to send anyway).
					send(wire.EncodeDDPReady(m.ID))
				case d.PlainAuthError:
					send(wire.EncodeDDPError(m.ID, d.NotAuthenticated()))
				default:
					send(wire.EncodeDDPError(m.ID, d.NotAuthorized()))
				}
			}
		}
	}
}

// ddpError is the legacy protocol's error for what callOnConn returned:
// the method lookup's own texts for a method the engine does not have,
// the JSON-RPC error in this protocol's shape otherwise.
func ddpError(d wire.DDPDialect, table map[string]method, method string, re *wire.RPCError) *wire.DDPError {
	if re.Code == wire.CodeMethodNotFound {
		return d.MethodNotFound(method, func(service string) bool { return hasService(table, service) })
	}
	return d.FromRPC(re)
}

// ddpParams reads a method's params as TrueNAS does (`message.get("params")
// or []`): absent or any false value (null, false, 0, "", {}, []) is no
// argument; a list is the arguments; anything else is refused.
func ddpParams(raw json.RawMessage) ([]json.RawMessage, bool) {
	if len(raw) == 0 {
		return nil, true
	}
	switch string(raw) {
	case "null", "false", "0", `""`, "{}", "[]":
		return nil, true
	}
	if raw[0] != '[' {
		var v any
		if json.Unmarshal(raw, &v) == nil {
			switch x := v.(type) {
			case float64:
				if x == 0 {
					return nil, true
				}
			case map[string]any:
				if len(x) == 0 {
					return nil, true
				}
			}
		}
		return nil, false
	}
	var ps []json.RawMessage
	if json.Unmarshal(raw, &ps) != nil {
		return nil, false
	}
	return ps, true
}

// closeText keeps a close reason within the 123 bytes a close frame holds.
func closeText(s string) string {
	if len(s) <= 123 {
		return s
	}
	s = s[:123]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
