// Package calendar expands windows (RFC 5545 recurrence rules, exception
// dates, one-off spans, iCalendar files) into occurrences, and answers which
// windows apply to an environment at an instant and when the next safe slot
// for a change is.
//
// The package does no I/O: it works on the catalog and the bytes it is
// given, and it reads no clock.
//
// # Time rules
//
// A window has recurring schedules, from its "schedule" or one per VEVENT
// of its "ics" file, or a one-off span ("once"); the catalog loader
// requires exactly one of the three. Its selector
// decides which environments it applies to.
//
// A schedule's Start (DTSTART) and ExDates are local wall times: a date and
// a time of day without offset. Its Timezone names the zone of those wall
// times; when it is empty, each environment reads them in the time zone of
// its plant (andon.Catalog.Location), so that "Sunday 02:00" means 02:00
// local at every plant.
//
// The rule is expanded on the calendar alone, as wall times, and each wall
// time is then turned into an instant in the zone:
//
//   - a wall time the zone skips when clocks spring forward is moved forward
//     by the length of the gap (02:30 in a one-hour gap becomes 03:30);
//   - a wall time the zone shows twice when clocks fall back is its first
//     instance, the earlier instant, still on summer time.
//
// An exception date removes the occurrence whose wall start it equals. A
// rule's BYHOUR, INTERVAL with FREQ=HOURLY and the like count wall-clock
// hours. A DTSTART that the rule does not itself produce is not an
// occurrence (RFC 5545 leaves this undefined). UNTIL is inclusive; as a date
// it includes that whole day, and in UTC ("Z") it is compared with the
// occurrence's instant.
//
// Duration is exact elapsed time from the start instant: a four-hour window
// that starts at 01:00 on the night clocks spring forward ends at 06:00
// local time, and one that starts at 01:00 on the night they fall back ends
// at 04:00. A schedule may also have a length on the wall clock
// (WallDuration), as a catalog's duration in days and, in a calendar file,
// all-day events, the days of DURATIONs and DTENDs give it: such an
// occurrence ends at the wall time that far after its wall start, read by
// the rules above, so that a day lasts from midnight to midnight on a day
// of 23 or 25 hours too.
//
// The wall times of a schedule are the same for every environment, so they
// are expanded once and shared; each query turns those near it into
// instants in its zone. Two wall times that stand for one instant, as 02:30
// and 03:30 of an hourly rule on the night clocks spring forward, make one
// occurrence. A one-off span is absolute and needs none of this.
//
// An occurrence is the half-open span [start, start+duration). Rules
// without COUNT or UNTIL never end, so occurrences are only ever computed
// within a bounded range; a query also finds occurrences that started before
// the range and are still running. At most 10000 occurrences of one
// schedule are computed per query, and ValidateSchedule refuses the rules
// that rrule-go could not expand in bounded time.
package calendar

import (
	"cmp"
	"slices"
	"time"

	"github.com/andon-governance/andon"
)

// Calendar evaluates the windows of one catalog. It compiles every window
// once, so that a query only looks up and converts the occurrences near the
// instants it asks about. A Calendar is safe for concurrent use.
type Calendar struct {
	cat     *andon.Catalog
	windows []*window
	// maxDuration is the longest duration of any schedule, in seconds:
	// how far before a query occurrences may start.
	maxDuration int64
}

// window is a compiled andon.Window.
type window struct {
	w         *andon.Window
	schedules []*schedule
	// allow is w.Allow, empty rather than nil: the occurrences carry it,
	// and their documents say [] rather than null.
	allow []andon.ChangeType
}

