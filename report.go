package andon

import (
	"context"
	"math"
	"slices"
	"time"
)

// DefaultReportPeriod is the period of a report given no start: the 30
// days before its end.
const DefaultReportPeriod = 30 * 24 * time.Hour

// MaxReportPeriod bounds the period of a report, so that it reads a
// bounded part of the audit log however long the log grows.
const MaxReportPeriod = 366 * 24 * time.Hour

// ReportService computes reports over what the store holds. It writes
// nothing.
type ReportService interface {
	// DORA reports the four DORA measures of the changes and incidents
	// of a period (docs/reports.md).
	DORA(ctx context.Context, f DORAFilter) (*DORAReport, error)
	// Review reports the monthly operational review of a month
	// (docs/reports.md).
	Review(ctx context.Context, f ReviewFilter) (*Review, error)
}

// DORAFilter selects the period and the environments of a DORA report.
// Since and Until are required; at most one of Environment, Plant and
// Process narrows the environments, each through the catalog in force.
type DORAFilter struct {
	Since       time.Time `json:"since"`
	Until       time.Time `json:"until"`
	Environment string    `json:"environment,omitempty"`
	Plant       string    `json:"plant,omitempty"`
	Process     string    `json:"process,omitempty"`
}

// Environments checks f against cat and returns the names of the
// environments it selects, or nil when it selects every environment
// (those that left the catalog included). Errors name the field.
func (f DORAFilter) Environments(cat *Catalog) ([]string, error) {
	if err := CheckTime("since", f.Since); err != nil {
		return nil, err
	}
	if err := CheckTime("until", f.Until); err != nil {
		return nil, err
	}
	if !f.Since.Before(f.Until) {
		return nil, Errorf(EINVALID, "since: %s is not before until %s", f.Since.UTC().Format(time.RFC3339), f.Until.UTC().Format(time.RFC3339))
	}
	if f.Until.Sub(f.Since) > MaxReportPeriod {
		return nil, Errorf(EINVALID, "since: the period from %s to %s is longer than %d days; report a year at most at a time",
			f.Since.UTC().Format(time.RFC3339), f.Until.UTC().Format(time.RFC3339), MaxReportPeriod/(24*time.Hour))
	}
	given := 0
	for _, v := range []string{f.Environment, f.Plant, f.Process} {
		if v != "" {
			given++
		}
	}
	if given > 1 {
		return nil, Errorf(EINVALID, "env, plant and process: give one of them at most")
	}
	var keep func(*Environment) bool
	switch {
	case f.Environment != "":
		if cat.Environment(f.Environment) == nil {
			return nil, Errorf(EINVALID, "env: %s", cat.UnknownEnvironment(f.Environment))
		}
		return []string{f.Environment}, nil
	case f.Plant != "":
		if cat.Plant(f.Plant) == nil {
			return nil, Errorf(EINVALID, "plant: %s", cat.UnknownPlant(f.Plant))
		}
		keep = func(e *Environment) bool { return slices.Contains(e.Plants, f.Plant) }
	case f.Process != "":
		if cat.Process(f.Process) == nil {
			return nil, Errorf(EINVALID, "process: %s", cat.UnknownProcess(f.Process))
		}
		keep = func(e *Environment) bool { return slices.Contains(e.Processes, f.Process) }
	default:
		return nil, nil
	}
	envs := []string{}
	for _, e := range cat.Environments {
		if keep(e) {
			envs = append(envs, e.Name)
		}
	}
	return envs, nil
}

// DORAReport holds the DORA measures of a period: deployment frequency,
// lead time for changes, change failure rate and time to restore
// (docs/reports.md says exactly what each counts).
type DORAReport struct {
	Since       time.Time `json:"since"`
	Until       time.Time `json:"until"`
	Environment string    `json:"environment,omitempty"`
	Plant       string    `json:"plant,omitempty"`
	Process     string    `json:"process,omitempty"`
	// Selected are the environments a plant or process selected, by
	// name; absent when every environment is reported.
	Selected []string `json:"selected,omitempty"`
	// Total holds the measures of every environment reported together.
	Total DORAFigures `json:"total"`
	// Environments holds the measures of each environment that had a
	// deployment or a change ending in the period, by name.
	Environments []DORAFigures `json:"environments"`
	// Incidents are those resolved in the period; with a filter, those
	// whose scope takes in an environment it selects.
	Incidents IncidentFigures `json:"incidents"`
}

// DORAFigures are the change measures of one environment, or of all
// those reported (Environment empty).
type DORAFigures struct {
	Environment string `json:"environment,omitempty"`
	// Deployments counts the changes that started implementing in the
	// period, through the gate or by hand; EmergencyDeployments those
	// of them that were emergency changes.
	Deployments          int     `json:"deployments"`
	EmergencyDeployments int     `json:"emergencyDeployments"`
	DeploymentsPerDay    float64 `json:"deploymentsPerDay"`
	DeploymentsPerWeek   float64 `json:"deploymentsPerWeek"`
	// LeadTime is, for each deployment, the time from the change's
	// creation to its deployment.
	LeadTime Spread `json:"leadTime"`
	// Completed, Failed and RolledBack count the changes that ended in
	// the period, by how.
	Completed  int `json:"completed"`
	Failed     int `json:"failed"`
	RolledBack int `json:"rolledBack"`
	// ChangeFailureRate is the share, from 0 to 1 to four decimals, of
	// the changes that ended in the period that failed or were rolled
	// back; null when none ended.
	ChangeFailureRate *float64 `json:"changeFailureRate"`
	// Restore is the time to restore after each failed or rolled-back
	// change that was restored in the period: a rolled-back change, from
	// its deployment to its rollback; a failed one, from its failure to
	// the next completion of a change in its environment.
	Restore Spread `json:"restore"`
	// Unrestored counts the failed changes whose environment completed
	// no change after them in the period.
	Unrestored int `json:"unrestored"`
}

