package calendar

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/andon-governance/andon"
)

// Layouts of iCalendar times (RFC 5545 section 3.3.5): UTC, and local
// (with TZID, or in a VTIMEZONE).
const (
	icsUTC   = "20060102T150405Z"
	icsLocal = "20060102T150405"
)

// maxLineOctets is the longest content line RFC 5545 allows before
// folding (section 3.1), CRLF excluded.
const maxLineOctets = 75

// feedYearsAhead is how many years past the export the VTIMEZONE
// components follow the transitions of Go's time zone database one by
// one; the yearly rule in force at the end then recurs without end.
const feedYearsAhead = 10

// Feed renders the windows applying to the environment or the plant of
// scope as an iCalendar (RFC 5545) document that calendar clients can
// subscribe to: one VEVENT per schedule, with DTSTART in its zone
// (TZID), its RRULE, EXDATEs and exact DURATION, so that the client
// expands it as this package does; one UTC VEVENT per one-off span; and a
// VTIMEZONE for every TZID used, built from Go's time zone database,
// which Outlook needs where Google Calendar reads the IANA name alone.
//
// For an environment, the windows are those whose selector matches it,
// and a schedule without a time zone is in the environment's
// (andon.Catalog.Location). For a plant, they are the windows matching
// any environment of the plant, each once, and a schedule without a time
// zone is in the plant's. stamp is the DTSTAMP of every event.
//
// Where this package and RFC 5545 read a schedule differently, the feed
// is written so that a client finds the occurrences this package does: a
// DTSTART the rule does not produce is moved to the rule's first
// occurrence (RFC 5545 always counts DTSTART as an occurrence), and an
// UNTIL in local time or as a date is given in UTC, which RFC 5545
// requires with a TZID. Where ical.js, which reads the nights clocks
// change otherwise than RFC 5545, would misplace an occurrence, the
// occurrence gets an override in UTC, which RFC 5545 clients place where
// they placed the occurrence (see overridden).
func (c *Calendar) Feed(scope andon.FeedScope, stamp time.Time) ([]byte, error) {
	f, err := c.feedOf(scope)
	if err != nil {
		return nil, err
	}
	var events bytes.Buffer
	for _, cw := range c.windows {
		var matched []string
		for _, env := range f.envs {
			if cw.w.Selector.Matches(env) {
				matched = append(matched, env.Name)
			}
		}
		if len(matched) == 0 {
			continue
		}
		if o := cw.w.Once; o != nil {
			f.event(&events, cw.w, "once", matched, stamp, func(line func(string, string)) {
				line("DTSTART", o.Start.UTC().Format(icsUTC))
				line("DTEND", o.End.UTC().Format(icsUTC))
			})
		}
		for i, cs := range cw.schedules {
			f.schedule(&events, cw.w, i, cs, matched, stamp)
		}
	}

	var b bytes.Buffer
	line := func(name, value string) { foldLine(&b, name+":"+value) }
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//andon//andon "+escapeText(andon.Version)+"//EN")
	line("CALSCALE", "GREGORIAN")
	line("METHOD", "PUBLISH")
	line("X-WR-CALNAME", escapeText("andon windows: "+f.label))
	line("X-WR-TIMEZONE", escapeText(f.loc.String()))
	line("X-WR-CALDESC", escapeText(fmt.Sprintf("Freezes, maintenance windows and peaks of %s, from andon catalog revision %s.", f.label, c.cat.Revision)))
	// Subscribed calendars are polled; the catalog changes rarely.
	line("REFRESH-INTERVAL;VALUE=DURATION", "PT1H")
	line("X-PUBLISHED-TTL", "PT1H")
	for _, name := range slices.Sorted(maps.Keys(f.zones)) {
		z := f.zones[name]
		writeVTimezone(&b, name, z.loc, min(z.firstYear, stamp.Year())-1, stamp.Year()+feedYearsAhead)
	}
	b.Write(events.Bytes())
	line("END", "VCALENDAR")
	return b.Bytes(), nil
}

// feed is the state of one Feed call.
type feed struct {
	envs  []*andon.Environment
	loc   *time.Location // the zone of schedules without their own
	label string         // "prod-lyon", "plant lyon"
	uid   string         // the scope part of UIDs: "env.prod-lyon"
	zones map[string]*feedZone
}

