package github

import (
	"context"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/sqlstore"
)

// Defaults of Config.
const (
	// DefaultMaxWait is how long a request waits for the gate before it
	// is rejected; GitHub's own limit is 30 days.
	DefaultMaxWait = 24 * time.Hour
	// DefaultLinkWait is how long a request waits for a change linked to
	// its run: the run's first jobs open it.
	DefaultLinkWait = 15 * time.Minute
)

// MaxComment bounds an answer's comment, in characters: GitHub shows it
// on the run's page, where the gate's reasons, one after another, could
// otherwise run long.
const MaxComment = 1000

// Config is what a Protector needs.
type Config struct {
	// AppID and Key are the GitHub App's ID and private key.
	AppID int64
	Key   *rsa.PrivateKey
	// Secret returns the webhook secret, read again when its file
	// changes.
	Secret func() ([]byte, error)
	// APIURL is GitHub's REST API (DefaultAPIURL when ""): the App's
	// tokens come from it, and a request whose callback URL is elsewhere
	// is refused, so that no token is sent elsewhere.
	APIURL string
	// Environments maps GitHub environments to andon's; one it does not
	// name maps to the andon environment of the same name, if any.
	Environments map[string]string
	// MaxWait and LinkWait (DefaultMaxWait, DefaultLinkWait when 0).
	MaxWait  time.Duration
	LinkWait time.Duration

	Store   *sqlstore.GitHubStore
	Changes andon.ChangeService
	Gate    andon.GateService
	Catalog andon.CatalogSource
	// Now is the clock (time.Now when nil), HTTP the client of GitHub's
	// API (one without redirects when nil), Logger the log (discarded
	// when nil).
	Now    func() time.Time
	HTTP   *http.Client
	Logger *slog.Logger
	// Recorded, when set, is called after a request is recorded: the
	// server checks at once rather than at its next scan.
	Recorded func()
}

// Protector receives the App's webhook and answers the deployment
// protection requests it records. It implements andon.GitHubService;
// Check, which the leading replica calls, decides and answers.
type Protector struct {
	cfg    Config
	client *client
	mu     sync.Mutex
	// retries holds, for each decided request GitHub did not take the
	// answer of, when to try again: a backoff kept in memory, which a
	// new leader starts afresh.
	retries map[string]retry
}

type retry struct {
	failures int
	next     time.Time
}

var _ andon.GitHubService = (*Protector)(nil)

