# Unit tests of the PostgreSQL and Redis rules of andon.manifests
# (manifests_data.rego). The fixtures are in manifests_test.rego.
package andon.manifests

cluster_index := index_of("cluster")

cluster_where := "Cluster odoo-prod-lyon/odoo-db"

redis_index := index_of("redis")

# with_namespace_settings replaces the settings of the production
# namespace.
with_namespace_settings(i, s) := object.union(i, {"settings": {"namespaces": {ns: s}}})

barman_plugin := {"name": "barman-cloud.cloudnative-pg.io", "isWALArchiver": true, "parameters": {"barmanObjectName": "store"}}

plugin_cluster(plugins) := json.patch(cluster, [
	{"op": "remove", "path": "/spec/backup"},
	{"op": "add", "path": "/spec/plugins", "value": plugins},
])

object_store(retention) := {"apiVersion": "barmancloud.cnpg.io/v1", "kind": "ObjectStore", "metadata": meta("store"), "spec": {"retentionPolicy": retention}}

redis_config(text) := patch(redis_conf, "/data/redis.conf", text)

relabelled(obj, path, role) := json.patch(obj, [{"op": "add", "path": path, "value": {"andon.io/redis-role": role}}])

# cnpg-backup

test_cnpg_backup if {
	found("cnpg-backup", good_stack) == set()
	found("cnpg-backup", changed({"cluster": json.patch(cluster, [{"op": "remove", "path": "/spec/backup"}])})) == {[cluster_index, concat("", [cluster_where, ": this production database has no backup (no spec.backup.barmanObjectStore, Barman Cloud plugin or volumeSnapshot): losing its volumes loses the ERP's data; back it up to an object store outside the cluster with spec.backup.barmanObjectStore or the barman-cloud.cloudnative-pg.io plugin, and add a ScheduledBackup for odoo-db"])]}
	found("cnpg-backup", changed({"cluster": plugin_cluster([barman_plugin]), "backup": object_store("30d")})) == set()
}

test_cnpg_rules_only_in_production if {
	staging := json.patch(cluster, [{"op": "replace", "path": "/metadata/namespace", "value": "odoo-staging-lyon"}, {"op": "remove", "path": "/spec/backup"}])
	found("cnpg-backup", changed({"cluster": staging})) == set()
	found("cnpg-scheduled-backup", changed({"cluster": staging})) == set()
}

# cnpg-scheduled-backup

test_cnpg_scheduled_backup if {
	found("cnpg-scheduled-backup", good_stack) == set()
	found("cnpg-scheduled-backup", changed({"backup": null})) == {[cluster_index, concat("", [cluster_where, ": no ScheduledBackup of the set backs up this production database, so no base backup is taken, and archived WAL cannot be replayed without one; add a ScheduledBackup with spec.cluster.name: odoo-db (daily, schedule: \"0 0 2 * * *\")"])]}
	count(found("cnpg-scheduled-backup", changed({"backup": patch(scheduled_backup, "/spec/suspend", true)}))) == 1
	count(found("cnpg-scheduled-backup", changed({"backup": patch(scheduled_backup, "/spec/cluster", {"name": "other"})}))) == 1
}

# cnpg-wal-archiving

test_cnpg_wal_archiving if {
	found("cnpg-wal-archiving", good_stack) == set()
	snapshots := patch(cluster, "/spec/backup", {"volumeSnapshot": {"className": "csi-snapshots"}})
	found("cnpg-wal-archiving", changed({"cluster": snapshots})) == {[cluster_index, concat("", [cluster_where, ": this production database is backed up but archives no WAL: a restore goes back to the last backup and loses every order, move and invoice since; configure spec.backup.barmanObjectStore, or set isWALArchiver: true on the Barman Cloud plugin"])]}
	not_archiver := plugin_cluster([object.remove(barman_plugin, ["isWALArchiver"]), "junk"])
	count(found("cnpg-wal-archiving", changed({"cluster": not_archiver, "backup": object_store("30d")}))) == 1
	found("cnpg-wal-archiving", changed({"cluster": json.patch(cluster, [{"op": "remove", "path": "/spec/backup"}])})) == set()
}

# cnpg-retention

test_cnpg_retention if {
	found("cnpg-retention", good_stack) == set()
	found("cnpg-retention", changed({"cluster": patch(cluster, "/spec/backup/retentionPolicy", "3d")})) == {[cluster_index, concat("", [cluster_where, ": retentionPolicy 3d keeps the backups of production Cluster odoo-db for less than 7 days: a corruption found later cannot be undone; keep them at least that long (retentionPolicy: \"30d\")"])]}
	found("cnpg-retention", changed({"cluster": patch(cluster, "/spec/backup/retentionPolicy", "1w")})) == set()
	found("cnpg-retention", changed({"cluster": patch(cluster, "/spec/backup/retentionPolicy", "1m")})) == set()
	found("cnpg-retention", changed({"cluster": json.patch(cluster, [{"op": "remove", "path": "/spec/backup/retentionPolicy"}])})) == set()
}

