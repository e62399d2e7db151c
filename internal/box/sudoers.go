//go:build unix

package box

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// sudoersContent renders the rules of TrueNAS's sudoers.mako, with one
// difference: the account is named by its id, never by its name:
//
//	# alice
//	#3001 ALL=(ALL) ALL
//	# bob
//	#3002 ALL=(ALL) /usr/bin/ls, NOPASSWD: /usr/bin/id -u
//	# group admins
//	%#3000 ALL=(ALL) NOPASSWD: ALL
//
// A name in that place is read by sudo as a word of its grammar when it is
// one: a user named ALL would give its rule to every account, Defaults or
// User_Alias would change what the line is. "#uid" and "%#gid" can only
// mean that one account (sudoers(5), "User_List"), whatever the name. The
// name is kept in the comment line above (names hold no line break:
// validate).
//
// Commands are trimmed, empty ones dropped, joined with ", ", and the
// characters \ , : = # escaped with a backslash. Users come first, then
// groups, each in State order. nil when there is no rule.
func sudoersContent(st State) []byte {
	var b strings.Builder
	for i := range st.Users {
		u := &st.Users[i]
		if e := sudoEntry(u.SudoCommands, u.SudoCommandsNopasswd); e != "" {
			b.WriteString("# " + u.Name + "\n#" + strconv.FormatInt(u.UID, 10) + " ALL=(ALL) " + e + "\n")
		}
	}
	for i := range st.Groups {
		g := &st.Groups[i]
		if e := sudoEntry(g.SudoCommands, g.SudoCommandsNopasswd); e != "" {
			b.WriteString("# group " + g.Name + "\n%#" + strconv.FormatInt(g.GID, 10) + " ALL=(ALL) " + e + "\n")
		}
	}
	if b.Len() == 0 {
		return nil
	}
	return []byte("# Written by the truenas engine; do not edit.\n" + b.String())
}

func sudoEntry(cmds, nopasswd []string) string {
	var parts []string
	if c := sudoCommands(cmds); c != "" {
		parts = append(parts, c)
	}
	if c := sudoCommands(nopasswd); c != "" {
		parts = append(parts, "NOPASSWD: "+c)
	}
	return strings.Join(parts, ", ")
}

// sudoEscaper escapes what TrueNAS escapes (\ , : =) and also "#", which
// TrueNAS leaves alone: unescaped, "/usr/bin/echo #x" would make sudoers
// read "#x" as a comment and allow echo with any argument.
var sudoEscaper = strings.NewReplacer(`\`, `\\`, `,`, `\,`, `:`, `\:`, `=`, `\=`, `#`, `\#`)

func sudoCommands(cmds []string) string {
	var out []string
	for _, c := range cmds {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, sudoEscaper.Replace(c))
		}
	}
	return strings.Join(out, ", ")
}

// writeSudoers writes the drop-in (0440, root-owned) or removes it when
// there is no rule.
func writeSudoers(root string, st State) (bool, error) {
	path := filepath.Join(root, SudoersFile)
	content := sudoersContent(st)
	if content == nil {
		return removeFile(path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, err
	}
	return writeFileAtomic(path, content, fileSpec{mode: 0o440, force: true})
}
