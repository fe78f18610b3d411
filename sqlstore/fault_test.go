package sqlstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/sqlstore"
)

// syncBuffer is a log that handlers of several goroutines write.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestFullDiskRefusesWritesClearlyAndRecovers(t *testing.T) {
	e := MustOpen(t, "sqlite")
	ctx := context.Background()
	var log syncBuffer
	e.db.Logger = slog.New(slog.NewTextHandler(&log, nil))
	create := func(title string) (*andon.Change, error) {
		return e.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "dev", Type: andon.ChangeNormal,
			Title: title, Description: strings.Repeat("a long description ", 400)})
	}
	if _, err := create("before"); err != nil {
		t.Fatal(err)
	}
	if err := e.db.LimitPages(ctx, true); err != nil {
		t.Fatal(err)
	}
	// The pages the file has free take a few writes before it must grow.
	var err error
	for i := 0; i < 50 && err == nil; i++ {
		_, err = create("while full")
	}
	if !errors.Is(err, sqlstore.ErrDiskFull) {
		t.Fatalf("create on a full disk: %v; want ErrDiskFull", err)
	}
	if got, want := andon.ErrorMessage(err), "no space left on the database's disk: writes are refused until space is freed"; got != want {
		t.Errorf("message of the failed create: %q; want %q", got, want)
	}
	// A command that starts on the full disk names it.
	if got, want := andon.ErrorMessage(e.db.DiskError(err)), "the disk of "+e.dir+" is full: andon cannot open or write its database andon.db there until space is freed"; got != want {
		t.Errorf("message of the failed create for a command: %q; want %q", got, want)
	}
	if _, err := create("still full"); !errors.Is(err, sqlstore.ErrDiskFull) {
		t.Fatalf("second create on a full disk: %v; want ErrDiskFull", err)
	}
	if err := e.db.Ready(ctx); !errors.Is(err, sqlstore.ErrDiskFull) {
		t.Errorf("ready on a full disk: %v; want ErrDiskFull", err)
	}
	if n := strings.Count(log.String(), "database writes fail"); n != 1 {
		t.Errorf("the full disk was logged %d times; want once:\n%s", n, log.String())
	}
	// The gate's refusal is recorded if the small entry still fits, so
	// the denial is all that is asked of it.
	res, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "staging-lyon", Image: imageNew})
	if err == nil || res == nil || res.Allow || len(res.Reasons) != 1 ||
		res.Reasons[0].Message != "the gate could not decide: no space left on the database's disk: writes are refused until space is freed; deployment refused" {
		t.Fatalf("gate on a full disk: %+v, %v; want a denial that names the full disk", res, err)
	}

	if err := e.db.LimitPages(ctx, false); err != nil {
		t.Fatal(err)
	}
	if _, err := create("after"); err != nil {
		t.Fatalf("create once space is freed: %v", err)
	}
	if err := e.db.Ready(ctx); err != nil {
		t.Errorf("ready once a write succeeded again: %v", err)
	}
	if n := strings.Count(log.String(), "database writes succeed again"); n != 1 {
		t.Errorf("the recovery was logged %d times; want once:\n%s", n, log.String())
	}
	if r := e.verify(t); !r.OK {
		t.Errorf("audit log after the full disk: %+v", r)
	}
}

func TestDeletedDatabaseFileRefusesWrites(t *testing.T) {
	e := MustOpen(t, "sqlite")
	ctx := context.Background()
	if _, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "dev", Type: andon.ChangeNormal, Title: "before"}); err != nil {
		t.Fatal(err)
	}
	path := sqlstore.DataPath(e.dir)
	if err := os.Rename(path, filepath.Join(e.dir, "moved.db")); err != nil {
		t.Fatal(err)
	}
	_, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "dev", Type: andon.ChangeNormal, Title: "lost"})
	if !errors.Is(err, sqlstore.ErrFileGone) {
		t.Fatalf("create after the database file was moved away: %v; want ErrFileGone", err)
	}
	if err := e.db.Ready(ctx); !errors.Is(err, sqlstore.ErrFileGone) {
		t.Errorf("ready after the database file was moved away: %v; want ErrFileGone", err)
	}
}

