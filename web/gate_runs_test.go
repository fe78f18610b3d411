package web_test

import (
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/catalog"
	"github.com/andon-governance/andon/examples"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"
)

// imageB is the second image of the change whose gate decisions are shown.
const imageB = "registry.example.com/odoo/odoo-lyon-assets:17.0@sha256:2222222222222222222222222222222222222222222222222222222222222222"

// mustCatalogWith returns the example manufacturer with the documents of
// extra added.
func mustCatalogWith(tb testing.TB, extra string) *andon.Catalog {
	tb.Helper()
	fsys := fstest.MapFS{}
	err := fs.WalkDir(examples.Catalog, "catalog", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(examples.Catalog, path)
		fsys[path] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	fsys["catalog/extra.yaml"] = &fstest.MapFile{Data: []byte(extra)}
	cat, err := catalog.LoadFS(fsys, "catalog")
	if err != nil {
		tb.Fatal(err)
	}
	return cat
}

// gateItem is what one item of a change's gate decisions says.
type gateItem struct {
	Allow, Count string
	Image        string
	Line         string   // its text, but for its reasons
	Times        []string // the datetime of its times
	Codes        []string // its reasons' codes
}

// gateItems reads the items of the gate decisions of a change's page.
func gateItems(p *page) []gateItem {
	var items []gateItem
	for _, li := range p.all("#gate-decisions > li") {
		it := gateItem{Allow: attrOf(li, "data-allow"), Count: attrOf(li, "data-count")}
		var line strings.Builder
		for c := li.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && c.Data == "ul" {
				for r := c.FirstChild; r != nil; r = r.NextSibling {
					if r.Type == html.ElementNode && r.Data == "li" && r.FirstChild != nil {
						it.Codes = append(it.Codes, textOf(r.FirstChild))
					}
				}
				continue
			}
			if c.Type == html.ElementNode && c.Data == "code" && it.Image == "" {
				it.Image = textOf(c)
			}
			if c.Type == html.ElementNode && c.Data == "time" {
				it.Times = append(it.Times, attrOf(c, "datetime"))
			}
			line.WriteString(rawTextOf(c))
		}
		it.Line = strings.Join(strings.Fields(line.String()), " ")
		items = append(items, it)
	}
	return items
}

