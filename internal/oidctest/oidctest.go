// Package oidctest is a small, real OpenID Connect issuer for andon's
// tests, on loopback: a discovery document, a JWKS with an RSA key, an
// /authorize endpoint that signs in a configured subject at once and
// sends the browser back with a code, a /token endpoint that redeems it
// (PKCE S256 checked) for an RS256 ID token carrying the nonce, and Mint,
// which signs any claims, for the API's tests. It signs with go-jose.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Issuer is a running OpenID Connect issuer.
type Issuer struct {
	// URL is the issuer's URL, its tokens' iss.
	URL string
	// ClientID and ClientSecret are those of the one client that may
	// redeem codes.
	ClientID, ClientSecret string

	srv    *httptest.Server
	key    *rsa.PrivateKey
	signer jose.Signer

	mu      sync.Mutex
	down    bool
	subject map[string]any
	deny    string
	nonce   *string
	codes   map[string]grant
	now     func() time.Time
	// discoveries counts the requests for the discovery document; block,
	// when set, holds each until it is closed, after sending on entered.
	discoveries int
	block       chan struct{}
	entered     chan struct{}
}

// grant is what a code was issued for.
type grant struct {
	clientID, redirect, challenge, nonce string
	claims                               map[string]any
}

// keyID names the issuer's key in its JWKS and in its tokens' headers.
const keyID = "oidctest-1"

// New starts an issuer on loopback, closed when the test ends. Its client
// is "andon" with the secret "s3cret".
func New(tb testing.TB) *Issuer {
	tb.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: keyID}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		tb.Fatal(err)
	}
	iss := &Issuer{ClientID: "andon", ClientSecret: "s3cret", key: key, signer: signer, codes: map[string]grant{}, now: time.Now,
		subject: map[string]any{"sub": "1", "email": "alice"}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", iss.discovery)
	mux.HandleFunc("GET /jwks", iss.jwks)
	mux.HandleFunc("GET /authorize", iss.authorize)
	mux.HandleFunc("POST /token", iss.token)
	iss.srv = httptest.NewServer(mux)
	iss.URL = iss.srv.URL
	tb.Cleanup(iss.srv.Close)
	return iss
}

// SetDown makes the issuer answer its discovery document and JWKS with
// 503 (true), as an issuer that cannot be reached, or answer again.
func (iss *Issuer) SetDown(down bool) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.down = down
}

// SignIn sets the claims of the subject whom /authorize signs in, besides
// those of every ID token (iss, aud, exp, iat, nonce).
func (iss *Issuer) SignIn(claims map[string]any) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.subject = maps.Clone(claims)
}

// Deny makes /authorize send the browser back with this error, such as
// access_denied, rather than a code; "" signs in again.
func (iss *Issuer) Deny(errorCode string) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.deny = errorCode
}

// ForceNonce makes /token put nonce in its ID tokens, whatever the
// sign-in asked for: a token replayed from another sign-in; "" puts the
// sign-in's again.
func (iss *Issuer) ForceNonce(nonce string) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.nonce = nil
	if nonce != "" {
		iss.nonce = &nonce
	}
}

