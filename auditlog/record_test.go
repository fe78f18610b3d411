package auditlog_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
	"github.com/google/go-cmp/cmp"
)

func TestEncode(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	type approval struct {
		Zeta  string  `json:"zeta"`
		Alpha int     `json:"alpha"`
		Ratio float64 `json:"ratio"`
	}
	tests := []struct {
		name  string
		index int64
		time  time.Time
		ev    andon.Event
		want  string
	}{{
		name: "minimal",
		time: t0,
		ev:   andon.Event{Type: "token.created", Actor: "ana"},
		want: `{"actor":"ana","index":0,"time":"2025-03-14T09:26:53.589793238Z","type":"token.created"}`,
	}, {
		name:  "time in UTC with all nine digits",
		index: 7,
		time:  time.Date(2025, 1, 2, 4, 5, 6, 0, paris),
		ev:    andon.Event{Type: "t", Actor: "a", Subject: "CHG-1"},
		want:  `{"actor":"a","index":7,"subject":"CHG-1","time":"2025-01-02T03:05:06.000000000Z","type":"t"}`,
	}, {
		name: "struct data keys sorted",
		time: t0,
		ev:   andon.Event{Type: "t", Actor: "a", Data: approval{Zeta: "z", Alpha: 1, Ratio: 0.5}},
		want: `{"actor":"a","data":{"alpha":1,"ratio":0.5,"zeta":"z"},"index":0,"time":"2025-03-14T09:26:53.589793238Z","type":"t"}`,
	}, {
		name: "raw data recanonicalised recursively, numbers as written",
		time: t0,
		ev: andon.Event{Type: "t", Actor: "a", Data: json.RawMessage(
			"{ \"b\" : [ {\"y\":1.50, \"x\":1e3} ],\n \"a\": -0, \"c\": null, \"d\": true }")},
		want: `{"actor":"a","data":{"a":-0,"b":[{"x":1e3,"y":1.50}],"c":null,"d":true},"index":0,"time":"2025-03-14T09:26:53.589793238Z","type":"t"}`,
	}, {
		name: "null data omitted",
		time: t0,
		ev:   andon.Event{Type: "t", Actor: "a", Data: (*approval)(nil)},
		want: `{"actor":"a","index":0,"time":"2025-03-14T09:26:53.589793238Z","type":"t"}`,
	}, {
		name: "empty data kept",
		time: t0,
		ev:   andon.Event{Type: "t", Actor: "a", Data: map[string]int{}},
		want: `{"actor":"a","data":{},"index":0,"time":"2025-03-14T09:26:53.589793238Z","type":"t"}`,
	}, {
		name: "strings escaped one way",
		time: t0,
		ev: andon.Event{Type: "t", Actor: "é\"\\\n\t\b\f\x01", Subject: "<a&b>\u2028\u2029",
			Data: map[string]string{"k<": "\u00e9\x7f/"}},
		want: `{"actor":"é\"\\\n\t\b\f\u0001","data":{"k\u003c":"é` + "\x7f" + `/"},"index":0,"subject":"\u003ca\u0026b\u003e\u2028\u2029","time":"2025-03-14T09:26:53.589793238Z","type":"t"}`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := auditlog.Encode(tt.index, tt.time, tt.ev)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("Encode (-want +got):\n%s", diff)
			}
			if !json.Valid(got) {
				t.Errorf("Encode = %s, not valid JSON", got)
			}
		})
	}
}

