// Package remote is the client side: it dials the box over SSH, checks its
// host key, authenticates, and runs engine calls as "midclt call METHOD -"
// with the arguments as JSON on stdin.
package remote

import (
	"context"
	"encoding/json"
)

// Config says how to reach the box. Fields mirror the provider block.
type Config struct {
	Host                  string
	Port                  int
	User                  string
	PrivateKey            string // PEM content
	PrivateKeyFile        string
	PrivateKeyPassphrase  string
	Password              string
	UseAgent              bool // use SSH_AUTH_SOCK when set
	KnownHostsFile        string
	HostKey               string // authorized_keys-format key or "SHA256:..." fingerprint
	InsecureIgnoreHostKey bool
	Sudo                  bool
	EngineCommand         string // default "midclt"
	ArgsOnCommandLine     bool   // opt-in: shell-quoted args instead of stdin
	MaxSessions           int    // default 8
}

// Client is one lazily dialled SSH connection to one box.
type Client struct {
	cfg Config
}

// New returns a client; nothing is dialled until the first Call.
func New(cfg Config) *Client { return &Client{cfg: cfg} }

// Call runs one engine method and returns its result as JSON. Engine errors
// come back as account.Errors (validation) or *account.CallError; transport
// failures as *remote.Error with a clear message.
func (c *Client) Call(ctx context.Context, method string, params ...any) (json.RawMessage, error) {
	panic("remote.Client.Call: not implemented yet")
}
