package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/server"
)

// FuzzGateBody feeds arbitrary bodies to the gate and checks that it keeps
// its promise: a GateResult every time, and allow true only with 200.
func FuzzGateBody(f *testing.F) {
	for _, seed := range []string{
		`{"environment":"prod-lyon","image":"` + testImage + `"}`,
		`{"environment":"prod-lyon","image":"x","at":"2026-01-28T11:00:00Z"}`,
		`{"environment":"allow","image":"x"}`,
		`{"at":"tomorrow"}`,
		`{}{}`,
		`[]`,
		`null`,
		``,
	} {
		f.Add(seed)
	}
	gate := &gateService{decide: func(req andon.GateRequest) (*andon.GateResult, error) {
		// The service allows one environment and fails on another, so
		// that every path of the handler is reached.
		switch req.Environment {
		case "allow":
			return &andon.GateResult{Allow: true}, nil
		case "fail":
			return &andon.GateResult{Allow: true}, andon.Errorf(andon.EINTERNAL, "fail")
		}
		return nil, andon.Errorf(andon.EINVALID, "unknown environment")
	}}
	h := server.New(server.Config{
		Gate:    gate,
		Catalog: catalogSource{testCatalog()},
		Tokens:  tokenService{aliceToken: "alice"},
	})
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/api/v1/gate", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+aliceToken)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var got andon.GateResult
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatalf("body %q is not a GateResult: %v", rec.Body, err)
		}
		if got.Allow && rec.Code != http.StatusOK {
			t.Fatalf("allow true with status %d", rec.Code)
		}
		if !got.Allow && len(got.Reasons) == 0 && rec.Code != http.StatusOK {
			t.Fatalf("status %d denies without a reason", rec.Code)
		}
	})
}

// FuzzICSWindowName renders an occurrence of a window with an arbitrary
// name and checks that the calendar stays well formed: CRLF lines of at
// most 75 octets that unfold to the escaped summary.
func FuzzICSWindowName(f *testing.F) {
	for _, seed := range []string{"month-end-close", strings.Repeat("é", 60), "a;b,c\\d\ne", strings.Repeat("x", 200)} {
		f.Add(seed)
	}
	cal := &calendarService{}
	h := server.New(server.Config{
		Calendar: cal,
		Catalog:  catalogSource{testCatalog()},
		Tokens:   tokenService{aliceToken: "alice"},
		Now:      func() time.Time { return testNow },
	})
	f.Fuzz(func(t *testing.T, name string) {
		if !utf8.ValidString(name) {
			t.Skip("window names come from YAML, which is UTF-8")
		}
		cal.occurrences = []andon.Occurrence{{Window: name, Type: andon.WindowFreeze, Start: testNow, End: testNow.Add(time.Hour)}}
		req := httptest.NewRequest("GET", "/api/v1/calendar.ics?env=prod-lyon", nil)
		req.Header.Set("Authorization", "Bearer "+aliceToken)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		body := rec.Body.Bytes()
		if !bytes.HasSuffix(body, []byte("\r\n")) {
			t.Fatalf("calendar does not end with CRLF")
		}
		for _, line := range strings.Split(strings.TrimSuffix(string(body), "\r\n"), "\r\n") {
			if len(line) > 75 || strings.ContainsAny(line, "\r\n") || !utf8.ValidString(line) {
				t.Fatalf("bad line %q", line)
			}
		}
		unfolded := strings.ReplaceAll(string(body), "\r\n ", "")
		if !strings.Contains(unfolded, "\r\nSUMMARY:freeze: "+icsEscape(name)+"\r\n") {
			t.Fatalf("no summary for %q in\n%s", name, unfolded)
		}
	})
}

// icsEscape is the escaping of RFC 5545 TEXT, written independently of
// the server's.
func icsEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case strings.ContainsRune(`\;,`, r):
			b.WriteString(`\` + string(r))
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20 || r == 0x7f:
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
