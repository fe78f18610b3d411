package server

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// Route is an entry of the route table as the tests see it.
type Route struct {
	Pattern string
	Public  bool
}

// Routes returns the route table, so that a test can compare it with the
// OpenAPI document.
func Routes() []Route {
	cfg := Config{}.withDefaults()
	var list []Route
	for _, rt := range routes(cfg, newMetrics(prometheus.NewRegistry(), nil, slog.New(slog.DiscardHandler))) {
		list = append(list, Route{Pattern: rt.pattern, Public: rt.access == public})
	}
	return list
}
