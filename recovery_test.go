package andon_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/google/go-cmp/cmp"
)

// recoveryCatalog has processes with and without objectives, and
// environments that run them.
func recoveryCatalog() *andon.Catalog {
	return &andon.Catalog{
		Processes: []*andon.BusinessProcess{
			{Name: "production", RPO: 15 * time.Minute, RTO: 2 * time.Hour},
			{Name: "finance", RPO: 5 * time.Minute, RTO: 4 * time.Hour},
			{Name: "shipping", RTO: 2 * time.Hour},
			{Name: "canteen"},
		},
		Environments: []*andon.Environment{
			{Name: "prod-lyon", Stage: andon.StageProduction, Processes: []string{"production", "shipping", "finance"}},
			{Name: "dev", Stage: andon.StageDevelopment, Processes: []string{"canteen"}},
			{Name: "staging-lyon", Stage: andon.StageStaging, Processes: []string{"shipping"}},
			{Name: "prod-canteen", Stage: andon.StageProduction, Processes: []string{"canteen"}},
		},
	}
}

// The strictest objective of each kind is the smallest stated, set by the
// first process in the environment's order that states it; none is nil.
func TestStrictest(t *testing.T) {
	cat := recoveryCatalog()
	for _, tt := range []struct {
		env      string
		rpo, rto *andon.Objective
	}{
		{"prod-lyon", &andon.Objective{Duration: 5 * time.Minute, Process: "finance"}, &andon.Objective{Duration: 2 * time.Hour, Process: "production"}},
		{"staging-lyon", nil, &andon.Objective{Duration: 2 * time.Hour, Process: "shipping"}},
		{"dev", nil, nil},
	} {
		rpo, rto := cat.Strictest(cat.Environment(tt.env))
		if diff := cmp.Diff(tt.rpo, rpo); diff != "" {
			t.Errorf("%s: RPO (-want +got):\n%s", tt.env, diff)
		}
		if diff := cmp.Diff(tt.rto, rto); diff != "" {
			t.Errorf("%s: RTO (-want +got):\n%s", tt.env, diff)
		}
	}
}

