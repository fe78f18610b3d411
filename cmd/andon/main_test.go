package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/andon-governance/andon"
)

// The tests drive run in-process against a stand-in of the API on loopback
// that replays the bodies recorded for the client's tests, the same shapes
// docs/api.md documents.

const recorded = "../../client/testdata"

// route is the answer of the stand-in to one method and path.
type route struct {
	status int
	file   string // under recorded; "" for body
	body   string
}

// seen is what the stand-in saw of one request.
type seen struct {
	method, path, query, auth string
	body                      map[string]any
}

type fakeAPI struct {
	*httptest.Server
	routes map[string]route
	mu     sync.Mutex
	seen   []seen
}

// newAPI starts a stand-in answering routes, keyed "METHOD /path"; any
// other request gets a 404 not_found.
func newAPI(t *testing.T, routes map[string]route) *fakeAPI {
	t.Helper()
	api := &fakeAPI{routes: routes}
	api.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := seen{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, auth: r.Header.Get("Authorization")}
		if data, _ := io.ReadAll(r.Body); len(data) > 0 {
			if err := json.Unmarshal(data, &s.body); err != nil {
				t.Errorf("request body is not a JSON object: %v", err)
			}
		}
		api.mu.Lock()
		api.seen = append(api.seen, s)
		api.mu.Unlock()

		rt, ok := routes[r.Method+" "+r.URL.Path]
		if !ok {
			rt = route{status: 404, body: `{"code": "not_found", "message": "no route ` + r.URL.Path + `"}`}
		}
		body := []byte(rt.body)
		if rt.file != "" {
			var err error
			if body, err = os.ReadFile(filepath.Join(recorded, rt.file)); err != nil {
				t.Error(err)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rt.status)
		w.Write(body)
	}))
	t.Cleanup(api.Close)
	return api
}

// requests returns the requests seen so far.
func (api *fakeAPI) requests() []seen {
	api.mu.Lock()
	defer api.mu.Unlock()
	return append([]seen(nil), api.seen...)
}

// last returns the last request seen, failing the test when there is none.
func (api *fakeAPI) last(t *testing.T) seen {
	t.Helper()
	reqs := api.requests()
	if len(reqs) == 0 {
		t.Fatal("the server saw no request")
	}
	return reqs[len(reqs)-1]
}

