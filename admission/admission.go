// Package admission answers the Kubernetes API server's admission reviews
// (admission.k8s.io/v1) for the namespaces of governed environments: an
// object that breaks a deny rule of the manifest policy is refused, and a
// workload whose images change is admitted only when the gate allows each
// new image, as is a CloudNativePG Cluster or ImageCatalog whose
// PostgreSQL images change, or a Pooler whose PgBouncer pod template
// brings new images; a ClusterImageCatalog, of no namespace, has its new
// images asked about in the environment of each governed Cluster that
// uses it. It also writes the
// ValidatingWebhookConfiguration that sends those reviews to andon.
//
// Only this package and drift import the Kubernetes API types.
package admission

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/manifest"
	"github.com/andon-governance/andon/policy"
)

// Reviewer implements andon.AdmissionService.
type Reviewer struct {
	Catalog andon.CatalogSource
	Gate    andon.GateService
	Policy  *policy.Engine
	// TraefikMajor is the major version of Traefik in the clusters, for
	// the Traefik rules; 0 means 3.
	TraefikMajor int
	// TrustedControllers are the Kubernetes users whose objects owned by
	// a controller are not governed, since their owner was: a name, or a
	// prefix ending in *. Nil means DefaultTrustedControllers.
	TrustedControllers []string
	// Objects reads the image catalogs from which CloudNativePG Clusters
	// take their PostgreSQL image; nil means andon cannot read them, and
	// refuses such a Cluster.
	Objects Objects
	// ObjectsCluster is the cluster whose API server Objects reads, as
	// the catalog and the webhook's path name it: a review whose path
	// names another cluster, or whose path names none and whose
	// environment is of another cluster, cannot have its catalogs read,
	// and a Cluster of it that takes its image from one is refused.
	ObjectsCluster string
	// Now is the clock that decides whether a waiver has expired; nil
	// means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

var _ andon.AdmissionService = (*Reviewer)(nil)

// DefaultTrustedControllers are Kubernetes' own controllers: the
// kube-controller-manager, with its own credentials or one service account
// per controller in kube-system. An object that one of them writes for an
// owner (the Pods of a ReplicaSet, the ReplicaSets of a Deployment, the
// Jobs of a CronJob) was governed through its owner. Anyone else may write
// an owner reference too, so objects that others write are governed
// whatever they claim.
var DefaultTrustedControllers = []string{"system:kube-controller-manager", "system:serviceaccount:kube-system:*"}

// trusted reports whether user is one of the trusted controllers.
func trusted(controllers []string, user string) bool {
	if controllers == nil {
		controllers = DefaultTrustedControllers
	}
	for _, c := range controllers {
		if prefix, ok := strings.CutSuffix(c, "*"); ok && strings.HasPrefix(user, prefix) || c == user {
			return true
		}
	}
	return false
}

// apiVersion and kind of the reviews this package reads and writes.
const (
	apiVersion = "admission.k8s.io/v1"
	kind       = "AdmissionReview"
)

// Admit answers one AdmissionReview. Everything that goes wrong once the
// review is read denies, with a message that says what happened: the
// webhook fails closed, as the gate does.
func (rv *Reviewer) Admit(ctx context.Context, cluster string, body []byte) ([]byte, string, error) {
	var review admissionReview
	if err := json.Unmarshal(body, &review); err != nil {
		return nil, "", andon.Errorf(andon.EINVALID, "the body is not an AdmissionReview: %v", err)
	}
	switch {
	case review.APIVersion != apiVersion || review.Kind != kind:
		return nil, "", andon.Errorf(andon.EINVALID, "apiVersion and kind: want %s %s, got %q %q; set admissionReviewVersions: [v1] in the webhook configuration", apiVersion, kind, review.APIVersion, review.Kind)
	case review.Request == nil:
		return nil, "", andon.Errorf(andon.EINVALID, "request: required")
	case review.Request.UID == "":
		return nil, "", andon.Errorf(andon.EINVALID, "request.uid: required")
	}
	resp, outcome := rv.review(ctx, cluster, review.Request)
	// The API server matches the answer to its question by uid.
	resp.UID = review.Request.UID
	answer, err := json.Marshal(&admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: apiVersion, Kind: kind},
		Response: resp,
	})
	if err != nil {
		return nil, "", fmt.Errorf("encode the admission response: %w", err)
	}
	return answer, outcome, nil
}

// admissionReview is the part of an AdmissionReview andon reads. Its
// objects are decoded with the rest, in one pass, rather than kept raw
// (as admissionv1.AdmissionRequest keeps them) and decoded again.
type admissionReview struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Request    *admissionRequest `json:"request"`
}

