package web

import (
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/internal/reviewdoc"
)

// reportsView is the data of the reports page.
type reportsView struct {
	Report *andon.DORAReport
	// Since and Until are the period's days as the form shows them
	// (YYYY-MM-DD), or "" for the default.
	Since, Until string
	catalogChoices
	Rows  []doraRow
	Total doraRow
	// Incidents is the time to restore after an incident, for people.
	Incidents doraRow
	// Review asks for the monthly review of the month before now's, of
	// the environments the report is of.
	Review reviewForm
}

// doraRow is one row of the report's table, as people read it.
type doraRow struct {
	Name, Deployments, PerWeek, LeadP50, LeadP90, Ended, Failed, RolledBack, Rate, RestoreP50, RestoreP90 string
}

// reports shows the DORA report of a period: the 30 days before now, or
// the days the form gives, for every environment or those of one
// environment, plant or process.
func (h *Handler) reports(w http.ResponseWriter, r *http.Request) error {
	cat, err := h.catalog()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := andon.DORAFilter{Environment: q.Get("env"), Plant: q.Get("plant"), Process: q.Get("process"), Until: h.cfg.Now()}
	v := &reportsView{Since: strings.TrimSpace(q.Get("since")), Until: strings.TrimSpace(q.Get("until"))}
	if v.Until != "" {
		if f.Until, err = time.Parse(dateLayout, v.Until); err != nil {
			return andon.Errorf(andon.EINVALID, "until: %q is not a day (YYYY-MM-DD)", v.Until)
		}
	}
	f.Since = f.Until.Add(-andon.DefaultReportPeriod)
	if v.Since != "" {
		if f.Since, err = time.Parse(dateLayout, v.Since); err != nil {
			return andon.Errorf(andon.EINVALID, "since: %q is not a day (YYYY-MM-DD)", v.Since)
		}
	}
	if v.Report, err = h.cfg.Reports.DORA(r.Context(), f); err != nil {
		return err
	}
	v.catalogChoices = choicesOf(cat)
	for _, e := range v.Report.Environments {
		v.Rows = append(v.Rows, newDORARow(e.Environment, e))
	}
	v.Total = newDORARow("All", v.Report.Total)
	review := andon.ReviewFilter{Environment: f.Environment, Plant: f.Plant, Process: f.Process}
	review.Month = h.lastMonth(cat, review)
	v.Review = newReviewForm(cat, review)
	v.Incidents = doraRow{Name: fmt.Sprint(v.Report.Incidents.Resolved),
		RestoreP50: percentile(v.Report.Incidents.Restore.P50()), RestoreP90: percentile(v.Report.Incidents.Restore.P90())}
	return h.render(w, r, http.StatusOK, "reports", v)
}

func newDORARow(name string, f andon.DORAFigures) doraRow {
	row := doraRow{Name: name, Deployments: fmt.Sprint(f.Deployments), PerWeek: fmt.Sprint(f.DeploymentsPerWeek),
		LeadP50: percentile(f.LeadTime.P50()), LeadP90: percentile(f.LeadTime.P90()),
		Ended: fmt.Sprint(f.Completed + f.Failed + f.RolledBack), Failed: fmt.Sprint(f.Failed), RolledBack: fmt.Sprint(f.RolledBack),
		Rate: "—", RestoreP50: percentile(f.Restore.P50()), RestoreP90: percentile(f.Restore.P90())}
	if f.EmergencyDeployments > 0 {
		row.Deployments += fmt.Sprintf(" (%d emergency)", f.EmergencyDeployments)
	}
	if f.ChangeFailureRate != nil {
		row.Rate = fmt.Sprintf("%g%%", math.Round(*f.ChangeFailureRate*1000)/10)
	}
	if f.Unrestored > 0 {
		row.RestoreP90 += fmt.Sprintf(" (%d not restored)", f.Unrestored)
	}
	return row
}

// percentile is a percentile of a report for people, or a dash when there
// is none.
func percentile(d time.Duration, ok bool) string {
	if !ok {
		return "—"
	}
	return andon.HumanDuration(d)
}

// reviewView is the data of the monthly review's page.
type reviewView struct {
	Review *andon.Review
	Form   reviewForm
	// Head, Gate, Delivery and Incidents are the facts said before the
	// tables of their sections, as andon report review says them.
	Head, Gate, Delivery, Incidents []reviewFact
	// Changes, Emergencies, Denials, IncidentList, Posture, RestoreTests
	// and Findings are its tables.
	Changes, Emergencies, Denials, IncidentList, Posture, RestoreTests, Findings reviewTable
	// Markdown is the address of the review's Markdown document.
	Markdown string
}

// reviewForm is the form that asks for a monthly review: Month, Env,
// Plant, Process and Timezone are its filter as the form shows it,
// Environments, Plants and Processes the catalog's names, to choose one
// from, and Timezones the plants' time zones and UTC, to suggest.
type reviewForm struct {
	Month, Env, Plant, Process, Timezone string
	catalogChoices
	Timezones []string
}

// newReviewForm returns the form of f, its choices those of cat.
func newReviewForm(cat *andon.Catalog, f andon.ReviewFilter) reviewForm {
	form := reviewForm{Month: f.Month, Env: f.Environment, Plant: f.Plant, Process: f.Process, Timezone: f.Timezone,
		catalogChoices: choicesOf(cat), Timezones: []string{"UTC"}}
	for _, p := range cat.Plants {
		if p.Location != nil && !slices.Contains(form.Timezones, p.Location.String()) {
			form.Timezones = append(form.Timezones, p.Location.String())
		}
	}
	return form
}

