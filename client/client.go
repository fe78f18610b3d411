// Package client is a typed Go client of andon's HTTP API (docs/api.md).
// The andon command line speaks to the server through it, and so can
// pipelines and tools written in Go.
//
// Every method returns an *andon.Error on failure: the server's own
// {code, message} when it sent one, a code derived from the HTTP status
// when it did not, and EINTERNAL when the server could not be reached, so
// that callers map errors to exit codes or HTTP statuses in one place.
package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/andon-governance/andon"
)

// DefaultTimeout bounds every request of a Client built without
// WithHTTPClient, so that a hung server cannot hang a pipeline.
const DefaultTimeout = 30 * time.Second

// maxErrorBody bounds how much of an unexpected answer is read to explain it.
const maxErrorBody = 1 << 20

// Client calls one andon server with one bearer token. It is safe for
// concurrent use.
type Client struct {
	baseURL   string
	token     string
	http      *http.Client
	userAgent string

	onExpiry   func(time.Time)
	expiryOnce sync.Once
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the Client send its requests through hc, for custom
// transports, TLS settings or timeouts. Redirects are not followed, as
// with the Client's own, unless hc has a CheckRedirect of its own.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.http = hc }
}

// WithUserAgent sets the User-Agent header of every request.
func WithUserAgent(ua string) Option {
	return func(c *Client) { c.userAgent = ua }
}

// WithTokenExpiry makes the Client call notify, once, with the time its
// token expires, as soon as an answer of the server says it: the
// Andon-Token-Expires header of docs/api.md, sent within two weeks of the
// expiry of a token made to live longer, so that the caller can warn its
// user in time.
func WithTokenExpiry(notify func(expires time.Time)) Option {
	return func(c *Client) { c.onExpiry = notify }
}

// New returns a Client of the server at baseURL (such as
// "http://127.0.0.1:8080") that authenticates with token. An empty token
// sends no Authorization header.
func New(baseURL, token string, opts ...Option) *Client {
	c := &Client{
		baseURL:   strings.TrimRight(baseURL, "/"),
		token:     token,
		http:      &http.Client{Timeout: DefaultTimeout},
		userAgent: "andon/" + andon.Version,
	}
	for _, opt := range opts {
		opt(c)
	}
	if c.http.CheckRedirect == nil {
		hc := *c.http
		hc.CheckRedirect = refuseRedirect
		c.http = &hc
	}
	return c
}

