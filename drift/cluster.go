package drift

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/manifest"
)

// DefaultTimeout bounds each request to the Kubernetes API when the
// configuration sets no timeout, so that an unreachable cluster fails the
// check instead of hanging it.
const DefaultTimeout = 30 * time.Second

// listPage is how many objects one list request asks for.
const listPage = 500

// maxListPages bounds the pages of one kind read in a namespace: 10,000
// pages of 500 objects is more than any namespace of an Odoo holds.
const maxListPages = 10_000

// Standard are the kinds whose live objects are listed, beside the kinds
// of the desired objects, to find the objects that were added by hand:
// what an Odoo environment is made of. A kind the cluster does not serve,
// such as Traefik's without Traefik, is left out.
var Standard = []schema.GroupKind{
	{Group: "apps", Kind: "Deployment"},
	{Group: "apps", Kind: "StatefulSet"},
	{Group: "apps", Kind: "DaemonSet"},
	{Group: "batch", Kind: "CronJob"},
	{Group: "batch", Kind: "Job"},
	{Group: "", Kind: "Service"},
	{Group: "", Kind: "ConfigMap"},
	{Group: "", Kind: "Secret"},
	{Group: "", Kind: "PersistentVolumeClaim"},
	{Group: "", Kind: "ResourceQuota"},
	{Group: "networking.k8s.io", Kind: "Ingress"},
	{Group: "networking.k8s.io", Kind: "NetworkPolicy"},
	{Group: "traefik.io", Kind: "IngressRoute"},
	{Group: "traefik.io", Kind: "Middleware"},
	{Group: "traefik.containo.us", Kind: "IngressRoute"},
	{Group: "traefik.containo.us", Kind: "Middleware"},
}

// RESTConfig returns the configuration of the cluster to compare with, as
// kubectl finds it: the kubeconfig file given, else the files of
// KUBECONFIG, else ~/.kube/config, with context (or the current
// context). Inside a pod (KUBERNETES_SERVICE_HOST set) with none of those,
// it is the pod's service account.
func RESTConfig(kubeconfig, context string, getenv func(string) string) (*rest.Config, error) {
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig}
	if kubeconfig == "" {
		if env := getenv("KUBECONFIG"); env != "" {
			rules.Precedence = filepath.SplitList(env)
		} else if _, err := os.Stat(clientcmd.RecommendedHomeFile); err == nil || getenv("KUBERNETES_SERVICE_HOST") == "" {
			rules.Precedence = []string{clientcmd.RecommendedHomeFile}
		} else {
			if context != "" {
				return nil, fmt.Errorf("--context %s: no kubeconfig to find it in; inside a pod the pod's service account is used", context)
			}
			cfg, err := rest.InClusterConfig()
			if err != nil {
				return nil, fmt.Errorf("in-cluster configuration: %w", err)
			}
			return cfg, nil
		}
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: context})
	cfg, err := cc.ClientConfig()
	if clientcmd.IsEmptyConfig(err) {
		if kubeconfig == "" && getenv("KUBECONFIG") != "" {
			// kubectl skips the files of KUBECONFIG that do not exist.
			return nil, fmt.Errorf("no Kubernetes configuration in KUBECONFIG=%s: none of its files exists or holds a cluster; fix KUBECONFIG or give --kubeconfig", getenv("KUBECONFIG"))
		}
		return nil, errors.New("no Kubernetes configuration: give --kubeconfig, set KUBECONFIG or write ~/.kube/config, or run in a pod")
	}
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	return cfg, nil
}

// WebhookQPS and WebhookBurst are the rate limit of the admission
// webhook's reads of the Kubernetes API (the image catalog of each
// CloudNativePG Cluster admitted). client-go's default, 5 requests a
// second with bursts of 10, would hold a burst of Clusters applied
// together (a restore, a rollout across plants) in the client's own queue
// until the webhook's deadline refused them, failing closed. At 50 a
// second with bursts of 100, a hundred Clusters' catalogs are read at
// once and hundreds within the default deadline of 10 seconds, a load
// that the API server's own fairness queues bear.
const (
	WebhookQPS   = 50
	WebhookBurst = 100
)

// WebhookRESTConfig returns the configuration through which the admission
// webhook reads the Kubernetes API: RESTConfig's for kubeconfig (or,
// inside a pod without one, the pod's service account), limited to
// WebhookQPS and WebhookBurst.
func WebhookRESTConfig(kubeconfig string, getenv func(string) string) (*rest.Config, error) {
	cfg, err := RESTConfig(kubeconfig, "", getenv)
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = WebhookQPS, WebhookBurst
	return cfg, nil
}

