package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/auditlog"
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

// TestKeygenNeverReplacesAKey: andon audit keygen on a directory that
// holds a key, or only its verifier key (the key file deleted once it was
// in a Secret), is a conflict, exit 1, that names the file and what to do
// instead, and leaves the directory as it was.
func TestKeygenNeverReplacesAKey(t *testing.T) {
	data := t.TempDir()
	wantExit(t, runCLI(t, nil, "audit", "keygen", "--data", data), 0, auditlog.PubPath(data))
	pub, err := os.ReadFile(auditlog.PubPath(data))
	if err != nil {
		t.Fatal(err)
	}
	wantExit(t, runCLI(t, nil, "audit", "keygen", "--data", data), 1,
		"andon: "+auditlog.KeyPath(data)+" already exists, and a signing key is never replaced")
	wantExit(t, runCLI(t, nil, "audit", "keygen", "--data", data), 1, "Give the servers that key as it is, or give --data an empty directory")

	if err := os.Remove(auditlog.KeyPath(data)); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, nil, "audit", "keygen", "--data", data)
	wantExit(t, r, 1, "andon: "+auditlog.PubPath(data)+" already exists, without its signing key "+auditlog.KeyPath(data))
	wantExit(t, r, 1, "from its Secret or its backup, or give --data an empty directory")
	if _, err := os.Stat(auditlog.KeyPath(data)); err == nil {
		t.Errorf("a refused keygen made %s, which %s does not verify", auditlog.KeyPath(data), auditlog.PubPath(data))
	}
	if got, _ := os.ReadFile(auditlog.PubPath(data)); string(got) != string(pub) {
		t.Errorf("a refused keygen changed %s: %q, was %q", auditlog.PubPath(data), got, pub)
	}
}

// TestKeygenNeedsADirectory: a --data that is a file, or under one, is
// named with the flag and what is wrong with it, and exits 2.
func TestKeygenNeedsADirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	wantExit(t, runCLI(t, nil, "audit", "keygen", "--data", file), 2,
		"andon: --data "+file+": a file, not a directory: give the directory to make audit.key and audit.pub in")
	under := filepath.Join(file, "andon")
	wantExit(t, runCLI(t, nil, "audit", "keygen", "--data", under), 2,
		"andon: --data "+under+": cannot make the directory for the keys: not a directory\n")
}
