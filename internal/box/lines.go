//go:build unix

package box

import (
	"bytes"
	"slices"
)

// lineFile is a colon-separated account file (passwd, group, shadow,
// gshadow) and where the lines of some names start. The name of a line is
// what comes before its first colon; lines without one (comments, blank
// lines) have none.
type lineFile struct {
	data []byte
	at   map[string][]int // name -> offsets of its lines, in file order
}

// searchLimit is the number of names above which readLines walks every
// line instead of searching for each name.
const searchLimit = 64

// readLines finds the lines of the given names in data (of every name when
// names is nil). For a few names it searches for them rather than walking
// every line, so that its cost is little more than a memory scan.
func readLines(data []byte, names map[string]bool) *lineFile {
	f := &lineFile{data: data, at: map[string][]int{}}
	if names == nil || len(names) > searchLimit {
		for off := 0; off < len(data); {
			end := lineEnd(data, off)
			if k := keyOf(data[off:end]); k != nil && (names == nil || names[string(k)]) {
				f.at[string(k)] = append(f.at[string(k)], off)
			}
			off = end + 1
		}
		return f
	}
	pat := make([]byte, 0, 64)
	for n := range names {
		if n == "" {
			continue
		}
		pat = append(append(append(pat[:0], '\n'), n...), ':')
		var offs []int
		if bytes.HasPrefix(data, pat[1:]) {
			offs = append(offs, 0)
		}
		for i := 0; ; {
			j := bytes.Index(data[i:], pat)
			if j < 0 {
				break
			}
			i += j + 1
			offs = append(offs, i)
		}
		if offs != nil {
			f.at[n] = offs
		}
	}
	return f
}

// lineEnd is the offset of the newline ending the line at off, or len(data).
func lineEnd(data []byte, off int) int {
	if i := bytes.IndexByte(data[off:], '\n'); i >= 0 {
		return off + i
	}
	return len(data)
}

// keyOf is the name of a line, nil when it has none.
func keyOf(l []byte) []byte {
	i := bytes.IndexByte(l, ':')
	if i <= 0 {
		return nil
	}
	return l[:i]
}

func (f *lineFile) has(name string) bool { return len(f.at[name]) > 0 }

// line is the first line of name.
func (f *lineFile) line(name string) ([]byte, bool) {
	offs := f.at[name]
	if len(offs) == 0 {
		return nil, false
	}
	return f.data[offs[0]:lineEnd(f.data, offs[0])], true
}

// firstLine is the first line of name in data.
func firstLine(data []byte, name string) ([]byte, bool) {
	return readLines(data, map[string]bool{name: true}).line(name)
}

// merge rewrites the file: the first line of each name in want is replaced
// by the wanted line and its later lines dropped, lines of names in remove
// are dropped, lines of names in members get their 4th field (index 3)
// set; every other line is kept byte for byte, and the file ends with a
// newline. Wanted names with no line are appended in order. f must hold
// the lines of every name in want, remove and members.
func (f *lineFile) merge(want map[string][]byte, order []string, remove []string, members map[string][]byte) []byte {
	type change struct {
		off  int
		line []byte // nil: drop
	}
	var changes []change
	size := len(f.data) + 1
	for n, w := range want {
		for i, off := range f.at[n] {
			if i == 0 {
				changes = append(changes, change{off, w})
				size += len(w)
			} else {
				changes = append(changes, change{off, nil})
			}
		}
	}
	for _, n := range remove {
		if _, ok := want[n]; ok {
			continue
		}
		for _, off := range f.at[n] {
			changes = append(changes, change{off, nil})
		}
	}
	for n, m := range members {
		if _, ok := want[n]; ok || slices.Contains(remove, n) {
			continue
		}
		for _, off := range f.at[n] {
			l := f.data[off:lineEnd(f.data, off)]
			if field(l, 3) != string(m) {
				changes = append(changes, change{off, withField(l, 3, m)})
				size += len(m) + 1
			}
		}
	}
	slices.SortFunc(changes, func(a, b change) int { return a.off - b.off })
	for _, n := range order {
		if len(f.at[n]) == 0 {
			size += len(want[n]) + 1
		}
	}
	out := make([]byte, 0, size)
	prev := 0
	for _, c := range changes {
		out = append(out, f.data[prev:c.off]...)
		prev = lineEnd(f.data, c.off) + 1
		if c.line != nil {
			out = append(out, c.line...)
			out = append(out, '\n')
		}
	}
	if prev < len(f.data) {
		out = append(out, f.data[prev:]...)
	}
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	for _, n := range order {
		if len(f.at[n]) == 0 {
			out = append(out, want[n]...)
			out = append(out, '\n')
		}
	}
	return out
}

// field returns the i-th colon-separated field of l.
func field(l []byte, i int) string {
	f := bytes.SplitN(l, []byte(":"), i+2)
	if i < len(f) {
		return string(f[i])
	}
	return ""
}

// withField returns l with its i-th field replaced (l must have > i fields;
// otherwise l is padded with empty fields).
func withField(l []byte, i int, v []byte) []byte {
	f := bytes.Split(l, []byte(":"))
	for len(f) <= i {
		f = append(f, nil)
	}
	f[i] = v
	return bytes.Join(f, []byte(":"))
}
