# Unit tests of andon.risk. They live in the package they test, so that a
# policy directory replacing andon.risk replaces these tests with it.
package andon.risk

# A production environment with processes of every interesting tier.
prod_lyon := {
	"name": "prod-lyon",
	"stage": "production",
	"hosting": "dedicated",
	"plants": ["lyon"],
	"processes": ["production", "inventory", "finance", "website"],
	"promotesFrom": "staging-lyon",
	"kubernetes": {"cluster": "eu-1", "namespace": "odoo-lyon"},
	"odoo": {"version": "17.0"},
}

staging_lyon := object.union(prod_lyon, {"name": "staging-lyon", "stage": "staging"})

catalog_processes := [
	{"name": "production", "tier": "critical", "rpo": 900000000000, "rto": 7200000000000, "modules": ["mrp", "mrp_workorder"], "owners": ["lyon-ops"]},
	{"name": "inventory", "tier": "high", "rpo": 3600000000000, "rto": 14400000000000, "modules": ["stock"], "owners": ["lyon-logistics"]},
	{"name": "finance", "tier": "critical", "rpo": 900000000000, "rto": 7200000000000, "modules": ["account"], "owners": ["finance"]},
	{"name": "website", "tier": "low", "rpo": 86400000000000, "rto": 86400000000000, "modules": ["website"], "owners": ["marketing"]},
]

# change builds a change to prod-lyon from the parts a test cares about.
change(type, facts, processes) := {
	"id": "CHG-1",
	"environment": "prod-lyon",
	"type": type,
	"title": "test change",
	"requester": "user-r",
	"artifacts": ["registry.example.com/odoo/odoo@sha256:0000000000000000000000000000000000000000000000000000000000000000"],
	"facts": object.union({"modules": [], "migration": false, "components": []}, facts),
	"processes": processes,
	"state": "pending",
	"risk": {"tier": "", "reasons": [], "approvals": []},
	"approvals": [],
	"createdAt": "2026-11-20T09:00:00Z",
	"updatedAt": "2026-11-20T09:00:00Z",
}

risk_input(c) := {
	"change": c,
	"environment": prod_lyon,
	"processes": catalog_processes,
	"plants": [{"name": "lyon", "timezone": "Europe/Paris", "criticality": "critical"}],
}

change_manager := {"role": "change-manager", "count": 1}

platform_admin := {"role": "platform-admin", "count": 1}

owner(p) := {"role": concat("", ["process-owner:", p]), "count": 1}

# tier, reasons and approvals: one test per row of the risk table.

test_tier_low_outside_production if {
	i := object.union(risk_input(change("normal", {"migration": true, "components": ["postgres"]}, ["production"])), {"environment": staging_lyon})
	tier == "low" with input as i
	reasons == [
		"staging-lyon is a staging environment, not production",
		"pre-approved by policy: no approval needed",
	] with input as i
	approvals == [] with input as i
}

test_tier_low_routine_standard_change if {
	i := risk_input(change("standard", {}, []))
	tier == "low" with input as i
	reasons == [
		"standard change with no database migration, no Odoo modules and no infrastructure component",
		"pre-approved by policy: no approval needed",
	] with input as i
	approvals == [] with input as i
}

test_tier_critical_infrastructure if {
	i := risk_input(change("standard", {"components": ["postgres", "kubernetes", "redis"]}, ["inventory"]))
	tier == "critical" with input as i
	reasons == [
		"touches infrastructure component kubernetes in production environment prod-lyon",
		"touches infrastructure component postgres in production environment prod-lyon",
	] with input as i
	approvals == [change_manager, owner("inventory"), platform_admin] with input as i
}

test_tier_critical_migration_of_critical_process if {
	i := risk_input(change("normal", {"migration": true, "modules": ["mrp", "stock"]}, ["production", "inventory", "website"]))
	tier == "critical" with input as i
	reasons == ["database migration touches critical process production"] with input as i
	approvals == [change_manager, owner("inventory"), owner("production"), platform_admin] with input as i
}

test_tier_high_migration if {
	i := risk_input(change("normal", {"migration": true}, ["inventory"]))
	tier == "high" with input as i
	reasons == ["database migration in production environment prod-lyon"] with input as i
	approvals == [change_manager, owner("inventory")] with input as i
}

test_tier_high_modules_of_high_process if {
	i := risk_input(change("normal", {"modules": ["stock_picking_batch", "stock"]}, ["inventory", "website"]))
	tier == "high" with input as i
	reasons == ["changes Odoo modules stock, stock_picking_batch and affects high process inventory"] with input as i
	approvals == [change_manager, owner("inventory")] with input as i
}

test_tier_medium if {
	i := risk_input(change("normal", {"modules": ["website"], "components": ["redis"]}, ["website"]))
	tier == "medium" with input as i
	reasons == ["production environment prod-lyon, with no database migration, no postgres or kubernetes change and no Odoo modules of a critical or high process"] with input as i
	approvals == [change_manager] with input as i
}

