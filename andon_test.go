package andon_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
)

func TestBearerExpiresSoon(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	tests := []struct {
		name             string
		created, expires time.Time
		rotated          bool
		want             bool
	}{
		{"never expires", now.Add(-100 * day), time.Time{}, false, false},
		{"90 days, 20 left", now.Add(-70 * day), now.Add(20 * day), false, false},
		{"90 days, 13 left", now.Add(-77 * day), now.Add(13 * day), false, true},
		{"90 days, an hour left", now.Add(-90*day + time.Hour), now.Add(time.Hour), false, true},
		{"90 days, just under two weeks left", now.Add(-76 * day), now.Add(14*day - time.Second), false, true},
		{"90 days, two weeks left", now.Add(-76 * day), now.Add(14 * day), false, false},
		{"made for 14 days exactly", now, now.Add(14 * day), false, false},
		{"made for 12 hours, an hour left", now.Add(-11 * time.Hour), now.Add(time.Hour), false, false},
		{"90 days, rotated, its overlap ends in a day", now.Add(-77 * day), now.Add(day), true, false},
	}
	for _, tt := range tests {
		b := andon.Bearer{User: "ci-lyon", CreatedAt: tt.created, ExpiresAt: tt.expires, Rotated: tt.rotated}
		if got := b.ExpiresSoon(now); got != tt.want {
			t.Errorf("%s: ExpiresSoon = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCheckUserName(t *testing.T) {
	for _, name := range []string{"alice", "jean.dupont@plant-lyon.example", "ops-ci", "Zoë", `LYON\jdupont`, "o'brien", "李雷", "می\u200cخواهم", strings.Repeat("a", andon.MaxUserNameLength)} {
		if err := andon.CheckUserName(name); err != nil {
			t.Errorf("CheckUserName(%q) = %v; want nil", name, err)
		}
	}
	for _, tt := range []struct{ name, want string }{
		{"", "required"},
		{" ", `" " holds U+0020`},
		{"alice ", `"alice " holds U+0020`},
		{"jean dupont", `holds U+0020`},
		{"a\nb", `holds U+000A`},
		{"a\x1b[31mb", `holds U+001B`},
		{"ali\u202ece", `holds U+202E`},
		{"a\u200bb", `holds U+200B`},
		{"\xff", "is not valid UTF-8"},
		{"andon", "the name the audit log records andon's own actions under"},
		{"admin", "the name the audit log records andon's own actions under"},
		{"Andon", "the name the audit log records andon's own actions under"},
		{"\u200dalice", "holds U+200D"},
		{strings.Repeat("a", andon.MaxUserNameLength+1), "129 bytes long, longer than 128"},
	} {
		err := andon.CheckUserName(tt.name)
		if andon.ErrorCode(err) != andon.EINVALID || !strings.Contains(andon.ErrorMessage(err), tt.want) {
			t.Errorf("CheckUserName(%q) = %v; want invalid, %q", tt.name, err, tt.want)
		}
	}
}

func TestLogDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want float64
	}{
		{1843220 * time.Nanosecond, 1.843},
		{2 * time.Second, 2000},
		{999 * time.Nanosecond, 0},
	}
	for _, tt := range tests {
		a := andon.LogDuration(tt.d)
		if a.Key != "duration_ms" || a.Value.Kind() != slog.KindFloat64 || a.Value.Float64() != tt.want {
			t.Errorf("LogDuration(%v) = %v %v, want duration_ms=%v, a number", tt.d, a.Key, a.Value, tt.want)
		}
	}
}

func TestParseTokenOverlap(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		message string
	}{
		{"24h", 24 * time.Hour, ""},
		{"2d", 48 * time.Hour, ""},
		{"0", 0, ""},
		{"30d", 30 * 24 * time.Hour, ""},
		{"-1h", 0, `"-1h": negative`},
		{"31d", 0, `"31d": longer than the 30 days a rotated token may go on working`},
		{"soon", 0, `"soon": want a duration such as 24h or 2d`},
		{"", 0, `"": want a duration`},
	}
	for _, tt := range tests {
		got, err := andon.ParseTokenOverlap(tt.in)
		switch {
		case tt.message == "" && (err != nil || got != tt.want):
			t.Errorf("ParseTokenOverlap(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
		case tt.message != "" && (andon.ErrorCode(err) != andon.EINVALID || !strings.Contains(andon.ErrorMessage(err), tt.message)):
			t.Errorf("ParseTokenOverlap(%q): %v; want invalid, %q", tt.in, err, tt.message)
		}
	}
}
