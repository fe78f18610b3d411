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

pod_security_rules := {"privileged-container", "host-namespaces", "host-path-volume", "host-port", "added-capabilities", "seccomp-unconfined", "apparmor-unconfined", "selinux-options", "proc-mount", "unsafe-sysctls", "probe-host"}

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

	# The container's false overrides its pod's true, which the
	# baseline refuses all the same: reported on the workload.
	both := json.patch(web_security({"windowsOptions": {"hostProcess": false}}), [{"op": "add", "path": "/spec/template/spec/securityContext/windowsOptions", "value": {"hostProcess": true}}])
	found("privileged-container", changed({"web": both})) == {[web_index, concat("", [web_ref, ": the pod's windowsOptions.hostProcess is true: every container sets its own, but one added later inherits it (kubectl debug's ephemeral container), and the Pod Security baseline refuses the pod for it all the same; remove spec.securityContext.windowsOptions.hostProcess"])]}
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
		[web_index, concat("", [web_where, ": port http (8069) binds port 8069 of the node (hostPort): it is reachable on the node's address, around the Service, the ingress and its TLS, and two pods of the workload cannot run on one node; remove hostPort and expose the port through a Service, or, where a node agent needs it, list it in the kubernetes.hostPorts of environment prod-lyon in the catalog"])],
		[web_index, concat("", [web_where, ": port 8072 binds port 80 of the node (hostPort): it is reachable on the node's address, around the Service, the ingress and its TLS, and two pods of the workload cannot run on one node; remove hostPort and expose the port through a Service, or, where a node agent needs it, list it in the kubernetes.hostPorts of environment prod-lyon in the catalog"])],
	}

	# Outside a governed namespace, no environment can allow one.
	elsewhere := json.patch(bound, [{"op": "replace", "path": "/metadata/namespace", "value": "lab"}])
	messages("host-port", changed({"web": elsewhere})) == {
		"Deployment lab/odoo-web: container odoo: port http (8069) binds port 8069 of the node (hostPort): it is reachable on the node's address, around the Service, the ingress and its TLS, and two pods of the workload cannot run on one node; remove hostPort and expose the port through a Service",
		"Deployment lab/odoo-web: container odoo: port 8072 binds port 80 of the node (hostPort): it is reachable on the node's address, around the Service, the ingress and its TLS, and two pods of the workload cannot run on one node; remove hostPort and expose the port through a Service",
	}
}

# The environment of a namespace lists the host ports its containers may
# bind (kubernetes.hostPorts in the catalog, settings.namespaces[].hostPorts
# here); another environment's list allows nothing in it.
host_exporter := web_container({"ports": [{"name": "metrics", "containerPort": 9100, "hostPort": 9100}, {"name": "http", "containerPort": 8069, "hostPort": 8069}]})

# allowing is the stack with host_exporter, where the environment of
# namespace allows ports.
allowing(namespace, ports) := json.patch(changed({"web": host_exporter}), [{"op": "add", "path": concat("/", ["/settings/namespaces", namespace, "hostPorts"]), "value": ports}])

test_host_port_allowed_by_the_environment if {
	found("host-port", allowing("odoo-prod-lyon", [9100, 10250])) == {[web_index, concat("", [web_where, ": port http (8069) binds port 8069 of the node (hostPort): it is reachable on the node's address, around the Service, the ingress and its TLS, and two pods of the workload cannot run on one node; remove hostPort and expose the port through a Service, or, where a node agent needs it, list it in the kubernetes.hostPorts of environment prod-lyon in the catalog (which allows 9100 and 10250)"])]}
	found("host-port", allowing("odoo-prod-lyon", [8069, 9100])) == set()
	count(found("host-port", allowing("odoo-staging-lyon", [8069, 9100]))) == 2
	count(found("host-port", allowing("odoo-prod-lyon", ["9100", "8069"]))) == 2
}

# added-capabilities

test_added_capabilities if {
	found("added-capabilities", changed({"web": web_security({"capabilities": {"add": ["NET_BIND_SERVICE", "CAP_SYS_ADMIN"]}})})) == {[web_index, concat("", [web_where, ": adds CAP_SYS_ADMIN, beyond the capabilities a container runtime grants by default: with it a process reaches past the container, to the node's kernel, network or other processes; remove it from securityContext.capabilities.add (Odoo needs none)"])]}
	messages("added-capabilities", changed({"web": with_init({"securityContext": {"capabilities": {"add": ["CHOWN", "NET_ADMIN", "SYS_ADMIN"]}}})})) == {concat("", [init_where, ": adds NET_ADMIN and SYS_ADMIN, beyond the capabilities a container runtime grants by default: with them a process reaches past the container, to the node's kernel, network or other processes; remove them from securityContext.capabilities.add (Odoo needs none)"])}
	found("added-capabilities", changed({"web": web_security({"capabilities": "junk"})})) == set()
	found("added-capabilities", changed({"web": web_security({"capabilities": {"add": [7]}})})) == set()
}

