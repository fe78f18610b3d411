// Package githubtest is a stand-in for GitHub's API on loopback, for the
// tests of andon's GitHub App: it gives installation tokens for the App's
// JWT, which it checks with the App's public key, takes the answers of
// deployment protection requests with those tokens, and records them.
package githubtest

import (
	"crypto"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// GitHub stands in for GitHub's API on loopback: it checks the App's JWT
// with the App's public key before it gives an installation token, checks
// that token on the callbacks, and records them.
type GitHub struct {
	// URL is the API's, for --github-api-url.
	URL   string
	appID int64
	key   *rsa.PublicKey
	now   func() time.Time

	mu        sync.Mutex
	tokens    map[string]bool
	callbacks []Callback
	// failing is how many callbacks to refuse, with the status failWith,
	// before taking them.
	failing  int
	failWith int
}

// Callback is an answer GitHub took.
type Callback struct {
	// Path is the callback URL's path, which names the run.
	Path  string `json:"-"`
	Env   string `json:"environment_name"`
	State string `json:"state"`
	Note  string `json:"comment"`
}

// New starts a GitHub for the App appID of key, whose tokens it gives at
// the instants of now; it stops when the test ends. A request it refuses
// fails the test.
func New(t testing.TB, appID int64, key *rsa.PublicKey, now func() time.Time) *GitHub {
	f := &GitHub{appID: appID, key: key, now: now, tokens: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /app/installations/{id}/access_tokens", func(w http.ResponseWriter, r *http.Request) {
		if err := f.checkJWT(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")); err != nil {
			t.Errorf("access_tokens: %v", err)
			http.Error(w, `{"message":"A JSON web token could not be decoded"}`, http.StatusUnauthorized)
			return
		}
		f.mu.Lock()
		token := fmt.Sprintf("ghs_%s_%d", r.PathValue("id"), len(f.tokens)+1)
		f.tokens[token] = true
		f.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]any{"token": token, "expires_at": f.now().Add(time.Hour)})
	})
	mux.HandleFunc("POST /repos/{owner}/{repo}/actions/runs/{run}/deployment_protection_rule", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if !f.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")] {
			t.Errorf("callback with %q, not an installation token", r.Header.Get("Authorization"))
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		if f.failing > 0 {
			f.failing--
			if f.failWith == http.StatusUnauthorized {
				// The token is revoked: the App must get another.
				delete(f.tokens, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
			}
			http.Error(w, fmt.Sprintf(`{"message":%q}`, http.StatusText(f.failWith)), f.failWith)
			return
		}
		var c Callback
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &c); err != nil {
			t.Errorf("callback body %s: %v", body, err)
		}
		c.Path = r.URL.Path
		f.callbacks = append(f.callbacks, c)
		w.WriteHeader(http.StatusNoContent)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// checkJWT checks an App JWT as GitHub does: RS256 signed with the App's
// key, issued by the App, at most 10 minutes long, and valid now.
func (f *GitHub) checkJWT(jwt string) error {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return fmt.Errorf("JWT %q: not three parts", jwt)
	}
	var header struct{ Alg, Typ string }
	var claims struct {
		Iat, Exp int64
		Iss      string
	}
	for i, v := range []any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, v); err != nil {
			return err
		}
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(f.key, crypto.SHA256, sum[:], sig); err != nil {
		return fmt.Errorf("JWT signature: %w", err)
	}
	now := f.now().Unix()
	switch {
	case header.Alg != "RS256":
		return fmt.Errorf("JWT alg %q", header.Alg)
	case claims.Iss != fmt.Sprint(f.appID):
		return fmt.Errorf("JWT iss %q", claims.Iss)
	case claims.Exp-claims.Iat > 600, claims.Iat > now, claims.Exp <= now:
		return fmt.Errorf("JWT iat %d exp %d at %d", claims.Iat, claims.Exp, now)
	}
	return nil
}

// Callbacks returns the answers taken so far.
func (f *GitHub) Callbacks() []Callback {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Callback(nil), f.callbacks...)
}

// FailNext refuses the next n answers with a 502.
func (f *GitHub) FailNext(n int) { f.RefuseNext(n, http.StatusBadGateway) }

// RefuseNext refuses the next n answers with status; a 401 revokes the
// token it was sent with.
func (f *GitHub) RefuseNext(n, status int) {
	f.mu.Lock()
	f.failing, f.failWith = n, status
	f.mu.Unlock()
}

// Sign returns the X-Hub-Signature-256 of body with secret.
func Sign(secret, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Request is the body of a deployment_protection_rule request of run of
// OWNER/REPO repo, for the GitHub environment env, whose callback is on
// api.
func Request(api, repo string, run int, env string) string {
	return fmt.Sprintf(`{"action":"requested","environment":%q,"event":"push",
		"deployment_callback_url":"%s/repos/%s/actions/runs/%d/deployment_protection_rule",
		"deployment":{"sha":"4f2a6c8e","ref":"refs/heads/main"},
		"repository":{"full_name":%q,"html_url":"https://github.com/%s"},
		"installation":{"id":77}}`, env, api, repo, run, repo, repo)
}
