package calendar_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/calendar"
)

// slotCatalog has a Sunday 02:00-06:00 maintenance window at every plant,
// two back-to-back Wednesday windows, a freeze over the start of the
// maintenance of 2026-06-14, a freeze over all of 2026-06-28's that allows
// emergency changes, and, for the environment without a plant, a freeze
// over the same days that allows standard and normal changes and a summer
// freeze.
func slotCatalog(tb testing.TB) *andon.Catalog {
	paris := MustLoadLocation(tb, "Europe/Paris")
	return NewCatalog(tb,
		&andon.Window{
			Name: "sunday", Type: andon.WindowMaintenance,
			Schedules: []andon.Schedule{{Start: "2026-01-04T02:00:00", RRule: "FREQ=WEEKLY;BYDAY=SU", Duration: 4 * time.Hour}},
		},
		&andon.Window{
			Name: "wednesday-early", Type: andon.WindowMaintenance,
			Schedules: []andon.Schedule{{Start: "2026-01-07T20:00:00", RRule: "FREQ=WEEKLY;BYDAY=WE", Duration: 2 * time.Hour}},
			Selector:  andon.Selector{Environments: []string{"dev-lyon"}},
		},
		&andon.Window{
			Name: "wednesday-late", Type: andon.WindowMaintenance,
			Schedules: []andon.Schedule{{Start: "2026-01-07T22:00:00", RRule: "FREQ=WEEKLY;BYDAY=WE", Duration: 2 * time.Hour}},
			Selector:  andon.Selector{Environments: []string{"dev-lyon"}},
		},
		&andon.Window{
			Name: "audit", Type: andon.WindowFreeze,
			Once: &andon.Span{Start: time.Date(2026, 6, 13, 12, 0, 0, 0, paris), End: time.Date(2026, 6, 14, 3, 0, 0, 0, paris)},
		},
		&andon.Window{
			Name: "release-freeze", Type: andon.WindowFreeze,
			Once:  &andon.Span{Start: time.Date(2026, 6, 27, 0, 0, 0, 0, paris), End: time.Date(2026, 6, 29, 0, 0, 0, 0, paris)},
			Allow: []andon.ChangeType{andon.ChangeEmergency},
		},
		&andon.Window{
			Name: "summer", Type: andon.WindowFreeze,
			Once:     &andon.Span{Start: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)},
			Selector: andon.Selector{Environments: []string{"shared"}},
		},
		&andon.Window{
			Name: "shared-release", Type: andon.WindowFreeze,
			Once:     &andon.Span{Start: time.Date(2026, 6, 27, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 6, 29, 0, 0, 0, 0, time.UTC)},
			Selector: andon.Selector{Environments: []string{"shared"}},
			Allow:    []andon.ChangeType{andon.ChangeStandard, andon.ChangeNormal},
		},
		&andon.Window{
			Name: "peak", Type: andon.WindowPeak,
			Schedules: []andon.Schedule{{Start: "2026-01-01T00:00:00", RRule: "FREQ=DAILY", Duration: 12 * time.Hour}},
		},
	)
}

