package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/andon-governance/andon/policy"
)

// mustPolicyDir writes files, each a name below a new directory and its
// Rego, and returns the directory.
func mustPolicyDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const checkRisk = `package andon.risk

tier := "high" if input.environment.hosting == "shared"
else := "medium"

reasons := ["acme"]

approvals := [{"role": "change-manager", "count": 1}]
`

// andon policy check runs the Rego tests of the policy the server would
// put in force: those of the directory, and the embedded tests of the
// packages it does not replace, and exits 1 when one fails.
func TestPolicyCheckRunsTheTestsOfThePolicyInForce(t *testing.T) {
	dir := mustPolicyDir(t, map[string]string{
		"risk.rego": checkRisk,
		"risk_test.rego": `package andon.risk

test_shared_is_high if {
	tier == "high" with input as {"environment": {"hosting": "shared"}}
}

test_dedicated_is_high if {
	tier == "high" with input as {"environment": {"hosting": "dedicated"}}
}
`,
	})
	r := runCLI(t, nil, "policy", "check", "--timeout", "2m", "--policy", dir)
	test := filepath.Join(dir, "risk_test.rego")
	want := "FAIL " + test + ":7: andon.risk.test_dedicated_is_high\n    the test's body is false or undefined\n"
	if r.code != 1 || !strings.HasPrefix(r.stdout, want) || !strings.Contains(r.stdout, " passed, 1 failed, 0 skipped\n") {
		t.Errorf("policy check: exit %d\n%s%s\nwant exit 1 and output beginning\n%s", r.code, r.stdout, r.stderr, want)
	}

	r = runCLI(t, nil, "policy", "check", "--timeout", "2m", "--policy", dir, "-o", "json")
	var rep policyCheckReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 1 {
		t.Fatalf("policy check -o json: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	pol, err := policy.New(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Revision != pol.Revision() {
		t.Errorf("policy check -o json: revision %q, want the one a server puts in force, %q", rep.Revision, pol.Revision())
	}
	byPackage := map[string]int{}
	for _, tt := range rep.Tests {
		if strings.HasPrefix(tt.Location, "embedded:") {
			byPackage["embedded "+tt.Package]++
		} else {
			byPackage[tt.Package]++
		}
	}
	if byPackage["andon.risk"] != 2 || byPackage["embedded andon.risk"] != 0 || byPackage["embedded andon.gate"] == 0 || rep.Failed != 1 || rep.Passed != len(rep.Tests)-1 {
		t.Errorf("policy check -o json: %d passed, %d failed, tests by package %v; want the directory's 2 risk tests, one failing, and the embedded gate's, not its risk's", rep.Passed, rep.Failed, byPackage)
	}
}

// A policy that the server would refuse is refused with the same problems,
// file and line; a test that does not compile is named too; a misspelt
// package is warned about.
func TestPolicyCheckProblems(t *testing.T) {
	tests := []struct {
		name   string
		files  map[string]string
		code   int
		stderr string // with the directory as DIR
	}{
		{"syntax error", map[string]string{"risk.rego": "package andon.risk\n\ntier := := \"low\"\n"}, 2,
			"andon: policy is not valid: policy DIR: 1 error(s):\nDIR/risk.rego:3: rego_parse_error: "},
		{"output missing", map[string]string{"gate.rego": "package andon.gate\n\nallow := false\n"}, 2,
			"andon: policy is not valid: policy: package andon.gate (in DIR/gate.rego) defines no rule reasons\n"},
		{"test does not compile", map[string]string{"risk.rego": checkRisk, "risk_test.rego": "package andon.risk\n\ntest_x if nothing == 1\n"}, 2,
			"andon: policy tests are not valid: policy DIR: 1 error(s):\nDIR/risk_test.rego:3: rego_unsafe_var_error: var nothing is unsafe\n"},
		{"misspelt package", map[string]string{"gate.rego": "package andon.gates\n\nallow := false\n"}, 0,
			"andon: warning: package andon.gates (DIR/gate.rego) is not one andon queries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := mustPolicyDir(t, tt.files)
			r := runCLI(t, nil, "policy", "check", "--timeout", "2m", "--policy", dir)
			want := strings.ReplaceAll(tt.stderr, "DIR", dir)
			if r.code != tt.code || !strings.HasPrefix(r.stderr, want) {
				t.Errorf("policy check: exit %d, stderr\n%s\nwant exit %d, stderr beginning\n%s", r.code, r.stderr, tt.code, want)
			}
		})
	}
}

// TestPolicyCheckTimeout: a test that outruns --timeout fails, saying so,
// and a --timeout that gives no time is a slip in the flag.
func TestPolicyCheckTimeout(t *testing.T) {
	dir := mustPolicyDir(t, map[string]string{"slow_test.rego": "package acme.slow\n\ntest_slow if {\n\tcount([x | some x in numbers.range(1, 100000000); x % 7 == 0]) > 0\n}\n"})
	r := runCLI(t, nil, "policy", "check", "--timeout", "100ms", "--policy", dir)
	if r.code != 1 || !strings.Contains(r.stdout, "did not finish within 100ms, the time a test may take (andon policy check --timeout)") {
		t.Errorf("policy check --timeout 100ms: exit %d\nstdout: %s\nstderr: %s\nwant exit 1 and test_slow failed for its time", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, "policy", "check", "--timeout", "0s", "--policy", dir)
	if r.code != 2 || !strings.Contains(r.stderr, "--timeout 0s: want a positive duration") {
		t.Errorf("policy check --timeout 0s: exit %d, stderr %s; want 2 and the flag named", r.code, r.stderr)
	}
}
