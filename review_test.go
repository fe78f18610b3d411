package andon_test

import (
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/google/go-cmp/cmp"
)

// A month is a calendar month in UTC, given as YYYY-MM; anything else is
// refused naming the field.
func TestParseMonth(t *testing.T) {
	for _, c := range []struct {
		month        string
		since, until time.Time
		err          string
	}{
		{"2026-11", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), ""},
		{"2026-12", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), ""},
		{"2028-02", time.Date(2028, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2028, 3, 1, 0, 0, 0, 0, time.UTC), ""},
		{"", time.Time{}, time.Time{}, `month: "" is not a month; want YYYY-MM, such as 2026-11`},
		{"2026-13", time.Time{}, time.Time{}, `month: "2026-13" is not a month; want YYYY-MM, such as 2026-11`},
		{"2026-1", time.Time{}, time.Time{}, `month: "2026-1" is not a month; want YYYY-MM, such as 2026-11`},
		{"2026-11-01", time.Time{}, time.Time{}, `month: "2026-11-01" is not a month; want YYYY-MM, such as 2026-11`},
	} {
		since, until, err := andon.ParseMonth(c.month)
		if c.err != "" {
			if andon.ErrorCode(err) != andon.EINVALID || andon.ErrorMessage(err) != c.err {
				t.Errorf("ParseMonth(%q) = %v, want invalid: %s", c.month, err, c.err)
			}
			continue
		}
		if err != nil || !since.Equal(c.since) || !until.Equal(c.until) || since.Location() != time.UTC {
			t.Errorf("ParseMonth(%q) = %s, %s, %v; want %s, %s", c.month, since, until, err, c.since, c.until)
		}
	}
}

// An emergency change's review is given, overdue once its due time has
// come, owed before, and not owed when it was never deployed.
func TestNewReviewEmergency(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	due := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	deployed := now.Add(-50 * time.Hour)
	approvals := []andon.Approval{{Approver: "erin", Role: "emergency-approver", Verdict: andon.Approve}}
	for _, c := range []struct {
		name   string
		change andon.Change
		want   string
		by     string
	}{
		{"given", andon.Change{ReviewDue: due(-2 * time.Hour), Review: &andon.Approval{Approver: "bob", At: now}}, andon.ReviewGiven, "bob"},
		{"overdue", andon.Change{ReviewDue: due(-2 * time.Hour)}, andon.ReviewOverdue, ""},
		{"due now", andon.Change{ReviewDue: due(0)}, andon.ReviewOverdue, ""},
		{"owed", andon.Change{ReviewDue: due(time.Hour)}, andon.ReviewOwed, ""},
		{"never deployed", andon.Change{}, andon.ReviewNotOwed, ""},
	} {
		c.change.ID, c.change.Approvals = "CHG-5", approvals
		e := andon.NewReviewEmergency(&c.change, &deployed, now)
		if e.Review != c.want || e.ReviewedBy != c.by || !cmp.Equal(e.Approvers, []string{"erin"}) {
			t.Errorf("%s: review %q by %q, approvers %v; want %q by %q, erin", c.name, e.Review, e.ReviewedBy, e.Approvers, c.want, c.by)
		}
	}
}

// A denial counts under each of its reason codes once, and the codes are
// listed the most frequent first, then by code.
func TestReviewGateDeny(t *testing.T) {
	var g andon.ReviewGate
	g.Deny([]andon.Reason{{Code: "NO_APPROVED_CHANGE"}, {Code: "NOT_PROMOTED"}, {Code: "NOT_PROMOTED"}})
	g.Deny([]andon.Reason{{Code: "FROZEN"}})
	g.Deny([]andon.Reason{{Code: "FROZEN"}, {Code: "NOT_PROMOTED"}})
	g.SortReasons()
	want := andon.ReviewGate{Decisions: 3, Denied: 3, DeniedBy: []andon.ReasonCount{{Code: "FROZEN", Count: 2}, {Code: "NOT_PROMOTED", Count: 2}, {Code: "NO_APPROVED_CHANGE", Count: 1}}}
	if diff := cmp.Diff(want, g); diff != "" {
		t.Errorf("gate (-want +got):\n%s", diff)
	}
}
