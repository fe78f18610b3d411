package sqlstore_test

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/sqlstore"
	"github.com/andon-governance/andon/sqlstore/sqlstoretest"
)

// TestAuditEntriesFilterThroughIndex checks that each filter of the audit
// entries is read through an index of its own: in a log of a year, mostly
// gate decisions, the entries of a rare type or of one actor were a scan of
// the whole log. SQLite says which index it would use however small the
// table; PostgreSQL is asked with sequential scans off, since it would
// rightly scan a table this small. On SQLite, which keeps no statistics,
// when a narrower filter is asked too its index is the one read, not the
// type's, which would walk every gate decision; PostgreSQL chooses by the
// statistics of the log, which an empty one lacks.
func TestAuditEntriesFilterThroughIndex(t *testing.T) {
	since := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		filter andon.AuditFilter
		index  string
		sqlite bool // the plan of SQLite alone
	}{
		{"type", andon.AuditFilter{Type: andon.EventChangeApproved}, "audit_entries_type", false},
		{"actor", andon.AuditFilter{Actor: "bob"}, "audit_entries_actor", false},
		{"newest of a type", andon.AuditFilter{Type: andon.EventChangeApproved, Newest: true}, "audit_entries_type", false},
		{"type and actor", andon.AuditFilter{Type: andon.EventGateDecision, Actor: "argocd"}, "audit_entries_actor", true},
		{"type and subject", andon.AuditFilter{Type: andon.EventGateDecision, Subject: "prod-lyon", Newest: true}, "audit_entries_subject", true},
		{"actor and subject", andon.AuditFilter{Actor: "argocd", Subject: "prod-lyon"}, "audit_entries_subject", true},
		// Walking the log from its start, SQLite would read every
		// record's time to find a period at its end.
		{"since", andon.AuditFilter{Since: &since}, "audit_entries_time", true},
		// The entries of a process's changes are found from the index of
		// the changes' processes, then by each change's subject and ID.
		{"process", andon.AuditFilter{Process: "finance"}, "change_processes_process", false},
		{"process by subject", andon.AuditFilter{Process: "finance"}, "audit_entries_subject", false},
		{"process by change", andon.AuditFilter{Process: "finance"}, "audit_entries_change", false},
		{"process in a period", andon.AuditFilter{Process: "finance", Since: &since}, "change_processes_process", false},
		{"type of a process", andon.AuditFilter{Type: andon.EventGateDecision, Process: "finance"}, "change_processes_process", false},
	}
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			db, raw := mustPlanned(t, engine)
			audit := sqlstore.NewAuditService(db)
			for _, c := range cases {
				if c.sqlite && engine != "sqlite" {
					continue
				}
				c.filter.After, c.filter.Limit = -1, 100
				q, args, err := audit.EntriesQuery(t.Context(), c.filter)
				if err != nil {
					t.Fatal(err)
				}
				plan := mustExplain(t, engine, raw, q, args)
				if !strings.Contains(plan, c.index) {
					t.Errorf("%s: the entries are read without the index %s:\n%s\n%s", c.name, c.index, q, plan)
				}
			}
		})
	}
}

// TestRecoveryFactsThroughIndexes checks that the one statement that
// reads the latest backups and restore tests of the catalog's
// environments, for the recovery posture, the board and each scrape of
// the metrics, finds each environment's through the indexes of its
// environment and time, rather than reading every backup recorded, a
// few a day for years, at each scrape.
func TestRecoveryFactsThroughIndexes(t *testing.T) {
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			db, raw := mustPlanned(t, engine)
			plan := mustExplain(t, engine, raw, db.RecoveryFactsStatement(3), []any{"prod-lyon", "prod-geelong", "dev"})
			for _, index := range []string{"backups_environment", "restore_tests_environment"} {
				if !strings.Contains(plan, index) {
					t.Errorf("the latest backups and restore tests are read without the index %s:\n%s", index, plan)
				}
			}
			// Each of the three reads seeks its environment.
			seeks := strings.Count(plan, "Index Cond: (environment =")
			if engine == "sqlite" {
				seeks = strings.Count(plan, "_environment (environment=?)")
			}
			if seeks != 3 {
				t.Errorf("%d reads seek an environment in an index, want 3:\n%s", seeks, plan)
			}
		})
	}
}

// mustPlanned opens a store of engine, migrated, for a test of the plans
// of its statements, with the raw connection that explains them.
func mustPlanned(t *testing.T, engine string) (*sqlstore.DB, *sql.DB) {
	t.Helper()
	dsn, raw := mustMigratedRaw(t, engine)
	db, err := sqlstore.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, raw
}

// mustExplain returns the plan engine gives the statement q with args, in
// the database raw opens.
func mustExplain(t *testing.T, engine string, raw *sql.DB, q string, args []any) string {
	t.Helper()
	tx, err := raw.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	explain := "EXPLAIN QUERY PLAN "
	if engine == "postgres" {
		explain = "EXPLAIN "
		if _, err := tx.Exec(`SET LOCAL enable_seqscan = off`); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := tx.Query(explain+q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var plan strings.Builder
	for rows.Next() {
		cells := make([]any, len(cols))
		for i := range cells {
			cells[i] = new(any)
		}
		if err := rows.Scan(cells...); err != nil {
			t.Fatal(err)
		}
		for _, c := range cells {
			fmt.Fprint(&plan, *c.(*any), " ")
		}
		plan.WriteString("\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan.String()
}
