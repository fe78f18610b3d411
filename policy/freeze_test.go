package policy_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/calendar"
)

// TestFreezeAllowAgrees holds the default gate policy, the calendar's
// next-slot search and andon.Occurrence.Stops to one reading of a freeze's
// allow: for every allow list and every change type (and for no change),
// the gate denies FROZEN exactly when a slot for that change type cannot
// go through the freeze, and exactly when Stops says so; and the FROZEN
// reason says what the freeze allows as andon.FreezeAllows does.
func TestFreezeAllowAgrees(t *testing.T) {
	e := mustNew(t, "")
	allows := [][]andon.ChangeType{
		nil,
		{andon.ChangeEmergency},
		{andon.ChangeStandard, andon.ChangeNormal},
		andon.ChangeTypes,
	}
	changes := append([]andon.ChangeType{""}, andon.ChangeTypes...)
	maintenance := andon.Span{Start: at("2026-11-29 02:00"), End: at("2026-11-29 06:00")}
	for _, allow := range allows {
		freeze := andon.Occurrence{Window: "freeze", Type: andon.WindowFreeze,
			Start: at("2026-11-29 01:00"), End: at("2026-11-29 07:00"), Allow: allow}
		cal, err := calendar.New(&andon.Catalog{
			Plants:       []*andon.Plant{lyon},
			Environments: []*andon.Environment{prodLyon},
			Windows: []*andon.Window{
				{Name: "maintenance", Type: andon.WindowMaintenance, Once: &maintenance},
				{Name: "freeze", Type: andon.WindowFreeze, Once: &andon.Span{Start: freeze.Start, End: freeze.End}, Allow: allow},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, change := range changes {
			t.Run(fmt.Sprintf("allow %v, change %q", allow, change), func(t *testing.T) {
				in := gateInput(func(in *andon.GateInput) {
					in.Calendar.Active = []andon.Occurrence{freeze}
					if change == "" {
						in.Change = nil
					} else {
						in.Change.Type = change
					}
				})
				d, err := e.Gate(context.Background(), in)
				if err != nil {
					t.Fatalf("Gate: %v", err)
				}
				frozen := slices.ContainsFunc(d.Reasons, func(r andon.Reason) bool { return r.Code == "FROZEN" })
				// The board and the CLI say what a freeze allows in the
				// gate's own words.
				for _, r := range d.Reasons {
					if want := "it " + andon.FreezeAllows(allow); r.Code == "FROZEN" && !strings.Contains(r.Message, want) {
						t.Errorf("FROZEN says %q, want it to say %q, as andon.FreezeAllows words it", r.Message, want)
					}
				}
				_, slot := cal.NextSlot(prodLyon, maintenance.Start, time.Hour, 0, change, false)
				stops := freeze.Stops(change)
				if frozen != stops || slot == stops {
					t.Errorf("gate FROZEN %v, slot found %v, Stops %v; want FROZEN and Stops alike, and a slot exactly when the freeze does not stop the change", frozen, slot, stops)
				}
			})
		}
	}
}
