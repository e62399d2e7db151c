package account

import "encoding/json"

// CoreUserGroupRef is user.group in a CORE user entry: the primary
// group's datastore row with its bsdgrp_ names, as the datastore's
// foreign key expansion gives it (plugins/datastore/read.py
// _serialize_row at TN-13.3-U1.2; account.py:1040 GroupModel's columns).
type CoreUserGroupRef struct {
	ID           int64    `json:"id"`
	GID          int64    `json:"bsdgrp_gid"`
	Group        string   `json:"bsdgrp_group"`
	Builtin      bool     `json:"bsdgrp_builtin"`
	Sudo         bool     `json:"bsdgrp_sudo"`
	SudoNopasswd bool     `json:"bsdgrp_sudo_nopasswd"`
	SudoCommands []string `json:"bsdgrp_sudo_commands"`
	SMB          bool     `json:"bsdgrp_smb"`
}

// CoreUserEntry is a user as CORE 13.3-U1.2's user.query returns it: the
// account_bsdusers columns in table order without their bsdusr_ prefix
// (account.py:99 UserModel), the foreign key group after them (read.py
// _serialize_row), then groups and sshpubkey (user_extend, account.py:154;
// sshpubkey is the authorized_keys file, null without one), then local and
// id_type_both (query, account.py:213). email "" is shown as null
// (:158). unixhash and smbhash are part of it on CORE.
type CoreUserEntry struct {
	ID               int64            `json:"id"`
	UID              int64            `json:"uid"`
	Username         string           `json:"username"`
	Unixhash         string           `json:"unixhash"`
	Smbhash          string           `json:"smbhash"`
	Home             string           `json:"home"`
	Shell            string           `json:"shell"`
	FullName         string           `json:"full_name"`
	Builtin          bool             `json:"builtin"`
	SMB              bool             `json:"smb"`
	PasswordDisabled bool             `json:"password_disabled"`
	Locked           bool             `json:"locked"`
	Sudo             bool             `json:"sudo"`
	SudoNopasswd     bool             `json:"sudo_nopasswd"`
	SudoCommands     []string         `json:"sudo_commands"`
	MicrosoftAccount bool             `json:"microsoft_account"`
	Attributes       json.RawMessage  `json:"attributes"`
	Email            *string          `json:"email"`
	Group            CoreUserGroupRef `json:"group"`
	Groups           []int64          `json:"groups"`
	SSHPubKey        *string          `json:"sshpubkey"`
	Local            bool             `json:"local"`
	IDTypeBoth       bool             `json:"id_type_both"`
}

// CoreGroupEntry is a group as CORE 13.3-U1.2's group.query returns it:
// the account_bsdgroups columns in table order without their bsdgrp_
// prefix (account.py:1040; the name is "group"), users (group_extend,
// :1095: the DB ids of the members and of the users whose primary group
// it is), local and id_type_both (:1139).
type CoreGroupEntry struct {
	ID           int64    `json:"id"`
	GID          int64    `json:"gid"`
	Group        string   `json:"group"`
	Builtin      bool     `json:"builtin"`
	Sudo         bool     `json:"sudo"`
	SudoNopasswd bool     `json:"sudo_nopasswd"`
	SudoCommands []string `json:"sudo_commands"`
	SMB          bool     `json:"smb"`
	Users        []int64  `json:"users"`
	Local        bool     `json:"local"`
	IDTypeBoth   bool     `json:"id_type_both"`
}

// CoreAPIKeyEntry is a key as CORE 13.3-U1.2's api_key.query returns it
// (api_key.py:13 APIKeyModel without the key hash, item_extend :30): a
// name, no user, no expiry, no roles.
type CoreAPIKeyEntry struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	CreatedAt Date   `json:"created_at"`
}

// CoreAPIKeyCreated is what api_key.create returns (api_key.py:41-60,
// _serve :145): the inserted row in CORE's order (name, key, created_at,
// id) with the key as "<id>-<64 letters and digits>".
type CoreAPIKeyCreated struct {
	Name      string `json:"name"`
	Key       string `json:"key"`
	CreatedAt Date   `json:"created_at"`
	ID        int64  `json:"id"`
}

// CoreAPIKeyReset is what api_key.update with reset returns: the entry
// and the new key (api_key.py:98, _serve). Without reset it returns the
// CoreAPIKeyEntry.
type CoreAPIKeyReset struct {
	CoreAPIKeyEntry
	Key string `json:"key"`
}
