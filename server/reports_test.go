package server_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/server"
)

// reportService checks the filter as the store does, against the test
// catalog, and reports no history; it keeps the last filter asked for.
type reportService struct {
	mu   sync.Mutex
	last andon.DORAFilter
}

func (s *reportService) DORA(ctx context.Context, f andon.DORAFilter) (*andon.DORAReport, error) {
	s.mu.Lock()
	s.last = f
	s.mu.Unlock()
	selected, err := f.Environments(testCatalog())
	if err != nil {
		return nil, err
	}
	return andon.NewDORAReport(f, selected, nil, nil), nil
}

func (s *reportService) Review(ctx context.Context, f andon.ReviewFilter) (*andon.Review, error) {
	period, selected, err := f.Period(testCatalog(), time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))
	if err != nil {
		return nil, err
	}
	return &andon.Review{Month: f.Month, Timezone: period.Since.Location().String(), Since: period.Since, Until: period.Until, Environment: f.Environment, Plant: f.Plant, Process: f.Process,
		Selected: selected, Delivery: andon.NewDORAReport(period, selected, nil, nil)}, nil
}

// The monthly review is of the calendar month the month parameter names,
// which is required; a parameter the review cannot take is a 400 that
// names it.
func TestReportReview(t *testing.T) {
	f := newFixture(t, func(c *server.Config) { c.Reports = &reportService{} })
	r := f.do(t, "GET", "/api/v1/reports/review?month=2026-11&plant=lyon", aliceToken, "")
	got := decode[andon.Review](t, r)
	if want := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC); r.status != http.StatusOK || !got.Since.Equal(want) || !got.Until.Equal(want.AddDate(0, 1, 0)) || got.Plant != "lyon" {
		t.Errorf("review of November: %d %+v; want November in UTC, plant lyon", r.status, got)
	}
	// The time zone given is that of the month, and its offset that of
	// the period's ends.
	r = f.do(t, "GET", "/api/v1/reports/review?month=2026-11&plant=lyon&timezone=Australia/Melbourne", aliceToken, "")
	got = decode[andon.Review](t, r)
	if want := time.Date(2026, 10, 31, 13, 0, 0, 0, time.UTC); r.status != http.StatusOK || got.Timezone != "Australia/Melbourne" || !got.Since.Equal(want) ||
		!strings.Contains(string(r.body), `"since":"2026-11-01T00:00:00+11:00"`) {
		t.Errorf("review of Melbourne's November: %d %s; want it from %s, in Australia/Melbourne", r.status, r.body, want)
	}
	for _, c := range []struct{ query, want string }{
		{"", "query parameter month: required"},
		{"month=", "query parameter month: required"},
		{"month=2026-13", `query parameter month: "2026-13" is not a month; want YYYY-MM`},
		{"month=November", `query parameter month: "November" is not a month`},
		{"month=2026-11&env=prod-paris", "query parameter env: "},
		{"month=2026-11&env=prod-lyon&plant=lyon", "query parameter env, plant and process: give one of them at most"},
		{"month=2026-11&since=2026-11-01T00:00:00Z", `query parameter "since" is not known: want month, env, plant, process, timezone`},
		{"month=2026-11&timezone=Europe/Lyon", `query parameter timezone: "Europe/Lyon" is not a known IANA time zone such as Europe/Paris`},
		{"month=2026-11&timezone=Local", `query parameter timezone: "Local" depends on the machine`},
		{"month=2026-11&timezone=", "query parameter timezone"},
	} {
		msg := mustError(t, f.do(t, "GET", "/api/v1/reports/review?"+c.query, aliceToken, ""), http.StatusBadRequest, andon.EINVALID)
		if !strings.Contains(msg, c.want) {
			t.Errorf("?%s: %q, want it to say %q", c.query, msg, c.want)
		}
	}
	mustError(t, f.do(t, "GET", "/api/v1/reports/review?month=2026-11", "", ""), http.StatusUnauthorized, andon.EUNAUTHORIZED)
}

// The DORA report's period defaults to the 30 days before now, and a
// parameter the report cannot take is a 400 that names it.
func TestReportDORA(t *testing.T) {
	reports := &reportService{}
	f := newFixture(t, func(c *server.Config) { c.Reports = reports })
	r := f.do(t, "GET", "/api/v1/reports/dora", aliceToken, "")
	got := decode[andon.DORAReport](t, r)
	if r.status != http.StatusOK || !got.Until.Equal(testNow) || !got.Since.Equal(testNow.Add(-30*24*time.Hour)) || got.Total.ChangeFailureRate != nil {
		t.Errorf("report without a period: %d %+v; want the 30 days before now, no failure rate", r.status, got)
	}
	r = f.do(t, "GET", "/api/v1/reports/dora?until=2026-11-01T00:00:00Z&env=prod-lyon", aliceToken, "")
	got = decode[andon.DORAReport](t, r)
	if want := time.Date(2026, 10, 2, 0, 0, 0, 0, time.UTC); !got.Since.Equal(want) || got.Environment != "prod-lyon" {
		t.Errorf("report until the first of November: since %s, environment %q; want %s, prod-lyon", got.Since, got.Environment, want)
	}
	for _, c := range []struct{ query, want string }{
		{"since=yesterday", `query parameter since: "yesterday" is not an RFC 3339 time`},
		{"until=2026-13-01T00:00:00Z", "query parameter until: "},
		{"since=2026-11-02T00:00:00Z&until=2026-11-01T00:00:00Z", "query parameter since: 2026-11-02T00:00:00Z is not before until 2026-11-01T00:00:00Z"},
		{"since=2025-01-01T00:00:00Z&until=2026-11-01T00:00:00Z", "query parameter since: the period from 2025-01-01T00:00:00Z to 2026-11-01T00:00:00Z is longer than 366 days"},
		{"env=prod-paris", "query parameter env: "},
		{"plant=paris", "query parameter plant: "},
		{"process=payroll", "query parameter process: "},
		{"env=prod-lyon&plant=lyon", "query parameter env, plant and process: give one of them at most"},
		{"env=", "query parameter env"},
		{"environment=prod-lyon", `query parameter "environment" is not known: want since, until, env, plant, process`},
	} {
		msg := mustError(t, f.do(t, "GET", "/api/v1/reports/dora?"+c.query, aliceToken, ""), http.StatusBadRequest, andon.EINVALID)
		if !strings.Contains(msg, c.want) {
			t.Errorf("?%s: %q, want it to say %q", c.query, msg, c.want)
		}
	}
}
