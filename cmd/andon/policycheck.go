package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/policy"
)

// policyCheckReport is what andon policy check prints with -o json.
type policyCheckReport struct {
	// Revision is the digest of the policy, as andon serve given the same
	// DIR logs it and records it in its policy.loaded entries.
	Revision string            `json:"revision"`
	Tests    []policyCheckTest `json:"tests"`
	Passed   int               `json:"passed"`
	Failed   int               `json:"failed"`
	Skipped  int               `json:"skipped"`
	Warnings []string          `json:"warnings"`
}

// policyCheckTest is one Rego unit test and its outcome.
type policyCheckTest struct {
	Package  string `json:"package"`
	Name     string `json:"name"`
	Location string `json:"location"`
	Result   string `json:"result"` // pass, fail or skip
	Message  string `json:"message,omitempty"`
}

func newPolicyCheckCmd(e *env) *cobra.Command {
	var dir string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "check [--policy DIR]",
		Short: "Compile the policy as the server would and run its Rego unit tests",
		Long: `Compile the policy that andon serve --policy DIR would put in force (the
embedded packages, those declared in DIR replacing them whole) and run its
Rego unit tests: the rules named test_* of every *_test.rego file below DIR,
and the embedded tests of the packages DIR does not replace. Run it before
starting a server with DIR or sending one SIGHUP: a policy that does not
compile here is refused there too, with the same problems.

Without --policy it checks the embedded policy alone. Failing tests are
printed with their file and line and why they failed, then a count of all
and the policy's revision, which a server given the same files logs at start
and records in the audit log's policy.loaded entries, wherever their
directory is (the digest covers the files' paths inside DIR, not DIR's own);
warnings about the policy (a package under andon that andon does not query,
such as a misspelt andon.gates) go to standard error.

Exit codes: 0 every test passed (or was skipped, named todo_test_*); 1 a test
failed; 2 the policy or a test does not compile (every problem named with its
file and line), or DIR cannot be read.`,
		Example: `  # Before sending the server SIGHUP:
  andon policy check --policy ./policy && kill -HUP "$(pidof andon)"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPolicyCheck(cmd, e, dir, timeout)
		},
	}
	cmd.Flags().StringVar(&dir, "policy", e.getenv("ANDON_POLICY"), "directory of Rego files that add to or replace the default policy packages, and their tests (env ANDON_POLICY)")
	cmd.Flags().DurationVar(&timeout, "timeout", policy.DefaultTestTimeout, "how long one test may run; a test that runs longer fails (as opa test --timeout)")
	return cmd
}

func runPolicyCheck(cmd *cobra.Command, e *env, dir string, timeout time.Duration) error {
	if _, err := checkOutput(cmd); err != nil {
		return err
	}
	if timeout <= 0 {
		return &exitError{code: 2, err: fmt.Errorf("--timeout %s: want a positive duration, such as 30s", timeout)}
	}
	// policy.New is what the server runs: besides compiling, it checks
	// that the packages andon queries define the rules it reads.
	pol, err := policy.New(e.ctx, dir)
	if err != nil {
		return &exitError{code: 2, err: andon.Errorf(andon.EINVALID, "policy is not valid: %s", errorMessage(err))}
	}
	rep := &policyCheckReport{Revision: pol.Revision(), Tests: []policyCheckTest{}, Warnings: pol.Warnings()}
	if rep.Warnings == nil {
		rep.Warnings = []string{}
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(e.stderr, "andon: warning: %s\n", w)
	}
	results, err := policy.RunTests(e.ctx, dir, timeout)
	if err != nil {
		return &exitError{code: 2, err: andon.Errorf(andon.EINVALID, "policy tests are not valid: %s", errorMessage(err))}
	}
	for _, r := range results {
		t := policyCheckTest{Package: strings.TrimPrefix(r.Package, "data."), Name: r.Name, Location: r.Location, Result: "pass", Message: r.Message}
		switch {
		case r.Skipped:
			t.Result = "skip"
			rep.Skipped++
		case r.Passed:
			rep.Passed++
		default:
			t.Result = "fail"
			rep.Failed++
		}
		rep.Tests = append(rep.Tests, t)
	}
	if err := e.print(cmd, rep, func(w io.Writer) { writePolicyCheck(w, rep) }); err != nil {
		return err
	}
	if rep.Failed > 0 {
		return &exitError{code: 1}
	}
	return nil
}

// writePolicyCheck prints the tests that did not pass, then the counts.
func writePolicyCheck(w io.Writer, rep *policyCheckReport) {
	for _, t := range rep.Tests {
		if t.Result == "pass" {
			continue
		}
		fmt.Fprintf(w, "%s %s: %s.%s\n", strings.ToUpper(t.Result), t.Location, t.Package, t.Name)
		for _, line := range strings.Split(t.Message, "\n") {
			if line != "" {
				fmt.Fprintf(w, "    %s\n", line)
			}
		}
	}
	fmt.Fprintf(w, "%s: %d passed, %d failed, %d skipped\n", count(len(rep.Tests), "Rego test"), rep.Passed, rep.Failed, rep.Skipped)
	fmt.Fprintf(w, "policy revision: %s\n", rep.Revision)
}
