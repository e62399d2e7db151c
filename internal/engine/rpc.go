package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/nasops/terraform-provider-truenas/internal/account"
	boxpkg "github.com/nasops/terraform-provider-truenas/internal/box"
	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// Caller is who is on the other end of a connection: a local user known by
// uid (the peer credentials of a unix socket) or by name (an SSH user).
// Root (uid 0 or the name "root") may call everything.
type Caller struct {
	UID      int64  // used when Username is empty
	Username string // takes precedence over UID
}

func (c Caller) isRoot() bool {
	if c.Username != "" {
		return c.Username == "root"
	}
	return c.UID == 0
}

func (c Caller) String() string {
	if c.Username != "" {
		return c.Username
	}
	return fmt.Sprintf("uid %d", c.UID)
}

type callerKey struct{}

// WithCaller returns ctx carrying the caller of a connection, for Handler.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// Session is one connection: its caller is fixed (the peer's credentials)
// but what the caller may do is read from the store again at every call
// (refresh), as TrueNAS decides it for a unix socket peer (plugins/auth.py
// check_permission, TS-25.10.6, lines 1302-1339): root is a full
// administrator; another local user is logged in with the roles of its
// privileges, through its groups; a user TrueNAS does not know, or one
// without any privilege, is not authenticated. So deleting or demoting a
// user, changing its groups or a privilege takes effect on the next call
// of every open session.
type Session struct {
	e      *Engine
	caller Caller
	// mu guards what a login on the connection changes (session_auth.go)
	// and what refresh reads again at every call.
	mu    sync.Mutex
	root  bool
	known bool // a caller was given (a session without one is anonymous)
	// login is the user a login on the connection made it (auth.login*),
	// "" for the peer itself; loginKey the API key it logged in with (0:
	// a password). refresh checks them again at every call.
	login         string
	loginKey      int64
	authenticated bool
	username      string // the store user the caller is ("" for root)
	roles         []string
	conn          connState // session_auth.go
}

// sessionUser is who runs a call that came through a Session, for the rules
// that depend on the caller (api_key_privilege_check). A call without one
// (root's session, Engine.Call from the command line, which runs as root)
// is internal, as TrueNAS's app=None.
type sessionUser struct {
	peer     string // the caller: its uid, or its SSH name
	username string
	roles    []string
}

type sessionUserKey struct{}

// callerOf returns the user a call runs for, or ok false when it is
// internal (root).
func callerOf(ctx context.Context) (sessionUser, bool) {
	u, ok := ctx.Value(sessionUserKey{}).(sessionUser)
	return u, ok
}

// Login authenticates caller on the engine.
func (e *Engine) Login(ctx context.Context, caller Caller) (*Session, error) {
	s := &Session{e: e, caller: caller, known: true}
	if caller.isRoot() {
		s.root, s.authenticated = true, true
		return s, nil
	}
	if _, err := s.refresh(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// refresh reads the caller's user and roles from the store and the box as
// they are now, and returns them.
func (s *Session) refresh(ctx context.Context) (sessionUser, error) {
	su := sessionUser{peer: s.caller.String()}
	s.mu.Lock()
	known, login, key, loggedOut := s.known, s.login, s.loginKey, s.conn.loggedOut
	s.mu.Unlock()
	unauth := func() (sessionUser, error) {
		s.mu.Lock()
		s.root, s.roles, s.username, s.authenticated = false, nil, "", false
		s.mu.Unlock()
		return su, nil
	}
	if !known || (loggedOut && login == "") {
		return unauth()
	}
	caller := s.caller
	if login != "" {
		caller = Caller{Username: login} // who the connection logged in as
	}
	if caller.isRoot() && key == 0 {
		// A root peer, or a login as root with its password.
		s.mu.Lock()
		s.root, s.authenticated = true, true
		s.mu.Unlock()
		return su, nil
	}
	e := s.e
	var found, keyOK bool
	_, err := e.read(ctx, func(t *txn, now time.Time) (any, error) {
		box := e.newBoxView(ctx, t, now)
		var u *account.UserEntry
		if caller.Username != "" {
			// The store's user of that name (not a foreign line).
			u, found = box.user("username = ?", caller.Username)
		} else {
			u, found = e.userOfPeerUID(box, caller.UID)
		}
		keyOK = key == 0
		if found && key != 0 {
			// A login with an API key holds while the key does: deleted,
			// revoked, expired or given to another user, it ends.
			k, err := getKeyRow(ctx, t, "id = ?", key)
			if err != nil {
				return nil, err
			}
			keyOK = k != nil && k.UserID == u.ID && !k.Revoked && !(k.ExpiresAt.Valid && now.UnixMilli() >= k.ExpiresAt.Int64)
		}
		if found && keyOK && !caller.isRoot() {
			// Through the same rule the API key checks use, so that where
			// privileges come from (built-in or the store) is decided in
			// one place.
			su.roles = account.UserRoles(u, box)
			su.username = u.Username
		}
		return nil, box.err
	})
	if err != nil {
		return su, err
	}
	if !found || !keyOK {
		return unauth()
	}
	if caller.isRoot() {
		s.mu.Lock()
		s.root, s.authenticated = true, true
		s.mu.Unlock()
		return su, nil
	}
	s.mu.Lock()
	s.root, s.roles, s.username, s.authenticated = false, su.roles, su.username, len(su.roles) > 0
	s.mu.Unlock()
	return su, nil
}

// Authenticated reports whether the caller was authenticated at its last
// call (or login).
func (s *Session) Authenticated() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authenticated
}

// Root says whether the session is the root peer's, not logged out and
// not logged in as another user.
func (s *Session) Root() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.root && s.login == ""
}

