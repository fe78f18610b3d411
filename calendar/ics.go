package calendar

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/andon-governance/andon"
)

// ParseICS reads the VEVENTs of an iCalendar (RFC 5545) file into
// schedules, in the order of the file. name is used in error messages,
// which are *andon.Error with code EINVALID and read "name:LINE: ...".
//
// The file is UTF-8, or UTF-16 with a byte-order mark (as Windows
// PowerShell 5 writes a redirected export). Lines may end in CRLF or LF
// and are unfolded first. Of each VEVENT it
// reads:
//
//   - DTSTART, required. With TZID its zone becomes the schedule's Timezone:
//     an IANA name, or a Windows one (Outlook, Exchange), read as the IANA
//     zone CLDR gives for it once checked against the file's VTIMEZONE, or
//     one that prefixes an IANA name, as Thunderbird's
//     /mozilla.org/20070129_1/Europe/Berlin (see icszone.go); a UTC time (ending in Z) gives Timezone "UTC"; a
//     floating time gives "", the environment's zone; a date (VALUE=DATE)
//     starts at midnight.
//   - DTEND, in DTSTART's value type. In DTSTART's zone it is a wall time:
//     the schedule's WallDuration is DTEND minus DTSTART on the wall clock,
//     so that every occurrence ends at the same time of day as the first,
//     as calendar programs show it. In another zone it is an instant, and
//     Duration is the elapsed time from DTSTART. Or DURATION, such as PT4H,
//     P1D or P1W: its weeks and days count on the wall clock, the rest is
//     elapsed time (RFC 5545). An all-day event without either lasts one
//     day on the wall clock, midnight to midnight; an event with a time
//     of day that ends where it starts is skipped (see
//     ParseICSWithWarnings).
//   - RRULE (at most one, which must produce DTSTART), EXDATE (repeatable,
//     comma lists, which may end in one comma, any zone that can be
//     converted to DTSTART's) and RDATE,
//     each RDATE becoming one more single-occurrence schedule. An EXDATE or
//     RDATE may be a date only when DTSTART is one; when DTSTART is a date,
//     an EXDATE at midnight in any zone is that date (Exchange writes them
//     so), and one at another time of day is refused. When DTSTART is a
//     date, an UNTIL in UTC (Outlook's and Exchange's) is the date it falls
//     on in the zone the file names (see untilDay).
//   - UID, RECURRENCE-ID and STATUS: an event with RECURRENCE-ID replaces
//     that occurrence of the event with the same UID, which is therefore
//     excluded there, and an event with STATUS:CANCELLED adds no schedule
//     (and needs no length, nor a zone andon reads for its DTSTART). A
//     RECURRENCE-ID in a zone andon does not read is refused when its
//     UID has another event in force, as the occurrence it cancels or
//     moves cannot be told; otherwise the event stands alone, and only
//     its own DTSTART, which must then be readable unless it is
//     cancelled, places it. A RECURRENCE-ID that
//     names no occurrence of its event, and two versions of one event
//     (the same UID, without RECURRENCE-ID or with the same one), are
//     refused.
//
// A calendar's METHOD must be PUBLISH or REQUEST, when it has one: any
// other makes the file a message about events held elsewhere (CANCEL
// cancels them). EXRULE is refused. Other components (VALARM, VTODO, ...),
// VTIMEZONEs but to check a Windows zone, and other properties (TRANSP,
// X-WR-CALNAME, ...) are ignored. Every schedule returned passes
// ValidateSchedule; a problem is reported at the line of the property it
// comes from, the first of every VEVENT that has one, joined (errors.Join:
// each is an *andon.Error).
func ParseICS(name string, data []byte) ([]andon.Schedule, error) {
	schedules, _, err := ParseICSWithWarnings(name, data)
	return schedules, err
}

// ParseICSWithWarnings is ParseICS that also returns what of the file it
// skipped, each as "name:LINE: ...": an event with a time of day that
// lasts no time (DTEND equal to DTSTART, DURATION:PT0S, or neither, which
// RFC 5545 reads as no length, as Outlook writes a milestone). Such an
// event covers no instant, so it can neither freeze nor open a window;
// refusing the file for it would keep a whole plant's calendar out. A
// RECURRENCE-ID that names an occurrence so skipped replaces nothing, and
// is a warning too: its event stands alone.
func ParseICSWithWarnings(name string, data []byte) ([]andon.Schedule, []string, error) {
	p := &icsParser{name: name}
	lines, err := p.unfold(data)
	if err != nil {
		return nil, nil, err
	}
	events, err := p.components(lines)
	if err != nil {
		return nil, nil, err
	}
	if len(events) == 0 {
		return nil, nil, andon.Errorf(andon.EINVALID, "%s: the calendar has no VEVENT", name)
	}
	// Each event's problems are its own: every event is checked, and the
	// first problem of each is reported, in the order of the file, as the
	// catalog reports every problem at once.
	var problems []error
	for _, e := range events {
		if err := p.resolve(e); err != nil {
			problems = append(problems, err)
			continue
		}
		for _, s := range e.schedules {
			c, err := compileSchedule(s.Schedule)
			if err != nil {
				problems = append(problems, p.errorf(s.lineOf(err.field), "%s", s.message(err)))
				break // its other schedules share the rule
			}
			if err := p.startsRule(s, c); err != nil {
				problems = append(problems, err)
				break
			}
		}
	}
	if err := p.checkWindowsZones(); err != nil {
		problems = append(problems, err)
	}
	if len(problems) > 0 {
		return nil, nil, joinProblems(problems)
	}
	checked := p.windowTimes
	err = p.applyOverrides(events)
	if p.windowTimes > checked {
		// A RECURRENCE-ID in a Windows zone places the occurrence it
		// replaces by that zone's rules, which must be the file's: when
		// they are not, that is what is wrong, rather than the
		// occurrence it was then found not to name.
		if zoneErr := p.checkWindowsZones(); zoneErr != nil {
			err = zoneErr
		}
	}
	if err != nil {
		return nil, nil, err
	}
	var out []andon.Schedule
	for _, e := range events {
		if e.cancelled {
			continue
		}
		for _, s := range e.schedules {
			// An override's exception dates are checked again with the
			// rest, as they may pass a limit.
			if s.overridden {
				if _, err := compileSchedule(s.Schedule); err != nil {
					return nil, nil, p.errorf(s.lineOf(err.field), "%s", s.message(err))
				}
			}
			out = append(out, s.Schedule)
		}
	}
	if len(out) == 0 {
		// A window needs at least one schedule to mean anything.
		return nil, nil, andon.Errorf(andon.EINVALID, "%s: every VEVENT of the calendar is cancelled, replaced or lasts no time", name)
	}
	return out, p.warnings, nil
}