// Cluster reads the live objects of a Kubernetes cluster through the
// dynamic client, with the kinds it serves learnt from aggregated
// discovery.
type Cluster struct {
	host    string
	base    *url.URL
	http    *http.Client
	dynamic dynamic.Interface
}

// NewCluster returns a Cluster that talks to the API server of cfg. It
// does not reach it yet.
func NewCluster(cfg *rest.Config) (*Cluster, error) {
	cfg = rest.CopyConfig(cfg)
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	// One HTTP client, with the configuration's credentials, TLS,
	// impersonation and timeout, for discovery and the lists.
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	dyn, err := dynamic.NewForConfigAndClient(cfg, hc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	// The server's address, with the path it may sit under.
	base, _, err := rest.DefaultServerUrlFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return &Cluster{host: withoutUser(cfg.Host), base: base, http: hc, dynamic: dyn}, nil
}

// withoutUser returns the URL host without its user information, which
// a kubeconfig's server may hold (https://admin:PASSWORD@host): the host
// is shown in errors and sent in the report, which the audit log keeps
// for good, and the server refuses one with credentials.
func withoutUser(host string) string {
	u, err := url.Parse(host)
	if err != nil || u.User == nil {
		return host
	}
	u.User = nil
	return u.String()
}

// Host returns the URL of the API server, without credentials.
func (c *Cluster) Host() string { return c.host }

// mapping is what discovery says of a kind in one version.
type mapping struct {
	served     bool
	namespaced bool
	kind       schema.GroupVersionKind
	resource   schema.GroupVersionResource
}

// Check compares the desired objects with the live objects of namespace
// and returns the report, with Namespace, Server, Counts, Objects and
// Skipped filled in. It lists every kind of the desired objects and the
// Standard kinds in the namespace; it needs get and list on them.
func (c *Cluster) Check(ctx context.Context, namespace string, desired []*manifest.Object) (*andon.DriftReport, error) {
	served, err := c.discover(ctx)
	if err != nil {
		return nil, err
	}
	kinds := map[schema.GroupVersionKind]mapping{}
	// resolve returns the mapping of a kind in its version, or in the
	// preferred version when the version is "".
	resolve := func(gvk schema.GroupVersionKind) (mapping, error) {
		if m, ok := kinds[gvk]; ok {
			return m, nil
		}
		m, ok := served.lookup(gvk)
		if !ok && served.stale[gvk.Group] {
			return mapping{}, fmt.Errorf("discover %s at %s: the API group did not answer", gvk.GroupVersion(), c.host)
		}
		kinds[gvk] = m
		return m, nil
	}

	// The kinds to list: those of the desired objects in the namespace,
	// in their versions, and the standard kinds in the preferred version
	// unless a desired object already has them listed.
	var lists []mapping
	listed := map[schema.GroupVersionResource]bool{}
	listedKinds := map[schema.GroupKind]bool{}
	add := func(m mapping) {
		if m.served && m.namespaced && !listed[m.resource] {
			listed[m.resource] = true
			listedKinds[m.kind.GroupKind()] = true
			lists = append(lists, m)
		}
	}
	for _, d := range desired {
		m, err := resolve(schema.FromAPIVersionAndKind(d.APIVersion, d.Kind))
		if err != nil {
			return nil, err
		}
		if d.Namespace == "" || d.Namespace == namespace {
			add(m)
		}
	}
	for _, gk := range Standard {
		if listedKinds[gk] {
			continue
		}
		m, err := resolve(gk.WithVersion(""))
		if err != nil {
			return nil, err
		}
		add(m)
	}

	var live []map[string]any
	for _, m := range lists {
		objs, err := c.list(ctx, m, namespace)
		if err != nil {
			return nil, err
		}
		live = append(live, objs...)
	}
	rep, err := Compare(Input{
		Namespace: namespace,
		Desired:   desired,
		Live:      live,
		Scope: func(apiVersion, kind string) (bool, bool) {
			m := kinds[schema.FromAPIVersionAndKind(apiVersion, kind)]
			return m.served, m.namespaced
		},
	})
	if err != nil {
		return nil, err
	}
	rep.Server = c.host
	return rep, nil
}

// discoveryAccept asks for aggregated discovery: every group, version and
// resource in one answer from /api and one from /apis, in
// apidiscovery.k8s.io/v2 (Kubernetes 1.30 and later) or v2beta1 (1.27 to
// 1.32), whose JSON is the same. client-go's discovery package would read
// the same, at the price of linking and initialising every built-in API
// type in every andon process.
const discoveryAccept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"

// servedKinds is what the API server serves: each kind's mappings, in
// the order of preference of its group's versions, and the groups whose
// discovery is stale because an aggregated API server did not answer (a
// metrics server down, say).
type servedKinds struct {
	kinds map[schema.GroupKind][]mapping
	stale map[string]bool
}

// lookup returns the mapping of a kind in its version, or in the
// preferred version served when the version is "".
func (s servedKinds) lookup(gvk schema.GroupVersionKind) (mapping, bool) {
	for _, m := range s.kinds[gvk.GroupKind()] {
		if gvk.Version == "" || m.kind.Version == gvk.Version {
			return m, true
		}
	}
	return mapping{}, false
}

// discover asks the API server which kinds it serves. A group whose
// discovery is stale does not stop the check; it is remembered, so that
// a desired object of one of its kinds is an error rather than reported
// missing. The resources a stale version still lists are the last the API
// server saw, perhaps long ago, and are not taken as served.
func (c *Cluster) discover(ctx context.Context) (servedKinds, error) {
	s := servedKinds{kinds: map[schema.GroupKind][]mapping{}, stale: map[string]bool{}}
	for _, path := range []string{"/api", "/apis"} {
		list, err := c.discovery(ctx, path)
		if err != nil {
			return servedKinds{}, err
		}
		for _, g := range list.Items {
			for _, v := range g.Versions {
				if v.Freshness == apidiscoveryv2.DiscoveryFreshnessStale {
					s.stale[g.Name] = true
					continue
				}
				for _, r := range v.Resources {
					if r.ResponseKind == nil || r.ResponseKind.Kind == "" {
						continue
					}
					gk := schema.GroupKind{Group: g.Name, Kind: r.ResponseKind.Kind}
					if _, ok := s.lookup(gk.WithVersion(v.Version)); ok {
						continue
					}
					s.kinds[gk] = append(s.kinds[gk], mapping{
						served:     true,
						namespaced: r.Scope == apidiscoveryv2.ScopeNamespace,
						kind:       gk.WithVersion(v.Version),
						resource:   schema.GroupVersionResource{Group: g.Name, Version: v.Version, Resource: r.Resource},
					})
				}
			}
		}
	}
	return s, nil
}

// discovery reads the aggregated discovery document at path.
func (c *Cluster) discovery(ctx context.Context, path string) (*apidiscoveryv2.APIGroupDiscoveryList, error) {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", discoveryAccept)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the Kubernetes API at %s: %w", c.host, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDiscovery+1))
	if err != nil {
		return nil, fmt.Errorf("discover at %s%s: %w", c.host, path, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotAcceptable:
		return nil, fmt.Errorf("discover at %s%s: the API server does not serve aggregated discovery (apidiscovery.k8s.io/v2 or v2beta1); drift needs Kubernetes 1.27 or later", c.host, path)
	case resp.StatusCode == http.StatusUnauthorized:
		return nil, fmt.Errorf("discover at %s%s: %s: the API server did not accept the credentials of the kubeconfig or the service account", c.host, path, resp.Status)
	case resp.StatusCode == http.StatusForbidden:
		return nil, fmt.Errorf("discover at %s%s: %s: the user may not read %s, which every authenticated user may by default (ClusterRole system:discovery)", c.host, path, resp.Status, path)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("discover at %s%s: %s: %s", c.host, path, resp.Status, snippet(body))
	case len(body) > maxDiscovery:
		return nil, fmt.Errorf("discover at %s%s: the answer is larger than %d MiB", c.host, path, maxDiscovery>>20)
	}
	var list apidiscoveryv2.APIGroupDiscoveryList
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("discover at %s%s: %w", c.host, path, err)
	}
	if list.Kind != "APIGroupDiscoveryList" {
		return nil, fmt.Errorf("discover at %s%s: the API server answered %q, not an APIGroupDiscoveryList; drift needs Kubernetes 1.27 or later", c.host, path, list.Kind)
	}
	return &list, nil
}

