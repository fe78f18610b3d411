package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/andon-governance/andon"
	"github.com/andon-governance/andon/server"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed assets
var assetFiles embed.FS

// pages maps a page name to its template: the layout and the page's file.
type pages map[string]*template.Template

// mustParsePages parses every page with the layout once, at start; a
// template that does not parse is a bug of the build, hence the panic.
func mustParsePages() pages {
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		panic(err)
	}
	p := pages{}
	for _, name := range names {
		base := strings.TrimSuffix(path.Base(name), ".html")
		if base == "layout" {
			continue
		}
		t := template.New(base).Funcs(funcs)
		p[base] = template.Must(t.ParseFS(templateFiles, "templates/layout.html", name))
	}
	return p
}

// pageData is what the layout receives; View is the page's own data.
type pageData struct {
	Page   string
	User   *andon.User
	CSRF   string
	Kiosk  bool
	Assets map[string]string // asset name → versioned URL
	View   any
	// TokenExpires is when the session's token expires, when that is
	// soon (andon.Bearer.ExpiresSoon); every page says so.
	TokenExpires *time.Time
}

// render executes a page into a buffer, so that a template error gives an
// error page rather than half a page, then writes it with status.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page string, view any) error {
	t, ok := h.pages[page]
	if !ok {
		return fmt.Errorf("no page %q", page)
	}
	data := &pageData{Page: page, View: view, Assets: assetURLs, Kiosk: r.URL.Query().Get("kiosk") == "1"}
	if s := sessionOf(r); s != nil {
		data.User, data.CSRF = s.user, s.csrf
		if s.expiresSoon {
			data.TokenExpires = s.user.TokenExpiresAt
		}
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", data); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// As the API's answers: the length lets the request's middleware send
	// the page before it logs the request.
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
	return nil
}

// statusOf is the HTTP status of an error, the same as the API's.
var statusOf = server.Status

// errorView is the data of the error page.
type errorView struct {
	Status  int
	Title   string
	Message string
	// SignIn is the sign-in page that comes back to the page the user was
	// on, for a form posted after the session ended; "" otherwise.
	SignIn string
}

// withErrors adapts a pageFunc, rendering its error as a page with the
// status the API would give it. Internal errors are logged and shown as a
// generic message.
func (h *Handler) withErrors(f pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := f(w, r); err != nil {
			h.renderError(w, r, err)
		}
	})
}

// renderError writes the error page for err.
func (h *Handler) renderError(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	// The server's middleware gave the request its id.
	id := w.Header().Get("X-Request-Id")
	if status == http.StatusInternalServerError {
		h.cfg.Logger.ErrorContext(r.Context(), "page", slog.String("path", server.LogPath(r.URL.Path)),
			slog.String("request_id", id), slog.Any("err", err))
		if fault := server.StoreFault(r.Context(), h.cfg.Ping); fault != nil {
			err, status = fault, statusOf(fault)
		}
	}
	v := &errorView{Status: status, Title: errorTitle(status), Message: andon.ErrorMessage(err)}
	if status == http.StatusInternalServerError {
		v.Message = "Something went wrong on the server; the details are in its log, under request id " + id + "."
	}
	if status == http.StatusUnauthorized {
		v.SignIn = "/login?next=" + url.QueryEscape(returnTo(r))
	}
	if rerr := h.render(w, r, status, "error", v); rerr != nil {
		h.cfg.Logger.ErrorContext(r.Context(), "error page", slog.Any("err", rerr))
		http.Error(w, v.Message, status)
	}
}

// errorTitle heads the error page of status in the words of the people
// who use the board, not HTTP's ("Forbidden", "Conflict").
func errorTitle(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "Not accepted"
	case http.StatusUnauthorized:
		return "Sign in again"
	case http.StatusForbidden:
		return "Not allowed"
	case http.StatusNotFound:
		return "Not found"
	case http.StatusConflict:
		return "Not possible now"
	case http.StatusServiceUnavailable:
		return "The server cannot answer now"
	case http.StatusInternalServerError:
		return "Something went wrong"
	}
	return http.StatusText(status)
}

// returnTo is the page to come back to after signing in again: the page
// a form was posted from, which the browser names in Referer (sent to the
// same origin only, see Referrer-Policy), or the board.
func returnTo(r *http.Request) string {
	if r.Method == http.MethodGet {
		return safeNext(r.URL.RequestURI())
	}
	ref, err := url.Parse(r.Referer())
	if err != nil || ref.Host != r.Host {
		return "/"
	}
	return safeNext(ref.RequestURI())
}

// assetURLs gives each asset a URL carrying a hash of its content, so that
// browsers may cache assets for long and still see a new release at once;
// assetVersions holds the hashes.
var assetURLs, assetVersions = func() (map[string]string, map[string]string) {
	urls, versions := map[string]string{}, map[string]string{}
	entries, err := assetFiles.ReadDir("assets")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		b, err := assetFiles.ReadFile("assets/" + e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		versions[e.Name()] = hex.EncodeToString(sum[:6])
		urls[e.Name()] = "/assets/" + e.Name() + "?v=" + versions[e.Name()]
	}
	return urls, versions
}()

// handleAsset serves the embedded assets.
func handleAsset() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("file")
		b, err := assetFiles.ReadFile("assets/" + name)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		ctype := mime.TypeByExtension(path.Ext(name))
		if ctype == "" {
			ctype = "text/plain; charset=utf-8"
		}
		w.Header().Set("Content-Type", ctype)
		// Only the version asked for may be cached for good: during a
		// rolling upgrade a replica may be asked for another's.
		if r.URL.Query().Get("v") == assetVersions[name] {
			w.Header().Set("Cache-Control", "public, max-age=604800, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
	})
}

// contextWithSession returns ctx carrying s.
func contextWithSession(ctx context.Context, s *session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}
