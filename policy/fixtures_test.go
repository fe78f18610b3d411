package policy_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/policy"
)

// The fixtures describe the Lyon plant of the example manufacturer: a
// production environment promoted from staging, and processes of every
// tier.

var paris = mustLoadLocation("Europe/Paris")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

const image = "registry.example.com/odoo/odoo:17.0-20261120@sha256:7d2c4e5f9a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d"

var (
	lyon = &andon.Plant{Name: "lyon", Timezone: "Europe/Paris", Criticality: andon.LevelCritical, Location: paris}

	production = &andon.BusinessProcess{Name: "production", Tier: andon.LevelCritical,
		RPO: 15 * time.Minute, RTO: 2 * time.Hour, Modules: []string{"mrp", "mrp_workorder"}, Owners: []string{"lyon-ops"}}
	inventory = &andon.BusinessProcess{Name: "inventory", Tier: andon.LevelHigh,
		RPO: time.Hour, RTO: 4 * time.Hour, Modules: []string{"stock"}, Owners: []string{"lyon-logistics"}}
	finance = &andon.BusinessProcess{Name: "finance", Tier: andon.LevelCritical,
		RPO: 15 * time.Minute, RTO: 2 * time.Hour, Modules: []string{"account"}, Owners: []string{"finance"}}
	website = &andon.BusinessProcess{Name: "website", Tier: andon.LevelLow,
		RPO: 24 * time.Hour, RTO: 24 * time.Hour, Modules: []string{"website"}, Owners: []string{"marketing"}}

	prodLyon = &andon.Environment{
		Name: "prod-lyon", Stage: andon.StageProduction, Hosting: andon.HostingDedicated,
		Plants: []string{"lyon"}, Processes: []string{"production", "inventory", "finance", "website"},
		PromotesFrom: "staging-lyon",
		Kubernetes:   andon.Kubernetes{Cluster: "eu-1", Namespace: "odoo-lyon"},
		Odoo:         andon.Odoo{Version: "17.0"},
	}
	stagingLyon = &andon.Environment{
		Name: "staging-lyon", Stage: andon.StageStaging, Hosting: andon.HostingShared,
		Plants: []string{"lyon"}, Processes: []string{"production", "inventory", "finance", "website"},
		Kubernetes: andon.Kubernetes{Cluster: "eu-1", Namespace: "odoo-lyon-staging"},
		Odoo:       andon.Odoo{Version: "17.0"},
	}
)

// at returns an instant of local time in Lyon.
func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, paris)
	if err != nil {
		panic(err)
	}
	return t
}

// newChange returns an approved change to prod-lyon; edit adjusts it.
func newChange(edit func(*andon.Change)) *andon.Change {
	c := &andon.Change{
		ID:           "CHG-42",
		Environment:  "prod-lyon",
		Type:         andon.ChangeNormal,
		Title:        "Odoo 17.0 security update of 2026-11-20",
		Requester:    "user-r",
		Artifacts:    []string{image},
		Facts:        andon.Facts{Modules: []string{"website"}},
		Processes:    []string{"website"},
		RollbackPlan: "redeploy the previous digest",
		State:        andon.StateApproved,
		Risk: andon.RiskDecision{
			Tier:      andon.LevelMedium,
			Reasons:   []string{"production environment prod-lyon"},
			Approvals: []andon.Requirement{{Role: andon.RoleChangeManager, Count: 1}},
		},
		Approvals: []andon.Approval{{Approver: "user-a", Role: andon.RoleChangeManager,
			Verdict: andon.Approve, At: at("2026-11-27 10:00")}},
		CreatedAt: at("2026-11-27 09:00"),
		UpdatedAt: at("2026-11-27 10:00"),
	}
	if edit != nil {
		edit(c)
	}
	return c
}

// riskInput asks about a change to env with the given facts, naming the
// given affected processes; the input carries all the processes of the
// environment, as the server hands them over.
func riskInput(env *andon.Environment, typ andon.ChangeType, facts andon.Facts, processes ...string) *andon.RiskInput {
	c := newChange(func(c *andon.Change) {
		c.Environment = env.Name
		c.Type = typ
		c.Facts = facts
		c.Processes = processes
		c.State = andon.StatePending
		c.Risk = andon.RiskDecision{}
		c.Approvals = nil
	})
	return &andon.RiskInput{
		Change:      c,
		Environment: env,
		Processes:   []*andon.BusinessProcess{production, inventory, finance, website},
		Plants:      []*andon.Plant{lyon},
	}
}

// gateInput asks at 03:00 on Sunday 29 November 2026 to deploy the image
// of an approved medium-risk change that has completed in staging, with
// nothing in the calendar; edit adjusts the input.
func gateInput(edit func(*andon.GateInput)) *andon.GateInput {
	in := &andon.GateInput{
		Request:     andon.GateRequest{Environment: "prod-lyon", Image: image, At: at("2026-11-29 03:00")},
		Environment: prodLyon,
		Change:      newChange(nil),
		Promotion:   &andon.Promotion{Required: true, From: "staging-lyon", ChangeID: "CHG-40"},
	}
	if edit != nil {
		edit(in)
	}
	return in
}

var (
	sundayMaintenance = andon.Occurrence{Window: "sunday-maintenance", Type: andon.WindowMaintenance,
		Start: at("2026-11-29 02:00"), End: at("2026-11-29 06:00")}
	monthEndClose = andon.Occurrence{Window: "month-end-close", Type: andon.WindowFreeze,
		Start: at("2026-11-29 00:00"), End: at("2026-12-01 00:00"), Allow: []andon.ChangeType{andon.ChangeEmergency}}
	blackFriday = andon.Occurrence{Window: "black-friday", Type: andon.WindowPeak,
		Start: at("2026-11-27 00:00"), End: at("2026-11-30 00:00")}
)

func mustNew(tb testing.TB, dir string) *policy.Engine {
	tb.Helper()
	e, err := policy.New(context.Background(), dir)
	if err != nil {
		tb.Fatalf("New(%q): %v", dir, err)
	}
	return e
}

// mustWriteFiles writes files, named by slash-separated paths, below dir.
func mustWriteFiles(tb testing.TB, dir string, files map[string]string) {
	tb.Helper()
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

func mustRemove(tb testing.TB, name string) {
	tb.Helper()
	if err := os.Remove(name); err != nil && !os.IsNotExist(err) {
		tb.Fatal(err)
	}
}
