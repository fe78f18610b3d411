package catalogsync

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// Files is a directory of a git repository at one commit.
type Files struct {
	// FS holds the directory's files as the commit has them, read from
	// the fetched objects, with the rules of a Git source: dot names are
	// there, symbolic links are followed but not out of the directory.
	FS fs.FS
	// Commit is the hash of the commit the ref named.
	Commit string
	// URL is the repository's URL without password; an http(s) URL has no
	// user either.
	URL string
	// Source describes the directory as a Git source does, "git
	// URL@REF:PATH".
	Source string
}

// GitFiles fetches o.Ref of the repository at o.URL and returns the
// directory o.Path at the commit it names, for tools that read other
// files than a catalog from git, such as the desired manifests of andon
// drift. o.CacheDir works as for Git. Errors name the source and never
// show its password.
func GitFiles(ctx context.Context, o GitOptions) (*Files, error) {
	src, err := Git(o)
	if err != nil {
		return nil, err
	}
	g := src.(*gitSource)
	g.mu.Lock()
	defer g.mu.Unlock()
	h, fsys, err := g.dir(ctx)
	if err != nil {
		return nil, err
	}
	return &Files{FS: fsys, Commit: h.String(), URL: g.display, Source: g.String()}, nil
}

// Ancestor reports whether commit older is an ancestor of commit newer in
// the git repository of the local directory dir (or one above it), by
// their full hashes. It reads the history there, which a fetch of one
// commit, as GitFiles makes, does not have; an error says it cannot tell,
// as in a shallow clone.
func Ancestor(dir, older, newer string) (bool, error) {
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return false, err
	}
	a, err := repo.CommitObject(plumbing.NewHash(older))
	if err != nil {
		return false, err
	}
	b, err := repo.CommitObject(plumbing.NewHash(newer))
	if err != nil {
		return false, err
	}
	ok, err := a.IsAncestor(b)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return false, fmt.Errorf("%s: the history of %s is cut short (a shallow clone? git fetch --unshallow fetches the rest): %w", dir, newer, err)
	}
	return ok, err
}

// GitAncestor reports whether commit older is an ancestor of commit newer,
// by their full hashes, in the repository at o.URL, whose o.Ref names
// newer as it did for GitFiles. It fetches newer's history, which the
// fetch of one commit by GitFiles lacks: its last ancestryDepth commits,
// which hold older in most ranges that hold it at all, then, when older is
// not among them and the history goes on, all of it, as long as that may
// be. A Ref that is a commit hash fetches every branch and tag with their
// history at once, as GitFiles does. An error says it cannot tell: newer
// is no longer in the history o.Ref names (the ref moved), the server's
// history is cut (a shallow repository), or the fetch failed.
func GitAncestor(ctx context.Context, o GitOptions, older, newer string) (bool, error) {
	src, err := Git(o)
	if err != nil {
		return false, err
	}
	g := src.(*gitSource)
	for _, depth := range []int{ancestryDepth, allHistory} {
		g.repo, g.depth = nil, depth // a repository of its own for each fetch
		found, complete, err := g.reaches(ctx, plumbing.NewHash(newer), plumbing.NewHash(older))
		switch {
		case err != nil:
			return false, err
		case found:
			return true, nil
		case complete:
			return false, nil
		}
	}
	return false, g.errorf("the history of %s is cut short on the server (a shallow repository?): cannot tell whether %s is in it", newer, older)
}

// ancestryDepth is how many commits of history GitAncestor fetches first.
const ancestryDepth = 256

// reaches fetches Ref and walks the history of commit from in what was
// fetched, looking for commit target: whether it is there, and when not,
// whether the history was complete, not cut by the depth of the fetch.
func (g *gitSource) reaches(ctx context.Context, from, target plumbing.Hash) (found, complete bool, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.open(); err != nil {
		return false, false, g.errorf("%w", err)
	}
	if _, err := g.resolve(ctx); err != nil {
		return false, false, err
	}
	_, err = object.GetCommit(g.repo.Storer, from)
	switch {
	case errors.Is(err, plumbing.ErrObjectNotFound) && g.depth != allHistory:
		return false, false, nil // the ref moved on, maybe, further than the depth
	case err != nil:
		return false, false, g.errorf("commit %s is not in the history of the ref (%w): did the ref move?", from, err)
	}
	complete = true
	seen := map[plumbing.Hash]bool{from: true}
	for queue := []plumbing.Hash{from}; len(queue) > 0; queue = queue[1:] {
		if queue[0] == target {
			return true, true, nil
		}
		c, err := object.GetCommit(g.repo.Storer, queue[0])
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			// The parent of a commit at the depth of the fetch.
			complete = false
			continue
		}
		if err != nil {
			return false, false, g.errorf("commit %s: %w", queue[0], err)
		}
		for _, p := range c.ParentHashes {
			if !seen[p] {
				seen[p] = true
				queue = append(queue, p)
			}
		}
	}
	return false, complete, nil
}

// RepositoryUnreadable reports whether err, from reading a git source,
// says the repository itself cannot be read (there is none, it cannot be
// reached, the credentials are refused) rather than the ref or the path
// in it, so that a command can blame the flag that names the repository.
func RepositoryUnreadable(err error) bool {
	var netErr net.Error
	return errors.Is(err, transport.ErrRepositoryNotFound) || errors.Is(err, transport.ErrAuthenticationRequired) ||
		errors.Is(err, transport.ErrAuthorizationFailed) || errors.As(err, &netErr)
}

// dir fetches Ref and returns the commit it names and the directory Path
// of that commit. The caller holds g.mu.
func (g *gitSource) dir(ctx context.Context) (plumbing.Hash, *treeFS, error) {
	if err := g.open(); err != nil {
		return plumbing.ZeroHash, nil, g.errorf("%w", err)
	}
	h, err := g.resolve(ctx)
	if err != nil {
		return plumbing.ZeroHash, nil, err
	}
	commit, err := g.repo.CommitObject(h)
	if err != nil {
		return plumbing.ZeroHash, nil, g.errorf("commit %s: %w", h, err)
	}
	tree, err := commit.Tree()
	if err != nil {
		return plumbing.ZeroHash, nil, g.errorf("commit %s: %w", h, err)
	}
	fsys := &treeFS{objects: g.repo.Storer, root: tree}
	if g.o.Path != "" {
		n, err := fsys.lookup(g.o.Path)
		if err != nil {
			return plumbing.ZeroHash, nil, g.errorf("commit %s: path %q: %w", h, g.o.Path, err)
		}
		if n.tree == nil {
			return plumbing.ZeroHash, nil, g.errorf("commit %s: path %q is not a directory", h, g.o.Path)
		}
		fsys = &treeFS{objects: g.repo.Storer, root: n.tree}
	}
	return h, fsys, nil
}
