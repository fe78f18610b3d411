package sqlstore_test

import (
	"context"
	"database/sql"
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

// mustMigratedRaw makes a database of engine that andon migrated, runs
// stmts on it with database/sql alone, to put it in a state andon would
// not (as an older andon left it, or one a migration fails on), and
// returns its DSN and that handle.
func mustMigratedRaw(t *testing.T, engine string, stmts ...string) (string, *sql.DB) {
	t.Helper()
	dir := t.TempDir()
	dsn := sqlstoretest.DSN(t, engine, dir)
	db, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw := mustOpenRaw(t, engine, dir, dsn)
	for _, stmt := range stmts {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	return dsn, raw
}

// mustOpenRaw opens the database of engine at dsn (a SQLite one in dir)
// with database/sql alone.
func mustOpenRaw(t *testing.T, engine, dir, dsn string) *sql.DB {
	t.Helper()
	driver, name := "sqlite", "file:"+sqlstore.DataPath(dir)
	if engine == "postgres" {
		driver, name = "pgx", dsn
	}
	raw, err := sql.Open(driver, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

// holdMigrationLock takes the migration lock of the PostgreSQL database
// raw opens, as another replica that migrates it holds it, until release
// or the end of the test.
func holdMigrationLock(t *testing.T, raw *sql.DB) (release func()) {
	t.Helper()
	other, err := raw.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	release = sync.OnceFunc(func() { other.Rollback() })
	t.Cleanup(release)
	if _, err := other.Exec(`SELECT pg_advisory_xact_lock(hashtext('andon'), hashtext(current_schema() || '.migrate'))`); err != nil {
		t.Fatal(err)
	}
	return release
}

// openLogged opens dsn in the background, with a logger that hands its
// records to the channel it returns; the channel is closed once the open
// has returned, its error on opened.
func openLogged(ctx context.Context, dsn string) (records recordHandler, opened <-chan error) {
	records = make(recordHandler, 100)
	done := make(chan error, 1)
	go func() {
		db, err := sqlstore.OpenLogged(ctx, dsn, slog.New(records))
		if err == nil {
			db.Close()
		}
		done <- err
		close(records)
	}()
	return records, done
}

// A migration that fails leaves nothing of itself, keeps the ones before
// it, and says so and what to do; the next start applies it.
func TestFailedMigrationIsRolledBackAndNamed(t *testing.T) {
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			// The database as if 0009 and 0010 were to apply, but with the
			// column 0010 adds already there, which fails it.
			dsn, raw := mustMigratedRaw(t, engine,
				`DROP INDEX audit_entries_time`,
				`DELETE FROM schema_migrations WHERE name IN ('0009_audit_time.sql', '0010_token_read_only.sql')`)
			_, err := sqlstore.Open(ctx, dsn)
			for _, want := range []string{"migration 0010_token_read_only.sql did not complete and was rolled back", "start andon again"} {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("open with a migration that fails: %v; want it to say %q", err, want)
				}
			}
			applied := mustMigrations(t, raw)
			if !slices.Contains(applied, "0009_audit_time.sql") || slices.Contains(applied, "0010_token_read_only.sql") {
				t.Errorf("migrations recorded after 0010 failed: %v; want 0009 and not 0010", applied)
			}
			if _, err := raw.Exec(`ALTER TABLE tokens DROP COLUMN read_only`); err != nil {
				t.Fatal(err)
			}
			db, err := sqlstore.Open(ctx, dsn)
			if err != nil {
				t.Fatalf("open once the cause is removed: %v", err)
			}
			db.Close()
			if applied := mustMigrations(t, raw); !slices.Contains(applied, "0010_token_read_only.sql") {
				t.Errorf("migrations recorded after a start without the cause: %v; want 0010", applied)
			}
		})
	}
}

