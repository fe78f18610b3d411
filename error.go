package andon

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. Each maps to one HTTP status and one CLI exit code in the
// table kept by the server and the CLI; nothing else interprets them.
const (
	EINVALID      = "invalid"      // the input is malformed or breaks a rule of the format
	ENOTFOUND     = "not_found"    // the named object does not exist
	ECONFLICT     = "conflict"     // the request contradicts the current state
	EFORBIDDEN    = "forbidden"    // the actor may not do this (segregation of duties, role)
	EUNAUTHORIZED = "unauthorized" // no valid credentials
	EINTERNAL     = "internal"     // a fault of andon or of a dependency
)

// Error is the one error type that crosses package boundaries. Code is
// machine-readable; Message is written for the person who made the request.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error implements the error interface with the message alone: it is
// what a log record or a wrapping error shows, and the code is the
// error's kind, which ErrorCode reads.
func (e *Error) Error() string {
	return e.Message
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain. Other
// errors are hidden behind a generic message so that internal details do not
// leak to clients; they are logged by the caller instead.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// Fault is an internal error whose message may be shown to clients: it
// says which part andon depends on failed and how (a full disk, a database
// file that was deleted) without naming hosts, paths or credentials, so
// that the caller learns the fault is not in their request and whom to
// tell. Its code is EINTERNAL. The cause is wrapped with it for the log:
// fmt.Errorf("%w: %w", fault, cause).
type Fault struct {
	Message string
}

func (f *Fault) Error() string { return f.Message }

// Unwrap returns the fault as an *Error, for ErrorCode and ErrorMessage.
func (f *Fault) Unwrap() error { return &Error{Code: EINTERNAL, Message: f.Message} }

// ExpiredTokenError is the error of a token that authenticated until At:
// its holder learns to ask for a new one rather than look for a typo. Its
// code is EUNAUTHORIZED.
type ExpiredTokenError struct {
	At time.Time
}

func (e *ExpiredTokenError) Error() string { return e.Unwrap().Error() }

// Unwrap returns the error as an *Error, for ErrorCode and ErrorMessage.
func (e *ExpiredTokenError) Unwrap() error {
	return Errorf(EUNAUTHORIZED, "the token expired at %s", e.At.UTC().Format(time.RFC3339))
}
