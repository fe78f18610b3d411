package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/andon-governance/andon"
)

// requestInfo is what the middleware learns about a request, shared by
// pointer through the context so that the request log, written on the way
// out, sees the user that authentication found on the way in.
type requestInfo struct {
	id    string // X-Request-Id
	route string // the matched path pattern, or unmatchedRoute
	user  string // the authenticated user, or ""
}

type infoKey struct{}

// infoFrom returns the requestInfo of ctx, or an empty one for a context
// that did not pass through instrument.
func infoFrom(ctx context.Context) *requestInfo {
	if info, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		return info
	}
	return &requestInfo{}
}

// unmatchedRoute labels requests that match no route, so that scanners
// probing random paths cannot grow the metrics without bound.
const unmatchedRoute = "unmatched"

// requestIDPattern is what an incoming X-Request-Id must look like to be
// reused. Anything else is replaced, so that a client cannot inject text
// into the logs.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// requestID returns the client's X-Request-Id when it is sensible, or a
// new random one.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); requestIDPattern.MatchString(id) {
		return id
	}
	return rand.Text()
}

// instrument is the outermost middleware. It gives each request an id,
// forbids content sniffing of every answer, answers unrouted requests with
// JSON errors, turns panics into 500s, and records every request in the
// log and the metrics. The route label is set by the route's own handler
// (labelled), so that the log, the metrics and the error messages all use
// the same pattern without routing twice.
func instrument(logger *slog.Logger, m *metrics, mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{id: requestID(r), route: unmatchedRoute}
		w.Header().Set("X-Request-Id", info.id)
		// Every answer is what its Content-Type says: a browser must not
		// take a feed or a plain-text answer for a script, which the UI's
		// Content-Security-Policy would allow from this origin.
		w.Header().Set("X-Content-Type-Options", "nosniff")
		r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
		rec := &statusRecorder{ResponseWriter: w}

		defer func() {
			v := recover()
			if v != nil && v != http.ErrAbortHandler {
				logger.ErrorContext(r.Context(), "panic",
					slog.String("request_id", info.id),
					slog.String("route", info.route),
					slog.Any("panic", v),
					slog.String("stack", string(debug.Stack())))
				// Once the status is out, the client will see a truncated
				// body; nothing better can be done.
				if rec.status == 0 {
					_ = encode(rec, http.StatusInternalServerError,
						&andon.Error{Code: andon.EINTERNAL, Message: internalMessageOf(r)})
				}
			}
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			// A whole answer of known length (encode's) leaves now, not
			// after the bookkeeping below: net/http would hold it until
			// the handler returns.
			if v == nil && rec.Header().Get("Content-Length") != "" {
				_ = http.NewResponseController(rec).Flush()
			}
			elapsed := time.Since(start)
			m.observeRequest(r.Method, info.route, status, elapsed)
			logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("method", r.Method),
				slog.String("path", LogPath(r.URL.Path)),
				slog.String("route", info.route),
				slog.Int("status", status),
				andon.LogDuration(elapsed),
				slog.String("user", info.user),
				// Who asked: a token refused again and again, or a
				// sign-in that fails, is traced to where it came from.
				// Behind a proxy this is the proxy, whose own log has
				// the rest; a forwarded header could be anyone's.
				slog.String("remote", r.RemoteAddr),
				slog.String("request_id", info.id))
			if v == http.ErrAbortHandler {
				// net/http aborts the connection quietly on this value.
				panic(v)
			}
		}()

		mux.ServeHTTP(rec, r)
	})
}

// tokenInPath finds what a request log must not keep of a path: an
// andon token (API, feed or session, told by its prefix) and the value of
// a token parameter, which a path holds when a client escaped the ? of
// a feed URL (calendar.ics%3Fenv=prod-lyon%26token=…) or put a token
// where an id goes. Tokens are URL-safe base64 after their prefix.
var tokenInPath = regexp.MustCompile(`(andon_|andonfeed_|andonsession_)[A-Za-z0-9_-]+|((?i:token)=)[^/&;]*`)

