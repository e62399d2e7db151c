package account

import (
	"crypto/ed25519"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

func testKey(t testing.TB) string {
	seed := make([]byte, ed25519.SeedSize)
	pub, err := ssh.NewPublicKey(ed25519.NewKeyFromSeed(seed).Public())
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))) + " bob@laptop"
}

const baseUser = `{"username":"bob","full_name":"Bob","group_create":true,"password":"pw"}`

// userCase is one user rule case: a payload (merged over baseUser on
// create), the stored user an update applies to, an optional box change,
// and the expected errors as midclt lines.
type userCase struct {
	name   string
	update string // username of the stored user; "" for a create
	raw    string
	tweak  func(b *fakeBox)
	want   []string
	model  *Model // nil: v25_10_5
}

func userCases(t testing.TB) []userCase {
	key := testKey(t)
	noRootPassword := func(b *fakeBox) { b.users[0].Unixhash = sp("*") }
	return []userCase{
		{name: "valid create", raw: `{}`},
		{name: "group and group_create", raw: `{"group":50}`, want: []string{"[EINVAL] user_create.group: Enter either a group name or create a new group to continue."}},
		{name: "neither group", raw: `{"group_create":false}`, want: []string{"[EINVAL] user_create.group: Enter either a group name or create a new group to continue."}},
		{name: "group 0 is none", raw: `{"group_create":false,"group":0}`, want: []string{"[EINVAL] user_create.group: Enter either a group name or create a new group to continue."}},
		{name: "existing group", raw: `{"group_create":false,"group":50}`},
		{name: "group not found", raw: `{"group_create":false,"group":999}`, want: []string{"[ENOENT] user_create.group: Group 999 not found"}},
		{name: "update group null", update: "alice", raw: `{"group":null}`, want: []string{"[EINVAL] user_update.group: User must have a primary group"}},
		{name: "update group not found", update: "alice", raw: `{"group":999}`, want: []string{"[ENOENT] user_update.group: Group 999 not found"}},
		{name: "username exists", raw: `{"username":"carol"}`, want: []string{`[EEXIST] user_create.username: The username "carol" already exists.`}},
		{name: "username exists builtin", raw: `{"username":"root"}`, want: []string{`[EEXIST] user_create.username: The username "root" already exists.`}},
		{name: "username exists smb", raw: `{"username":"alice"}`, want: []string{
			`[EEXIST] user_create.username: The username "alice" already exists.`,
			`[EEXIST] user_create.smb: Username "alice" conflicts with existing SMB user. Note that SMB usernames are case-insensitive.`,
		}},
		{name: "smb case-insensitive", raw: `{"username":"ALICE"}`, want: []string{
			`[EEXIST] user_create.smb: Username "ALICE" conflicts with existing SMB user. Note that SMB usernames are case-insensitive.`,
		}},
		{name: "smb false no conflict", raw: `{"username":"ALICE","smb":false}`},
		{name: "rename self ok", update: "alice", raw: `{"username":"alice"}`},
		{name: "uid used", raw: `{"uid":3000}`, want: []string{"[EEXIST] user_create.uid: Uid 3000 is already used (user alice has it)"}},
		{name: "uid free", raw: `{"uid":3005}`},
		{name: "group_create of a foreign group", raw: `{"username":"web"}`,
			tweak: func(b *fakeBox) { b.groups = append(b.groups, GroupEntry{ID: -2, GID: 4000, Name: "web"}) },
			want:  []string{`[EEXIST] user_create.group_create: The box already has a group "web" that it does not manage: choose another username, or group_create false and an existing group.`}},
		{name: "password required", raw: `{"password":"__drop__"}`, want: []string{"[EINVAL] user_create.password: Password is required"}},
		{name: "password null required", raw: `{"password":null}`, want: []string{"[EINVAL] user_create.password: Password is required"}},
		{name: "random password", raw: `{"password":"__drop__","random_password":true}`},
		{name: "random with password", raw: `{"random_password":true}`, want: []string{"[EINVAL] user_create.random_password: Requesting a randomized password while simultaneously supplying an explicit password is not permitted."}},
		{name: "disabled with password", raw: `{"password_disabled":true,"smb":false}`, want: []string{`[EINVAL] user_create.password_disabled: Leave "Password" blank when "Disable password login" is checked.`}},
		{name: "disabled smb", raw: `{"password":"__drop__","password_disabled":true}`, want: []string{"[EINVAL] user_create.password_disabled: Password authentication may not be disabled for SMB users."}},
		{name: "disabled no smb", raw: `{"password":"__drop__","password_disabled":true,"smb":false}`},
		{name: "update disable on smb user", update: "alice", raw: `{"password_disabled":true}`, want: []string{"[EINVAL] user_update.password_disabled: Password authentication may not be disabled for SMB users."}},
		{name: "update smb needs password", update: "carol", raw: `{"smb":true}`, want: []string{"[EINVAL] user_update.smb: Password must be reset in order to enable SMB authentication"}},
		{name: "update smb with password", update: "carol", raw: `{"smb":true,"password":"new"}`},
		{name: "update disable last admin", update: "truenas_admin", raw: `{"password_disabled":true}`, tweak: noRootPassword,
			want: []string{"[EINVAL] user_update.password_disabled: After disabling password for this user no password-enabled local user will have built-in privilege 'Local Administrator'."}},
		{name: "update disable not last admin", update: "truenas_admin", raw: `{"password_disabled":true}`},
		{name: "update lock not last admin", update: "truenas_admin", raw: `{"locked":true}`, tweak: noRootPassword},
		{name: "update lock last admin", update: "truenas_admin", raw: `{"locked":true}`, tweak: func(b *fakeBox) { b.users[0].Locked = true },
			want: []string{"[EINVAL] user_update.locked: After locking this user no local users will have FULL_ADMIN role"}},
		{name: "home relative", raw: `{"home":"home/bob"}`, want: []string{`[EINVAL] user_create.home: "Home Directory" must be an absolute path.`}},
		{name: "home colon", raw: `{"home":"/mnt/tank/a:b"}`, want: []string{`[EINVAL] user_create.home: "Home Directory" cannot contain colons (:).`}},
		{name: "home outside mnt", raw: `{"home":"/home/bob"}`, want: []string{`[EINVAL] user_create.home: "Home Directory" must begin with /mnt or set to /var/empty.`}},
		{name: "home nonexistent legacy", raw: `{"home":"/nonexistent"}`, want: []string{`[EINVAL] user_create.home: "Home Directory" must begin with /mnt or set to /var/empty.`}},
		{name: "home mnt root", raw: `{"home":"/mnt"}`, want: []string{`[EINVAL] user_create.home: "Home Directory" cannot be at root of "/mnt"`}},
		{name: "home mnt root slash", raw: `{"home":"/mnt/"}`, want: []string{`[EINVAL] user_create.home: "Home Directory" cannot be at root of "/mnt"`}},
		{name: "home no volume", raw: `{"home":"/mntx/bob"}`, want: []string{`[EINVAL] user_create.home: The path for the home directory "(/mntx/bob)" must include a volume or dataset.`}},
		{name: "home pool root", raw: `{"home":"/mnt/tank"}`, want: []string{`[EINVAL] user_create.home: The specified path is a ZFS pool mountpoint "(/mnt/tank)".`}},
		{name: "home pool root create", raw: `{"home":"/mnt/tank","home_create":true}`},
		{name: "home file", raw: `{"home":"/mnt/tank/file"}`, want: []string{`[EINVAL] user_create.home: "Home Directory" cannot be a file.`}},
		{name: "home fifo", raw: `{"home":"/mnt/tank/fifo"}`, want: []string{`[EINVAL] user_create.home: "Home Directory" cannot be a file.`}},
		{name: "home missing", raw: `{"home":"/mnt/tank/nope"}`, want: []string{"[EINVAL] user_create.home: /mnt/tank/nope: path specified to use as home directory does not exist."}},
		{name: "home missing parent", raw: `{"home":"/mnt/nope/bob"}`, want: []string{
			"[EINVAL] user_create.home: /mnt/nope/bob: path specified to use as home directory does not exist.",
			"[EINVAL] user_create.home: /mnt/nope: parent path of specified home directory does not exist.",
		}},
		{name: "home create missing", raw: `{"home":"/mnt/tank/nope","home_create":true}`, want: []string{
			"[EINVAL] user_create.home: /mnt/tank/nope: path specified to use for home directory creation does not exist. TrueNAS uses the provided path as the parent directory of the newly-created home directory.",
		}},
		{name: "home used", raw: `{"home":"/mnt/tank/alice"}`, want: []string{"[EEXIST] user_create.home: /mnt/tank/alice: homedir already used by alice."}},
		{name: "home used via create", raw: `{"home":"/mnt/tank","home_create":true,"username":"alice","smb":false}`, want: []string{
			`[EEXIST] user_create.username: The username "alice" already exists.`,
			"[EEXIST] user_create.home: /mnt/tank: homedir already used by alice.",
		}},
		{name: "home own ok", update: "alice", raw: `{"home":"/mnt/tank/alice"}`},
		{name: "home dotdot out of the pool", raw: `{"home":"/mnt/tank/../../usr/local/bin"}`, want: []string{"[EINVAL] user_create.home: The path must reside within a pool mount point"}},
		{name: "home dotdot out of the pool create", raw: `{"home":"/mnt/tank/../x/../../root","home_create":true}`, want: []string{"[EINVAL] user_create.home: The path for the home directory \"(/mnt/tank/../x/../../root)\" must include a volume or dataset."}},
		{name: "home control", raw: `{"home":"/mnt/tank/a\nb"}`, want: []string{`[EINVAL] user_create.home: "Home Directory" cannot contain control characters (line breaks, tabs, NUL).`}},
		{name: "home nul", raw: `{"home":"/mnt/tank/a\u0000"}`, want: []string{`[EINVAL] user_create.home: "Home Directory" cannot contain control characters (line breaks, tabs, NUL).`}},
		{name: "home symlink out of the pool", raw: `{"home":"/mnt/tank/share/x"}`,
			tweak: func(b *fakeBox) {
				b.links = map[string]string{"/mnt/tank/share": "/root"}
				b.paths["/mnt/tank/share/x"] = PathDir
			},
			want: []string{"[EINVAL] user_create.home: /mnt/tank/share: is a symbolic link; give the path it points to."}},
		{name: "home symlink in the pool", raw: `{"home":"/mnt/tank/share","home_create":true}`,
			tweak: func(b *fakeBox) {
				b.links = map[string]string{"/mnt/tank/share": "/mnt/tank/homes"}
				b.paths["/mnt/tank/share"] = PathDir
			},
			want: []string{"[EINVAL] user_create.home: /mnt/tank/share: is a symbolic link; give the path it points to."}},
		{name: "home create target is a symlink", raw: `{"home":"/mnt/tank/homes","home_create":true}`,
			tweak: func(b *fakeBox) { b.links = map[string]string{"/mnt/tank/homes/bob": "/etc"} },
			want:  []string{"[EINVAL] user_create.home: /mnt/tank/homes/bob: is a symbolic link; give the path it points to."}},
		{name: "home create target is a file", raw: `{"home":"/mnt/tank/homes","home_create":true}`,
			tweak: func(b *fakeBox) { b.paths["/mnt/tank/homes/bob"] = PathFile },
			want:  []string{"[EEXIST] user_create.home: Path for home directory already exists and is not a directory"}},
		{name: "home create target is a fifo", raw: `{"home":"/mnt/tank/homes","home_create":true}`,
			tweak: func(b *fakeBox) { b.paths["/mnt/tank/homes/bob"] = PathOther },
			want:  []string{"[EEXIST] user_create.home: Path for home directory already exists and is not a directory"}},
		{name: "home used trailing slash", raw: `{"home":"/mnt/tank/alice/"}`, want: []string{"[EEXIST] user_create.home: /mnt/tank/alice/: homedir already used by alice."}},
		{name: "home used double slash dot", raw: `{"home":"/mnt/tank//./alice"}`, want: []string{"[EEXIST] user_create.home: /mnt/tank//./alice: homedir already used by alice."}},
		{name: "home create inside another home", raw: `{"home":"/mnt/tank/alice","home_create":true}`, want: []string{"[EEXIST] user_create.home: /mnt/tank/alice: homedir already used by alice."}},
		{name: "home around another home", raw: `{"home":"/mnt/tank/homes"}`,
			tweak: func(b *fakeBox) { b.users[3].Home = "/mnt/tank/homes/carol" },
			want:  []string{"[EEXIST] user_create.home: /mnt/tank/homes: homedir already used by carol."}},
		{name: "home existing dir", raw: `{"home":"/mnt/tank/homes"}`},
		{name: "home_mode invalid", raw: `{"home_mode":"abc"}`, want: []string{"[EINVAL] user_create.home_mode: Please provide a valid value for home_mode attribute"}},
		{name: "home_mode too big", raw: `{"home_mode":"1000"}`, want: []string{"[EINVAL] user_create.home_mode: Please provide a valid value for home_mode attribute"}},
		{name: "home_mode empty", raw: `{"home_mode":""}`, want: []string{"[EINVAL] user_create.home_mode: Please provide a valid value for home_mode attribute"}},
		{name: "home_mode not exec", raw: `{"home_mode":"600"}`, want: []string{"[EINVAL] user_create.home_mode: Home directory must be executable by User."}},
		{name: "home_mode not read", raw: `{"home_mode":"300"}`, want: []string{"[EINVAL] user_create.home_mode: Home directory must be readable by User."}},
		{name: "home_mode neither", raw: `{"home_mode":"200"}`, want: []string{
			"[EINVAL] user_create.home_mode: Home directory must be readable by User.",
			"[EINVAL] user_create.home_mode: Home directory must be executable by User.",
		}},
		{name: "home_mode python octal", raw: `{"home_mode":"0o755"}`},
		{name: "sshpubkey ok", raw: `{"home":"/mnt/tank/homes","home_create":true,"sshpubkey":"# keys\n` + key + `\n\n` + key + `"}`},
		{name: "sshpubkey garbage", raw: `{"home":"/mnt/tank/homes","home_create":true,"sshpubkey":"` + key + `\nold"}`, want: []string{
			"[EINVAL] user_create.sshpubkey: Line 2 is not a valid SSH public key in authorized_keys format: ssh: no key found",
		}},
		{name: "sshpubkey no writable home", raw: `{"sshpubkey":"` + key + `"}`, want: []string{
			"[EINVAL] user_create.sshpubkey: /var/empty: the user home directory must be set to a writable path located within a data pool.",
		}},
		{name: "sshpubkey empty ok", raw: `{"sshpubkey":""}`},
		{name: "update sshpubkey no home", update: "carol", raw: `{"sshpubkey":"` + key + `"}`, want: []string{
			`[EINVAL] user_update.sshpubkey: Home directory is not writable, leave this blank"`,
		}},
		{name: "update sshpubkey root", update: "root", raw: `{"sshpubkey":"` + key + `"}`},
		{name: "update sshpubkey alice", update: "alice", raw: `{"sshpubkey":"` + key + `"}`},
		{name: "update sshpubkey clear", update: "carol", raw: `{"sshpubkey":null}`},
		{name: "groups max", raw: `{"groups":[` + strings.TrimSuffix(strings.Repeat("50,", 65), ",") + `]}`, want: []string{
			"[EINVAL] user_create.groups: A user cannot belong to more than 64 auxiliary groups.",
		}},
		{name: "groups 64 ok", raw: `{"groups":[` + strings.TrimSuffix(strings.Repeat("50,", 64), ",") + `]}`},
		{name: "groups missing", raw: `{"groups":[50,999]}`, want: []string{"[EINVAL] user_create.groups.1: This group does not exist."}},
		{name: "groups ds", raw: `{"groups":[100000005]}`, want: []string{"[EINVAL] user_create.groups.0: Local users may not be members of directory services groups."}},
		{name: "groups builtin", raw: `{"groups":[41,5]}`, want: []string{"[EINVAL] user_create.groups.1: tty: membership of this builtin group may not be altered."}},
		{name: "groups allowed builtins", raw: `{"groups":[40,41,14,42]}`},
		{name: "groups keep builtin membership", update: "alice", raw: `{"groups":[41,5]}`, tweak: func(b *fakeBox) { b.users[1].Groups = []int64{41, 5} }},
		{name: "root webshare (26.0)", update: "root", raw: `{"webshare":true}`, model: ModelV26_0_0, want: []string{"[EINVAL] user_update.webshare: The root user is not allowed access via webshare."}},
		{name: "root webshare false (26.0)", update: "root", raw: `{"webshare":false}`, model: ModelV26_0_0},
		{name: "root webshare before groups (26.0)", update: "root", raw: `{"webshare":true,"groups":[]}`, model: ModelV26_0_0, want: []string{
			"[EINVAL] user_update.webshare: The root user is not allowed access via webshare.",
			"[EINVAL] user_update.groups: The root user must remain a member of the builtin_administrators group."}},
		{name: "webshare (26.0)", raw: `{"webshare":true}`, model: ModelV26_0_0},
		{name: "root keeps admins", update: "root", raw: `{"groups":[]}`, want: []string{"[EINVAL] user_update.groups: The root user must remain a member of the builtin_administrators group."}},
		{name: "root only admins", update: "root", raw: `{"groups":[40,50]}`, want: []string{"[EINVAL] user_update.groups: The root user may only be a member of the builtin_administrators group."}},
		{name: "full_name colon", raw: `{"full_name":"A:B"}`, want: []string{"[EINVAL] user_create.full_name: The ':' character is not allowed."}},
		{name: "full_name newline", raw: `{"full_name":"A\nB"}`, want: []string{`[EINVAL] user_create.full_name: The '\n' character is not allowed.`}},
		{name: "full_name carriage return", raw: `{"full_name":"A\rB"}`, want: []string{"[EINVAL] user_create.full_name: Control characters (carriage return, NUL, tab...) are not allowed."}},
		{name: "full_name nul", raw: `{"full_name":"A\u0000B"}`, want: []string{"[EINVAL] user_create.full_name: Control characters (carriage return, NUL, tab...) are not allowed."}},
		{name: "shell not listed", raw: `{"shell":"/bin/sh"}`, want: []string{"[EINVAL] user_create.shell: Please select a valid shell."}},
		{name: "shell cli unprivileged", raw: `{"shell":"/usr/bin/cli"}`, want: []string{"[EINVAL] user_create.shell: Please select a valid shell."}},
		{name: "shell cli privileged", raw: `{"shell":"/usr/bin/cli","groups":[40]}`},
		{name: "shell nologin", raw: `{"shell":"/usr/sbin/nologin"}`},
		{name: "shell tmux", raw: `{"shell":"/usr/bin/tmux"}`},
		{name: "update shell cli via primary", update: "truenas_admin", raw: `{"shell":"/usr/bin/cli_console"}`},
		{name: "ssh password no home", raw: `{"ssh_password_enabled":true}`, want: []string{
			"[EINVAL] user_create.ssh_password_enabled: Cannot be enabled without a valid home path and login shell.",
			"[EINVAL] user_create.home: SSH password login requires a valid home path.",
		}},
		{name: "ssh password nologin", raw: `{"ssh_password_enabled":true,"home":"/mnt/tank/homes","shell":"/usr/sbin/nologin"}`, want: []string{
			"[EINVAL] user_create.ssh_password_enabled: Cannot be enabled without a valid home path and login shell.",
			"[EINVAL] user_create.shell: SSH password login requires a login shell.",
		}},
		{name: "ssh password ok", raw: `{"ssh_password_enabled":true,"home":"/mnt/tank/homes"}`},
		{name: "update ssh password merged", update: "carol", raw: `{"ssh_password_enabled":true}`, want: []string{
			"[EINVAL] user_update.ssh_password_enabled: Cannot be enabled without a valid home path and login shell.",
			"[EINVAL] user_update.home: SSH password login requires a valid home path.",
		}},
		{name: "idmap privileged", raw: `{"groups":[40],"userns_idmap":"DIRECT"}`, want: []string{
			"[EINVAL] user_create.userns_idmap: User namespace idmaps may not be configured for privileged accounts.",
		}},
		{name: "idmap ok", raw: `{"userns_idmap":"DIRECT"}`},
		{name: "immutable home_mode", update: "truenas_admin", raw: `{"home_mode":"700"}`, want: []string{"[EINVAL] user_update.home_mode: This attribute cannot be changed"}},
		{name: "immutable group", update: "truenas_admin", raw: `{"group":51}`, want: []string{"[EINVAL] user_update.group: This attribute cannot be changed"}},
		{name: "immutable home", update: "truenas_admin", raw: `{"home":"/mnt/tank/homes"}`, want: []string{"[EINVAL] user_update.home: This attribute cannot be changed"}},
		{name: "immutable home same", update: "truenas_admin", raw: `{"home":"/home/truenas_admin"}`},
		{name: "immutable username", update: "truenas_admin", raw: `{"username":"admin2"}`, want: []string{"[EINVAL] user_update.username: This attribute cannot be changed"}},
		{name: "immutable smb", update: "truenas_admin", raw: `{"smb":true,"password":"x"}`, want: []string{"[EINVAL] user_update.smb: This attribute cannot be changed"}},
		{name: "immutable idmap", update: "root", raw: `{"userns_idmap":5}`, want: []string{
			"[EINVAL] user_update.userns_idmap: This attribute cannot be changed",
			"[EINVAL] user_update.userns_idmap: User namespace idmaps may not be configured for privileged accounts.",
		}},
		{name: "immutable full_name ok", update: "truenas_admin", raw: `{"full_name":"Admin"}`},
		{name: "sudo ALL with others", raw: `{"sudo_commands":["/usr/bin/ls","ALL"]}`, want: []string{"[EINVAL] user_create.sudo_commands.1: ALL cannot be used with other commands"}},
		{name: "sudo ALL alone", raw: `{"sudo_commands":["ALL"],"sudo_commands_nopasswd":["ALL"]}`},
		{name: "sudo line break", raw: `{"sudo_commands_nopasswd":["/usr/bin/ls\nALL ALL=(ALL) NOPASSWD: ALL"]}`, want: []string{"[EINVAL] user_create.sudo_commands_nopasswd.0: Control characters (line breaks, tabs, NUL...) are not allowed in a command."}},
		{name: "sudo nul", raw: `{"sudo_commands":["/usr/bin/ls\u0000"]}`, want: []string{"[EINVAL] user_create.sudo_commands.0: Control characters (line breaks, tabs, NUL...) are not allowed in a command."}},
		{name: "sudo relative", raw: `{"sudo_commands_nopasswd":["ls -la"]}`, want: []string{"[EINVAL] user_create.sudo_commands_nopasswd.0: Executable must be an absolute path"}},
		{name: "sudo not normalized", raw: `{"sudo_commands":["/usr/bin/../bin/ls"]}`, want: []string{"[EINVAL] user_create.sudo_commands.0: Executable path must be normalized"}},
		{name: "sudo no match", raw: `{"sudo_commands":["/usr/bin/ls","/usr/bin/nothere"]}`, want: []string{"[EINVAL] user_create.sudo_commands.1: No paths matching '/usr/bin/nothere' exist"}},
		{name: "sudo not executable", raw: `{"sudo_commands":["/etc/passwd -x"]}`, want: []string{"[EINVAL] user_create.sudo_commands.0: None of the paths matching '/etc/passwd' is executable"}},
		{name: "sudo directory", raw: `{"sudo_commands":["/usr/sbin/"]}`},
		{name: "sudo glob args", raw: `{"sudo_commands":["/usr/bin/l* -la", "\"/usr/bin/ls\" x"]}`},
		{name: "sudo quote", raw: `{"sudo_commands":["'/usr/bin/ls"]}`, want: []string{"[EINVAL] user_create.sudo_commands.0: No closing quotation"}},
		{name: "sudo blank", raw: `{"sudo_commands":["  "]}`, want: []string{"[EINVAL] user_create.sudo_commands.0: list index out of range"}},
		{name: "sudo escape", raw: `{"sudo_commands":["/usr/bin/ls \\"]}`, want: []string{"[EINVAL] user_create.sudo_commands.0: No escaped character"}},
		{name: "sudo ALL and a command", raw: `{"sudo_commands":["ALL /usr/bin/ls"]}`, want: []string{"[EINVAL] user_create.sudo_commands.0: sudo cannot grant this command as written: ALL grants every command: give it alone, as the whole command and unquoted (\"ALL\"), or name the commands."}},
		{name: "sudo quoted ALL", raw: `{"sudo_commands":["'ALL'", "\"ALL\"", "AL\\L"]}`, want: []string{"[EINVAL] user_create.sudo_commands.0: sudo cannot grant this command as written: ALL grants every command: give it alone, as the whole command and unquoted (\"ALL\"), or name the commands.", "[EINVAL] user_create.sudo_commands.1: sudo cannot grant this command as written: ALL grants every command: give it alone, as the whole command and unquoted (\"ALL\"), or name the commands.", "[EINVAL] user_create.sudo_commands.2: sudo cannot grant this command as written: ALL grants every command: give it alone, as the whole command and unquoted (\"ALL\"), or name the commands."}},
		{name: "sudo ALL padded", raw: `{"sudo_commands":["  ALL "]}`},
		{name: "sudo blank in an argument", raw: `{"sudo_commands":["/usr/bin/ls 'a b'"]}`, want: []string{"[EINVAL] user_create.sudo_commands.0: sudo cannot grant this command as written: argument 1 holds white space: sudo compares arguments joined by spaces, so it cannot keep one argument whole."}},
		{name: "sudo backslash", raw: `{"sudo_commands":["/usr/bin/ls a\\\\\\\\b"]}`, want: []string{"[EINVAL] user_create.sudo_commands.0: sudo cannot grant this command as written: argument 1 holds a backslash, which sudoers reads as an escape."}},
		{name: "sudo double quote", raw: `{"sudo_commands":["/usr/bin/ls 'a\"b'"]}`, want: []string{"[EINVAL] user_create.sudo_commands.0: sudo cannot grant this command as written: argument 1 holds a double quote, which sudoers reads as its \"\" (no arguments)."}},
		{name: "sudo empty argument", raw: `{"sudo_commands":["/usr/bin/ls '' -l"]}`, want: []string{"[EINVAL] user_create.sudo_commands.0: sudo cannot grant this command as written: argument 1 is empty: sudo cannot require an empty argument (a lone \"\" after the executable means no arguments)."}},
		{name: "sudo regex", raw: `{"sudo_commands":["/usr/bin/ls ^-l$"]}`, want: []string{"[EINVAL] user_create.sudo_commands.0: sudo cannot grant this command as written: the arguments start with ^, which sudo reads as a regular expression."}},
		{name: "sudo no arguments and specials", raw: `{"sudo_commands":["/usr/bin/ls \"\"", "/usr/bin/ls a,b:c=d#e NOPASSWD: ALL"]}`},
	}
}

