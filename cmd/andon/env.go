package main

import (
	"context"
	"fmt"
	"io"
)

// env is what a command may touch of the outside world. run builds it from
// its arguments so that tests can drive the binary in-process.
type env struct {
	ctx    context.Context
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer

	// noToken is set when a command asked a server with no API token;
	// tokenFrom names where the token it sent came from otherwise.
	noToken   bool
	tokenFrom string
	// jwt is set when the token sent is a JWT, an OpenID Connect
	// issuer's, which andon token create does not replace.
	jwt bool
	// defaultServer is set when a command asked the default server, for
	// want of --server and ANDON_SERVER.
	defaultServer bool
	// replacingToken is set by token rotate --self, which replaces the
	// token the server warns of: its warning would tell of what is done.
	replacingToken bool
}

// exitError makes run exit with code after printing err (when err is not
// nil): 1 for a denial or a failed validation, 2 for could-not-decide.
type exitError struct {
	code int
	err  error
	// shown says that the command printed err's message with its
	// output already (the gate's reasons): run adds only what follows it,
	// such as where the token was read from.
	shown bool
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }
