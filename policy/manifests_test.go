package policy_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/manifest"
	"github.com/andon-governance/andon/policy"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// mustManifestPolicy returns an engine whose andon.manifests is rego.
func mustManifestPolicy(t *testing.T, rego string) *policy.Engine {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "manifests.rego"), []byte("package andon.manifests\n"+rego), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := policy.New(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

var twoObjects = []policy.ManifestObject{
	{Ref: andon.ObjectRef{Kind: "ConfigMap", Name: "conf", File: "a.yaml", Line: 9}, Doc: map[string]any{"kind": "ConfigMap"},
		OdooConf: map[string]map[string]map[string]string{"odoo.conf": {"options": {"list_db": "True"}}}},
	{Ref: andon.ObjectRef{Kind: "Deployment", Name: "odoo", File: "a.yaml", Line: 1}, Doc: map[string]any{"kind": "Deployment"}},
}

func TestManifestsReadsTheContract(t *testing.T) {
	e := mustManifestPolicy(t, `
rules := {"list-db": {"severity": "deny", "title": "t", "anchor": "list-db"}, "ns": {"severity": "warn", "title": "t", "anchor": "ns"}}
findings contains {"rule": "list-db", "object": o.index, "message": "list_db is on"} if {
	some o in input.objects
	o.odooConf["odoo.conf"].options.list_db == "True"
}
findings contains {"rule": "ns", "object": 1, "message": concat(",", input.settings.allowedRegistries)} if input.settings.traefikMajor == 3
`)
	rep, err := e.Manifests(context.Background(), twoObjects, policy.ManifestSettings{TraefikMajor: 3, AllowedRegistries: []string{"r.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 2 {
		t.Fatalf("findings = %+v, want 2", rep.Findings)
	}
	// In file order: the Deployment at line 1 first.
	if f := rep.Findings[0]; f.Rule != "ns" || f.Severity != andon.SeverityWarn || f.Object.Name != "odoo" || f.Message != "r.example.com" {
		t.Errorf("first finding = %+v", f)
	}
	if f := rep.Findings[1]; f.Rule != "list-db" || f.Severity != andon.SeverityDeny || f.Object.Line != 9 {
		t.Errorf("second finding = %+v", f)
	}
}

func TestManifestsRefusesAMalformedAnswer(t *testing.T) {
	tests := []struct{ name, rego, want string }{
		{"undeclared rule", `rules := {}
findings contains {"rule": "x", "object": 0, "message": "m"}`, `rule "x" is not declared`},
		{"bad index", `rules := {"x": {"severity": "deny", "title": "t", "anchor": "x"}}
findings contains {"rule": "x", "object": 7, "message": "m"}`, "not the index of an input object"},
		{"no message", `rules := {"x": {"severity": "deny", "title": "t", "anchor": "x"}}
findings contains {"rule": "x", "object": 0, "message": " "}`, "no message"},
		// An answer that is not a list of findings is not "no findings":
		// the manifests would pass unchecked.
		{"null findings", `rules := {"x": {"severity": "deny", "title": "t", "anchor": "x"}}
findings := null`, "findings: null is not an array"},
		{"findings an object", `rules := {"x": {"severity": "deny", "title": "t", "anchor": "x"}}
findings := {"x": 0}`, "is not an array"},
		{"a finding a string", `rules := {"x": {"severity": "deny", "title": "t", "anchor": "x"}}
findings := ["x"]`, `[0]: "x" is not an object {rule, object, message}`},
		{"a finding without rule", `rules := {"x": {"severity": "deny", "title": "t", "anchor": "x"}}
findings := [{"object": 0, "message": "m"}]`, "[0]: rule: nothing is not a string"},
		{"an index as a string", `rules := {"x": {"severity": "deny", "title": "t", "anchor": "x"}}
findings := [{"rule": "x", "object": "0", "message": "m"}]`, `[0]: object: "0" is not the index of an input object`},
		{"a fractional index", `rules := {"x": {"severity": "deny", "title": "t", "anchor": "x"}}
findings := [{"rule": "x", "object": 0.5, "message": "m"}]`, "[0]: object: 0.5 is not the index"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustManifestPolicy(t, tt.rego)
			_, err := e.Manifests(context.Background(), twoObjects, policy.ManifestSettings{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Manifests error = %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// The rules are evaluated once, when the policy loads: a bad rule stops
// the load, as a policy that does not compile does.
func TestManifestRulesAreCheckedAtLoad(t *testing.T) {
	for _, tt := range []struct{ name, rego, want string }{
		{"bad severity", `rules := {"x": {"severity": "fatal", "title": "t", "anchor": "x"}}
findings := set()`, `x: severity "fatal" is not deny or warn`},
		{"bad scope", `rules := {"x": {"severity": "deny", "scope": "cluster", "title": "t", "anchor": "x"}}
findings := set()`, `x: scope "cluster" is not object or set`},
		{"a title not a string", `rules := {"x": {"severity": "deny", "title": 3, "anchor": "x"}}
findings := set()`, "rules: x: title is a number, want a string"},
		{"an entry not an object", `rules := {"x": "deny"}
findings := set()`, "rules: x: a string, want an object with severity, scope, title and anchor"},
		{"rules null", `rules := null
findings := null`, "rules: null is not an object keyed by rule id"},
		{"rules from the input", `rules := {"x": {"severity": "deny", "title": "t", "anchor": "x"}} if count(input.objects) > 0
findings := set()`, "rules"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "m.rego"), []byte("package andon.manifests\n"+tt.rego+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := policy.New(context.Background(), dir)
			if andon.ErrorCode(err) != andon.EINVALID || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("policy.New error = %v, want invalid with %q", err, tt.want)
			}
		})
	}
	// A rule that says no scope is a set rule.
	e := mustManifestPolicy(t, `rules := {"x": {"severity": "warn", "title": "t", "anchor": "x"}}
findings := set()`)
	rep, err := e.Manifests(context.Background(), nil, policy.ManifestSettings{})
	if err != nil || rep.Rules["x"].Scope != andon.ScopeSet {
		t.Errorf("rules = %+v, %v; want x of scope set", rep.Rules, err)
	}
}

func TestManifestsPackageIsRequired(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "m.rego"), []byte("package andon.manifests\nrules := {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := policy.New(context.Background(), dir); err == nil || !strings.Contains(err.Error(), "defines no rule findings") {
		t.Errorf("a manifests package without findings: %v, want refused at load", err)
	}
}

// TestObjectScopedRulesNeedOnlyTheirObject checks the scope of every
// default rule that claims to need only the object it reports: each object
// of the two test stacks, checked alone as the admission webhook checks it,
// must not draw a finding of such a rule that the whole stack does not
// draw. A rule that fires because another object is missing (the
// namespace's NetworkPolicy, the ConfigMap holding odoo.conf) must be
// scoped to the set. And the set rules, which skip themselves when the
// input is one object (ObjectManifests), must be all that is skipped.
func TestObjectScopedRulesNeedOnlyTheirObject(t *testing.T) {
	ctx := context.Background()
	e := mustNew(t, "")
	settings := policy.ManifestSettings{
		AllowedRegistries: []string{"registry.example.com"},
		TraefikMajor:      3,
		Namespaces: map[string]policy.ManifestNamespace{
			"odoo-prod-lyon":    {Environment: "prod-lyon", Stage: "production", RTO: "4h", RPO: "15m"},
			"odoo-staging-lyon": {Environment: "staging-lyon", Stage: "staging"},
		},
	}
	scoped := 0
	read := func(stack string, replace ...string) []*manifest.Object {
		t.Helper()
		paths, err := filepath.Glob(filepath.Join("..", "testdata", "stacks", stack, "*.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var objs []*manifest.Object
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			got, err := manifest.Parse(p, []byte(strings.NewReplacer(replace...).Replace(string(b))))
			if err != nil {
				t.Fatal(err)
			}
			objs = append(objs, got...)
		}
		return objs
	}
	for stack, objs := range map[string][]*manifest.Object{
		"good-production": read("good-production"),
		"bad-staging":     read("bad-staging"),
		// Odoo's data_dir elsewhere than its default, set in the
		// odoo.conf of a Secret: a workload alone cannot show where it is.
		"good-production with data_dir /data": read("good-production", "/var/lib/odoo", "/data"),
	} {
		all := make([]policy.ManifestObject, len(objs))
		for i, o := range objs {
			all[i] = policy.ManifestObject{Ref: o.ObjectRef, Doc: o.Doc, OdooConf: o.OdooConf}
		}
		whole, err := e.Manifests(ctx, all, settings)
		if err != nil {
			t.Fatal(err)
		}
		inWhole := map[andon.ManifestFinding]bool{}
		for _, f := range whole.Findings {
			inWhole[f] = true
		}
		for i := range all {
			alone, err := e.Manifests(ctx, all[i:i+1], settings)
			if err != nil {
				t.Fatal(err)
			}
			var want []andon.ManifestFinding
			for _, f := range alone.Findings {
				if alone.Rules[f.Rule].Scope != andon.ScopeObject {
					continue
				}
				want = append(want, f)
				scoped++
				if !inWhole[f] {
					t.Errorf("%s: rule %s has scope object, but %s %s alone draws a finding the whole stack does not: %s",
						stack, f.Rule, f.Object.Kind, f.Object.Name, f.Message)
				}
			}
			// Reviewed as the admission webhook reviews it, where the set
			// rules skip themselves, the object draws the same findings
			// of the object rules and nothing else.
			obj, err := e.ObjectManifests(ctx, all[i], settings)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, obj.Findings, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s: %s %s: ObjectManifests differs from the object rules' findings of Manifests (-want +got):\n%s",
					stack, all[i].Ref.Kind, all[i].Ref.Name, diff)
			}
		}
	}
	if scoped == 0 {
		t.Error("no object-scoped finding at all: the stacks no longer exercise the scopes")
	}
}

// TestPartitionedChecksFindWhatTheWholeSetFinds compares the embedded
// rules, which Manifests evaluates over independent groups of objects in
// parallel, with the same rules loaded from a directory, which it
// evaluates over the whole set at once: on every corpus the findings must
// be the same.
func TestPartitionedChecksFindWhatTheWholeSetFinds(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	files, err := filepath.Glob(filepath.Join("bundle", "manifests*.rego"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.rego") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	parts, whole := mustNew(t, ""), mustNew(t, dir)

	stack := func(name string, replace ...string) []policy.ManifestObject {
		t.Helper()
		paths, err := filepath.Glob(filepath.Join("..", "testdata", "stacks", name, "*.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var out []policy.ManifestObject
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			objs, err := manifest.Parse(p+strings.Join(replace, ""), []byte(strings.NewReplacer(replace...).Replace(string(b))))
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range objs {
				out = append(out, policy.ManifestObject{Ref: o.ObjectRef, Doc: o.Doc, OdooConf: o.OdooConf})
			}
		}
		return out
	}
	var copies, sharedHost, crossRefs []policy.ManifestObject
	for i := range 12 {
		copies = append(copies, stack("good-production", "odoo-prod-lyon", fmt.Sprintf("odoo-prod-%d", i), "erp-lyon", fmt.Sprintf("erp-%d", i))...)
		sharedHost = append(sharedHost, stack("good-production", "odoo-prod-lyon", fmt.Sprintf("odoo-prod-%d", i))...)
	}
	// The second copy's routes use the first's allow list and TLSOption,
	// which the second copy does not have: only together do they pass.
	crossRefs = append(stack("good-production", "erp-lyon", "erp-a", "odoo-prod-lyon", "odoo-a"),
		stack("good-production", "erp-lyon", "erp-b", "odoo-prod-lyon", "odoo-b",
			"- name: it-network-only", "- {name: it-network-only, namespace: odoo-a}",
			"name: it-network-only\n", "name: unused-allow-list\n",
			"      name: odoo-tls\n", "      name: odoo-tls\n      namespace: odoo-a\n",
			"name: odoo-tls\n", "name: unused-tls\n")...)
	// Two namespaces serve one host: only the first guards the database
	// manager, and Traefik applies its route to the second's too.
	oneHost := append(stack("good-production", "erp-lyon", "erp-shared", "odoo-prod-lyon", "odoo-a"),
		stack("good-production", "erp-lyon", "erp-shared", "odoo-prod-lyon", "odoo-b",
			"(PathPrefix(`/web/database`) || PathPrefix(`/xmlrpc/db`) || PathPrefix(`/xmlrpc/2/db`))", "PathPrefix(`/unused`)")...)
	for _, tt := range []struct {
		name string
		objs []policy.ManifestObject
	}{
		{"two namespaces on one host", oneHost},
		{"both stacks", append(stack("good-production"), stack("bad-staging")...)},
		{"twelve environments", copies},
		{"twelve environments on one host", sharedHost},
		{"references across namespaces", crossRefs},
		{"both stacks and the environments", append(append(stack("bad-staging"), copies...), stack("good-production")...)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			settings := policy.ManifestSettings{
				AllowedRegistries: []string{"registry.example.com"},
				TraefikMajor:      3,
				Namespaces: map[string]policy.ManifestNamespace{
					"odoo-prod-lyon":    {Environment: "prod-lyon", Stage: "production", RTO: "4h", RPO: "15m"},
					"odoo-prod-3":       {Environment: "prod-3", Stage: "production", RTO: "1h", RPO: "5m"},
					"odoo-staging-lyon": {Environment: "staging-lyon", Stage: "staging"},
				},
			}
			got, err := parts.Manifests(ctx, tt.objs, settings)
			if err != nil {
				t.Fatal(err)
			}
			want, err := whole.Manifests(ctx, tt.objs, settings)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want.Findings, got.Findings); diff != "" {
				t.Errorf("findings in parts differ from the whole set's (-whole +parts):\n%s", diff)
			}
		})
	}
}