// New compiles every window of cat. An invalid window is an *andon.Error
// with code EINVALID that names the window and, when it has several, the
// schedule.
func New(cat *andon.Catalog) (*Calendar, error) {
	c := &Calendar{cat: cat}
	for _, w := range cat.Windows {
		cw := &window{w: w, allow: w.Allow}
		if cw.allow == nil {
			cw.allow = []andon.ChangeType{}
		}
		if w.Once == nil && len(w.Schedules) == 0 {
			return nil, andon.Errorf(andon.EINVALID, "window %q: has neither a schedule nor a one-off span", w.Name)
		}
		if w.Once != nil && !w.Once.End.After(w.Once.Start) {
			return nil, andon.Errorf(andon.EINVALID, "window %q: once: the end must be after the start", w.Name)
		}
		for i, s := range w.Schedules {
			cs, err := compileSchedule(s)
			if err != nil && len(w.Schedules) > 1 {
				return nil, andon.Errorf(andon.EINVALID, "window %q: schedule %d: %v", w.Name, i+1, err)
			} else if err != nil {
				return nil, andon.Errorf(andon.EINVALID, "window %q: %v", w.Name, err)
			}
			cw.schedules = append(cw.schedules, cs)
			c.maxDuration = max(c.maxDuration, cs.length())
		}
		c.windows = append(c.windows, cw)
	}
	return c, nil
}

// Occurrences returns the occurrences of the windows applying to env that
// overlap [from, to), ordered by start, then window name, then end. The
// times of a recurring occurrence are in the zone it was read in (the
// schedule's or the environment's); those of a one-off span are as the
// catalog gives them. env must not be nil.
func (c *Calendar) Occurrences(env *andon.Environment, from, to time.Time) []andon.Occurrence {
	if !from.Before(to) {
		return nil
	}
	return c.collect(env, from, to, nil, "", cacheOther)
}

// Active returns the occurrences of the windows applying to env that
// contain t (start <= t < end), in the order of Occurrences. Occurrences
// of one window that contain t are one, from the first's start, and it
// ends where the window stops being in force, following the occurrences
// that overlap or touch it: a 48-hour freeze on the last two days of
// every month is in force until the end of the month's last, and Active
// says so, once. It is the gate's query, which keeps its own cache entry
// (see schedule.cache); ask ActiveAt for an instant a person chose.
func (c *Calendar) Active(env *andon.Environment, t time.Time) []andon.Occurrence {
	return c.active(env, t, cacheActive)
}

// ActiveAt answers as Active for an instant that a person or a client
// asks about (the API's /calendar/active, the board's calendar), from the
// cache entry of every other query: instants chosen at will, even asked
// in a loop, leave the gate's entry to the gate.
func (c *Calendar) ActiveAt(env *andon.Environment, t time.Time) []andon.Occurrence {
	return c.active(env, t, cacheOther)
}

// active answers Active from the cache entry entry.
func (c *Calendar) active(env *andon.Environment, t time.Time, entry int) []andon.Occurrence {
	active := c.collect(env, t, t.Add(1), nil, "", entry)
	merged := active[:0]
	dense := map[string]int{}
	for _, o := range active {
		dense[o.Window]++
		// Sorted by start, the first occurrence of a window takes in the
		// later ones.
		if j := slices.IndexFunc(merged, func(m andon.Occurrence) bool { return m.Window == o.Window }); j >= 0 {
			if o.End.After(merged[j].End) {
				merged[j].End = o.End
			}
			continue
		}
		merged = append(merged, o)
	}
	for i := range merged {
		if dense[merged[i].Window] > maxMergeOverlap {
			continue
		}
		merged[i].End = c.extend(env, merged[i].Window, t, merged[i].End, entry)
	}
	return merged
}

// Active follows a window's overlapping or touching occurrences from t to
// where they stop, within bounds, since it answers every gate decision: at
// most maxMergeSteps lookups and mergeHorizon after t, and not at all for
// a window with more than maxMergeOverlap occurrences in force at once. A
// window in force without end (a 48-hour freeze every day) is reported as
// far as the bounds reach.
const (
	maxMergeSteps   = 16
	maxMergeOverlap = 16
	mergeHorizon    = 35 * 24 * time.Hour
)

// extend returns the instant at which the window named name, in force at
// t up to end, stops being in force, following its occurrences that
// overlap or touch one another. The lookups fall within the range the
// gate's cache entry keeps, ahead of t.
func (c *Calendar) extend(env *andon.Environment, name string, t, end time.Time, entry int) time.Time {
	for range maxMergeSteps {
		if end.Sub(t) > mergeHorizon {
			break
		}
		next := c.collect(env, end, end.Add(time.Second), nil, name, entry)
		moved := false
		for _, p := range next {
			if p.End.After(end) {
				end, moved = p.End, true
			}
		}
		if !moved || len(next) > maxMergeOverlap {
			break
		}
	}
	return end
}

