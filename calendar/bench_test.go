package calendar_test

import (
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/calendar"
)

// benchCatalog has ten windows of the kinds a manufacturer keeps: weekly
// maintenance, month-end and quarter-end freezes, shift peaks, one-off
// freezes, an annual shutdown and the windows of an iCalendar file.
func benchCatalog(tb testing.TB) *andon.Catalog {
	paris := MustLoadLocation(tb, "Europe/Paris")
	prod := andon.Selector{Stages: []andon.Stage{andon.StageProduction}}
	return NewCatalog(tb,
		&andon.Window{Name: "sunday-maintenance", Type: andon.WindowMaintenance,
			Schedules: []andon.Schedule{{Start: "2024-01-07T02:00:00", RRule: "FREQ=WEEKLY;BYDAY=SU", Duration: 4 * time.Hour}}},
		&andon.Window{Name: "wednesday-maintenance", Type: andon.WindowMaintenance, Selector: prod,
			Schedules: []andon.Schedule{{Start: "2024-01-03T22:00:00", RRule: "FREQ=WEEKLY;BYDAY=WE", Duration: 2 * time.Hour, Timezone: "Europe/Paris"}}},
		&andon.Window{Name: "month-end-close", Type: andon.WindowFreeze, Selector: prod, Allow: []andon.ChangeType{andon.ChangeEmergency},
			Schedules: []andon.Schedule{{Start: "2024-01-30T00:00:00", RRule: "FREQ=MONTHLY;BYMONTHDAY=-2,-1", Duration: 48 * time.Hour}}},
		&andon.Window{Name: "quarter-end", Type: andon.WindowFreeze, Selector: andon.Selector{Processes: []string{"finance"}},
			Schedules: []andon.Schedule{{Start: "2024-03-25T00:00:00", RRule: "FREQ=MONTHLY;INTERVAL=3", Duration: 10 * 24 * time.Hour}}},
		&andon.Window{Name: "early-shift", Type: andon.WindowPeak,
			Schedules: []andon.Schedule{{Start: "2024-01-01T06:00:00", RRule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", Duration: 8 * time.Hour}}},
		&andon.Window{Name: "late-shift", Type: andon.WindowPeak,
			Schedules: []andon.Schedule{{Start: "2024-01-01T14:00:00", RRule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", Duration: 8 * time.Hour}}},
		&andon.Window{Name: "christmas", Type: andon.WindowFreeze,
			Once: &andon.Span{Start: time.Date(2026, 12, 18, 0, 0, 0, 0, paris), End: time.Date(2027, 1, 4, 0, 0, 0, 0, paris)}},
		&andon.Window{Name: "inventory", Type: andon.WindowFreeze, Selector: andon.Selector{Plants: []string{"lyon"}},
			Once: &andon.Span{Start: time.Date(2026, 6, 30, 18, 0, 0, 0, paris), End: time.Date(2026, 7, 2, 6, 0, 0, 0, paris)}},
		&andon.Window{Name: "summer-shutdown", Type: andon.WindowMaintenance,
			Schedules: []andon.Schedule{{Start: "2024-08-01T00:00:00", RRule: "FREQ=YEARLY", Duration: 14 * 24 * time.Hour}}},
		&andon.Window{Name: "lyon-2027", Type: andon.WindowMaintenance, Selector: andon.Selector{Plants: []string{"lyon"}},
			Schedules: MustParseICS(tb, "lyon-2027.ics")},
	)
}

// BenchmarkActive measures the question the gate asks on every decision:
// which windows apply now. Successive instants move through a week, as a
// stream of gate calls would.
func BenchmarkActive(b *testing.B) {
	benchActive(b, benchCatalog(b))
}

// benchActive asks Active of cat's prod-lyon at instants that move through
// a week, a minute at a time.
func benchActive(b *testing.B, cat *andon.Catalog) {
	c := MustNew(b, cat)
	env := cat.Environment("prod-lyon")
	base := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.Active(env, base.Add(time.Duration(i%10080)*time.Minute))
		i++
	}
}

// BenchmarkNextSlot measures the search for a two-hour slot over a year.
func BenchmarkNextSlot(b *testing.B) {
	cat := benchCatalog(b)
	c := MustNew(b, cat)
	env := cat.Environment("prod-lyon")
	after := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := c.NextSlot(env, after, 2*time.Hour, 365*24*time.Hour, "", false); !ok {
			b.Fatal("no slot")
		}
	}
}

// BenchmarkNextSlotNone measures the longest search: a slot longer than
// every maintenance window, looked for over a whole year.
func BenchmarkNextSlotNone(b *testing.B) {
	cat := benchCatalog(b)
	c := MustNew(b, cat)
	env := cat.Environment("prod-lyon")
	after := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := c.NextSlot(env, after, 15*24*time.Hour, 365*24*time.Hour, "", false); ok {
			b.Fatal("a slot")
		}
	}
}

// BenchmarkOccurrences measures a month of a plant's calendar, as the
// calendar view shows it.
func BenchmarkOccurrences(b *testing.B) {
	cat := benchCatalog(b)
	c := MustNew(b, cat)
	env := cat.Environment("prod-lyon")
	from := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		c.Occurrences(env, from, from.AddDate(0, 1, 0))
	}
}

// BenchmarkNew measures compiling the catalog, which the service does once
// per catalog load.
func BenchmarkNew(b *testing.B) {
	cat := benchCatalog(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := calendar.New(cat); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkActiveUnending measures Active for windows whose occurrences
// overlap or touch without end, which Active follows only within its
// bounds: each stays in the microseconds the gate can afford, however
// odd the rule the catalog accepted.
func BenchmarkActiveUnending(b *testing.B) {
	for _, tt := range []struct {
		name  string
		sched andon.Schedule
	}{
		{"daily-48h", andon.Schedule{Start: "2026-01-01T00:00:00", RRule: "FREQ=DAILY", Duration: 48 * time.Hour}},
		{"hourly-1h", andon.Schedule{Start: "2026-01-01T00:00:00", RRule: "FREQ=HOURLY", Duration: time.Hour}},
		{"hourly-30d", andon.Schedule{Start: "2026-01-01T00:00:00", RRule: "FREQ=HOURLY", Duration: 30 * 24 * time.Hour}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			benchActive(b, NewCatalog(b, &andon.Window{Name: "w", Type: andon.WindowFreeze, Schedules: []andon.Schedule{tt.sched}}))
		})
	}
}
