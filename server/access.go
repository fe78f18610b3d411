package server

import (
	"net/http"
	"net/url"

	"github.com/andon-governance/andon"
)

// accessRequestBody is the body of POST /api/v1/access-requests.
type accessRequestBody struct {
	Team string `json:"team"`
	// Duration is a Go duration, such as 2h or 90m.
	Duration string `json:"duration"`
	Reason   string `json:"reason"`
}

// handleAccessRequest asks, for the user in the context, for the roles of
// a team for a while.
func handleAccessRequest(access andon.AccessService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := parseQuery(r); err != nil {
			return err
		}
		body, err := decode[accessRequestBody](w, r)
		if err != nil {
			return err
		}
		if body.Duration == "" {
			return andon.Errorf(andon.EINVALID, "duration: required, such as 2h")
		}
		d, err := andon.ParseDuration(body.Duration)
		if err != nil {
			return andon.Errorf(andon.EINVALID, "duration: %v", err)
		}
		req, err := access.RequestAccess(r.Context(), body.Team, d, body.Reason)
		if err != nil {
			return err
		}
		w.Header().Set("Location", "/api/v1/access-requests/"+url.PathEscape(req.ID))
		return encode(w, http.StatusCreated, req)
	}
}

// handleAccessList answers the requests for access, newest first.
func handleAccessList(access andon.AccessService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q, err := parseQuery(r, "state", "user", "team", "limit")
		if err != nil {
			return err
		}
		var f andon.AccessFilter
		if f.State, err = oneOf(q, "state", andon.AccessStates); err != nil {
			return err
		}
		if f.User, err = q.string("user"); err != nil {
			return err
		}
		if f.Team, err = q.string("team"); err != nil {
			return err
		}
		limit, err := q.int("limit", defaultLimit, 1, maxLimit)
		if err != nil {
			return err
		}
		f.Limit = int(limit)
		list, err := access.FindAccessRequests(r.Context(), f)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, struct {
			AccessRequests []*andon.AccessRequest `json:"accessRequests"`
		}{nonNil(list)})
	}
}

// handleAccessGet answers one request for access.
func handleAccessGet(access andon.AccessService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := parseQuery(r); err != nil {
			return err
		}
		req, err := access.FindAccessRequestByID(r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, req)
	}
}

// accessCommentBody is the body of the approval, rejection, cancellation
// and revocation of a request for access, which may be left out where
// the comment is optional (all but a rejection).
type accessCommentBody struct {
	Comment string `json:"comment"`
}

// handleAccessMove moves a request for access on with move: an approval,
// a rejection, a cancellation or a revocation. Who may is the service's
// to decide.
func handleAccessMove(move func(r *http.Request, id, comment string) (*andon.AccessRequest, error)) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := parseQuery(r); err != nil {
			return err
		}
		body, err := decodeOptional[accessCommentBody](w, r)
		if err != nil {
			return err
		}
		req, err := move(r, r.PathValue("id"), body.Comment)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, req)
	}
}

func approveAccess(access andon.AccessService) apiFunc {
	return handleAccessMove(func(r *http.Request, id, comment string) (*andon.AccessRequest, error) {
		return access.ApproveAccess(r.Context(), id, comment)
	})
}

func rejectAccess(access andon.AccessService) apiFunc {
	return handleAccessMove(func(r *http.Request, id, comment string) (*andon.AccessRequest, error) {
		return access.RejectAccess(r.Context(), id, comment)
	})
}

func cancelAccess(access andon.AccessService) apiFunc {
	return handleAccessMove(func(r *http.Request, id, comment string) (*andon.AccessRequest, error) {
		if comment != "" {
			return nil, andon.Errorf(andon.EINVALID, "comment: a cancellation takes none; the request's reason stands")
		}
		return access.CancelAccess(r.Context(), id)
	})
}

func revokeAccess(access andon.AccessService) apiFunc {
	return handleAccessMove(func(r *http.Request, id, comment string) (*andon.AccessRequest, error) {
		return access.RevokeAccess(r.Context(), id, comment)
	})
}
