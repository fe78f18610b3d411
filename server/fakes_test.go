package server_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/andon-governance/andon"
)

// The services below stand in for the store and the calendar: the
// interfaces of package andon are the seam between them and the handlers,
// and these tests are about the handlers. Each keeps just enough state to
// answer, and records what it was asked so that tests can check how the
// handlers translated a request.

// tokenService knows a fixed set of API tokens, which never expire. The
// token "broken" makes it fail as a store that cannot answer would;
// "expired" expired at expiry; "expiring" is alice's, made 90 days before
// it expires, eight days after testNow, and "short" is alice's, made for
// twelve days that end at the same time; "read-only" is dave's, who
// may read and never write. Feed tokens are "feed-" and the
// name of a user who has an API token.
type tokenService map[string]string

const feedPrefix = "feed-"

func (s tokenService) CreateFeedToken(ctx context.Context, user string) (string, *time.Time, error) {
	return feedPrefix + user, nil, nil
}

func (s tokenService) AuthenticateFeed(ctx context.Context, token string) (string, error) {
	if token == "broken" {
		return "", errors.New("database is closed")
	}
	if name, ok := strings.CutPrefix(token, feedPrefix); ok && slices.Contains(slices.Collect(maps.Values(s)), name) {
		return name, nil
	}
	return "", andon.Errorf(andon.EUNAUTHORIZED, "unknown token")
}

func (s tokenService) CreateSession(ctx context.Context, lifetime time.Duration) (string, time.Time, error) {
	return "", time.Time{}, errors.New("not needed by these tests")
}

func (s tokenService) AuthenticateSession(ctx context.Context, token string) (andon.Session, error) {
	return andon.Session{}, andon.Errorf(andon.EUNAUTHORIZED, "unknown session")
}

func (s tokenService) ActiveGrants(ctx context.Context, user string) ([]andon.Grant, error) {
	return nil, nil
}

func (s tokenService) EndSession(ctx context.Context, token string) error {
	return errors.New("not needed by these tests")
}

func (s tokenService) CreateToken(ctx context.Context, user string, expires time.Time) (string, error) {
	return "", errors.New("not needed by these tests")
}

// RotateToken answers a rotation of a token that has an ID; TestTokenRotate
// rotates on a real store.
func (s tokenService) RotateToken(ctx context.Context, ref string, overlap time.Duration, expires time.Time) (andon.RotatedToken, error) {
	return andon.RotatedToken{Token: "rotated", User: andon.UserNameFromContext(ctx), OldID: ref}, nil
}

