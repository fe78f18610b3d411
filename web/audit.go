package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
	"golang.org/x/mod/sumdb/note"
)

// auditView is the data of the audit page.
type auditView struct {
	Checkpoint *andon.Checkpoint
	Filter     andon.AuditFilter
	Entries    []*andon.Entry
	Types      []string
	Last       *verifyResult
	// Failed is the last verification that failed, when it is not Last.
	Failed     *verifyResult
	Prev, Next string
	PrevLabel  string
	Latest     string
	// FilterCount is how many of the filters that keep only some
	// entries are set; Filtered, whether one is.
	FilterCount int
	Filtered    bool
	// Processes are the names of the business processes to filter by:
	// the catalog's, and the one asked for when the catalog no longer
	// holds it, whose changes' entries stay.
	Processes []string
	// Since and Until are the period's days as the form shows them
	// (YYYY-MM-DD), or "".
	Since, Until string
	// Evidence is the download of the export of the entries the filter
	// keeps, from the first, or "" without a filter.
	Evidence string
}

// dateLayout is how the audit page's period is given: a day, which
// stands for its midnight UTC, as andon audit entries --since takes it.
const dateLayout = "2006-01-02"

// auditFilter reads the filter of the audit page from the query or the
// verify form, from the first entry unless after is given.
func auditFilter(v url.Values) (andon.AuditFilter, error) {
	f := andon.AuditFilter{
		Type:    v.Get("type"),
		Actor:   strings.TrimSpace(v.Get("actor")),
		Subject: strings.TrimSpace(v.Get("subject")),
		Change:  strings.TrimSpace(v.Get("change")),
		Process: strings.TrimSpace(v.Get("process")),
		After:   -1,
		Limit:   pageSize,
	}
	if f.Type != "" && !slices.Contains(andon.EventTypes, f.Type) {
		return f, andon.Errorf(andon.EINVALID, "type: %q is not one of %s", f.Type, strings.Join(andon.EventTypes, ", "))
	}
	for _, end := range []struct {
		name string
		t    **time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		s := strings.TrimSpace(v.Get(end.name))
		if s == "" {
			continue
		}
		t, err := time.Parse(dateLayout, s)
		if err != nil {
			return f, andon.Errorf(andon.EINVALID, "%s: %q is not a day (YYYY-MM-DD)", end.name, s)
		}
		*end.t = &t
	}
	if f.Since != nil && f.Until != nil && !f.Since.Before(*f.Until) {
		return f, andon.Errorf(andon.EINVALID, "since and until: %s is not before %s", f.Since.Format(dateLayout), f.Until.Format(dateLayout))
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > pageSize {
			return f, andon.Errorf(andon.EINVALID, "limit: %q is not a number of entries from 1 to %d", s, pageSize)
		}
		f.Limit = n
	}
	if s := v.Get("after"); s != "" {
		after, err := strconv.ParseInt(s, 10, 64)
		if err != nil || after < -1 {
			return f, andon.Errorf(andon.EINVALID, "after: %q is not an entry index", s)
		}
		f.After = after
	}
	return f, nil
}

// filtered reports whether f keeps only some entries, rather than
// setting where the page starts and how long it is.
func filtered(f andon.AuditFilter) bool {
	return filterCount(f) > 0
}

// filterCount is how many of the filters that keep only some entries
// f sets.
func filterCount(f andon.AuditFilter) int {
	n := 0
	for _, set := range []bool{f.Type != "", f.Actor != "", f.Subject != "", f.Change != "", f.Process != "", f.Since != nil, f.Until != nil} {
		if set {
			n++
		}
	}
	return n
}

// filterQuery is the query that asks for the entries f keeps, from the
// first: the page's links and its evidence download carry it.
func filterQuery(f andon.AuditFilter) url.Values {
	q := url.Values{}
	for _, p := range []struct{ name, value string }{{"type", f.Type}, {"actor", f.Actor}, {"subject", f.Subject}, {"change", f.Change}, {"process", f.Process}} {
		if p.value != "" {
			q.Set(p.name, p.value)
		}
	}
	if f.Since != nil {
		q.Set("since", f.Since.Format(dateLayout))
	}
	if f.Until != nil {
		q.Set("until", f.Until.Format(dateLayout))
	}
	return q
}

// auditPage shows the signed checkpoint, the last verification and the
// entries of the log.
func (h *Handler) auditPage(w http.ResponseWriter, r *http.Request) error {
	v, err := h.auditView(r, r.URL.Query())
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "audit", v)
}

