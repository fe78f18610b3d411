package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
)

// ReportService implements andon.ReportService over the audit log: the
// times at which changes moved and incidents were resolved are those of
// their entries, which the store writes in the transaction of each move.
type ReportService struct {
	db      *DB
	catalog andon.CatalogSource
	changes andon.ChangeService
	backups andon.BackupService
}

// NewReportService returns a ReportService that selects environments
// through the catalog in force. The monthly review reads the open findings
// from changes and the recovery posture from backups; without them (nil)
// it is refused, and the DORA report alone is answered.
func NewReportService(db *DB, catalog andon.CatalogSource, changes andon.ChangeService, backups andon.BackupService) *ReportService {
	return &ReportService{db: db, catalog: catalog, changes: changes, backups: backups}
}

// DORA reports the DORA measures of f's period, up to now if it ends
// later. It reads the change.transitioned and incident.resolved entries
// of the period through the index of each type's times (migration 0018),
// whatever the size of the log, and writes nothing. Each index holds the entries of its type
// alone, so that a gate decision, which is neither, writes no page of
// them; the statements name the types as constants, which is how an
// engine knows that they may read such a partial index.
func (s *ReportService) DORA(ctx context.Context, f andon.DORAFilter) (*andon.DORAReport, error) {
	cat := s.catalog.Catalog()
	selected, err := f.Environments(cat)
	if err != nil {
		return nil, err
	}
	// A period that ends after now, such as the month in progress, is
	// reported up to now: its rates are of the days that have passed,
	// not diluted by those to come, and its end says so.
	if now := s.db.Now(); f.Until.After(now) && f.Since.Before(now) {
		f.Until = now
	}
	moves, err := s.moves(ctx, f)
	if err != nil {
		return nil, err
	}
	incidents, err := s.resolved(ctx, f)
	if err != nil {
		return nil, err
	}
	if selected != nil {
		moves = slices.DeleteFunc(moves, func(m andon.ChangeMove) bool { return !slices.Contains(selected, m.Environment) })
		incidents = slices.DeleteFunc(incidents, func(inc *andon.Incident) bool {
			for _, name := range selected {
				if env := cat.Environment(name); env != nil && inc.Scope.Affects(env) {
					return false
				}
			}
			return true
		})
	}
	return andon.NewDORAReport(f, selected, moves, incidents), nil
}

// movesStatement reads the moves of changes that a report counts, in a
// period, with the time each change rolled back had entered implementing
// (read through the index of the entries' subject).
func (db *DB) movesStatement() string {
	to, at := db.dialect.recordData("to"), db.dialect.recordTime
	return `SELECT e.subject, c.environment, c.type, c.created_at, ` + to + `, ` + at + `,
		CASE WHEN ` + to + ` = ? THEN (SELECT MIN(` + at + `) FROM audit_entries d
			WHERE d.subject = e.subject AND d.type = ? AND ` + to + ` = ?) END
		FROM audit_entries e JOIN changes c ON c.id = e.subject
		WHERE e.type = '` + andon.EventChangeTransition + `' AND ` + at + ` >= ? AND ` + at + ` < ? AND ` + to + ` IN (?, ?, ?, ?)`
}

// movesArgs are the arguments of movesStatement for f's period.
func movesArgs(f andon.DORAFilter) []any {
	return []any{andon.StateRolledBack, andon.EventChangeTransition, andon.StateImplementing,
		auditlog.FormatTime(f.Since), auditlog.FormatTime(f.Until),
		andon.StateImplementing, andon.StateCompleted, andon.StateFailed, andon.StateRolledBack}
}

func (s *ReportService) moves(ctx context.Context, f andon.DORAFilter) ([]andon.ChangeMove, error) {
	rows, err := s.db.readQuery(ctx, s.db.movesStatement(), movesArgs(f)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	moves := []andon.ChangeMove{}
	for rows.Next() {
		var m andon.ChangeMove
		var created int64
		var at string
		var deployed *string
		if err := rows.Scan(&m.Change, &m.Environment, &m.Type, &created, &m.To, &at, &deployed); err != nil {
			return nil, err
		}
		m.CreatedAt = time.UnixMicro(created).UTC()
		if m.At, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return nil, fmt.Errorf("the time of the move of change %s to %s: %w", m.Change, m.To, err)
		}
		if deployed != nil {
			if m.DeployedAt, err = time.Parse(time.RFC3339Nano, *deployed); err != nil {
				return nil, fmt.Errorf("the time change %s started: %w", m.Change, err)
			}
		}
		moves = append(moves, m)
	}
	return moves, rows.Err()
}