// Mint signs claims as an RS256 JWT of the issuer's key. iss, iat and exp
// (five minutes on) are added unless claims has them; a nil value
// removes a claim.
func (iss *Issuer) Mint(tb testing.TB, claims map[string]any) string {
	tb.Helper()
	now := iss.now()
	all := map[string]any{"iss": iss.URL, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
	for k, v := range claims {
		if v == nil {
			delete(all, k)
			continue
		}
		all[k] = v
	}
	token, err := iss.sign(all)
	if err != nil {
		tb.Fatal(err)
	}
	return token
}

func (iss *Issuer) sign(claims map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := iss.signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

func (iss *Issuer) isDown(w http.ResponseWriter) bool {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	if iss.down {
		http.Error(w, "down for the test", http.StatusServiceUnavailable)
	}
	return iss.down
}

// Discoveries returns how many times the discovery document was asked
// for.
func (iss *Issuer) Discoveries() int {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	return iss.discoveries
}

// BlockDiscovery makes the requests for the discovery document wait until
// release is called; entered receives a value as each request arrives.
func (iss *Issuer) BlockDiscovery() (entered <-chan struct{}, release func()) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	block, in := make(chan struct{}), make(chan struct{}, 100)
	iss.block, iss.entered = block, in
	var once sync.Once
	return in, func() {
		once.Do(func() {
			iss.mu.Lock()
			iss.block = nil
			iss.mu.Unlock()
			close(block)
		})
	}
}

func (iss *Issuer) discovery(w http.ResponseWriter, _ *http.Request) {
	iss.mu.Lock()
	iss.discoveries++
	block, entered := iss.block, iss.entered
	iss.mu.Unlock()
	if block != nil {
		entered <- struct{}{}
		<-block
	}
	if iss.isDown(w) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                iss.URL,
		"authorization_endpoint":                iss.URL + "/authorize",
		"token_endpoint":                        iss.URL + "/token",
		"jwks_uri":                              iss.URL + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
	})
}

func (iss *Issuer) jwks(w http.ResponseWriter, _ *http.Request) {
	if iss.isDown(w) {
		return
	}
	pub := jose.JSONWebKey{Key: &iss.key.PublicKey, KeyID: keyID, Algorithm: string(jose.RS256), Use: "sig"}
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{pub}})
}

// authorize signs the configured subject in at once and sends the
// browser back to the client's redirect_uri with a code and the state.
func (iss *Issuer) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redirect.Host == "" {
		http.Error(w, "redirect_uri: not an absolute URL", http.StatusBadRequest)
		return
	}
	switch {
	case q.Get("client_id") != iss.ClientID:
		http.Error(w, "client_id: unknown client", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code":
		http.Error(w, "response_type: want code", http.StatusBadRequest)
		return
	case q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		http.Error(w, "code_challenge: want one of method S256", http.StatusBadRequest)
		return
	}
	back := redirect.Query()
	back.Set("state", q.Get("state"))
	iss.mu.Lock()
	if iss.deny != "" {
		back.Set("error", iss.deny)
	} else {
		code := rand.Text()
		iss.codes[code] = grant{clientID: q.Get("client_id"), redirect: q.Get("redirect_uri"), challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), claims: maps.Clone(iss.subject)}
		back.Set("code", code)
	}
	iss.mu.Unlock()
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// token redeems a code once, for the client that asked for it, with the
// PKCE verifier of its challenge.
func (iss *Issuer) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, "invalid_request", err.Error())
		return
	}
	clientID, secret, ok := r.BasicAuth()
	if !ok {
		clientID, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if clientID != iss.ClientID || secret != iss.ClientSecret {
		oauthError(w, "invalid_client", "unknown client or wrong secret")
		return
	}
	iss.mu.Lock()
	g, ok := iss.codes[r.PostForm.Get("code")]
	delete(iss.codes, r.PostForm.Get("code"))
	forced := iss.nonce
	iss.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case r.PostForm.Get("grant_type") != "authorization_code":
		oauthError(w, "unsupported_grant_type", "want authorization_code")
		return
	case !ok || g.clientID != clientID || g.redirect != r.PostForm.Get("redirect_uri"):
		oauthError(w, "invalid_grant", "unknown code")
		return
	case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
		oauthError(w, "invalid_grant", "code_verifier does not match the code_challenge")
		return
	}
	now := iss.now()
	claims := map[string]any{"iss": iss.URL, "aud": clientID, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "nonce": g.nonce}
	if forced != nil {
		claims["nonce"] = *forced
	}
	maps.Copy(claims, g.claims)
	idToken, err := iss.sign(claims)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": rand.Text(), "token_type": "Bearer", "expires_in": 300, "id_token": idToken})
}

func oauthError(w http.ResponseWriter, code, description string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": code, "error_description": description})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
