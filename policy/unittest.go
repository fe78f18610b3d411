package policy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/andon-governance/andon"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// TestResult is the outcome of one Rego unit test, a rule named test_*.
type TestResult struct {
	Package string // the package path, such as data.andon.risk
	Name    string // the rule name, such as test_tier_medium
	// Location is file:line of the test; embedded files are prefixed
	// "embedded:".
	Location string
	Passed   bool
	Skipped  bool // named todo_test_*
	// Message says why a test did not pass: the error it raised, or that
	// its body was false or undefined. Output of print calls follows.
	Message string
}

// RunTests runs the Rego unit tests of the policy that New would put in
// force for dir: those of the embedded bundle, except in packages dir
// replaces, and every *_test.rego below dir. Test files are merged by the
// package they declare, like policies, so the tests of a replaced package
// go with it. Results are ordered by location. The error reports a policy
// or test that does not compile.
//
// Each test may run for timeout, or DefaultTestTimeout when it is 0; one
// that runs longer fails, and its message says so.
func RunTests(ctx context.Context, dir string, timeout time.Duration) ([]TestResult, error) {
	mods, err := modules(dir, true)
	if err != nil {
		return nil, err
	}
	if timeout <= 0 {
		timeout = DefaultTestTimeout
	}
	runner := tester.NewRunner().
		SetTimeout(timeout).
		SetDefaultRegoVersion(ast.RegoV1).
		SetModules(mods).
		// As in evaluation, a failing built-in fails the test rather than
		// leaving an expression undefined.
		RaiseBuiltinErrors(true)
	ch, err := runner.RunTests(ctx, nil)
	if err != nil {
		return nil, compileError(dir, err)
	}
	var raw []*tester.Result
	for r := range ch {
		raw = append(raw, r)
	}
	if err := ctx.Err(); err != nil {
		return nil, andon.Errorf(andon.EINTERNAL, "policy tests: %v", err)
	}
	slices.SortFunc(raw, func(a, b *tester.Result) int {
		if a.Location == nil || b.Location == nil {
			return strings.Compare(a.Name, b.Name)
		}
		return a.Location.Compare(b.Location)
	})
	results := make([]TestResult, len(raw))
	for i, r := range raw {
		results[i] = testResult(r)
		if r.Error != nil && isCancel(r.Error) {
			results[i].Message = fmt.Sprintf("did not finish within %s, the time a test may take (andon policy check --timeout)", timeout)
		}
	}
	return results, nil
}

// DefaultTestTimeout is how long one Rego unit test may run, as for opa
// test.
const DefaultTestTimeout = 5 * time.Second

// isCancel reports whether err is OPA's error for an evaluation stopped
// by its context.
func isCancel(err error) bool {
	var topErr *topdown.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &topErr) && topErr.Code == topdown.CancelErr)
}

func testResult(r *tester.Result) TestResult {
	tr := TestResult{
		Package: r.Package,
		Name:    r.Name,
		Passed:  r.Pass(),
		Skipped: r.Skip,
	}
	if r.Location != nil {
		tr.Location = fmt.Sprintf("%s:%d", r.Location.File, r.Location.Row)
	}
	switch {
	case r.Error != nil:
		tr.Message = r.Error.Error()
	case r.Fail:
		tr.Message = "the test's body is false or undefined"
	}
	if out := strings.TrimSpace(string(r.Output)); out != "" && !tr.Passed {
		tr.Message += "\n" + out
	}
	return tr
}
