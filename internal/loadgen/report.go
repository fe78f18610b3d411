package loadgen

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/andon-governance/andon"
)

// Modes of a run: how requests are started.
const (
	// ModeRate is an open loop: requests start on a fixed schedule,
	// whatever the server's answers, and each latency runs from the
	// scheduled start.
	ModeRate = "rate"
	// ModeConcurrency is a closed loop: a fixed number of workers each
	// start a request when their previous one is answered.
	ModeConcurrency = "concurrency"
)

// Report is the result of a run. Its JSON encoding is a stable document
// described in docs/performance.md; durations in it are integers in
// nanoseconds.
type Report struct {
	Servers []string `json:"servers"`
	// Mode is ModeRate or ModeConcurrency; Rate (requests per second) is
	// set in the first and Concurrency (workers) in the second.
	Mode        string  `json:"mode"`
	Rate        float64 `json:"rate,omitempty"`
	Concurrency int     `json:"concurrency,omitempty"`
	Mix         Mix     `json:"mix"`
	// Duration is the span measured: the one asked for, or less when the
	// run was interrupted. Warmup ran before it and is not counted.
	Duration time.Duration `json:"durationNs"`
	Warmup   time.Duration `json:"warmupNs"`
	// Interrupted is set when the run was cancelled before its end.
	Interrupted bool `json:"interrupted,omitempty"`
	// Waited counts the measured requests of an open loop that were due
	// while MaxInFlight requests were in flight, and waited for one to
	// end: the servers did not keep up with the rate.
	MaxInFlight int   `json:"maxInFlight,omitempty"`
	Waited      int64 `json:"waited,omitempty"`

	// What the requests were about: the environment of the gate calls and
	// its image, the environment of the changes, and who made them.
	GateEnvironment   string `json:"gateEnvironment"`
	Image             string `json:"image"`
	ChangeEnvironment string `json:"changeEnvironment"`
	Requester         string `json:"requester"`

	// Where the load generator ran.
	GoVersion  string `json:"goVersion"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	NumCPU     int    `json:"numCPU"`

	Operations Operations `json:"operations"`
	Total      Stats      `json:"total"`
	// Failures groups the failed requests by operation and message, most
	// frequent first, at most maxFailures of them.
	Failures []Failure `json:"failures"`
}

// Operations holds the figures of each operation.
type Operations struct {
	Gate    Stats `json:"gate"`
	Create  Stats `json:"create"`
	Approve Stats `json:"approve"`
}

// Stats are the figures of one operation, or of all of them, over the
// measured span.
type Stats struct {
	// Count is the number of requests started in the measured span, and
	// Errors the number of them that failed: no answer, or an answer
	// other than success, such as a gate that could not decide.
	Count  int `json:"count"`
	Errors int `json:"errors"`
	// Throughput is the number of successful requests per second.
	Throughput float64 `json:"throughput"`
	// Latency summarises the successful requests only: a failure can be
	// fast (refused) or slow (timed out), and would blur either way.
	Latency Latency `json:"latencyNs"`
	// Decisions counts the gate's answers; it is set for the gate only.
	Decisions *Decisions `json:"decisions,omitempty"`
}

// Decisions counts the gate's decisions. A denial is a decision, not an
// error.
type Decisions struct {
	Allowed int `json:"allowed"`
	Denied  int `json:"denied"`
}

// Failure is a kind of failed request and how often it happened.
type Failure struct {
	Operation Op     `json:"operation"`
	Message   string `json:"message"`
	Count     int    `json:"count"`
}

// maxFailures bounds the kinds of failure a report lists.
const maxFailures = 10

// ErrorRate returns the fraction of the measured requests that failed, or
// 0 when there were none.
func (r *Report) ErrorRate() float64 {
	if r.Total.Count == 0 {
		return 0
	}
	return float64(r.Total.Errors) / float64(r.Total.Count)
}

// Stats returns the figures of op.
func (r *Report) Stats(op Op) *Stats {
	switch op {
	case OpGate:
		return &r.Operations.Gate
	case OpCreate:
		return &r.Operations.Create
	case OpApprove:
		return &r.Operations.Approve
	}
	return nil
}

// recorder collects the outcome of every measured request. One mutex
// suffices: it is held for an append, far shorter than a request.
type recorder struct {
	mu        sync.Mutex
	latencies map[Op][]time.Duration
	errors    map[Op]int
	allowed   int
	denied    int
	failures  map[Failure]int // keyed with Count 0
	waited    atomic.Int64    // measured requests that waited for a slot
}

func newRecorder() *recorder {
	return &recorder{latencies: map[Op][]time.Duration{}, errors: map[Op]int{}, failures: map[Failure]int{}}
}

// add records one request of op that took d. For the gate, allow is its
// decision.
func (rec *recorder) add(op Op, d time.Duration, err error, allow bool) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if err != nil {
		rec.errors[op]++
		rec.failures[Failure{Operation: op, Message: andon.ErrorMessage(err)}]++
		return
	}
	rec.latencies[op] = append(rec.latencies[op], d)
	if op == OpGate {
		if allow {
			rec.allowed++
		} else {
			rec.denied++
		}
	}
}

// fill computes the figures of r from what was recorded over the
// measured span r.Duration.
func (rec *recorder) fill(r *Report) {
	r.Waited = rec.waited.Load()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var all []time.Duration
	failed := 0
	for _, op := range Ops {
		lat := rec.latencies[op]
		all = append(all, lat...)
		failed += rec.errors[op]
		*r.Stats(op) = stats(len(lat), rec.errors[op], lat, r.Duration)
	}
	r.Total = stats(len(all), failed, all, r.Duration)
	r.Operations.Gate.Decisions = &Decisions{Allowed: rec.allowed, Denied: rec.denied}

	r.Failures = []Failure{}
	for f, n := range rec.failures {
		f.Count = n
		r.Failures = append(r.Failures, f)
	}
	slices.SortFunc(r.Failures, func(a, b Failure) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Operation, b.Operation), cmp.Compare(a.Message, b.Message))
	})
	if len(r.Failures) > maxFailures {
		r.Failures = r.Failures[:maxFailures]
	}
}

// stats builds the figures of ok successful requests with their
// latencies and failed ones over the span d.
func stats(ok, failed int, latencies []time.Duration, d time.Duration) Stats {
	s := Stats{Count: ok + failed, Errors: failed, Latency: Summarize(latencies)}
	if d > 0 {
		s.Throughput = float64(ok) / d.Seconds()
	}
	return s
}
