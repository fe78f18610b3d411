// Package loadgen drives running andon servers over HTTP with a mix of
// gate calls, change creations and approvals, and measures throughput and
// latency. It is the engine of `andon bench`, and talks to the servers
// only through the typed client, as any other client would.
//
// A run first reads the catalog and prepares what the requests need (an
// image for the gate, a change awaiting approval), then sends requests for
// a warm-up that is not counted, then for the measured duration. Requests
// are spread round-robin over the servers, so that several replicas of one
// deployment share the load.
//
// Every request writes: a gate decision is recorded in the audit log, and
// changes stay in the store. Run it against a server set up for the
// purpose, such as `andon demo`, never against one that governs real
// changes.
package loadgen

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/client"
)

// DefaultConcurrency is the number of workers of a closed loop when the
// Config gives neither a rate nor a concurrency.
const DefaultConcurrency = 8

// Config says what to run. Servers, Token, Requester and Duration are
// required.
type Config struct {
	// Servers are the base URLs of the servers, such as
	// "http://127.0.0.1:8080". Requests go to them in turn.
	Servers []string
	// Token returns the API token of a user, such as "demo-"+user for
	// the well-known tokens of `andon demo`.
	Token func(user string) string
	// Requester calls the gate and opens the changes. Approvers are
	// chosen from the catalog among the users who hold a role a change
	// still needs.
	Requester string

	// Duration is the measured span; Warmup runs before it, uncounted.
	Duration time.Duration
	Warmup   time.Duration
	// Rate, when above 0, makes the run an open loop of Rate requests per
	// second. Otherwise Concurrency workers (DefaultConcurrency when 0)
	// run a closed loop. Giving both is an error.
	Rate        float64
	Concurrency int
	// MaxInFlight bounds the requests of an open loop in flight at once
	// (DefaultMaxInFlight when 0): a request due when as many are waits
	// for one to end.
	MaxInFlight int
	// Mix weighs the operations; the zero Mix is DefaultMix.
	Mix Mix

	// GateEnv is the environment of the gate calls; when empty, the first
	// development environment of the catalog, else its first environment
	// outside production, where a deployment with no change is recorded
	// as a standard change.
	GateEnv string
	// ChangeEnv is the environment of the changes opened; when empty, the
	// first production environment of the catalog, where the default
	// policy asks an approval for a normal change.
	ChangeEnv string

	// HTTPClient sends the requests; when nil, a client that keeps enough
	// idle connections for the load and times out after
	// client.DefaultTimeout.
	HTTPClient *http.Client
}

// Run prepares a run and performs it. It returns an error when the
// configuration is invalid or the preparation fails: a server is
// unreachable, a token is refused, or the catalog has nothing the chosen
// operations can use. Failed requests during the run are counted in the
// report, not returned. When ctx is cancelled during the run, Run stops,
// drops the requests cut short and reports what was measured so far with
// Interrupted set.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	b, err := prepare(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer b.close()
	return b.run(ctx), nil
}

// check validates cfg and fills in its defaults.
func (cfg *Config) check() error {
	switch {
	case len(cfg.Servers) == 0:
		return andon.Errorf(andon.EINVALID, "no server given")
	case cfg.Token == nil:
		return andon.Errorf(andon.EINVALID, "no token function given")
	case cfg.Requester == "":
		return andon.Errorf(andon.EINVALID, "no requester given")
	case cfg.Duration <= 0:
		return andon.Errorf(andon.EINVALID, "duration %s: want more than 0", cfg.Duration)
	case cfg.Warmup < 0:
		return andon.Errorf(andon.EINVALID, "warm-up %s: want 0 or more", cfg.Warmup)
	case cfg.Rate < 0 || math.IsNaN(cfg.Rate) || math.IsInf(cfg.Rate, 0):
		return andon.Errorf(andon.EINVALID, "rate %v: want a number of requests per second above 0, or 0 for a closed loop", cfg.Rate)
	case cfg.Rate > MaxRate:
		return andon.Errorf(andon.EINVALID, "rate %v: at most %d requests per second", cfg.Rate, MaxRate)
	case cfg.MaxInFlight < 0:
		return andon.Errorf(andon.EINVALID, "requests in flight %d: want 1 or more, or 0 for %d", cfg.MaxInFlight, DefaultMaxInFlight)
	case cfg.Concurrency < 0:
		return andon.Errorf(andon.EINVALID, "concurrency %d: want 1 or more", cfg.Concurrency)
	case cfg.Rate > 0 && cfg.Concurrency > 0:
		return andon.Errorf(andon.EINVALID, "give a rate (open loop) or a concurrency (closed loop), not both")
	case slices.ContainsFunc([]int{cfg.Mix.Gate, cfg.Mix.Create, cfg.Mix.Approve}, func(w int) bool { return w < 0 || w > maxWeight }):
		return andon.Errorf(andon.EINVALID, "mix %s: weights must be from 0 to %d", cfg.Mix, maxWeight)
	}
	if cfg.Mix == (Mix{}) {
		cfg.Mix = DefaultMix
	}
	if cfg.Rate == 0 && cfg.Concurrency == 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.MaxInFlight == 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	return nil
}

