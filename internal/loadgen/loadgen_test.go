package loadgen_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/internal/loadgen"
)

// The tests here run the engine against a stand-in of the API, because
// they need a server that stalls or fails on demand. The real server is
// driven by the end-to-end test of `andon bench` in cmd/andon. The
// stand-in answers the few requests the engine sends, with the bodies of
// the real API, and applies the real approval rule, Change.SlotFor.

// stub is the state of a stand-in API, shared by the servers it starts,
// as replicas share one store.
type stub struct {
	cat *andon.Catalog
	// gate answers the n-th gate call (from 1) with a status and a
	// decision. Gate calls are answered one at a time, as andon's single
	// writer does, so a gate func that sleeps stalls the calls behind it.
	gate   func(n int) (status int, allow bool)
	serial sync.Mutex

	mu      sync.Mutex
	gates   int
	changes map[string]*andon.Change
	order   []string
}

func newStub() *stub {
	return &stub{
		cat: &andon.Catalog{
			Environments: []*andon.Environment{
				{Name: "dev", Stage: andon.StageDevelopment, Processes: []string{"production"}},
				{Name: "prod", Stage: andon.StageProduction, Processes: []string{"production"}},
			},
			Processes: []*andon.BusinessProcess{{Name: "production", Tier: andon.LevelCritical, Owners: []string{"ops"}}},
			Teams: []*andon.Team{
				{Name: "release", Roles: []string{}, Members: []string{"alice"}},
				{Name: "managers", Roles: []string{andon.RoleChangeManager}, Members: []string{"bob", "brigitte"}},
				{Name: "ops", Roles: []string{}, Members: []string{"carol"}},
			},
		},
		gate:    func(int) (int, bool) { return http.StatusOK, true },
		changes: map[string]*andon.Change{},
	}
}

// token is the token of user on the stand-in.
func token(user string) string { return "tok-" + user }

// start starts one server of the stand-in and counts the requests it
// serves.
func (s *stub) start(t *testing.T) (*httptest.Server, func() int) {
	t.Helper()
	var mu sync.Mutex
	served := 0
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/me", s.handle(func(user string, r *http.Request) (int, any) {
		return http.StatusOK, andon.User{Name: user, Roles: s.cat.RolesOf(user)}
	}))
	mux.HandleFunc("GET /api/v1/catalog", s.handle(func(string, *http.Request) (int, any) {
		return http.StatusOK, s.cat
	}))
	mux.HandleFunc("POST /api/v1/gate", s.handle(func(user string, r *http.Request) (int, any) {
		var req andon.GateRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			return http.StatusBadRequest, andon.Errorf(andon.EINVALID, "%v", err)
		}
		if _, err := andon.ParseImage(req.Image); err != nil || s.cat.Environment(req.Environment) == nil {
			return http.StatusBadRequest, andon.GateResult{Reasons: []andon.Reason{{Code: andon.ReasonBadImage, Message: "bad request"}}}
		}
		s.serial.Lock()
		defer s.serial.Unlock()
		s.mu.Lock()
		s.gates++
		n := s.gates
		s.mu.Unlock()
		status, allow := s.gate(n)
		res := andon.GateResult{Allow: allow, Reasons: []andon.Reason{{Code: "ALLOWED", Message: "allowed"}}, AuditIndex: int64(n)}
		switch {
		case status != http.StatusOK:
			res = andon.GateResult{Reasons: []andon.Reason{{Code: andon.ReasonInternal, Message: "the gate could not decide; deployment refused"}}}
		case !allow:
			res.Reasons = []andon.Reason{{Code: "NO_APPROVED_CHANGE", Message: "no approved change"}}
		}
		return status, res
	}))
	mux.HandleFunc("POST /api/v1/changes", s.handle(func(user string, r *http.Request) (int, any) {
		var req andon.ChangeRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			return http.StatusBadRequest, andon.Errorf(andon.EINVALID, "%v", err)
		}
		env := s.cat.Environment(req.Environment)
		if env == nil {
			return http.StatusBadRequest, andon.Errorf(andon.EINVALID, "environment %q is not in the catalog", req.Environment)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		c := &andon.Change{
			ID: fmt.Sprintf("CHG-%d", len(s.order)+1), Environment: req.Environment, Type: req.Type, Title: req.Title,
			Requester: user, State: andon.StateApproved, Approvals: []andon.Approval{},
		}
		if env.Stage == andon.StageProduction {
			c.State = andon.StatePending
			c.Risk.Approvals = []andon.Requirement{{Role: andon.RoleChangeManager, Count: 1}, {Role: andon.ProcessOwnerRole("production"), Count: 1}}
		}
		s.changes[c.ID] = c
		s.order = append(s.order, c.ID)
		return http.StatusCreated, c
	}))
	mux.HandleFunc("POST /api/v1/changes/{id}/approvals", s.handle(func(user string, r *http.Request) (int, any) {
		s.mu.Lock()
		defer s.mu.Unlock()
		c := s.changes[r.PathValue("id")]
		if c == nil {
			return http.StatusNotFound, andon.Errorf(andon.ENOTFOUND, "no change %s", r.PathValue("id"))
		}
		role, err := c.SlotFor(user, s.cat.RolesOf(user), s.cat.Holders)
		if err != nil {
			status := http.StatusForbidden
			if andon.ErrorCode(err) == andon.ECONFLICT {
				status = http.StatusConflict
			}
			return status, err
		}
		c.Approvals = append(c.Approvals, andon.Approval{Approver: user, Role: role, Verdict: andon.Approve})
		if c.FullyApproved() {
			c.State = andon.StateApproved
		}
		return http.StatusOK, c
	}))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		served++
		mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, func() int {
		mu.Lock()
		defer mu.Unlock()
		return served
	}
}

