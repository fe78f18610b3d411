package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/internal/reviewdoc"
)

// newReportCmd returns `andon report`: measures computed from the history
// the server holds.
func newReportCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Report measures computed from the history of changes and incidents",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newReportDORACmd(e), newReportReviewCmd(e))
	return cmd
}

// reportFlags are the flags of andon report dora, by the query parameters
// the server names in its errors.
var reportFlags = []fieldFlag{
	{"query parameter env, plant and process:", "--env, --plant and --process"},
	{"query parameter env:", "--env"}, {"query parameter plant:", "--plant"}, {"query parameter process:", "--process"},
	{"query parameter since:", "--since"}, {"query parameter until:", "--until"},
	{"query parameter month:", "--month"}, {"query parameter timezone:", "--timezone"},
}

func newReportDORACmd(e *env) *cobra.Command {
	var f andon.DORAFilter
	cmd := &cobra.Command{
		Use:   "dora [--env E | --plant P | --process P] [--since 30d|T] [--until T]",
		Short: "Report deployment frequency, lead time, change failure rate and time to restore over a period",
		Long: `Report the four DORA measures over a period, from the moves of changes
and the incidents recorded in the audit log: the deployments (changes that
entered implementing, through the gate or started by hand) and their lead
times from the change's creation, the share of the changes that ended
(completed, failed or rolled back) that failed or were rolled back, and the
time to restore after a failed change and after an incident. docs/reports.md
says exactly what each counts.

The period runs from --since (included) to --until (excluded), at most 366
days: by default the 30 days before now. Any signed-in user may read it.`,
		Example: `  andon report dora
  andon report dora --env prod-lyon --since 90d
  andon report dora --plant geelong --since 2026-10-01 --until 2026-11-01 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := reportPeriod(cmd, &f); err != nil {
				return err
			}
			c, err := e.remote(cmd)
			if err != nil {
				return err
			}
			r, err := c.DORA(cmd.Context(), f)
			if err != nil {
				return namedFlag(err, reportFlags)
			}
			return e.print(cmd, r, func(w io.Writer) { printDORA(w, r) })
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Environment, "env", "", "only this environment")
	fl.StringVar(&f.Plant, "plant", "", "only the environments that serve this plant")
	fl.StringVar(&f.Process, "process", "", "only the environments that run this business process")
	fl.String("since", "", "start of the period: a duration before its end (30d, 12h), an RFC 3339 time, or a date (its midnight UTC) (default 30d)")
	fl.String("until", "", "end of the period, excluded: an RFC 3339 time or a date (its midnight UTC) (default now)")
	cmd.RegisterFlagCompletionFunc("env", e.environmentCompletion)
	cmd.RegisterFlagCompletionFunc("plant", e.plantCompletion)
	cmd.RegisterFlagCompletionFunc("process", e.processCompletion)
	cmd.RegisterFlagCompletionFunc("since", cobra.FixedCompletions([]string{"7d", "30d", "90d", "365d"}, cobra.ShellCompDirectiveNoFileComp))
	cmd.RegisterFlagCompletionFunc("until", cobra.NoFileCompletions)
	return cmd
}

// reportPeriod sets the period of f from --since and --until. A --since
// given as a duration counts back from --until, or from now, which is then
// the end too, so that the period lasts exactly that long.
func reportPeriod(cmd *cobra.Command, f *andon.DORAFilter) error {
	until, _ := cmd.Flags().GetString("until")
	if until != "" {
		t, err := dateOrTime("until", until)
		if err != nil {
			return err
		}
		f.Until = t
	}
	since, _ := cmd.Flags().GetString("since")
	if since == "" {
		return nil
	}
	if d, err := andon.ParseDuration(since); err == nil {
		if d == 0 {
			return andon.Errorf(andon.EINVALID, "--since %q: a period lasts some time", since)
		}
		if f.Until.IsZero() {
			f.Until = time.Now().UTC()
		}
		f.Since = f.Until.Add(-d)
		return nil
	}
	t, err := dateOrTime("since", since)
	if err != nil {
		return andon.Errorf(andon.EINVALID, "--since %q: want a duration such as 30d or 12h, an RFC 3339 time such as 2026-10-01T00:00:00+02:00, or a date such as 2026-10-01", since)
	}
	f.Since = t
	return nil
}

// dateOrTime reads the value of --flag: an RFC 3339 time, or a date,
// which stands for its midnight UTC, as andon audit entries reads them.
func dateOrTime(flag, v string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, andon.CheckTime("--"+flag, t)
	}
	t, err := parseTime(flag, v)
	if err != nil && andon.ErrorMessage(err) == fmt.Sprintf("--%s %q: want an RFC 3339 time such as 2026-03-08T02:00:00+01:00", flag, v) {
		return t, andon.Errorf(andon.EINVALID, "--%s %q: want an RFC 3339 time such as 2026-10-01T00:00:00+02:00, or a date such as 2026-10-01", flag, v)
	}
	return t, err
}

// printDORA writes the report for people: the period, a table of the
// measures of each environment and of them all, and the incidents.
func printDORA(w io.Writer, r *andon.DORAReport) {
	days := strings.TrimSuffix(fmt.Sprintf("%.1f", r.Until.Sub(r.Since).Hours()/24), ".0")
	unit := "days"
	if days == "1" {
		unit = "day"
	}
	kv(w, "period", fmt.Sprintf("%s to %s (%s %s)", fmtTime(r.Since), fmtTime(r.Until), days, unit))
	switch {
	case r.Environment != "":
		kv(w, "environments", r.Environment)
	case r.Plant != "":
		kv(w, "environments", fmt.Sprintf("plant %s: %s", r.Plant, orDash(strings.Join(r.Selected, ", "))))
	case r.Process != "":
		kv(w, "environments", fmt.Sprintf("process %s: %s", r.Process, orDash(strings.Join(r.Selected, ", "))))
	default:
		kv(w, "environments", "all")
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "ENVIRONMENT\tDEPLOYMENTS\tPER WEEK\tLEAD TIME P50\tP90\tENDED\tFAILED\tROLLED BACK\tFAILURE RATE\tRESTORE P50\tP90")
	row := func(name string, f andon.DORAFigures) {
		deployments := fmt.Sprint(f.Deployments)
		if f.EmergencyDeployments > 0 {
			deployments += fmt.Sprintf(" (%d emergency)", f.EmergencyDeployments)
		}
		rate := "-"
		if f.ChangeFailureRate != nil {
			rate = fmt.Sprintf("%g%%", math.Round(*f.ChangeFailureRate*1000)/10)
		}
		restoreP90 := reviewdoc.SpreadP90(f.Restore)
		if f.Unrestored > 0 {
			restoreP90 += fmt.Sprintf(" (%d unrestored)", f.Unrestored)
		}
		fmt.Fprintf(w, "%s\t%s\t%g\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\n", name, deployments, f.DeploymentsPerWeek,
			reviewdoc.SpreadP50(f.LeadTime), reviewdoc.SpreadP90(f.LeadTime), f.Completed+f.Failed+f.RolledBack, f.Failed, f.RolledBack, rate,
			reviewdoc.SpreadP50(f.Restore), restoreP90)
	}
	for _, f := range r.Environments {
		row(f.Environment, f)
	}
	row("total", r.Total)
	fmt.Fprintln(w)
	kv(w, "incidents resolved", fmt.Sprintf("%d, time to restore p50 %s, p90 %s", r.Incidents.Resolved, reviewdoc.SpreadP50(r.Incidents.Restore), reviewdoc.SpreadP90(r.Incidents.Restore)))
}
