package sqlstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/server"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
)

// Requests that race for one change through the HTTP API of two replicas
// on one database (on SQLite, two stores on one file): whatever the order
// the store puts them in, the lifecycle and segregation of duties hold,
// every request that succeeded is in the audit log, which verifies, and
// each request that lost is told why in a JSON error with a 4xx status,
// never a 500 or the database's own text.

// api is the HTTP API of one replica, served over the services of an env
// as andon serve serves them.
type api struct {
	url    string
	tokens map[string]string
}

// MustServeAPI serves the API over the services of e on loopback, with an
// API token for each user of the example catalog that the tests use.
func (e *env) MustServeAPI(tb testing.TB) *api {
	tb.Helper()
	srv := httptest.NewServer(server.New(server.Config{
		Logger:   slog.New(slog.DiscardHandler),
		Changes:  e.changes,
		Gate:     e.gate,
		Audit:    e.audit,
		Calendar: e.cal,
		Catalog:  e.catalog,
		Tokens:   e.tokens,
		Ping:     e.db.Ping,
		Now:      func() time.Time { return e.now },
		Registry: prometheus.NewRegistry(),
	}))
	tb.Cleanup(srv.Close)
	a := &api{url: srv.URL, tokens: map[string]string{}}
	for _, user := range []string{"alice", "bob", "brigitte", "carol", "dave"} {
		tok, err := e.tokens.CreateToken(context.Background(), user, time.Time{})
		if err != nil {
			tb.Fatal(err)
		}
		a.tokens[user] = tok
	}
	return a
}

// answer is what one request got back.
type answer struct {
	status int
	body   []byte
}

// post sends body as JSON to path as user. It is safe to call from
// several goroutines, and reports a failure to send with t.Error.
func (a *api) post(t *testing.T, user, path string, body any) answer {
	b, err := json.Marshal(body)
	if err != nil {
		t.Error(err)
		return answer{}
	}
	req, err := http.NewRequest(http.MethodPost, a.url+path, bytes.NewReader(b))
	if err != nil {
		t.Error(err)
		return answer{}
	}
	req.Header.Set("Authorization", "Bearer "+a.tokens[user])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("POST %s as %s: %v", path, user, err)
		return answer{}
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Errorf("POST %s as %s: %v", path, user, err)
	}
	return answer{status: resp.StatusCode, body: out}
}

// apiError decodes the JSON error of r, failing the test when r is not one.
func (r answer) apiError(t *testing.T) andon.Error {
	t.Helper()
	var e andon.Error
	if err := json.Unmarshal(r.body, &e); err != nil || e.Code == "" || e.Message == "" {
		t.Fatalf("answer %d %s is not a JSON error {code, message}", r.status, r.body)
	}
	return e
}

// together runs each of fns on a goroutine of its own, released at once,
// and returns their answers in the order of fns.
func together(fns ...func() answer) []answer {
	out := make([]answer, len(fns))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() {
			<-start
			out[i] = fn()
		})
	}
	close(start)
	wg.Wait()
	return out
}