type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the command line args with the given environment.
func runCLI(t testing.TB, environ map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string { return environ[k] }
	code := run(context.Background(), append([]string{"andon"}, args...), getenv, strings.NewReader(""), &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

// runWithin runs the command line args as runCLI does, but gives up on a
// command still running after d: a server that starts where it should
// not would otherwise serve until the test times out.
func runWithin(t *testing.T, d time.Duration, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, append([]string{"andon"}, args...), func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr)
	if ctx.Err() != nil {
		t.Fatalf("andon %s was still running after %s\nstderr: %s", strings.Join(args, " "), d, stderr.String())
	}
	return result{code, stdout.String(), stderr.String()}
}

// runAPI runs args against api with a token in the environment.
func runAPI(t *testing.T, api *fakeAPI, args ...string) result {
	t.Helper()
	return runCLI(t, map[string]string{"ANDON_SERVER": api.URL, "ANDON_TOKEN": "t0ken"}, args...)
}

// closedServer returns the URL of a loopback port nothing listens on.
func closedServer(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close()
	return url
}

func mustDecodeFile[T any](t *testing.T, name string) T {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(recorded, name))
	if err != nil {
		t.Fatal(err)
	}
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

const image = "registry.example.com/odoo/odoo@sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"

func TestExitCodes(t *testing.T) {
	api := newAPI(t, map[string]route{
		"GET /api/v1/me":                          {status: 401, file: "error-unauthorized.json"},
		"GET /api/v1/catalog":                     {status: 200, file: "catalog.json"},
		"GET /api/v1/changes/CHG-0042":            {status: 200, file: "change.json"},
		"POST /api/v1/changes/CHG-0042/approvals": {status: 403, file: "error-forbidden.json"},
		"POST /api/v1/changes/CHG-0042/transitions": {status: 409,
			body: `{"code": "conflict", "message": "change CHG-0042 is pending: it cannot be completed"}`},
		"POST /api/v1/changes": {status: 400, body: `{"code": "invalid", "message": "environment: prod-paris is not in the catalog"}`},
		"GET /api/v1/findings": {status: 500, body: `{"code": "internal", "message": "Internal error."}`},
		"GET /api/v1/audit/entries": {status: 400,
			body: `{"code": "invalid", "message": "query parameter limit: 5000 is not between 1 and 1000"}`},
		"GET /api/v1/calendar/next": {status: 400,
			body: `{"code": "invalid", "message": "duration: 400d is longer than the year after 2026-11-27T08:41:45Z in which a slot is looked for"}`},
		"GET /api/v1/calendar": {status: 400,
			body: `{"code": "invalid", "message": "from: 2026-11-27T08:41:45Z is too far"}`},
	})
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string // a line of stderr
	}{
		{"help", []string{"--help"}, 0, ""},
		{"done", []string{"change", "show", "CHG-0042"}, 0, ""},
		{"forbidden", []string{"change", "approve", "CHG-0042"}, 1,
			"andon: rachel requested change CHG-0042 and cannot approve it (segregation of duties)"},
		{"conflict", []string{"change", "complete", "CHG-0042"}, 1,
			"andon: change CHG-0042 is pending: it cannot be completed"},
		{"invalid", []string{"change", "create", "--env", "prod-paris", "--type", "normal", "--title", "x"}, 2,
			"andon: --env: prod-paris is not in the catalog"},
		{"not found", []string{"change", "show", "CHG-9999"}, 2, "andon: no route /api/v1/changes/CHG-9999"},
		{"unauthorized", []string{"whoami"}, 2, "andon: missing or invalid bearer token"},
		{"internal", []string{"findings"}, 2, "andon: Internal error."},
		{"query parameter named as its flag", []string{"audit", "entries", "--limit", "5000"}, 2,
			"andon: --limit: 5000 is not between 1 and 1000"},
		{"a service's message about a flag given named as the flag", []string{"calendar", "next", "--env", "prod-lyon", "--duration", "400d"}, 2,
			"andon: --duration: 400d is longer than the year after 2026-11-27T08:41:45Z in which a slot is looked for"},
		{"a message about a flag not given left as it is", []string{"calendar", "show", "--env", "prod-lyon"}, 2,
			"andon: from: 2026-11-27T08:41:45Z is too far"},
		{"a window backwards named as its flags", []string{"change", "create", "--env", "prod-lyon", "--type", "normal", "--title", "x",
			"--start", "2026-12-01T00:00:00Z", "--end", "2026-11-01T00:00:00Z"}, 2,
			"andon: --start and --end: end 2026-11-01T00:00:00Z is not after start 2026-12-01T00:00:00Z"},
		{"limit 0, which would mean none", []string{"audit", "entries", "--limit", "0"}, 2,
			"andon: --limit 0: give at least 1, or leave --limit out for the server's default"},
		{"limit 0 of changes", []string{"change", "list", "--limit", "0"}, 2,
			"andon: --limit 0: give at least 1, or leave --limit out for the server's default"},
		{"misspelt component", []string{"change", "create", "--env", "prod-lyon", "--type", "normal", "--title", "x", "--component", "redis,postgress"}, 2,
			`andon: --component: "postgress" looks like postgres, which the risk policy knows by that name only; give postgres, or, for another component, a name that cannot be taken for it`},
		{"invalid locally", []string{"change", "create", "--env", "e", "--type", "risky", "--title", "x"}, 2,
			`andon: --type: "risky" is not one of standard, normal, emergency`},
		{"bad flag", []string{"change", "list", "--bogus"}, 2, "andon: unknown flag: --bogus"},
		{"missing argument", []string{"change", "show"}, 2, "andon: missing ID: andon change show ID"},
		{"blank change ID", []string{"change", "show", " "}, 2, `andon: change ID " ": want one such as CHG-9`},
		{"empty change ID, whose path would be another route's", []string{"change", "approve", ""}, 2, `andon: change ID "": want one such as CHG-9`},
		{"empty change ID of a transition", []string{"change", "complete", ""}, 2, `andon: change ID "": want one such as CHG-9`},
		{"missing required flag", []string{"gate", "--env", "prod-lyon"}, 2, "andon: missing --image"},
		{"missing required flags", []string{"gate"}, 2, "andon: missing --env and --image"},
		{"missing user of a token", []string{"token", "create", "--data", "/nonexistent"}, 2, "andon: missing --user"},
		{"help pointed to for a missing user", []string{"token", "create"}, 2, "Run 'andon token create --help' for usage."},
		{"empty user of a token", []string{"token", "create", "--user", ""}, 2, "andon: --user: required"},
		{"help pointed to", []string{"gate"}, 2, "Run 'andon gate --help' for usage."},
		{"argument to a command that takes none", []string{"kube", "webhook-config", "foo"}, 2, `andon: andon kube webhook-config takes no arguments, only flags; got "foo"`},
		{"the value of a flag without the flag", []string{"odoo", "impact", "--from", "v1", "--to", "v2", "./addons", "more"}, 2,
			`andon: andon odoo impact takes no arguments, only flags; got "./addons", "more"`},
		{"help pointed to for an argument", []string{"findings", "overdue"}, 2, "Run 'andon findings --help' for usage."},
		{"unknown command", []string{"chnage"}, 2, `andon: unknown command "chnage" for "andon"; did you mean "change"?`},
		{"unknown subcommand", []string{"change", "frob"}, 2, `andon: unknown command "frob" for "andon change"`},
		{"negative audit index", []string{"audit", "proof", "-1"}, 2, `andon: index "-1": want an entry index, 0 or more`},
		{"negative audit index after --", []string{"audit", "proof", "--", "-12"}, 2, `andon: index "-12": want an entry index, 0 or more`},
		{"negative audit index after a flag", []string{"audit", "proof", "-o", "json", "-12"}, 2, `andon: index "-12": want an entry index, 0 or more`},
		{"unknown shorthand of audit proof", []string{"audit", "proof", "-Z", "3"}, 2, "andon: unknown shorthand flag: 'Z' in -Z"},
		{"unknown help topic", []string{"help", "nope"}, 2, `andon: unknown command "nope" for "andon"`},
		{"unknown help topic, misspelt", []string{"help", "chnage"}, 2, `andon: unknown command "chnage" for "andon"; did you mean "change"?`},
		{"unknown help topic of a group", []string{"help", "change", "lst"}, 2, `andon: unknown command "lst" for "andon change"; did you mean "list"?`},
		{"unknown shell to complete", []string{"completion", "bsh"}, 2, `andon: unknown command "bsh" for "andon completion"; did you mean "bash"?`},
		{"unknown command with a flag of the one meant", []string{"-o", "json", "gat", "--env", "prod-lyon"}, 2, `andon: unknown command "gat" for "andon"; did you mean "gate"?`},
		{"unknown subcommand with a flag of the one meant", []string{"change", "lst", "--state", "pending"}, 2, `andon: unknown command "lst" for "andon change"; did you mean "list"?`},
		{"misspelt flag", []string{"change", "list", "--evn", "prod-lyon"}, 2, "andon: unknown flag: --evn; did you mean --env?"},
		{"misspelt flag, a letter missing", []string{"change", "approve", "CHG-0042", "--coment", "ok"}, 2, "andon: unknown flag: --coment; did you mean --comment?"},
		{"misspelt flag of the root", []string{"change", "list", "--outptu", "json"}, 2, "andon: unknown flag: --outptu; did you mean --output?"},
		{"unknown flag of a group", []string{"change", "--bogus"}, 2, "andon: unknown flag: --bogus"},
		{"unknown flag before a command", []string{"--verbose", "change", "list"}, 2, "andon: unknown flag: --verbose"},
		{"unknown flag before a subcommand", []string{"change", "--bogus", "list"}, 2, "andon: unknown flag: --bogus"},
		{"unknown shorthand before a command", []string{"-Z", "change", "list"}, 2, "andon: unknown shorthand flag: 'Z' in -Z"},
		{"a subcommand's flag without the subcommand", []string{"change", "--state", "pending"}, 2, "andon: unknown flag: --state"},
		{"bad output format", []string{"change", "show", "CHG-0042", "-o", "xml"}, 2,
			`andon: --output "xml": want one of table, text, json, yaml`},
		{"reject needs a reason", []string{"change", "reject", "CHG-0042", "--comment", " "}, 2,
			"andon: --comment: a rejection needs a reason"},
		{"time out of range", []string{"gate", "--env", "prod-lyon", "--image", image, "--at", "0001-01-01T00:00:00Z"}, 2,
			"andon: --at: 0001-01-01T00:00:00Z is outside the years andon reasons about, 1970 to 2199"},
		{"bad time", []string{"gate", "--env", "prod-lyon", "--image", image, "--at", "tomorrow"}, 2,
			`andon: --at "tomorrow": want an RFC 3339 time such as 2026-03-08T02:00:00+01:00`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runAPI(t, api, tt.args...)
			if got.code != tt.wantCode {
				t.Errorf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", got.code, tt.wantCode, got.stdout, got.stderr)
			}
			if tt.wantStderr != "" && !hasLine(got.stderr, tt.wantStderr) {
				t.Errorf("stderr lacks the line %q:\n%s", tt.wantStderr, got.stderr)
			}
			if tt.wantStderr == "" && got.stderr != "" {
				t.Errorf("stderr = %q, want nothing", got.stderr)
			}
		})
	}
}

