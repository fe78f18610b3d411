package andon_test

import (
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/google/go-cmp/cmp"
)

// highChange needs a change manager and the owner of production.
func highChange() *andon.Change {
	return &andon.Change{
		ID:        "CHG-1",
		Requester: "alice",
		State:     andon.StatePending,
		Risk: andon.RiskDecision{Tier: andon.LevelHigh, Approvals: []andon.Requirement{
			{Role: andon.RoleChangeManager, Count: 1},
			{Role: andon.ProcessOwnerRole("production"), Count: 1},
		}},
	}
}

func TestSlotFor(t *testing.T) {
	cm := []string{andon.RoleChangeManager}
	owner := []string{andon.ProcessOwnerRole("production")}
	both := []string{andon.RoleChangeManager, andon.ProcessOwnerRole("production")}
	tests := []struct {
		name     string
		prior    []andon.Approval
		state    andon.State
		user     string
		roles    []string
		wantRole string
		wantCode string
	}{
		{name: "change manager fills its slot", user: "bob", roles: cm, wantRole: andon.RoleChangeManager},
		{name: "owner fills its slot", user: "carol", roles: owner, wantRole: "process-owner:production"},
		{name: "requester cannot approve", user: "alice", roles: both, wantCode: andon.EFORBIDDEN},
		{name: "no matching role", user: "frank", roles: []string{andon.RoleAuditor}, wantCode: andon.EFORBIDDEN},
		{
			// Approving again repeats what was done: a conflict with
			// the change's state, as a repeated transition is.
			name:     "one person one slot",
			prior:    []andon.Approval{{Approver: "brigitte", Role: andon.RoleChangeManager, Verdict: andon.Approve}},
			user:     "brigitte",
			roles:    both,
			wantCode: andon.ECONFLICT,
		},
		{
			name:     "filled slot is skipped for the next open one",
			prior:    []andon.Approval{{Approver: "bob", Role: andon.RoleChangeManager, Verdict: andon.Approve}},
			user:     "brigitte",
			roles:    both,
			wantRole: "process-owner:production",
		},
		{
			// A race lost to another approver is a conflict, not a
			// lack of rights.
			name:     "holder of a filled slot's role only",
			prior:    []andon.Approval{{Approver: "bob", Role: andon.RoleChangeManager, Verdict: andon.Approve}},
			user:     "dave",
			roles:    cm,
			wantCode: andon.ECONFLICT,
		},
		{
			name:     "holder of no slot's role",
			prior:    []andon.Approval{{Approver: "bob", Role: andon.RoleChangeManager, Verdict: andon.Approve}},
			user:     "gus",
			roles:    []string{"auditor"},
			wantCode: andon.EFORBIDDEN,
		},
		{name: "only pending changes", state: andon.StateApproved, user: "bob", roles: cm, wantCode: andon.ECONFLICT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := highChange()
			c.Approvals = tt.prior
			if tt.state != "" {
				c.State = tt.state
			}
			role, err := c.SlotFor(tt.user, tt.roles, nil)
			if got := andon.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("error code = %q (%v), want %q", got, err, tt.wantCode)
			}
			if role != tt.wantRole {
				t.Errorf("role = %q, want %q", role, tt.wantRole)
			}
		})
	}
}