func (tc userCase) modelOr() *Model {
	if tc.model != nil {
		return tc.model
	}
	return ModelV25_10_5
}

func runUserCase(t testing.TB, tc userCase) (*UserPayload, *UserEntry, *fakeBox, Errors) {
	b := newBox()
	if tc.tweak != nil {
		tc.tweak(b)
	}
	var old *UserEntry
	var p *UserPayload
	var errs Errors
	if tc.update != "" {
		u, ok := b.UserByName(tc.update)
		if !ok {
			t.Fatalf("%s: no user %s", tc.name, tc.update)
		}
		old = u
		p, errs = tc.modelOr().DecodeUserUpdate([]byte(tc.raw))
	} else {
		p, errs = tc.modelOr().DecodeUserCreate(merge(t.(*testing.T), baseUser, tc.raw))
	}
	if errs != nil {
		t.Fatalf("%s: decode: %v", tc.name, errs)
	}
	return p, old, b, CheckUser(p, old, b)
}

func TestUserRules(t *testing.T) {
	for _, tc := range userCases(t) {
		_, _, _, errs := runUserCase(t, tc)
		expectLines(t, tc.name, errs, tc.want)
	}
}

// TestStaticSubset checks that the static checks report exactly the
// static part of what the full checks report.
func TestStaticSubset(t *testing.T) {
	for _, tc := range userCases(t) {
		p, old, _, all := runUserCase(t, tc)
		var want Errors
		for _, e := range all {
			if ruleOf(t, e).Kind == Static {
				want = append(want, e)
			}
		}
		var got Errors
		if old == nil {
			got = StaticUserChecks(p)
		} else {
			got = CheckUser(p, old, nil)
		}
		expectLines(t, "static "+tc.name, got, lines(want))
	}
	for _, tc := range groupCases() {
		p, old, _, all := runGroupCase(t, tc)
		var want Errors
		for _, e := range all {
			if ruleOf(t, e).Kind == Static {
				want = append(want, e)
			}
		}
		got := StaticGroupChecks(p)
		if old != nil {
			if len(all) == 1 && all[0].Message == "Immutable groups cannot be changed" {
				continue
			}
			got = CheckGroup(p, old, nil)
		}
		expectLines(t, "static "+tc.name, got, lines(want))
	}
}