// userOfPeerUID finds the store user a socket peer's uid is, as TrueNAS
// does (plugins/auth_/authenticate.py, TS-25.10.6, lines 68-118): the uid
// gives the box's account name (getpwuid: the first line of etc/passwd with
// that uid), the name gives the store's user, and the two uids must be the
// same. A uid the box's etc/passwd does not have, a foreign line (useradd,
// a package), or a built-in the engine keeps only in the store is no user:
// its peer is not authenticated, whatever store user shares its uid.
func (e *Engine) userOfPeerUID(box *boxView, uid int64) (*account.UserEntry, bool) {
	// getpwuid as glibc answers it: the ids of the lines parsed as
	// nss_files parses them (foreign.go), so "03000" is uid 3000 here too.
	l, ok := box.index(boxpkg.PasswdFile).lookupID(uid)
	if !ok {
		return nil, false
	}
	u, ok := box.user("username = ?", l.name)
	if !ok || u.UID != uid || !u.Local {
		return nil, false
	}
	return u, true
}

// Roles returns the roles the session held at its last call (nil for
// root, who needs none).
func (s *Session) Roles() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.roles
}

// Call runs one method for the session's caller. A refusal is a
// *wire.RPCError with TrueNAS's error ("Not authenticated", "Not
// authorized"); other errors are those of Engine.Call.
func (s *Session) Call(ctx context.Context, method string, args []json.RawMessage) (json.RawMessage, error) {
	if _, ok := s.e.methodTable()[method]; !ok {
		return nil, &MethodNotFoundError{Method: method}
	}
	ctx = context.WithValue(ctx, sessionKey{}, s)
	if !s.Root() {
		// The caller's rights as the store has them now, never as they
		// were when the connection was opened or logged in.
		su, err := s.refresh(ctx)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		nowRoot := s.root
		s.mu.Unlock()
		if !nowRoot {
			access, _ := account.MethodAccess(method)
			switch {
			case access == account.AccessAnyone:
			case len(su.roles) == 0:
				return nil, wire.NotAuthenticated()
			case !account.MayCall(su.roles, method):
				return nil, wire.NotAuthorized()
			}
			ctx = context.WithValue(ctx, sessionUserKey{}, su)
		}
	}
	return s.e.Call(ctx, method, args)
}

// maxConcurrentCalls is how many calls of one connection run at once; more
// are refused, as TrueNAS's SoftHardSemaphore(10, 20) does past its hard
// limit (ws_handler/rpc.py line 48).
const maxConcurrentCalls = 20

// Handler serves the middleware's JSON-RPC 2.0 websocket (TrueNAS's
// /api/current, and the versioned path of the API the engine speaks) from
// the engine. The caller comes from the request's context (WithCaller);
// without one, every call is refused as not authenticated.
func (e *Engine) Handler() http.Handler { return e.HandlerWith(HandlerOptions{}) }

// HandlerOptions tune Handler.
type HandlerOptions struct {
	// OnCall, when set, is called with each method before it runs (the
	// sandbox counts calls with it).
	OnCall func(method string)
	// AnonymousIdle closes a connection that is not authenticated after
	// that long without a message (0: DefaultAnonymousIdle).
	AnonymousIdle time.Duration
	// DDP is the dialect of the legacy websocket at /websocket (nil: the
	// release's, Release.DDP).
	DDP *wire.DDPDialect
}

// DefaultAnonymousIdle is how long a connection that is not authenticated
// may stay without sending a message.
const DefaultAnonymousIdle = time.Minute

