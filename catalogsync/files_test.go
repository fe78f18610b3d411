package catalogsync_test

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/andon-governance/andon/catalogsync"
)

// TestGitFiles reads a directory of manifests from a real repository at
// a branch, a tag and a commit, and checks that each gives the files of
// its commit.
func TestGitFiles(t *testing.T) {
	repo := MustInitRepo(t)
	MustWrite(t, repo, "README.md", "Deployments.\n")
	MustWrite(t, repo, "prod-lyon/odoo.yaml", "kind: Deployment\n")
	MustWrite(t, repo, "prod-lyon/net/ingress.yaml", "kind: Ingress\n")
	c1 := MustCommit(t, repo, "prod-lyon")
	MustGit(t, repo, "tag", "-a", "-m", "November", "v2026.11")
	MustWrite(t, repo, "prod-lyon/odoo.yaml", "kind: Deployment\nspec: {replicas: 3}\n")
	c2 := MustCommit(t, repo, "three replicas")
	url := "file://" + filepath.ToSlash(repo)

	tests := []struct {
		ref, commit, odoo string
	}{
		{"", c2, "kind: Deployment\nspec: {replicas: 3}\n"},
		{"main", c2, "kind: Deployment\nspec: {replicas: 3}\n"},
		{"v2026.11", c1, "kind: Deployment\n"},
		{c1, c1, "kind: Deployment\n"},
	}
	for _, tt := range tests {
		t.Run("ref "+tt.ref, func(t *testing.T) {
			files, err := catalogsync.GitFiles(t.Context(), catalogsync.GitOptions{URL: url, Ref: tt.ref, Path: "prod-lyon"})
			if err != nil {
				t.Fatal(err)
			}
			if files.Commit != tt.commit || files.URL != url {
				t.Errorf("commit %s URL %s, want %s %s", files.Commit, files.URL, tt.commit, url)
			}
			var names []string
			err = fs.WalkDir(files.FS, ".", func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					names = append(names, p)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"net/ingress.yaml", "odoo.yaml"}, names); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			b, err := fs.ReadFile(files.FS, "odoo.yaml")
			if err != nil || string(b) != tt.odoo {
				t.Errorf("odoo.yaml = %q, %v; want %q", b, err, tt.odoo)
			}
		})
	}
}

func TestGitFilesErrors(t *testing.T) {
	repo := MustInitRepo(t)
	MustWrite(t, repo, "prod-lyon/odoo.yaml", "kind: Deployment\n")
	MustCommit(t, repo, "prod-lyon")
	url := "file://" + filepath.ToSlash(repo)
	for _, tt := range []struct {
		o    catalogsync.GitOptions
		want string
	}{
		{catalogsync.GitOptions{URL: url, Ref: "nope"}, `git ` + url + `@nope: ref "nope" not found`},
		{catalogsync.GitOptions{URL: url, Path: "prod-geelong"}, `path "prod-geelong": file does not exist`},
		{catalogsync.GitOptions{URL: url, Path: "prod-lyon/odoo.yaml"}, `path "prod-lyon/odoo.yaml" is not a directory`},
		{catalogsync.GitOptions{URL: "https://ci:s3cret-token@127.0.0.1:1/estate.git"}, "git https://127.0.0.1:1/estate.git: "},
	} {
		_, err := catalogsync.GitFiles(t.Context(), tt.o)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("GitFiles(%+v) = %v, want an error with %q and no password", tt.o, err, tt.want)
		}
	}
}

// DirHash gives a directory's git tree hash only when the hash covers all
// the directory shows: not with a symbolic link, whose target may change
// outside it.
func TestDirHash(t *testing.T) {
	repo := MustInitRepo(t)
	MustWrite(t, repo, "addons/plain/__manifest__.py", "{}\n")
	MustWrite(t, repo, "addons/linked/__manifest__.py", "{}\n")
	MustWrite(t, repo, "shared/access.csv", "id\n")
	if err := os.Symlink("../../shared/access.csv", filepath.Join(repo, "addons", "linked", "access.csv")); err != nil {
		t.Fatal(err)
	}
	MustCommit(t, repo, "one")
	files, err := catalogsync.GitFiles(t.Context(), catalogsync.GitOptions{URL: "file://" + filepath.ToSlash(repo)})
	if err != nil {
		t.Fatal(err)
	}
	h, ok := files.FS.(interface{ DirHash(string) (string, bool) })
	if !ok {
		t.Fatal("the git file system has no DirHash")
	}
	if hash, ok := h.DirHash("addons/plain"); !ok || len(hash) != 40 {
		t.Errorf("DirHash(plain) = %q, %v; want a tree hash", hash, ok)
	}
	for _, dir := range []string{"addons/linked", "addons", "addons/plain/__manifest__.py", "nowhere"} {
		if hash, ok := h.DirHash(dir); ok {
			t.Errorf("DirHash(%s) = %q; want none", dir, hash)
		}
	}
}

