package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/client"
)

// The tests in this file put concurrent creates, approvals and gate calls
// on andon servers running in processes of their own, kill a server with
// SIGKILL in the middle of that load, as a node failure or the OOM killer
// would, and restart it on the same store. Then they check what a crash
// must never break: every write the server acknowledged is there, every
// write whose answer was lost is there whole (its state and its audit
// entries) or not at all, and the audit log still verifies.

// serverProcess is andon serve running in a process of its own: this test
// binary, re-executed as the andon command (see TestMain).
type serverProcess struct {
	name   string
	url    string
	cmd    *exec.Cmd
	logs   *syncBuffer
	exited chan struct{}
	// killed is set by kill, before the signal, and killedAt to when.
	killed   bool
	killedAt time.Time
}

// mustStartServer starts andon serve in a new process with args added and
// waits until it is ready.
func mustStartServer(t *testing.T, name string, args ...string) *serverProcess {
	t.Helper()
	return mustStartProcess(t, name, append([]string{"serve", "--addr", "127.0.0.1:0", "--catalog", exampleCatalog}, args...)...)
}

// mustStartProcess starts andon with argv, serve or demo listening on port
// 0, in a new process and waits until it is ready.
func mustStartProcess(t *testing.T, name string, argv ...string) *serverProcess {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p := &serverProcess{name: name, logs: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(exe, argv...)
	// The server gets its settings from its flags alone, as the servers
	// of the other tests do from run.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ANDON_") {
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	p.cmd.Env = append(p.cmd.Env, "ANDON_RUN_AS_COMMAND=1")
	p.cmd.Stderr = p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(p.stop)
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-p.exited:
			t.Fatalf("%s exited with %v; logs:\n%s", name, p.cmd.ProcessState, p.logs.String())
		default:
		}
		if p.url == "" {
			if m := listening.FindStringSubmatch(p.logs.String()); m != nil {
				p.url = "http://" + m[1]
			}
		}
		if p.url != "" {
			if resp, err := http.Get(p.url + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return p
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after 30s; logs:\n%s", name, p.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill sends SIGKILL, which the server cannot catch, and waits until the
// process is gone.
func (p *serverProcess) kill(t *testing.T) {
	t.Helper()
	p.killed, p.killedAt = true, time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill %s: %v", p.name, err)
	}
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s still runs 20s after SIGKILL", p.name)
	}
}

// stop shuts the server down gracefully, and kills it if it does not stop.
func (p *serverProcess) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// waitLog waits up to timeout for the server's log to contain s.
func (p *serverProcess) waitLog(s string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for !strings.Contains(p.logs.String(), s) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// leading is what a replica logs when it takes the lead of the background
// work (sqlstore.DB.Lead).
const leading = "leading background work"

// crashUsers are the users of the load: alice opens changes and calls the
// gate, bob and brigitte (change managers) approve, frank (auditor) reads.
var crashUsers = []string{"alice", "bob", "brigitte", "frank"}

// crashStore is the store the servers of a crash test share.
type crashStore struct {
	data   string
	db     string // a PostgreSQL URL, or "" for SQLite in data
	tokens map[string]string
}

// flags name the store to andon serve and the offline commands.
func (s *crashStore) flags() []string {
	if s.db == "" {
		return []string{"--data", s.data}
	}
	return []string{"--data", s.data, "--db", s.db}
}

// mustCrashStore makes a new store on engine and the tokens of crashUsers,
// with andon token create, before any server runs.
func mustCrashStore(t *testing.T, engine string) *crashStore {
	t.Helper()
	data := t.TempDir()
	s := &crashStore{data: data, db: mustStore(t, engine, data), tokens: map[string]string{}}
	for _, user := range crashUsers {
		r := runCLI(t, nil, append([]string{"token", "create", "--user", user}, s.flags()...)...)
		if r.code != 0 {
			t.Fatalf("token create %s: exit %d\n%s%s", user, r.code, r.stdout, r.stderr)
		}
		s.tokens[user] = strings.TrimSpace(r.stdout)
	}
	return s
}

// outcome is what a client learnt of its write.
type outcome int

const (
	// acked: the server answered 2xx (for the gate: a decision with its
	// audit index). The write must be there.
	acked outcome = iota
	// refused: the server answered a 4xx, after rolling the write back.
	// The write must not be there.
	refused
	// lost: no answer, or no usable one. The write may or may not be
	// there, but if it is, it is there whole. Only a killed server may
	// leave a write unanswered.
	lost
)

// attempt is one write sent during the load.
type attempt struct {
	op      string // "create", "approve" or "gate"
	server  *serverProcess
	started time.Time
	outcome outcome
	err     error

	title    string // create: unique among all attempts
	change   string // create: the ID answered; approve: the change approved
	approver string // approve
	env      string // gate
	image    string // gate: unique among all attempts
	result   *andon.GateResult
}

func (a *attempt) String() string {
	switch a.op {
	case "create":
		return fmt.Sprintf("create %q", a.title)
	case "approve":
		return fmt.Sprintf("approval of %s by %s", a.change, a.approver)
	}
	return fmt.Sprintf("gate call in %s for %s", a.env, a.image)
}

// crashLoad sends concurrent writes to servers in turn and records every
// attempt and its outcome.
type crashLoad struct {
	t        *testing.T
	store    *crashStore
	http     *http.Client
	runID    string
	seq      atomic.Int64
	turn     atomic.Uint64
	acks     atomic.Int64
	mu       sync.Mutex
	attempts []*attempt
}

func newCrashLoad(t *testing.T, store *crashStore) *crashLoad {
	return &crashLoad{t: t, store: store, runID: fmt.Sprintf("%x", time.Now().UnixNano()),
		// Generous: a loaded machine must not turn a slow answer into a
		// lost one.
		http: &http.Client{Timeout: 60 * time.Second}}
}

// start runs workers goroutines against servers, each server in turn,
// until the returned function is called, or the test ends; stop returns
// once every request in flight has its answer.
func (l *crashLoad) start(servers []*serverProcess, workers int) (stop func()) {
	var stopping atomic.Bool
	var wg sync.WaitGroup
	stop = func() {
		stopping.Store(true)
		wg.Wait()
	}
	// A test that fails half-way stops its load before its servers.
	l.t.Cleanup(stop)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stopping.Load() {
				if !l.round(servers) {
					// A dead server refuses connections at once; do not
					// spin on it.
					time.Sleep(5 * time.Millisecond)
				}
			}
		}()
	}
	return stop
}

