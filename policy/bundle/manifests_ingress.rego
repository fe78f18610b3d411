# The ingress rules of andon.manifests: how requests reach Odoo through
# Traefik IngressRoutes and Middlewares, Kubernetes Ingresses and Services.
#
# Every IngressRoute route and every Ingress path becomes a route of one
# shape: its hosts and path matchers, its priority, the middlewares it
# passes through and the Services it sends to. A route goes to Odoo when a
# Service it names selects the pods of an Odoo server, is named after Odoo,
# or uses Odoo's ports 8069 or 8072.
package andon.manifests

catalogue["ingress-database-manager"] := {"severity": "deny", "scope": "set", "title": "/web/database and the XML-RPC db service must be reachable only through an IP allow list"}

catalogue["ingress-tls"] := {"severity": "deny", "scope": "set", "title": "Routes to Odoo must terminate TLS"}

catalogue["ingress-https-redirect"] := {"severity": "warn", "scope": "set", "title": "Plain HTTP to Odoo's hosts must redirect to HTTPS"}

catalogue["odoo-websocket-route"] := {"severity": "deny", "scope": "set", "title": "/websocket (or /longpolling) must reach Odoo's gevent port when it runs workers"}

catalogue["traefik-tls-option"] := {"severity": "warn", "scope": "set", "title": "IngressRoutes to Odoo must use a TLSOption of the set"}

catalogue["traefik-tls-min-version"] := {"severity": "deny", "scope": "object", "title": "TLSOptions must set minVersion to VersionTLS12 or VersionTLS13"}

catalogue["traefik-crd-group"] := {"severity": "deny", "scope": "object", "title": "Traefik 3 does not serve the traefik.containo.us API group; use traefik.io"}

catalogue["traefik-crd-group-deprecated"] := {"severity": "warn", "scope": "object", "title": "The traefik.containo.us API group is deprecated; use traefik.io"}

catalogue["traefik-ipwhitelist"] := {"severity": "deny", "scope": "object", "title": "Traefik 3 has no ipWhiteList middleware; use ipAllowList"}

catalogue["service-exposes-odoo"] := {"severity": "deny", "scope": "object", "title": "No LoadBalancer or NodePort Service may expose Odoo's ports without TLS"}

traefik_groups := {"traefik.io", "traefik.containo.us"}

traefik(obj, kind) if {
	kind_of(obj) == kind
	api_group(obj) in traefik_groups
}

# Routes.

routes contains r if {
	some d in docs
	traefik(d.object, "IngressRoute")
	spec := d.object.spec
	ns := namespace_of(d.object)
	some route in array_at(spec, "routes")
	is_object(route)
	match := str(object.get(route, "match", ""))
	matchers := rule_matchers(match)
	middlewares := route_middlewares([{"ns": str(object.get(m, "namespace", ns)), "name": str(object.get(m, "name", "")), "annotation": false} |
		some m in array_at(route, "middlewares")
		is_object(m)
	])
	backends := [backend(str(object.get(svc, "namespace", ns)), svc) |
		some svc in array_at(route, "services")
		is_object(svc)
	]
	r := object.union(route_shape(backends, middlewares), {
		"index": d.index,
		"ref": ref(d.object),
		"where": sprintf("%s route %s", [ref(d.object), match]),
		"kind": "IngressRoute",
		"rule": match,
		"hosts": {h | some m in matchers; m.name == "Host"; not m.neg; some h in m.args},
		"matchers": matchers,
		"client_ip": count([m | some m in matchers; m.name == "ClientIP"; not m.neg]) > 0,
		"priority": route_priority(route, match),
		"explicit": explicit_priority(route),
		"rank": 0,
		"entrypoints": {e | some e in array_at(spec, "entryPoints")},
		"tls": is_object(object.get(spec, "tls", null)),
		"nginx_redirect": false,
		"allowlist_annotation": false,
	})
}

