# Unit tests of andon.manifests: the fixtures every test file shares, the
# helpers of manifests.rego, the catalogue, and condensed versions of the
# stacks of testdata/stacks. They live in the package they test, so that a
# policy directory replacing andon.manifests replaces these tests with it.
#
# Each rule is tested against good_stack, a condensed production stack that
# breaks no rule, and against the same stack with one part changed.
package andon.manifests

stack_settings := {
	"allowedRegistries": ["registry.example.com"],
	"traefikMajor": 3,
	"namespaces": {
		"odoo-prod-lyon": {"environment": "prod-lyon", "stage": "production", "rto": "4h", "rpo": "15m"},
		"odoo-staging-lyon": {"environment": "staging-lyon", "stage": "staging"},
	},
}

ns := "odoo-prod-lyon"

digest := "sha256:860fbcae866422a78d9f0f54b40e08b277c382aca302130bc11d02a6b1d708d8"

odoo_image := concat("", ["registry.example.com/odoo/odoo:17.0-20261120@", digest])

redis_image := concat("", ["registry.example.com/library/redis:7.2.5@", digest])

meta(name) := {"name": name, "namespace": ns}

# A part of a stack is a Kubernetes object, or {"k8s": object, "odooConf":
# files} for a ConfigMap or Secret holding odoo.conf files.
entry(i, part) := {"index": i, "file": "stack.yaml", "line": (i * 10) + 1, "object": part.k8s, "odooConf": part.odooConf} if {
	part.k8s
} else := {"index": i, "file": "stack.yaml", "line": (i * 10) + 1, "object": part}

stack(parts) := {"objects": [entry(i, p) | some i, p in parts], "settings": stack_settings}

# good_parts names the parts of good_stack, in order; with replaces some
# of them by name (null removes one) and appends others.
with_parts(changes, extra) := array.concat(
	[object.get(changes, p[0], p[1]) | some p in good_parts; object.get(changes, p[0], p[1]) != null],
	extra,
)

changed(changes) := stack(with_parts(changes, []))

added(extra) := stack(with_parts({}, extra))

good_stack := changed({})

# found returns the findings of a rule for an input, as [object, message].
found(rule, i) := {[f.object, f.message] | some f in all; f.rule == rule} if {
	all := findings with input as i
}

messages(rule, i) := {f[1] | some f in found(rule, i)}

# index_of returns the index of a named part of good_stack.
index_of(name) := [i | some i, p in good_parts; p[0] == name][0]

good_options := {
	"admin_passwd": "$pbkdf2-sha512$600000$c2FsdA$aGFzaA",
	"db_host": "odoo-db-rw",
	"db_user": "odoo",
	"db_password": "s3cret-from-vault",
	"db_name": "odoo_lyon",
	"dbfilter": "^odoo_lyon$",
	"list_db": "False",
	"proxy_mode": "True",
	"data_dir": "/var/lib/odoo",
	"without_demo": "all",
	"log_level": "info",
	"workers": "4",
	"max_cron_threads": "1",
	"limit_memory_soft": "1610612736",
	"limit_memory_hard": "2147483648",
	"limit_time_cpu": "600",
	"limit_time_real": "1200",
	"server_wide_modules": "base,web,session_redis",
}

conf_secret(options) := {
	"k8s": {
		"apiVersion": "v1",
		"kind": "Secret",
		"metadata": meta("odoo-conf"),
		"stringData": {"odoo.conf": "[options]\n…"},
	},
	"odooConf": {"odoo.conf": {"options": options}},
}

# conf_with changes options of the good odoo.conf; null removes one.
conf_with(changes) := conf_secret({k: v |
	some k, v in object.union(good_options, changes)
	v != null
})

