# The workload rules of andon.manifests: images, security contexts and
# resources of every container, and what running Odoo on several pods
# needs: a shared filestore, shared sessions and one queue_job runner.
package andon.manifests

catalogue["image-digest"] := {"severity": "deny", "scope": "object", "title": "Images must be pinned by digest (@sha256:…)"}

catalogue["image-registry"] := {"severity": "deny", "scope": "object", "title": "Images must come from an allowed registry"}

catalogue["run-as-non-root"] := {"severity": "deny", "scope": "object", "title": "Containers must run as non-root (runAsNonRoot: true)"}

catalogue["allow-privilege-escalation"] := {"severity": "deny", "scope": "object", "title": "Containers must set allowPrivilegeEscalation: false"}

catalogue["read-only-root-filesystem"] := {"severity": "warn", "scope": "object", "title": "Containers should set readOnlyRootFilesystem: true"}

catalogue["odoo-writable-paths"] := {"severity": "deny", "scope": "set", "title": "Odoo on a read-only root filesystem needs volumes at /tmp and its data_dir"}

catalogue["container-resources"] := {"severity": "deny", "scope": "object", "title": "Containers must request CPU and memory and limit memory"}

catalogue["odoo-filestore-volume"] := {"severity": "warn", "scope": "set", "title": "Odoo's filestore should be on a persistent volume"}

catalogue["odoo-filestore-shared"] := {"severity": "deny", "scope": "object", "title": "Odoo on several pods needs one ReadWriteMany filestore"}

catalogue["odoo-filestore-recreate"] := {"severity": "deny", "scope": "object", "title": "A Deployment with a ReadWriteOnce filestore must use strategy Recreate"}

catalogue["odoo-sessions-shared"] := {"severity": "warn", "scope": "set", "title": "Odoo on several pods needs shared sessions (Redis or a shared data_dir)"}

catalogue["odoo-queue-job-runner"] := {"severity": "deny", "scope": "object", "title": "At most one queue_job runner per namespace"}

# image-digest

findings contains finding("image-digest", e, sprintf("image %s is not pinned by digest, so what runs can change under the same name; pin it as %s@sha256:…", [image, image_name(image)])) if {
	some e in containers
	image := image_of(e.container)
	image != ""
	not regex.match(digest_pattern, image)
}

# image-registry

findings contains finding("image-registry", e, sprintf("image %s comes from %s, which is not an allowed registry (%s); mirror the image into an allowed registry and use it from there", [image, image_registry(image), phrase(sort(allowed_registries))])) if {
	count(allowed_registries) > 0
	some e in containers
	image := image_of(e.container)
	image != ""
	not allowed_image(image)
}

# An allowed registry is a host (registry.example.com) or a path in one
# (registry.example.com/odoo).
allowed_image(image) if image_registry(image) in allowed_registries

allowed_image(image) if {
	some r in allowed_registries
	startswith(image, concat("", [trim_right(r, "/"), "/"]))
}

# Security contexts. A container's setting overrides its pod's.

security(c) := s if {
	s := c.securityContext
	is_object(s)
} else := {}

run_as_non_root(w, c) := v if {
	v := security(c).runAsNonRoot
	is_boolean(v)
} else := object.get(w.pod, ["securityContext", "runAsNonRoot"], false)

findings contains finding("run-as-non-root", e, "runAsNonRoot is not true, in the container or its pod: a process that escapes the application runs as root in the container; set securityContext.runAsNonRoot: true (the Odoo image runs as user odoo, 101)") if {
	some e in containers
	run_as_non_root(workloads[e.index], e.container) != true
}

findings contains finding("allow-privilege-escalation", e, "allowPrivilegeEscalation is not false: a process may gain more privileges than the container started with (setuid binaries); set securityContext.allowPrivilegeEscalation: false") if {
	some e in containers
	object.get(security(e.container), "allowPrivilegeEscalation", null) != false
}

# read-only-root-filesystem is a warning, not a denial: the Pod Security
# Standards do not require it, and Odoo needs writable /tmp and data_dir
# volumes before it can run so (see odoo-writable-paths).

findings contains finding("read-only-root-filesystem", e, read_only_advice(e)) if {
	some e in containers
	object.get(security(e.container), "readOnlyRootFilesystem", null) != true
}

