package policy_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/policy"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// everythingCritical replaces andon.risk: it makes every change critical
// and asks for two platform admins, using a helper package of its own.
const everythingCritical = `package andon.risk

import data.acme.roles

tier := "critical"

reasons := ["acme classifies every change as critical"]

approvals := [{"role": roles.admin, "count": 2}]
`

const acmeRoles = `package acme.roles

admin := "platform-admin"
`

func TestOverrideReplacesPackage(t *testing.T) {
	dir := t.TempDir()
	mustWriteFiles(t, dir, map[string]string{
		"risk.rego":      everythingCritical,
		"lib/roles.rego": acmeRoles,
		"risk_test.rego": "this is not Rego, and tests are not loaded by New",
		"README.md":      "not a policy",
	})
	e := mustNew(t, dir)

	in := riskInput(stagingLyon, andon.ChangeStandard, andon.Facts{})
	got, err := e.Risk(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	want := &andon.RiskDecision{
		Tier:      andon.LevelCritical,
		Reasons:   []string{"acme classifies every change as critical"},
		Approvals: []andon.Requirement{{Role: andon.RolePlatformAdmin, Count: 2}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Risk (-want +got):\n%s", diff)
	}

	// andon.gate is not replaced: the embedded one still decides.
	d, err := e.Gate(context.Background(), gateInput(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !d.Allow || d.Reasons[0].Code != "ALLOWED" {
		t.Errorf("Gate = %+v, want the embedded policy's ALLOWED", d)
	}

	wantModules := append(slices.Clone(embeddedExceptRisk), filepath.Join(dir, "lib", "roles.rego"), filepath.Join(dir, "risk.rego"))
	if diff := cmp.Diff(wantModules, e.Modules()); diff != "" {
		t.Errorf("Modules (-want +got):\n%s", diff)
	}
}

// embeddedExceptRisk are the embedded modules other than risk.rego, in
// the order Modules lists them.
var embeddedExceptRisk = []string{
	"embedded:gate.rego", "embedded:manifests.rego", "embedded:manifests_data.rego",
	"embedded:manifests_ingress.rego", "embedded:manifests_namespaces.rego",
	"embedded:manifests_odoo.rego", "embedded:manifests_pod_security.rego", "embedded:manifests_workloads.rego",
}

func TestModulesOfEmbeddedBundle(t *testing.T) {
	want := slices.Insert(slices.Clone(embeddedExceptRisk), len(embeddedExceptRisk), "embedded:risk.rego")
	if diff := cmp.Diff(want, mustNew(t, "").Modules()); diff != "" {
		t.Errorf("Modules (-want +got):\n%s", diff)
	}
}

// TestRevisionWhereverTheDirectory checks that a policy's revision names
// its files and what they say, not where the directory is: the same
// files in two directories, one named by a relative path, are one
// revision, as andon policy check in a checkout and andon serve in a pod
// must agree; a file of another name is another.
func TestRevisionWhereverTheDirectory(t *testing.T) {
	files := map[string]string{"risk.rego": everythingCritical, "lib/roles.rego": acmeRoles}
	one, other := t.TempDir(), t.TempDir()
	mustWriteFiles(t, one, files)
	mustWriteFiles(t, other, files)
	want := mustNew(t, one).Revision()
	t.Chdir(filepath.Dir(other))
	if got := mustNew(t, filepath.Base(other)).Revision(); got != want {
		t.Errorf("the same files in another directory, named by a relative path: revision %s, want %s", got, want)
	}
	renamed := t.TempDir()
	mustWriteFiles(t, renamed, map[string]string{"risk.rego": everythingCritical, "roles.rego": acmeRoles})
	if got := mustNew(t, renamed).Revision(); got == want {
		t.Errorf("a file moved within the directory: revision unchanged, %s", got)
	}
}

func TestSkipsHiddenDirectories(t *testing.T) {
	// The layout of a Kubernetes ConfigMap volume: the files live in a
	// hidden timestamped directory and appear at the top through links.
	// Here only the hidden copy is broken, so loading it would fail.
	dir := t.TempDir()
	mustWriteFiles(t, dir, map[string]string{
		"risk.rego":                       everythingCritical,
		"roles.rego":                      acmeRoles,
		"..2026_11_26_09_00_00/risk.rego": "package andon.risk\n\ntier := \n",
	})
	e := mustNew(t, dir)
	got, err := e.Risk(context.Background(), riskInput(prodLyon, andon.ChangeNormal, andon.Facts{}))
	if err != nil {
		t.Fatal(err)
	}
	if got.Tier != andon.LevelCritical {
		t.Errorf("tier = %s, want critical from the override", got.Tier)
	}
}

func TestNewRefusesBrokenPolicy(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		// want lists substrings of the error: file:line and the problem.
		want []string
	}{{
		name:  "syntax error",
		files: map[string]string{"risk.rego": "package andon.risk\n\ntier := \"low\"\nreasons := [\"a\" \"b\"]\napprovals := []\n"},
		want:  []string{"risk.rego:4", "rego_parse_error"},
	}, {
		name:  "Rego v0 syntax",
		files: map[string]string{"gate.rego": "package andon.gate\n\nallow = true\n\nreasons[r] {\n\tr := {\"code\": \"OK\", \"message\": \"ok\"}\n}\n"},
		want:  []string{"gate.rego:5", "rego_parse_error"},
	}, {
		name: "unknown function",
		files: map[string]string{"risk.rego": `package andon.risk

tier := "low"

reasons := [classify(input.change)]

approvals := []
`},
		want: []string{"risk.rego:5", "rego_type_error", "undefined function classify"},
	}, {
		name: "errors in two files",
		files: map[string]string{
			"a/risk.rego": "package andon.risk\n\ntier := := 1\n",
			"b/gate.rego": "package andon.gate\n\nallow if {\n\tinput.x ==\n}\n",
		},
		want: []string{"2 error(s)", filepath.Join("a", "risk.rego") + ":3", filepath.Join("b", "gate.rego") + ":5"},
	}, {
		name: "compile errors in two files",
		files: map[string]string{
			"a/risk.rego": "package andon.risk\n\ntier := unknown_rule\n",
			"b/gate.rego": "package andon.gate\n\nreasons := []\n\nallow := unknown_flag\n",
		},
		want: []string{filepath.Join("a", "risk.rego") + ":3", filepath.Join("b", "gate.rego") + ":5", "var unknown_rule is unsafe", "var unknown_flag is unsafe"},
	}, {
		name:  "required rule missing",
		files: map[string]string{"risk.rego": "package andon.risk\n\ntier := \"low\"\n\nreasons := [\"r\"]\n"},
		want:  []string{"package andon.risk (in ", "risk.rego) defines no rule approvals"},
	}, {
		name:  "empty file",
		files: map[string]string{"risk.rego": ""},
		want:  []string{"risk.rego", "empty module"},
	}, {
		name:  "only comments",
		files: map[string]string{"risk.rego": "# risk policy: to do\n"},
		want:  []string{"risk.rego", "empty module"},
	}, {
		// OPA's own loader reads data files, andon does not: a rule
		// reading one would find nothing, and a list of images to deny
		// would deny none.
		name: "data file",
		files: map[string]string{
			"gate.rego":     blockingGate,
			"lib/data.json": `{"acme": {"blocked": ["registry.example.com/odoo/odoo@sha256:` + strings.Repeat("a", 64) + `"]}}`,
		},
		want: []string{filepath.Join("lib", "data.json") + ": andon loads only Rego files"},
	}, {
		name:  "data file in YAML",
		files: map[string]string{"gate.rego": blockingGate, "data.yaml": "acme:\n  blocked: []\n"},
		want:  []string{"data.yaml: andon loads only Rego files"},
	}, {
		// Nothing defines data.acme.blocked: the gate would block nothing.
		name:  "data no rule defines",
		files: map[string]string{"gate.rego": blockingGate},
		want:  []string{"gate.rego:3: undefined_data_error: data.acme.blocked is defined by no rule, so it is always undefined"},
	}, {
		// opa test ./policy loads acme/blocked.json as data.acme; andon
		// does not.
		name: "data file of another name",
		files: map[string]string{
			"gate.rego":         blockingGate,
			"acme/blocked.json": `{"blocked": ["registry.example.com/odoo/odoo@sha256:` + strings.Repeat("a", 64) + `"]}`,
		},
		want: []string{"gate.rego:3: undefined_data_error: data.acme.blocked is defined by no rule", "andon reads no data files"},
	}, {
		name: "misspelt rule of a helper package",
		files: map[string]string{
			"risk.rego":      strings.Replace(everythingCritical, "roles.admin", "roles.admn", 1),
			"lib/roles.rego": acmeRoles,
		},
		want: []string{"risk.rego:9: undefined_data_error: data.acme.roles.admn is defined by no rule"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			mustWriteFiles(t, dir, tt.files)
			_, err := policy.New(context.Background(), dir)
			if err == nil {
				t.Fatal("New succeeded, want an error")
			}
			if code := andon.ErrorCode(err); code != andon.EINVALID {
				t.Errorf("error code = %s, want %s", code, andon.EINVALID)
			}
			msg := andon.ErrorMessage(err)
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
}

// TestNewListsEachProblem checks the problems of a policy that does not
// parse one by one, with their places, as the server logs them: OPA's
// text of a problem spans lines.
func TestNewListsEachProblem(t *testing.T) {
	dir := t.TempDir()
	mustWriteFiles(t, dir, map[string]string{
		"lib/roles.rego": "package acme.roles\n\nadmin := := \"platform-admin\"\n",
		"risk.rego":      "package andon.risk\n\nreasons := [\n",
	})
	_, err := policy.New(context.Background(), dir)
	var perrs *policy.Errors
	if !errors.As(err, &perrs) {
		t.Fatalf("New: %v; want a *policy.Errors", err)
	}
	want := &policy.Errors{Dir: dir, Problems: []policy.Problem{{
		File: filepath.Join(dir, "lib", "roles.rego"), Line: 3, Column: 10,
		Message: "rego_parse_error: unexpected assign token: expected rule value term (e.g., admin := <VALUE> { ... })",
		Details: []string{`admin := := "platform-admin"`, "         ^"},
	}, {
		// At the end of the file, past its last line: no column.
		File: filepath.Join(dir, "risk.rego"), Line: 4,
		Message: "rego_parse_error: unexpected eof token: expected rule value term (e.g., reasons := <VALUE> { ... })",
		Details: []string{"reasons := [", "           ^"},
	}}}
	if diff := cmp.Diff(want, perrs); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	// The text is the one the server prints when it refuses to start.
	if got, want := andon.ErrorMessage(err), "policy "+dir+": 2 error(s):\n"+
		filepath.Join(dir, "lib", "roles.rego")+":3: rego_parse_error: unexpected assign token: expected rule value term (e.g., admin := <VALUE> { ... })\n"+
		"\tadmin := := \"platform-admin\"\n\t         ^\n"+
		filepath.Join(dir, "risk.rego")+":4: rego_parse_error: unexpected eof token: expected rule value term (e.g., reasons := <VALUE> { ... })\n"+
		"\treasons := [\n\t           ^"; got != want {
		t.Errorf("message:\n%s\nwant:\n%s", got, want)
	}
}

// TestDataDefinedByRules checks that a policy reading data that a rule
// defines loads, and that the target of a with keyword, which replaces a
// document whether a rule defines it or not, need not be defined.
func TestDataDefinedByRules(t *testing.T) {
	dir := t.TempDir()
	mustWriteFiles(t, dir, map[string]string{
		"gate.rego": blockingGate + `
blocked_elsewhere if "x" in data.acme.blocked with data.acme.unset as ["x"]
`,
		"lib/lists.rego": "package acme\n\nblocked := [\"registry.example.com/odoo/odoo@sha256:" + strings.Repeat("a", 64) + "\"]\n"})
	e := mustNew(t, dir)
	in := gateInput(nil)
	in.Request.Image = "registry.example.com/odoo/odoo@sha256:" + strings.Repeat("a", 64)
	d, err := e.Gate(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if d.Allow || d.Reasons[0].Code != "BLOCKED" {
		t.Errorf("Gate = %+v, want BLOCKED", d)
	}
}

// blockingGate denies the images listed in data.acme.blocked.
const blockingGate = `package andon.gate

deny contains {"code": "BLOCKED", "message": "the image is blocked"} if input.request.image in data.acme.blocked

allow := count(deny) == 0

reasons := deny if count(deny) > 0 else := [{"code": "ALLOWED", "message": "not blocked"}]
`

func TestPolicyDirectoryBehindLink(t *testing.T) {
	real := t.TempDir()
	mustWriteFiles(t, real, map[string]string{"risk.rego": everythingCritical, "roles.rego": acmeRoles})
	link := filepath.Join(t.TempDir(), "policy")
	if err := os.Symlink(real, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	e := mustNew(t, link)
	want := append(slices.Clone(embeddedExceptRisk), filepath.Join(link, "risk.rego"), filepath.Join(link, "roles.rego"))
	if diff := cmp.Diff(want, e.Modules()); diff != "" {
		t.Errorf("Modules (-want +got):\n%s", diff)
	}
}

func TestNewMissingDirectory(t *testing.T) {
	_, err := policy.New(context.Background(), filepath.Join(t.TempDir(), "nowhere"))
	if err == nil {
		t.Fatal("New succeeded, want an error")
	}
}

func TestReloadKeepsOldPolicyOnError(t *testing.T) {
	dir := t.TempDir()
	mustWriteFiles(t, dir, map[string]string{"risk.rego": everythingCritical, "roles.rego": acmeRoles})
	e := mustNew(t, dir)
	ctx := context.Background()
	in := riskInput(prodLyon, andon.ChangeNormal, andon.Facts{Components: []string{"redis"}})
	tierOf := func() andon.Level { t.Helper(); return mustTier(t, e, in) }
	if got := tierOf(); got != andon.LevelCritical {
		t.Fatalf("tier = %s before reload, want critical", got)
	}

	mustWriteFiles(t, dir, map[string]string{"risk.rego": "package andon.risk\n\ntier := \"low\" if {\n"})
	err := e.Reload(ctx)
	if err == nil || !strings.Contains(andon.ErrorMessage(err), "risk.rego:") {
		t.Fatalf("Reload = %v, want an error naming risk.rego", err)
	}
	if got := tierOf(); got != andon.LevelCritical {
		t.Errorf("tier = %s after a failed reload, want critical from the old policy", got)
	}
	modules := e.Modules()

	mustWriteFiles(t, dir, map[string]string{"roles.rego": "package acme.roles\n\nadmin := 1 +\n"})
	if err := e.Reload(ctx); err == nil {
		t.Fatal("Reload of a broken helper succeeded")
	}
	if diff := cmp.Diff(modules, e.Modules()); diff != "" {
		t.Errorf("Modules changed by a failed reload (-want +got):\n%s", diff)
	}

	// Removing the override brings the embedded andon.risk back.
	mustRemove(t, filepath.Join(dir, "risk.rego"))
	mustWriteFiles(t, dir, map[string]string{"roles.rego": acmeRoles})
	if err := e.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if got := tierOf(); got != andon.LevelMedium {
		t.Errorf("tier = %s after reload, want medium from the embedded policy", got)
	}
}

// TestSwap puts a policy compiled beforehand in force in an engine that
// held the embedded one: the engine decides under it, names its revision
// and modules, and reloads from its directory from then on.
func TestSwap(t *testing.T) {
	dir := t.TempDir()
	mustWriteFiles(t, dir, map[string]string{"risk.rego": everythingCritical, "roles.rego": acmeRoles})
	ctx := context.Background()
	e := mustNew(t, "")
	next := mustNew(t, dir)
	in := riskInput(prodLyon, andon.ChangeNormal, andon.Facts{Components: []string{"redis"}})
	tierOf := func() andon.Level { t.Helper(); return mustTier(t, e, in) }
	if got := tierOf(); got != andon.LevelMedium {
		t.Fatalf("tier = %s before the swap, want medium from the embedded policy", got)
	}
	embedded := e.Revision()

	e.Swap(next)
	if got := tierOf(); got != andon.LevelCritical {
		t.Errorf("tier = %s after the swap, want critical from %s", got, dir)
	}
	if e.Revision() != next.Revision() || e.Revision() == embedded {
		t.Errorf("revision after the swap = %s, want %s (embedded %s)", e.Revision(), next.Revision(), embedded)
	}
	if diff := cmp.Diff(next.Modules(), e.Modules()); diff != "" {
		t.Errorf("modules after the swap (-want +got):\n%s", diff)
	}

	// Reload reads the directory of the policy swapped in, not the
	// embedded bundle alone that e was made with.
	mustWriteFiles(t, dir, map[string]string{"risk.rego": strings.Replace(everythingCritical, `tier := "critical"`, `tier := "high"`, 1)})
	if err := e.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if got := tierOf(); got != andon.LevelHigh {
		t.Errorf("tier = %s after a reload, want high from the changed %s", got, dir)
	}
	// next itself is left as it was compiled.
	d, err := next.Risk(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if d.Tier != andon.LevelCritical {
		t.Errorf("tier of the engine swapped in = %s after e reloaded, want critical", d.Tier)
	}
}

// TestReloadDuringEvaluation reloads between two policies while decisions
// are made; every decision must come whole from one policy or the other.
func TestReloadDuringEvaluation(t *testing.T) {
	dir := t.TempDir()
	mustWriteFiles(t, dir, map[string]string{"risk.rego": everythingCritical, "roles.rego": acmeRoles})
	e := mustNew(t, dir)
	ctx := context.Background()
	in := riskInput(prodLyon, andon.ChangeNormal, andon.Facts{Components: []string{"redis"}})
	gate := gateInput(nil)

	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	report := func(err error) {
		if strings.Contains(err.Error(), fmt.Sprintf("no decision within %s", policy.DecisionTimeout)) {
			// A machine busy compiling the reloads, and running other
			// tests, may take longer than a decision may; the swap is
			// what is tested.
			return
		}
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err)
	}
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				d, err := e.Risk(ctx, in)
				switch {
				case err != nil:
					report(err)
				case d.Tier == andon.LevelCritical && slices.Equal(d.Reasons, []string{"acme classifies every change as critical"}):
				case d.Tier == andon.LevelMedium && len(d.Approvals) == 1 && d.Approvals[0].Role == andon.RoleChangeManager:
				default:
					report(errors.New("Risk answered with a mix of two policies"))
				}
				if g, err := e.Gate(ctx, gate); err != nil {
					report(fmt.Errorf("Gate failed during reload: %w", err))
				} else if !g.Allow {
					report(errors.New("Gate denied during reload"))
				}
			}
		})
	}
	for i := range 20 {
		if i%2 == 0 {
			mustRemove(t, filepath.Join(dir, "risk.rego"))
		} else {
			mustWriteFiles(t, dir, map[string]string{"risk.rego": everythingCritical})
		}
		if err := e.Reload(ctx); err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
}

// TestMalformedDecisions checks that a policy answering with the wrong
// shape is an error, so that the gate fails closed, rather than a default.
func TestMalformedDecisions(t *testing.T) {
	const validRisk = "tier := \"low\"\nreasons := [\"ok\"]\napprovals := []\n"
	const validGate = "allow := true\nreasons := [{\"code\": \"ALLOWED\", \"message\": \"ok\"}]\n"
	tests := []struct {
		name string
		pkg  string // "risk" or "gate"
		body string // replaces the rules of the valid policy it names
		want string // substring of the error
	}{
		{"no tier", "risk", "tier := \"low\" if input.nothing\nreasons := [\"ok\"]\napprovals := []\n", "tier is undefined"},
		{"unknown tier", "risk", "tier := \"severe\"\nreasons := [\"ok\"]\napprovals := []\n", `"severe" is not one of`},
		{"tier not a string", "risk", "tier := 3\nreasons := [\"ok\"]\napprovals := []\n", "tier: 3 is not a string"},
		{"conflicting tiers", "risk", "tier := \"low\" if true\ntier := \"high\" if true\nreasons := [\"ok\"]\napprovals := []\n", "conflict"},
		{"reasons not a list", "risk", "tier := \"low\"\nreasons := \"ok\"\napprovals := []\n", `reasons: "ok" is not an array`},
		{"no reasons", "risk", "tier := \"low\"\nreasons := []\napprovals := []\n", "reasons: is empty"},
		{"reason not a string", "risk", "tier := \"low\"\nreasons := [1]\napprovals := []\n", "reasons: [0]: 1 is not a non-empty string"},
		{"approvals undefined", "risk", "tier := \"low\"\nreasons := [\"ok\"]\napprovals := [] if false\n", "approvals is undefined"},
		{"approval without count", "risk", "tier := \"low\"\nreasons := [\"ok\"]\napprovals := [{\"role\": \"change-manager\"}]\n", `missing field "count"`},
		{"approval with count zero", "risk", "tier := \"low\"\nreasons := [\"ok\"]\napprovals := [{\"role\": \"change-manager\", \"count\": 0}]\n", "[0].count: 0 is not a whole number"},
		{"approval with fractional count", "risk", "tier := \"low\"\nreasons := [\"ok\"]\napprovals := [{\"role\": \"change-manager\", \"count\": 1.5}]\n", "[0].count: 1.5 is not a whole number"},
		{"approval misspelt", "risk", "tier := \"low\"\nreasons := [\"ok\"]\napprovals := [{\"role\": \"change-manager\", \"count\": 1, \"cuont\": 2}]\n", `unexpected field "cuont"`},
		{"approval role twice", "risk", "tier := \"low\"\nreasons := [\"ok\"]\napprovals := [{\"role\": \"change-manager\", \"count\": 1}, {\"role\": \"change-manager\", \"count\": 1}]\n", `role "change-manager" is required twice`},
		{"approval role empty", "risk", "tier := \"low\"\nreasons := [\"ok\"]\napprovals := [{\"role\": \"\", \"count\": 1}]\n", "[0].role"},
		// A role nobody can hold leaves the change waiting for ever.
		{"approval role unknown", "risk", "tier := \"low\"\nreasons := [\"ok\"]\napprovals := [{\"role\": \"wizard\", \"count\": 1}]\n", `[0].role: "wizard" is no role andon grants`},
		{"approval owner of no process of the input", "risk", "tier := \"low\"\nreasons := [\"ok\"]\napprovals := [{\"role\": \"change-manager\", \"count\": 1}, {\"role\": \"process-owner:prodution\", \"count\": 1}]\n", `[1].role: "process-owner:prodution" is no role andon grants`},
		{"approval with negative count", "risk", "tier := \"low\"\nreasons := [\"ok\"]\napprovals := [{\"role\": \"change-manager\", \"count\": -1}]\n", "[0].count: -1 is not a whole number"},
		{"approval with huge count", "risk", "tier := \"low\"\nreasons := [\"ok\"]\napprovals := [{\"role\": \"change-manager\", \"count\": 1e30}]\n", "[0].count: 1e30 is not a whole number from 1 to 1000"},
		{"allow not a boolean", "gate", "allow := \"yes\"\nreasons := [{\"code\": \"ALLOWED\", \"message\": \"ok\"}]\n", `allow: "yes" is not a boolean`},
		{"allow undefined", "gate", "allow if input.nothing\nreasons := [{\"code\": \"ALLOWED\", \"message\": \"ok\"}]\n", "allow is undefined"},
		{"no gate reasons", "gate", "allow := false\nreasons := []\n", "reasons: is empty"},
		{"reason code not upper snake", "gate", "allow := false\nreasons := [{\"code\": \"frozen\", \"message\": \"frozen\"}]\n", "[0].code"},
		{"reason without message", "gate", "allow := false\nreasons := [{\"code\": \"FROZEN\"}]\n", `missing field "message"`},
		{"reason a string", "gate", "allow := false\nreasons := [\"frozen\"]\n", `[0]: "frozen" is not an object`},
		{"builtin error", "gate", "allow := time.parse_rfc3339_ns(\"yesterday\") > 0\nreasons := [{\"code\": \"ALLOWED\", \"message\": \"ok\"}]\n", "time.parse_rfc3339_ns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			mustWriteFiles(t, dir, map[string]string{
				"risk.rego": "package andon.risk\n\n" + validRisk,
				"gate.rego": "package andon.gate\n\n" + validGate,
			})
			mustWriteFiles(t, dir, map[string]string{tt.pkg + ".rego": "package andon." + tt.pkg + "\n\n" + tt.body})
			e := mustNew(t, dir)
			var err error
			if tt.pkg == "risk" {
				_, err = e.Risk(context.Background(), riskInput(prodLyon, andon.ChangeNormal, andon.Facts{}))
			} else {
				_, err = e.Gate(context.Background(), gateInput(nil))
			}
			if err == nil {
				t.Fatal("no error, want one")
			}
			if code := andon.ErrorCode(err); code != andon.EINTERNAL {
				t.Errorf("error code = %s, want %s", code, andon.EINTERNAL)
			}
			if msg := andon.ErrorMessage(err); !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not contain %q", msg, tt.want)
			}
		})
	}
}

// TestMalformedDecisionNamesRules checks that an answer of the wrong shape
// from a package of the policy directory names the file and line of every
// rule of the output at fault, as an evaluation error names its line.
func TestMalformedDecisionNamesRules(t *testing.T) {
	dir := t.TempDir()
	mustWriteFiles(t, dir, map[string]string{
		"risk.rego": "package andon.risk\n\ntier := \"low\" if input.nothing\n\nreasons := [\"ok\"]\n\napprovals := []\n",
		"gate.rego": "package andon.gate\n\ndefault allow := \"no\"\n\nallow := \"yes\" if input.nothing\n\nreasons contains {\"code\": \"ALLOWED\", \"message\": \"ok\"}\n",
		"more.rego": "package andon.gate\n\nreasons contains {\"code\": \"lower\", \"message\": \"ok\"} if input.request.dryRun\n",
	})
	e := mustNew(t, dir)
	ctx := context.Background()
	gate, more, risk := filepath.Join(dir, "gate.rego"), filepath.Join(dir, "more.rego"), filepath.Join(dir, "risk.rego")

	_, err := e.Risk(ctx, riskInput(prodLyon, andon.ChangeNormal, andon.Facts{}))
	if got, want := andon.ErrorMessage(err), "andon.risk: "+risk+":3: tier is undefined for this input"; got != want {
		t.Errorf("Risk error = %q, want %q", got, want)
	}
	_, err = e.Gate(ctx, gateInput(nil))
	if got, want := andon.ErrorMessage(err), "andon.gate: "+gate+`:3, 5: allow: "no" is not a boolean`; got != want {
		t.Errorf("Gate error = %q, want %q", got, want)
	}

	// Once allow is right, the reasons of two files are named by both.
	mustWriteFiles(t, dir, map[string]string{"gate.rego": "package andon.gate\n\nallow := false\n\nreasons contains {\"code\": \"ALLOWED\", \"message\": \"ok\"}\n"})
	in := gateInput(nil)
	in.Request.DryRun = true
	_, err = mustNew(t, dir).Gate(ctx, in)
	if got, want := andon.ErrorMessage(err), "andon.gate: "+gate+":5 and "+more+":3: reasons: "; !strings.HasPrefix(got, want) {
		t.Errorf("Gate error = %q, want it to begin %q", got, want)
	}
}

func TestReasonsAsSet(t *testing.T) {
	// A partial set rule is the natural way to write reasons in Rego; its
	// value arrives in Rego's sort order.
	dir := t.TempDir()
	mustWriteFiles(t, dir, map[string]string{"gate.rego": `package andon.gate

allow := false

reasons contains {"code": "B_RULE", "message": "second"}

reasons contains {"code": "A_RULE", "message": "first"}
`})
	got, err := mustNew(t, dir).Gate(context.Background(), gateInput(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := denied(andon.Reason{Code: "A_RULE", Message: "first"}, andon.Reason{Code: "B_RULE", Message: "second"})
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(andon.GateDecision{}, "Policy")); diff != "" {
		t.Errorf("Gate (-want +got):\n%s", diff)
	}
}

// endless iterates over far more than a decision ever needs, without
// keeping what it visits: it would run for hours.
const endless = `{
	some i in numbers.range(1, 3000)
	some j in numbers.range(1, 3000)
	some k in numbers.range(1, 3000)
	i * j * k < 0
}`

// TestSlowDecisionIsStopped checks that a decision that runs too long is
// stopped and fails, so that the gate denies, rather than holding its
// caller, and the store's writer a gate decision is made in, for as long
// as it runs.
func TestSlowDecisionIsStopped(t *testing.T) {
	dir := t.TempDir()
	mustWriteFiles(t, dir, map[string]string{
		"gate.rego": "package andon.gate\n\ndefault allow := false\n\nallow if " + endless + "\n\nreasons := [{\"code\": \"ALLOWED\", \"message\": \"ok\"}]\n",
		"risk.rego": "package andon.risk\n\ntier := \"low\" if " + endless + "\n\nreasons := [\"ok\"]\n\napprovals := []\n",
	})
	e := mustNew(t, dir)
	want := fmt.Sprintf("no decision within %s, so the evaluation was stopped", policy.DecisionTimeout)
	_, err := e.Gate(context.Background(), gateInput(nil))
	if andon.ErrorCode(err) != andon.EINTERNAL || !strings.Contains(andon.ErrorMessage(err), "andon.gate: "+want) {
		t.Errorf("Gate error = %v, want one saying %q", err, want)
	}
	_, err = e.Risk(context.Background(), riskInput(prodLyon, andon.ChangeNormal, andon.Facts{}))
	if andon.ErrorCode(err) != andon.EINTERNAL || !strings.Contains(andon.ErrorMessage(err), "andon.risk: "+want) {
		t.Errorf("Risk error = %v, want one saying %q", err, want)
	}

	// A caller that gives up first is told so, and can tell by its
	// context's error: nothing failed in the policy.
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(50 * time.Millisecond)
		cancel()
	}()
	_, err = e.Gate(ctx, gateInput(nil))
	if !errors.Is(err, context.Canceled) || !strings.Contains(andon.ErrorMessage(err), "the request ended before the policy decided") {
		t.Errorf("Gate with a cancelled context: %v, want context.Canceled", err)
	}
}

// A package named like andon's that andon does not query and nothing
// refers to is most likely misspelt: the package it was meant to replace
// is still the embedded one, and Warnings says so. Helper packages, those
// under andon's and those referred to, are no mistake.
func TestWarningsNameAMisspeltPackage(t *testing.T) {
	dir := t.TempDir()
	mustWriteFiles(t, dir, map[string]string{
		"gate.rego":      "package andon.gates\n\nallow := false\n\nreasons := [{\"code\": \"NEVER\", \"message\": \"never\"}]\n",
		"risk.rego":      everythingCritical,
		"roles.rego":     acmeRoles,
		"lib/tiers.rego": "package andon.lib.tiers\n\ntop := \"critical\"\n",
		"helper.rego":    "package andon.gate.helpers\n\nx := 1\n",
		"other.rego":     "package acme.unused\n\ny := 2\n",
		"use.rego":       "package acme.uses\n\nimport data.andon.lib.tiers\n\nz := tiers.top\n",
	})
	e := mustNew(t, dir)
	want := []string{"package andon.gates (" + filepath.Join(dir, "gate.rego") + ") is not one andon queries (andon.risk, andon.gate, andon.manifests), and no module refers to it: if it was meant to replace one, that one is still the embedded package"}
	if diff := cmp.Diff(want, e.Warnings()); diff != "" {
		t.Errorf("Warnings (-want +got):\n%s", diff)
	}
	if w := mustNew(t, "").Warnings(); len(w) != 0 {
		t.Errorf("the embedded policy warns: %v", w)
	}
}

// mustTier returns the tier e gives the change of in.
func mustTier(t *testing.T, e *policy.Engine, in *andon.RiskInput) andon.Level {
	t.Helper()
	d, err := e.Risk(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return d.Tier
}

// EmergencyValidity is the emergency_validity of the andon.gate in force,
// read when it is prepared, reloaded or swapped in: 0 when the package
// defines none, or one that depends on the input, and a policy whose value
// is not a positive duration is refused.
func TestEmergencyValidity(t *testing.T) {
	const gate = `package andon.gate

allow := true

reasons := [{"code": "ALLOWED", "message": "anything goes"}]
`
	ctx := context.Background()
	e := mustNew(t, "")
	if got := e.EmergencyValidity(); got != 48*time.Hour {
		t.Errorf("embedded policy: EmergencyValidity() = %s, want 48h", got)
	}
	for _, tt := range []struct {
		name, rule string
		want       time.Duration
	}{
		{"none", "", 0},
		{"a day", `emergency_validity := "24h"`, 24 * time.Hour},
		{"from the input", `emergency_validity := "1h" if input.change.type == "emergency"`, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			mustWriteFiles(t, dir, map[string]string{"gate.rego": gate + tt.rule + "\n"})
			next := mustNew(t, dir)
			if got := next.EmergencyValidity(); got != tt.want {
				t.Errorf("EmergencyValidity() = %s, want %s", got, tt.want)
			}
			swapped := mustNew(t, "")
			swapped.Swap(next)
			if got := swapped.EmergencyValidity(); got != tt.want {
				t.Errorf("EmergencyValidity() after a swap = %s, want %s", got, tt.want)
			}
			mustWriteFiles(t, dir, map[string]string{"gate.rego": gate + `emergency_validity := "90m"` + "\n"})
			if err := swapped.Reload(ctx); err != nil {
				t.Fatal(err)
			}
			if got := swapped.EmergencyValidity(); got != 90*time.Minute {
				t.Errorf("EmergencyValidity() after a reload = %s, want 1h30m", got)
			}
		})
	}
	for _, rule := range []string{`emergency_validity := "two days"`, `emergency_validity := 48`, `emergency_validity := "-1h"`} {
		dir := t.TempDir()
		mustWriteFiles(t, dir, map[string]string{"gate.rego": gate + rule + "\n"})
		_, err := policy.New(ctx, dir)
		if msg := andon.ErrorMessage(err); andon.ErrorCode(err) != andon.EINVALID || !strings.Contains(msg, "gate.rego): emergency_validity is ") || !strings.Contains(msg, `not a positive duration such as "48h"`) {
			t.Errorf("%s: New = %v; want invalid, naming emergency_validity", rule, err)
		}
	}
}

// BackupFreshness is the backup_freshness of the andon.gate in force,
// read as emergency_validity is: 0 when the package defines none, and a
// policy whose value is not a positive duration is refused.
func TestBackupFreshness(t *testing.T) {
	const gate = `package andon.gate

allow := true

reasons := [{"code": "ALLOWED", "message": "anything goes"}]
`
	ctx := context.Background()
	if got := mustNew(t, "").BackupFreshness(); got != 24*time.Hour {
		t.Errorf("embedded policy: BackupFreshness() = %s, want 24h", got)
	}
	for _, tt := range []struct {
		name, rule string
		want       time.Duration
	}{
		{"none", "", 0},
		{"six hours", `backup_freshness := "6h"`, 6 * time.Hour},
	} {
		dir := t.TempDir()
		mustWriteFiles(t, dir, map[string]string{"gate.rego": gate + tt.rule + "\n"})
		if got := mustNew(t, dir).BackupFreshness(); got != tt.want {
			t.Errorf("%s: BackupFreshness() = %s, want %s", tt.name, got, tt.want)
		}
	}
	dir := t.TempDir()
	mustWriteFiles(t, dir, map[string]string{"gate.rego": gate + `backup_freshness := "a day"` + "\n"})
	_, err := policy.New(ctx, dir)
	if msg := andon.ErrorMessage(err); andon.ErrorCode(err) != andon.EINVALID || !strings.Contains(msg, "gate.rego): backup_freshness is ") {
		t.Errorf("New = %v; want invalid, naming backup_freshness", err)
	}
}
