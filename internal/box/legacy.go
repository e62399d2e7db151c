package box

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Files of older engines, relative to root, which kept what they owned
// beside the store: owned.json (every record) and owned.journal (the
// changes since owned.json was written; a null record removes the name).
// The engine now keeps these records in its store; it reads these files
// once (ReadLegacyOwned) and then removes them (RemoveLegacyOwned).
const (
	LegacyManifestFile = stateDir + "/owned.json"
	LegacyJournalFile  = stateDir + "/owned.journal"
)

// ReadLegacyOwned reads the records an older engine left under root,
// the journal over the manifest; false when neither file exists.
func ReadLegacyOwned(root string) (*MemLedger, bool, error) {
	m := NewMemLedger()
	found := false
	for _, f := range []string{LegacyManifestFile, LegacyJournalFile} {
		data, err := os.ReadFile(filepath.Join(root, f))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		found = true
		var v struct {
			Users  map[string]*OwnedUser  `json:"users"`
			Groups map[string]*OwnedGroup `json:"groups"`
		}
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, false, fmt.Errorf("%s: %w", f, err)
		}
		if f == LegacyManifestFile {
			// The manifest holds no removals: a null there is no record.
			for n, r := range v.Users {
				if r == nil {
					delete(v.Users, n)
				}
			}
			for n, r := range v.Groups {
				if r == nil {
					delete(v.Groups, n)
				}
			}
		}
		for n := range v.Users {
			if why := checkName(n); why != "" {
				return nil, false, fmt.Errorf("%s: user %q: %s", f, n, why)
			}
		}
		for n := range v.Groups {
			if why := checkName(n); why != "" {
				return nil, false, fmt.Errorf("%s: group %q: %s", f, n, why)
			}
		}
		_ = m.Record(Edits{Users: v.Users, Groups: v.Groups})
	}
	return m, found, nil
}

// RemoveLegacyOwned removes the files ReadLegacyOwned reads (and their
// temporary names), the journal first, and then extra (more files of the
// older engine, relative to root); when it removed any, it syncs the
// folder, so that the removals reach the disk.
func RemoveLegacyOwned(root string, extra ...string) error {
	removed := false
	var paths []string
	for _, f := range append([]string{LegacyJournalFile, LegacyManifestFile}, extra...) {
		p := filepath.Join(root, f)
		paths = append(paths, p, filepath.Join(filepath.Dir(p), "."+filepath.Base(p)+".engine-tmp"), p+".tmp")
	}
	for _, p := range paths {
		err := os.Remove(p)
		if err == nil {
			removed = true
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if !removed {
		return nil
	}
	d, err := os.Open(filepath.Join(root, stateDir))
	if err != nil {
		return err
	}
	defer d.Close()
	_ = d.Sync() // not every system syncs a folder
	return nil
}
