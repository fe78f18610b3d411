package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/andon-governance/andon"
)

// askGate asks the gate policy whether change c, approved, may be started
// by hand now, and returns the reasons of its answer when it may. A change
// started with andon change start (or the board's Start) is held to the
// rules of its first deployment: its own window, a maintenance window for
// a high or critical change without one, the freezes in force and the
// promotion of its images; only the image does not have to match, since
// the person starting it may deploy no image at all (a configuration
// change, an upgrade of modules run by hand). A refusal is a conflict that
// names every reason; a policy that fails to decide refuses too, with a
// *policyError.
func (s *ChangeService) askGate(ctx context.Context, tx *Tx, c *andon.Change) ([]andon.Reason, error) {
	cat := s.catalog.Catalog()
	env := cat.Environment(c.Environment)
	if env == nil {
		return nil, andon.Errorf(andon.ECONFLICT, "change %s cannot start: its environment %s is no longer in the catalog (revision %s)", c.ID, c.Environment, cat.Revision)
	}
	cal, err := s.calendar.For(cat)
	if err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	req := andon.GateRequest{Environment: env.Name, At: tx.now.UTC().Truncate(time.Second), Start: true}
	in := &andon.GateInput{
		Request:     req,
		Environment: env,
		Change:      c,
		Calendar:    andon.CalendarState{Active: nonNil(cal.Active(env, req.At))},
		Incidents:   []andon.Incident{},
	}
	if env.PromotesFrom != "" && len(c.Artifacts) > 0 {
		in.Promotion, in.Request.Image, err = promotionOf(ctx, tx, env.PromotesFrom, c.Artifacts)
		if err != nil {
			return nil, err
		}
	}
	decision, err := s.policy.Gate(ctx, in)
	if err != nil {
		// Not a fault of the storage, which a fault inside the write
		// would claim: Transition says what failed.
		return nil, &policyError{fmt.Errorf("gate policy: %w", err)}
	}
	if !decision.Allow {
		return nil, andon.Errorf(andon.ECONFLICT, "change %s cannot start now, the gate refuses it: %s", c.ID, joinReasons(decision.Reasons))
	}
	return nonNil(decision.Reasons), nil
}

// promotionOf returns the promotion evidence of a change's artifacts: the
// completed change of from that carried each one's digest. When one has
// none, the evidence is missing and that artifact is returned, for the
// policy's message; otherwise the evidence is the completed change of the
// first artifact.
func promotionOf(ctx context.Context, tx *Tx, from string, artifacts []string) (*andon.Promotion, string, error) {
	p := &andon.Promotion{Required: true, From: from}
	for i, ref := range artifacts {
		img, err := andon.ParseImage(ref)
		if err != nil {
			return nil, "", fmt.Errorf("artifact %d of the change: %w", i, err)
		}
		var id string
		err = tx.queryRow(ctx, `SELECT c.id FROM changes c JOIN change_artifacts a ON a.change_seq = c.seq
			WHERE c.environment = ? AND a.digest = ? AND c.state = 'completed'
			ORDER BY c.seq DESC LIMIT 1`, from, img.Digest).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			p.ChangeID = ""
			return p, ref, nil
		} else if err != nil {
			return nil, "", err
		}
		if i == 0 {
			p.ChangeID = id
		}
	}
	return p, "", nil
}

// joinReasons writes the reasons of a refusal in one sentence.
func joinReasons(reasons []andon.Reason) string {
	if len(reasons) == 0 {
		return "the policy gave no reason"
	}
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		parts[i] = r.Message + " (" + r.Code + ")"
	}
	return strings.Join(parts, "; and ")
}
