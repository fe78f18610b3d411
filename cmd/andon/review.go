package main

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/andon-governance/andon"
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
				var b bytes.Buffer
				writeReviewMarkdown(&b, r)
				_, err := noControls{e.stdout}.Write(b.Bytes())
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

// reviewScope says which environments r reviews.
func reviewScope(r *andon.Review) string {
	switch {
	case r.Environment != "":
		return r.Environment
	case r.Plant != "":
		return fmt.Sprintf("plant %s: %s", r.Plant, orDash(strings.Join(r.Selected, ", ")))
	case r.Process != "":
		return fmt.Sprintf("process %s: %s", r.Process, orDash(strings.Join(r.Selected, ", ")))
	}
	return "all"
}

// reviewZone is the time zone of r's month: UTC when a server that
// reviewed every month in UTC did not say.
func reviewZone(r *andon.Review) string {
	if r.Timezone == "" {
		return "UTC"
	}
	return r.Timezone
}

// reviewTables are the tables of a review, each a title, its header and
// its rows, written alike as text and as Markdown.
type reviewTable struct {
	title  string
	header []string
	rows   [][]string
	// none is said instead of an empty table.
	none string
}

func reviewTables(r *andon.Review) []reviewTable {
	counts := func(m map[string]int, keys ...string) string {
		var parts []string
		for _, k := range keys {
			if m[k] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
			}
		}
		// A type or tier a policy added beyond the default ones.
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if !slices.Contains(keys, k) && m[k] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
			}
		}
		return orDash(strings.Join(parts, ", "))
	}
	changeRow := func(name string, c andon.ChangeCounts) []string {
		return []string{name, fmt.Sprint(c.Opened), counts(c.ByType, "standard", "normal", "emergency"), counts(c.ByTier, "low", "medium", "high", "critical"),
			fmt.Sprint(c.Completed), fmt.Sprint(c.Failed), fmt.Sprint(c.RolledBack), fmt.Sprint(c.Cancelled), fmt.Sprint(c.Rejected), fmt.Sprint(c.Open)}
	}
	changes := reviewTable{title: "Changes", header: []string{"ENVIRONMENT", "OPENED", "BY TYPE", "BY RISK TIER", "COMPLETED", "FAILED", "ROLLED BACK", "CANCELLED", "REJECTED", "STILL OPEN"},
		none: "No change was opened in the month."}
	for _, c := range r.Changes.Environments {
		changes.rows = append(changes.rows, changeRow(c.Environment, c))
	}
	if len(changes.rows) > 0 {
		changes.rows = append(changes.rows, changeRow("total", r.Changes.Total))
	}
	emergencies := reviewTable{title: "Emergency changes", header: []string{"CHANGE", "ENVIRONMENT", "REQUESTER", "APPROVED BY", "DEPLOYED", "REVIEW"},
		none: "No emergency change was opened in the month."}
	for _, em := range r.Emergencies {
		review := em.Review
		switch {
		case em.Review == andon.ReviewGiven:
			review = fmt.Sprintf("given by %s, %s", em.ReviewedBy, fmtTime(*em.ReviewedAt))
		case em.ReviewDue != nil:
			review = fmt.Sprintf("%s, due %s", em.Review, fmtTime(*em.ReviewDue))
		}
		deployed := "-"
		if em.DeployedAt != nil {
			deployed = fmtTime(*em.DeployedAt)
		}
		emergencies.rows = append(emergencies.rows, []string{em.Change + " " + em.Title, em.Environment, em.Requester,
			orDash(strings.Join(em.Approvers, ", ")), deployed, review})
	}
	gate := reviewTable{title: "Gate denials by reason", header: []string{"REASON", "DENIALS"}, none: "No decision was denied."}
	for _, c := range r.Gate.DeniedBy {
		gate.rows = append(gate.rows, []string{c.Code, fmt.Sprint(c.Count)})
	}
	incidents := reviewTable{title: "Incidents", header: []string{"INCIDENT", "SEVERITY", "OPENED", "RESOLVED", "TIME TO RESTORE"},
		none: "No incident was opened or resolved in the month."}
	seen := map[string]bool{}
	for _, inc := range append(slices.Clone(r.Incidents.Opened), r.Incidents.Resolved...) {
		key := inc.ID + inc.OpenedAt.String()
		if seen[key] {
			continue
		}
		seen[key] = true
		// The resolution of an opening, whichever list holds it.
		resolved, restore := "-", "-"
		for _, res := range r.Incidents.Resolved {
			if res.ID == inc.ID && res.OpenedAt.Equal(inc.OpenedAt) && res.ResolvedAt != nil {
				resolved, restore = fmtTime(*res.ResolvedAt), andon.HumanDuration(res.ResolvedAt.Sub(res.OpenedAt))
			}
		}
		incidents.rows = append(incidents.rows, []string{inc.ID + " " + inc.Title, string(inc.Severity), fmtTime(inc.OpenedAt), resolved, restore})
	}
	posture := reviewTable{title: "Recovery posture now", header: []string{"ENVIRONMENT", "STAGE", "RPO", "RTO", "BACKUP AGE", "FRESH", "PASSED RESTORE TEST", "TOOK", "WITHIN RTO", "RECENT"},
		none: "No environment is reviewed."}
	for _, p := range r.Recovery.Posture {
		age, test, took := "-", "-", "-"
		if p.Backup != nil {
			age = andon.HumanDuration(p.BackupAge)
		}
		if t := p.PassedRestoreTest; t != nil {
			test, took = t.ID+" "+fmtTime(t.FinishedAt), andon.HumanDuration(t.Duration())
		}
		posture.rows = append(posture.rows, []string{p.Environment, string(p.Stage), objective(p.RPO), objective(p.RTO),
			age, yesNo(p.BackupFresh), test, took, withinRTO(p.WithinRTO), yesNo(p.RestoreTestRecent)})
	}
	tests := reviewTable{title: "Restore tests of the month", header: []string{"TEST", "ENVIRONMENT", "BACKUP", "STARTED", "TOOK", "RESULT"},
		none: "No restore test was started in the month."}
	for _, t := range r.Recovery.RestoreTests {
		tests.rows = append(tests.rows, []string{t.ID, t.Environment, t.Backup, fmtTime(t.StartedAt), andon.HumanDuration(t.Duration()), string(t.Result)})
	}
	findings := reviewTable{title: "Open findings", header: []string{"CODE", "SUBJECT", "MESSAGE"}, none: "No finding is open."}
	for _, fd := range r.Findings {
		findings.rows = append(findings.rows, []string{fd.Code, orDash(fd.ChangeID + fd.Environment), fd.Message})
	}
	return []reviewTable{changes, emergencies, gate, incidents, posture, tests, findings}
}

