package sqlstore_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
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

// TestRecordOverdueReviewsInBoundedWrites records a backlog of overdue
// reviews larger than one write may hold: each write records the bound
// at most, the longest overdue first, and every review is recorded once.
func TestRecordOverdueReviewsInBoundedWrites(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.changes.SetOverdueBound(2)
		e.MustStage(t, imageStaged)
		var ids []string
		for i := range 5 {
			c, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{
				Environment: "prod-geelong", Type: andon.ChangeEmergency, Title: fmt.Sprintf("Hotfix %d", i),
				Artifacts: []string{imageStaged},
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.changes.Decide(as("erin"), c.ID, andon.Approve, "outage"); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		// Implemented out of the order of their creation, so that the
		// order they fall due in is not that of the changes.
		var due []string
		for _, i := range []int{3, 0, 4, 1, 2} {
			e.now = e.now.Add(time.Minute)
			if _, err := e.changes.Transition(as("alice"), ids[i], andon.StateImplementing, ""); err != nil {
				t.Fatal(err)
			}
			due = append(due, ids[i])
		}
		// A clock a second on at each reading: the entries of one write
		// share its time, those of two writes do not.
		var mu sync.Mutex
		now := e.now.Add(andon.ReviewPeriod + time.Hour)
		e.db.Now = func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			now = now.Add(time.Second)
			return now
		}
		if n, err := e.changes.RecordOverdueReviews(ctx); err != nil || n != len(due) {
			t.Fatalf("scan of %d overdue reviews = %d, %v; want %d", len(due), n, err, len(due))
		}
		if n, err := e.changes.RecordOverdueReviews(ctx); err != nil || n != 0 {
			t.Fatalf("scan after all were recorded = %d, %v; want 0", n, err)
		}
		entries, err := e.audit.FindEntries(ctx, andon.AuditFilter{Type: andon.EventReviewOverdue, After: -1})
		if err != nil {
			t.Fatal(err)
		}
		var subjects []string
		var writes []int // entries of each write, in the order written
		for i, en := range entries {
			subjects = append(subjects, en.Subject)
			if i == 0 || !en.Time.Equal(entries[i-1].Time) {
				writes = append(writes, 0)
			}
			writes[len(writes)-1]++
		}
		if !slices.Equal(subjects, due) {
			t.Errorf("review_overdue entries for %v, want one for each of %v, the longest overdue first", subjects, due)
		}
		if !slices.Equal(writes, []int{2, 2, 1}) {
			t.Errorf("review_overdue entries written %v in each write, want [2 2 1] (2 at most a write)", writes)
		}
		if r := e.verify(t); !r.OK {
			t.Errorf("audit verify: %+v", r)
		}
	})
}

// leaders follows the work of replicas competing for one job: who is in
// it, and the most that were at once.
type leaders struct {
	mu      sync.Mutex
	running map[string]int // replica: the start of the work it is in
	starts  int            // works started so far
	most    int
}

// work runs as replica name's job until ctx ends.
func (l *leaders) work(ctx context.Context, name string) {
	l.mu.Lock()
	l.starts++
	l.running[name] = l.starts
	l.most = max(l.most, len(l.running))
	l.mu.Unlock()
	<-ctx.Done()
	l.mu.Lock()
	delete(l.running, name)
	l.mu.Unlock()
}

// state returns who is in the work, with the start of each, how many
// works started so far and the most that were at once.
func (l *leaders) state() (running map[string]int, starts, most int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	running = make(map[string]int, len(l.running))
	for k, v := range l.running {
		running[k] = v
	}
	return running, l.starts, l.most
}

