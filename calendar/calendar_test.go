package calendar_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/calendar"
)

// TestOccurrencesDST pins the instants of recurring windows around both
// changes of the year in two hemispheres. Paris springs forward on
// 2026-03-29 (02:00 -> 03:00) and falls back on 2026-10-25 (03:00 -> 02:00);
// Melbourne falls back on 2026-04-05 (03:00 -> 02:00) and springs forward on
// 2026-10-04 (02:00 -> 03:00).
func TestOccurrencesDST(t *testing.T) {
	weekly := func(tz string) andon.Schedule {
		return andon.Schedule{Start: "2026-01-04T02:30:00", RRule: "FREQ=WEEKLY;BYDAY=SU", Duration: time.Hour, Timezone: tz}
	}
	daily := func(at string, d time.Duration) andon.Schedule {
		return andon.Schedule{Start: "2026-01-01T" + at, RRule: "FREQ=DAILY", Duration: d, Timezone: "Europe/Paris"}
	}
	// sunday is an hour every Sunday at a time of day in zone tz.
	sunday := func(tz, at string) andon.Schedule {
		return andon.Schedule{Start: "2026-01-04T" + at, RRule: "FREQ=WEEKLY;BYDAY=SU", Duration: time.Hour, Timezone: tz}
	}
	tests := []struct {
		name     string
		schedule andon.Schedule
		from, to string
		want     []string
	}{{
		name:     "Paris spring forward moves 02:30 to 03:30",
		schedule: weekly("Europe/Paris"),
		from:     "2026-03-21T00:00:00Z", to: "2026-04-06T00:00:00Z",
		want: []string{
			"w 2026-03-22T02:30:00+01:00/2026-03-22T03:30:00+01:00",
			"w 2026-03-29T03:30:00+02:00/2026-03-29T04:30:00+02:00",
			"w 2026-04-05T02:30:00+02:00/2026-04-05T03:30:00+02:00",
		},
	}, {
		name: "an exception date names the wall time, even one in the gap",
		schedule: func() andon.Schedule {
			s := weekly("Europe/Paris")
			s.ExDates = []string{"2026-03-29T02:30:00"}
			return s
		}(),
		from: "2026-03-21T00:00:00Z", to: "2026-04-06T00:00:00Z",
		want: []string{
			"w 2026-03-22T02:30:00+01:00/2026-03-22T03:30:00+01:00",
			"w 2026-04-05T02:30:00+02:00/2026-04-05T03:30:00+02:00",
		},
	}, {
		name:     "Paris fall back takes the first 02:30",
		schedule: weekly("Europe/Paris"),
		from:     "2026-10-17T00:00:00Z", to: "2026-11-02T00:00:00Z",
		want: []string{
			"w 2026-10-18T02:30:00+02:00/2026-10-18T03:30:00+02:00",
			"w 2026-10-25T02:30:00+02:00/2026-10-25T02:30:00+01:00",
			"w 2026-11-01T02:30:00+01:00/2026-11-01T03:30:00+01:00",
		},
	}, {
		name:     "Melbourne fall back takes the first 02:30",
		schedule: weekly("Australia/Melbourne"),
		from:     "2026-03-28T00:00:00Z", to: "2026-04-13T00:00:00Z",
		want: []string{
			"w 2026-03-29T02:30:00+11:00/2026-03-29T03:30:00+11:00",
			"w 2026-04-05T02:30:00+11:00/2026-04-05T02:30:00+10:00",
			"w 2026-04-12T02:30:00+10:00/2026-04-12T03:30:00+10:00",
		},
	}, {
		name:     "Melbourne spring forward moves 02:30 to 03:30",
		schedule: weekly("Australia/Melbourne"),
		from:     "2026-09-26T00:00:00Z", to: "2026-10-12T00:00:00Z",
		want: []string{
			"w 2026-09-27T02:30:00+10:00/2026-09-27T03:30:00+10:00",
			"w 2026-10-04T03:30:00+11:00/2026-10-04T04:30:00+11:00",
			"w 2026-10-11T02:30:00+11:00/2026-10-11T03:30:00+11:00",
		},
	}, {
		name:     "daily four hours is exact elapsed time across spring forward",
		schedule: daily("01:00:00", 4*time.Hour),
		from:     "2026-03-28T00:00:00+01:00", to: "2026-03-31T00:00:00+02:00",
		want: []string{
			"w 2026-03-28T01:00:00+01:00/2026-03-28T05:00:00+01:00",
			"w 2026-03-29T01:00:00+01:00/2026-03-29T06:00:00+02:00",
			"w 2026-03-30T01:00:00+02:00/2026-03-30T05:00:00+02:00",
		},
	}, {
		name:     "daily four hours is exact elapsed time across fall back",
		schedule: daily("01:00:00", 4*time.Hour),
		from:     "2026-10-24T00:00:00+02:00", to: "2026-10-27T00:00:00+01:00",
		want: []string{
			"w 2026-10-24T01:00:00+02:00/2026-10-24T05:00:00+02:00",
			"w 2026-10-25T01:00:00+02:00/2026-10-25T04:00:00+01:00",
			"w 2026-10-26T01:00:00+01:00/2026-10-26T05:00:00+01:00",
		},
	}, {
		name:     "daily 02:00 at the start of the gap and of the repeated hour",
		schedule: daily("02:00:00", time.Hour),
		from:     "2026-03-29T00:00:00+01:00", to: "2026-03-30T00:00:00+02:00",
		want: []string{"w 2026-03-29T03:00:00+02:00/2026-03-29T04:00:00+02:00"},
	}, {
		name:     "daily 02:00 on the night clocks fall back",
		schedule: daily("02:00:00", time.Hour),
		from:     "2026-10-25T00:00:00+02:00", to: "2026-10-26T00:00:00+01:00",
		want: []string{"w 2026-10-25T02:00:00+02:00/2026-10-25T02:00:00+01:00"},
	}, {
		name:     "daily 03:00 exists once when clocks fall back",
		schedule: daily("03:00:00", time.Hour),
		from:     "2026-10-25T00:00:00+02:00", to: "2026-10-26T00:00:00+01:00",
		want: []string{"w 2026-10-25T03:00:00+01:00/2026-10-25T04:00:00+01:00"},
	}, {
		name:     "daily 03:00 is the first minute after the gap",
		schedule: daily("03:00:00", time.Hour),
		from:     "2026-03-29T00:00:00+01:00", to: "2026-03-30T00:00:00+02:00",
		want: []string{"w 2026-03-29T03:00:00+02:00/2026-03-29T04:00:00+02:00"},
	}, {
		name:     "hourly rule occurs once for 02:30 and 03:30 in the gap",
		schedule: andon.Schedule{Start: "2026-03-29T01:30:00", RRule: "FREQ=HOURLY;COUNT=4", Duration: 30 * time.Minute, Timezone: "Europe/Paris"},
		from:     "2026-03-29T00:00:00Z", to: "2026-03-30T00:00:00Z",
		want: []string{
			"w 2026-03-29T01:30:00+01:00/2026-03-29T03:00:00+02:00",
			"w 2026-03-29T03:30:00+02:00/2026-03-29T04:00:00+02:00",
			"w 2026-03-29T04:30:00+02:00/2026-03-29T05:00:00+02:00",
		},
	}, {
		// Zones whose gaps and offsets are not whole hours, whose
		// database marks winter as DST, or whose clocks change around
		// Ramadan: the same two rules, the gap's own length.
		name:     "Lord Howe skips half an hour: 02:15 moves to 02:45",
		schedule: sunday("Australia/Lord_Howe", "02:15:00"),
		from:     "2026-10-03T12:00:00+10:30", to: "2026-10-04T12:00:00+11:00",
		want: []string{"w 2026-10-04T02:45:00+11:00/2026-10-04T03:45:00+11:00"},
	}, {
		name:     "Lord Howe repeats half an hour: the first 01:45",
		schedule: sunday("Australia/Lord_Howe", "01:45:00"),
		from:     "2026-04-04T12:00:00+11:00", to: "2026-04-05T12:00:00+10:30",
		want: []string{"w 2026-04-05T01:45:00+11:00/2026-04-05T02:15:00+10:30"},
	}, {
		name:     "St John's springs forward at -03:30: 02:30 moves to 03:30",
		schedule: sunday("America/St_Johns", "02:30:00"),
		from:     "2026-03-07T12:00:00-03:30", to: "2026-03-08T12:00:00-02:30",
		want: []string{"w 2026-03-08T03:30:00-02:30/2026-03-08T04:30:00-02:30"},
	}, {
		name:     "St John's falls back: the first 01:30",
		schedule: sunday("America/St_Johns", "01:30:00"),
		from:     "2026-10-31T12:00:00-02:30", to: "2026-11-01T12:00:00-03:30",
		want: []string{"w 2026-11-01T01:30:00-02:30/2026-11-01T01:30:00-03:30"},
	}, {
		name:     "Chatham skips 02:45 to 03:45: 03:00 moves to 04:00",
		schedule: sunday("Pacific/Chatham", "03:00:00"),
		from:     "2026-09-26T12:00:00+12:45", to: "2026-09-27T12:00:00+13:45",
		want: []string{"w 2026-09-27T04:00:00+13:45/2026-09-27T05:00:00+13:45"},
	}, {
		name:     "Chatham repeats 02:45 to 03:45: the first 03:00",
		schedule: sunday("Pacific/Chatham", "03:00:00"),
		from:     "2026-04-04T12:00:00+13:45", to: "2026-04-05T12:00:00+12:45",
		want: []string{"w 2026-04-05T03:00:00+13:45/2026-04-05T03:00:00+12:45"},
	}, {
		name:     "Dublin, whose winter is DST in the database, springs forward: 01:30 moves to 02:30",
		schedule: sunday("Europe/Dublin", "01:30:00"),
		from:     "2026-03-28T12:00:00Z", to: "2026-03-29T12:00:00+01:00",
		want: []string{"w 2026-03-29T02:30:00+01:00/2026-03-29T03:30:00+01:00"},
	}, {
		name:     "Dublin falls back: the first 01:30",
		schedule: sunday("Europe/Dublin", "01:30:00"),
		from:     "2026-10-24T12:00:00+01:00", to: "2026-10-25T12:00:00Z",
		want: []string{"w 2026-10-25T01:30:00+01:00/2026-10-25T01:30:00Z"},
	}, {
		name:     "Casablanca falls back for Ramadan: the first 02:30",
		schedule: sunday("Africa/Casablanca", "02:30:00"),
		from:     "2026-02-14T12:00:00+01:00", to: "2026-02-15T12:00:00Z",
		want: []string{"w 2026-02-15T02:30:00+01:00/2026-02-15T02:30:00Z"},
	}, {
		name:     "Casablanca springs forward after Ramadan: 02:30 moves to 03:30",
		schedule: sunday("Africa/Casablanca", "02:30:00"),
		from:     "2026-03-21T12:00:00Z", to: "2026-03-22T12:00:00+01:00",
		want: []string{"w 2026-03-22T03:30:00+01:00/2026-03-22T04:30:00+01:00"},
	}, {
		name:     "Sao Paulo, without DST since 2019, keeps midnight of the first Sunday of November",
		schedule: sunday("America/Sao_Paulo", "00:00:00"),
		from:     "2026-10-31T12:00:00-03:00", to: "2026-11-01T12:00:00-03:00",
		want: []string{"w 2026-11-01T00:00:00-03:00/2026-11-01T01:00:00-03:00"},
	}, {
		name:     "Sao Paulo in 2018 skipped that midnight",
		schedule: andon.Schedule{Start: "2018-11-04T00:00:00", Duration: time.Hour, Timezone: "America/Sao_Paulo"},
		from:     "2018-11-03T12:00:00-03:00", to: "2018-11-04T12:00:00-02:00",
		want: []string{"w 2018-11-04T01:00:00-02:00/2018-11-04T02:00:00-02:00"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cat := NewCatalog(t, &andon.Window{Name: "w", Type: andon.WindowMaintenance, Schedules: []andon.Schedule{tt.schedule}})
			c := MustNew(t, cat)
			got := Spans(c.Occurrences(cat.Environment("prod-lyon"), MustTime(t, tt.from), MustTime(t, tt.to)))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Occurrences(%s, %s) mismatch (-want +got):\n%s", tt.from, tt.to, diff)
			}
		})
	}
}