web_odoo_container := {
	"name": "odoo",
	"image": odoo_image,
	"command": ["odoo"],
	"args": ["--config=/etc/odoo/odoo.conf"],
	"ports": [{"name": "http", "containerPort": 8069}, {"name": "websocket", "containerPort": 8072}],
	"env": [
		{"name": "ODOO_SESSION_REDIS", "value": "1"},
		{"name": "ODOO_SESSION_REDIS_HOST", "value": "redis-session"},
		{"name": "ODOO_SESSION_REDIS_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "redis-session", "key": "password"}}},
	],
	"resources": {"requests": {"cpu": "2", "memory": "4Gi"}, "limits": {"memory": "8Gi"}},
	"securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}},
	"volumeMounts": [
		{"name": "conf", "mountPath": "/etc/odoo", "readOnly": true},
		{"name": "filestore", "mountPath": "/var/lib/odoo"},
		{"name": "tmp", "mountPath": "/tmp"},
	],
}

web_labels := {"app.kubernetes.io/name": "odoo", "app.kubernetes.io/component": "web"}

web := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": meta("odoo-web"),
	"spec": {
		"replicas": 2,
		"selector": {"matchLabels": web_labels},
		"template": {
			"metadata": {"labels": web_labels},
			"spec": {
				"securityContext": {"runAsNonRoot": true, "runAsUser": 101, "fsGroup": 101},
				"containers": [web_odoo_container],
				"volumes": [
					{"name": "conf", "secret": {"secretName": "odoo-conf", "items": [{"key": "odoo.conf", "path": "odoo.conf"}]}},
					{"name": "filestore", "persistentVolumeClaim": {"claimName": "odoo-filestore"}},
					{"name": "tmp", "emptyDir": {}},
				],
			},
		},
	},
}

# web_with changes the Odoo container of web, or with path the Deployment.
web_container(changes) := json.patch(web, [{"op": "replace", "path": "/spec/template/spec/containers/0", "value": replaced(web_odoo_container, changes)}])

# replaced replaces fields of an object whole, where object.union would
# merge them.
replaced(obj, changes) := object.union(object.remove(obj, object.keys(changes)), changes)

patch(obj, path, value) := json.patch(obj, [{"op": "add", "path": path, "value": value}])

filestore := {
	"apiVersion": "v1",
	"kind": "PersistentVolumeClaim",
	"metadata": meta("odoo-filestore"),
	"spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "200Gi"}}},
}

service := {
	"apiVersion": "v1",
	"kind": "Service",
	"metadata": meta("odoo"),
	"spec": {
		"selector": web_labels,
		"ports": [
			{"name": "http", "port": 8069, "targetPort": "http"},
			{"name": "websocket", "port": 8072, "targetPort": "websocket"},
		],
	},
}

traefik_object(kind, name, spec) := {"apiVersion": "traefik.io/v1alpha1", "kind": kind, "metadata": meta(name), "spec": spec}

odoo_tls_option := traefik_object("TLSOption", "odoo-tls", {"minVersion": "VersionTLS12"})

redirect := traefik_object("Middleware", "redirect-https", {"redirectScheme": {"scheme": "https", "permanent": true}})

allowlist := traefik_object("Middleware", "it-network-only", {"ipAllowList": {"sourceRange": ["10.20.0.0/16"]}})

host := "Host(`erp-lyon.example.com`)"

database_route := {
	"match": concat("", [host, " && (PathPrefix(`/web/database`) || PathPrefix(`/xmlrpc/db`) || PathPrefix(`/xmlrpc/2/db`))"]),
	"priority": 100,
	"middlewares": [{"name": "it-network-only"}],
	"services": [{"name": "odoo", "port": 8069}],
}

websocket_route := {
	"match": concat("", [host, " && PathPrefix(`/websocket`)"]),
	"priority": 50,
	"services": [{"name": "odoo", "port": 8072}],
}

main_route := {"match": host, "priority": 10, "services": [{"name": "odoo", "port": 8069}]}

https_routes := [database_route, websocket_route, main_route]

https := traefik_object("IngressRoute", "odoo", {
	"entryPoints": ["websecure"],
	"routes": https_routes,
	"tls": {"secretName": "erp-lyon-tls", "options": {"name": "odoo-tls"}},
})

https_with(routes) := patch(https, "/spec/routes", routes)

