package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/andon-governance/andon"
)

// IncidentService implements andon.IncidentService.
type IncidentService struct {
	db      *DB
	catalog andon.CatalogSource
}

// NewIncidentService returns an IncidentService that checks the scope of
// incidents against the catalog in force.
func NewIncidentService(db *DB, catalog andon.CatalogSource) *IncidentService {
	return &IncidentService{db: db, catalog: catalog}
}

// incidentID returns id with the prefix of the IDs andon gives in the
// case they are made in: a person who types inc-3 means INC-3.
func incidentID(id string) string {
	if generatedID(id) {
		return "INC-" + id[4:]
	}
	return id
}

// OpenIncident opens an incident, or opens again a resolved one of the
// same ID.
func (s *IncidentService) OpenIncident(ctx context.Context, req *andon.IncidentRequest) (*andon.Incident, error) {
	user, err := requireUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if err := req.Scope.Check("scope", s.catalog.Catalog()); err != nil {
		return nil, err
	}
	var inc *andon.Incident
	_, err = s.db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		old, err := loadIncident(ctx, tx, incidentID(req.ID))
		if err != nil && andon.ErrorCode(err) != andon.ENOTFOUND {
			return err
		}
		if old != nil && old.State == andon.IncidentOpen {
			return andon.Errorf(andon.ECONFLICT, "incident %s is already open, since %s (opened by %s): resolve it first, or give this one another ID",
				old.ID, old.OpenedAt.Format(time.RFC3339), old.OpenedBy)
		}
		if old == nil && generatedID(req.ID) {
			return andon.Errorf(andon.EINVALID, "id: %s is of the form andon gives its own incidents (INC- and a number), and there is no such incident to open again: leave the ID out, or give the one the incident has in the tool that tracks it", req.ID)
		}
		inc = newIncident(req, andon.SourceAPI, user, tx.now)
		if old != nil {
			inc.ID = old.ID
		}
		return s.write(ctx, tx, inc, old != nil, andon.EventIncidentOpened, user)
	})
	if err != nil {
		return nil, err
	}
	return inc, nil
}

// newIncident returns the open incident req asks for.
func newIncident(req *andon.IncidentRequest, source, user string, now time.Time) *andon.Incident {
	return &andon.Incident{ID: req.ID, Title: req.Title, Severity: req.Severity, State: andon.IncidentOpen,
		Scope: req.Scope, Link: req.Link, Source: source, OpenedBy: user, OpenedAt: now}
}

// write stores inc, new or over the stored one of its ID (exists), and
// records ev about it by actor. An incident given no ID takes INC- and
// its row's sequence number.
func (s *IncidentService) write(ctx context.Context, tx *Tx, inc *andon.Incident, exists bool, ev, actor string) error {
	body, err := json.Marshal(inc)
	if err != nil {
		return err
	}
	switch {
	case exists:
		_, err = tx.exec(ctx, `UPDATE incidents SET state = ?, updated_at = ?, body = ? WHERE id = ?`, inc.State, micros(tx.now), body, inc.ID)
	case inc.ID != "":
		_, err = tx.exec(ctx, `INSERT INTO incidents (id, state, updated_at, body) VALUES (?, ?, ?, ?)`, inc.ID, inc.State, micros(tx.now), body)
	default:
		_, err = insertNamed(ctx, tx, "incidents", `INSERT INTO incidents (id, state, updated_at, body) VALUES ('', ?, ?, '{}') RETURNING seq`,
			[]any{inc.State, micros(tx.now)}, inc, func(seq int64) string { inc.ID = fmt.Sprintf("INC-%d", seq); return inc.ID })
	}
	if err != nil {
		return fmt.Errorf("write incident %s: %w", inc.ID, err)
	}
	// A gate decision read before this write is read again inside its
	// own (see Tx.unchangedSince).
	if _, err := tx.exec(ctx, `UPDATE audit_checkpoint SET changes_seq = changes_seq + 1, incidents_seq = incidents_seq + 1 WHERE id = 1`); err != nil {
		return fmt.Errorf("count the incident's write: %w", err)
	}
	tx.Record(andon.Event{Type: ev, Actor: actor, Subject: inc.ID, Data: inc})
	return nil
}

