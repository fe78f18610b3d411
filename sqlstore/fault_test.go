package sqlstore_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
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
