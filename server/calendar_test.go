package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/andon-governance/andon"
	"github.com/google/go-cmp/cmp"
)

// paris is the time zone of the lyon plant.
var paris = mustLoadLocation("Europe/Paris")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

var testOccurrences = []andon.Occurrence{
	{Window: "month-end-close", Type: andon.WindowFreeze, Allow: []andon.ChangeType{andon.ChangeEmergency},
		Start: time.Date(2026, 1, 30, 0, 0, 0, 0, paris), End: time.Date(2026, 2, 1, 0, 0, 0, 0, paris)},
	{Window: "sunday-night", Type: andon.WindowMaintenance,
		Start: time.Date(2026, 2, 1, 2, 0, 0, 0, paris), End: time.Date(2026, 2, 1, 6, 0, 0, 0, paris)},
	// A name long enough to be folded, with characters that must be
	// escaped and one that takes two octets.
	{Window: "inventaire-annuel-de-l-usine-de-lyon-décembre;comptage,complet-et-vérification", Type: andon.WindowPeak,
		Start: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)},
}

func TestCalendar(t *testing.T) {
	f := newFixture(t)
	f.calendar.occurrences = testOccurrences[:2]

	r := f.do(t, "GET", "/api/v1/calendar?env=prod-lyon", aliceToken, "")
	got := decode[struct {
		Environment string             `json:"environment"`
		Occurrences []andon.Occurrence `json:"occurrences"`
	}](t, r)
	if got.Environment != "prod-lyon" || len(got.Occurrences) != 2 || !got.Occurrences[0].Start.Equal(testOccurrences[0].Start) {
		t.Errorf("calendar = %+v, want the two occurrences of prod-lyon", got)
	}
	// from defaults to now and to to a week later.
	if !f.calendar.from.Equal(testNow) || !f.calendar.to.Equal(testNow.Add(7*24*time.Hour)) {
		t.Errorf("asked for [%s, %s), want [now, now + 7 days)", f.calendar.from, f.calendar.to)
	}

	r = f.do(t, "GET", "/api/v1/calendar?env=prod-lyon&from=2026-02-01T00:00:00Z&to=2026-03-01T00:00:00Z", aliceToken, "")
	if r.status != http.StatusOK || !f.calendar.to.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("status %d, asked until %s; want 200 and the given to", r.status, f.calendar.to)
	}

	r = f.do(t, "GET", "/api/v1/calendar?env=prod-paris", aliceToken, "")
	mustError(t, r, http.StatusNotFound, andon.ENOTFOUND)
}

func TestCalendarNext(t *testing.T) {
	f := newFixture(t)
	r := f.do(t, "GET", "/api/v1/calendar/next?env=prod-lyon&duration=2h&after=2026-02-01T00:00:00Z", aliceToken, "")
	want := andon.Span{Start: time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 2, 2, 2, 0, 0, 0, time.UTC)}
	if diff := cmp.Diff(want, decode[andon.Span](t, r)); diff != "" {
		t.Errorf("slot mismatch (-want +got):\n%s", diff)
	}
	r = f.do(t, "GET", "/api/v1/calendar/next?env=prod-lyon&duration=48h", aliceToken, "")
	mustError(t, r, http.StatusNotFound, andon.ENOTFOUND)
}

