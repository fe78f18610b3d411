package andon

import (
	"context"
	"time"
)

// GitHubState is where a GitHub deployment protection request stands.
type GitHubState string

// The states of a GitHub deployment protection request: waiting for the
// gate, or decided, approved or rejected, which GitHub is then told.
const (
	GitHubWaiting  GitHubState = "waiting"
	GitHubApproved GitHubState = "approved"
	GitHubRejected GitHubState = "rejected"
)

// GitHubDeployment is a job of a GitHub Actions run that targets a GitHub
// environment whose custom deployment protection rule is andon's GitHub
// App: GitHub holds the job until andon answers, approved when the gate
// allows every image of the change linked to the run, rejected when it
// never will (docs/pipelines.md).
type GitHubDeployment struct {
	// ID is andon's (GHD-1, ...).
	ID string `json:"id"`
	// Repository is the run's repository, OWNER/REPO.
	Repository string `json:"repository"`
	// RunURL is the run's page, which the change's links name.
	RunURL string `json:"runUrl"`
	// GitHubEnvironment is the GitHub environment the job targets, and
	// Environment the andon environment it maps to, "" when it maps to
	// none.
	GitHubEnvironment string `json:"githubEnvironment"`
	Environment       string `json:"environment,omitempty"`
	// Event, Ref and SHA are those of the run's deployment.
	Event string `json:"event,omitempty"`
	Ref   string `json:"ref,omitempty"`
	SHA   string `json:"sha,omitempty"`
	// CallbackURL is where the answer goes, with a token of
	// InstallationID, the App's installation on the repository.
	CallbackURL    string `json:"callbackUrl"`
	InstallationID int64  `json:"installationId"`
	// Delivery is GitHub's ID of the webhook delivery (X-GitHub-Delivery).
	Delivery    string    `json:"delivery,omitempty"`
	RequestedAt time.Time `json:"requestedAt"`

	State GitHubState `json:"state"`
	// Change is the change linked to the run, once found.
	Change string `json:"change,omitempty"`
	// Waiting, in a listing, says why a waiting request waits, as the
	// gate answers at the listing (no change linked to the run yet, the
	// gate's reasons): it is not recorded.
	Waiting string `json:"waiting,omitempty"`
	// Comment is the answer's comment, as GitHub shows it.
	Comment   string     `json:"comment,omitempty"`
	DecidedAt *time.Time `json:"decidedAt,omitempty"`
	// AnsweredAt is when GitHub took the answer, or refused it for good
	// (Refused); nil while it has not.
	AnsweredAt *time.Time `json:"answeredAt,omitempty"`
	// Refused is GitHub's refusal of the answer, one no later try
	// changes (the run gone, its rule answered already): the answer is
	// not sent again. "" when GitHub took it.
	Refused string `json:"refused,omitempty"`
}

// GitHubDeploymentFilter selects GitHub deployment protection requests,
// the latest first: those of State when it is set, and, with Open, those
// GitHub has not been answered yet.
type GitHubDeploymentFilter struct {
	State GitHubState
	Open  bool
	Limit int
}

// GitHubDelivery is one delivery of the GitHub App's webhook, as it came:
// the signature authenticates the body, which nothing reads before.
type GitHubDelivery struct {
	// Event is X-GitHub-Event, ID X-GitHub-Delivery and Signature
	// X-Hub-Signature-256.
	Event     string
	ID        string
	Signature string
	Body      []byte
}

// GitHubService receives the webhook of andon's GitHub App and lists the
// deployment protection requests it recorded.
type GitHubService interface {
	// Deliver checks a delivery's signature (EUNAUTHORIZED when it does
	// not match) and records a deployment_protection_rule request, which
	// it returns; other events, ping among them, it returns nil for and
	// records nothing.
	Deliver(ctx context.Context, d GitHubDelivery) (*GitHubDeployment, error)
	FindGitHubDeployments(ctx context.Context, f GitHubDeploymentFilter) ([]*GitHubDeployment, error)
}
