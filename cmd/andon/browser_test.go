package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The tests in this file drive the andon board in a real headless
// Chromium against andon demo, as its users would: they sign in, read the
// board, create a change through the form, approve it as two other people,
// with the mouse and with the keyboard only, and read the calendar. Every
// page is checked with axe-core (testdata/axe) at a desktop and a phone
// width. With ANDON_SCREENSHOTS=DIR they also write a full-page screenshot
// of every page into DIR (make screenshots).
//
// Without Chromium on the PATH the tests skip, unless ANDON_TEST_BROWSER is
// set (CI sets it), and then they fail.

//go:embed testdata/axe/axe.min.js
var axeSource string

// browserWidths are the viewport widths every page is checked at: a laptop,
// a phone, and the narrowest phone the board supports; screenshots are
// taken at the first two.
var browserWidths = []int64{1280, 375, 360}

// stepTimeout bounds one step of a test, so that a missing element fails
// the test rather than hanging it.
const stepTimeout = 20 * time.Second

// chromium returns the path of the Chromium to drive, or skips the test
// (fails it when ANDON_TEST_BROWSER is set) when there is none.
func chromium(t *testing.T) string {
	t.Helper()
	required := os.Getenv("ANDON_TEST_BROWSER") != ""
	if testing.Short() && !required {
		t.Skip("browser tests skipped in -short mode")
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if required {
		t.Fatal("ANDON_TEST_BROWSER is set but no Chromium is on the PATH (apt-get install chromium)")
	}
	t.Skip("no Chromium on the PATH: the browser tests of the board need one (apt-get install chromium); " +
		"set ANDON_TEST_BROWSER=1 to make this a failure")
	return ""
}

// board is andon demo and one headless Chromium driving it.
type board struct {
	url     string          // the demo's address, as http://localhost:PORT
	data    string          // the demo's data directory, with the log's public key
	browser context.Context // the browser's first tab; new tabs derive from it
	logs    *syncBuffer     // the server's logs
	shots   string          // where screenshots go, or ""
}

// mustStartBoard starts andon demo on a temporary data directory and a
// Chromium with a fresh profile, both stopped when the test ends.
func mustStartBoard(t *testing.T) *board {
	t.Helper()
	exe := chromium(t)
	data := t.TempDir()
	url, logs, _ := startCommand(t, "andon", "demo", "--addr", "127.0.0.1:0", "--data", data)
	// Chromium keeps a Secure cookie over plain HTTP for a loopback host
	// only; the board is reached by the name people type.
	b := &board{url: strings.Replace(url, "127.0.0.1", "localhost", 1), data: data, logs: logs, shots: os.Getenv("ANDON_SCREENSHOTS")}
	if b.shots != "" {
		if err := os.MkdirAll(b.shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	profile := t.TempDir()
	output := &syncBuffer{}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(profile),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		// The machine may have no network: nothing but the demo is reached.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("lang", "en-GB"),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(output),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v\n%s", exe, err, output.String())
	}
	b.browser = ctx
	return b
}

// tab opens a tab in a browser context of its own (its own cookies), closed
// when the test ends.
func (b *board) tab(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return ctx
}

// as opens a tab and signs in there as a demo user.
func (b *board) as(t *testing.T, user string) context.Context {
	t.Helper()
	ctx := b.tab(t)
	b.signIn(t, ctx, user)
	return ctx
}

// signIn signs in with the demo user's token through the sign-in form.
func (b *board) signIn(t *testing.T, ctx context.Context, user string) {
	t.Helper()
	must(t, ctx,
		chromedp.Navigate(b.url+"/login"),
		chromedp.SendKeys(chromedp.CSS("form#login input[name=token]"), demoToken(user)),
	)
	submit(t, ctx, "form#login button[type=submit]")
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("section#board")))
	if got := text(t, ctx, "#user"); got != user {
		t.Fatalf("signed in as %q, want %q", got, user)
	}
}

// open navigates to path and waits until ready is visible.
func (b *board) open(t *testing.T, ctx context.Context, path, ready string) {
	t.Helper()
	must(t, ctx, chromedp.Navigate(b.url+path), chromedp.WaitVisible(chromedp.CSS(ready)))
}

// must runs steps, failing the test on the first error.
func must(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("browser: %v (page %s)", err, pageURL(ctx))
	}
}

// mustRun runs a, failing the test on error, and returns its value.
func mustRun[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("browser: %v (page %s)", err, pageURL(ctx))
	}
	return v
}

// pageURL is the tab's URL, for messages.
func pageURL(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "unknown"
	}
	return loc
}

// text returns the visible text of the first element matching sel.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return strings.TrimSpace(mustRun(t, ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible)))
}

// attr returns an attribute of the first element matching sel.
func attr(t *testing.T, ctx context.Context, sel, name string) string {
	t.Helper()
	return mustRun(t, ctx, chromedp.AttributeValue(chromedp.CSS(sel), name)).Value
}

// countIn returns the number in the element matching sel.
func countIn(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	s := text(t, ctx, sel)
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%s holds %q, not a number", sel, s)
	}
	return n
}

// submit clicks the button sel and waits for the page it leads to.
func submit(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	mustRun(t, ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(sel))))
}

// pressKeyAndWait presses key (see package kb) on the focused element and waits
// for the page the key leads to.
func pressKeyAndWait(t *testing.T, ctx context.Context, key string) {
	t.Helper()
	mustRun(t, ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.KeyEvent(key)))
}

// focused describes the element that has the keyboard focus.
func focused(t *testing.T, ctx context.Context) string {
	t.Helper()
	return mustRun(t, ctx, chromedp.Evaluate[string](`(() => {
		const e = document.activeElement;
		if (!e || e === document.body) return "body";
		let s = e.tagName.toLowerCase();
		if (e.id) s += "#" + e.id;
		if (e.name) s += "[name=" + e.name + "]";
		if (e.value && e.tagName === "BUTTON") s += "[value=" + e.value + "]";
		return s;
	})()`))
}

// autofocused waits, for two seconds at most, for the focus to reach
// want, as a page's autofocus puts it there: the browser does so at a
// rendering of the page, which may come after its load event on a busy
// machine. It returns where the focus is then.
func autofocused(t *testing.T, ctx context.Context, want string) string {
	t.Helper()
	got := focused(t, ctx)
	for deadline := time.Now().Add(2 * time.Second); got != want && time.Now().Before(deadline); got = focused(t, ctx) {
		time.Sleep(50 * time.Millisecond)
	}
	return got
}

// axeViolation is one failed rule of axe-core, with the elements that fail.
type axeViolation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []struct {
		Target  []string `json:"target"`
		Summary string   `json:"summary"`
	} `json:"nodes"`
}

// axeRun runs every rule of axe-core on the page and returns the
// violations.
const axeRun = `axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations
	.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
		nodes: v.nodes.map(n => ({target: n.target.map(String), summary: n.failureSummary}))})))`

