package admission_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/google/go-cmp/cmp"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/admission"
	"github.com/andon-governance/andon/catalog"
	"github.com/andon-governance/andon/examples"
	"github.com/andon-governance/andon/policy"
)

// gateCall is one question the reviewer put to the gate.
type gateCall struct {
	req  andon.GateRequest
	user string
}

// recordingGate stands in for the gate in these tests of the reviewer's
// own logic; the end-to-end tests of cmd/andon use the real one. It
// answers with decide, or allows.
type recordingGate struct {
	mu     sync.Mutex
	calls  []gateCall
	decide func(ctx context.Context, req andon.GateRequest) (*andon.GateResult, error)
}

func (g *recordingGate) Decide(ctx context.Context, req andon.GateRequest) (*andon.GateResult, error) {
	g.mu.Lock()
	g.calls = append(g.calls, gateCall{req: req, user: andon.UserNameFromContext(ctx)})
	g.mu.Unlock()
	if g.decide != nil {
		return g.decide(ctx, req)
	}
	return &andon.GateResult{Allow: true, AuditIndex: 7}, nil
}

var (
	engineOnce sync.Once
	engine     *policy.Engine
	engineErr  error
)

func mustPolicy(t testing.TB) *policy.Engine {
	t.Helper()
	engineOnce.Do(func() { engine, engineErr = policy.New(context.Background(), "") })
	if engineErr != nil {
		t.Fatal(engineErr)
	}
	return engine
}

func exampleCatalog(t testing.TB) *andon.Catalog {
	t.Helper()
	cat, err := catalog.LoadFS(examples.Catalog, "catalog")
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func newReviewer(t testing.TB, cat *andon.Catalog, gate andon.GateService) *admission.Reviewer {
	return &admission.Reviewer{
		Catalog: andon.NewCatalogHolder(cat),
		Gate:    gate,
		Policy:  mustPolicy(t),
		Now:     func() time.Time { return time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC) },
	}
}

func mustRead(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// admit sends a review and decodes the answer, checking its envelope.
func admit(t *testing.T, r *admission.Reviewer, cluster string, body []byte) (*admissionv1.AdmissionResponse, string) {
	t.Helper()
	answer, outcome, err := r.Admit(context.Background(), cluster, body)
	if err != nil {
		t.Fatalf("Admit: %v", err)
	}
	var in, out admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &in); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(answer, &out); err != nil {
		t.Fatalf("answer is not an AdmissionReview: %v\n%s", err, answer)
	}
	if out.APIVersion != "admission.k8s.io/v1" || out.Kind != "AdmissionReview" || out.Request != nil || out.Response == nil {
		t.Fatalf("answer envelope = %s", answer)
	}
	if out.Response.UID != in.Request.UID {
		t.Errorf("response uid = %q, want the request's %q", out.Response.UID, in.Request.UID)
	}
	if !out.Response.Allowed && (out.Response.Result == nil || out.Response.Result.Code != 403 || out.Response.Result.Message == "") {
		t.Errorf("a refusal needs status 403 with a message: %+v", out.Response.Result)
	}
	return out.Response, outcome
}

const (
	imageA = "registry.example.com/odoo/odoo:17.0-20261120@sha256:860fbcae866422a78d9f0f54b40e08b277c382aca302130bc11d02a6b1d708d8"
	imageB = "registry.example.com/odoo/odoo:17.0-20261126@sha256:3d1e5a2f0b9c84e7a6d5c4b3a2918f7e6d5c4b3a29180f7e6d5c4b3a2918f7e6"
)

func TestRecordedReviews(t *testing.T) {
	tests := []struct {
		file    string
		allowed bool
		outcome string
		// images the gate is asked about, in order.
		images   []string
		dryRun   bool
		message  []string
		warnings []string
	}{
		{file: "deployment-create", allowed: true, outcome: andon.AdmissionAllowed, images: []string{imageA}},
		{file: "deployment-create-dry-run", allowed: true, outcome: andon.AdmissionAllowed, images: []string{imageA}, dryRun: true},
		// Scaling changes no image: the gate is not asked.
		{file: "deployment-update-replicas", allowed: true, outcome: andon.AdmissionAllowed},
		{file: "deployment-update-image", allowed: true, outcome: andon.AdmissionAllowed, images: []string{imageB}},
		// Deny rules refuse before the gate is asked, so that nothing is
		// recorded as a deployment; warn rules become warnings.
		{file: "deployment-create-unsafe", outcome: andon.AdmissionDenied,
			message:  []string{"Deployment odoo-lyon/odoo-web-2", "environment prod-lyon", "[image-digest]", "[run-as-non-root]", "[allow-privilege-escalation]", "docs/manifests.md"},
			warnings: []string{"andon [read-only-root-filesystem]"}},
		{file: "configmap-odoo-conf-password", outcome: andon.AdmissionDenied, message: []string{"ConfigMap odoo-lyon/odoo-conf", "[odoo-conf-password-in-configmap]"}},
		{file: "replicaset-controlled", allowed: true, outcome: andon.AdmissionIgnored},
		{file: "deployment-delete", allowed: true, outcome: andon.AdmissionIgnored},
		{file: "deployment-ungoverned", allowed: true, outcome: andon.AdmissionIgnored},
		{file: "deployment-scale-subresource", allowed: true, outcome: andon.AdmissionIgnored},
		// kubectl debug's container, of its default profile, in a Pod a
		// ReplicaSet owns: governed, and refused for the rule it breaks.
		{file: "pod-ephemeralcontainers", outcome: andon.AdmissionDenied,
			message: []string{"andon refused ephemeral container debugger-x7k2p of Pod odoo-lyon/odoo-web-7d9c5b8f6d-x2x9z", "environment prod-lyon",
				"[allow-privilege-escalation] Pod odoo-lyon/odoo-web-7d9c5b8f6d-x2x9z: ephemeral container debugger-x7k2p: allowPrivilegeEscalation is not false", "kubectl debug --profile=restricted"},
			warnings: []string{"andon [read-only-root-filesystem]: Pod odoo-lyon/odoo-web-7d9c5b8f6d-x2x9z: ephemeral container debugger-x7k2p: "}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			gate := &recordingGate{}
			resp, outcome := admit(t, newReviewer(t, exampleCatalog(t), gate), "", mustRead(t, tt.file))
			if resp.Allowed != tt.allowed || outcome != tt.outcome {
				t.Fatalf("allowed %v, outcome %s; want %v, %s; response %+v", resp.Allowed, outcome, tt.allowed, tt.outcome, resp)
			}
			var images []string
			for _, c := range gate.calls {
				images = append(images, c.req.Image)
				a := c.req.Admission
				if c.req.Environment != "prod-lyon" || c.req.Preview != tt.dryRun || c.req.DryRun || c.req.At != (time.Time{}) {
					t.Errorf("gate request = %+v; want prod-lyon now, a preview %v", c.req, tt.dryRun)
				}
				if a == nil || a.Namespace != "odoo-lyon" || a.Kind != "Deployment" || a.Name != "odoo-web" || a.User != "system:serviceaccount:argocd:argocd-application-controller" || a.UID == "" || a.Operation == "" {
					t.Errorf("gate request admission = %+v", a)
				}
				if c.user != "kubernetes:system:serviceaccount:argocd:argocd-application-controller" {
					t.Errorf("gate asked as %q, want the Kubernetes user", c.user)
				}
			}
			if !slices.Equal(images, tt.images) {
				t.Errorf("gate asked about %v, want %v", images, tt.images)
			}
			msg := ""
			if resp.Result != nil {
				msg = resp.Result.Message
			}
			for _, want := range tt.message {
				if !strings.Contains(msg, want) {
					t.Errorf("message lacks %q:\n%s", want, msg)
				}
			}
			for _, want := range tt.warnings {
				if !slices.ContainsFunc(resp.Warnings, func(w string) bool { return strings.HasPrefix(w, want) }) {
					t.Errorf("warnings lack %q: %q", want, resp.Warnings)
				}
			}
			for _, w := range resp.Warnings {
				if len(w) > 256 {
					t.Errorf("warning of %d bytes, longer than the API server passes on: %s", len(w), w)
				}
			}
		})
	}
}

