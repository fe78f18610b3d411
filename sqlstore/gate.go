package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/calendar"
)

// GateService implements andon.GateService: it gathers the facts of a
// deployment request, asks the gate policy, enforces the verdict and
// records it. The verdict is enforced and recorded in one transaction
// with facts that hold in it: read there, or read before from the read
// pool and confirmed there (see write).
type GateService struct {
	db       *DB
	changes  *ChangeService
	catalog  andon.CatalogSource
	policy   andon.Policy
	calendar *calendar.Service
	logger   *slog.Logger
	// facts is the statement of readFacts in the database's dialect.
	facts string
	// readFirst, set by tests, reads every decision before its write;
	// beforeWrite, when set (by tests), runs between that read and the
	// write.
	readFirst   bool
	beforeWrite func()
}

// NewGateService returns a GateService.
func NewGateService(db *DB, changes *ChangeService, catalog andon.CatalogSource, policy andon.Policy, cal *calendar.Service, logger *slog.Logger) *GateService {
	return &GateService{db: db, changes: changes, catalog: catalog, policy: policy, calendar: cal, logger: logger,
		facts: factsStatement(db.dialect)}
}

var _ andon.GateService = (*GateService)(nil)

// Decide answers a gate request. It fails closed: every error comes with a
// result that denies and says why.
func (s *GateService) Decide(ctx context.Context, req andon.GateRequest) (*andon.GateResult, error) {
	user, err := requireUser(ctx)
	if err != nil {
		return deny(andon.ReasonInternal, andon.ErrorMessage(err)), err
	}
	// A request that asks for one, or for another instant than now, is a
	// dry run: it is evaluated and recorded, but authorises nothing, so that passing a
	// time outside a freeze cannot open the gate during one. A real
	// decision is made at the server's own time, whatever time within
	// the skew the caller gave: a caller cannot move it to just before a
	// freeze starts or just after a window opens.
	now := s.db.Now()
	dryRun := req.DryRun || req.Preview || (!req.At.IsZero() && (req.At.Sub(now) > ClockSkew || now.Sub(req.At) > ClockSkew))
	if req.At.IsZero() || !dryRun {
		req.At = now
	}
	// A refusal says whether it answers a dry run, as a decision does, so
	// that its record does not read as the refusal of a deployment.
	refuse := func(res *andon.GateResult, cause error) (*andon.GateResult, error) {
		res.DryRun = dryRun
		return s.refuse(ctx, user, req, res, cause)
	}
	// Whole seconds are all a deployment needs, and they keep times in
	// reasons and records readable.
	req.At = req.At.UTC().Truncate(time.Second)
	cat := s.catalog.Catalog()
	env := cat.Environment(req.Environment)
	var img andon.Image
	var bad *andon.GateResult
	var badErr error
	if env == nil {
		var msg string
		switch {
		case req.Environment == "":
			msg = "environment: required"
		case len(req.Environment) > andon.MaxLabelLength:
			// Not repeated, nor compared with every name.
			msg = fmt.Sprintf("environment: %d bytes long; the catalog names an environment in %d at most", len(req.Environment), andon.MaxLabelLength)
		default:
			msg = "environment " + cat.UnknownEnvironment(req.Environment)
		}
		bad, badErr = deny(andon.ReasonUnknownEnvironment, msg), andon.Errorf(andon.EINVALID, "%s", msg)
	} else if img, err = andon.ParseImage(req.Image); err != nil {
		bad, badErr = deny(andon.ReasonBadImage, andon.ErrorMessage(err)), err
	} else if err = andon.CheckTime("at", req.At); err != nil {
		bad, badErr = deny(andon.ReasonBadTime, andon.ErrorMessage(err)), err
	}
	if bad != nil {
		return refuse(bad, badErr)
	}

	// The windows come from the same catalog as env, whatever reloads.
	cal, err := s.calendar.For(cat)
	if err != nil {
		s.logger.Error("gate could not evaluate the calendar", "environment", req.Environment, "err", err)
		return refuse(deny(andon.ReasonInternal, "the calendar could not be evaluated; deployment refused"), err)
	}
	active := cal.Active(env, req.At)
	d := &decision{cat: cat, env: env, img: img, req: req, user: user, dryRun: dryRun, active: active, stamp: noStamp}
	if req.Preview {
		// A preview writes nothing, so it reads from the read pool and
		// waits for no write: server-side dry runs (Argo CD's diffs) do
		// not queue behind deployments.
		err = s.evaluate(ctx, readPool{s.db}, d)
	} else {
		if s.readFirst || s.db.busy() {
			// Other writes are under way, which this one would queue
			// behind: its decision is read and evaluated from the read
			// pool meanwhile, and the serialised write only confirms it
			// (see Tx.unchangedSince). Inside the write, every statement
			// holds up every writer, of every replica on PostgreSQL. An
			// idle writer reads inside the write: one read on the
			// writer's connection, and no confirmation to make. If the
			// early read fails, the write reads again.
			if err := s.evaluate(ctx, readPool{s.db}, d); err != nil {
				d.stamp = noStamp
			}
		}
		if s.beforeWrite != nil {
			s.beforeWrite()
		}
		var idx []int64
		idx, err = s.db.Update(ctx, s.write(d))
		if err == nil {
			d.result.AuditIndex = idx[len(idx)-1]
		}
	}
	if err == nil {
		return d.result, nil
	}
	if errors.Is(err, context.Canceled) && errors.Is(ctx.Err(), context.Canceled) {
		// The caller went away before the decision was written (Update
		// runs a request it queued whatever its context): nothing was
		// decided or recorded, and nobody is left to answer.
		return nil, err
	}
	// The refusal names the change the decision was about, when it got as
	// far as finding one that is stored, so that the change's history in
	// the audit log holds it.
	refuseChange := func(res *andon.GateResult, cause error) (*andon.GateResult, error) {
		if d.change != nil && !d.auto {
			res.Change = d.change.Change
		}
		return refuse(res, cause)
	}
	if code := andon.ErrorCode(err); code != andon.EINTERNAL {
		// A conflict, such as a concurrent update of the change: say so.
		return refuseChange(deny(andon.ReasonInternal, andon.ErrorMessage(err)), err)
	}
	// A fault of the storage (a full disk, a database that does not
	// answer) is what the caller learns, theirs to report rather than a
	// fault to look for in andon; the writer logged it when it began.
	// A policy that fails to decide is named with what it did wrong, in
	// the answer and in the audit log, so that the record of the refusal
	// says why.
	var fault *andon.Fault
	var perr *policyError
	policyFailed := errors.As(err, &perr)
	if !policyFailed && !errors.As(err, &fault) {
		s.logger.Error("gate could not decide", "environment", req.Environment, "image", req.Image, "err", err)
		pingCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if errors.As(s.db.Ping(pingCtx), &fault) {
			// The caller learns the fault with its status (503), not
			// that of an error of andon's own.
			err = fmt.Errorf("%w: %w", fault, err)
		}
	}
	msg := "the gate could not decide; deployment refused"
	switch {
	case policyFailed:
		s.logger.Error("gate could not decide: the policy failed", "environment", req.Environment, "image", req.Image, "err", err)
		msg = "the gate could not decide: " + perr.message() + "; deployment refused"
		// A fault, as when a change cannot be classified: the client is
		// told what the policy did wrong, with a 503, and the error is
		// not logged again as an unexplained one.
		err = perr.fault("the gate could not decide", err)
	case fault != nil:
		msg = "the gate could not decide: " + fault.Message + "; deployment refused"
	}
	return refuseChange(deny(andon.ReasonInternal, msg), err)
}

