package client

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/andon-governance/andon"
)

// accessPath returns the API path of access request id, followed by sub.
func accessPath(id, sub string) (string, error) {
	if andon.IsBlank(id) {
		return "", andon.Errorf(andon.EINVALID, "access request ID %q: want one such as ACC-3", id)
	}
	return "/api/v1/access-requests/" + url.PathEscape(id) + sub, nil
}

// RequestAccess asks for the roles of team for d, saying why: a standing
// member of the team approves.
func (c *Client) RequestAccess(ctx context.Context, team string, d time.Duration, reason string) (*andon.AccessRequest, error) {
	body := struct {
		Team     string `json:"team"`
		Duration string `json:"duration"`
		Reason   string `json:"reason"`
	}{team, d.String(), reason}
	var req andon.AccessRequest
	if err := c.do(ctx, http.MethodPost, "/api/v1/access-requests", nil, body, &req); err != nil {
		return nil, err
	}
	return &req, nil
}

// AccessRequest returns one request for access.
func (c *Client) AccessRequest(ctx context.Context, id string) (*andon.AccessRequest, error) {
	path, err := accessPath(id, "")
	if err != nil {
		return nil, err
	}
	var req andon.AccessRequest
	if err := c.do(ctx, http.MethodGet, path, nil, nil, &req); err != nil {
		return nil, err
	}
	return &req, nil
}

// AccessRequests lists requests for access, newest first.
func (c *Client) AccessRequests(ctx context.Context, f andon.AccessFilter) ([]*andon.AccessRequest, error) {
	q := url.Values{}
	setString(q, "state", f.State)
	setString(q, "user", f.User)
	setString(q, "team", f.Team)
	setInt(q, "limit", int64(f.Limit))
	var out struct {
		AccessRequests []*andon.AccessRequest `json:"accessRequests"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/access-requests", q, nil, &out); err != nil {
		return nil, err
	}
	return out.AccessRequests, nil
}

// MoveAccess approves, rejects, cancels or revokes (verb) request id,
// with comment.
func (c *Client) MoveAccess(ctx context.Context, id, verb, comment string) (*andon.AccessRequest, error) {
	path, err := accessPath(id, "/"+verb)
	if err != nil {
		return nil, err
	}
	body := struct {
		Comment string `json:"comment,omitempty"`
	}{comment}
	var req andon.AccessRequest
	if err := c.do(ctx, http.MethodPost, path, nil, body, &req); err != nil {
		return nil, err
	}
	return &req, nil
}
