package main

import (
	"encoding/json"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/admission"
)

// newKubeCmd returns `andon kube`, which connects andon to Kubernetes.
func newKubeCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "kube", Short: "Connect andon to Kubernetes clusters"}
	cmd.AddCommand(newWebhookConfigCmd(e))
	return cmd
}

func newWebhookConfigCmd(e *env) *cobra.Command {
	var opts admission.ConfigOptions
	var caFile, catalogDir string
	cmd := &cobra.Command{
		Use:   "webhook-config (--url URL | --service NS/NAME[:PORT]) --ca-bundle FILE",
		Short: "Print the ValidatingWebhookConfiguration that sends a cluster's governed namespaces to andon",
		Long: `Print the ValidatingWebhookConfiguration that makes the API server ask andon
before it stores a workload, Service, ConfigMap, Ingress, Traefik route or
CloudNativePG Cluster, ImageCatalog or Pooler in a namespace of a governed environment (an
Environment's kubernetes.namespace). Apply it with kubectl apply -f -.

andon serves the reviews over TLS on andon serve --admission-addr; the API
server reaches it at --url (https://…/api/v1/admission) or through a
Service in the cluster (--service namespace/name[:port]), and verifies its
certificate with --ca-bundle.

The namespaces of production environments fail closed (failurePolicy Fail):
when andon does not answer, nothing is deployed there. The others fail open
by default (Ignore), so that an andon outage does not stop work in test
environments; --other-failure-policy Fail makes them fail closed too.

A third webhook sends CloudNativePG's ClusterImageCatalogs, which are of no
namespace: a change of their images is asked about in the environment of
each governed namespace whose Clusters use them. It fails closed.

Namespaces are listed by name from the catalog (--catalog DIR, or the
server's): apply the output again when the catalog's namespaces change.
With --cluster, only that cluster's environments are listed and the URL
names the cluster, so that one andon can serve several clusters whose
namespaces share names; the API server takes only a lowercase DNS-1123
subdomain there, so such a cluster must be named so in the catalog.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, _ := cmd.Flags().GetString("output")
			if format != "" && format != outputYAML && format != outputJSON {
				return andon.Errorf(andon.EINVALID, "--output %q: want yaml or json", format)
			}
			// 0 is the default of admission.ConfigOptions, 10 s: given
			// on the command line it is a mistake, not a request for 10.
			if opts.TimeoutSeconds < 1 || opts.TimeoutSeconds > 30 {
				return andon.Errorf(andon.EINVALID, "--timeout %d: the API server waits 1 to 30 seconds", opts.TimeoutSeconds)
			}
			if caFile == "" {
				return andon.Errorf(andon.EINVALID, "--ca-bundle: required, the PEM file of the CA that signed andon's serving certificate")
			}
			var err error
			if opts.CABundle, err = os.ReadFile(caFile); err != nil {
				return andon.Errorf(andon.EINVALID, "--ca-bundle: %v", err)
			}
			var cat *andon.Catalog
			if catalogDir != "" {
				if cat, err = loadCatalogDir("--catalog", catalogDir); err != nil {
					return err
				}
			} else {
				c, err := e.remote(cmd)
				if err != nil {
					return err
				}
				if cat, err = c.Catalog(e.ctx); err != nil {
					if e.noToken && andon.ErrorCode(err) == andon.EUNAUTHORIZED {
						return andon.Errorf(andon.EINVALID, "the catalog's namespaces come from the server, which needs an API token: give --catalog DIR, the catalog directory, or set ANDON_TOKEN or --token")
					}
					return andon.Errorf(andon.ErrorCode(err), "the catalog's namespaces come from the server unless --catalog DIR gives a catalog directory: %s", errorMessage(err))
				}
			}
			cfg, err := admission.Configuration(cat, opts)
			if err != nil {
				return err
			}
			var out []byte
			switch format {
			case outputJSON:
				out, err = json.MarshalIndent(cfg, "", "  ")
				out = append(out, '\n')
			case "", outputYAML:
				out, err = yaml.Marshal(cfg)
			default:
				return andon.Errorf(andon.EINVALID, "--output %q: want yaml or json", format)
			}
			if err != nil {
				return err
			}
			_, err = e.stdout.Write(out)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.URL, "url", "", "andon's admission URL, https://HOST:PORT/api/v1/admission")
	f.StringVar(&opts.Service, "service", "", "or the Service in front of andon's admission port, NAMESPACE/NAME[:PORT] (port 443 by default)")
	f.StringVar(&caFile, "ca-bundle", "", "PEM file of the CA that signed andon's serving certificate (required)")
	f.StringVar(&catalogDir, "catalog", "", "catalog directory to take the governed namespaces from (default: the server's catalog)")
	f.StringVar(&opts.Cluster, "cluster", "", "the cluster the configuration is for, as the catalog's kubernetes.cluster names it")
	f.StringVar(&opts.Name, "name", "andon", "name of the ValidatingWebhookConfiguration")
	f.StringVar(&opts.OtherFailurePolicy, "other-failure-policy", "Ignore", "what the API server does for non-production namespaces when andon does not answer: Ignore or Fail")
	f.StringSliceVar(&opts.TrustedControllers, "trusted-controller", nil, "a Kubernetes user, or a prefix ending in *, whose objects owned by a controller are not sent; repeatable, replaces the default "+strings.Join(admission.DefaultTrustedControllers, ", ")+"; give andon serve the same list (--admission-trusted-controller)")
	f.Int32Var(&opts.TimeoutSeconds, "timeout", 10, "seconds the API server waits for andon, 1 to 30; andon answers before")
	f.StringP("output", "o", "", "output format: yaml (default) or json")
	cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"yaml", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}
