package sqlstore_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/catalog"
	"github.com/andon-governance/andon/examples"
	"github.com/andon-governance/andon/sqlstore"
)

// A change started by hand is held to the rules of its first deployment:
// the gate policy decides, and a refusal names every reason, leaves the
// change approved and writes nothing.
func TestStartAsksTheGate(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.MustStage(t, imageStaged)
		// 26 November, 09:00 UTC: 20:00 in Geelong, whose month-end close
		// freezes prod-geelong from 29 November (13:00 UTC on the 28th)
		// to 1 December, and lets only emergency changes through.
		approve := func(req andon.ChangeRequest, approvers ...string) *andon.Change {
			t.Helper()
			req.Environment = "prod-geelong"
			c, err := e.changes.CreateChange(as("alice"), &req)
			if err != nil {
				t.Fatal(err)
			}
			for _, approver := range approvers {
				if c, err = e.changes.Decide(as(approver), c.ID, andon.Approve, ""); err != nil {
					t.Fatalf("approve %s as %s: %v", req.Title, approver, err)
				}
			}
			if c.State != andon.StateApproved {
				t.Fatalf("%s is %s; want approved", req.Title, c.State)
			}
			return c
		}
		refused := func(c *andon.Change, want ...string) {
			t.Helper()
			before, err := e.audit.Checkpoint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.changes.Transition(as("alice"), c.ID, andon.StateImplementing, "")
			if andon.ErrorCode(err) != andon.ECONFLICT {
				t.Fatalf("start %s: %v; want a conflict", c.Title, err)
			}
			for _, w := range want {
				if !strings.Contains(andon.ErrorMessage(err), w) {
					t.Errorf("start %s: %q; want it to say %q", c.Title, andon.ErrorMessage(err), w)
				}
			}
			after, err := e.audit.Checkpoint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.changes.FindChangeByID(as("alice"), c.ID)
			if err != nil || got.State != andon.StateApproved || after.Size != before.Size {
				t.Errorf("after the refusal: %+v, %v, %d entries before and %d after; want the change approved and no entry", got, err, before.Size, after.Size)
			}
		}
		started := func(c *andon.Change, code string) *andon.Change {
			t.Helper()
			got, err := e.changes.Transition(as("alice"), c.ID, andon.StateImplementing, "by hand")
			if err != nil || got.State != andon.StateImplementing {
				t.Fatalf("start %s = %+v, %v; want implementing", c.Title, got, err)
			}
			entries, err := e.audit.FindEntries(ctx, andon.AuditFilter{Change: c.ID, Type: andon.EventChangeTransition, After: -1})
			if err != nil || len(entries) == 0 {
				t.Fatalf("transition entries of %s: %d, %v", c.ID, len(entries), err)
			}
			var data struct {
				Gate []andon.Reason `json:"gate"`
			}
			if err := json.Unmarshal(entries[len(entries)-1].Data, &data); err != nil || len(data.Gate) == 0 || data.Gate[0].Code != code {
				t.Errorf("the start's record %s: %v; want the gate's %s", entries[len(entries)-1].Data, err, code)
			}
			return got
		}

		windowed := approve(andon.ChangeRequest{Type: andon.ChangeNormal, Title: "Routing", Artifacts: []string{imageStaged},
			Window: &andon.Span{Start: e.now.Add(2 * time.Hour), End: e.now.Add(4 * time.Hour)}}, "bob")
		refused(windowed, "is outside the window of change "+windowed.ID, "(OUTSIDE_CHANGE_WINDOW)")

		unpromoted := approve(andon.ChangeRequest{Type: andon.ChangeNormal, Title: "Release", Artifacts: []string{imageStaged, imageNew}}, "bob")
		refused(unpromoted, "image "+imageNew+" has no completed change in staging-geelong", "(NOT_PROMOTED)")

		high := approve(andon.ChangeRequest{Type: andon.ChangeNormal, Title: "MRP upgrade", Artifacts: []string{imageStaged},
			Facts: andon.Facts{Modules: []string{"mrp"}}}, "bob", "carol")
		if high.Risk.Tier != andon.LevelHigh {
			t.Fatalf("MRP upgrade: tier %s; want high", high.Risk.Tier)
		}

		frozen := approve(andon.ChangeRequest{Type: andon.ChangeNormal, Title: "Labels", Artifacts: []string{imageStaged},
			Window: &andon.Span{Start: e.now.Add(76 * time.Hour), End: e.now.Add(78 * time.Hour)}}, "bob")
		stale := approve(andon.ChangeRequest{Type: andon.ChangeEmergency, Title: "Hotfix", Artifacts: []string{imageStaged}}, "erin")

		e.now = e.now.Add(3 * time.Hour)
		started(windowed, "ALLOWED")

		e.now = e.now.Add(74 * time.Hour) // 29 November, 14:00 UTC
		refused(frozen, "frozen by month-end-close until", "(FROZEN)")
		// A break-glass approval of 77 hours ago no longer opens the
		// freeze; one given now does.
		refused(stale, "and never deployed", "(EMERGENCY_EXPIRED)")
		emergency := approve(andon.ChangeRequest{Type: andon.ChangeEmergency, Title: "Hotfix, again", Artifacts: []string{imageStaged}}, "erin")
		if got := started(emergency, "ALLOWED"); got.ReviewDue == nil {
			t.Errorf("emergency started by hand: no review due")
		}

		// 29 November was a Sunday in Geelong; 30 November, 12:00 UTC, is
		// Monday night there, outside every maintenance window.
		e.now = e.now.Add(22 * time.Hour)
		refused(high, "has no window of its own, so it must run inside a maintenance window", "(NO_MAINTENANCE_WINDOW)")
	})
}

