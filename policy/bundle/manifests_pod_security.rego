# The Pod Security rules of andon.manifests: the controls of the
# Kubernetes Pod Security Standards' baseline profile, which keep a pod
# from reaching its node (privileged containers, the node's namespaces,
# files, ports and kernel settings, capabilities beyond the runtime's
# default set) and from leaving the confinement of the container runtime
# (seccomp, AppArmor, SELinux, /proc). The restricted profile's
# allowPrivilegeEscalation and runAsNonRoot are in manifests_workloads.rego.
#
# Each applies to every container, init and ephemeral containers
# included, and to the pod they share: a setting of the pod is reported
# on the containers that inherit it, or on the workload when it is the
# pod's alone (its namespaces, volumes and sysctls) or when every
# container sets its own. The baseline judges the pod's setting whether
# or not a container overrides it, and so do these rules: a container
# added later (kubectl debug's) inherits it.
#
# The fields and values follow the checks of Kubernetes'
# pod-security-admission at its latest policy version (1.37).
package andon.manifests

catalogue["privileged-container"] := {"severity": "deny", "scope": "object", "title": "Containers must not be privileged (privileged, hostProcess)"}

catalogue["host-namespaces"] := {"severity": "deny", "scope": "object", "title": "Pods must not share the node's network, PID or IPC namespace"}

catalogue["host-path-volume"] := {"severity": "deny", "scope": "object", "title": "Pods must not mount hostPath volumes"}

catalogue["host-port"] := {"severity": "deny", "scope": "object", "title": "Containers must not bind a port of the node (hostPort)"}

catalogue["added-capabilities"] := {"severity": "deny", "scope": "object", "title": "Containers must add no capability beyond the Pod Security baseline's"}

catalogue["seccomp-unconfined"] := {"severity": "deny", "scope": "object", "title": "Containers must not run without seccomp (seccompProfile Unconfined)"}

catalogue["apparmor-unconfined"] := {"severity": "deny", "scope": "object", "title": "Containers must not run without AppArmor (unconfined)"}

catalogue["selinux-options"] := {"severity": "deny", "scope": "object", "title": "Containers must not set an SELinux user, role or a type other than the container types"}

catalogue["proc-mount"] := {"severity": "deny", "scope": "object", "title": "Containers must use the default /proc mount (procMount: Default)"}

catalogue["probe-host"] := {"severity": "deny", "scope": "object", "title": "Probes and lifecycle hooks must not send the kubelet to another host"}

catalogue["unsafe-sysctls"] := {"severity": "deny", "scope": "object", "title": "Pods may set only the safe sysctls"}

# pod_security returns the pod's security context.
pod_security(w) := s if {
	s := w.pod.securityContext
	is_object(s)
} else := {}

# effective returns a security setting of a container at path, or else
# its pod's: the container's overrides the pod's.
effective(e, path) := v if {
	v := object.get(security(e.container), path, null)
	v != null
} else := object.get(pod_security(workloads[e.index]), path, null)

at_workload(w) := {"index": w.index, "where": w.ref}

# pod_setting_unused reports whether no container of w inherits its pod's
# setting at path: each sets its own (or the pod has none).
pod_setting_unused(w, path) if not pod_setting_inherited(w, path)

pod_setting_inherited(w, path) if {
	some e in containers
	e.index == w.index
	object.get(security(e.container), path, null) == null
}

# pod_setting_reason says why a setting of the pod that every container
# overrides is reported all the same.
pod_setting_reason := "every container sets its own, but one added later inherits it (kubectl debug's ephemeral container), and the Pod Security baseline refuses the pod for it all the same"

# privileged-container

findings contains finding("privileged-container", e, "privileged is true: the container has every capability and the node's devices, and a process in it is root on the node; remove securityContext.privileged") if {
	some e in containers
	security(e.container).privileged == true
}

