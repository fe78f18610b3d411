package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/github/githubtest"
)

const githubSecret = "a webhook secret"

// deliveries numbers the webhook deliveries of the tests, each its own
// X-GitHub-Delivery as GitHub gives them.
var deliveries atomic.Int64

// mustGitHubApp writes a new private key of the GitHub App and its webhook
// secret to files, starts a stand-in for GitHub's API that knows the key,
// and returns them with the flags of andon serve that name them.
func mustGitHubApp(t *testing.T) (*githubtest.GitHub, []string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyFile, secretFile := filepath.Join(dir, "app.pem"), filepath.Join(dir, "webhook-secret")
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(keyFile, pemKey, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secretFile, []byte(githubSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	gh := githubtest.New(t, 4242, &key.PublicKey, time.Now)
	return gh, []string{"--github-app-id", "4242", "--github-app-key-file", keyFile, "--github-webhook-secret-file", secretFile,
		"--github-api-url", gh.URL, "--github-environment", "staging=staging-geelong"}
}

// deliver posts a webhook delivery of event with body, signed as sig.
func (s *liveServer) deliver(t *testing.T, event, sig, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url+"/api/v1/integrations/github/webhook", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("72d3162e-cc78-11e3-81ab-%012d", deliveries.Add(1)))
	if sig != "" {
		req.Header.Set("X-Hub-Signature-256", sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// A GitHub Actions job held by andon's App: a bad signature is refused
// and recorded nowhere; a request for the run of an approved change is
// approved as soon as it is recorded, and the change is implementing.
func TestGitHubDeploymentProtection(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		gh, flags := mustGitHubApp(t)
		// At debug level the leader logs the requests that wait.
		s := MustServeOn(t, engine, t.TempDir(), append(flags, "--log-level", "debug")...)
		const run = 9912
		runURL := "https://github.com/odoo-lyon/erp/actions/runs/9912"
		body := githubtest.Request(gh.URL, "odoo-lyon/erp", run, "staging")

		resp := s.deliver(t, "deployment_protection_rule", githubtest.Sign("another secret", body), body)
		var e struct{ Code, Message string }
		if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || resp.StatusCode != http.StatusUnauthorized || e.Code != andon.EUNAUTHORIZED ||
			!strings.Contains(e.Message, "X-Hub-Signature-256") {
			t.Errorf("a bad signature: %d %+v, %v; want 401 naming X-Hub-Signature-256", resp.StatusCode, e, err)
		}
		if resp := s.deliver(t, "deployment_protection_rule", "", body); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("no signature: %d; want 401", resp.StatusCode)
		}
		if list := mustJSON[struct{ Deployments []andon.GitHubDeployment }](t, s, "alice", 0, "github", "deployments"); len(list.Deployments) != 0 {
			t.Errorf("recorded %+v after bad signatures; want nothing", list.Deployments)
		}
		ping := `{"zen":"Keep it logically awesome.","hook_id":1}`
		if resp := s.deliver(t, "ping", githubtest.Sign(githubSecret, ping), ping); resp.StatusCode != http.StatusOK {
			t.Errorf("ping: %d; want 200", resp.StatusCode)
		}

		c := mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", "staging-geelong", "--type", "standard",
			"--title", "Release 4f2a6c8e", "--image", imageRelease, "--link", "pipeline="+runURL)
		resp = s.deliver(t, "deployment_protection_rule", githubtest.Sign(githubSecret, body), body)
		var d andon.GitHubDeployment
		if err := json.NewDecoder(resp.Body).Decode(&d); err != nil || resp.StatusCode != http.StatusAccepted || d.RunURL != runURL ||
			d.Environment != "staging-geelong" || d.State != andon.GitHubWaiting {
			t.Fatalf("the request: %d %+v, %v; want 202, waiting, of %s in staging-geelong", resp.StatusCode, d, err, runURL)
		}
		// The leader checks a request as soon as it is recorded.
		deadline := time.Now().Add(20 * time.Second)
		for len(gh.Callbacks()) == 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		got := gh.Callbacks()
		if len(got) != 1 || got[0].State != "approved" || got[0].Env != "staging" || !strings.Contains(got[0].Note, c.ID) {
			t.Fatalf("callbacks %+v; want one approving the job in staging, naming %s\nlogs:\n%s", got, c.ID, s.logs)
		}
		if c := mustJSON[andon.Change](t, s, "alice", 0, "change", "show", c.ID); c.State != andon.StateImplementing {
			t.Errorf("%s is %s; want it implementing", c.ID, c.State)
		}
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			list := mustJSON[struct{ Deployments []andon.GitHubDeployment }](t, s, "alice", 0, "github", "deployments", "--state", "approved")
			if len(list.Deployments) == 1 && list.Deployments[0].AnsweredAt != nil {
				if list.Deployments[0].Change != c.ID {
					t.Errorf("request %+v; want it of %s", list.Deployments[0], c.ID)
				}
				break
			} else if !time.Now().Before(deadline) {
				t.Errorf("andon github deployments --state approved: %+v; want one request, answered", list.Deployments)
			}
		}
		r := s.as(t, "alice", "github", "deployments")
		if r.code != 0 || !strings.Contains(r.stdout, "approved") || !strings.Contains(r.stdout, runURL) {
			t.Errorf("andon github deployments: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		wantExit(t, s.as(t, "alice", "github", "deployments", "--state", "done"), 2, `--state: "done"`)

		// A request for a pending change waits; the approval that leaves it
		// approved has the leader check at once, not at its next minute.
		pending := mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", "staging-geelong", "--type", "emergency",
			"--title", "Hot fix", "--image", imageUnseen, "--link", "pipeline=https://github.com/odoo-lyon/erp/actions/runs/9913")
		next := githubtest.Request(gh.URL, "odoo-lyon/erp", 9913, "staging")
		if resp := s.deliver(t, "deployment_protection_rule", githubtest.Sign(githubSecret, next), next); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("the request of %s: %d; want 202", pending.ID, resp.StatusCode)
		}
		// The check the request asked for has found the change pending.
		for deadline := time.Now().Add(20 * time.Second); !strings.Contains(s.logs.String(), `msg="GitHub deployment waits" id=GHD-2`); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("GHD-2 was not checked; logs:\n%s", s.logs)
			}
		}
		// The listing says why it waits.
		if r := s.as(t, "alice", "github", "deployments", "--state", "waiting"); r.code != 0 || !strings.Contains(r.stdout, "WAITING FOR") ||
			!strings.Contains(r.stdout, "the gate denies "+pending.ID+": NO_APPROVED_CHANGE") {
			t.Errorf("andon github deployments --state waiting: exit %d\n%s%s; want the gate's reason", r.code, r.stdout, r.stderr)
		}
		if r := s.as(t, "erin", "change", "approve", pending.ID, "--comment", "go"); r.code != 0 {
			t.Fatalf("erin approves %s: exit %d\n%s", pending.ID, r.code, r.stderr)
		}
		for deadline := time.Now().Add(20 * time.Second); len(gh.Callbacks()) < 2 && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
		if got := gh.Callbacks(); len(got) != 2 || got[1].State != "approved" || !strings.Contains(got[1].Note, pending.ID) {
			t.Errorf("callbacks %+v; want the second approving the job of %s\nlogs:\n%s", got, pending.ID, s.logs)
		}

		// An answer GitHub refuses for good is not sent again, and the
		// listing says so.
		gh.RefuseNext(1, http.StatusUnprocessableEntity)
		third := githubtest.Request(gh.URL, "odoo-lyon/erp", 9912, "staging")
		if resp := s.deliver(t, "deployment_protection_rule", githubtest.Sign(githubSecret, third), third); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("the request of run 9912 again: %d; want 202", resp.StatusCode)
		}
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			r := s.as(t, "alice", "github", "deployments", "--limit", "1")
			if strings.Contains(r.stdout, "refused by GitHub") {
				break
			} else if time.Now().After(deadline) {
				t.Fatalf("andon github deployments: exit %d\n%s%s; want the answer refused by GitHub\nlogs:\n%s", r.code, r.stdout, r.stderr, s.logs)
			}
		}

		// A request that waits for its change, opened pre-approved after
		// it, is answered at once, not at the leader's next minute.
		early := githubtest.Request(gh.URL, "odoo-lyon/erp", 9914, "staging")
		if resp := s.deliver(t, "deployment_protection_rule", githubtest.Sign(githubSecret, early), early); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("the request of run 9914: %d; want 202", resp.StatusCode)
		}
		// The check the request asked for finds no change linked yet.
		time.Sleep(500 * time.Millisecond)
		before := len(gh.Callbacks())
		late := mustJSON[andon.Change](t, s, "alice", 0, "change", "create", "--env", "staging-geelong", "--type", "standard",
			"--title", "Release 9914", "--image", imageRelease, "--link", "pipeline=https://github.com/odoo-lyon/erp/actions/runs/9914")
		for deadline := time.Now().Add(20 * time.Second); len(gh.Callbacks()) == before && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
		if got := gh.Callbacks(); len(got) != before+1 || got[before].State != "approved" || !strings.Contains(got[before].Note, late.ID) {
			t.Errorf("callbacks %+v; want the last approving the job of %s at once\nlogs:\n%s", got, late.ID, s.logs)
		}

		// A rotated secret is read again: the old one no longer signs.
		if err := os.WriteFile(flags[5], []byte("the rotated webhook secret"), 0o600); err != nil {
			t.Fatal(err)
		}
		if resp := s.deliver(t, "ping", githubtest.Sign(githubSecret, ping), ping); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("ping signed with the old secret: %d; want 401", resp.StatusCode)
		}
		if resp := s.deliver(t, "ping", githubtest.Sign("the rotated webhook secret", ping), ping); resp.StatusCode != http.StatusOK {
			t.Errorf("ping signed with the rotated secret: %d; want 200", resp.StatusCode)
		}
	})
}