test_cnpg_retention_unreadable if {
	found("cnpg-retention", changed({"cluster": patch(cluster, "/spec/backup/retentionPolicy", "30 days")})) == {[cluster_index, concat("", [cluster_where, ": retentionPolicy 30 days of production Cluster odoo-db is not a number of days, weeks or months, such as 30d, 4w or 3m, so how long backups are kept cannot be checked; write retentionPolicy: \"30d\""])]}
}

test_cnpg_retention_covers_a_long_rto if {
	i := with_namespace_settings(good_stack, {"environment": "prod-lyon", "stage": "production", "rto": "1000h"})
	found("cnpg-retention", i) == {[cluster_index, concat("", [cluster_where, ": retentionPolicy 30d keeps the backups of production Cluster odoo-db for less than the RTO 1000h of environment prod-lyon: a corruption found later cannot be undone; keep them at least that long (retentionPolicy: \"42d\")"])]}
	found("cnpg-retention", with_namespace_settings(good_stack, {"stage": "production", "rto": "a while"})) == set()
}

test_cnpg_retention_of_object_store if {
	# With the Barman Cloud plugin, the ObjectStore keeps the policy.
	i := changed({"cluster": plugin_cluster([barman_plugin]), "backup": object_store("3d")})
	found("cnpg-retention", stack(array.concat(with_parts({"cluster": plugin_cluster([barman_plugin])}, []), [object_store("3d")]))) == {[16, "ObjectStore odoo-prod-lyon/store: retentionPolicy 3d keeps the backups of production Cluster odoo-db for less than 7 days: a corruption found later cannot be undone; keep them at least that long (retentionPolicy: \"30d\")"]}
	count(found("cnpg-retention", i)) == 1
}

test_retention_ns if {
	retention_ns("30d") == 30 * day
	retention_ns("4w") == 28 * day
	retention_ns("3m") == 90 * day
	not retention_ns("0d")
	not retention_ns(30)
}

# cnpg-archive-timeout

test_cnpg_archive_timeout if {
	found("cnpg-archive-timeout", good_stack) == set()
	slow := patch(cluster, "/spec/postgresql", {"parameters": {"archive_timeout": "30min"}})
	found("cnpg-archive-timeout", changed({"cluster": slow})) == {[cluster_index, concat("", [cluster_where, ": archive_timeout is 30min, longer than the RPO 15m of environment prod-lyon: on a quiet database the last transactions wait that long to be archived, and are lost with the cluster; set spec.postgresql.parameters.archive_timeout to 15min or less"])]}
}

test_cnpg_archive_timeout_default if {
	# CloudNativePG archives at least every 5 minutes by default.
	i := with_namespace_settings(good_stack, {"environment": "prod-lyon", "stage": "production", "rpo": "90s"})
	messages("cnpg-archive-timeout", i) == {concat("", [cluster_where, ": archive_timeout is 5min, longer than the RPO 90s of environment prod-lyon: on a quiet database the last transactions wait that long to be archived, and are lost with the cluster; set spec.postgresql.parameters.archive_timeout to 90s or less"])}
	found("cnpg-archive-timeout", with_namespace_settings(good_stack, {"stage": "production"})) == set()
}

test_postgres_durations if {
	postgres_duration("300") == 300000000000
	postgres_duration("5min") == 300000000000
	postgres_duration(" 1h ") == 3600000000000
	postgres_duration("250ms") == 250000000
	not postgres_duration("5 minutes")
	postgres_text(900000000000) == "15min"
	postgres_text(90000000000) == "90s"
}

# Redis instances and their configuration.

test_redis_instances if {
	got := {[r.where, r.roles] | some r in redis_instances} with input as good_stack
	got == {[redis_where, {"session"}]}
	unlabelled := changed({"redis-conf": json.patch(redis_conf, [{"op": "remove", "path": "/metadata/labels"}])})
	count(redis_instances) == 0 with input as unlabelled
}

test_redis_roles if {
	both := relabelled(redis, "/metadata/labels", "session-cache")
	got := {r.roles | some r in redis_instances} with input as changed({"redis": both})
	got == {{"session", "cache"}}
	template := relabelled(redis, "/spec/template/metadata/labels", "queue")
	roles := {r.roles | some r in redis_instances} with input as changed({"redis": template})
	roles == {{"session", "queue"}}
}

test_redis_container if {
	sidecar := json.patch(redis, [{"op": "add", "path": "/spec/template/spec/containers/0", "value": {"name": "exporter", "image": "registry.example.com/oliver006/redis_exporter:v1"}}])
	redis_container(workloads[redis_index]).name == "redis" with input as changed({"redis": sidecar})
	unknown := redis_with({"image": "registry.example.com/acme/kv:1"})
	redis_container(workloads[redis_index]).name == "redis" with input as changed({"redis": unknown})
}

