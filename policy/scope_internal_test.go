package policy

import (
	"context"
	"testing"

	"github.com/andon-governance/andon"
	"github.com/open-policy-agent/opa/v1/ast"
)

// TestSetRulesStartWithWholeSet reads the embedded andon.manifests: every
// rule of findings for a rule of scope set must begin with whole_set, so
// that an admission review, which wants the object rules only, does not
// evaluate it. A missing guard costs time, not correctness (ObjectManifests
// drops set findings anyway), which no behaviour test would show.
func TestSetRulesStartWithWholeSet(t *testing.T) {
	mods, err := modules("", false)
	if err != nil {
		t.Fatal(err)
	}
	p, err := load(context.Background(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	guarded := map[string]bool{}
	for name, m := range mods {
		if m.Package.Path.String() != "data.andon.manifests" {
			continue
		}
		for _, r := range m.Rules {
			if r.Head.Ref().String() != "findings" {
				continue
			}
			call, ok := r.Head.Key.Value.(ast.Call)
			if !ok || len(call) < 2 || call[0].String() != "finding" {
				t.Errorf("%s:%d: a finding not built by finding(rule, …): cannot tell its rule", name, r.Location.Row)
				continue
			}
			id, ok := call[1].Value.(ast.String)
			if !ok {
				t.Errorf("%s:%d: finding's rule is not a string", name, r.Location.Row)
				continue
			}
			first := r.Body[0]
			starts := first.String() == "whole_set"
			rule, known := p.manifestRules[string(id)]
			switch {
			case !known:
				t.Errorf("%s:%d: finding of %q, a rule the catalogue does not declare", name, r.Location.Row, id)
			case rule.Scope == andon.ScopeSet && !starts:
				t.Errorf("%s:%d: %s is scoped to the set but begins with %s, not whole_set", name, r.Location.Row, id, first)
			case rule.Scope == andon.ScopeObject && starts:
				t.Errorf("%s:%d: %s is scoped to the object but begins with whole_set", name, r.Location.Row, id)
			}
			guarded[string(id)] = guarded[string(id)] || starts
		}
	}
	for id, rule := range p.manifestRules {
		if rule.Scope == andon.ScopeSet && !guarded[id] {
			t.Errorf("set rule %s has no finding rule beginning with whole_set", id)
		}
	}
}