// collect returns the occurrences overlapping [from, to), sorted, of the
// windows of the given types, or of all windows when types is nil, and
// only of the window called name unless name is "". entry names the cache
// entry a miss fills (see schedule.cache).
func (c *Calendar) collect(env *andon.Environment, from, to time.Time, types []andon.WindowType, name string, entry int) []andon.Occurrence {
	var out []andon.Occurrence
	lo, hi := clampWall(from.Unix()), clampWall(to.Unix())+1
	zones := zoneCache{a: lo - c.maxDuration, b: hi}
	var envLoc *time.Location
	for _, cw := range c.windows {
		w := cw.w
		if name != "" && w.Name != name || types != nil && !slices.Contains(types, w.Type) || !w.Selector.Matches(env) {
			continue
		}
		if o := w.Once; o != nil && o.Start.Before(to) && o.End.After(from) {
			out = append(out, andon.Occurrence{Window: w.Name, Type: w.Type, Start: o.Start, End: o.End, Allow: cw.allow})
		}
		for _, s := range cw.schedules {
			loc := s.loc
			if loc == nil {
				if envLoc == nil {
					envLoc = c.cat.Location(env)
				}
				loc = envLoc
			}
			// An occurrence overlapping [from, to) starts at an instant
			// in (from-duration, to), or, with a length on the wall
			// clock, at a wall time after that of from-length; its wall
			// start is that instant plus one of the offsets in force
			// around then.
			dur := s.length()
			minOff, maxOff := zones.offsets(loc)
			for _, wall := range s.walls(lo-dur+minOff, hi+maxOff, entry) {
				i := instant(wall, loc)
				if s.rule != nil && s.rule.untilUTC != nil && i > *s.rule.untilUTC {
					continue
				}
				start := time.Unix(i, 0).In(loc)
				end := s.end(wall, start, loc)
				if start.Before(to) && end.After(from) {
					out = append(out, andon.Occurrence{Window: w.Name, Type: w.Type, Start: start, End: end, Allow: cw.allow})
				}
			}
		}
	}
	slices.SortFunc(out, compareOccurrences)
	// Two wall times can stand for one instant, such as 02:30 and 03:30
	// of an hourly rule on the night clocks spring forward; the window
	// then occurs once.
	return slices.CompactFunc(out, func(a, b andon.Occurrence) bool {
		return a.Window == b.Window && a.Start.Equal(b.Start) && a.End.Equal(b.End)
	})
}

// zoneCache remembers, during one query, the offsets in force over
// [a, b] in the few zones the query meets. It is a plain array so that a
// query allocates nothing for it.
type zoneCache struct {
	a, b  int64
	n     int
	zones [4]zoneOffsets
}

type zoneOffsets struct {
	loc      *time.Location
	min, max int64
}

func (z *zoneCache) offsets(loc *time.Location) (int64, int64) {
	for _, e := range z.zones[:z.n] {
		if e.loc == loc {
			return e.min, e.max
		}
	}
	lo, hi := offsetRange(loc, z.a, z.b)
	if z.n < len(z.zones) {
		z.zones[z.n] = zoneOffsets{loc, lo, hi}
		z.n++
	}
	return lo, hi
}

// seconds returns d in whole seconds, rounded up.
func seconds(d time.Duration) int64 { return int64((d + time.Second - 1) / time.Second) }

// clampWall keeps a Unix time within a year of the range of wall times
// rrule-go can generate, so that arithmetic on it cannot overflow.
func clampWall(x int64) int64 {
	return min(max(x, minWall-secondsPerDay*366), endWall+secondsPerDay*366)
}

func compareOccurrences(a, b andon.Occurrence) int {
	return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.Window, b.Window), a.End.Compare(b.End))
}

