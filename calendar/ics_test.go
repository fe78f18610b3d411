package calendar_test

import (
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/calendar"
)

// MustParseICS parses an iCalendar file of testdata or fails the test.
func MustParseICS(tb testing.TB, file string) []andon.Schedule {
	tb.Helper()
	data, err := os.ReadFile("testdata/" + file)
	if err != nil {
		tb.Fatal(err)
	}
	schedules, err := calendar.ParseICS(file, data)
	if err != nil {
		tb.Fatalf("ParseICS: %v", err)
	}
	return schedules
}

// TestParseICSFile reads a calendar as a plant would export it: CRLF line
// ends, a VTIMEZONE, TZID parameters (one quoted), EXDATE lists in local
// time and in UTC, folded lines, an alarm, a moved occurrence, RDATEs and a
// cancelled event; then checks the occurrences it stands for.
func TestParseICSFile(t *testing.T) {
	schedules := MustParseICS(t, "lyon-2027.ics")
	want := []andon.Schedule{{
		Start: "2027-01-03T02:00:00", RRule: "FREQ=WEEKLY;BYDAY=SU;UNTIL=20271226T235959Z",
		ExDates: []string{
			"2027-03-28T02:00:00", "2027-10-31T02:00:00", "2027-12-26T02:00:00",
			"2027-01-10T02:00:00", "2027-06-06T02:00:00",
		},
		WallDuration: 4 * time.Hour, Timezone: "Europe/Paris",
	}, {
		Start: "2027-06-05T22:00:00", WallDuration: 4 * time.Hour, Timezone: "Europe/Paris",
	}, {
		Start: "2027-01-30T00:00:00", RRule: "FREQ=MONTHLY;BYMONTHDAY=-2,-1", WallDuration: 48 * time.Hour,
	}, {
		Start: "2027-12-24T00:00:00", WallDuration: 10 * 24 * time.Hour,
	}, {
		Start: "2027-06-08T22:00:00", RRule: "FREQ=MONTHLY;BYDAY=2TU;COUNT=6", Duration: 4 * time.Hour, Timezone: "UTC",
	}, {
		Start: "2027-09-20T08:00:00", WallDuration: 10 * time.Hour, Timezone: "Europe/Paris",
	}, {
		Start: "2027-09-21T08:00:00", WallDuration: 10 * time.Hour, Timezone: "Europe/Paris",
	}, {
		Start: "2027-09-22T08:00:00", WallDuration: 10 * time.Hour, Timezone: "Europe/Paris",
	}}
	if diff := cmp.Diff(want, schedules); diff != "" {
		t.Fatalf("ParseICS mismatch (-want +got):\n%s", diff)
	}

	cat := NewCatalog(t, &andon.Window{Name: "lyon", Type: andon.WindowMaintenance, Schedules: schedules, ICS: "lyon-2027.ics"})
	c := MustNew(t, cat)
	tests := []struct {
		name     string
		env      string
		from, to string
		want     []string
	}{{
		name: "the weekend clocks spring forward is excluded",
		env:  "prod-lyon", from: "2027-03-27T00:00:00+01:00", to: "2027-04-05T00:00:00+02:00",
		want: []string{
			"lyon 2027-03-30T00:00:00+02:00/2027-04-01T00:00:00+02:00",
			"lyon 2027-03-31T00:00:00+02:00/2027-04-02T00:00:00+02:00",
			"lyon 2027-04-04T02:00:00+02:00/2027-04-04T06:00:00+02:00",
		},
	}, {
		name: "the Sunday of the open day moved to Saturday night; the inventory in UTC",
		env:  "prod-lyon", from: "2027-06-05T00:00:00+02:00", to: "2027-06-10T00:00:00+02:00",
		want: []string{
			"lyon 2027-06-05T22:00:00+02:00/2027-06-06T02:00:00+02:00",
			"lyon 2027-06-08T22:00:00Z/2027-06-09T02:00:00Z",
		},
	}, {
		name: "an exception date given in UTC",
		env:  "prod-lyon", from: "2027-01-09T00:00:00+01:00", to: "2027-01-18T00:00:00+01:00",
		want: []string{"lyon 2027-01-17T02:00:00+01:00/2027-01-17T06:00:00+01:00"},
	}, {
		name: "all-day events follow the plant, timed ones their TZID",
		env:  "prod-melbourne", from: "2027-09-20T00:00:00+02:00", to: "2027-10-01T00:00:00+10:00",
		want: []string{
			"lyon 2027-09-20T08:00:00+02:00/2027-09-20T18:00:00+02:00",
			"lyon 2027-09-21T08:00:00+02:00/2027-09-21T18:00:00+02:00",
			"lyon 2027-09-22T08:00:00+02:00/2027-09-22T18:00:00+02:00",
			"lyon 2027-09-26T02:00:00+02:00/2027-09-26T06:00:00+02:00",
			"lyon 2027-09-29T00:00:00+10:00/2027-10-01T00:00:00+10:00",
			"lyon 2027-09-30T00:00:00+10:00/2027-10-02T00:00:00+10:00",
		},
	}, {
		name: "the count ends the inventory, UNTIL the Sundays; the shutdown spans the new year",
		env:  "prod-lyon", from: "2027-11-01T00:00:00+01:00", to: "2028-01-15T00:00:00+01:00",
		want: []string{
			// Two days from midnight to midnight, 49 hours long.
			"lyon 2027-10-31T00:00:00+02:00/2027-11-02T00:00:00+01:00",
			"lyon 2027-11-07T02:00:00+01:00/2027-11-07T06:00:00+01:00",
			"lyon 2027-11-09T22:00:00Z/2027-11-10T02:00:00Z",
			"lyon 2027-11-14T02:00:00+01:00/2027-11-14T06:00:00+01:00",
			"lyon 2027-11-21T02:00:00+01:00/2027-11-21T06:00:00+01:00",
			"lyon 2027-11-28T02:00:00+01:00/2027-11-28T06:00:00+01:00",
			"lyon 2027-11-29T00:00:00+01:00/2027-12-01T00:00:00+01:00",
			"lyon 2027-11-30T00:00:00+01:00/2027-12-02T00:00:00+01:00",
			"lyon 2027-12-05T02:00:00+01:00/2027-12-05T06:00:00+01:00",
			"lyon 2027-12-12T02:00:00+01:00/2027-12-12T06:00:00+01:00",
			"lyon 2027-12-19T02:00:00+01:00/2027-12-19T06:00:00+01:00",
			"lyon 2027-12-24T00:00:00+01:00/2028-01-03T00:00:00+01:00",
			"lyon 2027-12-30T00:00:00+01:00/2028-01-01T00:00:00+01:00",
			"lyon 2027-12-31T00:00:00+01:00/2028-01-02T00:00:00+01:00",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Spans(c.Occurrences(cat.Environment(tt.env), MustTime(t, tt.from), MustTime(t, tt.to)))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Occurrences(%s, %s) mismatch (-want +got):\n%s", tt.from, tt.to, diff)
			}
		})
	}
}

// TestParseICSLengthsOnTheWallClock: an all-day event lasts from midnight
// to midnight, the days of DURATION count on the wall clock (RFC 5545's
// nominal days), and DTEND in DTSTART's zone is a wall time, also on the
// nights clocks change. An hour of freeze was missed when a day of 25
// hours was counted as 24.
func TestParseICSLengthsOnTheWallClock(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		env      string
		from, to string
		want     []string
	}{{
		name: "a weekend freeze over the night Paris falls back",
		data: ics("DTSTART;VALUE=DATE:20261024", "DTEND;VALUE=DATE:20261026"),
		env:  "prod-lyon", from: "2026-10-20T00:00:00Z", to: "2026-10-30T00:00:00Z",
		want: []string{"w 2026-10-24T00:00:00+02:00/2026-10-26T00:00:00+01:00"},
	}, {
		name: "every Sunday all day, when Paris springs forward and falls back",
		data: ics("DTSTART;VALUE=DATE:20260301", "DTEND;VALUE=DATE:20260302", "RRULE:FREQ=WEEKLY;BYDAY=SU"),
		env:  "prod-lyon", from: "2026-03-28T00:00:00Z", to: "2026-03-30T12:00:00Z",
		want: []string{"w 2026-03-29T00:00:00+01:00/2026-03-30T00:00:00+02:00"},
	}, {
		name: "an all-day event without DTEND, the day Melbourne falls back",
		data: ics("DTSTART;VALUE=DATE:20260405"),
		env:  "prod-melbourne", from: "2026-04-01T00:00:00Z", to: "2026-04-10T00:00:00Z",
		want: []string{"w 2026-04-05T00:00:00+11:00/2026-04-06T00:00:00+10:00"},
	}, {
		name: "DURATION in days and hours: the days on the wall clock, then the hours elapsed",
		data: ics("DTSTART;TZID=Europe/Paris:20260328T120000", "DURATION:P1DT2H"),
		env:  "prod-lyon", from: "2026-03-20T00:00:00Z", to: "2026-04-01T00:00:00Z",
		want: []string{"w 2026-03-28T12:00:00+01:00/2026-03-29T14:00:00+02:00"},
	}, {
		name: "a one-off night freeze ends at its DTEND the night Paris falls back",
		data: ics("DTSTART;TZID=Europe/Paris:20261024T220000", "DTEND;TZID=Europe/Paris:20261025T060000"),
		env:  "prod-lyon", from: "2026-10-20T00:00:00Z", to: "2026-10-30T00:00:00Z",
		want: []string{"w 2026-10-24T22:00:00+02:00/2026-10-25T06:00:00+01:00"},
	}, {
		name: "a weekly night freeze ends at 06:00 whatever the clocks do",
		data: ics("DTSTART;TZID=Europe/Paris:20260321T220000", "DTEND;TZID=Europe/Paris:20260322T060000", "RRULE:FREQ=WEEKLY;COUNT=2",
			"RDATE;TZID=Europe/Paris:20261024T220000"),
		env: "prod-lyon", from: "2026-01-01T00:00:00Z", to: "2027-01-01T00:00:00Z",
		want: []string{
			"w 2026-03-21T22:00:00+01:00/2026-03-22T06:00:00+01:00",
			"w 2026-03-28T22:00:00+01:00/2026-03-29T06:00:00+02:00",
			"w 2026-10-24T22:00:00+02:00/2026-10-25T06:00:00+01:00",
		},
	}, {
		name: "DTEND in another zone is an instant: the length is elapsed time",
		data: ics("DTSTART;TZID=Europe/Paris:20261024T220000", "DTEND:20261025T050000Z", "RRULE:FREQ=WEEKLY;COUNT=2"),
		env:  "prod-lyon", from: "2026-10-20T00:00:00Z", to: "2026-11-10T00:00:00Z",
		want: []string{
			"w 2026-10-24T22:00:00+02:00/2026-10-25T06:00:00+01:00",
			"w 2026-10-31T22:00:00+01:00/2026-11-01T07:00:00+01:00",
		},
	}, {
		name: "a period in one zone ends at its wall end",
		data: ics("DTSTART;TZID=Europe/Paris:20260101T020000", "DURATION:PT1H",
			"RDATE;VALUE=PERIOD;TZID=Europe/Paris:20261024T220000/20261025T060000"),
		env: "prod-lyon", from: "2026-10-20T00:00:00Z", to: "2026-10-30T00:00:00Z",
		want: []string{"w 2026-10-24T22:00:00+02:00/2026-10-25T06:00:00+01:00"},
	}, {
		name: "a start in the gap moves forward, past its wall end: the wall length elapses",
		data: ics("DTSTART;TZID=Europe/Paris:20260329T023000", "DTEND;TZID=Europe/Paris:20260329T030000"),
		env:  "prod-lyon", from: "2026-03-28T00:00:00Z", to: "2026-03-30T00:00:00Z",
		want: []string{"w 2026-03-29T03:30:00+02:00/2026-03-29T04:00:00+02:00"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			schedules, err := calendar.ParseICS("t.ics", []byte(tt.data))
			if err != nil {
				t.Fatalf("ParseICS: %v", err)
			}
			cat := NewCatalog(t, &andon.Window{Name: "w", Type: andon.WindowFreeze, Schedules: schedules})
			c := MustNew(t, cat)
			env := cat.Environment(tt.env)
			got := Spans(c.Occurrences(env, MustTime(t, tt.from), MustTime(t, tt.to)))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("Occurrences mismatch (-want +got):\n%s", diff)
			}
			// The last second of each occurrence is frozen, and the
			// first one after it is not.
			for _, o := range c.Occurrences(env, MustTime(t, tt.from), MustTime(t, tt.to)) {
				if len(c.Active(env, o.End.Add(-time.Second))) != 1 {
					t.Errorf("Active(%s) is empty; the freeze runs until %s", o.End.Add(-time.Second), o.End)
				}
				if active := c.Active(env, o.End); len(active) != 0 {
					t.Errorf("Active(%s) = %v; the freeze ended", o.End, Spans(active))
				}
			}
		})
	}
}