routes contains r if {
	some d in docs
	kind_of(d.object) == "Ingress"
	ns := namespace_of(d.object)
	notes := annotations_of(d.object)
	some path in ingress_paths(d.object)
	middlewares := route_middlewares([{"ns": ns, "name": trim_space(m), "annotation": true} |
		some m in split(str(object.get(notes, "traefik.ingress.kubernetes.io/router.middlewares", "")), ",")
		trim_space(m) != ""
	])
	backends := [backend(ns, {"name": path.backend.service.name, "port": service_port(path.backend.service)})]
	r := object.union(route_shape(backends, middlewares), {
		"index": d.index,
		"ref": ref(d.object),
		"where": sprintf("%s path %s%s", [ref(d.object), path.host, path.path]),
		"kind": "Ingress",
		"rule": sprintf("Host(`%s`) && %s(`%s`)", [path.host, path.matcher, path.path]),
		"hosts": {h | h := path.host; h != ""},
		"matchers": [{"neg": false, "name": path.matcher, "args": [path.path]}],
		"client_ip": false,
		"priority": ingress_priority(notes, path),
		"explicit": ingress_explicit(notes),
		"rank": ingress_rank(path),
		"entrypoints": {e | some e in split(str(object.get(notes, "traefik.ingress.kubernetes.io/router.entrypoints", "")), ","); e != ""},
		"tls": ingress_tls_flag(d.object, path.host),
		"nginx_redirect": nginx_redirect(d.object),
		"allowlist_annotation": count({k | some k, _ in notes; k in nginx_allowlist_annotations}) > 0,
	})
}

# route_shape holds what a route's middlewares and backends say.
route_shape(backends, middlewares) := {
	"backends": backends,
	"odoo": count([b | some b in backends; b.odoo]) > 0,
	"workloads": {i | some b in backends; some i in b.workloads},
	"allowlist": count([m | some m in middlewares; allowlist_middleware(m)]) > 0,
	"redirect": count([m | some m in middlewares; m.redirectScheme.scheme == "https"]) > 0,
}

# Traefik ranks a route without an explicit priority by the length of its
# rule; a longer rule wins.
route_priority(route, match) := route.priority if {
	explicit_priority(route)
} else := count(match)

explicit_priority(route) if {
	is_number(route.priority)
	route.priority > 0
} else := false

# The rule Traefik writes for an Ingress path gives its default priority.
ingress_priority(notes, path) := n if {
	n := integer(notes["traefik.ingress.kubernetes.io/router.priority"])
} else := count(sprintf("Host(`%s`) && %s(`%s`)", [path.host, path.matcher, path.path]))

ingress_explicit(notes) if {
	integer(notes["traefik.ingress.kubernetes.io/router.priority"])
} else := false

ingress_rank(path) := count(path.path) + 100000 if {
	path.matcher == "Path"
} else := count(path.path)

ingress_paths(ing) := [p |
	some rule in array_at(ing.spec, "rules")
	is_object(rule)
	host := str(object.get(rule, "host", ""))
	some item in array_at(object.get(rule, "http", {}), "paths")
	is_object(item)
	p := {
		"host": host,
		"path": ingress_path(item),
		"matcher": ingress_matcher(item),
		"backend": item.backend,
	}
]

ingress_path(item) := p if {
	p := item.path
	is_string(p)
	p != ""
} else := "/"

ingress_matcher(item) := "Path" if {
	item.pathType == "Exact"
} else := "PathPrefix"

service_port(svc) := n if {
	n := svc.port.number
} else := svc.port.name

ingress_tls_flag(ing, host) if {
	ingress_tls(ing, host)
} else := false

ingress_tls(ing, _) if {
	some t in array_at(ing.spec, "tls")
	count(array_at(t, "hosts")) == 0
}

ingress_tls(ing, host) if {
	some t in array_at(ing.spec, "tls")
	host in array_at(t, "hosts")
}

