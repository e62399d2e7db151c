package engine

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/nasops/terraform-provider-truenas/internal/wire"
)

// Memory per caller is bounded: a local user (any uid, its connections
// capped by Serve) sends requests whose answers it never reads. Every call
// of a caller other than root
//
//   - is built while holding one of the caller's build turns (one at a
//     time per caller) and one of the few turns shared by every caller, so
//     that at most maxBuilds answers are being built at once;
//   - keeps its own turn (not the shared one) until its answer's bytes fit
//     in the caller's and the shared budget of answers waiting to be sent
//     (maxWaitingPerCaller, maxWaiting), and holds those bytes until the
//     answer is written;
//
// and a connection reads no further request while one of its answers is
// unsent (serveConn). So the answers a caller has waiting are bounded by
// its budget plus one answer, and all callers' by the shared budget plus
// one answer per caller and maxBuilds being built, whatever number of
// connections and calls they open (and callers are bounded by Serve's
// connection caps).
// Root is not held: it is the administrator of the box.
const (
	maxBuilds           = 2
	maxWaitingPerCaller = 24 << 20
	maxWaiting          = 64 << 20
)

// answerLimits are the turns and budgets of one handler.
type answerLimits struct {
	builds chan struct{}

	mu      sync.Mutex
	changed chan struct{} // closed and replaced when bytes are given back
	waiting int
	callers map[string]*callerAnswers
}

type callerAnswers struct {
	key     string
	build   chan struct{} // the caller's one build turn
	waiting int
	users   int
}

func newAnswerLimits() *answerLimits {
	return &answerLimits{builds: make(chan struct{}, maxBuilds), changed: make(chan struct{}), callers: map[string]*callerAnswers{}}
}

// turn waits for a build turn of caller and returns the caller's state,
// the release of the shared turn (once the answer is built: waiting for
// the budget holds only the caller's own turn, so that a caller who never
// reads blocks no other) and the release of the whole turn.
func (l *answerLimits) turn(ctx context.Context, caller string) (*callerAnswers, func(), func(), error) {
	l.mu.Lock()
	c := l.callers[caller]
	if c == nil {
		c = &callerAnswers{key: caller, build: make(chan struct{}, 1)}
		l.callers[caller] = c
	}
	c.users++
	l.mu.Unlock()
	done := func() {
		l.mu.Lock()
		if c.users--; c.users == 0 && c.waiting == 0 {
			delete(l.callers, caller)
		}
		l.mu.Unlock()
	}
	select {
	case c.build <- struct{}{}:
	case <-ctx.Done():
		done()
		return nil, nil, nil, ctx.Err()
	}
	select {
	case l.builds <- struct{}{}:
	case <-ctx.Done():
		<-c.build
		done()
		return nil, nil, nil, ctx.Err()
	}
	var shared sync.Once
	endShared := func() { shared.Do(func() { <-l.builds }) }
	return c, endShared, func() { endShared(); <-c.build; done() }, nil
}

// reserve waits until n more bytes of c's answers fit the budgets (an
// answer larger than a budget fits when nothing else waits) and returns
// their release.
func (l *answerLimits) reserve(ctx context.Context, c *callerAnswers, n int) (func(), error) {
	for {
		l.mu.Lock()
		if (c.waiting == 0 || c.waiting+n <= maxWaitingPerCaller) && (l.waiting == 0 || l.waiting+n <= maxWaiting) {
			c.waiting += n
			l.waiting += n
			c.users++ // kept until the bytes are given back
			l.mu.Unlock()
			var once sync.Once
			return func() {
				once.Do(func() {
					l.mu.Lock()
					c.waiting -= n
					l.waiting -= n
					if c.users--; c.users == 0 && c.waiting == 0 {
						delete(l.callers, c.key)
					}
					close(l.changed)
					l.changed = make(chan struct{})
					l.mu.Unlock()
				})
			}, nil
		}
		ch := l.changed
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// connAnswers bounds the answers of one connection: its calls take the
// caller's turns and budgets (answerLimits), and while one of its answers
// is unsent the connection reads no request (waitSent). Every protocol's
// loop answers through it.
type connAnswers struct {
	gone   context.Context // ends when the connection stops being read
	limits *answerLimits
	sess   *Session
	caller string

	mu     sync.Mutex
	cond   *sync.Cond
	unsent int
}

func newConnAnswers(gone context.Context, limits *answerLimits, sess *Session) *connAnswers {
	a := &connAnswers{gone: gone, limits: limits, sess: sess, caller: sess.caller.String()}
	a.cond = sync.NewCond(&a.mu)
	return a
}

// waitSent returns once no answer of the connection is waiting to be
// written.
func (a *connAnswers) waitSent() {
	a.mu.Lock()
	for a.unsent > 0 {
		a.cond.Wait()
	}
	a.mu.Unlock()
}

func (a *connAnswers) addUnsent(d int) {
	a.mu.Lock()
	a.unsent += d
	a.mu.Unlock()
	a.cond.Broadcast()
}

// answer runs one call (callOnConn) and, when it has an id (reply), hands
// its result or error to write, within the caller's turns and budgets
// (root is not held). copies is how many times write holds the result's
// bytes at once (1 when it writes them as they are).
func (a *connAnswers) answer(ctx context.Context, sess *Session, method string, params []json.RawMessage, reply bool, copies int,
	write func(json.RawMessage, *wire.RPCError)) {
	if sess.root {
		res, rerr := callOnConn(ctx, sess, method, params)
		if reply {
			write(res, rerr)
		}
		return
	}
	ca, endShared, endTurn, err := a.limits.turn(a.gone, a.caller)
	if err != nil {
		return // the connection is gone
	}
	res, rerr := callOnConn(ctx, sess, method, params)
	endShared()
	if !reply {
		endTurn()
		return // a notification
	}
	size := copies*len(res) + 256
	if rerr != nil {
		size += 2 * len(rerr.Message)
		if rerr.Data != nil {
			size += 4 * len(rerr.Data.Reason) // the reason and the extra list
		}
	}
	free, err := a.limits.reserve(a.gone, ca, size)
	endTurn()
	if err != nil {
		return
	}
	a.addUnsent(1)
	write(res, rerr)
	res = nil
	free()
	a.addUnsent(-1)
}
