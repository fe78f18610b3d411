package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
	"github.com/andon-governance/andon/calendar"
	"github.com/andon-governance/andon/catalog"
	"github.com/andon-governance/andon/examples"
	"github.com/andon-governance/andon/policy"
	"github.com/andon-governance/andon/server"
	"github.com/andon-governance/andon/sqlstore"
	"github.com/andon-governance/andon/sqlstore/sqlstoretest"
	"github.com/andon-governance/andon/web"
	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
)

// stack is the API and the pages over a real store (SQLite) with the
// example catalog, the default policy and a clock the test sets, served
// over HTTP on loopback.
type stack struct {
	url       string
	dir       string // the data directory: andon.db and the signing key
	now       time.Time
	changes   *sqlstore.ChangeService
	gate      *sqlstore.GateService
	audit     *sqlstore.AuditService
	tokens    *sqlstore.TokenService
	incidents *sqlstore.IncidentService
	backups   *sqlstore.BackupService
	reports   *sqlstore.ReportService
	access    *sqlstore.AccessService
	holder    *andon.CatalogHolder
}

// MustServe starts a stack on a catalog (nil: the example manufacturer)
// at instant now, with a token "demo-<user>" for every user.
func MustServe(tb testing.TB, cat *andon.Catalog, now time.Time, opts ...func(*web.Config)) *stack {
	tb.Helper()
	ctx := context.Background()
	if cat == nil {
		var err error
		if cat, err = catalog.LoadFS(examples.Catalog, "catalog"); err != nil {
			tb.Fatal(err)
		}
	}
	pol, err := policy.New(ctx, "")
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	signer, err := auditlog.LoadOrCreateKey(dir, "andon")
	if err != nil {
		tb.Fatal(err)
	}
	db, err := sqlstore.Open(ctx, sqlstoretest.DSN(tb, "sqlite", dir))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	s := &stack{now: now, dir: dir, holder: andon.NewCatalogHolder(cat)}
	db.Signer = signer
	db.Now = func() time.Time { return s.now }
	cal := calendar.NewService(s.holder)
	s.changes = sqlstore.NewChangeService(db, s.holder, pol, cal)
	s.gate = sqlstore.NewGateService(db, s.changes, s.holder, pol, cal, slog.New(slog.DiscardHandler))
	audit := sqlstore.NewAuditService(db)
	s.audit = audit
	tokens := sqlstore.NewTokenService(db)
	s.tokens = tokens
	s.incidents = sqlstore.NewIncidentService(db, s.holder)
	s.backups = sqlstore.NewBackupService(db, s.holder, pol)
	s.reports = sqlstore.NewReportService(db, s.holder, s.changes, s.backups)
	s.access = sqlstore.NewAccessService(db, s.holder, tokens.Forget)
	for _, u := range cat.Users() {
		if err := tokens.AddToken(ctx, u, "demo-"+u); err != nil {
			tb.Fatal(err)
		}
	}
	cfg := web.Config{Changes: s.changes, Audit: audit, Calendar: cal, Catalog: s.holder, Tokens: tokens, Incidents: s.incidents, Backups: s.backups, Reports: s.reports, Access: s.access,
		IncidentCounts: s.incidents.CountOpen, Counts: db.CountByEnvironment, EvidenceParts: audit.EvidenceParts, Now: db.Now, InsecureCookies: true}
	for _, o := range opts {
		o(&cfg)
	}
	srv := httptest.NewServer(server.New(server.Config{Changes: s.changes, Gate: s.gate, Audit: audit, Calendar: cal,
		Catalog: s.holder, Tokens: tokens, Incidents: s.incidents, Now: db.Now, UI: web.New(cfg)}))
	tb.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// browser is a client with a cookie jar that does not follow redirects,
// so that tests see them.
type browser struct {
	tb     testing.TB
	s      *stack
	client *http.Client
}

func (s *stack) browser(tb testing.TB) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return &browser{tb: tb, s: s, client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// MustSignIn returns a browser signed in as user.
func (s *stack) MustSignIn(tb testing.TB, user string) *browser {
	tb.Helper()
	b := s.browser(tb)
	res := b.post("/login", url.Values{"token": {"demo-" + user}})
	if res.status != http.StatusSeeOther {
		tb.Fatalf("sign in as %s: status %d, want 303", user, res.status)
	}
	return b
}

// page is a response, parsed.
type page struct {
	status   int
	header   http.Header
	body     string
	doc      *html.Node
	location string
}

func (b *browser) do(req *http.Request) *page {
	b.tb.Helper()
	res, err := b.client.Do(req)
	if err != nil {
		b.tb.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.tb.Fatal(err)
	}
	p := &page{status: res.StatusCode, header: res.Header, body: string(body), location: res.Header.Get("Location")}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		if p.doc, err = html.Parse(strings.NewReader(p.body)); err != nil {
			b.tb.Fatal(err)
		}
	}
	return p
}

func (b *browser) get(path string) *page {
	b.tb.Helper()
	req, err := http.NewRequest(http.MethodGet, b.s.url+path, nil)
	if err != nil {
		b.tb.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) *page {
	b.tb.Helper()
	req, err := http.NewRequest(http.MethodPost, b.s.url+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// submit posts form to path with the CSRF token of the page at from, as
// a browser submitting the form of that page would.
func (b *browser) submit(from, path string, form url.Values) *page {
	b.tb.Helper()
	p := b.get(from)
	token := p.attr("input[name=csrf]", "value")
	if token == "" {
		b.tb.Fatalf("%s has no CSRF token", from)
	}
	form.Set("csrf", token)
	return b.post(path, form)
}

// all returns the nodes matching a CSS selector.
func (p *page) all(selector string) []*html.Node {
	if p.doc == nil {
		return nil
	}
	return cascadia.QueryAll(p.doc, cascadia.MustCompile(selector))
}

// changes returns the data-change attribute of the nodes matching a CSS
// selector, in their order: the IDs of a table's rows of changes.
func (p *page) changes(selector string) []string {
	var ids []string
	for _, n := range p.all(selector) {
		ids = append(ids, attrOf(n, "data-change"))
	}
	return ids
}

// text returns the text of the first node matching selector, with spaces
// collapsed, or "" when none does.
func (p *page) text(selector string) string {
	nodes := p.all(selector)
	if len(nodes) == 0 {
		return ""
	}
	return textOf(nodes[0])
}

// textOf returns the text of n with spaces collapsed.
func textOf(n *html.Node) string {
	return strings.Join(strings.Fields(rawTextOf(n)), " ")
}

// rawTextOf returns the text of n as it is, its white space kept.
func rawTextOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// attr returns attribute name of the first node matching selector.
func (p *page) attr(selector, name string) string {
	nodes := p.all(selector)
	if len(nodes) == 0 {
		return ""
	}
	return attrOf(nodes[0], name)
}

func attrOf(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// mustStatus fails unless p has status want.
func (p *page) mustStatus(tb testing.TB, want int) *page {
	tb.Helper()
	if p.status != want {
		tb.Fatalf("status %d, want %d; error: %q", p.status, want, p.text("#error"))
	}
	return p
}
