//go:build unix

package manifest_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/andon-governance/andon/manifest"
)

// A named pipe in a directory is refused by name rather than read: no one
// may write to it, and reading would wait for ever. Named on its own, it
// is read, as /dev/stdin is.
func TestReadNamedPipe(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	_, err := manifest.Read([]string{dir}, nil)
	if want := fifo + ": a named pipe, not a regular file"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Read(directory with a named pipe) = %v, want it to start %q", err, want)
	}
	if err := os.Symlink("pipe.yaml", filepath.Join(dir, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	if _, err := manifest.Read([]string{dir}, nil); err == nil || !strings.Contains(err.Error(), "a named pipe, not a regular file") {
		t.Errorf("Read(directory with a link to a named pipe) = %v, want it refused", err)
	}

	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.WriteString("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
		f.Close()
	}()
	objs, err := manifest.Read([]string{fifo}, nil)
	if err != nil || len(objs) != 1 || objs[0].Name != "a" {
		t.Errorf("Read(named pipe) = %v, %v; want its one Namespace", objs, err)
	}
}
