package drift_test

import (
	"strconv"
	"testing"

	"github.com/andon-governance/andon/drift"
)

// BenchmarkDiffLongEnv compares a Deployment whose container has 20,000
// environment variables with its live copy, which has one more: a list
// matched by name, whose cost must grow with its length, not its square.
func BenchmarkDiffLongEnv(b *testing.B) {
	object := func(n int) map[string]any {
		env := make([]any, n)
		for i := range env {
			env[i] = map[string]any{"name": "VAR_" + strconv.Itoa(i), "value": "x"}
		}
		return map[string]any{
			"apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": map[string]any{"name": "odoo", "namespace": "erp"},
			"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
				"containers": []any{map[string]any{"name": "odoo", "image": "odoo:17", "env": env}},
			}}},
		}
	}
	desired, live := object(20000), object(20001)
	for b.Loop() {
		if fields := drift.Diff(desired, live); len(fields) != 1 {
			b.Fatalf("%d fields differ, want the one extra variable", len(fields))
		}
	}
}
