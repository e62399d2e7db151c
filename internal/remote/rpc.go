package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"

	"github.com/coder/websocket"
	"golang.org/x/crypto/ssh"

	"github.com/nasops/terraform-provider-truenas/internal/account"
	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// rpcSession is one websocket to the middleware socket, over a
// direct-streamlocal channel of one SSH connection: what midclt itself
// speaks, without a process per call and with nothing on any command line.
// Calls are multiplexed by id. The protocol is JSON-RPC 2.0 (jsonrpcProto)
// or the legacy DDP (ddpProto, ddp.go); everything else is shared.
type rpcSession struct {
	ws    *websocket.Conn
	cn    *conn
	proto wsProto

	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan answer
	err     error // set once the session is gone
	done    chan struct{}
}

// answer is the outcome of one call: its result, or the server's error as
// a typed error (account.Errors, *account.CallError, or a plain error).
type answer struct {
	result json.RawMessage
	err    error
}

// wsProto is what differs between the websocket protocols: how a call is
// written, and how a message is read back as the answer to a call.
type wsProto interface {
	encode(id int64, method string, args []json.RawMessage) ([]byte, error)
	// decode reads one message; ok is false for a message that answers no
	// call (a notification, an id not ours).
	decode(data []byte) (id int64, a answer, ok bool)
}

// jsonrpcProto is JSON-RPC 2.0 at /api/current.
type jsonrpcProto struct{}

func (jsonrpcProto) encode(id int64, method string, args []json.RawMessage) ([]byte, error) {
	return json.Marshal(wire.Request{JSONRPC: "2.0", ID: json.RawMessage(strconv.FormatInt(id, 10)), Method: method, Params: args})
}

func (jsonrpcProto) decode(data []byte) (int64, answer, bool) {
	var r wire.Response
	if json.Unmarshal(data, &r) != nil {
		return 0, answer{}, false
	}
	id, err := strconv.ParseInt(string(r.ID), 10, 64)
	if err != nil {
		return 0, answer{}, false
	}
	if r.Error != nil {
		return id, answer{err: r.Error.AsError()}, true
	}
	if r.Result == nil {
		return id, answer{result: json.RawMessage("null")}, true
	}
	return id, answer{result: r.Result}, true
}

// errChannelRefused says that the SSH server would not open a channel to
// the middleware socket (forwarding off, or no socket there).
type errChannelRefused struct{ err error }

func (e *errChannelRefused) Error() string { return e.err.Error() }
func (e *errChannelRefused) Unwrap() error { return e.err }

// openRPC dials the middleware socket through cn and opens the JSON-RPC
// websocket.
func openRPC(ctx context.Context, cn *conn) (*rpcSession, error) {
	return openWS(ctx, cn, wire.Socket, wire.APIPath, jsonrpcProto{}, nil)
}

// openWS dials socket through cn, opens the websocket at path and runs
// hello (the protocol's handshake, if it has one) on it before any call.
func openWS(ctx context.Context, cn *conn, socket, path string, proto wsProto, hello func(context.Context, *websocket.Conn) error) (*rpcSession, error) {
	var refused error
	hc := &http.Client{Transport: &http.Transport{
		DialContext: func(context.Context, string, string) (net.Conn, error) {
			nc, err := cn.client.Dial("unix", socket)
			var oce *ssh.OpenChannelError
			if errors.As(err, &oce) {
				refused = err
			}
			return nc, err
		},
		DisableKeepAlives: true,
	}}
	ws, resp, err := websocket.Dial(ctx, "ws://localhost"+path, &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		switch {
		case refused != nil:
			return nil, &errChannelRefused{refused}
		case resp != nil:
			// The socket answered, but not with the websocket: not a
			// middleware we can speak to.
			return nil, &errChannelRefused{fmt.Errorf("the websocket handshake on %s failed: %s", socket, resp.Status)}
		case isClosed(cn) || ctx.Err() != nil:
			return nil, &connErr{err}
		}
		return nil, &errChannelRefused{err}
	}
	ws.SetReadLimit(64 << 20) // a query of many accounts is large
	if hello != nil {
		if err := hello(ctx, ws); err != nil {
			ws.CloseNow()
			if isClosed(cn) || ctx.Err() != nil {
				return nil, &connErr{err}
			}
			return nil, &errChannelRefused{err}
		}
	}
	s := &rpcSession{ws: ws, cn: cn, proto: proto, pending: map[int64]chan answer{}, done: make(chan struct{})}
	go s.read()
	return s, nil
}

