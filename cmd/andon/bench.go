package main

import (
	"fmt"
	"io"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/internal/loadgen"
)

// maxFailedFraction is the share of failed requests above which a run
// exits 1: its figures would describe failures more than andon.
const maxFailedFraction = 0.01

// newBenchCmd returns `andon bench`, which puts load on running servers
// and reports throughput and latency. It exits 0 when the run completed,
// 1 when more than 1% of its requests failed, and 2 when it could not run.
func newBenchCmd(e *env) *cobra.Command {
	var (
		servers     []string
		cfg         loadgen.Config
		mix         string
		tokenPrefix string
	)
	cmd := &cobra.Command{
		Use:   "bench [--server URL]... [--duration D] [--rate N | --concurrency N] [--mix gate=90,create=5,approve=5]",
		Short: "Put load on andon servers and report throughput and latency",
		Long: `Send a mix of gate calls, change creations and approvals to one or more
running andon servers, and report for each operation the requests, errors,
throughput and latency percentiles (p50, p90, p99, max).

Several --server URLs are replicas of one deployment: requests go to them in
turn. --rate N starts N requests per second on a fixed schedule whatever
the answers (an open loop), and times each from its scheduled start, so a
slow server shows in the latency rather than slowing the load. Without
--rate, --concurrency workers each send a request when the previous one is
answered (a closed loop).

The gate is asked about a digest-pinned image in an environment outside
production, where it records a standard change; changes are normal changes
opened by --requester in a production environment, and approved by users of
the catalog who hold a role they need. Users authenticate with the token
--token-prefix followed by their name, as the demo's well-known tokens are
built; --token and ANDON_TOKEN are not used. Every request writes to the server's store and audit log: run it
against a demo or a test server, not one that governs real changes.

Exits 0 when the run completed, 1 when more than 1% of the requests failed,
and 2 when it could not run (bad flags, a server unreachable or refusing
the tokens).`,
		Example: `  andon demo --data $(mktemp -d) &
  andon bench --server http://127.0.0.1:8080 --duration 30s --rate 300
  andon bench --server http://10.0.0.1:8080 --server http://10.0.0.2:8080 --concurrency 16 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := benchConfig(cmd, e, &cfg, servers, mix, tokenPrefix); err != nil {
				return err
			}
			report, err := loadgen.Run(cmd.Context(), cfg)
			if err != nil {
				// The run could not start: andon could not measure
				// anything, whatever the error's own code says.
				return &exitError{code: 2, err: err}
			}
			if err := e.print(cmd, report, func(w io.Writer) { writeBenchReport(w, report) }); err != nil {
				return err
			}
			switch {
			case report.Interrupted:
				return &exitError{code: 2, err: fmt.Errorf("interrupted: the figures cover %s of the %s asked for", andon.ShortDuration(report.Duration.Round(time.Millisecond)), andon.ShortDuration(cfg.Duration))}
			case report.ErrorRate() > maxFailedFraction:
				return &exitError{code: 1, err: fmt.Errorf("%d of %d requests failed (%.1f%%), more than %g%%",
					report.Total.Errors, report.Total.Count, 100*report.ErrorRate(), 100*maxFailedFraction)}
			}
			return nil
		},
	}
	f := cmd.Flags()
	// A local --server hides the global one, which takes a single URL,
	// so that this command can take several.
	f.StringArrayVar(&servers, "server", nil, "URL of a server; repeat for replicas, which get requests in turn (default $ANDON_SERVER, else "+defaultServer+")")
	f.DurationVar(&cfg.Duration, "duration", 10*time.Second, "how long to measure")
	f.DurationVar(&cfg.Warmup, "warmup", time.Second, "how long to send requests before measuring, uncounted")
	f.Float64Var(&cfg.Rate, "rate", 0, "requests per second on a fixed schedule (open loop, at most 100000, with 1024 requests in flight at most); 0 runs a closed loop of --concurrency workers")
	f.IntVar(&cfg.Concurrency, "concurrency", loadgen.DefaultConcurrency, "workers of the closed loop, each waiting for its answer before the next request")
	f.StringVar(&mix, "mix", loadgen.DefaultMix.String(), "weights of the operations gate, create and approve")
	f.StringVar(&tokenPrefix, "token-prefix", "demo-", "each user's token is this prefix followed by the user's name")
	f.StringVar(&cfg.Requester, "requester", "alice", "user who calls the gate and opens the changes")
	f.StringVar(&cfg.GateEnv, "gate-env", "", "environment of the gate calls (default the catalog's first development environment, else its first outside production)")
	f.StringVar(&cfg.ChangeEnv, "change-env", "", "environment of the changes opened (default the catalog's first production environment)")
	return cmd
}

// benchConfig checks the flags and fills cfg from them. Its errors name
// the flag.
func benchConfig(cmd *cobra.Command, e *env, cfg *loadgen.Config, servers []string, mix, tokenPrefix string) error {
	if _, err := checkOutput(cmd); err != nil {
		return err
	}
	if len(servers) == 0 {
		servers = []string{e.getenv("ANDON_SERVER")}
		if servers[0] == "" {
			servers[0] = defaultServer
		}
	}
	for _, s := range servers {
		if u, err := url.Parse(s); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return andon.Errorf(andon.EINVALID, "--server %q: want an http:// or https:// URL such as %s", s, defaultServer)
		}
	}
	cfg.Servers = servers
	var err error
	if cfg.Mix, err = loadgen.ParseMix(mix); err != nil {
		return andon.Errorf(andon.EINVALID, "--mix: %s", andon.ErrorMessage(err))
	}
	switch {
	case cfg.Duration <= 0:
		return andon.Errorf(andon.EINVALID, "--duration %s: want more than 0, such as 10s", andon.ShortDuration(cfg.Duration))
	case cfg.Warmup < 0:
		return andon.Errorf(andon.EINVALID, "--warmup %s: want 0 or more", cfg.Warmup)
	case cfg.Rate < 0 || math.IsNaN(cfg.Rate) || math.IsInf(cfg.Rate, 0):
		return andon.Errorf(andon.EINVALID, "--rate %v: want a number of requests per second above 0", cfg.Rate)
	case cfg.Rate > loadgen.MaxRate:
		return andon.Errorf(andon.EINVALID, "--rate %v: at most %d requests per second", cfg.Rate, loadgen.MaxRate)
	case cfg.Rate > 0 && cmd.Flags().Changed("concurrency"):
		return andon.Errorf(andon.EINVALID, "--rate and --concurrency: give --rate for an open loop or --concurrency for a closed loop, not both")
	case cfg.Rate == 0 && cfg.Concurrency < 1:
		return andon.Errorf(andon.EINVALID, "--concurrency %d: want 1 or more", cfg.Concurrency)
	case strings.TrimSpace(cfg.Requester) == "":
		return andon.Errorf(andon.EINVALID, "--requester: want a user's name")
	}
	if cfg.Rate > 0 {
		cfg.Concurrency = 0
	}
	cfg.Token = func(user string) string { return tokenPrefix + user }
	return nil
}

// writeBenchReport writes the human view of a run: what was run, then a
// table of the figures of each operation.
func writeBenchReport(w io.Writer, r *loadgen.Report) {
	kv(w, "servers", strings.Join(r.Servers, "\n"))
	load := fmt.Sprintf("closed loop, %d workers", r.Concurrency)
	if r.Mode == loadgen.ModeRate {
		load = fmt.Sprintf("open loop, %g requests/s", r.Rate)
	}
	kv(w, "load", load)
	measured := fmt.Sprintf("%s after a %s warm-up", andon.ShortDuration(r.Duration.Round(time.Millisecond)), andon.ShortDuration(r.Warmup))
	if r.Interrupted {
		measured += " (interrupted)"
	}
	kv(w, "measured", measured)
	if r.Waited > 0 {
		kv(w, "fell behind", fmt.Sprintf("%s were due while %d were in flight, and waited (counted in their latency)", count(r.Waited, "request"), r.MaxInFlight))
	}
	kv(w, "mix", r.Mix.String())
	var about []string
	if r.GateEnvironment != "" {
		about = append(about, "gate in "+r.GateEnvironment)
	}
	if r.ChangeEnvironment != "" {
		about = append(about, "changes in "+r.ChangeEnvironment)
	}
	kv(w, "requests", strings.Join(append(about, "by "+r.Requester), ", "))
	kv(w, "client", fmt.Sprintf("%s, GOMAXPROCS %d, %d CPUs", r.GoVersion, r.GOMAXPROCS, r.NumCPU))
	fmt.Fprintln(w)

	fmt.Fprintln(w, "OPERATION\tREQUESTS\tERRORS\tOPS/S\tP50\tP90\tP99\tMAX\tALLOWED\tDENIED")
	row := func(name string, s *loadgen.Stats) {
		allowed, denied := "-", "-"
		if s.Decisions != nil {
			allowed, denied = fmt.Sprint(s.Decisions.Allowed), fmt.Sprint(s.Decisions.Denied)
		}
		l := s.Latency
		fmt.Fprintf(w, "%s\t%d\t%d\t%.1f\t%s\t%s\t%s\t%s\t%s\t%s\n", name, s.Count, s.Errors, s.Throughput,
			fmtLatency(l.P50, s), fmtLatency(l.P90, s), fmtLatency(l.P99, s), fmtLatency(l.Max, s), allowed, denied)
	}
	for _, op := range loadgen.Ops {
		row(string(op), r.Stats(op))
	}
	row("total", &r.Total)

	if len(r.Failures) > 0 {
		fmt.Fprintln(w, "\nFAILED\tREQUESTS\tMESSAGE")
		for _, f := range r.Failures {
			fmt.Fprintf(w, "%s\t%d\t%s\n", f.Operation, f.Count, cell(f.Message))
		}
	}
}

// fmtLatency writes a latency in milliseconds, or a dash when no request
// succeeded and there is none.
func fmtLatency(d time.Duration, s *loadgen.Stats) string {
	if s.Count == s.Errors {
		return "-"
	}
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}
