package account

import "slices"

// BuiltinUser is a user that comes with the TrueNAS 25.10 image (builtin
// true, smb false, immutable). GID is the gid of its primary group.
type BuiltinUser struct {
	Username string
	UID      int64
	GID      int64
	Home     string
	Shell    string
	FullName string
	// TrueNAS marks the users TrueNAS itself adds to the Debian base.
	TrueNAS bool
}

// BuiltinGroup is a group that comes with the TrueNAS 25.10 image. SMB is
// true only for builtin_administrators, builtin_users and builtin_guests.
// TrueNAS marks the groups TrueNAS itself adds to the Debian base (see
// ReservedIdentities).
type BuiltinGroup struct {
	Name    string
	GID     int64
	SMB     bool
	TrueNAS bool
}

// Immutable says whether TrueNAS 25.10 reports the group as immutable: a
// built-in group whose gid is not in AllowedBuiltinGIDs.
func (g BuiltinGroup) Immutable() bool { return !AllowedBuiltinGroup(g.Name, g.GID) }

// AllowedBuiltinGroup says whether the built-in group name at gid is one
// whose membership may be changed: its gid is in AllowedBuiltinGIDs and it
// is TrueNAS's group of that name at that gid, so that another box's
// group that happens to hold one of those gids is not.
func AllowedBuiltinGroup(name string, gid int64) bool {
	want, ok := allowedBuiltinNames[gid]
	return ok && want == name
}

// allowedBuiltinNames is the name of each AllowedBuiltinGIDs group.
var allowedBuiltinNames = func() map[int64]string {
	m := map[int64]string{}
	for _, g := range BuiltinGroups() {
		if slices.Contains(AllowedBuiltinGIDs, g.GID) {
			m[g.GID] = g.Name
		}
	}
	// 26.0's image adds it (25.10 allows the gid and has no group there).
	m[WebshareGroup.GID] = WebshareGroup.Name
	return m
}()

// BuiltinPrivilege is one of the privileges TrueNAS creates: its
// builtin_name, display name, the gid of its one local group, its roles and
// whether it grants the web shell (the alembic migrations
// 22.12/2022-08-17_13-37_privilege.py, 24.04/2023-10-30_21-02_readonly_privilege.py,
// 24.04/2023-11-03_11-35_sharing_manager_privilege.py and
// 24.04/2024-01-15_20-10_builtin_roles_groups.py).
type BuiltinPrivilege struct {
	BuiltinName string
	Name        string
	GID         int64
	// Group is the name of the built-in group the privilege is bound to
	// (by its store row, not by GID: engine initialise).
	Group    string
	Roles    []string
	WebShell bool
}

// Well-known gids and uids.
const (
	// GIDBuiltinAdministrators is builtin_administrators (FULL_ADMIN).
	GIDBuiltinAdministrators int64 = 544
	// GIDBuiltinUsers is builtin_users; SMB users are added to it on create.
	GIDBuiltinUsers int64 = 545
	// GIDBuiltinGuests is builtin_guests.
	GIDBuiltinGuests int64 = 546
	// GIDReadonlyAdministrators is truenas_readonly_administrators.
	GIDReadonlyAdministrators int64 = 951
	// GIDSharingAdministrators is truenas_sharing_administrators.
	GIDSharingAdministrators int64 = 952
	// GIDNogroup is nogroup, where users of a deleted primary group go.
	GIDNogroup int64 = 65534
	// UIDTruenasAdmin is truenas_admin: not built-in, but immutable.
	UIDTruenasAdmin int64 = 950
	// MinAutoID is the smallest uid or gid handed out automatically.
	MinAutoID int64 = 3000
	// MaxLocalID is the largest uid or gid a payload may carry.
	MaxLocalID int64 = 90000000
	// DefaultHome is the home of users without one.
	DefaultHome = "/var/empty"
	// DefaultShell is the shell of a new user that names none.
	DefaultShell = "/usr/bin/zsh"
	// NologinShell is always among the shell choices.
	NologinShell = "/usr/sbin/nologin"
	// MaxAPIKeysPerUser is the per-user API key limit.
	MaxAPIKeysPerUser = 10
	// MaxAuxGroups is the most auxiliary groups a user may have.
	MaxAuxGroups = 64
)

