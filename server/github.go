package server

import (
	"io"
	"net/http"

	"github.com/andon-governance/andon"
)

// notConfigured is the error of the GitHub routes of a server started
// without the GitHub App.
var notConfigured = andon.Errorf(andon.ENOTFOUND, "andon's GitHub App is not configured: andon serve --github-app-id, --github-app-key-file and --github-webhook-secret-file (docs/pipelines.md)")

// handleGitHubWebhook takes the deliveries of the GitHub App's webhook,
// which no bearer token authenticates: the signature of the body with the
// webhook secret does (401 when it does not match, and nothing is
// recorded). A ping is answered 200; a deployment protection request is
// recorded and answered 202 at once, as GitHub waits ten seconds at most;
// any other event is answered 202 and ignored.
func handleGitHubWebhook(github andon.GitHubService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if github == nil {
			return notConfigured
		}
		if _, err := parseQuery(r); err != nil {
			return err
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
		if err != nil {
			return decodeError(err)
		}
		event := r.Header.Get("X-GitHub-Event")
		d, err := github.Deliver(r.Context(), andon.GitHubDelivery{Event: event, ID: r.Header.Get("X-GitHub-Delivery"),
			Signature: r.Header.Get("X-Hub-Signature-256"), Body: body})
		switch {
		case err != nil:
			return err
		case d != nil:
			return encode(w, http.StatusAccepted, d)
		case event == "ping":
			return encode(w, http.StatusOK, map[string]string{"event": event, "result": "pong"})
		}
		return encode(w, http.StatusAccepted, map[string]string{"event": event, "result": "ignored"})
	}
}

// handleGitHubDeployments lists the deployment protection requests
// recorded, the latest first.
func handleGitHubDeployments(github andon.GitHubService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q, err := parseQuery(r, "state", "limit")
		if err != nil {
			return err
		}
		var state string
		if err := q.strings(textParam{"state", &state}); err != nil {
			return err
		}
		limit, err := q.int("limit", defaultLimit, 1, maxLimit)
		if err != nil {
			return err
		}
		if github == nil {
			return notConfigured
		}
		list, err := github.FindGitHubDeployments(r.Context(), andon.GitHubDeploymentFilter{State: andon.GitHubState(state), Limit: int(limit)})
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, struct {
			Deployments []*andon.GitHubDeployment `json:"deployments"`
		}{nonNil(list)})
	}
}
