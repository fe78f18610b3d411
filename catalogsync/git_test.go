package catalogsync_test

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/andon-governance/andon/catalog"
	"github.com/andon-governance/andon/catalogsync"
)

// MustGit runs the git program in dir with a configuration of its own, and
// returns its output without the final newline.
func MustGit(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Andon Test", "GIT_AUTHOR_EMAIL=test@andon.invalid",
		"GIT_COMMITTER_NAME=Andon Test", "GIT_COMMITTER_EMAIL=test@andon.invalid",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSuffix(string(out), "\n")
}

// MustInitRepo creates a git repository whose default branch is main.
func MustInitRepo(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	MustGit(tb, dir, "init", "-q", "-b", "main")
	return dir
}

// MustCommit commits every change in the work tree of repo and returns
// the commit's hash.
func MustCommit(tb testing.TB, repo, message string) string {
	tb.Helper()
	MustGit(tb, repo, "add", "-A")
	MustGit(tb, repo, "commit", "-q", "-m", message)
	return MustGit(tb, repo, "rev-parse", "HEAD")
}

// MustGitSource returns the Git source for o.
func MustGitSource(tb testing.TB, o catalogsync.GitOptions) catalogsync.Source {
	tb.Helper()
	src, err := catalogsync.Git(o)
	if err != nil {
		tb.Fatalf("Git(%+v): %v", o, err)
	}
	return src
}

