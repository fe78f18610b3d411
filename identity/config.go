package identity

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/internal/yamlerr"
)

// Config is the authentication configuration of andon serve
// (--auth-config), in the spirit of Kubernetes' AuthenticationConfiguration:
// the OpenID Connect issuers whose tokens authenticate users.
type Config struct {
	OIDC []Issuer `yaml:"oidc"`
}

// Issuer is an OpenID Connect issuer whose tokens andon accepts.
type Issuer struct {
	// Issuer is the issuer's URL, its tokens' iss claim: https, or http
	// on a loopback address only.
	Issuer string `yaml:"issuer"`
	// Audiences are the aud values of which a token must hold one.
	Audiences []string `yaml:"audiences"`
	// Username names the user of a token: Prefix followed by the value
	// of the claim Claim.
	Username Username `yaml:"username"`
	// Require holds claims that a token must have, with these values
	// exactly (a GitHub Actions token's ref, say).
	Require map[string]string `yaml:"require"`
	// ReadOnly makes the users of this issuer read-only
	// (andon.User.ReadOnly).
	ReadOnly bool `yaml:"readOnly"`
	// Board, when set, offers this issuer on the board's sign-in page.
	Board *Board `yaml:"board"`
}

// Username says which claim names the user of a token, and the prefix
// put before it.
type Username struct {
	Claim  string `yaml:"claim"`
	Prefix string `yaml:"prefix"`
}

// Board is the OAuth client through which people sign in to the board.
type Board struct {
	ClientID string `yaml:"clientID"`
	// ClientSecretFile holds the client's secret. It is read at each
	// code exchange, so that a rotated secret applies without a restart.
	ClientSecretFile string `yaml:"clientSecretFile"`
	// DisplayName is what the sign-in button says: "Sign in with …". The
	// issuer's host when empty.
	DisplayName string `yaml:"displayName"`
}

// HasBoard reports whether the configuration offers a provider on the
// board's sign-in page, which then needs the server's public URL for its
// redirect.
func (c *Config) HasBoard() bool {
	for _, iss := range c.OIDC {
		if iss.Board != nil {
			return true
		}
	}
	return false
}

// Errors are the problems of a configuration file, each naming the file
// and the field.
type Errors []string

func (e Errors) Error() string { return strings.Join(e, "\n") }

// unknownField rewrites yaml.v3's message of a field the strict decoder
// does not know, which names a Go type, in the words of the file.
var unknownField = regexp.MustCompile(`field (\S+) not found in type \S+`)

// LoadConfig reads and checks the configuration file at path, and gives
// every problem at once (Errors), each as "FILE: oidc[1].audiences:
// required". Unknown fields are refused.
func LoadConfig(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, Errors{fmt.Sprintf("%s: %v", path, errors.Unwrap(err))}
	}
	name := filepath.Base(path)
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		if te := (*yaml.TypeError)(nil); errors.As(err, &te) {
			// yaml.v3 decodes the rest of the file around the fields it
			// refuses: its problems are given too, all at once.
			var errs Errors
			for _, e := range te.Errors {
				errs = append(errs, name+": "+unknownField.ReplaceAllString(e, "field $1 is not known"))
			}
			return nil, append(errs, c.check(name)...)
		}
		line, problem := yamlerr.Parse(err, src)
		return nil, Errors{fmt.Sprintf("%s: line %d: %s", name, line, problem)}
	}
	if errs := c.check(name); len(errs) > 0 {
		return nil, errs
	}
	return &c, nil
}

