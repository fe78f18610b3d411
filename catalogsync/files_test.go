package catalogsync_test

import (
	"io/fs"
	"os"
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
