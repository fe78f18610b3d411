# Unit tests of andon.gate. They live in the package they test, so that a
# policy directory replacing andon.gate replaces these tests with it.
package andon.gate

image := "registry.example.com/odoo/odoo@sha256:7d2c4e5f00000000000000000000000000000000000000000000000000000000"

# An approved normal change of medium risk with no window of its own.
approved_change := {
	"id": "CHG-42",
	"environment": "prod-lyon",
	"type": "normal",
	"title": "Odoo 17.0 security update",
	"requester": "user-r",
	"artifacts": [image],
	"facts": {"modules": ["website"], "migration": false, "components": []},
	"processes": ["website"],
	"state": "approved",
	"risk": {
		"tier": "medium",
		"reasons": ["production environment prod-lyon, with no database migration, no postgres or kubernetes change and no Odoo modules of a critical or high process"],
		"approvals": [{"role": "change-manager", "count": 1}],
	},
	"approvals": [{"approver": "user-a", "role": "change-manager", "verdict": "approve", "at": "2026-11-27T10:00:00+01:00"}],
	"createdAt": "2026-11-27T09:00:00+01:00",
	"updatedAt": "2026-11-27T10:00:00+01:00",
}

# Sunday 29 November 2026, 03:00 in Lyon.
sunday_3am := "2026-11-29T03:00:00+01:00"

gate_input := {
	"request": {"environment": "prod-lyon", "image": image, "at": sunday_3am},
	"environment": {"name": "prod-lyon", "stage": "production", "hosting": "dedicated", "plants": ["lyon"], "processes": ["production", "website"], "promotesFrom": "staging-lyon", "kubernetes": {}, "odoo": {}},
	"change": approved_change,
	"calendar": {"active": []},
	"promotion": {"required": true, "from": "staging-lyon", "changeId": "CHG-40"},
	"incidents": [],
	"backup": null,
}

window_from_2_to_4 := {"start": "2026-11-29T02:00:00+01:00", "end": "2026-11-29T04:00:00+01:00"}

window_from_4_to_6 := {"start": "2026-11-29T04:00:00+01:00", "end": "2026-11-29T06:00:00+01:00"}

sunday_maintenance := {"window": "sunday-maintenance", "type": "maintenance", "start": "2026-11-29T02:00:00+01:00", "end": "2026-11-29T06:00:00+01:00", "allow": []}

month_end_close := {"window": "month-end-close", "type": "freeze", "start": "2026-11-29T00:00:00+01:00", "end": "2026-12-01T00:00:00+01:00", "allow": ["emergency"]}

black_friday := {"window": "black-friday", "type": "peak", "start": "2026-11-27T00:00:00+01:00", "end": "2026-11-30T00:00:00+01:00", "allow": []}

codes := [r.code | some r in reasons]

# allow and reasons.

test_allow_approved_change if {
	allow with input as gate_input
	reasons == [{"code": "ALLOWED", "message": "change CHG-42 is approved and, as a medium risk change, needs no window"}] with input as gate_input
}

# A change started by hand carries no image to deploy: the rules of its
# first deployment apply all the same.
start_input := object.union(gate_input, {"request": {"environment": "prod-lyon", "image": "", "at": sunday_3am, "start": true}})

test_allow_start_of_an_approved_change if {
	allow with input as start_input
	codes == ["ALLOWED"] with input as start_input
}

test_deny_start_in_a_freeze if {
	not allow with input as start_input with input.calendar.active as [month_end_close]
	codes == ["FROZEN"] with input as start_input with input.calendar.active as [month_end_close]
}

test_deny_start_outside_its_window if {
	c := object.union(approved_change, {"window": window_from_4_to_6})
	codes == ["OUTSIDE_CHANGE_WINDOW"] with input as start_input with input.change as c
}

test_allow_implementing_change_inside_its_window if {
	c := object.union(approved_change, {"state": "implementing", "window": window_from_2_to_4})
	allow with input as gate_input with input.change as c
	reasons == [{"code": "ALLOWED", "message": "change CHG-42 is implementing and 2026-11-29T03:00:00+01:00 is inside its window, from 2026-11-29T02:00:00+01:00 to 2026-11-29T04:00:00+01:00"}] with input as gate_input with input.change as c
}