// TestOccurrencesMonthEnd covers the month-end freeze of the design: the
// last two days of every month for 48 hours, in February of common and
// leap years, across a change of clocks, and with an exception date.
func TestOccurrencesMonthEnd(t *testing.T) {
	freeze := func(start string, exdates ...string) andon.Schedule {
		return andon.Schedule{Start: start, RRule: "FREQ=MONTHLY;BYMONTHDAY=-2,-1", ExDates: exdates, Duration: 48 * time.Hour, Timezone: "Europe/Paris"}
	}
	tests := []struct {
		name     string
		schedule andon.Schedule
		from, to string
		want     []string
	}{{
		name:     "February of a common year, and the January one still running",
		schedule: freeze("2027-01-30T00:00:00"),
		from:     "2027-02-01T00:00:00+01:00", to: "2027-03-01T00:00:00+01:00",
		want: []string{
			"close 2027-01-31T00:00:00+01:00/2027-02-02T00:00:00+01:00",
			"close 2027-02-27T00:00:00+01:00/2027-03-01T00:00:00+01:00",
			"close 2027-02-28T00:00:00+01:00/2027-03-02T00:00:00+01:00",
		},
	}, {
		name:     "February of a leap year",
		schedule: freeze("2027-01-30T00:00:00"),
		from:     "2028-02-10T00:00:00+01:00", to: "2028-03-01T00:00:00+01:00",
		want: []string{
			"close 2028-02-28T00:00:00+01:00/2028-03-01T00:00:00+01:00",
			"close 2028-02-29T00:00:00+01:00/2028-03-02T00:00:00+01:00",
		},
	}, {
		name:     "spring forward inside the freeze",
		schedule: freeze("2025-01-30T00:00:00"),
		from:     "2025-03-15T00:00:00+01:00", to: "2025-04-15T00:00:00+02:00",
		want: []string{
			"close 2025-03-30T00:00:00+01:00/2025-04-01T01:00:00+02:00",
			"close 2025-03-31T00:00:00+02:00/2025-04-02T00:00:00+02:00",
		},
	}, {
		name:     "fall back inside the freeze",
		schedule: freeze("2027-01-30T00:00:00"),
		from:     "2027-10-15T00:00:00+02:00", to: "2027-11-15T00:00:00+01:00",
		want: []string{
			"close 2027-10-30T00:00:00+02:00/2027-10-31T23:00:00+01:00",
			"close 2027-10-31T00:00:00+02:00/2027-11-01T23:00:00+01:00",
		},
	}, {
		name:     "an exception date skips one day",
		schedule: freeze("2027-01-30T00:00:00", "2027-12-30T00:00:00"),
		from:     "2027-12-15T00:00:00+01:00", to: "2028-01-15T00:00:00+01:00",
		want: []string{"close 2027-12-31T00:00:00+01:00/2028-01-02T00:00:00+01:00"},
	}, {
		name:     "nothing before the start",
		schedule: freeze("2027-01-30T00:00:00"),
		from:     "2026-12-01T00:00:00+01:00", to: "2027-01-30T00:00:00+01:00",
		want: []string{},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cat := NewCatalog(t, &andon.Window{Name: "close", Type: andon.WindowFreeze, Schedules: []andon.Schedule{tt.schedule}})
			c := MustNew(t, cat)
			got := Spans(c.Occurrences(cat.Environment("prod-lyon"), MustTime(t, tt.from), MustTime(t, tt.to)))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Occurrences(%s, %s) mismatch (-want +got):\n%s", tt.from, tt.to, diff)
			}
		})
	}
}

