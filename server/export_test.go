package server

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// Route is an entry of the route table as the tests see it.
type Route struct {
	Pattern string
	// Access is "public", "authenticated" (an API token) or "feed" (an
	// API token, or a feed token in the query).
	Access string
}

// Routes returns the route table, so that a test can compare it with the
// OpenAPI document.
func Routes() []Route {
	cfg := Config{}.withDefaults()
	var list []Route
	for _, rt := range routes(cfg, newMetrics(Config{Registry: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler)})) {
		list = append(list, Route{Pattern: rt.pattern, Access: [...]string{authenticated: "authenticated", public: "public", feed: "feed"}[rt.access]})
	}
	return list
}

// OpenToReadOnly reports whether the route of pattern serves read-only
// tokens, as New decides it.
func OpenToReadOnly(pattern string) bool {
	for _, rt := range routes(Config{}.withDefaults(), newMetrics(Config{Registry: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler)})) {
		if rt.pattern == pattern {
			return rt.openToReadOnly()
		}
	}
	panic("no route " + pattern)
}

// RequestBodies are the types the handlers decode request bodies into,
// by the name of their schema in the OpenAPI document.
var RequestBodies = map[string]any{
	"DecisionRequest":   decisionRequest{},
	"TransitionRequest": transitionRequest{},
	"ReviewRequest":     reviewRequest{},
	"ResolveRequest":    resolveRequest{},
}
