package main

import (
	"fmt"
	"os"
	"testing"
)

// TestMain lets a test re-execute this test binary as the andon command
// (ANDON_RUN_AS_COMMAND=1), to measure a server in a process of its own
// or to signal it, as main runs it.
func TestMain(m *testing.M) {
	if os.Getenv("ANDON_RUN_AS_COMMAND") == "1" {
		ctx, _ := signalContext()
		if os.Getenv("ANDON_TEST_SAY_READY") == "1" {
			fmt.Fprintln(os.Stderr, "signals caught")
		}
		os.Exit(run(ctx, append([]string{"andon"}, os.Args[1:]...), os.Getenv, os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}