// checkAccessibility runs axe-core on the page of ctx and reports each
// serious or critical violation as an error of t; the others are logged.
func checkAccessibility(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	// Loaded once per page: a page checked again (at another width) has
	// it, and the expression must not return it (it does not serialise).
	must(t, ctx, chromedp.Evaluate[chromedp.Void](`window.axe ? undefined : (() => {`+axeSource+"\n})()"))
	violations := mustRun(t, ctx, chromedp.Evaluate[[]axeViolation](axeRun, chromedp.EvalAwaitPromise))
	for _, v := range violations {
		report := t.Errorf
		if v.Impact != "serious" && v.Impact != "critical" {
			report = t.Logf
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s: axe %s (%s): %s <%s>", name, v.ID, v.Impact, v.Help, v.HelpURL)
		for _, n := range v.Nodes {
			fmt.Fprintf(&b, "\n\t%s\n\t\t%s", strings.Join(n.Target, " "), strings.ReplaceAll(n.Summary, "\n", "\n\t\t"))
		}
		report("%s", b.String())
	}
}

// screenshot writes a full-page PNG of the page of ctx as DIR/NAME.png when
// ANDON_SCREENSHOTS=DIR is set.
func (b *board) screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if b.shots == "" {
		return
	}
	png := mustRun(t, ctx, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBrowser drives the board of andon demo in Chromium. The subtests
// share one demo and one browser; each person signs in in a browser
// context of their own.
func TestBrowser(t *testing.T) {
	b := mustStartBoard(t)
	start := time.Now()
	defer func() { t.Logf("browser tests took %s", time.Since(start).Round(time.Millisecond)) }()

	t.Run("SignInAndBoard", func(t *testing.T) { b.testSignInAndBoard(t) })
	t.Run("ApproveAsTwoOthers", func(t *testing.T) { b.testApproveAsTwoOthers(t) })
	t.Run("KeyboardApproval", func(t *testing.T) { b.testKeyboardApproval(t) })
	t.Run("StaleBoard", func(t *testing.T) { b.testStaleBoard(t) })
	t.Run("EnterKey", func(t *testing.T) { b.testEnterKey(t) })
	t.Run("AccessWithTheKeyboard", func(t *testing.T) { b.testAccessWithTheKeyboard(t) })
	t.Run("MonthEndFreeze", func(t *testing.T) { b.testMonthEndFreeze(t) })
	t.Run("CalendarFeedLink", func(t *testing.T) { b.testCalendarFeedLink(t) })
	t.Run("AuditVerify", func(t *testing.T) { b.testAuditVerify(t) })
	t.Run("ImageFilter", func(t *testing.T) { b.testImageFilter(t) })
	t.Run("DownloadEvidence", func(t *testing.T) { b.testDownloadEvidence(t) })
	t.Run("AuditEntry", func(t *testing.T) { b.testAuditEntry(t) })
	t.Run("ConfirmCancel", func(t *testing.T) { b.testConfirmCancel(t) })
	t.Run("LongTitleOnAPhone", func(t *testing.T) { b.testLongTitleOnAPhone(t) })
	t.Run("MonthOnAPhone", func(t *testing.T) { b.testMonthOnAPhone(t) })
	t.Run("FiltersOnAPhone", func(t *testing.T) { b.testFiltersOnAPhone(t) })
	t.Run("EveryPage", func(t *testing.T) { b.testEveryPage(t) })
	// After EveryPage, whose screenshots it would change with a change of
	// its own.
	t.Run("ConfirmReject", func(t *testing.T) { b.testConfirmReject(t) })
	// Last: while its incident is open, the changes to Lyon's production
	// that the others start are refused.
	t.Run("PullTheCord", func(t *testing.T) { b.testPullTheCord(t) })
	if t.Failed() {
		t.Logf("server logs:\n%s", b.logs.String())
	}
}

// testSignInAndBoard signs in with a wrong token, then with a right one,
// reads the board with the demo's plants and environments, and signs out.
func (b *board) testSignInAndBoard(t *testing.T) {
	ctx := b.tab(t)
	// A page asked for without a session leads to the sign-in form, which
	// comes back to it.
	b.open(t, ctx, "/changes", "form#login")
	must(t, ctx, chromedp.SendKeys(chromedp.CSS("input[name=token]"), "not-a-token"))
	submit(t, ctx, "form#login button[type=submit]")
	if got := text(t, ctx, "#error[role=alert]"); !strings.Contains(got, "not valid") {
		t.Errorf("wrong token: #error = %q, want it to say the token is not valid", got)
	}
	must(t, ctx, chromedp.SendKeys(chromedp.CSS("input[name=token]"), demoToken("frank")+kb.Enter))
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("table#changes")))
	if got := text(t, ctx, "#user"); got != "frank" {
		t.Errorf("signed in as %q, want frank", got)
	}
	if n := len(mustRun(t, ctx, chromedp.Nodes(chromedp.CSSAll("table#changes tr[data-change]")))); n != 10 {
		t.Errorf("changes list: %d changes, want the demo's 10", n)
	}

	b.open(t, ctx, "/", "section#board")
	// prod-subsidiaries serves both plants and is shown with its first.
	wantTiles := map[string][]string{
		"lyon":    {"dev", "staging-lyon", "prod-lyon", "prod-subsidiaries"},
		"geelong": {"staging-geelong", "prod-geelong"},
	}
	for plant, want := range wantTiles {
		tiles := mustRun(t, ctx, chromedp.AttributesAll(chromedp.CSSAll(fmt.Sprintf(`section.plant[data-plant=%q] article.tile`, plant))))
		var got []string
		for _, a := range tiles {
			got = append(got, a["data-env"])
			if s := a["data-state"]; s != "open" && s != "maintenance" && s != "frozen" {
				t.Errorf("%s tile %s: data-state %q, want open, maintenance or frozen", plant, a["data-env"], s)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("plant %s: tiles %v, want %v", plant, got, want)
		}
	}
	// The demo's two changes waiting for approval are on the board.
	pending := countIn(t, ctx, `section.plant[data-plant=lyon] article.tile[data-env=prod-subsidiaries] dd[data-count=pending]`) +
		countIn(t, ctx, `section.plant[data-plant=geelong] article.tile[data-env=prod-geelong] dd[data-count=pending]`)
	if pending != 2 {
		t.Errorf("pending changes of prod-subsidiaries and prod-geelong on the board: %d, want 2", pending)
	}

	// The kiosk board is the same board without the navigation.
	b.open(t, ctx, "/?kiosk=1", "body.kiosk section#board")
	if n := len(mustRun(t, ctx, chromedp.Nodes(chromedp.CSSAll("header nav, form#logout"), chromedp.AtLeast(0)))); n != 0 {
		t.Errorf("kiosk board has %d navigation elements, want none", n)
	}

	// The browser's cookie holds a session token, not the API token.
	got, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.url + "/"}})
	if err != nil {
		t.Fatal(err)
	}
	cookies := got.Cookies
	var session *network.Cookie
	for _, c := range cookies {
		if strings.HasSuffix(c.Name, "andon_session") {
			session = c
		}
	}
	if session == nil || !strings.HasPrefix(session.Value, andon.SessionTokenPrefix) || !session.HTTPOnly {
		t.Fatalf("the browser's cookies %+v: want an HttpOnly session cookie holding a session token", cookies)
	}

	b.open(t, ctx, "/", "section#board")
	submit(t, ctx, "form#logout button[type=submit]")
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("form#login")))
	if got := text(t, ctx, "#ended"); !strings.HasPrefix(got, "You have signed out") {
		t.Errorf("after signing out, the sign-in page says %q, want that the user signed out", got)
	}
	b.open(t, ctx, "/", "form#login")

	// Signing out ended the session: a copy of the cookie opens nothing.
	req, err := http.NewRequest(http.MethodGet, b.url+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: session.Name, Value: session.Value})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "ended=revoked") {
		t.Errorf("a copy of the cookie after signing out: %d to %q, want 303 to the sign-in page", res.StatusCode, loc)
	}
}

// idPath matches the address of a change's page.
var idPath = regexp.MustCompile(`/changes/(CHG-\d+)\?done=created$`)

