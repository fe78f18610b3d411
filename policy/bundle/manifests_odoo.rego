# The Odoo rules of andon.manifests: what odoo.conf and the Odoo command
# line say, wherever Odoo reads them from.
#
# A subject is one place Odoo takes its configuration from: an Odoo
# container, with the odoo.conf files mounted into it and its command line,
# which overrides them; or an odoo.conf that no Odoo server in the set
# mounts, checked on its own. A finding names where to fix it: the
# ConfigMap or Secret key when the value comes from a file, the container
# when it comes from the command line or when the container has no file.
package andon.manifests

catalogue["odoo-list-db"] := {"severity": "deny", "scope": "set", "title": "Odoo must not list its databases (list_db = False)"}

catalogue["odoo-admin-passwd"] := {"severity": "deny", "scope": "set", "title": "The database manager's master password (admin_passwd) must be set and not admin"}

catalogue["odoo-dbfilter"] := {"severity": "deny", "scope": "set", "title": "Odoo must be pinned to its database: db_name, or a dbfilter anchored with ^ and $"}

catalogue["odoo-conf-password-in-configmap"] := {"severity": "deny", "scope": "object", "title": "An odoo.conf that holds a password must be in a Secret, not a ConfigMap"}

catalogue["odoo-dev-mode"] := {"severity": "deny", "scope": "object", "title": "Odoo's developer mode (dev_mode, --dev) must be off"}

catalogue["odoo-log-level"] := {"severity": "warn", "scope": "object", "title": "Odoo must not log at a debug level"}

catalogue["odoo-demo-data"] := {"severity": "warn", "scope": "set", "title": "Odoo must not load demonstration data (without_demo = all)"}

catalogue["odoo-workers"] := {"severity": "warn", "scope": "set", "title": "Odoo must run worker processes (workers > 0)"}

catalogue["odoo-memory-limits"] := {"severity": "deny", "scope": "set", "title": "limit_memory_soft < limit_memory_hard <= the container's memory limit"}

catalogue["odoo-time-limits"] := {"severity": "warn", "scope": "set", "title": "limit_time_cpu and limit_time_real must be set"}

catalogue["odoo-proxy-mode"] := {"severity": "warn", "scope": "set", "title": "proxy_mode must be on exactly when a proxy routes to Odoo"}

# Odoo containers.

# An Odoo container runs an image whose name contains odoo, or a command
# named odoo or odoo-bin.
odoo_container(c) if contains(lower(image_basename(image_of(c))), "odoo")

odoo_container(c) if {
	command := array_at(c, "command")
	count(command) > 0
	last(split(str(command[0]), "/")) in {"odoo", "odoo-bin"}
}

# odoo_version is the major version in the image tag (17 for odoo:17.0,
# odoo:17.0-20261120 or odoo:saas-17.2); 0 when the tag does not say.
odoo_version(image) := to_number(m[0][1]) if {
	m := regex.find_all_string_submatch_n(`^(?:saas-)?([0-9]+)`, image_tag(image), 1)
	count(m) == 1
} else := 0

# The command line. Each option is given as the odoo.conf option it sets.
cli_names := {
	"--database": "db_name",
	"-d": "db_name",
	"--db-filter": "dbfilter",
	"--db_password": "db_password",
	"-w": "db_password",
	"--workers": "workers",
	"--limit-memory-soft": "limit_memory_soft",
	"--limit-memory-hard": "limit_memory_hard",
	"--limit-time-cpu": "limit_time_cpu",
	"--limit-time-real": "limit_time_real",
	"--dev": "dev_mode",
	"--log-level": "log_level",
	"--without-demo": "without_demo",
	"--load": "server_wide_modules",
	"--data-dir": "data_dir",
	"-D": "data_dir",
	"--http-port": "http_port",
	"-p": "http_port",
	"--gevent-port": "gevent_port",
	"--longpolling-port": "longpolling_port",
	"--max-cron-threads": "max_cron_threads",
}

cli_flags := {
	"--no-database-list": ["list_db", "False"],
	"--proxy-mode": ["proxy_mode", "True"],
	"--stop-after-init": ["stop_after_init", "True"],
	"--with-demo": ["with_demo", "True"],
}