type admissionRequest struct {
	UID         types.UID                 `json:"uid"`
	Kind        metav1.GroupVersionKind   `json:"kind"`
	Name        string                    `json:"name"`
	Namespace   string                    `json:"namespace"`
	Operation   admissionv1.Operation     `json:"operation"`
	SubResource string                    `json:"subResource"`
	UserInfo    authenticationv1.UserInfo `json:"userInfo"`
	Object      map[string]any            `json:"object"`
	OldObject   map[string]any            `json:"oldObject"`
	DryRun      *bool                     `json:"dryRun"`
}

// maxImagesPerReview is the most new images one object may bring: a pod
// holds a few containers, each with its image.
const maxImagesPerReview = 64

// unlikely returns what makes the request one that no API server sends,
// and that andon would otherwise copy into its audit log: names longer
// than Kubernetes allows, a user without a name or whose name holds
// control characters, or "" for none.
func (req *admissionRequest) unlikely() string {
	switch {
	case len(req.UID) > 128:
		return fmt.Sprintf("request.uid is %d bytes long; an API server's is a UUID", len(req.UID))
	case len(req.Name) > 253:
		return fmt.Sprintf("request.name is %d bytes long; Kubernetes names are at most 253", len(req.Name))
	case req.Namespace != "" && !andon.IsDNSLabel(req.Namespace):
		return fmt.Sprintf("request.namespace %.80q is not a Kubernetes namespace", req.Namespace)
	case req.UserInfo.Username == "":
		return "request.userInfo.username is empty; an API server names every user, system:anonymous included"
	case !slices.Contains([]admissionv1.Operation{admissionv1.Create, admissionv1.Update, admissionv1.Delete, admissionv1.Connect}, req.Operation):
		return fmt.Sprintf("request.operation %.40q is not CREATE, UPDATE, DELETE or CONNECT", req.Operation)
	}
	// The object is judged as the kind the request names: they agree.
	if k, ok := req.Object["kind"].(string); ok && req.SubResource == "" && k != req.Kind.Kind {
		return fmt.Sprintf("request.kind %.40q is not the object's kind %.40q", req.Kind.Kind, k)
	}
	if err := andon.CheckText("request.userInfo.username", req.UserInfo.Username, false); err != nil {
		return andon.ErrorMessage(err)
	}
	return ""
}

