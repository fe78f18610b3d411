package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/server"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
)

// testNow is the clock of every test server.
var testNow = time.Date(2026, 1, 28, 10, 0, 0, 0, time.UTC)

// Tokens of the test users: alice requests changes, bob is a change
// manager, carol is in the team that owns the production process.
const (
	aliceToken = "alice-token"
	bobToken   = "bob-token"
	carolToken = "carol-token"
)

// testCatalog is a small manufacturer: one plant, one process, one
// environment, one freeze and two teams.
func testCatalog() *andon.Catalog {
	return &andon.Catalog{
		Plants:    []*andon.Plant{{Name: "lyon", Timezone: "Europe/Paris", Criticality: andon.LevelCritical}},
		Processes: []*andon.BusinessProcess{{Name: "production", Tier: andon.LevelCritical, Modules: []string{"mrp"}, Owners: []string{"lyon-ops"}}},
		Environments: []*andon.Environment{{Name: "prod-lyon", Stage: andon.StageProduction, Hosting: andon.HostingDedicated,
			Plants: []string{"lyon"}, Processes: []string{"production"}}},
		Windows: []*andon.Window{{Name: "month-end-close", Type: andon.WindowFreeze, Allow: []andon.ChangeType{andon.ChangeEmergency}}},
		Teams: []*andon.Team{
			{Name: "change-managers", Roles: []string{andon.RoleChangeManager}, Members: []string{"bob"}, Eligible: []string{"erin"}},
			{Name: "lyon-ops", Roles: []string{andon.RolePlatformAdmin}, Members: []string{"carol"}},
		},
		Revision: "3f2c1a0",
	}
}

// fixture is a running server with its services and its log.
type fixture struct {
	url      string
	changes  *changeService
	gate     *gateService
	calendar *calendarService
	audit    *auditService
	registry *prometheus.Registry
	logs     *syncBuffer
}

// newFixture starts a server on loopback with the test services; options
// may change its configuration before it starts.
func newFixture(tb testing.TB, options ...func(*server.Config)) *fixture {
	tb.Helper()
	f := &fixture{
		changes: newChangeService(testNow),
		gate: &gateService{decide: func(andon.GateRequest) (*andon.GateResult, error) {
			return &andon.GateResult{Allow: true}, nil
		}},
		calendar: &calendarService{},
		audit:    &auditService{},
		registry: prometheus.NewRegistry(),
		logs:     &syncBuffer{},
	}
	cfg := server.Config{
		Logger:   slog.New(slog.NewJSONHandler(f.logs, nil)),
		Changes:  f.changes,
		Gate:     f.gate,
		Audit:    f.audit,
		Calendar: f.calendar,
		Catalog:  catalogSource{testCatalog()},
		Tokens:   tokenService{aliceToken: "alice", bobToken: "bob", carolToken: "carol"},
		Now:      func() time.Time { return testNow },
		Registry: f.registry,
	}
	for _, o := range options {
		o(&cfg)
	}
	srv := httptest.NewServer(server.New(cfg))
	tb.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

// response is what a request got back.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request with token as bearer (none when token is "") and an
// optional JSON body, and reads the whole answer.
func (f *fixture) do(tb testing.TB, method, path, token, body string, header ...string) *response {
	tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.url+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}
}

// decode decodes the body of r into a new T, failing the test when it is
// not JSON of that shape.
func decode[T any](tb testing.TB, r *response) T {
	tb.Helper()
	var v T
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		tb.Fatalf("decode %T from %s: %v", v, r.body, err)
	}
	return v
}

