package client_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/client"
)

// request is what the test server saw of one request.
type request struct {
	Method string
	Path   string
	Query  url.Values
	Body   any // decoded JSON, nil when there was none
	Auth   string
	Agent  string
}

// answer is what the test server sends back.
type answer struct {
	status int
	file   string // under testdata; "" for no body
	body   string // literal body, used when file is ""
	// contentType is the answer's Content-Type; "" for application/json.
	contentType string
}

// server is an andon API stand-in on loopback that replays recorded bodies
// and remembers the last request.
type server struct {
	*httptest.Server
	mu   sync.Mutex
	last request
	ans  answer
}

func newServer(t *testing.T, ans answer) *server {
	t.Helper()
	s := &server{ans: ans}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading request body: %v", err)
		}
		req := request{
			Method: r.Method,
			Path:   r.URL.EscapedPath(),
			Query:  r.URL.Query(),
			Auth:   r.Header.Get("Authorization"),
			Agent:  r.Header.Get("User-Agent"),
		}
		if len(data) > 0 {
			if err := json.Unmarshal(data, &req.Body); err != nil {
				t.Errorf("request body is not JSON: %v: %s", err, data)
			}
			if got := r.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", got)
			}
		}
		s.mu.Lock()
		s.last = req
		s.mu.Unlock()

		body := []byte(s.ans.body)
		if s.ans.file != "" {
			body = mustRead(t, s.ans.file)
		}
		ct := s.ans.contentType
		if ct == "" {
			ct = "application/json"
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(s.ans.status)
		w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) request() request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

func mustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// mustDecode decodes a recorded body into a new T: the value a method
// should return for it.
func mustDecode[T any](tb testing.TB, name string) T {
	tb.Helper()
	var v T
	if err := json.Unmarshal(mustRead(tb, name), &v); err != nil {
		tb.Fatal(err)
	}
	return v
}

func mustTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func TestMethods(t *testing.T) {
	const image = "registry.example.com/odoo/odoo@sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
	at := mustTime(t, "2026-03-08T01:30:00Z")
	change := mustDecode[andon.Change](t, "change.json")

	tests := []struct {
		name string
		call func(context.Context, *client.Client) (any, error)
		ans  answer
		req  request // Auth and Agent are checked separately
		want any
	}{
		{
			name: "me",
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.Me(ctx) },
			ans:  answer{status: 200, file: "me.json"},
			req:  request{Method: "GET", Path: "/api/v1/me"},
			want: &andon.User{Name: "carol", Roles: []string{"change-manager", "process-owner:finance"}},
		},
		{
			name: "create change",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.CreateChange(ctx, &andon.ChangeRequest{
					Environment: "prod-lyon", Type: andon.ChangeNormal, Title: "Upgrade MRP work orders",
					Artifacts: []string{image},
					Facts:     andon.Facts{Modules: []string{"mrp_workorder"}, Migration: true},
					Window:    &andon.Span{Start: mustTime(t, "2026-03-08T01:00:00Z"), End: mustTime(t, "2026-03-08T03:00:00Z")},
					Links:     []andon.Link{{Kind: "ticket", URL: "https://tickets.example.com/OPS-17"}},
				})
			},
			ans: answer{status: 201, file: "change.json"},
			req: request{Method: "POST", Path: "/api/v1/changes", Body: map[string]any{
				"environment": "prod-lyon", "type": "normal", "title": "Upgrade MRP work orders",
				"artifacts": []any{image},
				"facts":     map[string]any{"modules": []any{"mrp_workorder"}, "migration": true, "components": nil},
				"window":    map[string]any{"start": "2026-03-08T01:00:00Z", "end": "2026-03-08T03:00:00Z"},
				"links":     []any{map[string]any{"kind": "ticket", "url": "https://tickets.example.com/OPS-17"}},
			}},
			want: &change,
		},
		{
			name: "change",
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.Change(ctx, "CHG-0042") },
			ans:  answer{status: 200, file: "change.json"},
			req:  request{Method: "GET", Path: "/api/v1/changes/CHG-0042"},
			want: &change,
		},
		{
			name: "change id is escaped",
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.Change(ctx, "a/b c") },
			ans:  answer{status: 200, file: "change.json"},
			req:  request{Method: "GET", Path: "/api/v1/changes/a%2Fb%20c"},
			want: &change,
		},
		{
			name: "changes",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				changes, total, err := c.Changes(ctx, andon.ChangeFilter{
					Environment: "prod-lyon", State: andon.StatePending, Tier: andon.LevelHigh,
					Requester: "rachel", Process: "finance", Query: "mrp", Offset: 10, Limit: 2,
				})
				var ids []string
				for _, ch := range changes {
					ids = append(ids, ch.ID)
				}
				return struct {
					IDs   []string
					Total int
				}{ids, total}, err
			},
			ans: answer{status: 200, file: "changes.json"},
			req: request{Method: "GET", Path: "/api/v1/changes", Query: url.Values{
				"environment": {"prod-lyon"}, "state": {"pending"}, "tier": {"high"},
				"requester": {"rachel"}, "process": {"finance"}, "q": {"mrp"}, "offset": {"10"}, "limit": {"2"},
			}},
			want: struct {
				IDs   []string
				Total int
			}{[]string{"CHG-0042", "CHG-0041"}, 7},
		},
		{
			name: "changes without filter sends no query",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				changes, _, err := c.Changes(ctx, andon.ChangeFilter{})
				return len(changes), err
			},
			ans:  answer{status: 200, file: "changes.json"},
			req:  request{Method: "GET", Path: "/api/v1/changes", Query: url.Values{}},
			want: 2,
		},
		{
			name: "approve",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.Decide(ctx, "CHG-0042", andon.Approve, "ok for Sunday")
			},
			ans: answer{status: 200, file: "change.json"},
			req: request{Method: "POST", Path: "/api/v1/changes/CHG-0042/approvals",
				Body: map[string]any{"verdict": "approve", "comment": "ok for Sunday"}},
			want: &change,
		},
		{
			name: "transition",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.Transition(ctx, "CHG-0042", andon.StateRolledBack, "")
			},
			ans:  answer{status: 200, file: "change.json"},
			req:  request{Method: "POST", Path: "/api/v1/changes/CHG-0042/transitions", Body: map[string]any{"to": "rolled-back"}},
			want: &change,
		},
		{
			name: "review",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.Review(ctx, "CHG-0042", "root cause understood")
			},
			ans:  answer{status: 200, file: "change.json"},
			req:  request{Method: "POST", Path: "/api/v1/changes/CHG-0042/review", Body: map[string]any{"comment": "root cause understood"}},
			want: &change,
		},
		{
			name: "findings",
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.Findings(ctx) },
			ans:  answer{status: 200, file: "findings.json"},
			req:  request{Method: "GET", Path: "/api/v1/findings"},
			want: []andon.Finding{{
				Code: "REVIEW_OVERDUE", Message: "emergency change CHG-0039 has no retrospective review",
				ChangeID: "CHG-0039", Due: mustTime(t, "2026-03-05T10:00:00Z"),
			}},
		},
		{
			name: "gate",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.Gate(ctx, andon.GateRequest{Environment: "prod-lyon", Image: image, At: at})
			},
			ans: answer{status: 200, file: "gate-allow.json"},
			req: request{Method: "POST", Path: "/api/v1/gate",
				Body: map[string]any{"environment": "prod-lyon", "image": image, "at": "2026-03-08T01:30:00Z"}},
			want: ptr(mustDecode[andon.GateResult](t, "gate-allow.json")),
		},
		{
			name: "gate leaves out a zero time",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.Gate(ctx, andon.GateRequest{Environment: "prod-lyon", Image: image})
			},
			ans:  answer{status: 200, file: "gate-deny.json"},
			req:  request{Method: "POST", Path: "/api/v1/gate", Body: map[string]any{"environment": "prod-lyon", "image": image}},
			want: ptr(mustDecode[andon.GateResult](t, "gate-deny.json")),
		},
		{
			name: "occurrences",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.Occurrences(ctx, "prod-lyon", mustTime(t, "2026-03-01T00:00:00+01:00"), mustTime(t, "2026-04-01T00:00:00+02:00"))
			},
			ans: answer{status: 200, file: "calendar.json"},
			req: request{Method: "GET", Path: "/api/v1/calendar", Query: url.Values{
				"env": {"prod-lyon"}, "from": {"2026-03-01T00:00:00+01:00"}, "to": {"2026-04-01T00:00:00+02:00"},
			}},
			want: []andon.Occurrence{
				{Window: "sunday-maintenance", Type: andon.WindowMaintenance, Start: mustTime(t, "2026-03-08T01:00:00Z"), End: mustTime(t, "2026-03-08T05:00:00Z")},
				{Window: "month-end-close", Type: andon.WindowFreeze, Start: mustTime(t, "2026-03-29T22:00:00Z"), End: mustTime(t, "2026-03-31T22:00:00Z"), Allow: []andon.ChangeType{andon.ChangeEmergency}},
			},
		},
		{
			name: "occurrences with the server's default range",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				occs, err := c.Occurrences(ctx, "prod-lyon", time.Time{}, time.Time{})
				return len(occs), err
			},
			ans:  answer{status: 200, file: "calendar.json"},
			req:  request{Method: "GET", Path: "/api/v1/calendar", Query: url.Values{"env": {"prod-lyon"}}},
			want: 2,
		},
		{
			name: "next slot",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.NextSlot(ctx, "prod-lyon", 2*time.Hour, mustTime(t, "2026-03-02T12:00:00Z"), "", false)
			},
			ans: answer{status: 200, file: "next.json"},
			req: request{Method: "GET", Path: "/api/v1/calendar/next", Query: url.Values{
				"env": {"prod-lyon"}, "duration": {"2h0m0s"}, "after": {"2026-03-02T12:00:00Z"},
			}},
			want: nextSlot(t),
		},
		{
			name: "next slot for a change type",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.NextSlot(ctx, "prod-lyon", 2*time.Hour, time.Time{}, andon.ChangeEmergency, false)
			},
			ans: answer{status: 200, file: "next.json"},
			req: request{Method: "GET", Path: "/api/v1/calendar/next", Query: url.Values{
				"env": {"prod-lyon"}, "duration": {"2h0m0s"}, "type": {"emergency"},
			}},
			want: nextSlot(t),
		},
		{
			name: "catalog",
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.Catalog(ctx) },
			ans:  answer{status: 200, file: "catalog.json"},
			req:  request{Method: "GET", Path: "/api/v1/catalog"},
			want: withLocations(t, mustDecode[andon.Catalog](t, "catalog.json")),
		},
		{
			name: "checkpoint",
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.Checkpoint(ctx) },
			ans:  answer{status: 200, file: "checkpoint.json"},
			req:  request{Method: "GET", Path: "/api/v1/audit/checkpoint"},
			want: ptr(mustDecode[andon.Checkpoint](t, "checkpoint.json")),
		},
		{
			name: "entries",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.Entries(ctx, andon.AuditFilter{Type: "change.approved", Subject: "CHG-0042", Actor: "carol", Change: "CHG-0042", Process: "finance", After: -1, Limit: 5})
			},
			ans: answer{status: 200, file: "entries.json"},
			req: request{Method: "GET", Path: "/api/v1/audit/entries", Query: url.Values{
				"type": {"change.approved"}, "subject": {"CHG-0042"}, "actor": {"carol"}, "change": {"CHG-0042"}, "process": {"finance"}, "after": {"-1"}, "limit": {"5"},
			}},
			want: mustDecode[struct{ Entries []*andon.Entry }](t, "entries.json").Entries,
		},
		{
			name: "proof",
			call: func(ctx context.Context, c *client.Client) (any, error) { return c.Proof(ctx, 41) },
			ans:  answer{status: 200, file: "proof.json"},
			req:  request{Method: "GET", Path: "/api/v1/audit/proof", Query: url.Values{"index": {"41"}}},
			want: ptr(mustDecode[andon.Proof](t, "proof.json")),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.ans)
			c := client.New(srv.URL+"/", "s3cret")
			got, err := tt.call(context.Background(), c)
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			sameZone := cmp.Comparer(func(a, b *time.Location) bool { return a.String() == b.String() })
			if diff := cmp.Diff(tt.want, got, sameZone); diff != "" {
				t.Errorf("result mismatch (-want +got):\n%s", diff)
			}
			req := srv.request()
			if tt.req.Query == nil {
				tt.req.Query = url.Values{}
			}
			tt.req.Auth, tt.req.Agent = "Bearer s3cret", "andon/"+andon.Version
			if diff := cmp.Diff(tt.req, req); diff != "" {
				t.Errorf("request mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestOptions(t *testing.T) {
	srv := newServer(t, answer{status: 200, file: "me.json"})
	var used bool
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		used = true
		return http.DefaultTransport.RoundTrip(r)
	})}
	c := client.New(srv.URL, "", client.WithHTTPClient(hc), client.WithUserAgent("pipeline/1.0"))
	if _, err := c.Me(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !used {
		t.Error("the given http.Client was not used")
	}
	req := srv.request()
	if req.Auth != "" {
		t.Errorf("Authorization = %q, want none for an empty token", req.Auth)
	}
	if req.Agent != "pipeline/1.0" {
		t.Errorf("User-Agent = %q, want pipeline/1.0", req.Agent)
	}
}