// expiry is when the fake token "expired" expired, and soon when
// "expiring" and "short" expire.
var (
	expiry = time.Date(2027, 2, 25, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	soon   = testNow.Add(8 * 24 * time.Hour)
)

func (s tokenService) Authenticate(ctx context.Context, token string) (andon.Bearer, error) {
	switch token {
	case "broken":
		return andon.Bearer{}, errors.New("database is closed")
	case "expired":
		return andon.Bearer{}, &andon.ExpiredTokenError{At: expiry}
	case "expiring":
		return andon.Bearer{User: "alice", CreatedAt: soon.Add(-90 * 24 * time.Hour), ExpiresAt: soon}, nil
	case "short":
		return andon.Bearer{User: "alice", CreatedAt: soon.Add(-12 * 24 * time.Hour), ExpiresAt: soon}, nil
	case readOnlyToken:
		return andon.Bearer{User: "dave", ID: readOnlyToken, ReadOnly: true}, nil
	case "granted":
		// Erin's grant of change-managers counts; that of lyon-ops,
		// which does not list her as eligible, does not.
		return andon.Bearer{User: "erin", Grants: []andon.Grant{
			{ID: "ACC-1", Team: "change-managers", EndsAt: soon},
			{ID: "ACC-2", Team: "lyon-ops", EndsAt: soon},
		}}, nil
	}
	if name, ok := s[token]; ok {
		return andon.Bearer{User: name}, nil
	}
	return andon.Bearer{}, andon.Errorf(andon.EUNAUTHORIZED, "unknown token")
}

// catalogSource serves one fixed catalog.
type catalogSource struct{ catalog *andon.Catalog }

func (s catalogSource) Catalog() *andon.Catalog { return s.catalog }

// changeService keeps changes in memory. FindChangeByID fails with the
// error errs holds for an id, and panics for the id "panic".
type changeService struct {
	mu      sync.Mutex
	changes map[string]*andon.Change
	errs    map[string]error
	filter  andon.ChangeFilter // the last filter FindChanges got
	now     time.Time
	// started, when set, is closed as FindChanges starts, which then
	// waits for its request to end and returns why it ended.
	started chan struct{}
}

func newChangeService(now time.Time) *changeService {
	return &changeService{changes: map[string]*andon.Change{}, errs: map[string]error{}, now: now}
}

func (s *changeService) CreateChange(ctx context.Context, req *andon.ChangeRequest) (*andon.Change, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &andon.Change{
		ID:          fmt.Sprintf("CHG-%d", len(s.changes)+1),
		Environment: req.Environment,
		Type:        req.Type,
		Title:       req.Title,
		Requester:   andon.UserNameFromContext(ctx),
		Artifacts:   req.Artifacts,
		Facts:       req.Facts,
		State:       andon.StatePending,
		Risk:        andon.RiskDecision{Tier: andon.LevelMedium, Approvals: []andon.Requirement{{Role: andon.RoleChangeManager, Count: 1}}},
		CreatedAt:   s.now,
		UpdatedAt:   s.now,
	}
	s.changes[c.ID] = c
	return c, nil
}

func (s *changeService) FindChangeByID(ctx context.Context, id string) (*andon.Change, error) {
	if id == "panic" {
		panic("the store is in a state nobody expected")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err, ok := s.errs[id]; ok {
		return nil, err
	}
	c, ok := s.changes[id]
	if !ok {
		return nil, andon.Errorf(andon.ENOTFOUND, "change %s not found", id)
	}
	return c, nil
}

func (s *changeService) FindChanges(ctx context.Context, filter andon.ChangeFilter) ([]*andon.Change, int, error) {
	if s.started != nil {
		close(s.started)
		<-ctx.Done()
		return nil, 0, ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.filter = filter
	var list []*andon.Change
	for _, c := range s.changes {
		list = append(list, c)
	}
	return list, len(list), nil
}

func (s *changeService) Decide(ctx context.Context, id string, verdict andon.Verdict, comment string) (*andon.Change, error) {
	c, err := s.FindChangeByID(ctx, id)
	if err != nil {
		return nil, err
	}
	user := andon.UserFromContext(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if verdict == andon.Reject {
		if err := c.CanReject(user.Name, user.Roles); err != nil {
			return nil, err
		}
		c.State = andon.StateRejected
		c.Approvals = append(c.Approvals, andon.Approval{Approver: user.Name, Verdict: verdict, Comment: comment, At: s.now})
		return c, nil
	}
	role, err := c.SlotFor(user.Name, user.Roles, nil)
	if err != nil {
		return nil, err
	}
	c.Approvals = append(c.Approvals, andon.Approval{Approver: user.Name, Role: role, Verdict: verdict, Comment: comment, At: s.now})
	if c.FullyApproved() {
		c.State = andon.StateApproved
	}
	return c, nil
}

func (s *changeService) Transition(ctx context.Context, id string, to andon.State, comment string) (*andon.Change, error) {
	c, err := s.FindChangeByID(ctx, id)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !andon.CanTransition(c.State, to) {
		return nil, andon.Errorf(andon.ECONFLICT, "change %s is %s and cannot become %s", id, c.State, to)
	}
	c.State = to
	return c, nil
}

// CheckStart allows an approved change to start, and refuses the others
// as a start would.
func (s *changeService) CheckStart(ctx context.Context, id string) (*andon.StartCheck, error) {
	c, err := s.FindChangeByID(ctx, id)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !andon.CanTransition(c.State, andon.StateImplementing) {
		return nil, andon.Errorf(andon.ECONFLICT, "change %s is %s and cannot become %s", id, c.State, andon.StateImplementing)
	}
	return &andon.StartCheck{Allow: true, Reasons: []andon.Reason{{Code: "ALLOWED", Message: "inside its window"}}, At: s.now}, nil
}

func (s *changeService) ReviewChange(ctx context.Context, id string, comment string) (*andon.Change, error) {
	c, err := s.FindChangeByID(ctx, id)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c.Review = &andon.Approval{Approver: andon.UserNameFromContext(ctx), Verdict: andon.Approve, Comment: comment, At: s.now}
	return c, nil
}

func (s *changeService) Findings(ctx context.Context, codes ...string) ([]andon.Finding, error) {
	return nil, nil
}

// gateService answers with whatever decide returns, and keeps the request.
type gateService struct {
	mu     sync.Mutex
	decide func(andon.GateRequest) (*andon.GateResult, error)
	got    andon.GateRequest
	// started, when set, is closed as a decision starts, which then
	// waits for its request to end and returns why it ended.
	started chan struct{}
}

func (s *gateService) Decide(ctx context.Context, req andon.GateRequest) (*andon.GateResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = req
	if s.started != nil {
		close(s.started)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return s.decide(req)
}

// calendarService returns fixed occurrences for the environment prod-lyon
// and keeps the span it was asked about, and the change type of the last
// slot asked for; its feeds of prod-lyon and of the plant lyon name their
// scope and stamp.
type calendarService struct {
	mu          sync.Mutex
	occurrences []andon.Occurrence
	from, to    time.Time
	change      andon.ChangeType
	peaks       bool // outsidePeaks of the last slot asked for
}

func (s *calendarService) Feed(ctx context.Context, scope andon.FeedScope, stamp time.Time) ([]byte, error) {
	if scope.Environment != "prod-lyon" && scope.Plant != "lyon" {
		return nil, andon.Errorf(andon.EINVALID, "%+v is not in the catalog", scope)
	}
	return fmt.Appendf(nil, "BEGIN:VCALENDAR\r\nX-SCOPE:%s%s\r\nX-STAMP:%s\r\nEND:VCALENDAR\r\n",
		scope.Environment, scope.Plant, stamp.UTC().Format(time.RFC3339)), nil
}

func (s *calendarService) Occurrences(ctx context.Context, env string, from, to time.Time) ([]andon.Occurrence, error) {
	if env != "prod-lyon" {
		return nil, andon.Errorf(andon.EINVALID, "environment %q is not in the catalog", env)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.from, s.to = from, to
	return s.occurrences, nil
}

// Active returns the occurrences that contain t, and keeps t as from.
func (s *calendarService) Active(ctx context.Context, env string, t time.Time) ([]andon.Occurrence, error) {
	if env != "prod-lyon" {
		return nil, andon.Errorf(andon.EINVALID, "environment %q is not in the catalog", env)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.from = t
	var in []andon.Occurrence
	for _, o := range s.occurrences {
		if !t.Before(o.Start) && t.Before(o.End) {
			in = append(in, o)
		}
	}
	return in, nil
}

// NextSlot finds a slot only for durations up to a day, one day after
// after, so that tests can reach both answers; it names the peaks among
// the fixed occurrences, whenever they are, and none with outsidePeaks.
func (s *calendarService) NextSlot(ctx context.Context, env string, after time.Time, d time.Duration, change andon.ChangeType, outsidePeaks bool) (*andon.FreeSlot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.change, s.peaks = change, outsidePeaks
	if d > 24*time.Hour {
		return nil, andon.Errorf(andon.ENOTFOUND, "no slot of %s within a year", d)
	}
	start := after.Add(24 * time.Hour)
	slot := &andon.FreeSlot{Span: andon.Span{Start: start, End: start.Add(d)}}
	for _, o := range s.occurrences {
		if o.Type == andon.WindowPeak && !outsidePeaks {
			slot.Peaks = append(slot.Peaks, o)
		}
	}
	return slot, nil
}

// auditService holds a few entries and keeps the last filter.
type auditService struct {
	mu      sync.Mutex
	entries []*andon.Entry
	filter  andon.AuditFilter
}

var testCheckpoint = andon.Checkpoint{Origin: "andon.test", Size: 2, RootHash: "cm9vdA==", Note: "andon.test\n2\ncm9vdA==\n", VerifierKey: "andon.test+key"}

func (s *auditService) Checkpoint(ctx context.Context) (*andon.Checkpoint, error) {
	cp := testCheckpoint
	return &cp, nil
}

func (s *auditService) FindEntries(ctx context.Context, filter andon.AuditFilter) ([]*andon.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.filter = filter
	var list []*andon.Entry
	for _, e := range s.entries {
		if e.Index > filter.After {
			list = append(list, e)
		}
	}
	return list, nil
}

func (s *auditService) Evidence(ctx context.Context, filter andon.AuditFilter) (*andon.Evidence, error) {
	s.filter = filter
	return &andon.Evidence{Filter: filter, Checkpoint: testCheckpoint, Entries: []andon.EvidenceEntry{}}, nil
}

func (s *auditService) Proof(ctx context.Context, index int64) (*andon.Proof, error) {
	if index >= int64(len(s.entries)) {
		return nil, andon.Errorf(andon.ENOTFOUND, "entry %d not found", index)
	}
	return &andon.Proof{Index: index, Record: []byte(`{"type":"change.created"}`), LeafHash: "bGVhZg==", Hashes: []string{"aGFzaA=="}, Checkpoint: testCheckpoint}, nil
}
