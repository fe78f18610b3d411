package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
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
	if got, want := p.text("#period"), "From 2026-11-01 00:00 to 2026-11-27 00:00 UTC, the environments of plant geelong: staging-geelong, prod-geelong, prod-subsidiaries."; got != want {
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