# cli_options returns the odoo.conf options a container's command line
# sets; the last of an option given twice wins, as in Odoo.
cli_options(c) := {key: last([p[1] | some p in pairs; p[0] == key]) |
	pairs := cli_pairs(tokens(array.concat(array_at(c, "command"), array_at(c, "args"))))
	some pair in pairs
	key := pair[0]
}

cli_pairs(ws) := [p |
	some i, w in ws
	some p in cli_pair(ws, i, w)
]

cli_pair(ws, i, w) := [cli_flags[w]] if {
	cli_flags[w]
} else := [[cli_names[name], concat("=", array.slice(parts, 1, count(parts)))]] if {
	parts := split(w, "=")
	count(parts) > 1
	name := parts[0]
	cli_names[name]
} else := [[cli_names[w], ws[i + 1]]] if {
	cli_names[w]
	i + 1 < count(ws)
	not startswith(ws[i + 1], "-")
} else := []

# odoo.conf files: the [options] section of every ConfigMap or Secret key
# holding one.
conf_files contains f if {
	some d in docs
	kind_of(d.object) in {"ConfigMap", "Secret"}
	is_object(d.odooConf)
	some key, sections in d.odooConf
	is_object(sections.options)
	f := {
		"index": d.index,
		"key": key,
		"kind": kind_of(d.object),
		"where": sprintf("%s key %s", [ref(d.object), key]),
		"sections": sections,
		"options": sections.options,
	}
}

# mounted_confs returns the odoo.conf files mounted into a container.
mounted_confs(w, c) := [f |
	some m in mounted_objects(w, c)
	some f in conf_files
	f.index == m.doc.index
	mounted_key(m, f.key)
]

# A mount with a subPath mounts one key; one without mounts every key, or
# those its volume's items list.
mounted_key(m, key) if {
	sub := str(object.get(m.mount, "subPath", ""))
	sub != ""
	key_path(m.volume, key) == sub
}

mounted_key(m, key) if {
	str(object.get(m.mount, "subPath", "")) == ""
	key_path(m.volume, key)
}

key_path(v, key) := key if {
	count(volume_items(v)) == 0
} else := first([item.path | some item in volume_items(v); item.key == key])

volume_items(v) := array_at(v.configMap, "items") if {
	is_object(v.configMap)
} else := array_at(v.secret, "items") if {
	is_object(v.secret)
} else := []

# Subjects.

container_subjects contains s if {
	some e in containers
	not e.init
	odoo_container(e.container)
	w := workloads[e.index]
	args := cli_options(e.container)
	s := {
		"index": e.index,
		"where": e.where,
		"cli": true,
		"workload": e.index,
		"owner": sprintf("%s %s of %s", [subject_word(e), str(object.get(e.container, "name", "")), w.ref]),
		"container": e.container,
		"server": serving(e, w, args),
		"args": args,
		"confs": mounted_confs(w, e.container),
		"version": odoo_version(image_of(e.container)),
	}
}

subject_word(e) := "ephemeral container" if {
	e.ephemeral
} else := "container"

# A server keeps serving requests; a Job, or a container that stops after
# installing or updating modules, does not. Nor does an Odoo that kubectl
# debug starts in an ephemeral container (odoo shell, a one-off update):
# like a Job's, its command line and data are checked, and the rules
# about serving requests are not its.
serving(e, w, args) := false if {
	e.ephemeral
} else := false if {
	args.stop_after_init
} else := w.kind in serving_kinds

file_subjects contains s if {
	some f in conf_files
	not served_file(f)
	s := {
		"index": f.index,
		"where": f.where,
		"cli": false,
		"workload": -1,
		"owner": f.where,
		"container": {},
		"server": true,
		"args": {},
		"confs": [f],
		"version": 0,
	}
}

served_file(f) if {
	some s in container_subjects
	s.server
	some g in s.confs
	g.index == f.index
	g.key == f.key
}

subjects := container_subjects | file_subjects

servers := {s | some s in subjects; s.server}

