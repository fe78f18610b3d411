package sqlstore_test

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/sqlstore"
	"github.com/andon-governance/andon/sqlstore/sqlstoretest"
)

// TestChangesOwingReviewThroughIndex checks that the changes owing their
// review, as the inbox of a change manager asks for them, are counted and
// listed through the partial index of the reviews owed: among a hundred
// thousand changes, the few hundred owing one were found by walking every
// change backwards, in the order of creation.
func TestChangesOwingReviewThroughIndex(t *testing.T) {
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			db, raw := mustPlanned(t, engine)
			changes := sqlstore.NewChangeService(db, nil, nil, nil)
			for _, f := range []andon.ChangeFilter{
				{ReviewOwed: true},
				{Type: andon.ChangeEmergency, ReviewOwed: true, Limit: 1000},
			} {
				mustChangesThrough(t, engine, raw, changes, f, 600, "changes_review_due", fmt.Sprintf("%+v", f))
			}
		})
	}
}

// TestOverdueReviewsThroughIndex checks that the overdue review scan
// reads the reviews not recorded overdue yet through their own partial
// index, not through changes_review_due, which holds those recorded
// already too: each batch of a hundred read them all before keeping its
// hundred; in the order of the index, which the scan asks for.
func TestOverdueReviewsThroughIndex(t *testing.T) {
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			db, raw := mustPlanned(t, engine)
			plan := mustExplain(t, engine, raw, db.OverdueReviewsStatement(), []any{int64(1) << 52, 100})
			if !strings.Contains(plan, "changes_review_overdue") {
				t.Errorf("the overdue review scan is not read through changes_review_overdue:\n%s", plan)
			}
			// In the index's order, the longest overdue first, not sorted.
			if strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "Sort") {
				t.Errorf("the overdue review scan sorts what it reads:\n%s", plan)
			}
		})
	}
}

// TestChangesOfATypeThroughIndex checks that the changes of one type are
// counted and listed through the index of the type, and, on SQLite, which
// keeps no statistics, that a narrower filter asked with it is read
// through its own index instead: type=normal, most changes, in one
// environment walked them all.
func TestChangesOfATypeThroughIndex(t *testing.T) {
	cases := []struct {
		name   string
		filter andon.ChangeFilter
		index  string
		sqlite bool // the plan of SQLite alone
	}{
		{"type", andon.ChangeFilter{Type: andon.ChangeEmergency}, "changes_type", false},
		{"type and environment", andon.ChangeFilter{Type: andon.ChangeNormal, Environment: "prod-lyon"}, "changes_env_state", true},
		{"type and state", andon.ChangeFilter{Type: andon.ChangeNormal, State: andon.StatePending}, "changes_state", true},
		{"type and requester", andon.ChangeFilter{Type: andon.ChangeNormal, Requester: "bob"}, "changes_requester", true},
		{"review owed", andon.ChangeFilter{Type: andon.ChangeEmergency, ReviewOwed: true}, "changes_review_due", true},
		{"type and process", andon.ChangeFilter{Type: andon.ChangeNormal, Process: "finance"}, "change_processes_process", true},
	}
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			db, raw := mustPlanned(t, engine)
			changes := sqlstore.NewChangeService(db, nil, nil, nil)
			for _, c := range cases {
				if c.sqlite && engine != "sqlite" {
					continue
				}
				mustChangesThrough(t, engine, raw, changes, c.filter, andon.MaxCount, c.index, c.name)
			}
		})
	}
}

// mustChangesThrough fails the test, named name, when the count or the
// listing of the changes f keeps, counted up to total, is not read
// through index.
func mustChangesThrough(t *testing.T, engine string, raw *sql.DB, changes *sqlstore.ChangeService, f andon.ChangeFilter, total int, index, name string) {
	t.Helper()
	count, countArgs, list, listArgs, err := changes.ChangesQuery(t.Context(), f, total)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct {
		stmt string
		args []any
	}{{count, countArgs}, {list, listArgs}} {
		if plan := mustExplain(t, engine, raw, q.stmt, q.args); !strings.Contains(plan, index) {
			t.Errorf("%s: the changes are read without the index %s:\n%s\n%s", name, index, q.stmt, plan)
		}
	}
}

// TestChangesOfAProcessThroughIndex checks that the changes that affected
// one business process, as its owner or an auditor asks for them
// (?process=finance), are counted and listed through the index of the
// changes' processes, not by reading every change's body.
func TestChangesOfAProcessThroughIndex(t *testing.T) {
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			db, raw := mustPlanned(t, engine)
			changes := sqlstore.NewChangeService(db, nil, nil, nil)
			mustChangesThrough(t, engine, raw, changes, andon.ChangeFilter{Process: "finance"}, andon.MaxCount, "change_processes_process", "process")
		})
	}
}
