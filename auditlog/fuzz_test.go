package auditlog_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
)

// FuzzDecode checks that Decode never panics, that whatever it accepts
// encoding/json reads the same way, and that an accepted record encodes to
// a canonical record that is a fixed point of Decode and Encode.
func FuzzDecode(f *testing.F) {
	for i := range int64(8) {
		record, err := auditlog.Encode(i, t0.Add(time.Duration(i)*time.Hour), testEvent(i))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(record)
	}
	for _, s := range []string{
		``, `{}`, `[]`, `null`, `{"index":1}`,
		`{"actor":"a","data":[1,{"b":"}"}],"index":0,"time":"2025-01-02T03:04:05Z","type":"t"}`,
		`{"\u0061ctor":"\u0041\n","index":1,"time":"2025-01-02T03:04:05.5+01:00","type":"\/t","subject":""}`,
		`{"actor":"a","index":1,"time":"2025-01-02T03:04:05Z","type":"t","index":2}`,
		`{"actor":"\ud800","data":null,"index":9223372036854775807,"time":"9999-12-31T23:59:59.999999999Z","type":"t"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, record []byte) {
		e, err := auditlog.Decode(record)
		if err != nil {
			if code := andon.ErrorCode(err); code != andon.EINVALID {
				t.Fatalf("Decode error code %q, want %q: %v", code, andon.EINVALID, err)
			}
			return
		}

		var std andon.Entry
		if err := json.Unmarshal(record, &std); err != nil {
			t.Fatalf("Decode accepted %q, encoding/json did not: %v", record, err)
		}
		if std.Data != nil && string(std.Data) == "null" {
			std.Data = nil
		}
		if e.Index != std.Index || !e.Time.Equal(std.Time) || e.Type != std.Type || e.Actor != std.Actor ||
			e.Subject != std.Subject || !bytes.Equal(e.Data, std.Data) {
			t.Fatalf("Decode(%q) = %+v, encoding/json reads %+v", record, e, std)
		}

		ev := andon.Event{Type: e.Type, Actor: e.Actor, Subject: e.Subject}
		if e.Data != nil {
			ev.Data = e.Data
		}
		canonical, err := auditlog.Encode(e.Index, e.Time, ev)
		if err != nil {
			t.Fatalf("Encode of decoded %q: %v", record, err)
		}
		e2, err := auditlog.Decode(canonical)
		if err != nil {
			t.Fatalf("Decode of canonical %q: %v", canonical, err)
		}
		ev2 := andon.Event{Type: e2.Type, Actor: e2.Actor, Subject: e2.Subject}
		if e2.Data != nil {
			ev2.Data = e2.Data
		}
		again, err := auditlog.Encode(e2.Index, e2.Time, ev2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, canonical) {
			t.Fatalf("canonical record is not a fixed point:\n%s\n%s", canonical, again)
		}
	})
}

// FuzzValidJSON checks the JSON validator behind Decode against
// json.Valid.
func FuzzValidJSON(f *testing.F) {
	for _, s := range []string{
		``, ` `, `{}`, `[]`, ` { } `, `[1,2]`, `{"a":1,"b":[true,false,null]}`, `"\u00e9\n"`,
		`-0.5e+10`, `01`, `1.`, `.5`, `1e`, `-`, `[1,]`, `{"a"}`, `{"a":}`, `{,}`, `"\x"`, `"\u12"`,
		"\"\x01\"", `tru`, `nulls`, `[1 2]`, `{"a":1}}`, strings.Repeat("[", 70) + strings.Repeat("]", 70),
		strings.Repeat(`{"a":`, 70) + "1" + strings.Repeat("}", 70), strings.Repeat("[", 70) + strings.Repeat("]", 69),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := auditlog.ValidJSON(b), json.Valid(b); got != want {
			t.Fatalf("ValidJSON(%q) = %v, json.Valid says %v", b, got, want)
		}
	})
}

// FuzzCanonical checks the canonical form Encode reads in place against
// the one decoding by encoding/json gives, byte for byte: the audit log's
// records, and so its hashes, must not change with how they are made.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `null`, `true`, `-0.50e+10`, `""`, ` {"b":1, "a" : [ 2 , {"d":null,"c":false} ] } `,
		`{"a":1,"a":2}`, `{"b":1,"a":2,"b":3}`, `{"a":1,"\u0061":2}`, `{"\u00e9":1,"é":2,"e":3}`,
		`"<a&b>\u2028\u2029"`, `{"k\u003c":"\u00e9\u007f/"}`, `"\ud83d\ude00 \ud800 \\ \/ \b\f\n\r\t"`,
		"\"\xff\xfe\"", "{\"\xc0\":\"\xed\xa0\x80\"}", `[[[[1]]],[],{}]`, `{"":{"":[""]}}`,
		strings.Repeat("[", 300) + strings.Repeat("]", 300),
		strings.Repeat(`{"a":`, 300) + "1" + strings.Repeat("}", 300),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		want, err := auditlog.DecodedCanonical(b)
		if err != nil {
			return
		}
		got, ok := auditlog.AppendCanonical([]byte("prefix"), b)
		if !ok {
			if string(got) != "prefix" {
				t.Fatalf("AppendCanonical(%q) refused, and appended %q", b, got[len("prefix"):])
			}
			return
		}
		if string(got) != "prefix"+string(want) {
			t.Fatalf("AppendCanonical(%q) = %q, decoding gives %q", b, got[len("prefix"):], want)
		}
	})
}
