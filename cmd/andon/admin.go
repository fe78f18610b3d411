package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// Placeholders for the commands that work on the data directory; they are
// replaced by their real implementations.

func newServeCmd(e *env) *cobra.Command {
	return &cobra.Command{Use: "serve", Short: "Run the andon server", RunE: func(*cobra.Command, []string) error { return errors.New("not yet available") }}
}

func newDemoCmd(e *env) *cobra.Command {
	return &cobra.Command{Use: "demo", Short: "Run the server with the example manufacturer", RunE: func(*cobra.Command, []string) error { return errors.New("not yet available") }}
}

func newTokenCmd(e *env) *cobra.Command {
	return &cobra.Command{Use: "token", Short: "Manage API tokens"}
}

func newAuditCmd(e *env) *cobra.Command {
	return &cobra.Command{Use: "audit", Short: "Verify the audit log"}
}