// New returns a Protector for cfg.
func New(cfg Config) *Protector {
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	cfg.APIURL = strings.TrimSuffix(cfg.APIURL, "/")
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = DefaultMaxWait
	}
	if cfg.LinkWait <= 0 {
		cfg.LinkWait = DefaultLinkWait
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	hc := cfg.HTTP
	if hc == nil {
		hc = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return &Protector{cfg: cfg, client: &client{appID: cfg.AppID, key: cfg.Key, api: cfg.APIURL, http: hc, now: cfg.Now},
		retries: map[string]retry{}}
}

// protectionRule is the part of a deployment_protection_rule event andon
// reads.
type protectionRule struct {
	Action      string `json:"action"`
	Environment string `json:"environment"`
	Event       string `json:"event"`
	CallbackURL string `json:"deployment_callback_url"`
	Deployment  *struct {
		SHA string `json:"sha"`
		Ref string `json:"ref"`
	} `json:"deployment"`
	Repository struct {
		FullName string `json:"full_name"`
		HTMLURL  string `json:"html_url"`
	} `json:"repository"`
	Installation struct {
		ID int64 `json:"id"`
	} `json:"installation"`
}

// callbackRun reads the run's ID out of a callback URL.
var callbackRun = regexp.MustCompile(`/actions/runs/([0-9]+)/deployment_protection_rule$`)

// Deliver checks a delivery's signature and records the
// deployment_protection_rule requests it carries.
func (p *Protector) Deliver(ctx context.Context, d andon.GitHubDelivery) (*andon.GitHubDeployment, error) {
	if err := p.verify(d); err != nil {
		return nil, err
	}
	if d.Event != "deployment_protection_rule" {
		return nil, nil
	}
	rec, err := parseRequest(d.Body, p.cfg.APIURL)
	if err != nil || rec == nil {
		return nil, err
	}
	rec.Environment, rec.Delivery = p.environment(rec.GitHubEnvironment), d.ID
	rec, _, err = p.cfg.Store.RecordRequest(ctx, rec)
	if err != nil {
		return nil, err
	}
	if p.cfg.Recorded != nil {
		p.cfg.Recorded()
	}
	return rec, nil
}

// parseRequest reads the request of a deployment_protection_rule event
// whose callback is under api: nil for another action than requested.
// Its environment and delivery are left for the caller.
func parseRequest(body []byte, api string) (*andon.GitHubDeployment, error) {
	var ev protectionRule
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, andon.Errorf(andon.EINVALID, "body: not a deployment_protection_rule event: %v", err)
	}
	if ev.Action != "requested" {
		return nil, nil
	}
	m := callbackRun.FindStringSubmatch(ev.CallbackURL)
	switch {
	case ev.Environment == "":
		return nil, andon.Errorf(andon.EINVALID, "environment: required")
	case ev.Repository.FullName == "" || ev.Repository.HTMLURL == "":
		return nil, andon.Errorf(andon.EINVALID, "repository: full_name and html_url required")
	case ev.Installation.ID <= 0:
		return nil, andon.Errorf(andon.EINVALID, "installation.id: required: the App answers with a token of its installation")
	case m == nil:
		return nil, andon.Errorf(andon.EINVALID, "deployment_callback_url: %q does not end in /actions/runs/RUN_ID/deployment_protection_rule", ev.CallbackURL)
	case !strings.HasPrefix(ev.CallbackURL, api+"/"):
		// The answer carries an installation token: it goes to the
		// API andon was given, nowhere else.
		return nil, andon.Errorf(andon.EINVALID, "deployment_callback_url: %q is not under --github-api-url %s", ev.CallbackURL, api)
	case !strings.EqualFold(strings.TrimSuffix(ev.CallbackURL, m[0]), api+"/repos/"+ev.Repository.FullName):
		// The change is found by the run of the repository, and the
		// answer goes to the callback: both name the same run, or an
		// approval meant for one repository's run would let another's
		// job deploy.
		return nil, andon.Errorf(andon.EINVALID, "deployment_callback_url: %q is not a run of the repository %s", ev.CallbackURL, ev.Repository.FullName)
	case !strings.HasSuffix(strings.ToLower(strings.TrimSuffix(ev.Repository.HTMLURL, "/")), "/"+strings.ToLower(ev.Repository.FullName)),
		!strings.HasPrefix(ev.Repository.HTMLURL, "https://") && !strings.HasPrefix(ev.Repository.HTMLURL, "http://"):
		return nil, andon.Errorf(andon.EINVALID, "repository.html_url: %q is not the page of %s", ev.Repository.HTMLURL, ev.Repository.FullName)
	}
	rec := &andon.GitHubDeployment{
		Repository:        ev.Repository.FullName,
		RunURL:            strings.TrimSuffix(ev.Repository.HTMLURL, "/") + "/actions/runs/" + m[1],
		GitHubEnvironment: ev.Environment,
		Event:             ev.Event,
		CallbackURL:       ev.CallbackURL,
		InstallationID:    ev.Installation.ID,
	}
	if ev.Deployment != nil {
		rec.SHA, rec.Ref = ev.Deployment.SHA, ev.Deployment.Ref
	}
	return rec, nil
}

