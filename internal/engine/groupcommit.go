package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/nasops/terraform-provider-truenas/internal/account"
	"github.com/nasops/terraform-provider-truenas/internal/box"
)

// Group commit: concurrent changes of the box (Terraform makes 10 at a
// time) share one apply. A call queues its change; the first caller
// with no group at work leads: it takes the box's locks, commits every
// queued change in its own transaction (each with its own result and
// errors, in queue order), brings the box in line once for all of them
// (one rendering of the account files, one set of fsyncs), releases the
// locks and hands the lead to the first change queued meanwhile. A
// follower waits for its result, or for the lead.

// writeGroup is an engine's queue of changes of the box.
type writeGroup struct {
	mu      sync.Mutex
	queue   []*groupWrite
	leading bool // a caller leads: new changes only queue
}

// groupWrite is one queued change and, once done, its result.
type groupWrite struct {
	ctx     context.Context
	fn      func(t *txn, now time.Time) (any, error)
	v       any
	err     error
	touched []dirtyName
	saved   bool
	wake    chan bool // true: lead the group; false: the result is in
}

func (e *Engine) writeGrouped(ctx context.Context, fn func(t *txn, now time.Time) (any, error)) (any, error) {
	w := &groupWrite{ctx: ctx, fn: fn, wake: make(chan bool, 1)}
	g := &e.group
	g.mu.Lock()
	g.queue = append(g.queue, w)
	lead := !g.leading
	g.leading = true
	g.mu.Unlock()
	if lead || <-w.wake {
		e.leadGroup()
	}
	return w.v, w.err
}

// leadGroup commits and applies every queued change, then hands the lead
// to a change queued meanwhile or ends the group.
func (e *Engine) leadGroup() {
	g := &e.group
	g.mu.Lock()
	batch := g.queue
	g.queue = nil
	g.mu.Unlock()
	e.applyGroup(batch)
	g.mu.Lock()
	var next *groupWrite
	if len(g.queue) > 0 {
		next = g.queue[0]
	} else {
		g.leading = false
	}
	g.mu.Unlock()
	if next != nil {
		next.wake <- true
	}
	// The leader is in its batch too: its channel is buffered, unread.
	for _, w := range batch {
		w.wake <- false
	}
}

// applyGroup commits the changes of batch under the box's locks and
// brings the box in line once.
func (e *Engine) applyGroup(batch []*groupWrite) {
	unlock, err := box.Lock(e.root)
	if err != nil {
		err = boxLockErr(err)
		for _, w := range batch {
			w.err = err
		}
		return
	}
	defer unlock()
	var ctx context.Context
	for _, w := range batch {
		w.v, w.touched, w.err = e.commitGuarded(w)
		if w.err == nil {
			w.saved = true
			if ctx == nil {
				ctx = context.WithoutCancel(w.ctx)
			}
		}
	}
	if ctx == nil {
		return // nothing saved: nothing to apply
	}
	serr := e.syncBoxLocked(ctx, false, unlock)
	for _, w := range batch {
		if w.saved {
			if err := boxErrFor(serr, w.touched); err != nil {
				w.v, w.err = nil, err
			}
		}
	}
}

// commitGuarded is commitWrite for a queued change: a panic in it fails
// that change only, never the group waiting on its leader.
func (e *Engine) commitGuarded(w *groupWrite) (v any, touched []dirtyName, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, touched, err = nil, nil, account.NewCallError(account.EFAULT, "internal error: %v", fmt.Sprint(r))
		}
	}()
	return e.commitWrite(w.ctx, true, w.fn)
}
