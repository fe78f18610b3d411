# Package andon.manifests checks the Kubernetes manifests of Odoo stacks
# before they are applied: Odoo's own configuration, the ingress in front of
# it, the workloads, the governed namespaces, PostgreSQL and Redis.
#
# Input: objects, the Kubernetes objects as written, each with its index,
# file and line and, for a ConfigMap or Secret holding odoo.conf files, the
# parsed files in odooConf; settings, the allowed image registries, the
# Traefik major version and the governed namespaces with their stage, RPO
# and RTO; and scope, "object" when only the findings of rules scoped to
# the object are wanted (see whole_set). Output: rules, every rule by id
# with its severity, scope, title and anchor in docs/manifests.md; and
# findings, one {rule, object, message} per problem. The contract and every
# rule are in docs/manifests.md.
#
# The rules are split by subject over the manifests_*.rego files of this
# package; each adds its entries to catalogue and its problems to findings.
# This file holds what they share: the objects, workloads and containers,
# images and quantities.
package andon.manifests

rules := {id: object.union({"anchor": id}, rule) | some id, rule in catalogue}

# finding builds a finding at a place: at.index is the object reported, and
# at.where names it (and the container or file key) at the start of the
# message.
finding(rule, at, text) := {
	"rule": rule,
	"object": at.index,
	"message": sprintf("%s: %s", [at.where, text]),
}

# Scope. input.scope is "object" when the input is one object alone, as
# the admission webhook reviews it, and only the findings of rules scoped
# to the object are wanted; otherwise the input is a whole set. A rule
# scoped to the set starts its body with whole_set, so that it costs
# nothing where its findings would be dropped.

whole_set if not object_only

object_only if input.scope == "object"

# Settings.

settings := s if {
	s := input.settings
	is_object(s)
} else := {}

allowed_registries := [r | some r in array_at(settings, "allowedRegistries"); is_string(r); r != ""]

# Traefik 3 is assumed when the setting is missing: it is the version
# supported today, and its rules are the stricter ones.
traefik_major := m if {
	m := settings.traefikMajor
	is_number(m)
} else := 3

governed_namespaces := n if {
	n := settings.namespaces
	is_object(n)
} else := {}

production(ns) if governed_namespaces[ns].stage == "production"

# Objects.

# docs are the input objects that hold a Kubernetes object.
docs := [d |
	some d in array_at(input, "objects")
	is_object(d)
	is_object(d.object)
]

kind_of(obj) := str(object.get(obj, "kind", ""))

name_of(obj) := str(object.get(obj, ["metadata", "name"], ""))

# An object without a namespace is in "": it matches only other objects
# without one, as in a manifest set that a tool puts in a namespace later.
namespace_of(obj) := str(object.get(obj, ["metadata", "namespace"], ""))

api_group(obj) := split(str(object.get(obj, "apiVersion", "")), "/")[0]

labels_of(meta) := l if {
	l := meta.labels
	is_object(l)
} else := {}

annotations_of(obj) := a if {
	a := obj.metadata.annotations
	is_object(a)
} else := {}

# ref names an object in messages: Deployment odoo-prod-lyon/odoo.
ref(obj) := sprintf("%s %s/%s", [kind_of(obj), namespace_of(obj), name_of(obj)]) if {
	namespace_of(obj) != ""
} else := sprintf("%s %s", [kind_of(obj), name_of(obj)])

at_object(d) := {"index": d.index, "where": ref(d.object)}

# docs_by_index finds the object a finding about a derived thing (a route,
# a container) is reported on.
docs_by_index := {d.index: d | some d in docs}

# named holds the objects of the set by [kind, namespace, name], the
# first of an object the set holds twice. It is a rule rather than a
# function so that it is built once per check.
named := {key: first([d | some d in docs; object_key(d.object) == key]) |
	some key in {object_key(d.object) | some d in docs}
}

object_key(obj) := [kind_of(obj), namespace_of(obj), name_of(obj)]

# kinds holds the [kind, namespace] of every object of the set.
kinds := {[key[0], key[1]] | some key, _ in named}

# Workloads: the objects that run pods, with their pod template.

template_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}

# Kinds whose pods keep serving; Jobs and CronJobs run to completion.
serving_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod"}

pod_template(obj) := obj.spec.template if {
	kind_of(obj) in template_kinds
} else := obj.spec.jobTemplate.spec.template if {
	kind_of(obj) == "CronJob"
} else := obj if {
	kind_of(obj) == "Pod"
}

