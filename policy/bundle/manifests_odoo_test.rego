# Unit tests of the Odoo rules of andon.manifests (manifests_odoo.rego).
# The fixtures are in manifests_test.rego.
package andon.manifests

conf_where := "Secret odoo-prod-lyon/odoo-conf key odoo.conf"

web_where := "Deployment odoo-prod-lyon/odoo-web: container odoo"

conf_index := index_of("conf")

web_index := index_of("web")

# A stack whose only Odoo container is given these arguments and no
# odoo.conf.
web_args(args) := changed({"conf": null, "web": web_container({"args": args})})

# The same Deployment run as a Job that installs modules and stops.
install_job(args) := changed({"web": json.patch(web_container({"args": args}), [{"op": "replace", "path": "/kind", "value": "Job"}])})

configmap_conf(files) := {
	"k8s": json.patch(conf_secret({}).k8s, [{"op": "replace", "path": "/kind", "value": "ConfigMap"}]),
	"odooConf": files,
}

# Odoo containers, versions and the command line.

test_odoo_container if {
	odoo_container({"image": "registry.example.com/acme/odoo-custom:17.0"})
	odoo_container({"image": "registry.example.com/acme/erp:17.0", "command": ["/opt/odoo/odoo-bin"]})
	not odoo_container({"image": "registry.example.com/odoo/redis:7"})
	odoo_container({"image": "registry.example.com/acme/erp:17.0", "command": ["odoo"]})
	not odoo_container({"image": "registry.example.com/acme/erp:17.0", "command": []})
	not odoo_container({"image": "registry.example.com/acme/erp:17.0", "command": ["/usr/bin/odoorunner"]})
}

test_odoo_version if {
	odoo_version(odoo_image) == 17
	odoo_version("odoo:16") == 16
	odoo_version("registry.example.com/odoo:saas-17.2") == 17
	odoo_version("odoo:latest") == 0
	odoo_version("odoo") == 0
}

test_cli_options if {
	c := {"command": ["odoo"], "args": [
		"--config=/etc/odoo/odoo.conf", "--no-database-list", "--proxy-mode",
		"--workers", "4", "--db-filter=^lyon$", "-d", "odoo_lyon", "--dev=all",
		"--workers=6", "--load=base,web,queue_job", "--unknown", "x",
		"--log-level", "--limit-time-cpu",
	]}
	cli_options(c) == {
		"list_db": "False", "proxy_mode": "True", "workers": "6", "dbfilter": "^lyon$",
		"db_name": "odoo_lyon", "dev_mode": "all", "server_wide_modules": "base,web,queue_job",
	}
	cli_options({"command": ["sh", "-c", "exec odoo --workers=2 --limit-time-real 300"]}) == {"workers": "2", "limit_time_real": "300"}
	cli_options({}) == {}
}

test_mounted_confs if {
	w := workloads[web_index] with input as good_stack
	[f.key | some f in mounted_confs(w, web_odoo_container)] == ["odoo.conf"] with input as good_stack
	two := {"k8s": conf_secret({}).k8s, "odooConf": {"odoo.conf": {"options": good_options}, "queue.conf": {"options": good_options}}}
	keys := {f.key | some f in mounted_confs(w, web_odoo_container)} with input as changed({"conf": two})
	keys == {"odoo.conf"}
}

test_mounted_key if {
	whole := {"mount": {"mountPath": "/etc/odoo"}, "volume": {"secret": {"secretName": "c"}}}
	mounted_key(whole, "odoo.conf")
	mounted_key(whole, "queue.conf")
	items := {"mount": {"mountPath": "/etc/odoo"}, "volume": {"configMap": {"name": "c", "items": [{"key": "queue.conf", "path": "odoo.conf"}]}}}
	mounted_key(items, "queue.conf")
	not mounted_key(items, "odoo.conf")
	sub := {"mount": {"mountPath": "/etc/odoo/odoo.conf", "subPath": "odoo.conf"}, "volume": {"secret": {"secretName": "c", "items": [{"key": "queue.conf", "path": "odoo.conf"}]}}}
	mounted_key(sub, "queue.conf")
	not mounted_key(sub, "odoo.conf")
	plain_sub := {"mount": {"mountPath": "/etc/odoo/odoo.conf", "subPath": "odoo.conf"}, "volume": {"projected": {"sources": []}}}
	mounted_key(plain_sub, "odoo.conf")
	not mounted_key(plain_sub, "queue.conf")
}

