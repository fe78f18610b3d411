package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andon-governance/andon"
)

// BenchmarkGateHTTP measures gate decisions through HTTP on loopback at a
// steady 500 requests per second, the load of a busy fleet of pipelines and
// admission webhooks, and reports the latency percentiles. Every decision is
// a durable, audited write. Client and server share this machine's cores.
func BenchmarkGateHTTP(b *testing.B) {
	s := MustServe(b, b.TempDir())
	body, _ := json.Marshal(andon.GateRequest{Environment: "staging-lyon", Image: imageRelease})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	gate := func() (time.Duration, error) {
		req, _ := http.NewRequest(http.MethodPost, s.url+"/api/v1/gate", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+s.tokens["alice"])
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		var res andon.GateResult
		err = json.NewDecoder(resp.Body).Decode(&res)
		resp.Body.Close()
		elapsed := time.Since(start)
		if err == nil && !res.Allow {
			err = fmt.Errorf("denied: %+v", res.Reasons)
		}
		return elapsed, err
	}
	openLoop(b, gate)
}

// BenchmarkLoopbackFloor is the reference BenchmarkGateHTTP is read
// against: the same load, at the same rate, on a server that does nothing
// but what every durable answer needs (read the request, write 4 KiB and
// fsync it under a lock, answer a small JSON document), with a fixed
// amount of CPU work per request or none. Run beside BenchmarkGateHTTP, it
// tells the machine's share of a latency from andon's: on a machine whose
// host takes its CPUs away now and then, even this server's p99 grows
// quickly with the CPU a request costs.
func BenchmarkLoopbackFloor(b *testing.B) {
	for _, work := range []time.Duration{0, 250 * time.Microsecond, 500 * time.Microsecond} {
		b.Run(fmt.Sprintf("cpu=%dus", work.Microseconds()), func(b *testing.B) {
			rounds := cpuRounds(work)
			f, err := os.Create(filepath.Join(b.TempDir(), "floor"))
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			var mu sync.Mutex
			var off int64
			page := make([]byte, 4096)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, err := io.ReadAll(r.Body)
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadRequest)
					return
				}
				sum := burn(body, rounds)
				mu.Lock()
				_, err = f.WriteAt(page, off%(4<<20))
				off += int64(len(page))
				if err == nil {
					err = f.Sync()
				}
				mu.Unlock()
				if err != nil {
					http.Error(w, err.Error(), http.StatusInternalServerError)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprintf(w, `{"allow":true,"sum":"%x"}`, sum[:4])
			}))
			defer srv.Close()
			body, _ := json.Marshal(andon.GateRequest{Environment: "staging-lyon", Image: imageRelease})
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			call := func() (time.Duration, error) {
				start := time.Now()
				resp, err := client.Post(srv.URL, "application/json", bytes.NewReader(body))
				if err != nil {
					return 0, err
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return time.Since(start), err
			}
			openLoop(b, call)
		})
	}
}

// burn hashes data rounds times over: fixed CPU work.
func burn(data []byte, rounds int) [sha256.Size]byte {
	sum := sha256.Sum256(data)
	for range rounds {
		sum = sha256.Sum256(sum[:])
	}
	return sum
}

// cpuRounds returns how many rounds of burn take d at this machine's full
// speed: the fastest of repeated timings, so that slowdowns of the machine
// while calibrating do not shrink the work.
func cpuRounds(d time.Duration) int {
	if d == 0 {
		return 0
	}
	const probe = 10000
	fastest := time.Hour
	for range 50 {
		start := time.Now()
		burn(nil, probe)
		fastest = min(fastest, time.Since(start))
	}
	return int(float64(probe) * float64(d) / float64(fastest))
}

// openLoop sends requests with call at a steady 500 a second, each on its
// own goroutine whatever the answers before it (an open loop, as a fleet
// of independent callers does), and reports the latencies' p50, p99 and
// maximum. Twenty requests first, uncounted, open the connections (and,
// for the gate, record the change the later ones match).
func openLoop(b *testing.B, call func() (time.Duration, error)) {
	for range 20 {
		if _, err := call(); err != nil {
			b.Fatal(err)
		}
	}
	const rate = 500
	tick := time.NewTicker(time.Second / rate)
	defer tick.Stop()
	var mu sync.Mutex
	var latencies []time.Duration
	var wg sync.WaitGroup
	b.ResetTimer()
	for b.Loop() {
		<-tick.C
		wg.Go(func() {
			d, err := call()
			if err != nil {
				b.Error(err)
				return
			}
			mu.Lock()
			latencies = append(latencies, d)
			mu.Unlock()
		})
	}
	wg.Wait()
	b.StopTimer()
	if len(latencies) == 0 {
		return
	}
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(latencies[len(latencies)-1].Microseconds())/1000, "max-ms")
}

// BenchmarkServerIdleRSS builds the andon command, starts andon serve
// with the example catalog, lets it settle and reports its resident
// memory. It measures the command as built, not this test binary, which
// links the packages of the tests too (the Kubernetes clientset, chromedp),
// whose initialisation touches more of it: 68 MB against 51-57 MB on 26
// November 2026.
func BenchmarkServerIdleRSS(b *testing.B) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		b.Skip("go is not on PATH to build the command")
	}
	bin := filepath.Join(b.TempDir(), "andon")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	addr := strings.TrimPrefix(closedServer(b), "http://")
	cmd := exec.Command(bin, "serve", "--addr", addr, "--data", b.TempDir(), "--catalog", exampleCatalog)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			b.Fatal("server not ready after 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for b.Loop() {
		time.Sleep(2 * time.Second)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		b.Skip("no /proc on this system")
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(rest), "%f", &kb)
			b.ReportMetric(kb/1024, "RSS-MB")
		}
	}
}
