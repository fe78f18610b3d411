package policy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/andon-governance/andon"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown/print"
)

// ManifestObject is one Kubernetes object as the manifest policy sees it.
type ManifestObject struct {
	Ref andon.ObjectRef
	// Doc is the object as written.
	Doc map[string]any
	// OdooConf holds the odoo.conf files of a ConfigMap or Secret by data
	// key, then section, option and value.
	OdooConf map[string]map[string]map[string]string
}

// ManifestSettings are the facts of the estate the rules need.
type ManifestSettings struct {
	// AllowedRegistries are the registries images may come from; none
	// means any.
	AllowedRegistries []string `json:"allowedRegistries"`
	// TraefikMajor is the major version of Traefik in use.
	TraefikMajor int `json:"traefikMajor"`
	// Namespaces are the namespaces of governed environments.
	Namespaces map[string]ManifestNamespace `json:"namespaces"`
}

// ManifestNamespace describes the governed environment of a namespace.
type ManifestNamespace struct {
	Environment string `json:"environment"`
	Stage       string `json:"stage"`
	// RPO and RTO are the strictest objectives of the environment's
	// processes, as Go durations ("15m0s"), when it has any.
	RPO string `json:"rpo,omitempty"`
	RTO string `json:"rto,omitempty"`
	// HostPorts are the ports of the node the environment's containers
	// may bind (hostPort).
	HostPorts []int `json:"hostPorts,omitempty"`
}

// SettingsOf returns the settings the catalog gives: its governed
// namespaces, each with its environment's stage, the strictest RPO and
// RTO of its processes and its allowed host ports, and the allowed
// registries, all of them or, when
// env is not "", that environment's only. TraefikMajor is left to the
// caller.
func SettingsOf(cat *andon.Catalog, env string) ManifestSettings {
	s := ManifestSettings{Namespaces: map[string]ManifestNamespace{}}
	for _, e := range cat.Environments {
		if env != "" && e.Name != env {
			continue
		}
		s.AllowedRegistries = append(s.AllowedRegistries, e.Kubernetes.Registries...)
		if e.Kubernetes.Namespace == "" {
			continue
		}
		ns := ManifestNamespace{Environment: e.Name, Stage: string(e.Stage), HostPorts: e.Kubernetes.HostPorts}
		var rpo, rto time.Duration
		for _, p := range e.Processes {
			if bp := cat.Process(p); bp != nil {
				if rpo == 0 || bp.RPO < rpo {
					rpo = bp.RPO
				}
				if rto == 0 || bp.RTO < rto {
					rto = bp.RTO
				}
			}
		}
		if rpo > 0 {
			ns.RPO = rpo.String()
		}
		if rto > 0 {
			ns.RTO = rto.String()
		}
		s.Namespaces[e.Kubernetes.Namespace] = ns
	}
	slices.Sort(s.AllowedRegistries)
	s.AllowedRegistries = slices.Compact(s.AllowedRegistries)
	return s
}

// ManifestReport is what the manifest policy found in a set of objects.
type ManifestReport struct {
	// Rules describes every rule of the policy, by ID. It is the policy's
	// own map, shared by every report: read it, do not change it.
	Rules map[string]andon.ManifestRule
	// Findings are in object order, then by rule and message.
	Findings []andon.ManifestFinding
}

// Manifests evaluates andon.manifests over a set of objects together, so
// that rules can weigh an object against its neighbours (a Deployment
// against the PersistentVolumeClaim it mounts, a namespace's workloads
// against its NetworkPolicy). It fails when the policy answers with a
// finding of an undeclared rule, an unknown severity or a bad object
// index: the caller then cannot vouch for the manifests.
//
// The embedded rules relate objects of one namespace, of namespaces that
// name each other and of routes that share a host, nothing else; so with
// them the set is split into the groups that partition finds, evaluated in
// parallel, with the same findings as the whole set at once. A package
// andon.manifests of --policy DIR, which may relate anything, is evaluated
// over the whole set.
func (e *Engine) Manifests(ctx context.Context, objs []ManifestObject, settings ManifestSettings) (*ManifestReport, error) {
	return e.manifests(ctx, objs, settings, andon.ScopeSet)
}

