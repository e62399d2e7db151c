//go:build unix

package box

import (
	"os"
	"path/filepath"
	"strings"
)

const sshdChunk = 100

func sshdContent(st State) []byte {
	if len(st.Users) == 0 {
		return nil
	}
	var yes, no []string
	for i := range st.Users {
		if st.Users[i].SSHPasswordEnabled {
			yes = append(yes, st.Users[i].Name)
		} else {
			no = append(no, st.Users[i].Name)
		}
	}
	var b strings.Builder
	b.WriteString("# Written by the truenas engine; do not edit.\n")
	b.WriteString("# Password login over SSH for the accounts the engine manages.\n")
	block := func(names []string, v string) {
		for len(names) > 0 {
			n := min(len(names), sshdChunk)
			b.WriteString("Match User " + strings.Join(names[:n], ",") + "\n")
			b.WriteString("\tPasswordAuthentication " + v + "\n")
			b.WriteString("\tKbdInteractiveAuthentication " + v + "\n")
			names = names[n:]
		}
	}
	block(yes, "yes")
	block(no, "no")
	return []byte(b.String())
}

func writeSSHD(root string, st State) (bool, error) {
	path := filepath.Join(root, SSHDFile)
	content := sshdContent(st)
	if content == nil {
		return removeFile(path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, err
	}
	return writeFileAtomic(path, content, fileSpec{mode: 0o644, force: true})
}