// TestTokenExpiry: the expiry the server's answers carry reaches the
// caller once, however many requests follow, and, on an error too; a
// token that never expires never calls.
func TestTokenExpiry(t *testing.T) {
	at := "2027-02-25T09:00:00Z"
	for _, tt := range []struct {
		name   string
		header string
		status int
		want   []string
	}{
		{"expiring", at, 200, []string{at}},
		{"refused, but expiring", at, 403, []string{at}},
		{"never expiring", "", 200, nil},
		{"unreadable", "next week", 200, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.header != "" {
					w.Header().Set("Andon-Token-Expires", tt.header)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				if tt.status == 200 {
					io.WriteString(w, `{"name": "alice", "roles": []}`)
				} else {
					io.WriteString(w, `{"code": "forbidden", "message": "no"}`)
				}
			}))
			defer srv.Close()
			var got []string
			c := client.New(srv.URL, "andon_x", client.WithTokenExpiry(func(expires time.Time) {
				got = append(got, expires.UTC().Format(time.RFC3339))
			}))
			for range 3 {
				c.Me(context.Background())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("notified %q, want %q", got, tt.want)
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		ans  answer
		want *andon.Error
	}{
		{
			name: "error body",
			ans:  answer{status: 403, file: "error-forbidden.json"},
			want: &andon.Error{Code: andon.EFORBIDDEN, Message: "rachel requested change CHG-0042 and cannot approve it (segregation of duties)"},
		},
		{
			name: "not found",
			ans:  answer{status: 404, file: "error-notfound.json"},
			want: &andon.Error{Code: andon.ENOTFOUND, Message: "change CHG-9999 does not exist"},
		},
		{
			name: "status without error body",
			ans:  answer{status: 409},
			want: &andon.Error{Code: andon.ECONFLICT, Message: "server answered 409 Conflict"},
		},
		{
			name: "proxy page",
			ans:  answer{status: 502, body: "<html>\n<title>bad gateway</title>\n</html>\n", contentType: "text/html"},
			want: &andon.Error{Code: andon.EINTERNAL, Message: "SERVER answered 502 Bad Gateway with an HTML page, not andon's JSON: a proxy's error page: is andon behind it running and reachable?"},
		},
		{
			name: "another service's page not found",
			ans:  answer{status: 404, body: "<html><body>Not Found</body></html>\n", contentType: "text/html"},
			want: &andon.Error{Code: andon.ENOTFOUND, Message: "SERVER answered 404 Not Found with an HTML page, not andon's JSON: is it an andon server?"},
		},
		{
			name: "proxy text on one line",
			ans:  answer{status: 503, body: "upstream connect error\nor disconnect/reset before headers\n", contentType: "text/plain"},
			want: &andon.Error{Code: andon.EINTERNAL, Message: "server answered 503 Service Unavailable: upstream connect error or disconnect/reset before headers"},
		},
		{
			name: "another service's page",
			ans:  answer{status: 200, body: "<!DOCTYPE html>\n<html><body>Sign in</body></html>\n", contentType: "text/html; charset=utf-8"},
			want: &andon.Error{Code: andon.EINTERNAL, Message: "SERVER answered GET /api/v1/changes/CHG-0042 with an HTML page, not andon's JSON: is it an andon server?"},
		},
		{
			name: "another service's text",
			ans:  answer{status: 200, body: "OK\n", contentType: "text/plain; charset=utf-8"},
			want: &andon.Error{Code: andon.EINTERNAL, Message: "SERVER answered GET /api/v1/changes/CHG-0042 with text/plain, not andon's JSON: is it an andon server?"},
		},
		{
			name: "malformed answer",
			ans:  answer{status: 200, body: `{"id": 42}`},
			want: &andon.Error{Code: andon.EINTERNAL, Message: "cannot decode the answer of GET /api/v1/changes/CHG-0042: json: cannot unmarshal number into Go struct field Change.id of type string"},
		},
		{
			name: "empty answer",
			ans:  answer{status: 200},
			want: &andon.Error{Code: andon.EINTERNAL, Message: "cannot decode the answer of GET /api/v1/changes/CHG-0042: EOF"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.ans)
			got, err := client.New(srv.URL, "tok").Change(context.Background(), "CHG-0042")
			if got != nil {
				t.Errorf("got a change %+v with an error", got)
			}
			want := *tt.want
			want.Message = strings.ReplaceAll(want.Message, "SERVER", srv.URL)
			if diff := cmp.Diff(&want, err); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	// A port that was just free and is closed again refuses connections.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + l.Addr().String()
	l.Close()

	c := client.New(base, "tok")
	_, err = c.Me(context.Background())
	assertUnreachable(t, err, base)

	res, err := c.Gate(context.Background(), andon.GateRequest{Environment: "prod-lyon", Image: "x"})
	if res != nil {
		t.Errorf("Gate returned %+v for an unreachable server", res)
	}
	assertUnreachable(t, err, base)
}

// A server that accepts the request but does not answer within the
// client's timeout is said to be slow, with the time waited, not
// unreachable: a pipeline's log then points at the server rather than
// the network. The gate fails closed, and a caller's own deadline or
// cancellation stays the error it was.
func TestServerTooSlow(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	want := &andon.Error{Code: andon.EINTERNAL, Message: "andon server at " + srv.URL + " did not answer within 50ms"}

	c := client.New(srv.URL, "tok", client.WithHTTPClient(&http.Client{Timeout: 50 * time.Millisecond}))
	_, err := c.Me(context.Background())
	if diff := cmp.Diff(want, err); diff != "" {
		t.Errorf("Me (-want +got):\n%s", diff)
	}
	res, err := c.Gate(context.Background(), andon.GateRequest{Environment: "prod-lyon", Image: "x"})
	if res != nil {
		t.Errorf("Gate returned %+v for a server that did not answer", res)
	}
	if diff := cmp.Diff(want, err); diff != "" {
		t.Errorf("Gate (-want +got):\n%s", diff)
	}

	// Headers in time, the body not.
	stalled := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(`{"allow": true,`))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer stalled.Close()
	c = client.New(stalled.URL, "tok", client.WithHTTPClient(&http.Client{Timeout: 50 * time.Millisecond}))
	res, err = c.Gate(context.Background(), andon.GateRequest{Environment: "prod-lyon", Image: "x"})
	want.Message = "andon server at " + stalled.URL + " did not answer within 50ms"
	if res != nil || cmp.Diff(want, err) != "" {
		t.Errorf("Gate of a body that stalls = %+v, %v; want %v", res, err, want)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = client.New(srv.URL, "tok").Me(ctx)
	assertUnreachable(t, err, srv.URL)
}

func TestCancelled(t *testing.T) {
	srv := newServer(t, answer{status: 200, file: "me.json"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := client.New(srv.URL, "tok").Me(ctx)
	assertUnreachable(t, err, srv.URL)
}

func assertUnreachable(t *testing.T, err error, base string) {
	t.Helper()
	e, ok := err.(*andon.Error)
	if !ok {
		t.Fatalf("error = %#v, want *andon.Error", err)
	}
	if e.Code != andon.EINTERNAL {
		t.Errorf("code = %q, want %q", e.Code, andon.EINTERNAL)
	}
	if prefix := "cannot reach andon server at " + base + ": "; !strings.HasPrefix(e.Message, prefix) {
		t.Errorf("message = %q, want prefix %q", e.Message, prefix)
	}
}

func TestGateStatuses(t *testing.T) {
	tests := []struct {
		name       string
		ans        answer
		wantResult *andon.GateResult
		wantErr    *andon.Error
	}{
		{
			name:       "allowed",
			ans:        answer{status: 200, file: "gate-allow.json"},
			wantResult: ptr(mustDecode[andon.GateResult](t, "gate-allow.json")),
		},
		{
			name:       "denied is an answer, not an error",
			ans:        answer{status: 200, file: "gate-deny.json"},
			wantResult: ptr(mustDecode[andon.GateResult](t, "gate-deny.json")),
		},
		{
			name:       "bad request keeps its reasons",
			ans:        answer{status: 400, file: "gate-bad.json"},
			wantResult: ptr(mustDecode[andon.GateResult](t, "gate-bad.json")),
			wantErr:    &andon.Error{Code: andon.EINVALID, Message: `BAD_IMAGE_REFERENCE: image "odoo:17" is not pinned by digest`},
		},
		{
			name:       "server failure keeps its reasons",
			ans:        answer{status: 500, file: "gate-internal.json"},
			wantResult: ptr(mustDecode[andon.GateResult](t, "gate-internal.json")),
			wantErr:    &andon.Error{Code: andon.EINTERNAL, Message: "CANNOT_DECIDE: policy evaluation failed"},
		},
		{
			name:       "an allow with an error status is not an allow",
			ans:        answer{status: 503, body: `{"allow": true, "reasons": [], "change": null, "auditIndex": 0}`},
			wantResult: &andon.GateResult{Allow: false, Reasons: []andon.Reason{}},
			wantErr:    &andon.Error{Code: andon.EINTERNAL, Message: "the gate answered 503 Service Unavailable"},
		},
		{
			name:    "error body",
			ans:     answer{status: 401, file: "error-unauthorized.json"},
			wantErr: &andon.Error{Code: andon.EUNAUTHORIZED, Message: "missing or invalid bearer token"},
		},
		{
			name:    "an answer without allow is not a decision",
			ans:     answer{status: 200, body: `{"reasons": []}`},
			wantErr: &andon.Error{Code: andon.EINTERNAL, Message: `server answered 200 OK: {"reasons": []}`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.ans)
			got, err := client.New(srv.URL, "tok").Gate(context.Background(), andon.GateRequest{Environment: "prod-lyon", Image: "odoo:17"})
			if diff := cmp.Diff(tt.wantResult, got); diff != "" {
				t.Errorf("result mismatch (-want +got):\n%s", diff)
			}
			var wantErr error
			if tt.wantErr != nil {
				wantErr = tt.wantErr
			}
			if diff := cmp.Diff(wantErr, err); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// withLocations resolves the plants' time zones, as Client.Catalog does.
func withLocations(t *testing.T, cat andon.Catalog) *andon.Catalog {
	t.Helper()
	for _, p := range cat.Plants {
		loc, err := time.LoadLocation(p.Timezone)
		if err != nil {
			t.Fatal(err)
		}
		p.Location = loc
	}
	return &cat
}

// TestErrorsHideThePassword: a server URL with a user and password in it
// is named in errors without the password, as the server's own log
// names a database URL.
func TestErrorsHideThePassword(t *testing.T) {
	srv := newServer(t, answer{status: 200, body: "<html><body>Sign in</body></html>\n", contentType: "text/html"})
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for _, base := range []string{srv.URL, closed.URL} {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.UserPassword("andon", "s3cret")
		_, err = client.New(u.String(), "t0ken").Change(context.Background(), "CHG-1")
		if msg := andon.ErrorMessage(err); err == nil || strings.Contains(msg, "s3cret") || !strings.Contains(msg, "andon:xxxxx@") {
			t.Errorf("server %s: error %q; want one naming the URL without its password", u.Redacted(), msg)
		}
	}
}

// TestRedirectsAreNotFollowed checks that a redirect, which andon's API
// never sends, takes the token nowhere: net/http would send it on to
// another port of the same host, as here, or from https to http.
func TestRedirectsAreNotFollowed(t *testing.T) {
	var (
		mu   sync.Mutex
		auth []string
	)
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"allow": true, "reasons": [{"code": "ALLOWED", "message": "ok"}]}`)
	}))
	defer elsewhere.Close()
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, elsewhere.URL+r.URL.Path, status)
		}))
		c := client.New(front.URL, "andon_s3cret")
		_, err := c.Gate(context.Background(), andon.GateRequest{Environment: "prod-lyon", Image: "registry.example.com/odoo@sha256:" + strings.Repeat("a", 64)})
		if code, msg := andon.ErrorCode(err), andon.ErrorMessage(err); code != andon.EINTERNAL || !strings.Contains(msg, "answered POST /api/v1/gate with "+strconv.Itoa(status)) || !strings.Contains(msg, elsewhere.URL) {
			t.Errorf("gate redirected with %d: error %v; want an internal error naming the redirect and where it led", status, err)
		}
		if _, err := c.Me(context.Background()); andon.ErrorCode(err) != andon.EINTERNAL {
			t.Errorf("me redirected with %d: error %v; want an internal error", status, err)
		}
		front.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	if len(auth) > 0 {
		t.Errorf("the server redirected to got %d requests, with Authorization %q; want none", len(auth), auth)
	}
}

// nextSlot is the slot of next.json: Sunday 02:00 to 04:00 in Lyon, which
// overlaps the nightly MRP run.
func nextSlot(t *testing.T) *andon.FreeSlot {
	return &andon.FreeSlot{
		Span: andon.Span{Start: mustTime(t, "2026-03-08T02:00:00+01:00"), End: mustTime(t, "2026-03-08T04:00:00+01:00")},
		Peaks: []andon.Occurrence{{Window: "nightly-mrp", Type: andon.WindowPeak,
			Start: mustTime(t, "2026-03-08T01:00:00+01:00"), End: mustTime(t, "2026-03-08T03:00:00+01:00"), Allow: []andon.ChangeType{}}},
	}
}