test_subjects if {
	[s.where | some s in subjects] == [web_where] with input as good_stack

	# Without the Deployment, its odoo.conf is checked on its own.
	[s.where | some s in subjects] == [conf_where] with input as changed({"web": null})

	# A Job's file is checked on its own too, for the server rules.
	got := {[s.where, s.server] | some s in subjects} with input as install_job(["--stop-after-init"])
	got == {["Job odoo-prod-lyon/odoo-web: container odoo", false], [conf_where, true]}
}

test_serving if {
	serving({}, {"kind": "Deployment"}, {}) == true
	serving({}, {"kind": "Job"}, {}) == false
	serving({}, {"kind": "Deployment"}, {"stop_after_init": "True"}) == false
	serving({"ephemeral": true}, {"kind": "Pod"}, {}) == false
}

# An Odoo that kubectl debug starts in an ephemeral container (odoo
# shell) is checked as a Job's is: its command line, not the rules about
# serving requests.
test_odoo_in_an_ephemeral_container if {
	shell := debugger({"image": odoo_image, "command": ["odoo", "shell"], "args": ["-d", "odoo_lyon", "--dev=all", "--log-level=debug", "--db_password=odoo"]})
	got := {[s.where, s.owner, s.server] | some s in subjects} with input as debug_pod([shell])
	got == {
		["Pod odoo-prod-lyon/odoo-web-7d9c5b8f6d-x2x9z: container odoo", "container odoo of Pod odoo-prod-lyon/odoo-web-7d9c5b8f6d-x2x9z", true],
		[debug_where, "ephemeral container debugger of Pod odoo-prod-lyon/odoo-web-7d9c5b8f6d-x2x9z", false],
	}
	messages("env-secret-literal", debug_pod([shell])) == {concat("", [debug_where, ": passes the database password on the command line (--db_password), readable by anyone who can read the workload or list its processes; set db_password in an odoo.conf mounted from a Secret, or take it from a Secret through the environment"])}
	found("odoo-dev-mode", debug_pod([shell])) == set()
	found("odoo-log-level", debug_pod([shell])) == set()
}

test_setting_command_line_overrides_file if {
	s := {"index": 5, "where": "w", "args": {"workers": "8"}, "confs": [{"index": 3, "where": "f", "options": {"workers": "4", "list_db": "False"}}]}
	setting(s, "workers") == {"value": "8", "index": 5, "where": "w", "cli": true}
	setting(s, "list_db") == {"value": "False", "index": 3, "where": "f", "cli": false}
	not setting(s, "dbfilter")
	unset_at(s) == {"index": 3, "where": "f", "cli": false}
	unset_at({"index": 5, "where": "w", "args": {}, "confs": []}) == {"index": 5, "where": "w", "cli": true}
	value(s, "dbfilter", "") == ""
	at(s, "workers").cli
	at(s, "dbfilter") == unset_at(s)
	workers({"index": 0, "where": "w", "args": {"workers": "many"}, "confs": []}) == 0
}

test_false_value if {
	false_value("False")
	false_value("false")
	not false_value("0")
	on({"index": 0, "where": "w", "args": {"proxy_mode": "1"}, "confs": []}, "proxy_mode")
	not on({"index": 0, "where": "w", "args": {"proxy_mode": ""}, "confs": []}, "proxy_mode")
	not on({"index": 0, "where": "w", "args": {}, "confs": []}, "proxy_mode")
}

# odoo-list-db

test_list_db if {
	found("odoo-list-db", good_stack) == set()
	found("odoo-list-db", changed({"conf": conf_with({"list_db": "True"})})) == {[conf_index, concat("", [conf_where, ": list_db = True leaves the database list on: the database manager shows every database to anyone who reaches Odoo; set list_db = False"])]}
}

