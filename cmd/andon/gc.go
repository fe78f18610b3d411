package main

import (
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// serverGCPercent is the garbage collector's target of a server: the heap
// may grow to five times what is live before a collection, rather than
// twice. A gate decision allocates some 35 KB in the store and the policy
// alone (sqlstore BenchmarkGateDecisionConcurrent), more with HTTP and
// JSON, so at hundreds of decisions a second Go's default collects many
// times a second, and those collections, on the cores that answer
// requests, make the slowest answers slower: p99 of the gate at 500
// requests/s on two cores falls from 6.8 to 4.0-4.6 ms, for about 30 MB
// more resident memory at that load (see docs/performance.md).
const serverGCPercent = 400

// tuneGC sets the collector of a server process. GOGC and GOMEMLIMIT, read
// by the Go runtime from the process's environment, win when set. Under a
// memory limit of a cgroup (a Kubernetes container's), the heap is kept
// under nine tenths of it, so that the larger target never costs an
// out-of-memory kill: near the limit the collector runs as often as needed.
func tuneGC(logger *slog.Logger) {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(serverGCPercent)
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); set {
		return
	}
	if limit, ok := cgroupMemoryLimit(os.ReadFile); ok {
		debug.SetMemoryLimit(limit / 10 * 9)
		logger.Debug("memory limit from the cgroup", "bytes", limit)
	}
}

// cgroupMemoryLimit returns the memory limit of the process's cgroup, v2
// or v1, when there is one, reading files with read.
func cgroupMemoryLimit(read func(string) ([]byte, error)) (int64, bool) {
	for _, path := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := read(path)
		if err != nil {
			continue
		}
		s := strings.TrimSpace(string(b))
		n, err := strconv.ParseInt(s, 10, 64)
		// "max" (v2) or a number near 2^63 (v1) means no limit.
		if err != nil || n <= 0 || n >= 1<<62 {
			return 0, false
		}
		return n, true
	}
	return 0, false
}
