package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/andon-governance/andon"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown/print"
)

// Risk evaluates andon.risk for a change. It fails when the policy errs or
// answers with something other than a known tier, a list of reasons and a
// list of approvals.
func (e *Engine) Risk(ctx context.Context, in *andon.RiskInput) (*andon.RiskDecision, error) {
	if in == nil || in.Change == nil || in.Environment == nil {
		return nil, andon.Errorf(andon.EINVALID, "andon.risk: the input needs a change and its environment")
	}
	q := e.state.Load().risk
	var hook print.Hook
	if q.print != nil {
		hook = q.print.hook("risk", slog.String("environment", in.Environment.Name))
	}
	out, err := q.eval(ctx, riskInput(in), DecisionTimeout, hook)
	if err != nil {
		return nil, err
	}
	d := &andon.RiskDecision{}
	if d.Tier, err = tier(out["tier"]); err != nil {
		return nil, q.invalid("tier", err)
	}
	if d.Reasons, err = sentences(out["reasons"]); err != nil {
		return nil, q.invalid("reasons", err)
	}
	if d.Approvals, err = requirements(out["approvals"], in.Processes); err != nil {
		return nil, q.invalid("approvals", err)
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
	p := e.state.Load()
	var hook print.Hook
	if p.gate.print != nil {
		hook = p.gate.print.hook("gate", slog.String("environment", in.Request.Environment), slog.String("image", in.Request.Image))
	}
	out, err := p.gate.eval(ctx, gateInput(in), DecisionTimeout, hook)
	if err != nil {
		return nil, err
	}
	d := &andon.GateDecision{Policy: p.revision}
	allow, ok := out["allow"].Value.(ast.Boolean)
	if !ok {
		return nil, p.gate.invalid("allow", fmt.Errorf("%s is not a boolean", describe(out["allow"])))
	}
	d.Allow = bool(allow)
	if d.Reasons, err = reasons(out["reasons"]); err != nil {
		return nil, p.gate.invalid("reasons", err)
	}
	return d, nil
}

// DecisionTimeout bounds the evaluation of one risk or gate decision. The
// default policy decides in well under a millisecond. A policy that
// iterates over far too much would otherwise hold its caller for as long
// as it runs, and with it the store's one writer, in which a gate decision
// is made: every other write would wait. A decision stopped at the bound
// is an error, so the gate denies and a change is not opened.
const DecisionTimeout = 2 * time.Second

// decision is the prepared query of one package. The query binds each
// output to a variable of the same name; its results are kept as OPA
// terms, which the functions below read without converting them to Go
// values first.
type decision struct {
	pkg string
	// where names the files of the package, " (in risk.rego)", when they
	// are the policy directory's, for errors; "" when it is embedded.
	where string
	// defined says where each output's rules are, "risk.rego:4, 9", when
	// the package is the policy directory's, for errors about the value
	// of one output; missing when it is embedded.
	defined map[string]string
	outputs []string
	query   rego.PreparedEvalQuery
	// diagnose reads each output through a comprehension, which is always
	// defined. It runs only when query has no result, to name the output
	// the policy left undefined.
	diagnose rego.PreparedEvalQuery
	// print is where the output of print calls goes; nil when they are
	// compiled out.
	print *printOutput
}

// printOutput logs what the print calls of a policy print.
type printOutput struct {
	logger *slog.Logger
	// packages maps the name of each module, the File of a print call's
	// location, to its package.
	packages map[string]string
}

// hook is the print hook of one decision of kind, whose records carry
// attrs besides the place of the call.
func (o *printOutput) hook(kind string, attrs ...slog.Attr) print.Hook {
	return &printHook{out: o, attrs: append([]slog.Attr{slog.String("decision", kind)}, attrs...)}
}

// printHook logs each line printed in one decision at DEBUG level.
type printHook struct {
	out   *printOutput
	attrs []slog.Attr
}

// Print implements print.Hook.
func (h *printHook) Print(pctx print.Context, msg string) error {
	attrs := make([]slog.Attr, 0, len(h.attrs)+4)
	if loc := pctx.Location; loc != nil {
		if strings.HasPrefix(loc.File, embeddedPrefix) {
			// The embedded bundle prints nothing, whatever it says.
			return nil
		}
		attrs = append(attrs, slog.String("package", h.out.packages[loc.File]), slog.String("file", loc.File), slog.Int("line", loc.Row))
	}
	attrs = append(attrs, h.attrs...)
	attrs = append(attrs, slog.String("text", msg))
	h.out.logger.LogAttrs(pctx.Context, slog.LevelDebug, "policy print", attrs...)
	return nil
}

// packageFiles names the files that declare package pkg, for a message:
// " (in risk.rego)", or "" when none does.
func packageFiles(c *ast.Compiler, pkg string) string {
	var files []string
	for name, m := range c.Modules {
		if m.Package.Path.String() == "data."+pkg && !strings.HasSuffix(name, "_test.rego") {
			files = append(files, name)
		}
	}
	if len(files) == 0 {
		return ""
	}
	slices.Sort(files)
	return " (in " + strings.Join(files, ", ") + ")"
}

// ruleLines names where rules are written, by file and line:
// "gate.rego:17, 19 and lib/gate.rego:3".
func ruleLines(rules []*ast.Rule) string {
	lines := map[string][]int{}
	for _, r := range rules {
		if r.Location != nil {
			lines[r.Location.File] = append(lines[r.Location.File], r.Location.Row)
		}
	}
	var parts []string
	for _, file := range slices.Sorted(maps.Keys(lines)) {
		rows := lines[file]
		slices.Sort(rows)
		var nums []string
		for _, row := range slices.Compact(rows) {
			nums = append(nums, strconv.Itoa(row))
		}
		parts = append(parts, file+":"+strings.Join(nums, ", "))
	}
	return strings.Join(parts, " and ")
}

// prepareDecision prepares the queries of package pkg. A package that
// defines no rule for one of the outputs is refused when it loads, rather
// than failing every decision later.
func prepareDecision(ctx context.Context, c *ast.Compiler, pkg string, outputs ...string) (*decision, error) {
	d := &decision{pkg: pkg, outputs: outputs, where: packageFiles(c, pkg)}
	if strings.HasPrefix(d.where, " (in "+embeddedPrefix) {
		d.where = ""
	}
	var query, diagnose string
	d.defined = make(map[string]string, len(outputs))
	for _, o := range outputs {
		ref := ast.MustParseRef("data." + pkg + "." + o)
		rules := c.GetRulesForVirtualDocument(ref)
		if len(rules) == 0 {
			return nil, andon.Errorf(andon.EINVALID, "policy: package %s%s defines no rule %s", pkg, packageFiles(c, pkg), o)
		}
		if d.where != "" {
			d.defined[o] = ruleLines(rules)
		}
		query += fmt.Sprintf("%s := data.%s.%s\n", o, pkg, o)
		diagnose += fmt.Sprintf("%s := [x | x := data.%s.%s]\n", o, pkg, o)
	}
	var err error
	if d.query, err = prepare(ctx, c, query); err != nil {
		return nil, err
	}
	if d.diagnose, err = prepare(ctx, c, diagnose); err != nil {
		return nil, err
	}
	return d, nil
}

func prepare(ctx context.Context, c *ast.Compiler, query string) (rego.PreparedEvalQuery, error) {
	pq, err := rego.New(
		rego.Compiler(c),
		rego.Query(query),
		// A built-in that fails, such as time.parse_rfc3339_ns on a bad
		// instant, must stop the decision. OPA's default turns the failure
		// into an undefined value, which a rule may read as "no objection".
		rego.StrictBuiltinErrors(true),
		rego.GenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }),
	).PrepareForEval(ctx)
	if err != nil {
		return rego.PreparedEvalQuery{}, andon.Errorf(andon.EINVALID, "policy: %v", err)
	}
	return pq, nil
}