http_redirect := traefik_object("IngressRoute", "odoo-http", {
	"entryPoints": ["web"],
	"routes": [{"match": host, "middlewares": [{"name": "redirect-https"}], "services": [{"name": "odoo", "port": 8069}]}],
})

cluster := {
	"apiVersion": "postgresql.cnpg.io/v1",
	"kind": "Cluster",
	"metadata": meta("odoo-db"),
	"spec": {
		"instances": 3,
		"storage": {"size": "200Gi"},
		"backup": {
			"retentionPolicy": "30d",
			"barmanObjectStore": {"destinationPath": "s3://backups/prod-lyon", "wal": {"compression": "gzip"}},
		},
	},
}

scheduled_backup := {
	"apiVersion": "postgresql.cnpg.io/v1",
	"kind": "ScheduledBackup",
	"metadata": meta("odoo-db-nightly"),
	"spec": {"schedule": "0 0 2 * * *", "cluster": {"name": "odoo-db"}},
}

redis_conf := {
	"apiVersion": "v1",
	"kind": "ConfigMap",
	"metadata": object.union(meta("redis-session"), {"labels": {"andon.io/redis-role": "session"}}),
	"data": {"redis.conf": "# sessions are data\nmaxmemory 1gb\nmaxmemory-policy noeviction\nappendonly yes\n"},
}

session_redis_container := {
	"name": "redis",
	"image": redis_image,
	"command": ["redis-server", "/etc/redis/redis.conf"],
	"resources": {"requests": {"cpu": "250m", "memory": "1Gi"}, "limits": {"memory": "1536Mi"}},
	"securityContext": {"runAsNonRoot": true, "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true},
	"volumeMounts": [{"name": "conf", "mountPath": "/etc/redis"}, {"name": "data", "mountPath": "/data"}],
}

redis := {
	"apiVersion": "apps/v1",
	"kind": "StatefulSet",
	"metadata": meta("redis-session"),
	"spec": {
		"replicas": 1,
		"template": {
			"metadata": {"labels": {"app.kubernetes.io/name": "redis"}},
			"spec": {
				"containers": [session_redis_container],
				"volumes": [{"name": "conf", "configMap": {"name": "redis-session"}}],
			},
		},
		"volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"]}}],
	},
}

redis_with(changes) := json.patch(redis, [{"op": "replace", "path": "/spec/template/spec/containers/0", "value": replaced(session_redis_container, changes)}])

