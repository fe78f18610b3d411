package web

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/andon-governance/andon"
)

// reportsView is the data of the reports page.
type reportsView struct {
	Report *andon.DORAReport
	// Since and Until are the period's days as the form shows them
	// (YYYY-MM-DD), or "" for the default.
	Since, Until string
	// Environments, Plants and Processes are the catalog's names, to
	// choose one from.
	Environments, Plants, Processes []string
	Rows                            []doraRow
	Total                           doraRow
	// Incidents is the time to restore after an incident, for people.
	Incidents doraRow
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
	for _, e := range cat.Environments {
		v.Environments = append(v.Environments, e.Name)
	}
	for _, p := range cat.Plants {
		v.Plants = append(v.Plants, p.Name)
	}
	for _, p := range cat.Processes {
		v.Processes = append(v.Processes, p.Name)
	}
	for _, e := range v.Report.Environments {
		v.Rows = append(v.Rows, newDORARow(e.Environment, e))
	}
	v.Total = newDORARow("All", v.Report.Total)
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