func TestSlotForPrefersTheScarceRole(t *testing.T) {
	// brigitte is a change manager and the only other owner of production:
	// she must take the owner's slot and leave change-manager to bob.
	holders := map[string][]string{andon.RoleChangeManager: {"bob", "brigitte"}, "process-owner:production": {"brigitte"}}
	role, err := highChange().SlotFor("brigitte", []string{andon.RoleChangeManager, "process-owner:production"},
		func(r string) []string { return holders[r] })
	if err != nil || role != "process-owner:production" {
		t.Errorf("SlotFor = %q, %v; want process-owner:production", role, err)
	}

	// Two holders of each role, but the other owner is the requester:
	// brigitte is the only one who can be the owner, though the numbers
	// of holders tie.
	c := highChange()
	c.Requester = "carol"
	holders = map[string][]string{andon.RoleChangeManager: {"bob", "brigitte"}, "process-owner:production": {"brigitte", "carol"}}
	role, err = c.SlotFor("brigitte", []string{andon.RoleChangeManager, "process-owner:production"}, func(r string) []string { return holders[r] })
	if err != nil || role != "process-owner:production" {
		t.Errorf("SlotFor with the requester among the owners = %q, %v; want process-owner:production, which only brigitte can fill", role, err)
	}

	// As many others could fill each of brigitte's roles, bob and carol,
	// but carol is also the only owner of quality: brigitte taking the
	// change-manager slot would leave production and quality to carol
	// alone, and the change could never be approved.
	c = highChange()
	c.Risk.Approvals = append(c.Risk.Approvals, andon.Requirement{Role: "process-owner:quality", Count: 1})
	holders = map[string][]string{andon.RoleChangeManager: {"bob", "brigitte"}, "process-owner:production": {"brigitte", "carol"}, "process-owner:quality": {"carol"}}
	role, err = c.SlotFor("brigitte", []string{andon.RoleChangeManager, "process-owner:production"}, func(r string) []string { return holders[r] })
	if err != nil || role != "process-owner:production" {
		t.Errorf("SlotFor where the change-manager slot would leave carol two = %q, %v; want process-owner:production", role, err)
	}
}

