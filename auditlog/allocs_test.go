// The race detector and coverage add allocations of their own.
//go:build !race

package auditlog_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
)

// TestEncodeAllocations checks that Encode makes a record of a gate
// decision's data, recorded as sqlstore records it (a json.RawMessage),
// with one allocation, the record's own: every gate decision encodes one,
// and what it allocates brings the next garbage collection closer.
func TestEncodeAllocations(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage counters allocate")
	}
	data, err := json.Marshal(map[string]any{
		"request": andon.GateRequest{Environment: "prod-lyon", Image: "registry.example.com/odoo@sha256:" + sha256Hex,
			At: time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)},
		"allow":   false,
		"reasons": []string{"no approved change for registry.example.com/odoo in prod-lyon", "inside the freeze month-end-close (2026-11-29 to 2026-12-01)"},
		"catalog": "3f2a9c1",
		"change":  "CHG-00042",
	})
	if err != nil {
		t.Fatal(err)
	}
	ev := andon.Event{Type: andon.EventGateDecision, Actor: "ci-pipeline", Subject: "prod-lyon", Data: json.RawMessage(data)}
	got := testing.AllocsPerRun(100, func() {
		if _, err := auditlog.Encode(12345, t0, ev); err != nil {
			t.Fatal(err)
		}
	})
	if got > 1 {
		t.Errorf("Encode of a gate decision: %v allocations, want 1", got)
	}
}

const sha256Hex = "6c3e1d0b7a2f4e5d8c9b0a1f2e3d4c5b6a7f8e9d0c1b2a3f4e5d6c7b8a9f0e1d"
