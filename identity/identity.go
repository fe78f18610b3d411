// Package identity verifies the tokens of OpenID Connect issuers for
// andon: a pipeline's short-lived token sent to the API as its bearer
// token, and the ID token of a person's sign-in to the board through the
// company's identity provider (the authorization code flow with PKCE). It
// is the only importer of go-oidc and golang.org/x/oauth2, which do the
// discovery, the key sets and the verification of signatures; andon's
// rules (the audiences, the claims required, the user's name) are here.
//
// Discovery is lazy: the server starts, and serves its own API tokens,
// when an issuer cannot be reached, and tries again with each token of
// that issuer, which is refused meanwhile with a fault (a 503).
package identity

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/andon-governance/andon"
)

// CallbackPath is the path of the board's address to which a provider
// sends the browser back after sign-in.
const CallbackPath = "/login/oidc/callback"

// fetchTimeout bounds each discovery, key set and code exchange request
// made to an issuer.
const fetchTimeout = 10 * time.Second

// Service implements andon.IdentityService over a Config.
type Service struct {
	issuers  []*issuer
	byURL    map[string]*issuer
	redirect string
	now      func() time.Time
	client   *http.Client
}

var _ andon.IdentityService = (*Service)(nil)

// issuer is a configured issuer and what was discovered of it.
type issuer struct {
	cfg Issuer
	id  string // its index in the configuration, naming it in the board's addresses

	mu       sync.Mutex
	provider *oidc.Provider
	keys     *keySet
	algs     []string
	// failed is the last discovery that failed, and when it ended.
	failed   error
	failedAt time.Time
}

// New returns a Service for c. publicURL is the server's external
// address, to which the board's providers send browsers back; it may be
// "" when no issuer has a board. now is the server's clock, against which
// tokens expire.
func New(c *Config, publicURL string, now func() time.Time) (*Service, error) {
	s := &Service{byURL: map[string]*issuer{}, now: now}
	s.client = &http.Client{Timeout: fetchTimeout, Transport: &markingTransport{next: http.DefaultTransport}}
	if c.HasBoard() {
		if err := CheckPublicURL(publicURL); err != nil {
			return nil, err
		}
		s.redirect = strings.TrimSuffix(publicURL, "/") + CallbackPath
	}
	for i, cfg := range c.OIDC {
		iss := &issuer{cfg: cfg, id: strconv.Itoa(i)}
		s.issuers = append(s.issuers, iss)
		s.byURL[cfg.Issuer] = iss
	}
	return s, nil
}

// CheckPublicURL checks the server's external address (andon serve
// --public-url), which a configuration that offers a provider on the
// board needs: the provider sends browsers back to its CallbackPath.
func CheckPublicURL(publicURL string) error {
	if publicURL == "" {
		return andon.Errorf(andon.EINVALID, "--public-url: required when the authentication configuration offers a provider on the board: the server's external address, such as https://andon.example.com, to which the provider sends browsers back")
	}
	u, err := url.Parse(publicURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return andon.Errorf(andon.EINVALID, "--public-url %q: want the server's external address, such as https://andon.example.com, to which the identity provider sends browsers back", publicURL)
	}
	return nil
}

// RedirectURL returns the address of the board's callback, or "" when no
// issuer has a board.
func (s *Service) RedirectURL() string { return s.redirect }

// Providers returns the issuers that have a board, for its sign-in page.
func (s *Service) Providers() []andon.IdentityProvider {
	var ps []andon.IdentityProvider
	for _, iss := range s.issuers {
		if b := iss.cfg.Board; b != nil {
			name := b.DisplayName
			if name == "" {
				u, _ := url.Parse(iss.cfg.Issuer)
				name = u.Host
			}
			ps = append(ps, andon.IdentityProvider{ID: iss.id, DisplayName: name})
		}
	}
	return ps
}

// unreachable is the fault of an issuer that could not be asked for its
// discovery document or its keys: a token it issued may be good, and is
// refused until it answers.
func unreachable(issuer string, err error) error {
	// The request that failed says it best, without the layers of
	// net/http and go-oidc around it.
	if fe := (*fetchError)(nil); errors.As(err, &fe) {
		err = fe
	}
	return &andon.Fault{Message: fmt.Sprintf("the OpenID Connect issuer %s cannot be reached to verify the token (%v): try again later", issuer, err)}
}