# setting returns an option's value and where it is set: the command line
# first, then the files in the order they are mounted.
setting(s, key) := {"value": s.args[key], "index": s.index, "where": s.where, "cli": true} if {
	is_string(s.args[key])
} else := {"value": f.options[key], "index": f.index, "where": f.where, "cli": false} if {
	files := [f | some f in s.confs; is_string(f.options[key])]
	count(files) > 0
	f := files[0]
}

# unset_at is where to add an option nobody sets: the first odoo.conf
# mounted, or the command line when there is none.
unset_at(s) := {"index": f.index, "where": f.where, "cli": false} if {
	count(s.confs) > 0
	f := s.confs[0]
} else := {"index": s.index, "where": s.where, "cli": true}

# value returns an option's value, or what Odoo uses when it is not set.
value(s, key, fallback) := setting(s, key).value if {
	setting(s, key)
} else := fallback

set_in(s, key) if setting(s, key)

# at returns where an option is set, or where to add it.
at(s, key) := setting(s, key) if {
	set_in(s, key)
} else := unset_at(s)

# fix says what to change, in odoo.conf or on the command line.
fix(place, conf, cli) := cli if {
	place.cli
} else := conf

# Odoo turns a boolean off only for False or false: 0 or no are true.
false_value(v) if v in {"False", "false"}

on(s, key) if {
	v := value(s, key, "False")
	not false_value(v)
	v != ""
}

workers(s) := n if {
	n := integer(value(s, "workers", "0"))
} else := 0

# odoo-list-db

findings contains finding("odoo-list-db", place, sprintf("list_db = %s leaves the database list on: the database manager shows every database to anyone who reaches Odoo; %s", [place.value, fix(place, "set list_db = False", "pass --no-database-list")])) if {
	whole_set
	some s in servers
	place := setting(s, "list_db")
	not false_value(place.value)
}

findings contains finding("odoo-list-db", place, sprintf("list_db is not set, and Odoo lists its databases by default: the database manager shows every database to anyone who reaches Odoo; %s", [fix(place, "add list_db = False", "pass --no-database-list")])) if {
	whole_set
	some s in servers
	not set_in(s, "list_db")
	place := unset_at(s)
}

# odoo-admin-passwd

findings contains finding("odoo-admin-passwd", place, sprintf("admin_passwd is not set, so the master password of the database manager is Odoo's default, admin: whoever reaches it can drop, dump or restore every database; %s", [fix(place, "set admin_passwd to a long random secret", "mount an odoo.conf from a Secret that sets admin_passwd to a long random secret")])) if {
	whole_set
	some s in servers
	not set_in(s, "admin_passwd")
	place := unset_at(s)
}

findings contains finding("odoo-admin-passwd", place, "admin_passwd is admin, Odoo's default: whoever reaches the database manager can drop, dump or restore every database; set admin_passwd to a long random secret") if {
	whole_set
	some s in servers
	place := setting(s, "admin_passwd")
	lower(place.value) == "admin"
}

# odoo-dbfilter

findings contains finding("odoo-dbfilter", place, sprintf("dbfilter = %s is not anchored: it must start with ^, end with $ and not match any name with .*, or Odoo serves databases it should not; %s", [place.value, fix(place, "write dbfilter = ^<database>$ (or ^%d$ to take the database from the host name)", "pass --db-filter=^<database>$")])) if {
	whole_set
	some s in servers
	place := setting(s, "dbfilter")
	place.value != ""
	not anchored(place.value)
}

findings contains finding("odoo-dbfilter", place, sprintf("neither db_name nor dbfilter is set, so Odoo serves any database its PostgreSQL role can open; %s", [fix(place, "set db_name = <database> (and dbfilter = ^<database>$)", "pass --database=<database> (and --db-filter=^<database>$)")])) if {
	whole_set
	some s in servers
	value(s, "db_name", "") in {"", "False", "false"}
	value(s, "dbfilter", "") == ""
	place := unset_at(s)
}

anchored(filter) if {
	startswith(filter, "^")
	endswith(filter, "$")
	not contains(filter, ".*")
}

