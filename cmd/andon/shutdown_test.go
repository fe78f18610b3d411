package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// TestShutdownTimeout stops a server while a gate request is in flight,
// its body never finished: the server waits for it as long as
// --shutdown-timeout says, and no longer, so that a Pod's grace period
// can be made to hold it.
func TestShutdownTimeout(t *testing.T) {
	s := MustServe(t, t.TempDir(), "--shutdown-timeout", "1s")
	u, err := url.Parse(s.url)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The headers and the first byte of a body of 100: the handler reads
	// the rest, which never comes.
	fmt.Fprintf(conn, "POST /api/v1/gate HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{", u.Host, s.tokens["alice"])
	// A connection whose request is being read, or is about to be, is
	// waited for alike.
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	code := s.stop()
	elapsed := time.Since(start)
	if elapsed < time.Second || elapsed > 8*time.Second {
		t.Errorf("the server stopped %v after it was told to, with a request in flight; want about 1s (--shutdown-timeout)", elapsed.Round(time.Millisecond))
	}
	if code == 0 || !strings.Contains(s.logs.String(), "requests still in flight 1s after the server was told to stop were cut off (--shutdown-timeout)") {
		t.Errorf("exit %d; want a failure, and the log to say the requests in flight were cut off; logs:\n%s", code, s.logs.String())
	}
	// And the connection is closed, not left to hang.
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Read(make([]byte, 512)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("read from the connection cut off: %v; want it closed", err)
	}
}

// TestCleanShutdownIsLogged stops a server that has answered a gate
// request: it exits 0, and its log says it stopped once every request in
// flight was answered, after it said it was shutting down, so that a log
// that ends at "shutting down" tells of a process killed before it drained.
func TestCleanShutdownIsLogged(t *testing.T) {
	s := MustServe(t, t.TempDir())
	if status, body := gateStatus(t, s, "registry.example.com/odoo@sha256:"+strings.Repeat("ab", 32)); status != 200 && status != 403 {
		t.Fatalf("gate: %d %s", status, body)
	}
	if code := s.stop(); code != 0 {
		t.Fatalf("exit %d after SIGTERM; logs:\n%s", code, s.logs.String())
	}
	logs := s.logs.String()
	shutting := strings.Index(logs, "shutting down")
	stopped := strings.Index(logs, "stopped serving: every request in flight was answered")
	if shutting < 0 || stopped < shutting {
		t.Errorf("the log does not say it stopped serving after it said it was shutting down:\n%s", logs)
	}
}
