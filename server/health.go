package server

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/andon-governance/andon"
)

// handleHealthz answers 200 while the process can serve HTTP at all; it
// checks nothing else, so that Kubernetes restarts the pod only when the
// process is stuck, not when the store is down.
func handleHealthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = fmt.Fprintln(w, "ok")
	})
}

// handleReadyz answers 200 when ready says so and 503 otherwise, so that a
// replica without its store, catalog or policy gets no traffic. The reason
// is shown when it is an andon error; other errors may name hosts or
// credentials of the store, so they are logged and only summarised.
func handleReadyz(logger *slog.Logger, ready func(context.Context) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := ready(r.Context())
		if err == nil {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = fmt.Fprintln(w, "ok")
			return
		}
		info := infoFrom(r.Context())
		logger.WarnContext(r.Context(), "not ready",
			slog.String("request_id", info.id), slog.Any("err", err))
		body := &andon.Error{Code: andon.ErrorCode(err), Message: "not ready: " + andon.ErrorMessage(err)}
		_ = encode(w, http.StatusServiceUnavailable, body)
	})
}

// openAPI is the hand-written OpenAPI 3.1 description of the routes.
//
//go:embed openapi.json
var openAPI []byte

// handleOpenAPI serves the OpenAPI document.
func handleOpenAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(openAPI)
	})
}

// handleMe answers who the bearer of the token is, which roles the
// catalog in force grants them, and when their token expires.
func handleMe() apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := parseQuery(r); err != nil {
			return err
		}
		user := andon.UserFromContext(r.Context())
		if user == nil {
			return fmt.Errorf("no user in the context of an authenticated route")
		}
		return encode(w, http.StatusOK, user)
	}
}
