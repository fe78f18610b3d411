package loadgen_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/andon-governance/andon/internal/loadgen"
)

func ms(n ...int) []time.Duration {
	d := make([]time.Duration, len(n))
	for i, v := range n {
		d[i] = time.Duration(v) * time.Millisecond
	}
	return d
}

func TestPercentile(t *testing.T) {
	oneToHundred := make([]int, 100)
	for i := range oneToHundred {
		oneToHundred[i] = i + 1
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one value", ms(7), 50, 7 * time.Millisecond},
		{"one value, p99", ms(7), 99, 7 * time.Millisecond},
		{"median of an even count is the lower middle", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"median of an odd count is the middle", ms(1, 2, 3, 4, 5), 50, 3 * time.Millisecond},
		{"p90 of ten is the ninth, not the tenth", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 90, 9 * time.Millisecond},
		{"p99 of ten is the largest", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
		{"p99 of a hundred is the 99th", ms(oneToHundred...), 99, 99 * time.Millisecond},
		{"p50 of a hundred is the 50th", ms(oneToHundred...), 50, 50 * time.Millisecond},
		{"p100 is the largest", ms(1, 2, 3), 100, 3 * time.Millisecond},
		{"p0 is the smallest", ms(1, 2, 3), 0, 1 * time.Millisecond},
		{"above 100 is the largest", ms(1, 2, 3), 150, 3 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := loadgen.Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		name      string
		latencies []time.Duration
		want      loadgen.Latency
	}{
		{"none", nil, loadgen.Latency{}},
		{"unsorted", ms(9, 1, 5, 3, 7, 2, 8, 4, 10, 6), loadgen.Latency{
			P50: 5 * time.Millisecond, P90: 9 * time.Millisecond, P99: 10 * time.Millisecond, Max: 10 * time.Millisecond,
		}},
		{"one slow request in a hundred shows in max only", append(ms(make([]int, 98)...), ms(1, 500)...), loadgen.Latency{
			P50: 0, P90: 0, P99: time.Millisecond, Max: 500 * time.Millisecond,
		}},
		{"two slow requests in a hundred show at p99", append(ms(make([]int, 98)...), ms(500, 400)...), loadgen.Latency{
			P50: 0, P90: 0, P99: 400 * time.Millisecond, Max: 500 * time.Millisecond,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, loadgen.Summarize(tt.latencies)); diff != "" {
				t.Errorf("Summarize (-want +got):\n%s", diff)
			}
		})
	}
}
