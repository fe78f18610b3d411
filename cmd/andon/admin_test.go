package main

import (
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
)

// TestParseExpiry reads token create's --expires: durations from now and
// times, each to the next whole second in UTC; what is not in the future,
// or cannot be read, is refused with the flag's value.
func TestParseExpiry(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 15, 30, 250_000_000, time.UTC)
	for _, tt := range []struct {
		v       string
		want    time.Time
		wantErr string
	}{
		{v: ""}, // never
		{v: "90d", want: time.Date(2027, 2, 25, 10, 15, 31, 0, time.UTC)},
		{v: "12h", want: time.Date(2026, 11, 27, 22, 15, 31, 0, time.UTC)},
		{v: "1ns", want: time.Date(2026, 11, 27, 10, 15, 31, 0, time.UTC)},
		{v: "2027-03-01T00:00:00+02:00", want: time.Date(2027, 2, 28, 22, 0, 0, 0, time.UTC)},
		{v: "2027-03-01T00:00:00.123456789Z", want: time.Date(2027, 3, 1, 0, 0, 1, 0, time.UTC)},
		{v: "2027-03-01", want: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)},
		{v: "-1h", wantErr: `--expires "-1h": give a lifetime (90d, 12h) or a time to come, not a negative duration`},
		{v: "0s", wantErr: `--expires "0s": a token must live longer than that`},
		{v: "9999-12-31T23:59:59-12:00", wantErr: `--expires: 9999-12-31T23:59:59-12:00 is outside the years andon reasons about, 1970 to 2199`},
		{v: "d", wantErr: `--expires "d": want a duration such as 90d or 12h`},
		{v: "999999999d", wantErr: `--expires "999999999d": longer than andon counts; leave --expires out`},
		{v: "3 months", wantErr: `--expires "3 months": want a duration such as 90d or 12h, an RFC 3339 time`},
		{v: "2027-03-01T00:00:00", wantErr: `--expires "2027-03-01T00:00:00": give the time's zone too, such as 2027-03-01T00:00:00Z`},
		{v: "2026-11-27T10:15:30Z", wantErr: `--expires "2026-11-27T10:15:30Z": that time has passed`},
		{v: "2026-11-27", wantErr: `--expires "2026-11-27": that time has passed`},
	} {
		got, err := parseExpiry(tt.v, now)
		switch {
		case tt.wantErr != "" && !strings.Contains(andon.ErrorMessage(err), tt.wantErr):
			t.Errorf("parseExpiry(%q) = %v, %v; want error %q", tt.v, got, err, tt.wantErr)
		case tt.wantErr == "" && (err != nil || !got.Equal(tt.want) || (!got.IsZero() && got.Location() != time.UTC)):
			t.Errorf("parseExpiry(%q) = %v, %v; want %v", tt.v, got, err, tt.want)
		}
	}
}
