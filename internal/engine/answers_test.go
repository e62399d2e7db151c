package engine

import (
	"context"
	"testing"
	"time"
)

// A caller whose answers wait (its budget full, its peer not reading)
// holds its own turn only: another caller builds and reserves meanwhile;
// the first goes on once its bytes are given back.
func TestAnswerLimitsOneCallerBlocksNoOther(t *testing.T) {
	l := newAnswerLimits()
	ctx := context.Background()
	a, endSharedA, endA, err := l.turn(ctx, "uid 1000")
	if err != nil {
		t.Fatal(err)
	}
	freeA, err := l.reserve(ctx, a, maxWaitingPerCaller) // full
	if err != nil {
		t.Fatal(err)
	}
	endA()
	a2, endSharedA2, endA2, err := l.turn(ctx, "uid 1000")
	if err != nil {
		t.Fatal(err)
	}
	endSharedA2()
	got := make(chan func(), 1)
	go func() {
		f, _ := l.reserve(ctx, a2, 1<<20) // waits: uid 1000 is at its budget
		got <- f
	}()
	// uid 1000 waits holding its own turn; uid 1001 builds and answers.
	for i := range maxBuilds + 1 {
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		b, endSharedB, endB, err := l.turn(wctx, "uid 1001")
		if err != nil {
			t.Fatalf("turn %d of another caller: %v", i, err)
		}
		endSharedB()
		free, err := l.reserve(wctx, b, 1<<20)
		cancel()
		if err != nil {
			t.Fatalf("reserve %d of another caller: %v", i, err)
		}
		endB()
		free()
	}
	select {
	case <-got:
		t.Fatal("uid 1000 reserved past its budget")
	case <-time.After(100 * time.Millisecond):
	}
	// Its own next call waits for its turn.
	wctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	if _, _, _, err := l.turn(wctx, "uid 1000"); err == nil {
		t.Fatal("uid 1000 got a second turn while one waits")
	}
	cancel()
	freeA()
	select {
	case f := <-got:
		f()
	case <-time.After(5 * time.Second):
		t.Fatal("uid 1000 still waits after its bytes were given back")
	}
	endA2()
	_ = endSharedA
	if len(l.callers) != 0 || l.waiting != 0 {
		t.Fatalf("left: %d callers, %d bytes", len(l.callers), l.waiting)
	}
}
