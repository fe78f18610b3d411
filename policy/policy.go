// Package policy implements andon.Policy with an embedded Open Policy Agent.
//
// Decisions are Rego: the package andon.risk classifies a change when it is
// opened, and andon.gate decides at deploy time. A default bundle of both is
// compiled into the binary; an operator's policy directory may replace an
// embedded package wholesale or add packages of its own. The contracts of the
// packages are in docs/policy.md.
//
// This is the only package of andon that imports OPA. Go hands the policy
// its input documents and checks the shape of what comes back: a policy
// that answers with no tier, an unknown tier or a malformed list is an
// error, never a silent default, so that the gate fails closed.
package policy

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/andon-governance/andon"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// bundle holds the default policy and its Rego unit tests.
//
//go:embed bundle/*.rego
var bundle embed.FS

// embeddedPrefix names embedded modules in errors, test results and
// Modules, so that they cannot be mistaken for files on disk.
const embeddedPrefix = "embedded:"

// Engine evaluates the policy in force. Risk and Gate may be called from
// many goroutines, also while Reload swaps in a new policy.
type Engine struct {
	dir string
	// logger receives the output of the policy directory's print calls;
	// nil discards it.
	logger *slog.Logger
	reload sync.Mutex // serialises Reload; evaluation never waits for it
	state  atomic.Pointer[prepared]
}

// An Option configures an Engine made by New.
type Option func(*Engine)

// WithLogger sends what the print calls of the policy directory's modules
// print in a decision to logger, at DEBUG level, one record a line with
// the package, file and line of the call and the kind of decision. The
// print calls are compiled in only when logger is enabled at DEBUG level
// when the policy loads, at start and on every reload: otherwise OPA
// erases them, so that they cost a decision nothing. The embedded bundle
// prints nothing. Without this option print calls are always erased.
func WithLogger(logger *slog.Logger) Option {
	return func(e *Engine) { e.logger = logger }
}

// prepared is one compiled policy with its queries ready to evaluate. It is
// never modified once built; Reload replaces it as a whole.
type prepared struct {
	revision  string
	modules   []string
	risk      *decision
	gate      *decision
	manifests *decision
	// manifestRules are the rules of andon.manifests, evaluated once.
	manifestRules map[string]andon.ManifestRule
	// embeddedManifests is set when andon.manifests is the embedded
	// package, whose rules partition knows.
	embeddedManifests bool
	// warnings are what is likely a mistake in the directory, though it
	// compiles.
	warnings []string
	// emergencyValidity is andon.gate's emergency_validity, read once
	// when the policy is prepared; 0 when the policy defines none.
	emergencyValidity time.Duration
	// backupFreshness is andon.gate's backup_freshness, read as
	// emergencyValidity is.
	backupFreshness time.Duration
}

var _ andon.Policy = (*Engine)(nil)

// New compiles the embedded bundle together with every *.rego file below
// dir (tests, *_test.rego, excepted) and prepares the queries. A package
// declared in dir replaces the embedded package of the same name entirely;
// other packages are added. dir "" means the embedded bundle alone.
//
// The error of a policy that does not parse or compile names the file and
// line of every problem.
func New(ctx context.Context, dir string, opts ...Option) (*Engine, error) {
	e := &Engine{dir: dir}
	for _, o := range opts {
		o(e)
	}
	p, err := load(ctx, dir, e.logger)
	if err != nil {
		return nil, err
	}
	e.state.Store(p)
	return e, nil
}

// Reload reads the policy directory again, compiles and prepares it, and
// puts it in force. On any failure the policy in force stays, and the
// error says why the new one was refused.
func (e *Engine) Reload(ctx context.Context) error {
	e.reload.Lock()
	defer e.reload.Unlock()
	p, err := load(ctx, e.dir, e.logger)
	if err != nil {
		return err
	}
	e.state.Store(p)
	return nil
}