test_deny_lists_every_failing_rule_sorted if {
	i := object.union(gate_input, {
		"change": object.union(approved_change, {"window": window_from_4_to_6}),
		"calendar": {"active": [month_end_close, sunday_maintenance]},
		"promotion": {"required": true, "from": "staging-lyon", "changeId": ""},
		"incidents": [{"id": "INC-7", "severity": "critical", "title": "MRP scheduler down"}],
	})
	not allow with input as i
	reasons == [
		{"code": "FROZEN", "message": "frozen by month-end-close until 2026-12-01T00:00:00+01:00; it allows only emergency changes"},
		{"code": "INCIDENT_OPEN", "message": "critical incident INC-7 is open: MRP scheduler down; until it is resolved only emergency changes may go ahead"},
		{"code": "NOT_PROMOTED", "message": concat("", ["image ", image, " has no completed change in staging-lyon, which environment prod-lyon promotes from"])},
		{"code": "OUTSIDE_CHANGE_WINDOW", "message": "2026-11-29T03:00:00+01:00 is outside the window of change CHG-42, from 2026-11-29T04:00:00+01:00 to 2026-11-29T06:00:00+01:00"},
	] with input as i
}

test_allow_needs_approval_even_without_deny if {
	# Fail closed: should a policy override drop the rule that denies an
	# unapproved change, allow still requires one.
	not allow with input as gate_input with input.change.state as "pending" with deny as set()
}

# deny: one test per rule, including the ones that must stay silent.

test_deny_no_change if {
	i := object.union(gate_input, {"change": null})
	not change_given with input as i
	deny == {{"code": "NO_APPROVED_CHANGE", "message": concat("", ["no approved change in environment prod-lyon carries image ", image])}} with input as i
}

test_deny_missing_change_like_null if {
	i := object.remove(gate_input, ["change"])
	codes == ["NO_APPROVED_CHANGE"] with input as i
}

test_deny_change_not_approved if {
	deny == {{"code": "NO_APPROVED_CHANGE", "message": "change CHG-42 is pending, not approved"}} with input as gate_input with input.change.state as "pending"
}

test_approved if {
	approved with input as gate_input
	approved with input as gate_input with input.change.state as "implementing"
	not approved with input as gate_input with input.change.state as "completed"
}

test_deny_outside_change_window if {
	deny == {{"code": "OUTSIDE_CHANGE_WINDOW", "message": "2026-11-29T03:00:00+01:00 is outside the window of change CHG-42, from 2026-11-29T04:00:00+01:00 to 2026-11-29T06:00:00+01:00"}} with input as gate_input with input.change.window as window_from_4_to_6
}

test_deny_at_end_of_change_window if {
	# Windows are half-open: the end instant is already outside.
	codes == ["OUTSIDE_CHANGE_WINDOW"] with input as gate_input with input.change.window as window_from_2_to_4 with input.request.at as "2026-11-29T04:00:00+01:00"
	codes == ["ALLOWED"] with input as gate_input with input.change.window as window_from_2_to_4 with input.request.at as "2026-11-29T02:00:00+01:00"
}

test_change_window_compares_instants_not_text if {
	# 02:30 UTC is 03:30 in Lyon: inside, whatever the offsets' spelling.
	codes == ["ALLOWED"] with input as gate_input with input.change.window as window_from_2_to_4 with input.request.at as "2026-11-29T02:30:00Z"
}

test_has_window if {
	has_window with input as gate_input with input.change.window as window_from_2_to_4
	not has_window with input as gate_input
}

test_inside if {
	inside(window_from_2_to_4) with input as gate_input
	not inside(window_from_4_to_6) with input as gate_input
}

test_at if {
	at_ns := data.andon.gate.at with input as gate_input
	at_ns == time.parse_rfc3339_ns("2026-11-29T02:00:00Z")
}

