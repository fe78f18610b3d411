package drift_test

import (
	"encoding/json"
	"testing"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/drift"
)

// FuzzDiff compares arbitrary JSON objects as desired and live state: the
// live object is whatever the cluster holds, which anyone with write
// access to the namespace shapes. Diff must not panic; an object compared
// with itself has no drift (but for a Secret's stringData, which a live Secret
// never holds); every field it reports has a path and values
// that are JSON; and the value of a Secret's data is never shown.
func FuzzDiff(f *testing.F) {
	for _, s := range [][2]string{
		{`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"odoo","labels":{"a":"b"}},"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"odoo","image":"x:1","resources":{"limits":{"memory":"1Gi","cpu":"0.5"}},"env":[{"name":"A","value":"1"}]}]}}}}`,
			`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"odoo","uid":"u"},"spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"side","image":"y"},{"name":"odoo","image":"x:2","resources":{"limits":{"memory":"1024Mi","cpu":"500m"}}}]}}}}`},
		{`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"password":"c2VjcmV0"},"stringData":{"token":"t"}}`,
			`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"password":"b3RoZXI=","token":"dA=="}}`},
		{`{"kind":"ConfigMap","data":{"a":"1"},"x":[1,2,{"name":"n"}],"y":null,"z":0}`, `{"kind":"ConfigMap","data":{"a":1},"x":[1]}`},
		{`{}`, `{}`},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, desiredJSON, liveJSON string) {
		var desired, again, live map[string]any
		if json.Unmarshal([]byte(desiredJSON), &desired) != nil || json.Unmarshal([]byte(liveJSON), &live) != nil {
			return
		}
		if err := json.Unmarshal([]byte(desiredJSON), &again); err != nil {
			t.Fatal(err)
		}
		secret := desired["kind"] == "Secret"
		// A live Secret holds no stringData: the API server moves it
		// into data.
		if _, ok := desired["stringData"]; (!secret || !ok) && len(drift.Diff(desired, again)) != 0 {
			fields := drift.Diff(desired, again)
			t.Fatalf("an object differs from itself: %+v", fields)
		}
		for _, fd := range drift.Diff(desired, live) {
			if fd.Path == "" {
				t.Fatalf("a field without a path: %+v", fd)
			}
			for _, v := range []json.RawMessage{fd.Desired, fd.Live} {
				if v != nil && !json.Valid(v) {
					t.Fatalf("field %s: value %q is not JSON", fd.Path, v)
				}
			}
			if secret && andon.IsSecretDataPath(fd.Path) &&
				(!fd.Redacted || (fd.Desired != nil && string(fd.Desired) != `"(redacted)"`) || (fd.Live != nil && string(fd.Live) != `"(redacted)"`)) {
				t.Fatalf("shows a Secret's value: %+v", fd)
			}
		}
	})
}