test_list_db_unset if {
	found("odoo-list-db", changed({"conf": conf_with({"list_db": null})})) == {[conf_index, concat("", [conf_where, ": list_db is not set, and Odoo lists its databases by default: the database manager shows every database to anyone who reaches Odoo; add list_db = False"])]}
	found("odoo-list-db", web_args([])) == {[index_of("web") - 1, concat("", [web_where, ": list_db is not set, and Odoo lists its databases by default: the database manager shows every database to anyone who reaches Odoo; pass --no-database-list"])]}
	found("odoo-list-db", web_args(["--no-database-list"])) == set()
}

test_list_db_zero_is_true if {
	# Odoo turns a boolean off only for False: 0 leaves the list on.
	messages("odoo-list-db", changed({"conf": conf_with({"list_db": "0"})})) == {concat("", [conf_where, ": list_db = 0 leaves the database list on: the database manager shows every database to anyone who reaches Odoo; set list_db = False"])}
}

test_list_db_command_line_wins if {
	i := changed({"conf": conf_with({"list_db": "True"}), "web": web_container({"args": ["--config=/etc/odoo/odoo.conf", "--no-database-list"]})})
	found("odoo-list-db", i) == set()
}

test_list_db_file_on_its_own if {
	found("odoo-list-db", changed({"web": null, "conf": conf_with({"list_db": "True"})})) == {[conf_index, concat("", [conf_where, ": list_db = True leaves the database list on: the database manager shows every database to anyone who reaches Odoo; set list_db = False"])]}
}

test_list_db_not_for_jobs if {
	found("odoo-list-db", install_job(["-d", "odoo_lyon", "-i", "base", "--stop-after-init"])) == set()
}

# odoo-admin-passwd

test_admin_passwd if {
	found("odoo-admin-passwd", good_stack) == set()
	found("odoo-admin-passwd", changed({"conf": conf_with({"admin_passwd": "Admin"})})) == {[conf_index, concat("", [conf_where, ": admin_passwd is admin, Odoo's default: whoever reaches the database manager can drop, dump or restore every database; set admin_passwd to a long random secret"])]}
}

test_admin_passwd_unset if {
	messages("odoo-admin-passwd", changed({"conf": conf_with({"admin_passwd": null})})) == {concat("", [conf_where, ": admin_passwd is not set, so the master password of the database manager is Odoo's default, admin: whoever reaches it can drop, dump or restore every database; set admin_passwd to a long random secret"])}
	messages("odoo-admin-passwd", web_args([])) == {concat("", [web_where, ": admin_passwd is not set, so the master password of the database manager is Odoo's default, admin: whoever reaches it can drop, dump or restore every database; mount an odoo.conf from a Secret that sets admin_passwd to a long random secret"])}
}

# odoo-dbfilter

test_dbfilter_not_anchored if {
	found("odoo-dbfilter", good_stack) == set()
	found("odoo-dbfilter", changed({"conf": conf_with({"dbfilter": "^odoo.*$"})})) == {[conf_index, concat("", [conf_where, ": dbfilter = ^odoo.*$ is not anchored: it must start with ^, end with $ and not match any name with .*, or Odoo serves databases it should not; write dbfilter = ^<database>$ (or ^%d$ to take the database from the host name)"])]}
	count(found("odoo-dbfilter", changed({"conf": conf_with({"dbfilter": "odoo_lyon"})}))) == 1
	messages("odoo-dbfilter", web_args(["--database=odoo_lyon", "--db-filter=.*"])) == {concat("", [web_where, ": dbfilter = .* is not anchored: it must start with ^, end with $ and not match any name with .*, or Odoo serves databases it should not; pass --db-filter=^<database>$"])}
}

