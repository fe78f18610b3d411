package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/andon-governance/andon"
)

// GitHubDeployments lists the GitHub deployment protection requests the
// server recorded, the latest first.
func (c *Client) GitHubDeployments(ctx context.Context, f andon.GitHubDeploymentFilter) ([]*andon.GitHubDeployment, error) {
	q := url.Values{}
	setString(q, "state", string(f.State))
	setInt(q, "limit", int64(f.Limit))
	var out struct {
		Deployments []*andon.GitHubDeployment `json:"deployments"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/integrations/github/deployments", q, nil, &out); err != nil {
		return nil, err
	}
	return out.Deployments, nil
}
