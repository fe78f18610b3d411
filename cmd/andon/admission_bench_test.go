package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
)

// BenchmarkAdmissionHTTPS measures admission reviews as the API server
// sends them: over HTTPS on loopback with a kept-alive connection, one at a
// time, and reports the latency percentiles. "rules" is an update that
// changes no image, so only the manifest policy's object rules are
// evaluated; "gate" changes the image of a staging Deployment, so the gate
// also decides, which is a durable, audited write.
func BenchmarkAdmissionHTTPS(b *testing.B) {
	for _, bench := range []struct{ name, file, namespace, image string }{
		{"rules", "deployment-update-replicas", "", ""},
		{"gate", "deployment-update-image", "odoo-lyon-staging", imageRelease},
	} {
		b.Run(bench.name, func(b *testing.B) {
			certs := mustWebhookTLS(b)
			s := MustServe(b, b.TempDir(), "--admission-addr", "127.0.0.1:0", "--tls-cert", certs.certFile, "--tls-key", certs.keyFile)
			m := admissionListening.FindStringSubmatch(s.logs.String())
			if m == nil {
				b.Fatalf("no admission listener; logs:\n%s", s.logs.String())
			}
			url := "https://" + m[1] + "/api/v1/admission?timeout=10s"
			body := reviewBody(b, bench.file, bench.namespace, bench.image)
			client := certs.httpClient(false)
			review := func() time.Duration {
				start := time.Now()
				resp, err := client.Post(url, "application/json", bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				var out admissionv1.AdmissionReview
				err = json.NewDecoder(resp.Body).Decode(&out)
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				elapsed := time.Since(start)
				if err != nil || out.Response == nil || !out.Response.Allowed {
					b.Fatalf("review: %v %+v", err, out.Response)
				}
				return elapsed
			}
			// Warm up the connection, and record the standard change the
			// later gate decisions match.
			for range 20 {
				review()
			}
			var latencies []time.Duration
			for b.Loop() {
				latencies = append(latencies, review())
			}
			slices.Sort(latencies)
			pct := func(p float64) float64 {
				return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(float64(latencies[len(latencies)-1].Microseconds())/1000, "max-ms")
		})
	}
}

// reviewBody is a recorded review with the namespace and the image of the
// first container replaced when not "".
func reviewBody(tb testing.TB, file, namespace, image string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "admission", "testdata", file+".json"))
	if err != nil {
		tb.Fatal(err)
	}
	var review map[string]any
	if err := json.Unmarshal(b, &review); err != nil {
		tb.Fatal(err)
	}
	req := review["request"].(map[string]any)
	for _, key := range []string{"object", "oldObject"} {
		obj, ok := req[key].(map[string]any)
		if !ok {
			continue
		}
		if namespace != "" {
			req["namespace"] = namespace
			obj["metadata"].(map[string]any)["namespace"] = namespace
		}
		if image != "" && key == "object" {
			containers := obj["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)
			containers[0].(map[string]any)["image"] = image
		}
	}
	out, err := json.Marshal(review)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
