package calendar

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/andon-governance/andon"
)

const (
	// maxDuration bounds a schedule's duration. Occurrences are looked
	// for as far back as one duration before a query, and a recurring
	// window longer than a year is better written as a one-off span.
	maxDuration = 366 * 24 * time.Hour
	// maxExpand bounds the occurrences of one schedule that one query
	// computes: a rule that recurs more often within the range asked for
	// is cut off after this many.
	maxExpand = 10000
	// cacheAhead is how far past a query the occurrences of a rule are
	// computed and kept, so that the gate, asking about "now" again and
	// again, finds them ready.
	cacheAhead = 35 * secondsPerDay
)

// fieldError is a problem with one field of a schedule.
type fieldError struct {
	field string // "start", "rrule", "exdates", "duration" or "timezone"
	item  int    // for exdates, 1 + the index of the date at fault; else 0
	err   error
}

func (e *fieldError) Error() string { return e.field + ": " + e.detail() }

// detail is the problem without the field's name: "[1]: …" for an item.
func (e *fieldError) detail() string {
	if e.item > 0 {
		return fmt.Sprintf("[%d]: %v", e.item-1, e.err)
	}
	return e.err.Error()
}

func (e *fieldError) andon() *andon.Error { return andon.Errorf(andon.EINVALID, "%s", e.Error()) }

// ScheduleProblem is a problem of one field of a schedule: Field is
// start, rrule, exdates, duration or timezone; Index is the position of
// the exception date at fault, or -1.
type ScheduleProblem struct {
	Field   string
	Index   int
	Message string
}

func (e *fieldError) problem() ScheduleProblem {
	return ScheduleProblem{Field: e.field, Index: e.item - 1, Message: e.err.Error()}
}

// CheckSchedule returns every problem ValidateSchedule finds in s, field
// by field, for a caller that points at each field itself.
func CheckSchedule(s andon.Schedule) []ScheduleProblem {
	var problems []ScheduleProblem
	for _, fe := range checkSchedule(s) {
		problems = append(problems, fe.problem())
	}
	return problems
}