func TestCalendarICS(t *testing.T) {
	f := newFixture(t)
	f.calendar.occurrences = testOccurrences
	r := f.do(t, "GET", "/api/v1/calendar.ics?env=prod-lyon", aliceToken, "")
	if r.status != http.StatusOK {
		t.Fatalf("status = %d, want 200 (body %s)", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "text/calendar; charset=utf-8" {
		t.Errorf("Content-Type = %q, want text/calendar", ct)
	}
	if !f.calendar.from.Equal(testNow) || !f.calendar.to.Equal(testNow.Add(90*24*time.Hour)) {
		t.Errorf("asked for [%s, %s), want the next 90 days", f.calendar.from, f.calendar.to)
	}

	text := string(r.body)
	if !strings.HasSuffix(text, "\r\n") {
		t.Fatalf("body does not end with CRLF: %q", text[max(0, len(text)-20):])
	}
	physical := strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n")
	folded := 0
	for i, line := range physical {
		if strings.ContainsAny(line, "\r\n") {
			t.Errorf("line %d %q holds a bare CR or LF", i+1, line)
		}
		if len(line) > 75 {
			t.Errorf("line %d is %d octets long, want at most 75: %q", i+1, len(line), line)
		}
		if !utf8.ValidString(line) {
			t.Errorf("line %d splits a UTF-8 sequence: %q", i+1, line)
		}
		if strings.HasPrefix(line, " ") {
			folded++
		}
	}
	if folded == 0 {
		t.Errorf("no line was folded; the long window name should have been")
	}

	// Unfolded, the calendar is a sequence of properties.
	lines := strings.Split(strings.ReplaceAll(strings.TrimSuffix(text, "\r\n"), "\r\n ", ""), "\r\n")
	if lines[0] != "BEGIN:VCALENDAR" || lines[len(lines)-1] != "END:VCALENDAR" {
		t.Errorf("calendar is framed by %q and %q, want BEGIN:VCALENDAR and END:VCALENDAR", lines[0], lines[len(lines)-1])
	}
	for _, prop := range []string{"VERSION:2.0", "PRODID:-//andon//andon dev//EN"} {
		if !contains(lines, prop) {
			t.Errorf("calendar has no %s", prop)
		}
	}
	events := vevents(lines)
	want := [][]string{
		{
			"UID:20260129T230000Z-month-end-close-prod-lyon@andon",
			"DTSTAMP:20260128T100000Z",
			"DTSTART:20260129T230000Z",
			"DTEND:20260131T230000Z",
			"SUMMARY:freeze: month-end-close",
			"DESCRIPTION:Window month-end-close freezes prod-lyon: only changes of type emergency may be deployed.",
			"CATEGORIES:FREEZE",
			"TRANSP:OPAQUE",
		},
		{
			"UID:20260201T010000Z-sunday-night-prod-lyon@andon",
			"DTSTAMP:20260128T100000Z",
			"DTSTART:20260201T010000Z",
			"DTEND:20260201T050000Z",
			"SUMMARY:maintenance: sunday-night",
			"DESCRIPTION:Window sunday-night is a maintenance window of prod-lyon: high and critical changes go here.",
			"CATEGORIES:MAINTENANCE",
			"TRANSP:OPAQUE",
		},
		{
			`UID:20260301T000000Z-inventaire-annuel-de-l-usine-de-lyon-décembre\;comptage\,complet-et-vérification-prod-lyon@andon`,
			"DTSTAMP:20260128T100000Z",
			"DTSTART:20260301T000000Z",
			"DTEND:20260302T000000Z",
			`SUMMARY:peak: inventaire-annuel-de-l-usine-de-lyon-décembre\;comptage\,complet-et-vérification`,
			`DESCRIPTION:Window inventaire-annuel-de-l-usine-de-lyon-décembre\;comptage\,complet-et-vérification is a peak window of prod-lyon.`,
			"CATEGORIES:PEAK",
			"TRANSP:TRANSPARENT",
		},
	}
	if diff := cmp.Diff(want, events); diff != "" {
		t.Errorf("events mismatch (-want +got):\n%s", diff)
	}
}

// vevents returns the properties of each VEVENT of an unfolded calendar.
func vevents(lines []string) [][]string {
	var events [][]string
	var cur []string
	in := false
	for _, l := range lines {
		switch {
		case l == "BEGIN:VEVENT":
			in, cur = true, nil
		case l == "END:VEVENT":
			in = false
			events = append(events, cur)
		case in:
			cur = append(cur, l)
		}
	}
	return events
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}