// bench is a prepared run.
type bench struct {
	cfg       Config
	transport *http.Transport // nil when the caller gave the HTTP client
	roles     map[string][]string
	// clients holds, for each server, a client per user.
	clients   []map[string]*client.Client
	next      atomic.Uint64 // counts requests, to pick the next server
	gateEnv   string
	changeEnv string
	image     string
	runID     string
	pending   pendingQueue
	created   atomic.Int64  // numbers the titles of the changes
	turn      atomic.Uint64 // rotates among eligible approvers
	rec       *recorder
}

// maxIdlePerHost is the number of idle connections kept per server. The
// default of net/http, two, would make a busy load generator close and
// reopen connections and measure TCP handshakes rather than andon.
const maxIdlePerHost = 1024

// prepare reads the catalog, chooses environments, users and an image,
// and checks with one request of each kind it will send that the servers
// accept them, so that a misconfiguration fails at once rather than as a
// run full of errors.
func prepare(ctx context.Context, cfg Config) (*bench, error) {
	b := &bench{cfg: cfg, rec: newRecorder()}
	hc := cfg.HTTPClient
	if hc == nil {
		b.transport = http.DefaultTransport.(*http.Transport).Clone()
		b.transport.MaxIdleConns = 0 // no limit over all servers
		b.transport.MaxIdleConnsPerHost = maxIdlePerHost
		hc = &http.Client{Transport: b.transport, Timeout: client.DefaultTimeout}
	}
	newClient := func(server, user string) *client.Client {
		return client.New(server, cfg.Token(user), client.WithHTTPClient(hc), client.WithUserAgent("andon-bench/"+andon.Version))
	}
	ok := false
	defer func() {
		if !ok {
			b.close()
		}
	}()

	for _, server := range cfg.Servers {
		if _, err := newClient(server, cfg.Requester).Me(ctx); err != nil {
			return nil, andon.Errorf(andon.ErrorCode(err), "%s, as %s: %s", server, cfg.Requester, andon.ErrorMessage(err))
		}
	}
	cat, err := newClient(cfg.Servers[0], cfg.Requester).Catalog(ctx)
	if err != nil {
		return nil, andon.Errorf(andon.ErrorCode(err), "reading the catalog of %s: %s", cfg.Servers[0], andon.ErrorMessage(err))
	}
	users := append(cat.Users(), cfg.Requester)
	b.roles = map[string][]string{}
	for _, u := range users {
		b.roles[u] = cat.RolesOf(u)
	}
	for _, server := range cfg.Servers {
		m := map[string]*client.Client{}
		for _, u := range users {
			m[u] = newClient(server, u)
		}
		b.clients = append(b.clients, m)
	}

	var digest [32]byte
	rand.Read(digest[:])
	b.image = "registry.example.com/andon-bench/odoo@sha256:" + hex.EncodeToString(digest[:])
	b.runID = hex.EncodeToString(digest[:4])

	if cfg.Mix.Gate > 0 {
		if b.gateEnv, err = chooseEnv(cat, cfg.GateEnv, "gate calls",
			func(e *andon.Environment) bool { return e.Stage == andon.StageDevelopment },
			func(e *andon.Environment) bool { return e.Stage != andon.StageProduction }); err != nil {
			return nil, err
		}
		// The first call records the standard change that the later ones
		// find; it is made on every server in case they do not share a
		// store.
		for i, server := range cfg.Servers {
			if _, err := b.clients[i][cfg.Requester].Gate(ctx, b.gateRequest()); err != nil {
				return nil, andon.Errorf(andon.ErrorCode(err), "the gate of %s cannot decide for %s in %s: %s", server, b.image, b.gateEnv, andon.ErrorMessage(err))
			}
		}
	}
	if cfg.Mix.Create > 0 || cfg.Mix.Approve > 0 {
		if b.changeEnv, err = chooseEnv(cat, cfg.ChangeEnv, "changes",
			func(e *andon.Environment) bool { return e.Stage == andon.StageProduction }); err != nil {
			return nil, err
		}
		c, err := b.create(ctx)
		if err != nil {
			return nil, andon.Errorf(andon.ErrorCode(err), "cannot open a change in %s as %s: %s", b.changeEnv, cfg.Requester, andon.ErrorMessage(err))
		}
		if cfg.Mix.Approve > 0 {
			if err := b.checkApprovable(ctx, c); err != nil {
				return nil, err
			}
			b.pending.push(c)
		}
	}
	ok = true
	return b, nil
}

