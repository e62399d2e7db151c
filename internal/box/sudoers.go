//go:build unix

package box

import (
	"os"
	"path/filepath"
	"strings"
)

// sudoersContent renders the rules as TrueNAS's sudoers.mako does:
//
//	alice ALL=(ALL) ALL
//	bob ALL=(ALL) NOPASSWD: ALL
//	carol ALL=(ALL) ALL, NOPASSWD: ALL
//	dave ALL=(ALL) /usr/bin/ls, NOPASSWD: /usr/bin/id -u
//	%admins ALL=(ALL) NOPASSWD: ALL
//
// Commands are trimmed, empty ones dropped, joined with ", ", and the
// characters \ , : = # escaped with a backslash. Users come first, then
// groups, each in State order. nil when there is no rule.
func sudoersContent(st State) []byte {
	var b strings.Builder
	for i := range st.Users {
		u := &st.Users[i]
		if e := sudoEntry(u.SudoCommands, u.SudoCommandsNopasswd); e != "" {
			b.WriteString(u.Name + " ALL=(ALL) " + e + "\n")
		}
	}
	for i := range st.Groups {
		g := &st.Groups[i]
		if e := sudoEntry(g.SudoCommands, g.SudoCommandsNopasswd); e != "" {
			b.WriteString("%" + g.Name + " ALL=(ALL) " + e + "\n")
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