// mustError checks that r is a JSON error with status and code, and
// returns its message.
func mustError(tb testing.TB, r *response, status int, code string) string {
	tb.Helper()
	if r.status != status {
		tb.Errorf("status = %d, want %d (body %s)", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Errorf("Content-Type = %q, want application/json", ct)
	}
	e := decode[andon.Error](tb, r)
	if e.Code != code {
		tb.Errorf("code = %q, want %q (message %q)", e.Code, code, e.Message)
	}
	return e.Message
}

// syncBuffer is a log sink that handlers on several goroutines may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// records returns the log records whose msg is msg.
func (s *syncBuffer) records(tb testing.TB, msg string) []map[string]any {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for line := range strings.Lines(s.b.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			tb.Fatalf("log line %q: %v", line, err)
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// awaitRecords returns the log records whose msg is msg once there are n
// of them. A request's record is written after its answer has left (the
// server flushes a whole answer first), so a client may read the answer
// before the record exists.
func (s *syncBuffer) awaitRecords(tb testing.TB, msg string, n int) []map[string]any {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		recs := s.records(tb, msg)
		if len(recs) >= n || time.Now().After(deadline) {
			return recs
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestErrorTable(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		want       andon.Error
	}{
		{"invalid", andon.Errorf(andon.EINVALID, "id: bad"), http.StatusBadRequest,
			andon.Error{Code: andon.EINVALID, Message: "id: bad"}},
		{"unauthorized", andon.Errorf(andon.EUNAUTHORIZED, "who are you"), http.StatusUnauthorized,
			andon.Error{Code: andon.EUNAUTHORIZED, Message: "who are you"}},
		{"forbidden", andon.Errorf(andon.EFORBIDDEN, "segregation of duties"), http.StatusForbidden,
			andon.Error{Code: andon.EFORBIDDEN, Message: "segregation of duties"}},
		{"not_found", andon.Errorf(andon.ENOTFOUND, "change x not found"), http.StatusNotFound,
			andon.Error{Code: andon.ENOTFOUND, Message: "change x not found"}},
		{"conflict", andon.Errorf(andon.ECONFLICT, "already approved"), http.StatusConflict,
			andon.Error{Code: andon.ECONFLICT, Message: "already approved"}},
		{"wrapped", fmt.Errorf("find: %w", andon.Errorf(andon.ENOTFOUND, "gone")), http.StatusNotFound,
			andon.Error{Code: andon.ENOTFOUND, Message: "gone"}},
		// Internal errors never show their details, but the request id
		// they are logged under, for the client to quote.
		{"internal", andon.Errorf(andon.EINTERNAL, "password=hunter2"), http.StatusInternalServerError,
			andon.Error{Code: andon.EINTERNAL, Message: "Internal error (request id req-internal)."}},
		{"plain", errors.New("dial tcp 10.0.0.5:5432: connection refused"), http.StatusInternalServerError,
			andon.Error{Code: andon.EINTERNAL, Message: "Internal error (request id req-plain)."}},
		{"unknown-code", &andon.Error{Code: "teapot", Message: "short and stout"}, http.StatusInternalServerError,
			andon.Error{Code: andon.EINTERNAL, Message: "Internal error (request id req-unknown-code)."}},
		// A fault says what failed, but not its cause, with a 503: the
		// request was not at fault.
		{"fault", fmt.Errorf("%w: %w", &andon.Fault{Message: "no space left on the database's disk"}, errors.New("write /var/lib/andon/andon.db: no space left on device")),
			http.StatusServiceUnavailable, andon.Error{Code: andon.EINTERNAL, Message: "no space left on the database's disk"}},
	}
	f := newFixture(t)
	for _, tt := range tests {
		f.changes.errs[tt.name] = tt.err
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, "GET", "/api/v1/changes/"+tt.name, aliceToken, "", "X-Request-Id", "req-"+tt.name)
			if r.status != tt.wantStatus {
				t.Errorf("status = %d, want %d", r.status, tt.wantStatus)
			}
			if diff := cmp.Diff(tt.want, decode[andon.Error](t, r)); diff != "" {
				t.Errorf("body mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStoreThatDoesNotAnswer: a request that fails with an internal error
// naming no fault, a driver's error of a lost connection, is answered with
// the fault of the store when the store, pinged, does not answer: on the
// routes that read it and in authentication, as the gate tells it. The
// error itself is logged. While the store answers, the error is internal.
func TestStoreThatDoesNotAnswer(t *testing.T) {
	var down atomic.Bool
	noAnswer := fmt.Errorf("%w: %w", &andon.Fault{Message: "the database does not answer"}, errors.New("dial tcp 10.0.0.5:5432: connect: connection refused"))
	f := newFixture(t, func(c *server.Config) {
		c.Ping = func(context.Context) error {
			if down.Load() {
				return noAnswer
			}
			return nil
		}
	})
	f.changes.errs["CHG-9"] = errors.New("read change CHG-9: driver: bad connection")
	for _, tt := range []struct {
		name, path, token string
	}{
		{"handler", "/api/v1/changes/CHG-9", aliceToken},
		{"authentication", "/api/v1/changes/CHG-1", "broken"},
		{"feed token", "/api/v1/calendar.ics?env=prod-lyon&token=broken", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			down.Store(false)
			if msg := mustError(t, f.do(t, "GET", tt.path, tt.token, "", "X-Request-Id", "req-1"), http.StatusInternalServerError, andon.EINTERNAL); msg != "Internal error (request id req-1)." {
				t.Errorf("while the store answers: message = %q, want the generic one", msg)
			}
			down.Store(true)
			if msg := mustError(t, f.do(t, "GET", tt.path, tt.token, ""), http.StatusServiceUnavailable, andon.EINTERNAL); msg != "the database does not answer" {
				t.Errorf("while the store does not answer: message = %q, want the fault's", msg)
			}
		})
	}
	if recs := f.logs.records(t, "internal error"); len(recs) != 6 {
		t.Errorf("got %d internal error records, want one for each failed request", len(recs))
	}
}

func TestInternalErrorsAreLogged(t *testing.T) {
	f := newFixture(t)
	f.changes.errs["CHG-9"] = errors.New("dial tcp 10.0.0.5:5432: connection refused")
	r := f.do(t, "GET", "/api/v1/changes/CHG-9", aliceToken, "", "X-Request-Id", "req-42")
	mustError(t, r, http.StatusInternalServerError, andon.EINTERNAL)
	if got := r.header.Get("X-Request-Id"); got != "req-42" {
		t.Errorf("X-Request-Id = %q, want req-42", got)
	}
	recs := f.logs.records(t, "internal error")
	if len(recs) != 1 {
		t.Fatalf("got %d internal error records, want 1", len(recs))
	}
	got := map[string]any{"request_id": recs[0]["request_id"], "route": recs[0]["route"], "user": recs[0]["user"], "err": recs[0]["err"]}
	want := map[string]any{"request_id": "req-42", "route": "/api/v1/changes/{id}", "user": "alice",
		"err": "dial tcp 10.0.0.5:5432: connection refused"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("log record mismatch (-want +got):\n%s", diff)
	}
}

func TestRequestLog(t *testing.T) {
	f := newFixture(t)
	f.do(t, "GET", "/api/v1/me", bobToken, "", "X-Request-Id", "req-7")
	recs := f.logs.awaitRecords(t, "request", 1)
	if len(recs) != 1 {
		t.Fatalf("got %d request records, want 1", len(recs))
	}
	rec := recs[0]
	// The time the request took, in milliseconds, as a number.
	if ms, ok := rec["duration_ms"].(float64); !ok || ms < 0 {
		t.Errorf("request record %v: duration_ms = %v, want a number of milliseconds", rec, rec["duration_ms"])
	}
	delete(rec, "duration_ms")
	delete(rec, "time")
	// The client's address, so that a refused token can be traced to
	// where it came from; the port is the test client's.
	if remote, _ := rec["remote"].(string); !strings.HasPrefix(remote, "127.0.0.1:") {
		t.Errorf("request record remote = %v, want the client's address 127.0.0.1:PORT", rec["remote"])
	}
	delete(rec, "remote")
	want := map[string]any{"level": "INFO", "msg": "request", "method": "GET", "path": "/api/v1/me",
		"route": "/api/v1/me", "status": float64(200), "user": "bob", "request_id": "req-7"}
	if diff := cmp.Diff(want, rec); diff != "" {
		t.Errorf("request record mismatch (-want +got):\n%s", diff)
	}
}

// TestRequestLogRedactsTokens checks that a token a client put in the
// path of a request, rather than in its header or the feed's query,
// does not reach the request log: the path is logged with the token
// replaced, its kind kept.
func TestRequestLogRedactsTokens(t *testing.T) {
	f := newFixture(t)
	secret := "s3CRET-t0ken_value"
	tests := []struct{ path, want string }{
		// The ? of a feed URL escaped: the query is in the path.
		{"/api/v1/calendar.ics%3Fenv=prod-lyon%26token=andonfeed_" + secret, "/api/v1/calendar.ics?env=prod-lyon&token=[redacted]"},
		{"/api/v1/calendar.ics;TOKEN=" + secret, "/api/v1/calendar.ics;TOKEN=[redacted]"},
		{"/api/v1/calendar.ics/andonfeed_" + secret, "/api/v1/calendar.ics/andonfeed_[redacted]"},
		// Where an id goes, on a route that matches.
		{"/api/v1/changes/andon_" + secret, "/api/v1/changes/andon_[redacted]"},
		{"/api/v1/changes/andonsession_" + secret + "/approvals", "/api/v1/changes/andonsession_[redacted]/approvals"},
		// Escaped once, in either case of hex digits: the router
		// decodes it, and the path logged is the one decoded.
		{"/api/v1/changes/%61%6E%64%6fn_" + secret, "/api/v1/changes/andon_[redacted]"},
		{"/api/v1/calendar.ics%3fenv=prod-lyon%26%54o%6BEN%3dandonfeed_" + secret, "/api/v1/calendar.ics?env=prod-lyon&TokEN=[redacted]"},
		{"/api/v1/calendar.ics%3Fenv=prod-lyon%26to%6ben%3D" + secret, "/api/v1/calendar.ics?env=prod-lyon&token=[redacted]"},
		// Escaped twice, it is decoded once, and reaches the handler as
		// the id %61ndon_…, which nothing takes for a token: a token is
		// matched whole, its prefix as it was issued.
		{"/api/v1/changes/%2561ndon_CHG-7", "/api/v1/changes/%61ndon_CHG-7"},
		// Nothing else is touched.
		{"/api/v1/changes/CHG-7", "/api/v1/changes/CHG-7"},
	}
	for i, tt := range tests {
		f.do(t, "GET", tt.path, aliceToken, "", "X-Request-Id", "path-"+strconv.Itoa(i))
	}
	recs := f.logs.awaitRecords(t, "request", len(tests))
	if strings.Contains(f.logs.String(), secret) {
		t.Errorf("the log holds the token:\n%s", f.logs.String())
	}
	for i, tt := range tests {
		var got []any
		for _, rec := range recs {
			if rec["request_id"] == "path-"+strconv.Itoa(i) {
				got = append(got, rec["path"])
			}
		}
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("GET %s: request log path = %v, want %q", tt.path, got, tt.want)
		}
	}
}

// blockingWriter holds every write until release is closed.
type blockingWriter struct{ release chan struct{} }

func (w blockingWriter) Write(p []byte) (int, error) {
	<-w.release
	return len(p), nil
}

func TestAnswerLeavesBeforeTheRequestIsLogged(t *testing.T) {
	log := blockingWriter{release: make(chan struct{})}
	f := newFixture(t, func(cfg *server.Config) { cfg.Logger = slog.New(slog.NewJSONHandler(log, nil)) })
	// The log is stuck until the answer has arrived: a server that wrote
	// its request log before sending the answer would never answer.
	got := make(chan *http.Response, 1)
	go func() {
		req, _ := http.NewRequest("GET", f.url+"/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+bobToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			close(got)
			return
		}
		got <- resp
	}()
	select {
	case resp := <-got:
		if resp == nil {
			break
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"bob"`) {
			t.Errorf("answer: %d %s %v", resp.StatusCode, body, err)
		}
		if resp.ContentLength != int64(len(body)) {
			t.Errorf("Content-Length = %d, body of %d bytes", resp.ContentLength, len(body))
		}
	case <-time.After(10 * time.Second):
		t.Error("no answer while the request log was blocked: the answer waits for the log")
	}
	close(log.release)
}

func TestRequestID(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, sent string
		keep       bool
	}{
		{"reused", "abc-123_x.y:z", true},
		{"none", "", false},
		{"unsafe", `abc 123" level=ERROR`, false},
		{"too-long", strings.Repeat("a", 129), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, "GET", "/healthz", "", "", "X-Request-Id", tt.sent)
			got := r.header.Get("X-Request-Id")
			switch {
			case tt.keep && got != tt.sent:
				t.Errorf("X-Request-Id = %q, want %q", got, tt.sent)
			case !tt.keep && (got == "" || got == tt.sent):
				t.Errorf("X-Request-Id = %q, want a new id", got)
			}
		})
	}
}

func TestAuthentication(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name          string
		query         string
		authorization string
		wantStatus    int
		wantChallenge string
		wantMsg       string // part of the error message
		wantUser      *andon.User
		wantExpires   string // the Andon-Token-Expires header
	}{
		{name: "no header", wantStatus: 401, wantChallenge: `Bearer realm="andon"`, wantMsg: "missing bearer token"},
		{name: "basic", authorization: "Basic YWxpY2U6cHc=", wantStatus: 401, wantChallenge: `Bearer realm="andon"`,
			wantMsg: `the Authorization header is not of the Bearer scheme`},
		{name: "a token without a scheme", authorization: "andon_secret", wantStatus: 401, wantChallenge: `Bearer realm="andon"`,
			wantMsg: `the Authorization header is not of the Bearer scheme`},
		{name: "empty bearer", authorization: "Bearer ", wantStatus: 401, wantChallenge: `Bearer realm="andon"`,
			wantMsg: `holds "Bearer" but no token`},
		{name: "token in the URL", query: "?token=" + aliceToken, wantStatus: 401, wantChallenge: `Bearer realm="andon"`,
			wantMsg: "a token in the URL opens only the calendar feed"},
		{name: "unknown token", authorization: "Bearer nope", wantStatus: 401, wantChallenge: `Bearer realm="andon", error="invalid_token"`,
			wantMsg: "the bearer token is not valid: it is unknown or was revoked"},
		{name: "expired token", authorization: "Bearer expired", wantStatus: 401, wantChallenge: `Bearer realm="andon", error="invalid_token"`,
			wantMsg: "the bearer token is not valid: it expired at 2027-02-25T09:00:00Z"},
		{name: "store down", authorization: "Bearer broken", wantStatus: 500},
		{name: "no roles", authorization: "Bearer " + aliceToken, wantStatus: 200,
			wantUser: &andon.User{Name: "alice", Roles: []string{}, Grants: []andon.Grant{}}},
		{name: "a token that expires soon", authorization: "Bearer expiring", wantStatus: 200,
			wantUser:    &andon.User{Name: "alice", Roles: []string{}, TokenExpiresAt: new(soon), Grants: []andon.Grant{}},
			wantExpires: "2026-02-05T10:00:00Z"},
		// Made for less than the notice: its holder knows.
		{name: "a short-lived token", authorization: "Bearer short", wantStatus: 200,
			wantUser: &andon.User{Name: "alice", Roles: []string{}, TokenExpiresAt: new(soon), Grants: []andon.Grant{}}},
		{name: "team role", authorization: "Bearer " + bobToken, wantStatus: 200,
			wantUser: &andon.User{Name: "bob", Roles: []string{"change-manager"}, Grants: []andon.Grant{}}},
		// A grant gives its team's roles while the team lists its
		// holder as eligible.
		{name: "grant", authorization: "Bearer granted", wantStatus: 200,
			wantUser: &andon.User{Name: "erin", Roles: []string{"change-manager"}, Grants: []andon.Grant{{ID: "ACC-1", Team: "change-managers", EndsAt: soon}}}},
		{name: "process owner", authorization: "bearer " + carolToken, wantStatus: 200,
			wantUser: &andon.User{Name: "carol", Roles: []string{"platform-admin", "process-owner:production"}, Grants: []andon.Grant{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, "GET", "/api/v1/me"+tt.query, "", "", "Authorization", tt.authorization)
			if got := r.header.Get("WWW-Authenticate"); got != tt.wantChallenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.wantChallenge)
			}
			if got := r.header.Get("Andon-Token-Expires"); got != tt.wantExpires {
				t.Errorf("Andon-Token-Expires = %q, want %q", got, tt.wantExpires)
			}
			if tt.wantUser == nil {
				code := map[int]string{401: andon.EUNAUTHORIZED, 500: andon.EINTERNAL}[tt.wantStatus]
				if msg := mustError(t, r, tt.wantStatus, code); !strings.Contains(msg, tt.wantMsg) || strings.Contains(msg, "andon_secret") {
					t.Errorf("message %q, want it to say %q, and never repeat the header", msg, tt.wantMsg)
				}
				return
			}
			if r.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", r.status, tt.wantStatus, r.body)
			}
			if diff := cmp.Diff(*tt.wantUser, decode[andon.User](t, r)); diff != "" {
				t.Errorf("user mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPublicRoutesNeedNoToken(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/healthz", "/readyz", "/metrics", "/api/v1/openapi.json"} {
		t.Run(path, func(t *testing.T) {
			if r := f.do(t, "GET", path, "", ""); r.status != http.StatusOK {
				t.Errorf("GET %s = %d, want 200 (body %.200s)", path, r.status, r.body)
			}
		})
	}
}

// TestPublicRoutesRefuseQueries checks that the routes that need no token
// refuse query parameters, as every route of the API that takes none
// does: a probe or a scrape sends none.
func TestPublicRoutesRefuseQueries(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/healthz", "/readyz", "/metrics", "/api/v1/openapi.json"} {
		t.Run(path, func(t *testing.T) {
			r := f.do(t, "GET", path+"?verbose=1", "", "")
			if msg := mustError(t, r, http.StatusBadRequest, andon.EINVALID); msg != `query parameter "verbose" is not known: this route takes none` {
				t.Errorf("GET %s?verbose=1: message %q", path, msg)
			}
		})
	}
}

// TestEveryAnswerForbidsSniffing checks that no answer, whatever its
// type, may be read by a browser as another: the UI's Content-Security-
// Policy allows scripts of the same origin, and a feed or a plain-text
// answer taken for a script would be one.
func TestEveryAnswerForbidsSniffing(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/healthz", "/readyz", "/metrics", "/api/v1/openapi.json",
		"/api/v1/calendar.ics?env=prod-lyon", "/api/v1/me", "/nope"} {
		t.Run(path, func(t *testing.T) {
			r := f.do(t, "GET", path, aliceToken, "")
			if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("GET %s (%d, %s): X-Content-Type-Options = %q, want nosniff", path, r.status, r.header.Get("Content-Type"), got)
			}
		})
	}
}

func TestNotRouted(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		method, path string
		wantStatus   int
		wantCode     string
		wantAllow    string
		wantMessage  string
	}{
		{"GET", "/nope", 404, andon.ENOTFOUND, "", "no route for GET /nope; the API is described at /api/v1/openapi.json"},
		{"GET", "/api/v1/changes/CHG-1/nope", 404, andon.ENOTFOUND, "", "no route for GET /api/v1/changes/CHG-1/nope; the API is described at /api/v1/openapi.json"},
		{"POST", "/api/v1/me", 405, andon.EINVALID, "GET, HEAD", "method POST is not allowed on /api/v1/me; use GET or HEAD"},
		{"DELETE", "/api/v1/changes", 405, andon.EINVALID, "GET, HEAD, POST", "method DELETE is not allowed on /api/v1/changes; use GET, HEAD or POST"},
		{"GET", "/api/v1/gate", 405, andon.EINVALID, "POST", "method GET is not allowed on /api/v1/gate; use POST"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := f.do(t, tt.method, tt.path, aliceToken, "")
			if msg := mustError(t, r, tt.wantStatus, tt.wantCode); msg != tt.wantMessage {
				t.Errorf("message = %q, want %q", msg, tt.wantMessage)
			}
			if got := r.header.Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow = %q, want %q", got, tt.wantAllow)
			}
		})
	}
}

