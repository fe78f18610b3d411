# Package andon.risk classifies a change when it is opened: a risk tier, the
# reasons for it in plain language, and the approvals it needs before the
# gate lets it through.
#
# Input: the change, its environment, the catalog documents of the business
# processes (those the change names and those of the environment), and the
# environment's plants. Output: tier, reasons, approvals. The contract is in
# docs/policy.md.
#
# The tiers follow the default risk model of andon; the first match wins:
#
#   low       non-production environment; or a standard change with no
#             migration, no modules and no infrastructure component
#   critical  production, and postgres or kubernetes touched; or a
#             migration touching a critical process
#   high      production, and a migration; or modules changed while a
#             critical or high process is affected; or a valuation or
#             accounting module changed; or an access row without a
#             group added (which also needs a platform admin)
#   medium    any other production change
#
# An emergency change keeps its tier but needs one emergency approver
# instead of the tier's approvals, and owes a retrospective review.
package andon.risk

# The tier is an else chain so that the first match wins, as in the table.
tier := "low" if {
	not production
} else := "low" if {
	routine
} else := "critical" if {
	count(critical_reasons) > 0
} else := "high" if {
	count(high_reasons) > 0
} else := "medium"

# Reasons explain the tier first, then anything unusual about the approvals.
reasons := array.concat(array.concat(tier_reasons, approval_reasons), sort(shared_owners))

# Emergency changes are decided by one break-glass approver whatever their
# tier: waiting for a change advisory during an outage is the greater risk.
approvals := [{"role": "emergency-approver", "count": 1}] if {
	emergency
} else := [] if {
	tier == "low"
} else := array.concat(
	array.concat([{"role": "change-manager", "count": 1}], owner_slots),
	admin_slots,
)

production if input.environment.stage == "production"

emergency if input.change.type == "emergency"

migration if input.change.facts.migration == true

# routine is a standard change that touches nothing a person should look at.
routine if {
	input.change.type == "standard"
	not migration
	count(modules) == 0
	count(components) == 0
	count(public_rows) == 0
}

modules := {m | some m in input.change.facts.modules}

components := {c | some c in input.change.facts.components}

# Infrastructure under every business process at once: a mistake there
# stops the plant, not one process.
critical_components := components & {"postgres", "kubernetes"}

# affected holds the catalog documents of the processes the change names.
affected contains p if {
	some p in input.processes
	p.name in input.change.processes
}

# The environment's own processes, used when no affected process can
# supply a process owner.
environment_processes contains p if {
	some p in input.processes
	p.name in input.environment.processes
}

affected_names(tiers) := {p.name | some p in affected; p.tier in tiers}

critical_reasons contains sprintf("touches infrastructure component %s in production environment %s", [c, input.environment.name]) if {
	some c in critical_components
}

critical_reasons contains sprintf("database migration touches critical process %s", [name]) if {
	migration
	some name in affected_names({"critical"})
}

high_reasons contains sprintf("database migration in production environment %s", [input.environment.name]) if {
	migration
}

# Inventory valuation and accounting: a mistake there shows in the books
# at month end, long after the deployment.
high_reasons contains sprintf("changes valuation or accounting module %s", [m]) if {
	some m in modules
	valuation_module(m)
}

valuation_module(m) if m in {"purchase_stock", "stock_landed_costs"}

# A module named with the word account, accountant or valuation, as Odoo's
# and most custom accounting modules are (stock_account, acme_valuation);
# words, not substrings: crm_key_account_manager is no accounting module.
valuation_module(m) if {
	some word in split(m, "_")
	word in {"account", "accountant", "valuation"}
	not m in {"portal_account", "crm_key_account"}
}

public_rows := [r | some r in object.get(input.change.facts, "publicAccessRows", [])]

high_reasons contains sprintf("adds access rows without a group, open to every user, portal and public included: %s", [concat("; ", sort(public_rows))]) if {
	count(public_rows) > 0
}

high_reasons contains sprintf("changes Odoo modules %s and affects %s process %s", [concat(", ", sort(modules)), p.tier, p.name]) if {
	count(modules) > 0
	some p in affected
	p.tier in {"critical", "high"}
}

tier_reasons := [sprintf("%s is a %s environment, not production", [input.environment.name, input.environment.stage])] if {
	not production
} else := ["standard change with no database migration, no Odoo modules and no infrastructure component"] if {
	routine
} else := sort(critical_reasons) if {
	tier == "critical"
} else := sort(high_reasons) if {
	tier == "high"
} else := [sprintf("production environment %s, with no database migration, no postgres or kubernetes change and no Odoo modules of a critical or high process", [input.environment.name])]

approval_reasons := [
	"emergency change: one emergency-approver may approve it at once; a retrospective review is owed within 48 h of implementation",
] if {
	emergency
} else := ["pre-approved by policy: no approval needed"] if {
	tier == "low"
} else := [sprintf("no affected process is critical or high: the owners of %s of environment %s approve instead", [concat(", ", owner_names), input.environment.name])] if {
	owners_from_environment
	count(owner_names) > 0
} else := [sprintf("no critical or high process, affected or in environment %s, has a process owner to ask", [input.environment.name])] if {
	needs_owner
	count(owner_names) == 0
} else := []

# Process owners approve for high and critical changes: the owners of each
# affected critical or high process, or, when none is affected, of each of
# the environment's critical or high processes. Processes that the same
# teams own share one slot, named after the first of them: one person
# fills at most one slot, so a slot for each would ask those teams for as
# many different people as processes, which a plant whose operations team
# owns four processes may not have.
owner_slots := [{"role": concat("", ["process-owner:", name]), "count": 1} | some name in slot_names]

owner_processes := [] if {
	not needs_owner
} else := [p | some p in environment_processes; p.tier in {"critical", "high"}] if {
	owners_from_environment
} else := [p | some p in affected; p.tier in {"critical", "high"}]

owner_names := sort({p.name | some p in owner_processes})

# owner_teams are the distinct sets of owner teams of owner_processes.
owner_teams := {sort(object.get(p, "owners", [])) | some p in owner_processes}

slot_names := sort({min({p.name | some p in owner_processes; sort(object.get(p, "owners", [])) == teams}) | some teams in owner_teams})

# shared_owners lists, for each slot that stands for several processes, the
# processes and their teams.
shared_owners contains sprintf("%s are owned by the same teams (%s): one of their owners approves for all of them", [concat(", ", names), concat(", ", teams)]) if {
	not emergency
	some teams in owner_teams
	names := sort({p.name | some p in owner_processes; sort(object.get(p, "owners", [])) == teams})
	count(names) > 1
}

# High and critical changes need process owners.
needs_owner if tier in {"high", "critical"}

owners_from_environment if {
	needs_owner
	count(affected_names({"critical", "high"})) == 0
}

admin_slots := [{"role": "platform-admin", "count": 1}] if {
	tier == "critical"
} else := [{"role": "platform-admin", "count": 1}] if {
	count(public_rows) > 0
} else := []
