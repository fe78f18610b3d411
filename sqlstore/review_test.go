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

// The monthly review counts the changes opened in its calendar month and
// how they stand, lists its emergency changes and their reviews, counts
// the gate's decisions and denials by reason, and gives its DORA report,
// incidents and restore tests, with the recovery posture and the findings
// as they are now; a plant narrows every section, and a change opened the
// month before is not counted.
func TestReview(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		nov := e.now
		e.now = time.Date(2026, 10, 31, 23, 30, 0, 0, time.UTC)
		if _, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{
			Environment: "prod-lyon", Type: andon.ChangeNormal, Title: "October", Artifacts: []string{imageStaged},
		}); err != nil {
			t.Fatal(err)
		}
		e.now = nov
		start := doraHistory(t, e)
		denied, err := e.gate.Decide(as("argocd"), andon.GateRequest{Environment: "prod-lyon", Image: imageFix})
		if err != nil || denied.Allow || len(denied.Reasons) == 0 {
			t.Fatalf("gate without a change in prod-lyon: %v %+v", err, denied)
		}
		// A decision asked for an hour ahead is a dry run, counted apart.
		if dry, err := e.gate.Decide(as("argocd"), andon.GateRequest{Environment: "prod-lyon", Image: imageFix, At: e.now.Add(time.Hour)}); err != nil || !dry.DryRun {
			t.Fatalf("gate an hour ahead: %v %+v", err, dry)
		}
		if _, _, err := e.backups.RecordBackup(as("dave"), &andon.BackupRequest{ID: "odoo-lyon-1", Environment: "prod-lyon", CompletedAt: start.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		test, _, err := e.backups.RecordRestoreTest(as("dave"), &andon.RestoreTestRequest{Environment: "prod-lyon", Backup: "odoo-lyon-1",
			StartedAt: start.Add(2 * time.Hour), FinishedAt: start.Add(3 * time.Hour), Result: andon.RestorePassed})
		if err != nil {
			t.Fatal(err)
		}
		// Three days on, the emergency change's review is overdue.
		e.now = start.Add(72 * time.Hour)
		reports := sqlstore.NewReportService(e.db, e.catalog, e.changes, e.backups)
		r, err := reports.Review(as("frank"), andon.ReviewFilter{Month: "2026-11"})
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC); !r.Since.Equal(want) || !r.Until.Equal(want.AddDate(0, 1, 0)) {
			t.Errorf("period %s to %s, want November in UTC", r.Since, r.Until)
		}
		counts := func(env string, byType, byTier map[string]int, opened, completed, failed, rolledBack, open int) andon.ChangeCounts {
			return andon.ChangeCounts{Environment: env, Opened: opened, ByType: byType, ByTier: byTier,
				Completed: completed, Failed: failed, RolledBack: rolledBack, Open: open}
		}
		emergency := mustChange(t, e, "prod-geelong")
		pending := mustChange(t, e, "prod-lyon")
		wantChanges := andon.ReviewChanges{
			Total: counts("", map[string]int{"standard": 4, "emergency": 1, "normal": 1},
				map[string]int{"low": 4, string(emergency.Risk.Tier): 1, string(pending.Risk.Tier): 1 + boolInt(emergency.Risk.Tier == pending.Risk.Tier)}, 6, 2, 1, 1, 2),
			Environments: []andon.ChangeCounts{
				counts("prod-geelong", map[string]int{"emergency": 1}, map[string]int{string(emergency.Risk.Tier): 1}, 1, 0, 0, 1, 0),
				counts("prod-lyon", map[string]int{"normal": 1}, map[string]int{string(pending.Risk.Tier): 1}, 1, 0, 0, 0, 1),
				counts("staging-geelong", map[string]int{"standard": 3}, map[string]int{"low": 3}, 3, 2, 1, 0, 0),
				counts("staging-lyon", map[string]int{"standard": 1}, map[string]int{"low": 1}, 1, 0, 0, 0, 1),
			},
		}
		if diff := cmp.Diff(wantChanges, r.Changes); diff != "" {
			t.Errorf("changes (-want +got):\n%s", diff)
		}
		deployed := start.Add(4 * time.Hour)
		wantEmergencies := []andon.ReviewEmergency{{Change: emergency.ID, Environment: "prod-geelong", Title: "Hotfix labels", Requester: "alice",
			State: andon.StateRolledBack, Approvers: []string{"erin"}, DeployedAt: &deployed, ReviewDue: emergency.ReviewDue, Review: andon.ReviewOverdue}}
		if diff := cmp.Diff(wantEmergencies, r.Emergencies); diff != "" {
			t.Errorf("emergencies (-want +got):\n%s", diff)
		}
		if want := deployed.Add(48 * time.Hour); emergency.ReviewDue == nil || !emergency.ReviewDue.Equal(want) {
			t.Errorf("review due %v, want %s", emergency.ReviewDue, want)
		}
		wantGate := andon.ReviewGate{Decisions: 6, Allowed: 5, Denied: 1, DryRuns: 1, DeniedBy: []andon.ReasonCount{}}
		for _, reason := range denied.Reasons {
			wantGate.DeniedBy = append(wantGate.DeniedBy, andon.ReasonCount{Code: reason.Code, Count: 1})
		}
		if diff := cmp.Diff(wantGate, r.Gate); diff != "" {
			t.Errorf("gate (-want +got):\n%s", diff)
		}
		if r.Delivery == nil || r.Delivery.Total.Deployments != 5 || r.Delivery.Total.RolledBack != 1 {
			t.Errorf("delivery %+v, want the DORA report of November, 5 deployments, 1 rolled back", r.Delivery)
		}
		if len(r.Incidents.Opened) != 2 || len(r.Incidents.Resolved) != 1 || r.Incidents.Resolved[0].Title != geelongDown.Title ||
			!cmp.Equal(r.Incidents.Restore, andon.Spread{Count: 1, P50Seconds: secs(2 * time.Hour), P90Seconds: secs(2 * time.Hour)}) {
			t.Errorf("incidents %+v, want 2 opened, Geelong's resolved after 2h", r.Incidents)
		}
		if len(r.Recovery.RestoreTests) != 1 || r.Recovery.RestoreTests[0].ID != test.ID {
			t.Errorf("restore tests %+v, want %s", r.Recovery.RestoreTests, test.ID)
		}
		if len(r.Recovery.Posture) != len(e.catalog.Catalog().Environments) {
			t.Errorf("recovery posture of %d environments, want every one", len(r.Recovery.Posture))
		}
		if !hasFinding(r.Findings, andon.FindingReviewOverdue, emergency.ID) {
			t.Errorf("findings %+v, want the overdue review of %s", r.Findings, emergency.ID)
		}

		// Lyon's review holds none of Geelong's changes, decisions,
		// emergencies or findings, nor its incident; its November is
		// Lyon's, which holds the change opened at 00:30 on its 1st.
		lyon, err := reports.Review(as("frank"), andon.ReviewFilter{Month: "2026-11", Plant: "lyon"})
		if err != nil {
			t.Fatal(err)
		}
		if lyon.Changes.Total.Opened != 3 || len(lyon.Emergencies) != 0 || lyon.Gate.Allowed != 1 || lyon.Gate.Denied != 1 ||
			len(lyon.Incidents.Resolved) != 1 || len(lyon.Incidents.Opened) != 2 || hasFinding(lyon.Findings, andon.FindingReviewOverdue, emergency.ID) {
			t.Errorf("Lyon's review: %d changes, %d emergencies, gate %+v, incidents %d opened %d resolved, findings %+v",
				lyon.Changes.Total.Opened, len(lyon.Emergencies), lyon.Gate, len(lyon.Incidents.Opened), len(lyon.Incidents.Resolved), lyon.Findings)
		}
		// October holds the change opened on its last evening alone.
		oct, err := reports.Review(as("frank"), andon.ReviewFilter{Month: "2026-10"})
		if err != nil {
			t.Fatal(err)
		}
		if oct.Changes.Total.Opened != 1 || oct.Gate.Decisions != 0 || len(oct.Incidents.Opened) != 0 || len(oct.Recovery.RestoreTests) != 0 {
			t.Errorf("October: %+v", oct)
		}
	})
}