// resolvedStatement reads the incident.resolved entries of a period: each
// holds the incident as it was resolved, opened at the time it was last
// opened.
func (db *DB) resolvedStatement() string {
	at := db.dialect.recordTime
	return `SELECT record FROM audit_entries WHERE type = '` + andon.EventIncidentResolved + `' AND ` + at + ` >= ? AND ` + at + ` < ?`
}

// resolvedArgs are the arguments of resolvedStatement for f's period.
func resolvedArgs(f andon.DORAFilter) []any {
	return []any{auditlog.FormatTime(f.Since), auditlog.FormatTime(f.Until)}
}

func (s *ReportService) resolved(ctx context.Context, f andon.DORAFilter) ([]*andon.Incident, error) {
	return s.incidentEntries(ctx, s.db.resolvedStatement(), resolvedArgs(f)...)
}

// incidentEntries reads the incidents that the incident entries q selects
// hold.
func (s *ReportService) incidentEntries(ctx context.Context, q string, args ...any) ([]*andon.Incident, error) {
	rows, err := s.db.readQuery(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var incidents []*andon.Incident
	for rows.Next() {
		var record []byte
		if err := rows.Scan(&record); err != nil {
			return nil, err
		}
		var e struct {
			Index int64           `json:"index"`
			Data  *andon.Incident `json:"data"`
		}
		if err := json.Unmarshal(record, &e); err != nil {
			return nil, fmt.Errorf("decode audit entry: %w", err)
		}
		if e.Data == nil {
			return nil, fmt.Errorf("audit entry %d: an incident entry without its incident", e.Index)
		}
		incidents = append(incidents, e.Data)
	}
	return incidents, rows.Err()
}

// Review reports the monthly operational review of f's month, in the
// time zone f.Location gives: the changes opened in it and how they
// stand, its emergency changes and their reviews, its gate decisions, its
// DORA report, its incidents, the restore tests started in it, and, as
// they are now, the recovery posture and the open findings, of the
// environments f selects. It writes nothing.
func (s *ReportService) Review(ctx context.Context, f andon.ReviewFilter) (*andon.Review, error) {
	if s.changes == nil || s.backups == nil {
		return nil, andon.Errorf(andon.EINTERNAL, "the review needs the changes and backups services")
	}
	cat := s.catalog.Catalog()
	now := s.db.Now().UTC()
	period, selected, err := f.Period(cat, now)
	if err != nil {
		return nil, err
	}
	keep := func(env string) bool { return selected == nil || slices.Contains(selected, env) }
	r := &andon.Review{Month: f.Month, Timezone: period.Since.Location().String(), Since: period.Since, Until: period.Until, At: now,
		Environment: f.Environment, Plant: f.Plant, Process: f.Process, Emergencies: []andon.ReviewEmergency{}, Findings: []andon.Finding{}}
	if f.Plant != "" || f.Process != "" {
		r.Selected = selected
	}
	if r.Changes, err = s.reviewChanges(ctx, period, keep); err != nil {
		return nil, err
	}
	if r.Emergencies, err = s.reviewEmergencies(ctx, period, keep, r.At); err != nil {
		return nil, err
	}
	if r.Gate, err = s.reviewGate(ctx, period, keep); err != nil {
		return nil, err
	}
	if r.Delivery, err = s.DORA(ctx, period); err != nil {
		return nil, err
	}
	if r.Incidents, err = s.reviewIncidents(ctx, cat, period, selected); err != nil {
		return nil, err
	}
	status, err := s.backups.RecoveryStatus(ctx, f.Environment)
	if err != nil {
		return nil, err
	}
	r.Recovery.Posture = slices.DeleteFunc(status.Environments, func(p andon.RecoveryPosture) bool { return !keep(p.Environment) })
	if r.Recovery.RestoreTests, err = readBodies[andon.RestoreTest](ctx, s.db, "a restore test",
		`SELECT body FROM restore_tests WHERE started_at >= ? AND started_at < ? ORDER BY started_at, seq`, micros(period.Since), micros(period.Until)); err != nil {
		return nil, err
	}
	r.Recovery.RestoreTests = slices.DeleteFunc(r.Recovery.RestoreTests, func(t *andon.RestoreTest) bool { return !keep(t.Environment) })
	findings, err := s.changes.Findings(ctx)
	if err != nil {
		return nil, err
	}
	for _, fd := range findings {
		env := fd.Environment
		if fd.ChangeID != "" && selected != nil {
			if err := s.db.readRow(ctx, `SELECT environment FROM changes WHERE id = ?`, fd.ChangeID).Scan(&env); err != nil {
				return nil, fmt.Errorf("the environment of change %s: %w", fd.ChangeID, err)
			}
		}
		if env == "" || keep(env) {
			r.Findings = append(r.Findings, fd)
		}
	}
	return r, nil
}

// reviewChanges counts the changes opened in the period, by environment.
// The changes table has no index of their creation: a month is read from
// every change, which a gate decision does not write.
func (s *ReportService) reviewChanges(ctx context.Context, p andon.DORAFilter, keep func(string) bool) (andon.ReviewChanges, error) {
	c := andon.ReviewChanges{Total: andon.NewChangeCounts(""), Environments: []andon.ChangeCounts{}}
	rows, err := s.db.readQuery(ctx, `SELECT environment, type, tier, state FROM changes WHERE created_at >= ? AND created_at < ? ORDER BY environment`,
		micros(p.Since), micros(p.Until))
	if err != nil {
		return c, err
	}
	defer rows.Close()
	for rows.Next() {
		var env string
		var typ andon.ChangeType
		var tier andon.Level
		var state andon.State
		if err := rows.Scan(&env, &typ, &tier, &state); err != nil {
			return c, err
		}
		if !keep(env) {
			continue
		}
		if n := len(c.Environments); n == 0 || c.Environments[n-1].Environment != env {
			c.Environments = append(c.Environments, andon.NewChangeCounts(env))
		}
		c.Environments[len(c.Environments)-1].Count(typ, tier, state)
		c.Total.Count(typ, tier, state)
	}
	return c, rows.Err()
}

// reviewEmergencies lists the emergency changes opened in the period, with
// the time each entered implementing, read through the index of the
// entries' subject.
func (s *ReportService) reviewEmergencies(ctx context.Context, p andon.DORAFilter, keep func(string) bool, now time.Time) ([]andon.ReviewEmergency, error) {
	changes, err := readBodies[andon.Change](ctx, s.db, "a change",
		`SELECT body FROM changes WHERE type = ? AND created_at >= ? AND created_at < ? ORDER BY created_at, seq`,
		andon.ChangeEmergency, micros(p.Since), micros(p.Until))
	if err != nil {
		return nil, err
	}
	list := []andon.ReviewEmergency{}
	to, at := s.db.dialect.recordData("to"), s.db.dialect.recordTime
	for _, c := range changes {
		if !keep(c.Environment) {
			continue
		}
		var deployed *string
		if err := s.db.readRow(ctx, `SELECT MIN(`+at+`) FROM audit_entries WHERE subject = ? AND type = ? AND `+to+` = ?`,
			c.ID, andon.EventChangeTransition, andon.StateImplementing).Scan(&deployed); err != nil {
			return nil, fmt.Errorf("the deployment of change %s: %w", c.ID, err)
		}
		var when *time.Time
		if deployed != nil {
			t, err := time.Parse(time.RFC3339Nano, *deployed)
			if err != nil {
				return nil, fmt.Errorf("the time change %s started: %w", c.ID, err)
			}
			when = &t
		}
		list = append(list, andon.NewReviewEmergency(c, when, now))
	}
	return list, nil
}

// reviewGateStatement counts the gate decisions of a period by
// environment, verdict and reasons. It reads them through the index of
// every entry's time (migration 0009), not that of their type, which holds
// every gate decision ever: the entries of a month are mostly gate
// decisions, so that index reads little else, and an index of the gate
// decisions' times alone would cost every decision a second index of its
// time, to save reading the month's few other entries. The data of each
// decision is parsed once, for its three fields: a month holds a hundred
// thousand decisions and more.
func (db *DB) reviewGateStatement() string {
	at, d := db.dialect.recordTime, db.dialect.docText
	group := `subject, ` + d("allow") + `, ` + d("dryRun") + `, ` + d("reasons")
	return `SELECT ` + group + `, COUNT(*) FROM (SELECT subject, ` + db.dialect.recordDoc + ` AS d FROM audit_entries
		WHERE ` + unindexedIf(true, "type") + ` = '` + andon.EventGateDecision + `' AND ` + at + ` >= ? AND ` + at + ` < ?` + db.dialect.docFence + `) e
		GROUP BY ` + group
}

// reviewGateArgs are the arguments of reviewGateStatement for p.
func reviewGateArgs(p andon.DORAFilter) []any {
	return []any{auditlog.FormatTime(p.Since), auditlog.FormatTime(p.Until)}
}

func (s *ReportService) reviewGate(ctx context.Context, p andon.DORAFilter, keep func(string) bool) (andon.ReviewGate, error) {
	g := andon.ReviewGate{DeniedBy: []andon.ReasonCount{}}
	rows, err := s.db.readQuery(ctx, s.db.reviewGateStatement(), reviewGateArgs(p)...)
	if err != nil {
		return g, err
	}
	defer rows.Close()
	for rows.Next() {
		var env string
		var allow, dry, reasons *string
		var n int
		if err := rows.Scan(&env, &allow, &dry, &reasons, &n); err != nil {
			return g, err
		}
		if !keep(env) {
			continue
		}
		// SQLite reads a JSON true as 1, PostgreSQL as true.
		switch {
		case dry != nil && (*dry == "true" || *dry == "1"):
			g.DryRuns += n
		case allow != nil && (*allow == "true" || *allow == "1"):
			g.Decisions += n
			g.Allowed += n
		default:
			var rs []andon.Reason
			if reasons != nil {
				if err := json.Unmarshal([]byte(*reasons), &rs); err != nil {
					return g, fmt.Errorf("the reasons of a gate decision in %s: %w", env, err)
				}
			}
			for range n {
				g.Deny(rs)
			}
		}
	}
	g.SortReasons()
	return g, rows.Err()
}

// reviewIncidents reads the incidents opened (or opened again) in the
// period from their incident.opened entries, through the index of their
// type, a rare one, and those resolved in it as the DORA report does.
func (s *ReportService) reviewIncidents(ctx context.Context, cat *andon.Catalog, p andon.DORAFilter, selected []string) (andon.ReviewIncidents, error) {
	var r andon.ReviewIncidents
	at := s.db.dialect.recordTime
	opened, err := s.incidentEntries(ctx, `SELECT record FROM audit_entries WHERE type = '`+andon.EventIncidentOpened+`' AND `+at+` >= ? AND `+at+` < ? ORDER BY idx`,
		auditlog.FormatTime(p.Since), auditlog.FormatTime(p.Until))
	if err != nil {
		return r, err
	}
	resolved, err := s.resolved(ctx, p)
	if err != nil {
		return r, err
	}
	affects := func(inc *andon.Incident) bool {
		if selected == nil {
			return true
		}
		for _, name := range selected {
			if env := cat.Environment(name); env != nil && inc.Scope.Affects(env) {
				return true
			}
		}
		return false
	}
	r.Opened, r.Resolved = []*andon.Incident{}, []*andon.Incident{}
	for _, inc := range opened {
		if affects(inc) {
			r.Opened = append(r.Opened, inc)
		}
	}
	var restore []time.Duration
	for _, inc := range resolved {
		if affects(inc) && inc.ResolvedAt != nil {
			r.Resolved = append(r.Resolved, inc)
			restore = append(restore, inc.ResolvedAt.Sub(inc.OpenedAt))
		}
	}
	slices.SortStableFunc(r.Resolved, func(a, b *andon.Incident) int { return a.ResolvedAt.Compare(*b.ResolvedAt) })
	r.Restore = andon.NewSpread(restore)
	return r, nil
}
