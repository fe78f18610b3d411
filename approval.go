package andon

import (
	"slices"
	"time"
)

// Slot is one required approval: a role, the number of distinct people
// needed, and who has filled it so far.
type Slot struct {
	Role     string   `json:"role"`
	Count    int      `json:"count"`
	Approved []string `json:"approved"`
}

// Filled reports whether the slot has all its approvals.
func (s Slot) Filled() bool { return len(s.Approved) >= s.Count }

// Slots returns the change's required approvals with the approvals given
// so far assigned to them.
func (c *Change) Slots() []Slot {
	slots := make([]Slot, 0, len(c.Risk.Approvals))
	for _, req := range c.Risk.Approvals {
		slot := Slot{Role: req.Role, Count: req.Count, Approved: []string{}}
		for _, a := range c.Approvals {
			if a.Verdict == Approve && a.Role == req.Role {
				slot.Approved = append(slot.Approved, a.Approver)
			}
		}
		slots = append(slots, slot)
	}
	return slots
}

// FullyApproved reports whether every required slot is filled.
func (c *Change) FullyApproved() bool {
	for _, s := range c.Slots() {
		if !s.Filled() {
			return false
		}
	}
	return true
}

// ApprovedAt returns when c was approved, as the default gate policy
// reads it (approved_ns): its last approval, or its creation when it has
// none, as when the policy asked for none.
func (c *Change) ApprovedAt() time.Time {
	at := time.Time{}
	for _, a := range c.Approvals {
		if a.Verdict == Approve && a.At.After(at) {
			at = a.At
		}
	}
	if at.IsZero() {
		return c.CreatedAt
	}
	return at
}

// SlotFor decides which open slot an approval by user, who holds roles,
// fills, enforcing segregation of duties: nobody approves their own change,
// one person fills at most one slot, and the approver must hold the slot's
// role. It returns the role of the slot, or an EFORBIDDEN or ECONFLICT
// error that says why the approval is refused: EFORBIDDEN for what the
// user may not do at all, ECONFLICT for what the change's state refuses,
// a second approval by the same person included, as a repeated
// transition is.
//
// holders returns the people who hold a role. A person holding the roles
// of several open slots fills one that leaves the other open slots to
// people who can still fill them (not the requester, nor those who
// already approved; see Unstaffed), and of those the one the fewest others
// could still fill, so that a scarce role (often a process owner) is not
// left to nobody.
func (c *Change) SlotFor(user string, roles []string, holders func(role string) []string) (string, error) {
	if c.State != StatePending {
		return "", Errorf(ECONFLICT, "change %s is %s: only pending changes take approvals", c.ID, c.State)
	}
	if user == c.Requester {
		return "", Errorf(EFORBIDDEN, "%s requested change %s and cannot approve it (segregation of duties)", user, c.ID)
	}
	for _, a := range c.Approvals {
		if a.Approver == user {
			return "", Errorf(ECONFLICT, "%s already approved change %s as %s: one person fills at most one slot", user, c.ID, a.Role)
		}
	}
	var open, eligible []string
	var rest []Requirement // the approvals still needed
	for _, s := range c.Slots() {
		if s.Filled() {
			continue
		}
		open = append(open, s.Role)
		rest = append(rest, Requirement{Role: s.Role, Count: s.Count - len(s.Approved)})
		if slices.Contains(roles, s.Role) {
			eligible = append(eligible, s.Role)
		}
	}
	if len(open) == 0 {
		return "", Errorf(ECONFLICT, "change %s needs no further approval", c.ID)
	}
	if len(eligible) == 0 {
		// Someone else filling the slot this user came to fill is a race
		// lost, not a lack of rights: say who won.
		for _, a := range c.Approvals {
			if slices.Contains(roles, a.Role) {
				return "", Errorf(ECONFLICT, "the %s slot of change %s was already filled by %s; still needed: %s", a.Role, c.ID, a.Approver, joinOr(open))
			}
		}
		return "", Errorf(EFORBIDDEN, "%s holds none of the roles still needed for change %s (%s)", user, c.ID, joinOr(open))
	}
	if holders == nil {
		return eligible[0], nil
	}
	excluded := []string{user, c.Requester}
	for _, a := range c.Approvals {
		excluded = append(excluded, a.Approver)
	}
	others := func(role string) int {
		n := 0
		for _, h := range holders(role) {
			if !slices.Contains(excluded, h) {
				n++
			}
		}
		return n
	}
	// leaves reports whether the approvals still needed once user fills
	// role can be given by others.
	leaves := func(role string) bool {
		after := slices.Clone(rest)
		for i := range after {
			if after[i].Role == role {
				after[i].Count--
			}
		}
		unstaffed, _ := Unstaffed(after, holders, excluded...)
		return unstaffed == nil
	}
	best, bestLeaves, fewest := eligible[0], leaves(eligible[0]), others(eligible[0])
	for _, r := range eligible[1:] {
		l, n := leaves(r), others(r)
		if (l && !bestLeaves) || (l == bestLeaves && n < fewest) {
			best, bestLeaves, fewest = r, l, n
		}
	}
	return best, nil
}