// decision is one gate decision as it is made: its facts, then its result.
type decision struct {
	cat    *andon.Catalog
	env    *andon.Environment
	img    andon.Image
	req    andon.GateRequest
	user   string
	dryRun bool
	active []andon.Occurrence

	// stamp holds the counts of change writes the facts were read at
	// from the read pool, or noStamp when there is no such read to
	// confirm (see Tx.unchangedSince); policy is the revision of the
	// policy that evaluated them.
	stamp  changeStamp
	policy string
	change *lockedChange
	auto   bool // change is a standard change built for this request
	result *andon.GateResult
}

// rowQuerier reads one row: a write transaction, or the read pool.
type rowQuerier interface {
	queryRow(ctx context.Context, q string, args ...any) rowScanner
}

// readPool reads from the database's read-only pool.
type readPool struct{ db *DB }

func (r readPool) queryRow(ctx context.Context, q string, args ...any) rowScanner {
	return r.db.readRow(ctx, q, args...)
}

// evaluate gathers the facts of d through q and asks the gate policy. It
// writes nothing.
func (s *GateService) evaluate(ctx context.Context, q rowQuerier, d *decision) error {
	// The policy is told of every dry run, asked for or implied by another
	// instant than now, so that what it says does not claim what a dry run
	// does not do, such as recording a standard change.
	req := d.req
	req.DryRun = d.dryRun
	in := &andon.GateInput{
		Request:     req,
		Environment: d.env,
		Calendar:    andon.CalendarState{Active: nonNil(d.active)},
	}
	promotesFrom := d.env.PromotesFrom
	facts, err := readFacts(ctx, q, s.facts, d.env.Name, promotesFrom, d.img, d.req.At, s.policy.EmergencyValidity())
	if err != nil {
		return err
	}
	if in.Incidents, err = openIncidents(facts.incidents, d.env); err != nil {
		return err
	}
	in.Backup = facts.backup
	c := facts.change
	auto := false
	if c == nil && d.env.Stage != andon.StageProduction {
		// Outside production a deployment with no change is recorded as a
		// standard change, if the risk policy pre-approves it. One with
		// a change waiting for approval, or rejected, is not: the policy
		// refuses it and says why.
		if c, err = s.autoChange(ctx, d.cat, d.user, d.env, d.req); err != nil {
			return err
		}
		auto = c != nil
	}
	if c != nil {
		in.Change = c.Change
	}
	// Known before the policy is asked, the change is named by the
	// refusal of a policy that fails.
	d.change, d.auto = c, auto
	if promotesFrom != "" {
		in.Promotion = &andon.Promotion{Required: true, From: promotesFrom, ChangeID: facts.completed}
	}
	policy, err := s.policy.Gate(ctx, in)
	if err != nil {
		return &policyError{fmt.Errorf("gate policy: %w", err)}
	}
	result := &andon.GateResult{Allow: policy.Allow, Reasons: nonNil(policy.Reasons)}
	switch {
	case policy.Allow && c == nil:
		// A policy that allows without a change is overruled: the gate
		// only lets governed changes through.
		result = deny("NO_APPROVED_CHANGE", "the policy allowed a deployment with no change; refused")
	case policy.Allow && c.State != andon.StateApproved && c.State != andon.StateImplementing:
		// Nor one whose change waits for approval or was rejected.
		result = deny("NO_APPROVED_CHANGE", fmt.Sprintf("the policy allowed change %s, which is %s, not approved; refused", c.ID, c.State))
	}
	result.DryRun = d.dryRun
	if c != nil && ((result.Allow && !d.dryRun) || !auto) {
		result.Change = c.Change
	}
	d.change, d.auto, d.result, d.stamp, d.policy = c, auto, result, facts.stamp, policy.Policy
	return nil
}

