package web_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/sqlstore"
	"github.com/google/go-cmp/cmp"
)

// mustOpenIncident opens an incident as user through the store.
func mustOpenIncident(t *testing.T, s *stack, user string, req *andon.IncidentRequest) *andon.Incident {
	t.Helper()
	inc, err := s.incidents.OpenIncident(andon.NewContextWithUser(t.Context(), &andon.User{Name: user}), req)
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

// auditSize is the number of entries of the audit log.
func auditSize(t *testing.T, s *stack) int64 {
	t.Helper()
	cp, err := s.audit.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cp.Size
}

// TestIncidentsPage lists the incidents, the open ones first, each with
// what it stops, who opened it and when in UTC, and its resolution,
// filtered by state and severity, and is linked from the menu.
func TestIncidentsPage(t *testing.T) {
	s := MustServe(t, nil, thursday)
	mustOpenIncident(t, s, "gus", &andon.IncidentRequest{Title: "Label printers down", Severity: andon.LevelCritical,
		Scope: andon.IncidentScope{Plants: []string{"geelong"}}})
	s.now = thursday.Add(time.Hour)
	mustOpenIncident(t, s, "alice", &andon.IncidentRequest{ID: "OPS-8", Title: "Slow <b>MRP</b>", Severity: andon.LevelHigh,
		Scope: andon.IncidentScope{Processes: []string{"production"}}, Link: "https://tracker.example.com/OPS-8"})
	s.now = thursday.Add(2 * time.Hour)
	mustOpenIncident(t, s, "carol", &andon.IncidentRequest{Title: "MRP scheduler down", Severity: andon.LevelCritical,
		Scope: andon.IncidentScope{Plants: []string{"lyon"}}})
	s.now = thursday.Add(3 * time.Hour)
	bob := andon.NewContextWithUser(t.Context(), &andon.User{Name: "bob", Roles: []string{andon.RoleChangeManager}})
	if _, err := s.incidents.ResolveIncident(bob, "INC-1", "printers restarted"); err != nil {
		t.Fatal(err)
	}

	b := s.MustSignIn(t, "frank")
	if got := b.get("/").attr(`nav a[href="/incidents"]`, "href"); got != "/incidents" {
		t.Error("the menu does not lead to the incidents")
	}
	p := b.get("/incidents").mustStatus(t, http.StatusOK)
	if got := p.attr(`nav a[href="/incidents"]`, "aria-current"); got != "page" {
		t.Errorf("the menu's Incidents is not the current page: aria-current %q", got)
	}
	rows := func(p *page) []string {
		var ids []string
		for _, n := range p.all("#incidents tbody tr[data-incident]") {
			ids = append(ids, attrOf(n, "data-incident"))
		}
		return ids
	}
	// OPS-8 took the store's second number.
	if got, want := rows(p), []string{"INC-3", "OPS-8", "INC-1"}; !slices.Equal(got, want) {
		t.Errorf("incidents listed %v, want %v: the open ones first, the latest first", got, want)
	}
	if got := p.text("#count"); got != "3 incidents, the open ones first." {
		t.Errorf("count %q", got)
	}
	cells := func(id string) []string {
		var got []string
		for _, td := range p.all("#incidents tr[data-incident=" + id + "] td") {
			got = append(got, textOf(td))
		}
		return got
	}
	for id, want := range map[string][]string{
		"INC-3": {"INC-3 MRP scheduler down", "✖ critical", "open", "plants lyon ✖ Stops every change but an emergency one to prod-lyon, prod-subsidiaries",
			"Thu 26 Nov 2026 11:00 by carol", "—"},
		"OPS-8": {"OPS-8 Slow <b>MRP</b>", "◆ high", "open", "processes production", "Thu 26 Nov 2026 10:00 by alice", "—"},
		"INC-1": {"INC-1 Label printers down", "✖ critical", "resolved", "plants geelong", "Thu 26 Nov 2026 09:00 by gus",
			"Thu 26 Nov 2026 12:00 by bob: “printers restarted”"},
	} {
		if got := cells(id); !slices.Equal(got, want) {
			t.Errorf("%s reads\n%q, want\n%q", id, got, want)
		}
		if got := p.attr("#incidents tr[data-incident="+id+"] a", "href"); got != "/incidents/"+id {
			t.Errorf("%s links to %q", id, got)
		}
	}
	if strings.Contains(p.body, "<b>MRP") {
		t.Error("a title is not escaped")
	}

	for query, want := range map[string][]string{
		"state=open":                     {"INC-3", "OPS-8"},
		"state=resolved":                 {"INC-1"},
		"severity=critical":              {"INC-3", "INC-1"},
		"state=open&severity=critical":   {"INC-3"},
		"state=resolved&severity=medium": nil,
	} {
		p := b.get("/incidents?"+query).mustStatus(t, http.StatusOK)
		if got := rows(p); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", query, got, want)
		}
		f, _ := url.ParseQuery(query)
		if got := p.attr("#f-state option[selected]", "value"); got != f.Get("state") {
			t.Errorf("%s: state %q selected", query, got)
		}
		if got := p.attr("#f-severity option[selected]", "value"); got != f.Get("severity") {
			t.Errorf("%s: severity %q selected", query, got)
		}
		if want == nil && p.text("#incidents tbody td") != "No incident matches." {
			t.Errorf("%s: %q", query, p.text("#incidents tbody td"))
		}
	}
	for query, want := range map[string]string{
		"state=closed":   `state: "closed" is not open or resolved`,
		"severity=major": `severity: "major" is not one of critical, high, medium, low`,
	} {
		if got := b.get("/incidents?"+query).mustStatus(t, http.StatusBadRequest).text("#error"); got != want {
			t.Errorf("%s: %q, want %q", query, got, want)
		}
	}
}

