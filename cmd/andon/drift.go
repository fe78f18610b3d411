package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/catalogsync"
	"github.com/andon-governance/andon/drift"
	"github.com/andon-governance/andon/manifest"
)

// driftOptions are the flags of andon drift.
type driftOptions struct {
	env        string
	desired    string
	gitPath    string
	kubeconfig string
	context    string
}

// newDriftCmd returns `andon drift`, which compares an environment's live
// objects with its desired manifests and records the result.
func newDriftCmd(e *env) *cobra.Command {
	o := &driftOptions{}
	cmd := &cobra.Command{
		Use:   "drift --env E --desired DIR|GIT-URL[@REF]",
		Short: "Compare an environment's live Kubernetes objects with its desired manifests",
		Long: `Compare the live objects of an environment's namespace (its
kubernetes.namespace in the catalog, asked of the server) with the desired
manifests, and report the objects added (live, declared nowhere), missing
(declared, not live) and changed, with the paths of the fields that differ.

Only what a manifest states is compared: fields that the API server sets or
defaults are not drift. Resource quantities compare as amounts (1Gi and
1024Mi are equal), containers, env, ports and volumes by name. The values of
a Secret's data are compared but never shown. Declared objects in another
namespace, and cluster-scoped ones, are listed as skipped.

--desired is a file or directory of manifests (YAML or JSON, as andon policy
test reads them) when it exists, and otherwise a git repository: https://,
http://, ssh://, git@host:path or file:// URL, with @REF for a branch, tag or
commit (default: the remote's HEAD) and --git-path for a directory inside it.
Credentials for https go in ANDON_GIT_USERNAME and ANDON_GIT_PASSWORD.

The cluster is the current context of the kubeconfig (--kubeconfig,
KUBECONFIG or ~/.kube/config; --context for another), or inside a pod
without one the pod's service account. It needs get and list on the kinds
compared in the namespace.

The report is recorded in the audit log (drift.checked) and sets the
server's andon_drift_objects gauges. Exit code 0: no drift; 1: drift; 2:
the check could not be made (bad input, cluster or server unreachable), or
its report could not be recorded (the report is still printed).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDrift(cmd, e, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.env, "env", "", "environment compared (required)")
	cmd.RegisterFlagCompletionFunc("env", e.environmentCompletion)
	f.StringVar(&o.desired, "desired", "", "desired manifests: a file or directory, or a git URL with an optional @REF (required)")
	f.StringVar(&o.gitPath, "git-path", "", "directory of the manifests inside the --desired git repository (default: its root)")
	f.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file (default $KUBECONFIG, else ~/.kube/config; in a pod without one, its service account)")
	f.StringVar(&o.context, "context", "", "kubeconfig context (default: the current context)")
	cmd.MarkFlagRequired("env")
	cmd.MarkFlagRequired("desired")
	return cmd
}

// driftOutput is what andon drift prints: the report, and where it was
// recorded.
type driftOutput struct {
	*andon.DriftReport
	Recorded   bool  `json:"recorded"`
	AuditIndex int64 `json:"auditIndex,omitempty"`
}

func runDrift(cmd *cobra.Command, e *env, o *driftOptions) error {
	ctx := cmd.Context()
	c, err := e.remote(cmd)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	env, err := c.Environment(ctx, o.env)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	ns := env.Kubernetes.Namespace
	if ns == "" {
		return &exitError{code: 2, err: andon.Errorf(andon.EINVALID, "environment %s has no kubernetes.namespace in the catalog: there is nothing to compare", env.Name)}
	}
	objs, src, err := readDesired(ctx, e, o)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	cfg, err := drift.RESTConfig(o.kubeconfig, o.context, e.getenv)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	cluster, err := drift.NewCluster(cfg)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	rep, err := cluster.Check(ctx, ns, objs)
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("could not compare with the cluster: %w", err)}
	}
	rep.Environment, rep.Cluster, rep.Desired = env.Name, env.Kubernetes.Cluster, src

	out := &driftOutput{DriftReport: rep}
	rec, recErr := c.RecordDrift(ctx, rep)
	if recErr == nil {
		out.Recorded, out.AuditIndex = true, rec.AuditIndex
	}
	if err := e.print(cmd, out, func(w io.Writer) { writeDrift(w, out) }); err != nil {
		return &exitError{code: 2, err: err}
	}
	switch {
	case recErr != nil:
		return &exitError{code: 2, err: andon.Errorf(andon.ErrorCode(recErr), "the drift report was not recorded: %s", andon.ErrorMessage(recErr))}
	case rep.Counts.Drifted():
		return &exitError{code: 1}
	}
	return nil
}

// readDesired reads the desired objects from the file or directory
// --desired names, or from the git repository it names.
func readDesired(ctx context.Context, e *env, o *driftOptions) ([]*manifest.Object, andon.DriftSource, error) {
	var objs []*manifest.Object
	var src andon.DriftSource
	if _, err := os.Stat(o.desired); err == nil {
		if o.gitPath != "" {
			return nil, src, andon.Errorf(andon.EINVALID, "--git-path: --desired %s is a local path, not a git URL", o.desired)
		}
		if objs, err = manifest.Read([]string{o.desired}, nil); err != nil {
			return nil, src, andon.Errorf(andon.EINVALID, "--desired: %v", err)
		}
		src = andon.DriftSource{Path: o.desired}
	} else {
		url, ref, ok := splitGitURL(o.desired)
		if !ok {
			return nil, src, andon.Errorf(andon.EINVALID, "--desired %q: neither an existing file or directory nor a git URL (https://, http://, ssh://, git@host:path, file://)", o.desired)
		}
		files, err := catalogsync.GitFiles(ctx, catalogsync.GitOptions{
			URL: url, Ref: ref, Path: o.gitPath,
			Username: e.getenv("ANDON_GIT_USERNAME"), Password: e.getenv("ANDON_GIT_PASSWORD"),
		})
		if err != nil {
			return nil, src, fmt.Errorf("--desired: %w", err)
		}
		dir := strings.Trim(path.Clean("/"+o.gitPath), "/")
		if objs, err = manifest.ReadFS(files.FS, "."); err != nil {
			var me *manifest.Error
			if errors.As(err, &me) {
				me.File = path.Join(dir, me.File)
			}
			return nil, src, andon.Errorf(andon.EINVALID, "--desired %s: %v", files.Source, err)
		}
		for _, obj := range objs {
			obj.File = path.Join(dir, obj.File)
		}
		src = andon.DriftSource{URL: files.URL, Ref: ref, Path: dir, Commit: files.Commit}
	}
	if len(objs) == 0 {
		// Every object of the namespace would be reported as added: far
		// more likely a wrong path than the truth.
		return nil, src, andon.Errorf(andon.EINVALID, "--desired %s holds no Kubernetes objects", src)
	}
	if err := drift.CheckDesired(objs); err != nil {
		return nil, src, andon.Errorf(andon.EINVALID, "--desired: %v", err)
	}
	return objs, src, nil
}

// gitSchemes are the URL schemes --desired takes for a git repository.
var gitSchemes = []string{"https://", "http://", "ssh://", "file://"}

// splitGitURL splits a git URL from the @REF that may end it, and reports
// whether s is a git URL at all. The ref is what follows the last @ of
// the URL's path, so that the user of ssh://git@host/… or git@host:… is
// not taken for one.
func splitGitURL(s string) (url, ref string, ok bool) {
	pathStart := -1
	for _, scheme := range gitSchemes {
		if rest, found := strings.CutPrefix(s, scheme); found {
			if i := strings.IndexByte(rest, '/'); i >= 0 {
				pathStart = len(scheme) + i
			}
			break
		}
	}
	if pathStart < 0 && !strings.Contains(s, "://") {
		// scp-like: user@host:path.
		if at, colon := strings.IndexByte(s, '@'), strings.IndexByte(s, ':'); at > 0 && colon > at+1 && !strings.Contains(s[:colon], "/") {
			pathStart = colon + 1
		}
	}
	if pathStart < 0 || pathStart >= len(s)-1 {
		return "", "", false
	}
	if i := strings.LastIndexByte(s[pathStart:], '@'); i >= 0 {
		url, ref = s[:pathStart+i], s[pathStart+i+1:]
		if ref == "" {
			return "", "", false
		}
		return url, ref, true
	}
	return s, "", true
}

// writeDrift writes the human view of a drift report.
func writeDrift(w io.Writer, out *driftOutput) {
	rep := out.DriftReport
	c := rep.Counts
	if c.Drifted() {
		fmt.Fprintf(w, "DRIFT in %s: %d added, %d missing, %d changed; %d unchanged, %d skipped\n",
			rep.Environment, c.Added, c.Missing, c.Changed, c.Unchanged, c.Skipped)
	} else {
		objects := "objects"
		if c.Unchanged == 1 {
			objects = "object"
		}
		fmt.Fprintf(w, "NO DRIFT in %s: %d %s as desired, %d skipped\n", rep.Environment, c.Unchanged, objects, c.Skipped)
	}
	where := rep.Namespace
	if rep.Cluster != "" {
		where += ", cluster " + rep.Cluster
	}
	if rep.Server != "" {
		where += ", " + rep.Server
	}
	fmt.Fprintf(w, "namespace: %s\n", where)
	fmt.Fprintf(w, "desired:   %s\n", rep.Desired)
	if len(rep.Objects)+len(rep.Skipped) > 0 {
		fmt.Fprintln(w)
	}
	for _, o := range slices.Concat(rep.Objects, rep.Skipped) {
		line := fmt.Sprintf("%-8s %s", o.Drift, objectName(o))
		if o.File != "" {
			line += fmt.Sprintf("  (%s:%d)", o.File, o.Line)
		}
		if o.Reason != "" {
			line += ": " + o.Reason
		}
		fmt.Fprintln(w, line)
		for _, f := range o.Fields {
			fmt.Fprintf(w, "    %s: %s\n", f.Path, fieldChange(f))
		}
	}
	fmt.Fprintln(w)
	if out.Recorded {
		fmt.Fprintf(w, "recorded: audit entry %d\n", out.AuditIndex)
	} else {
		fmt.Fprintln(w, "recorded: no")
	}
}

// objectName names an object as Kind.group/name, the group left out for
// the core group, as kubectl does with resources.
func objectName(o andon.DriftObject) string {
	kind := o.Kind
	if g, _, ok := strings.Cut(o.APIVersion, "/"); ok {
		kind += "." + g
	}
	return kind + "/" + o.Name
}

// fieldChange says how a field differs, without the values of a
// redacted one.
func fieldChange(f andon.DriftField) string {
	if f.Redacted {
		switch {
		case f.Desired != nil && f.Live != nil:
			return "differs (values not shown)"
		case f.Desired != nil:
			return "absent live (value not shown)"
		}
		return "not desired (value not shown)"
	}
	value := func(v []byte) string {
		if v == nil {
			return "(absent)"
		}
		return string(v)
	}
	return "desired " + value(f.Desired) + ", live " + value(f.Live)
}
