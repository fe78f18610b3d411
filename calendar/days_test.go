package calendar_test

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/catalog"
	"github.com/andon-governance/andon/examples"
)

// daysWindows are windows added to the example catalog: the same daily
// freeze from midnight written three ways, in days and in hours in the
// catalog, and as an iCalendar event of DURATION:P1D, and a weekly
// freeze of two days. None has a time zone, so each plant reads it in
// its own.
const daysWindows = `apiVersion: andon/v1
kind: Window
metadata: {name: day}
spec:
  type: freeze
  schedule: {start: "2026-01-01T00:00:00", rrule: FREQ=DAILY, duration: 1d}
---
apiVersion: andon/v1
kind: Window
metadata: {name: hours}
spec:
  type: freeze
  schedule: {start: "2026-01-01T00:00:00", rrule: FREQ=DAILY, duration: 24h}
---
apiVersion: andon/v1
kind: Window
metadata: {name: ics}
spec:
  type: freeze
  ics: calendars/day.ics
---
apiVersion: andon/v1
kind: Window
metadata: {name: weekend}
spec:
  type: freeze
  schedule: {start: "2026-01-03T00:00:00", rrule: FREQ=WEEKLY;BYDAY=SA, duration: 2d}
`

const dayICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:day\r\nDTSTART:20260101T000000\r\nRRULE:FREQ=DAILY\r\nDURATION:P1D\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

