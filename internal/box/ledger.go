package box

// Ledger is the record of what the engine owns on the box: the names
// whose lines it wrote, the homes where it may have written .ssh, and the
// owner and mode it last gave each home. Apply reads ownership from it,
// never from the box (a line whose name the Ledger lacks is foreign), and
// writes through it the one thing that must be durable before the box
// files change: the intent, every name owned before or after the apply.
// The final records come back in Result.Owned for the caller to save,
// together with whatever else marks the apply done (the engine: the
// generation the box now shows, in the same SQLite transaction).
type Ledger interface {
	// Users and Groups are the records of the given names (of every
	// owned name when names is nil); a name not owned is absent.
	Users(names []string) (map[string]OwnedUser, error)
	Groups(names []string) (map[string]OwnedGroup, error)
	// UserCount is the number of owned users.
	UserCount() (int, error)
	// HomeInUse says whether home is the current home (the last of
	// Homes) of an owned user not in skip.
	HomeInUse(home string, skip map[string]bool) (bool, error)
	// Record saves the edits durably before it returns (an apply's
	// intent: the box files are written after it).
	Record(e Edits) error
}

// OwnedUser is the Ledger's record of a user.
type OwnedUser struct {
	// Homes are the homes where the engine may have written .ssh; the last
	// one is the current home. Usually one entry.
	Homes []string `json:"homes,omitempty"`
	// Perm is the owner and mode last applied to the current home; nil
	// when not applied yet (or unknown), which makes Apply apply them.
	Perm *HomePerm `json:"perm,omitempty"`
}

// CurrentHome is the last of Homes, "" when there is none.
func (u OwnedUser) CurrentHome() string {
	if len(u.Homes) == 0 {
		return ""
	}
	return u.Homes[len(u.Homes)-1]
}

// HomePerm is what Apply last gave a home.
type HomePerm struct {
	Home string `json:"home"`
	UID  int64  `json:"uid"`
	GID  int64  `json:"gid"`
	Mode uint32 `json:"mode"`
}

// OwnedGroup is the Ledger's record of a group.
type OwnedGroup struct {
	// MembersOnly marks a foreign group line (one the engine did not write)
	// whose member field the engine manages. The line itself is never
	// removed; when the group leaves the State its record is dropped and
	// the line stays as it is.
	MembersOnly bool `json:"members_only,omitempty"`
}

// Edits are changes of Ledger records: a nil record removes the name.
type Edits struct {
	Users  map[string]*OwnedUser
	Groups map[string]*OwnedGroup
}

func newEdits() Edits {
	return Edits{Users: map[string]*OwnedUser{}, Groups: map[string]*OwnedGroup{}}
}

func (e Edits) empty() bool { return len(e.Users)+len(e.Groups) == 0 }

// MemLedger is a Ledger held in memory: for tests, and for reading the
// records of an older engine (ReadLegacyOwned).
type MemLedger struct {
	Owned map[string]OwnedUser
	Gr    map[string]OwnedGroup
}

// NewMemLedger is an empty MemLedger.
func NewMemLedger() *MemLedger {
	return &MemLedger{Owned: map[string]OwnedUser{}, Gr: map[string]OwnedGroup{}}
}

func (m *MemLedger) Users(names []string) (map[string]OwnedUser, error) {
	out := map[string]OwnedUser{}
	if names == nil {
		for n, r := range m.Owned {
			out[n] = r
		}
		return out, nil
	}
	for _, n := range names {
		if r, ok := m.Owned[n]; ok {
			out[n] = r
		}
	}
	return out, nil
}

func (m *MemLedger) Groups(names []string) (map[string]OwnedGroup, error) {
	out := map[string]OwnedGroup{}
	if names == nil {
		for n, r := range m.Gr {
			out[n] = r
		}
		return out, nil
	}
	for _, n := range names {
		if r, ok := m.Gr[n]; ok {
			out[n] = r
		}
	}
	return out, nil
}

func (m *MemLedger) UserCount() (int, error) { return len(m.Owned), nil }

func (m *MemLedger) HomeInUse(home string, skip map[string]bool) (bool, error) {
	for n, r := range m.Owned {
		if !skip[n] && r.CurrentHome() == home {
			return true, nil
		}
	}
	return false, nil
}

func (m *MemLedger) Record(e Edits) error {
	for n, r := range e.Users {
		if r == nil {
			delete(m.Owned, n)
		} else {
			m.Owned[n] = *r
		}
	}
	for n, r := range e.Groups {
		if r == nil {
			delete(m.Gr, n)
		} else {
			m.Gr[n] = *r
		}
	}
	return nil
}
