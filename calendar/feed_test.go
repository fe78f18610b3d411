package calendar_test

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/teambition/rrule-go"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/calendar"
	"github.com/andon-governance/andon/catalog"
	"github.com/andon-governance/andon/examples"
)

// feedStamp is the time of every export in these tests.
var feedStamp = time.Date(2026, 1, 28, 10, 0, 0, 0, time.UTC)

// trickyCatalog has plants in both hemispheres, with and without DST,
// and schedules that RFC 5545 and this package read differently unless
// the feed writes them with care: a DTSTART the rule does not produce,
// UNTIL in local time and as a date, COUNT, wall times in DST gaps and
// overlaps, a schedule in a zone of its own, one in UTC, lengths on the
// wall clock (days, and a DTEND's) across the nights clocks change, and
// a one-off span.
func trickyCatalog(tb testing.TB) *andon.Catalog {
	plant := func(name, zone string) *andon.Plant {
		return &andon.Plant{Name: name, Timezone: zone, Location: MustLoadLocation(tb, zone)}
	}
	env := func(name string, plants ...string) *andon.Environment {
		return &andon.Environment{Name: name, Stage: andon.StageProduction, Plants: plants}
	}
	sched := func(start, rule string, d time.Duration, exdates ...string) andon.Schedule {
		return andon.Schedule{Start: start, RRule: rule, Duration: d, ExDates: exdates}
	}
	return &andon.Catalog{
		Plants: []*andon.Plant{
			plant("lyon", "Europe/Paris"), plant("sao-paulo", "America/Sao_Paulo"),
			plant("sydney", "Australia/Sydney"), plant("tokyo", "Asia/Tokyo"), plant("detroit", "America/Detroit"),
		},
		Environments: []*andon.Environment{
			env("prod-lyon", "lyon"), env("prod-sao-paulo", "sao-paulo"), env("prod-sydney", "sydney"),
			env("prod-tokyo", "tokyo"), env("prod-detroit", "detroit"), env("prod-both", "sydney", "lyon"),
		},
		Windows: []*andon.Window{
			{Name: "sunday-night", Type: andon.WindowMaintenance, Schedules: []andon.Schedule{
				// A Wednesday: the first occurrence is the Sunday after.
				sched("2026-01-07T02:30:00", "FREQ=WEEKLY;BYDAY=SU", 3*time.Hour, "2026-03-29T02:30:00"),
			}},
			{Name: "nightly", Type: andon.WindowPeak, Schedules: []andon.Schedule{
				sched("2026-01-01T02:30:00", "FREQ=DAILY", time.Hour, "2026-12-25T02:30:00"),
				sched("2026-01-01T23:30:00", "FREQ=DAILY;INTERVAL=3;UNTIL=20261015", 90*time.Minute),
			}},
			{Name: "first-monday", Type: andon.WindowFreeze, Allow: []andon.ChangeType{andon.ChangeEmergency}, Schedules: []andon.Schedule{
				sched("2026-01-20T00:00:00", "FREQ=MONTHLY;BYDAY=1MO;UNTIL=20261130T120000", 26*time.Hour),
				sched("2026-01-20T01:00:00", "FREQ=MONTHLY;BYMONTHDAY=15;COUNT=5", 48*time.Hour),
			}},
			{Name: "fortnight", Type: andon.WindowMaintenance, Schedules: []andon.Schedule{
				sched("2026-01-08T04:00:00", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SA", 2*time.Hour),
				// A Tuesday: the first of Monday and Wednesday in its week
				// is before it, so the first occurrence is two weeks on.
				sched("2026-01-06T05:00:00", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;BYSETPOS=1", time.Hour),
			}},
			{Name: "new-york-close", Type: andon.WindowFreeze, Schedules: []andon.Schedule{
				{Start: "2026-01-30T17:00:00", RRule: "FREQ=MONTHLY;BYMONTHDAY=-1", Duration: 15 * time.Hour, Timezone: "America/New_York"},
			}},
			{Name: "utc-backup", Type: andon.WindowMaintenance, Schedules: []andon.Schedule{
				{Start: "2026-01-03T01:00:00", RRule: "FREQ=WEEKLY;BYDAY=SA", Duration: time.Hour, Timezone: "UTC", ExDates: []string{"2026-01-10T01:00:00"}},
				{Start: "2026-06-01T12:00:00", Duration: 7 * time.Hour, Timezone: "Australia/Perth"},
			}},
			{Name: "shutdown", Type: andon.WindowFreeze, Schedules: []andon.Schedule{
				// Every Sunday all day, and every Saturday night.
				{Start: "2026-01-04T00:00:00", RRule: "FREQ=WEEKLY", WallDuration: 24 * time.Hour},
				{Start: "2026-01-03T22:00:00", RRule: "FREQ=WEEKLY", WallDuration: 8 * time.Hour, Timezone: "Europe/Paris"},
				{Start: "2026-03-28T12:00:00", RRule: "FREQ=YEARLY;BYMONTH=3,10;BYDAY=-1SA", WallDuration: 24 * time.Hour, Duration: 2 * time.Hour},
			}},
			{Name: "audit", Type: andon.WindowFreeze, Once: &andon.Span{
				Start: time.Date(2026, 10, 24, 22, 0, 0, 0, time.UTC), End: time.Date(2026, 10, 26, 6, 0, 0, 0, time.UTC)}},
			{Name: "lyon-only", Type: andon.WindowPeak, Selector: andon.Selector{Plants: []string{"lyon"}}, Schedules: []andon.Schedule{
				sched("2026-03-28T23:00:00", "FREQ=YEARLY;BYMONTH=3,10;BYDAY=-1SA", 5*time.Hour),
			}},
		},
		Revision: "test",
	}
}

func exampleCatalog(tb testing.TB) *andon.Catalog {
	tb.Helper()
	c, err := catalog.LoadFS(examples.Catalog, "catalog")
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// TestFeedRoundTrip renders feeds, reads them back with ParseICS, and
// checks that the windows they describe occur, over more than a year and
// across the DST changes of both hemispheres, exactly when the windows of
// the catalog do.
func TestFeedRoundTrip(t *testing.T) {
	from, to := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		cat  *andon.Catalog
	}{{"examples", exampleCatalog(t)}, {"tricky", trickyCatalog(t)}, {"days", daysCatalog(t)}} {
		cal := MustNew(t, tc.cat)
		var scopes []andon.FeedScope
		for _, e := range tc.cat.Environments {
			scopes = append(scopes, andon.FeedScope{Environment: e.Name})
		}
		for _, p := range tc.cat.Plants {
			scopes = append(scopes, andon.FeedScope{Plant: p.Name})
		}
		for _, scope := range scopes {
			t.Run(tc.name+"/"+scope.Environment+scope.Plant, func(t *testing.T) {
				data, err := cal.Feed(scope, feedStamp)
				if err != nil {
					t.Fatal(err)
				}
				checkLines(t, data)
				back := parseFeed(t, tc.cat, data)
				var envs []*andon.Environment
				if scope.Environment != "" {
					envs = append(envs, tc.cat.Environment(scope.Environment))
				} else {
					// A plant's feed reads zoneless schedules in the
					// plant's zone, as its environments do when it is
					// their first plant.
					p := tc.cat.Plant(scope.Plant)
					for _, e := range tc.cat.Environments {
						if len(e.Plants) > 0 && e.Plants[0] == p.Name {
							envs = append(envs, e)
						}
					}
				}
				if len(envs) == 0 {
					t.Fatal("no environment to compare")
				}
				n := 0
				for _, e := range envs {
					want := instants(cal.Occurrences(e, from, to))
					got := instants(MustNew(t, back).Occurrences(e, from, to))
					n += len(want)
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("%s: occurrences of the feed differ from the catalog's (-catalog +feed):\n%s", e.Name, diff)
					}
				}
				if n == 0 && strings.HasPrefix(envs[0].Name, "prod") {
					t.Errorf("no occurrences to compare")
				}
			})
		}
	}
}

// parseFeed reads a feed with ParseICS and returns cat with the windows
// that the feed's VEVENTs describe in place of its own.
func parseFeed(tb testing.TB, cat *andon.Catalog, data []byte) *andon.Catalog {
	tb.Helper()
	back := *cat
	back.Windows = nil
	if !slices.Contains(unfold(data), "BEGIN:VEVENT") {
		return &back
	}
	schedules, err := calendar.ParseICS("feed.ics", data)
	if err != nil {
		tb.Fatalf("ParseICS: %v\n%s", err, data)
	}
	names := properties(data, "X-ANDON-WINDOW")
	if len(names) != len(schedules) {
		tb.Fatalf("%d VEVENTs, %d schedules", len(names), len(schedules))
	}
	for _, w := range cat.Windows {
		c := *w
		c.Once, c.ICS, c.Schedules = nil, "", nil
		for i, name := range names {
			if name == w.Name {
				c.Schedules = append(c.Schedules, schedules[i])
			}
		}
		if len(c.Schedules) > 0 {
			back.Windows = append(back.Windows, &c)
		}
	}
	return &back
}

// instants lists occurrences as "window start/end" in UTC.
func instants(occs []andon.Occurrence) []string {
	out := make([]string, len(occs))
	for i, o := range occs {
		out[i] = o.Window + " " + o.Start.UTC().Format(time.RFC3339) + "/" + o.End.UTC().Format(time.RFC3339)
	}
	return out
}

// unfold returns the content lines of an iCalendar file.
func unfold(data []byte) []string {
	text := strings.ReplaceAll(strings.TrimSuffix(string(data), "\r\n"), "\r\n ", "")
	return strings.Split(text, "\r\n")
}

// properties returns the values of the properties called name, in order.
func properties(data []byte, name string) []string {
	var out []string
	for _, l := range unfold(data) {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			out = append(out, v)
		}
	}
	return out
}

