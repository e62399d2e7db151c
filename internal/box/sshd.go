//go:build unix

package box

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
)

const sshdChunk = 100

const sshdHead = "# Written by the truenas engine; do not edit.\n" +
	"# Password login over SSH for the accounts the engine manages.\n"

// sshdContent renders the drop-in for the given user names (each list
// sorted by name); nil when there is none. A user is in exactly one Match
// block, so the order of the names does not change what sshd does; sorting
// them lets an incremental Apply put a name in its place without knowing
// the others.
func sshdContent(yes, no []string) []byte {
	if len(yes)+len(no) == 0 {
		return nil
	}
	size := len(sshdHead)
	for _, n := range yes {
		size += len(n) + 1
	}
	for _, n := range no {
		size += len(n) + 1
	}
	size += (len(yes)/sshdChunk + len(no)/sshdChunk + 2) * 80
	b := make([]byte, 0, size)
	b = append(b, sshdHead...)
	block := func(names []string, v string) {
		for len(names) > 0 {
			n := min(len(names), sshdChunk)
			b = append(b, "Match User "...)
			for i, name := range names[:n] {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, name...)
			}
			b = append(b, "\n\tPasswordAuthentication "+v+"\n\tKbdInteractiveAuthentication "+v+"\n"...)
			names = names[n:]
		}
	}
	block(yes, "yes")
	block(no, "no")
	return b
}

// sshdLists splits the State's users by SSHPasswordEnabled, each sorted.
func sshdLists(users []User) (yes, no []string) {
	for i := range users {
		if users[i].SSHPasswordEnabled {
			yes = append(yes, users[i].Name)
		} else {
			no = append(no, users[i].Name)
		}
	}
	slices.Sort(yes)
	slices.Sort(no)
	return yes, no
}

// parseSSHD reads back a drop-in written by sshdContent: the names of its
// "yes" and "no" blocks, sorted. A missing file has none. false when the
// file is not in that form.
func parseSSHD(data []byte) (yes, no []string, ok bool) {
	if data == nil {
		return nil, nil, true
	}
	rest, ok := strings.CutPrefix(string(data), sshdHead)
	if !ok {
		return nil, nil, false
	}
	n := strings.Count(rest, ",") + strings.Count(rest, "\n")/3
	yes, no = make([]string, 0, n/8), make([]string, 0, n)
	for len(rest) > 0 {
		var lines [3]string
		for i := range lines {
			j := strings.IndexByte(rest, '\n')
			if j < 0 {
				return nil, nil, false
			}
			lines[i], rest = rest[:j], rest[j+1:]
		}
		names, ok := strings.CutPrefix(lines[0], "Match User ")
		if !ok || names == "" {
			return nil, nil, false
		}
		var list *[]string
		switch {
		case lines[1] == "\tPasswordAuthentication yes" && lines[2] == "\tKbdInteractiveAuthentication yes":
			list = &yes
		case lines[1] == "\tPasswordAuthentication no" && lines[2] == "\tKbdInteractiveAuthentication no":
			list = &no
		default:
			return nil, nil, false
		}
		// Names are counted against the Ledger by the caller.
		for name := range strings.SplitSeq(names, ",") {
			if name == "" {
				return nil, nil, false
			}
			*list = append(*list, name)
		}
	}
	if !slices.IsSorted(yes) {
		slices.Sort(yes)
	}
	if !slices.IsSorted(no) {
		slices.Sort(no)
	}
	return yes, no, true
}

// withNames returns the sorted list without the names in drop and with
// the names in add, kept sorted. list may be changed.
func withNames(list []string, drop map[string]bool, add []string) []string {
	for n := range drop {
		if i, ok := slices.BinarySearch(list, n); ok {
			list = slices.Delete(list, i, i+1)
		}
	}
	for _, n := range add {
		if i, ok := slices.BinarySearch(list, n); !ok {
			list = slices.Insert(list, i, n)
		}
	}
	return list
}

func writeSSHD(root string, content []byte) (bool, error) {
	path := filepath.Join(root, SSHDFile)
	if content == nil {
		return removeFile(path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, err
	}
	return writeFileAtomic(path, content, fileSpec{mode: 0o644, force: true})
}
