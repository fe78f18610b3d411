package server

import (
	"net/http"
	"time"

	"github.com/andon-governance/andon"
)

// rotateRequest is the body of POST /api/v1/me/token/rotate, which may
// be left out.
type rotateRequest struct {
	// Overlap is how long the token rotated goes on working (24h, 2d, 0);
	// andon.DefaultTokenOverlap when left out.
	Overlap *string `json:"overlap"`
}

// handleTokenRotate issues a new API token in place of the caller's, as
// andon token rotate --self asks: a pipeline whose token nears its
// expiry replaces it without an administrator. The new token lives as
// long as the caller's was made to, never longer, and is read-only if
// that one was; the caller's goes on working for the overlap.
func handleTokenRotate(tokens andon.TokenService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := parseQuery(r); err != nil {
			return err
		}
		req, err := decodeOptional[rotateRequest](w, r)
		if err != nil {
			return err
		}
		overlap := andon.DefaultTokenOverlap
		if req.Overlap != nil {
			if overlap, err = andon.ParseTokenOverlap(*req.Overlap); err != nil {
				return andon.Errorf(andon.EINVALID, "request body: field \"overlap\": %s", andon.ErrorMessage(err))
			}
		}
		user := andon.UserFromContext(r.Context())
		if user != nil && user.Issuer != "" {
			return andon.Errorf(andon.EFORBIDDEN, "%s signed in with a token of the OpenID Connect issuer %s, which that issuer renews, not andon: ask it for a new one (a pipeline gets one at every run)", user.Name, user.Issuer)
		}
		if user == nil || user.TokenID == "" {
			return andon.Errorf(andon.EUNAUTHORIZED, "only an API token rotates itself: send it in the Authorization header")
		}
		rotated, err := tokens.RotateToken(r.Context(), user.TokenID, overlap, time.Time{})
		if err != nil {
			return err
		}
		return encode(w, http.StatusCreated, rotated)
	}
}