// A plant's month, and an environment's, is its calendar month in its own
// time zone: a change opened at 00:30 on the 1st in Lyon or in Geelong
// counts in that plant's November and not in its October, while the month
// of every environment, or of a process, is UTC's, unless a time zone is
// given, which also overrides the plant's.
func TestReviewPlantMonth(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		for _, c := range []struct {
			env string
			at  time.Time
		}{
			{"prod-lyon", time.Date(2026, 10, 31, 23, 30, 0, 0, time.UTC)},    // 00:30 on 1 November in Lyon (UTC+1)
			{"prod-geelong", time.Date(2026, 10, 31, 13, 30, 0, 0, time.UTC)}, // 00:30 on 1 November in Geelong (UTC+11)
		} {
			e.now = c.at
			if _, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{
				Environment: c.env, Type: andon.ChangeNormal, Title: "Just after midnight", Artifacts: []string{imageStaged},
			}); err != nil {
				t.Fatal(err)
			}
		}
		e.now = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
		reports := sqlstore.NewReportService(e.db, e.catalog, e.changes, e.backups)
		paris, _ := time.LoadLocation("Europe/Paris")
		melbourne, _ := time.LoadLocation("Australia/Melbourne")
		for _, c := range []struct {
			filter andon.ReviewFilter
			zone   string
			since  time.Time
			opened int
		}{
			{andon.ReviewFilter{Month: "2026-11", Plant: "lyon"}, "Europe/Paris", time.Date(2026, 11, 1, 0, 0, 0, 0, paris), 1},
			{andon.ReviewFilter{Month: "2026-10", Plant: "lyon"}, "Europe/Paris", time.Date(2026, 10, 1, 0, 0, 0, 0, paris), 0},
			{andon.ReviewFilter{Month: "2026-11", Plant: "geelong"}, "Australia/Melbourne", time.Date(2026, 11, 1, 0, 0, 0, 0, melbourne), 1},
			{andon.ReviewFilter{Month: "2026-10", Plant: "geelong"}, "Australia/Melbourne", time.Date(2026, 10, 1, 0, 0, 0, 0, melbourne), 0},
			{andon.ReviewFilter{Month: "2026-11", Environment: "prod-geelong"}, "Australia/Melbourne", time.Date(2026, 11, 1, 0, 0, 0, 0, melbourne), 1},
			// Supplied by both plants, prod-subsidiaries is Lyon's first.
			{andon.ReviewFilter{Month: "2026-11", Environment: "prod-subsidiaries"}, "Europe/Paris", time.Date(2026, 11, 1, 0, 0, 0, 0, paris), 0},
			{andon.ReviewFilter{Month: "2026-11"}, "UTC", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 0},
			{andon.ReviewFilter{Month: "2026-10"}, "UTC", time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), 2},
			{andon.ReviewFilter{Month: "2026-11", Process: "production"}, "UTC", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 0},
			{andon.ReviewFilter{Month: "2026-11", Plant: "lyon", Timezone: "UTC"}, "UTC", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 0},
			{andon.ReviewFilter{Month: "2026-11", Timezone: "Australia/Melbourne"}, "Australia/Melbourne", time.Date(2026, 11, 1, 0, 0, 0, 0, melbourne), 2},
		} {
			r, err := reports.Review(as("frank"), c.filter)
			if err != nil {
				t.Fatalf("Review(%+v): %v", c.filter, err)
			}
			if r.Timezone != c.zone || !r.Since.Equal(c.since) || r.Since.Location().String() != c.zone || r.Changes.Total.Opened != c.opened {
				t.Errorf("Review(%+v): %s from %s, %d changes opened; want %s from %s, %d", c.filter, r.Timezone, r.Since, r.Changes.Total.Opened, c.zone, c.since, c.opened)
			}
		}
	})
}

