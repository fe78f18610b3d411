package admission

import (
	"fmt"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/andon-governance/andon"
)

// ConfigOptions say how the API server reaches andon and what it sends.
type ConfigOptions struct {
	// Name is the configuration's name.
	Name string
	// URL is andon's admission URL (https://host:port/api/v1/admission),
	// or Service a Service in the cluster, "namespace/name" or
	// "namespace/name:port": exactly one of them.
	URL     string
	Service string
	// CABundle is the PEM bundle that signed andon's serving certificate.
	CABundle []byte
	// Cluster, when not "", is put in the path, so that andon matches the
	// namespaces of that cluster's environments only.
	Cluster string
	// OtherFailurePolicy is what the API server does for the namespaces of
	// environments other than production when andon does not answer:
	// Ignore (the default) or Fail. Production always fails closed.
	OtherFailurePolicy string
	// TimeoutSeconds is the API server's deadline, 1 to 30; 0 means 10.
	TimeoutSeconds int32
	// TrustedControllers are the users whose objects owned by a
	// controller are not sent, as Reviewer.TrustedControllers; nil means
	// DefaultTrustedControllers.
	TrustedControllers []string
}

// Path is where andon serves admission reviews; a cluster's name may
// follow it.
const Path = "/api/v1/admission"

// NotControlled returns the CEL condition that leaves out the objects a
// trusted controller writes for an owner (the Pods of a ReplicaSet, the
// ReplicaSets of a Deployment): their owner was admitted, and refusing them
// when andon is down would stop pods from being rescheduled. Objects that
// others write with an owner reference are sent all the same, and so are
// the ephemeral containers added to a Pod (the pods/ephemeralcontainers
// subresource), whoever adds them: no owner's template holds them, so
// nothing governed them before, and the Reviewer reviews them even from a
// trusted controller.
func NotControlled(controllers []string) (string, error) {
	if controllers == nil {
		controllers = DefaultTrustedControllers
	}
	var users []string
	for _, c := range controllers {
		if c == "" || strings.ContainsAny(c, `'\`) {
			return "", fmt.Errorf("trusted controller %q: want a user name, or a prefix ending in *, without quotes or backslashes", c)
		}
		if prefix, ok := strings.CutSuffix(c, "*"); ok {
			users = append(users, fmt.Sprintf("request.userInfo.username.startsWith('%s')", prefix))
		} else {
			users = append(users, fmt.Sprintf("request.userInfo.username == '%s'", c))
		}
	}
	if len(users) == 0 {
		return "true", nil
	}
	return fmt.Sprintf("%s || !(has(object.metadata.ownerReferences) && object.metadata.ownerReferences.exists(r, has(r.controller) && r.controller) && (%s))", ephemeralContainers, strings.Join(users, " || ")), nil
}

// ephemeralContainers is the CEL condition that holds for a request of
// the pods/ephemeralcontainers subresource (kubectl debug). The request
// of an object leaves out an empty subResource, hence has().
const ephemeralContainers = "(has(request.subResource) && request.subResource == 'ephemeralcontainers')"

// Configuration returns the ValidatingWebhookConfiguration that sends
// andon the objects of the catalog's governed namespaces: one webhook for
// the namespaces of production environments, which fails closed, and one
// for the others, whose failure policy is opts.OtherFailurePolicy; and a
// third, which fails closed, for CloudNativePG's ClusterImageCatalogs,
// which are of no namespace but whose images reach the Clusters of
// governed ones.
// Namespaces are selected by name (the kubernetes.io/metadata.name label
// the API server sets), so the configuration must be applied again when
// the catalog's namespaces change.
func Configuration(cat *andon.Catalog, opts ConfigOptions) (*admissionregistrationv1.ValidatingWebhookConfiguration, error) {
	var problems []string
	if (opts.URL == "") == (opts.Service == "") {
		problems = append(problems, "give either the URL of andon's admission endpoint or its Service")
	}
	if opts.URL != "" && !strings.HasPrefix(opts.URL, "https://") {
		problems = append(problems, fmt.Sprintf("url %q: the API server calls webhooks over https only", opts.URL))
	}
	if len(opts.CABundle) == 0 {
		problems = append(problems, "the CA bundle is required: the API server verifies andon's certificate with it")
	} else if !strings.Contains(string(opts.CABundle), "-----BEGIN CERTIFICATE-----") {
		problems = append(problems, "the CA bundle holds no PEM certificate")
	}
	other := admissionregistrationv1.Ignore
	switch opts.OtherFailurePolicy {
	case "", string(admissionregistrationv1.Ignore):
	case string(admissionregistrationv1.Fail):
		other = admissionregistrationv1.Fail
	default:
		problems = append(problems, fmt.Sprintf("failure policy %q: want Ignore or Fail", opts.OtherFailurePolicy))
	}
	timeout := opts.TimeoutSeconds
	if timeout == 0 {
		timeout = 10
	}
	if timeout < 1 || timeout > 30 {
		problems = append(problems, fmt.Sprintf("timeout %d s: the API server accepts 1 to 30", timeout))
	}
	if opts.Cluster != "" && len(validation.IsDNS1123Subdomain(opts.Cluster)) > 0 {
		// The catalog names clusters freely, but andon reads the cluster
		// from one segment of the webhook's path, and the API server takes
		// nothing but a DNS-1123 subdomain there: a path it refused, or
		// one that reached no route of andon, would leave production
		// refusing every object.
		problems = append(problems, fmt.Sprintf("cluster %.80q: the webhook's path names it, and the API server takes only a lowercase DNS-1123 subdomain (a-z, 0-9, '-' and '.', at most 253 characters) as a segment of a webhook's path; rename the cluster so in the catalog's kubernetes.cluster", opts.Cluster))
	}
	path := Path
	if opts.Cluster != "" {
		path += "/" + opts.Cluster
	}
	client := admissionregistrationv1.WebhookClientConfig{CABundle: opts.CABundle}
	if opts.URL != "" {
		u := strings.TrimSuffix(opts.URL, "/")
		if !strings.HasSuffix(u, Path) {
			u += Path
		}
		if opts.Cluster != "" {
			u += "/" + opts.Cluster
		}
		client.URL = &u
	} else if opts.Service != "" {
		ref, err := serviceRef(opts.Service)
		if err != nil {
			problems = append(problems, err.Error())
		}
		ref.Path = &path
		client.Service = ref
	}

	var prod, others []string
	for _, e := range cat.Environments {
		k := e.Kubernetes
		if k.Namespace == "" || (opts.Cluster != "" && k.Cluster != "" && k.Cluster != opts.Cluster) {
			continue
		}
		// A webhook that governs these could lock the cluster out: with
		// andon down, neither the cluster's own components nor andon
		// itself could be deployed again.
		switch {
		case k.Namespace == "kube-system":
			problems = append(problems, fmt.Sprintf("environment %s: kubernetes.namespace kube-system: the webhook must not govern the cluster's own components, which must stay deployable while andon is down", e.Name))
			continue
		case client.Service != nil && k.Namespace == client.Service.Namespace:
			problems = append(problems, fmt.Sprintf("environment %s: kubernetes.namespace %s is andon's own (service %s): the webhook must not govern it, or andon could not be deployed while it is down", e.Name, k.Namespace, opts.Service))
			continue
		}
		if e.Stage == andon.StageProduction {
			prod = append(prod, k.Namespace)
		} else {
			others = append(others, k.Namespace)
		}
	}
	notControlled, err := NotControlled(opts.TrustedControllers)
	if err != nil {
		problems = append(problems, err.Error())
	}
	if len(prod)+len(others) == 0 {
		problems = append(problems, "no environment of the catalog names a kubernetes.namespace"+inCluster(opts.Cluster)+": there is nothing to govern")
	}
	if len(problems) > 0 {
		return nil, andon.Errorf(andon.EINVALID, "%s", strings.Join(problems, "; "))
	}

	name := opts.Name
	if name == "" {
		name = "andon"
	}
	cfg := &admissionregistrationv1.ValidatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app.kubernetes.io/managed-by": "andon"}},
	}
	add := func(stage string, namespaces []string, failure admissionregistrationv1.FailurePolicyType) {
		if len(namespaces) == 0 {
			return
		}
		slices.Sort(namespaces)
		namespaces = slices.Compact(namespaces)
		sideEffects := admissionregistrationv1.SideEffectClassNoneOnDryRun
		match := admissionregistrationv1.Equivalent
		cfg.Webhooks = append(cfg.Webhooks, admissionregistrationv1.ValidatingWebhook{
			Name:                    stage + ".gate.andon.io",
			AdmissionReviewVersions: []string{"v1"},
			ClientConfig:            client,
			SideEffects:             &sideEffects,
			TimeoutSeconds:          &timeout,
			FailurePolicy:           &failure,
			MatchPolicy:             &match,
			NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
				Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpIn, Values: namespaces,
			}}},
			Rules:           rules(),
			MatchConditions: []admissionregistrationv1.MatchCondition{{Name: "not-written-by-a-trusted-controller", Expression: notControlled}},
		})
	}
	add("production", prod, admissionregistrationv1.Fail)
	add("other", others, other)
	// The API server sends a cluster-scoped object to every webhook whose
	// rules match it, whatever their namespaceSelector: in the two above a
	// ClusterImageCatalog would be reviewed twice. It has a webhook of its
	// own, which fails closed: a change of its images reaches production
	// databases that kept it from before andon governed them.
	sideEffects := admissionregistrationv1.SideEffectClassNoneOnDryRun
	match := admissionregistrationv1.Equivalent
	fail := admissionregistrationv1.Fail
	cfg.Webhooks = append(cfg.Webhooks, admissionregistrationv1.ValidatingWebhook{
		Name:                    ClusterImageCatalogWebhook,
		AdmissionReviewVersions: []string{"v1"},
		ClientConfig:            client,
		SideEffects:             &sideEffects,
		TimeoutSeconds:          &timeout,
		FailurePolicy:           &fail,
		MatchPolicy:             &match,
		Rules:                   clusterRules(),
		MatchConditions:         []admissionregistrationv1.MatchCondition{{Name: "not-written-by-a-trusted-controller", Expression: notControlled}},
	})
	return cfg, nil
}

// ClusterImageCatalogWebhook is the name of the webhook that sends andon
// CloudNativePG's ClusterImageCatalogs.
const ClusterImageCatalogWebhook = "cluster-image-catalogs.gate.andon.io"

// clusterRules are the cluster-scoped objects andon checks: CloudNativePG's
// ClusterImageCatalogs, whose changed images are asked about in the
// environments of the Clusters that use them.
func clusterRules() []admissionregistrationv1.RuleWithOperations {
	scope := admissionregistrationv1.ClusterScope
	return []admissionregistrationv1.RuleWithOperations{{
		Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
		Rule: admissionregistrationv1.Rule{
			APIGroups: []string{cnpgGroup}, APIVersions: []string{"v1"}, Resources: []string{"clusterimagecatalogs"}, Scope: &scope,
		},
	}}
}

// rules are the objects andon checks: the workloads, whose images go
// through the gate (with CloudNativePG's Clusters, ImageCatalogs and
// Poolers, whose images its operator runs), and the kinds of the object rules of the manifest
// policy; and the ephemeral containers kubectl debug adds to a Pod, which
// both check, and which a rule for pods does not send. Secrets are left
// out: no object rule reads them, and andon need not see their values.
func rules() []admissionregistrationv1.RuleWithOperations {
	scope := admissionregistrationv1.NamespacedScope
	rule := func(group, version string, resources ...string) admissionregistrationv1.RuleWithOperations {
		return admissionregistrationv1.RuleWithOperations{
			Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
			Rule: admissionregistrationv1.Rule{
				APIGroups: []string{group}, APIVersions: []string{version}, Resources: resources, Scope: &scope,
			},
		}
	}
	return []admissionregistrationv1.RuleWithOperations{
		rule("", "v1", "pods", "pods/ephemeralcontainers", "replicationcontrollers", "services", "configmaps"),
		rule("apps", "v1", "deployments", "statefulsets", "daemonsets", "replicasets"),
		rule("batch", "v1", "jobs", "cronjobs"),
		rule("networking.k8s.io", "v1", "ingresses"),
		rule("traefik.io", "*", "ingressroutes", "middlewares", "tlsoptions"),
		rule("traefik.containo.us", "*", "ingressroutes", "middlewares", "tlsoptions"),
		rule("postgresql.cnpg.io", "v1", "clusters", "scheduledbackups", "imagecatalogs", "poolers"),
	}
}

// serviceRef parses namespace/name[:port].
func serviceRef(s string) (*admissionregistrationv1.ServiceReference, error) {
	ref := &admissionregistrationv1.ServiceReference{}
	nsName, port, hasPort := strings.Cut(s, ":")
	ns, name, ok := strings.Cut(nsName, "/")
	if !ok || ns == "" || name == "" {
		return ref, fmt.Errorf("service %q: want namespace/name or namespace/name:port", s)
	}
	ref.Namespace, ref.Name = ns, name
	if hasPort {
		var p int32
		if _, err := fmt.Sscanf(port, "%d", &p); err != nil || p < 1 || p > 65535 || fmt.Sprint(p) != port {
			return ref, fmt.Errorf("service %q: port %q is not a number from 1 to 65535", s, port)
		}
		ref.Port = &p
	}
	return ref, nil
}

func inCluster(cluster string) string {
	if cluster == "" {
		return ""
	}
	return " in cluster " + cluster
}