// TestParseICSOutlook reads a calendar as Outlook exports it: Windows
// zone names (quoted or not) with their VTIMEZONE, a moved and a
// cancelled occurrence, Exchange's all-day exception named by a midnight
// in a Windows zone, all-day events marked free (TRANSP:TRANSPARENT),
// lines folded inside a UTF-8 character, CRLF line ends.
func TestParseICSOutlook(t *testing.T) {
	schedules := MustParseICS(t, "outlook-2026.ics")
	want := []andon.Schedule{{
		Start: "2026-01-04T02:00:00", RRule: "FREQ=WEEKLY;UNTIL=20261227T010000Z;INTERVAL=1;BYDAY=SU;WKST=MO",
		ExDates:      []string{"2026-03-29T02:00:00", "2026-12-27T02:00:00", "2026-06-07T02:00:00", "2026-10-25T02:00:00"},
		WallDuration: 4 * time.Hour, Timezone: "Europe/Paris",
	}, {
		Start: "2026-06-06T22:00:00", WallDuration: 4 * time.Hour, Timezone: "Europe/Paris",
	}, {
		Start: "2026-01-01T00:00:00", RRule: "FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1", ExDates: []string{"2027-01-01T00:00:00"}, WallDuration: 24 * time.Hour,
	}, {
		Start: "2027-01-01T00:00:00", WallDuration: 48 * time.Hour,
	}, {
		Start: "2026-10-24T00:00:00", WallDuration: 48 * time.Hour,
	}, {
		Start: "2026-01-04T02:00:00", RRule: "FREQ=WEEKLY;COUNT=52;BYDAY=SU", WallDuration: 4 * time.Hour, Timezone: "Australia/Sydney",
	}}
	if diff := cmp.Diff(want, schedules); diff != "" {
		t.Fatalf("ParseICS mismatch (-want +got):\n%s", diff)
	}

	cat := NewCatalog(t, &andon.Window{Name: "w", Type: andon.WindowFreeze, Schedules: schedules})
	c := MustNew(t, cat)
	tests := []struct {
		name     string
		env      string
		from, to string
		want     []string
	}{{
		name: "the Sunday moved to Saturday night; Geelong's Sunday, the same day",
		env:  "prod-lyon", from: "2026-06-05T00:00:00+02:00", to: "2026-06-09T00:00:00+02:00",
		want: []string{
			"w 2026-06-07T02:00:00+10:00/2026-06-07T06:00:00+10:00",
			"w 2026-06-06T22:00:00+02:00/2026-06-07T02:00:00+02:00",
		},
	}, {
		name: "the Sunday clocks fall back is cancelled; the shutdown lasts to midnight",
		env:  "prod-lyon", from: "2026-10-23T00:00:00+02:00", to: "2026-10-27T00:00:00+01:00",
		want: []string{
			"w 2026-10-24T00:00:00+02:00/2026-10-26T00:00:00+01:00",
			"w 2026-10-25T02:00:00+11:00/2026-10-25T06:00:00+11:00",
		},
	}, {
		name: "Exchange's exception of New Year's Day",
		env:  "prod-lyon", from: "2026-12-31T00:00:00+01:00", to: "2027-01-04T00:00:00+01:00",
		want: []string{"w 2027-01-01T00:00:00+01:00/2027-01-03T00:00:00+01:00"},
	}, {
		name: "AUS Eastern Standard Time is Sydney's, on the nights its clocks change; Lyon's Sunday too",
		env:  "prod-melbourne", from: "2026-04-04T00:00:00+11:00", to: "2026-04-06T00:00:00+10:00",
		want: []string{
			"w 2026-04-05T02:00:00+11:00/2026-04-05T06:00:00+10:00",
			"w 2026-04-05T02:00:00+02:00/2026-04-05T06:00:00+02:00",
		},
	}, {
		name: "AUS Eastern Standard Time, spring forward",
		env:  "prod-melbourne", from: "2026-10-03T00:00:00+10:00", to: "2026-10-05T00:00:00+11:00",
		want: []string{
			"w 2026-10-04T03:00:00+11:00/2026-10-04T06:00:00+11:00",
			"w 2026-10-04T02:00:00+02:00/2026-10-04T06:00:00+02:00",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Spans(c.Occurrences(cat.Environment(tt.env), MustTime(t, tt.from), MustTime(t, tt.to)))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Occurrences(%s, %s) mismatch (-want +got):\n%s", tt.from, tt.to, diff)
			}
		})
	}
}