func TestGitHubFlagsAreChecked(t *testing.T) {
	_, flags := mustGitHubApp(t)
	keyFile, secretFile := flags[3], flags[5]
	bogus := filepath.Join(t.TempDir(), "bogus.pem")
	if err := os.WriteFile(bogus, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	unmade := filepath.Join(t.TempDir(), "data")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--github-app-id", "4242"}, "--github-app-key-file: required"},
		{[]string{"--github-app-id", "4242", "--github-app-key-file", keyFile}, "--github-webhook-secret-file: required"},
		{[]string{"--github-app-key-file", keyFile, "--github-webhook-secret-file", secretFile}, "--github-app-id: required"},
		{[]string{"--github-app-id", "4242", "--github-app-key-file", bogus, "--github-webhook-secret-file", secretFile}, "--github-app-key-file " + bogus + ": no PEM block"},
		{[]string{"--github-app-id", "4242", "--github-app-key-file", keyFile, "--github-webhook-secret-file", bogus + "x"}, "--github-webhook-secret-file:"},
		{[]string{"--github-environment", "production=prod-lyon"}, "--github-environment: given without the GitHub App"},
		{append(flags[:6:6], "--github-environment", "production"), `--github-environment "production": want GITHUB=ANDON`},
		{append(flags[:6:6], "--github-api-url", "api.github.com"), `--github-api-url "api.github.com"`},
		{append(flags[:6:6], "--github-max-wait", "800h"), "--github-max-wait 800h0m0s"},
	} {
		r := runCLI(t, nil, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", unmade, "--catalog", exampleCatalog}, tt.args...)...)
		wantExit(t, r, 2, tt.want)
		if _, err := os.Stat(unmade); err == nil {
			t.Fatalf("serve %v made %s", tt.args, unmade)
		}
	}
}