// testApproveAsTwoOthers creates a production change through the form as
// alice, which needs a change manager and the owner of production; alice
// may not approve it herself; bob and carol approve it in browsers of
// their own, and the board and the change's page show it approved.
func (b *board) testApproveAsTwoOthers(t *testing.T) {
	alice := b.as(t, "alice")
	lyonTile := `section.plant[data-plant=lyon] article.tile[data-env=prod-lyon] `
	pendingBefore := countIn(t, alice, lyonTile+"dd[data-count=pending]")
	approvedBefore := countIn(t, alice, lyonTile+"dd[data-count=approved]")

	b.open(t, alice, "/changes/new", "form#create-change")
	must(t, alice,
		chromedp.SetValue(chromedp.CSS("select#environment"), "prod-lyon"),
		chromedp.SetValue(chromedp.CSS("select#type"), "normal"),
		chromedp.SendKeys(chromedp.CSS("input#title"), "December release: routing of work orders"),
		chromedp.SendKeys(chromedp.CSS("textarea#artifacts"), demoImageB),
		chromedp.SendKeys(chromedp.CSS("input#modules"), "mrp, mrp_workorder"),
		chromedp.SetValue(chromedp.CSS("input#duration"), "1h"),
		chromedp.SendKeys(chromedp.CSS("textarea#rollbackPlan"), "redeploy the previous image"),
	)
	submit(t, alice, `form#create-change button[name=suggest]`)
	if got := text(t, alice, "#suggestion"); !strings.Contains(got, "Europe/Paris") {
		t.Errorf("suggestion = %q, want a window in Europe/Paris", got)
	}
	start := mustRun(t, alice, chromedp.Value(chromedp.CSS("input#windowStart")))
	end := mustRun(t, alice, chromedp.Value(chromedp.CSS("input#windowEnd")))
	if start == "" || end == "" {
		t.Fatalf("the suggestion left the window empty: start %q, end %q", start, end)
	}
	// The form comes back as it was left.
	if got := mustRun(t, alice, chromedp.Value(chromedp.CSS("input#title"))); got != "December release: routing of work orders" {
		t.Errorf("title after the suggestion = %q", got)
	}
	submit(t, alice, `form#create-change button#create`)
	m := idPath.FindStringSubmatch(mustRun(t, alice, chromedp.Location()))
	if m == nil {
		t.Fatalf("after Create change: at %s, want the new change's page", pageURL(alice))
	}
	id := m[1]
	if got := text(t, alice, "#done"); got != "Change created." {
		t.Errorf("#done = %q", got)
	}
	if got := attr(t, alice, "#state", "data-state"); got != "pending" {
		t.Errorf("new change state %q, want pending", got)
	}
	if got := text(t, alice, "#tier"); !strings.Contains(got, "high") {
		t.Errorf("tier %q, want high", got)
	}
	if n := len(mustRun(t, alice, chromedp.Nodes(chromedp.CSSAll("ul#reasons li")))); n == 0 {
		t.Error("no reason for the tier")
	}
	slots := text(t, alice, "table#slots")
	for _, want := range []string{"change-manager", "process-owner", "bob", "carol"} {
		if !strings.Contains(slots, want) {
			t.Errorf("approval slots lack %q:\n%s", want, slots)
		}
	}
	b.open(t, alice, "/", "section#board")
	if got := countIn(t, alice, lyonTile+"dd[data-count=pending]"); got != pendingBefore+1 {
		t.Errorf("prod-lyon pending on the board: %d, want %d", got, pendingBefore+1)
	}

	// bob approves as change manager.
	bob := b.as(t, "bob")
	b.open(t, bob, "/changes/"+id, "form#decide")
	must(t, bob, chromedp.SendKeys(chromedp.CSS("textarea#comment"), "release notes read"))
	submit(t, bob, `form#decide button[name=verdict][value=approve]`)
	if got := text(t, bob, "#done"); got != "Your approval is recorded." {
		t.Errorf("bob's approval: #done = %q", got)
	}
	if got := attr(t, bob, "#state", "data-state"); got != "pending" {
		t.Errorf("after one approval: state %q, want pending", got)
	}

	// Segregation of duties: alice cannot approve her own change; she is
	// offered no decision, and told why.
	b.open(t, alice, "/changes/"+id, "#decide-refused")
	if got := text(t, alice, "#decide-refused"); !strings.Contains(got, "segregation of duties") || !strings.Contains(got, "alice requested change "+id) {
		t.Errorf("alice on her own change: #decide-refused = %q, want the segregation of duties refusal", got)
	}
	if n := len(mustRun(t, alice, chromedp.Nodes(chromedp.CSSAll("form#decide"), chromedp.AtLeast(0)))); n != 0 {
		t.Errorf("alice is offered a decision on her own change")
	}
	if got := attr(t, alice, "#state", "data-state"); got != "pending" {
		t.Errorf("after the refusal: state %q, want pending", got)
	}

	// carol approves as owner of production: the change is approved.
	carol := b.as(t, "carol")
	b.open(t, carol, "/changes/"+id, "form#decide")
	must(t, carol, chromedp.SendKeys(chromedp.CSS("textarea#comment"), "planning agrees"))
	submit(t, carol, `form#decide button[name=verdict][value=approve]`)
	if got := attr(t, carol, "#state", "data-state"); got != "approved" {
		t.Errorf("after two approvals: state %q, want approved", got)
	}
	approvals := text(t, carol, "ul#approvals")
	for _, want := range []string{"bob approved as change-manager", "carol approved as process-owner", "planning agrees"} {
		if !strings.Contains(approvals, want) {
			t.Errorf("approvals lack %q:\n%s", want, approvals)
		}
	}
	if n := len(mustRun(t, carol, chromedp.Nodes(chromedp.CSSAll("form#decide"), chromedp.AtLeast(0)))); n != 0 {
		t.Error("an approved change still shows the approval form")
	}
	entries := text(t, carol, "table#audit-entries")
	for _, want := range []string{"change.created", "change.approved"} {
		if !strings.Contains(entries, want) {
			t.Errorf("audit entries of the change lack %s:\n%s", want, entries)
		}
	}
	submit(t, carol, "form#verify button")
	if got := text(t, carol, "#verify-result"); !strings.Contains(got, "are in the signed log") {
		t.Errorf("#verify-result = %q", got)
	}

	// The requester is told beside Start whether the gate would let it
	// start now: the window suggested is the next safe one, which has
	// not begun unless a maintenance window is open at this moment.
	b.open(t, alice, "/changes/"+id, "#start-check")
	switch check := text(t, alice, "#start-check"); attr(t, alice, "#start-check", "data-allow") {
	case "false":
		if !strings.Contains(check, "The gate would refuse this start now") || !strings.Contains(check, "OUTSIDE_CHANGE_WINDOW") {
			t.Errorf("#start-check = %q, want the refusal with its reason, outside the change's window", check)
		}
	case "true":
		if !strings.Contains(check, "The gate would allow this start now") {
			t.Errorf("#start-check = %q, want it to say the gate would allow the start", check)
		}
	default:
		t.Errorf("#start-check = %q, data-allow %q; want the gate's answer", check, attr(t, alice, "#start-check", "data-allow"))
	}
	if got := attr(t, alice, "form#transition button[value=implementing]", "aria-describedby"); got != "start-check" {
		t.Errorf("Start is described by %q, want #start-check", got)
	}
	checkAccessibility(t, alice, "approved change with the gate's answer to its start")

	b.open(t, alice, "/", "section#board")
	if got := countIn(t, alice, lyonTile+"dd[data-count=pending]"); got != pendingBefore {
		t.Errorf("prod-lyon pending on the board: %d, want %d", got, pendingBefore)
	}
	if got := countIn(t, alice, lyonTile+"dd[data-count=approved]"); got != approvedBefore+1 {
		t.Errorf("prod-lyon approved on the board: %d, want %d", got, approvedBefore+1)
	}
}

// testKeyboardApproval approves a change with the keyboard alone: Tab to
// the comment, type it, Tab to Approve and press Enter.
func (b *board) testKeyboardApproval(t *testing.T) {
	brigitte := b.as(t, "brigitte")
	b.open(t, brigitte, "/approvals", "table#inbox")
	id := attr(t, brigitte, `table#inbox tr[data-change]`, "data-change")
	if id == "" {
		t.Fatal("brigitte's inbox is empty")
	}
	b.open(t, brigitte, "/changes/"+id, "form#decide")
	must(t, brigitte, chromedp.KeyEvent(kb.Tab))
	if !mustRun(t, brigitte, chromedp.Evaluate[bool](`document.activeElement.matches("a.skip[href='#main']")`)) {
		t.Errorf("first Tab focuses %s, want the skip link", focused(t, brigitte))
	}
	reached := false
	for range 60 {
		if focused(t, brigitte) == "textarea#comment[name=comment]" {
			reached = true
			break
		}
		must(t, brigitte, chromedp.KeyEvent(kb.Tab))
	}
	if !reached {
		t.Fatalf("60 presses of Tab never reached the comment; focus is on %s", focused(t, brigitte))
	}
	must(t, brigitte, chromedp.KeyEvent("Checked with the keyboard alone"), chromedp.KeyEvent(kb.Tab))
	if got := focused(t, brigitte); got != "button[name=verdict][value=approve]" {
		t.Fatalf("Tab after the comment focuses %s, want the Approve button", got)
	}
	pressKeyAndWait(t, brigitte, kb.Enter)
	if got := text(t, brigitte, "#done"); got != "Your approval is recorded." {
		t.Errorf("#done = %q", got)
	}
	if got := text(t, brigitte, "ul#approvals"); !strings.Contains(got, "brigitte approved") || !strings.Contains(got, "Checked with the keyboard alone") {
		t.Errorf("approvals = %q, want brigitte's with her comment", got)
	}
}

