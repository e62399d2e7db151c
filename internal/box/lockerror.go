package box

import (
	"fmt"
	"strconv"
	"time"
)

// LockTimeout is how long taking the account files' locks may wait for
// another tool (shadow-utils' useradd, usermod, passwd, ...) to release
// them: shadow-utils itself tries 15 times a second apart, and glibc's
// lckpwdf waits 15 seconds.
var LockTimeout = 15 * time.Second

// LockError says which lock another program held for longer than
// LockTimeout. Nothing was changed.
type LockError struct {
	Lock   string // the lock, relative to the root ("etc/shadow.lock")
	PID    int    // the process that holds it, when known (0: unknown)
	Reason string // why it could not be taken, for a lock that is not a live process's
	Wait   time.Duration
}

func (e *LockError) Error() string {
	holder := ""
	switch {
	case e.Reason != "":
		holder = " (" + e.Reason + ")"
	case e.PID > 0:
		holder = " by process " + strconv.Itoa(e.PID)
	}
	return fmt.Sprintf("box: the lock /%s was held%s for more than %s by another program changing the account files; nothing was changed, try again once it is done",
		e.Lock, holder, e.Wait)
}