ingress_tls(ing, _) if annotations_of(ing)["traefik.ingress.kubernetes.io/router.tls"] == "true"

# ingress-nginx redirects to HTTPS by itself once an Ingress has TLS.
nginx_redirect(ing) if {
	contains(ingress_class(ing), "nginx")
	count(array_at(ing.spec, "tls")) > 0
	object.get(annotations_of(ing), "nginx.ingress.kubernetes.io/ssl-redirect", "true") != "false"
} else := false

ingress_class(ing) := str(ing.spec.ingressClassName) if {
	is_string(ing.spec.ingressClassName)
} else := str(object.get(annotations_of(ing), "kubernetes.io/ingress.class", ""))

nginx_allowlist_annotations := {
	"nginx.ingress.kubernetes.io/whitelist-source-range",
	"nginx.ingress.kubernetes.io/allowlist-source-range",
}

# Traefik rules. A matcher is Name(`arg`, …), perhaps negated with !;
# arguments are in backquotes or double quotes.
matcher_pattern := `(!?)\s*(PathPrefix|PathRegexp|Path|HostRegexp|HostSNI|Host|ClientIP)\(\s*((?:\x60[^\x60]*\x60|"[^"]*")(?:\s*,\s*(?:\x60[^\x60]*\x60|"[^"]*"))*)\s*\)`

rule_matchers(match) := [{"neg": m[1] == "!", "name": m[2], "args": matcher_args(m[3])} |
	some m in regex.find_all_string_submatch_n(matcher_pattern, match, -1)
]

matcher_args(text) := [a |
	some q in regex.find_all_string_submatch_n(`\x60([^\x60]*)\x60|"([^"]*)"`, text, -1)
	a := concat("", [q[1], q[2]])
]

path_kinds := {"PathPrefix", "Path", "PathRegexp"}

# route_matches reports whether a request for path may take a route.
route_matches(r, path) if {
	not excluded(r, path)
	count([m | some m in r.matchers; not m.neg; m.name in path_kinds]) == 0
}

route_matches(r, path) if {
	not excluded(r, path)
	some m in r.matchers
	not m.neg
	path_match(m, path)
}

excluded(r, path) if {
	some m in r.matchers
	m.neg
	path_match(m, path)
}

path_match(m, path) if {
	m.name == "PathPrefix"
	some a in m.args
	startswith(path, a)
}

path_match(m, path) if {
	m.name == "Path"
	path in m.args
}

path_match(m, path) if {
	m.name == "PathRegexp"
	some a in m.args
	regex.is_valid(a)
	regex.match(a, path)
}

# p takes every request r could for the hosts and entry points of r.
hosts_cover(p, _) if count(p.hosts) == 0

hosts_cover(p, r) if {
	count(r.hosts) > 0
	count(r.hosts - p.hosts) == 0
}

entrypoints_cover(p, _) if count(p.entrypoints) == 0

entrypoints_cover(p, r) if {
	count(r.entrypoints) > 0
	count(r.entrypoints - p.entrypoints) == 0
}

# outranks reports whether route p wins over route r for a request both
# match: with an explicit higher priority, or, between Ingress paths
# without one, by the Ingress rule that the longer path, and an exact one
# over a prefix, wins.
outranks(p, r) if {
	p.explicit
	p.priority > r.priority
}

# wins reports whether route p takes a request both p and r match, as
# Traefik decides: by priority, explicit or the length of the rule.
wins(p, r) if p.priority > r.priority

wins(p, r) if outranks(p, r)

outranks(p, r) if {
	p.kind == "Ingress"
	r.kind == "Ingress"
	not p.explicit
	not r.explicit
	p.rank > r.rank
}

# Middlewares. A reference names a Middleware of the set by namespace and
# name, or, from an Ingress annotation, as <namespace>-<name>@kubernetescrd;
# a chain is followed one level down.
route_middlewares(names) := [spec |
	some name in names
	some m in middleware(name)
	some spec in middleware_specs(m)
]