// review decides on one request.
func (rv *Reviewer) review(ctx context.Context, cluster string, req *admissionRequest) (*admissionv1.AdmissionResponse, string) {
	ignore := func() (*admissionv1.AdmissionResponse, string) {
		return &admissionv1.AdmissionResponse{Allowed: true}, andon.AdmissionIgnored
	}
	// Deletions and connections change no image; a subresource (status,
	// scale) is written by controllers and carries no pod template, but
	// for a Pod's ephemeral containers (kubectl debug): its review
	// carries the whole Pod, whose new containers are checked against
	// the object rules and whose new images go through the gate.
	if problem := req.unlikely(); problem != "" {
		return deny("andon refused a review no API server would send, and recorded nothing of it: " + problem), andon.AdmissionClientError
	}
	ephemeral := req.SubResource == "ephemeralcontainers" && req.Kind.Kind == "Pod"
	if (req.Operation != admissionv1.Create && req.Operation != admissionv1.Update) || (req.SubResource != "" && !ephemeral) {
		return ignore()
	}
	if isKind(req.Kind, "ClusterImageCatalog") {
		// Of no namespace, so of no environment: its images reach the
		// Clusters that use it, in theirs.
		return rv.reviewClusterCatalog(ctx, cluster, req)
	}
	cat := rv.Catalog.Catalog()
	env, err := environmentOf(cat, cluster, req.Namespace)
	if err != nil {
		return deny(err.Error()), andon.AdmissionDenied
	}
	if env == nil {
		if cluster != "" && !namesCluster(cat, cluster) {
			// A webhook URL for a cluster the catalog does not know, a
			// typo or a cluster renamed since: nothing of it can be
			// governed, so nothing passes unseen.
			return deny(fmt.Sprintf("andon knows no cluster %q: every environment of the catalog names another kubernetes.cluster, so andon cannot tell which environment namespace %s belongs to; correct the cluster in the webhook's URL (andon kube webhook-config --cluster) or in the catalog", cluster, req.Namespace)), andon.AdmissionDenied
		}
		return ignore()
	}
	obj := req.Object
	if obj == nil {
		return deny(fmt.Sprintf("andon could not read the %s %s/%s: request.object: missing", req.Kind.Kind, req.Namespace, req.Name)), andon.AdmissionClientError
	}
	user := req.UserInfo.Username
	// An object a trusted controller writes for its owner (a ReplicaSet
	// of a Deployment, a Pod of a ReplicaSet) was governed through the
	// owner; an ephemeral container was not, whoever adds it. The
	// webhook's match condition (NotControlled) sends the same requests.
	if controlled(obj) && trusted(rv.TrustedControllers, user) && !ephemeral {
		return ignore()
	}
	name := req.Name
	if name == "" {
		// generateName: the API server names the object after admission.
		name, _, _ = unstructured.NestedString(obj, "metadata", "generateName")
	}
	what := fmt.Sprintf("%s %s/%s", req.Kind.Kind, req.Namespace, name)
	old := req.OldObject
	if req.Operation == admissionv1.Update {
		if old == nil {
			return deny(fmt.Sprintf("andon could not read the %s before the update: request.oldObject: missing", what)), andon.AdmissionClientError
		}
		// An object being deleted is only losing its finalizers; refusing
		// that would keep it terminating for ever.
		if ts, _, _ := unstructured.NestedFieldNoCopy(obj, "metadata", "deletionTimestamp"); ts != nil {
			return ignore()
		}
	}
	rulesHint := "rules: docs/manifests.md"
	if ephemeral {
		// Whoever runs kubectl debug is told which container of the Pod
		// is theirs, and how kubectl makes one the rules admit.
		if added := newEphemeralContainers(obj, old); len(added) > 0 {
			what = fmt.Sprintf("ephemeral %s %s of %s", plural(len(added), "container", "containers"), strings.Join(added, ", "), what)
		}
		rulesHint += "; kubectl debug --profile=restricted adds a container that runs as non-root, without privilege escalation or capabilities"
	}

	// The ephemeral containers kubectl debug adds are checked with the
	// Pod they join, which the subresource's review carries whole: as
	// on any update, only what the new containers break anew refuses.
	denials, warnings, err := rv.findings(ctx, cat, env, req.Namespace, obj, old)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			rv.logger().Warn("admission refused: the manifest policy did not answer before the webhook's deadline", "object", what, "environment", env.Name, "user", user)
			return deny(fmt.Sprintf("andon could not check %s against the manifest policy before the webhook's deadline, so it is refused; try again, and tell the platform team if it persists", what)), andon.AdmissionError
		}
		rv.logger().Error("admission could not check the manifest policy", "object", what, "err", err)
		// An object the review carries that is not one (a field of the
		// wrong type) is the review's fault; anything else is the
		// policy's.
		outcome := andon.AdmissionError
		if andon.ErrorCode(err) != andon.EINTERNAL {
			outcome = andon.AdmissionClientError
		}
		return deny(fmt.Sprintf("andon could not check %s against the manifest policy, so it is refused: %v", what, andon.ErrorMessage(err))), outcome
	}
	if len(denials) > 0 {
		rv.logger().Info("admission refused: manifest policy", "object", what, "environment", env.Name, "user", user, "findings", denials)
		resp := deny(fmt.Sprintf("andon refused %s, which breaks the manifest policy of environment %s: %s (%s)", what, env.Name, strings.Join(denials, "; "), rulesHint))
		resp.Warnings = warnings
		return resp, andon.AdmissionDenied
	}

	var images []string
	if isKind(req.Kind, "Cluster") {
		// The operator runs the image a Cluster takes from its image
		// catalog as it runs spec.imageName: it is asked about the same
		// way, and a Cluster whose image andon cannot tell is refused.
		var u *unresolved
		if images, u = rv.clusterImages(ctx, env, what, cluster, req.Namespace, req.Kind, obj, old); u != nil {
			rv.logger().Info("admission refused: image catalog", "object", what, "environment", env.Name, "user", user, "reason", u.message)
			resp := deny(u.message)
			resp.Warnings = warnings
			return resp, u.outcome
		}
		if w := clusterCatalogWarning(env, what, obj); w != "" {
			warnings = append(warnings, w)
		}
	} else {
		images = newImages(req.Kind, obj, old)
	}
	if len(images) > maxImagesPerReview {
		// Each new image is a gate decision, and outside production a
		// standard change recorded: a pod of hundreds of images is a
		// mistake or an attack, not a deployment.
		return deny(fmt.Sprintf("andon refused %s: it brings %d new images, and andon gates at most %d in one object", what, len(images), maxImagesPerReview)), andon.AdmissionDenied
	}
	gctx := andon.NewContextWithUser(ctx, &andon.User{Name: "kubernetes:" + user})
	request := req.gateRequest(cluster, name)
	questions := make([]question, len(images))
	for i, img := range images {
		questions[i] = question{env: env.Name, image: img}
	}
	if refused, message, outcome := rv.gate(gctx, what, questions, request); message != "" {
		rv.logger().Info("admission refused: gate", "object", what, "environment", env.Name, "user", user, "images", refused)
		resp := deny(message)
		resp.Warnings = warnings
		return resp, outcome
	}
	return &admissionv1.AdmissionResponse{Allowed: true, Warnings: warnings}, andon.AdmissionAllowed
}