// testStaleBoard leaves the board without a refresh for longer than it
// tolerates (shortened from 65 seconds to one): it says so, and greys its
// tiles, until a refresh comes.
func (b *board) testStaleBoard(t *testing.T) {
	ctx := b.as(t, "frank")
	if !mustRun(t, ctx, chromedp.Evaluate[bool](`document.getElementById("board-stale").hidden`)) {
		t.Fatal("a board just loaded says it is stale")
	}
	must(t, ctx,
		chromedp.Evaluate[chromedp.Void](`document.getElementById("board").dataset.staleAfter = "1"`),
		chromedp.WaitVisible(chromedp.CSS("#board-stale")),
	)
	if got := text(t, ctx, "#board-stale"); !strings.Contains(got, "has not been refreshed since") || !strings.Contains(got, "UTC") {
		t.Errorf("stale board: %q", got)
	}
	if !mustRun(t, ctx, chromedp.Evaluate[bool](`document.body.classList.contains("stale")`)) {
		t.Error("a stale board keeps its colours")
	}
	// The board's own refresh, at once rather than in 30 seconds.
	must(t, ctx,
		chromedp.Evaluate[chromedp.Void](`htmx.ajax("GET", "/", {source: "#board", target: "#board", select: "#board", swap: "outerHTML"})`),
		chromedp.WaitNotVisible(chromedp.CSS("#board-stale")),
	)
	if mustRun(t, ctx, chromedp.Evaluate[bool](`document.body.classList.contains("stale")`)) {
		t.Error("a refreshed board is still grey")
	}
}

// testEnterKey fills the form of a new change and presses Enter in its
// title, as people do: that creates the change, rather than pressing the
// form's other button, "Suggest next safe window". On the change's page,
// Enter in the comment of a transition is a new line, and moves the
// change nowhere: the form's first button cancels it.
func (b *board) testEnterKey(t *testing.T) {
	alice := b.as(t, "alice")
	b.fillNewChange(t, alice, "Translations of the label report")
	pressKeyAndWait(t, alice, kb.Enter)
	page := mustRun(t, alice, chromedp.Location())
	if idPath.FindStringSubmatch(page) == nil {
		t.Fatalf("Enter in the title: at %s (%q), want the new change's page", page,
			mustRun(t, alice, chromedp.Evaluate[string](`document.querySelector("#error, #suggestion")?.textContent ?? ""`)))
	}
	if got := attr(t, alice, "#state", "data-state"); got != "approved" {
		t.Fatalf("a standard change in dev is %s, want approved by policy", got)
	}
	if got := text(t, alice, "form#transition button"); got != "Start implementing" {
		t.Fatalf("the first transition offered is %q", got)
	}
	must(t, alice, chromedp.SendKeys(chromedp.CSS("#transition-comment"), "waiting for the translators"+kb.Enter+"until Monday"))
	time.Sleep(500 * time.Millisecond) // a submission would have begun
	if got := mustRun(t, alice, chromedp.Location()); got != page {
		t.Errorf("Enter in the comment of a transition: at %s, want still %s", got, page)
	}
	if got := attr(t, alice, "#state", "data-state"); got != "approved" {
		t.Errorf("Enter in the comment of a transition: the change is %s, want still approved", got)
	}
}