// A month that is not one, or a filter the catalog does not know, is
// refused naming the field.
func TestReviewRefusesBadFilters(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		reports := sqlstore.NewReportService(e.db, e.catalog, e.changes, e.backups)
		for _, c := range []struct {
			filter andon.ReviewFilter
			want   string
		}{
			{andon.ReviewFilter{}, "month: "},
			{andon.ReviewFilter{Month: "2026-13"}, "month: "},
			{andon.ReviewFilter{Month: "2026-11-01"}, "month: "},
			{andon.ReviewFilter{Month: "1200-01"}, "month: "},
			{andon.ReviewFilter{Month: "2026-11", Plant: "paris"}, "plant: "},
			{andon.ReviewFilter{Month: "2026-11", Plant: "lyon", Process: "finance"}, "give one of them at most"},
			{andon.ReviewFilter{Month: "2026-11", Timezone: "Mars/Olympus"}, `timezone: "Mars/Olympus" is not a known IANA time zone`},
			{andon.ReviewFilter{Month: "2026-11", Plant: "lyon", Timezone: "Local"}, `timezone: "Local" depends on the machine`},
			// A month that has not begun is most often the year mistyped.
			{andon.ReviewFilter{Month: e.now.AddDate(1, 0, 0).UTC().Format("2006-01")}, "month: " + e.now.AddDate(1, 0, 0).UTC().Format("2006-01") + " has not begun; it is " + e.now.UTC().Format("2006-01") + " now, in UTC"},
		} {
			_, err := reports.Review(as("frank"), c.filter)
			if andon.ErrorCode(err) != andon.EINVALID || !strings.HasPrefix(andon.ErrorMessage(err), c.want) && !strings.Contains(andon.ErrorMessage(err), c.want) {
				t.Errorf("Review(%+v) = %v, want invalid, saying %q", c.filter, err, c.want)
			}
		}
	})
}

