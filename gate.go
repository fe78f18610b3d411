package andon

import (
	"context"
	"time"
)

// GateRequest asks whether an image may be deployed to an environment.
type GateRequest struct {
	Environment string `json:"environment"`
	Image       string `json:"image"`
	// At is the instant of the deployment; zero means now. Another time
	// than now makes the request a dry run.
	At time.Time `json:"at"`
}

// GateResult is the gate's answer. Change is the change it matched or
// recorded, or nil.
type GateResult struct {
	Allow   bool     `json:"allow"`
	Reasons []Reason `json:"reasons"`
	Change  *Change  `json:"change"`
	// AuditIndex is the index of the audit entry that records the decision.
	AuditIndex int64 `json:"auditIndex"`
	// DryRun is set when the request asked about another time than now:
	// the answer says what the gate would decide then, and authorises
	// nothing (no change moves to implementing, none is recorded).
	DryRun bool `json:"dryRun,omitempty"`
}

// Reason codes that Go itself produces, before or instead of the policy.
// The policy's own codes are documented in docs/policy.md.
const (
	ReasonUnknownEnvironment = "UNKNOWN_ENVIRONMENT"
	ReasonBadImage           = "BAD_IMAGE_REFERENCE"
	ReasonInternal           = "CANNOT_DECIDE"
)

// GateService decides at deploy time. It fails closed: when it cannot
// decide, the result denies with a reason and the error is reported too.
type GateService interface {
	Decide(ctx context.Context, req GateRequest) (*GateResult, error)
}
