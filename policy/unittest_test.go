package policy_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/policy"
	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/tester"
)

// testTimeout bounds each Rego test the tests run: OPA's default of five
// seconds was outrun on a machine busy with other work.
const testTimeout = 2 * time.Minute

// TestRegoBundle runs the Rego unit tests of the embedded bundle, so that
// go test and make test run them.
func TestRegoBundle(t *testing.T) {
	results, err := policy.RunTests(context.Background(), "", testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) < 50 {
		t.Errorf("ran %d Rego tests, want the bundle's 50 or more", len(results))
	}
	for _, r := range results {
		if !r.Passed {
			t.Errorf("%s.%s (%s) failed: %s", r.Package, r.Name, r.Location, r.Message)
		}
	}
}

// TestRegoBundleCoverage requires the Rego tests to reach every line of the
// default policy: every rule, and every branch of its else chains.
func TestRegoBundleCoverage(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("bundle", "*.rego"))
	if err != nil {
		t.Fatal(err)
	}
	mods := map[string]*ast.Module{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := ast.ParseModuleWithOpts(f, string(b), ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatal(err)
		}
		mods[f] = m
	}
	cov := cover.New()
	// Tracing every expression makes a test several times slower than
	// policy test runs it: OPA's 5 seconds a test are not enough on a
	// loaded machine, where a test timing out reads as a failing rule.
	ch, err := tester.NewRunner().SetModules(mods).SetCoverageQueryTracer(cov).SetTimeout(testTimeout).RunTests(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for r := range ch {
		if !r.Pass() {
			t.Errorf("%s.%s failed", r.Package, r.Name)
		}
	}
	report := cov.Report(mods)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.rego") {
			continue
		}
		fr := report.Files[f]
		if fr == nil {
			t.Errorf("%s: no coverage", f)
			continue
		}
		for _, r := range fr.NotCovered {
			t.Errorf("%s:%d-%d is not reached by any Rego test", f, r.Start.Row, r.End.Row)
		}
	}
}

