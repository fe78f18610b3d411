package web

import (
	"net/http"
	"slices"
	"time"

	"github.com/andon-governance/andon"
)

// inboxLimit bounds the pending changes the inbox looks through, and the
// reviews owed it lists.
const inboxLimit = 1000

// approvalsView is the data of the inbox.
type approvalsView struct {
	// Waiting are the pending changes the user may approve now.
	Waiting []changeRow
	// Mine are the user's own changes waiting for others.
	Mine []changeRow
	// Looked is the number of pending changes looked through, fewer than
	// Pending when there are more than inboxLimit.
	Looked, Pending int
	// Reviewer is set for a change manager, who reviews emergency changes;
	// Reviews are the emergency changes whose retrospective review the
	// user may give (the rule of Change.CanReview, as the review itself
	// follows): the overdue ones first, the longest overdue first, then
	// the others, the soonest due first.
	Reviewer bool
	Reviews  []reviewOwed
	// ReviewsLooked is the number of reviews owed looked through, the
	// soonest due first, fewer than ReviewsOwed when there are more than
	// inboxLimit.
	ReviewsLooked, ReviewsOwed int
	// Ended are the pending and approved changes whose window has ended
	// (the findings WINDOW_ENDED) that are the user's to cancel or that
	// wait for the user's approval, which would be refused; they are not
	// listed as waiting.
	Ended []windowEnded
	// Expired are the approved emergency changes, never deployed, past
	// the emergency validity of the policy in force (the findings
	// EMERGENCY_EXPIRED) that the user may cancel or approved.
	Expired []emergencyExpired
}

// changeRow is a change in a table, with the time zone of its
// environment's plant, whose times its row shows, as the change's page
// does.
type changeRow struct {
	*andon.Change
	Loc *time.Location
	// Frozen are the freezes that stop the change during its window
	// (freezesOver), for the changes waiting for the user's approval.
	Frozen []freezeOver
}

// rowOf returns the row of c: its times in the zone of its environment's
// plant, or in UTC when the environment has left the catalog.
func rowOf(cat *andon.Catalog, c *andon.Change) changeRow {
	loc := time.UTC
	if env := cat.Environment(c.Environment); env != nil {
		loc = cat.Location(env)
	}
	return changeRow{Change: c, Loc: loc}
}

// reviewOwed is an emergency change that owes its retrospective review.
type reviewOwed struct {
	changeRow
	Overdue bool
	// In is how long overdue the review is, or, when it is not, how long
	// until it is due, for people.
	In string
}

// windowEnded is a pending or approved change whose window has ended:
// nothing lets it go ahead any more.
type windowEnded struct {
	changeRow
	Ago string // how long ago the window ended, for people
	// MayCancel says the user may cancel it (its requester, a change
	// manager or a platform admin); otherwise the user could approve it
	// but for its window, and may reject it.
	MayCancel bool
}

// emergencyExpired is an approved emergency change without a window of
// its own, never deployed, that the gate refuses now: its approval is
// older than the policy's emergency validity.
type emergencyExpired struct {
	changeRow
	Until time.Time // until when it could have gone ahead
	Ago   string    // how long ago that was, for people
	// MayCancel says the user may cancel it (its requester, a change
	// manager or a platform admin); otherwise the user approved it, and
	// is told to ask its requester.
	MayCancel bool
}

