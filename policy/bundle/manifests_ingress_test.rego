# Unit tests of the ingress rules of andon.manifests
# (manifests_ingress.rego). The fixtures are in manifests_test.rego.
package andon.manifests

https_index := index_of("https")

main_where := "IngressRoute odoo-prod-lyon/odoo route Host(`erp-lyon.example.com`)"

database_where := concat("", ["IngressRoute odoo-prod-lyon/odoo route ", database_route.match])

exposed_text := "sends /web/database, /xmlrpc/2/db and /xmlrpc/db to Odoo from anywhere: whoever reaches the database manager can try the master password, and with it drop, dump or restore every database; "

on_traefik_2(i) := object.union(i, {"settings": object.union(stack_settings, {"traefikMajor": 2})})

ingress(name, notes, spec) := {
	"apiVersion": "networking.k8s.io/v1",
	"kind": "Ingress",
	"metadata": {"name": name, "namespace": ns, "annotations": notes},
	"spec": spec,
}

ingress_rule(host_name, paths) := {"host": host_name, "http": {"paths": [{"path": p, "pathType": "Prefix", "backend": {"service": {"name": "odoo", "port": {"number": 8069}}}} | some p in paths]}}

api_ingress(notes, extra) := ingress("api", notes, object.union({"rules": [ingress_rule("api.example.com", ["/"])]}, extra))

# Routes.

test_routes_of_ingress_routes if {
	got := {[r.where, r.priority, r.explicit, r.odoo, r.tls, r.redirect, r.allowlist] | some r in routes} with input as good_stack
	got == {
		[database_where, 100, true, true, true, false, true],
		["IngressRoute odoo-prod-lyon/odoo route Host(`erp-lyon.example.com`) && PathPrefix(`/websocket`)", 50, true, true, true, false, false],
		[main_where, 10, true, true, true, false, false],
		["IngressRoute odoo-prod-lyon/odoo-http route Host(`erp-lyon.example.com`)", 28, false, true, false, true, false],
	}
}

test_routes_of_ingresses if {
	i := stack([
		ingress("api", {"traefik.ingress.kubernetes.io/router.priority": "7", "traefik.ingress.kubernetes.io/router.entrypoints": "websecure,web"}, {"rules": [
			ingress_rule("api.example.com", ["/"]),
			{"http": {"paths": [{"path": "/exact", "pathType": "Exact", "backend": {"service": {"name": "odoo", "port": {"number": 8069}}}}, "junk"]}},
			{"host": "no-http.example.com"},
			"junk",
		]}),
		ingress("resource", {}, {"rules": [{"http": {"paths": [{"backend": {"resource": {"kind": "Bucket", "name": "b"}}}]}}]}),
	])
	got := {[r.where, r.rule, r.priority, r.explicit, r.rank, r.entrypoints] | some r in routes} with input as i
	got == {
		["Ingress odoo-prod-lyon/api path api.example.com/", "Host(`api.example.com`) && PathPrefix(`/`)", 7, true, 1, {"web", "websecure"}],
		["Ingress odoo-prod-lyon/api path /exact", "Host(``) && Path(`/exact`)", 7, true, 100006, {"web", "websecure"}],
	}
	ingress_priority({}, {"host": "a", "matcher": "PathPrefix", "path": "/"}) == count("Host(`a`) && PathPrefix(`/`)")
}

test_rule_matchers if {
	rule_matchers("Host(`a.example.com`, \"b.example.com\") && !PathPrefix(`/web/database`) && PathRegexp(`^/(shop|blog)`) && ClientIP(`10.0.0.0/8`)") == [
		{"neg": false, "name": "Host", "args": ["a.example.com", "b.example.com"]},
		{"neg": true, "name": "PathPrefix", "args": ["/web/database"]},
		{"neg": false, "name": "PathRegexp", "args": ["^/(shop|blog)"]},
		{"neg": false, "name": "ClientIP", "args": ["10.0.0.0/8"]},
	]
	rule_matchers("") == []
}