// auditView reads the page's data for the filter in values.
func (h *Handler) auditView(r *http.Request, values url.Values) (*auditView, error) {
	cat, err := h.catalog()
	if err != nil {
		return nil, err
	}
	cp, err := h.cfg.Audit.Checkpoint(r.Context())
	if err != nil {
		return nil, err
	}
	f, err := auditFilter(values)
	if err != nil {
		return nil, err
	}
	// Without a filter the page starts at the newest entries; with one,
	// at the oldest that match.
	if values.Get("after") == "" && !filtered(f) {
		f.After = max(-1, cp.Size-int64(f.Limit)-1)
	}
	// One more than asked tells whether there is a next page.
	limit := f.Limit
	f.Limit++
	entries, err := h.cfg.Audit.FindEntries(r.Context(), f)
	if err != nil {
		return nil, err
	}
	more := len(entries) > limit
	entries = entries[:min(len(entries), limit)]
	f.Limit = limit
	v := &auditView{Checkpoint: cp, Filter: f, Entries: entries, Types: andon.EventTypes}
	if last, failed := h.last(); failed != last {
		v.Last, v.Failed = last, failed
	} else {
		v.Last = last
	}
	for _, p := range cat.Processes {
		v.Processes = append(v.Processes, p.Name)
	}
	if f.Process != "" && !slices.Contains(v.Processes, f.Process) {
		v.Processes = append(v.Processes, f.Process)
	}
	if f.Since != nil {
		v.Since = f.Since.Format(dateLayout)
	}
	if f.Until != nil {
		v.Until = f.Until.Format(dateLayout)
	}
	v.FilterCount = filterCount(f)
	v.Filtered = v.FilterCount > 0
	if v.Filtered {
		v.Evidence = "/audit/evidence?" + filterQuery(f).Encode()
	}
	link := func(after int64) string {
		q := filterQuery(f)
		q.Set("after", strconv.FormatInt(after, 10))
		return "/audit?" + q.Encode()
	}
	if more {
		v.Next = link(entries[len(entries)-1].Index)
	}
	// Without a filter every index is an entry, so a page back is 50
	// indexes back, and the latest page is the last 50. The store reads
	// forward only, so a filtered listing goes back to its first page.
	switch {
	case f.After > -1 && filtered(f):
		v.Prev, v.PrevLabel = link(-1), "First"
	case f.After >= pageSize:
		v.Prev, v.PrevLabel = link(f.After-pageSize), "Earlier"
	case f.After > -1:
		// Fewer than a page before: the first entries, up to this page.
		v.Prev, v.PrevLabel = link(-1)+"&limit="+strconv.FormatInt(f.After+1, 10), "Earlier"
	}
	if !filtered(f) {
		v.Latest = link(max(-1, cp.Size-pageSize-1))
	}
	return v, nil
}

// auditVerify checks the signed checkpoint and the inclusion proofs of
// the entries the page shows, and shows the page with the result.
func (h *Handler) auditVerify(w http.ResponseWriter, r *http.Request) error {
	v, err := h.auditView(r, r.PostForm)
	if err != nil {
		return err
	}
	res, err := h.verifyEntries(r.Context(), auditScope(v.Filter), v.Entries)
	if err != nil {
		return err
	}
	// The page's last verification is everyone's: a check of no entry
	// (a filter that keeps none) does not replace one that checked some,
	// unless the checkpoint itself failed.
	if len(v.Entries) > 0 || !res.OK() {
		h.remember(res)
	}
	v.Last = res
	if _, failed := h.last(); failed != res {
		v.Failed = failed
	}
	return h.render(w, r, http.StatusOK, "audit", v)
}

// auditScope says which entries a verification from the audit page
// checked: those of its page, with its filter.
func auditScope(f andon.AuditFilter) string {
	var parts []string
	for _, p := range []struct{ name, value string }{{"type", f.Type}, {"actor", f.Actor}, {"subject", f.Subject}, {"change", f.Change}, {"process", f.Process}} {
		if p.value != "" {
			parts = append(parts, p.name+" "+p.value)
		}
	}
	if f.Since != nil {
		parts = append(parts, "since "+f.Since.Format(dateLayout))
	}
	if f.Until != nil {
		parts = append(parts, "until "+f.Until.Format(dateLayout))
	}
	of := "the entries of a page of the audit log"
	if len(parts) > 0 {
		of += " (" + strings.Join(parts, ", ") + ")"
	}
	return of
}

// changeEvidence serves the export of a change's history, its audit
// entries each with its inclusion proof in one signed checkpoint, as the
// file andon audit export --change writes, byte for byte: an auditor
// checks it offline with andon audit verify-export and the log's public
// key. A history longer than one export holds (andon.Evidence.More) comes
// in parts, which the file's name says (evidenceName); after, an entry
// index, asks for the part that follows it.
func (h *Handler) changeEvidence(w http.ResponseWriter, r *http.Request) error {
	c, err := h.cfg.Changes.FindChangeByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	after := int64(-1)
	if s := r.URL.Query().Get("after"); s != "" {
		if after, err = strconv.ParseInt(s, 10, 64); err != nil || after < -1 {
			return andon.Errorf(andon.EINVALID, "after: %q is not an entry index", s)
		}
	}
	ev, err := h.cfg.Audit.Evidence(r.Context(), andon.AuditFilter{Change: c.ID, After: after})
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := auditlog.WriteEvidence(&b, ev); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	// A change's ID is CHG- and digits: the name needs no escaping.
	last := int64(-1)
	if len(ev.Entries) > 0 {
		last = ev.Entries[len(ev.Entries)-1].Index
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+evidenceName(c.ID, after, last, ev.More)+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes())
	return nil
}