// startsRule checks that the rule of s, compiled as c, produces its
// DTSTART. RFC 5545 leaves an event undefined when it does not, and
// calendar programs differ: some count DTSTART as an occurrence, as RFC
// 5545 says of COUNT, some do not, as andon does with a catalog's own
// schedule. Either reading could miss a freeze that the planner sees.
func (p *icsParser) startsRule(s *icsSchedule, c *schedule) error {
	if c.rule == nil {
		return nil
	}
	first, ok := c.rule.first()
	start, _ := parseWall(s.Start) // compileSchedule read it
	if !ok || first == start {
		return nil
	}
	return p.errorf(s.lineOf("rrule"), "RRULE: does not produce DTSTART (%s, a %s), which RFC 5545 leaves undefined and calendar programs read differently; start the event at its first occurrence, %s",
		s.Start, wallTime(start).Weekday(), formatWall(first))
}

// joinProblems returns the one problem, or several joined.
func joinProblems(problems []error) error {
	if len(problems) == 1 {
		return problems[0]
	}
	return errors.Join(problems...)
}

// contentLine is one unfolded line: NAME;PARAM=VALUE:value.
type contentLine struct {
	line   int // the physical line it starts on, from 1
	name   string
	params map[string][]string
	value  string
}

// param returns the first value of the parameter key, or "".
func (c *contentLine) param(key string) string {
	if v := c.params[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// event gathers the properties of one VEVENT, then the schedules made of
// them.
type event struct {
	begin        int
	props        map[string]*contentLine
	exdates      []*contentLine
	rdates       []*contentLine
	exrule       []*contentLine
	start        int64
	zone         zone
	date         bool
	cancelled    bool
	summary      *contentLine
	schedules    []*icsSchedule
	recurrenceID *contentLine
	// skipped holds the schedules of no length that were left out of
	// schedules: a RECURRENCE-ID may still name their occurrences.
	skipped []*icsSchedule
	// calendar is the VCALENDAR the event is in.
	calendar *icsCalendar
}

// icsCalendar holds the properties of one VCALENDAR that its events
// depend on.
type icsCalendar struct {
	// tz is its X-WR-TIMEZONE, the zone of its floating date-times.
	tz *contentLine
}

// icsSchedule is a schedule with the lines it was read from.
type icsSchedule struct {
	andon.Schedule
	lines map[string]int // field of the schedule -> line
	// overridden is set when another event's RECURRENCE-ID added an
	// exception date after the schedule was checked.
	overridden bool
}

func (s *icsSchedule) lineOf(field string) int { return s.lines[field] }

// message rewords a schedule error in terms of the file's properties.
func (s *icsSchedule) message(e *fieldError) string {
	prop := map[string]string{"start": "DTSTART", "timezone": "DTSTART", "rrule": "RRULE", "exdates": "EXDATE", "duration": "duration"}[e.field]
	return prop + ": " + e.detail()
}

// zone is the zone of an iCalendar time: floating (name ""), UTC, or an
// IANA zone named by TZID.
type zone struct {
	name string
	loc  *time.Location
}

type icsParser struct {
	name string
	// vtimezones holds the VTIMEZONEs of the file by TZID, and windows
	// the Windows zones its times are given in.
	vtimezones map[string]*vtimezone
	windows    map[string]*windowsZone
	// exported is the latest year of the DTSTAMPs of the file's events,
	// when they were written, or 0.
	exported int
	// floating is the X-WR-TIMEZONE of the calendar whose event is
	// being read, or nil.
	floating *contentLine
	// warnings says what of the file was skipped (see
	// ParseICSWithWarnings).
	warnings []string
	// unchecked is set while reading a time that places nothing: the
	// DTSTART of a cancelled event, or the RECURRENCE-ID of an event
	// that stands alone. A Windows zone it is given in is read, but the
	// time is not added to the zone's check against its VTIMEZONE (see
	// checkWindowsZones), so that such a VTIMEZONE cannot refuse the
	// file for an event that adds no window.
	unchecked bool
	// windowTimes counts the times added to the check of a Windows zone.
	windowTimes int
}

func (p *icsParser) errorf(line int, format string, args ...any) error {
	if line <= 0 {
		return andon.Errorf(andon.EINVALID, "%s: %s", p.name, fmt.Sprintf(format, args...))
	}
	return andon.Errorf(andon.EINVALID, "%s:%d: %s", p.name, line, fmt.Sprintf(format, args...))
}

// unfold splits data into content lines, joining the continuation lines
// (those starting with a space or a tab) to the line before them.
func (p *icsParser) unfold(data []byte) ([]*contentLine, error) {
	data = fromUTF16(data)
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	type raw struct {
		line int
		text strings.Builder
	}
	var raws []*raw
	for i, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSuffix(l, "\r")
		switch {
		case l == "":
			// Blank lines, such as the one after the final line
			// break, carry nothing.
		case l[0] == ' ' || l[0] == '\t':
			if len(raws) == 0 {
				return nil, p.errorf(i+1, "a continuation line with no line before it")
			}
			raws[len(raws)-1].text.WriteString(l[1:])
		default:
			r := &raw{line: i + 1}
			r.text.WriteString(l)
			raws = append(raws, r)
		}
	}
	lines := make([]*contentLine, 0, len(raws))
	for _, r := range raws {
		c, err := parseContentLine(r.text.String())
		if err != nil {
			return nil, p.errorf(r.line, "%v", err)
		}
		c.line = r.line
		lines = append(lines, c)
	}
	return lines, nil
}

// fromUTF16 returns data as UTF-8 when it is UTF-16 with a byte-order
// mark, which makes the encoding and its byte order certain; otherwise
// data as it is. Read as UTF-8, every other byte would be a NUL, and the
// first line would be reported as not a content line.
func fromUTF16(data []byte) []byte {
	var order binary.ByteOrder
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		order = binary.LittleEndian
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		order = binary.BigEndian
	default:
		return data
	}
	units := make([]uint16, 0, len(data)/2)
	for i := 2; i+1 < len(data); i += 2 {
		units = append(units, order.Uint16(data[i:]))
	}
	return []byte(string(utf16.Decode(units)))
}