test_route_matches if {
	everything := {"matchers": [{"neg": false, "name": "Host", "args": ["a"]}]}
	route_matches(everything, "/web/database/manager")
	prefix := {"matchers": [{"neg": false, "name": "PathPrefix", "args": ["/web"]}]}
	route_matches(prefix, "/web/database/manager")
	not route_matches(prefix, "/xmlrpc/db")
	exact := {"matchers": [{"neg": false, "name": "Path", "args": ["/xmlrpc/db"]}]}
	route_matches(exact, "/xmlrpc/db")
	not route_matches(exact, "/xmlrpc/2/db")
	regexp := {"matchers": [{"neg": false, "name": "PathRegexp", "args": ["^/xmlrpc/(2/)?db", "("]}]}
	route_matches(regexp, "/xmlrpc/2/db")
	not route_matches(regexp, "/web")
	excluding := {"matchers": [{"neg": true, "name": "PathPrefix", "args": ["/web/database"]}]}
	not route_matches(excluding, "/web/database/drop")
	route_matches(excluding, "/web/login")
}

test_hosts_and_entrypoints_cover if {
	any := {"hosts": set(), "entrypoints": set()}
	a := {"hosts": {"a"}, "entrypoints": {"websecure"}}
	ab := {"hosts": {"a", "b"}, "entrypoints": {"web", "websecure"}}
	hosts_cover(any, a)
	hosts_cover(ab, a)
	not hosts_cover(a, ab)
	not hosts_cover(a, any)
	entrypoints_cover(any, a)
	entrypoints_cover(ab, a)
	not entrypoints_cover(a, ab)
	not entrypoints_cover(a, any)
}

test_outranks_and_wins if {
	explicit := {"kind": "IngressRoute", "explicit": true, "priority": 100}
	long_rule := {"kind": "IngressRoute", "explicit": false, "priority": 200}
	outranks(explicit, {"kind": "IngressRoute", "explicit": false, "priority": 40})
	not outranks(long_rule, {"kind": "IngressRoute", "explicit": true, "priority": 10})
	wins(long_rule, {"kind": "IngressRoute", "explicit": true, "priority": 10})
	wins({"kind": "Ingress", "explicit": false, "priority": 0, "rank": 13}, {"kind": "Ingress", "explicit": false, "priority": 0, "rank": 1})
	outranks({"kind": "Ingress", "explicit": false, "priority": 0, "rank": 13}, {"kind": "Ingress", "explicit": false, "priority": 0, "rank": 1})
	not outranks({"kind": "Ingress", "explicit": false, "priority": 0, "rank": 1}, {"kind": "Ingress", "explicit": false, "priority": 0, "rank": 13})
}

test_middlewares if {
	chain := traefik_object("Middleware", "chain", {"chain": {"middlewares": [{"name": "it-network-only"}, "junk"]}})
	specs := route_middlewares([{"ns": ns, "name": "chain", "annotation": false}]) with input as added([chain])
	specs == [chain.spec, allowlist.spec]
	annotated := route_middlewares([{"ns": ns, "name": "odoo-prod-lyon-redirect-https@kubernetescrd", "annotation": true}]) with input as good_stack
	annotated == [redirect.spec]
	route_middlewares([{"ns": ns, "name": "missing", "annotation": false}]) == [] with input as good_stack
}

test_allowlist_middleware if {
	allowlist_middleware({"ipAllowList": {}}) with input as good_stack
	not allowlist_middleware({"ipWhiteList": {}}) with input as good_stack
	allowlist_middleware({"ipWhiteList": {}}) with input as on_traefik_2(good_stack)
}

