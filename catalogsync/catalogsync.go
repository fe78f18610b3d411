// Package catalogsync fetches the catalog from where an operator keeps
// it, a directory or a git repository, and notices when it changes.
//
// A server that runs several replicas must put one version of the catalog
// in force on all of them, so a fetched version comes as a Snapshot that
// carries, next to the parsed catalog, a zip archive of exactly the files
// it was loaded from. A replica that receives the archive (through the
// database, say) loads the same catalog with FromArchive, down to the
// revision, without reaching the source itself.
//
// This package is the only importer of go-git.
package catalogsync

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"slices"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/catalog"
)

// Snapshot is one version of the catalog read from a Source.
type Snapshot struct {
	// Catalog is the parsed catalog; a Snapshot is only made of a valid one.
	Catalog *andon.Catalog
	// Revision is Catalog.Revision, the digest the catalog package computes
	// over the files read.
	Revision string
	// Commit is the hash of the git commit the files were read from, or ""
	// for a directory.
	Commit string
	// Source describes where the snapshot was read from, as Source.String
	// does, such as "dir /etc/andon/catalog".
	Source string
	// Archive is a zip of exactly the files the catalog was loaded from
	// (the YAML files and the ICS files that windows name), by their
	// slash-separated paths relative to the catalog root. FromArchive loads
	// it back to a catalog of the same revision.
	Archive []byte
}

// Source is a place the catalog is read from.
type Source interface {
	// Fetch reads the source now. When the catalog it holds is not valid,
	// Fetch returns no snapshot and an error that wraps the catalog
	// package's Errors, with every problem, so that errors.As finds them.
	Fetch(ctx context.Context) (*Snapshot, error)
	// String describes the source for logs, without credentials.
	String() string
}

// FromArchive loads the catalog held by a Snapshot's Archive. Its revision
// is that of the snapshot, since the archive holds the very bytes the
// revision was computed over.
func FromArchive(b []byte) (*andon.Catalog, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("catalog archive: %w", err)
	}
	return catalog.LoadFS(zr, ".")
}

// load loads the catalog at the root of fsys and archives the files the
// loader read. The archive is made of the bytes the loader was handed, not
// of a second read, so that a file changing in between cannot make the
// archive disagree with the catalog.
func load(fsys fs.FS) (*andon.Catalog, []byte, error) {
	rec := &recorder{fsys: fsys, files: map[string][]byte{}}
	cat, err := catalog.LoadFS(rec, ".")
	if err != nil {
		return nil, nil, err
	}
	archive, err := zipFiles(rec.files)
	if err != nil {
		return nil, nil, err
	}
	// The recorder sees the files the loader opens and reads. Should the
	// loader ever read a file another way, the archive would silently
	// lack it; loading the archive back turns that into an error here
	// rather than a catalog that other replicas cannot reproduce.
	again, err := FromArchive(archive)
	if err != nil {
		return nil, nil, fmt.Errorf("the archive of catalog %s does not load: %w", cat.Revision, err)
	}
	if again.Revision != cat.Revision {
		return nil, nil, fmt.Errorf("the archive of catalog %s loads as %s", cat.Revision, again.Revision)
	}
	return cat, archive, nil
}

// recorder is a file system that keeps the content of every file opened
// from it, as read until it is closed: the catalog loader opens the YAML
// and ICS files it hashes, reads each to its end (or refuses it) and
// closes it. Directories are listed with ReadDir, not opened.
type recorder struct {
	fsys  fs.FS
	files map[string][]byte
}

func (r *recorder) Open(name string) (fs.File, error) {
	f, err := r.fsys.Open(name)
	if err != nil {
		return nil, err
	}
	return &recordedFile{File: f, r: r, name: name}, nil
}

func (r *recorder) Stat(name string) (fs.FileInfo, error) { return fs.Stat(r.fsys, name) }

func (r *recorder) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(r.fsys, name) }

// recordedFile is a file of a recorder, which keeps what is read from it.
type recordedFile struct {
	fs.File
	r    *recorder
	name string
	data []byte
}

func (f *recordedFile) Read(b []byte) (int, error) {
	n, err := f.File.Read(b)
	f.data = append(f.data, b[:n]...)
	return n, err
}

func (f *recordedFile) Close() error {
	f.r.files[f.name] = f.data
	return f.File.Close()
}

// zipFiles zips files in sorted path order with no timestamps, so that the
// same files always make the same archive.
func zipFiles(files map[string][]byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: p, Method: zip.Deflate})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(files[p]); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Watch fetches src at once and then every interval until ctx ends, and
// calls apply with each snapshot whose revision differs from last, the
// revision in force when Watch starts ("" for none). Once apply succeeds,
// its snapshot's revision becomes the one to differ from; when apply fails,
// its error goes to onError and the same snapshot is applied again after
// the next fetch.
//
// A failing fetch, such as an invalid catalog (whose error wraps
// catalog.Errors, with every problem), goes to onError at every attempt
// and apply is not called: the version in force stays. An interval of zero
// or less fetches once. Watch returns when ctx ends, without reporting
// that as an error; apply and onError are never called concurrently.
func Watch(ctx context.Context, src Source, interval time.Duration, last string, apply func(*Snapshot) error, onError func(error)) {
	poll := func() {
		s, err := src.Fetch(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			onError(err)
			return
		}
		if s.Revision == last {
			return
		}
		if err := apply(s); err != nil {
			onError(fmt.Errorf("%s: applying catalog %s: %w", s.Source, s.Revision, err))
			return
		}
		last = s.Revision
	}
	poll()
	if interval <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			poll()
		}
	}
}
