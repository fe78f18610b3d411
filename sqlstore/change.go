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
	"github.com/andon-governance/andon/calendar"
)

// ChangeService implements andon.ChangeService.
type ChangeService struct {
	db       *DB
	catalog  andon.CatalogSource
	policy   andon.Policy
	calendar *calendar.Service
	// checked bounds what each finding reads (maxPendingChecked; lower
	// in tests).
	checked int
	// overdueBound bounds the overdue reviews one write records
	// (overdueRecordedPerWrite; lower in tests).
	overdueBound int
}

// NewChangeService returns a ChangeService that classifies changes with
// policy against the catalog in force, and asks the gate policy, with the
// windows of cal, before a change is started by hand.
func NewChangeService(db *DB, catalog andon.CatalogSource, policy andon.Policy, cal *calendar.Service) *ChangeService {
	return &ChangeService{db: db, catalog: catalog, policy: policy, calendar: cal, checked: maxPendingChecked,
		overdueBound: overdueRecordedPerWrite}
}

var _ andon.ChangeService = (*ChangeService)(nil)

// requireUser returns the authenticated user of ctx.
func requireUser(ctx context.Context) (string, error) {
	name := andon.UserNameFromContext(ctx)
	if name == "" {
		return "", andon.Errorf(andon.EUNAUTHORIZED, "no authenticated user")
	}
	return name, nil
}

