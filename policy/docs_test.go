package policy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/policy"
	"github.com/google/go-cmp/cmp"
)

// The examples of docs/policy.md and docs/manifests.md are run here as a
// reader would run them, so that they cannot drift from the policy.

// docBlock is a fenced code block of a Markdown document.
type docBlock struct {
	lang, text string
	line       int // of the opening fence
}

// mustDocBlocks returns the fenced code blocks of a document of docs/.
func mustDocBlocks(tb testing.TB, name string) []docBlock {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "docs", name))
	if err != nil {
		tb.Fatal(err)
	}
	var blocks []docBlock
	var cur *docBlock
	for i, line := range strings.Split(string(b), "\n") {
		fence, ok := strings.CutPrefix(strings.TrimSpace(line), "```")
		switch {
		case ok && cur == nil:
			cur = &docBlock{lang: fence, line: i + 1}
		case ok:
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.text += line + "\n"
		}
	}
	return blocks
}

// mustWriteDocRego writes the Rego blocks of a document that begin with a
// comment naming their path ("# policy/risk.rego") below dir, and returns
// the directory they name, dir/policy.
func mustWriteDocRego(tb testing.TB, dir string, blocks []docBlock) string {
	tb.Helper()
	files := map[string]string{}
	for _, b := range blocks {
		if b.lang != "rego" {
			continue
		}
		first, _, _ := strings.Cut(b.text, "\n")
		path, ok := strings.CutPrefix(first, "# ")
		if !ok {
			continue
		}
		path, _, _ = strings.Cut(path, ":")
		files[path] = b.text
	}
	if len(files) == 0 {
		tb.Fatal("no Rego block names its file")
	}
	mustWriteFiles(tb, dir, files)
	return filepath.Join(dir, "policy")
}

// TestDocsPolicyOverride loads the override of docs/policy.md, "Writing
// an override", with its test, as andon serve --policy would, and checks
// that it does what the text says.
func TestDocsPolicyOverride(t *testing.T) {
	ctx := context.Background()
	dir := mustWriteDocRego(t, t.TempDir(), mustDocBlocks(t, "policy.md"))
	e := mustNew(t, dir)
	// The page shows the modules andon serve --policy ./policy logs.
	var modules []string
	for _, m := range e.Modules() {
		if rel, err := filepath.Rel(filepath.Dir(dir), m); err == nil && !strings.HasPrefix(m, "embedded:") {
			m = filepath.ToSlash(rel)
		}
		modules = append(modules, m)
	}
	page, err := os.ReadFile(filepath.Join("..", "docs", "policy.md"))
	if err != nil {
		t.Fatal(err)
	}
	if logged := "`policy=" + strings.Join(modules, ",") + "`"; !bytes.Contains(page, []byte(logged)) {
		t.Errorf("docs/policy.md does not show the modules in force as the server logs them: %s", logged)
	}

	results, err := policy.RunTests(ctx, dir, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	ran := false
	for _, r := range results {
		ran = ran || r.Name == "test_shared_environment_is_high"
		if !r.Passed {
			t.Errorf("%s %s (%s): %s", r.Package, r.Name, r.Location, r.Message)
		}
	}
	if !ran {
		t.Error("the test of docs/policy.md did not run")
	}

	for _, tt := range []struct {
		hosting   andon.Hosting
		tier      andon.Level
		approvals []string
	}{
		{andon.HostingShared, andon.LevelHigh, []string{"change-manager", "platform-admin"}},
		{andon.HostingDedicated, andon.LevelMedium, []string{"change-manager"}},
	} {
		in := &andon.RiskInput{
			Change:      &andon.Change{ID: "CHG-1", Environment: "prod-subsidiaries", Type: andon.ChangeNormal, State: andon.StatePending},
			Environment: &andon.Environment{Name: "prod-subsidiaries", Stage: andon.StageProduction, Hosting: tt.hosting},
		}
		d, err := e.Risk(ctx, in)
		if err != nil {
			t.Fatalf("%s: %v", tt.hosting, err)
		}
		var roles []string
		for _, a := range d.Approvals {
			roles = append(roles, a.Role)
		}
		if d.Tier != tt.tier || !slices.Equal(roles, tt.approvals) {
			t.Errorf("%s hosting: tier %s, approvals %v; want %s, %v", tt.hosting, d.Tier, roles, tt.tier, tt.approvals)
		}
	}
}

// TestDocsPolicyExamples hands the input documents of docs/policy.md to
// the default policy and compares its answers with the outputs shown
// after them. A "…" in a shown message stands for what was shortened.
func TestDocsPolicyExamples(t *testing.T) {
	ctx := context.Background()
	e := mustNew(t, "")
	var jsons []docBlock
	for _, b := range mustDocBlocks(t, "policy.md") {
		if b.lang == "json" {
			jsons = append(jsons, b)
		}
	}
	strict := func(b docBlock, v any) {
		t.Helper()
		dec := json.NewDecoder(strings.NewReader(b.text))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			t.Fatalf("docs/policy.md:%d: %v", b.line, err)
		}
	}
	// The blocks in the order of the page: the risk input and output, then
	// the gate input and its output.
	if len(jsons) < 4 {
		t.Fatalf("docs/policy.md has %d JSON blocks, want the input and output of andon.risk and andon.gate", len(jsons))
	}

	var riskIn andon.RiskInput
	var riskWant andon.RiskDecision
	strict(jsons[0], &riskIn)
	strict(jsons[1], &riskWant)
	riskGot, err := e.Risk(ctx, &riskIn)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&riskWant, riskGot); diff != "" {
		t.Errorf("docs/policy.md:%d: the risk of the input shown (-shown +policy):\n%s", jsons[1].line, diff)
	}

	var gateIn andon.GateInput
	var gateWant andon.GateDecision
	strict(jsons[2], &gateIn)
	strict(jsons[3], &gateWant)
	gateGot, err := e.Gate(ctx, &gateIn)
	if err != nil {
		t.Fatal(err)
	}
	if gateGot.Allow != gateWant.Allow || len(gateGot.Reasons) != len(gateWant.Reasons) {
		t.Fatalf("docs/policy.md:%d: gate = %+v, shown %+v", jsons[3].line, gateGot, gateWant)
	}
	for i, want := range gateWant.Reasons {
		if got := gateGot.Reasons[i]; got.Code != want.Code || !shortened(want.Message, got.Message) {
			t.Errorf("docs/policy.md:%d: reason %d = %s: %s\nshown %s: %s", jsons[3].line, i, got.Code, got.Message, want.Code, want.Message)
		}
	}
}

