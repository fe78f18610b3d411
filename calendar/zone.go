package calendar

import (
	"slices"
	"time"
)

// A wall time is a reading of a clock on the wall: a date and a time of day
// without a zone. This package keeps wall times as int64 seconds, counted as
// if the wall clock were UTC, so that RRULE expansion and EXDATE matching are
// plain arithmetic on the calendar and nothing applies daylight-saving rules
// before this file does.

// offsetAt returns the UTC offset of loc, in seconds, at instant i (Unix
// seconds).
func offsetAt(i int64, loc *time.Location) int64 {
	_, off := time.Unix(i, 0).In(loc).Zone()
	return int64(off)
}

// Date returns the instant at which the clocks of loc show the wall time
// given, by the rule of instant: a time the clocks skip moves forward by
// the gap, a time they show twice is its earlier instance. It is
// time.Date with the choice time.Date leaves open made, as the windows
// make it.
func Date(year int, month time.Month, day, hour, min, sec int, loc *time.Location) time.Time {
	w := time.Date(year, month, day, hour, min, sec, 0, time.UTC).Unix()
	return time.Unix(instant(w, loc), 0).In(loc)
}

// instant returns the instant (Unix seconds) at which the clocks of loc show
// wall time w. A wall time that loc skips, in a spring-forward gap, is moved
// forward by the length of the gap: 02:30 in a one-hour gap becomes 03:30
// after the change. A wall time that loc shows twice, when clocks fall back,
// resolves to its first instance, the one with the earlier instant and the
// summer offset. time.Date documents no choice for either case, which is why
// the rule is written out here.
//
// The offsets in force a day before and a day after w bracket the change, if
// any, near w: no zone changes its offset twice within two days.
func instant(w int64, loc *time.Location) int64 {
	if loc == time.UTC {
		return w
	}
	is, n, before := wallInstants(w, loc)
	if n > 0 {
		return is[0]
	}
	// In the gap: read w with the offset from before the change, which
	// lands after the change, moved forward by the gap's length.
	return w - before
}

// wallInstants returns the n instants, earliest first, at which the
// clocks of loc show wall time w (none in a gap, two in an overlap), and
// the offset in force a day before w. Near a change, each of the offsets
// before and after it is a candidate, valid when it is in force at the
// instant it yields.
func wallInstants(w int64, loc *time.Location) (is [2]int64, n int, before int64) {
	before = offsetAt(w-secondsPerDay, loc)
	after := offsetAt(w+secondsPerDay, loc)
	offsets := []int64{before, after}
	if before == after {
		offsets = offsets[:1]
	}
	for _, off := range offsets {
		if i := w - off; offsetAt(i, loc) == off {
			is[n] = i
			n++
		}
	}
	if n == 2 && is[1] < is[0] {
		is[0], is[1] = is[1], is[0]
	}
	return is, n, before
}

// singleWall reports whether the clocks of loc show wall time w exactly
// once.
func singleWall(w int64, loc *time.Location) bool {
	_, n, _ := wallInstants(w, loc)
	return n == 1
}

// offsetRange returns the least and the greatest offset of loc in force
// from a day before instant a to a day after instant b: every wall time
// whose instant lies in [a, b] is that instant plus one of them, the day
// covering the offset from before a gap that the gap rule of instant uses.
func offsetRange(loc *time.Location, a, b int64) (lo, hi int64) {
	if loc == time.UTC {
		return 0, 0
	}
	t := time.Unix(a-secondsPerDay, 0).In(loc)
	_, off := t.Zone()
	lo, hi = int64(off), int64(off)
	for range 100000 {
		_, end := t.ZoneBounds()
		if end.IsZero() || !end.After(t) || end.Unix() > b+secondsPerDay {
			break
		}
		t = end
		_, off = t.Zone()
		lo, hi = min(lo, int64(off)), max(hi, int64(off))
	}
	return lo, hi
}

// gapWalls returns the wall times that the clocks of loc skip and that
// instant moves to i: none, unless i lies within the length of a gap
// after clocks spring forward. With a one-hour gap at 02:00, 03:30 after
// the change is also where 02:30 occurs.
func gapWalls(i int64, loc *time.Location) []int64 {
	if loc == time.UTC {
		return nil
	}
	var walls []int64
	lo, hi := offsetRange(loc, i, i)
	for _, off := range [2]int64{lo, hi} {
		// A wall time in a gap is read with the offset from before it.
		if w := i + off; w != wallAt(i, loc) && instant(w, loc) == i && !slices.Contains(walls, w) {
			walls = append(walls, w)
		}
	}
	return walls
}

// wallAt returns the wall time that the clocks of loc show at instant i.
func wallAt(i int64, loc *time.Location) int64 {
	if loc == time.UTC {
		return i
	}
	return i + offsetAt(i, loc)
}

// wallTime returns w as a time.Time in UTC, the form rrule-go works on.
func wallTime(w int64) time.Time { return time.Unix(w, 0).UTC() }