// feedZone is a zone the events of a feed use, and the first year they
// need it from.
type feedZone struct {
	loc       *time.Location
	firstYear int
}

func (c *Calendar) feedOf(scope andon.FeedScope) (*feed, error) {
	f := &feed{zones: map[string]*feedZone{}}
	switch {
	case (scope.Environment == "") == (scope.Plant == ""):
		return nil, andon.Errorf(andon.EINVALID, "a calendar feed covers an environment or a plant: give exactly one")
	case scope.Environment != "":
		env := c.cat.Environment(scope.Environment)
		if env == nil {
			return nil, andon.Errorf(andon.EINVALID, "environment %s", c.cat.UnknownEnvironment(scope.Environment))
		}
		f.envs, f.loc = []*andon.Environment{env}, c.cat.Location(env)
		f.label, f.uid = env.Name, "env."+env.Name
	default:
		p := c.cat.Plant(scope.Plant)
		if p == nil {
			return nil, andon.Errorf(andon.EINVALID, "plant %s", c.cat.UnknownPlant(scope.Plant))
		}
		for _, env := range c.cat.Environments {
			if slices.Contains(env.Plants, p.Name) {
				f.envs = append(f.envs, env)
			}
		}
		f.loc = p.Location
		if f.loc == nil {
			f.loc = time.UTC
		}
		f.label, f.uid = "plant "+p.Name, "plant."+p.Name
	}
	return f, nil
}