// verify checks the delivery's X-Hub-Signature-256 against the secret.
func (p *Protector) verify(d andon.GitHubDelivery) error {
	secret, err := p.cfg.Secret()
	if err != nil {
		return fmt.Errorf("the webhook secret: %w", err)
	}
	hexSum, ok := strings.CutPrefix(d.Signature, "sha256=")
	if d.Signature == "" {
		return andon.Errorf(andon.EUNAUTHORIZED, "X-Hub-Signature-256: missing: a delivery is signed with the App's webhook secret")
	}
	got, err := hex.DecodeString(hexSum)
	if !ok || err != nil {
		return andon.Errorf(andon.EUNAUTHORIZED, "X-Hub-Signature-256: not sha256=HEX")
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(d.Body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return andon.Errorf(andon.EUNAUTHORIZED, "X-Hub-Signature-256: does not match the body signed with the webhook secret (--github-webhook-secret-file)")
	}
	return nil
}

// environment is the andon environment a GitHub environment maps to, ""
// for none.
func (p *Protector) environment(github string) string {
	if env, ok := p.cfg.Environments[github]; ok {
		return env
	}
	if p.cfg.Catalog.Catalog().Environment(github) != nil {
		return github
	}
	return ""
}

// FindGitHubDeployments lists the requests recorded.
func (p *Protector) FindGitHubDeployments(ctx context.Context, f andon.GitHubDeploymentFilter) ([]*andon.GitHubDeployment, error) {
	switch f.State {
	case "", andon.GitHubWaiting, andon.GitHubApproved, andon.GitHubRejected:
	default:
		return nil, andon.Errorf(andon.EINVALID, "state: %q; one of %s, %s, %s", f.State, andon.GitHubWaiting, andon.GitHubApproved, andon.GitHubRejected)
	}
	list, err := p.cfg.Store.Find(ctx, f)
	if err != nil {
		return nil, err
	}
	for _, d := range list {
		if d.State == andon.GitHubWaiting {
			d.Waiting = p.waitingFor(ctx, d)
		}
	}
	return list, nil
}

// waitingFor says why the waiting request d waits, as the leader's next
// check would find it: the gate is asked as a preview, which records
// nothing.
func (p *Protector) waitingFor(ctx context.Context, d *andon.GitHubDeployment) string {
	if d.Environment == "" || p.cfg.Catalog.Catalog().Environment(d.Environment) == nil {
		return "its GitHub environment maps to no andon environment: rejected at the next check"
	}
	c, err := p.linkedChange(ctx, d)
	if err != nil {
		return "unknown: " + err.Error()
	}
	if c == nil {
		return fmt.Sprintf("no change of %s links to the run yet (--link pipeline=%s); rejected from %s if none does",
			d.Environment, d.RunURL, d.RequestedAt.Add(p.cfg.LinkWait).UTC().Format(time.RFC3339))
	}
	if len(c.Artifacts) == 0 {
		return fmt.Sprintf("%s carries no image: rejected at the next check", c.ID)
	}
	gctx := andon.NewContextWithUser(ctx, &andon.User{Name: "github:" + d.Repository})
	reasons, err := p.ask(gctx, d.Environment, c.Artifacts, true)
	switch {
	case err != nil:
		return err.Error()
	case len(reasons) == 0:
		return fmt.Sprintf("the gate allows %s: approved at the next check", c.ID)
	}
	return fmt.Sprintf("the gate denies %s: %s; rejected from %s if it still does",
		c.ID, strings.Join(reasons, "; "), d.RequestedAt.Add(p.cfg.MaxWait).UTC().Format(time.RFC3339))
}

// Check decides each waiting request the gate now answers for good, and
// sends GitHub each answer it has not taken yet, whose retry is due. The
// leading replica calls it every minute, and when a request is
// recorded.
func (p *Protector) Check(ctx context.Context) error {
	open, err := p.cfg.Store.Find(ctx, andon.GitHubDeploymentFilter{Open: true, Limit: 1000})
	if err != nil {
		return err
	}
	var errs []error
	for _, d := range slices.Backward(open) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if d.State == andon.GitHubWaiting {
			if d, err = p.decide(ctx, d); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", d.ID, err))
				continue
			}
		}
		if d.State != andon.GitHubWaiting {
			if err := p.answer(ctx, d); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", d.ID, err))
			}
		}
	}
	return errors.Join(errs...)
}

