package server

import (
	"context"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/andon-governance/andon"
)

// NewAdmission returns the handler of the admission listener: the
// admission reviews of the Kubernetes API server at /api/v1/admission (and
// /api/v1/admission/{cluster}), answered by cfg.Admission, /healthz and
// /metrics, behind the same logging, metrics and recovery middleware as the
// API. It
// serves nothing else, and asks for no bearer token, which the API server
// does not send: who may call it is decided by the listener's TLS (client
// certificates) and the network, as docs/kubernetes.md explains.
func NewAdmission(cfg Config) http.Handler {
	cfg = cfg.withDefaults()
	m := newMetrics(Config{Registry: cfg.Registry, Logger: cfg.Logger})
	reviews := register(cfg.Registry, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "andon_admission_reviews_total",
		Help: "Admission reviews answered, by outcome: allowed, denied (refused on its merits by the manifest policy or the gate), ignored (not governed by andon), client_error when the review could not be read or no API server would send it (refused, or answered with a 4xx and no decision) or the gate refused its images for the request's fault (an image reference it cannot parse) or with a conflict to retry, or error when andon could not decide for reasons of its own, its store, its policy or the deadline, and failed closed (refused, or answered with a 5xx and no decision). The API server applies the webhook's failure policy to an answer with no decision.",
	}, []string{"outcome"}))
	// Every outcome is exported from the start, so that a rate over an
	// outcome that has not happened yet is zero rather than absent.
	for _, o := range []string{andon.AdmissionAllowed, andon.AdmissionDenied, andon.AdmissionIgnored, andon.AdmissionClientError, andon.AdmissionError} {
		reviews.WithLabelValues(o)
	}
	// One handler serves both paths, so that the reviews of every
	// cluster share one bound on the reviews read at once.
	admit := handleAdmission(cfg, reviews)
	mux := http.NewServeMux()
	routes := []route{
		{"POST /api/v1/admission", public, admit},
		{"POST /api/v1/admission/{cluster}", public, admit},
		{"GET /healthz", public, takesNoQuery(cfg.errorWriter(), handleHealthz())},
		{"GET /metrics", public, takesNoQuery(cfg.errorWriter(), handleMetrics(cfg.Registry, cfg.Logger))},
	}
	patterns := make([]string, len(routes))
	for i, rt := range routes {
		_, path, _ := strings.Cut(rt.pattern, " ")
		mux.Handle(rt.pattern, labelled(path, rt.handler))
		patterns[i] = rt.pattern
	}
	// The API, and the OpenAPI document that describes it, are served on
	// the other listener only: a 404 here says what this one serves.
	serves := "the admission listener serves only " + andList(patterns) + "; the API is served on andon serve's --addr"
	mux.HandleFunc(catchAll, func(w http.ResponseWriter, r *http.Request) { notRouted(w, r, mux, serves) })
	return instrument(cfg.Logger, m, mux)
}

// maxReviewBytes bounds an AdmissionReview: it carries the object and, on
// an update, the object before it, each at most the 1.5 MiB etcd stores.
// Decoded, a review takes many times its size in memory.
const maxReviewBytes = 4 << 20

// Deadlines of a review. The API server says in the query (timeout=10s)
// how long it waits; andon answers before that, leaving a margin for the
// answer to travel, so that a slow store gives a clear refusal instead of
// the API server's own timeout error.
const (
	defaultReviewTimeout = 10 * time.Second
	minReviewMargin      = time.Second
)

func handleAdmission(cfg Config, reviews *prometheus.CounterVec) http.Handler {
	// A review decoded takes many times its size in memory: only so many
	// are read at once, and the others wait their turn, within their
	// deadline.
	reviewing := make(chan struct{}, 2*runtime.GOMAXPROCS(0))
	ew := cfg.errorWriter()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), reviewDeadline(r))
		defer cancel()
		select {
		case reviewing <- struct{}{}:
			defer func() { <-reviewing }()
		case <-ctx.Done():
			// No uid to answer with before the body is read: the API
			// server applies the webhook's failure policy, which for
			// production refuses.
			reviews.WithLabelValues(andon.AdmissionError).Inc()
			ew.write(w, r, andon.Errorf(andon.EINTERNAL, "too many admission reviews at once; this one waited until its deadline"))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxReviewBytes))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				err = andon.Errorf(andon.EINVALID, "the AdmissionReview is larger than %d bytes", maxReviewBytes)
			} else {
				err = andon.Errorf(andon.EINVALID, "read the AdmissionReview: %v", err)
			}
			reviews.WithLabelValues(andon.AdmissionClientError).Inc()
			ew.write(w, r, err)
			return
		}
		if cfg.Admission == nil {
			reviews.WithLabelValues(andon.AdmissionError).Inc()
			ew.write(w, r, errors.New("server: no admission service configured"))
			return
		}
		answer, outcome, err := cfg.Admission.Admit(ctx, r.PathValue("cluster"), body)
		if err != nil {
			// As for the gate: a 4xx is the review's fault, a 5xx
			// andon's own.
			if status, _ := errorOf(err); status < http.StatusInternalServerError {
				reviews.WithLabelValues(andon.AdmissionClientError).Inc()
			} else {
				reviews.WithLabelValues(andon.AdmissionError).Inc()
			}
			ew.write(w, r, err)
			return
		}
		reviews.WithLabelValues(outcome).Inc()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(answer)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(answer)
	})
}

// reviewDeadline is how long andon may take over a review: the API
// server's timeout less a fifth of it, and less at least a second.
func reviewDeadline(r *http.Request) time.Duration {
	timeout := defaultReviewTimeout
	if t, err := time.ParseDuration(r.URL.Query().Get("timeout")); err == nil && t > 0 {
		timeout = t
	}
	margin := max(timeout/5, minReviewMargin)
	if timeout <= margin {
		// A timeout of a second or less: answer in half of it.
		return timeout / 2
	}
	return timeout - margin
}