// TestOccurrencesPlantZone checks that a window without a time zone is read
// in each environment's plant zone, and in UTC for an environment without a
// plant.
func TestOccurrencesPlantZone(t *testing.T) {
	cat := NewCatalog(t, &andon.Window{
		Name: "sunday", Type: andon.WindowMaintenance,
		Schedules: []andon.Schedule{{Start: "2026-01-04T02:00:00", RRule: "FREQ=WEEKLY;BYDAY=SU", Duration: 2 * time.Hour}},
	})
	c := MustNew(t, cat)
	from, to := MustTime(t, "2026-06-05T00:00:00Z"), MustTime(t, "2026-06-08T00:00:00Z")
	tests := []struct {
		env  string
		want []string
	}{
		{"prod-lyon", []string{"sunday 2026-06-07T02:00:00+02:00/2026-06-07T04:00:00+02:00"}},
		{"prod-melbourne", []string{"sunday 2026-06-07T02:00:00+10:00/2026-06-07T04:00:00+10:00"}},
		{"shared", []string{"sunday 2026-06-07T02:00:00Z/2026-06-07T04:00:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			got := Spans(c.Occurrences(cat.Environment(tt.env), from, to))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Occurrences mismatch (-want +got):\n%s", diff)
			}
		})
	}
	lyon := c.Occurrences(cat.Environment("prod-lyon"), from, to)
	melbourne := c.Occurrences(cat.Environment("prod-melbourne"), from, to)
	if got, want := lyon[0].Start.Sub(melbourne[0].Start), 8*time.Hour; got != want {
		t.Errorf("Lyon starts %s after Melbourne; want %s", got, want)
	}
}