good_parts := [
	["namespace", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}],
	["quota", {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": meta("quota"), "spec": {"hard": {"requests.cpu": "24"}}}],
	["network", {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta("default-deny"), "spec": {"podSelector": {}}}],
	["conf", conf_with({})],
	["filestore", filestore],
	["web", web],
	["service", service],
	["tls", odoo_tls_option],
	["redirect", redirect],
	["allowlist", allowlist],
	["http", http_redirect],
	["https", https],
	["cluster", cluster],
	["backup", scheduled_backup],
	["redis-conf", redis_conf],
	["redis", redis],
]

# The stacks.

test_good_stack_has_no_finding if {
	count(findings) == 0 with input as good_stack
}

test_good_production_condensed if {
	# testdata/stacks/good-production: the web pods and the queue_job
	# runner, one of each, on the same filestore, each with its own file.
	queue := json.patch(web, [
		{"op": "replace", "path": "/metadata/name", "value": "odoo-queue"},
		{"op": "replace", "path": "/spec/replicas", "value": 1},
		{"op": "add", "path": "/spec/strategy", "value": {"type": "Recreate"}},
		{"op": "replace", "path": "/spec/template/metadata/labels/app.kubernetes.io~1component", "value": "queue"},
		{"op": "replace", "path": "/spec/template/spec/volumes/0/secret/items/0/key", "value": "queue.conf"},
	])
	conf := {
		"k8s": conf_secret({}).k8s,
		"odooConf": {
			"odoo.conf": {"options": good_options},
			"queue.conf": {
				"options": object.union(good_options, {"proxy_mode": "False", "server_wide_modules": "base,web,session_redis,queue_job"}),
				"queue_job": {"channels": "root:2"},
			},
		},
	}
	hpa := {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta("odoo-web"), "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "odoo-web"}, "maxReplicas": 4}}
	count(findings) == 0 with input as stack(with_parts({"conf": conf}, [queue, hpa]))
}

# bad_staging is testdata/stacks/bad-staging, condensed.
bad_staging := {
	"objects": [entry(i, p) | some i, p in [
		{
			"k8s": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "odoo-conf", "namespace": "odoo-staging-lyon"}, "data": {"odoo.conf": "[options]\n…"}},
			"odooConf": {"odoo.conf": {
				"options": {"admin_passwd": "admin", "db_password": "odoo", "list_db": "True", "proxy_mode": "True", "workers": "2", "limit_memory_soft": "2147483648", "limit_memory_hard": "4294967296", "dev_mode": "reload,qweb", "log_level": "debug_sql", "server_wide_modules": "base,web,queue_job"},
				"queue_job": {"channels": "root:4"},
			}},
		},
		{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "odoo-env", "namespace": "odoo-staging-lyon"}, "data": {"SMTP_PASSWORD": "Staging2024!"}},
		{"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "odoo-data", "namespace": "odoo-staging-lyon"}, "spec": {"accessModes": ["ReadWriteOnce"]}},
		{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "odoo", "namespace": "odoo-staging-lyon"}, "spec": {"replicas": 2, "template": {
			"metadata": {"labels": {"app": "odoo"}},
			"spec": {
				"containers": [{
					"name": "odoo", "image": "odoo:17.0",
					"env": [{"name": "PASSWORD", "value": "odoo"}],
					"resources": {"limits": {"memory": "2Gi"}},
					"volumeMounts": [{"name": "conf", "mountPath": "/etc/odoo"}, {"name": "data", "mountPath": "/var/lib/odoo"}],
				}],
				"volumes": [{"name": "conf", "configMap": {"name": "odoo-conf"}}, {"name": "data", "persistentVolumeClaim": {"claimName": "odoo-data"}}],
			},
		}}},
		{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "odoo", "namespace": "odoo-staging-lyon"}, "spec": {"type": "NodePort", "selector": {"app": "odoo"}, "ports": [{"port": 8069}]}},
		{"apiVersion": "traefik.containo.us/v1alpha1", "kind": "Middleware", "metadata": {"name": "office-only", "namespace": "odoo-staging-lyon"}, "spec": {"ipWhiteList": {"sourceRange": ["192.168.10.0/24"]}}},
		{"apiVersion": "traefik.io/v1alpha1", "kind": "TLSOption", "metadata": {"name": "legacy-clients", "namespace": "odoo-staging-lyon"}, "spec": {"minVersion": "VersionTLS10"}},
		{"apiVersion": "traefik.containo.us/v1alpha1", "kind": "IngressRoute", "metadata": {"name": "odoo", "namespace": "odoo-staging-lyon"}, "spec": {
			"entryPoints": ["websecure"],
			"routes": [
				{"match": "Host(`erp-staging.example.com`) && PathPrefix(`/web/database`)", "middlewares": [{"name": "office-only"}], "services": [{"name": "odoo", "port": 8069}]},
				{"match": "Host(`erp-staging.example.com`)", "services": [{"name": "odoo", "port": 8069}]},
			],
			"tls": {"secretName": "erp-staging-tls", "options": {"name": "legacy-clients"}},
		}},
		{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "odoo-api", "namespace": "odoo-staging-lyon"}, "spec": {"ingressClassName": "traefik", "rules": [{"host": "erp-staging-api.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "odoo", "port": {"number": 8069}}}}]}}]}},
		{"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": {"name": "odoo-db", "namespace": "odoo-staging-lyon"}, "spec": {"instances": 1}},
		{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "redis", "namespace": "odoo-staging-lyon", "labels": {"andon.io/redis-role": "session-cache"}}, "spec": {"template": {"spec": {"containers": [{
			"name": "redis", "image": "redis:7",
			"args": ["--maxmemory", "256mb", "--maxmemory-policy", "allkeys-lru"],
			"resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
			"securityContext": {"runAsNonRoot": true, "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true},
		}]}}}},
	]],
	"settings": stack_settings,
}

test_bad_staging_condensed if {
	got := {[f.rule, f.object] | some f in findings} with input as bad_staging
	got == {
		["odoo-admin-passwd", 0], ["odoo-conf-password-in-configmap", 0], ["odoo-dbfilter", 0],
		["odoo-demo-data", 0], ["odoo-dev-mode", 0], ["odoo-list-db", 0], ["odoo-log-level", 0],
		["odoo-memory-limits", 0], ["odoo-time-limits", 0],
		["configmap-secret", 1],
		["allow-privilege-escalation", 3], ["container-resources", 3], ["env-secret-literal", 3],
		["image-digest", 3], ["image-registry", 3], ["odoo-filestore-recreate", 3],
		["odoo-filestore-shared", 3], ["odoo-queue-job-runner", 3], ["odoo-sessions-shared", 3],
		["read-only-root-filesystem", 3], ["run-as-non-root", 3],
		["namespace-network-policy", 3], ["namespace-resource-quota", 3],
		["service-exposes-odoo", 4],
		["traefik-crd-group", 5], ["traefik-ipwhitelist", 5],
		["traefik-tls-min-version", 6],
		["ingress-database-manager", 7], ["ingress-https-redirect", 7], ["odoo-websocket-route", 7], ["traefik-crd-group", 7],
		["ingress-database-manager", 8], ["ingress-tls", 8], ["odoo-websocket-route", 8],
		["image-digest", 10], ["image-registry", 10], ["redis-cache-separate", 10], ["redis-noeviction", 10], ["redis-persistence", 10],
	}

	# Both limits are missing, each a finding; both routes of the
	# IngressRoute expose the database manager.
	count([f | some f in findings; f.rule == "odoo-time-limits"]) == 2 with input as bad_staging
	count([f | some f in findings; f.rule == "ingress-database-manager"]) == 3 with input as bad_staging
}

# The catalogue.

test_rules_have_severity_scope_title_and_anchor if {
	count(rules) >= 40
	every id, rule in rules {
		regex.match(`^[a-z0-9]+(-[a-z0-9]+)*$`, id)
		rule.severity in {"deny", "warn"}
		rule.scope in {"object", "set"}
		rule.title != ""
		documented_at(id, rule.anchor)
		object.keys(rule) == {"severity", "scope", "title", "anchor"}
	}
}

# A rule is documented under its own heading of docs/manifests.md, or, for
# a rule added to a copy of these files, at the http(s) URL of its
# authors' documentation.
documented_at(id, anchor) if anchor == id

documented_at(_, anchor) if regex.match(`^https?://`, anchor)

test_a_rule_of_your_own_is_documented_at_a_url if {
	documented_at("odoo-team-label", "https://wiki.example.com/odoo/rules#team-label")
	not documented_at("odoo-team-label", "team-label")
}

test_every_finding_names_a_rule_and_an_object if {
	all := findings with input as bad_staging
	count(all) > 0
	every f in all {
		rules[f.rule]
		is_number(f.object)
		object.keys(f) == {"rule", "object", "message"}
	}
}

test_set_rules_skip_themselves_with_scope_object if {
	# The set rules that bad_staging draws (13 of the 22) draw nothing
	# when the input is one object: they start with whole_set, as every
	# set rule must (the Go test TestSetRulesStartWithWholeSet reads them
	# all), so that an admission review does not evaluate them only to
	# have their findings dropped.
	set_ids := {id | some id, rule in catalogue; rule.scope == "set"}
	whole := {f.rule | some f in findings} with input as bad_staging
	count(whole & set_ids) > 3
	alone := {f.rule | some f in findings} with input as object.union(bad_staging, {"scope": "object"})
	count(alone) > 0
	alone & set_ids == set()
}

test_empty_input if {
	count(findings) == 0 with input as {}
	count(findings) == 0 with input as {"objects": "not a list", "settings": []}
	count(findings) == 0 with input as {"objects": [{"index": 0, "object": "not an object"}, 7]}
}

# Settings.

test_settings_defaults if {
	settings == {} with input as {}
	allowed_registries == [] with input as {}
	traefik_major == 3 with input as {}
	traefik_major == 2 with input as {"settings": {"traefikMajor": 2}}
	governed_namespaces == {} with input as {"settings": {"namespaces": []}}
	production(ns) with input as good_stack
	not production("odoo-staging-lyon") with input as good_stack
}

# Objects.

test_object_names if {
	ref(web) == "Deployment odoo-prod-lyon/odoo-web"
	ref({"kind": "Namespace", "metadata": {"name": "x"}}) == "Namespace x"
	ref({}) == " "
	kind_of({"kind": 7}) == ""
	api_group(http_redirect) == "traefik.io"
	api_group({}) == ""
	labels_of({"labels": "x"}) == {}
	annotations_of({"metadata": {"annotations": {"a": "b"}}}) == {"a": "b"}
	annotations_of(web) == {}
}

test_named if {
	named[["Deployment", ns, "odoo-web"]].index == index_of("web") with input as good_stack
	twice := stack([web, patch(web, "/spec/replicas", 3)])
	named[["Deployment", ns, "odoo-web"]].index == 0 with input as twice
	["NetworkPolicy", ns] in kinds with input as good_stack
	not ["NetworkPolicy", "odoo-staging-lyon"] in kinds with input as good_stack
}

test_pod_templates if {
	cron := {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": []}}}}}}
	pod_template(cron) == {"spec": {"containers": []}}
	pod := {"kind": "Pod", "spec": {"containers": []}}
	pod_template(pod) == pod
	pod_template(web) == web.spec.template
	not pod_template(service)
}

test_replicas if {
	w := workloads[index_of("web")] with input as good_stack
	replicas(w) == 2 with input as good_stack
	hpa := {"kind": "HorizontalPodAutoscaler", "metadata": meta("hpa"), "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "odoo-web"}, "maxReplicas": 6}}
	replicas(w) == 6 with input as added([hpa])
	replicas({"kind": "DaemonSet", "ns": ns, "name": "x", "object": {}}) == 2 with input as good_stack
	replicas({"kind": "Job", "ns": ns, "name": "x", "object": {}}) == 1 with input as good_stack
	replicas({"kind": "Deployment", "ns": ns, "name": "x", "object": {"spec": {}}}) == 1 with input as good_stack
}

test_containers if {
	i := stack([patch(web, "/spec/template/spec/initContainers", [{"name": "wait"}])])
	places := {[e.init, e.ephemeral, e.where] | some e in containers} with input as i
	places == {[true, false, "Deployment odoo-prod-lyon/odoo-web: init container wait"], [false, false, "Deployment odoo-prod-lyon/odoo-web: container odoo"]}
	pod := stack([{"kind": "Pod", "metadata": meta("odoo-web-1"), "spec": {"containers": [{"name": "odoo"}], "ephemeralContainers": [{"name": "debugger"}, "junk"]}}])
	debugged := {[e.init, e.ephemeral, e.where] | some e in containers} with input as pod
	debugged == {[false, false, "Pod odoo-prod-lyon/odoo-web-1: container odoo"], [false, true, "Pod odoo-prod-lyon/odoo-web-1: ephemeral container debugger"]}
}

test_mount_for if {
	c := {"volumeMounts": [{"name": "a", "mountPath": "/var/lib"}, {"name": "b", "mountPath": "/var/lib/odoo/"}, "junk", {"name": "c"}]}
	mount_for(c, "/var/lib/odoo/filestore").name == "b"
	mount_for(c, "/var/lib/odoo").name == "b"
	mount_for(c, "/var/lib/other").name == "a"
	not mount_for(c, "/tmp")
	mount_for({"volumeMounts": [{"name": "root", "mountPath": "/"}]}, "/tmp").name == "root"
}

test_volumes if {
	w := workloads[index_of("redis")] with input as good_stack
	claim := volume_of(w, {"name": "data"}) with input as good_stack
	claim.template.metadata.name == "data"
	access_modes(w, claim) == {"ReadWriteOnce"} with input as good_stack
	persistent_volume(w, claim) with input as good_stack
	not volume_of(w, {"name": "nothing"}) with input as good_stack
	odoo := workloads[index_of("web")] with input as good_stack
	store := volume_of(odoo, {"name": "filestore"}) with input as good_stack
	access_modes(odoo, store) == {"ReadWriteMany"} with input as good_stack
	shared_volume(odoo, store) with input as good_stack
	not access_modes(odoo, store) with input as changed({"filestore": null})
	shared_volume(odoo, {"nfs": {"server": "nas"}})
	shared_volume(odoo, {"cephfs": {"monitors": []}})
	not persistent_volume(odoo, {"emptyDir": {}})
	persistent_volume(odoo, {"nfs": {"server": "nas"}})
}

test_volume_sources if {
	volume_sources({"configMap": {"name": "a"}}) == {["ConfigMap", "a"]}
	volume_sources({"secret": {"secretName": "b"}}) == {["Secret", "b"]}
	volume_sources({"projected": {"sources": [{"configMap": {"name": "c"}}, {"secret": {"name": "d"}}, {"downwardAPI": {}}]}}) == {["ConfigMap", "c"], ["Secret", "d"]}
	volume_sources({"emptyDir": {}}) == set()
}

test_mounted_objects if {
	w := workloads[index_of("web")] with input as good_stack
	got := [m.doc.index | some m in mounted_objects(w, web_odoo_container)] with input as good_stack
	got == [index_of("conf")]
}

# Images.

test_images if {
	image := "registry.example.com:5000/acme/odoo:17.0-20261120@sha256:abc"
	image_name(image) == "registry.example.com:5000/acme/odoo:17.0-20261120"
	image_basename(image) == "odoo"
	image_tag(image) == "17.0-20261120"
	image_registry(image) == "registry.example.com:5000"
	image_registry("odoo:17.0") == "docker.io"
	image_registry("bitnami/redis:7") == "docker.io"
	image_registry("localhost/odoo") == "localhost"
	image_registry("registry:5000/odoo") == "registry:5000"
	not image_tag("odoo")
	image_of({"image": 3}) == ""
}

# Quantities and durations.

test_quantity if {
	quantity("2Gi") == 2147483648
	quantity("512Mi") == 536870912
	quantity("2G") == 2000000000
	quantity("1.5Gi") == 1610612736
	quantity(1073741824) == 1073741824
	not quantity("2 GB")
	not quantity(true)
}

test_integer if {
	integer("2147483648") == 2147483648
	integer(4) == 4
	not integer("2G")
	not integer(null)
}

test_duration if {
	duration("15m") == 900000000000
	duration("1h30m") == 5400000000000
	not duration("a day")
	not duration(15)
}

# Helpers.

test_helpers if {
	str(3) == ""
	array_at({"a": [1]}, "a") == [1]
	array_at({"a": "b"}, "a") == []
	array_at("text", "a") == []
	last([1, 2, 3]) == 3
	tokens(["odoo", "--workers=4", "", 7, "sh -c  'exec odoo'", "--load=base, web"]) == ["odoo", "--workers=4", "", "sh", "-c", "'exec", "odoo'", "--load=base, web"]
	phrase([]) == ""
	phrase(["a"]) == "a"
	phrase(["a", "b"]) == "a and b"
	phrase(["a", "b", "c"]) == "a, b and c"
}

test_finding if {
	finding("x", {"index": 3, "where": "Deployment a/b"}, "is wrong") == {"rule": "x", "object": 3, "message": "Deployment a/b: is wrong"}
}

# A rule's anchor is its id, unless its catalogue entry gives its own,
# such as the URL of a team's documentation.
test_catalogue_entry_keeps_its_anchor if {
	r := rules with catalogue as {
		"a": {"severity": "warn", "title": "t"},
		"b": {"severity": "warn", "title": "t", "anchor": "https://wiki.example.com/odoo#b"},
	}
	r.a.anchor == "a"
	r.b.anchor == "https://wiki.example.com/odoo#b"
}
