package catalogsync

import (
	"io/fs"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// CommitFS returns the file system a Git source reads the directory p of
// commit in the repository at dir through, so that tests can check it
// against io/fs's rules.
func CommitFS(dir, commit, p string) (fs.FS, error) {
	repo, err := git.PlainOpen(dir)
	if err != nil {
		return nil, err
	}
	c, err := repo.CommitObject(plumbing.NewHash(commit))
	if err != nil {
		return nil, err
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, err
	}
	fsys := &treeFS{objects: repo.Storer, root: tree}
	n, err := fsys.lookup(p)
	if err != nil {
		return nil, err
	}
	return &treeFS{objects: repo.Storer, root: n.tree}, nil
}
