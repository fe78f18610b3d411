package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkPolicyTest checks 1,040 objects: 40 copies of the
// good-production stack, each in a namespace and on a host of its own, as
// 40 environments are, as one run of andon policy test (reading, compiling
// the policy, evaluating, printing).
func BenchmarkPolicyTest(b *testing.B) {
	dir := b.TempDir()
	files, err := filepath.Glob(filepath.Join(stacks, "good-production", "*.yaml"))
	if err != nil || len(files) == 0 {
		b.Fatalf("stack files: %v", err)
	}
	for i := range 40 {
		for _, f := range files {
			text, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			copy := strings.NewReplacer("odoo-prod-lyon", fmt.Sprintf("odoo-prod-%d", i), "erp-lyon", fmt.Sprintf("erp-%d", i)).Replace(string(text))
			name := fmt.Sprintf("%d-%s", i, filepath.Base(f))
			if err := os.WriteFile(filepath.Join(dir, name), []byte(copy), 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ResetTimer()
	for b.Loop() {
		r := runCLI(b, nil, "policy", "test", "-o", "json", "--allowed-registry", "registry.example.com", dir)
		if r.code != 0 || !strings.Contains(r.stdout, `"objects": 1040`) {
			b.Fatalf("exit %d: %s%s", r.code, r.stdout[:min(len(r.stdout), 300)], r.stderr)
		}
	}
	b.ReportMetric(1040*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
}