// handle authenticates the request and writes the answer of h as JSON.
func (s *stub) handle(h func(user string, r *http.Request) (int, any)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		status, body := http.StatusUnauthorized, any(andon.Errorf(andon.EUNAUTHORIZED, "unknown token"))
		if user, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer tok-"); ok && slices.Contains(s.cat.Users(), user) {
			status, body = h(user, r)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(body)
	}
}

// approved returns the changes that every required approval filled.
func (s *stub) approved() []*andon.Change {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*andon.Change
	for _, id := range s.order {
		if c := s.changes[id]; c.State == andon.StateApproved {
			out = append(out, c)
		}
	}
	return out
}

// mustRun runs cfg with the stand-in's tokens and the requester alice.
func mustRun(t *testing.T, ctx context.Context, cfg loadgen.Config) *loadgen.Report {
	t.Helper()
	cfg.Token, cfg.Requester = token, "alice"
	r, err := loadgen.Run(ctx, cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return r
}

func TestClosedLoopOverTwoReplicas(t *testing.T) {
	s := newStub()
	a, servedA := s.start(t)
	b, servedB := s.start(t)
	r := mustRun(t, context.Background(), loadgen.Config{
		Servers:     []string{a.URL, b.URL},
		Duration:    300 * time.Millisecond,
		Warmup:      50 * time.Millisecond,
		Concurrency: 4,
		Mix:         loadgen.Mix{Gate: 2, Create: 1, Approve: 1},
	})

	if r.Mode != loadgen.ModeConcurrency || r.Concurrency != 4 || r.Rate != 0 || r.Interrupted {
		t.Errorf("mode %q, concurrency %d, rate %v, interrupted %v; want a whole closed loop of 4", r.Mode, r.Concurrency, r.Rate, r.Interrupted)
	}
	if r.GateEnvironment != "dev" || r.ChangeEnvironment != "prod" || r.Requester != "alice" {
		t.Errorf("gate in %q, changes in %q by %q; want dev, prod, alice", r.GateEnvironment, r.ChangeEnvironment, r.Requester)
	}
	for _, op := range loadgen.Ops {
		st := r.Stats(op)
		if st.Count == 0 || st.Errors != 0 || st.Throughput <= 0 {
			t.Errorf("%s: %d requests, %d errors, %v/s; want some, without error", op, st.Count, st.Errors, st.Throughput)
		}
		if l := st.Latency; !(0 < l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.Max) {
			t.Errorf("%s latency %+v: want 0 < p50 <= p90 <= p99 <= max", op, l)
		}
	}
	if d := r.Operations.Gate.Decisions; d == nil || d.Allowed != r.Operations.Gate.Count || d.Denied != 0 {
		t.Errorf("gate decisions %+v of %d calls; want all allowed", d, r.Operations.Gate.Count)
	}
	sum := r.Operations.Gate.Count + r.Operations.Create.Count + r.Operations.Approve.Count
	if r.Total.Count != sum || r.Total.Errors != 0 || len(r.Failures) != 0 {
		t.Errorf("total %d requests, %d errors, failures %v; want %d, none", r.Total.Count, r.Total.Errors, r.Failures, sum)
	}
	// The stand-in's changes need two approvals, from different people,
	// neither the requester: changes went back to the queue after the
	// first and were approved by someone else.
	approved := s.approved()
	if len(approved) == 0 {
		t.Fatal("no change was fully approved")
	}
	for _, c := range approved {
		if len(c.Approvals) != 2 || c.Approvals[0].Approver == c.Approvals[1].Approver || c.Requester != "alice" {
			t.Errorf("%s by %s approved by %+v; want two approvers other than alice", c.ID, c.Requester, c.Approvals)
		}
	}
	// Requests alternate between the replicas; preparing the run sends
	// a few more to the first.
	if na, nb := servedA(), servedB(); nb == 0 || na-nb > 10 || nb-na > 10 {
		t.Errorf("replicas served %d and %d requests; want them shared evenly", na, nb)
	}
}

func TestOpenLoopKeepsToItsSchedule(t *testing.T) {
	s := newStub()
	srv, _ := s.start(t)
	r := mustRun(t, context.Background(), loadgen.Config{
		Servers:  []string{srv.URL},
		Duration: 500 * time.Millisecond,
		Rate:     200,
		Mix:      loadgen.Mix{Gate: 1},
	})
	// Arrivals are every 5 ms from the start: 100 fall in 500 ms.
	if r.Mode != loadgen.ModeRate || r.Rate != 200 || r.Concurrency != 0 {
		t.Errorf("mode %q, rate %v, concurrency %d; want an open loop at 200/s", r.Mode, r.Rate, r.Concurrency)
	}
	if got := r.Operations.Gate.Count; got != 100 || r.Total.Count != 100 || r.Total.Errors != 0 {
		t.Errorf("gate calls %d, total %d, errors %d; want 100, 100, 0", got, r.Total.Count, r.Total.Errors)
	}
	if r.Operations.Create.Count != 0 || r.Operations.Approve.Count != 0 || r.ChangeEnvironment != "" {
		t.Errorf("create %d, approve %d in %q; want none with a mix of gate calls only", r.Operations.Create.Count, r.Operations.Approve.Count, r.ChangeEnvironment)
	}
}

func TestOpenLoopDoesNotWaitForASlowServer(t *testing.T) {
	s := newStub()
	// One gate call of the run stalls the server for 300 ms. The calls
	// scheduled meanwhile are sent on time and wait in the server, and
	// that wait is part of their latency: at 100/s, some 30 calls wait
	// between 10 and 300 ms, so the slowest tenth took over 100 ms. A
	// load generator that sent each call after the answer to the last
	// (coordinated omission) would see one slow call in a hundred.
	s.gate = func(n int) (int, bool) {
		if n == 20 {
			time.Sleep(300 * time.Millisecond)
		}
		return http.StatusOK, true
	}
	srv, _ := s.start(t)
	r := mustRun(t, context.Background(), loadgen.Config{
		Servers:  []string{srv.URL},
		Duration: time.Second,
		Rate:     100,
		Mix:      loadgen.Mix{Gate: 1},
	})
	if p90 := r.Operations.Gate.Latency.P90; p90 < 100*time.Millisecond {
		t.Errorf("p90 = %v after a 300 ms stall at 100 requests/s; want over 100 ms", p90)
	}
	if max := r.Operations.Gate.Latency.Max; max < 300*time.Millisecond {
		t.Errorf("max = %v; want at least the 300 ms stall", max)
	}
}

// TestOpenLoopBoundsItsRequestsInFlight stalls the server for a second at
// 1000 requests/s: the requests due meanwhile would be some 500 at once,
// of which MaxInFlight are sent and the next waits for one to end, counted
// with its wait, and the report says how many waited.
func TestOpenLoopBoundsItsRequestsInFlight(t *testing.T) {
	s := newStub()
	s.gate = func(n int) (int, bool) {
		if n == 10 {
			time.Sleep(time.Second)
		}
		return http.StatusOK, true
	}
	srv, _ := s.start(t)
	r := mustRun(t, context.Background(), loadgen.Config{
		Servers:     []string{srv.URL},
		Duration:    500 * time.Millisecond,
		Rate:        1000,
		MaxInFlight: 50,
		Mix:         loadgen.Mix{Gate: 1},
	})
	if r.Total.Count != 500 || r.Total.Errors != 0 || r.MaxInFlight != 50 {
		t.Errorf("%d requests, %d errors, %d in flight at most; want the 500 due, none failed, 50", r.Total.Count, r.Total.Errors, r.MaxInFlight)
	}
	// The first request due once 50 are in flight waits out the stall.
	// How many of the rest wait too depends on how fast the loop catches
	// up afterwards, racing the server's answers that free the slots (a
	// busy machine answers some before the loop finds the slots full),
	// so only the bounds are sure: one, and the 450 due after the first
	// 50.
	if r.Waited < 1 || r.Waited > 450 {
		t.Errorf("%d requests waited for a slot; want 1 to 450", r.Waited)
	}
	if _, err := loadgen.Run(context.Background(), loadgen.Config{Servers: []string{srv.URL}, Token: func(string) string { return "t" },
		Requester: "alice", Duration: time.Second, Rate: loadgen.MaxRate + 1}); andon.ErrorCode(err) != andon.EINVALID {
		t.Errorf("a rate above MaxRate: %v; want invalid", err)
	}
}

func TestDenialsAreDecisionsAndFailuresAreErrors(t *testing.T) {
	s := newStub()
	s.gate = func(n int) (int, bool) {
		switch {
		case n == 1:
			return http.StatusOK, true // the call that prepares the run
		case n%3 == 0:
			return http.StatusInternalServerError, false
		}
		return http.StatusOK, n%3 == 1
	}
	srv, _ := s.start(t)
	r := mustRun(t, context.Background(), loadgen.Config{
		Servers:     []string{srv.URL},
		Duration:    200 * time.Millisecond,
		Concurrency: 2,
		Mix:         loadgen.Mix{Gate: 1},
	})
	g := r.Operations.Gate
	if g.Errors == 0 || g.Decisions.Allowed == 0 || g.Decisions.Denied == 0 || g.Decisions.Allowed+g.Decisions.Denied+g.Errors != g.Count {
		t.Fatalf("gate: %d requests, %d errors, decisions %+v; want errors, allowed and denied adding up", g.Count, g.Errors, g.Decisions)
	}
	if rate := r.ErrorRate(); rate < 0.2 || rate > 0.5 {
		t.Errorf("error rate %v; want about a third", rate)
	}
	if len(r.Failures) != 1 || r.Failures[0].Operation != loadgen.OpGate || r.Failures[0].Count != g.Errors ||
		!strings.Contains(r.Failures[0].Message, "CANNOT_DECIDE") {
		t.Errorf("failures %+v; want the %d gate calls that could not decide", r.Failures, g.Errors)
	}
}

func TestInterruptedRunReportsWhatItMeasured(t *testing.T) {
	s := newStub()
	srv, _ := s.start(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	r := mustRun(t, ctx, loadgen.Config{
		Servers:  []string{srv.URL},
		Duration: time.Minute,
		Rate:     100,
		Mix:      loadgen.Mix{Gate: 1},
	})
	if !r.Interrupted || r.Duration >= time.Minute || r.Total.Count == 0 || r.Total.Errors != 0 {
		t.Errorf("interrupted %v after %v with %d requests, %d errors; want an interrupted run with what it measured and no errors",
			r.Interrupted, r.Duration, r.Total.Count, r.Total.Errors)
	}
}

func TestPreparationFails(t *testing.T) {
	s := newStub()
	srv, _ := s.start(t)
	refusing := newStub()
	refusing.gate = func(int) (int, bool) { return http.StatusInternalServerError, false }
	refusingSrv, _ := refusing.start(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()

	ok := loadgen.Config{Servers: []string{srv.URL}, Token: token, Requester: "alice", Duration: time.Second}
	tests := []struct {
		name   string
		change func(*loadgen.Config)
		want   string
	}{
		{"no server", func(c *loadgen.Config) { c.Servers = nil }, "no server"},
		{"no duration", func(c *loadgen.Config) { c.Duration = 0 }, "duration 0s"},
		{"rate and concurrency", func(c *loadgen.Config) { c.Rate, c.Concurrency = 10, 2 }, "not both"},
		{"unreachable replica", func(c *loadgen.Config) { c.Servers = append(c.Servers, closed) }, "cannot reach andon server at " + closed},
		{"refused token", func(c *loadgen.Config) { c.Token = func(string) string { return "nope" } }, "as alice: unknown token"},
		{"unknown gate environment", func(c *loadgen.Config) { c.GateEnv = "mars" }, `environment "mars" for the gate calls is not in the catalog`},
		{"gate cannot decide", func(c *loadgen.Config) { c.Servers = []string{refusingSrv.URL} }, "cannot decide"},
		{"changes need no approval", func(c *loadgen.Config) { c.ChangeEnv = "dev" }, "is approved at once: there is nothing to approve"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			cfg.Servers = append([]string(nil), ok.Servers...)
			tt.change(&cfg)
			r, err := loadgen.Run(context.Background(), cfg)
			var ae *andon.Error
			if !errors.As(err, &ae) || !strings.Contains(ae.Message, tt.want) {
				t.Errorf("Run = %v, %v; want an error with %q", r, err, tt.want)
			}
		})
	}
}