// catalogChoices are the names of the catalog's environments, plants and
// processes, for a report's form to choose one from.
type catalogChoices struct {
	Environments, Plants, Processes []string
}

// choicesOf returns the choices of cat.
func choicesOf(cat *andon.Catalog) catalogChoices {
	var c catalogChoices
	for _, e := range cat.Environments {
		c.Environments = append(c.Environments, e.Name)
	}
	for _, p := range cat.Plants {
		c.Plants = append(c.Plants, p.Name)
	}
	for _, p := range cat.Processes {
		c.Processes = append(c.Processes, p.Name)
	}
	return c
}

// reviewFact is a fact of the review, such as its month, and its value.
type reviewFact struct{ Name, Value string }

// reviewTable is a table of the review, its header worded for people: ID
// is its element's, Caption says what it holds, None is said instead of
// an empty table.
type reviewTable struct {
	ID, Caption string
	Header      []string
	Rows        [][]string
	None        string
}

// reviewFilter reads the month, the environments and the time zone of
// the review from the query: when no month is given, the month before
// now's in the review's time zone, the month a review is read in the
// first days of the next.
func (h *Handler) reviewFilter(r *http.Request, cat *andon.Catalog) andon.ReviewFilter {
	q := r.URL.Query()
	f := andon.ReviewFilter{Month: strings.TrimSpace(q.Get("month")), Environment: q.Get("env"), Plant: q.Get("plant"), Process: q.Get("process"),
		Timezone: strings.TrimSpace(q.Get("timezone"))}
	if !q.Has("month") {
		f.Month = h.lastMonth(cat, f)
	}
	return f
}

// lastMonth is the month before now's, as YYYY-MM, in the time zone of
// f's review: on the first of December in Geelong, it is still November
// in UTC, and the review Geelong reads is November's. A time zone that is
// not one counts in UTC here; the review refuses it, naming it.
func (h *Handler) lastMonth(cat *andon.Catalog, f andon.ReviewFilter) string {
	loc, err := f.Location(cat)
	if err != nil {
		loc = time.UTC
	}
	now := h.cfg.Now().In(loc)
	return time.Date(now.Year(), now.Month()-1, 1, 0, 0, 0, 0, loc).Format("2006-01")
}

// review shows the monthly operational review of a month, for every
// environment or those of one environment, plant or process, as andon
// report review prints it, with the address of its Markdown document.
func (h *Handler) review(w http.ResponseWriter, r *http.Request) error {
	cat, err := h.catalog()
	if err != nil {
		return err
	}
	f := h.reviewFilter(r, cat)
	v := &reviewView{Form: newReviewForm(cat, f)}
	if v.Review, err = h.cfg.Reports.Review(r.Context(), f); err != nil {
		return err
	}
	head, gate, delivery, incidents := reviewdoc.Facts(v.Review)
	v.Head, v.Gate, v.Delivery, v.Incidents = reviewFacts(head), reviewFacts(gate), reviewFacts(delivery), reviewFacts(incidents)
	tables := reviewdoc.Tables(v.Review)
	table := func(i int, id, caption string) reviewTable {
		t := reviewTable{ID: id, Caption: caption, Rows: tables[i].Rows, None: tables[i].None}
		for _, h := range tables[i].Header {
			t.Header = append(t.Header, reviewdoc.Heading(h))
		}
		return t
	}
	v.Changes = table(0, "review-changes", "Changes opened in the month, by environment, and how they stand now")
	v.Emergencies = table(1, "review-emergencies", "Emergency changes opened in the month and their retrospective reviews")
	v.Denials = table(2, "review-denials", "Gate denials by reason code (a denial for two reasons counts under each)")
	v.IncidentList = table(3, "review-incidents", "Incidents opened or resolved in the month")
	v.Posture = table(4, "review-posture", "Recovery posture now")
	v.RestoreTests = table(5, "review-restore-tests", "Restore tests of the month")
	v.Findings = table(6, "review-findings", "Findings open now")
	q := url.Values{"month": {f.Month}}
	for k, s := range map[string]string{"env": f.Environment, "plant": f.Plant, "process": f.Process, "timezone": f.Timezone} {
		if s != "" {
			q.Set(k, s)
		}
	}
	v.Markdown = "/reports/review.md?" + q.Encode()
	return h.render(w, r, http.StatusOK, "review", v)
}

// reviewFacts are facts for people, each name capitalised.
func reviewFacts(kvs [][2]string) []reviewFact {
	facts := make([]reviewFact, len(kvs))
	for i, kv := range kvs {
		facts[i] = reviewFact{Name: strings.ToUpper(kv[0][:1]) + kv[0][1:], Value: kv[1]}
	}
	return facts
}

// reviewMarkdown serves the monthly review's Markdown document, byte for
// byte what andon report review -o markdown writes with the same month
// and filter, named after them: review-2026-11.md, review-lyon-2026-11.md.
func (h *Handler) reviewMarkdown(w http.ResponseWriter, r *http.Request) error {
	cat, err := h.catalog()
	if err != nil {
		return err
	}
	f := h.reviewFilter(r, cat)
	review, err := h.cfg.Reports.Review(r.Context(), f)
	if err != nil {
		return err
	}
	b := reviewdoc.Markdown(review)
	name := "review-" + f.Month + ".md"
	// The catalog's names and a month checked already.
	if s := f.Environment + f.Plant + f.Process; s != "" {
		name = "review-" + s + "-" + f.Month + ".md"
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return nil
}