// AllowedBuiltinGIDs are the built-in groups whose membership may be
// changed (ftp, truenas_webshare_administrators, builtin_administrators,
// builtin_users, apps, truenas_readonly_administrators,
// truenas_sharing_administrators; plugins/account_/constants.py, 445
// since 25.10.2). 25.10 has no built-in group of gid 445: the gid is
// reserved for one.
var AllowedBuiltinGIDs = []int64{14, 445, 544, 545, 568, 951, 952}

// BuiltinUsers returns the built-in users of TrueNAS 25.10 (25.10.1 homes),
// root first. root's shell is the one its DB row carries.
func BuiltinUsers() []BuiltinUser {
	return []BuiltinUser{
		{Username: "root", UID: 0, GID: 0, Home: "/root", Shell: "/usr/bin/zsh", FullName: "root"},
		{Username: "daemon", UID: 1, GID: 1, Home: "/usr/sbin", Shell: "/usr/sbin/nologin", FullName: "daemon"},
		{Username: "bin", UID: 2, GID: 2, Home: "/bin", Shell: "/usr/sbin/nologin", FullName: "bin"},
		{Username: "sys", UID: 3, GID: 3, Home: "/dev", Shell: "/usr/sbin/nologin", FullName: "sys"},
		{Username: "sync", UID: 4, GID: 65534, Home: "/bin", Shell: "/bin/sync", FullName: "sync"},
		{Username: "games", UID: 5, GID: 60, Home: "/usr/games", Shell: "/usr/sbin/nologin", FullName: "games"},
		{Username: "man", UID: 6, GID: 12, Home: "/var/cache/man", Shell: "/usr/sbin/nologin", FullName: "man"},
		{Username: "lp", UID: 7, GID: 7, Home: "/var/spool/lpd", Shell: "/usr/sbin/nologin", FullName: "lp"},
		{Username: "mail", UID: 8, GID: 8, Home: "/var/mail", Shell: "/usr/sbin/nologin", FullName: "mail"},
		{Username: "news", UID: 9, GID: 9, Home: "/var/spool/news", Shell: "/usr/sbin/nologin", FullName: "news"},
		{Username: "uucp", UID: 10, GID: 10, Home: "/var/spool/uucp", Shell: "/usr/sbin/nologin", FullName: "uucp"},
		{Username: "proxy", UID: 13, GID: 13, Home: "/bin", Shell: "/usr/sbin/nologin", FullName: "proxy"},
		{Username: "www-data", UID: 33, GID: 33, Home: "/var/www", Shell: "/usr/sbin/nologin", FullName: "www-data"},
		{Username: "backup", UID: 34, GID: 34, Home: "/var/backups", Shell: "/usr/sbin/nologin", FullName: "backup"},
		{Username: "list", UID: 38, GID: 38, Home: "/var/list", Shell: "/usr/sbin/nologin", FullName: "Mailing List Manager"},
		{Username: "irc", UID: 39, GID: 39, Home: "/run/ircd", Shell: "/usr/sbin/nologin", FullName: "ircd"},
		{Username: "gnats", UID: 41, GID: 41, Home: "/var/lib/gnats", Shell: "/usr/sbin/nologin", FullName: "Gnats Bug-Reporting System (admin)"},
		{Username: "nobody", UID: 65534, GID: 65534, Home: "/var/empty", Shell: "/usr/sbin/nologin", FullName: "nobody"},
		{Username: "_apt", UID: 100, GID: 65534, Home: "/var/empty", Shell: "/usr/sbin/nologin", FullName: ""},
		{Username: "systemd-timesync", UID: 101, GID: 101, Home: "/run/systemd", Shell: "/usr/sbin/nologin", FullName: "systemd Time Synchronization,,,"},
		{Username: "systemd-network", UID: 102, GID: 103, Home: "/run/systemd", Shell: "/usr/sbin/nologin", FullName: "systemd Network Management,,,"},
		{Username: "systemd-resolve", UID: 103, GID: 104, Home: "/run/systemd", Shell: "/usr/sbin/nologin", FullName: "systemd Resolver,,,"},
		{Username: "messagebus", UID: 104, GID: 111, Home: "/var/empty", Shell: "/usr/sbin/nologin", FullName: "messagebus user"},
		{Username: "avahi", UID: 105, GID: 112, Home: "/var/empty", Shell: "/usr/sbin/nologin", FullName: "avahi user"},
		{Username: "_rpc", UID: 106, GID: 65534, Home: "/run/rpcbind", Shell: "/usr/sbin/nologin", FullName: ""},
		{Username: "statd", UID: 107, GID: 65534, Home: "/var/lib/nfs", Shell: "/usr/sbin/nologin", FullName: ""},
		{Username: "consul", UID: 108, GID: 113, Home: "/var/tmp/consul", Shell: "/usr/sbin/nologin", FullName: "Consul Daemon"},
		{Username: "nvpd", UID: 109, GID: 114, Home: "/var/run/nvpd/", Shell: "/usr/sbin/nologin", FullName: "NVIDIA Persistence Daemon,,,"},
		{Username: "nslcd", UID: 110, GID: 115, Home: "/var/tmp/nslcd", Shell: "/usr/sbin/nologin", FullName: "Nslcd Daemon"},
		{Username: "sshd", UID: 111, GID: 65534, Home: "/var/empty", Shell: "/usr/sbin/nologin", FullName: "Secure Shell Daemon"},
		{Username: "systemd-coredump", UID: 112, GID: 116, Home: "/run/systemd", Shell: "/usr/sbin/nologin", FullName: "systemd Core Dumper,,,"},
		{Username: "Debian-snmp", UID: 113, GID: 117, Home: "/var/lib/snmp", Shell: "/bin/false", FullName: ""},
		{Username: "ntp", UID: 114, GID: 119, Home: "/var/empty", Shell: "/usr/sbin/nologin", FullName: ""},
		{Username: "Debian-exim", UID: 115, GID: 120, Home: "/var/spool/exim4", Shell: "/usr/sbin/nologin", FullName: ""},
		{Username: "tftp", UID: 116, GID: 121, Home: "/srv/tftp", Shell: "/usr/sbin/nologin", FullName: "tftp daemon,,,"},
		{Username: "sssd", UID: 117, GID: 122, Home: "/var/lib/sss", Shell: "/usr/sbin/nologin", FullName: ""},
		{Username: "tcpdump", UID: 118, GID: 123, Home: "/var/empty", Shell: "/usr/sbin/nologin", FullName: ""},
		{Username: "proftpd", UID: 120, GID: 65534, Home: "/run/proftpd", Shell: "/usr/sbin/nologin", FullName: ""},
		{Username: "ftp", UID: 121, GID: 65534, Home: "/var/empty", Shell: "/bin/csh", FullName: ""},
		{Username: "nut", UID: 122, GID: 126, Home: "/var/lib/nut", Shell: "/usr/sbin/nologin", FullName: ""},
		{Username: "dnsmasq", UID: 123, GID: 65534, Home: "/var/lib/misc", Shell: "/usr/sbin/nologin", FullName: "dnsmasq,,,"},
		{Username: "ladvd", UID: 124, GID: 127, Home: "/var/empty", Shell: "/usr/sbin/nologin", FullName: "ladvd user"},
		{Username: "nova", UID: 125, GID: 129, Home: "/var/lib/nova", Shell: "/bin/bash", FullName: ""},
		{Username: "haproxy", UID: 126, GID: 130, Home: "/var/lib/haproxy", Shell: "/usr/sbin/nologin", FullName: ""},
		{Username: "uuidd", UID: 127, GID: 131, Home: "/run/uuidd", Shell: "/usr/sbin/nologin", FullName: ""},
		{Username: "ntpsec", UID: 128, GID: 135, Home: "/var/empty", Shell: "/usr/sbin/nologin", FullName: ""},
		{Username: "tss", UID: 129, GID: 136, Home: "/var/lib/tpm", Shell: "/bin/false", FullName: "TPM software stack,,,"},
		{Username: "iperf3", UID: 130, GID: 137, Home: "/var/empty", Shell: "/usr/sbin/nologin", FullName: ""},
		{Username: "_chrony", UID: 131, GID: 138, Home: "/var/lib/chrony", Shell: "/usr/sbin/nologin", FullName: "Chrony daemon,,,"},
		{Username: "apps", UID: 568, GID: 568, Home: "/var/empty", Shell: "/usr/sbin/nologin", FullName: "Unprivileged Apps User", TrueNAS: true},
		{Username: "webdav", UID: 666, GID: 666, Home: "/var/empty", Shell: "/usr/sbin/nologin", FullName: "WebDAV Anonymous User", TrueNAS: true},
		{Username: "libvirt-qemu", UID: 986, GID: 106, Home: "/var/lib/libvirt", Shell: "/usr/sbin/nologin", FullName: "Libvirt Qemu,,,"},
		{Username: "polkitd", UID: 998, GID: 998, Home: "/var/empty", Shell: "/usr/sbin/nologin", FullName: "polkit"},
		{Username: "netdata", UID: 999, GID: 997, Home: "/var/lib/netdata", Shell: "/bin/sh", FullName: ""},
	}
}

