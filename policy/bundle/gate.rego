# Package andon.gate decides at deploy time whether an image may go to an
# environment now. Every enforcement point (the CLI in CI, the admission
# webhook, the Argo CD hook) asks it through the andon server.
#
# Input: the request (environment, image, instant), the environment, the
# change that carries the image (implementing, approved, or a pending or
# rejected one of its digest that no later change completed; or null), the
# windows in force at the instant, the promotion evidence (or null) and the
# open incidents. Output: allow, and reasons, each {code, message}. The
# contract and every code are in docs/policy.md.
#
# The gate fails closed: allow is true only when no rule denies, and every
# rule that denies adds its own reason, so a person sees everything that
# stands in the way at once rather than one problem per attempt.
package andon.gate

default allow := false

allow if {
	approved
	count(deny) == 0
}

reasons := [{"code": "ALLOWED", "message": allowed_message}] if {
	allow
} else := sort(deny)

# change_given is written with is_object so that a missing change and a
# null one mean the same.
change_given if is_object(input.change)

approved if input.change.state in {"approved", "implementing"}

has_window if is_object(input.change.window)

emergency if input.change.type == "emergency"

maintenance_tiers := {"high", "critical"}

at := time.parse_rfc3339_ns(input.request.at)

# inside holds when the request's instant lies in [span.start, span.end).
inside(span) if {
	time.parse_rfc3339_ns(span.start) <= at
	at < time.parse_rfc3339_ns(span.end)
}

inside_change_window if inside(input.change.window)

in_maintenance if {
	some occurrence in input.calendar.active
	occurrence.type == "maintenance"
}

deny contains {
	"code": "NO_APPROVED_CHANGE",
	"message": sprintf("no approved change in environment %s carries image %s", [input.request.environment, input.request.image]),
} if {
	not change_given
}

deny contains {
	"code": "NO_APPROVED_CHANGE",
	"message": sprintf("change %s is %s, not approved", [input.change.id, input.change.state]),
} if {
	change_given
	not approved
}

# The negation matters: an instant or a window that cannot be read denies
# rather than allows.
deny contains {
	"code": "OUTSIDE_CHANGE_WINDOW",
	"message": sprintf("%s is outside the window of change %s, from %s to %s", [input.request.at, input.change.id, input.change.window.start, input.change.window.end]),
} if {
	has_window
	not inside_change_window
}

# A high or critical change without its own window must use a maintenance
# window. An emergency change is exempt: it fixes an outage now.
deny contains {
	"code": "NO_MAINTENANCE_WINDOW",
	"message": sprintf("change %s is %s risk and has no window of its own, so it must run inside a maintenance window; none is open at %s", [input.change.id, input.change.risk.tier, input.request.at]),
} if {
	change_given
	not has_window
	input.change.risk.tier in maintenance_tiers
	not emergency
	not in_maintenance
}

# An emergency change without a window of its own is for the outage at
# hand: once approved, its first deployment must come within
# emergency_validity of the approval (of its creation when the policy
# asked for none). A break-glass approval left unused does not stay a way
# through every later freeze. A change already implementing is not bound
# so: the gate lets it through while it implements, and its retrospective
# review, once overdue, is a finding (REVIEW_OVERDUE) that the ALLOWED
# message names, not a refusal. andon reads emergency_validity, without
# input, when it loads the policy: the gate weighs such a change past it
# after the changes that may deploy now, so that it hides none of them.
emergency_validity := "48h"

deny contains {
	"code": "EMERGENCY_EXPIRED",
	"message": sprintf("emergency change %s was approved at %s and never deployed; without a window of its own it could go ahead only until %s, %s after its approval: cancel it, and open a new change if it is still needed", [input.change.id, time.format([approved_ns, "UTC", "2006-01-02T15:04:05Z07:00"]), time.format([expires_ns, "UTC", "2006-01-02T15:04:05Z07:00"]), emergency_validity]),
} if {
	emergency
	not has_window
	input.change.state == "approved"
	expires_ns := approved_ns + time.parse_duration_ns(emergency_validity)
	at >= expires_ns
}

# approved_ns is when the change was approved: its last approval, or its
# creation when the policy pre-approved it.
approved_ns := max(times) if {
	times := [time.parse_rfc3339_ns(a.at) | some a in input.change.approvals; a.verdict == "approve"]
	count(times) > 0
} else := time.parse_rfc3339_ns(input.change.createdAt)

# Without a change there is no type to allow, so every freeze applies.
deny contains {
	"code": "FROZEN",
	"message": sprintf("frozen by %s until %s; %s", [occurrence.window, occurrence.end, freeze_allows(occurrence.allow)]),
} if {
	some occurrence in input.calendar.active
	occurrence.type == "freeze"
	not freeze_allows_change(occurrence)
}

# The membership test is a function of its own because OPA evaluates
# "not input.change.type in allow" as undefined, not true, when there is no
# change: a negated call whose argument is undefined fails as a whole.
freeze_allows_change(occurrence) if input.change.type in occurrence.allow