// question is one new image of an object to ask the gate about, in one
// environment. users names what runs it there when the object is not
// itself deployed (the Clusters that use a ClusterImageCatalog), or is "".
type question struct {
	env, image, users string
}

// gateRequest returns the gate's request about each question of the
// review req of the object name (its generateName before the API server
// names it), made by the webhook of cluster.
func (req *admissionRequest) gateRequest(cluster, name string) func(question) andon.GateRequest {
	return func(q question) andon.GateRequest {
		return andon.GateRequest{
			Environment: q.env,
			Image:       q.image,
			// A dry run must leave no trace: the webhook declares
			// sideEffects NoneOnDryRun.
			Preview: req.DryRun != nil && *req.DryRun,
			Admission: &andon.AdmissionRequest{
				UID:       string(req.UID),
				Cluster:   cluster,
				Namespace: req.Namespace,
				Kind:      req.Kind.Kind,
				Name:      name,
				Operation: string(req.Operation),
				User:      req.UserInfo.Username,
			},
		}
	}
}

// imageDecision is the gate's answer about one image of an object, in one
// environment.
type imageDecision struct {
	question
	res *andon.GateResult
	err error
}

// allowed reports whether the gate allowed the image, without an error.
func (d imageDecision) allowed() bool { return d.err == nil && d.res != nil && d.res.Allow }

// failed reports whether the gate could not decide on the image for
// reasons of its own (its store, its policy, the deadline), rather than
// refusing it on its merits.
func (d imageDecision) failed() bool { return andon.ErrorCode(d.err) == andon.EINTERNAL }

// requestFault reports whether the gate refused the image with an error
// that is the request's, not andon's: a request it could not take
// (EINVALID: an image reference it cannot parse, an environment it does
// not know), or a conflict (another decision or write moved the image's
// change meanwhile, to retry). Neither is a decision on the object's
// merits, nor andon's failure. The HTTP gate answers either with a 4xx,
// counted as a client_error.
func (d imageDecision) requestFault() bool {
	return d.err != nil && andon.ErrorCode(d.err) != andon.EINTERNAL
}

// refusalOutcome is the outcome of a review refused for refusals: error
// when the gate failed closed on any image (andon could not decide on
// the object, whatever it decided on the others); otherwise denied when
// it refused any image on its merits, which neither a retry nor a
// mended request would change; and client_error when every refusal was
// the request's fault (requestFault), as the HTTP gate counts it. The
// object is refused in every case.
func refusalOutcome(refusals []imageDecision) string {
	switch {
	case slices.ContainsFunc(refusals, imageDecision.failed):
		return andon.AdmissionError
	case slices.ContainsFunc(refusals, func(d imageDecision) bool { return !d.requestFault() }):
		return andon.AdmissionDenied
	default:
		return andon.AdmissionClientError
	}
}

// gate asks the gate about the new images of the object what, each in
// the environment of its question, with the request that request makes,
// and returns the images it refused with the message that refuses the
// object, or no message when the gate allowed every image, and the
// outcome of the refusal (refusalOutcome).
//
// An object is admitted whole or not at all, while the first allowed
// deployment of an approved change moves it to implementing. So the
// images of an object that brings several (or one in several
// environments) are first decided as previews,
// which write nothing, and only when every preview allows are they
// decided for real, in turn. When a preview refuses, the images it
// refused are decided for real, so that each refusal is recorded as any
// other, and the images it would allow are decided as dry runs, recorded
// but moving no change. The real decisions are made afresh and are what
// counts: a change written between a preview and its decision (approved,
// cancelled, its window closing) is seen by the decision. That leaves one
// race, which the message and the log name: when every preview allowed,
// an image decided for real before another that is then refused has
// moved its change to implementing, although the object is refused.
func (rv *Reviewer) gate(ctx context.Context, what string, questions []question, request func(question) andon.GateRequest) (refused []string, message, outcome string) {
	ask := func(q question, req andon.GateRequest) imageDecision {
		res, err := rv.decide(ctx, what, req)
		if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			// However the gate put it, it failed for want of time.
			err = ctx.Err()
		}
		if err != nil && andon.ErrorCode(err) == andon.EINTERNAL {
			rv.logger().Error("admission: the gate could not decide", "object", what, "image", req.Image, "environment", req.Environment, "err", err)
		}
		return imageDecision{question: q, res: res, err: err}
	}
	var refusals, dryRuns, deployed []imageDecision
	refuse := func() ([]string, string, string) {
		refused, message := rv.refusal(what, len(questions), refusals, dryRuns, deployed)
		return refused, message, refusalOutcome(refusals)
	}
	if len(questions) < 2 || request(questions[0]).Preview {
		// One image has no other to wait for, and a dry-run review asks
		// previews, which move nothing: each image is decided as asked,
		// and every refusal is named.
		for _, q := range questions {
			if d := ask(q, request(q)); !d.allowed() {
				refusals = append(refusals, d)
				if ctx.Err() != nil {
					break
				}
			}
		}
		return refuse()
	}

	var wouldAllow, wouldRefuse []question
	for _, q := range questions {
		req := request(q)
		req.Preview = true
		d := ask(q, req)
		if ctx.Err() != nil {
			refusals = append(refusals, d)
			return refuse()
		}
		if d.allowed() {
			wouldAllow = append(wouldAllow, q)
		} else {
			wouldRefuse = append(wouldRefuse, q)
		}
	}
	for _, q := range wouldRefuse {
		if d := ask(q, request(q)); d.allowed() {
			// Allowed since its preview: its change may have moved.
			deployed = append(deployed, d)
		} else {
			refusals = append(refusals, d)
			if ctx.Err() != nil {
				break
			}
		}
	}
	if len(refusals) > 0 {
		for _, q := range wouldAllow {
			if ctx.Err() != nil {
				break
			}
			req := request(q)
			req.DryRun = true
			dryRuns = append(dryRuns, ask(q, req))
		}
		return refuse()
	}
	for _, q := range wouldAllow {
		d := ask(q, request(q))
		if !d.allowed() {
			refusals = append(refusals, d)
			return refuse()
		}
		deployed = append(deployed, d)
	}
	return nil, "", ""
}

