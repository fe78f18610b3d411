package policy_test

import (
	"context"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var (
	changeManager     = andon.Requirement{Role: andon.RoleChangeManager, Count: 1}
	platformAdmin     = andon.Requirement{Role: andon.RolePlatformAdmin, Count: 1}
	emergencyApprover = andon.Requirement{Role: andon.RoleEmergencyApprover, Count: 1}
)

func owner(process string) andon.Requirement {
	return andon.Requirement{Role: andon.ProcessOwnerRole(process), Count: 1}
}

func TestRisk(t *testing.T) {
	e := mustNew(t, "")
	tests := []struct {
		name string
		in   *andon.RiskInput
		want *andon.RiskDecision
	}{{
		name: "non-production is low and pre-approved",
		in:   riskInput(stagingLyon, andon.ChangeNormal, andon.Facts{Migration: true, Components: []string{"postgres"}}, "production"),
		want: &andon.RiskDecision{
			Tier: andon.LevelLow,
			Reasons: []string{
				"staging-lyon is a staging environment, not production",
				"pre-approved by policy: no approval needed",
			},
			Approvals: []andon.Requirement{},
		},
	}, {
		name: "routine standard change in production is low",
		in:   riskInput(prodLyon, andon.ChangeStandard, andon.Facts{}),
		want: &andon.RiskDecision{
			Tier: andon.LevelLow,
			Reasons: []string{
				"standard change with no database migration, no Odoo modules and no infrastructure component",
				"pre-approved by policy: no approval needed",
			},
			Approvals: []andon.Requirement{},
		},
	}, {
		name: "postgres naming no process asks the environment's owners",
		in:   riskInput(prodLyon, andon.ChangeNormal, andon.Facts{Components: []string{"postgres", "redis"}}),
		want: &andon.RiskDecision{
			Tier: andon.LevelCritical,
			Reasons: []string{
				"touches infrastructure component postgres in production environment prod-lyon",
				"no affected process is critical or high: the owners of finance, inventory, production of environment prod-lyon approve instead",
			},
			Approvals: []andon.Requirement{changeManager, owner("finance"), owner("inventory"), owner("production"), platformAdmin},
		},
	}, {
		name: "migration of a critical process is critical",
		in: riskInput(prodLyon, andon.ChangeNormal, andon.Facts{Migration: true, Modules: []string{"mrp_workorder"}},
			"website", "production"),
		want: &andon.RiskDecision{
			Tier:      andon.LevelCritical,
			Reasons:   []string{"database migration touches critical process production"},
			Approvals: []andon.Requirement{changeManager, owner("production"), platformAdmin},
		},
	}, {
		name: "migration of a high process is high",
		in:   riskInput(prodLyon, andon.ChangeNormal, andon.Facts{Migration: true, Modules: []string{"stock"}}, "inventory"),
		want: &andon.RiskDecision{
			Tier: andon.LevelHigh,
			Reasons: []string{
				"changes Odoo modules stock and affects high process inventory",
				"database migration in production environment prod-lyon",
			},
			Approvals: []andon.Requirement{changeManager, owner("inventory")},
		},
	}, {
		name: "modules of critical and high processes are high",
		in: riskInput(prodLyon, andon.ChangeNormal, andon.Facts{Modules: []string{"stock", "mrp"}},
			"production", "inventory"),
		want: &andon.RiskDecision{
			Tier: andon.LevelHigh,
			Reasons: []string{
				"changes Odoo modules mrp, stock and affects critical process production",
				"changes Odoo modules mrp, stock and affects high process inventory",
			},
			Approvals: []andon.Requirement{changeManager, owner("inventory"), owner("production")},
		},
	}, {
		name: "other production change is medium",
		in:   riskInput(prodLyon, andon.ChangeNormal, andon.Facts{Modules: []string{"website"}, Components: []string{"traefik"}}, "website"),
		want: &andon.RiskDecision{
			Tier:      andon.LevelMedium,
			Reasons:   []string{"production environment prod-lyon, with no database migration, no postgres or kubernetes change and no Odoo modules of a critical or high process"},
			Approvals: []andon.Requirement{changeManager},
		},
	}, {
		name: "emergency keeps its tier and needs one emergency approver",
		in:   riskInput(prodLyon, andon.ChangeEmergency, andon.Facts{Components: []string{"kubernetes"}}, "production"),
		want: &andon.RiskDecision{
			Tier: andon.LevelCritical,
			Reasons: []string{
				"touches infrastructure component kubernetes in production environment prod-lyon",
				"emergency change: one emergency-approver may approve it at once; a retrospective review is owed within 48 h of implementation",
			},
			Approvals: []andon.Requirement{emergencyApprover},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.Risk(context.Background(), tt.in)
			if err != nil {
				t.Fatalf("Risk: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Risk (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGate(t *testing.T) {
	e := mustNew(t, "")
	tests := []struct {
		name string
		in   *andon.GateInput
		want *andon.GateDecision
	}{{
		name: "approved medium change needs no window",
		in:   gateInput(nil),
		want: allowed("change CHG-42 is approved and, as a medium risk change, needs no window"),
	}, {
		name: "implementing change inside its own window",
		in: gateInput(func(in *andon.GateInput) {
			in.Change.State = andon.StateImplementing
			in.Change.Window = &andon.Span{Start: at("2026-11-29 02:00"), End: at("2026-11-29 04:00")}
		}),
		want: allowed("change CHG-42 is implementing and 2026-11-29T03:00:00+01:00 is inside its window, from 2026-11-29T02:00:00+01:00 to 2026-11-29T04:00:00+01:00"),
	}, {
		name: "high change inside a maintenance window",
		in: gateInput(func(in *andon.GateInput) {
			in.Change.Risk.Tier = andon.LevelHigh
			in.Calendar.Active = []andon.Occurrence{blackFriday, sundayMaintenance}
		}),
		want: allowed("change CHG-42 is approved and runs inside maintenance window sunday-maintenance, until 2026-11-29T06:00:00+01:00"),
	}, {
		name: "emergency change inside a freeze that allows it",
		in: gateInput(func(in *andon.GateInput) {
			in.Change.Type = andon.ChangeEmergency
			in.Change.Risk.Tier = andon.LevelCritical
			in.Calendar.Active = []andon.Occurrence{monthEndClose}
		}),
		want: allowed("change CHG-42 is approved; as an emergency change it needs no window, and a retrospective review is owed within 48 h; freeze month-end-close allows emergency changes"),
	}, {
		name: "emergency change approved 48 h ago and never deployed",
		in: gateInput(func(in *andon.GateInput) {
			in.Change.Type = andon.ChangeEmergency
			in.Change.Risk.Tier = andon.LevelCritical
			in.Calendar.Active = []andon.Occurrence{monthEndClose}
			in.Request.At = at("2026-11-29 10:00")
		}),
		want: denied(andon.Reason{Code: "EMERGENCY_EXPIRED",
			Message: "emergency change CHG-42 was approved at 2026-11-27T09:00:00Z and never deployed; without a window of its own it could go ahead only until 2026-11-29T09:00:00Z, 48h after its approval: cancel it, and open a new change if it is still needed"}),
	}, {
		name: "no change carries the image",
		in:   gateInput(func(in *andon.GateInput) { in.Change = nil }),
		want: denied(andon.Reason{Code: "NO_APPROVED_CHANGE",
			Message: "no approved change in environment prod-lyon carries image " + image}),
	}, {
		name: "change not approved",
		in:   gateInput(func(in *andon.GateInput) { in.Change.State = andon.StatePending }),
		want: denied(andon.Reason{Code: "NO_APPROVED_CHANGE", Message: "change CHG-42 is pending, not approved"}),
	}, {
		name: "outside the change's window",
		in: gateInput(func(in *andon.GateInput) {
			in.Change.Window = &andon.Span{Start: at("2026-11-29 04:00"), End: at("2026-11-29 06:00")}
			in.Calendar.Active = []andon.Occurrence{sundayMaintenance}
		}),
		want: denied(andon.Reason{Code: "OUTSIDE_CHANGE_WINDOW",
			Message: "2026-11-29T03:00:00+01:00 is outside the window of change CHG-42, from 2026-11-29T04:00:00+01:00 to 2026-11-29T06:00:00+01:00"}),
	}, {
		name: "critical change without a maintenance window",
		in: gateInput(func(in *andon.GateInput) {
			in.Change.Risk.Tier = andon.LevelCritical
			in.Calendar.Active = []andon.Occurrence{blackFriday}
		}),
		want: denied(andon.Reason{Code: "NO_MAINTENANCE_WINDOW",
			Message: "change CHG-42 is critical risk and has no window of its own, so it must run inside a maintenance window; none is open at 2026-11-29T03:00:00+01:00"}),
	}, {
		name: "frozen",
		in:   gateInput(func(in *andon.GateInput) { in.Calendar.Active = []andon.Occurrence{monthEndClose} }),
		want: denied(andon.Reason{Code: "FROZEN",
			Message: "frozen by month-end-close until 2026-12-01T00:00:00+01:00; it allows only emergency changes"}),
	}, {
		name: "not promoted from staging",
		in:   gateInput(func(in *andon.GateInput) { in.Promotion.ChangeID = "" }),
		want: denied(andon.Reason{Code: "NOT_PROMOTED",
			Message: "image " + image + " has no completed change in staging-lyon, which environment prod-lyon promotes from"}),
	}, {
		name: "critical incident open",
		in: gateInput(func(in *andon.GateInput) {
			in.Incidents = []andon.Incident{
				{ID: "INC-7", Severity: andon.LevelCritical, Title: "MRP scheduler down"},
				{ID: "INC-8", Severity: andon.LevelMedium, Title: "slow stock reports"},
			}
		}),
		want: denied(andon.Reason{Code: "INCIDENT_OPEN", Message: "critical incident INC-7 is open: MRP scheduler down; until it is resolved only emergency changes may go ahead"}),
	}, {
		name: "every failing rule is reported",
		in: gateInput(func(in *andon.GateInput) {
			in.Change = nil
			in.Calendar.Active = []andon.Occurrence{monthEndClose}
			in.Promotion.ChangeID = ""
			in.Incidents = []andon.Incident{{ID: "INC-7", Severity: andon.LevelCritical, Title: "MRP scheduler down"}}
		}),
		want: denied(
			andon.Reason{Code: "FROZEN", Message: "frozen by month-end-close until 2026-12-01T00:00:00+01:00; it allows only emergency changes"},
			andon.Reason{Code: "INCIDENT_OPEN", Message: "critical incident INC-7 is open: MRP scheduler down; until it is resolved only emergency changes may go ahead"},
			andon.Reason{Code: "NOT_PROMOTED", Message: "image " + image + " has no completed change in staging-lyon, which environment prod-lyon promotes from"},
			andon.Reason{Code: "NO_APPROVED_CHANGE", Message: "no approved change in environment prod-lyon carries image " + image},
		),
	}, {
		name: "window and maintenance rules together",
		in: gateInput(func(in *andon.GateInput) {
			in.Change.State = andon.StateRejected
			in.Change.Risk.Tier = andon.LevelHigh
		}),
		want: denied(
			andon.Reason{Code: "NO_APPROVED_CHANGE", Message: "change CHG-42 is rejected, not approved"},
			andon.Reason{Code: "NO_MAINTENANCE_WINDOW", Message: "change CHG-42 is high risk and has no window of its own, so it must run inside a maintenance window; none is open at 2026-11-29T03:00:00+01:00"},
		),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.Gate(context.Background(), tt.in)
			if err != nil {
				t.Fatalf("Gate: %v", err)
			}
			if got.Policy != e.Revision() {
				t.Errorf("Gate: decided by policy %q, want the one in force, %q", got.Policy, e.Revision())
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(andon.GateDecision{}, "Policy")); diff != "" {
				t.Errorf("Gate (-want +got):\n%s", diff)
			}
		})
	}
}

func allowed(message string) *andon.GateDecision {
	return &andon.GateDecision{Allow: true, Reasons: []andon.Reason{{Code: "ALLOWED", Message: message}}}
}

func denied(reasons ...andon.Reason) *andon.GateDecision {
	return &andon.GateDecision{Allow: false, Reasons: reasons}
}

func TestInvalidInput(t *testing.T) {
	e := mustNew(t, "")
	ctx := context.Background()
	if _, err := e.Risk(ctx, &andon.RiskInput{Environment: prodLyon}); andon.ErrorCode(err) != andon.EINVALID {
		t.Errorf("Risk without a change: error %v, want code %s", err, andon.EINVALID)
	}
	in := gateInput(func(in *andon.GateInput) { in.Request.At = time.Time{} })
	if _, err := e.Gate(ctx, in); andon.ErrorCode(err) != andon.EINVALID {
		t.Errorf("Gate without an instant: error %v, want code %s", err, andon.EINVALID)
	}
}