// ValidateSchedule checks a schedule: Start is a wall time in the layout
// andon.WallLayout; RRule is an RFC 5545 rule without the "RRULE:" prefix,
// or empty for a single occurrence; every ExDate is a wall time; Duration is
// positive and at most 366 days; Timezone is empty or an IANA name. The
// error is an *andon.Error with code EINVALID whose message starts with the
// field at fault, as in "rrule: FREQ is required".
//
// Beyond RFC 5545, a rule is refused when it cannot be expanded in bounded
// time: COUNT above 10000, INTERVAL above 1000000, more than 96 times of
// day, BYSETPOS with a period shorter than a day, a sub-daily rule whose
// steps never reach its BYHOUR, BYMINUTE or BYSECOND values, and a rule that
// produces no occurrence within 400 years of its start.
//
// Every field is checked: with several problems, the error joins one
// *andon.Error per field (errors.Join), in the order above; with one, it
// is that *andon.Error.
func ValidateSchedule(s andon.Schedule) error {
	var errs []error
	for _, fe := range checkSchedule(s) {
		errs = append(errs, fe.andon())
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

// checkSchedule returns the problems of every field of s, or none when
// compileSchedule accepts it. When the start is at fault, the rule is
// checked only for what does not depend on it.
func checkSchedule(s andon.Schedule) []*fieldError {
	var errs []*fieldError
	start, err := parseStart(s.Start)
	if err != nil {
		errs = append(errs, &fieldError{field: "start", err: err})
	}
	if s.RRule != "" {
		// Every part at fault; then, with a start, what depends on it.
		_, ruleErrs := parseRuleParts(s.RRule)
		for _, err := range ruleErrs {
			errs = append(errs, &fieldError{field: "rrule", err: err})
		}
		if len(errs) == 0 {
			if _, err := parseRule(s.RRule, start); err != nil {
				errs = append(errs, &fieldError{field: "rrule", err: err})
			}
		}
	}
	for i, x := range s.ExDates {
		if _, err := parseWall(x); err != nil {
			errs = append(errs, &fieldError{field: "exdates", item: i + 1, err: err})
		}
	}
	if err := checkDuration(s.Duration, s.WallDuration); err != nil {
		errs = append(errs, err)
	}
	if s.Timezone != "" {
		if _, err := LoadLocation(s.Timezone); err != nil {
			errs = append(errs, &fieldError{field: "timezone", err: err})
		}
	}
	if len(errs) > 0 {
		return errs
	}
	// What the fields allow one by one, compiling may still refuse.
	if _, err := compileSchedule(s); err != nil {
		return []*fieldError{err}
	}
	return nil
}

// UnmatchedExDates returns a problem for each exception date of s that is
// not the start of one of its occurrences: it excludes nothing, most
// likely because its time of day is not an occurrence's. RFC 5545 allows
// them, and calendar files carry them after a series was edited; a
// catalog written by hand means something else. The start and the rule
// of s must be valid; its duration and time zone need not be.
func UnmatchedExDates(s andon.Schedule) []ScheduleProblem {
	o := newOccurrenceCheck(s)
	if o == nil {
		return nil
	}
	var problems []ScheduleProblem
	for i, x := range s.ExDates {
		w, err := parseWall(x)
		if err != nil || o.occurs(w) {
			continue
		}
		problems = append(problems, ScheduleProblem{Field: "exdates", Index: i,
			Message: fmt.Sprintf("%q is not the start of an occurrence, so it excludes nothing: %s", x, o.sameDay(w, "the schedule"))})
	}
	return problems
}

// occurrenceCheck tells the wall times that start an occurrence of a
// schedule, its exception dates aside.
type occurrenceCheck struct {
	c   *schedule
	loc *time.Location // the schedule's zone, or nil
}

// newOccurrenceCheck returns the check of s, or nil when the start or the
// rule of s is not valid; its duration and time zone need not be.
func newOccurrenceCheck(s andon.Schedule) *occurrenceCheck {
	bare := s
	bare.ExDates, bare.Duration, bare.WallDuration = nil, time.Hour, 0
	loc, zoneErr := LoadLocation(s.Timezone)
	if zoneErr != nil {
		bare.Timezone, loc = "", nil
	}
	c, fe := compileSchedule(bare)
	if fe != nil {
		return nil
	}
	return &occurrenceCheck{c: c, loc: loc}
}

// occurs reports whether an occurrence starts at wall time w.
func (o *occurrenceCheck) occurs(w int64) bool {
	if len(o.c.walls(w, w+1, cacheOther)) == 0 {
		return false
	}
	// An UNTIL in UTC ends the rule at an instant, which only a schedule
	// with its own zone places among wall times.
	return o.c.rule == nil || o.c.rule.untilUTC == nil || o.loc == nil || instant(w, o.loc) <= *o.c.rule.untilUTC
}

// sameDay says when the occurrences of the day of wall time w start, for
// a message: "that day its occurrences start at 02:00:00", or, with what
// "the schedule", "the schedule has no occurrence that day; the next
// starts at 2026-03-15T02:00:00" (see noneThatDay).
func (o *occurrenceCheck) sameDay(w int64, what string) string {
	var starts []string
	for _, x := range o.starts(w) {
		starts = append(starts, wallTime(x).Format(time.TimeOnly))
	}
	if len(starts) == 0 {
		next, ok := o.afterDay(w)
		return noneThatDay(what, next, ok, false)
	}
	return "that day its occurrences start at " + strings.Join(starts, ", ")
}

// afterDay returns the first occurrence that starts after the day of wall
// time w.
func (o *occurrenceCheck) afterDay(w int64) (int64, bool) {
	return o.next(floorDiv(w, secondsPerDay)*secondsPerDay + secondsPerDay)
}

// noneThatDay says, for a message about a day on which what ("the
// schedule", "the event") has no occurrence, where the next one is: at
// wall time next, when there is one (ok), which was skipped for lasting
// no time when skipped is set; the catalog's messages and the calendar
// files' say it alike.
func noneThatDay(what string, next int64, ok, skipped bool) string {
	switch {
	case !ok:
		return what + " has no occurrence that day, nor after it"
	case skipped:
		return what + " has no occurrence that day; the next, at " + formatWall(next) + ", lasts no time and was skipped"
	}
	return what + " has no occurrence that day; the next starts at " + formatWall(next)
}

// starts returns the wall times of the occurrences that start on the day
// of wall time w, in order.
func (o *occurrenceCheck) starts(w int64) []int64 {
	var out []int64
	day := floorDiv(w, secondsPerDay) * secondsPerDay
	for _, x := range o.c.walls(day, day+secondsPerDay, cacheOther) {
		if o.occurs(x) {
			out = append(out, x)
		}
	}
	return out
}

// next returns the first occurrence that starts at or after wall time w,
// searched up to 400 years ahead, as rule.first searches.
func (o *occurrenceCheck) next(w int64) (int64, bool) {
	if o.c.rule == nil || o.c.fixed != nil {
		i, _ := slices.BinarySearch(o.c.fixed, w)
		for _, x := range o.c.fixed[i:] {
			if o.occurs(x) {
				return x, true
			}
		}
		return 0, false
	}
	r := o.c.rule
	var found int64
	ok := false
	r.expand(r.periodStart(w), min(r.until+1, max(w, r.start)+secondsPer400Years, endWall), func(x int64) bool {
		if x < w {
			return true
		}
		// Past UNTIL's instant, every later one is too.
		found, ok = x, o.occurs(x)
		return false
	})
	return found, ok
}

// checkDuration checks the length of a schedule's occurrences: d elapsed,
// after wall on the wall clock.
func checkDuration(d, wall time.Duration) *fieldError {
	switch {
	case wall < 0:
		return &fieldError{field: "duration", err: fmt.Errorf("the length on the wall clock must not be negative, not %s", andon.ShortDuration(wall))}
	case wall == 0 && d <= 0:
		return &fieldError{field: "duration", err: fmt.Errorf("must be positive, not %s", andon.ShortDuration(d))}
	case d < 0:
		return &fieldError{field: "duration", err: fmt.Errorf("must not be negative, not %s", andon.ShortDuration(d))}
	case wall > maxDuration || d > maxDuration-wall:
		// Compared so, the sum cannot overflow; written, it may.
		total := wall + d
		if total < 0 {
			total = math.MaxInt64
		}
		return &fieldError{field: "duration", err: fmt.Errorf("%s is longer than %s; use a one-off span instead", andon.ShortDuration(total), andon.ShortDuration(maxDuration))}
	case wall%time.Second != 0:
		return &fieldError{field: "duration", err: fmt.Errorf("the length on the wall clock must be whole seconds, not %s", wall)}
	case wall%(24*time.Hour) != 0 && d != 0:
		// A calendar file gives either DTEND, a wall time, or
		// DURATION, whose days count on the wall clock and the rest
		// elapsed; the feed writes the schedule back the same way.
		return &fieldError{field: "duration", err: fmt.Errorf("a length on the wall clock of %s, not whole days, takes no elapsed time after it, not %s", andon.ShortDuration(wall), andon.ShortDuration(d))}
	}
	return nil
}

// schedule is a compiled andon.Schedule. Its occurrences are computed as
// wall times, the same for every environment, and turned into instants per
// query with the zone that applies.
type schedule struct {
	// loc is the schedule's own zone, or nil for the environment's.
	loc *time.Location
	// duration is elapsed time after wall, the length on the wall clock
	// in seconds (see andon.Schedule.WallDuration).
	duration time.Duration
	wall     int64
	rule     *rule // nil for a single occurrence
	exdates  map[int64]bool
	// fixed holds every occurrence of a finite schedule (one without a
	// rule, or with COUNT), computed once; nil otherwise.
	fixed []int64
	// cache holds the occurrences of an unbounded rule around recent
	// queries: entry cacheActive is filled only by Active, the gate's
	// query, and cacheOther by every other query, so that a search far
	// ahead (NextSlot, a calendar view) never evicts the range the gate
	// keeps asking about. Entries are replaced, never changed, so readers
	// need no lock.
	cache [2]atomic.Pointer[wallRange]
}

// Cache entries of schedule.cache.
const (
	cacheActive = iota
	cacheOther
)

// wallRange lists every occurrence in [lo, hi), as wall times.
type wallRange struct {
	lo, hi int64
	walls  []int64
}

func compileSchedule(s andon.Schedule) (*schedule, *fieldError) {
	start, err := parseStart(s.Start)
	if err != nil {
		return nil, &fieldError{field: "start", err: err}
	}
	c := &schedule{duration: s.Duration, wall: seconds(s.WallDuration)}
	if err := checkDuration(s.Duration, s.WallDuration); err != nil {
		return nil, err
	}
	if s.Timezone != "" {
		if c.loc, err = LoadLocation(s.Timezone); err != nil {
			return nil, &fieldError{field: "timezone", err: err}
		}
	}
	for i, x := range s.ExDates {
		w, err := parseWall(x)
		if err != nil {
			return nil, &fieldError{field: "exdates", item: i + 1, err: err}
		}
		if c.exdates == nil {
			c.exdates = map[int64]bool{}
		}
		c.exdates[w] = true
	}
	if s.RRule == "" {
		c.fixed = c.keep([]int64{start})
		return c, nil
	}
	if c.rule, err = parseRule(s.RRule, start); err != nil {
		return nil, &fieldError{field: "rrule", err: err}
	}
	if c.rule.opt.Count > 0 {
		var walls []int64
		c.rule.expand(start, min(c.rule.until+1, start+secondsPer400Years, endWall), func(w int64) bool {
			walls = append(walls, w)
			return true
		})
		c.fixed = c.keep(walls)
	}
	return c, nil
}

// length returns the longest an occurrence of c lasts, in seconds, but
// for the length of a gap on the wall clock: an occurrence starting at
// wall time w ends before the instant of wall time w+length.
func (c *schedule) length() int64 { return c.wall + seconds(c.duration) }

// end returns the end of the occurrence of c that starts at wall time w,
// at start in loc: its wall end, w plus the length on the wall clock,
// read in loc by the rule of instant, then the elapsed duration. A start
// in the gap of a spring-forward night is moved forward, and so may pass
// a wall end just after the gap (02:30 to 03:00 on a night that skips
// from 02:00 to 03:00); that occurrence lasts its length on the wall
// clock instead, rather than ending before it starts.
func (c *schedule) end(w int64, start time.Time, loc *time.Location) time.Time {
	if c.wall == 0 {
		return start.Add(c.duration)
	}
	end := time.Unix(instant(w+c.wall, loc), 0).In(loc)
	if !end.After(start) {
		end = start.Add(time.Duration(c.wall) * time.Second)
	}
	return end.Add(c.duration)
}

// keep returns walls without the exception dates, never nil.
func (c *schedule) keep(walls []int64) []int64 {
	kept := make([]int64, 0, len(walls))
	for _, w := range walls {
		if !c.exdates[w] {
			kept = append(kept, w)
		}
	}
	return kept
}

// walls returns the occurrences of c whose wall start lies in [a, b), in
// order, at most maxExpand of them; a cache miss fills cache entry entry.
// The slice is shared: callers must not change it.
func (c *schedule) walls(a, b int64, entry int) []int64 {
	a, b = max(a, minWall), min(b, endWall)
	if a >= b {
		return nil
	}
	if c.fixed != nil {
		return between(c.fixed, a, b)
	}
	for i := range c.cache {
		if r := c.cache[i].Load(); r != nil && r.lo <= a && b <= r.hi {
			return between(r.walls, a, b)
		}
	}
	r := c.expand(a, max(b, min(a+cacheAhead, endWall)))
	c.cache[entry].Store(r)
	return between(r.walls, a, min(b, r.hi))
}

// expand computes the occurrences of c's rule in [lo, hi), starting from the
// period that contains lo rather than from DTSTART. When there are more than
// maxExpand of them, the range it returns ends after the last one it kept.
func (c *schedule) expand(lo, hi int64) *wallRange {
	r := &wallRange{lo: lo, hi: hi}
	end := min(hi, c.rule.until+1)
	c.rule.expand(c.rule.periodStart(lo), end, func(w int64) bool {
		if w < lo || c.exdates[w] {
			return true
		}
		r.walls = append(r.walls, w)
		if len(r.walls) == maxExpand {
			r.hi = w + 1
			return false
		}
		return true
	})
	return r
}

// between returns the part of the sorted walls that lies in [a, b).
func between(walls []int64, a, b int64) []int64 {
	i, _ := slices.BinarySearch(walls, a)
	j, _ := slices.BinarySearch(walls[i:], b)
	return walls[i : i+j]
}

// parseWall reads a wall time in the layout andon.WallLayout.
func parseWall(v string) (int64, error) {
	t, err := parseStrict(andon.WallLayout, v)
	var form formError
	if errors.As(err, &form) {
		return 0, fmt.Errorf("%q: %v, a local time without offset", v, err)
	} else if err != nil {
		return 0, fmt.Errorf("%q: %v", v, err)
	}
	return t.Unix(), nil
}

// parseStart reads the start of a schedule, a wall time in a year no
// later than andon.MaxYear: an occurrence ends at most 366 days after it
// starts, and a start in the year 9999 would end where no time can be
// written (the server could not answer a calendar query in JSON).
func parseStart(v string) (int64, error) {
	w, err := parseWall(v)
	if err == nil && wallTime(w).Year() > andon.MaxYear {
		return 0, fmt.Errorf("%q: the year must be %d or earlier", v, andon.MaxYear)
	}
	return w, err
}

// formatWall formats a wall time in the layout andon.WallLayout.
func formatWall(w int64) string { return wallTime(w).Format(andon.WallLayout) }

// locations keeps the zones loaded so far: time.LoadLocation reads and
// parses a file each time, and a calendar file names the same zone on
// every line. A *time.Location never changes once loaded.
var locations sync.Map // string -> *time.Location

// LoadLocation loads an IANA time zone, once. time.LoadLocation also
// takes names that mean the zone of the machine (andon.MachineZone),
// which no catalog may depend on: they are refused.
func LoadLocation(name string) (*time.Location, error) {
	if loc, ok := locations.Load(name); ok {
		return loc.(*time.Location), nil
	}
	switch {
	case andon.MachineZone(name):
		return nil, fmt.Errorf(`%q depends on the machine; name an IANA time zone such as Europe/Paris`, name)
	case name == "":
		return nil, fmt.Errorf(`"" is not a known IANA time zone such as Europe/Paris`)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%q is not a known IANA time zone such as Europe/Paris", name)
	}
	locations.Store(name, loc)
	return loc, nil
}
