package sqlstore_test

import (
	"context"
	"testing"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/sqlstore"
	"github.com/andon-governance/andon/sqlstore/sqlstoretest"
)

// eachEngineBench runs bench as a sub-benchmark per engine.
func eachEngineBench(b *testing.B, bench func(b *testing.B, e *env)) {
	for _, engine := range sqlstoretest.Engines {
		b.Run("engine="+engine, func(b *testing.B) { bench(b, MustOpen(b, engine)) })
	}
}

// BenchmarkAuditedWrite measures one durable write transaction carrying one
// audit entry (record, tree hashes, newly signed checkpoint), the unit
// every state change pays.
func BenchmarkAuditedWrite(b *testing.B) {
	eachEngineBench(b, func(b *testing.B, e *env) {
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if _, err := e.db.Update(ctx, func(ctx context.Context, tx *sqlstore.Tx) error {
				tx.Record(andon.Event{Type: "bench", Actor: "bench", Subject: "bench", Data: map[string]int{"n": 1}})
				return nil
			}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
	})
}

// BenchmarkGateDecision measures a gate decision through the service: the
// calendar, the change lookup, the policy and the audited write.
func BenchmarkGateDecision(b *testing.B) {
	eachEngineBench(b, func(b *testing.B, e *env) {
		e.MustStage(b, imageStaged)
		ctx := as("alice")
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			res, err := e.gate.Decide(ctx, andon.GateRequest{Environment: "prod-lyon", Image: imageStaged})
			if err != nil || res.Allow {
				b.Fatalf("gate: %v %+v", err, res)
			}
		}
	})
}

// BenchmarkGateDecisionAllowed measures an allowed gate decision on
// SQLite that reads its change, an emergency change being implemented, as
// every deployment of an approved change after its first does; its
// -benchmem figures are what such a decision allocates.
func BenchmarkGateDecisionAllowed(b *testing.B) {
	e := MustOpen(b, "sqlite")
	e.MustStage(b, imageStaged)
	c, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{
		Environment: "prod-geelong", Type: andon.ChangeEmergency, Title: "Hotfix labels",
		Artifacts: []string{imageStaged}, Facts: andon.Facts{Modules: []string{"delivery"}},
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := e.changes.Decide(as("erin"), c.ID, andon.Approve, "outage"); err != nil {
		b.Fatal(err)
	}
	ctx := as("alice")
	b.ReportAllocs()
	for b.Loop() {
		res, err := e.gate.Decide(ctx, andon.GateRequest{Environment: "prod-geelong", Image: imageStaged})
		if err != nil || !res.Allow || res.Change == nil || res.Change.ID != c.ID {
			b.Fatalf("gate = %+v, %v; want allowed for %s", res, err, c.ID)
		}
	}
}

// BenchmarkGateDecisionConcurrent measures gate decisions from 32
// concurrent callers, which group commit lets share transactions.
func BenchmarkGateDecisionConcurrent(b *testing.B) {
	eachEngineBench(b, func(b *testing.B, e *env) {
		e.MustStage(b, imageStaged)
		ctx := as("alice")
		b.ReportAllocs()
		b.SetParallelism(16)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				res, err := e.gate.Decide(ctx, andon.GateRequest{Environment: "prod-lyon", Image: imageStaged})
				if err != nil || res.Allow {
					b.Errorf("gate: %v %+v", err, res)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
	})
}

// BenchmarkAuditedWriteConcurrent measures durable audited writes from 64
// concurrent callers, where group commit shares each commit among many.
func BenchmarkAuditedWriteConcurrent(b *testing.B) {
	eachEngineBench(b, func(b *testing.B, e *env) {
		ctx := context.Background()
		b.ReportAllocs()
		b.SetParallelism(32)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := e.db.Update(ctx, func(ctx context.Context, tx *sqlstore.Tx) error {
					tx.Record(andon.Event{Type: "bench", Actor: "bench", Subject: "bench", Data: map[string]int{"n": 1}})
					return nil
				}); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
	})
}