// TrueNAS's message size limits (utils/limits.py, TS-25.10.6, MsgSizeLimit
// and MsgSizeError): a connection that is not authenticated may send 8 KiB,
// an authenticated one 64 KiB; past that the websocket is closed with these
// codes and texts (ws_handler/rpc.py lines 233-248). TrueNAS counts the
// characters of the message; the engine counts its bytes.
const (
	maxAnonymousMessage = 8192
	maxMessage          = 65536
	anonymousTooBig     = "Anonymous connection max message length is 8 kB"
	tooBig              = "Max message length is 64 kB"
)

// HandlerWith is Handler with options.
func (e *Engine) HandlerWith(opts HandlerOptions) http.Handler {
	mux := http.NewServeMux()
	limits := newAnswerLimits()
	rel := e.Release()
	serveWith := func(loop connLoop, w http.ResponseWriter, r *http.Request) {
		caller, ok := r.Context().Value(callerKey{}).(Caller)
		if ok && rel.RootPeers && !caller.isRoot() {
			// The release's socket is root's alone (Release.RootPeers):
			// every peer it lets in is root, so no other peer is let in,
			// whichever way it came (engine serve refuses it at accept,
			// the sandbox at the channel; this is the last guard).
			http.Error(w, "permission denied: the middleware socket is root's", http.StatusForbidden)
			return
		}
		var sess *Session
		if ok {
			var err error
			if sess, err = e.Login(r.Context(), caller); err != nil {
				http.Error(w, "login failed", http.StatusInternalServerError)
				return
			}
		} else {
			sess = &Session{e: e}
		}
		// A unix socket or an SSH channel has no browser Origin to check.
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
		if err != nil {
			return
		}
		idle := opts.AnonymousIdle
		if idle <= 0 {
			idle = DefaultAnonymousIdle
		}
		loop(r.Context(), c, sess, limits, opts.OnCall, idle)
	}
	serve := func(w http.ResponseWriter, r *http.Request) { serveWith(serveConn, w, r) }
	if rel.JSONRPC() {
		// CORE has no JSON-RPC: its socket answers /websocket only.
		mux.HandleFunc(wire.APIPath, serve)
		for _, p := range rel.APIPaths { // the release's versioned path (release.go)
			if p != wire.APIPath {
				mux.HandleFunc(p, serve)
			}
		}
	}
	ddp := rel.DDP
	if opts.DDP != nil {
		ddp = *opts.DDP
	}
	mux.HandleFunc(wire.DDPPath, func(w http.ResponseWriter, r *http.Request) { serveWith(ddpLoop(ddp), w, r) })
	return mux
}