// decide asks the gate about the change linked to d's run, and records a
// decision when the answer is for good. It returns d as it stands.
func (p *Protector) decide(ctx context.Context, d *andon.GitHubDeployment) (*andon.GitHubDeployment, error) {
	now := p.cfg.Now()
	waited := now.Sub(d.RequestedAt)
	record := func(state andon.GitHubState, change, comment string) (*andon.GitHubDeployment, error) {
		decided, err := p.cfg.Store.Decide(ctx, d.ID, state, change, clipComment(comment))
		if err != nil {
			return d, err
		}
		p.cfg.Logger.Info("GitHub deployment decided", "id", d.ID, "state", state, "change", change, "run", d.RunURL, "comment", decided.Comment)
		return decided, nil
	}
	reject := func(change, format string, args ...any) (*andon.GitHubDeployment, error) {
		return record(andon.GitHubRejected, change, fmt.Sprintf(format, args...))
	}
	cat := p.cfg.Catalog.Catalog()
	if d.Environment == "" {
		return reject("", "andon: the GitHub environment %s maps to no andon environment: the catalog holds none of that name, and --github-environment maps it to none", d.GitHubEnvironment)
	}
	if cat.Environment(d.Environment) == nil {
		return reject("", "andon: the GitHub environment %s maps to %s, which andon's catalog does not hold", d.GitHubEnvironment, d.Environment)
	}
	c, err := p.linkedChange(ctx, d)
	if err != nil {
		return d, err
	}
	if c == nil {
		if waited >= p.cfg.LinkWait {
			return reject("", "andon: no change of %s links to this run after %s: the release opens one with --link pipeline=%s before the deploy job", d.Environment, andon.HumanDuration(p.cfg.LinkWait), d.RunURL)
		}
		return d, nil
	}
	over := waited >= p.cfg.MaxWait
	ended := !slices.Contains([]andon.State{andon.StatePending, andon.StateApproved, andon.StateImplementing}, c.State) ||
		(c.Window != nil && !now.Before(c.Window.End))
	if len(c.Artifacts) == 0 {
		return reject(c.ID, "andon: %s carries no image for the gate to decide about", c.ID)
	}
	// The gate is asked first without a record (a preview), as a
	// request that waits is asked every minute, for days of a freeze:
	// its refusals, recorded each time, would fill the audit log and the
	// monthly review's count of refusals. An answer for good, allowed or
	// refused, is then asked on the gate's real path, recorded as every
	// decision is, the first allowed moving the change to implementing.
	gctx := andon.NewContextWithUser(ctx, &andon.User{Name: "github:" + d.Repository})
	reasons, err := p.ask(gctx, d.Environment, c.Artifacts, true)
	if err == nil && (len(reasons) == 0 || ended || over) {
		reasons, err = p.ask(gctx, d.Environment, c.Artifacts, false)
	}
	if err != nil {
		// The gate could not decide: it fails closed, and the request
		// waits for the next check.
		return d, err
	}
	switch {
	case len(reasons) == 0:
		return record(andon.GitHubApproved, c.ID, fmt.Sprintf("andon: %s (%s) allowed to %s by the gate", c.ID, c.Title, d.Environment))
	case ended:
		return reject(c.ID, "andon: %s is %s: %s", c.ID, c.State, strings.Join(reasons, "; "))
	case over:
		return reject(c.ID, "andon: waited %s, and the gate still denies %s: %s", andon.HumanDuration(p.cfg.MaxWait), c.ID, strings.Join(reasons, "; "))
	}
	p.cfg.Logger.Debug("GitHub deployment waits", "id", d.ID, "change", c.ID, "reasons", strings.Join(reasons, "; "))
	return d, nil
}

