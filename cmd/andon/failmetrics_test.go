package main

import (
	"database/sql"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/andon-governance/andon"
)

// TestGateAndAuditFailuresAreCounted: a gate request the client must
// mend (an environment not in the catalog) is a client_error, not an
// error of the gate; a decision that cannot be recorded because the audit
// log refuses its entry is both an error of the gate, which failed
// closed, and a write refused for its audit entry. The chart's alerts
// watch the last two only.
func TestGateAndAuditFailuresAreCounted(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := MustServeOn(t, engine, t.TempDir())
		image := `"registry.example.com/odoo/odoo-lyon@sha256:` + strings.Repeat("a", 64) + `"`
		gate := func(env string) int {
			t.Helper()
			return s.do(t, "POST", "/api/v1/gate", "alice", `{"environment": "`+env+`", "image": `+image+`}`).StatusCode
		}
		if code := gate("prod-lyonn"); code != http.StatusBadRequest {
			t.Fatalf("gate for an unknown environment: %d, want 400", code)
		}

		raw := mustOpenRaw(t, s)
		mustBreakAudit(t, raw, engine)
		if code := gate("dev"); code < 500 {
			t.Fatalf("gate with a broken audit log: %d, want a 5xx", code)
		}

		metrics := mustGet(t, s.url+"/metrics")
		for _, want := range []string{
			`andon_gate_decisions_total{result="client_error"} 1`,
			`andon_gate_decisions_total{result="error"} 1`,
			`andon_audit_append_failures_total{cause="key"} 0`,
		} {
			if !strings.Contains(metrics, "\n"+want+"\n") {
				t.Errorf("metrics lack %s:\n%s", want, grepMetrics(metrics, "andon_gate_decisions_total", "andon_audit_append_failures_total"))
			}
		}
		// The gate's refusal is recorded too, and fails alike: at least one.
		if !regexp.MustCompile(`\nandon_audit_append_failures_total\{cause="write"\} [1-9]`).MatchString(metrics) {
			t.Errorf("a gate decision refused for its audit entry is not counted:\n%s", grepMetrics(metrics, "andon_audit_append_failures_total"))
		}
	})
}

// TestAdmissionFailuresAreCounted: a review the gate cannot decide,
// because its store refuses the decision's write, is refused all the
// same (the webhook fails closed) and counted as andon's error, not as a
// denial; a review that cannot be read is the caller's client_error.
func TestAdmissionFailuresAreCounted(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		certs := mustWebhookTLS(t)
		s := MustServeOn(t, engine, t.TempDir(), "--admission-addr", "127.0.0.1:0", "--tls-cert", certs.certFile, "--tls-key", certs.keyFile)
		hook, c := s.admissionURL(t), certs.httpClient(false)

		resp, err := c.Post(hook, "application/json", strings.NewReader(`{"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("unreadable review: %d, want 400", resp.StatusCode)
		}

		// Staging records a standard change for a new image: the
		// decision is a write, which the broken audit log refuses.
		mustBreakAudit(t, mustOpenRaw(t, s), engine)
		r := mustReview(t, c, hook, "deployment-create", "odoo-lyon-staging", imageRelease)
		if r.Allowed || !strings.Contains(message(r), andon.ReasonInternal) {
			t.Fatalf("a review the gate could not decide: allowed %v: %s; want refused, saying the gate could not decide", r.Allowed, message(r))
		}

		metrics := mustGet(t, s.url+"/metrics")
		for _, want := range []string{
			`andon_admission_reviews_total{outcome="error"} 1`,
			`andon_admission_reviews_total{outcome="denied"} 0`,
			`andon_admission_reviews_total{outcome="client_error"} 1`,
		} {
			if !strings.Contains(metrics, "\n"+want+"\n") {
				t.Errorf("metrics lack %s:\n%s", want, grepMetrics(metrics, "andon_admission_reviews_total"))
			}
		}
	})
}

// mustBreakAudit makes every insert into the audit log fail, through raw,
// a connection of its own to the server's database.
func mustBreakAudit(t *testing.T, raw *sql.DB, engine string) {
	t.Helper()
	breakSQL := []string{`CREATE TRIGGER audit_fails BEFORE INSERT ON audit_entries BEGIN SELECT RAISE(ABORT, 'audit table broken'); END`}
	if engine == "postgres" {
		breakSQL = []string{
			`CREATE FUNCTION audit_fails() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit table broken'; END $$`,
			`CREATE TRIGGER audit_fails BEFORE INSERT ON audit_entries FOR EACH ROW EXECUTE FUNCTION audit_fails()`,
		}
	}
	for _, q := range breakSQL {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
}

// grepMetrics returns the lines of the metrics text that name one of
// names.
func grepMetrics(text string, names ...string) string {
	var b strings.Builder
	for line := range strings.Lines(text) {
		for _, name := range names {
			if strings.HasPrefix(line, name) {
				b.WriteString(line)
				break
			}
		}
	}
	return b.String()
}
