package web_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
	"github.com/andon-governance/andon/sqlstore"
	"github.com/andybalholm/cascadia"
	"github.com/google/go-cmp/cmp"
)

// mustCheckEvidence checks an export as andon audit verify-export does,
// with the stack's verifier key alone, and returns it.
func mustCheckEvidence(t *testing.T, s *stack, body string) *andon.Evidence {
	t.Helper()
	var ev andon.Evidence
	if err := json.Unmarshal([]byte(body), &ev); err != nil {
		t.Fatalf("the evidence is not JSON: %v\n%.300s", err, body)
	}
	v, err := auditlog.LoadVerifier(auditlog.PubPath(s.dir))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := auditlog.CheckEvidence(&ev, v); err != nil {
		t.Fatalf("the evidence does not verify: %v", err)
	}
	return &ev
}

func TestChangeEvidenceDownload(t *testing.T) {
	s := MustServe(t, nil, thursday)
	// A deployment to staging records a standard change and the gate's
	// decision, whose subject is the environment: both are its history.
	ctx := andon.NewContextWithUser(t.Context(), &andon.User{Name: "alice"})
	res, err := s.gate.Decide(ctx, andon.GateRequest{Environment: "staging-lyon", Image: image})
	if err != nil || !res.Allow || res.Change == nil {
		t.Fatalf("gate: %+v, %v", res, err)
	}
	createChange(t, s, "alice", "dev", "Another <change> & more")
	id := res.Change.ID

	b := s.MustSignIn(t, "frank")
	p := b.get("/changes/"+id).mustStatus(t, http.StatusOK)
	href := p.attr("a#evidence-download", "href")
	if href != "/changes/"+id+"/evidence" || p.text("a#evidence-download") != "Download evidence" {
		t.Fatalf("the change's page links to %q (%q), want its evidence", href, p.text("a#evidence-download"))
	}
	if got, want := p.text("#evidence code"), "andon audit verify-export "+id+".evidence.json --key audit.pub"; got != want {
		t.Errorf("how to check it offline: %q, want %q", got, want)
	}
	d := b.get(href).mustStatus(t, http.StatusOK)
	if got, want := d.header.Get("Content-Disposition"), `attachment; filename="`+id+`.evidence.json"`; got != want {
		t.Errorf("Content-Disposition %q, want %q", got, want)
	}
	if got := d.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type %q", got)
	}
	ev := mustCheckEvidence(t, s, d.body)
	if diff := cmp.Diff(andon.AuditFilter{Change: id, After: -1}, ev.Filter); diff != "" {
		t.Errorf("the export's filter (-want +got):\n%s", diff)
	}
	if rows := len(p.all("#audit-entries tr[data-index]")); len(ev.Entries) != rows || rows < 2 || ev.More {
		t.Errorf("the export holds %d entries (more %v), the page lists %d", len(ev.Entries), ev.More, rows)
	}
	// Indented as andon audit export writes it (cmd/andon's
	// TestAuditExportFromTheBoard compares the two byte for byte).
	if !strings.HasPrefix(d.body, "{\n  \"filter\": {\n") || !strings.HasSuffix(d.body, "}\n") {
		t.Errorf("the export is not indented as andon audit export writes it:\n%.200s", d.body)
	}

	b.get("/changes/CHG-999/evidence").mustStatus(t, http.StatusNotFound)
	b.get("/changes/"+id+"/evidence?after=first").mustStatus(t, http.StatusBadRequest)
	if got := s.browser(t).get(href); got.status != http.StatusSeeOther || !strings.HasPrefix(got.location, "/login?next=") {
		t.Errorf("the evidence without a session: %d to %q, want the sign-in page", got.status, got.location)
	}
}