// Swap puts the policy in force in next in force in e, at once and as a
// whole, as Reload does, and makes Reload read next's directory, and
// send what it prints to next's logger, from then on. The services that hold e decide under next's policy from their next
// decision; next is not changed, nor compiled again. Compiling next first
// lets a policy be checked before anything is decided under it, and put
// in force later: andon demo seeds its history under the embedded policy,
// then swaps in the one it was given.
func (e *Engine) Swap(next *Engine) {
	next.reload.Lock()
	dir, logger, p := next.dir, next.logger, next.state.Load()
	next.reload.Unlock()
	e.reload.Lock()
	defer e.reload.Unlock()
	e.dir, e.logger = dir, logger
	e.state.Store(p)
}

// Revision returns a digest of the policy in force, recorded in the audit
// log at start and on every reload.
func (e *Engine) Revision() string { return e.state.Load().revision }

// EmergencyValidity returns the emergency_validity of the andon.gate in
// force (the embedded policy's is 48h), or 0 when that package defines
// none, or one that depends on the input.
func (e *Engine) EmergencyValidity() time.Duration { return e.state.Load().emergencyValidity }

// BackupFreshness returns the backup_freshness of the andon.gate in
// force (the embedded policy's is 24h), or 0 when that package defines
// none, or one that depends on the input.
func (e *Engine) BackupFreshness() time.Duration { return e.state.Load().backupFreshness }

// emergencyValidity reads data.andon.gate.emergency_validity of the
// compiled policy c, without input: how long an approved emergency change
// without a window may wait for its first deployment, which the store
// orders the gate's changes and lists its findings by (see
// andon.Policy.EmergencyValidity). A policy that defines none, or one
// that depends on the input, gives 0; one that is not a positive duration
// is refused, as the gate's time.parse_duration_ns would fail on it.
func emergencyValidity(ctx context.Context, c *ast.Compiler) (time.Duration, error) {
	return gateDuration(ctx, c, "emergency_validity")
}

// gateDuration reads the duration data.andon.gate.<name> of the compiled
// policy c, without input, as emergencyValidity does: backup_freshness,
// which the recovery posture weighs each environment's latest backup
// against (andon.Policy.BackupFreshness), is read the same way.
func gateDuration(ctx context.Context, c *ast.Compiler, name string) (time.Duration, error) {
	rule := "data.andon.gate." + name
	if len(c.GetRulesForVirtualDocument(ast.MustParseRef(rule))) == 0 {
		return 0, nil
	}
	rs, err := rego.New(rego.Compiler(c), rego.Query("v := "+rule), rego.StrictBuiltinErrors(true)).Eval(ctx)
	if err != nil {
		return 0, andon.Errorf(andon.EINVALID, "policy: andon.gate%s: %s: %v", packageFiles(c, "andon.gate"), name, err)
	}
	if len(rs) == 0 {
		return 0, nil
	}
	v := rs[0].Bindings["v"]
	s, ok := v.(string)
	d, err := time.ParseDuration(s)
	if !ok || err != nil || d <= 0 {
		b, _ := json.Marshal(v)
		return 0, andon.Errorf(andon.EINVALID, "policy: andon.gate%s: %s is %s, not a positive duration such as \"48h\"", packageFiles(c, "andon.gate"), name, b)
	}
	return d, nil
}

// Warnings returns what in the policy directory in force is likely a
// mistake though it compiles, such as a package named like andon's that
// andon does not query and nothing imports (package andon.gates), which
// leaves the embedded package it meant to replace in force.
func (e *Engine) Warnings() []string {
	return slices.Clone(e.state.Load().warnings)
}

// Modules returns the names of the modules in force, embedded ones first
// and prefixed "embedded:", for logs and the readiness report.
func (e *Engine) Modules() []string {
	return slices.Clone(e.state.Load().modules)
}

// source is one Rego file before parsing.
type source struct {
	name string
	text string
}

