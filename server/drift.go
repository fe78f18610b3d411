package server

import (
	"errors"
	"net/http"

	"github.com/andon-governance/andon"
)

// errNoDriftService answers a drift report sent to a server wired without
// a place to record it.
var errNoDriftService = errors.New("the server has no drift service configured")

// handleDrift records the report of an andon drift run and sets the drift
// gauges of its environment. The gauges hold the last report this
// process recorded: each replica knows only the reports it received.
func handleDrift(drift andon.DriftService, m *metrics) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := parseQuery(r); err != nil {
			return err
		}
		rep, err := decode[andon.DriftReport](w, r)
		if err != nil {
			return err
		}
		// Checking here answers a malformed report before the store opens
		// a transaction; the service checks it again against the catalog.
		if err := rep.Validate(); err != nil {
			return err
		}
		if drift == nil {
			return errNoDriftService
		}
		rec, err := drift.RecordDrift(r.Context(), &rep)
		if err != nil {
			return err
		}
		m.observeDrift(rep.Environment, rep.Counts, rec.Time)
		return encode(w, http.StatusOK, rec)
	}
}
