package client

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/andon-governance/andon"
)

// DORA returns the DORA report of f's period; a zero Until is the
// server's now, a zero Since 30 days before Until.
func (c *Client) DORA(ctx context.Context, f andon.DORAFilter) (*andon.DORAReport, error) {
	q := url.Values{}
	if !f.Since.IsZero() {
		q.Set("since", f.Since.Format(time.RFC3339Nano))
	}
	if !f.Until.IsZero() {
		q.Set("until", f.Until.Format(time.RFC3339Nano))
	}
	setString(q, "env", f.Environment)
	setString(q, "plant", f.Plant)
	setString(q, "process", f.Process)
	var r andon.DORAReport
	if err := c.do(ctx, http.MethodGet, "/api/v1/reports/dora", q, nil, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// MonthlyReview returns the monthly operational review of f's month.
func (c *Client) MonthlyReview(ctx context.Context, f andon.ReviewFilter) (*andon.Review, error) {
	q := url.Values{}
	q.Set("month", f.Month)
	setString(q, "env", f.Environment)
	setString(q, "plant", f.Plant)
	setString(q, "process", f.Process)
	setString(q, "timezone", f.Timezone)
	var r andon.Review
	if err := c.do(ctx, http.MethodGet, "/api/v1/reports/review", q, nil, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
