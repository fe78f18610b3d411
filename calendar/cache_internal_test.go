package calendar

import (
	"testing"
	"time"

	"github.com/andon-governance/andon"
)

// TestFarSearchesKeepTheGatesRange checks that a search a year ahead, and
// the windows in force at instants far from the gate's, leave the
// occurrences the gate keeps asking about in their cache entry.
func TestFarSearchesKeepTheGatesRange(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	env := &andon.Environment{Name: "prod", Stage: andon.StageProduction, Plants: []string{"lyon"}}
	cat := &andon.Catalog{
		Plants:       []*andon.Plant{{Name: "lyon", Timezone: "Europe/Paris", Location: paris}},
		Environments: []*andon.Environment{env},
		Windows: []*andon.Window{
			{Name: "sunday", Type: andon.WindowMaintenance,
				Schedules: []andon.Schedule{{Start: "2026-01-04T02:00:00", RRule: "FREQ=WEEKLY;BYDAY=SU", Duration: 4 * time.Hour}}},
			{Name: "month-end", Type: andon.WindowFreeze,
				Schedules: []andon.Schedule{{Start: "2026-01-30T00:00:00", RRule: "FREQ=MONTHLY;BYMONTHDAY=-2,-1", Duration: 48 * time.Hour}}},
		},
	}
	c, err := New(cat)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	c.Active(env, now)
	before := make([]*wallRange, 0, 2)
	for _, s := range c.windows {
		before = append(before, s.schedules[0].cache[cacheActive].Load())
	}
	// A slot longer than any window: the search runs the whole year.
	if _, ok := c.NextSlot(env, now, 5*time.Hour, 365*24*time.Hour, "", false); ok {
		t.Fatal("found a 5h slot in 4h windows")
	}
	c.Occurrences(env, now.AddDate(0, 6, 0), now.AddDate(0, 7, 0))
	// Instants a person asks about, months apart, as the API's
	// /calendar/active and the board's calendar take them.
	for m := range 12 {
		c.ActiveAt(env, now.AddDate(0, m+1, 0))
	}
	for i, s := range c.windows {
		if got := s.schedules[0].cache[cacheActive].Load(); got != before[i] {
			t.Errorf("window %s: the gate's cache entry was replaced by a far search", s.w.Name)
		}
	}
}