test_deny_no_maintenance_window if {
	c := object.union(approved_change, {"risk": {"tier": "high"}})
	deny == {{"code": "NO_MAINTENANCE_WINDOW", "message": "change CHG-42 is high risk and has no window of its own, so it must run inside a maintenance window; none is open at 2026-11-29T03:00:00+01:00"}} with input as gate_input with input.change as c
	codes == ["NO_MAINTENANCE_WINDOW"] with input as gate_input with input.change as c with input.calendar.active as [black_friday]
}

test_allow_critical_inside_maintenance_window if {
	c := object.union(approved_change, {"risk": {"tier": "critical"}})
	reasons == [{"code": "ALLOWED", "message": "change CHG-42 is approved and runs inside maintenance window sunday-maintenance, until 2026-11-29T06:00:00+01:00"}] with input as gate_input with input.change as c with input.calendar.active as [sunday_maintenance]
}

test_allow_high_with_own_window_outside_maintenance if {
	c := object.union(approved_change, {"risk": {"tier": "high"}, "window": window_from_2_to_4})
	codes == ["ALLOWED"] with input as gate_input with input.change as c
}

test_allow_emergency_without_maintenance_window if {
	c := object.union(approved_change, {"type": "emergency", "risk": {"tier": "critical"}})
	reasons == [{"code": "ALLOWED", "message": "change CHG-42 is approved; as an emergency change it needs no window, and a retrospective review is owed within 48 h"}] with input as gate_input with input.change as c
}

# An emergency change owes its review from its first deployment; the
# deployments after it say when the review is due, that it is overdue, or
# who gave it.
test_allow_emergency_says_where_its_review_stands if {
	owed := object.union(approved_change, {"type": "emergency", "state": "implementing", "reviewDue": "2026-11-30T02:00:00.123456789Z"})
	reasons == [{"code": "ALLOWED", "message": "change CHG-42 is implementing; as an emergency change it needs no window, and its retrospective review is due at 2026-11-30T02:00:00Z"}] with input as gate_input with input.change as owed
	reasons == [{"code": "ALLOWED", "message": "change CHG-42 is implementing; as an emergency change it needs no window, and its retrospective review was due at 2026-11-30T02:00:00Z and is overdue"}] with input as gate_input with input.change as owed with input.request.at as "2026-12-01T09:00:00+01:00"
	reviewed := object.union(owed, {"review": {"approver": "user-b", "role": "change-manager", "verdict": "approve", "comment": "root cause fixed", "at": "2026-11-30T08:00:00Z"}})
	reasons == [{"code": "ALLOWED", "message": "change CHG-42 is implementing; as an emergency change it needs no window, and its retrospective review was given by user-b"}] with input as gate_input with input.change as reviewed with input.request.at as "2026-12-01T09:00:00+01:00"
}

# An approved emergency change without a window goes ahead only within
# 48 h of its approval; implementing, or with a window, it is not bound so.
test_deny_emergency_expired if {
	c := object.union(approved_change, {"type": "emergency", "approvals": [
		{"approver": "user-e", "role": "emergency-approver", "verdict": "approve", "at": "2026-11-27T10:00:00+01:00"},
	]})
	codes == ["ALLOWED"] with input as gate_input with input.change as c with input.request.at as "2026-11-29T08:59:59Z"
	reasons == [{"code": "EMERGENCY_EXPIRED", "message": "emergency change CHG-42 was approved at 2026-11-27T09:00:00Z and never deployed; without a window of its own it could go ahead only until 2026-11-29T09:00:00Z, 48h after its approval: cancel it, and open a new change if it is still needed"}] with input as gate_input with input.change as c with input.request.at as "2026-11-29T10:00:00+01:00"
	codes == ["ALLOWED"] with input as gate_input with input.change as object.union(c, {"state": "implementing", "reviewDue": "2026-11-29T09:00:00Z"}) with input.request.at as "2026-12-05T10:00:00Z"
	codes == ["ALLOWED"] with input as gate_input with input.change as object.union(c, {"window": {"start": "2026-12-05T00:00:00Z", "end": "2026-12-06T00:00:00Z"}}) with input.request.at as "2026-12-05T10:00:00Z"
	codes == ["ALLOWED"] with input as gate_input with input.change as object.union(approved_change, {"risk": {"tier": "low"}}) with input.request.at as "2027-01-05T10:00:00Z"
}

