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
	if cat.Environment(c.Environment) == nil {
		return nil, andon.Errorf(andon.ECONFLICT, "change %s cannot start: its environment %s is no longer in the catalog (revision %s)", c.ID, c.Environment, cat.Revision)
	}
	check, err := s.startCheck(ctx, tx, cat, tx.now, c)
	if err != nil {
		return nil, err
	}
	if !check.Allow {
		return nil, andon.Errorf(andon.ECONFLICT, "change %s cannot start now, the gate refuses it: %s", c.ID, joinReasons(check.Reasons))
	}
	return check.Reasons, nil
}

// startCheck asks the gate policy what it answers to a start of change c
// by hand at now, with the windows of cat and the promotion of the
// change's images read through q: the input askGate gives it. It writes
// nothing. An environment no longer in cat is refused with the reason
// UNKNOWN_ENVIRONMENT, without asking the policy; a policy that fails to
// decide is a *policyError.
func (s *ChangeService) startCheck(ctx context.Context, q rowQuerier, cat *andon.Catalog, now time.Time, c *andon.Change) (*andon.StartCheck, error) {
	at := now.UTC().Truncate(time.Second)
	env := cat.Environment(c.Environment)
	if env == nil {
		return &andon.StartCheck{At: at, Reasons: []andon.Reason{{Code: andon.ReasonUnknownEnvironment,
			Message: fmt.Sprintf("the environment %s of change %s is no longer in the catalog (revision %s)", c.Environment, c.ID, cat.Revision)}}}, nil
	}
	cal, err := s.calendar.For(cat)
	if err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	req := andon.GateRequest{Environment: env.Name, At: at, Start: true}
	in := &andon.GateInput{
		Request:     req,
		Environment: env,
		Change:      c,
		Calendar:    andon.CalendarState{Active: nonNil(cal.Active(env, req.At))},
	}
	if in.Incidents, err = readOpenIncidents(ctx, q, s.db.dialect, env); err != nil {
		return nil, err
	}
	if in.Backup, err = readLatestBackup(ctx, q, env.Name, at); err != nil {
		return nil, err
	}
	if env.PromotesFrom != "" && len(c.Artifacts) > 0 {
		in.Promotion, in.Request.Image, err = promotionOf(ctx, q, env.PromotesFrom, c.Artifacts)
		if err != nil {
			return nil, err
		}
	}
	decision, err := s.policy.Gate(ctx, in)
	if err != nil {
		// Not a fault of the storage, which a fault inside the write
		// would claim: Transition and CheckStart say what failed.
		return nil, &policyError{fmt.Errorf("gate policy: %w", err)}
	}
	return &andon.StartCheck{Allow: decision.Allow, Reasons: nonNil(decision.Reasons), At: at}, nil
}

// CheckStart says what the gate would answer now to a start of change id
// by hand, as Transition asks it, reading from the read pool: nothing is
// written, no audit entry, no decision, no state. The start's own checks
// come first, with its errors: a user who may not move the change is
// EFORBIDDEN, and a change whose state cannot start (pending, closed) is
// the ECONFLICT the start would be. The answer is a preview: the start
// asks the gate again.
func (s *ChangeService) CheckStart(ctx context.Context, id string) (*andon.StartCheck, error) {
	user, err := requireUser(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.FindChangeByID(ctx, id)
	if err != nil {
		return nil, err
	}
	cat := s.catalog.Catalog()
	roles, _, err := rolesRead(ctx, s.db, cat, user)
	if err != nil {
		return nil, err
	}
	if !c.MayMove(user, roles) {
		return nil, mayNotMove(user, c)
	}
	if err := canBecome(c, andon.StateImplementing); err != nil {
		return nil, err
	}
	check, err := s.startCheck(ctx, readPool{s.db}, cat, s.db.Now(), c)
	if perr := (*policyError)(nil); errors.As(err, &perr) {
		s.db.logger().Error("start could not be checked: the gate policy failed", "change", c.ID, "err", err)
		return nil, perr.fault("the gate could not decide whether change "+c.ID+" may start", err)
	}
	return check, err
}

// promotionOf returns the promotion evidence of a change's artifacts: the
// completed change of from that carried each one's digest. When one has
// none, the evidence is missing and that artifact is returned, for the
// policy's message; otherwise the evidence is the completed change of the
// first artifact.
func promotionOf(ctx context.Context, q rowQuerier, from string, artifacts []string) (*andon.Promotion, string, error) {
	p := &andon.Promotion{Required: true, From: from}
	for i, ref := range artifacts {
		img, err := andon.ParseImage(ref)
		if err != nil {
			return nil, "", fmt.Errorf("artifact %d of the change: %w", i, err)
		}
		var id string
		err = q.queryRow(ctx, `SELECT c.id FROM changes c JOIN change_artifacts a ON a.change_seq = c.seq
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
