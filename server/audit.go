package server

import (
	"math"
	"net/http"

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
// concern one change, its gate decisions included.
func handleAuditEntries(audit andon.AuditService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q, err := parseQuery(r, "type", "subject", "actor", "change", "after", "limit")
		if err != nil {
			return err
		}
		// Entries are numbered from 0, so listing from the start means
		// after -1; that is the default, not AuditFilter's zero value,
		// which would skip the first entry.
		after, err := q.int("after", -1, -1, math.MaxInt64)
		if err != nil {
			return err
		}
		limit, err := q.int("limit", defaultLimit, 1, maxLimit)
		if err != nil {
			return err
		}
		entries, err := audit.FindEntries(r.Context(), andon.AuditFilter{
			Type:    q.string("type"),
			Subject: q.string("subject"),
			Actor:   q.string("actor"),
			Change:  q.string("change"),
			After:   after,
			Limit:   int(limit),
		})
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, struct {
			Entries []*andon.Entry `json:"entries"`
		}{nonNil(entries)})
	}
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
