// Command andon is the one binary of andon: the server and its admin
// commands, which work on the data directory, and the client commands,
// which talk to a server like kubectl does.
//
// Client commands exit 0 when done or allowed, 1 when policy denied or
// validation failed, and 2 when andon could not decide: bad input, an
// unreachable server, an internal error. The gate fails closed.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"

	// Time zones of plants must load on machines and images without
	// zoneinfo, such as a scratch container.
	_ "time/tzdata"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/andon-governance/andon"
)

func main() {
	ctx, stop := signalContext()
	code := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// signalContext returns a context that an interrupt or SIGTERM cancels,
// so that a server shuts down gracefully and a client abandons its
// request. A second signal stops the process at once, as if andon had not
// caught the first: the way out of a command stuck in a read that no
// context reaches (a pipe that stays open, a terminal) or of a shutdown
// that takes too long.
func signalContext() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}

// run executes the command line args (args[0] is the program name) and
// returns the exit code. Everything it touches of the outside world is
// passed in, so tests drive it in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{ctx: ctx, getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRootCmd(e)
	root.SetArgs(args[1:])
	cmd, err := root.ExecuteContextC(ctx)
	if misspelt, ok := misspeltCommand(root, cmd, args[1:], err); ok {
		err = misspelt
	} else if misspelt, ok := misspeltFlag(cmd, err); ok {
		err = misspelt
	}
	if names, ok := missingFlags(err); ok {
		err = &usageError{cmd: cmd, err: fmt.Errorf("missing %s", names)}
	}
	if logged := new(loggedError); errors.As(err, &logged) {
		return exitCode(err)
	}
	if msg := errorMessage(err); msg != "" {
		msg = flagForQuery(cmd, msg)
		unauthorized := andon.ErrorCode(err) == andon.EUNAUTHORIZED
		if unauthorized && e.noToken {
			msg = noTokenMessage
		}
		if xe := new(exitError); !errors.As(err, &xe) || !xe.shown {
			// The message may come from the server, or from whatever
			// answered in its place: it reaches the terminal as a
			// change's text does.
			fmt.Fprintf(noControls{stderr}, "andon: %s\n", msg)
		}
		switch {
		case unauthorized && !e.noToken && e.tokenFrom != "" && e.jwt:
			fmt.Fprintf(stderr, "The token was read from %s: a JWT of an OpenID Connect issuer, which the server verifies with its issuer (docs/identity.md).\n", e.tokenFrom)
		case unauthorized && !e.noToken && e.tokenFrom != "":
			fmt.Fprintf(stderr, "The token was read from %s; andon token create makes a new one (andon demo prints its own).\n", e.tokenFrom)
		}
		// Not reached, refused, or not andon at all: the server asked may
		// not be the one meant.
		if e.defaultServer && (unauthorized || andon.ErrorCode(err) == andon.EINTERNAL) {
			fmt.Fprintf(stderr, "The server asked was the default, %s: set ANDON_SERVER or --server to your andon server's URL.\n", defaultServer)
		}
	}
	var usage *usageError
	if errors.As(err, &usage) && usage.cmd != nil {
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", usage.cmd.CommandPath())
	}
	return exitCode(err)
}

// noTokenMessage replaces the server's refusal of a request sent without
// a token: the server speaks of HTTP headers, the command line's user
// needs to hear of the variable and the flag.
const noTokenMessage = "no API token was given: set ANDON_TOKEN or --token to one that andon token create printed (andon demo prints its own)"

// exitCodes is the one table from error codes to exit codes: 1 when andon
// decided against the request (policy, segregation of duties, state), 2
// when it could not decide. docs/api.md repeats it.
var exitCodes = map[string]int{
	andon.EFORBIDDEN:    1,
	andon.ECONFLICT:     1,
	andon.EINVALID:      2,
	andon.ENOTFOUND:     2,
	andon.EUNAUTHORIZED: 2,
	andon.EINTERNAL:     2,
}

