package drift

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
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
		return nil, errors.New("no Kubernetes configuration: give --kubeconfig, set KUBECONFIG or write ~/.kube/config, or run in a pod")
	}
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	return cfg, nil
}

// Cluster reads the live objects of a Kubernetes cluster through the
// dynamic client, with the kinds it serves learnt from discovery.
type Cluster struct {
	host      string
	dynamic   dynamic.Interface
	discovery discovery.DiscoveryInterfaceWithContext
}

// NewCluster returns a Cluster that talks to the API server of cfg. It
// does not reach it yet.
func NewCluster(cfg *rest.Config) (*Cluster, error) {
	cfg = rest.CopyConfig(cfg)
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return &Cluster{host: cfg.Host, dynamic: dyn, discovery: discovery.ToDiscoveryInterfaceWithContext(dc)}, nil
}

// Host returns the URL of the API server.
func (c *Cluster) Host() string { return c.host }

// mapping is what discovery says of a kind.
type mapping struct {
	served bool
	*meta.RESTMapping
}

// Check compares the desired objects with the live objects of namespace
// and returns the report, with Namespace, Server, Counts, Objects and
// Skipped filled in. It lists every kind of the desired objects and the
// Standard kinds in the namespace; it needs get and list on them.
func (c *Cluster) Check(ctx context.Context, namespace string, desired []*manifest.Object) (*andon.DriftReport, error) {
	mapper, failed, err := c.mapper(ctx)
	if err != nil {
		return nil, err
	}
	kinds := map[schema.GroupVersionKind]mapping{}
	resolve := func(gvk schema.GroupVersionKind, versions ...string) (mapping, error) {
		if m, ok := kinds[gvk]; ok {
			return m, nil
		}
		rm, err := mapper.RESTMapping(gvk.GroupKind(), versions...)
		switch {
		case meta.IsNoMatchError(err) && failed[gvk.Group]:
			return mapping{}, fmt.Errorf("discover %s at %s: the API group did not answer", gvk.GroupVersion(), c.host)
		case meta.IsNoMatchError(err):
			kinds[gvk] = mapping{}
			return mapping{}, nil
		case err != nil:
			return mapping{}, fmt.Errorf("map %s %s: %w", gvk.GroupVersion(), gvk.Kind, err)
		}
		m := mapping{served: true, RESTMapping: rm}
		kinds[gvk] = m
		return m, nil
	}

	// The kinds to list: those of the desired objects in the namespace,
	// in their versions, and the standard kinds in the preferred version
	// unless a desired object already has them listed.
	var lists []*meta.RESTMapping
	listed := map[schema.GroupVersionResource]bool{}
	listedKinds := map[schema.GroupKind]bool{}
	add := func(m mapping) {
		if m.served && m.Scope.Name() == meta.RESTScopeNameNamespace && !listed[m.Resource] {
			listed[m.Resource] = true
			listedKinds[m.GroupVersionKind.GroupKind()] = true
			lists = append(lists, m.RESTMapping)
		}
	}
	for _, d := range desired {
		gvk := schema.FromAPIVersionAndKind(d.APIVersion, d.Kind)
		m, err := resolve(gvk, gvk.Version)
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
			return m.served, m.served && m.Scope.Name() == meta.RESTScopeNameNamespace
		},
	})
	if err != nil {
		return nil, err
	}
	rep.Server = c.host
	return rep, nil
}

// mapper asks the API server which kinds it serves. An aggregated API
// that does not answer (a metrics server down, say) does not stop the
// check; its groups are returned, so that a desired object of one of
// them is an error rather than reported missing.
func (c *Cluster) mapper(ctx context.Context) (meta.RESTMapper, map[string]bool, error) {
	groups, resources, err := c.discovery.ServerGroupsAndResourcesWithContext(ctx)
	failedVersions, partial := discovery.GroupDiscoveryFailedErrorGroups(err)
	if err != nil && (!partial || groups == nil) {
		return nil, nil, fmt.Errorf("cannot reach the Kubernetes API at %s: %w", c.host, err)
	}
	failed := map[string]bool{}
	for gv := range failedVersions {
		failed[gv.Group] = true
	}
	byVersion := map[string]*metav1.APIResourceList{}
	for _, r := range resources {
		byVersion[r.GroupVersion] = r
	}
	var apiGroups []*restmapper.APIGroupResources
	for _, g := range groups {
		gr := &restmapper.APIGroupResources{Group: *g, VersionedResources: map[string][]metav1.APIResource{}}
		for _, v := range g.Versions {
			if r, ok := byVersion[v.GroupVersion]; ok {
				gr.VersionedResources[v.Version] = r.APIResources
			}
		}
		apiGroups = append(apiGroups, gr)
	}
	return restmapper.NewDiscoveryRESTMapper(apiGroups), failed, nil
}

// list returns every object of a kind in namespace, page by page.
func (c *Cluster) list(ctx context.Context, m *meta.RESTMapping, namespace string) ([]map[string]any, error) {
	apiVersion, kind := m.GroupVersionKind.ToAPIVersionAndKind()
	var out []map[string]any
	opts := metav1.ListOptions{Limit: listPage}
	for {
		l, err := c.dynamic.Resource(m.Resource).Namespace(namespace).List(ctx, opts)
		switch {
		case apierrors.IsNotFound(err):
			// The kind went away since discovery, a CRD deleted say:
			// nothing of it is live.
			return out, nil
		case apierrors.IsForbidden(err):
			return nil, fmt.Errorf("list %s in namespace %s: forbidden: drift needs get and list on %s: %w", m.Resource.Resource, namespace, m.Resource.GroupResource(), err)
		case err != nil:
			return nil, fmt.Errorf("list %s in namespace %s at %s: %w", m.Resource.Resource, namespace, c.host, err)
		}
		for _, it := range l.Items {
			// List items may come without their kind; the version listed
			// is the one they are in.
			it.SetAPIVersion(apiVersion)
			it.SetKind(kind)
			out = append(out, it.Object)
		}
		if opts.Continue = l.GetContinue(); opts.Continue == "" {
			return out, nil
		}
	}
}
