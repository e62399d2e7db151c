package account

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Citations: plugins/account.py, plugins/api_key.py, service.py and
// etc_files/local/sudoers of the middleware at TN-13.3-U1.2.

// coreBox is the shared fake box with CORE's /etc/shells (FreeBSD).
func coreBox() *fakeBox {
	b := newBox()
	b.shells = []string{"# comment", "/bin/sh", "/bin/csh", "/bin/tcsh", "/usr/local/bin/bash  ", "/etc/netcli.sh"}
	return b
}

func mustCoreUser(t *testing.T, create bool, raw string) *CoreUserPayload {
	t.Helper()
	dec := DecodeCoreUserUpdate
	if create {
		dec = DecodeCoreUserCreate
	}
	p, err := dec([]byte(raw))
	if err != nil {
		t.Fatalf("decode %s: %s", raw, coreErr(err))
	}
	return p
}

func TestCoreCheckUserCreate(t *testing.T) {
	const ok = `{"username":"bob","full_name":"Bob","group_create":true,"password":"pw"`
	u := func(extra string) string { return ok + extra + "}" }
	cases := []struct {
		name, raw, want string
		static          string // with a nil box; "=" is the same as want
	}{
		{"valid", u(""), "", "="},
		// :261-271
		{"no group", `{"username":"bob","full_name":"Bob","password":"pw"}`, "V user_create.group: Enter either a group name or create a new group to continue. (EINVAL)", "="},
		{"group 0 is no group", `{"username":"bob","full_name":"Bob","password":"pw","group":0}`, "V user_create.group: Enter either a group name or create a new group to continue. (EINVAL)", "="},
		{"group and group_create", u(`,"group":50`), "V user_create.group: Enter either a group name or create a new group to continue. (EINVAL)", "="},
		{"group 0 and group_create", u(`,"group":0`), "V user_create.group: Enter either a group name or create a new group to continue. (EINVAL)", "="},
		{"existing group", `{"username":"bob","full_name":"Bob","password":"pw","group":50}`, "", "="},
		// pw_checkname (:29)
		{"username checkname", `{"username":"-a$b c","full_name":"B","group_create":true,"password":"p"}`,
			`V user_create.username: Name must begin with an alphanumeric character and not a "-". (EINVAL); ` +
				`user_create.username: The character $ is only allowed as the final character. (EINVAL); ` +
				`user_create.username: name contains invalid characters:   (EINVAL)`, "="},
		// ord(char) & 0x80 (:49-51): bit 7 of the code point, each occurrence listed
		{"username high characters", `{"username":"éaéĀ","full_name":"B","group_create":true,"password":"p"}`,
			"V user_create.username: name contains invalid characters: é, é (EINVAL)", "="},
		{"username trailing dollar", `{"username":"mach$","full_name":"B","group_create":true,"password":"p"}`, "", "="},
		// :819-839
		{"username exists", `{"username":"carol","full_name":"B","group_create":true,"password":"p"}`,
			`V user_create.username: The username "carol" already exists. (EEXIST)`, ""},
		{"username smb conflict", `{"username":"ALICE","full_name":"B","group_create":true,"password":"p"}`,
			`V user_create.smb: Username "ALICE" conflicts with existing SMB user. Note that SMB usernames are case-insensitive. (EEXIST)`, ""},
		{"username smb false no conflict", `{"username":"ALICE","full_name":"B","group_create":true,"password":"p","smb":false}`, "", ""},
		// :841-848
		{"password required", `{"username":"bob","full_name":"B","group_create":true}`, "V user_create.password: Password is required (EINVAL)", "="},
		{"password empty", `{"username":"bob","full_name":"B","group_create":true,"password":""}`, "V user_create.password: Password is required (EINVAL)", "="},
		{"password disabled", `{"username":"bob","full_name":"B","group_create":true,"password_disabled":true}`, "", "="},
		{"password disabled with password", u(`,"password_disabled":true`),
			`V user_create.password_disabled: Leave "Password" blank when "Disable password login" is checked. (EINVAL)`, "="},
		// :850-888; an absolute-path or file failure ends the common validation
		{"home relative", u(`,"home":"home/bob","full_name":"a:b"`), `V user_create.home: "Home Directory" must be an absolute path. (EINVAL)`, "="},
		{"home file", u(`,"home":"/mnt/tank/file","full_name":"a:b"`), `V user_create.home: "Home Directory" cannot be a file. (EINVAL)`,
			`V user_create.full_name: The ":" character is not allowed in a "Full Name". (EINVAL)`},
		{"home colon", u(`,"home":"/mnt/tank/a:b"`), `V user_create.home: "Home Directory" cannot contain colons (:). (EINVAL)`, "="},
		{"home outside mnt", u(`,"home":"/home/bob"`), `V user_create.home: "Home Directory" must begin with /mnt/ or set to /nonexistent. (EINVAL)`, "="},
		{"home mnt", u(`,"home":"/mnt"`), `V user_create.home: "Home Directory" must begin with /mnt/ or set to /nonexistent. (EINVAL)`, "="},
		{"home mnt slash", u(`,"home":"/mnt/"`), `V user_create.home: The path for the home directory "(/mnt/)" must include a volume or dataset. (EINVAL)`, "="},
		{"home pool root", u(`,"home":"/mnt/tank"`), `V user_create.home: The specified path is a ZFS pool mountpoint "(/mnt/tank)"  (EINVAL)`, "="},
		{"home pool root slash", u(`,"home":"/mnt/tank/"`), `V user_create.home: The specified path is a ZFS pool mountpoint "(/mnt/tank/)"  (EINVAL)`, "="},
		{"home in pool", u(`,"home":"/mnt/tank/homes/bob"`), "", "="},
		// the middleware takes a home as given: no subdirectory is added
		{"home not ending with username", u(`,"home":"/mnt/tank/homes"`), "", "="},
		{"home nonexistent", u(`,"home":"/nonexistent"`), "", "="},
		// :890-908
		{"home_mode invalid", u(`,"home_mode":"abc"`), "V user_create.home_mode: Please provide a valid value for home_mode attribute (EINVAL)", "="},
		{"home_mode too big", u(`,"home_mode":"1755"`), "V user_create.home_mode: Please provide a valid value for home_mode attribute (EINVAL)", "="},
		{"home_mode no exec", u(`,"home_mode":"644"`), "V user_create.home_mode: Home directory must be executable by User. (EINVAL)", "="},
		{"home_mode no read no exec", u(`,"home_mode":"200"`), "V user_create.home_mode: Home directory must be readable by User. (EINVAL); user_create.home_mode: Home directory must be executable by User. (EINVAL)", "="},
		{"home_mode 0o700", u(`,"home_mode":"0o700"`), "", "="},
		// :910-916
		{"groups 65", u(`,"groups":[` + strings.TrimSuffix(strings.Repeat("41,", 65), ",") + `]`), "V user_create.groups: A user cannot belong to more than 64 auxiliary groups. (EINVAL)", "="},
		{"groups 64", u(`,"groups":[` + strings.TrimSuffix(strings.Repeat("41,", 64), ",") + `]`), "", "="},
		// :918-928
		{"full_name colon newline", `{"username":"bob","full_name":"a:b\nc","group_create":true,"password":"p"}`,
			`V user_create.full_name: The ":" character is not allowed in a "Full Name". (EINVAL); user_create.full_name: The "\n" character is not allowed in a "Full Name". (EINVAL)`, "="},
		// :930, :645-659
		{"shell default csh", u(""), "", "="},
		{"shell bash trailing space stripped", u(`,"shell":"/usr/local/bin/bash"`), "", ""},
		{"shell not listed", u(`,"shell":"/usr/bin/zsh"`), "V user_create.shell: Please select a valid shell. (EINVAL)", ""},
		{"shell nologin", u(`,"shell":"/usr/sbin/nologin"`), "", ""},
		{"shell netcli not for a new user", u(`,"shell":"/etc/netcli.sh"`), "V user_create.shell: Please select a valid shell. (EINVAL)", ""},
		// :74-97 validate_sudo_commands
		{"sudo relative", u(`,"sudo_commands":["ls -l"]`), "V user_create.sudo_commands.0: Executable must be an absolute path (EINVAL)", "="},
		{"sudo ALL is not special", u(`,"sudo":true,"sudo_commands":["ALL"]`), "V user_create.sudo_commands.0: Executable must be an absolute path (EINVAL)", "="},
		{"sudo not normalized", u(`,"sudo_commands":["/usr/bin/../ls"]`), "V user_create.sudo_commands.0: Executable path must be normalized (EINVAL)", "="},
		{"sudo shlex", u(`,"sudo_commands":["/usr/bin/ls","\"/x"]`), "V user_create.sudo_commands.1: No closing quotation (EINVAL)", "="},
		{"sudo no match", u(`,"sudo_commands":["/nope"]`), "V user_create.sudo_commands.0: No paths matching '/nope' exist (EINVAL)", ""},
		{"sudo not executable", u(`,"sudo_commands":["/etc/passwd"]`), "V user_create.sudo_commands.0: None of the paths matching '/etc/passwd' is executable (EINVAL)", ""},
		{"sudo dir", u(`,"sudo_commands":["/usr/sbin/"]`), "", ""},
		{"sudo ok", u(`,"sudo":true,"sudo_nopasswd":true,"sudo_commands":["/usr/bin/ls -l"]`), "", "="},
		// shlex.split(" ")[0] raises an IndexError that CORE does not catch
		{"sudo blank command", u(`,"full_name":"a:b","sudo_commands":[" "]`), "C [EINVAL] list index out of range", "="},
		// :275-279
		{"sshpubkey outside mnt", u(`,"sshpubkey":"ssh-ed25519 AAAA"`), "V user_create.sshpubkey: The home directory is not writable. Leave this field blank. (EINVAL)", "="},
		{"sshpubkey in mnt", u(`,"sshpubkey":"ssh-ed25519 AAAA","home":"/mnt/tank/homes/bob"`), "", "="},
		{"sshpubkey null", u(`,"sshpubkey":null`), "", "="},
		// after the validation: the primary group (:302-304, CallError's default EFAULT) and the others (:974)
		{"group not found", `{"username":"bob","full_name":"B","password":"p","group":99}`, "C [EFAULT] Group 99 not found", ""},
		{"groups not found", u(`,"groups":[41,99]`), "C [ENOENT] Group 99 not found", ""},
		{"groups not an id", u(`,"groups":["x"]`), "C [ENOENT] Group x not found", "C [ENOENT] Group x not found"},
		// no uid reservation: a uid another user has, or 0, is accepted
		{"uid in use", u(`,"uid":3000`), "", "="},
		{"uid 0", u(`,"uid":0`), "", "="},
		// a datetime inside attributes cannot be stored (sqlalchemy.py JSON: json.dumps); the row is
		// inserted after the primary group is looked up and before the other groups are
		{"attributes datetime", u(`,"attributes":{"a":[{"$date":1}]},"groups":[99]`), "C [EINVAL] Object of type datetime is not JSON serializable", "="},
		{"attributes time after group", `{"username":"bob","full_name":"B","password":"p","group":99,"attributes":{"t":{"$time":"1:2"}}}`,
			"C [EFAULT] Group 99 not found", "C [EINVAL] Object of type time is not JSON serializable"},
		// Ours: CORE takes these, the box's text files cannot hold them
		{"ours empty username", `{"username":"","full_name":"B","group_create":true,"password":"p"}`,
			"V user_create.username: Must be at least 1 character in length (EINVAL)", "="},
		{"ours username line break", `{"username":"a\nroot","full_name":"B","group_create":true,"password":"p"}`,
			"V user_create.username: Control characters (line breaks, NUL...) are not allowed. (EINVAL)", "="},
		{"ours username tab is CORE's", `{"username":"a\tb","full_name":"B","group_create":true,"password":"p"}`,
			"V user_create.username: name contains invalid characters: \t (EINVAL)", "="},
		{"ours full_name CR", `{"username":"bob","full_name":"a\rb\nc","group_create":true,"password":"p"}`,
			`V user_create.full_name: The "\n" character is not allowed in a "Full Name". (EINVAL); user_create.full_name: Control characters (carriage return, NUL, tab...) are not allowed. (EINVAL)`, "="},
		{"ours home control", u(`,"home":"/mnt/tank/a\u0000b"`), `V user_create.home: "Home Directory" cannot contain control characters (line breaks, tabs, NUL). (EINVAL)`, "="},
		{"ours sudo line break", u(`,"sudo_commands":["/usr/bin/ls\nALL ALL=(ALL) NOPASSWD: ALL"]`),
			"V user_create.sudo_commands.0: Control characters (line breaks, tabs, NUL...) are not allowed in a command. (EINVAL)", "="},
		{"ours uid negative", u(`,"uid":-1`), "V user_create.uid: Must be between 0 and 4294967294. (EINVAL)", "="},
		{"ours uid too big", u(`,"uid":4294967295`), "V user_create.uid: Must be between 0 and 4294967294. (EINVAL)", "="},
		{"ours uid largest", u(`,"uid":4294967294`), "", "="},
		// microsoft_account and attributes are stored, no rule
		{"microsoft_account attributes", u(`,"microsoft_account":true,"attributes":{"k":[1]}`), "", "="},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := mustCoreUser(t, true, c.raw)
			if got := coreErr(CheckCoreUserCreate(p, coreBox())); got != c.want {
				t.Fatalf("box:\ngot  %s\nwant %s", got, c.want)
			}
			static := c.static
			if static == "=" {
				static = c.want
			}
			if got := coreErr(CheckCoreUserCreate(p, nil)); got != static {
				t.Fatalf("static:\ngot  %s\nwant %s", got, static)
			}
		})
	}
}