// parseContentLine splits NAME *(";" PARAM "=" VALUE *("," VALUE)) ":" value.
func parseContentLine(s string) (*contentLine, error) {
	isName := func(c byte) bool {
		return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-'
	}
	i := 0
	for i < len(s) && isName(s[i]) {
		i++
	}
	if i == 0 {
		return nil, fmt.Errorf("%q is not a content line NAME:value", shorten(s))
	}
	c := &contentLine{name: strings.ToUpper(s[:i])}
	for i < len(s) && s[i] == ';' {
		i++
		j := i
		for i < len(s) && isName(s[i]) {
			i++
		}
		key := strings.ToUpper(s[j:i])
		if key == "" || i == len(s) || s[i] != '=' {
			return nil, fmt.Errorf("%s: a parameter must read NAME=value", c.name)
		}
		for {
			i++ // past '=' or ','
			var v string
			if i < len(s) && s[i] == '"' {
				end := strings.IndexByte(s[i+1:], '"')
				if end < 0 {
					return nil, fmt.Errorf("%s: parameter %s: the quoted value is not closed", c.name, key)
				}
				v = s[i+1 : i+1+end]
				i += end + 2
			} else {
				j := i
				for i < len(s) && !strings.ContainsRune(",;:\"", rune(s[i])) {
					i++
				}
				v = s[j:i]
			}
			if c.params == nil {
				c.params = map[string][]string{}
			}
			c.params[key] = append(c.params[key], v)
			if i >= len(s) || s[i] != ',' {
				break
			}
		}
	}
	if i >= len(s) || s[i] != ':' {
		return nil, fmt.Errorf("%s: want ':' before the value", c.name)
	}
	c.value = s[i+1:]
	return c, nil
}

// components walks BEGIN/END nesting and collects the properties of each
// VEVENT directly inside a VCALENDAR.
func (p *icsParser) components(lines []*contentLine) ([]*event, error) {
	type open struct {
		name string
		line int
	}
	var stack []open
	var events []*event
	var cur *event
	var cal *icsCalendar
	var vt *vtimezone
	var rule *tzRule
	for _, c := range lines {
		switch c.name {
		case "BEGIN":
			v := strings.ToUpper(c.value)
			if len(stack) == 0 && v != "VCALENDAR" {
				return nil, p.errorf(c.line, "BEGIN:%s outside a VCALENDAR", c.value)
			}
			stack = append(stack, open{v, c.line})
			switch {
			case len(stack) == 1:
				cal = &icsCalendar{}
			case v == "VEVENT" && len(stack) == 2:
				cur = &event{begin: c.line, props: map[string]*contentLine{}, calendar: cal}
			case v == "VTIMEZONE" && len(stack) == 2:
				vt = &vtimezone{line: c.line}
			case (v == "STANDARD" || v == "DAYLIGHT") && len(stack) == 3 && vt != nil:
				rule = &tzRule{line: c.line, props: map[string]*contentLine{}}
				vt.rules = append(vt.rules, rule)
			}
		case "END":
			v := strings.ToUpper(c.value)
			if len(stack) == 0 {
				return nil, p.errorf(c.line, "END:%s without BEGIN", c.value)
			}
			if top := stack[len(stack)-1]; top.name != v {
				return nil, p.errorf(c.line, "END:%s does not close BEGIN:%s of line %d", c.value, top.name, top.line)
			}
			stack = stack[:len(stack)-1]
			switch {
			case v == "VEVENT" && len(stack) == 1:
				events = append(events, cur)
				cur = nil
			case v == "VTIMEZONE" && len(stack) == 1:
				p.addVTimezone(vt)
				vt = nil
			case (v == "STANDARD" || v == "DAYLIGHT") && len(stack) == 2:
				rule = nil
			}
		default:
			if len(stack) == 0 {
				return nil, p.errorf(c.line, "%s outside a VCALENDAR", c.name)
			}
			if len(stack) == 1 && c.name == "METHOD" {
				if err := p.method(c); err != nil {
					return nil, err
				}
			}
			if len(stack) == 1 && c.name == "X-WR-TIMEZONE" && cal.tz == nil {
				cal.tz = c
			}
			if vt != nil {
				p.vtimezoneProperty(vt, rule, len(stack), c)
				continue
			}
			if cur == nil || len(stack) != 2 {
				continue // a property of the calendar or of a nested component
			}
			switch c.name {
			case "DTSTAMP":
				if t, err := parseStrict("20060102T150405Z", strings.TrimSpace(c.value)); err == nil {
					p.exported = max(p.exported, t.Year())
				}
			case "SUMMARY":
				if cur.summary == nil {
					cur.summary = c
				}
			case "EXRULE":
				cur.exrule = append(cur.exrule, c)
			case "EXDATE":
				cur.exdates = append(cur.exdates, c)
			case "RDATE":
				cur.rdates = append(cur.rdates, c)
			case "DTSTART", "DTEND", "DURATION", "RRULE", "UID", "RECURRENCE-ID", "STATUS":
				if prev := cur.props[c.name]; prev != nil {
					return nil, p.errorf(c.line, "%s is given twice in one VEVENT (first on line %d)", c.name, prev.line)
				}
				cur.props[c.name] = c
			}
		}
	}
	if len(stack) > 0 {
		top := stack[len(stack)-1]
		return nil, p.errorf(top.line, "BEGIN:%s is never closed by END:%s", top.name, top.name)
	}
	if len(lines) == 0 {
		return nil, p.errorf(1, "not an iCalendar file: want BEGIN:VCALENDAR")
	}
	return events, nil
}

// method checks the METHOD of a calendar (RFC 5546). A calendar that is
// published (PUBLISH) or that invites to its events (REQUEST) lists them
// as they are; any other method is a message about events held elsewhere:
// CANCEL removes them, ADD adds occurrences to a series it does not
// repeat, and the others answer an invitation. Read as a calendar, a
// cancellation would bring back the windows it cancels.
func (p *icsParser) method(c *contentLine) error {
	switch m := strings.ToUpper(strings.TrimSpace(c.value)); m {
	case "PUBLISH", "REQUEST":
		return nil
	case "CANCEL":
		return p.errorf(c.line, "METHOD:CANCEL: the file is a message that cancels the events it names, not a calendar of them; export the calendar itself, where they are gone")
	default:
		return p.errorf(c.line, "METHOD:%s: the file is a message about events held elsewhere, not a calendar of them; export the calendar itself (METHOD:PUBLISH, or no METHOD)", m)
	}
}

