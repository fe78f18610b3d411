package andon

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Policy classifies changes and decides at the gate. Decisions are policy;
// Go gathers the facts (the input documents below) and enforces verdicts.
// The policy package implements it with OPA.
type Policy interface {
	Risk(ctx context.Context, in *RiskInput) (*RiskDecision, error)
	Gate(ctx context.Context, in *GateInput) (*GateDecision, error)
	// Revision names the policy in force, as GateDecision.Policy does.
	Revision() string
	// EmergencyValidity is how long after its approval (its creation
	// when it was pre-approved) an approved emergency change without a
	// window of its own may still go ahead, as the policy in force
	// defines it (andon.gate's emergency_validity); 0 when it defines
	// none. The gate does not decide with it: it only puts such a change
	// past its validity, which the policy refuses, after the changes
	// that may deploy now when it picks the one a decision is about, and
	// the findings name it (EMERGENCY_EXPIRED).
	EmergencyValidity() time.Duration
	// BackupFreshness is how old a backup may be for a change that
	// migrates a production database, as the policy in force defines it
	// (andon.gate's backup_freshness); 0 when it defines none. The gate
	// does not decide with it: the recovery posture weighs each
	// environment's latest backup against it.
	BackupFreshness() time.Duration
}

// RiskInput is the input document of the andon.risk package.
type RiskInput struct {
	Change      *Change      `json:"change"`
	Environment *Environment `json:"environment"`
	// Processes are the processes the change names, or the environment's
	// when it names none, so that infrastructure changes are weighed
	// against what the environment runs.
	Processes []*BusinessProcess `json:"processes"`
	Plants    []*Plant           `json:"plants"`
}

// RiskDecision is the output of andon.risk.
type RiskDecision struct {
	Tier      Level         `json:"tier"`
	Reasons   []string      `json:"reasons"`
	Approvals []Requirement `json:"approvals"`
}

// Requirement asks for Count approvals by distinct holders of Role.
type Requirement struct {
	Role  string `json:"role"`
	Count int    `json:"count"`
}

// GateInput is the input document of the andon.gate package.
type GateInput struct {
	Request     GateRequest  `json:"request"`
	Environment *Environment `json:"environment"`
	// Change is the change matching the request: the implementing one,
	// else the newest approved, else a pending or rejected change of the
	// same digest that no later change completed; nil when there is none.
	Change   *Change       `json:"change"`
	Calendar CalendarState `json:"calendar"`
	// Promotion is the evidence that the artifact completed in the
	// environment this one promotes from; nil when there is none to give.
	Promotion *Promotion `json:"promotion"`
	// Incidents lists open incidents affecting the environment.
	Incidents []Incident `json:"incidents"`
	// Backup is the environment's latest backup completed at or before
	// the request's instant; nil when none is recorded.
	Backup *Backup `json:"backup"`
}

// CalendarState lists the windows in force at the request's instant.
type CalendarState struct {
	Active []Occurrence `json:"active"`
}

// Occurrence is one instance of a window.
type Occurrence struct {
	Window string       `json:"window"`
	Type   WindowType   `json:"type"`
	Start  time.Time    `json:"start"`
	End    time.Time    `json:"end"`
	Allow  []ChangeType `json:"allow"`
}

// Stops reports whether o stops a change of type t: o is a freeze, and t
// is not among the change types it allows. No type ("") stands for a
// deployment or a slot not tied to a change, which every freeze stops. The
// default gate policy reads a freeze's allow the same way
// (policy/bundle/gate.rego, FROZEN), and a test holds the two to it.
func (o Occurrence) Stops(t ChangeType) bool {
	return o.Type == WindowFreeze && (t == "" || !slices.Contains(o.Allow, t))
}

// FreezeAllows says which change types a freeze lets through, in the
// words of the default gate policy's FROZEN reason: "allows no change",
// "allows only emergency changes", "allows only standard and emergency
// changes".
func FreezeAllows(types []ChangeType) string {
	switch len(types) {
	case 0:
		return "allows no change"
	case 1:
		return "allows only " + string(types[0]) + " changes"
	}
	names := make([]string, len(types)-1)
	for i, t := range types[:len(types)-1] {
		names[i] = string(t)
	}
	return "allows only " + strings.Join(names, ", ") + " and " + string(types[len(types)-1]) + " changes"
}

// Promotion is the evidence of promotion for an environment with
// promotesFrom.
type Promotion struct {
	Required bool   `json:"required"`
	From     string `json:"from"`
	// ChangeID is the completed change in From that carried the same
	// digest, or "" when there is none.
	ChangeID string `json:"changeId"`
}

// GateDecision is the output of andon.gate.
type GateDecision struct {
	Allow   bool     `json:"allow"`
	Reasons []Reason `json:"reasons"`
	// Policy is the revision of the policy that decided (Policy.Revision),
	// so that a decision made before a reload is known as such.
	Policy string `json:"-"`
}

// Reason explains a gate decision.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// MaxCalendarDays is the most days one listing of occurrences may span
// (GET /api/v1/calendar): each occurrence is expanded in memory.
const MaxCalendarDays = 366

// CalendarService answers questions about windows for the catalog in force.
// An environment or a plant that is not in the catalog is EINVALID, with
// the closest names: the name is the caller's input, as a change's
// environment is.
type CalendarService interface {
	// Occurrences returns the occurrences of every window applying to env
	// that overlap [from, to), ordered by start.
	Occurrences(ctx context.Context, env string, from, to time.Time) ([]Occurrence, error)
	// Active returns the occurrences applying to env at instant t.
	Active(ctx context.Context, env string, t time.Time) ([]Occurrence, error)
	// NextSlot returns the first span of length d starting at or after
	// after that lies inside one maintenance occurrence and overlaps no
	// freeze applying to env that stops a change of type change
	// (Occurrence.Stops). An empty change is a slot not yet tied to a
	// change, which every freeze blocks. Peaks play no part unless
	// outsidePeaks is set, and then the span overlaps none; the slot names
	// the peaks it overlaps. It returns ENOTFOUND when none starts within
	// a year, and EINVALID for a change that is not a ChangeType.
	NextSlot(ctx context.Context, env string, after time.Time, d time.Duration, change ChangeType, outsidePeaks bool) (*FreeSlot, error)
	// Feed returns the windows applying to the environment or the plant
	// of scope as an iCalendar (RFC 5545) document, one VEVENT per
	// schedule with its recurrence rule, for calendar clients to
	// subscribe to; stamp is the time of the export.
	Feed(ctx context.Context, scope FeedScope, stamp time.Time) ([]byte, error)
}

// FreeSlot is the answer of the next-slot search: the span found, and the
// peaks it overlaps, which the default gate does not refuse a change
// during but a plant would rather see no change in.
type FreeSlot struct {
	Span
	// Peaks are the peak occurrences that overlap the span, ordered by
	// start; empty when it overlaps none.
	Peaks []Occurrence `json:"peaks"`
}

// FeedScope is what a calendar feed covers: the windows of one
// environment, or those of every environment of one plant. Exactly one of
// the two is set.
type FeedScope struct {
	Environment string
	Plant       string
}
