package andon_test

import (
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
		want             bool
	}{
		{"never expires", now.Add(-100 * day), time.Time{}, false},
		{"90 days, 20 left", now.Add(-70 * day), now.Add(20 * day), false},
		{"90 days, 13 left", now.Add(-77 * day), now.Add(13 * day), true},
		{"90 days, an hour left", now.Add(-90*day + time.Hour), now.Add(time.Hour), true},
		{"90 days, just under two weeks left", now.Add(-76 * day), now.Add(14*day - time.Second), true},
		{"90 days, two weeks left", now.Add(-76 * day), now.Add(14 * day), false},
		{"made for 14 days exactly", now, now.Add(14 * day), false},
		{"made for 12 hours, an hour left", now.Add(-11 * time.Hour), now.Add(time.Hour), false},
	}
	for _, tt := range tests {
		b := andon.Bearer{User: "ci-lyon", CreatedAt: tt.created, ExpiresAt: tt.expires}
		if got := b.ExpiresSoon(now); got != tt.want {
			t.Errorf("%s: ExpiresSoon = %v, want %v", tt.name, got, tt.want)
		}
	}
}
