package main

import (
	"io"
	"strings"
	"testing"
)

// TestNoControls: what a server sends (a title stored with terminal
// escapes before the server refused them) reaches a terminal without its
// control characters, tabs and line breaks kept.
func TestNoControls(t *testing.T) {
	var b strings.Builder
	w := noControls{&b}
	in := "ok\x1b[31mRED\x1b[0m\r\x00\u009bfake\tcell\nline ünïcode\r\nfrom a browser\nevil\u202etxt.exe \u200fRTL mark\n"
	if n, err := io.WriteString(w, in); n != len(in) || err != nil {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(in))
	}
	if want := "ok\uFFFD[31mRED\uFFFD[0m\uFFFD\uFFFD\uFFFDfake\tcell\nline ünïcode\nfrom a browser\nevil\uFFFDtxt.exe \u200fRTL mark\n"; b.String() != want {
		t.Errorf("wrote %q, want %q", b.String(), want)
	}
}

func TestCount(t *testing.T) {
	for _, tt := range []struct {
		n    int
		noun string
		want string
	}{
		{0, "entry", "0 entries"},
		{1, "entry", "1 entry"},
		{2, "entry", "2 entries"},
		{2, "key", "2 keys"},
		{2, "process", "2 processes"},
		{1, "file", "1 file"},
		{3, "file", "3 files"},
	} {
		if got := count(tt.n, tt.noun); got != tt.want {
			t.Errorf("count(%d, %q) = %q, want %q", tt.n, tt.noun, got, tt.want)
		}
	}
}
