package admission_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/andon-governance/andon"
)

// FuzzAdmit feeds arbitrary bodies to the reviewer, as the webhook's
// route does with what reaches it. Admit must not panic; a body it cannot
// read is an EINVALID error and no answer; any other body is answered with
// an AdmissionReview that carries the request's uid, whose outcome agrees
// with its verdict, and whose refusal is a 403 with a message. The gate
// refuses every image, so an answer that allows after asking the gate
// would have failed open.
func FuzzAdmit(f *testing.F) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"kind":"Pod"},"namespace":"odoo-lyon","operation":"CREATE","userInfo":{"username":"bob"},"object":{"kind":"Pod","spec":{"containers":[{"name":"c","image":"x"}]}}}}`,
		`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u"}}`,
		`{}`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	gate := &recordingGate{decide: func(ctx context.Context, req andon.GateRequest) (*andon.GateResult, error) {
		return &andon.GateResult{Allow: false, Reasons: []andon.Reason{{Code: "fuzz", Message: "refused by the fuzz test"}}}, nil
	}}
	rv := newReviewer(f, exampleCatalog(f), gate)
	f.Fuzz(func(t *testing.T, body []byte) {
		gate.mu.Lock()
		asked := len(gate.calls)
		gate.mu.Unlock()
		answer, outcome, err := rv.Admit(context.Background(), "", body)
		if err != nil {
			if andon.ErrorCode(err) != andon.EINVALID || answer != nil {
				t.Fatalf("error %v (code %s) with answer %q: want EINVALID and no answer", err, andon.ErrorCode(err), answer)
			}
			return
		}
		var in struct {
			Request struct {
				UID string `json:"uid"`
			} `json:"request"`
		}
		if err := json.Unmarshal(body, &in); err != nil {
			t.Fatalf("answered a body that does not decode: %v", err)
		}
		var out admissionv1.AdmissionReview
		if err := json.Unmarshal(answer, &out); err != nil {
			t.Fatalf("answer is not an AdmissionReview: %v\n%s", err, answer)
		}
		resp := out.Response
		switch {
		case out.APIVersion != "admission.k8s.io/v1" || out.Kind != "AdmissionReview" || out.Request != nil || resp == nil:
			t.Fatalf("answer envelope = %s", answer)
		case string(resp.UID) != in.Request.UID:
			t.Fatalf("response uid = %q, want the request's %q", resp.UID, in.Request.UID)
		case resp.Allowed != (outcome == andon.AdmissionAllowed || outcome == andon.AdmissionIgnored):
			t.Fatalf("allowed %v with outcome %q", resp.Allowed, outcome)
		case !resp.Allowed && (resp.Result == nil || resp.Result.Code != 403 || resp.Result.Message == ""):
			t.Fatalf("a refusal needs status 403 with a message: %+v", resp.Result)
		}
		gate.mu.Lock()
		asked = len(gate.calls) - asked
		gate.mu.Unlock()
		if asked > 0 && resp.Allowed {
			t.Fatalf("allowed (%s) though the gate refused: %s", outcome, body)
		}
	})
}