deny contains {
	"code": "NOT_PROMOTED",
	"message": sprintf("image %s has no completed change in %s, which environment %s promotes from", [input.request.image, input.promotion.from, input.request.environment]),
} if {
	input.promotion.required == true
	input.promotion.changeId == ""
}

# An open critical incident stops every change to production but an
# emergency one, as a freeze that allows emergencies does: the fix of the
# incident is one. Outside production, where the fix is tried first,
# changes go on.
deny contains {
	"code": "INCIDENT_OPEN",
	"message": sprintf("critical incident %s is open: %s; until it is resolved only emergency changes may go ahead", [incident.id, incident.title]),
} if {
	input.environment.stage == "production"
	some incident in input.incidents
	incident.severity == "critical"
	not emergency
}

# A change that migrates a production database goes ahead only after a
# backup of it completed within backup_freshness: the rollback of a
# migration is a restore. The backups are those recorded with andon backup
# record; input.backup is the latest completed at or before the instant.
backup_freshness := "24h"

deny contains {
	"code": "NO_FRESH_BACKUP",
	"message": no_backup_message,
} if {
	input.environment.stage == "production"
	input.change.facts.migration == true
	not backup_fresh
}

backup_fresh if {
	completed := time.parse_rfc3339_ns(input.backup.completedAt)
	at - completed <= time.parse_duration_ns(backup_freshness)
}

no_backup_message := sprintf("change %s migrates the database of %s, whose latest backup, %s, completed at %s, more than %s before %s: take a backup, record it (andon backup record), and deploy again", [input.change.id, input.request.environment, input.backup.id, time.format([time.parse_rfc3339_ns(input.backup.completedAt), "UTC", "2006-01-02T15:04:05Z07:00"]), backup_freshness, input.request.at]) if {
	is_object(input.backup)
} else := sprintf("change %s migrates the database of %s, of which no backup is recorded: take one, record it (andon backup record), and deploy again", [input.change.id, input.request.environment])

freeze_allows(types) := "it allows no change" if {
	count(types) == 0
} else := sprintf("it allows only %s changes", [types[0]]) if {
	count(types) == 1
} else := sprintf("it allows only %s and %s changes", [
	concat(", ", array.slice(types, 0, count(types) - 1)),
	types[count(types) - 1],
])

# The ALLOWED message says which change let the image through and why the
# time is right for it. One complete sentence per case, rather than parts
# joined together, keeps each readable here and costs less to evaluate.
# change_name names the change in messages. A standard change the gate
# records for a deployment outside production gets its ID only when it is
# stored, after the decision; a dry run stores none.
change_name := sprintf("change %s", [input.change.id]) if {
	input.change.id != ""
} else := "the standard change this deployment would record" if {
	input.request.dryRun == true
} else := "the standard change recorded for this deployment"

allowed_message := sprintf("%s is %s and %s is inside its window, from %s to %s%s", [change_name, input.change.state, input.request.at, input.change.window.start, input.change.window.end, allowed_freezes]) if {
	has_window
} else := sprintf("%s is %s; as an emergency change it needs no window, and %s%s%s", [change_name, input.change.state, review_said, allowed_freezes, allowed_incidents]) if {
	emergency
} else := sprintf("%s is %s and runs inside maintenance window %s, until %s%s", [change_name, input.change.state, first[0], first[1], allowed_freezes]) if {
	input.change.risk.tier in maintenance_tiers
	first := sort([[o.window, o.end] | some o in input.calendar.active; o.type == "maintenance"])[0]
} else := sprintf("%s is %s and, as a %s risk change, needs no window%s", [change_name, input.change.state, input.change.risk.tier, allowed_freezes])

# review_said is what the ALLOWED message of an emergency change says of
# its retrospective review. Every deployment of the change is recorded with
# it, and a record made days after the first one must not say a review is
# still owed within 48 h when it is overdue, or was given.
review_said := sprintf("its retrospective review was given by %s", [input.change.review.approver]) if {
	is_object(input.change.review)
} else := sprintf("its retrospective review was due at %s and is overdue", [review_due_text]) if {
	at >= time.parse_rfc3339_ns(input.change.reviewDue)
} else := sprintf("its retrospective review is due at %s", [review_due_text]) if {
	is_string(input.change.reviewDue)
} else := "a retrospective review is owed within 48 h"

# The due time arrives with nanoseconds; to the second is enough to read.
review_due_text := time.format([time.parse_rfc3339_ns(input.change.reviewDue), "UTC", "2006-01-02T15:04:05Z07:00"])

# An open critical incident that an emergency change goes through is
# named, as a freeze is.
allowed_incidents := concat("", [sprintf("; critical incident %s is open, and lets emergency changes through", [incident.id]) |
	input.environment.stage == "production"
	some incident in input.incidents
	incident.severity == "critical"
])

# A freeze that lets the change through is named, so that the record shows
# the change went ahead inside it on purpose.
allowed_freezes := concat("", [sprintf("; freeze %s allows %s changes", [occurrence.window, input.change.type]) |
	some occurrence in input.calendar.active
	occurrence.type == "freeze"
])
