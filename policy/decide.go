package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/andon-governance/andon"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// Risk evaluates andon.risk for a change. It fails when the policy errs or
// answers with something other than a known tier, a list of reasons and a
// list of approvals.
func (e *Engine) Risk(ctx context.Context, in *andon.RiskInput) (*andon.RiskDecision, error) {
	if in == nil || in.Change == nil || in.Environment == nil {
		return nil, andon.Errorf(andon.EINVALID, "andon.risk: the input needs a change and its environment")
	}
	out, err := eval(ctx, e.state.Load().risk, "andon.risk", riskInput(in), "tier", "reasons", "approvals")
	if err != nil {
		return nil, err
	}
	d := &andon.RiskDecision{}
	if d.Tier, err = tier(out["tier"]); err != nil {
		return nil, invalid("andon.risk", "tier", err)
	}
	if d.Reasons, err = sentences(out["reasons"]); err != nil {
		return nil, invalid("andon.risk", "reasons", err)
	}
	if d.Approvals, err = requirements(out["approvals"]); err != nil {
		return nil, invalid("andon.risk", "approvals", err)
	}
	return d, nil
}

// Gate evaluates andon.gate for a deployment request. It fails when the
// policy errs or answers with something other than a boolean allow and a
// list of reasons; the caller then denies.
func (e *Engine) Gate(ctx context.Context, in *andon.GateInput) (*andon.GateDecision, error) {
	if in == nil {
		return nil, andon.Errorf(andon.EINVALID, "andon.gate: no input")
	}
	if in.Request.At.IsZero() {
		// The policy compares instants; the caller resolves "now".
		return nil, andon.Errorf(andon.EINVALID, "andon.gate: request.at is required")
	}
	out, err := eval(ctx, e.state.Load().gate, "andon.gate", gateInput(in), "allow", "reasons")
	if err != nil {
		return nil, err
	}
	d := &andon.GateDecision{}
	allow, ok := out["allow"].(bool)
	if !ok {
		return nil, invalid("andon.gate", "allow", fmt.Errorf("%s is not a boolean", describe(out["allow"])))
	}
	d.Allow = allow
	if d.Reasons, err = reasons(out["reasons"]); err != nil {
		return nil, invalid("andon.gate", "reasons", err)
	}
	return d, nil
}

// eval runs a prepared query and returns the value of each named output.
// Every output is bound to an array of the values the rule produced, so an
// undefined output is told apart from the others.
func eval(ctx context.Context, pq rego.PreparedEvalQuery, pkg string, input ast.Value, names ...string) (map[string]any, error) {
	rs, err := pq.Eval(ctx, rego.EvalParsedInput(input))
	if err != nil {
		return nil, andon.Errorf(andon.EINTERNAL, "%s: %v", pkg, err)
	}
	if len(rs) != 1 {
		return nil, andon.Errorf(andon.EINTERNAL, "%s: the query produced %d results, want 1", pkg, len(rs))
	}
	out := make(map[string]any, len(names))
	for _, name := range names {
		vals, _ := rs[0].Bindings[name].([]any)
		if len(vals) == 0 {
			return nil, andon.Errorf(andon.EINTERNAL, "%s: %s is undefined for this input", pkg, name)
		}
		out[name] = vals[0]
	}
	return out, nil
}

func invalid(pkg, name string, err error) error {
	return andon.Errorf(andon.EINTERNAL, "%s: %s: %v", pkg, name, err)
}

func tier(v any) (andon.Level, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s is not a string", describe(v))
	}
	if !slices.Contains(andon.Levels, andon.Level(s)) {
		return "", fmt.Errorf("%q is not one of critical, high, medium, low", s)
	}
	return andon.Level(s), nil
}

// sentences reads the reasons of a classification: at least one, each a
// sentence. A classification nobody can explain is not accepted.
func sentences(v any) ([]string, error) {
	items, err := list(v)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("is empty; a decision must give at least one reason")
	}
	out := make([]string, len(items))
	for i, it := range items {
		s, ok := it.(string)
		if !ok || s == "" {
			return nil, fmt.Errorf("[%d]: %s is not a non-empty string", i, describe(it))
		}
		out[i] = s
	}
	return out, nil
}

// requirements reads approvals: objects with exactly a role and a
// positive integer count, each role once. The empty list is valid: it
// means pre-approved by policy.
func requirements(v any) ([]andon.Requirement, error) {
	items, err := list(v)
	if err != nil {
		return nil, err
	}
	out := make([]andon.Requirement, len(items))
	for i, it := range items {
		obj, ok := it.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("[%d]: %s is not an object {role, count}", i, describe(it))
		}
		if err := onlyKeys(obj, "role", "count"); err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		role, ok := obj["role"].(string)
		if !ok || role == "" {
			return nil, fmt.Errorf("[%d].role: %s is not a non-empty string", i, describe(obj["role"]))
		}
		n, ok := obj["count"].(json.Number)
		if !ok {
			return nil, fmt.Errorf("[%d].count: %s is not a number", i, describe(obj["count"]))
		}
		count, err := n.Int64()
		if err != nil || count < 1 || count > 1000 {
			return nil, fmt.Errorf("[%d].count: %s is not a whole number from 1 to 1000", i, n)
		}
		if slices.ContainsFunc(out[:i], func(r andon.Requirement) bool { return r.Role == role }) {
			return nil, fmt.Errorf("[%d]: role %q is required twice", i, role)
		}
		out[i] = andon.Requirement{Role: role, Count: int(count)}
	}
	return out, nil
}

// reasons reads the reasons of a gate decision: at least one, each with an
// UPPER_SNAKE code and a message. Every decision is recorded in the audit
// log, and a record without a reason explains nothing.
func reasons(v any) ([]andon.Reason, error) {
	items, err := list(v)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("is empty; a decision must give at least one reason")
	}
	out := make([]andon.Reason, len(items))
	for i, it := range items {
		obj, ok := it.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("[%d]: %s is not an object {code, message}", i, describe(it))
		}
		if err := onlyKeys(obj, "code", "message"); err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		code, ok := obj["code"].(string)
		if !ok || !upperSnake(code) {
			return nil, fmt.Errorf("[%d].code: %s is not an UPPER_SNAKE_CASE string", i, describe(obj["code"]))
		}
		msg, ok := obj["message"].(string)
		if !ok || msg == "" {
			return nil, fmt.Errorf("[%d].message: %s is not a non-empty string", i, describe(obj["message"]))
		}
		out[i] = andon.Reason{Code: code, Message: msg}
	}
	return out, nil
}

// list accepts an array, or a set, which OPA hands over as an array in
// its sorted order: a policy may write its reasons as a partial set rule.
func list(v any) ([]any, error) {
	items, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s is not an array", describe(v))
	}
	return items, nil
}

// onlyKeys catches misspelt fields, which would otherwise be dropped.
func onlyKeys(obj map[string]any, keys ...string) error {
	for k := range obj {
		if !slices.Contains(keys, k) {
			return fmt.Errorf("unexpected field %q", k)
		}
	}
	for _, k := range keys {
		if _, ok := obj[k]; !ok {
			return fmt.Errorf("missing field %q", k)
		}
	}
	return nil
}

func upperSnake(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}

// describe names a JSON value in an error, short enough for a log line.
func describe(v any) string {
	if v == nil {
		return "null"
	}
	b, err := json.Marshal(v)
	if err != nil || len(b) > 80 {
		return fmt.Sprintf("a %T", v)
	}
	return string(b)
}