func TestExitCodeTable(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{&exitError{code: 1}, 1},
		{&exitError{code: 2, err: andon.Errorf(andon.EFORBIDDEN, "x")}, 2},
		{andon.Errorf(andon.EFORBIDDEN, "x"), 1},
		{andon.Errorf(andon.ECONFLICT, "x"), 1},
		{andon.Errorf(andon.EINVALID, "x"), 2},
		{andon.Errorf(andon.ENOTFOUND, "x"), 2},
		{andon.Errorf(andon.EUNAUTHORIZED, "x"), 2},
		{andon.Errorf(andon.EINTERNAL, "x"), 2},
		{andon.Errorf("unheard-of", "x"), 2},
		{&usageError{err: io.EOF}, 2},
		{io.EOF, 2},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("exitCode(%#v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func hasLine(text, line string) bool {
	for _, l := range strings.Split(text, "\n") {
		if l == line {
			return true
		}
	}
	return false
}

func TestGate(t *testing.T) {
	tests := []struct {
		name       string
		route      route
		server     string // overrides the stand-in's URL
		wantCode   int
		wantStdout []string // lines of stdout, in order
	}{
		{
			name:     "allowed",
			route:    route{status: 200, file: "gate-allow.json"},
			wantCode: 0,
			wantStdout: []string{"ALLOWED", "  APPROVED_CHANGE: change CHG-0042 is approved for this image",
				"change: CHG-0042 (implementing, high)", "audit entry: 57"},
		},
		{
			name:     "denied",
			route:    route{status: 200, file: "gate-deny.json"},
			wantCode: 1,
			wantStdout: []string{"DENIED", "  NO_APPROVED_CHANGE: no approved change for prod-lyon carries this image",
				"  FREEZE: month-end-close freezes prod-lyon until 2026-04-01T00:00:00+02:00", "audit entry: 42"},
		},
		{
			name:       "bad request",
			route:      route{status: 400, file: "gate-bad.json"},
			wantCode:   2,
			wantStdout: []string{"DENIED: the gate could not decide", `  BAD_IMAGE_REFERENCE: image "odoo:17" is not pinned by digest`, "audit entry: 43"},
		},
		{
			name:       "server failure",
			route:      route{status: 500, file: "gate-internal.json"},
			wantCode:   2,
			wantStdout: []string{"DENIED: the gate could not decide", "  CANNOT_DECIDE: policy evaluation failed"},
		},
		{
			name:       "an allow with an error status",
			route:      route{status: 503, body: `{"allow": true, "reasons": [], "change": null, "auditIndex": 0}`},
			wantCode:   2,
			wantStdout: []string{"DENIED: the gate could not decide"},
		},
		{
			name:       "not a gate answer",
			route:      route{status: 200, body: `<html>captive portal</html>`},
			wantCode:   2,
			wantStdout: []string{"DENIED: the gate could not decide"},
		},
		{
			name:       "unreachable",
			server:     closedServer(t),
			wantCode:   2,
			wantStdout: []string{"DENIED: the gate could not decide"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newAPI(t, map[string]route{"POST /api/v1/gate": tt.route})
			server := api.URL
			if tt.server != "" {
				server = tt.server
			}
			for _, format := range []string{"text", "json"} {
				got := runCLI(t, map[string]string{"ANDON_SERVER": server},
					"gate", "--env", "prod-lyon", "--image", image, "--at", "2026-03-08T02:30:00+01:00", "-o", format)
				if got.code != tt.wantCode {
					t.Errorf("-o %s: exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", format, got.code, tt.wantCode, got.stdout, got.stderr)
				}
				if format == "json" && (got.stderr != "") != (tt.wantCode == 2) {
					t.Errorf("-o %s: stderr = %q; want a message exactly when the gate could not decide", format, got.stderr)
				}
				if format == "text" {
					// Why the gate could not decide is said once: the
					// server's reasons with the verdict, or else the
					// message on standard error.
					reasons := 0
					for _, line := range strings.Split(got.stdout, "\n") {
						if _, msg, ok := strings.Cut(strings.TrimPrefix(line, "  "), ": "); ok && strings.HasPrefix(line, "  ") {
							reasons++
							if strings.Contains(got.stderr, msg) {
								t.Errorf("stderr repeats the reason %q printed on stdout:\n%s", msg, got.stderr)
							}
						}
					}
					if tt.wantCode == 2 && (reasons > 0) == (got.stderr != "") {
						t.Errorf("%d reasons on stdout, stderr %q; want either, once\nstdout:\n%s", reasons, got.stderr, got.stdout)
					}
					if !containsInOrder(got.stdout, tt.wantStdout) {
						t.Errorf("stdout lacks, in order, %q:\n%s", tt.wantStdout, got.stdout)
					}
					continue
				}
				// Whatever happened, the JSON says whether to deploy.
				var res andon.GateResult
				if err := json.Unmarshal([]byte(got.stdout), &res); err != nil {
					t.Fatalf("-o json: %v:\n%s", err, got.stdout)
				}
				if res.Allow != (tt.wantCode == 0) {
					t.Errorf("-o json: allow = %v with exit code %d", res.Allow, got.code)
				}
				if len(res.Reasons) == 0 && tt.wantCode == 2 {
					t.Errorf("-o json: no reason given for not deciding")
				}
			}
			if tt.server == "" {
				want := map[string]any{"environment": "prod-lyon", "image": image, "at": "2026-03-08T02:30:00+01:00"}
				if diff := cmp.Diff(want, api.last(t).body); diff != "" {
					t.Errorf("request body mismatch (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestAnotherHTTPService: a client command pointed at an HTTP service that
// is not andon, which answers with pages of its own, says so on one line
// of standard error, and exits 2: andon could not decide.
func TestAnotherHTTPService(t *testing.T) {
	tests := []struct {
		name   string
		status int
		ctype  string
		body   string
		args   []string
		want   string // stderr, with SERVER for the service's URL
	}{
		{"a page not found", 404, "text/html", "<!DOCTYPE HTML>\n<html>\n<body><h1>Error response</h1>\n<p>Error code: 404</p></body>\n</html>\n",
			[]string{"change", "show", "CHG-1"}, "andon: SERVER answered 404 Not Found with an HTML page, not andon's JSON: is it an andon server?\n"},
		{"a method not allowed", 501, "text/html", "<html><body>Unsupported method ('POST')</body></html>",
			[]string{"change", "approve", "CHG-1"}, "andon: SERVER answered 501 Not Implemented with an HTML page, not andon's JSON: is it an andon server?\n"},
		{"a sign-in page", 200, "text/html; charset=utf-8", "<html><body>Sign in</body></html>",
			[]string{"change", "list"}, "andon: SERVER answered GET /api/v1/changes with an HTML page, not andon's JSON: is it an andon server?\n"},
		{"a file", 200, "application/octet-stream", `{"name": "x"`,
			[]string{"whoami"}, "andon: SERVER answered GET /api/v1/me with application/octet-stream, not andon's JSON: is it an andon server?\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runAgainst(t, tt.status, tt.ctype, tt.body, tt.args...)
			want := strings.ReplaceAll(tt.want, "SERVER", got.server)
			if got.code != 2 || got.stdout != "" || got.stderr != want {
				t.Errorf("exit code %d, stdout %q, stderr %q; want 2, nothing and %q", got.code, got.stdout, got.stderr, want)
			}
		})
	}
}

// runAgainst runs andon with args against a service that answers every
// request with status, a Content-Type of ctype and body, and returns what
// it printed with the service's URL.
func runAgainst(t *testing.T, status int, ctype, body string, args ...string) (got struct {
	result
	server string
}) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ctype)
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	got.result = runCLI(t, map[string]string{"ANDON_SERVER": srv.URL, "ANDON_TOKEN": "t0ken"}, args...)
	got.server = srv.URL
	return got
}

// TestErrorsReachNoTerminalControls: an error message a server sends, or
// the text of a page that is not andon's, is printed with its terminal
// escapes and other control characters replaced, as a change's text is:
// a server set as ANDON_SERVER that is not the one meant cannot clear
// the screen or rewrite a line of the reader's terminal.
func TestErrorsReachNoTerminalControls(t *testing.T) {
	tests := []struct {
		name, ctype, body string
		status, code      int
		want              string
	}{
		{"andon's JSON", "application/json", `{"code": "invalid", "message": "bad\u001b[2J\u001b[1Achange\u202e"}`, 400, 2, "andon: bad\uFFFD[2J\uFFFD[1Achange\uFFFD\n"},
		{"a text answer", "text/plain", "down\x1b]0;owned\x07 for maintenance", 500, 2, "andon: server answered 500 Internal Server Error: down\uFFFD]0;owned\uFFFD for maintenance\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runAgainst(t, tt.status, tt.ctype, tt.body, "change", "show", "CHG-1")
			if got.code != tt.code || got.stderr != tt.want {
				t.Errorf("exit code %d, stderr %q; want %d and %q", got.code, got.stderr, tt.code, tt.want)
			}
		})
	}
}

// containsInOrder reports whether every line of want is a line of text,
// in that order.
func containsInOrder(text string, want []string) bool {
	lines := strings.Split(text, "\n")
	i := 0
	for _, l := range lines {
		if i < len(want) && l == want[i] {
			i++
		}
	}
	return i == len(want)
}

func TestServerAndToken(t *testing.T) {
	api := newAPI(t, map[string]route{"GET /api/v1/me": {status: 200, file: "me.json"}})
	tests := []struct {
		name     string
		environ  map[string]string
		args     []string
		wantAuth string
	}{
		{"environment", map[string]string{"ANDON_SERVER": api.URL, "ANDON_TOKEN": "from-env"}, nil, "Bearer from-env"},
		{"flags win", map[string]string{"ANDON_SERVER": closedServer(t), "ANDON_TOKEN": "from-env"},
			[]string{"--server", api.URL + "/", "--token", "from-flag"}, "Bearer from-flag"},
		{"no token", map[string]string{"ANDON_SERVER": api.URL}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runCLI(t, tt.environ, append([]string{"whoami"}, tt.args...)...)
			if got.code != 0 {
				t.Fatalf("exit code %d: %s", got.code, got.stderr)
			}
			if s := api.last(t); s.auth != tt.wantAuth || s.path != "/api/v1/me" {
				t.Errorf("server saw %s with Authorization %q, want /api/v1/me with %q", s.path, s.auth, tt.wantAuth)
			}
			if want := "name:           carol\nroles:          change-manager\n                process-owner:finance\nauthenticated:  by an API token\ntoken expires:  never\ntoken access:   read-write\n"; got.stdout != want {
				t.Errorf("stdout = %q, want %q", got.stdout, want)
			}
		})
	}

	t.Run("default server", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:8080")
		if err != nil {
			t.Skip("something listens on the default port:", err)
		}
		l.Close()
		got := runCLI(t, nil, "whoami")
		want := "andon: cannot reach andon server at http://127.0.0.1:8080: "
		if got.code != 2 || !strings.HasPrefix(got.stderr, want) {
			t.Errorf("exit code %d, stderr %q; want 2 and %q…", got.code, got.stderr, want)
		}
	})
	// A URL andon cannot use is refused, naming where it was read.
	for _, tt := range []struct {
		name    string
		environ map[string]string
		args    []string
		want    string
	}{
		{"bad server URL", map[string]string{"ANDON_SERVER": "andon.example.com"}, nil,
			`andon: ANDON_SERVER "andon.example.com": want an http:// or https:// URL such as http://127.0.0.1:8080`},
		{"bad server URL given as a flag", map[string]string{"ANDON_SERVER": api.URL}, []string{"--server", "localhost:8080"},
			`andon: --server "localhost:8080": want an http:// or https:// URL`},
		{"the API's URL", map[string]string{"ANDON_SERVER": api.URL + "/api/v1"}, nil,
			`andon: ANDON_SERVER "` + api.URL + `/api/v1": give the server's own URL, ` + api.URL + `, to which andon adds /api/v1`},
		{"a path of the API behind a proxy's", nil, []string{"--server", "https://tools.example.com/andon/api/v1/changes?limit=5"},
			`andon: --server "https://tools.example.com/andon/api/v1/changes?limit=5": give the server's own URL, https://tools.example.com/andon, to which andon adds /api/v1`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := runCLI(t, tt.environ, append([]string{"whoami"}, tt.args...)...)
			if got.code != 2 || !strings.HasPrefix(got.stderr, tt.want) {
				t.Errorf("exit code %d, stderr %q; want 2 and %q", got.code, got.stderr, tt.want)
			}
		})
	}
	t.Run("behind a proxy's path", func(t *testing.T) {
		got := runCLI(t, map[string]string{"ANDON_SERVER": api.URL + "/andon", "ANDON_TOKEN": "t0ken"}, "whoami")
		if s := api.last(t); s.path != "/andon/api/v1/me" {
			t.Errorf("server saw %s, want /andon/api/v1/me (exit %d: %s)", s.path, got.code, got.stderr)
		}
	})
}

// TestOutputFormats checks that -o json and -o yaml print the same document
// for every command, with the API's field names.
func TestOutputFormats(t *testing.T) {
	api := newAPI(t, map[string]route{
		"GET /api/v1/me":                          {status: 200, file: "me.json"},
		"GET /api/v1/changes":                     {status: 200, file: "changes.json"},
		"GET /api/v1/changes/CHG-0042":            {status: 200, file: "change.json"},
		"GET /api/v1/findings":                    {status: 200, file: "findings.json"},
		"GET /api/v1/calendar":                    {status: 200, file: "calendar.json"},
		"GET /api/v1/calendar/next":               {status: 200, file: "next.json"},
		"GET /api/v1/audit/checkpoint":            {status: 200, file: "checkpoint.json"},
		"GET /api/v1/audit/entries":               {status: 200, file: "entries.json"},
		"GET /api/v1/audit/proof":                 {status: 200, file: "proof.json"},
		"POST /api/v1/gate":                       {status: 200, file: "gate-deny.json"},
		"POST /api/v1/changes/CHG-0042/approvals": {status: 200, file: "change.json"},
	})
	tests := []struct {
		args []string
		file string // the recorded body the output must equal
	}{
		{[]string{"whoami"}, "me.json"},
		{[]string{"change", "list"}, "changes.json"},
		{[]string{"change", "show", "CHG-0042"}, "change.json"},
		{[]string{"change", "approve", "CHG-0042"}, "change.json"},
		{[]string{"findings"}, "findings.json"},
		{[]string{"calendar", "show", "--env", "prod-lyon"}, "calendar.json"},
		{[]string{"calendar", "next", "--env", "prod-lyon", "--duration", "2h"}, "next.json"},
		{[]string{"audit", "checkpoint"}, "checkpoint.json"},
		{[]string{"audit", "entries"}, "entries.json"},
		{[]string{"audit", "proof", "41"}, "proof.json"},
		{[]string{"gate", "--env", "prod-lyon", "--image", image}, "gate-deny.json"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			want := normalise(t, mustDecodeFile[any](t, tt.file))
			for _, format := range []string{"json", "yaml"} {
				got := runAPI(t, api, append(tt.args, "-o", format)...)
				if got.code != 0 && !(got.code == 1 && tt.args[0] == "gate") {
					t.Fatalf("-o %s: exit code %d: %s", format, got.code, got.stderr)
				}
				var doc any
				var err error
				if format == "json" {
					err = json.Unmarshal([]byte(got.stdout), &doc)
				} else {
					err = yaml.Unmarshal([]byte(got.stdout), &doc)
				}
				if err != nil {
					t.Fatalf("-o %s does not parse: %v\n%s", format, err, got.stdout)
				}
				if diff := cmp.Diff(want, normalise(t, doc)); diff != "" {
					t.Errorf("-o %s mismatch (-recorded +printed):\n%s", format, diff)
				}
			}
		})
	}
}