// maxDiscovery bounds a discovery answer; a large cluster's, with many
// custom resources, is a few hundred kilobytes.
const maxDiscovery = 64 << 20

// snippet returns the start of an error's body, for a message, cut at
// 200 characters.
func snippet(b []byte) string {
	r := []rune(strings.TrimSpace(string(b)))
	if len(r) > 200 {
		return string(r[:200]) + "…"
	}
	return string(r)
}

// list returns every object of a kind in namespace, page by page.
func (c *Cluster) list(ctx context.Context, m mapping, namespace string) ([]map[string]any, error) {
	apiVersion, kind := m.kind.ToAPIVersionAndKind()
	var out []map[string]any
	err := c.pages(ctx, m.resource, namespace, func(it *unstructured.Unstructured) {
		// List items may come without their kind; the version listed
		// is the one they are in.
		it.SetAPIVersion(apiVersion)
		it.SetKind(kind)
		out = append(out, it.Object)
	})
	switch {
	case apierrors.IsNotFound(err):
		// The kind went away since discovery, a CRD deleted say:
		// nothing of it is live.
		return out, nil
	case apierrors.IsForbidden(err):
		return nil, fmt.Errorf("list %s in namespace %s: forbidden: drift needs get and list on %s: %w", m.resource.Resource, namespace, m.resource.GroupResource(), err)
	case err != nil:
		return nil, fmt.Errorf("list %s in namespace %s at %s: %w", m.resource.Resource, namespace, c.host, err)
	}
	return out, nil
}