func TestGateRefusalIsTheAnswer(t *testing.T) {
	gate := &recordingGate{decide: func(ctx context.Context, req andon.GateRequest) (*andon.GateResult, error) {
		return &andon.GateResult{Reasons: []andon.Reason{{Code: "NO_APPROVED_CHANGE", Message: "no approved change in environment prod-lyon carries image " + req.Image}}, AuditIndex: 41}, nil
	}}
	resp, outcome := admit(t, newReviewer(t, exampleCatalog(t), gate), "", mustRead(t, "deployment-create"))
	if resp.Allowed || outcome != andon.AdmissionDenied {
		t.Fatalf("allowed %v, outcome %s; want denied", resp.Allowed, outcome)
	}
	for _, want := range []string{"andon's gate refused image " + imageA, "Deployment odoo-lyon/odoo-web", "environment prod-lyon", "NO_APPROVED_CHANGE: no approved change", "(audit entry 41)"} {
		if !strings.Contains(resp.Result.Message, want) {
			t.Errorf("message lacks %q:\n%s", want, resp.Result.Message)
		}
	}
}

// An image the gate cannot take (EINVALID) is the request's fault, as the
// HTTP gate counts it: a client_error, and the object is still refused
// with the gate's reason.
func TestGateInvalidRequestIsAClientError(t *testing.T) {
	gate := &recordingGate{decide: func(ctx context.Context, req andon.GateRequest) (*andon.GateResult, error) {
		msg := "image " + req.Image + ": repository is not a valid name"
		return &andon.GateResult{Reasons: []andon.Reason{{Code: andon.ReasonBadImage, Message: msg}}, AuditIndex: 43}, andon.Errorf(andon.EINVALID, "%s", msg)
	}}
	resp, outcome := admit(t, newReviewer(t, exampleCatalog(t), gate), "", mustRead(t, "deployment-create"))
	if resp.Allowed || outcome != andon.AdmissionClientError {
		t.Fatalf("allowed %v, outcome %s; want refused, counted %s", resp.Allowed, outcome, andon.AdmissionClientError)
	}
	for _, want := range []string{"andon's gate refused image " + imageA, andon.ReasonBadImage + ": image " + imageA + ": repository is not a valid name", "(audit entry 43)"} {
		if !strings.Contains(resp.Result.Message, want) {
			t.Errorf("message lacks %q:\n%s", want, resp.Result.Message)
		}
	}
}