// TestIncidentPage shows one incident, what it stops, where it is
// tracked and its audit entries, whose subject is its ID.
func TestIncidentPage(t *testing.T) {
	s := MustServe(t, nil, thursday)
	inc := mustOpenIncident(t, s, "alice", &andon.IncidentRequest{Title: "MRP scheduler down", Severity: andon.LevelCritical,
		Scope: andon.IncidentScope{Plants: []string{"lyon"}}, Link: "https://tracker.example.com/OPS-7?a=1&b=2"})
	// An entry of another subject is not the incident's.
	createChange(t, s, "alice", "prod-lyon", "Replenishment rules")

	b := s.MustSignIn(t, "frank")
	p := b.get("/incidents/inc-1").mustStatus(t, http.StatusOK)
	if got := p.text("h1"); got != "INC-1: MRP scheduler down" {
		t.Errorf("headed %q", got)
	}
	if got := p.text("title"); got != "INC-1: MRP scheduler down · andon" {
		t.Errorf("title %q", got)
	}
	for sel, want := range map[string]string{
		"#state":    "open",
		"#severity": "✖ critical",
		"#scope":    "plants lyon",
		"#opened":   "Thu 26 Nov 2026 09:00 UTC by alice",
		"#link":     "INC-1 where it is tracked",
	} {
		if got := p.text(sel); got != want {
			t.Errorf("%s: %q, want %q", sel, got, want)
		}
	}
	if got := p.attr("#link", "href"); got != inc.Link {
		t.Errorf("tracked at %q, want %q", got, inc.Link)
	}
	var envs []string
	for _, li := range p.all("#environments li") {
		envs = append(envs, textOf(li))
	}
	if want := []string{"dev (development)", "staging-lyon (staging)", "prod-lyon (production): ✖ stopped, only emergency changes may go ahead",
		"prod-subsidiaries (production): ✖ stopped, only emergency changes may go ahead"}; !slices.Equal(envs, want) {
		t.Errorf("environments\n%q, want\n%q", envs, want)
	}
	entries := p.all("#audit-entries tbody tr[data-index]")
	if len(entries) != 1 {
		t.Fatalf("%d audit entries, want the opening alone", len(entries))
	}
	var cells []string
	for _, td := range p.all("#audit-entries tbody tr[data-index] td") {
		cells = append(cells, textOf(td))
	}
	index := attrOf(entries[0], "data-index")
	if want := []string{index, "2026-11-26 09:00:00", "incident.opened", "alice", "INC-1"}; !slices.Equal(cells, want) {
		t.Errorf("entry %q, want %q", cells, want)
	}
	if got := p.attr("#audit-entries a", "href"); got != "/audit/entries/"+index {
		t.Errorf("the entry links to %q", got)
	}
	if got := b.get("/incidents/INC-9").mustStatus(t, http.StatusNotFound).text("#error"); got != "no incident INC-9" {
		t.Errorf("no such incident: %q", got)
	}
	// Its resolution's address, got rather than posted, leads to it.
	if got := b.get("/incidents/INC-1/resolve").mustStatus(t, http.StatusSeeOther).location; got != "/incidents/INC-1" {
		t.Errorf("GET of the resolution: to %q", got)
	}
}

