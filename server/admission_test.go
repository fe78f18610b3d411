package server_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/server"
)

// admissionService answers with answer, or err, and keeps what it was
// given.
type admissionService struct {
	cluster  string
	body     string
	deadline time.Duration
	err      error
}

func (a *admissionService) Admit(ctx context.Context, cluster string, review []byte) ([]byte, string, error) {
	a.cluster, a.body = cluster, string(review)
	if d, ok := ctx.Deadline(); ok {
		a.deadline = time.Until(d)
	}
	if a.err != nil {
		return nil, "", a.err
	}
	return []byte(`{"answer":true}`), andon.AdmissionDenied, nil
}

func TestAdmissionEndpoint(t *testing.T) {
	svc := &admissionService{}
	reg := prometheus.NewRegistry()
	srv := httptest.NewServer(server.NewAdmission(server.Config{Admission: svc, Registry: reg}))
	defer srv.Close()
	post := func(path, body string) (int, string) {
		t.Helper()
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	for _, tt := range []struct {
		path, cluster string
		deadline      time.Duration
	}{
		// The API server says how long it waits; andon answers a fifth
		// (at least a second) sooner.
		{"/api/v1/admission?timeout=10s", "", 8 * time.Second},
		{"/api/v1/admission/eu-1?timeout=30s", "eu-1", 24 * time.Second},
		{"/api/v1/admission?timeout=3s", "", 2 * time.Second},
		{"/api/v1/admission?timeout=1s", "", 500 * time.Millisecond},
		{"/api/v1/admission", "", 8 * time.Second},
		{"/api/v1/admission?timeout=soon", "", 8 * time.Second},
	} {
		status, body := post(tt.path, `{"review":1}`)
		if status != http.StatusOK || body != `{"answer":true}` || svc.cluster != tt.cluster || svc.body != `{"review":1}` {
			t.Errorf("%s: %d %s, cluster %q, body %q", tt.path, status, body, svc.cluster, svc.body)
		}
		if svc.deadline > tt.deadline || svc.deadline < tt.deadline-time.Second {
			t.Errorf("%s: deadline in %v, want %v", tt.path, svc.deadline, tt.deadline)
		}
	}

	svc.err = andon.Errorf(andon.EINVALID, "request.uid: required")
	if status, body := post("/api/v1/admission", `{}`); status != http.StatusBadRequest || !strings.Contains(body, `"code":"invalid"`) || !strings.Contains(body, "request.uid") {
		t.Errorf("unreadable review: %d %s", status, body)
	}
	if status, body := post("/api/v1/admission", strings.Repeat("x", 9<<20)); status != http.StatusBadRequest || !strings.Contains(body, "larger than") {
		t.Errorf("huge review: %d %.200s", status, body)
	}
	// An answer the service could not make is andon's failure, not the
	// review's.
	svc.err = errors.New("encode the admission response: broken")
	if status, _ := post("/api/v1/admission", `{}`); status != http.StatusInternalServerError {
		t.Errorf("a service that fails: %d, want 500", status)
	}
	// Nothing of the API is served here, nor its OpenAPI document: a 404
	// says what the listener serves.
	if status, body := post("/api/v1/gate", `{}`); status != http.StatusNotFound || !strings.Contains(body, `"code":"not_found"`) ||
		!strings.Contains(body, "no route for POST /api/v1/gate; the admission listener serves only POST /api/v1/admission, POST /api/v1/admission/{cluster}, GET /healthz and GET /metrics; the API is served on andon serve's --addr") ||
		strings.Contains(body, "openapi") {
		t.Errorf("POST /api/v1/gate on the admission handler: %d %s; want a 404 that says what the listener serves", status, body)
	}

	// The probe and the scrape take no query parameter, as on the API's
	// listener.
	for _, path := range []string{"/healthz", "/metrics"} {
		resp, err := http.Get(srv.URL + path + "?verbose=1")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `query parameter \"verbose\" is not known: this route takes none`) {
			t.Errorf("GET %s?verbose=1 on the admission handler: %d %s; want 400 naming the parameter", path, resp.StatusCode, body)
		}
	}

	m, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]float64{}
	for _, mf := range m {
		if mf.GetName() == "andon_admission_reviews_total" {
			for _, metric := range mf.GetMetric() {
				counts[metric.GetLabel()[0].GetValue()] = metric.GetCounter().GetValue()
			}
		}
	}
	want := map[string]float64{andon.AdmissionAllowed: 0, andon.AdmissionDenied: 6, andon.AdmissionIgnored: 0, andon.AdmissionClientError: 2, andon.AdmissionError: 1}
	if diff := cmp.Diff(want, counts); diff != "" {
		t.Errorf("andon_admission_reviews_total (-want +got):\n%s", diff)
	}
}

// blockingAdmission holds every review until released, counting those
// it holds.
type blockingAdmission struct {
	held    chan struct{}
	release chan struct{}
}

func (b *blockingAdmission) Admit(ctx context.Context, _ string, _ []byte) ([]byte, string, error) {
	b.held <- struct{}{}
	select {
	case <-b.release:
		return []byte(`{"answer":true}`), andon.AdmissionAllowed, nil
	case <-ctx.Done():
		return nil, "", ctx.Err()
	}
}

// Only so many reviews are read at once, each taking many times its size
// in memory, whichever cluster's path they come by: one more waits its
// turn, and is refused at its deadline.
func TestAdmissionReviewsAtOnce(t *testing.T) {
	svc := &blockingAdmission{held: make(chan struct{}, 64), release: make(chan struct{})}
	srv := httptest.NewServer(server.NewAdmission(server.Config{Admission: svc, Registry: prometheus.NewRegistry()}))
	defer srv.Close()
	post := func(path, timeout string) (int, string) {
		resp, err := http.Post(srv.URL+path+"?timeout="+timeout, "application/json", strings.NewReader(`{}`))
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	paths := []string{"/api/v1/admission", "/api/v1/admission/eu-1"}
	limit := 2 * runtime.GOMAXPROCS(0)
	done := make(chan int, limit)
	for i := range limit {
		go func() { code, _ := post(paths[i%2], "30s"); done <- code }()
	}
	for range limit {
		<-svc.held
	}
	// The API server applies the webhook's failure policy to an error:
	// production's refuses.
	for _, path := range paths {
		start := time.Now()
		code, body := post(path, "1s")
		if code != http.StatusInternalServerError || time.Since(start) < 400*time.Millisecond {
			t.Errorf("review %d, at %s: %d %s after %v; want an error at its deadline", limit+1, path, code, body, time.Since(start))
		}
		select {
		case <-svc.held:
			t.Errorf("review %d, at %s, was read while %d others were", limit+1, path, limit)
		default:
		}
	}
	close(svc.release)
	for range limit {
		if code := <-done; code != http.StatusOK {
			t.Errorf("a held review answered %d", code)
		}
	}
}