// ObjectManifests evaluates the rules of andon.manifests scoped to the
// object over one object alone, as the admission webhook reviews it: the
// findings of rules scoped to the set, which weigh other objects or their
// absence, are not wanted, and the input says so (scope "object") so that
// those rules need not be evaluated.
func (e *Engine) ObjectManifests(ctx context.Context, obj ManifestObject, settings ManifestSettings) (*ManifestReport, error) {
	r, err := e.manifests(ctx, []ManifestObject{obj}, settings, andon.ScopeObject)
	if err != nil {
		return nil, err
	}
	// A policy of --policy DIR may not skip its set rules.
	r.Findings = slices.DeleteFunc(r.Findings, func(f andon.ManifestFinding) bool {
		return r.Rules[f.Rule].Scope != andon.ScopeObject
	})
	return r, nil
}

// manifests evaluates the findings of andon.manifests over objs, the
// findings of the rules of scope only when it is andon.ScopeObject.
func (e *Engine) manifests(ctx context.Context, objs []ManifestObject, settings ManifestSettings, scope string) (*ManifestReport, error) {
	p := e.state.Load()
	groups := [][]int{nil}
	if p.embeddedManifests {
		groups = partition(objs)
	}
	r := &ManifestReport{Rules: p.manifestRules, Findings: []andon.ManifestFinding{}}
	results := make([][]andon.ManifestFinding, len(groups))
	errs := make([]error, len(groups))
	eval := func(g int) {
		results[g], errs[g] = p.manifestFindings(ctx, objs, groups[g], settings, scope)
	}
	// The groups are evaluated by as many goroutines as there are
	// processors; a prepared query may be evaluated concurrently. One
	// group (one object under review) is evaluated by the caller: OPA's
	// evaluation recurses deeply, and a new goroutine's stack, grown by
	// copying again and again, cost an admission review a quarter of its
	// time, where a server's connection keeps its grown stack.
	if workers := min(runtime.GOMAXPROCS(0), len(groups)); workers <= 1 {
		for g := range groups {
			eval(g)
		}
	} else {
		next := make(chan int)
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for g := range next {
					eval(g)
				}
			}()
		}
		for g := range groups {
			next <- g
		}
		close(next)
		wg.Wait()
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, f := range results {
		r.Findings = append(r.Findings, f...)
	}
	slices.SortStableFunc(r.Findings, func(a, b andon.ManifestFinding) int {
		if c := strings.Compare(a.Object.File, b.Object.File); c != 0 {
			return c
		}
		if a.Object.Line != b.Object.Line {
			return a.Object.Line - b.Object.Line
		}
		if c := strings.Compare(a.Rule, b.Rule); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
	return r, nil
}

// manifestFindings evaluates the findings of andon.manifests over the
// objects of objs whose indexes are in group, or all of them when group is
// nil, with scope as the input's.
func (p *prepared) manifestFindings(ctx context.Context, objs []ManifestObject, group []int, settings ManifestSettings, scope string) ([]andon.ManifestFinding, error) {
	part := objs
	if group != nil {
		part = make([]ManifestObject, len(group))
		for i, o := range group {
			part[i] = objs[o]
		}
	}
	input, err := manifestInput(part, settings, scope)
	if err != nil {
		return nil, err
	}
	var hook print.Hook
	if p.manifests.print != nil {
		hook = p.manifests.print.hook("manifests")
	}
	out, err := p.manifests.eval(ctx, input, 0, hook)
	if err != nil {
		return nil, err
	}
	items, err := list(out["findings"])
	if err != nil {
		return nil, p.manifests.invalid("findings", err)
	}
	findings := make([]andon.ManifestFinding, 0, len(items))
	for i, it := range items {
		rule, object, message, err := p.finding(it, len(part))
		if err != nil {
			return nil, p.manifests.invalid("findings", fmt.Errorf("[%d]: %w", i, err))
		}
		findings = append(findings, andon.ManifestFinding{Rule: rule, Severity: p.manifestRules[rule].Severity, Message: message, Object: part[object].Ref})
	}
	return findings, nil
}

// finding reads one finding of andon.manifests, {rule, object, message},
// over n objects: the rule declared in rules, the object the index of
// one of them. Fields the contract does not name are left alone.
func (p *prepared) finding(t *ast.Term, n int) (rule string, object int, message string, err error) {
	obj, ok := t.Value.(ast.Object)
	if !ok {
		return "", 0, "", fmt.Errorf("%s is not an object {rule, object, message}", describe(t))
	}
	id, ok := valueOf(obj, "rule").(ast.String)
	if !ok {
		return "", 0, "", fmt.Errorf("rule: %s is not a string", describe(field(obj, "rule")))
	}
	if _, ok := p.manifestRules[string(id)]; !ok {
		return "", 0, "", fmt.Errorf("rule %q is not declared in rules", string(id))
	}
	index, ok := valueOf(obj, "object").(ast.Number)
	i, err := json.Number(index).Int64()
	if !ok || err != nil || i < 0 || i >= int64(n) {
		return "", 0, "", fmt.Errorf("object: %s is not the index of an input object", describe(field(obj, "object")))
	}
	msg, ok := valueOf(obj, "message").(ast.String)
	if !ok || strings.TrimSpace(string(msg)) == "" {
		return "", 0, "", fmt.Errorf("no message: %s is not a non-empty string", describe(field(obj, "message")))
	}
	return string(id), int(i), string(msg), nil
}

// valueOf returns the value of obj's key, or nil when obj has none.
func valueOf(obj ast.Object, key string) ast.Value {
	if t := field(obj, key); t != nil {
		return t.Value
	}
	return nil
}

// manifestRules evaluates the rules of andon.manifests, which do not
// depend on the input: once, when the policy is loaded, so that each check
// evaluates the findings only.
func manifestRules(ctx context.Context, d *decision) (map[string]andon.ManifestRule, error) {
	input, err := manifestInput(nil, ManifestSettings{}, andon.ScopeSet)
	if err != nil {
		return nil, err
	}
	out, err := d.eval(ctx, input, 0, nil)
	if err != nil {
		return nil, err
	}
	if _, ok := out["rules"].Value.(ast.Object); !ok {
		return nil, d.invalid("rules", fmt.Errorf("%s is not an object keyed by rule id", describe(out["rules"])))
	}
	var raw map[string]json.RawMessage
	if err := asJSON(out["rules"], &raw); err != nil {
		return nil, d.invalid("rules", err)
	}
	rules := make(map[string]andon.ManifestRule, len(raw))
	for id, b := range raw {
		var rule struct {
			Severity string `json:"severity"`
			Scope    string `json:"scope"`
			Title    string `json:"title"`
			Anchor   string `json:"anchor"`
		}
		if err := json.Unmarshal(b, &rule); err != nil {
			return nil, d.invalid("rules", fmt.Errorf("%s: %s", id, jsonProblem(err)))
		}
		if rule.Severity != andon.SeverityDeny && rule.Severity != andon.SeverityWarn {
			return nil, d.invalid("rules", fmt.Errorf("%s: severity %q is not deny or warn", id, rule.Severity))
		}
		switch rule.Scope {
		case "":
			// A rule that does not say may depend on other objects.
			rule.Scope = andon.ScopeSet
		case andon.ScopeObject, andon.ScopeSet:
		default:
			return nil, d.invalid("rules", fmt.Errorf("%s: scope %q is not object or set", id, rule.Scope))
		}
		rules[id] = andon.ManifestRule{ID: id, Severity: rule.Severity, Scope: rule.Scope, Title: rule.Title, Anchor: rule.Anchor}
	}
	return rules, nil
}

// manifestInput builds the input document of andon.manifests
// (docs/manifests.md); scope is andon.ScopeSet or andon.ScopeObject.
func manifestInput(objs []ManifestObject, settings ManifestSettings, scope string) (ast.Value, error) {
	items := make([]any, len(objs))
	for i, o := range objs {
		item := map[string]any{"index": i, "file": o.Ref.File, "line": o.Ref.Line, "object": o.Doc}
		if o.OdooConf != nil {
			item["odooConf"] = o.OdooConf
		}
		items[i] = item
	}
	if settings.AllowedRegistries == nil {
		settings.AllowedRegistries = []string{}
	}
	if settings.Namespaces == nil {
		settings.Namespaces = map[string]ManifestNamespace{}
	}
	var s map[string]any
	if err := roundTrip(settings, &s); err != nil {
		return nil, err
	}
	v, err := ast.InterfaceToValue(map[string]any{"objects": items, "settings": s, "scope": scope})
	if err != nil {
		return nil, andon.Errorf(andon.EINVALID, "andon.manifests input: %v", err)
	}
	return v, nil
}

// asJSON decodes an OPA term into v through its JSON form.
func asJSON(t *ast.Term, v any) error {
	x, err := ast.JSON(t.Value)
	if err != nil {
		return err
	}
	return roundTrip(x, v)
}

// roundTrip copies in into out through JSON.
func roundTrip(in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// jsonProblem says what was wrong with a rule's entry, by field.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return err.Error()
	}
	if te.Field == "" {
		return fmt.Sprintf("a %s, want an object with severity, scope, title and anchor", te.Value)
	}
	return fmt.Sprintf("%s is a %s, want a %s", te.Field, te.Value, te.Type)
}
