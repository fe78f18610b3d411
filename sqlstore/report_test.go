package sqlstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/sqlstore"
	"github.com/andon-governance/andon/sqlstore/sqlstoretest"
	"github.com/google/go-cmp/cmp"
)

const imageFix = "registry.example.com/odoo/odoo:17.1@sha256:3333333333333333333333333333333333333333333333333333333333333333"

// secs is a percentile of a spread.
func secs(d time.Duration) *int64 {
	s := int64(d / time.Second)
	return &s
}

func rate(x float64) *float64 { return &x }

// doraHistory makes six hours of history through the services, from
// e.now: in staging-geelong a deployment completed, one failed and its fix
// completed; in prod-geelong an emergency change deployed an hour after it
// was opened and rolled back an hour later; in staging-lyon a deployment
// still implementing; a change of prod-lyon still pending; an incident of
// Geelong resolved after two hours and one of Lyon still open.
func doraHistory(t *testing.T, e *env) (start time.Time) {
	t.Helper()
	start = e.now
	at := func(d time.Duration) { e.now = start.Add(d) }
	deploy := func(env, image string) *andon.Change {
		t.Helper()
		res, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: env, Image: image})
		if err != nil || !res.Allow {
			t.Fatalf("gate of %s in %s: %v %+v", image, env, err, res)
		}
		return res.Change
	}
	move := func(id string, to andon.State) {
		t.Helper()
		if _, err := e.changes.Transition(as("alice"), id, to, ""); err != nil {
			t.Fatal(err)
		}
	}
	inc, err := e.incidents.OpenIncident(as("gus"), &geelongDown)
	if err != nil {
		t.Fatal(err)
	}
	lyon := geelongDown
	lyon.Scope = andon.IncidentScope{Plants: []string{"lyon"}}
	if _, err := e.incidents.OpenIncident(as("alice"), &lyon); err != nil {
		t.Fatal(err)
	}
	e.MustStage(t, imageStaged)
	at(time.Hour)
	failed := deploy("staging-geelong", imageNew)
	at(90 * time.Minute)
	move(failed.ID, andon.StateFailed)
	at(2 * time.Hour)
	move(deploy("staging-geelong", imageFix).ID, andon.StateCompleted)
	if _, err := e.incidents.ResolveIncident(as("bob"), inc.ID, "scheduler restarted"); err != nil {
		t.Fatal(err)
	}
	at(3 * time.Hour)
	c, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{
		Environment: "prod-geelong", Type: andon.ChangeEmergency, Title: "Hotfix labels",
		Artifacts: []string{imageStaged}, Facts: andon.Facts{Modules: []string{"delivery"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.changes.Decide(as("erin"), c.ID, andon.Approve, "outage"); err != nil {
		t.Fatal(err)
	}
	at(4 * time.Hour)
	deploy("prod-geelong", imageStaged)
	at(5 * time.Hour)
	move(c.ID, andon.StateRolledBack)
	deploy("staging-lyon", imageNew)
	if _, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{
		Environment: "prod-lyon", Type: andon.ChangeNormal, Title: "Routing", Artifacts: []string{imageStaged},
	}); err != nil {
		t.Fatal(err)
	}
	at(6 * time.Hour)
	return start
}

// The DORA report counts the deployments of a period, their lead times,
// the changes that ended and how, the time to restore after a failure and
// after an incident, from the history the services recorded; an
// environment, a plant or a process narrows it, and a period without
// history reports nothing, null where there is nothing to measure.
func TestDORAReport(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		start := doraHistory(t, e)
		reports := sqlstore.NewReportService(e.db, e.catalog, e.changes, e.backups)
		report := func(f andon.DORAFilter) *andon.DORAReport {
			t.Helper()
			r, err := reports.DORA(as("frank"), f)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		// The day has not ended: six hours of it have passed, over
		// which its rates are counted.
		day := andon.DORAFilter{Since: start, Until: start.Add(24 * time.Hour)}
		stagingGeelong := andon.DORAFigures{Environment: "staging-geelong",
			Deployments: 3, DeploymentsPerDay: 12, DeploymentsPerWeek: 84,
			LeadTime:  andon.Spread{Count: 3, P50Seconds: secs(0), P90Seconds: secs(0)},
			Completed: 2, Failed: 1, ChangeFailureRate: rate(0.3333),
			Restore: andon.Spread{Count: 1, P50Seconds: secs(30 * time.Minute), P90Seconds: secs(30 * time.Minute)}}
		prodGeelong := andon.DORAFigures{Environment: "prod-geelong",
			Deployments: 1, EmergencyDeployments: 1, DeploymentsPerDay: 4, DeploymentsPerWeek: 28,
			LeadTime:   andon.Spread{Count: 1, P50Seconds: secs(time.Hour), P90Seconds: secs(time.Hour)},
			RolledBack: 1, ChangeFailureRate: rate(1),
			Restore: andon.Spread{Count: 1, P50Seconds: secs(time.Hour), P90Seconds: secs(time.Hour)}}
		stagingLyon := andon.DORAFigures{Environment: "staging-lyon",
			Deployments: 1, DeploymentsPerDay: 4, DeploymentsPerWeek: 28,
			LeadTime: andon.Spread{Count: 1, P50Seconds: secs(0), P90Seconds: secs(0)}}
		geelongIncidents := andon.IncidentFigures{Resolved: 1,
			Restore: andon.Spread{Count: 1, P50Seconds: secs(2 * time.Hour), P90Seconds: secs(2 * time.Hour)}}
		cases := []struct {
			name   string
			filter andon.DORAFilter
			want   andon.DORAReport
		}{
			{"everything", day, andon.DORAReport{
				Total: andon.DORAFigures{Deployments: 5, EmergencyDeployments: 1, DeploymentsPerDay: 20, DeploymentsPerWeek: 140,
					LeadTime:  andon.Spread{Count: 5, P50Seconds: secs(0), P90Seconds: secs(time.Hour)},
					Completed: 2, Failed: 1, RolledBack: 1, ChangeFailureRate: rate(0.5),
					Restore: andon.Spread{Count: 2, P50Seconds: secs(30 * time.Minute), P90Seconds: secs(time.Hour)}},
				Environments: []andon.DORAFigures{prodGeelong, stagingGeelong, stagingLyon},
				Incidents:    geelongIncidents,
			}},
			{"one environment", andon.DORAFilter{Since: day.Since, Until: day.Until, Environment: "prod-geelong"}, andon.DORAReport{
				Environment:  "prod-geelong",
				Total:        func() andon.DORAFigures { f := prodGeelong; f.Environment = ""; return f }(),
				Environments: []andon.DORAFigures{prodGeelong},
				Incidents:    geelongIncidents,
			}},
			{"a plant", andon.DORAFilter{Since: day.Since, Until: day.Until, Plant: "lyon"}, andon.DORAReport{
				Plant:        "lyon",
				Selected:     []string{"dev", "staging-lyon", "prod-lyon", "prod-subsidiaries"},
				Total:        func() andon.DORAFigures { f := stagingLyon; f.Environment = ""; return f }(),
				Environments: []andon.DORAFigures{stagingLyon},
				// prod-subsidiaries is supplied by Geelong too.
				Incidents: geelongIncidents,
			}},
			// The failure is before the period: its fix in the period is
			// a completion, and restores nothing the period counts.
			{"after the failure", andon.DORAFilter{Since: start.Add(100 * time.Minute), Until: start.Add(150 * time.Minute), Environment: "staging-geelong"}, andon.DORAReport{
				Environment: "staging-geelong",
				Total: andon.DORAFigures{Deployments: 1, DeploymentsPerDay: 28.8, DeploymentsPerWeek: 201.6,
					LeadTime:  andon.Spread{Count: 1, P50Seconds: secs(0), P90Seconds: secs(0)},
					Completed: 1, ChangeFailureRate: rate(0)},
				Environments: []andon.DORAFigures{{Environment: "staging-geelong", Deployments: 1, DeploymentsPerDay: 28.8, DeploymentsPerWeek: 201.6,
					LeadTime:  andon.Spread{Count: 1, P50Seconds: secs(0), P90Seconds: secs(0)},
					Completed: 1, ChangeFailureRate: rate(0)}},
				Incidents: geelongIncidents,
			}},
			// A failure whose environment completed nothing after it in
			// the period is unrestored.
			{"before the fix", andon.DORAFilter{Since: start, Until: start.Add(100 * time.Minute), Environment: "staging-geelong"}, andon.DORAReport{
				Environment: "staging-geelong",
				Total: andon.DORAFigures{Deployments: 2, DeploymentsPerDay: 28.8, DeploymentsPerWeek: 201.6,
					LeadTime:  andon.Spread{Count: 2, P50Seconds: secs(0), P90Seconds: secs(0)},
					Completed: 1, Failed: 1, ChangeFailureRate: rate(0.5), Unrestored: 1},
				Environments: []andon.DORAFigures{{Environment: "staging-geelong", Deployments: 2, DeploymentsPerDay: 28.8, DeploymentsPerWeek: 201.6,
					LeadTime:  andon.Spread{Count: 2, P50Seconds: secs(0), P90Seconds: secs(0)},
					Completed: 1, Failed: 1, ChangeFailureRate: rate(0.5), Unrestored: 1}},
			}},
			// The rollback is in the period and the deployment before it:
			// the rollback ends a change and restores after the
			// deployment, which the period does not count.
			{"after the deployment", andon.DORAFilter{Since: start.Add(270 * time.Minute), Until: start.Add(330 * time.Minute), Environment: "prod-geelong"}, andon.DORAReport{
				Environment: "prod-geelong",
				Total: andon.DORAFigures{RolledBack: 1, ChangeFailureRate: rate(1),
					Restore: andon.Spread{Count: 1, P50Seconds: secs(time.Hour), P90Seconds: secs(time.Hour)}},
				Environments: []andon.DORAFigures{{Environment: "prod-geelong", RolledBack: 1, ChangeFailureRate: rate(1),
					Restore: andon.Spread{Count: 1, P50Seconds: secs(time.Hour), P90Seconds: secs(time.Hour)}}},
			}},
			{"empty", andon.DORAFilter{Since: start.Add(-48 * time.Hour), Until: start.Add(-24 * time.Hour)}, andon.DORAReport{
				Environments: []andon.DORAFigures{},
			}},
		}
		for _, c := range cases {
			got := report(c.filter)
			c.want.Since, c.want.Until = c.filter.Since.UTC(), c.filter.Until.UTC()
			if c.want.Until.After(e.now) {
				c.want.Until = e.now.UTC()
			}
			if diff := cmp.Diff(&c.want, got); diff != "" {
				t.Errorf("%s: report (-want +got):\n%s", c.name, diff)
			}
		}
		// A process selects the environments that run it.
		r := report(andon.DORAFilter{Since: day.Since, Until: day.Until, Process: "production"})
		if want := []string{"dev", "staging-lyon", "prod-lyon", "staging-geelong", "prod-geelong"}; !cmp.Equal(r.Selected, want) || r.Total.Deployments != 5 {
			t.Errorf("process production: selected %v, %d deployments; want %v, 5", r.Selected, r.Total.Deployments, want)
		}
		if r := report(andon.DORAFilter{Since: day.Since, Until: day.Until, Process: "finance"}); len(r.Selected) != 6 {
			t.Errorf("process finance: selected %v, want every environment", r.Selected)
		}
	})
}

