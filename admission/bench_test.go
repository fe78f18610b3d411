package admission_test

import (
	"context"
	"testing"
)

// BenchmarkReview measures one review of a Deployment update that changes
// no image, in process: decoding, the object rules of the manifest policy,
// and the answer. The gate is not asked.
func BenchmarkReview(b *testing.B) {
	r := newReviewer(b, exampleCatalog(b), &recordingGate{})
	body := mustRead(b, "deployment-update-replicas")
	for b.Loop() {
		if _, _, err := r.Admit(context.Background(), "", body); err != nil {
			b.Fatal(err)
		}
	}
}