// resolve turns the properties of e into schedules.
func (p *icsParser) resolve(e *event) error {
	dtstart := e.props["DTSTART"]
	if dtstart == nil {
		return p.errorf(e.begin, "VEVENT has no DTSTART")
	}
	if len(e.exrule) > 0 {
		// Ignoring it would count the occurrences it excludes.
		return p.errorf(e.exrule[0].line, "EXRULE is not supported (RFC 5545 dropped it); list the occurrences to exclude with EXDATE")
	}
	p.floating = e.calendar.tz
	e.cancelled = strings.EqualFold(strings.TrimSpace(valueOf(e.props["STATUS"])), "CANCELLED")
	e.recurrenceID = e.props["RECURRENCE-ID"]
	var err error
	p.unchecked = e.cancelled
	e.start, e.zone, e.date, err = p.parseTime(dtstart, dtstart.value)
	p.unchecked = false
	if err != nil {
		if e.cancelled && isUnreadZone(err) {
			// A cancelled event adds no window, so where its DTSTART
			// is does not matter: a cancelled series' other events
			// stand alone, and a cancelled occurrence is found by its
			// RECURRENCE-ID (see applyOverrides). Exchange keeps an
			// organiser's own zone name on a cancelled meeting.
			return nil
		}
		return p.errorf(dtstart.line, "DTSTART: %v", err)
	}
	if e.cancelled {
		// It adds no schedule, so its length does not matter: a
		// cancelled occurrence often comes without DTEND.
		return nil
	}

	dur, durLine, none, err := p.duration(e)
	if err != nil {
		return err
	}
	if none != "" {
		// Every occurrence would be an empty span [t, t), which no
		// instant is in: it neither freezes nor opens a window. The
		// RRULE and EXDATE are still read, and an RDATE period with
		// a length of its own still counts.
		what := "VEVENT"
		if e.summary != nil {
			what += fmt.Sprintf(" %q", shorten(unescapeText(strings.TrimSpace(e.summary.value))))
		}
		p.warnings = append(p.warnings, fmt.Sprintf("%s:%d: %s skipped: %s, so it lasts no time and covers no instant of the window", p.name, durLine, what, none))
	}
	own := &icsSchedule{
		Schedule: dur.schedule(formatWall(e.start), e.zone),
		lines:    map[string]int{"start": dtstart.line, "timezone": dtstart.line, "duration": durLine},
	}
	if r := e.props["RRULE"]; r != nil {
		if own.RRule, err = p.ruleText(e, r); err != nil {
			return err
		}
		own.lines["rrule"] = r.line
	}
	excluded := map[int64]bool{}
	for _, x := range e.exdates {
		walls, _, err := p.times(e, x, true)
		if err != nil {
			return err
		}
		for _, w := range walls {
			excluded[w] = true
			own.ExDates = append(own.ExDates, formatWall(w))
		}
		if _, ok := own.lines["exdates"]; !ok {
			own.lines["exdates"] = x.line
		}
	}
	if none == "" {
		e.schedules = append(e.schedules, own)
	} else {
		e.skipped = append(e.skipped, own)
	}
	for _, r := range e.rdates {
		walls, durs, err := p.times(e, r, false)
		if err != nil {
			return err
		}
		for i, w := range walls {
			if excluded[w] {
				continue
			}
			d := dur
			if durs[i] != (length{}) {
				d = durs[i]
			}
			if d == (length{}) {
				// An RDATE of the event's own length, none.
				e.skipped = append(e.skipped, &icsSchedule{Schedule: d.schedule(formatWall(w), e.zone)})
				continue
			}
			e.schedules = append(e.schedules, &icsSchedule{
				Schedule: d.schedule(formatWall(w), e.zone),
				lines:    map[string]int{"start": r.line, "timezone": r.line, "duration": r.line},
			})
		}
	}
	return nil
}

// ruleText returns the RRULE r of e as the schedule keeps it. RFC 5545
// gives UNTIL the value type of DTSTART, but Outlook, Exchange and other
// programs end an all-day series (DTSTART a date) with a UTC time: the
// organiser's midnight starting the last day, 20261230T230000Z for a
// series kept in Berlin whose last day is 31 December. Compared with the
// midnights of a plant west of Berlin, that instant would drop the last
// day. So UNTIL's time is read in the organiser's zone, as the series was
// written there (see untilDay), and the date it falls on there is the
// last day (any time of that day, midnight or 23:59:59, gives the same
// day). Without a zone to read it in, the last day is one of two, and the
// rule is refused rather than guessed.
//
// One empty part at the end, as in FREQ=WEEKLY;BYDAY=SA; (which some
// generators write), is dropped: it stands for nothing. An empty part
// elsewhere (FREQ=WEEKLY;;BYDAY=SA) is left to be refused, as a part may
// have been lost there.
func (p *icsParser) ruleText(e *event, r *contentLine) (string, error) {
	text := strings.TrimSpace(r.value)
	if rest, ok := strings.CutSuffix(text, ";"); ok && !strings.HasSuffix(rest, ";") {
		text = rest
	}
	if !e.date {
		return text, nil
	}
	parts := strings.Split(text, ";")
	for i, part := range parts {
		key, v, _ := strings.Cut(part, "=")
		if !strings.EqualFold(key, "UNTIL") || !strings.HasSuffix(strings.ToUpper(v), "Z") {
			continue
		}
		t, err := parseStrict("20060102T150405Z", strings.ToUpper(v))
		if err != nil {
			// Reported by the rule's own check, as for any rule.
			return text, nil
		}
		day, err := p.untilDay(e, r, v, t)
		if err != nil {
			return "", err
		}
		parts[i] = key + "=" + day
		return strings.Join(parts, ";"), nil
	}
	return text, nil
}