test_backends if {
	b := backend(ns, {"name": "odoo", "port": 8069}) with input as good_stack
	b == {"name": "odoo", "ns": ns, "workloads": {index_of("web")}, "target": 8069, "odoo": true}
	backend(ns, {"name": "odoo", "port": "websocket"}).target == 8072 with input as good_stack
	backend(ns, {"name": "noop@internal", "kind": "TraefikService"}).odoo == false with input as good_stack
	backend(ns, {"name": "api@internal"}).odoo == false with input as good_stack
	backend(ns, {"name": "erp-odoo", "port": 80}).odoo == true with input as good_stack
	backend(ns, {"name": "erp", "port": 8072}).odoo == true with input as good_stack
	backend(ns, {"name": "shop", "port": "http"}) == {"name": "shop", "ns": ns, "workloads": set(), "target": -1, "odoo": false} with input as good_stack
}

test_backend_target_port if {
	erp := {"apiVersion": "v1", "kind": "Service", "metadata": meta("erp"), "spec": {"ports": [{"port": 80, "targetPort": 8069}, {"port": 81, "targetPort": "missing"}, {"port": 82}, "junk"]}}
	i := added([erp])
	backend(ns, {"name": "erp", "port": 80}).odoo == true with input as i
	backend(ns, {"name": "erp", "port": 81}).target == -1 with input as i
	backend(ns, {"name": "erp", "port": 82}).target == 82 with input as i
	pod_port("http", {index_of("web")}) == 8069 with input as good_stack
}

# ingress-database-manager

test_database_manager if {
	found("ingress-database-manager", good_stack) == set()
	found("ingress-database-manager", changed({"https": https_with([websocket_route, main_route])})) == {[https_index, concat("", [main_where, ": ", exposed_text, "add a route for PathPrefix(`/web/database`) || PathPrefix(`/xmlrpc/db`) || PathPrefix(`/xmlrpc/2/db`) on the same hosts with an ipAllowList middleware and an explicit priority above 10"])]}
}

test_database_manager_needs_explicit_priority if {
	# Without one, the allow list wins by the length of its rule today and
	# loses when someone lengthens the main rule.
	count(found("ingress-database-manager", changed({"https": https_with([object.remove(database_route, ["priority"]), websocket_route, main_route])}))) == 1
	count(found("ingress-database-manager", changed({"https": https_with([object.union(database_route, {"priority": 5}), websocket_route, main_route])}))) == 1
}

test_database_manager_route_without_allow_list if {
	messages("ingress-database-manager", changed({"https": https_with([object.remove(database_route, ["middlewares"]), websocket_route, main_route])})) == {
		concat("", [database_where, ": ", exposed_text, "add a route for PathPrefix(`/web/database`) || PathPrefix(`/xmlrpc/db`) || PathPrefix(`/xmlrpc/2/db`) on the same hosts with an ipAllowList middleware and an explicit priority above 100"]),
		concat("", [main_where, ": ", exposed_text, "add a route for PathPrefix(`/web/database`) || PathPrefix(`/xmlrpc/db`) || PathPrefix(`/xmlrpc/2/db`) on the same hosts with an ipAllowList middleware and an explicit priority above 10"]),
	}
}

test_database_manager_other_guards if {
	# A route to a service other than Odoo takes the database manager, but
	# not XML-RPC.
	noop := {"match": concat("", [host, " && PathPrefix(`/web/database`)"]), "priority": 100, "services": [{"name": "noop@internal", "kind": "TraefikService"}]}
	messages("ingress-database-manager", changed({"https": https_with([noop, websocket_route, main_route])})) == {concat("", [main_where, ": sends /xmlrpc/2/db and /xmlrpc/db to Odoo from anywhere: whoever reaches the database manager can try the master password, and with it drop, dump or restore every database; add a route for PathPrefix(`/web/database`) || PathPrefix(`/xmlrpc/db`) || PathPrefix(`/xmlrpc/2/db`) on the same hosts with an ipAllowList middleware and an explicit priority above 10"])}

	# A ClientIP matcher is an allow list of its own.
	client_ip := {"match": concat("", [host, " && ClientIP(`10.0.0.0/8`) && PathRegexp(`^/(web/database|xmlrpc/(2/)?db)`)"]), "priority": 100, "services": [{"name": "odoo", "port": 8069}]}
	found("ingress-database-manager", changed({"https": https_with([client_ip, websocket_route, main_route])})) == set()

	# So is leaving the paths out of the main rule.
	excluding := object.union(main_route, {"match": concat("", [host, " && !PathPrefix(`/web/database`) && !Path(`/xmlrpc/db`, `/xmlrpc/2/db`)"])})
	found("ingress-database-manager", changed({"https": https_with([websocket_route, excluding])})) == set()
}

