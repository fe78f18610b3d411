package server

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/andon-governance/andon"
)

// Bounds of the limit parameters of listings. A listing is a page for a
// person or a CLI table; larger exports go through the audit log.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// handleChangeCreate opens a change for the user in the context.
func handleChangeCreate(changes andon.ChangeService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := parseQuery(r); err != nil {
			return err
		}
		req, err := decode[andon.ChangeRequest](w, r)
		if err != nil {
			return err
		}
		// Checking here answers a malformed request before the store opens
		// a transaction; the service checks again against the catalog.
		if err := req.Validate(); err != nil {
			return err
		}
		c, err := changes.CreateChange(r.Context(), &req)
		if err != nil {
			return err
		}
		w.Header().Set("Location", "/api/v1/changes/"+url.PathEscape(c.ID))
		return encode(w, http.StatusCreated, c)
	}
}

// handleChangeList answers the changes matching the query, newest first,
// with the number that match in all.
func handleChangeList(changes andon.ChangeService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q, err := parseQuery(r, "environment", "type", "state", "tier", "requester", "image", "process", "q", "before", "offset", "limit")
		if err != nil {
			return err
		}
		var filter andon.ChangeFilter
		if err := q.strings(textParam{"environment", &filter.Environment}, textParam{"requester", &filter.Requester},
			textParam{"image", &filter.Image}, textParam{"process", &filter.Process}, textParam{"q", &filter.Query}, textParam{"before", &filter.Before}); err != nil {
			return err
		}
		if filter.Image != "" {
			// Named as a parameter, as every other is, so that the
			// command line can say --image.
			if _, err := andon.ParseImage(filter.Image); err != nil {
				return andon.Errorf(andon.EINVALID, "query parameter image: %s", andon.ErrorMessage(err))
			}
		}
		if filter.Type, err = oneOf(q, "type", andon.ChangeTypes); err != nil {
			return err
		}
		if filter.State, err = oneOf(q, "state", andon.States); err != nil {
			return err
		}
		if filter.Tier, err = oneOf(q, "tier", andon.Levels); err != nil {
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
		filter.Offset, filter.Limit = int(offset), int(limit)
		list, total, err := changes.FindChanges(r.Context(), filter)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, struct {
			Changes []*andon.Change `json:"changes"`
			Total   int             `json:"total"`
		}{nonNil(list), total})
	}
}

// handleChangeGet answers one change.
func handleChangeGet(changes andon.ChangeService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := parseQuery(r); err != nil {
			return err
		}
		c, err := changes.FindChangeByID(r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, c)
	}
}

// decisionRequest is the body of POST /api/v1/changes/{id}/approvals.
type decisionRequest struct {
	Verdict andon.Verdict `json:"verdict"`
	Comment string        `json:"comment"`
}

// handleChangeDecide records an approval or a rejection by the user in
// the context. Segregation of duties is the service's to enforce.
func handleChangeDecide(changes andon.ChangeService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := parseQuery(r); err != nil {
			return err
		}
		req, err := decode[decisionRequest](w, r)
		if err != nil {
			return err
		}
		if req.Verdict != andon.Approve && req.Verdict != andon.Reject {
			return andon.Errorf(andon.EINVALID, "verdict: %q is not one of approve, reject", req.Verdict)
		}
		c, err := changes.Decide(r.Context(), r.PathValue("id"), req.Verdict, req.Comment)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, c)
	}
}

// transitionTargets are the states a transition request may name;
// approved and rejected follow from approvals instead.
var transitionTargets = []andon.State{andon.StateImplementing, andon.StateCompleted,
	andon.StateFailed, andon.StateRolledBack, andon.StateCancelled}

// transitionRequest is the body of POST /api/v1/changes/{id}/transitions.
type transitionRequest struct {
	To      andon.State `json:"to"`
	Comment string      `json:"comment"`
}

// handleChangeTransition moves a change to another state.
func handleChangeTransition(changes andon.ChangeService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := parseQuery(r); err != nil {
			return err
		}
		req, err := decode[transitionRequest](w, r)
		if err != nil {
			return err
		}
		if !slices.Contains(transitionTargets, req.To) {
			return andon.Errorf(andon.EINVALID, "to: %q is not one of %s", req.To, joinValues(transitionTargets))
		}
		c, err := changes.Transition(r.Context(), r.PathValue("id"), req.To, req.Comment)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, c)
	}
}

// handleChangeStartCheck answers what the gate would answer now to a
// start of the change by hand, writing nothing.
func handleChangeStartCheck(changes andon.ChangeService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := parseQuery(r); err != nil {
			return err
		}
		check, err := changes.CheckStart(r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, check)
	}
}

// reviewRequest is the body of POST /api/v1/changes/{id}/review.
type reviewRequest struct {
	Comment string `json:"comment"`
}

// handleChangeReview records the retrospective review of an emergency
// change.
func handleChangeReview(changes andon.ChangeService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := parseQuery(r); err != nil {
			return err
		}
		req, err := decode[reviewRequest](w, r)
		if err != nil {
			return err
		}
		c, err := changes.ReviewChange(r.Context(), r.PathValue("id"), req.Comment)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, c)
	}
}

// handleFindings answers what needs attention.
func handleFindings(changes andon.ChangeService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := parseQuery(r); err != nil {
			return err
		}
		findings, err := changes.Findings(r.Context())
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, struct {
			Findings []andon.Finding `json:"findings"`
		}{nonNil(findings)})
	}
}

// nonNil returns s, or an empty slice for nil, so that lists encode as []
// rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
