package main

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/client"
)

// defaultServer is where a client command looks without --server or
// ANDON_SERVER: a server started with `andon serve` or `andon demo` on the
// same machine.
const defaultServer = "http://127.0.0.1:8080"

// remote returns a client of the server chosen by --server, ANDON_SERVER
// or the default, authenticated by --token or ANDON_TOKEN. It also checks
// -o, so that a command fails before it changes anything when its output
// could not be printed.
//
// The token is read from the environment at use rather than shown as the
// flag's default, which would print it in --help.
func (e *env) remote(cmd *cobra.Command) (*client.Client, error) {
	if _, err := checkOutput(cmd); err != nil {
		return nil, err
	}
	server, _ := cmd.Flags().GetString("server")
	from := "--server"
	if server == "" {
		server, from = e.getenv("ANDON_SERVER"), "ANDON_SERVER"
	}
	if server == "" {
		server, e.defaultServer = defaultServer, true
	}
	if err := checkServer(from, server); err != nil {
		return nil, err
	}
	token, _ := cmd.Flags().GetString("token")
	e.tokenFrom = "--token"
	if token == "" {
		token, e.tokenFrom = e.getenv("ANDON_TOKEN"), "ANDON_TOKEN"
	}
	// A token read from a file or pasted keeps its newline; no token has
	// white space of its own.
	token = strings.TrimSpace(token)
	e.noToken = token == ""
	e.jwt = andon.LooksLikeJWT(token)
	return client.New(server, token, client.WithUserAgent("andon-cli/"+andon.Version),
		client.WithTokenExpiry(e.warnExpiry)), nil
}

// checkServer refuses a server URL, read from from (--server or
// ANDON_SERVER), that the client cannot use, naming where it was read: a
// URL left in ANDON_SERVER by an earlier session is not on the command
// line. The URL is the server's, to which the client adds /api/v1 (as the
// examples of curl in docs/api.md add it to $ANDON_SERVER): one that holds
// it already, copied from such an example, would ask for
// /api/v1/api/v1/changes.
func checkServer(from, server string) error {
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return andon.Errorf(andon.EINVALID, "%s %q: want an http:// or https:// URL such as %s", from, server, defaultServer)
	}
	path := strings.TrimRight(u.Path, "/")
	if i := strings.Index(path+"/", "/api/v1/"); i >= 0 {
		u.Path, u.RawPath, u.RawQuery, u.Fragment = path[:i], "", "", ""
		return andon.Errorf(andon.EINVALID, "%s %q: give the server's own URL, %s, to which andon adds /api/v1", from, server, u)
	}
	return nil
}

// warnExpiry warns, on standard error, that the token expires at at: the
// server says so within andon.TokenExpiryNotice of it, in time to have a
// new one issued and put where the pipelines read it.
// ANDON_NO_EXPIRY_WARNING=1 silences it, for a pipeline that fails on any
// output on standard error.
func (e *env) warnExpiry(at time.Time) {
	if e.getenv("ANDON_NO_EXPIRY_WARNING") != "" || e.replacingToken {
		return
	}
	fmt.Fprintf(e.stderr, "andon: warning: the API token (%s) expires at %s, in %s: ask your platform team for a new one (andon token create --expires) before then, or replace it with andon token rotate --self\n",
		e.tokenFrom, at.UTC().Format(time.RFC3339), roughly(time.Until(at)))
}

// roughly says how long d is, in whole units of the largest that fits
// twice: "13 days", "40 hours", "25 minutes", "less than 2 minutes".
func roughly(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d >= 2*day:
		return fmt.Sprintf("%d days", d/day)
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", d/time.Hour)
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	return "less than 2 minutes"
}

// parseTime parses the RFC 3339 value of a flag.
func parseTime(flag, value string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, value)
	if err != nil {
		if err := zoneless(flag, value); err != nil {
			return time.Time{}, err
		}
		return time.Time{}, andon.Errorf(andon.EINVALID, "--%s %q: want an RFC 3339 time such as 2026-03-08T02:00:00+01:00", flag, value)
	}
	if err := andon.CheckTime("--"+flag, t); err != nil {
		return time.Time{}, err
	}
	return t, nil
}

// zoneless refuses value, given to --flag, when it is an RFC 3339 time
// but for its zone or its seconds (andon.TimeHint), saying so. Any other
// value is left to the caller's message.
func zoneless(flag, value string) error {
	if hint := andon.TimeHint(value); hint != "" {
		return andon.Errorf(andon.EINVALID, "--%s %q: %s", flag, value, hint)
	}
	return nil
}

// timeFlag returns the time given by an optional RFC 3339 flag, or the
// zero time when the flag is not set.
func timeFlag(cmd *cobra.Command, flag string) (time.Time, error) {
	v, _ := cmd.Flags().GetString(flag)
	if v == "" {
		return time.Time{}, nil
	}
	return parseTime(flag, v)
}