workloads[d.index] := w if {
	some d in docs
	template := pod_template(d.object)
	pod := template.spec
	is_object(pod)
	w := {
		"index": d.index,
		"object": d.object,
		"ref": ref(d.object),
		"kind": kind_of(d.object),
		"name": name_of(d.object),
		"ns": namespace_of(d.object),
		"pod": pod,
		"labels": labels_of(object.get(template, "metadata", {})),
		"annotations": annotations_of(template),
	}
}

# replicas is the most pods a workload may run at once: its replicas, or
# the maximum of a HorizontalPodAutoscaler that scales it. A DaemonSet runs
# a pod on every node, so it counts as several.
replicas(w) := max({declared_replicas(w)} | autoscaled_to(w))

autoscaled_to(w) := found if {
	found := autoscaled[[w.ns, w.kind, w.name]]
} else := set()

# autoscaled holds the maxReplicas of the HorizontalPodAutoscalers of the
# set by the workload they scale, indexed once rather than searched for
# every workload.
autoscaled[[namespace_of(d.object), d.object.spec.scaleTargetRef.kind, d.object.spec.scaleTargetRef.name]] contains n if {
	some d in docs
	kind_of(d.object) == "HorizontalPodAutoscaler"
	n := d.object.spec.maxReplicas
	is_number(n)
}

declared_replicas(w) := 2 if {
	w.kind == "DaemonSet"
} else := n if {
	w.kind in {"Deployment", "StatefulSet", "ReplicaSet"}
	n := w.object.spec.replicas
	is_number(n)
} else := 1

# containers holds every container of every workload, init containers
# and ephemeral containers included, with the place to report it. An
# ephemeral container is one that kubectl debug adds to a running Pod
# (the pods/ephemeralcontainers subresource): it runs in the Pod beside
# the others, with the Pod's volumes and security context, so the rules
# about a container hold for it too, except where Kubernetes does not let
# it set what they ask for.
containers contains e if {
	some w in workloads
	some key in ["initContainers", "containers", "ephemeralContainers"]
	some c in array_at(w.pod, key)
	is_object(c)
	e := {
		"index": w.index,
		"container": c,
		"init": key == "initContainers",
		"ephemeral": key == "ephemeralContainers",
		"where": sprintf("%s: %s %s", [w.ref, container_word[key], str(object.get(c, "name", ""))]),
	}
}

container_word := {"initContainers": "init container", "containers": "container", "ephemeralContainers": "ephemeral container"}

# mount_for returns the volume mount of a container under which path lies,
# the deepest one when mounts nest.
mount_for(c, path) := m if {
	mounts := [m |
		some m in array_at(c, "volumeMounts")
		is_object(m)
		under(path, str(object.get(m, "mountPath", "")))
	]
	count(mounts) > 0
	longest := max({count(m.mountPath) | some m in mounts})
	m := [m | some m in mounts; count(m.mountPath) == longest][0]
}

# under reports whether path is dir or lies below it.
under(path, dir) if {
	dir != ""
	trim_right(path, "/") == trim_right(dir, "/")
}

under(path, dir) if {
	dir != ""
	startswith(path, concat("", [trim_right(dir, "/"), "/"]))
}

# volume_of returns the pod volume a mount refers to, or the StatefulSet's
# volume claim template of that name (marked template: true).
volume_of(w, mount) := v if {
	v := first([v | some v in array_at(w.pod, "volumes"); v.name == mount.name])
} else := {"name": mount.name, "template": t} if {
	w.kind == "StatefulSet"
	t := first([t |
		some t in array_at(w.object.spec, "volumeClaimTemplates")
		is_object(t)
		name_of(t) == mount.name
	])
}

# claim_of returns the PersistentVolumeClaim of the set a volume refers to.
claim_of(w, volume) := named[["PersistentVolumeClaim", w.ns, volume.persistentVolumeClaim.claimName]].object

# access_modes returns the access modes of the claim behind a volume, or
# of the StatefulSet's claim template; undefined when the claim is not in
# the set.
access_modes(w, volume) := {m | some m in array_at(volume.template.spec, "accessModes"); is_string(m)} if {
	is_object(volume.template)
} else := {m | some m in array_at(claim.spec, "accessModes"); is_string(m)} if {
	claim := claim_of(w, volume)
}