func TestNextSlot(t *testing.T) {
	cat := slotCatalog(t)
	c := MustNew(t, cat)
	year := 366 * 24 * time.Hour
	tests := []struct {
		name    string
		env     string
		after   string
		d       time.Duration
		horizon time.Duration
		change  andon.ChangeType // "" for a slot not tied to a change
		want    string           // "" for none
	}{{
		name: "the next maintenance window", env: "prod-lyon",
		after: "2026-06-06T12:00:00+02:00", d: 2 * time.Hour, horizon: year,
		want: "2026-06-07T02:00:00+02:00/2026-06-07T04:00:00+02:00",
	}, {
		name: "inside a maintenance window, at once", env: "prod-lyon",
		after: "2026-06-07T03:00:00+02:00", d: 2 * time.Hour, horizon: year,
		want: "2026-06-07T03:00:00+02:00/2026-06-07T05:00:00+02:00",
	}, {
		name: "too late in this window; the next starts in a freeze", env: "prod-lyon",
		after: "2026-06-07T05:00:00+02:00", d: 2 * time.Hour, horizon: year,
		want: "2026-06-14T03:00:00+02:00/2026-06-14T05:00:00+02:00",
	}, {
		name: "the freeze leaves too little time in its window", env: "prod-lyon",
		after: "2026-06-08T00:00:00+02:00", d: 4 * time.Hour, horizon: year,
		want: "2026-06-21T02:00:00+02:00/2026-06-21T06:00:00+02:00",
	}, {
		name: "the whole window fits exactly", env: "prod-lyon",
		after: "2026-06-21T02:00:00+02:00", d: 4 * time.Hour, horizon: 0,
		want: "2026-06-21T02:00:00+02:00/2026-06-21T06:00:00+02:00",
	}, {
		name: "a freeze that allows emergency changes still blocks", env: "prod-lyon",
		after: "2026-06-22T00:00:00+02:00", d: 4 * time.Hour, horizon: year,
		want: "2026-07-05T02:00:00+02:00/2026-07-05T06:00:00+02:00",
	}, {
		name: "a freeze that allows emergency changes lets an emergency change through", env: "prod-lyon",
		after: "2026-06-22T00:00:00+02:00", d: 4 * time.Hour, horizon: year, change: andon.ChangeEmergency,
		want: "2026-06-28T02:00:00+02:00/2026-06-28T06:00:00+02:00",
	}, {
		name: "a freeze that allows emergency changes stops a normal change", env: "prod-lyon",
		after: "2026-06-22T00:00:00+02:00", d: 4 * time.Hour, horizon: year, change: andon.ChangeNormal,
		want: "2026-07-05T02:00:00+02:00/2026-07-05T06:00:00+02:00",
	}, {
		name: "a freeze that allows emergency changes stops a standard change", env: "prod-lyon",
		after: "2026-06-22T00:00:00+02:00", d: 4 * time.Hour, horizon: year, change: andon.ChangeStandard,
		want: "2026-07-05T02:00:00+02:00/2026-07-05T06:00:00+02:00",
	}, {
		name: "a freeze that allows nothing stops an emergency change", env: "prod-lyon",
		after: "2026-06-13T00:00:00+02:00", d: 2 * time.Hour, horizon: year, change: andon.ChangeEmergency,
		want: "2026-06-14T03:00:00+02:00/2026-06-14T05:00:00+02:00",
	}, {
		name: "two freezes at once: one allowing emergency changes, one the others; an emergency change", env: "shared",
		after: "2026-06-26T00:00:00Z", d: time.Hour, horizon: year, change: andon.ChangeEmergency,
		want: "2026-10-04T02:00:00Z/2026-10-04T03:00:00Z",
	}, {
		name: "two freezes at once: one allowing emergency changes, one the others; a standard change", env: "shared",
		after: "2026-06-26T00:00:00Z", d: time.Hour, horizon: year, change: andon.ChangeStandard,
		want: "2026-10-04T02:00:00Z/2026-10-04T03:00:00Z",
	}, {
		name: "at the plant's local time", env: "prod-melbourne",
		after: "2026-06-06T12:00:00+02:00", d: 2 * time.Hour, horizon: year,
		want: "2026-06-07T02:00:00+10:00/2026-06-07T04:00:00+10:00",
	}, {
		name: "none within the horizon", env: "prod-lyon",
		after: "2026-06-06T12:00:00+02:00", d: 2 * time.Hour, horizon: 13 * time.Hour,
	}, {
		name: "the horizon bounds the start, not the end", env: "prod-lyon",
		after: "2026-06-06T12:00:00+02:00", d: 2 * time.Hour, horizon: 14 * time.Hour,
		want: "2026-06-07T02:00:00+02:00/2026-06-07T04:00:00+02:00",
	}, {
		name: "longer than any window", env: "prod-lyon",
		after: "2026-06-06T12:00:00+02:00", d: 5 * time.Hour, horizon: year,
	}, {
		name: "not across two adjacent windows", env: "dev-lyon",
		after: "2026-06-09T00:00:00+02:00", d: 3 * time.Hour, horizon: 4 * 24 * time.Hour,
	}, {
		name: "the earlier of two adjacent windows", env: "dev-lyon",
		after: "2026-06-10T21:00:00+02:00", d: 2 * time.Hour, horizon: year,
		want: "2026-06-10T22:00:00+02:00/2026-06-11T00:00:00+02:00",
	}, {
		name: "an environment without a plant keeps UTC", env: "shared",
		after: "2026-06-06T12:00:00Z", d: time.Hour, horizon: year,
		want: "2026-06-07T02:00:00Z/2026-06-07T03:00:00Z",
	}, {
		name: "after a freeze of three months", env: "shared",
		after: "2026-07-01T00:00:00Z", d: time.Hour, horizon: year,
		want: "2026-10-04T02:00:00Z/2026-10-04T03:00:00Z",
	}, {
		name: "zero length", env: "prod-lyon",
		after: "2026-06-06T12:00:00+02:00", d: 0, horizon: year,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			span, ok := c.NextSlot(cat.Environment(tt.env), MustTime(t, tt.after), tt.d, tt.horizon, tt.change, false)
			got := ""
			if ok {
				got = span.Start.Format(time.RFC3339) + "/" + span.End.Format(time.RFC3339)
			}
			if got != tt.want {
				t.Errorf("NextSlot(%s, %s, %s, %q) = %q; want %q", tt.after, tt.d, tt.horizon, tt.change, got, tt.want)
			}
		})
	}
}