// mustChange returns the change of env, the only one opened in it this
// month.
func mustChange(t *testing.T, e *env, env string) *andon.Change {
	t.Helper()
	list, _, err := e.changes.FindChanges(as("frank"), andon.ChangeFilter{Environment: env})
	if err != nil || len(list) == 0 {
		t.Fatalf("changes of %s: %v %v", env, list, err)
	}
	return list[0]
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func hasFinding(findings []andon.Finding, code, change string) bool {
	for _, f := range findings {
		if f.Code == code && f.ChangeID == change {
			return true
		}
	}
	return false
}

// The review counts the gate decisions of its month through the index of
// every entry's time, which holds the month's decisions, not through that
// of their type, which holds every decision ever; no index of the gate
// decisions' times alone is added for it, which every decision would pay
// for. SQLite says which index it would use however small the table;
// PostgreSQL is asked with sequential scans off.
func TestReviewGateThroughIndex(t *testing.T) {
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			db, raw := mustPlanned(t, engine)
			since := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
			q, args := db.ReviewGateStatement(andon.DORAFilter{Since: since, Until: since.AddDate(0, 1, 0)})
			if plan := mustExplain(t, engine, raw, q, args); !strings.Contains(plan, "audit_entries_time") {
				t.Errorf("read without the index audit_entries_time:\n%s\n%s", q, plan)
			}
		})
	}
}

// The review parses the data of each gate decision of its month once, not
// once for each of the verdict, the dry run and the reasons it reads: a
// month holds a hundred thousand decisions and more, and PostgreSQL parses
// a json value again for every field read from it. SQLite's plan does not
// show the expressions its steps compute, so PostgreSQL alone is asked.
func TestReviewGateParsesEachRecordOnce(t *testing.T) {
	db, raw := mustPlanned(t, "postgres")
	since := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	q, args := db.ReviewGateStatement(andon.DORAFilter{Since: since, Until: since.AddDate(0, 1, 0)})
	plan := mustExplain(t, "postgres", raw, "(VERBOSE) "+q, args)
	if !strings.Contains(plan, "audit_entries_time") {
		t.Errorf("read without the index audit_entries_time:\n%s", plan)
	}
	for _, line := range strings.Split(plan, "\n") {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, "Output:") && strings.Count(line, "record)::json") > 1 {
			t.Errorf("a step parses each record more than once: %s\n%s", line, plan)
		}
	}
}

// An emergency change is listed in the review of the month it was opened
// in, with its deployment in the month after and its review as it stands
// when read; the month of its deployment counts it among its emergency
// deployments (Delivery) but does not list it again.
func TestReviewEmergencyAcrossMonths(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		e.now = time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC)
		e.MustStage(t, imageStaged)
		e.now = time.Date(2026, 10, 31, 23, 50, 0, 0, time.UTC)
		c, err := e.changes.CreateChange(as("alice"), &andon.ChangeRequest{
			Environment: "prod-geelong", Type: andon.ChangeEmergency, Title: "Hotfix labels", Artifacts: []string{imageStaged},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.changes.Decide(as("erin"), c.ID, andon.Approve, "outage"); err != nil {
			t.Fatal(err)
		}
		deployed := time.Date(2026, 11, 1, 0, 10, 0, 0, time.UTC)
		e.now = deployed
		if res, err := e.gate.Decide(as("alice"), andon.GateRequest{Environment: "prod-geelong", Image: imageStaged}); err != nil || !res.Allow {
			t.Fatalf("gate of the emergency change: %v %+v", err, res)
		}
		e.now = time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
		reports := sqlstore.NewReportService(e.db, e.catalog, e.changes, e.backups)
		oct, err := reports.Review(as("frank"), andon.ReviewFilter{Month: "2026-10"})
		if err != nil {
			t.Fatal(err)
		}
		if len(oct.Emergencies) != 1 || oct.Emergencies[0].Change != c.ID || oct.Emergencies[0].DeployedAt == nil ||
			!oct.Emergencies[0].DeployedAt.Equal(deployed) || oct.Emergencies[0].Review != andon.ReviewOwed {
			t.Errorf("October's emergencies %+v, want %s deployed %s, its review owed", oct.Emergencies, c.ID, deployed)
		}
		nov, err := reports.Review(as("frank"), andon.ReviewFilter{Month: "2026-11"})
		if err != nil {
			t.Fatal(err)
		}
		if len(nov.Emergencies) != 0 || nov.Delivery.Total.EmergencyDeployments != 1 {
			t.Errorf("November: emergencies %+v, %d emergency deployments; want none listed, one deployment", nov.Emergencies, nov.Delivery.Total.EmergencyDeployments)
		}
	})
}