// eval runs the query on input and returns the value of each output. An
// evaluation that runs longer than limit, unless limit is 0, is stopped
// and fails. What the policy prints goes to hook; nil discards it.
func (d *decision) eval(ctx context.Context, input ast.Value, limit time.Duration, hook print.Hook) (map[string]*ast.Term, error) {
	// OPA notices a context that has ended only after a while, and a small
	// evaluation may finish first: a caller past its deadline is answered
	// as such every time, not by a race.
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", andon.Errorf(andon.EINTERNAL, "%s: the request ended before the policy decided", d.pkg), err)
	}
	evalCtx := ctx
	if limit > 0 {
		var cancel context.CancelFunc
		evalCtx, cancel = context.WithTimeout(ctx, limit)
		defer cancel()
	}
	opts := [...]rego.EvalOption{
		rego.EvalParsedInput(input),
		// Nobody reads the metrics of a single decision; collecting them
		// costs allocations on every call.
		rego.EvalMetrics(metrics.NoOp()),
		nil,
	}
	n := 2
	if hook != nil {
		opts[n] = rego.EvalPrintHook(hook)
		n++
	}
	rs, err := d.query.Eval(evalCtx, opts[:n]...)
	switch {
	case err != nil && ctx.Err() != nil:
		// The caller gave up, or its own deadline passed: no failure of
		// the policy, and the caller can tell by the context's error.
		return nil, fmt.Errorf("%w: %w", andon.Errorf(andon.EINTERNAL, "%s: the request ended before the policy decided", d.pkg), ctx.Err())
	case err != nil && evalCtx.Err() != nil:
		return nil, andon.Errorf(andon.EINTERNAL, "%s: no decision within %s, so the evaluation was stopped: look for a rule that iterates over far too much", d.pkg, limit)
	case err != nil:
		return nil, andon.Errorf(andon.EINTERNAL, "%s: %v", d.pkg, err)
	}
	switch len(rs) {
	case 0:
		return nil, d.undefined(evalCtx, input)
	case 1:
	default:
		return nil, andon.Errorf(andon.EINTERNAL, "%s: the query produced %d results, want 1", d.pkg, len(rs))
	}
	out := make(map[string]*ast.Term, len(d.outputs))
	for _, o := range d.outputs {
		t, ok := rs[0].Bindings[o].(*ast.Term)
		if !ok {
			return nil, andon.Errorf(andon.EINTERNAL, "%s: %s is missing from the result", d.pkg, o)
		}
		out[o] = t
	}
	return out, nil
}