// A peak does not block a slot unless the slot is asked for outside
// peaks, and then it blocks it as a freeze does: the demo's Sunday
// maintenance from 02:00 and nightly peak until 03:00.
func TestNextSlotOutsidePeaks(t *testing.T) {
	paris := MustLoadLocation(t, "Europe/Paris")
	cat := NewCatalog(t,
		&andon.Window{
			Name: "sunday", Type: andon.WindowMaintenance,
			Schedules: []andon.Schedule{{Start: "2026-01-04T02:00:00", RRule: "FREQ=WEEKLY;BYDAY=SU", Duration: 4 * time.Hour}},
		},
		&andon.Window{
			Name: "nightly", Type: andon.WindowPeak,
			Schedules: []andon.Schedule{{Start: "2026-01-01T01:00:00", RRule: "FREQ=DAILY", Duration: 2 * time.Hour}},
		},
		&andon.Window{
			Name: "audit", Type: andon.WindowFreeze,
			Once: &andon.Span{Start: time.Date(2026, 6, 14, 2, 0, 0, 0, paris), End: time.Date(2026, 6, 14, 3, 30, 0, 0, paris)},
		},
	)
	c := MustNew(t, cat)
	year := 366 * 24 * time.Hour
	tests := []struct {
		name         string
		after        string
		d            time.Duration
		outsidePeaks bool
		want         string // "" for none
	}{
		{"a peak does not block by default", "2026-06-06T12:00:00+02:00", 2 * time.Hour, false, "2026-06-07T02:00:00+02:00/2026-06-07T04:00:00+02:00"},
		{"outside peaks, from the end of the peak", "2026-06-06T12:00:00+02:00", 2 * time.Hour, true, "2026-06-07T03:00:00+02:00/2026-06-07T05:00:00+02:00"},
		{"outside peaks, the whole rest of the window", "2026-06-06T12:00:00+02:00", 3 * time.Hour, true, "2026-06-07T03:00:00+02:00/2026-06-07T06:00:00+02:00"},
		{"outside peaks, longer than the rest of any window", "2026-06-06T12:00:00+02:00", 4 * time.Hour, true, ""},
		{"a freeze that ends after the peak", "2026-06-13T12:00:00+02:00", 2 * time.Hour, true, "2026-06-14T03:30:00+02:00/2026-06-14T05:30:00+02:00"},
		{"a freeze alone, by default", "2026-06-13T12:00:00+02:00", 2 * time.Hour, false, "2026-06-14T03:30:00+02:00/2026-06-14T05:30:00+02:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			span, ok := c.NextSlot(cat.Environment("prod-lyon"), MustTime(t, tt.after), tt.d, year, "", tt.outsidePeaks)
			got := ""
			if ok {
				got = span.Start.Format(time.RFC3339) + "/" + span.End.Format(time.RFC3339)
			}
			if got != tt.want {
				t.Errorf("NextSlot(%s, %s, outsidePeaks %v) = %q; want %q", tt.after, tt.d, tt.outsidePeaks, got, tt.want)
			}
		})
	}
	// The service names the peaks a slot overlaps: none outside them.
	var src source
	src.cat.Store(cat)
	for _, outside := range []bool{false, true} {
		slot, err := calendar.NewService(&src).NextSlot(context.Background(), "prod-lyon", MustTime(t, "2026-06-06T12:00:00+02:00"), 2*time.Hour, "", outside)
		want := []string{"nightly 2026-06-07T01:00:00+02:00/2026-06-07T03:00:00+02:00"}
		if outside {
			want = []string{}
		}
		if err != nil || !cmp.Equal(want, Spans(slot.Peaks)) {
			t.Errorf("NextSlot(outsidePeaks %v): %v, peaks %q; want %q", outside, err, Spans(slot.Peaks), want)
		}
	}
	// The service says why none was found.
	_, err := calendar.NewService(&src).NextSlot(context.Background(), "prod-lyon", MustTime(t, "2026-06-06T12:00:00+02:00"), 4*time.Hour, "", true)
	if want := "no slot of 4h inside a maintenance window and outside freezes and peaks"; andon.ErrorCode(err) != andon.ENOTFOUND || !strings.Contains(andon.ErrorMessage(err), want) {
		t.Errorf("no slot outside peaks: %v; want not found, saying %q", err, want)
	}
}