middleware(name) := found if {
	name.annotation
	found := object.get(middlewares_by_crd_name, name.name, set())
} else := found if {
	found := middlewares_by_name[[name.ns, name.name]]
} else := set()

# The Middlewares of the set, indexed once rather than searched for every
# reference: a set of a thousand objects has hundreds of references.
middlewares_by_name[[namespace_of(d.object), name_of(d.object)]] contains d.object if {
	some d in docs
	traefik(d.object, "Middleware")
}

middlewares_by_crd_name[sprintf("%s-%s@kubernetescrd", [namespace_of(d.object), name_of(d.object)])] contains d.object if {
	some d in docs
	traefik(d.object, "Middleware")
}

middleware_specs(m) := array.concat([object.get(m, "spec", {})], [spec |
	some link in array_at(object.get(m, ["spec", "chain"], {}), "middlewares")
	is_object(link)
	some c in middleware({"ns": str(object.get(link, "namespace", namespace_of(m))), "name": str(object.get(link, "name", "")), "annotation": false})
	spec := object.get(c, "spec", {})
])

# Traefik 2 knows ipWhiteList as well; Traefik 3 ignores it (see
# traefik-ipwhitelist).
allowlist_middleware(spec) if is_object(spec.ipAllowList)

allowlist_middleware(spec) if {
	is_object(spec.ipWhiteList)
	traefik_major < 3
}

# Backends.

odoo_ports := {8069, 8072}

odoo_servers := {s.workload | some s in container_subjects; s.server}

# backend describes a Service a route sends to: the Odoo servers it
# selects and the port of their pods it reaches (-1 when unknown).
backend(ns, svc) := b if {
	name := str(object.get(svc, "name", ""))
	port := object.get(svc, "port", null)
	selected := selected_servers(ns, name)
	target := target_port(ns, name, port, selected)
	b := {
		"name": name,
		"ns": ns,
		"workloads": selected,
		"target": target,
		"odoo": odoo_backend(svc, name, selected, port, target),
	}
}

# A TraefikService or a Traefik internal service (noop@internal) is not
# Odoo.
odoo_backend(svc, name, selected, port, target) := false if {
	svc.kind == "TraefikService"
} else := false if {
	contains(name, "@")
} else if {
	count(selected) > 0
} else if {
	contains(lower(name), "odoo")
} else if {
	port in odoo_ports
} else := target in odoo_ports

selected_servers(ns, name) := {i |
	service := named[["Service", ns, name]].object
	selector := service.spec.selector
	is_object(selector)
	count(selector) > 0
	some i in odoo_servers
	w := workloads[i]
	w.ns == ns
	every k, v in selector {
		w.labels[k] == v
	}
}

target_port(ns, name, port, selected) := t if {
	service := named[["Service", ns, name]].object
	t := first([pod_port(object.get(p, "targetPort", object.get(p, "port", -1)), selected) |
		some p in array_at(service.spec, "ports")
		is_object(p)
		port in {object.get(p, "port", null), object.get(p, "name", null)}
	])
} else := port if {
	is_number(port)
} else := -1

# pod_port turns a named target port into the number the pods declare.
pod_port(tp, selected) := tp if {
	is_number(tp)
} else := n if {
	ns := {c.containerPort |
		some i in selected
		some e in containers
		e.index == i
		some c in array_at(e.container, "ports")
		c.name == tp
	}
	count(ns) == 1
	some n in ns
} else := -1

# ingress-database-manager. Odoo's database manager (/web/database/*) and
# the XML-RPC db service drop, dump and restore whole databases, guarded
# only by the master password. A route to Odoo must not take requests for
# them unless a route that stops them (an IP allow list, a ClientIP
# matcher, or a service other than Odoo) takes them first, by an explicit
# higher priority: Traefik's default, the length of the rule, changes
# whenever someone edits a rule.

