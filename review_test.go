package andon_test

import (
	"fmt"
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

// A month in a time zone runs from the local midnight of its 1st to that
// of the next month's 1st, an hour shorter or longer across a change of
// daylight saving time, in either hemisphere.
func TestParseMonthIn(t *testing.T) {
	for _, c := range []struct {
		month, zone  string
		since, until string // in UTC
		hours        int
	}{
		{"2026-11", "UTC", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", 30 * 24},
		// Paris leaves summer time on 25 October and enters it on 29 March.
		{"2026-10", "Europe/Paris", "2026-09-30T22:00:00Z", "2026-10-31T23:00:00Z", 31*24 + 1},
		{"2026-03", "Europe/Paris", "2026-02-28T23:00:00Z", "2026-03-31T22:00:00Z", 31*24 - 1},
		{"2026-11", "Europe/Paris", "2026-10-31T23:00:00Z", "2026-11-30T23:00:00Z", 30 * 24},
		// Melbourne leaves summer time on 5 April and enters it on 4 October.
		{"2026-04", "Australia/Melbourne", "2026-03-31T13:00:00Z", "2026-04-30T14:00:00Z", 30*24 + 1},
		{"2026-10", "Australia/Melbourne", "2026-09-30T14:00:00Z", "2026-10-31T13:00:00Z", 31*24 - 1},
		{"2026-11", "Australia/Melbourne", "2026-10-31T13:00:00Z", "2026-11-30T13:00:00Z", 30 * 24},
		// December runs into the next year.
		{"2026-12", "America/Chicago", "2026-12-01T06:00:00Z", "2027-01-01T06:00:00Z", 31 * 24},
	} {
		loc, err := time.LoadLocation(c.zone)
		if err != nil {
			t.Fatal(err)
		}
		since, until, err := andon.ParseMonthIn(c.month, loc)
		if err != nil {
			t.Errorf("ParseMonthIn(%s, %s): %v", c.month, c.zone, err)
			continue
		}
		got := [3]string{since.UTC().Format(time.RFC3339), until.UTC().Format(time.RFC3339), fmt.Sprint(until.Sub(since).Hours())}
		if want := [3]string{c.since, c.until, fmt.Sprint(c.hours)}; got != want || since.Location() != loc || since.Day() != 1 || since.Hour() != 0 || until.Hour() != 0 {
			t.Errorf("ParseMonthIn(%s, %s) = %s to %s (%s h), want %s to %s (%s h), local midnights", c.month, c.zone, got[0], got[1], got[2], want[0], want[1], want[2])
		}
	}
}

// A review's month is in the time zone given, else in the plant's, or the
// environment's first plant's, else in UTC; a zone that is not an IANA one
// or that depends on the machine is refused naming timezone.
func TestReviewFilterLocation(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	melbourne, _ := time.LoadLocation("Australia/Melbourne")
	cat := &andon.Catalog{
		Plants: []*andon.Plant{{Name: "lyon", Location: paris}, {Name: "geelong", Location: melbourne}},
		Environments: []*andon.Environment{{Name: "prod-geelong", Plants: []string{"geelong"}, Processes: []string{"finance"}},
			{Name: "prod-subsidiaries", Plants: []string{"lyon", "geelong"}, Processes: []string{"finance"}}},
	}
	for _, c := range []struct {
		filter andon.ReviewFilter
		want   string
		err    string
	}{
		{andon.ReviewFilter{}, "UTC", ""},
		{andon.ReviewFilter{Process: "finance"}, "UTC", ""},
		{andon.ReviewFilter{Plant: "geelong"}, "Australia/Melbourne", ""},
		{andon.ReviewFilter{Environment: "prod-geelong"}, "Australia/Melbourne", ""},
		{andon.ReviewFilter{Environment: "prod-subsidiaries"}, "Europe/Paris", ""},
		{andon.ReviewFilter{Plant: "paris"}, "UTC", ""},
		{andon.ReviewFilter{Plant: "geelong", Timezone: "UTC"}, "UTC", ""},
		{andon.ReviewFilter{Process: "finance", Timezone: "America/Chicago"}, "America/Chicago", ""},
		{andon.ReviewFilter{Timezone: "Europe/Lyon"}, "", `timezone: "Europe/Lyon" is not a known IANA time zone such as Europe/Paris`},
		{andon.ReviewFilter{Timezone: "Local"}, "", `timezone: "Local" depends on the machine; name an IANA time zone such as Europe/Paris`},
		{andon.ReviewFilter{Timezone: "posix/Europe/Paris"}, "", `timezone: "posix/Europe/Paris" depends on the machine; name an IANA time zone such as Europe/Paris`},
	} {
		loc, err := c.filter.Location(cat)
		if c.err != "" {
			if andon.ErrorCode(err) != andon.EINVALID || andon.ErrorMessage(err) != c.err {
				t.Errorf("Location(%+v) = %v, want invalid: %s", c.filter, err, c.err)
			}
			continue
		}
		if err != nil || loc.String() != c.want {
			t.Errorf("Location(%+v) = %v, %v; want %s", c.filter, loc, err, c.want)
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
