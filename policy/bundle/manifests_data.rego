# The data rules of andon.manifests: PostgreSQL run by CloudNativePG
# (Cluster, ScheduledBackup, the Barman Cloud plugin's ObjectStore) in
# production namespaces, and Redis by the role it declares.
package andon.manifests

catalogue["cnpg-backup"] := {"severity": "deny", "scope": "object", "title": "A production PostgreSQL Cluster must be backed up"}

catalogue["cnpg-scheduled-backup"] := {"severity": "deny", "scope": "set", "title": "A production PostgreSQL Cluster needs a ScheduledBackup"}

catalogue["cnpg-wal-archiving"] := {"severity": "deny", "scope": "object", "title": "A production PostgreSQL Cluster must archive its WAL"}

catalogue["cnpg-retention"] := {"severity": "deny", "scope": "object", "title": "Backups must be kept at least 7 days, and at least the RTO"}

catalogue["cnpg-archive-timeout"] := {"severity": "warn", "scope": "object", "title": "archive_timeout must not exceed the environment's RPO"}

catalogue["redis-noeviction"] := {"severity": "deny", "scope": "object", "title": "A queue or session Redis must not evict keys (maxmemory-policy noeviction)"}

catalogue["redis-persistence"] := {"severity": "deny", "scope": "set", "title": "A queue or session Redis must persist to a persistent volume"}

catalogue["redis-cache-policy"] := {"severity": "warn", "scope": "set", "title": "A cache Redis should evict with an allkeys-* policy"}

catalogue["redis-cache-separate"] := {"severity": "deny", "scope": "set", "title": "A cache Redis must be an instance of its own"}

# CloudNativePG.

cnpg(obj, kind) if {
	kind_of(obj) == kind
	api_group(obj) == "postgresql.cnpg.io"
}

production_clusters contains d if {
	some d in docs
	cnpg(d.object, "Cluster")
	production(namespace_of(d.object))
}

object_store_backup(c) if is_object(c.spec.backup.barmanObjectStore)

barman_plugins(c) := [p |
	some p in array_at(c.spec, "plugins")
	is_object(p)
	contains(str(p.name), "barman")
]

backed_up(c) if object_store_backup(c)

backed_up(c) if count(barman_plugins(c)) > 0

backed_up(c) if is_object(c.spec.backup.volumeSnapshot)

# WAL is archived with barmanObjectStore, or by the plugin that is the WAL
# archiver.
wal_archived(c) if object_store_backup(c)

wal_archived(c) if {
	some p in barman_plugins(c)
	p.isWALArchiver == true
}

# cnpg-backup

findings contains finding("cnpg-backup", at_object(d), sprintf("this production database has no backup (no spec.backup.barmanObjectStore, Barman Cloud plugin or volumeSnapshot): losing its volumes loses the ERP's data; back it up to an object store outside the cluster with spec.backup.barmanObjectStore or the barman-cloud.cloudnative-pg.io plugin, and add a ScheduledBackup for %s", [name_of(d.object)])) if {
	some d in production_clusters
	not backed_up(d.object)
}

# cnpg-scheduled-backup

findings contains finding("cnpg-scheduled-backup", at_object(d), sprintf("no ScheduledBackup of the set backs up this production database, so no base backup is taken, and archived WAL cannot be replayed without one; add a ScheduledBackup with spec.cluster.name: %s (daily, schedule: \"0 0 2 * * *\")", [name_of(d.object)])) if {
	whole_set
	some d in production_clusters
	not scheduled(d.object)
}

scheduled(c) if {
	some d in docs
	cnpg(d.object, "ScheduledBackup")
	namespace_of(d.object) == namespace_of(c)
	d.object.spec.cluster.name == name_of(c)
	object.get(d.object, ["spec", "suspend"], false) != true
}

# cnpg-wal-archiving

findings contains finding("cnpg-wal-archiving", at_object(d), "this production database is backed up but archives no WAL: a restore goes back to the last backup and loses every order, move and invoice since; configure spec.backup.barmanObjectStore, or set isWALArchiver: true on the Barman Cloud plugin") if {
	some d in production_clusters
	backed_up(d.object)
	not wal_archived(d.object)
}

# cnpg-retention. Backups must reach back at least a week, so that a
# corruption found days later can still be undone, and at least as far as
# the RTO when an environment's is longer. A missing retentionPolicy keeps
# backups for ever, which is not a risk to the data.

day := 86400000000000

retention_days := {"d": 1, "w": 7, "m": 30}

