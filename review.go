package andon

import (
	"slices"
	"strings"
	"time"
)

// ReviewFilter selects the month and the environments of a monthly
// operational review. Month is a calendar month, "2026-11"; at most one of
// Environment, Plant and Process narrows the environments, as a DORA
// report's do. The month is that of Timezone, an IANA time zone, when it
// is given; otherwise that of the plant, or of the environment's time zone
// (its first plant's), and in UTC for a process or every environment.
type ReviewFilter struct {
	Month       string `json:"month"`
	Environment string `json:"environment,omitempty"`
	Plant       string `json:"plant,omitempty"`
	Process     string `json:"process,omitempty"`
	Timezone    string `json:"timezone,omitempty"`
}

// ParseMonth returns the first instant of the calendar month m, given as
// YYYY-MM, in UTC, and the first instant of the month after it. Errors
// name the field month.
func ParseMonth(m string) (since, until time.Time, err error) {
	return ParseMonthIn(m, time.UTC)
}

// ParseMonthIn returns the first instant of the calendar month m, given
// as YYYY-MM, in loc: its local midnight of the 1st, and that of the 1st
// of the month after it. A month across a change of daylight saving time
// is an hour shorter or longer than its days. Errors name the field month.
func ParseMonthIn(m string, loc *time.Location) (since, until time.Time, err error) {
	t, perr := time.ParseInLocation("2006-01", m, loc)
	if perr != nil {
		return since, until, Errorf(EINVALID, "month: %q is not a month; want YYYY-MM, such as 2026-11", m)
	}
	if err := CheckTime("month", t); err != nil {
		return since, until, err
	}
	return t, time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, loc), nil
}

