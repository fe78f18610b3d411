// Package reviewdoc words the monthly operational review for people: its
// facts and its tables, which andon report review prints and the board
// shows, and the Markdown document of the minutes, which andon report
// review -o markdown writes and the board serves, byte for byte; and the
// recovery objectives, verdicts and spreads, which andon backup status
// and report dora word the same way.
package reviewdoc

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/andon-governance/andon"
)

// scope says which environments r reviews.
func scope(r *andon.Review) string {
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

// zone is the time zone of r's month: UTC when a server that
// reviewed every month in UTC did not say.
func zone(r *andon.Review) string {
	if r.Timezone == "" {
		return "UTC"
	}
	return r.Timezone
}

// Table is a table of a review: its title, its header, in capitals as a
// terminal shows it (Heading words it for a document), and its rows,
// written alike as text, as Markdown and on the board.
type Table struct {
	Title  string
	Header []string
	Rows   [][]string
	// None is said instead of an empty table.
	None string
}

// Tables returns the tables of r, in the order of its sections: changes,
// emergency changes, gate denials by reason, incidents, recovery posture,
// restore tests of the month and open findings.
func Tables(r *andon.Review) []Table {
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
	changes := Table{Title: "Changes", Header: []string{"ENVIRONMENT", "OPENED", "BY TYPE", "BY RISK TIER", "COMPLETED", "FAILED", "ROLLED BACK", "CANCELLED", "REJECTED", "STILL OPEN"},
		None: "No change was opened in the month."}
	for _, c := range r.Changes.Environments {
		changes.Rows = append(changes.Rows, changeRow(c.Environment, c))
	}
	if len(changes.Rows) > 0 {
		changes.Rows = append(changes.Rows, changeRow("total", r.Changes.Total))
	}
	emergencies := Table{Title: "Emergency changes", Header: []string{"CHANGE", "ENVIRONMENT", "REQUESTER", "APPROVED BY", "DEPLOYED", "REVIEW"},
		None: "No emergency change was opened in the month."}
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
		emergencies.Rows = append(emergencies.Rows, []string{em.Change + " " + em.Title, em.Environment, em.Requester,
			orDash(strings.Join(em.Approvers, ", ")), deployed, review})
	}
	gate := Table{Title: "Gate denials by reason", Header: []string{"REASON", "DENIALS"}, None: "No decision was denied."}
	for _, c := range r.Gate.DeniedBy {
		gate.Rows = append(gate.Rows, []string{c.Code, fmt.Sprint(c.Count)})
	}
	incidents := Table{Title: "Incidents", Header: []string{"INCIDENT", "SEVERITY", "OPENED", "RESOLVED", "TIME TO RESTORE"},
		None: "No incident was opened or resolved in the month."}
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
		incidents.Rows = append(incidents.Rows, []string{inc.ID + " " + inc.Title, string(inc.Severity), fmtTime(inc.OpenedAt), resolved, restore})
	}
	posture := Table{Title: "Recovery posture now", Header: []string{"ENVIRONMENT", "STAGE", "RPO", "RTO", "BACKUP AGE", "FRESH", "PASSED RESTORE TEST", "TOOK", "WITHIN RTO", "RECENT"},
		None: "No environment is reviewed."}
	for _, p := range r.Recovery.Posture {
		age, test, took := "-", "-", "-"
		if p.Backup != nil {
			age = andon.HumanDuration(p.BackupAge)
		}
		if t := p.PassedRestoreTest; t != nil {
			test, took = t.ID+" "+fmtTime(t.FinishedAt), andon.HumanDuration(t.Duration())
		}
		posture.Rows = append(posture.Rows, []string{p.Environment, string(p.Stage), Objective(p.RPO), Objective(p.RTO),
			age, YesNo(p.BackupFresh), test, took, WithinRTO(p.WithinRTO), YesNo(p.RestoreTestRecent)})
	}
	tests := Table{Title: "Restore tests of the month", Header: []string{"TEST", "ENVIRONMENT", "BACKUP", "STARTED", "TOOK", "RESULT"},
		None: "No restore test was started in the month."}
	for _, t := range r.Recovery.RestoreTests {
		tests.Rows = append(tests.Rows, []string{t.ID, t.Environment, t.Backup, fmtTime(t.StartedAt), andon.HumanDuration(t.Duration()), string(t.Result)})
	}
	findings := Table{Title: "Open findings", Header: []string{"CODE", "SUBJECT", "MESSAGE"}, None: "No finding is open."}
	for _, fd := range r.Findings {
		findings.Rows = append(findings.Rows, []string{fd.Code, orDash(fd.ChangeID + fd.Environment), fd.Message})
	}
	return []Table{changes, emergencies, gate, incidents, posture, tests, findings}
}