# odoo-conf-password-in-configmap

secret_name_pattern := `(?i)(passw|secret|token|api_?key)`

findings contains finding("odoo-conf-password-in-configmap", f, sprintf("this odoo.conf holds %s, which anyone allowed to read ConfigMaps can see; move it into a Secret and mount that instead", [phrase(names)])) if {
	some f in conf_files
	f.kind == "ConfigMap"
	names := sort({name |
		some section in f.sections
		is_object(section)
		some name, v in section
		regex.match(secret_name_pattern, name)
		not str(v) in {"", "False", "false"}
	})
	count(names) > 0
}

# odoo-dev-mode

findings contains finding("odoo-dev-mode", place, sprintf("dev_mode = %s turns on Odoo's developer mode: views, templates and assets are read from the files instead of the database, and its werkzeug option opens an interactive debugger to whoever reaches Odoo; %s", [place.value, fix(place, "remove dev_mode", "remove --dev")])) if {
	some s in servers
	place := setting(s, "dev_mode")
	not place.value in {"", "False", "false", "None"}
}

# odoo-log-level

debug_levels := {"debug", "debug_rpc", "debug_sql", "debug_rpc_answer"}

findings contains finding("odoo-log-level", place, sprintf("log_level = %s writes every SQL query or RPC call, with the personal data they carry, to the logs and slows Odoo down; %s", [place.value, fix(place, "set log_level = info", "pass --log-level=info")])) if {
	some s in servers
	place := setting(s, "log_level")
	place.value in debug_levels
}

# odoo-demo-data. Odoo 19 loads no demonstration data unless told to
# (with_demo); earlier versions load it unless told not to (without_demo).

findings contains finding("odoo-demo-data", place, sprintf("with_demo is on: Odoo loads demonstration data (fake partners, products and orders) into new databases and the modules it installs, and it cannot be removed cleanly; %s", [fix(place, "remove with_demo", "remove --with-demo")])) if {
	whole_set
	some s in subjects
	s.version >= 19
	on(s, "with_demo")
	place := at(s, "with_demo")
}

findings contains finding("odoo-demo-data", place, sprintf("%s: Odoo loads demonstration data (fake partners, products and orders) into new databases and the modules it installs, and it cannot be removed cleanly; %s", [demo_state(s), fix(place, "set without_demo = all", "pass --without-demo=all")])) if {
	whole_set
	some s in subjects
	s.version < 19
	not value(s, "without_demo", "") in {"all", "True", "true"}
	place := at(s, "without_demo")
}

demo_state(s) := sprintf("without_demo = %s", [setting(s, "without_demo").value]) if {
	set_in(s, "without_demo")
} else := "without_demo is not set"

# odoo-workers

findings contains finding("odoo-workers", place, sprintf("%s, so Odoo runs threaded: one process serves every request, and limit_memory_* and limit_time_* do not apply; %s", [workers_state(s), fix(place, "set workers to about 2 per CPU plus 1 (workers = 5 for 2 CPUs)", "pass --workers=5 (about 2 per CPU plus 1)")])) if {
	whole_set
	some s in servers
	workers(s) == 0
	place := at(s, "workers")
}

workers_state(s) := "workers is not set" if {
	not set_in(s, "workers")
} else := sprintf("workers = %s", [setting(s, "workers").value])

# odoo-memory-limits. Odoo's limits are bytes per worker process: above
# the soft limit a worker is recycled after its request, above the hard
# limit it is stopped at once. Both apply only with workers.

default_memory_soft := 2147483648

default_memory_hard := 2684354560

memory(s, key, fallback) := n if {
	n := integer(value(s, key, fallback))
}

findings contains finding("odoo-memory-limits", place, sprintf("%s = %s is not a number of bytes, as Odoo reads it; write it in bytes (2147483648 for 2 GiB)", [key, place.value])) if {
	whole_set
	some s in servers
	workers(s) > 0
	some key in ["limit_memory_soft", "limit_memory_hard"]
	place := setting(s, key)
	not integer(place.value)
}

