package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
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

// andonOnPath returns the environment of a shell whose andon, found on
// its PATH, is this test binary run as the andon command: for scripts the
// documents show, as a user would run them.
func andonOnPath(t *testing.T) []string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.Symlink(self, filepath.Join(bin, "andon")); err != nil {
		t.Fatal(err)
	}
	// Clipped, so that each caller's append makes a slice of its own.
	return slices.Clip(append(os.Environ(), "ANDON_RUN_AS_COMMAND=1", "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH")))
}