// discover returns the provider of iss, fetching its discovery document
// the first time it is needed and again after every failure. The requests
// that waited for an attempt that failed share its failure rather than
// each trying again in turn: an issuer that does not answer holds each
// of them up once, for fetchTimeout at most, not once for every request
// before it.
func (s *Service) discover(ctx context.Context, iss *issuer) (*oidc.Provider, error) {
	asked := time.Now()
	iss.mu.Lock()
	defer iss.mu.Unlock()
	if iss.provider != nil {
		return iss.provider, nil
	}
	if iss.failed != nil && iss.failedAt.After(asked) {
		return nil, iss.failed
	}
	p, err := s.fetchDiscovery(ctx, iss)
	if err != nil {
		iss.failed, iss.failedAt = err, time.Now()
		return nil, err
	}
	iss.provider, iss.failed = p, nil
	return p, nil
}

// fetchDiscovery reads the discovery document of iss, and prepares its
// key set, which go-oidc fetches when a token needs it.
func (s *Service) fetchDiscovery(ctx context.Context, iss *issuer) (*oidc.Provider, error) {
	ctx = oidc.ClientContext(ctx, s.client)
	p, err := oidc.NewProvider(ctx, iss.cfg.Issuer)
	if err != nil {
		if mismatch := (*oidc.IssuerMismatchError)(nil); errors.As(err, &mismatch) {
			return nil, &andon.Fault{Message: fmt.Sprintf("the OpenID Connect issuer %s says in its discovery document that it is %s: correct the issuer in the authentication configuration", iss.cfg.Issuer, mismatch.Discovered)}
		}
		return nil, unreachable(iss.cfg.Issuer, err)
	}
	var claims struct {
		JWKSURI string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := p.Claims(&claims); err != nil || claims.JWKSURI == "" {
		return nil, unreachable(iss.cfg.Issuer, errors.New("its discovery document names no jwks_uri"))
	}
	// The key set is fetched with a context of its own: go-oidc keeps it
	// for the later fetches.
	remote := oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), s.client), claims.JWKSURI)
	iss.keys, iss.algs = &keySet{remote: remote}, claims.Algs
	return p, nil
}

// Verify verifies a bearer token of the API: a JWT of a configured
// issuer, for one of its audiences.
func (s *Service) Verify(ctx context.Context, token string) (andon.Bearer, error) {
	parsed, err := jwt.ParseSigned(token, signingAlgs)
	if err != nil {
		return andon.Bearer{}, andon.Errorf(andon.EUNAUTHORIZED, "the bearer token is not a valid JWT: %v", err)
	}
	var unverified jwt.Claims
	// The issuer is read before the signature is checked only to find
	// the keys that check it.
	if err := parsed.UnsafeClaimsWithoutVerification(&unverified); err != nil || unverified.Issuer == "" {
		return andon.Bearer{}, andon.Errorf(andon.EUNAUTHORIZED, "the bearer token is a JWT without an issuer (iss)")
	}
	iss, ok := s.byURL[unverified.Issuer]
	if !ok {
		return andon.Bearer{}, andon.Errorf(andon.EUNAUTHORIZED, "the bearer token is a JWT of issuer %s, which is not configured (andon serve --auth-config)", unverified.Issuer)
	}
	idt, err := s.verify(ctx, iss, token, "")
	if err != nil {
		return andon.Bearer{}, err
	}
	if !slices.ContainsFunc(idt.Audience, func(a string) bool { return slices.Contains(iss.cfg.Audiences, a) }) {
		return andon.Bearer{}, refusal(iss, "the token's audience %s is not among the configured %s", list(idt.Audience), list(iss.cfg.Audiences))
	}
	return s.bearer(iss, idt)
}