# The baseline lists the capabilities it allows as written, without CAP_
# and in upper case; a runtime reads the other forms as the same
# capability, but the baseline refuses the pod for them.
test_added_capabilities_as_the_baseline_writes_them if {
	messages("added-capabilities", changed({"web": with_init({"securityContext": {"capabilities": {"add": ["chown", "CAP_KILL", "SYS_ADMIN"]}}})})) == {
		concat("", [init_where, ": adds CAP_KILL and chown, which the Pod Security baseline refuses as written though the runtime reads them as KILL and CHOWN, which it allows; write KILL and CHOWN"]),
		concat("", [init_where, ": adds SYS_ADMIN, beyond the capabilities a container runtime grants by default: with it a process reaches past the container, to the node's kernel, network or other processes; remove it from securityContext.capabilities.add (Odoo needs none)"]),
	}
	messages("added-capabilities", changed({"web": with_init({"securityContext": {"capabilities": {"add": ["Chown"]}}})})) == {concat("", [init_where, ": adds Chown, which the Pod Security baseline refuses as written though the runtime reads it as CHOWN, which it allows; write CHOWN"])}
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

	found("seccomp-unconfined", changed({"web": web_pod_security({"seccompProfile": {"type": "Localhost", "localhostProfile": "odoo.json"}})})) == set()
	found("seccomp-unconfined", changed({"web": web_security({"seccompProfile": {"type": "RuntimeDefault"}})})) == set()
}

# The baseline refuses a pod whose own seccompProfile is Unconfined even
# when every container sets another: a container added later inherits it.
test_seccomp_unconfined_pod_overridden if {
	pod_unconfined := [{"op": "add", "path": "/spec/template/spec/securityContext/seccompProfile", "value": {"type": "Unconfined"}}]
	overridden := json.patch(web_security({"seccompProfile": {"type": "RuntimeDefault"}}), pod_unconfined)
	found("seccomp-unconfined", changed({"web": overridden})) == {[web_index, concat("", [web_ref, ": the pod's seccompProfile is Unconfined: every container sets its own, but one added later inherits it (kubectl debug's ephemeral container), and the Pod Security baseline refuses the pod for it all the same; set spec.securityContext.seccompProfile.type: RuntimeDefault"])]}

	# An init container that sets none inherits it: reported there alone.
	inherited := json.patch(with_init({}), array.concat(pod_unconfined, [{"op": "add", "path": "/spec/template/spec/containers/0/securityContext/seccompProfile", "value": {"type": "RuntimeDefault"}}]))
	messages("seccomp-unconfined", changed({"web": inherited})) == {concat("", [init_where, ": seccompProfile is Unconfined, in the container or its pod: every system call of the kernel is open to it, those that container escapes go through included; set securityContext.seccompProfile.type: RuntimeDefault"])}
}

# apparmor-unconfined

test_apparmor_unconfined if {
	found("apparmor-unconfined", changed({"web": web_pod_security({"appArmorProfile": {"type": "Unconfined"}})})) == {[web_index, concat("", [web_where, ": appArmorProfile is Unconfined, in the container or its pod: the runtime's AppArmor profile, which denies writes to /proc and /sys and mounts, does not apply; set securityContext.appArmorProfile.type: RuntimeDefault, or remove it"])]}
	found("apparmor-unconfined", changed({"web": web_security({"appArmorProfile": {"type": "RuntimeDefault"}})})) == set()

	# The container's profile overrides its pod's Unconfined, which the
	# baseline refuses all the same.
	overridden := json.patch(web_security({"appArmorProfile": {"type": "Localhost", "localhostProfile": "odoo"}}), [{"op": "add", "path": "/spec/template/spec/securityContext/appArmorProfile", "value": {"type": "Unconfined"}}])
	found("apparmor-unconfined", changed({"web": overridden})) == {[web_index, concat("", [web_ref, ": the pod's appArmorProfile is Unconfined: every container sets its own, but one added later inherits it (kubectl debug's ephemeral container), and the Pod Security baseline refuses the pod for it all the same; set spec.securityContext.appArmorProfile.type: RuntimeDefault, or remove it"])]}
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

	# The pod's options, inherited by a container that sets none.
	found("selinux-options", changed({"web": web_pod_security({"seLinuxOptions": {"user": "system_u", "role": "system_r"}})})) == {[web_index, concat("", [web_where, ": seLinuxOptions set user system_u and role system_r, in the container or its pod: a process of the container runs in another SELinux context than the runtime's, which may open the node's files to it (spc_t is unconfined); remove them, or use type container_t"])]}
	found("selinux-options", changed({"web": web_pod_security({"seLinuxOptions": {"level": "s0:c123,c456", "type": "container_init_t"}})})) == set()
}