// twoImageReview is the recorded create of the Deployment with an init
// container of image imageB added before its container of image imageA;
// dryRun makes it the recorded dry run.
func twoImageReview(t *testing.T, dryRun bool) []byte {
	t.Helper()
	file := "deployment-create"
	if dryRun {
		file = "deployment-create-dry-run"
	}
	return mutate(t, file, func(req map[string]any) {
		spec := req["object"].(map[string]any)["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
		init := maps.Clone(spec["containers"].([]any)[0].(map[string]any))
		init["name"], init["image"] = "migrate", imageB
		spec["initContainers"] = []any{init}
	})
}

// mode names how the gate was asked: a preview, which writes nothing, a
// recorded dry run, or a real decision.
func mode(req andon.GateRequest) string {
	switch {
	case req.Preview:
		return "preview"
	case req.DryRun:
		return "dry run"
	}
	return "decide"
}

// The images of a workload are admitted together or not at all: they are
// first decided as previews, which write nothing, and decided for real
// only when every preview allows, so that an approved change does not
// move to implementing for an object that is refused. A refused image is
// decided for real, to record its refusal; the others are recorded as dry
// runs. The real decisions are the ones that count.
func TestImagesOfAWorkloadAreDecidedTogether(t *testing.T) {
	refusal := func(code string) *andon.GateResult {
		return &andon.GateResult{Reasons: []andon.Reason{{Code: code, Message: "for the test"}}, AuditIndex: 41}
	}
	allow := func(mode string) *andon.GateResult {
		res := &andon.GateResult{Allow: true, DryRun: mode != "decide"}
		if mode != "preview" {
			res.AuditIndex = 42
		}
		if mode == "decide" {
			res.Change = &andon.Change{ID: "CHG-7", State: andon.StateImplementing}
		}
		return res
	}
	for _, tt := range []struct {
		name   string
		dryRun bool
		// answer answers a question about img, asked so.
		answer func(mode, img string) (*andon.GateResult, error)
		// calls are the questions, each "mode image".
		calls   []string
		allowed bool
		// failed: the gate could not decide on an image it refused.
		failed bool
		// clientError: every refusal was the request's fault, a
		// conflict to retry or a request the gate could not take.
		clientError bool
		message     []string
	}{{
		name:    "every image allowed",
		answer:  func(mode, _ string) (*andon.GateResult, error) { return allow(mode), nil },
		calls:   []string{"preview B", "preview A", "decide B", "decide A"},
		allowed: true,
	}, {
		name: "one image refused",
		answer: func(mode, img string) (*andon.GateResult, error) {
			if img == imageA {
				return refusal("NO_APPROVED_CHANGE"), nil
			}
			return allow(mode), nil
		},
		calls: []string{"preview B", "preview A", "decide A", "dry run B"},
		message: []string{"andon's gate refused image " + imageA + " of Deployment odoo-lyon/odoo-web in environment prod-lyon: NO_APPROVED_CHANGE: for the test (audit entry 41)",
			"the decision on its other image, " + imageB + " (audit entry 42), was recorded as a dry run and moved no change"},
	}, {
		name:    "every image refused",
		answer:  func(_, _ string) (*andon.GateResult, error) { return refusal("FROZEN"), nil },
		calls:   []string{"preview B", "preview A", "decide B", "decide A"},
		message: []string{"andon's gate refused 2 of the 2 new images of Deployment odoo-lyon/odoo-web in environment prod-lyon: image " + imageB + ": FROZEN: for the test (audit entry 41); image " + imageA + ": FROZEN"},
	}, {
		// A's change was cancelled after the previews: B's change has
		// moved, and the message says so.
		name: "refused after the previews",
		answer: func(mode, img string) (*andon.GateResult, error) {
			if img == imageA && mode == "decide" {
				return refusal("NO_APPROVED_CHANGE"), nil
			}
			return allow(mode), nil
		},
		calls:   []string{"preview B", "preview A", "decide B", "decide A"},
		message: []string{"andon's gate refused image " + imageA, "Image " + imageB + " was allowed before that refusal (audit entry 42) and change CHG-7 that carries it is implementing, although the object is refused"},
	}, {
		// A's change was approved after the previews.
		name: "allowed after the previews",
		answer: func(mode, img string) (*andon.GateResult, error) {
			if img == imageA && mode == "preview" {
				return refusal("NO_APPROVED_CHANGE"), nil
			}
			return allow(mode), nil
		},
		calls:   []string{"preview B", "preview A", "decide A", "decide B"},
		allowed: true,
	}, {
		// Any error refuses, and the real decision records the refusal.
		name: "an error",
		answer: func(mode, img string) (*andon.GateResult, error) {
			if img == imageA {
				return &andon.GateResult{Reasons: []andon.Reason{{Code: andon.ReasonInternal, Message: "the store did not answer"}}}, errors.New("store unreachable")
			}
			return allow(mode), nil
		},
		calls:   []string{"preview B", "preview A", "decide A", "dry run B"},
		failed:  true,
		message: []string{"andon's gate refused image " + imageA, "CANNOT_DECIDE: the store did not answer"},
	}, {
		// A concurrent write moved the change the image's decision was
		// about: a conflict, to retry, neither the object's fault nor
		// andon's failure.
		name: "a conflict",
		answer: func(mode, img string) (*andon.GateResult, error) {
			if img == imageA && mode == "decide" {
				return &andon.GateResult{Reasons: []andon.Reason{{Code: andon.ReasonInternal, Message: "change CHG-7 was modified concurrently; retry"}}}, andon.Errorf(andon.ECONFLICT, "change CHG-7 was modified concurrently; retry")
			}
			return allow(mode), nil
		},
		calls:       []string{"preview B", "preview A", "decide B", "decide A"},
		clientError: true,
		message:     []string{"andon's gate refused image " + imageA, "modified concurrently; retry"},
	}, {
		// An image the gate cannot take: the request's fault, as the
		// HTTP gate counts its 400, not a refusal on the object's
		// merits. The object is refused all the same.
		name: "an image the gate cannot take",
		answer: func(mode, img string) (*andon.GateResult, error) {
			if img == imageA {
				return &andon.GateResult{Reasons: []andon.Reason{{Code: andon.ReasonBadImage, Message: "image: not pinned"}}}, andon.Errorf(andon.EINVALID, "image: not pinned")
			}
			return allow(mode), nil
		},
		calls:       []string{"preview B", "preview A", "decide A", "dry run B"},
		clientError: true,
		message:     []string{"andon's gate refused image " + imageA, "image: not pinned"},
	}, {
		// Beside an image refused on its merits, it is a denial.
		name: "an image the gate cannot take and a refusal",
		answer: func(mode, img string) (*andon.GateResult, error) {
			if img == imageA {
				return &andon.GateResult{Reasons: []andon.Reason{{Code: andon.ReasonBadImage, Message: "image: not pinned"}}}, andon.Errorf(andon.EINVALID, "image: not pinned")
			}
			return refusal("FROZEN"), nil
		},
		calls:   []string{"preview B", "preview A", "decide B", "decide A"},
		message: []string{"andon's gate refused 2 of the 2 new images", "image " + imageB + ": FROZEN", "image: not pinned"},
	}, {
		// An image refused on its merits beside one in conflict: a
		// retry would be refused all the same.
		name: "a conflict and a refusal",
		answer: func(mode, img string) (*andon.GateResult, error) {
			if img == imageA {
				return &andon.GateResult{Reasons: []andon.Reason{{Code: andon.ReasonInternal, Message: "change CHG-7 was modified concurrently; retry"}}}, andon.Errorf(andon.ECONFLICT, "change CHG-7 was modified concurrently; retry")
			}
			return refusal("FROZEN"), nil
		},
		calls:   []string{"preview B", "preview A", "decide B", "decide A"},
		message: []string{"andon's gate refused 2 of the 2 new images", "image " + imageB + ": FROZEN", "modified concurrently; retry"},
	}, {
		// A conflict beside a failure: andon could not decide.
		name: "a conflict and an error",
		answer: func(mode, img string) (*andon.GateResult, error) {
			if img == imageA {
				return &andon.GateResult{Reasons: []andon.Reason{{Code: andon.ReasonInternal, Message: "change CHG-7 was modified concurrently; retry"}}}, andon.Errorf(andon.ECONFLICT, "change CHG-7 was modified concurrently; retry")
			}
			return &andon.GateResult{Reasons: []andon.Reason{{Code: andon.ReasonInternal, Message: "the store did not answer"}}}, errors.New("store unreachable")
		},
		calls:   []string{"preview B", "preview A", "decide B", "decide A"},
		failed:  true,
		message: []string{"andon's gate refused 2 of the 2 new images", "CANNOT_DECIDE: the store did not answer"},
	}, {
		// A dry-run review previews each image, and names each refusal.
		name:    "a dry-run review",
		dryRun:  true,
		answer:  func(_, _ string) (*andon.GateResult, error) { return refusal("FROZEN"), nil },
		calls:   []string{"preview B", "preview A"},
		message: []string{"andon's gate refused 2 of the 2 new images", "image " + imageB + ": FROZEN", "image " + imageA + ": FROZEN"},
	}} {
		t.Run(tt.name, func(t *testing.T) {
			gate := &recordingGate{decide: func(_ context.Context, req andon.GateRequest) (*andon.GateResult, error) {
				return tt.answer(mode(req), req.Image)
			}}
			resp, outcome := admit(t, newReviewer(t, exampleCatalog(t), gate), "", twoImageReview(t, tt.dryRun))
			var calls []string
			for _, c := range gate.calls {
				calls = append(calls, mode(c.req)+" "+map[string]string{imageA: "A", imageB: "B"}[c.req.Image])
				if c.req.Admission == nil || c.user == "" {
					t.Errorf("gate request %+v as %q: want the Kubernetes request and user", c.req, c.user)
				}
			}
			if diff := cmp.Diff(tt.calls, calls); diff != "" {
				t.Errorf("gate calls (-want +got):\n%s", diff)
			}
			want := andon.AdmissionDenied
			switch {
			case tt.allowed:
				want = andon.AdmissionAllowed
			case tt.failed:
				want = andon.AdmissionError
			case tt.clientError:
				want = andon.AdmissionClientError
			}
			if resp.Allowed != tt.allowed || outcome != want {
				t.Fatalf("allowed %v, outcome %s; want allowed %v, %s: %+v", resp.Allowed, outcome, tt.allowed, want, resp.Result)
			}
			for _, want := range tt.message {
				if !strings.Contains(resp.Result.Message, want) {
					t.Errorf("message lacks %q:\n%s", want, resp.Result.Message)
				}
			}
		})
	}
}

func TestFailuresDeny(t *testing.T) {
	t.Run("gate error", func(t *testing.T) {
		gate := &recordingGate{decide: func(context.Context, andon.GateRequest) (*andon.GateResult, error) {
			return nil, errors.New("store unreachable")
		}}
		resp, outcome := admit(t, newReviewer(t, exampleCatalog(t), gate), "", mustRead(t, "deployment-create"))
		if resp.Allowed || outcome != andon.AdmissionError || !strings.Contains(resp.Result.Message, "CANNOT_DECIDE") {
			t.Errorf("response = %+v, %s; want a refusal that says why, counted as andon's error", resp, outcome)
		}
	})
	t.Run("an allow with an error", func(t *testing.T) {
		gate := &recordingGate{decide: func(context.Context, andon.GateRequest) (*andon.GateResult, error) {
			return &andon.GateResult{Allow: true}, errors.New("record the decision: disk full")
		}}
		resp, outcome := admit(t, newReviewer(t, exampleCatalog(t), gate), "", mustRead(t, "deployment-create"))
		if resp.Allowed || outcome != andon.AdmissionError {
			t.Errorf("allowed %v, outcome %s although the gate reported an error; want refused, %s", resp.Allowed, outcome, andon.AdmissionError)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		gate := &recordingGate{decide: func(ctx context.Context, _ andon.GateRequest) (*andon.GateResult, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}}
		r := newReviewer(t, exampleCatalog(t), gate)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		answer, outcome, err := r.Admit(ctx, "", mustRead(t, "deployment-create"))
		if err != nil {
			t.Fatal(err)
		}
		var out admissionv1.AdmissionReview
		if err := json.Unmarshal(answer, &out); err != nil {
			t.Fatal(err)
		}
		if out.Response.Allowed || outcome != andon.AdmissionError || !strings.Contains(out.Response.Result.Message, "before the webhook's deadline") {
			t.Errorf("response = %+v, %s; want a refusal naming the deadline, counted as andon's error", out.Response, outcome)
		}
	})
	// A store that holds the decision's write past the deadline (another
	// writer locks the database) does not hold the answer: the API
	// server's own timeout would apply the failure policy, which admits
	// everything in a namespace that fails open.
	t.Run("a gate that outlasts the deadline", func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		gate := &recordingGate{decide: func(context.Context, andon.GateRequest) (*andon.GateResult, error) {
			<-release
			return &andon.GateResult{Allow: true}, nil
		}}
		r := newReviewer(t, exampleCatalog(t), gate)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		type answer struct {
			body    []byte
			outcome string
			err     error
		}
		done := make(chan answer, 1)
		go func() {
			body, outcome, err := r.Admit(ctx, "", mustRead(t, "deployment-create"))
			done <- answer{body, outcome, err}
		}()
		select {
		case a := <-done:
			var out admissionv1.AdmissionReview
			if a.err != nil || json.Unmarshal(a.body, &out) != nil || out.Response == nil {
				t.Fatalf("Admit: %v, %s", a.err, a.body)
			}
			if out.Response.Allowed || a.outcome != andon.AdmissionError || !strings.Contains(out.Response.Result.Message, "before the webhook's deadline") {
				t.Errorf("response = %+v, %s; want a refusal naming the deadline, counted as andon's error", out.Response, a.outcome)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no answer 5 s after the deadline: the API server's timeout would decide")
		}
	})
	// The manifest policy's evaluation ends at the deadline too, and the
	// refusal says so rather than quoting the context's error.
	t.Run("a policy that outlasts the deadline", func(t *testing.T) {
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		defer cancel()
		answer, outcome, err := newReviewer(t, exampleCatalog(t), &recordingGate{}).Admit(ctx, "", mustRead(t, "deployment-create"))
		var out admissionv1.AdmissionReview
		if err != nil || json.Unmarshal(answer, &out) != nil || out.Response == nil {
			t.Fatalf("Admit: %v, %s", err, answer)
		}
		if out.Response.Allowed || outcome != andon.AdmissionError || !strings.Contains(out.Response.Result.Message, "against the manifest policy before the webhook's deadline") {
			t.Errorf("response = %+v, %s; want a refusal naming the deadline, counted as andon's error", out.Response.Result, outcome)
		}
	})
	t.Run("no object", func(t *testing.T) {
		var review map[string]any
		if err := json.Unmarshal(mustRead(t, "deployment-create"), &review); err != nil {
			t.Fatal(err)
		}
		review["request"].(map[string]any)["object"] = nil
		body, _ := json.Marshal(review)
		resp, outcome := admit(t, newReviewer(t, exampleCatalog(t), &recordingGate{}), "", body)
		if resp.Allowed || outcome != andon.AdmissionClientError || !strings.Contains(resp.Result.Message, "request.object: missing") {
			t.Errorf("response = %+v, %s; want refused as the review's fault", resp, outcome)
		}
	})
}

func TestUnreadableReviews(t *testing.T) {
	r := newReviewer(t, exampleCatalog(t), &recordingGate{})
	for _, tt := range []struct{ body, want string }{
		{`not json`, "not an AdmissionReview"},
		{`{"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview", "request": {"uid": "x"}}`, "admissionReviewVersions: [v1]"},
		{`{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}`, "request: required"},
		{`{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {"operation": "CREATE"}}`, "request.uid: required"},
		{`{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {"uid": "x", "object": "text"}}`, "not an AdmissionReview"},
	} {
		_, _, err := r.Admit(context.Background(), "", []byte(tt.body))
		if andon.ErrorCode(err) != andon.EINVALID || !strings.Contains(andon.ErrorMessage(err), tt.want) {
			t.Errorf("%s: error %v; want invalid with %q", tt.body, err, tt.want)
		}
	}
}

// mustCatalog loads the example catalog with extra documents added.
func mustCatalog(t *testing.T, extra string) *andon.Catalog {
	t.Helper()
	dir := t.TempDir()
	sub, err := fs.Sub(examples.Catalog, "catalog")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(dir, sub); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "zz-extra.yaml"), []byte(extra), 0o644); err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func TestWaiversExcuse(t *testing.T) {
	cat := mustCatalog(t, `apiVersion: andon/v1
kind: Waiver
metadata: {name: lyon-conf-in-configmap}
spec:
  rule: odoo-conf-password-in-configmap
  selector: {namespaces: [odoo-lyon], kinds: [ConfigMap]}
  reason: moved to a Secret with the December release
  owner: lyon-ops
  expires: 2026-12-31
`)
	resp, outcome := admit(t, newReviewer(t, cat, &recordingGate{}), "", mustRead(t, "configmap-odoo-conf-password"))
	if !resp.Allowed || outcome != andon.AdmissionAllowed {
		t.Errorf("response = %+v; want allowed under the waiver", resp)
	}
}

func TestClusters(t *testing.T) {
	// A second environment uses namespace odoo-lyon, in another cluster.
	cat := mustCatalog(t, `apiVersion: andon/v1
kind: Environment
metadata: {name: prod-lyon-dr}
spec:
  stage: production
  hosting: dedicated
  plants: [lyon]
  processes: [production]
  kubernetes: {cluster: eu-2, namespace: odoo-lyon}
`)
	gate := &recordingGate{}
	r := newReviewer(t, cat, gate)
	resp, outcome := admit(t, r, "", mustRead(t, "deployment-create"))
	if resp.Allowed || outcome != andon.AdmissionDenied || !strings.Contains(resp.Result.Message, "prod-lyon, prod-lyon-dr") || !strings.Contains(resp.Result.Message, "--cluster") {
		t.Errorf("no cluster named: %+v; want a refusal that says how to name the cluster", resp)
	}
	for cluster, env := range map[string]string{"eu-1": "prod-lyon", "eu-2": "prod-lyon-dr"} {
		gate.calls = nil
		if resp, _ := admit(t, r, cluster, mustRead(t, "deployment-create")); !resp.Allowed || len(gate.calls) != 1 || gate.calls[0].req.Environment != env || gate.calls[0].req.Admission.Cluster != cluster {
			t.Errorf("cluster %s: %+v, gate calls %+v; want the gate asked about %s", cluster, resp, gate.calls, env)
		}
	}
	// A cluster that governs no such namespace does not govern the object.
	if _, outcome := admit(t, r, "au-1", mustRead(t, "deployment-create")); outcome != andon.AdmissionIgnored {
		t.Errorf("au-1: outcome %s, want ignored", outcome)
	}
	// A cluster the catalog does not know at all, a typo in the webhook's
	// URL: refused, so that nothing passes ungoverned.
	gate.calls = nil
	resp, outcome = admit(t, r, "eu-9", mustRead(t, "deployment-create"))
	if resp.Allowed || outcome != andon.AdmissionDenied || !strings.Contains(resp.Result.Message, `andon knows no cluster "eu-9"`) || len(gate.calls) != 0 {
		t.Errorf("eu-9: %+v, outcome %s; want a refusal naming the unknown cluster", resp, outcome)
	}
	// An environment that names no cluster may be in any: with one in the
	// catalog, no cluster is unknown, and a namespace nobody governs is
	// not governed.
	r = newReviewer(t, mustCatalog(t, `apiVersion: andon/v1
kind: Environment
metadata: {name: lab}
spec:
  stage: development
  hosting: dedicated
  plants: [lyon]
  processes: [production]
  kubernetes: {namespace: odoo-lab}
`), gate)
	if _, outcome := admit(t, r, "eu-9", mustRead(t, "deployment-create")); outcome != andon.AdmissionIgnored {
		t.Errorf("eu-9 beside a cluster-less environment: outcome %s, want ignored", outcome)
	}
}

// mutate returns the recorded review file with edit applied to its
// request.
func mutate(t *testing.T, file string, edit func(req map[string]any)) []byte {
	t.Helper()
	var review map[string]any
	if err := json.Unmarshal(mustRead(t, file), &review); err != nil {
		t.Fatal(err)
	}
	edit(review["request"].(map[string]any))
	body, err := json.Marshal(review)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func meta(obj any) map[string]any { return obj.(map[string]any)["metadata"].(map[string]any) }

func TestOwnersAreTrustedOnlyFromControllers(t *testing.T) {
	// The controlled ReplicaSet, with its unpinned image, written by
	// someone else than a controller: the owner reference proves nothing.
	forged := mutate(t, "replicaset-controlled", func(req map[string]any) {
		req["userInfo"] = map[string]any{"username": "jdoe@example.com", "groups": []any{"system:authenticated"}}
	})
	gate := &recordingGate{}
	resp, outcome := admit(t, newReviewer(t, exampleCatalog(t), gate), "", forged)
	if resp.Allowed || outcome != andon.AdmissionDenied || !strings.Contains(resp.Result.Message, "[image-digest]") {
		t.Errorf("a forged owner from a person: %+v, %s; want governed and refused", resp, outcome)
	}
	// A controller of the operator's own, trusted by name.
	r := newReviewer(t, exampleCatalog(t), gate)
	r.TrustedControllers = []string{"system:serviceaccount:cnpg-system:*"}
	fromOperator := mutate(t, "replicaset-controlled", func(req map[string]any) {
		req["userInfo"] = map[string]any{"username": "system:serviceaccount:cnpg-system:cnpg-manager"}
	})
	if _, outcome := admit(t, r, "", fromOperator); outcome != andon.AdmissionIgnored {
		t.Errorf("a trusted operator's object: outcome %s, want ignored", outcome)
	}
	// Listing the operator replaces the default list.
	if _, outcome := admit(t, r, "", mustRead(t, "replicaset-controlled")); outcome != andon.AdmissionDenied {
		t.Errorf("kube-system's controller when not listed: outcome %s, want governed", outcome)
	}
}

// An ephemeral container that a trusted controller adds to a Pod its
// ReplicaSet owns is governed, as anyone's: no owner's template held it.
// The reviewer reviews it, and the webhook's match condition, which
// leaves out what such a controller writes for an owner, sends it.
func TestTrustedControllersEphemeralContainersAreGoverned(t *testing.T) {
	const controller = "system:serviceaccount:kube-system:debugger"
	body := debugReview(t, "busybox:1.36", map[string]any{"capabilities": map[string]any{"add": []any{"SYS_PTRACE"}}}, nil)
	var review map[string]any
	if err := json.Unmarshal(body, &review); err != nil {
		t.Fatal(err)
	}
	review["request"].(map[string]any)["userInfo"] = map[string]any{"username": controller}
	body, err := json.Marshal(review)
	if err != nil {
		t.Fatal(err)
	}
	gate := &recordingGate{}
	resp, outcome := admit(t, newReviewer(t, exampleCatalog(t), gate), "", body)
	if resp.Allowed || outcome != andon.AdmissionDenied || !strings.Contains(resp.Result.Message, "[added-capabilities]") {
		t.Errorf("a trusted controller's ephemeral container: %+v, %s; want reviewed and refused", resp, outcome)
	}
	// The same Pod written by the controller is not governed.
	pod := mutate(t, "pod-ephemeralcontainers", func(req map[string]any) {
		delete(req, "subResource")
		req["userInfo"] = map[string]any{"username": controller}
	})
	if _, outcome := admit(t, newReviewer(t, exampleCatalog(t), gate), "", pod); outcome != andon.AdmissionIgnored {
		t.Errorf("the controlled Pod itself from a trusted controller: outcome %s, want ignored", outcome)
	}

	cfg, err := admission.Configuration(exampleCatalog(t), admission.ConfigOptions{Service: "andon/andon", CABundle: []byte(testCA)})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range cfg.Webhooks {
		// The first alternative of the condition sends the subresource's
		// requests before the owner and the user are weighed.
		if len(w.MatchConditions) != 1 || !strings.HasPrefix(w.MatchConditions[0].Expression, "(has(request.subResource) && request.subResource == 'ephemeralcontainers') || !(") {
			t.Errorf("%s match conditions = %+v; want pods/ephemeralcontainers sent whoever writes them", w.Name, w.MatchConditions)
		}
	}
}

func TestUpdatesAreRefusedOnlyForNewBreaches(t *testing.T) {
	gate := &recordingGate{}
	r := newReviewer(t, exampleCatalog(t), gate)
	unsafe := func() map[string]any {
		var review map[string]any
		if err := json.Unmarshal(mustRead(t, "deployment-create-unsafe"), &review); err != nil {
			t.Fatal(err)
		}
		return review["request"].(map[string]any)["object"].(map[string]any)
	}
	// An object that broke the rules already may still be scaled.
	scaled := mutate(t, "deployment-update-replicas", func(req map[string]any) {
		req["oldObject"] = unsafe()
		obj := unsafe()
		obj["spec"].(map[string]any)["replicas"] = 5
		req["object"] = obj
		req["name"] = "odoo-web-2"
	})
	if resp, outcome := admit(t, r, "", scaled); !resp.Allowed || outcome != andon.AdmissionAllowed {
		t.Errorf("scaling an object that broke the rules before: %+v; want allowed", resp)
	}
	// A finding whose message counts the pods changes with a scale, and
	// is the same breach all the same: a StatefulSet of 2 pods that each
	// had their own filestore before the rule was written scales to 3.
	perPodFilestore := func(replicas int) map[string]any {
		obj := unsafe()
		obj["kind"] = "StatefulSet"
		spec := obj["spec"].(map[string]any)
		delete(spec, "strategy")
		spec["replicas"], spec["serviceName"] = replicas, "odoo"
		spec["volumeClaimTemplates"] = []any{map[string]any{"metadata": map[string]any{"name": "filestore"},
			"spec": map[string]any{"accessModes": []any{"ReadWriteOnce"}, "resources": map[string]any{"requests": map[string]any{"storage": "10Gi"}}}}}
		pod := spec["template"].(map[string]any)["spec"].(map[string]any)
		pod["volumes"] = slices.DeleteFunc(pod["volumes"].([]any), func(v any) bool { return v.(map[string]any)["name"] == "filestore" })
		return obj
	}
	scaledSet := mutate(t, "deployment-update-replicas", func(req map[string]any) {
		req["kind"] = map[string]any{"group": "apps", "version": "v1", "kind": "StatefulSet"}
		req["oldObject"], req["object"] = perPodFilestore(2), perPodFilestore(3)
		req["name"] = "odoo-web-2"
	})
	if resp, outcome := admit(t, r, "", scaledSet); !resp.Allowed || outcome != andon.AdmissionAllowed {
		t.Errorf("scaling a StatefulSet whose pods had their own filestore before: %+v; want allowed", resp.Result)
	}
	// Rolled back to the template before, whose image had no digest
	// either: the rules let it through, and the gate decides on the image.
	rolledBack := mutate(t, "deployment-update-replicas", func(req map[string]any) {
		req["oldObject"] = unsafe()
		obj := unsafe()
		pod := obj["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
		pod["containers"].([]any)[0].(map[string]any)["image"] = "odoo:16.0"
		req["object"] = obj
		req["name"] = "odoo-web-2"
	})
	gate.calls = nil
	if resp, _ := admit(t, r, "", rolledBack); !resp.Allowed || len(gate.calls) != 1 || gate.calls[0].req.Image != "odoo:16.0" {
		t.Errorf("a rollback to the image before: %+v, gate calls %+v; want the rules to pass it and the gate asked", resp.Result, gate.calls)
	}
	// A second container that breaks a rule the first broke already
	// breaks it in one more place: refused, naming the new one.
	sidecar := mutate(t, "deployment-update-replicas", func(req map[string]any) {
		req["oldObject"] = unsafe()
		obj := unsafe()
		pod := obj["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
		c := maps.Clone(pod["containers"].([]any)[0].(map[string]any))
		c["name"], c["image"] = "exporter", "registry.example.com/tools/exporter:1.2"
		pod["containers"] = append(pod["containers"].([]any), c)
		req["object"] = obj
		req["name"] = "odoo-web-2"
	})
	if resp, _ := admit(t, r, "", sidecar); resp.Allowed || !strings.Contains(resp.Result.Message, "image registry.example.com/tools/exporter:1.2 is not pinned") || strings.Contains(resp.Result.Message, "container odoo: image") {
		t.Errorf("a second container without a digest: %+v; want refused for that container alone", resp.Result)
	}
	// Breaking a rule anew is refused.
	broken := mutate(t, "deployment-update-replicas", func(req map[string]any) {
		obj := req["object"].(map[string]any)
		c := obj["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
		c["securityContext"] = map[string]any{"privileged": true}
	})
	if resp, _ := admit(t, r, "", broken); resp.Allowed || !strings.Contains(resp.Result.Message, "[allow-privilege-escalation]") {
		t.Errorf("an update that breaks a rule: %+v; want refused", resp)
	}
	// An object being deleted only loses its finalizers.
	deleting := mutate(t, "deployment-update-replicas", func(req map[string]any) {
		req["oldObject"] = unsafe()
		obj := unsafe()
		meta(obj)["deletionTimestamp"] = "2026-11-26T10:00:00Z"
		obj["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["hostNetwork"] = true
		req["object"] = obj
	})
	if _, outcome := admit(t, r, "", deleting); outcome != andon.AdmissionIgnored {
		t.Errorf("an update of an object being deleted: outcome %s, want ignored", outcome)
	}
}

// debugImage is the image of the recorded debug container.
const debugImage = "registry.example.com/tools/debug:1.4@sha256:4444444444444444444444444444444444444444444444444444444444444444"

// restricted is the security context of the container that kubectl debug
// --profile=restricted adds.
func restricted() map[string]any {
	return map[string]any{"runAsNonRoot": true, "allowPrivilegeEscalation": false, "capabilities": map[string]any{"drop": []any{"ALL"}}, "seccompProfile": map[string]any{"type": "RuntimeDefault"}}
}

// debugReview is the recorded review of kubectl debug adding the
// ephemeral container debugger-x7k2p to a Pod that a ReplicaSet owns,
// with image img and securityContext sc (none when nil) instead; edit,
// when not nil, changes the Pod's spec, before and after.
func debugReview(t *testing.T, img string, sc map[string]any, edit func(spec map[string]any)) []byte {
	t.Helper()
	return mutate(t, "pod-ephemeralcontainers", func(req map[string]any) {
		spec := func(key string) map[string]any { return req[key].(map[string]any)["spec"].(map[string]any) }
		c := spec("object")["ephemeralContainers"].([]any)[0].(map[string]any)
		c["image"] = img
		delete(c, "securityContext")
		if sc != nil {
			c["securityContext"] = sc
		}
		if edit != nil {
			edit(spec("oldObject"))
			edit(spec("object"))
		}
	})
}

// kubectl debug adds an ephemeral container through a subresource: its
// image goes through the gate, even on a Pod a controller owns.
func TestEphemeralContainersGoThroughTheGate(t *testing.T) {
	gate := &recordingGate{}
	body := debugReview(t, debugImage, restricted(), nil)
	if resp, outcome := admit(t, newReviewer(t, exampleCatalog(t), gate), "", body); !resp.Allowed || outcome != andon.AdmissionAllowed {
		t.Fatalf("debug container allowed by the gate: %+v, %s", resp, outcome)
	}
	if len(gate.calls) != 1 || gate.calls[0].req.Image != debugImage {
		t.Errorf("gate calls = %+v; want the debug image only", gate.calls)
	}
	refusing := &recordingGate{decide: func(ctx context.Context, req andon.GateRequest) (*andon.GateResult, error) {
		return &andon.GateResult{Reasons: []andon.Reason{{Code: "NO_APPROVED_CHANGE", Message: "no approved change carries it"}}}, nil
	}}
	resp, _ := admit(t, newReviewer(t, exampleCatalog(t), refusing), "", body)
	if want := "andon's gate refused image " + debugImage + " of ephemeral container debugger-x7k2p of Pod odoo-lyon/odoo-web-7d9c5b8f6d-x2x9z in environment prod-lyon"; resp.Allowed || !strings.Contains(resp.Result.Message, want) {
		t.Errorf("response = %+v; want refused: %q", resp.Result, want)
	}
}

// The container kubectl debug adds to a Pod is held to the object rules
// of the manifest policy, as the Pod's own containers are: one that
// breaks them is refused before its image goes through the gate, with a
// message that names the rule and the ephemeral container.
func TestEphemeralContainersAreCheckedByTheRules(t *testing.T) {
	const where = "Pod odoo-lyon/odoo-web-7d9c5b8f6d-x2x9z: ephemeral container debugger-x7k2p: "
	tests := []struct {
		name string
		img  string
		sc   map[string]any
		edit func(spec map[string]any)
		// allowed or, when empty, refused with message.
		message  []string
		warnings []string
	}{
		{name: "restricted profile", img: debugImage, sc: restricted(),
			warnings: []string{"andon [read-only-root-filesystem]: " + where}},
		{name: "general profile", img: "busybox:1.36", sc: map[string]any{"capabilities": map[string]any{"add": []any{"SYS_PTRACE"}}},
			message: []string{
				"andon refused ephemeral container debugger-x7k2p of Pod odoo-lyon/odoo-web-7d9c5b8f6d-x2x9z, which breaks the manifest policy of environment prod-lyon",
				"[image-digest] " + where + "image busybox:1.36 is not pinned by digest",
				"[allow-privilege-escalation] " + where + "allowPrivilegeEscalation is not false",
				"[added-capabilities] " + where + "adds SYS_PTRACE, beyond the capabilities a container runtime grants by default",
				"kubectl debug --profile=restricted",
			}},
		{name: "privileged as root", img: debugImage, sc: map[string]any{"privileged": true, "runAsUser": 0, "runAsNonRoot": false},
			message: []string{
				"[run-as-non-root] " + where + "runAsNonRoot is not true",
				"[allow-privilege-escalation] " + where,
			}},
		// A Pod that broke a rule before (its pod runs as root) may be
		// debugged by a container that does not break it, and not by one
		// that breaks it too.
		{name: "in a pod that broke the rule before", img: debugImage, sc: map[string]any{"runAsNonRoot": true, "allowPrivilegeEscalation": false},
			edit: func(spec map[string]any) { delete(spec, "securityContext") }},
		{name: "breaking a rule the pod broke before", img: debugImage, sc: map[string]any{"allowPrivilegeEscalation": false},
			edit:    func(spec map[string]any) { delete(spec, "securityContext") },
			message: []string{"[run-as-non-root] " + where}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gate := &recordingGate{}
			resp, outcome := admit(t, newReviewer(t, exampleCatalog(t), gate), "", debugReview(t, tt.img, tt.sc, tt.edit))
			if tt.message == nil {
				if !resp.Allowed || outcome != andon.AdmissionAllowed || len(gate.calls) != 1 {
					t.Fatalf("allowed %v, outcome %s, gate calls %d; want allowed through the gate: %+v", resp.Allowed, outcome, len(gate.calls), resp.Result)
				}
			} else {
				if resp.Allowed || outcome != andon.AdmissionDenied {
					t.Fatalf("allowed %v, outcome %s; want refused: %+v", resp.Allowed, outcome, resp)
				}
				for _, want := range tt.message {
					if !strings.Contains(resp.Result.Message, want) {
						t.Errorf("message lacks %q:\n%s", want, resp.Result.Message)
					}
				}
				if strings.Contains(resp.Result.Message, "container odoo:") {
					t.Errorf("message names the Pod's own container, which broke nothing new:\n%s", resp.Result.Message)
				}
				if len(gate.calls) != 0 {
					t.Errorf("the gate was asked %d times; want never, as for any object that breaks a rule", len(gate.calls))
				}
			}
			for _, want := range tt.warnings {
				if !slices.ContainsFunc(resp.Warnings, func(w string) bool { return strings.HasPrefix(w, want) }) {
					t.Errorf("warnings lack %q: %q", want, resp.Warnings)
				}
			}
		})
	}
}

// An object that is no Kubernetes object is refused naming the review's
// field and the fault, not an internal error.
func TestUnreadableObjectIsNamed(t *testing.T) {
	var review map[string]any
	if err := json.Unmarshal(mustRead(t, "deployment-create"), &review); err != nil {
		t.Fatal(err)
	}
	review["request"].(map[string]any)["object"] = map[string]any{"spec": map[string]any{}}
	body, _ := json.Marshal(review)
	resp, outcome := admit(t, newReviewer(t, exampleCatalog(t), &recordingGate{}), "", body)
	if resp.Allowed || resp.Result == nil || !strings.Contains(resp.Result.Message, "request.object: not a Kubernetes object: apiVersion and kind are required") {
		t.Errorf("response = %+v; want refused, naming request.object", resp)
	}
	if outcome != andon.AdmissionClientError {
		t.Errorf("outcome %s, want %s: the review's fault", outcome, andon.AdmissionClientError)
	}
}

// A review no API server would send (names longer than Kubernetes
// allows, a user without a name, or one whose name holds controls), or
// an object of more new images than a pod holds, is refused before the
// gate is asked: nothing of it reaches the audit log.
func TestImplausibleReviewsAreRefusedUnrecorded(t *testing.T) {
	digest := imageA[strings.Index(imageA, "@"):]
	tests := []struct {
		name   string
		change func(req, podSpec map[string]any)
		want   string
		// outcome: a review no API server would send is the caller's
		// fault; an object of too many images is refused on its merits.
		outcome string
	}{
		{"long uid", func(req, _ map[string]any) { req["uid"] = strings.Repeat("u", 200) }, "request.uid is 200 bytes long", andon.AdmissionClientError},
		{"long name", func(req, _ map[string]any) { req["name"] = strings.Repeat("n", 300) }, "request.name is 300 bytes long", andon.AdmissionClientError},
		{"no user", func(req, _ map[string]any) { req["userInfo"] = map[string]any{} }, "request.userInfo.username is empty", andon.AdmissionClientError},
		{"user with a bidi control", func(req, _ map[string]any) {
			req["userInfo"] = map[string]any{"username": "evil\u202etxt.exe"}
		}, "request.userInfo.username: holds the bidirectional control U+202E", andon.AdmissionClientError},
		{"an operation in lower case", func(req, _ map[string]any) { req["operation"] = "create" }, `request.operation "create" is not CREATE`, andon.AdmissionClientError},
		{"a kind that is not the object's", func(req, _ map[string]any) {
			req["kind"] = map[string]any{"group": "", "version": "v1", "kind": "ConfigMap"}
		}, `request.kind "ConfigMap" is not the object's kind "Deployment"`, andon.AdmissionClientError},
		{"hundreds of images", func(_, spec map[string]any) {
			odoo := spec["containers"].([]any)[0].(map[string]any)
			var containers []any
			for i := range 100 {
				c := map[string]any{}
				for k, v := range odoo {
					c[k] = v
				}
				c["name"], c["image"] = fmt.Sprintf("c%d", i), fmt.Sprintf("registry.example.com/odoo/c%d%s", i, digest)
				containers = append(containers, c)
			}
			spec["containers"] = containers
		}, "brings 100 new images, and andon gates at most 64", andon.AdmissionDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var review map[string]any
			if err := json.Unmarshal(mustRead(t, "deployment-create"), &review); err != nil {
				t.Fatal(err)
			}
			req := review["request"].(map[string]any)
			spec := req["object"].(map[string]any)["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
			tt.change(req, spec)
			body, _ := json.Marshal(review)
			gate := &recordingGate{}
			answer, outcome, err := newReviewer(t, exampleCatalog(t), gate).Admit(context.Background(), "", body)
			if err != nil {
				t.Fatal(err)
			}
			var out admissionv1.AdmissionReview
			if err := json.Unmarshal(answer, &out); err != nil || out.Response == nil {
				t.Fatalf("answer %s: %v", answer, err)
			}
			if out.Response.Allowed || !strings.Contains(out.Response.Result.Message, tt.want) {
				t.Errorf("response = %+v; want refused, %q", out.Response.Result, tt.want)
			}
			if outcome != tt.outcome {
				t.Errorf("outcome %s, want %s", outcome, tt.outcome)
			}
			if len(gate.calls) != 0 {
				t.Errorf("the gate was asked %d times; want never", len(gate.calls))
			}
		})
	}
}

// cnpgReview returns a review of a CloudNativePG Cluster of production,
// backed up as the rules require, running image, created, or updated
// from one running oldImage.
func cnpgReview(t *testing.T, image, oldImage string, update bool) []byte {
	var old map[string]any
	if update {
		old = cnpgCluster("odoo-lyon", imageName(oldImage))
	}
	return cnpgObjectReview(t, "Cluster", "odoo-lyon", cnpgCluster("odoo-lyon", imageName(image)), old)
}

// The PostgreSQL image of a CloudNativePG Cluster is deployed by the
// operator, whose pods the webhook does not see when its service account
// is trusted: a new spec.imageName is asked about as a new image of a
// workload is, and the gate's refusal names the Cluster.
func TestOperatorImagesGoThroughTheGate(t *testing.T) {
	for _, tt := range []struct {
		name       string
		body       []byte
		wantImages []string
	}{
		{"create", cnpgReview(t, pg16, "", false), []string{pg16}},
		{"new major version", cnpgReview(t, pg17, pg16, true), []string{pg17}},
		{"same image", cnpgReview(t, pg16, pg16, true), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			gate := &recordingGate{}
			if resp, _ := admit(t, newReviewer(t, exampleCatalog(t), gate), "", tt.body); !resp.Allowed {
				t.Fatalf("response = %+v; want allowed", resp.Result)
			}
			var got []string
			for _, c := range gate.calls {
				got = append(got, c.req.Image)
			}
			if diff := cmp.Diff(tt.wantImages, got); diff != "" {
				t.Errorf("images asked about (-want +got):\n%s", diff)
			}
		})
	}

	refusing := &recordingGate{decide: func(ctx context.Context, req andon.GateRequest) (*andon.GateResult, error) {
		return &andon.GateResult{Reasons: []andon.Reason{{Code: "NO_APPROVED_CHANGE", Message: "no approved change carries it"}}}, nil
	}}
	resp, _ := admit(t, newReviewer(t, exampleCatalog(t), refusing), "", cnpgReview(t, pg17, pg16, true))
	if want := "andon's gate refused image " + pg17 + " of Cluster odoo-lyon/odoo-db in environment prod-lyon: NO_APPROVED_CHANGE"; resp.Allowed || !strings.Contains(resp.Result.Message, want) {
		t.Errorf("response = %+v; want refused: %q", resp.Result, want)
	}
}

// An object of no namespace (a cluster-scoped resource, which a webhook
// configuration extended by hand may send) is in no environment's
// namespace, not in that of the environments that name none: andon
// governs it not.
func TestClusterScopedObjectsAreNotGoverned(t *testing.T) {
	// Two environments run outside Kubernetes, so name no namespace.
	cat := mustCatalog(t, `apiVersion: andon/v1
kind: Environment
metadata: {name: legacy-prod}
spec:
  stage: production
  hosting: dedicated
  plants: [lyon]
  processes: [production]
---
apiVersion: andon/v1
kind: Environment
metadata: {name: legacy-test}
spec:
  stage: test
  hosting: dedicated
  plants: [lyon]
  processes: [production]
`)
	gate := &recordingGate{}
	body := mutate(t, "deployment-create", func(req map[string]any) {
		req["namespace"] = ""
		delete(meta(req["object"]), "namespace")
	})
	resp, outcome := admit(t, newReviewer(t, cat, gate), "", body)
	if !resp.Allowed || outcome != andon.AdmissionIgnored || len(gate.calls) != 0 {
		t.Errorf("object of no namespace: %+v, outcome %s, gate calls %+v; want ignored", resp.Result, outcome, gate.calls)
	}
}