# retention returns the retentionPolicy that applies to a Cluster and the
# object that sets it: the Cluster, or the plugin's ObjectStore.
retention(d) := {"doc": d, "value": d.object.spec.backup.retentionPolicy} if {
	object_store_backup(d.object)
} else := {"doc": store, "value": store.object.spec.retentionPolicy} if {
	store := first([store |
		some p in barman_plugins(d.object)
		some store in docs
		kind_of(store.object) == "ObjectStore"
		api_group(store.object) == "barmancloud.cnpg.io"
		namespace_of(store.object) == namespace_of(d.object)
		name_of(store.object) == p.parameters.barmanObjectName
	])
}

retention_ns(policy) := (to_number(m[0][1]) * retention_days[m[0][2]]) * day if {
	m := regex.find_all_string_submatch_n(`^([1-9][0-9]*)([dwm])$`, str(policy), 1)
	count(m) == 1
}

rto(ns) := n if {
	n := duration(governed_namespaces[ns].rto)
} else := 0

required_retention(ns) := max({7 * day, rto(ns)})

required_text(ns) := sprintf("the RTO %s of environment %s", [governed_namespaces[ns].rto, environment_name(ns)]) if {
	rto(ns) > 7 * day
} else := "7 days"

findings contains finding("cnpg-retention", at_object(kept.doc), sprintf("retentionPolicy %v keeps the backups of production Cluster %s for less than %s: a corruption found later cannot be undone; keep them at least that long (retentionPolicy: \"%dd\")", [kept.value, name_of(d.object), required_text(ns), suggested_days(ns)])) if {
	some d in production_clusters
	ns := namespace_of(d.object)
	kept := retention(d)
	retention_ns(kept.value)
	not long_enough(kept.value, ns)
}

findings contains finding("cnpg-retention", at_object(kept.doc), sprintf("retentionPolicy %v of production Cluster %s is not a number of days, weeks or months, such as 30d, 4w or 3m, so how long backups are kept cannot be checked; write retentionPolicy: \"%dd\"", [kept.value, name_of(d.object), suggested_days(ns)])) if {
	some d in production_clusters
	ns := namespace_of(d.object)
	kept := retention(d)
	not retention_ns(kept.value)
}

long_enough(policy, ns) if retention_ns(policy) >= required_retention(ns)

# Thirty days, or the RTO when it is longer.
suggested_days(ns) := max({30, ceil(required_retention(ns) / day)})

# cnpg-archive-timeout. On a quiet database a WAL segment is archived only
# when it fills or archive_timeout passes; until then the transactions in
# it exist only in the cluster.

postgres_units := {"ms": 1000000, "s": 1000000000, "min": 60000000000, "h": 3600000000000, "d": 86400000000000}

postgres_duration(t) := to_number(m[0][1]) * postgres_units[unit] if {
	m := regex.find_all_string_submatch_n(`^\s*([0-9]+)\s*(ms|s|min|h|d)?\s*$`, t, 1)
	count(m) == 1
	unit := unit_or_seconds(m[0][2])
}

# postgres_text writes a duration as postgresql.conf reads it: 15min, 90s.
postgres_text(ns) := sprintf("%dmin", [ns / postgres_units.min]) if {
	ns % postgres_units.min == 0
} else := sprintf("%ds", [ceil(ns / postgres_units.s)])

unit_or_seconds(u) := "s" if {
	u == ""
} else := u

archive_timeout(c) := t if {
	t := c.spec.postgresql.parameters.archive_timeout
	is_string(t)
} else := "5min"

findings contains finding("cnpg-archive-timeout", at_object(d), sprintf("archive_timeout is %s, longer than the RPO %s of environment %s: on a quiet database the last transactions wait that long to be archived, and are lost with the cluster; set spec.postgresql.parameters.archive_timeout to %s or less", [archive_timeout(d.object), governed_namespaces[ns].rpo, environment_name(ns), postgres_text(rpo)])) if {
	some d in production_clusters
	wal_archived(d.object)
	ns := namespace_of(d.object)
	rpo := duration(governed_namespaces[ns].rpo)
	postgres_duration(archive_timeout(d.object)) > rpo
}

# Redis. A Redis declares what it is for with the label
# andon.io/redis-role (queue, session or cache) on its Deployment or
# StatefulSet, its pod template, or a ConfigMap mounted into it.

redis_role_label := "andon.io/redis-role"

redis_role_names := {"queue", "session", "cache"}

redis_instances contains {"index": w.index, "w": w, "c": c, "roles": roles, "where": sprintf("%s: container %s", [w.ref, str(c.name)])} if {
	some w in workloads
	w.kind in {"Deployment", "StatefulSet"}
	c := redis_container(w)
	roles := redis_roles(w, c)
	count(roles) > 0
}