// ruleOf finds the catalogue rule an error was rendered from.
func ruleOf(t testing.TB, e Error) Rule {
	t.Helper()
	best, score := Rule{}, -1
	for _, r := range Rules() {
		if ruleRegexp(r).MatchString(e.Message) && r.Errno == e.Errno && attrRegexp(r).MatchString(e.Attribute) {
			// The most specific template wins.
			lit := strings.NewReplacer("%s", "", "%d", "", "<field>", "", "<idx>", "").Replace(r.Message + strings.TrimPrefix(r.Attribute, "S"))
			if len(lit) > score {
				best, score = r, len(lit)
			}
		}
	}
	if score < 0 {
		t.Fatalf("no rule renders %s", e.Line())
	}
	return best
}

func ruleRegexp(r Rule) *regexp.Regexp {
	q := regexp.QuoteMeta(r.Message)
	q = strings.NewReplacer("%s", ".*", "%d", "-?[0-9]+").Replace(q)
	return regexp.MustCompile("^(?s:" + q + ")$")
}

func attrRegexp(r Rule) *regexp.Regexp {
	a := regexp.QuoteMeta(r.Attribute)
	if a == "S" || strings.HasPrefix(a, `S\.`) {
		a = "[a-z_]+" + a[1:]
	}
	a = strings.NewReplacer("<field>", "[a-z_]+", "<idx>", "[0-9]+").Replace(a)
	return regexp.MustCompile("^" + a + "$")
}