# The container's seLinuxOptions replace the pod's whole, as the kubelet
# applies them, and the baseline judges the pod's where they are written:
# a user of the pod is refused though the container sets its own options.
test_selinux_options_of_the_pod_and_the_container if {
	both := json.patch(web_security({"seLinuxOptions": {"role": "system_r", "level": "s0:c123,c456"}}), [{"op": "add", "path": "/spec/template/spec/securityContext/seLinuxOptions", "value": {"user": "system_u", "type": "container_t"}}])
	found("selinux-options", changed({"web": both})) == {
		[web_index, concat("", [web_where, ": seLinuxOptions set role system_r, in the container or its pod: a process of the container runs in another SELinux context than the runtime's, which may open the node's files to it (spc_t is unconfined); remove it, or use type container_t"])],
		[web_index, concat("", [web_ref, ": the pod's seLinuxOptions set user system_u: every container sets its own, but one added later inherits it (kubectl debug's ephemeral container), and the Pod Security baseline refuses the pod for it all the same; remove it, or use type container_t"])],
	}

	# The container's safe options stand in for the pod's unsafe type.
	safe := json.patch(web_security({"seLinuxOptions": {"level": "s0:c123,c456"}}), [{"op": "add", "path": "/spec/template/spec/securityContext/seLinuxOptions", "value": {"type": "spc_t"}}])
	messages("selinux-options", changed({"web": safe})) == {concat("", [web_ref, ": the pod's seLinuxOptions set type spc_t: every container sets its own, but one added later inherits it (kubectl debug's ephemeral container), and the Pod Security baseline refuses the pod for it all the same; remove it, or use type container_t"])}
}

# proc-mount

test_proc_mount if {
	found("proc-mount", changed({"web": web_security({"procMount": "Unmasked"})})) == {[web_index, concat("", [web_where, ": procMount is Unmasked: /proc is mounted without the masks that hide the node's kernel settings and keys from the container; remove securityContext.procMount, or set it to Default"])]}
	found("proc-mount", changed({"web": web_security({"procMount": "Default"})})) == set()

	# In a user namespace of its own, root in the pod is no one on the
	# node: the baseline allows any procMount.
	found("proc-mount", changed({"web": patch(web_security({"procMount": "Unmasked"}), "/spec/template/spec/hostUsers", false)})) == set()
	count(found("proc-mount", changed({"web": patch(web_security({"procMount": "Unmasked"}), "/spec/template/spec/hostUsers", true)}))) == 1
}

# unsafe-sysctls

test_unsafe_sysctls if {
	tuned := web_pod_security({"sysctls": [
		{"name": "net.ipv4.tcp_keepalive_time", "value": "600"},
		{"name": "net.ipv4.tcp_rmem", "value": "4096 131072 6291456"},
		{"name": "net.ipv4.tcp_wmem", "value": "4096 16384 4194304"},
		{"name": "net.ipv4.tcp_slow_start_after_idle", "value": "0"},
		{"name": "net.ipv4.tcp_notsent_lowat", "value": "131072"},
		{"name": "net.core.somaxconn", "value": "4096"},
		{"name": "kernel.msgmax", "value": "65536"},
	]})
	found("unsafe-sysctls", changed({"web": tuned})) == {
		[web_index, concat("", [web_ref, ": sets the sysctl net.core.somaxconn, which is not one of the safe ones isolated to the pod: it may change the kernel's behaviour for the other pods of the node, and the kubelet refuses the pod unless its --allowed-unsafe-sysctls lists it; remove it from spec.securityContext.sysctls, or tune the node instead"])],
		[web_index, concat("", [web_ref, ": sets the sysctl kernel.msgmax, which is not one of the safe ones isolated to the pod: it may change the kernel's behaviour for the other pods of the node, and the kubelet refuses the pod unless its --allowed-unsafe-sysctls lists it; remove it from spec.securityContext.sysctls, or tune the node instead"])],
	}
}

# probe-host

test_probe_host if {
	probed := web_container({
		"livenessProbe": {"httpGet": {"path": "/web/health", "port": 8069, "host": "169.254.169.254"}},
		"readinessProbe": {"httpGet": {"path": "/web/health", "port": 8069, "host": ""}},
		"startupProbe": {"tcpSocket": {"port": 8069}},
		"lifecycle": {"preStop": {"tcpSocket": {"port": 10250, "host": "10.0.0.1"}}, "postStart": {"exec": {"command": ["true"]}}},
	})
	found("probe-host", changed({"web": probed})) == {
		[web_index, concat("", [web_where, ": livenessProbe.httpGet.host is 169.254.169.254: the kubelet connects to it from the node, so the pod's manifest sends the node to another address (the kubelet's own ports, the cloud's metadata service, other networks) and learns from the probe whether it answers; remove host, so that the kubelet connects to the pod's own IP"])],
		[web_index, concat("", [web_where, ": lifecycle.preStop.tcpSocket.host is 10.0.0.1: the kubelet connects to it from the node, so the pod's manifest sends the node to another address (the kubelet's own ports, the cloud's metadata service, other networks) and learns from the probe whether it answers; remove host, so that the kubelet connects to the pod's own IP"])],
	}
	count(found("probe-host", changed({"web": with_init({"startupProbe": {"tcpSocket": {"port": 1, "host": "node"}}})}))) == 1
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