func mustMigrations(t *testing.T, raw *sql.DB) []string {
	t.Helper()
	rows, err := raw.Query(`SELECT name FROM schema_migrations ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

// recordHandler hands each log record to a channel.
type recordHandler chan slog.Record

func (h recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h recordHandler) Handle(_ context.Context, r slog.Record) error {
	h <- r.Clone()
	return nil
}
func (h recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h recordHandler) WithGroup(string) slog.Handler      { return h }

// attr returns the value of the attribute key of r, "" when it has none.
func attr(r slog.Record, key string) string {
	if v, ok := attrValue(r, key); ok {
		return v.String()
	}
	return ""
}

// attrValue returns the value of the attribute key of r, and whether r
// has it.
func attrValue(r slog.Record, key string) (slog.Value, bool) {
	var (
		v  slog.Value
		ok bool
	)
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v, ok = a.Value, true
			return false
		}
		return true
	})
	return v, ok
}

// A start logs each migration it applies, and on PostgreSQL that it waits
// for another replica holding the migration lock, once.
func TestMigrationsAreLogged(t *testing.T) {
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			dsn, raw := mustMigratedRaw(t, engine,
				`ALTER TABLE tokens DROP COLUMN read_only`,
				`DELETE FROM schema_migrations WHERE name = '0010_token_read_only.sql'`)
			release := func() {}
			if engine == "postgres" {
				// Another replica, migrating: released once the wait is
				// logged, or after a minute, for the test to fail rather
				// than hang should it go unlogged.
				release = holdMigrationLock(t, raw)
				defer time.AfterFunc(time.Minute, release).Stop()
			}
			records, opened := openLogged(context.Background(), dsn)
			var waits, applied []string
			for r := range records {
				switch r.Message {
				case "waiting for another andon that migrates the database":
					waits = append(waits, attr(r, "migration"))
					release()
				case "applied migration":
					applied = append(applied, attr(r, "migration"))
					// The time it took in milliseconds, a number, as
					// every log record that reports one has it.
					if d, ok := attrValue(r, andon.DurationKey); !ok || d.Kind() != slog.KindFloat64 || d.Float64() < 0 {
						t.Errorf("applied migration: %s = %v, want a number of milliseconds", andon.DurationKey, d)
					}
				}
			}
			if err := <-opened; err != nil {
				t.Fatal(err)
			}
			if want := []string{"0010_token_read_only.sql"}; !slices.Equal(applied, want) {
				t.Errorf("migrations logged as applied: %q; want %q", applied, want)
			}
			want := []string(nil)
			if engine == "postgres" {
				want = []string{"0001_init.sql"}
			}
			if !slices.Equal(waits, want) {
				t.Errorf("waits logged: %q; want %q", waits, want)
			}
		})
	}
}

// A start stopped while it migrates, here as it waits for another
// replica's migration lock, says so, and not that a cause is to remove.
func TestStoppedMigrationSaysStartAgain(t *testing.T) {
	dsn := sqlstoretest.Postgres(t)
	holdMigrationLock(t, mustOpenRaw(t, "postgres", "", dsn))
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	// Stopped anyway, should the wait go unlogged, rather than hang.
	defer time.AfterFunc(time.Minute, stop).Stop()
	records, opened := openLogged(ctx, dsn)
	for r := range records {
		if r.Message == "waiting for another andon that migrates the database" {
			stop()
		}
	}
	err := <-opened
	want := "migration 0001_init.sql was stopped before it completed, and rolled back"
	if err == nil || !strings.Contains(err.Error(), want) || !strings.HasSuffix(err.Error(), "; start andon again, which applies it again") {
		t.Errorf("open stopped during a migration: %v; want %q, and to start again", err, want)
	}
}

// TestChangeProcessesMigrationBackfills checks that the migration that
// indexes the changes' processes fills the index from the bodies of the
// changes stored before it, so that the changes opened before an upgrade
// are listed by process too; a body whose processes are null, as none
// is written, adds none and does not stop the migration.
func TestChangeProcessesMigrationBackfills(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		for _, req := range []andon.ChangeRequest{
			{Environment: "prod-lyon", Type: andon.ChangeNormal, Title: "Invoice layout", Facts: andon.Facts{Modules: []string{"account"}}},
			{Environment: "dev", Type: andon.ChangeNormal, Title: "Inspection sheet", Processes: []string{"quality", "finance"}},
			{Environment: "dev", Type: andon.ChangeNormal, Title: "Barcode scanner tweak"},
			{Environment: "dev", Type: andon.ChangeNormal, Title: "Old body", Facts: andon.Facts{Modules: []string{"purchase"}}},
		} {
			if _, err := e.changes.CreateChange(as("alice"), &req); err != nil {
				t.Fatal(err)
			}
		}
		raw := e.mustRaw(t)
		for _, stmt := range []string{
			`UPDATE changes SET body = replace(body, '"processes":["procurement"]', '"processes":null') WHERE title = 'Old body'`,
			`DROP TABLE change_processes`,
			`DELETE FROM schema_migrations WHERE name = '0013_change_processes.sql'`,
		} {
			if _, err := raw.Exec(stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		migrated := e.MustOpenReplica(t)
		for process, want := range map[string][]string{
			"finance":     {"Inspection sheet", "Invoice layout"},
			"quality":     {"Inspection sheet"},
			"procurement": nil,
		} {
			got, total, err := migrated.changes.FindChanges(context.Background(), andon.ChangeFilter{Process: process})
			if err != nil {
				t.Fatal(err)
			}
			var titles []string
			for _, c := range got {
				titles = append(titles, c.Title)
			}
			if !slices.Equal(titles, want) || total != len(want) {
				t.Errorf("after the migration, the changes of %s = %q (total %d), want %q", process, titles, total, want)
			}
		}
	})
}
