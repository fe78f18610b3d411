package catalogsync_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/andon-governance/andon/catalogsync"
)

// TestDir checks that a directory source reads what catalog.Load reads,
// and archives those files and no others.
func TestDir(t *testing.T) {
	dir := t.TempDir()
	MustCopyExample(t, dir)
	MustWrite(t, dir, "README.md", "Not part of the catalog.\n")
	MustWrite(t, dir, "notes.txt", "Neither is this.\n")
	MustWrite(t, dir, ".git/junk.yaml", "not: [valid")

	src := catalogsync.Dir(dir)
	if got, want := src.String(), "dir "+dir; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	s := MustFetch(t, src)
	if want := MustRevision(t, dir); s.Revision != want {
		t.Errorf("revision %s, want %s as catalog.Load gives", s.Revision, want)
	}
	if s.Commit != "" {
		t.Errorf("Commit %q, want none for a directory", s.Commit)
	}
	files := ArchiveFiles(t, s.Archive)
	if diff := cmp.Diff(exampleFiles, ArchiveNames(t, s.Archive)); diff != "" {
		t.Errorf("archived files (-want +got):\n%s", diff)
	}
	for name, got := range files {
		want, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Errorf("archived %s differs from the file", name)
		}
	}

	// The same files give the same archive, byte for byte, so that
	// replicas publishing one version publish the same bytes.
	if again := MustFetch(t, src); string(again.Archive) != string(s.Archive) {
		t.Error("two fetches of the same files made different archives")
	}
}

// TestDirInvalid checks that an invalid catalog yields every problem and
// no snapshot.
func TestDirInvalid(t *testing.T) {
	dir := t.TempDir()
	MustCopyExample(t, dir)
	MustWrite(t, dir, "plants.yaml", badPlants)
	MustWrite(t, dir, "extra.yml", "apiVersion: andon/v1\nkind: Site\n")

	problems, err := MustFail(t, catalogsync.Dir(dir))
	MustHaveProblem(t, problems, "plants.yaml", "spec.criticality")
	MustHaveProblem(t, problems, "extra.yml", "kind")
	if !strings.HasPrefix(err.Error(), "dir "+dir+": ") {
		t.Errorf("error %q does not name the source", err)
	}
}

// TestDirMissing checks that a directory that does not exist is an error
// that names it.
func TestDirMissing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nope")
	s, err := catalogsync.Dir(dir).Fetch(t.Context())
	if err == nil || s != nil {
		t.Fatalf("Fetch = %v, %v; want an error", s, err)
	}
	if !strings.Contains(err.Error(), dir) {
		t.Errorf("error %q does not name %s", err, dir)
	}
}

// MustConfigMapVersion writes one version of a ConfigMap's content the way
// the kubelet does: into a new dot directory, then swapping the ..data
// link to it in one rename. The top-level names are links into ..data,
// made on the first version.
func MustConfigMapVersion(tb testing.TB, mount, version string, files map[string]string) {
	tb.Helper()
	for name, content := range files {
		MustWrite(tb, filepath.Join(mount, version), name, content)
	}
	tmp := filepath.Join(mount, "..data_tmp")
	if err := os.Symlink(version, tmp); err != nil {
		tb.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(mount, "..data")); err != nil {
		tb.Fatal(err)
	}
	for name := range files {
		top, _, _ := strings.Cut(name, "/")
		link := filepath.Join(mount, top)
		if _, err := os.Lstat(link); err == nil {
			continue
		}
		if err := os.Symlink(filepath.Join("..data", top), link); err != nil {
			tb.Fatal(err)
		}
	}
}

// ReadExample returns the files of the example catalog, by name.
func ReadExample(tb testing.TB) map[string]string {
	tb.Helper()
	dir := tb.TempDir()
	MustCopyExample(tb, dir)
	files := map[string]string{}
	for _, name := range exampleFiles {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			tb.Fatal(err)
		}
		files[name] = string(b)
	}
	return files
}

// TestDirConfigMap checks a catalog mounted from a Kubernetes ConfigMap:
// each file is read once through its link, not again under ..data or the
// timestamped directory, and an update is read whole.
func TestDirConfigMap(t *testing.T) {
	files := ReadExample(t)
	mount := t.TempDir()
	MustConfigMapVersion(t, mount, "..2026_11_26_10_00_00.000000001", files)

	// A plain directory of the same files is the reference.
	plain := t.TempDir()
	MustCopyExample(t, plain)

	src := catalogsync.Dir(mount)
	s1 := MustFetch(t, src)
	if want := MustRevision(t, plain); s1.Revision != want {
		t.Errorf("revision %s, want %s as for a plain directory of the same files", s1.Revision, want)
	}
	if diff := cmp.Diff(exampleFiles, ArchiveNames(t, s1.Archive)); diff != "" {
		t.Errorf("archived files (-want +got):\n%s", diff)
	}

	files["teams.yaml"] += nightShift
	MustConfigMapVersion(t, mount, "..2026_11_26_10_05_00.000000002", files)
	if err := os.RemoveAll(filepath.Join(mount, "..2026_11_26_10_00_00.000000001")); err != nil {
		t.Fatal(err)
	}
	MustAppend(t, plain, "teams.yaml", nightShift)

	s2 := MustFetch(t, src)
	if want := MustRevision(t, plain); s2.Revision != want {
		t.Errorf("after the update, revision %s, want %s", s2.Revision, want)
	}
	if s2.Revision == s1.Revision {
		t.Error("the update did not change the revision")
	}
	if s2.Catalog.Team("night-shift") == nil {
		t.Error("the updated catalog lacks the team added")
	}
}
