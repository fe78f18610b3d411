# Unit tests of the namespace rules of andon.manifests
# (manifests_namespaces.rego). The fixtures are in manifests_test.rego.
package andon.manifests

# staging_web is web in the staging namespace, which is governed but not
# production.
staging_web := json.patch(web, [{"op": "replace", "path": "/metadata/namespace", "value": "odoo-staging-lyon"}])

# namespace-network-policy

test_network_policy if {
	found("namespace-network-policy", good_stack) == set()
	found("namespace-network-policy", changed({"network": null})) == {[0, "Namespace odoo-prod-lyon: namespace odoo-prod-lyon of environment prod-lyon runs workloads, but the set has no NetworkPolicy for it: any pod of the cluster reaches Odoo, PostgreSQL and Redis directly, around the ingress; add a NetworkPolicy that denies ingress by default and allows the ingress controller to Odoo and Odoo to its database and Redis"]}
}

test_network_policy_reported_on_first_workload if {
	# Without the Namespace object, the first workload of the namespace.
	found("namespace-network-policy", changed({"network": null, "namespace": null})) == {[3, "Deployment odoo-prod-lyon/odoo-web: namespace odoo-prod-lyon of environment prod-lyon runs workloads, but the set has no NetworkPolicy for it: any pod of the cluster reaches Odoo, PostgreSQL and Redis directly, around the ingress; add a NetworkPolicy that denies ingress by default and allows the ingress controller to Odoo and Odoo to its database and Redis"]}
}

test_network_policy_only_for_governed_namespaces_with_workloads if {
	# Staging is governed: its Odoo needs its own policy.
	messages("namespace-network-policy", added([staging_web])) == {"Deployment odoo-staging-lyon/odoo-web: namespace odoo-staging-lyon of environment staging-lyon runs workloads, but the set has no NetworkPolicy for it: any pod of the cluster reaches Odoo, PostgreSQL and Redis directly, around the ingress; add a NetworkPolicy that denies ingress by default and allows the ingress controller to Odoo and Odoo to its database and Redis"}
	other := json.patch(web, [{"op": "replace", "path": "/metadata/namespace", "value": "sandbox"}])
	found("namespace-network-policy", added([other])) == set()
	found("namespace-network-policy", stack([conf_with({})])) == set()
}

test_network_policy_not_weighed_for_one_object if {
	# One object alone, as the admission webhook reviews it: the set
	# rules skip themselves, the object rules still apply.
	alone := {"objects": [{"index": 0, "object": web}], "settings": good_stack.settings, "scope": "object"}
	not whole_set with input as alone
	count(found("namespace-network-policy", object.remove(alone, ["scope"]))) == 1
	found("namespace-network-policy", alone) == set()
	count(found("container-resources", json.patch(alone, [{"op": "remove", "path": "/objects/0/object/spec/template/spec/containers/0/resources"}]))) == 1
}

test_environment_name if {
	environment_name(ns) == "prod-lyon" with input as good_stack
	environment_name("elsewhere") == "elsewhere" with input as good_stack
}

# namespace-resource-quota

test_resource_quota if {
	found("namespace-resource-quota", good_stack) == set()
	found("namespace-resource-quota", changed({"quota": null})) == {[0, "Namespace odoo-prod-lyon: namespace odoo-prod-lyon of environment prod-lyon runs workloads, but the set has no ResourceQuota for it: a runaway workload or a forgotten test takes the capacity the ERP needs; add a ResourceQuota for requests.cpu, requests.memory and limits.memory"]}
}

# configmap-secret

test_secret_name if {
	secret_name("SMTP_PASSWORD")
	secret_name("db_passwd")
	secret_name("client-secret")
	secret_name("GITHUB_TOKEN")
	secret_name("stripe.api_key")
	secret_name("APIKEY")
	not secret_name("API_TOKEN_FILE")
	not secret_name("password_path")
	not secret_name("SMTP_HOST")
}

test_configmap_secret if {
	found("configmap-secret", good_stack) == set()
	env := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("odoo-env"), "data": {"SMTP_PASSWORD": "x", "API_TOKEN_FILE": "/run/secrets/token", "GITHUB_TOKEN": " ", "SMTP_HOST": "smtp"}}
	found("configmap-secret", added([env])) == {[16, "ConfigMap odoo-prod-lyon/odoo-env: key SMTP_PASSWORD looks like a secret, and anyone allowed to read ConfigMaps can read it; move it into a Secret and refer to it with secretKeyRef or a secret volume"]}
	found("configmap-secret", added([{"apiVersion": "v1", "kind": "Secret", "metadata": meta("smtp"), "data": {"SMTP_PASSWORD": "eA=="}}])) == set()
	found("configmap-secret", added([{"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("odd"), "data": "junk"}])) == set()
}

# env-secret-literal

test_env_secret_literal if {
	found("env-secret-literal", good_stack) == set()
	env := [
		{"name": "PASSWORD", "value": "odoo"},
		{"name": "REDIS_PASSWORD", "value": "$(SECRET)"},
		{"name": "API_KEY", "valueFrom": {"secretKeyRef": {"name": "k", "key": "k"}}},
		{"name": "PASSWORD_FILE", "value": "/run/secrets/db"},
		{"name": "STRIPE_API_KEY", "value": ""},
	]
	found("env-secret-literal", changed({"web": web_container({"env": env})})) == {[web_index, concat("", [web_where, ": environment variable PASSWORD holds a literal secret, readable by anyone who can read the workload and kept in its history; take it from a Secret with valueFrom.secretKeyRef"])]}
}

test_env_secret_literal_on_the_command_line if {
	found("env-secret-literal", changed({"web": web_container({"args": ["--db_password=odoo"]})})) == {[web_index, concat("", [web_where, ": passes the database password on the command line (--db_password), readable by anyone who can read the workload or list its processes; set db_password in an odoo.conf mounted from a Secret, or take it from a Secret through the environment"])]}
	found("env-secret-literal", changed({"web": web_container({"args": ["-w", "$(PGPASSWORD)"]})})) == set()
}

test_env_secret_literal_on_the_command_line_of_an_init_container if {
	# An init container that updates the modules before the server
	# starts is no Odoo subject, but its command line is as readable.
	update := patch(web, "/spec/template/spec/initContainers", [object.union(web_odoo_container, {"name": "update-modules", "args": ["-u", "all", "--stop-after-init", "--db_password", "odoo"]})])
	messages("env-secret-literal", changed({"web": update})) == {"Deployment odoo-prod-lyon/odoo-web: init container update-modules: passes the database password on the command line (--db_password), readable by anyone who can read the workload or list its processes; set db_password in an odoo.conf mounted from a Secret, or take it from a Secret through the environment"}

	# Not in a container that is no Odoo, where -w means something else.
	waiter := patch(web, "/spec/template/spec/initContainers", [{"name": "wait-for-db", "image": "registry.example.com/library/busybox:1.36", "command": ["sh", "-c", "until nc -w 2 odoo-db 5432; do sleep 1; done"]}])
	messages("env-secret-literal", changed({"web": waiter})) == set()
}
