package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mustSmallDisk mounts a tmpfs of size bytes on a new directory until the
// test ends: a disk that fills up for real, where SQLite's limit of pages
// (PRAGMA max_page_count) only stops a store that is already open.
// Mounting takes root (CAP_SYS_ADMIN), which the test skips without.
func mustSmallDisk(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0700", size)); err != nil {
		t.Skipf("cannot mount a small tmpfs to fill, which takes root (CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// mustFill writes file until its disk has no space left.
func mustFill(t *testing.T, file string) {
	t.Helper()
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); errors.Is(err, syscall.ENOSPC) {
			return
		} else if err != nil {
			t.Fatal(err)
		}
	}
}

// TestRestartOnAFullDisk starts andon serve again on a data directory
// whose disk filled up while it was stopped: SQLite cannot even make the
// shared-memory index of its write-ahead log there, and says "disk I/O
// error"; andon says that the disk is full, and where.
func TestRestartOnAFullDisk(t *testing.T) {
	disk := mustSmallDisk(t, 8<<20)
	data := filepath.Join(disk, "data")
	_, _, stop := startServe(t, "--data", data, "--catalog", exampleCatalog)
	if code := stop(); code != 0 {
		t.Fatalf("first start: exit %d", code)
	}
	filler := filepath.Join(disk, "filler")
	mustFill(t, filler)

	r := runWithin(t, 30*time.Second, "serve", "--addr", "127.0.0.1:0", "--data", data, "--catalog", exampleCatalog)
	want := "andon: the disk of " + data + " is full: andon cannot open or write its database andon.db there until space is freed\n"
	if r.code != 2 || !strings.HasSuffix(r.stderr, want) {
		t.Errorf("serve on a full disk: exit %d, want 2 with %q\nstderr: %s", r.code, want, r.stderr)
	}
	entries, err := os.ReadDir(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), "probe") {
			t.Errorf("the file %s of the probe of the disk was left in the data directory", e.Name())
		}
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	_, _, stop = startServe(t, "--data", data, "--catalog", exampleCatalog)
	if code := stop(); code != 0 {
		t.Errorf("start once space is freed: exit %d", code)
	}
	wantExit(t, runCLI(t, nil, "audit", "verify", "--data", data), 0, "audit log OK")
}