// normalise turns a decoded document into its JSON data model, so that a
// YAML int and a JSON float compare equal, and drops what the CLI fills in
// for an empty recorded field (null lists, omitted empties) by comparing
// through the typed encoding both went through.
func normalise(t *testing.T, v any) any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return dropEmpty(out)
}

// dropEmpty removes null values and empty lists and objects, which the
// recorded bodies and the typed encoding spell differently.
func dropEmpty(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			x = dropEmpty(x)
			if isEmpty(x) {
				delete(v, k)
			} else {
				v[k] = x
			}
		}
		return v
	case []any:
		for i, x := range v {
			v[i] = dropEmpty(x)
		}
		return v
	}
	return v
}

func isEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	case string:
		return v == ""
	}
	return false
}

// TestHelpOfOfflineCommands: commands that never ask a server do not
// offer --server and --token in their help; client commands do.
func TestHelpOfOfflineCommands(t *testing.T) {
	for _, args := range [][]string{{"token", "create"}, {"token", "revoke"}, {"audit", "verify"}, {"serve"}, {"catalog", "validate"}, {"policy", "test"}} {
		r := runCLI(t, nil, append(args, "--help")...)
		if r.code != 0 || strings.Contains(r.stdout, "--server string") || strings.Contains(r.stdout, "--token string") || !strings.Contains(r.stdout, "--output") {
			t.Errorf("andon %s --help: exit %d, offers --server or --token, or lacks --output:\n%s", strings.Join(args, " "), r.code, r.stdout)
		}
	}
	for _, args := range [][]string{{"change", "list"}, {"gate"}, {"audit", "entries"}} {
		r := runCLI(t, nil, append(args, "--help")...)
		if r.code != 0 || !strings.Contains(r.stdout, "--server string") || !strings.Contains(r.stdout, "--token string") {
			t.Errorf("andon %s --help: exit %d, lacks --server or --token:\n%s", strings.Join(args, " "), r.code, r.stdout)
		}
	}
}