// round opens a change, has it approved, by one change manager or by two
// racing for one slot, and calls the gate for a new image, in dev (where
// the gate records a standard change) or in prod-lyon (where it denies).
// It reports whether every write was answered.
func (l *crashLoad) round(servers []*serverProcess) bool {
	n := l.seq.Add(1)
	ctx := context.Background()
	ok := true
	c := l.do(servers, "create", func(a *attempt, cl func(user string) *client.Client) {
		a.title = fmt.Sprintf("crash %s #%d", l.runID, n)
		ch, err := cl("alice").CreateChange(ctx, &andon.ChangeRequest{
			Environment: "prod-lyon", Type: andon.ChangeNormal, Title: a.title,
			RollbackPlan: "nothing to roll back: nothing is deployed",
		})
		a.err = err
		if err == nil {
			a.change = ch.ID
		}
	})
	ok = ok && c.outcome != lost
	if c.outcome == acked {
		approvers := []string{[]string{"bob", "brigitte"}[n%2]}
		if n%3 == 0 {
			approvers = []string{"bob", "brigitte"}
		}
		answers := make([]*attempt, len(approvers))
		var wg sync.WaitGroup
		for i, u := range approvers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				answers[i] = l.do(servers, "approve", func(a *attempt, cl func(user string) *client.Client) {
					a.change, a.approver = c.change, u
					_, a.err = cl(u).Decide(ctx, c.change, andon.Approve, "")
				})
			}()
		}
		wg.Wait()
		for _, a := range answers {
			ok = ok && a.outcome != lost
		}
	}
	g := l.do(servers, "gate", func(a *attempt, cl func(user string) *client.Client) {
		a.env = "dev"
		if n%4 == 0 {
			a.env = "prod-lyon"
		}
		sum := sha256.Sum256(fmt.Appendf(nil, "%s gate %d", l.runID, n))
		a.image = "registry.example.com/odoo/odoo-crash:" + l.runID + "@sha256:" + hex.EncodeToString(sum[:])
		a.result, a.err = cl("alice").Gate(ctx, andon.GateRequest{Environment: a.env, Image: a.image})
	})
	return ok && g.outcome != lost
}