// exitCode maps the error of a command to the process's exit code. A
// command that knows better (the gate, catalog validation) says so with an
// *exitError. Everything else that is not an *andon.Error is a usage error
// from cobra (a bad flag, a missing argument) or an unforeseen fault, and
// both mean andon could not decide.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var xe *exitError
	if errors.As(err, &xe) {
		return xe.code
	}
	var ae *andon.Error
	if errors.As(err, &ae) {
		if code, ok := exitCodes[ae.Code]; ok {
			return code
		}
	}
	return 2
}

// errorMessage returns what to print for err: the message of an
// *andon.Error, which is written for the user, or the text of any other
// error, which here comes from cobra's argument parsing.
func errorMessage(err error) string {
	var xe *exitError
	if errors.As(err, &xe) {
		err = xe.err
	}
	if err == nil {
		return ""
	}
	var ae *andon.Error
	if errors.As(err, &ae) {
		return andon.ErrorMessage(err)
	}
	return err.Error()
}

// flagForQuery names, in a server's message about a query parameter
// ("query parameter limit: 5000 is not between 1 and 1000"), the flag of
// cmd that set it ("--limit: …"): a client command's flags are sent as the
// query parameters of the same names. A message that starts with the name
// of a flag the command line set ("before: no change CHG-999", "duration:
// 400d is longer than …", from the services behind the parameters) is
// about that flag too.
func flagForQuery(cmd *cobra.Command, msg string) string {
	if cmd == nil {
		return msg
	}
	rest, query := strings.CutPrefix(msg, "query parameter ")
	name, tail, ok := strings.Cut(rest, ":")
	if !ok {
		return msg
	}
	if f := cmd.Flags().Lookup(name); f == nil || !query && !f.Changed {
		return msg
	}
	return "--" + name + ":" + tail
}

// unknownCommand is the error for name given to the command group c as a
// subcommand, with the closest subcommand's name.
func unknownCommand(c *cobra.Command, name string) error {
	msg := fmt.Sprintf("unknown command %q for %q", name, c.CommandPath())
	if c.SuggestionsMinimumDistance <= 0 {
		c.SuggestionsMinimumDistance = 2 // cobra's own default
	}
	if s := c.SuggestionsFor(name); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %q?", s[0])
	}
	return &usageError{cmd: c, err: errors.New(msg)}
}

// misspeltCommand returns the error that says so when args, refused by
// cmd for an unknown flag, name a subcommand cmd does not have: in
// "andon gat --env prod", the command is what is wrong, not the flag
// that only gate has.
func misspeltCommand(root, cmd *cobra.Command, args []string, err error) (error, bool) {
	var usage *usageError
	if cmd == nil || !cmd.HasSubCommands() || !errors.As(err, &usage) ||
		!strings.HasPrefix(usage.err.Error(), "unknown flag") && !strings.HasPrefix(usage.err.Error(), "unknown shorthand flag") {
		return nil, false
	}
	found, rest, ferr := root.Find(args)
	if ferr != nil || found != cmd {
		return nil, false
	}
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			// A subcommand cmd has is not misspelt: the flag is wrong.
			for _, sub := range cmd.Commands() {
				if sub.Name() == a || slices.Contains(sub.Aliases, a) {
					return nil, false
				}
			}
			return unknownCommand(cmd, a), true
		}
		if a == "--" {
			return nil, false
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		var f *pflag.Flag
		if strings.HasPrefix(a, "--") {
			f = cmd.Flags().Lookup(name)
		} else if len(name) == 1 {
			f = cmd.Flags().ShorthandLookup(name)
		}
		if f == nil {
			// An unknown flag before any command word is the mistake
			// itself ("andon --verbose change list").
			return nil, false
		}
		// A known flag's value is not a command: skip it.
		if !hasValue && f.NoOptDefVal == "" {
			i++
		}
	}
	return nil, false
}

