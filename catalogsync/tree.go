package catalogsync

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// maxLinks is how many symbolic links one lookup follows before giving
// up, the limit Linux puts on a path.
const maxLinks = 40

var (
	errNotDir  = errors.New("not a directory")
	errIsDir   = errors.New("is a directory")
	errEscapes = errors.New("path escapes from parent")
	errLinks   = errors.New("too many levels of symbolic links")
	errLFS     = errors.New("a Git LFS pointer, not the file itself: LFS objects are not fetched; commit the file without LFS")
)

// lfsPointerPrefixes begin the pointer files that Git LFS commits in
// place of the files it stores elsewhere: the current specification's,
// and that of its first releases.
var lfsPointerPrefixes = [][]byte{
	[]byte("version https://git-lfs.github.com/spec/v1\n"),
	[]byte("version https://hawser.github.com/spec/v1\n"),
}

// maxLFSPointer is the size under which a Git LFS pointer file must be.
const maxLFSPointer = 1024

// isLFSPointer reports whether data is a Git LFS pointer file.
func isLFSPointer(data []byte) bool {
	return len(data) < maxLFSPointer && slices.ContainsFunc(lfsPointerPrefixes, func(p []byte) bool { return bytes.HasPrefix(data, p) })
}

// treeFS is a read-only file system over a git tree, the catalog directory
// of one commit. Reading the commit's objects rather than a checkout means
// there is no work tree that a crash could leave half updated or that
// anything but a fetch could change.
//
// Symbolic links are followed as the directory source's os.Root follows
// them in a checkout: a link's target is resolved inside the tree, and a
// target that is absolute or leaves the tree is an error. Submodules are
// not part of the tree.
type treeFS struct {
	objects storer.EncodedObjectStorer
	root    *object.Tree
	// refuseLFS makes a Git LFS pointer file an error to open or read,
	// rather than content: the catalog must not be loaded from pointers,
	// while a tool that compares two commits may compare them.
	refuseLFS bool

	// trees caches the directories decoded so far: every lookup walks
	// down from the root, and a directory of many entries (an addons
	// path of hundreds of modules) would be decoded again for each.
	mu    sync.Mutex
	trees map[plumbing.Hash]*object.Tree
}

// tree returns the directory h, decoded once.
func (t *treeFS) tree(h plumbing.Hash) (*object.Tree, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if tree, ok := t.trees[h]; ok {
		return tree, nil
	}
	tree, err := object.GetTree(t.objects, h)
	if err != nil {
		return nil, err
	}
	if t.trees == nil {
		t.trees = map[plumbing.Hash]*object.Tree{}
	}
	t.trees[h] = tree
	return tree, nil
}

// node is what a path of a treeFS names once its links are followed.
type node struct {
	name string // base name, "." for the root
	mode filemode.FileMode
	hash plumbing.Hash
	tree *object.Tree // for a directory
}

// lookup resolves name, a valid fs path, following symbolic links.
func (t *treeFS) lookup(name string) (node, error) {
	root := node{name: ".", mode: filemode.Dir, hash: t.root.Hash, tree: t.root}
	cur := root
	parts := split(name)
	var dir []string // the path of cur
	links := 0
	for len(parts) > 0 {
		if cur.tree == nil {
			return node{}, errNotDir
		}
		p := parts[0]
		parts = parts[1:]
		i := slices.IndexFunc(cur.tree.Entries, func(e object.TreeEntry) bool { return e.Name == p })
		if i < 0 {
			return node{}, fs.ErrNotExist
		}
		e := cur.tree.Entries[i]
		switch e.Mode {
		case filemode.Symlink:
			if links++; links > maxLinks {
				return node{}, errLinks
			}
			target, err := t.read(e.Hash)
			if err != nil {
				return node{}, err
			}
			full := path.Join(strings.Join(dir, "/"), string(target))
			if path.IsAbs(string(target)) || full == ".." || strings.HasPrefix(full, "../") {
				return node{}, errEscapes
			}
			parts = append(split(full), parts...)
			cur, dir = root, nil
		case filemode.Dir:
			tree, err := t.tree(e.Hash)
			if err != nil {
				return node{}, err
			}
			cur = node{name: p, mode: e.Mode, hash: e.Hash, tree: tree}
			dir = append(dir, p)
		case filemode.Regular, filemode.Executable, filemode.Deprecated:
			cur = node{name: p, mode: e.Mode, hash: e.Hash}
		case filemode.Submodule:
			return node{}, &submoduleError{path: strings.Join(append(slices.Clone(dir), p), "/")}
		default:
			return node{}, fs.ErrNotExist
		}
	}
	return cur, nil
}

// submoduleError is the error of a path that is, or leads into, a
// submodule: a commit of another repository, whose files this tree does
// not have and which is not fetched. It is fs.ErrNotExist to errors.Is,
// as for any file the tree does not have, but says why.
type submoduleError struct {
	path string // the submodule, relative to the tree's root
}

func (e *submoduleError) Error() string {
	return fmt.Sprintf("%q is a submodule: its files are in another repository, which is not read", e.path)
}

func (e *submoduleError) Is(target error) bool { return target == fs.ErrNotExist }