database_paths := {
	"/web/database/manager": "/web/database",
	"/web/database/selector": "/web/database",
	"/web/database/list": "/web/database",
	"/web/database/create": "/web/database",
	"/web/database/duplicate": "/web/database",
	"/web/database/drop": "/web/database",
	"/web/database/backup": "/web/database",
	"/web/database/restore": "/web/database",
	"/web/database/change_password": "/web/database",
	"/xmlrpc/db": "/xmlrpc/db",
	"/xmlrpc/2/db": "/xmlrpc/2/db",
}

# guards reports a route that keeps requests from Odoo's open door.
guards(r) if r.allowlist

guards(r) if r.allowlist_annotation

guards(r) if r.client_ip

guards(r) if not r.odoo

exposed_paths(r) := sort({family |
	some path, family in database_paths
	route_matches(r, path)
	not shielded(r, path)
})

# guarding are the routes that keep requests from Odoo, found once.
guarding contains p if {
	some p in routes
	guards(p)
}

shielded(r, path) if {
	some p in guarding
	route_matches(p, path)
	hosts_cover(p, r)
	entrypoints_cover(p, r)
	outranks(p, r)
}

findings contains finding("ingress-database-manager", r, sprintf("sends %s to Odoo from anywhere: whoever reaches the database manager can try the master password, and with it drop, dump or restore every database; %s", [phrase(paths), database_fix(r)])) if {
	whole_set
	some r in routes
	r.odoo
	not r.redirect
	not guards(r)
	paths := exposed_paths(r)
	count(paths) > 0
}

database_fix(r) := sprintf("add a route for PathPrefix(`/web/database`) || PathPrefix(`/xmlrpc/db`) || PathPrefix(`/xmlrpc/2/db`) on the same hosts with an ipAllowList middleware and an explicit priority above %d", [r.priority]) if {
	r.kind == "IngressRoute"
} else := "add an Ingress for the same hosts with the paths /web/database, /xmlrpc/db and /xmlrpc/2/db through an ipAllowList middleware (annotation traefik.ingress.kubernetes.io/router.middlewares) or your controller's allow list"

# ingress-tls

findings contains finding("ingress-tls", at_object(d), "routes to Odoo without TLS: passwords and session cookies cross the network in clear; add spec.tls (a certificate Secret or a certResolver) and serve it on the websecure entry point") if {
	whole_set
	some r in routes
	r.kind == "IngressRoute"
	r.odoo
	not r.redirect
	not r.tls
	d := docs_by_index[r.index]
}

findings contains finding("ingress-tls", r, sprintf("routes %s to Odoo without TLS: passwords and session cookies cross the network in clear; list the host under spec.tls with its certificate Secret", [host_name(r)])) if {
	whole_set
	some r in routes
	r.kind == "Ingress"
	r.odoo
	not r.tls
}

host_name(r) := concat(", ", sort(r.hosts)) if {
	count(r.hosts) > 0
} else := "every host"

# ingress-https-redirect

odoo_hosts := {h |
	some r in routes
	r.odoo
	r.tls
	not r.redirect
	some h in r.hosts
}

redirected(host) if {
	some r in routes
	r.redirect
	hosts_cover(r, {"hosts": {host}})
}

redirected(host) if {
	some r in routes
	r.nginx_redirect
	host in r.hosts
}

findings contains finding("ingress-https-redirect", {"index": first, "where": ref(workload_doc(first).object)}, sprintf("nothing in the set redirects http://%s to https: whoever types the address without https gets no answer, or a page in clear; add a route on the web entry point for Host(`%s`) with a redirectScheme middleware (scheme: https, permanent: true), or waive this rule when Traefik redirects on its entry point", [host, host])) if {
	whole_set
	some host in odoo_hosts
	not redirected(host)
	first := min({r.index | some r in routes; r.odoo; r.tls; host in r.hosts})
}

