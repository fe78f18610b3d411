package calendar

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/teambition/rrule-go"

	"github.com/andon-governance/andon"
)

// The zones of a calendar file. A TZID names an IANA zone, whose rules
// andon takes from the IANA database, or a Windows zone, as Outlook and
// Exchange write them, which andon reads as the IANA zone that CLDR gives
// for it after checking it against the VTIMEZONE of the file, when that
// has rules, or a globally unique TZID ("/" and a prefix of the program
// that wrote it) that ends in an IANA name. Any other name is refused: the only definition of the zone
// would be the file's VTIMEZONE, which andon does not evaluate on its own.

// vtimezone is a VTIMEZONE of a calendar file.
type vtimezone struct {
	line  int // of its BEGIN
	tzid  *contentLine
	rules []*tzRule
}

// tzRule is a STANDARD or DAYLIGHT component of a VTIMEZONE: from its
// onsets (DTSTART, then those of RRULE and RDATE, wall times read with
// TZOFFSETFROM) the offset is TZOFFSETTO.
type tzRule struct {
	line   int
	props  map[string]*contentLine
	rdates []*contentLine
}

// windowsZone records a Windows zone that times of the file are given in.
type windowsZone struct {
	iana string
	loc  *time.Location
	// times are the wall times given in it, and at the properties that
	// give them.
	times []int64
	at    []*contentLine
}

// vtimezoneProperty records property c of the VTIMEZONE vt, or of its
// STANDARD or DAYLIGHT component rule, depth components deep.
func (p *icsParser) vtimezoneProperty(vt *vtimezone, rule *tzRule, depth int, c *contentLine) {
	switch {
	case depth == 2 && c.name == "TZID" && vt.tzid == nil:
		vt.tzid = c
	case depth == 3 && rule != nil && c.name == "RDATE":
		rule.rdates = append(rule.rdates, c)
	case depth == 3 && rule != nil && rule.props[c.name] == nil:
		rule.props[c.name] = c
	}
}

// zoneName is the zone a property names as its value (a VTIMEZONE's
// TZID, X-WR-TIMEZONE), unquoted and unescaped.
func zoneName(c *contentLine) string {
	return unescapeText(strings.Trim(strings.TrimSpace(c.value), `"`))
}

// addVTimezone keeps vt, the first VTIMEZONE of its TZID.
func (p *icsParser) addVTimezone(vt *vtimezone) {
	if vt.tzid == nil {
		return
	}
	name := zoneName(vt.tzid)
	if p.vtimezones == nil {
		p.vtimezones = map[string]*vtimezone{}
	}
	if _, ok := p.vtimezones[name]; !ok {
		p.vtimezones[name] = vt
	}
}

// unreadZoneError is the error of zone: the TZID names no zone that andon
// reads. An event that adds no window (a cancelled one) needs no zone, and
// is not refused for it (see resolve).
type unreadZoneError struct{ err error }

func (e unreadZoneError) Error() string { return e.err.Error() }
func (e unreadZoneError) Unwrap() error { return e.err }

// isUnreadZone reports whether err is, or wraps, an unreadZoneError.
func isUnreadZone(err error) bool {
	var u unreadZoneError
	return errors.As(err, &u)
}

// zone returns the zone a TZID names, and notes the year of a wall time
// given in it. Its errors are unreadZoneErrors.
func (p *icsParser) zone(tzid string, c *contentLine, wall int64) (zone, error) {
	z, err := p.readZone(tzid, c, wall)
	if err != nil {
		return zone{}, unreadZoneError{err}
	}
	return z, nil
}

