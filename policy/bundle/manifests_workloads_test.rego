# Unit tests of the workload rules of andon.manifests
# (manifests_workloads.rego). The fixtures are in manifests_test.rego.
package andon.manifests

redis_where := "StatefulSet odoo-prod-lyon/redis-session: container redis"

rwo_filestore := patch(filestore, "/spec/accessModes", ["ReadWriteOnce"])

# queue_deployment is a copy of web, with one pod and these arguments.
queue_deployment(name, args) := json.patch(web, [
	{"op": "replace", "path": "/metadata/name", "value": name},
	{"op": "replace", "path": "/spec/replicas", "value": 1},
	{"op": "replace", "path": "/spec/template/spec/containers/0/args", "value": args},
])

# image-digest

test_image_digest if {
	found("image-digest", good_stack) == set()
	found("image-digest", changed({"web": web_container({"image": "registry.example.com/odoo/odoo:17.0"})})) == {[web_index, concat("", [web_where, ": image registry.example.com/odoo/odoo:17.0 is not pinned by digest, so what runs can change under the same name; pin it as registry.example.com/odoo/odoo:17.0@sha256:…"])]}
	found("image-digest", changed({"web": web_container({"image": "registry.example.com/odoo/odoo@sha256:short"})})) == {[web_index, concat("", [web_where, ": image registry.example.com/odoo/odoo@sha256:short is not pinned by digest, so what runs can change under the same name; pin it as registry.example.com/odoo/odoo@sha256:…"])]}
}

test_image_digest_of_init_containers if {
	init := patch(web, "/spec/template/spec/initContainers", [{"name": "fix-permissions", "image": "registry.example.com/library/busybox:1.36"}])
	messages("image-digest", changed({"web": init})) == {"Deployment odoo-prod-lyon/odoo-web: init container fix-permissions: image registry.example.com/library/busybox:1.36 is not pinned by digest, so what runs can change under the same name; pin it as registry.example.com/library/busybox:1.36@sha256:…"}
}

# image-registry

test_image_registry if {
	found("image-registry", good_stack) == set()
	image := concat("", ["ghcr.io/acme/odoo:17.0@", digest])
	found("image-registry", changed({"web": web_container({"image": image})})) == {[web_index, concat("", [web_where, ": image ", image, " comes from ghcr.io, which is not an allowed registry (registry.example.com); mirror the image into an allowed registry and use it from there"])]}
	messages("image-registry", changed({"web": web_container({"image": "odoo:17.0"})})) == {concat("", [web_where, ": image odoo:17.0 comes from docker.io, which is not an allowed registry (registry.example.com); mirror the image into an allowed registry and use it from there"])}
}

test_image_registry_any_when_none_allowed if {
	i := object.union(changed({"web": web_container({"image": "odoo:17.0"})}), {"settings": {"allowedRegistries": []}})
	found("image-registry", i) == set()
}

test_allowed_image if {
	allowed_image("registry.example.com/odoo/odoo:17.0") with input as good_stack
	paths := {"settings": {"allowedRegistries": ["registry.example.com/odoo/", "docker.io"]}}
	allowed_image("registry.example.com/odoo/odoo:17.0") with input as paths
	not allowed_image("registry.example.com/other/odoo:17.0") with input as paths
	allowed_image("odoo:17.0") with input as paths
}

# run-as-non-root

test_run_as_non_root if {
	found("run-as-non-root", good_stack) == set()
	root := json.patch(web, [{"op": "remove", "path": "/spec/template/spec/securityContext"}])
	found("run-as-non-root", changed({"web": root})) == {[web_index, concat("", [web_where, ": runAsNonRoot is not true, in the container or its pod: a process that escapes the application runs as root in the container; set securityContext.runAsNonRoot: true (the Odoo image runs as user odoo, 101)"])]}
}

