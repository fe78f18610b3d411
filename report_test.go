package andon_test

import (
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/google/go-cmp/cmp"
)

func seconds(n int64) *int64 { return &n }

// The percentiles of a spread are by nearest rank: each a duration that
// was measured, in whole seconds.
func TestNewSpread(t *testing.T) {
	minutes := func(ms ...int) []time.Duration {
		var ds []time.Duration
		for _, m := range ms {
			ds = append(ds, time.Duration(m)*time.Minute)
		}
		return ds
	}
	for _, tt := range []struct {
		name string
		in   []time.Duration
		want andon.Spread
	}{
		{"none", nil, andon.Spread{}},
		{"one", minutes(5), andon.Spread{Count: 1, P50Seconds: seconds(300), P90Seconds: seconds(300)}},
		{"two", minutes(1, 3), andon.Spread{Count: 2, P50Seconds: seconds(60), P90Seconds: seconds(180)}},
		{"ten, unsorted", minutes(10, 9, 8, 7, 6, 5, 4, 3, 2, 1), andon.Spread{Count: 10, P50Seconds: seconds(300), P90Seconds: seconds(540)}},
		{"to the second", []time.Duration{1499 * time.Millisecond}, andon.Spread{Count: 1, P50Seconds: seconds(1), P90Seconds: seconds(1)}},
	} {
		if diff := cmp.Diff(tt.want, andon.NewSpread(tt.in)); diff != "" {
			t.Errorf("%s: spread (-want +got):\n%s", tt.name, diff)
		}
	}
}

// A failed change is restored by the next change completed in its own
// environment, not in another; a change that ended without being
// deployed in the period counts among those that ended, not among the
// deployments.
func TestDORAReportFailures(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	at := func(h float64) time.Time { return t0.Add(time.Duration(h * float64(time.Hour))) }
	moves := []andon.ChangeMove{
		{Change: "CHG-1", Environment: "prod-lyon", Type: andon.ChangeNormal, CreatedAt: at(-48), To: andon.StateFailed, At: at(1)},
		{Change: "CHG-2", Environment: "prod-geelong", Type: andon.ChangeNormal, CreatedAt: at(0), To: andon.StateImplementing, At: at(2)},
		{Change: "CHG-2", Environment: "prod-geelong", Type: andon.ChangeNormal, CreatedAt: at(0), To: andon.StateCompleted, At: at(3)},
		{Change: "CHG-3", Environment: "prod-lyon", Type: andon.ChangeEmergency, CreatedAt: at(4), To: andon.StateImplementing, At: at(4.5)},
		{Change: "CHG-3", Environment: "prod-lyon", Type: andon.ChangeEmergency, CreatedAt: at(4), To: andon.StateCompleted, At: at(5)},
	}
	f := andon.DORAFilter{Since: t0, Until: t0.Add(7 * 24 * time.Hour)}
	r := andon.NewDORAReport(f, nil, moves, nil)
	lyon := r.Environments[1]
	if lyon.Environment != "prod-lyon" || lyon.Deployments != 1 || lyon.EmergencyDeployments != 1 || lyon.Failed != 1 || lyon.Completed != 1 ||
		lyon.Unrestored != 0 || !cmp.Equal(lyon.Restore, andon.Spread{Count: 1, P50Seconds: seconds(4 * 3600), P90Seconds: seconds(4 * 3600)}) {
		t.Errorf("prod-lyon: %+v; want one emergency deployment, its failure before restored 4h later by CHG-3", lyon)
	}
	if r.Total.Deployments != 2 || r.Total.DeploymentsPerDay != 0.29 || r.Total.DeploymentsPerWeek != 2 || *r.Total.ChangeFailureRate != 0.3333 ||
		!cmp.Equal(r.Total.LeadTime, andon.Spread{Count: 2, P50Seconds: seconds(1800), P90Seconds: seconds(7200)}) {
		t.Errorf("total: %+v", r.Total)
	}
}
