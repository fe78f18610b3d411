package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/client"
)

// completionTimeout bounds how long a shell completion waits for the
// server: a prompt must not hang on one that does not answer.
const completionTimeout = 2 * time.Second

// completionContext is the context of a completion's request to the
// server.
func completionContext(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithTimeout(ctx, completionTimeout)
}

// environmentCompletion completes the --env flag of a client command with
// the environments of the server's catalog, each described by its stage
// and plant. Without a server to ask, it offers nothing.
func (e *env) environmentCompletion(cmd *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return e.catalogCompletion(cmd, func(cat *andon.Catalog) (out []cobra.Completion) {
		for _, env := range cat.Environments {
			desc := string(env.Stage)
			if len(env.Plants) > 0 {
				desc += ", " + strings.Join(env.Plants, " ")
			}
			out = append(out, cobra.CompletionWithDesc(env.Name, oneLine(desc)))
		}
		return out
	})
}

// processCompletion completes the --process flag of a client command
// with the business processes of the server's catalog, each described by
// its tier and modules. Without a server to ask, it offers nothing.
func (e *env) processCompletion(cmd *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return e.catalogCompletion(cmd, func(cat *andon.Catalog) (out []cobra.Completion) {
		for _, p := range cat.Processes {
			desc := string(p.Tier)
			if len(p.Modules) > 0 {
				desc += ", " + strings.Join(p.Modules, " ")
			}
			out = append(out, cobra.CompletionWithDesc(p.Name, oneLine(desc)))
		}
		return out
	})
}

// plantCompletion completes the --plant flag of a client command with the
// plants of the server's catalog, each described by its time zone.
func (e *env) plantCompletion(cmd *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return e.catalogCompletion(cmd, func(cat *andon.Catalog) (out []cobra.Completion) {
		for _, p := range cat.Plants {
			out = append(out, cobra.CompletionWithDesc(p.Name, oneLine(p.Timezone)))
		}
		return out
	})
}

// namespaceCompletion completes the --namespace flag of a client command
// with the Kubernetes namespaces of the server's catalog's environments,
// as cluster/namespace and as namespace alone, each described by the
// environments it takes in: a namespace alone takes in those of that name
// in every cluster.
func (e *env) namespaceCompletion(cmd *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return e.catalogCompletion(cmd, func(cat *andon.Catalog) (out []cobra.Completion) {
		var names []string
		envs := map[string][]string{}
		add := func(name, env string) {
			if _, ok := envs[name]; !ok {
				names = append(names, name)
			}
			envs[name] = append(envs[name], env)
		}
		for _, env := range cat.Environments {
			k := env.Kubernetes
			if k.Namespace == "" {
				continue
			}
			if k.Cluster != "" {
				add(k.Cluster+"/"+k.Namespace, env.Name)
			}
			add(k.Namespace, env.Name)
		}
		for _, n := range names {
			out = append(out, cobra.CompletionWithDesc(n, oneLine(strings.Join(envs[n], " "))))
		}
		return out
	})
}

// catalogCompletion completes a flag with what names reads from the
// server's catalog; without a server to ask, or when it does not answer
// within completionTimeout, it offers nothing.
func (e *env) catalogCompletion(cmd *cobra.Command, names func(*andon.Catalog) []cobra.Completion) ([]cobra.Completion, cobra.ShellCompDirective) {
	c, err := e.remote(cmd)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := completionContext(cmd)
	defer cancel()
	cat, err := c.Catalog(ctx)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return names(cat), cobra.ShellCompDirectiveNoFileComp
}

// changeCompletion completes the change ID of a command with the newest
// changes of the server (at most completedChanges of each state) that the
// command can act on: those in one of states (any state when there is
// none) that applies keeps (every one when it is nil), each described by
// its state and title.
func (e *env) changeCompletion(states []andon.State, applies func(*andon.Change) bool) cobra.CompletionFunc {
	return e.argCompletion(func(ctx context.Context, c *client.Client) ([]cobra.Completion, error) {
		filters := []andon.ChangeFilter{{Limit: completedChanges}}
		if len(states) > 0 {
			filters = nil
			for _, s := range states {
				filters = append(filters, andon.ChangeFilter{State: s, Limit: completedChanges})
			}
		}
		var changes []*andon.Change
		for _, f := range filters {
			page, _, err := c.Changes(ctx, f)
			if err != nil {
				return nil, err
			}
			changes = append(changes, page...)
		}
		// Newest first, as a listing is: the shell keeps the order.
		slices.SortStableFunc(changes, func(a, b *andon.Change) int { return b.CreatedAt.Compare(a.CreatedAt) })
		var out []cobra.Completion
		for _, ch := range changes {
			if applies == nil || applies(ch) {
				out = append(out, cobra.CompletionWithDesc(ch.ID, oneLine(string(ch.State)+": "+ch.Title)))
			}
		}
		return out, nil
	})
}

// argCompletion completes the one argument of a command with what list
// reads from the server, in its order; without a server to ask, or when
// it does not answer within completionTimeout, it offers nothing.
func (e *env) argCompletion(list func(ctx context.Context, c *client.Client) ([]cobra.Completion, error)) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		c, err := e.remote(cmd)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := completionContext(cmd)
		defer cancel()
		out, err := list(ctx, c)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveKeepOrder
	}
}

// requireFlag makes flag name of cmd, a command whose argument completes
// with IDs, required. Cobra's MarkFlagRequired would have the completion
// of the argument offer the flag before the IDs, so the flag is checked
// before the command runs instead, with the error of cobra's check
// (andon: missing --comment); it is offered once a "-" is typed, as any
// flag is.
func requireFlag(cmd *cobra.Command, name string) {
	pre := cmd.PreRunE
	cmd.PreRunE = func(c *cobra.Command, args []string) error {
		if !c.Flags().Changed(name) {
			return fmt.Errorf("required flag(s) %q not set", name)
		}
		if pre != nil {
			return pre(c, args)
		}
		return nil
	}
}

// statesTo returns the states from which a change may move to state to.
func statesTo(to andon.State) []andon.State {
	var from []andon.State
	for _, s := range andon.States {
		if andon.CanTransition(s, to) {
			from = append(from, s)
		}
	}
	return from
}

// completedChanges is how many of the newest changes a completion looks
// at.
const completedChanges = 100

// oneLine puts text on one line without control characters, as a
// completion's description must be.
func oneLine(text string) string {
	return strings.Join(strings.FieldsFunc(text, func(r rune) bool {
		return r == ' ' || andon.IsControl(r) || andon.IsBidiControl(r)
	}), " ")
}