test_tier_medium_critical_process_without_modules if {
	# Naming a critical process is not enough: without modules, a migration
	# or critical infrastructure nothing of it changes.
	i := risk_input(change("normal", {"components": ["traefik"]}, ["production"]))
	tier == "medium" with input as i
	approvals == [change_manager] with input as i
}

test_emergency_keeps_tier_and_needs_one_emergency_approver if {
	i := risk_input(change("emergency", {"components": ["postgres"]}, ["production"]))
	tier == "critical" with input as i
	reasons == [
		"touches infrastructure component postgres in production environment prod-lyon",
		"emergency change: one emergency-approver may approve it at once; a retrospective review is owed within 48 h of implementation",
	] with input as i
	approvals == [{"role": "emergency-approver", "count": 1}] with input as i
}

test_emergency_outside_production if {
	i := object.union(risk_input(change("emergency", {}, [])), {"environment": staging_lyon})
	tier == "low" with input as i
	approvals == [{"role": "emergency-approver", "count": 1}] with input as i
}

# Helper rules.

test_production if {
	production with input as risk_input(change("normal", {}, []))
	not production with input as object.union(risk_input(change("normal", {}, [])), {"environment": staging_lyon})
}

test_emergency if {
	emergency with input as risk_input(change("emergency", {}, []))
	not emergency with input as risk_input(change("normal", {}, []))
}

test_migration if {
	migration with input as risk_input(change("normal", {"migration": true}, []))
	not migration with input as risk_input(change("normal", {}, []))
}

test_routine if {
	routine with input as risk_input(change("standard", {}, []))
	not routine with input as risk_input(change("normal", {}, []))
	not routine with input as risk_input(change("standard", {"migration": true}, []))
	not routine with input as risk_input(change("standard", {"modules": ["website"]}, []))
	not routine with input as risk_input(change("standard", {"components": ["redis"]}, []))
}

test_modules_and_components if {
	i := risk_input(change("normal", {"modules": ["mrp", "mrp"], "components": ["redis", "postgres"]}, []))
	modules == {"mrp"} with input as i
	components == {"redis", "postgres"} with input as i
	critical_components == {"postgres"} with input as i
}

test_affected_only_named_processes if {
	names := {p.name | some p in affected} with input as risk_input(change("normal", {}, ["inventory", "unknown"]))
	names == {"inventory"}
}

test_environment_processes if {
	i := object.union(risk_input(change("normal", {}, [])), {"environment": object.union(prod_lyon, {"processes": ["finance"]})})
	names := {p.name | some p in environment_processes} with input as i
	names == {"finance"}
}

test_affected_names if {
	i := risk_input(change("normal", {}, ["production", "inventory", "website"]))
	affected_names({"critical"}) == {"production"} with input as i
	affected_names({"critical", "high"}) == {"production", "inventory"} with input as i
}

test_critical_reasons if {
	i := risk_input(change("normal", {"migration": true, "components": ["kubernetes"]}, ["production", "finance"]))
	critical_reasons == {
		"touches infrastructure component kubernetes in production environment prod-lyon",
		"database migration touches critical process production",
		"database migration touches critical process finance",
	} with input as i
}

test_critical_reasons_none_for_migration_of_high_process if {
	count(critical_reasons) == 0 with input as risk_input(change("normal", {"migration": true}, ["inventory"]))
}

test_high_reasons if {
	i := risk_input(change("normal", {"migration": true, "modules": ["account"]}, ["finance", "website"]))
	high_reasons == {
		"database migration in production environment prod-lyon",
		"changes Odoo modules account and affects critical process finance",
		"changes valuation or accounting module account",
	} with input as i
}

test_high_reasons_none_for_modules_of_low_process if {
	count(high_reasons) == 0 with input as risk_input(change("normal", {"modules": ["website"]}, ["website"]))
}

test_tier_reasons_are_sorted if {
	i := risk_input(change("normal", {"migration": true, "modules": ["account"]}, ["inventory"]))
	tier_reasons == [
		"changes Odoo modules account and affects high process inventory",
		"changes valuation or accounting module account",
		"database migration in production environment prod-lyon",
	] with input as i
}

test_approval_reasons_owners_from_environment if {
	# A postgres change names no process: the owners of the environment's
	# critical and high processes are asked.
	i := risk_input(change("normal", {"components": ["postgres"]}, []))
	owners_from_environment with input as i
	owner_names == ["finance", "inventory", "production"] with input as i
	approval_reasons == ["no affected process is critical or high: the owners of finance, inventory, production of environment prod-lyon approve instead"] with input as i
	approvals == [change_manager, owner("finance"), owner("inventory"), owner("production"), platform_admin] with input as i
}

test_approval_reasons_no_owner_at_all if {
	i := object.union(
		risk_input(change("normal", {"migration": true}, ["website"])),
		{"environment": object.union(prod_lyon, {"processes": ["website"]})},
	)
	tier == "high" with input as i
	owner_names == [] with input as i
	approval_reasons == ["no critical or high process, affected or in environment prod-lyon, has a process owner to ask"] with input as i
	approvals == [change_manager] with input as i
}