// A write-ahead log deleted under a running server is found at the next
// write, which is refused; the server stopped cleanly copies into the
// database what the deleted log held, which a restart finds whole.
func TestDeletedWriteAheadLogRefusesWrites(t *testing.T) {
	e := MustOpen(t, "sqlite")
	ctx := context.Background()
	if err := e.db.Ready(ctx); err != nil {
		t.Fatalf("ready once opened: %v", err)
	}
	before, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "dev", Type: andon.ChangeNormal, Title: "before"})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(sqlstore.DataPath(e.dir) + "-wal"); err != nil {
		t.Fatal(err)
	}
	_, err = e.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "dev", Type: andon.ChangeNormal, Title: "lost"})
	if !errors.Is(err, sqlstore.ErrLogGone) {
		t.Fatalf("create after the write-ahead log was deleted: %v; want ErrLogGone", err)
	}
	if err := e.db.Ready(ctx); !errors.Is(err, sqlstore.ErrLogGone) {
		t.Errorf("ready after the write-ahead log was deleted: %v; want ErrLogGone", err)
	}
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	e = (&env{engine: e.engine, dir: e.dir, dsn: e.dsn}).open(t, e.now)
	list, _, err := e.changes.FindChanges(ctx, andon.ChangeFilter{})
	if err != nil || len(list) != 1 || list[0].ID != before.ID {
		t.Fatalf("changes after a clean stop and a restart: %+v, %v; want %s alone", list, err, before.ID)
	}
	if r := e.verify(t); !r.OK {
		t.Errorf("audit log after the restart: %+v", r)
	}
}

// mustMakeImmutable sets the immutable attribute (chattr +i) on the files
// at paths until the test ends, or until the function it returns is
// called. Every write to them then fails, through the descriptors opened
// before too and for root as well, as on a disk the kernel remounted
// read-only; a chmod would stop neither root nor a process that has the
// files open. Setting the attribute takes CAP_LINUX_IMMUTABLE and a file
// system that keeps it, which the test skips without.
func mustMakeImmutable(t *testing.T, paths ...string) (undo func()) {
	t.Helper()
	if _, err := exec.LookPath("chattr"); err != nil {
		t.Skip("chattr (e2fsprogs) is not installed: the test makes the database immutable with it")
	}
	set := func(flag string, paths []string) error {
		for _, p := range paths {
			if out, err := exec.Command("chattr", flag, p).CombinedOutput(); err != nil {
				return fmt.Errorf("chattr %s %s: %v: %s", flag, p, err, bytes.TrimSpace(out))
			}
		}
		return nil
	}
	if err := set("+i", paths); err != nil {
		set("-i", paths)
		t.Skipf("cannot make the database immutable, which takes root (CAP_LINUX_IMMUTABLE) and a file system with the attribute: %v", err)
	}
	done := false
	undo = func() {
		if !done {
			done = true
			if err := set("-i", paths); err != nil {
				t.Error(err)
			}
		}
	}
	t.Cleanup(undo)
	return undo
}

