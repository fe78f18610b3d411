package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