const baseGroup = `{"name":"newgrp"}`

type groupCase struct {
	name   string
	update string // name of the stored group; "" for a create
	raw    string
	tweak  func(b *fakeBox)
	want   []string
}

func groupCases() []groupCase {
	opsPrivilege := func(b *fakeBox) {
		b.privs = append(b.privs, Privilege{ID: 3, Name: "Ops", LocalGroups: []int64{3001, 4000}, Roles: []string{"READONLY_ADMIN"}})
	}
	return []groupCase{
		{name: "valid", raw: `{}`},
		{name: "name exists smb", raw: `{"name":"devs"}`, want: []string{
			`[EEXIST] group_create.name: A Group with the name "devs" already exists.`,
			`[EEXIST] group_create.name: Group name "devs" conflicts with existing groupmap entry. SMB group mapping is not permitted for this group. Note that SMB group names are case-insensitive.`,
		}},
		{name: "groupmap case", raw: `{"name":"DEVS"}`, want: []string{
			`[EEXIST] group_create.name: Group name "DEVS" conflicts with existing groupmap entry. SMB group mapping is not permitted for this group. Note that SMB group names are case-insensitive.`,
		}},
		{name: "groupmap no smb", raw: `{"name":"DEVS","smb":false}`},
		{name: "name exists builtin", raw: `{"name":"users","smb":false}`, want: []string{`[EEXIST] group_create.name: A Group with the name "users" already exists.`}},
		{name: "smb builtin name", raw: `{"name":"Users"}`, want: []string{
			`[EEXIST] group_create.name: Group name "Users" conflicts with existing SMB Builtin entry. SMB group mapping is not permitted for this group.`,
		}},
		{name: "smb builtin admins", raw: `{"name":"administrators"}`, want: []string{
			`[EEXIST] group_create.name: Group name "administrators" conflicts with existing SMB Builtin entry. SMB group mapping is not permitted for this group.`,
		}},
		{name: "smb builtin name no smb", raw: `{"name":"guests","smb":false}`},
		{name: "gid used", raw: `{"gid":3000}`, want: []string{"[EEXIST] group_create.gid: Gid 3000 is already used (group devs has it)"}},
		{name: "gid privilege", raw: `{"gid":4000}`, tweak: opsPrivilege, want: []string{"[EINVAL] group_create.gid: A privilege 'Ops' already uses this group ID."}},
		{name: "gid free", raw: `{"gid":4001}`},
		{name: "users missing", raw: `{"users":[10,999,998]}`, want: []string{"[EINVAL] group_create.users: Following users do not exist: 999, 998"}},
		{name: "users ds", raw: `{"users":[100000001]}`, want: []string{"[EINVAL] group_create.users.0: Directory services users may not be added as members of local groups."}},
		{name: "users root", raw: `{"users":[1]}`, want: []string{"[EINVAL] group_create.users: Cannot add the root user to this group"}},
		{name: "primary kept", update: "devs", raw: `{"users":[10,12]}`},
		{name: "primary removed", update: "devs", raw: `{"users":[]}`, want: []string{"[EINVAL] group_update.users: This group is primary for the following users: alice. You can't remove them."}},
		{name: "primary removed two", update: "ops", raw: `{"users":[10]}`, want: []string{"[EINVAL] group_update.users: This group is primary for the following users: truenas_admin, carol. You can't remove them."}},
		{name: "root must stay", update: "builtin_administrators", raw: `{"users":[11]}`, want: []string{"[EINVAL] group_update.users: The root user must remain a member of the builtin_administrators group."}},
		{name: "admins membership ok", update: "builtin_administrators", raw: `{"users":[1,11,10]}`},
		{name: "builtin rename", update: "builtin_administrators", raw: `{"name":"admins"}`, want: []string{"[EINVAL] group_update.name: This configuration parameter may not be changed for builtin groups."}},
		{name: "builtin smb", update: "builtin_users", raw: `{"smb":false}`, want: []string{"[EINVAL] group_update.smb: This configuration parameter may not be changed for builtin groups."}},
		{name: "builtin sudo", update: "builtin_users", raw: `{"sudo_commands":["ALL"],"sudo_commands_nopasswd":["ALL"]}`, want: []string{
			"[EINVAL] group_update.sudo_commands: This configuration parameter may not be changed for builtin groups.",
			"[EINVAL] group_update.sudo_commands_nopasswd: This configuration parameter may not be changed for builtin groups.",
		}},
		{name: "builtin unchanged ok", update: "builtin_users", raw: `{"smb":true,"sudo_commands":[]}`},
		{name: "builtin idmap", update: "builtin_users", raw: `{"userns_idmap":"DIRECT"}`, want: []string{"[EINVAL] group_update.userns_idmap: User namespace idmaps may not be configured for builtin accounts."}},
		{name: "privileged idmap", update: "ops", raw: `{"userns_idmap":5}`, tweak: opsPrivilege, want: []string{"[EINVAL] group_update.userns_idmap: User namespace idmaps may not be configured for privileged accounts."}},
		{name: "idmap ok", update: "ops", raw: `{"userns_idmap":5}`},
		{name: "immutable", update: "tty", raw: `{"users":[]}`, want: []string{"[EINVAL] group_update.id: Immutable groups cannot be changed"}},
		{name: "immutable empty", update: "tty", raw: `{}`, want: []string{"[EINVAL] group_update.id: Immutable groups cannot be changed"}},
		{name: "rename self", update: "devs", raw: `{"name":"devs"}`},
		{name: "sudo ALL twice", raw: `{"sudo_commands_nopasswd":["ALL","ALL"]}`, want: []string{"[EINVAL] group_create.sudo_commands_nopasswd.0: ALL cannot be used with other commands"}},
		{name: "sudo path", raw: `{"sudo_commands":["/usr/bin/nothere"]}`, want: []string{"[EINVAL] group_create.sudo_commands.0: No paths matching '/usr/bin/nothere' exist"}},
		{name: "sudo static", raw: `{"sudo_commands":["bin/x","/usr//bin/ls"]}`, want: []string{
			"[EINVAL] group_create.sudo_commands.0: Executable must be an absolute path",
			"[EINVAL] group_create.sudo_commands.1: Executable path must be normalized",
		}},
	}
}

