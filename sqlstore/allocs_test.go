// The race detector and coverage add allocations of their own.
//go:build !race

package sqlstore_test

import (
	"runtime"
	"testing"

	"github.com/andon-governance/andon"
)

// maxDecisionAllocs bounds the allocations of one gate decision on SQLite
// that reads a change, its policy evaluation and its durable write
// included. Every decision makes them, and the fewer bytes it allocates,
// the further apart the garbage collections that slow the decisions in
// flight (docs/performance.md, "The gate's latency"). A change that needs
// more should say why in its message, with `-benchmem` figures.
const (
	maxDecisionAllocs = 718
	maxDecisionBytes  = 42900
)

func TestGateDecisionAllocations(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage counters allocate")
	}
	e := MustOpen(t, "sqlite")
	e.MustStage(t, imageStaged)
	c, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{
		Environment: "prod-geelong", Type: andon.ChangeEmergency, Title: "Hotfix labels",
		Artifacts: []string{imageStaged}, Facts: andon.Facts{Modules: []string{"delivery"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.changes.Decide(as("erin"), c.ID, andon.Approve, "outage"); err != nil {
		t.Fatal(err)
	}
	decide := func() {
		res, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "prod-geelong", Image: imageStaged})
		if err != nil || !res.Allow || res.Change == nil || res.Change.ID != c.ID {
			t.Fatalf("gate = %+v, %v; want allowed for %s", res, err, c.ID)
		}
	}
	decide() // the change is now implementing, as in every decision after
	allocs := testing.AllocsPerRun(200, decide)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const runs = 200
	for range runs {
		decide()
	}
	runtime.ReadMemStats(&after)
	bytes := (after.TotalAlloc - before.TotalAlloc) / runs
	t.Logf("a gate decision: %v allocations, %d bytes", allocs, bytes)
	if allocs > maxDecisionAllocs || bytes > maxDecisionBytes {
		t.Errorf("a gate decision allocates %v times, %d bytes; want at most %d times, %d bytes", allocs, bytes, maxDecisionAllocs, maxDecisionBytes)
	}
}