// testAccessWithTheKeyboard decides a request for access on the Access
// page with the keyboard: Enter in the comment, which a person types the
// reason of a rejection in, approves nothing, and each button and field
// names its request to a screen reader, which lists them out of their
// rows.
func (b *board) testAccessWithTheKeyboard(t *testing.T) {
	req, err := http.NewRequest("POST", b.url+"/api/v1/access-requests", strings.NewReader(`{"team": "platform-admins", "duration": "1h", "reason": "the backup of Geelong"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer demo-gus")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("access request: %v %v", res, err)
	}
	var acc andon.AccessRequest
	err = json.NewDecoder(res.Body).Decode(&acc)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	dave := b.as(t, "dave")
	b.open(t, dave, "/access", "table#pending form.decide")
	page := mustRun(t, dave, chromedp.Location())
	comment := "#comment-" + acc.ID
	if got := accessibleAs(t, dave, comment); !strings.HasSuffix(got, `"Comment on `+acc.ID+`"`) {
		t.Errorf("the comment of %s is %s to assistive technology, want it named for the request", acc.ID, got)
	}
	if got := accessibleAs(t, dave, "#reject-"+acc.ID); got != `"button" "Reject `+acc.ID+`"` {
		t.Errorf("the rejection of %s is %s to assistive technology, want a button named for the request", acc.ID, got)
	}
	must(t, dave, chromedp.Focus(chromedp.CSS(comment)), chromedp.KeyEvent("not tonight"+kb.Enter))
	time.Sleep(500 * time.Millisecond) // a submission would have begun
	if got := mustRun(t, dave, chromedp.Location()); got != page {
		t.Errorf("Enter in the comment of %s: at %s, want still %s", acc.ID, got, page)
	}
	must(t, dave, chromedp.Focus(chromedp.CSS("#reject-"+acc.ID)))
	pressKeyAndWait(t, dave, kb.Enter)
	if got := text(t, dave, "#done"); got != "The request is rejected." {
		t.Errorf("Enter on Reject %s: #done = %q", acc.ID, got)
	}
}

// testMonthEndFreeze reads the month-end close, a freeze from 00:00 on the
// last two days of each month in each plant's time, in the calendar of
// Lyon and of Geelong, in winter and summer time.
func (b *board) testMonthEndFreeze(t *testing.T) {
	ctx := b.as(t, "frank")
	tests := []struct {
		plant, env, day string
		wantUTC         string // the start in UTC
		zone, offset    string // the offset in the week of day
	}{
		{"lyon", "prod-lyon", "2026-11-29", "2026-11-28T23:00:00Z", "Europe/Paris", "UTC+01:00"},
		{"geelong", "prod-geelong", "2026-11-29", "2026-11-28T13:00:00Z", "Australia/Melbourne", "UTC+11:00"},
		// Lyon is on summer time since 28 March, Geelong still is until 4 April.
		{"lyon", "prod-lyon", "2027-03-30", "2027-03-29T22:00:00Z", "Europe/Paris", "UTC+02:00"},
		{"geelong", "prod-geelong", "2027-03-30", "2027-03-29T13:00:00Z", "Australia/Melbourne", "UTC+11:00"},
		{"geelong", "prod-geelong", "2027-06-29", "2027-06-28T14:00:00Z", "Australia/Melbourne", "UTC+10:00"},
	}
	type occurrence struct {
		Window   string `json:"window"`
		Type     string `json:"type"`
		Start    string `json:"start"`
		StartUTC string `json:"startUTC"`
		Envs     string `json:"envs"`
	}
	for _, view := range []string{"month", "week"} {
		for _, tt := range tests {
			path := fmt.Sprintf("/calendar?plant=%s&view=%s&date=%s", tt.plant, view, tt.day)
			b.open(t, ctx, path, "table#calendar")
			// The month view gives the offset of its first day only.
			if got := text(t, ctx, "#tz"); !strings.Contains(got, tt.zone) || view == "week" && !strings.Contains(got, tt.offset) {
				t.Errorf("%s: #tz = %q, want %s (%s)", path, got, tt.zone, tt.offset)
			}
			cell := func(day string) []occurrence {
				return mustRun(t, ctx, chromedp.Evaluate[[]occurrence](fmt.Sprintf(`[...document.querySelectorAll('table#calendar td[data-date=%q] li.occurrence')].map(li => ({
					window: li.dataset.window, type: li.dataset.type,
					start: li.querySelector("time.start")?.textContent ?? "",
					startUTC: li.querySelector("time.start")?.getAttribute("datetime") ?? "",
					envs: li.querySelector(".envs")?.textContent ?? ""}))`, day)))
			}
			found := false
			for _, o := range cell(tt.day) {
				if o.Window == "month-end-close" && strings.Contains(o.Envs, tt.env) {
					found = true
					if o.Type != "freeze" || o.Start != "00:00" || o.StartUTC != tt.wantUTC {
						t.Errorf("%s: month-end-close of %s on %s = %+v, want a freeze starting 00:00 (%s)", path, tt.env, tt.day, o, tt.wantUTC)
					}
				}
			}
			if !found {
				t.Errorf("%s: no month-end-close of %s on %s; the day holds %+v", path, tt.env, tt.day, cell(tt.day))
			}
			before, _ := time.Parse(time.DateOnly, tt.day)
			for _, o := range cell(before.AddDate(0, 0, -1).Format(time.DateOnly)) {
				if o.Window == "month-end-close" && strings.Contains(o.Envs, tt.env) {
					t.Errorf("%s: month-end-close of %s already on the day before %s: %+v", path, tt.env, tt.day, o)
				}
			}
		}
	}
}

// testCalendarFeedLink finds the iCalendar download link of a plant and
// of an environment, and the address of a subscription link (the feed
// itself is tested elsewhere).
func (b *board) testCalendarFeedLink(t *testing.T) {
	ctx := b.as(t, "carol")
	for path, want := range map[string]string{
		"/calendar?plant=geelong": "/calendar.ics?plant=geelong",
		"/calendar?env=prod-lyon": "/calendar.ics?env=prod-lyon",
	} {
		b.open(t, ctx, path, "a#ics")
		if got := attr(t, ctx, "a#ics", "href"); got != want {
			t.Errorf("%s: a#ics href = %q, want %q", path, got, want)
		}
		// The browser downloads it with its session.
		feed := mustRun(t, ctx, chromedp.Evaluate[string](`fetch(document.querySelector("a#ics").href).then(r => r.text())`, chromedp.EvalAwaitPromise))
		if !strings.HasPrefix(feed, "BEGIN:VCALENDAR") || !strings.Contains(feed, "month-end-close") {
			t.Errorf("%s: the download is not the calendar:\n%.300s", path, feed)
		}
	}
	// The subscription link shows the whole address the browser reached
	// andon by, which the server gives as a path, and which a calendar
	// application opens without a session.
	b.open(t, ctx, "/calendar?plant=geelong", "form#subscribe")
	submit(t, ctx, "form#subscribe button[type=submit]")
	shown := text(t, ctx, "#subscription a[data-address] code")
	if want := b.url + "/api/v1/calendar.ics?plant=geelong&token=andonfeed_"; !strings.HasPrefix(shown, want) || shown != mustRun(t, ctx, chromedp.Evaluate[string](`document.querySelector("#subscription a").href`)) {
		t.Errorf("subscription link shows %q, want the link's address, starting %q", shown, want)
	}
	if feed := mustGet(t, shown); !strings.HasPrefix(feed, "BEGIN:VCALENDAR") {
		t.Errorf("the subscription link does not open the calendar:\n%.300s", feed)
	}
}

// testAuditVerify verifies the audit log from its page.
func (b *board) testAuditVerify(t *testing.T) {
	ctx := b.as(t, "frank")
	b.open(t, ctx, "/audit", "#tree-size")
	if n := countIn(t, ctx, "#tree-size"); n < 10 {
		t.Errorf("tree size %d, want the demo's history", n)
	}
	submit(t, ctx, "form#verify button")
	if got := text(t, ctx, "#last-verify"); !strings.Contains(got, "verified against the signed checkpoint") || !strings.Contains(got, "frank") {
		t.Errorf("#last-verify = %q", got)
	}
	if n := len(mustRun(t, ctx, chromedp.Nodes(chromedp.CSSAll("table#entries tr[data-index]")))); n == 0 {
		t.Error("no audit entries listed")
	}
}

// testImageFilter lists the changes that carry an image, typed in the
// filter of the list of changes, as andon change list --image does, and
// is told beside the form why a reference not pinned by digest is refused.
func (b *board) testImageFilter(t *testing.T) {
	ctx := b.as(t, "frank")
	b.open(t, ctx, "/changes", "form#filters")
	must(t, ctx, chromedp.SendKeys(chromedp.CSS("input#f-image"), demoImageA))
	submit(t, ctx, "form#filters button[type=submit]")
	got := mustRun(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("table#changes tr[data-change]")].map(r => r.dataset.change)`))
	listed := runCLI(t, map[string]string{"ANDON_SERVER": b.url, "ANDON_TOKEN": demoToken("frank")}, "change", "list", "--image", demoImageA, "-o", "json")
	var want struct {
		Changes []andon.Change `json:"changes"`
	}
	if err := json.Unmarshal([]byte(listed.stdout), &want); err != nil || len(want.Changes) == 0 {
		t.Fatalf("change list --image: exit %d, %v\n%s%s", listed.code, err, listed.stdout, listed.stderr)
	}
	var ids []string
	for _, c := range want.Changes {
		ids = append(ids, c.ID)
	}
	if !slices.Equal(got, ids) {
		t.Errorf("the changes of %s on the board: %v, want those of andon change list --image: %v", demoImageA, got, ids)
	}

	must(t, ctx, chromedp.SetValue(chromedp.CSS("input#f-image"), "registry.example.com/odoo/odoo-lyon:latest"))
	submit(t, ctx, "form#filters button[type=submit]")
	if got := text(t, ctx, "form#filters + #error[role=alert]"); !strings.Contains(got, "is not pinned by digest") {
		t.Errorf("a reference not pinned by digest: #error %q", got)
	}
	checkAccessibility(t, ctx, "changes-refused")
}

// testDownloadEvidence downloads the evidence of a change from its page,
// with the browser's session, and checks it offline with the demo's
// public key, as an auditor does.
func (b *board) testDownloadEvidence(t *testing.T) {
	ctx := b.as(t, "frank")
	b.open(t, ctx, "/changes/CHG-2", "a#evidence-download")
	if got := text(t, ctx, "#evidence code"); got != "andon audit verify-export CHG-2.evidence.json --key audit.pub" {
		t.Errorf("how to check the evidence: %q", got)
	}
	type download struct {
		Disposition string `json:"disposition"`
		Body        string `json:"body"`
	}
	d := mustRun(t, ctx, chromedp.Evaluate[download](`fetch(document.querySelector("a#evidence-download").href)
		.then(async r => ({disposition: r.headers.get("Content-Disposition"), body: await r.text()}))`, chromedp.EvalAwaitPromise))
	if d.Disposition != `attachment; filename="CHG-2.evidence.json"` {
		t.Errorf("Content-Disposition %q", d.Disposition)
	}
	file := filepath.Join(t.TempDir(), "CHG-2.evidence.json")
	if err := os.WriteFile(file, []byte(d.Body), 0o600); err != nil {
		t.Fatal(err)
	}
	ok := runCLI(t, nil, "audit", "verify-export", file, "--key", filepath.Join(b.data, "audit.pub"))
	if ok.code != 0 || !strings.Contains(ok.stdout, "evidence OK") || !strings.Contains(ok.stdout, `filter: change "CHG-2"`) {
		t.Errorf("verify-export of the evidence downloaded: exit %d\n%s%s", ok.code, ok.stdout, ok.stderr)
	}
}

// testAuditEntry opens an entry from the audit page: its record and its
// inclusion proof, checked.
func (b *board) testAuditEntry(t *testing.T) {
	ctx := b.as(t, "frank")
	b.open(t, ctx, "/audit", "table#entries")
	index := attr(t, ctx, "table#entries tr[data-index]", "data-index")
	submit(t, ctx, "table#entries tr[data-index] a")
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("pre#record")))
	if got := text(t, ctx, "h1"); got != "Audit entry "+index {
		t.Errorf("the entry opened: %q, want entry %s", got, index)
	}
	if got := text(t, ctx, "pre#record"); !strings.Contains(got, `"index": `+index) {
		t.Errorf("the record of entry %s: %q", index, got)
	}
	if got := text(t, ctx, "#proof-result"); !strings.Contains(got, "Checked on this server") {
		t.Errorf("#proof-result %q", got)
	}
	if got := text(t, ctx, "#offline code"); got != "andon audit proof "+index+" -o json | andon audit verify-export - --key audit.pub" {
		t.Errorf("how to check it offline: %q", got)
	}
}

