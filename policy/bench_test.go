package policy_test

import (
	"context"
	"testing"

	"github.com/andon-governance/andon"
)

// The benchmarks measure one decision each, input conversion included,
// on the inputs the server builds most often.

func BenchmarkRisk(b *testing.B) {
	e := mustNew(b, "")
	in := riskInput(prodLyon, andon.ChangeNormal, andon.Facts{Migration: true, Modules: []string{"stock", "mrp"}}, "production", "inventory")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Risk(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGate(b *testing.B) {
	e := mustNew(b, "")
	in := gateInput(func(in *andon.GateInput) {
		in.Change.Risk.Tier = andon.LevelHigh
		in.Calendar.Active = []andon.Occurrence{blackFriday, sundayMaintenance}
	})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		d, err := e.Gate(ctx, in)
		if err != nil || !d.Allow {
			b.Fatal(d, err)
		}
	}
}