// auditEvidence serves the export of the entries the audit page's filter
// keeps (its query, as the page's evidence link carries it), as the file
// andon audit export writes with the same filter, byte for byte: the
// evidence of the changes of one business process in a period. An export
// holds 1000 entries at most; the file's name says when more follow, and
// after, an entry index, asks for the part that follows it.
func (h *Handler) auditEvidence(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, err := auditFilter(q)
	if err != nil {
		return err
	}
	if !filtered(f) {
		return andon.Errorf(andon.EINVALID, "the evidence of the audit page is that of a filter: give a type, actor, subject, change, process or period (andon audit export exports every entry)")
	}
	f.Limit = 0
	ev, err := h.cfg.Audit.Evidence(r.Context(), f)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := auditlog.WriteEvidence(&b, ev); err != nil {
		return err
	}
	last := int64(-1)
	if len(ev.Entries) > 0 {
		last = ev.Entries[len(ev.Entries)-1].Index
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="`+evidenceName("audit", f.After, last, ev.More)+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes())
	return nil
}

// evidenceName is the file name of an export of change id's history:
// CHG-12.evidence.json for the whole of it; a part names the entry it
// follows (CHG-12.evidence.after-2040.json) and, when more follow, the
// last entry it holds, from which the next part starts
// (CHG-12.evidence.to-2040.more-follow.json).
func evidenceName(id string, after, last int64, more bool) string {
	name := id + ".evidence"
	if after >= 0 {
		name += ".after-" + strconv.FormatInt(after, 10)
	}
	if more && last >= 0 {
		name += ".to-" + strconv.FormatInt(last, 10) + ".more-follow"
	}
	return name + ".json"
}

// evidencePart is one of the exports a change's history comes in.
type evidencePart struct {
	Number int    // from 1
	Href   string // its download
	File   string // the name it is downloaded as
	// After is the entry it follows (-1 for the first part), Last the
	// last it holds.
	After, Last int64
}

// evidenceParts are the exports of change id's history whose parts end
// at the entries lasts, each after the last of the one before.
func evidenceParts(id string, lasts []int64) []evidencePart {
	parts := make([]evidencePart, len(lasts))
	after := int64(-1)
	for i, last := range lasts {
		href := "/changes/" + url.PathEscape(id) + "/evidence"
		if after >= 0 {
			href += "?after=" + strconv.FormatInt(after, 10)
		}
		parts[i] = evidencePart{Number: i + 1, Href: href, File: evidenceName(id, after, last, i < len(lasts)-1), After: after, Last: last}
		after = last
	}
	return parts
}

// entryView is the data of an audit entry's page.
type entryView struct {
	Index int64
	// Entry is decoded from the record; nil when the record does not
	// decode, which Problem then says.
	Entry *andon.Entry
	// Record is the record as stored, indented: only whitespace is
	// added, which checking removes.
	Record string
	Proof  *andon.Proof
	// Problem says why the proof does not hold, checked on the server
	// with the checkpoint's public key; "" when it holds.
	Problem string
	// Prev and Next are the neighbouring entries' pages, or "".
	Prev, Next string
}

// auditEntry shows one entry of the log: its whole record and its
// inclusion proof in the tree of the latest signed checkpoint, checked
// on the server, with how to check it offline. An entry has one address:
// another way of writing its index (01, +1, " 1") is sent there for good.
func (h *Handler) auditEntry(w http.ResponseWriter, r *http.Request) error {
	s := r.PathValue("index")
	index, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || index < 0 {
		return andon.Errorf(andon.ENOTFOUND, "no audit entry %q: an entry is named by its index, a number from 0", s)
	}
	if canonical := strconv.FormatInt(index, 10); canonical != s {
		http.Redirect(w, r, "/audit/entries/"+canonical, http.StatusMovedPermanently)
		return nil
	}
	p, err := h.cfg.Audit.Proof(r.Context(), index)
	if err != nil {
		return err
	}
	v := &entryView{Index: index, Record: string(p.Record), Proof: p}
	var indented bytes.Buffer
	if json.Indent(&indented, p.Record, "", "  ") == nil {
		v.Record = indented.String()
	}
	if v.Entry, err = auditlog.Decode(p.Record); err != nil {
		v.Entry, v.Problem = nil, "the record does not decode: "+andon.ErrorMessage(err)
	} else if verifier, err := note.NewVerifier(p.Checkpoint.VerifierKey); err != nil {
		v.Problem = fmt.Sprintf("the checkpoint's public key cannot be read: %v", err)
	} else if err := auditlog.CheckProof(p, verifier); err != nil {
		v.Problem = andon.ErrorMessage(err)
	}
	if index > 0 {
		v.Prev = "/audit/entries/" + strconv.FormatInt(index-1, 10)
	}
	if index+1 < p.Checkpoint.Size {
		v.Next = "/audit/entries/" + strconv.FormatInt(index+1, 10)
	}
	return h.render(w, r, http.StatusOK, "audit-entry", v)
}
