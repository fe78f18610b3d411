package calendar_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/calendar"
)

// modelCatalog returns a catalog with one plant and one production
// environment per zone of modelZones, and the windows given; windows
// with an ics file are read from it with ParseICS.
func modelCatalog(tb testing.TB, windows []*modelWindow) (*andon.Catalog, map[string]*time.Location) {
	tb.Helper()
	cat := &andon.Catalog{}
	zones := map[string]*time.Location{}
	for i, z := range modelZones {
		loc := MustLoadLocation(tb, z)
		p := fmt.Sprintf("p%d", i)
		e := fmt.Sprintf("e%d", i)
		cat.Plants = append(cat.Plants, &andon.Plant{Name: p, Timezone: z, Location: loc})
		cat.Environments = append(cat.Environments, &andon.Environment{Name: e, Stage: andon.StageProduction, Plants: []string{p}})
		zones[e] = loc
	}
	for _, w := range windows {
		aw := &andon.Window{Name: w.name, Type: w.typ, Once: w.once, Allow: w.allow, Selector: andon.Selector{Environments: w.envs}}
		if w.ics != "" {
			ss, err := calendar.ParseICS(w.name+".ics", []byte(w.ics))
			if err != nil {
				tb.Fatalf("ParseICS:\n%s\n%v", w.ics, err)
			}
			aw.Schedules = ss
		} else {
			for _, s := range w.schedules {
				aw.Schedules = append(aw.Schedules, s.schedule())
			}
		}
		cat.Windows = append(cat.Windows, aw)
	}
	return cat, zones
}

// describe writes out windows for a failure message.
func describe(windows []*modelWindow) string {
	var s string
	for _, w := range windows {
		s += fmt.Sprintf("%s %s envs=%v allow=%v", w.name, w.typ, w.envs, w.allow)
		if w.once != nil {
			s += fmt.Sprintf(" once %s/%s", w.once.Start.Format(time.RFC3339), w.once.End.Format(time.RFC3339))
		}
		s += "\n"
		if w.ics != "" {
			s += w.ics
		}
		for _, sc := range w.schedules {
			s += fmt.Sprintf("  %+v\n", sc.schedule())
		}
	}
	return s
}