// fillNewChange opens the form of a new change in tab and fills it for a
// standard change in dev titled title, as typed, without sending it.
func (b *board) fillNewChange(t *testing.T, tab context.Context, title string) {
	t.Helper()
	b.open(t, tab, "/changes/new", "form#create-change")
	must(t, tab,
		chromedp.SetValue(chromedp.CSS("select#environment"), "dev"),
		chromedp.SetValue(chromedp.CSS("select#type"), "standard"),
		chromedp.SendKeys(chromedp.CSS("input#title"), title),
	)
}

// testConfirmCancel cancels a change with the mouse: the button asks
// first, Back changes nothing, and Confirm cancels it with the comment
// typed. The page that asks is checked as every page is.
func (b *board) testConfirmCancel(t *testing.T) {
	alice := b.as(t, "alice")
	b.fillNewChange(t, alice, "Label report translations, to be cancelled")
	submit(t, alice, "form#create-change button#create")
	m := idPath.FindStringSubmatch(mustRun(t, alice, chromedp.Location()))
	if m == nil {
		t.Fatalf("after Create change: at %s", pageURL(alice))
	}
	id := m[1]
	must(t, alice, chromedp.SendKeys(chromedp.CSS("#transition-comment"), "the translators are done already"))
	submit(t, alice, "form#transition button[value=cancelled]")
	if got := text(t, alice, "h1"); got != "Cancel "+id+"?" {
		t.Fatalf("Cancel change: the page asks %q", got)
	}
	if got := text(t, alice, "#confirm-warning"); got != "This ends the change; it cannot be reopened." {
		t.Errorf("#confirm-warning %q", got)
	}
	if got := mustRun(t, alice, chromedp.Value(chromedp.CSS("form#confirm textarea#transition-comment"))); got != "the translators are done already" {
		t.Errorf("the comment carried to the confirmation: %q", got)
	}
	for _, width := range browserWidths {
		must(t, alice, chromedp.EmulateViewport(width, 900))
		name := fmt.Sprintf("change-confirm-%d", width)
		checkAccessibility(t, alice, name)
		if wide := mustRun(t, alice, chromedp.Evaluate[[]string](overflowing)); len(wide) > 0 {
			t.Errorf("%s: the page scrolls sideways; too wide:\n\t%s", name, strings.Join(wide, "\n\t"))
		}
		if width != 360 {
			b.screenshot(t, alice, name)
		}
	}
	must(t, alice, chromedp.EmulateViewport(1280, 900))
	submit(t, alice, "a#back")
	if got := attr(t, alice, "#state", "data-state"); got != "approved" {
		t.Fatalf("after Back: state %q, want still approved", got)
	}
	submit(t, alice, "form#transition button[value=cancelled]")
	submit(t, alice, "form#confirm button[type=submit]")
	if got := text(t, alice, "#done"); got != "The change is now Cancelled." {
		t.Errorf("after Confirm: #done %q", got)
	}
	if got := attr(t, alice, "#state", "data-state"); got != "cancelled" {
		t.Errorf("after Confirm: state %q, want cancelled", got)
	}
	if got := text(t, alice, "#audit-entries tbody tr:last-child"); !strings.Contains(got, "change.transitioned") {
		t.Errorf("the last entry of %s: %q", id, got)
	}
	// The browser's Back returns to the page that asked, which says the
	// change has ended, rather than to an offer to post the form again.
	mustRun(t, alice, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.NavigateBack()))
	if got := text(t, alice, "#moot"); got != id+" is now Cancelled and can no longer be cancelled: there is nothing to confirm." {
		t.Errorf("Back after Confirm: #moot %q (page %s)", got, pageURL(alice))
	}
	checkAccessibility(t, alice, "change-confirm-moot")
}

// testConfirmReject rejects a change with the mouse: Reject asks first,
// with the reason typed, Back changes nothing, and the button that says
// "Reject" rejects it. The page that asks is checked as every page is.
func (b *board) testConfirmReject(t *testing.T) {
	alice := b.as(t, "alice")
	b.fillNewChange(t, alice, "Putaway strategy for the new racks")
	must(t, alice,
		chromedp.SetValue(chromedp.CSS("select#environment"), "prod-lyon"),
		chromedp.SetValue(chromedp.CSS("select#type"), "normal"),
		chromedp.SendKeys(chromedp.CSS("textarea#artifacts"), demoImageB),
		chromedp.SendKeys(chromedp.CSS("input#modules"), "stock"),
	)
	submit(t, alice, "form#create-change button#create")
	m := idPath.FindStringSubmatch(mustRun(t, alice, chromedp.Location()))
	if m == nil {
		t.Fatalf("after Create change: at %s (%q)", pageURL(alice),
			mustRun(t, alice, chromedp.Evaluate[string](`document.querySelector("#error")?.textContent ?? ""`)))
	}
	id := m[1]

	bob := b.as(t, "bob")
	b.open(t, bob, "/changes/"+id, "form#decide")
	// Reject with no reason, on a phone: the refusal is said again
	// beside the comment to write it in, which has the focus, in view.
	must(t, bob, chromedp.EmulateViewport(375, 900))
	submit(t, bob, "form#decide button[value=reject]")
	if got := autofocused(t, bob, "textarea#comment[name=comment]"); got != "textarea#comment[name=comment]" {
		t.Errorf("after Reject with no reason: the focus is on %s, want the comment", got)
	}
	inView := `(() => { const r = document.querySelector("form#decide #decide-refusal").getBoundingClientRect();
		return r.height > 0 && r.top >= 0 && r.bottom <= innerHeight; })()`
	if !mustRun(t, bob, chromedp.Evaluate[bool](inView)) {
		t.Errorf("after Reject with no reason: the refusal beside the comment is not in view")
	}
	must(t, bob, chromedp.EmulateViewport(1280, 900))
	must(t, bob, chromedp.SendKeys(chromedp.CSS("textarea#comment"), "no rollback plan for the racks' locations"))
	submit(t, bob, "form#decide button[value=reject]")
	if got := text(t, bob, "h1"); got != "Reject "+id+"?" {
		t.Fatalf("Reject: the page asks %q", got)
	}
	if got := text(t, bob, "#confirm-button"); got != "Reject "+id {
		t.Errorf("the button that confirms says %q", got)
	}
	if got := mustRun(t, bob, chromedp.Value(chromedp.CSS("form#confirm textarea#comment"))); got != "no rollback plan for the racks' locations" {
		t.Errorf("the reason carried to the confirmation: %q", got)
	}
	for _, width := range browserWidths {
		must(t, bob, chromedp.EmulateViewport(width, 900))
		name := fmt.Sprintf("change-confirm-reject-%d", width)
		checkAccessibility(t, bob, name)
		if wide := mustRun(t, bob, chromedp.Evaluate[[]string](overflowing)); len(wide) > 0 {
			t.Errorf("%s: the page scrolls sideways; too wide:\n\t%s", name, strings.Join(wide, "\n\t"))
		}
	}
	must(t, bob, chromedp.EmulateViewport(1280, 900))
	submit(t, bob, "a#back")
	if got := attr(t, bob, "#state", "data-state"); got != "pending" {
		t.Fatalf("after Back: state %q, want still pending", got)
	}
	must(t, bob, chromedp.SendKeys(chromedp.CSS("textarea#comment"), "no rollback plan"))
	submit(t, bob, "form#decide button[value=reject]")
	submit(t, bob, "form#confirm button[type=submit]")
	if got := text(t, bob, "#done"); got != "Your rejection is recorded." {
		t.Errorf("after Reject: #done %q", got)
	}
	if got := attr(t, bob, "#state", "data-state"); got != "rejected" {
		t.Errorf("after Reject: state %q, want rejected", got)
	}
	if got := text(t, bob, "ul#approvals"); !strings.Contains(got, "bob rejected") || !strings.Contains(got, "no rollback plan") {
		t.Errorf("approvals and rejections: %q", got)
	}
}