// load reads, parses, merges, compiles and prepares a policy. Print calls
// are compiled in only when a module of dir has one and logger takes
// DEBUG records (see WithLogger).
func load(ctx context.Context, dir string, logger *slog.Logger) (*prepared, error) {
	mods, err := modules(dir, false)
	if err != nil {
		return nil, err
	}
	var out *printOutput
	if logger != nil && logger.Enabled(ctx, slog.LevelDebug) && printing(mods) {
		out = &printOutput{logger: logger, packages: make(map[string]string, len(mods))}
		for name, m := range mods {
			out.packages[name] = strings.TrimPrefix(m.Package.Path.String(), "data.")
		}
	}
	// OPA's compiler erases print calls unless told to keep them; kept,
	// it rewrites only the bodies that have one, so that the rules of a
	// module without print compile as they do erased.
	c := ast.NewCompiler().WithDefaultRegoVersion(ast.RegoV1).WithEnablePrintStatements(out != nil)
	if c.Compile(mods); c.Failed() {
		return nil, compileError(dir, c.Errors)
	}
	if errs := undefinedData(c); len(errs) > 0 {
		return nil, compileError(dir, errs)
	}
	p := &prepared{modules: make([]string, 0, len(mods))}
	for name := range mods {
		p.modules = append(p.modules, name)
	}
	slices.SortFunc(p.modules, compareModuleNames)
	// The revision digests the parsed modules, so that it names what is in
	// force whatever the files' formatting, and the files by their paths
	// inside dir, so that it is the same wherever dir is and however its
	// path is written (./policy, /etc/andon/policy in a pod).
	h := sha256.New()
	for _, name := range p.modules {
		fmt.Fprintf(h, "%s\n%s\n", digestName(dir, name), mods[name].String())
	}
	p.revision = "sha256:" + hex.EncodeToString(h.Sum(nil))
	if p.risk, err = prepareDecision(ctx, c, "andon.risk", "tier", "reasons", "approvals"); err != nil {
		return nil, err
	}
	p.risk.print = out
	if p.gate, err = prepareDecision(ctx, c, "andon.gate", "allow", "reasons"); err != nil {
		return nil, err
	}
	p.gate.print = out
	if p.emergencyValidity, err = emergencyValidity(ctx, c); err != nil {
		return nil, err
	}
	if p.backupFreshness, err = gateDuration(ctx, c, "backup_freshness"); err != nil {
		return nil, err
	}
	p.warnings = unused(mods)
	p.embeddedManifests = true
	for name, m := range mods {
		if m.Package.Path.String() == "data.andon.manifests" && !strings.HasPrefix(name, embeddedPrefix) {
			p.embeddedManifests = false
		}
	}
	rules, err := prepareDecision(ctx, c, "andon.manifests", "rules")
	if err != nil {
		return nil, err
	}
	if p.manifestRules, err = manifestRules(ctx, rules); err != nil {
		return nil, andon.Errorf(andon.EINVALID, "%s", andon.ErrorMessage(err))
	}
	if p.manifests, err = prepareDecision(ctx, c, "andon.manifests", "findings"); err != nil {
		return nil, err
	}
	p.manifests.print = out
	return p, nil
}

// printing reports whether a module of the policy directory calls print.
// Those of the embedded bundle are not looked at, and what they would
// print is dropped (printOutput.Print): the bundle prints nothing.
func printing(mods map[string]*ast.Module) bool {
	for name, m := range mods {
		if strings.HasPrefix(name, embeddedPrefix) {
			continue
		}
		found := false
		ast.WalkExprs(m, func(x *ast.Expr) bool {
			found = found || x.IsCall() && x.Operator().Equal(ast.Print.Ref())
			return found
		})
		if found {
			return true
		}
	}
	return false
}