// daysCatalog loads the example catalog with daysWindows, through the
// loader, as a server would.
func daysCatalog(tb testing.TB) *andon.Catalog {
	tb.Helper()
	fsys := fstest.MapFS{
		"catalog/days.yaml":         {Data: []byte(daysWindows)},
		"catalog/calendars/day.ics": {Data: []byte(dayICS)},
	}
	err := fs.WalkDir(examples.Catalog, "catalog", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(examples.Catalog, path)
		fsys[path] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	cat, err := catalog.LoadFS(fsys, "catalog")
	if err != nil {
		tb.Fatal(err)
	}
	return cat
}

// TestCatalogDaysAreCalendarDays checks that a catalog's duration in days
// counts days on the wall clock, as an iCalendar DURATION of days does: a
// day runs from midnight to midnight, 23 hours on the night clocks spring
// forward and 25 on the night they fall back, in both hemispheres, while a
// duration in hours stays elapsed time.
func TestCatalogDaysAreCalendarDays(t *testing.T) {
	cat := daysCatalog(t)
	c := MustNew(t, cat)
	tests := []struct {
		name     string
		env      string
		from, to string // the day asked about, noon to noon
		window   string
		want     []string
	}{{
		name: "1d in Paris, spring forward", env: "prod-lyon", window: "day",
		from: "2026-03-29T12:00:00+02:00", to: "2026-03-29T12:00:01+02:00",
		want: []string{"day 2026-03-29T00:00:00+01:00/2026-03-30T00:00:00+02:00"},
	}, {
		name: "24h in Paris, spring forward", env: "prod-lyon", window: "hours",
		from: "2026-03-29T12:00:00+02:00", to: "2026-03-29T12:00:01+02:00",
		want: []string{"hours 2026-03-29T00:00:00+01:00/2026-03-30T01:00:00+02:00"},
	}, {
		name: "1d in Paris, fall back", env: "prod-lyon", window: "day",
		from: "2026-10-25T12:00:00+01:00", to: "2026-10-25T12:00:01+01:00",
		want: []string{"day 2026-10-25T00:00:00+02:00/2026-10-26T00:00:00+01:00"},
	}, {
		name: "24h in Paris, fall back", env: "prod-lyon", window: "hours",
		from: "2026-10-25T12:00:00+01:00", to: "2026-10-25T12:00:01+01:00",
		want: []string{"hours 2026-10-25T00:00:00+02:00/2026-10-25T23:00:00+01:00"},
	}, {
		name: "1d in Melbourne, fall back", env: "prod-geelong", window: "day",
		from: "2026-04-05T12:00:00+10:00", to: "2026-04-05T12:00:01+10:00",
		want: []string{"day 2026-04-05T00:00:00+11:00/2026-04-06T00:00:00+10:00"},
	}, {
		name: "24h in Melbourne, fall back", env: "prod-geelong", window: "hours",
		from: "2026-04-05T12:00:00+10:00", to: "2026-04-05T12:00:01+10:00",
		want: []string{"hours 2026-04-05T00:00:00+11:00/2026-04-05T23:00:00+10:00"},
	}, {
		name: "1d in Melbourne, spring forward", env: "prod-geelong", window: "day",
		from: "2026-10-04T12:00:00+11:00", to: "2026-10-04T12:00:01+11:00",
		want: []string{"day 2026-10-04T00:00:00+10:00/2026-10-05T00:00:00+11:00"},
	}, {
		name: "24h in Melbourne, spring forward", env: "prod-geelong", window: "hours",
		from: "2026-10-04T12:00:00+11:00", to: "2026-10-04T12:00:01+11:00",
		want: []string{"hours 2026-10-04T00:00:00+10:00/2026-10-05T01:00:00+11:00"},
	}, {
		name: "1d on a day clocks do not change is 24 hours", env: "prod-lyon", window: "day",
		from: "2026-06-10T12:00:00+02:00", to: "2026-06-10T12:00:01+02:00",
		want: []string{"day 2026-06-10T00:00:00+02:00/2026-06-11T00:00:00+02:00"},
	}, {
		name: "2d over the night Paris springs forward", env: "prod-lyon", window: "weekend",
		from: "2026-03-28T12:00:00+01:00", to: "2026-03-28T12:00:01+01:00",
		want: []string{"weekend 2026-03-28T00:00:00+01:00/2026-03-30T00:00:00+02:00"},
	}, {
		name: "2d over the night Melbourne falls back", env: "prod-geelong", window: "weekend",
		from: "2026-04-04T12:00:00+11:00", to: "2026-04-04T12:00:01+11:00",
		want: []string{"weekend 2026-04-04T00:00:00+11:00/2026-04-06T00:00:00+10:00"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, o := range c.Occurrences(cat.Environment(tt.env), MustTime(t, tt.from), MustTime(t, tt.to)) {
				if o.Window == tt.window {
					got = append(got, Spans([]andon.Occurrence{o})...)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Occurrences of %s mismatch (-want +got):\n%s", tt.window, diff)
			}
		})
	}

	// The catalog's 1d and the calendar file's P1D make the same
	// occurrences, over a year of both hemispheres' changes of clocks.
	for _, env := range []string{"prod-lyon", "prod-geelong"} {
		e := cat.Environment(env)
		from, to := MustTime(t, "2026-01-01T00:00:00Z"), MustTime(t, "2027-01-01T00:00:00Z")
		var day, ics []string
		for _, o := range c.Occurrences(e, from, to) {
			span := o.Start.Format("2006-01-02T15:04:05Z07:00") + "/" + o.End.Format("2006-01-02T15:04:05Z07:00")
			switch o.Window {
			case "day":
				day = append(day, span)
			case "ics":
				ics = append(ics, span)
			}
		}
		if len(day) < 365 {
			t.Errorf("%s: %d occurrences of the daily window in 2026; want one a day", env, len(day))
		}
		if diff := cmp.Diff(ics, day); diff != "" {
			t.Errorf("%s: duration 1d and DURATION:P1D differ (-P1D +1d):\n%s", env, diff)
		}
	}
}

// TestFeedCatalogDays checks that the feed writes a catalog's duration in
// days as days, which calendar clients count on the wall clock as andon
// does, and one in hours as hours.
func TestFeedCatalogDays(t *testing.T) {
	cat := daysCatalog(t)
	data, err := MustNew(t, cat).Feed(andon.FeedScope{Environment: "prod-lyon"}, feedStamp)
	if err != nil {
		t.Fatal(err)
	}
	events := map[string]string{}
	for _, ev := range strings.Split(string(data), "BEGIN:VEVENT\r\n")[1:] {
		if strings.Contains(ev, "RECURRENCE-ID") {
			continue // an override of one occurrence, in UTC
		}
		var window, duration string
		for _, l := range strings.Split(ev, "\r\n") {
			if v, ok := strings.CutPrefix(l, "X-ANDON-WINDOW:"); ok {
				window = v
			}
			if v, ok := strings.CutPrefix(l, "DURATION:"); ok {
				duration = v
			}
		}
		events[window] = duration
	}
	for window, want := range map[string]string{"day": "P1D", "hours": "PT24H", "weekend": "P2D", "ics": "P1D"} {
		if got := events[window]; got != want {
			t.Errorf("window %s: DURATION:%s; want %s", window, got, want)
		}
	}
}