// check returns every problem of c, for the file name.
func (c *Config) check(name string) Errors {
	var errs Errors
	add := func(field, format string, args ...any) {
		errs = append(errs, fmt.Sprintf("%s: %s: %s", name, field, fmt.Sprintf(format, args...)))
	}
	if len(c.OIDC) == 0 {
		add("oidc", "required: give at least one issuer")
	}
	seen := map[string]int{}
	var prefixes []string // the prefixes given, each issuer's at its index
	for i, iss := range c.OIDC {
		at := fmt.Sprintf("oidc[%d]", i)
		if msg := checkIssuerURL(iss.Issuer); msg != "" {
			add(at+".issuer", "%s", msg)
		} else if j, ok := seen[iss.Issuer]; ok {
			add(at+".issuer", "%s is given already in oidc[%d]", iss.Issuer, j)
		} else {
			seen[iss.Issuer] = i
		}
		if len(iss.Audiences) == 0 {
			add(at+".audiences", "required")
		}
		for k, aud := range iss.Audiences {
			if strings.TrimSpace(aud) == "" {
				add(fmt.Sprintf("%s.audiences[%d]", at, k), "empty")
			}
		}
		if iss.Username.Claim == "" {
			add(at+".username.claim", "required: the claim that names the user, such as email or repository")
		}
		if p := iss.Username.Prefix; p != "" {
			// A prefix that no name could follow is refused now rather
			// than with every token.
			if err := andon.CheckUserName(p + "x"); err != nil {
				add(at+".username.prefix", "%s", andon.ErrorMessage(err))
			}
			// Two issuers whose prefixes could start the same name
			// would name two pipelines, or two organizations', alike:
			// one would hold the other's Teams and changes.
			for j, q := range prefixes {
				if q != "" && (strings.HasPrefix(p, q) || strings.HasPrefix(q, p)) {
					add(at+".username.prefix", "%q and the prefix %q of oidc[%d] could start the same user name: give each issuer a prefix of its own, such as github: and gitlab:", p, q, j)
					break
				}
			}
		}
		if pins, ok := sharedIssuers[strings.TrimSuffix(iss.Issuer, "/")]; ok && !slices.ContainsFunc(pins.claims, func(c string) bool { return iss.Require[c] != "" }) {
			add(at+".require", "%s gives tokens to the pipelines of every %s, for whatever audience they ask: require one of %s, as {%s: acme}, or anyone's pipeline signs in", iss.Issuer, pins.what, orList(pins.claims), pins.claims[0])
		}
		prefixes = append(prefixes, iss.Username.Prefix)
		for claim, want := range iss.Require {
			if claim == "" {
				add(at+".require", "a claim without a name")
			}
			if want == "" {
				add(at+".require."+claim, "empty: give the value the claim must have")
			}
		}
		if b := iss.Board; b != nil {
			switch {
			case b.ClientID == "" && b.ClientSecretFile == "":
				add(at+".board", "clientID and clientSecretFile: required")
			case b.ClientID == "":
				add(at+".board.clientID", "required with clientSecretFile")
			case b.ClientSecretFile == "":
				add(at+".board.clientSecretFile", "required with clientID")
			default:
				if _, err := readSecret(b.ClientSecretFile); err != nil {
					add(at+".board.clientSecretFile", "%s", err)
				}
			}
		}
	}
	return errs
}

// sharedIssuers are the issuers that give tokens to anyone's pipelines:
// a workflow of any repository on GitHub, a job of any project on
// gitlab.com, asks for a token with the audience it likes. Such an
// issuer's tokens name its users only if require pins the owner, with
// one of claims; a token of another owner is then refused.
var sharedIssuers = map[string]sharedIssuer{
	"https://token.actions.githubusercontent.com": {what: "repository on GitHub", claims: []string{"repository_owner", "repository_owner_id", "repository", "repository_id"}},
	"https://gitlab.com":                          {what: "project on gitlab.com", claims: []string{"namespace_path", "namespace_id", "project_path", "project_id"}},
}

type sharedIssuer struct {
	what   string
	claims []string
}

// orList joins items as a sentence does: "a, b or c".
func orList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// checkIssuerURL says what is wrong with an issuer's URL, or "".
func checkIssuerURL(issuer string) string {
	if issuer == "" {
		return "required"
	}
	u, err := url.Parse(issuer)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		return fmt.Sprintf("%q is not an absolute URL", issuer)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return fmt.Sprintf("%q has a query, a fragment or credentials, which an issuer's URL has not", issuer)
	case u.Scheme == "https":
		return ""
	case u.Scheme == "http" && loopback(u.Hostname()):
		return ""
	case u.Scheme == "http":
		return fmt.Sprintf("%q is not https: a token's keys fetched over plain HTTP could be anyone's (http is taken on a loopback address only, for tests)", issuer)
	}
	return fmt.Sprintf("%q is not an https URL", issuer)
}

// loopback reports whether host is localhost or a loopback address.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// readSecret reads a client secret file, without the white space that
// ends it.
func readSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("cannot read %s: %v", path, errors.Unwrap(err))
	}
	secret := strings.TrimSpace(string(b))
	if secret == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return secret, nil
}