// chooseEnv returns the environment named given, or when given is empty
// the first environment of the catalog that satisfies the first of prefer
// that any environment satisfies.
func chooseEnv(cat *andon.Catalog, given, purpose string, prefer ...func(*andon.Environment) bool) (string, error) {
	if given != "" {
		if cat.Environment(given) == nil {
			return "", andon.Errorf(andon.EINVALID, "environment %q for the %s is not in the catalog", given, purpose)
		}
		return given, nil
	}
	for _, p := range prefer {
		for _, e := range cat.Environments {
			if p(e) {
				return e.Name, nil
			}
		}
	}
	return "", andon.Errorf(andon.EINVALID, "the catalog has no environment suited to the %s: name one", purpose)
}

// checkApprovable makes sure that the changes the run opens wait for an
// approval that someone else may give, and that those approvers' tokens
// are accepted.
func (b *bench) checkApprovable(ctx context.Context, c *andon.Change) error {
	if c.State != andon.StatePending {
		return andon.Errorf(andon.EINVALID, "a change opened in %s is %s at once: there is nothing to approve; "+
			"choose an environment whose changes need an approval, or weigh approve 0", b.changeEnv, c.State)
	}
	approvers := b.eligible(c)
	if len(approvers) == 0 {
		return andon.Errorf(andon.EINVALID, "change %s in %s needs an approval that no user of the catalog but %s may give", c.ID, b.changeEnv, c.Requester)
	}
	for _, u := range approvers {
		if _, err := b.clients[0][u].Me(ctx); err != nil {
			return andon.Errorf(andon.ErrorCode(err), "approver %s on %s: %s", u, b.cfg.Servers[0], andon.ErrorMessage(err))
		}
	}
	return nil
}

func (b *bench) close() {
	if b.transport != nil {
		b.transport.CloseIdleConnections()
	}
}

// client returns the client of user for the next server in turn.
func (b *bench) client(user string) *client.Client {
	i := (b.next.Add(1) - 1) % uint64(len(b.clients))
	return b.clients[i][user]
}

func (b *bench) gateRequest() andon.GateRequest {
	return andon.GateRequest{Environment: b.gateEnv, Image: b.image}
}

// create opens a normal change with no artifact, so that no gate call
// can match it: it exists to be approved.
func (b *bench) create(ctx context.Context) (*andon.Change, error) {
	n := b.created.Add(1)
	return b.client(b.cfg.Requester).CreateChange(ctx, &andon.ChangeRequest{
		Environment:  b.changeEnv,
		Type:         andon.ChangeNormal,
		Title:        fmt.Sprintf("andon bench %s: change %d", b.runID, n),
		Description:  "Opened by andon bench to measure the server; nothing is deployed.",
		RollbackPlan: "nothing to roll back: no deployment follows",
	})
}

// eligible returns the users who may approve c now, by the rules of
// Change.SlotFor: not its requester, not someone who approved it, and
// holding the role of a slot still open.
func (b *bench) eligible(c *andon.Change) []string {
	var open []string
	for _, s := range c.Slots() {
		if !s.Filled() {
			open = append(open, s.Role)
		}
	}
	var users []string
	for u, roles := range b.roles {
		if u == c.Requester || slices.ContainsFunc(c.Approvals, func(a andon.Approval) bool { return a.Approver == u }) {
			continue
		}
		if slices.ContainsFunc(open, func(r string) bool { return slices.Contains(roles, r) }) {
			users = append(users, u)
		}
	}
	slices.Sort(users)
	return users
}

// run sends requests for the warm-up and the measured span and reports
// what was measured.
func (b *bench) run(ctx context.Context) *Report {
	start := time.Now()
	from := start.Add(b.cfg.Warmup)
	end := from.Add(b.cfg.Duration)
	if b.cfg.Rate > 0 {
		b.openLoop(ctx, start, from, end)
	} else {
		b.closedLoop(ctx, from, end)
	}
	r := &Report{
		Servers:           slices.Clone(b.cfg.Servers),
		Rate:              b.cfg.Rate,
		Concurrency:       b.cfg.Concurrency,
		Mix:               b.cfg.Mix,
		Duration:          b.cfg.Duration,
		Warmup:            b.cfg.Warmup,
		GateEnvironment:   b.gateEnv,
		ChangeEnvironment: b.changeEnv,
		Requester:         b.cfg.Requester,
		GoVersion:         runtime.Version(),
		GOMAXPROCS:        runtime.GOMAXPROCS(0),
		NumCPU:            runtime.NumCPU(),
	}
	if b.gateEnv != "" {
		r.Image = b.image
	}
	r.Mode = ModeConcurrency
	if b.cfg.Rate > 0 {
		r.Mode, r.MaxInFlight = ModeRate, b.cfg.MaxInFlight
	}
	if ctx.Err() != nil {
		r.Interrupted = true
		r.Duration = min(max(time.Since(from), 0), b.cfg.Duration)
	}
	b.rec.fill(r)
	return r
}

