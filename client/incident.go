package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/andon-governance/andon"
)

// incidentPath returns the API path of incident id, followed by sub.
func incidentPath(id, sub string) (string, error) {
	if andon.IsBlank(id) {
		return "", andon.Errorf(andon.EINVALID, "incident ID %q: want one such as INC-3", id)
	}
	return "/api/v1/incidents/" + url.PathEscape(id) + sub, nil
}

// OpenIncident opens an incident: while it is open, the gate refuses
// every change to production but an emergency one in its scope (under the
// default policy, when it is critical).
func (c *Client) OpenIncident(ctx context.Context, req *andon.IncidentRequest) (*andon.Incident, error) {
	var inc andon.Incident
	if err := c.do(ctx, http.MethodPost, "/api/v1/incidents", nil, req, &inc); err != nil {
		return nil, err
	}
	return &inc, nil
}

// ResolveIncident resolves an open incident, saying what was done.
func (c *Client) ResolveIncident(ctx context.Context, id, comment string) (*andon.Incident, error) {
	path, err := incidentPath(id, "/resolve")
	if err != nil {
		return nil, err
	}
	body := struct {
		Comment string `json:"comment"`
	}{comment}
	var inc andon.Incident
	if err := c.do(ctx, http.MethodPost, path, nil, body, &inc); err != nil {
		return nil, err
	}
	return &inc, nil
}

// Incident returns one incident.
func (c *Client) Incident(ctx context.Context, id string) (*andon.Incident, error) {
	path, err := incidentPath(id, "")
	if err != nil {
		return nil, err
	}
	var inc andon.Incident
	if err := c.do(ctx, http.MethodGet, path, nil, nil, &inc); err != nil {
		return nil, err
	}
	return &inc, nil
}

// Incidents lists incidents, the open ones first, then newest first.
func (c *Client) Incidents(ctx context.Context, f andon.IncidentFilter) ([]*andon.Incident, error) {
	q := url.Values{}
	setString(q, "state", f.State)
	setString(q, "severity", string(f.Severity))
	setInt(q, "offset", int64(f.Offset))
	setInt(q, "limit", int64(f.Limit))
	var out struct {
		Incidents []*andon.Incident `json:"incidents"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/incidents", q, nil, &out); err != nil {
		return nil, err
	}
	return out.Incidents, nil
}
