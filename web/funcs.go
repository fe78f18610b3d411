package web

import (
	"html/template"
	"slices"
	"strings"
	"time"

	"github.com/andon-governance/andon"
)

// funcs are the template functions of every page.
var funcs = template.FuncMap{
	"local":    local,
	"localAt":  localAt,
	"zoned":    zoned,
	"hhmm":     hhmm,
	"iso":      func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"offset":   offset,
	"duration": andon.HumanDuration,
	"join":     strings.Join,
	"has":      slices.Contains[[]string],
	"stateOf":  func(s andon.State) string { return stateLabels[s] },
	"until":    until,
	"stateIcon": func(state string) string {
		return stateIcons[state]
	},
	"tierIcon": func(l andon.Level) string { return tierIcons[l] },
	"selector": selectorText,
	"allows":   andon.FreezeAllows,
	"types": func(ts []andon.ChangeType) string {
		s := make([]string, len(ts))
		for i, t := range ts {
			s[i] = string(t)
		}
		return strings.Join(s, ", ")
	},
}

// selectorText says for people which environments a selector picks.
func selectorText(s andon.Selector) string {
	var parts []string
	add := func(what string, names []string) {
		if len(names) > 0 {
			parts = append(parts, what+" "+strings.Join(names, ", "))
		}
	}
	stages := make([]string, len(s.Stages))
	for i, st := range s.Stages {
		stages[i] = string(st)
	}
	add("stages", stages)
	add("plants", s.Plants)
	add("environments", s.Environments)
	add("processes", s.Processes)
	if len(parts) == 0 {
		return "every environment"
	}
	return strings.Join(parts, "; ")
}

// local formats t in loc for people: weekday, date and time, and the
// zone's abbreviation on a day the clocks change (clockChangeDay).
func local(t time.Time, loc *time.Location) string {
	if clockChangeDay(t, loc) {
		return zoned(t, loc)
	}
	return t.In(loc).Format("Mon 2 Jan 2006 15:04")
}

// localAt formats t in loc as local does, for a page that gives loc's
// UTC offset at the instant at (the board's plant headings): with the
// zone's abbreviation, too, when loc's offset at t is another, after the
// clocks change, so that t is not read at the offset the page gives.
func localAt(t time.Time, loc *time.Location, at time.Time) string {
	_, then := t.In(loc).Zone()
	_, now := at.In(loc).Zone()
	if then != now {
		return zoned(t, loc)
	}
	return local(t, loc)
}

// hhmm formats the time of day of t in loc, for a page that names the
// day and the zone, and with the zone's abbreviation on a day the clocks
// change: "01:00 AEST–04:00 AEDT" is the two hours that "01:00–04:00"
// would not say, and "02:00 CEST" the first of the two 02:00s.
func hhmm(t time.Time, loc *time.Location) string {
	if clockChangeDay(t, loc) {
		return t.In(loc).Format("15:04 MST")
	}
	return t.In(loc).Format("15:04")
}

// clockChangeDay says whether loc's offset from UTC changes during the
// local day of t, so that its wall times need their zone to be read.
func clockChangeDay(t time.Time, loc *time.Location) bool {
	y, m, d := t.In(loc).Date()
	_, from := time.Date(y, m, d, 0, 0, 0, 0, loc).Zone()
	_, to := time.Date(y, m, d+1, 0, 0, 0, 0, loc).Zone()
	return from != to
}

// zoned formats t in loc with the zone's abbreviation, for a page whose
// times are not all in one zone it names: "Tue 24 Nov 2026 23:54 AEDT".
func zoned(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Mon 2 Jan 2006 15:04 MST")
}

// offset formats the UTC offset of loc at t: "UTC+01:00".
func offset(t time.Time, loc *time.Location) string {
	return "UTC" + t.In(loc).Format("-07:00")
}

// until says how far t is from now, for people: "in 3h 20m", "2d 4h ago".
func until(t, now time.Time) string {
	d := t.Sub(now)
	if d < 0 {
		return andon.HumanDuration(-d) + " ago"
	}
	return "in " + andon.HumanDuration(d)
}

// stateIcons carry an environment's state in a shape as well as a colour
// and a word, for people who do not tell the colours apart.
var stateIcons = map[string]string{
	stateOpen:        "●",
	stateMaintenance: "▲",
	stateFrozen:      "■",
	// Not a state of the calendar's: a production environment that an
	// open critical incident stops, whatever its windows say.
	"stopped": "✖",
	// Not a state either: a production environment whose latest backup
	// is stale, or whose restores are not tested (recoveryNotes).
	"recovery": "◆",
}

// tierIcons do the same for risk tiers.
var tierIcons = map[andon.Level]string{
	andon.LevelLow:      "○",
	andon.LevelMedium:   "◐",
	andon.LevelHigh:     "◆",
	andon.LevelCritical: "✖",
}

// stateLabels are the states of a change as people read them.
var stateLabels = map[andon.State]string{
	andon.StatePending:      "Pending approval",
	andon.StateApproved:     "Approved",
	andon.StateRejected:     "Rejected",
	andon.StateImplementing: "Implementing",
	andon.StateCompleted:    "Completed",
	andon.StateFailed:       "Failed",
	andon.StateRolledBack:   "Rolled back",
	andon.StateCancelled:    "Cancelled",
}
