package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/andon-governance/andon"
)

// statusOf is the one table from error codes to HTTP statuses, as listed
// in docs/api.md. The CLI keeps the matching table of exit codes. An
// internal error that is an andon.Fault is a 503 instead (see errorOf).
var statusOf = map[string]int{
	andon.EINVALID:      http.StatusBadRequest,
	andon.EUNAUTHORIZED: http.StatusUnauthorized,
	andon.EFORBIDDEN:    http.StatusForbidden,
	andon.ENOTFOUND:     http.StatusNotFound,
	andon.ECONFLICT:     http.StatusConflict,
	andon.EINTERNAL:     http.StatusInternalServerError,
}

// internalMessage is what clients see of an internal error; the details
// go to the log only.
const internalMessage = "Internal error."

// internalMessageOf is the message of an internal error of r: the generic
// one with the request id, which the client quotes to whoever reads the
// log, where the details are logged under it.
func internalMessageOf(r *http.Request) string {
	return "Internal error (request id " + infoFrom(r.Context()).id + ")."
}

// apiFunc is a handler that returns its error instead of writing it, so
// that every handler renders errors the same way: through withErrors.
type apiFunc func(w http.ResponseWriter, r *http.Request) error

// errorWriter writes the errors of the API as JSON: logger receives the
// details of internal errors, and ping, when it is not nil, says whether
// the store answers (see Config.Ping).
type errorWriter struct {
	logger *slog.Logger
	ping   func(ctx context.Context) error
}

// withErrors adapts an apiFunc to http.Handler, writing any error it
// returns as JSON.
func (ew errorWriter) withErrors(h apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			ew.write(w, r, err)
		}
	})
}

// Status returns the HTTP status of err's code, as docs/api.md lists
// them; an error without a known code is a 500, and a fault (andon.Fault)
// a 503. The web UI renders its pages with the same statuses.
func Status(err error) int {
	status, _ := errorOf(err)
	return status
}

// errorOf returns the status and the body to send for err. An internal
// error, or one whose code is not in the table, may carry details of the
// store or the network: they stay in the log and the client gets a generic
// message, unless it is an andon.Fault, whose message is written to be
// shown: a part andon depends on failed (a full disk, a database that
// does not answer), so the request was not at fault and may succeed once
// that part is mended, which 503 Service Unavailable says.
func errorOf(err error) (int, *andon.Error) {
	code := andon.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok || status == http.StatusInternalServerError {
		if fault := (*andon.Fault)(nil); errors.As(err, &fault) {
			return http.StatusServiceUnavailable, &andon.Error{Code: andon.EINTERNAL, Message: fault.Message}
		}
		return http.StatusInternalServerError, &andon.Error{Code: andon.EINTERNAL, Message: internalMessage}
	}
	return status, &andon.Error{Code: code, Message: andon.ErrorMessage(err)}
}

// write writes err as a JSON {code, message} body with the status of its
// code. Internal errors are logged with the request id and route so that
// the generic message the client sees can be traced (see logInternal). A
// request its client gave up on is no error of the server (see
// writeAbandoned).
func (ew errorWriter) write(w http.ResponseWriter, r *http.Request, err error) {
	if abandoned(r, err) {
		writeAbandoned(ew.logger, w, r, "request abandoned by its client")
		return
	}
	status, body := errorOf(err)
	if status == http.StatusInternalServerError {
		logInternal(ew.logger, r, "internal error", err)
		body.Message = internalMessageOf(r)
		if fault := StoreFault(r.Context(), ew.ping); fault != nil {
			status, body = errorOf(fault)
		}
	}
	_ = encode(w, status, body)
}

// pingTimeout bounds the ping of StoreFault.
const pingTimeout = 2 * time.Second

// StoreFault returns the fault of a store that does not answer, or nil
// when it answers or ping is nil. An internal error that names no fault,
// such as a driver's error of a lost connection, is often that: the
// client is then told so, as the gate tells it, rather than "Internal
// error."; the web UI tells it alike. The ping outlives a client that
// gave up.
func StoreFault(ctx context.Context, ping func(context.Context) error) error {
	if ping == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pingTimeout)
	defer cancel()
	if err := ping(ctx); isFault(err) {
		return err
	}
	return nil
}

// statusClientClosedRequest is the status of a request its client gave up
// on before it was answered: no client reads it, the request log and the
// request metrics do (nginx's 499).
const statusClientClosedRequest = 499

// abandoned reports whether err is the end of a request its client gave
// up on, rather than a failure of the server.
func abandoned(r *http.Request, err error) bool {
	return errors.Is(err, context.Canceled) && errors.Is(r.Context().Err(), context.Canceled)
}

// writeAbandoned ends a request its client gave up on: nothing failed but
// the wait, and nobody is left to read an answer, so it is logged at info
// level as msg, not as an error, and counted with status 499.
func writeAbandoned(logger *slog.Logger, w http.ResponseWriter, r *http.Request, msg string) {
	logger.InfoContext(r.Context(), msg, "request_id", infoFrom(r.Context()).id, "route", infoFrom(r.Context()).route)
	w.WriteHeader(statusClientClosedRequest)
}

// logInternal logs err at error level with what identifies the request. A
// fault is not logged: the client was told what failed, and the part that
// failed logs it once, not once for every request it fails.
func logInternal(logger *slog.Logger, r *http.Request, msg string, err error) {
	if isFault(err) {
		return
	}
	info := infoFrom(r.Context())
	logger.ErrorContext(r.Context(), msg,
		slog.String("request_id", info.id),
		slog.String("route", info.route),
		slog.String("user", info.user),
		slog.Any("err", err))
}

// isFault reports whether err is an andon.Fault.
func isFault(err error) bool {
	var fault *andon.Fault
	return errors.As(err, &fault)
}