// overflowing lists the outermost elements that stick out of the right edge
// of the viewport, or whose text does (a heading of one long word), when
// the page scrolls sideways; the document itself when it finds none.
const overflowing = `(() => {
	const width = document.documentElement.clientWidth;
	if (document.documentElement.scrollWidth <= width) return [];
	const out = [];
	for (const e of document.body.querySelectorAll("*")) {
		const box = e.getBoundingClientRect();
		// A box that scrolls or clips its content keeps it in.
		const spills = getComputedStyle(e).overflowX === "visible" && box.left + e.scrollWidth > width + 1;
		if (box.right <= width + 1 && !spills) continue;
		// What sticks out of a box that scrolls or clips it does not widen the page.
		let clipped = false;
		for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
			if (getComputedStyle(a).overflowX !== "visible") { clipped = true; break; }
		}
		if (clipped) continue;
		if (out.some(o => o.contains(e))) continue;
		out.push(e);
		if (out.length === 5) break;
	}
	if (out.length === 0) return ["the document: " + document.documentElement.scrollWidth + "px"];
	return out.map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + String(e.className).split(" ").join(".") : "") +
		": " + Math.round(Math.max(e.getBoundingClientRect().right, e.getBoundingClientRect().left + e.scrollWidth)) + "px: " + e.textContent.trim().slice(0, 60));
})()`

// scrollingTables lists the tables that scroll sideways in their box, with
// the width they need and the width they have.
const scrollingTables = `[...document.querySelectorAll(".table-wrap")].filter(w => w.scrollWidth > w.clientWidth + 1)
	.map(w => (w.querySelector("table")?.id || "table") + ": " + w.scrollWidth + "px in " + w.clientWidth + "px")`

// testLongTitleOnAPhone opens, on the narrowest phone, the page of a change
// the gate recorded for an image in staging, whose title is its image
// reference: one word of 120 characters, which must break rather than
// widen the page.
func (b *board) testLongTitleOnAPhone(t *testing.T) {
	ctx := b.as(t, "frank")
	must(t, ctx, chromedp.EmulateViewport(360, 900))
	b.open(t, ctx, "/changes/CHG-1", "#state")
	if title := text(t, ctx, "h1"); !strings.Contains(title, "@sha256:") {
		t.Fatalf("CHG-1 is titled %q, not after its image", title)
	}
	if wide := mustRun(t, ctx, chromedp.Evaluate[[]string](overflowing)); len(wide) > 0 {
		t.Errorf("CHG-1 at 360px scrolls sideways; too wide:\n\t%s", strings.Join(wide, "\n\t"))
	}
}