// TestChangeEvidenceInParts downloads the evidence of changes whose
// histories take more than one export holds, in bytes of records and in
// entries, from the links of the change's page: it offers every part, each
// file's name says where it stops, and the part after it holds the rest.
func TestChangeEvidenceInParts(t *testing.T) {
	s := MustServe(t, nil, thursday)
	// Each record escapes every < as \u003c: the creation takes about 4
	// MB, and the cancellation's comment 400 kB more, past
	// andon.MaxEvidenceBytes.
	paths := make([]string, andon.MaxFactItems)
	for i := range paths {
		paths[i] = strings.Repeat("<", andon.MaxFactLength)
	}
	evidence := map[string][]string{}
	for _, key := range andon.EvidenceKeys {
		evidence[key] = paths
	}
	ctx := andon.NewContextWithUser(t.Context(), &andon.User{Name: "alice"})
	large, err := s.changes.CreateChange(ctx, &andon.ChangeRequest{Environment: "dev", Type: andon.ChangeNormal, Title: "Large",
		Description: strings.Repeat("<", andon.MaxText), Artifacts: []string{image}, Facts: andon.Facts{Evidence: evidence}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.changes.Transition(ctx, large.ID, andon.StateCancelled, strings.Repeat("<", andon.MaxText)); err != nil {
		t.Fatal(err)
	}
	// A deployment to staging records a change, its move to implementing
	// and the gate's decision; 8 × 126 more decisions make a history of
	// 1011 entries, past the 1000 an export holds.
	res, err := s.gate.Decide(ctx, andon.GateRequest{Environment: "staging-lyon", Image: image})
	if err != nil || res.Change == nil {
		t.Fatalf("gate: %+v, %v", res, err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 126 {
				if _, err := s.gate.Decide(ctx, andon.GateRequest{Environment: "staging-lyon", Image: image}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()

	b := s.MustSignIn(t, "frank")
	for _, tt := range []struct {
		id      string
		entries []int // in each part
	}{
		{large.ID, []int{1, 1}},
		{res.Change.ID, []int{1000, 11}},
	} {
		p := b.get("/changes/"+tt.id).mustStatus(t, http.StatusOK)
		parts := p.all("#evidence-parts li")
		if len(parts) != len(tt.entries) {
			t.Fatalf("%s: the page offers %d parts of its evidence, want %d: %q", tt.id, len(parts), len(tt.entries), p.text("#evidence"))
		}
		if got, want := p.attr("a#evidence-download", "href"), "/changes/"+tt.id+"/evidence"; got != want {
			t.Errorf("%s: the first part is %q, want %q", tt.id, got, want)
		}
		after := int64(-1)
		for i, li := range parts {
			link := cascadia.Query(li, cascadia.MustCompile("a"))
			file := textOf(cascadia.Query(li, cascadia.MustCompile("code")))
			d := b.get(attrOf(link, "href")).mustStatus(t, http.StatusOK)
			if got, want := d.header.Get("Content-Disposition"), `attachment; filename="`+file+`"`; got != want {
				t.Errorf("%s part %d: Content-Disposition %q, want the name the page gives, %q", tt.id, i+1, got, want)
			}
			part := mustCheckEvidence(t, s, d.body)
			more := i < len(parts)-1
			if len(part.Entries) != tt.entries[i] || part.More != more || part.Filter.After != after {
				t.Fatalf("%s part %d: %d entries after %d, more %v; want %d after %d, more %v",
					tt.id, i+1, len(part.Entries), part.Filter.After, part.More, tt.entries[i], after, more)
			}
			after = part.Entries[len(part.Entries)-1].Index
			if got := attrOf(li, "data-last"); got != strconv.FormatInt(after, 10) {
				t.Errorf("%s part %d: the page says it ends at entry %s, the file at %d", tt.id, i+1, got, after)
			}
		}
		if got, want := p.text("#evidence-parts li:last-child a"), fmt.Sprintf("Download evidence, part %d of %d", len(parts), len(parts)); got != want {
			t.Errorf("%s: the last link says %q, want %q", tt.id, got, want)
		}
	}
	// A change whose history one export holds is offered one file.
	c := createChange(t, s, "alice", "dev", "Small")
	if p := b.get("/changes/" + c.ID); p.all("#evidence-parts") != nil || p.attr("a#evidence-download", "href") != "/changes/"+c.ID+"/evidence" {
		t.Errorf("%s: a history of one export is offered in parts: %q", c.ID, p.text("#evidence"))
	}
}

// preText returns the text of the first node matching selector as it is,
// its white space kept, as a pre element holds it.
func (p *page) preText(selector string) string {
	nodes := p.all(selector)
	if len(nodes) == 0 {
		return ""
	}
	return rawTextOf(nodes[0])
}

func TestAuditEntryPage(t *testing.T) {
	s := MustServe(t, nil, thursday)
	c := createChange(t, s, "alice", "dev", `Label printer <script>alert("fix")</script> & more`)
	createChange(t, s, "alice", "dev", "Another")
	b := s.MustSignIn(t, "frank")

	// The audit page and the change's page open each entry.
	audit := b.get("/audit?change="+c.ID).mustStatus(t, http.StatusOK)
	href := audit.attr("#entries tr[data-index] a", "href")
	index := audit.attr("#entries tr[data-index]", "data-index")
	if href != "/audit/entries/"+index {
		t.Fatalf("the audit page links entry %s to %q", index, href)
	}
	if got := b.get("/changes/"+c.ID).attr("#audit-entries tr[data-index] a", "href"); got != href {
		t.Errorf("the change's page links its first entry to %q, want %q", got, href)
	}

	p := b.get(href).mustStatus(t, http.StatusOK)
	if got, want := p.text("title"), "Audit entry "+index+" · andon"; got != want {
		t.Errorf("page title %q, want %q", got, want)
	}
	var facts []string
	for _, dd := range p.all("#entry dd") {
		facts = append(facts, textOf(dd))
	}
	if want := []string{"2026-11-26 09:00:00", andon.EventChangeCreated, "alice", c.ID}; !slices.Equal(facts, want) {
		t.Errorf("the entry's facts %q, want %q", facts, want)
	}
	// The whole record, indented, as text: what it holds is shown, never
	// run.
	record := p.preText("#record")
	if !strings.Contains(record, "\n  \"data\": {\n") || !strings.Contains(record, `"title": "Label printer \u003cscript\u003ealert(\"fix\")\u003c/script\u003e \u0026 more"`) {
		t.Errorf("the record is not shown whole and indented:\n%s", record)
	}
	if p.all("#record *") != nil || p.all("main script") != nil {
		t.Error("the record holds elements")
	}
	if got := p.text("#proof-result"); !strings.Contains(got, "Checked on this server") {
		t.Errorf("#proof-result %q", got)
	}
	if got, want := p.text("#offline code"), "andon audit proof "+index+" -o json | andon audit verify-export - --key audit.pub"; got != want {
		t.Errorf("how to check it offline: %q, want %q", got, want)
	}
	// The proof shown is one: with the record and the signed note as the
	// page gives them, it checks with the log's public key alone.
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(record)); err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.ParseInt(index, 10, 64)
	size, _ := strconv.ParseInt(p.text("#cp-size"), 10, 64)
	proof := &andon.Proof{Index: n, Record: compact.Bytes(), LeafHash: p.text("#leaf-hash"),
		Checkpoint: andon.Checkpoint{Origin: p.text("#cp-origin"), Size: size, RootHash: p.text("#cp-root"), Note: p.preText("#note")}}
	for _, li := range p.all("#proof-hashes li") {
		proof.Hashes = append(proof.Hashes, textOf(li))
	}
	v, err := auditlog.LoadVerifier(auditlog.PubPath(s.dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := auditlog.CheckProof(proof, v); err != nil || len(proof.Hashes) == 0 {
		t.Errorf("the proof the page shows does not check offline (%d hashes): %v", len(proof.Hashes), err)
	}
	if p.attr("a[rel=next]", "href") != fmt.Sprintf("/audit/entries/%d", n+1) {
		t.Errorf("the next entry: %q", p.attr("a[rel=next]", "href"))
	}

	// An entry altered behind the store's back is shown as it is now,
	// and its proof fails.
	raw, err := sql.Open("sqlite", sqlstore.DataPath(s.dir))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE audit_entries SET record = replace(record, '"alice"', '"mallory"') WHERE idx = ?`, n); err != nil {
		t.Fatal(err)
	}
	p = b.get(href).mustStatus(t, http.StatusOK)
	if got := p.text("#proof-result[role=status].alert"); !strings.Contains(got, "The proof does not hold") || !strings.Contains(p.text("#entry"), "mallory") {
		t.Errorf("a record altered: #proof-result %q, facts %q", got, p.text("#entry"))
	}

	// Another way of writing an index is sent, for good, to the entry's
	// one address, where the page showed it under each.
	for _, path := range []string{"/audit/entries/0" + index, "/audit/entries/+" + index, "/audit/entries/%20" + index,
		"/audit/entries/" + index + "%0A", "/audit/entries/%2B00" + index} {
		if got := b.get(path).mustStatus(t, http.StatusMovedPermanently).location; got != href {
			t.Errorf("%s: to %q, want %q", path, got, href)
		}
	}
	if got := b.get("/audit/entries/-0").mustStatus(t, http.StatusMovedPermanently).location; got != "/audit/entries/0" {
		t.Errorf("/audit/entries/-0: to %q, want entry 0", got)
	}
	for _, path := range []string{"/audit/entries/999", "/audit/entries/-1", "/audit/entries/first", "/audit/entries/1.0",
		"/audit/entries/0x1", "/audit/entries/1e3", "/audit/entries/%2B-1", "/audit/entries/99999999999999999999"} {
		if got := b.get(path).mustStatus(t, http.StatusNotFound).text("#error"); !strings.Contains(got, "no audit entry") {
			t.Errorf("%s: %q", path, got)
		}
	}
}

// TestAuditByProcess filters the audit page by business process and
// period, chosen among the catalog's processes, and downloads the
// evidence of the changes that touched finance in a period: the pages and
// the download keep the filter, and the export verifies offline.
func TestAuditByProcess(t *testing.T) {
	s := MustServe(t, nil, thursday)
	ctx := andon.NewContextWithUser(t.Context(), &andon.User{Name: "alice"})
	newChange := func(req andon.ChangeRequest) string {
		t.Helper()
		c, err := s.changes.CreateChange(ctx, &req)
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	// A finance change of the day before, out of the period.
	s.now = thursday.Add(-24 * time.Hour)
	before := newChange(andon.ChangeRequest{Environment: "dev", Type: andon.ChangeNormal, Title: "Last month's close", Processes: []string{"finance"}})
	s.now = thursday
	// More finance changes than a page holds: named, or through the
	// modules that implement it.
	var finance []string
	for i := range 51 {
		req := andon.ChangeRequest{Environment: "dev", Type: andon.ChangeNormal, Title: fmt.Sprintf("Invoice layout %d", i), Facts: andon.Facts{Modules: []string{"account"}}}
		if i%2 == 0 {
			req = andon.ChangeRequest{Environment: "dev", Type: andon.ChangeNormal, Title: fmt.Sprintf("Closing checklist %d", i), Processes: []string{"finance"}}
		}
		finance = append(finance, newChange(req))
	}
	createChange(t, s, "alice", "dev", "Unrelated")

	b := s.MustSignIn(t, "frank")
	subjects := func(p *page) []string {
		var got []string
		for _, row := range p.all("#entries tr[data-index] td[data-label=Subject]") {
			got = append(got, textOf(row))
		}
		return got
	}
	p := b.get("/audit?process=finance&since=2026-11-26&until=2026-11-27").mustStatus(t, http.StatusOK)
	if got := p.attr("select#a-process option[selected]", "value"); got != "finance" {
		t.Errorf("process finance: the choice holds %q", got)
	}
	if got := p.attr("input#a-since", "value") + " " + p.attr("input#a-until", "value"); got != "2026-11-26 2026-11-27" {
		t.Errorf("the period: %q", got)
	}
	if got := p.text("details#audit-filter-panel > summary"); got != "Filters (3 set)" {
		t.Errorf("summary %q", got)
	}
	got := subjects(p)
	next := p.attr("a[rel=next]", "href")
	if next == "" {
		t.Fatalf("no next page after %d entries", len(got))
	}
	p = b.get(next).mustStatus(t, http.StatusOK)
	if got := p.attr("select#a-process option[selected]", "value"); got != "finance" {
		t.Errorf("the next page's choice holds %q", got)
	}
	got = append(got, subjects(p)...)
	if !slices.Equal(got, finance) {
		t.Errorf("the entries of finance in the period: %v, want %v", got, finance)
	}
	if first := p.attr("a[rel=prev]", "href"); first != "/audit?after=-1&process=finance&since=2026-11-26&until=2026-11-27" {
		t.Errorf("the first page: %q", first)
	}

	// The evidence of the filter, from the first entry, whichever page
	// links it.
	href := p.attr("a#audit-evidence-download", "href")
	if href != "/audit/evidence?process=finance&since=2026-11-26&until=2026-11-27" {
		t.Fatalf("the evidence link: %q", href)
	}
	d := b.get(href).mustStatus(t, http.StatusOK)
	if got, want := d.header.Get("Content-Disposition"), `attachment; filename="audit.evidence.json"`; got != want {
		t.Errorf("Content-Disposition %q, want %q", got, want)
	}
	ev := mustCheckEvidence(t, s, d.body)
	since, until := thursday.Truncate(24*time.Hour), thursday.Truncate(24*time.Hour).Add(24*time.Hour)
	if diff := cmp.Diff(andon.AuditFilter{Process: "finance", Since: &since, Until: &until, After: -1}, ev.Filter); diff != "" {
		t.Errorf("the export's filter (-want +got):\n%s", diff)
	}
	var exported []string
	for _, e := range ev.Entries {
		entry, err := auditlog.Decode(e.Record)
		if err != nil {
			t.Fatal(err)
		}
		exported = append(exported, entry.Subject)
	}
	if !slices.Equal(exported, finance) || ev.More {
		t.Errorf("the export holds %v (more %v), want %v", exported, ev.More, finance)
	}

	// Without the period, the change of the day before is in.
	p = b.get("/audit?process=finance").mustStatus(t, http.StatusOK)
	if got := subjects(p); len(got) == 0 || got[0] != before {
		t.Errorf("finance at any time starts with %v, want %s", got, before)
	}
	// Verifying the entries shown keeps the filter.
	form := url.Values{}
	for _, in := range p.all("form#verify input[type=hidden]") {
		if name := attrOf(in, "name"); name != "csrf" {
			form.Set(name, attrOf(in, "value"))
		}
	}
	p = b.submit("/audit?process=finance", "/audit/verify", form).mustStatus(t, http.StatusOK)
	if got := p.attr("select#a-process option[selected]", "value"); got != "finance" {
		t.Errorf("after verifying, the choice holds %q", got)
	}
	if got := p.text("#last-verify"); !strings.Contains(got, "(process finance)") {
		t.Errorf("the verification: %q", got)
	}

	// A process the catalog no longer holds is still a choice, and keeps
	// its entries: here none.
	p = b.get("/audit?process=payroll").mustStatus(t, http.StatusOK)
	if got := p.attr("select#a-process option[selected]", "value"); got != "payroll" {
		t.Errorf("process payroll: the choice holds %q", got)
	}
	if got := p.text("table#entries td"); got != "No entry matches." {
		t.Errorf("process payroll: %q", got)
	}

	b.get("/audit?since=26/11/2026").mustStatus(t, http.StatusBadRequest)
	b.get("/audit?since=2026-11-27&until=2026-11-26").mustStatus(t, http.StatusBadRequest)
	b.get("/audit/evidence").mustStatus(t, http.StatusBadRequest)
}
