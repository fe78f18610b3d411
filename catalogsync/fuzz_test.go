package catalogsync_test

import (
	"context"
	"testing"

	"github.com/andon-governance/andon/catalogsync"
	"github.com/andon-governance/andon/examples"
)

// FuzzFromArchive feeds archives as they may come back from the database,
// damaged or not: loading one must fail with an error or give a catalog,
// never panic.
func FuzzFromArchive(f *testing.F) {
	snap, err := catalogsync.FS(examples.Catalog, "catalog", "example").Fetch(context.Background())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(snap.Archive)
	f.Add([]byte("PK\x05\x06" + string(make([]byte, 18))))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		cat, err := catalogsync.FromArchive(b)
		if err == nil && cat.Revision == "" {
			t.Fatal("a catalog without a revision")
		}
	})
}

func TestFSSourceRoundTrips(t *testing.T) {
	snap, err := catalogsync.FS(examples.Catalog, "catalog", "example").Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalogsync.FromArchive(snap.Archive)
	if err != nil || cat.Revision != snap.Revision || snap.Source != "example" || snap.Commit != "" {
		t.Fatalf("FromArchive of the example = %v, %v; snapshot %q %q; want revision %s", cat, err, snap.Source, snap.Commit, snap.Revision)
	}
}