// TestCalendarMatchesModel compares the calendar with a brute-force model
// of its documented rules (model_test.go) on random catalogs, with a fixed
// seed: windows of every type in zones of both hemispheres, with a
// 30-minute DST (Lord Howe), 45-minute offsets (Chatham), clocks that
// change at midnight (Santiago) and none at all; schedules in their own
// zone or the plant's, starting near the nights clocks change, some read
// from a calendar file. Over 2026 it checks Occurrences, Active at the
// edges of occurrences and at random instants, and NextSlot from the
// edges of maintenance occurrences, for durations that fill one exactly.
func TestCalendarMatchesModel(t *testing.T) {
	g := &modelGen{rnd: rand.New(rand.NewPCG(1, 2))}
	var envs []string
	for i := range modelZones {
		envs = append(envs, fmt.Sprintf("e%d", i))
	}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	modelEnd := time.Date(2028, 6, 1, 0, 0, 0, 0, time.UTC)
	failures, skipped := 0, 0
	for n := range 30 {
		windows := g.windows(1+g.pick(5), envs)
		for _, w := range windows {
			// A calendar file's rules produce their DTSTART (ParseICS
			// refuses the others).
			if len(w.schedules) > 0 && g.pick(3) == 0 && startsRules(w) {
				for i, s := range w.schedules {
					s.exUTC = s.zone != "" && s.zone != "UTC" && g.pick(2) == 0
					// Every other event has DTEND, and some whole
					// days of DURATION: lengths on the wall clock.
					if s.zone != "UTC" && (i%2 == 1 || s.duration%(24*time.Hour) == 0 && g.pick(2) == 0) {
						s.wall, s.duration = s.duration, 0
					}
				}
				w.ics = icsOf(w)
			}
		}
		valid := true
		for _, w := range windows {
			for _, s := range w.schedules {
				if calendar.ValidateSchedule(s.schedule()) != nil {
					valid = false
				}
			}
		}
		if !valid {
			skipped++
			continue
		}
		cat, zones := modelCatalog(t, windows)
		c := MustNew(t, cat)
		m := newCalendarModel(windows, zones, modelEnd)
		fail := func(format string, args ...any) {
			t.Helper()
			failures++
			t.Errorf("catalog %d:\n%s"+format, append([]any{n, describe(windows)}, args...)...)
		}
		for _, env := range envs {
			e := cat.Environment(env)
			// Occurrences over the year and over a random week.
			wf := from.Add(time.Duration(g.pick(365*24)) * time.Hour)
			for _, r := range [][2]time.Time{{from, to}, {wf, wf.Add(7 * 24 * time.Hour)}} {
				occs := c.Occurrences(e, r[0], r[1])
				if diff := cmp.Diff(m.overlapping(env, r[0], r[1]), utcSpans(occs)); diff != "" {
					fail("%s: Occurrences(%s, %s) (-model +calendar):\n%s", env, r[0], r[1], diff)
				}
				// A recurring occurrence is in the zone it was read in.
				for _, o := range occs {
					w := windows[slices.IndexFunc(windows, func(w *modelWindow) bool { return w.name == o.Window })]
					if w.once != nil {
						continue
					}
					zone := o.Start.Location().String()
					if !slices.ContainsFunc(w.schedules, func(s *modelSchedule) bool { return s.zone == zone || s.zone == "" && zones[env].String() == zone }) {
						fail("%s: occurrence %s of %s is in %s", env, o.Start, o.Window, zone)
					}
				}
			}
			// Active at every edge of an occurrence, and around.
			var instants []time.Time
			occs := m.overlappingOccs(env, from, to)
			for range min(len(occs), 100) {
				o := occs[g.pick(len(occs))]
				for _, x := range []time.Time{o.span.Start, o.span.End} {
					instants = append(instants, x.Add(-time.Second), x, x.Add(time.Second))
				}
			}
			for range 50 {
				instants = append(instants, from.Add(time.Duration(g.pick(365*24*60))*time.Minute))
			}
			for _, x := range instants {
				if x.Before(from) {
					continue
				}
				got := utcSpans(c.Active(e, x))
				if diff := cmp.Diff(m.active(env, x), got); diff != "" {
					fail("%s: Active(%s) (-model +calendar):\n%s", env, x, diff)
					break
				}
			}
			// The next slot, from the edges of maintenance occurrences and
			// random instants, for durations that fit exactly and not.
			var afters []time.Time
			var durations []time.Duration
			for _, o := range occs[:min(len(occs), 60)] {
				if o.typ == andon.WindowMaintenance {
					afters = append(afters, o.span.Start, o.span.Start.Add(-time.Second), o.span.Start.Add(time.Minute))
					durations = append(durations, o.span.End.Sub(o.span.Start))
				}
			}
			for range 10 {
				afters = append(afters, from.Add(time.Duration(g.pick(365*24*60))*time.Minute))
			}
			durations = append(durations, time.Hour, 30*time.Minute, 4*time.Hour, 3*time.Hour+time.Second)
			for i, after := range afters {
				if after.Before(from) {
					continue
				}
				d := durations[(i+g.pick(3))%len(durations)]
				horizon := []time.Duration{366 * 24 * time.Hour, 30 * 24 * time.Hour, 0, time.Duration(g.pick(60*24)) * time.Minute}[g.pick(4)]
				// No change, or one of each type: a freeze that allows
				// emergency changes stops the others.
				change := []andon.ChangeType{"", andon.ChangeStandard, andon.ChangeNormal, andon.ChangeEmergency}[i%4]
				want, wok := m.nextSlot(env, after, d, horizon, change)
				got, gok := c.NextSlot(e, after, d, horizon, change, false)
				if wok != gok || wok && (!want.Equal(got.Start) || !got.End.Equal(got.Start.Add(d))) {
					fail("%s: NextSlot(%s, %s, %s, %q) = %v %v, model %v %v", env, after, d, horizon, change, got, gok, want, wok)
				}
			}
			if failures > 5 {
				t.Fatal("too many failures")
			}
		}
	}
	if skipped > 10 {
		t.Errorf("%d of 30 random catalogs were not valid: the generator makes too few", skipped)
	}
}

// startsRules reports whether the rule of every schedule of w produces
// its start.
func startsRules(w *modelWindow) bool {
	for _, s := range w.schedules {
		if s.rule == nil {
			continue
		}
		if walls := s.rule.walls(s.start, s.start.Add(time.Second)); len(walls) == 0 || !walls[0].Equal(s.start) {
			return false
		}
	}
	return true
}

func utcSpans(occs []andon.Occurrence) []string {
	var out []string
	for _, o := range occs {
		out = append(out, o.Window+" "+o.Start.UTC().Format(time.RFC3339)+"/"+o.End.UTC().Format(time.RFC3339))
	}
	return out
}
