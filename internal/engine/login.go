package engine

import (
	"context"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"
)

// loginGuard makes auth.login_ex, which every local user may call, cost a
// socket peer what PAM costs TrueNAS's: pam_unix (used without nodelay)
// waits about 2 s after a failure. A peer's attempts run one at a time,
// whatever number of connections or calls in flight it has, and each
// failure holds its turn for the delay; so a peer guesses at most about
// one secret every 2 s. Root and the command line (internal calls) are not
// delayed.
type loginGuard struct {
	mu    sync.Mutex
	peers map[string]*peerTurn
	// delay is how long a failure waits (injectable for tests).
	delay func() time.Duration
}

type peerTurn struct {
	ch    chan struct{} // holds one token while the peer has its turn
	users int           // callers holding or waiting for the turn
}

func newLoginGuard() *loginGuard {
	return &loginGuard{peers: map[string]*peerTurn{}, delay: pamFailDelay}
}

// pamFailDelay is a randomised delay of pam_unix's order: 1.5 to 2.5 s.
func pamFailDelay() time.Duration {
	return 1500*time.Millisecond + rand.N(time.Second)
}

// lock waits for peer's turn (or ctx's end) and returns its release.
func (g *loginGuard) lock(ctx context.Context, peer string) (func(), error) {
	g.mu.Lock()
	p := g.peers[peer]
	if p == nil {
		p = &peerTurn{ch: make(chan struct{}, 1)}
		g.peers[peer] = p
	}
	p.users++
	g.mu.Unlock()
	done := func() {
		g.mu.Lock()
		if p.users--; p.users == 0 {
			delete(g.peers, peer)
		}
		g.mu.Unlock()
	}
	select {
	case p.ch <- struct{}{}:
		return func() { <-p.ch; done() }, nil
	case <-ctx.Done():
		done()
		return nil, ctx.Err()
	}
}

// failed waits the failure delay (or until ctx ends).
func (g *loginGuard) failed(ctx context.Context) {
	t := time.NewTimer(g.delay())
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// hashSlots bounds the slow hash checks running at once to the CPUs, so
// that logins cannot take every core from the engine's other calls.
var hashSlots = make(chan struct{}, max(1, runtime.NumCPU()))

// hashing runs the check fn in a hash slot.
func (e *Engine) hashing(ctx context.Context, fn func()) error {
	select {
	case hashSlots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-hashSlots }()
	fn()
	return nil
}
