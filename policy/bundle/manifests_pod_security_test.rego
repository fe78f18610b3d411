# Unit tests of the Pod Security rules of andon.manifests
# (manifests_pod_security.rego). The fixtures are in manifests_test.rego.
package andon.manifests

web_ref := "Deployment odoo-prod-lyon/odoo-web"

# web_security is the security context of web's Odoo container, with
# changes.
web_security(changes) := web_container({"securityContext": object.union(web_odoo_container.securityContext, changes)})

# web_pod_security is web with changes to its pod's security context.
web_pod_security(changes) := patch(web, "/spec/template/spec/securityContext", object.union(web.spec.template.spec.securityContext, changes))

# with_init is web with an init container that chowns the filestore, as
# charts often add, with changes.
with_init(changes) := patch(web, "/spec/template/spec/initContainers", [replaced(
	{
		"name": "fix-permissions",
		"image": concat("", ["registry.example.com/library/busybox:1.36@", digest]),
		"command": ["chown", "-R", "101:101", "/var/lib/odoo"],
		"resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "64Mi"}},
		"securityContext": {"runAsNonRoot": false, "runAsUser": 0, "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"], "add": ["CHOWN"]}},
		"volumeMounts": [{"name": "filestore", "mountPath": "/var/lib/odoo"}],
	},
	changes,
)])

init_where := "Deployment odoo-prod-lyon/odoo-web: init container fix-permissions"

pod_security_rules := {"privileged-container", "host-namespaces", "host-path-volume", "host-port", "added-capabilities", "seccomp-unconfined", "apparmor-unconfined", "selinux-options", "proc-mount", "unsafe-sysctls"}

test_pod_security_good_stack if {
	every rule in pod_security_rules {
		found(rule, good_stack) == set()
	}

	# An init container that adds CHOWN, which the baseline allows.
	every rule in pod_security_rules {
		found(rule, changed({"web": with_init({})})) == set()
	}
}

# privileged-container

test_privileged_container if {
	found("privileged-container", changed({"web": web_security({"privileged": true})})) == {[web_index, concat("", [web_where, ": privileged is true: the container has every capability and the node's devices, and a process in it is root on the node; remove securityContext.privileged"])]}
	found("privileged-container", changed({"web": web_security({"privileged": false})})) == set()
	messages("privileged-container", changed({"web": with_init({"securityContext": {"privileged": true}})})) == {concat("", [init_where, ": privileged is true: the container has every capability and the node's devices, and a process in it is root on the node; remove securityContext.privileged"])}
}

test_privileged_ephemeral_container if {
	messages("privileged-container", debug_pod([debugger({"securityContext": {"privileged": true}})])) == {concat("", [debug_where, ": privileged is true: the container has every capability and the node's devices, and a process in it is root on the node; remove securityContext.privileged"])}
}

test_host_process if {
	want := concat("", [web_where, ": windowsOptions.hostProcess is true, in the container or its pod: the container runs as a process of the Windows node, outside any isolation; remove securityContext.windowsOptions.hostProcess"])
	messages("privileged-container", changed({"web": web_security({"windowsOptions": {"hostProcess": true}})})) == {want}
	messages("privileged-container", changed({"web": web_pod_security({"windowsOptions": {"hostProcess": true}})})) == {want}

	# The container's false overrides its pod's true.
	both := json.patch(web_security({"windowsOptions": {"hostProcess": false}}), [{"op": "add", "path": "/spec/template/spec/securityContext/windowsOptions", "value": {"hostProcess": true}}])
	found("privileged-container", changed({"web": both})) == set()
}

# host-namespaces

test_host_namespaces if {
	found("host-namespaces", changed({"web": patch(web, "/spec/template/spec/hostNetwork", true)})) == {[web_index, concat("", [web_ref, ": hostNetwork is true: the pod is on the node's network: it reaches the services the node listens on (the kubelet, localhost ports) and every port it opens is open on the node, around NetworkPolicies; remove spec.hostNetwork from the pod template"])]}
	messages("host-namespaces", changed({"web": json.patch(web, [
		{"op": "add", "path": "/spec/template/spec/hostPID", "value": true},
		{"op": "add", "path": "/spec/template/spec/hostIPC", "value": true},
		{"op": "add", "path": "/spec/template/spec/hostNetwork", "value": false},
	])})) == {
		concat("", [web_ref, ": hostPID is true: the pod sees every process of the node and can signal or trace those of its user, other pods' included; remove spec.hostPID from the pod template"]),
		concat("", [web_ref, ": hostIPC is true: the pod shares the node's shared memory and message queues with every process of the node; remove spec.hostIPC from the pod template"]),
	}
}