// closedLoop runs Concurrency workers, each starting its next request when
// the previous one is answered, until end.
func (b *bench) closedLoop(ctx context.Context, from, end time.Time) {
	var wg sync.WaitGroup
	for range b.cfg.Concurrency {
		wg.Go(func() {
			for ctx.Err() == nil {
				start := time.Now()
				if !start.Before(end) {
					return
				}
				b.do(ctx, b.cfg.Mix.pick(), start, !start.Before(from))
			}
		})
	}
	wg.Wait()
}

// The bounds of an open loop: the rate asked for, and by default the
// requests in flight at once. A server that falls behind would otherwise
// have the loop open a connection, and start a goroutine, for every
// request due until this process ran out of ports or memory.
const (
	MaxRate            = 100000
	DefaultMaxInFlight = 1024
)

// openLoop starts request i at start + i/Rate, until end, whatever the
// answers. A slow answer therefore does not delay the next arrivals, and
// the latency of each request runs from its scheduled start: a request
// that had to wait because the server, or this process, was busy counts
// its wait, which a closed loop would leave out (coordinated omission).
// At most MaxInFlight requests are in flight: a request due when as many
// are waits for one of them to end, its wait counted, and the report says
// how many waited.
func (b *bench) openLoop(ctx context.Context, start, from, end time.Time) {
	var wg sync.WaitGroup
	defer wg.Wait()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	slots := make(chan struct{}, b.cfg.MaxInFlight)
	for i := 0; ; i++ {
		at := start.Add(time.Duration(float64(i) * float64(time.Second) / b.cfg.Rate))
		if !at.Before(end) {
			return
		}
		if wait := time.Until(at); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return
			}
		} else if ctx.Err() != nil {
			return
		}
		select {
		case slots <- struct{}{}:
		default:
			if !at.Before(from) {
				b.rec.waited.Add(1)
			}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
		op := b.cfg.Mix.pick()
		wg.Go(func() {
			defer func() { <-slots }()
			b.do(ctx, op, at, !at.Before(from))
		})
	}
}

// do performs one operation that started, or was scheduled to start, at
// start, and records it when measured is set.
func (b *bench) do(ctx context.Context, op Op, start time.Time, measured bool) {
	record := func(op Op, d time.Duration, err error, allow bool) {
		// A request cut short by an interruption says nothing about the
		// server.
		if measured && ctx.Err() == nil {
			b.rec.add(op, d, err, allow)
		}
	}
	switch op {
	case OpGate:
		res, err := b.client(b.cfg.Requester).Gate(ctx, b.gateRequest())
		record(OpGate, time.Since(start), err, err == nil && res.Allow)
	case OpCreate:
		c, err := b.create(ctx)
		record(OpCreate, time.Since(start), err, false)
		if err == nil && c.State == andon.StatePending && b.cfg.Mix.Approve > 0 {
			b.pending.push(c)
		}
	case OpApprove:
		c := b.pending.pop()
		if c == nil {
			// Nothing waits: open a change first, counted as a create,
			// and time the approval from the moment it could start.
			var err error
			c, err = b.create(ctx)
			now := time.Now()
			record(OpCreate, now.Sub(start), err, false)
			if err != nil {
				return
			}
			start = now
		}
		approvers := b.eligible(c)
		if len(approvers) == 0 {
			record(OpApprove, 0, andon.Errorf(andon.EINVALID, "no user of the catalog may approve change %s", c.ID), false)
			return
		}
		approver := approvers[(b.turn.Add(1)-1)%uint64(len(approvers))]
		c, err := b.client(approver).Decide(ctx, c.ID, andon.Approve, "approved by andon bench")
		record(OpApprove, time.Since(start), err, false)
		if err == nil && c.State == andon.StatePending {
			// It needs another approval: someone else gives it later.
			b.pending.push(c)
		}
	}
}

// pendingQueue holds the changes of the run that wait for an approval,
// oldest first.
type pendingQueue struct {
	mu      sync.Mutex
	changes []*andon.Change
}

func (q *pendingQueue) push(c *andon.Change) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.changes = append(q.changes, c)
}

// pop removes and returns the oldest change, or nil when none waits.
func (q *pendingQueue) pop() *andon.Change {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.changes) == 0 {
		return nil
	}
	c := q.changes[0]
	q.changes[0] = nil
	q.changes = q.changes[1:]
	return c
}