test_database_manager_ip_whitelist if {
	# Traefik 3 ignores ipWhiteList; Traefik 2 applies it.
	whitelist := traefik_object("Middleware", "it-network-only", {"ipWhiteList": {"sourceRange": ["10.20.0.0/16"]}})
	count(found("ingress-database-manager", changed({"allowlist": whitelist}))) == 2
	found("ingress-database-manager", on_traefik_2(changed({"allowlist": whitelist}))) == set()
}

test_database_manager_of_ingresses if {
	found("ingress-database-manager", added([api_ingress({}, {"tls": [{"hosts": ["api.example.com"]}]})])) == {[16, "Ingress odoo-prod-lyon/api path api.example.com/: sends /web/database, /xmlrpc/2/db and /xmlrpc/db to Odoo from anywhere: whoever reaches the database manager can try the master password, and with it drop, dump or restore every database; add an Ingress for the same hosts with the paths /web/database, /xmlrpc/db and /xmlrpc/2/db through an ipAllowList middleware (annotation traefik.ingress.kubernetes.io/router.middlewares) or your controller's allow list"]}

	# A longer path wins between Ingresses; its allow list is in a
	# Middleware named by annotation, or in an annotation of ingress-nginx.
	guarded := ingress("db", {"traefik.ingress.kubernetes.io/router.middlewares": "odoo-prod-lyon-it-network-only@kubernetescrd"}, {"rules": [ingress_rule("api.example.com", ["/web/database", "/xmlrpc"])]})
	found("ingress-database-manager", added([api_ingress({}, {}), guarded])) == set()
	nginx := ingress("db", {"nginx.ingress.kubernetes.io/whitelist-source-range": "10.0.0.0/8"}, {"rules": [ingress_rule("api.example.com", ["/web/database", "/xmlrpc"])]})
	found("ingress-database-manager", added([api_ingress({}, {}), nginx])) == set()
	partly := ingress("db", {"nginx.ingress.kubernetes.io/allowlist-source-range": "10.0.0.0/8"}, {"rules": [ingress_rule("api.example.com", ["/xmlrpc"])]})
	messages("ingress-database-manager", added([api_ingress({}, {}), partly])) == {"Ingress odoo-prod-lyon/api path api.example.com/: sends /web/database to Odoo from anywhere: whoever reaches the database manager can try the master password, and with it drop, dump or restore every database; add an Ingress for the same hosts with the paths /web/database, /xmlrpc/db and /xmlrpc/2/db through an ipAllowList middleware (annotation traefik.ingress.kubernetes.io/router.middlewares) or your controller's allow list"}
}

# ingress-tls

test_tls if {
	found("ingress-tls", good_stack) == set()
	found("ingress-tls", changed({"https": json.patch(https, [{"op": "remove", "path": "/spec/tls"}])})) == {[https_index, "IngressRoute odoo-prod-lyon/odoo: routes to Odoo without TLS: passwords and session cookies cross the network in clear; add spec.tls (a certificate Secret or a certResolver) and serve it on the websecure entry point"]}
}