func (p *icsParser) readZone(tzid string, c *contentLine, wall int64) (zone, error) {
	loc, err := LoadLocation(tzid)
	if err == nil {
		return zone{tzid, loc}, nil
	}
	if name, loc, ok := prefixedZone(tzid); ok {
		return zone{name, loc}, nil
	}
	wz := p.windows[tzid]
	if iana, ok := windowsZones[tzid]; ok && wz == nil {
		loc, err := LoadLocation(iana)
		if err != nil {
			return zone{}, err
		}
		if p.unchecked {
			return zone{iana, loc}, nil
		}
		if p.windows == nil {
			p.windows = map[string]*windowsZone{}
		}
		wz = &windowsZone{iana: iana, loc: loc}
		p.windows[tzid] = wz
	}
	if wz != nil {
		if !p.unchecked {
			wz.times, wz.at = append(wz.times, wall), append(wz.at, c)
			p.windowTimes++
		}
		return zone{wz.iana, wz.loc}, nil
	}
	if vt := p.vtimezones[tzid]; vt != nil {
		return zone{}, fmt.Errorf("%q is neither an IANA time zone such as Europe/Paris nor a Windows one, and andon does not read the zone from the VTIMEZONE of line %d alone; give the IANA name of the zone as TZID", tzid, vt.line)
	}
	if andon.MachineZone(tzid) || tzid == "" {
		return zone{}, err
	}
	// A name Outlook writes, such as "(UTC+01:00) Amsterdam, Berlin",
	// or a Windows zone that CLDR does not list: the file may only name
	// an IANA zone when its author knew that Windows names are read too.
	return zone{}, fmt.Errorf("%q is neither an IANA time zone such as Europe/Paris nor a Windows one such as W. Europe Standard Time; name the zone by its IANA name", tzid)
}

// prefixedZone returns the IANA zone that a TZID with a leading slash
// ends with. RFC 5545 (3.2.19) makes such a TZID a globally unique one,
// and the programs that write them put the IANA name after a prefix of
// their own: /mozilla.org/20070129_1/Europe/Berlin (Thunderbird and
// Lightning), /citadel.org/20190914_1/Europe/Berlin (Citadel),
// /freeassociation.sourceforge.net/Europe/Berlin (libical, Evolution).
// The longest ending that is a zone wins, so that a name of three parts
// (America/Argentina/Buenos_Aires) is not taken for a shorter one. The
// ending must be an Area/Location name: a single word after a prefix
// (EST, Japan) could as well be the program's own name for a zone of its
// own rules, which andon does not read.
func prefixedZone(tzid string) (string, *time.Location, bool) {
	rest, ok := strings.CutPrefix(tzid, "/")
	for ok && strings.Contains(rest, "/") {
		if loc, err := LoadLocation(rest); err == nil {
			return rest, loc, true
		}
		_, rest, ok = strings.Cut(rest, "/")
	}
	return "", nil, false
}

// checkWindowsZones checks the VTIMEZONE of each Windows zone that the
// file's times are given in against the IANA zone read in its place: at
// every time the file gives in it, and over the year of the latest of
// those, or of the latest DTSTAMP (when the file was written) if later,
// and the next: the rules that the occurrences to come follow. A name
// that CLDR maps to a zone with other rules, a VTIMEZONE changed by hand,
// or one exported before the zone's rules changed would otherwise move
// the events by the difference. Earlier years are not compared: Outlook
// writes the rules of today for every year, and an old series would be
// refused for the rules of its first years. Nor is the next year where
// no yearly rule can describe both (see movingRules). A Windows zone without a
// VTIMEZONE, or with an empty one, is the IANA zone. The times that place
// nothing (see icsParser.unchecked) are not compared: a cancelled event
// adds no window, and should not refuse the file through its zone. It
// is called again once the RECURRENCE-IDs are read, for those that place
// an occurrence of another event.
func (p *icsParser) checkWindowsZones() error {
	names := make([]string, 0, len(p.windows))
	for name := range p.windows {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		wz, vt := p.windows[name], p.vtimezones[name]
		if vt == nil || len(vt.rules) == 0 {
			continue
		}
		if err := p.compareZone(name, vt, wz); err != nil {
			return err
		}
	}
	return nil
}

// onset is a change of offset that a VTIMEZONE gives.
type onset struct {
	at       int64 // the instant
	from, to int   // the offsets before and after, in seconds east of UTC
}

