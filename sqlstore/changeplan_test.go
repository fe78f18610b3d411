package sqlstore_test

import (
	"context"
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
			dsn, raw := mustMigratedRaw(t, engine)
			db, err := sqlstore.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			changes := sqlstore.NewChangeService(db, nil, nil, nil)
			for _, f := range []andon.ChangeFilter{
				{ReviewOwed: true},
				{Type: andon.ChangeEmergency, ReviewOwed: true, Limit: 1000},
			} {
				count, countArgs, list, listArgs, err := changes.ChangesQuery(t.Context(), f, 600)
				if err != nil {
					t.Fatal(err)
				}
				for _, q := range []struct {
					stmt string
					args []any
				}{{count, countArgs}, {list, listArgs}} {
					if plan := mustExplain(t, engine, raw, q.stmt, q.args); !strings.Contains(plan, "changes_review_due") {
						t.Errorf("%+v: the changes are read without the index changes_review_due:\n%s\n%s", f, q.stmt, plan)
					}
				}
			}
		})
	}
}