read_only_advice(e) := "the root filesystem is writable, so a compromised Odoo can change its own code and add-ons; set securityContext.readOnlyRootFilesystem: true, with an emptyDir at /tmp and the filestore volume at the data_dir" if {
	odoo_container(e.container)
} else := "the root filesystem is writable, so a compromised process can change its own binaries; set securityContext.readOnlyRootFilesystem: true, with volumes where it must write"

# odoo-writable-paths

data_dir(s) := value(s, "data_dir", "/var/lib/odoo")

findings contains finding("odoo-writable-paths", s, sprintf("readOnlyRootFilesystem is true but nothing is mounted at %s: Odoo %s there and fails; mount %s at %s", [path, need[0], need[1], path])) if {
	whole_set
	some s in container_subjects
	security(s.container).readOnlyRootFilesystem == true
	some path, need in writable_paths(s)
	not mount_for(s.container, path)
}

writable_paths(s) := {
	"/tmp": ["writes uploads, report PDFs and exports", "an emptyDir"],
	data_dir(s): ["keeps its filestore and sessions", "the filestore volume"],
}

# container-resources. A request missing from the container may come from
# its limit (Kubernetes copies a limit to a missing request) or from a
# LimitRange of the namespace. An ephemeral container is left out: the API
# server refuses resources on one, which shares what its Pod was given.

resource_needs := [["requests", "cpu"], ["requests", "memory"], ["limits", "memory"]]

findings contains finding("container-resources", e, sprintf("sets no %s: without requests the scheduler places pods blindly and a ResourceQuota refuses them, and without a memory limit one runaway process takes the node's memory; set resources.requests.cpu, resources.requests.memory and resources.limits.memory", [alternatives(missing)])) if {
	some e in containers
	not e.ephemeral
	ns := workloads[e.index].ns
	missing := [concat(".", need) |
		some need in resource_needs
		not resource_set(e.container, ns, need)
	]
	count(missing) > 0
}

resource_set(c, _, need) if object.get(c, ["resources", need[0], need[1]], null) != null

resource_set(c, _, need) if {
	need[0] == "requests"
	object.get(c, ["resources", "limits", need[1]], null) != null
}

resource_set(_, ns, need) if {
	some d in docs
	kind_of(d.object) == "LimitRange"
	namespace_of(d.object) == ns
	some l in array_at(d.object.spec, "limits")
	l.type == "Container"
	some key in limit_range_keys[need[0]]
	object.get(l, [key, need[1]], null) != null
}

# A LimitRange's defaultRequest defaults to its default.
limit_range_keys := {"requests": ["defaultRequest", "default"], "limits": ["default"]}

# The filestore and the sessions. Odoo keeps attachments in
# <data_dir>/filestore and, unless a module stores them elsewhere, sessions
# in <data_dir>/sessions.

# odoo_pods holds the Odoo servers of the workloads, with their workload.
odoo_pods contains [s, workloads[s.workload]] if {
	some s in container_subjects
	s.server
}

filestore_path(s) := concat("/", [trim_right(data_dir(s), "/"), "filestore"])

sessions_path(s) := concat("/", [trim_right(data_dir(s), "/"), "sessions"])

# path_volume returns the volume under which a path of the container lies.
path_volume(s, w, path) := volume_of(w, mount_for(s.container, path))

# persistent_path and shared_path are rules of their own so that a path no
# volume is mounted at counts as neither, where a negated call with an
# undefined argument would be undefined.
persistent_path(s, w, path) if persistent_volume(w, path_volume(s, w, path))

shared_path(s, w, path) if shared_volume(w, path_volume(s, w, path))

volume_name(v) := v.persistentVolumeClaim.claimName if {
	is_object(v.persistentVolumeClaim)
} else := sprintf("volume claim template %s", [v.name]) if {
	is_object(v.template)
} else := v.name

# odoo-filestore-volume

findings contains finding("odoo-filestore-volume", s, sprintf("the filestore (%s) is on no persistent volume: attachments and images are lost when the pod goes, unless a module keeps them in the database or an object store; mount a PersistentVolumeClaim at %s (ReadWriteMany with several replicas), or waive this rule for object storage", [filestore_path(s), data_dir(s)])) if {
	whole_set
	some pod in odoo_pods
	[s, w] := pod
	not persistent_path(s, w, filestore_path(s))
}

# odoo-filestore-shared