// write returns the write of decision d: it reads and evaluates d again
// unless what it read before is unchanged and the policy that evaluated
// it is still in force (a decision recorded after a policy.loaded entry
// was made by that policy), and enforces it.
func (s *GateService) write(d *decision) func(context.Context, *Tx) error {
	return func(ctx context.Context, tx *Tx) error {
		unchanged, err := tx.unchangedSince(ctx, d.stamp)
		if err != nil {
			return err
		}
		if !unchanged || d.policy != s.policy.Revision() {
			if err := s.evaluate(ctx, tx, d); err != nil {
				return err
			}
			// Read inside the transaction, the facts include its writes:
			// there is nothing to confirm against later.
			d.stamp = noStamp
		}
		return s.enforce(ctx, tx, d)
	}
}

// enforce carries out an evaluated decision in tx: an allowed deployment
// records its standard change and moves an approved change to
// implementing, and the decision is recorded.
func (s *GateService) enforce(ctx context.Context, tx *Tx, d *decision) error {
	c := d.change
	if d.result.Allow && !d.dryRun {
		if d.auto {
			c.CreatedAt, c.UpdatedAt = tx.now, tx.now
			if err := insertChange(ctx, tx, c.Change); err != nil {
				return err
			}
			tx.Record(andon.Event{Type: andon.EventChangeCreated, Actor: d.user, Subject: c.ID, Data: c.Change})
			c.version = 1
		}
		if c.State == andon.StateApproved {
			if err := transition(tx, c.Change, andon.StateImplementing); err != nil {
				return err
			}
			if err := saveChange(ctx, tx, c); err != nil {
				return err
			}
			tx.Record(andon.Event{Type: andon.EventChangeTransition, Actor: d.user, Subject: c.ID,
				Data: map[string]any{"to": andon.StateImplementing, "comment": "first deployment allowed by the gate"}})
		}
	}
	tx.Record(gateEvent(d.user, d.req, d.result, d.cat.Revision))
	return nil
}

// ClockSkew is how far a gate request's time may be from the server's
// clock and still be a real decision; further away it is a dry run.
const ClockSkew = 5 * time.Minute