// TestOpenIncidentThroughTheForm: any signed-in user opens an incident
// from /incidents; a refusal is said beside the field it names, with
// what was typed, and writes nothing.
func TestOpenIncidentThroughTheForm(t *testing.T) {
	s := MustServe(t, nil, thursday)
	b := s.MustSignIn(t, "carol") // of lyon-ops: no role
	p := b.get("/incidents").mustStatus(t, http.StatusOK)
	if p.all("form#open") == nil || p.attr("#severity option[selected]", "value") != "critical" {
		t.Fatal("no form that opens an incident, critical unless said otherwise")
	}
	csrf := p.attr("form#open input[name=csrf]", "value")
	before := auditSize(t, s)

	refusals := []struct {
		name    string
		form    url.Values
		control string
		status  int
		said    string
	}{
		{"no scope", url.Values{"title": {"MRP down"}, "severity": {"critical"}}, "plants", http.StatusBadRequest,
			"scope: choose the plants, business processes or environments the incident stops, or tick “Every environment”"},
		{"every environment and a plant", url.Values{"title": {"MRP down"}, "severity": {"critical"}, "global": {"on"}, "plants": {"lyon"}}, "plants", http.StatusBadRequest,
			"scope: “Every environment” stops them all, and plants lyon are chosen besides: untick it, or choose none"},
		{"no title", url.Values{"title": {"  "}, "severity": {"critical"}, "plants": {"lyon"}}, "title", http.StatusBadRequest,
			"title: required: say what is wrong"},
		{"a plant the catalog lacks", url.Values{"title": {"MRP down"}, "severity": {"critical"}, "plants": {"lyon", "paris"}}, "plants", http.StatusBadRequest, ""},
		{"a link that is none", url.Values{"title": {"MRP down"}, "severity": {"high"}, "environments": {"prod-lyon"}, "link": {"javascript:alert(1)"}}, "link", http.StatusBadRequest, ""},
	}
	for _, tt := range refusals {
		form := url.Values{"csrf": {csrf}}
		for k, v := range tt.form {
			form[k] = v
		}
		p := b.post("/incidents", form).mustStatus(t, tt.status)
		said := p.text("#error[role=alert]")
		if tt.said != "" && said != tt.said {
			t.Errorf("%s: refused %q, want %q", tt.name, said, tt.said)
		}
		if got := p.text("#" + tt.control + "-refusal"); got != "✖ Refused: "+said {
			t.Errorf("%s: beside %s: %q, want the refusal %q", tt.name, tt.control, got, said)
		}
		if p.attr("#"+tt.control, "aria-invalid") != "true" || !strings.Contains(p.attr("#"+tt.control, "aria-describedby"), tt.control+"-refusal") {
			t.Errorf("%s: %s is not marked invalid and described by the refusal", tt.name, tt.control)
		}
		if !strings.HasPrefix(p.text("title"), "Refused: ") {
			t.Errorf("%s: page title %q", tt.name, p.text("title"))
		}
		// What was typed comes back.
		if got := p.attr("#title", "value"); got != tt.form.Get("title") {
			t.Errorf("%s: title given back as %q", tt.name, got)
		}
		if got := p.attr("#severity option[selected]", "value"); got != tt.form.Get("severity") {
			t.Errorf("%s: severity given back as %q", tt.name, got)
		}
		for _, list := range []string{"plants", "environments"} {
			var selected []string
			for _, o := range p.all("#" + list + " option[selected]") {
				selected = append(selected, attrOf(o, "value"))
			}
			want := slices.DeleteFunc(slices.Clone(tt.form[list]), func(n string) bool { return n == "paris" })
			if !slices.Equal(selected, want) {
				t.Errorf("%s: %s given back as %v, want %v", tt.name, list, selected, want)
			}
		}
	}
	if after := auditSize(t, s); after != before {
		t.Errorf("the refused forms wrote %d audit entries", after-before)
	}
	if list, err := s.incidents.FindIncidents(t.Context(), andon.IncidentFilter{}); err != nil || len(list) != 0 {
		t.Fatalf("after the refusals: %v, %v; want no incident", list, err)
	}

	form := url.Values{"csrf": {csrf}, "title": {"MRP scheduler down"}, "severity": {"critical"}, "plants": {"lyon"},
		"processes": {"production", "inventory"}, "link": {"https://tracker.example.com/OPS-7"}}
	p = b.post("/incidents", form)
	if p.status != http.StatusSeeOther || p.location != "/incidents/INC-1?done=opened" {
		t.Fatalf("opened: %d to %q, error %q", p.status, p.location, p.text("#error"))
	}
	p = b.get(p.location).mustStatus(t, http.StatusOK)
	if got := p.text("#done[role=status]"); got != "The incident is open." {
		t.Errorf("done %q", got)
	}
	inc, err := s.incidents.FindIncidentByID(t.Context(), "INC-1")
	if err != nil {
		t.Fatal(err)
	}
	want := andon.IncidentScope{Plants: []string{"lyon"}, Processes: []string{"production", "inventory"}}
	if inc.OpenedBy != "carol" || inc.State != andon.IncidentOpen || inc.Severity != andon.LevelCritical || inc.Link != form.Get("link") ||
		!slices.Equal(inc.Scope.Plants, want.Plants) || !slices.Equal(inc.Scope.Processes, want.Processes) || inc.Scope.Global {
		t.Errorf("opened %+v", inc)
	}
	if got := b.get("/").attr(`article[data-env="prod-lyon"]`, "class"); !strings.Contains(got, "stopped") {
		t.Errorf("the board's prod-lyon after the cord was pulled: class %q, want stopped", got)
	}

	// Every environment, however many are chosen besides.
	p = b.post("/incidents", url.Values{"csrf": {csrf}, "title": {"Cluster down"}, "severity": {"high"}, "global": {"1"}})
	if p.status != http.StatusSeeOther || p.location != "/incidents/INC-2?done=opened" {
		t.Fatalf("global: %d to %q, error %q", p.status, p.location, p.text("#error"))
	}
	if inc, err := s.incidents.FindIncidentByID(t.Context(), "INC-2"); err != nil || !inc.Scope.Global {
		t.Errorf("global: %+v, %v", inc, err)
	}
	if after := auditSize(t, s); after != before+2 {
		t.Errorf("two incidents opened: %d audit entries written, want 2", after-before)
	}
}