// TestHelpHidesPasswords: a flag's default taken from the environment is
// shown in --help without the password of its URL, as the server's log
// shows it.
func TestHelpHidesPasswords(t *testing.T) {
	environ := map[string]string{
		"ANDON_DB":          "postgres://andon:s3cret@db:5432/andon?sslmode=verify-full",
		"ANDON_CATALOG_GIT": "https://reader:gh-t0ken@git.example.com/estate.git",
	}
	for _, args := range [][]string{{"serve"}, {"demo"}, {"token", "create"}, {"token", "list"}, {"token", "revoke"}, {"audit", "verify"}} {
		r := runCLI(t, environ, append(args, "--help")...)
		if r.code != 0 || strings.Contains(r.stdout, "s3cret") || strings.Contains(r.stdout, "gh-t0ken") ||
			!strings.Contains(r.stdout, `(default "postgres://andon:xxxxx@db:5432/andon?sslmode=verify-full")`) {
			t.Errorf("andon %s --help: exit %d, shows a password or not the redacted URL:\n%s", strings.Join(args, " "), r.code, r.stdout)
		}
	}
	if r := runCLI(t, environ, "serve", "--help"); !strings.Contains(r.stdout, `(default "https://reader:xxxxx@git.example.com/estate.git")`) {
		t.Errorf("andon serve --help does not show the redacted git URL:\n%s", r.stdout)
	}
}

