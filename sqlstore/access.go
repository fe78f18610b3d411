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

// AccessService implements andon.AccessService: requests for the roles
// of a team for a while, and their grants. Every write checks the roles
// of its actor with the grants the database holds in the same
// transaction, so that a grant revoked or ended on one replica opens
// nothing on another, whatever its authentication remembers.
type AccessService struct {
	db      *DB
	catalog andon.CatalogSource
	// changed is called after a grant begins or ends, so that the
	// replica that wrote it authenticates with it at once (the cache of
	// TokenService); nil for none.
	changed func()
}

// NewAccessService returns an AccessService over db that checks requests
// against the catalog in force; changed, if not nil, is called after every
// write that starts or ends a grant.
func NewAccessService(db *DB, catalog andon.CatalogSource, changed func()) *AccessService {
	return &AccessService{db: db, catalog: catalog, changed: changed}
}

var _ andon.AccessService = (*AccessService)(nil)

// accessID returns id with the prefix of the IDs andon gives in the case
// they are made in: acc-3 means ACC-3.
func accessID(id string) string {
	if len(id) > 4 && strings.EqualFold(id[:4], "ACC-") {
		return "ACC-" + id[4:]
	}
	return id
}

// RequestAccess records the request of the user of ctx for the roles of
// team for d, which the team must list the user as eligible for.
func (s *AccessService) RequestAccess(ctx context.Context, team string, d time.Duration, reason string) (*andon.AccessRequest, error) {
	user, err := requireUser(ctx)
	if err != nil {
		return nil, err
	}
	cat := s.catalog.Catalog()
	t := cat.Team(team)
	switch {
	case team == "":
		return nil, andon.Errorf(andon.EINVALID, "team: required")
	case t == nil:
		return nil, andon.Errorf(andon.EINVALID, "team: no team %q in the catalog", team)
	case !slices.Contains(t.Eligible, user):
		if slices.Contains(t.Members, user) {
			return nil, andon.Errorf(andon.EINVALID, "team: %s is a member of team %s and holds its roles already", user, team)
		}
		return nil, andon.Errorf(andon.EFORBIDDEN, "%s is not eligible for the roles of team %s: its eligible are %s", user, team, strings.Join(orNobody(t.Eligible), ", "))
	case d <= 0:
		return nil, andon.Errorf(andon.EINVALID, "duration: want more than 0, up to %s", andon.HumanDuration(t.MaxElevationOf()))
	case d > t.MaxElevationOf():
		return nil, andon.Errorf(andon.EINVALID, "duration: %s is longer than team %s grants its roles for (maxElevation %s)", andon.HumanDuration(d), team, andon.HumanDuration(t.MaxElevationOf()))
	case andon.IsBlank(reason):
		return nil, andon.Errorf(andon.EINVALID, "reason: say why the roles are needed")
	}
	if err := andon.CheckText("reason", reason, true); err != nil {
		return nil, err
	}
	req := &andon.AccessRequest{Team: team, User: user, Roles: cat.TeamGrants(team), Reason: reason, Duration: d, State: andon.AccessPending}
	_, err = s.db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		// One request of a user for a team waits at a time, and none
		// while a grant of the team is active.
		var open string
		err := tx.queryRow(ctx, `SELECT id FROM access_requests WHERE username = ? AND team = ?
			AND ((state = 'pending' AND expires_at > ?) OR (state = 'active' AND ends_at > ?)) LIMIT 1`,
			user, team, micros(tx.now), micros(tx.now)).Scan(&open)
		if err == nil {
			return andon.Errorf(andon.ECONFLICT, "%s has request %s for team %s pending or active already", user, open, team)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		req.CreatedAt = tx.now
		req.ExpiresAt = tx.now.Add(andon.AccessRequestTTL)
		if _, err := insertNamed(ctx, tx, "access_requests", `INSERT INTO access_requests (id, team, username, state, created_at, expires_at, body)
			VALUES ('', ?, ?, ?, ?, ?, '{}') RETURNING seq`,
			[]any{team, user, req.State, micros(req.CreatedAt), micros(req.ExpiresAt)},
			req, func(seq int64) string { req.ID = fmt.Sprintf("ACC-%d", seq); return req.ID }); err != nil {
			return err
		}
		tx.Record(andon.Event{Type: andon.EventAccessRequested, Actor: user, Subject: req.ID, Data: req})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return req, nil
}

func orNobody(names []string) []string {
	if len(names) == 0 {
		return []string{"nobody"}
	}
	return names
}

// ApproveAccess grants a pending request: the approver is a standing
// member of its team (not one holding its roles by a grant), and not its
// requester. The grant lasts from now for the request's duration.
func (s *AccessService) ApproveAccess(ctx context.Context, id, comment string) (*andon.AccessRequest, error) {
	if err := andon.CheckText("comment", comment, true); err != nil {
		return nil, err
	}
	return s.move(ctx, id, true, func(ctx context.Context, tx *Tx, user string, req *andon.AccessRequest, t *andon.Team) (string, error) {
		if err := s.decidable(tx, user, req, t, "approve"); err != nil {
			return "", err
		}
		ends := tx.now.Add(req.Duration)
		req.State, req.DecidedBy, req.DecidedAt, req.Comment, req.EndsAt = andon.AccessActive, user, timePtr(tx.now), comment, &ends
		return andon.EventAccessGranted, nil
	})
}

// RejectAccess refuses a pending request, saying why.
func (s *AccessService) RejectAccess(ctx context.Context, id, comment string) (*andon.AccessRequest, error) {
	if andon.IsBlank(comment) {
		return nil, andon.Errorf(andon.EINVALID, "comment: say why the request is rejected")
	}
	if err := andon.CheckText("comment", comment, true); err != nil {
		return nil, err
	}
	return s.move(ctx, id, false, func(ctx context.Context, tx *Tx, user string, req *andon.AccessRequest, t *andon.Team) (string, error) {
		if err := s.decidable(tx, user, req, t, "reject"); err != nil {
			return "", err
		}
		req.State, req.DecidedBy, req.DecidedAt, req.Comment = andon.AccessRejected, user, timePtr(tx.now), comment
		return andon.EventAccessRejected, nil
	})
}

// CancelAccess withdraws a pending request: its requester's alone.
func (s *AccessService) CancelAccess(ctx context.Context, id string) (*andon.AccessRequest, error) {
	return s.move(ctx, id, false, func(ctx context.Context, tx *Tx, user string, req *andon.AccessRequest, _ *andon.Team) (string, error) {
		if user != req.User {
			return "", andon.Errorf(andon.EFORBIDDEN, "%s may not cancel request %s: only its requester, %s, may", user, req.ID, req.User)
		}
		if st := req.StateAt(tx.now); st != andon.AccessPending {
			return "", andon.Errorf(andon.ECONFLICT, "request %s is %s: only a pending request is cancelled", req.ID, st)
		}
		req.State, req.DecidedBy, req.DecidedAt = andon.AccessCancelled, user, timePtr(tx.now)
		return andon.EventAccessCancelled, nil
	})
}

// RevokeAccess ends an active grant early: its holder, a standing member
// of its team or a platform-admin may.
func (s *AccessService) RevokeAccess(ctx context.Context, id, comment string) (*andon.AccessRequest, error) {
	if err := andon.CheckText("comment", comment, true); err != nil {
		return nil, err
	}
	return s.move(ctx, id, true, func(ctx context.Context, tx *Tx, user string, req *andon.AccessRequest, t *andon.Team) (string, error) {
		if st := req.StateAt(tx.now); st != andon.AccessActive {
			return "", andon.Errorf(andon.ECONFLICT, "request %s is %s: only an active grant is revoked", req.ID, st)
		}
		roles, _, err := rolesIn(ctx, tx, s.catalog.Catalog(), user)
		if err != nil {
			return "", err
		}
		standing := t != nil && slices.Contains(t.Members, user)
		if user != req.User && !standing && !slices.Contains(roles, andon.RolePlatformAdmin) {
			return "", andon.Errorf(andon.EFORBIDDEN, "%s may not revoke grant %s: only its holder, %s, a member of team %s or a platform-admin may", user, req.ID, req.User, req.Team)
		}
		req.State, req.RevokedBy, req.RevokedAt, req.RevokeComment = andon.AccessRevoked, user, timePtr(tx.now), comment
		return andon.EventAccessRevoked, nil
	})
}

// decidable says why user may not approve or reject req, when they may
// not: segregation of duties, and the request's state.
func (s *AccessService) decidable(tx *Tx, user string, req *andon.AccessRequest, t *andon.Team, verb string) error {
	switch {
	case user == req.User:
		return andon.Errorf(andon.EFORBIDDEN, "%s requested %s and cannot %s it (segregation of duties)", user, req.ID, verb)
	case t == nil:
		return andon.Errorf(andon.ECONFLICT, "request %s cannot be decided: team %s is no longer in the catalog", req.ID, req.Team)
	case !slices.Contains(t.Members, user):
		return andon.Errorf(andon.EFORBIDDEN, "%s may not %s request %s: only a standing member of team %s (%s) may, not one holding its roles by a grant", user, verb, req.ID, t.Name, strings.Join(t.Members, ", "))
	}
	if st := req.StateAt(tx.now); st != andon.AccessPending {
		return andon.Errorf(andon.ECONFLICT, "request %s is %s: only a pending request is decided", req.ID, st)
	}
	if !slices.Contains(t.Eligible, req.User) {
		return andon.Errorf(andon.ECONFLICT, "request %s cannot be approved: team %s no longer lists %s as eligible", req.ID, t.Name, req.User)
	}
	return nil
}

// move reads request id in a write transaction, lets apply check and
// change it as the user of ctx, saves it and records the event apply
// names. grants says whether the write starts or ends a grant.
func (s *AccessService) move(ctx context.Context, id string, grants bool, apply func(ctx context.Context, tx *Tx, user string, req *andon.AccessRequest, t *andon.Team) (string, error)) (*andon.AccessRequest, error) {
	user, err := requireUser(ctx)
	if err != nil {
		return nil, err
	}
	id = accessID(id)
	var req *andon.AccessRequest
	_, err = s.db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var body []byte
		err := tx.queryRow(ctx, `SELECT body FROM access_requests WHERE id = ?`+tx.db.dialect.forUpdate, id).Scan(&body)
		if errors.Is(err, sql.ErrNoRows) {
			return andon.Errorf(andon.ENOTFOUND, "no access request %s", id)
		} else if err != nil {
			return err
		}
		req = &andon.AccessRequest{}
		if err := json.Unmarshal(body, req); err != nil {
			return fmt.Errorf("decode access request %s: %w", id, err)
		}
		ev, err := apply(ctx, tx, user, req, s.catalog.Catalog().Team(req.Team))
		if err != nil {
			return err
		}
		if body, err = json.Marshal(req); err != nil {
			return err
		}
		var ends any
		if req.EndsAt != nil {
			ends = micros(*req.EndsAt)
		}
		if _, err := tx.exec(ctx, `UPDATE access_requests SET state = ?, ends_at = ?, body = ? WHERE id = ?`, req.State, ends, body, id); err != nil {
			return fmt.Errorf("write access request %s: %w", id, err)
		}
		tx.Record(andon.Event{Type: ev, Actor: user, Subject: req.ID, Data: req})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if grants && s.changed != nil {
		s.changed()
	}
	return s.at(req), nil
}

// at returns req with its state as read now.
func (s *AccessService) at(req *andon.AccessRequest) *andon.AccessRequest {
	req.State = req.StateAt(s.db.Now())
	return req
}

// FindAccessRequestByID returns one request, in its state now.
func (s *AccessService) FindAccessRequestByID(ctx context.Context, id string) (*andon.AccessRequest, error) {
	id = accessID(id)
	req, err := readBody[andon.AccessRequest](ctx, s.db, "no access request "+id, `SELECT body FROM access_requests WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	return s.at(req), nil
}

// FindAccessRequests lists requests, newest first, in their state now.
func (s *AccessService) FindAccessRequests(ctx context.Context, f andon.AccessFilter) ([]*andon.AccessRequest, error) {
	now := micros(s.db.Now())
	q := `SELECT body FROM access_requests WHERE TRUE`
	var args []any
	switch f.State {
	case "":
	case andon.AccessPending:
		q, args = q+` AND state = 'pending' AND expires_at > ?`, append(args, now)
	case andon.AccessExpired:
		q, args = q+` AND state = 'pending' AND expires_at <= ?`, append(args, now)
	case andon.AccessActive:
		q, args = q+` AND state = 'active' AND ends_at > ?`, append(args, now)
	case andon.AccessEnded:
		q, args = q+` AND state = 'active' AND ends_at <= ?`, append(args, now)
	case andon.AccessRejected, andon.AccessCancelled, andon.AccessRevoked:
		q, args = q+` AND state = ?`, append(args, f.State)
	default:
		return nil, andon.Errorf(andon.EINVALID, "state: %q is not one of %s", f.State, strings.Join(andon.AccessStates, ", "))
	}
	if f.User != "" {
		q, args = q+` AND username = ?`, append(args, f.User)
	}
	if f.Team != "" {
		q, args = q+` AND team = ?`, append(args, f.Team)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q, args = q+` ORDER BY seq DESC LIMIT ?`, append(args, limit)
	list, err := readBodies[andon.AccessRequest](ctx, s.db, "an access request", q, args...)
	for _, req := range list {
		s.at(req)
	}
	return list, err
}

// CountActive returns the number of active grants by team, for the
// andon_access_grants_active gauge.
func (s *AccessService) CountActive(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.readQuery(ctx, `SELECT team, COUNT(*) FROM access_requests WHERE state = 'active' AND ends_at > ? GROUP BY team`, micros(s.db.Now()))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var team string
		var n int
		if err := rows.Scan(&team, &n); err != nil {
			return nil, err
		}
		counts[team] = n
	}
	return counts, rows.Err()
}

// rolesIn returns the roles user holds inside tx: those the catalog gives,
// and those of the grants active at the transaction's time, which it
// returns too. A write decides by these, never by what a replica's
// authentication remembers.
func rolesIn(ctx context.Context, tx *Tx, cat *andon.Catalog, user string) ([]string, []andon.Grant, error) {
	grants, err := readGrants(ctx, tx.query, user, tx.now)
	if err != nil {
		return nil, nil, err
	}
	return cat.RolesWith(user, grants), grants, nil
}

// rolesRead returns the roles user holds now, as rolesIn does, read
// from the read pool: for the checks made before a write, or without one.
func rolesRead(ctx context.Context, db *DB, cat *andon.Catalog, user string) ([]string, []andon.Grant, error) {
	grants, err := readGrants(ctx, db.readQuery, user, db.Now())
	if err != nil {
		return nil, nil, err
	}
	return cat.RolesWith(user, grants), grants, nil
}

// readGrants reads the grants of user active at now with query: a
// transaction's, or the read pool's.
func readGrants(ctx context.Context, query func(context.Context, string, ...any) (*sql.Rows, error), user string, now time.Time) ([]andon.Grant, error) {
	rows, err := query(ctx, activeGrantsQuery, user, micros(now))
	if err != nil {
		return nil, err
	}
	return scanGrants(rows)
}

// activeGrantsQuery reads the grants of a user active at a time, the
// first to end first, through the index of the active ones.
const activeGrantsQuery = `SELECT id, team, ends_at FROM access_requests WHERE username = ? AND state = 'active' AND ends_at > ? ORDER BY ends_at`

func scanGrants(rows *sql.Rows) ([]andon.Grant, error) {
	defer rows.Close()
	var grants []andon.Grant
	for rows.Next() {
		var g andon.Grant
		var ends int64
		if err := rows.Scan(&g.ID, &g.Team, &ends); err != nil {
			return nil, err
		}
		g.EndsAt = time.UnixMicro(ends).UTC()
		grants = append(grants, g)
	}
	return grants, rows.Err()
}

func timePtr(t time.Time) *time.Time { return &t }
