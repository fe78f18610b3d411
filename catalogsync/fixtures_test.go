package catalogsync_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/andon-governance/andon/catalog"
	"github.com/andon-governance/andon/catalogsync"
	"github.com/andon-governance/andon/examples"
)

// exampleFiles are the files the example catalog is loaded from.
var exampleFiles = []string{
	"calendars/lyon-shutdowns.ics",
	"environments.yaml",
	"plants.yaml",
	"processes.yaml",
	"teams.yaml",
	"windows.yaml",
}

// nightShift is a team appended to teams.yaml to make a second valid
// version of the example catalog.
const nightShift = `---
apiVersion: andon/v1
kind: Team
metadata: {name: night-shift}
spec:
  roles: [emergency-approver]
  members: [hana]
`

// badPlants makes the example catalog invalid: a plant's criticality is
// not one of the values allowed.
const badPlants = `apiVersion: andon/v1
kind: Plant
metadata: {name: lyon}
spec:
  timezone: Europe/Paris
  criticality: severe
---
apiVersion: andon/v1
kind: Plant
metadata: {name: geelong}
spec:
  timezone: Australia/Melbourne
  criticality: high
`

// MustCopyExample copies the example catalog into dir, which may exist
// but must not hold any of its files.
func MustCopyExample(tb testing.TB, dir string) {
	tb.Helper()
	sub, err := fs.Sub(examples.Catalog, "catalog")
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.CopyFS(dir, sub); err != nil {
		tb.Fatal(err)
	}
}

// MustWrite writes content to the file name below dir, making its
// directories. The file is replaced in one rename, so that a source
// watched meanwhile reads either the old content or the new one.
func MustWrite(tb testing.TB, dir, name, content string) {
	tb.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tb.Fatal(err)
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		tb.Fatal(err)
	}
}

// MustAppend appends content to the file name below dir.
func MustAppend(tb testing.TB, dir, name, content string) {
	tb.Helper()
	old, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		tb.Fatal(err)
	}
	MustWrite(tb, dir, name, string(old)+content)
}

// MustRevision returns the revision catalog.Load gives the directory dir,
// the reference every source is compared with.
func MustRevision(tb testing.TB, dir string) string {
	tb.Helper()
	c, err := catalog.Load(dir)
	if err != nil {
		tb.Fatalf("catalog.Load(%s):\n%v", dir, err)
	}
	return c.Revision
}

// MustFetch fetches src and checks what every snapshot must satisfy: its
// revision is its catalog's, and its archive loads back to that revision.
func MustFetch(tb testing.TB, src catalogsync.Source) *catalogsync.Snapshot {
	tb.Helper()
	s, err := src.Fetch(context.Background())
	if err != nil {
		tb.Fatalf("Fetch %s:\n%v", src, err)
	}
	if s.Revision != s.Catalog.Revision {
		tb.Errorf("Revision %s, Catalog.Revision %s", s.Revision, s.Catalog.Revision)
	}
	if s.Source != src.String() {
		tb.Errorf("Source %q, want %q", s.Source, src.String())
	}
	c, err := catalogsync.FromArchive(s.Archive)
	if err != nil {
		tb.Fatalf("FromArchive:\n%v", err)
	}
	if c.Revision != s.Revision {
		tb.Errorf("FromArchive revision %s, want %s", c.Revision, s.Revision)
	}
	return s
}

// MustFail fetches src, expects an invalid catalog and returns its
// problems.
func MustFail(tb testing.TB, src catalogsync.Source) (catalog.Errors, error) {
	tb.Helper()
	s, err := src.Fetch(context.Background())
	if err == nil {
		tb.Fatalf("Fetch %s: got revision %s, want an error", src, s.Revision)
	}
	if s != nil {
		tb.Errorf("Fetch %s returned a snapshot with its error", src)
	}
	var problems catalog.Errors
	if !errors.As(err, &problems) {
		tb.Fatalf("Fetch %s: %v; want a catalog.Errors", src, err)
	}
	return problems, err
}

// MustHaveProblem checks that problems holds one in file at field.
func MustHaveProblem(tb testing.TB, problems catalog.Errors, file, field string) {
	tb.Helper()
	if !slices.ContainsFunc(problems, func(p catalog.Problem) bool { return p.File == file && p.Field == field }) {
		tb.Errorf("no problem in %s at %s among:\n%v", file, field, problems)
	}
}

// ArchiveFiles returns the content of every file in a snapshot's archive,
// by name.
func ArchiveFiles(tb testing.TB, archive []byte) map[string]string {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		tb.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range zr.File {
		b, err := fs.ReadFile(zr, f.Name)
		if err != nil {
			tb.Fatal(err)
		}
		files[f.Name] = string(b)
	}
	return files
}

// ArchiveNames returns the sorted names of the files in an archive.
func ArchiveNames(tb testing.TB, archive []byte) []string {
	tb.Helper()
	var names []string
	for n := range ArchiveFiles(tb, archive) {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
