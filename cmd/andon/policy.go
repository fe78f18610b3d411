package main

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/manifest"
	"github.com/andon-governance/andon/policy"
)

// newPolicyCmd returns `andon policy`, which works on policy and
// manifests without a server.
func newPolicyCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "policy", Short: "Check a policy directory and its Rego tests, and Kubernetes manifests against the manifest policy"}
	cmd.AddCommand(newPolicyCheckCmd(e), newPolicyTestCmd(e))
	return cmd
}

// docsURL is where the rules' documentation lives; each rule's anchor is
// appended.
const docsURL = "https://github.com/andon-governance/andon/blob/main/docs/manifests.md"

type policyTestOptions struct {
	catalog      string
	env          string
	policy       string
	failOnWarn   bool
	traefikMajor int
	registries   []string
	namespace    string
	now          string
}

func newPolicyTestCmd(e *env) *cobra.Command {
	o := &policyTestOptions{}
	cmd := &cobra.Command{
		Use:   "test [PATH...|-]",
		Short: "Check Kubernetes manifests against the Odoo-on-Kubernetes rules (andon.manifests)",
		Long: `Check Kubernetes manifests against the manifest policy: the embedded
Odoo-on-Kubernetes rules of the package andon.manifests, or a package of the
same name in --policy DIR, which replaces them. PATH is a YAML or JSON file
with one or more documents, a directory of them, or - for standard input
(helm template ... | andon policy test -), which is also read when no PATH
is given and it is not a terminal. Each file is read once, at most 64 MiB
of it. Every object is checked together with the others, so that rules can
weigh a Deployment against the volume it mounts or the NetworkPolicy of its
namespace.

With --catalog DIR the rules know the governed namespaces (an Environment's
kubernetes.namespace), their stage, recovery objectives and allowed host
ports (kubernetes.hostPorts), the allowed image registries
(kubernetes.registries), and Waiver documents excuse findings until they
expire.

Output (-o): text (default), json, sarif (2.1.0, for code scanning) or junit.
Exit codes: 0 no denial; 1 a denial not waived (or a warning, with
--fail-on-warn); 2 an input that cannot be read, named with file and line,
no Kubernetes object at all, a bad flag, or a policy that cannot be
evaluated.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPolicyTest(cmd, e, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.catalog, "catalog", e.getenv("ANDON_CATALOG"), "catalog directory: governed namespaces, allowed registries and waivers (env ANDON_CATALOG)")
	f.StringVar(&o.env, "env", "", "check for this environment of the catalog: its namespace, host ports and registries only")
	f.StringVar(&o.policy, "policy", e.getenv("ANDON_POLICY"), "directory of Rego files that add to or replace the default policy packages (env ANDON_POLICY)")
	f.BoolVar(&o.failOnWarn, "fail-on-warn", false, "exit 1 on a warning too")
	f.IntVar(&o.traefikMajor, "traefik-major", 3, "major version of the Traefik in front of Odoo (2 or 3)")
	f.StringArrayVar(&o.registries, "allowed-registry", nil, "an image registry (host, host:port or host/path, no scheme) images may come from; repeat for more; adds to the catalog's")
	f.StringVarP(&o.namespace, "namespace", "n", "", "namespace of the objects that name none (as kubectl apply -n), such as helm template output")
	f.StringVar(&o.now, "now", "", "the instant waivers are checked at (RFC 3339; default now)")
	_ = f.MarkHidden("now")
	// Its own formats, not the client commands' (the flag shadows the
	// persistent one of the root).
	f.StringP("output", "o", "", "output format: text (default), json, sarif or junit")
	cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json", "sarif", "junit"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// policyTestReport is the -o json form of a check.
type policyTestReport struct {
	Objects        int                     `json:"objects"`
	Denied         int                     `json:"denied"`
	Warnings       int                     `json:"warnings"`
	Waived         int                     `json:"waived"`
	Findings       []andon.ManifestFinding `json:"findings"`
	Rules          []andon.ManifestRule    `json:"rules"`
	WaiversUsed    []*andon.Waiver         `json:"waiversUsed"`
	WaiversExpired []*andon.Waiver         `json:"waiversExpired"`
}

func runPolicyTest(cmd *cobra.Command, e *env, o *policyTestOptions, args []string) error {
	format, _ := cmd.Flags().GetString("output")
	switch format {
	case "", outputText, outputTable, outputJSON, "sarif", "junit":
	default:
		return &exitError{code: 2, err: fmt.Errorf("--output %q: want text, json, sarif or junit", format)}
	}
	if o.traefikMajor != 2 && o.traefikMajor != 3 {
		return &exitError{code: 2, err: fmt.Errorf("--traefik-major %d: want 2 or 3", o.traefikMajor)}
	}
	// The namespace is written into the objects the rules read and
	// compared with the catalog's governed namespaces: a name Kubernetes
	// refuses matches none of them, and the check would pass what the
	// namespace rules should have judged. Empty, as -n "$NS" gives with
	// NS unset, is no namespace.
	if o.namespace != "" && !andon.IsDNSLabel(o.namespace) {
		return &exitError{code: 2, err: fmt.Errorf("--namespace %q: not a Kubernetes namespace: want at most 63 lower case letters, digits and '-', starting and ending with a letter or digit (a DNS-1123 label)", o.namespace)}
	}
	now := time.Now()
	if o.now != "" {
		t, err := time.Parse(time.RFC3339, o.now)
		if err != nil {
			return &exitError{code: 2, err: fmt.Errorf("--now: %v", err)}
		}
		now = t
	}
	if len(args) == 0 {
		// Standard input at a terminal is someone who forgot the paths,
		// not a pipe: reading it would wait for ever.
		if f, ok := e.stdin.(*os.File); ok {
			if term.IsTerminal(int(f.Fd())) {
				return &usageError{cmd: cmd, err: errors.New("no manifests to check: give their files or directories, or pipe them in (helm template ... | andon policy test -); standard input is a terminal, not a pipe or a file")}
			}
		}
		args = []string{manifest.Stdin}
	}
	settings, waivers, err := o.settings()
	if err != nil {
		return err
	}
	// The policy compiles while the manifests are read.
	type compiled struct {
		pol *policy.Engine
		err error
	}
	if o.policy != "" {
		if err := unreadableDir("--policy", o.policy, "a directory of Rego files"); err != nil {
			return err
		}
	}
	compiling := make(chan compiled, 1)
	go func() {
		pol, err := policy.New(e.ctx, o.policy)
		compiling <- compiled{pol, err}
	}()
	objs, err := manifest.Read(args, e.stdin)
	c := <-compiling
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	// A check of nothing would pass: a CI job whose helm template failed
	// and piped nothing must not.
	if len(objs) == 0 {
		return &exitError{code: 2, err: fmt.Errorf("read no Kubernetes object from %s: give the manifests' files or directories (*.yaml, *.yml, *.json), or check that what renders them succeeded", inputNames(args))}
	}
	manifest.DefaultNamespace(objs, o.namespace)
	pol := c.pol
	if c.err != nil {
		return &exitError{code: 2, err: andon.Errorf(andon.EINVALID, "policy is not valid: %s", errorMessage(c.err))}
	}
	for _, w := range pol.Warnings() {
		fmt.Fprintf(e.stderr, "andon: warning: %s\n", w)
	}
	in := make([]policy.ManifestObject, len(objs))
	for i, obj := range objs {
		in[i] = policy.ManifestObject{Ref: obj.ObjectRef, Doc: obj.Doc, OdooConf: obj.OdooConf}
	}
	res, err := pol.Manifests(e.ctx, in, settings)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	rep := &policyTestReport{Objects: len(objs), Findings: res.Findings, WaiversUsed: []*andon.Waiver{}, WaiversExpired: []*andon.Waiver{}}
	used, expired := andon.Waive(rep.Findings, waivers, now)
	rep.WaiversUsed = append(rep.WaiversUsed, used...)
	rep.WaiversExpired = append(rep.WaiversExpired, expired...)
	seen := map[string]bool{}
	for _, f := range rep.Findings {
		switch {
		case f.Waiver != "":
			rep.Waived++
		case f.Severity == andon.SeverityDeny:
			rep.Denied++
		default:
			rep.Warnings++
		}
		if !seen[f.Rule] {
			seen[f.Rule] = true
			rep.Rules = append(rep.Rules, res.Rules[f.Rule])
		}
	}
	if rep.Rules == nil {
		rep.Rules = []andon.ManifestRule{}
	}
	slices.SortFunc(rep.Rules, func(a, b andon.ManifestRule) int { return strings.Compare(a.ID, b.ID) })

	switch format {
	case outputJSON:
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	case "sarif":
		err = writeSARIF(e.stdout, rep, waivers)
	case "junit":
		err = writeJUnit(e.stdout, rep, objs, o.failOnWarn)
	default:
		writePolicyText(e.stdout, rep)
	}
	if err != nil {
		return err
	}
	if rep.Denied > 0 || (o.failOnWarn && rep.Warnings > 0) {
		return &exitError{code: 1}
	}
	return nil
}

// settings gathers the facts of the catalog the rules need.
func (o *policyTestOptions) settings() (policy.ManifestSettings, []*andon.Waiver, error) {
	s := policy.ManifestSettings{TraefikMajor: o.traefikMajor, Namespaces: map[string]policy.ManifestNamespace{}}
	var waivers []*andon.Waiver
	if o.catalog != "" {
		cat, err := loadCatalogDir("--catalog", o.catalog)
		if err != nil {
			return s, nil, err
		}
		if o.env != "" && cat.Environment(o.env) == nil {
			return s, nil, &exitError{code: 2, err: fmt.Errorf("--env: %s", cat.UnknownEnvironment(o.env))}
		}
		catSettings := policy.SettingsOf(cat, o.env)
		s.AllowedRegistries, s.Namespaces = catSettings.AllowedRegistries, catSettings.Namespaces
		waivers = cat.Waivers
	} else if o.env != "" {
		return s, nil, &exitError{code: 2, err: errors.New("--env: needs --catalog")}
	}
	for _, r := range o.registries {
		if r == "" {
			continue // --allowed-registry "$REGISTRY" with REGISTRY unset: none
		}
		r, err := andon.ParseRegistry(r)
		if err != nil {
			return s, nil, &exitError{code: 2, err: fmt.Errorf("--allowed-registry: %s", andon.ErrorMessage(err))}
		}
		s.AllowedRegistries = append(s.AllowedRegistries, r)
	}
	slices.Sort(s.AllowedRegistries)
	s.AllowedRegistries = slices.Compact(s.AllowedRegistries)
	return s, waivers, nil
}

// inputNames names the paths read, as a person reads them.
func inputNames(paths []string) string {
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = p
		if p == manifest.Stdin {
			names[i] = "standard input"
		}
	}
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// describeObject names an object as a person reads it.
func describeObject(r andon.ObjectRef) string {
	name := r.Name
	if r.Namespace != "" {
		name = r.Namespace + "/" + name
	}
	return r.Kind + " " + name
}

// helpURI is where a rule is documented: its anchor in docs/manifests.md,
// or, for a rule of one's own, the http(s) URL its anchor gives.
func helpURI(r andon.ManifestRule) string {
	if u, err := url.Parse(r.Anchor); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
		return r.Anchor
	}
	return docsURL + "#" + r.Anchor
}

// namingObject is f's message, begun with the object it is about unless
// it begins so already, as the default rules' messages do: a line of text
// or a code scanning alert names the object once.
func namingObject(f andon.ManifestFinding) string {
	obj := describeObject(f.Object)
	if strings.HasPrefix(f.Message, obj+":") || strings.HasPrefix(f.Message, obj+" ") {
		return f.Message
	}
	return obj + ": " + f.Message
}

func location(r andon.ObjectRef) string {
	loc := fmt.Sprintf("%s:%d", r.File, r.Line)
	if r.Source != "" {
		loc += " (" + r.Source + ")"
	}
	return loc
}

func writePolicyText(w io.Writer, rep *policyTestReport) {
	for _, f := range rep.Findings {
		level := strings.ToUpper(f.Severity)
		if f.Waiver != "" {
			level = "WAIVED"
		}
		fmt.Fprintf(w, "%-6s %s  [%s] %s\n", level, location(f.Object), f.Rule, namingObject(f))
	}
	fmt.Fprintf(w, "%s: %d denied, %s, %d waived\n", count(rep.Objects, "object"), rep.Denied, count(rep.Warnings, "warning"), rep.Waived)
	for _, wv := range rep.WaiversUsed {
		fmt.Fprintf(w, "waiver used: %s (rule %s, owner %s, until %s): %s\n", wv.Name, wv.Rule, wv.Owner, wv.Expires.Format(time.RFC3339), wv.Reason)
	}
	for _, wv := range rep.WaiversExpired {
		fmt.Fprintf(w, "waiver expired: %s (rule %s, owner %s) ended %s; its findings count again\n", wv.Name, wv.Rule, wv.Owner, wv.Expires.Format(time.RFC3339))
	}
}

// writeSARIF writes the report as SARIF 2.1.0, which code scanning tools
// (GitHub, GitLab) show on the lines at fault. A waived finding is a
// result with an external suppression that names the waiver.
func writeSARIF(w io.Writer, rep *policyTestReport, waivers []*andon.Waiver) error {
	type message struct {
		Text string `json:"text"`
	}
	type rule struct {
		ID                   string            `json:"id"`
		Name                 string            `json:"name"`
		ShortDescription     message           `json:"shortDescription"`
		HelpURI              string            `json:"helpUri"`
		DefaultConfiguration map[string]string `json:"defaultConfiguration"`
	}
	type region struct {
		StartLine int `json:"startLine"`
	}
	type physical struct {
		ArtifactLocation map[string]string `json:"artifactLocation"`
		Region           region            `json:"region"`
	}
	type loc struct {
		PhysicalLocation physical `json:"physicalLocation"`
	}
	type suppression struct {
		Kind          string `json:"kind"`
		Justification string `json:"justification"`
	}
	type result struct {
		RuleID       string        `json:"ruleId"`
		RuleIndex    int           `json:"ruleIndex"`
		Level        string        `json:"level"`
		Message      message       `json:"message"`
		Locations    []loc         `json:"locations"`
		Suppressions []suppression `json:"suppressions,omitempty"`
	}
	level := func(severity string) string {
		if severity == andon.SeverityDeny {
			return "error"
		}
		return "warning"
	}
	rules := make([]rule, len(rep.Rules))
	index := map[string]int{}
	for i, r := range rep.Rules {
		rules[i] = rule{ID: r.ID, Name: r.ID, ShortDescription: message{r.Title}, HelpURI: helpURI(r),
			DefaultConfiguration: map[string]string{"level": level(r.Severity)}}
		index[r.ID] = i
	}
	byName := map[string]*andon.Waiver{}
	for _, wv := range waivers {
		byName[wv.Name] = wv
	}
	results := []result{}
	for _, f := range rep.Findings {
		r := result{RuleID: f.Rule, RuleIndex: index[f.Rule], Level: level(f.Severity),
			Message: message{namingObject(f)},
			Locations: []loc{{PhysicalLocation: physical{
				ArtifactLocation: map[string]string{"uri": strings.TrimPrefix(f.Object.File, "./")},
				Region:           region{StartLine: max(f.Object.Line, 1)},
			}}}}
		if wv := byName[f.Waiver]; wv != nil {
			r.Suppressions = []suppression{{Kind: "external", Justification: fmt.Sprintf("waiver %s by %s until %s: %s", wv.Name, wv.Owner, wv.Expires.Format(time.RFC3339), wv.Reason)}}
		}
		results = append(results, r)
	}
	doc := map[string]any{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs": []any{map[string]any{
			"tool": map[string]any{"driver": map[string]any{
				"name": "andon", "version": andon.Version, "informationUri": docsURL, "rules": rules,
			}},
			"results": results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// writeJUnit writes one test case per object: failed when it has a
// denial (or a warning, with --fail-on-warn), skipped when all its
// findings are waived, and passed otherwise, for CI systems that show
// JUnit reports.
func writeJUnit(w io.Writer, rep *policyTestReport, objs []*manifest.Object, failOnWarn bool) error {
	type failure struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
	type skipped struct {
		Message string `xml:"message,attr"`
	}
	type testcase struct {
		Name      string   `xml:"name,attr"`
		Classname string   `xml:"classname,attr"`
		Failure   *failure `xml:"failure,omitempty"`
		Skipped   *skipped `xml:"skipped,omitempty"`
		SystemOut string   `xml:"system-out,omitempty"`
	}
	type testsuite struct {
		XMLName  xml.Name   `xml:"testsuite"`
		Name     string     `xml:"name,attr"`
		Tests    int        `xml:"tests,attr"`
		Failures int        `xml:"failures,attr"`
		Skipped  int        `xml:"skipped,attr"`
		Cases    []testcase `xml:"testcase"`
	}
	byObject := map[andon.ObjectRef][]andon.ManifestFinding{}
	for _, f := range rep.Findings {
		byObject[f.Object] = append(byObject[f.Object], f)
	}
	suite := testsuite{Name: "andon policy test", Tests: len(objs)}
	for _, obj := range objs {
		tc := testcase{Name: describeObject(obj.ObjectRef), Classname: obj.File}
		var failing, notes []string
		waived := 0
		for _, f := range byObject[obj.ObjectRef] {
			line := fmt.Sprintf("%s [%s] %s", strings.ToUpper(f.Severity), f.Rule, f.Message)
			switch {
			case f.Waiver != "":
				waived++
				notes = append(notes, line+" (waived by "+f.Waiver+")")
			case f.Severity == andon.SeverityDeny || failOnWarn:
				failing = append(failing, line)
			default:
				notes = append(notes, line)
			}
		}
		switch {
		case len(failing) > 0:
			tc.Failure = &failure{Message: fmt.Sprintf("%d finding(s) at %s", len(failing), location(obj.ObjectRef)), Type: "andon.manifests", Text: strings.Join(failing, "\n")}
			suite.Failures++
		case waived > 0 && len(notes) == waived:
			tc.Skipped = &skipped{Message: "every finding waived"}
			suite.Skipped++
		}
		tc.SystemOut = strings.Join(notes, "\n")
		suite.Cases = append(suite.Cases, tc)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(suite); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