// compareZone compares the offsets of vt with those of wz's IANA zone.
func (p *icsParser) compareZone(name string, vt *vtimezone, wz *windowsZone) error {
	first, last := slices.Min(wz.times), slices.Max(wz.times)
	year := min(max(wallTime(last).Year(), p.exported), andon.MaxYear)
	yearStart := func(y int) int64 { return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).Unix() }
	from, to := yearStart(year)-secondsPerDay, yearStart(year+2)
	if movingRules(wz.loc, year) {
		// Outlook writes the rule of one year for such a zone, which
		// cannot agree with the next.
		to = yearStart(year + 1)
	}
	onsets, err := p.onsets(vt, min(first, from)-366*secondsPerDay, to)
	if err != nil {
		return err
	}
	if len(onsets) == 0 {
		return nil
	}
	// The offset of the VTIMEZONE at instant i: that after the last onset
	// at or before i, or before the first one.
	offset := func(i int64) int {
		k, found := slices.BinarySearchFunc(onsets, i, func(o onset, i int64) int { return cmp.Compare(o.at, i) })
		if found {
			return onsets[k].to
		}
		if k == 0 {
			return onsets[0].from
		}
		return onsets[k-1].to
	}
	// differs says how the two differ at instant i, or "".
	differs := func(i int64) string {
		got, want := offset(i), offsetAt(i, wz.loc)
		if int64(got) == want {
			return ""
		}
		return fmt.Sprintf("gives UTC%s at %s, where %s, the IANA zone read for this Windows zone, gives UTC%s: the file's zone is not that one; give the IANA name of the zone as TZID",
			formatOffset(got), time.Unix(i, 0).UTC().Format(time.RFC3339), wz.iana, formatOffset(int(want)))
	}
	for k, w := range wz.times {
		if d := differs(instant(w, wz.loc)); d != "" {
			c := wz.at[k]
			return p.errorf(c.line, "%s: TZID %q: the VTIMEZONE of line %d %s", c.name, name, vt.line, d)
		}
	}
	// Both are constant between the instants where either changes, so
	// comparing them at each such instant compares them everywhere.
	at := []int64{from}
	for _, o := range onsets {
		if o.at > from && o.at < to {
			at = append(at, o.at)
		}
	}
	for _, t := range transitions(wz.loc, from, to) {
		at = append(at, t.at)
	}
	slices.Sort(at)
	for _, i := range at {
		if d := differs(i); d != "" {
			return p.errorf(vt.line, "VTIMEZONE %q %s", name, d)
		}
	}
	return nil
}

// movingRules says whether loc changes its clocks in year+1 between the
// same offsets as in year, as often, but not as one yearly rule would:
// on other days, as Morocco's clocks around Ramadan, which comes eleven
// days earlier every year. No VTIMEZONE of yearly rules describes both
// years; Windows keeps a rule per year for such a zone, and Outlook writes
// the rule of one. A zone whose offsets change in year+1 (one that ends
// its DST, or whose standard offset moves) is not such a zone.
func movingRules(loc *time.Location, year int) bool {
	yearStart := func(y int) int64 { return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).Unix() }
	this := transitions(loc, yearStart(year), yearStart(year+1))
	next := transitions(loc, yearStart(year+1), yearStart(year+2))
	if len(this) == 0 || len(this) != len(next) {
		return false
	}
	moved := false
	for k := range this {
		if this[k].from != next[k].from || this[k].to != next[k].to {
			return false
		}
		a, _ := keyOf(this[k])
		b, _ := keyOf(next[k])
		moved = moved || a != b
	}
	return moved
}