// Facts returns the lines said before the tables of a review's sections
// that have them, each a name and its value: the period, the gate's
// counts, delivery and incidents.
func Facts(r *andon.Review) (head, gate, delivery, incidents [][2]string) {
	head = [][2]string{{"month", fmt.Sprintf("%s, %s to %s (%s)", r.Month, r.Since.Format(layoutUTC), r.Until.Format(layoutUTC), zone(r))}, {"environments", scope(r)},
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
		{"lead time", fmt.Sprintf("p50 %s, p90 %s", SpreadP50(d.LeadTime), SpreadP90(d.LeadTime))},
		{"change failure rate", fmt.Sprintf("%s (%d completed, %d failed, %d rolled back)", rate, d.Completed, d.Failed, d.RolledBack)},
		{"time to restore after a failed change", fmt.Sprintf("p50 %s, p90 %s", SpreadP50(d.Restore), SpreadP90(d.Restore))},
	}
	incidents = [][2]string{{"incidents", fmt.Sprintf("%d opened, %d resolved, time to restore p50 %s, p90 %s", len(r.Incidents.Opened), len(r.Incidents.Resolved),
		SpreadP50(r.Incidents.Restore), SpreadP90(r.Incidents.Restore))}}
	return head, gate, delivery, incidents
}

// Markdown returns the review as a Markdown document: a heading per
// section, its facts as a list, its tables as pipe tables, with no
// control character but tabs and line breaks (another, such as one in a
// change's title, is shown as U+FFFD, a CR LF as a line break), as andon
// prints any text.
func Markdown(r *andon.Review) []byte {
	var b bytes.Buffer
	writeMarkdown(&b, r)
	p := bytes.ReplaceAll(b.Bytes(), []byte("\r\n"), []byte("\n"))
	return bytes.Map(func(r rune) rune {
		if r != '\t' && r != '\n' && (andon.IsControl(r) || andon.IsBidiControl(r)) {
			return utf8.RuneError
		}
		return r
	}, p)
}

// writeMarkdown writes the review as a Markdown document.
func writeMarkdown(w io.Writer, r *andon.Review) {
	head, gate, delivery, incidents := Facts(r)
	tables := Tables(r)
	// A cell is one line shown as it was written: a backslash escapes
	// the pipe that would end the cell, the < that a renderer would take
	// for an HTML tag or comment and drop, the & of an entity, the
	// backtick of a code span, inside which no escape would be read, the
	// asterisks, tildes and brackets of emphasis, strike-through and
	// links, and an underscore that is not inside a word (stock_account
	// is never emphasis, and stays as a module is named).
	cell := func(s string) string {
		var b strings.Builder
		runes := []rune(strings.Join(strings.Fields(s), " "))
		for i, r := range runes {
			inWord := r == '_' && i > 0 && i < len(runes)-1 && isWordRune(runes[i-1]) && isWordRune(runes[i+1])
			if strings.ContainsRune("\\|<&`*~[]", r) || r == '_' && !inWord {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		return b.String()
	}
	facts := func(kvs [][2]string) {
		for _, f := range kvs {
			fmt.Fprintf(w, "- %s: %s\n", strings.ToUpper(f[0][:1])+f[0][1:], cell(f[1]))
		}
		fmt.Fprintln(w)
	}
	table := func(t Table, heading bool) {
		if heading {
			fmt.Fprintf(w, "## %s\n\n", t.Title)
		}
		if len(t.Rows) == 0 {
			fmt.Fprintf(w, "%s\n\n", t.None)
			return
		}
		header := make([]string, len(t.Header))
		for i, h := range t.Header {
			header[i] = Heading(h)
		}
		fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(header, " | "), strings.Repeat(" --- |", len(header)))
		for _, row := range t.Rows {
			cells := make([]string, len(row))
			for i, c := range row {
				cells[i] = cell(c)
			}
			fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "# Monthly operational review, %s (%s)\n\n", r.Month, zone(r))
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

// isWordRune reports whether r is a letter or a digit, between two of
// which an underscore is part of a word in Markdown.
func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// Heading words a header of a table, in capitals, for a document: in
// sentence case, but for the objectives' abbreviations (RPO, RTO).
func Heading(h string) string {
	words := strings.Fields(strings.ToLower(h))
	if len(words) == 0 {
		return ""
	}
	for j, w := range words {
		if w == "rpo" || w == "rto" {
			words[j] = strings.ToUpper(w)
		}
	}
	return strings.ToUpper(words[0][:1]) + strings.Join(words, " ")[1:]
}

// The figures of a review for people, as the CLI gives them elsewhere.

// layoutUTC is a time to the minute with its offset: Z in UTC.
const layoutUTC = "2006-01-02 15:04Z07:00"

// fmtTime is t in UTC to the minute, or a dash for none.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(layoutUTC)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Objective words a recovery objective and the process that sets it, or
// a dash for none.
func Objective(o *andon.Objective) string {
	if o == nil {
		return "-"
	}
	return andon.HumanDuration(o.Duration) + " (" + o.Process + ")"
}

// YesNo words a verdict.
func YesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// WithinRTO words the RTO verdict, a dash when there is none to weigh.
func WithinRTO(b *bool) string {
	if b == nil {
		return "-"
	}
	return YesNo(*b)
}

// SpreadP50 and SpreadP90 word a spread's median and 90th percentile to
// the minute, or a dash when it has none.
func SpreadP50(s andon.Spread) string { return spreadDuration(s.P50()) }
func SpreadP90(s andon.Spread) string { return spreadDuration(s.P90()) }

// spreadDuration is a percentile to the minute, or a dash for none.
func spreadDuration(d time.Duration, ok bool) string {
	if !ok {
		return "-"
	}
	return andon.HumanDuration(d)
}
