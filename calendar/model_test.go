package calendar_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/andon-governance/andon"
)

// This file is a brute-force model of the calendar's documented rules,
// written without the package's code: recurrence rules expanded day by day
// from DTSTART as RFC 5545 describes them, wall times turned into instants
// by trying every offset in force, and slots found by checking every start
// a slot can have. TestCalendarMatchesModel compares the calendar with it
// on random catalogs.

// modelRule is a recurrence rule as the generator builds it: RRULE text is
// written from it, and the model expands it without reading that text.
type modelRule struct {
	freq       string // DAILY, WEEKLY, MONTHLY, YEARLY or HOURLY
	interval   int
	count      int
	until      string // "", YYYYMMDD, YYYYMMDDThhmmss or YYYYMMDDThhmmssZ
	byday      []modelDay
	bymonthday []int
	bymonth    []int
	byhour     []int
	byminute   []int
	bysetpos   []int
	wkst       int // 0 Monday ... 6 Sunday
}

type modelDay struct {
	n   int // 0 for every such weekday
	day int // 0 Monday ... 6 Sunday
}

var modelDayNames = [7]string{"MO", "TU", "WE", "TH", "FR", "SA", "SU"}

func (r *modelRule) String() string {
	parts := []string{"FREQ=" + r.freq}
	ints := func(key string, ns []int) {
		if len(ns) == 0 {
			return
		}
		s := make([]string, len(ns))
		for i, n := range ns {
			s[i] = fmt.Sprint(n)
		}
		parts = append(parts, key+"="+strings.Join(s, ","))
	}
	if r.interval > 1 {
		parts = append(parts, fmt.Sprintf("INTERVAL=%d", r.interval))
	}
	if r.count > 0 {
		parts = append(parts, fmt.Sprintf("COUNT=%d", r.count))
	}
	if r.until != "" {
		parts = append(parts, "UNTIL="+r.until)
	}
	if len(r.byday) > 0 {
		s := make([]string, len(r.byday))
		for i, d := range r.byday {
			s[i] = modelDayNames[d.day]
			if d.n != 0 {
				s[i] = fmt.Sprint(d.n) + s[i]
			}
		}
		parts = append(parts, "BYDAY="+strings.Join(s, ","))
	}
	ints("BYMONTHDAY", r.bymonthday)
	ints("BYMONTH", r.bymonth)
	ints("BYHOUR", r.byhour)
	ints("BYMINUTE", r.byminute)
	ints("BYSETPOS", r.bysetpos)
	if r.wkst != 0 {
		parts = append(parts, "WKST="+modelDayNames[r.wkst])
	}
	return strings.Join(parts, ";")
}

// weekday numbers days from Monday = 0.
func weekday(t time.Time) int { return (int(t.Weekday()) + 6) % 7 }

// nthInSpan reports whether day t is the n-th (n > 0) or n-th last (n < 0)
// of its weekday among the days [first, last].
func nthInSpan(t, first, last time.Time, n int) bool {
	if n > 0 {
		return int(t.Sub(first).Hours()/24)/7 == n-1
	}
	return int(last.Sub(t).Hours()/24)/7 == -n-1
}