test_dbfilter_or_db_name if {
	# Either pins Odoo to its database.
	found("odoo-dbfilter", changed({"conf": conf_with({"dbfilter": null})})) == set()
	found("odoo-dbfilter", changed({"conf": conf_with({"db_name": null})})) == set()
	found("odoo-dbfilter", changed({"conf": conf_with({"dbfilter": "", "db_name": "False"})})) == {[conf_index, concat("", [conf_where, ": neither db_name nor dbfilter is set, so Odoo serves any database its PostgreSQL role can open; set db_name = <database> (and dbfilter = ^<database>$)"])]}
	messages("odoo-dbfilter", web_args(["--no-database-list"])) == {concat("", [web_where, ": neither db_name nor dbfilter is set, so Odoo serves any database its PostgreSQL role can open; pass --database=<database> (and --db-filter=^<database>$)"])}
}

# odoo-conf-password-in-configmap

test_conf_password_in_configmap if {
	found("odoo-conf-password-in-configmap", good_stack) == set()
	files := {"odoo.conf": {"options": good_options, "queue_job": {"jobrunner_db_password": "x", "http_auth_password": "False"}, "comment": "a section that is not one"}}
	found("odoo-conf-password-in-configmap", changed({"conf": configmap_conf(files)})) == {[conf_index, "ConfigMap odoo-prod-lyon/odoo-conf key odoo.conf: this odoo.conf holds admin_passwd, db_password and jobrunner_db_password, which anyone allowed to read ConfigMaps can see; move it into a Secret and mount that instead"]}
}

test_conf_without_password_in_configmap if {
	files := {"odoo.conf": {"options": {"admin_passwd": "", "db_password": "False", "workers": "4"}}}
	found("odoo-conf-password-in-configmap", changed({"conf": configmap_conf(files)})) == set()
}

# odoo-dev-mode

test_dev_mode if {
	found("odoo-dev-mode", good_stack) == set()
	found("odoo-dev-mode", changed({"conf": conf_with({"dev_mode": "False"})})) == set()
	found("odoo-dev-mode", changed({"conf": conf_with({"dev_mode": "all"})})) == {[conf_index, concat("", [conf_where, ": dev_mode = all turns on Odoo's developer mode: views, templates and assets are read from the files instead of the database, and its werkzeug option opens an interactive debugger to whoever reaches Odoo; remove dev_mode"])]}
	found("odoo-dev-mode", changed({"web": web_container({"args": ["--config=/etc/odoo/odoo.conf", "--dev", "reload,qweb"]})})) == {[web_index, concat("", [web_where, ": dev_mode = reload,qweb turns on Odoo's developer mode: views, templates and assets are read from the files instead of the database, and its werkzeug option opens an interactive debugger to whoever reaches Odoo; remove --dev"])]}
}

# odoo-log-level

test_log_level if {
	found("odoo-log-level", good_stack) == set()
	found("odoo-log-level", changed({"conf": conf_with({"log_level": "debug_rpc_answer"})})) == {[conf_index, concat("", [conf_where, ": log_level = debug_rpc_answer writes every SQL query or RPC call, with the personal data they carry, to the logs and slows Odoo down; set log_level = info"])]}
	messages("odoo-log-level", changed({"web": web_container({"args": ["--log-level=debug"]})})) == {concat("", [web_where, ": log_level = debug writes every SQL query or RPC call, with the personal data they carry, to the logs and slows Odoo down; pass --log-level=info"])}
	found("odoo-log-level", changed({"conf": conf_with({"log_level": "warn"})})) == set()
}

# odoo-demo-data

test_demo_data if {
	found("odoo-demo-data", good_stack) == set()
	found("odoo-demo-data", changed({"conf": conf_with({"without_demo": "True"})})) == set()
	found("odoo-demo-data", changed({"conf": conf_with({"without_demo": null})})) == {[conf_index, concat("", [conf_where, ": without_demo is not set: Odoo loads demonstration data (fake partners, products and orders) into new databases and the modules it installs, and it cannot be removed cleanly; set without_demo = all"])]}
	messages("odoo-demo-data", changed({"conf": conf_with({"without_demo": "sale"})})) == {concat("", [conf_where, ": without_demo = sale: Odoo loads demonstration data (fake partners, products and orders) into new databases and the modules it installs, and it cannot be removed cleanly; set without_demo = all"])}
}

