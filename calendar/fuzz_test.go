package calendar_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/calendar"
)

// FuzzParseICS checks that ParseICS never panics, that its errors are
// EINVALID and name the file, and that every schedule it returns is one
// ValidateSchedule accepts and New compiles.
func FuzzParseICS(f *testing.F) {
	data, err := os.ReadFile("testdata/lyon-2027.ics")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	outlook, err := os.ReadFile("testdata/outlook-2026.ics")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(outlook)
	// A Windows zone whose VTIMEZONE gives other rules than its IANA zone.
	f.Add([]byte("BEGIN:VCALENDAR\nBEGIN:VTIMEZONE\nTZID:Central Standard Time (Mexico)\n" +
		"BEGIN:STANDARD\nDTSTART:16010101T020000\nTZOFFSETFROM:-0500\nTZOFFSETTO:-0600\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\nEND:STANDARD\n" +
		"BEGIN:DAYLIGHT\nDTSTART:16010101T020000\nTZOFFSETFROM:-0600\nTZOFFSETTO:-0500\nRRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=4\nRDATE:20260301T020000\nEND:DAYLIGHT\n" +
		"END:VTIMEZONE\nBEGIN:VEVENT\nDTSTAMP:20260101T000000Z\nDTSTART;TZID=Central Standard Time (Mexico):20260104T020000\nDURATION:PT4H\nRRULE:FREQ=WEEKLY\nEND:VEVENT\nEND:VCALENDAR\n"))
	// UTF-16 with a byte-order mark, and floating times in X-WR-TIMEZONE.
	f.Add([]byte("\xff\xfeB\x00E\x00G\x00I\x00N\x00:\x00V\x00C\x00A\x00L\x00E\x00N\x00D\x00A\x00R\x00\n\x00"))
	f.Add([]byte("BEGIN:VCALENDAR\nX-WR-TIMEZONE:Australia/Sydney\nBEGIN:VEVENT\nDTSTART:20260405T023000\nDTEND:20260405T033000\nRRULE:FREQ=WEEKLY\nEXDATE:20260412T023000\nEND:VEVENT\nEND:VCALENDAR\n"))
	// A cancellation, and EXRULE.
	f.Add([]byte("BEGIN:VCALENDAR\nMETHOD:CANCEL\nBEGIN:VEVENT\nUID:a\nDTSTART:20270103T020000\nDURATION:PT4H\nEXRULE:FREQ=DAILY\nEND:VEVENT\nEND:VCALENDAR\n"))
	f.Add([]byte(ics("DTSTART;TZID=Europe/Paris:20270103T020000", "DTEND;TZID=Europe/Paris:20270103T060000", "RRULE:FREQ=WEEKLY;BYDAY=SU", "EXDATE:20270110T010000Z")))
	f.Add([]byte(ics("DTSTART;VALUE=DATE:20270130", "DURATION:P2D", "RRULE:FREQ=MONTHLY;BYMONTHDAY=-2,-1")))
	f.Add([]byte(ics("DTSTART:20270101T220000Z", "DURATION:PT1H", "RDATE;VALUE=PERIOD:20270201T220000Z/PT2H")))
	// A moved occurrence, a cancelled one without DTEND, and one named in UTC.
	f.Add([]byte("BEGIN:VCALENDAR\nMETHOD:PUBLISH\n" +
		"BEGIN:VEVENT\nUID:a\nDTSTART;TZID=Europe/Paris:20260607T020000\nDTEND;TZID=Europe/Paris:20260607T060000\nRRULE:FREQ=WEEKLY;BYDAY=SU\nEND:VEVENT\n" +
		"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID;TZID=Europe/Paris:20260614T020000\nSTATUS:CANCELLED\nDTSTART;TZID=Europe/Paris:20260614T020000\nEND:VEVENT\n" +
		"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID:20260621T000000Z\nDTSTART;TZID=Europe/Paris:20260622T030000\nDTEND;TZID=Europe/Paris:20260622T050000\nEND:VEVENT\n" +
		"END:VCALENDAR\n"))
	// Lengths on the wall clock across the nights clocks change.
	f.Add([]byte(ics("DTSTART;VALUE=DATE:20261024", "DTEND;VALUE=DATE:20261026", "RRULE:FREQ=YEARLY;BYMONTH=3,10;BYDAY=-1SA")))
	f.Add([]byte(ics("DTSTART;TZID=Europe/Paris:20260329T023000", "DTEND;TZID=Europe/Paris:20260329T030000", "RRULE:FREQ=WEEKLY",
		"RDATE;VALUE=PERIOD;TZID=Europe/Paris:20261024T220000/20261025T060000,20261031T220000/P1DT1H")))
	// Events of no length, skipped; a prefixed TZID; a rule ending in ';'.
	f.Add([]byte("BEGIN:VCALENDAR\n" +
		"BEGIN:VEVENT\nUID:a\nDTSTART;TZID=/mozilla.org/20070129_1/Europe/Berlin:20270103T020000\nDURATION:PT4H\nRRULE:FREQ=WEEKLY;BYDAY=SU;\nEND:VEVENT\n" +
		"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID;TZID=/mozilla.org/20070129_1/Europe/Berlin:20270110T020000\nDTSTART:20270110T010000Z\nEND:VEVENT\n" +
		"BEGIN:VEVENT\nUID:b\nDTSTART:20270115T080000Z\nDTEND:20270115T080000Z\nRDATE;VALUE=PERIOD:20270116T080000Z/PT1H\nEND:VEVENT\nEND:VCALENDAR\n"))
	// Cancellations in a zone andon does not read, an EXDATE list ending in
	// a comma, and a replacement of an RDATE of no length.
	f.Add([]byte("BEGIN:VCALENDAR\n" +
		"BEGIN:VEVENT\nUID:a\nDTSTART;TZID=Europe/Berlin:20270103T020000\nDURATION:PT4H\nRRULE:FREQ=WEEKLY\nEXDATE;TZID=Europe/Berlin:20270117T020000,\nEND:VEVENT\n" +
		"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID:20270110T010000Z\nDTSTART;TZID=Customized Time Zone:20270110T020000\nSTATUS:CANCELLED\nEND:VEVENT\n" +
		"BEGIN:VEVENT\nUID:c\nRECURRENCE-ID;TZID=Customized Time Zone:20270110T020000\nDTSTART;TZID=Customized Time Zone:20270110T020000\nSTATUS:CANCELLED\nEND:VEVENT\n" +
		"BEGIN:VEVENT\nUID:m\nDTSTART:20270104T080000Z\nRDATE;VALUE=PERIOD:20270105T080000Z/PT2H\nRDATE:20270106T080000Z\nEND:VEVENT\n" +
		"BEGIN:VEVENT\nUID:m\nRECURRENCE-ID:20270106T080000Z\nDTSTART:20270107T080000Z\nDURATION:PT1H\nEND:VEVENT\nEND:VCALENDAR\n"))
	// A replacement standing alone with a RECURRENCE-ID in a zone andon
	// does not read, cancellations in a Windows zone with a VTIMEZONE, and
	// a RECURRENCE-ID on a day of no occurrence.
	f.Add([]byte("BEGIN:VCALENDAR\n" +
		"BEGIN:VTIMEZONE\nTZID:W. Europe Standard Time\nBEGIN:STANDARD\nDTSTART:16010101T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\n" +
		"RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\nEND:STANDARD\nBEGIN:DAYLIGHT\nDTSTART:16010101T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\n" +
		"RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\nEND:DAYLIGHT\nEND:VTIMEZONE\n" +
		"BEGIN:VEVENT\nUID:a\nDTSTART;TZID=Europe/Berlin:20270103T020000\nDURATION:PT4H\nRRULE:FREQ=WEEKLY\nEND:VEVENT\n" +
		"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID;TZID=W. Europe Standard Time:20270110T020000\nDTSTART:20270110T010000Z\nSTATUS:CANCELLED\nEND:VEVENT\n" +
		"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID;TZID=Europe/Berlin:20270118T020000\nDTSTART:20270118T010000Z\nDURATION:PT1H\nEND:VEVENT\n" +
		"BEGIN:VEVENT\nUID:b\nDTSTART;TZID=W. Europe Standard Time:20270105T020000\nRRULE:FREQ=DAILY\nSTATUS:CANCELLED\nEND:VEVENT\n" +
		"BEGIN:VEVENT\nUID:c\nRECURRENCE-ID;TZID=Customized Time Zone:20270110T020000\nDTSTART;TZID=Europe/Berlin:20270110T040000\nDURATION:PT1H\nEND:VEVENT\nEND:VCALENDAR\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		schedules, warnings, err := calendar.ParseICSWithWarnings("f.ics", data)
		for _, w := range warnings {
			if !strings.HasPrefix(w, "f.ics:") {
				t.Fatalf("ParseICSWithWarnings: warning %q does not start with the file name", w)
			}
		}
		if err != nil {
			if code := andon.ErrorCode(err); code != andon.EINVALID {
				t.Fatalf("ParseICS: code %q (%v); want %q", code, err, andon.EINVALID)
			}
			if msg := andon.ErrorMessage(err); !strings.HasPrefix(msg, "f.ics:") {
				t.Fatalf("ParseICS: message %q does not start with the file name", msg)
			}
			return
		}
		for i, s := range schedules {
			if err := calendar.ValidateSchedule(s); err != nil {
				t.Fatalf("schedule %d %+v: ValidateSchedule: %v", i, s, err)
			}
		}
		cat := NewCatalog(t, &andon.Window{Name: "f", Type: andon.WindowFreeze, Schedules: schedules})
		if _, err := calendar.New(cat); err != nil {
			t.Fatalf("New: %v", err)
		}
	})
}