# Pre-approved by a policy of its own, an emergency change counts from its
# creation.
test_deny_emergency_expired_from_creation if {
	c := object.union(approved_change, {"type": "emergency", "approvals": []})
	codes == ["ALLOWED"] with input as gate_input with input.change as c with input.request.at as "2026-11-29T07:59:59Z"
	codes == ["EMERGENCY_EXPIRED"] with input as gate_input with input.change as c with input.request.at as "2026-11-29T08:00:00Z"
}

test_in_maintenance if {
	in_maintenance with input as gate_input with input.calendar.active as [black_friday, sunday_maintenance]
	not in_maintenance with input as gate_input with input.calendar.active as [black_friday]
}

test_deny_frozen if {
	deny == {{"code": "FROZEN", "message": "frozen by month-end-close until 2026-12-01T00:00:00+01:00; it allows only emergency changes"}} with input as gate_input with input.calendar.active as [month_end_close]
}

test_deny_frozen_without_change if {
	i := object.union(gate_input, {"change": null, "calendar": {"active": [month_end_close]}})
	codes == ["FROZEN", "NO_APPROVED_CHANGE"] with input as i
}

test_deny_every_freeze if {
	christmas := {"window": "christmas", "type": "freeze", "start": "2026-11-28T00:00:00+01:00", "end": "2027-01-02T00:00:00+01:00", "allow": []}
	codes == ["FROZEN", "FROZEN"] with input as gate_input with input.calendar.active as [month_end_close, christmas]
}

test_allow_emergency_inside_freeze_that_allows_it if {
	c := object.union(approved_change, {"type": "emergency"})
	reasons == [{"code": "ALLOWED", "message": "change CHG-42 is approved; as an emergency change it needs no window, and a retrospective review is owed within 48 h; freeze month-end-close allows emergency changes"}] with input as gate_input with input.change as c with input.calendar.active as [month_end_close]
}

test_freeze_allows if {
	freeze_allows([]) == "it allows no change"
	freeze_allows(["emergency"]) == "it allows only emergency changes"
	freeze_allows(["standard", "emergency"]) == "it allows only standard and emergency changes"
	freeze_allows(["standard", "normal", "emergency"]) == "it allows only standard, normal and emergency changes"
}

test_deny_not_promoted if {
	deny == {{"code": "NOT_PROMOTED", "message": concat("", ["image ", image, " has no completed change in staging-lyon, which environment prod-lyon promotes from"])}} with input as gate_input with input.promotion.changeId as ""
}

test_promotion_not_required if {
	codes == ["ALLOWED"] with input as gate_input with input.promotion as {"required": false, "from": "", "changeId": ""}
	codes == ["ALLOWED"] with input as gate_input with input.promotion as null
}

test_deny_incident_open if {
	incidents := [
		{"id": "INC-7", "severity": "critical", "title": "MRP scheduler down"},
		{"id": "INC-8", "severity": "high", "title": "slow reports"},
	]
	deny == {{"code": "INCIDENT_OPEN", "message": "critical incident INC-7 is open: MRP scheduler down; until it is resolved only emergency changes may go ahead"}} with input as gate_input with input.incidents as incidents
	count(deny) == 0 with input as gate_input with input.incidents as incidents with input.environment.stage as "staging" with input.promotion as null
}

# The fix of an incident is an emergency change: it goes through, and the
# record names the incident it went through.
test_allow_emergency_through_incident if {
	incidents := [
		{"id": "INC-7", "severity": "critical", "title": "MRP scheduler down"},
		{"id": "INC-8", "severity": "high", "title": "slow reports"},
	]
	c := object.union(approved_change, {"type": "emergency"})
	reasons == [{"code": "ALLOWED", "message": "change CHG-42 is approved; as an emergency change it needs no window, and a retrospective review is owed within 48 h; freeze month-end-close allows emergency changes; critical incident INC-7 is open, and lets emergency changes through"}] with input as gate_input with input.change as c with input.incidents as incidents with input.calendar.active as [month_end_close]
	codes == ["INCIDENT_OPEN", "NO_APPROVED_CHANGE"] with input as gate_input with input.change as null with input.incidents as incidents
}