func runGroupCase(t *testing.T, tc groupCase) (*GroupPayload, *GroupEntry, *fakeBox, Errors) {
	b := newBox()
	if tc.tweak != nil {
		tc.tweak(b)
	}
	var old *GroupEntry
	var p *GroupPayload
	var errs Errors
	if tc.update != "" {
		g, ok := b.GroupByName(tc.update)
		if !ok {
			t.Fatalf("%s: no group %s", tc.name, tc.update)
		}
		old = g
		p, errs = DecodeGroupUpdate([]byte(tc.raw))
	} else {
		p, errs = DecodeGroupCreate(merge(t, baseGroup, tc.raw))
	}
	if errs != nil {
		t.Fatalf("%s: decode: %v", tc.name, errs)
	}
	return p, old, b, CheckGroup(p, old, b)
}

func TestGroupRules(t *testing.T) {
	for _, tc := range groupCases() {
		_, _, _, errs := runGroupCase(t, tc)
		expectLines(t, tc.name, errs, tc.want)
	}
}

func TestPwCheckname(t *testing.T) {
	c := &checker{prefix: "user_create"}
	pwCheckname(c, RuleUserUsernameBegin, RuleUserUsernameDollar, RuleUserUsernameInvalid, "-a$b c:é c")
	expectLines(t, "user", c.errs, []string{
		`[EINVAL] user_create.username: Name must begin with an alphanumeric character and not a "-".`,
		"[EINVAL] user_create.username: The character $ is only allowed as the final character.",
		"[EINVAL] user_create.username: name contains invalid characters:  , :, é",
	})
	c = &checker{prefix: "group_update"}
	pwCheckname(c, RuleGroupNameBegin, RuleGroupNameDollar, RuleGroupNameInvalid, "-x$y!")
	expectLines(t, "group", c.errs, []string{
		`[EINVAL] group_update.name: Name must begin with an alphanumeric character and not a "-".`,
		"[EINVAL] group_update.name: The character $ is only allowed as the final character.",
		"[EINVAL] group_update.name: name contains invalid characters: !",
	})
	c = &checker{prefix: "user_create"}
	pwCheckname(c, RuleUserUsernameBegin, RuleUserUsernameDollar, RuleUserUsernameInvalid, "machine$")
	if len(c.errs) != 0 {
		t.Errorf("trailing $ is allowed: %v", c.errs)
	}
}

