package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/internal/reviewdoc"
)

// The reports page shows the DORA report of the 30 days before now, or of
// the days and the environments its form gives, and refuses a filter the
// report cannot take, saying why.
func TestReportsPage(t *testing.T) {
	s := MustServe(t, nil, thursday)
	ctx := andon.NewContextWithUser(t.Context(), &andon.User{Name: "alice"})
	res, err := s.gate.Decide(ctx, andon.GateRequest{Environment: "staging-lyon", Image: image})
	if err != nil || !res.Allow || res.Change == nil {
		t.Fatalf("gate: %+v, %v", res, err)
	}
	s.now = s.now.Add(30 * time.Minute)
	if _, err := s.changes.Transition(ctx, res.Change.ID, andon.StateRolledBack, "smoke tests failed"); err != nil {
		t.Fatal(err)
	}
	s.now = s.now.Add(time.Hour)

	b := s.MustSignIn(t, "frank")
	p := b.get("/reports").mustStatus(t, http.StatusOK)
	if got := p.attr("nav a[aria-current=page]", "href"); got != "/reports" {
		t.Errorf("the navigation marks %q as the page, want /reports", got)
	}
	if got, want := p.text("#period"), "From 2026-10-27 10:30 to 2026-11-26 10:30 UTC, every environment."; got != want {
		t.Errorf("period %q, want %q", got, want)
	}
	for _, row := range []string{"#dora tbody tr[data-env=staging-lyon]", "#dora tfoot tr[data-env=All]"} {
		var cells []string
		for _, n := range p.all(row + " td") {
			cells = append(cells, textOf(n))
		}
		if got, want := strings.Join(cells, " | "), "1 | 0.23 | 0m | 0m | 1 | 0 | 1 | 100% | 30m | 30m"; got != want {
			t.Errorf("%s: %q, want %q", row, got, want)
		}
	}
	if got, want := p.text("#incidents"), "Resolved in this period: 0. Time to restore, from opening to resolution: p50 —, p90 —."; got != want {
		t.Errorf("incidents %q, want %q", got, want)
	}

	p = b.get("/reports?plant=geelong&since=2026-11-01&until=2026-11-27").mustStatus(t, http.StatusOK)
	// The period ends tomorrow: it is reported up to now.
	if got, want := p.text("#period"), "From 2026-11-01 00:00 to 2026-11-26 10:30 UTC, the environments of plant geelong: staging-geelong, prod-geelong, prod-subsidiaries."; got != want {
		t.Errorf("period of Geelong %q, want %q", got, want)
	}
	if got := p.text("#dora tbody"); got != "No change was deployed or ended in this period." {
		t.Errorf("Geelong's changes: %q, want none", got)
	}
	if p.attr("#r-plant option[selected]", "value") != "geelong" || p.attr("#r-since", "value") != "2026-11-01" {
		t.Errorf("the form does not keep the filter: plant %q, since %q", p.attr("#r-plant option[selected]", "value"), p.attr("#r-since", "value"))
	}

	for _, c := range []struct{ query, want string }{
		{"env=prod-paris", "env: "},
		{"since=yesterday", `since: "yesterday" is not a day (YYYY-MM-DD)`},
		{"until=2026-11-01&since=2026-11-02", "since: 2026-11-02T00:00:00Z is not before until 2026-11-01T00:00:00Z"},
		{"env=prod-lyon&plant=lyon", "give one of them at most"},
	} {
		p := b.get("/reports?"+c.query).mustStatus(t, http.StatusBadRequest)
		if got := p.text("#error"); !strings.Contains(got, c.want) {
			t.Errorf("?%s: %q, want it to say %q", c.query, got, c.want)
		}
	}
}