// undefined explains an empty result by the first output the policy left
// undefined for input.
func (d *decision) undefined(ctx context.Context, input ast.Value) error {
	rs, err := d.diagnose.Eval(ctx, rego.EvalParsedInput(input))
	if err != nil {
		return andon.Errorf(andon.EINTERNAL, "%s: %v", d.pkg, err)
	}
	if len(rs) == 1 {
		for _, o := range d.outputs {
			if t, ok := rs[0].Bindings[o].(*ast.Term); ok {
				if a, ok := t.Value.(*ast.Array); ok && a.Len() == 0 {
					if at := d.defined[o]; at != "" {
						return andon.Errorf(andon.EINTERNAL, "%s: %s: %s is undefined for this input", d.pkg, at, o)
					}
					return andon.Errorf(andon.EINTERNAL, "%s%s: %s is undefined for this input", d.pkg, d.where, o)
				}
			}
		}
	}
	return andon.Errorf(andon.EINTERNAL, "%s%s: the policy produced no decision for this input", d.pkg, d.where)
}

// invalid is the error of output name that is not of the shape its
// contract says. For a package of the policy directory it names the lines
// of the rules of that output, as an evaluation error names the line that
// failed: which of them gave the value, OPA does not say.
func (d *decision) invalid(name string, err error) error {
	if at := d.defined[name]; at != "" {
		return andon.Errorf(andon.EINTERNAL, "%s: %s: %s: %v", d.pkg, at, name, err)
	}
	return andon.Errorf(andon.EINTERNAL, "%s%s: %s: %v", d.pkg, d.where, name, err)
}

func tier(t *ast.Term) (andon.Level, error) {
	s, ok := t.Value.(ast.String)
	if !ok {
		return "", fmt.Errorf("%s is not a string", describe(t))
	}
	if !slices.Contains(andon.Levels, andon.Level(s)) {
		return "", fmt.Errorf("%s is not one of critical, high, medium, low", describe(t))
	}
	return andon.Level(s), nil
}

// sentences reads the reasons of a classification: at least one, each a
// sentence. A classification nobody can explain is not accepted.
func sentences(t *ast.Term) ([]string, error) {
	items, err := list(t)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("is empty; a decision must give at least one reason")
	}
	out := make([]string, len(items))
	for i, it := range items {
		s, ok := it.Value.(ast.String)
		if !ok || s == "" {
			return nil, fmt.Errorf("[%d]: %s is not a non-empty string", i, describe(it))
		}
		out[i] = string(s)
	}
	return out, nil
}