// checkLines checks the physical lines: CRLF, at most 75 octets, valid
// UTF-8.
func checkLines(tb testing.TB, data []byte) {
	tb.Helper()
	text := string(data)
	if !strings.HasSuffix(text, "\r\n") {
		tb.Fatalf("calendar does not end with CRLF")
	}
	for i, line := range strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n") {
		if len(line) > 75 || strings.ContainsAny(line, "\r\n") || !utf8.ValidString(line) {
			tb.Fatalf("line %d is bad: %q", i+1, line)
		}
	}
}

func TestFeed(t *testing.T) {
	cal := MustNew(t, trickyCatalog(t))
	data, err := cal.Feed(andon.FeedScope{Environment: "prod-lyon"}, feedStamp)
	if err != nil {
		t.Fatal(err)
	}
	lines := unfold(data)
	for _, want := range []string{
		"BEGIN:VCALENDAR", "VERSION:2.0", "METHOD:PUBLISH",
		"X-WR-CALNAME:andon windows: prod-lyon", "X-WR-TIMEZONE:Europe/Paris",
		"TZID:Europe/Paris", "TZID:America/New_York", "TZID:Australia/Perth",
		// The Wednesday start moves to the first Sunday, and the EXDATE
		// in the spring-forward gap stays a wall time.
		"UID:sunday-night.1.env.prod-lyon@andon",
		"DTSTART;TZID=Europe/Paris:20260111T023000",
		"EXDATE;TZID=Europe/Paris:20260329T023000",
		"DURATION:PT3H",
		// Local and date UNTILs become UTC instants.
		"RRULE:FREQ=DAILY;INTERVAL=3;UNTIL=20261015T215959Z",
		"RRULE:FREQ=MONTHLY;BYDAY=1MO;UNTIL=20261130T110000Z",
		"DURATION:PT26H", "DURATION:PT1H30M",
		// Days on the wall clock are days; a DTEND's length is DTEND.
		"UID:shutdown.1.env.prod-lyon@andon", "DURATION:P1D", "DURATION:P1DT2H",
		"DTSTART;TZID=Europe/Paris:20260103T220000", "DTEND;TZID=Europe/Paris:20260104T060000",
		"DTSTART;TZID=America/New_York:20260131T170000",
		"DTSTART:20260103T010000Z", "EXDATE:20260110T010000Z",
		"UID:audit.once.env.prod-lyon@andon", "DTSTART:20261024T220000Z", "DTEND:20261026T060000Z",
		"SUMMARY:freeze: first-monday",
		"DESCRIPTION:Window first-monday freezes prod-lyon: only changes of type emergency may be deployed.",
		"X-ANDON-ALLOW:emergency",
		"DTSTAMP:20260128T100000Z",
		"END:VCALENDAR",
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("feed has no line %q", want)
		}
	}
	if got := strings.Count(string(data), "TZID:UTC"); got != 0 {
		t.Errorf("UTC times use TZID %d times, want Z times", got)
	}

	// A plant's feed holds each window once and names every environment
	// of the plant it applies to.
	data, err = cal.Feed(andon.FeedScope{Plant: "lyon"}, feedStamp)
	if err != nil {
		t.Fatal(err)
	}
	lines = unfold(data)
	if got := masterUIDs(data); len(got) != len(slices.Compact(slices.Sorted(slices.Values(got)))) {
		t.Errorf("UIDs repeat: %v", got)
	}
	for _, want := range []string{
		"X-WR-CALNAME:andon windows: plant lyon",
		"UID:lyon-only.1.plant.lyon@andon",
		"DESCRIPTION:Window lyon-only is a peak window of prod-lyon\\, prod-both.",
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("plant feed has no line %q", want)
		}
	}

	for _, tc := range []struct {
		scope andon.FeedScope
		code  string
	}{
		{andon.FeedScope{}, andon.EINVALID},
		{andon.FeedScope{Environment: "prod-lyon", Plant: "lyon"}, andon.EINVALID},
		// Names the caller gave, as a change's environment: invalid.
		{andon.FeedScope{Environment: "prod-paris"}, andon.EINVALID},
		{andon.FeedScope{Plant: "paris"}, andon.EINVALID},
	} {
		if _, err := cal.Feed(tc.scope, feedStamp); andon.ErrorCode(err) != tc.code {
			t.Errorf("Feed(%+v) = %v, want code %s", tc.scope, err, tc.code)
		}
	}
	for scope, want := range map[andon.FeedScope]string{
		{Environment: "prod-lyonn"}: `environment "prod-lyonn" is not in the catalog; did you mean prod-lyon?`,
		{Plant: "lyom"}:             `plant "lyom" is not in the catalog; did you mean lyon?`,
	} {
		if _, err := cal.Feed(scope, feedStamp); andon.ErrorMessage(err) != want {
			t.Errorf("Feed(%+v) = %v, want %q", scope, err, want)
		}
	}
}