# host-path-volume

test_host_path_volume if {
	logs := patch(web, "/spec/template/spec/volumes/-", {"name": "node-logs", "hostPath": {"path": "/var/log", "type": "Directory"}})
	found("host-path-volume", changed({"web": logs})) == {[web_index, concat("", [web_ref, ": volume node-logs is the node's directory /var/log (hostPath): the pod reads and writes the node's files, the kubelet's and other pods' included, and what it writes stays on that one node; use a PersistentVolumeClaim, a ConfigMap or Secret, or an emptyDir"])]}
}

# host-port

test_host_port if {
	bound := web_container({"ports": [{"name": "http", "containerPort": 8069, "hostPort": 8069}, {"containerPort": 8072, "hostPort": 80}, {"name": "metrics", "containerPort": 9090, "hostPort": 0}]})
	found("host-port", changed({"web": bound})) == {
		[web_index, concat("", [web_where, ": port http (8069) binds port 8069 of the node (hostPort): it is reachable on the node's address, around the Service, the ingress and its TLS, and two pods of the workload cannot run on one node; remove hostPort and expose the port through a Service"])],
		[web_index, concat("", [web_where, ": port 8072 binds port 80 of the node (hostPort): it is reachable on the node's address, around the Service, the ingress and its TLS, and two pods of the workload cannot run on one node; remove hostPort and expose the port through a Service"])],
	}
}

# added-capabilities

test_added_capabilities if {
	found("added-capabilities", changed({"web": web_security({"capabilities": {"add": ["NET_BIND_SERVICE", "CAP_SYS_ADMIN"]}})})) == {[web_index, concat("", [web_where, ": adds CAP_SYS_ADMIN, beyond the capabilities a container runtime grants by default: with it a process reaches past the container, to the node's kernel, network or other processes; remove it from securityContext.capabilities.add (Odoo needs none)"])]}
	messages("added-capabilities", changed({"web": with_init({"securityContext": {"capabilities": {"add": ["chown", "NET_ADMIN", "SYS_ADMIN"]}}})})) == {concat("", [init_where, ": adds NET_ADMIN and SYS_ADMIN, beyond the capabilities a container runtime grants by default: with them a process reaches past the container, to the node's kernel, network or other processes; remove them from securityContext.capabilities.add (Odoo needs none)"])}
	found("added-capabilities", changed({"web": web_security({"capabilities": "junk"})})) == set()
}

test_added_capabilities_of_kubectl_debug if {
	# kubectl debug's default profile adds SYS_PTRACE, to trace the
	# processes of the container it targets.
	messages("added-capabilities", debug_pod([debugger({"securityContext": {"capabilities": {"add": ["SYS_PTRACE"]}}})])) == {concat("", [debug_where, ": adds SYS_PTRACE, beyond the capabilities a container runtime grants by default: with it a process reaches past the container, to the node's kernel, network or other processes; remove it from securityContext.capabilities.add (Odoo needs none)"])}
}

# seccomp-unconfined

test_seccomp_unconfined if {
	want := {[web_index, concat("", [web_where, ": seccompProfile is Unconfined, in the container or its pod: every system call of the kernel is open to it, those that container escapes go through included; set securityContext.seccompProfile.type: RuntimeDefault"])]}
	found("seccomp-unconfined", changed({"web": web_security({"seccompProfile": {"type": "Unconfined"}})})) == want
	found("seccomp-unconfined", changed({"web": web_pod_security({"seccompProfile": {"type": "Unconfined"}})})) == want

	# The container's RuntimeDefault overrides its pod's Unconfined.
	overridden := json.patch(web_security({"seccompProfile": {"type": "RuntimeDefault"}}), [{"op": "add", "path": "/spec/template/spec/securityContext/seccompProfile", "value": {"type": "Unconfined"}}])
	found("seccomp-unconfined", changed({"web": overridden})) == set()
	found("seccomp-unconfined", changed({"web": web_pod_security({"seccompProfile": {"type": "Localhost", "localhostProfile": "odoo.json"}})})) == set()
}

# apparmor-unconfined