// The reports page asks for the monthly review of the month before now's;
// the review's page shows its sections as tables with captions, in the
// plant's month, keeps its filter in its form, and serves the Markdown
// document andon report review -o markdown writes; a month that is not
// one is a 400 that says why.
func TestReviewPage(t *testing.T) {
	s := MustServe(t, nil, thursday)
	ctx := andon.NewContextWithUser(t.Context(), &andon.User{Name: "alice"})
	res, err := s.gate.Decide(ctx, andon.GateRequest{Environment: "staging-lyon", Image: image})
	if err != nil || !res.Allow || res.Change == nil {
		t.Fatalf("gate: %+v, %v", res, err)
	}
	s.now = s.now.Add(time.Hour)

	b := s.MustSignIn(t, "frank")
	p := b.get("/reports").mustStatus(t, http.StatusOK)
	if got := p.attr("form#review-filters", "action"); got != "/reports/review" || p.attr("#m-month", "value") != "2026-10" || p.attr("#m-month", "type") != "month" {
		t.Errorf("the reports page asks for the review at %q of month %q, want /reports/review, 2026-10", got, p.attr("#m-month", "value"))
	}

	p = b.get("/reports/review?month=2026-11&plant=lyon").mustStatus(t, http.StatusOK)
	if got := p.attr("nav a[aria-current=page]", "href"); got != "/reports" {
		t.Errorf("the navigation marks %q as the page, want /reports", got)
	}
	if got, want := p.text("h1"), "Monthly operational review, 2026-11 (Europe/Paris)"; got != want {
		t.Errorf("heading %q, want %q", got, want)
	}
	if got, want := p.text("#review-head dd"), "2026-11, 2026-11-01 00:00+01:00 to 2026-12-01 00:00+01:00 (Europe/Paris)"; !strings.HasPrefix(got, want) {
		t.Errorf("the review's month %q, want %q", got, want)
	}
	if got, want := p.text("#review-changes caption"), "Changes opened in the month, by environment, and how they stand now"; got != want {
		t.Errorf("caption %q, want %q", got, want)
	}
	var header []string
	for _, n := range p.all("#review-changes thead th[scope=col]") {
		header = append(header, textOf(n))
	}
	if got, want := strings.Join(header, " | "), "Environment | Opened | By type | By risk tier | Completed | Failed | Rolled back | Cancelled | Rejected | Still open"; got != want {
		t.Errorf("header %q, want %q", got, want)
	}
	var cells []string
	for _, n := range p.all("#review-changes tbody tr:first-child > *") {
		cells = append(cells, textOf(n))
	}
	if got, want := strings.Join(cells, " | "), "staging-lyon | 1 | 1 standard | 1 low | 0 | 0 | 0 | 0 | 0 | 1"; got != want {
		t.Errorf("staging-lyon's changes %q, want %q", got, want)
	}
	if got, want := p.text("p#review-emergencies"), "Emergency changes opened in the month and their retrospective reviews: No emergency change was opened in the month."; got != want {
		t.Errorf("emergencies %q, want %q", got, want)
	}
	if p.attr("#m-plant option[selected]", "value") != "lyon" || p.attr("#m-month", "value") != "2026-11" {
		t.Errorf("the form does not keep the filter: plant %q, month %q", p.attr("#m-plant option[selected]", "value"), p.attr("#m-month", "value"))
	}

	href := p.attr("a#review-markdown", "href")
	if href != "/reports/review.md?month=2026-11&plant=lyon" {
		t.Fatalf("the review links to %q, want its Markdown document", href)
	}
	d := b.get(href).mustStatus(t, http.StatusOK)
	if got, want := d.header.Get("Content-Disposition"), `attachment; filename=review-lyon-2026-11.md`; got != want {
		t.Errorf("Content-Disposition %q, want %q", got, want)
	}
	if got := d.header.Get("Content-Type"); got != "text/markdown; charset=utf-8" {
		t.Errorf("Content-Type %q", got)
	}
	// The document andon report review -o markdown writes (cmd/andon's
	// TestReportReviewFromTheBoard compares the two byte for byte).
	review, err := s.reports.Review(ctx, andon.ReviewFilter{Month: "2026-11", Plant: "lyon"})
	if err != nil {
		t.Fatal(err)
	}
	if want := string(reviewdoc.Markdown(review)); d.body != want || !strings.HasPrefix(d.body, "# Monthly operational review, 2026-11 (Europe/Paris)\n") {
		t.Errorf("the document:\n%s\nwant:\n%s", d.body, want)
	}
	if got := b.get("/reports/review.md?month=2026-11").mustStatus(t, http.StatusOK).header.Get("Content-Disposition"); got != "attachment; filename=review-2026-11.md" {
		t.Errorf("every environment's document: Content-Disposition %q", got)
	}

	if got := b.get("/reports/review").mustStatus(t, http.StatusOK).text("h1"); got != "Monthly operational review, 2026-10 (UTC)" {
		t.Errorf("the review without a month: %q, want October's, in UTC", got)
	}
	for _, c := range []struct{ path, want string }{
		{"/reports/review?month=2026-13", `month: "2026-13" is not a month; want YYYY-MM, such as 2026-11`},
		{"/reports/review?month=", `month: "" is not a month`},
		{"/reports/review?month=2026-11&plant=paris", "plant: "},
		{"/reports/review?month=2026-11&plant=lyon&process=finance", "give one of them at most"},
		{"/reports/review.md?month=November", `month: "November" is not a month`},
	} {
		p := b.get(c.path).mustStatus(t, http.StatusBadRequest)
		if got := p.text("#error"); !strings.Contains(got, c.want) {
			t.Errorf("%s: %q, want it to say %q", c.path, got, c.want)
		}
	}
}