type apiKeyCase struct {
	name   string
	update int64 // id of the stored key; 0 for a create
	raw    string
	tweak  func(b *fakeBox)
	want   []string
}

func ms(t time.Time) string { return fmt.Sprintf(`{"$date":%d}`, t.UnixMilli()) }

func apiKeyCases() []apiKeyCase {
	return []apiKeyCase{
		{name: "valid", raw: `{"name":"new","username":"root"}`},
		{name: "valid future", raw: `{"name":"new","username":"truenas_admin","expires_at":` + ms(testNow.Add(time.Hour)) + `}`},
		{name: "name unique", raw: `{"name":"existing","username":"root"}`, want: []string{"[EINVAL] api_key_create: name must be unique"}},
		{name: "expired", raw: `{"name":"new","username":"root","expires_at":` + ms(testNow.Add(-time.Second)) + `}`, want: []string{"[EINVAL] api_key_create: Expiration date is in the past"}},
		{name: "no user", raw: `{"name":"new","username":"nobody"}`, want: []string{"[EINVAL] api_key_create: User does not exist."}},
		{name: "no role", raw: `{"name":"new","username":"carol"}`, want: []string{"[EINVAL] api_key_create: User lacks privilege role membership."}},
		{name: "roles from entry ignored", raw: `{"name":"new","username":"carol"}`, tweak: func(b *fakeBox) { b.users[3].Roles = []string{"READONLY_ADMIN"} },
			want: []string{"[EINVAL] api_key_create: User lacks privilege role membership."}},
		{name: "roles from a custom privilege", raw: `{"name":"new","username":"carol"}`, tweak: func(b *fakeBox) {
			b.privs = append(b.privs, Privilege{ID: 7, Name: "Ops", LocalGroups: []int64{3001}, Roles: []string{"READONLY_ADMIN"}})
		}},
		{name: "limit", raw: `{"name":"new","username":"root"}`, tweak: func(b *fakeBox) {
			for i := range 8 {
				b.keys = append(b.keys, APIKeyEntry{ID: int64(10 + i), Name: fmt.Sprint("k", i), Username: sp("root")})
			}
		}, want: []string{"[EINVAL] api_key_create.username: User already meets or exceeds maximum per-user API key limit of 10"}},
		{name: "update keeps past expiry", update: 2, raw: `{"name":"renamed"}`, want: []string{"[EINVAL] api_key_update: Expiration date is in the past"}},
		{name: "update clears expiry", update: 2, raw: `{"expires_at":null}`},
		{name: "update name taken", update: 1, raw: `{"name":"old"}`, want: []string{"[EINVAL] api_key_update: name must be unique"}},
		{name: "update same name", update: 1, raw: `{"name":"existing","reset":true}`},
		{name: "update past", update: 1, raw: `{"expires_at":` + ms(testNow.Add(-time.Hour)) + `}`, want: []string{"[EINVAL] api_key_update: Expiration date is in the past"}},
	}
}

