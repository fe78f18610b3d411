package odoo

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
)

// Rename is a module the change removes and one it adds that look like
// one module under a new name. Odoo knows no renames: to it the module
// From is gone, its records left in the database and the modules that
// depend on it unable to load, and To is a new module, which takes over
// none of From's records. A Rename makes the pair visible; it changes
// nothing the change touches.
//
// A pair is a rename when the two manifests give the same name, or when
// more than half of the files of each (by path in the module and content;
// empty files, which any two modules may share, not counted) are alike,
// and when neither module makes such a pair with another.
type Rename struct {
	From string `json:"from"`
	To   string `json:"to"`
	// Name is the manifest's name both modules have, or "" when they
	// differ.
	Name string `json:"name,omitempty"`
	// SameFiles is how many files the two have alike, of FromFiles and
	// ToFiles, the files of each, empty ones not counted.
	SameFiles int `json:"sameFiles"`
	FromFiles int `json:"fromFiles"`
	ToFiles   int `json:"toFiles"`
}

// Evidence says, in words, what the two modules of r share.
func (r Rename) Evidence() string {
	var why []string
	if r.Name != "" {
		why = append(why, fmt.Sprintf("same manifest name %q", r.Name))
	}
	files := "files"
	if r.SameFiles == 1 {
		files = "file"
	}
	why = append(why, fmt.Sprintf("%d %s alike, of %d before and %d after", r.SameFiles, files, r.FromFiles, r.ToFiles))
	return strings.Join(why, "; ")
}

// fingerprint is what renames compares of a module: the manifest's name,
// and the hash of each file's content by path, empty files left out.
type fingerprint struct {
	name  string
	files map[string][sha256.Size]byte
}

func fingerprintOf(m *Module, files map[string][]byte) fingerprint {
	fp := fingerprint{files: map[string][sha256.Size]byte{}}
	if m != nil {
		fp.name = strings.TrimSpace(m.Title)
	}
	for f, b := range files {
		if len(b) > 0 {
			fp.files[f] = sha256.Sum256(b)
		}
	}
	return fp
}

// renames pairs the modules a change removes, gone, with those it adds,
// came, both by name, as Rename says.
func renames(gone, came map[string]fingerprint) []Rename {
	// Each file of an added module by path and content, so that a removed
	// module is compared with those that share a file, not with all.
	type file struct {
		path string
		hash [sha256.Size]byte
	}
	byFile := map[file][]string{}
	for _, name := range sortedKeys(keysOf(came)) {
		for f, h := range came[name].files {
			byFile[file{f, h}] = append(byFile[file{f, h}], name)
		}
	}
	candidates := map[string][]Rename{} // by added module
	found := []Rename{}
	for _, from := range sortedKeys(keysOf(gone)) {
		old := gone[from]
		same := map[string]int{}
		for f, h := range old.files {
			for _, to := range byFile[file{f, h}] {
				same[to]++
			}
		}
		var mine []Rename
		for _, to := range sortedKeys(keysOf(came)) {
			cur := came[to]
			r := Rename{From: from, To: to, SameFiles: same[to], FromFiles: len(old.files), ToFiles: len(cur.files)}
			if old.name != "" && old.name == cur.name {
				r.Name = old.name
			}
			if r.Name != "" || (2*r.SameFiles > r.FromFiles && 2*r.SameFiles > r.ToFiles) {
				mine = append(mine, r)
			}
		}
		// A module that looks like several is none of them for sure.
		if len(mine) == 1 {
			found = append(found, mine[0])
		}
		for _, r := range mine {
			candidates[r.To] = append(candidates[r.To], r)
		}
	}
	return slices.DeleteFunc(found, func(r Rename) bool { return len(candidates[r.To]) != 1 })
}

// keysOf returns the keys of m as a set.
func keysOf[V any](m map[string]V) map[string]bool {
	set := make(map[string]bool, len(m))
	for k := range m {
		set[k] = true
	}
	return set
}