// A change whose environment left the catalog cannot start, and says so.
func TestStartOfAChangeWhoseEnvironmentLeft(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		c := approvedInWindow(t, e)
		cat, err := catalog.LoadFS(examples.Catalog, "catalog")
		if err != nil {
			t.Fatal(err)
		}
		for i, env := range cat.Environments {
			if env.Name == c.Environment {
				cat.Environments = append(cat.Environments[:i], cat.Environments[i+1:]...)
				break
			}
		}
		e.catalog.Swap(cat)
		_, err = e.changes.Transition(as("alice"), c.ID, andon.StateImplementing, "")
		want := "change " + c.ID + " cannot start: its environment prod-geelong is no longer in the catalog"
		if andon.ErrorCode(err) != andon.ECONFLICT || !strings.HasPrefix(andon.ErrorMessage(err), want) {
			t.Errorf("start: %v; want a conflict: %s", err, want)
		}
	})
}

// An approval that could never let a change go ahead is refused: its
// window has ended, or its environment left the catalog. A rejection
// still ends it.
func TestApprovalInVainIsRefused(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		past, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "prod-geelong", Type: andon.ChangeNormal, Title: "Routing",
			Window: &andon.Span{Start: e.now.Add(time.Hour), End: e.now.Add(2 * time.Hour)}})
		if err != nil {
			t.Fatal(err)
		}
		gone, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "prod-lyon", Type: andon.ChangeNormal, Title: "Labels"})
		if err != nil {
			t.Fatal(err)
		}
		e.now = e.now.Add(2 * time.Hour)
		cat, err := catalog.LoadFS(examples.Catalog, "catalog")
		if err != nil {
			t.Fatal(err)
		}
		cat.Environments = slices.DeleteFunc(cat.Environments, func(env *andon.Environment) bool { return env.Name == "prod-lyon" })
		e.catalog.Swap(cat)
		for _, tt := range []struct {
			c    *andon.Change
			want string
		}{
			{past, "change " + past.ID + " cannot be approved: its window ended at " + past.Window.End.Format(time.RFC3339) + "; cancel it, and open a new change with a window to come"},
			{gone, "change " + gone.ID + " cannot be approved: its environment prod-lyon is no longer in the catalog (revision " + cat.Revision + "); cancel it"},
		} {
			_, err := e.changes.Decide(as("bob"), tt.c.ID, andon.Approve, "")
			if andon.ErrorCode(err) != andon.ECONFLICT || andon.ErrorMessage(err) != tt.want {
				t.Errorf("approve %s: %v; want a conflict: %s", tt.c.Title, err, tt.want)
			}
			if got, err := e.changes.Decide(as("bob"), tt.c.ID, andon.Reject, "too late"); err != nil || got.State != andon.StateRejected {
				t.Errorf("reject %s = %+v, %v; want rejected", tt.c.Title, got, err)
			}
		}
	})
}

