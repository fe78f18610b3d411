package main

import (
	"bytes"
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/github"
)

// githubOptions are the flags of andon's GitHub App.
type githubOptions struct {
	appID        int64
	keyFile      string
	secretFile   string
	apiURL       string
	environments []string
	maxWait      time.Duration
	// interval is how often the leader asks the gate again about the
	// requests that wait.
	interval time.Duration
}

func addGitHubFlags(f *pflag.FlagSet, e *env, o *githubOptions) {
	f.Int64Var(&o.appID, "github-app-id", 0, "ID of andon's GitHub App, whose deployment protection requests andon answers; off when 0 (docs/pipelines.md)")
	f.StringVar(&o.keyFile, "github-app-key-file", e.getenv("ANDON_GITHUB_APP_KEY_FILE"), "PEM private key of the GitHub App, read at start (env ANDON_GITHUB_APP_KEY_FILE)")
	f.StringVar(&o.secretFile, "github-webhook-secret-file", e.getenv("ANDON_GITHUB_WEBHOOK_SECRET_FILE"), "file holding the GitHub App's webhook secret, read again when it changes (env ANDON_GITHUB_WEBHOOK_SECRET_FILE)")
	f.StringVar(&o.apiURL, "github-api-url", envOr(e, "ANDON_GITHUB_API_URL", github.DefaultAPIURL), "GitHub's REST API, https://HOST/api/v3 for GitHub Enterprise Server (env ANDON_GITHUB_API_URL)")
	f.StringArrayVar(&o.environments, "github-environment", nil, "GITHUB=ANDON: the andon environment of a GitHub environment whose name is not an andon environment's; repeatable")
	f.DurationVar(&o.maxWait, "github-max-wait", github.DefaultMaxWait, "how long a GitHub deployment waits for the gate to allow it before andon rejects it (at most 30 days, GitHub's own limit)")
	f.DurationVar(&o.interval, "github-check-interval", time.Minute, "how often the leader asks the gate again about the GitHub deployments that wait")
	_ = f.MarkHidden("github-check-interval")
}

// githubLoaded is what the GitHub App's flags name, read and checked.
type githubLoaded struct {
	key    *rsa.PrivateKey
	secret *secretFile
	envs   map[string]string
}

// loadGitHub checks the GitHub App's flags and reads its files; nil when
// the App is off. Every error names its flag.
func loadGitHub(o *githubOptions) (*githubLoaded, error) {
	if o.appID == 0 && o.keyFile == "" && o.secretFile == "" {
		if len(o.environments) > 0 {
			return nil, errors.New("--github-environment: given without the GitHub App: give --github-app-id, --github-app-key-file and --github-webhook-secret-file")
		}
		return nil, nil
	}
	switch {
	case o.appID <= 0:
		return nil, fmt.Errorf("--github-app-id: required with --github-app-key-file and --github-webhook-secret-file: the App's ID, on its settings page")
	case o.keyFile == "":
		return nil, fmt.Errorf("--github-app-key-file: required with --github-app-id: the App's private key, a PEM file GitHub made")
	case o.secretFile == "":
		return nil, fmt.Errorf("--github-webhook-secret-file: required with --github-app-id: a file holding the App's webhook secret")
	}
	u, err := url.Parse(o.apiURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("--github-api-url %q: want an http(s) URL such as %s", o.apiURL, github.DefaultAPIURL)
	}
	if o.maxWait <= 0 || o.maxWait > 30*24*time.Hour {
		return nil, fmt.Errorf("--github-max-wait %s: want a duration above 0 and at most 720h (30 days, GitHub's own limit)", o.maxWait)
	}
	if o.interval <= 0 {
		return nil, fmt.Errorf("--github-check-interval %s: want a positive duration", o.interval)
	}
	l := &githubLoaded{envs: map[string]string{}}
	for _, m := range o.environments {
		gh, env, ok := strings.Cut(m, "=")
		gh, env = strings.TrimSpace(gh), strings.TrimSpace(env)
		switch {
		case !ok || gh == "" || env == "":
			return nil, fmt.Errorf("--github-environment %q: want GITHUB=ANDON, such as production=prod-lyon", m)
		case !andon.IsDNSLabel(env):
			return nil, fmt.Errorf("--github-environment %q: %q is not the name of an andon environment", m, env)
		}
		if old, dup := l.envs[gh]; dup {
			return nil, fmt.Errorf("--github-environment %q: the GitHub environment %s maps to %s already", m, gh, old)
		}
		l.envs[gh] = env
	}
	data, err := os.ReadFile(o.keyFile)
	if err != nil {
		return nil, fmt.Errorf("--github-app-key-file: %w", err)
	}
	if l.key, err = github.ParsePrivateKey(data); err != nil {
		return nil, fmt.Errorf("--github-app-key-file %s: %w", o.keyFile, err)
	}
	l.secret = &secretFile{path: o.secretFile}
	if _, err := l.secret.get(); err != nil {
		return nil, fmt.Errorf("--github-webhook-secret-file: %w", err)
	}
	return l, nil
}