// refuseRedirect stops a client at the first redirect. andon's API never
// redirects, and net/http would send the bearer token on to another port
// of the same host, to a subdomain, or from https to plain http: a
// redirect is answered as an error instead (send).
func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Me returns the authenticated user and the roles the catalog gives them.
func (c *Client) Me(ctx context.Context) (*andon.User, error) {
	var u andon.User
	if err := c.do(ctx, http.MethodGet, "/api/v1/me", nil, nil, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// CreateFeedToken issues a feed token to the authenticated user: it opens
// the calendar feed and nothing else. The feed paths the server answers
// are resolved against the client's server into URLs that a calendar
// client can subscribe to.
func (c *Client) CreateFeedToken(ctx context.Context) (*andon.FeedToken, error) {
	var t andon.FeedToken
	if err := c.do(ctx, http.MethodPost, "/api/v1/me/feed-token", nil, nil, &t); err != nil {
		return nil, err
	}
	for _, m := range []map[string]string{t.Environments, t.Plants} {
		for k, path := range m {
			m[k] = c.baseURL + path
		}
	}
	return &t, nil
}

// RotateToken asks for a new API token in place of the client's own,
// which goes on working for overlap (a duration such as 24h or 2d, or
// "0" to revoke it at once; the server's default, a day, when empty).
// The client goes on sending its own token: the caller puts the new one
// where it reads its token.
func (c *Client) RotateToken(ctx context.Context, overlap string) (*andon.RotatedToken, error) {
	var in any
	if overlap != "" {
		in = map[string]string{"overlap": overlap}
	}
	var t andon.RotatedToken
	if err := c.do(ctx, http.MethodPost, "/api/v1/me/token/rotate", nil, in, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// CreateChange opens a change and returns it as classified by the policy.
func (c *Client) CreateChange(ctx context.Context, req *andon.ChangeRequest) (*andon.Change, error) {
	var ch andon.Change
	if err := c.do(ctx, http.MethodPost, "/api/v1/changes", nil, req, &ch); err != nil {
		return nil, err
	}
	return &ch, nil
}

// Change returns the change with the given id.
func (c *Client) Change(ctx context.Context, id string) (*andon.Change, error) {
	path, err := changePath(id, "")
	if err != nil {
		return nil, err
	}
	var ch andon.Change
	if err := c.do(ctx, http.MethodGet, path, nil, nil, &ch); err != nil {
		return nil, err
	}
	return &ch, nil
}

// changePath is the path of the change id, followed by sub. A blank id
// is refused: its path would be another route's, and the server's answer
// about that route would puzzle the caller.
func changePath(id, sub string) (string, error) {
	if andon.IsBlank(id) {
		return "", andon.Errorf(andon.EINVALID, "change ID %q: want one such as CHG-9", id)
	}
	return "/api/v1/changes/" + url.PathEscape(id) + sub, nil
}

// Changes returns the changes matching filter, newest first, and how many
// match without the filter's Offset and Limit.
func (c *Client) Changes(ctx context.Context, filter andon.ChangeFilter) ([]*andon.Change, int, error) {
	q := url.Values{}
	setString(q, "environment", filter.Environment)
	setString(q, "type", string(filter.Type))
	setString(q, "state", string(filter.State))
	setString(q, "tier", string(filter.Tier))
	setString(q, "requester", filter.Requester)
	setString(q, "image", filter.Image)
	setString(q, "process", filter.Process)
	setString(q, "q", filter.Query)
	setString(q, "before", filter.Before)
	setInt(q, "offset", int64(filter.Offset))
	setInt(q, "limit", int64(filter.Limit))
	var out struct {
		Changes []*andon.Change `json:"changes"`
		Total   int             `json:"total"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/changes", q, nil, &out); err != nil {
		return nil, 0, err
	}
	return out.Changes, out.Total, nil
}

// Decide approves or rejects the change as the authenticated user.
func (c *Client) Decide(ctx context.Context, id string, verdict andon.Verdict, comment string) (*andon.Change, error) {
	body := struct {
		Verdict andon.Verdict `json:"verdict"`
		Comment string        `json:"comment,omitempty"`
	}{verdict, comment}
	path, err := changePath(id, "/approvals")
	if err != nil {
		return nil, err
	}
	var ch andon.Change
	if err := c.do(ctx, http.MethodPost, path, nil, body, &ch); err != nil {
		return nil, err
	}
	return &ch, nil
}

// StartCheck asks what the gate would answer now to a start of the change
// by hand, which starts nothing and records nothing.
func (c *Client) StartCheck(ctx context.Context, id string) (*andon.StartCheck, error) {
	path, err := changePath(id, "/start-check")
	if err != nil {
		return nil, err
	}
	var check andon.StartCheck
	if err := c.do(ctx, http.MethodGet, path, nil, nil, &check); err != nil {
		return nil, err
	}
	return &check, nil
}

// Transition moves the change to state to.
func (c *Client) Transition(ctx context.Context, id string, to andon.State, comment string) (*andon.Change, error) {
	body := struct {
		To      andon.State `json:"to"`
		Comment string      `json:"comment,omitempty"`
	}{to, comment}
	path, err := changePath(id, "/transitions")
	if err != nil {
		return nil, err
	}
	var ch andon.Change
	if err := c.do(ctx, http.MethodPost, path, nil, body, &ch); err != nil {
		return nil, err
	}
	return &ch, nil
}

// Review records the retrospective review of an emergency change.
func (c *Client) Review(ctx context.Context, id, comment string) (*andon.Change, error) {
	body := struct {
		Comment string `json:"comment"`
	}{comment}
	path, err := changePath(id, "/review")
	if err != nil {
		return nil, err
	}
	var ch andon.Change
	if err := c.do(ctx, http.MethodPost, path, nil, body, &ch); err != nil {
		return nil, err
	}
	return &ch, nil
}

// Findings lists what needs attention, such as overdue emergency reviews.
func (c *Client) Findings(ctx context.Context) ([]andon.Finding, error) {
	var out struct {
		Findings []andon.Finding `json:"findings"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/findings", nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Findings, nil
}

// Gate asks whether req.Image may be deployed to req.Environment at req.At
// (now when zero). The server answers every gate request with a
// GateResult, and Gate returns it whenever the body is one, even with an
// error: a 400 or a 500 still explains itself in Reasons. The error is
// non-nil for every status but 200, so a caller may deploy only when the
// error is nil and Allow is true.
func (c *Client) Gate(ctx context.Context, req andon.GateRequest) (*andon.GateResult, error) {
	// The server rejects unknown fields and treats a missing "at" as now,
	// so the zero time is left out rather than sent as year 1.
	body := struct {
		Environment string     `json:"environment"`
		Image       string     `json:"image"`
		At          *time.Time `json:"at,omitempty"`
		DryRun      bool       `json:"dryRun,omitempty"`
	}{Environment: req.Environment, Image: req.Image, DryRun: req.DryRun}
	if !req.At.IsZero() {
		body.At = &req.At
	}
	resp, err := c.send(ctx, http.MethodPost, "/api/v1/gate", nil, body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if err != nil {
		return nil, c.unreachable(ctx, err)
	}

	// A GateResult is recognised by its "allow" field; an error body
	// {code, message} may come instead from a layer in front of the gate,
	// such as authentication, and statusError reads it.
	var probe struct {
		andon.GateResult
		Allow *bool `json:"allow"`
	}
	if json.Unmarshal(data, &probe) != nil || probe.Allow == nil {
		return nil, c.statusError(resp, data)
	}
	res := probe.GateResult
	res.Allow = *probe.Allow
	if resp.StatusCode == http.StatusOK {
		return &res, nil
	}
	code := codeForStatus(resp.StatusCode)
	msg := reasonsMessage(res.Reasons)
	if msg == "" {
		msg = fmt.Sprintf("the gate answered %s", resp.Status)
	}
	// Fail closed even if a broken server claims to allow with an error
	// status.
	res.Allow = false
	return &res, &andon.Error{Code: code, Message: msg}
}

// Occurrences returns the occurrences of the windows applying to env that
// overlap [from, to). A zero from means now and a zero to means from plus
// seven days, as the server decides.
func (c *Client) Occurrences(ctx context.Context, env string, from, to time.Time) ([]andon.Occurrence, error) {
	q := url.Values{"env": {env}}
	setTime(q, "from", from)
	setTime(q, "to", to)
	var out struct {
		Environment string             `json:"environment"`
		Occurrences []andon.Occurrence `json:"occurrences"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/calendar", q, nil, &out); err != nil {
		return nil, err
	}
	return out.Occurrences, nil
}

// Active returns the occurrences of the windows applying to env in force
// at instant at (now when zero), as the gate sees them: those of one
// window that overlap or touch are one, until the last of them ends.
func (c *Client) Active(ctx context.Context, env string, at time.Time) ([]andon.Occurrence, error) {
	q := url.Values{"env": {env}}
	setTime(q, "at", at)
	var out struct {
		Occurrences []andon.Occurrence `json:"occurrences"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/calendar/active", q, nil, &out); err != nil {
		return nil, err
	}
	return out.Occurrences, nil
}

// NextSlot returns the first span of length d, starting at or after after
// (now when zero), inside a maintenance window of env and outside every
// freeze that stops a change of type change; with change "", outside every
// freeze; with outsidePeaks, also overlapping no peak. The slot names the
// peaks it overlaps. It returns ENOTFOUND when there is none within a
// year.
func (c *Client) NextSlot(ctx context.Context, env string, d time.Duration, after time.Time, change andon.ChangeType, outsidePeaks bool) (*andon.FreeSlot, error) {
	q := url.Values{"env": {env}, "duration": {d.String()}}
	setTime(q, "after", after)
	if change != "" {
		q.Set("type", string(change))
	}
	if outsidePeaks {
		q.Set("outsidePeaks", "true")
	}
	var s andon.FreeSlot
	if err := c.do(ctx, http.MethodGet, "/api/v1/calendar/next", q, nil, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// Catalog returns the catalog in force on the server.
func (c *Client) Catalog(ctx context.Context) (*andon.Catalog, error) {
	var cat andon.Catalog
	if err := c.do(ctx, http.MethodGet, "/api/v1/catalog", nil, nil, &cat); err != nil {
		return nil, err
	}
	// Plant.Location does not travel in JSON; resolve it here so that
	// Catalog.Location works on the client as on the server. A zone this
	// machine does not know is left nil, and Location falls back to UTC.
	for _, p := range cat.Plants {
		if loc, err := time.LoadLocation(p.Timezone); err == nil && p.Timezone != "" {
			p.Location = loc
		}
	}
	return &cat, nil
}

// Checkpoint returns the latest signed checkpoint of the audit log.
func (c *Client) Checkpoint(ctx context.Context) (*andon.Checkpoint, error) {
	var cp andon.Checkpoint
	if err := c.do(ctx, http.MethodGet, "/api/v1/audit/checkpoint", nil, nil, &cp); err != nil {
		return nil, err
	}
	return &cp, nil
}

// Entries returns the audit entries matching filter: those with an index
// above filter.After, so -1 lists from the first entry. filter.Change
// lists the entries that concern one change, its gate decisions included.
func (c *Client) Entries(ctx context.Context, filter andon.AuditFilter) ([]*andon.Entry, error) {
	q := auditQuery(filter)
	var out struct {
		Entries []*andon.Entry `json:"entries"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/audit/entries", q, nil, &out); err != nil {
		return nil, err
	}
	return out.Entries, nil
}

// Proof returns the inclusion proof of the audit entry at index in the
// tree of the latest checkpoint.
func (c *Client) Proof(ctx context.Context, index int64) (*andon.Proof, error) {
	q := url.Values{"index": {strconv.FormatInt(index, 10)}}
	var p andon.Proof
	if err := c.do(ctx, http.MethodGet, "/api/v1/audit/proof", q, nil, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Evidence exports the audit entries matching filter with their inclusion
// proofs in the tree of the latest checkpoint.
func (c *Client) Evidence(ctx context.Context, filter andon.AuditFilter) (*andon.Evidence, error) {
	q := auditQuery(filter)
	var ev andon.Evidence
	if err := c.do(ctx, http.MethodGet, "/api/v1/audit/evidence", q, nil, &ev); err != nil {
		return nil, err
	}
	return &ev, nil
}

// do sends a request and decodes a 2xx answer into out.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	_, err := c.doStatus(ctx, method, path, query, in, out)
	return err
}

// doStatus is do, answering the 2xx status too, for a request whose
// answer differs by it (201 for what it created, 200 for what was
// there).
func (c *Client) doStatus(ctx context.Context, method, path string, query url.Values, in, out any) (int, error) {
	resp, err := c.send(ctx, method, path, query, in)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return 0, c.statusError(resp, data)
	}
	// The first bytes tell, when the answer does not decode, whether it
	// was JSON at all: another HTTP service answers with a page of its own.
	body := bufio.NewReader(resp.Body)
	head, _ := body.Peek(512)
	if err := json.NewDecoder(body).Decode(out); err != nil {
		if isTransport(err) {
			return 0, c.unreachable(ctx, err)
		}
		if kind := notJSON(resp, head); kind != "" {
			return 0, andon.Errorf(andon.EINTERNAL, "%s answered %s %s with %s, not andon's JSON: is it an andon server?", c.shownURL(), method, path, kind)
		}
		return 0, andon.Errorf(andon.EINTERNAL, "cannot decode the answer of %s %s: %v", method, path, err)
	}
	return resp.StatusCode, nil
}

// notJSON says what an answer is when it is not JSON, from its first
// bytes and its Content-Type: "an HTML page", or its media type, such as
// text/plain; "" when it is JSON or does not say.
func notJSON(resp *http.Response, head []byte) string {
	if strings.HasPrefix(http.DetectContentType(head), "text/html") {
		return "an HTML page"
	}
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt == "application/json" || strings.HasSuffix(mt, "+json") {
		return ""
	}
	return mt
}

// send builds and sends a request. Its error is always an *andon.Error.
func (c *Client) send(ctx context.Context, method, path string, query url.Values, in any) (*http.Response, error) {
	u := c.baseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return nil, andon.Errorf(andon.EINVALID, "cannot encode the request: %v", err)
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, andon.Errorf(andon.EINVALID, "bad server URL %q: %v", c.baseURL, err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.unreachable(ctx, err)
	}
	if loc := resp.Header.Get("Location"); resp.StatusCode >= 300 && resp.StatusCode <= 399 && loc != "" {
		resp.Body.Close()
		// The Location is shown without the credentials it may carry.
		if u, err := resp.Request.URL.Parse(loc); err == nil {
			loc = u.Redacted()
		}
		return nil, andon.Errorf(andon.EINTERNAL, "andon server at %s answered %s %s with %s to %.200s, which andon's API never does: the request was not sent there, with its token; give the address of the andon server itself", c.shownURL(), method, path, resp.Status, loc)
	}
	if h := resp.Header.Get(andon.TokenExpiresHeader); h != "" && c.onExpiry != nil {
		if at, err := time.Parse(time.RFC3339, h); err == nil {
			c.expiryOnce.Do(func() { c.onExpiry(at) })
		}
	}
	return resp, nil
}

// unreachable reports a transport failure of a request made with ctx as
// EINTERNAL: andon could not decide, which the CLI turns into exit code 2.
// A server that took longer than the client's timeout was reached, and is
// said to be slow, with the time waited, rather than unreachable: the
// reader of a pipeline's log then looks at the server, not the network.
func (c *Client) unreachable(ctx context.Context, err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() && ctx.Err() == nil && c.http.Timeout > 0 {
		return andon.Errorf(andon.EINTERNAL, "andon server at %s did not answer within %s", c.shownURL(), c.http.Timeout)
	}
	return andon.Errorf(andon.EINTERNAL, "cannot reach andon server at %s: %v", c.shownURL(), unwrapURLError(err))
}

// unwrapURLError drops the "Post \"http://…\":" prefix of *url.Error,
// which would repeat the server URL already in the message.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// isTransport reports whether a decoding error came from the connection
// rather than from the JSON.
func isTransport(err error) bool {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	return !errors.As(err, &se) && !errors.As(err, &te) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF)
}

// shownURL is the server's URL as messages show it: without the password
// of a user written in it, which errors are printed, logged and pasted.
func (c *Client) shownURL() string {
	u, err := url.Parse(c.baseURL)
	if err != nil {
		return c.baseURL
	}
	return u.Redacted()
}

// statusError turns a non-2xx answer into an *andon.Error: the server's
// own when the body is one, otherwise one derived from the status so that
// a proxy's HTML error page still maps to the right exit code.
func (c *Client) statusError(resp *http.Response, data []byte) error {
	var e andon.Error
	if json.Unmarshal(data, &e) == nil && e.Code != "" {
		return &e
	}
	code := codeForStatus(resp.StatusCode)
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		// A 2xx that is not what was asked for, such as a gate answer
		// without "allow", is a server fault.
		code = andon.EINTERNAL
	}
	// A page's markup says nothing to the reader of one line; the URL
	// does, when it names another HTTP service than andon.
	if kind := notJSON(resp, data); kind == "an HTML page" {
		hint := "is it an andon server?"
		switch resp.StatusCode {
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			// The error page of a proxy in front of andon (an ingress, a
			// load balancer) that could not reach it: the URL is right,
			// andon is what to look at.
			hint = "a proxy's error page: is andon behind it running and reachable?"
		}
		return &andon.Error{Code: code, Message: fmt.Sprintf("%s answered %s with %s, not andon's JSON: %s", c.shownURL(), resp.Status, kind, hint)}
	}
	msg := fmt.Sprintf("server answered %s", resp.Status)
	// The text goes on the same line: a proxy's message, one line of an
	// error, not the layout of the text it came in.
	if snippet := strings.Join(strings.Fields(string(data)), " "); snippet != "" {
		if len(snippet) > 200 {
			snippet = strings.ToValidUTF8(snippet[:200], "") + "…"
		}
		msg += ": " + snippet
	}
	return &andon.Error{Code: code, Message: msg}
}

// codeForStatus is the inverse of the server's code-to-status table
// (docs/api.md).
func codeForStatus(status int) string {
	switch status {
	case http.StatusBadRequest:
		return andon.EINVALID
	case http.StatusUnauthorized:
		return andon.EUNAUTHORIZED
	case http.StatusForbidden:
		return andon.EFORBIDDEN
	case http.StatusNotFound:
		return andon.ENOTFOUND
	case http.StatusConflict:
		return andon.ECONFLICT
	}
	return andon.EINTERNAL
}

func reasonsMessage(reasons []andon.Reason) string {
	parts := make([]string, 0, len(reasons))
	for _, r := range reasons {
		parts = append(parts, r.Code+": "+r.Message)
	}
	return strings.Join(parts, "; ")
}

// auditQuery is the query of the audit log's listings and exports.
func auditQuery(filter andon.AuditFilter) url.Values {
	q := url.Values{}
	setString(q, "type", filter.Type)
	setString(q, "subject", filter.Subject)
	setString(q, "actor", filter.Actor)
	setString(q, "change", filter.Change)
	setString(q, "process", filter.Process)
	for key, t := range map[string]*time.Time{"since": filter.Since, "until": filter.Until} {
		if t != nil {
			setTime(q, key, *t)
		}
	}
	q.Set("after", strconv.FormatInt(filter.After, 10))
	setInt(q, "limit", int64(filter.Limit))
	return q
}

func setString(q url.Values, key, value string) {
	if value != "" {
		q.Set(key, value)
	}
}

func setInt(q url.Values, key string, value int64) {
	if value != 0 {
		q.Set(key, strconv.FormatInt(value, 10))
	}
}

func setTime(q url.Values, key string, t time.Time) {
	if !t.IsZero() {
		q.Set(key, t.Format(time.RFC3339Nano))
	}
}