# A migration of a production database waits for a backup completed
# within 24 hours; without a migration, or outside production, none is
# asked for.
test_deny_no_fresh_backup if {
	migration := object.union(approved_change, {"facts": {"migration": true}})
	codes == ["NO_FRESH_BACKUP"] with input as gate_input with input.change as migration
	reasons == [{"code": "NO_FRESH_BACKUP", "message": "change CHG-42 migrates the database of prod-lyon, of which no backup is recorded: take one, record it (andon backup record), and deploy again"}] with input as gate_input with input.change as migration
	stale := {"id": "odoo-lyon-20261127", "environment": "prod-lyon", "completedAt": "2026-11-28T01:59:59Z", "recordedBy": "dave", "recordedAt": "2026-11-28T02:00:00Z"}
	reasons == [{"code": "NO_FRESH_BACKUP", "message": "change CHG-42 migrates the database of prod-lyon, whose latest backup, odoo-lyon-20261127, completed at 2026-11-28T01:59:59Z, more than 24h before 2026-11-29T03:00:00+01:00: take a backup, record it (andon backup record), and deploy again"}] with input as gate_input with input.change as migration with input.backup as stale
	fresh := object.union(stale, {"completedAt": "2026-11-28T02:00:00Z"})
	codes == ["ALLOWED"] with input as gate_input with input.change as migration with input.backup as fresh
	codes == ["ALLOWED"] with input as gate_input
	count(deny) == 0 with input as gate_input with input.change as migration with input.environment.stage as "staging" with input.promotion as null
}

# The parts of the ALLOWED message.

test_allowed_message if {
	allowed_message == "change CHG-42 is approved and, as a medium risk change, needs no window" with input as gate_input
	allowed_message == "change CHG-42 is approved and, as a low risk change, needs no window" with input as gate_input with input.change.risk.tier as "low"
	allowed_message == "the standard change recorded for this deployment is approved and, as a low risk change, needs no window" with input as gate_input with input.change.risk.tier as "low" with input.change.id as ""
	allowed_message == "the standard change this deployment would record is approved and, as a low risk change, needs no window" with input as gate_input with input.change.risk.tier as "low" with input.change.id as "" with input.request.dryRun as true
	allowed_message == "change CHG-42 is approved and 2026-11-29T03:00:00+01:00 is inside its window, from 2026-11-29T02:00:00+01:00 to 2026-11-29T04:00:00+01:00" with input as gate_input with input.change.window as window_from_2_to_4
}

test_allowed_message_picks_one_maintenance_window if {
	early := object.union(sunday_maintenance, {"window": "a-early"})
	allowed_message == "change CHG-42 is approved and runs inside maintenance window a-early, until 2026-11-29T06:00:00+01:00" with input as gate_input with input.change.risk.tier as "high" with input.calendar.active as [sunday_maintenance, early]
}

test_allowed_freezes if {
	allowed_freezes == "" with input as gate_input
	allowed_freezes == "; freeze month-end-close allows normal changes" with input as gate_input with input.calendar.active as [object.union(month_end_close, {"allow": ["normal"]})]
}

test_emergency if {
	emergency with input as gate_input with input.change.type as "emergency"
	not emergency with input as gate_input
}

test_change_given if {
	change_given with input as gate_input
	not change_given with input as gate_input with input.change as null
}

test_maintenance_tiers if {
	maintenance_tiers == {"high", "critical"}
}

test_freeze_allows_change if {
	freeze_allows_change(month_end_close) with input as gate_input with input.change.type as "emergency"
	not freeze_allows_change(month_end_close) with input as gate_input
	not freeze_allows_change(month_end_close) with input as gate_input with input.change as null
}

test_inside_change_window if {
	inside_change_window with input as gate_input with input.change.window as window_from_2_to_4
	not inside_change_window with input as gate_input with input.change.window as window_from_4_to_6
}