// schedule writes the VEVENT of schedule i of w, or nothing when the
// schedule has no occurrence at all.
func (f *feed) schedule(b *bytes.Buffer, w *andon.Window, i int, cs *schedule, matched []string, stamp time.Time) {
	s := w.Schedules[i]
	loc, zoneName := f.loc, f.loc.String()
	if cs.loc != nil {
		loc, zoneName = cs.loc, s.Timezone
	}
	utc := loc == time.UTC || zoneName == "UTC"
	// A local time with its zone as parameter, or a UTC time.
	timeValue := func(name string, wall int64) (string, string) {
		if utc {
			return name, wallTime(wall).Format(icsUTC)
		}
		return name + ";TZID=" + paramValue(zoneName), wallTime(wall).Format(icsLocal)
	}
	start, _ := parseWall(s.Start) // compileSchedule checked it
	if cs.rule == nil && len(cs.fixed) == 0 {
		return // its one occurrence is an exception date
	}
	rrule := ""
	if cs.rule != nil {
		first, ok := cs.rule.first()
		if !ok {
			return // UNTIL comes before the first occurrence
		}
		start = first
		rrule = strings.ToUpper(strings.TrimSpace(s.RRule))
		if cs.rule.untilUTC == nil && cs.rule.until != endWall-1 {
			rrule = withUntil(rrule, time.Unix(instant(cs.rule.until, loc), 0).UTC().Format(icsUTC))
		}
	}
	if !utc {
		z := f.zones[zoneName]
		if z == nil {
			z = &feedZone{loc: loc, firstYear: wallTime(start).Year()}
			f.zones[zoneName] = z
		}
		z.firstYear = min(z.firstYear, wallTime(start).Year())
	}
	part := fmt.Sprint(i + 1)
	if cs.rule == nil && !utc && clocksChange(cs, start, loc) {
		// A single occurrence that ical.js would misplace needs no
		// wall time: its instants in UTC read the same everywhere.
		f.event(b, w, part, matched, stamp, func(line func(string, string)) {
			utcTimes(line, cs, start, loc)
		})
		return
	}
	f.event(b, w, part, matched, stamp, func(line func(string, string)) {
		line(timeValue("DTSTART", start))
		if rrule != "" {
			line("RRULE", rrule)
		}
		for _, x := range s.ExDates {
			if wall, err := parseWall(x); err == nil {
				line(timeValue("EXDATE", wall))
			}
		}
		if cs.wall%secondsPerDay != 0 {
			// A length on the wall clock that is not whole days is
			// DTEND's, and has no elapsed time after it.
			line(timeValue("DTEND", start+cs.wall))
		} else {
			line("DURATION", formatDuration(cs.wall/secondsPerDay, cs.duration))
		}
	})
	if cs.rule == nil || utc {
		return
	}
	// ical.js, which Thunderbird and other clients are built on, reads
	// a wall time the clocks skip with the offset after the change and
	// one they show twice as its second instance, and adds PT… lengths
	// on the wall clock. Each occurrence it would misplace gets an
	// override: the same UID, a RECURRENCE-ID naming it as the RRULE
	// produces it, which ical.js matches by its wall time, and its
	// instants in UTC. A client that follows RFC 5545 places the
	// occurrence and its override at the same instants, and so shows
	// what it showed without the override.
	// From a year before the export: an occurrence further back is past,
	// and a schedule that began decades ago would otherwise bring an
	// override for every change of clocks since.
	first := max(start, wallAt(stamp.AddDate(-overrideYearsBack, 0, 0).Unix(), loc))
	last := time.Date(stamp.Year()+feedYearsAhead+1, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	for _, wall := range overridden(cs, first, last, loc) {
		f.event(b, w, part, matched, stamp, func(line func(string, string)) {
			line(timeValue("RECURRENCE-ID", wall))
			utcTimes(line, cs, wall, loc)
		})
	}
}

// overrideYearsBack is how far before the export's stamp the feed
// overrides occurrences that ical.js would misplace.
const overrideYearsBack = 1

// overridden returns the occurrences of cs's rule, as wall times from
// first and before last, that start or end at a wall time the clocks of
// loc skip or show twice, or whose elapsed length spans a change of
// clocks: those ical.js misplaces. Only the occurrences near a change of
// clocks are expanded, so that an hourly rule costs a few per change.
func overridden(cs *schedule, first, last int64, loc *time.Location) []int64 {
	var walls []int64
	length := cs.length()
	t := time.Unix(instant(first, loc)-secondsPerDay, 0).In(loc)
	for range 100000 {
		_, next := t.ZoneBounds()
		if next.IsZero() || !next.After(t) || next.Unix()-secondsPerDay > last {
			break
		}
		t = next
		// The occurrences that start within two days of the change,
		// or earlier and last until then.
		lo := max(wallAt(t.Unix(), loc)-length-2*secondsPerDay, first)
		hi := min(wallAt(t.Unix(), loc)+2*secondsPerDay, last)
		if n := len(walls); n > 0 {
			// Two changes of clocks close together: an occurrence
			// near both is overridden once.
			lo = max(lo, walls[n-1]+1)
		}
		if lo >= hi {
			continue
		}
		near := between(cs.fixed, lo, hi) // a rule with COUNT
		if cs.fixed == nil {
			near = cs.expand(lo, hi).walls
		}
		for _, w := range near {
			if cs.rule.untilUTC != nil && instant(w, loc) > *cs.rule.untilUTC {
				break
			}
			if clocksChange(cs, w, loc) {
				walls = append(walls, w)
			}
		}
	}
	return walls
}

// clocksChange reports whether ical.js would misplace the occurrence of
// cs starting at wall time w in loc: its start, or its end on the wall
// clock, is a wall time that the clocks skip or show twice, or its
// elapsed time spans a change of clocks.
func clocksChange(cs *schedule, w int64, loc *time.Location) bool {
	if !singleWall(w, loc) {
		return true
	}
	i := instant(w, loc)
	if cs.wall > 0 {
		if !singleWall(w+cs.wall, loc) {
			return true
		}
		i = instant(w+cs.wall, loc)
	}
	return cs.duration > 0 && offsetAt(i, loc) != offsetAt(i+seconds(cs.duration), loc)
}

// utcTimes writes the DTSTART and DTEND, in UTC, of the occurrence of cs
// that starts at wall time w in loc, as this package places it.
func utcTimes(line func(string, string), cs *schedule, w int64, loc *time.Location) {
	start := time.Unix(instant(w, loc), 0).In(loc)
	line("DTSTART", start.UTC().Format(icsUTC))
	line("DTEND", cs.end(w, start, loc).UTC().Format(icsUTC))
}

// event writes one VEVENT of window w: its identity, its times (written
// by times) and what it means for the environments matched.
func (f *feed) event(b *bytes.Buffer, w *andon.Window, part string, matched []string, stamp time.Time, times func(line func(string, string))) {
	line := func(name, value string) { foldLine(b, name+":"+value) }
	line("BEGIN", "VEVENT")
	// The UID stays the same across exports, so that a subscribed
	// calendar updates the event instead of doubling it; the scope is part
	// of it so that the feeds of an environment and of its plant can be
	// subscribed to side by side.
	line("UID", escapeText(fmt.Sprintf("%s.%s.%s@andon", w.Name, part, f.uid)))
	line("DTSTAMP", stamp.UTC().Format(icsUTC))
	times(line)
	line("SUMMARY", escapeText(fmt.Sprintf("%s: %s", w.Type, w.Name)))
	line("DESCRIPTION", escapeText(describeWindow(w, matched)))
	line("CATEGORIES", escapeText(strings.ToUpper(string(w.Type))))
	// Freezes and maintenance windows occupy the time; peaks are only
	// informational.
	if w.Type == andon.WindowPeak {
		line("TRANSP", "TRANSPARENT")
	} else {
		line("TRANSP", "OPAQUE")
	}
	line("X-ANDON-WINDOW", escapeText(w.Name))
	line("X-ANDON-TYPE", escapeText(string(w.Type)))
	if len(w.Allow) > 0 {
		line("X-ANDON-ALLOW", escapeText(joinTypes(w.Allow, ",")))
	}
	line("END", "VEVENT")
}

// describeWindow says in a sentence what w means for changes to the
// environments envs.
func describeWindow(w *andon.Window, envs []string) string {
	names := strings.Join(envs, ", ")
	switch w.Type {
	case andon.WindowFreeze:
		if len(w.Allow) == 0 {
			return fmt.Sprintf("Window %s freezes %s: no change may be deployed.", w.Name, names)
		}
		return fmt.Sprintf("Window %s freezes %s: only changes of type %s may be deployed.", w.Name, names, joinTypes(w.Allow, ", "))
	case andon.WindowMaintenance:
		return fmt.Sprintf("Window %s is a maintenance window of %s: high and critical changes go here.", w.Name, names)
	}
	return fmt.Sprintf("Window %s is a %s window of %s.", w.Name, w.Type, names)
}

func joinTypes(types []andon.ChangeType, sep string) string {
	s := make([]string, len(types))
	for i, t := range types {
		s[i] = string(t)
	}
	return strings.Join(s, sep)
}

// withUntil returns rule with its UNTIL part replaced by until.
func withUntil(rule, until string) string {
	parts := strings.Split(rule, ";")
	for i, p := range parts {
		if strings.HasPrefix(p, "UNTIL=") {
			parts[i] = "UNTIL=" + until
		}
	}
	return strings.Join(parts, ";")
}

// formatDuration writes an RFC 5545 duration of days on the wall clock
// and then d elapsed, in hours, minutes and seconds. Elapsed time is never
// written in days: "P1D" is a calendar day, 23 or 25 hours across a DST
// change, while a schedule's duration is exact.
func formatDuration(days int64, d time.Duration) string {
	n := seconds(d)
	var b strings.Builder
	b.WriteString("P")
	if days > 0 {
		fmt.Fprintf(&b, "%dD", days)
		if n == 0 {
			return b.String()
		}
	}
	b.WriteString("T")
	if h := n / 3600; h > 0 {
		fmt.Fprintf(&b, "%dH", h)
	}
	if m := n / 60 % 60; m > 0 {
		fmt.Fprintf(&b, "%dM", m)
	}
	if s := n % 60; s > 0 || n == 0 {
		fmt.Fprintf(&b, "%dS", s)
	}
	return b.String()
}

// paramValue quotes a parameter value that holds a character a bare one
// cannot (RFC 5545 section 3.2).
func paramValue(v string) string {
	if strings.ContainsAny(v, ";:,") {
		return `"` + strings.ReplaceAll(v, `"`, "") + `"`
	}
	return v
}

// escapeText escapes a TEXT value (RFC 5545 section 3.3.11): backslash,
// semicolon, comma and newline. Other control characters have no escape and
// are dropped.
func escapeText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\' || r == ';' || r == ',':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20 || r == 0x7f:
			// Dropped: not representable in a content line.
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// foldLine writes a content line ending in CRLF, folded so that no line
// is longer than 75 octets: each continuation line starts with a space,
// which counts towards its 75. Folds never split a UTF-8 sequence.
func foldLine(b *bytes.Buffer, s string) {
	limit := maxLineOctets
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		limit = maxLineOctets - 1
	}
	b.WriteString(s)
	b.WriteString("\r\n")
}