// TestEncodeCanonical checks that inputs that mean the same give the same
// bytes, however they were built.
func TestEncodeCanonical(t *testing.T) {
	type data struct {
		B []int           `json:"b"`
		A map[string]bool `json:"a"`
	}
	same := []any{
		data{B: []int{3, 1}, A: map[string]bool{"y": true, "x": false}},
		map[string]any{"a": map[string]any{"x": false, "y": true}, "b": []any{3, 1}},
		json.RawMessage(`{"b":[3,1],"a":{"y":true,"x":false}}`),
		json.RawMessage(" {\n\t\"a\" : {\"x\":false , \"y\":true},\"b\":[ 3,1 ] }\n"),
	}
	var want []byte
	for i, d := range same {
		// Repeat to catch any dependence on map iteration order.
		for range 20 {
			got, err := auditlog.Encode(42, t0, andon.Event{Type: "t", Actor: "a", Data: d})
			if err != nil {
				t.Fatal(err)
			}
			if want == nil {
				want = got
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("data %d: Encode = %s, want %s", i, got, want)
			}
		}
	}
	if bytes.ContainsAny(want, " \n\t") {
		t.Errorf("Encode = %s, has whitespace", want)
	}
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		name  string
		index int64
		time  time.Time
		ev    andon.Event
	}{
		{"negative index", -1, t0, andon.Event{Type: "t"}},
		{"empty type", 0, t0, andon.Event{Actor: "a"}},
		{"invalid UTF-8 actor", 0, t0, andon.Event{Type: "t", Actor: "\xff"}},
		{"invalid UTF-8 subject", 0, t0, andon.Event{Type: "t", Subject: "a\xc0"}},
		{"year beyond RFC 3339", 0, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), andon.Event{Type: "t"}},
		{"data that does not marshal", 0, t0, andon.Event{Type: "t", Data: make(chan int)}},
		{"invalid raw data", 0, t0, andon.Event{Type: "t", Data: json.RawMessage(`{"a":`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := auditlog.Encode(tt.index, tt.time, tt.ev); err == nil {
				t.Errorf("Encode = %s, want error", got)
			}
		})
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	for i := range int64(40) {
		ev := testEvent(i)
		ev.Actor += "\u2028<&>\"\n"
		when := t0.Add(time.Duration(i) * 1234567 * time.Microsecond)
		record, err := auditlog.Encode(i, when, ev)
		if err != nil {
			t.Fatal(err)
		}
		got, err := auditlog.Decode(record)
		if err != nil {
			t.Fatalf("Decode(%s): %v", record, err)
		}
		want := &andon.Entry{Index: i, Time: when, Type: ev.Type, Actor: ev.Actor, Subject: ev.Subject}
		if ev.Data != nil {
			want.Data = mustCanonicalData(t, ev.Data)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Decode(Encode(entry %d)) (-want +got):\n%s", i, diff)
		}

		// Encoding the decoded entry again gives the record back.
		again, err := auditlog.Encode(got.Index, got.Time, andon.Event{Type: got.Type, Actor: got.Actor, Subject: got.Subject, Data: got.Data})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, record) {
			t.Errorf("re-encoded entry %d:\n%s\nwant\n%s", i, again, record)
		}
	}
}

// mustCanonicalData returns the canonical JSON of data as Encode writes
// it: the "data" member of a record.
func mustCanonicalData(tb testing.TB, data any) json.RawMessage {
	tb.Helper()
	record, err := auditlog.Encode(0, t0, andon.Event{Type: "t", Data: data})
	if err != nil {
		tb.Fatal(err)
	}
	var m struct{ Data json.RawMessage }
	if err := json.Unmarshal(record, &m); err != nil {
		tb.Fatal(err)
	}
	return m.Data
}

