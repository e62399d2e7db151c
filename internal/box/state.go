// Package box brings a box's account files in line with the engine's
// database: etc/passwd, etc/group, etc/shadow, homes, authorized_keys, the
// sudoers drop-in and the sshd drop-in, all under a root folder. It only
// touches the entries it owns; everything else stays byte for byte.
package box

// User is one engine-owned account as the box should have it.
type User struct {
	Name  string
	UID   int64
	GID   int64
	Gecos string // full name
	Home  string // absolute path on the box (under Root when written)
	Shell string
	// Hash is the shadow password field: "$6$..." for a password, "*" when
	// the password is disabled or unset; Locked puts "!" in front.
	Hash   string
	Locked bool
	// LastChange is the shadow "last change" field in days since the epoch.
	LastChange int64
	// HomeMode is applied to the home when it is created or when it changes.
	HomeMode uint32
	// ManageHome is true when the engine created (or was asked to own) the
	// home: it then makes the folder, copies etc/skel once, and sets owner.
	ManageHome bool
	// SSHPubKey is the authorized_keys content; nil means no file.
	SSHPubKey *string
	// Sudo rules, as TrueNAS writes them.
	SudoCommands         []string
	SudoCommandsNopasswd []string
	// SSHPasswordEnabled allows password login over SSH for this user.
	SSHPasswordEnabled bool
}

// Group is one engine-owned group, or a foreign group whose member list the
// engine manages (Members lists the auxiliary members' names).
type Group struct {
	Name                 string
	GID                  int64
	Members              []string
	SudoCommands         []string
	SudoCommandsNopasswd []string
	// MembersAdded, in a Change only, says that Members are just the
	// members who joined since the box was last in line, all after the
	// others: they are appended to the members of the group's line on the
	// box, which a long member list then need not be read for.
	MembersAdded bool
}

// State is every account the engine owns, in the order they should appear.
type State struct {
	Users  []User
	Groups []Group
}