findings contains finding("odoo-memory-limits", place, sprintf("limit_memory_soft (%d bytes) is not below limit_memory_hard (%d bytes): a worker would be stopped mid-request before it is ever recycled gracefully; %s", [soft, hard, fix(place, "set limit_memory_soft below limit_memory_hard", "pass a --limit-memory-soft below --limit-memory-hard")])) if {
	whole_set
	some s in servers
	workers(s) > 0
	soft := memory(s, "limit_memory_soft", default_memory_soft)
	hard := memory(s, "limit_memory_hard", default_memory_hard)
	soft >= hard
	place := at(s, "limit_memory_soft")
}

findings contains finding("odoo-memory-limits", place, sprintf("%s is %d bytes, above the memory limit %v (%d bytes) of %s: the kernel kills the process for memory before Odoo can stop the worker; %s, or raise the container's limit", [hard_state(s), hard, limit, bytes, s.owner, fix(place, sprintf("set limit_memory_hard to at most %d", [bytes]), sprintf("pass --limit-memory-hard=%d or less", [bytes]))])) if {
	whole_set
	some s in servers
	workers(s) > 0
	limit := s.container.resources.limits.memory
	bytes := quantity(limit)
	hard := memory(s, "limit_memory_hard", default_memory_hard)
	hard > bytes
	place := at(s, "limit_memory_hard")
}

hard_state(s) := "limit_memory_hard" if {
	set_in(s, "limit_memory_hard")
} else := "limit_memory_hard is not set, so Odoo's default"

# odoo-time-limits

findings contains finding("odoo-time-limits", place, sprintf("%s is not set, so Odoo's default of %s seconds applies unexamined: a long report or import is killed, or a runaway request holds a worker; %s", [key, seconds, fix(place, sprintf("set %s to what your longest request needs", [key]), sprintf("pass --%s to what your longest request needs", [replace(key, "_", "-")]))])) if {
	whole_set
	some s in servers
	some key, seconds in {"limit_time_cpu": "60", "limit_time_real": "120"}
	not set_in(s, key)
	place := unset_at(s)
}

findings contains finding("odoo-time-limits", place, sprintf("%s = %s is not a positive number of seconds (0 turns the limit off and lets a request hold a worker for ever); %s", [key, place.value, fix(place, sprintf("set %s to what your longest request needs", [key]), sprintf("pass --%s to what your longest request needs", [replace(key, "_", "-")]))])) if {
	whole_set
	some s in servers
	some key in ["limit_time_cpu", "limit_time_real"]
	place := setting(s, key)
	not positive(place.value)
}

# positive is a rule of its own: negated, integer(v) > 0 would be undefined
# rather than true for a value that is not a number.
positive(v) if integer(v) > 0

# odoo-proxy-mode

findings contains finding("odoo-proxy-mode", place, sprintf("proxy_mode is on, but no Ingress or IngressRoute of the set routes to this Odoo: Odoo then believes the X-Forwarded-For and X-Forwarded-Host headers of whoever reaches it directly; %s", [fix(place, "set proxy_mode = False, or add the route", "remove --proxy-mode, or add the route")])) if {
	whole_set
	some s in servers
	on(s, "proxy_mode")
	not proxied(s)
	place := at(s, "proxy_mode")
}

findings contains finding("odoo-proxy-mode", place, sprintf("the set routes to this Odoo through %s, but proxy_mode is off: Odoo sees the proxy's address instead of the client's and builds http:// links behind a TLS proxy; %s", [route_names(s), fix(place, "set proxy_mode = True", "pass --proxy-mode")])) if {
	whole_set
	some s in container_subjects
	s.server
	count(server_routes(s)) > 0
	not on(s, "proxy_mode")
	place := at(s, "proxy_mode")
}

# A container is proxied when a route of the set reaches its workload; a
# file on its own, when the set has any route at all.
proxied(s) if count(server_routes(s)) > 0

proxied(s) if {
	s.workload == -1
	count(routes) > 0
}

server_routes(s) := object.get(routes_to, s.workload, set())

route_names(s) := phrase(sort({r.ref | some r in server_routes(s)}))
