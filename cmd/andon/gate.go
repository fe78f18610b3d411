package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/andon-governance/andon"
)

// newGateCmd returns `andon gate`, the enforcement point for CI/CD. Its
// exit code is the decision: 0 allowed, 1 denied, 2 could not decide. It
// fails closed: only a 200 answer that allows is an allow.
func newGateCmd(e *env) *cobra.Command {
	var req andon.GateRequest
	var at string
	cmd := &cobra.Command{
		Use:   "gate --env E --image REF [--at RFC3339]",
		Short: "Ask whether an image may be deployed to an environment now",
		Long: `Ask the gate whether an image may be deployed to an environment now. Prints
ALLOWED or DENIED with every reason, and exits 0 when allowed, 1 when denied,
and 2 when the gate could not decide: a pipeline must deploy only on exit
code 0, and never with --at.

--at asks what the gate would answer at another time (more than 5 minutes
from now), and --dry-run what it answers now: a dry run, recorded in the
audit log, that authorises nothing. A time within 5 minutes of the server's
clock is taken as now: the gate decides for real, at its own time.
The first real allowed call moves an approved change to implementing.`,
		Example: `  # In a deployment pipeline: deploy only when the gate allows, exit code 0.
  andon gate --env prod-lyon --image registry.example.com/odoo/odoo-lyon@sha256:9a1e… && kubectl apply -f odoo.yaml

  # What the gate would answer during the month-end close (a dry run).
  andon gate --env prod-lyon --image registry.example.com/odoo/odoo-lyon@sha256:9a1e… --at 2026-11-29T02:30:00+01:00`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, asked, err := gate(cmd, e, &req, at)
			if res == nil {
				// Even when there is no answer, -o json prints a denial,
				// so that a parser that only reads "allow" fails closed.
				res = &andon.GateResult{}
			}
			// Why the gate could not decide is said once. An error the
			// server gave no reasons for (no answer, a token refused) is
			// the reason, which a pipeline's log shows first, under the
			// verdict. For people, input refused before the server was
			// asked is an error on standard error, as every command
			// prints it; JSON, for programs, holds it as the reason too.
			if err != nil && len(res.Reasons) == 0 && (asked || !human(cmd)) {
				res.Reasons = []andon.Reason{{Code: andon.ReasonInternal, Message: shownMessage(err, e)}}
			}
			undecided := err != nil
			if perr := e.print(cmd, res, func(w io.Writer) { writeGateResult(w, res, undecided) }); perr != nil && err == nil {
				err = perr
			}
			switch {
			case err != nil:
				return &exitError{code: 2, err: err, shown: human(cmd) && shownReason(res, err, e)}
			case !res.Allow:
				return &exitError{code: 1}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Environment, "env", "", "environment deployed to (required)")
	cmd.RegisterFlagCompletionFunc("env", e.environmentCompletion)
	f.StringVar(&req.Image, "image", "", "image deployed, pinned by digest (required)")
	f.StringVar(&at, "at", "", "ask about another instant, RFC 3339: a dry run that authorises nothing (within 5 minutes of now: a real decision at the server's time)")
	f.BoolVar(&req.DryRun, "dry-run", false, "ask about now without deploying: a dry run, recorded, that authorises nothing")
	cmd.MarkFlagRequired("env")
	cmd.MarkFlagRequired("image")
	return cmd
}

// shownMessage is the message run prints for err, a client command's
// error.
func shownMessage(err error, e *env) string {
	if e.noToken && andon.ErrorCode(err) == andon.EUNAUTHORIZED {
		return noTokenMessage
	}
	return andon.ErrorMessage(err)
}

// shownReason reports whether the message run would print for err, the
// gate's error, says nothing that the reasons of res do not: it is one of
// them, or all of them, as the client makes the message of an answer that
// could not decide ("CODE: message; CODE: message").
func shownReason(res *andon.GateResult, err error, e *env) bool {
	msg := shownMessage(err, e)
	parts := make([]string, 0, len(res.Reasons))
	for _, r := range res.Reasons {
		if r.Message == msg {
			return true
		}
		parts = append(parts, r.Code+": "+r.Message)
	}
	return len(parts) > 0 && msg == strings.Join(parts, "; ")
}

// gate asks the server. The result is nil only when there is no answer
// to print; the error is non-nil whenever the gate did not decide. asked
// says whether the server was asked: input refused before is not.
func gate(cmd *cobra.Command, e *env, req *andon.GateRequest, at string) (res *andon.GateResult, asked bool, err error) {
	c, err := e.remote(cmd)
	if err != nil {
		return nil, false, err
	}
	if at != "" {
		// parseTime bounds the time, so that the zero time, sent as no
		// time at all (now), is never asked about.
		if req.At, err = parseTime("at", at); err != nil {
			return nil, false, err
		}
	}
	res, err = c.Gate(cmd.Context(), *req)
	return res, true, err
}

// writeGateResult prints res for people; undecided says that the gate
// could not decide (exit code 2), which denies too.
func writeGateResult(w io.Writer, res *andon.GateResult, undecided bool) {
	verdict := "DENIED"
	switch {
	case res.Allow:
		verdict = "ALLOWED"
	case undecided:
		verdict = "DENIED: the gate could not decide"
	}
	if res.DryRun {
		verdict = "WOULD BE " + verdict + " (dry run: authorises nothing)"
	}
	fmt.Fprintln(w, verdict)
	for _, r := range res.Reasons {
		fmt.Fprintf(w, "  %s: %s\n", r.Code, r.Message)
	}
	if res.Change != nil {
		fmt.Fprintf(w, "change: %s (%s, %s)\n", res.Change.ID, res.Change.State, orDash(string(res.Change.Risk.Tier)))
	}
	if res.AuditIndex > 0 {
		fmt.Fprintf(w, "audit entry: %d\n", res.AuditIndex)
	}
}