// onsets returns every onset of vt's rules: DTSTART and RDATE, and those
// of RRULE at instants in [from, to), sorted.
func (p *icsParser) onsets(vt *vtimezone, from, to int64) ([]onset, error) {
	var out []onset
	for _, r := range vt.rules {
		dtstart := r.props["DTSTART"]
		if dtstart == nil {
			return nil, p.errorf(r.line, "VTIMEZONE: a STANDARD or DAYLIGHT component has no DTSTART")
		}
		start, err := parseStrict("20060102T150405", strings.TrimSpace(dtstart.value))
		if err != nil {
			return nil, p.errorf(dtstart.line, "DTSTART: %q: %v, a local time", dtstart.value, err)
		}
		offFrom, err := parseOffset(r.props["TZOFFSETFROM"], r, "TZOFFSETFROM")
		if err != nil {
			return nil, p.errorf(r.line, "%v", err)
		}
		offTo, err := parseOffset(r.props["TZOFFSETTO"], r, "TZOFFSETTO")
		if err != nil {
			return nil, p.errorf(r.line, "%v", err)
		}
		add := func(w int64) {
			out = append(out, onset{at: w - int64(offFrom), from: offFrom, to: offTo})
		}
		add(start.Unix())
		for _, rd := range r.rdates {
			for v := range strings.SplitSeq(rd.value, ",") {
				t, err := parseStrict("20060102T150405", strings.TrimSpace(v))
				if err != nil {
					return nil, p.errorf(rd.line, "RDATE: %q: %v, a local time", v, err)
				}
				add(t.Unix())
			}
		}
		if rr := r.props["RRULE"]; rr != nil {
			rule, err := parseRule(strings.TrimSpace(rr.value), start.Unix())
			if err != nil {
				return nil, p.errorf(rr.line, "RRULE: %v", err)
			}
			if rule.freq != rrule.YEARLY {
				// Clocks change once or twice a year; a rule of
				// every second would take ages to expand.
				return nil, p.errorf(rr.line, "RRULE: a VTIMEZONE rule must be FREQ=YEARLY")
			}
			// Onsets are wall times read with TZOFFSETFROM, at most a
			// day from their instants.
			lo, hi := max(from-secondsPerDay, start.Unix()), min(to+secondsPerDay, rule.until+1, endWall)
			n := 0
			rule.expand(rule.periodStart(lo), hi, func(w int64) bool {
				if w >= lo && (rule.untilUTC == nil || w-int64(offFrom) <= *rule.untilUTC) {
					add(w)
					n++
				}
				return n < maxExpand
			})
			if n == maxExpand {
				return nil, p.errorf(rr.line, "RRULE: a VTIMEZONE rule that changes the offset more than %d times is not read", maxExpand)
			}
		}
	}
	slices.SortFunc(out, func(a, b onset) int { return cmp.Compare(a.at, b.at) })
	return out, nil
}

// parseOffset reads a UTC offset such as +0100, -0330 or +053000.
func parseOffset(c *contentLine, r *tzRule, name string) (int, error) {
	if c == nil {
		return 0, fmt.Errorf("VTIMEZONE: the STANDARD or DAYLIGHT component of line %d has no %s", r.line, name)
	}
	v := strings.TrimSpace(c.value)
	bad := fmt.Errorf("%s: %q is not a UTC offset such as +0100", name, c.value)
	if len(v) != 5 && len(v) != 7 || v[0] != '+' && v[0] != '-' {
		return 0, bad
	}
	var n [3]int
	for i := range (len(v) - 1) / 2 {
		d, ok := parseDigits(v[1+2*i : 3+2*i])
		if !ok {
			return 0, bad
		}
		n[i] = int(d)
	}
	if n[0] > 23 || n[1] > 59 || n[2] > 59 {
		return 0, bad
	}
	off := n[0]*3600 + n[1]*60 + n[2]
	if v[0] == '-' {
		off = -off
	}
	return off, nil
}

// unescapeText reads a TEXT value (RFC 5545 section 3.3.11): "\," is a
// comma, as in Outlook's "(UTC+01:00) Amsterdam\, Berlin".
func unescapeText(v string) string {
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
			if v[i] == 'n' || v[i] == 'N' {
				b.WriteByte('\n')
				continue
			}
		}
		b.WriteByte(v[i])
	}
	return b.String()
}
