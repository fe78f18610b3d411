package andon

import (
	"context"
	"strings"
)

// IdentityService verifies the identity of people and pipelines that an
// OpenID Connect provider signed in (andon serve --auth-config): a
// pipeline's short-lived token (GitHub Actions, GitLab) sent as the
// bearer token of the API, and a person's sign-in to the board through
// the company's identity provider (Keycloak, Entra ID, Okta). The user is
// named from a claim of the token, and the catalog's Teams give the roles,
// as they do to the users of API tokens.
type IdentityService interface {
	// Verify returns the holder of a JWT issued by a configured issuer:
	// its signature, audience, expiry, not-before and required claims
	// checked. A token that fails is refused (EUNAUTHORIZED) naming the
	// issuer and what failed; a token of an issuer that cannot be reached
	// is refused with a *Fault, which the API answers with a 503: the
	// token may well be good, and the client should try again.
	Verify(ctx context.Context, token string) (Bearer, error)
	// Providers returns the providers that the board's sign-in page
	// offers, in the order of the configuration.
	Providers() []IdentityProvider
	// SignInURL returns the address of the sign-in page of provider, to
	// which the board sends a browser: the authorization code flow with
	// PKCE (S256, verifier), state and nonce.
	SignInURL(ctx context.Context, provider, state, nonce, verifier string) (string, error)
	// Exchange redeems the code that provider gave the browser, with the
	// PKCE verifier of the sign-in, and returns the holder of the ID
	// token it gets, verified as Verify does with the nonce of the
	// sign-in.
	Exchange(ctx context.Context, provider, code, verifier, nonce string) (Bearer, error)
}

// IdentityProvider is an OpenID Connect provider that the board's sign-in
// page offers.
type IdentityProvider struct {
	// ID names the provider in the board's addresses.
	ID string
	// DisplayName is what the sign-in button says: "Sign in with …".
	DisplayName string
}

// LooksLikeJWT reports whether a bearer token is a JSON Web Token in the
// compact form (three base64url parts, the first a JSON object) rather
// than one of andon's own tokens, which begin with their prefix and hold
// no dot. Such a token is verified with its issuer (IdentityService) and
// never looked up among andon's tokens.
func LooksLikeJWT(token string) bool {
	return strings.HasPrefix(token, "eyJ") && strings.Count(token, ".") == 2
}