test_redis_directives if {
	r := {"w": workloads[redis_index], "c": session_redis_container} with input as good_stack
	redis_directives(r.w, r.c) == [["maxmemory", "1gb"], ["maxmemory-policy", "noeviction"], ["appendonly", "yes"]] with input as good_stack
	c := object.union(session_redis_container, {"args": ["--appendonly", "no", "--save", "\"\"", "--protected-mode"]})
	redis_directives(r.w, c) == [["maxmemory", "1gb"], ["maxmemory-policy", "noeviction"], ["appendonly", "yes"], ["appendonly", "no"], ["save", ""]] with input as good_stack
	directive({"w": r.w, "c": c}, "appendonly") == "no" with input as good_stack
}

# redis-noeviction

test_redis_noeviction if {
	found("redis-noeviction", good_stack) == set()
	found("redis-noeviction", changed({"redis-conf": redis_config("maxmemory-policy volatile-lru\nappendonly yes\n")})) == {[redis_index, concat("", [redis_where, ": maxmemory-policy is volatile-lru: when memory runs out Redis drops keys, and with them every session, logging every user out; set maxmemory-policy noeviction, so that a full Redis refuses writes instead"])]}
}

test_redis_noeviction_command_line_wins if {
	messages("redis-noeviction", changed({"redis": redis_with({"args": ["--maxmemory-policy", "allkeys-lru"]})})) == {concat("", [redis_where, ": maxmemory-policy is allkeys-lru: when memory runs out Redis drops keys, and with them every session, logging every user out; set maxmemory-policy noeviction, so that a full Redis refuses writes instead"])}
	found("redis-noeviction", changed({"redis-conf": redis_config("appendonly yes\n")})) == set()
}

test_redis_noeviction_queue_and_session if {
	both := relabelled(redis, "/spec/template/metadata/labels", "queue")
	messages("redis-noeviction", changed({"redis": both, "redis-conf": redis_config("maxmemory-policy allkeys-lfu\nappendonly yes\n")})) == {concat("", [redis_where, ": maxmemory-policy is allkeys-lfu: when memory runs out Redis drops keys, and with them every queued job and every session, logging every user out; set maxmemory-policy noeviction, so that a full Redis refuses writes instead"])}
}

# redis-persistence

test_redis_persistence if {
	found("redis-persistence", good_stack) == set()
	found("redis-persistence", changed({"redis-conf": redis_config("maxmemory-policy noeviction\nappendonly no\nsave \"\"\n")})) == {[redis_index, concat("", [redis_where, ": neither appendonly yes nor a save rule is set, so a restart loses every session, logging every user out; set appendonly yes in its redis.conf or with --appendonly yes, on a PersistentVolumeClaim at its data directory"])]}
	found("redis-persistence", changed({"redis-conf": redis_config("# snapshots\nsave 900 1\n")})) == set()
}

test_redis_persistence_needs_a_volume if {
	found("redis-persistence", changed({"redis": json.patch(redis, [{"op": "remove", "path": "/spec/volumeClaimTemplates"}])})) == {[redis_index, concat("", [redis_where, ": Redis writes its data to the container's own filesystem, as no PersistentVolumeClaim is mounted, so a new pod loses every session, logging every user out; mount a PersistentVolumeClaim (a volumeClaimTemplate of a StatefulSet) at its data directory, /data"])]}
}

# redis-cache-policy

cache_conf := json.patch(redis_conf, [{"op": "replace", "path": "/metadata/labels/andon.io~1redis-role", "value": "cache"}])

test_redis_cache_policy if {
	found("redis-cache-policy", good_stack) == set()
	found("redis-cache-policy", changed({"redis-conf": cache_conf})) == {[redis_index, concat("", [redis_where, ": maxmemory-policy is noeviction: a full cache then refuses writes and the requests that fill it fail; set maxmemory-policy allkeys-lru (or allkeys-lfu) and a maxmemory"])]}
	found("redis-cache-policy", changed({"redis-conf": patch(cache_conf, "/data/redis.conf", "maxmemory 1gb\nmaxmemory-policy allkeys-lru\n")})) == set()
}

# redis-cache-separate

test_redis_cache_separate if {
	found("redis-cache-separate", good_stack) == set()
	found("redis-cache-separate", changed({"redis": relabelled(redis, "/metadata/labels", "cache")})) == {[redis_index, concat("", [redis_where, ": is labelled for cache and session: a cache must evict keys and a session Redis must not, so one instance cannot be both; run the cache as a Redis of its own"])]}
	found("redis-cache-separate", changed({"redis-conf": cache_conf})) == set()
}