workload_doc(i) := first([d | some d in docs; d.index == i])

# odoo-websocket-route. With workers, Odoo serves the bus (Discuss,
# notifications, live chat) on a separate gevent port, 8072 by default:
# /websocket from Odoo 16 on, /longpolling before. Without workers there is
# no gevent process, and the bus is on the HTTP port.

http_port(s) := n if {
	n := integer(value(s, "http_port", "8069"))
} else := 8069

gevent_port(s) := n if {
	n := integer(value(s, "gevent_port", value(s, "longpolling_port", "8072")))
} else := 8072

# bus_path is a path of the bus to match routes with; bus_prefix, the
# prefix to route.
bus_path(s) := concat("", [bus_prefix(s), "/poll"]) if {
	bus_prefix(s) == "/longpolling"
} else := bus_prefix(s)

bus_prefix(s) := "/longpolling" if {
	s.version > 0
	s.version < 16
} else := "/websocket"

targets(r, workload) := {b.target | some b in r.backends; workload in b.workloads}

# routes_to holds the routes of the set by the workload they reach, found
# once rather than searched for every container.
routes_to[w] contains r if {
	some r in routes
	some b in r.backends
	some w in b.workloads
}

findings contains finding("odoo-websocket-route", r, sprintf("sends %s to port %d, but %s runs %d workers and serves %s only on its gevent port %d: Discuss, notifications and live chat stop working; %s", [bus_prefix(s), http_port(s), s.owner, workers(s), bus_prefix(s), gevent_port(s), bus_fix(r, bus_prefix(s), gevent_port(s))])) if {
	whole_set
	some s in container_subjects
	s.server
	workers(s) > 0
	path := bus_path(s)
	some r in object.get(routes_to, s.workload, set())
	not r.redirect
	http_port(s) in targets(r, s.workload)
	route_matches(r, path)
	not bus_routed(r, s, path)
}

bus_fix(r, path, port) := sprintf("add a route for PathPrefix(`%s`) to port %d with a priority above %d", [path, port, r.priority]) if {
	r.kind == "IngressRoute"
} else := sprintf("add the path %s, of type Prefix, to port %d for the same host", [path, port])

bus_routed(r, s, path) if {
	some p in object.get(routes_to, s.workload, set())
	gevent_port(s) in targets(p, s.workload)
	route_matches(p, path)
	hosts_cover(p, r)
	entrypoints_cover(p, r)
	wins(p, r)
}

findings contains finding("odoo-websocket-route", r, sprintf("sends requests to port %d, but %s runs without workers, so no gevent process listens there; send %s to port %d, or set workers", [gevent_port(s), s.owner, bus_prefix(s), http_port(s)])) if {
	whole_set
	some s in container_subjects
	s.server
	workers(s) == 0
	some r in routes
	gevent_port(s) in targets(r, s.workload)
}

# traefik-tls-option

findings contains finding("traefik-tls-option", at_object(d), sprintf("uses TLSOption %s/%s, which is not in the set, so its minVersion cannot be checked; add it to the set", [ns, name])) if {
	whole_set
	some d in docs
	traefik(d.object, "IngressRoute")
	odoo_route_object(d.index)
	options := d.object.spec.tls.options
	is_object(options)
	name := str(object.get(options, "name", ""))
	ns := str(object.get(options, "namespace", namespace_of(d.object)))
	not tls_option(ns, name)
}

findings contains finding("traefik-tls-option", at_object(d), "names no TLSOption, and the set has no TLSOption named default, so Traefik's built-in defaults decide which TLS versions Odoo accepts; set spec.tls.options to a TLSOption with minVersion: VersionTLS12") if {
	whole_set
	some d in docs
	traefik(d.object, "IngressRoute")
	odoo_route_object(d.index)
	is_object(d.object.spec.tls)
	not is_object(object.get(d.object.spec.tls, "options", null))
	count([o | some o in docs; traefik(o.object, "TLSOption"); name_of(o.object) == "default"]) == 0
}