findings contains finding("odoo-filestore-shared", s, sprintf("the filestore is on %s, one per pod, and the workload runs up to %d pods: an attachment uploaded through one pod is missing on the others; mount one ReadWriteMany PersistentVolumeClaim at %s instead", [volume_name(v), replicas(w), data_dir(s)])) if {
	some pod in odoo_pods
	[s, w] := pod
	replicas(w) > 1
	v := path_volume(s, w, filestore_path(s))
	is_object(v.template)
}

findings contains finding("odoo-filestore-shared", s, sprintf("the filestore is on PersistentVolumeClaim %s (%s) and the workload runs up to %d pods: a pod on another node cannot mount it and waits, and the pods do not share attachments; use a ReadWriteMany claim (NFS, CephFS, EFS, Azure Files) or one replica", [volume_name(v), concat(", ", sort(modes)), replicas(w)])) if {
	some pod in odoo_pods
	[s, w] := pod
	replicas(w) > 1
	v := path_volume(s, w, filestore_path(s))
	is_object(v.persistentVolumeClaim)
	modes := access_modes(w, v)
	not shared_volume(w, v)
}

# odoo-filestore-recreate

findings contains finding("odoo-filestore-recreate", s, sprintf("the filestore is on PersistentVolumeClaim %s (%s) and the Deployment updates with strategy %s: the new pod waits for the volume the old pod holds (Multi-Attach error) and the rollout hangs; set spec.strategy.type: Recreate", [volume_name(v), concat(", ", sort(modes)), strategy])) if {
	some pod in odoo_pods
	[s, w] := pod
	w.kind == "Deployment"
	v := path_volume(s, w, filestore_path(s))
	is_object(v.persistentVolumeClaim)
	modes := access_modes(w, v)
	not shared_volume(w, v)
	strategy := object.get(w.object, ["spec", "strategy", "type"], "RollingUpdate")
	strategy != "Recreate"
}

# odoo-sessions-shared

findings contains finding("odoo-sessions-shared", s, sprintf("the workload runs up to %d pods, each with its own sessions in %s: a user whose next request reaches another pod is logged out; keep sessions in Redis (the session_redis module and a Redis labelled andon.io/redis-role: session) or put the data_dir on a ReadWriteMany claim", [replicas(w), sessions_path(s)])) if {
	whole_set
	some pod in odoo_pods
	[s, w] := pod
	replicas(w) > 1
	not redis_sessions(s)
	not shared_path(s, w, sessions_path(s))
}

# Sessions are in Redis when an odoo.conf section or option, an
# environment variable or a server-wide module says so.
redis_sessions(s) if {
	some f in s.confs
	some name, section in f.sections
	is_object(section)
	redis_named(name, section)
}

redis_named(name, _) if contains(lower(name), "redis")

redis_named(_, section) if {
	some key, _ in section
	contains(lower(key), "redis")
}

redis_sessions(s) if {
	some env in array_at(s.container, "env")
	contains(lower(str(env.name)), "redis")
}

redis_sessions(s) if contains(value(s, "server_wide_modules", ""), "session_redis")

# odoo-queue-job-runner. Every Odoo process that loads queue_job as a
# server-wide module runs a job runner; two runners on one database run
# jobs twice.

queue_runners := {[w.ns, s.workload] |
	some pod in odoo_pods
	[s, w] := pod
	some m in split(value(s, "server_wide_modules", ""), ",")
	trim_space(m) == "queue_job"
}

findings contains finding("odoo-queue-job-runner", {"index": first, "where": workloads[first].ref}, sprintf("loads queue_job as a server-wide module%s, so up to %d pods of namespace %s each run a job runner, and jobs run twice (two invoices, two stock moves); load queue_job in one workload with replicas: 1 (and strategy Recreate) and leave it out of server_wide_modules elsewhere", [others, total, ns])) if {
	some ns in {r[0] | some r in queue_runners}
	indexes := {r[1] | some r in queue_runners; r[0] == ns}
	total := sum([replicas(workloads[i]) | some i in indexes])
	total > 1
	first := min(indexes)
	others := also(sort({workloads[i].ref | some i in indexes; i != first}))
}

also(names) := "" if {
	count(names) == 0
} else := sprintf(", as %s %s", [phrase(names), verb_do(names)])

verb_do(names) := "does" if {
	count(names) == 1
} else := "do"
