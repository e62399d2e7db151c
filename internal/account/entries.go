package account

import (
	"encoding/json"
	"fmt"
	"time"
)

// Date is a point in time as TrueNAS's ejson carries it: {"$date": <ms since
// the epoch, UTC>}.
type Date struct{ time.Time }

// MarshalJSON encodes {"$date": ms}.
func (d Date) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, `{"$date":%d}`, d.UTC().UnixMilli()), nil
}

// UnmarshalJSON decodes {"$date": ms}.
func (d *Date) UnmarshalJSON(b []byte) error {
	var v struct {
		Date *int64 `json:"$date"`
	}
	if err := json.Unmarshal(b, &v); err != nil || v.Date == nil {
		return fmt.Errorf(`a date must be {"$date": <milliseconds since the epoch>}`)
	}
	d.Time = time.UnixMilli(*v.Date).UTC()
	return nil
}

// UserGroupRef is user.group in a UserEntry: the primary group as the raw
// datastore row TrueNAS returns.
type UserGroupRef struct {
	ID                   int64    `json:"id"`
	GID                  int64    `json:"bsdgrp_gid"`
	Group                string   `json:"bsdgrp_group"`
	Builtin              bool     `json:"bsdgrp_builtin"`
	SMB                  bool     `json:"bsdgrp_smb"`
	SudoCommands         []string `json:"bsdgrp_sudo_commands"`
	SudoCommandsNopasswd []string `json:"bsdgrp_sudo_commands_nopasswd"`
	UsernsIdmap          any      `json:"bsdgrp_userns_idmap"`
}

// MarshalJSON writes a user's group, or {} for a user without one (the
// synthetic container root user: plugins/idmap.py:443 'group': {}).
func (g UserGroupRef) MarshalJSON() ([]byte, error) {
	if g.ID == 0 && g.GID == 0 && g.Group == "" {
		return []byte("{}"), nil
	}
	type plain UserGroupRef
	return json.Marshal(plain(g))
}

// UserEntry is a user as user.query returns it (TrueNAS 25.10.6, API v25_10_5).
type UserEntry struct {
	ID       int64   `json:"id"`
	UID      int64   `json:"uid"`
	Username string  `json:"username"`
	Unixhash *string `json:"unixhash" secret:"true"`
	Smbhash  *string `json:"smbhash" secret:"true"`
	Home     string  `json:"home"`
	Shell    string  `json:"shell"`
	FullName string  `json:"full_name"`
	Builtin  bool    `json:"builtin"`
	SMB      bool    `json:"smb"`
	// Webshare is v26_0_0's (Model.Webshare): nil, and left out, on 25.10.
	Webshare *bool `json:"webshare,omitempty"`
	// MicrosoftAccount is CORE 13.3's (the provider reads CORE's entries
	// as this one): nil, and left out, on SCALE.
	MicrosoftAccount        *bool        `json:"microsoft_account,omitempty"`
	UsernsIdmap             any          `json:"userns_idmap"`
	Group                   UserGroupRef `json:"group"`
	Groups                  []int64      `json:"groups"`
	PasswordDisabled        bool         `json:"password_disabled"`
	SSHPasswordEnabled      bool         `json:"ssh_password_enabled"`
	SSHPubKey               *string      `json:"sshpubkey"`
	Locked                  bool         `json:"locked"`
	SudoCommands            []string     `json:"sudo_commands"`
	SudoCommandsNopasswd    []string     `json:"sudo_commands_nopasswd"`
	Email                   *string      `json:"email"`
	Local                   bool         `json:"local"`
	Immutable               bool         `json:"immutable"`
	TwofactorAuthConfigured bool         `json:"twofactor_auth_configured"`
	SID                     *string      `json:"sid"`
	LastPasswordChange      *Date        `json:"last_password_change"`
	PasswordAge             *int64       `json:"password_age"`
	PasswordHistory         []string     `json:"password_history" secret:"true"`
	PasswordChangeRequired  bool         `json:"password_change_required"`
	Roles                   []string     `json:"roles"`
	APIKeys                 []int64      `json:"api_keys"`
}

// UserCreateResult is what user.create and user.update return in 25.04+:
// the entry plus the cleartext password sent or generated in that call.
type UserCreateResult struct {
	UserEntry
	Password *string `json:"password"`
}

// GroupEntry is a group as group.query returns it (TrueNAS 25.10.6, API v25_10_5).
type GroupEntry struct {
	ID                   int64    `json:"id"`
	GID                  int64    `json:"gid"`
	Name                 string   `json:"name"`
	Group                string   `json:"group"`
	Builtin              bool     `json:"builtin"`
	SudoCommands         []string `json:"sudo_commands"`
	SudoCommandsNopasswd []string `json:"sudo_commands_nopasswd"`
	SMB                  bool     `json:"smb"`
	UsernsIdmap          any      `json:"userns_idmap"`
	Local                bool     `json:"local"`
	SID                  *string  `json:"sid"`
	Roles                []string `json:"roles"`
	Users                []int64  `json:"users"`
	Immutable            bool     `json:"immutable"`
}

// APIKeyEntry is a key as api_key.query returns it (TrueNAS 25.10.6, API v25_10_5).
type APIKeyEntry struct {
	ID             int64   `json:"id"`
	Name           string  `json:"name"`
	Username       *string `json:"username"`
	UserIdentifier any     `json:"user_identifier"`
	// Keyhash is v25_10_5's; v26_0_0 has the SCRAM material below instead
	// (Model.SCRAMKeys). Each is left out where its model has none.
	Keyhash       string  `json:"keyhash,omitempty" secret:"true"`
	Iterations    *int    `json:"iterations,omitempty"`
	Salt          *string `json:"salt,omitempty" secret:"true"`
	StoredKey     *string `json:"stored_key,omitempty" secret:"true"`
	ServerKey     *string `json:"server_key,omitempty" secret:"true"`
	CreatedAt     Date    `json:"created_at"`
	ExpiresAt     *Date   `json:"expires_at"`
	Local         bool    `json:"local"`
	Revoked       bool    `json:"revoked"`
	RevokedReason *string `json:"revoked_reason"`
}

// APIKeyWithKey is what api_key.create (and update with reset) returns: the
// entry plus the plaintext key, "<id>-<64 letters and digits>".
type APIKeyWithKey struct {
	APIKeyEntry
	Key string `json:"key"`
	// ClientKey is v26_0_0's pre-computed SCRAM ClientKey (base64).
	ClientKey *string `json:"client_key,omitempty"`
}

// Privilege is a stored privilege (the account.privilege datastore row):
// local_groups as gids, ds_groups as gids (int64) or SIDs (string).
// privilege.query shows it expanded (PrivilegeEntry, ExpandPrivilege).
type Privilege struct {
	ID          int64    `json:"id"`
	BuiltinName *string  `json:"builtin_name"`
	Name        string   `json:"name"`
	LocalGroups []int64  `json:"local_groups"` // gids
	DSGroups    []any    `json:"ds_groups"`
	Roles       []string `json:"roles"`
	WebShell    bool     `json:"web_shell"`
}
