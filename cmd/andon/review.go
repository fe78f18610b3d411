package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/internal/reviewdoc"
)

// outputMarkdown is the -o of andon report review that writes the review
// as a Markdown document, for the minutes of the review.
const outputMarkdown = "markdown"

func newReportReviewCmd(e *env) *cobra.Command {
	var f andon.ReviewFilter
	cmd := &cobra.Command{
		Use:   "review --month YYYY-MM [--env E | --plant P | --process P] [--timezone ZONE] [-o table|json|yaml|markdown]",
		Short: "Report the monthly operational review: changes, emergencies, gate, delivery, incidents, recovery and findings",
		Long: `Report the monthly operational review that the IT manager and the
auditor go through once a month: the changes opened in the month by
environment, type, risk tier and how they ended; each emergency change and
its retrospective review; the gate's decisions and its denials by reason;
the month's DORA measures; the incidents opened and resolved in it; the
recovery posture now and the restore tests of the month; and the findings
open now. The month is a calendar month in the time zone of --plant, or of
--env (its first plant's), from local midnight of its 1st to that of the
next month's; in UTC for --process or every environment. --timezone, an
IANA time zone, gives the zone of the month instead.

-o markdown writes it as a Markdown document, headings and tables, to paste
into the minutes of the review. Any signed-in user may read it.`,
		Example: `  andon report review --month 2026-11
  andon report review --month 2026-11 --plant lyon -o markdown > review-lyon-2026-11.md
  andon report review --month 2026-11 --process finance --timezone Europe/Paris`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, _, err := andon.ParseMonth(f.Month); err != nil {
				return andon.Errorf(andon.EINVALID, "--%s", andon.ErrorMessage(err))
			}
			if f.Timezone != "" {
				if _, err := andon.LoadTimezone("--timezone", f.Timezone); err != nil {
					return err
				}
			}
			out, _ := cmd.Flags().GetString("output")
			if out == outputMarkdown {
				// A format of this command alone, taken here: the check
				// that every client command makes of -o then sees none.
				cmd.Flags().Set("output", "")
			} else if _, err := checkOutput(cmd); err != nil {
				return andon.Errorf(andon.EINVALID, "--output %q: want one of %s", out, strings.Join(append(slices.Clone(outputFormats), outputMarkdown), ", "))
			}
			c, err := e.remote(cmd)
			if err != nil {
				return err
			}
			r, err := c.MonthlyReview(cmd.Context(), f)
			if err != nil {
				return namedFlag(err, reportFlags)
			}
			if out == outputMarkdown {
				_, err := noControls{e.stdout}.Write(reviewdoc.Markdown(r))
				return err
			}
			return e.print(cmd, r, func(w io.Writer) { printReview(w, r) })
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Month, "month", "", "the calendar month, as YYYY-MM (required): the plant's or the environment's, else in UTC")
	fl.StringVar(&f.Environment, "env", "", "only this environment")
	fl.StringVar(&f.Plant, "plant", "", "only the environments that serve this plant")
	fl.StringVar(&f.Process, "process", "", "only the environments that run this business process")
	fl.StringVar(&f.Timezone, "timezone", "", "the IANA time zone of the month, such as Europe/Paris, rather than the plant's or UTC")
	cmd.RegisterFlagCompletionFunc("env", e.environmentCompletion)
	cmd.RegisterFlagCompletionFunc("plant", e.plantCompletion)
	cmd.RegisterFlagCompletionFunc("process", e.processCompletion)
	cmd.RegisterFlagCompletionFunc("month", cobra.NoFileCompletions)
	cmd.RegisterFlagCompletionFunc("timezone", cobra.NoFileCompletions)
	return cmd
}

// printReview writes the review for a terminal.
func printReview(w io.Writer, r *andon.Review) {
	head, gate, delivery, incidents := reviewdoc.Facts(r)
	tables := reviewdoc.Tables(r)
	facts := func(kvs [][2]string) {
		for _, f := range kvs {
			kv(w, f[0], f[1])
		}
	}
	table := func(t reviewdoc.Table) {
		fmt.Fprintf(w, "\n%s\n", strings.ToUpper(t.Title))
		if len(t.Rows) == 0 {
			fmt.Fprintln(w, t.None)
			return
		}
		fmt.Fprintln(w, strings.Join(t.Header, "\t"))
		for _, row := range t.Rows {
			fmt.Fprintln(w, strings.Join(row, "\t"))
		}
	}
	facts(head)
	table(tables[0])
	table(tables[1])
	fmt.Fprintln(w)
	facts(gate)
	table(tables[2])
	fmt.Fprintln(w, "\nDELIVERY")
	facts(delivery)
	fmt.Fprintln(w)
	facts(incidents)
	table(tables[3])
	table(tables[4])
	table(tables[5])
	table(tables[6])
}