// secretFile is the webhook secret in a file, read again when the file
// changes (a Secret rotated under its mount). A file that cannot be read
// again, or is empty, leaves the secret as it was.
type secretFile struct {
	path   string
	mu     sync.Mutex
	mod    time.Time
	size   int64
	secret []byte
}

func (s *secretFile) get() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fi, err := os.Stat(s.path)
	if err == nil && s.secret != nil && fi.ModTime().Equal(s.mod) && fi.Size() == s.size {
		return s.secret, nil
	}
	var data []byte
	if err == nil {
		data, err = os.ReadFile(s.path)
	}
	data = bytes.TrimSpace(data)
	if err == nil && len(data) == 0 {
		err = fmt.Errorf("%s is empty", s.path)
	}
	if err != nil {
		if s.secret != nil {
			return s.secret, nil
		}
		return nil, err
	}
	s.secret, s.mod, s.size = data, fi.ModTime(), fi.Size()
	return s.secret, nil
}

// checkGitHub asks the gate again about the GitHub deployments that wait,
// and answers GitHub, at once, every --github-check-interval and when a
// request is recorded, until ctx ends: the leader's work.
func (a *app) checkGitHub(ctx context.Context) {
	t := time.NewTicker(a.opts.github.interval)
	defer t.Stop()
	for {
		if err := a.github.Check(ctx); err != nil && ctx.Err() == nil {
			a.logger.Warn("GitHub deployments: some could not be decided or answered; they are tried again", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-a.githubKick:
		}
	}
}

// kickGitHub has the leader check the GitHub deployments at once, if this
// replica leads; a check already asked for is not asked again.
func (a *app) kickGitHub() {
	select {
	case a.githubKick <- struct{}{}:
	default:
	}
}

// approvalKick is the ChangeService of the API and the board when the
// GitHub App is on: an approval that leaves its change approved, or a
// change approved as it is opened (pre-approved by policy), has the leader
// check the GitHub deployments at once, so that a job GitHub holds for
// that change starts without waiting for the next minute. One on a
// replica that does not lead waits for the leader's minute.
type approvalKick struct {
	andon.ChangeService
	kick func()
}

func (k approvalKick) CreateChange(ctx context.Context, req *andon.ChangeRequest) (*andon.Change, error) {
	c, err := k.ChangeService.CreateChange(ctx, req)
	if err == nil && c.State == andon.StateApproved {
		k.kick()
	}
	return c, err
}

func (k approvalKick) Decide(ctx context.Context, id string, verdict andon.Verdict, comment string) (*andon.Change, error) {
	c, err := k.ChangeService.Decide(ctx, id, verdict, comment)
	if err == nil && c.State == andon.StateApproved {
		k.kick()
	}
	return c, err
}
