package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusCopies is how many copies of the good-production stack the policy
// benchmarks check: 40 copies of its 26 objects are 1,040 objects.
const corpusCopies = 40

// BenchmarkPolicyTest checks 1,040 objects: 40 copies of the
// good-production stack, each in a namespace and on a host of its own, as
// 40 environments are, as one run of andon policy test (reading, compiling
// the policy, evaluating, printing).
func BenchmarkPolicyTest(b *testing.B) {
	dir := b.TempDir()
	writeStackCopies(b, dir, corpusCopies)
	b.ResetTimer()
	for b.Loop() {
		r := runCLI(b, nil, "policy", "test", "-o", "json", "--allowed-registry", "registry.example.com", dir)
		if r.code != 0 || !strings.Contains(r.stdout, `"objects": 1040`) {
			b.Fatalf("exit %d: %s%s", r.code, r.stdout[:min(len(r.stdout), 300)], r.stderr)
		}
	}
	b.ReportMetric(1040*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
}

// writeStackCopies writes n copies of the files of the good-production
// stack into dir, copy i with its namespace odoo-prod-lyon renamed
// odoo-prod-i and its host erp-lyon renamed erp-i, so that no two copies
// share a namespace or a host, as n environments do not.
func writeStackCopies(tb testing.TB, dir string, n int) {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(stacks, "good-production", "*.yaml"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("stack files: %v", err)
	}
	for i := range n {
		for _, f := range files {
			text, err := os.ReadFile(f)
			if err != nil {
				tb.Fatal(err)
			}
			copy := strings.NewReplacer("odoo-prod-lyon", fmt.Sprintf("odoo-prod-%d", i), "erp-lyon", fmt.Sprintf("erp-%d", i)).Replace(string(text))
			name := fmt.Sprintf("%d-%s", i, filepath.Base(f))
			if err := os.WriteFile(filepath.Join(dir, name), []byte(copy), 0o644); err != nil {
				tb.Fatal(err)
			}
		}
	}
}