func TestAPIKeyRules(t *testing.T) {
	for _, tc := range apiKeyCases() {
		b := newBox()
		if tc.tweak != nil {
			tc.tweak(b)
		}
		var p *APIKeyPayload
		var old *APIKeyEntry
		var errs Errors
		if tc.update != 0 {
			for i := range b.keys {
				if b.keys[i].ID == tc.update {
					old = &b.keys[i]
				}
			}
			p, errs = DecodeAPIKeyUpdate([]byte(tc.raw))
		} else {
			p, errs = DecodeAPIKeyCreate([]byte(tc.raw))
		}
		if errs != nil {
			t.Fatalf("%s: decode: %v", tc.name, errs)
		}
		expectLines(t, tc.name, CheckAPIKey(p, old, b), tc.want)
		var static []string
		for _, w := range tc.want {
			if strings.Contains(w, "Expiration date") && !strings.Contains(tc.name, "keeps") {
				static = append(static, w)
			}
		}
		expectLines(t, "static "+tc.name, StaticAPIKeyChecks(p, testNow), static)
	}
}

func deleteCases() []struct {
	name  string
	err   *CallError
	wantE Errno
	want  string
} {
	b := newBox()
	root, _ := b.UserByName("root")
	admin, _ := b.UserByName("truenas_admin")
	alice, _ := b.UserByName("alice")
	ds := &UserEntry{ID: BaseSyntheticID + 5000, UID: 5000, Username: "EXAMPLE\\bob"}
	lone := newBox()
	lone.users[0].Unixhash = sp("*")
	lone.users[2].Immutable = false
	lone.users[2].UID = 3100
	loneAdmin, _ := lone.UserByName("truenas_admin")
	tty, _ := b.GroupByName("tty")
	devs, _ := b.GroupByName("devs")
	ops, _ := b.GroupByName("ops")
	pb := newBox()
	pb.privs = append(pb.privs, Privilege{ID: 3, Name: "Ops", LocalGroups: []int64{3001}})
	dsg := &GroupEntry{ID: BaseSyntheticID + 7000, GID: 7000, Name: "EXAMPLE\\staff"}
	return []struct {
		name  string
		err   *CallError
		wantE Errno
		want  string
	}{
		{"builtin user", CheckUserDelete(root, b), EINVAL, "Cannot delete a built-in user"},
		{"immutable user", CheckUserDelete(admin, b), EINVAL, "Cannot delete an immutable user"},
		{"plain user", CheckUserDelete(alice, b), 0, ""},
		{"ds user", CheckUserDelete(ds, b), EPERM, "Users provided by a directory service must be deleted from the identity provider (LDAP server or domain controller)."},
		{"last admin", CheckUserDelete(loneAdmin, lone), EACCES, "After deleting this user no local user will have built-in privilege 'Local Administrator'."},
		{"builtin group", CheckGroupDelete(tty, b), EACCES, "A built-in group cannot be deleted."},
		{"plain group", CheckGroupDelete(devs, b), 0, ""},
		{"privilege group", CheckGroupDelete(ops, pb), EACCES, "This group is used by privilege 'Ops'. Please remove it from that privilege first, then delete the group."},
		{"ds group", CheckGroupDelete(dsg, b), EPERM, "Groups provided by a directory service must be deleted from the identity provider (LDAP server or domain controller)."},
		{"active user", CallErrorFor(RuleUserDeleteActive), EINVAL, "Cannot delete the currently active user"},
		{"ds user modify", CallErrorFor(RuleUserDSModify), EPERM, "Users provided by a directory service must be modified through the identity provider (LDAP server or domain controller)."},
		{"ds group modify", CallErrorFor(RuleGroupDSModify), EPERM, "Groups provided by a directory service must be modified through the identity provider (LDAP server or domain controller)."},
		{"api key other user", CallErrorFor(RuleAPIKeyOtherUser, "bob"), EACCES, "bob: authenticated user lacks privileges to create or modify API keys of other users."},
	}
}