// BuiltinGroups returns the built-in groups of TrueNAS 25.10, including
// TrueNAS's own builtin_* and truenas_* groups.
func BuiltinGroups() []BuiltinGroup {
	return []BuiltinGroup{
		{Name: "root", GID: 0, SMB: false},
		{Name: "wheel", GID: 0, SMB: false},
		{Name: "daemon", GID: 1, SMB: false},
		{Name: "bin", GID: 2, SMB: false},
		{Name: "sys", GID: 3, SMB: false},
		{Name: "adm", GID: 4, SMB: false},
		{Name: "tty", GID: 5, SMB: false},
		{Name: "disk", GID: 6, SMB: false},
		{Name: "lp", GID: 7, SMB: false},
		{Name: "mail", GID: 8, SMB: false},
		{Name: "news", GID: 9, SMB: false},
		{Name: "uucp", GID: 10, SMB: false},
		{Name: "man", GID: 12, SMB: false},
		{Name: "proxy", GID: 13, SMB: false},
		{Name: "ftp", GID: 14, SMB: false},
		{Name: "kmem", GID: 15, SMB: false},
		{Name: "dialout", GID: 20, SMB: false},
		{Name: "fax", GID: 21, SMB: false},
		{Name: "voice", GID: 22, SMB: false},
		{Name: "cdrom", GID: 24, SMB: false},
		{Name: "floppy", GID: 25, SMB: false},
		{Name: "tape", GID: 26, SMB: false},
		{Name: "sudo", GID: 27, SMB: false},
		{Name: "audio", GID: 29, SMB: false},
		{Name: "dip", GID: 30, SMB: false},
		{Name: "www-data", GID: 33, SMB: false},
		{Name: "backup", GID: 34, SMB: false},
		{Name: "operator", GID: 37, SMB: false},
		{Name: "list", GID: 38, SMB: false},
		{Name: "irc", GID: 39, SMB: false},
		{Name: "src", GID: 40, SMB: false},
		{Name: "gnats", GID: 41, SMB: false},
		{Name: "shadow", GID: 42, SMB: false},
		{Name: "utmp", GID: 43, SMB: false},
		{Name: "video", GID: 44, SMB: false},
		{Name: "sasl", GID: 45, SMB: false},
		{Name: "plugdev", GID: 46, SMB: false},
		{Name: "staff", GID: 50, SMB: false},
		{Name: "games", GID: 60, SMB: false},
		{Name: "users", GID: 100, SMB: false},
		{Name: "nogroup", GID: 65534, SMB: false},
		{Name: "nobody", GID: 65534, SMB: false},
		{Name: "systemd-timesync", GID: 101, SMB: false},
		{Name: "systemd-journal", GID: 102, SMB: false},
		{Name: "systemd-network", GID: 103, SMB: false},
		{Name: "systemd-resolve", GID: 104, SMB: false},
		{Name: "input", GID: 105, SMB: false},
		{Name: "kvm", GID: 106, SMB: false},
		{Name: "render", GID: 107, SMB: false},
		{Name: "crontab", GID: 108, SMB: false},
		{Name: "netdev", GID: 109, SMB: false},
		{Name: "ssh", GID: 110, SMB: false},
		{Name: "messagebus", GID: 111, SMB: false},
		{Name: "avahi", GID: 112, SMB: false},
		{Name: "consul", GID: 113, SMB: false},
		{Name: "nvpd", GID: 114, SMB: false},
		{Name: "nslcd", GID: 115, SMB: false},
		{Name: "systemd-coredump", GID: 116, SMB: false},
		{Name: "Debian-snmp", GID: 117, SMB: false},
		{Name: "ssl-cert", GID: 118, SMB: false},
		{Name: "ntp", GID: 119, SMB: false},
		{Name: "Debian-exim", GID: 120, SMB: false},
		{Name: "tftp", GID: 121, SMB: false},
		{Name: "tcpdump", GID: 123, SMB: false},
		{Name: "rdma", GID: 124, SMB: false},
		{Name: "nut", GID: 126, SMB: false},
		{Name: "ladvd", GID: 127, SMB: false},
		{Name: "libvirt", GID: 128, SMB: false},
		{Name: "nova", GID: 129, SMB: false},
		{Name: "builtin_administrators", GID: 544, SMB: true, TrueNAS: true},
		{Name: "builtin_users", GID: 545, SMB: true, TrueNAS: true},
		{Name: "builtin_guests", GID: 546, SMB: true, TrueNAS: true},
		{Name: "apps", GID: 568, SMB: false, TrueNAS: true},
		{Name: "webdav", GID: 666, SMB: false, TrueNAS: true},
		{Name: "truenas_readonly_administrators", GID: 951, SMB: false, TrueNAS: true},
		{Name: "truenas_sharing_administrators", GID: 952, SMB: false, TrueNAS: true},
		{Name: "docker", GID: 999, SMB: false},
		{Name: "libvirt-qemu", GID: 986, SMB: false},
		{Name: "haproxy", GID: 130, SMB: false},
		{Name: "uuidd", GID: 131, SMB: false},
		{Name: "i2c", GID: 132, SMB: false},
		{Name: "sgx", GID: 133, SMB: false},
		{Name: "_ssh", GID: 134, SMB: false},
		{Name: "ntpsec", GID: 135, SMB: false},
		{Name: "tss", GID: 136, SMB: false},
		{Name: "iperf3", GID: 137, SMB: false},
		{Name: "_chrony", GID: 138, SMB: false},
		{Name: "polkitd", GID: 998, SMB: false},
		{Name: "netdata", GID: 997, SMB: false},
		{Name: "sssd", GID: 122, SMB: false},
		{Name: "incus", GID: 996, SMB: false},
		{Name: "incus-admin", GID: 995, SMB: false},
	}
}

