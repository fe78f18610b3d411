package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/sqlstore"
	"github.com/andon-governance/andon/sqlstore/sqlstoretest"
)

// TestCheckLastSigned compares a SQLite audit log with checkpoints kept
// beside it: its own, one of a longer log (entries lost), and one of as
// many entries as it has, but others (entries lost and written again).
// The others are signed with the same key by a second store, which is
// what a log that lost entries and grew again looks like.
func TestCheckLastSigned(t *testing.T) {
	ctx := context.Background()
	e := MustOpen(t, "sqlite")
	create := func(e *env, title string) {
		t.Helper()
		if _, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "dev", Type: andon.ChangeNormal, Title: title}); err != nil {
			t.Fatal(err)
		}
	}
	kept := sqlstore.LastSignedPath(sqlstore.DataPath(e.dir))
	if err := e.db.CheckLastSigned(ctx, nil); err != nil {
		t.Errorf("check of a log never written: %v", err)
	}
	for i := range 4 {
		create(e, fmt.Sprintf("kept %d", i))
	}
	if err := e.db.CheckLastSigned(ctx, nil); err != nil {
		t.Errorf("check of a log with its own checkpoint: %v", err)
	}

	otherDir := t.TempDir()
	for _, name := range []string{"audit.key", "audit.pub"} {
		b, err := os.ReadFile(filepath.Join(e.dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(otherDir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	other := (&env{engine: "sqlite", dir: otherDir, dsn: sqlstoretest.DSN(t, "sqlite", otherDir)}).open(t, e.now)
	otherKept := sqlstore.LastSignedPath(sqlstore.DataPath(otherDir))
	// The writer keeps the copy after it answers: it is read once it
	// covers the entries written.
	keep := func(size int) []byte {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			b, err := os.ReadFile(otherKept)
			if err != nil {
				t.Fatal(err)
			}
			if lines := strings.SplitN(string(b), "\n", 3); len(lines) == 3 && lines[1] == strconv.Itoa(size) {
				return b
			}
			if time.Now().After(deadline) {
				t.Fatalf("the checkpoint kept beside the database, %q, does not cover %d entries", b, size)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	create(other, "other 0")
	create(other, "other 1")
	ofTwo := keep(2)
	for i := 2; i < 6; i++ {
		create(other, fmt.Sprintf("other %d", i))
	}
	ofSix := keep(6)

	tests := []struct {
		name      string
		kept      []byte
		want      string
		firstLost int64
	}{
		{"longer", ofSix, fmt.Sprintf("the audit log of %s has 4 entries, but the last checkpoint andon signed there (%s) covers 6: entries 4 to 5 are lost, with the writes they recorded.", sqlstore.DataPath(e.dir), kept), 4},
		{"others", ofTwo, fmt.Sprintf("the first 2 entries of the audit log of %s are not those of the last checkpoint andon signed there (%s): their root is ", sqlstore.DataPath(e.dir), kept), -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(kept, tt.kept, 0o600); err != nil {
				t.Fatal(err)
			}
			err := e.db.CheckLastSigned(ctx, nil)
			var lost *sqlstore.LostEntriesError
			if !errors.As(err, &lost) || andon.ErrorCode(err) != andon.ECONFLICT {
				t.Fatalf("check: %v; want a LostEntriesError", err)
			}
			if msg := andon.ErrorMessage(err); !strings.HasPrefix(msg, tt.want) {
				t.Errorf("message:\n%s\nwant it to start with\n%s", msg, tt.want)
			}
			if got := lost.FirstLost(); got != tt.firstLost {
				t.Errorf("first lost: %d, want %d", got, tt.firstLost)
			}
		})
	}

	// Damaged, it is refused; empty, as a power cut may leave it after
	// its first write, it checks nothing.
	if err := os.WriteFile(kept, []byte("andon\n4\nnot a note\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := e.db.CheckLastSigned(ctx, nil); andon.ErrorCode(err) != andon.EINVALID {
		t.Errorf("check of a damaged checkpoint: %v; want invalid", err)
	}
	if err := os.WriteFile(kept, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := e.db.CheckLastSigned(ctx, nil); err != nil {
		t.Errorf("check of an empty file: %v", err)
	}
	// The next write keeps its checkpoint again.
	create(e, "kept 4")
	if err := e.db.CheckLastSigned(ctx, nil); err != nil {
		t.Errorf("check after a write: %v", err)
	}
	if b, err := os.ReadFile(kept); err != nil || len(b) != 512 {
		t.Errorf("kept checkpoint after a write: %d bytes, %v; want 512", len(b), err)
	}
}

// TestNewDatabaseIsPrivate makes a SQLite database in a data directory
// that others may read (made by hand, or a volume): the database, its
// write-ahead log and its index hold every change and the audit log, and
// are readable by their owner alone.
func TestNewDatabaseIsPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // whatever the umask
		t.Fatal(err)
	}
	e := (&env{engine: "sqlite", dir: dir, dsn: sqlstoretest.DSN(t, "sqlite", dir)}).open(t, time.Now())
	if _, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "dev", Type: andon.ChangeNormal, Title: "written"}); err != nil {
		t.Fatal(err)
	}
	db := sqlstore.DataPath(dir)
	for _, name := range []string{db, db + "-wal", db + "-shm"} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %v; want -rw------- (0600)", filepath.Base(name), mode)
		}
	}
}

// TestCheckpointCopyFailuresAreCounted: a write whose checkpoint cannot
// be kept beside the database (a directory where the file goes) is kept
// all the same, and counted, once for every such write.
func TestCheckpointCopyFailuresAreCounted(t *testing.T) {
	e := MustOpen(t, "sqlite")
	kept := sqlstore.LastSignedPath(sqlstore.DataPath(e.dir))
	if _, err := os.Stat(kept); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s before the first write: %v; want none", kept, err)
	}
	if err := os.Mkdir(kept, 0o700); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "dev", Type: andon.ChangeNormal, Title: fmt.Sprintf("not kept %d", i)}); err != nil {
			t.Fatalf("a write whose checkpoint cannot be kept: %v; want it kept", err)
		}
	}
	// The writer keeps the copy after answering: closing waits for it.
	e.db.Close()
	if got := e.db.CheckpointCopyFailures(); got != 2 {
		t.Errorf("CheckpointCopyFailures = %d, want 2", got)
	}
}
