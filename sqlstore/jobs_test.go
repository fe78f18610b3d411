package sqlstore_test

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/sqlstore"
	"github.com/andon-governance/andon/sqlstore/sqlstoretest"
)

func TestPublishCatalog(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if rev, err := e.db.CurrentCatalog(ctx); err != nil || rev != "" {
			t.Fatalf("current catalog of a new store = %q, %v; want none", rev, err)
		}
		v1 := sqlstore.CatalogVersion{Revision: "sha256:1", Commit: "c1", Source: "git file:///catalog@main", Archive: []byte("zip one")}
		v2 := sqlstore.CatalogVersion{Revision: "sha256:2", Source: "dir /etc/andon/catalog", Archive: []byte("zip two")}
		for i, step := range []struct {
			v    sqlstore.CatalogVersion
			want bool
		}{{v1, true}, {v1, false}, {v2, true}, {v1, true}} {
			got, err := e.db.PublishCatalog(ctx, step.v, map[string]any{"plants": 2})
			if err != nil || got != step.want {
				t.Fatalf("step %d: publish %s = %v, %v; want %v", i, step.v.Revision, got, err, step.want)
			}
		}
		if rev, _ := e.db.CurrentCatalog(ctx); rev != v1.Revision {
			t.Errorf("current catalog = %q, want %q", rev, v1.Revision)
		}
		got, err := e.db.CatalogVersion(ctx, v2.Revision)
		if err != nil || !bytes.Equal(got.Archive, v2.Archive) || got.Source != v2.Source {
			t.Errorf("version %s = %+v, %v", v2.Revision, got, err)
		}
		if _, err := e.db.CatalogVersion(ctx, "sha256:none"); andon.ErrorCode(err) != andon.ENOTFOUND {
			t.Errorf("unknown version: %v, want not_found", err)
		}
		entries, err := e.audit.FindEntries(ctx, andon.AuditFilter{Type: andon.EventCatalogLoaded, After: -1})
		if err != nil || len(entries) != 3 {
			t.Fatalf("catalog.loaded entries = %d, %v; want 3 (one per version put in force)", len(entries), err)
		}
		if r := e.verify(t); !r.OK {
			t.Errorf("audit verify: %+v", r)
		}
	})
}

func TestRecordOverdueReviews(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.MustStage(t, imageStaged)
		c, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{
			Environment: "prod-geelong", Type: andon.ChangeEmergency, Title: "Hotfix labels",
			Artifacts: []string{imageStaged},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.changes.Decide(as("erin"), c.ID, andon.Approve, "outage"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.changes.Transition(as("alice"), c.ID, andon.StateImplementing, ""); err != nil {
			t.Fatal(err)
		}
		if n, err := e.changes.RecordOverdueReviews(ctx); err != nil || n != 0 {
			t.Fatalf("scan before the review is due = %d, %v; want 0", n, err)
		}
		e.now = e.now.Add(andon.ReviewPeriod + time.Hour)
		for i, want := range []int{1, 0} {
			if n, err := e.changes.RecordOverdueReviews(ctx); err != nil || n != want {
				t.Fatalf("scan %d after the review is due = %d, %v; want %d", i, n, err, want)
			}
		}
		entries, err := e.audit.FindEntries(ctx, andon.AuditFilter{Type: andon.EventReviewOverdue, After: -1})
		if err != nil || len(entries) != 1 || entries[0].Subject != c.ID {
			t.Fatalf("review_overdue entries = %+v, %v; want one for %s", entries, err, c.ID)
		}
	})
}

// TestLeadMovesToASurvivor runs two replicas competing for one job on
// PostgreSQL: one leads at a time, and when the leader's connection dies,
// as it does with its process, the other takes over.
func TestLeadMovesToASurvivor(t *testing.T) {
	dsn := sqlstoretest.Postgres(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var active, maxActive atomic.Int32
	leading := make(chan string, 8)
	stopped := make(chan string, 8)
	var wg sync.WaitGroup
	for _, name := range []string{"a", "b"} {
		db, err := sqlstore.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			db.Lead(ctx, "test-job", 50*time.Millisecond, slog.New(slog.DiscardHandler), func(ctx context.Context) {
				n := active.Add(1)
				if n > maxActive.Load() {
					maxActive.Store(n)
				}
				leading <- name
				<-ctx.Done()
				active.Add(-1)
				stopped <- name
			})
		}()
	}
	first := <-leading
	// Both try for a while; only one may lead.
	time.Sleep(300 * time.Millisecond)
	if maxActive.Load() != 1 {
		t.Fatalf("%d replicas led at once, want 1", maxActive.Load())
	}
	// Kill the leader's session, as the death of its process would.
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var killed int
	if err := raw.QueryRow(`SELECT COUNT(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND classid::int = hashtext('andon') AND objid::int = hashtext(current_schema() || '.test-job')`).Scan(&killed); err != nil || killed != 1 {
		t.Fatalf("terminate the leader's session: %d sessions, %v", killed, err)
	}
	select {
	case got := <-stopped:
		if got != first {
			t.Fatalf("%s stopped, want the leader %s", got, first)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the leader kept working after losing its lock")
	}
	select {
	case <-leading:
	case <-time.After(10 * time.Second):
		t.Fatal("no replica took over the job")
	}
	// The old leader learns of its loss at its next check, so the two may
	// overlap for that long; the jobs are idempotent for that reason. Once
	// settled, one leads.
	time.Sleep(300 * time.Millisecond)
	if n := active.Load(); n != 1 {
		t.Errorf("%d replicas lead after the failover, want 1", n)
	}
	cancel()
	wg.Wait()
}