// shortened reports whether s is shown, where each "…" of shown stands
// for any text.
func shortened(shown, s string) bool {
	parts := strings.Split(shown, "…")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1:] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return s == "" || len(parts) > 1 && parts[len(parts)-1] == ""
}

// TestDocsManifestRuleExample adds the rule of docs/manifests.md, "An
// example", to a copy of the default rules, and checks what the page says
// of it: it loads, and of the copied unit tests it fails exactly the
// whole stacks the page names, whose Odoo workloads lack its label.
func TestDocsManifestRuleExample(t *testing.T) {
	dir := t.TempDir()
	files, err := filepath.Glob(filepath.Join("bundle", "manifests*.rego"))
	if err != nil {
		t.Fatal(err)
	}
	copied := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		copied[filepath.Base(f)] = string(b)
	}
	var example string
	for _, b := range mustDocBlocks(t, "manifests.md") {
		if b.lang == "rego" && strings.HasPrefix(b.text, "package andon.manifests\n") {
			example = b.text
		}
	}
	if example == "" {
		t.Fatal("docs/manifests.md shows no rule of package andon.manifests")
	}
	copied["acme.rego"] = example
	mustWriteFiles(t, dir, copied)

	results, err := policy.RunTests(context.Background(), dir, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, r := range results {
		if !r.Passed {
			failed = append(failed, r.Name)
		}
	}
	slices.Sort(failed)
	page, err := os.ReadFile(filepath.Join("..", "docs", "manifests.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range failed {
		if !bytes.Contains(page, []byte("`"+name+"`")) {
			t.Errorf("the rule of docs/manifests.md fails the copied test %s, which the page does not name", name)
		}
	}
	if want := []string{"test_bad_staging_condensed", "test_good_production_condensed", "test_good_stack_has_no_finding"}; !slices.Equal(failed, want) {
		t.Errorf("copied tests failed = %v, want %v", failed, want)
	}
}