func TestUnstaffed(t *testing.T) {
	owner := func(p string) string { return andon.ProcessOwnerRole(p) }
	holders := map[string][]string{
		andon.RoleChangeManager:     {"bob", "brigitte"},
		andon.RolePlatformAdmin:     {"dave"},
		owner("finance"):            {"dave"},
		owner("production"):         {"brigitte", "carol", "gus"},
		owner("quality"):            {"carol"},
		andon.RoleEmergencyApprover: nil,
	}
	tests := []struct {
		name       string
		reqs       []andon.Requirement
		excluded   []string
		wantRoles  []string
		wantPeople []string
	}{
		{name: "none asked"},
		{name: "one each", reqs: []andon.Requirement{{Role: andon.RoleChangeManager, Count: 1}, {Role: owner("production"), Count: 1}}},
		{name: "a person moves to leave a slot to another",
			// brigitte first takes change-manager; production then goes to
			// carol, quality has nobody left but carol, and production
			// moves to gus.
			reqs: []andon.Requirement{{Role: andon.RoleChangeManager, Count: 2}, {Role: owner("production"), Count: 1}, {Role: owner("quality"), Count: 1}}},
		{name: "nobody holds the role", reqs: []andon.Requirement{{Role: andon.RoleEmergencyApprover, Count: 1}},
			wantRoles: []string{andon.RoleEmergencyApprover}},
		{name: "too few hold the role", reqs: []andon.Requirement{{Role: andon.RoleChangeManager, Count: 3}},
			wantRoles: []string{andon.RoleChangeManager}, wantPeople: []string{"bob", "brigitte"}},
		{name: "the requester does not count", reqs: []andon.Requirement{{Role: andon.RolePlatformAdmin, Count: 1}}, excluded: []string{"dave"},
			wantRoles: []string{andon.RolePlatformAdmin}},
		// Enough people in all, and each role held, but dave alone holds
		// two roles that need two people.
		{name: "two roles one person", reqs: []andon.Requirement{{Role: andon.RoleChangeManager, Count: 1}, {Role: owner("finance"), Count: 1}, {Role: andon.RolePlatformAdmin, Count: 1}},
			wantRoles: []string{andon.RolePlatformAdmin, owner("finance")}, wantPeople: []string{"dave"}},
		{name: "two roles two people, one excluded", reqs: []andon.Requirement{{Role: owner("production"), Count: 1}, {Role: owner("quality"), Count: 1}}, excluded: []string{"gus", "brigitte"},
			wantRoles: []string{owner("production"), owner("quality")}, wantPeople: []string{"carol"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			roles, people := andon.Unstaffed(tt.reqs, func(r string) []string { return holders[r] }, tt.excluded...)
			if diff := cmp.Diff(tt.wantRoles, roles); diff != "" {
				t.Errorf("roles (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantPeople, people); diff != "" {
				t.Errorf("people (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSlotsAndFullyApproved(t *testing.T) {
	c := highChange()
	if c.FullyApproved() {
		t.Fatal("a change without approvals is fully approved")
	}
	c.Approvals = []andon.Approval{
		{Approver: "bob", Role: andon.RoleChangeManager, Verdict: andon.Approve},
		{Approver: "carol", Role: "process-owner:production", Verdict: andon.Approve},
	}
	want := []andon.Slot{
		{Role: andon.RoleChangeManager, Count: 1, Approved: []string{"bob"}},
		{Role: "process-owner:production", Count: 1, Approved: []string{"carol"}},
	}
	if diff := cmp.Diff(want, c.Slots()); diff != "" {
		t.Errorf("slots (-want +got):\n%s", diff)
	}
	if !c.FullyApproved() {
		t.Error("both slots filled, but not fully approved")
	}
}

func TestCanReject(t *testing.T) {
	c := highChange()
	if err := c.CanReject("alice", []string{andon.RoleChangeManager}); andon.ErrorCode(err) != andon.EFORBIDDEN {
		t.Errorf("requester rejecting: %v, want forbidden", err)
	}
	if err := c.CanReject("frank", []string{andon.RoleAuditor}); andon.ErrorCode(err) != andon.EFORBIDDEN {
		t.Errorf("auditor rejecting: %v, want forbidden", err)
	}
	if err := c.CanReject("carol", []string{"process-owner:production"}); err != nil {
		t.Errorf("owner rejecting: %v", err)
	}
	c.Approvals = []andon.Approval{{Approver: "bob", Role: andon.RoleChangeManager, Verdict: andon.Approve}}
	if err := c.CanReject("bob", []string{andon.RoleChangeManager}); andon.ErrorCode(err) != andon.EFORBIDDEN {
		t.Errorf("approver rejecting the change they approved: %v, want forbidden", err)
	}
	if err := c.CanReject("brigitte", []string{andon.RoleChangeManager}); err != nil {
		t.Errorf("holder of a filled slot's role rejecting: %v", err)
	}
}

func TestCanTransition(t *testing.T) {
	tests := []struct {
		from, to andon.State
		want     bool
	}{
		{andon.StatePending, andon.StateCancelled, true},
		{andon.StatePending, andon.StateImplementing, false},
		{andon.StateApproved, andon.StateImplementing, true},
		{andon.StateApproved, andon.StateCancelled, true},
		{andon.StateImplementing, andon.StateCompleted, true},
		{andon.StateImplementing, andon.StateFailed, true},
		{andon.StateImplementing, andon.StateRolledBack, true},
		{andon.StateImplementing, andon.StateCancelled, false},
		{andon.StateCompleted, andon.StateRolledBack, false},
		{andon.StateRejected, andon.StateApproved, false},
	}
	for _, tt := range tests {
		if got := andon.CanTransition(tt.from, tt.to); got != tt.want {
			t.Errorf("CanTransition(%s, %s) = %v, want %v", tt.from, tt.to, got, tt.want)
		}
	}
}

func TestCanReview(t *testing.T) {
	due := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	emergency := func() *andon.Change {
		return &andon.Change{ID: "CHG-5", Type: andon.ChangeEmergency, Requester: "alice", State: andon.StateCompleted, ReviewDue: &due,
			Approvals: []andon.Approval{{Approver: "erin", Role: andon.RoleEmergencyApprover, Verdict: andon.Approve}}}
	}
	cm := []string{andon.RoleChangeManager}
	tests := []struct {
		name   string
		change func() *andon.Change
		user   string
		roles  []string
		want   string
	}{
		{"change manager reviews", emergency, "bob", cm, ""},
		{"requester", emergency, "alice", cm, andon.EFORBIDDEN},
		{"approver", emergency, "erin", append(cm, andon.RoleEmergencyApprover), andon.EFORBIDDEN},
		{"not a change manager", emergency, "frank", []string{andon.RoleAuditor}, andon.EFORBIDDEN},
		{"not emergency", func() *andon.Change { c := emergency(); c.Type = andon.ChangeNormal; return c }, "bob", cm, andon.ECONFLICT},
		{"not implemented", func() *andon.Change { c := emergency(); c.ReviewDue = nil; return c }, "bob", cm, andon.ECONFLICT},
		{"reviewed already", func() *andon.Change { c := emergency(); c.Review = &andon.Approval{Approver: "brigitte"}; return c }, "bob", cm, andon.ECONFLICT},
	}
	for _, tt := range tests {
		if got := andon.ErrorCode(tt.change().CanReview(tt.user, tt.roles)); got != tt.want {
			t.Errorf("%s: code %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestCanReviewSaysWhy holds the refusals of a review to what the person
// can do next: a change that is still to be implemented will owe a review,
// one closed before it started never will.
func TestCanReviewSaysWhy(t *testing.T) {
	cm := []string{andon.RoleChangeManager}
	tests := []struct {
		state andon.State
		want  string
	}{
		{andon.StatePending, "change CHG-5 has not been implemented yet: review it once it has"},
		{andon.StateApproved, "change CHG-5 has not been implemented yet: review it once it has"},
		{andon.StateRejected, "change CHG-5 was rejected before it was implemented: it owes no retrospective review"},
		{andon.StateCancelled, "change CHG-5 was cancelled before it was implemented: it owes no retrospective review"},
	}
	for _, tt := range tests {
		c := &andon.Change{ID: "CHG-5", Type: andon.ChangeEmergency, Requester: "alice", State: tt.state}
		err := c.CanReview("bob", cm)
		if andon.ErrorCode(err) != andon.ECONFLICT || andon.ErrorMessage(err) != tt.want {
			t.Errorf("%s: CanReview = %q (%s), want %q (%s)", tt.state, andon.ErrorMessage(err), andon.ErrorCode(err), tt.want, andon.ECONFLICT)
		}
	}
}

func TestMayMove(t *testing.T) {
	c := &andon.Change{ID: "CHG-1", Requester: "alice"}
	tests := []struct {
		user  string
		roles []string
		want  bool
	}{
		{"alice", nil, true},
		{"bob", []string{andon.RoleChangeManager}, true},
		{"dave", []string{andon.RolePlatformAdmin}, true},
		{"carol", []string{andon.ProcessOwnerRole("production")}, false},
		{"frank", []string{andon.RoleAuditor}, false},
	}
	for _, tt := range tests {
		if got := c.MayMove(tt.user, tt.roles); got != tt.want {
			t.Errorf("MayMove(%s, %v) = %v, want %v", tt.user, tt.roles, got, tt.want)
		}
	}
}

// ApprovedAt is when a change was approved, as the default gate policy
// reads it: its last approval, or its creation when it has none.
func TestApprovedAt(t *testing.T) {
	created := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	at := func(h time.Duration) time.Time { return created.Add(h * time.Hour) }
	for _, tt := range []struct {
		name      string
		approvals []andon.Approval
		want      time.Time
	}{
		{"pre-approved", nil, created},
		{"one approval", []andon.Approval{{Approver: "erin", Verdict: andon.Approve, At: at(2)}}, at(2)},
		{"the last of two", []andon.Approval{{Approver: "carol", Verdict: andon.Approve, At: at(5)}, {Approver: "bob", Verdict: andon.Approve, At: at(3)}}, at(5)},
		{"a rejection is no approval", []andon.Approval{{Approver: "bob", Verdict: andon.Approve, At: at(1)}, {Approver: "carol", Verdict: andon.Reject, At: at(4)}}, at(1)},
	} {
		c := &andon.Change{CreatedAt: created, Approvals: tt.approvals}
		if got := c.ApprovedAt(); !got.Equal(tt.want) {
			t.Errorf("%s: ApprovedAt() = %s, want %s", tt.name, got, tt.want)
		}
	}
}
