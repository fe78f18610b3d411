package policy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/google/go-cmp/cmp"
)

// The echo policies hand the input document back as JSON, so that the
// tests below can compare what a policy sees with what encoding/json makes
// of the same Go value.
var echo = map[string]string{
	"risk.rego": `package andon.risk

tier := "low"

reasons := [json.marshal(input)]

approvals := []
`,
	"gate.rego": `package andon.gate

allow := false

reasons := [{"code": "ECHO", "message": json.marshal(input)}]
`,
}

func TestInputMatchesJSON(t *testing.T) {
	dir := t.TempDir()
	mustWriteFiles(t, dir, echo)
	e := mustNew(t, dir)
	ctx := context.Background()

	// fill sets every field, so that a field the conversion forgets shows
	// up as a difference, whatever fields the root types gain later.
	var risk andon.RiskInput
	fill(reflect.ValueOf(&risk).Elem(), "risk")
	var gate andon.GateInput
	fill(reflect.ValueOf(&gate).Elem(), "gate")

	// A minimal input leaves out what may be left out: nil pointers and
	// empty lists, which the policy sees as null and [] respectively.
	minimal := gateInput(func(in *andon.GateInput) {
		in.Change.Window = nil
		in.Change.RollbackPlan = ""
		in.Change.Approvals = nil
		in.Change.Facts = andon.Facts{}
		in.Environment = &andon.Environment{Name: "sandbox", Stage: andon.StageDevelopment}
		in.Promotion = nil
	})

	tests := []struct {
		name string
		in   any
	}{
		{"risk, every field set", &risk},
		{"gate, every field set", &gate},
		{"risk, realistic", riskInput(prodLyon, andon.ChangeNormal, andon.Facts{Migration: true}, "production")},
		{"gate, realistic", gateInput(func(in *andon.GateInput) { in.Calendar.Active = []andon.Occurrence{monthEndClose} })},
		{"gate, minimal", minimal},
		{"gate, no change", gateInput(func(in *andon.GateInput) { in.Change = nil })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var echoed string
			switch in := tt.in.(type) {
			case *andon.RiskInput:
				d, err := e.Risk(ctx, in)
				if err != nil {
					t.Fatal(err)
				}
				echoed = d.Reasons[0]
			case *andon.GateInput:
				d, err := e.Gate(ctx, in)
				if err != nil {
					t.Fatal(err)
				}
				echoed = d.Reasons[0].Message
			}
			var got any
			if err := json.Unmarshal([]byte(echoed), &got); err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			var want any
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			// The evidence of a change's facts is left out of the input on
			// purpose: it is for people, and no rule needs it.
			if facts, ok := dig(want, "change", "facts").(map[string]any); ok {
				delete(facts, "evidence")
			}
			if diff := cmp.Diff(nullsAsEmptyLists(want, got), got); diff != "" {
				t.Errorf("input seen by the policy (-encoding/json +got):\n%s", diff)
			}
		})
	}
}

// nullsAsEmptyLists returns want with every null replaced by [] where got
// holds an empty array: the one documented difference from encoding/json.
func nullsAsEmptyLists(want, got any) any {
	switch w := want.(type) {
	case nil:
		if g, ok := got.([]any); ok && len(g) == 0 {
			return []any{}
		}
	case map[string]any:
		g, _ := got.(map[string]any)
		out := make(map[string]any, len(w))
		for k, v := range w {
			out[k] = nullsAsEmptyLists(v, g[k])
		}
		return out
	case []any:
		g, _ := got.([]any)
		out := make([]any, len(w))
		for i, v := range w {
			var gv any
			if i < len(g) {
				gv = g[i]
			}
			out[i] = nullsAsEmptyLists(v, gv)
		}
		return out
	}
	return want
}

var timeType = reflect.TypeFor[time.Time]()

// fill sets every exported field below v to a value that differs from its
// zero value and from its siblings; path makes strings unique. Instants
// carry nanoseconds and a zone offset, so that their format is checked too.
func fill(v reflect.Value, path string) {
	switch {
	case v.Type() == timeType:
		v.Set(reflect.ValueOf(time.Date(2026, 11, 29, 3, 4, 5, 123456789, paris).Add(time.Duration(len(path)) * time.Minute)))
		return
	case v.Type() == reflect.TypeFor[time.Duration]():
		v.SetInt(int64(len(path)) * int64(time.Second))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(path)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(len(path)))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), path)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(v.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		for i := range 2 {
			k := reflect.New(v.Type().Key()).Elem()
			fill(k, fmt.Sprintf("%s{key %d}", path, i))
			e := reflect.New(v.Type().Elem()).Elem()
			fill(e, fmt.Sprintf("%s{%d}", path, i))
			v.SetMapIndex(k, e)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() || f.Tag.Get("json") == "-" {
				continue
			}
			fill(v.Field(i), path+"."+f.Name)
		}
	default:
		panic(fmt.Sprintf("fill: %s has kind %s", path, v.Kind()))
	}
}

// dig returns the value at path in nested JSON objects, or nil.
func dig(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