// untilDay returns the date, YYYYMMDD, that UNTIL=v, instant t, of the
// RRULE r of the all-day event e falls on in the zone the series was
// written in: DTSTART's own TZID, when it has one; else the calendar's
// X-WR-TIMEZONE; else the file's VTIMEZONEs, when t falls on the same day
// in every one of them (one zone, or zones a few hours apart, as Paris
// and Berlin). Where they disagree, or the file names no zone, the last
// day is one of two, and it is refused rather than guessed.
func (p *icsParser) untilDay(e *event, r *contentLine, v string, t time.Time) (string, error) {
	switch {
	case e.zone.loc != nil:
		return t.In(e.zone.loc).Format("20060102"), nil
	case p.floating != nil:
		z, err := p.zone(zoneName(p.floating), r, t.Unix())
		if err != nil {
			return "", p.errorf(r.line, "RRULE: UNTIL=%s is a UTC time and DTSTART is a date, read in the calendar's X-WR-TIMEZONE (line %d): %v", v, p.floating.line, err)
		}
		return t.In(z.loc).Format("20060102"), nil
	case len(p.vtimezones) == 0:
		return "", p.errorf(r.line, "RRULE: UNTIL=%s is a UTC time and DTSTART is a date, and the file names no zone of its own (a TZID on DTSTART, an X-WR-TIMEZONE, or a VTIMEZONE) to tell which day it is the midnight of; export UNTIL as the date of the series' last day (UNTIL=YYYYMMDD), as RFC 5545 requires", v)
	}
	tzids := slices.Sorted(maps.Keys(p.vtimezones))
	days := make([]string, len(tzids))
	for i, tzid := range tzids {
		vt := p.vtimezones[tzid]
		z, err := p.zone(tzid, r, t.Unix())
		if err != nil {
			return "", p.errorf(r.line, "RRULE: UNTIL=%s is a UTC time and DTSTART is a date, read in the file's VTIMEZONE (line %d): %v", v, vt.line, err)
		}
		days[i] = t.In(z.loc).Format("20060102")
	}
	if !slices.ContainsFunc(days, func(d string) bool { return d != days[0] }) {
		return days[0], nil
	}
	var on []string
	for i, tzid := range tzids {
		d, _ := parseStrict("20060102", days[i])
		on = append(on, fmt.Sprintf("%s in %s, line %d", d.Format(time.DateOnly), tzid, p.vtimezones[tzid].line))
	}
	return "", p.errorf(r.line, "RRULE: UNTIL=%s is a UTC time and DTSTART is a date, and the file's VTIMEZONEs disagree on the day it falls on (%s), with no TZID on DTSTART nor X-WR-TIMEZONE to tell which is the series'; export UNTIL as the date of the series' last day (UNTIL=YYYYMMDD), as RFC 5545 requires", v, strings.Join(on, "; "))
}

// length is how long an occurrence lasts: wall on the wall clock, then
// elapsed (see andon.Schedule.WallDuration).
type length struct {
	wall, elapsed time.Duration
}

// schedule returns a schedule of this length that starts at wall time
// start in zone z. On UTC clocks, a length on the wall clock is elapsed
// time.
func (l length) schedule(start string, z zone) andon.Schedule {
	if z.loc == time.UTC {
		l = length{elapsed: l.wall + l.elapsed}
	}
	return andon.Schedule{Start: start, Duration: l.elapsed, WallDuration: l.wall, Timezone: z.name}
}

// duration returns the length of e's occurrences and the line it comes
// from. An event with a time of day may last no time: none then says why,
// and the length is zero. An all-day event always lasts a day or more:
// one whose DTEND is its DTSTART, or with DURATION:P0D, was most likely
// meant as that day, and is refused rather than either skipped or read so.
func (p *icsParser) duration(e *event) (d length, line int, none string, err error) {
	dtend, duration := e.props["DTEND"], e.props["DURATION"]
	switch {
	case dtend != nil && duration != nil:
		return length{}, 0, "", p.errorf(max(dtend.line, duration.line), "DTEND and DURATION exclude each other")
	case duration != nil:
		d, err := parseDuration(duration.value)
		if errors.Is(err, errZeroDuration) && !e.date {
			return length{}, duration.line, fmt.Sprintf("its DURATION is %s", strings.TrimSpace(duration.value)), nil
		} else if err != nil {
			return length{}, 0, "", p.errorf(duration.line, "DURATION: %v", err)
		}
		return d, duration.line, "", nil
	case dtend != nil:
		end, z, date, err := p.parseTime(dtend, dtend.value)
		if err != nil {
			return length{}, 0, "", p.errorf(dtend.line, "DTEND: %v", err)
		}
		if date != e.date {
			return length{}, 0, "", p.errorf(dtend.line, "DTEND: a date and a date-time cannot be mixed with DTSTART's")
		}
		d, err := span(e.start, e.zone, end, z)
		switch {
		case errors.Is(err, errEndsFirst):
			return length{}, 0, "", p.errorf(dtend.line, "DTEND: must be after DTSTART")
		case err != nil:
			return length{}, 0, "", p.errorf(dtend.line, "DTEND: %v", err)
		case d == length{} && e.date:
			return length{}, 0, "", p.errorf(dtend.line, "DTEND: must be after DTSTART; an all-day event ends on the day after its last day (DTEND;VALUE=DATE:%s for a single day)", wallTime(e.start+secondsPerDay).Format("20060102"))
		case d == length{}:
			return length{}, dtend.line, "its DTEND is its DTSTART", nil
		}
		return d, dtend.line, "", nil
	case e.date:
		// RFC 5545: one day, from midnight to midnight.
		return length{wall: 24 * time.Hour}, e.begin, "", nil
	default:
		// RFC 5545 (3.6.1): an event whose DTSTART has a time of day
		// and that has neither ends where it starts.
		return length{}, e.props["DTSTART"].line, "it has neither DTEND nor DURATION, which RFC 5545 reads as ending at DTSTART", nil
	}
}

// errEndsFirst is the error of span for an end before the start.
var errEndsFirst = errors.New("a period must end after it starts")

// span returns the length of an occurrence that starts at wall time
// start in zone sz and ends at wall time end in zone ez, as DTEND or a
// period gives it. In one zone, the end is a wall time: each occurrence
// ends at the same distance on the wall clock, so that an event from
// 22:00 to 06:00 ends at 06:00 on the nights clocks change too, as the
// calendar programs that wrote it show it, and a one-off event ends
// where it says. Between two zones, the end is an instant, and the
// length is the elapsed time between the two, RFC 5545's exact duration.
func span(start int64, sz zone, end int64, ez zone) (length, error) {
	if sz.name == ez.name {
		if end < start {
			return length{}, errEndsFirst
		}
		return length{wall: time.Duration(end-start) * time.Second}, nil
	}
	// Refused as convert refuses it: a floating time with a zoned one.
	if _, err := convert(end, ez, sz); err != nil {
		return length{}, err
	}
	a, b := instant(start, sz.loc), instant(end, ez.loc)
	if b < a {
		return length{}, errEndsFirst
	}
	return length{elapsed: time.Duration(b-a) * time.Second}, nil
}