// generatedID reports whether id has the form of the IDs andon gives
// (INC- and a number), in any case.
func generatedID(id string) bool {
	return len(id) > 4 && strings.EqualFold(id[:4], "INC-") && strings.Trim(id[4:], "0123456789") == ""
}

// loadIncident reads incident id inside a write; ENOTFOUND when there is
// none.
func loadIncident(ctx context.Context, tx *Tx, id string) (*andon.Incident, error) {
	if id == "" {
		return nil, andon.Errorf(andon.ENOTFOUND, "no incident")
	}
	var body []byte
	err := tx.queryRow(ctx, `SELECT body FROM incidents WHERE id = ?`+tx.db.dialect.forUpdate, id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, andon.Errorf(andon.ENOTFOUND, "no incident %s", id)
	} else if err != nil {
		return nil, err
	}
	inc := &andon.Incident{}
	if err := json.Unmarshal(body, inc); err != nil {
		return nil, fmt.Errorf("decode incident %s: %w", id, err)
	}
	return inc, nil
}

// ResolveIncident resolves an open incident.
func (s *IncidentService) ResolveIncident(ctx context.Context, id, comment string) (*andon.Incident, error) {
	user, err := requireUser(ctx)
	if err != nil {
		return nil, err
	}
	if andon.IsBlank(comment) {
		return nil, andon.Errorf(andon.EINVALID, "comment: say what was done, or why the incident no longer stops changes")
	}
	if err := andon.CheckText("comment", comment, true); err != nil {
		return nil, err
	}
	var inc *andon.Incident
	_, err = s.db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		inc, err = loadIncident(ctx, tx, incidentID(id))
		if err != nil {
			return err
		}
		roles, _, err := rolesIn(ctx, tx, s.catalog.Catalog(), user)
		if err != nil {
			return err
		}
		if err := inc.CanResolve(user, roles); err != nil {
			return err
		}
		if inc.State != andon.IncidentOpen {
			return andon.Errorf(andon.ECONFLICT, "incident %s was resolved already, at %s by %s", inc.ID, inc.ResolvedAt.Format(time.RFC3339), inc.ResolvedBy)
		}
		resolve(inc, user, comment, tx.now)
		return s.write(ctx, tx, inc, true, andon.EventIncidentResolved, user)
	})
	if err != nil {
		return nil, err
	}
	return inc, nil
}

func resolve(inc *andon.Incident, user, comment string, now time.Time) {
	inc.State, inc.ResolvedBy, inc.ResolvedAt, inc.Comment = andon.IncidentResolved, user, &now, comment
}

// FindIncidentByID returns one incident.
func (s *IncidentService) FindIncidentByID(ctx context.Context, id string) (*andon.Incident, error) {
	id = incidentID(id)
	return readBody[andon.Incident](ctx, s.db, "no incident "+id, `SELECT body FROM incidents WHERE id = ?`, id)
}