// testMonthOnAPhone reads a month of the calendar on a phone, where the
// days are listed one under the other: the list is the month's days, from
// the 1st, where the days of the weeks before and after that fill the
// grid came first and last (every day of the demo has its nightly peak).
func (b *board) testMonthOnAPhone(t *testing.T) {
	ctx := b.as(t, "bob")
	must(t, ctx, chromedp.EmulateViewport(375, 900))
	b.open(t, ctx, "/calendar?plant=lyon&view=month&date=2026-11-15", "table#calendar")
	days := mustRun(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("table#calendar td")]
		.filter(td => td.getClientRects().length > 0).map(td => td.dataset.date)`))
	if len(days) != 30 || days[0] != "2026-11-01" || days[29] != "2026-11-30" {
		t.Errorf("November on a phone lists %d days, %v … %v; want the 30 of November", len(days), days[:min(3, len(days))], days[max(0, len(days)-3):])
	}
	must(t, ctx, chromedp.EmulateViewport(1280, 900))
	b.open(t, ctx, "/calendar?plant=lyon&view=month&date=2026-11-15", "table#calendar")
	if n := mustRun(t, ctx, chromedp.Evaluate[int](`[...document.querySelectorAll("table#calendar td")].filter(td => td.getClientRects().length > 0).length`)); n != 42 {
		t.Errorf("November on a laptop: a grid of %d days, want 6 whole weeks", n)
	}
}

// testFiltersOnAPhone reads the lists of changes and of audit entries on
// a phone, where the filters fold away so that the list starts on the
// first screen, opens them with the keyboard and filters, after which they
// stay open; on a laptop they are always shown and reached with Tab.
func (b *board) testFiltersOnAPhone(t *testing.T) {
	ctx := b.as(t, "bob")
	const phoneHeight = 667 // a 375 px wide phone's first screen
	shown := func(sel string) bool {
		return mustRun(t, ctx, chromedp.Evaluate[bool](`document.querySelector(`+strconv.Quote(sel)+`)?.checkVisibility() ?? false`))
	}
	top := func(sel string) float64 {
		return mustRun(t, ctx, chromedp.Evaluate[float64](`document.querySelector(`+strconv.Quote(sel)+`).getBoundingClientRect().top`))
	}
	must(t, ctx, chromedp.EmulateViewport(375, phoneHeight))
	for _, p := range []struct{ path, panel, field, list string }{
		{"/changes", "details#filter-panel", "#f-environment", "table#changes tbody tr"},
		{"/audit", "details#audit-filter-panel", "#a-type", "table#entries tbody tr"},
	} {
		b.open(t, ctx, p.path, p.list)
		if shown(p.field) || !shown(p.panel+" > summary") {
			t.Errorf("%s at 375px: the filters are shown (%v) or cannot be opened (summary shown: %v)", p.path, shown(p.field), shown(p.panel+" > summary"))
		}
		if p.path == "/changes" {
			if y := top(p.list); y >= phoneHeight {
				t.Errorf("%s at 375px: the list starts %.0fpx down, below the first screen of %dpx", p.path, y, phoneHeight)
			}
		}
		checkAccessibility(t, ctx, strings.TrimPrefix(p.path, "/")+"-filters-closed-375")
		// The summary opens them from the keyboard.
		must(t, ctx, chromedp.Focus(chromedp.CSS(p.panel+" > summary")), chromedp.KeyEvent(kb.Enter))
		if !shown(p.field) {
			t.Errorf("%s at 375px: Enter on the summary does not show the filters", p.path)
		}
		checkAccessibility(t, ctx, strings.TrimPrefix(p.path, "/")+"-filters-open-375")
	}
	// A filter set keeps them open, saying how many are set.
	b.open(t, ctx, "/changes", "table#changes")
	must(t, ctx, chromedp.Focus(chromedp.CSS("details#filter-panel > summary")), chromedp.KeyEvent(kb.Enter),
		chromedp.SetValue(chromedp.CSS("select#f-state"), "pending"))
	submit(t, ctx, "form#filters button[type=submit]")
	if !shown("#f-state") || !strings.Contains(text(t, ctx, "details#filter-panel > summary"), "1 set") {
		t.Errorf("/changes?state=pending at 375px: the filters are closed, or the summary %q does not say one is set", text(t, ctx, "details#filter-panel > summary"))
	}
	b.open(t, ctx, "/audit?actor=bob", "table#entries")
	if !shown("#a-actor") {
		t.Error("/audit?actor=bob at 375px: the filters are closed")
	}

	// On a laptop they are always shown, with nothing to fold them, and
	// Tab goes from the link before them to the first.
	must(t, ctx, chromedp.EmulateViewport(1280, 900))
	b.open(t, ctx, "/changes", "table#changes")
	if !shown("#f-environment") || shown("details#filter-panel > summary") {
		t.Errorf("/changes at 1280px: filters shown %v, summary shown %v; want the filters and no summary", shown("#f-environment"), shown("details#filter-panel > summary"))
	}
	// Screen readers are told of them too, although the <details> that
	// holds them is closed.
	if got := accessibleAs(t, ctx, "#f-environment"); got != `"combobox" "Environment"` {
		t.Errorf("/changes at 1280px: the environment filter is %s to assistive technology, want a combobox named Environment", got)
	}
	must(t, ctx, chromedp.Focus(chromedp.CSS(`a.button[href="/changes/new"]`)), chromedp.KeyEvent(kb.Tab))
	if got := autofocused(t, ctx, "select#f-environment[name=environment]"); got != "select#f-environment[name=environment]" {
		t.Errorf("/changes at 1280px: Tab after New change reaches %s, want the environment filter", got)
	}
	b.open(t, ctx, "/audit", "table#entries")
	if !shown("#a-type") || shown("details#audit-filter-panel > summary") {
		t.Errorf("/audit at 1280px: filters shown %v, summary shown %v", shown("#a-type"), shown("details#audit-filter-panel > summary"))
	}
}

// accessibleAs says how Chromium presents the element sel to assistive
// technology: its role and name, each as JSON, or "ignored".
func accessibleAs(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	nodes := mustRun(t, ctx, chromedp.Nodes(chromedp.CSS(sel)))
	relatives := false
	res, err := chromedp.Call(ctx, accessibility.GetPartialAXTree, accessibility.GetPartialAXTreeParams{BackendNodeID: nodes[0].BackendNodeID, FetchRelatives: &relatives})
	if err != nil {
		t.Fatalf("the accessibility tree of %s: %v", sel, err)
	}
	if len(res.Nodes) == 0 || res.Nodes[0].Ignored || res.Nodes[0].Role == nil || res.Nodes[0].Name == nil {
		return "ignored"
	}
	return fmt.Sprintf("%s %s", res.Nodes[0].Role.Value, res.Nodes[0].Name.Value)
}

// testEveryPage checks every page with axe-core at each width, that no
// page scrolls sideways on a phone, nor any table on a laptop, nor a
// listing of changes anywhere, and takes the screenshots.
func (b *board) testEveryPage(t *testing.T) {
	anonymous := b.tab(t)
	bob := b.as(t, "bob")
	pages := []struct {
		name, path, ready string
		ctx               context.Context
	}{
		{"login", "/login", "form#login", anonymous},
		{"board", "/", "section#board", bob},
		{"kiosk", "/?kiosk=1", "body.kiosk section#board", bob},
		{"changes", "/changes", "table#changes", bob},
		{"change-new", "/changes/new", "form#create-change", bob},
		{"change", "/changes/CHG-8", "#state", bob},
		{"approvals", "/approvals", "table#inbox", bob},
		{"calendar-month", "/calendar?plant=lyon&view=month", "table#calendar", bob},
		{"calendar-week", "/calendar?plant=geelong&view=week", "table#calendar", bob},
		{"audit", "/audit", "table#entries", bob},
		{"audit-entry", "/audit/entries/3", "pre#record", bob},
		{"catalog", "/catalog", "section#teams", bob},
		{"reports", "/reports", "table#dora", bob},
		{"review", "/reports/review?month=" + time.Now().UTC().Format("2006-01"), "table#review-changes", bob},
		{"incidents", "/incidents", "table#incidents", bob},
		{"incident", "/incidents/INC-1", "#state", bob},
		{"access", "/access", "table#pending form.decide", bob},
		{"not-found", "/changes/CHG-999", "#error", bob},
	}
	// A request for bob to decide, so that its form is checked too.
	req, err := http.NewRequest("POST", b.url+"/api/v1/access-requests", strings.NewReader(`{"team": "change-managers", "duration": "2h", "reason": "cover"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer demo-carol")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("access request: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	for _, width := range browserWidths {
		for _, ctx := range []context.Context{anonymous, bob} {
			must(t, ctx, chromedp.EmulateViewport(width, 900))
		}
		for _, p := range pages {
			name := fmt.Sprintf("%s-%d", p.name, width)
			t.Run(name, func(t *testing.T) {
				b.open(t, p.ctx, p.path, p.ready)
				checkAccessibility(t, p.ctx, name)
				if wide := mustRun(t, p.ctx, chromedp.Evaluate[[]string](overflowing)); len(wide) > 0 {
					t.Errorf("%s: the page is wider than the %dpx viewport and scrolls sideways; too wide:\n\t%s", name, width, strings.Join(wide, "\n\t"))
				}
				// On a laptop every column is in view: a long title (a
				// change named after its image) must not push the
				// requester and the date out of sight. On a phone the
				// listings of changes, and of audit entries (a change's
				// among them), stack each row's cells instead.
				if width == 1280 || slices.Contains([]string{"changes", "approvals", "audit", "change", "incidents", "incident"}, p.name) {
					if wide := mustRun(t, p.ctx, chromedp.Evaluate[[]string](scrollingTables)); len(wide) > 0 {
						t.Errorf("%s: tables scroll sideways at %dpx:\n\t%s", name, width, strings.Join(wide, "\n\t"))
					}
				}
				if width != 360 {
					b.screenshot(t, p.ctx, name)
				}
			})
		}
	}
}

// testPullTheCord opens an incident from the board as a member of the
// Lyon plant's operations, who holds no role: a form that names nothing
// it stops comes back with what was typed, the plants' list marked and
// focused; opened, the incident stops Lyon's production on the board,
// and a change manager resolves it from its page, with the keyboard.
func (b *board) testPullTheCord(t *testing.T) {
	carol := b.as(t, "carol")
	b.open(t, carol, "/", "section#board")
	submit(t, carol, `nav a[href="/incidents"]`)
	must(t, carol,
		chromedp.Click(chromedp.CSS(`a[href="#open-incident"]`)),
		chromedp.SendKeys(chromedp.CSS("form#open #title"), "MRP scheduler down"),
	)
	submit(t, carol, "form#open button#open-button")
	if got := text(t, carol, "#plants-refusal"); !strings.Contains(got, "choose the plants, business processes or environments") {
		t.Fatalf("opened with nothing it stops: beside the plants %q", got)
	}
	if got := autofocused(t, carol, "select#plants[name=plants]"); got != "select#plants[name=plants]" {
		t.Errorf("after the refusal the focus is on %s, want the plants", got)
	}
	if got := mustRun(t, carol, chromedp.Value(chromedp.CSS("#title"))); got != "MRP scheduler down" {
		t.Errorf("the title given back: %q", got)
	}
	checkAccessibility(t, carol, "incidents-refused")
	must(t, carol, chromedp.SetAttributeValue(chromedp.CSS(`#plants option[value="lyon"]`), "selected", ""))
	submit(t, carol, "form#open button#open-button")
	m := regexp.MustCompile(`/incidents/(INC-\d+)\?done=opened$`).FindStringSubmatch(mustRun(t, carol, chromedp.Location()))
	if m == nil {
		t.Fatalf("after Open the incident: at %s, error %q", pageURL(carol), text(t, carol, "h1"))
	}
	id := m[1]
	if got := text(t, carol, "#done"); got != "The incident is open." {
		t.Errorf("opened: #done %q", got)
	}
	b.open(t, carol, "/", "section#board")
	if got := text(t, carol, `article[data-env="prod-lyon"] p.stop`); !strings.Contains(got, "Stopped: critical incident "+id+" open") {
		t.Errorf("the board's prod-lyon after the cord was pulled: %q", got)
	}

	bob := b.as(t, "bob")
	b.open(t, bob, "/", "section#board")
	submit(t, bob, `#incidents li[data-incident="`+id+`"] .id a`)
	checkAccessibility(t, bob, "incident-open")
	// With the keyboard: the comment, then Tab to the button and Enter.
	must(t, bob,
		chromedp.Focus(chromedp.CSS("form#resolve #comment")),
		chromedp.SendKeys(chromedp.CSS("form#resolve #comment"), "scheduler restarted"),
		chromedp.KeyEvent(kb.Tab),
	)
	if got := autofocused(t, bob, "button#resolve-button"); got != "button#resolve-button" {
		t.Fatalf("Tab from the comment reaches %s, want Resolve", got)
	}
	pressKeyAndWait(t, bob, kb.Enter)
	if got := text(t, bob, "#done"); got != "The incident is resolved." {
		t.Errorf("resolved: #done %q", got)
	}
	if got := text(t, bob, "#resolved"); !strings.Contains(got, "by bob: “scheduler restarted”") {
		t.Errorf("resolved: %q", got)
	}
	b.open(t, bob, "/", "section#board")
	if n := mustRun(t, bob, chromedp.Evaluate[int](`document.querySelectorAll("article.tile.stopped").length`)); n != 0 {
		t.Errorf("after the resolution, %d tiles are stopped", n)
	}
}