// FuzzOccurrences checks, for arbitrary schedules and ranges, that a valid
// schedule never makes a query panic or run without end, and that what a
// query returns is sorted, overlaps the range, and agrees with Active,
// which gives the window once, spanning every occurrence that contains
// the instant.
func FuzzOccurrences(f *testing.F) {
	f.Add("2026-01-04T02:30:00", "FREQ=WEEKLY;BYDAY=SU", int64(3600), uint8(0), int64(1774746000), int64(30*24))
	f.Add("2026-01-30T00:00:00", "FREQ=MONTHLY;BYMONTHDAY=-2,-1", int64(48*3600), uint8(2), int64(1792000000), int64(24*90))
	f.Add("2026-03-29T01:30:00", "FREQ=HOURLY;INTERVAL=1", int64(1800), uint8(10), int64(1774740000), int64(6))
	f.Add("2026-04-05T02:00:00", "FREQ=MINUTELY;INTERVAL=7;BYHOUR=2", int64(600), uint8(3), int64(1775300000), int64(48))
	f.Add("1990-01-01T00:00:00", "FREQ=YEARLY;BYWEEKNO=53;BYDAY=MO;BYSETPOS=-1", int64(86400), uint8(4), int64(1900000000), int64(24*800))
	f.Add("2026-01-01T00:00:00", "FREQ=SECONDLY;BYSECOND=0,30", int64(1), uint8(1), int64(1780000000), int64(24*365))
	f.Add("2026-02-28T23:59:59", "", int64(86400*366), uint8(5), int64(1772323199), int64(1))
	for _, r := range []struct{ start, rule string }{
		{"1999-12-31T23:59:59", "FREQ=YEARLY;BYMONTH=1,7;BYDAY=1MO"},
		{"2001-01-01T06:00:00", "FREQ=YEARLY;BYWEEKNO=1,20,53;BYDAY=MO"},
		{"2003-02-01T00:00:00", "FREQ=YEARLY;BYYEARDAY=1,100,-1"},
		{"2004-02-29T12:00:00", "FREQ=YEARLY;INTERVAL=4;COUNT=10000"},
		{"2010-01-31T08:00:00", "FREQ=MONTHLY;INTERVAL=5;BYMONTHDAY=31"},
		{"2012-05-01T09:30:00", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2"},
		{"2013-06-02T02:00:00", "FREQ=WEEKLY;INTERVAL=3;BYDAY=MO,SU;WKST=SU"},
		{"2015-02-01T00:00:00", "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29"},
		{"2017-01-01T03:00:00", "FREQ=DAILY;BYHOUR=3,9,15,21;BYSETPOS=1,-1"},
		{"2018-01-06T00:00:00", "FREQ=HOURLY;INTERVAL=7;BYDAY=SA"},
		{"2020-01-01T00:00:07", "FREQ=SECONDLY;INTERVAL=3607;UNTIL=20300101T000000Z"},
		{"2020-01-01T00:00:00", "FREQ=SECONDLY;BYHOUR=1;BYMINUTE=1;BYSECOND=1"},
		{"9999-12-31T23:59:59", "FREQ=DAILY"},
		{"0001-01-01T00:00:00", "FREQ=YEARLY;INTERVAL=1000000"},
	} {
		f.Add(r.start, r.rule, int64(3600), uint8(len(r.rule)), int64(1800000000), int64(24*60))
	}
	zones := []string{"", "UTC", "Europe/Paris", "Australia/Melbourne", "America/Sao_Paulo", "Pacific/Apia", "Asia/Kolkata", "America/St_Johns"}
	// A zone of 128 or more makes the length one on the wall clock.
	f.Add("2026-01-04T00:00:00", "FREQ=WEEKLY", int64(86400), uint8(128+2), int64(1774650000), int64(24*14))
	f.Add("2026-10-24T22:00:00", "FREQ=DAILY;COUNT=3", int64(8*3600), uint8(128+3), int64(1792000000), int64(24*7))
	f.Add("2026-03-29T02:30:00", "", int64(1800), uint8(128+2), int64(1774745000), int64(6))
	f.Fuzz(func(t *testing.T, start, rule string, seconds int64, zone uint8, fromUnix, hours int64) {
		// zone picks the schedule's zone and the environment, and so
		// the plant zone when the schedule has none, and whether the
		// length is elapsed or on the wall clock.
		tz := zones[int(zone%128)%len(zones)]
		env := []string{"prod-lyon", "prod-melbourne", "shared"}[int(zone%128)/len(zones)%3]
		s := andon.Schedule{Start: start, RRule: rule, Duration: time.Duration(seconds) * time.Second, Timezone: tz}
		if zone >= 128 {
			s.Duration, s.WallDuration = 0, s.Duration
		}
		if calendar.ValidateSchedule(s) != nil {
			return
		}
		cat := NewCatalog(t)
		cat.Windows = []*andon.Window{{Name: "f", Type: andon.WindowMaintenance, Schedules: []andon.Schedule{s}}}
		c, err := calendar.New(cat)
		if err != nil {
			t.Fatalf("New after ValidateSchedule accepted %+v: %v", s, err)
		}
		// Ranges of up to two years from 1900 to 2200.
		from := time.Unix(-2208988800+mod(fromUnix, 300*365*86400), 0)
		to := from.Add(time.Duration(mod(hours, 2*366*24)+1) * time.Hour)
		occs := c.Occurrences(cat.Environment(env), from, to)
		for i, o := range occs {
			if !o.Start.Before(to) || !o.End.After(from) {
				t.Fatalf("occurrence %d %s-%s does not overlap [%s, %s)", i, o.Start, o.End, from, to)
			}
			if s.WallDuration == 0 && !o.End.Equal(o.Start.Add(s.Duration)) {
				t.Fatalf("occurrence %d %s-%s does not last %s", i, o.Start, o.End, s.Duration)
			}
			// On the wall clock, the length differs from the elapsed
			// time by the clock changes in between, never more than a
			// few hours, and an occurrence never ends before it starts.
			if d := o.End.Sub(o.Start) - s.WallDuration; s.WallDuration > 0 && (d < -3*time.Hour || d > 3*time.Hour || !o.End.After(o.Start)) {
				t.Fatalf("occurrence %d %s-%s does not last about %s on the wall clock", i, o.Start, o.End, s.WallDuration)
			}
			if i > 0 && !occs[i-1].Start.Before(o.Start) {
				t.Fatalf("occurrences %d and %d are out of order: %s, %s", i-1, i, occs[i-1].Start, o.Start)
			}
		}
		active := c.Active(cat.Environment(env), from)
		for _, o := range active {
			if o.Start.After(from) || !o.End.After(from) {
				t.Fatalf("active occurrence %s-%s does not contain %s", o.Start, o.End, from)
			}
		}
		if len(occs) < 9000 {
			// Without truncation, Active(from) is the window once when
			// an occurrence contains from: from the earliest start of
			// those, to at least their latest end.
			var containing []andon.Occurrence
			for _, o := range occs {
				if !o.Start.After(from) {
					containing = append(containing, o)
				}
			}
			if len(active) != min(len(containing), 1) {
				t.Fatalf("Active(%s) has %d occurrences; Occurrences has %d containing it", from, len(active), len(containing))
			}
			if len(active) == 1 {
				latest := containing[0].End
				for _, o := range containing {
					if o.End.After(latest) {
						latest = o.End
					}
				}
				if !active[0].Start.Equal(containing[0].Start) || active[0].End.Before(latest) {
					t.Fatalf("Active(%s) = %s-%s; the occurrences containing it run from %s to %s", from, active[0].Start, active[0].End, containing[0].Start, latest)
				}
			}
		}
	})
}

func mod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}