// verify checks the signature, the issuer, the expiry and the not-before
// of token, and its audience when clientID is not "".
func (s *Service) verify(ctx context.Context, iss *issuer, token, clientID string) (*oidc.IDToken, error) {
	if _, err := s.discover(ctx, iss); err != nil {
		return nil, err
	}
	cfg := &oidc.Config{ClientID: clientID, SkipClientIDCheck: clientID == "", Now: s.now, SupportedSigningAlgs: iss.algs}
	var fetchErr error
	idt, err := oidc.NewVerifier(iss.cfg.Issuer, iss.keys, cfg).Verify(context.WithValue(ctx, fetchErrKey{}, &fetchErr), token)
	switch expired := (*oidc.TokenExpiredError)(nil); {
	case fetchErr != nil:
		return nil, unreachable(iss.cfg.Issuer, fetchErr)
	case errors.As(err, &expired):
		return nil, refusal(iss, "the token expired at %s", expired.Expiry.UTC().Format(time.RFC3339))
	case err != nil:
		return nil, refusal(iss, "%s", strings.TrimPrefix(err.Error(), "oidc: "))
	}
	return idt, nil
}

// bearer names the holder of a verified token: the claims required, the
// user's name, and whether they are read-only.
func (s *Service) bearer(iss *issuer, idt *oidc.IDToken) (andon.Bearer, error) {
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return andon.Bearer{}, refusal(iss, "its claims cannot be read: %v", err)
	}
	required := make([]string, 0, len(iss.cfg.Require))
	for claim := range iss.cfg.Require {
		required = append(required, claim)
	}
	sort.Strings(required)
	for _, claim := range required {
		want := iss.cfg.Require[claim]
		v, ok := claims[claim]
		if !ok {
			return andon.Bearer{}, refusal(iss, "the token has no claim `%s`, where the configuration requires `%s`", claim, want)
		}
		if got, _ := v.(string); got != want {
			return andon.Bearer{}, refusal(iss, "claim `%s` is `%v` where the configuration requires `%s`", claim, v, want)
		}
	}
	claim := iss.cfg.Username.Claim
	v, ok := claims[claim]
	if !ok {
		return andon.Bearer{}, refusal(iss, "the token has no claim `%s`, which names its user", claim)
	}
	value, ok := v.(string)
	if !ok {
		return andon.Bearer{}, refusal(iss, "claim `%s`, which names the user, is `%v`, not a string", claim, v)
	}
	// An address the provider has not verified names whoever typed it,
	// perhaps a colleague's; as Kubernetes does, a token that says so is
	// refused, and one that says nothing is taken.
	if verified, ok := claims["email_verified"]; ok && claim == "email" && verified != true {
		return andon.Bearer{}, refusal(iss, "claim `email`, which names the user, is not verified (email_verified is %v)", verified)
	}
	name := iss.cfg.Username.Prefix + value
	if err := andon.CheckUserName(name); err != nil {
		return andon.Bearer{}, refusal(iss, "the user name %q (claim `%s`%s) is not valid: %s", name, claim, prefixed(iss), andon.ErrorMessage(err))
	}
	b := andon.Bearer{User: name, Issuer: iss.cfg.Issuer, CreatedAt: idt.IssuedAt, ExpiresAt: idt.Expiry, ReadOnly: iss.cfg.ReadOnly}
	return b, nil
}

// prefixed says the prefix of iss's user names, if it has one.
func prefixed(iss *issuer) string {
	if iss.cfg.Username.Prefix == "" {
		return ""
	}
	return fmt.Sprintf(" after the prefix %q", iss.cfg.Username.Prefix)
}

// refusal is the refusal of a token of iss: EUNAUTHORIZED, naming the
// issuer and what failed.
func refusal(iss *issuer, format string, args ...any) error {
	return andon.Errorf(andon.EUNAUTHORIZED, "the token of issuer %s is not valid: %s", iss.cfg.Issuer, fmt.Sprintf(format, args...))
}

// list writes values as [a, b].
func list(values []string) string { return "[" + strings.Join(values, ", ") + "]" }

// signingAlgs are the algorithms of the JWTs that are parsed to read
// their issuer; the issuer's own list decides which it signs with.
var signingAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.ES512,
	jose.PS256, jose.PS384, jose.PS512, jose.EdDSA,
}

// board returns the issuer with the board id, or an error.
func (s *Service) board(id string) (*issuer, error) {
	for _, iss := range s.issuers {
		if iss.id == id && iss.cfg.Board != nil {
			return iss, nil
		}
	}
	return nil, andon.Errorf(andon.ENOTFOUND, "no identity provider %q signs in to the board", id)
}