// Unstaffed tells whether the approvals reqs asks for can all be given,
// each by a distinct person who holds its role and is not one of excluded
// (one person fills at most one slot). When they cannot, it returns roles
// that together ask for more approvals than there are such people to give
// them, and those people (none when nobody holds the roles); when they
// can, it returns nil, nil. It matches approvals to people rather than
// counting them: two slots whose roles only dave holds need two people,
// however many hold a third role.
func Unstaffed(reqs []Requirement, holders func(role string) []string, excluded ...string) (roles, people []string) {
	var slots []string // the role of each approval asked for
	candidates := map[string][]string{}
	for _, r := range reqs {
		if _, ok := candidates[r.Role]; !ok {
			candidates[r.Role] = slices.DeleteFunc(slices.Clone(holders(r.Role)), func(h string) bool { return slices.Contains(excluded, h) })
		}
		for range r.Count {
			slots = append(slots, r.Role)
		}
	}
	// An augmenting path search (Kuhn's): a slot takes a candidate who is
	// free, or one whose slot can move to another candidate. A search that
	// fails changes no assignment.
	fills := map[string]int{} // person → the slot they fill
	var assign func(slot int, tried map[string]bool) bool
	assign = func(slot int, tried map[string]bool) bool {
		for _, h := range candidates[slots[slot]] {
			if tried[h] {
				continue
			}
			tried[h] = true
			if other, busy := fills[h]; !busy || assign(other, tried) {
				fills[h] = slot
				return true
			}
		}
		return false
	}
	for i := range slots {
		tried := map[string]bool{}
		if assign(i, tried) {
			continue
		}
		// Every candidate of the slots the search went through was tried
		// and fills one of them, and there is one slot more than them.
		roles = []string{slots[i]}
		for h := range tried {
			people = append(people, h)
			if r := slots[fills[h]]; !slices.Contains(roles, r) {
				roles = append(roles, r)
			}
		}
		slices.Sort(roles)
		slices.Sort(people)
		return roles, people
	}
	return nil, nil
}

// CanReject reports whether user may reject the change: any holder of a
// role of one of its slots, filled or not, so that any approver can stop
// the line, except the requester and those who already approved it.
func (c *Change) CanReject(user string, roles []string) error {
	if c.State != StatePending {
		return Errorf(ECONFLICT, "change %s is %s: only pending changes can be rejected", c.ID, c.State)
	}
	if user == c.Requester {
		return Errorf(EFORBIDDEN, "%s requested change %s and cannot decide on it (segregation of duties)", user, c.ID)
	}
	for _, a := range c.Approvals {
		if a.Approver == user {
			return Errorf(EFORBIDDEN, "%s already approved change %s and cannot also reject it", user, c.ID)
		}
	}
	for _, s := range c.Slots() {
		if slices.Contains(roles, s.Role) {
			return nil
		}
	}
	return Errorf(EFORBIDDEN, "%s holds none of the approval roles of change %s", user, c.ID)
}

// CanReview reports whether user, who holds roles, may give the
// retrospective review of an emergency change: a change manager who neither
// requested nor approved it, once it has been implemented, and only once.
func (c *Change) CanReview(user string, roles []string) error {
	switch {
	case c.Type != ChangeEmergency:
		return Errorf(ECONFLICT, "change %s is a %s change: only emergency changes take a retrospective review", c.ID, c.Type)
	case c.ReviewDue == nil && (c.State == StateRejected || c.State == StateCancelled):
		// A change closed before it started was never implemented, and
		// never will be: it owes no review, and "once it has" would send
		// its reviewer back for ever.
		return Errorf(ECONFLICT, "change %s was %s before it was implemented: it owes no retrospective review", c.ID, c.State)
	case c.ReviewDue == nil:
		return Errorf(ECONFLICT, "change %s has not been implemented yet: review it once it has", c.ID)
	case c.Review != nil:
		return Errorf(ECONFLICT, "change %s was already reviewed by %s", c.ID, c.Review.Approver)
	case user == c.Requester:
		return Errorf(EFORBIDDEN, "%s requested change %s and cannot review it (segregation of duties)", user, c.ID)
	case slices.ContainsFunc(c.Approvals, func(a Approval) bool { return a.Approver == user }):
		return Errorf(EFORBIDDEN, "%s approved change %s and cannot review it (segregation of duties)", user, c.ID)
	case !slices.Contains(roles, RoleChangeManager):
		return Errorf(EFORBIDDEN, "%s is not a change-manager: only change managers review emergency changes", user)
	}
	return nil
}

func joinOr(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	s := ""
	for i, it := range items {
		switch {
		case i == 0:
			s = it
		case i == len(items)-1:
			s += " or " + it
		default:
			s += ", " + it
		}
	}
	return s
}