// IncidentFigures are the incidents resolved in a period and their time
// to restore, from their opening (or last opening again) to their
// resolution.
type IncidentFigures struct {
	Resolved int    `json:"resolved"`
	Restore  Spread `json:"restore"`
}

// Spread is the median and the 90th percentile of some durations, in
// whole seconds, by nearest rank; null when there are none.
type Spread struct {
	Count      int    `json:"count"`
	P50Seconds *int64 `json:"p50Seconds"`
	P90Seconds *int64 `json:"p90Seconds"`
}

// P50 and P90 return the percentiles of s as durations, and whether there
// are any.
func (s Spread) P50() (time.Duration, bool) { return seconds(s.P50Seconds) }

// P90 returns the 90th percentile of s, and whether there is one.
func (s Spread) P90() (time.Duration, bool) { return seconds(s.P90Seconds) }

func seconds(p *int64) (time.Duration, bool) {
	if p == nil {
		return 0, false
	}
	return time.Duration(*p) * time.Second, true
}

// NewSpread returns the spread of ds, which it sorts.
func NewSpread(ds []time.Duration) Spread {
	s := Spread{Count: len(ds)}
	if len(ds) == 0 {
		return s
	}
	slices.Sort(ds)
	rank := func(p float64) *int64 {
		i := max(int(math.Ceil(p*float64(len(ds))))-1, 0)
		v := int64(ds[i].Round(time.Second) / time.Second)
		return &v
	}
	s.P50Seconds, s.P90Seconds = rank(0.5), rank(0.9)
	return s
}

// ChangeMove is a change entering a state, as a report reads it from the
// audit log's change.transitioned entries.
type ChangeMove struct {
	Change      string     `json:"change"`
	Environment string     `json:"environment"`
	Type        ChangeType `json:"type"`
	CreatedAt   time.Time  `json:"createdAt"`
	To          State      `json:"to"`
	At          time.Time  `json:"at"`
	// DeployedAt is when a change rolled back entered implementing; zero
	// otherwise.
	DeployedAt time.Time `json:"deployedAt,omitzero"`
}

// NewDORAReport computes the report of f from the moves of changes into
// implementing, completed, failed and rolled-back in the period and the
// incidents resolved in it, as the store read them for the environments
// selected (selected, nil for all).
func NewDORAReport(f DORAFilter, selected []string, moves []ChangeMove, resolved []*Incident) *DORAReport {
	r := &DORAReport{Since: f.Since.UTC(), Until: f.Until.UTC(), Environment: f.Environment, Plant: f.Plant, Process: f.Process,
		Environments: []DORAFigures{}}
	if f.Plant != "" || f.Process != "" {
		r.Selected = selected
	}
	moves = slices.Clone(moves)
	slices.SortStableFunc(moves, func(a, b ChangeMove) int { return a.At.Compare(b.At) })
	days := f.Until.Sub(f.Since).Hours() / 24
	r.Total = figures("", moves, days)
	var envs []string
	for _, m := range moves {
		if !slices.Contains(envs, m.Environment) {
			envs = append(envs, m.Environment)
		}
	}
	slices.Sort(envs)
	for _, env := range envs {
		var of []ChangeMove
		for _, m := range moves {
			if m.Environment == env {
				of = append(of, m)
			}
		}
		r.Environments = append(r.Environments, figures(env, of, days))
	}
	var restore []time.Duration
	for _, inc := range resolved {
		if inc.ResolvedAt == nil {
			continue
		}
		r.Incidents.Resolved++
		restore = append(restore, inc.ResolvedAt.Sub(inc.OpenedAt))
	}
	r.Incidents.Restore = NewSpread(restore)
	return r
}

// figures computes the measures of moves, sorted by time, over a period
// of days.
func figures(env string, moves []ChangeMove, days float64) DORAFigures {
	f := DORAFigures{Environment: env}
	var lead, restore []time.Duration
	for i, m := range moves {
		switch m.To {
		case StateImplementing:
			f.Deployments++
			if m.Type == ChangeEmergency {
				f.EmergencyDeployments++
			}
			lead = append(lead, m.At.Sub(m.CreatedAt))
		case StateCompleted:
			f.Completed++
		case StateRolledBack:
			f.RolledBack++
			if !m.DeployedAt.IsZero() {
				restore = append(restore, m.At.Sub(m.DeployedAt))
			}
		case StateFailed:
			f.Failed++
			// The fix is the next change of its environment completed.
			fixed := false
			for _, n := range moves[i+1:] {
				if n.Environment == m.Environment && n.To == StateCompleted && n.At.After(m.At) {
					restore = append(restore, n.At.Sub(m.At))
					fixed = true
					break
				}
			}
			if !fixed {
				f.Unrestored++
			}
		}
	}
	f.DeploymentsPerDay = round2(float64(f.Deployments) / days)
	f.DeploymentsPerWeek = round2(float64(f.Deployments) * 7 / days)
	if ended := f.Completed + f.Failed + f.RolledBack; ended > 0 {
		rate := math.Round(float64(f.Failed+f.RolledBack)/float64(ended)*10000) / 10000
		f.ChangeFailureRate = &rate
	}
	f.LeadTime, f.Restore = NewSpread(lead), NewSpread(restore)
	return f
}

// round2 rounds x to two decimals, as a report shows it.
func round2(x float64) float64 { return math.Round(x*100) / 100 }