// CreateChange opens a change, classifies it with the risk policy and
// stores it: pending, or approved when the policy requires no approval.
func (s *ChangeService) CreateChange(ctx context.Context, req *andon.ChangeRequest) (*andon.Change, error) {
	user, err := requireUser(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.newChange(ctx, s.catalog.Catalog(), user, req)
	var perr *policyError
	if errors.As(err, &perr) && andon.ErrorCode(err) == andon.EINTERNAL && ctx.Err() == nil {
		// Outside a write, a fault here is taken for no fault of the
		// storage; the server logs no fault, so it is logged here.
		s.db.logger().Error("change could not be classified", "environment", req.Environment, "err", err)
		return nil, perr.fault("the change could not be classified, so it was not opened", err)
	}
	if err != nil {
		return nil, err
	}
	_, err = s.db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		c.CreatedAt, c.UpdatedAt = tx.now, tx.now
		if err := insertChange(ctx, tx, c); err != nil {
			return err
		}
		tx.Record(andon.Event{Type: andon.EventChangeCreated, Actor: user, Subject: c.ID, Data: c})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// newChange validates req against the catalog and classifies it. The
// change has no ID yet.
func (s *ChangeService) newChange(ctx context.Context, cat *andon.Catalog, user string, req *andon.ChangeRequest) (*andon.Change, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	env := cat.Environment(req.Environment)
	if env == nil {
		return nil, andon.Errorf(andon.EINVALID, "environment: %s", cat.UnknownEnvironment(req.Environment))
	}
	// A window that has ended could never let the change go ahead (the
	// gate, a start by hand and an approval refuse it for good): stored,
	// it would only wait to be cancelled, and a pipeline that finds it
	// open would wait on it for ever.
	if now := s.db.Now().UTC(); req.Window != nil && !req.Window.End.After(now) {
		return nil, andon.Errorf(andon.EINVALID, "window.end: %s has passed (the server's time is %s): a change whose window has ended can never be deployed; give a window to come",
			req.Window.End.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	c := &andon.Change{
		Environment:  env.Name,
		Type:         req.Type,
		Title:        strings.TrimSpace(req.Title),
		Description:  req.Description,
		Requester:    user,
		Artifacts:    nonNil(req.Artifacts),
		Facts:        normaliseFacts(req.Facts),
		Window:       req.Window,
		RollbackPlan: req.RollbackPlan,
		Links:        req.Links,
		State:        andon.StatePending,
		Approvals:    []andon.Approval{},
	}
	// The risk policy sees the change as opened now, not in year 1; the
	// write that stores it sets the times again, to its own instant.
	c.CreatedAt = s.db.Now().UTC()
	c.UpdatedAt = c.CreatedAt
	for i, p := range req.Processes {
		if cat.Process(p) == nil {
			return nil, andon.Errorf(andon.EINVALID, "processes[%d]: %q is not in the catalog", i, p)
		}
	}
	// The processes named add to those of the modules touched, never
	// replace them: naming a medium process must not hide that a module
	// of a critical one changes, and lower the tier.
	c.Processes = nonNil(slices.Compact(slices.Sorted(slices.Values(
		slices.Concat(req.Processes, cat.ProcessesForModules(env, c.Facts.Modules))))))
	risk, err := s.classify(ctx, cat, env, c)
	if err != nil {
		return nil, err
	}
	if err := staffed(cat, user, risk.Approvals); err != nil {
		return nil, err
	}
	c.Risk = *risk
	if len(risk.Approvals) == 0 {
		c.State = andon.StateApproved
	}
	return c, nil
}

// staffed refuses a change whose approvals the catalog in force cannot
// give: roles that fewer people besides the requester hold than the
// approvals they ask for, one slot each (andon.Unstaffed). The change
// would wait for ever; the teams must change first, and then it can be
// opened.
func staffed(cat *andon.Catalog, requester string, reqs []andon.Requirement) error {
	roles, people := andon.Unstaffed(reqs, cat.Holders, requester)
	if roles == nil {
		return nil
	}
	needed := 0
	for _, r := range reqs {
		if slices.Contains(roles, r.Role) {
			needed += r.Count
		}
	}
	asks := "an approval"
	if needed > 1 {
		asks = fmt.Sprintf("%d approvals", needed)
	}
	who := "nobody holds"
	switch len(people) {
	case 0:
	case 1:
		who = "only " + people[0] + " holds"
	default:
		who = "only " + strings.Join(people, ", ") + " hold"
	}
	if len(roles) == 1 {
		return andon.Errorf(andon.ECONFLICT, "the risk policy asks for %s by %s, and %s that role besides %s in the catalog in force: the change could never be approved; add members to a team with that role first", asks, roles[0], who, requester)
	}
	return andon.Errorf(andon.ECONFLICT, "the risk policy asks for %s by %s, one person each, and %s those roles besides %s in the catalog in force: the change could never be approved; add members to the teams with those roles first", asks, strings.Join(roles[:len(roles)-1], ", ")+" and "+roles[len(roles)-1], who, requester)
}

func (s *ChangeService) classify(ctx context.Context, cat *andon.Catalog, env *andon.Environment, c *andon.Change) (*andon.RiskDecision, error) {
	in := &andon.RiskInput{Change: c, Environment: env, Processes: []*andon.BusinessProcess{}, Plants: []*andon.Plant{}}
	// The risk policy sees the affected processes and the environment's,
	// so that a change affecting no critical or high process (an
	// infrastructure change, a migration under a medium one) can still be
	// weighed against what the environment runs, and its owners asked.
	seen := map[string]bool{}
	for _, p := range slices.Concat(c.Processes, env.Processes) {
		if bp := cat.Process(p); bp != nil && !seen[p] {
			seen[p] = true
			in.Processes = append(in.Processes, bp)
		}
	}
	for _, p := range env.Plants {
		if pl := cat.Plant(p); pl != nil {
			in.Plants = append(in.Plants, pl)
		}
	}
	risk, err := s.policy.Risk(ctx, in)
	if err != nil {
		return nil, &policyError{fmt.Errorf("risk policy: %w", err)}
	}
	return risk, nil
}

// policyError is the failure of the policy to decide: it errs, takes too
// long, or answers with something of the wrong shape. Its message names
// the package, and the file and line where OPA gives them, which the
// audit log's policy.loaded entries list anyway: it is shown to the
// person whose change or deployment it stopped, so that they can tell
// whoever keeps the policy, rather than an internal error with no reason.
type policyError struct{ err error }

func (e *policyError) Error() string { return e.err.Error() }
func (e *policyError) Unwrap() error { return e.err }

// message says what failed, for a client.
func (e *policyError) message() string { return "the policy failed: " + andon.ErrorMessage(e.err) }

// fault returns cause, which e is part of, as the fault a client is shown:
// what did not happen, then what the policy did wrong.
func (e *policyError) fault(what string, cause error) error {
	return fmt.Errorf("%w: %w", &andon.Fault{Message: what + ": " + e.message()}, cause)
}

func normaliseFacts(f andon.Facts) andon.Facts {
	clean := func(in []string) []string {
		out := []string{}
		for _, s := range in {
			if s = strings.ToLower(strings.TrimSpace(s)); s != "" {
				out = append(out, s)
			}
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	phases := clean(f.MigrationPhases)
	if len(phases) == 0 {
		phases = nil
	}
	// Access rows are kept as written: they name models and groups.
	var rows []string
	for _, r := range f.PublicAccessRows {
		if r = strings.TrimSpace(r); r != "" {
			rows = append(rows, r)
		}
	}
	slices.Sort(rows)
	return andon.Facts{Modules: clean(f.Modules), Migration: f.Migration, Components: clean(f.Components),
		MigrationPhases: phases, SecurityChanged: f.SecurityChanged || len(rows) > 0, PublicAccessRows: slices.Compact(rows),
		Evidence: f.Evidence}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// insertNamed inserts a row of table with insert, a statement that
// returns the row's seq and leaves its id and body to be written; name
// gives v its ID from the seq (CHG-12, INC-3) and returns it, and v's
// JSON becomes the row's body. It returns the seq.
func insertNamed(ctx context.Context, tx *Tx, table, insert string, args []any, v any, name func(seq int64) string) (int64, error) {
	var seq int64
	if err := tx.queryRow(ctx, insert, args...).Scan(&seq); err != nil {
		return 0, fmt.Errorf("insert into %s: %w", table, err)
	}
	id := name(seq)
	body, err := json.Marshal(v)
	if err != nil {
		return 0, err
	}
	if _, err := tx.exec(ctx, `UPDATE `+table+` SET id = ?, body = ? WHERE seq = ?`, id, body, seq); err != nil {
		return 0, fmt.Errorf("insert %s into %s: %w", id, table, err)
	}
	return seq, nil
}

// insertChange stores a new change and gives it its ID.
func insertChange(ctx context.Context, tx *Tx, c *andon.Change) error {
	seq, err := insertNamed(ctx, tx, "changes", `INSERT INTO changes (id, environment, type, state, tier, requester, title, description, version, created_at, updated_at, body)
		VALUES ('', ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, '{}') RETURNING seq`,
		[]any{c.Environment, c.Type, c.State, c.Risk.Tier, c.Requester, c.Title, c.Description, micros(c.CreatedAt), micros(c.UpdatedAt)},
		c, func(seq int64) string { c.ID = fmt.Sprintf("CHG-%d", seq); return c.ID })
	if err != nil {
		return err
	}
	for _, a := range c.Artifacts {
		img, err := andon.ParseImage(a)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO change_artifacts (change_seq, repository, digest) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			seq, img.Repository, img.Digest); err != nil {
			return fmt.Errorf("insert artifact: %w", err)
		}
	}
	// The processes are fixed from now on: no later write of the change
	// touches them, so these rows stay those of its body.
	for _, p := range c.Processes {
		if _, err := tx.exec(ctx, `INSERT INTO change_processes (change_seq, process) VALUES (?, ?) ON CONFLICT DO NOTHING`, seq, p); err != nil {
			return fmt.Errorf("insert process: %w", err)
		}
	}
	return nil
}

// lockedChange is a change read inside a write transaction with the
// version it had.
type lockedChange struct {
	*andon.Change
	version int64
}

// changeID returns id with its prefix in the case IDs are made in: a
// person who types chg-9 means CHG-9.
func changeID(id string) string {
	if len(id) > 4 && strings.EqualFold(id[:4], "CHG-") {
		return "CHG-" + id[4:]
	}
	return id
}

func loadChange(ctx context.Context, tx *Tx, id string) (*lockedChange, error) {
	id = changeID(id)
	var body []byte
	var version int64
	err := tx.queryRow(ctx, `SELECT body, version FROM changes WHERE id = ?`+tx.db.dialect.forUpdate, id).Scan(&body, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, andon.Errorf(andon.ENOTFOUND, "no change %s", id)
	} else if err != nil {
		return nil, err
	}
	c := &andon.Change{}
	if err := json.Unmarshal(body, c); err != nil {
		return nil, fmt.Errorf("decode change %s: %w", id, err)
	}
	return &lockedChange{Change: c, version: version}, nil
}

// saveChange writes c back; it fails with ECONFLICT when someone else
// updated the change since it was read.
func saveChange(ctx context.Context, tx *Tx, c *lockedChange) error {
	c.UpdatedAt = tx.now
	body, err := json.Marshal(c.Change)
	if err != nil {
		return err
	}
	var reviewDue any
	if c.ReviewDue != nil {
		reviewDue = micros(*c.ReviewDue)
	}
	reviewed := 0
	if c.Review != nil {
		reviewed = 1
	}
	res, err := tx.exec(ctx, `UPDATE changes SET state = ?, review_due = ?, reviewed = ?, version = version + 1, updated_at = ?, body = ?
		WHERE id = ? AND version = ?`, c.State, reviewDue, reviewed, micros(c.UpdatedAt), body, c.ID, c.version)
	if err != nil {
		return fmt.Errorf("update change %s: %w", c.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return andon.Errorf(andon.ECONFLICT, "change %s was modified concurrently; retry", c.ID)
	}
	return nil
}

// FindChangeByID returns one change.
func (s *ChangeService) FindChangeByID(ctx context.Context, id string) (*andon.Change, error) {
	id = changeID(id)
	return readBody[andon.Change](ctx, s.db, "no change "+id, `SELECT body FROM changes WHERE id = ?`, id)
}

// searchWords counts the words of a search as the engine that splits it
// more finely would: SQLite's search takes the text between spaces as a
// word, PostgreSQL's the letters and digits between anything else.
func searchWords(q string) int {
	return max(len(strings.Fields(q)), len(searchTerms(q)))
}

// FindChanges lists changes, newest first, or, those owing their review
// (ReviewOwed), the soonest due first.
func (s *ChangeService) FindChanges(ctx context.Context, f andon.ChangeFilter) ([]*andon.Change, int, error) {
	cond, args, err := s.changesWhere(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	// The count stops at MaxCount: a loose filter over a million changes
	// would otherwise read them all.
	var total int
	if err := s.db.readRow(ctx, changesCount(cond), append(slices.Clone(args), andon.MaxCount)...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit := f.Limit
	if limit <= 0 || limit > maxListed {
		limit = 100
	}
	changes, err := readBodies[andon.Change](ctx, s.db, "a change", changesList(cond, changesOrder(f, total)), append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, err
	}
	return changes, total, nil
}

// maxListed is the most changes one listing returns.
const maxListed = 1000

// changesCount is the statement that counts the changes matching cond, up
// to a bound, its last argument.
func changesCount(cond string) string {
	return `SELECT COUNT(*) FROM (SELECT 1 FROM changes WHERE ` + cond + ` LIMIT ?) AS matches`
}

// changesList is the statement that lists the changes matching cond in
// order, its last arguments the limit and the offset.
func changesList(cond, order string) string {
	return `SELECT body FROM changes WHERE ` + cond + ` ORDER BY ` + order + ` LIMIT ? OFFSET ?`
}

// changesOrder is the order of the listing of f, total changes matching.
func changesOrder(f andon.ChangeFilter, total int) string {
	switch {
	case f.ReviewOwed:
		// The reviews owed, the soonest due (the longest overdue) first,
		// are read in the order of the partial index changes_review_due:
		// newest first, SQLite would walk every change backwards looking
		// for the few that owe a review.
		return "review_due, seq"
	case f.Query != "" && total < andon.MaxCount:
		// A text search whose matches are few must not walk the changes
		// backwards looking for them (which a planner that cannot
		// estimate word matches would choose): "seq + 0" sorts the
		// matches found through the word index instead. Many matches are
		// found soon walking backwards.
		return "seq + 0 DESC"
	}
	return "seq DESC"
}

// changesWhere returns the condition on the changes that f keeps, and its
// arguments.
func (s *ChangeService) changesWhere(ctx context.Context, f andon.ChangeFilter) (string, []any, error) {
	where, args := []string{"1 = 1"}, []any{}
	add := func(cond string, v any) { where, args = append(where, cond), append(args, v) }
	if f.Environment != "" {
		add("environment = ?", f.Environment)
	}
	if f.Type != "" {
		// SQLite, which keeps no statistics, would read the index of the
		// type before that of a narrower filter, and walk most changes
		// for type=normal in one environment: the type is then written so
		// as not to be read through its index.
		narrower := s.db.dialect.guessesPlans && (f.Environment != "" || f.State != "" || f.Tier != "" ||
			f.Requester != "" || f.Image != "" || f.Process != "" || f.ReviewOwed)
		add(unindexedIf(narrower, "type")+" = ?", f.Type)
	}
	if f.State != "" {
		add("state = ?", f.State)
	}
	if f.ReviewOwed {
		// The condition of the partial index changes_review_due.
		where = append(where, "review_due IS NOT NULL AND reviewed = 0")
	}
	if f.IDs != nil {
		// Each ID is a placeholder: as many as a listing holds at most,
		// well within what either engine takes in one statement.
		if len(f.IDs) > maxListed {
			return "", nil, andon.Errorf(andon.EINVALID, "ids: %d changes; a listing takes at most %d", len(f.IDs), maxListed)
		}
		if len(f.IDs) == 0 {
			where = append(where, "1 = 0")
		} else {
			where = append(where, "id IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(f.IDs)), ", ")+")")
			for _, id := range f.IDs {
				args = append(args, changeID(id))
			}
		}
	}
	if f.Tier != "" {
		add("tier = ?", f.Tier)
	}
	if f.Requester != "" {
		add("requester = ?", f.Requester)
	}
	if f.Image != "" {
		img, err := andon.ParseImage(f.Image)
		if err != nil {
			return "", nil, err
		}
		where = append(where, "seq IN (SELECT change_seq FROM change_artifacts WHERE digest = ? AND repository = ?)")
		args = append(args, img.Digest, img.Repository)
	}
	if f.Process != "" {
		add("seq IN (SELECT change_seq FROM change_processes WHERE process = ?)", f.Process)
	}
	if f.Link != "" {
		// The link as the body holds it, found as text: a change's links
		// have no table of their own, and only an environment's changes
		// are searched so (the caller names the environment).
		url, err := json.Marshal(f.Link)
		if err != nil {
			return "", nil, err
		}
		add(s.db.dialect.contains("body"), `"url":`+string(url))
	}
	if f.Query != "" {
		if n := searchWords(f.Query); n > andon.MaxSearchWords {
			return "", nil, andon.Errorf(andon.EINVALID, "q: %d words; a search takes at most %d, each of which a change must contain", n, andon.MaxSearchWords)
		}
		cond, condArgs := s.db.dialect.textMatch(f.Query)
		where, args = append(where, cond), append(args, condArgs...)
	}
	if f.Before != "" {
		// The cursor is the change's place in the order of creation, which
		// no later change moves.
		var seq int64
		err := s.db.readRow(ctx, `SELECT seq FROM changes WHERE id = ?`, changeID(f.Before)).Scan(&seq)
		if errors.Is(err, sql.ErrNoRows) {
			return "", nil, andon.Errorf(andon.EINVALID, "before: no change %s", changeID(f.Before))
		} else if err != nil {
			return "", nil, err
		}
		add("seq < ?", seq)
	}
	return strings.Join(where, " AND "), args, nil
}

// Decide records an approval or a rejection, enforcing segregation of
// duties with the roles the catalog in force gives the user.
func (s *ChangeService) Decide(ctx context.Context, id string, verdict andon.Verdict, comment string) (*andon.Change, error) {
	user, err := requireUser(ctx)
	if err != nil {
		return nil, err
	}
	if verdict != andon.Approve && verdict != andon.Reject {
		return nil, andon.Errorf(andon.EINVALID, "verdict: %q is not approve or reject", verdict)
	}
	if err := andon.CheckDecisionComment(verdict, comment); err != nil {
		return nil, err
	}
	return s.modify(ctx, id, user, func(ctx context.Context, tx *Tx, c *andon.Change, roles []string, grants []andon.Grant) (andon.Event, error) {
		a := andon.Approval{Approver: user, Verdict: verdict, Comment: comment, At: tx.now}
		ev := andon.Event{Type: andon.EventChangeApproved}
		if verdict == andon.Approve {
			cat := s.catalog.Catalog()
			if err := approvalInVain(cat, c, tx.now); err != nil {
				return ev, err
			}
			var err error
			if a.Role, err = c.SlotFor(user, roles, cat.Holders); err != nil {
				return ev, err
			}
			a.Grant = cat.GrantFor(user, a.Role, grants)
			c.Approvals = append(c.Approvals, a)
			if c.FullyApproved() {
				c.State = andon.StateApproved
			}
		} else {
			if err := c.CanReject(user, roles); err != nil {
				return ev, err
			}
			c.Approvals = append(c.Approvals, a)
			c.State = andon.StateRejected
			ev.Type = andon.EventChangeRejected
		}
		ev.Data = map[string]any{"approval": a, "state": c.State}
		return ev, nil
	})
}

// approvalInVain says why approving pending change c at now would be in
// vain, when it would: its environment left the catalog, or its window
// has ended, so that neither the gate nor a start by hand would ever let
// it go ahead.
func approvalInVain(cat *andon.Catalog, c *andon.Change, now time.Time) error {
	if c.State != andon.StatePending {
		return nil // SlotFor says why it takes no approval
	}
	if cat.Environment(c.Environment) == nil {
		return andon.Errorf(andon.ECONFLICT, "change %s cannot be approved: its environment %s is no longer in the catalog (revision %s); cancel it", c.ID, c.Environment, cat.Revision)
	}
	if c.Window != nil && !now.Before(c.Window.End) {
		return andon.Errorf(andon.ECONFLICT, "change %s cannot be approved: its window ended at %s; cancel it, and open a new change with a window to come", c.ID, c.Window.End.Format(time.RFC3339))
	}
	return nil
}

// modify reads change id in a write transaction, lets apply check and
// change it with the roles user holds, standing in the catalog in force
// and by the grants active in the transaction (rolesIn), saves it and
// records the event apply returns.
func (s *ChangeService) modify(ctx context.Context, id, user string, apply func(ctx context.Context, tx *Tx, c *andon.Change, roles []string, grants []andon.Grant) (andon.Event, error)) (*andon.Change, error) {
	var out *andon.Change
	_, err := s.db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		c, err := loadChange(ctx, tx, id)
		if err != nil {
			return err
		}
		roles, grants, err := rolesIn(ctx, tx, s.catalog.Catalog(), user)
		if err != nil {
			return err
		}
		ev, err := apply(ctx, tx, c.Change, roles, grants)
		if err != nil {
			return err
		}
		if err := saveChange(ctx, tx, c); err != nil {
			return err
		}
		ev.Actor, ev.Subject = user, c.ID
		tx.Record(ev)
		out = c.Change
		return nil
	})
	return out, err
}

// Transition moves a change along its lifecycle. The requester, change
// managers and platform admins may do it.
func (s *ChangeService) Transition(ctx context.Context, id string, to andon.State, comment string) (*andon.Change, error) {
	user, err := requireUser(ctx)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(andon.States, to) {
		return nil, andon.Errorf(andon.EINVALID, "to: %q is not a state", to)
	}
	if err := andon.CheckText("comment", comment, true); err != nil {
		return nil, err
	}
	var started string
	c, err := s.modify(ctx, id, user, func(ctx context.Context, tx *Tx, c *andon.Change, roles []string, grants []andon.Grant) (andon.Event, error) {
		data := map[string]any{"to": to, "comment": comment}
		ev := andon.Event{Type: andon.EventChangeTransition, Data: data}
		if !c.MayMove(user, roles) {
			return ev, mayNotMove(user, c)
		}
		if to == andon.StateImplementing && andon.CanTransition(c.State, to) {
			// The record says why the gate let the change start.
			started = c.ID
			reasons, err := s.askGate(ctx, tx, c)
			if err != nil {
				return ev, err
			}
			data["gate"] = reasons
		}
		return ev, transition(tx, c, to)
	})
	if perr := (*policyError)(nil); errors.As(err, &perr) {
		s.db.logger().Error("change could not start: the gate policy failed", "change", started, "err", err)
		return nil, perr.fault("the gate could not decide, so change "+started+" was not started", err)
	}
	return c, err
}

// mayNotMove is the refusal of a transition of c to user, who is neither
// its requester nor a change manager or platform admin.
func mayNotMove(user string, c *andon.Change) error {
	return andon.Errorf(andon.EFORBIDDEN, "%s may not move change %s: only its requester, a change-manager or a platform-admin may", user, c.ID)
}

// canBecome says why c cannot be moved to state to, when it cannot.
func canBecome(c *andon.Change, to andon.State) error {
	if andon.CanTransition(c.State, to) {
		return nil
	}
	if c.State == to {
		return andon.Errorf(andon.ECONFLICT, "change %s is already %s", c.ID, to)
	}
	return andon.Errorf(andon.ECONFLICT, "change %s is %s and cannot become %s%s", c.ID, c.State, to, andon.NextStatesHint(c.State))
}

// transition applies the lifecycle rules to c.
func transition(tx *Tx, c *andon.Change, to andon.State) error {
	if err := canBecome(c, to); err != nil {
		return err
	}
	c.State = to
	if to == andon.StateImplementing && c.Type == andon.ChangeEmergency && c.ReviewDue == nil {
		due := tx.now.Add(andon.ReviewPeriod)
		c.ReviewDue = &due
	}
	return nil
}

// ReviewChange records the retrospective review of an emergency change by
// a change manager other than its requester.
func (s *ChangeService) ReviewChange(ctx context.Context, id string, comment string) (*andon.Change, error) {
	user, err := requireUser(ctx)
	if err != nil {
		return nil, err
	}
	if andon.IsBlank(comment) {
		return nil, andon.Errorf(andon.EINVALID, "comment: a review needs a comment")
	}
	if err := andon.CheckText("comment", comment, true); err != nil {
		return nil, err
	}
	return s.modify(ctx, id, user, func(ctx context.Context, tx *Tx, c *andon.Change, roles []string, grants []andon.Grant) (andon.Event, error) {
		if err := c.CanReview(user, roles); err != nil {
			return andon.Event{}, err
		}
		c.Review = &andon.Approval{Approver: user, Role: andon.RoleChangeManager, Verdict: andon.Approve, Comment: comment, At: tx.now,
			Grant: s.catalog.Catalog().GrantFor(user, andon.RoleChangeManager, grants)}
		return andon.Event{Type: andon.EventChangeReviewed, Data: c.Review}, nil
	})
}

// Findings lists emergency changes whose retrospective review is overdue
// (the 1000 longest overdue), pending changes the catalog in force can no
// longer approve, changes whose window ended and approved emergency
// changes past the policy's emergency validity (each of the 1000 newest
// changes it may concern weighed), and production environments whose
// restore tests are overdue or took longer than their RTO, or,
// given codes, only the findings of those codes: the others, such as the
// weighing of up to 1000 pending changes against the teams, are not done.
func (s *ChangeService) Findings(ctx context.Context, codes ...string) ([]andon.Finding, error) {
	for _, code := range codes {
		if !slices.Contains(andon.FindingCodes, code) {
			return nil, andon.Errorf(andon.EINVALID, "finding code %q is not one of %s", code, strings.Join(andon.FindingCodes, ", "))
		}
	}
	wants := func(code string) bool { return len(codes) == 0 || slices.Contains(codes, code) }
	findings := []andon.Finding{}
	if wants(andon.FindingReviewOverdue) {
		overdue, err := s.overdueReviews(ctx)
		if err != nil {
			return nil, err
		}
		findings = append(findings, overdue...)
	}
	if wants(andon.FindingUnapprovable) {
		unapprovable, err := s.unapprovable(ctx)
		if err != nil {
			return nil, err
		}
		findings = append(findings, unapprovable...)
	}
	if wants(andon.FindingWindowEnded) {
		ended, err := s.windowsEnded(ctx)
		if err != nil {
			return nil, err
		}
		findings = append(findings, ended...)
	}
	if wants(andon.FindingEmergencyExpired) {
		expired, err := s.emergenciesExpired(ctx)
		if err != nil {
			return nil, err
		}
		findings = append(findings, expired...)
	}
	if wants(andon.FindingRestoreTestOverdue) || wants(andon.FindingRTOExceeded) || wants(andon.FindingRestoreTestFailed) {
		recovery, err := s.recoveryFindings(ctx, wants)
		if err != nil {
			return nil, err
		}
		findings = append(findings, recovery...)
	}
	return findings, nil
}

// recoveryFindings weighs the restore tests of each production
// environment of the catalog in force with a backup recorded: without a
// restore test that passed within andon.RestoreTestPeriod, it is
// RESTORE_TEST_OVERDUE (due when its latest passed test was a period
// old, none when no test ever passed), and when its latest passed test
// took longer than the strictest RTO of its processes, RTO_EXCEEDED; when
// its latest test failed, whatever passed before, RESTORE_TEST_FAILED. An
// environment of which no backup is recorded is not weighed: andon knows
// of nothing to restore (andon backup status says so). The overdue tests
// are listed first, then the slow ones and the failed ones, each in the
// catalog's order.
func (s *ChangeService) recoveryFindings(ctx context.Context, wants func(string) bool) ([]andon.Finding, error) {
	cat := s.catalog.Catalog()
	now := s.db.Now()
	var overdue, slow, failed []andon.Finding
	var production []*andon.Environment
	for _, env := range cat.Environments {
		if env.Stage == andon.StageProduction {
			production = append(production, env)
		}
	}
	all, err := readRecoveryFacts(ctx, s.db, production)
	if err != nil {
		return nil, err
	}
	for _, env := range production {
		facts := all[env.Name]
		if facts.Backup == nil {
			continue
		}
		p := cat.Posture(env, facts, now, andon.DefaultBackupFreshness)
		t := p.PassedRestoreTest
		period := andon.HumanDuration(andon.RestoreTestPeriod)
		switch {
		case !wants(andon.FindingRestoreTestOverdue) || p.RestoreTestRecent:
		case t == nil:
			overdue = append(overdue, andon.Finding{
				Code:        andon.FindingRestoreTestOverdue,
				Environment: env.Name,
				Message: fmt.Sprintf("production environment %s has backups recorded, the latest %s, and no restore test of them that passed: restore one, check it, and record the test (andon backup restore-test)",
					env.Name, facts.Backup.ID),
			})
		default:
			due := t.FinishedAt.Add(andon.RestoreTestPeriod).UTC()
			overdue = append(overdue, andon.Finding{
				Code:        andon.FindingRestoreTestOverdue,
				Environment: env.Name,
				Due:         due,
				Message: fmt.Sprintf("production environment %s had its latest passed restore test, %s, finish at %s, more than %s ago (overdue since %s, %s ago): restore a recent backup, check it, and record the test (andon backup restore-test)",
					env.Name, t.ID, t.FinishedAt.UTC().Format(time.RFC3339), period, due.Format(time.RFC3339), andon.HumanDuration(now.Sub(due))),
			})
		}
		if last := p.RestoreTest; wants(andon.FindingRestoreTestFailed) && last != nil && last.Result == andon.RestoreFailed {
			failed = append(failed, andon.Finding{
				Code:        andon.FindingRestoreTestFailed,
				Environment: env.Name,
				Message: fmt.Sprintf("production environment %s failed its latest restore test, %s of backup %s, which finished at %s: whatever passed before it, its backups may not restore now; find out why, restore a backup that passes, and record the test (andon backup restore-test)",
					env.Name, last.ID, last.Backup, last.FinishedAt.UTC().Format(time.RFC3339)),
			})
		}
		if wants(andon.FindingRTOExceeded) && p.WithinRTO != nil && !*p.WithinRTO {
			slow = append(slow, andon.Finding{
				Code:        andon.FindingRTOExceeded,
				Environment: env.Name,
				Message: fmt.Sprintf("production environment %s took %s to restore in its latest passed restore test, %s of backup %s, longer than the RTO of %s that %s sets: a recovery would leave it down too long; make the restore faster, or agree a longer RTO with the process's owners",
					env.Name, andon.HumanDuration(t.Duration()), t.ID, t.Backup, andon.HumanDuration(p.RTO.Duration), p.RTO.Process),
			})
		}
	}
	return slices.Concat(overdue, slow, failed), nil
}

// emergenciesExpired finds the approved emergency changes without a
// window of their own approved the emergency validity of the policy in
// force or more ago, the newest first (the maxPendingChecked newest of
// them weighed): the policy refuses them, and they stay on the board
// until someone cancels them. A policy that defines no validity has none.
// An approved change is written again only when it leaves that state, so
// its updated_at is when it became approved (see factsStatement); its
// body then says when, as the policy reads it.
func (s *ChangeService) emergenciesExpired(ctx context.Context) ([]andon.Finding, error) {
	validity := s.policy.EmergencyValidity()
	if validity <= 0 {
		return nil, nil
	}
	now := s.db.Now()
	// In days, hours and minutes, unless a policy's validity is finer.
	span := andon.HumanDuration(validity)
	if validity%time.Minute != 0 {
		span = validity.String()
	}
	changes, err := readBodies[andon.Change](ctx, s.db, "a change", `SELECT c.body FROM changes c
		WHERE c.state = 'approved' AND c.type = 'emergency' AND c.updated_at <= ? AND `+s.db.dialect.windowBound("start")+` IS NULL
		ORDER BY c.seq DESC LIMIT ?`, micros(now.Add(-validity)), s.checked)
	if err != nil {
		return nil, err
	}
	var findings []andon.Finding
	for _, c := range changes {
		approved := c.ApprovedAt().UTC()
		until := approved.Add(validity)
		if c.Window != nil || now.Before(until) {
			continue
		}
		findings = append(findings, andon.Finding{
			Code:     andon.FindingEmergencyExpired,
			ChangeID: c.ID,
			Due:      until,
			Message: fmt.Sprintf("approved emergency change %s by %s was approved at %s and never deployed; without a window of its own it could go ahead only until %s (%s ago), %s after its approval: the gate refuses it now, and so would a start by hand; cancel it, and open a new change if it is still needed",
				c.ID, c.Requester, approved.Format(time.RFC3339), until.Format(time.RFC3339), andon.HumanDuration(now.Sub(until)), span),
		})
	}
	return findings, nil
}

// windowsEnded finds the pending and approved changes whose window has
// ended, the newest first (the maxPendingChecked newest of them weighed):
// nothing lets them go ahead any more, and they stay on the board until
// someone cancels them.
func (s *ChangeService) windowsEnded(ctx context.Context) ([]andon.Finding, error) {
	now := s.db.Now()
	var findings []andon.Finding
	err := s.newestChanges(ctx, func(c *andon.Change) {
		if c.Window == nil || now.Before(c.Window.End) {
			return
		}
		end := c.Window.End.UTC()
		findings = append(findings, andon.Finding{
			Code:     andon.FindingWindowEnded,
			ChangeID: c.ID,
			Due:      end,
			Message: fmt.Sprintf("%s change %s by %s had its window end at %s (%s ago): the gate refuses it now, and so would a start by hand; cancel it, and open a new change with a window to come if it is still needed",
				c.State, c.ID, c.Requester, end.Format(time.RFC3339), andon.HumanDuration(now.Sub(end))),
		})
	}, andon.StatePending, andon.StateApproved)
	return findings, err
}

// newestChanges calls fn with the newest changes in one of states,
// newest first, s.checked (maxPendingChecked) of them at most.
func (s *ChangeService) newestChanges(ctx context.Context, fn func(*andon.Change), states ...andon.State) error {
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(states)), ", ")
	args := make([]any, 0, len(states)+1)
	for _, st := range states {
		args = append(args, st)
	}
	changes, err := readBodies[andon.Change](ctx, s.db, "a change", `SELECT body FROM changes WHERE state IN (`+marks+`) ORDER BY seq DESC LIMIT ?`, append(args, s.checked)...)
	for _, c := range changes {
		fn(c)
	}
	return err
}

// overdueReviews finds the emergency changes whose retrospective review is
// overdue, the longest overdue first, maxPendingChecked of them at most:
// a store that has gathered years of reviews never given must not be read
// whole on every look at the findings, and the longest overdue are those
// an auditor asks about first. They are read in the order of the partial
// index changes_review_due, the soonest due first, as the board's inbox
// reads the reviews owed.
func (s *ChangeService) overdueReviews(ctx context.Context) ([]andon.Finding, error) {
	now := s.db.Now()
	rows, err := s.db.readQuery(ctx,
		`SELECT id, requester, review_due FROM changes WHERE review_due IS NOT NULL AND reviewed = 0 AND review_due < ?
		ORDER BY review_due, seq LIMIT ?`, micros(now), s.checked)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var findings []andon.Finding
	for rows.Next() {
		var id, requester string
		var due int64
		if err := rows.Scan(&id, &requester, &due); err != nil {
			return nil, err
		}
		t := time.UnixMicro(due).UTC()
		findings = append(findings, andon.Finding{
			Code:     andon.FindingReviewOverdue,
			ChangeID: id,
			Due:      t,
			Message: fmt.Sprintf("emergency change %s by %s owed its retrospective review by %s (%s overdue)",
				id, requester, t.Format(time.RFC3339), andon.HumanDuration(now.Sub(t))),
		})
	}
	return findings, rows.Err()
}

// maxPendingChecked bounds the changes each finding weighs: the newest
// open changes, or the longest overdue reviews.
const maxPendingChecked = 1000

// unapprovable finds the pending changes that the catalog in force can no
// longer approve: their teams changed after they were opened (which
// CreateChange checks), and the approvals still open need more people,
// besides the requester and those who approved, than hold the roles.
func (s *ChangeService) unapprovable(ctx context.Context) ([]andon.Finding, error) {
	cat := s.catalog.Catalog()
	var findings []andon.Finding
	err := s.newestChanges(ctx, func(c *andon.Change) {
		var open []andon.Requirement
		for _, sl := range c.Slots() {
			if n := sl.Count - len(sl.Approved); n > 0 {
				open = append(open, andon.Requirement{Role: sl.Role, Count: n})
			}
		}
		excluded := []string{c.Requester}
		for _, a := range c.Approvals {
			excluded = append(excluded, a.Approver)
		}
		if roles, _ := andon.Unstaffed(open, cat.Holders, excluded...); roles != nil {
			findings = append(findings, andon.Finding{
				Code:     andon.FindingUnapprovable,
				ChangeID: c.ID,
				Message: fmt.Sprintf("pending change %s still needs approvals by %s, which the catalog in force gives to too few people besides its requester %s and those who approved it: add members to the teams with those roles, or cancel it",
					c.ID, strings.Join(roles, ", "), c.Requester),
			})
		}
	}, andon.StatePending)
	return findings, err
}

// CountByState returns the number of changes in each state.
func (db *DB) CountByState(ctx context.Context) (map[andon.State]int, error) {
	rows, err := db.readQuery(ctx, `SELECT state, COUNT(*) FROM changes GROUP BY state`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	counts := map[andon.State]int{}
	for _, s := range andon.States {
		counts[s] = 0
	}
	for rows.Next() {
		var s andon.State
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		counts[s] = n
	}
	return counts, rows.Err()
}

// CountByEnvironment returns the number of changes of each environment in
// each state; an environment is present once it has a change, with every
// state counted, zero included. The index on (environment, state) answers
// it without reading the changes.
func (db *DB) CountByEnvironment(ctx context.Context) (map[string]map[andon.State]int, error) {
	rows, err := db.readQuery(ctx, `SELECT environment, state, COUNT(*) FROM changes GROUP BY environment, state`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	counts := map[string]map[andon.State]int{}
	for rows.Next() {
		var env string
		var s andon.State
		var n int
		if err := rows.Scan(&env, &s, &n); err != nil {
			return nil, err
		}
		byState := counts[env]
		if byState == nil {
			byState = make(map[andon.State]int, len(andon.States))
			for _, s := range andon.States {
				byState[s] = 0
			}
			counts[env] = byState
		}
		byState[s] = n
	}
	return counts, rows.Err()
}
