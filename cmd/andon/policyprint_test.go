package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A print call of the policy's gate shows in andon serve's log, with the
// file and line of the call, at --log-level debug, and not at info.
func TestServeLogsPolicyPrintAtDebug(t *testing.T) {
	dir := t.TempDir()
	gate := filepath.Join(dir, "gate.rego")
	if err := os.WriteFile(gate, []byte(`package andon.gate

allow := false

reasons := [{"code": "PRINTED", "message": "denied after printing"}] if {
	print("gate saw", input.request.environment)
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		level string
		want  []map[string]any
	}{{
		level: "debug",
		want: []map[string]any{{
			"level": "DEBUG", "msg": "policy print", "package": "andon.gate", "file": gate, "line": 6.0,
			"decision": "gate", "environment": "staging-lyon", "image": imageRelease, "text": "gate saw staging-lyon",
		}},
	}, {
		level: "info",
	}} {
		t.Run(tc.level, func(t *testing.T) {
			s := MustServeOn(t, "sqlite", t.TempDir(), "--policy", dir, "--log-format", "json", "--log-level", tc.level)
			wantExit(t, s.as(t, "alice", "gate", "--env", "staging-lyon", "--image", imageRelease), 1, "PRINTED")
			var got []map[string]any
			for line := range strings.Lines(s.logs.String()) {
				var rec map[string]any
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Fatalf("log line %q: %v", line, err)
				}
				if rec["msg"] == "policy print" {
					delete(rec, "time")
					got = append(got, rec)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("policy print records (-want +got):\n%s", diff)
			}
		})
	}
}
