package identity_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/identity"
)

// FuzzLoadConfig: whatever the file holds, LoadConfig returns a
// configuration whose every issuer has what verification needs, or
// errors, and never panics.
func FuzzLoadConfig(f *testing.F) {
	f.Add([]byte("oidc:\n  - issuer: https://login.example\n    audiences: [andon]\n    username: {claim: email}\n"))
	f.Add([]byte("oidc:\n  - issuer: http://127.0.0.1:8080\n    audiences: [a]\n    username: {claim: repository, prefix: \"github:\"}\n    require: {ref: refs/heads/main}\n    readOnly: true\n"))
	f.Add([]byte("oidc: [{issuer: https://x, audiences: [], board: {clientID: a}}]\n"))
	f.Add([]byte("oidc:\n  - issuer: [1, 2]\n"))
	f.Add([]byte("{"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "auth.yaml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := identity.LoadConfig(path)
		if err != nil {
			return
		}
		if len(c.OIDC) == 0 {
			t.Fatal("a configuration without issuers was accepted")
		}
		for i, iss := range c.OIDC {
			if iss.Issuer == "" || len(iss.Audiences) == 0 || iss.Username.Claim == "" {
				t.Fatalf("oidc[%d] = %+v was accepted", i, iss)
			}
		}
	})
}

// FuzzVerify: whatever a client sends as a bearer token, Verify refuses
// it (unauthorized, or a fault for an issuer that does not answer) and
// never panics. The configured issuer listens nowhere, so a token that
// names it is refused for that.
func FuzzVerify(f *testing.F) {
	c, err := identity.LoadConfig(writeFuzzConfig(f))
	if err != nil {
		f.Fatal(err)
	}
	s, err := identity.New(c, "", time.Now)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwOi8vMTI3LjAuMC4xOjEifQ.c2ln")
	f.Add("eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwOi8vMTI3LjAuMC4xOjEifQ.")
	f.Add("eyJ.e30.")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, token string) {
		b, err := s.Verify(context.Background(), token)
		fault := (*andon.Fault)(nil)
		if err == nil || (andon.ErrorCode(err) != andon.EUNAUTHORIZED && !errors.As(err, &fault)) {
			t.Fatalf("Verify(%q) = %+v, %v; want a refusal", token, b, err)
		}
	})
}

func writeFuzzConfig(f *testing.F) string {
	path := filepath.Join(f.TempDir(), "auth.yaml")
	if err := os.WriteFile(path, []byte("oidc:\n  - issuer: http://127.0.0.1:1\n    audiences: [andon]\n    username: {claim: email}\n"), 0o600); err != nil {
		f.Fatal(err)
	}
	return path
}
