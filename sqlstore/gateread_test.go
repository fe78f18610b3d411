package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/sqlstore"
)

// approvedInWindow returns a change of prod-geelong carrying imageStaged,
// approved, and moves the store's clock into its window, two days on.
func approvedInWindow(t *testing.T, e *env) *andon.Change {
	t.Helper()
	c, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{
		Environment: "prod-geelong", Type: andon.ChangeNormal, Title: "Routing", Artifacts: []string{imageStaged},
		Window: &andon.Span{Start: e.now.Add(48 * time.Hour), End: e.now.Add(50 * time.Hour)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if c, err = e.changes.Decide(as("bob"), c.ID, andon.Approve, ""); err != nil || c.State != andon.StateApproved {
		t.Fatalf("approve = %+v, %v", c, err)
	}
	e.now = e.now.Add(49 * time.Hour)
	return c
}

// A gate decision read from the read pool is confirmed by its write: a
// change cancelled between the read and the write is not deployed.
func TestGateReadIsConfirmedByItsWrite(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		e.gate.SetReadBeforeWrite(true)
		e.MustStage(t, imageStaged)
		start := e.now
		c := approvedInWindow(t, e)
		e.gate.SetBeforeWrite(func() {
			e.gate.SetBeforeWrite(nil)
			if _, err := e.changes.Transition(as("alice"), c.ID, andon.StateCancelled, "not today"); err != nil {
				t.Error(err)
			}
		})
		res, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "prod-geelong", Image: imageStaged})
		if err != nil || res.Allow {
			t.Fatalf("gate after the change was cancelled = %+v, %v; want denied", res, err)
		}
		if got, _ := e.changes.FindChangeByID(context.Background(), c.ID); got.State != andon.StateCancelled {
			t.Errorf("change is %s, want cancelled", got.State)
		}
		// With nothing changed, the read stands and the gate allows.
		e.now = start
		d := approvedInWindow(t, e)
		res, err = e.gate.Decide(as("alice"), andon.GateRequest{Environment: "prod-geelong", Image: imageStaged})
		if err != nil || !res.Allow || res.Change.ID != d.ID || res.Change.State != andon.StateImplementing {
			t.Fatalf("gate = %+v, %v; want %s allowed and implementing", res, err, d.ID)
		}
	})
}

// A write earlier in the same batch may change what a decision read:
// the decision is read again inside the write.
func TestGateReadIsConfirmedAfterAnEarlierWriteOfItsBatch(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		e.gate.SetReadBeforeWrite(true)
		e.MustStage(t, imageStaged)
		c := approvedInWindow(t, e)
		write, result, err := e.gate.ReadDecision(context.Background(), "prod-geelong", imageStaged)
		if err != nil {
			t.Fatal(err)
		}
		if !result().Allow {
			t.Fatalf("decision as read = %+v; want allowed", result())
		}
		withdraw := func(ctx context.Context, tx *sqlstore.Tx) error {
			tx.Record(andon.Event{Type: "test.withdrawn", Actor: "test", Subject: c.ID})
			return tx.Exec(ctx, `UPDATE changes SET state = 'cancelled' WHERE id = ?`, c.ID)
		}
		if _, errs := e.db.CommitBatch(withdraw, write); errs[0] != nil || errs[1] != nil {
			t.Fatal(errs)
		}
		if res := result(); res.Allow {
			t.Errorf("decision after its batch withdrew the change = %+v; want denied", res)
		}
	})
}