// A pending or approved change whose window has ended is a finding until
// it is cancelled: nothing lets it go ahead any more.
func TestWindowEndedIsAFinding(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		open := func(title string, window *andon.Span) *andon.Change {
			t.Helper()
			c, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "prod-geelong", Type: andon.ChangeNormal, Title: title, Window: window})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		start := e.now
		approved := open("Routing", &andon.Span{Start: start.Add(time.Hour), End: start.Add(2 * time.Hour)})
		if _, err := e.changes.Decide(as("bob"), approved.ID, andon.Approve, ""); err != nil {
			t.Fatal(err)
		}
		pending := open("Labels", &andon.Span{Start: start.Add(time.Hour), End: start.Add(3 * time.Hour)})
		open("Later", &andon.Span{Start: start.Add(time.Hour), End: start.Add(48 * time.Hour)})
		open("No window", nil)

		codes := func(findings []andon.Finding) (got []string) {
			for _, f := range findings {
				got = append(got, f.Code+" "+f.ChangeID)
			}
			return got
		}
		if f, err := e.changes.Findings(ctx, andon.FindingWindowEnded); err != nil || len(f) != 0 {
			t.Fatalf("findings before the windows end: %v, %v; want none", codes(f), err)
		}
		e.now = start.Add(5 * time.Hour)
		f, err := e.changes.Findings(ctx, andon.FindingWindowEnded)
		want := []string{"WINDOW_ENDED " + pending.ID, "WINDOW_ENDED " + approved.ID}
		if err != nil || !slices.Equal(codes(f), want) {
			t.Fatalf("findings once two windows ended: %v, %v; want %v", codes(f), err, want)
		}
		wantMsg := "approved change " + approved.ID + " by alice had its window end at " + start.Add(2*time.Hour).UTC().Format(time.RFC3339) + " (3h ago): the gate refuses it now, and so would a start by hand; cancel it, and open a new change with a window to come if it is still needed"
		if f[1].Message != wantMsg || !f[1].Due.Equal(start.Add(2*time.Hour)) {
			t.Errorf("finding %+v; want due %s and the message %q", f[1], start.Add(2*time.Hour), wantMsg)
		}
		if all, err := e.changes.Findings(ctx); err != nil || !slices.Equal(codes(all), want) {
			t.Errorf("every finding: %v, %v; want %v", codes(all), err, want)
		}
		if _, err := e.changes.Transition(as("alice"), pending.ID, andon.StateCancelled, "too late"); err != nil {
			t.Fatal(err)
		}
		if f, err := e.changes.Findings(ctx, andon.FindingWindowEnded); err != nil || !slices.Equal(codes(f), want[1:]) {
			t.Errorf("findings once one is cancelled: %v, %v; want %v", codes(f), err, want[1:])
		}
	})
}

