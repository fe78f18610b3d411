package andon_test

import (
	"testing"
	"time"

	"github.com/andon-governance/andon"
)

func TestWaive(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	deploy := andon.ObjectRef{Kind: "Deployment", Namespace: "odoo-lyon", Name: "odoo"}
	other := andon.ObjectRef{Kind: "Deployment", Namespace: "odoo-geelong", Name: "odoo"}
	inForce := &andon.Waiver{Name: "rwo", Rule: "filestore", Selector: andon.WaiverSelector{Namespaces: []string{"odoo-lyon"}}, Expires: now.Add(time.Hour)}
	ended := &andon.Waiver{Name: "old", Rule: "digest", Expires: now}
	unused := &andon.Waiver{Name: "unused", Rule: "quota", Expires: now.Add(time.Hour)}
	findings := []andon.ManifestFinding{
		{Rule: "filestore", Object: deploy},
		{Rule: "filestore", Object: other},
		{Rule: "digest", Object: deploy},
	}
	used, expired := andon.Waive(findings, []*andon.Waiver{inForce, ended, unused}, now)
	if findings[0].Waiver != "rwo" || findings[1].Waiver != "" || findings[2].Waiver != "" {
		t.Errorf("waived = %q, %q, %q; want rwo for the selected object only, none for an expired waiver",
			findings[0].Waiver, findings[1].Waiver, findings[2].Waiver)
	}
	if len(used) != 1 || used[0] != inForce || len(expired) != 1 || expired[0] != ended {
		t.Errorf("used %v, expired %v; want [rwo] and [old]", used, expired)
	}
}

func TestWaiverSelector(t *testing.T) {
	obj := andon.ObjectRef{Kind: "Deployment", Namespace: "odoo-lyon", Name: "odoo"}
	tests := []struct {
		sel  andon.WaiverSelector
		want bool
	}{
		{andon.WaiverSelector{}, true},
		{andon.WaiverSelector{Kinds: []string{"StatefulSet", "Deployment"}}, true},
		{andon.WaiverSelector{Kinds: []string{"Deployment"}, Names: []string{"redis"}}, false},
		{andon.WaiverSelector{Namespaces: []string{"odoo-geelong"}}, false},
	}
	for _, tt := range tests {
		if got := tt.sel.Matches(obj); got != tt.want {
			t.Errorf("%+v.Matches(%+v) = %v, want %v", tt.sel, obj, got, tt.want)
		}
	}
}
