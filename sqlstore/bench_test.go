package sqlstore_test

import (
	"context"
	"testing"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/sqlstore"
)

// BenchmarkAuditedWrite measures one durable write transaction carrying one
// audit entry (record, tree hashes, newly signed checkpoint), the unit
// every state change pays.
func BenchmarkAuditedWrite(b *testing.B) {
	e := MustOpen(b)
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
}

// BenchmarkGateDecision measures a gate decision through the service: the
// calendar, the change lookup, the policy and the audited write.
func BenchmarkGateDecision(b *testing.B) {
	e := MustOpen(b)
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
}

// BenchmarkAuditedWriteConcurrent measures durable audited writes from 64
// concurrent callers, where group commit shares each fsync among many.
func BenchmarkAuditedWriteConcurrent(b *testing.B) {
	e := MustOpen(b)
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
}
