package web_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/calendar"
	"github.com/andon-governance/andon/catalog"
	"github.com/andon-governance/andon/examples"
	"github.com/andon-governance/andon/sqlstore"
	"github.com/andon-governance/andon/web"
	"github.com/andybalholm/cascadia"
	"github.com/google/go-cmp/cmp"
)

// thursday is a quiet morning: no window is active in either plant.
var thursday = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// image is a digest-pinned image of the tests' changes.
const image = "registry.example.com/odoo/odoo-lyon:17.0@sha256:1111111111111111111111111111111111111111111111111111111111111111"

func TestSignIn(t *testing.T) {
	s := MustServe(t, nil, thursday)
	b := s.browser(t)

	p := b.get("/changes?state=pending")
	if p.status != http.StatusSeeOther || p.location != "/login?next=%2Fchanges%3Fstate%3Dpending" {
		t.Fatalf("signed out: %d to %q, want 303 to the sign-in page coming back", p.status, p.location)
	}
	p = b.get("/login?next=%2Fchanges")
	if p.all("form#login input[name=token][type=password]") == nil || p.all("label[for=token]") == nil {
		t.Fatal("the sign-in page has no labelled token field")
	}

	p = b.post("/login", url.Values{"token": {"demo-nobody"}}).mustStatus(t, http.StatusUnauthorized)
	if !strings.Contains(p.text("#error[role=alert]"), "not valid") {
		t.Errorf("bad token: error %q", p.text("#error"))
	}
	if got := p.text("title"); got != "Refused: Sign in · andon" {
		t.Errorf("bad token: page title %q", got)
	}
	// The field says it was refused, and why, to a screen reader on it.
	if p.attr("#token", "aria-invalid") != "true" || p.attr("#token", "aria-describedby") != "error" {
		t.Errorf("bad token: the token field's aria-invalid %q, aria-describedby %q; want true and error", p.attr("#token", "aria-invalid"), p.attr("#token", "aria-describedby"))
	}
	if p := b.get("/login"); p.all("#token[aria-invalid]") != nil {
		t.Error("the sign-in page marks its token field refused before it is sent")
	}

	// Tokens made 80 days ago for 80 days and an hour, and for 95 days,
	// and one made this morning for the day.
	s.now = thursday.Add(-80 * 24 * time.Hour)
	expiring := mustToken(t, s, thursday.Add(time.Hour))
	later := mustToken(t, s, thursday.Add(15*24*time.Hour))
	s.now = thursday.Add(-3 * time.Hour)
	short := mustToken(t, s, thursday.Add(time.Hour))
	s.now = thursday

	// Within two weeks of its expiry, every page says when a token made
	// to live longer expires; a token made for the day was meant to end.
	eb := s.browser(t)
	eb.post("/login", url.Values{"token": {expiring}}).mustStatus(t, http.StatusSeeOther)
	want := "Your API token expires at " + thursday.Add(time.Hour).UTC().Format("2006-01-02 15:04 UTC") + ". Ask your platform team for a new one"
	if got := eb.get("/changes").mustStatus(t, http.StatusOK).text("#token-expiry[role=status]"); !strings.HasPrefix(got, want) {
		t.Errorf("signed in with a token expiring in an hour: notice %q, want %q", got, want)
	}
	for name, tok := range map[string]string{"expiring in 15 days": later, "made for the day": short} {
		b := s.browser(t)
		b.post("/login", url.Values{"token": {tok}}).mustStatus(t, http.StatusSeeOther)
		if n := len(b.get("/").mustStatus(t, http.StatusOK).all("#token-expiry")); n != 0 {
			t.Errorf("signed in with a token %s: %d notices, want none", name, n)
		}
	}

	// A token that has expired is refused saying so.
	s.now = thursday.Add(time.Hour)
	p = b.post("/login", url.Values{"token": {expiring}}).mustStatus(t, http.StatusUnauthorized)
	if want := "This token is not valid: it expired at " + thursday.Add(time.Hour).UTC().Format(time.RFC3339) + "."; !strings.Contains(p.text("#error[role=alert]"), want) {
		t.Errorf("expired token: error %q, want %q", p.text("#error"), want)
	}
	s.now = thursday

	p = b.post("/login", url.Values{"token": {"demo-bob"}, "next": {"/changes"}}).mustStatus(t, http.StatusSeeOther)
	if p.location != "/changes" {
		t.Errorf("signed in: to %q, want /changes", p.location)
	}
	p = b.get("/").mustStatus(t, http.StatusOK)
	if got := p.text("#user"); got != "bob" {
		t.Errorf("signed in as %q, want bob", got)
	}

	// Signing out clears the cookie: the board sends to the sign-in page.
	b.submit("/", "/logout", url.Values{}).mustStatus(t, http.StatusSeeOther)
	if p := b.get("/"); p.status != http.StatusSeeOther {
		t.Errorf("after signing out: status %d, want 303", p.status)
	}
	// The board's own refresh is told where to go instead of swapping in
	// the sign-in page.
	req, _ := http.NewRequest(http.MethodGet, s.url+"/?kiosk=1", nil)
	req.Header.Set("HX-Request", "true")
	if p := b.do(req); p.status != http.StatusUnauthorized || p.header.Get("HX-Redirect") != "/login?next=%2F%3Fkiosk%3D1" {
		t.Errorf("refresh after signing out: %d, HX-Redirect %q", p.status, p.header.Get("HX-Redirect"))
	}
}

// A form posted after the session's token expired is refused, changes
// nothing, and the sign-in it offers comes back to the form's page.
func TestFormAfterTheSessionEnded(t *testing.T) {
	s := MustServe(t, nil, thursday)
	c := createChange(t, s, "alice", "prod-lyon", "Replenishment rules")
	b := s.browser(t)
	b.post("/login", url.Values{"token": {mustToken(t, s, thursday.Add(time.Hour))}}).mustStatus(t, http.StatusSeeOther)
	detail := "/changes/" + c.ID
	csrf := b.get(detail).mustStatus(t, http.StatusOK).attr("input[name=csrf]", "value")

	s.now = thursday.Add(2 * time.Hour)
	form := url.Values{"csrf": {csrf}, "verdict": {"approve"}, "comment": {"looks right"}}
	req, err := http.NewRequest(http.MethodPost, s.url+detail+"/decision", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Referer", s.url+detail)
	p := b.do(req).mustStatus(t, http.StatusUnauthorized)
	if got, want := p.attr("a#sign-in", "href"), "/login?next="+url.QueryEscape(detail); got != want {
		t.Errorf("sign in again at %q, want %q", got, want)
	}
	if got, err := s.changes.FindChangeByID(t.Context(), c.ID); err != nil || len(got.Approvals) != 0 {
		t.Errorf("after the refusal: %+v, %v; want no approval", got, err)
	}
	// Another site's page is not where the sign-in leads.
	req.Header.Set("Referer", "https://elsewhere.example/changes/"+c.ID)
	req.Body = io.NopCloser(strings.NewReader(form.Encode()))
	if got := b.do(req).attr("a#sign-in", "href"); got != "/login?next=%2F" {
		t.Errorf("with another site's Referer: sign in again at %q, want the board", got)
	}
}

// mustToken issues a token for bob at the store's time, expiring at
// expires.
func mustToken(t *testing.T, s *stack, expires time.Time) string {
	t.Helper()
	tok, err := s.tokens.CreateToken(context.Background(), "bob", expires)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestRefusedSignInIsLogged(t *testing.T) {
	var logs lockedBuffer
	s := MustServe(t, nil, thursday, func(c *web.Config) { c.Logger = slog.New(slog.NewJSONHandler(&logs, nil)) })
	s.browser(t).post("/login", url.Values{"token": {"demo-mallory"}}).mustStatus(t, http.StatusUnauthorized)
	s.MustSignIn(t, "bob")

	var refused []map[string]any
	for line := range strings.Lines(logs.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["msg"] == "sign-in refused" {
			refused = append(refused, rec)
		}
	}
	if len(refused) != 1 {
		t.Fatalf("got %d sign-in refused records, want 1 (for the bad token, none for bob's); log:\n%s", len(refused), logs.String())
	}
	rec := refused[0]
	if remote, _ := rec["remote"].(string); rec["level"] != "WARN" || rec["request_id"] == "" || rec["reason"] != "it is unknown or was revoked" || !strings.HasPrefix(remote, "127.0.0.1:") {
		t.Errorf("sign-in refused record %v: want level WARN, the reason, the client's address and the request's id", rec)
	}
	if strings.Contains(logs.String(), "demo-mallory") {
		t.Errorf("the log holds the token that was tried:\n%s", logs.String())
	}
}

// lockedBuffer is a bytes.Buffer that the server's goroutines and the
// test may use at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestSignInRedirectsOnlyWithinTheSite(t *testing.T) {
	s := MustServe(t, nil, thursday)
	for next, want := range map[string]string{
		"https://evil.example/":  "/",
		"//evil.example/":        "/",
		"/\\evil.example":        "/",
		"javascript:alert(1)":    "/",
		"/\t/evil.example":       "/",
		"/\n/evil.example":       "/",
		"/changes?state=pending": "/changes?state=pending",
		// An escaped slash is a path of this site, not a host.
		"/%2F/evil.example": "/%2F/evil.example",
		// Beside a character that must be escaped, the escaped slash
		// would come back unescaped: "///evil.example%7C", a host.
		"/%2F/evil.example|":   "/",
		"/%2f%2Fevil.example{": "/",
	} {
		if p := s.browser(t).post("/login", url.Values{"token": {"demo-bob"}, "next": {next}}); p.location != want {
			t.Errorf("next=%q: redirected to %q, want %q", next, p.location, want)
		}
		// The sign-in page carries next in its form: only a path of
		// this site.
		if got := s.browser(t).get("/login?next="+url.QueryEscape(next)).attr("input[name=next]", "value"); got != want {
			t.Errorf("next=%q: the sign-in form carries next %q, want %q", next, got, want)
		}
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	s := MustServe(t, nil, thursday, func(c *web.Config) { c.InsecureCookies = false })
	p := s.browser(t).post("/login", url.Values{"token": {"demo-bob"}}).mustStatus(t, http.StatusSeeOther)
	cookie := p.header.Get("Set-Cookie")
	session := sessionOf(t, p, "__Host-andon_session")
	// The __Host- prefix makes browsers take the cookie only from this
	// host, over HTTPS, for the whole site: another host of the domain
	// cannot set one.
	for _, want := range []string{"__Host-andon_session=" + session, "HttpOnly", "Secure", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("Set-Cookie %q lacks %s", cookie, want)
		}
	}
	if strings.Contains(strings.ToLower(cookie), "domain=") {
		t.Errorf("Set-Cookie %q names a domain", cookie)
	}

	// A cookie without the prefix, which a browser takes from any host of
	// the domain, is no session.
	req, _ := http.NewRequest(http.MethodGet, s.url+"/", nil)
	req.Header.Set("Cookie", "andon_session="+session)
	if p := s.browser(t).do(req); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/login") {
		t.Errorf("with a cookie andon_session: %d to %q, want 303 to the sign-in page", p.status, p.location)
	}
	req, _ = http.NewRequest(http.MethodGet, s.url+"/", nil)
	req.Header.Set("Cookie", "__Host-andon_session="+session)
	if p := s.browser(t).do(req); p.status != http.StatusOK {
		t.Errorf("with the session cookie: %d, want 200", p.status)
	}

	// Without Secure, browsers refuse the prefix: the cookie goes without.
	s = MustServe(t, nil, thursday, func(c *web.Config) { c.InsecureCookies = true })
	p = s.browser(t).post("/login", url.Values{"token": {"demo-bob"}}).mustStatus(t, http.StatusSeeOther)
	session = sessionOf(t, p, "andon_session")
	if cookie := p.header.Get("Set-Cookie"); !strings.HasPrefix(cookie, "andon_session="+session+";") || strings.Contains(cookie, "Secure") {
		t.Errorf("with insecure cookies: Set-Cookie %q, want andon_session without Secure", cookie)
	}
	req, _ = http.NewRequest(http.MethodGet, s.url+"/", nil)
	req.Header.Set("Cookie", "__Host-andon_session="+session)
	if p := s.browser(t).do(req); p.status != http.StatusSeeOther {
		t.Errorf("with insecure cookies, a __Host- cookie: %d, want 303 to the sign-in page", p.status)
	}
}

// sessionOf returns the value of the cookie name that p sets, a session
// token.
func sessionOf(t *testing.T, p *page, name string) string {
	t.Helper()
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == name && strings.HasPrefix(c.Value, andon.SessionTokenPrefix) {
			return c.Value
		}
	}
	t.Fatalf("no session token in a cookie %s: Set-Cookie %q", name, p.header.Values("Set-Cookie"))
	return ""
}

// TestSignOutClearsEverySessionCookie: signing out clears the session
// cookie under both of its names, so that a token kept under the name
// this server does not read (from before an upgrade, or from before
// --insecure-cookies changed) does not outlive the sign-out.
// Signing out leads to the sign-in page, which says it was done.
func TestSignOutSaysSo(t *testing.T) {
	s := MustServe(t, nil, thursday)
	b := s.MustSignIn(t, "bob")
	p := b.submit("/", "/logout", url.Values{}).mustStatus(t, http.StatusSeeOther)
	p = b.get(p.location).mustStatus(t, http.StatusOK)
	want := "You have signed out: your session has ended, on this browser and in any copy of its cookie. Sign in again to use the board."
	if got := p.text("#ended[role=status]"); got != want || len(p.all("form#login")) != 1 {
		t.Errorf("after signing out: #ended %q, want %q on the sign-in page", got, want)
	}
	// The sign-in page says it only after a sign-out.
	if got := b.get("/login").text("#ended"); got != "" {
		t.Errorf("/login: #ended %q, want none", got)
	}
}

func TestSignOutClearsEverySessionCookie(t *testing.T) {
	for _, insecure := range []bool{false, true} {
		s := MustServe(t, nil, thursday, func(c *web.Config) { c.InsecureCookies = insecure })
		p := s.MustSignIn(t, "bob").post("/logout", url.Values{}).mustStatus(t, http.StatusSeeOther)
		cleared := map[string]bool{}
		for _, c := range (&http.Response{Header: p.header}).Cookies() {
			if c.Value == "" && c.MaxAge < 0 {
				cleared[c.Name] = true
			}
		}
		for _, name := range []string{"__Host-andon_session", "andon_session"} {
			if !cleared[name] {
				t.Errorf("insecure cookies %v: sign-out does not clear %s: Set-Cookie %q", insecure, name, p.header.Values("Set-Cookie"))
			}
		}
	}
}

