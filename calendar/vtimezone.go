package calendar

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"time"
)

// transition is a change of a zone's offset or abbreviation.
type transition struct {
	at       int64 // the instant, Unix seconds
	from, to int   // the offsets before and after, in seconds east of UTC
	name     string
	dst      bool
}

// transitions returns the transitions of loc at instants in [a, b), as
// Go's time zone database gives them (its rule for the years after the
// last listed transition included).
func transitions(loc *time.Location, a, b int64) []transition {
	var out []transition
	t := time.Unix(a, 0).In(loc)
	name, off := t.Zone()
	for range 100000 {
		_, end := t.ZoneBounds()
		if !end.After(t) && !end.IsZero() {
			// ZoneBounds can answer t itself, as at the end of a leap
			// year past the transitions the database lists.
			end = t.Add(time.Second)
		}
		if end.IsZero() || end.Unix() >= b {
			break
		}
		t = end.In(loc)
		n, o := t.Zone()
		if o != off || n != name {
			out = append(out, transition{at: t.Unix(), from: off, to: o, name: n, dst: t.IsDST()})
		}
		name, off = n, o
	}
	return out
}

// observanceKey groups the transitions that one yearly rule describes:
// same kind, offsets and abbreviation, same month, weekday, week of the
// month (1 to 4, or -1 for the last) and wall-clock time.
type observanceKey struct {
	dst      bool
	from, to int
	name     string
	month    time.Month
	weekday  time.Weekday
	week     int
	clock    int64
}

// observance is a run of transitions of one key in consecutive years.
type observance struct {
	key         observanceKey
	first, last transition
	lastYear    int
	n           int
}

// keyOf returns the key of tr and the year of its wall time, read with
// the offset in force before it, as RFC 5545 reads DTSTART in a VTIMEZONE.
func keyOf(tr transition) (observanceKey, int) {
	w := tr.at + int64(tr.from)
	t := wallTime(w)
	week := (t.Day()-1)/7 + 1
	if t.Day()+7 > daysIn(t.Year(), t.Month()) {
		week = -1
	}
	return observanceKey{
		dst: tr.dst, from: tr.from, to: tr.to, name: tr.name,
		month: t.Month(), weekday: t.Weekday(), week: week,
		clock: floorMod(w, secondsPerDay),
	}, t.Year()
}

// writeVTimezone writes the VTIMEZONE of loc under the TZID name,
// describing its offsets from the start of year from to the end of year
// to, and the rule then in force for the years after.
//
// Go does not expose a zone's rules, only its transitions, so the rules
// are rebuilt from them: transitions that fall in consecutive years on
// the same weekday of the same week of the same month at the same
// wall-clock time, between the same offsets, become one STANDARD or
// DAYLIGHT component with a yearly RRULE (with UNTIL, unless it is still
// in force at the end of year to); any other transition is a component of
// its own. A zone without a transition in year from also gets a component
// for the offset in force on its 1 January, so that every time from then
// on is covered.
func writeVTimezone(b *bytes.Buffer, name string, loc *time.Location, from, to int) {
	a := time.Date(from, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	end := time.Date(to+1, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	trs := transitions(loc, a, end)

	open := map[observanceKey]*observance{}
	var runs []*observance
	for _, tr := range trs {
		k, y := keyOf(tr)
		if o := open[k]; o != nil && o.lastYear == y-1 {
			o.last, o.lastYear = tr, y
			o.n++
			continue
		}
		o := &observance{key: k, first: tr, last: tr, lastYear: y, n: 1}
		open[k] = o
		runs = append(runs, o)
	}
	slices.SortFunc(runs, func(x, y *observance) int { return cmp.Compare(x.first.at, y.first.at) })

	line := func(name, value string) { foldLine(b, name+":"+value) }
	line("BEGIN", "VTIMEZONE")
	line("TZID", name)
	if len(trs) == 0 || wallTime(trs[0].at+int64(trs[0].from)).Year() > from {
		// The offset in force on 1 January of year from.
		t := time.Unix(a, 0).In(loc)
		abbr, off := t.Zone()
		writeObservance(line, transition{at: a - int64(off), from: off, to: off, name: abbr, dst: t.IsDST()}, "")
	}
	for _, o := range runs {
		rule := ""
		if o.n > 1 {
			rule = fmt.Sprintf("FREQ=YEARLY;BYMONTH=%d;BYDAY=%d%s", o.key.month, o.key.week, weekdayCodes[o.key.weekday])
			if o.lastYear < to {
				rule += ";UNTIL=" + time.Unix(o.last.at, 0).UTC().Format(icsUTC)
			}
		}
		writeObservance(line, o.first, rule)
	}
	line("END", "VTIMEZONE")
}

// writeObservance writes a STANDARD or DAYLIGHT component whose first
// onset is tr.
func writeObservance(line func(string, string), tr transition, rule string) {
	kind := "STANDARD"
	if tr.dst {
		kind = "DAYLIGHT"
	}
	line("BEGIN", kind)
	line("DTSTART", wallTime(tr.at+int64(tr.from)).Format(icsLocal))
	if rule != "" {
		line("RRULE", rule)
	}
	line("TZOFFSETFROM", formatOffset(tr.from))
	line("TZOFFSETTO", formatOffset(tr.to))
	if tr.name != "" {
		line("TZNAME", escapeText(tr.name))
	}
	line("END", kind)
}

// weekdayCodes are the RFC 5545 names of the days of the week.
var weekdayCodes = [...]string{time.Sunday: "SU", time.Monday: "MO", time.Tuesday: "TU",
	time.Wednesday: "WE", time.Thursday: "TH", time.Friday: "FR", time.Saturday: "SA"}

// formatOffset writes a UTC offset as RFC 5545 does: +HHMM, or +HHMMSS
// when it has seconds.
func formatOffset(off int) string {
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	if off%60 != 0 {
		return fmt.Sprintf("%c%02d%02d%02d", sign, off/3600, off/60%60, off%60)
	}
	return fmt.Sprintf("%c%02d%02d", sign, off/3600, off/60%60)
}

func daysIn(year int, month time.Month) int {
	return time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }
