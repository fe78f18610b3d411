package sqlstore_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/catalog"
	"github.com/andon-governance/andon/examples"
	"github.com/andon-governance/andon/sqlstore"
)

// driftReport is a report on prod-lyon of the example catalog.
func driftReport() *andon.DriftReport {
	return &andon.DriftReport{
		Environment: "prod-lyon",
		Cluster:     "eu-1",
		Namespace:   "odoo-lyon",
		Desired:     andon.DriftSource{Path: "deploy/prod-lyon"},
		Counts:      andon.DriftCounts{Changed: 1, Unchanged: 4},
		Objects: []andon.DriftObject{{Drift: andon.DriftChanged, APIVersion: "apps/v1", Kind: "Deployment", Namespace: "odoo-lyon", Name: "odoo",
			File: "deploy/prod-lyon/odoo.yaml", Line: 1,
			Fields: []andon.DriftField{{Path: "spec.replicas", Desired: json.RawMessage(`2`), Live: json.RawMessage(`3`)}}}},
	}
}

func TestRecordDrift(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		cat, err := catalog.LoadFS(examples.Catalog, "catalog")
		if err != nil {
			t.Fatal(err)
		}
		s := sqlstore.NewDriftService(e.db, andon.NewCatalogHolder(cat))

		rec, err := s.RecordDrift(as("ci"), driftReport())
		if err != nil {
			t.Fatal(err)
		}
		if !rec.Time.Equal(e.now) {
			t.Errorf("record time = %s, want the store's clock %s", rec.Time, e.now)
		}
		entries, err := e.audit.FindEntries(context.Background(), andon.AuditFilter{Type: andon.EventDriftChecked, After: -1})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].Index != rec.AuditIndex || entries[0].Actor != "ci" || entries[0].Subject != "prod-lyon" {
			t.Fatalf("drift.checked entries = %+v, want one by ci about prod-lyon at %d", entries, rec.AuditIndex)
		}
		var got andon.DriftReport
		if err := json.Unmarshal(entries[0].Data, &got); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(driftReport(), &got); diff != "" {
			t.Errorf("recorded report (-want +got):\n%s", diff)
		}

		tests := []struct {
			name string
			edit func(r *andon.DriftReport)
			want string
		}{
			{"unknown environment", func(r *andon.DriftReport) { r.Environment = "prod-mars" }, `environment: "prod-mars" is not in the catalog`},
			{"another namespace", func(r *andon.DriftReport) { r.Namespace = "odoo-geelong" }, `namespace: "odoo-geelong" is not the namespace of environment prod-lyon in the catalog, "odoo-lyon"`},
			{"another cluster", func(r *andon.DriftReport) { r.Cluster = "au-1" }, `cluster: "au-1" is not the cluster of environment prod-lyon`},
			{"malformed", func(r *andon.DriftReport) { r.Counts.Changed = 0 }, "counts.changed is 0 but 1 are listed"},
		}
		for _, tt := range tests {
			r := driftReport()
			tt.edit(r)
			_, err := s.RecordDrift(as("ci"), r)
			if andon.ErrorCode(err) != andon.EINVALID || !strings.Contains(andon.ErrorMessage(err), tt.want) {
				t.Errorf("%s: RecordDrift = %v, want invalid with %q", tt.name, err, tt.want)
			}
		}
		if _, err := s.RecordDrift(context.Background(), driftReport()); andon.ErrorCode(err) != andon.EUNAUTHORIZED {
			t.Errorf("RecordDrift without a user = %v, want unauthorized", err)
		}
		lab := sqlstore.NewDriftService(e.db, andon.NewCatalogHolder(&andon.Catalog{Environments: []*andon.Environment{{Name: "lab"}}}))
		r := driftReport()
		r.Environment, r.Cluster = "lab", ""
		if _, err := lab.RecordDrift(as("ci"), r); andon.ErrorCode(err) != andon.EINVALID || !strings.Contains(andon.ErrorMessage(err), "environment lab has no kubernetes.namespace") {
			t.Errorf("RecordDrift for an environment without namespace = %v, want invalid", err)
		}
		// Refused reports leave no entry.
		entries, err = e.audit.FindEntries(context.Background(), andon.AuditFilter{Type: andon.EventDriftChecked, After: -1})
		if err != nil || len(entries) != 1 {
			t.Errorf("drift.checked entries after refused reports = %d, %v; want 1", len(entries), err)
		}
	})
}
