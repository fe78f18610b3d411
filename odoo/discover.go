package odoo

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Addons are the modules of one or more addons paths.
type Addons struct {
	// Modules holds one module per name, sorted by name. Of modules of
	// the same name, it holds the one of the earliest addons path, which
	// is the one Odoo loads.
	Modules []*Module
	// Shadowed holds the modules hidden by a module of the same name in an
	// earlier addons path, in the order they were found. A change to one
	// of them changes nothing Odoo runs.
	Shadowed []*Module
}

// Module returns the module called name.
func (a *Addons) Module(name string) (*Module, bool) {
	i, ok := slices.BinarySearchFunc(a.Modules, name, func(m *Module, name string) int {
		return strings.Compare(m.Name, name)
	})
	if !ok {
		return nil, false
	}
	return a.Modules[i], true
}

// Discover finds the modules of the addons paths on disk, in order, as
// DiscoverFS does. Module paths and error messages start with the addons
// paths as given.
func Discover(paths ...string) (*Addons, error) {
	srcs := make([]source, len(paths))
	for i, p := range paths {
		srcs[i] = source{fsys: os.DirFS(p), dir: ".", shown: p, join: filepath.Join}
	}
	return discover(srcs)
}

// DiscoverFS finds the modules of the addons paths in fsys, such as the
// tree of a git commit, in order. An addons path is a directory; each of
// its immediate subdirectories that holds a manifest (__manifest__.py, or
// else __openerp__.py) is a module, and the others, as well as hidden
// directories, are skipped. A manifest that is a symbolic link to nothing
// is an error, not a directory without a manifest.
//
// A manifest that cannot be read or parsed does not stop the search: the
// error returned joins every problem found (each an *Error naming its file
// and, for a bad manifest, line and column), and the Addons returned holds
// the modules that could be read, for a report that shows both.
func DiscoverFS(fsys fs.FS, paths ...string) (*Addons, error) {
	srcs := make([]source, len(paths))
	for i, p := range paths {
		srcs[i] = source{fsys: fsys, dir: p, shown: p, join: path.Join}
	}
	return discover(srcs)
}

// source is one addons path: the directory dir of fsys, named shown in
// what Discover returns, with join joining names to it.
type source struct {
	fsys  fs.FS
	dir   string
	shown string
	join  func(...string) string
}

func discover(srcs []source) (*Addons, error) {
	a := &Addons{}
	found := map[string]bool{}
	var errs []error
	for _, src := range srcs {
		entries, err := fs.ReadDir(src.fsys, src.dir)
		if err != nil {
			errs = append(errs, &Error{File: src.shown, Err: err})
			continue
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") || !isDir(src.fsys, path.Join(src.dir, e.Name()), e) {
				continue
			}
			m, ok, err := readModule(src, e.Name())
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if !ok {
				continue
			}
			if found[m.Name] {
				a.Shadowed = append(a.Shadowed, m)
				continue
			}
			found[m.Name] = true
			a.Modules = append(a.Modules, m)
		}
	}
	slices.SortStableFunc(a.Modules, func(x, y *Module) int { return strings.Compare(x.Name, y.Name) })
	return a, errors.Join(errs...)
}

// isDir reports whether the entry at name is a directory, following a
// symbolic link, as addons paths often link modules in from elsewhere.
func isDir(fsys fs.FS, name string, e fs.DirEntry) bool {
	if e.Type()&fs.ModeSymlink == 0 {
		return e.IsDir()
	}
	fi, err := fs.Stat(fsys, name)
	return err == nil && fi.IsDir()
}

// readModule reads the module in the directory name of an addons path;
// ok is false for a directory without a manifest.
func readModule(src source, name string) (m *Module, ok bool, err error) {
	for _, file := range []string{ManifestFile, LegacyManifestFile} {
		b, err := fs.ReadFile(src.fsys, path.Join(src.dir, name, file))
		shown := src.join(src.shown, name, file)
		switch {
		case errors.Is(err, fs.ErrNotExist) && listed(src.fsys, path.Join(src.dir, name), file):
			// A symbolic link to nothing: the module is there, its
			// manifest is not, and the module must not read as removed.
			return nil, false, &Error{File: shown, Message: "a symbolic link to a file that does not exist"}
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return nil, false, &Error{File: shown, Err: err}
		}
		m, err := ParseManifest(shown, b)
		return m, err == nil, err
	}
	return nil, false, nil
}

// listed reports whether the directory dir of fsys has an entry called
// name, which it may have though name cannot be opened.
func listed(fsys fs.FS, dir, name string) bool {
	entries, err := fs.ReadDir(fsys, dir)
	return err == nil && slices.ContainsFunc(entries, func(e fs.DirEntry) bool { return e.Name() == name })
}