test_demo_data_of_a_job if {
	# A Job that creates a database or installs modules matters most.
	messages("odoo-demo-data", install_job(["-d", "odoo_lyon", "-i", "base", "--stop-after-init", "--without-demo=False"])) == {concat("", ["Job odoo-prod-lyon/odoo-web: container odoo: without_demo = False: Odoo loads demonstration data (fake partners, products and orders) into new databases and the modules it installs, and it cannot be removed cleanly; pass --without-demo=all"])}
	found("odoo-demo-data", install_job(["-i", "base", "--stop-after-init", "--without-demo", "all"])) == set()
}

test_demo_data_odoo_19 if {
	# Odoo 19 loads demonstration data only when told to.
	odoo_19 := "registry.example.com/odoo/odoo:19.0@sha256:0000000000000000000000000000000000000000000000000000000000000000"
	found("odoo-demo-data", changed({"conf": conf_with({"without_demo": null}), "web": web_container({"image": odoo_19})})) == set()
	found("odoo-demo-data", changed({"web": web_container({"image": odoo_19, "args": ["--with-demo"]})})) == {[web_index, concat("", [web_where, ": with_demo is on: Odoo loads demonstration data (fake partners, products and orders) into new databases and the modules it installs, and it cannot be removed cleanly; remove --with-demo"])]}
}

# odoo-workers

test_workers if {
	found("odoo-workers", good_stack) == set()
	found("odoo-workers", changed({"conf": conf_with({"workers": null})})) == {[conf_index, concat("", [conf_where, ": workers is not set, so Odoo runs threaded: one process serves every request, and limit_memory_* and limit_time_* do not apply; set workers to about 2 per CPU plus 1 (workers = 5 for 2 CPUs)"])]}
	messages("odoo-workers", changed({"conf": conf_with({"workers": "four"})})) == {concat("", [conf_where, ": workers = four, so Odoo runs threaded: one process serves every request, and limit_memory_* and limit_time_* do not apply; set workers to about 2 per CPU plus 1 (workers = 5 for 2 CPUs)"])}
	messages("odoo-workers", changed({"web": web_container({"args": ["--workers=0"]})})) == {concat("", [web_where, ": workers = 0, so Odoo runs threaded: one process serves every request, and limit_memory_* and limit_time_* do not apply; pass --workers=5 (about 2 per CPU plus 1)"])}
}

# odoo-memory-limits

test_memory_limits if {
	found("odoo-memory-limits", good_stack) == set()
	found("odoo-memory-limits", changed({"conf": conf_with({"limit_memory_soft": "2147483648"})})) == {[conf_index, concat("", [conf_where, ": limit_memory_soft (2147483648 bytes) is not below limit_memory_hard (2147483648 bytes): a worker would be stopped mid-request before it is ever recycled gracefully; set limit_memory_soft below limit_memory_hard"])]}
	messages("odoo-memory-limits", changed({"web": web_container({"args": ["--limit-memory-soft=3000000000", "--limit-memory-hard=2000000000"]})})) == {concat("", [web_where, ": limit_memory_soft (3000000000 bytes) is not below limit_memory_hard (2000000000 bytes): a worker would be stopped mid-request before it is ever recycled gracefully; pass a --limit-memory-soft below --limit-memory-hard"])}
}

test_memory_limits_not_bytes if {
	found("odoo-memory-limits", changed({"conf": conf_with({"limit_memory_soft": "2G"})})) == {[conf_index, concat("", [conf_where, ": limit_memory_soft = 2G is not a number of bytes, as Odoo reads it; write it in bytes (2147483648 for 2 GiB)"])]}
}

test_memory_limits_above_container_limit if {
	found("odoo-memory-limits", changed({"web": web_container({"args": ["--limit-memory-hard=9663676416"]})})) == {[web_index, concat("", [web_where, ": limit_memory_hard is 9663676416 bytes, above the memory limit 8Gi (8589934592 bytes) of container odoo of Deployment odoo-prod-lyon/odoo-web: the kernel kills the process for memory before Odoo can stop the worker; pass --limit-memory-hard=8589934592 or less, or raise the container's limit"])]}
}

