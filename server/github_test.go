package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// A server without the GitHub App answers its routes 404, saying how to
// configure it: a webhook pointed at it by mistake is told so, not
// ignored with a 202.
func TestGitHubRoutesWithoutTheApp(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct{ method, path, token string }{
		{"POST", "/api/v1/integrations/github/webhook", ""},
		{"GET", "/api/v1/integrations/github/deployments", aliceToken},
	} {
		r := f.do(t, tt.method, tt.path, tt.token, `{"zen":"hi"}`, "X-GitHub-Event", "ping")
		if msg := mustError(t, r, http.StatusNotFound, "not_found"); !strings.Contains(msg, "--github-app-id") {
			t.Errorf("%s %s: message %q; want it to name --github-app-id", tt.method, tt.path, msg)
		}
	}
}