// misspeltFlag returns err, cobra's refusal of an unknown long flag of
// cmd, with the flags of cmd it is most likely a misspelling of: "unknown
// flag: --evn; did you mean --env?".
func misspeltFlag(cmd *cobra.Command, err error) (error, bool) {
	var usage *usageError
	var unknown *pflag.NotExistError
	if cmd == nil || !errors.As(err, &usage) || !errors.As(err, &unknown) || unknown.GetSpecifiedName() == "" {
		return nil, false
	}
	name := unknown.GetSpecifiedName()
	var close []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden && andon.Resembles(name, f.Name) {
			close = append(close, "--"+f.Name)
		}
	})
	if len(close) == 0 {
		return nil, false
	}
	return &usageError{cmd: usage.cmd, err: fmt.Errorf("%w; did you mean %s?", usage.err, strings.Join(close, " or "))}, true
}

// usageError marks a mistake in the command line, so that run can point to
// the help of the command that was misused.
type usageError struct {
	cmd *cobra.Command
	err error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// newRootCmd builds the whole command tree.
func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "andon",
		Short: "Change governance for Odoo on Kubernetes",
		Long: `andon decides, explains and proves whether a change to an Odoo environment
may go ahead now: risk-tiered approvals, production calendars per plant,
policy as code and a tamper-evident audit log.

Client commands talk to an andon server (--server or ANDON_SERVER) with the
bearer token in ANDON_TOKEN. They exit 0 when done or allowed, 1 when denied
by policy or when validation failed, and 2 when andon could not decide.`,
		Version: andon.Version,
		// run prints errors once, in its own format, and usage only
		// on request: a failed gate call must not bury its reason in help.
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{cmd: cmd, err: err}
	})
	// Arguments left over at the root are an unknown command; accepting
	// them here lets markUsageErrors report it like any other group does.
	root.Args = cobra.ArbitraryArgs
	addClientFlags(root)

	auditCmd := newAuditCmd(e)
	addAuditClientCmds(auditCmd, e)
	root.AddCommand(
		newServeCmd(e),
		newDemoCmd(e),
		newTokenCmd(e),
		auditCmd,
		newCatalogCmd(e),
		newPolicyCmd(e),
		newChangeCmd(e),
		newFindingsCmd(e),
		newIncidentCmd(e),
		newAccessCmd(e),
		newBackupCmd(e),
		newGitHubCmd(e),
		newReportCmd(e),
		newGateCmd(e),
		newDriftCmd(e),
		newCalendarCmd(e),
		newWhoamiCmd(e),
		newBenchCmd(e),
		newKubeCmd(e),
		newOdooCmd(e),
	)
	// cobra adds its completion command when the command line runs, after
	// markUsageErrors would have seen it: added now, "andon completion
	// fsh" is refused as every other group's unknown subcommand is, with
	// the closest shell, rather than answered with help and exit code 0.
	root.InitDefaultCompletionCmd()
	if c, _, err := root.Find([]string{"completion"}); err == nil && c != root {
		c.Args = nil // cobra's NoArgs would say "unknown command" first, without the shell meant
	}
	refuseUnknownHelpTopics(root)
	markUsageErrors(root)
	// Commands that never ask a server, and their subcommands, do not list
	// the flags that name one in their help: token create takes no
	// --server. andon bench asks servers, but as the demo's users.
	hidden := func(path string) []string {
		if path == "andon token rotate" {
			return nil // --self asks the server
		}
		for _, offline := range []string{"andon serve", "andon demo", "andon token", "andon audit verify",
			"andon audit keygen", "andon catalog validate", "andon policy"} {
			if path == offline || strings.HasPrefix(path, offline+" ") {
				return []string{"server", "token"}
			}
		}
		if path == "andon bench" {
			return []string{"token"}
		}
		return nil
	}
	help := root.HelpFunc()
	root.SetHelpFunc(func(c *cobra.Command, args []string) {
		for _, name := range hidden(c.CommandPath()) {
			if f := root.PersistentFlags().Lookup(name); f != nil {
				f.Hidden = true
			}
		}
		help(c, args)
	})
	return root
}