// An approved emergency change without a window of its own, never
// deployed, is a finding once its approval is as old as the policy's
// emergency validity (48h in the default policy), until it is cancelled:
// the gate refuses it (EMERGENCY_EXPIRED). A policy that defines no
// validity has no such finding.
func TestEmergencyExpiredIsAFinding(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		open := func(title string, window *andon.Span, approve bool) *andon.Change {
			t.Helper()
			c, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{Environment: "prod-geelong", Type: andon.ChangeEmergency, Title: title, Window: window})
			if err != nil {
				t.Fatal(err)
			}
			if approve {
				if c, err = e.changes.Decide(as("erin"), c.ID, andon.Approve, "outage"); err != nil {
					t.Fatal(err)
				}
			}
			return c
		}
		codes := func(findings []andon.Finding) (got []string) {
			for _, f := range findings {
				got = append(got, f.Code+" "+f.ChangeID)
			}
			return got
		}
		start := e.now
		expired := open("Hotfix labels", nil, true)
		windowed := open("Hotfix routing", &andon.Span{Start: start.Add(time.Hour), End: start.Add(2 * time.Hour)}, true)
		deployed := open("Hotfix MRP", nil, true)
		if _, err := e.changes.Transition(as("alice"), deployed.ID, andon.StateImplementing, "at once"); err != nil {
			t.Fatal(err)
		}
		open("Hotfix stock", nil, false)
		e.now = start.Add(time.Hour)
		fresh := open("Hotfix invoices", nil, true)

		e.now = start.Add(48*time.Hour - time.Second)
		if f, err := e.changes.Findings(ctx, andon.FindingEmergencyExpired); err != nil || len(f) != 0 {
			t.Fatalf("findings a second before %s expires: %v, %v; want none", expired.ID, codes(f), err)
		}
		e.now = start.Add(48*time.Hour + 30*time.Minute)
		f, err := e.changes.Findings(ctx, andon.FindingEmergencyExpired)
		want := []string{"EMERGENCY_EXPIRED " + expired.ID}
		if err != nil || !slices.Equal(codes(f), want) {
			t.Fatalf("findings 48h30m after: %v, %v; want %v", codes(f), err, want)
		}
		until := start.Add(48 * time.Hour).UTC()
		wantMsg := "approved emergency change " + expired.ID + " by alice was approved at " + start.UTC().Format(time.RFC3339) + " and never deployed; without a window of its own it could go ahead only until " + until.Format(time.RFC3339) + " (30m ago), 2d after its approval: the gate refuses it now, and so would a start by hand; cancel it, and open a new change if it is still needed"
		if f[0].Message != wantMsg || !f[0].Due.Equal(until) {
			t.Errorf("finding %+v; want due %s and the message %q", f[0], until, wantMsg)
		}
		wantAll := []string{"WINDOW_ENDED " + windowed.ID, "EMERGENCY_EXPIRED " + expired.ID, "EMERGENCY_EXPIRED " + fresh.ID}
		e.now = start.Add(49*time.Hour - time.Second)
		if all, err := e.changes.Findings(ctx, andon.FindingWindowEnded, andon.FindingEmergencyExpired); err != nil || !slices.Equal(codes(all), wantAll[:2]) {
			t.Errorf("findings a second before %s expires: %v, %v; want %v", fresh.ID, codes(all), err, wantAll[:2])
		}
		// The gate refuses what the finding names, for the reason it gives.
		if _, err := e.changes.Transition(as("alice"), expired.ID, andon.StateImplementing, "late"); err == nil || !strings.Contains(err.Error(), "EMERGENCY_EXPIRED") {
			t.Errorf("start of %s once it is a finding: %v; want EMERGENCY_EXPIRED", expired.ID, err)
		}
		noValidity := sqlstore.NewChangeService(e.db, e.catalog, withoutValidity{e.policy}, e.cal)
		if f, err := noValidity.Findings(ctx, andon.FindingWindowEnded, andon.FindingEmergencyExpired); err != nil || !slices.Equal(codes(f), wantAll[:1]) {
			t.Errorf("findings under a policy without emergency_validity: %v, %v; want %v", codes(f), err, wantAll[:1])
		}
		e.now = start.Add(49 * time.Hour)
		if _, err := e.changes.Transition(as("alice"), expired.ID, andon.StateCancelled, "too late"); err != nil {
			t.Fatal(err)
		}
		if f, err := e.changes.Findings(ctx, andon.FindingEmergencyExpired); err != nil || !slices.Equal(codes(f), wantAll[2:]) {
			t.Errorf("findings once %s is cancelled, as %s expires: %v, %v; want %v", expired.ID, fresh.ID, codes(f), err, wantAll[2:])
		}
	})
}

// withoutValidity is a policy that defines no emergency validity.
type withoutValidity struct{ andon.Policy }

func (withoutValidity) EmergencyValidity() time.Duration { return 0 }

