package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/internal/oidctest"
)

// issuers are the OpenID Connect issuers of a server's --auth-config: one
// for people, offered on the board; one for pipelines, GitHub Actions
// style; one whose users are read-only.
type issuers struct {
	people, pipelines, auditors *oidctest.Issuer
}

// authConfig writes the --auth-config file of is in dir and returns its
// path.
func authConfig(t *testing.T, dir string, is issuers) string {
	t.Helper()
	secret := filepath.Join(dir, "client-secret")
	if err := os.WriteFile(secret, []byte(is.people.ClientSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	yaml := `oidc:
  - issuer: ` + is.people.URL + `
    audiences: [andon]
    username: {claim: email}
    board:
      clientID: ` + is.people.ClientID + `
      clientSecretFile: ` + secret + `
      displayName: ACME sign-in
  - issuer: ` + is.pipelines.URL + `
    audiences: [https://andon.acme.example]
    username: {claim: repository, prefix: "github:"}
    require: {ref: refs/heads/main}
  - issuer: ` + is.auditors.URL + `
    audiences: [andon]
    username: {claim: email}
    readOnly: true
    board:
      clientID: ` + is.auditors.ClientID + `
      clientSecretFile: ` + secret + `
`
	path := filepath.Join(dir, "auth.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// freeAddr returns a loopback address that was free a moment ago: the
// server's --public-url must be known before it starts.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// MustServeWithIssuers starts andon serve on engine with the issuers of
// is in its --auth-config, its --public-url its own address, and session
// cookies without Secure, which a cookie jar sends over plain HTTP.
func MustServeWithIssuers(t *testing.T, engine string, is issuers) *liveServer {
	t.Helper()
	data := t.TempDir()
	addr := freeAddr(t)
	return MustServeOn(t, engine, data, "--addr", addr, "--auth-config", authConfig(t, t.TempDir(), is),
		"--public-url", "http://"+addr, "--insecure-cookies")
}

func newIssuers(t *testing.T) issuers {
	return issuers{people: oidctest.New(t), pipelines: oidctest.New(t), auditors: oidctest.New(t)}
}

// pipelineClaims are those of a GitHub Actions token of the main branch
// of acme/odoo, with changes.
func pipelineClaims(changes map[string]any) map[string]any {
	claims := map[string]any{"aud": "https://andon.acme.example", "repository": "acme/odoo", "ref": "refs/heads/main", "sub": "repo:acme/odoo:ref:refs/heads/main"}
	for k, v := range changes {
		claims[k] = v
	}
	return claims
}

// withToken runs a client command of s with the bearer token token.
func (s *liveServer) withToken(t *testing.T, token string, args ...string) result {
	t.Helper()
	return runCLI(t, map[string]string{"ANDON_SERVER": s.url, "ANDON_TOKEN": token}, args...)
}

// bearer sends method path with body and the bearer token, and returns
// the status and the body.
func bearer(t *testing.T, s *liveServer, method, path, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestPipelineCallsTheGateWithAnOIDCToken: a pipeline's short-lived token
// of a configured issuer opens the API, as the user the configuration
// names from its claims, and is refused, naming the issuer and what
// failed, when it does not hold.
func TestPipelineCallsTheGateWithAnOIDCToken(t *testing.T) {
	is := newIssuers(t)
	s := MustServeWithIssuers(t, "sqlite", is)
	token := is.pipelines.Mint(t, pipelineClaims(nil))

	res := mustJSONWith[andon.GateResult](t, s, token, 0, "gate", "--env", "staging-lyon", "--image", imageRelease)
	if !res.Allow || res.Change == nil || res.Change.Requester != "github:acme/odoo" {
		t.Fatalf("gate with the pipeline's token = %+v; want allowed, its change requested by github:acme/odoo", res)
	}
	var entries struct{ Entries []andon.Entry }
	if err := json.Unmarshal([]byte(mustBody(t, s, "/api/v1/audit/entries?type=gate.decided&actor="+url.QueryEscape("github:acme/odoo"), token)), &entries); err != nil || len(entries.Entries) != 1 {
		t.Fatalf("gate decisions by github:acme/odoo = %+v, %v; want one", entries, err)
	}
	r := s.withToken(t, token, "whoami")
	if r.code != 0 || !hasLine(r.stdout, "name:           github:acme/odoo") || !hasLine(r.stdout, "authenticated:  by a token of the OpenID Connect issuer "+is.pipelines.URL) {
		t.Errorf("whoami with the pipeline's token: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	expired := time.Now().Add(-time.Hour).Truncate(time.Second)
	unknown := oidctest.New(t)
	for _, tc := range []struct {
		name, token, want string
	}{
		{"audience", is.pipelines.Mint(t, pipelineClaims(map[string]any{"aud": "https://other.example"})),
			"the token of issuer " + is.pipelines.URL + " is not valid: the token's audience [https://other.example] is not among the configured [https://andon.acme.example]"},
		{"expired", is.pipelines.Mint(t, pipelineClaims(map[string]any{"exp": expired.Unix(), "iat": expired.Add(-10 * time.Minute).Unix()})),
			"the token of issuer " + is.pipelines.URL + " is not valid: the token expired at " + expired.UTC().Format(time.RFC3339)},
		{"require", is.pipelines.Mint(t, pipelineClaims(map[string]any{"ref": "refs/heads/dev"})),
			"the token of issuer " + is.pipelines.URL + " is not valid: claim `ref` is `refs/heads/dev` where the configuration requires `refs/heads/main`"},
		{"unknown issuer", unknown.Mint(t, pipelineClaims(nil)),
			"the bearer token is a JWT of issuer " + unknown.URL + ", which is not configured (andon serve --auth-config)"},
		{"user name", is.pipelines.Mint(t, pipelineClaims(map[string]any{"repository": "acme/\u202eoodo"})),
			`the user name "github:acme/\u202eoodo" (claim ` + "`repository`" + ` after the prefix "github:") is not valid: "github:acme/\u202eoodo" holds U+202E`},
		{"user name of a system actor", is.people.Mint(t, map[string]any{"aud": "andon", "email": "Admin"}),
			`the user name "Admin" (claim ` + "`email`" + `) is not valid: "Admin" is the name the audit log records andon's own actions under`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := bearer(t, s, http.MethodGet, "/api/v1/me", tc.token, "")
			if status != http.StatusUnauthorized || !strings.Contains(body, `"code":"unauthorized"`) || !strings.Contains(body, jsonText(tc.want)) {
				t.Errorf("GET /api/v1/me: %d %s; want 401 saying %q", status, body, tc.want)
			}
		})
	}
	// The gate's command line cannot decide, and says why, and where
	// the token came from: not from andon token create.
	r = s.withToken(t, is.pipelines.Mint(t, pipelineClaims(map[string]any{"ref": "refs/heads/dev"})), "gate", "--env", "staging-lyon", "--image", imageRelease)
	wantExit(t, r, 2, "claim `ref` is `refs/heads/dev`")
	if !strings.Contains(r.stderr, "The token was read from ANDON_TOKEN: a JWT of an OpenID Connect issuer") || strings.Contains(r.stderr, "andon token create makes a new one") {
		t.Errorf("the gate's hint for a JWT refused:\n%s", r.stderr)
	}
	// API tokens work beside them.
	if r := s.as(t, "alice", "whoami"); r.code != 0 || !hasLine(r.stdout, "authenticated:  by an API token") {
		t.Errorf("whoami with an API token: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestOIDCUsersHaveNoFeedTokenAndMayBeReadOnly: a user of an issuer has
// no API token to tie a feed token to, and is refused one; the users of
// a read-only issuer may read and never write.
func TestOIDCUsersHaveNoFeedTokenAndMayBeReadOnly(t *testing.T) {
	is := newIssuers(t)
	s := MustServeWithIssuers(t, "sqlite", is)
	alice := is.people.Mint(t, map[string]any{"aud": "andon", "email": "alice"})
	status, body := bearer(t, s, http.MethodPost, "/api/v1/me/feed-token", alice, "")
	if status != http.StatusForbidden || !strings.Contains(body, "a calendar feed token is issued only with an andon API token: alice signed in through the OpenID Connect issuer "+is.people.URL) {
		t.Errorf("POST /api/v1/me/feed-token with a token of an issuer: %d %s; want 403 saying why", status, body)
	}
	status, body = bearer(t, s, http.MethodPost, "/api/v1/me/token/rotate", alice, "")
	if status != http.StatusForbidden || !strings.Contains(body, "alice signed in with a token of the OpenID Connect issuer "+is.people.URL+", which that issuer renews, not andon") {
		t.Errorf("POST /api/v1/me/token/rotate with a token of an issuer: %d %s; want 403 saying why", status, body)
	}
	auditor := is.auditors.Mint(t, map[string]any{"aud": "andon", "email": "kpmg-audit"})
	if status, body := bearer(t, s, http.MethodGet, "/api/v1/changes", auditor, ""); status != http.StatusOK {
		t.Errorf("GET /api/v1/changes as a read-only issuer's user: %d %s; want 200", status, body)
	}
	status, body = bearer(t, s, http.MethodPost, "/api/v1/incidents", auditor, `{"title": "x", "severity": "low", "scope": {"global": true}}`)
	if want := "kpmg-audit signed in through the OpenID Connect issuer " + is.auditors.URL + ", whose users may read and never write"; status != http.StatusForbidden || !strings.Contains(body, want) {
		t.Errorf("POST /api/v1/incidents as a read-only issuer's user: %d %s; want 403 saying %q", status, body, want)
	}
	r := s.withToken(t, auditor, "whoami")
	if r.code != 0 || !hasLine(r.stdout, "token access:   read-only: the issuer's users may read and never write") {
		t.Errorf("whoami of a read-only issuer's user: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestIssuerDownAtStart: a server whose issuer does not answer starts and
// serves its API tokens; a token of that issuer is refused with a 503,
// which the gate's command line takes as "cannot decide" (exit 2), until
// the issuer answers, without a restart; a sign-in to the board through a
// provider that does not answer shows the sign-in page saying so.
func TestIssuerDownAtStart(t *testing.T) {
	is := newIssuers(t)
	is.pipelines.SetDown(true)
	is.people.SetDown(true)
	s := MustServeWithIssuers(t, "sqlite", is)
	if r := s.as(t, "alice", "whoami"); r.code != 0 {
		t.Fatalf("whoami with an API token while the issuers are down: exit %d %s", r.code, r.stderr)
	}
	token := is.pipelines.Mint(t, pipelineClaims(nil))
	status, body := bearer(t, s, http.MethodGet, "/api/v1/me", token, "")
	if want := "the OpenID Connect issuer " + is.pipelines.URL + " cannot be reached to verify the token"; status != http.StatusServiceUnavailable || !strings.Contains(body, want) {
		t.Errorf("GET /api/v1/me while the issuer is down: %d %s; want 503 saying %q", status, body, want)
	}
	wantExit(t, s.withToken(t, token, "gate", "--env", "staging-lyon", "--image", imageRelease), 2, "cannot be reached to verify the token")
	// The board's sign-in through it says so in words for people.
	p := newBrowser(t).get(t, s.url+"/login/oidc/0")
	if p.status != http.StatusServiceUnavailable || !strings.Contains(p.body, "Your identity provider cannot be reached from andon just now") {
		t.Errorf("a sign-in while the provider is down: %d, want 503 and the sign-in page saying so:\n%s", p.status, p.body)
	}
	is.pipelines.SetDown(false)
	if res := mustJSONWith[andon.GateResult](t, s, token, 0, "gate", "--env", "staging-lyon", "--image", imageRelease); !res.Allow {
		t.Errorf("gate once the issuer answers = %+v; want allowed", res)
	}
}

// TestJWTWithoutAuthConfig: a server given no --auth-config refuses a JWT
// saying that it verifies no issuer's tokens, rather than as an andon
// token that is unknown.
func TestJWTWithoutAuthConfig(t *testing.T) {
	s := MustServe(t, t.TempDir())
	token := oidctest.New(t).Mint(t, pipelineClaims(nil))
	status, body := bearer(t, s, http.MethodGet, "/api/v1/me", token, "")
	if want := "the bearer token is a JWT, and this server verifies the tokens of no OpenID Connect issuer (andon serve --auth-config)"; status != http.StatusUnauthorized || !strings.Contains(body, want) {
		t.Errorf("GET /api/v1/me with a JWT: %d %s; want 401 saying %q", status, body, want)
	}
}

// TestAuthConfigRefused: a configuration that is not valid stops andon
// serve with exit code 2 and every problem, naming the file and the
// field; so does a board provider without --public-url.
func TestAuthConfigRefused(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "auth.yaml")
	if err := os.WriteFile(bad, []byte("oidc:\n  - issuer: http://login.example\n    username: {claim: email}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--catalog", exampleCatalog, "--auth-config", bad)
	wantExit(t, r, 2, `auth.yaml: oidc[0].issuer: "http://login.example" is not https`)
	wantExit(t, r, 2, "auth.yaml: oidc[0].audiences: required")

	good := authConfig(t, dir, newIssuers(t))
	r = runCLI(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--catalog", exampleCatalog, "--auth-config", good)
	wantExit(t, r, 2, "--public-url: required when the authentication configuration offers a provider on the board")
}

// TestBoardSignInThroughAProvider: the sign-in page offers the provider;
// its code flow, with a browser's cookie jar, opens a session of the
// board as a sign-in with an API token does, back to the page asked for;
// an answer whose state, or whose ID token's nonce, is not the sign-in's,
// a sign-in the provider refused, and a user whom no Team lists are
// refused with the sign-in page and a fixed sentence.
func TestBoardSignInThroughAProvider(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		is := newIssuers(t)
		s := MustServeWithIssuers(t, engine, is)
		browser := newBrowser(t)

		p := browser.get(t, s.url+"/login")
		if p.status != http.StatusOK || !strings.Contains(p.body, `href="/login/oidc/0?next=%2f"`) || !strings.Contains(p.body, "Sign in with ACME sign-in") {
			t.Fatalf("sign-in page: %d, want it to offer ACME sign-in:\n%s", p.status, p.body)
		}
		p = browser.get(t, s.url+"/login/oidc/0?next="+url.QueryEscape("/changes?env=prod-lyon"))
		if p.status != http.StatusOK || p.url != s.url+"/changes?env=prod-lyon" || !strings.Contains(p.body, "alice") {
			t.Fatalf("after the provider's sign-in: %d at %s, want the change list as alice:\n%s", p.status, p.url, p.body)
		}
		var created struct{ Entries []andon.Entry }
		if err := json.Unmarshal([]byte(mustBody(t, s, "/api/v1/audit/entries?type=token.created&subject=alice", s.tokens["alice"])), &created); err != nil {
			t.Fatal(err)
		}
		if n := len(created.Entries); n == 0 || !strings.Contains(string(created.Entries[n-1].Data), `"issuer":"`+is.people.URL+`"`) || created.Entries[n-1].Actor != "alice" {
			t.Errorf("token.created of the session = %+v; want alice's, naming the issuer", created.Entries)
		}

		// An answer whose state is not the one sent is refused.
		other := newBrowser(t)
		to := other.redirect(t, s.url+"/login/oidc/0")
		back := other.redirect(t, to)
		u, err := url.Parse(back)
		if err != nil || u.Query().Get("code") == "" {
			t.Fatalf("the provider sent the browser to %s, want the callback with a code", back)
		}
		q := u.Query()
		q.Set("state", "forged")
		u.RawQuery = q.Encode()
		p = other.get(t, u.String())
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "could not be completed: it was started in another browser or tab") {
			t.Errorf("callback with another state: %d, want 400 and the sign-in page saying so:\n%s", p.status, p.body)
		}
		if other.signedIn(t, s) {
			t.Error("a callback with another state signed the browser in")
		}

		// An ID token with another nonce is refused.
		is.people.ForceNonce("replayed")
		p = newBrowser(t).get(t, s.url+"/login/oidc/0")
		if p.status != http.StatusUnauthorized || !strings.Contains(p.body, "answer could not be verified, so you are not signed in") {
			t.Errorf("an ID token with another nonce: %d, want 401 and the sign-in page saying so:\n%s", p.status, p.body)
		}
		if !strings.Contains(s.logs.String(), "nonce is not the sign-in") {
			t.Errorf("the log does not say why the sign-in was refused:\n%s", s.logs.String())
		}
		is.people.ForceNonce("")

		// A sign-in the provider refused.
		is.people.Deny("access_denied")
		p = newBrowser(t).get(t, s.url+"/login/oidc/0")
		if p.status != http.StatusUnauthorized || !strings.Contains(p.body, "Your identity provider did not sign you in") {
			t.Errorf("a sign-in denied: %d, want 401 and the sign-in page saying so:\n%s", p.status, p.body)
		}
		// The refusal is the provider's, not the token field's: a screen
		// reader, on the field that has the focus, must not hear that
		// the token typed was wrong.
		if strings.Contains(p.body, `aria-invalid`) {
			t.Errorf("a sign-in denied marks the API token's field invalid:\n%s", p.body)
		}
		is.people.Deny("")

		// A user whom no Team lists.
		is.people.SignIn(map[string]any{"sub": "2", "email": "visitor@acme.example"})
		p = newBrowser(t).get(t, s.url+"/login/oidc/0")
		if p.status != http.StatusForbidden || !strings.Contains(p.body, "as visitor@acme.example, whom no Team of the catalog lists") {
			t.Errorf("a user of no Team: %d, want 403 and the sign-in page saying so:\n%s", p.status, p.body)
		}
	})
}

// TestBoardThroughAProvider: a session opened through a provider offers
// no calendar subscription, whose feed token would be tied to an API
// token; one opened through a provider whose users are read-only is
// read-only, and says why.
func TestBoardThroughAProvider(t *testing.T) {
	is := newIssuers(t)
	s := MustServeWithIssuers(t, "sqlite", is)
	alice := newBrowser(t)
	if p := alice.get(t, s.url+"/login/oidc/0?next=/calendar"); p.url != s.url+"/calendar" {
		t.Fatalf("sign-in through ACME sign-in: at %s (%d), want the calendar", p.url, p.status)
	}
	p := alice.get(t, s.url+"/calendar")
	if !strings.Contains(p.body, `id="no-subscription"`) || strings.Contains(p.body, `id="subscribe"`) {
		t.Errorf("the calendar of a session opened through a provider offers a subscription link:\n%s", p.body)
	}
	is.auditors.SignIn(map[string]any{"sub": "7", "email": "bob"})
	bob := newBrowser(t)
	if p := bob.get(t, s.url+"/login/oidc/2?next=/approvals"); p.url != s.url+"/approvals" ||
		!strings.Contains(p.body, "You signed in through an identity provider whose users are read-only: this page shows what waits for you") {
		t.Fatalf("the approvals of a read-only provider's user: at %s (%d):\n%s", p.url, p.status, p.body)
	}
	if p := bob.get(t, s.url+"/changes/new"); p.status != http.StatusForbidden ||
		!strings.Contains(p.body, "you signed in through an identity provider whose users are read-only: you may look at everything on the board, but not change anything") {
		t.Errorf("a new change by a read-only provider's user: %d, want 403 saying why:\n%s", p.status, p.body)
	}
	if p := bob.get(t, s.url+"/access"); p.status != http.StatusOK ||
		!strings.Contains(p.body, "You signed in through an identity provider whose users are read-only: the board shows the requests, but decides none.") {
		t.Errorf("the access page of a read-only provider's user: %d, want it to say why it decides nothing:\n%s", p.status, p.body)
	}
}

// browser is an HTTP client with a cookie jar.
type browser struct{ client *http.Client }

func newBrowser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{client: &http.Client{Jar: jar}}
}

// visit is what a browser got at the end of its redirects.
type visit struct {
	status int
	url    string
	body   string
}

func (b *browser) get(t *testing.T, u string) visit {
	t.Helper()
	resp, err := b.client.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return visit{resp.StatusCode, resp.Request.URL.String(), string(body)}
}

// redirect gets u without following its redirect, and returns where it
// sends the browser.
func (b *browser) redirect(t *testing.T, u string) string {
	t.Helper()
	c := *b.client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 3 {
		t.Fatalf("GET %s: %d, want a redirect", u, resp.StatusCode)
	}
	loc, err := resp.Location()
	if err != nil {
		t.Fatal(err)
	}
	return loc.String()
}

// signedIn reports whether the browser's board opens without sign-in.
func (b *browser) signedIn(t *testing.T, s *liveServer) bool {
	t.Helper()
	p := b.get(t, s.url+"/changes")
	return p.url == s.url+"/changes"
}

// mustJSONWith runs a command with -o json and the bearer token token,
// wants exit code want and decodes its output.
func mustJSONWith[T any](t *testing.T, s *liveServer, token string, want int, args ...string) T {
	t.Helper()
	r := s.withToken(t, token, append(args, "-o", "json")...)
	if r.code != want {
		t.Fatalf("andon %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
	}
	var v T
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("andon %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, r.stdout)
	}
	return v
}

// mustBody gets path with the bearer token token, wants a 200 and
// returns the body.
func mustBody(t *testing.T, s *liveServer, path, token string) string {
	t.Helper()
	status, body := bearer(t, s, http.MethodGet, path, token, "")
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, status, body)
	}
	return body
}

// jsonText is s as JSON writes it inside a string, for finding a message
// in a body: encoding/json escapes <, > and &, and the quotes.
func jsonText(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// TestOIDCTokenHoldsItsGrants: the holder of an issuer's token holds the
// active grants of its user, as an API token's holder does: /api/v1/me and
// whoami show the grant and its roles, and a revoked grant is gone from
// the next request.
func TestOIDCTokenHoldsItsGrants(t *testing.T) {
	is := newIssuers(t)
	s := MustServeWithIssuers(t, "sqlite", is)
	carol := is.people.Mint(t, map[string]any{"aud": "andon", "email": "carol"})

	status, body := bearer(t, s, "POST", "/api/v1/access-requests", carol, `{"team": "change-managers", "duration": "2h", "reason": "cover"}`)
	if status != http.StatusCreated || !strings.Contains(body, `"id":"ACC-1"`) {
		t.Fatalf("request with the issuer's token: %d %s", status, body)
	}
	if r := s.as(t, "bob", "access", "approve", "ACC-1"); r.code != 0 {
		t.Fatalf("approve: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	me := mustJSONWith[andon.User](t, s, carol, 0, "whoami")
	if me.Issuer != is.people.URL || len(me.Grants) != 1 || me.Grants[0].ID != "ACC-1" || !slices.Contains(me.Roles, andon.RoleChangeManager) {
		t.Fatalf("whoami with the issuer's token = %+v; want the grant ACC-1 and the role change-manager", me)
	}
	if r := s.withToken(t, carol, "whoami"); r.code != 0 || !strings.Contains(r.stdout, "ACC-1 of team change-managers, until ") {
		t.Errorf("whoami with the issuer's token: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := s.as(t, "bob", "access", "revoke", "ACC-1"); r.code != 0 {
		t.Fatalf("revoke: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	status, body = bearer(t, s, "GET", "/api/v1/me", carol, "")
	if status != http.StatusOK || strings.Contains(body, "ACC-1") || strings.Contains(body, andon.RoleChangeManager) {
		t.Errorf("/api/v1/me after the revocation: %d %s; want no grant and no role", status, body)
	}
}

// TestOIDCTokenIsNotWarnedOfItsExpiry: an issuer's token, which the
// issuer renews, is never warned of as an API token is, whatever its
// lifetime says, or when it says nothing of when it was issued.
func TestOIDCTokenIsNotWarnedOfItsExpiry(t *testing.T) {
	is := newIssuers(t)
	s := MustServeWithIssuers(t, "sqlite", is)
	token := is.pipelines.Mint(t, pipelineClaims(map[string]any{"iat": nil, "exp": time.Now().Add(10 * 24 * time.Hour).Unix()}))
	r := s.withToken(t, token, "whoami")
	if r.code != 0 || !strings.Contains(r.stdout, "github:acme/odoo") {
		t.Fatalf("whoami with a token without iat: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, "warning") {
		t.Errorf("whoami with an issuer's token warns of its expiry:\n%s", r.stderr)
	}
}
