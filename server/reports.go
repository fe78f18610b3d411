package server

import (
	"net/http"
	"time"

	"github.com/andon-governance/andon"
)

// handleReportDORA answers the DORA report of a period, the 30 days
// before until (now by default) unless since says otherwise, for every
// environment or those env, plant or process selects.
func handleReportDORA(reports andon.ReportService, now func() time.Time) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q, err := parseQuery(r, "since", "until", "env", "plant", "process")
		if err != nil {
			return err
		}
		var f andon.DORAFilter
		if err := q.strings(textParam{"env", &f.Environment}, textParam{"plant", &f.Plant}, textParam{"process", &f.Process}); err != nil {
			return err
		}
		if f.Until, err = q.time("until", now()); err != nil {
			return err
		}
		if f.Since, err = q.time("since", f.Until.Add(-andon.DefaultReportPeriod)); err != nil {
			return err
		}
		report, err := reports.DORA(r.Context(), f)
		if andon.ErrorCode(err) == andon.EINVALID {
			// The filter's errors name its fields as the query does.
			return andon.Errorf(andon.EINVALID, "query parameter %s", andon.ErrorMessage(err))
		} else if err != nil {
			return err
		}
		return encode(w, http.StatusOK, report)
	}
}

// handleReportReview answers the monthly operational review of month, for
// every environment or those env, plant or process selects, in the time
// zone of the plant or environment unless timezone says otherwise.
func handleReportReview(reports andon.ReportService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q, err := parseQuery(r, "month", "env", "plant", "process", "timezone")
		if err != nil {
			return err
		}
		var f andon.ReviewFilter
		if err := q.strings(textParam{"env", &f.Environment}, textParam{"plant", &f.Plant}, textParam{"process", &f.Process},
			textParam{"timezone", &f.Timezone}); err != nil {
			return err
		}
		if f.Month, err = q.required("month"); err != nil {
			return err
		}
		review, err := reports.Review(r.Context(), f)
		if andon.ErrorCode(err) == andon.EINVALID {
			// The filter's errors name its fields as the query does.
			return andon.Errorf(andon.EINVALID, "query parameter %s", andon.ErrorMessage(err))
		} else if err != nil {
			return err
		}
		return encode(w, http.StatusOK, review)
	}
}
