package loadgen

import (
	"math"
	"slices"
	"time"
)

// Latency summarises the latencies of one kind of operation. Every
// figure is one of the recorded latencies, not an interpolation, so that
// a percentile is a latency some request really had. In JSON the
// durations are integers in nanoseconds.
type Latency struct {
	P50 time.Duration `json:"p50"`
	P90 time.Duration `json:"p90"`
	P99 time.Duration `json:"p99"`
	Max time.Duration `json:"max"`
}

// Summarize returns the percentiles and the maximum of latencies, and the
// zero Latency when there are none. It sorts latencies in place: every
// recorded latency is kept, so the figures are exact rather than read
// from the buckets of a histogram.
func Summarize(latencies []time.Duration) Latency {
	if len(latencies) == 0 {
		return Latency{}
	}
	slices.Sort(latencies)
	return Latency{
		P50: Percentile(latencies, 50),
		P90: Percentile(latencies, 90),
		P99: Percentile(latencies, 99),
		Max: latencies[len(latencies)-1],
	}
}

// Percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method: the smallest latency that is at least as large as
// p percent of them. It returns 0 for an empty slice and the smallest
// latency for p <= 0.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	// The rank is 1-based. Multiplying before dividing keeps it exact for
	// whole percentiles: 90*10/100 is 9, where 0.9*10 would be
	// 9.000000000000002 and round up to 10.
	rank := int(math.Ceil(p * float64(n) / 100))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}