// oauth returns the OAuth client of iss's board, with its secret read
// now (a rotated secret applies at once).
func (s *Service) oauth(iss *issuer, p *oidc.Provider, secret string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     iss.cfg.Board.ClientID,
		ClientSecret: secret,
		Endpoint:     p.Endpoint(),
		RedirectURL:  s.redirect,
		Scopes:       []string{oidc.ScopeOpenID, "profile", "email"},
	}
}

// SignInURL returns the address of provider's sign-in page for a browser
// signing in to the board.
func (s *Service) SignInURL(ctx context.Context, provider, state, nonce, verifier string) (string, error) {
	iss, err := s.board(provider)
	if err != nil {
		return "", err
	}
	p, err := s.discover(ctx, iss)
	if err != nil {
		return "", err
	}
	return s.oauth(iss, p, "").AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), nil
}

// Exchange redeems a code of provider for its ID token, which it
// verifies for the board's client and nonce.
func (s *Service) Exchange(ctx context.Context, provider, code, verifier, nonce string) (andon.Bearer, error) {
	iss, err := s.board(provider)
	if err != nil {
		return andon.Bearer{}, err
	}
	p, err := s.discover(ctx, iss)
	if err != nil {
		return andon.Bearer{}, err
	}
	secret, err := readSecret(iss.cfg.Board.ClientSecretFile)
	if err != nil {
		return andon.Bearer{}, &andon.Fault{Message: fmt.Sprintf("the client secret of the identity provider %s: %v", iss.cfg.Issuer, err)}
	}
	tok, err := s.oauth(iss, p, secret).Exchange(context.WithValue(ctx, oauth2.HTTPClient, s.client), code, oauth2.VerifierOption(verifier))
	if err != nil {
		if re := (*oauth2.RetrieveError)(nil); errors.As(err, &re) && re.Response != nil && re.Response.StatusCode < 500 {
			return andon.Bearer{}, refusal(iss, "the code was not redeemed: %s %s", re.ErrorCode, re.ErrorDescription)
		}
		return andon.Bearer{}, unreachable(iss.cfg.Issuer, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return andon.Bearer{}, refusal(iss, "the token endpoint gave no ID token")
	}
	idt, err := s.verify(ctx, iss, raw, iss.cfg.Board.ClientID)
	if err != nil {
		return andon.Bearer{}, err
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return andon.Bearer{}, refusal(iss, "the ID token's nonce is not the sign-in's")
	}
	return s.bearer(iss, idt)
}

// keySet verifies signatures with an issuer's remote key set, and tells
// a key set that could not be fetched from a signature that is not good:
// go-oidc words both as errors of the signature.
type keySet struct {
	remote *oidc.RemoteKeySet
}

// fetchErrKey is the context key of the *error in which keySet records a
// failure to fetch the keys.
type fetchErrKey struct{}

// VerifySignature implements oidc.KeySet.
func (k *keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := k.remote.VerifySignature(ctx, jwt)
	if fe := (*fetchError)(nil); errors.As(err, &fe) {
		if slot, ok := ctx.Value(fetchErrKey{}).(*error); ok {
			*slot = fe
		}
	}
	return payload, err
}

// fetchError is a request to an issuer that got no answer, or an answer
// other than 200.
type fetchError struct {
	url    string
	err    error
	status string
}

func (e *fetchError) Error() string {
	if e.err != nil {
		return fmt.Sprintf("GET %s: %v", e.url, e.err)
	}
	return fmt.Sprintf("GET %s: %s", e.url, e.status)
}

// markingTransport turns the failures of the GET requests of discovery
// and of key sets into a fetchError, which go-oidc wraps, so that an
// issuer that does not answer is told from a token that is not good. A
// POST (the code exchange) is left as it is: oauth2 reads its errors.
type markingTransport struct {
	next http.RoundTripper
}

func (t *markingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if req.Method != http.MethodGet {
		return resp, err
	}
	if err != nil {
		return nil, &fetchError{url: req.URL.String(), err: err}
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, &fetchError{url: req.URL.String(), status: resp.Status}
	}
	return resp, nil
}