// The operator who upgrades reads in andon serve --help that it migrates
// at start, that nothing migrates back, and what an older andon does.
func TestServeHelpSaysHowItMigrates(t *testing.T) {
	r := runCLI(t, nil, "serve", "--help")
	for _, want := range []string{"migrates the database", "rolls back", "no down migrations", "back up the database before an upgrade", "migrated by a newer andon is refused"} {
		if !strings.Contains(strings.Join(strings.Fields(r.stdout), " "), want) {
			t.Errorf("andon serve --help does not say %q:\n%s", want, r.stdout)
		}
	}
}

// allCommands returns every command of the tree below root, root included.
func allCommands(root *cobra.Command) []*cobra.Command {
	cmds := []*cobra.Command{root}
	for _, c := range root.Commands() {
		cmds = append(cmds, allCommands(c)...)
	}
	return cmds
}

// exampleCommands returns the andon command lines of an Example (or of
// a shell block of the documents): lines joined where they end in a
// backslash, comments and the words of other programs (after |, &&, & or
// ;) left out, environment variables set
// before the command dropped.
func exampleCommands(example string) [][]string {
	var lines [][]string
	for _, line := range strings.Split(strings.ReplaceAll(example, "\\\n", " "), "\n") {
		var words []string
		var word strings.Builder
		inWord, quote, depth := false, rune(0), 0
		flush := func() {
			if inWord {
				words = append(words, word.String())
			}
			word.Reset()
			inWord = false
		}
	scan:
		for i, r := range line {
			switch {
			case quote != 0:
				if r == quote {
					quote = 0
				} else {
					word.WriteRune(r)
				}
			case r == '"' || r == '\'':
				quote, inWord = r, true
			case r == '(' && strings.HasSuffix(line[:i], "$"):
				depth++
				word.WriteRune(r)
			case r == ')' && depth > 0:
				depth--
				word.WriteRune(r)
			case (r == ' ' || r == '\t') && depth == 0:
				flush()
			case r == ';' && depth == 0:
				// A command ends at ; even without a space before it,
				// as in andon gate …; echo "exit $?".
				flush()
				break scan
			case (r == '#' || r == '|' || r == '&' || r == ';' || r == '>') && depth == 0 && !inWord:
				break scan
			default:
				word.WriteRune(r)
				inWord = true
			}
		}
		flush()
		for len(words) > 0 && strings.Contains(words[0], "=") && !strings.HasPrefix(words[0], "-") {
			words = words[1:]
		}
		if len(words) > 0 && words[0] == "andon" {
			lines = append(lines, words[1:])
		}
	}
	return lines
}

