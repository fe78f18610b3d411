package main

import (
	"testing"
	"time"
)

func TestRoughly(t *testing.T) {
	for d, want := range map[time.Duration]string{
		13*24*time.Hour + 23*time.Hour: "13 days",
		2 * 24 * time.Hour:             "2 days",
		47*time.Hour + 59*time.Minute:  "47 hours",
		2 * time.Hour:                  "2 hours",
		119 * time.Minute:              "119 minutes",
		2 * time.Minute:                "2 minutes",
		time.Minute:                    "less than 2 minutes",
		-time.Minute:                   "less than 2 minutes", // this machine's clock ahead of the server's
	} {
		if got := roughly(d); got != want {
			t.Errorf("roughly(%s) = %q, want %q", d, got, want)
		}
	}
}