test_tls_of_ingresses if {
	found("ingress-tls", added([api_ingress({}, {})])) == {[16, "Ingress odoo-prod-lyon/api path api.example.com/: routes api.example.com to Odoo without TLS: passwords and session cookies cross the network in clear; list the host under spec.tls with its certificate Secret"]}
	found("ingress-tls", added([api_ingress({"traefik.ingress.kubernetes.io/router.tls": "true"}, {})])) == set()
	found("ingress-tls", added([api_ingress({}, {"tls": [{"hosts": ["api.example.com"]}]})])) == set()
	found("ingress-tls", added([api_ingress({}, {"tls": [{"secretName": "wildcard"}]})])) == set()
	named_port := json.patch(api_ingress({}, {}), [{"op": "replace", "path": "/spec/rules/0/http/paths/0/backend/service/port", "value": {"name": "http"}}])
	count(found("ingress-tls", added([named_port]))) == 1
	catch_all := ingress("plain", {}, {"tls": [{"hosts": ["other.example.com"]}], "rules": [{"http": {"paths": [{"backend": {"service": {"name": "odoo", "port": {"number": 8069}}}}]}}]})
	messages("ingress-tls", added([catch_all])) == {"Ingress odoo-prod-lyon/plain path /: routes every host to Odoo without TLS: passwords and session cookies cross the network in clear; list the host under spec.tls with its certificate Secret"}
}

# ingress-https-redirect

test_https_redirect if {
	found("ingress-https-redirect", good_stack) == set()
	messages("ingress-https-redirect", changed({"http": null})) == {"IngressRoute odoo-prod-lyon/odoo: nothing in the set redirects http://erp-lyon.example.com to https: whoever types the address without https gets no answer, or a page in clear; add a route on the web entry point for Host(`erp-lyon.example.com`) with a redirectScheme middleware (scheme: https, permanent: true), or waive this rule when Traefik redirects on its entry point"}
}

test_https_redirect_of_ingress_nginx if {
	# ingress-nginx redirects to HTTPS by itself unless told not to.
	tls := {"tls": [{"hosts": ["api.example.com"]}]}
	found("ingress-https-redirect", added([api_ingress({}, object.union(tls, {"ingressClassName": "nginx"}))])) == set()
	found("ingress-https-redirect", added([api_ingress({"kubernetes.io/ingress.class": "nginx"}, tls)])) == set()
	count(found("ingress-https-redirect", added([api_ingress({"nginx.ingress.kubernetes.io/ssl-redirect": "false"}, object.union(tls, {"ingressClassName": "nginx"}))]))) == 1
	count(found("ingress-https-redirect", added([api_ingress({}, tls)]))) == 1
}

# odoo-websocket-route

test_websocket_route if {
	found("odoo-websocket-route", good_stack) == set()
	found("odoo-websocket-route", changed({"https": https_with([database_route, main_route])})) == {[https_index, concat("", [main_where, ": sends /websocket to port 8069, but container odoo of Deployment odoo-prod-lyon/odoo-web runs 4 workers and serves /websocket only on its gevent port 8072: Discuss, notifications and live chat stop working; add a route for PathPrefix(`/websocket`) to port 8072 with a priority above 10"])]}
}

test_websocket_route_of_ingresses if {
	tls := {"tls": [{"hosts": ["api.example.com"]}]}
	found("odoo-websocket-route", added([api_ingress({}, tls)])) == {[16, "Ingress odoo-prod-lyon/api path api.example.com/: sends /websocket to port 8069, but container odoo of Deployment odoo-prod-lyon/odoo-web runs 4 workers and serves /websocket only on its gevent port 8072: Discuss, notifications and live chat stop working; add the path /websocket, of type Prefix, to port 8072 for the same host"]}
	bus := ingress("bus", {}, object.union(tls, {"rules": [{"host": "api.example.com", "http": {"paths": [{"path": "/websocket", "pathType": "Prefix", "backend": {"service": {"name": "odoo", "port": {"number": 8072}}}}]}}]}))
	found("odoo-websocket-route", added([api_ingress({}, tls), bus])) == set()
}

test_websocket_route_by_rule_length if {
	# Traefik's own order: the longer rule wins without a priority.
	found("odoo-websocket-route", changed({"https": https_with([database_route, object.remove(websocket_route, ["priority"]), main_route])})) == set()
}