# The Redis container is the one running a Redis image (or Valkey, KeyDB),
# not a sidecar such as redis_exporter; or else the first.
redis_container(w) := c if {
	cs := [c |
		some c in array_at(w.pod, "containers")
		regex.match(`(?i)^(redis|valkey|keydb)(-stack)?(-server)?$`, image_basename(image_of(c)))
	]
	count(cs) > 0
	c := cs[0]
} else := array_at(w.pod, "containers")[0]

# A role label names one role; a value such as session-cache names two.
redis_roles(w, c) := {role |
	some labels in array.concat(
		[labels_of(object.get(w.object, "metadata", {})), w.labels],
		[labels_of(object.get(m.doc.object, "metadata", {})) | some m in mounted_objects(w, c)],
	)
	some role in regex.split(`[-_.]`, str(object.get(labels, redis_role_label, "")))
	role in redis_role_names
}

# redis_directives returns the directives of the redis.conf files mounted
# from ConfigMaps, then those of the command line, which win.
redis_directives(w, c) := array.concat(
	[[lower(m[0][1]), trim(m[0][2], "\"' ")] |
		some f in mounted_objects(w, c)
		kind_of(f.doc.object) == "ConfigMap"
		some text in object.get(f.doc.object, "data", {})
		some line in split(str(text), "\n")
		m := regex.find_all_string_submatch_n(`^\s*([A-Za-z][A-Za-z-]*)\s+(.*?)\s*$`, line, 1)
		count(m) == 1
	],
	redis_arguments(tokens(array.concat(array_at(c, "command"), array_at(c, "args")))),
)

redis_arguments(ws) := [[lower(trim_left(w, "-")), trim(ws[i + 1], "\"' ")] |
	some i, w in ws
	startswith(w, "--")
	i + 1 < count(ws)
	not startswith(ws[i + 1], "--")
]

# directive returns the last value of a directive, as Redis keeps it.
directive(r, name) := last(values) if {
	values := [d[1] | some d in redis_directives(r.w, r.c); d[0] == name]
	count(values) > 0
}

# Redis's default policy is noeviction.
eviction_policy(r) := p if {
	p := directive(r, "maxmemory-policy")
} else := "noeviction"

durable_roles := {"queue", "session"}

role_loss := {"queue": "every queued job", "session": "every session, logging every user out"}

losses(r) := phrase(sort({role_loss[role] | some role in (r.roles & durable_roles)}))

# redis-noeviction

findings contains finding("redis-noeviction", r, sprintf("maxmemory-policy is %s: when memory runs out Redis drops keys, and with them %s; set maxmemory-policy noeviction, so that a full Redis refuses writes instead", [eviction_policy(r), losses(r)])) if {
	some r in redis_instances
	count(r.roles & durable_roles) > 0
	eviction_policy(r) != "noeviction"
}

# redis-persistence. Persistence needs a choice (appendonly yes, or a save
# rule) and a volume that outlives the pod.

persists(r) if directive(r, "appendonly") == "yes"

persists(r) if {
	rule := directive(r, "save")
	not rule in {"", "\"\"", "''"}
}

persistent_redis_volume(r) if {
	some m in array_at(r.c, "volumeMounts")
	persistent_volume(r.w, volume_of(r.w, m))
}

findings contains finding("redis-persistence", r, sprintf("neither appendonly yes nor a save rule is set, so a restart loses %s; set appendonly yes in its redis.conf or with --appendonly yes, on a PersistentVolumeClaim at its data directory", [losses(r)])) if {
	whole_set
	some r in redis_instances
	count(r.roles & durable_roles) > 0
	not persists(r)
}

findings contains finding("redis-persistence", r, sprintf("Redis writes its data to the container's own filesystem, as no PersistentVolumeClaim is mounted, so a new pod loses %s; mount a PersistentVolumeClaim (a volumeClaimTemplate of a StatefulSet) at its data directory, /data", [losses(r)])) if {
	whole_set
	some r in redis_instances
	count(r.roles & durable_roles) > 0
	persists(r)
	not persistent_redis_volume(r)
}

# redis-cache-policy

findings contains finding("redis-cache-policy", r, sprintf("maxmemory-policy is %s: a full cache then refuses writes and the requests that fill it fail; set maxmemory-policy allkeys-lru (or allkeys-lfu) and a maxmemory", [eviction_policy(r)])) if {
	whole_set
	some r in redis_instances
	"cache" in r.roles
	not startswith(eviction_policy(r), "allkeys-")
}

# redis-cache-separate

findings contains finding("redis-cache-separate", r, sprintf("is labelled for cache and %s: a cache must evict keys and a %s Redis must not, so one instance cannot be both; run the cache as a Redis of its own", [phrase(sort(r.roles & durable_roles)), phrase(sort(r.roles & durable_roles))])) if {
	whole_set
	some r in redis_instances
	"cache" in r.roles
	count(r.roles & durable_roles) > 0
}