// reviewFacts are the lines said before the tables of a review's sections
// that have them: the period, the gate's counts, delivery and incidents.
func reviewFacts(r *andon.Review) (head, gate, delivery, incidents [][2]string) {
	head = [][2]string{{"month", fmt.Sprintf("%s, %s to %s (%s)", r.Month, r.Since.Format(layoutUTC), r.Until.Format(layoutUTC), reviewZone(r))}, {"environments", reviewScope(r)},
		{"as of", fmtTime(r.At) + " (the recovery posture and the findings)"}}
	gate = [][2]string{{"gate decisions", fmt.Sprintf("%d: %d allowed, %d denied (and %d dry runs)", r.Gate.Decisions, r.Gate.Allowed, r.Gate.Denied, r.Gate.DryRuns)}}
	d := r.Delivery.Total
	deployments := fmt.Sprint(d.Deployments)
	if d.EmergencyDeployments > 0 {
		deployments += fmt.Sprintf(" (%d emergency)", d.EmergencyDeployments)
	}
	deployments += fmt.Sprintf(", %g per week", d.DeploymentsPerWeek)
	rate := "-"
	if d.ChangeFailureRate != nil {
		rate = fmt.Sprintf("%g%%", float64(int(*d.ChangeFailureRate*1000+0.5))/10)
	}
	delivery = [][2]string{
		{"deployments", deployments},
		{"lead time", fmt.Sprintf("p50 %s, p90 %s", spreadP50(d.LeadTime), spreadP90(d.LeadTime))},
		{"change failure rate", fmt.Sprintf("%s (%d completed, %d failed, %d rolled back)", rate, d.Completed, d.Failed, d.RolledBack)},
		{"time to restore after a failed change", fmt.Sprintf("p50 %s, p90 %s", spreadP50(d.Restore), spreadP90(d.Restore))},
	}
	incidents = [][2]string{{"incidents", fmt.Sprintf("%d opened, %d resolved, time to restore p50 %s, p90 %s", len(r.Incidents.Opened), len(r.Incidents.Resolved),
		spreadP50(r.Incidents.Restore), spreadP90(r.Incidents.Restore))}}
	return head, gate, delivery, incidents
}

