package identity_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/identity"
	"github.com/andon-governance/andon/internal/oidctest"
)

// MustConfig writes yaml to a file auth.yaml of a new directory, with a
// file secret beside it, and loads it.
func MustConfig(t *testing.T, yaml string) *identity.Config {
	t.Helper()
	c, err := identity.LoadConfig(writeConfig(t, yaml))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	return c
}

func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "auth.yaml")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(yaml, "SECRET", filepath.Join(dir, "secret"))), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadConfigRefusesEveryProblemAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"empty", "oidc: []\n", []string{"auth.yaml: oidc: required: give at least one issuer"}},
		{"unknown field", "oidc:\n  - issuer: https://a.example\n    audience: [x]\n", []string{
			"auth.yaml: line 3: field audience is not known",
			"auth.yaml: oidc[0].audiences: required",
			"auth.yaml: oidc[0].username.claim: required: the claim that names the user, such as email or repository",
		}},
		{"shared issuers unpinned", `oidc:
  - issuer: https://token.actions.githubusercontent.com
    audiences: [https://andon.acme.example]
    username: {claim: repository, prefix: "github:"}
    require: {ref: refs/heads/main}
  - issuer: https://gitlab.com/
    audiences: [https://andon.acme.example]
    username: {claim: project_path, prefix: "gitlab:"}
    require: {project_path: ""}
`, []string{
			"auth.yaml: oidc[0].require: https://token.actions.githubusercontent.com gives tokens to the pipelines of every repository on GitHub, for whatever audience they ask: require one of repository_owner, repository_owner_id, repository or repository_id, as {repository_owner: acme}, or anyone's pipeline signs in",
			"auth.yaml: oidc[1].require: https://gitlab.com/ gives tokens to the pipelines of every project on gitlab.com, for whatever audience they ask: require one of namespace_path, namespace_id, project_path or project_id, as {namespace_path: acme}, or anyone's pipeline signs in",
			"auth.yaml: oidc[1].require.project_path: empty: give the value the claim must have",
		}},
		{"prefixes that overlap", `oidc:
  - issuer: https://token.actions.githubusercontent.com
    audiences: [https://andon.acme.example]
    username: {claim: repository, prefix: "github:"}
    require: {repository_owner: acme}
  - issuer: https://github.acme.example/_services/token
    audiences: [https://andon.acme.example]
    username: {claim: repository, prefix: "github:"}
  - issuer: https://ci.acme.example
    audiences: [https://andon.acme.example]
    username: {claim: sub, prefix: "git"}
`, []string{
			`auth.yaml: oidc[1].username.prefix: "github:" and the prefix "github:" of oidc[0] could start the same user name: give each issuer a prefix of its own, such as github: and gitlab:`,
			`auth.yaml: oidc[2].username.prefix: "git" and the prefix "github:" of oidc[0] could start the same user name: give each issuer a prefix of its own, such as github: and gitlab:`,
		}},
		{"syntax", "oidc: [\n", []string{"auth.yaml: line 1: did not find expected node content"}},
		{"everything", `oidc:
  - issuer: http://login.example
    username: {prefix: "a b"}
  - issuer: https://login.example/realms/x?q=1
    audiences: [andon, ""]
    username: {claim: email}
    require: {ref: ""}
    board: {clientID: andon}
  - issuer: https://gh.example
    audiences: [a]
    username: {claim: repository}
    board: {clientSecretFile: SECRET}
  - issuer: https://gh.example
    audiences: [a]
    username: {claim: repository}
    board: {clientID: x, clientSecretFile: /nonexistent/secret}
`, []string{
			`auth.yaml: oidc[0].issuer: "http://login.example" is not https: a token's keys fetched over plain HTTP could be anyone's (http is taken on a loopback address only, for tests)`,
			"auth.yaml: oidc[0].audiences: required",
			"auth.yaml: oidc[0].username.claim: required: the claim that names the user, such as email or repository",
			`auth.yaml: oidc[0].username.prefix: "a bx" holds U+0020; a user name has no white space, control or format character`,
			`auth.yaml: oidc[1].issuer: "https://login.example/realms/x?q=1" has a query, a fragment or credentials, which an issuer's URL has not`,
			"auth.yaml: oidc[1].audiences[1]: empty",
			"auth.yaml: oidc[1].require.ref: empty: give the value the claim must have",
			"auth.yaml: oidc[1].board.clientSecretFile: required with clientID",
			"auth.yaml: oidc[2].board.clientID: required with clientSecretFile",
			"auth.yaml: oidc[3].issuer: https://gh.example is given already in oidc[2]",
			"auth.yaml: oidc[3].board.clientSecretFile: cannot read /nonexistent/secret: no such file or directory",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := identity.LoadConfig(writeConfig(t, tc.yaml))
			if err == nil {
				t.Fatal("LoadConfig: no error")
			}
			if diff := cmp.Diff(tc.want, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("LoadConfig errors (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLoadConfigTakesSharedIssuersPinned: GitHub's and gitlab.com's
// issuers are taken when require pins the owner of the pipelines.
func TestLoadConfigTakesSharedIssuersPinned(t *testing.T) {
	MustConfig(t, `oidc:
  - issuer: https://token.actions.githubusercontent.com
    audiences: [https://andon.acme.example]
    username: {claim: repository, prefix: "github:"}
    require: {repository_owner: acme, ref: refs/heads/main}
  - issuer: https://gitlab.com
    audiences: [https://andon.acme.example]
    username: {claim: project_path, prefix: "gitlab:"}
    require: {namespace_id: "4242"}
`)
}

func TestLoadConfigTakesLoopbackHTTP(t *testing.T) {
	c := MustConfig(t, `oidc:
  - issuer: http://127.0.0.1:8080
    audiences: [andon]
    username: {claim: email}
    board: {clientID: andon, clientSecretFile: SECRET, displayName: ACME}
`)
	if !c.HasBoard() {
		t.Error("HasBoard = false, want true")
	}
	if _, err := identity.New(c, "", time.Now); err == nil || !strings.Contains(err.Error(), "--public-url: required") {
		t.Errorf("New without a public URL: %v, want --public-url required", err)
	}
}

// newService returns a Service of one issuer, iss, configured by the
// YAML lines extra (indented as the issuer's fields), at the clock now.
func newService(t *testing.T, iss *oidctest.Issuer, extra string, now func() time.Time) *identity.Service {
	t.Helper()
	c := MustConfig(t, "oidc:\n  - issuer: "+iss.URL+"\n    audiences: [andon, https://andon.example]\n"+extra)
	s, err := identity.New(c, "https://andon.example", now)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerify(t *testing.T) {
	iss := oidctest.New(t)
	ctx := context.Background()
	s := newService(t, iss, "    username: {claim: repository, prefix: \"github:\"}\n    require: {ref: refs/heads/main}\n", time.Now)
	good := map[string]any{"aud": "https://andon.example", "repository": "acme/odoo", "ref": "refs/heads/main"}
	with := func(changes map[string]any) map[string]any {
		claims := map[string]any{}
		for k, v := range good {
			claims[k] = v
		}
		for k, v := range changes {
			claims[k] = v
		}
		return claims
	}
	b, err := s.Verify(ctx, iss.Mint(t, good))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if b.User != "github:acme/odoo" || b.Issuer != iss.URL || b.ReadOnly || b.ID != "" {
		t.Errorf("Verify = %+v; want github:acme/odoo of %s, read-write, with no ID", b, iss.URL)
	}
	expired := time.Now().Add(-time.Hour).Truncate(time.Second)
	other := oidctest.New(t)
	for _, tc := range []struct {
		name  string
		token string
		want  string
	}{
		{"audience", iss.Mint(t, with(map[string]any{"aud": []string{"gitlab", "other"}})),
			"the token of issuer " + iss.URL + " is not valid: the token's audience [gitlab, other] is not among the configured [andon, https://andon.example]"},
		{"expired", iss.Mint(t, with(map[string]any{"exp": expired.Unix(), "iat": expired.Add(-5 * time.Minute).Unix()})),
			"the token of issuer " + iss.URL + " is not valid: the token expired at " + expired.UTC().Format(time.RFC3339)},
		{"not yet", iss.Mint(t, with(map[string]any{"nbf": time.Now().Add(time.Hour).Unix(), "exp": time.Now().Add(2 * time.Hour).Unix()})),
			"before the nbf (not before) time"},
		{"require", iss.Mint(t, with(map[string]any{"ref": "refs/heads/dev"})),
			"the token of issuer " + iss.URL + " is not valid: claim `ref` is `refs/heads/dev` where the configuration requires `refs/heads/main`"},
		{"require missing", iss.Mint(t, with(map[string]any{"ref": nil})),
			"the token has no claim `ref`, where the configuration requires `refs/heads/main`"},
		{"user claim missing", iss.Mint(t, with(map[string]any{"repository": nil})),
			"the token has no claim `repository`, which names its user"},
		{"user name", iss.Mint(t, with(map[string]any{"repository": "acme odoo"})),
			`the user name "github:acme odoo" (claim ` + "`repository`" + ` after the prefix "github:") is not valid: "github:acme odoo" holds U+0020`},
		{"unknown issuer", other.Mint(t, good),
			"the bearer token is a JWT of issuer " + other.URL + ", which is not configured (andon serve --auth-config)"},
		{"signed by another", strings.Join(append(strings.Split(iss.Mint(t, good), ".")[:2], strings.Split(other.Mint(t, good), ".")[2]), "."),
			"failed to verify signature"},
		{"not a JWT", "eyJhbGciOiJub25lIn0.e30.", "the bearer token is not a valid JWT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Verify(ctx, tc.token)
			if andon.ErrorCode(err) != andon.EUNAUTHORIZED || !strings.Contains(andon.ErrorMessage(err), tc.want) {
				t.Errorf("Verify: %v (%s); want unauthorized, %q", err, andon.ErrorCode(err), tc.want)
			}
		})
	}
}

// TestVerifyUnverifiedEmail: a user named by their address is refused
// when the token says the provider has not verified it.
func TestVerifyUnverifiedEmail(t *testing.T) {
	iss := oidctest.New(t)
	s := newService(t, iss, "    username: {claim: email}\n", time.Now)
	for _, tc := range []struct {
		verified any
		ok       bool
	}{{true, true}, {nil, true}, {false, false}, {"false", false}} {
		b, err := s.Verify(context.Background(), iss.Mint(t, map[string]any{"aud": "andon", "email": "anne@acme.example", "email_verified": tc.verified}))
		switch {
		case tc.ok && (err != nil || b.User != "anne@acme.example"):
			t.Errorf("email_verified %v: %+v, %v; want anne@acme.example", tc.verified, b, err)
		case !tc.ok && !strings.Contains(andon.ErrorMessage(err), "claim `email`, which names the user, is not verified (email_verified is "):
			t.Errorf("email_verified %v: %+v, %v; want refused as not verified", tc.verified, b, err)
		}
	}
}

func TestVerifyReadOnly(t *testing.T) {
	iss := oidctest.New(t)
	s := newService(t, iss, "    username: {claim: email}\n    readOnly: true\n", time.Now)
	b, err := s.Verify(context.Background(), iss.Mint(t, map[string]any{"aud": "andon", "email": "auditor@acme.example"}))
	if err != nil || !b.ReadOnly || b.User != "auditor@acme.example" {
		t.Errorf("Verify = %+v, %v; want auditor@acme.example read-only", b, err)
	}
}

// TestIssuerDownThenUp: a token of an issuer that does not answer is a
// fault, which the API answers with a 503, and is verified once the
// issuer answers again, without a restart.
func TestIssuerDownThenUp(t *testing.T) {
	iss := oidctest.New(t)
	iss.SetDown(true)
	s := newService(t, iss, "    username: {claim: email}\n", time.Now)
	token := iss.Mint(t, map[string]any{"aud": "andon", "email": "erin"})
	_, err := s.Verify(context.Background(), token)
	fault := (*andon.Fault)(nil)
	if !errors.As(err, &fault) || !strings.Contains(err.Error(), "the OpenID Connect issuer "+iss.URL+" cannot be reached to verify the token") {
		t.Fatalf("Verify with the issuer down: %v; want a fault saying it cannot be reached", err)
	}
	iss.SetDown(false)
	if b, err := s.Verify(context.Background(), token); err != nil || b.User != "erin" {
		t.Fatalf("Verify with the issuer up again: %+v, %v; want erin", b, err)
	}
}

// TestKeysDown: an issuer whose discovery answered and whose key set then
// does not is a fault too, not a bad signature.
func TestKeysDown(t *testing.T) {
	iss := oidctest.New(t)
	other := oidctest.New(t)
	s := newService(t, iss, "    username: {claim: email}\n", time.Now)
	// The first verification discovers the issuer; the key set is then
	// fetched only for a key it does not hold yet.
	if _, err := s.Verify(context.Background(), iss.Mint(t, map[string]any{"aud": "andon", "email": "erin"})); err != nil {
		t.Fatal(err)
	}
	iss.SetDown(true)
	forged := strings.Join(append(strings.Split(iss.Mint(t, map[string]any{"aud": "andon", "email": "erin"}), ".")[:2], strings.Split(other.Mint(t, nil), ".")[2]), ".")
	_, err := s.Verify(context.Background(), forged)
	if fault := (*andon.Fault)(nil); !errors.As(err, &fault) {
		t.Fatalf("Verify with the key set down: %v; want a fault", err)
	}
}

// TestWaitersShareAFailedDiscovery: the requests that waited for the
// discovery of an issuer that does not answer are refused with its
// failure, rather than each asking the issuer again in turn and waiting
// as long; a request that comes after asks again.
func TestWaitersShareAFailedDiscovery(t *testing.T) {
	iss := oidctest.New(t)
	iss.SetDown(true)
	s := newService(t, iss, "    username: {claim: email}\n", time.Now)
	token := iss.Mint(t, map[string]any{"aud": "andon", "email": "erin"})
	entered, release := iss.BlockDiscovery()
	defer release()
	const waiters = 4
	errs := make(chan error, waiters+1)
	go func() { _, err := s.Verify(context.Background(), token); errs <- err }()
	<-entered
	for range waiters {
		go func() { _, err := s.Verify(context.Background(), token); errs <- err }()
	}
	// The waiters reach the issuer's lock while the first request holds
	// it; one that came later would ask again, which is right too, and
	// would only make the count below larger.
	time.Sleep(200 * time.Millisecond)
	release()
	for range waiters + 1 {
		if fault := (*andon.Fault)(nil); !errors.As(<-errs, &fault) {
			t.Fatal("a request while the issuer is down was not refused with a fault")
		}
	}
	if n := iss.Discoveries(); n != 1 {
		t.Errorf("the issuer was asked for its discovery document %d times by %d requests waiting together, want once", n, waiters+1)
	}
	if _, err := s.Verify(context.Background(), token); err == nil || iss.Discoveries() != 2 {
		t.Errorf("a request after the failure: %v, %d discoveries; want it refused after asking again", err, iss.Discoveries())
	}
}