// refusal returns the images of refusals and the message that refuses an
// object of total questions for them, or no message when refusals is
// empty. dryRuns are the decisions recorded as dry runs for the images
// the gate would have allowed; deployed are those it allowed for real
// before the refusal, whose changes it may have moved to implementing.
// The message names the environment of each image, once when they share
// one, and what each was asked for (question.users).
func (rv *Reviewer) refusal(what string, total int, refusals, dryRuns, deployed []imageDecision) ([]string, string) {
	if len(refusals) == 0 {
		return nil, ""
	}
	env := refusals[0].env
	oneEnv := !slices.ContainsFunc(slices.Concat(refusals, dryRuns, deployed), func(d imageDecision) bool { return d.env != env || d.users != "" })
	inEnv := func(d imageDecision) string {
		w := " in environment " + d.env
		if d.users != "" {
			w += " for " + d.users
		}
		return w
	}
	where := func(d imageDecision) string {
		if oneEnv {
			return ""
		}
		return inEnv(d)
	}
	refused := make([]string, len(refusals))
	parts := make([]string, len(refusals))
	for i, d := range refusals {
		refused[i] = d.image
		parts[i] = "image " + d.image + where(d) + ": " + gateReasons(d.res, d.err)
	}
	var msg string
	switch {
	case len(refusals) == 1 && errors.Is(refusals[0].err, context.DeadlineExceeded):
		msg = fmt.Sprintf("andon could not decide on image %s of %s%s before the webhook's deadline, so it is refused; try again, and tell the platform team if it persists", refusals[0].image, what, inEnv(refusals[0]))
	case len(refusals) == 1:
		msg = fmt.Sprintf("andon's gate refused image %s of %s%s: %s", refusals[0].image, what, inEnv(refusals[0]), gateReasons(refusals[0].res, refusals[0].err))
	case oneEnv:
		msg = fmt.Sprintf("andon's gate refused %d of the %d new images of %s in environment %s: %s", len(refusals), total, what, env, strings.Join(parts, "; "))
	default:
		msg = fmt.Sprintf("andon's gate refused %d of its %d decisions on the new images of %s: %s", len(refusals), total, what, strings.Join(parts, "; "))
	}
	if len(dryRuns) > 0 {
		names := make([]string, len(dryRuns))
		for i, d := range dryRuns {
			names[i] = d.image + where(d)
			if d.err == nil && d.res != nil && d.res.AuditIndex > 0 {
				names[i] += fmt.Sprintf(" (audit entry %d)", d.res.AuditIndex)
			}
		}
		switch {
		case !oneEnv && len(dryRuns) == 1:
			msg += fmt.Sprintf(". An object is admitted only when the gate allows each of its images in each environment: the decision on image %s was recorded as a dry run and moved no change", names[0])
		case !oneEnv:
			msg += fmt.Sprintf(". An object is admitted only when the gate allows each of its images in each environment: the decisions on images %s were recorded as dry runs and moved no change", strings.Join(names, "; "))
		case len(dryRuns) == 1:
			msg += fmt.Sprintf(". An object is admitted only when the gate allows all its images: the decision on its other image, %s, was recorded as a dry run and moved no change", names[0])
		default:
			msg += fmt.Sprintf(". An object is admitted only when the gate allows all its images: the decisions on its other images, %s, were recorded as dry runs and moved no change", strings.Join(names, ", "))
		}
	}
	for _, d := range deployed {
		moved := ""
		if d.res.Change != nil {
			moved = fmt.Sprintf(" and change %s that carries it is %s", d.res.Change.ID, d.res.Change.State)
		}
		rv.logger().Warn("admission: the gate allowed an image of an object it then refused, since a change was written while it decided", "object", what, "image", d.image, "environment", d.env, "audit_entry", d.res.AuditIndex)
		msg += fmt.Sprintf(". Image %s%s was allowed before that refusal (audit entry %d)%s, although the object is refused: a change was written while andon decided; apply the object again once the gate allows every image", d.image, where(d), d.res.AuditIndex, moved)
	}
	return refused, msg
}

