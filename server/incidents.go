package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"

	"github.com/andon-governance/andon"
)

// incidentStates are the states a listing of incidents may ask for.
var incidentStates = []string{andon.IncidentOpen, andon.IncidentResolved}

// handleIncidentOpen opens an incident for the user in the context: the
// andon cord, which anyone may pull.
func handleIncidentOpen(incidents andon.IncidentService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := parseQuery(r); err != nil {
			return err
		}
		req, err := decode[andon.IncidentRequest](w, r)
		if err != nil {
			return err
		}
		if err := req.Validate(); err != nil {
			return err
		}
		inc, err := incidents.OpenIncident(r.Context(), &req)
		if err != nil {
			return err
		}
		w.Header().Set("Location", "/api/v1/incidents/"+url.PathEscape(inc.ID))
		return encode(w, http.StatusCreated, inc)
	}
}

// handleIncidentList answers the incidents, the open ones first.
func handleIncidentList(incidents andon.IncidentService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q, err := parseQuery(r, "state", "severity", "offset", "limit")
		if err != nil {
			return err
		}
		var f andon.IncidentFilter
		if f.State, err = oneOf(q, "state", incidentStates); err != nil {
			return err
		}
		if f.Severity, err = oneOf(q, "severity", andon.Levels); err != nil {
			return err
		}
		offset, err := q.int("offset", 0, 0, 1<<31-1)
		if err != nil {
			return err
		}
		limit, err := q.int("limit", defaultLimit, 1, maxLimit)
		if err != nil {
			return err
		}
		f.Offset, f.Limit = int(offset), int(limit)
		list, err := incidents.FindIncidents(r.Context(), f)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, struct {
			Incidents []*andon.Incident `json:"incidents"`
		}{nonNil(list)})
	}
}

// handleIncidentGet answers one incident.
func handleIncidentGet(incidents andon.IncidentService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := parseQuery(r); err != nil {
			return err
		}
		inc, err := incidents.FindIncidentByID(r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, inc)
	}
}

// resolveRequest is the body of POST /api/v1/incidents/{id}/resolve.
type resolveRequest struct {
	Comment string `json:"comment"`
}

// handleIncidentResolve resolves an open incident.
func handleIncidentResolve(incidents andon.IncidentService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := parseQuery(r); err != nil {
			return err
		}
		req, err := decode[resolveRequest](w, r)
		if err != nil {
			return err
		}
		inc, err := incidents.ResolveIncident(r.Context(), r.PathValue("id"), req.Comment)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, inc)
	}
}

// handleAlertmanager takes the notifications of an Alertmanager webhook
// receiver. Unlike the API's other bodies, a notification is read
// leniently: Alertmanager adds members (groupKey, truncatedAlerts, ...)
// that andon does not read, and a newer Alertmanager may add more. Its
// version must be 4, the one whose alerts andon reads.
func handleAlertmanager(incidents andon.IncidentService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := parseQuery(r); err != nil {
			return err
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
		if err != nil {
			return decodeError(err)
		}
		var n andon.AlertNotification
		if string(bytes.TrimSpace(body)) == "null" {
			return andon.Errorf(andon.EINVALID, "request body: want an Alertmanager notification, got null")
		}
		if err := json.Unmarshal(body, &n); err != nil {
			return decodeError(err)
		}
		if n.Version != "4" {
			return andon.Errorf(andon.EINVALID, "version: %q; andon reads the notifications of Alertmanager's webhook of version \"4\"", n.Version)
		}
		got, err := incidents.ReceiveAlerts(r.Context(), &n)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, got)
	}
}
