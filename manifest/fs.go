package manifest

import "io/fs"

// ReadFS reads the objects of the manifest files under dir in fsys, such
// as a directory of a git commit, as Read reads a directory: *.yaml, *.yml
// and *.json files, recursively, hidden files and directories skipped, in
// path order, parsed in parallel, at most 64 MiB of each. Objects name
// their files by their slash-separated paths in fsys.
func ReadFS(fsys fs.FS, dir string) ([]*Object, error) {
	files, err := manifestFiles(fsys, dir)
	if e, ok := err.(*Error); ok {
		return nil, e
	} else if err != nil {
		return nil, &Error{File: dir, Err: err}
	}
	inputs := make([]input, len(files))
	for i, f := range files {
		inputs[i] = input{file: f}
	}
	return parseAll(inputs, fsys.Open)
}