// requirements reads approvals: objects with exactly a role and a
// positive integer count, each role once. The empty list is valid: it
// means pre-approved by policy. A role is one andon grants: a team role,
// or the owner of one of processes; any other could never be filled, and
// the change would wait for ever for an approval nobody may give.
func requirements(t *ast.Term, processes []*andon.BusinessProcess) ([]andon.Requirement, error) {
	items, err := list(t)
	if err != nil {
		return nil, err
	}
	out := make([]andon.Requirement, len(items))
	for i, it := range items {
		obj, ok := it.Value.(ast.Object)
		if !ok {
			return nil, fmt.Errorf("[%d]: %s is not an object {role, count}", i, describe(it))
		}
		if err := onlyKeys(obj, "role", "count"); err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		role, ok := field(obj, "role").Value.(ast.String)
		if !ok || role == "" {
			return nil, fmt.Errorf("[%d].role: %s is not a non-empty string", i, describe(field(obj, "role")))
		}
		if !grantable(string(role), processes) {
			return nil, fmt.Errorf("[%d].role: %q is no role andon grants: want %s, or process-owner:<process> for a process of the input", i, string(role), strings.Join(andon.TeamRoles, ", "))
		}
		n, ok := field(obj, "count").Value.(ast.Number)
		if !ok {
			return nil, fmt.Errorf("[%d].count: %s is not a number", i, describe(field(obj, "count")))
		}
		count, err := json.Number(n).Int64()
		if err != nil || count < 1 || count > 1000 {
			return nil, fmt.Errorf("[%d].count: %s is not a whole number from 1 to 1000", i, n)
		}
		if slices.ContainsFunc(out[:i], func(r andon.Requirement) bool { return r.Role == string(role) }) {
			return nil, fmt.Errorf("[%d]: role %q is required twice", i, string(role))
		}
		out[i] = andon.Requirement{Role: string(role), Count: int(count)}
	}
	return out, nil
}

// grantable reports whether role is a team role, or the owner role of one
// of processes.
func grantable(role string, processes []*andon.BusinessProcess) bool {
	if p, ok := andon.IsProcessOwnerRole(role); ok {
		return slices.ContainsFunc(processes, func(bp *andon.BusinessProcess) bool { return bp != nil && bp.Name == p })
	}
	return slices.Contains(andon.TeamRoles, role)
}

// reasons reads the reasons of a gate decision: at least one, each with an
// UPPER_SNAKE code and a message. Every decision is recorded in the audit
// log, and a record without a reason explains nothing.
func reasons(t *ast.Term) ([]andon.Reason, error) {
	items, err := list(t)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("is empty; a decision must give at least one reason")
	}
	out := make([]andon.Reason, len(items))
	for i, it := range items {
		obj, ok := it.Value.(ast.Object)
		if !ok {
			return nil, fmt.Errorf("[%d]: %s is not an object {code, message}", i, describe(it))
		}
		if err := onlyKeys(obj, "code", "message"); err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		code, ok := field(obj, "code").Value.(ast.String)
		if !ok || !upperSnake(string(code)) {
			return nil, fmt.Errorf("[%d].code: %s is not an UPPER_SNAKE_CASE string", i, describe(field(obj, "code")))
		}
		msg, ok := field(obj, "message").Value.(ast.String)
		if !ok || msg == "" {
			return nil, fmt.Errorf("[%d].message: %s is not a non-empty string", i, describe(field(obj, "message")))
		}
		out[i] = andon.Reason{Code: string(code), Message: string(msg)}
	}
	return out, nil
}

// list accepts an array, or a set taken in Rego's sort order: a policy
// may write its reasons as a partial set rule.
func list(t *ast.Term) ([]*ast.Term, error) {
	var arr *ast.Array
	switch v := t.Value.(type) {
	case *ast.Array:
		arr = v
	case ast.Set:
		arr = v.Sorted()
	default:
		return nil, fmt.Errorf("%s is not an array", describe(t))
	}
	items := make([]*ast.Term, arr.Len())
	for i := range items {
		items[i] = arr.Elem(i)
	}
	return items, nil
}

func field(obj ast.Object, key string) *ast.Term { return obj.Get(ast.InternedTerm(key)) }

// onlyKeys catches misspelt fields, which would otherwise be dropped.
func onlyKeys(obj ast.Object, keys ...string) error {
	for _, k := range obj.Keys() {
		s, ok := k.Value.(ast.String)
		if !ok || !slices.Contains(keys, string(s)) {
			return fmt.Errorf("unexpected field %s", k)
		}
	}
	for _, k := range keys {
		if field(obj, k) == nil {
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

// describe names a value in an error, short enough for a log line.
func describe(t *ast.Term) string {
	if t == nil {
		return "nothing"
	}
	s := t.String()
	if len(s) > 80 {
		return "a value of type " + ast.ValueName(t.Value)
	}
	return s
}