// split returns the elements of a cleaned slash-separated path.
func split(p string) []string {
	if p == "." || p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// read returns the content of a blob.
func (t *treeFS) read(h plumbing.Hash) ([]byte, error) {
	b, err := object.GetBlob(t.objects, h)
	if err != nil {
		return nil, err
	}
	r, err := b.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// readFile returns the content of a regular file, refusing a Git LFS
// pointer when the tree is set to.
func (t *treeFS) readFile(h plumbing.Hash) ([]byte, error) {
	data, err := t.read(h)
	if err == nil && t.refuseLFS && isLFSPointer(data) {
		return nil, errLFS
	}
	return data, err
}

// find is lookup for the method op of the file system, with its errors as
// *fs.PathError.
func (t *treeFS) find(op, name string) (node, error) {
	if !fs.ValidPath(name) {
		return node{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	n, err := t.lookup(name)
	if err != nil {
		return node{}, &fs.PathError{Op: op, Path: name, Err: err}
	}
	return n, nil
}

// Open implements fs.FS.
func (t *treeFS) Open(name string) (fs.File, error) {
	n, err := t.find("open", name)
	if err != nil {
		return nil, err
	}
	if n.tree != nil {
		return &treeDir{info: t.info(n), entries: t.entries(n.tree)}, nil
	}
	data, err := t.readFile(n.hash)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &treeFile{info: t.info(n), Reader: bytes.NewReader(data)}, nil
}

// ReadFile implements fs.ReadFileFS.
func (t *treeFS) ReadFile(name string) ([]byte, error) {
	n, err := t.find("read", name)
	if err != nil {
		return nil, err
	}
	if n.tree != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errIsDir}
	}
	data, err := t.readFile(n.hash)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return data, nil
}

// ReadDir implements fs.ReadDirFS.
func (t *treeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	n, err := t.find("readdir", name)
	if err != nil {
		return nil, err
	}
	if n.tree == nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errNotDir}
	}
	return t.entries(n.tree), nil
}

// DirHash returns the hash of the git tree of the directory name, when
// that hash covers everything the directory shows: two such directories of
// one hash hold the same files. A directory holding a symbolic link (whose
// target may change elsewhere) or a submodule has none. Tools that compare
// two commits, such as andon odoo impact, skip equal directories without
// reading them.
func (t *treeFS) DirHash(name string) (string, bool) {
	n, err := t.lookup(name)
	if err != nil || n.tree == nil || !t.selfContained(n.tree, 0) {
		return "", false
	}
	return n.hash.String(), true
}

// selfContained reports whether a directory holds no symbolic link and no
// submodule at any depth: only then does its hash cover all it shows.
func (t *treeFS) selfContained(tree *object.Tree, depth int) bool {
	if depth > 32 {
		return false
	}
	for _, e := range tree.Entries {
		switch e.Mode {
		case filemode.Symlink, filemode.Submodule:
			return false
		case filemode.Dir:
			sub, err := t.tree(e.Hash)
			if err != nil || !t.selfContained(sub, depth+1) {
				return false
			}
		}
	}
	return true
}

// Stat implements fs.StatFS.
func (t *treeFS) Stat(name string) (fs.FileInfo, error) {
	n, err := t.find("stat", name)
	if err != nil {
		return nil, err
	}
	return t.info(n), nil
}

// entries lists a directory sorted by name, as fs.ReadDirFS requires; git
// sorts a tree as if each directory's name ended with a slash.
func (t *treeFS) entries(tree *object.Tree) []fs.DirEntry {
	var list []fs.DirEntry
	for _, e := range tree.Entries {
		if e.Mode == filemode.Submodule {
			continue
		}
		list = append(list, fs.FileInfoToDirEntry(t.info(node{name: e.Name, mode: e.Mode, hash: e.Hash})))
	}
	slices.SortFunc(list, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return list
}

// info describes n without following it, as Lstat would.
func (t *treeFS) info(n node) *treeInfo {
	i := &treeInfo{t: t, name: n.name, hash: n.hash}
	switch n.mode {
	case filemode.Dir:
		i.mode = fs.ModeDir | 0o755
	case filemode.Symlink:
		i.mode = fs.ModeSymlink | 0o777
	case filemode.Executable:
		i.mode = 0o755
	default:
		i.mode = 0o644
	}
	return i
}

// treeInfo is the fs.FileInfo of a treeFS. The size of a file is looked up
// only when asked for, so that listing a directory does not read every
// blob in it.
type treeInfo struct {
	t    *treeFS
	name string
	hash plumbing.Hash
	mode fs.FileMode
}

// Size returns the length of a file or link target, and zero for a
// directory or when the object store cannot tell it. The catalog loader
// refuses a file too large by its size before reading it, and bounds the
// read too, so a zero it cannot trust only delays the refusal.
func (i *treeInfo) Size() int64 {
	if i.mode.IsDir() {
		return 0
	}
	b, err := object.GetBlob(i.t.objects, i.hash)
	if err != nil {
		return 0
	}
	return b.Size
}

func (i *treeInfo) Name() string       { return i.name }
func (i *treeInfo) Mode() fs.FileMode  { return i.mode }
func (i *treeInfo) ModTime() time.Time { return time.Time{} }
func (i *treeInfo) IsDir() bool        { return i.mode.IsDir() }
func (i *treeInfo) Sys() any           { return nil }

// treeFile is an open regular file of a treeFS, read into memory.
type treeFile struct {
	info *treeInfo
	*bytes.Reader
}

func (f *treeFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *treeFile) Close() error               { return nil }

// treeDir is an open directory of a treeFS.
type treeDir struct {
	info    *treeInfo
	entries []fs.DirEntry
}

func (d *treeDir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *treeDir) Close() error               { return nil }

func (d *treeDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.name, Err: errIsDir}
}

// ReadDir implements fs.ReadDirFile.
func (d *treeDir) ReadDir(n int) ([]fs.DirEntry, error) {
	if n <= 0 {
		list := d.entries
		d.entries = nil
		return list, nil
	}
	if len(d.entries) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(d.entries))
	list := d.entries[:n]
	d.entries = d.entries[n:]
	return list, nil
}