// FindIncidents lists incidents, the open ones first, then newest first.
func (s *IncidentService) FindIncidents(ctx context.Context, f andon.IncidentFilter) ([]*andon.Incident, error) {
	q := `SELECT body FROM incidents WHERE TRUE`
	var args []any
	if f.State != "" {
		q, args = q+` AND state = ?`, append(args, f.State)
	}
	if f.Severity != "" {
		q, args = q+` AND `+s.db.dialect.bodyText("severity")+` = ?`, append(args, string(f.Severity))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q, args = q+` ORDER BY CASE state WHEN 'open' THEN 0 ELSE 1 END, updated_at DESC, seq DESC LIMIT ? OFFSET ?`, append(args, limit, max(f.Offset, 0))
	return readBodies[andon.Incident](ctx, s.db, "an incident", q, args...)
}

// CountOpen returns the number of open incidents by severity, for the
// andon_incidents_open gauge: all of them, through the index of the open
// ones, however many there are.
func (s *IncidentService) CountOpen(ctx context.Context) (map[andon.Level]int, error) {
	rows, err := s.db.readQuery(ctx, `SELECT body FROM incidents WHERE state = 'open'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	counts := map[andon.Level]int{}
	for rows.Next() {
		var body []byte
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var inc struct {
			Severity andon.Level `json:"severity"`
		}
		if err := json.Unmarshal(body, &inc); err != nil {
			return nil, fmt.Errorf("decode an incident: %w", err)
		}
		counts[inc.Severity]++
	}
	return counts, rows.Err()
}

// ReceiveAlerts applies a notification of Alertmanager's webhook: a
// firing alert opens its incident (am- and its fingerprint), opens it
// again once resolved, or updates the open one if its title, severity,
// scope or link changed; a resolved alert resolves its open incident. An
// incident a person opened again is left as it is. The
// whole notification is checked first: one bad alert refuses it all, and
// nothing is written.
func (s *IncidentService) ReceiveAlerts(ctx context.Context, n *andon.AlertNotification) (*andon.AlertsReceived, error) {
	user, err := requireUser(ctx)
	if err != nil {
		return nil, err
	}
	cat := s.catalog.Catalog()
	reqs := make([]*andon.IncidentRequest, len(n.Alerts))
	ignored := make([]string, len(n.Alerts))
	// An alert is in a notification once: two of one fingerprint would
	// say two things of one incident, and the last would win.
	seen := make(map[string]int, len(n.Alerts))
	for i, a := range n.Alerts {
		if j, ok := seen[a.Fingerprint]; ok && a.Fingerprint != "" {
			return nil, andon.Errorf(andon.EINVALID, "alerts[%d].fingerprint: %q is alerts[%d]'s too; an alert is given once in a notification", i, a.Fingerprint, j)
		}
		seen[a.Fingerprint] = i
		switch a.Status {
		case "firing":
			if reqs[i], ignored[i], err = andon.AlertIncident(n, i, cat); err != nil {
				return nil, err
			}
		case "resolved":
			id := "am-" + a.Fingerprint
			if err := andon.CheckIncidentID(id); a.Fingerprint == "" || err != nil {
				return nil, andon.Errorf(andon.EINVALID, "alerts[%d].fingerprint: %q is not a fingerprint", i, a.Fingerprint)
			}
		default:
			return nil, andon.Errorf(andon.EINVALID, "alerts[%d].status: %q is neither firing nor resolved", i, a.Status)
		}
	}
	var got *andon.AlertsReceived
	_, err = s.db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		roles, _, err := rolesIn(ctx, tx, cat, user)
		if err != nil {
			return err
		}
		got = &andon.AlertsReceived{Opened: []string{}, Updated: []string{}, Resolved: []string{}, Unchanged: []string{}, Ignored: []andon.IgnoredAlert{}}
		for i, a := range n.Alerts {
			id := "am-" + a.Fingerprint
			if ignored[i] != "" {
				got.Ignored = append(got.Ignored, andon.IgnoredAlert{ID: id, Reason: ignored[i]})
				continue
			}
			old, err := loadIncident(ctx, tx, id)
			if err != nil && andon.ErrorCode(err) != andon.ENOTFOUND {
				return err
			}
			req := reqs[i]
			switch {
			case old != nil && old.State == andon.IncidentOpen && old.Source != andon.SourceAlertmanager:
				// A person opened it again after it was resolved: it is
				// theirs to resolve, whatever the alert says since.
				got.Unchanged = append(got.Unchanged, id)
			case req == nil && old == nil:
				// Resolved before andon saw it fire (its firing went to
				// another receiver, or came before andon had this route).
				got.Ignored = append(got.Ignored, andon.IgnoredAlert{ID: id, Reason: "andon opened no incident for it"})
			case req == nil && old.State != andon.IncidentOpen:
				got.Unchanged = append(got.Unchanged, id)
			case req != nil && old != nil && old.State == andon.IncidentResolved && old.ResolvedAt != nil &&
				!a.StartsAt.IsZero() && !a.StartsAt.After(*old.ResolvedAt):
				// Resolved while this firing of the alert went on (by a
				// person, say): Alertmanager repeating it does not open
				// it again; the alert firing anew, after it ends, does.
				got.Unchanged = append(got.Unchanged, id)
			case req == nil:
				if err := mayChange(user, roles, old, i); err != nil {
					return err
				}
				comment := "resolved in Alertmanager"
				if !a.EndsAt.IsZero() {
					comment += ", the alert ended at " + a.EndsAt.UTC().Format(time.RFC3339)
				}
				resolve(old, user, comment, tx.now)
				if err := s.write(ctx, tx, old, true, andon.EventIncidentResolved, user); err != nil {
					return err
				}
				got.Resolved = append(got.Resolved, id)
			case old == nil || old.State != andon.IncidentOpen:
				if err := s.write(ctx, tx, newIncident(req, andon.SourceAlertmanager, user, tx.now), old != nil, andon.EventIncidentOpened, user); err != nil {
					return err
				}
				got.Opened = append(got.Opened, id)
			case old.Title == req.Title && old.Severity == req.Severity && old.Link == req.Link && scopeEqual(old.Scope, req.Scope):
				got.Unchanged = append(got.Unchanged, id)
			default:
				if err := mayChange(user, roles, old, i); err != nil {
					return err
				}
				old.Title, old.Severity, old.Link, old.Scope = req.Title, req.Severity, req.Link, req.Scope
				if err := s.write(ctx, tx, old, true, andon.EventIncidentUpdated, user); err != nil {
					return err
				}
				got.Updated = append(got.Updated, id)
			}
		}
		if len(got.Unchanged)+len(got.Ignored) == len(n.Alerts) {
			tx.NoChange()
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrNoChange) {
		return nil, err
	}
	return got, nil
}

// mayChange refuses alert i of a notification sent by user, holding
// roles, that would resolve or update the open incident inc unless user
// may resolve it: lowering an incident's severity or scope lifts its stop
// as resolving it does, and a notification is posted with any token.
func mayChange(user string, roles []string, inc *andon.Incident, i int) error {
	if err := inc.CanResolve(user, roles); err != nil {
		return andon.Errorf(andon.EFORBIDDEN, "alerts[%d]: %s; its alert's notifications are Alertmanager's, sent with the token of the user that opened it", i, andon.ErrorMessage(err))
	}
	return nil
}

func scopeEqual(a, b andon.IncidentScope) bool {
	return a.Global == b.Global && slices.Equal(a.Plants, b.Plants) && slices.Equal(a.Processes, b.Processes) &&
		slices.Equal(a.Environments, b.Environments) && slices.Equal(a.Namespaces, b.Namespaces)
}

// openIncidents decodes the open incidents, as the dialect's
// openIncidents expression gives them (a JSON array of their bodies), and
// returns those that stop changes to env, oldest first.
func openIncidents(list []byte, env *andon.Environment) ([]andon.Incident, error) {
	if string(list) == "[]" {
		// None open, as nearly always: nothing to decode.
		return []andon.Incident{}, nil
	}
	var all []andon.Incident
	if err := json.Unmarshal(list, &all); err != nil {
		return nil, fmt.Errorf("decode the open incidents: %w", err)
	}
	affecting := []andon.Incident{}
	for _, inc := range all {
		if inc.Scope.Affects(env) {
			affecting = append(affecting, inc)
		}
	}
	return affecting, nil
}

// readOpenIncidents reads the open incidents that stop changes to env.
func readOpenIncidents(ctx context.Context, q rowQuerier, d dialect, env *andon.Environment) ([]andon.Incident, error) {
	var list []byte
	if err := q.queryRow(ctx, `SELECT `+d.openIncidents).Scan(&list); err != nil {
		return nil, fmt.Errorf("read the open incidents: %w", err)
	}
	return openIncidents(list, env)
}