// source hands out whichever catalog it holds, like the server's reloader.
type source struct{ cat atomic.Pointer[andon.Catalog] }

func (s *source) Catalog() *andon.Catalog { return s.cat.Load() }

// staticSource hands out one catalog.
type staticSource struct{ cat *andon.Catalog }

func (s staticSource) Catalog() *andon.Catalog { return s.cat }

func TestService(t *testing.T) {
	ctx := context.Background()
	src := &source{}
	src.cat.Store(slotCatalog(t))
	svc := calendar.NewService(src)
	var _ andon.CalendarService = svc

	t.Run("Active", func(t *testing.T) {
		occs, err := svc.Active(ctx, "prod-lyon", MustTime(t, "2026-06-07T03:00:00+02:00"))
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			"peak 2026-06-07T00:00:00+02:00/2026-06-07T12:00:00+02:00",
			"sunday 2026-06-07T02:00:00+02:00/2026-06-07T06:00:00+02:00",
		}
		if diff := cmp.Diff(want, Spans(occs)); diff != "" {
			t.Errorf("Active mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("Occurrences", func(t *testing.T) {
		occs, err := svc.Occurrences(ctx, "prod-lyon", MustTime(t, "2026-06-13T00:00:00+02:00"), MustTime(t, "2026-06-14T06:00:00+02:00"))
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			"peak 2026-06-13T00:00:00+02:00/2026-06-13T12:00:00+02:00",
			"audit 2026-06-13T12:00:00+02:00/2026-06-14T03:00:00+02:00",
			"peak 2026-06-14T00:00:00+02:00/2026-06-14T12:00:00+02:00",
			"sunday 2026-06-14T02:00:00+02:00/2026-06-14T06:00:00+02:00",
		}
		if diff := cmp.Diff(want, Spans(occs)); diff != "" {
			t.Errorf("Occurrences mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("NextSlot", func(t *testing.T) {
		span, err := svc.NextSlot(ctx, "prod-lyon", MustTime(t, "2026-06-13T00:00:00+02:00"), 2*time.Hour, "", false)
		if err != nil {
			t.Fatal(err)
		}
		want := andon.Span{Start: MustTime(t, "2026-06-14T03:00:00+02:00"), End: MustTime(t, "2026-06-14T05:00:00+02:00")}
		if diff := cmp.Diff(want, span.Span); diff != "" {
			t.Errorf("NextSlot mismatch (-want +got):\n%s", diff)
		}
		// The slot names the peak it overlaps, and no other window.
		if diff := cmp.Diff([]string{"peak 2026-06-14T00:00:00+02:00/2026-06-14T12:00:00+02:00"}, Spans(span.Peaks)); diff != "" {
			t.Errorf("NextSlot peaks mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("errors", func(t *testing.T) {
		at := MustTime(t, "2026-06-13T00:00:00+02:00")
		tests := []struct {
			name string
			call func() error
			want string
		}{
			// A name the caller gave, as a change's environment: invalid.
			{"unknown environment in Active", func() error { _, err := svc.Active(ctx, "nowhere", at); return err }, andon.EINVALID},
			{"unknown environment in Occurrences", func() error { _, err := svc.Occurrences(ctx, "nowhere", at, at.Add(time.Hour)); return err }, andon.EINVALID},
			{"unknown environment in NextSlot", func() error { _, err := svc.NextSlot(ctx, "nowhere", at, time.Hour, "", false); return err }, andon.EINVALID},
			{"no slot within a year", func() error { _, err := svc.NextSlot(ctx, "prod-lyon", at, 5*time.Hour, "", false); return err }, andon.ENOTFOUND},
			{"no duration", func() error { _, err := svc.NextSlot(ctx, "prod-lyon", at, 0, "", false); return err }, andon.EINVALID},
			{"unknown change type", func() error { _, err := svc.NextSlot(ctx, "prod-lyon", at, time.Hour, "urgent", false); return err }, andon.EINVALID},
		}
		for _, tt := range tests {
			if got := andon.ErrorCode(tt.call()); got != tt.want {
				t.Errorf("%s: code %q; want %q", tt.name, got, tt.want)
			}
		}
	})
	t.Run("messages", func(t *testing.T) {
		at := MustTime(t, "2026-06-13T00:00:00+02:00")
		if _, err := svc.Occurrences(ctx, "prod-lyonn", at, at.Add(time.Hour)); andon.ErrorMessage(err) != `environment "prod-lyonn" is not in the catalog; did you mean prod-lyon?` {
			t.Errorf("misspelt environment: %v; want the closest name suggested", err)
		}
		_, err := svc.NextSlot(ctx, "prod-lyon", at, 5*time.Hour, "", false)
		if want := `no slot of 5h inside a maintenance window and outside freezes in the year after 2026-06-13T00:00:00+02:00 for environment "prod-lyon": its longest maintenance window in that year, sunday from 2026-06-14T02:00:00+02:00, lasts 4h, less than the change`; andon.ErrorMessage(err) != want {
			t.Errorf("no slot: %v; want %q", err, want)
		}
		_, err = svc.NextSlot(ctx, "prod-lyon", at, 5*time.Hour, andon.ChangeEmergency, false)
		if want := `no slot of 5h for a change of type emergency inside a maintenance window and outside the freezes that stop it in the year after 2026-06-13T00:00:00+02:00 for environment "prod-lyon": its longest maintenance window in that year, sunday from 2026-06-14T02:00:00+02:00, lasts 4h, less than the change`; andon.ErrorMessage(err) != want {
			t.Errorf("no slot for an emergency change: %v; want %q", err, want)
		}
		_, err = svc.NextSlot(ctx, "prod-lyon", at, time.Hour, "Emergency", false)
		if want := `type: "Emergency" is not one of standard, normal, emergency`; andon.ErrorMessage(err) != want {
			t.Errorf("a change type in capitals: %v; want %q", err, want)
		}
		// Said in the days it was asked in, as the message below does.
		_, err = svc.NextSlot(ctx, "prod-lyon", at, 10*24*time.Hour, "", false)
		if want := `no slot of 10d inside a maintenance window`; !strings.HasPrefix(andon.ErrorMessage(err), want) {
			t.Errorf("no slot of 10 days: %v; want it to begin %q", err, want)
		}
		// Longer than the search: not a slot that happens to be missing.
		_, err = svc.NextSlot(ctx, "prod-lyon", at, 1000*24*time.Hour, "", false)
		if want := `duration: 1000d is longer than the year after 2026-06-13T00:00:00+02:00 in which a slot is looked for`; andon.ErrorCode(err) != andon.EINVALID || andon.ErrorMessage(err) != want {
			t.Errorf("a duration of 1000 days: %v; want invalid, %q", err, want)
		}
		// A change that fits the maintenance windows but that a freeze
		// keeps out of all of them is not said to be too long.
		frozen := calendar.NewService(staticSource{NewCatalog(t, &andon.Window{
			Name: "nights", Type: andon.WindowMaintenance,
			Schedules: []andon.Schedule{{Start: "2026-01-05T22:00:00", RRule: "FREQ=DAILY", Duration: 4 * time.Hour}},
		}, &andon.Window{
			Name: "audit-year", Type: andon.WindowFreeze,
			Once: &andon.Span{Start: at.Add(-time.Hour), End: at.AddDate(2, 0, 0)},
		})})
		_, err = frozen.NextSlot(ctx, "prod-lyon", at, time.Hour, "", false)
		if want := `no slot of 1h inside a maintenance window and outside freezes in the year after 2026-06-13T00:00:00+02:00 for environment "prod-lyon"`; andon.ErrorMessage(err) != want {
			t.Errorf("no slot for a freeze of the whole year: %v; want %q", err, want)
		}
		devOnly := calendar.NewService(staticSource{NewCatalog(t, &andon.Window{
			Name: "dev-evenings", Type: andon.WindowMaintenance,
			Schedules: []andon.Schedule{{Start: "2026-01-05T18:00:00", RRule: "FREQ=DAILY", Duration: 4 * time.Hour}},
			Selector:  andon.Selector{Environments: []string{"dev-lyon"}},
		})})
		_, err = devOnly.NextSlot(ctx, "prod-lyon", at, time.Hour, "", false)
		if want := `environment "prod-lyon" has no maintenance window: no Window of type maintenance in the catalog selects it, so it has no slot to offer`; andon.ErrorCode(err) != andon.ENOTFOUND || andon.ErrorMessage(err) != want {
			t.Errorf("no maintenance window: %v; want %q", err, want)
		}
	})
	t.Run("reload", func(t *testing.T) {
		next := NewCatalog(t, &andon.Window{
			Name: "tuesday", Type: andon.WindowMaintenance,
			Schedules: []andon.Schedule{{Start: "2026-01-06T20:00:00", RRule: "FREQ=WEEKLY", Duration: 3 * time.Hour}},
		})
		src.cat.Store(next)
		span, err := svc.NextSlot(ctx, "prod-lyon", MustTime(t, "2026-06-06T00:00:00+02:00"), 2*time.Hour, "", false)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := span.Start, MustTime(t, "2026-06-09T20:00:00+02:00"); !got.Equal(want) {
			t.Errorf("NextSlot after reload starts %s; want %s", got, want)
		}
	})
	t.Run("invalid catalog", func(t *testing.T) {
		src.cat.Store(NewCatalog(t, &andon.Window{Name: "broken"}))
		_, err := svc.Active(ctx, "prod-lyon", MustTime(t, "2026-06-06T00:00:00+02:00"))
		if got := andon.ErrorCode(err); got != andon.EINVALID {
			t.Errorf("Active over an invalid catalog: code %q (%v); want %q", got, err, andon.EINVALID)
		}
	})
}
