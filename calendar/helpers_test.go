package calendar_test

import (
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/calendar"
)

// MustLoadLocation loads an IANA zone or fails the test.
func MustLoadLocation(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

// MustTime parses an RFC 3339 time or fails the test.
func MustTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// MustNew compiles a catalog or fails the test.
func MustNew(tb testing.TB, cat *andon.Catalog) *calendar.Calendar {
	tb.Helper()
	c, err := calendar.New(cat)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return c
}

// NewCatalog returns a catalog with a plant in Lyon (Europe/Paris), one in
// Melbourne (Australia/Melbourne), a production environment at each, a
// development environment at Lyon, one without a plant, and the windows
// given.
func NewCatalog(tb testing.TB, windows ...*andon.Window) *andon.Catalog {
	tb.Helper()
	return &andon.Catalog{
		Plants: []*andon.Plant{
			{Name: "lyon", Timezone: "Europe/Paris", Location: MustLoadLocation(tb, "Europe/Paris")},
			{Name: "melbourne", Timezone: "Australia/Melbourne", Location: MustLoadLocation(tb, "Australia/Melbourne")},
		},
		Environments: []*andon.Environment{
			{Name: "prod-lyon", Stage: andon.StageProduction, Plants: []string{"lyon"}, Processes: []string{"production", "finance"}},
			{Name: "prod-melbourne", Stage: andon.StageProduction, Plants: []string{"melbourne"}, Processes: []string{"production"}},
			{Name: "dev-lyon", Stage: andon.StageDevelopment, Plants: []string{"lyon"}},
			{Name: "shared", Stage: andon.StageStaging},
		},
		Windows: windows,
	}
}

// Spans formats occurrences as "window start/end", each time in the zone
// the calendar returned it in, so that a diff shows local readings and
// offsets.
func Spans(occs []andon.Occurrence) []string {
	out := make([]string, len(occs))
	for i, o := range occs {
		out[i] = o.Window + " " + o.Start.Format(time.RFC3339) + "/" + o.End.Format(time.RFC3339)
	}
	return out
}