// undefinedData reports every reference to data that no rule of the
// policy defines. OPA takes such a reference for a document loaded from a
// data file or pushed into its store, and evaluates it as undefined
// without a word when there is none; andon has neither, so it is always
// undefined, and a rule that denies what such a list names denies nothing.
// A misspelt rule of a helper package (data.acme.roles.admn) is caught
// the same way. The target of a with keyword is left alone: it replaces a
// document for one expression, whether or not a rule defines it.
func undefinedData(c *ast.Compiler) ast.Errors {
	var errs ast.Errors
	seen := map[string]bool{}
	for _, m := range c.Modules {
		var check func(x any) bool
		check = func(x any) bool {
			switch x := x.(type) {
			case *ast.With:
				ast.NewGenericVisitor(check).Walk(x.Value)
				return true
			case ast.Ref:
				if !x.HasPrefix(ast.DefaultRootRef) || len(x.ConstantPrefix()) < 2 {
					return false
				}
				if len(c.GetRulesDynamicWithOpts(x, ast.RulesOptions{})) > 0 {
					return false
				}
				prefix := x.ConstantPrefix().String()
				key := prefix
				if loc := x[0].Location; loc != nil {
					key = fmt.Sprintf("%s:%d:%s", loc.File, loc.Row, prefix)
				}
				if !seen[key] {
					seen[key] = true
					errs = append(errs, ast.NewError("undefined_data_error", x[0].Location,
						"%s is defined by no rule, so it is always undefined: andon reads no data files (JSON or YAML) and has no other data; "+
							"write the data as a rule of a package of yours (package acme.lists, then blocked := followed by the JSON document: JSON is Rego too), or correct the name",
						prefix))
				}
			}
			return false
		}
		ast.NewGenericVisitor(check).Walk(m)
	}
	return errs
}

// queried are the packages andon evaluates.
var queried = []string{"andon.risk", "andon.gate", "andon.manifests"}

// unused names the packages of the directory's modules that are under
// andon, yet neither queried by andon, nor part of a queried package, nor
// referred to by any other module: most likely a misspelt name.
func unused(mods map[string]*ast.Module) []string {
	var warnings []string
	seen := map[string]bool{}
	for name, m := range mods {
		pkg := strings.TrimPrefix(m.Package.Path.String(), "data.")
		if strings.HasPrefix(name, embeddedPrefix) || strings.HasSuffix(name, "_test.rego") ||
			!strings.HasPrefix(pkg, "andon.") || seen[pkg] || slices.ContainsFunc(queried, func(q string) bool {
			return pkg == q || strings.HasPrefix(pkg, q+".")
		}) {
			continue
		}
		seen[pkg] = true
		if !referred(mods, m.Package.Path) {
			warnings = append(warnings, fmt.Sprintf("package %s (%s) is not one andon queries (%s), and no module refers to it: if it was meant to replace one, that one is still the embedded package",
				pkg, name, strings.Join(queried, ", ")))
		}
	}
	slices.Sort(warnings)
	return warnings
}

// referred reports whether a module of another package than path refers
// to path or to something in it.
func referred(mods map[string]*ast.Module, path ast.Ref) bool {
	found := false
	for _, m := range mods {
		if m.Package.Path.Equal(path) {
			continue
		}
		ast.WalkRefs(m, func(r ast.Ref) bool {
			if r.HasPrefix(path) || path.HasPrefix(r.ConstantPrefix()) && len(r.ConstantPrefix()) > 1 {
				found = true
			}
			return found
		})
		if found {
			return true
		}
	}
	return false
}

// compareModuleNames puts embedded modules before those of the directory.
func compareModuleNames(a, b string) int {
	ea, eb := strings.HasPrefix(a, embeddedPrefix), strings.HasPrefix(b, embeddedPrefix)
	switch {
	case ea && !eb:
		return -1
	case !ea && eb:
		return 1
	}
	return strings.Compare(a, b)
}

// digestName is the name of module name, read in dir, in the revision's
// digest: an embedded module's name, or the slash-separated path of the
// file inside dir.
func digestName(dir, name string) string {
	if strings.HasPrefix(name, embeddedPrefix) {
		return name
	}
	if rel, err := filepath.Rel(dir, name); err == nil {
		return filepath.ToSlash(rel)
	}
	return name
}

