package sqlstore_test

import (
	"context"
	"database/sql"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
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

// countingPolicy counts the gate evaluations of the policy it wraps and
// reports the revision it is given, as if it had been reloaded.
type countingPolicy struct {
	andon.Policy
	gates    atomic.Int64
	revision atomic.Pointer[string]
}

func (p *countingPolicy) Gate(ctx context.Context, in *andon.GateInput) (*andon.GateDecision, error) {
	p.gates.Add(1)
	d, err := p.Policy.Gate(ctx, in)
	if d != nil {
		d.Policy = p.Revision()
	}
	return d, err
}

func (p *countingPolicy) Revision() string {
	if r := p.revision.Load(); r != nil {
		return *r
	}
	return p.Policy.Revision()
}

// A decision read before its write is evaluated once when nothing it read
// changed in between, and again when changes of its environments were
// written or the policy was reloaded in between, so that a decision
// recorded after a policy.loaded entry was made by that policy.
func TestGateReadIsEvaluatedAgainOnlyWhenNeeded(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		pol := &countingPolicy{Policy: e.policy}
		gate := sqlstore.NewGateService(e.db, e.changes, e.catalog, pol, e.cal, slog.New(slog.DiscardHandler))
		gate.SetReadBeforeWrite(true)
		req := andon.GateRequest{Environment: "prod-lyon", Image: imageStaged}
		if res, err := gate.Decide(as("alice"), req); err != nil || res.Allow {
			t.Fatalf("gate = %+v, %v; want denied", res, err)
		}
		if n := pol.gates.Load(); n != 1 {
			t.Errorf("with nothing changed, the policy evaluated the decision %d times, want once", n)
		}
		// Each step below makes one decision, with something done between
		// its read and its write, and says how often the policy should
		// have evaluated it.
		create := func(env string) func() {
			return func() {
				if _, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{
					Environment: env, Type: andon.ChangeNormal, Title: "report tweak", Facts: andon.Facts{Modules: []string{"account"}},
				}); err != nil {
					t.Error(err)
				}
			}
		}
		reloaded := "reloaded"
		for _, step := range []struct {
			between string
			do      func()
			want    int64
		}{
			{"a change created in another environment", create("prod-geelong"), 1},
			{"a change created in the same environment", create("prod-lyon"), 2},
			{"a change created in the environment it promotes from", create("staging-lyon"), 2},
			{"a policy reload", func() { pol.revision.Store(&reloaded) }, 2},
		} {
			gate.SetBeforeWrite(step.do)
			before := pol.gates.Load()
			if res, err := gate.Decide(as("alice"), req); err != nil || res.Allow {
				t.Fatalf("gate = %+v, %v; want denied", res, err)
			}
			if n := pol.gates.Load() - before; n != step.want {
				t.Errorf("after %s between the read and the write, the policy evaluated the decision %d times, want %d", step.between, n, step.want)
			}
		}
	})
}

// Whoever writes changes, from whatever search_path, counts in the
// tables of the installation that owns them: in the total and in the
// count of the change's environment.
func TestChangeWritesCountInTheirOwnSchema(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		c, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{
			Environment: "prod-lyon", Type: andon.ChangeNormal, Title: "report tweak", Facts: andon.Facts{Modules: []string{"account"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		raw, prefix := e.mustRaw(t), ""
		if e.engine == "postgres" {
			// A session of its own with the server's default search_path,
			// which does not reach the test's schema.
			u, err := url.Parse(e.dsn)
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			prefix = q.Get("search_path") + "."
			q.Del("search_path")
			u.RawQuery = q.Encode()
			if raw, err = sql.Open("pgx", u.String()); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { raw.Close() })
		}
		counts := func() (total, env int64) {
			t.Helper()
			err := raw.QueryRow(`SELECT changes_seq, (SELECT seq FROM `+prefix+`change_counts WHERE environment = 'prod-lyon')
				FROM `+prefix+`audit_checkpoint WHERE id = 1`).Scan(&total, &env)
			if err != nil {
				t.Fatal(err)
			}
			return total, env
		}
		total, env := counts()
		if total == 0 || env == 0 {
			t.Fatalf("after a new change the counts are %d in all and %d for its environment; want both above 0", total, env)
		}
		if _, err := raw.Exec(`UPDATE `+prefix+`changes SET title = title WHERE id = $1`, c.ID); err != nil {
			t.Fatal(err)
		}
		if gotTotal, gotEnv := counts(); gotTotal != total+1 || gotEnv != env+1 {
			t.Errorf("after another session updated the change, the counts are %d and %d; want %d and %d", gotTotal, gotEnv, total+1, env+1)
		}
	})
}

// allowAll is a broken gate policy that allows every deployment.
type allowAll struct{ andon.Policy }

func (p allowAll) Gate(ctx context.Context, in *andon.GateInput) (*andon.GateDecision, error) {
	return &andon.GateDecision{Allow: true, Reasons: []andon.Reason{{Code: "ALLOWED", Message: "anything goes"}}, Policy: p.Revision()}, nil
}

// The gate fails closed whatever the policy says: an allow for an image
// with no change, or whose change waits for approval or was rejected, is
// overruled, and nothing moves.
func TestGateOverrulesAnAllowWithoutAnApprovedChange(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		gate := sqlstore.NewGateService(e.db, e.changes, e.catalog, allowAll{e.policy}, e.cal, slog.New(slog.DiscardHandler))
		res, err := gate.Decide(as("alice"), andon.GateRequest{Environment: "prod-lyon", Image: imageNew})
		if err != nil || res.Allow || res.Reasons[0].Message != "the policy allowed a deployment with no change; refused" {
			t.Errorf("no change: %+v, %v; want the allow overruled", res, err)
		}
		c, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{
			Environment: "prod-lyon", Type: andon.ChangeNormal, Title: "Release", Artifacts: []string{imageNew},
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, step := range []andon.Verdict{"", andon.Reject} {
			if step != "" {
				if _, err := e.changes.Decide(as("bob"), c.ID, step, "not this week"); err != nil {
					t.Fatal(err)
				}
			}
			res, err := gate.Decide(as("alice"), andon.GateRequest{Environment: "prod-lyon", Image: imageNew})
			got, _ := e.changes.FindChangeByID(context.Background(), c.ID)
			if err != nil || res.Allow || !strings.Contains(res.Reasons[0].Message, "the policy allowed change "+c.ID+", which is "+string(got.State)) {
				t.Errorf("change %s: %+v, %v; want the allow overruled", got.State, res, err)
			}
			if got.State == andon.StateImplementing {
				t.Errorf("the overruled allow moved %s to implementing", c.ID)
			}
		}
	})
}