// A filter the catalog does not know, or a period that is not one, is
// refused naming what is wrong.
func TestDORAReportRefusesBadFilters(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		reports := sqlstore.NewReportService(e.db, e.catalog, e.changes, e.backups)
		since, until := e.now.Add(-24*time.Hour), e.now
		for _, c := range []struct {
			filter andon.DORAFilter
			want   string
		}{
			{andon.DORAFilter{Since: since, Until: until, Environment: "prod-paris"}, "env: "},
			{andon.DORAFilter{Since: since, Until: until, Plant: "paris"}, "plant: "},
			{andon.DORAFilter{Since: since, Until: until, Process: "payroll"}, "process: "},
			{andon.DORAFilter{Since: since, Until: until, Plant: "lyon", Environment: "prod-lyon"}, "give one of them at most"},
			{andon.DORAFilter{Since: until, Until: since}, "since: "},
			{andon.DORAFilter{Since: until.Add(-400 * 24 * time.Hour), Until: until}, "longer than 366 days"},
			{andon.DORAFilter{Until: until}, "since: "},
		} {
			_, err := reports.DORA(as("frank"), c.filter)
			if andon.ErrorCode(err) != andon.EINVALID || !strings.Contains(andon.ErrorMessage(err), c.want) {
				t.Errorf("DORA(%+v) = %v, want invalid, saying %q", c.filter, err, c.want)
			}
		}
	})
}

// The report reads the moves of changes and the incidents resolved in its
// period through the index of each type's times: through that of all
// entries' times it would read every gate decision of the period, through
// that of their type every move ever made. SQLite says which index it
// would use however small the table; PostgreSQL is asked with sequential
// scans off, since it would rightly scan a table this small.
func TestDORAReportThroughIndex(t *testing.T) {
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			db, raw := mustPlanned(t, engine)
			until := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
			moves, movesArgs, resolved, resolvedArgs := db.ReportStatements(andon.DORAFilter{Since: until.Add(-andon.DefaultReportPeriod), Until: until})
			for _, q := range []struct {
				sql, index string
				args       []any
			}{{moves, "audit_entries_transitioned_time", movesArgs}, {resolved, "audit_entries_resolved_time", resolvedArgs}} {
				if plan := mustExplain(t, engine, raw, q.sql, q.args); !strings.Contains(plan, q.index) {
					t.Errorf("read without the index %s:\n%s\n%s", q.index, q.sql, plan)
				}
			}
		})
	}
}