// read delivers answers to their callers until the websocket ends.
func (s *rpcSession) read() {
	var err error
	for {
		var data []byte
		_, data, err = s.ws.Read(context.Background())
		if err != nil {
			break
		}
		id, a, ok := s.proto.decode(data)
		if !ok {
			continue // a notification, or an answer to no call of ours
		}
		s.mu.Lock()
		ch := s.pending[id]
		delete(s.pending, id)
		s.mu.Unlock()
		if ch != nil {
			ch <- a
		}
	}
	s.fail(fmt.Errorf("the middleware websocket closed: %w", err))
}

func (s *rpcSession) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return
	}
	s.err = err
	close(s.done)
	s.pending = nil
	s.ws.CloseNow()
}

func (s *rpcSession) alive() bool {
	select {
	case <-s.done:
		return false
	default:
		return !isClosed(s.cn)
	}
}

func (s *rpcSession) close() { s.fail(errors.New("closed")) }

// call sends one request and waits for its answer. started tells whether
// the request may have reached the server.
func (s *rpcSession) call(ctx context.Context, method string, args []json.RawMessage) (json.RawMessage, bool, error) {
	ch := make(chan answer, 1)
	s.mu.Lock()
	if s.err != nil {
		err := s.err
		s.mu.Unlock()
		return nil, false, &connErr{err}
	}
	s.nextID++
	id := s.nextID
	s.pending[id] = ch
	s.mu.Unlock()
	forget := func() {
		s.mu.Lock()
		if s.pending != nil {
			delete(s.pending, id)
		}
		s.mu.Unlock()
	}
	if args == nil {
		args = []json.RawMessage{}
	}
	msg, err := s.proto.encode(id, method, args)
	if err != nil {
		forget()
		return nil, false, err
	}
	if err := s.ws.Write(ctx, websocket.MessageText, msg); err != nil {
		forget()
		if ctx.Err() != nil {
			return nil, true, fmt.Errorf("%s: %w (the call may or may not have been applied)", method, ctx.Err())
		}
		s.fail(err)
		return nil, true, &connErr{err}
	}
	select {
	case a := <-ch:
		return a.result, true, a.err
	case <-s.done:
		return nil, true, &connErr{s.err}
	case <-ctx.Done():
		forget()
		return nil, true, fmt.Errorf("%s: %w (the call may or may not have been applied)", method, ctx.Err())
	}
}

// authHint explains TrueNAS's refusals on the socket, which come from the
// SSH user's TrueNAS privileges.
func authHint(err error, user, method string) error {
	var ce *account.CallError
	if !errors.As(err, &ce) {
		return err
	}
	switch ce.Message {
	case "Not authenticated":
		return &Error{Kind: Auth, Msg: fmt.Sprintf(
			"TrueNAS did not authenticate the SSH user %s on the middleware socket (%s): the user must be a local TrueNAS user in a group "+
				"with a privilege (Credentials > Groups > Privileges), for example one with the ACCOUNT_READ and ACCOUNT_WRITE roles", user, method)}
	case "Not authorized":
		return &Error{Kind: Auth, Msg: fmt.Sprintf(
			"TrueNAS refused %s to the SSH user %s: Not authorized [EACCES]; give the user's privilege the roles the method needs "+
				"(ACCOUNT_WRITE for users and groups, API_KEY_WRITE for API keys, PRIVILEGE_READ for privileges)", method, user)}
	}
	return err
}
