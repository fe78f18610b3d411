package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/andon-governance/andon"
)

// Environment returns the environment of the catalog in force named name.
func (c *Client) Environment(ctx context.Context, name string) (*andon.Environment, error) {
	var env andon.Environment
	if err := c.do(ctx, http.MethodGet, "/api/v1/catalog/environments/"+url.PathEscape(name), nil, nil, &env); err != nil {
		return nil, err
	}
	return &env, nil
}

// RecordDrift sends the report of a drift check to be recorded in the
// audit log, and returns where it was recorded.
func (c *Client) RecordDrift(ctx context.Context, report *andon.DriftReport) (*andon.DriftRecord, error) {
	var rec andon.DriftRecord
	if err := c.do(ctx, http.MethodPost, "/api/v1/drift", nil, report, &rec); err != nil {
		return nil, err
	}
	return &rec, nil
}