// modules returns the parsed modules of the embedded bundle merged with
// those of dir, keyed by name. With tests, the *_test.rego files go with
// the package they declare: replacing a package replaces its embedded
// tests too, and tests of a package dir does not replace are added to its
// embedded ones.
func modules(dir string, tests bool) (map[string]*ast.Module, error) {
	embedded, err := embeddedSources(tests)
	if err != nil {
		return nil, err
	}
	base, err := parse(embedded)
	if err != nil {
		// Unreachable while the bundle's own tests pass.
		return nil, fmt.Errorf("policy: embedded bundle: %w", err)
	}
	if dir == "" {
		return base, nil
	}
	srcs, err := dirSources(dir, tests)
	if err != nil {
		return nil, err
	}
	own, err := parse(srcs)
	if err != nil {
		return nil, compileError(dir, err)
	}
	// A package is replaced by the policy files of dir that declare it, not
	// by its tests alone: tests of an embedded package test that package,
	// as New puts it in force.
	replaced := map[string]bool{}
	for name, m := range own {
		if wanted(filepath.Base(name), false) {
			replaced[m.Package.Path.String()] = true
		}
	}
	for name, m := range base {
		if !replaced[m.Package.Path.String()] {
			own[name] = m
		}
	}
	return own, nil
}

func embeddedSources(tests bool) ([]source, error) {
	entries, err := fs.ReadDir(bundle, "bundle")
	if err != nil {
		return nil, fmt.Errorf("policy: embedded bundle: %w", err)
	}
	var srcs []source
	for _, ent := range entries {
		if !wanted(ent.Name(), tests) {
			continue
		}
		b, err := fs.ReadFile(bundle, path.Join("bundle", ent.Name()))
		if err != nil {
			return nil, fmt.Errorf("policy: embedded bundle: %w", err)
		}
		srcs = append(srcs, source{name: embeddedPrefix + ent.Name(), text: string(b)})
	}
	return srcs, nil
}

// dirSources reads the Rego files below dir. Directories whose names begin
// with a dot are skipped: a Kubernetes ConfigMap volume keeps each file
// twice, once in a hidden timestamped directory and once behind a symbolic
// link at the top, and loading both would declare every rule twice.
func dirSources(dir string, tests bool) ([]source, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, andon.Errorf(andon.EINVALID, "policy %s: %v", dir, err)
	}
	if !info.IsDir() {
		return nil, andon.Errorf(andon.EINVALID, "policy %s: not a directory", dir)
	}
	// The separator makes WalkDir enter dir when dir is itself a symbolic
	// link to a directory, as a mounted volume often is; WalkDir does not
	// follow a link given as its root otherwise.
	root := dir + string(filepath.Separator)
	var srcs []source
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if dataFile(d.Name()) {
			return fmt.Errorf("%s: andon loads only Rego files and does not read OPA data files: "+
				"rules that read data from it would find nothing; write the data as a rule of a package of yours instead", p)
		}
		if !wanted(d.Name(), tests) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		srcs = append(srcs, source{name: p, text: string(b)})
		return nil
	})
	if err != nil {
		return nil, andon.Errorf(andon.EINVALID, "policy %s: %v", dir, err)
	}
	return srcs, nil
}

// dataFile reports whether name is one of the data files OPA loads from a
// bundle directory. andon loads none: refused, a data file cannot leave a
// rule that reads it quietly undefined, which turns a list of what to
// deny into a list of nothing while opa test, which loads it, passes.
func dataFile(name string) bool {
	return name == "data.json" || name == "data.yaml" || name == "data.yml"
}

// wanted reports whether a file is a Rego module to load: policies always,
// unit tests only when tests are run.
func wanted(name string, tests bool) bool {
	if !strings.HasSuffix(name, ".rego") {
		return false
	}
	return tests || !strings.HasSuffix(name, "_test.rego")
}

