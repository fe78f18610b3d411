package admission_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
)

// BenchmarkReview measures one review of a Deployment update that changes
// no image, in process: decoding, the object rules of the manifest policy,
// and the answer. The gate is not asked.
func BenchmarkReview(b *testing.B) {
	r := newReviewer(b, exampleCatalog(b), &recordingGate{})
	// The recorded review is indented for reading; the API server sends
	// it compact.
	var body bytes.Buffer
	if err := json.Compact(&body, mustRead(b, "deployment-update-replicas")); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := r.Admit(context.Background(), "", body.Bytes()); err != nil {
			b.Fatal(err)
		}
	}
}