findings contains finding("privileged-container", e, "windowsOptions.hostProcess is true, in the container or its pod: the container runs as a process of the Windows node, outside any isolation; remove securityContext.windowsOptions.hostProcess") if {
	some e in containers
	effective(e, ["windowsOptions", "hostProcess"]) == true
}

findings contains finding("privileged-container", at_workload(w), sprintf("the pod's windowsOptions.hostProcess is true: %s; remove spec.securityContext.windowsOptions.hostProcess", [pod_setting_reason])) if {
	some w in workloads
	pod_security(w).windowsOptions.hostProcess == true
	pod_setting_unused(w, ["windowsOptions", "hostProcess"])
}

# host-namespaces

host_namespace_effect := {
	"hostNetwork": "the pod is on the node's network: it reaches the services the node listens on (the kubelet, localhost ports) and every port it opens is open on the node, around NetworkPolicies",
	"hostPID": "the pod sees every process of the node and can signal or trace those of its user, other pods' included",
	"hostIPC": "the pod shares the node's shared memory and message queues with every process of the node",
}

findings contains finding("host-namespaces", at_workload(w), sprintf("%s is true: %s; remove spec.%s from the pod template", [field, effect, field])) if {
	some w in workloads
	some field, effect in host_namespace_effect
	w.pod[field] == true
}

# host-path-volume

findings contains finding("host-path-volume", at_workload(w), sprintf("volume %s is the node's directory %s (hostPath): the pod reads and writes the node's files, the kubelet's and other pods' included, and what it writes stays on that one node; use a PersistentVolumeClaim, a ConfigMap or Secret, or an emptyDir", [str(object.get(v, "name", "")), str(object.get(v.hostPath, "path", ""))])) if {
	some w in workloads
	some v in array_at(w.pod, "volumes")
	is_object(v.hostPath)
}

# plural picks the word for one name or several.
plural(names, one, _) := one if count(names) == 1

plural(names, _, many) := many if count(names) != 1

# host-port. The baseline allows host ports from a known list: an
# environment of the catalog lists those its containers may bind
# (kubernetes.hostPorts), for the namespace it governs.

findings contains finding("host-port", e, sprintf("port %s binds port %v of the node (hostPort): it is reachable on the node's address, around the Service, the ingress and its TLS, and two pods of the workload cannot run on one node; remove hostPort and expose the port through a Service%s", [port_name(p), p.hostPort, host_port_hint(ns)])) if {
	some e in containers
	ns := workloads[e.index].ns
	some p in array_at(e.container, "ports")
	is_number(p.hostPort)
	p.hostPort != 0
	not p.hostPort in allowed_host_ports(ns)
}

# allowed_host_ports returns the host ports the environment governing
# namespace ns allows.
allowed_host_ports(ns) := {p | some p in array_at(object.get(governed_namespaces, ns, {}), "hostPorts"); is_number(p)}

host_port_hint(ns) := sprintf(", or, where a node agent needs it, list it in the kubernetes.hostPorts of environment %s in the catalog%s", [governed_namespaces[ns].environment, allowed_now(allowed_host_ports(ns))]) if {
	is_string(governed_namespaces[ns].environment)
} else := ""

allowed_now(ports) := sprintf(" (which allows %s)", [phrase([sprintf("%v", [p]) | some p in sort(ports)])]) if {
	count(ports) > 0
} else := ""

port_name(p) := sprintf("%s (%v)", [p.name, p.containerPort]) if {
	is_string(p.name)
} else := sprintf("%v", [object.get(p, "containerPort", "?")])

# added-capabilities. The baseline allows the capabilities container
# runtimes grant by default, written as it lists them: a runtime accepts
# CAP_CHOWN or chown too, but the baseline refuses the pod for them.

