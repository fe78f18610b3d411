//go:build unix

package catalog_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/andon-governance/andon/catalog"
)

// TestLoadDirNotRegular: a file to read that is not a regular file, once
// symbolic links are followed, is refused without being opened: opening a
// named pipe would wait for a writer forever, and the server with it.
func TestLoadDirNotRegular(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		make  func(t *testing.T, dir string) (opened func() bool)
		want  catalog.Errors
	}{{
		name:  "a named pipe",
		files: map[string]string{"base.yaml": base},
		make: func(t *testing.T, dir string) func() bool {
			return MustMkfifo(t, filepath.Join(dir, "more.yaml"))
		},
		want: catalog.Errors{{File: "more.yaml", Message: "not a regular file but a named pipe"}},
	}, {
		name:  "a link to a named pipe",
		files: map[string]string{"base.yaml": base},
		make: func(t *testing.T, dir string) func() bool {
			opened := MustMkfifo(t, filepath.Join(dir, ".pipe"))
			MustSymlink(t, ".pipe", filepath.Join(dir, "more.yaml"))
			return opened
		},
		want: catalog.Errors{{File: "more.yaml", Message: "not a regular file but a named pipe"}},
	}, {
		name:  "a link to a directory",
		files: map[string]string{"base.yaml": base, "d/notes.txt": "not YAML"},
		make: func(t *testing.T, dir string) func() bool {
			MustSymlink(t, "d", filepath.Join(dir, "more.yaml"))
			return func() bool { return false }
		},
		want: catalog.Errors{{File: "more.yaml", Message: "not a regular file but a directory"}},
	}, {
		name:  "a window's calendar file",
		files: map[string]string{"base.yaml": base, "windows.yaml": icsWindow},
		make: func(t *testing.T, dir string) func() bool {
			if err := os.Mkdir(filepath.Join(dir, "calendars"), 0o755); err != nil {
				t.Fatal(err)
			}
			return MustMkfifo(t, filepath.Join(dir, "calendars", "shutdowns.ics"))
		},
		want: catalog.Errors{{File: "windows.yaml", Line: 6, Document: "Window/shutdowns", Field: "spec.ics",
			Message: "calendars/shutdowns.ics: not a regular file but a named pipe"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, data := range tt.files {
				p := filepath.Join(dir, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			opened := tt.make(t, dir)
			_, err := catalog.Load(dir)
			if opened() {
				t.Error("Load opened the file")
			}
			if diff := cmp.Diff(tt.want, err); diff != "" {
				t.Errorf("Load error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// MustMkfifo makes a named pipe at p and returns whether it was opened for
// reading. Should it be, a writer waiting for that lets the open return,
// so that the test fails instead of hanging.
func MustMkfifo(tb testing.TB, p string) (opened func() bool) {
	tb.Helper()
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		tb.Skipf("no named pipes here: %v", err)
	}
	ch := make(chan struct{}, 1)
	go func() {
		w, err := os.OpenFile(p, os.O_WRONLY, 0) // returns once a reader opens p
		if err != nil {
			return
		}
		ch <- struct{}{}
		w.Close()
	}()
	tb.Cleanup(func() {
		// A reader that does not wait releases the writer.
		if r, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			r.Close()
		}
	})
	return func() bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
}

// MustSymlink makes a symbolic link at p to target, or skips the test.
func MustSymlink(tb testing.TB, target, p string) {
	tb.Helper()
	if err := os.Symlink(target, p); err != nil {
		tb.Skipf("no symbolic links here: %v", err)
	}
}