// A change the gate is asked about again and again lists its decisions
// in runs: consecutive decisions with the same outcome, image, dry-run
// flag and reason codes are one item that says how many and from when to
// when, in the plant's time; a decision unlike the one before, even one
// just like an earlier run, starts a run of its own, so the order of the
// outcomes stays in view.
func TestChangeGroupsItsGateDecisionsIntoRuns(t *testing.T) {
	// A freeze of staging-lyon in the afternoon, UTC: a decision inside it
	// gives one more reason than one after it.
	cat := mustCatalogWith(t, `apiVersion: andon/v1
kind: Window
metadata: {name: staging-afternoon-freeze}
spec:
  type: freeze
  once: {start: "2026-11-26T14:00:00Z", end: "2026-11-26T15:00:00Z"}
  selector: {environments: [staging-lyon]}
`)
	s := MustServe(t, cat, thursday)
	day := func(hour, minute int) time.Time { return time.Date(2026, 11, 26, hour, minute, 0, 0, time.UTC) }
	c, err := s.changes.CreateChange(andon.NewContextWithUser(t.Context(), &andon.User{Name: "alice"}), &andon.ChangeRequest{
		Environment: "staging-lyon", Type: andon.ChangeStandard, Title: "Busy", Artifacts: []string{image, imageB},
		Window: &andon.Span{Start: day(10, 0), End: day(12, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	ask := func(at time.Time, actor, img string, dryRun, wantAllow bool) {
		t.Helper()
		s.now = at
		ctx := andon.NewContextWithUser(t.Context(), &andon.User{Name: actor})
		res, err := s.gate.Decide(ctx, andon.GateRequest{Environment: "staging-lyon", Image: img, DryRun: dryRun})
		if err != nil {
			t.Fatal(err)
		}
		if res.Allow != wantAllow || res.Change == nil || res.Change.ID != c.ID {
			t.Fatalf("gate at %s: allow %v for change %v, want %v for %s: %+v", at, res.Allow, res.Change, wantAllow, c.ID, res.Reasons)
		}
	}
	// Argo CD and CI ask every minute before the window opens: forty
	// denials alike.
	for i := range 40 {
		ask(day(8, i), []string{"argocd", "ci"}[i%2], image, false, false)
	}
	ask(day(9, 30), "ci", image, true, false)      // a dry run
	ask(day(9, 40), "argocd", image, false, false) // a denial again
	ask(day(10, 0), "argocd", image, false, true)  // the window opens
	ask(day(10, 10), "argocd", image, false, true)
	ask(day(10, 20), "argocd", imageB, false, true) // another image
	ask(day(12, 10), "argocd", image, false, false) // the window has closed
	ask(day(12, 20), "argocd", image, false, false)
	for _, m := range []int{10, 20, 30} { // and a freeze adds a reason
		ask(day(14, m), "webhook", image, false, false)
	}

	b := s.MustSignIn(t, "frank")
	p := b.get("/changes/"+c.ID).mustStatus(t, http.StatusOK)
	iso := func(t time.Time) string { return t.Format(time.RFC3339) }
	zoned := func(t time.Time) string {
		return t.In(cat.Location(cat.Environment("staging-lyon"))).Format("Mon 2 Jan 2006 15:04 MST")
	}
	outside := []string{"OUTSIDE_CHANGE_WINDOW"}
	want := []gateItem{
		{"false", "40", image, fmt.Sprintf("✖ denied %s 40 times for argocd, ci, from %s to %s; the reasons given the last time:", image, zoned(day(8, 0)), zoned(day(8, 39))),
			[]string{iso(day(8, 0)), iso(day(8, 39))}, outside},
		{"false", "1", image, fmt.Sprintf("✖ denied (dry run) %s for ci, %s", image, zoned(day(9, 30))), []string{iso(day(9, 30))}, outside},
		{"false", "1", image, fmt.Sprintf("✖ denied %s for argocd, %s", image, zoned(day(9, 40))), []string{iso(day(9, 40))}, outside},
		{"true", "2", image, fmt.Sprintf("✔ allowed %s 2 times for argocd, from %s to %s; the reasons given the last time:", image, zoned(day(10, 0)), zoned(day(10, 10))),
			[]string{iso(day(10, 0)), iso(day(10, 10))}, []string{"ALLOWED"}},
		{"true", "1", imageB, fmt.Sprintf("✔ allowed %s for argocd, %s", imageB, zoned(day(10, 20))), []string{iso(day(10, 20))}, []string{"ALLOWED"}},
		{"false", "2", image, fmt.Sprintf("✖ denied %s 2 times for argocd, from %s to %s; the reasons given the last time:", image, zoned(day(12, 10)), zoned(day(12, 20))),
			[]string{iso(day(12, 10)), iso(day(12, 20))}, outside},
		{"false", "3", image, fmt.Sprintf("✖ denied %s 3 times for webhook, from %s to %s; the reasons given the last time:", image, zoned(day(14, 10)), zoned(day(14, 30))),
			[]string{iso(day(14, 10)), iso(day(14, 30))}, []string{"FROZEN", "OUTSIDE_CHANGE_WINDOW"}},
	}
	if diff := cmp.Diff(want, gateItems(p)); diff != "" {
		t.Errorf("the gate decisions of %s (-want +got):\n%s", c.ID, diff)
	}
	if got, want := p.text("#gate-summary"), "50 decisions, oldest first."; !strings.HasPrefix(got, want) {
		t.Errorf("#gate-summary %q, want it to begin %q", got, want)
	}
	// A run's reasons are worded as the last decision of the run worded
	// them: the time a message names is the run's last.
	if got, want := p.text("#gate-decisions > li:first-child > ul"), day(8, 39).Format(time.RFC3339); !strings.Contains(got, want) {
		t.Errorf("the reasons of the first run: %q, want the time of its last decision, %s", got, want)
	}
	// Every decision is counted once.
	total := 0
	for _, it := range gateItems(p) {
		n, _ := strconv.Atoi(it.Count)
		total += n
	}
	if total != 50 {
		t.Errorf("the runs count %d decisions, want 50", total)
	}
}

// A change asked about once shows that decision as it always did, with no
// count and no summary.
func TestChangeShowsASingleGateDecisionAlone(t *testing.T) {
	s := MustServe(t, nil, thursday)
	ctx := andon.NewContextWithUser(t.Context(), &andon.User{Name: "alice"})
	res, err := s.gate.Decide(ctx, andon.GateRequest{Environment: "staging-lyon", Image: image})
	if err != nil || !res.Allow || res.Change == nil {
		t.Fatalf("gate: %+v, %v", res, err)
	}
	p := s.MustSignIn(t, "frank").get("/changes/"+res.Change.ID).mustStatus(t, http.StatusOK)
	items := gateItems(p)
	if len(items) != 1 || items[0].Count != "1" || len(items[0].Times) != 1 || p.text("#gate-decisions .gate-count") != "" {
		t.Errorf("one decision: %+v", items)
	}
	if got := p.text("#gate-summary"); got != "" {
		t.Errorf("one decision has a summary: %q", got)
	}
}

// A change with more gate decisions than its page shows shows the latest,
// says so, and links the audit page's list of them all.
func TestChangeSaysWhenItsGateDecisionsAreCut(t *testing.T) {
	s := MustServe(t, nil, thursday)
	ctx := andon.NewContextWithUser(t.Context(), &andon.User{Name: "argocd"})
	var id string
	for i := range 502 {
		s.now = thursday.Add(time.Duration(i) * time.Second)
		req := andon.GateRequest{Environment: "staging-lyon", Image: image}
		if i == 501 {
			// The last decision is a dry run: a run of its own, last.
			req.At = s.now.Add(time.Hour)
		}
		res, err := s.gate.Decide(ctx, req)
		if err != nil || !res.Allow || res.Change == nil || (id != "" && res.Change.ID != id) {
			t.Fatalf("gate %d: %+v, %v", i, res, err)
		}
		id = res.Change.ID
	}
	p := s.MustSignIn(t, "frank").get("/changes/"+id).mustStatus(t, http.StatusOK)
	items := gateItems(p)
	total := 0
	for _, it := range items {
		n, _ := strconv.Atoi(it.Count)
		total += max(n, 1)
	}
	// The latest 500 decisions: from the third, at 09:00:02 UTC, to the
	// dry run, the last.
	if total != 500 || len(items) == 0 {
		t.Fatalf("%d gate decisions shown in %d items, want the latest 500", total, len(items))
	}
	if first := items[0].Times[0]; first != "2026-11-26T09:00:02Z" {
		t.Errorf("the first decision shown was made at %s, want 2026-11-26T09:00:02Z, the third of 502", first)
	}
	if last := items[len(items)-1]; !strings.Contains(last.Line, "dry run") {
		t.Errorf("the last item is %q, want the dry run, the latest decision", last.Line)
	}
	if got := p.text("#gate-truncated"); !strings.Contains(got, "The latest 500 decisions") {
		t.Errorf("#gate-truncated says %q", got)
	}
	href := p.attr("#gate-truncated a", "href")
	if want := "/audit?change=" + id + "&type=gate.decided"; href != want {
		t.Fatalf("#gate-truncated links %q, want %q (%q)", href, want, p.text("#gate-truncated"))
	}
	audit := s.MustSignIn(t, "frank").get(href).mustStatus(t, http.StatusOK)
	for _, td := range audit.all("#entries td[data-label=Event]") {
		if textOf(td) != andon.EventGateDecision {
			t.Errorf("the audit page's list of the gate decisions shows a %s", textOf(td))
		}
	}
}
