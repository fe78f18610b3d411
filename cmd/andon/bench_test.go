package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
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
	// Warm up connections and record the change the later calls match.
	for range 20 {
		if _, err := gate(); err != nil {
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
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := gate()
			if err != nil {
				b.Error(err)
				return
			}
			mu.Lock()
			latencies = append(latencies, d)
			mu.Unlock()
		}()
	}
	wg.Wait()
	b.StopTimer()
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	if len(latencies) > 0 {
		b.ReportMetric(pct(0.50), "p50-ms")
		b.ReportMetric(pct(0.99), "p99-ms")
		b.ReportMetric(float64(latencies[len(latencies)-1].Microseconds())/1000, "max-ms")
	}
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