# shared_volume reports a volume every pod of a workload sees alike: a
# ReadWriteMany claim, or an NFS or CephFS volume.
shared_volume(w, volume) if "ReadWriteMany" in access_modes(w, volume)

shared_volume(_, volume) if is_object(volume.nfs)

shared_volume(_, volume) if is_object(volume.cephfs)

persistent_volume(_, volume) if is_object(volume.persistentVolumeClaim)

persistent_volume(_, volume) if is_object(volume.template)

persistent_volume(w, volume) if shared_volume(w, volume)

# The objects a volume reads: ConfigMaps and Secrets, directly or
# projected, as [kind, name].
volume_sources(v) := {["ConfigMap", v.configMap.name]} if {
	is_object(v.configMap)
} else := {["Secret", v.secret.secretName]} if {
	is_object(v.secret)
} else := {s |
	some p in array_at(v.projected, "sources")
	some s in projected_source(p)
}

projected_source(p) := {["ConfigMap", p.configMap.name]} if {
	is_object(p.configMap)
} else := {["Secret", p.secret.name]} if {
	is_object(p.secret)
} else := set()

# mounted_objects returns the ConfigMaps and Secrets of the set mounted
# into a container, each with the volume mount and volume.
mounted_objects(w, c) := [{"doc": d, "mount": m, "volume": v} |
	some m in array_at(c, "volumeMounts")
	some v in array_at(w.pod, "volumes")
	v.name == m.name
	some src in volume_sources(v)
	d := named[[src[0], w.ns, src[1]]]
]

# Images.

digest_pattern := `@sha256:[0-9a-f]{64}$`

# image_name is the image without its digest.
image_name(image) := split(image, "@")[0]

# image_basename is the last element of the repository: odoo for
# registry.example.com/acme/odoo:17.0@sha256:….
image_basename(image) := split(last(split(image_name(image), "/")), ":")[0]

image_tag(image) := split(last(split(image_name(image), "/")), ":")[1]

# image_registry is the host of an image; Docker Hub when it names none.
image_registry(image) := host if {
	parts := split(image_name(image), "/")
	count(parts) > 1
	host := parts[0]
	registry_host(host)
} else := "docker.io"

registry_host(host) if contains(host, ".")

registry_host(host) if contains(host, ":")

registry_host(host) if host == "localhost"

image_of(c) := c.image if {
	is_string(c.image)
} else := ""

# Quantities.

quantity_pattern := `^[0-9]+(\.[0-9]+)?(m|k|K|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$`

# quantity reads a Kubernetes quantity (2Gi, 512Mi, 2G, 500m, 3); it is
# undefined when q is not one.
quantity(q) := q if {
	is_number(q)
} else := floor(units.parse(q)) if {
	is_string(q)
	regex.match(quantity_pattern, q)
}

# integer reads a whole number written as digits.
integer(s) := s if {
	is_number(s)
} else := to_number(s) if {
	is_string(s)
	regex.match(`^[0-9]+$`, s)
}

# Go durations, as settings carry the RPO and RTO: 15m, 4h, 1h30m.
duration_pattern := `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`

duration(s) := time.parse_duration_ns(s) if {
	is_string(s)
	regex.match(duration_pattern, s)
}

# Generic helpers. They keep built-in functions from meeting a value of
# the wrong type, which stops the whole evaluation.

str(x) := x if {
	is_string(x)
} else := ""

array_at(obj, key) := v if {
	v := obj[key]
	is_array(v)
} else := []

first(list) := list[0]

last(list) := list[count(list) - 1]

# tokens returns the words of a command and its arguments: each element,
# split at spaces when it is a whole command line such as sh -c runs. An
# element that starts with - is one option, spaces and all
# (--load=base, queue_job), as the program receives it.
tokens(texts) := [w |
	some t in texts
	is_string(t)
	some w in split_words(t)
]

split_words(text) := [w |
	some w in regex.split(`\s+`, trim_space(text))
	w != ""
] if {
	regex.match(`\s`, text)
	not startswith(text, "-")
} else := [text]

# phrase joins names for a message: a, b and c; alternatives: a, b or c.
phrase(names) := joined(names, "and")

alternatives(names) := joined(names, "or")

joined(names, word) := concat(", ", names) if {
	count(names) < 2
} else := sprintf("%s %s %s", [concat(", ", array.slice(names, 0, count(names) - 1)), word, last(names)])
