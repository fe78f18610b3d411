package catalogsync

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/memory"
)

// GitOptions says which catalog of which git repository a Git source
// reads.
type GitOptions struct {
	// URL is the repository: https://, http://, ssh://, user@host:path,
	// file:// or a local path. The last two run the git-upload-pack
	// program, as git itself does.
	URL string
	// Ref is a branch, a tag or a full commit hash, looked up on the
	// remote as git looks up a name (refs/NAME, refs/tags/NAME,
	// refs/heads/NAME...). Empty, it is the remote's HEAD: its default
	// branch.
	Ref string
	// Path is the catalog directory inside the repository, slash-separated;
	// empty, it is the top of the repository.
	Path string
	// CacheDir is where the fetched objects are kept, as a bare repository,
	// so that a restart fetches only what is new; a source needs a CacheDir
	// of its own. Empty, they are kept in memory, and a branch, tag or HEAD
	// is fetched without its history: the one commit it names, downloaded
	// again at the first Fetch after each start. The objects of the commits
	// fetched since are let go once they are more than twice those of one
	// commit (see Fetch).
	CacheDir string
	// Username and Password authenticate over HTTP(S) with basic
	// authentication; an access token goes in Password, with the user name
	// the host expects. When both are empty, a user and password written in
	// an http(s) URL are used instead and taken out of it, so that they
	// appear in no description and no error.
	Username string
	Password string
}

// sourceRef is the local reference a fetch of a branch, tag or HEAD
// stores what the remote points to in; the repository kept in CacheDir
// has no branches of its own.
const sourceRef = plumbing.ReferenceName("refs/andon/source")