func TestCallErrors(t *testing.T) {
	for _, tc := range deleteCases() {
		if tc.want == "" {
			if tc.err != nil {
				t.Errorf("%s: unexpected %v", tc.name, tc.err)
			}
			continue
		}
		if tc.err == nil || tc.err.Errno != tc.wantE || tc.err.Message != tc.want {
			t.Errorf("%s: got %v, want [%s] %s", tc.name, tc.err, tc.wantE.Name(), tc.want)
		}
	}
	if got := CallErrorFor(RuleUserDeleteBuiltin).Error(); got != "[EINVAL] Cannot delete a built-in user" {
		t.Errorf("CallError text: %s", got)
	}
}

// TestCatalogue checks the catalogue and that every rule is exercised by
// some case above.
func TestCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if r.ID == "" || r.Message == "" || r.Errno.Name() == "EUNKNOWN" {
			t.Errorf("bad rule %+v", r)
		}
		if seen[r.ID] {
			t.Errorf("duplicate rule %s", r.ID)
		}
		seen[r.ID] = true
		if RuleByID(r.ID).Message != r.Message {
			t.Errorf("RuleByID(%s)", r.ID)
		}
	}
	var produced []Error
	for _, tc := range userCases(t) {
		_, _, _, errs := runUserCase(t, tc)
		produced = append(produced, errs...)
	}
	for _, tc := range groupCases() {
		_, _, _, errs := runGroupCase(t, tc)
		produced = append(produced, errs...)
	}
	for _, tc := range apiKeyCases() {
		for _, w := range tc.want {
			produced = append(produced, parseLine(t, w))
		}
	}
	produced = append(produced, privilegeCatalogueErrors(t)...)
	for _, tc := range deleteCases() {
		if tc.err != nil {
			produced = append(produced, Error{Message: tc.err.Message, Errno: tc.err.Errno})
		}
	}
	c := &checker{prefix: "user_create"}
	pwCheckname(c, RuleUserUsernameBegin, RuleUserUsernameDollar, RuleUserUsernameInvalid, "-a$b c")
	pwCheckname(c, RuleGroupNameBegin, RuleGroupNameDollar, RuleGroupNameInvalid, "-a$b c")
	produced = append(produced, c.errs...)
	hit := map[string]bool{}
	for _, e := range produced {
		hit[ruleOf(t, e).ID] = true
	}
	for _, r := range Rules() {
		if !hit[r.ID] {
			t.Errorf("rule %s is not exercised by any test case", r.ID)
		}
	}
}

func parseLine(t *testing.T, l string) Error {
	m := regexp.MustCompile(`^\[([A-Z]+)\] ([^:]+): (.*)$`).FindStringSubmatch(l)
	if m == nil {
		t.Fatalf("bad line %q", l)
	}
	return Error{Attribute: m[2], Message: m[3], Errno: ErrnoByName(m[1])}
}

func TestRuleRendering(t *testing.T) {
	r := RuleByID(RuleSudoNoMatch)
	if a := r.Attr("group_update", "sudo_commands_nopasswd", 3); a != "group_update.sudo_commands_nopasswd.3" {
		t.Errorf("Attr: %s", a)
	}
	if a := RuleByID(RuleAPIKeyNameUnique).Attr("api_key_create", "", -1); a != "api_key_create" {
		t.Errorf("Attr: %s", a)
	}
	if Static.String() != "Static" || BoxDependent.String() != "BoxDependent" {
		t.Error("Kind.String")
	}
	defer func() {
		if recover() == nil {
			t.Error("RuleByID of an unknown id must panic")
		}
	}()
	RuleByID("nope")
}

func TestHelpers(t *testing.T) {
	for in, want := range map[string]bool{"700": true, "0o755": true, "0O7_55": true, " 755 ": true, "+700": true, "-700": false, "800": false, "1000": false, "": false, "7__0": false, "0": true} {
		if _, ok := ParseHomeMode(in); ok != want {
			t.Errorf("ParseHomeMode(%q) ok=%v", in, ok)
		}
	}
	ch := ShellChoices([]string{"/bin/sh", "/usr/bin/bash", "# c"}, false)
	if len(ch) != 2 || ch["/usr/bin/bash"] != "bash" || ch["/usr/sbin/nologin"] != "nologin" {
		t.Errorf("ShellChoices: %v", ch)
	}
	ch = ShellChoices(nil, true)
	if ch["/usr/bin/cli"] != "TrueNAS CLI" || ch["/usr/bin/cli_console"] != "TrueNAS Console" {
		t.Errorf("ShellChoices privileged: %v", ch)
	}
	for in, want := range map[string][]string{`a "b c" 'd e' f\ g`: {"a", "b c", "d e", "f g"}, `"a\"b"`: {`a"b`}, `"a\x"`: {`a\x`}, "": nil} {
		got, err := shlexSplit(in)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("shlexSplit(%q) = %q, %v", in, got, err)
		}
	}
	b := newBox()
	root, _ := b.UserByName("root")
	if r := UserRoles(root, b); len(r) != 1 || r[0] != "FULL_ADMIN" {
		t.Errorf("UserRoles: %v", r)
	}
	if !IsLocalAdministrator(root, b) {
		t.Error("root is a local administrator")
	}
	if line, why := CheckAuthorizedKeys("ssh-rsa AAAA"); line != 1 || why == "" {
		t.Errorf("CheckAuthorizedKeys: %d %s", line, why)
	}
}
