package manifest

import (
	"io/fs"
	"path"
	"strings"
)

// ReadFS reads the objects of the manifest files under dir in fsys, such
// as a directory of a git commit, with the rules Read applies to a
// directory: *.yaml, *.yml and *.json files, recursively, hidden files
// and directories skipped, each directory's entries in name order.
// Objects name their files by their slash-separated paths in fsys.
func ReadFS(fsys fs.FS, dir string) ([]*Object, error) {
	var objs []*Object
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return &Error{File: p, Err: err}
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		switch path.Ext(p) {
		case ".yaml", ".yml", ".json":
		default:
			return nil
		}
		if d.IsDir() {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return &Error{File: p, Err: err}
		}
		got, err := Parse(p, b)
		if err != nil {
			return err
		}
		objs = append(objs, got...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return objs, nil
}