// settles waits up to 10 seconds for cond, and fails the test with what
// it waited for when cond does not come.
func settles(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLeadMovesToASurvivor runs two replicas competing for one job on
// PostgreSQL: one leads at a time, and when the leader's connection dies,
// as it does with its process, the other takes over. A loaded machine
// may make a check slow, and a leader whose check does not answer within
// retry steps down; the test waits for the lead to settle rather than
// for a fixed time.
func TestLeadMovesToASurvivor(t *testing.T) {
	dsn := sqlstoretest.Postgres(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l := &leaders{running: map[string]int{}}
	var logged syncBuffer
	t.Cleanup(func() {
		if t.Failed() {
			running, starts, most := l.state()
			t.Logf("in the work: %v; works started: %d; most at once: %d; log:\n%s", running, starts, most, logged.String())
		}
	})
	var wg sync.WaitGroup
	for _, name := range []string{"a", "b"} {
		// The session's application name tells which replica holds the
		// lock.
		db, err := sqlstore.Open(ctx, dsn+"&application_name="+name)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			db.Lead(ctx, "test-job", 50*time.Millisecond, slog.New(slog.NewTextHandler(&logged, nil)).With("replica", name), func(ctx context.Context) {
				l.work(ctx, name)
			})
		}()
	}
	oneLeads := func() bool {
		running, _, _ := l.state()
		return len(running) == 1
	}
	settles(t, "a replica to lead", oneLeads)
	// Both try for a while, each every 50ms; only one may lead. Time
	// passing cannot fail this, only two replicas in the work at once.
	time.Sleep(300 * time.Millisecond)
	settles(t, "a replica to lead", oneLeads)
	if _, _, most := l.state(); most != 1 {
		t.Fatalf("%d replicas led at once, want 1", most)
	}
	// Kill the leader's session, as the death of its process would.
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var killed []string
	var before int // works started before the kill
	settles(t, "the session holding the lock, to kill it", func() bool {
		_, before, _ = l.state()
		// The select list is evaluated for the rows the filter keeps
		// only: no other session is terminated. A session that ended
		// before it could be terminated gives "".
		killed, err = queryNames(raw, `SELECT CASE WHEN pg_terminate_backend(l.pid) THEN a.application_name ELSE '' END
			FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
			WHERE l.locktype = 'advisory' AND l.granted AND l.classid::int = hashtext('andon')
			AND l.objid::int = hashtext(current_schema() || '.test-job')`)
		if err != nil {
			t.Fatalf("terminate the leader's session: %v", err)
		}
		killed = slices.DeleteFunc(killed, func(name string) bool { return name == "" })
		return len(killed) > 0
	})
	if len(killed) != 1 {
		t.Fatalf("killed the sessions of %v, want the one leader's", killed)
	}
	// The killed replica learns of its loss at its next check, so the
	// two may overlap for that long; the jobs are idempotent for that
	// reason. Once settled, one leads, in a work started after the kill.
	settles(t, "one replica to lead after "+killed[0]+"'s session was killed", func() bool {
		running, _, _ := l.state()
		if len(running) != 1 {
			return false
		}
		for _, start := range running {
			return start > before
		}
		return false
	})
	if _, _, most := l.state(); most > 2 {
		t.Errorf("%d replicas led at once, want at most 2 (the old leader until its next check, and the new one)", most)
	}
	cancel()
	wg.Wait()
}

// TestLeadShutdownDuringACheck ends a leader's context while it checks
// its lock: the leader finishes the check, stops its work and releases
// the lock, rather than taking its own shutdown for the loss of the lead.
func TestLeadShutdownDuringACheck(t *testing.T) {
	dsn := sqlstoretest.Postgres(t)
	log := leadShutDuringCheck(t, dsn, func(ctx context.Context, conn *sql.Conn) error {
		return conn.PingContext(ctx)
	})
	if strings.Contains(log, "lost the lead") || !strings.Contains(log, "stopped leading background work") {
		t.Errorf("log of a leader shut down during a check:\n%s\nwant it to stop leading, not to lose the lead", log)
	}
	if held := lockHolders(t, dsn); len(held) != 0 {
		t.Errorf("sessions holding the lock after Lead returned: %v; want none", held)
	}
}

// TestLeadReleasesALockItCouldNotUnlock ends a leader whose unlock fails
// while its session lives on (here a failed transaction left open on the
// lock's connection): the connection is closed rather than put back in
// the pool, which would keep the lock, and no other replica could lead
// until it was closed.
func TestLeadReleasesALockItCouldNotUnlock(t *testing.T) {
	dsn := sqlstoretest.Postgres(t)
	log := leadShutDuringCheck(t, dsn, func(ctx context.Context, conn *sql.Conn) error {
		// Every statement of the session fails until the transaction
		// ends, the unlock included; the lock is the session's, and
		// stays.
		if _, err := conn.ExecContext(ctx, `BEGIN`); err != nil {
			return err
		}
		if _, failed := conn.ExecContext(ctx, `SELECT 1/0`); failed == nil {
			return errors.New("SELECT 1/0 did not fail")
		}
		return nil
	})
	if !strings.Contains(log, "could not release the lead of background work") {
		t.Fatalf("log of a leader whose unlock failed:\n%s\nwant it to say it could not release the lead", log)
	}
	// The server ends the session once its connection is closed.
	settles(t, "the lock to be released", func() bool { return len(lockHolders(t, dsn)) == 0 })
}

// leadShutDuringCheck runs one replica leading test-job on dsn, ends its
// context while its first check of the lock is held back, then lets the
// check run as check does, and returns the replica's log once Lead has
// returned.
func leadShutDuringCheck(t *testing.T, dsn string, check func(ctx context.Context, conn *sql.Conn) error) string {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	// Open until the test ends: closing it closes the connections of
	// its pool, which would release a lock one of them kept.
	t.Cleanup(func() { db.Close() })
	checking, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	db.SetLeadCheck(func(ctx context.Context, conn *sql.Conn) error {
		first := false
		once.Do(func() { first = true })
		if !first {
			return conn.PingContext(ctx)
		}
		close(checking)
		<-release
		return check(ctx, conn)
	})
	var logged syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		db.Lead(ctx, "test-job", 10*time.Millisecond, slog.New(slog.NewTextHandler(&logged, nil)), func(ctx context.Context) { <-ctx.Done() })
	}()
	<-checking
	cancel()
	close(release)
	<-done
	return logged.String()
}

// lockHolders returns the sessions that hold test-job's lock.
func lockHolders(t *testing.T, dsn string) []string {
	t.Helper()
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	held, err := queryNames(raw, `SELECT l.pid::text FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted
		AND l.classid::int = hashtext('andon') AND l.objid::int = hashtext(current_schema() || '.test-job')`)
	if err != nil {
		t.Fatal(err)
	}
	return held
}

// queryNames returns the one column of q's rows.
func queryNames(db *sql.DB, q string) ([]string, error) {
	rows, err := db.Query(q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}
