package main

import (
	"cmp"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/andon-governance/andon"
)

// newFindingsCmd returns `andon findings`: what a change manager or an
// auditor must look at, such as emergency changes whose review is overdue.
func newFindingsCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "findings",
		Short: "List what needs attention: overdue emergency reviews, pending changes nobody can approve, changes whose window ended, emergency changes approved too long ago, production restore tests overdue or slower than the RTO",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := e.remote(cmd)
			if err != nil {
				return err
			}
			findings, err := c.Findings(cmd.Context())
			if err != nil {
				return err
			}
			if findings == nil {
				findings = []andon.Finding{}
			}
			if human(cmd) && len(findings) == 0 {
				fmt.Fprintln(e.stderr, "no findings")
				return nil
			}
			out := struct {
				Findings []andon.Finding `json:"findings"`
			}{findings}
			return e.print(cmd, out, func(w io.Writer) {
				// A finding is about a change, or about an environment
				// (RESTORE_TEST_OVERDUE, RTO_EXCEEDED, RESTORE_TEST_FAILED).
				fmt.Fprintln(w, "CODE\tSUBJECT\tDUE\tMESSAGE")
				for _, f := range findings {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", f.Code, orDash(cmp.Or(f.ChangeID, f.Environment)), fmtTime(f.Due), cell(f.Message))
				}
			})
		},
	}
}
