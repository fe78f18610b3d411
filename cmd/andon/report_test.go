package main

import (
	"strings"
	"testing"

	"github.com/andon-governance/andon"
)

// TestReportDORA reports the deployments made through the gate and how
// they ended, for people and as JSON, and names the flag of a filter the
// server refuses.
func TestReportDORA(t *testing.T) {
	s := MustServe(t, t.TempDir())
	deploy := func(env, image string, to string) {
		t.Helper()
		res := mustJSON[andon.GateResult](t, s, "alice", 0, "gate", "--env", env, "--image", image)
		wantExit(t, s.as(t, "alice", "change", to, res.Change.ID, "--comment", "done"), 0, "")
	}
	deploy("staging-lyon", imageRelease, "complete")
	deploy("staging-geelong", imageUnseen, "fail")

	r := mustJSON[andon.DORAReport](t, s, "frank", 0, "report", "dora")
	if r.Total.Deployments != 2 || r.Total.Completed != 1 || r.Total.Failed != 1 || r.Total.ChangeFailureRate == nil || *r.Total.ChangeFailureRate != 0.5 ||
		len(r.Environments) != 2 || r.Until.Sub(r.Since) != andon.DefaultReportPeriod {
		t.Errorf("report of the last 30 days: %+v; want 2 deployments, one failed, in 2 environments", r)
	}
	if r := mustJSON[andon.DORAReport](t, s, "frank", 0, "report", "dora", "--env", "staging-lyon", "--since", "1h"); r.Total.Deployments != 1 || r.Total.Failed != 0 || r.Until.Sub(r.Since).Hours() != 1 {
		t.Errorf("report of staging-lyon in the last hour: %+v; want its one deployment, over an hour", r)
	}
	if r := mustJSON[andon.DORAReport](t, s, "frank", 0, "report", "dora", "--plant", "geelong"); r.Total.Deployments != 1 || r.Total.Failed != 1 ||
		strings.Join(r.Selected, ",") != "staging-geelong,prod-geelong,prod-subsidiaries" {
		t.Errorf("report of the plant geelong: %+v; want its environments, one failed deployment", r)
	}

	table := s.as(t, "frank", "report", "dora")
	for _, want := range []string{
		"environments:  all",
		"ENVIRONMENT      DEPLOYMENTS  PER WEEK  LEAD TIME P50  P90  ENDED  FAILED  ROLLED BACK  FAILURE RATE  RESTORE P50  P90",
		"staging-geelong  1            0.23      0m             0m   1      1       0            100%          -            - (1 unrestored)",
		"total            2            0.47      0m             0m   2      1       0            50%           -            - (1 unrestored)",
		"incidents resolved:  0, time to restore p50 -, p90 -",
	} {
		if table.code != 0 || !hasLine(table.stdout, want) {
			t.Errorf("report dora: exit %d, want the line %q\n%s%s", table.code, want, table.stdout, table.stderr)
		}
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--env", "prod-lyom"}, `--env: "prod-lyom" is not in the catalog`},
		{[]string{"--plant", "paris"}, "--plant: "},
		{[]string{"--env", "prod-lyon", "--plant", "lyon"}, "--env, --plant and --process: give one of them at most"},
		{[]string{"--since", "yesterday"}, `--since "yesterday": want a duration such as 30d or 12h`},
		{[]string{"--until", "2026-11-01T00:00"}, `--until "2026-11-01T00:00"`},
		{[]string{"--since", "2026-11-02", "--until", "2026-11-01"}, "--since: 2026-11-02T00:00:00Z is not before until 2026-11-01T00:00:00Z"},
		{[]string{"--since", "400d"}, "--since: the period from "},
		{[]string{"--since", "0d"}, `--since "0d": a period lasts some time`},
	} {
		wantExit(t, s.as(t, "frank", append([]string{"report", "dora"}, c.args...)...), 2, c.want)
	}
}