test_run_as_non_root_container_overrides_pod if {
	overridden := web_container({"securityContext": {"runAsNonRoot": false, "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true}})
	count(found("run-as-non-root", changed({"web": overridden}))) == 1

	# The redis container says it itself, without its pod.
	found("run-as-non-root", good_stack) == set()
}

# allow-privilege-escalation

test_allow_privilege_escalation if {
	found("allow-privilege-escalation", good_stack) == set()
	found("allow-privilege-escalation", changed({"web": web_container({"securityContext": {"readOnlyRootFilesystem": true}})})) == {[web_index, concat("", [web_where, ": allowPrivilegeEscalation is not false: a process may gain more privileges than the container started with (setuid binaries); set securityContext.allowPrivilegeEscalation: false"])]}
	count(found("allow-privilege-escalation", changed({"web": web_container({"securityContext": "junk"})}))) == 1
}

# read-only-root-filesystem

test_read_only_root_filesystem if {
	found("read-only-root-filesystem", good_stack) == set()
	found("read-only-root-filesystem", changed({"web": web_container({"securityContext": {"allowPrivilegeEscalation": false}})})) == {[web_index, concat("", [web_where, ": the root filesystem is writable, so a compromised Odoo can change its own code and add-ons; set securityContext.readOnlyRootFilesystem: true, with an emptyDir at /tmp and the filestore volume at the data_dir"])]}
	found("read-only-root-filesystem", changed({"redis": redis_with({"securityContext": {"runAsNonRoot": true, "allowPrivilegeEscalation": false}})})) == {[index_of("redis"), concat("", [redis_where, ": the root filesystem is writable, so a compromised process can change its own binaries; set securityContext.readOnlyRootFilesystem: true, with volumes where it must write"])]}
}

# odoo-writable-paths

test_writable_paths if {
	found("odoo-writable-paths", good_stack) == set()
	found("odoo-writable-paths", changed({"web": web_container({"volumeMounts": [{"name": "conf", "mountPath": "/etc/odoo"}]})})) == {
		[web_index, concat("", [web_where, ": readOnlyRootFilesystem is true but nothing is mounted at /tmp: Odoo writes uploads, report PDFs and exports there and fails; mount an emptyDir at /tmp"])],
		[web_index, concat("", [web_where, ": readOnlyRootFilesystem is true but nothing is mounted at /var/lib/odoo: Odoo keeps its filestore and sessions there and fails; mount the filestore volume at /var/lib/odoo"])],
	}
}

test_writable_paths_follow_data_dir if {
	count(found("odoo-writable-paths", changed({"conf": conf_with({"data_dir": "/srv/odoo"})}))) == 1
	writable := web_container({"securityContext": {"allowPrivilegeEscalation": false}, "volumeMounts": []})
	found("odoo-writable-paths", changed({"web": writable})) == set()
}

# container-resources

test_container_resources if {
	found("container-resources", good_stack) == set()
	found("container-resources", changed({"web": web_container({"resources": {}})})) == {[web_index, concat("", [web_where, ": sets no requests.cpu, requests.memory or limits.memory: without requests the scheduler places pods blindly and a ResourceQuota refuses them, and without a memory limit one runaway process takes the node's memory; set resources.requests.cpu, resources.requests.memory and resources.limits.memory"])]}
	messages("container-resources", changed({"web": web_container({"resources": {"requests": {"cpu": "1", "memory": "1Gi"}}})})) == {concat("", [web_where, ": sets no limits.memory: without requests the scheduler places pods blindly and a ResourceQuota refuses them, and without a memory limit one runaway process takes the node's memory; set resources.requests.cpu, resources.requests.memory and resources.limits.memory"])}
}

test_container_resources_requests_from_limits if {
	# Kubernetes copies a limit to a missing request.
	found("container-resources", changed({"web": web_container({"resources": {"limits": {"cpu": "2", "memory": "8Gi"}}})})) == set()
}

test_container_resources_from_limit_range if {
	bare := web_container({"resources": {}})
	defaults := {"apiVersion": "v1", "kind": "LimitRange", "metadata": meta("defaults"), "spec": {"limits": [{"type": "Pod"}, {"type": "Container", "default": {"cpu": "1", "memory": "512Mi"}}]}}
	found("container-resources", stack(with_parts({"web": bare}, [defaults]))) == set()
	requests_only := json.patch(defaults, [{"op": "replace", "path": "/spec/limits/1", "value": {"type": "Container", "defaultRequest": {"cpu": "100m", "memory": "128Mi"}}}])
	messages("container-resources", stack(with_parts({"web": bare}, [requests_only]))) == {concat("", [web_where, ": sets no limits.memory: without requests the scheduler places pods blindly and a ResourceQuota refuses them, and without a memory limit one runaway process takes the node's memory; set resources.requests.cpu, resources.requests.memory and resources.limits.memory"])}
}

# Ephemeral containers. debug_pod is a Pod of web, as its ReplicaSet
# creates it, with the ephemeral containers kubectl debug adds, reviewed
# alone as the admission webhook reviews the pods/ephemeralcontainers
# subresource.
debug_pod(ephemeral) := {
	"objects": [entry(0, {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": meta("odoo-web-7d9c5b8f6d-x2x9z"),
		"spec": object.union(web.spec.template.spec, {"ephemeralContainers": ephemeral}),
	})],
	"settings": stack_settings,
	"scope": "object",
}

debug_where := "Pod odoo-prod-lyon/odoo-web-7d9c5b8f6d-x2x9z: ephemeral container debugger"

debug_image := concat("", ["registry.example.com/tools/debug:1.0@", digest])

# restricted_debugger is the container kubectl debug --profile=restricted
# adds.
restricted_debugger := {
	"name": "debugger",
	"image": debug_image,
	"stdin": true,
	"tty": true,
	"targetContainerName": "odoo",
	"securityContext": {"runAsNonRoot": true, "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}},
}

debugger(changes) := replaced(restricted_debugger, changes)

# debug_found returns the findings about the ephemeral container
# debugger, as [rule, message]: those of the rules that a policy adds to
# the default ones stay out of them.
debug_found(i) := {[f.rule, f.message] | some f in all; startswith(f.message, concat("", [debug_where, ": "]))} if {
	all := findings with input as i
}

test_ephemeral_container_as_the_restricted_profile_makes_it if {
	found("run-as-non-root", debug_pod([])) == set()
	found("container-resources", debug_pod([])) == set()

	# Kubernetes refuses resources on an ephemeral container, so
	# container-resources does not ask for them.
	debug_found(debug_pod([restricted_debugger])) == {["read-only-root-filesystem", concat("", [debug_where, ": the root filesystem is writable, so a compromised process can change its own binaries; set securityContext.readOnlyRootFilesystem: true, with volumes where it must write"])]}
	debug_found(debug_pod([debugger({"securityContext": object.union(restricted_debugger.securityContext, {"readOnlyRootFilesystem": true})})])) == set()
}

test_ephemeral_container_of_the_general_profile if {
	# kubectl debug's default profile adds SYS_PTRACE, beyond the Pod
	# Security baseline, and nothing else; the Pod's runAsNonRoot holds
	# for it.
	general := debugger({"image": "busybox:1.36", "securityContext": {"capabilities": {"add": ["SYS_PTRACE"]}}})
	{f[0] | some f in debug_found(debug_pod([general]))} == {"image-digest", "image-registry", "allow-privilege-escalation", "added-capabilities", "read-only-root-filesystem"}
	messages("image-digest", debug_pod([general])) == {concat("", [debug_where, ": image busybox:1.36 is not pinned by digest, so what runs can change under the same name; pin it as busybox:1.36@sha256:…"])}
	messages("allow-privilege-escalation", debug_pod([general])) == {concat("", [debug_where, ": allowPrivilegeEscalation is not false: a process may gain more privileges than the container started with (setuid binaries); set securityContext.allowPrivilegeEscalation: false"])}
}

test_ephemeral_container_as_root if {
	root := debugger({"securityContext": {"privileged": true, "runAsUser": 0, "runAsNonRoot": false}})
	messages("run-as-non-root", debug_pod([root])) == {concat("", [debug_where, ": runAsNonRoot is not true, in the container or its pod: a process that escapes the application runs as root in the container; set securityContext.runAsNonRoot: true (the Odoo image runs as user odoo, 101)"])}
	messages("allow-privilege-escalation", debug_pod([root])) == {concat("", [debug_where, ": allowPrivilegeEscalation is not false: a process may gain more privileges than the container started with (setuid binaries); set securityContext.allowPrivilegeEscalation: false"])}

	# Without the Pod's runAsNonRoot, every container is named.
	bare := json.patch(debug_pod([debugger({"securityContext": {"allowPrivilegeEscalation": false}})]), [{"op": "remove", "path": "/objects/0/object/spec/securityContext"}])
	messages("run-as-non-root", bare) == {
		"Pod odoo-prod-lyon/odoo-web-7d9c5b8f6d-x2x9z: container odoo: runAsNonRoot is not true, in the container or its pod: a process that escapes the application runs as root in the container; set securityContext.runAsNonRoot: true (the Odoo image runs as user odoo, 101)",
		concat("", [debug_where, ": runAsNonRoot is not true, in the container or its pod: a process that escapes the application runs as root in the container; set securityContext.runAsNonRoot: true (the Odoo image runs as user odoo, 101)"]),
	}
}

test_ephemeral_container_environment if {
	leaky := debugger({"env": [{"name": "PGPASSWORD", "value": "odoo"}]})
	messages("env-secret-literal", debug_pod([leaky])) == {concat("", [debug_where, ": environment variable PGPASSWORD holds a literal secret, readable by anyone who can read the workload and kept in its history; take it from a Secret with valueFrom.secretKeyRef"])}
}

# odoo-filestore-volume

test_filestore_volume if {
	found("odoo-filestore-volume", good_stack) == set()
	ephemeral := json.patch(web, [{"op": "replace", "path": "/spec/template/spec/volumes/1", "value": {"name": "filestore", "emptyDir": {}}}])
	found("odoo-filestore-volume", changed({"web": ephemeral})) == {[web_index, concat("", [web_where, ": the filestore (/var/lib/odoo/filestore) is on no persistent volume: attachments and images are lost when the pod goes, unless a module keeps them in the database or an object store; mount a PersistentVolumeClaim at /var/lib/odoo (ReadWriteMany with several replicas), or waive this rule for object storage"])]}
}

test_filestore_volume_unmounted if {
	unmounted := web_container({"securityContext": {"allowPrivilegeEscalation": false}, "volumeMounts": [{"name": "conf", "mountPath": "/etc/odoo"}]})
	count(found("odoo-filestore-volume", changed({"web": unmounted}))) == 1
}

# odoo-filestore-shared

test_filestore_shared if {
	found("odoo-filestore-shared", good_stack) == set()
	found("odoo-filestore-shared", changed({"filestore": rwo_filestore})) == {[web_index, concat("", [web_where, ": the filestore is on PersistentVolumeClaim odoo-filestore (ReadWriteOnce) and the workload runs up to 2 pods: a pod on another node cannot mount it and waits, and the pods do not share attachments; use a ReadWriteMany claim (NFS, CephFS, EFS, Azure Files) or one replica"])]}
	found("odoo-filestore-shared", changed({"filestore": rwo_filestore, "web": patch(web, "/spec/replicas", 1)})) == set()
}

test_filestore_shared_needs_the_claim if {
	# A claim that is not in the set may be ReadWriteMany.
	found("odoo-filestore-shared", changed({"filestore": null})) == set()
}

test_filestore_shared_claim_templates if {
	per_pod := json.patch(web, [
		{"op": "replace", "path": "/kind", "value": "StatefulSet"},
		{"op": "remove", "path": "/spec/template/spec/volumes/1"},
		{"op": "add", "path": "/spec/volumeClaimTemplates", "value": [{"metadata": {"name": "filestore"}, "spec": {"accessModes": ["ReadWriteMany"]}}]},
	])
	found("odoo-filestore-shared", changed({"web": per_pod})) == {[web_index, "StatefulSet odoo-prod-lyon/odoo-web: container odoo: the filestore is on volume claim template filestore, one per pod, and the workload runs up to 2 pods: an attachment uploaded through one pod is missing on the others; mount one ReadWriteMany PersistentVolumeClaim at /var/lib/odoo instead"]}
}

test_volume_name if {
	volume_name({"name": "data", "nfs": {}}) == "data"
}

# odoo-filestore-recreate

test_filestore_recreate if {
	found("odoo-filestore-recreate", good_stack) == set()
	single := patch(web, "/spec/replicas", 1)
	found("odoo-filestore-recreate", changed({"filestore": rwo_filestore, "web": single})) == {[web_index, concat("", [web_where, ": the filestore is on PersistentVolumeClaim odoo-filestore (ReadWriteOnce) and the Deployment updates with strategy RollingUpdate: the new pod waits for the volume the old pod holds (Multi-Attach error) and the rollout hangs; set spec.strategy.type: Recreate"])]}
	found("odoo-filestore-recreate", changed({"filestore": rwo_filestore, "web": patch(single, "/spec/strategy", {"type": "Recreate"})})) == set()
}

# odoo-sessions-shared

test_sessions_shared if {
	found("odoo-sessions-shared", good_stack) == set()
	no_redis := {"conf": conf_with({"server_wide_modules": "base,web"}), "web": web_container({"env": []}), "filestore": rwo_filestore}
	found("odoo-sessions-shared", changed(no_redis)) == {[web_index, concat("", [web_where, ": the workload runs up to 2 pods, each with its own sessions in /var/lib/odoo/sessions: a user whose next request reaches another pod is logged out; keep sessions in Redis (the session_redis module and a Redis labelled andon.io/redis-role: session) or put the data_dir on a ReadWriteMany claim"])]}
}

test_sessions_shared_by_the_data_dir if {
	# Sessions live in the data_dir: on a ReadWriteMany claim every pod
	# sees them.
	found("odoo-sessions-shared", changed({"conf": conf_with({"server_wide_modules": "base,web"}), "web": web_container({"env": []})})) == set()
}

test_redis_sessions if {
	# By an environment variable, a server-wide module or an odoo.conf
	# option.
	found("odoo-sessions-shared", changed({"conf": conf_with({"server_wide_modules": "base,web"}), "filestore": rwo_filestore})) == set()
	found("odoo-sessions-shared", changed({"web": web_container({"env": []}), "filestore": rwo_filestore})) == set()
	options := {"k8s": conf_secret({}).k8s, "odooConf": {"odoo.conf": {"options": object.union(good_options, {"server_wide_modules": "base,web"}), "session_redis": {"url": "redis://redis-session:6379/0"}, "note": "not a section"}}}
	found("odoo-sessions-shared", changed({"conf": options, "web": web_container({"env": []}), "filestore": rwo_filestore})) == set()
	found("odoo-sessions-shared", changed({"conf": conf_with({"server_wide_modules": "base,web", "session_redis_host": "redis-session"}), "web": web_container({"env": []}), "filestore": rwo_filestore})) == set()
}

# odoo-queue-job-runner

test_queue_job_runner if {
	found("odoo-queue-job-runner", good_stack) == set()
	found("odoo-queue-job-runner", changed({"conf": conf_with({"server_wide_modules": "base,web,queue_job"})})) == {[web_index, "Deployment odoo-prod-lyon/odoo-web: loads queue_job as a server-wide module, so up to 2 pods of namespace odoo-prod-lyon each run a job runner, and jobs run twice (two invoices, two stock moves); load queue_job in one workload with replicas: 1 (and strategy Recreate) and leave it out of server_wide_modules elsewhere"]}
}

test_queue_job_one_runner if {
	found("odoo-queue-job-runner", added([queue_deployment("odoo-queue", ["--load=base,web,queue_job"])])) == set()
}

test_queue_job_runners_summed if {
	i := added([
		queue_deployment("odoo-queue", ["--load=base,web,queue_job"]),
		queue_deployment("odoo-queue-2", ["--load=base, queue_job"]),
		queue_deployment("odoo-queue-3", ["--load=base,queue_job"]),
	])
	found("odoo-queue-job-runner", i) == {[16, "Deployment odoo-prod-lyon/odoo-queue: loads queue_job as a server-wide module, as Deployment odoo-prod-lyon/odoo-queue-2 and Deployment odoo-prod-lyon/odoo-queue-3 do, so up to 3 pods of namespace odoo-prod-lyon each run a job runner, and jobs run twice (two invoices, two stock moves); load queue_job in one workload with replicas: 1 (and strategy Recreate) and leave it out of server_wide_modules elsewhere"]}
	also([]) == ""
	also(["Deployment a/b"]) == ", as Deployment a/b does"
}