test_apparmor_unconfined if {
	found("apparmor-unconfined", changed({"web": web_pod_security({"appArmorProfile": {"type": "Unconfined"}})})) == {[web_index, concat("", [web_where, ": appArmorProfile is Unconfined, in the container or its pod: the runtime's AppArmor profile, which denies writes to /proc and /sys and mounts, does not apply; set securityContext.appArmorProfile.type: RuntimeDefault, or remove it"])]}
	found("apparmor-unconfined", changed({"web": web_security({"appArmorProfile": {"type": "RuntimeDefault"}})})) == set()
}

test_apparmor_unconfined_by_annotation if {
	annotated := patch(web, "/spec/template/metadata/annotations", {
		"container.apparmor.security.beta.kubernetes.io/odoo": "unconfined",
		"container.apparmor.security.beta.kubernetes.io/other": "unconfined",
	})
	found("apparmor-unconfined", changed({"web": annotated})) == {[web_index, concat("", [web_where, ": the pod's annotation container.apparmor.security.beta.kubernetes.io/odoo is unconfined: the runtime's AppArmor profile, which denies writes to /proc and /sys and mounts, does not apply; remove the annotation, or set it to runtime/default"])]}
	runtime_default := patch(web, "/spec/template/metadata/annotations", {"container.apparmor.security.beta.kubernetes.io/odoo": "runtime/default"})
	found("apparmor-unconfined", changed({"web": runtime_default})) == set()
}

# selinux-options

test_selinux_options if {
	found("selinux-options", changed({"web": web_security({"seLinuxOptions": {"type": "spc_t"}})})) == {[web_index, concat("", [web_where, ": seLinuxOptions set type spc_t, in the container or its pod: a process of the container runs in another SELinux context than the runtime's, which may open the node's files to it (spc_t is unconfined); remove it, or use type container_t"])]}

	# The pod's user and the container's role, field by field.
	both := json.patch(web_security({"seLinuxOptions": {"role": "system_r", "level": "s0:c123,c456"}}), [{"op": "add", "path": "/spec/template/spec/securityContext/seLinuxOptions", "value": {"user": "system_u", "type": "container_t"}}])
	messages("selinux-options", changed({"web": both})) == {concat("", [web_where, ": seLinuxOptions set user system_u and role system_r, in the container or its pod: a process of the container runs in another SELinux context than the runtime's, which may open the node's files to it (spc_t is unconfined); remove them, or use type container_t"])}
	found("selinux-options", changed({"web": web_pod_security({"seLinuxOptions": {"level": "s0:c123,c456", "type": "container_init_t"}})})) == set()
}

# proc-mount

test_proc_mount if {
	found("proc-mount", changed({"web": web_security({"procMount": "Unmasked"})})) == {[web_index, concat("", [web_where, ": procMount is Unmasked: /proc is mounted without the masks that hide the node's kernel settings and keys from the container; remove securityContext.procMount, or set it to Default"])]}
	found("proc-mount", changed({"web": web_security({"procMount": "Default"})})) == set()
}

# unsafe-sysctls

test_unsafe_sysctls if {
	tuned := web_pod_security({"sysctls": [{"name": "net.ipv4.tcp_keepalive_time", "value": "600"}, {"name": "net.core.somaxconn", "value": "4096"}, {"name": "kernel.msgmax", "value": "65536"}]})
	found("unsafe-sysctls", changed({"web": tuned})) == {
		[web_index, concat("", [web_ref, ": sets the sysctl net.core.somaxconn, which is not one of the safe ones isolated to the pod: it may change the kernel's behaviour for the other pods of the node, and the kubelet refuses the pod unless its --allowed-unsafe-sysctls lists it; remove it from spec.securityContext.sysctls, or tune the node instead"])],
		[web_index, concat("", [web_ref, ": sets the sysctl kernel.msgmax, which is not one of the safe ones isolated to the pod: it may change the kernel's behaviour for the other pods of the node, and the kubelet refuses the pod unless its --allowed-unsafe-sysctls lists it; remove it from spec.securityContext.sysctls, or tune the node instead"])],
	}
}

# Pod Security rules judge one object alone, as the admission webhook
# reviews it.
test_pod_security_rules_scoped_to_the_object if {
	every rule in pod_security_rules {
		rules[rule].scope == "object"
	}
	alone := {"objects": [{"index": 0, "object": web_security({"privileged": true})}], "settings": good_stack.settings, "scope": "object"}
	count(found("privileged-container", alone)) == 1
}