// approvals lists what waits for the signed-in user's approval: pending
// changes with an open slot of a role the user holds, that the user did
// not request and has not approved yet (the rules of Change.SlotFor); the
// changes whose window has ended that are the user's to cancel or to
// reject; the emergency changes approved too long ago to go ahead that
// the user may cancel or approved; and, for a change manager, the emergency changes whose review
// the user may give, due or overdue: a review listed only once overdue
// would always be late.
func (h *Handler) approvals(w http.ResponseWriter, r *http.Request) error {
	cat, err := h.catalog()
	if err != nil {
		return err
	}
	ctx := r.Context()
	user := andon.UserFromContext(ctx)
	row := func(c *andon.Change) changeRow { return rowOf(cat, c) }
	pending, total, err := h.cfg.Changes.FindChanges(ctx, andon.ChangeFilter{State: andon.StatePending, Limit: inboxLimit})
	if err != nil {
		return err
	}
	v := &approvalsView{Looked: len(pending), Pending: total}
	// Only the findings shown here are asked for: the others, such as the
	// pending changes that the teams can no longer approve, weigh up to
	// 1000 changes against the teams for nothing. The reviews owed,
	// overdue or not, are read with the changes that owe them, below.
	findings, err := h.cfg.Changes.Findings(ctx, andon.FindingWindowEnded, andon.FindingEmergencyExpired)
	if err != nil {
		return err
	}
	ended := map[string]andon.Finding{}
	for _, f := range findings {
		if f.Code == andon.FindingWindowEnded && f.ChangeID != "" {
			ended[f.ChangeID] = f
		}
	}
	now := h.cfg.Now()
	byID := map[string]*andon.Change{}
	for _, c := range pending {
		byID[c.ID] = c
		if _, ok := ended[c.ID]; ok {
			continue // listed with the windows ended
		}
		if c.Requester == user.Name {
			v.Mine = append(v.Mine, row(c))
			continue
		}
		if _, err := c.SlotFor(user.Name, user.Roles, cat.Holders); err == nil {
			// An approver sees which of them a freeze would hold back
			// in their window, before opening each.
			waiting := row(c)
			if cat.Environment(c.Environment) != nil {
				if waiting.Frozen, err = h.freezesOver(ctx, c); err != nil {
					return err
				}
			}
			v.Waiting = append(v.Waiting, waiting)
		}
	}
	// The changes the findings name that are not among the pending ones
	// read above are read together, in one listing a thousand, rather
	// than one by one: a store may hold a thousand of each finding, and
	// the page read each of them by itself.
	var missing []string
	for _, f := range findings {
		if f.ChangeID != "" && byID[f.ChangeID] == nil && (f.Code == andon.FindingEmergencyExpired || f.Code == andon.FindingWindowEnded) {
			missing = append(missing, f.ChangeID)
		}
	}
	for chunk := range slices.Chunk(missing, inboxLimit) {
		found, _, err := h.cfg.Changes.FindChanges(ctx, andon.ChangeFilter{IDs: chunk, Limit: inboxLimit})
		if err != nil {
			return err
		}
		for _, c := range found {
			byID[c.ID] = c
		}
	}
	for _, f := range findings {
		c := byID[f.ChangeID]
		if c == nil {
			continue // a finding of no change, or of none shown here
		}
		if f.Code == andon.FindingEmergencyExpired {
			e := emergencyExpired{changeRow: row(c), Until: f.Due, Ago: andon.HumanDuration(now.Sub(f.Due)), MayCancel: c.MayMove(user.Name, user.Roles)}
			approved := slices.ContainsFunc(c.Approvals, func(a andon.Approval) bool { return a.Approver == user.Name })
			if e.MayCancel || approved {
				v.Expired = append(v.Expired, e)
			}
			continue
		}
		if f.Code != andon.FindingWindowEnded {
			continue
		}
		e := windowEnded{changeRow: row(c), Ago: andon.HumanDuration(now.Sub(f.Due)), MayCancel: c.MayMove(user.Name, user.Roles)}
		_, slotErr := c.SlotFor(user.Name, user.Roles, cat.Holders)
		if e.MayCancel || (c.State == andon.StatePending && slotErr == nil) {
			v.Ended = append(v.Ended, e)
		}
	}
	// The reviews owed by emergency changes are a change manager's to
	// give: read in one listing, the soonest due first, so that the
	// longest overdue are those shown when there are more than
	// inboxLimit.
	if v.Reviewer = slices.Contains(user.Roles, andon.RoleChangeManager); v.Reviewer {
		owed, total, err := h.cfg.Changes.FindChanges(ctx, andon.ChangeFilter{Type: andon.ChangeEmergency, ReviewOwed: true, Limit: inboxLimit})
		if err != nil {
			return err
		}
		v.ReviewsLooked, v.ReviewsOwed = len(owed), total
		for _, c := range owed {
			if c.ReviewDue == nil || c.CanReview(user.Name, user.Roles) != nil {
				continue
			}
			o := reviewOwed{changeRow: row(c), Overdue: c.ReviewDue.Before(now), In: andon.HumanDuration(c.ReviewDue.Sub(now))}
			if o.Overdue {
				o.In = andon.HumanDuration(now.Sub(*c.ReviewDue))
			}
			v.Reviews = append(v.Reviews, o)
		}
	}
	return h.render(w, r, http.StatusOK, "approvals", v)
}