func TestRunTestsWithOverride(t *testing.T) {
	dir := t.TempDir()
	mustWriteFiles(t, dir, map[string]string{
		"risk.rego":  everythingCritical,
		"roles.rego": acmeRoles,
		"risk_test.rego": `package andon.risk

test_every_change_is_critical if {
	tier == "critical" with input as {}
}

test_two_admins if {
	approvals == [{"role": "platform-admin", "count": 1}] with input as {}
}
`,
	})
	results, err := policy.RunTests(context.Background(), dir, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	var risk []policy.TestResult
	gate := 0
	for _, r := range results {
		switch r.Package {
		case "data.andon.risk":
			risk = append(risk, r)
		case "data.andon.gate":
			gate++
		}
	}
	// The embedded tests of andon.risk went with the package they test;
	// those of andon.gate stay.
	want := []policy.TestResult{{
		Package: "data.andon.risk", Name: "test_every_change_is_critical",
		Location: filepath.Join(dir, "risk_test.rego") + ":3", Passed: true,
	}, {
		Package: "data.andon.risk", Name: "test_two_admins",
		Location: filepath.Join(dir, "risk_test.rego") + ":7",
		Message:  "the test's body is false or undefined",
	}}
	if diff := cmp.Diff(want, risk); diff != "" {
		t.Errorf("andon.risk results (-want +got):\n%s", diff)
	}
	if gate == 0 {
		t.Error("the embedded tests of andon.gate did not run")
	}
}

// TestRunTestsTimeout: a test that runs longer than the time given fails,
// and says why, and the others still run.
func TestRunTestsTimeout(t *testing.T) {
	dir := t.TempDir()
	mustWriteFiles(t, dir, map[string]string{"slow_test.rego": `package acme.slow

test_slow if {
	count([x | some x in numbers.range(1, 100000000); x % 7 == 0]) > 0
}

test_quick if {
	1 == 1
}
`})
	results, err := policy.RunTests(context.Background(), dir, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]policy.TestResult{}
	for _, r := range results {
		if r.Package == "data.acme.slow" {
			got[r.Name] = r
		}
	}
	if r := got["test_slow"]; r.Passed || r.Message != "did not finish within 100ms, the time a test may take (andon policy check --timeout)" {
		t.Errorf("test_slow: passed %v, %q; want it failed for its time", r.Passed, r.Message)
	}
	if !got["test_quick"].Passed {
		t.Errorf("test_quick: %+v; want it passed", got["test_quick"])
	}
}

func TestRunTestsCompileError(t *testing.T) {
	dir := t.TempDir()
	mustWriteFiles(t, dir, map[string]string{"gate_test.rego": "package andon.gate\n\ntest_x if {\n\tundefined_rule\n}\n"})
	_, err := policy.RunTests(context.Background(), dir, testTimeout)
	if err == nil || !strings.Contains(err.Error(), "gate_test.rego:4") {
		t.Errorf("RunTests = %v, want an error naming gate_test.rego:4", err)
	}
}

// Tests alone do not replace the package they test: tests of the
// embedded gate run against it, as the server puts it in force, beside
// its own tests.
func TestRunTestsOfAnEmbeddedPackage(t *testing.T) {
	dir := t.TempDir()
	mustWriteFiles(t, dir, map[string]string{"acme_gate_test.rego": `package andon.gate

test_no_change_is_denied if {
	not allow with input as {
		"request": {"environment": "prod-lyon", "image": "x", "at": "2026-11-29T02:00:00Z"},
		"change": null, "calendar": {"active": []}, "promotion": null, "incidents": [],
	}
}
`})
	results, err := policy.RunTests(context.Background(), dir, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	own, embedded := 0, 0
	for _, r := range results {
		switch {
		case r.Package != "data.andon.gate":
		case !r.Passed:
			t.Errorf("%s (%s) failed: %s", r.Name, r.Location, r.Message)
		case strings.HasPrefix(r.Location, "embedded:"):
			embedded++
		default:
			own++
		}
	}
	if own != 1 || embedded == 0 {
		t.Errorf("andon.gate ran %d tests of the directory and %d embedded ones; want 1 and the embedded ones", own, embedded)
	}
}

// TestPrintOutput checks where print goes, as docs/policy.md says: under
// a failing test's message, the prints of the rules it evaluates
// included; nowhere for a passing test; and nowhere in a decision, which
// it does not fail.
func TestPrintOutput(t *testing.T) {
	dir := t.TempDir()
	mustWriteFiles(t, dir, map[string]string{
		"risk.rego": "package andon.risk\n\ntier := \"low\" if print(\"classifying\", input.change.type)\n\nreasons := [\"r\"]\n\napprovals := []\n",
		"risk_test.rego": "package andon.risk\n\ntest_fails if {\n\tprint(\"tier is\", tier)\n\tfalse\n}\n\n" +
			"test_passes if {\n\tprint(\"not shown\")\n\ttier == \"low\"\n}\n",
	})
	results, err := policy.RunTests(context.Background(), dir, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	messages := map[string]string{}
	for _, r := range results {
		if r.Package == "data.andon.risk" {
			messages[r.Name] = r.Message
		}
	}
	want := map[string]string{
		// The rule's print runs too; an input the test does not give
		// prints as <undefined>.
		"test_fails":  "the test's body is false or undefined\nclassifying <undefined>\ntier is low",
		"test_passes": "",
	}
	if diff := cmp.Diff(want, messages); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}

	e := mustNew(t, dir)
	d, err := e.Risk(context.Background(), riskInput(stagingLyon, "normal", andon.Facts{}))
	if err != nil {
		t.Fatal(err)
	}
	if d.Tier != "low" {
		t.Errorf("tier = %q, want low", d.Tier)
	}
}