// CheckStart previews a start by hand: it gives the gate's answer to the
// input a start gives it, now, and writes nothing, neither the decision
// nor an audit entry nor the change's state. What the start refuses
// before it asks the gate is refused the same way.
func TestCheckStartPreviewsTheGate(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.MustStage(t, imageStaged)
		open := func(title string, req andon.ChangeRequest, approvers ...string) *andon.Change {
			t.Helper()
			req.Environment, req.Type, req.Title = "prod-geelong", andon.ChangeNormal, title
			c, err := e.changes.CreateChange(as("alice"), &req)
			if err != nil {
				t.Fatal(err)
			}
			for _, approver := range approvers {
				if c, err = e.changes.Decide(as(approver), c.ID, andon.Approve, ""); err != nil {
					t.Fatal(err)
				}
			}
			return c
		}
		size := func() int64 {
			t.Helper()
			cp, err := e.audit.Checkpoint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return cp.Size
		}
		check := func(user string, c *andon.Change) *andon.StartCheck {
			t.Helper()
			before := size()
			got, err := e.changes.CheckStart(as(user), c.ID)
			if err != nil {
				t.Fatalf("CheckStart(%s) as %s: %v", c.Title, user, err)
			}
			if after := size(); after != before {
				t.Errorf("CheckStart(%s): the audit log grew from %d entries to %d; want nothing written", c.Title, before, after)
			}
			if now, err := e.changes.FindChangeByID(ctx, c.ID); err != nil || now.State != c.State || now.UpdatedAt != c.UpdatedAt {
				t.Errorf("CheckStart(%s): the change is now %+v, %v; want it untouched, %s", c.Title, now, err, c.State)
			}
			if want := e.now.UTC().Truncate(time.Second); !got.At.Equal(want) {
				t.Errorf("CheckStart(%s): at %s; want now, %s", c.Title, got.At, want)
			}
			return got
		}
		codes := func(reasons []andon.Reason) (got []string) {
			for _, r := range reasons {
				got = append(got, r.Code)
			}
			return got
		}

		windowed := open("Routing", andon.ChangeRequest{Artifacts: []string{imageStaged},
			Window: &andon.Span{Start: e.now.Add(2 * time.Hour), End: e.now.Add(4 * time.Hour)}}, "bob")
		unpromoted := open("Release", andon.ChangeRequest{Artifacts: []string{imageStaged, imageNew}}, "bob")
		pending := open("Labels", andon.ChangeRequest{Artifacts: []string{imageStaged}})

		got := check("alice", windowed)
		if got.Allow || !slices.Equal(codes(got.Reasons), []string{"OUTSIDE_CHANGE_WINDOW"}) || !strings.Contains(got.Reasons[0].Message, "is outside the window of change "+windowed.ID) {
			t.Errorf("before its window: %+v; want refused, outside the change's window", got)
		}
		// The promotion of its images is read as the start reads it.
		if got := check("bob", unpromoted); got.Allow || !slices.Equal(codes(got.Reasons), []string{"NOT_PROMOTED"}) || !strings.Contains(got.Reasons[0].Message, imageNew) {
			t.Errorf("an image not promoted: %+v; want refused, naming %s", got, imageNew)
		}
		// The start agrees with the preview.
		_, err := e.changes.Transition(as("alice"), windowed.ID, andon.StateImplementing, "")
		if andon.ErrorCode(err) != andon.ECONFLICT || !strings.Contains(andon.ErrorMessage(err), "(OUTSIDE_CHANGE_WINDOW)") {
			t.Errorf("start before its window: %v; want the refusal the preview gave", err)
		}

		e.now = e.now.Add(3 * time.Hour)
		if got := check("alice", windowed); !got.Allow || !slices.Equal(codes(got.Reasons), []string{"ALLOWED"}) {
			t.Errorf("inside its window: %+v; want allowed", got)
		}
		if c, err := e.changes.Transition(as("alice"), windowed.ID, andon.StateImplementing, ""); err != nil || c.State != andon.StateImplementing {
			t.Errorf("start inside its window = %+v, %v; want implementing, as the preview said", c, err)
		}

		// What the start refuses before it asks the gate.
		for _, tt := range []struct {
			name, user, id string
			code           string
			want           string
		}{
			{"pending", "alice", pending.ID, andon.ECONFLICT, "change " + pending.ID + " is pending and cannot become implementing; a pending change needs its approvals before it can start, or it can be cancelled"},
			{"implementing", "alice", windowed.ID, andon.ECONFLICT, "change " + windowed.ID + " is already implementing"},
			{"unknown", "alice", "chg-999", andon.ENOTFOUND, "no change CHG-999"},
			{"not theirs to move", "frank", unpromoted.ID, andon.EFORBIDDEN, "frank may not move change " + unpromoted.ID + ": only its requester, a change-manager or a platform-admin may"},
		} {
			before := size()
			got, err := e.changes.CheckStart(as(tt.user), tt.id)
			if got != nil || andon.ErrorCode(err) != tt.code || andon.ErrorMessage(err) != tt.want {
				t.Errorf("%s: CheckStart = %+v, %v; want %s: %s", tt.name, got, err, tt.code, tt.want)
			}
			if after := size(); after != before {
				t.Errorf("%s: the audit log grew from %d entries to %d", tt.name, before, after)
			}
		}

		// A change whose environment left the catalog is refused with a
		// reason, as the gate refuses an unknown environment.
		cat, err := catalog.LoadFS(examples.Catalog, "catalog")
		if err != nil {
			t.Fatal(err)
		}
		cat.Environments = slices.DeleteFunc(cat.Environments, func(env *andon.Environment) bool { return env.Name == "prod-geelong" })
		e.catalog.Swap(cat)
		got = check("alice", unpromoted)
		want := "the environment prod-geelong of change " + unpromoted.ID + " is no longer in the catalog (revision " + cat.Revision + ")"
		if got.Allow || len(got.Reasons) != 1 || got.Reasons[0] != (andon.Reason{Code: andon.ReasonUnknownEnvironment, Message: want}) {
			t.Errorf("environment gone: %+v; want refused: %s", got, want)
		}
	})
}