// TestResolveIncidentThroughTheForm: whoever opened an incident, a change
// manager or a platform admin resolves it from its page, with a comment;
// another user is offered no form and refused if they post it anyway.
func TestResolveIncidentThroughTheForm(t *testing.T) {
	s := MustServe(t, nil, thursday)
	mustOpenIncident(t, s, "carol", &andon.IncidentRequest{Title: "MRP scheduler down", Severity: andon.LevelCritical,
		Scope: andon.IncidentScope{Plants: []string{"lyon"}}})
	detail := "/incidents/INC-1"

	for user, may := range map[string]bool{"carol": true, "bob": true, "dave": true, "frank": false, "gus": false, "alice": false} {
		p := s.MustSignIn(t, user).get(detail).mustStatus(t, http.StatusOK)
		if got := p.all("form#resolve") != nil; got != may {
			t.Errorf("%s is offered the resolution: %v, want %v", user, got, may)
		}
		if !may && p.text("#resolve-refused") != "You may not resolve this incident: whoever opened it (carol), a change manager or a platform admin may." {
			t.Errorf("%s is not told why they may not resolve it: %q", user, p.text("#resolve-refused"))
		}
	}

	// Posted anyway, the server refuses it.
	gus := s.MustSignIn(t, "gus")
	before := auditSize(t, s)
	csrf := gus.get(detail).attr("input[name=csrf]", "value")
	p := gus.post(detail+"/resolve", url.Values{"csrf": {csrf}, "comment": {"looks fine from here"}}).mustStatus(t, http.StatusForbidden)
	if got := p.text("#error"); got != "gus may not resolve incident INC-1: whoever opened it (carol), a change manager or a platform admin may" {
		t.Errorf("gus resolving: %q", got)
	}
	if after := auditSize(t, s); after != before {
		t.Errorf("gus's refused resolution wrote %d audit entries", after-before)
	}

	// A resolution needs a comment: refused in the form, which keeps
	// what was typed and has the focus.
	bob := s.MustSignIn(t, "bob")
	before = auditSize(t, s) // after the session's token.created
	form := bob.get(detail).mustStatus(t, http.StatusOK)
	if got := form.text("#resolve-button"); got != "Resolve INC-1" {
		t.Errorf("the button reads %q", got)
	}
	csrf = form.attr("form#resolve input[name=csrf]", "value")
	p = bob.post(detail+"/resolve", url.Values{"csrf": {csrf}, "comment": {"   "}}).mustStatus(t, http.StatusBadRequest)
	if got := p.text("#resolve-refusal"); got != "✖ Refused: comment: say what was done, or why the incident no longer stops changes" {
		t.Errorf("no comment: in the form %q", got)
	}
	if p.all("#comment[autofocus]") == nil || !strings.Contains(p.attr("#comment", "aria-describedby"), "resolve-refusal") || rawTextOf(p.all("#comment")[0]) != "   " {
		t.Errorf("no comment: the comment field is not given back with the focus, described by the refusal")
	}
	if after := auditSize(t, s); after != before {
		t.Errorf("the refused resolutions wrote %d audit entries", after-before)
	}

	// Resolved, and the same form posted again (a double tap) is answered
	// as the first was, writing nothing more.
	s.now = thursday.Add(90 * time.Minute)
	resolve := url.Values{"csrf": {csrf}, "comment": {"scheduler restarted, backlog cleared"}}
	for i := range 2 {
		p := bob.post(detail+"/resolve", resolve)
		if p.status != http.StatusSeeOther || p.location != detail+"?done=resolved" {
			t.Fatalf("resolution posted %d times: %d to %q, error %q", i+1, p.status, p.location, p.text("#error"))
		}
	}
	if after := auditSize(t, s); after != before+1 {
		t.Errorf("resolution posted twice: %d entries written, want 1", after-before)
	}
	p = bob.get(detail+"?done=resolved").mustStatus(t, http.StatusOK)
	if got := p.text("#done"); got != "The incident is resolved." {
		t.Errorf("done %q", got)
	}
	if got := p.text("#resolved"); got != "Thu 26 Nov 2026 10:30 UTC by bob: “scheduler restarted, backlog cleared”" {
		t.Errorf("resolved %q", got)
	}
	if p.all("form#resolve") != nil || p.text("#state") != "resolved" {
		t.Error("a resolved incident is offered its resolution again")
	}
	var events []string
	for _, tr := range p.all("#audit-entries tbody tr[data-index]") {
		events = append(events, textOf(tr.FirstChild.NextSibling.NextSibling))
	}
	if want := []string{"incident.opened", "incident.resolved"}; !slices.Equal(events, want) {
		t.Errorf("audit entries %v, want %v", events, want)
	}
	if p := bob.get("/"); p.all("article.tile.stopped") != nil {
		t.Error("the board still shows tiles stopped by the resolved incident")
	}

	// Another comment on a resolved incident is refused, saying why.
	resolve.Set("comment", "again")
	if got := bob.post(detail+"/resolve", resolve).mustStatus(t, http.StatusConflict).text("#error"); !strings.HasPrefix(got, "incident INC-1 was resolved already") {
		t.Errorf("resolving again: %q", got)
	}
}