// TestPathsOutsideTheAPI: with the board mounted, a path that is no
// route is the board's to answer, but under /api/, which answers in JSON,
// and a path of the server's own asked with another method, a 405.
func TestPathsOutsideTheAPI(t *testing.T) {
	f := newFixture(t, func(cfg *server.Config) {
		cfg.UI = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, "the board's error page")
		})
	})
	r := f.do(t, "GET", "/nope", "", "")
	if r.status != http.StatusNotFound || string(r.body) != "the board's error page" {
		t.Errorf("GET /nope: %d %q, want the board's 404", r.status, r.body)
	}
	if msg := mustError(t, f.do(t, "GET", "/api/v1/nope", aliceToken, ""), http.StatusNotFound, andon.ENOTFOUND); !strings.HasPrefix(msg, "no route for GET /api/v1/nope") {
		t.Errorf("GET /api/v1/nope: message %q", msg)
	}
	r = f.do(t, "POST", "/healthz", "", "")
	mustError(t, r, http.StatusMethodNotAllowed, andon.EINVALID)
	if got := r.header.Get("Allow"); got != "GET, HEAD" {
		t.Errorf("POST /healthz: Allow = %q, want GET, HEAD", got)
	}
}

func TestPanicRecovery(t *testing.T) {
	f := newFixture(t)
	r := f.do(t, "GET", "/api/v1/changes/panic", aliceToken, "")
	if msg := mustError(t, r, http.StatusInternalServerError, andon.EINTERNAL); msg != "Internal error (request id "+r.header.Get("X-Request-Id")+")." {
		t.Errorf("message = %q, want the generic one", msg)
	}
	recs := f.logs.records(t, "panic")
	if len(recs) != 1 || recs[0]["panic"] != "the store is in a state nobody expected" {
		t.Errorf("panic records = %v, want one with the panic value", recs)
	}
	// The server goes on serving.
	if r := f.do(t, "GET", "/api/v1/me", aliceToken, ""); r.status != http.StatusOK {
		t.Errorf("after a panic, GET /api/v1/me = %d, want 200", r.status)
	}
}