// TestGitAncestor orders two commits of a remote repository, which
// GitFiles fetches one commit at a time: a range of a few commits, one
// longer than the history fetched first, branches apart, refs that are
// hashes.
func TestGitAncestor(t *testing.T) {
	repo := MustInitRepo(t)
	MustWrite(t, repo, "addons/acme/__manifest__.py", "{'name': 'A'}\n")
	base := MustCommit(t, repo, "one")
	MustGit(t, repo, "tag", "-a", "-m", "November", "v2026.11")
	MustGit(t, repo, "branch", "side")
	deep := MustEmptyCommits(t, repo, 300)
	MustWrite(t, repo, "addons/acme/__manifest__.py", "{'name': 'A', 'version': '1.1'}\n")
	head := MustCommit(t, repo, "two")
	MustGit(t, repo, "checkout", "-q", "side")
	MustWrite(t, repo, "addons/acme/__manifest__.py", "{'name': 'A', 'version': '1.0.1'}\n")
	side := MustCommit(t, repo, "a fix")
	MustGit(t, repo, "checkout", "-q", "main")
	url := "file://" + filepath.ToSlash(repo)

	for _, tt := range []struct {
		name         string
		older, ref   string
		newer        string
		wantAncestor bool
	}{
		{"a short range", deep, "main", head, true},
		{"a range longer than the history fetched first", base, "main", head, true},
		{"the range the other way round", head, "v2026.11", base, false},
		{"a branch apart", side, "main", head, false},
		{"the other branch apart", head, "side", side, false},
		{"a branch from the older", base, "side", side, true},
		{"a commit hash", base, head, head, true},
		{"a commit hash the other way round", head, base, base, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := catalogsync.GitAncestor(t.Context(), catalogsync.GitOptions{URL: url, Ref: tt.ref}, tt.older, tt.newer)
			if err != nil || got != tt.wantAncestor {
				t.Errorf("GitAncestor(%.12s, %.7s, %.7s) = %v, %v; want %v", tt.ref, tt.older, tt.newer, got, err, tt.wantAncestor)
			}
		})
	}

	// A server whose history is cut cannot tell that a commit is not in
	// it: it says so, rather than no.
	shallow := filepath.Join(t.TempDir(), "shallow.git")
	MustGit(t, repo, "clone", "-q", "--bare", "--depth", "3", url, shallow)
	if got, err := catalogsync.GitAncestor(t.Context(), catalogsync.GitOptions{URL: "file://" + filepath.ToSlash(shallow), Ref: "main"}, base, head); err == nil || !strings.Contains(err.Error(), "cut short") {
		t.Errorf("a shallow server: %v, %v; want an error that says the history is cut short", got, err)
	}

	// A commit the ref no longer reaches cannot be placed.
	if _, err := catalogsync.GitAncestor(t.Context(), catalogsync.GitOptions{URL: url, Ref: "side"}, base, head); err == nil || !strings.Contains(err.Error(), "did the ref move?") {
		t.Errorf("a commit not on the ref: error %v, want one that says so", err)
	}
}

// TestGitAncestorFetchesLittle serves a repository over HTTP with git's
// own http-backend and checks that a short range is ordered from the
// recent history alone: the history of an addons repository may be long
// and heavy, and a range given the right way round, the usual one, needs
// none of it.
func TestGitAncestorFetchesLittle(t *testing.T) {
	repo := MustInitRepo(t)
	mustDumpInHistory(t, repo)
	MustWrite(t, repo, "addons/acme/__manifest__.py", "{'name': 'A'}\n")
	MustCommit(t, repo, "the dump removed")
	// The dump is further back than the history GitAncestor fetches
	// first.
	from := MustEmptyCommits(t, repo, 300)
	MustWrite(t, repo, "addons/acme/__manifest__.py", "{'name': 'A', 'version': '1.1'}\n")
	to := MustCommit(t, repo, "1.1")
	url, _, sent := mustServeCounting(t, repo, "addons")
	o := catalogsync.GitOptions{URL: url, Ref: "main"}
	if got, err := catalogsync.GitAncestor(t.Context(), o, from, to); err != nil || !got {
		t.Fatalf("GitAncestor(main, from, to) = %v, %v; want true", got, err)
	}
	if n := sent.Load(); n > 1<<20 {
		t.Errorf("the server sent %d bytes to order two commits next to each other: the fetch downloaded the history", n)
	}
}

// MustEmptyCommits adds n commits that change nothing to the branch
// checked out in repo, in one run of git fast-import, and returns the
// hash of the last.
func MustEmptyCommits(tb testing.TB, repo string, n int) string {
	tb.Helper()
	branch := MustGit(tb, repo, "symbolic-ref", "HEAD")
	var stream strings.Builder
	for i := range n {
		fmt.Fprintf(&stream, "commit %s\ncommitter Andon Test <test@andon.invalid> %d +0000\ndata <<END\nstep %d\nEND\n", branch, 1767225600+i, i)
		if i == 0 {
			fmt.Fprintf(&stream, "from %s^0\n", branch)
		}
		stream.WriteString("\n")
	}
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = repo
	cmd.Stdin = strings.NewReader(stream.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("git fast-import: %v\n%s", err, out)
	}
	return MustGit(tb, repo, "rev-parse", "HEAD")
}