test_longpolling_before_odoo_16 if {
	odoo_15 := "registry.example.com/odoo/odoo:15.0@sha256:0000000000000000000000000000000000000000000000000000000000000000"
	longpolling := object.union(websocket_route, {"match": concat("", [host, " && PathPrefix(`/longpolling`)"])})
	i := changed({"web": web_container({"image": odoo_15}), "https": https_with([database_route, longpolling, main_route])})
	found("odoo-websocket-route", i) == set()
	messages("odoo-websocket-route", changed({"web": web_container({"image": odoo_15})})) == {concat("", [main_where, ": sends /longpolling to port 8069, but container odoo of Deployment odoo-prod-lyon/odoo-web runs 4 workers and serves /longpolling only on its gevent port 8072: Discuss, notifications and live chat stop working; add a route for PathPrefix(`/longpolling`) to port 8072 with a priority above 10"])}
}

test_websocket_route_without_workers if {
	found("odoo-websocket-route", changed({"conf": conf_with({"workers": "0"})})) == {[https_index, "IngressRoute odoo-prod-lyon/odoo route Host(`erp-lyon.example.com`) && PathPrefix(`/websocket`): sends requests to port 8072, but container odoo of Deployment odoo-prod-lyon/odoo-web runs without workers, so no gevent process listens there; send /websocket to port 8069, or set workers"]}
}

test_bus_path_and_ports if {
	bus_path({"version": 15}) == "/longpolling/poll"
	bus_prefix({"version": 15}) == "/longpolling"
	bus_path({"version": 0}) == "/websocket"
	http_port({"index": 0, "where": "w", "args": {"http_port": "x"}, "confs": []}) == 8069
	gevent_port({"index": 0, "where": "w", "args": {"longpolling_port": "9072"}, "confs": []}) == 9072
	gevent_port({"index": 0, "where": "w", "args": {"gevent_port": "y"}, "confs": []}) == 8072
}

# traefik-tls-option

test_tls_option if {
	found("traefik-tls-option", good_stack) == set()
	messages("traefik-tls-option", changed({"tls": null})) == {"IngressRoute odoo-prod-lyon/odoo: uses TLSOption odoo-prod-lyon/odoo-tls, which is not in the set, so its minVersion cannot be checked; add it to the set"}
}

test_tls_option_default if {
	no_options := json.patch(https, [{"op": "remove", "path": "/spec/tls/options"}])
	found("traefik-tls-option", changed({"https": no_options})) == {[https_index, "IngressRoute odoo-prod-lyon/odoo: names no TLSOption, and the set has no TLSOption named default, so Traefik's built-in defaults decide which TLS versions Odoo accepts; set spec.tls.options to a TLSOption with minVersion: VersionTLS12"]}
	default_option := json.patch(odoo_tls_option, [{"op": "replace", "path": "/metadata/name", "value": "default"}])
	found("traefik-tls-option", changed({"https": no_options, "tls": default_option})) == set()
}

# traefik-tls-min-version

test_tls_min_version if {
	found("traefik-tls-min-version", good_stack) == set()
	found("traefik-tls-min-version", changed({"tls": traefik_object("TLSOption", "odoo-tls", {"minVersion": "VersionTLS13"})})) == set()
	found("traefik-tls-min-version", changed({"tls": traefik_object("TLSOption", "odoo-tls", {"minVersion": "VersionTLS11"})})) == {[index_of("tls"), "TLSOption odoo-prod-lyon/odoo-tls: minVersion is VersionTLS11: TLS 1.0 and 1.1 are broken and refused by current browsers and by PCI DSS; set spec.minVersion: VersionTLS12"]}
	messages("traefik-tls-min-version", changed({"tls": traefik_object("TLSOption", "odoo-tls", {})})) == {"TLSOption odoo-prod-lyon/odoo-tls: minVersion is not set, so it is left to Traefik's defaults: TLS 1.0 and 1.1 are broken and refused by current browsers and by PCI DSS; set spec.minVersion: VersionTLS12"}
}