func TestDecodeLenient(t *testing.T) {
	tests := []struct {
		name   string
		record string
		want   *andon.Entry
	}{{
		name:   "any order and whitespace",
		record: " {\n \"type\" : \"t\", \"time\":\"2025-01-02T03:04:05Z\" , \"index\": 3,\"actor\":\"\" }\n",
		want:   &andon.Entry{Index: 3, Time: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Type: "t"},
	}, {
		name:   "offset time returned in UTC",
		record: `{"actor":"a","index":0,"time":"2025-01-02T04:04:05.5+01:00","type":"t"}`,
		want:   &andon.Entry{Time: time.Date(2025, 1, 2, 3, 4, 5, 5e8, time.UTC), Type: "t", Actor: "a"},
	}, {
		name:   "escaped names and values",
		record: `{"\u0061ctor":"\u0041\n","index":1,"time":"2025-01-02T03:04:05Z","type":"\/t","subject":""}`,
		want:   &andon.Entry{Index: 1, Time: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Type: "/t", Actor: "A\n"},
	}, {
		name:   "null data is no data",
		record: `{"actor":"a","data":null,"index":0,"time":"2025-01-02T03:04:05Z","type":"t"}`,
		want:   &andon.Entry{Time: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Type: "t", Actor: "a"},
	}, {
		name:   "data kept raw",
		record: `{"actor":"a","data":[1, {"b":"}"}],"index":0,"time":"2025-01-02T03:04:05Z","type":"t"}`,
		want:   &andon.Entry{Time: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Type: "t", Actor: "a", Data: json.RawMessage(`[1, {"b":"}"}]`)},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := auditlog.Decode([]byte(tt.record))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decode (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	const ok = `"actor":"a","index":1,"time":"2025-01-02T03:04:05Z","type":"t"`
	tests := []struct {
		name   string
		record string
	}{
		{"empty", ``},
		{"not JSON", `{"actor":`},
		{"trailing garbage", `{` + ok + `} x`},
		{"not an object", `[` + ok + `]`},
		{"invalid UTF-8", `{` + ok + `,"subject":"` + "\xff" + `"}`},
		{"no index", `{"actor":"a","time":"2025-01-02T03:04:05Z","type":"t"}`},
		{"no actor", `{"index":1,"time":"2025-01-02T03:04:05Z","type":"t"}`},
		{"no time", `{"actor":"a","index":1,"type":"t"}`},
		{"no type", `{"actor":"a","index":1,"time":"2025-01-02T03:04:05Z"}`},
		{"empty type", `{"actor":"a","index":1,"time":"2025-01-02T03:04:05Z","type":""}`},
		{"negative index", `{"actor":"a","index":-1,"time":"2025-01-02T03:04:05Z","type":"t"}`},
		{"fractional index", `{"actor":"a","index":1.0,"time":"2025-01-02T03:04:05Z","type":"t"}`},
		{"exponent index", `{"actor":"a","index":1e2,"time":"2025-01-02T03:04:05Z","type":"t"}`},
		{"string index", `{"actor":"a","index":"1","time":"2025-01-02T03:04:05Z","type":"t"}`},
		{"index overflows", `{"actor":"a","index":9223372036854775808,"time":"2025-01-02T03:04:05Z","type":"t"}`},
		{"bad time", `{"actor":"a","index":1,"time":"2025-01-02 03:04:05Z","type":"t"}`},
		{"escaped time", `{"actor":"a","index":1,"time":"2025-01-02T03:04:05\u005a","type":"t"}`},
		{"time before year 0 in UTC", `{"actor":"a","index":1,"time":"0000-01-01T00:00:00+01:00","type":"t"}`},
		{"numeric time", `{"actor":"a","index":1,"time":1735787045,"type":"t"}`},
		{"numeric actor", `{"actor":1,"index":1,"time":"2025-01-02T03:04:05Z","type":"t"}`},
		{"null subject", `{` + ok + `,"subject":null}`},
		{"unknown member", `{` + ok + `,"extra":1}`},
		{"member in another case", `{"Actor":"a","index":1,"time":"2025-01-02T03:04:05Z","type":"t"}`},
		{"repeated member", `{` + ok + `,"index":2}`},
		{"repeated escaped member", `{` + ok + `,"\u0069ndex":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := auditlog.Decode([]byte(tt.record))
			if err == nil {
				t.Fatalf("Decode = %+v, want error", got)
			}
			if code := andon.ErrorCode(err); code != andon.EINVALID {
				t.Errorf("error code %q, want %q (%v)", code, andon.EINVALID, err)
			}
		})
	}
}

// TestRecordSurvivesMarshal checks that a record carried as a
// json.RawMessage, as in an evidence export, keeps its bytes: its hash
// depends on them.
func TestRecordSurvivesMarshal(t *testing.T) {
	record, err := auditlog.Encode(3, t0, andon.Event{
		Type: "t", Actor: "<script>&\u2028\u2029", Subject: "é\x00",
		Data: map[string]any{"html": "<b>&amp;</b>", "n": 1.5},
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(struct{ R json.RawMessage }{record})
	if err != nil {
		t.Fatal(err)
	}
	var in struct{ R json.RawMessage }
	if err := json.Unmarshal(out, &in); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(record), string(in.R)); diff != "" {
		t.Errorf("record after json.Marshal (-want +got):\n%s", diff)
	}
}