// do runs one write against the next server and records it.
func (l *crashLoad) do(servers []*serverProcess, op string, send func(a *attempt, cl func(user string) *client.Client)) *attempt {
	s := servers[(l.turn.Add(1)-1)%uint64(len(servers))]
	a := &attempt{op: op, server: s, started: time.Now()}
	send(a, func(user string) *client.Client {
		return client.New(s.url, l.store.tokens[user], client.WithHTTPClient(l.http))
	})
	switch {
	case op == "gate" && a.result != nil && a.result.AuditIndex > 0:
		// The gate answers every call it decided with the audit index of
		// its record, even with an error status.
		a.outcome = acked
	case a.err == nil:
		a.outcome = acked
	case andon.ErrorCode(a.err) != andon.EINTERNAL:
		a.outcome = refused
	default:
		a.outcome = lost
	}
	if a.outcome == acked {
		l.acks.Add(1)
	}
	l.mu.Lock()
	l.attempts = append(l.attempts, a)
	l.mu.Unlock()
	return a
}

// waitAcks waits until at least d has passed and at least n more writes
// are acknowledged, failing the test when they are not within a minute.
func (l *crashLoad) waitAcks(d time.Duration, n int64) {
	l.t.Helper()
	from, start := l.acks.Load(), time.Now()
	for time.Since(start) < d || l.acks.Load()-from < n {
		if time.Since(start) > time.Minute {
			l.t.Fatalf("%d writes acknowledged in a minute, want %d", l.acks.Load()-from, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCrashSafety kills a server with SIGKILL under load and restarts it
// on the same store: on SQLite the one server, on PostgreSQL one of two
// replicas sharing the database.
func TestCrashSafety(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		store := mustCrashStore(t, "sqlite")
		a := mustStartServer(t, "server", store.flags()...)
		load := newCrashLoad(t, store)

		stop := load.start([]*serverProcess{a}, 6)
		load.waitAcks(1500*time.Millisecond, 30)
		a.kill(t)
		stop()

		restarted := mustStartServer(t, "restarted server", store.flags()...)
		// The restarted server takes writes on the recovered log.
		stop = load.start([]*serverProcess{restarted}, 4)
		load.waitAcks(300*time.Millisecond, 10)
		stop()

		checkAfterCrash(t, store, restarted, load, 2)
	})

	t.Run("postgres", func(t *testing.T) {
		store := mustCrashStore(t, "postgres")
		a := mustStartServer(t, "replica A", store.flags()...)
		// A, started alone, leads the background work; B, started once A
		// leads, waits for the lead.
		if !a.waitLog(leading, 20*time.Second) {
			t.Fatalf("replica A does not lead the background work; logs:\n%s", a.logs.String())
		}
		b := mustStartServer(t, "replica B", store.flags()...)
		load := newCrashLoad(t, store)

		stop := load.start([]*serverProcess{a, b}, 6)
		load.waitAcks(1500*time.Millisecond, 30)
		if strings.Contains(b.logs.String(), leading) {
			t.Fatalf("replica B leads the background work while A runs; logs:\n%s", b.logs.String())
		}
		a.kill(t)
		// B keeps serving until it has taken the lead, which it tries for
		// every 5 s.
		load.waitAcks(time.Second, 10)
		if !b.waitLog(leading, 20*time.Second) {
			t.Errorf("replica B did not take the lead of the background work within 20s of A's death; logs:\n%s", b.logs.String())
		}
		stop()
		checkSurvivor(t, load, b, a.killedAt)

		restarted := mustStartServer(t, "replica A restarted", store.flags()...)
		stop = load.start([]*serverProcess{restarted, b}, 4)
		load.waitAcks(300*time.Millisecond, 10)
		stop()
		if strings.Contains(restarted.logs.String(), leading) {
			t.Errorf("restarted replica A leads the background work while B does; logs:\n%s", restarted.logs.String())
		}

		checkAfterCrash(t, store, b, load, 3)
	})
}

// checkSurvivor checks that every write sent to survivor after killed was
// answered, and that some were acknowledged.
func checkSurvivor(t *testing.T, load *crashLoad, survivor *serverProcess, killed time.Time) {
	t.Helper()
	var answered int
	for _, a := range load.attempts {
		if a.server != survivor || a.started.Before(killed) {
			continue
		}
		if a.outcome == lost {
			t.Errorf("%s sent to %s after the kill was not answered: %v", a, survivor.name, a.err)
		}
		if a.outcome == acked {
			answered++
		}
	}
	if answered == 0 {
		t.Errorf("%s acknowledged no write after the kill", survivor.name)
	}
	t.Logf("%s acknowledged %d writes after the kill", survivor.name, answered)
}

// entryData are the fields of the audit records that the checks read.
type entryData struct {
	// change.created
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	Artifacts []string `json:"artifacts"`
	// change.approved
	Approval *andon.Approval `json:"approval"`
	// change.transitioned
	To andon.State `json:"to"`
	// gate.decided
	Request *andon.GateRequest `json:"request"`
	Allow   bool               `json:"allow"`
	Change  string             `json:"change"`
}

// checkAfterCrash reads the whole store through server and checks it
// against the load's attempts; starts is how many times a server started
// on the store, each recording policy.loaded.
func checkAfterCrash(t *testing.T, store *crashStore, server *serverProcess, load *crashLoad, starts int) {
	v := mustReadStore(t, client.New(server.url, store.tokens["frank"]))
	v.checkWhole(t, starts)
	decisions := v.checkAttempts(t, load)

	// Which adds up: the starts, the tokens, one entry per change opened,
	// per approval and per gate decision, plus the creation and the move
	// of each change the gate made.
	want := 1 + starts + len(crashUsers) + v.normal + v.approvals + decisions + 2*v.standard
	if len(v.entries) != want {
		t.Errorf("audit entries = %d, want %d: 1 catalog.loaded, %d policy.loaded, %d token.created, %d changes opened, %d approvals, %d gate decisions, 2×%d for the changes the gate made",
			len(v.entries), want, starts, len(crashUsers), v.normal, v.approvals, decisions, v.standard)
	}

	r := runCLI(t, nil, append([]string{"audit", "verify"}, store.flags()...)...)
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("audit log OK: %d entries", len(v.entries))) {
		t.Errorf("audit verify after the crash: exit %d, want 0 and %d entries\n%s%s", r.code, len(v.entries), r.stdout, r.stderr)
	}
	t.Logf("store: %d audit entries, %d changes opened, %d approvals, %d changes made by the gate", len(v.entries), v.normal, v.approvals, v.standard)
}

// storeView is the whole store as the API shows it, indexed for the
// checks.
type storeView struct {
	entries []*andon.Entry
	data    []entryData // decoded entries[i].Data

	// What the log records, by subject.
	byType       map[string]int
	created      map[string]int    // change ID
	approved     map[[2]string]int // change ID, approver
	transitioned map[string]int    // change ID
	decided      map[string][]int  // image → entry indexes

	// What the store holds.
	byID    map[string]*andon.Change
	byTitle map[string]int
	byImage map[string]*andon.Change // the changes the gate made

	normal, standard, approvals int
}

// mustReadStore reads every change and every audit entry, and checks that
// the log has no gap and that its signed checkpoint covers all of it.
func mustReadStore(t *testing.T, reader *client.Client) *storeView {
	t.Helper()
	changes := mustAllChanges(t, reader)
	entries := mustAllEntries(t, reader)
	cp, err := reader.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range entries {
		if e.Index != int64(i) {
			t.Fatalf("entry %d has index %d: the log has a gap", i, e.Index)
		}
	}
	if cp.Size != int64(len(entries)) {
		t.Errorf("checkpoint size %d, want the %d entries", cp.Size, len(entries))
	}
	v := &storeView{
		entries: entries, data: make([]entryData, len(entries)),
		byType: map[string]int{}, created: map[string]int{}, approved: map[[2]string]int{},
		transitioned: map[string]int{}, decided: map[string][]int{},
		byID: map[string]*andon.Change{}, byTitle: map[string]int{}, byImage: map[string]*andon.Change{},
	}
	for i, e := range entries {
		v.byType[e.Type]++
		d := &v.data[i]
		if len(e.Data) > 0 {
			if err := json.Unmarshal(e.Data, d); err != nil {
				t.Fatalf("entry %d: %v", i, err)
			}
		}
		switch e.Type {
		case andon.EventCatalogLoaded, andon.EventPolicyLoaded, andon.EventTokenCreated:
		case andon.EventChangeCreated:
			if d.ID != e.Subject {
				t.Errorf("entry %d records change %s about %s", i, d.ID, e.Subject)
			}
			v.created[e.Subject]++
		case andon.EventChangeApproved:
			if d.Approval == nil || d.Approval.Approver != e.Actor {
				t.Errorf("entry %d by %s records approval %+v", i, e.Actor, d.Approval)
			}
			v.approved[[2]string{e.Subject, e.Actor}]++
		case andon.EventChangeTransition:
			if d.To != andon.StateImplementing {
				t.Errorf("entry %d moves %s to %s; the load moves changes to implementing only", i, e.Subject, d.To)
			}
			v.transitioned[e.Subject]++
		case andon.EventGateDecision:
			if d.Request == nil {
				t.Fatalf("entry %d is a gate decision without its request", i)
			}
			v.decided[d.Request.Image] = append(v.decided[d.Request.Image], i)
		default:
			t.Errorf("entry %d is a %s, which the load does not write", i, e.Type)
		}
	}
	for _, c := range changes {
		if v.byID[c.ID] != nil {
			t.Fatalf("change %s is listed twice", c.ID)
		}
		v.byID[c.ID] = c
		v.approvals += len(c.Approvals)
		switch c.Type {
		case andon.ChangeNormal:
			v.normal++
			v.byTitle[c.Title]++
		case andon.ChangeStandard:
			v.standard++
			if len(c.Artifacts) == 1 {
				v.byImage[c.Artifacts[0]] = c
			}
		}
	}
	return v
}

// checkWhole checks that every change in the store is there whole, its
// state and its audit entries together, and that the log records nothing
// the store does not show.
func (v *storeView) checkWhole(t *testing.T, starts int) {
	t.Helper()
	for typ, want := range map[string]int{andon.EventCatalogLoaded: 1, andon.EventPolicyLoaded: starts, andon.EventTokenCreated: len(crashUsers)} {
		if got := v.byType[typ]; got != want {
			t.Errorf("%s entries = %d, want %d", typ, got, want)
		}
	}
	for _, c := range v.byID {
		if n := v.created[c.ID]; n != 1 {
			t.Errorf("change %s has %d change.created entries, want 1", c.ID, n)
		}
		for _, a := range c.Approvals {
			if n := v.approved[[2]string{c.ID, a.Approver}]; n != 1 {
				t.Errorf("%s's approval of %s has %d change.approved entries, want 1", a.Approver, c.ID, n)
			}
		}
		switch c.Type {
		case andon.ChangeNormal:
			if (c.State == andon.StateApproved) != c.FullyApproved() || (c.State != andon.StateApproved && c.State != andon.StatePending) {
				t.Errorf("change %s is %s with approvals %+v", c.ID, c.State, c.Approvals)
			}
		case andon.ChangeStandard:
			// Made by a gate call in dev: the change, its move to
			// implementing and the decision are one write.
			if len(c.Artifacts) != 1 || c.State != andon.StateImplementing {
				t.Errorf("gate-made change %s is %s with artifacts %v, want implementing one image", c.ID, c.State, c.Artifacts)
				continue
			}
			if n := v.transitioned[c.ID]; n != 1 {
				t.Errorf("gate-made change %s has %d change.transitioned entries, want 1", c.ID, n)
			}
			if idx := v.decided[c.Artifacts[0]]; len(idx) != 1 || v.data[idx[0]].Change != c.ID || !v.data[idx[0]].Allow {
				t.Errorf("gate-made change %s has gate decisions %v, want one that allowed it", c.ID, idx)
			}
		default:
			t.Errorf("change %s is %s, which the load does not open", c.ID, c.Type)
		}
	}
	for id := range v.created {
		if v.byID[id] == nil {
			t.Errorf("change.created for %s, which is not in the store", id)
		}
	}
	for k := range v.approved {
		if c := v.byID[k[0]]; c == nil || !hasApprover(c, k[1]) {
			t.Errorf("change.approved by %s for %s, which the store does not show", k[1], k[0])
		}
	}
	for id := range v.transitioned {
		if c := v.byID[id]; c == nil || c.Type != andon.ChangeStandard {
			t.Errorf("change.transitioned for %s, which is not a gate-made change in the store", id)
		}
	}
}

// checkAttempts checks that every write of the load is in the store if it
// was acknowledged, absent if it was refused, and there at most once
// either way; that everything in the store comes from one of them; and
// that only writes to a killed server went unanswered. It returns the
// number of gate decisions in the log.
func (v *storeView) checkAttempts(t *testing.T, load *crashLoad) (decisions int) {
	t.Helper()
	type tally struct{ acked, refused, inFlight, deadServer, lostApplied int }
	tallies := map[string]*tally{"create": {}, "approve": {}, "gate": {}}
	images := map[string]bool{}
	for _, a := range load.attempts {
		var applied bool
		switch a.op {
		case "create":
			n := v.byTitle[a.title]
			applied = n > 0
			if n > 1 {
				t.Errorf("%s is in the store %d times", a, n)
			}
			if c := v.byID[a.change]; a.outcome == acked && applied && (c == nil || c.Title != a.title) {
				t.Errorf("%s, acknowledged as %s, is in the store under another ID", a, a.change)
			}
		case "approve":
			c := v.byID[a.change]
			applied = c != nil && hasApprover(c, a.approver)
		case "gate":
			images[a.image] = true
			idx := v.decided[a.image]
			decisions += len(idx)
			applied = len(idx) > 0
			if len(idx) > 1 {
				t.Errorf("%s has %d decisions, want at most 1", a, len(idx))
			}
			if c := v.byImage[a.image]; c != nil && (!applied || a.env != "dev") {
				t.Errorf("%s made change %s; want a change only with an allowing decision in dev", a, c.ID)
			}
			if a.outcome == acked {
				v.checkDecision(t, a)
			}
		}
		tl := tallies[a.op]
		switch a.outcome {
		case acked:
			tl.acked++
			if !applied {
				t.Errorf("acknowledged %s is not in the store", a)
			}
		case refused:
			tl.refused++
			if applied {
				t.Errorf("refused %s (%v) is in the store", a, a.err)
			}
		case lost:
			if a.server.killed && !a.started.Before(a.server.killedAt) {
				tl.deadServer++
			} else {
				tl.inFlight++
			}
			if applied {
				tl.lostApplied++
			}
			if !a.server.killed {
				t.Errorf("%s to %s, which was not killed, got no answer: %v", a, a.server.name, a.err)
			}
		}
	}
	for image := range v.decided {
		if !images[image] {
			t.Errorf("gate decision for %s, which no gate call asked for", image)
		}
	}
	for image, c := range v.byImage {
		if !images[image] {
			t.Errorf("change %s for %s, which no gate call asked for", c.ID, image)
		}
	}
	for title, n := range v.byTitle {
		if !strings.HasPrefix(title, "crash "+load.runID+" #") {
			t.Errorf("%d changes titled %q, which the load did not open", n, title)
		}
	}
	for _, op := range []string{"create", "approve", "gate"} {
		tl := tallies[op]
		t.Logf("%-7s %4d acknowledged, %3d refused, unanswered: %2d in flight at the kill and %3d sent to the dead server, %d of them applied",
			op, tl.acked, tl.refused, tl.inFlight, tl.deadServer, tl.lostApplied)
	}
	return decisions
}

// checkDecision checks that an acknowledged gate call's audit entry is the
// record of its decision, and that an allowed call in dev made its change.
func (v *storeView) checkDecision(t *testing.T, a *attempt) {
	t.Helper()
	i := a.result.AuditIndex
	if i < 0 || i >= int64(len(v.entries)) {
		t.Errorf("%s answered with entry %d; the log has %d", a, i, len(v.entries))
		return
	}
	e, d := v.entries[i], v.data[i]
	if e.Type != andon.EventGateDecision || e.Actor != "alice" || d.Request == nil || d.Request.Image != a.image || d.Request.Environment != a.env || d.Allow != a.result.Allow {
		t.Errorf("%s (allow %t) answered with entry %d, a %s by %s of %+v allow %t",
			a, a.result.Allow, i, e.Type, e.Actor, d.Request, d.Allow)
	}
	if a.env == "dev" && a.result.Allow {
		if a.result.Change == nil || v.byID[a.result.Change.ID] == nil || v.byID[a.result.Change.ID].State != andon.StateImplementing {
			t.Errorf("allowed %s: change %+v is not implementing in the store", a, a.result.Change)
		}
	}
}

func hasApprover(c *andon.Change, user string) bool {
	for _, a := range c.Approvals {
		if a.Approver == user {
			return true
		}
	}
	return false
}

// mustAllChanges lists every change, page by page.
func mustAllChanges(t *testing.T, c *client.Client) []*andon.Change {
	t.Helper()
	var all []*andon.Change
	for {
		page, total, err := c.Changes(context.Background(), andon.ChangeFilter{Offset: len(all), Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if len(page) == 0 || len(all) >= total {
			return all
		}
	}
}

// mustAllEntries lists the whole audit log, page by page.
func mustAllEntries(t *testing.T, c *client.Client) []*andon.Entry {
	t.Helper()
	var all []*andon.Entry
	for {
		after := int64(-1)
		if len(all) > 0 {
			after = all[len(all)-1].Index
		}
		page, err := c.Entries(context.Background(), andon.AuditFilter{After: after, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
	}
}

// A command stuck in a read that its context does not reach, here policy
// test reading a pipe that stays open, stops at the second SIGTERM: the
// first only cancels the context, as a server's graceful shutdown needs.
func TestSecondSignalStops(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "policy", "test", "-")
	cmd.Env = append(os.Environ(), "ANDON_RUN_AS_COMMAND=1", "ANDON_TEST_SAY_READY=1")
	stdin, err := cmd.StdinPipe() // left open: the read never ends
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	logs := &syncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Signalled before its handler is in place, the command would only
	// show Go's own handling.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs.String(), "signals caught"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the command did not say it caught signals:\n%s", logs.String())
		}
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		t.Fatalf("the first SIGTERM stopped the command (%v); want it to cancel the context only", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
			t.Errorf("after two SIGTERMs: %v; want killed by the second", err)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("two SIGTERMs did not stop a command stuck in a read")
	}
}
