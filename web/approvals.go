package web

import (
	"net/http"
	"slices"

	"github.com/andon-governance/andon"
)

// inboxLimit bounds the pending changes the inbox looks through.
const inboxLimit = 1000

// approvalsView is the data of the inbox.
type approvalsView struct {
	// Waiting are the pending changes the user may approve now.
	Waiting []*andon.Change
	// Mine are the user's own changes waiting for others.
	Mine []*andon.Change
	// Looked is the number of pending changes looked through, fewer than
	// Pending when there are more than inboxLimit.
	Looked, Pending int
	// Reviewer is set for a change manager, who reviews emergency changes;
	// Overdue are the emergency changes whose review is overdue and that
	// the user may give, the longest overdue first.
	Reviewer bool
	Overdue  []overdueReview
}

// overdueReview is an emergency change whose retrospective review is
// overdue.
type overdueReview struct {
	Change *andon.Change
	By     string // how long overdue, for people
}

// approvals lists what waits for the signed-in user's approval: pending
// changes with an open slot of a role the user holds, that the user did
// not request and has not approved yet (the rules of Change.SlotFor), and,
// for a change manager, the emergency changes whose review is overdue.
func (h *Handler) approvals(w http.ResponseWriter, r *http.Request) error {
	cat, err := h.catalog()
	if err != nil {
		return err
	}
	user := andon.UserFromContext(r.Context())
	pending, total, err := h.cfg.Changes.FindChanges(r.Context(), andon.ChangeFilter{State: andon.StatePending, Limit: inboxLimit})
	if err != nil {
		return err
	}
	v := &approvalsView{Looked: len(pending), Pending: total}
	for _, c := range pending {
		if c.Requester == user.Name {
			v.Mine = append(v.Mine, c)
			continue
		}
		if _, err := c.SlotFor(user.Name, user.Roles, cat.Holders); err == nil {
			v.Waiting = append(v.Waiting, c)
		}
	}
	// The reviews owed by emergency changes are a change manager's to
	// give; those overdue are findings of the API (andon findings), the
	// only ones asked for: the others, such as the pending changes that
	// the teams can no longer approve, are not shown here.
	if v.Reviewer = slices.Contains(user.Roles, andon.RoleChangeManager); v.Reviewer {
		findings, err := h.cfg.Changes.Findings(r.Context(), andon.FindingReviewOverdue)
		if err != nil {
			return err
		}
		now := h.cfg.Now()
		for _, f := range findings {
			if f.Code != andon.FindingReviewOverdue || f.ChangeID == "" {
				continue
			}
			c, err := h.cfg.Changes.FindChangeByID(r.Context(), f.ChangeID)
			if err != nil {
				return err
			}
			if c.CanReview(user.Name, user.Roles) == nil {
				v.Overdue = append(v.Overdue, overdueReview{Change: c, By: andon.HumanDuration(now.Sub(f.Due))})
			}
		}
	}
	return h.render(w, r, http.StatusOK, "approvals", v)
}
