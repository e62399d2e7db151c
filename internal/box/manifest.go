//go:build unix

package box

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// manifest is what the engine owns on the box, kept in
// <root>/var/db/truenas-engine/owned.json. A name listed here and no longer
// in the State is removed from the files; a name in the State whose line
// exists but is not listed here is foreign.
type manifest struct {
	Version int                 `json:"version"`
	Users   map[string]userRec  `json:"users"`
	Groups  map[string]groupRec `json:"groups"`
}

type userRec struct {
	// Homes are the homes where the engine may have written .ssh; the last
	// one is the current home. Usually one entry.
	Homes []string `json:"homes,omitempty"`
	// Perm is the owner and mode last applied to the current home; nil
	// when not applied yet (or unknown), which makes Apply apply them.
	Perm *homePerm `json:"perm,omitempty"`
}

type homePerm struct {
	Home string `json:"home"`
	UID  int64  `json:"uid"`
	GID  int64  `json:"gid"`
	Mode uint32 `json:"mode"`
}

type groupRec struct {
	// MembersOnly marks a foreign group line (one the engine did not write)
	// whose member field the engine manages. The line itself is never
	// removed; when the group leaves the State its record is dropped and
	// the line stays as it is.
	MembersOnly bool `json:"members_only,omitempty"`
}

func newManifest() *manifest {
	return &manifest{Version: 1, Users: map[string]userRec{}, Groups: map[string]groupRec{}}
}

func readManifest(root string) (*manifest, error) {
	data, err := os.ReadFile(filepath.Join(root, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return newManifest(), nil
	}
	if err != nil {
		return nil, err
	}
	m := newManifest()
	if err := json.Unmarshal(data, m); err != nil {
		return nil, fmt.Errorf("%s: %w", ManifestFile, err)
	}
	if m.Users == nil {
		m.Users = map[string]userRec{}
	}
	if m.Groups == nil {
		m.Groups = map[string]groupRec{}
	}
	return m, nil
}

func (m *manifest) write(root string) error {
	data, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if err := os.MkdirAll(filepath.Join(root, stateDir), 0o700); err != nil {
		return err
	}
	_, err = writeFileAtomic(filepath.Join(root, ManifestFile), data, fileSpec{mode: 0o600})
	return err
}

// union is the intent manifest written before the files are touched: every
// name owned before or after this Apply, so that a crash half-way leaves no
// engine-written line that the manifest does not know.
func union(old, next *manifest) *manifest {
	u := newManifest()
	for n, r := range old.Users {
		u.Users[n] = userRec{Homes: slices.Clone(r.Homes), Perm: r.Perm}
	}
	for n, r := range next.Users {
		o, ok := u.Users[n]
		if !ok {
			u.Users[n] = userRec{Homes: slices.Clone(r.Homes)}
			continue
		}
		for _, h := range r.Homes {
			if !slices.Contains(o.Homes, h) {
				o.Homes = append(o.Homes, h)
			}
		}
		u.Users[n] = o
	}
	for n, r := range old.Groups {
		u.Groups[n] = r
	}
	for n, r := range next.Groups {
		if o, ok := u.Groups[n]; ok && !o.MembersOnly {
			continue // an owned line stays owned until the final manifest
		}
		u.Groups[n] = r
	}
	return u
}
