package server_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const (
	startRefused     = "start: set only when a change is started (POST /api/v1/changes/{id}/transitions), not in a gate request"
	admissionRefused = "admission: set only by the admission webhook, not in a gate request"
)

func TestGate(t *testing.T) {
	change := &andon.Change{ID: "CHG-1", Environment: "prod-lyon", State: andon.StateApproved}
	noChange := []andon.Reason{{Code: "NO_APPROVED_CHANGE", Message: "no approved change carries this image"}}
	unknownEnv := []andon.Reason{{Code: andon.ReasonUnknownEnvironment, Message: `environment "prod-paris" not found`}}
	cannotDecide := []andon.Reason{{Code: andon.ReasonInternal}}
	body := `{"environment":"prod-lyon","image":"` + testImage + `","at":"2026-01-28T11:00:00Z"}`

	tests := []struct {
		name       string
		body       string
		result     *andon.GateResult
		err        error
		wantStatus int
		want       andon.GateResult
		// ignoreMessages is set where the handler writes the reason, so
		// that the test checks its code and not its wording.
		ignoreMessages bool
	}{
		{name: "allow", body: body,
			result:     &andon.GateResult{Allow: true, Change: change, AuditIndex: 7},
			wantStatus: http.StatusOK,
			want:       andon.GateResult{Allow: true, Reasons: []andon.Reason{}, Change: change, AuditIndex: 7}},
		{name: "deny", body: body,
			result:     &andon.GateResult{Reasons: noChange, AuditIndex: 8},
			wantStatus: http.StatusOK,
			want:       andon.GateResult{Reasons: noChange, AuditIndex: 8}},
		{name: "invalid", body: body,
			result:     &andon.GateResult{Reasons: unknownEnv, AuditIndex: 9},
			err:        andon.Errorf(andon.EINVALID, `environment "prod-paris" not found`),
			wantStatus: http.StatusBadRequest,
			want:       andon.GateResult{Reasons: unknownEnv, AuditIndex: 9}},
		{name: "invalid without result", body: body,
			err:        andon.Errorf(andon.EINVALID, "image: not pinned"),
			wantStatus: http.StatusBadRequest,
			want:       andon.GateResult{Reasons: []andon.Reason{{Code: andon.ReasonInternal, Message: "image: not pinned"}}}},
		{name: "service error", body: body,
			result:     &andon.GateResult{Reasons: []andon.Reason{{Code: andon.ReasonInternal, Message: "policy failed"}}},
			err:        errors.New("opa: eval: timeout"),
			wantStatus: http.StatusInternalServerError,
			want:       andon.GateResult{Reasons: []andon.Reason{{Code: andon.ReasonInternal, Message: "policy failed"}}}},
		{name: "service error without result", body: body,
			err:            errors.New("database is closed"),
			wantStatus:     http.StatusInternalServerError,
			want:           andon.GateResult{Reasons: cannotDecide},
			ignoreMessages: true},
		{name: "allow with an error", body: body,
			result:         &andon.GateResult{Allow: true, Change: change},
			err:            errors.New("audit append failed"),
			wantStatus:     http.StatusInternalServerError,
			want:           andon.GateResult{Change: change, Reasons: cannotDecide},
			ignoreMessages: true},
		{name: "neither result nor error", body: body,
			wantStatus:     http.StatusInternalServerError,
			want:           andon.GateResult{Reasons: cannotDecide},
			ignoreMessages: true},
		{name: "unknown field", body: `{"environment":"prod-lyon","image":"x","force":true}`,
			wantStatus: http.StatusBadRequest,
			want:       andon.GateResult{Reasons: []andon.Reason{{Code: andon.ReasonInternal, Message: `request body: unknown field "force"`}}}},
		{name: "environment given twice", body: `{"environment":"prod-lyon","image":"x","environment":"dev"}`,
			wantStatus: http.StatusBadRequest,
			want:       andon.GateResult{Reasons: []andon.Reason{{Code: andon.ReasonInternal, Message: `request body: field "environment" given twice`}}}},
		// A null where a value goes would be read as its absence: a
		// "dryRun": null as a real decision.
		{name: "dryRun null", body: `{"environment":"prod-lyon","image":"x","dryRun":null}`,
			wantStatus: http.StatusBadRequest,
			want:       andon.GateResult{Reasons: []andon.Reason{{Code: andon.ReasonInternal, Message: `request body: field "dryRun" is null: give true or false, or leave the field out for its default`}}}},
		{name: "at null", body: `{"environment":"prod-lyon","image":"x","at":null}`,
			wantStatus: http.StatusBadRequest,
			want:       andon.GateResult{Reasons: []andon.Reason{{Code: andon.ReasonInternal, Message: `request body: field "at" is null: give an RFC 3339 time, or leave the field out for its default`}}}},
		{name: "admission from a client", body: `{"environment":"prod-lyon","image":"x","admission":{"uid":"u","namespace":"odoo-lyon","kind":"Deployment","name":"odoo","operation":"CREATE","user":"argocd"}}`,
			wantStatus: http.StatusBadRequest,
			want:       andon.GateResult{Reasons: []andon.Reason{{Code: andon.ReasonInternal, Message: admissionRefused}}}},
		// Only the server and the webhook set start and admission: a body
		// that names them is refused whatever their value, false and null
		// included, rather than read as if it did not.
		{name: "start from a client", body: `{"environment":"prod-lyon","image":"x","start":true}`,
			wantStatus: http.StatusBadRequest,
			want:       andon.GateResult{Reasons: []andon.Reason{{Code: andon.ReasonInternal, Message: startRefused}}}},
		{name: "start false", body: `{"environment":"prod-lyon","image":"x","start":false}`,
			wantStatus: http.StatusBadRequest,
			want:       andon.GateResult{Reasons: []andon.Reason{{Code: andon.ReasonInternal, Message: startRefused}}}},
		{name: "start null", body: `{"environment":"prod-lyon","image":"x","start":null}`,
			wantStatus: http.StatusBadRequest,
			want:       andon.GateResult{Reasons: []andon.Reason{{Code: andon.ReasonInternal, Message: startRefused}}}},
		{name: "admission null", body: `{"environment":"prod-lyon","image":"x","admission":null}`,
			wantStatus: http.StatusBadRequest,
			want:       andon.GateResult{Reasons: []andon.Reason{{Code: andon.ReasonInternal, Message: admissionRefused}}}},
		{name: "admission empty", body: `{"environment":"prod-lyon","image":"x","admission":{}}`,
			wantStatus: http.StatusBadRequest,
			want:       andon.GateResult{Reasons: []andon.Reason{{Code: andon.ReasonInternal, Message: admissionRefused}}}},
		{name: "admission of the wrong shape", body: `{"environment":"prod-lyon","image":"x","admission":false}`,
			wantStatus: http.StatusBadRequest,
			want:       andon.GateResult{Reasons: []andon.Reason{{Code: andon.ReasonInternal, Message: admissionRefused}}}},
		{name: "empty body",
			wantStatus: http.StatusBadRequest,
			want:       andon.GateResult{Reasons: []andon.Reason{{Code: andon.ReasonInternal, Message: "request body: empty; want a JSON object"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.gate.decide = func(andon.GateRequest) (*andon.GateResult, error) { return tt.result, tt.err }
			r := f.do(t, "POST", "/api/v1/gate", "carol-token", tt.body)
			if r.status != tt.wantStatus {
				t.Errorf("status = %d, want %d (body %s)", r.status, tt.wantStatus, r.body)
			}
			got := decode[andon.GateResult](t, r)
			if got.Allow && r.status != http.StatusOK {
				t.Errorf("allow true with status %d", r.status)
			}
			var opts []cmp.Option
			if tt.ignoreMessages {
				opts = append(opts, cmpopts.IgnoreFields(andon.Reason{}, "Message"))
			}
			if diff := cmp.Diff(tt.want, got, opts...); diff != "" {
				t.Errorf("result mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGateRequestReachesService(t *testing.T) {
	f := newFixture(t)
	r := f.do(t, "POST", "/api/v1/gate", aliceToken, `{"environment":"prod-lyon","image":"`+testImage+`","at":"2026-01-28T12:00:00+01:00","dryRun":true}`)
	if r.status != http.StatusOK {
		t.Fatalf("status = %d, want 200 (body %s)", r.status, r.body)
	}
	want := andon.GateRequest{Environment: "prod-lyon", Image: testImage, At: time.Date(2026, 1, 28, 11, 0, 0, 0, time.UTC), DryRun: true}
	if diff := cmp.Diff(want, f.gate.got, cmpopts.EquateApproxTime(0)); diff != "" {
		t.Errorf("request mismatch (-want +got):\n%s", diff)
	}
}

func TestGateInternalMessageNamesRequest(t *testing.T) {
	f := newFixture(t)
	f.gate.decide = func(andon.GateRequest) (*andon.GateResult, error) { return nil, errors.New("database is closed") }
	r := f.do(t, "POST", "/api/v1/gate", aliceToken, `{"environment":"prod-lyon","image":"x"}`, "X-Request-Id", "gate-1")
	got := decode[andon.GateResult](t, r)
	if len(got.Reasons) != 1 || !strings.Contains(got.Reasons[0].Message, "gate-1") || strings.Contains(got.Reasons[0].Message, "database") {
		t.Errorf("reasons = %+v, want one naming the request id and hiding the cause", got.Reasons)
	}
	if recs := f.logs.records(t, "gate could not decide"); len(recs) != 1 || recs[0]["err"] != "database is closed" {
		t.Errorf("log records = %v, want one with the cause", recs)
	}
}