func TestHealthz(t *testing.T) {
	f := newFixture(t)
	r := f.do(t, "GET", "/healthz", "", "")
	if r.status != 200 || string(r.body) != "ok\n" {
		t.Errorf("GET /healthz = %d %q, want 200 \"ok\\n\"", r.status, r.body)
	}
}

func TestReadyz(t *testing.T) {
	tests := []struct {
		name       string
		ready      error
		wantStatus int
		wantBody   string
	}{
		{"ready", nil, 200, "ok\n"},
		{"andon error", andon.Errorf(andon.EINTERNAL, "no catalog loaded"), 503,
			`{"code":"internal","message":"not ready: no catalog loaded"}` + "\n"},
		{"other error", errors.New("ping postgres://admin:secret@db: timeout"), 503,
			`{"code":"internal","message":"not ready: Internal error."}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *server.Config) {
				c.Ready = func(ctx context.Context) error { return tt.ready }
			})
			r := f.do(t, "GET", "/readyz", "", "")
			if r.status != tt.wantStatus || string(r.body) != tt.wantBody {
				t.Errorf("GET /readyz = %d %q, want %d %q", r.status, r.body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

func TestNewHTTPServer(t *testing.T) {
	s := server.NewHTTPServer(":0", http.NotFoundHandler())
	if s.Addr != ":0" || s.Handler == nil {
		t.Errorf("Addr, Handler = %q, %v; want :0 and the handler", s.Addr, s.Handler)
	}
	for name, d := range map[string]time.Duration{
		"ReadHeaderTimeout": s.ReadHeaderTimeout,
		"ReadTimeout":       s.ReadTimeout,
		"WriteTimeout":      s.WriteTimeout,
		"IdleTimeout":       s.IdleTimeout,
	} {
		if d <= 0 {
			t.Errorf("%s = %v, want a limit", name, d)
		}
	}
	if s.MaxHeaderBytes <= 0 {
		t.Errorf("MaxHeaderBytes = %d, want a limit", s.MaxHeaderBytes)
	}
}