// parse parses every source as Rego v1 and reports all files that fail, not
// only the first.
func parse(srcs []source) (map[string]*ast.Module, error) {
	mods := make(map[string]*ast.Module, len(srcs))
	var errs ast.Errors
	for _, s := range srcs {
		m, err := ast.ParseModuleWithOpts(s.name, s.text, ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			var perrs ast.Errors
			if errors.As(err, &perrs) {
				errs = append(errs, perrs...)
				continue
			}
			return nil, err
		}
		mods[s.name] = m
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return mods, nil
}

// Problem is one problem of a policy that does not parse or compile, at
// the place OPA found it.
type Problem struct {
	// File names the module: its path, or embedded:NAME.
	File string
	// Line and Column are 1-based; 0 when OPA gives no place.
	Line, Column int
	// Message is OPA's code and message, such as "rego_parse_error:
	// unexpected eof token: expected rule value term".
	Message string
	// Details are the lines OPA adds to show the place: the line of
	// source with a caret under the column, or the types a call has
	// and wants.
	Details []string
}

// String formats p as OPA does: "file:line: message", then each line of
// its details, indented by a tab.
func (p Problem) String() string {
	var b strings.Builder
	switch {
	case p.File != "":
		fmt.Fprintf(&b, "%s:%d: ", p.File, p.Line)
	case p.Line > 0:
		fmt.Fprintf(&b, "%d:%d: ", p.Line, p.Column)
	}
	b.WriteString(p.Message)
	for _, d := range p.Details {
		b.WriteString("\n\t" + d)
	}
	return b.String()
}

// Errors is the error of a policy that does not parse or compile: every
// problem, ordered by file and line. Its text has a line per problem and
// per line of details, as the server prints it when it refuses to start;
// a log, which keeps a record on one line, takes the problems one by one.
type Errors struct {
	// Dir is the policy directory; "" for the embedded bundle alone.
	Dir      string
	Problems []Problem
}

// Error implements the error interface: a heading that counts the
// problems, then the problems.
func (e *Errors) Error() string {
	where := "policy"
	if e.Dir != "" {
		where = "policy " + e.Dir
	}
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return fmt.Sprintf("%s: %d error(s):\n%s", where, len(e.Problems), strings.Join(lines, "\n"))
}

// Unwrap returns an *andon.Error with code EINVALID carrying the same
// text, so that andon.ErrorCode and andon.ErrorMessage treat a policy that
// does not compile as bad input.
func (e *Errors) Unwrap() error {
	return andon.Errorf(andon.EINVALID, "%s", e.Error())
}

// compileError turns OPA's errors into an *Errors, each problem with its
// file and line.
func compileError(dir string, err error) error {
	var errs ast.Errors
	if !errors.As(err, &errs) {
		return andon.Errorf(andon.EINVALID, "policy %s: %v", dir, err)
	}
	errs.Sort()
	out := &Errors{Dir: dir, Problems: make([]Problem, 0, len(errs))}
	for i, e := range errs {
		// The parser reports some problems twice at one place, the second
		// time with a hint appended; keep only the one with the hint.
		if i+1 < len(errs) && repeated(e, errs[i+1]) {
			continue
		}
		out.Problems = append(out.Problems, problemOf(e))
	}
	return out
}

// problemOf is the Problem of one of OPA's errors.
func problemOf(e *ast.Error) Problem {
	p := Problem{Message: e.Code + ": " + e.Message}
	if e.Location != nil {
		p.File, p.Line, p.Column = e.Location.File, e.Location.Row, e.Location.Col
	}
	if e.Details != nil {
		p.Details = e.Details.Lines()
	}
	return p
}

// repeated reports whether b says what a says, at the same place, and more.
func repeated(a, b *ast.Error) bool {
	return a.Location != nil && b.Location != nil &&
		a.Location.File == b.Location.File && a.Location.Row == b.Location.Row && a.Location.Col == b.Location.Col &&
		a.Code == b.Code && strings.HasPrefix(b.Message, a.Message)
}
