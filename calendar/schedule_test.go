package calendar_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/teambition/rrule-go"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/calendar"
)

func TestValidateSchedule(t *testing.T) {
	ok := andon.Schedule{Start: "2026-01-30T00:00:00", RRule: "FREQ=MONTHLY;BYMONTHDAY=-2,-1", Duration: 48 * time.Hour, Timezone: "Europe/Paris"}
	with := func(f func(*andon.Schedule)) andon.Schedule {
		s := ok
		f(&s)
		return s
	}
	rule := func(r string) andon.Schedule { return with(func(s *andon.Schedule) { s.RRule = r }) }
	tests := []struct {
		name     string
		schedule andon.Schedule
		want     string // the message, or "" when valid
	}{
		{"the design's month-end freeze", ok, ""},
		{"single occurrence", with(func(s *andon.Schedule) { s.RRule = "" }), ""},
		{"plant zone", with(func(s *andon.Schedule) { s.Timezone = "" }), ""},
		{"lower case rule", rule("freq=weekly;byday=su;wkst=su"), ""},
		{"exception dates", with(func(s *andon.Schedule) { s.ExDates = []string{"2026-02-27T00:00:00"} }), ""},
		{"UNTIL in UTC", rule("FREQ=DAILY;UNTIL=20261231T230000Z"), ""},
		{"numbered weekday", rule("FREQ=MONTHLY;BYDAY=-1FR,+2MO"), ""},
		{"every 15 minutes at night", rule("FREQ=MINUTELY;INTERVAL=15;BYHOUR=1,2,3"), ""},

		{"start with offset", with(func(s *andon.Schedule) { s.Start = "2026-01-30T00:00:00+01:00" }),
			`start: "2026-01-30T00:00:00+01:00": want the form 2006-01-02T15:04:05, a local time without offset`},
		{"start with fraction", with(func(s *andon.Schedule) { s.Start = "2026-01-30T00:00:00.5" }),
			`start: "2026-01-30T00:00:00.5": want the form 2006-01-02T15:04:05, a local time without offset`},
		{"start on a day that does not exist", with(func(s *andon.Schedule) { s.Start = "2025-02-29T00:00:00" }),
			`start: "2025-02-29T00:00:00": day out of range`},
		{"start in year 0", with(func(s *andon.Schedule) { s.Start = "0000-01-30T00:00:00" }),
			`start: "0000-01-30T00:00:00": the year must be 0001 or later`},
		{"start in the last year", with(func(s *andon.Schedule) { s.Start = "2199-12-31T23:00:00"; s.Duration = 8784 * time.Hour }), ""},
		{"start after the last year", with(func(s *andon.Schedule) { s.Start = "2200-01-01T00:00:00" }),
			`start: "2200-01-01T00:00:00": the year must be 2199 or earlier`},
		{"start ending after the year 9999", with(func(s *andon.Schedule) { s.Start = "9999-12-31T23:00:00"; s.RRule = ""; s.Duration = 8784 * time.Hour }),
			`start: "9999-12-31T23:00:00": the year must be 2199 or earlier`},
		{"no duration", with(func(s *andon.Schedule) { s.Duration = 0 }), "duration: must be positive, not 0s"},
		{"negative duration", with(func(s *andon.Schedule) { s.Duration = -time.Hour }), "duration: must be positive, not -1h"},
		{"duration over a year", with(func(s *andon.Schedule) { s.Duration = 400 * 24 * time.Hour }),
			"duration: 9600h is longer than 8784h; use a one-off span instead"},
		{"days on the wall clock", with(func(s *andon.Schedule) { s.Duration, s.WallDuration = 0, 48*time.Hour }), ""},
		{"days on the wall clock, then hours elapsed", with(func(s *andon.Schedule) { s.Duration, s.WallDuration = 2*time.Hour, 48*time.Hour }), ""},
		{"a wall time's length", with(func(s *andon.Schedule) { s.Duration, s.WallDuration = 0, 8*time.Hour }), ""},
		{"negative length on the wall clock", with(func(s *andon.Schedule) { s.WallDuration = -time.Hour }),
			"duration: the length on the wall clock must not be negative, not -1h"},
		{"negative duration after days on the wall clock", with(func(s *andon.Schedule) { s.Duration, s.WallDuration = -time.Hour, 48*time.Hour }),
			"duration: must not be negative, not -1h"},
		{"over a year on the wall clock and elapsed", with(func(s *andon.Schedule) { s.Duration, s.WallDuration = 48*time.Hour, 365*24*time.Hour }),
			"duration: 8808h is longer than 8784h; use a one-off span instead"},
		{"elapsed time after a wall length of part of a day", with(func(s *andon.Schedule) { s.Duration, s.WallDuration = time.Hour, 8*time.Hour }),
			"duration: a length on the wall clock of 8h, not whole days, takes no elapsed time after it, not 1h"},
		{"a fraction of a second on the wall clock", with(func(s *andon.Schedule) { s.Duration, s.WallDuration = 0, time.Hour+time.Millisecond }),
			"duration: the length on the wall clock must be whole seconds, not 1h0m0.001s"},
		{"unknown zone", with(func(s *andon.Schedule) { s.Timezone = "Europe/Lyon" }),
			`timezone: "Europe/Lyon" is not a known IANA time zone such as Europe/Paris`},
		{"machine zone", with(func(s *andon.Schedule) { s.Timezone = "Local" }), `timezone: "Local" depends on the machine; name an IANA time zone such as Europe/Paris`},
		{"machine zone file", with(func(s *andon.Schedule) { s.Timezone = "localtime" }), `timezone: "localtime" depends on the machine; name an IANA time zone such as Europe/Paris`},
		{"machine's default rules", with(func(s *andon.Schedule) { s.Timezone = "posixrules" }), `timezone: "posixrules" depends on the machine; name an IANA time zone such as Europe/Paris`},
		{"machine's copy of a zone", with(func(s *andon.Schedule) { s.Timezone = "posix/Europe/Paris" }), `timezone: "posix/Europe/Paris" depends on the machine; name an IANA time zone such as Europe/Paris`},
		{"zone with leap seconds", with(func(s *andon.Schedule) { s.Timezone = "right/Europe/Paris" }), `timezone: "right/Europe/Paris" depends on the machine; name an IANA time zone such as Europe/Paris`},
		{"bad exception date", with(func(s *andon.Schedule) { s.ExDates = []string{"2026-02-27T00:00:00", "2026-03-30"} }),
			`exdates: [1]: "2026-03-30": want the form 2006-01-02T15:04:05, a local time without offset`},

		{"prefix", rule("RRULE:FREQ=DAILY"), `rrule: leave out the "RRULE:" prefix`},
		{"no FREQ", rule("BYDAY=MO"), "rrule: FREQ is required"},
		{"unknown FREQ", rule("FREQ=FORTNIGHTLY"), "rrule: FREQ=FORTNIGHTLY: want YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY, MINUTELY or SECONDLY"},
		{"unknown part", rule("FREQ=DAILY;BYEASTER=0"), "rrule: BYEASTER is not a part of an RFC 5545 rule"},
		{"DTSTART inside", rule("FREQ=DAILY;DTSTART=20260101T000000"), "rrule: DTSTART is not a part of an RFC 5545 rule"},
		{"twice", rule("FREQ=DAILY;FREQ=WEEKLY"), "rrule: FREQ is given twice"},
		{"empty part", rule("FREQ=DAILY;"), `rrule: "" is not a KEY=VALUE part`},
		{"newline", rule("FREQ=DAILY\nCOUNT=2"), `rrule: '\n' is not allowed in a rule`},
		{"zero interval", rule("FREQ=DAILY;INTERVAL=0"), `rrule: INTERVAL: "0" is not between 1 and 1000000`},
		{"zero count", rule("FREQ=DAILY;COUNT=0"), `rrule: COUNT: "0" is not between 1 and 10000`},
		{"huge count", rule("FREQ=DAILY;COUNT=99999999999999999999"), `rrule: COUNT: "99999999999999999999" is not between 1 and 10000`},
		{"count and until", rule("FREQ=DAILY;COUNT=2;UNTIL=20270101"), "rrule: COUNT and UNTIL exclude each other"},
		{"bad until", rule("FREQ=DAILY;UNTIL=2027-01-01"), "rrule: UNTIL=2027-01-01: want the form 20060102T150405"},
		{"month day 0", rule("FREQ=MONTHLY;BYMONTHDAY=0"), `rrule: BYMONTHDAY: "0" is not between 1 and 31 or -31 and -1`},
		{"hour 24", rule("FREQ=DAILY;BYHOUR=24"), `rrule: BYHOUR: "24" is not between 0 and 23`},
		{"bad weekday", rule("FREQ=WEEKLY;BYDAY=XX"), `rrule: BYDAY: "XX" is not a weekday: want MO, TU, WE, TH, FR, SA or SU`},
		{"numbered weekday weekly", rule("FREQ=WEEKLY;BYDAY=1MO"), "rrule: BYDAY=+1MO: a numbered weekday needs FREQ=MONTHLY, or FREQ=YEARLY without BYWEEKNO"},
		{"week number monthly", rule("FREQ=MONTHLY;BYWEEKNO=1"), "rrule: BYWEEKNO needs FREQ=YEARLY"},
		{"month day weekly", rule("FREQ=WEEKLY;BYMONTHDAY=1"), "rrule: BYMONTHDAY cannot be used with FREQ=WEEKLY"},
		{"year day daily", rule("FREQ=DAILY;BYYEARDAY=1"), "rrule: BYYEARDAY cannot be used with FREQ=DAILY"},
		{"set position alone", rule("FREQ=MONTHLY;BYSETPOS=1"), "rrule: BYSETPOS needs another BY part"},
		{"set position hourly", rule("FREQ=HOURLY;BYSETPOS=2;BYMINUTE=1"), "rrule: BYSETPOS needs FREQ=DAILY or a longer period"},
		{"too many times of day", rule("FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12;BYMINUTE=0,10,20,30,40,50,59;BYSECOND=0,30"),
			"rrule: BYHOUR, BYMINUTE and BYSECOND make 182 times of day; at most 96 are allowed"},
		{"unreachable hour", with(func(s *andon.Schedule) { s.Start = "2026-01-01T00:00:00"; s.RRule = "FREQ=HOURLY;INTERVAL=2;BYHOUR=1" }),
			"rrule: with FREQ=HOURLY and INTERVAL=2 from the start's time of day, no step reaches the BYHOUR, BYMINUTE or BYSECOND values"},
		{"unreachable minute", with(func(s *andon.Schedule) {
			s.Start = "2026-01-01T00:00:00"
			s.RRule = "FREQ=MINUTELY;INTERVAL=30;BYMINUTE=15"
		}),
			"rrule: with FREQ=MINUTELY and INTERVAL=30 from the start's time of day, no step reaches the BYHOUR, BYMINUTE or BYSECOND values"},
		{"never", rule("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"), "rrule: produces no occurrence within 400 years of the start"},
		{"never, daily", rule("FREQ=DAILY;BYMONTH=4;BYMONTHDAY=31"), "rrule: produces no occurrence within 400 years of the start"},
		{"ended before the start", rule("FREQ=DAILY;UNTIL=20250101"), "rrule: produces no occurrence within 400 years of the start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := calendar.ValidateSchedule(tt.schedule)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("ValidateSchedule: %v; want nil", err)
				}
				return
			}
			if got := andon.ErrorCode(err); got != andon.EINVALID {
				t.Fatalf("ValidateSchedule: code %q (%v); want %q", got, err, andon.EINVALID)
			}
			if got := andon.ErrorMessage(err); got != tt.want {
				t.Errorf("ValidateSchedule: message\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestOccurrencesMatchRRule compares the occurrences of many rules, asked
// about in ranges far from their start, with rrule-go expanding each rule
// from its DTSTART, the definition the package must keep to however it
// gets there.
func TestOccurrencesMatchRRule(t *testing.T) {
	rules := []struct {
		start, rule string
		span        time.Duration // of a query
	}{
		{"1999-12-31T23:59:59", "FREQ=YEARLY;BYMONTH=1,7;BYDAY=1MO", 400 * 24 * time.Hour},
		{"2001-01-01T06:00:00", "FREQ=YEARLY;BYWEEKNO=1,20,53;BYDAY=MO", 400 * 24 * time.Hour},
		{"2003-02-01T00:00:00", "FREQ=YEARLY;BYYEARDAY=1,100,-1", 400 * 24 * time.Hour},
		{"2004-02-29T12:00:00", "FREQ=YEARLY;INTERVAL=4", 2000 * 24 * time.Hour},
		{"2010-01-31T08:00:00", "FREQ=MONTHLY;INTERVAL=5;BYMONTHDAY=31", 400 * 24 * time.Hour},
		{"2011-03-25T18:00:00", "FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=6,18", 100 * 24 * time.Hour},
		{"2012-05-01T09:30:00", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2", 100 * 24 * time.Hour},
		{"2013-06-02T02:00:00", "FREQ=WEEKLY;INTERVAL=3;BYDAY=MO,SU;WKST=SU", 60 * 24 * time.Hour},
		{"2014-07-03T23:00:00", "FREQ=WEEKLY;INTERVAL=2;WKST=WE", 60 * 24 * time.Hour},
		{"2015-02-01T00:00:00", "FREQ=DAILY;INTERVAL=10;BYMONTH=2,3", 100 * 24 * time.Hour},
		{"2016-01-01T01:05:00", "FREQ=DAILY;BYHOUR=1,13;BYMINUTE=5,35", 10 * 24 * time.Hour},
		{"2017-01-01T03:00:00", "FREQ=DAILY;BYHOUR=3,9,15,21;BYSETPOS=1,-1", 10 * 24 * time.Hour},
		{"2018-01-06T00:00:00", "FREQ=HOURLY;INTERVAL=7;BYDAY=SA", 30 * 24 * time.Hour},
		{"2019-01-01T03:11:00", "FREQ=MINUTELY;INTERVAL=97;BYHOUR=3,4", 5 * 24 * time.Hour},
		{"2020-01-01T00:00:07", "FREQ=SECONDLY;INTERVAL=3607", 3 * 24 * time.Hour},
		{"2021-03-01T10:00:00", "FREQ=DAILY;UNTIL=20330101T000000", 200 * 24 * time.Hour},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, r := range rules {
		t.Run(r.rule, func(t *testing.T) {
			cat := NewCatalog(t, &andon.Window{Name: "w", Schedules: []andon.Schedule{{Start: r.start, RRule: r.rule, Duration: time.Second, Timezone: "UTC"}}})
			c := MustNew(t, cat)
			env := cat.Environment("prod-lyon")
			start, err := time.Parse(andon.WallLayout, r.start)
			if err != nil {
				t.Fatal(err)
			}
			opt, err := rrule.StrToROption(r.rule)
			if err != nil {
				t.Fatal(err)
			}
			opt.Dtstart = start
			oracle, err := rrule.NewRRule(*opt)
			if err != nil {
				t.Fatal(err)
			}
			for range 6 {
				from := start.Add(time.Duration(rng.Int64N(int64(15*365*24*time.Hour))) - 30*24*time.Hour).Truncate(time.Second)
				to := from.Add(r.span)
				var want []string
				for _, o := range oracle.Between(from, to.Add(-time.Second), true) {
					want = append(want, o.Format(time.RFC3339))
				}
				var got []string
				for _, o := range c.Occurrences(env, from, to) {
					got = append(got, o.Start.Format(time.RFC3339))
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("Occurrences(%s, %s) mismatch (-rrule-go +got):\n%s", from.Format(time.RFC3339), to.Format(time.RFC3339), diff)
				}
			}
		})
	}
}

// TestOccurrencesBounded checks that a rule recurring more often than a
// query can hold is cut off rather than expanded without end.
func TestOccurrencesBounded(t *testing.T) {
	cat := NewCatalog(t, &andon.Window{Name: "w", Schedules: []andon.Schedule{{Start: "2026-01-01T00:00:00", RRule: "FREQ=SECONDLY", Duration: time.Second, Timezone: "UTC"}}})
	c := MustNew(t, cat)
	from := MustTime(t, "2026-06-01T00:00:00Z")
	occs := c.Occurrences(cat.Environment("prod-lyon"), from, from.AddDate(1, 0, 0))
	if n := len(occs); n < 9000 || n > 10000 {
		t.Fatalf("len(Occurrences over a year of seconds) = %d; want about 10000, and no more", n)
	}
	for i, o := range occs {
		if want := from.Add(time.Duration(i) * time.Second); !o.Start.Equal(want) {
			t.Fatalf("occurrence %d starts %s; want %s", i, o.Start, want)
		}
	}
}

func ExampleValidateSchedule() {
	err := calendar.ValidateSchedule(andon.Schedule{
		Start:    "2026-01-04T02:00:00",
		RRule:    "FREQ=WEEKLY;BYDAY=SU;BYMONTHDAY=1",
		Duration: 4 * time.Hour,
	})
	fmt.Println(andon.ErrorMessage(err))
	// Output: rrule: BYMONTHDAY cannot be used with FREQ=WEEKLY
}

func TestUnmatchedExDates(t *testing.T) {
	for _, tt := range []struct {
		name string
		s    andon.Schedule
		want []string // "index: message"
	}{
		{"times of day of a rule with several", andon.Schedule{Start: "2026-03-28T00:00:00", RRule: "FREQ=DAILY;BYHOUR=1,2,3;BYMINUTE=30",
			ExDates: []string{"2026-03-29T02:00:00", "2026-03-29T02:30:00"}, Duration: 30 * time.Minute},
			[]string{`0: "2026-03-29T02:00:00" is not the start of an occurrence, so it excludes nothing: that day its occurrences start at 01:30:00, 02:30:00, 03:30:00`}},
		{"after an UNTIL in UTC, in the schedule's zone", andon.Schedule{Start: "2026-03-01T02:00:00", RRule: "FREQ=DAILY;UNTIL=20260310T000000Z",
			ExDates: []string{"2026-03-09T02:00:00", "2026-03-10T02:00:00"}, Duration: time.Hour, Timezone: "Europe/Paris"},
			[]string{`1: "2026-03-10T02:00:00" is not the start of an occurrence, so it excludes nothing: the schedule has no occurrence that day, nor after it`}},
		{"the start of a single occurrence", andon.Schedule{Start: "2026-03-01T02:00:00", ExDates: []string{"2026-03-01T02:00:00"}, Duration: time.Hour}, nil},
		{"whatever the duration", andon.Schedule{Start: "2026-01-04T02:00:00", RRule: "FREQ=WEEKLY", ExDates: []string{"2026-01-05T02:00:00"}},
			[]string{`0: "2026-01-05T02:00:00" is not the start of an occurrence, so it excludes nothing: the schedule has no occurrence that day; the next starts at 2026-01-11T02:00:00`}},
		{"a day without an occurrence names the next, months ahead", andon.Schedule{Start: "2026-01-30T00:00:00", RRule: "FREQ=YEARLY;BYMONTH=1,7;BYMONTHDAY=-1",
			ExDates: []string{"2026-06-30T00:00:00"}, Duration: 24 * time.Hour, Timezone: "Europe/Paris"},
			[]string{`0: "2026-06-30T00:00:00" is not the start of an occurrence, so it excludes nothing: the schedule has no occurrence that day; the next starts at 2026-07-31T00:00:00`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range calendar.UnmatchedExDates(tt.s) {
				if p.Field != "exdates" {
					t.Errorf("problem of field %s, want exdates", p.Field)
				}
				got = append(got, fmt.Sprintf("%d: %s", p.Index, p.Message))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("UnmatchedExDates mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