// LoadTimezone loads the IANA time zone name, given in field. Names that
// mean the zone of the machine (see MachineZone) are refused: a month read
// on one server must be the same month on another.
func LoadTimezone(field, name string) (*time.Location, error) {
	if MachineZone(name) {
		return nil, Errorf(EINVALID, "%s: %q depends on the machine; name an IANA time zone such as Europe/Paris", field, name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "" {
		return nil, Errorf(EINVALID, "%s: %q is not a known IANA time zone such as Europe/Paris", field, name)
	}
	return loc, nil
}

// MachineZone reports whether time.LoadLocation reads name from the
// machine's own configuration or files rather than from the IANA
// database: "Local" is Go's name for the machine's zone; localtime is a
// file of the zone directory that links to /etc/localtime, and posixrules
// the one a system links to the zone of its choice. The posix/ and right/
// directories are copies of the database that some systems install and
// Go's embedded one lacks, so a name in them would load on one machine and
// not on another (and a right/ zone counts leap seconds, which Go ignores:
// its clocks would change 27 seconds late).
func MachineZone(name string) bool {
	return name == "Local" || name == "localtime" || name == "posixrules" ||
		strings.HasPrefix(name, "posix/") || strings.HasPrefix(name, "right/")
}

// Location returns the time zone of f's month: Timezone when it is given;
// otherwise the plant's, or the environment's (see Catalog.Location), and
// UTC for a process or every environment, or a plant or an environment
// cat does not hold (which Period refuses).
func (f ReviewFilter) Location(cat *Catalog) (*time.Location, error) {
	switch {
	case f.Timezone != "":
		return LoadTimezone("timezone", f.Timezone)
	case f.Plant != "":
		if p := cat.Plant(f.Plant); p != nil && p.Location != nil {
			return p.Location, nil
		}
	case f.Environment != "":
		if e := cat.Environment(f.Environment); e != nil {
			return cat.Location(e), nil
		}
	}
	return time.UTC, nil
}

// Period returns the period of f's month, in the time zone of
// f.Location, and checks its filter against cat, as
// DORAFilter.Environments does: the environments it selects, or nil for
// every one. A month that has not begun at now, in its time zone, is
// refused: it holds nothing to review, and is most often the year
// mistyped, which an empty review would hide.
func (f ReviewFilter) Period(cat *Catalog, now time.Time) (DORAFilter, []string, error) {
	if _, _, err := ParseMonth(f.Month); err != nil {
		return DORAFilter{}, nil, err
	}
	loc, err := f.Location(cat)
	if err != nil {
		return DORAFilter{}, nil, err
	}
	since, until, err := ParseMonthIn(f.Month, loc)
	if err != nil {
		return DORAFilter{}, nil, err
	}
	if since.After(now) {
		return DORAFilter{}, nil, Errorf(EINVALID, "month: %s has not begun; it is %s now, in %s", f.Month, now.In(loc).Format("2006-01"), loc)
	}
	d := DORAFilter{Since: since, Until: until, Environment: f.Environment, Plant: f.Plant, Process: f.Process}
	selected, err := d.Environments(cat)
	return d, selected, err
}

// Review is the monthly operational review of a plant's changes, gate,
// delivery, incidents and recovery, which its IT manager and the auditor
// go through once a month (docs/reports.md). The month is a calendar month
// in Timezone, from Since to Until, both in that zone; Recovery and
// Findings are as they stand when it is read (At).
type Review struct {
	Month string `json:"month"`
	// Timezone is the IANA name of the time zone of the month, "UTC"
	// unless a plant, an environment or the filter gave one.
	Timezone    string    `json:"timezone"`
	Since       time.Time `json:"since"`
	Until       time.Time `json:"until"`
	At          time.Time `json:"at"`
	Environment string    `json:"environment,omitempty"`
	Plant       string    `json:"plant,omitempty"`
	Process     string    `json:"process,omitempty"`
	// Selected are the environments a plant or process selected, by
	// name; absent when every environment is reviewed.
	Selected    []string          `json:"selected,omitempty"`
	Changes     ReviewChanges     `json:"changes"`
	Emergencies []ReviewEmergency `json:"emergencies"`
	Gate        ReviewGate        `json:"gate"`
	Delivery    *DORAReport       `json:"delivery"`
	Incidents   ReviewIncidents   `json:"incidents"`
	Recovery    ReviewRecovery    `json:"recovery"`
	// Findings are the findings open now in the environments reviewed.
	Findings []Finding `json:"findings"`
}

// ReviewChanges are the changes opened in the month, per environment and
// in all.
type ReviewChanges struct {
	Total        ChangeCounts   `json:"total"`
	Environments []ChangeCounts `json:"environments"`
}

// ChangeCounts count the changes opened in a month in one environment, or
// in all those reviewed (Environment empty): by type, by risk tier, and by
// how they ended, as they stand now (Open: pending, approved or
// implementing still).
type ChangeCounts struct {
	Environment string         `json:"environment,omitempty"`
	Opened      int            `json:"opened"`
	ByType      map[string]int `json:"byType"`
	ByTier      map[string]int `json:"byTier"`
	Completed   int            `json:"completed"`
	Failed      int            `json:"failed"`
	RolledBack  int            `json:"rolledBack"`
	Cancelled   int            `json:"cancelled"`
	Rejected    int            `json:"rejected"`
	Open        int            `json:"open"`
}

// ReviewEmergency is an emergency change opened in the month and how its
// retrospective review stands.
type ReviewEmergency struct {
	Change      string `json:"change"`
	Environment string `json:"environment"`
	Title       string `json:"title"`
	Requester   string `json:"requester"`
	State       State  `json:"state"`
	// Approvers are those who approved it.
	Approvers []string `json:"approvers"`
	// DeployedAt is when it entered implementing, nil when it has not.
	DeployedAt *time.Time `json:"deployedAt"`
	ReviewDue  *time.Time `json:"reviewDue,omitempty"`
	// Review is one of "given", "overdue", "owed" (not due yet) and
	// "not owed" (never deployed); ReviewedBy and ReviewedAt are set once
	// it is given.
	Review     string     `json:"review"`
	ReviewedBy string     `json:"reviewedBy,omitempty"`
	ReviewedAt *time.Time `json:"reviewedAt,omitempty"`
}

// The states of an emergency change's retrospective review.
const (
	ReviewGiven   = "given"
	ReviewOverdue = "overdue"
	ReviewOwed    = "owed"
	ReviewNotOwed = "not owed"
)

// NewReviewEmergency says how c's review stands at now, deployed at
// deployed (nil when it was not).
func NewReviewEmergency(c *Change, deployed *time.Time, now time.Time) ReviewEmergency {
	e := ReviewEmergency{Change: c.ID, Environment: c.Environment, Title: c.Title, Requester: c.Requester, State: c.State,
		Approvers: []string{}, DeployedAt: deployed, ReviewDue: c.ReviewDue}
	for _, a := range c.Approvals {
		if a.Verdict == Approve {
			e.Approvers = append(e.Approvers, a.Approver)
		}
	}
	switch {
	case c.Review != nil:
		e.Review, e.ReviewedBy = ReviewGiven, c.Review.Approver
		at := c.Review.At
		e.ReviewedAt = &at
	case c.ReviewDue != nil && !now.Before(*c.ReviewDue):
		e.Review = ReviewOverdue
	case c.ReviewDue != nil:
		e.Review = ReviewOwed
	default:
		e.Review = ReviewNotOwed
	}
	return e
}

// ReviewGate counts the gate decisions of the month, dry runs apart, and
// the denials by reason code: a denial for two reasons counts under each.
type ReviewGate struct {
	Decisions int `json:"decisions"`
	Allowed   int `json:"allowed"`
	Denied    int `json:"denied"`
	DryRuns   int `json:"dryRuns"`
	// DeniedBy holds the reason codes of the denials, the most frequent
	// first.
	DeniedBy []ReasonCount `json:"deniedBy"`
}

// ReasonCount is how many denials gave a reason code.
type ReasonCount struct {
	Code  string `json:"code"`
	Count int    `json:"count"`
}

// Deny counts a denial for reasons, each code once.
func (g *ReviewGate) Deny(reasons []Reason) {
	g.Decisions++
	g.Denied++
	var seen []string
	for _, r := range reasons {
		if slices.Contains(seen, r.Code) {
			continue
		}
		seen = append(seen, r.Code)
		i := slices.IndexFunc(g.DeniedBy, func(c ReasonCount) bool { return c.Code == r.Code })
		if i < 0 {
			g.DeniedBy = append(g.DeniedBy, ReasonCount{Code: r.Code})
			i = len(g.DeniedBy) - 1
		}
		g.DeniedBy[i].Count++
	}
}

// SortReasons orders the reasons counted, the most frequent first, then
// by code.
func (g *ReviewGate) SortReasons() {
	slices.SortFunc(g.DeniedBy, func(a, b ReasonCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Code, b.Code)
	})
}

// ReviewIncidents are the incidents opened in the month (each opening
// again counted too) and those resolved in it, with their time to restore.
type ReviewIncidents struct {
	Opened   []*Incident `json:"opened"`
	Resolved []*Incident `json:"resolved"`
	// Restore is the time to restore of those resolved, from their
	// (last) opening to their resolution.
	Restore Spread `json:"restore"`
}

// ReviewRecovery is the recovery posture now of the environments reviewed
// and the restore tests started in the month.
type ReviewRecovery struct {
	Posture      []RecoveryPosture `json:"posture"`
	RestoreTests []*RestoreTest    `json:"restoreTests"`
}

// NewChangeCounts returns the counts of env, none yet.
func NewChangeCounts(env string) ChangeCounts {
	return ChangeCounts{Environment: env, ByType: map[string]int{}, ByTier: map[string]int{}}
}

// Count counts a change of type typ and risk tier tier, now in state.
func (c *ChangeCounts) Count(typ ChangeType, tier Level, state State) {
	c.Opened++
	c.ByType[string(typ)]++
	c.ByTier[string(tier)]++
	switch state {
	case StateCompleted:
		c.Completed++
	case StateFailed:
		c.Failed++
	case StateRolledBack:
		c.RolledBack++
	case StateCancelled:
		c.Cancelled++
	case StateRejected:
		c.Rejected++
	default:
		c.Open++
	}
}
