package policy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/policy"
	"github.com/google/go-cmp/cmp"
)

// printingGate is a gate of the policy directory that prints what it saw
// from a helper package's function, and on a line of its own.
const printingGate = `package andon.gate

import data.acme.lib

allow := true

reasons := [{"code": "OK", "message": "allowed"}] if {
	print("gate saw", input.request.environment, input.request.image)
	lib.seen(input.change.id)
}
`

const printingLib = `package acme.lib

seen(id) if {
	print("lib saw", id, input.missing)
}
`

// logRecords decodes the JSON records of buf.
func logRecords(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for line := range strings.Lines(buf.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		delete(rec, "time")
		recs = append(recs, rec)
	}
	return recs
}

func TestPrintGoesToDebugLog(t *testing.T) {
	dir := t.TempDir()
	mustWriteFiles(t, dir, map[string]string{"gate.rego": printingGate, "lib/lib.rego": printingLib})
	gateFile, libFile := filepath.Join(dir, "gate.rego"), filepath.Join(dir, "lib", "lib.rego")
	for _, tc := range []struct {
		level slog.Level
		want  []map[string]any
	}{{
		level: slog.LevelDebug,
		want: []map[string]any{{
			"level": "DEBUG", "msg": "policy print", "package": "andon.gate", "file": gateFile, "line": 8.0,
			"decision": "gate", "environment": "prod-lyon", "image": image,
			"text": "gate saw prod-lyon " + image,
		}, {
			"level": "DEBUG", "msg": "policy print", "package": "acme.lib", "file": libFile, "line": 4.0,
			"decision": "gate", "environment": "prod-lyon", "image": image,
			"text": "lib saw CHG-42 <undefined>",
		}},
	}, {
		level: slog.LevelInfo,
	}} {
		t.Run(tc.level.String(), func(t *testing.T) {
			var buf bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: tc.level}))
			e, err := policy.New(context.Background(), dir, policy.WithLogger(logger))
			if err != nil {
				t.Fatal(err)
			}
			d, err := e.Gate(context.Background(), gateInput(nil))
			if err != nil {
				t.Fatal(err)
			}
			if !d.Allow {
				t.Errorf("Gate: denied: %v", d.Reasons)
			}
			if diff := cmp.Diff(tc.want, logRecords(t, &buf)); diff != "" {
				t.Errorf("log (-want +got):\n%s", diff)
			}
			// A reload at the same level prints as the policy loaded at
			// start did.
			buf.Reset()
			if err := e.Reload(context.Background()); err != nil {
				t.Fatal(err)
			}
			if _, err := e.Gate(context.Background(), gateInput(nil)); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, logRecords(t, &buf)); diff != "" {
				t.Errorf("log after reload (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPrintInRiskDecision(t *testing.T) {
	dir := t.TempDir()
	mustWriteFiles(t, dir, map[string]string{
		"risk.rego": `package andon.risk

tier := "medium" if print("risk of", input.change.type)

reasons := ["printed"]

approvals := []
`,
	})
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e, err := policy.New(context.Background(), dir, policy.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Risk(context.Background(), riskInput(prodLyon, andon.ChangeNormal, andon.Facts{})); err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{{
		"level": "DEBUG", "msg": "policy print", "package": "andon.risk", "file": filepath.Join(dir, "risk.rego"), "line": 3.0,
		"decision": "risk", "environment": "prod-lyon", "text": "risk of normal",
	}}
	if diff := cmp.Diff(want, logRecords(t, &buf)); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

// The embedded bundle prints nothing, in any decision, even at DEBUG
// level.
func TestEmbeddedBundlePrintsNothing(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e, err := policy.New(context.Background(), "", policy.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Risk(context.Background(), riskInput(prodLyon, andon.ChangeNormal, andon.Facts{Migration: true}, "production")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Gate(context.Background(), gateInput(nil)); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "" {
		t.Errorf("log: got %q, want nothing", got)
	}
}

// At a level above DEBUG print calls are compiled out: their arguments
// are not evaluated, so that even one whose built-in fails changes
// nothing. At DEBUG they are evaluated, and such a failure fails the
// decision, as any failing built-in does.
func TestPrintArgumentsEvaluatedOnlyAtDebug(t *testing.T) {
	dir := t.TempDir()
	mustWriteFiles(t, dir, map[string]string{"gate.rego": `package andon.gate

allow := true

reasons := [{"code": "OK", "message": "allowed"}] if {
	print(to_number("not a number"))
}
`})
	for _, tc := range []struct {
		level   slog.Level
		wantErr string
	}{
		{slog.LevelInfo, ""},
		{slog.LevelDebug, "gate.rego:6"},
	} {
		t.Run(tc.level.String(), func(t *testing.T) {
			logger := slog.New(slog.NewJSONHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: tc.level}))
			e, err := policy.New(context.Background(), dir, policy.WithLogger(logger))
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.Gate(context.Background(), gateInput(nil))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("Gate: %v, want a decision", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("Gate: %v, want an error naming %s", err, tc.wantErr)
			}
		})
	}
}