// TestHelpExamples: every andon command line in the examples of --help
// names a command and flags that exist, with the arguments it takes.
func TestHelpExamples(t *testing.T) {
	e := &env{ctx: context.Background(), getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	n := 0
	for _, c := range allCommands(newRootCmd(e)) {
		for _, args := range exampleCommands(c.Example) {
			n++
			// A tree of its own for each line, so that no flag set by one
			// line is seen by the next.
			cmd, rest, err := newRootCmd(e).Find(args)
			if err != nil || !cmd.Runnable() {
				t.Errorf("%s example %q: names no command that runs (%v)", c.CommandPath(), args, err)
				continue
			}
			if err := cmd.ParseFlags(rest); err != nil {
				t.Errorf("%s example %q: %v", c.CommandPath(), args, err)
				continue
			}
			// A group runs, to say that a command is unknown.
			if rest := cmd.Flags().Args(); cmd.HasSubCommands() && len(rest) > 0 {
				t.Errorf("%s example %q: %s has no command %s", c.CommandPath(), args, cmd.CommandPath(), rest[0])
				continue
			}
			if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
				t.Errorf("%s example %q: %v", c.CommandPath(), args, err)
			}
		}
	}
	if n < 20 {
		t.Errorf("%d example command lines found, want at least 20: is the parser of the examples broken?", n)
	}
}