# traefik-crd-group and traefik-crd-group-deprecated

old_redirect := json.patch(redirect, [{"op": "replace", "path": "/apiVersion", "value": "traefik.containo.us/v1alpha1"}])

test_crd_group if {
	found("traefik-crd-group", good_stack) == set()
	found("traefik-crd-group", changed({"redirect": old_redirect})) == {[index_of("redirect"), "Middleware odoo-prod-lyon/redirect-https: apiVersion traefik.containo.us/v1alpha1 belongs to the traefik.containo.us group, which Traefik 3 does not read: this object is ignored; write apiVersion: traefik.io/v1alpha1"]}
	found("traefik-crd-group-deprecated", changed({"redirect": old_redirect})) == set()
}

test_crd_group_deprecated if {
	found("traefik-crd-group-deprecated", on_traefik_2(good_stack)) == set()
	found("traefik-crd-group-deprecated", on_traefik_2(changed({"redirect": old_redirect}))) == {[index_of("redirect"), "Middleware odoo-prod-lyon/redirect-https: apiVersion traefik.containo.us/v1alpha1 belongs to the traefik.containo.us group, deprecated since Traefik 2.10 and gone in Traefik 3; write apiVersion: traefik.io/v1alpha1"]}
	found("traefik-crd-group", on_traefik_2(changed({"redirect": old_redirect}))) == set()
}

# traefik-ipwhitelist

test_ipwhitelist if {
	found("traefik-ipwhitelist", good_stack) == set()
	whitelist := traefik_object("Middleware", "it-network-only", {"ipWhiteList": {"sourceRange": ["10.20.0.0/16"]}})
	found("traefik-ipwhitelist", changed({"allowlist": whitelist})) == {[index_of("allowlist"), "Middleware odoo-prod-lyon/it-network-only: uses ipWhiteList, which Traefik 3 no longer has: the allow list is not applied; rename it ipAllowList"]}
	found("traefik-ipwhitelist", on_traefik_2(changed({"allowlist": whitelist}))) == set()
}

# service-exposes-odoo

test_service_exposes_odoo if {
	found("service-exposes-odoo", good_stack) == set()
	found("service-exposes-odoo", changed({"service": patch(service, "/spec/type", "LoadBalancer")})) == {[index_of("service"), "Service odoo-prod-lyon/odoo: type LoadBalancer exposes Odoo's ports 8069 and 8072 outside the cluster in clear, around the ingress and its TLS, allow lists and redirects; make it type ClusterIP and route through the ingress"]}
	erp := {"apiVersion": "v1", "kind": "Service", "metadata": meta("erp"), "spec": {"type": "NodePort", "ports": [{"port": 80, "targetPort": 8069}, {"port": 8072}, {"port": 443}, "junk"]}}
	messages("service-exposes-odoo", added([erp])) == {"Service odoo-prod-lyon/erp: type NodePort exposes Odoo's ports 8069 and 8072 outside the cluster in clear, around the ingress and its TLS, allow lists and redirects; make it type ClusterIP and route through the ingress"}
	one := json.patch(erp, [{"op": "replace", "path": "/spec/ports", "value": [{"port": 8069, "targetPort": "web"}]}])
	messages("service-exposes-odoo", added([one])) == {"Service odoo-prod-lyon/erp: type NodePort exposes Odoo's port 8069 outside the cluster in clear, around the ingress and its TLS, allow lists and redirects; make it type ClusterIP and route through the ingress"}
}

test_service_terminating_tls if {
	terminated := patch(patch(service, "/spec/type", "LoadBalancer"), "/metadata/annotations", {"service.beta.kubernetes.io/aws-load-balancer-ssl-cert": "arn:aws:acm:eu-west-3:1:certificate/x"})
	found("service-exposes-odoo", changed({"service": terminated})) == set()
}