// ask asks the gate about each image in env, as a preview or for real,
// and returns the reasons of its refusals, none when it allows them all.
// An error is a gate that could not decide.
func (p *Protector) ask(ctx context.Context, env string, images []string, preview bool) ([]string, error) {
	var reasons []string
	for _, img := range images {
		res, err := p.cfg.Gate.Decide(ctx, andon.GateRequest{Environment: env, Image: img, Preview: preview})
		if err != nil && (res == nil || andon.ErrorCode(err) == andon.EINTERNAL) {
			return nil, fmt.Errorf("the gate could not decide about %s: %w", img, err)
		}
		if !res.Allow {
			for _, r := range res.Reasons {
				reasons = append(reasons, r.Code+": "+r.Message)
			}
		}
	}
	return reasons, nil
}

// linkedChange returns the change of d's environment linked to d's run,
// the latest one still under way before any other; nil for none.
func (p *Protector) linkedChange(ctx context.Context, d *andon.GitHubDeployment) (*andon.Change, error) {
	list, _, err := p.cfg.Changes.FindChanges(ctx, andon.ChangeFilter{Environment: d.Environment, Link: d.RunURL, Limit: 20})
	if err != nil {
		return nil, fmt.Errorf("find the change linked to %s: %w", d.RunURL, err)
	}
	var found *andon.Change
	for _, c := range list {
		if !slices.ContainsFunc(c.Links, func(l andon.Link) bool { return l.URL == d.RunURL }) {
			continue
		}
		if c.State == andon.StatePending || c.State == andon.StateApproved || c.State == andon.StateImplementing {
			return c, nil
		}
		if found == nil {
			found = c
		}
	}
	return found, nil
}

// answer sends GitHub the decision of d, unless its retry is not due, and
// records that GitHub took it.
func (p *Protector) answer(ctx context.Context, d *andon.GitHubDeployment) error {
	now := p.cfg.Now()
	p.mu.Lock()
	r := p.retries[d.ID]
	p.mu.Unlock()
	if now.Before(r.next) {
		return nil
	}
	forGood, err := p.client.review(ctx, d.CallbackURL, d.InstallationID, d.GitHubEnvironment, string(d.State), d.Comment)
	if forGood {
		// Sent again, it would be refused again, every 30 minutes for
		// ever: the refusal is recorded, and the request closed.
		p.mu.Lock()
		delete(p.retries, d.ID)
		p.mu.Unlock()
		if _, err := p.cfg.Store.Answered(ctx, d.ID, err.Error()); err != nil {
			return fmt.Errorf("record the answer GitHub refused: %w", err)
		}
		p.cfg.Logger.Warn("GitHub deployment refused for good: not tried again", "id", d.ID, "state", d.State, "run", d.RunURL, "err", err)
		return nil
	}
	if err != nil {
		r.failures++
		backoff := min(30*time.Second<<min(r.failures-1, 10), 30*time.Minute)
		r.next = now.Add(backoff)
		p.mu.Lock()
		p.retries[d.ID] = r
		p.mu.Unlock()
		return fmt.Errorf("GitHub did not take the answer (%d failures, next try in %s): %w", r.failures, backoff, err)
	}
	p.mu.Lock()
	delete(p.retries, d.ID)
	p.mu.Unlock()
	if _, err := p.cfg.Store.Answered(ctx, d.ID, ""); err != nil {
		return fmt.Errorf("record the answer GitHub took: %w", err)
	}
	p.cfg.Logger.Info("GitHub deployment answered", "id", d.ID, "state", d.State, "run", d.RunURL)
	return nil
}

// clipComment bounds a comment to MaxComment characters.
func clipComment(s string) string {
	if utf8.RuneCountInString(s) <= MaxComment {
		return s
	}
	r := []rune(s)
	return string(r[:MaxComment-1]) + "…"
}
