package sqlstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

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
		want = "the gate could not decide whether change " + c.ID + " may start: the policy failed: andon.gate (in " + gateFile + "): reasons: is empty; a decision must give at least one reason"
		if check != nil || !errors.As(err, &fault) || fault.Message != want {
			t.Errorf("CheckStart = %+v, %v; want a fault saying %q", check, err, want)
		}
		if err := e.db.Ready(ctx); err != nil {
			t.Errorf("after the policy failed, the store is not ready: %v", err)
		}
	})
}