// times reads the comma-separated times of an EXDATE or RDATE as wall
// times in e's zone. For RDATE periods it also returns their lengths
// (zero for a plain time). An exception names an occurrence by its start;
// given in another zone, it is an instant, which may also be where a wall
// time of e's zone skipped by the clocks occurs: with exclude set, that
// wall time is returned too (see convertAll).
//
// A list may end in one comma (EXDATE:20261201T020000, as some
// generators follow every item with one), which is dropped: it stands for
// nothing, as one ';' at the end of an RRULE. An empty item
// elsewhere (a,,b, or ",," at the end) is refused, as a time may have been
// lost there.
func (p *icsParser) times(e *event, c *contentLine, exclude bool) ([]int64, []length, error) {
	var walls []int64
	var durs []length
	period := strings.EqualFold(c.param("VALUE"), "PERIOD")
	list := strings.TrimSpace(c.value)
	if rest, ok := strings.CutSuffix(list, ","); ok && !strings.HasSuffix(strings.TrimSpace(rest), ",") {
		list = rest
	}
	for v := range strings.SplitSeq(list, ",") {
		if strings.TrimSpace(v) == "" {
			return nil, nil, p.errorf(c.line, "%s: %q has an empty item, where a time may have been lost; list the times separated by single commas", c.name, shorten(strings.TrimSpace(c.value)))
		}
		var d length
		if period {
			startText, endText, ok := strings.Cut(v, "/")
			if !ok {
				return nil, nil, p.errorf(c.line, "%s: %q is not a period START/END or START/DURATION", c.name, v)
			}
			start, z, _, err := p.parseTime(&contentLine{line: c.line, name: c.name, params: map[string][]string{"TZID": c.params["TZID"]}}, startText)
			if err != nil {
				return nil, nil, p.errorf(c.line, "%s: %v", c.name, err)
			}
			if strings.HasPrefix(endText, "P") || strings.HasPrefix(endText, "+P") {
				d, err = parseDuration(endText)
			} else {
				var end int64
				var ez zone
				if end, ez, _, err = p.parseTime(&contentLine{line: c.line, name: c.name, params: map[string][]string{"TZID": c.params["TZID"]}}, endText); err == nil {
					d, err = span(start, z, end, ez)
				}
				if err == nil && d == (length{}) {
					err = errEndsFirst
				}
			}
			if err != nil {
				return nil, nil, p.errorf(c.line, "%s: %v", c.name, err)
			}
			if start, err = convert(start, z, e.zone); err != nil {
				return nil, nil, p.errorf(c.line, "%s: %v", c.name, err)
			}
			walls, durs = append(walls, start), append(durs, d)
			continue
		}
		w, z, date, err := p.parseTime(c, v)
		switch {
		case err != nil:
		case date && !e.date:
			// RFC 5545 does not say which occurrence of a timed event a
			// date stands for (the one starting that day? every one
			// that day?): refused rather than guessed.
			err = fmt.Errorf("%q is a date, which is not supported with a DTSTART that has a time of day; give the date and time the occurrence starts, as DTSTART does", strings.TrimSpace(v))
		case exclude && e.date && w%secondsPerDay == 0:
			// Exchange excludes a day of an all-day series by its
			// midnight in the organiser's zone, as it names one in a
			// RECURRENCE-ID: that is the date.
			z = e.zone
		case exclude && e.date:
			// Read as a time, it would exclude no day at all.
			err = fmt.Errorf("%q has a time of day, and DTSTART is a date; give the date of the occurrence (VALUE=DATE)", strings.TrimSpace(v))
		}
		ws := []int64{w}
		if err == nil && exclude {
			ws, err = convertAll(w, z, e.zone)
		} else if err == nil {
			ws[0], err = convert(w, z, e.zone)
		}
		if err != nil {
			return nil, nil, p.errorf(c.line, "%s: %v", c.name, err)
		}
		for _, w := range ws {
			walls, durs = append(walls, w), append(durs, d)
		}
	}
	return walls, durs, nil
}

// applyOverrides excludes from each event the occurrences that an event
// with the same UID and a RECURRENCE-ID replaces. A UID is one event: two
// VEVENTs with the same UID and no RECURRENCE-ID, or with the same
// RECURRENCE-ID, are two versions of one, and which is in force cannot be
// told. A RECURRENCE-ID must name an occurrence of its event: one that
// names none, read as replacing nothing, would leave in force an
// occurrence that was cancelled or moved. An event whose UID no other
// event has stands alone, and so does one whose event is cancelled.
func (p *icsParser) applyOverrides(events []*event) error {
	masters := map[string]*event{}
	// inForce holds the events that add a schedule, as read: a
	// replacement removes the occurrence of no rule it names from its
	// event's schedules, and the next one of its UID must name an
	// occurrence of that event all the same, whatever the order of the
	// VEVENTs.
	inForce := map[*event]bool{}
	for _, m := range events {
		uid := valueOf(m.props["UID"])
		if m.recurrenceID != nil || uid == "" {
			continue
		}
		if prev := masters[uid]; prev != nil {
			return p.errorf(m.begin, "VEVENT: UID %q is given to the VEVENT of line %d too, and neither has a RECURRENCE-ID: they are two versions of one event; keep one", uid, prev.begin)
		}
		masters[uid] = m
		inForce[m] = !m.cancelled && len(m.schedules) > 0
	}
	replaced := map[string]*event{} // UID and RECURRENCE-ID -> the event
	for _, o := range events {
		rid := o.recurrenceID
		if rid == nil {
			continue
		}
		if strings.EqualFold(rid.param("RANGE"), "THISANDFUTURE") {
			// RFC 5545 makes such an override shift or reshape every
			// later occurrence as well. Most calendar programs split the
			// series instead when one edits "this and following events",
			// and so can the file.
			return p.errorf(rid.line, "RECURRENCE-ID: RANGE=THISANDFUTURE is not supported; end the series before this occurrence (UNTIL in the RRULE of its VEVENT) and describe this occurrence and the later ones with a VEVENT of their own, under another UID")
		}
		p.floating = o.calendar.tz
		uid := valueOf(o.props["UID"])
		m := masters[uid]
		standsAlone := m == nil || !inForce[m]
		p.unchecked = standsAlone
		w, z, date, err := p.parseTime(rid, rid.value)
		p.unchecked = false
		var key string
		switch {
		case err != nil && standsAlone && isUnreadZone(err):
			// It replaces no occurrence of another event: a
			// cancellation adds nothing, and a replacement in force
			// is placed by its own DTSTART, which resolve read. Its
			// value only tells two versions of one occurrence apart,
			// which it still does when both are written alike.
			key = uid + "\x00TZID=" + rid.param("TZID") + "\x00" + strings.TrimSpace(rid.value)
		case err != nil && !standsAlone && isUnreadZone(err):
			// Read in another zone, or skipped, the override would
			// remove another occurrence, or none, and leave the one
			// it cancels or moves in force.
			what := "moves"
			if o.cancelled {
				what = "cancels"
			}
			return p.errorf(rid.line, "RECURRENCE-ID: the VEVENT %s an occurrence of the VEVENT of line %d (UID %q), which cannot be told without its zone: %v", what, m.begin, uid, err)
		case err != nil:
			return p.errorf(rid.line, "RECURRENCE-ID: %v", err)
		case z.loc != nil:
			key = uid + "\x00" + fmt.Sprint(instant(w, z.loc))
		default:
			key = uid + "\x00" + formatWall(w) + "\x00" + z.name
		}
		if prev := replaced[key]; prev != nil && uid != "" {
			return p.errorf(rid.line, "RECURRENCE-ID: the VEVENT of line %d replaces the same occurrence of UID %q: they are two versions of one; keep one", prev.begin, uid)
		}
		replaced[key] = o
		if standsAlone {
			continue
		}
		if err := p.replace(m, rid, w, z, date); err != nil {
			return err
		}
	}
	return nil
}

