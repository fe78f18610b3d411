package server

import (
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/andon-governance/andon"
)

// handleAuditCheckpoint answers the latest signed checkpoint of the audit
// log.
func handleAuditCheckpoint(audit andon.AuditService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := parseQuery(r); err != nil {
			return err
		}
		cp, err := audit.Checkpoint(r.Context())
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, cp)
	}
}

// handleAuditEntries answers the audit entries matching the query, in
// index order, after the index given; change selects the entries that
// concern one change, its gate decisions included, and process those of
// every change of one business process.
func handleAuditEntries(audit andon.AuditService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		filter, err := auditFilter(r, defaultLimit)
		if err != nil {
			return err
		}
		entries, err := audit.FindEntries(r.Context(), filter)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, struct {
			Entries []*andon.Entry `json:"entries"`
		}{nonNil(entries)})
	}
}

// handleAuditEvidence answers an export of the entries matching the query,
// as the entries route selects them, with their inclusion proofs in the
// tree of the latest checkpoint: up to 1000 entries by default.
func handleAuditEvidence(audit andon.AuditService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		filter, err := auditFilter(r, maxLimit)
		if err != nil {
			return err
		}
		ev, err := audit.Evidence(r.Context(), filter)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, ev)
	}
}

// auditFilter reads the query of the entries and evidence routes, whose
// limit is limit when the query gives none.
func auditFilter(r *http.Request, limit int64) (andon.AuditFilter, error) {
	q, err := parseQuery(r, "type", "subject", "actor", "change", "process", "since", "until", "after", "limit")
	if err != nil {
		return andon.AuditFilter{}, err
	}
	// Entries are numbered from 0, so listing from the start means after
	// -1; that is the default, not AuditFilter's zero value, which would
	// skip the first entry.
	after, err := q.int("after", -1, -1, math.MaxInt64)
	if err != nil {
		return andon.AuditFilter{}, err
	}
	if limit, err = q.int("limit", limit, 1, maxLimit); err != nil {
		return andon.AuditFilter{}, err
	}
	f := andon.AuditFilter{After: after, Limit: int(limit)}
	if err := q.strings(textParam{"type", &f.Type}, textParam{"subject", &f.Subject}, textParam{"actor", &f.Actor}, textParam{"change", &f.Change}, textParam{"process", &f.Process}); err != nil {
		return andon.AuditFilter{}, err
	}
	if f.Type != "" && !slices.Contains(andon.EventTypes, f.Type) {
		return andon.AuditFilter{}, andon.Errorf(andon.EINVALID, "query parameter type: %q is not an event type of the audit log; want one of %s", f.Type, strings.Join(andon.EventTypes, ", "))
	}
	// In this order, so that the first wrong one is named.
	for _, end := range []struct {
		name string
		t    **time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		t, err := q.time(end.name, time.Time{})
		if err != nil {
			return andon.AuditFilter{}, err
		}
		if !t.IsZero() {
			*end.t = &t
		}
	}
	if f.Since != nil && f.Until != nil && !f.Since.Before(*f.Until) {
		return andon.AuditFilter{}, andon.Errorf(andon.EINVALID, "query parameters since and until: %s is not before %s", f.Since.Format(time.RFC3339), f.Until.Format(time.RFC3339))
	}
	return f, nil
}

// handleAuditProof answers the inclusion proof of one entry in the tree
// of the latest checkpoint.
func handleAuditProof(audit andon.AuditService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q, err := parseQuery(r, "index")
		if err != nil {
			return err
		}
		if _, err := q.required("index"); err != nil {
			return err
		}
		index, err := q.int("index", 0, 0, math.MaxInt64)
		if err != nil {
			return err
		}
		proof, err := audit.Proof(r.Context(), index)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, proof)
	}
}