// decide asks the gate about one image, and gives up at ctx's deadline.
// The gate may take longer: once the store has queued the write of a
// decision it waits for that write whatever the context, as long as
// another writer holds the database. An answer after the API server's own
// timeout would leave the webhook's failure policy to decide, which in a
// namespace that fails open admits the object unasked. A decision that is
// recorded after the deadline stays recorded; an allowed one is logged,
// since the object was refused all the same.
func (rv *Reviewer) decide(ctx context.Context, what string, req andon.GateRequest) (*andon.GateResult, error) {
	type decision struct {
		res *andon.GateResult
		err error
	}
	done := make(chan decision, 1)
	go func() {
		res, err := rv.Gate.Decide(ctx, req)
		done <- decision{res, err}
	}()
	select {
	case d := <-done:
		return d.res, d.err
	case <-ctx.Done():
		go func() {
			if d := <-done; d.err == nil && d.res != nil && d.res.Allow && !d.res.DryRun {
				rv.logger().Warn("admission: the gate allowed an image after the webhook's deadline, and the object was refused; the decision stays recorded", "object", what, "image", req.Image, "environment", req.Environment, "audit_entry", d.res.AuditIndex)
			}
		}()
		return nil, ctx.Err()
	}
}

// findings returns the deny findings of the object rules over obj, as
// messages, and its warnings. On an update (old not nil) an object is
// refused only for the rules it breaks in more places than old did: an
// object that broke a rule before the rule was written, or before its
// waiver expired, can still be scaled, labelled or rolled back, though
// the finding's message may change with it (the pods a scale counts, the
// image a rollback brings back); what it must not do is break a rule
// anew, or in one more container.
func (rv *Reviewer) findings(ctx context.Context, cat *andon.Catalog, env *andon.Environment, namespace string, obj, old map[string]any) (denials, warnings []string, err error) {
	found, err := rv.check(ctx, cat, env, namespace, "request.object", withoutBookkeeping(obj))
	if err != nil {
		return nil, nil, err
	}
	var denied []andon.ManifestFinding
	for _, f := range found {
		switch {
		case f.Waiver != "":
		case f.Severity == andon.SeverityDeny:
			denied = append(denied, f)
		default:
			warnings = append(warnings, warning(f))
		}
	}
	if len(denied) > 0 && old != nil {
		before, err := rv.check(ctx, cat, env, namespace, "request.oldObject", withoutBookkeeping(old))
		if err != nil {
			return nil, nil, err
		}
		denied = newBreaches(denied, before)
	}
	for _, f := range denied {
		denials = append(denials, fmt.Sprintf("[%s] %s", f.Rule, f.Message))
	}
	return denials, warnings, nil
}

// newBreaches returns the findings of after that before does not
// account for. Each finding of before accounts for one of after of the
// same rule: one with the same message first, then any other, so that
// the findings left, if any, are those whose message is new.
func newBreaches(after, before []andon.ManifestFinding) []andon.ManifestFinding {
	type key struct{ rule, message string }
	same := map[key]int{}
	byRule := map[string]int{}
	for _, f := range before {
		same[key{f.Rule, f.Message}]++
		byRule[f.Rule]++
	}
	var changed []andon.ManifestFinding
	for _, f := range after {
		if k := (key{f.Rule, f.Message}); same[k] > 0 {
			same[k]--
			byRule[f.Rule]--
			continue
		}
		changed = append(changed, f)
	}
	return slices.DeleteFunc(changed, func(f andon.ManifestFinding) bool {
		if byRule[f.Rule] > 0 {
			byRule[f.Rule]--
			return true
		}
		return false
	})
}