// redacted stands for a secret a log leaves out.
const redacted = "[redacted]"

// LogPath returns the path p as a log may record it: every token in it
// replaced by [redacted], its prefix kept to say which kind it was. The
// request log records a path without its query, which holds the feed's
// token; a token in the path itself comes from a client that misplaced
// it, and a log must not keep a secret whatever the client did. The web
// UI's logs record their paths through it too. p is the path as the
// router decoded it (r.URL.Path), once, whatever the case of the hex
// digits: a token escaped once is found there, and one escaped twice
// (%2561ndon_…) reaches every handler as that text, never as a token.
func LogPath(p string) string {
	if !strings.Contains(p, "andon") && !strings.Contains(strings.ToLower(p), "token=") {
		return p
	}
	return tokenInPath.ReplaceAllString(p, "${1}${2}"+redacted)
}

// labelled sets the route label of the request before h runs; route is
// the path part of the pattern, computed once at start.
func labelled(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		infoFrom(r.Context()).route = route
		h.ServeHTTP(w, r)
	})
}

// catchAll is the pattern of the handler that answers requests no route
// matches: the UI's, when there is one. apiCatchAll keeps the API's own
// unknown paths answered in JSON.
const (
	catchAll    = "/"
	apiCatchAll = "/api/"
)

// uiRoute labels the requests of the web UI in the log and the metrics.
const uiRoute = "/ (ui)"

// probeMethods are the methods tried to tell a path that exists under
// another method (405) from one that does not exist (404).
var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// apiServes is what the 404 of the API's listener says it serves.
const apiServes = "the API is described at /api/v1/openapi.json"

// notRouted answers a request that matches no route with a JSON error
// instead of ServeMux's plain-text one; a 404 says what the listener
// serves instead, in serves. A path that exists under other methods gets
// 405 with an Allow header, as HTTP requires; its body uses the code
// invalid because the request, not the path, is wrong.
func notRouted(w http.ResponseWriter, r *http.Request, mux *http.ServeMux, serves string) {
	allowed := allowedMethods(r, mux)
	if len(allowed) == 0 {
		_ = encode(w, http.StatusNotFound, andon.Errorf(andon.ENOTFOUND,
			"no route for %s %s; %s", r.Method, r.URL.Path, serves))
		return
	}
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	_ = encode(w, http.StatusMethodNotAllowed, andon.Errorf(andon.EINVALID,
		"method %s is not allowed on %s; use %s", r.Method, r.URL.Path, orList(allowed)))
}

// orList joins items as a sentence does: "GET, HEAD or POST".
func orList(items []string) string { return sentence(items, "or") }

// andList joins items as a sentence does: "GET, HEAD and POST".
func andList(items []string) string { return sentence(items, "and") }

func sentence(items []string, conjunction string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + conjunction + " " + items[len(items)-1]
}

// allowedMethods returns the methods of the routes of mux, other than the
// catch-alls, that r's path has.
func allowedMethods(r *http.Request, mux *http.ServeMux) []string {
	var allowed []string
	for _, method := range probeMethods {
		probe := r.Clone(r.Context())
		probe.Method = method
		if _, pattern := mux.Handler(probe); pattern != "" && pattern != catchAll && pattern != apiCatchAll {
			allowed = append(allowed, method)
		}
	}
	return allowed
}

// statusRecorder remembers the status a handler wrote, for the log, the
// metrics and the panic handler.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the first status written.
func (rec *statusRecorder) WriteHeader(status int) {
	if rec.status == 0 {
		rec.status = status
	}
	rec.ResponseWriter.WriteHeader(status)
}