// serveConn reads requests until the peer goes away; each call runs on its
// own goroutine and answers when it is done, so answers may come in another
// order than the requests (they carry the request's id).
func serveConn(ctx context.Context, c *websocket.Conn, sess *Session, limits *answerLimits, onCall func(string), anonymousIdle time.Duration) {
	defer c.CloseNow()
	// Whether the connection is anonymous is read when a message has
	// arrived, and when the idle timer fires: a login (auth.login...) or
	// auth.logout changes it (session_auth.go). The websocket reads up to
	// the authenticated limit; the engine then applies the one in force.
	// (A caller that lost its roles at its last call is anonymous too:
	// rights follow the store.)
	isAnonymous := func() bool { return !sess.Authenticated() }
	msgLimits := func() (int, websocket.StatusCode, string) {
		if isAnonymous() {
			return maxAnonymousMessage, websocket.StatusInvalidFramePayloadData, anonymousTooBig
		}
		return maxMessage, websocket.StatusMessageTooBig, tooBig
	}
	// Read one byte past the limit, so that the engine, not the websocket
	// library, tells the peer why it is closed.
	c.SetReadLimit(int64(maxMessage) + 2)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	// gone ends when the connection stops being read: calls still waiting
	// for a turn or a budget give up then (a call already running ends).
	gone, goneCancel := context.WithCancel(ctx)
	defer func() { goneCancel(); wg.Wait() }()
	slots := make(chan struct{}, maxConcurrentCalls)
	send := func(b []byte) {
		wctx, wcancel := context.WithTimeout(ctx, time.Minute)
		defer wcancel()
		if err := c.Write(wctx, websocket.MessageText, b); err != nil {
			cancel()
		}
	}
	// sendResult writes a result as it is, in one message (no copy of it
	// inside an envelope).
	sendResult := func(id, res json.RawMessage) {
		wctx, wcancel := context.WithTimeout(ctx, time.Minute)
		defer wcancel()
		if len(bytes.TrimSpace(res)) == 0 {
			res = json.RawMessage("null")
		}
		if len(bytes.TrimSpace(id)) == 0 {
			id = json.RawMessage("null")
		}
		w, err := c.Writer(wctx, websocket.MessageText)
		if err == nil {
			for _, part := range [][]byte{[]byte(`{"jsonrpc":"2.0","result":`), res, []byte(`,"id":`), id, []byte(`}`)} {
				if _, err = w.Write(part); err != nil {
					break
				}
			}
			if cerr := w.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			cancel()
		}
	}
	answers := newConnAnswers(gone, limits, sess)
	read := func() (websocket.MessageType, []byte, error) {
		rctx, rcancel := context.WithCancel(ctx)
		defer rcancel()
		if isAnonymous() {
			idle := time.AfterFunc(anonymousIdle, func() {
				if isAnonymous() {
					rcancel()
				}
			})
			defer idle.Stop()
		}
		typ, r, err := c.Reader(rctx)
		if err != nil {
			return 0, nil, err
		}
		data, err := io.ReadAll(io.LimitReader(r, int64(maxMessage)+1))
		return typ, data, err
	}
	for {
		answers.waitSent()
		typ, data, err := read()
		if err != nil {
			return
		}
		if typ != websocket.MessageText {
			c.Close(websocket.StatusUnsupportedData, "Invalid websocket message type: BINARY")
			return
		}
		if limit, status, text := msgLimits(); len(data) > limit {
			c.Close(status, text)
			return
		}
		req, rerr := parseRequest(data)
		if rerr != nil {
			if req.ID != nil || rerr.Code == wire.CodeInvalidJSON {
				send(wire.EncodeError(req.ID, rerr))
			}
			continue
		}
		select {
		case slots <- struct{}{}:
		default:
			if req.ID != nil {
				send(wire.EncodeError(req.ID, wire.NewError(wire.CodeTooManyConcurrentCall,
					fmt.Sprintf("Maximum number of concurrent calls (%d) has exceeded", maxConcurrentCalls))))
			}
			continue
		}
		if onCall != nil {
			onCall(req.Method)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			answers.answer(ctx, sess, req.Method, req.Params, req.ID != nil, 1, func(res json.RawMessage, rerr *wire.RPCError) {
				if rerr != nil {
					send(wire.EncodeError(req.ID, rerr))
				} else {
					sendResult(req.ID, res)
				}
			})
		}()
	}
}

// sessionCall runs one call of a connection. The connection-level methods
// a TrueNAS client sends (core.set_options, core.subscribe, auth.login...)
// are engine methods that find their Session in ctx (session_auth.go).
func sessionCall(ctx context.Context, sess *Session, method string, params []json.RawMessage) (json.RawMessage, error) {
	return sess.Call(ctx, method, params)
}

func rpcError(err error) *wire.RPCError {
	var re *wire.RPCError
	var mnf *MethodNotFoundError
	switch {
	case errors.As(err, &re):
		return re
	case errors.As(err, &mnf):
		return wire.NewError(wire.CodeMethodNotFound, "Method does not exist")
	}
	return wire.ErrorOf(err)
}

// parseRequest checks a message as TrueNAS's validate_message does
// (ws_handler/rpc.py lines 268-299), with its messages.
func parseRequest(data []byte) (wire.Request, *wire.RPCError) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return wire.Request{}, wire.NewError(wire.CodeInvalidJSON, err.Error())
	}
	var req wire.Request
	if id, ok := m["id"]; ok {
		t := bytes.TrimSpace(id)
		if len(t) == 0 || t[0] == '{' || t[0] == '[' || t[0] == 't' || t[0] == 'f' {
			return wire.Request{ID: json.RawMessage("null")}, wire.NewError(wire.CodeInvalidRequest, "'id' member must be of type null, string or number")
		}
		req.ID = t // null included: only a request without id is a notification
	}
	v, ok := m["jsonrpc"]
	if !ok {
		return req, wire.NewError(wire.CodeInvalidRequest, "Missing 'jsonrpc' member")
	}
	if string(bytes.TrimSpace(v)) != `"2.0"` {
		return req, wire.NewError(wire.CodeInvalidRequest, "'jsonrpc' member must be of type string and must be exactly '2.0'")
	}
	mr, ok := m["method"]
	if !ok {
		return req, wire.NewError(wire.CodeInvalidRequest, "Missing 'method' member")
	}
	if err := json.Unmarshal(mr, &req.Method); err != nil || req.Method == "" {
		return req, wire.NewError(wire.CodeInvalidRequest, "'method' member must be of type string")
	}
	if p, ok := m["params"]; ok {
		if err := json.Unmarshal(p, &req.Params); err != nil || bytes.TrimSpace(p)[0] != '[' {
			return req, wire.NewError(wire.CodeInvalidRequest, "'params' member must be of type array")
		}
	}
	return req, nil
}
