// Package github is andon's GitHub App: it receives the App's webhook,
// records the deployment protection requests of GitHub Actions jobs,
// holds each until the gate allows every image of the change linked to
// the job's run, and answers GitHub, approved or rejected, with an
// installation token of the App (docs/pipelines.md). It uses the standard
// library alone: an App's JWT is three base64url parts signed with
// RS256.
package github

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultAPIURL is GitHub's REST API; GitHub Enterprise Server's is
// https://HOST/api/v3.
const DefaultAPIURL = "https://api.github.com"

// ParsePrivateKey reads an App's private key, PEM: PKCS#1, as GitHub
// gives it, or PKCS#8.
func ParsePrivateKey(data []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block: give the private key GitHub made for the App (a .pem file)")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: not an RSA private key: %w", block.Type, err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: a %T, not an RSA private key", block.Type, k)
	}
	return rk, nil
}

// client talks to GitHub's API as the App: it signs the App's JWT,
// exchanges it for installation tokens, which it keeps until shortly
// before they expire, and posts the answers of deployment protection
// requests.
type client struct {
	appID  int64
	key    *rsa.PrivateKey
	api    string
	http   *http.Client
	now    func() time.Time
	mu     sync.Mutex
	tokens map[int64]installationToken
}

type installationToken struct {
	token   string
	expires time.Time
}

// jwt returns the App's JWT: issued a minute in the past, against clocks
// that differ, and expiring in nine minutes, under GitHub's ten.
func (c *client) jwt() (string, error) {
	now := c.now().Unix()
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
	claims, err := json.Marshal(map[string]any{"iat": now - 60, "exp": now + 9*60, "iss": strconv.FormatInt(c.appID, 10)})
	if err != nil {
		return "", err
	}
	signed := header + "." + enc.EncodeToString(claims)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(nil, c.key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("sign the App's JWT: %w", err)
	}
	return signed + "." + enc.EncodeToString(sig), nil
}

// token returns an installation token of installation, a new one when the
// one kept expires within five minutes.
func (c *client) token(ctx context.Context, installation int64) (string, error) {
	c.mu.Lock()
	t, ok := c.tokens[installation]
	c.mu.Unlock()
	if ok && c.now().Add(5*time.Minute).Before(t.expires) {
		return t.token, nil
	}
	jwt, err := c.jwt()
	if err != nil {
		return "", err
	}
	var answer struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	url := fmt.Sprintf("%s/app/installations/%d/access_tokens", c.api, installation)
	if err := c.post(ctx, url, jwt, nil, &answer); err != nil {
		// A GitHub that cannot be reached, or answers 404 at this path,
		// is most often --github-api-url given wrong (GitHub Enterprise
		// Server's ends in /api/v3), or the App's ID or key (401).
		return "", fmt.Errorf("an installation token of the App from --github-api-url %s (check it, --github-app-id and --github-app-key-file): %w", c.api, err)
	}
	if answer.Token == "" {
		return "", fmt.Errorf("an installation token of the App: POST %s answered no token", url)
	}
	c.mu.Lock()
	if c.tokens == nil {
		c.tokens = map[int64]installationToken{}
	}
	c.tokens[installation] = installationToken{token: answer.Token, expires: answer.ExpiresAt}
	c.mu.Unlock()
	return answer.Token, nil
}

// review posts a deployment protection request's answer to its callback
// URL, with a token of its installation. forGood is GitHub refusing the
// answer itself in a way no later try changes (refusedForGood); a token
// GitHub does not give is never for good, as the App's settings or
// --github-api-url may be what is wrong.
func (c *client) review(ctx context.Context, callback string, installation int64, environment, state, comment string) (forGood bool, err error) {
	token, err := c.token(ctx, installation)
	if err != nil {
		return false, err
	}
	err = c.post(ctx, callback, token, map[string]string{"environment_name": environment, "state": state, "comment": comment}, nil)
	if ae, ok := errors.AsType[*apiError](err); ok && ae.status == http.StatusUnauthorized {
		// The token was revoked or expired early: the next try gets a
		// new one.
		c.mu.Lock()
		delete(c.tokens, installation)
		c.mu.Unlock()
	}
	return refusedForGood(err), err
}

// apiError is an answer of GitHub's API other than 2xx.
type apiError struct {
	url    string
	status int
	text   string
	msg    string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("POST %s answered %s: %s", e.url, e.text, e.msg)
}

// refusedForGood reports whether err is GitHub refusing an answer of a
// deployment protection request in a way no later try changes: the
// request is malformed (400), its run or rule is gone or already answered
// (404, 410), or it cannot be processed (422). A token refused (401), a
// permission missing (403, which the App's settings fix), a rate limit
// (403, 429) and GitHub failing (5xx) may pass.
func refusedForGood(err error) bool {
	ae, ok := errors.AsType[*apiError](err)
	if !ok {
		return false
	}
	switch ae.status {
	case http.StatusBadRequest, http.StatusNotFound, http.StatusGone, http.StatusUnprocessableEntity:
		return true
	}
	return false
}

// post sends body as JSON to url with the bearer credential, and decodes
// the answer into answer when it is not nil.
func (c *client) post(ctx context.Context, url, credential string, body, answer any) error {
	var r io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+credential)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		msg := strings.TrimSpace(string(data))
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		return &apiError{url: url, status: resp.StatusCode, text: resp.Status, msg: msg}
	}
	if answer != nil {
		if err := json.Unmarshal(data, answer); err != nil {
			return fmt.Errorf("POST %s: the answer is not the JSON expected: %w", url, err)
		}
	}
	return nil
}
