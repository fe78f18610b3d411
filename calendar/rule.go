package calendar

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/teambition/rrule-go"
)

// Limits on recurrence rules. rrule-go loops until it finds the next
// occurrence or reaches the year 9999, and generates every occurrence of a
// period at once, so rules that could make it loop without end or fill
// memory are refused when they are validated rather than discovered at the
// first gate decision.
const (
	// maxCount bounds COUNT: a rule with a count is expanded in full once.
	maxCount = 10000
	// maxInterval bounds INTERVAL.
	maxInterval = 1_000_000
	// maxTimesOfDay bounds the product of the BYHOUR, BYMINUTE and
	// BYSECOND lists, the number of occurrences a rule generates per day
	// of a period.
	maxTimesOfDay = 96
)

const (
	secondsPerDay = 24 * 60 * 60
	// secondsPer400Years is the length of the Gregorian cycle: 146097
	// days, a whole number of weeks, after which dates, weekdays, leap
	// years and ISO week numbers repeat.
	secondsPer400Years = 146097 * secondsPerDay
	// maxYear is the last year rrule-go generates.
	maxYear = rrule.MAXYEAR
)

var (
	minWall = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	// endWall is the first wall time after the last one rrule-go can
	// generate.
	endWall = time.Date(maxYear+1, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
)

// rule is a parsed RRULE, ready to be expanded from its DTSTART or from
// any later period of it.
type rule struct {
	freq rrule.Frequency
	// opt carries every part but DTSTART and UNTIL. The parts rrule-go
	// would derive from DTSTART (BYHOUR from its hour, BYMONTHDAY from its
	// day, and so on) are written out, so that expansion can start from a
	// later period without changing the rule.
	opt rrule.ROption
	// start is the original DTSTART as a wall time.
	start int64
	// until is the last wall time the rule may produce; endWall-1 when
	// the rule has no UNTIL. When UNTIL is given in UTC, until is a bound
	// that covers every zone and untilUTC holds the exact instant.
	until    int64
	untilUTC *int64
}

// parseRule parses the text of an RRULE for a schedule starting at wall
// time start. The error message does not name the field; the caller does.
func parseRule(text string, start int64) (*rule, error) {
	r, errs := parseRuleParts(text)
	if len(errs) > 0 {
		return nil, errs[0]
	}
	r.start = start
	r.fillDefaults()
	if err := r.checkBounded(); err != nil {
		return nil, err
	}
	if _, ok := r.first(); !ok {
		return nil, fmt.Errorf("produces no occurrence within 400 years of the start")
	}
	return r, nil
}

// parseRuleParts parses and checks what of a rule does not depend on its
// start, its syntax and the combinations RFC 5545 forbids, and reports
// every part at fault.
func parseRuleParts(text string) (*rule, []error) {
	text = strings.ToUpper(strings.TrimSpace(text))
	if strings.HasPrefix(text, "RRULE:") {
		return nil, []error{fmt.Errorf(`leave out the "RRULE:" prefix`)}
	}
	for _, c := range text {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("=;,+-", c)) {
			return nil, []error{fmt.Errorf("%q is not allowed in a rule", c)}
		}
	}
	r := &rule{until: endWall - 1}
	seen := map[string]bool{}
	var errs []error
	for part := range strings.SplitSeq(text, ";") {
		key, value, ok := strings.Cut(part, "=")
		if !ok || key == "" || value == "" {
			errs = append(errs, fmt.Errorf("%q is not a KEY=VALUE part", part))
			continue
		}
		if seen[key] {
			errs = append(errs, fmt.Errorf("%s is given twice", key))
			continue
		}
		seen[key] = true
		var err error
		switch key {
		case "FREQ":
			if r.freq, err = rrule.StrToFreq(value); err != nil {
				err = fmt.Errorf("FREQ=%s: want YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY, MINUTELY or SECONDLY", value)
			}
		case "INTERVAL":
			r.opt.Interval, err = parseInt(key, value, 1, maxInterval, false)
		case "COUNT":
			r.opt.Count, err = parseInt(key, value, 1, maxCount, false)
		case "UNTIL":
			err = r.parseUntil(value)
		case "BYSECOND":
			r.opt.Bysecond, err = parseInts(key, value, 0, 59, false)
		case "BYMINUTE":
			r.opt.Byminute, err = parseInts(key, value, 0, 59, false)
		case "BYHOUR":
			r.opt.Byhour, err = parseInts(key, value, 0, 23, false)
		case "BYMONTHDAY":
			r.opt.Bymonthday, err = parseInts(key, value, 1, 31, true)
		case "BYYEARDAY":
			r.opt.Byyearday, err = parseInts(key, value, 1, 366, true)
		case "BYWEEKNO":
			r.opt.Byweekno, err = parseInts(key, value, 1, 53, true)
		case "BYMONTH":
			r.opt.Bymonth, err = parseInts(key, value, 1, 12, false)
		case "BYSETPOS":
			r.opt.Bysetpos, err = parseInts(key, value, 1, 366, true)
		case "BYDAY":
			r.opt.Byweekday, err = parseWeekdays(value)
		case "WKST":
			var d int
			if d, err = parseWeekday(value); err == nil {
				r.opt.Wkst = weekdays[d]
			}
		default:
			err = fmt.Errorf("%s is not a part of an RFC 5545 rule", key)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if !seen["FREQ"] {
		errs = append(errs, fmt.Errorf("FREQ is required"))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	r.opt.Freq = r.freq
	if errs := r.problems(); len(errs) > 0 {
		return nil, errs
	}
	return r, nil
}

// problems returns every combination of parts RFC 5545 forbids.
func (r *rule) problems() []error {
	o := &r.opt
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if o.Count > 0 && r.until != endWall-1 {
		add("COUNT and UNTIL exclude each other")
	}
	if len(o.Byweekno) > 0 && r.freq != rrule.YEARLY {
		add("BYWEEKNO needs FREQ=YEARLY")
	}
	if len(o.Byyearday) > 0 && (r.freq == rrule.MONTHLY || r.freq == rrule.WEEKLY || r.freq == rrule.DAILY) {
		add("BYYEARDAY cannot be used with FREQ=%s", r.freq)
	}
	if len(o.Bymonthday) > 0 && r.freq == rrule.WEEKLY {
		add("BYMONTHDAY cannot be used with FREQ=WEEKLY")
	}
	switch {
	case len(o.Bysetpos) > 0 && r.freq > rrule.DAILY:
		// Within an hour, a minute or a second there is one candidate;
		// rrule-go would search forever for a second one.
		add("BYSETPOS needs FREQ=DAILY or a longer period")
	case len(o.Bysetpos) > 0 && len(o.Bymonth)+len(o.Byweekno)+len(o.Byyearday)+len(o.Bymonthday)+
		len(o.Byweekday)+len(o.Byhour)+len(o.Byminute)+len(o.Bysecond) == 0:
		add("BYSETPOS needs another BY part")
	}
	for _, d := range o.Byweekday {
		if d.N() != 0 && (r.freq != rrule.MONTHLY && r.freq != rrule.YEARLY || r.freq == rrule.YEARLY && len(o.Byweekno) > 0) {
			add("BYDAY=%s: a numbered weekday needs FREQ=MONTHLY, or FREQ=YEARLY without BYWEEKNO", d)
			break
		}
	}
	return errs
}

// fillDefaults writes out the parts rrule-go derives from DTSTART, exactly
// as rrule-go derives them.
func (r *rule) fillDefaults() {
	o := &r.opt
	d := wallTime(r.start)
	if r.freq < rrule.HOURLY && len(o.Byhour) == 0 {
		o.Byhour = []int{d.Hour()}
	}
	if r.freq < rrule.MINUTELY && len(o.Byminute) == 0 {
		o.Byminute = []int{d.Minute()}
	}
	if r.freq < rrule.SECONDLY && len(o.Bysecond) == 0 {
		o.Bysecond = []int{d.Second()}
	}
	if len(o.Byweekno)+len(o.Byyearday)+len(o.Bymonthday)+len(o.Byweekday) == 0 {
		switch r.freq {
		case rrule.YEARLY:
			if len(o.Bymonth) == 0 {
				o.Bymonth = []int{int(d.Month())}
			}
			o.Bymonthday = []int{d.Day()}
		case rrule.MONTHLY:
			o.Bymonthday = []int{d.Day()}
		case rrule.WEEKLY:
			o.Byweekday = []rrule.Weekday{weekdays[pyWeekday(d.Weekday())]}
		}
	}
}

// checkBounded refuses the rules rrule-go cannot expand in bounded time and
// memory: too many times of day, and sub-daily rules whose steps never
// reach an allowed hour, minute or second, on which rrule-go loops forever.
func (r *rule) checkBounded() error {
	o := &r.opt
	if n := max(len(o.Byhour), 1) * max(len(o.Byminute), 1) * max(len(o.Bysecond), 1); n > maxTimesOfDay {
		return fmt.Errorf("BYHOUR, BYMINUTE and BYSECOND make %d times of day; at most %d are allowed", n, maxTimesOfDay)
	}
	var unit int64
	switch r.freq {
	case rrule.HOURLY:
		unit = 3600
	case rrule.MINUTELY:
		unit = 60
	case rrule.SECONDLY:
		unit = 1
	default:
		return nil
	}
	// The steps visit the units of the day congruent to the start modulo
	// gcd(interval, units per day), whatever the day.
	perDay := secondsPerDay / unit
	step := gcd(int64(max(o.Interval, 1)), perDay)
	first := (r.start - floorDiv(r.start, secondsPerDay)*secondsPerDay) / unit % step
	for u := first; u < perDay; u += step {
		s := u * unit
		h, m, sec := int(s/3600), int(s/60%60), int(s%60)
		if (len(o.Byhour) == 0 || slices.Contains(o.Byhour, h)) &&
			(r.freq < rrule.MINUTELY || len(o.Byminute) == 0 || slices.Contains(o.Byminute, m)) &&
			(r.freq < rrule.SECONDLY || len(o.Bysecond) == 0 || slices.Contains(o.Bysecond, sec)) {
			return nil
		}
	}
	return fmt.Errorf("with FREQ=%s and INTERVAL=%d from the start's time of day, no step reaches the BYHOUR, BYMINUTE or BYSECOND values", r.freq, max(o.Interval, 1))
}

// parseUntil reads UNTIL as a date, a floating date-time (a wall time) or
// a UTC date-time (an instant).
func (r *rule) parseUntil(v string) error {
	switch {
	case len(v) == len("20060102"):
		t, err := parseStrict("20060102", v)
		if err != nil {
			return fmt.Errorf("UNTIL=%s: %v", v, err)
		}
		// A date includes the whole day, so that "until the 31st"
		// keeps the occurrences of the 31st.
		r.until = t.Unix() + secondsPerDay - 1
	case strings.HasSuffix(v, "Z"):
		t, err := parseStrict("20060102T150405Z", v)
		if err != nil {
			return fmt.Errorf("UNTIL=%s: %v", v, err)
		}
		i := t.Unix()
		r.untilUTC = &i
		// No zone is ahead of UTC by more than 16 hours.
		r.until = i + 16*3600
	default:
		t, err := parseStrict("20060102T150405", v)
		if err != nil {
			return fmt.Errorf("UNTIL=%s: %v", v, err)
		}
		r.until = t.Unix()
	}
	return nil
}

// parseStrict parses v with layout in UTC and insists that v is exactly
// what layout formats, which time.Parse alone does not (it takes fractional
// seconds, for one).
func parseStrict(layout, v string) (time.Time, error) {
	t, err := time.Parse(layout, v)
	var pe *time.ParseError
	if errors.As(err, &pe) && strings.HasSuffix(pe.Message, "out of range") {
		// The form is right, a number is not: "month out of range".
		return time.Time{}, fmt.Errorf("%s", strings.TrimPrefix(pe.Message, ": "))
	}
	if err != nil || t.Format(layout) != v {
		return time.Time{}, formError(layout)
	}
	if t.Year() < 1 {
		return time.Time{}, fmt.Errorf("the year must be 0001 or later")
	}
	return t, nil
}

// formError is parseStrict's error for a value not in the form of its
// layout, which a caller may explain further.
type formError string

func (layout formError) Error() string { return "want the form " + string(layout) }

// weekdays indexes rrule-go's weekdays by their number, Monday first.
var weekdays = [7]rrule.Weekday{rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU}

var weekdayNames = [7]string{"MO", "TU", "WE", "TH", "FR", "SA", "SU"}

// pyWeekday numbers weekdays from Monday = 0, as rrule-go does.
func pyWeekday(d time.Weekday) int { return (int(d) + 6) % 7 }

func parseWeekday(v string) (int, error) {
	if i := slices.Index(weekdayNames[:], v); i >= 0 {
		return i, nil
	}
	return 0, fmt.Errorf("%q is not a weekday: want MO, TU, WE, TH, FR, SA or SU", v)
}

// parseWeekdays reads a BYDAY list such as "MO,WE" or "-1FR,2SU".
func parseWeekdays(v string) ([]rrule.Weekday, error) {
	var days []rrule.Weekday
	for item := range strings.SplitSeq(v, ",") {
		if len(item) < 2 {
			return nil, fmt.Errorf("BYDAY: %q is not a weekday", item)
		}
		d, err := parseWeekday(item[len(item)-2:])
		if err != nil {
			return nil, fmt.Errorf("BYDAY: %v", err)
		}
		day := weekdays[d]
		if prefix := item[:len(item)-2]; prefix != "" {
			n, err := parseInt("BYDAY", prefix, 1, 53, true)
			if err != nil {
				return nil, err
			}
			day = day.Nth(n)
		}
		if !slices.Contains(days, day) {
			days = append(days, day)
		}
	}
	return days, nil
}

// parseInt reads one integer between lo and hi, or between -hi and -lo
// when negative is set.
func parseInt(key, v string, lo, hi int, negative bool) (int, error) {
	n, err := strconv.Atoi(v)
	if err == nil && (n >= lo && n <= hi || negative && n <= -lo && n >= -hi) {
		return n, nil
	}
	if negative {
		return 0, fmt.Errorf("%s: %q is not between %d and %d or %d and %d", key, v, lo, hi, -hi, -lo)
	}
	return 0, fmt.Errorf("%s: %q is not between %d and %d", key, v, lo, hi)
}

// parseInts reads a comma-separated list of integers and drops duplicates,
// which rrule-go would otherwise turn into duplicate occurrences.
func parseInts(key, v string, lo, hi int, negative bool) ([]int, error) {
	var ns []int
	for item := range strings.SplitSeq(v, ",") {
		n, err := parseInt(key, item, lo, hi, negative)
		if err != nil {
			return nil, err
		}
		ns = append(ns, n)
	}
	slices.Sort(ns)
	return slices.Compact(ns), nil
}

// first returns the first wall time the rule produces, ignoring UNTIL's
// exact instant.
func (r *rule) first() (int64, bool) {
	var w int64
	var found bool
	r.expand(r.start, min(r.until+1, r.start+secondsPer400Years, endWall), func(x int64) bool {
		w, found = x, true
		return false
	})
	return w, found
}

// expand calls yield with the wall times the rule produces from the period
// starting at from (r.start, or a value of periodStart) and before end,
// in order, until yield returns false.
//
// rrule-go gives up only after the year 9999, so a rule that never
// matches again would be searched for up to 8000 years. Everything is
// therefore shifted by whole 400-year Gregorian cycles, which change no
// date, weekday or week number, so that end falls within the last cycle
// before 9999: the search past end then stops within 400 years.
//
// BYSETPOS picks among the instances of a whole period (RFC 5545: "a set
// of recurrence instances starts at the beginning of the interval"), but
// rrule-go's first week starts on DTSTART's day rather than on the week's
// first day, so that BYSETPOS=1 would pick the first instance on or after
// DTSTART. A weekly rule with BYSETPOS is therefore expanded from the first
// day of DTSTART's week, dropping what comes before DTSTART and counting
// COUNT here.
func (r *rule) expand(from, end int64, yield func(int64) bool) {
	if from >= end {
		return
	}
	opt := r.opt
	skip, count := int64(minWall), 0
	if from == r.start && r.freq == rrule.WEEKLY && len(opt.Bysetpos) > 0 {
		day := floorDiv(r.start, secondsPerDay) * secondsPerDay
		if week := day - int64((pyWeekday(wallTime(day).Weekday())-opt.Wkst.Day()+7)%7)*secondsPerDay; week >= minWall {
			from, skip = week, r.start
			count, opt.Count = opt.Count, 0
		}
	}
	shift := int64(maxYear-wallTime(end-1).Year()) / 400 * secondsPer400Years
	opt.Dtstart = wallTime(from + shift)
	rr, err := rrule.NewRRule(opt)
	if err != nil {
		// parseRule checked every bound rrule-go checks.
		return
	}
	next := rr.Iterator()
	n := 0
	for {
		t, ok := next()
		if !ok {
			return
		}
		w := t.Unix() - shift
		if w < skip {
			continue
		}
		if w >= end || !yield(w) {
			return
		}
		if n++; n == count {
			return
		}
	}
}

// periodStart returns the wall time at which the period of the rule that
// contains wall time w begins, or r.start when that is the first period.
// Periods are aligned on the first one: with FREQ=WEEKLY;INTERVAL=2 every
// other week, counted from the week of DTSTART. Expanding from a later
// period is what keeps the cost of a query independent of how long ago the
// rule started; it is correct because fillDefaults took from DTSTART
// everything rrule-go would.
func (r *rule) periodStart(w int64) int64 {
	if w <= r.start {
		return r.start
	}
	d, t := wallTime(r.start), wallTime(w)
	interval := int64(max(r.opt.Interval, 1))
	var n, p int64
	switch r.freq {
	case rrule.YEARLY:
		n = int64(t.Year()-d.Year()) / interval
		p = time.Date(d.Year()+int(n*interval), 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	case rrule.MONTHLY:
		months := int64(t.Year()-d.Year())*12 + int64(t.Month()-d.Month())
		n = months / interval
		p = time.Date(d.Year(), d.Month()+time.Month(n*interval), 1, 0, 0, 0, 0, time.UTC).Unix()
	case rrule.WEEKLY:
		day := floorDiv(r.start, secondsPerDay) * secondsPerDay
		week := day - int64((pyWeekday(d.Weekday())-r.opt.Wkst.Day()+7)%7)*secondsPerDay
		n = floorDiv(w-week, 7*secondsPerDay*interval)
		p = week + n*7*secondsPerDay*interval
	default:
		unit := map[rrule.Frequency]int64{rrule.DAILY: secondsPerDay, rrule.HOURLY: 3600, rrule.MINUTELY: 60, rrule.SECONDLY: 1}[r.freq]
		base := floorDiv(r.start, unit) * unit
		n = floorDiv(w-base, unit*interval)
		p = base + n*unit*interval
	}
	if n <= 0 {
		return r.start
	}
	return p
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