baseline_capabilities := {
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
	"NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}

# added_capabilities returns the capabilities a container adds that the
# baseline does not list as written.
added_capabilities(e) := {c |
	some c in array_at(object.get(security(e.container), "capabilities", {}), "add")
	is_string(c)
	not c in baseline_capabilities
}

findings contains finding("added-capabilities", e, sprintf("adds %s, beyond the capabilities a container runtime grants by default: with %s a process reaches past the container, to the node's kernel, network or other processes; remove %s from securityContext.capabilities.add (Odoo needs none)", [phrase(added), plural(added, "it", "them"), plural(added, "it", "them")])) if {
	some e in containers
	added := sort({c | some c in added_capabilities(e); not capability(c) in baseline_capabilities})
	count(added) > 0
}

findings contains finding("added-capabilities", e, sprintf("adds %s, which the Pod Security baseline refuses as written though the runtime reads %s as %s, which it allows; write %s", [phrase(misspelt), plural(misspelt, "it", "them"), phrase(meant), phrase(meant)])) if {
	some e in containers
	misspelt := sort({c | some c in added_capabilities(e); capability(c) in baseline_capabilities})
	count(misspelt) > 0
	meant := [capability(c) | some c in misspelt]
}

capability(c) := trim_prefix(upper(c), "CAP_")

# seccomp-unconfined

findings contains finding("seccomp-unconfined", e, "seccompProfile is Unconfined, in the container or its pod: every system call of the kernel is open to it, those that container escapes go through included; set securityContext.seccompProfile.type: RuntimeDefault") if {
	some e in containers
	effective(e, ["seccompProfile", "type"]) == "Unconfined"
}

findings contains finding("seccomp-unconfined", at_workload(w), sprintf("the pod's seccompProfile is Unconfined: %s; set spec.securityContext.seccompProfile.type: RuntimeDefault", [pod_setting_reason])) if {
	some w in workloads
	pod_security(w).seccompProfile.type == "Unconfined"
	pod_setting_unused(w, ["seccompProfile", "type"])
}

# apparmor-unconfined: the field (Kubernetes 1.30 and later), or the
# annotation of the pod that came before it.

findings contains finding("apparmor-unconfined", e, "appArmorProfile is Unconfined, in the container or its pod: the runtime's AppArmor profile, which denies writes to /proc and /sys and mounts, does not apply; set securityContext.appArmorProfile.type: RuntimeDefault, or remove it") if {
	some e in containers
	effective(e, ["appArmorProfile", "type"]) == "Unconfined"
}

findings contains finding("apparmor-unconfined", at_workload(w), sprintf("the pod's appArmorProfile is Unconfined: %s; set spec.securityContext.appArmorProfile.type: RuntimeDefault, or remove it", [pod_setting_reason])) if {
	some w in workloads
	pod_security(w).appArmorProfile.type == "Unconfined"
	pod_setting_unused(w, ["appArmorProfile", "type"])
}

findings contains finding("apparmor-unconfined", e, sprintf("the pod's annotation %s is unconfined: the runtime's AppArmor profile, which denies writes to /proc and /sys and mounts, does not apply; remove the annotation, or set it to runtime/default", [key])) if {
	some e in containers
	key := concat("", ["container.apparmor.security.beta.kubernetes.io/", str(object.get(e.container, "name", ""))])
	workloads[e.index].annotations[key] == "unconfined"
}

# selinux-options. The container's options replace the pod's whole, as
# the kubelet applies them; the baseline judges each where it is written.

selinux_types := {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}

findings contains finding("selinux-options", e, sprintf("seLinuxOptions set %s, in the container or its pod: a process of the container runs in another SELinux context than the runtime's, which may open the node's files to it (spc_t is unconfined); remove %s, or use type container_t", [phrase(unsafe), plural(unsafe, "it", "them")])) if {
	some e in containers
	unsafe := unsafe_selinux_options(selinux_options(e))
	count(unsafe) > 0
}

findings contains finding("selinux-options", at_workload(w), sprintf("the pod's seLinuxOptions set %s: %s; remove %s, or use type container_t", [phrase(unsafe), pod_setting_reason, plural(unsafe, "it", "them")])) if {
	some w in workloads
	unsafe := unsafe_selinux_options(object.get(pod_security(w), "seLinuxOptions", {}))
	count(unsafe) > 0
	pod_setting_unused(w, ["seLinuxOptions"])
}

selinux_options(e) := o if {
	o := security(e.container).seLinuxOptions
	is_object(o)
} else := object.get(pod_security(workloads[e.index]), "seLinuxOptions", {})

unsafe_selinux_options(options) := [sprintf("%s %s", [field, options[field]]) |
	is_object(options)
	some field in ["type", "user", "role"]
	unsafe_selinux(field, str(object.get(options, field, "")))
]

unsafe_selinux("type", v) if not v in selinux_types

unsafe_selinux(field, v) if {
	field in {"user", "role"}
	v != ""
}

# proc-mount. A pod in a user namespace of its own (hostUsers: false)
# may unmask /proc: root in it is no one on the node, and the baseline
# allows it since Kubernetes 1.35.

user_namespaced(w) if w.pod.hostUsers == false

findings contains finding("proc-mount", e, sprintf("procMount is %s: /proc is mounted without the masks that hide the node's kernel settings and keys from the container; remove securityContext.procMount, or set it to Default", [mount])) if {
	some e in containers
	not user_namespaced(workloads[e.index])
	mount := security(e.container).procMount
	is_string(mount)
	mount != "Default"
}

# unsafe-sysctls. The safe ones are namespaced and isolated from the other
# pods of the node: the baseline's list of Kubernetes 1.37.

safe_sysctls := {
	"kernel.shm_rmid_forced",
	"net.ipv4.ip_local_port_range",
	"net.ipv4.ip_unprivileged_port_start",
	"net.ipv4.tcp_syncookies",
	"net.ipv4.ping_group_range",
	"net.ipv4.ip_local_reserved_ports",
	"net.ipv4.tcp_keepalive_time",
	"net.ipv4.tcp_fin_timeout",
	"net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes",
	"net.ipv4.tcp_rmem",
	"net.ipv4.tcp_wmem",
	"net.ipv4.tcp_slow_start_after_idle",
	"net.ipv4.tcp_notsent_lowat",
}

findings contains finding("unsafe-sysctls", at_workload(w), sprintf("sets the sysctl %s, which is not one of the safe ones isolated to the pod: it may change the kernel's behaviour for the other pods of the node, and the kubelet refuses the pod unless its --allowed-unsafe-sysctls lists it; remove it from spec.securityContext.sysctls, or tune the node instead", [name])) if {
	some w in workloads
	some s in array_at(pod_security(w), "sysctls")
	name := str(object.get(s, "name", ""))
	not name in safe_sysctls
}

# probe-host. The kubelet runs httpGet and tcpSocket probes and lifecycle
# hooks from the node, to the pod's IP unless host names another; the
# baseline refuses a host since Kubernetes 1.34.

probe_handlers := {
	"livenessProbe": ["livenessProbe"],
	"readinessProbe": ["readinessProbe"],
	"startupProbe": ["startupProbe"],
	"lifecycle.postStart": ["lifecycle", "postStart"],
	"lifecycle.preStop": ["lifecycle", "preStop"],
}

findings contains finding("probe-host", e, sprintf("%s.%s.host is %s: the kubelet connects to it from the node, so the pod's manifest sends the node to another address (the kubelet's own ports, the cloud's metadata service, other networks) and learns from the probe whether it answers; remove host, so that the kubelet connects to the pod's own IP", [name, action, host])) if {
	some e in containers
	some name, path in probe_handlers
	some action in ["httpGet", "tcpSocket"]
	host := object.get(e.container, array.concat(path, [action, "host"]), "")
	is_string(host)
	host != ""
}