// TestHelpDefaults: no flag in any --help says both that it is required
// and what its default is, or gives two defaults.
func TestHelpDefaults(t *testing.T) {
	e := &env{ctx: context.Background(), getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	for _, c := range allCommands(newRootCmd(e)) {
		args := append(strings.Fields(c.CommandPath())[1:], "--help")
		r := runCLI(t, nil, args...)
		inFlags := false
		for _, line := range strings.Split(r.stdout, "\n") {
			if strings.HasSuffix(line, "Flags:") || line == "" {
				inFlags = line != ""
				continue
			}
			if !inFlags {
				continue
			}
			if strings.Count(line, "(default") > 1 || strings.Contains(line, "(required)") && strings.Contains(line, "(default") {
				t.Errorf("andon %s: %s", strings.Join(args, " "), strings.TrimSpace(line))
			}
		}
	}
}

// TestDefaultServerIsNamed: a client command that asked the default
// server, for want of ANDON_SERVER and --server, and did not get an
// answer from andon there, says that it was the default and how to name
// another; one given a server says nothing of it. Whatever listens on the
// default port of this machine (nothing, another andon, another service),
// the default cannot have answered with a token's changes.
func TestDefaultServerIsNamed(t *testing.T) {
	hint := "The server asked was the default, " + defaultServer + ": set ANDON_SERVER or --server"
	r := runCLI(t, map[string]string{"ANDON_TOKEN": "andon_not-a-real-token"}, "change", "list")
	if r.code != 2 || !strings.Contains(r.stderr, hint) {
		t.Errorf("the default server: exit %d, want 2 and %q:\n%s", r.code, hint, r.stderr)
	}
	r = runCLI(t, map[string]string{"ANDON_SERVER": "http://127.0.0.1:1", "ANDON_TOKEN": "andon_not-a-real-token"}, "change", "list")
	if r.code != 2 || strings.Contains(r.stderr, "default") {
		t.Errorf("a server given: exit %d, want 2 and no word of the default:\n%s", r.code, r.stderr)
	}
}

// boardSession signs user in on the board of s and returns a client that
// follows no redirect and the session's cookies.
func boardSession(t *testing.T, s *liveServer, user string) (*http.Client, []*http.Cookie) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.PostForm(s.url+"/login", url.Values{"token": {s.tokens[user]}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || len(res.Cookies()) == 0 {
		t.Fatalf("sign in on the board as %s: status %d, cookies %v", user, res.StatusCode, res.Cookies())
	}
	return client, res.Cookies()
}
