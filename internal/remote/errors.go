package remote

import "errors"

// Kind classifies a transport failure, so callers can tell "fix your
// configuration" from "the box is down" from "the box said no".
type Kind int

// The kinds of *Error.
const (
	// BadConfig: the client configuration is unusable (no host, unreadable or
	// encrypted private key without passphrase, no credentials, bad host_key).
	BadConfig Kind = iota + 1
	// Unreachable: the TCP connection could not be made.
	Unreachable
	// Timeout: the SSH handshake or the connection did not complete in time.
	Timeout
	// HostKey: the host key is unknown, does not match (possible
	// man-in-the-middle) or is revoked.
	HostKey
	// Auth: the SSH server did not accept the credentials.
	Auth
	// Connection: the connection dropped or a session could not be opened.
	Connection
	// Remote: the command ran but failed outside the engine's error format
	// (command not found, sudo refused, midclt could not log in, ...).
	Remote
	// Closed: the client was closed.
	Closed
)

func (k Kind) String() string {
	switch k {
	case BadConfig:
		return "config"
	case Unreachable:
		return "unreachable"
	case Timeout:
		return "timeout"
	case HostKey:
		return "host key"
	case Auth:
		return "auth"
	case Connection:
		return "connection"
	case Remote:
		return "remote"
	case Closed:
		return "closed"
	}
	return "unknown"
}

// Error is a transport failure. Msg is meant for people and never holds a
// password, key material or a call's arguments.
type Error struct {
	Kind Kind
	Msg  string
	Err  error // the underlying error, if any (already summarised in Msg)
}

func (e *Error) Error() string { return e.Msg }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// IsKind reports whether err is (or wraps) a *remote.Error of kind k.
func IsKind(err error, k Kind) bool {
	var re *Error
	return errors.As(err, &re) && re.Kind == k
}