// TestParseICSWindowsZones: a Windows zone name is read as the IANA zone
// CLDR gives for it, with the VTIMEZONE that Outlook writes, an empty one
// (Outlook.com) or none; its times may be mixed with the IANA zone's.
func TestParseICSWindowsZones(t *testing.T) {
	vtimezone := "BEGIN:VTIMEZONE\nTZID:W. Europe Standard Time\n" +
		"BEGIN:STANDARD\nDTSTART:16010101T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nRRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10\nEND:STANDARD\n" +
		"BEGIN:DAYLIGHT\nDTSTART:16010101T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\nRRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3\nEND:DAYLIGHT\n" +
		"END:VTIMEZONE\n"
	event := "BEGIN:VEVENT\nUID:a\nDTSTART;TZID=W. Europe Standard Time:20260104T020000\nDTEND;TZID=Europe/Berlin:20260104T060000\n" +
		"RRULE:FREQ=WEEKLY\nEXDATE;TZID=\"W. Europe Standard Time\":20260111T020000\nEND:VEVENT\n"
	want := []andon.Schedule{{Start: "2026-01-04T02:00:00", RRule: "FREQ=WEEKLY", ExDates: []string{"2026-01-11T02:00:00"}, WallDuration: 4 * time.Hour, Timezone: "Europe/Berlin"}}
	for name, data := range map[string]string{
		"with its VTIMEZONE": "BEGIN:VCALENDAR\n" + vtimezone + event + "END:VCALENDAR\n",
		"exported in 2030":   "BEGIN:VCALENDAR\n" + vtimezone + strings.Replace(event, "UID:a\n", "UID:a\nDTSTAMP:20300101T000000Z\n", 1) + "END:VCALENDAR\n",
		"VTIMEZONE after":    "BEGIN:VCALENDAR\n" + event + vtimezone + "END:VCALENDAR\n",
		"an empty VTIMEZONE": "BEGIN:VCALENDAR\nBEGIN:VTIMEZONE\nTZID:W. Europe Standard Time\nEND:VTIMEZONE\n" + event + "END:VCALENDAR\n",
		"no VTIMEZONE":       "BEGIN:VCALENDAR\n" + event + "END:VCALENDAR\n",
	} {
		t.Run(name, func(t *testing.T) {
			got, err := calendar.ParseICS("t.ics", []byte(data))
			if err != nil {
				t.Fatalf("ParseICS: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ParseICS mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseICSWindowsZoneOfAnOldSeries: Outlook writes the rules of the
// day of the export for every year, so a series begun before the zone's
// rules changed is compared with the IANA zone at its own times and in
// the years of the export, not in the years in between.
func TestParseICSWindowsZoneOfAnOldSeries(t *testing.T) {
	data := "BEGIN:VCALENDAR\nMETHOD:PUBLISH\n" +
		// The rules of the United States since 2007.
		"BEGIN:VTIMEZONE\nTZID:Eastern Standard Time\n" +
		"BEGIN:STANDARD\nDTSTART:16010101T020000\nTZOFFSETFROM:-0400\nTZOFFSETTO:-0500\nRRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11\nEND:STANDARD\n" +
		"BEGIN:DAYLIGHT\nDTSTART:16010101T020000\nTZOFFSETFROM:-0500\nTZOFFSETTO:-0400\nRRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3\nEND:DAYLIGHT\n" +
		"END:VTIMEZONE\n" +
		"BEGIN:VEVENT\nUID:independence-day\nDTSTAMP:20260115T120000Z\n" +
		"DTSTART;TZID=Eastern Standard Time:20050704T000000\nDTEND;TZID=Eastern Standard Time:20050705T000000\nRRULE:FREQ=YEARLY\nEND:VEVENT\n" +
		"END:VCALENDAR\n"
	got, err := calendar.ParseICS("t.ics", []byte(data))
	if err != nil {
		t.Fatalf("ParseICS: %v", err)
	}
	want := []andon.Schedule{{Start: "2005-07-04T00:00:00", RRule: "FREQ=YEARLY", WallDuration: 24 * time.Hour, Timezone: "America/New_York"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseICS mismatch (-want +got):\n%s", diff)
	}
}

// TestParseICSWindowsZoneOfMovingRules: Morocco changes its clocks
// around Ramadan, on other days every year, so Outlook writes the rule of
// one year for Morocco Standard Time. Such a VTIMEZONE is compared with
// the IANA zone in that year and at the file's own times, not in the next
// year, which no yearly rule can match; a time it gives a wrong offset is
// still refused.
func TestParseICSWindowsZoneOfMovingRules(t *testing.T) {
	// Outlook's export in 2026: +00 from the third Sunday of February at
	// 03:00 to the fourth Sunday of March at 02:00, which are 15 February
	// and 22 March in 2026, and 21 and 28 in 2027 (Casablanca: 7 February
	// and 14 March).
	vtimezone := "BEGIN:VTIMEZONE\nTZID:Morocco Standard Time\n" +
		"BEGIN:STANDARD\nDTSTART:16010101T020000\nTZOFFSETFROM:+0000\nTZOFFSETTO:+0100\nRRULE:FREQ=YEARLY;BYDAY=4SU;BYMONTH=3\nEND:STANDARD\n" +
		"BEGIN:DAYLIGHT\nDTSTART:16010101T030000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0000\nRRULE:FREQ=YEARLY;BYDAY=3SU;BYMONTH=2\nEND:DAYLIGHT\n" +
		"END:VTIMEZONE\n"
	file := func(start, end string) string {
		return "BEGIN:VCALENDAR\nMETHOD:PUBLISH\n" + vtimezone +
			"BEGIN:VEVENT\nUID:stocktake\nDTSTAMP:20260102T090000Z\n" +
			"DTSTART;TZID=Morocco Standard Time:" + start + "\nDTEND;TZID=Morocco Standard Time:" + end + "\nEND:VEVENT\nEND:VCALENDAR\n"
	}

	// 02:30 on 15 February 2026 is in the hour clocks repeat.
	schedules, err := calendar.ParseICS("t.ics", []byte(file("20260215T023000", "20260215T040000")))
	if err != nil {
		t.Fatalf("ParseICS: %v", err)
	}
	want := []andon.Schedule{{Start: "2026-02-15T02:30:00", WallDuration: 90 * time.Minute, Timezone: "Africa/Casablanca"}}
	if diff := cmp.Diff(want, schedules); diff != "" {
		t.Fatalf("ParseICS mismatch (-want +got):\n%s", diff)
	}
	cat := NewCatalog(t, &andon.Window{Name: "w", Type: andon.WindowFreeze, Schedules: schedules})
	got := Spans(MustNew(t, cat).Occurrences(cat.Environment("prod-lyon"), MustTime(t, "2026-02-14T00:00:00Z"), MustTime(t, "2026-02-16T00:00:00Z")))
	if diff := cmp.Diff([]string{"w 2026-02-15T02:30:00+01:00/2026-02-15T04:00:00Z"}, got); diff != "" {
		t.Errorf("Occurrences mismatch (-want +got):\n%s", diff)
	}

	// On 10 February 2027 the rule of 2026 says +01, Casablanca +00.
	_, err = calendar.ParseICS("t.ics", []byte(file("20270210T120000", "20270210T140000")))
	wantErr := `t.ics:21: DTSTART: TZID "Morocco Standard Time": the VTIMEZONE of line 3 gives UTC+0100 at 2027-02-10T12:00:00Z, where Africa/Casablanca, the IANA zone read for this Windows zone, gives UTC+0000: the file's zone is not that one; give the IANA name of the zone as TZID`
	if err == nil || err.Error() != wantErr {
		t.Errorf("ParseICS of a time the VTIMEZONE places wrongly: got error %v, want %s", err, wantErr)
	}
}

// ics wraps VEVENT lines into a calendar with LF line ends.
func ics(event ...string) string {
	return "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\n" + strings.Join(event, "\n") + "\nEND:VEVENT\nEND:VCALENDAR\n"
}

func TestParseICS(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []andon.Schedule
	}{{
		name: "floating time, tab continuation, lower-case names",
		data: ics("dtstart:20270103T0200", "\t00", "duration:PT4H"),
		want: []andon.Schedule{{Start: "2027-01-03T02:00:00", Duration: 4 * time.Hour}},
	}, {
		name: "UTC time",
		data: ics("DTSTART:20270103T020000Z", "DTEND:20270103T023000Z"),
		want: []andon.Schedule{{Start: "2027-01-03T02:00:00", Duration: 30 * time.Minute, Timezone: "UTC"}},
	}, {
		name: "an all-day event lasts a day on the wall clock",
		data: ics("DTSTART;VALUE=DATE:20271224", "EXDATE;VALUE=DATE:20281224", "RRULE:FREQ=YEARLY"),
		want: []andon.Schedule{{Start: "2027-12-24T00:00:00", RRule: "FREQ=YEARLY", ExDates: []string{"2028-12-24T00:00:00"}, WallDuration: 24 * time.Hour}},
	}, {
		// Exchange and Outlook.com write the excluded days of an
		// all-day series as midnights in the organiser's zone.
		name: "an all-day event's exception as a midnight in a zone, as Exchange writes it, is that date",
		data: ics("DTSTART;VALUE=DATE:20260105", "DTEND;VALUE=DATE:20260106", "RRULE:FREQ=WEEKLY;BYDAY=MO",
			"EXDATE;TZID=W. Europe Standard Time:20260112T000000,20260119T000000", "EXDATE:20260126T000000Z", "EXDATE:20260202T000000"),
		want: []andon.Schedule{{
			Start: "2026-01-05T00:00:00", RRule: "FREQ=WEEKLY;BYDAY=MO",
			ExDates:      []string{"2026-01-12T00:00:00", "2026-01-19T00:00:00", "2026-01-26T00:00:00", "2026-02-02T00:00:00"},
			WallDuration: 24 * time.Hour,
		}},
	}, {
		name: "DTEND in DTSTART's zone is measured on the wall clock",
		data: ics("DTSTART;TZID=Europe/Paris:20270328T010000", "DTEND;TZID=Europe/Paris:20270328T050000"),
		want: []andon.Schedule{{Start: "2027-03-28T01:00:00", WallDuration: 4 * time.Hour, Timezone: "Europe/Paris"}},
	}, {
		name: "DTEND in another zone",
		data: ics("DTSTART;TZID=Europe/Paris:20270601T020000", "DTEND;TZID=Australia/Melbourne:20270601T120000"),
		want: []andon.Schedule{{Start: "2027-06-01T02:00:00", Duration: 2 * time.Hour, Timezone: "Europe/Paris"}},
	}, {
		name: "durations",
		data: "BEGIN:VCALENDAR\n" + strings.Join([]string{
			"BEGIN:VEVENT\nDTSTART:20270101T000000\nDURATION:P1D\nEND:VEVENT",
			"BEGIN:VEVENT\nDTSTART:20270101T000000\nDURATION:P1W\nEND:VEVENT",
			"BEGIN:VEVENT\nDTSTART:20270101T000000\nDURATION:P1DT2H30M\nEND:VEVENT",
			"BEGIN:VEVENT\nDTSTART:20270101T000000\nDURATION:PT90M\nEND:VEVENT",
			"BEGIN:VEVENT\nDTSTART:20270101T000000\nDURATION:+PT1H30M15S\nEND:VEVENT",
			"BEGIN:VEVENT\nDTSTART:20270101T000000\nDURATION:PT45S\nEND:VEVENT",
		}, "\n") + "\nEND:VCALENDAR\n",
		want: []andon.Schedule{
			{Start: "2027-01-01T00:00:00", WallDuration: 24 * time.Hour},
			{Start: "2027-01-01T00:00:00", WallDuration: 7 * 24 * time.Hour},
			{Start: "2027-01-01T00:00:00", WallDuration: 24 * time.Hour, Duration: 2*time.Hour + 30*time.Minute},
			{Start: "2027-01-01T00:00:00", Duration: 90 * time.Minute},
			{Start: "2027-01-01T00:00:00", Duration: time.Hour + 30*time.Minute + 15*time.Second},
			{Start: "2027-01-01T00:00:00", Duration: 45 * time.Second},
		},
	}, {
		name: "RDATE periods, and an RDATE that EXDATE removes",
		data: ics("DTSTART:20270101T220000Z", "DURATION:PT1H",
			"RDATE;VALUE=PERIOD:20270201T220000Z/20270201T230000Z,20270301T220000Z/PT2H",
			"RDATE:20270401T220000Z", "EXDATE:20270401T220000Z"),
		want: []andon.Schedule{
			{Start: "2027-01-01T22:00:00", ExDates: []string{"2027-04-01T22:00:00"}, Duration: time.Hour, Timezone: "UTC"},
			{Start: "2027-02-01T22:00:00", Duration: time.Hour, Timezone: "UTC"},
			{Start: "2027-03-01T22:00:00", Duration: 2 * time.Hour, Timezone: "UTC"},
		},
	}, {
		name: "a cancelled occurrence",
		data: "BEGIN:VCALENDAR\n" +
			"BEGIN:VEVENT\nUID:a\nDTSTART:20270103T020000\nDURATION:PT1H\nRRULE:FREQ=WEEKLY\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID:20270110T020000\nSTATUS:CANCELLED\nDTSTART:20270110T020000\nDURATION:PT1H\nEND:VEVENT\n" +
			"END:VCALENDAR\n",
		want: []andon.Schedule{{Start: "2027-01-03T02:00:00", RRule: "FREQ=WEEKLY", ExDates: []string{"2027-01-10T02:00:00"}, Duration: time.Hour}},
	}, {
		name: "an invitation, as Outlook sends it, lists its events",
		data: "BEGIN:VCALENDAR\nMETHOD:REQUEST\nBEGIN:VEVENT\nDTSTART:20270103T020000Z\nDURATION:PT4H\nEND:VEVENT\nEND:VCALENDAR\n",
		want: []andon.Schedule{{Start: "2027-01-03T02:00:00", Duration: 4 * time.Hour, Timezone: "UTC"}},
	}, {
		name: "a cancelled occurrence without DTEND, all day, and an RDATE replaced",
		data: "BEGIN:VCALENDAR\n" +
			"BEGIN:VEVENT\nUID:a\nDTSTART;VALUE=DATE:20270104\nRRULE:FREQ=WEEKLY;BYDAY=MO\nRDATE;VALUE=DATE:20270109\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID;VALUE=DATE:20270111\nSTATUS:CANCELLED\nDTSTART;VALUE=DATE:20270111\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID;VALUE=DATE:20270109\nDTSTART;VALUE=DATE:20270110\nEND:VEVENT\n" +
			"END:VCALENDAR\n",
		want: []andon.Schedule{
			{Start: "2027-01-04T00:00:00", RRule: "FREQ=WEEKLY;BYDAY=MO", ExDates: []string{"2027-01-11T00:00:00"}, WallDuration: 24 * time.Hour},
			{Start: "2027-01-10T00:00:00", WallDuration: 24 * time.Hour},
		},
	}, {
		name: "a replacement without its event, and one of a cancelled event, stand alone",
		data: "BEGIN:VCALENDAR\n" +
			"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID:20270110T020000\nDTSTART:20270110T030000\nDURATION:PT1H\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:b\nSTATUS:CANCELLED\nDTSTART:20270103T020000\nRRULE:FREQ=WEEKLY\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:b\nRECURRENCE-ID:20270111T020000\nDTSTART:20270111T030000\nDURATION:PT2H\nEND:VEVENT\n" +
			"END:VCALENDAR\n",
		want: []andon.Schedule{
			{Start: "2027-01-10T03:00:00", Duration: time.Hour},
			{Start: "2027-01-11T03:00:00", Duration: 2 * time.Hour},
		},
	}, {
		// Google Calendar and Apple Calendar read floating times in the
		// calendar's X-WR-TIMEZONE; dates stay days of each plant. The
		// property may follow the events, and applies to its calendar
		// only.
		name: "floating date-times are read in the calendar's X-WR-TIMEZONE",
		data: "BEGIN:VCALENDAR\n" +
			"BEGIN:VEVENT\nUID:a\nDTSTART:20260104T020000\nDTEND:20260104T060000\nRRULE:FREQ=WEEKLY;UNTIL=20260329T020000\nEXDATE:20260111T020000\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID:20260118T020000\nDTSTART:20260118T030000\nDURATION:PT4H\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:b\nDTSTART;VALUE=DATE:20260803\nDTEND;VALUE=DATE:20260815\nEND:VEVENT\n" +
			"X-WR-TIMEZONE:Europe/Berlin\nEND:VCALENDAR\n" +
			"BEGIN:VCALENDAR\nX-WR-TIMEZONE:W. Europe Standard Time\nBEGIN:VEVENT\nUID:c\nDTSTART:20261224T000000\nDURATION:P1D\nEND:VEVENT\nEND:VCALENDAR\n" +
			"BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:d\nDTSTART:20261231T000000\nDURATION:P1D\nEND:VEVENT\nEND:VCALENDAR\n",
		want: []andon.Schedule{
			{Start: "2026-01-04T02:00:00", RRule: "FREQ=WEEKLY;UNTIL=20260329T020000", ExDates: []string{"2026-01-11T02:00:00", "2026-01-18T02:00:00"}, WallDuration: 4 * time.Hour, Timezone: "Europe/Berlin"},
			{Start: "2026-01-18T03:00:00", Duration: 4 * time.Hour, Timezone: "Europe/Berlin"},
			{Start: "2026-08-03T00:00:00", WallDuration: 12 * 24 * time.Hour},
			{Start: "2026-12-24T00:00:00", WallDuration: 24 * time.Hour, Timezone: "Europe/Berlin"},
			{Start: "2026-12-31T00:00:00", WallDuration: 24 * time.Hour},
		},
	}, {
		// Some generators end every rule with a semicolon.
		name: "an RRULE ending in a semicolon",
		data: ics("DTSTART;TZID=Europe/Paris:20270102T020000", "DURATION:PT4H", "RRULE:FREQ=WEEKLY;BYDAY=SA;"),
		want: []andon.Schedule{{Start: "2027-01-02T02:00:00", RRule: "FREQ=WEEKLY;BYDAY=SA", Duration: 4 * time.Hour, Timezone: "Europe/Paris"}},
	}, {
		// Some generators follow every item of a list with a comma.
		name: "an EXDATE list ending in a comma",
		data: ics("DTSTART;TZID=Europe/Berlin:20261124T020000", "DURATION:PT4H", "RRULE:FREQ=WEEKLY",
			"EXDATE;TZID=Europe/Berlin:20261201T020000,", "EXDATE;TZID=Europe/Berlin:20261208T020000,20261215T020000, "),
		want: []andon.Schedule{{
			Start: "2026-11-24T02:00:00", RRule: "FREQ=WEEKLY", Duration: 4 * time.Hour, Timezone: "Europe/Berlin",
			ExDates: []string{"2026-12-01T02:00:00", "2026-12-08T02:00:00", "2026-12-15T02:00:00"},
		}},
	}, {
		name: "an RDATE list ending in a comma",
		data: ics("DTSTART:20270103T020000Z", "DURATION:PT1H", "RDATE:20270104T020000Z,"),
		want: []andon.Schedule{
			{Start: "2027-01-03T02:00:00", Duration: time.Hour, Timezone: "UTC"},
			{Start: "2027-01-04T02:00:00", Duration: time.Hour, Timezone: "UTC"},
		},
	}, {
		// Thunderbird and Lightning prefix the IANA name, with a
		// VTIMEZONE of the rules of their day; Citadel alike, here
		// without one.
		name: "a TZID that prefixes an IANA name, as Thunderbird and Citadel write it",
		data: "BEGIN:VCALENDAR\nPRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN\n" +
			"BEGIN:VTIMEZONE\nTZID:/mozilla.org/20070129_1/Europe/Berlin\nX-LIC-LOCATION:Europe/Berlin\n" +
			"BEGIN:STANDARD\nDTSTART:19701025T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\nEND:STANDARD\n" +
			"BEGIN:DAYLIGHT\nDTSTART:19700329T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\nEND:DAYLIGHT\nEND:VTIMEZONE\n" +
			"BEGIN:VEVENT\nUID:a\nDTSTART;TZID=/mozilla.org/20070129_1/Europe/Berlin:20270103T020000\nDTEND;TZID=/mozilla.org/20070129_1/Europe/Berlin:20270103T060000\n" +
			"RRULE:FREQ=WEEKLY\nEXDATE;TZID=/mozilla.org/20070129_1/Europe/Berlin:20270110T020000\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:b\nDTSTART;TZID=/citadel.org/20190914_1/America/Argentina/Buenos_Aires:20270105T220000\nDURATION:PT2H\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:c\nDTSTART;TZID=/freeassociation.sourceforge.net/Europe/Paris:20270106T220000\nDURATION:PT2H\nEND:VEVENT\n" +
			"END:VCALENDAR\n",
		want: []andon.Schedule{
			{Start: "2027-01-03T02:00:00", RRule: "FREQ=WEEKLY", ExDates: []string{"2027-01-10T02:00:00"}, WallDuration: 4 * time.Hour, Timezone: "Europe/Berlin"},
			{Start: "2027-01-05T22:00:00", Duration: 2 * time.Hour, Timezone: "America/Argentina/Buenos_Aires"},
			{Start: "2027-01-06T22:00:00", Duration: 2 * time.Hour, Timezone: "Europe/Paris"},
		},
	}, {
		// The series' own zone tells the last day, whatever other
		// zones the file has.
		name: "an all-day series ending at a UTC time, with a TZID on DTSTART among VTIMEZONEs that disagree",
		data: "BEGIN:VCALENDAR\n" +
			"BEGIN:VTIMEZONE\nTZID:Europe/Berlin\nEND:VTIMEZONE\nBEGIN:VTIMEZONE\nTZID:America/New_York\nEND:VTIMEZONE\n" +
			"BEGIN:VEVENT\nDTSTART;VALUE=DATE;TZID=Europe/Berlin:20261228\nRRULE:FREQ=DAILY;UNTIL=20261230T230000Z\nEND:VEVENT\nEND:VCALENDAR\n",
		want: []andon.Schedule{{Start: "2026-12-28T00:00:00", RRule: "FREQ=DAILY;UNTIL=20261231", WallDuration: 24 * time.Hour, Timezone: "Europe/Berlin"}},
	}, {
		name: "two calendars, unknown components and parameters",
		data: "BEGIN:VCALENDAR\nBEGIN:VTODO\nDTSTART:20270101T000000\nEND:VTODO\nEND:VCALENDAR\n" +
			"BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;X-FOO=\"a;b:c\",d;TZID=UTC:20270101T000000\nDURATION:PT1H\nX-CUSTOM;P=1:x\nEND:VEVENT\nEND:VCALENDAR",
		want: []andon.Schedule{{Start: "2027-01-01T00:00:00", Duration: time.Hour, Timezone: "UTC"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := calendar.ParseICS("t.ics", []byte(tt.data))
			if err != nil {
				t.Fatalf("ParseICS: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseICS mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseICSSkipsEventsOfNoLength: an event with a time of day that
// ends where it starts (an Outlook milestone, a DTSTART alone, which RFC
// 5545 reads so, DURATION:PT0S) covers no instant, so it is skipped with
// a warning, and the rest of the file is read. An all-day event without
// DTEND is still a day.
func TestParseICSSkipsEventsOfNoLength(t *testing.T) {
	data := "BEGIN:VCALENDAR\r\nPRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r\nMETHOD:PUBLISH\r\n" +
		// 4: a weekly freeze, with an occurrence moved to a milestone
		"BEGIN:VEVENT\r\nUID:freeze\r\nSUMMARY:Stillstand\r\nDTSTART;TZID=Europe/Berlin:20270103T020000\r\nDTEND;TZID=Europe/Berlin:20270103T060000\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\nEND:VEVENT\r\n" +
		// 11
		"BEGIN:VEVENT\r\nUID:freeze\r\nRECURRENCE-ID;TZID=Europe/Berlin:20270110T020000\r\nDTSTART;TZID=Europe/Berlin:20270110T020000\r\nDTEND;TZID=Europe/Berlin:20270110T020000\r\nEND:VEVENT\r\n" +
		// 17: a milestone
		"BEGIN:VEVENT\r\nUID:go-live\r\nSUMMARY:Go-live MES\\, Halle 3\r\nDTSTART;TZID=Europe/Berlin:20270115T080000\r\nDTEND;TZID=Europe/Berlin:20270115T080000\r\nX-MICROSOFT-CDO-BUSYSTATUS:FREE\r\nEND:VEVENT\r\n" +
		// 24: DTSTART alone, repeated, with a moved occurrence that lasts
		"BEGIN:VEVENT\r\nUID:reminder\r\nDTSTART:20270104T070000Z\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:reminder\r\nRECURRENCE-ID:20270111T070000Z\r\nDTSTART:20270111T080000Z\r\nDURATION:PT1H\r\nEND:VEVENT\r\n" +
		// 35: no duration, and a DTEND in UTC at DTSTART's instant
		"BEGIN:VEVENT\r\nUID:zero\r\nDTSTART;TZID=Europe/Berlin:20270120T120000\r\nDURATION:PT0S\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:utc\r\nDTSTART;TZID=Europe/Berlin:20270121T120000\r\nDTEND:20270121T110000Z\r\nEND:VEVENT\r\n" +
		// 45: an all-day event without DTEND is one day
		"BEGIN:VEVENT\r\nUID:holiday\r\nDTSTART;VALUE=DATE:20270106\r\nEND:VEVENT\r\n" +
		"END:VCALENDAR\r\n"
	got, warnings, err := calendar.ParseICSWithWarnings("t.ics", []byte(data))
	if err != nil {
		t.Fatalf("ParseICSWithWarnings: %v", err)
	}
	want := []andon.Schedule{
		{Start: "2027-01-03T02:00:00", RRule: "FREQ=WEEKLY;COUNT=3", ExDates: []string{"2027-01-10T02:00:00"}, WallDuration: 4 * time.Hour, Timezone: "Europe/Berlin"},
		{Start: "2027-01-11T08:00:00", Duration: time.Hour, Timezone: "UTC"},
		{Start: "2027-01-06T00:00:00", WallDuration: 24 * time.Hour},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("schedules mismatch (-want +got):\n%s", diff)
	}
	wantWarnings := []string{
		"t.ics:15: VEVENT skipped: its DTEND is its DTSTART, so it lasts no time and covers no instant of the window",
		`t.ics:21: VEVENT "Go-live MES, Halle 3" skipped: its DTEND is its DTSTART, so it lasts no time and covers no instant of the window`,
		"t.ics:26: VEVENT skipped: it has neither DTEND nor DURATION, which RFC 5545 reads as ending at DTSTART, so it lasts no time and covers no instant of the window",
		"t.ics:38: VEVENT skipped: its DURATION is PT0S, so it lasts no time and covers no instant of the window",
		"t.ics:43: VEVENT skipped: its DTEND is its DTSTART, so it lasts no time and covers no instant of the window",
	}
	if diff := cmp.Diff(wantWarnings, warnings); diff != "" {
		t.Errorf("warnings mismatch (-want +got):\n%s", diff)
	}
	if _, err := calendar.ParseICS("t.ics", []byte(data)); err != nil {
		t.Errorf("ParseICS: %v", err)
	}
}

// TestParseICSCancelledInAnUnknownZone: a cancelled event adds no window,
// so a DTSTART in a zone andon does not read does not refuse the file; a
// cancelled occurrence is found by its RECURRENCE-ID, and one that cannot
// be placed is skipped only when it cancels no occurrence of another
// event.
func TestParseICSCancelledInAnUnknownZone(t *testing.T) {
	data := "BEGIN:VCALENDAR\r\nPRODID:Microsoft Exchange Server 2010\r\nMETHOD:PUBLISH\r\n" +
		"BEGIN:VTIMEZONE\r\nTZID:Customized Time Zone\r\nBEGIN:STANDARD\r\nDTSTART:16010101T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n" +
		"RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n" +
		// a weekly freeze
		"BEGIN:VEVENT\r\nUID:freeze\r\nDTSTART;TZID=Europe/Berlin:20270103T020000\r\nDTEND;TZID=Europe/Berlin:20270103T060000\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\nEND:VEVENT\r\n" +
		// two of its occurrences cancelled, named in its zone and in UTC
		"BEGIN:VEVENT\r\nUID:freeze\r\nRECURRENCE-ID;TZID=Europe/Berlin:20270110T020000\r\nDTSTART;TZID=Customized Time Zone:20270110T020000\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:freeze\r\nRECURRENCE-ID:20270117T010000Z\r\nDTSTART;TZID=\"(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna\":20270117T020000\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n" +
		// a cancelled series, with a cancelled occurrence of its own
		"BEGIN:VEVENT\r\nUID:old\r\nDTSTART;TZID=Customized Time Zone:20270105T020000\r\nDTEND;TZID=Customized Time Zone:20270105T040000\r\nRRULE:FREQ=WEEKLY\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:old\r\nRECURRENCE-ID;TZID=Customized Time Zone:20270112T020000\r\nDTSTART;TZID=Customized Time Zone:20270112T020000\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n" +
		// a cancelled occurrence of an event the file does not hold
		"BEGIN:VEVENT\r\nUID:elsewhere\r\nRECURRENCE-ID;TZID=Mid-Atlantic Standard Time:20270113T020000\r\nDTSTART;TZID=Mid-Atlantic Standard Time:20270113T020000\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n" +
		"END:VCALENDAR\r\n"
	got, warnings, err := calendar.ParseICSWithWarnings("t.ics", []byte(data))
	if err != nil {
		t.Fatalf("ParseICSWithWarnings: %v", err)
	}
	want := []andon.Schedule{{
		Start: "2027-01-03T02:00:00", RRule: "FREQ=WEEKLY;COUNT=4", ExDates: []string{"2027-01-10T02:00:00", "2027-01-17T02:00:00"},
		WallDuration: 4 * time.Hour, Timezone: "Europe/Berlin",
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("schedules mismatch (-want +got):\n%s", diff)
	}
	if len(warnings) > 0 {
		t.Errorf("warnings = %q; want none", warnings)
	}
}

// TestParseICSCancelledInAWindowsZone: a cancelled event adds no window,
// so a Windows zone that its DTSTART, or the RECURRENCE-ID of a
// cancellation that stands alone, is given in is not checked against the
// file's VTIMEZONE for it, and a VTIMEZONE of other rules does not refuse
// the file.
func TestParseICSCancelledInAWindowsZone(t *testing.T) {
	data := "BEGIN:VCALENDAR\n" +
		// Mexico City stopped changing its clocks in 2022; this
		// VTIMEZONE was exported before.
		"BEGIN:VTIMEZONE\nTZID:Central Standard Time (Mexico)\n" +
		"BEGIN:STANDARD\nDTSTART:16010101T020000\nTZOFFSETFROM:-0500\nTZOFFSETTO:-0600\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\nEND:STANDARD\n" +
		"BEGIN:DAYLIGHT\nDTSTART:16010101T020000\nTZOFFSETFROM:-0600\nTZOFFSETTO:-0500\nRRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=4\nEND:DAYLIGHT\n" +
		"END:VTIMEZONE\n" +
		"BEGIN:VEVENT\nUID:freeze\nDTSTART;TZID=America/Mexico_City:20260104T020000\nDURATION:PT4H\nRRULE:FREQ=WEEKLY;COUNT=3\nEND:VEVENT\n" +
		// an occurrence cancelled, named in UTC
		"BEGIN:VEVENT\nUID:freeze\nRECURRENCE-ID:20260111T080000Z\nDTSTART;TZID=Central Standard Time (Mexico):20260111T020000\nSTATUS:CANCELLED\nEND:VEVENT\n" +
		// a cancelled series
		"BEGIN:VEVENT\nUID:old\nDTSTART;TZID=Central Standard Time (Mexico):20260601T020000\nDURATION:PT4H\nRRULE:FREQ=WEEKLY\nSTATUS:CANCELLED\nEND:VEVENT\n" +
		// a cancelled occurrence of an event the file does not hold
		"BEGIN:VEVENT\nUID:elsewhere\nRECURRENCE-ID;TZID=Central Standard Time (Mexico):20260602T020000\n" +
		"DTSTART;TZID=Central Standard Time (Mexico):20260602T020000\nSTATUS:CANCELLED\nEND:VEVENT\n" +
		"END:VCALENDAR\n"
	got, warnings, err := calendar.ParseICSWithWarnings("t.ics", []byte(data))
	if err != nil {
		t.Fatalf("ParseICSWithWarnings: %v", err)
	}
	want := []andon.Schedule{{
		Start: "2026-01-04T02:00:00", RRule: "FREQ=WEEKLY;COUNT=3", ExDates: []string{"2026-01-11T02:00:00"},
		Duration: 4 * time.Hour, Timezone: "America/Mexico_City",
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("schedules mismatch (-want +got):\n%s", diff)
	}
	if len(warnings) > 0 {
		t.Errorf("warnings = %q; want none", warnings)
	}
}

// TestParseICSReplacementInAnUnknownZoneStandsAlone: an occurrence moved
// by a VEVENT whose RECURRENCE-ID is in a zone andon does not read, and
// whose UID has no event in force, replaces nothing: its own DTSTART, in
// a zone andon reads, gives its window.
func TestParseICSReplacementInAnUnknownZoneStandsAlone(t *testing.T) {
	data := "BEGIN:VCALENDAR\r\nPRODID:Microsoft Exchange Server 2010\r\n" +
		// an occurrence of a series the file does not hold, moved
		"BEGIN:VEVENT\r\nUID:elsewhere\r\nRECURRENCE-ID;TZID=Customized Time Zone:20270113T020000\r\n" +
		"DTSTART;TZID=Europe/Berlin:20270113T040000\r\nDTEND;TZID=Europe/Berlin:20270113T060000\r\nEND:VEVENT\r\n" +
		// a cancelled series, one of whose occurrences was moved
		"BEGIN:VEVENT\r\nUID:old\r\nDTSTART;TZID=Customized Time Zone:20270105T020000\r\nRRULE:FREQ=WEEKLY\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:old\r\nRECURRENCE-ID;TZID=Customized Time Zone:20270112T020000\r\n" +
		"DTSTART:20270112T020000Z\r\nDURATION:PT1H\r\nEND:VEVENT\r\n" +
		"END:VCALENDAR\r\n"
	got, warnings, err := calendar.ParseICSWithWarnings("t.ics", []byte(data))
	if err != nil {
		t.Fatalf("ParseICSWithWarnings: %v", err)
	}
	want := []andon.Schedule{
		{Start: "2027-01-13T04:00:00", WallDuration: 2 * time.Hour, Timezone: "Europe/Berlin"},
		{Start: "2027-01-12T02:00:00", Duration: time.Hour, Timezone: "UTC"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("schedules mismatch (-want +got):\n%s", diff)
	}
	if len(warnings) > 0 {
		t.Errorf("warnings = %q; want none", warnings)
	}
}

// TestParseICSReplacesSkippedOccurrences: a RECURRENCE-ID that names an
// occurrence of no length, skipped with its event, replaces nothing; it is
// a warning, not a problem, and the replacement stands alone.
func TestParseICSReplacesSkippedOccurrences(t *testing.T) {
	data := "BEGIN:VCALENDAR\n" +
		// 2: a weekly milestone, with an RDATE period that lasts and an
		// RDATE of the milestone's own length, none
		"BEGIN:VEVENT\nUID:m\nDTSTART;TZID=Europe/Berlin:20270103T080000\nRRULE:FREQ=WEEKLY;COUNT=2\n" +
		"RDATE;TZID=Europe/Berlin;VALUE=PERIOD:20270104T080000/PT2H\nRDATE;TZID=Europe/Berlin:20270105T080000\nEND:VEVENT\n" +
		// 9: the RDATE of no length moved to a meeting of an hour
		"BEGIN:VEVENT\nUID:m\nRECURRENCE-ID;TZID=Europe/Berlin:20270105T080000\nDTSTART;TZID=Europe/Berlin:20270106T080000\nDURATION:PT1H\nEND:VEVENT\n" +
		// 15: the rule's second occurrence cancelled, named in UTC
		"BEGIN:VEVENT\nUID:m\nRECURRENCE-ID:20270110T070000Z\nDTSTART:20270110T070000Z\nSTATUS:CANCELLED\nEND:VEVENT\n" +
		"END:VCALENDAR\n"
	got, warnings, err := calendar.ParseICSWithWarnings("t.ics", []byte(data))
	if err != nil {
		t.Fatalf("ParseICSWithWarnings: %v", err)
	}
	want := []andon.Schedule{
		{Start: "2027-01-04T08:00:00", Duration: 2 * time.Hour, Timezone: "Europe/Berlin"},
		{Start: "2027-01-06T08:00:00", Duration: time.Hour, Timezone: "Europe/Berlin"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("schedules mismatch (-want +got):\n%s", diff)
	}
	wantWarnings := []string{
		"t.ics:4: VEVENT skipped: it has neither DTEND nor DURATION, which RFC 5545 reads as ending at DTSTART, so it lasts no time and covers no instant of the window",
		`t.ics:11: RECURRENCE-ID 2027-01-05T08:00:00 (Europe/Berlin) replaces nothing: it names an occurrence of the VEVENT of line 2 (UID "m") that lasts no time and was skipped, so this VEVENT stands alone`,
		`t.ics:17: RECURRENCE-ID 2027-01-10T08:00:00 (Europe/Berlin) replaces nothing: it names an occurrence of the VEVENT of line 2 (UID "m") that lasts no time and was skipped, so this VEVENT stands alone`,
	}
	if diff := cmp.Diff(wantWarnings, warnings); diff != "" {
		t.Errorf("warnings mismatch (-want +got):\n%s", diff)
	}
}

// TestParseICSUTF16 reads a calendar saved as UTF-16 with a byte-order
// mark, in either byte order, as Windows PowerShell 5 writes a redirected
// export, with a character outside the Basic Multilingual Plane.
func TestParseICSUTF16(t *testing.T) {
	text := "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Stillstand 🔧 Größe\r\nDTSTART;TZID=\"W. Europe Standard Time\":20260104T020000\r\nDTEND;TZID=\"W. Europe Standard Time\":20260104T060000\r\nRRULE:FREQ=WEEKLY;BYDAY=SU\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	units := utf16.Encode([]rune(text))
	want := []andon.Schedule{{Start: "2026-01-04T02:00:00", RRule: "FREQ=WEEKLY;BYDAY=SU", WallDuration: 4 * time.Hour, Timezone: "Europe/Berlin"}}
	for _, order := range []string{"little-endian", "big-endian"} {
		t.Run(order, func(t *testing.T) {
			data := []byte{0xFF, 0xFE}
			if order == "big-endian" {
				data = []byte{0xFE, 0xFF}
			}
			for _, u := range units {
				if order == "big-endian" {
					data = append(data, byte(u>>8), byte(u))
				} else {
					data = append(data, byte(u), byte(u>>8))
				}
			}
			got, err := calendar.ParseICS("t.ics", data)
			if err != nil {
				t.Fatalf("ParseICS: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ParseICS mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseICSErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string
	}{
		{"empty", "", "t.ics:1: not an iCalendar file: want BEGIN:VCALENDAR"},
		{"no event", "BEGIN:VCALENDAR\nVERSION:2.0\nEND:VCALENDAR\n", "t.ics: the calendar has no VEVENT"},
		{"all cancelled", ics("STATUS:CANCELLED", "DTSTART:20270101T000000", "DURATION:PT1H"), "t.ics: every VEVENT of the calendar is cancelled, replaced or lasts no time"},
		{"property outside", "VERSION:2.0\nBEGIN:VCALENDAR\n", "t.ics:1: VERSION outside a VCALENDAR"},
		{"component outside", "BEGIN:VEVENT\n", "t.ics:1: BEGIN:VEVENT outside a VCALENDAR"},
		{"continuation first", " BEGIN:VCALENDAR\n", "t.ics:1: a continuation line with no line before it"},
		{"not a content line", "BEGIN:VCALENDAR\n:x\n", `t.ics:2: ":x" is not a content line NAME:value`},
		{"no colon", "BEGIN:VCALENDAR\nVERSION\n", "t.ics:2: VERSION: want ':' before the value"},
		{"bad parameter", "BEGIN:VCALENDAR\nDTSTART;TZID:x\n", "t.ics:2: DTSTART: a parameter must read NAME=value"},
		{"open quote", "BEGIN:VCALENDAR\nDTSTART;TZID=\"Europe/Paris:x\n", "t.ics:2: DTSTART: parameter TZID: the quoted value is not closed"},
		{"never closed", "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20270101T000000\n", "t.ics:2: BEGIN:VEVENT is never closed by END:VEVENT"},
		{"wrong end", "BEGIN:VCALENDAR\nBEGIN:VEVENT\nEND:VALARM\n", "t.ics:3: END:VALARM does not close BEGIN:VEVENT of line 2"},
		{"end without begin", "END:VCALENDAR\n", "t.ics:1: END:VCALENDAR without BEGIN"},
		{"no DTSTART", ics("DURATION:PT1H"), "t.ics:3: VEVENT has no DTSTART"},
		{"two DTSTART", ics("DTSTART:20270101T000000", "DTSTART:20270102T000000"), "t.ics:5: DTSTART is given twice in one VEVENT (first on line 4)"},
		{"unknown X-WR-TIMEZONE for a floating time", "BEGIN:VCALENDAR\nX-WR-TIMEZONE:Europe/Lyon\nBEGIN:VEVENT\nDTSTART:20270103T020000\nDURATION:PT1H\nEND:VEVENT\nEND:VCALENDAR\n",
			`t.ics:4: DTSTART: a floating time is read in the calendar's X-WR-TIMEZONE (line 2): "Europe/Lyon" is neither an IANA time zone such as Europe/Paris nor a Windows one such as W. Europe Standard Time; name the zone by its IANA name`},
		{"an all-day series ending at a UTC time, and no zone to read it in", ics("DTSTART;VALUE=DATE:20261228", "RRULE:FREQ=DAILY;UNTIL=20261230T230000Z"),
			"t.ics:5: RRULE: UNTIL=20261230T230000Z is a UTC time and DTSTART is a date, and the file names no zone of its own (a TZID on DTSTART, an X-WR-TIMEZONE, or a VTIMEZONE) to tell which day it is the midnight of; export UNTIL as the date of the series' last day (UNTIL=YYYYMMDD), as RFC 5545 requires"},
		{"an all-day series ending at a UTC time, and VTIMEZONEs on either side of that midnight", "BEGIN:VCALENDAR\n" +
			"BEGIN:VTIMEZONE\nTZID:Europe/Berlin\nEND:VTIMEZONE\nBEGIN:VTIMEZONE\nTZID:America/New_York\nEND:VTIMEZONE\n" +
			"BEGIN:VEVENT\nDTSTART;VALUE=DATE:20261228\nRRULE:FREQ=DAILY;UNTIL=20261230T230000Z\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nDTSTART;TZID=America/New_York:20261228T100000\nDURATION:PT1H\nEND:VEVENT\nEND:VCALENDAR\n",
			"t.ics:10: RRULE: UNTIL=20261230T230000Z is a UTC time and DTSTART is a date, and the file's VTIMEZONEs disagree on the day it falls on (2026-12-30 in America/New_York, line 5; 2026-12-31 in Europe/Berlin, line 2), with no TZID on DTSTART nor X-WR-TIMEZONE to tell which is the series'; export UNTIL as the date of the series' last day (UNTIL=YYYYMMDD), as RFC 5545 requires"},
		{"an all-day series ending at a UTC time, and an unknown X-WR-TIMEZONE", "BEGIN:VCALENDAR\nX-WR-TIMEZONE:Europe/Lyon\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261228\nRRULE:FREQ=DAILY;UNTIL=20261230T230000Z\nEND:VEVENT\nEND:VCALENDAR\n",
			`t.ics:5: RRULE: UNTIL=20261230T230000Z is a UTC time and DTSTART is a date, read in the calendar's X-WR-TIMEZONE (line 2): "Europe/Lyon" is neither an IANA time zone such as Europe/Paris nor a Windows one such as W. Europe Standard Time; name the zone by its IANA name`},
		{"unknown zone", ics("DTSTART;TZID=Europe/Lyon:20270103T020000", "DURATION:PT1H"),
			`t.ics:4: DTSTART: TZID: "Europe/Lyon" is neither an IANA time zone such as Europe/Paris nor a Windows one such as W. Europe Standard Time; name the zone by its IANA name`},
		{"a zone as Outlook names it, without a VTIMEZONE", ics(`DTSTART;TZID="(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna":20270103T020000`, "DURATION:PT1H"),
			`t.ics:4: DTSTART: TZID: "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna" is neither an IANA time zone such as Europe/Paris nor a Windows one such as W. Europe Standard Time; name the zone by its IANA name`},
		{"a prefixed TZID that ends in no IANA zone", ics("DTSTART;TZID=/mozilla.org/20070129_1/Europe/Lyon:20270103T020000", "DURATION:PT1H"),
			`t.ics:4: DTSTART: TZID: "/mozilla.org/20070129_1/Europe/Lyon" is neither an IANA time zone such as Europe/Paris nor a Windows one such as W. Europe Standard Time; name the zone by its IANA name`},
		{"a prefixed TZID that ends in a single word", ics("DTSTART;TZID=/example.com/2019_1/EST:20270103T020000", "DURATION:PT1H"),
			`t.ics:4: DTSTART: TZID: "/example.com/2019_1/EST" is neither an IANA time zone such as Europe/Paris nor a Windows one such as W. Europe Standard Time; name the zone by its IANA name`},
		{"a Windows zone CLDR does not list", ics("DTSTART;TZID=Mid-Atlantic Standard Time:20270103T020000", "DURATION:PT1H"),
			`t.ics:4: DTSTART: TZID: "Mid-Atlantic Standard Time" is neither an IANA time zone such as Europe/Paris nor a Windows one such as W. Europe Standard Time; name the zone by its IANA name`},
		{"the machine's zone", ics("DTSTART;TZID=Local:20270103T020000", "DURATION:PT1H"),
			`t.ics:4: DTSTART: TZID: "Local" depends on the machine; name an IANA time zone such as Europe/Paris`},
		{"a zone that only its VTIMEZONE defines", "BEGIN:VCALENDAR\n" +
			"BEGIN:VTIMEZONE\nTZID:(UTC+01:00) Amsterdam\\, Berlin\nBEGIN:STANDARD\nDTSTART:16010101T000000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0100\nEND:STANDARD\nEND:VTIMEZONE\n" +
			"BEGIN:VEVENT\nDTSTART;TZID=\"(UTC+01:00) Amsterdam, Berlin\":20270103T020000\nDURATION:PT1H\nEND:VEVENT\nEND:VCALENDAR\n",
			`t.ics:11: DTSTART: TZID: "(UTC+01:00) Amsterdam, Berlin" is neither an IANA time zone such as Europe/Paris nor a Windows one, and andon does not read the zone from the VTIMEZONE of line 2 alone; give the IANA name of the zone as TZID`},
		{"a Windows zone whose VTIMEZONE has other rules", "BEGIN:VCALENDAR\n" +
			// Mexico City stopped changing its clocks in 2022; this
			// VTIMEZONE was exported before.
			"BEGIN:VTIMEZONE\nTZID:Central Standard Time (Mexico)\n" +
			"BEGIN:STANDARD\nDTSTART:16010101T020000\nTZOFFSETFROM:-0500\nTZOFFSETTO:-0600\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\nEND:STANDARD\n" +
			"BEGIN:DAYLIGHT\nDTSTART:16010101T020000\nTZOFFSETFROM:-0600\nTZOFFSETTO:-0500\nRRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=4\nEND:DAYLIGHT\n" +
			"END:VTIMEZONE\n" +
			"BEGIN:VEVENT\nDTSTART;TZID=Central Standard Time (Mexico):20260104T020000\nDURATION:PT4H\nRRULE:FREQ=WEEKLY\nEND:VEVENT\nEND:VCALENDAR\n",
			`t.ics:2: VTIMEZONE "Central Standard Time (Mexico)" gives UTC-0500 at 2026-04-05T08:00:00Z, where America/Mexico_City, the IANA zone read for this Windows zone, gives UTC-0600: the file's zone is not that one; give the IANA name of the zone as TZID`},
		{"a VTIMEZONE rule of every day", "BEGIN:VCALENDAR\n" +
			"BEGIN:VTIMEZONE\nTZID:Romance Standard Time\n" +
			"BEGIN:STANDARD\nDTSTART:16010101T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0100\nRRULE:FREQ=DAILY\nEND:STANDARD\n" +
			"END:VTIMEZONE\n" +
			"BEGIN:VEVENT\nDTSTART;TZID=Romance Standard Time:20260601T020000\nDURATION:PT4H\nEND:VEVENT\nEND:VCALENDAR\n",
			`t.ics:8: RRULE: a VTIMEZONE rule must be FREQ=YEARLY`},
		{"a time whose offset the VTIMEZONE gives otherwise", "BEGIN:VCALENDAR\n" +
			"BEGIN:VTIMEZONE\nTZID:Central Standard Time (Mexico)\n" +
			"BEGIN:STANDARD\nDTSTART:16010101T020000\nTZOFFSETFROM:-0500\nTZOFFSETTO:-0600\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\nEND:STANDARD\n" +
			"BEGIN:DAYLIGHT\nDTSTART:16010101T020000\nTZOFFSETFROM:-0600\nTZOFFSETTO:-0500\nRRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=4\nEND:DAYLIGHT\n" +
			"END:VTIMEZONE\n" +
			"BEGIN:VEVENT\nDTSTART;TZID=Central Standard Time (Mexico):20230601T020000\nDURATION:PT4H\nRRULE:FREQ=YEARLY;COUNT=2\nEND:VEVENT\nEND:VCALENDAR\n",
			`t.ics:18: DTSTART: TZID "Central Standard Time (Mexico)": the VTIMEZONE of line 2 gives UTC-0500 at 2023-06-01T08:00:00Z, where America/Mexico_City, the IANA zone read for this Windows zone, gives UTC-0600: the file's zone is not that one; give the IANA name of the zone as TZID`},
		{"a cancellation in a Windows zone whose VTIMEZONE has other rules", "BEGIN:VCALENDAR\n" +
			"BEGIN:VTIMEZONE\nTZID:Central Standard Time (Mexico)\n" +
			"BEGIN:STANDARD\nDTSTART:16010101T020000\nTZOFFSETFROM:-0500\nTZOFFSETTO:-0600\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\nEND:STANDARD\n" +
			"BEGIN:DAYLIGHT\nDTSTART:16010101T020000\nTZOFFSETFROM:-0600\nTZOFFSETTO:-0500\nRRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=4\nEND:DAYLIGHT\n" +
			"END:VTIMEZONE\n" +
			"BEGIN:VEVENT\nUID:a\nDTSTART;TZID=America/Mexico_City:20260607T020000\nDURATION:PT4H\nRRULE:FREQ=WEEKLY\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID;TZID=Central Standard Time (Mexico):20260614T020000\nDTSTART:20260614T080000Z\nSTATUS:CANCELLED\nEND:VEVENT\n" +
			"END:VCALENDAR\n",
			`t.ics:25: RECURRENCE-ID: TZID "Central Standard Time (Mexico)": the VTIMEZONE of line 2 gives UTC-0500 at 2026-06-14T08:00:00Z, where America/Mexico_City, the IANA zone read for this Windows zone, gives UTC-0600: the file's zone is not that one; give the IANA name of the zone as TZID`},
		{"a cancellation in a Windows zone whose VTIMEZONE has other rules, naming no occurrence", "BEGIN:VCALENDAR\n" +
			"BEGIN:VTIMEZONE\nTZID:Central Standard Time (Mexico)\n" +
			"BEGIN:STANDARD\nDTSTART:16010101T020000\nTZOFFSETFROM:-0500\nTZOFFSETTO:-0600\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\nEND:STANDARD\n" +
			"BEGIN:DAYLIGHT\nDTSTART:16010101T020000\nTZOFFSETFROM:-0600\nTZOFFSETTO:-0500\nRRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=4\nEND:DAYLIGHT\n" +
			"END:VTIMEZONE\n" +
			"BEGIN:VEVENT\nUID:a\nDTSTART;TZID=America/Mexico_City:20260607T020000\nDURATION:PT4H\nRRULE:FREQ=WEEKLY\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID;TZID=Central Standard Time (Mexico):20260614T030000\nDTSTART:20260614T080000Z\nSTATUS:CANCELLED\nEND:VEVENT\n" +
			"END:VCALENDAR\n",
			`t.ics:25: RECURRENCE-ID: TZID "Central Standard Time (Mexico)": the VTIMEZONE of line 2 gives UTC-0500 at 2026-06-14T09:00:00Z, where America/Mexico_City, the IANA zone read for this Windows zone, gives UTC-0600: the file's zone is not that one; give the IANA name of the zone as TZID`},
		{"UTC with TZID", ics("DTSTART;TZID=Europe/Paris:20270103T020000Z", "DURATION:PT1H"),
			`t.ics:4: DTSTART: "20270103T020000Z": a UTC time (ending in Z) takes no TZID`},
		{"bad date-time", ics("DTSTART:2027-01-03T02:00:00", "DURATION:PT1H"),
			`t.ics:4: DTSTART: "2027-01-03T02:00:00": want the form 20060102T150405`},
		{"period start", ics("DTSTART;VALUE=PERIOD:20270103T020000/PT1H"),
			"t.ics:4: DTSTART: VALUE=PERIOD is not supported here; want DATE or DATE-TIME"},
		{"only an event of no length", ics("DTSTART:20270103T020000"), "t.ics: every VEVENT of the calendar is cancelled, replaced or lasts no time"},
		{"an all-day event that ends where it starts", ics("DTSTART;VALUE=DATE:20270103", "DTEND;VALUE=DATE:20270103"),
			"t.ics:5: DTEND: must be after DTSTART; an all-day event ends on the day after its last day (DTEND;VALUE=DATE:20270104 for a single day)"},
		{"an all-day event of no duration", ics("DTSTART;VALUE=DATE:20270103", "DURATION:P0D"), `t.ics:5: DURATION: "P0D": must be positive`},
		{"an RDATE period of no length", ics("DTSTART:20270103T020000", "DURATION:PT1H", "RDATE;VALUE=PERIOD:20270104T020000/20270104T020000"),
			"t.ics:6: RDATE: a period must end after it starts"},
		{"end before start", ics("DTSTART:20270103T020000", "DTEND:20270103T010000"), "t.ics:5: DTEND: must be after DTSTART"},
		{"end and duration", ics("DTSTART:20270103T020000", "DTEND:20270103T030000", "DURATION:PT1H"), "t.ics:6: DTEND and DURATION exclude each other"},
		{"date end for a date-time", ics("DTSTART:20270103T020000", "DTEND;VALUE=DATE:20270104"),
			"t.ics:5: DTEND: a date and a date-time cannot be mixed with DTSTART's"},
		{"bad duration", ics("DTSTART:20270103T020000", "DURATION:PT1H2X"), `t.ics:5: DURATION: "PT1H2X" is not a duration such as PT4H, P1DT12H or P2W`},
		{"negative duration", ics("DTSTART:20270103T020000", "DURATION:-PT1H"), `t.ics:5: DURATION: "-PT1H": must be positive`},
		{"an RDATE period of no duration", ics("DTSTART:20270103T020000", "DURATION:PT1H", "RDATE;VALUE=PERIOD:20270104T020000/PT0S"),
			`t.ics:6: RDATE: "PT0S": must be positive`},
		{"long duration", ics("DTSTART:20270103T020000", "DURATION:P367D"), `t.ics:5: DURATION: "P367D" is longer than 8784h`},
		{"bad rule", ics("DTSTART:20270103T020000", "DURATION:PT1H", "RRULE:FREQ=SOMETIMES"),
			"t.ics:6: RRULE: FREQ=SOMETIMES: want YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY, MINUTELY or SECONDLY"},
		{"an empty part inside a rule", ics("DTSTART:20270102T020000", "DURATION:PT1H", "RRULE:FREQ=WEEKLY;;BYDAY=SA"),
			`t.ics:6: RRULE: "" is not a KEY=VALUE part`},
		{"two empty parts at the end of a rule", ics("DTSTART:20270102T020000", "DURATION:PT1H", "RRULE:FREQ=WEEKLY;BYDAY=SA;;"),
			`t.ics:6: RRULE: "" is not a KEY=VALUE part`},
		{"an empty item inside an EXDATE list", ics("DTSTART;TZID=Europe/Berlin:20261124T020000", "DURATION:PT1H", "RRULE:FREQ=WEEKLY", "EXDATE;TZID=Europe/Berlin:20261201T020000,,20261208T020000"),
			`t.ics:7: EXDATE: "20261201T020000,,20261208T020000" has an empty item, where a time may have been lost; list the times separated by single commas`},
		{"two commas at the end of an EXDATE list", ics("DTSTART;TZID=Europe/Berlin:20261124T020000", "DURATION:PT1H", "RRULE:FREQ=WEEKLY", "EXDATE;TZID=Europe/Berlin:20261201T020000,,"),
			`t.ics:7: EXDATE: "20261201T020000,," has an empty item, where a time may have been lost; list the times separated by single commas`},
		{"an EXDATE list starting with a comma", ics("DTSTART;TZID=Europe/Berlin:20261124T020000", "DURATION:PT1H", "RRULE:FREQ=WEEKLY", "EXDATE;TZID=Europe/Berlin:,20261201T020000"),
			`t.ics:7: EXDATE: ",20261201T020000" has an empty item, where a time may have been lost; list the times separated by single commas`},
		{"an empty item inside an RDATE list", ics("DTSTART:20270103T020000", "DURATION:PT1H", "RDATE:20270104T020000, ,20270105T020000"),
			`t.ics:6: RDATE: "20270104T020000, ,20270105T020000" has an empty item, where a time may have been lost; list the times separated by single commas`},
		{"rule without occurrence", ics("DTSTART:20270103T020000", "DURATION:PT1H", "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"),
			"t.ics:6: RRULE: produces no occurrence within 400 years of the start"},
		{"floating exception for a zoned start", ics("DTSTART;TZID=Europe/Paris:20270103T020000", "DURATION:PT1H", "RRULE:FREQ=DAILY", "EXDATE:20270104T020000"),
			"t.ics:7: EXDATE: a floating time and one with a time zone cannot be mixed; give both the same TZID"},
		{"empty TZID", ics("DTSTART;TZID=:20260101T020000", "DURATION:PT1H"),
			"t.ics:4: DTSTART: TZID is empty; name an IANA time zone such as Europe/Paris, or leave TZID out for a floating time"},
		{"empty quoted TZID on an exception", ics("DTSTART;TZID=Europe/Paris:20260101T020000", "DURATION:PT1H", "RRULE:FREQ=DAILY", `EXDATE;TZID="":20260102T020000`),
			"t.ics:7: EXDATE: TZID is empty; name an IANA time zone such as Europe/Paris, or leave TZID out for a floating time"},
		{"date exception for a zoned start", ics("DTSTART;TZID=Europe/Paris:20260101T020000", "DURATION:PT1H", "RRULE:FREQ=DAILY", "EXDATE;VALUE=DATE:20260105"),
			`t.ics:7: EXDATE: "20260105" is a date, which is not supported with a DTSTART that has a time of day; give the date and time the occurrence starts, as DTSTART does`},
		{"date exception for a floating start", ics("DTSTART:20260101T020000", "DURATION:PT1H", "RRULE:FREQ=DAILY", "EXDATE:20260103T020000,20260105"),
			`t.ics:7: EXDATE: "20260105" is a date, which is not supported with a DTSTART that has a time of day; give the date and time the occurrence starts, as DTSTART does`},
		{"an exception with a time of day for an all-day event", ics("DTSTART;VALUE=DATE:20260105", "RRULE:FREQ=WEEKLY", "EXDATE;TZID=Europe/Paris:20260112T000000,20260119T100000"),
			`t.ics:6: EXDATE: "20260119T100000" has a time of day, and DTSTART is a date; give the date of the occurrence (VALUE=DATE)`},
		{"date added to a timed event", ics("DTSTART;TZID=Europe/Paris:20260101T020000", "DURATION:PT1H", "RDATE;VALUE=DATE:20260105"),
			`t.ics:6: RDATE: "20260105" is a date, which is not supported with a DTSTART that has a time of day; give the date and time the occurrence starts, as DTSTART does`},
		{"start after the last year", ics("DTSTART;TZID=Europe/Paris:22000101T000000", "DURATION:PT1H"),
			`t.ics:4: DTSTART: "2200-01-01T00:00:00": the year must be 2199 or earlier`},
		{"bad exception date", ics("DTSTART:20270103T020000", "DURATION:PT1H", "RRULE:FREQ=DAILY", "EXDATE:20270104T020000,2027"),
			`t.ics:7: EXDATE: "2027": want the form 20060102T150405`},
		{"bad period", ics("DTSTART:20270103T020000", "DURATION:PT1H", "RDATE;VALUE=PERIOD:20270104T020000"),
			`t.ics:6: RDATE: "20270104T020000" is not a period START/END or START/DURATION`},
		{"a cancellation", "BEGIN:VCALENDAR\nVERSION:2.0\nMETHOD:CANCEL\nBEGIN:VEVENT\nUID:a\nDTSTART:20270103T020000\nDURATION:PT4H\nEND:VEVENT\nEND:VCALENDAR\n",
			"t.ics:3: METHOD:CANCEL: the file is a message that cancels the events it names, not a calendar of them; export the calendar itself, where they are gone"},
		{"a reply", "BEGIN:VCALENDAR\nMETHOD:reply\nBEGIN:VEVENT\nDTSTART:20270103T020000\nDURATION:PT4H\nEND:VEVENT\nEND:VCALENDAR\n",
			"t.ics:2: METHOD:REPLY: the file is a message about events held elsewhere, not a calendar of them; export the calendar itself (METHOD:PUBLISH, or no METHOD)"},
		{"the method of a second calendar", "BEGIN:VCALENDAR\nMETHOD:PUBLISH\nBEGIN:VEVENT\nDTSTART:20270103T020000\nDURATION:PT4H\nEND:VEVENT\nEND:VCALENDAR\n" +
			"BEGIN:VCALENDAR\nMETHOD:ADD\nEND:VCALENDAR\n",
			"t.ics:9: METHOD:ADD: the file is a message about events held elsewhere, not a calendar of them; export the calendar itself (METHOD:PUBLISH, or no METHOD)"},
		{"EXRULE", ics("DTSTART:20270103T020000", "DURATION:PT1H", "RRULE:FREQ=DAILY", "EXRULE:FREQ=WEEKLY;BYDAY=SA,SU"),
			"t.ics:7: EXRULE is not supported (RFC 5545 dropped it); list the occurrences to exclude with EXDATE"},
		{"two versions of one event", "BEGIN:VCALENDAR\n" +
			"BEGIN:VEVENT\nUID:a\nSEQUENCE:0\nDTSTART:20270103T020000\nDURATION:PT1H\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:a\nSEQUENCE:1\nDTSTART:20270103T040000\nDURATION:PT1H\nEND:VEVENT\n" +
			"END:VCALENDAR\n", `t.ics:8: VEVENT: UID "a" is given to the VEVENT of line 2 too, and neither has a RECURRENCE-ID: they are two versions of one event; keep one`},
		{"two versions of one occurrence", "BEGIN:VCALENDAR\n" +
			"BEGIN:VEVENT\nUID:a\nDTSTART;TZID=Europe/Paris:20270103T020000\nDURATION:PT1H\nRRULE:FREQ=WEEKLY\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID;TZID=Europe/Paris:20270110T020000\nDTSTART;TZID=Europe/Paris:20270110T030000\nDURATION:PT1H\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID:20270110T010000Z\nSTATUS:CANCELLED\nDTSTART:20270110T010000Z\nEND:VEVENT\n" +
			"END:VCALENDAR\n", `t.ics:16: RECURRENCE-ID: the VEVENT of line 8 replaces the same occurrence of UID "a": they are two versions of one; keep one`},
		{"a cancelled occurrence that the event does not have", "BEGIN:VCALENDAR\n" +
			"BEGIN:VEVENT\nUID:a\nDTSTART;TZID=Europe/Paris:20270103T020000\nDURATION:PT4H\nRRULE:FREQ=WEEKLY;BYDAY=SU\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID;TZID=Europe/Paris:20270110T030000\nSTATUS:CANCELLED\nDTSTART;TZID=Europe/Paris:20270110T030000\nEND:VEVENT\n" +
			"END:VCALENDAR\n", `t.ics:10: RECURRENCE-ID: 2027-01-10T03:00:00 (Europe/Paris) is not the start of an occurrence of the VEVENT of line 2 (UID "a"), so it replaces nothing: that day its occurrences start at 02:00:00`},
		{"an occurrence on a day without one", "BEGIN:VCALENDAR\n" +
			"BEGIN:VEVENT\nUID:a\nDTSTART:20270103T020000\nDURATION:PT4H\nRRULE:FREQ=WEEKLY;BYDAY=SU\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID:20270111T020000\nDTSTART:20270111T050000\nDURATION:PT4H\nEND:VEVENT\n" +
			"END:VCALENDAR\n", `t.ics:10: RECURRENCE-ID: 2027-01-11T02:00:00 (floating) is not the start of an occurrence of the VEVENT of line 2 (UID "a"), so it replaces nothing: the event has no occurrence that day; the next starts at 2027-01-17T02:00:00`},
		{"an occurrence after the last one", "BEGIN:VCALENDAR\n" +
			"BEGIN:VEVENT\nUID:a\nDTSTART:20270103T020000\nDURATION:PT4H\nRRULE:FREQ=WEEKLY;COUNT=2\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID:20270117T020000\nDTSTART:20270117T050000\nDURATION:PT4H\nEND:VEVENT\n" +
			"END:VCALENDAR\n", `t.ics:10: RECURRENCE-ID: 2027-01-17T02:00:00 (floating) is not the start of an occurrence of the VEVENT of line 2 (UID "a"), so it replaces nothing: the event has no occurrence that day, nor after it`},
		{"a date for an occurrence with a time of day", "BEGIN:VCALENDAR\n" +
			"BEGIN:VEVENT\nUID:a\nDTSTART:20270103T000000\nDURATION:PT4H\nRRULE:FREQ=WEEKLY;BYDAY=SU\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID;VALUE=DATE:20270110\nSTATUS:CANCELLED\nDTSTART;VALUE=DATE:20270110\nEND:VEVENT\n" +
			"END:VCALENDAR\n", `t.ics:10: RECURRENCE-ID: "20270110" is a date, and the DTSTART of the VEVENT of line 2 has a time of day; give the date and time the occurrence starts`},
		{"a time of day for an all-day occurrence", "BEGIN:VCALENDAR\n" +
			"BEGIN:VEVENT\nUID:a\nDTSTART;VALUE=DATE:20270103\nRRULE:FREQ=WEEKLY;BYDAY=SU\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID:20270110T020000\nSTATUS:CANCELLED\nDTSTART:20270110T020000\nEND:VEVENT\n" +
			"END:VCALENDAR\n", `t.ics:9: RECURRENCE-ID: "20270110T020000" has a time of day, and the DTSTART of the VEVENT of line 2 is a date; give the date of the occurrence (VALUE=DATE)`},
		{"a cancelled occurrence in an unknown zone", "BEGIN:VCALENDAR\n" +
			"BEGIN:VEVENT\nUID:a\nDTSTART;TZID=Europe/Berlin:20270103T020000\nDURATION:PT1H\nRRULE:FREQ=WEEKLY\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID;TZID=Customized Time Zone:20270110T020000\nDTSTART;TZID=Customized Time Zone:20270110T020000\nSTATUS:CANCELLED\nEND:VEVENT\n" +
			"END:VCALENDAR\n",
			`t.ics:10: RECURRENCE-ID: the VEVENT cancels an occurrence of the VEVENT of line 2 (UID "a"), which cannot be told without its zone: TZID: "Customized Time Zone" is neither an IANA time zone such as Europe/Paris nor a Windows one such as W. Europe Standard Time; name the zone by its IANA name`},
		{"an occurrence moved by a RECURRENCE-ID in an unknown zone", "BEGIN:VCALENDAR\n" +
			"BEGIN:VEVENT\nUID:a\nDTSTART;TZID=Europe/Berlin:20270103T020000\nDURATION:PT1H\nRRULE:FREQ=WEEKLY\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID;TZID=Customized Time Zone:20270110T020000\nDTSTART;TZID=Europe/Berlin:20270110T040000\nDURATION:PT1H\nEND:VEVENT\n" +
			"END:VCALENDAR\n",
			`t.ics:10: RECURRENCE-ID: the VEVENT moves an occurrence of the VEVENT of line 2 (UID "a"), which cannot be told without its zone: TZID: "Customized Time Zone" is neither an IANA time zone such as Europe/Paris nor a Windows one such as W. Europe Standard Time; name the zone by its IANA name`},
		{"two versions of an occurrence in an unknown zone", "BEGIN:VCALENDAR\n" +
			"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID;TZID=Customized Time Zone:20270110T020000\nDTSTART;TZID=Europe/Berlin:20270110T040000\nDURATION:PT1H\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID;TZID=Customized Time Zone:20270110T020000\nDTSTART;TZID=Europe/Berlin:20270110T050000\nDURATION:PT1H\nEND:VEVENT\n" +
			"END:VCALENDAR\n",
			`t.ics:10: RECURRENCE-ID: the VEVENT of line 2 replaces the same occurrence of UID "a": they are two versions of one; keep one`},
		{"a cancelled and a moved version of an occurrence in an unknown zone", "BEGIN:VCALENDAR\n" +
			"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID;TZID=Customized Time Zone:20270110T020000\nDTSTART;TZID=Customized Time Zone:20270110T020000\nSTATUS:CANCELLED\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID;TZID=Customized Time Zone:20270110T020000\nDTSTART;TZID=Europe/Berlin:20270110T050000\nDURATION:PT1H\nEND:VEVENT\n" +
			"END:VCALENDAR\n",
			`t.ics:10: RECURRENCE-ID: the VEVENT of line 2 replaces the same occurrence of UID "a": they are two versions of one; keep one`},
		{"a moved occurrence in an unknown zone", "BEGIN:VCALENDAR\n" +
			"BEGIN:VEVENT\nUID:a\nDTSTART;TZID=Europe/Berlin:20270103T020000\nDURATION:PT1H\nRRULE:FREQ=WEEKLY\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID:20270110T010000Z\nDTSTART;TZID=Customized Time Zone:20270110T030000\nDURATION:PT1H\nEND:VEVENT\n" +
			"END:VCALENDAR\n",
			`t.ics:11: DTSTART: TZID: "Customized Time Zone" is neither an IANA time zone such as Europe/Paris nor a Windows one such as W. Europe Standard Time; name the zone by its IANA name`},
		// An event without a rule whose one occurrence was moved is still
		// in force: a later RECURRENCE-ID of its UID must name an
		// occurrence of it too, whatever the order of the VEVENTs.
		{"a second version, in an unknown zone, of the moved occurrence of an event without a rule", "BEGIN:VCALENDAR\n" +
			"BEGIN:VEVENT\nUID:a\nDTSTART;TZID=Europe/Berlin:20270110T020000\nDURATION:PT1H\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID;TZID=Europe/Berlin:20270110T020000\nDTSTART;TZID=Europe/Berlin:20270110T040000\nDURATION:PT1H\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID;TZID=Customized Time Zone:20270110T020000\nDTSTART;TZID=Europe/Berlin:20270111T040000\nDURATION:PT1H\nEND:VEVENT\n" +
			"END:VCALENDAR\n",
			`t.ics:15: RECURRENCE-ID: the VEVENT moves an occurrence of the VEVENT of line 2 (UID "a"), which cannot be told without its zone: TZID: "Customized Time Zone" is neither an IANA time zone such as Europe/Paris nor a Windows one such as W. Europe Standard Time; name the zone by its IANA name`},
		{"a RECURRENCE-ID that names no occurrence of an event without a rule, whose one occurrence was cancelled", "BEGIN:VCALENDAR\n" +
			"BEGIN:VEVENT\nUID:a\nDTSTART;TZID=Europe/Berlin:20270110T020000\nDURATION:PT1H\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID;TZID=Europe/Berlin:20270110T020000\nDTSTART;TZID=Europe/Berlin:20270110T020000\nSTATUS:CANCELLED\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID;TZID=Europe/Berlin:20270117T020000\nDTSTART;TZID=Europe/Berlin:20270117T040000\nDURATION:PT1H\nEND:VEVENT\n" +
			"END:VCALENDAR\n",
			`t.ics:15: RECURRENCE-ID: 2027-01-17T02:00:00 (Europe/Berlin) is not the start of an occurrence of the VEVENT of line 2 (UID "a"), so it replaces nothing: the event has no occurrence that day, nor after it`},
		{"a replacement of no occurrence of an event with occurrences of no length", "BEGIN:VCALENDAR\n" +
			"BEGIN:VEVENT\nUID:m\nDTSTART;TZID=Europe/Berlin:20270103T080000\nRRULE:FREQ=WEEKLY;COUNT=2\n" +
			"RDATE;TZID=Europe/Berlin;VALUE=PERIOD:20270104T080000/PT2H\nRDATE;TZID=Europe/Berlin:20270105T080000\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:m\nRECURRENCE-ID;TZID=Europe/Berlin:20270105T090000\nDTSTART;TZID=Europe/Berlin:20270106T080000\nDURATION:PT1H\nEND:VEVENT\n" +
			"END:VCALENDAR\n",
			`t.ics:11: RECURRENCE-ID: 2027-01-05T09:00:00 (Europe/Berlin) is not the start of an occurrence of the VEVENT of line 2 (UID "m"), so it replaces nothing: that day its only occurrence, at 08:00:00, lasts no time and was skipped`},
		{"a replacement of no occurrence on a day with occurrences of no length and others", "BEGIN:VCALENDAR\n" +
			"BEGIN:VEVENT\nUID:m\nDTSTART;TZID=Europe/Berlin:20270103T080000\nRRULE:FREQ=WEEKLY;COUNT=3\n" +
			"RDATE;TZID=Europe/Berlin;VALUE=PERIOD:20270104T080000/PT2H,20270110T100000/PT2H\nRDATE;TZID=Europe/Berlin:20270110T070000\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:m\nRECURRENCE-ID;TZID=Europe/Berlin:20270110T090000\nDTSTART;TZID=Europe/Berlin:20270111T080000\nDURATION:PT1H\nEND:VEVENT\n" +
			"END:VCALENDAR\n",
			`t.ics:11: RECURRENCE-ID: 2027-01-10T09:00:00 (Europe/Berlin) is not the start of an occurrence of the VEVENT of line 2 (UID "m"), so it replaces nothing: that day its occurrences start at 10:00:00, and those at 07:00:00, 08:00:00 last no time and were skipped`},
		{"a replacement of no occurrence on a day before one of no length", "BEGIN:VCALENDAR\n" +
			"BEGIN:VEVENT\nUID:m\nDTSTART;TZID=Europe/Berlin:20270103T080000\nRRULE:FREQ=WEEKLY\n" +
			"RDATE;TZID=Europe/Berlin;VALUE=PERIOD:20270104T080000/PT2H,20270120T100000/PT2H\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:m\nRECURRENCE-ID;TZID=Europe/Berlin:20270105T080000\nDTSTART;TZID=Europe/Berlin:20270106T080000\nDURATION:PT1H\nEND:VEVENT\n" +
			"END:VCALENDAR\n",
			`t.ics:10: RECURRENCE-ID: 2027-01-05T08:00:00 (Europe/Berlin) is not the start of an occurrence of the VEVENT of line 2 (UID "m"), so it replaces nothing: the event has no occurrence that day; the next, at 2027-01-10T08:00:00, lasts no time and was skipped`},
		{"a cancelled event with a malformed DTSTART", ics("DTSTART;TZID=Europe/Berlin:2027", "STATUS:CANCELLED"),
			`t.ics:4: DTSTART: "2027": want the form 20060102T150405`},
		{"a start the rule does not produce", ics("DTSTART;TZID=Europe/Paris:20260602T020000", "DURATION:PT4H", "RRULE:FREQ=WEEKLY;BYDAY=SU"),
			"t.ics:6: RRULE: does not produce DTSTART (2026-06-02T02:00:00, a Tuesday), which RFC 5545 leaves undefined and calendar programs read differently; start the event at its first occurrence, 2026-06-07T02:00:00"},
		{"this and future", "BEGIN:VCALENDAR\n" +
			"BEGIN:VEVENT\nUID:a\nDTSTART:20270103T020000\nDURATION:PT1H\nRRULE:FREQ=WEEKLY\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID;RANGE=THISANDFUTURE:20270110T020000\nDTSTART:20270110T030000\nDURATION:PT1H\nEND:VEVENT\n" +
			"END:VCALENDAR\n", "t.ics:10: RECURRENCE-ID: RANGE=THISANDFUTURE is not supported; end the series before this occurrence (UNTIL in the RRULE of its VEVENT) and describe this occurrence and the later ones with a VEVENT of their own, under another UID"},
		{"line numbers count folded lines", ics("SUMMARY:a long", " summary", " over three lines", "DTSTART:2027", "DURATION:PT1H"),
			`t.ics:7: DTSTART: "2027": want the form 20060102T150405`},
		{"start before year 1 in the zone", ics("DTSTART;TZID=America/New_York:00010101T000000", "DURATION:PT1H", "EXDATE:00010101T000000Z"),
			"t.ics:6: EXDATE: in America/New_York, the time falls outside the years 0001 to 9999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := calendar.ParseICS("t.ics", []byte(tt.data))
			if err == nil {
				t.Fatalf("ParseICS = %+v; want error %q", got, tt.want)
			}
			if code := andon.ErrorCode(err); code != andon.EINVALID {
				t.Errorf("ParseICS: code %q; want %q", code, andon.EINVALID)
			}
			if msg := andon.ErrorMessage(err); msg != tt.want {
				t.Errorf("ParseICS: message\n got %s\nwant %s", msg, tt.want)
			}
		})
	}
}

// TestParseICSReportsEveryEvent: the problems of several VEVENTs are all
// reported, each event's first, at their lines.
func TestParseICSReportsEveryEvent(t *testing.T) {
	data := "BEGIN:VCALENDAR\n" +
		"BEGIN:VEVENT\nDTSTART:20270103T020000\nDURATION:PT1H\nEND:VEVENT\n" + // fine
		"BEGIN:VEVENT\nDTSTART:2027-01-10\nDURATION:PT1H\nEND:VEVENT\n" + // line 7
		"BEGIN:VEVENT\nDTSTART:20270117T020000\nDURATION:PT1H\nRRULE:FREQ=MONTLY\nEND:VEVENT\n" + // line 13
		"BEGIN:VEVENT\nDURATION:PT1H\nEND:VEVENT\n" + // line 15
		"END:VCALENDAR\n"
	_, err := calendar.ParseICS("t.ics", []byte(data))
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("ParseICS = %v; want the problems of three events", err)
	}
	var got []string
	for _, e := range joined.Unwrap() {
		if andon.ErrorCode(e) != andon.EINVALID {
			t.Errorf("%v: code %q", e, andon.ErrorCode(e))
		}
		got = append(got, andon.ErrorMessage(e))
	}
	want := []string{
		`t.ics:7: DTSTART: "2027-01-10": want the form 20060102T150405`,
		`t.ics:13: RRULE: FREQ=MONTLY: want YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY, MINUTELY or SECONDLY`,
		"t.ics:15: VEVENT has no DTSTART",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// TestParseICSExcludesByInstant checks that an EXDATE or a RECURRENCE-ID
// in another zone than DTSTART removes the occurrence that starts at its
// instant, even when the occurrence's wall start falls in the gap of a
// spring-forward night and so was moved forward to that instant.
func TestParseICSExcludesByInstant(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		env      string
		from, to string
		want     []string
	}{{
		name: "Paris, an EXDATE in UTC for 02:30 on the night clocks spring forward",
		data: ics("DTSTART;TZID=Europe/Paris:20260301T023000", "DURATION:PT1H", "RRULE:FREQ=WEEKLY",
			"EXDATE:20260329T013000Z"),
		env: "prod-lyon", from: "2026-03-21T00:00:00Z", to: "2026-04-06T00:00:00Z",
		want: []string{
			"w 2026-03-22T02:30:00+01:00/2026-03-22T03:30:00+01:00",
			"w 2026-04-05T02:30:00+02:00/2026-04-05T03:30:00+02:00",
		},
	}, {
		name: "Lord Howe, whose clocks skip half an hour, an EXDATE in Melbourne time",
		data: ics("DTSTART;TZID=Australia/Lord_Howe:20260920T020000", "DURATION:PT1H", "RRULE:FREQ=WEEKLY",
			"EXDATE;TZID=Australia/Melbourne:20261004T013000"),
		env: "prod-lyon", from: "2026-09-26T00:00:00Z", to: "2026-10-12T00:00:00Z",
		want: []string{
			"w 2026-09-27T02:00:00+10:30/2026-09-27T03:00:00+10:30",
			"w 2026-10-11T02:00:00+11:00/2026-10-11T03:00:00+11:00",
		},
	}, {
		name: "Melbourne, a cancelled occurrence named in UTC",
		data: "BEGIN:VCALENDAR\n" +
			"BEGIN:VEVENT\nUID:a\nDTSTART;TZID=Australia/Melbourne:20260920T021500\nDURATION:PT1H\nRRULE:FREQ=WEEKLY\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID:20261003T161500Z\nSTATUS:CANCELLED\nDTSTART:20261003T161500Z\nDURATION:PT1H\nEND:VEVENT\n" +
			"END:VCALENDAR\n",
		env: "prod-lyon", from: "2026-09-26T00:00:00Z", to: "2026-10-12T00:00:00Z",
		want: []string{
			"w 2026-09-27T02:15:00+10:00/2026-09-27T03:15:00+10:00",
			"w 2026-10-11T02:15:00+11:00/2026-10-11T03:15:00+11:00",
		},
	}, {
		name: "Paris, an EXDATE in UTC for the first 02:30 on the night clocks fall back",
		data: ics("DTSTART;TZID=Europe/Paris:20261018T023000", "DURATION:PT1H", "RRULE:FREQ=WEEKLY;COUNT=3",
			"EXDATE:20261025T003000Z"),
		env: "prod-lyon", from: "2026-10-01T00:00:00Z", to: "2026-11-06T00:00:00Z",
		want: []string{
			"w 2026-10-18T02:30:00+02:00/2026-10-18T03:30:00+02:00",
			"w 2026-11-01T02:30:00+01:00/2026-11-01T03:30:00+01:00",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			schedules, err := calendar.ParseICS("t.ics", []byte(tt.data))
			if err != nil {
				t.Fatalf("ParseICS: %v", err)
			}
			cat := NewCatalog(t, &andon.Window{Name: "w", Type: andon.WindowFreeze, Schedules: schedules})
			c := MustNew(t, cat)
			got := Spans(c.Occurrences(cat.Environment(tt.env), MustTime(t, tt.from), MustTime(t, tt.to)))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Occurrences mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseICSAllDayUntilInUTC: Outlook and Exchange end an all-day series
// with the organiser's midnight in UTC rather than a date. Compared with a
// plant's own midnights, that instant dropped the series' last day at a
// plant west of the organiser; it is the last day in the zone the file
// names, at plants on either side and in both hemispheres.
func TestParseICSAllDayUntilInUTC(t *testing.T) {
	const outlookZone = "BEGIN:VTIMEZONE\nTZID:W. Europe Standard Time\nBEGIN:STANDARD\nDTSTART:16010101T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\nEND:STANDARD\nBEGIN:DAYLIGHT\nDTSTART:16010101T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\nEND:DAYLIGHT\nEND:VTIMEZONE\n"
	calendarOf := func(head, until string) string {
		return "BEGIN:VCALENDAR\nVERSION:2.0\n" + head +
			"BEGIN:VEVENT\nUID:shutdown\nDTSTART;VALUE=DATE:20261228\nDTEND;VALUE=DATE:20261229\nRRULE:FREQ=DAILY;UNTIL=" + until + "\nEND:VEVENT\nEND:VCALENDAR\n"
	}
	cat := &andon.Catalog{
		Plants: []*andon.Plant{
			{Name: "fresno", Timezone: "America/Los_Angeles", Location: MustLoadLocation(t, "America/Los_Angeles")},
			{Name: "berlin", Timezone: "Europe/Berlin", Location: MustLoadLocation(t, "Europe/Berlin")},
			{Name: "auckland", Timezone: "Pacific/Auckland", Location: MustLoadLocation(t, "Pacific/Auckland")},
			{Name: "santiago", Timezone: "America/Santiago", Location: MustLoadLocation(t, "America/Santiago")},
		},
		Environments: []*andon.Environment{
			{Name: "prod-fresno", Stage: andon.StageProduction, Plants: []string{"fresno"}},
			{Name: "prod-berlin", Stage: andon.StageProduction, Plants: []string{"berlin"}},
			{Name: "prod-auckland", Stage: andon.StageProduction, Plants: []string{"auckland"}},
			{Name: "prod-santiago", Stage: andon.StageProduction, Plants: []string{"santiago"}},
		},
	}
	envs := []string{"prod-fresno", "prod-berlin", "prod-auckland", "prod-santiago"}
	tests := []struct {
		name string
		data string
		// wantRule is the rule read; the days are 28 to 31 December at
		// every plant.
		wantRule string
	}{
		{"Berlin in X-WR-TIMEZONE", calendarOf("X-WR-TIMEZONE:Europe/Berlin\n", "20261230T230000Z"), "FREQ=DAILY;UNTIL=20261231"},
		{"Berlin as Outlook's single VTIMEZONE", calendarOf(outlookZone, "20261230T230000Z"), "FREQ=DAILY;UNTIL=20261231"},
		// A file of several zones: that midnight in Berlin is the same
		// day in Paris and in Helsinki, so the last day is certain.
		{"Berlin among VTIMEZONEs that agree on the day", calendarOf(outlookZone+"BEGIN:VTIMEZONE\nTZID:Europe/Paris\nEND:VTIMEZONE\nBEGIN:VTIMEZONE\nTZID:Europe/Helsinki\nEND:VTIMEZONE\n", "20261230T230000Z"), "FREQ=DAILY;UNTIL=20261231"},
		{"Berlin in X-WR-TIMEZONE among VTIMEZONEs that disagree", calendarOf("X-WR-TIMEZONE:Europe/Berlin\nBEGIN:VTIMEZONE\nTZID:Europe/Berlin\nEND:VTIMEZONE\nBEGIN:VTIMEZONE\nTZID:America/Los_Angeles\nEND:VTIMEZONE\n", "20261230T230000Z"), "FREQ=DAILY;UNTIL=20261231"},
		{"the end of the last day in Berlin", calendarOf("X-WR-TIMEZONE:Europe/Berlin\n", "20261231T225959Z"), "FREQ=DAILY;UNTIL=20261231"},
		{"Auckland in summer, 13 hours ahead", calendarOf("X-WR-TIMEZONE:Pacific/Auckland\n", "20261230T110000Z"), "FREQ=DAILY;UNTIL=20261231"},
		{"Los Angeles, behind UTC", calendarOf("X-WR-TIMEZONE:America/Los_Angeles\n", "20261231T080000Z"), "FREQ=DAILY;UNTIL=20261231"},
		{"Santiago in summer, behind UTC in the south", calendarOf("X-WR-TIMEZONE:America/Santiago\n", "20261231T030000Z"), "FREQ=DAILY;UNTIL=20261231"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			schedules, err := calendar.ParseICS("shutdown.ics", []byte(tt.data))
			if err != nil {
				t.Fatalf("ParseICS: %v", err)
			}
			if len(schedules) != 1 || schedules[0].RRule != tt.wantRule {
				t.Fatalf("ParseICS = %+v, want one schedule with RRULE %s", schedules, tt.wantRule)
			}
			cat.Windows = []*andon.Window{{Name: "shutdown", Type: andon.WindowFreeze, Schedules: schedules, ICS: "shutdown.ics"}}
			c := MustNew(t, cat)
			for _, env := range envs {
				e := cat.Environment(env)
				loc := cat.Plant(e.Plants[0]).Location
				var got []string
				for _, o := range c.Occurrences(e, time.Date(2026, 12, 20, 0, 0, 0, 0, loc), time.Date(2027, 1, 10, 0, 0, 0, 0, loc)) {
					got = append(got, o.Start.In(loc).Format(time.DateOnly))
				}
				want := []string{"2026-12-28", "2026-12-29", "2026-12-30", "2026-12-31"}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s: days mismatch (-want +got):\n%s", env, diff)
				}
			}
		})
	}
}
