package catalogsync

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/andon-governance/andon"
)

// configMapData is the symbolic link through which Kubernetes swaps the
// content of a mounted ConfigMap: every key is a link to ..data/KEY, and
// ..data is replaced by a link to a new timestamped directory at each
// update.
const configMapData = "..data"

// readAttempts bounds how often a directory is read again when it changed
// while being read.
const readAttempts = 3

// Dir returns the Source of the catalog directory at path, read as
// catalog.Load reads it: opened as a root that no symbolic link can leave,
// every *.yaml and *.yml file below it except those under a name starting
// with a dot, and the ICS files that windows name.
//
// A mounted Kubernetes ConfigMap is read through the links at its top: the
// ..data link and the timestamped directory it points to start with a dot,
// so each file is read once, under its key. Since the files are read one
// by one, an update could swap ..data between two of them; Fetch reads the
// directory again when ..data points elsewhere after reading than before,
// so a snapshot never mixes two versions of a ConfigMap.
func Dir(path string) Source { return &dirSource{path: path} }

type dirSource struct {
	path string
}

func (d *dirSource) String() string { return "dir " + d.path }

// Fetch reads the directory now.
func (d *dirSource) Fetch(ctx context.Context) (*Snapshot, error) {
	for range readAttempts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		cat, archive, stable, err := d.read()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d, err)
		}
		if stable {
			return &Snapshot{Catalog: cat, Revision: cat.Revision, Source: d.String(), Archive: archive}, nil
		}
	}
	return nil, fmt.Errorf("%s: %s changed while being read, %d times in a row", d, configMapData, readAttempts)
}

// read loads the directory once. stable is false when a ConfigMap's data
// link was swapped during the read; the catalog is then not returned,
// whether it loaded or not, since its files may come from two versions.
func (d *dirSource) read() (cat *andon.Catalog, archive []byte, stable bool, err error) {
	root, err := os.OpenRoot(d.path)
	if err != nil {
		return nil, nil, false, err
	}
	defer root.Close()
	before, err := dataLink(root)
	if err != nil {
		return nil, nil, false, err
	}
	cat, archive, loadErr := load(root.FS())
	after, err := dataLink(root)
	if err != nil {
		return nil, nil, false, err
	}
	if before != after {
		return nil, nil, false, nil
	}
	return cat, archive, true, loadErr
}

// dataLink returns the target of the ConfigMap data link at the top of
// root, or "" when there is none.
func dataLink(root *os.Root) (string, error) {
	fi, err := root.Lstat(configMapData)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		return "", nil // not a ConfigMap mount
	}
	return root.Readlink(configMapData)
}

// FS returns the Source of the catalog at root in fsys, such as the
// embedded example catalog; name describes it in logs and records.
func FS(fsys fs.FS, root, name string) Source { return &fsSource{fsys: fsys, root: root, name: name} }

type fsSource struct {
	fsys       fs.FS
	root, name string
}

func (s *fsSource) String() string { return s.name }

// Fetch reads the file system now.
func (s *fsSource) Fetch(ctx context.Context) (*Snapshot, error) {
	sub, err := fs.Sub(s.fsys, s.root)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s, err)
	}
	cat, archive, err := load(sub)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s, err)
	}
	return &Snapshot{Catalog: cat, Revision: cat.Revision, Source: s.String(), Archive: archive}, nil
}