// changeEntries returns the audit entries about change id, in log order.
func (e *env) changeEntries(t *testing.T, id string) []*andon.Entry {
	t.Helper()
	entries, err := e.audit.FindEntries(context.Background(), andon.AuditFilter{Change: id, After: -1, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// transitionsTo returns the states that the change.transitioned entries
// of entries moved their change to, in log order.
func transitionsTo(t *testing.T, entries []*andon.Entry) []string {
	t.Helper()
	var to []string
	for _, en := range entries {
		if en.Type != andon.EventChangeTransition {
			continue
		}
		var data struct{ To string }
		if err := json.Unmarshal(en.Data, &data); err != nil {
			t.Fatal(err)
		}
		to = append(to, data.To)
	}
	return to
}

// mustChange reads change id from replica e.
func (e *env) mustChange(t *testing.T, id string) *andon.Change {
	t.Helper()
	c, err := e.changes.FindChangeByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// mustCreate has alice open a normal change in environment with title
// and the modules given.
func (e *env) mustCreate(t *testing.T, environment, title string, modules ...string) *andon.Change {
	t.Helper()
	c, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{
		Environment: environment, Type: andon.ChangeNormal, Title: title, Facts: andon.Facts{Modules: modules},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// mustApproved creates a change of image in prod-geelong, its window
// around the clock, and has bob approve it.
func (e *env) mustApproved(t *testing.T, title, image string) *andon.Change {
	t.Helper()
	c, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{
		Environment: "prod-geelong", Type: andon.ChangeNormal, Title: title, Artifacts: []string{image},
		Window: &andon.Span{Start: e.now.Add(-time.Hour), End: e.now.Add(time.Hour)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if c, err = e.changes.Decide(as("bob"), c.ID, andon.Approve, ""); err != nil {
		t.Fatal(err)
	}
	return c
}

// mustImplementing creates a change of image as mustApproved does and
// deploys it through the gate.
func (e *env) mustImplementing(t *testing.T, title, image string) *andon.Change {
	t.Helper()
	c := e.mustApproved(t, title, image)
	res, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "prod-geelong", Image: image})
	if err != nil || !res.Allow || res.Change.ID != c.ID || res.Change.State != andon.StateImplementing {
		t.Fatalf("gate of %s = %+v, %v; want it allowed and implementing", c.ID, res, err)
	}
	return res.Change
}

func TestConcurrentGateCallsStartTheChangeOnce(t *testing.T) {
	eachEngine(t, func(t *testing.T, a *env) {
		b := a.MustOpenReplica(t)
		apis := []*api{a.MustServeAPI(t), b.MustServeAPI(t)}
		a.MustStage(t, imageStaged)
		c := a.mustApproved(t, "Routing", imageStaged)

		// Every replica of the deployment's pods, and every enforcement
		// point, asks at once; half of them through the other replica.
		const n = 16
		calls := make([]func() answer, n)
		for i := range calls {
			calls[i] = func() answer {
				return apis[i%2].post(t, "alice", "/api/v1/gate", andon.GateRequest{Environment: "prod-geelong", Image: imageStaged})
			}
		}
		for i, r := range together(calls...) {
			var res andon.GateResult
			if err := json.Unmarshal(r.body, &res); err != nil || r.status != http.StatusOK {
				t.Fatalf("gate call %d: %d %s", i, r.status, r.body)
			}
			if !res.Allow || res.Change == nil || res.Change.ID != c.ID || res.Change.State != andon.StateImplementing {
				t.Errorf("gate call %d = allow %v, change %+v, reasons %+v; want allowed for %s, implementing", i, res.Allow, res.Change, res.Reasons, c.ID)
			}
		}

		entries := b.changeEntries(t, c.ID)
		if got, want := transitionsTo(t, entries), []string{string(andon.StateImplementing)}; !cmp.Equal(got, want) {
			t.Errorf("%s's transitions after %d concurrent gate calls = %q, want %q: the first allowed call alone starts it", c.ID, n, got, want)
		}
		var allowed int
		for _, en := range entries {
			if en.Type != andon.EventGateDecision {
				continue
			}
			var data struct{ Allow bool }
			if err := json.Unmarshal(en.Data, &data); err != nil {
				t.Fatal(err)
			}
			if data.Allow {
				allowed++
			}
		}
		if allowed != n {
			t.Errorf("%d allowed gate decisions recorded for %s, want %d, one for each call", allowed, c.ID, n)
		}
		if got := b.mustChange(t, c.ID).State; got != andon.StateImplementing {
			t.Errorf("%s is %s, want implementing", c.ID, got)
		}
		if r := a.verify(t); !r.OK {
			t.Errorf("audit verify: %+v", r)
		}
	})
}

func TestConcurrentApprovalsOfTwoSlots(t *testing.T) {
	eachEngine(t, func(t *testing.T, a *env) {
		b := a.MustOpenReplica(t)
		apiA, apiB := a.MustServeAPI(t), b.MustServeAPI(t)
		for round := range 4 {
			// A module of the critical production process: the change
			// needs a change manager and the process's owner.
			c := a.mustCreate(t, "prod-lyon", fmt.Sprintf("work orders %d", round), "mrp_workorder")
			if len(c.Risk.Approvals) != 2 {
				t.Fatalf("%s asks for %+v; want two slots", c.ID, c.Risk.Approvals)
			}
			path := "/api/v1/changes/" + c.ID + "/approvals"
			approve := map[string]string{"verdict": "approve"}
			got := together(
				func() answer { return apiA.post(t, "bob", path, approve) },
				func() answer { return apiB.post(t, "carol", path, approve) },
			)
			for i, r := range got {
				if r.status != http.StatusOK {
					t.Fatalf("round %d: approval %d: %d %s; want both to fill their slot", round, i, r.status, r.body)
				}
			}
			after := b.mustChange(t, c.ID)
			roles := map[string]string{}
			for _, ap := range after.Approvals {
				roles[ap.Approver] = ap.Role
			}
			want := map[string]string{"bob": andon.RoleChangeManager, "carol": "process-owner:production"}
			if after.State != andon.StateApproved || !cmp.Equal(roles, want) {
				t.Fatalf("round %d: %s is %s with approvals %v; want approved with %v", round, c.ID, after.State, roles, want)
			}
		}
		if r := a.verify(t); !r.OK {
			t.Errorf("audit verify: %+v", r)
		}
	})
}

func TestOnePersonApprovingTwiceAtOnce(t *testing.T) {
	eachEngine(t, func(t *testing.T, a *env) {
		b := a.MustOpenReplica(t)
		apiA, apiB := a.MustServeAPI(t), b.MustServeAPI(t)
		for round := range 4 {
			c := a.mustCreate(t, "prod-lyon", fmt.Sprintf("work orders %d", round), "mrp_workorder")
			// brigitte is a change manager and one of the process's
			// owners: she could fill either slot, and a double click on
			// two replicas must not let her fill both.
			path := "/api/v1/changes/" + c.ID + "/approvals"
			approve := map[string]string{"verdict": "approve"}
			got := together(
				func() answer { return apiA.post(t, "brigitte", path, approve) },
				func() answer { return apiB.post(t, "brigitte", path, approve) },
			)
			var ok int
			for _, r := range got {
				if r.status == http.StatusOK {
					ok++
					continue
				}
				e := r.apiError(t)
				if r.status != http.StatusConflict || e.Code != andon.ECONFLICT || !strings.Contains(e.Message, "brigitte already approved change "+c.ID) {
					t.Errorf("round %d: second approval by brigitte = %d %+v; want 409 conflict saying she already approved it", round, r.status, e)
				}
			}
			after := b.mustChange(t, c.ID)
			if ok != 1 || len(after.Approvals) != 1 || after.State != andon.StatePending {
				t.Fatalf("round %d: %d approvals succeeded; %s is %s with %+v; want one, and still pending with one approval", round, ok, c.ID, after.State, after.Approvals)
			}
		}
		if r := a.verify(t); !r.OK {
			t.Errorf("audit verify: %+v", r)
		}
	})
}

func TestApprovalRacingCancel(t *testing.T) {
	eachEngine(t, func(t *testing.T, a *env) {
		b := a.MustOpenReplica(t)
		apiA, apiB := a.MustServeAPI(t), b.MustServeAPI(t)
		for round := range 6 {
			// One change-manager slot: an approval that comes first
			// approves the change, which may still be cancelled.
			c := a.mustCreate(t, "prod-lyon", fmt.Sprintf("report tweak %d", round), "account")
			got := together(
				func() answer {
					return apiA.post(t, "bob", "/api/v1/changes/"+c.ID+"/approvals", map[string]string{"verdict": "approve"})
				},
				func() answer {
					return apiB.post(t, "alice", "/api/v1/changes/"+c.ID+"/transitions", map[string]string{"to": "cancelled", "comment": "superseded"})
				},
			)
			approval, cancel := got[0], got[1]
			if cancel.status != http.StatusOK {
				t.Fatalf("round %d: cancel racing an approval = %d %s; want it done, before or after the approval", round, cancel.status, cancel.body)
			}
			if approval.status != http.StatusOK {
				e := approval.apiError(t)
				if approval.status != http.StatusConflict || e.Code != andon.ECONFLICT || !strings.Contains(e.Message, c.ID+" is cancelled") {
					t.Errorf("round %d: approval that lost to a cancel = %d %+v; want 409 conflict saying the change is cancelled", round, approval.status, e)
				}
			}
			after := b.mustChange(t, c.ID)
			if after.State != andon.StateCancelled {
				t.Fatalf("round %d: %s is %s after an approval and a cancel; want cancelled", round, c.ID, after.State)
			}
			// Whatever the order, nothing is approved after the cancel.
			var cancelled bool
			var approvals int
			for _, en := range b.changeEntries(t, c.ID) {
				switch en.Type {
				case andon.EventChangeTransition:
					cancelled = true
				case andon.EventChangeApproved:
					approvals++
					if cancelled {
						t.Errorf("round %d: entry %d approves %s after its cancel", round, en.Index, c.ID)
					}
				}
			}
			if want := map[bool]int{true: 1, false: 0}[approval.status == http.StatusOK]; approvals != want || len(after.Approvals) != want {
				t.Errorf("round %d: %d approval entries and %d approvals of %s; want %d, as the approval's answer %d says", round, approvals, len(after.Approvals), c.ID, want, approval.status)
			}
		}
		if r := a.verify(t); !r.OK {
			t.Errorf("audit verify: %+v", r)
		}
	})
}

func TestCompleteRacingFail(t *testing.T) {
	eachEngine(t, func(t *testing.T, a *env) {
		b := a.MustOpenReplica(t)
		apiA, apiB := a.MustServeAPI(t), b.MustServeAPI(t)
		a.MustStage(t, imageStaged)
		for round := range 6 {
			c := a.mustImplementing(t, fmt.Sprintf("Routing %d", round), imageStaged)
			path := "/api/v1/changes/" + c.ID + "/transitions"
			got := together(
				func() answer {
					return apiA.post(t, "alice", path, map[string]string{"to": "completed", "comment": "smoke tests green"})
				},
				func() answer {
					return apiB.post(t, "bob", path, map[string]string{"to": "failed", "comment": "pickings stuck"})
				},
			)
			after := b.mustChange(t, c.ID)
			var winners []andon.State
			for i, to := range []andon.State{andon.StateCompleted, andon.StateFailed} {
				r := got[i]
				if r.status == http.StatusOK {
					winners = append(winners, to)
					continue
				}
				e := r.apiError(t)
				want := fmt.Sprintf("change %s is %s and cannot become %s", c.ID, after.State, to)
				if r.status != http.StatusConflict || e.Code != andon.ECONFLICT || !strings.Contains(e.Message, want) {
					t.Errorf("round %d: %s that lost = %d %+v; want 409 conflict saying %q", round, to, r.status, e, want)
				}
			}
			if len(winners) != 1 || after.State != winners[0] {
				t.Fatalf("round %d: %v succeeded and %s is %s; want exactly one to win", round, winners, c.ID, after.State)
			}
			if got, want := transitionsTo(t, b.changeEntries(t, c.ID)), []string{"implementing", string(winners[0])}; !cmp.Equal(got, want) {
				t.Errorf("round %d: %s's transitions = %q, want %q", round, c.ID, got, want)
			}
		}
		if r := a.verify(t); !r.OK {
			t.Errorf("audit verify: %+v", r)
		}
	})
}

func TestGateRacingCancel(t *testing.T) {
	eachEngine(t, func(t *testing.T, a *env) {
		b := a.MustOpenReplica(t)
		apis := []*api{a.MustServeAPI(t), b.MustServeAPI(t)}
		a.MustStage(t, imageStaged)
		for round := range 6 {
			c := a.mustApproved(t, fmt.Sprintf("Routing %d", round), imageStaged)
			// Gate calls on both replicas, some decided from the read pool
			// while the writer is busy, race the requester's cancel: a
			// decision read before the cancel must not start the change
			// after it.
			const n = 6
			calls := []func() answer{func() answer {
				return apis[round%2].post(t, "alice", "/api/v1/changes/"+c.ID+"/transitions", map[string]string{"to": "cancelled", "comment": "superseded"})
			}}
			for i := range n {
				calls = append(calls, func() answer {
					return apis[i%2].post(t, "alice", "/api/v1/gate", andon.GateRequest{Environment: "prod-geelong", Image: imageStaged})
				})
			}
			got := together(calls...)
			cancel := got[0]
			var allowed int
			for i, r := range got[1:] {
				var res andon.GateResult
				if err := json.Unmarshal(r.body, &res); err != nil || r.status != http.StatusOK {
					t.Fatalf("round %d: gate call %d: %d %s", round, i, r.status, r.body)
				}
				if res.Allow {
					allowed++
					if res.Change == nil || res.Change.ID != c.ID {
						t.Errorf("round %d: gate call %d allowed %+v; want %s", round, i, res.Change, c.ID)
					}
				}
			}
			after := b.mustChange(t, c.ID)
			switch {
			case cancel.status == http.StatusOK:
				if after.State != andon.StateCancelled {
					t.Fatalf("round %d: cancel answered 200 and %s is %s", round, c.ID, after.State)
				}
			default:
				e := cancel.apiError(t)
				if cancel.status != http.StatusConflict || !strings.Contains(e.Message, c.ID+" is implementing and cannot become cancelled") {
					t.Errorf("round %d: cancel that lost to the gate = %d %+v; want 409 conflict saying the change is implementing", round, cancel.status, e)
				}
				if after.State != andon.StateImplementing || allowed == 0 {
					t.Fatalf("round %d: cancel refused, %d gate calls allowed, %s is %s; want it implementing", round, allowed, c.ID, after.State)
				}
			}
			// In the log, the change is started at most once, never after
			// its cancel, and no decision after the cancel allows it.
			var cancelled bool
			var started int
			for _, en := range b.changeEntries(t, c.ID) {
				switch en.Type {
				case andon.EventChangeTransition:
					var data struct{ To andon.State }
					if err := json.Unmarshal(en.Data, &data); err != nil {
						t.Fatal(err)
					}
					switch data.To {
					case andon.StateCancelled:
						cancelled = true
					case andon.StateImplementing:
						started++
						if cancelled {
							t.Errorf("round %d: entry %d starts %s after its cancel", round, en.Index, c.ID)
						}
					}
				case andon.EventGateDecision:
					var data struct{ Allow bool }
					if err := json.Unmarshal(en.Data, &data); err != nil {
						t.Fatal(err)
					}
					if data.Allow && cancelled {
						t.Errorf("round %d: entry %d allows a deployment of %s after its cancel", round, en.Index, c.ID)
					}
				}
			}
			if started > 1 || (started == 1) != (after.State == andon.StateImplementing) {
				t.Errorf("round %d: %s started %d times and is %s", round, c.ID, started, after.State)
			}
			if after.State == andon.StateImplementing {
				// Close it, so that the next round's change is the one the
				// gate finds.
				if _, err := a.changes.Transition(as("alice"), c.ID, andon.StateCompleted, ""); err != nil {
					t.Fatal(err)
				}
			}
		}
		if r := a.verify(t); !r.OK {
			t.Errorf("audit verify: %+v", r)
		}
	})
}
