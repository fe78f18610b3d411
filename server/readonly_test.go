package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/server"
)

// readOnlyToken is dave's, a read-only token (andon token create
// --read-only).
const readOnlyToken = "read-only"

// bodies are requests that the handlers would accept, so that a route
// that let a read-only token through would answer otherwise than 403.
var bodies = map[string]string{
	"POST /api/v1/changes":                  `{"environment": "prod-lyon", "type": "normal", "title": "Upgrade", "artifacts": ["registry.example.com/odoo@sha256:` + strings.Repeat("a", 64) + `"]}`,
	"POST /api/v1/changes/{id}/approvals":   `{"verdict": "approve"}`,
	"POST /api/v1/changes/{id}/transitions": `{"to": "cancelled"}`,
	"POST /api/v1/changes/{id}/review":      `{"comment": "fine"}`,
	"POST /api/v1/gate":                     `{"environment": "prod-lyon", "image": "registry.example.com/odoo@sha256:` + strings.Repeat("a", 64) + `"}`,
	"POST /api/v1/drift":                    `{}`,
}

// TestReadOnlyTokenOnlyReads goes through the whole route table: a
// read-only token is refused every route that is not a read, with a 403
// that names the user and says why, before anything runs; it reads what
// an API token reads.
func TestReadOnlyTokenOnlyReads(t *testing.T) {
	f := newFixture(t)
	refused := 0
	for _, rt := range server.Routes() {
		if rt.Access == "public" {
			continue
		}
		method, path, _ := strings.Cut(rt.Pattern, " ")
		path = strings.NewReplacer("{id}", "CHG-1", "{kind}", "plants", "{name}", "lyon").Replace(path)
		t.Run(rt.Pattern, func(t *testing.T) {
			r := f.do(t, method, path, readOnlyToken, bodies[rt.Pattern])
			if server.OpenToReadOnly(rt.Pattern) {
				if r.status == http.StatusForbidden || r.status == http.StatusUnauthorized {
					t.Errorf("status = %d, want the route's answer to a read (body %s)", r.status, r.body)
				}
				return
			}
			if method == http.MethodGet || method == http.MethodHead {
				t.Fatalf("a %s route is refused to read-only tokens", method)
			}
			refused++
			msg := mustError(t, r, http.StatusForbidden, andon.EFORBIDDEN)
			for _, want := range []string{method + " " + path, "dave", "read-only"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not say %q", msg, want)
				}
			}
		})
	}
	if refused == 0 {
		t.Fatal("no route was refused")
	}
	if n := len(f.changes.changes); n != 0 {
		t.Errorf("%d changes were written", n)
	}
	if got := f.gate.got; got != (andon.GateRequest{}) {
		t.Errorf("the gate was asked %+v", got)
	}
}

// TestReadOnlyRefusalIsTheTokens: the same requests with a token that
// may write reach their handlers.
func TestReadOnlyRefusalIsTheTokens(t *testing.T) {
	f := newFixture(t)
	r := f.do(t, "POST", "/api/v1/changes", aliceToken, bodies["POST /api/v1/changes"])
	if r.status != http.StatusCreated {
		t.Errorf("alice's change: status = %d, want 201 (body %s)", r.status, r.body)
	}
	r = f.do(t, "POST", "/api/v1/gate", aliceToken, bodies["POST /api/v1/gate"])
	if r.status != http.StatusOK {
		t.Errorf("alice's gate: status = %d, want 200 (body %s)", r.status, r.body)
	}
}

// TestMeSaysReadOnly: GET /api/v1/me, which andon whoami shows, says
// whether the token is read-only.
func TestMeSaysReadOnly(t *testing.T) {
	f := newFixture(t)
	for token, want := range map[string]bool{readOnlyToken: true, aliceToken: false} {
		r := f.do(t, "GET", "/api/v1/me", token, "")
		if r.status != http.StatusOK {
			t.Fatalf("status = %d (body %s)", r.status, r.body)
		}
		if got := decode[andon.User](t, r).ReadOnly; got != want {
			t.Errorf("%s: readOnly = %v, want %v", token, got, want)
		}
	}
}