// A form refused for where it came from (no CSRF token, one not the
// session's, another site) says so in words for the people of a plant,
// and what went wrong technically goes to the log.
func TestFormsNeedTheCSRFToken(t *testing.T) {
	var logs lockedBuffer
	s := MustServe(t, nil, thursday, func(c *web.Config) { c.Logger = slog.New(slog.NewJSONHandler(&logs, nil)) })
	b := s.MustSignIn(t, "alice")
	form := url.Values{"environment": {"staging-lyon"}, "type": {"normal"}, "title": {"No token"}}

	const said = "this form was not accepted: it was open too long, or it was sent from another page or site. Reload the page and send the form again"
	p := b.post("/changes", form).mustStatus(t, http.StatusForbidden)
	if got := p.text("h1"); got != "Not allowed" {
		t.Errorf("without the token, the page is headed %q; want \"Not allowed\", not HTTP's word", got)
	}
	if got := p.text("#error"); got != said {
		t.Errorf("without the token: %q, want %q", got, said)
	}
	form.Set("csrf", "forged")
	if got := b.post("/changes", form).mustStatus(t, http.StatusForbidden).text("#error"); got != said {
		t.Errorf("with a forged token: %q, want %q", got, said)
	}

	// A form posted from another site is refused before anything else.
	req, _ := http.NewRequest(http.MethodPost, s.url+"/logout", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if got := b.do(req).mustStatus(t, http.StatusForbidden).text("#error"); got != said {
		t.Errorf("from another site: %q, want %q", got, said)
	}

	// A token where the change's id goes stays out of the log.
	const secret = "s3CRET-t0ken_value"
	b.post("/changes/andon_"+secret+"/decision", url.Values{"verdict": {"approve"}}).mustStatus(t, http.StatusForbidden)
	if strings.Contains(logs.String(), secret) {
		t.Errorf("the log holds the token in the path:\n%s", logs.String())
	}

	if _, n, _ := s.changes.FindChanges(t.Context(), andon.ChangeFilter{}); n != 0 {
		t.Errorf("%d changes were created by refused forms", n)
	}
	var reasons []string
	for line := range strings.Lines(logs.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if id, _ := rec["request_id"].(string); rec["msg"] == "form refused" && rec["level"] == "WARN" && id != "" {
			reason, _ := rec["reason"].(string)
			reasons = append(reasons, fmt.Sprintf("%s %s %s: %s", rec["method"], rec["path"], rec["user"], reason))
		}
	}
	want := []string{
		"POST /changes alice: the form carries no CSRF token",
		"POST /changes alice: the form's CSRF token is not the session's (a page of an earlier session, or a forgery)",
		"POST /logout : cross-origin request: cross-origin request detected from Sec-Fetch-Site header",
		"POST /changes/andon_[redacted]/decision alice: the form carries no CSRF token",
	}
	if !slices.Equal(reasons, want) {
		t.Errorf("forms refused in the log:\n%s\nwant\n%s\nlog:\n%s", strings.Join(reasons, "\n"), strings.Join(want, "\n"), logs.String())
	}
}

func TestBoard(t *testing.T) {
	// Sunday 29 November, noon in Lyon: the month-end close has frozen the
	// production environments since midnight, plant time. Its two 48-hour
	// occurrences, from the 29th and the 30th, overlap: it is in force
	// until 2 December, as the gate says, and its second occurrence is not
	// the next window.
	s := MustServe(t, nil, time.Date(2026, 11, 29, 11, 0, 0, 0, time.UTC))
	b := s.MustSignIn(t, "alice")
	createChange(t, s, "alice", "prod-geelong", "Receipt checks")

	p := b.get("/").mustStatus(t, http.StatusOK)
	var plants []string
	for _, n := range p.all("section.plant") {
		plants = append(plants, attrOf(n, "data-plant"))
	}
	if !slices.Equal(plants, []string{"lyon", "geelong"}) {
		t.Errorf("plants %v, want [lyon geelong]", plants)
	}
	if got := p.text("section.plant[data-plant=lyon] time.local-time"); got != "Sun 12:00" {
		t.Errorf("Lyon's local time %q, want Sun 12:00", got)
	}
	if got := p.text("section.plant[data-plant=geelong] time.local-time"); got != "Sun 22:00" {
		t.Errorf("Geelong's local time %q, want Sun 22:00", got)
	}
	tests := []struct{ env, state, text string }{
		{"prod-lyon", "frozen", "Frozen: month-end-close until Wed 2 Dec 2026 00:00"},
		{"prod-geelong", "frozen", "Frozen: month-end-close until Wed 2 Dec 2026 00:00"},
		{"staging-lyon", "open", "Open"},
		{"dev", "open", "Open"},
	}
	for _, tt := range tests {
		tile := "article.tile[data-env=" + tt.env + "]"
		if got := p.attr(tile, "data-state"); got != tt.state {
			t.Errorf("%s: state %q, want %q", tt.env, got, tt.state)
		}
		if got := p.text(tile + " .state .label"); got != tt.text {
			t.Errorf("%s: %q, want %q", tt.env, got, tt.text)
		}
	}
	// The freeze lets emergency changes through, as the gate would.
	if got := p.text("article.tile[data-env=prod-lyon] .allows"); got != "The freeze allows only emergency changes" {
		t.Errorf("prod-lyon, frozen: %q, want it to say the freeze allows emergency changes", got)
	}
	if got := p.text("article.tile[data-env=prod-subsidiaries] .next"); !strings.HasPrefix(got, "Next: sunday-maintenance (maintenance) Sun 6 Dec 2026 02:00") {
		t.Errorf("prod-subsidiaries, frozen until 2 December: %q, want the maintenance window of 6 December next", got)
	}
	if got := p.text("article.tile[data-env=prod-subsidiaries] .serves"); got != "Serves lyon, geelong; windows in lyon time" {
		t.Errorf("a shared environment's tile: %q", got)
	}
	if got := p.text("article.tile[data-env=prod-geelong] dd[data-count=pending]"); got != "1" {
		t.Errorf("prod-geelong pending %q, want 1", got)
	}
	// A count leads to the changes it counts, where only the
	// environment's name led to all of its changes.
	if got, want := p.attr("article.tile[data-env=prod-geelong] dd[data-count=pending] a", "href"), "/changes?environment=prod-geelong&state=pending"; got != want {
		t.Errorf("prod-geelong's pending count links to %q, want %q", got, want)
	}
	if got, want := p.attr("article.tile[data-env=prod-geelong] dd[data-count=pending] a", "aria-label"), "1 pending in prod-geelong"; got != want {
		t.Errorf("prod-geelong's pending count is named %q, want %q", got, want)
	}
	if n := len(p.all("article.tile[data-env=prod-lyon] dd a")); n != 0 {
		t.Errorf("prod-lyon, with no change: %d counts link to nothing", n)
	}
	// The board refreshes itself, and says so for those without scripts.
	if p.attr("#board", "hx-trigger") != "every 30s" {
		t.Errorf("the board does not refresh itself: hx-trigger %q", p.attr("#board", "hx-trigger"))
	}
	// Without scripts (a kiosk browser that runs none) it reloads itself.
	if !strings.Contains(p.body, `<noscript><meta http-equiv="refresh" content="30"></noscript>`) {
		t.Error("the board does not reload itself without scripts")
	}

	kiosk := b.get("/?kiosk=1").mustStatus(t, http.StatusOK)
	if kiosk.all("body.kiosk") == nil || kiosk.all("nav") != nil || kiosk.all("form") != nil || kiosk.all("dd a") != nil {
		t.Error("the kiosk board has controls")
	}
	if len(kiosk.all("article.tile")) != len(p.all("article.tile")) {
		t.Error("the kiosk board lacks tiles")
	}
}

// The list of changes says which of them a page shows, and leads to the
// others; before the first change, it says there is none yet rather than
// that none matches.
func TestChangeListPages(t *testing.T) {
	s := MustServe(t, nil, thursday)
	if got := s.MustSignIn(t, "alice").get("/changes").text("table#changes td"); got != "No change has been opened yet: open the first." {
		t.Errorf("no change yet: %q", got)
	}
	for i := range 55 {
		createChange(t, s, "alice", "dev", fmt.Sprintf("Routine change %d", i+1))
	}
	b := s.MustSignIn(t, "bob")
	p := b.get("/changes?environment=dev").mustStatus(t, http.StatusOK)
	if got := p.text("#count"); got != "1–50 of 55 changes" {
		t.Errorf("first page: %q, want 1–50 of 55 changes", got)
	}
	if n := len(p.all("table#changes tr[data-change]")); n != 50 || p.all("a[rel=prev]") != nil {
		t.Errorf("first page: %d changes, previous page %v", n, p.all("a[rel=prev]") != nil)
	}
	p = b.get(p.attr("a[rel=next]", "href")).mustStatus(t, http.StatusOK)
	if got := p.text("#count"); got != "51–55 of 55 changes" {
		t.Errorf("second page: %q, want 51–55 of 55 changes", got)
	}
	if got := p.attr("table#changes tr[data-change]", "data-change"); got != "CHG-5" || p.all("a[rel=next]") != nil {
		t.Errorf("second page starts with %s, next page %v; want CHG-5 and none", got, p.all("a[rel=next]") != nil)
	}
	if got := b.get("/changes?q=nothing+like+it").text("table#changes td"); got != "No change matches." {
		t.Errorf("a filter that keeps none: %q", got)
	}
	// A page that holds them all says only how many.
	if got := b.get("/changes?q=Routine+change+55").text("#count"); got != "1 change" {
		t.Errorf("one match: %q", got)
	}
}

// TestChangeListByProcess lists the changes that affected one business
// process, named or through the modules they touch, from a choice of the
// catalog's processes; its pages keep the filter.
func TestChangeListByProcess(t *testing.T) {
	s := MustServe(t, nil, thursday)
	ctx := andon.NewContextWithUser(t.Context(), &andon.User{Name: "alice"})
	var finance []string
	for _, req := range []andon.ChangeRequest{
		{Environment: "dev", Type: andon.ChangeNormal, Title: "Invoice layout", Facts: andon.Facts{Modules: []string{"account"}}},
		{Environment: "dev", Type: andon.ChangeNormal, Title: "Closing checklist", Processes: []string{"finance"}},
	} {
		c, err := s.changes.CreateChange(ctx, &req)
		if err != nil {
			t.Fatal(err)
		}
		finance = append([]string{c.ID}, finance...)
	}
	createChange(t, s, "alice", "dev", "Unrelated")
	b := s.MustSignIn(t, "bob")
	p := b.get("/changes?process=finance").mustStatus(t, http.StatusOK)
	if got := p.changes("table#changes tr[data-change]"); !slices.Equal(got, finance) {
		t.Errorf("process finance: changes %v, want %v", got, finance)
	}
	if got := p.attr("select#f-process option[selected]", "value"); got != "finance" {
		t.Errorf("process finance: the choice holds %q", got)
	}
	if got := p.text("details#filter-panel > summary"); got != "Filters (1 set)" {
		t.Errorf("process finance: summary %q", got)
	}
	// A process the catalog no longer holds is still a choice, and lists
	// its changes: here none.
	p = b.get("/changes?process=payroll").mustStatus(t, http.StatusOK)
	if got := p.attr("select#f-process option[selected]", "value"); got != "payroll" {
		t.Errorf("process payroll: the choice holds %q", got)
	}
	if got := p.text("table#changes td"); got != "No change matches." {
		t.Errorf("process payroll: %q", got)
	}
}

func TestChangeListByImage(t *testing.T) {
	s := MustServe(t, nil, thursday)
	carrying := createChange(t, s, "alice", "dev", "Carries the image")
	ctx := andon.NewContextWithUser(t.Context(), &andon.User{Name: "alice"})
	other, err := s.changes.CreateChange(ctx, &andon.ChangeRequest{Environment: "dev", Type: andon.ChangeNormal, Title: "Another image",
		Artifacts: []string{strings.Replace(image, "sha256:1111", "sha256:2222", 1)}})
	if err != nil {
		t.Fatal(err)
	}
	b := s.MustSignIn(t, "bob")
	ids := func(p *page) []string { return p.changes("table#changes tr[data-change]") }
	// The same repository and digest under another tag is the same image.
	retagged := strings.Replace(image, ":17.0@", ":release-2026-11@", 1)
	for _, ref := range []string{image, retagged} {
		p := b.get("/changes?image="+url.QueryEscape(ref)).mustStatus(t, http.StatusOK)
		if got := ids(p); !slices.Equal(got, []string{carrying.ID}) {
			t.Errorf("image %s: changes %v, want [%s] (not %s)", ref, got, carrying.ID, other.ID)
		}
		if got := p.attr("input#f-image", "value"); got != ref {
			t.Errorf("image %s: the field holds %q", ref, got)
		}
	}
	// Its pages, of fifty changes, keep the filter.
	for i := range 50 {
		createChange(t, s, "alice", "dev", fmt.Sprintf("Routine change %d", i))
	}
	p := b.get("/changes?image="+url.QueryEscape(image)).mustStatus(t, http.StatusOK)
	next := b.get(p.attr("a[rel=next]", "href")).mustStatus(t, http.StatusOK)
	if got := ids(next); !slices.Equal(got, []string{carrying.ID}) {
		t.Errorf("second page of the image's changes: %v, want [%s]", got, carrying.ID)
	}

	// A reference not pinned by digest is refused beside the form, with
	// the store's message and what was typed; the page is not an error.
	p = b.get("/changes?image=odoo%3Alatest&environment=dev").mustStatus(t, http.StatusBadRequest)
	if got, want := p.text("form#filters + #error[role=alert]"), `image "odoo:latest" is not pinned by digest`; !strings.Contains(got, want) {
		t.Errorf("bad image: #error %q, want it to say %q", got, want)
	}
	if p.attr("input#f-image", "value") != "odoo:latest" || p.attr("input#f-image", "aria-invalid") != "true" ||
		p.attr("select#f-environment option[selected]", "value") != "dev" {
		t.Errorf("bad image: the form does not come back as typed, marked invalid")
	}
	if got := p.text("title"); got != "Refused: Changes · andon" {
		t.Errorf("bad image: page title %q", got)
	}
	if p.all("table#changes") != nil {
		t.Error("bad image: a listing is shown as if the filter held")
	}

	// A search the store refuses beside a good image is refused for what
	// it is: the image is not marked at fault, nor the search's message
	// shown as the image's.
	words := strings.TrimSpace(strings.Repeat("invoice ", andon.MaxSearchWords+1))
	p = b.get("/changes?image="+url.QueryEscape(image)+"&q="+url.QueryEscape(words)).mustStatus(t, http.StatusBadRequest)
	if got := p.attr("input#f-image", "aria-invalid"); got == "true" {
		t.Errorf("too long a search beside a good image: the image field is marked invalid")
	}
	if got := p.text("form#filters + #error[role=alert]"); got != "" {
		t.Errorf("too long a search beside a good image: shown as the image's error: %q", got)
	}
	if got, want := p.text("main"), fmt.Sprintf("q: %d words", andon.MaxSearchWords+1); !strings.Contains(got, want) {
		t.Errorf("too long a search beside a good image: the page says %q, want it to say %q", got, want)
	}
}

// createChange creates a change in env as user through the service.
func createChange(t *testing.T, s *stack, user, env, title string) *andon.Change {
	t.Helper()
	ctx := andon.NewContextWithUser(t.Context(), &andon.User{Name: user})
	c, err := s.changes.CreateChange(ctx, &andon.ChangeRequest{Environment: env, Type: andon.ChangeNormal, Title: title,
		Artifacts: []string{image}, Facts: andon.Facts{Modules: []string{"stock"}, Migration: true}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestChangeLifecycleThroughForms(t *testing.T) {
	s := MustServe(t, nil, thursday)
	alice := s.MustSignIn(t, "alice")

	// A refused form comes back with the reason and what was typed.
	p := alice.submit("/changes/new", "/changes", url.Values{"environment": {"prod-lyon"}, "type": {"normal"},
		"title": {"Replenishment rules"}, "artifacts": {"odoo:latest"}}).mustStatus(t, http.StatusBadRequest)
	if !strings.Contains(p.text("#error"), "artifacts[0]") || p.attr("#title", "value") != "Replenishment rules" {
		t.Errorf("refused form: error %q, title %q", p.text("#error"), p.attr("#title", "value"))
	}
	// The page's title says so, where a screen reader and a tab start.
	if got := p.text("title"); got != "Refused: New change · andon" {
		t.Errorf("refused form: page title %q", got)
	}

	p = alice.submit("/changes/new", "/changes", url.Values{"environment": {"prod-lyon"}, "type": {"normal"},
		"title": {"Replenishment rules"}, "artifacts": {image}, "modules": {"stock, purchase"}, "migration": {"1"},
		"windowStart": {"2026-11-29T02:00"}, "windowEnd": {"2026-11-29T04:00"}}).mustStatus(t, http.StatusSeeOther)
	detail := strings.TrimSuffix(p.location, "?done=created")
	if !strings.HasPrefix(detail, "/changes/CHG-") {
		t.Fatalf("created: to %q", p.location)
	}
	p = alice.get(p.location).mustStatus(t, http.StatusOK)
	if p.text("#done") != "Change created." || p.attr("#state", "data-state") != "pending" || p.text("#tier") == "" {
		t.Errorf("new change: done %q, state %q, tier %q", p.text("#done"), p.attr("#state", "data-state"), p.text("#tier"))
	}
	// A tab of each change says which it is.
	if got, want := p.text("title"), strings.TrimPrefix(detail, "/changes/")+": Replenishment rules · andon"; got != want {
		t.Errorf("change page title %q, want %q", got, want)
	}
	if p.all("#reasons li") == nil || p.all("#slots tr[data-role]") == nil {
		t.Fatal("the change shows no reasons or no slots")
	}
	// The window was read in Lyon's time: 02:00 Paris is 01:00 UTC.
	if got := p.attr("dl.facts time", "datetime"); got != "2026-11-29T01:00:00Z" {
		t.Errorf("window start %q, want 2026-11-29T01:00:00Z", got)
	}

	// Segregation of duties: the requester is offered no decision, and
	// told why; her approval is refused, clearly, if posted all the same.
	if mine := alice.get(detail); mine.all("form#decide") != nil || !strings.Contains(mine.text("#decide-refused"), "segregation of duties") {
		t.Errorf("the requester's page: decide form %v, refusal %q", mine.all("form#decide") != nil, mine.text("#decide-refused"))
	}
	p = alice.submit(detail, detail+"/decision", url.Values{"verdict": {"approve"}}).mustStatus(t, http.StatusForbidden)
	if !strings.Contains(p.text("#error[role=alert]"), "segregation of duties") {
		t.Errorf("self-approval: %q", p.text("#error"))
	}
	if got := p.text("title"); !strings.HasPrefix(got, "Refused: CHG-") {
		t.Errorf("self-approval: page title %q, want it to say the form was refused", got)
	}

	// The slots' approvers fill them, and the change is approved.
	eligible := map[string][]string{}
	for _, row := range p.all("#slots tr[data-role]") {
		eligible[attrOf(row, "data-role")] = strings.Split(textOf(cascadia.Query(row, cascadia.MustCompile("td:nth-child(3)"))), ", ")
	}
	if !slices.Contains(eligible["change-manager"], "bob") {
		t.Fatalf("bob may not fill change-manager: %v", eligible)
	}
	for _, user := range []string{"bob", "carol"} {
		b := s.MustSignIn(t, user)
		if b.get("/approvals").all("#inbox tr[data-change]") == nil {
			t.Errorf("%s's inbox is empty", user)
		}
		page := b.get(detail)
		if page.all("form#decide button[value=approve]") == nil {
			t.Errorf("%s is offered no decision", user)
		}
		if got := page.text("#decide-hint"); !strings.Contains(got, "a rejection needs a comment") {
			t.Errorf("%s's hint %q does not say a rejection needs a comment", user, got)
		}
		// A change manager may also cancel the change: each form, with
		// its comment, is a group of its own, named, where two boxes
		// "Comment" and "Comment on the transition" stood one above the
		// other.
		if user == "bob" {
			var groups []string
			for _, form := range []string{"decide", "transition"} {
				groups = append(groups, page.text("form#"+form+" fieldset > legend")+": "+page.text("form#"+form+" label[for]"))
			}
			if want := []string{"Your decision: Comment on your decision", "Next step: Comment on the step"}; !slices.Equal(groups, want) {
				t.Errorf("bob's forms on a pending change: %q, want %q", groups, want)
			}
		}
		p := b.submit(detail, detail+"/decision", url.Values{"verdict": {"approve"}, "comment": {"ok from " + user}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("%s approves: %d %q", user, p.status, b.get(detail).text("#error"))
		}
	}
	p = alice.get(detail)
	if got := p.attr("#state", "data-state"); got != "approved" {
		t.Fatalf("after two approvals: state %q; slots %q", got, p.text("#slots"))
	}
	if !strings.Contains(p.text("#approvals"), "ok from carol") {
		t.Errorf("approvals %q lack the comment", p.text("#approvals"))
	}

	// Start asks the gate, which refuses it before its window, and says so.
	p = alice.submit(detail, detail+"/transition", url.Values{"to": {"implementing"}, "comment": {"by hand"}}).mustStatus(t, http.StatusConflict)
	if got := p.text("#error[role=alert]"); !strings.Contains(got, "cannot start now, the gate refuses it") || !strings.Contains(got, "(OUTSIDE_CHANGE_WINDOW)") {
		t.Errorf("start before the window: %q, want the gate's reason", got)
	}
	if got := p.text("form#transition textarea[name=comment]"); got != "by hand" {
		t.Errorf("start before the window: the comment given back is %q", got)
	}
	p = alice.get(detail)
	if got := p.attr("#state", "data-state"); got != "approved" {
		t.Fatalf("after the refused start: state %q, want approved", got)
	}

	// The requester cancels it; the page offers only what the lifecycle allows.
	var buttons []string
	for _, n := range p.all("form#transition button[name=to]") {
		buttons = append(buttons, attrOf(n, "value"))
	}
	if !slices.Equal(buttons, []string{"implementing", "cancelled"}) {
		t.Errorf("transitions %v, want [implementing cancelled]", buttons)
	}
	// Cancelling asks to confirm it first, with the comment typed.
	p = alice.submit(detail, detail+"/transition", url.Values{"to": {"cancelled"}, "comment": {"no longer needed"}}).mustStatus(t, http.StatusSeeOther)
	p = alice.get(p.location).mustStatus(t, http.StatusOK)
	if got := p.text("h1"); got != "Cancel "+strings.TrimPrefix(detail, "/changes/")+"?" {
		t.Errorf("cancel: the page asks %q", got)
	}
	if got := alice.get(detail).attr("#state", "data-state"); got != "approved" {
		t.Fatalf("cancel before the confirmation: state %q, want still approved", got)
	}
	p = alice.post(detail+"/transition", url.Values{"csrf": {p.attr("form#confirm input[name=csrf]", "value")},
		"to": {p.attr("form#confirm input[name=to]", "value")}, "confirm": {p.attr("form#confirm input[name=confirm]", "value")},
		"comment": {p.text("form#confirm textarea[name=comment]")}}).mustStatus(t, http.StatusSeeOther)
	p = alice.get(p.location).mustStatus(t, http.StatusOK)
	if got := p.attr("#state", "data-state"); got != "cancelled" {
		t.Errorf("after cancelling: %q", got)
	}
	if got := p.text("#done"); got != "The change is now Cancelled." {
		t.Errorf("after cancelling: #done %q, want the state it is in", got)
	}
}

func TestEndingAChangeAsksToConfirm(t *testing.T) {
	s := MustServe(t, nil, thursday)
	ctx := andon.NewContextWithUser(t.Context(), &andon.User{Name: "alice"})
	// A deployment to staging records a standard change, implementing.
	res, err := s.gate.Decide(ctx, andon.GateRequest{Environment: "staging-lyon", Image: image})
	if err != nil || !res.Allow || res.Change == nil || res.Change.State != andon.StateImplementing {
		t.Fatalf("gate: %+v, %v", res, err)
	}
	id := res.Change.ID
	detail := "/changes/" + id
	alice := s.MustSignIn(t, "alice")
	var buttons []string
	for _, n := range alice.get(detail).all("form#transition button[name=to]") {
		buttons = append(buttons, attrOf(n, "value"))
	}
	if !slices.Equal(buttons, []string{"completed", "failed", "rolled-back"}) {
		t.Fatalf("transitions %v, want [completed failed rolled-back]", buttons)
	}
	for _, tt := range []struct {
		to       andon.State
		question string
	}{
		{andon.StateFailed, "Mark " + id + " failed?"},
		{andon.StateRolledBack, "Mark " + id + " rolled back?"},
	} {
		// The button leads to a page of its own, got rather than posted,
		// which the browser's Back and Forward reach without sending a
		// form again.
		p := alice.submit(detail, detail+"/transition", url.Values{"to": {string(tt.to)}, "comment": {"line 2 <stops>"}}).mustStatus(t, http.StatusSeeOther)
		if want := detail + "/confirm?"; !strings.HasPrefix(p.location, want) {
			t.Fatalf("%s leads to %q, want %s…", tt.to, p.location, want)
		}
		p = alice.get(p.location).mustStatus(t, http.StatusOK)
		if got := p.text("title"); got != tt.question+" · andon" {
			t.Errorf("%s: page title %q, want %q", tt.to, got, tt.question)
		}
		if got := p.text("#confirm-warning"); got != "This ends the change; it cannot be reopened." {
			t.Errorf("%s: warning %q", tt.to, got)
		}
		// The button says what it does, not only "Confirm".
		if got, want := p.text("#confirm-button"), strings.TrimSuffix(tt.question, "?"); got != want {
			t.Errorf("%s: button %q, want %q", tt.to, got, want)
		}
		if p.attr("form#confirm input[name=to]", "value") != string(tt.to) || p.attr("form#confirm input[name=confirm]", "value") != "yes" ||
			p.attr("form#confirm input[name=csrf]", "value") == "" || p.text("form#confirm textarea[name=comment]") != "line 2 <stops>" {
			t.Errorf("%s: the confirmation's form does not carry the transition, the CSRF token and the comment", tt.to)
		}
		if got := p.attr("a#back", "href"); got != detail {
			t.Errorf("%s: Back leads to %q", tt.to, got)
		}
		if got := alice.get(detail).attr("#state", "data-state"); got != "implementing" {
			t.Fatalf("%s before the confirmation: state %q", tt.to, got)
		}
	}

	// The confirmation needs the CSRF token as every form does.
	alice.post(detail+"/transition", url.Values{"to": {"failed"}, "confirm": {"yes"}}).mustStatus(t, http.StatusForbidden)
	// One who may not move the change is refused when confirming, as before.
	frank := s.MustSignIn(t, "frank")
	frank.submit(detail, detail+"/transition", url.Values{"to": {"failed"}}).mustStatus(t, http.StatusSeeOther)
	p := frank.submit(detail, detail+"/transition", url.Values{"to": {"failed"}, "confirm": {"yes"}, "comment": {"not mine"}}).mustStatus(t, http.StatusForbidden)
	if got := p.text("#error[role=alert]"); !strings.Contains(got, "frank may not move change "+id) {
		t.Errorf("frank confirms: %q", got)
	}
	// A comment refused comes back in the change's form, saying why.
	typed := "failed \u202e"
	p = alice.submit(detail, detail+"/transition", url.Values{"to": {"failed"}, "confirm": {"yes"}, "comment": {typed}}).mustStatus(t, http.StatusBadRequest)
	if !strings.Contains(p.text("#error"), "bidirectional control U+202E") || p.text("textarea#transition-comment") != typed {
		t.Errorf("a refused comment: %q, given back %q", p.text("#error"), p.text("textarea#transition-comment"))
	}
	// Completing takes effect at once; an ending confirmed afterwards,
	// from a page left open, is refused as before.
	alice.submit(detail, detail+"/transition", url.Values{"to": {"completed"}}).mustStatus(t, http.StatusSeeOther)
	p = alice.submit(detail, detail+"/transition", url.Values{"to": {"rolled-back"}, "confirm": {"yes"}}).mustStatus(t, http.StatusConflict)
	if got := p.text("#error[role=alert]"); !strings.Contains(got, "change "+id+" is completed and cannot become rolled-back") ||
		p.attr("#state", "data-state") != "completed" {
		t.Errorf("rolled back once completed: %q, state %q", got, p.attr("#state", "data-state"))
	}
	alice.get("/changes/CHG-999/confirm?to=cancelled").mustStatus(t, http.StatusNotFound)
	alice.submit(detail, "/changes/CHG-999/transition", url.Values{"confirm": {"yes"}, "to": {"cancelled"}}).mustStatus(t, http.StatusNotFound)
	if got := alice.get(detail+"/confirm?to=completed").mustStatus(t, http.StatusBadRequest).text("#error"); !strings.Contains(got, `to: "completed" is not rejected, cancelled, failed or rolled-back`) {
		t.Errorf("confirm?to=completed: %q", got)
	}
}

// TestConfirmationAfterTheChangeMovedOn goes back, as the browser's Back
// button does, to the page that asked to confirm a cancellation once it
// was confirmed: the page says the change is cancelled and offers no
// Confirm, where the browser offered to post the form again.
func TestConfirmationAfterTheChangeMovedOn(t *testing.T) {
	s := MustServe(t, nil, thursday)
	c := createChange(t, s, "alice", "dev", "Label report translations")
	detail := "/changes/" + c.ID
	alice := s.MustSignIn(t, "alice")
	confirm := alice.submit(detail, detail+"/transition", url.Values{"to": {"cancelled"}, "comment": {"done already"}}).mustStatus(t, http.StatusSeeOther).location
	p := alice.get(confirm).mustStatus(t, http.StatusOK)
	if got := p.text("form#confirm textarea[name=comment]"); got != "done already" {
		t.Errorf("the comment carried to the confirmation: %q", got)
	}
	alice.post(detail+"/transition", url.Values{"csrf": {p.attr("form#confirm input[name=csrf]", "value")},
		"to": {"cancelled"}, "confirm": {"yes"}, "comment": {"done already"}}).mustStatus(t, http.StatusSeeOther)
	p = alice.get(confirm).mustStatus(t, http.StatusOK)
	if got := p.text("#moot"); got != c.ID+" is now Cancelled and can no longer be cancelled: there is nothing to confirm." {
		t.Errorf("back to the confirmation once confirmed: #moot %q", got)
	}
	if len(p.all("form#confirm")) != 0 || len(p.all("#confirm-warning")) != 0 {
		t.Error("back to the confirmation once confirmed: it still offers to confirm")
	}
	if got := p.attr("a#back", "href"); got != detail {
		t.Errorf("back to the confirmation once confirmed: Back leads to %q", got)
	}
}

// Rejecting ends a change for good, as cancelling does: the button leads
// to a page that asks first, carrying the reason typed, whose button
// says what it does and posts the rejection; a rejection without a reason
// is refused before it is asked.
func TestRejectingAChangeAsksToConfirm(t *testing.T) {
	s := MustServe(t, nil, thursday)
	c := createChange(t, s, "alice", "prod-lyon", "Replenishment rules")
	detail := "/changes/" + c.ID
	carol := s.MustSignIn(t, "carol")

	p := carol.submit(detail, detail+"/decision", url.Values{"verdict": {"reject"}, "comment": {" "}}).mustStatus(t, http.StatusBadRequest)
	if got := p.text("#error[role=alert]"); !strings.Contains(got, "a rejection needs a reason") {
		t.Errorf("a rejection without a reason: %q", got)
	}

	typed := "Not tonight: the MRP run <needs> it"
	p = carol.submit(detail, detail+"/decision", url.Values{"verdict": {"reject"}, "comment": {typed}}).mustStatus(t, http.StatusSeeOther)
	if want := detail + "/confirm?"; !strings.HasPrefix(p.location, want) {
		t.Fatalf("Reject leads to %q, want %s…", p.location, want)
	}
	if got, err := s.changes.FindChangeByID(t.Context(), c.ID); err != nil || got.State != andon.StatePending {
		t.Fatalf("before the confirmation: %+v, %v; want still pending", got, err)
	}
	confirm := p.location
	p = carol.get(confirm).mustStatus(t, http.StatusOK)
	question := "Reject " + c.ID + "?"
	if got := p.text("title"); got != question+" · andon" {
		t.Errorf("page title %q, want %q", got, question)
	}
	if got := p.text("#confirm-warning"); got != "This ends the change; it cannot be reopened." {
		t.Errorf("warning %q", got)
	}
	if got := p.text("#confirm-button"); got != "Reject "+c.ID {
		t.Errorf("button %q, want %q", got, "Reject "+c.ID)
	}
	if p.attr("form#confirm", "action") != detail+"/decision" || p.attr("form#confirm input[name=verdict]", "value") != "reject" ||
		p.attr("form#confirm input[name=confirm]", "value") != "yes" || p.attr("form#confirm input[name=csrf]", "value") == "" {
		t.Errorf("the confirmation's form does not post the rejection with the CSRF token: %q", p.body)
	}
	if got := p.text("form#confirm textarea[name=comment][required]"); got != typed {
		t.Errorf("the reason carried to the confirmation: %q, want %q", got, typed)
	}
	if got := p.attr("a#back", "href"); got != detail {
		t.Errorf("Back leads to %q", got)
	}

	p = carol.post(detail+"/decision", url.Values{"csrf": {p.attr("form#confirm input[name=csrf]", "value")},
		"verdict": {"reject"}, "confirm": {"yes"}, "comment": {p.text("form#confirm textarea[name=comment]")}}).mustStatus(t, http.StatusSeeOther)
	p = carol.get(p.location).mustStatus(t, http.StatusOK)
	if p.attr("#state", "data-state") != "rejected" || p.text("#done") != "Your rejection is recorded." || !strings.Contains(p.text("#approvals"), typed) {
		t.Errorf("after confirming: state %q, #done %q, approvals %q", p.attr("#state", "data-state"), p.text("#done"), p.text("#approvals"))
	}
	// Back to the page that asked: the change has moved on.
	p = carol.get(confirm).mustStatus(t, http.StatusOK)
	if got := p.text("#moot"); got != c.ID+" is now Rejected and can no longer be rejected: there is nothing to confirm." {
		t.Errorf("back to the confirmation once confirmed: #moot %q", got)
	}
	if len(p.all("form#confirm")) != 0 {
		t.Error("back to the confirmation once confirmed: it still offers to confirm")
	}
}

// The comment typed in a form that asks to be confirmed reaches the
// confirmation page without going in an address, which the browser keeps
// in its history and proxies write in their logs: a rejection's reason,
// a cancellation's comment. Only the session that typed it reads it there.
func TestConfirmationKeepsTheCommentOutOfAddresses(t *testing.T) {
	s := MustServe(t, nil, thursday)
	pending := createChange(t, s, "alice", "prod-lyon", "Replenishment rules")
	approved := createChange(t, s, "alice", "dev", "Label translations")
	if approved.State != andon.StateApproved {
		t.Fatalf("%s: state %q, want approved", approved.ID, approved.State)
	}
	for _, tt := range []struct {
		user, id, action string
		form             url.Values
	}{
		{"carol", pending.ID, "decision", url.Values{"verdict": {"reject"}}},
		{"alice", approved.ID, "transition", url.Values{"to": {"cancelled"}}},
	} {
		detail := "/changes/" + tt.id
		typed := "Not tonight: the inventory count of hall 3"
		tt.form.Set("comment", typed)
		b := s.MustSignIn(t, tt.user)
		p := b.submit(detail, detail+"/"+tt.action, tt.form).mustStatus(t, http.StatusSeeOther)
		confirm := p.location
		cookie := p.header.Get("Set-Cookie")
		for _, want := range []string{"andon_draft=", "Path=" + detail + "/confirm;", "Max-Age=3600", "HttpOnly", "SameSite=Lax"} {
			if !strings.Contains(cookie, want) {
				t.Errorf("%s: Set-Cookie %q lacks %s", tt.action, cookie, want)
			}
		}
		for _, a := range []string{confirm, cookie} {
			if u, _ := url.QueryUnescape(a); strings.Contains(u, "inventory") {
				t.Errorf("%s: the comment is in %q", tt.action, a)
			}
		}
		if got := b.get(confirm).mustStatus(t, http.StatusOK).text("form#confirm textarea[name=comment]"); got != typed {
			t.Errorf("%s: the comment carried to the confirmation: %q, want %q", tt.action, got, typed)
		}
		// Another session of the same user, given the browser's cookies
		// for the page, reads nothing: the comment is sealed for the
		// session that typed it.
		u, _ := url.Parse(s.url + confirm)
		other := s.MustSignIn(t, tt.user)
		for _, c := range b.client.Jar.Cookies(u) {
			if c.Name != "andon_session" {
				other.client.Jar.SetCookies(u, []*http.Cookie{c})
			}
		}
		if got := other.get(confirm).mustStatus(t, http.StatusOK).text("form#confirm textarea[name=comment]"); got != "" {
			t.Errorf("%s: another session reads the comment %q", tt.action, got)
		}
		// An address cannot fill the comment in either.
		if got := b.get(confirm + "&comment=planted").text("form#confirm textarea[name=comment]"); got != typed {
			t.Errorf("%s: confirm?comment=planted shows %q, want %q", tt.action, got, typed)
		}
		// A comment too long for a cookie comes in the confirmation page
		// answered to the POST.
		long := strings.Repeat("the racks' locations, ", 200) + "and more"
		tt.form.Set("comment", long)
		p = b.submit(detail, detail+"/"+tt.action, tt.form).mustStatus(t, http.StatusOK)
		if p.location != "" || p.text("form#confirm textarea[name=comment]") != long || p.text("h1") == "" {
			t.Errorf("%s with a long comment: %d to %q, comment %d bytes long, want the confirmation with the %d bytes",
				tt.action, p.status, p.location, len(p.text("form#confirm textarea[name=comment]")), len(long))
		}
		// Confirming clears what the cookie kept.
		tt.form.Set("comment", typed)
		b.submit(detail, detail+"/"+tt.action, tt.form).mustStatus(t, http.StatusSeeOther)
		tt.form.Set("confirm", "yes")
		b.submit(confirm, detail+"/"+tt.action, tt.form).mustStatus(t, http.StatusSeeOther)
		if got := b.get(confirm).mustStatus(t, http.StatusOK); strings.Contains(got.body, "inventory") || got.text("#moot") == "" {
			t.Errorf("%s: after confirming, the confirmation shows %q, #moot %q", tt.action, got.text("form#confirm textarea"), got.text("#moot"))
		}
		if n := len(b.client.Jar.Cookies(u)); n != 1 {
			t.Errorf("%s: after confirming, the browser keeps %d cookies for the confirmation, want the session's alone", tt.action, n)
		}
	}
}

// The answer that keeps a comment in the draft cookie has a header of
// less than 4 KiB, the most nginx takes of an upstream's answer by
// default (ingress-nginx's proxy-buffer-size), which answers 502 Bad
// Gateway for more: a comment too long for that comes in the
// confirmation answered to the POST.
func TestDraftCookieFitsAProxysBuffer(t *testing.T) {
	s := MustServe(t, nil, thursday)
	c := createChange(t, s, "alice", "prod-lyon", "Replenishment rules")
	detail := "/changes/" + c.ID
	b := s.MustSignIn(t, "carol")
	reject := func(n int) *page {
		return b.submit(detail, detail+"/decision", url.Values{"verdict": {"reject"}, "comment": {strings.Repeat("x", n)}})
	}
	// The longest comment kept in the cookie: the answers turn from a
	// redirection to the confirmation itself past it.
	lo, hi := 1, 8000
	reject(lo).mustStatus(t, http.StatusSeeOther)
	reject(hi).mustStatus(t, http.StatusOK)
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if p := reject(mid); p.status == http.StatusSeeOther {
			lo = mid
		} else {
			hi = mid
		}
	}
	p := reject(lo).mustStatus(t, http.StatusSeeOther)
	var header bytes.Buffer
	header.WriteString("HTTP/1.1 303 See Other\r\n")
	if err := p.header.Write(&header); err != nil {
		t.Fatal(err)
	}
	header.WriteString("\r\n")
	if !strings.Contains(p.header.Get("Set-Cookie"), "andon_draft=") || header.Len() >= 4096 {
		t.Errorf("a comment of %d bytes: an answer with a header of %d bytes, Set-Cookie of %d; want the draft cookie in less than 4096",
			lo, header.Len(), len(p.header.Get("Set-Cookie")))
	}
}

func TestEndedChangeOffersNoApprover(t *testing.T) {
	s := MustServe(t, nil, thursday)
	c := createChange(t, s, "alice", "prod-lyon", "Replenishment rules")
	detail := "/changes/" + c.ID
	carol := s.MustSignIn(t, "carol")
	p := carol.submit(detail, detail+"/decision", url.Values{"verdict": {"reject"}, "confirm": {"yes"},
		"comment": {"Not during the inventory count"}}).mustStatus(t, http.StatusSeeOther)
	p = s.MustSignIn(t, "bob").get(p.location).mustStatus(t, http.StatusOK)
	if p.attr("#state", "data-state") != "rejected" {
		t.Fatalf("state %q, want rejected", p.attr("#state", "data-state"))
	}
	// Nobody may approve a rejected change: its open slots say so, and
	// name nobody who "may approve".
	row := p.text(`#slots tr[data-role="change-manager"]`)
	if want := "change-manager 1 not filled —"; row != want {
		t.Errorf("the change manager's slot of a rejected change reads %q, want %q", row, want)
	}
	if got := p.all("#slots .slot-open"); len(got) != 0 {
		t.Errorf("a rejected change shows %d slots as open", len(got))
	}
}

func TestChangeShowsItsGateDecisionsAndVerifiesItsEntries(t *testing.T) {
	s := MustServe(t, nil, thursday)
	// A deployment to staging outside a change records a standard change.
	ctx := andon.NewContextWithUser(t.Context(), &andon.User{Name: "alice"})
	res, err := s.gate.Decide(ctx, andon.GateRequest{Environment: "staging-lyon", Image: image})
	if err != nil || !res.Allow || res.Change == nil {
		t.Fatalf("gate: %+v, %v", res, err)
	}
	other := createChange(t, s, "alice", "prod-lyon", "Another")

	b := s.MustSignIn(t, "frank")
	p := b.get("/changes/"+res.Change.ID).mustStatus(t, http.StatusOK)
	if n := len(p.all("#gate-decisions li[data-allow=true]")); n != 1 {
		t.Errorf("%d allowed gate decisions shown, want 1: %q", n, p.text("#gate-decisions"))
	}
	for _, row := range p.all("#audit-entries tr") {
		if strings.Contains(textOf(row), other.ID) {
			t.Errorf("entry of %s shown on %s", other.ID, res.Change.ID)
		}
	}
	rows := len(p.all("#audit-entries tr[data-index]"))
	p = b.submit("/changes/"+res.Change.ID, "/changes/"+res.Change.ID+"/verify", url.Values{}).mustStatus(t, http.StatusOK)
	if got, want := p.text("#verify-result"), fmt.Sprintf("All %d entries are in the signed log", rows); rows < 2 || !strings.Contains(got, want) {
		t.Errorf("verify: %q, want %q", got, want)
	}
	if got := b.get("/audit").text("#last-verify"); !strings.Contains(got, "by frank") || !strings.Contains(got, "the entries of change "+res.Change.ID) {
		t.Errorf("the audit page's last verification: %q, want frank's of the entries of %s", got, res.Change.ID)
	}
	// Another's check of no entry does not replace it, and a type that
	// is none is refused.
	alice := s.MustSignIn(t, "alice")
	alice.submit("/audit", "/audit/verify", url.Values{"actor": {"nobody"}}).mustStatus(t, http.StatusOK)
	alice.submit("/audit", "/audit/verify", url.Values{"type": {"bogus"}}).mustStatus(t, http.StatusBadRequest)
	if got := b.get("/audit").text("#last-verify"); !strings.Contains(got, "by frank") {
		t.Errorf("the audit page's last verification after checks of no entry: %q", got)
	}

	// An entry altered behind the store's back fails its proof.
	raw, err := sql.Open("sqlite", sqlstore.DataPath(s.dir))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	idx := p.attr("#audit-entries tr[data-index]", "data-index")
	if _, err := raw.Exec(`UPDATE audit_entries SET record = replace(record, 'alice', 'mallory') WHERE idx = ?`, idx); err != nil {
		t.Fatal(err)
	}
	p = b.submit("/changes/"+res.Change.ID, "/changes/"+res.Change.ID+"/verify", url.Values{}).mustStatus(t, http.StatusOK)
	if got := p.text("#verify-result"); !strings.Contains(got, "Verification failed") || !strings.Contains(got, "entry "+idx) {
		t.Errorf("verify after tampering with entry %s: %q", idx, got)
	}
	// A later check of other entries that succeeds does not hide the
	// failure from the audit page.
	p = alice.submit("/audit", "/audit/verify", url.Values{"change": {other.ID}}).mustStatus(t, http.StatusOK)
	if got := p.text("#last-verify"); !strings.Contains(got, "verified") || !strings.Contains(got, "change "+other.ID) {
		t.Errorf("alice's check of the entries of %s: %q", other.ID, got)
	}
	if got := b.get("/audit").text("#last-failed"); !strings.Contains(got, "entry "+idx) || !strings.Contains(got, "by frank") {
		t.Errorf("the audit page after a later check that succeeded: #last-failed %q, want frank's failure of entry %s", got, idx)
	}
}

func TestCalendarShowsWindowsInPlantTime(t *testing.T) {
	s := MustServe(t, nil, thursday)
	b := s.MustSignIn(t, "alice")
	tests := []struct {
		query, day, start string
	}{
		// The month-end close starts at midnight, plant time, in each plant.
		{"plant=lyon&date=2026-11-01", "2026-11-29", "2026-11-28T23:00:00Z"},
		{"plant=geelong&date=2026-11-01", "2026-11-29", "2026-11-28T13:00:00Z"},
		{"env=prod-lyon&view=week&date=2026-11-26", "2026-11-29", "2026-11-28T23:00:00Z"},
	}
	for _, tt := range tests {
		p := b.get("/calendar?"+tt.query).mustStatus(t, http.StatusOK)
		li := "td[data-date=\"" + tt.day + "\"] li.occurrence[data-window=month-end-close]"
		if got := p.text(li + " time.start"); got != "00:00" {
			t.Errorf("%s: month-end close starts at %q on %s, want 00:00", tt.query, got, tt.day)
		}
		if got := p.attr(li+" time.start", "datetime"); got != tt.start {
			t.Errorf("%s: starts at %s, want %s", tt.query, got, tt.start)
		}
		if p.attr("a#ics", "href") == "" {
			t.Errorf("%s: no subscription link", tt.query)
		}
	}
	// A name in the query that the catalog lacks is the request's fault,
	// as in the API, with the names it may have meant.
	for query, want := range map[string]string{
		"plant=lyom":     `plant: "lyom" is not in the catalog; did you mean lyon?`,
		"env=prod-lyonn": `env: "prod-lyonn" is not in the catalog; did you mean prod-lyon?`,
	} {
		if got := b.get("/calendar?"+query).mustStatus(t, http.StatusBadRequest).text("#error"); !strings.Contains(got, want) {
			t.Errorf("/calendar?%s: %q, want %q", query, got, want)
		}
		if got := b.get("/calendar.ics?"+query).mustStatus(t, http.StatusBadRequest).text("#error"); !strings.Contains(got, "is not in the catalog; did you mean") {
			t.Errorf("/calendar.ics?%s: %q, want the closest name suggested", query, got)
		}
	}
	b.get("/calendar?view=year").mustStatus(t, http.StatusBadRequest)
}

// The month-end close's two 48-hour occurrences, from the 29th and the
// 30th, overlap: the calendar shows one freeze to 2 December, on each of
// its days once, as the board and the gate say it is in force.
func TestCalendarJoinsOverlappingOccurrences(t *testing.T) {
	s := MustServe(t, nil, thursday)
	p := s.MustSignIn(t, "carol").get("/calendar?env=prod-lyon&view=month&date=2026-11-01").mustStatus(t, http.StatusOK)
	for day, want := range map[string]string{
		"2026-11-29": "month-end-close (freeze, allows only emergency changes)00:00–Wed 2 Dec 2026 00:00",
		"2026-11-30": "month-end-close (freeze, allows only emergency changes), until Wed 2 Dec 2026 00:00",
		"2026-12-01": "month-end-close (freeze, allows only emergency changes), until Wed 2 Dec 2026 00:00",
	} {
		items := p.all("td[data-date=\"" + day + "\"] li.occurrence[data-window=month-end-close]")
		if len(items) != 1 {
			t.Errorf("%s: %d items of the month-end close, want 1", day, len(items))
			continue
		}
		if got := textOf(items[0]); !strings.HasPrefix(got, want) {
			t.Errorf("%s: %q, want %q", day, got, want)
		}
	}
	// A week that ends on the first day of the close shows when the whole
	// close ends too, though the occurrence that prolongs it starts after
	// the week, where it said the freeze ended on Tuesday. A week from
	// the second day shows it begun on Sunday.
	for _, tt := range []struct{ date, day, want string }{
		{"2026-11-26", "2026-11-29", "month-end-close (freeze, allows only emergency changes)00:00–Wed 2 Dec 2026 00:00"},
		{"2026-12-01", "2026-11-30", "month-end-close (freeze, allows only emergency changes), until Wed 2 Dec 2026 00:00"},
	} {
		p := s.MustSignIn(t, "carol").get("/calendar?env=prod-lyon&view=week&date="+tt.date).mustStatus(t, http.StatusOK)
		if got := p.text("td[data-date=\"" + tt.day + "\"] li.occurrence[data-window=month-end-close]"); !strings.HasPrefix(got, tt.want) {
			t.Errorf("the week of %s, on %s: %q, want %q", tt.date, tt.day, got, tt.want)
		}
	}
}

func TestSuggestNextSafeWindow(t *testing.T) {
	s := MustServe(t, nil, thursday)
	b := s.MustSignIn(t, "alice")
	p := b.submit("/changes/new", "/changes/new", url.Values{"suggest": {"1"}, "environment": {"prod-lyon"},
		"duration": {"2h"}, "title": {"Kept"}}).mustStatus(t, http.StatusOK)
	// Sunday 29 November is in the month-end close, so the next Sunday
	// maintenance window outside a freeze is 6 December, 02:00 Lyon time.
	if got := p.attr("#windowStart", "value"); got != "2026-12-06T02:00" {
		t.Errorf("suggested start %q, want 2026-12-06T02:00 (%s)", got, p.text("#suggestion"))
	}
	if p.attr("#title", "value") != "Kept" {
		t.Error("the suggestion lost what was typed")
	}
	// The month-end close allows emergency changes, so an emergency one
	// gets the Sunday window inside it.
	p = b.submit("/changes/new", "/changes/new", url.Values{"suggest": {"1"}, "environment": {"prod-lyon"},
		"duration": {"2h"}, "type": {"emergency"}}).mustStatus(t, http.StatusOK)
	if got := p.attr("#windowStart", "value"); got != "2026-11-29T02:00" {
		t.Errorf("suggested start of an emergency change %q, want 2026-11-29T02:00 (%s)", got, p.text("#suggestion"))
	}
}

// The suggestion names the peaks its slot overlaps, in the plant's time
// as the board gives times, as andon calendar next does, and the form
// offers to skip them, without scripts.
func TestSuggestNamesPeaks(t *testing.T) {
	s := MustServe(t, nil, thursday)
	b := s.MustSignIn(t, "alice")
	form := b.get("/changes/new").mustStatus(t, http.StatusOK)
	if form.all("form#create-change input#outsidePeaks[type=checkbox][name=outsidePeaks]") == nil || form.all("label[for=outsidePeaks]") == nil {
		t.Fatal("the form offers no labelled choice of a window outside peaks")
	}
	if form.all("#outsidePeaks[checked]") != nil {
		t.Error("the form asks for a window outside peaks before it is told to")
	}

	// Sunday 6 December, 02:00 to 04:00 in Lyon, overlaps the nightly
	// MRP run, 01:00 to 03:00.
	p := b.submit("/changes/new", "/changes/new", url.Values{"suggest": {"1"}, "environment": {"prod-lyon"},
		"duration": {"2h"}}).mustStatus(t, http.StatusOK)
	if got, want := p.text("#suggestion p"), "Next safe window: Sun 6 Dec 2026 02:00 to Sun 6 Dec 2026 04:00 (Europe/Paris)."; got != want {
		t.Errorf("suggestion %q, want %q", got, want)
	}
	peaks := p.all("#suggestion-peaks li")
	if len(peaks) != 1 {
		t.Fatalf("%d peaks named, want nightly-mrp: %q", len(peaks), p.text("#suggestion"))
	}
	if got, want := textOf(peaks[0]), "⚑ Overlaps the peak nightly-mrp: Sun 6 Dec 2026 01:00 to Sun 6 Dec 2026 03:00"; got != want {
		t.Errorf("peak %q, want %q", got, want)
	}
	if got := p.attr("#suggestion-peaks li[data-window=nightly-mrp] time", "datetime"); got != "2026-12-06T00:00:00Z" {
		t.Errorf("the peak starts at %s, want 2026-12-06T00:00:00Z", got)
	}
	if !strings.Contains(p.text("#suggestion-hint"), "tick “Outside peaks”") {
		t.Errorf("the suggestion does not say how to skip the peak: %q", p.text("#suggestion"))
	}

	// Outside peaks, the slot starts when the run ends; the choice stays
	// ticked, and no peak is named.
	p = b.submit("/changes/new", "/changes/new", url.Values{"suggest": {"1"}, "environment": {"prod-lyon"},
		"duration": {"2h"}, "outsidePeaks": {"1"}}).mustStatus(t, http.StatusOK)
	if got := p.attr("#windowStart", "value") + " " + p.attr("#windowEnd", "value"); got != "2026-12-06T03:00 2026-12-06T05:00" {
		t.Errorf("window outside peaks %q, want 2026-12-06T03:00 2026-12-06T05:00 (%s)", got, p.text("#suggestion"))
	}
	if got, want := p.text("#suggestion p"), "Next safe window outside peaks: Sun 6 Dec 2026 03:00 to Sun 6 Dec 2026 05:00 (Europe/Paris)."; got != want {
		t.Errorf("suggestion %q, want %q", got, want)
	}
	if p.all("#suggestion-peaks, #suggestion-hint") != nil {
		t.Errorf("a slot outside peaks names one: %q", p.text("#suggestion"))
	}
	if p.all("#outsidePeaks[checked]") == nil {
		t.Error("the choice of a window outside peaks was lost")
	}

	// The night Lyon springs forward, the peak runs from 01:00 CET to
	// 04:00 CEST: its times carry their zones, as the calendar's do.
	s.now = time.Date(2027, 3, 27, 12, 0, 0, 0, time.UTC)
	p = s.MustSignIn(t, "alice").submit("/changes/new", "/changes/new", url.Values{"suggest": {"1"}, "environment": {"prod-lyon"},
		"duration": {"1h"}}).mustStatus(t, http.StatusOK)
	if got, want := p.text("#suggestion-peaks li[data-window=nightly-mrp]"), "⚑ Overlaps the peak nightly-mrp: Sun 28 Mar 2027 01:00 CET to Sun 28 Mar 2027 04:00 CEST"; got != want {
		t.Errorf("peak the night the clocks change %q, want %q (%s)", got, want, p.text("#suggestion"))
	}
}

func TestPagesRender(t *testing.T) {
	s := MustServe(t, nil, thursday)
	c := createChange(t, s, "alice", "prod-lyon", "Replenishment")
	if _, err := s.incidents.OpenIncident(andon.NewContextWithUser(t.Context(), &andon.User{Name: "alice"}), &andon.IncidentRequest{
		Title: "MRP scheduler down", Severity: andon.LevelCritical, Scope: andon.IncidentScope{Plants: []string{"lyon"}}}); err != nil {
		t.Fatal(err)
	}
	b := s.MustSignIn(t, "frank")
	for path, selector := range map[string]string{
		"/":                       "article.tile",
		"/incidents":              "#incidents tr[data-incident=INC-1]",
		"/incidents/INC-1":        "#audit-entries tr[data-index]",
		"/changes":                "#changes tr[data-change=" + c.ID + "]",
		"/changes?q=Replenish":    "#changes tr[data-change=" + c.ID + "]",
		"/changes/new":            "form#create-change select#environment",
		"/changes/" + c.ID:        "#slots",
		"/approvals":              "table#inbox",
		"/calendar":               "table#calendar",
		"/audit":                  "#tree-size",
		"/audit?change=" + c.ID:   "#entries tr[data-index]",
		"/audit/entries/0":        "pre#record",
		"/catalog":                "#teams tr[data-team]",
		"/calendar?env=prod-lyon": "li.occurrence",
		"/reports":                "#dora tfoot tr[data-env=All]",
	} {
		p := b.get(path).mustStatus(t, http.StatusOK)
		if p.all(selector) == nil {
			t.Errorf("%s: nothing matches %s", path, selector)
		}
		// Every box the keyboard stops at, to scroll a table, is named,
		// so that a screen reader says what the stop is.
		for _, box := range p.all("[tabindex='0']") {
			name := attrOf(box, "aria-label")
			if id := attrOf(box, "aria-labelledby"); id != "" {
				name = p.text("#" + id)
			}
			if attrOf(box, "role") != "region" || name == "" {
				t.Errorf("%s: a stop of the keyboard with no name: <%s class=%q role=%q>", path, box.Data, attrOf(box, "class"), attrOf(box, "role"))
			}
		}
		// Every landmark has a name of its own among those of its role,
		// so that a screen reader's list of them tells each apart: a
		// table's scroll box, named by the heading of its section, and
		// that section are not two regions of one name.
		landmarks := map[string]int{}
		for _, n := range p.all("section[aria-labelledby], section[aria-label], [role=region], nav") {
			name := attrOf(n, "aria-label")
			if id := attrOf(n, "aria-labelledby"); id != "" {
				name = p.text("#" + id)
			}
			role := "region"
			if n.Data == "nav" {
				role = "navigation"
			}
			if landmarks[role+" "+name]++; landmarks[role+" "+name] == 2 {
				t.Errorf("%s: two %s landmarks named %q", path, role, name)
			}
		}
		// Every control is labelled.
		for _, in := range p.all("input:not([type=hidden]), select, textarea") {
			if id := attrOf(in, "id"); id == "" || p.all("label[for="+id+"]") == nil {
				t.Errorf("%s: a control without a label: %s", path, id)
			}
		}
	}
	// An auditor may not move a change, nor decide on it: no transition
	// nor decision is offered.
	if p := b.get("/changes/" + c.ID); p.all("form#transition") != nil || p.all("form#decide") != nil || p.text("#decide-refused") == "" {
		t.Error("an auditor is offered transitions or a decision, or not told why not")
	}
	if p := b.get("/changes?state=" + c.ID); p.status != http.StatusBadRequest {
		t.Errorf("bad filter: %d", p.status)
	}
	p := b.get("/changes/CHG-999").mustStatus(t, http.StatusNotFound)
	if p.text("#error") == "" {
		t.Error("not found: no message")
	}
	// A path that is no page is said to be none on the error page, as
	// every page says it; the address a form posts to, got rather than
	// posted, leads to the form's page.
	for _, path := range []string{"/nothing", "/changes/" + c.ID + "/nothing", "/audit/entries/1/"} {
		if got := b.get(path).mustStatus(t, http.StatusNotFound).text("#error[role=alert]"); got != "no page at "+path+": the pages of the board are in its menu" {
			t.Errorf("%s: %q", path, got)
		}
	}
	for path, want := range map[string]string{
		"/changes/" + c.ID + "/decision": "/changes/" + c.ID, "/changes/" + c.ID + "/transition": "/changes/" + c.ID,
		"/audit/verify": "/audit", "/calendar/subscription": "/calendar", "/logout": "/",
	} {
		if got := b.get(path).mustStatus(t, http.StatusSeeOther).location; got != want {
			t.Errorf("GET %s: to %q, want %q", path, got, want)
		}
	}
	if got := s.browser(t).get("/nothing").mustStatus(t, http.StatusNotFound); got.all("nav") != nil || got.text("#error") == "" {
		t.Errorf("/nothing without a session: menu %v, error %q; want no menu and the error", got.all("nav") != nil, got.text("#error"))
	}
	if got := b.get("/nothing"); got.all("nav a[href='/approvals']") == nil {
		t.Error("/nothing, signed in: no menu")
	}
	// Pages, error pages included, say their length.
	if got, want := p.header.Get("Content-Length"), strconv.Itoa(len(p.body)); got != want {
		t.Errorf("error page Content-Length %q, want %s", got, want)
	}
	if home := b.get("/"); home.header.Get("Content-Length") != strconv.Itoa(len(home.body)) {
		t.Errorf("board Content-Length %q, body of %d bytes", home.header.Get("Content-Length"), len(home.body))
	}
	// The page's own asset URLs may be cached for good; another version's
	// may not.
	script := b.get("/").attr("script[src^='/assets/htmx.min.js']", "src")
	if p := b.get(script); p.status != http.StatusOK || !strings.Contains(p.header.Get("Cache-Control"), "immutable") {
		t.Errorf("asset %s: %d %q", script, p.status, p.header.Get("Cache-Control"))
	}
	if p := b.get("/assets/htmx.min.js?v=0123"); p.status != http.StatusOK || strings.Contains(p.header.Get("Cache-Control"), "immutable") {
		t.Errorf("asset of another version: %d %q", p.status, p.header.Get("Cache-Control"))
	}
	// The API keeps its JSON errors.
	if p := b.get("/api/v1/nothing"); p.status != http.StatusNotFound || !strings.HasPrefix(p.header.Get("Content-Type"), "application/json") {
		t.Errorf("unknown API path: %d %s", p.status, p.header.Get("Content-Type"))
	}
}

// A one-off window shows on the catalog page at the times its author
// wrote, in their offset, not converted to UTC.
func TestCatalogPageShowsOneOffWindowsAsWritten(t *testing.T) {
	s := MustServe(t, nil, thursday)
	p := s.MustSignIn(t, "frank").get("/catalog").mustStatus(t, http.StatusOK)
	when := p.text("tr[data-window=year-end-freeze] td:nth-child(3)")
	if want := "2026-12-24 00:00 +01:00 to 2027-01-02 00:00 +01:00"; when != want {
		t.Errorf("year-end freeze: %q, want %q", when, want)
	}
	if got := p.attr("tr[data-window=year-end-freeze] time", "datetime"); got != "2026-12-23T23:00:00Z" {
		t.Errorf("datetime %q, want the instant in UTC", got)
	}
}

// A window read from a calendar file shows how long its occurrences
// last: the summer shutdown, from DTSTART to DTEND, two weeks.
func TestCatalogPageShowsTheLengthOfCalendarEvents(t *testing.T) {
	s := MustServe(t, nil, thursday)
	p := s.MustSignIn(t, "frank").get("/catalog").mustStatus(t, http.StatusOK)
	when := p.text("tr[data-window=lyon-plant-shutdown] td:nth-child(3)")
	if want := "from 2026-08-03T00:00:00, FREQ=YEARLY;BYMONTH=8;BYDAY=1MO, for 14d (Europe/Paris)"; !strings.HasPrefix(when, want) {
		t.Errorf("lyon-plant-shutdown: %q, want it to start with %q", when, want)
	}
}

func TestCalendarSubscription(t *testing.T) {
	s := MustServe(t, nil, thursday)
	b := s.MustSignIn(t, "carol")
	p := b.submit("/calendar?plant=geelong", "/calendar/subscription", url.Values{"plant": {"geelong"}}).mustStatus(t, http.StatusOK)
	// A path, which the browser resolves against the address it reached
	// andon by, and shows (andon.js); the server cannot tell that address.
	link := p.attr("#subscription a[data-address]", "href")
	if !strings.HasPrefix(link, "/api/v1/calendar.ics?plant=geelong&token=andonfeed_") || p.text("#subscription a code") != link {
		t.Fatalf("subscription link %q, showing %q", link, p.text("#subscription a code"))
	}
	// A calendar application has no cookie and sends no header.
	feed := s.browser(t).get(link).mustStatus(t, http.StatusOK)
	if !strings.Contains(feed.body, "BEGIN:VCALENDAR") || !strings.Contains(feed.body, "month-end-close") {
		t.Errorf("feed:\n%s", feed.body)
	}
	// The feed token opens nothing else.
	token := link[strings.Index(link, "token=")+len("token="):]
	if p := s.browser(t).post("/login", url.Values{"token": {token}}); p.status != http.StatusUnauthorized {
		t.Errorf("signing in with a feed token: %d", p.status)
	}
}

// The subscription link does not take its host from the request: a Host
// that a proxy rewrote (to the name of the Service behind it) or that a
// client forged would send calendar applications elsewhere.
func TestCalendarSubscriptionIgnoresHost(t *testing.T) {
	s := MustServe(t, nil, thursday)
	b := s.MustSignIn(t, "carol")
	csrf := b.get("/calendar?plant=geelong").attr("input[name=csrf]", "value")
	for _, header := range []http.Header{
		{"X-Forwarded-Proto": {"https"}},
		{"X-Forwarded-Host": {"andon.example.com"}},
		{},
	} {
		req, err := http.NewRequest(http.MethodPost, s.url+"/calendar/subscription",
			strings.NewReader(url.Values{"plant": {"geelong"}, "csrf": {csrf}}.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = header
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Host = "andon.andon.svc.cluster.local:8080"
		// The client's jar would look the session up by that Host.
		for _, c := range b.client.Jar.Cookies(req.URL) {
			req.AddCookie(c)
		}
		p := b.do(req).mustStatus(t, http.StatusOK)
		if link := p.attr("#subscription a", "href"); !strings.HasPrefix(link, "/api/v1/calendar.ics?") || strings.Contains(p.body, "andon.andon.svc") {
			t.Errorf("with Host %s and %v: subscription link %q", req.Host, header, link)
		}
	}
}

// A link got with a token that expires says when it stops working.
func TestCalendarSubscriptionExpires(t *testing.T) {
	s := MustServe(t, nil, thursday)
	if got := s.MustSignIn(t, "carol").submit("/calendar?plant=geelong", "/calendar/subscription", url.Values{"plant": {"geelong"}}).text("#subscription-expires"); got != "" {
		t.Errorf("a token that does not expire: %q; want nothing said", got)
	}
	expires := thursday.Add(36 * time.Hour)
	b := s.browser(t)
	b.post("/login", url.Values{"token": {mustToken(t, s, expires)}}).mustStatus(t, http.StatusSeeOther)
	p := b.submit("/calendar?plant=geelong", "/calendar/subscription", url.Values{"plant": {"geelong"}}).mustStatus(t, http.StatusOK)
	if want := "It stops working at " + expires.UTC().Format("2006-01-02 15:04") + " UTC, when the token you signed in with expires."; p.text("#subscription-expires") != want {
		t.Errorf("subscription: %q; want %q", p.text("#subscription-expires"), want)
	}
}

func TestCalendarNamesTheClockChange(t *testing.T) {
	s := MustServe(t, nil, thursday)
	b := s.MustSignIn(t, "alice")
	for query, want := range map[string]string{
		"plant=lyon&date=2027-03-10":                 "UTC+01:00, UTC+02:00 from Sun 28 Mar",
		"plant=geelong&date=2027-04-10":              "UTC+11:00, UTC+10:00 from Sun 4 Apr",
		"plant=lyon&view=week&date=2026-11-26":       "(UTC+01:00)",
		"env=prod-geelong&view=week&date=2027-04-01": "UTC+11:00, UTC+10:00 from Sun 4 Apr",
	} {
		if got := b.get("/calendar?" + query).text("#tz"); !strings.Contains(got, want) {
			t.Errorf("%s: %q, want it to say %q", query, got, want)
		}
	}
}

func TestOversizedFormIsRefused(t *testing.T) {
	s := MustServe(t, nil, thursday)
	p := s.browser(t).post("/login", url.Values{"token": {strings.Repeat("x", 2<<20)}}).mustStatus(t, http.StatusBadRequest)
	if !strings.Contains(p.text("#error"), "form could not be read") {
		t.Errorf("oversized form: %q", p.text("#error"))
	}
}

// The calendar stays in the years andon reasons about: a date outside
// them is refused, and no link leads out of them.
func TestCalendarDateBounds(t *testing.T) {
	s := MustServe(t, nil, thursday)
	b := s.MustSignIn(t, "alice")
	for _, date := range []string{"0000-01-01", "1900-06-01", "9999-12-31"} {
		b.get("/calendar?env=prod-lyon&view=week&date="+date).mustStatus(t, http.StatusBadRequest)
	}
	p := b.get("/calendar?env=prod-lyon&view=month&date=2199-12-15").mustStatus(t, http.StatusOK)
	if p.attr("a[rel=next]", "href") != "" || p.attr("a[rel=prev]", "href") == "" {
		t.Errorf("December 2199: next %q, previous %q; want no next month and a previous one", p.attr("a[rel=next]", "href"), p.attr("a[rel=prev]", "href"))
	}
}

// A form field given twice is refused, as the API refuses a member
// given twice: the handler would read the first, a proxy the last. The
// processes of the create form are a list.
func TestFormFieldGivenTwice(t *testing.T) {
	s := MustServe(t, nil, thursday)
	c := createChange(t, s, "alice", "prod-lyon", "Twice")
	b := s.MustSignIn(t, "carol")
	p := b.submit("/changes/"+c.ID, "/changes/"+c.ID+"/decision", url.Values{"verdict": {"approve", "reject"}, "comment": {"ok"}})
	p.mustStatus(t, http.StatusBadRequest)
	if !strings.Contains(p.body, `form field &#34;verdict&#34; given 2 times`) {
		t.Errorf("the refusal does not name the field:\n%.300s", p.body)
	}
	if got, err := s.changes.FindChangeByID(t.Context(), c.ID); err != nil || len(got.Approvals) != 0 {
		t.Errorf("after a refused decision: %+v, %v; want no approval", got, err)
	}
}

// Someone whose role's slot another filled may still reject the change,
// and is offered that alone, told why: an Approve button would be refused.
func TestRejectOnlyWhenTheSlotIsFilled(t *testing.T) {
	s := MustServe(t, nil, thursday)
	ctx := andon.NewContextWithUser(t.Context(), &andon.User{Name: "alice"})
	c, err := s.changes.CreateChange(ctx, &andon.ChangeRequest{Environment: "prod-subsidiaries", Type: andon.ChangeNormal,
		Title: "Incoterms report", Artifacts: []string{image}, Facts: andon.Facts{Modules: []string{"account"}}})
	if err != nil {
		t.Fatal(err)
	}
	detail := "/changes/" + c.ID
	s.MustSignIn(t, "bob").submit(detail, detail+"/decision", url.Values{"verdict": {"approve"}}).mustStatus(t, http.StatusSeeOther)

	p := s.MustSignIn(t, "brigitte").get(detail).mustStatus(t, http.StatusOK)
	if p.all("form#decide button[value=approve]") != nil || p.all("form#decide button[value=reject]") == nil {
		t.Errorf("brigitte, a change manager, after bob filled the change-manager slot: approve %v, reject %v; want reject alone",
			p.all("form#decide button[value=approve]") != nil, p.all("form#decide button[value=reject]") != nil)
	}
	if got, want := p.text("#decide-hint"), "You may not approve this change: the change-manager slot of change "+c.ID+" was already filled by bob"; !strings.HasPrefix(got, want) {
		t.Errorf("hint %q, want %q", got, want)
	}
	// fiona, the owner of finance, may approve.
	if p := s.MustSignIn(t, "fiona").get(detail); p.all("form#decide button[value=approve]") == nil {
		t.Error("fiona is offered no approval")
	}
}

// A refused form gives back what was typed in it.
func TestRefusedFormKeepsTheComment(t *testing.T) {
	s := MustServe(t, nil, thursday)
	c := createChange(t, s, "alice", "prod-lyon", "Keep")
	b := s.MustSignIn(t, "carol")
	typed := "Not tonight: the MRP run \u202e"
	p := b.submit("/changes/"+c.ID, "/changes/"+c.ID+"/decision", url.Values{"verdict": {"reject"}, "comment": {typed}})
	p.mustStatus(t, http.StatusBadRequest)
	if got := p.text("#error"); !strings.Contains(got, "bidirectional control U+202E") {
		t.Errorf("refusal: %q", got)
	}
	if got := p.text("textarea#comment"); got != typed {
		t.Errorf("the comment given back: %q, want %q", got, typed)
	}
	if got := p.text("#transition-comment"); got != "" {
		t.Errorf("the transition's comment: %q, want it empty", got)
	}
	// The comment of a refused transition comes back in its own form.
	p = s.MustSignIn(t, "alice").submit("/changes/"+c.ID, "/changes/"+c.ID+"/transition", url.Values{"to": {"completed"}, "comment": {"smoke tests green"}})
	p.mustStatus(t, http.StatusConflict)
	if got := p.text("textarea#transition-comment"); got != "smoke tests green" {
		t.Errorf("the transition's comment given back: %q", got)
	}
}

func TestRefusalIsSaidBesideItsForm(t *testing.T) {
	s := MustServe(t, nil, thursday)
	c := createChange(t, s, "alice", "prod-lyon", "Replenishment rules")
	detail := "/changes/" + c.ID
	// A rejection without a reason: on a phone the alert at the top of
	// the page is far above the comment to write it in.
	p := s.MustSignIn(t, "carol").submit(detail, detail+"/decision", url.Values{"verdict": {"reject"}}).mustStatus(t, http.StatusBadRequest)
	if got, want := p.text("form#decide #decide-refusal"), "Refused: comment: a rejection needs a reason"; !strings.Contains(got, want) {
		t.Errorf("the decision form says %q, want it to say %q", got, want)
	}
	comment := "form#decide textarea#comment"
	if len(p.all(comment+"[autofocus]")) != 1 || !strings.Contains(p.attr(comment, "aria-describedby"), "decide-refusal") {
		t.Errorf("the comment to correct has not the focus, or is not described by the refusal (aria-describedby %q)", p.attr(comment, "aria-describedby"))
	}
	if len(p.all("form#transition .in-form, form#transition [autofocus]")) != 0 {
		t.Error("the refusal of the decision is said in the transition's form too")
	}
	// A transition the state does not allow: in the form of the step.
	p = s.MustSignIn(t, "alice").submit(detail, detail+"/transition", url.Values{"to": {"completed"}}).mustStatus(t, http.StatusConflict)
	if got := p.text("form#transition #transition-refusal"); !strings.HasPrefix(got, "✖ Refused: ") || !strings.Contains(p.text("#error"), strings.TrimPrefix(got, "✖ Refused: ")) {
		t.Errorf("the transition's form says %q; the page's alert %q", got, p.text("#error"))
	}
	if len(p.all("form#transition textarea#transition-comment[autofocus]")) != 1 {
		t.Error("the transition's comment has not the focus")
	}
	// A page that refused nothing puts the focus nowhere.
	if p := s.MustSignIn(t, "bob").get(detail).mustStatus(t, http.StatusOK); len(p.all("[autofocus], .in-form")) != 0 {
		t.Error("the change's page, refusing nothing, says a refusal or takes the focus")
	}
}

func TestCalendarDownloadAndSelector(t *testing.T) {
	s := MustServe(t, nil, thursday)
	b := s.MustSignIn(t, "alice")
	p := b.get("/calendar?plant=lyon").mustStatus(t, http.StatusOK)
	ics := b.get(p.attr("a#ics", "href")).mustStatus(t, http.StatusOK)
	if !strings.HasPrefix(ics.body, "BEGIN:VCALENDAR") || !strings.Contains(ics.header.Get("Content-Disposition"), `filename=lyon.ics`) {
		t.Errorf("download: %q\n%.200s", ics.header.Get("Content-Disposition"), ics.body)
	}
	if _, err := calendar.ParseICS("lyon.ics", []byte(ics.body)); err != nil {
		t.Errorf("the download does not parse: %v", err)
	}
	b.get("/calendar.ics").mustStatus(t, http.StatusBadRequest)

	// The page's one selector picks an environment, even coming from a
	// plant's calendar.
	p = b.get("/calendar?plant=lyon&show=env%3Aprod-geelong&view=month").mustStatus(t, http.StatusOK)
	if got := p.text("h1"); got != "Calendar: prod-geelong" {
		t.Errorf("selector: %q", got)
	}
	if got := p.attr("#c-show option[selected]", "value"); got != "env:prod-geelong" {
		t.Errorf("selected %q", got)
	}
	b.get("/calendar?show=line:7").mustStatus(t, http.StatusBadRequest)
}

func TestCalendarGridWhereMidnightIsSkipped(t *testing.T) {
	// Santiago moves its clocks from 24:00 to 01:00 on the first Sunday of
	// September: 6 September 2026 begins at 01:00.
	fsys := fstest.MapFS{"c/catalog.yaml": {Data: []byte(`apiVersion: andon/v1
kind: Plant
metadata: {name: santiago}
spec: {timezone: America/Santiago, criticality: high}
---
apiVersion: andon/v1
kind: Environment
metadata: {name: prod-cl}
spec: {stage: production, hosting: dedicated, plants: [santiago]}
---
apiVersion: andon/v1
kind: Window
metadata: {name: night-shift}
spec:
  type: peak
  schedule: {start: "2026-09-01T00:30:00", rrule: "FREQ=DAILY", duration: 1h}
---
apiVersion: andon/v1
kind: Team
metadata: {name: ops}
spec: {roles: [change-manager], members: [ana]}
`)}}
	cat, err := catalog.LoadFS(fsys, "c")
	if err != nil {
		t.Fatal(err)
	}
	s := MustServe(t, cat, thursday)
	p := s.MustSignIn(t, "ana").get("/calendar?plant=santiago&date=2026-09-01").mustStatus(t, http.StatusOK)
	var dates []string
	for _, row := range p.all("#calendar tbody tr") {
		cells := cascadia.QueryAll(row, cascadia.MustCompile("td"))
		if len(cells) != 7 {
			t.Errorf("a week of %d days", len(cells))
		}
		for _, c := range cells {
			dates = append(dates, attrOf(c, "data-date"))
		}
	}
	if len(dates) != 35 || dates[0] != "2026-08-31" || dates[34] != "2026-10-04" || len(slices.Compact(slices.Clone(dates))) != 35 {
		t.Errorf("dates %v", dates)
	}
	// Each day shows its own night shift, 00:30 local, once.
	for _, day := range []string{"2026-09-05", "2026-09-06", "2026-09-07"} {
		starts := p.all("td[data-date=\"" + day + "\"] li.occurrence time.start")
		if len(starts) != 1 || textOf(starts[0]) != "00:30" && day != "2026-09-06" {
			t.Errorf("%s: %d starts", day, len(starts))
		}
	}
	if got := p.text("#tz"); !strings.Contains(got, "UTC-04:00, UTC-03:00 from Sat 5 Sep") {
		t.Errorf("time zone: %q", got)
	}
}

func TestCalendarTimesOnTheDayTheClocksChange(t *testing.T) {
	s := MustServe(t, nil, thursday)
	b := s.MustSignIn(t, "carol")
	for _, tt := range []struct {
		query, date, window, want string
	}{
		// nightly-mrp lasts two hours from 01:00: on the day the clocks
		// go forward at Geelong it ends at 04:00, and on the day they go
		// back at Lyon at 02:00, each time in its own zone.
		{"plant=geelong&view=week&date=2026-10-04", "2026-10-04", "nightly-mrp", "01:00 AEST–04:00 AEDT"},
		{"plant=lyon&view=week&date=2026-10-25", "2026-10-25", "nightly-mrp", "01:00 CEST–02:00 CET"},
		// The Sunday maintenance starts at 02:00, which happens twice
		// at Lyon that day: the first, in summer time.
		{"plant=lyon&view=week&date=2026-10-25", "2026-10-25", "sunday-maintenance", "02:00 CEST–05:00 CET"},
		// The day before, one zone: the page's header names it.
		{"plant=lyon&view=week&date=2026-10-25", "2026-10-24", "nightly-mrp", "01:00–03:00"},
	} {
		p := b.get("/calendar?"+tt.query).mustStatus(t, http.StatusOK)
		got := p.text(fmt.Sprintf(`td[data-date="%s"] li[data-window="%s"]`, tt.date, tt.window))
		if !strings.Contains(got, tt.want) {
			t.Errorf("%s: %s on %s reads %q, want it to say %q", tt.query, tt.window, tt.date, got, tt.want)
		}
	}
}

func TestWindowTimesAtClockChanges(t *testing.T) {
	s := MustServe(t, nil, thursday)
	alice := s.MustSignIn(t, "alice")
	create := func(start, end string) *page {
		return alice.submit("/changes/new", "/changes", url.Values{"environment": {"prod-lyon"}, "type": {"normal"},
			"title": {"At a clock change"}, "windowStart": {start}, "windowEnd": {end}})
	}
	// 02:30 on 28 March 2027 does not exist in Paris.
	p := create("2027-03-28T02:30", "2027-03-28T05:00").mustStatus(t, http.StatusBadRequest)
	if !strings.Contains(p.text("#error"), "does not exist in Europe/Paris") {
		t.Errorf("skipped wall time: %q", p.text("#error"))
	}
	// 02:30 on 31 October 2027 happens twice: the first is taken.
	p = create("2027-10-31T02:30", "2027-10-31T05:00").mustStatus(t, http.StatusSeeOther)
	p = alice.get(p.location)
	if got := p.attr("dl.facts time", "datetime"); got != "2027-10-31T00:30:00Z" {
		t.Errorf("repeated wall time: starts %s, want 2027-10-31T00:30:00Z (02:30 CEST)", got)
	}
	// The page says which 02:30 it is, in the plant's time with its zone
	// and in UTC, as andon change show does.
	if got, want := p.text("#window"), "Sun 31 Oct 2027 02:30 CEST to Sun 31 Oct 2027 05:00 CET (Europe/Paris)"; !strings.HasPrefix(got, want) {
		t.Errorf("repeated wall time: window %q, want it to start %q", got, want)
	}
	if got, want := p.text("#window-utc"), "In UTC: 2027-10-31 00:30 to 2027-10-31 04:00"; got != want {
		t.Errorf("repeated wall time: window in UTC %q, want %q", got, want)
	}
}

// A change's page gives its window in the plant's time, with the zone,
// and in UTC, as andon change show does: the plant plans in its own time,
// and pipelines and logs speak UTC.
func TestChangeWindowLocalAndUTC(t *testing.T) {
	s := MustServe(t, nil, thursday)
	for _, tt := range []struct{ env, start, end, local, utc string }{
		{"prod-lyon", "2026-12-06T02:00", "2026-12-06T04:00",
			"Sun 6 Dec 2026 02:00 CET to Sun 6 Dec 2026 04:00 CET (Europe/Paris)", "In UTC: 2026-12-06 01:00 to 2026-12-06 03:00"},
		{"prod-geelong", "2026-12-06T02:00", "2026-12-06T04:00",
			"Sun 6 Dec 2026 02:00 AEDT to Sun 6 Dec 2026 04:00 AEDT (Australia/Melbourne)", "In UTC: 2026-12-05 15:00 to 2026-12-05 17:00"},
	} {
		alice := s.MustSignIn(t, "alice")
		p := alice.submit("/changes/new", "/changes", url.Values{"environment": {tt.env}, "type": {"normal"},
			"title": {"Window in " + tt.env}, "windowStart": {tt.start}, "windowEnd": {tt.end}}).mustStatus(t, http.StatusSeeOther)
		p = alice.get(p.location).mustStatus(t, http.StatusOK)
		// The local line, then the UTC one.
		if got, want := p.text("#window"), tt.local+tt.utc; got != want {
			t.Errorf("%s: window %q, want %q", tt.env, got, want)
		}
		if got := p.text("#window-utc"); got != tt.utc {
			t.Errorf("%s: window in UTC %q, want %q", tt.env, got, tt.utc)
		}
	}
}

func TestAuditPaging(t *testing.T) {
	s := MustServe(t, nil, thursday)
	for i := range 60 {
		createChange(t, s, "alice", "staging-lyon", fmt.Sprintf("Change %d", i))
	}
	b := s.MustSignIn(t, "frank")
	indexes := func(p *page) []int {
		var got []int
		for _, row := range p.all("#entries tr[data-index]") {
			n, _ := strconv.Atoi(attrOf(row, "data-index"))
			got = append(got, n)
		}
		return got
	}
	p := b.get("/audit").mustStatus(t, http.StatusOK)
	size, _ := strconv.Atoi(p.text("#tree-size"))
	got := indexes(p)
	if len(got) != 50 || got[49] != size-1 || p.all("a[rel=next]") != nil {
		t.Fatalf("latest page: %d entries ending at %d of %d", len(got), got[len(got)-1], size)
	}
	earlier := indexes(b.get(p.attr("a[rel=prev]", "href")))
	if len(earlier) != min(50, got[0]) || earlier[len(earlier)-1] != got[0]-1 {
		t.Errorf("earlier page: %d entries ending at %d, want %d ending at %d", len(earlier), earlier[len(earlier)-1], min(50, got[0]), got[0]-1)
	}

	// A shorter page without a filter is still the latest entries.
	if short := indexes(b.get("/audit?limit=10").mustStatus(t, http.StatusOK)); len(short) != 10 || short[9] != size-1 {
		t.Errorf("latest page of 10: %v, want the 10 entries ending at %d", short, size-1)
	}

	// A filtered listing pages forward from its first match.
	p = b.get("/audit?type=change.created").mustStatus(t, http.StatusOK)
	first := indexes(p)
	if len(first) != 50 || p.all("a[rel=prev]") != nil {
		t.Fatalf("first filtered page: %d entries", len(first))
	}
	p = b.get(p.attr("a[rel=next]", "href")).mustStatus(t, http.StatusOK)
	if second := indexes(p); len(second) != 10 || second[0] <= first[49] || p.all("a[rel=next]") != nil {
		t.Errorf("second filtered page: %v", second)
	}
	if p.text("a[rel=prev]") != "First" {
		t.Errorf("second filtered page goes back to %q", p.text("a[rel=prev]"))
	}
}

// mustImplementEmergency opens alice's emergency change in prod-lyon, has
// erin approve it and the gate start it: it owes its review in 48 hours.
func mustImplementEmergency(t *testing.T, s *stack) *andon.Change {
	t.Helper()
	ctx := andon.NewContextWithUser(t.Context(), &andon.User{Name: "alice"})
	// The image completed in staging first, as promotion requires.
	staged, err := s.gate.Decide(ctx, andon.GateRequest{Environment: "staging-lyon", Image: image})
	if err != nil || !staged.Allow {
		t.Fatalf("staging: %+v %v", staged, err)
	}
	if _, err := s.changes.Transition(ctx, staged.Change.ID, andon.StateCompleted, ""); err != nil {
		t.Fatal(err)
	}
	c, err := s.changes.CreateChange(ctx, &andon.ChangeRequest{Environment: "prod-lyon", Type: andon.ChangeEmergency,
		Title: "Labels do not print", Artifacts: []string{image}})
	if err != nil {
		t.Fatal(err)
	}
	erin := andon.NewContextWithUser(t.Context(), &andon.User{Name: "erin", Roles: []string{andon.RoleEmergencyApprover}})
	if _, err := s.changes.Decide(erin, c.ID, andon.Approve, "go"); err != nil {
		t.Fatal(err)
	}
	if res, err := s.gate.Decide(ctx, andon.GateRequest{Environment: "prod-lyon", Image: image}); err != nil || !res.Allow {
		t.Fatalf("gate: %+v %v", res, err)
	}
	return c
}

func TestEmergencyReview(t *testing.T) {
	s := MustServe(t, nil, thursday)
	c := mustImplementEmergency(t, s)
	detail := "/changes/" + c.ID

	// The requester is told a review is owed, and may not give it.
	if p := s.MustSignIn(t, "alice").get(detail); p.all("form#review") != nil || p.text("#review-due") == "" || p.all("#review-overdue") != nil {
		t.Errorf("requester: review form %v, notice %q, overdue %q", p.all("form#review") != nil, p.text("#review-due"), p.text("#review-overdue"))
	}
	bob := s.MustSignIn(t, "bob")
	if bob.get(detail).all("form#review textarea[name=comment]") == nil {
		t.Fatal("a change manager is offered no review")
	}
	// A change manager's inbox lists the review as soon as it is owed,
	// with when it is due, in Lyon's time as on its page: not only once
	// it is late.
	inbox := bob.get("/approvals").mustStatus(t, http.StatusOK)
	if got := inbox.attr("table#reviews tr[data-change]", "data-change"); got != c.ID {
		t.Errorf("bob's inbox lists review %q before it is due, want %s", got, c.ID)
	}
	if got := inbox.text("table#reviews tr[data-change]"); !strings.Contains(got, "Sat 28 Nov 2026 10:00 CET") || !strings.Contains(got, "due in 2d") || strings.Contains(got, "overdue") {
		t.Errorf("bob's inbox before the review is due: %q, want it due Sat 28 Nov 2026 10:00 CET, in 2d, and not overdue", got)
	}
	if inbox.all("table#reviews tr[data-overdue]") != nil {
		t.Error("bob's inbox marks overdue a review not due yet")
	}

	// Two hours after it was due, the page says the review is overdue, and
	// by how long; its times name their zone, as the audit entries are in
	// UTC beside them.
	// (A session lasts 12 hours: bob signs in again.)
	s.now = thursday.Add(50 * time.Hour)
	bob = s.MustSignIn(t, "bob")
	p := bob.get(detail).mustStatus(t, http.StatusOK)
	if got, want := p.text("#review-overdue"), "overdue by 2h"; !strings.Contains(got, want) {
		t.Errorf("two hours after the review was due: #review-overdue %q, want %q", got, want)
	}
	if got, want := p.text("#review-hint"), "owed its review by Sat 28 Nov 2026 10:00 CET: it is 2h overdue"; !strings.Contains(got, want) {
		t.Errorf("review hint %q, want %q", got, want)
	}
	if got, want := s.MustSignIn(t, "alice").get(detail).text("#review-due"), "it is 2h overdue"; !strings.Contains(got, want) {
		t.Errorf("requester: #review-due %q, want %q", got, want)
	}
	if got, want := p.text("dl.facts"), "Thu 26 Nov 2026 10:00 CET"; !strings.Contains(got, want) {
		t.Errorf("summary %q lacks the creation time with its zone, %q", got, want)
	}
	// A change manager's inbox lists it, marked overdue, with how long; it
	// is nobody else's to give.
	inbox = bob.get("/approvals").mustStatus(t, http.StatusOK)
	if got := inbox.attr("table#reviews tr[data-overdue]", "data-change"); got != c.ID {
		t.Errorf("bob's inbox lists overdue review %q, want %s", got, c.ID)
	}
	if got := inbox.text("table#reviews tr[data-change]"); !strings.Contains(got, "2h overdue") || !strings.Contains(got, "Sat 28 Nov 2026 10:00 CET") {
		t.Errorf("bob's inbox: %q, want it due Sat 28 Nov 2026 10:00 CET, in Lyon's time as on its page, and 2h overdue", got)
	}
	if p := s.MustSignIn(t, "erin").get("/approvals"); p.all("table#reviews") != nil {
		t.Error("the inbox of erin, who approved the change and is no change manager, lists reviews")
	}
	bob.submit(detail, detail+"/review", url.Values{"comment": {"root cause: printer driver"}}).mustStatus(t, http.StatusSeeOther)
	p = bob.get(detail)
	if got := p.text("#reviewed"); !strings.Contains(got, "bob") || !strings.Contains(got, "printer driver") {
		t.Errorf("reviewed: %q", got)
	}
	if p.all("form#review") != nil {
		t.Error("a review is offered twice")
	}
	if p.all("#review-overdue") != nil {
		t.Error("a review given is still overdue")
	}
	if got := bob.get("/approvals").text("table#reviews"); !strings.Contains(got, "No emergency change owes you a review.") {
		t.Errorf("after the review, bob's inbox: %q", got)
	}
}

// A change manager's inbox lists every emergency review the manager may
// give: the overdue ones first, marked, then those not due yet, the
// soonest due first; not a review of the manager's own change.
func TestApprovalsListReviewsOwed(t *testing.T) {
	s := MustServe(t, nil, thursday)
	late := mustImplementEmergency(t, s)
	s.now = thursday.Add(20 * time.Hour)
	later := mustStartEmergency(t, s, "alice", "Scale fix")
	s.now = thursday.Add(10 * time.Hour)
	sooner := mustStartEmergency(t, s, "alice", "Printer queue")
	bobs := mustStartEmergency(t, s, "bob", "Bob's own hotfix")
	// Two hours after the first was due: Sat 28 Nov 2026 12:00 CET.
	s.now = thursday.Add(50 * time.Hour)

	p := s.MustSignIn(t, "bob").get("/approvals").mustStatus(t, http.StatusOK)
	rows, overdue := p.changes("table#reviews tr[data-change]"), p.changes("table#reviews tr[data-overdue]")
	if want := []string{late.ID, sooner.ID, later.ID}; !slices.Equal(rows, want) {
		t.Errorf("bob's reviews: %v, want %v (overdue first, then the soonest due; not %s, his own)", rows, want, bobs.ID)
	}
	if !slices.Equal(overdue, []string{late.ID}) {
		t.Errorf("bob's reviews marked overdue: %v, want %s alone", overdue, late.ID)
	}
	if got := p.text(`table#reviews tr[data-change="` + sooner.ID + `"]`); !strings.Contains(got, "Sat 28 Nov 2026 20:00 CET") || !strings.Contains(got, "due in 8h") {
		t.Errorf("review of %s: %q, want it due Sat 28 Nov 2026 20:00 CET, in Lyon's time, in 8h", sooner.ID, got)
	}
	// Carol, who manages no change, is shown no review; alice, who
	// requested them, may give none of them.
	for _, user := range []string{"carol", "alice"} {
		if p := s.MustSignIn(t, user).get("/approvals"); p.all("table#reviews tr[data-change]") != nil {
			t.Errorf("%s's inbox lists reviews: %q", user, p.text("table#reviews"))
		}
	}
}

// mustStartEmergency opens an emergency change of requester's, has erin
// approve it and its requester start it by hand: it owes its review in 48
// hours.
func mustStartEmergency(t *testing.T, s *stack, requester, title string) *andon.Change {
	t.Helper()
	ctx := andon.NewContextWithUser(t.Context(), &andon.User{Name: requester})
	c, err := s.changes.CreateChange(ctx, &andon.ChangeRequest{Environment: "prod-lyon", Type: andon.ChangeEmergency,
		Title: title, Artifacts: []string{image}})
	if err != nil {
		t.Fatal(err)
	}
	erin := andon.NewContextWithUser(t.Context(), &andon.User{Name: "erin", Roles: []string{andon.RoleEmergencyApprover}})
	if _, err := s.changes.Decide(erin, c.ID, andon.Approve, "go"); err != nil {
		t.Fatal(err)
	}
	if c, err = s.changes.Transition(ctx, c.ID, andon.StateImplementing, ""); err != nil {
		t.Fatal(err)
	}
	return c
}

// reviewsRead passes the calls of a page to the store, counting the
// changes it reads one by one, and lists at most limit of the changes
// owing their review, as the store would list inboxLimit of more.
type reviewsRead struct {
	andon.ChangeService
	limit  int
	mu     sync.Mutex
	byID   int
	listed int // the listings it read
}

func (r *reviewsRead) FindChangeByID(ctx context.Context, id string) (*andon.Change, error) {
	r.mu.Lock()
	r.byID++
	r.mu.Unlock()
	return r.ChangeService.FindChangeByID(ctx, id)
}

func (r *reviewsRead) FindChanges(ctx context.Context, f andon.ChangeFilter) ([]*andon.Change, int, error) {
	r.mu.Lock()
	r.listed++
	r.mu.Unlock()
	if f.ReviewOwed {
		f.Limit = min(f.Limit, r.limit)
	}
	return r.ChangeService.FindChanges(ctx, f)
}

// A change manager's inbox reads the reviews owed, overdue or not, in one
// bounded listing, the longest overdue first, rather than each overdue
// one by itself; when there are more than it lists, it says so.
func TestApprovalsReadReviewsOwedInOneListing(t *testing.T) {
	spy := &reviewsRead{limit: 2}
	s := MustServe(t, nil, thursday, func(c *web.Config) { spy.ChangeService, c.Changes = c.Changes, spy })
	first := mustImplementEmergency(t, s)
	s.now = thursday.Add(20 * time.Hour)
	latest := mustStartEmergency(t, s, "alice", "Scale fix")
	s.now = thursday.Add(10 * time.Hour)
	middle := mustStartEmergency(t, s, "alice", "Printer queue")
	// All three are overdue.
	s.now = thursday.Add(80 * time.Hour)

	p := s.MustSignIn(t, "bob").get("/approvals").mustStatus(t, http.StatusOK)
	if got, want := p.changes("table#reviews tr[data-overdue]"), []string{first.ID, middle.ID}; !slices.Equal(got, want) {
		t.Errorf("bob's overdue reviews: %v, want %v, the longest overdue of the three", got, want)
	}
	if spy.byID != 0 {
		t.Errorf("the page read %d changes one by one, want none", spy.byID)
	}
	if got, want := p.text("#reviews-truncated"), "Only the 2 reviews due soonest of 3 owed"; !strings.Contains(got, want) {
		t.Errorf("#reviews-truncated %q, want %q (%s is not listed)", got, want, latest.ID)
	}
	// When all are listed, the page says nothing of it.
	spy.limit = 1000
	if p := s.MustSignIn(t, "bob").get("/approvals"); p.all("#reviews-truncated") != nil || len(p.changes("table#reviews tr[data-overdue]")) != 3 {
		t.Errorf("all three listed: %q", p.text("table#reviews"))
	}
}

// findingsAsked passes the calls of a page to the store, and records the
// codes of the findings each asked for.
type findingsAsked struct {
	andon.ChangeService
	mu    sync.Mutex
	asked [][]string
}

func (f *findingsAsked) Findings(ctx context.Context, codes ...string) ([]andon.Finding, error) {
	f.mu.Lock()
	f.asked = append(f.asked, codes)
	f.mu.Unlock()
	return f.ChangeService.Findings(ctx, codes...)
}

// My approvals shows the overdue reviews and the windows ended among the
// findings: it asks for those alone, rather than also weighing up to 1000
// pending changes against the teams for findings it does not show, and
// lists what it listed.
func TestApprovalsAsksOnlyForTheFindingsItShows(t *testing.T) {
	spy := &findingsAsked{}
	s := MustServe(t, nil, thursday, func(c *web.Config) { spy.ChangeService, c.Changes = c.Changes, spy })
	emergency := mustImplementEmergency(t, s)
	// A pending change that only fiona, the owner of finance, may approve
	// besides a change manager, and then nobody: the teams can no longer
	// approve it.
	ctx := andon.NewContextWithUser(t.Context(), &andon.User{Name: "alice"})
	pending, err := s.changes.CreateChange(ctx, &andon.ChangeRequest{Environment: "prod-lyon", Type: andon.ChangeNormal,
		Title: "Invoice layout", Artifacts: []string{image}, Facts: andon.Facts{Modules: []string{"account"}}})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.LoadFS(examples.Catalog, "catalog")
	if err != nil {
		t.Fatal(err)
	}
	cat.Team("finance-controllers").Members = nil
	s.holder.Swap(cat)
	s.now = thursday.Add(50 * time.Hour)
	all, err := s.changes.Findings(t.Context())
	if err != nil || len(all) != 2 {
		t.Fatalf("findings: %+v, %v; want the overdue review and the change nobody can approve", all, err)
	}

	spy.asked = nil
	p := s.MustSignIn(t, "bob").get("/approvals").mustStatus(t, http.StatusOK)
	overdue, waiting := p.changes("table#reviews tr[data-overdue]"), p.changes("table#inbox tr[data-change]")
	if !slices.Equal(overdue, []string{emergency.ID}) || !strings.Contains(p.text("table#reviews"), "2h overdue") {
		t.Errorf("bob's overdue reviews: %v (%q), want %s, 2h overdue", overdue, p.text("table#reviews"), emergency.ID)
	}
	if !slices.Equal(waiting, []string{pending.ID}) {
		t.Errorf("bob's inbox: %v, want %s, whose change-manager slot is open", waiting, pending.ID)
	}
	// The reviews owed are read with the changes that owe them.
	if !slices.EqualFunc(spy.asked, [][]string{{andon.FindingWindowEnded, andon.FindingEmergencyExpired}}, slices.Equal) {
		t.Errorf("the page asked for findings %q, want those of WINDOW_ENDED and EMERGENCY_EXPIRED alone", spy.asked)
	}
	// Someone who reviews nothing is asked about no review.
	spy.asked = nil
	s.MustSignIn(t, "carol").get("/approvals").mustStatus(t, http.StatusOK)
	if !slices.EqualFunc(spy.asked, [][]string{{andon.FindingWindowEnded, andon.FindingEmergencyExpired}}, slices.Equal) {
		t.Errorf("carol's page asked for findings %q, want those of WINDOW_ENDED and EMERGENCY_EXPIRED alone", spy.asked)
	}
}

// An approved change's page says, beside Start, whether the gate would
// let it start now and why not, asking the gate as the start does but
// writing nothing; Start stays, since the gate is asked again on the
// click.
func TestChangePageSaysWhetherTheGateWouldStartIt(t *testing.T) {
	s := MustServe(t, nil, thursday)
	ctx := andon.NewContextWithUser(t.Context(), &andon.User{Name: "alice"})
	// staging-lyon approves its changes by policy, and holds them to
	// their own window alone.
	c, err := s.changes.CreateChange(ctx, &andon.ChangeRequest{Environment: "staging-lyon", Type: andon.ChangeNormal,
		Title: "Printer settings", Window: &andon.Span{Start: thursday.Add(2 * time.Hour), End: thursday.Add(4 * time.Hour)}})
	if err != nil || c.State != andon.StateApproved {
		t.Fatalf("create = %+v, %v; want approved", c, err)
	}
	pending, err := s.changes.CreateChange(ctx, &andon.ChangeRequest{Environment: "prod-lyon", Type: andon.ChangeNormal, Title: "Labels"})
	if err != nil {
		t.Fatal(err)
	}
	detail := "/changes/" + c.ID
	alice := s.MustSignIn(t, "alice")
	size := func() int64 {
		t.Helper()
		cp, err := s.audit.Checkpoint(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return cp.Size
	}

	before := size()
	p := alice.get(detail).mustStatus(t, http.StatusOK)
	if got := p.attr("#start-check", "data-allow"); got != "false" {
		t.Fatalf("before its window: #start-check data-allow %q, want false; page:\n%s", got, p.text("form#transition"))
	}
	got := p.text("#start-check")
	for _, want := range []string{"The gate would refuse this start now (asked at Thu 26 Nov 2026 10:00 CET)",
		"is outside the window of change " + c.ID, "(OUTSIDE_CHANGE_WINDOW)", "Start asks the gate again"} {
		if !strings.Contains(got, want) {
			t.Errorf("before its window: #start-check %q, want it to say %q", got, want)
		}
	}
	if got := p.attr("#start-check li", "data-code"); got != "OUTSIDE_CHANGE_WINDOW" {
		t.Errorf("before its window: the reason's code %q", got)
	}
	if got := p.attr("form#transition button[value=implementing]", "aria-describedby"); got != "start-check" {
		t.Errorf("Start is described by %q, want the gate's answer, #start-check", got)
	}
	if after := size(); after != before {
		t.Errorf("showing the page wrote %d audit entries; want none", after-before)
	}
	// The click asks the gate again, which agrees.
	p = alice.submit(detail, detail+"/transition", url.Values{"to": {"implementing"}}).mustStatus(t, http.StatusConflict)
	if got := p.text("#error"); !strings.Contains(got, "(OUTSIDE_CHANGE_WINDOW)") {
		t.Errorf("start before its window: %q", got)
	}

	s.now = thursday.Add(3 * time.Hour)
	p = alice.get(detail).mustStatus(t, http.StatusOK)
	if got := p.attr("#start-check", "data-allow"); got != "true" || !strings.Contains(p.text("#start-check"), "The gate would allow this start now") {
		t.Errorf("inside its window: #start-check %q (data-allow %q), want allowed", p.text("#start-check"), got)
	}
	// Only the start offered is previewed: not to someone who may not
	// move the change, nor for a change that cannot start.
	if p := s.MustSignIn(t, "frank").get(detail); p.all("#start-check") != nil || p.all("form#transition") != nil {
		t.Errorf("frank, an auditor, is shown a start or its preview")
	}
	if p := alice.get("/changes/" + pending.ID); p.all("#start-check") != nil {
		t.Errorf("a pending change shows a preview of its start: %q", p.text("#start-check"))
	}
	alice.submit(detail, detail+"/transition", url.Values{"to": {"implementing"}}).mustStatus(t, http.StatusSeeOther)
	if p := alice.get(detail); p.attr("#state", "data-state") != "implementing" || p.all("#start-check") != nil {
		t.Errorf("after the start: state %q, preview %q", p.attr("#state", "data-state"), p.text("#start-check"))
	}
}

// startCheckFails answers every preview of a start as a gate policy that
// fails to decide does, and passes the other calls to the store.
type startCheckFails struct{ andon.ChangeService }

func (f startCheckFails) CheckStart(ctx context.Context, id string) (*andon.StartCheck, error) {
	return nil, fmt.Errorf("%w: %w", &andon.Fault{Message: "the gate could not decide whether change " + id + " may start: the policy failed: andon.gate: reasons: is empty"}, errors.New("gate policy"))
}

// A preview the gate cannot give says why, and the rest of the page, and
// Start, are shown all the same.
func TestChangePageWhenTheGateCannotTell(t *testing.T) {
	s := MustServe(t, nil, thursday, func(c *web.Config) { c.Changes = startCheckFails{c.Changes} })
	ctx := andon.NewContextWithUser(t.Context(), &andon.User{Name: "alice"})
	c, err := s.changes.CreateChange(ctx, &andon.ChangeRequest{Environment: "staging-lyon", Type: andon.ChangeNormal, Title: "Printer settings"})
	if err != nil {
		t.Fatal(err)
	}
	p := s.MustSignIn(t, "alice").get("/changes/"+c.ID).mustStatus(t, http.StatusOK)
	want := "Whether the gate would allow this start now cannot be told: the gate could not decide whether change " + c.ID + " may start: the policy failed"
	if got := p.text("#start-check"); p.attr("#start-check", "data-allow") != "unknown" || !strings.Contains(got, want) {
		t.Errorf("#start-check %q, want %q", got, want)
	}
	if p.all("form#transition button[value=implementing]") == nil {
		t.Error("no Start once the gate could not tell")
	}
}

// My approvals lists the changes whose window has ended (the findings
// WINDOW_ENDED) that are the user's to cancel, or that wait for an
// approval of theirs that would be refused, rather than among those
// waiting; and its times are in each change's plant time zone, as on the
// change's page.
func TestApprovalsShowsWindowsEnded(t *testing.T) {
	s := MustServe(t, nil, thursday)
	alice := andon.NewContextWithUser(t.Context(), &andon.User{Name: "alice"})
	open := func(env, title string, modules []string, window time.Duration) *andon.Change {
		t.Helper()
		c, err := s.changes.CreateChange(alice, &andon.ChangeRequest{Environment: env, Type: andon.ChangeNormal, Title: title,
			Facts: andon.Facts{Modules: modules}, Window: &andon.Span{Start: thursday.Add(time.Hour), End: thursday.Add(window)}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// Stock touches inventory, which carol's team owns: she fills its
	// process owner's slot, and may not cancel it.
	pending := open("prod-lyon", "Routing", []string{"stock"}, 2*time.Hour)
	approved := open("prod-lyon", "Labels", nil, 3*time.Hour)
	if c, err := s.changes.Decide(andon.NewContextWithUser(t.Context(), &andon.User{Name: "bob"}), approved.ID, andon.Approve, ""); err != nil || c.State != andon.StateApproved {
		t.Fatalf("approve = %+v, %v", c, err)
	}
	later := open("prod-lyon", "Later", []string{"stock"}, 48*time.Hour)
	geelong := open("prod-geelong", "Routing in Geelong", nil, 48*time.Hour)
	s.now = thursday.Add(5 * time.Hour)

	rows := func(p *page, table string) map[string]string {
		got := map[string]string{}
		for _, tr := range p.all("table#" + table + " tr[data-change]") {
			got[attrOf(tr, "data-change")] = strings.Join(strings.Fields(textOf(tr)), " ")
		}
		return got
	}
	ids := func(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
	sorted := func(ids ...string) []string { slices.Sort(ids); return ids }

	// The requester and a change manager may cancel them both.
	for _, user := range []string{"alice", "bob"} {
		p := s.MustSignIn(t, user).get("/approvals").mustStatus(t, http.StatusOK)
		ended := rows(p, "window-ended")
		if got, want := ids(ended), sorted(pending.ID, approved.ID); !slices.Equal(got, want) {
			t.Errorf("%s: windows ended %v, want %v", user, got, want)
		}
		for id, end := range map[string][2]string{pending.ID: {"Thu 26 Nov 2026 12:00 CET", "3h ago"}, approved.ID: {"Thu 26 Nov 2026 13:00 CET", "2h ago"}} {
			if got := ended[id]; !strings.Contains(got, end[0]) || !strings.Contains(got, end[1]) || !strings.Contains(got, "Cancel it.") {
				t.Errorf("%s: the row of %s is %q, want its window's end, %s, %s, and to cancel it", user, id, got, end[0], end[1])
			}
		}
		if got := ended[approved.ID]; !strings.Contains(got, "Approved") {
			t.Errorf("%s: the row of %s is %q, want it said approved", user, approved.ID, got)
		}
		if !strings.Contains(p.text("#ended-hint"), "the gate, a start by hand and an approval all refuse them") {
			t.Errorf("%s: the hint says %q", user, p.text("#ended-hint"))
		}
		// What waits is what may still go ahead.
		table, want := "mine", sorted(later.ID, geelong.ID)
		if user == "bob" {
			table = "inbox"
		}
		if got := ids(rows(p, table)); !slices.Equal(got, want) {
			t.Errorf("%s: table#%s lists %v, want %v", user, table, got, want)
		}
	}
	// carol would fill the process owner's slot, but for the window; she
	// may reject it, not cancel it.
	p := s.MustSignIn(t, "carol").get("/approvals").mustStatus(t, http.StatusOK)
	ended := rows(p, "window-ended")
	if got := ids(ended); !slices.Equal(got, []string{pending.ID}) {
		t.Errorf("carol: windows ended %v, want %s alone", got, pending.ID)
	}
	if got, want := ended[pending.ID], "Your approval would be refused: reject it, or ask alice to cancel it."; !strings.Contains(got, want) {
		t.Errorf("carol: the row of %s is %q, want %q", pending.ID, got, want)
	}
	if got := ids(rows(p, "inbox")); !slices.Equal(got, []string{later.ID}) {
		t.Errorf("carol's inbox: %v, want %s", got, later.ID)
	}
	// Each change's times are its plant's, with the zone's abbreviation.
	bobs := s.MustSignIn(t, "bob")
	bob, list := bobs.get("/approvals"), bobs.get("/changes")
	for id, created := range map[string]string{later.ID: "Thu 26 Nov 2026 10:00 CET", geelong.ID: "Thu 26 Nov 2026 20:00 AEDT"} {
		if got := rows(bob, "inbox")[id]; !strings.Contains(got, created) {
			t.Errorf("bob's inbox: the row of %s is %q, want it created %s", id, got, created)
		}
		// And so they are in the list of changes.
		if got := rows(list, "changes")[id]; !strings.Contains(got, created) {
			t.Errorf("/changes: the row of %s is %q, want it created %s", id, got, created)
		}
	}
	// Nothing is anyone else's.
	if p := s.MustSignIn(t, "frank").get("/approvals"); p.all("table#window-ended") != nil {
		t.Errorf("frank, an auditor, is shown windows ended: %q", p.text("table#window-ended"))
	}
	// Once cancelled, a change is no longer a finding.
	if _, err := s.changes.Transition(alice, approved.ID, andon.StateCancelled, "too late"); err != nil {
		t.Fatal(err)
	}
	if got := ids(rows(s.MustSignIn(t, "alice").get("/approvals"), "window-ended")); !slices.Equal(got, []string{pending.ID}) {
		t.Errorf("after the cancellation: windows ended %v, want %s", got, pending.ID)
	}
}

// My approvals lists the approved emergency changes never deployed whose
// validity has passed (the findings EMERGENCY_EXPIRED) to those who may
// cancel them, and to those who approved them, to ask their requester.
func TestApprovalsShowsEmergenciesExpired(t *testing.T) {
	s := MustServe(t, nil, thursday)
	alice := andon.NewContextWithUser(t.Context(), &andon.User{Name: "alice"})
	erin := andon.NewContextWithUser(t.Context(), &andon.User{Name: "erin"})
	open := func(title string) *andon.Change {
		t.Helper()
		c, err := s.changes.CreateChange(alice, &andon.ChangeRequest{Environment: "prod-lyon", Type: andon.ChangeEmergency, Title: title})
		if err != nil {
			t.Fatal(err)
		}
		if c, err = s.changes.Decide(erin, c.ID, andon.Approve, "outage"); err != nil || c.State != andon.StateApproved {
			t.Fatalf("approve = %+v, %v", c, err)
		}
		return c
	}
	expired := open("Hotfix labels")
	s.now = thursday.Add(47 * time.Hour)
	fresh := open("Hotfix routing")
	s.now = thursday.Add(50 * time.Hour)

	rows := func(user string) map[string]string {
		p := s.MustSignIn(t, user).get("/approvals").mustStatus(t, http.StatusOK)
		got := map[string]string{}
		for _, tr := range p.all("table#emergency-expired tr[data-change]") {
			got[attrOf(tr, "data-change")] = strings.Join(strings.Fields(textOf(tr)), " ")
		}
		return got
	}
	for user, todo := range map[string]string{"alice": "Cancel it.", "bob": "Cancel it.", "erin": "Ask alice to cancel it."} {
		got := rows(user)
		if len(got) != 1 || !strings.Contains(got[expired.ID], "Sat 28 Nov 2026 10:00 CET") || !strings.Contains(got[expired.ID], "2h ago") || !strings.Contains(got[expired.ID], todo) {
			t.Errorf("%s: emergency changes expired %q, want %s alone, until Sat 28 Nov 2026 10:00 CET, 2h ago, %q (not %s)", user, got, expired.ID, todo, fresh.ID)
		}
	}
	if got := rows("frank"); len(got) != 0 {
		t.Errorf("frank, an auditor, is shown emergency changes expired: %q", got)
	}
	if _, err := s.changes.Transition(alice, expired.ID, andon.StateCancelled, "too late"); err != nil {
		t.Fatal(err)
	}
	if got := rows("alice"); len(got) != 0 {
		t.Errorf("after the cancellation: emergency changes expired %q, want none", got)
	}
}

// My approvals reads the changes that its findings name, windows ended
// and emergency changes expired, in one listing rather than each by
// itself, however many there are, and shows them as it did.
func TestApprovalsReadsTheChangesOfFindingsInOneListing(t *testing.T) {
	spy := &reviewsRead{limit: 1000}
	s := MustServe(t, nil, thursday, func(c *web.Config) { spy.ChangeService, c.Changes = c.Changes, spy })
	alice := andon.NewContextWithUser(t.Context(), &andon.User{Name: "alice"})
	erin := andon.NewContextWithUser(t.Context(), &andon.User{Name: "erin"})
	var expired []string
	for _, title := range []string{"Hotfix labels", "Hotfix routing", "Hotfix stock"} {
		c, err := s.changes.CreateChange(alice, &andon.ChangeRequest{Environment: "prod-lyon", Type: andon.ChangeEmergency, Title: title})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.changes.Decide(erin, c.ID, andon.Approve, "outage"); err != nil {
			t.Fatal(err)
		}
		expired = append(expired, c.ID)
	}
	// An approved change whose window ended is not among the pending
	// changes the page reads first; a pending one is.
	var ended []string
	for _, title := range []string{"Labels", "Routing"} {
		c, err := s.changes.CreateChange(alice, &andon.ChangeRequest{Environment: "prod-lyon", Type: andon.ChangeNormal, Title: title,
			Window: &andon.Span{Start: thursday.Add(time.Hour), End: thursday.Add(3 * time.Hour)}})
		if err != nil {
			t.Fatal(err)
		}
		ended = append(ended, c.ID)
	}
	if c, err := s.changes.Decide(andon.NewContextWithUser(t.Context(), &andon.User{Name: "bob"}), ended[0], andon.Approve, ""); err != nil || c.State != andon.StateApproved {
		t.Fatalf("approve = %+v, %v", c, err)
	}
	s.now = thursday.Add(50 * time.Hour)
	findings, err := s.changes.Findings(t.Context(), andon.FindingWindowEnded, andon.FindingEmergencyExpired)
	if err != nil || len(findings) != 5 {
		t.Fatalf("findings: %+v, %v; want two windows ended and three emergency changes expired", findings, err)
	}

	spy.byID, spy.listed = 0, 0
	p := s.MustSignIn(t, "alice").get("/approvals").mustStatus(t, http.StatusOK)
	sorted := func(ids []string) []string { return slices.Sorted(slices.Values(ids)) }
	if got, want := sorted(p.changes("table#emergency-expired tr[data-change]")), sorted(expired); !slices.Equal(got, want) {
		t.Errorf("emergency changes expired: %v, want %v", got, want)
	}
	if got, want := sorted(p.changes("table#window-ended tr[data-change]")), sorted(ended); !slices.Equal(got, want) {
		t.Errorf("windows ended: %v, want %v", got, want)
	}
	if got := p.text("table#window-ended"); !strings.Contains(got, "Approved") || !strings.Contains(got, "Cancel it.") {
		t.Errorf("windows ended: %q, want the approved one, to cancel", got)
	}
	// alice reviews nothing: the pending changes and those the findings
	// name besides.
	if spy.byID != 0 || spy.listed != 2 {
		t.Errorf("the page read %d changes one by one and %d listings, want none and 2", spy.byID, spy.listed)
	}
}

// TestSessionIsNotTheAPIToken: signing in opens a session of its own,
// whose token alone the cookie holds: the API refuses it, signing out
// ends it (a copy of the cookie then opens nothing), and so do revoking
// the API token signed in with and the end of the session's lifetime,
// each sending to the sign-in page, which says why.
func TestSessionIsNotTheAPIToken(t *testing.T) {
	s := MustServe(t, nil, thursday)
	b := s.browser(t)
	p := b.post("/login", url.Values{"token": {"demo-bob"}}).mustStatus(t, http.StatusSeeOther)
	session := sessionOf(t, p, "andon_session")
	if strings.Contains(session, "demo-bob") {
		t.Fatalf("the cookie holds the API token: %q", session)
	}
	copied := func(path string) *page {
		req, _ := http.NewRequest(http.MethodGet, s.url+path, nil)
		req.Header.Set("Cookie", "andon_session="+session)
		return s.browser(t).do(req)
	}
	if p := copied("/"); p.status != http.StatusOK {
		t.Fatalf("the board with the session's cookie: %d, want 200", p.status)
	}

	// The API takes API tokens only.
	req, _ := http.NewRequest(http.MethodGet, s.url+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+session)
	if p := b.do(req); p.status != http.StatusUnauthorized {
		t.Errorf("the API with the session token: %d, want 401", p.status)
	}

	// Signing out ends the session, not only the browser's cookie.
	b.submit("/", "/logout", url.Values{}).mustStatus(t, http.StatusSeeOther)
	if p := copied("/changes"); p.status != http.StatusSeeOther || p.location != "/login?next=%2Fchanges&ended=revoked" {
		t.Errorf("a copy of the cookie after signing out: %d to %q, want 303 to the sign-in page", p.status, p.location)
	}
	if got := b.get("/login?next=%2Fchanges&ended=revoked").text("#ended[role=status]"); !strings.Contains(got, "Your session has ended") {
		t.Errorf("the sign-in page after the session ended says %q", got)
	}
	// The API token signed out with still works: pipelines use it.
	req, _ = http.NewRequest(http.MethodGet, s.url+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer demo-bob")
	if p := b.do(req); p.status != http.StatusOK {
		t.Errorf("the API token after signing out: %d, want 200", p.status)
	}

	// Revoking the API token ends the sessions opened with it.
	token := mustToken(t, s, time.Time{})
	rb := s.browser(t)
	rb.post("/login", url.Values{"token": {token}}).mustStatus(t, http.StatusSeeOther)
	rb.get("/").mustStatus(t, http.StatusOK)
	if _, err := s.tokens.RevokeTokens(t.Context(), token, ""); err != nil {
		t.Fatal(err)
	}
	if p := rb.get("/"); p.status != http.StatusSeeOther || p.location != "/login?next=%2F&ended=revoked" {
		t.Errorf("after its API token was revoked: %d to %q, want 303 to the sign-in page", p.status, p.location)
	}
}

// TestSessionExpires: a session lasts Config.SessionLifetime (12 hours by
// default), then sends to the sign-in page, which says it expired and for
// how long sessions last; a form posted then is refused saying so.
func TestSessionExpires(t *testing.T) {
	for _, tc := range []struct {
		lifetime time.Duration
		want     string
	}{{0, "12 hours"}, {90 * time.Minute, "1h30m0s"}} {
		s := MustServe(t, nil, thursday, func(c *web.Config) { c.SessionLifetime = tc.lifetime })
		b := s.MustSignIn(t, "bob")
		end := andon.DefaultSessionLifetime
		if tc.lifetime != 0 {
			end = tc.lifetime
		}
		s.now = thursday.Add(end - time.Second)
		csrf := b.get("/").mustStatus(t, http.StatusOK).attr("input[name=csrf]", "value")
		s.now = thursday.Add(end)
		p := b.get("/changes")
		if p.status != http.StatusSeeOther || p.location != "/login?next=%2Fchanges&ended=expired" {
			t.Fatalf("lifetime %s: at its end: %d to %q, want 303 to the sign-in page saying the session expired", tc.lifetime, p.status, p.location)
		}
		if got, want := b.get(p.location).text("#ended[role=status]"), "Your session expired: a session of the board lasts "+tc.want; !strings.HasPrefix(got, want) {
			t.Errorf("lifetime %s: the sign-in page says %q, want %q", tc.lifetime, got, want)
		}
		p = b.post("/changes", url.Values{"csrf": {csrf}, "environment": {"staging-lyon"}, "type": {"normal"}, "title": {"Late"}}).mustStatus(t, http.StatusUnauthorized)
		if !strings.Contains(p.text("#error"), "Your session expired") {
			t.Errorf("lifetime %s: a form after the end: %q", tc.lifetime, p.text("#error"))
		}
		// A new sign-in opens a new session.
		b = s.MustSignIn(t, "bob")
		b.get("/").mustStatus(t, http.StatusOK)
	}
}

// TestWallScreenSession: a wall screen's user, whom no Team names, is
// signed in for 30 days, not a shift; a team member with no role is not;
// and once a Team names the wall screen's user, the long session ends.
func TestWallScreenSession(t *testing.T) {
	s := MustServe(t, nil, thursday)
	for _, u := range []string{"wall-lyon", "wall-geelong"} {
		if err := s.tokens.AddToken(t.Context(), u, "demo-"+u); err != nil {
			t.Fatal(err)
		}
	}
	// alice is a release engineer: her team holds no role.
	wall, geelong, alice := s.MustSignIn(t, "wall-lyon"), s.MustSignIn(t, "wall-geelong"), s.MustSignIn(t, "alice")
	s.now = thursday.Add(29 * 24 * time.Hour)
	wall.get("/?kiosk=1").mustStatus(t, http.StatusOK)
	if p := alice.get("/"); p.status != http.StatusSeeOther || !strings.Contains(p.location, "ended=expired") {
		t.Errorf("alice, a team member of no role, after 29 days: %d to %q, want sent to sign in again", p.status, p.location)
	}
	s.now = thursday.Add(30 * 24 * time.Hour)
	if p := wall.get("/?kiosk=1"); p.status != http.StatusSeeOther || !strings.Contains(p.location, "ended=expired") {
		t.Errorf("the wall screen after 30 days: %d to %q, want sent to sign in again", p.status, p.location)
	}

	// A Team that names the other wall screen's user ends its session.
	s.now = thursday.Add(24 * time.Hour)
	geelong.get("/?kiosk=1").mustStatus(t, http.StatusOK)
	s.holder.Swap(mustCatalogWith(t, "apiVersion: andon/v1\nkind: Team\nmetadata: {name: night-shift}\nspec:\n  roles: [change-manager]\n  members: [wall-geelong]\n"))
	if p := geelong.get("/?kiosk=1"); p.status != http.StatusSeeOther || !strings.Contains(p.location, "ended=expired") {
		t.Errorf("the wall screen's user named by a Team since: %d to %q, want sent to sign in again", p.status, p.location)
	}
}

// TestCookieOfAnAPIToken: a cookie that holds an API token, as the board
// kept before it had sessions, opens nothing: its holder is asked to sign
// in again, and signing out does not revoke that API token.
func TestCookieOfAnAPIToken(t *testing.T) {
	s := MustServe(t, nil, thursday)
	req, _ := http.NewRequest(http.MethodGet, s.url+"/approvals", nil)
	req.Header.Set("Cookie", "andon_session=demo-bob")
	b := s.browser(t)
	p := b.do(req)
	if p.status != http.StatusSeeOther || p.location != "/login?next=%2Fapprovals&ended=upgrade" {
		t.Fatalf("a cookie of an API token: %d to %q, want 303 to the sign-in page", p.status, p.location)
	}
	if got := b.get(p.location).text("#ended"); !strings.Contains(got, "sign in again") {
		t.Errorf("the sign-in page says %q, want to sign in again", got)
	}
	req, _ = http.NewRequest(http.MethodPost, s.url+"/logout", nil)
	req.Header.Set("Cookie", "andon_session=demo-bob")
	b.do(req).mustStatus(t, http.StatusSeeOther)
	if _, err := s.tokens.Authenticate(t.Context(), "demo-bob"); err != nil {
		t.Errorf("signing out with a cookie of an API token revoked it: %v", err)
	}
}

// A double tap on a button posts its form twice, and the browser shows
// the answer to the second post: a decision, a transition or a review
// already recorded by the same person with the same comment is answered
// as the first post was, and recorded once; the same button on a page
// left open after someone else acted is still refused, saying why.
func TestFormPostedTwice(t *testing.T) {
	s := MustServe(t, nil, thursday)
	c := createChange(t, s, "alice", "prod-lyon", "Replenishment rules")
	detail := "/changes/" + c.ID
	bob := s.MustSignIn(t, "bob")
	form := bob.get(detail).mustStatus(t, http.StatusOK)
	approve := url.Values{"csrf": {form.attr("form#decide input[name=csrf]", "value")}, "verdict": {"approve"}, "comment": {"tested in staging"}}
	for i := range 2 {
		p := bob.post(detail+"/decision", approve)
		if p.status != http.StatusSeeOther || p.location != detail+"?done=approved" {
			t.Fatalf("approval posted %d times: %d to %q, error %q; want 303 to %s?done=approved", i+1, p.status, p.location, p.text("#error"), detail)
		}
	}
	got, err := s.changes.FindChangeByID(t.Context(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Approvals) != 1 {
		t.Errorf("approval posted twice: %d approvals recorded, want 1: %+v", len(got.Approvals), got.Approvals)
	}
	// Another comment is another decision, which one person may not give.
	approve.Set("comment", "and in production")
	if p := bob.post(detail+"/decision", approve).mustStatus(t, http.StatusConflict); !strings.Contains(p.text("#error"), "one slot") {
		t.Errorf("a second approval with another comment: %q, want the refusal", p.text("#error"))
	}

	// A cancellation confirmed twice.
	alice := s.MustSignIn(t, "alice")
	cancel := url.Values{"csrf": {alice.get(detail).attr("input[name=csrf]", "value")}, "to": {"cancelled"}, "confirm": {"yes"}, "comment": {"planning moved"}}
	for i := range 2 {
		p := alice.post(detail+"/transition", cancel)
		if p.status != http.StatusSeeOther || p.location != detail+"?done=transition" {
			t.Fatalf("cancellation posted %d times: %d to %q, error %q; want 303 to %s?done=transition", i+1, p.status, p.location, p.text("#error"), detail)
		}
	}
	// Bob's page, left open before alice cancelled: his cancellation is
	// refused, as the change moved on without him.
	cancel.Set("csrf", form.attr("form#decide input[name=csrf]", "value"))
	if p := bob.post(detail+"/transition", cancel).mustStatus(t, http.StatusConflict); !strings.Contains(p.text("#error"), "already cancelled") {
		t.Errorf("bob's cancellation after alice's: %q, want the refusal", p.text("#error"))
	}
	entries, err := s.audit.FindEntries(t.Context(), andon.AuditFilter{Change: c.ID, Type: andon.EventChangeTransition, After: -1, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("cancellation posted twice: %d transitions recorded, want 1", len(entries))
	}

	// A retrospective review posted twice.
	e := mustImplementEmergency(t, s)
	detail = "/changes/" + e.ID
	review := url.Values{"csrf": {bob.get(detail).attr("form#review input[name=csrf]", "value")}, "comment": {"the hotfix was right"}}
	for i := range 2 {
		p := bob.post(detail+"/review", review)
		if p.status != http.StatusSeeOther || p.location != detail+"?done=reviewed" {
			t.Fatalf("review posted %d times: %d to %q, error %q; want 303 to %s?done=reviewed", i+1, p.status, p.location, p.text("#error"), detail)
		}
	}
}

// The board's plant heading gives the plant's UTC offset now; a time of a
// tile at another offset, after the clocks change, carries its zone's
// abbreviation, so that it is not read at the heading's offset. Saturday
// 30 October 2027, noon in Lyon (CEST): the month-end close is in force
// until 1 November, after the clocks went back on the 31st.
func TestBoardTimesAcrossTheClockChange(t *testing.T) {
	s := MustServe(t, nil, time.Date(2027, 10, 30, 10, 0, 0, 0, time.UTC))
	p := s.MustSignIn(t, "alice").get("/").mustStatus(t, http.StatusOK)
	if got := p.text("section.plant[data-plant=lyon] h2 .tz"); got != "Europe/Paris (UTC+02:00)" {
		t.Errorf("Lyon's heading: %q, want Europe/Paris (UTC+02:00)", got)
	}
	tests := []struct{ sel, want string }{
		{"article.tile[data-env=prod-lyon] .state .label", "Frozen: month-end-close until Mon 1 Nov 2027 23:00 CET"},
		// On the day the clocks change, as before.
		{"article.tile[data-env=prod-subsidiaries] .next", "Next: sunday-maintenance (maintenance) Sun 31 Oct 2027 02:00 CEST,"},
		// Geelong's clocks changed on 3 October: its times need no zone.
		{"article.tile[data-env=prod-geelong] .state .label", "Frozen: month-end-close until Tue 2 Nov 2027 00:00"},
	}
	for _, tt := range tests {
		if got := p.text(tt.sel); !strings.HasPrefix(got, tt.want) || strings.HasSuffix(tt.sel, ".label") && got != tt.want {
			t.Errorf("%s: %q, want %q", tt.sel, got, tt.want)
		}
	}
}

// A refused field of the new change's form is said beside it, as well as
// at the top of the page, and is marked invalid and has the focus, so that
// on a tablet or a phone the field to correct is in view; a refusal that
// names no field is said at the top alone.
func TestNewChangeRefusalBesideItsField(t *testing.T) {
	s := MustServe(t, nil, thursday)
	alice := s.MustSignIn(t, "alice")
	base := url.Values{"environment": {"prod-lyon"}, "type": {"normal"}, "title": {"Replenishment rules"}, "artifacts": {image}}
	tests := []struct {
		name    string
		set     url.Values
		control string
		want    string
	}{
		{"no environment", url.Values{"environment": {""}}, "environment", "environment: required"},
		{"no title", url.Values{"title": {" "}}, "title", "title: required"},
		{"an image not pinned", url.Values{"artifacts": {image + "\nodoo:latest"}}, "artifacts", "artifacts[1]: image"},
		{"an unknown process", url.Values{"processes": {"nope"}}, "processes", `processes[0]: "nope" is not in the catalog`},
		{"a start the clocks skip", url.Values{"windowStart": {"2027-03-28T02:30"}, "windowEnd": {"2027-03-28T05:00"}}, "windowStart", "window start: 2027-03-28 02:30 does not exist"},
		{"an end before the start", url.Values{"windowStart": {"2026-12-01T10:00"}, "windowEnd": {"2026-12-01T09:00"}}, "windowEnd", "window: end"},
	}
	for _, tt := range tests {
		form := url.Values{}
		for k, v := range base {
			form[k] = v
		}
		for k, v := range tt.set {
			form[k] = v
		}
		p := alice.submit("/changes/new", "/changes", form).mustStatus(t, http.StatusBadRequest)
		if !strings.HasPrefix(p.text("#error[role=alert]"), tt.want) {
			t.Errorf("%s: the page's alert %q, want it to start %q", tt.name, p.text("#error"), tt.want)
		}
		refusal := "#" + tt.control + "-refusal"
		if got := p.text(refusal); !strings.HasPrefix(got, "✖ Refused: "+tt.want) {
			t.Errorf("%s: beside #%s %q, want %q", tt.name, tt.control, got, "✖ Refused: "+tt.want)
		}
		control := "#create-change #" + tt.control
		if got := p.attr(control, "aria-invalid"); got != "true" {
			t.Errorf("%s: #%s aria-invalid %q, want true", tt.name, tt.control, got)
		}
		if got := p.attr(control, "aria-describedby"); !slices.Contains(strings.Fields(got), tt.control+"-refusal") {
			t.Errorf("%s: #%s is described by %q, not by its refusal", tt.name, tt.control, got)
		}
		if p.all(control+"[autofocus]") == nil || len(p.all("[autofocus]")) != 1 {
			t.Errorf("%s: the focus is not on #%s alone", tt.name, tt.control)
		}
		if n := len(p.all(".in-form")); n != 1 {
			t.Errorf("%s: the refusal is said beside %d controls, want 1", tt.name, n)
		}
	}
	// The hint of a control stays among what describes it.
	p := alice.submit("/changes/new", "/changes", url.Values{"environment": {"prod-lyon"}, "type": {"normal"},
		"title": {"Replenishment rules"}, "artifacts": {"odoo:latest"}}).mustStatus(t, http.StatusBadRequest)
	if got := p.attr("#artifacts", "aria-describedby"); got != "artifacts-refusal artifacts-hint" {
		t.Errorf("#artifacts is described by %q, want its refusal and its hint", got)
	}
	// A form that is not refused marks nothing.
	p = alice.get("/changes/new").mustStatus(t, http.StatusOK)
	if p.all("[aria-invalid]") != nil || p.all(".in-form") != nil || p.all("[autofocus]") != nil {
		t.Error("the form before it is sent marks a control refused")
	}
	if got := p.attr("#modules", "aria-describedby"); got != "modules-hint" {
		t.Errorf("#modules is described by %q, want modules-hint", got)
	}
}

// findFails answers every read of a change as a store that fails without
// a fault it can name does, and passes the other calls on.
type findFails struct{ andon.ChangeService }

func (f findFails) FindChangeByID(ctx context.Context, id string) (*andon.Change, error) {
	return nil, errors.New("read change " + id + ": driver: bad connection")
}

// A page that fails on the server says under which request id its
// details are logged, and the log says it too, so that a user's report
// leads to the log record.
func TestInternalErrorPageQuotesRequestID(t *testing.T) {
	var logs lockedBuffer
	s := MustServe(t, nil, thursday, func(c *web.Config) {
		c.Changes = findFails{c.Changes}
		c.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	p := s.MustSignIn(t, "alice").get("/changes/CHG-1").mustStatus(t, http.StatusInternalServerError)
	id := p.header.Get("X-Request-Id")
	if want := "under request id " + id + "."; id == "" || !strings.Contains(p.text("#error"), want) {
		t.Errorf("error page %q (X-Request-Id %q), want it to say %q", p.text("#error"), id, want)
	}
	var logged []string
	for line := range strings.Lines(logs.String()) {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "page" {
			logged = append(logged, fmt.Sprint(rec["request_id"]))
		}
	}
	if len(logged) != 1 || logged[0] != id {
		t.Errorf("page error records with request ids %q, want one with %q", logged, id)
	}
}

// A pending change whose window runs into a freeze that does not allow its
// type says so on its page, the freeze named with what it allows, as the
// gate will refuse it then: its approver sees it before approving. A freeze
// that allows the change's type, or a window clear of freezes, says
// nothing.
func TestChangePageNamesTheFreezeItsWindowRunsInto(t *testing.T) {
	s := MustServe(t, nil, thursday)
	alice := s.MustSignIn(t, "alice")
	fiona := s.MustSignIn(t, "fiona")
	const close = "the freeze month-end-close, Sun 29 Nov 2026 00:00 CET to Wed 2 Dec 2026 00:00 CET, which allows only emergency changes"
	for _, tt := range []struct {
		name, typ, start, end string
		want                  []string
	}{
		{"inside the close", "normal", "2026-11-30T10:00", "2026-11-30T11:00",
			[]string{"✖ Its window lies inside " + close + ": the gate refuses this normal change during it."}},
		{"on its last day", "normal", "2026-12-01T10:00", "2026-12-01T11:00",
			[]string{"✖ Its window lies inside " + close + ": the gate refuses this normal change during it."}},
		{"into the close", "normal", "2026-11-28T22:00", "2026-11-29T02:00",
			[]string{"✖ Its window runs into " + close + ": the gate refuses this normal change during it."}},
		{"an emergency in the close", "emergency", "2026-11-30T10:00", "2026-11-30T11:00", nil},
		{"after the close", "normal", "2026-12-03T10:00", "2026-12-03T11:00", nil},
	} {
		p := alice.submit("/changes/new", "/changes", url.Values{"environment": {"prod-lyon"}, "type": {tt.typ},
			"title": {tt.name}, "modules": {"account"}, "windowStart": {tt.start}, "windowEnd": {tt.end}}).mustStatus(t, http.StatusSeeOther)
		p = fiona.get(p.location).mustStatus(t, http.StatusOK)
		var got []string
		for _, n := range p.all(".window-frozen") {
			got = append(got, textOf(n))
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: the freezes its page names (-want +got):\n%s", tt.name, diff)
		}
		if tt.want != nil && p.attr(".window-frozen time", "datetime") != "2026-11-28T23:00:00Z" {
			t.Errorf("%s: the freeze starts at %q, want 2026-11-28T23:00:00Z", tt.name, p.attr(".window-frozen time", "datetime"))
		}
	}
}

// The calendar says what a freeze allows, and marks a scheduled change
// whose window a freeze that refuses it runs into, naming the freeze: a
// finance controller sees at a glance which changes the month-end close
// would hold back. An emergency change in the close is not marked.
func TestCalendarMarksChangesAFreezeRefuses(t *testing.T) {
	s := MustServe(t, nil, thursday)
	alice := s.MustSignIn(t, "alice")
	ids := map[string]string{}
	for _, tt := range []struct{ name, typ, start, end string }{
		{"in the close", "normal", "2026-11-30T10:00", "2026-11-30T11:00"},
		{"emergency in the close", "emergency", "2026-11-30T12:00", "2026-11-30T13:00"},
		{"before the close", "normal", "2026-11-28T10:00", "2026-11-28T11:00"},
	} {
		p := alice.submit("/changes/new", "/changes", url.Values{"environment": {"prod-lyon"}, "type": {tt.typ},
			"title": {tt.name}, "modules": {"account"}, "windowStart": {tt.start}, "windowEnd": {tt.end}}).mustStatus(t, http.StatusSeeOther)
		ids[tt.name] = strings.TrimPrefix(strings.Split(p.location, "?")[0], "/changes/")
	}
	p := s.MustSignIn(t, "fiona").get("/calendar?plant=lyon&view=month&date=2026-11-01").mustStatus(t, http.StatusOK)
	if got, want := p.text(`td[data-date="2026-11-29"] li.occurrence[data-window=month-end-close] .allows`), "allows only emergency changes"; got != want {
		t.Errorf("the month-end close: %q, want %q", got, want)
	}
	for name, want := range map[string]string{
		"in the close":           "✖ in the freeze month-end-close, which allows only emergency changes",
		"emergency in the close": "",
		"before the close":       "",
	} {
		li := `li.scheduled[data-change="` + ids[name] + `"]`
		if len(p.all(li)) == 0 {
			t.Errorf("%s: %s is not on the calendar", name, ids[name])
		}
		if got := p.text(li + " .frozen"); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if got := p.text(`td[data-date="2026-11-28"] li.occurrence[data-window=nightly-mrp] .allows`); got != "" {
		t.Errorf("a peak says %q of what it allows, want nothing", got)
	}
}

// My approvals gives each change waiting for the user its window, in its
// plant's time, and marks those that a freeze refusing their type would
// hold back then, naming the freeze: in the week before the close, the
// finance process owner sees which of them the month-end close stops
// without opening each.
func TestApprovalsShowsWindowsAndFreezes(t *testing.T) {
	s := MustServe(t, nil, thursday)
	alice := s.MustSignIn(t, "alice")
	ids := map[string]string{}
	for _, tt := range []struct{ name, start, end string }{
		{"in the close", "2026-11-30T10:00", "2026-11-30T11:00"},
		{"before the close", "2026-11-28T10:00", "2026-11-28T11:00"},
		{"no window", "", ""},
	} {
		p := alice.submit("/changes/new", "/changes", url.Values{"environment": {"prod-lyon"}, "type": {"normal"},
			"title": {tt.name}, "modules": {"account"}, "windowStart": {tt.start}, "windowEnd": {tt.end}}).mustStatus(t, http.StatusSeeOther)
		ids[tt.name] = strings.TrimPrefix(strings.Split(p.location, "?")[0], "/changes/")
	}
	p := s.MustSignIn(t, "fiona").get("/approvals").mustStatus(t, http.StatusOK)
	for name, want := range map[string]string{
		"in the close":     "Mon 30 Nov 2026 10:00 CET to Mon 30 Nov 2026 11:00 CET✖ in the freeze month-end-close, which allows only emergency changes",
		"before the close": "Sat 28 Nov 2026 10:00 CET to Sat 28 Nov 2026 11:00 CET",
		"no window":        "none",
	} {
		if got := p.text(`table#inbox tr[data-change="` + ids[name] + `"] td.window`); got != want {
			t.Errorf("%s: window %q, want %q", name, got, want)
		}
	}
}

// TestBoardManyIncidents: the board shows 100 open incidents, the critical
// ones first, then those updated last, and says how many more are open and
// where they are all listed, rather than leaving them out unsaid; without
// the count, that there are more.
func TestBoardManyIncidents(t *testing.T) {
	for _, counted := range []bool{true, false} {
		t.Run(fmt.Sprintf("counted=%v", counted), func(t *testing.T) {
			s := MustServe(t, nil, thursday, func(c *web.Config) {
				if !counted {
					c.IncidentCounts = nil
				}
			})
			// The oldest, which the board does not list, stops Geelong's
			// production all the same.
			if _, err := s.incidents.OpenIncident(andon.NewContextWithUser(t.Context(), &andon.User{Name: "gus"}), &andon.IncidentRequest{
				Title: "Label printers down", Severity: andon.LevelCritical, Scope: andon.IncidentScope{Plants: []string{"geelong"}}}); err != nil {
				t.Fatal(err)
			}
			n := &andon.AlertNotification{Version: "4"}
			for i := range 103 {
				n.Alerts = append(n.Alerts, andon.Alert{Status: "firing", Fingerprint: fmt.Sprintf("f%03d", i),
					Labels:      map[string]string{"alertname": fmt.Sprintf("Down%03d", i), "severity": "high", "plant": "lyon"},
					Annotations: map[string]string{"summary": "Odoo answers no request"}})
			}
			if _, err := s.incidents.ReceiveAlerts(andon.NewContextWithUser(t.Context(), &andon.User{Name: "alertmanager"}), n); err != nil {
				t.Fatal(err)
			}
			b := s.MustSignIn(t, "frank")
			for _, path := range []string{"/", "/?kiosk=1"} {
				p := b.get(path).mustStatus(t, http.StatusOK)
				heading, more := "✖ 104 open incidents", "100 are shown, the critical ones first, then those updated last; 4 more are open."
				if !counted {
					heading, more = "✖ More than 100 open incidents", "100 are shown, the critical ones first, then those updated last; more are open."
				}
				more += " The board’s Incidents page lists them all, as does andon incident list --state open --limit 1000."
				if got := p.text("#incidents h2"); got != heading {
					t.Errorf("%s: incidents headed %q, want %q", path, got, heading)
				}
				if got := len(p.all("#incidents li.incident")); got != 100 {
					t.Errorf("%s: %d incidents listed, want 100", path, got)
				}
				// The critical one, updated before all the others, is
				// listed first.
				if got := p.attr("#incidents li.incident", "data-incident"); got != "INC-1" {
					t.Errorf("%s: %s listed first, want the critical INC-1", path, got)
				}
				if got := p.text("#incidents p.more"); got != more {
					t.Errorf("%s: the incidents not shown are told as\n%q, want\n%q", path, got, more)
				}
				if got := p.text(`article[data-env="prod-geelong"] p.stop`); !strings.Contains(got, "Stopped: critical incident INC-1 open") {
					t.Errorf("%s: prod-geelong's stop reads %q, want INC-1 named", path, got)
				}
				var stopped []string
				for _, tile := range p.all(`article.stopped`) {
					stopped = append(stopped, attrOf(tile, "data-env"))
				}
				if want := []string{"prod-subsidiaries", "prod-geelong"}; !slices.Equal(stopped, want) {
					t.Errorf("%s: tiles %v stopped, want %v, the production of Geelong", path, stopped, want)
				}
				link := p.attr("#incidents p.more a", "href")
				if path == "/" && link != "/incidents?state=open" || path != "/" && link != "" {
					t.Errorf("%s: the incidents not shown link to %q", path, link)
				}
			}
		})
	}
}

// TestBoardIncidents shows the open incidents above the plants, and on
// each tile those whose scope takes in its environment: a production
// tile that an open critical incident affects is stopped, as the default
// gate refuses its changes; one of staging, or a lesser incident, stops
// nothing.
func TestBoardIncidents(t *testing.T) {
	s := MustServe(t, nil, thursday)
	ctx := andon.NewContextWithUser(t.Context(), &andon.User{Name: "alice"})
	if _, err := s.incidents.OpenIncident(ctx, &andon.IncidentRequest{Title: "MRP scheduler down <b>since 8:40</b>", Severity: andon.LevelCritical,
		Scope: andon.IncidentScope{Plants: []string{"lyon"}}, Link: "https://tracker.example.com/browse/OPS-7?view=full&tab=log"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.incidents.OpenIncident(ctx, &andon.IncidentRequest{ID: "OPS-8", Title: "Slow label printing", Severity: andon.LevelHigh,
		Scope: andon.IncidentScope{Environments: []string{"prod-geelong"}}}); err != nil {
		t.Fatal(err)
	}

	b := s.MustSignIn(t, "frank")
	for _, path := range []string{"/", "/?kiosk=1"} {
		p := b.get(path).mustStatus(t, http.StatusOK)
		// A section of its own, not a live region: the board is swapped
		// every 30 seconds, and a live region would be read out again.
		if p.attr("#board #incidents", "aria-labelledby") != "incidents-title" || p.attr("#board #incidents", "role") != "" {
			t.Fatalf("%s: the open incidents are not a labelled section of the board", path)
		}
		if got := p.text("#incidents h2"); got != "✖ 2 open incidents" {
			t.Errorf("%s: incidents headed %q", path, got)
		}
		got := p.text("#incidents li[data-incident=INC-1]")
		want := "INC-1 ✖ critical MRP scheduler down <b>since 8:40</b> Stops every change to production but an emergency one in plants lyon. Opened Thu 26 Nov 2026 09:00 UTC by alice."
		if path == "/" {
			want += " INC-1 where it is tracked"
		}
		if got != want {
			t.Errorf("%s: INC-1 reads\n%q, want\n%q", path, got, want)
		}
		if strings.Contains(p.body, "<b>since") {
			t.Errorf("%s: the incident's title is not escaped", path)
		}
		if got := p.text("#incidents li[data-incident=OPS-8] .scope"); got != "Concerns environments prod-geelong." {
			t.Errorf("%s: OPS-8's scope %q", path, got)
		}
		if link := p.attr("#incidents li[data-incident=INC-1] a.link", "href"); path == "/" && link != "https://tracker.example.com/browse/OPS-7?view=full&tab=log" || path != "/" && link != "" {
			t.Errorf("%s: INC-1 links to %q", path, link)
		}
		// Its ID leads to its page, but on a wall screen.
		if link := p.attr("#incidents li[data-incident=INC-1] .id a", "href"); path == "/" && link != "/incidents/INC-1" || path != "/" && link != "" {
			t.Errorf("%s: INC-1's ID links to %q", path, link)
		}
		tests := []struct {
			env       string
			incidents []string
			stopped   string
		}{
			{"prod-lyon", []string{"INC-1"}, "✖ Stopped: critical incident INC-1 open; only emergency changes may go ahead"},
			{"prod-subsidiaries", []string{"INC-1"}, "✖ Stopped: critical incident INC-1 open; only emergency changes may go ahead"},
			{"staging-lyon", []string{"INC-1"}, ""},
			{"dev", []string{"INC-1"}, ""},
			{"prod-geelong", []string{"OPS-8"}, ""},
			{"staging-geelong", nil, ""},
		}
		for _, tt := range tests {
			tile := "article.tile[data-env=" + tt.env + "]"
			var ids []string
			for _, n := range p.all(tile + " .tile-incidents li") {
				ids = append(ids, attrOf(n, "data-incident"))
			}
			if !slices.Equal(ids, tt.incidents) {
				t.Errorf("%s: %s lists the incidents %v, want %v", path, tt.env, ids, tt.incidents)
			}
			if got := p.text(tile + " .stop"); got != tt.stopped {
				t.Errorf("%s: %s says %q, want %q", path, tt.env, got, tt.stopped)
			}
			if stopped := len(p.all(tile+".stopped")) == 1; stopped != (tt.stopped != "") {
				t.Errorf("%s: %s has the class stopped: %v", path, tt.env, stopped)
			}
		}
	}

	// Resolved, it is gone from the board.
	bob := andon.NewContextWithUser(t.Context(), &andon.User{Name: "bob", Roles: []string{andon.RoleChangeManager}})
	if _, err := s.incidents.ResolveIncident(bob, "INC-1", "scheduler restarted"); err != nil {
		t.Fatal(err)
	}
	p := b.get("/").mustStatus(t, http.StatusOK)
	if p.all("#incidents li[data-incident=INC-1]") != nil || p.all("article.tile.stopped") != nil || p.all("article.tile[data-env=prod-lyon] .tile-incidents") != nil {
		t.Error("the resolved incident INC-1 is still on the board")
	}
	if p.all("#incidents li[data-incident=OPS-8]") == nil {
		t.Error("OPS-8, still open, is no longer on the board")
	}
}

// TestBoardRecoveryNote: a production tile with a backup recorded says,
// in words beside a shape, that its latest backup is older than the
// gate's backup freshness or that no restore test of it passed within
// the period; a tile whose backups are fresh and tested, a production
// one of which no backup is recorded, and one not in production, say
// nothing of it.
func TestBoardRecoveryNote(t *testing.T) {
	s := MustServe(t, nil, thursday)
	b := s.MustSignIn(t, "alice")
	if p := b.get("/").mustStatus(t, http.StatusOK); p.all(".tile .recovery") != nil {
		t.Fatalf("with no backup recorded, the board says %q", p.text(".tile .recovery"))
	}
	dave := andon.NewContextWithUser(t.Context(), &andon.User{Name: "dave"})
	for _, r := range []andon.BackupRequest{
		{ID: "lyon-1", Environment: "prod-lyon", CompletedAt: thursday.Add(-30 * time.Hour)},
		{ID: "geelong-1", Environment: "prod-geelong", CompletedAt: thursday.Add(-100 * 24 * time.Hour)},
		{ID: "geelong-2", Environment: "prod-geelong", CompletedAt: thursday.Add(-2 * time.Hour)},
		{ID: "subsidiaries-1", Environment: "prod-subsidiaries", CompletedAt: thursday.Add(-3 * time.Hour)},
		{ID: "staging-lyon-1", Environment: "staging-lyon", CompletedAt: thursday.Add(-72 * time.Hour)},
	} {
		if _, _, err := s.backups.RecordBackup(dave, &r); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []andon.RestoreTestRequest{
		{Environment: "prod-lyon", Backup: "lyon-1", StartedAt: thursday.Add(-29 * time.Hour), FinishedAt: thursday.Add(-28 * time.Hour), Result: andon.RestorePassed},
		// Passed 99 days ago, and failed since: none passed in 90 days.
		{Environment: "prod-geelong", Backup: "geelong-1", StartedAt: thursday.Add(-99*24*time.Hour - time.Hour), FinishedAt: thursday.Add(-99 * 24 * time.Hour), Result: andon.RestorePassed},
		{Environment: "prod-geelong", Backup: "geelong-2", StartedAt: thursday.Add(-time.Hour), FinishedAt: thursday.Add(-30 * time.Minute), Result: andon.RestoreFailed},
		{Environment: "prod-subsidiaries", Backup: "subsidiaries-1", StartedAt: thursday.Add(-2 * time.Hour), FinishedAt: thursday.Add(-time.Hour), Result: andon.RestorePassed},
	} {
		if _, _, err := s.backups.RecordRestoreTest(dave, &r); err != nil {
			t.Fatal(err)
		}
	}
	for _, path := range []string{"/", "/?kiosk=1"} {
		p := b.get(path).mustStatus(t, http.StatusOK)
		for _, tt := range []struct{ env, want string }{
			{"prod-lyon", "◆ Recovery: latest backup 1d 6h old, past the backup freshness of 1d"},
			{"prod-geelong", "◆ Recovery: no restore test passed in 90d (the latest 99d ago)"},
			{"prod-subsidiaries", ""},
			{"staging-lyon", ""},
		} {
			tile := "article.tile[data-env=" + tt.env + "]"
			if got := p.text(tile + " .recovery"); got != tt.want {
				t.Errorf("%s: %s says %q, want %q", path, tt.env, got, tt.want)
			}
		}
		// The shape is for the eye alone; the word is what is read out.
		if got := p.attr("article.tile[data-env=prod-lyon] .recovery .icon", "aria-hidden"); got != "true" {
			t.Errorf("%s: the recovery note's shape is aria-hidden=%q", path, got)
		}
	}
	// A day on, Geelong's latest backup is stale too: the note says both.
	s.now = thursday.Add(24 * time.Hour)
	p := s.MustSignIn(t, "alice").get("/").mustStatus(t, http.StatusOK)
	if got, want := p.text("article.tile[data-env=prod-geelong] .recovery"), "◆ Recovery: latest backup 1d 2h old, past the backup freshness of 1d; no restore test passed in 90d (the latest 100d ago)"; got != want {
		t.Errorf("prod-geelong says %q, want %q", got, want)
	}
}
