# The namespace rules of andon.manifests: what every governed namespace
# (a namespace of an environment of the catalog, from settings.namespaces)
# needs around its workloads, and secrets kept where they belong.
package andon.manifests

catalogue["namespace-network-policy"] := {"severity": "deny", "scope": "set", "title": "A governed namespace with workloads needs a NetworkPolicy"}

catalogue["namespace-resource-quota"] := {"severity": "deny", "scope": "set", "title": "A governed namespace with workloads needs a ResourceQuota"}

catalogue["configmap-secret"] := {"severity": "deny", "scope": "object", "title": "ConfigMaps must not hold secrets"}

catalogue["env-secret-literal"] := {"severity": "deny", "scope": "object", "title": "Secrets must not be written into a container's environment or command line"}

# The governed namespaces that run workloads of the set.
busy_namespaces := {ns |
	some ns, _ in governed_namespaces
	some w in workloads
	w.ns == ns
}

# namespace_place is where a namespace's finding goes: its Namespace
# object, or else its first workload.
namespace_place(ns) := at_object(d) if {
	d := first([d |
		some d in docs
		kind_of(d.object) == "Namespace"
		name_of(d.object) == ns
	])
} else := {"index": i, "where": workloads[i].ref} if {
	i := min({w.index | some w in workloads; w.ns == ns})
}

environment_name(ns) := name if {
	name := governed_namespaces[ns].environment
	is_string(name)
} else := ns

# namespace-network-policy

findings contains finding("namespace-network-policy", namespace_place(ns), sprintf("namespace %s of environment %s runs workloads, but the set has no NetworkPolicy for it: any pod of the cluster reaches Odoo, PostgreSQL and Redis directly, around the ingress; add a NetworkPolicy that denies ingress by default and allows the ingress controller to Odoo and Odoo to its database and Redis", [ns, environment_name(ns)])) if {
	whole_set
	some ns in busy_namespaces
	not ["NetworkPolicy", ns] in kinds
}

# namespace-resource-quota

findings contains finding("namespace-resource-quota", namespace_place(ns), sprintf("namespace %s of environment %s runs workloads, but the set has no ResourceQuota for it: a runaway workload or a forgotten test takes the capacity the ERP needs; add a ResourceQuota for requests.cpu, requests.memory and limits.memory", [ns, environment_name(ns)])) if {
	whole_set
	some ns in busy_namespaces
	not ["ResourceQuota", ns] in kinds
}

# Names that look like secrets: password, passwd, secret, token, api_key.
# A name ending in _file or _path names where a secret is, not the secret.
secret_name(name) if {
	regex.match(secret_name_pattern, name)
	not regex.match(`(?i)[_.-](file|path)$`, name)
}

# configmap-secret

findings contains finding("configmap-secret", at_object(d), sprintf("key %s looks like a secret, and anyone allowed to read ConfigMaps can read it; move it into a Secret and refer to it with secretKeyRef or a secret volume", [key])) if {
	some d in docs
	kind_of(d.object) == "ConfigMap"
	values := object.get(d.object, "data", {})
	is_object(values)
	some key, v in values
	secret_name(key)
	trim_space(str(v)) != ""
}

# env-secret-literal

findings contains finding("env-secret-literal", e, sprintf("environment variable %s holds a literal secret, readable by anyone who can read the workload and kept in its history; take it from a Secret with valueFrom.secretKeyRef", [env.name])) if {
	some e in containers
	some env in array_at(e.container, "env")
	secret_name(str(env.name))
	v := env.value
	is_string(v)
	v != ""
	not contains(v, "$(")
}

# The command line of every Odoo container, init containers included:
# they are no subjects of the Odoo rules (an init container that installs
# or updates modules does not serve), but their command line is as
# readable as any other.
findings contains finding("env-secret-literal", e, "passes the database password on the command line (--db_password), readable by anyone who can read the workload or list its processes; set db_password in an odoo.conf mounted from a Secret, or take it from a Secret through the environment") if {
	some e in containers
	odoo_container(e.container)
	v := cli_options(e.container).db_password
	v != ""
	not contains(v, "$(")
}
