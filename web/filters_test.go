package web_test

import (
	"net/http"
	"net/url"
	"testing"
)

// The filters of the lists of changes and of audit entries are in a
// <details> that the page opens when a filter is set, saying how many, so
// that a phone, where it folds away, shows them then; without a filter it
// is closed (a wider screen shows its content all the same, style.css).
func TestFilterPanelsAreOpenWhenAFilterIsSet(t *testing.T) {
	s := MustServe(t, nil, thursday)
	b := s.MustSignIn(t, "frank")
	for _, tc := range []struct {
		path, panel string
		status      int
		open        bool
		summary     string
	}{
		{"/changes", "details#filter-panel", http.StatusOK, false, "Filters"},
		{"/changes?offset=0", "details#filter-panel", http.StatusOK, false, "Filters"},
		{"/changes?state=pending", "details#filter-panel", http.StatusOK, true, "Filters (1 set)"},
		{"/changes?environment=prod-lyon&q=x&requester=alice", "details#filter-panel", http.StatusOK, true, "Filters (3 set)"},
		// A refused image is shown beside the form, which must be in view.
		{"/changes?image=" + url.QueryEscape("odoo:latest"), "details#filter-panel", http.StatusBadRequest, true, "Filters (1 set)"},
		{"/audit", "details#audit-filter-panel", http.StatusOK, false, "Filters"},
		{"/audit?after=3", "details#audit-filter-panel", http.StatusOK, false, "Filters"},
		{"/audit?actor=frank&type=gate.decided", "details#audit-filter-panel", http.StatusOK, true, "Filters (2 set)"},
	} {
		p := b.get(tc.path).mustStatus(t, tc.status)
		panels := p.all(tc.panel)
		if len(panels) != 1 {
			t.Errorf("%s: %d %s", tc.path, len(panels), tc.panel)
			continue
		}
		open := false
		for _, a := range panels[0].Attr {
			open = open || a.Key == "open"
		}
		if open != tc.open {
			t.Errorf("%s: %s open %v, want %v", tc.path, tc.panel, open, tc.open)
		}
		if got := p.text(tc.panel + " > summary"); got != tc.summary {
			t.Errorf("%s: summary %q, want %q", tc.path, got, tc.summary)
		}
		if len(p.all(tc.panel+" > form[role=search]")) != 1 {
			t.Errorf("%s: the filters' form is not in %s", tc.path, tc.panel)
		}
	}
}
