package sqlstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/policy"
	"github.com/andon-governance/andon/sqlstore"
)

// mustPolicy compiles the default policy with files of dir, each name a
// file and its Rego.
func mustPolicy(t *testing.T, dir string, files map[string]string) *policy.Engine {
	t.Helper()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pol, err := policy.New(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return pol
}

// A policy that fails to decide stops the deployment and the change, and
// says what it did wrong: in the gate's reason, which the audit log
// records, and in the error of the change that was not opened. The store
// is not blamed: it stays ready.
func TestPolicyFailureIsNamed(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.db.Logger = slog.New(slog.DiscardHandler)
		dir := t.TempDir()
		gateFile, riskFile := filepath.Join(dir, "gate.rego"), filepath.Join(dir, "risk.rego")
		broken := mustPolicy(t, dir, map[string]string{
			"gate.rego": "package andon.gate\n\nallow := true\n\nreasons := []\n",
			"risk.rego": "package andon.risk\n\ntier := \"extreme\"\n\nreasons := [\"r\"]\n\napprovals := []\n",
		})
		changes := sqlstore.NewChangeService(e.db, e.catalog, broken, e.cal)
		gate := sqlstore.NewGateService(e.db, changes, e.catalog, broken, e.cal, slog.New(slog.DiscardHandler))

		for _, tt := range []struct{ env, want string }{
			{"prod-lyon", "the gate could not decide: the policy failed: andon.gate: " + gateFile + ":5: reasons: is empty; a decision must give at least one reason; deployment refused"},
			// Outside production the gate classifies the standard change
			// it would record.
			{"dev", "the gate could not decide: the policy failed: andon.risk: " + riskFile + `:3: tier: "extreme" is not one of critical, high, medium, low; deployment refused`},
		} {
			res, err := gate.Decide(as("alice"), andon.GateRequest{Environment: tt.env, Image: imageNew})
			if err == nil || res == nil || res.Allow || len(res.Reasons) != 1 || res.Reasons[0].Code != andon.ReasonInternal || res.Reasons[0].Message != tt.want {
				t.Errorf("%s: gate = %+v, %v; want denied with %q", tt.env, res, err, tt.want)
				continue
			}
			entries, err := e.audit.FindEntries(ctx, andon.AuditFilter{Type: andon.EventGateDecision, After: res.AuditIndex - 1, Limit: 1})
			if err != nil || len(entries) != 1 {
				t.Fatalf("%s: audit entry %d: %v, %v", tt.env, res.AuditIndex, entries, err)
			}
			var recorded struct{ Reasons []andon.Reason }
			if err := json.Unmarshal(entries[0].Data, &recorded); err != nil || len(recorded.Reasons) != 1 || recorded.Reasons[0].Message != tt.want {
				t.Errorf("%s: audit entry %d records %s; want the reason %q", tt.env, res.AuditIndex, entries[0].Data, tt.want)
			}
		}

		_, err := changes.CreateChange(as("alice"), &andon.ChangeRequest{
			Environment: "prod-lyon", Type: andon.ChangeNormal, Title: "Release", Artifacts: []string{imageNew},
		})
		want := "the change could not be classified, so it was not opened: the policy failed: andon.risk: " + riskFile + `:3: tier: "extreme" is not one of critical, high, medium, low`
		var fault *andon.Fault
		if !errors.As(err, &fault) || fault.Message != want {
			t.Errorf("CreateChange error = %v; want a fault saying %q, for the client to see", err, want)
		}

		// A change approved under the policy in force cannot start by hand
		// once the gate policy fails.
		c := approvedInWindow(t, e)
		_, err = changes.Transition(as("alice"), c.ID, andon.StateImplementing, "")
		want = "the gate could not decide, so change " + c.ID + " was not started: the policy failed: andon.gate: " + gateFile + ":5: reasons: is empty; a decision must give at least one reason"
		if !errors.As(err, &fault) || fault.Message != want {
			t.Errorf("start error = %v; want a fault saying %q", err, want)
		}
		if got, err := e.changes.FindChangeByID(as("alice"), c.ID); err != nil || got.State != andon.StateApproved {
			t.Errorf("after the refused start: %+v, %v; want approved", got, err)
		}
		// Nor can its preview tell: it fails, rather than allow or refuse.
		check, err := changes.CheckStart(as("alice"), c.ID)
		want = "the gate could not decide whether change " + c.ID + " may start: the policy failed: andon.gate: " + gateFile + ":5: reasons: is empty; a decision must give at least one reason"
		if check != nil || !errors.As(err, &fault) || fault.Message != want {
			t.Errorf("CheckStart = %+v, %v; want a fault saying %q", check, err, want)
		}
		if err := e.db.Ready(ctx); err != nil {
			t.Errorf("after the policy failed, the store is not ready: %v", err)
		}
	})
}

// The refusal of a gate whose policy fails is recorded as the decision
// would have been: as a dry run when the request was one, and naming the
// change the request was about, so that the change's history in the audit
// log holds it. The caller gets a fault, which the API answers with a 503.
func TestPolicyFailureRefusalNamesChangeAndDryRun(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.db.Logger = slog.New(slog.DiscardHandler)
		e.MustStage(t, imageStaged)
		c := approvedInWindow(t, e)
		broken := mustPolicy(t, t.TempDir(), map[string]string{"gate.rego": "package andon.gate\n\nallow := true\n\nreasons := []\n"})
		gate := sqlstore.NewGateService(e.db, e.changes, e.catalog, broken, e.cal, slog.New(slog.DiscardHandler))

		for _, tt := range []struct {
			name   string
			at     time.Time
			dryRun bool
		}{
			{"now", time.Time{}, false},
			{"another day", e.now.Add(24 * time.Hour), true},
		} {
			res, err := gate.Decide(as("alice"), andon.GateRequest{Environment: "prod-geelong", Image: imageStaged, At: tt.at})
			var fault *andon.Fault
			if !errors.As(err, &fault) || !strings.HasPrefix(fault.Message, "the gate could not decide: the policy failed: andon.gate: ") {
				t.Errorf("%s: error = %v; want a fault naming the policy's failure", tt.name, err)
			}
			if res == nil || res.Allow || res.DryRun != tt.dryRun || res.Change == nil || res.Change.ID != c.ID {
				t.Fatalf("%s: gate = %+v; want denied, dry run %v, about %s", tt.name, res, tt.dryRun, c.ID)
			}
			entries, err := e.audit.FindEntries(ctx, andon.AuditFilter{Change: c.ID, After: res.AuditIndex - 1, Limit: 1})
			if err != nil || len(entries) != 1 || entries[0].Index != res.AuditIndex {
				t.Fatalf("%s: the history of %s after entry %d: %v, %v; want the refusal, entry %d", tt.name, c.ID, res.AuditIndex-1, entries, err, res.AuditIndex)
			}
			var recorded struct {
				DryRun  bool
				Change  string
				Reasons []andon.Reason
			}
			if err := json.Unmarshal(entries[0].Data, &recorded); err != nil || recorded.DryRun != tt.dryRun || recorded.Change != c.ID || len(recorded.Reasons) != 1 || recorded.Reasons[0].Code != andon.ReasonInternal {
				t.Errorf("%s: audit entry %d records %s; want dryRun %v, change %s and CANNOT_DECIDE", tt.name, res.AuditIndex, entries[0].Data, tt.dryRun, c.ID)
			}
		}
	})
}