// printReview writes the review for a terminal.
func printReview(w io.Writer, r *andon.Review) {
	head, gate, delivery, incidents := reviewFacts(r)
	tables := reviewTables(r)
	facts := func(kvs [][2]string) {
		for _, f := range kvs {
			kv(w, f[0], f[1])
		}
	}
	table := func(t reviewTable) {
		fmt.Fprintf(w, "\n%s\n", strings.ToUpper(t.title))
		if len(t.rows) == 0 {
			fmt.Fprintln(w, t.none)
			return
		}
		fmt.Fprintln(w, strings.Join(t.header, "\t"))
		for _, row := range t.rows {
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

// writeReviewMarkdown writes the review as a Markdown document: a heading
// per section, its facts as a list, its tables as pipe tables.
func writeReviewMarkdown(w io.Writer, r *andon.Review) {
	head, gate, delivery, incidents := reviewFacts(r)
	tables := reviewTables(r)
	cell := func(s string) string {
		s = strings.ReplaceAll(s, "\\", "\\\\")
		s = strings.ReplaceAll(s, "|", "\\|")
		return strings.Join(strings.Fields(s), " ")
	}
	facts := func(kvs [][2]string) {
		for _, f := range kvs {
			fmt.Fprintf(w, "- %s: %s\n", strings.ToUpper(f[0][:1])+f[0][1:], cell(f[1]))
		}
		fmt.Fprintln(w)
	}
	table := func(t reviewTable, heading bool) {
		if heading {
			fmt.Fprintf(w, "## %s\n\n", t.title)
		}
		if len(t.rows) == 0 {
			fmt.Fprintf(w, "%s\n\n", t.none)
			return
		}
		header := make([]string, len(t.header))
		for i, h := range t.header {
			// Sentence case, but for the objectives' abbreviations.
			words := strings.Fields(strings.ToLower(h))
			for j, w := range words {
				if w == "rpo" || w == "rto" {
					words[j] = strings.ToUpper(w)
				}
			}
			header[i] = strings.ToUpper(words[0][:1]) + strings.Join(words, " ")[1:]
		}
		fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(header, " | "), strings.Repeat(" --- |", len(header)))
		for _, row := range t.rows {
			cells := make([]string, len(row))
			for i, c := range row {
				cells[i] = cell(c)
			}
			fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "# Monthly operational review, %s (%s)\n\n", r.Month, reviewZone(r))
	facts(head)
	table(tables[0], true)
	table(tables[1], true)
	fmt.Fprintln(w, "## Gate")
	fmt.Fprintln(w)
	facts(gate)
	table(tables[2], false)
	fmt.Fprintln(w, "## Delivery")
	fmt.Fprintln(w)
	facts(delivery)
	fmt.Fprintln(w, "## Incidents")
	fmt.Fprintln(w)
	facts(incidents)
	table(tables[3], false)
	fmt.Fprintln(w, "## Recovery")
	fmt.Fprintln(w)
	table(tables[4], false)
	fmt.Fprintln(w, "### Restore tests of the month")
	fmt.Fprintln(w)
	table(tables[5], false)
	table(tables[6], true)
}