// A posture weighs the latest backup against the freshness, and the
// latest passed restore test against the strictest RTO and the restore
// test period, and says each in words.
func TestPosture(t *testing.T) {
	cat := recoveryCatalog()
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	backup := func(age time.Duration) *andon.Backup {
		return &andon.Backup{ID: "b1", Environment: "prod-lyon", CompletedAt: now.Add(-age)}
	}
	test := func(id string, ago, took time.Duration, result andon.RestoreResult) *andon.RestoreTest {
		return &andon.RestoreTest{ID: id, RestoreTestRequest: andon.RestoreTestRequest{Backup: "b1", StartedAt: now.Add(-ago - took), FinishedAt: now.Add(-ago), Result: result}}
	}
	yes, no := true, false
	for _, tt := range []struct {
		name      string
		env       string
		facts     andon.RecoveryFacts
		fresh     bool
		withinRTO *bool
		recent    bool
		verdicts  []string
	}{
		{"met", "prod-lyon", andon.RecoveryFacts{Backup: backup(3 * time.Hour), RestoreTest: test("RST-2", 48*time.Hour, 47*time.Minute, andon.RestorePassed),
			PassedRestoreTest: test("RST-2", 48*time.Hour, 47*time.Minute, andon.RestorePassed)}, true, &yes, true,
			[]string{"latest backup b1 completed 3h ago, within the backup freshness of 1d",
				"the RPO of 5m (finance) is met by continuous WAL archiving, which andon does not observe",
				"latest passed restore test RST-2 took 47m, within the RTO of 2h (production)",
				"latest passed restore test RST-2 finished 2d ago, within 90d"}},
		{"a stale backup, a slow test, a later one failed", "prod-lyon", andon.RecoveryFacts{Backup: backup(25 * time.Hour), RestoreTest: test("RST-3", time.Hour, time.Hour, andon.RestoreFailed),
			PassedRestoreTest: test("RST-1", 10*24*time.Hour, 2*time.Hour+time.Minute, andon.RestorePassed)}, false, &no, true,
			[]string{"latest backup b1 completed 1d 1h ago, older than the backup freshness of 1d",
				"latest restore test RST-3, of backup b1, failed at 2026-11-28T11:00:00Z",
				"latest passed restore test RST-1 took 2h 1m, longer than the RTO of 2h (production)"}},
		{"an old test", "prod-lyon", andon.RecoveryFacts{PassedRestoreTest: test("RST-1", 91*24*time.Hour, time.Hour, andon.RestorePassed)}, false, &yes, false,
			[]string{"no backup of prod-lyon is recorded", "latest passed restore test RST-1 finished 91d ago, more than 90d"}},
		{"nothing recorded", "prod-lyon", andon.RecoveryFacts{}, false, nil, false,
			[]string{"no backup of prod-lyon is recorded", "no restore test of prod-lyon passed"}},
		{"no objectives", "prod-canteen", andon.RecoveryFacts{PassedRestoreTest: test("RST-1", time.Hour, 9*time.Hour, andon.RestorePassed)}, false, nil, true,
			[]string{"no process of prod-canteen states an RPO or an RTO"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := cat.Posture(cat.Environment(tt.env), tt.facts, now, 24*time.Hour)
			if p.BackupFresh != tt.fresh || p.RestoreTestRecent != tt.recent || !cmp.Equal(p.WithinRTO, tt.withinRTO) {
				t.Errorf("fresh %v, within RTO %v, recent %v; want %v, %v, %v", p.BackupFresh, show(p.WithinRTO), p.RestoreTestRecent, tt.fresh, show(tt.withinRTO), tt.recent)
			}
			for _, v := range tt.verdicts {
				if !slices.ContainsFunc(p.Verdicts, func(got string) bool { return strings.Contains(got, v) }) {
					t.Errorf("verdicts %q; want one with %q", p.Verdicts, v)
				}
			}
		})
	}
}

func show(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

// Postures are listed production first, then staging, test and
// development, each by name.
func TestSortPostures(t *testing.T) {
	list := []andon.RecoveryPosture{
		{Environment: "dev", Stage: andon.StageDevelopment}, {Environment: "staging-lyon", Stage: andon.StageStaging},
		{Environment: "prod-lyon", Stage: andon.StageProduction}, {Environment: "prod-geelong", Stage: andon.StageProduction},
		{Environment: "qa", Stage: andon.StageTest},
	}
	andon.SortPostures(list)
	var got []string
	for _, p := range list {
		got = append(got, p.Environment)
	}
	if want := []string{"prod-geelong", "prod-lyon", "staging-lyon", "qa", "dev"}; !slices.Equal(got, want) {
		t.Errorf("order %q, want %q", got, want)
	}
}

// A link that holds credentials is refused saying whose audit entry would
// keep it: an incident's, a backup's or a restore test's, not a change's.
func TestLinkCredentialsNameTheirEntry(t *testing.T) {
	const link = "https://ci:t0ken@ci.example.com/job/7"
	at := time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		what string
		err  error
	}{
		{"incident", (&andon.IncidentRequest{Title: "Labels fail", Severity: andon.LevelCritical,
			Scope: andon.IncidentScope{Global: true}, Link: link}).Validate()},
		{"backup", (&andon.BackupRequest{ID: "odoo-lyon-1", Environment: "prod-lyon", Link: link}).Validate()},
		{"restore test", (&andon.RestoreTestRequest{Environment: "prod-lyon", Backup: "odoo-lyon-1", StartedAt: at,
			FinishedAt: at.Add(time.Hour), Result: andon.RestorePassed, Link: link}).Validate()},
	} {
		want := "link: holds credentials (a user or password before the host), which the audit entry of the " + tt.what + " would keep for good"
		if got := andon.ErrorMessage(tt.err); !strings.HasPrefix(got, want) {
			t.Errorf("%s: %q, want it to start with %q", tt.what, got, want)
		}
	}
}
