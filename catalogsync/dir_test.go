package catalogsync_test

import (
	"fmt"
	"maps"
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

// TestDirRefused checks that a directory source refuses what the loader
// refuses, however the files reach it.
func TestDirRefused(t *testing.T) {
	tests := []struct {
		name    string
		change  func(t *testing.T, dir string)
		file    string // where the problem is
		message string
	}{{
		name: "only empty documents",
		change: func(t *testing.T, dir string) {
			for _, name := range exampleFiles {
				if strings.HasSuffix(name, ".yaml") {
					MustWrite(t, dir, name, "---\n")
				}
			}
		},
		file:    ".",
		message: "no catalog documents found",
	}, {
		name: "a file too large",
		change: func(t *testing.T, dir string) {
			MustWrite(t, dir, "big.yaml", "# "+strings.Repeat("x", 8<<20)+"\n")
		},
		file:    "big.yaml",
		message: "larger than 8 MiB",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			MustCopyExample(t, dir)
			tt.change(t, dir)
			problems, _ := MustFail(t, catalogsync.Dir(dir))
			MustHaveProblem(t, problems, tt.file, "")
			if !strings.Contains(problems.Error(), tt.message) {
				t.Errorf("problems do not say %q:\n%v", tt.message, problems)
			}
		})
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
	if err := writeConfigMapVersion(mount, version, files); err != nil {
		tb.Fatal(err)
	}
}

// writeConfigMapVersion is MustConfigMapVersion for a goroutine other than
// the test's, which may not stop the test.
func writeConfigMapVersion(mount, version string, files map[string]string) error {
	for name, content := range files {
		p := filepath.Join(mount, version, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return err
		}
	}
	tmp := filepath.Join(mount, "..data_tmp")
	if err := os.Symlink(version, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(mount, "..data")); err != nil {
		return err
	}
	for name := range files {
		top, _, _ := strings.Cut(name, "/")
		link := filepath.Join(mount, top)
		if _, err := os.Lstat(link); err == nil {
			continue
		}
		if err := os.Symlink(filepath.Join("..data", top), link); err != nil {
			return err
		}
	}
	return nil
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

// TestDirConfigMapSwaps fetches a ConfigMap mount while it is updated over
// and over, each update a new directory as the kubelet makes them: every
// snapshot is one version or the other, never files of both.
func TestDirConfigMapSwaps(t *testing.T) {
	a := ReadExample(t)
	b := maps.Clone(a)
	b["plants.yaml"] = "# Version B.\n" + b["plants.yaml"]
	b["teams.yaml"] += nightShift
	revisions := map[string]string{}
	for name, files := range map[string]map[string]string{"A": a, "B": b} {
		plain := t.TempDir()
		for file, content := range files {
			MustWrite(t, plain, file, content)
		}
		revisions[MustRevision(t, plain)] = name
	}

	mount := t.TempDir()
	MustConfigMapVersion(t, mount, "..v0", a)
	swapped := make(chan struct{})
	go func() {
		defer close(swapped)
		for i := 1; i <= 200; i++ {
			files := a
			if i%2 == 1 {
				files = b
			}
			err := writeConfigMapVersion(mount, fmt.Sprintf("..v%d", i), files)
			if err == nil {
				err = os.RemoveAll(filepath.Join(mount, fmt.Sprintf("..v%d", i-1)))
			}
			if err != nil {
				t.Error(err)
				return
			}
		}
	}()

	// A failing test waits for the updates to end before its directories
	// are removed.
	defer func() { <-swapped }()

	src := catalogsync.Dir(mount)
	seen := map[string]int{}
	for done := false; !done; {
		select {
		case <-swapped:
			done = true
		default:
		}
		s, err := src.Fetch(t.Context())
		if err != nil {
			if !strings.Contains(err.Error(), "changed while being read") {
				t.Fatalf("Fetch: %v", err)
			}
			seen["changed while being read"]++
			continue
		}
		name, ok := revisions[s.Revision]
		if !ok {
			t.Fatalf("revision %s is neither version A nor B", s.Revision)
		}
		seen[name]++
	}
	t.Logf("fetches: %v", seen)
}