test_memory_limits_default_above_container_limit if {
	small := web_container({"resources": {"requests": {"cpu": "2", "memory": "1Gi"}, "limits": {"memory": "2Gi"}}})
	found("odoo-memory-limits", changed({"conf": conf_with({"limit_memory_hard": null}), "web": small})) == {[conf_index, concat("", [conf_where, ": limit_memory_hard is not set, so Odoo's default is 2684354560 bytes, above the memory limit 2Gi (2147483648 bytes) of container odoo of Deployment odoo-prod-lyon/odoo-web: the kernel kills the process for memory before Odoo can stop the worker; set limit_memory_hard to at most 2147483648, or raise the container's limit"])]}
}

test_memory_limits_only_with_workers if {
	found("odoo-memory-limits", changed({"conf": conf_with({"workers": "0", "limit_memory_soft": "9999999999"})})) == set()
}

# odoo-time-limits

test_time_limits if {
	found("odoo-time-limits", good_stack) == set()
	found("odoo-time-limits", changed({"conf": conf_with({"limit_time_cpu": null, "limit_time_real": null})})) == {
		[conf_index, concat("", [conf_where, ": limit_time_cpu is not set, so Odoo's default of 60 seconds applies unexamined: a long report or import is killed, or a runaway request holds a worker; set limit_time_cpu to what your longest request needs"])],
		[conf_index, concat("", [conf_where, ": limit_time_real is not set, so Odoo's default of 120 seconds applies unexamined: a long report or import is killed, or a runaway request holds a worker; set limit_time_real to what your longest request needs"])],
	}
}

test_time_limits_not_positive if {
	messages("odoo-time-limits", changed({"conf": conf_with({"limit_time_real": "0"})})) == {concat("", [conf_where, ": limit_time_real = 0 is not a positive number of seconds (0 turns the limit off and lets a request hold a worker for ever); set limit_time_real to what your longest request needs"])}
	messages("odoo-time-limits", changed({"web": web_container({"args": ["--limit-time-cpu", "abc"]})})) == {concat("", [web_where, ": limit_time_cpu = abc is not a positive number of seconds (0 turns the limit off and lets a request hold a worker for ever); pass --limit-time-cpu to what your longest request needs"])}
}

test_positive if {
	positive("600")
	not positive("0")
	not positive("ten")
}

# odoo-proxy-mode

test_proxy_mode_without_proxy if {
	found("odoo-proxy-mode", good_stack) == set()
	found("odoo-proxy-mode", changed({"http": null, "https": null})) == {[conf_index, concat("", [conf_where, ": proxy_mode is on, but no Ingress or IngressRoute of the set routes to this Odoo: Odoo then believes the X-Forwarded-For and X-Forwarded-Host headers of whoever reaches it directly; set proxy_mode = False, or add the route"])]}
}

test_proxy_mode_off_behind_proxy if {
	found("odoo-proxy-mode", changed({"conf": conf_with({"proxy_mode": "False"})})) == {[conf_index, concat("", [conf_where, ": the set routes to this Odoo through IngressRoute odoo-prod-lyon/odoo and IngressRoute odoo-prod-lyon/odoo-http, but proxy_mode is off: Odoo sees the proxy's address instead of the client's and builds http:// links behind a TLS proxy; set proxy_mode = True"])]}
	messages("odoo-proxy-mode", web_args([])) == {concat("", [web_where, ": the set routes to this Odoo through IngressRoute odoo-prod-lyon/odoo and IngressRoute odoo-prod-lyon/odoo-http, but proxy_mode is off: Odoo sees the proxy's address instead of the client's and builds http:// links behind a TLS proxy; pass --proxy-mode"])}
	found("odoo-proxy-mode", web_args(["--proxy-mode"])) == set()
}

test_proxy_mode_file_on_its_own if {
	# A file no server mounts is proxied when the set has any route.
	found("odoo-proxy-mode", changed({"web": null})) == set()
	count(found("odoo-proxy-mode", changed({"web": null, "http": null, "https": null}))) == 1
}