odoo_route_object(i) if {
	some r in routes
	r.index == i
	r.odoo
}

tls_option(ns, name) if {
	some d in docs
	traefik(d.object, "TLSOption")
	namespace_of(d.object) == ns
	name_of(d.object) == name
}

# traefik-tls-min-version

findings contains finding("traefik-tls-min-version", at_object(d), sprintf("%s: TLS 1.0 and 1.1 are broken and refused by current browsers and by PCI DSS; set spec.minVersion: VersionTLS12", [min_version_state(d.object)])) if {
	some d in docs
	traefik(d.object, "TLSOption")
	not object.get(d.object, ["spec", "minVersion"], "") in {"VersionTLS12", "VersionTLS13"}
}

min_version_state(obj) := sprintf("minVersion is %v", [obj.spec.minVersion]) if {
	obj.spec.minVersion
} else := "minVersion is not set, so it is left to Traefik's defaults"

# traefik-crd-group and traefik-crd-group-deprecated. Traefik 2.10
# deprecated the traefik.containo.us group for traefik.io; Traefik 3 no
# longer reads it, so such an object is ignored.

findings contains finding("traefik-crd-group", at_object(d), sprintf("apiVersion %s belongs to the traefik.containo.us group, which Traefik 3 does not read: this object is ignored; write apiVersion: traefik.io/v1alpha1", [d.object.apiVersion])) if {
	some d in docs
	api_group(d.object) == "traefik.containo.us"
	traefik_major >= 3
}

findings contains finding("traefik-crd-group-deprecated", at_object(d), sprintf("apiVersion %s belongs to the traefik.containo.us group, deprecated since Traefik 2.10 and gone in Traefik 3; write apiVersion: traefik.io/v1alpha1", [d.object.apiVersion])) if {
	some d in docs
	api_group(d.object) == "traefik.containo.us"
	traefik_major < 3
}

# traefik-ipwhitelist

findings contains finding("traefik-ipwhitelist", at_object(d), "uses ipWhiteList, which Traefik 3 no longer has: the allow list is not applied; rename it ipAllowList") if {
	some d in docs
	traefik(d.object, "Middleware")
	is_object(d.object.spec.ipWhiteList)
	traefik_major >= 3
}

# service-exposes-odoo

findings contains finding("service-exposes-odoo", at_object(d), sprintf("type %s exposes Odoo's %s outside the cluster in clear, around the ingress and its TLS, allow lists and redirects; make it type ClusterIP and route through the ingress", [d.object.spec.type, port_words(ports)])) if {
	some d in docs
	kind_of(d.object) == "Service"
	d.object.spec.type in {"LoadBalancer", "NodePort"}
	not tls_annotated(d.object)
	selected := selected_servers(namespace_of(d.object), name_of(d.object))
	ports := sort({port |
		some p in array_at(d.object.spec, "ports")
		is_object(p)
		port := exposed_odoo_port(p, selected)
	})
	count(ports) > 0
}

port_words(ports) := sprintf("port %d", ports) if {
	count(ports) == 1
} else := sprintf("ports %s", [phrase([sprintf("%d", [p]) | some p in ports])])

exposed_odoo_port(p, selected) := t if {
	t := pod_port(object.get(p, "targetPort", object.get(p, "port", -1)), selected)
	t in odoo_ports
} else := n if {
	n := p.port
	n in odoo_ports
}

# A load balancer that terminates TLS says so in an annotation of its
# cloud: aws-load-balancer-ssl-cert, oci-load-balancer-tls-secret, …
tls_annotated(svc) if {
	some k, _ in annotations_of(svc)
	regex.match(`ssl-cert|tls-cert|certificate|tls-secret`, k)
}