// Write records the implicit 200 of a body written without a status.
func (rec *statusRecorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (rec *statusRecorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// authenticate resolves the bearer token of a request to a user, gives the
// user the roles the catalog in force grants, and passes the request on
// with the user in its context. Without a valid token it answers 401 with
// a WWW-Authenticate challenge (RFC 6750).
//
// A route open to feed tokens (feed) also takes one in the query
// parameter token instead of the header. A feed token opens nothing else,
// and an API token is refused in the query, where URLs are logged and
// shared. The request log records the path without the query, so the
// token stays out of it.
//
// A bearer token that is a JWT (andon.LooksLikeJWT) is verified by
// identity, with its issuer, and never looked up among andon's tokens: one
// of an issuer that is not configured is refused saying so. A JWT of an
// issuer that cannot be reached is a fault, a 503: the client tries again.
// The active grants of a JWT's user are read at each request, as a
// session's are.
func authenticate(ew errorWriter, tokens andon.TokenService, identity andon.IdentityService, catalog andon.CatalogSource, now func() time.Time, feed bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var (
			token string
			err   error
		)
		inQuery := false
		if feed {
			token, err = feedToken(r)
			inQuery = token != ""
		}
		if err == nil && !inQuery {
			token, err = bearerToken(r)
		}
		if err != nil {
			if andon.ErrorCode(err) == andon.EUNAUTHORIZED {
				w.Header().Set("WWW-Authenticate", `Bearer realm="andon"`)
			}
			ew.write(w, r, err)
			return
		}
		var b andon.Bearer
		switch {
		case inQuery:
			b.User, err = tokens.AuthenticateFeed(r.Context(), token)
		case andon.LooksLikeJWT(token):
			if identity == nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="andon", error="invalid_token"`)
				ew.write(w, r, andon.Errorf(andon.EUNAUTHORIZED, "the bearer token is a JWT, and this server verifies the tokens of no OpenID Connect issuer (andon serve --auth-config): use an API token (andon token create)"))
				return
			}
			b, err = identity.Verify(r.Context(), token)
			if andon.ErrorCode(err) == andon.EUNAUTHORIZED {
				w.Header().Set("WWW-Authenticate", `Bearer realm="andon", error="invalid_token"`)
			}
			if err != nil {
				ew.write(w, r, err)
				return
			}
			// The holder of an issuer's token holds the grants of its
			// user as the holder of an API token or a session does, so
			// that /api/v1/me and the roles of the request say what the
			// writes, which read them again, decide by.
			b.Grants, err = tokens.ActiveGrants(r.Context(), b.User)
		default:
			b, err = tokens.Authenticate(r.Context(), token)
		}
		invalid := err != nil || b.User == ""
		switch {
		case andon.ErrorCode(err) == andon.EINTERNAL:
			// A store that cannot answer says nothing about the token:
			// the client should retry, not get a new one.
			ew.write(w, r, fmt.Errorf("authenticate: %w", err))
			return
		case invalid && inQuery:
			w.Header().Set("WWW-Authenticate", `Bearer realm="andon", error="invalid_token"`)
			why := "it is unknown, was revoked, or is not a feed token"
			if expired := (*andon.ExpiredTokenError)(nil); errors.As(err, &expired) {
				why = WhyNotValid(err) + ", with the API token it was asked for with"
			}
			ew.write(w, r, andon.Errorf(andon.EUNAUTHORIZED, "the feed token is not valid: %s (get one with POST /api/v1/me/feed-token)", why))
			return
		case invalid && strings.HasPrefix(token, andon.FeedTokenPrefix):
			w.Header().Set("WWW-Authenticate", `Bearer realm="andon", error="invalid_token"`)
			ew.write(w, r, andon.Errorf(andon.EUNAUTHORIZED, "the bearer token is a calendar feed token (%s…), which opens only the calendar feed, in its URL: use an API token (andon token create)", andon.FeedTokenPrefix))
			return
		case invalid:
			w.Header().Set("WWW-Authenticate", `Bearer realm="andon", error="invalid_token"`)
			ew.write(w, r, andon.Errorf(andon.EUNAUTHORIZED, "the bearer token is not valid: %s", WhyNotValid(err)))
			return
		}
		if b.ExpiresSoon(now()) {
			// Every answer tells the holder of a token that expires soon
			// when: the command line warns.
			w.Header().Set(andon.TokenExpiresHeader, b.ExpiresAt.UTC().Format(time.RFC3339))
		}
		next.ServeHTTP(w, r.WithContext(SignedIn(r.Context(), catalog, b)))
	})
}

// refuseReadOnly refuses the request of a user signed in with a
// read-only token (andon.User.ReadOnly) with a 403, before next runs, so
// that nothing is written; others pass. It wraps every authenticated
// route but those that only read (route.openToReadOnly).
func refuseReadOnly(ew errorWriter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u := andon.UserFromContext(r.Context()); u != nil && u.ReadOnly {
			ew.write(w, r, andon.Errorf(andon.EFORBIDDEN, "%s %s is refused: %s", r.Method, r.URL.Path, andon.ErrorMessage(andon.ReadOnlyRefusal(u))))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// WhyNotValid says why an API token was refused, by the error
// TokenService.Authenticate gave: when it expired, or that it is unknown
// or was revoked. Bearer authentication and the web UI's sign-in both
// say it.
func WhyNotValid(err error) string {
	if expired := (*andon.ExpiredTokenError)(nil); errors.As(err, &expired) {
		return "it expired at " + expired.At.UTC().Format(time.RFC3339)
	}
	return "it is unknown or was revoked"
}

// SignedIn returns ctx carrying the authenticated user, with the roles the
// catalog in force grants, standing and by the active grants of b
// (andon.Catalog.RolesWith), and the expiry of their token, and names the
// user in the request log. Bearer authentication and the web UI's session
// both end here.
func SignedIn(ctx context.Context, catalog andon.CatalogSource, b andon.Bearer) context.Context {
	roles := []string{}
	grants := []andon.Grant{}
	if c := catalog.Catalog(); c != nil {
		roles = append(roles, c.RolesWith(b.User, b.Grants)...)
		// A grant counts while its team lists the user as eligible.
		for _, g := range b.Grants {
			if c.GrantCounts(b.User, g) {
				grants = append(grants, g)
			}
		}
	}
	infoFrom(ctx).user = b.User
	u := &andon.User{Name: b.User, Roles: roles, TokenID: b.ID, ReadOnly: b.ReadOnly, Issuer: b.Issuer, Grants: grants}
	if !b.ExpiresAt.IsZero() {
		at := b.ExpiresAt.UTC()
		u.TokenExpiresAt = &at
	}
	return andon.NewContextWithUser(ctx, u)
}

// errNoToken is the error for a request without usable credentials.
var errNoToken = andon.Errorf(andon.EUNAUTHORIZED, `missing bearer token: send "Authorization: Bearer TOKEN" with a token from "andon token create"`)

// bearerToken returns the token of the Authorization header. The scheme is
// case-insensitive (RFC 7235).
func bearerToken(r *http.Request) (string, error) {
	header := r.Header.Get("Authorization")
	scheme, token, _ := strings.Cut(header, " ")
	token = strings.TrimSpace(token)
	switch {
	case header == "" && r.URL.Query().Has("token"):
		return "", andon.Errorf(andon.EUNAUTHORIZED, `a token in the URL opens only the calendar feed (/api/v1/calendar.ics): send an API token as "Authorization: Bearer TOKEN"`)
	case header == "":
		return "", errNoToken
	case !strings.EqualFold(scheme, "Bearer"):
		// The scheme is not repeated: a token sent without one would be.
		return "", andon.Errorf(andon.EUNAUTHORIZED, `the Authorization header is not of the Bearer scheme: send "Authorization: Bearer TOKEN" with a token from "andon token create"`)
	case token == "":
		return "", andon.Errorf(andon.EUNAUTHORIZED, `the Authorization header holds "Bearer" but no token: send "Authorization: Bearer TOKEN" with a token from "andon token create"`)
	}
	return token, nil
}