// refuse records a refusal made outside the decision's own transaction
// (a bad request, or a failure) and returns it with cause. If even the
// record fails, the refusal still reaches the client, with the error.
func (s *GateService) refuse(ctx context.Context, user string, req andon.GateRequest, res *andon.GateResult, cause error) (*andon.GateResult, error) {
	if req.Preview {
		return res, cause
	}
	// The audit log keeps what was asked, but not a megabyte of it: a
	// name or a reference longer than any valid one is cut.
	req.Environment, req.Image = clip(req.Environment, andon.MaxLabelLength), clip(req.Image, andon.MaxImageReference)
	idx, err := s.db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		tx.Record(gateEvent(user, req, res, s.catalog.Catalog().Revision))
		return nil
	})
	if err != nil {
		return res, errors.Join(cause, fmt.Errorf("record the refusal: %w", err))
	}
	res.AuditIndex = idx[0]
	return res, cause
}

// clip cuts s to at most n bytes, at a rune's start, and says how long it
// was.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes)", s[:cut], len(s))
}

func deny(code, message string) *andon.GateResult {
	return &andon.GateResult{Allow: false, Reasons: []andon.Reason{{Code: code, Message: message}}}
}

func gateEvent(user string, req andon.GateRequest, r *andon.GateResult, catalog string) andon.Event {
	// The catalog revision ties the decision to the windows and
	// environments it was made under; the policy's is in the last
	// policy.loaded entry before it.
	data := map[string]any{"request": req, "allow": r.Allow, "reasons": r.Reasons, "catalog": catalog}
	if r.DryRun {
		data["dryRun"] = true
	}
	if r.Change != nil {
		data["change"] = r.Change.ID
	}
	return andon.Event{Type: andon.EventGateDecision, Actor: user, Subject: req.Environment, Data: data}
}

// autoChange builds the standard change recorded for a deployment outside
// production, or returns nil when the risk policy would not pre-approve it.
func (s *GateService) autoChange(ctx context.Context, cat *andon.Catalog, user string, env *andon.Environment, req andon.GateRequest) (*lockedChange, error) {
	c, err := s.changes.newChange(ctx, cat, user, &andon.ChangeRequest{
		Environment: env.Name,
		Type:        andon.ChangeStandard,
		Title:       "Deploy " + req.Image,
		Description: "Recorded by the gate: a deployment outside production with no change of its own.",
		Artifacts:   []string{req.Image},
	})
	if err != nil {
		return nil, err
	}
	if c.State != andon.StateApproved {
		return nil, nil
	}
	return &lockedChange{Change: c}, nil
}

// gateFacts are what a gate decision reads from the store.
type gateFacts struct {
	// stamp holds the counts of change writes the facts were read at.
	stamp changeStamp
	// change is the change of the environment carrying the image that
	// the decision is about: the implementing one first, then an
	// approved one, newest first among those whose window contains the
	// decision's instant or that have none (but an emergency change past
	// the policy's validity), and only then among the others, then, when
	// the newest change of the digest pending, rejected or completed is
	// pending or rejected, that one (which the policy refuses, and which
	// outside production stops the gate from recording a standard change
	// in its place); nil when there is none.
	change *lockedChange
	// completed is the ID of the newest completed change of the
	// environment promoted from that carried the image's digest, or "".
	completed string
	// incidents are the open incidents, as a JSON array of their bodies:
	// openIncidents picks those of the environment.
	incidents []byte
	// backup is the environment's latest backup completed at or before
	// the decision's instant, or nil.
	backup *andon.Backup
}

