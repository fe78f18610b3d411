package catalog_test

import (
	"errors"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/catalog"
	"github.com/andon-governance/andon/examples"
)

// FuzzLoad loads arbitrary bytes as the one YAML file of a catalog. Beside
// it lies a small calendar file, so that windows naming it exercise the ICS
// path too. Whatever the input, Load must return either a catalog or
// problems that name the file (or the directory, when no document is
// found), never both, never neither, and never panic.
// The corpus in testdata/fuzz/FuzzLoad holds the example catalog's files
// and the documents of the table tests.
func FuzzLoad(f *testing.F) {
	for _, data := range full {
		f.Add([]byte(data))
	}
	f.Add([]byte(base))
	f.Add([]byte("---\n# nothing\n---\n"))
	_ = fs.WalkDir(examples.Catalog, "catalog", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if data, err := fs.ReadFile(examples.Catalog, p); err == nil {
				f.Add(data)
			}
		}
		return nil
	})
	ics, err := fs.ReadFile(examples.Catalog, "catalog/calendars/lyon-shutdowns.ics")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{
			"catalog.yaml":       {Data: data},
			"calendars/lyon.ics": {Data: ics},
		}
		c, err := catalog.LoadFS(fsys, ".")
		if err == nil {
			if c == nil {
				t.Fatal("LoadFS returned neither a catalog nor an error")
			}
			if c.Revision == "" {
				t.Error("catalog without a revision")
			}
			return
		}
		if c != nil {
			t.Errorf("LoadFS returned a catalog and %v", err)
		}
		var errs catalog.Errors
		if !errors.As(err, &errs) || len(errs) == 0 {
			t.Fatalf("LoadFS error %v (%T), want non-empty catalog.Errors", err, err)
		}
		if andon.ErrorCode(err) != andon.EINVALID {
			t.Errorf("ErrorCode = %q, want %q", andon.ErrorCode(err), andon.EINVALID)
		}
		for _, p := range errs {
			// A catalog without documents is a problem of the whole
			// directory, ".".
			if p.File != "catalog.yaml" && p.File != "." || p.Line < 0 || p.Message == "" {
				t.Errorf("problem %+v: want file catalog.yaml (or . for the catalog as a whole), a line and a message", p)
			}
		}
	})
}