func coreAlice() *CoreUserEntry {
	return &CoreUserEntry{ID: 10, UID: 3000, Username: "alice", Home: "/mnt/tank/alice", Shell: "/bin/csh", SMB: true,
		Group: CoreUserGroupRef{ID: 50, GID: 3000, Group: "devs"}}
}

func TestCoreCheckUserUpdate(t *testing.T) {
	root := &CoreUserEntry{ID: 1, UID: 0, Username: "root", Home: "/root", Shell: "/bin/csh", Builtin: true, SMB: false}
	carol := &CoreUserEntry{ID: 12, UID: 3001, Username: "carol", Home: "/nonexistent", SMB: false}
	cases := []struct {
		name, raw string
		old       *CoreUserEntry
		want      string
	}{
		{"empty", `{}`, coreAlice(), ""},
		{"no password needed", `{"full_name":"A"}`, coreAlice(), ""},
		{"own username", `{"username":"alice","smb":true}`, coreAlice(), ""},
		{"other's username", `{"username":"carol"}`, coreAlice(), `V user_update.username: The username "carol" already exists. (EEXIST)`},
		{"uid change", `{"uid":4000}`, coreAlice(), ""},
		{"uid of another", `{"uid":3001}`, coreAlice(), ""},
		// :421-427: the error is added, then the empty result indexed
		{"group missing", `{"group":99,"full_name":"a:b"}`, coreAlice(), "C [EINVAL] list index out of range"},
		{"group exists", `{"group":51}`, coreAlice(), ""},
		{"password disabled with password", `{"password_disabled":true,"password":"x"}`, coreAlice(),
			`V user_update.password_disabled: Leave "Password" blank when "Disable password login" is checked. (EINVAL)`},
		// :440-444
		{"sshpubkey kept home in mnt", `{"sshpubkey":"k"}`, coreAlice(), ""},
		{"sshpubkey new home outside", `{"sshpubkey":"k","home":"/nonexistent"}`, coreAlice(), `V user_update.sshpubkey: Home directory is not writable, leave this blank" (EINVAL)`},
		{"sshpubkey stored home outside", `{"sshpubkey":"k"}`, carol, `V user_update.sshpubkey: Home directory is not writable, leave this blank" (EINVAL)`},
		{"sshpubkey root", `{"sshpubkey":"k"}`, root, ""},
		// :446-450
		{"builtin username", `{"username":"toor"}`, root, "V user_update.username: This attribute cannot be changed (EINVAL)"},
		{"builtin same uid", `{"uid":0,"smb":false,"home":"/root"}`, root,
			`V user_update.home: "Home Directory" must begin with /mnt/ or set to /nonexistent. (EINVAL)`},
		{"builtin any group", `{"group":1}`, root, "V user_update.group: This attribute cannot be changed (EINVAL)"},
		{"builtin smb", `{"smb":true,"password":"x"}`, root, "V user_update.smb: This attribute cannot be changed (EINVAL)"},
		{"builtin home_mode KeyError", `{"home_mode":"700","username":"toor"}`, root, "C [EINVAL] 'home_mode'"},
		{"builtin shell netcli for root", `{"shell":"/etc/netcli.sh"}`, root, ""},
		// :452-455
		{"smb needs password", `{"smb":true}`, carol, "V user_update.smb: Password must be changed in order to enable SMB authentication (EINVAL)"},
		{"smb with password", `{"smb":true,"password":"x"}`, carol, ""},
		{"smb already", `{"smb":true}`, coreAlice(), ""},
		{"groups not found", `{"groups":[98]}`, coreAlice(), "C [ENOENT] Group 98 not found"},
		// __set_groups runs before datastore.update stores the attributes (:566-571)
		{"groups before attributes", `{"groups":[98],"attributes":{"d":{"$type":"date","$value":"2020-01-01"}}}`, coreAlice(), "C [ENOENT] Group 98 not found"},
		{"attributes date", `{"attributes":{"d":{"$type":"date","$value":"2020-01-01"}}}`, coreAlice(), "C [EINVAL] Object of type date is not JSON serializable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := mustCoreUser(t, false, c.raw)
			if got := coreErr(CheckCoreUserUpdate(p, c.old, coreBox())); got != c.want {
				t.Fatalf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestCoreCheckGroup(t *testing.T) {
	devs := &CoreGroupEntry{ID: 50, GID: 3000, Group: "devs", SMB: true}
	cases := []struct {
		name, raw string
		old       *CoreGroupEntry
		want      string
	}{
		{"valid", `{"name":"g"}`, nil, ""},
		// :1328-1363, in CORE's order
		{"existing smb name", `{"name":"devs"}`, nil,
			`V group_create.name: Group name "devs" conflicts with existing groupmap entry. SMB group mapping is not permitted for this group. Note that SMB group names are case-insensitive. (EEXIST); ` +
				`group_create.name: A Group with the name "devs" already exists. (EEXIST)`},
		{"smb builtin", `{"name":"Guests"}`, nil,
			`V group_create.name: Group name "Guests" conflicts with existing SMB Builtin entry. SMB group mapping is not permitted for this group. (EEXIST)`},
		{"smb builtin without smb", `{"name":"Guests","smb":false}`, nil, ""},
		{"existing name no smb", `{"name":"ops","smb":false}`, nil, `V group_create.name: A Group with the name "ops" already exists. (EEXIST)`},
		{"checkname", `{"name":"-g$x"}`, nil,
			`V group_create.name: Name must begin with an alphanumeric character and not a "-". (EINVAL); group_create.name: The character $ is only allowed as the final character. (EINVAL)`},
		// :1365-1376
		{"gid in use", `{"name":"g","gid":3001}`, nil, `V group_create.gid: The Group ID "3001" already exists. (EEXIST)`},
		{"gid in use allowed", `{"name":"g","gid":3001,"allow_duplicate_gid":true}`, nil, ""},
		{"gid 0 not checked", `{"name":"g","gid":0}`, nil, ""},
		// :1378-1385
		{"users missing", `{"name":"g","users":[10,99,98,99]}`, nil, "V group_create.users: Following users do not exist: 98, 99 (EINVAL)"},
		{"sudo", `{"name":"g","sudo":true,"sudo_commands":["ls"]}`, nil, "V group_create.sudo_commands.0: Executable must be an absolute path (EINVAL)"},
		{"update own name", `{"name":"devs","smb":true}`, devs, ""},
		{"update own gid", `{"gid":3000}`, devs, ""},
		{"update gid change", `{"gid":4000}`, devs, ""},
		{"update other's name, smb not sent", `{"name":"ops"}`, devs, `V group_update.name: A Group with the name "ops" already exists. (EEXIST)`},
		{"update users", `{"users":[10,12]}`, devs, ""},
		// Ours
		{"ours empty name", `{"name":""}`, nil, "V group_create.name: Must be at least 1 character in length (EINVAL)"},
		{"ours name NUL", `{"name":"a\u0000","smb":false}`, nil, "V group_create.name: Control characters (line breaks, NUL...) are not allowed. (EINVAL)"},
		{"ours gid negative", `{"gid":-5}`, devs, "V group_update.gid: Must be between 0 and 4294967294. (EINVAL)"},
		{"ours sudo control", `{"sudo_commands":["/usr/bin/ls\u0007"]}`, devs,
			`V group_update.sudo_commands.0: No paths matching '/usr/bin/ls\x07' exist (EINVAL); ` +
				"group_update.sudo_commands.0: Control characters (line breaks, tabs, NUL...) are not allowed in a command. (EINVAL)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dec := DecodeCoreGroupUpdate
			if c.old == nil {
				dec = DecodeCoreGroupCreate
			}
			p, err := dec([]byte(c.raw))
			if err != nil {
				t.Fatal(coreErr(err))
			}
			if got := coreErr(CheckCoreGroup(p, c.old, coreBox())); got != c.want {
				t.Fatalf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestCoreDeletesAndAPIKeys(t *testing.T) {
	// account.py:610, :1268
	if ce := CheckCoreUserDelete(&CoreUserEntry{Builtin: true}); coreErr(ce) != "C [EINVAL] Cannot delete a built-in user" {
		t.Errorf("user: %s", coreErr(ce))
	}
	if ce := CheckCoreUserDelete(coreAlice()); ce != nil {
		t.Errorf("user: %v", ce)
	}
	if ce := CheckCoreGroupDelete(&CoreGroupEntry{Builtin: true}); coreErr(ce) != "C [EACCES] A built-in group cannot be deleted." {
		t.Errorf("group: %s", coreErr(ce))
	}
	if ce := CheckCoreGroupDelete(&CoreGroupEntry{}); ce != nil {
		t.Errorf("group: %v", ce)
	}
	// api_key.py:134, service.py:557
	b := coreBox()
	dup := "V api_key_create.name: Object with this name already exists (EINVAL)"
	p, _ := DecodeCoreAPIKeyCreate([]byte(`{"name":"existing"}`))
	if got := coreErr(CheckCoreAPIKey(p, nil, b)); got != dup {
		t.Errorf("create dup: %s", got)
	}
	if got := coreErr(CheckCoreAPIKey(p, nil, nil)); got != "" {
		t.Errorf("static: %s", got)
	}
	p, _ = DecodeCoreAPIKeyCreate([]byte(`{"name":"new"}`))
	if err := CheckCoreAPIKey(p, nil, b); err != nil {
		t.Errorf("create: %v", err)
	}
	u, _ := DecodeCoreAPIKeyUpdate([]byte(`{"reset":true}`))
	if err := CheckCoreAPIKey(u, &CoreAPIKeyEntry{ID: 1, Name: "existing"}, b); err != nil {
		t.Errorf("update own: %v", err)
	}
	u, _ = DecodeCoreAPIKeyUpdate([]byte(`{"name":"existing"}`))
	if got := coreErr(CheckCoreAPIKey(u, &CoreAPIKeyEntry{ID: 2, Name: "old"}, b)); got != "V api_key_update.name: Object with this name already exists (EINVAL)" {
		t.Errorf("update dup: %s", got)
	}
}

func TestCoreNextID(t *testing.T) {
	// account.py:725-743 (and get_next_gid, :1292-1310)
	for _, c := range []struct {
		ids  []int64
		want int64
	}{
		{nil, 1000},
		{[]int64{1000, 1001}, 1002},
		{[]int64{1001}, 1000},
		{[]int64{1002, 1000}, 1001},
		{[]int64{0, 5, 999}, 1000},
		{[]int64{1000, 1000, 1001}, 1002},
		{[]int64{3000, 3001}, 1000},
	} {
		if got := CoreNextID(c.ids); got != c.want {
			t.Errorf("CoreNextID(%v) = %d, want %d", c.ids, got, c.want)
		}
	}
}

func TestCoreAssignedIDs(t *testing.T) {
	used := []int64{1000, 1001}
	for raw, want := range map[string]int64{
		`{"username":"a","full_name":"b"}`:          1002,
		`{"username":"a","full_name":"b","uid":0}`:  1002, // account.py:352 not data.get('uid')
		`{"username":"a","full_name":"b","uid":7}`:  7,
		`{"username":"a","full_name":"b","uid":-5}`: -5, // Int('uid') has no range (ours refuses it: ourUser)
	} {
		if got := mustCoreUser(t, true, raw).AssignedUID(used); got != want {
			t.Errorf("%s: uid %d, want %d", raw, got, want)
		}
	}
	for raw, want := range map[string]int64{`{"name":"g"}`: 1002, `{"name":"g","gid":0}`: 0} { // :1177 is None
		p, err := DecodeCoreGroupCreate([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		if got := p.AssignedGID(used); got != want {
			t.Errorf("%s: gid %d, want %d", raw, got, want)
		}
	}
}

func TestCoreSudoersLine(t *testing.T) {
	// etc_files/local/sudoers
	for _, c := range []struct {
		name            string
		group, sudo, np bool
		cmds            []string
		want            string
	}{
		{"bob", false, false, false, []string{"/bin/ls"}, ""},
		{"bob", false, true, false, nil, "bob ALL=(ALL) ALL"},
		{"bob", false, true, true, []string{" ", ""}, "bob ALL=(ALL) NOPASSWD: ALL"},
		{"bob", false, true, false, []string{" /bin/ls -l ", "/usr/bin/env A=b,c:d\\e"}, `bob ALL=(ALL) /bin/ls -l, /usr/bin/env A\=b\,c\:d\\e`},
		{"wheel", true, true, true, []string{"/bin/ls"}, "%wheel ALL=(ALL) NOPASSWD: /bin/ls"},
	} {
		if got := CoreSudoersLine(c.name, c.group, c.sudo, c.np, c.cmds); got != c.want {
			t.Errorf("%+v: %q", c, got)
		}
	}
}

func TestCoreUIHome(t *testing.T) {
	for home, want := range map[string]string{
		"/nonexistent":     "/nonexistent",
		"/mnt/tank/homes":  "/mnt/tank/homes/bob",
		"/mnt/tank/homes/": "/mnt/tank/homes/bob",
		"/mnt/tank/bob":    "/mnt/tank/bob",
		"/mnt/tank/bobby":  "/mnt/tank/bobby/bob",
	} {
		if got := CoreUIHome(home, "bob"); got != want {
			t.Errorf("CoreUIHome(%q) = %q, want %q", home, got, want)
		}
	}
}

func TestCoreEntriesJSON(t *testing.T) {
	// the key order of user.query on CORE: UserModel's columns, the group
	// row, then user_extend's and query's keys (account.py:99, 154, 213)
	u := CoreUserEntry{ID: 1, UID: 1000, Username: "bob", Unixhash: "*", Smbhash: "*", Home: "/nonexistent", Shell: "/bin/csh",
		Attributes: json.RawMessage(`{}`), Group: CoreUserGroupRef{ID: 3, GID: 1000, Group: "bob"}, Groups: []int64{}, SudoCommands: []string{}, Local: true}
	b, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":1,"uid":1000,"username":"bob","unixhash":"*","smbhash":"*","home":"/nonexistent","shell":"/bin/csh","full_name":"",` +
		`"builtin":false,"smb":false,"password_disabled":false,"locked":false,"sudo":false,"sudo_nopasswd":false,"sudo_commands":[],` +
		`"microsoft_account":false,"attributes":{},"email":null,"group":{"id":3,"bsdgrp_gid":1000,"bsdgrp_group":"bob","bsdgrp_builtin":false,` +
		`"bsdgrp_sudo":false,"bsdgrp_sudo_nopasswd":false,"bsdgrp_sudo_commands":null,"bsdgrp_smb":false},"groups":[],"sshpubkey":null,` +
		`"local":true,"id_type_both":false}`
	if string(b) != want {
		t.Errorf("user:\ngot  %s\nwant %s", b, want)
	}
	g, _ := json.Marshal(CoreGroupEntry{ID: 3, GID: 1000, Group: "bob", SudoCommands: []string{}, Users: []int64{1}, Local: true})
	if w := `{"id":3,"gid":1000,"group":"bob","builtin":false,"sudo":false,"sudo_nopasswd":false,"sudo_commands":[],"smb":false,"users":[1],"local":true,"id_type_both":false}`; string(g) != w {
		t.Errorf("group: %s", g)
	}
	// api_key.py:13, 30, 145
	at := Date{time.UnixMilli(1700000000000).UTC()}
	k, _ := json.Marshal(CoreAPIKeyCreated{Name: "k", Key: "1-abc", CreatedAt: at, ID: 1})
	if w := `{"name":"k","key":"1-abc","created_at":{"$date":1700000000000},"id":1}`; string(k) != w {
		t.Errorf("created: %s", k)
	}
	e, _ := json.Marshal(CoreAPIKeyEntry{ID: 1, Name: "k", CreatedAt: at})
	if w := `{"id":1,"name":"k","created_at":{"$date":1700000000000}}`; string(e) != w {
		t.Errorf("entry: %s", e)
	}
	if Core13_3.MaxUsernameLength != 16 || Core13_3.FirstID != 1000 || Core13_3.DefaultHome != "/nonexistent" || Core13_3.Privileges {
		t.Errorf("Core13_3 %+v", Core13_3)
	}
}