// factsStatement returns the statement of readFacts in dialect d.
//
// The change is the implementing or approved one for the image as named
// (pick 0 or 1). An approved change whose window the instant is outside
// of comes after one that may deploy now: a newer change scheduled for
// tonight does not hide an emergency change approved for now. Without
// one, the image's digest under any name decides: its newest change
// pending, rejected or completed (pick 2) is the one the decision is
// about when pending or rejected, and only a later completed change
// lifts that; a cancelled, failed or rolled-back change vouches for
// nothing. An approved emergency change without a window counts as
// closed too once it became approved the policy's emergency validity or
// more before the instant (the bound readFacts passes, NULL when the
// policy defines none): the policy refuses it as EMERGENCY_EXPIRED, and
// being newer it would hide an older change that may deploy. The store
// only orders by it; the policy still decides. An approved change is
// written again only when it leaves that state, so its updated_at is
// when it became approved: its last approval, or its creation when the
// policy asked for none, as the policy's approved_ns reads its body. The
// body of any other is not read, nor the window of any change but an
// approved one. The same statement reads the open incidents and the
// environment's latest backup completed at or before the instant.
func factsStatement(d dialect) string {
	start, end := d.windowBound("start"), d.windowBound("end")
	return `SELECT cp.changes_seq,
			COALESCE((SELECT seq FROM change_counts WHERE environment = ?), 0),
			COALESCE((SELECT seq FROM change_counts WHERE environment = ?), 0),
			CASE WHEN d.pick < 2 OR d.state IN ('pending', 'rejected') THEN d.body END, d.version,
			(SELECT c.id FROM changes c JOIN change_artifacts a ON a.change_seq = c.seq
				WHERE c.environment = ? AND a.digest = ? AND c.state = 'completed'
				ORDER BY c.seq DESC LIMIT 1),
			cp.incidents_seq, ` + d.openIncidents + `,
			(` + latestBackupStatement + `)
		FROM audit_checkpoint cp LEFT JOIN (
			SELECT c.body, c.version, c.state,
				CASE WHEN a.repository = ? AND c.state = 'implementing' THEN 0
					WHEN a.repository = ? AND c.state = 'approved' THEN 1
					WHEN c.state IN ('pending', 'rejected', 'completed') THEN 2
					ELSE 3 END AS pick,
				CASE WHEN a.repository = ? AND c.state = 'approved' THEN
					CASE WHEN ` + start + ` IS NULL THEN
							CASE WHEN c.type = 'emergency' AND c.updated_at <= ? THEN 1 ELSE 0 END
						WHEN ` + start + ` <= ? AND ? < ` + end + ` THEN 0
						ELSE 1 END
					ELSE 0 END AS closed
			FROM changes c JOIN change_artifacts a ON a.change_seq = c.seq
			WHERE c.environment = ? AND a.digest = ?
			ORDER BY pick, closed, c.seq DESC LIMIT 1
		) d ON 1 = 1
		WHERE cp.id = 1`
}

// readFacts reads the facts of a deployment of img to env at the instant
// at, promoted from from (or ""), with the statement of factsStatement,
// in one statement: one round trip, and on either engine one snapshot,
// so that stamp counts the writes the rest saw.
//
// validity is the emergency validity of the policy in force, 0 for none.
func readFacts(ctx context.Context, q rowQuerier, statement, env, from string, img andon.Image, at time.Time, validity time.Duration) (*gateFacts, error) {
	var body changeColumn
	var version sql.NullInt64
	var completed sql.NullString
	f := &gateFacts{stamp: changeStamp{env: env, from: from}}
	// The decision's instant is in whole seconds (Decide truncates it),
	// which both engines compare exactly with a window's bounds.
	sec := at.Unix()
	// An emergency change approved at this bound or before has expired.
	var expiredBy any
	if validity > 0 {
		expiredBy = micros(at.Add(-validity))
	}
	var backup []byte
	err := q.queryRow(ctx, statement,
		env, from, from, img.Digest, env, micros(at), img.Repository, img.Repository, img.Repository, expiredBy, sec, sec, env, img.Digest).Scan(
		&f.stamp.total, &f.stamp.envSeq, &f.stamp.fromSeq, &body, &version, &completed, &f.stamp.incidents, &f.incidents, &backup)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, andon.Errorf(andon.EINTERNAL, "the audit checkpoint row is missing: the database was not migrated by andon")
	} else if err != nil {
		return nil, err
	}
	if body.err != nil {
		return nil, fmt.Errorf("decode a change of %s: %w", env, body.err)
	}
	f.completed = completed.String
	if f.backup, err = decodeBackup(backup); err != nil {
		return nil, err
	}
	if body.change != nil {
		f.change = &lockedChange{Change: body.change, version: version.Int64}
	}
	return f, nil
}

// changeColumn decodes a change's stored body as its row is scanned,
// from the driver's own bytes: scanning into a []byte would copy them
// first, for every gate decision. A NULL leaves it empty; a body that
// does not decode is kept in err, for the caller to name the change.
type changeColumn struct {
	change *andon.Change
	err    error
}

// Scan implements sql.Scanner. src is valid only until Scan returns;
// json.Unmarshal keeps none of it.
func (col *changeColumn) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		return nil
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return fmt.Errorf("a change's body is %T, not text", src)
	}
	c := &andon.Change{}
	if col.err = json.Unmarshal(b, c); col.err == nil {
		col.change = c
	}
	return nil
}