test_approval_reasons_none_for_affected_owners if {
	approval_reasons == [] with input as risk_input(change("normal", {"migration": true}, ["inventory"]))
}

test_approval_reasons_none_for_medium if {
	approval_reasons == [] with input as risk_input(change("normal", {"components": ["redis"]}, []))
}

test_owner_slots if {
	owner_slots == [owner("inventory"), owner("production")] with input as risk_input(change("normal", {"migration": true}, ["production", "inventory"]))
}

# Processes the same teams own share one slot, named after the first of
# them, and the reasons say so; one person fills one slot, so a slot each
# would ask lyon-ops for three different people.
test_owner_slots_shared_by_the_same_teams if {
	shared := [
		{"name": "production", "tier": "critical", "modules": ["mrp"], "owners": ["lyon-ops"]},
		{"name": "quality", "tier": "high", "modules": ["quality"], "owners": ["lyon-ops"]},
		{"name": "maintenance", "tier": "high", "modules": ["maintenance"], "owners": ["lyon-ops"]},
		{"name": "finance", "tier": "critical", "modules": ["account"], "owners": ["finance"]},
	]
	i := object.union(risk_input(change("normal", {"migration": true}, ["production", "quality", "maintenance", "finance"])), {"processes": shared})
	approvals == [change_manager, owner("finance"), owner("maintenance"), platform_admin] with input as i
	"maintenance, production, quality are owned by the same teams (lyon-ops): one of their owners approves for all of them" in reasons with input as i

	# An emergency change asks its one break-glass approver, and says
	# nothing of owners.
	e := object.union(i, {"change": change("emergency", {"migration": true}, ["production", "quality"])})
	approvals == [{"role": "emergency-approver", "count": 1}] with input as e
	count([r | some r in reasons; contains(r, "owned by the same teams")]) == 0 with input as e
}

test_owner_names_empty_below_high if {
	# A medium change that names a critical process asks no process owner.
	owner_names == [] with input as risk_input(change("normal", {"components": ["redis"]}, ["production"]))
}

test_owners_from_environment_not_when_affected_qualify if {
	not owners_from_environment with input as risk_input(change("normal", {"components": ["postgres"]}, ["inventory"]))
	not owners_from_environment with input as risk_input(change("normal", {"components": ["redis"]}, []))
}

test_admin_slots if {
	admin_slots == [platform_admin] with input as risk_input(change("normal", {"components": ["kubernetes"]}, []))
	admin_slots == [] with input as risk_input(change("normal", {"migration": true}, []))
}

test_needs_owner if {
	needs_owner with input as risk_input(change("normal", {"migration": true}, []))
	needs_owner with input as risk_input(change("normal", {"components": ["postgres"]}, []))
	not needs_owner with input as risk_input(change("normal", {"components": ["redis"]}, []))
}

# The facts of the addons (andon odoo impact).

test_tier_high_valuation_module if {
	i := risk_input(change("normal", {"modules": ["acme_stock_account"]}, ["website"]))
	tier == "high" with input as i
	"changes valuation or accounting module acme_stock_account" in reasons with input as i
	not "changes valuation or accounting module acme_label" in reasons with input as risk_input(change("normal", {"modules": ["acme_label"]}, ["website"]))
	tier == "medium" with input as risk_input(change("normal", {"modules": ["acme_label"]}, ["website"]))
}

test_valuation_module if {
	valuation_module("stock_account")
	valuation_module("account")
	valuation_module("account_accountant")
	valuation_module("purchase_stock")
	valuation_module("acme_account_reports")
	valuation_module("acme_stock_valuation")
	not valuation_module("stock")
	not valuation_module("mrp")
	not valuation_module("acme_accountability")
	not valuation_module("crm_key_account")
}

test_public_rows_are_never_routine if {
	i := risk_input(change("standard", {"publicAccessRows": ["acme: access_all (model m: read)"]}, []))
	not routine with input as i
	tier == "high" with input as i
	platform_admin in approvals with input as i
}

test_public_access_rows_need_a_platform_admin if {
	rows := ["acme_stock: access_quant_all (model model_stock_quant: read)"]
	i := risk_input(change("normal", {"modules": ["acme_label"], "securityChanged": true, "publicAccessRows": rows}, ["website"]))
	tier == "high" with input as i
	"adds access rows without a group, open to every user, portal and public included: acme_stock: access_quant_all (model model_stock_quant: read)" in reasons with input as i
	platform_admin in approvals with input as i
	# An access file changed without such a row is not by itself a reason.
	tier == "medium" with input as risk_input(change("normal", {"modules": ["acme_label"], "securityChanged": true}, ["website"]))
	admin_slots == [] with input as risk_input(change("normal", {"securityChanged": true}, []))
}
