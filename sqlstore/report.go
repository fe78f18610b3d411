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
}

// NewReportService returns a ReportService that selects environments
// through the catalog in force.
func NewReportService(db *DB, catalog andon.CatalogSource) *ReportService {
	return &ReportService{db: db, catalog: catalog}
}

// DORA reports the DORA measures of f's period. It reads the
// change.transitioned and incident.resolved entries of the period through
// the index of each type's times (migration 0018), whatever the size of
// the log, and writes nothing. Each index holds the entries of its type
// alone, so that a gate decision, which is neither, writes no page of
// them; the statements name the types as constants, which is how an
// engine knows that they may read such a partial index.
func (s *ReportService) DORA(ctx context.Context, f andon.DORAFilter) (*andon.DORAReport, error) {
	cat := s.catalog.Catalog()
	selected, err := f.Environments(cat)
	if err != nil {
		return nil, err
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
	rows, err := s.db.readQuery(ctx, s.db.resolvedStatement(), resolvedArgs(f)...)
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
			return nil, fmt.Errorf("audit entry %d: an incident.resolved entry without its incident", e.Index)
		}
		incidents = append(incidents, e.Data)
	}
	return incidents, rows.Err()
}
