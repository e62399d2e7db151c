//go:build unix

package box

import (
	"errors"
	"sync"
)

// The box tests keep each root's Ledger in memory, and save an apply's
// final records as the engine does when it marks the apply done.
var ledgers sync.Map // root -> *MemLedger

func ledgerOf(root string) *MemLedger {
	l, _ := ledgers.LoadOrStore(root, NewMemLedger())
	return l.(*MemLedger)
}

func done(root string, res *Result, err error) (*Result, error) {
	var acct *AccountErrors
	if res != nil && (err == nil || errors.As(err, &acct)) {
		_ = ledgerOf(root).Record(res.Owned)
	}
	return res, err
}

// ApplyResult is ApplyState with root's test Ledger.
func ApplyResult(root string, st State) (*Result, error) {
	res, err := ApplyState(root, st, ledgerOf(root))
	return done(root, res, err)
}

// ApplyChange is ApplyDelta with root's test Ledger.
func ApplyChange(root string, c Change) (*Result, error) {
	res, err := ApplyDelta(root, c, ledgerOf(root))
	return done(root, res, err)
}

func Apply(root string, st State) error {
	_, err := ApplyResult(root, st)
	return err
}

// manifest is a copy of root's Ledger records.
type manifest struct {
	Users  map[string]OwnedUser
	Groups map[string]OwnedGroup
}

type userRec = OwnedUser

func readManifest(root string) (*manifest, error) {
	l := ledgerOf(root)
	u, _ := l.Users(nil)
	g, _ := l.Groups(nil)
	return &manifest{Users: u, Groups: g}, nil
}

// write replaces root's Ledger records with m's.
func (m *manifest) write(root string) error {
	l := NewMemLedger()
	for n, r := range m.Users {
		l.Owned[n] = r
	}
	for n, r := range m.Groups {
		l.Gr[n] = r
	}
	ledgers.Store(root, l)
	return nil
}