// TestGitRefs checks that each way of naming a version reads the commit
// it names, and the revision catalog.Load gives that commit's files.
func TestGitRefs(t *testing.T) {
	repo := MustInitRepo(t)
	MustCopyExample(t, repo)
	c1 := MustCommit(t, repo, "catalog")
	rev1 := MustRevision(t, repo)
	MustGit(t, repo, "tag", "-a", "-m", "first catalog", "v1")
	MustGit(t, repo, "tag", "light")
	MustGit(t, repo, "branch", "release")
	MustAppend(t, repo, "teams.yaml", nightShift)
	c2 := MustCommit(t, repo, "night shift")
	rev2 := MustRevision(t, repo)

	tests := []struct {
		ref, commit, revision string
	}{
		{"", c2, rev2}, // the remote's HEAD
		{"main", c2, rev2},
		{"refs/heads/main", c2, rev2},
		{"release", c1, rev1},
		{"v1", c1, rev1}, // an annotated tag, peeled to its commit
		{"light", c1, rev1},
		{c1, c1, rev1},
		{strings.ToUpper(c1), c1, rev1},
		{c1[:12], c1, rev1}, // abbreviated, as git log --oneline prints it
		{c2[:7], c2, rev2},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			src := MustGitSource(t, catalogsync.GitOptions{URL: repo, Ref: tt.ref})
			s := MustFetch(t, src)
			if s.Commit != tt.commit || s.Revision != tt.revision {
				t.Errorf("commit %s revision %s, want %s %s", s.Commit, s.Revision, tt.commit, tt.revision)
			}
			if diff := cmp.Diff(exampleFiles, ArchiveNames(t, s.Archive)); diff != "" {
				t.Errorf("archived files (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGitRefNotFound checks that a ref the repository does not have is an
// error naming the repository and the ref.
func TestGitRefNotFound(t *testing.T) {
	repo := MustInitRepo(t)
	MustCopyExample(t, repo)
	MustCommit(t, repo, "catalog")
	url := "file://" + filepath.ToSlash(repo)

	for _, tt := range []struct{ ref, want string }{
		{"nope", `git ` + url + `@nope: ref "nope" not found`},
		{"abcdef01", `git ` + url + `@abcdef01: ref "abcdef01" not found: no branch, tag or commit on them has that name or begins with it`},
		{strings.Repeat("ab", 20), `git ` + url + `@` + strings.Repeat("ab", 20) + `: commit ` + strings.Repeat("ab", 20) + ` not found on any branch or tag`},
	} {
		src := MustGitSource(t, catalogsync.GitOptions{URL: url, Ref: tt.ref})
		s, err := src.Fetch(t.Context())
		if err == nil || s != nil {
			t.Fatalf("ref %s: Fetch = %v, %v; want an error", tt.ref, s, err)
		}
		if err.Error() != tt.want {
			t.Errorf("ref %s: error\n%s\nwant\n%s", tt.ref, err, tt.want)
		}
	}
}

// TestGitPath checks that only the catalog directory given is read, and
// that files are archived by their path inside it.
func TestGitPath(t *testing.T) {
	repo := MustInitRepo(t)
	MustWrite(t, repo, "README.md", "The estate.\n")
	MustWrite(t, repo, "ci.yaml", "not a catalog: [")
	MustCopyExample(t, filepath.Join(repo, "deploy/catalog"))
	c1 := MustCommit(t, repo, "catalog under deploy")

	for _, p := range []string{"deploy/catalog", "/deploy/catalog/"} {
		src := MustGitSource(t, catalogsync.GitOptions{URL: repo, Path: p})
		if got, want := src.String(), "git "+repo+":deploy/catalog"; got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
		s := MustFetch(t, src)
		if want := MustRevision(t, filepath.Join(repo, "deploy/catalog")); s.Revision != want || s.Commit != c1 {
			t.Errorf("path %q: commit %s revision %s, want %s %s", p, s.Commit, s.Revision, c1, want)
		}
		if diff := cmp.Diff(exampleFiles, ArchiveNames(t, s.Archive)); diff != "" {
			t.Errorf("archived files (-want +got):\n%s", diff)
		}
	}

	for _, tt := range []struct{ path, want string }{
		{"deploy/nope", `path "deploy/nope": file does not exist`},
		{"README.md", `path "README.md" is not a directory`},
	} {
		src := MustGitSource(t, catalogsync.GitOptions{URL: repo, Path: tt.path})
		if _, err := src.Fetch(t.Context()); err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), c1) {
			t.Errorf("path %s: error %v; want one naming commit %s and saying %s", tt.path, err, c1, tt.want)
		}
	}
}

// TestGitSubmodule checks that a catalog path that is, or goes through,
// a submodule is refused with an error that says so: its files are in
// another repository, which a Git source does not fetch.
func TestGitSubmodule(t *testing.T) {
	estate := MustInitRepo(t)
	MustCopyExample(t, filepath.Join(estate, "catalog"))
	MustCommit(t, estate, "catalog")

	repo := MustInitRepo(t)
	MustWrite(t, repo, "README.md", "The plant's repository.\n")
	MustGit(t, repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", estate, "estate")
	c1 := MustCommit(t, repo, "the estate as a submodule")

	for _, tt := range []struct{ path, want string }{
		{"estate", `commit ` + c1 + `: path "estate": "estate" is a submodule: its files are in another repository, which is not read`},
		{"estate/catalog", `commit ` + c1 + `: path "estate/catalog": "estate" is a submodule: its files are in another repository, which is not read`},
	} {
		src := MustGitSource(t, catalogsync.GitOptions{URL: repo, Path: tt.path})
		_, err := src.Fetch(t.Context())
		if want := src.String() + ": " + tt.want; err == nil || err.Error() != want {
			t.Errorf("path %s: error\n%v\nwant\n%s", tt.path, err, want)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("path %s: error %v is not fs.ErrNotExist", tt.path, err)
		}
	}
}

// TestGitLFS checks that a catalog file committed with Git LFS, whose
// commit holds only a pointer to it, is refused as such rather than read
// as the pointer's text; and that GitFiles, which tools comparing commits
// use, still reads the pointer as it is.
func TestGitLFS(t *testing.T) {
	const pointer = "version https://git-lfs.github.com/spec/v1\n" +
		"oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n"
	repo := MustInitRepo(t)
	MustCopyExample(t, repo)
	MustWrite(t, repo, "plants.yaml", pointer)
	MustWrite(t, repo, "calendars/lyon-shutdowns.ics", pointer)
	MustCommit(t, repo, "the catalog in LFS")

	problems, _ := MustFail(t, MustGitSource(t, catalogsync.GitOptions{URL: repo}))
	const lfs = "a Git LFS pointer, not the file itself: LFS objects are not fetched; commit the file without LFS"
	for _, file := range []string{"plants.yaml", "calendars/lyon-shutdowns.ics"} {
		if !slices.ContainsFunc(problems, func(p catalog.Problem) bool {
			return (p.File == file && p.Message == lfs) || strings.Contains(p.Message, file+": "+lfs)
		}) {
			t.Errorf("no problem saying %s is an LFS pointer among:\n%v", file, problems)
		}
	}

	files, err := catalogsync.GitFiles(t.Context(), catalogsync.GitOptions{URL: repo})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := fs.ReadFile(files.FS, "plants.yaml"); err != nil || string(b) != pointer {
		t.Errorf("GitFiles: plants.yaml = %q, %v; want the pointer", b, err)
	}
}

// TestGitHistoryNotFetched serves a repository over HTTP with git's own
// http-backend and checks that a fetch downloads the commit the ref names,
// not its history: a repository that holds more than the catalog may have
// a long and heavy one, which a source that keeps its objects in memory
// would hold, and every replica download, at each start.
func TestGitHistoryNotFetched(t *testing.T) {
	repo := MustInitRepo(t)
	MustCopyExample(t, repo)
	mustDumpInHistory(t, repo)
	head := MustCommit(t, repo, "the dump removed")
	url, root, sent := mustServeCounting(t, repo, "estate")
	src := MustGitSource(t, catalogsync.GitOptions{URL: url, Ref: "main"})
	if s := MustFetch(t, src); s.Commit != head {
		t.Errorf("commit %s, want %s", s.Commit, head)
	}
	if n := sent.Load(); n > 1<<20 {
		t.Errorf("the server sent %d bytes for a catalog of a few kilobytes: the fetch downloaded the history", n)
	}

	// The next commit is fetched onto the first, and so is a history
	// rewritten by a force-push.
	bare := filepath.Join(root, "estate.git")
	MustAppend(t, repo, "plants.yaml", "# reviewed\n")
	next := MustCommit(t, repo, "reviewed")
	MustGit(t, repo, "push", "-q", bare, "main")
	if s := MustFetch(t, src); s.Commit != next {
		t.Errorf("after a push: commit %s, want %s", s.Commit, next)
	}
	MustGit(t, repo, "reset", "-q", "--hard", "HEAD~2")
	MustAppend(t, repo, "teams.yaml", "# rewritten\n")
	rewritten := MustCommit(t, repo, "rewritten")
	MustGit(t, repo, "push", "-q", "-f", bare, "main")
	if s := MustFetch(t, src); s.Commit != rewritten {
		t.Errorf("after a force-push: commit %s, want %s", s.Commit, rewritten)
	}
}

// TestGitMemoryBounded fetches a branch held in memory after each of 24
// commits that replace a file of 1 MiB beside the catalog, as a server
// reading a busy repository does for months, and checks that the source
// does not keep the file of every commit fetched.
func TestGitMemoryBounded(t *testing.T) {
	repo := MustInitRepo(t)
	MustCopyExample(t, repo)
	src := MustGitSource(t, catalogsync.GitOptions{URL: repo, Ref: "main"})
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	dump := make([]byte, 1<<20)
	var first uint64
	for i := range 24 {
		rand.Read(dump) // incompressible, and another file each time
		MustWrite(t, repo, "assets/dump.bin", string(dump))
		head := MustCommit(t, repo, fmt.Sprint("dump ", i))
		if s := MustFetch(t, src); s.Commit != head {
			t.Fatalf("fetch %d: commit %s, want %s", i, s.Commit, head)
		}
		if i == 0 {
			first = heap()
		}
	}
	if grown := int64(heap()) - int64(first); grown > 8<<20 {
		t.Errorf("after 23 more commits of a new 1 MiB file each, the heap grew by %.1f MiB: the source keeps the objects of every commit it fetched", float64(grown)/(1<<20))
	}
	runtime.KeepAlive(src)
}

// mustDumpInHistory commits a file of 4 MiB to repo with what its work
// tree holds, and removes it from the work tree: the next commit leaves it
// in the history alone, where a fetch of that commit must not go.
func mustDumpInHistory(t *testing.T, repo string) {
	t.Helper()
	dump := make([]byte, 4<<20)
	rand.Read(dump) // incompressible
	MustWrite(t, repo, "assets/dump.bin", string(dump))
	MustCommit(t, repo, "a dump")
	if err := os.Remove(filepath.Join(repo, "assets", "dump.bin")); err != nil {
		t.Fatal(err)
	}
}

// countingWriter counts the bytes of a response body.
type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (w countingWriter) Write(b []byte) (int, error) {
	w.n.Add(int64(len(b)))
	return w.ResponseWriter.Write(b)
}

// TestGitTooLarge checks that a file of a commit larger than a catalog
// file may be is refused, as in a directory.
func TestGitTooLarge(t *testing.T) {
	repo := MustInitRepo(t)
	MustCopyExample(t, repo)
	MustWrite(t, repo, "dump.yaml", "# "+strings.Repeat("x", 8<<20)+"\n")
	MustCommit(t, repo, "a dump saved as YAML")
	problems, _ := MustFail(t, MustGitSource(t, catalogsync.GitOptions{URL: repo}))
	want := catalog.Errors{{File: "dump.yaml", Message: "larger than 8 MiB, the limit for a catalog file"}}
	if diff := cmp.Diff(want, problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// TestGitOptions checks the options Git refuses before reaching anything.
func TestGitOptions(t *testing.T) {
	for _, o := range []catalogsync.GitOptions{
		{},
		{URL: "/srv/catalog.git", Path: "../etc"},
		{URL: "/srv/catalog.git", Path: `deploy\catalog`},
		{URL: "/srv/catalog.git", Ref: "main:evil"},
		{URL: "/srv/catalog.git", Ref: "-main"},
	} {
		if _, err := catalogsync.Git(o); err == nil {
			t.Errorf("Git(%+v) accepted", o)
		}
	}
}

// TestGitSymlinks checks that links in a repository are followed as
// catalog.Load follows them in a checkout, including the refusal of a link
// that leaves the catalog directory.
func TestGitSymlinks(t *testing.T) {
	repo := MustInitRepo(t)
	cat := filepath.Join(repo, "catalog")
	MustCopyExample(t, filepath.Join(repo, "shared"))
	if err := os.MkdirAll(cat, 0o755); err != nil {
		t.Fatal(err)
	}
	// The YAML goes in a dot directory, which the loader does not walk,
	// and is read through links; the calendars directory is a link too.
	for _, name := range []string{"environments.yaml", "plants.yaml", "processes.yaml", "teams.yaml", "windows.yaml"} {
		MustWrite(t, cat, ".real/"+name, MustRead(t, filepath.Join(repo, "shared", name)))
		if err := os.Symlink(".real/"+name, filepath.Join(cat, name)); err != nil {
			t.Fatal(err)
		}
	}
	MustWrite(t, cat, ".real/calendars/lyon-shutdowns.ics", MustRead(t, filepath.Join(repo, "shared/calendars/lyon-shutdowns.ics")))
	if err := os.Symlink(".real/calendars", filepath.Join(cat, "calendars")); err != nil {
		t.Fatal(err)
	}
	MustCommit(t, repo, "catalog through links")

	src := MustGitSource(t, catalogsync.GitOptions{URL: repo, Path: "catalog"})
	s := MustFetch(t, src)
	if want := MustRevision(t, cat); s.Revision != want {
		t.Errorf("revision %s, want %s as catalog.Load gives the checkout", s.Revision, want)
	}
	if diff := cmp.Diff(exampleFiles, ArchiveNames(t, s.Archive)); diff != "" {
		t.Errorf("archived files (-want +got):\n%s", diff)
	}

	// A link out of the catalog directory is refused, even to a file in
	// the same repository.
	if err := os.Remove(filepath.Join(cat, "plants.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../shared/plants.yaml", filepath.Join(cat, "plants.yaml")); err != nil {
		t.Fatal(err)
	}
	MustCommit(t, repo, "a link out of the catalog")
	problems, _ := MustFail(t, src)
	MustHaveProblem(t, problems, "plants.yaml", "")
}

// MustRead returns the content of a file.
func MustRead(tb testing.TB, name string) string {
	tb.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// TestGitCacheDir checks that a CacheDir outlives its source: a later
// source on it reads a commit already fetched without the remote.
func TestGitCacheDir(t *testing.T) {
	repo := MustInitRepo(t)
	MustCopyExample(t, repo)
	c1 := MustCommit(t, repo, "catalog")
	cache := filepath.Join(t.TempDir(), "cache")

	s1 := MustFetch(t, MustGitSource(t, catalogsync.GitOptions{URL: repo, CacheDir: cache}))
	if s1.Commit != c1 {
		t.Fatalf("commit %s, want %s", s1.Commit, c1)
	}
	if err := os.RemoveAll(repo); err != nil {
		t.Fatal(err)
	}

	s2 := MustFetch(t, MustGitSource(t, catalogsync.GitOptions{URL: repo, Ref: c1, CacheDir: cache}))
	if s2.Commit != c1 || s2.Revision != s1.Revision {
		t.Errorf("from the cache: commit %s revision %s, want %s %s", s2.Commit, s2.Revision, c1, s1.Revision)
	}

	// A branch must be asked of the remote, which is gone.
	src := MustGitSource(t, catalogsync.GitOptions{URL: repo, Ref: "main", CacheDir: cache})
	if _, err := src.Fetch(t.Context()); err == nil || !strings.HasPrefix(err.Error(), "git "+repo+"@main: ") {
		t.Errorf("Fetch without the remote: %v; want an error naming the source", err)
	}
}

// TestGitCredentials checks that credentials reach the server and appear
// in no description or error.
func TestGitCredentials(t *testing.T) {
	var (
		mu   sync.Mutex
		seen []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		mu.Lock()
		seen = append(seen, user+":"+pass)
		mu.Unlock()
		w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
		http.Error(w, "denied", http.StatusUnauthorized)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")

	const (
		refused = "authentication required: the server refused the user and password given (the server says: denied)"
		none    = "authentication required: no user and password were given (the server says: denied)"
	)
	tests := []struct {
		name string
		o    catalogsync.GitOptions
		auth string
		want string // the error after the source
	}{
		{"in the URL", catalogsync.GitOptions{URL: "http://andon:s3cret-pass@" + host + "/estate.git"}, "andon:s3cret-pass", refused},
		{"as options", catalogsync.GitOptions{URL: srv.URL + "/estate.git", Username: "x-access-token", Password: "s3cret-token"}, "x-access-token:s3cret-token", refused},
		{"none", catalogsync.GitOptions{URL: srv.URL + "/estate.git"}, ":", none},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			seen = nil
			mu.Unlock()
			src := MustGitSource(t, tt.o)
			if want := "git " + srv.URL + "/estate.git"; src.String() != want {
				t.Errorf("String() = %q, want %q", src, want)
			}
			s, err := src.Fetch(t.Context())
			if err == nil || s != nil {
				t.Fatalf("Fetch = %v, %v; want an error", s, err)
			}
			if strings.Contains(err.Error(), "s3cret") || !strings.HasPrefix(err.Error(), src.String()+": ") {
				t.Errorf("error %q: want one that names the source and holds no secret", err)
			}
			if want := src.String() + ": " + tt.want; err.Error() != want {
				t.Errorf("error\n%s\nwant\n%s", err, want)
			}
			if !catalogsync.RepositoryUnreadable(err) {
				t.Errorf("RepositoryUnreadable(%v) = false, want true", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(seen) == 0 || seen[len(seen)-1] != tt.auth {
				t.Errorf("the server saw %q, want the last request with %q", seen, tt.auth)
			}
		})
	}
}

// mustServeCounting serves a bare clone of repo as NAME.git over git's
// smart HTTP (git http-backend) until the test ends, counting the bytes
// sent. It returns the repository's URL, the directory of the bare clone
// and the count.
func mustServeCounting(t *testing.T, repo, name string) (string, string, *atomic.Int64) {
	t.Helper()
	gitPath, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	MustGit(t, root, "clone", "-q", "--bare", repo, name+".git")
	backend := &cgi.Handler{Path: gitPath, Args: []string{"http-backend"},
		Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=" + os.DevNull}}
	sent := new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		backend.ServeHTTP(countingWriter{w, sent}, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/" + name + ".git", root, sent
}