// TestFeedVTimezone reads the VTIMEZONE components of feeds as a
// calendar client would and checks the offset they give at every three
// hours and around every transition, from the first DTSTART to well past
// the years they list one by one, against Go's time package.
func TestFeedVTimezone(t *testing.T) {
	zones := []string{
		"Europe/Paris", "America/Sao_Paulo", "Australia/Sydney", "Australia/Lord_Howe", "America/New_York",
		"Asia/Tokyo", "Asia/Kolkata", "Africa/Casablanca", "Europe/Dublin", "Pacific/Chatham",
		"America/Santiago", "Asia/Tehran", "Pacific/Apia",
	}
	// Components per zone, where it matters: Outlook reads a zone best
	// as one STANDARD and one DAYLIGHT rule.
	wantComponents := map[string]int{"Europe/Paris": 2, "Australia/Sydney": 2, "America/New_York": 2, "Asia/Tokyo": 1, "Asia/Kolkata": 1}
	// The transitions of these zones follow no "nth weekday of the month"
	// rule, so the VTIMEZONE lists them one by one up to ten years after
	// the export only; a subscribed feed is read again long before then.
	irregular := map[string]bool{"Africa/Casablanca": true, "America/Santiago": true}
	start := "2012-01-01T00:00:00"
	for _, zone := range zones {
		end := time.Date(2042, 1, 1, 0, 0, 0, 0, time.UTC)
		if irregular[zone] {
			end = time.Date(feedStamp.Year()+11, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		t.Run(zone, func(t *testing.T) {
			loc := MustLoadLocation(t, zone)
			cat := &andon.Catalog{
				Plants:       []*andon.Plant{{Name: "p", Timezone: zone, Location: loc}},
				Environments: []*andon.Environment{{Name: "e", Plants: []string{"p"}}},
				Windows: []*andon.Window{{Name: "w", Type: andon.WindowPeak, Schedules: []andon.Schedule{
					{Start: start, RRule: "FREQ=DAILY", Duration: time.Hour},
				}}},
			}
			data, err := MustNew(t, cat).Feed(andon.FeedScope{Plant: "p"}, feedStamp)
			if err != nil {
				t.Fatal(err)
			}
			onsets, components := readVTimezone(t, data, zone, end)
			if want, ok := wantComponents[zone]; ok && components != want {
				t.Errorf("%d STANDARD and DAYLIGHT components, want %d", components, want)
			}
			offsetAt := func(i int64) (int, bool) {
				k, found := slices.BinarySearchFunc(onsets, i, func(o onset, i int64) int { return int(max(-1, min(1, o.at-i))) })
				if found {
					return onsets[k].to, true
				}
				if k == 0 {
					return 0, false
				}
				return onsets[k-1].to, true
			}
			first := time.Date(2012, 1, 1, 0, 0, 0, 0, loc).Unix()
			var checks []int64
			for i := first; i < end.Unix(); i += 3 * 3600 {
				checks = append(checks, i)
			}
			for t := time.Unix(first, 0).In(loc); ; {
				_, next := t.ZoneBounds()
				if next.IsZero() || next.Unix() >= end.Unix() {
					break
				}
				if !next.After(t) {
					// Go's ZoneBounds can answer t itself (at the end
					// of a leap year past its listed transitions).
					next = t.Add(time.Second)
				}
				checks = append(checks, next.Unix()-1, next.Unix())
				t = next
			}
			bad := 0
			for _, i := range checks {
				_, want := time.Unix(i, 0).In(loc).Zone()
				got, ok := offsetAt(i)
				if !ok || got != want {
					t.Errorf("at %s: VTIMEZONE gives %d (covered %v), Go %d", time.Unix(i, 0).UTC().Format(time.RFC3339), got, ok, want)
					if bad++; bad > 5 {
						t.FailNow()
					}
				}
			}
		})
	}
}

type onset struct {
	at int64 // the instant
	to int   // the offset from then on
}

// readVTimezone returns the onsets before end that the VTIMEZONE of zone
// in data defines, sorted, and the number of its components.
func readVTimezone(tb testing.TB, data []byte, zone string, end time.Time) ([]onset, int) {
	tb.Helper()
	var onsets []onset
	components := 0
	in := false
	var dtstart, rule string
	var from, to int
	offset := func(v string) int {
		sign := 1
		if v[0] == '-' {
			sign = -1
		}
		h, _ := strconv.Atoi(v[1:3])
		m, _ := strconv.Atoi(v[3:5])
		s := 0
		if len(v) == 7 {
			s, _ = strconv.Atoi(v[5:7])
		}
		return sign * (h*3600 + m*60 + s)
	}
	for _, l := range unfold(data) {
		name, value, _ := strings.Cut(l, ":")
		switch {
		case name == "TZID":
			in = value == zone
		case !in:
		case name == "BEGIN" && (value == "STANDARD" || value == "DAYLIGHT"):
			dtstart, rule, from, to = "", "", 0, 0
		case name == "DTSTART":
			dtstart = value
		case name == "RRULE":
			rule = value
		case name == "TZOFFSETFROM":
			from = offset(value)
		case name == "TZOFFSETTO":
			to = offset(value)
		case name == "END" && (value == "STANDARD" || value == "DAYLIGHT"):
			components++
			wall, err := time.Parse("20060102T150405", dtstart)
			if err != nil {
				tb.Fatalf("DTSTART %q: %v", dtstart, err)
			}
			if rule == "" {
				onsets = append(onsets, onset{wall.Unix() - int64(from), to})
				continue
			}
			// UNTIL is an instant: compare it with each onset's.
			until := end
			var parts []string
			for p := range strings.SplitSeq(rule, ";") {
				if v, ok := strings.CutPrefix(p, "UNTIL="); ok {
					if until, err = time.Parse("20060102T150405Z", v); err != nil {
						tb.Fatalf("UNTIL %q: %v", v, err)
					}
					continue
				}
				parts = append(parts, p)
			}
			opt, err := rrule.StrToROption(strings.Join(parts, ";"))
			if err != nil {
				tb.Fatalf("RRULE %q: %v", rule, err)
			}
			opt.Dtstart = wall
			rr, err := rrule.NewRRule(*opt)
			if err != nil {
				tb.Fatal(err)
			}
			for _, w := range rr.Between(wall, end.Add(24*time.Hour), true) {
				i := w.Unix() - int64(from)
				if i > until.Unix() || i >= end.Unix() {
					break
				}
				onsets = append(onsets, onset{i, to})
			}
		case name == "END" && value == "VTIMEZONE":
			in = false
		}
	}
	if components == 0 {
		tb.Fatalf("no VTIMEZONE for %s", zone)
	}
	slices.SortFunc(onsets, func(a, b onset) int { return int(max(-1, min(1, a.at-b.at))) })
	return onsets, components
}

// FuzzFeedWindowName renders a window with an arbitrary name and checks
// that the feed stays well formed and reads back: CRLF lines of at most
// 75 octets that unfold to the escaped summary.
func FuzzFeedWindowName(f *testing.F) {
	for _, seed := range []string{"month-end-close", strings.Repeat("é", 60), "a;b,c\\d\ne", strings.Repeat("x", 200)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if !utf8.ValidString(name) {
			t.Skip("window names come from YAML, which is UTF-8")
		}
		cat := NewCatalog(t, &andon.Window{Name: name, Type: andon.WindowFreeze, Schedules: []andon.Schedule{
			{Start: "2026-01-30T00:00:00", RRule: "FREQ=MONTHLY;BYMONTHDAY=-2,-1", Duration: 48 * time.Hour},
		}})
		data, err := MustNew(t, cat).Feed(andon.FeedScope{Environment: "prod-lyon"}, feedStamp)
		if err != nil {
			t.Fatal(err)
		}
		checkLines(t, data)
		if !slices.Contains(unfold(data), "SUMMARY:freeze: "+icsEscape(name)) {
			t.Fatalf("no summary for %q in\n%s", name, data)
		}
		if _, err := calendar.ParseICS("feed.ics", data); err != nil {
			t.Fatalf("ParseICS: %v", err)
		}
	})
}

// icsEscape is the escaping of RFC 5545 TEXT, written independently of
// the package's.
func icsEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case strings.ContainsRune(`\;,`, r):
			b.WriteString(`\` + string(r))
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20 || r == 0x7f:
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// feedEvent is a VEVENT of a feed: its content lines by name, each name
// with its parameters ("RECURRENCE-ID;TZID=Europe/Paris").
type feedEvent map[string]string

// feedEvents splits a feed into its VEVENTs.
func feedEvents(data []byte) []feedEvent {
	var out []feedEvent
	var cur feedEvent
	for _, l := range unfold(data) {
		switch {
		case l == "BEGIN:VEVENT":
			cur = feedEvent{}
		case l == "END:VEVENT":
			out = append(out, cur)
			cur = nil
		case cur != nil:
			name, value, _ := strings.Cut(l, ":")
			cur[name] = value
		}
	}
	return out
}

// masterUIDs returns the UIDs of the events that are not an override of
// one occurrence.
func masterUIDs(data []byte) []string {
	var out []string
	for _, ev := range feedEvents(data) {
		if !slices.ContainsFunc(slices.Collect(maps.Keys(ev)), func(k string) bool { return strings.HasPrefix(k, "RECURRENCE-ID") }) {
			out = append(out, ev["UID"])
		}
	}
	return out
}

// overrides lists the overrides of a feed as "UID RECURRENCE-ID
// DTSTART/DTEND", the RECURRENCE-ID with its parameters.
func overrides(tb testing.TB, data []byte) []string {
	tb.Helper()
	var out []string
	for _, ev := range feedEvents(data) {
		for k, v := range ev {
			if strings.HasPrefix(k, "RECURRENCE-ID") {
				out = append(out, ev["UID"]+" "+k+":"+v+" "+ev["DTSTART"]+"/"+ev["DTEND"])
			}
		}
	}
	return out
}

// TestFeedOverrides checks the overrides the feed adds for ical.js, which
// reads a wall time the clocks skip an hour early, one they show twice as
// its second instance, and adds PT… lengths on the wall clock: every
// occurrence that starts or ends inside a change of clocks, or lasts
// across one, has one, naming it by its wall time and giving its instants
// in UTC, and no other occurrence has one.
func TestFeedOverrides(t *testing.T) {
	cal := MustNew(t, exampleCatalog(t))
	inYear := func(list []string, year string) []string {
		var out []string
		for _, o := range list {
			if strings.Contains(o, ":"+year) {
				out = append(out, o)
			}
		}
		return out
	}
	for _, tc := range []struct {
		env  string
		want []string
	}{{"prod-lyon", []string{
		// Spring forward: 01:00 CET for 2 h ends at 04:00 CEST, and
		// 02:00 does not exist: the maintenance opens at 03:00 CEST.
		"nightly-mrp.1.env.prod-lyon@andon RECURRENCE-ID;TZID=Europe/Paris:20260329T010000 20260329T000000Z/20260329T020000Z",
		"sunday-maintenance.1.env.prod-lyon@andon RECURRENCE-ID;TZID=Europe/Paris:20260329T020000 20260329T010000Z/20260329T050000Z",
		// Fall back: 01:00 CEST for 2 h ends at 02:00 CET, and the
		// maintenance opens at the first 02:00, on summer time.
		"nightly-mrp.1.env.prod-lyon@andon RECURRENCE-ID;TZID=Europe/Paris:20261025T010000 20261024T230000Z/20261025T010000Z",
		"sunday-maintenance.1.env.prod-lyon@andon RECURRENCE-ID;TZID=Europe/Paris:20261025T020000 20261025T000000Z/20261025T040000Z",
	}}, {"prod-geelong", []string{
		"nightly-mrp.1.env.prod-geelong@andon RECURRENCE-ID;TZID=Australia/Melbourne:20260405T010000 20260404T140000Z/20260404T160000Z",
		"sunday-maintenance.1.env.prod-geelong@andon RECURRENCE-ID;TZID=Australia/Melbourne:20260405T020000 20260404T150000Z/20260404T190000Z",
		"nightly-mrp.1.env.prod-geelong@andon RECURRENCE-ID;TZID=Australia/Melbourne:20261004T010000 20261003T150000Z/20261003T170000Z",
		"sunday-maintenance.1.env.prod-geelong@andon RECURRENCE-ID;TZID=Australia/Melbourne:20261004T020000 20261003T160000Z/20261003T200000Z",
	}}} {
		data, err := cal.Feed(andon.FeedScope{Environment: tc.env}, feedStamp)
		if err != nil {
			t.Fatal(err)
		}
		got := overrides(t, data)
		slices.Sort(got)
		want := slices.Clone(tc.want)
		slices.Sort(want)
		if diff := cmp.Diff(want, inYear(got, "2026")); diff != "" {
			t.Errorf("%s: overrides in 2026 (-want +got):\n%s", tc.env, diff)
		}
		// Every year up to ten after the export, and none after.
		if len(inYear(got, "2036")) == 0 || len(inYear(got, "2037")) != 0 {
			t.Errorf("%s: overrides in 2036: %d, in 2037: %d; want some, then none", tc.env, len(inYear(got, "2036")), len(inYear(got, "2037")))
		}
	}

	// A schedule of one occurrence has no RRULE to override: the
	// occurrence is written in UTC, in the gap as in the overlap, and
	// one away from the nights clocks change keeps its zone.
	once := NewCatalog(t, &andon.Window{Name: "once", Type: andon.WindowMaintenance, Schedules: []andon.Schedule{
		{Start: "2026-03-29T02:30:00", Duration: time.Hour},
		{Start: "2026-10-25T02:30:00", Duration: time.Hour},
		{Start: "2026-06-07T02:30:00", Duration: time.Hour},
	}}, &andon.Window{Name: "twice", Type: andon.WindowMaintenance, Schedules: []andon.Schedule{
		// Both occurrences of a rule with COUNT are overridden, and no
		// later one, which the rule does not produce.
		{Start: "2026-03-29T02:30:00", RRule: "FREQ=YEARLY;BYMONTH=3,10;BYDAY=-1SU;COUNT=2", Duration: time.Hour},
	}})
	data, err := MustNew(t, once).Feed(andon.FeedScope{Environment: "prod-lyon"}, feedStamp)
	if err != nil {
		t.Fatal(err)
	}
	wantOverrides := []string{
		"twice.1.env.prod-lyon@andon RECURRENCE-ID;TZID=Europe/Paris:20260329T023000 20260329T013000Z/20260329T023000Z",
		"twice.1.env.prod-lyon@andon RECURRENCE-ID;TZID=Europe/Paris:20261025T023000 20261025T003000Z/20261025T013000Z",
	}
	if diff := cmp.Diff(wantOverrides, overrides(t, data)); diff != "" {
		t.Errorf("overrides of a rule with COUNT (-want +got):\n%s", diff)
	}
	var got []string
	for _, ev := range feedEvents(data) {
		if ev["X-ANDON-WINDOW"] != "once" {
			continue
		}
		got = append(got, ev["DTSTART"]+ev["DTSTART;TZID=Europe/Paris"]+"/"+ev["DTEND"]+ev["DURATION"])
	}
	want := []string{"20260329T013000Z/20260329T023000Z", "20261025T003000Z/20261025T013000Z", "20260607T023000/PT1H"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("single occurrences (-want +got):\n%s", diff)
	}

	// In every feed, an override names an occurrence by the wall time
	// whose instant, read as RFC 5545 reads it, is the override's start:
	// a client that follows RFC 5545 finds the occurrence where it was.
	// (TestFeedRoundTrip checks that the feeds still yield the
	// calendar's occurrences.)
	for _, cat := range []*andon.Catalog{exampleCatalog(t), trickyCatalog(t), daysCatalog(t)} {
		cal := MustNew(t, cat)
		for _, e := range cat.Environments {
			data, err := cal.Feed(andon.FeedScope{Environment: e.Name}, feedStamp)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range overrides(t, data) {
				f := strings.Fields(o)
				rid, span := f[1], f[2]
				zone, wall, _ := strings.Cut(strings.TrimPrefix(rid, "RECURRENCE-ID;TZID="), ":")
				w, err := time.Parse("20060102T150405", wall)
				if err != nil {
					t.Fatalf("%s: %v", o, err)
				}
				at := calendar.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), MustLoadLocation(t, zone))
				if start, _, _ := strings.Cut(span, "/"); start != at.UTC().Format("20060102T150405Z") {
					t.Errorf("%s: %s: the occurrence named is at %s", e.Name, o, at.UTC().Format(time.RFC3339))
				}
			}
		}
	}
}

// A schedule of one occurrence that its exception date excludes has no
// occurrence, and the feed shows none, on a night the clocks change as
// on any other: its event in UTC, which carries no EXDATE, would show it.
func TestFeedExcludedSingleOccurrence(t *testing.T) {
	for _, start := range []string{"2026-03-29T02:30:00", "2026-10-25T02:30:00", "2026-06-07T02:30:00"} {
		cat := NewCatalog(t, &andon.Window{Name: "called-off", Type: andon.WindowMaintenance, Schedules: []andon.Schedule{
			{Start: start, Duration: time.Hour, ExDates: []string{start}},
		}})
		cal := MustNew(t, cat)
		data, err := cal.Feed(andon.FeedScope{Environment: "prod-lyon"}, feedStamp)
		if err != nil {
			t.Fatal(err)
		}
		from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		env := cat.Environment("prod-lyon")
		want := instants(cal.Occurrences(env, from, to))
		got := instants(MustNew(t, parseFeed(t, cat, data)).Occurrences(env, from, to))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s excluded: occurrences of the feed differ from the catalog's (-catalog +feed):\n%s", start, diff)
		}
	}
}

// TestFeedOverridesFromAYearBack: a schedule that began decades before
// the export gets overrides from a year before it, not one for every
// change of clocks since it began.
func TestFeedOverridesFromAYearBack(t *testing.T) {
	old := NewCatalog(t, &andon.Window{Name: "nightly", Type: andon.WindowMaintenance, Schedules: []andon.Schedule{
		{Start: "1990-01-01T02:30:00", RRule: "FREQ=DAILY", Duration: time.Hour},
	}})
	data, err := MustNew(t, old).Feed(andon.FeedScope{Environment: "prod-lyon"}, feedStamp)
	if err != nil {
		t.Fatal(err)
	}
	got := overrides(t, data)
	slices.Sort(got)
	// feedStamp is 28 January 2026: the changes of clocks of March and
	// October 2025 are the first within a year of it.
	if len(got) == 0 || !strings.Contains(got[0], ":20250330T") {
		first := ""
		if len(got) > 0 {
			first = got[0]
		}
		t.Errorf("%d overrides, the first %q; want the first on 30 March 2025", len(got), first)
	}
}