// refuseUnknownHelpTopics makes andon help refuse a command it does not
// have, as andon itself does: cobra's help command prints the root's help
// and exits 0 for "andon help nope" (or "andon help change nope"), which
// reads as if the topic existed and hides the misspelling.
func refuseUnknownHelpTopics(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	help, _, err := root.Find([]string{"help"})
	if err != nil || help == root {
		return
	}
	help.Run = nil
	help.RunE = func(_ *cobra.Command, args []string) error {
		c := root
		for _, name := range args {
			sub := subcommand(c, name)
			if sub == nil {
				return unknownCommand(c, name)
			}
			c = sub
		}
		c.InitDefaultHelpFlag()
		c.InitDefaultVersionFlag()
		return c.Help()
	}
}

// subcommand returns the subcommand of c that name or an alias names, or
// nil.
func subcommand(c *cobra.Command, name string) *cobra.Command {
	for _, sub := range c.Commands() {
		if sub.Name() == name || slices.Contains(sub.Aliases, name) {
			return sub
		}
	}
	return nil
}

// missingFlags returns the flags that cobra's error err says are
// required and not set, as "--env and --image".
func missingFlags(err error) (string, bool) {
	rest, ok := strings.CutPrefix(fmt.Sprint(err), `required flag(s) "`)
	if err == nil || !ok {
		return "", false
	}
	rest = strings.TrimSuffix(rest, `" not set`)
	names := strings.Split(rest, `", "`)
	for i, n := range names {
		names[i] = "--" + n
	}
	if len(names) == 1 {
		return names[0], true
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1], true
}

// argsError says what arguments c wants, as its Use line names them
// ("show ID"), when cobra's own message only counts them.
func argsError(c *cobra.Command, got []string, err error) error {
	// The names are the upper-case words that follow the command's name,
	// up to the first flag or other notation.
	var words []string
	for _, w := range strings.Fields(c.Use)[1:] {
		if strings.ContainsFunc(w, func(r rune) bool { return r < 'A' || r > 'Z' }) {
			break
		}
		words = append(words, w)
	}
	if len(words) == 0 {
		// cobra.NoArgs calls an argument an unknown command, which a
		// command without subcommands cannot have: the argument is most
		// likely the value of a flag, such as odoo impact's --repo.
		if len(got) > 0 && !c.HasSubCommands() && strings.HasPrefix(err.Error(), "unknown command") {
			return fmt.Errorf("%s takes no arguments, only flags; got %s", c.CommandPath(), quoteAll(got))
		}
		return err
	}
	names := strings.Join(words, " ")
	if len(got) == 0 {
		return fmt.Errorf("missing %s: %s %s", names, c.CommandPath(), names)
	}
	return fmt.Errorf("want %s, got %d arguments (%s): %s %s", names, len(got), strings.Join(got, " "), c.CommandPath(), names)
}

// quoteAll quotes each of args, for a message: "a", "b c".
func quoteAll(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = strconv.Quote(a)
	}
	return strings.Join(q, ", ")
}

// markUsageErrors walks the tree so that argument errors are reported as
// usage errors, and so that a command group given an unknown subcommand
// fails instead of printing its help and exiting 0, which a script would
// take for success.
func markUsageErrors(cmd *cobra.Command) {
	if args := cmd.Args; args != nil {
		cmd.Args = func(c *cobra.Command, a []string) error {
			if err := args(c, a); err != nil {
				return &usageError{cmd: c, err: argsError(c, a, err)}
			}
			return nil
		}
	}
	if cmd.HasSubCommands() && cmd.Run == nil && cmd.RunE == nil {
		// The group runs only to report misuse; its usage line should
		// still read as a group's.
		cmd.DisableFlagsInUseLine = true
		cmd.RunE = func(c *cobra.Command, a []string) error {
			if len(a) == 0 {
				return c.Help()
			}
			return unknownCommand(c, a[0])
		}
	}
	for _, sub := range cmd.Commands() {
		markUsageErrors(sub)
	}
}