// replace excludes from m the occurrence that RECURRENCE-ID rid, wall
// time w in zone z, names.
func (p *icsParser) replace(m *event, rid *contentLine, w int64, z zone, date bool) error {
	switch {
	case date && !m.date:
		return p.errorf(rid.line, "RECURRENCE-ID: %q is a date, and the DTSTART of the VEVENT of line %d has a time of day; give the date and time the occurrence starts", strings.TrimSpace(rid.value), m.begin)
	case !date && m.date && w%secondsPerDay == 0:
		// Exchange names an occurrence of an all-day event by its
		// midnight in the organiser's zone: its date.
		z = m.zone
	case !date && m.date:
		return p.errorf(rid.line, "RECURRENCE-ID: %q has a time of day, and the DTSTART of the VEVENT of line %d is a date; give the date of the occurrence (VALUE=DATE)", strings.TrimSpace(rid.value), m.begin)
	}
	walls, err := convertAll(w, z, m.zone)
	if err != nil {
		return p.errorf(rid.line, "RECURRENCE-ID: %v", err)
	}
	matched := false
	for _, w := range walls {
		wall := formatWall(w)
		n := len(m.schedules)
		m.schedules = slices.DeleteFunc(m.schedules, func(s *icsSchedule) bool {
			return s.RRule == "" && s.Start == wall
		})
		matched = matched || len(m.schedules) < n
		for _, s := range m.schedules {
			if s.RRule == "" {
				continue
			}
			o := newOccurrenceCheck(s.Schedule)
			if o != nil && !o.occurs(w) {
				continue // an RDATE's, say
			}
			matched = true
			if !slices.Contains(s.ExDates, wall) {
				s.ExDates = append(s.ExDates, wall)
				s.overridden = true
			}
		}
	}
	if matched {
		return nil
	}
	if slices.ContainsFunc(walls, func(w int64) bool { return startsSkipped(m, w) }) {
		// The occurrence lasts no time and was skipped: there is
		// nothing to replace, and the replacement stands alone, as
		// one of an event that is skipped whole does.
		p.warnings = append(p.warnings, fmt.Sprintf("%s:%d: RECURRENCE-ID %s (%s) replaces nothing: it names an occurrence of the VEVENT of line %d (UID %q) that lasts no time and was skipped, so this VEVENT stands alone",
			p.name, rid.line, formatWall(walls[0]), displayZone(m.zone), m.begin, valueOf(m.props["UID"])))
		return nil
	}
	return p.errorf(rid.line, "RECURRENCE-ID: %s (%s) is not the start of an occurrence of the VEVENT of line %d (UID %q), so it replaces nothing: %s",
		formatWall(walls[0]), displayZone(m.zone), m.begin, valueOf(m.props["UID"]), nearOccurrences(m, walls[0]))
}

// nearOccurrences says, for a RECURRENCE-ID at wall time w that names no
// occurrence of m, where m's occurrences are: those that start that day,
// of every schedule of m, with those of no length, skipped, told apart;
// or, when it has none that day, the next one.
func nearOccurrences(m *event, w int64) string {
	var kept, skipped []int64
	var next int64
	hasNext, nextSkipped := false, false
	for i, s := range slices.Concat(m.schedules, m.skipped) {
		o := newOccurrenceCheck(s.Schedule)
		if o == nil {
			continue
		}
		isSkipped := i >= len(m.schedules)
		if isSkipped {
			skipped = append(skipped, o.starts(w)...)
		} else {
			kept = append(kept, o.starts(w)...)
		}
		if x, ok := o.afterDay(w); ok && (!hasNext || x < next || x == next && nextSkipped && !isSkipped) {
			next, hasNext, nextSkipped = x, true, isSkipped
		}
	}
	slices.Sort(kept)
	slices.Sort(skipped)
	kept, skipped = slices.Compact(kept), slices.Compact(skipped)
	clock := func(ws []int64) string {
		texts := make([]string, len(ws))
		for i, x := range ws {
			texts[i] = wallTime(x).Format(time.TimeOnly)
		}
		return strings.Join(texts, ", ")
	}
	one := len(skipped) == 1
	switch {
	case len(kept) > 0 && len(skipped) > 0 && one:
		return "that day its occurrences start at " + clock(kept) + ", and the one at " + clock(skipped) + " lasts no time and was skipped"
	case len(kept) > 0 && len(skipped) > 0:
		return "that day its occurrences start at " + clock(kept) + ", and those at " + clock(skipped) + " last no time and were skipped"
	case len(kept) > 0:
		return "that day its occurrences start at " + clock(kept)
	case len(skipped) > 0 && one:
		return "that day its only occurrence, at " + clock(skipped) + ", lasts no time and was skipped"
	case len(skipped) > 0:
		return "that day its only occurrences, at " + clock(skipped) + ", last no time and were skipped"
	default:
		return noneThatDay("the event", next, hasNext, nextSkipped)
	}
}

// startsSkipped reports whether an occurrence of one of the skipped
// schedules of m starts at wall time w.
func startsSkipped(m *event, w int64) bool {
	for _, s := range m.skipped {
		if s.RRule == "" {
			if s.Start == formatWall(w) {
				return true
			}
			continue
		}
		if o := newOccurrenceCheck(s.Schedule); o != nil && o.occurs(w) {
			return true
		}
	}
	return false
}