// The review's month, when none is asked for, is the month before now's
// in the review's time zone: on the first of December in Geelong, still
// November in UTC, Geelong's review is November's and every
// environment's, in UTC, October's. A time zone asked for is kept in the
// form and the document's address; one that is not is a 400 naming it.
func TestReviewPageTimezone(t *testing.T) {
	geelongDecember := time.Date(2026, 11, 30, 14, 0, 0, 0, time.UTC) // 01:00 AEDT on 1 December
	s := MustServe(t, nil, geelongDecember)
	b := s.MustSignIn(t, "frank")

	if got := b.get("/reports?plant=geelong").mustStatus(t, http.StatusOK).attr("#m-month", "value"); got != "2026-11" {
		t.Errorf("the reports page of Geelong asks for the review of %q, want 2026-11", got)
	}
	if got := b.get("/reports").mustStatus(t, http.StatusOK).attr("#m-month", "value"); got != "2026-10" {
		t.Errorf("the reports page asks for the review of %q, want 2026-10", got)
	}
	if got := b.get("/reports/review?plant=geelong").mustStatus(t, http.StatusOK).text("h1"); got != "Monthly operational review, 2026-11 (Australia/Melbourne)" {
		t.Errorf("Geelong's review without a month: %q, want November's", got)
	}

	p := b.get("/reports/review?month=2026-11&plant=lyon&timezone=UTC").mustStatus(t, http.StatusOK)
	if got := p.text("h1"); got != "Monthly operational review, 2026-11 (UTC)" {
		t.Errorf("Lyon's review in UTC: %q", got)
	}
	if got := p.attr("#m-timezone", "value"); got != "UTC" {
		t.Errorf("the form keeps the time zone %q, want UTC", got)
	}
	var zones []string
	for _, n := range p.all("#m-timezones option") {
		zones = append(zones, attrOf(n, "value"))
	}
	if got := strings.Join(zones, " "); !strings.Contains(got, "Europe/Paris") || !strings.Contains(got, "Australia/Melbourne") {
		t.Errorf("the form suggests the time zones %q, want the plants'", got)
	}
	if got, want := p.attr("a#review-markdown", "href"), "/reports/review.md?month=2026-11&plant=lyon&timezone=UTC"; got != want {
		t.Errorf("the review links to %q, want %q", got, want)
	}

	p = b.get("/reports/review?month=2026-11&timezone=Mars/Olympus").mustStatus(t, http.StatusBadRequest)
	if got := p.text("#error"); !strings.Contains(got, "timezone") || !strings.Contains(got, "Mars/Olympus") {
		t.Errorf("an unknown time zone: %q, want it named", got)
	}
}