// Git returns the Source of the catalog in a git repository. It checks
// the options but does not reach the repository: each Fetch fetches Ref
// alone, downloading only what is new, and reads Path at the commit it
// resolves to. A Ref that is a commit hash already fetched is not fetched
// again, since a commit cannot change.
//
// The files are read from the commit's objects, never from a checkout,
// with the rules of the directory source: only Path and below, dot names
// skipped, symbolic links followed but not out of Path.
func Git(o GitOptions) (Source, error) {
	if o.URL == "" {
		return nil, errors.New("git: no repository URL")
	}
	g := &gitSource{o: o, url: o.URL, display: o.URL}
	if u, err := url.Parse(o.URL); err == nil && u.User != nil {
		pass, hasPass := u.User.Password()
		if u.Scheme == "http" || u.Scheme == "https" {
			if o.Username == "" && o.Password == "" {
				g.o.Username, g.o.Password = u.User.Username(), pass
			}
			u.User = nil
			g.url = u.String()
		} else if hasPass {
			u.User = url.User(u.User.Username())
		}
		g.display = u.String()
		g.secrets = append(g.secrets, pass)
	}
	if g.o.Username != "" || g.o.Password != "" {
		g.auth = &http.BasicAuth{Username: g.o.Username, Password: g.o.Password}
	}
	g.secrets = append(g.secrets, o.Password)
	if o.Path != "" {
		p := path.Clean(strings.Trim(o.Path, "/"))
		if strings.Contains(o.Path, `\`) || !fs.ValidPath(p) {
			return nil, fmt.Errorf("%s: path %q is not a slash-separated path inside the repository", g, o.Path)
		}
		if p == "." {
			p = ""
		}
		g.o.Path = p
	}
	if o.Ref != "" && (strings.ContainsAny(o.Ref, " ~^:?*[\\") || strings.HasPrefix(o.Ref, "-") ||
		strings.HasPrefix(o.Ref, "+") || strings.ContainsFunc(o.Ref, func(r rune) bool { return r < 0x20 || r == 0x7f })) {
		return nil, fmt.Errorf("%s: ref %q is not a branch, tag or commit name", g, o.Ref)
	}
	return g, nil
}

type gitSource struct {
	o       GitOptions // as given, with Path cleaned and credentials moved out of the URL
	url     string     // the URL to fetch from, without credentials
	display string     // the URL shown, without password
	auth    transport.AuthMethod
	secrets []string // masked in every error message

	// mu serializes fetches, which share the repository.
	mu   sync.Mutex
	repo *git.Repository
	// depth is how many commits of the history of a branch, tag or HEAD
	// a fetch into memory brings, the one it names included: 1 when 0,
	// and all of it when allHistory. A CacheDir holds all of it anyway.
	depth int
	// fresh is the size of the objects the first Fetch into a repository
	// in memory brought: one commit's, the most it needs to hold.
	fresh int64
}

// allHistory is the depth of a fetch of a whole history.
const allHistory = -1

// String describes the source as "git URL@REF:PATH", leaving out an empty
// ref or path.
func (g *gitSource) String() string {
	s := "git " + g.display
	if g.o.Ref != "" {
		s += "@" + g.o.Ref
	}
	if g.o.Path != "" {
		s += ":" + g.o.Path
	}
	return s
}

// Fetch brings the repository up to date with Ref and reads the catalog at
// the commit it names.
//
// Held in memory, the repository gains the objects of every new commit
// fetched onto the last, and keeps those of the commits before, whole
// files beside the catalog included: in a server that reads its source
// every 30 seconds for months, without end. So once it holds more than
// twice what its first fetch brought, and a MiB, it is let go, and the
// next Fetch downloads the one commit again into a new one.
func (g *gitSource) Fetch(ctx context.Context) (*Snapshot, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	h, fsys, err := g.dir(ctx)
	if err != nil {
		return nil, err
	}
	fsys.refuseLFS = true
	cat, archive, err := load(fsys)
	if err != nil {
		return nil, g.errorf("commit %s: %w", h, err)
	}
	if mem, ok := g.repo.Storer.(*memory.Storage); ok && g.depth != allHistory {
		var held int64
		for _, obj := range mem.Objects {
			held += obj.Size()
		}
		switch {
		case g.fresh == 0:
			g.fresh = held
		case held > 2*g.fresh+1<<20:
			g.repo, g.fresh = nil, 0
		}
	}
	return &Snapshot{Catalog: cat, Revision: cat.Revision, Commit: h.String(), Source: g.String(), Archive: archive}, nil
}

// open opens or creates the repository the objects are fetched into.
func (g *gitSource) open() error {
	if g.repo != nil {
		return nil
	}
	var err error
	if g.o.CacheDir == "" {
		g.repo, err = git.Init(memory.NewStorage(), nil)
		return err
	}
	g.repo, err = git.PlainOpen(g.o.CacheDir)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		g.repo, err = git.PlainInit(g.o.CacheDir, true)
	}
	if err != nil {
		g.repo = nil
		return fmt.Errorf("cache %s: %w", g.o.CacheDir, err)
	}
	return nil
}

// resolve fetches what Ref names and returns the commit it points to.
func (g *gitSource) resolve(ctx context.Context) (plumbing.Hash, error) {
	if plumbing.IsHash(g.o.Ref) {
		h := plumbing.NewHash(g.o.Ref)
		if c, err := g.peel(h); err == nil {
			return c, nil
		}
		// A server gives only what its branches and tags reach, not any
		// commit asked for by hash, so those are what is fetched.
		if err := g.fetchBranchesAndTags(ctx); err != nil {
			return plumbing.ZeroHash, g.errorf("%w", err)
		}
		c, err := g.peel(h)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			return plumbing.ZeroHash, g.errorf("commit %s not found on any branch or tag", g.o.Ref)
		}
		if err != nil {
			return plumbing.ZeroHash, g.errorf("ref %q: %w", g.o.Ref, err)
		}
		return c, nil
	}
	src := g.o.Ref
	if src == "" {
		src = "HEAD"
	}
	// Held in memory, the objects are only those of the commit itself: the
	// history, which may be long in a repository that holds more than the
	// catalog, is not read, and so not downloaded.
	depth := 0
	if g.o.CacheDir == "" && g.depth != allHistory {
		depth = max(g.depth, 1)
	}
	err := g.fetchDepth(ctx, depth, config.RefSpec("+"+src+":"+sourceRef.String()))
	if errors.Is(err, git.NoMatchingRefSpecError{}) && abbreviatedHash.MatchString(src) {
		// Not a branch or tag: a commit hash shortened, as git log
		// --oneline and andon odoo impact print them.
		return g.resolveAbbreviated(ctx, src)
	}
	if errors.Is(err, git.NoMatchingRefSpecError{}) {
		return plumbing.ZeroHash, g.errorf("ref %q not found", src)
	}
	if err != nil {
		return plumbing.ZeroHash, g.errorf("%w", err)
	}
	ref, err := g.repo.Reference(sourceRef, true)
	if err != nil {
		return plumbing.ZeroHash, g.errorf("ref %q: %w", src, err)
	}
	c, err := g.peel(ref.Hash())
	if err != nil {
		return plumbing.ZeroHash, g.errorf("ref %q: %w", src, err)
	}
	return c, nil
}

// abbreviatedHash is a commit hash shortened to at least 7 digits.
var abbreviatedHash = regexp.MustCompile(`^[0-9a-f]{7,39}$`)

// resolveAbbreviated returns the one commit, of those the remote's
// branches and tags reach, whose hash begins with prefix.
func (g *gitSource) resolveAbbreviated(ctx context.Context, prefix string) (plumbing.Hash, error) {
	if err := g.fetchBranchesAndTags(ctx); err != nil {
		return plumbing.ZeroHash, g.errorf("%w", err)
	}
	commits, err := g.repo.CommitObjects()
	if err != nil {
		return plumbing.ZeroHash, g.errorf("%w", err)
	}
	defer commits.Close()
	var found []plumbing.Hash
	err = commits.ForEach(func(c *object.Commit) error {
		if strings.HasPrefix(c.Hash.String(), prefix) {
			found = append(found, c.Hash)
		}
		return nil
	})
	switch {
	case err != nil:
		return plumbing.ZeroHash, g.errorf("%w", err)
	case len(found) == 0:
		return plumbing.ZeroHash, g.errorf("ref %q not found: no branch, tag or commit on them has that name or begins with it", prefix)
	case len(found) > 1:
		return plumbing.ZeroHash, g.errorf("ref %q: %d commits begin with it; give more of the hash", prefix, len(found))
	}
	return found[0], nil
}

// fetchBranchesAndTags fetches every branch and tag of the remote, what a
// commit named by its hash may be found on.
func (g *gitSource) fetchBranchesAndTags(ctx context.Context) error {
	return g.fetch(ctx, "+refs/heads/*:refs/andon/heads/*", "+refs/tags/*:refs/andon/tags/*")
}

// fetch fetches specs from the remote with their history. Being up to
// date is no error.
func (g *gitSource) fetch(ctx context.Context, specs ...config.RefSpec) error {
	return g.fetchDepth(ctx, 0, specs...)
}

// fetchDepth fetches specs from the remote, with depth commits of their
// history, or all of it when depth is 0.
func (g *gitSource) fetchDepth(ctx context.Context, depth int, specs ...config.RefSpec) error {
	// The remote is not saved in the repository's configuration, so that
	// a CacheDir holds neither the URL nor anything stale when it changes.
	remote := git.NewRemote(g.repo.Storer, &config.RemoteConfig{Name: "andon", URLs: []string{g.url}})
	err := remote.FetchContext(ctx, &git.FetchOptions{
		RefSpecs: specs,
		Depth:    depth,
		Auth:     g.auth,
		Tags:     git.NoTags,
		Force:    true,
	})
	if errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil
	}
	if errors.Is(err, transport.ErrAuthenticationRequired) {
		return &authError{err: err, given: g.auth != nil}
	}
	return err
}

// authError is a fetch the server refused for want of credentials. The
// transport's message ends with what the server said, often nothing; this
// one says whether credentials were given, the first thing to check.
type authError struct {
	err   error
	given bool
}

func (e *authError) Error() string {
	msg := "authentication required: no user and password were given"
	if e.given {
		msg = "authentication required: the server refused the user and password given"
	}
	said := strings.TrimSpace(strings.TrimPrefix(e.err.Error(), transport.ErrAuthenticationRequired.Error()))
	if said = strings.TrimSpace(strings.TrimPrefix(said, ":")); said != "" {
		msg += " (the server says: " + said + ")"
	}
	return msg
}

func (e *authError) Unwrap() error { return e.err }

// peel returns the commit that h names, through any annotated tags.
func (g *gitSource) peel(h plumbing.Hash) (plumbing.Hash, error) {
	for {
		obj, err := object.GetObject(g.repo.Storer, h)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		switch o := obj.(type) {
		case *object.Commit:
			return o.Hash, nil
		case *object.Tag:
			h = o.Target
		default:
			return plumbing.ZeroHash, fmt.Errorf("%s is a %s, not a commit", h, obj.Type())
		}
	}
}

// errorf returns an error that names the source and masks its password
// or token, wherever the underlying error quoted it. errors.Is and
// errors.As see the underlying error, such as a catalog.Errors.
func (g *gitSource) errorf(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	msg := err.Error()
	for _, secret := range g.secrets {
		if secret != "" {
			msg = strings.ReplaceAll(msg, secret, "***")
		}
	}
	return &sourceError{msg: g.String() + ": " + msg, err: err}
}

type sourceError struct {
	msg string
	err error
}

func (e *sourceError) Error() string { return e.msg }
func (e *sourceError) Unwrap() error { return e.err }