// displayZone names z in a message: its name, or "floating".
func displayZone(z zone) string {
	if z.name == "" {
		return "floating"
	}
	return z.name
}

// parseTime reads a DATE or DATE-TIME value with the VALUE and TZID
// parameters of c.
func (p *icsParser) parseTime(c *contentLine, v string) (wall int64, z zone, date bool, err error) {
	v = strings.TrimSpace(v)
	tzid := c.param("TZID")
	if tzid == "" && len(c.params["TZID"]) > 0 {
		// TZID= names no zone; reading the time as floating would
		// place it in each environment's zone, which the file did not
		// say.
		return 0, zone{}, false, fmt.Errorf("TZID is empty; name an IANA time zone such as Europe/Paris, or leave TZID out for a floating time")
	}
	switch kind := strings.ToUpper(c.param("VALUE")); {
	case kind == "DATE" || kind == "" && len(v) == len("20060102"):
		t, err := parseStrict("20060102", v)
		if err != nil {
			return 0, zone{}, false, fmt.Errorf("%q: %v", v, err)
		}
		wall, date = t.Unix(), true
	case kind == "" || kind == "DATE-TIME":
		layout := "20060102T150405"
		if strings.HasSuffix(v, "Z") {
			if tzid != "" {
				return 0, zone{}, false, fmt.Errorf("%q: a UTC time (ending in Z) takes no TZID", v)
			}
			layout += "Z"
			z = zone{"UTC", time.UTC}
		}
		t, err := parseStrict(layout, v)
		if err != nil {
			return 0, zone{}, false, fmt.Errorf("%q: %v", v, err)
		}
		wall = t.Unix()
	default:
		return 0, zone{}, false, fmt.Errorf("VALUE=%s is not supported here; want DATE or DATE-TIME", kind)
	}
	switch {
	case tzid != "":
		if z, err = p.zone(tzid, c, wall); err != nil {
			return 0, zone{}, false, fmt.Errorf("TZID: %w", err)
		}
	case z.loc == nil && !date && p.floating != nil:
		// Google Calendar and Apple Calendar read a floating time in
		// the zone the calendar names; read in each environment's zone
		// instead, a freeze kept in Berlin would move by hours at a
		// plant in California. A date is a day wherever it is read, as
		// they read it too.
		name := zoneName(p.floating)
		if z, err = p.zone(name, c, wall); err != nil {
			return 0, zone{}, false, fmt.Errorf("a floating time is read in the calendar's X-WR-TIMEZONE (line %d): %w", p.floating.line, err)
		}
	}
	return wall, z, date, nil
}

// convert returns the wall time in zone to that shows the same instant as
// wall time w in zone from. A floating time has no instant, so it converts
// only to another floating time.
func convert(w int64, from, to zone) (int64, error) {
	if from.name == to.name {
		return w, nil
	}
	if from.loc == nil || to.loc == nil {
		return 0, fmt.Errorf("a floating time and one with a time zone cannot be mixed; give both the same TZID")
	}
	w = wallAt(instant(w, from.loc), to.loc)
	if w < minWall || w >= endWall {
		return 0, fmt.Errorf("in %s, the time falls outside the years 0001 to 9999", to.name)
	}
	return w, nil
}

// convertAll returns the wall times in zone to of the occurrences that
// start at the instant of wall time w in zone from: the one convert
// returns and, when clocks in zone to have just sprung forward, the wall
// time in the gap that the DST rule moves to that instant. A calendar that
// excludes the 02:30 occurrence of the night Paris skips from 02:00 to
// 03:00 in UTC writes 01:30Z, which Paris clocks show as 03:30.
func convertAll(w int64, from, to zone) ([]int64, error) {
	c, err := convert(w, from, to)
	if err != nil || from.name == to.name {
		return []int64{c}, err
	}
	return append([]int64{c}, gapWalls(instant(c, to.loc), to.loc)...), nil
}

// parseDuration reads an RFC 5545 duration such as PT4H, P1DT12H or P2W.
// As RFC 5545 says, weeks and days are "nominal": they count on the wall
// clock, so that P1D from midnight ends at midnight even on a day of 23
// or 25 hours; hours, minutes and seconds are elapsed time. The duration
// must be positive.
func parseDuration(v string) (length, error) {
	bad := fmt.Errorf("%q is not a duration such as PT4H, P1DT12H or P2W", v)
	s := strings.TrimSpace(v)
	if strings.HasPrefix(s, "-") {
		return length{}, fmt.Errorf("%q: must be positive", v)
	}
	s, ok := strings.CutPrefix(strings.TrimPrefix(s, "+"), "P")
	if !ok || s == "" {
		return length{}, bad
	}
	var days, total int64
	if weeks, ok := strings.CutSuffix(s, "W"); ok {
		n, ok := parseDigits(weeks)
		if !ok {
			return length{}, bad
		}
		days = n * 7
	} else {
		dayText, clock, hasClock := strings.Cut(s, "T")
		if dayText != "" {
			n, ok := parseDigits(strings.TrimSuffix(dayText, "D"))
			if !ok || !strings.HasSuffix(dayText, "D") {
				return length{}, bad
			}
			days = n
		}
		if hasClock && clock == "" {
			return length{}, bad
		}
		// The clock part is [nH][nM][nS], in that order.
		for _, u := range []struct {
			unit    string
			seconds int64
		}{{"H", 3600}, {"M", 60}, {"S", 1}} {
			i := strings.Index(clock, u.unit)
			if i < 0 {
				continue
			}
			n, ok := parseDigits(clock[:i])
			if !ok {
				return length{}, bad
			}
			total += n * u.seconds
			clock = clock[i+1:]
		}
		if clock != "" {
			return length{}, bad
		}
	}
	if days == 0 && total == 0 {
		return length{}, fmt.Errorf("%q: %w", v, errZeroDuration)
	}
	if days*secondsPerDay+total > int64(maxDuration/time.Second) {
		return length{}, fmt.Errorf("%q is longer than %s", v, andon.ShortDuration(maxDuration))
	}
	return length{wall: time.Duration(days*secondsPerDay) * time.Second, elapsed: time.Duration(total) * time.Second}, nil
}

// errZeroDuration is the error of parseDuration for a duration of zero.
var errZeroDuration = errors.New("must be positive")

// parseDigits reads a run of at most nine decimal digits, few enough that
// no duration built from them overflows.
func parseDigits(s string) (int64, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	var n int64
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func valueOf(c *contentLine) string {
	if c == nil {
		return ""
	}
	return c.value
}

// shorten cuts s for an error message.
func shorten(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