// TestOccurrencesSelectorAndOrder checks which windows apply to which
// environment, one-off spans, and the order of the result.
func TestOccurrencesSelectorAndOrder(t *testing.T) {
	paris := MustLoadLocation(t, "Europe/Paris")
	cat := NewCatalog(t,
		&andon.Window{
			Name: "prod-only", Type: andon.WindowFreeze,
			Schedules: []andon.Schedule{{Start: "2026-06-01T08:00:00", RRule: "FREQ=DAILY", Duration: time.Hour}},
			Selector:  andon.Selector{Stages: []andon.Stage{andon.StageProduction}},
			Allow:     []andon.ChangeType{andon.ChangeEmergency},
		},
		&andon.Window{
			Name: "finance", Type: andon.WindowPeak,
			Schedules: []andon.Schedule{{Start: "2026-06-01T08:00:00", RRule: "FREQ=DAILY", Duration: 2 * time.Hour}},
			Selector:  andon.Selector{Processes: []string{"finance"}},
		},
		&andon.Window{
			Name: "audit", Type: andon.WindowFreeze,
			Once: &andon.Span{Start: time.Date(2026, 6, 2, 7, 0, 0, 0, paris), End: time.Date(2026, 6, 2, 9, 0, 0, 0, paris)},
		},
		&andon.Window{
			Name: "melbourne", Type: andon.WindowMaintenance,
			Schedules: []andon.Schedule{{Start: "2026-06-01T08:00:00", RRule: "FREQ=DAILY", Duration: time.Hour}},
			Selector:  andon.Selector{Plants: []string{"melbourne"}},
		},
	)
	c := MustNew(t, cat)
	from, to := MustTime(t, "2026-06-02T00:00:00+02:00"), MustTime(t, "2026-06-03T00:00:00+02:00")
	tests := []struct {
		env  string
		want []string
	}{{
		env: "prod-lyon",
		want: []string{
			"audit 2026-06-02T07:00:00+02:00/2026-06-02T09:00:00+02:00",
			"finance 2026-06-02T08:00:00+02:00/2026-06-02T10:00:00+02:00",
			"prod-only 2026-06-02T08:00:00+02:00/2026-06-02T09:00:00+02:00",
		},
	}, {
		env:  "dev-lyon",
		want: []string{"audit 2026-06-02T07:00:00+02:00/2026-06-02T09:00:00+02:00"},
	}, {
		env: "prod-melbourne",
		want: []string{
			"melbourne 2026-06-02T08:00:00+10:00/2026-06-02T09:00:00+10:00",
			"prod-only 2026-06-02T08:00:00+10:00/2026-06-02T09:00:00+10:00",
			"audit 2026-06-02T07:00:00+02:00/2026-06-02T09:00:00+02:00",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			got := Spans(c.Occurrences(cat.Environment(tt.env), from, to))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Occurrences mismatch (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("occurrence fields", func(t *testing.T) {
		got := c.Active(cat.Environment("dev-lyon"), MustTime(t, "2026-06-02T08:30:00+02:00"))
		want := []andon.Occurrence{{
			Window: "audit", Type: andon.WindowFreeze,
			Start: MustTime(t, "2026-06-02T07:00:00+02:00"), End: MustTime(t, "2026-06-02T09:00:00+02:00"),
			Allow: []andon.ChangeType{}, // [] in documents, not null
		}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Active mismatch (-want +got):\n%s", diff)
		}
		got = c.Active(cat.Environment("prod-lyon"), MustTime(t, "2026-06-02T08:30:00+02:00"))
		if len(got) != 3 || got[2].Window != "prod-only" || got[2].Type != andon.WindowFreeze ||
			!cmp.Equal(got[2].Allow, []andon.ChangeType{andon.ChangeEmergency}) {
			t.Errorf("Active = %+v; want prod-only third, a freeze allowing emergency changes", got)
		}
	})
	t.Run("empty range", func(t *testing.T) {
		if got := c.Occurrences(cat.Environment("prod-lyon"), to, from); got != nil {
			t.Errorf("Occurrences(to, from) = %v; want nil", got)
		}
	})
}

// TestActive checks the bounds of an occurrence and that a long occurrence
// that started well before the instant is found.
func TestActive(t *testing.T) {
	cat := NewCatalog(t,
		&andon.Window{
			Name: "sunday", Type: andon.WindowMaintenance,
			Schedules: []andon.Schedule{{Start: "2026-01-04T02:00:00", RRule: "FREQ=WEEKLY;BYDAY=SU", Duration: 4 * time.Hour}},
		},
		&andon.Window{
			Name: "close", Type: andon.WindowFreeze,
			Schedules: []andon.Schedule{{Start: "2026-01-30T00:00:00", RRule: "FREQ=MONTHLY;BYMONTHDAY=-2,-1", Duration: 48 * time.Hour}},
		},
		&andon.Window{
			Name: "quarter", Type: andon.WindowFreeze,
			Schedules: []andon.Schedule{{Start: "2026-03-25T00:00:00", RRule: "FREQ=MONTHLY;INTERVAL=3", Duration: 10 * 24 * time.Hour}},
		},
	)
	c := MustNew(t, cat)
	tests := []struct {
		at   string
		want []string
	}{
		{"2026-06-07T01:59:59+02:00", nil},
		{"2026-06-07T02:00:00+02:00", []string{"sunday"}},
		{"2026-06-07T05:59:59+02:00", []string{"sunday"}},
		{"2026-06-07T06:00:00+02:00", nil},
		{"2026-06-24T23:59:59+02:00", nil},
		{"2026-06-25T00:00:00+02:00", []string{"quarter"}},
		{"2026-06-29T12:00:00+02:00", []string{"quarter", "close"}},
		{"2026-06-30T12:00:00+02:00", []string{"quarter", "close"}},
		{"2026-07-01T23:59:59+02:00", []string{"quarter", "close"}},
		{"2026-07-02T00:00:00+02:00", []string{"quarter"}},
		{"2026-07-04T23:59:59+02:00", []string{"quarter"}},
		{"2026-07-05T00:00:00+02:00", nil},
		{"2026-03-29T04:00:00+02:00", []string{"quarter", "sunday"}},
	}
	for _, tt := range tests {
		t.Run(tt.at, func(t *testing.T) {
			var got []string
			for _, o := range c.Active(cat.Environment("prod-lyon"), MustTime(t, tt.at)) {
				got = append(got, o.Window)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Active(%s) mismatch (-want +got):\n%s", tt.at, diff)
			}
		})
	}
}

// TestActiveMergesOccurrences checks that overlapping or touching
// occurrences of one window are one span, the window in force without a
// break, whichever of them t falls in.
func TestActiveMergesOccurrences(t *testing.T) {
	cat := NewCatalog(t,
		&andon.Window{
			Name: "close", Type: andon.WindowFreeze,
			Schedules: []andon.Schedule{{Start: "2026-01-30T00:00:00", RRule: "FREQ=MONTHLY;BYMONTHDAY=-2,-1", Duration: 48 * time.Hour}},
		},
		&andon.Window{
			Name: "nights", Type: andon.WindowMaintenance,
			Schedules: []andon.Schedule{{Start: "2026-06-01T22:00:00", RRule: "FREQ=DAILY;COUNT=3", Duration: 2 * time.Hour},
				{Start: "2026-06-02T00:00:00", RRule: "FREQ=DAILY;COUNT=3", Duration: 4 * time.Hour}},
		},
		&andon.Window{
			Name: "always", Type: andon.WindowPeak,
			Schedules: []andon.Schedule{{Start: "2026-01-01T00:00:00", RRule: "FREQ=DAILY", Duration: 48 * time.Hour}},
		},
	)
	c := MustNew(t, cat)
	span := func(at string) map[string]string {
		got := map[string]string{}
		for _, o := range c.Active(cat.Environment("prod-lyon"), MustTime(t, at)) {
			got[o.Window] = o.Start.Format(time.RFC3339) + " " + o.End.Format(time.RFC3339)
		}
		return got
	}
	for at, want := range map[string]string{
		"2026-06-29T12:00:00+02:00": "2026-06-29T00:00:00+02:00 2026-07-02T00:00:00+02:00",
		"2026-06-30T12:00:00+02:00": "2026-06-29T00:00:00+02:00 2026-07-02T00:00:00+02:00",
		"2026-07-01T23:59:59+02:00": "2026-06-30T00:00:00+02:00 2026-07-02T00:00:00+02:00",
	} {
		if got := span(at)["close"]; got != want {
			t.Errorf("close at %s = %q, want %q", at, got, want)
		}
	}
	// Two schedules of one window that touch: 22:00-24:00, then 00:00-04:00.
	if got, want := span("2026-06-02T23:00:00+02:00")["nights"], "2026-06-02T22:00:00+02:00 2026-06-03T04:00:00+02:00"; got != want {
		t.Errorf("nights = %q, want %q", got, want)
	}
	// A window always in force is followed as far as Active looks, some
	// days ahead, and no further.
	at := MustTime(t, "2026-06-15T12:00:00+02:00")
	found := false
	for _, o := range c.Active(cat.Environment("prod-lyon"), at) {
		if o.Window != "always" {
			continue
		}
		found = true
		if o.End.Before(at.AddDate(0, 0, 10)) || o.End.After(at.AddDate(0, 0, 40)) {
			t.Errorf("always ends %s, want some days, and at most 40, after %s", o.End, at)
		}
	}
	if !found {
		t.Errorf("the window always in force is not active at %s", at)
	}
}

// TestActiveSortedAfterMerging checks that a window in force since
// before its active occurrence (one that touches it ended at its start)
// is given from that occurrence's start, in start order.
func TestActiveSortedAfterMerging(t *testing.T) {
	paris := MustLoadLocation(t, "Europe/Paris")
	cat := NewCatalog(t,
		&andon.Window{Name: "a", Type: andon.WindowMaintenance,
			Once: &andon.Span{Start: time.Date(2026, 6, 10, 9, 0, 0, 0, paris), End: time.Date(2026, 6, 10, 11, 0, 0, 0, paris)}},
		&andon.Window{Name: "b", Type: andon.WindowMaintenance, Schedules: []andon.Schedule{
			{Start: "2026-06-10T05:00:00", Duration: 4*time.Hour + 15*time.Minute},
			{Start: "2026-06-10T09:15:00", Duration: time.Hour}}},
	)
	c := MustNew(t, cat)
	var got []string
	for _, o := range c.Active(cat.Environment("prod-lyon"), time.Date(2026, 6, 10, 9, 30, 0, 0, paris)) {
		got = append(got, o.Window+" "+o.Start.Format("15:04")+"-"+o.End.Format("15:04"))
	}
	if diff := cmp.Diff([]string{"a 09:00-11:00", "b 09:15-10:15"}, got); diff != "" {
		t.Errorf("Active mismatch (-want +got):\n%s", diff)
	}
}

// TestOccurrencesFarFromStart checks that a rule started long ago, or
// asked about far ahead, gives the same occurrences as one started near
// the range, including INTERVAL alignment.
func TestOccurrencesFarFromStart(t *testing.T) {
	tests := []struct {
		name     string
		schedule andon.Schedule
		from, to string
		want     []string
	}{{
		name:     "every other week counted from 1990",
		schedule: andon.Schedule{Start: "1990-01-07T02:00:00", RRule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=SU", Duration: time.Hour},
		from:     "2026-06-01T00:00:00Z", to: "2026-07-01T00:00:00Z",
		want: []string{
			"w 2026-06-07T02:00:00+02:00/2026-06-07T03:00:00+02:00",
			"w 2026-06-21T02:00:00+02:00/2026-06-21T03:00:00+02:00",
		},
	}, {
		name:     "every third day from 2000",
		schedule: andon.Schedule{Start: "2000-01-01T22:00:00", RRule: "FREQ=DAILY;INTERVAL=3", Duration: time.Hour},
		from:     "2026-06-01T00:00:00Z", to: "2026-06-08T00:00:00Z",
		want: []string{
			"w 2026-06-01T22:00:00+02:00/2026-06-01T23:00:00+02:00",
			"w 2026-06-04T22:00:00+02:00/2026-06-04T23:00:00+02:00",
			"w 2026-06-07T22:00:00+02:00/2026-06-07T23:00:00+02:00",
		},
	}, {
		name:     "every five hours from 2020",
		schedule: andon.Schedule{Start: "2020-01-01T00:15:00", RRule: "FREQ=HOURLY;INTERVAL=5", Duration: time.Minute},
		from:     "2026-06-01T00:00:00+02:00", to: "2026-06-01T12:00:00+02:00",
		want: []string{
			"w 2026-06-01T03:15:00+02:00/2026-06-01T03:16:00+02:00",
			"w 2026-06-01T08:15:00+02:00/2026-06-01T08:16:00+02:00",
		},
	}, {
		name:     "second Thursday of every other month",
		schedule: andon.Schedule{Start: "2025-01-09T20:00:00", RRule: "FREQ=MONTHLY;INTERVAL=2;BYDAY=2TH", Duration: time.Hour},
		from:     "2026-01-01T00:00:00Z", to: "2026-07-01T00:00:00Z",
		want: []string{
			"w 2026-01-08T20:00:00+01:00/2026-01-08T21:00:00+01:00",
			"w 2026-03-12T20:00:00+01:00/2026-03-12T21:00:00+01:00",
			"w 2026-05-14T20:00:00+02:00/2026-05-14T21:00:00+02:00",
		},
	}, {
		name:     "last weekday of the year, in 2090",
		schedule: andon.Schedule{Start: "2026-12-31T18:00:00", RRule: "FREQ=YEARLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", Duration: time.Hour},
		from:     "2090-12-01T00:00:00Z", to: "2091-02-01T00:00:00Z",
		want: []string{"w 2090-12-29T18:00:00+01:00/2090-12-29T19:00:00+01:00"},
	}, {
		name:     "UNTIL as a UTC instant is compared with the start instant",
		schedule: andon.Schedule{Start: "2026-06-01T02:00:00", RRule: "FREQ=DAILY;UNTIL=20260603T000000Z", Duration: time.Hour},
		from:     "2026-05-30T00:00:00Z", to: "2026-06-10T00:00:00Z",
		want: []string{
			"w 2026-06-01T02:00:00+02:00/2026-06-01T03:00:00+02:00",
			"w 2026-06-02T02:00:00+02:00/2026-06-02T03:00:00+02:00",
			"w 2026-06-03T02:00:00+02:00/2026-06-03T03:00:00+02:00",
		},
	}, {
		name:     "UNTIL as a date includes the day",
		schedule: andon.Schedule{Start: "2026-06-01T02:00:00", RRule: "FREQ=DAILY;UNTIL=20260602", Duration: time.Hour},
		from:     "2026-05-30T00:00:00Z", to: "2026-06-10T00:00:00Z",
		want: []string{
			"w 2026-06-01T02:00:00+02:00/2026-06-01T03:00:00+02:00",
			"w 2026-06-02T02:00:00+02:00/2026-06-02T03:00:00+02:00",
		},
	}, {
		name:     "COUNT counts from the start",
		schedule: andon.Schedule{Start: "2026-06-01T02:00:00", RRule: "FREQ=WEEKLY;COUNT=3", ExDates: []string{"2026-06-08T02:00:00"}, Duration: time.Hour},
		from:     "2026-06-05T00:00:00Z", to: "2027-01-01T00:00:00Z",
		want: []string{"w 2026-06-15T02:00:00+02:00/2026-06-15T03:00:00+02:00"},
	}, {
		name:     "a start the rule does not produce is no occurrence",
		schedule: andon.Schedule{Start: "2026-06-02T02:00:00", RRule: "FREQ=WEEKLY;BYDAY=SU;COUNT=2", Duration: time.Hour},
		from:     "2026-06-01T00:00:00Z", to: "2026-07-01T00:00:00Z",
		want: []string{
			"w 2026-06-07T02:00:00+02:00/2026-06-07T03:00:00+02:00",
			"w 2026-06-14T02:00:00+02:00/2026-06-14T03:00:00+02:00",
		},
	}, {
		// RFC 5545: a set of instances starts at the beginning of the
		// interval. The week of Tuesday 4 August runs from Monday 3 August,
		// whose BYSETPOS=1 instance is before the start: the first
		// occurrence is Monday 10 August, not Wednesday 5 August.
		name:     "BYSETPOS counts within the whole first week",
		schedule: andon.Schedule{Start: "2026-08-04T23:00:00", RRule: "FREQ=WEEKLY;BYDAY=MO,WE;BYSETPOS=1;COUNT=2", Duration: time.Hour},
		from:     "2026-08-01T00:00:00Z", to: "2026-09-01T00:00:00Z",
		want: []string{
			"w 2026-08-10T23:00:00+02:00/2026-08-11T00:00:00+02:00",
			"w 2026-08-17T23:00:00+02:00/2026-08-18T00:00:00+02:00",
		},
	}, {
		name:     "BYSETPOS from the end of the first week, with WKST",
		schedule: andon.Schedule{Start: "2026-08-04T23:00:00", RRule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,SU;BYSETPOS=-1;WKST=SU", Duration: time.Hour},
		from:     "2026-08-01T00:00:00Z", to: "2026-08-25T00:00:00Z",
		want: []string{
			"w 2026-08-05T23:00:00+02:00/2026-08-06T00:00:00+02:00",
			"w 2026-08-19T23:00:00+02:00/2026-08-20T00:00:00+02:00",
		},
	}, {
		name:     "a single occurrence",
		schedule: andon.Schedule{Start: "2026-06-01T02:00:00", Duration: time.Hour},
		from:     "2026-01-01T00:00:00Z", to: "2027-01-01T00:00:00Z",
		want: []string{"w 2026-06-01T02:00:00+02:00/2026-06-01T03:00:00+02:00"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cat := NewCatalog(t, &andon.Window{Name: "w", Type: andon.WindowMaintenance, Schedules: []andon.Schedule{tt.schedule}})
			c := MustNew(t, cat)
			env := cat.Environment("prod-lyon")
			from, to := MustTime(t, tt.from), MustTime(t, tt.to)
			// Asking twice checks that the occurrences kept from the
			// first query answer the second one alike.
			for range 2 {
				got := Spans(c.Occurrences(env, from, to))
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Fatalf("Occurrences(%s, %s) mismatch (-want +got):\n%s", tt.from, tt.to, diff)
				}
			}
		})
	}
}

func TestNew(t *testing.T) {
	good := andon.Schedule{Start: "2026-01-01T00:00:00", RRule: "FREQ=DAILY", Duration: time.Hour}
	tests := []struct {
		name   string
		window *andon.Window
		want   string
	}{{
		name:   "bad rule",
		window: &andon.Window{Name: "w", Schedules: []andon.Schedule{{Start: "2026-01-01T00:00:00", RRule: "FREQ=SOMETIMES", Duration: time.Hour}}},
		want:   `window "w": rrule: FREQ=SOMETIMES: want YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY, MINUTELY or SECONDLY`,
	}, {
		name:   "bad second schedule",
		window: &andon.Window{Name: "w", Schedules: []andon.Schedule{good, {Start: "2026-01-01", Duration: time.Hour}}},
		want:   `window "w": schedule 2: start: "2026-01-01": want the form 2006-01-02T15:04:05, a local time without offset`,
	}, {
		name:   "nothing",
		window: &andon.Window{Name: "w"},
		want:   `window "w": has neither a schedule nor a one-off span`,
	}, {
		name:   "once ends before it starts",
		window: &andon.Window{Name: "w", Once: &andon.Span{Start: time.Unix(100, 0), End: time.Unix(100, 0)}},
		want:   `window "w": once: the end must be after the start`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := calendar.New(NewCatalog(t, tt.window))
			if got := andon.ErrorCode(err); got != andon.EINVALID {
				t.Fatalf("New: code %q (%v); want %q", got, err, andon.EINVALID)
			}
			if got := andon.ErrorMessage(err); got != tt.want {
				t.Errorf("New: message\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestConcurrentQueries runs queries on one Calendar from several
// goroutines, for the race detector: occurrences are cached inside it.
func TestConcurrentQueries(t *testing.T) {
	cat := slotCatalog(t)
	c := MustNew(t, cat)
	base := MustTime(t, "2026-06-01T00:00:00Z")
	want := Spans(c.Occurrences(cat.Environment("prod-lyon"), base, base.AddDate(0, 2, 0)))
	done := make(chan []string)
	for g := range 4 {
		go func() {
			for i := range 200 {
				at := base.Add(time.Duration(g*1000+i*97) * time.Hour)
				c.Active(cat.Environment("prod-melbourne"), at)
				c.NextSlot(cat.Environment("prod-lyon"), at, time.Hour, 90*24*time.Hour, "", false)
			}
			done <- Spans(c.Occurrences(cat.Environment("prod-lyon"), base, base.AddDate(0, 2, 0)))
		}()
	}
	for range 4 {
		if diff := cmp.Diff(want, <-done); diff != "" {
			t.Errorf("Occurrences after concurrent queries mismatch (-want +got):\n%s", diff)
		}
	}
}

func TestDate(t *testing.T) {
	paris := MustLoadLocation(t, "Europe/Paris")
	santiago := MustLoadLocation(t, "America/Santiago")
	for _, tt := range []struct {
		name string
		got  time.Time
		want string
	}{
		{"an ordinary time", calendar.Date(2026, time.November, 26, 9, 0, 0, paris), "2026-11-26T08:00:00Z"},
		{"skipped: moved forward by the gap", calendar.Date(2026, time.March, 29, 2, 30, 0, paris), "2026-03-29T01:30:00Z"},
		{"shown twice: the earlier", calendar.Date(2026, time.October, 25, 2, 30, 0, paris), "2026-10-25T00:30:00Z"},
		{"a midnight skipped: the day begins at one", calendar.Date(2026, time.September, 6, 0, 0, 0, santiago), "2026-09-06T04:00:00Z"},
	} {
		if got := tt.got.UTC().Format(time.RFC3339); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}
