package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/andon-governance/andon"
)

// mustDemo starts andon demo on a loopback port with a fresh data
// directory, waits until it is ready and returns its URL and data
// directory. Its users' tokens are "demo-" and their name.
func mustDemo(t *testing.T) (serverURL, data string) {
	t.Helper()
	data = t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"andon", "demo", "--addr", "127.0.0.1:0", "--data", data}, func(string) string { return "" }, strings.NewReader(""), io.Discard, logs)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Errorf("demo did not stop; logs:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case code := <-done:
			t.Fatalf("demo exited with %d; logs:\n%s", code, logs.String())
		default:
		}
		if serverURL == "" {
			if m := listening.FindStringSubmatch(logs.String()); m != nil {
				serverURL = "http://" + m[1]
			}
		}
		if serverURL != "" {
			if resp, err := http.Get(serverURL + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return serverURL, data
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo not ready after 30s; logs:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// proxy passes requests on to a server, as a load balancer in front of a
// replica would, and counts them. When failEvery is above 0 it answers
// every failEvery-th gate call itself with a 502, as a failing load
// balancer would.
type proxy struct {
	*httptest.Server
	served atomic.Int64
	gates  atomic.Int64
}

func newProxy(t *testing.T, target string, failEvery int64) *proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	p := &proxy{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.served.Add(1)
		if failEvery > 0 && r.URL.Path == "/api/v1/gate" && p.gates.Add(1)%failEvery == 0 {
			http.Error(w, "injected fault", http.StatusBadGateway)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

// benchReport is the JSON document of andon bench as docs/performance.md
// describes it, decoded independently of the Go type that writes it.
type benchReport struct {
	Servers           []string       `json:"servers"`
	Mode              string         `json:"mode"`
	Rate              float64        `json:"rate"`
	Concurrency       int            `json:"concurrency"`
	Mix               map[string]int `json:"mix"`
	DurationNs        int64          `json:"durationNs"`
	WarmupNs          int64          `json:"warmupNs"`
	Interrupted       bool           `json:"interrupted"`
	GateEnvironment   string         `json:"gateEnvironment"`
	Image             string         `json:"image"`
	ChangeEnvironment string         `json:"changeEnvironment"`
	Requester         string         `json:"requester"`
	GoVersion         string         `json:"goVersion"`
	GOMAXPROCS        int            `json:"gomaxprocs"`
	NumCPU            int            `json:"numCPU"`
	Operations        struct {
		Gate, Create, Approve benchStats
	} `json:"operations"`
	Total    benchStats `json:"total"`
	Failures []struct {
		Operation, Message string
		Count              int
	} `json:"failures"`
}

type benchStats struct {
	Count      int     `json:"count"`
	Errors     int     `json:"errors"`
	Throughput float64 `json:"throughput"`
	LatencyNs  struct {
		P50, P90, P99, Max int64
	} `json:"latencyNs"`
	Decisions *struct {
		Allowed, Denied int
	} `json:"decisions"`
}

func TestBench(t *testing.T) {
	demo, data := mustDemo(t)

	t.Run("closed loop", func(t *testing.T) {
		r := runCLI(t, nil, "bench", "--server", demo, "--duration", "1500ms", "--warmup", "200ms",
			"--concurrency", "4", "--mix", "gate=60,create=20,approve=20", "-o", "json")
		if r.code != 0 {
			t.Fatalf("exit %d, want 0\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
		}
		var rep benchReport
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, r.stdout)
		}
		if rep.Mode != "concurrency" || rep.Concurrency != 4 || rep.DurationNs != int64(1500*time.Millisecond) || rep.WarmupNs != int64(200*time.Millisecond) ||
			len(rep.Servers) != 1 || rep.Servers[0] != demo || rep.Mix["approve"] != 20 || rep.Interrupted {
			t.Errorf("report head = %+v; want the run asked for", rep)
		}
		if rep.GateEnvironment != "dev" || rep.ChangeEnvironment != "prod-lyon" || rep.Requester != "alice" || rep.GoVersion == "" || rep.GOMAXPROCS < 1 {
			t.Errorf("gate in %q, changes in %q by %q, %s GOMAXPROCS %d; want dev, prod-lyon, alice and the runtime",
				rep.GateEnvironment, rep.ChangeEnvironment, rep.Requester, rep.GoVersion, rep.GOMAXPROCS)
		}
		for name, s := range map[string]benchStats{"gate": rep.Operations.Gate, "create": rep.Operations.Create, "approve": rep.Operations.Approve, "total": rep.Total} {
			if s.Count == 0 || s.Errors != 0 || s.Throughput <= 0 || s.LatencyNs.P50 <= 0 || s.LatencyNs.P99 > s.LatencyNs.Max {
				t.Errorf("%s = %+v; want requests, no error, a throughput and ordered latencies", name, s)
			}
		}
		if g := rep.Operations.Gate; g.Decisions == nil || g.Decisions.Allowed != g.Count {
			t.Errorf("gate = %+v; want every call allowed: a digest in dev is recorded as a standard change", g)
		}
		if len(rep.Failures) != 0 {
			t.Errorf("failures = %+v, want none", rep.Failures)
		}

		// The server says the same: the approvals approved changes
		// opened by alice in prod-lyon, and the audit log still verifies.
		lr := runCLI(t, map[string]string{"ANDON_SERVER": demo, "ANDON_TOKEN": "demo-frank"},
			"change", "list", "--env", "prod-lyon", "--state", "approved", "--requester", "alice", "--limit", "1000", "-o", "json")
		var list struct {
			Changes []andon.Change
			Total   int
		}
		if err := json.Unmarshal([]byte(lr.stdout), &list); lr.code != 0 || err != nil {
			t.Fatalf("change list: exit %d, %v\n%s%s", lr.code, err, lr.stdout, lr.stderr)
		}
		// A fast machine approves more than the 1000 a page lists: the
		// total counts them all.
		if list.Total < rep.Operations.Approve.Count {
			t.Errorf("approved changes in prod-lyon = %d, want at least the %d approvals measured", list.Total, rep.Operations.Approve.Count)
		}
		for _, c := range list.Changes {
			if len(c.Approvals) == 0 || c.Approvals[0].Approver == "alice" || c.Approvals[0].Role != andon.RoleChangeManager {
				t.Errorf("%s approvals = %+v; want a change manager other than alice", c.ID, c.Approvals)
				break
			}
		}
		if v := runCLI(t, nil, "audit", "verify", "--data", data); v.code != 0 {
			t.Errorf("audit verify after the run: exit %d\n%s%s", v.code, v.stdout, v.stderr)
		}
	})

	t.Run("open loop over two replicas", func(t *testing.T) {
		replica := newProxy(t, demo, 0)
		r := runCLI(t, map[string]string{"ANDON_SERVER": "http://127.0.0.1:1"}, "bench", "--server", demo, "--server", replica.URL,
			"--duration", "1s", "--warmup", "0s", "--rate", "100", "--mix", "gate=9,create=1")
		if r.code != 0 {
			t.Fatalf("exit %d, want 0\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
		}
		// 100 arrivals a second, whatever the answers: exactly 100 in 1s.
		// (Without approvals in the mix: an approval that finds no change
		// waiting opens one first, which is a request more.)
		for _, line := range []string{
			"load: open loop, 100 requests/s",
			"measured: 1s after a 0s warm-up",
			"OPERATION REQUESTS ERRORS OPS/S P50 P90 P99 MAX ALLOWED DENIED",
		} {
			if !hasLine(squeeze(r.stdout), line) {
				t.Errorf("output lacks %q:\n%s", line, r.stdout)
			}
		}
		if !strings.Contains(squeeze(r.stdout), "total 100 0 100.0 ") {
			t.Errorf("want 100 requests without error in total:\n%s", r.stdout)
		}
		// The replica got its turn: about half the requests.
		if n := replica.served.Load(); n < 40 || n > 60 {
			t.Errorf("the second replica served %d requests, want about 50", n)
		}
	})

	t.Run("failures above one percent", func(t *testing.T) {
		faulty := newProxy(t, demo, 10)
		r := runCLI(t, nil, "bench", "--server", faulty.URL, "--duration", "500ms", "--warmup", "0s", "--concurrency", "2", "--mix", "gate=1")
		if r.code != 1 || !strings.Contains(r.stderr, "requests failed (") || !strings.Contains(r.stderr, "more than 1%") {
			t.Fatalf("exit %d, want 1 saying how many requests failed\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout, "FAILED") || !strings.Contains(r.stdout, "502 Bad Gateway: injected fault") {
			t.Errorf("the report does not list the failures:\n%s", r.stdout)
		}
	})

	t.Run("could not run", func(t *testing.T) {
		tests := []struct {
			args []string
			want string
		}{
			{[]string{"--mix", "gate=90,foo=1"}, `--mix: unknown operation "foo"`},
			{[]string{"--mix", "gate=0"}, "--mix: "},
			{[]string{"--rate", "10", "--concurrency", "2"}, "not both"},
			{[]string{"--rate", "1e6"}, "--rate 1e+06: at most 100000 requests per second"},
			{[]string{"--duration", "0s"}, "--duration 0s: want more than 0"},
			{[]string{"--warmup", "-1s"}, "--warmup -1s"},
			{[]string{"--concurrency", "0"}, "--concurrency 0"},
			{[]string{"--server", "127.0.0.1:8080"}, `--server "127.0.0.1:8080": want an http:// or https:// URL`},
			{[]string{"-o", "xml"}, `--output "xml"`},
			{[]string{"--token-prefix", "nope-"}, "as alice: "},
			{[]string{"--server", closedServer(t)}, "cannot reach andon server"},
			{[]string{"--change-env", "dev"}, "nothing to approve"},
		}
		for _, tt := range tests {
			t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
				args := append([]string{"bench", "--duration", "1s"}, tt.args...)
				if !strings.HasPrefix(tt.args[0], "--server") {
					args = append(args, "--server", demo)
				}
				wantExit(t, runCLI(t, nil, args...), 2, tt.want)
			})
		}
	})
}