// dayMatches reports whether day t passes the rule's day parts within
// the period [first, last] (its days, for numbered weekdays).
func (r *modelRule) dayMatches(t, first, last time.Time, dtstart time.Time) bool {
	if len(r.bymonth) > 0 && !slices.Contains(r.bymonth, int(t.Month())) {
		return false
	}
	monthFirst := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	monthLast := monthFirst.AddDate(0, 1, -1)
	if len(r.bymonthday) > 0 {
		ok := false
		for _, d := range r.bymonthday {
			if d > 0 && t.Day() == d || d < 0 && monthLast.Day()+d+1 == t.Day() {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	if len(r.byday) > 0 {
		ok := false
		for _, d := range r.byday {
			if weekday(t) != d.day {
				continue
			}
			switch {
			case d.n == 0:
				ok = true
			case r.freq == "MONTHLY" || r.freq == "YEARLY" && len(r.bymonth) > 0:
				ok = ok || nthInSpan(t, monthFirst, monthLast, d.n)
			default:
				ok = ok || nthInSpan(t, first, last, d.n)
			}
		}
		if !ok {
			return false
		}
	}
	// What the rule does not give comes from DTSTART.
	if len(r.byday) == 0 && len(r.bymonthday) == 0 {
		switch r.freq {
		case "WEEKLY":
			return weekday(t) == weekday(dtstart)
		case "MONTHLY":
			return t.Day() == dtstart.Day()
		case "YEARLY":
			return t.Day() == dtstart.Day() && (len(r.bymonth) > 0 || t.Month() == dtstart.Month())
		}
	}
	return true
}

// walls returns the wall times (as UTC times) the rule produces from
// dtstart, before end, with COUNT and a wall UNTIL applied, exception dates
// not removed.
func (r *modelRule) walls(dtstart, end time.Time) []time.Time {
	hours := r.byhour
	if len(hours) == 0 {
		hours = []int{dtstart.Hour()}
	}
	minutes := r.byminute
	if len(minutes) == 0 {
		minutes = []int{dtstart.Minute()}
	}
	untilWall := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	switch {
	case len(r.until) == 8:
		t, _ := time.Parse("20060102", r.until)
		untilWall = t.Add(24*time.Hour - time.Second)
	case r.until != "" && !strings.HasSuffix(r.until, "Z"):
		untilWall, _ = time.Parse("20060102T150405", r.until)
	}
	interval := max(r.interval, 1)
	day := time.Date(dtstart.Year(), dtstart.Month(), dtstart.Day(), 0, 0, 0, 0, time.UTC)
	var out []time.Time
	n := 0
	for k := 0; ; k++ {
		// The period: its first and last day, and its candidates.
		var first, last time.Time
		switch r.freq {
		case "DAILY":
			first = day.AddDate(0, 0, k*interval)
			last = first
		case "WEEKLY":
			week := day.AddDate(0, 0, -((weekday(day) - r.wkst + 7) % 7))
			first = week.AddDate(0, 0, 7*k*interval)
			last = first.AddDate(0, 0, 6)
		case "MONTHLY":
			first = time.Date(day.Year(), day.Month()+time.Month(k*interval), 1, 0, 0, 0, 0, time.UTC)
			last = first.AddDate(0, 1, -1)
		case "YEARLY":
			first = time.Date(day.Year()+k*interval, 1, 1, 0, 0, 0, 0, time.UTC)
			last = first.AddDate(1, 0, -1)
		case "HOURLY":
			h := dtstart.Truncate(time.Hour).Add(time.Duration(k*interval) * time.Hour)
			if !h.Before(end) {
				return out
			}
			d := time.Date(h.Year(), h.Month(), h.Day(), 0, 0, 0, 0, time.UTC)
			if (len(r.byhour) == 0 || slices.Contains(r.byhour, h.Hour())) && r.dayMatches(d, d, d, dtstart) {
				for _, m := range minutes {
					if w := h.Add(time.Duration(m) * time.Minute); !w.Before(dtstart) {
						if w.After(untilWall) || r.count > 0 && n == r.count {
							return out
						}
						out = append(out, w)
						n++
					}
				}
			}
			continue
		}
		if !first.Before(end) {
			return out
		}
		var set []time.Time
		for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
			if !r.dayMatches(d, first, last, dtstart) {
				continue
			}
			for _, h := range hours {
				for _, m := range minutes {
					set = append(set, d.Add(time.Duration(h)*time.Hour+time.Duration(m)*time.Minute))
				}
			}
		}
		slices.SortFunc(set, time.Time.Compare)
		if len(r.bysetpos) > 0 {
			var picked []time.Time
			for _, p := range r.bysetpos {
				i := p - 1
				if p < 0 {
					i = len(set) + p
				}
				if i >= 0 && i < len(set) {
					picked = append(picked, set[i])
				}
			}
			slices.SortFunc(picked, time.Time.Compare)
			set = slices.Compact(picked)
		}
		for _, w := range set {
			if w.Before(dtstart) {
				continue
			}
			if w.After(untilWall) || r.count > 0 && n == r.count || !w.Before(end) {
				return out
			}
			out = append(out, w)
			n++
		}
	}
}

// modelSchedule is a schedule as the generator builds it.
type modelSchedule struct {
	start    time.Time // wall time, as UTC
	rule     *modelRule
	exdates  []time.Time // wall times, as UTC
	duration time.Duration
	// wall is a length on the wall clock before duration, as a calendar
	// file's DTEND or days of DURATION give it.
	wall time.Duration
	zone string // "" for the environment's
	// exUTC writes the exception dates of a calendar file in UTC, the
	// instants they stand for, which then exclude by instant.
	exUTC bool
}

func (s *modelSchedule) schedule() andon.Schedule {
	a := andon.Schedule{Start: s.start.Format(andon.WallLayout), Duration: s.duration, WallDuration: s.wall, Timezone: s.zone}
	if s.rule != nil {
		a.RRule = s.rule.String()
	}
	for _, x := range s.exdates {
		a.ExDates = append(a.ExDates, x.Format(andon.WallLayout))
	}
	return a
}

// modelInstant turns wall time w into an instant in loc by the documented
// rules, trying every offset in force near w: a wall time shown twice is
// its earlier instant; one the clocks skip moves forward by the gap.
func modelInstant(w time.Time, loc *time.Location) time.Time {
	key := instantKey{w.Unix(), loc.String()}
	if t, ok := instantCache[key]; ok {
		return t
	}
	t := modelInstantSlow(w, loc)
	instantCache[key] = t
	return t
}

type instantKey struct {
	wall int64
	zone string
}

// instantCache keeps what modelInstant found; the one test using the
// model does not run in parallel.
var instantCache = map[instantKey]time.Time{}

func modelInstantSlow(w time.Time, loc *time.Location) time.Time {
	if t, ok := modelExisting(w, loc); ok {
		return t
	}
	// In a gap: the first instant whose wall time is past w is the
	// change; the gap is the jump of the offset there.
	i := w.Add(-16 * time.Hour).Truncate(time.Minute)
	for !wallOf(i, loc).After(w) {
		i = i.Add(time.Minute)
	}
	_, after := i.In(loc).Zone()
	_, before := i.Add(-time.Second).In(loc).Zone()
	t, ok := modelExisting(w.Add(time.Duration(after-before)*time.Second), loc)
	if !ok {
		panic(fmt.Sprintf("model: %s in %s: no instant after the gap", w, loc))
	}
	return t
}

func modelExisting(w time.Time, loc *time.Location) (time.Time, bool) {
	// Every offset in force within 16 hours of w, sampled each quarter
	// of an hour, is a candidate.
	var offsets []int
	for k := -64; k <= 64; k++ {
		_, o := time.Unix(w.Unix()+int64(k)*15*60, 0).In(loc).Zone()
		if !slices.Contains(offsets, o) {
			offsets = append(offsets, o)
		}
	}
	var best time.Time
	found := false
	for _, off := range offsets {
		i := time.Unix(w.Unix()-int64(off), 0)
		if _, o := i.In(loc).Zone(); o == off && (!found || i.Before(best)) {
			best, found = i, true
		}
	}
	return best.In(loc), found
}

// wallOf is the wall time loc shows at instant i, as UTC.
func wallOf(i time.Time, loc *time.Location) time.Time {
	l := i.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
}

// occurrences returns the spans of s in loc that start before end.
func (s *modelSchedule) occurrences(loc *time.Location, end time.Time) []andon.Span {
	if s.zone != "" {
		loc, _ = time.LoadLocation(s.zone)
	}
	walls := []time.Time{s.start}
	if s.rule != nil {
		// Wall times run at most 16 hours ahead of instants.
		walls = s.rule.walls(s.start, end.UTC().Add(16*time.Hour))
	}
	var untilUTC *time.Time
	if s.rule != nil && strings.HasSuffix(s.rule.until, "Z") {
		u, _ := time.Parse("20060102T150405Z", s.rule.until)
		untilUTC = &u
	}
	var out []andon.Span
	seen := map[int64]bool{}
	for _, w := range walls {
		i := modelInstant(w, loc)
		if !s.exUTC && slices.ContainsFunc(s.exdates, w.Equal) ||
			s.exUTC && slices.ContainsFunc(s.exdates, func(x time.Time) bool { return modelInstant(x, loc).Equal(i) }) {
			continue
		}
		if untilUTC != nil && i.After(*untilUTC) || !i.Before(end) {
			continue
		}
		// Two wall times standing for one instant make one occurrence.
		if !seen[i.Unix()] {
			seen[i.Unix()] = true
			out = append(out, andon.Span{Start: i, End: s.end(w, i, loc)})
		}
	}
	return out
}

// end is the end of the occurrence of s that starts at wall time w, at
// instant i: the wall time s.wall after w, read as a start is, unless
// that comes first (a start moved out of a gap past it), then
// s.duration later.
func (s *modelSchedule) end(w, i time.Time, loc *time.Location) time.Time {
	if s.wall == 0 {
		return i.Add(s.duration)
	}
	e := modelInstant(w.Add(s.wall), loc)
	if !e.After(i) {
		e = i.Add(s.wall)
	}
	return e.Add(s.duration)
}

// modelWindow is a window as the generator builds it.
type modelWindow struct {
	name      string
	typ       andon.WindowType
	schedules []*modelSchedule
	once      *andon.Span
	envs      []string // the selector's environments; none for all
	allow     []andon.ChangeType
	ics       string // the calendar file its schedules are read from, if any
}

// modelOcc is an occurrence of the model.
type modelOcc struct {
	window string
	typ    andon.WindowType
	span   andon.Span
	allow  []andon.ChangeType
}

// calendarModel holds every occurrence of every window for each environment
// that starts before the end of the model's range.
type calendarModel struct {
	windows []*modelWindow
	occs    map[string][]modelOcc // by environment
}

func newCalendarModel(windows []*modelWindow, envZones map[string]*time.Location, end time.Time) *calendarModel {
	m := &calendarModel{windows: windows, occs: map[string][]modelOcc{}}
	for env, loc := range envZones {
		var occs []modelOcc
		for _, w := range windows {
			if len(w.envs) > 0 && !slices.Contains(w.envs, env) {
				continue
			}
			if w.once != nil {
				occs = append(occs, modelOcc{w.name, w.typ, *w.once, w.allow})
			}
			var spans []andon.Span
			seen := map[[2]int64]bool{}
			for _, s := range w.schedules {
				for _, sp := range s.occurrences(loc, end) {
					if k := [2]int64{sp.Start.Unix(), sp.End.Unix()}; !seen[k] {
						seen[k] = true
						spans = append(spans, sp)
					}
				}
			}
			for _, sp := range spans {
				occs = append(occs, modelOcc{w.name, w.typ, sp, w.allow})
			}
		}
		slices.SortFunc(occs, func(a, b modelOcc) int {
			if c := a.span.Start.Compare(b.span.Start); c != 0 {
				return c
			}
			if c := strings.Compare(a.window, b.window); c != 0 {
				return c
			}
			return a.span.End.Compare(b.span.End)
		})
		m.occs[env] = occs
	}
	return m
}

// longest is more than any occurrence of the model lasts.
const longest = 49 * time.Hour

// near returns the occurrences of env that start in (a-longest, b].
func (m *calendarModel) near(env string, a, b time.Time) []modelOcc {
	occs := m.occs[env]
	i, _ := slices.BinarySearchFunc(occs, a.Add(-longest), func(o modelOcc, t time.Time) int {
		if !o.span.Start.After(t) {
			return -1
		}
		return 1
	})
	j, _ := slices.BinarySearchFunc(occs, b, func(o modelOcc, t time.Time) int {
		if !o.span.Start.After(t) {
			return -1
		}
		return 1
	})
	return occs[i:j]
}

// overlapping returns the occurrences overlapping [from, to), as Spans
// formats them, in UTC.
func (m *calendarModel) overlapping(env string, from, to time.Time) []string {
	var out []string
	for _, o := range m.occs[env] {
		if o.span.Start.Before(to) && o.span.End.After(from) {
			out = append(out, o.window+" "+o.span.Start.UTC().Format(time.RFC3339)+"/"+o.span.End.UTC().Format(time.RFC3339))
		}
	}
	return out
}

// active returns what Active documents at t: each window with an
// occurrence containing t once, from the earliest start of those, to where
// its occurrences stop overlapping or touching, followed for at most 16
// steps and 35 days.
func (m *calendarModel) active(env string, t time.Time) []string {
	type merged struct {
		window     string
		start, end time.Time
	}
	var out []merged
	for _, w := range m.windows {
		mine := func(a, b time.Time) []andon.Span {
			var out []andon.Span
			for _, o := range m.near(env, a, b) {
				if o.window == w.name {
					out = append(out, o.span)
				}
			}
			return out
		}
		var containing []andon.Span
		for _, sp := range mine(t, t) {
			if sp.Contains(t) {
				containing = append(containing, sp)
			}
		}
		if len(containing) == 0 {
			continue
		}
		start, end := containing[0].Start, containing[0].End
		for _, sp := range containing {
			if sp.Start.Before(start) {
				start = sp.Start
			}
			if sp.End.After(end) {
				end = sp.End
			}
		}
		if len(containing) <= 16 {
			for range 16 {
				if end.Sub(t) > 35*24*time.Hour {
					break
				}
				next, n := end, 0
				for _, sp := range mine(end, end) {
					if sp.Start.Before(end.Add(time.Second)) && sp.End.After(end) {
						n++
						if sp.End.After(next) {
							next = sp.End
						}
					}
				}
				moved := next.After(end)
				end = next
				// A step meeting more than 16 occurrences is the last.
				if !moved || n > 16 {
					break
				}
			}
		}
		out = append(out, merged{w.name, start, end})
	}
	slices.SortFunc(out, func(a, b merged) int {
		if c := a.start.Compare(b.start); c != 0 {
			return c
		}
		if c := strings.Compare(a.window, b.window); c != 0 {
			return c
		}
		return a.end.Compare(b.end)
	})
	var s []string
	for _, o := range out {
		s = append(s, o.window+" "+o.start.UTC().Format(time.RFC3339)+"/"+o.end.UTC().Format(time.RFC3339))
	}
	return s
}

// nextSlot returns the earliest start s in [after, after+horizon] of a
// span [s, s+d) inside one maintenance occurrence that overlaps no freeze
// that stops a change of type change: every freeze when change is "", and
// otherwise those whose allow does not list it. The earliest such s is
// after, the start of a maintenance occurrence or the end of a freeze, so
// only those are tried.
func (m *calendarModel) nextSlot(env string, after time.Time, d, horizon time.Duration, change andon.ChangeType) (time.Time, bool) {
	last := after.Add(horizon)
	candidates := []time.Time{after}
	for _, o := range m.occs[env] {
		switch o.typ {
		case andon.WindowMaintenance:
			candidates = append(candidates, o.span.Start)
		case andon.WindowFreeze:
			candidates = append(candidates, o.span.End)
		}
	}
	slices.SortFunc(candidates, time.Time.Compare)
	for _, s := range candidates {
		if s.Before(after) || s.After(last) {
			continue
		}
		e := s.Add(d)
		inside, frozen := false, false
		for _, o := range m.near(env, s, e) {
			switch o.typ {
			case andon.WindowMaintenance:
				inside = inside || !o.span.Start.After(s) && !o.span.End.Before(e)
			case andon.WindowFreeze:
				allowed := change != "" && slices.Contains(o.allow, change)
				frozen = frozen || !allowed && o.span.Start.Before(e) && o.span.End.After(s)
			}
		}
		if inside && !frozen {
			return s, true
		}
	}
	return time.Time{}, false
}

// modelZones are the zones of the random catalogs: both hemispheres,
// a 30-minute DST (Lord Howe), 45-minute offsets (Chatham), clocks that
// change at midnight (Santiago), and zones without DST.
var modelZones = []string{
	"Europe/Paris", "Australia/Melbourne", "America/Santiago", "America/Sao_Paulo",
	"Pacific/Chatham", "Asia/Kolkata", "Australia/Lord_Howe", "UTC",
}

// modelGen builds random windows around the year 2026, whose DST changes
// fall between March and October.
type modelGen struct {
	rnd *rand.Rand
}

func (g *modelGen) pick(n int) int { return g.rnd.IntN(n) }

func (g *modelGen) ints(n, lo, hi int) []int {
	var out []int
	for range n {
		out = append(out, lo+g.pick(hi-lo+1))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// wall returns a wall time in 2026, on a night clocks change at some
// plant more often than not, at a time of day near the changes.
func (g *modelGen) wall() time.Time {
	nights := []time.Time{
		time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC),  // Paris forward
		time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC), // Paris back
		time.Date(2026, 4, 5, 0, 0, 0, 0, time.UTC),   // Melbourne, Lord Howe, Chatham back
		time.Date(2026, 10, 4, 0, 0, 0, 0, time.UTC),  // Melbourne, Lord Howe forward
		time.Date(2026, 4, 4, 0, 0, 0, 0, time.UTC),   // Santiago back at 24:00
		time.Date(2026, 9, 6, 0, 0, 0, 0, time.UTC),   // Santiago forward at 24:00
		time.Date(2026, 9, 27, 0, 0, 0, 0, time.UTC),  // Chatham forward at 02:45
	}
	day := nights[g.pick(len(nights))]
	if g.pick(3) == 0 {
		day = time.Date(2026, time.Month(1+g.pick(12)), 1+g.pick(28), 0, 0, 0, 0, time.UTC)
	}
	// Back a few periods, so that the rule reaches the night.
	day = day.AddDate(0, -g.pick(3), -7*g.pick(3))
	times := []int{0, 30, 60, 90, 120, 135, 150, 165, 180, 210, 240, 23 * 60, 23*60 + 30}
	m := times[g.pick(len(times))]
	if g.pick(4) == 0 {
		m = g.pick(24 * 60)
	}
	return day.Add(time.Duration(m) * time.Minute)
}

// modelGaps are the wall times skipped when clocks spring forward in
// 2026, by zone.
var modelGaps = map[string]struct {
	start  time.Time
	length time.Duration
}{
	"Europe/Paris":        {time.Date(2026, 3, 29, 2, 0, 0, 0, time.UTC), time.Hour},
	"Australia/Melbourne": {time.Date(2026, 10, 4, 2, 0, 0, 0, time.UTC), time.Hour},
	"Australia/Lord_Howe": {time.Date(2026, 10, 4, 2, 0, 0, 0, time.UTC), 30 * time.Minute},
	"America/Santiago":    {time.Date(2026, 9, 6, 0, 0, 0, 0, time.UTC), time.Hour},
	"Pacific/Chatham":     {time.Date(2026, 9, 27, 2, 45, 0, 0, time.UTC), time.Hour},
}

func (g *modelGen) duration() time.Duration {
	ds := []time.Duration{30 * time.Minute, time.Hour, 90 * time.Minute, 2 * time.Hour, 4 * time.Hour, 24 * time.Hour, 48 * time.Hour, 25 * time.Hour}
	return ds[g.pick(len(ds))]
}

func (g *modelGen) rule(start time.Time) *modelRule {
	// Plants mostly plan by the week.
	r := &modelRule{freq: []string{"DAILY", "WEEKLY", "WEEKLY", "WEEKLY", "MONTHLY", "YEARLY", "HOURLY"}[g.pick(7)]}
	if g.pick(3) == 0 {
		r.interval = 1 + g.pick(3)
	}
	switch r.freq {
	case "HOURLY":
		// Few enough occurrences to check each.
		if g.pick(2) == 0 {
			r.byhour = g.ints(1+g.pick(3), 0, 5)
		} else {
			r.interval = max(r.interval, 1) * (1 + g.pick(6))
			r.count = 1 + g.pick(30)
		}
	case "DAILY":
		if g.pick(3) == 0 {
			r.byday = []modelDay{{day: g.pick(7)}, {day: g.pick(7)}}
		}
		if g.pick(4) == 0 {
			r.byhour = g.ints(2, 0, 4)
			if g.pick(2) == 0 {
				r.bysetpos = []int{[]int{1, -1}[g.pick(2)]}
			}
		}
	case "WEEKLY":
		if g.pick(3) > 0 {
			r.byday = []modelDay{{day: g.pick(7)}, {day: g.pick(7)}, {day: g.pick(7)}}
		}
		if g.pick(3) == 0 {
			r.wkst = g.pick(7)
		}
		if g.pick(2) == 0 && len(r.byday) > 0 {
			r.bysetpos = []int{[]int{1, 2, -1}[g.pick(3)]}
		}
	case "MONTHLY":
		switch g.pick(4) {
		case 0:
			r.bymonthday = g.ints(1+g.pick(2), -3, 3)
			r.bymonthday = slices.DeleteFunc(r.bymonthday, func(d int) bool { return d == 0 })
		case 1:
			n := []int{1, 2, -1, -2}[g.pick(4)]
			r.byday = []modelDay{{n: n, day: g.pick(7)}}
		case 2:
			r.byday = []modelDay{{day: 5}, {day: 6}}
			r.bysetpos = []int{[]int{1, 2, -1}[g.pick(3)]}
		}
	case "YEARLY":
		switch g.pick(3) {
		case 0:
			r.bymonth = g.ints(2, 3, 10)
			r.byday = []modelDay{{n: []int{1, -1}[g.pick(2)], day: 6}}
		case 1:
			r.bymonth = g.ints(2, 1, 12)
		}
	}
	switch g.pick(5) {
	case 0:
		if r.count == 0 {
			r.count = 1 + g.pick(12)
		}
	case 1:
		if r.count > 0 {
			break
		}
		u := start.AddDate(0, 1+g.pick(8), g.pick(20)).Add(time.Duration(g.pick(48)) * 30 * time.Minute)
		r.until = []string{u.Format("20060102"), u.Format("20060102T150405"), u.Format("20060102T150405Z")}[g.pick(3)]
	}
	return r
}

func (g *modelGen) schedule() *modelSchedule {
	s := &modelSchedule{start: g.wall(), duration: g.duration()}
	if g.pick(2) == 0 {
		s.zone = modelZones[g.pick(len(modelZones))]
		if gap, ok := modelGaps[s.zone]; ok && g.pick(2) == 0 {
			// A wall time the zone's clocks skip, some weeks before.
			s.start = gap.start.Add(time.Duration(g.pick(int(gap.length/(15*time.Minute))))*15*time.Minute).AddDate(0, 0, -7*g.pick(3))
		}
	}
	if g.pick(6) > 0 {
		s.rule = g.rule(s.start)
		// Exception dates among its first occurrences, and those the
		// clocks of its zone skip.
		walls := s.rule.walls(s.start, s.start.AddDate(1, 0, 0))
		for range g.pick(3) {
			if len(walls) > 0 {
				s.exdates = append(s.exdates, walls[g.pick(min(len(walls), 12))])
			}
		}
		if loc, _ := time.LoadLocation(s.zone); s.zone != "" {
			for _, w := range walls {
				if _, ok := modelExisting(w, loc); !ok && !slices.ContainsFunc(s.exdates, w.Equal) {
					s.exdates = append(s.exdates, w)
				}
			}
		}
	}
	return s
}

// windows returns n random windows; environments names those a selector
// may pick.
func (g *modelGen) windows(n int, environments []string) []*modelWindow {
	var out []*modelWindow
	for i := range n {
		w := &modelWindow{
			name: fmt.Sprintf("w%d", i),
			typ:  []andon.WindowType{andon.WindowMaintenance, andon.WindowMaintenance, andon.WindowFreeze, andon.WindowPeak}[g.pick(4)],
		}
		if g.pick(4) == 0 {
			w.envs = []string{environments[g.pick(len(environments))]}
		}
		if w.typ == andon.WindowFreeze && g.pick(2) == 0 {
			w.allow = []andon.ChangeType{andon.ChangeEmergency}
		}
		if g.pick(6) == 0 {
			loc, _ := time.LoadLocation(modelZones[g.pick(len(modelZones))])
			st := g.wall()
			start := modelInstant(st, loc)
			w.once = &andon.Span{Start: start, End: start.Add(g.duration())}
		} else {
			for range 1 + g.pick(2) {
				w.schedules = append(w.schedules, g.schedule())
			}
		}
		out = append(out, w)
	}
	return out
}

// icsOf writes the schedules of w as an iCalendar file: DTSTART with TZID
// (or floating, for the environment's zone), DURATION or DTEND, RRULE and
// EXDATE. A length on the wall clock is DTEND, or DURATION in days.
func icsOf(w *modelWindow) string {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n")
	for i, s := range w.schedules {
		tz := ""
		if s.zone == "UTC" {
			tz = ""
		} else if s.zone != "" {
			tz = ";TZID=" + s.zone
		}
		stamp := func(t time.Time) string {
			if s.zone == "UTC" {
				return t.Format("20060102T150405Z")
			}
			return t.Format("20060102T150405")
		}
		fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:%s-%d@test\r\nDTSTART%s:%s\r\n", w.name, i, tz, stamp(s.start))
		switch {
		case s.wall > 0 && s.wall%(24*time.Hour) == 0:
			fmt.Fprintf(&b, "DURATION:P%dD\r\n", int(s.wall/(24*time.Hour)))
		case s.wall > 0:
			fmt.Fprintf(&b, "DTEND%s:%s\r\n", tz, stamp(s.start.Add(s.wall)))
		case i%2 == 1:
			// In UTC, the wall clock is elapsed time.
			fmt.Fprintf(&b, "DTEND%s:%s\r\n", tz, stamp(s.start.Add(s.duration)))
		default:
			fmt.Fprintf(&b, "DURATION:PT%dM\r\n", int(s.duration.Minutes()))
		}
		if s.rule != nil {
			fmt.Fprintf(&b, "RRULE:%s\r\n", s.rule)
		}
		for _, x := range s.exdates {
			if s.exUTC {
				loc, _ := time.LoadLocation(s.zone)
				fmt.Fprintf(&b, "EXDATE:%s\r\n", modelInstant(x, loc).UTC().Format("20060102T150405Z"))
				continue
			}
			fmt.Fprintf(&b, "EXDATE%s:%s\r\n", tz, stamp(x))
		}
		b.WriteString("END:VEVENT\r\n")
	}
	b.WriteString("END:VCALENDAR\r\n")
	return b.String()
}

func (m *calendarModel) overlappingOccs(env string, from, to time.Time) []modelOcc {
	var out []modelOcc
	for _, o := range m.occs[env] {
		if o.span.Start.Before(to) && o.span.End.After(from) {
			out = append(out, o)
		}
	}
	return out
}