// check evaluates the object rules of the manifest policy over obj and
// marks the findings that the catalog's waivers excuse.
func (rv *Reviewer) check(ctx context.Context, cat *andon.Catalog, env *andon.Environment, namespace, field string, doc map[string]any) ([]andon.ManifestFinding, error) {
	o, err := manifest.FromDoc(field, doc)
	if err != nil {
		// The review's own fault, said as such, not an internal error.
		var me *manifest.Error
		if errors.As(err, &me) {
			return nil, andon.Errorf(andon.EINVALID, "%s: %v", field, me.Err)
		}
		return nil, err
	}
	manifest.DefaultNamespace([]*manifest.Object{o}, namespace)
	settings := policy.SettingsOf(cat, env.Name)
	settings.TraefikMajor = rv.TraefikMajor
	if settings.TraefikMajor == 0 {
		settings.TraefikMajor = 3
	}
	// A set rule weighs other objects, or their absence, which one object
	// cannot show: only andon policy test over the whole set applies it.
	rep, err := rv.Policy.ObjectManifests(ctx, policy.ManifestObject{Ref: o.ObjectRef, Doc: o.Doc, OdooConf: o.OdooConf}, settings)
	if err != nil {
		return nil, err
	}
	findings := rep.Findings
	now := time.Now
	if rv.Now != nil {
		now = rv.Now
	}
	andon.Waive(findings, cat.Waivers, now())
	return findings, nil
}

func (rv *Reviewer) logger() *slog.Logger {
	if rv.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return rv.Logger
}

// withoutBookkeeping returns obj without what the API server and kubectl
// keep for themselves and no rule reads: metadata.managedFields and the
// last-applied-configuration annotation, a second copy of the object.
// They would only make the policy's input larger.
func withoutBookkeeping(obj map[string]any) map[string]any {
	md, ok := obj["metadata"].(map[string]any)
	if !ok {
		return obj
	}
	trimmed := maps.Clone(md)
	delete(trimmed, "managedFields")
	if notes, ok := md["annotations"].(map[string]any); ok {
		notes = maps.Clone(notes)
		delete(notes, "kubectl.kubernetes.io/last-applied-configuration")
		trimmed["annotations"] = notes
	}
	out := maps.Clone(obj)
	out["metadata"] = trimmed
	return out
}

// namesCluster reports whether an environment of cat may be in cluster:
// one that names it, or one that names no cluster and so matches any.
func namesCluster(cat *andon.Catalog, cluster string) bool {
	return slices.ContainsFunc(cat.Environments, func(e *andon.Environment) bool {
		return e.Kubernetes.Cluster == "" || e.Kubernetes.Cluster == cluster
	})
}

// environmentOf returns the environment whose namespace is ns, in cluster
// when the webhook names one, or nil when no environment governs ns. An
// environment that names no cluster matches any. An object of no
// namespace (cluster-scoped) is in no environment, not in those that run
// outside Kubernetes and so name no namespace either.
func environmentOf(cat *andon.Catalog, cluster, ns string) (*andon.Environment, error) {
	if ns == "" {
		return nil, nil
	}
	var found []*andon.Environment
	for _, e := range cat.Environments {
		k := e.Kubernetes
		if k.Namespace == ns && (cluster == "" || k.Cluster == "" || k.Cluster == cluster) {
			found = append(found, e)
		}
	}
	switch len(found) {
	case 0:
		return nil, nil
	case 1:
		return found[0], nil
	}
	names := make([]string, len(found))
	for i, e := range found {
		names[i] = e.Name
	}
	return nil, fmt.Errorf("andon cannot tell which environment namespace %s belongs to: %s all use it; give each environment its kubernetes.cluster in the catalog and name the cluster in the webhook's URL (andon kube webhook-config --cluster)", ns, strings.Join(names, ", "))
}

// controlled reports whether obj has a controller owner reference.
func controlled(obj map[string]any) bool {
	v, _, _ := unstructured.NestedFieldNoCopy(obj, "metadata", "ownerReferences")
	refs, _ := v.([]any)
	for _, r := range refs {
		if m, ok := r.(map[string]any); ok && m["controller"] == true {
			return true
		}
	}
	return false
}

// podSpecPaths locates the pod spec in each workload kind.
var podSpecPaths = map[string][]string{
	"Pod":                   {"spec"},
	"Deployment":            {"spec", "template", "spec"},
	"StatefulSet":           {"spec", "template", "spec"},
	"DaemonSet":             {"spec", "template", "spec"},
	"ReplicaSet":            {"spec", "template", "spec"},
	"ReplicationController": {"spec", "template", "spec"},
	"Job":                   {"spec", "template", "spec"},
	"CronJob":               {"spec", "jobTemplate", "spec", "template", "spec"},
}

