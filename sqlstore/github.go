package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/andon-governance/andon"
)

// GitHubStore records the deployment protection requests of GitHub
// Actions jobs that andon's GitHub App holds, their decisions and their
// answers, each write with its audit entry.
type GitHubStore struct {
	db *DB
}

// NewGitHubStore returns a GitHubStore over db.
func NewGitHubStore(db *DB) *GitHubStore { return &GitHubStore{db: db} }

// RecordRequest records a request as GitHub sent it, waiting, in the name
// of its repository (github:OWNER/REPO). A request of the same delivery
// (X-GitHub-Delivery: a delivery sent again, or replayed, even once it is
// answered), or of the same callback URL and GitHub environment that
// GitHub has not been answered yet, is returned as it stands, created
// false, and nothing is written.
func (s *GitHubStore) RecordRequest(ctx context.Context, d *andon.GitHubDeployment) (*andon.GitHubDeployment, bool, error) {
	if d.Delivery == "" {
		return nil, false, andon.Errorf(andon.EINVALID, "X-GitHub-Delivery: required: GitHub names each delivery")
	}
	var rec *andon.GitHubDeployment
	_, err := s.db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var body []byte
		err := tx.queryRow(ctx, `SELECT body FROM github_deployments WHERE delivery = ? OR (callback_url = ? AND github_environment = ? AND answered = 0)
			ORDER BY seq DESC LIMIT 1`, d.Delivery, d.CallbackURL, d.GitHubEnvironment).Scan(&body)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("read the requests of %s: %w", d.CallbackURL, err)
		default:
			rec = &andon.GitHubDeployment{}
			if err := json.Unmarshal(body, rec); err != nil {
				return fmt.Errorf("decode a GitHub deployment: %w", err)
			}
			tx.NoChange()
			return nil
		}
		rec = new(andon.GitHubDeployment)
		*rec = *d
		rec.State, rec.RequestedAt = andon.GitHubWaiting, tx.now.UTC()
		if _, err := insertNamed(ctx, tx, "github_deployments",
			`INSERT INTO github_deployments (id, callback_url, github_environment, state, delivery, body) VALUES (?, ?, ?, ?, ?, '{}') RETURNING seq`,
			[]any{"new GitHub deployment " + rec.RunURL, rec.CallbackURL, rec.GitHubEnvironment, rec.State, rec.Delivery}, rec,
			func(seq int64) string { rec.ID = fmt.Sprintf("GHD-%d", seq); return rec.ID }); err != nil {
			return err
		}
		tx.Record(andon.Event{Type: andon.EventGitHubRequested, Actor: "github:" + rec.Repository, Subject: rec.ID, Data: rec})
		return nil
	})
	if errors.Is(err, ErrNoChange) {
		return rec, false, nil
	} else if err != nil {
		return nil, false, err
	}
	return rec, true, nil
}

// Find lists requests, the latest first.
func (s *GitHubStore) Find(ctx context.Context, f andon.GitHubDeploymentFilter) ([]*andon.GitHubDeployment, error) {
	q, args := `SELECT body FROM github_deployments WHERE 1 = 1`, []any{}
	if f.State != "" {
		q, args = q+` AND state = ?`, append(args, f.State)
	}
	if f.Open {
		q += ` AND answered = 0`
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	return readBodies[andon.GitHubDeployment](ctx, s.db, "a GitHub deployment", q+` ORDER BY seq DESC LIMIT ?`, append(args, f.Limit)...)
}

// Decide records the decision of a waiting request, approved or
// rejected, with the change it is about ("" for none) and the comment
// GitHub is to show. A request decided already is a conflict.
func (s *GitHubStore) Decide(ctx context.Context, id string, state andon.GitHubState, change, comment string) (*andon.GitHubDeployment, error) {
	if state != andon.GitHubApproved && state != andon.GitHubRejected {
		return nil, andon.Errorf(andon.EINVALID, "state: %q; a decision is %s or %s", state, andon.GitHubApproved, andon.GitHubRejected)
	}
	return s.update(ctx, id, func(tx *Tx, d *andon.GitHubDeployment) (andon.Event, error) {
		if d.State != andon.GitHubWaiting {
			return andon.Event{}, andon.Errorf(andon.ECONFLICT, "GitHub deployment %s is %s already", d.ID, d.State)
		}
		at := tx.now.UTC()
		d.State, d.Change, d.Comment, d.DecidedAt = state, change, comment, &at
		return andon.Event{Type: andon.EventGitHubDecided, Actor: andon.ActorAndon, Subject: d.ID, Data: map[string]any{
			"state": state, "change": change, "comment": comment, "runUrl": d.RunURL, "environment": d.Environment}}, nil
	})
}

// Answered records that GitHub took the answer of a decided request, or,
// with refused, GitHub's refusal of it for good: either way the request
// is closed, and its answer not sent again.
func (s *GitHubStore) Answered(ctx context.Context, id, refused string) (*andon.GitHubDeployment, error) {
	return s.update(ctx, id, func(tx *Tx, d *andon.GitHubDeployment) (andon.Event, error) {
		switch {
		case d.State == andon.GitHubWaiting:
			return andon.Event{}, andon.Errorf(andon.ECONFLICT, "GitHub deployment %s is not decided yet", d.ID)
		case d.AnsweredAt != nil:
			return andon.Event{}, andon.Errorf(andon.ECONFLICT, "GitHub deployment %s was answered already", d.ID)
		}
		at := tx.now.UTC()
		d.AnsweredAt, d.Refused = &at, refused
		data := map[string]any{"state": d.State, "runUrl": d.RunURL}
		if refused != "" {
			data["refused"] = refused
		}
		return andon.Event{Type: andon.EventGitHubAnswered, Actor: andon.ActorAndon, Subject: d.ID, Data: data}, nil
	})
}

// update reads the request id inside a write, applies change to it and
// stores it with the event change returns.
func (s *GitHubStore) update(ctx context.Context, id string, change func(*Tx, *andon.GitHubDeployment) (andon.Event, error)) (*andon.GitHubDeployment, error) {
	var d *andon.GitHubDeployment
	_, err := s.db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var body []byte
		err := tx.queryRow(ctx, `SELECT body FROM github_deployments WHERE id = ?`+tx.db.dialect.forUpdate, id).Scan(&body)
		if errors.Is(err, sql.ErrNoRows) {
			return andon.Errorf(andon.ENOTFOUND, "no GitHub deployment %s", id)
		} else if err != nil {
			return fmt.Errorf("read GitHub deployment %s: %w", id, err)
		}
		d = &andon.GitHubDeployment{}
		if err := json.Unmarshal(body, d); err != nil {
			return fmt.Errorf("decode GitHub deployment %s: %w", id, err)
		}
		ev, err := change(tx, d)
		if err != nil {
			return err
		}
		if body, err = json.Marshal(d); err != nil {
			return err
		}
		answered := 0
		if d.AnsweredAt != nil {
			answered = 1
		}
		if _, err := tx.exec(ctx, `UPDATE github_deployments SET state = ?, answered = ?, body = ? WHERE id = ?`, d.State, answered, body, id); err != nil {
			return fmt.Errorf("update GitHub deployment %s: %w", id, err)
		}
		tx.Record(ev)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}
