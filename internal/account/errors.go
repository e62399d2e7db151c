package account

import (
	"fmt"
	"strings"
)

// Errno is a POSIX error number as TrueNAS reports it next to each error.
type Errno int

// The errno values TrueNAS uses in account errors.
const (
	EPERM  Errno = 1
	ENOENT Errno = 2
	EAGAIN Errno = 11
	EACCES Errno = 13
	EFAULT Errno = 14
	EEXIST Errno = 17
	EINVAL Errno = 22
)

var errnoNames = map[Errno]string{
	EPERM:  "EPERM",
	ENOENT: "ENOENT",
	EAGAIN: "EAGAIN",
	EACCES: "EACCES",
	EFAULT: "EFAULT",
	EEXIST: "EEXIST",
	EINVAL: "EINVAL",
}

// Name returns the symbolic name ("EINVAL"), or "EUNKNOWN" as midclt prints
// numbers it does not know.
func (e Errno) Name() string {
	if n, ok := errnoNames[e]; ok {
		return n
	}
	return "EUNKNOWN"
}

// ErrnoByName is the inverse of Name; unknown names give EINVAL.
func ErrnoByName(name string) Errno {
	for k, v := range errnoNames {
		if v == name {
			return k
		}
	}
	return EINVAL
}

// Error is one validation failure, in TrueNAS's terms: the attribute path
// ("user_create.username", "user_update.groups.3"; empty when the error is
// not tied to an attribute), the message text and the errno.
type Error struct {
	Attribute string
	Message   string
	Errno     Errno
}

// Line renders the error as midclt prints it: "[EINVAL] attr: message", with
// "ALL" standing in for an empty attribute.
func (e Error) Line() string {
	attr := e.Attribute
	if attr == "" {
		attr = "ALL"
	}
	return fmt.Sprintf("[%s] %s: %s", e.Errno.Name(), attr, e.Message)
}

// Errors is a list of validation failures. TrueNAS collects them and reports
// them together; so do we.
type Errors []Error

// Add appends one error.
func (es *Errors) Add(attribute, message string, errno Errno) {
	*es = append(*es, Error{Attribute: attribute, Message: message, Errno: errno})
}

// Err returns es as an error, or nil when it is empty.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// Error renders one midclt line per failure.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Line()
	}
	return strings.Join(lines, "\n")
}

// CallError is a failure not tied to an attribute (TrueNAS CallError), such
// as "Cannot delete a built-in user". midclt prints it as "[ERRNAME] message".
type CallError struct {
	Errno   Errno
	Message string
}

// Error renders the error as midclt prints it: "[ERRNAME] message".
func (e *CallError) Error() string { return fmt.Sprintf("[%s] %s", e.Errno.Name(), e.Message) }

// NewCallError builds a CallError.
func NewCallError(errno Errno, format string, args ...any) *CallError {
	return &CallError{Errno: errno, Message: fmt.Sprintf(format, args...)}
}

// NotFound is TrueNAS's InstanceNotFound: a validation error with no
// attribute and errno ENOENT, "User 99 does not exist".
func NotFound(kind string, id int64) Errors {
	return Errors{{Message: fmt.Sprintf("%s %d does not exist", kind, id), Errno: ENOENT}}
}

// Bare reports whether es is what TrueNAS raises as one ValidationError of
// its own rather than inside a ValidationErrors: InstanceNotFound (NotFound),
// the only such error in the account API. The two render differently on
// the wire: a ValidationError's str is its line alone, a ValidationErrors'
// ends each line with "\n" (service_exception.py, TS-25.10.6); and the
// legacy protocol sends a ValidationError's own errno.
func (es Errors) Bare() bool {
	return len(es) == 1 && es[0].Attribute == "" && es[0].Errno == ENOENT
}