func TestReadOnlyDatabaseRefusesWritesClearly(t *testing.T) {
	e := MustOpen(t, "sqlite")
	ctx := context.Background()
	var log syncBuffer
	e.db.Logger = slog.New(slog.NewTextHandler(&log, nil))
	create := func(title string) (*andon.Change, error) {
		return e.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "dev", Type: andon.ChangeNormal, Title: title})
	}
	before, err := create("before")
	if err != nil {
		t.Fatal(err)
	}
	path := sqlstore.DataPath(e.dir)
	writable := mustMakeImmutable(t, path, path+"-wal")

	_, err = create("while read-only")
	if !errors.Is(err, sqlstore.ErrReadOnly) {
		t.Fatalf("create on a read-only database: %v; want ErrReadOnly", err)
	}
	if got, want := andon.ErrorMessage(err), "the database's disk or file is read-only: writes are refused"; got != want {
		t.Errorf("message of the failed create: %q; want %q", got, want)
	}
	if got, want := andon.ErrorMessage(e.db.DiskError(err)), "the database "+path+" cannot be written: the file, the directory "+e.dir+" or the disk under it is read-only"; got != want {
		t.Errorf("message of the failed create for a command: %q; want %q", got, want)
	}
	if err := e.db.Ready(ctx); !errors.Is(err, sqlstore.ErrReadOnly) {
		t.Errorf("ready on a read-only database: %v; want ErrReadOnly", err)
	}
	res, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "staging-lyon", Image: imageNew})
	if err == nil || res == nil || res.Allow || len(res.Reasons) != 1 ||
		res.Reasons[0].Message != "the gate could not decide: the database's disk or file is read-only: writes are refused; deployment refused" {
		t.Fatalf("gate on a read-only database: %+v, %v; want a denial that names the read-only database", res, err)
	}
	if got, err := e.changes.FindChangeByID(ctx, before.ID); err != nil || got.Title != "before" {
		t.Errorf("read of %s on a read-only database: %+v, %v", before.ID, got, err)
	}
	if n := strings.Count(log.String(), "database writes fail"); n != 1 {
		t.Errorf("the read-only database was logged %d times; want once:\n%s", n, log.String())
	}

	writable()
	after, err := create("after")
	if err != nil {
		t.Fatalf("create once the database is writable again: %v", err)
	}
	if err := e.db.Ready(ctx); err != nil {
		t.Errorf("ready once a write succeeded again: %v", err)
	}
	// What was acknowledged is there after a restart, and only that.
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	e = (&env{engine: e.engine, dir: e.dir, dsn: e.dsn}).open(t, e.now)
	list, _, err := e.changes.FindChanges(ctx, andon.ChangeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, c := range list {
		titles = append(titles, c.ID+" "+c.Title)
	}
	if want := []string{after.ID + " after", before.ID + " before"}; !slices.Equal(titles, want) {
		t.Errorf("changes after a restart: %q; want %q", titles, want)
	}
	if r := e.verify(t); !r.OK {
		t.Errorf("audit log after the read-only database: %+v", r)
	}
}

// TestRestartOnAReadOnlyDatabase opens a store again on a database file
// that can no longer be written, as after a disk remounted read-only:
// SQLite opens it to be read, and the first write, which only appends to
// the audit log as andon serve's first does, says that it is read-only,
// where the append said "attempt to write a readonly database" as an
// internal error.
func TestRestartOnAReadOnlyDatabase(t *testing.T) {
	e := MustOpen(t, "sqlite")
	before, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "dev", Type: andon.ChangeNormal, Title: "before"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	path := sqlstore.DataPath(e.dir)
	mustMakeImmutable(t, path)
	e = (&env{engine: e.engine, dir: e.dir, dsn: e.dsn}).open(t, e.now)
	_, err = e.db.Update(context.Background(), func(ctx context.Context, tx *sqlstore.Tx) error {
		tx.Record(andon.Event{Type: "policy.loaded", Actor: "andon"})
		return nil
	})
	if !errors.Is(err, sqlstore.ErrReadOnly) {
		t.Fatalf("write on a database opened read-only: %v; want ErrReadOnly", err)
	}
	if got, want := andon.ErrorMessage(e.db.DiskError(err)), "the database "+path+" cannot be written: the file, the directory "+e.dir+" or the disk under it is read-only"; got != want {
		t.Errorf("message of the failed write for a command: %q; want %q", got, want)
	}
	if got, err := e.changes.FindChangeByID(context.Background(), before.ID); err != nil || got.Title != "before" {
		t.Errorf("read of %s on a database opened read-only: %+v, %v", before.ID, got, err)
	}
}