// BuiltinPrivileges returns the privileges TrueNAS creates, each mapped to
// one local group.
func BuiltinPrivileges() []BuiltinPrivilege {
	return []BuiltinPrivilege{
		{BuiltinName: "LOCAL_ADMINISTRATOR", Name: "Local Administrator", GID: GIDBuiltinAdministrators, Group: "builtin_administrators", Roles: []string{"FULL_ADMIN"}, WebShell: true},
		{BuiltinName: "READONLY_ADMINISTRATOR", Name: "Read-Only Administrator", GID: GIDReadonlyAdministrators, Group: "truenas_readonly_administrators", Roles: []string{"READONLY_ADMIN"}},
		{BuiltinName: "SHARING_ADMINISTRATOR", Name: "Sharing Administrator", GID: GIDSharingAdministrators, Group: "truenas_sharing_administrators", Roles: []string{"SHARING_ADMIN"}},
	}
}

// TruenasAdminName is the local administrator the installer makes (uid and
// gid UIDTruenasAdmin).
const TruenasAdminName = "truenas_admin"

// ReservedIdentity is a name and id that TrueNAS's own accounts hold: the
// built-in users and groups TrueNAS adds to the Debian base (TrueNAS true
// in BuiltinUsers and BuiltinGroups), whose meaning the rules tie to the
// id (builtin_administrators 544, the privileges' groups, apps' DIRECT
// idmap, the SMB built-ins' SIDs), and truenas_admin (uid and gid 950,
// immutable by uid). A box line that holds the id under another name, or
// the name under another id, is someone else's account: the engine
// refuses to adopt such a box. Roles are the roles the built-in
// privileges give the members of a group (nil for users and for groups
// of no privilege).
type ReservedIdentity struct {
	User  bool // a uid of etc/passwd; else a gid of etc/group
	Name  string
	ID    int64
	Roles []string
}

// ReservedIdentities lists every reserved uid and gid, derived from the
// built-in tables, so that a built-in added there is reserved too.
func ReservedIdentities() []ReservedIdentity {
	var out []ReservedIdentity
	for _, u := range BuiltinUsers() {
		if u.TrueNAS {
			out = append(out, ReservedIdentity{User: true, Name: u.Username, ID: u.UID})
		}
	}
	for _, g := range BuiltinGroups() {
		if !g.TrueNAS {
			continue
		}
		r := ReservedIdentity{Name: g.Name, ID: g.GID}
		for _, p := range BuiltinPrivileges() {
			if p.Group == g.Name {
				r.Roles = append(r.Roles, p.Roles...)
			}
		}
		out = append(out, r)
	}
	out = append(out,
		ReservedIdentity{User: true, Name: TruenasAdminName, ID: UIDTruenasAdmin},
		ReservedIdentity{Name: TruenasAdminName, ID: UIDTruenasAdmin})
	return out
}
