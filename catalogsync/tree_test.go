package catalogsync_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/andon-governance/andon/catalogsync"
)

// TestCommitFS checks the file system over a commit's tree against the
// rules of io/fs, with directories, an executable, links to a file and to
// a directory, and a link that leaves the directory read.
func TestCommitFS(t *testing.T) {
	repo := MustInitRepo(t)
	MustCopyExample(t, filepath.Join(repo, "catalog"))
	MustWrite(t, repo, "catalog/bin/check.sh", "#!/bin/sh\n")
	if err := os.Chmod(filepath.Join(repo, "catalog/bin/check.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	MustWrite(t, repo, "outside.yaml", "# not in the catalog\n")
	for link, target := range map[string]string{
		"catalog/plants-link.yaml": "plants.yaml",
		"catalog/cal":              "calendars",
		"catalog/deep/cal.ics":     "../cal/lyon-shutdowns.ics",
		"catalog/out.yaml":         "../outside.yaml",
		"catalog/loop":             "loop",
	} {
		if err := os.MkdirAll(filepath.Join(repo, filepath.Dir(link)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(repo, link)); err != nil {
			t.Fatal(err)
		}
	}
	commit := MustCommit(t, repo, "a tree with links")

	fsys, err := catalogsync.CommitFS(repo, commit, "catalog")
	if err != nil {
		t.Fatal(err)
	}
	b, err := fs.ReadFile(fsys, "deep/cal.ics")
	if err != nil {
		t.Fatal(err)
	}
	if want := MustRead(t, filepath.Join(repo, "catalog/calendars/lyon-shutdowns.ics")); string(b) != want {
		t.Error("deep/cal.ics does not read the calendar it links to")
	}
	for _, name := range []string{"out.yaml", "loop", "nope.yaml", "plants.yaml/x"} {
		if _, err := fs.ReadFile(fsys, name); err == nil {
			t.Errorf("ReadFile(%s) succeeded", name)
		} else if name == "nope.yaml" && !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ReadFile(%s): %v, want fs.ErrNotExist", name, err)
		}
	}

	// fstest.TestFS opens every name it lists, so the broken links are
	// taken out of this part of the check.
	if err := os.Remove(filepath.Join(repo, "catalog/out.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(repo, "catalog/loop")); err != nil {
		t.Fatal(err)
	}
	commit = MustCommit(t, repo, "no broken links")
	fsys, err = catalogsync.CommitFS(repo, commit, "catalog")
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(fsys, "plants.yaml", "calendars/lyon-shutdowns.ics", "bin/check.sh", "plants-link.yaml", "deep/cal.ics"); err != nil {
		t.Error(err)
	}
}