// NextSlot returns the first span [s, s+d) with s at or after after and at
// most after+horizon that lies entirely inside one maintenance occurrence
// and overlaps no freeze occurrence that stops a change of type change
// (andon.Occurrence.Stops), both of windows applying to env. A freeze that
// allows the change's type does not block the slot, as the gate would let
// the change through it; with no type (""), the slot is not yet tied to a
// change and every freeze blocks it. Peaks do not block a slot unless
// outsidePeaks is set: the plant would rather see no change then, but the
// gate lets one through. NextSlot reports false when there is no such span
// or d is not positive.
func (c *Calendar) NextSlot(env *andon.Environment, after time.Time, d, horizon time.Duration, change andon.ChangeType, outsidePeaks bool) (andon.Span, bool) {
	if d <= 0 || horizon < 0 {
		return andon.Span{}, false
	}
	last := after.Add(horizon)
	// Most slots are found within days, so the search looks a week ahead
	// first and twice as far each time after, rather than computing a
	// whole horizon of occurrences at once. Every slot starting in
	// [lo, hi] lies in [lo, hi+d), so the occurrences overlapping that
	// range are all the search of a step needs.
	step := 7 * 24 * time.Hour
	for lo := after; !lo.After(last); step = min(2*step, maxStep) {
		hi := lo.Add(step)
		if hi.After(last) {
			hi = last
		}
		if s, ok := c.slot(env, lo, hi, d, change, outsidePeaks); ok {
			return andon.Span{Start: s, End: s.Add(d)}, true
		}
		if !hi.Before(last) {
			break
		}
		lo = hi
	}
	return andon.Span{}, false
}

// Applies reports whether any window of type t applies to env.
func (c *Calendar) Applies(env *andon.Environment, t andon.WindowType) bool {
	for _, cw := range c.windows {
		if cw.w.Type == t && cw.w.Selector.Matches(env) {
			return true
		}
	}
	return false
}

// maxStep bounds the steps of NextSlot, which keeps their doubling from
// overflowing a time.Duration.
const maxStep = 366 * 24 * time.Hour

// slot returns the earliest start s in [after, last] of a slot of length d
// for a change of type change, and with outsidePeaks, overlapping no peak.
func (c *Calendar) slot(env *andon.Environment, after, last time.Time, d time.Duration, change andon.ChangeType, outsidePeaks bool) (time.Time, bool) {
	types := slotTypes
	if outsidePeaks {
		types = slotTypesOutsidePeaks
	}
	// A peak to stay out of blocks a slot as a freeze does.
	var maintenance, blocking []andon.Occurrence
	for _, o := range c.collect(env, after, last.Add(d), types, "", cacheOther) {
		switch {
		case o.Type == andon.WindowMaintenance:
			maintenance = append(maintenance, o)
		case o.Type == andon.WindowPeak || o.Stops(change):
			blocking = append(blocking, o)
		}
	}
	var best time.Time
	found := false
	for _, m := range maintenance {
		// Occurrences come by start, and a slot inside m starts no
		// earlier than m.
		if found && !m.Start.Before(best) {
			break
		}
		if s, ok := slotIn(m, blocking, after, d, last); ok && (!found || s.Before(best)) {
			best, found = s, true
		}
	}
	return best, found
}

// slotTypes are the windows that decide where a slot may go.
var (
	slotTypes             = []andon.WindowType{andon.WindowMaintenance, andon.WindowFreeze}
	slotTypesOutsidePeaks = []andon.WindowType{andon.WindowMaintenance, andon.WindowFreeze, andon.WindowPeak}
)

// slotIn returns the earliest start s in [max(after, m.Start), last] such
// that [s, s+d) lies inside m and overlaps none of freezes (the
// occurrences that block a slot). Every slot that overlaps one cannot
// start before it ends, so the search jumps to the latest end among those
// in the way.
func slotIn(m andon.Occurrence, freezes []andon.Occurrence, after time.Time, d time.Duration, last time.Time) (time.Time, bool) {
	s := m.Start
	if after.After(s) {
		s = after
	}
	for {
		if s.After(last) || s.Add(d).After(m.End) {
			return time.Time{}, false
		}
		blocked := false
		next := s
		for _, f := range freezes {
			if f.Start.Before(s.Add(d)) && f.End.After(s) {
				blocked = true
				if f.End.After(next) {
					next = f.End
				}
			}
		}
		if !blocked {
			return s, true
		}
		s = next
	}
}