// TestIncidentPagesOfferNothingToReadOnlyOrKiosk: a read-only session
// and a wall screen see the incidents and are offered no form.
func TestIncidentPagesOfferNothingToReadOnlyOrKiosk(t *testing.T) {
	s := MustServe(t, nil, thursday)
	mustOpenIncident(t, s, "carol", &andon.IncidentRequest{Title: "MRP scheduler down", Severity: andon.LevelCritical,
		Scope: andon.IncidentScope{Plants: []string{"lyon"}}})
	ro, err := s.tokens.CreateReadOnlyToken(context.Background(), "bob", thursday.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	b := s.browser(t)
	b.post("/login", url.Values{"token": {ro}}).mustStatus(t, http.StatusSeeOther)
	p := b.get("/incidents").mustStatus(t, http.StatusOK)
	if p.all("form#open") != nil || p.text("#read-only") == "" || p.all("#incidents tr[data-incident=INC-1]") == nil {
		t.Error("a read-only session is offered to open an incident, or not told why not, or not shown the incidents")
	}
	p = b.get("/incidents/INC-1").mustStatus(t, http.StatusOK)
	if p.all("form#resolve") != nil || p.text("#read-only") == "" {
		t.Error("a read-only session of a change manager is offered the resolution, or not told why not")
	}
	csrf := p.attr("input[name=csrf]", "value")
	b.post("/incidents", url.Values{"csrf": {csrf}, "title": {"x"}, "severity": {"low"}, "global": {"1"}}).mustStatus(t, http.StatusForbidden)
	b.post("/incidents/INC-1/resolve", url.Values{"csrf": {csrf}, "comment": {"fine"}}).mustStatus(t, http.StatusForbidden)
	if inc, err := s.incidents.FindIncidentByID(t.Context(), "INC-1"); err != nil || inc.State != andon.IncidentOpen {
		t.Errorf("after the read-only session's forms: %+v, %v", inc, err)
	}

	kiosk := s.MustSignIn(t, "bob").get("/incidents?kiosk=1").mustStatus(t, http.StatusOK)
	if kiosk.all("form#open") != nil || kiosk.all("nav") != nil {
		t.Error("the wall screen's incidents offer a form or the menu")
	}
}

// TestIncidentsPageSaysWhenMoreMatch: the page lists 1000 incidents, the
// API's most, and says when more match rather than leave them out unsaid.
func TestIncidentsPageSaysWhenMoreMatch(t *testing.T) {
	s := MustServe(t, nil, thursday)
	n := &andon.AlertNotification{Version: "4"}
	for i := range 1001 {
		n.Alerts = append(n.Alerts, andon.Alert{Status: "firing", Fingerprint: fmt.Sprintf("f%04d", i),
			Labels: map[string]string{"alertname": fmt.Sprintf("Down%04d", i), "severity": "low", "plant": "lyon"}})
	}
	if _, err := s.incidents.ReceiveAlerts(andon.NewContextWithUser(t.Context(), &andon.User{Name: "alertmanager"}), n); err != nil {
		t.Fatal(err)
	}
	b := s.MustSignIn(t, "frank")
	p := b.get("/incidents?state=open").mustStatus(t, http.StatusOK)
	if got := len(p.all("#incidents tbody tr[data-incident]")); got != 1000 {
		t.Errorf("%d incidents listed, want 1000", got)
	}
	if got, want := p.text("#count"), "The first 1000 incidents that match, the open ones first, the latest updated first; more match, on the next page, or choose a state or a severity to see fewer."; got != want {
		t.Errorf("count %q, want %q", got, want)
	}
	// The next page lists the one more, and links back.
	next := p.attr("a#next-page", "href")
	if next != "/incidents?offset=1000&state=open" || p.all("a#previous-page") != nil {
		t.Fatalf("the first page links to the next %q and to a previous one: %v", next, p.all("a#previous-page") != nil)
	}
	p = b.get(next).mustStatus(t, http.StatusOK)
	if got := p.all("#incidents tbody tr[data-incident]"); len(got) != 1 || attrOf(got[0], "data-incident") != "am-f0000" {
		t.Errorf("the next page lists %d incidents, want the oldest, am-f0000", len(got))
	}
	if got, want := p.text("#count"), "Incidents 1001 to 1001 of those that match, the open ones first, the latest updated first."; got != want {
		t.Errorf("the next page's count %q, want %q", got, want)
	}
	if got := p.attr("a#previous-page", "href"); got != "/incidents?state=open" || p.all("a#next-page") != nil {
		t.Errorf("the next page links back to %q, want /incidents?state=open and no next page", got)
	}
	if got := b.get("/incidents?offset=5000").mustStatus(t, http.StatusOK).text("#count"); got != "No incident matches past the first 5000." {
		t.Errorf("past the end: %q", got)
	}
	if got := b.get("/incidents?offset=-1").mustStatus(t, http.StatusBadRequest).text("#error"); !strings.Contains(got, "offset") {
		t.Errorf("a negative offset: %q, want it named", got)
	}
	// One fewer is every one of them.
	if _, err := s.incidents.ResolveIncident(andon.NewContextWithUser(t.Context(), &andon.User{Name: "alertmanager"}), "am-f0000", "fixed"); err != nil {
		t.Fatal(err)
	}
	if got := b.get("/incidents?state=open").mustStatus(t, http.StatusOK).text("#count"); got != "1000 incidents, the open ones first." {
		t.Errorf("1000 open: count %q", got)
	}
}

// TestReopenIncidentThroughTheForm: a resolved incident's page opens it
// again as it was, for anyone whose session writes, the opener then
// being who pressed it; posted twice it is answered as it was the first
// time, and on an incident open already it is refused, saying why.
func TestReopenIncidentThroughTheForm(t *testing.T) {
	s := MustServe(t, nil, thursday)
	first := mustOpenIncident(t, s, "carol", &andon.IncidentRequest{Title: "MRP scheduler down", Severity: andon.LevelCritical,
		Scope: andon.IncidentScope{Plants: []string{"lyon"}, Environments: []string{"prod-geelong"}}, Link: "https://tracker.example.com/OPS-7"})
	bobCtx := andon.NewContextWithUser(t.Context(), &andon.User{Name: "bob", Roles: []string{andon.RoleChangeManager}})
	if _, err := s.incidents.ResolveIncident(bobCtx, "INC-1", "scheduler restarted"); err != nil {
		t.Fatal(err)
	}
	detail := "/incidents/INC-1"

	alice := s.MustSignIn(t, "alice") // no role: anyone may pull the cord again
	p := alice.get(detail).mustStatus(t, http.StatusOK)
	if p.all("form#resolve") != nil || p.text("#reopen-button") != "Open INC-1 again" {
		t.Fatalf("a resolved incident's page offers: resolve %v, reopen %q", p.all("form#resolve") != nil, p.text("#reopen-button"))
	}
	before := auditSize(t, s)
	form := url.Values{"csrf": {p.attr("form#reopen input[name=csrf]", "value")}}
	s.now = thursday.Add(2 * time.Hour)
	for i := range 2 {
		p := alice.post(detail+"/reopen", form)
		if p.status != http.StatusSeeOther || p.location != detail+"?done=reopened" {
			t.Fatalf("reopened %d times: %d to %q, error %q", i+1, p.status, p.location, p.text("#error"))
		}
	}
	if after := auditSize(t, s); after != before+1 {
		t.Errorf("reopened twice: %d entries written, want 1", after-before)
	}
	inc, err := s.incidents.FindIncidentByID(t.Context(), "INC-1")
	if err != nil {
		t.Fatal(err)
	}
	if inc.State != andon.IncidentOpen || inc.OpenedBy != "alice" || !inc.OpenedAt.Equal(s.now) || inc.Title != first.Title || inc.Severity != first.Severity ||
		inc.Link != first.Link || !slices.Equal(inc.Scope.Plants, first.Scope.Plants) || !slices.Equal(inc.Scope.Environments, first.Scope.Environments) {
		t.Errorf("opened again as %+v, want %+v by alice", inc, first)
	}
	p = alice.get(detail+"?done=reopened").mustStatus(t, http.StatusOK)
	if got := p.text("#done"); got != "The incident is open again." {
		t.Errorf("done %q", got)
	}
	if p.all("form#reopen") != nil || p.all("form#resolve") == nil {
		t.Error("opened again, its page offers to open it again, or not its opener to resolve it")
	}
	var events []string
	for _, tr := range p.all("#audit-entries tbody tr[data-index]") {
		events = append(events, textOf(tr.FirstChild.NextSibling.NextSibling))
	}
	if want := []string{"incident.opened", "incident.resolved", "incident.opened"}; !slices.Equal(events, want) {
		t.Errorf("audit entries %v, want %v", events, want)
	}

	// From a page left open on the resolved incident, another user's
	// press is refused: it is open already, and said so at the top only.
	bob := s.MustSignIn(t, "bob")
	p = bob.post(detail+"/reopen", url.Values{"csrf": {bob.get(detail).attr("input[name=csrf]", "value")}}).mustStatus(t, http.StatusConflict)
	if got := p.text("#error"); !strings.HasPrefix(got, "incident INC-1 is already open, since") {
		t.Errorf("reopening an open incident: %q", got)
	}
	if p.all("#resolve-refusal") != nil || p.all("form#resolve") == nil {
		t.Error("the refusal of reopening is said in the resolution's form, or that form is not offered")
	}

	// A read-only session, and a wall screen, are offered nothing.
	if _, err := s.incidents.ResolveIncident(bobCtx, "INC-1", "again"); err != nil {
		t.Fatal(err)
	}
	ro, err := s.tokens.CreateReadOnlyToken(context.Background(), "alice", thursday.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	rb := s.browser(t)
	rb.post("/login", url.Values{"token": {ro}}).mustStatus(t, http.StatusSeeOther)
	if p := rb.get(detail).mustStatus(t, http.StatusOK); p.all("form#reopen") != nil || p.text("#read-only") == "" {
		t.Error("a read-only session is offered to open the incident again, or not told why not")
	}
	if p := alice.get(detail+"?kiosk=1").mustStatus(t, http.StatusOK); p.all("form") != nil {
		t.Error("a wall screen is offered a form")
	}
}

// TestReopenGlobalIncidentThatNamesMore: an incident recorded global with
// plants besides, as andon took it before such a scope was refused, stops
// every environment; its page opens it again as it stopped, global,
// rather than refusing the scope it was recorded with.
func TestReopenGlobalIncidentThatNamesMore(t *testing.T) {
	s := MustServe(t, nil, thursday)
	mustOpenIncident(t, s, "carol", &andon.IncidentRequest{Title: "Network down", Severity: andon.LevelCritical,
		Scope: andon.IncidentScope{Global: true}})
	bobCtx := andon.NewContextWithUser(t.Context(), &andon.User{Name: "bob", Roles: []string{andon.RoleChangeManager}})
	if _, err := s.incidents.ResolveIncident(bobCtx, "INC-1", "switch replaced"); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", sqlstore.DataPath(s.dir))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE incidents SET body = replace(body, '"global":true', '"global":true,"plants":["lyon"]') WHERE id = 'INC-1'`); err != nil {
		t.Fatal(err)
	}
	if inc, err := s.incidents.FindIncidentByID(t.Context(), "INC-1"); err != nil || !inc.Scope.Global || !slices.Equal(inc.Scope.Plants, []string{"lyon"}) {
		t.Fatalf("the incident as recorded before: %+v, %v", inc, err)
	}

	alice := s.MustSignIn(t, "alice")
	detail := "/incidents/INC-1"
	p := alice.post(detail+"/reopen", url.Values{"csrf": {alice.get(detail).attr("form#reopen input[name=csrf]", "value")}})
	if p.status != http.StatusSeeOther || p.location != detail+"?done=reopened" {
		t.Fatalf("reopened: %d to %q, error %q", p.status, p.location, p.text("#error"))
	}
	inc, err := s.incidents.FindIncidentByID(t.Context(), "INC-1")
	if err != nil {
		t.Fatal(err)
	}
	if want := (andon.IncidentScope{Global: true}); inc.State != andon.IncidentOpen || !cmp.Equal(inc.Scope, want) {
		t.Errorf("opened again %s with scope %+v, want open with %+v", inc.State, inc.Scope, want)
	}
}
