package andon

import (
	"log/slog"
	"time"
)

// DurationKey is the key of the time a logged operation took: a request,
// a migration. Every log record that reports one uses it, in the same
// unit.
const DurationKey = "duration_ms"

// LogDuration returns d as a log attribute: milliseconds, as operators
// read them, as a number to the microsecond (1.843), so that a log
// pipeline sums and compares it without parsing a unit.
func LogDuration(d time.Duration) slog.Attr {
	return slog.Float64(DurationKey, float64(d.Microseconds())/1000)
}