// operatorImages locates the image that an operator runs for an object
// of its own: a CloudNativePG Cluster's PostgreSQL, whose change of
// spec.imageName (a new minor or major version) the operator rolls out
// to every instance. Its pods are written by the operator, whose service
// account is trusted to keep them out of the webhook's way, so the
// Cluster is where the image is asked about. A Cluster may take it from
// an image catalog instead (clusterImages).
var operatorImages = map[metav1.GroupKind][]string{
	{Group: "postgresql.cnpg.io", Kind: "Cluster"}: {"spec", "imageName"},
}

// operatorPodSpecs locates the pod template that an operator runs for an
// object of its own as a workload's controller runs its template: a
// CloudNativePG Pooler's spec.template, from which the operator makes the
// PgBouncer pods. Its containers' images are asked about as a workload's
// are. A Pooler without a template, or whose containers name no image,
// runs the operator's default image, which is not in the object.
var operatorPodSpecs = map[metav1.GroupKind][]string{
	{Group: cnpgGroup, Kind: "Pooler"}: {"spec", "template", "spec"},
}

// images returns the images of the containers of a workload, or the
// image an operator runs for an object of its own, in order, each once.
func images(kind metav1.GroupVersionKind, obj map[string]any) []string {
	if obj == nil {
		return nil
	}
	gk := metav1.GroupKind{Group: kind.Group, Kind: kind.Kind}
	if path, ok := operatorImages[gk]; ok {
		if img, _, _ := unstructured.NestedString(obj, path...); img != "" {
			return []string{img}
		}
		return nil
	}
	path, ok := operatorPodSpecs[gk]
	if !ok {
		path, ok = podSpecPaths[kind.Kind]
	}
	if !ok {
		return nil
	}
	v, _, _ := unstructured.NestedFieldNoCopy(obj, path...)
	spec, _ := v.(map[string]any)
	var out []string
	for _, field := range []string{"initContainers", "containers", "ephemeralContainers"} {
		list, _ := spec[field].([]any)
		for _, c := range list {
			m, _ := c.(map[string]any)
			img, _ := m["image"].(string)
			if img != "" && !slices.Contains(out, img) {
				out = append(out, img)
			}
		}
	}
	return out
}

// newEphemeralContainers returns the names of the ephemeral containers of
// the Pod obj that old does not have, in order.
func newEphemeralContainers(obj, old map[string]any) []string {
	names := func(pod map[string]any) []string {
		v, _, _ := unstructured.NestedFieldNoCopy(pod, "spec", "ephemeralContainers")
		list, _ := v.([]any)
		var out []string
		for _, c := range list {
			m, _ := c.(map[string]any)
			if name, _ := m["name"].(string); name != "" {
				out = append(out, name)
			}
		}
		return out
	}
	before := names(old)
	return slices.DeleteFunc(names(obj), func(name string) bool { return slices.Contains(before, name) })
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// newImages returns the images of obj that old does not have: all of
// them on a create.
func newImages(kind metav1.GroupVersionKind, obj, old map[string]any) []string {
	if isKind(kind, "ImageCatalog") {
		// The operator rolls each entry of an image catalog out to the
		// Clusters of the namespace that use it.
		return newCatalogImages(obj, old)
	}
	before := images(kind, old)
	return slices.DeleteFunc(images(kind, obj), func(img string) bool { return slices.Contains(before, img) })
}

// deny returns a refusal with message, as the API server shows it.
func deny(message string) *admissionv1.AdmissionResponse {
	return &admissionv1.AdmissionResponse{
		Allowed: false,
		Result: &metav1.Status{
			Status:  metav1.StatusFailure,
			Code:    http.StatusForbidden,
			Reason:  metav1.StatusReasonForbidden,
			Message: message,
		},
	}
}

// maxWarning is the length of a warning the API server is sure to pass on
// whole.
const maxWarning = 256

func warning(f andon.ManifestFinding) string {
	w := fmt.Sprintf("andon [%s]: %s", f.Rule, f.Message)
	if len(w) > maxWarning {
		w = strings.ToValidUTF8(w[:maxWarning-3], "") + "..."
	}
	return w
}

// gateReasons says why the gate did not allow an image, and names the
// audit entry that records the refusal.
func gateReasons(res *andon.GateResult, err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "andon could not decide on it before the webhook's deadline"
	}
	var reasons []string
	if res != nil {
		for _, r := range res.Reasons {
			reasons = append(reasons, fmt.Sprintf("%s: %s", r.Code, r.Message))
		}
	}
	if len(reasons) == 0 && err != nil {
		reasons = append(reasons, andon.ReasonInternal+": "+andon.ErrorMessage(err))
	}
	if len(reasons) == 0 {
		reasons = append(reasons, "the gate gave no reason")
	}
	msg := strings.Join(reasons, "; ")
	if res != nil && res.AuditIndex > 0 {
		msg += fmt.Sprintf(" (audit entry %d)", res.AuditIndex)
	}
	return msg
}