// List returns every object of resource in namespace, or in every
// namespace when namespace is "", page by page. A resource the server
// does not serve (the CRD is not installed) has no objects. Its error has
// code EFORBIDDEN when the configuration's user may not list them.
func (c *Cluster) List(ctx context.Context, resource schema.GroupVersionResource, namespace string) ([]map[string]any, error) {
	where := "in every namespace"
	if namespace != "" {
		where = "in namespace " + namespace
	}
	var out []map[string]any
	err := c.pages(ctx, resource, namespace, func(it *unstructured.Unstructured) { out = append(out, it.Object) })
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case apierrors.IsForbidden(err):
		return nil, andon.Errorf(andon.EFORBIDDEN, "list %s %s at %s: forbidden: andon needs list on %s", resource.GroupResource(), where, c.host, resource.GroupResource())
	case err != nil:
		return nil, fmt.Errorf("list %s %s at %s: %w", resource.GroupResource(), where, c.host, err)
	}
	return out, nil
}

// pages lists resource in namespace page by page, giving each item to
// add. Its error is the API server's, or one of its own when the
// server's pages do not end.
func (c *Cluster) pages(ctx context.Context, resource schema.GroupVersionResource, namespace string, add func(*unstructured.Unstructured)) error {
	opts := metav1.ListOptions{Limit: listPage}
	for page := 1; ; page++ {
		l, err := c.dynamic.Resource(resource).Namespace(namespace).List(ctx, opts)
		if err != nil {
			return err
		}
		for i := range l.Items {
			add(&l.Items[i])
		}
		next := l.GetContinue()
		switch {
		case next == "":
			return nil
		case next == opts.Continue || page == maxListPages:
			// A server that hands back the token it was given, or pages
			// without end, would be listed for ever.
			return fmt.Errorf("the server's pages do not end (%d read, continue token %.40q)", page, next)
		}
		opts.Continue = next
	}
}

// Get returns one object of resource, in namespace ("" for a
// cluster-scoped resource). Its error has code ENOTFOUND when there is no
// such object, or no such resource (the CRD is not installed), and
// EFORBIDDEN when the configuration's user may not get it.
func (c *Cluster) Get(ctx context.Context, resource schema.GroupVersionResource, namespace, name string) (map[string]any, error) {
	what := resource.GroupResource().String() + " " + name
	if namespace != "" {
		what = resource.GroupResource().String() + " " + namespace + "/" + name
	}
	obj, err := c.dynamic.Resource(resource).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil, andon.Errorf(andon.ENOTFOUND, "get %s at %s: not found", what, c.host)
	case apierrors.IsForbidden(err):
		return nil, andon.Errorf(andon.EFORBIDDEN, "get %s at %s: forbidden: andon needs get on %s", what, c.host, resource.GroupResource())
	case err != nil:
		return nil, fmt.Errorf("get %s at %s: %w", what, c.host, err)
	}
	return obj.Object, nil
}
