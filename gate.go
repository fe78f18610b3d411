package andon

import (
	"context"
	"fmt"
	"time"
)

// GateRequest asks whether an image may be deployed to an environment.
type GateRequest struct {
	Environment string `json:"environment"`
	Image       string `json:"image"`
	// At is the instant of the deployment; zero means now. Another time
	// than now makes the request a dry run.
	At time.Time `json:"at"`
	// DryRun asks what the gate would decide without deploying: the
	// decision is recorded as a dry run and authorises nothing.
	DryRun bool `json:"dryRun,omitempty"`
	// Preview, which only callers in the same process can set, is a dry
	// run that is not recorded either: the admission webhook's answer to
	// a dry-run request (kubectl apply --dry-run=server, Argo CD's diff),
	// which Kubernetes requires to leave no trace (sideEffects:
	// NoneOnDryRun), and its first look at each image of an object that
	// brings several, which are decided for real only when every one
	// would be allowed. The result's AuditIndex is then 0.
	Preview bool `json:"-"`
	// Start is set when a person starts a change by hand (andon change
	// start): the gate policy is asked whether the change may be carried
	// out now, as its first deployment would be. Image then names the
	// change's first artifact that the environment promoted from has not
	// completed, or is empty. Only the server sets it; the gate API
	// refuses it.
	Start bool `json:"start,omitempty"`
	// Admission is set when the Kubernetes admission webhook asks: the
	// request of the API server that the decision answers. Only the
	// webhook sets it; the gate API refuses it.
	Admission *AdmissionRequest `json:"admission,omitempty"`
}

// AdmissionRequest describes the Kubernetes API request behind a gate
// request of the admission webhook, for the audit record and the policy.
type AdmissionRequest struct {
	// UID is the AdmissionReview's request uid.
	UID string `json:"uid"`
	// Cluster is the cluster named by the webhook's URL, or "".
	Cluster   string `json:"cluster,omitempty"`
	Namespace string `json:"namespace"`
	// Kind and Name name the object, such as Deployment odoo-web.
	Kind string `json:"kind"`
	Name string `json:"name"`
	// Operation is CREATE or UPDATE.
	Operation string `json:"operation"`
	// User is the Kubernetes user who asked the API server, as the API
	// server says.
	User string `json:"user"`
}

// GateResult is the gate's answer. Change is the change it matched or
// recorded, or nil.
type GateResult struct {
	Allow   bool     `json:"allow"`
	Reasons []Reason `json:"reasons"`
	Change  *Change  `json:"change"`
	// AuditIndex is the index of the audit entry that records the decision.
	AuditIndex int64 `json:"auditIndex"`
	// DryRun is set when the request asked for a dry run or about another
	// time than now: the answer says what the gate would decide, and
	// authorises nothing (no change moves to implementing, none is
	// recorded). The AuditIndex of a preview's result is 0.
	DryRun bool `json:"dryRun,omitempty"`
}

// Reason codes that Go itself produces, before or instead of the policy.
// The policy's own codes are documented in docs/policy.md.
const (
	ReasonUnknownEnvironment = "UNKNOWN_ENVIRONMENT"
	ReasonBadImage           = "BAD_IMAGE_REFERENCE"
	ReasonBadTime            = "BAD_TIME"
	ReasonInternal           = "CANNOT_DECIDE"
)

// MaxYear is the last year andon reasons about: the gate decides about no
// instant after it, no window of the catalog starts after it, and no
// request names a time after it. The bound keeps every time computed from
// one (a window's end, up to a year later; the same instant in another
// zone) far inside the year 9999, the last that RFC 3339 and JSON can
// write, and within what the policy's time functions take.
const MaxYear = 2199

// The instants a request may name: far enough either way for any
// deployment, calendar or change window.
var (
	minTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(MaxYear+1, 1, 1, 0, 0, 0, 0, time.UTC)
)

// TimeHint says what a value that is not an RFC 3339 time lacks, when it
// is one but for its zone (2026-12-06T02:00:00, or without seconds) or
// its seconds (2026-12-06T02:00+01:00), and "" otherwise. A wall time
// names an instant only with the clock that reads it, a plant's or UTC's,
// so andon asks for the zone rather than guess it.
func TimeHint(value string) string {
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, value); err == nil {
			wall := t.Format("2006-01-02T15:04:05")
			return fmt.Sprintf("give the time's zone too, such as %sZ or %s+01:00", wall, wall)
		}
	}
	if t, err := time.Parse("2006-01-02T15:04Z07:00", value); err == nil {
		return "give the seconds too, such as " + t.Format(time.RFC3339)
	}
	return ""
}

// CheckTime checks an instant that a request names at field: the time of
// a gate request, a calendar's range, a change's window.
func CheckTime(field string, t time.Time) error {
	if t.Before(minTime) || !t.Before(maxTime) {
		return Errorf(EINVALID, "%s: %s is outside the years andon reasons about, %d to %d", field, t.Format(time.RFC3339), minTime.Year(), MaxYear)
	}
	return nil
}

// Outcomes of an admission review, the values of the outcome label of
// andon_admission_reviews_total. They follow the results of
// andon_gate_decisions_total: a refusal on the object's merits is told
// apart from a review the API server (or whoever called) got wrong, and
// both from andon failing to decide.
const (
	AdmissionAllowed = "allowed"
	// AdmissionDenied is an object refused on its merits: it breaks a
	// deny rule of the manifest policy, the gate refused one of its
	// images, or the catalog cannot tell which environment it belongs to.
	AdmissionDenied = "denied"
	// AdmissionIgnored is an object andon does not govern: not in a
	// governed namespace, deleted, owned by a controller, or a
	// subresource. It is allowed and nothing is recorded.
	AdmissionIgnored = "ignored"
	// AdmissionClientError is a review that could not be read, or that
	// no API server would send (no object, a user without a name): the
	// caller's to mend. It is refused, or answered with a 4xx and no
	// decision. So is an object whose every image the gate refused with
	// an error of the request's (EINVALID, an image reference it cannot
	// parse) or a conflict (a concurrent write moved the change it
	// deploys, to retry), as the HTTP gate counts its 400 and 409.
	AdmissionClientError = "client_error"
	// AdmissionError is a review andon could not decide for reasons of
	// its own: its store or its policy failed, or the webhook's deadline
	// came first. It fails closed, refused, or answered with a 5xx and
	// no decision.
	AdmissionError = "error"
)

// AdmissionService answers the admission reviews of the Kubernetes API
// server (docs/kubernetes.md).
type AdmissionService interface {
	// Admit answers review, an AdmissionReview of admission.k8s.io/v1 in
	// JSON, sent for cluster ("" when the webhook's URL names none). It
	// returns the AdmissionReview to send back and its outcome, one of
	// the Admission constants. An error means that review could not be
	// read; every failure to decide is an answer that denies, whose
	// outcome says whose failure it was (AdmissionClientError,
	// AdmissionError).
	Admit(ctx context.Context, cluster string, review []byte) (answer []byte, outcome string, err error)
}

// GateService decides at deploy time. It fails closed: when it cannot
// decide, the result denies with a reason and the error is reported too.
type GateService interface {
	Decide(ctx context.Context, req GateRequest) (*GateResult, error)
}
